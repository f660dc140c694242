/* Snapshot tree order, default tags, tag rules. */
#include "snaptree.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_parent_in(const struct vmsnap_info *s, size_t n, size_t i)
{
	if (!s[i].parent[0] || !strcmp(s[i].parent, s[i].tag))
		return false;
	for (size_t j = 0; j < n; j++)
		if (j != i && !strcmp(s[j].tag, s[i].parent))
			return true;
	return false;
}

/* Places i and its descendants depth-first; an explicit stack keeps a long
 * chain (every snapshot the parent of the next) off the C stack. */
static size_t place(const struct vmsnap_info *s, size_t n, bool *placed, size_t root,
		    struct snaptree_row *rows, size_t out, size_t *stack, unsigned *sdepth)
{
	size_t sp = 0;

	stack[sp] = root;
	sdepth[sp++] = 0;
	placed[root] = true;
	while (sp) {
		size_t i = stack[--sp];
		unsigned d = sdepth[sp];
		rows[out].idx = i;
		rows[out++].depth = d;
		/* Push children newest first so the oldest comes out next. */
		for (size_t j = n; j-- > 0;) {
			if (placed[j] || strcmp(s[j].parent, s[i].tag))
				continue;
			placed[j] = true;
			stack[sp] = j;
			sdepth[sp++] = d + 1;
		}
	}
	return out;
}

size_t snaptree_layout(const struct vmsnap_info *s, size_t n, struct snaptree_row *rows)
{
	bool *placed;
	size_t *stack;
	unsigned *sdepth;
	size_t out = 0;

	if (!n)
		return 0;
	placed = calloc(n, sizeof(*placed));
	stack = calloc(n, sizeof(*stack));
	sdepth = calloc(n, sizeof(*sdepth));
	if (!placed || !stack || !sdepth) {
		/* No memory for the tree: the flat list, oldest first. */
		for (size_t i = 0; i < n; i++)
			rows[i] = (struct snaptree_row){ i, 0 };
		out = n;
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (!placed[i] && !has_parent_in(s, n, i))
			out = place(s, n, placed, i, rows, out, stack, sdepth);
	/* Whatever is left sits on a parent cycle: start it as a root. */
	for (size_t i = 0; i < n; i++)
		if (!placed[i])
			out = place(s, n, placed, i, rows, out, stack, sdepth);
done:
	free(placed);
	free(stack);
	free(sdepth);
	return out;
}

size_t snaptree_current_row(const struct vmsnap_info *s, const struct snaptree_row *rows, size_t n)
{
	for (size_t r = 0; r < n; r++)
		if (s[rows[r].idx].current)
			return r;
	return 0;
}

static bool tag_taken(const struct vmsnap_info *s, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].tag, tag))
			return true;
	return false;
}

void snaptag_default(time_t when, const struct vmsnap_info *s, size_t n, char *out, size_t len)
{
	char base[32];
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(base, sizeof(base), "snap-%Y%m%d-%H%M%S", &tm);
	snprintf(out, len, "%s", base);
	for (unsigned k = 2; tag_taken(s, n, out) && k < 1000; k++)
		snprintf(out, len, "%s-%u", base, k);
}

const char *snaptag_problem(const char *tag)
{
	size_t n = strlen(tag);

	if (!n)
		return "required";
	if (n >= VMSNAP_TAG_MAX)
		return "too long (max 63)";
	if (tag[0] == '.' || tag[0] == '-')
		return "must not start with '.' or '-'";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)tag[i]) && !strchr("-_.", tag[i]))
			return "letters, digits, '-', '_', '.' only";
	if (strstr(tag, ".."))
		return "no '..'";
	if (strstr(tag, ".tmp."))
		return "no '.tmp.' (temporary names)";
	return NULL;
}

void snaptime_fmt(time_t t, time_t now, char *out, size_t len)
{
	struct tm a, b;

	localtime_r(&t, &a);
	localtime_r(&now, &b);
	if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
		strftime(out, len, "%H:%M:%S", &a);
	else
		strftime(out, len, "%b %d %H:%M", &a);
}

void snaptree_label(const struct vmsnap_info *s, unsigned depth, bool utf8, char *out, size_t len)
{
	unsigned d = depth > 8 ? 8 : depth;
	int used = snprintf(out, len, "%c ", s->current ? '*' : ' ');

	for (unsigned i = 1; i < d && used >= 0 && (size_t)used < len; i++)
		used += snprintf(out + used, len - (size_t)used, "  ");
	if (d && used >= 0 && (size_t)used < len)
		used += snprintf(out + used, len - (size_t)used, "%s", utf8 ? "\u2514 " : "` ");
	if (used >= 0 && (size_t)used < len)
		snprintf(out + used, len - (size_t)used, "%s", s->tag);
}

/* The dashboard's snapshot pieces that need no VM: tree order by parent,
 * default tags from the time, tag rules, the tree label, and the tag and
 * clone dialogs' key handling and validation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt.h"
#include "dialogs_snap.h"
#include "snapset.h"
#include "snaptree.h"

static struct vmsnap_info snap(const char *tag, const char *parent, time_t created)
{
	struct vmsnap_info s;
	memset(&s, 0, sizeof(s));
	snprintf(s.tag, sizeof(s.tag), "%s", tag);
	snprintf(s.parent, sizeof(s.parent), "%s", parent);
	s.created = created;
	return s;
}

/* "tag/depth tag/depth ..." in tree order. */
static void tree_str(const struct vmsnap_info *s, size_t n, char *out, size_t len)
{
	struct snaptree_row rows[16];
	size_t got = snaptree_layout(s, n, rows), used = 0;

	cr_assert_eq(got, n, "every snapshot placed");
	out[0] = 0;
	for (size_t r = 0; r < got; r++)
		used += (size_t)snprintf(out + used, len - used, "%s%s/%u", r ? " " : "", s[rows[r].idx].tag,
					 rows[r].depth);
}

Test(ui_snaptree, children_follow_their_parent_oldest_first)
{
	/* a -> b -> d, a -> c (c taken after d), e a second root */
	struct vmsnap_info s[] = {
		snap("a", "", 1), snap("b", "a", 2), snap("d", "b", 3), snap("c", "a", 4), snap("e", "", 5),
	};
	char out[256];
	tree_str(s, 5, out, sizeof(out));
	cr_assert_str_eq(out, "a/0 b/1 d/2 c/1 e/0");
}

Test(ui_snaptree, missing_parent_makes_a_root_and_chains_stay_flat_free)
{
	struct vmsnap_info s[] = {
		snap("x", "gone", 1), snap("y", "x", 2), snap("z", "y", 3),
	};
	char out[256];
	tree_str(s, 3, out, sizeof(out));
	cr_assert_str_eq(out, "x/0 y/1 z/2");
}

Test(ui_snaptree, parent_cycles_and_self_parents_terminate)
{
	struct vmsnap_info s[] = {
		snap("p", "q", 1), snap("q", "p", 2), snap("self", "self", 3),
	};
	char out[256];
	tree_str(s, 3, out, sizeof(out));
	cr_assert_str_eq(out, "self/0 p/0 q/1", "the self-parent is a root; the cycle starts at its oldest");
	cr_assert_eq(snaptree_layout(s, 0, NULL), 0);
}

Test(ui_snaptree, long_chain_no_recursion)
{
	enum { N = 5000 };
	struct vmsnap_info *s = calloc(N, sizeof(*s));
	struct snaptree_row *rows = calloc(N, sizeof(*rows));
	cr_assert(s && rows);
	for (int i = 0; i < N; i++) {
		snprintf(s[i].tag, sizeof(s[i].tag), "t%d", i);
		if (i)
			snprintf(s[i].parent, sizeof(s[i].parent), "t%d", i - 1);
	}
	cr_assert_eq(snaptree_layout(s, N, rows), N);
	cr_assert_eq(rows[N - 1].idx, N - 1);
	cr_assert_eq(rows[N - 1].depth, N - 1);
	free(s);
	free(rows);
}

Test(ui_snaptree, current_row)
{
	struct vmsnap_info s[] = { snap("a", "", 1), snap("c", "", 3), snap("b", "a", 2) };
	struct snaptree_row rows[3];
	snaptree_layout(s, 3, rows);
	cr_assert_eq(snaptree_current_row(s, rows, 3), 0, "none current: row 0");
	s[2].current = true;
	cr_assert_eq(snaptree_current_row(s, rows, 3), 1, "b sits right under a");
}

Test(ui_snaptree, label_marks_current_and_indents)
{
	struct vmsnap_info s = snap("base", "", 1);
	char out[128];
	snaptree_label(&s, 0, false, out, sizeof(out));
	cr_assert_str_eq(out, "  base");
	s.current = true;
	snaptree_label(&s, 1, false, out, sizeof(out));
	cr_assert_str_eq(out, "* ` base");
	snaptree_label(&s, 3, true, out, sizeof(out));
	cr_assert_str_eq(out, "*     \u2514 base");
	snaptree_label(&s, 3, false, out, 5);
	cr_assert_eq(strlen(out), 4, "truncated, terminated");
}

Test(ui_snaptag, default_from_time_and_unique)
{
	struct tm tm = { .tm_year = 124, .tm_mon = 0, .tm_mday = 31, .tm_hour = 14, .tm_min = 25, .tm_sec = 1,
			 .tm_isdst = -1 };
	time_t t = mktime(&tm);
	char out[VMSNAP_TAG_MAX];

	snaptag_default(t, NULL, 0, out, sizeof(out));
	cr_assert_str_eq(out, "snap-20240131-142501");
	cr_assert_null(snaptag_problem(out), "the default is a valid tag");
	struct vmsnap_info s[] = { snap("snap-20240131-142501", "", 1), snap("snap-20240131-142501-2", "", 2) };
	snaptag_default(t, s, 2, out, sizeof(out));
	cr_assert_str_eq(out, "snap-20240131-142501-3");
}

Test(ui_snaptag, rules)
{
	char longtag[80];
	memset(longtag, 'a', sizeof(longtag) - 1);
	longtag[79] = 0;
	cr_assert_null(snaptag_problem("before-upgrade_2.1"));
	cr_assert_str_eq(snaptag_problem(""), "required");
	cr_assert_not_null(snaptag_problem("a b"));
	cr_assert_not_null(snaptag_problem("../x"));
	cr_assert_not_null(snaptag_problem(".."));
	cr_assert_not_null(snaptag_problem(".hidden"));
	cr_assert_not_null(snaptag_problem("-opt"));
	cr_assert_not_null(snaptag_problem("a..b"));
	cr_assert_not_null(snaptag_problem("x.tmp.12"));
	cr_assert_not_null(snaptag_problem(longtag));
}

Test(ui_snaptime, same_day_shows_time_only)
{
	struct tm tm = { .tm_year = 124, .tm_mon = 0, .tm_mday = 31, .tm_hour = 14, .tm_min = 25, .tm_sec = 1,
			 .tm_isdst = -1 };
	time_t t = mktime(&tm);
	char out[32];
	snaptime_fmt(t, t + 60, out, sizeof(out));
	cr_assert_str_eq(out, "14:25:01");
	snaptime_fmt(t, t + 3 * 86400, out, sizeof(out));
	cr_assert_str_eq(out, "Jan 31 14:25");
}

/* ---- dialogs ---- */

static struct snapset one_snap_set(struct vmsnap_info *s, struct snaptree_row *row)
{
	struct snapset set;
	memset(&set, 0, sizeof(set));
	set.s = s;
	set.row = row;
	set.n = 1;
	row[0] = (struct snaptree_row){ 0, 0 };
	return set;
}

Test(ui_dialog_snap, default_tag_replaced_by_typing_and_validated)
{
	struct dialog_snap d;
	struct vmsnap_info s = snap("taken", "", 1);
	struct snaptree_row row[1];
	struct snapset set = one_snap_set(&s, row);

	dialog_snap_open(&d, "vm1", "snap-20240131-142501");
	cr_assert_eq(dialog_snap_key(&d, '\r', &set), DS_SUBMIT, "Enter accepts the default");
	dialog_snap_open(&d, "vm1", "snap-20240131-142501");
	dialog_snap_key(&d, 't', &set);
	cr_assert_str_eq(d.tag, "t", "the first letter replaces the default");
	for (const char *p = "aken"; *p; p++)
		dialog_snap_key(&d, *p, &set);
	cr_assert_str_eq(d.msg, "'taken' exists");
	cr_assert_eq(dialog_snap_key(&d, '\n', &set), DS_STAY, "a used tag is refused");
	dialog_snap_key(&d, ' ', &set);
	cr_assert_not_null(strstr(d.msg, "only"));
	dialog_snap_key(&d, CRT_K_BACKSPACE, &set);
	dialog_snap_key(&d, '2', &set);
	cr_assert_str_eq(d.tag, "taken2");
	cr_assert_eq(d.msg[0], 0);
	cr_assert_eq(dialog_snap_key(&d, 27, &set), DS_CLOSED);
	cr_assert(!d.open);
}

static bool exists_a(void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "a-clone") || !strcmp(name, "other");
}

Test(ui_dialog_clone, defaults_validation_and_choices)
{
	struct dialog_clone d;
	struct vmsnap_info s = snap("s1", "", 1);
	struct snaptree_row row[1];
	struct snapset set = one_snap_set(&s, row);

	dialog_clone_open(&d, "a", true, &set, NULL, exists_a, NULL);
	cr_assert_str_eq(d.name, "a-clone2", "the first free default name");
	cr_assert_eq(d.mode, VMSNAP_CLONE_LINKED);
	cr_assert_null(dialog_clone_from(&d), "from the current state by default");
	cr_assert_eq(d.msg[DCL_NAME][0], 0);

	dialog_clone_key(&d, 21, exists_a, NULL); /* ^U */
	cr_assert_str_eq(d.msg[DCL_NAME], "required");
	cr_assert_eq(dialog_clone_key(&d, '\r', exists_a, NULL), DS_STAY);
	for (const char *p = "other"; *p; p++)
		dialog_clone_key(&d, *p, exists_a, NULL);
	cr_assert_not_null(strstr(d.msg[DCL_NAME], "exists"));
	dialog_clone_key(&d, '2', exists_a, NULL);
	cr_assert_eq(d.msg[DCL_NAME][0], 0);

	dialog_clone_key(&d, '\t', exists_a, NULL);
	dialog_clone_key(&d, ' ', exists_a, NULL);
	cr_assert_eq(d.mode, VMSNAP_CLONE_FULL);
	dialog_clone_key(&d, '\t', exists_a, NULL);
	dialog_clone_key(&d, CRT_K_RIGHT, exists_a, NULL);
	cr_assert_str_eq(dialog_clone_from(&d), "s1");
	dialog_clone_key(&d, CRT_K_RIGHT, exists_a, NULL);
	cr_assert_null(dialog_clone_from(&d), "wraps back to the current state");
	cr_assert_eq(dialog_clone_key(&d, '\r', exists_a, NULL), DS_SUBMIT);
	cr_assert_str_eq(d.name, "other2");

	dialog_clone_open(&d, "a", false, &set, "s1", exists_a, NULL);
	cr_assert_str_eq(dialog_clone_from(&d), "s1", "preselected from the picker");
}

/* ---- the detail grows for the snapshot tree ---- */
#include "layout.h"

Test(ui_layout, detail_grows_for_snapshots_but_leaves_room)
{
	struct layout a, b;
	layout_compute(40, 120, 2, 1, true, 0, &a);
	layout_compute(40, 120, 2, 1, true, 6, &b);
	cr_assert_eq(a.detail.h, 2);
	cr_assert_eq(b.detail.h, 8, "header + 5 snapshots below the two summary rows");
	cr_assert_eq(b.vcpus.y, a.vcpus.y + 6, "everything below moves down");
	cr_assert_eq(b.console.y + b.console.h, 39, "the console still reaches the footer");
	layout_compute(16, 60, 2, 1, false, 0, &a);
	layout_compute(16, 60, 2, 1, false, 6, &b);
	cr_assert_eq(b.detail.h, 2, "no room on a tiny screen: the tree is left out");
	cr_assert_eq(b.console.h, a.console.h);
	for (int rows = 16; rows < 40; rows++) {
		layout_compute(rows, 90, 2, 0, false, 6, &b);
		cr_assert(b.detail.h == 2 || b.detail.h >= 4, "never a header alone (%d rows)", rows);
		if (b.detail.h > 2)
			cr_assert_geq(rows - 1 - (b.detail.y + b.detail.h), 8, "8 rows stay below (%d rows)", rows);
	}
}

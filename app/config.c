/* VM definition files; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define CONFIG_MAX_MEMORY (1ULL << 40)
#define CONFIG_MIN_MEMORY (2ULL << 20)
#define CONFIG_MAX_CPUS 64
#define CONFIG_LINE_MAX 199 /* inih is built with INI_MAX_LINE 200 */

void config_defaults(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cpus = 1;
	c->memory = 128ULL << 20;
	c->display.width = 1024;
	c->display.height = 768;
	snprintf(c->display.vnc, sizeof(c->display.vnc), "auto");
}

int config_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case 0: break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: return -EINVAL;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'B' || *end == 'b'))
		end++;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

bool config_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= CONFIG_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

const char *config_guests_dir(char *buf, size_t len)
{
	const char *env = getenv("VMDECK_GUESTS");
	char exe[PATH_MAX];
	ssize_t n;
	struct stat st;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return buf;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *dir = dirname(exe);
		snprintf(buf, len, "%s/assets/guests", dir);
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return buf;
		snprintf(buf, len, "%s/../share/vmdeck/guests", dir);
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return buf;
	}
	snprintf(buf, len, "/usr/local/share/vmdeck/guests");
	return buf;
}

int config_resolve_path(const char *base_dir, const char *in, char *out, size_t outlen)
{
	char gd[PATH_MAX];
	int n;

	if (strncmp(in, "@guests/", 8) == 0)
		n = snprintf(out, outlen, "%s/%s", config_guests_dir(gd, sizeof(gd)), in + 8);
	else if (!in[0] || in[0] == '/' || !base_dir || !*base_dir) /* "" stays "" */
		n = snprintf(out, outlen, "%s", in);
	else
		n = snprintf(out, outlen, "%s/%s", base_dir, in);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

struct parse_ctx {
	struct vm_config *c;
	const char *file;
	char dir[PATH_MAX];
	FILE *fp;
	int line;            /* line the reader returned last */
	bool continuation;   /* that line started with white space */
	bool too_long;
	int err_line;
	char *err;
	size_t errlen;
	char last_key[64];
	char last_section[64];
};

/* Line reader for ini_parse_stream that counts lines, so handler errors can
 * name the line, and rejects lines inih would silently split. */
static char *parse_reader(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	int ch, n = 0;

	if (feof(ctx->fp))
		return NULL;
	while ((ch = fgetc(ctx->fp)) != EOF) {
		if (n < num - 1)
			str[n++] = (char)ch;
		else if (ch != '\n' && ch != '\r')
			ctx->too_long = true;
		if (ch == '\n')
			break;
	}
	if (n == 0 && ch == EOF)
		return NULL;
	str[n] = 0;
	ctx->line++;
	ctx->continuation = n > 0 && (str[0] == ' ' || str[0] == '\t') &&
			    strspn(str, " \t\r\n") != (size_t)n;
	if (ctx->too_long && !ctx->err_line) {
		ctx->err_line = ctx->line;
		snprintf(ctx->err, ctx->errlen, "%s:%d: line longer than %d characters "
			 "(continue a long value on indented lines)", ctx->file, ctx->line,
			 CONFIG_LINE_MAX);
	}
	ctx->too_long = false;
	return str;
}

#define FAIL(...) do { \
	if (!ctx->err_line) { \
		int _n = snprintf(ctx->err, ctx->errlen, "%s:%d: [%s] %s: ", ctx->file, \
				  ctx->line, section, name); \
		if (_n > 0 && (size_t)_n < ctx->errlen) \
			snprintf(ctx->err + _n, ctx->errlen - (size_t)_n, __VA_ARGS__); \
		ctx->err_line = ctx->line; \
	} \
	return 0; \
} while (0)

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_uint(const char *v, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long x;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -ERANGE;
	*out = (unsigned)x;
	return 0;
}

static int copy_str(char *dst, size_t len, const char *v)
{
	size_t n = strlen(v);
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dst, v, n + 1);
	return 0;
}

static int handle_vm(struct parse_ctx *ctx, const char *section, const char *name, const char *value)
{
	struct vm_config *c = ctx->c;
	uint64_t sz;

	if (!strcmp(name, "name")) {
		if (!config_name_valid(value))
			FAIL("'%s' is not a valid name (letters, digits, '-', '_', '.'; at most %d)",
			     value, CONFIG_NAME_MAX - 1);
		snprintf(c->name, sizeof(c->name), "%s", value);
	} else if (!strcmp(name, "cpus")) {
		if (parse_uint(value, 1, CONFIG_MAX_CPUS, &c->cpus))
			FAIL("'%s' is not a vCPU count from 1 to %d", value, CONFIG_MAX_CPUS);
	} else if (!strcmp(name, "memory")) {
		if (config_parse_size(value, &sz) || sz < CONFIG_MIN_MEMORY || sz > CONFIG_MAX_MEMORY ||
		    sz % 4096)
			FAIL("'%s' is not a memory size from 2M to 1T, a multiple of 4K (e.g. 256M, 2G)",
			     value);
		c->memory = sz;
	} else if (!strcmp(name, "kernel")) {
		if (config_resolve_path(ctx->dir, value, c->kernel, sizeof(c->kernel)))
			FAIL("path too long");
		snprintf(c->kernel_spec, sizeof(c->kernel_spec), "%s",
			 strncmp(value, "@guests/", 8) ? "" : value);
	} else if (!strcmp(name, "cmdline")) {
		size_t have = strlen(c->cmdline);
		bool append = ctx->continuation && !strcmp(ctx->last_key, "cmdline");
		if (have + 1 + strlen(value) >= sizeof(c->cmdline))
			FAIL("command line longer than %d bytes", CONFIG_CMDLINE_MAX - 1);
		if (append && have)
			strcat(c->cmdline, " ");
		else
			c->cmdline[0] = 0;
		strcat(c->cmdline, value);
	} else if (!strcmp(name, "trap_msrs")) {
		if (parse_bool(value, &c->trap_msrs))
			FAIL("'%s' is not true/false", value);
	} else if (!strcmp(name, "module")) {
		struct config_module *m;
		char path[PATH_MAX];
		const char *sp = strchr(value, ' ');
		size_t plen = sp ? (size_t)(sp - value) : strlen(value);
		if (c->nmodules == CONFIG_MAX_MODULES)
			FAIL("too many modules (at most %d)", CONFIG_MAX_MODULES);
		if (plen >= sizeof(path))
			FAIL("path too long");
		memcpy(path, value, plen);
		path[plen] = 0;
		m = &c->modules[c->nmodules];
		if (config_resolve_path(ctx->dir, path, m->path, sizeof(m->path)))
			FAIL("path too long");
		if (copy_str(m->args, sizeof(m->args), sp ? sp + 1 : ""))
			FAIL("module arguments too long");
		c->nmodules++;
	} else {
		FAIL("unknown key (known: name, cpus, memory, kernel, cmdline, module, trap_msrs)");
	}
	return 1;
}

static int handle_display(struct parse_ctx *ctx, const char *section, const char *name,
			  const char *value)
{
	struct config_display *d = &ctx->c->display;

	d->enabled = true;
	if (!strcmp(name, "width")) {
		if (parse_uint(value, 64, 4096, &d->width))
			FAIL("'%s' is not a width from 64 to 4096", value);
	} else if (!strcmp(name, "height")) {
		if (parse_uint(value, 64, 2048, &d->height))
			FAIL("'%s' is not a height from 64 to 2048", value);
	} else if (!strcmp(name, "vnc")) {
		if (copy_str(d->vnc, sizeof(d->vnc), value))
			FAIL("value too long");
	} else if (!strcmp(name, "vnc_password")) {
		if (copy_str(d->vnc_password, sizeof(d->vnc_password), value))
			FAIL("value too long");
	} else if (!strcmp(name, "enabled")) {
		if (parse_bool(value, &d->enabled))
			FAIL("'%s' is not true/false", value);
	} else {
		FAIL("unknown key (known: width, height, vnc, vnc_password, enabled)");
	}
	return 1;
}

static int handle_disk(struct parse_ctx *ctx, const char *section, const char *name,
		       const char *value)
{
	unsigned idx;
	struct config_disk *d;

	if (parse_uint(section + 5, 0, CONFIG_MAX_DISKS - 1, &idx))
		FAIL("disk sections are [disk.0] to [disk.%d]", CONFIG_MAX_DISKS - 1);
	d = &ctx->c->disks[idx];
	if (!d->present) {
		d->present = true;
		snprintf(d->cache, sizeof(d->cache), "writeback");
	}
	if (!strcmp(name, "path")) {
		if (config_resolve_path(ctx->dir, value, d->path, sizeof(d->path)))
			FAIL("path too long");
	} else if (!strcmp(name, "format")) {
		if (strcmp(value, "raw") && strcmp(value, "qcow2"))
			FAIL("'%s' is not a disk format (raw or qcow2)", value);
		snprintf(d->format, sizeof(d->format), "%s", value);
	} else if (!strcmp(name, "readonly")) {
		if (parse_bool(value, &d->readonly))
			FAIL("'%s' is not true/false", value);
	} else if (!strcmp(name, "cache")) {
		if (strcmp(value, "writeback") && strcmp(value, "writethrough") &&
		    strcmp(value, "none") && strcmp(value, "unsafe"))
			FAIL("'%s' is not a cache mode (writeback, writethrough, none, unsafe)", value);
		snprintf(d->cache, sizeof(d->cache), "%s", value);
	} else if (!strcmp(name, "serial")) {
		/* virtio 1.2 5.2.6: the ID string is at most 20 bytes. */
		size_t n = strlen(value);
		if (n == 0 || n > 20 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789-_.") != n)
			FAIL("'%s' is not a disk serial (1 to 20 letters, digits, '-', '_', '.')", value);
		snprintf(d->serial, sizeof(d->serial), "%s", value);
	} else {
		FAIL("unknown key (known: path, format, readonly, cache, serial)");
	}
	return 1;
}

static int parse_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	int r;

	if (ctx->err_line)
		return 0;
	if (!strcmp(section, "vm"))
		r = handle_vm(ctx, section, name, value);
	else if (!strcmp(section, "display"))
		r = handle_display(ctx, section, name, value);
	else if (!strncmp(section, "disk.", 5))
		r = handle_disk(ctx, section, name, value);
	else
		FAIL("unknown section (known: [vm], [display], [disk.N])");
	snprintf(ctx->last_key, sizeof(ctx->last_key), "%s", name);
	snprintf(ctx->last_section, sizeof(ctx->last_section), "%s", section);
	return r;
}

int config_load(const char *path, struct vm_config *c, char *err, size_t errlen)
{
	struct parse_ctx ctx = { .c = c, .file = path, .err = err, .errlen = errlen };
	char tmp[PATH_MAX];
	int r;

	config_defaults(c);
	if (snprintf(c->path, sizeof(c->path), "%s", path) >= (int)sizeof(c->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(ctx.dir, sizeof(ctx.dir), "%s", dirname(tmp));
	ctx.fp = fopen(path, "r");
	if (!ctx.fp) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	r = ini_parse_stream(parse_reader, &ctx, parse_handler, &ctx);
	fclose(ctx.fp);
	/* inih reports the first bad line but carries on; an earlier syntax
	 * error explains later complaints, so it wins. */
	if (ctx.err_line && !(r > 0 && r < ctx.err_line))
		return -EINVAL;
	if (r > 0) {
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
			 path, r);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot parse", path);
		return -EIO;
	}
	if (!c->name[0]) {
		/* Default name: the file's base name without .ini. */
		char *base = basename(tmp), *dot;
		snprintf(tmp, sizeof(tmp), "%s", path);
		base = basename(tmp);
		dot = strrchr(base, '.');
		if (dot)
			*dot = 0;
		if (!strcmp(base, "vm")) {
			snprintf(tmp, sizeof(tmp), "%s", path);
			base = basename(dirname(tmp));
		}
		if (config_name_valid(base))
			snprintf(c->name, sizeof(c->name), "%s", base);
	}
	return 0;
}

int config_validate(const struct vm_config *c, char *err, size_t errlen)
{
	const char *src = c->path[0] ? c->path : "command line";
	struct stat st;

	if (!c->kernel[0]) {
		snprintf(err, errlen, "%s: [vm] kernel: missing (the Multiboot kernel to boot)", src);
		return -EINVAL;
	}
	if (stat(c->kernel, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: [vm] kernel: %s: %s", src, c->kernel,
			 errno ? strerror(errno) : "not a regular file");
		return -ENOENT;
	}
	for (unsigned i = 0; i < c->nmodules; i++) {
		if (stat(c->modules[i].path, &st) || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%s: [vm] module: %s: %s", src, c->modules[i].path,
				 strerror(errno ? errno : EINVAL));
			return -ENOENT;
		}
	}
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *d = &c->disks[i];
		if (!d->present)
			continue;
		if (!d->path[0] || !d->format[0]) {
			snprintf(err, errlen, "%s: [disk.%u] %s: missing (required)", src, i,
				 !d->path[0] ? "path" : "format");
			return -EINVAL;
		}
		if (stat(d->path, &st)) {
			snprintf(err, errlen, "%s: [disk.%u] path: %s: %s", src, i, d->path,
				 strerror(errno));
			return -ENOENT;
		}
	}
	return 0;
}

/* A command line longer than a line goes on indented continuation lines,
 * which config_load joins with one space (none after an empty first
 * value): break only at a single space before something that does not
 * start an inih comment. Any word config_load accepted fits on a line. */
static void save_cmdline(FILE *f, const char *s)
{
	const char *prefix = "cmdline = ";
	size_t len = strlen(s);

	while (len) {
		size_t room = CONFIG_LINE_MAX - strlen(prefix), cut = len;
		if (len > room) {
			for (cut = room; cut > 0; cut--)
				if (s[cut] == ' ' && s[cut - 1] != ' ' && s[cut + 1] != ' ' &&
				    s[cut + 1] != ';' && s[cut + 1] != '#')
					break;
			if (!cut && prefix[0] != ' ') { /* first word too long: start below */
				fputs("cmdline =\n", f);
				prefix = " ";
				continue;
			}
			if (!cut) /* no place to break: one line, as long as it is */
				cut = len;
		}
		fprintf(f, "%s%.*s\n", prefix, (int)cut, s);
		s += cut;
		len -= cut;
		if (len) { /* the space config_load puts back */
			s++;
			len--;
		}
		prefix = " ";
	}
}

int config_save(const struct vm_config *c, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return r;
	}
	/* Memory is a multiple of 4K, not always of 1M: write it exactly. */
	fprintf(f, "[vm]\nname = %s\ncpus = %u\nmemory = %llu%s\nkernel = %s\n",
		c->name, c->cpus,
		(unsigned long long)(c->memory % (1 << 20) ? c->memory >> 10 : c->memory >> 20),
		c->memory % (1 << 20) ? "K" : "M", c->kernel_spec[0] ? c->kernel_spec : c->kernel);
	if (c->cmdline[0])
		save_cmdline(f, c->cmdline);
	for (unsigned i = 0; i < c->nmodules; i++)
		fprintf(f, "module = %s%s%s\n", c->modules[i].path,
			c->modules[i].args[0] ? " " : "", c->modules[i].args);
	if (c->trap_msrs)
		fprintf(f, "trap_msrs = true\n");
	if (c->display.enabled) {
		fprintf(f, "\n[display]\nwidth = %u\nheight = %u\nvnc = %s\n", c->display.width,
			c->display.height, c->display.vnc);
		if (c->display.vnc_password[0])
			fprintf(f, "vnc_password = %s\n", c->display.vnc_password);
	}
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *d = &c->disks[i];
		if (!d->present)
			continue;
		fprintf(f, "\n[disk.%u]\npath = %s\nformat = %s\nreadonly = %s\ncache = %s\n",
			i, d->path, d->format, d->readonly ? "true" : "false", d->cache);
		if (d->serial[0])
			fprintf(f, "serial = %s\n", d->serial);
	}
	if (fflush(f) || fsync(fileno(f)))
		r = -errno;
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		unlink(tmp);
	}
	return r;
}

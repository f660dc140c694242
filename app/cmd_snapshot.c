/* Snapshot and clone subcommands: snapshot, snapshots, restore,
 * snapshot-rm, clone (vmsnap.h does the work). */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_vm.h"
#include "config.h"
#include "vmsnap.h"

/* What the command line asked for, beyond the positional arguments. */
struct snap_opts {
	const char *cmd;
	bool json, linked, full;
	const char *from_tag;
};

struct snap_cmd {
	const char *name;
	const char *usage;
	int min_args, max_args;   /* positional arguments */
	int (*run)(struct vmlib *lib, char **args, int nargs, const struct snap_opts *o);
};

static const char *human(uint64_t v, char *buf, size_t len)
{
	const char *u = "BKMGT";
	double d = (double)v;

	while (d >= 1024 && u[1]) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, *u == 'B' ? "%.0f%c" : "%.1f%c", d, *u);
	return buf;
}

static int fail_with(const struct snap_opts *o, const char *err)
{
	fprintf(stderr, "vmdeck %s: %s\n", o->cmd, err);
	return 1;
}

static int run_snapshot(struct vmlib *lib, char **args, int nargs, const struct snap_opts *o)
{
	char err[2048], tag[VMSNAP_TAG_MAX];

	if (nargs > 1 && !vmsnap_tag_valid(args[1]))
		return fail_with(o, "bad TAG: letters, digits, '-', '_', '.' (at most 63; not "
				 "starting with '.' or '-')");
	if (vmsnap_take(lib, args[0], nargs > 1 ? args[1] : NULL, tag, sizeof(tag), err,
			sizeof(err)))
		return fail_with(o, err);
	printf("%s: snapshot '%s' taken\n", args[0], tag);
	return 0;
}

static void print_tree(const struct vmsnap_info *v, size_t n, const char *parent, int depth,
		       int guard)
{
	char when[32], size[16];

	if (guard > 64)
		return; /* a parent loop in hand-edited info files */
	for (size_t i = 0; i < n; i++) {
		bool root = !v[i].parent[0];
		if (!parent) {
			/* roots: no parent, or a parent that no longer exists */
			for (size_t j = 0; j < n && !root; j++)
				if (!strcmp(v[j].tag, v[i].parent))
					break;
				else if (j == n - 1)
					root = true;
			if (!root)
				continue;
		} else if (strcmp(v[i].parent, parent)) {
			continue;
		}
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&v[i].created));
		printf("%c %*s%s%-*s %s %8s %5uc %6s%s\n", v[i].current ? '*' : ' ', depth * 2, "",
		       depth ? "`-" : "", 28 - depth * 2 - (depth ? 2 : 0) > 0 ?
		       28 - depth * 2 - (depth ? 2 : 0) : 1, v[i].tag, when,
		       human(v[i].bytes, size, sizeof(size)), v[i].cpus,
		       human(v[i].memory, (char[16]){ 0 }, 16), v[i].has_screen ? "  screen" : "");
		print_tree(v, n, v[i].tag, depth + 1, guard + 1);
	}
}

static int run_list(struct vmlib *lib, char **args, int nargs, const struct snap_opts *o)
{
	struct vmsnap_info *v;
	char err[2048];
	size_t n;

	if (vmsnap_list(lib, args[0], &v, &n, err, sizeof(err)))
		return fail_with(o, err);
	if (o->json) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "tag", json_object_new_string(v[i].tag));
			json_object_object_add(e, "parent", json_object_new_string(v[i].parent));
			json_object_object_add(e, "created", json_object_new_int64(v[i].created));
			json_object_object_add(e, "bytes", json_object_new_int64((int64_t)v[i].bytes));
			json_object_object_add(e, "memory", json_object_new_int64((int64_t)v[i].memory));
			json_object_object_add(e, "cpus", json_object_new_int((int)v[i].cpus));
			json_object_object_add(e, "has_screen", json_object_new_boolean(v[i].has_screen));
			json_object_object_add(e, "current", json_object_new_boolean(v[i].current));
			json_object_array_add(a, e);
		}
		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(a);
	} else if (n == 0) {
		printf("%s has no snapshots\n", args[0]);
	} else {
		printf("  %-28s %-19s %8s %6s %6s\n", "TAG", "CREATED", "SIZE", "CPUS", "MEMORY");
		print_tree(v, n, NULL, 0, 0);
		printf("(* = current: the VM last took, restored or started from it)\n");
	}
	free(v);
	return 0;
}

static int run_restore(struct vmlib *lib, char **args, int nargs, const struct snap_opts *o)
{
	struct vmlib_entry e;
	char err[2048];
	bool was_stopped;

	if (vmlib_get(lib, args[0], &e, err, sizeof(err)))
		return fail_with(o, err);
	was_stopped = e.state == VMLIB_STOPPED || e.state == VMLIB_DEAD;
	if (vmsnap_restore(lib, args[0], args[1], err, sizeof(err)))
		return fail_with(o, err);
	printf(was_stopped ? "%s started from snapshot '%s'\n" : "%s restored to snapshot '%s'\n",
	       args[0], args[1]);
	return 0;
}

static int run_rm(struct vmlib *lib, char **args, int nargs, const struct snap_opts *o)
{
	char err[2048];

	if (vmsnap_remove(lib, args[0], args[1], err, sizeof(err)))
		return fail_with(o, err);
	printf("%s: snapshot '%s' removed\n", args[0], args[1]);
	return 0;
}

static int run_clone(struct vmlib *lib, char **args, int nargs, const struct snap_opts *o)
{
	struct timespec t0, t1;
	char err[2048];

	if (o->linked && o->full)
		return fail_with(o, "--linked or --full, not both");
	if (!config_name_valid(args[1]))
		return fail_with(o, "bad DST name (letters, digits, '-', '_', '.')");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (vmsnap_clone(lib, args[0], args[1], o->full ? VMSNAP_CLONE_FULL : VMSNAP_CLONE_LINKED,
			 o->from_tag, err, sizeof(err)))
		return fail_with(o, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s cloned to %s (%s) in %.1f ms\n", args[0], args[1], o->full ? "full" : "linked",
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return 0;
}

static const struct snap_cmd snap_cmds[] = {
	{ "snapshot", "usage: vmdeck snapshot NAME [TAG] [--library DIR]\n\n"
	  "Snapshots the running VM NAME (state, memory, screen; disks become a\n"
	  "frozen image and a new overlay) into LIB/vms/NAME/snapshots/TAG; the VM\n"
	  "keeps running. TAG: letters, digits, '-', '_', '.'; default: from the time.\n",
	  1, 2, run_snapshot },
	{ "snapshots", "usage: vmdeck snapshots NAME [--json] [--library DIR]\n\n"
	  "Lists NAME's snapshots as a tree (parent -> child) with time, size on disk,\n"
	  "vCPUs, memory; '*' marks the current one.\n", 1, 1, run_list },
	{ "restore", "usage: vmdeck restore NAME TAG [--library DIR]\n\n"
	  "A running VM jumps back to snapshot TAG in place (checked first: a bad\n"
	  "snapshot is refused and the VM runs on unchanged); a stopped VM starts\n"
	  "from it.\n", 2, 2, run_restore },
	{ "snapshot-rm", "usage: vmdeck snapshot-rm NAME TAG [--library DIR]\n\n"
	  "Deletes snapshot TAG of NAME; refused (naming who) while a clone or\n"
	  "another VM or snapshot depends on its files.\n", 2, 2, run_rm },
	{ "clone", "usage: vmdeck clone SRC DST [--linked|--full] [--from-snapshot TAG] "
	  "[--library DIR]\n\n"
	  "Makes DST a copy of SRC with its own identity (name, VNC port).\n"
	  "  stopped SRC, --linked (default): new qcow2 overlays on SRC's disks, which\n"
	  "                become read-only bases (no data copied)\n"
	  "  --full        copies the disks (progress on a terminal)\n"
	  "  running SRC or --from-snapshot TAG: from a snapshot (taken now for a\n"
	  "                running SRC); DST starts running from it, sharing its memory\n"
	  "                file copy-on-write; both run on independently\n", 2, 2, run_clone },
};

static int snap_cmd_main(const struct snap_cmd *sc, int argc, char **argv)
{
	enum { O_LIB = 256, O_JSON, O_LINKED, O_FULL, O_FROM };
	static const struct option opts[] = {
		{ "library", required_argument, NULL, O_LIB },
		{ "json", no_argument, NULL, O_JSON },
		{ "linked", no_argument, NULL, O_LINKED },
		{ "full", no_argument, NULL, O_FULL },
		{ "from-snapshot", required_argument, NULL, O_FROM },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool is_clone = !strcmp(sc->name, "clone"), is_list = !strcmp(sc->name, "snapshots");
	struct snap_opts o = { .cmd = sc->name };
	const char *library = NULL;
	struct vmlib lib;
	int c, nargs;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == O_LIB) {
			library = optarg;
		} else if (c == 'h') {
			fputs(sc->usage, stdout);
			return 0;
		} else if (c == O_JSON && is_list) {
			o.json = true;
		} else if (c == O_LINKED && is_clone) {
			o.linked = true;
		} else if (c == O_FULL && is_clone) {
			o.full = true;
		} else if (c == O_FROM && is_clone) {
			if (!vmsnap_tag_valid(optarg)) {
				fprintf(stderr, "vmdeck clone: --from-snapshot '%s': not a valid tag\n",
					optarg);
				return 1;
			}
			o.from_tag = optarg;
		} else {
			if (c != '?')
				fprintf(stderr, "vmdeck %s: unknown option '%s'\n", sc->name,
					argv[optind - 1]);
			fputs(sc->usage, stderr);
			return 1;
		}
	}
	nargs = argc - optind;
	if (nargs < sc->min_args || nargs > sc->max_args) {
		fprintf(stderr, "vmdeck %s: %s\n%s", sc->name,
			nargs < sc->min_args ? "missing arguments" : "too many arguments", sc->usage);
		return 1;
	}
	if (!config_name_valid(argv[optind])) {
		fprintf(stderr, "vmdeck %s: '%s' is not a valid VM name\n", sc->name, argv[optind]);
		return 1;
	}
	if (cmd_open_library(library, &lib, sc->name))
		return 1;
	return sc->run(&lib, argv + optind, nargs, &o);
}

int cmd_snapshot(const char *cmd, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(snap_cmds) / sizeof(snap_cmds[0]); i++)
		if (!strcmp(cmd, snap_cmds[i].name))
			return snap_cmd_main(&snap_cmds[i], argc, argv);
	return -1;
}

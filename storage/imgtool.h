/* `vmdeck img`: create, info, check, convert, commit, rebase, bench.
 *
 * Formats: every command takes -f FMT for the image named on the command
 * line. Without -f, the format of that top-level image only is read from its
 * magic (qcow2 magic -> qcow2, anything else -> raw): the user named the
 * file. Backing files are never probed; their format comes from the qcow2
 * header (backing-format extension) or the command fails. */
#ifndef VMDECK_STORAGE_IMGTOOL_H
#define VMDECK_STORAGE_IMGTOOL_H

#include <stdbool.h>
#include <stdint.h>

/* argv[0] is "img"; returns the process exit status (check: 0 clean,
 * 2 corruption, 3 leaks, 1 could not check; others: 0 ok, 1 error). */
int imgtool_main(int argc, char **argv);

/* internal to imgtool*.c */
struct imgtool_progress {
	bool on;
	uint64_t total;
	int last;
	const char *what;
};
void imgtool_progress_start(struct imgtool_progress *p, const char *what, uint64_t total);
void imgtool_progress_update(struct imgtool_progress *p, uint64_t done);
void imgtool_progress_end(struct imgtool_progress *p);
int imgtool_bench(int argc, char **argv);
/* -f given or probe the top-level image */
int imgtool_format(const char *path, const char *given, const char **fmt);

#endif

/* Snapshots as the dashboard shows them: the tree order (each snapshot
 * after its parent, indented by depth), a default tag made from the time,
 * tag rules with a message, compact time formatting. Pure functions
 * (unit-tested); the list itself comes from vmsnap_list (snapset.h). */
#ifndef VMDECK_UI_SNAPTREE_H
#define VMDECK_UI_SNAPTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "vmsnap.h"

struct snaptree_row {
	size_t idx;          /* into the vmsnap_info array */
	unsigned depth;      /* 0 for a root */
};

/* Fills rows[0..n) with every snapshot exactly once: roots (no parent, or a
 * parent not in the list) in list order, each followed by its descendants,
 * children in list order (oldest first). Parent cycles cannot loop: a
 * snapshot already placed is never placed again. Returns n. */
size_t snaptree_layout(const struct vmsnap_info *s, size_t n, struct snaptree_row *rows);

/* The row showing the current snapshot, or 0 when none is current. */
size_t snaptree_current_row(const struct vmsnap_info *s, const struct snaptree_row *rows, size_t n);

/* A tag from the time ("snap-20240131-142501", local time, as the CLI
 * makes them), made unique among the existing ones with "-2", "-3", ... */
void snaptag_default(time_t when, const struct vmsnap_info *s, size_t n, char *out, size_t len);

/* NULL when tag is acceptable (what vmsnap_tag_valid accepts: 1-63 of
 * letters, digits, '-', '_', '.', not starting with '.' or '-', no "..",
 * no ".tmp."), else what is wrong. */
const char *snaptag_problem(const char *tag);

/* The tree column: current marker ('*' or ' '), two spaces per level of
 * depth (at most 8 levels), a branch mark for children ("└ " or "` "), the
 * tag. */
void snaptree_label(const struct vmsnap_info *s, unsigned depth, bool utf8, char *out, size_t len);

/* "14:25:01" when t is on the same day as now, "Jan 31 14:25" otherwise. */
void snaptime_fmt(time_t t, time_t now, char *out, size_t len);

#endif

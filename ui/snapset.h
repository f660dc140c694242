/* One VM's snapshots as listed by vmsnap_list, in tree order: what the
 * detail panel, the restore picker and the clone dialog show. */
#ifndef VMDECK_UI_SNAPSET_H
#define VMDECK_UI_SNAPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "snaptree.h"
#include "vmlib.h"
#include "vmsnap.h"

struct snapset {
	char vm[VMLIB_NAME_MAX];     /* whose snapshots ("" = none loaded) */
	struct vmsnap_info *s;       /* oldest first */
	struct snaptree_row *row;    /* tree order */
	size_t n;
	char err[160];               /* vmsnap_list's last error, "" if fine */
};

/* Lists vm's snapshots (replacing what set held). Returns 0 or -errno;
 * on failure set holds no snapshots and err says why. */
int snapset_load(struct snapset *set, struct vmlib *lib, const char *vm);
void snapset_free(struct snapset *set);
/* The snapshot at tree row r (inline: the dialogs use these without
 * pulling vmsnap_list into pure unit tests). */
static inline const struct vmsnap_info *snapset_at(const struct snapset *set, size_t r)
{
	return r < set->n ? &set->s[set->row[r].idx] : NULL;
}

static inline bool snapset_has(const struct snapset *set, const char *tag)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->s[i].tag, tag))
			return true;
	return false;
}

#endif

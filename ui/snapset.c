/* Loading a VM's snapshot list. */
#include "snapset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void snapset_free(struct snapset *set)
{
	free(set->s);
	free(set->row);
	set->s = NULL;
	set->row = NULL;
	set->n = 0;
	set->vm[0] = 0;
}

int snapset_load(struct snapset *set, struct vmlib *lib, const char *vm)
{
	struct vmsnap_info *s = NULL;
	size_t n = 0;
	int r;

	snapset_free(set);
	snprintf(set->vm, sizeof(set->vm), "%s", vm);
	set->err[0] = 0;
	r = vmsnap_list(lib, vm, &s, &n, set->err, sizeof(set->err));
	if (r < 0) {
		free(s);
		return r;
	}
	if (n) {
		set->row = calloc(n, sizeof(*set->row));
		if (!set->row) {
			free(s);
			snprintf(set->err, sizeof(set->err), "out of memory");
			return -ENOMEM;
		}
		snaptree_layout(s, n, set->row);
	}
	set->s = s;
	set->n = n;
	return 0;
}

/* Who depends on a VM or on one of its snapshots; see vmsnap_int.h.
 *
 * A dependency is found from the files themselves, not from bookkeeping
 * that could go stale: every disk of every VM definition and of every
 * snapshot's config.ini in the library is opened read-only with its
 * backing chain, and a file of the chain inside the directory about to be
 * removed is a dependency. Linked clones also record their origin (a
 * clone made from a snapshot may back onto images that live next to the
 * source's disks rather than inside the snapshot directory). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"
#include "vmproc.h"
#include "vmsnap_int.h"

struct dep_target {
	char dir[PATH_MAX];      /* realpath of what is removed */
	size_t len;
	const char *name, *tag;
};

static bool inside(const struct dep_target *t, const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return false;
	return !strncmp(real, t->dir, t->len) && real[t->len] == '/';
}

/* A disk chain file of cfg inside t: describes it in what. */
static bool config_uses(const struct dep_target *t, const struct vm_config *cfg, char *what,
			size_t len)
{
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *cd = &cfg->disks[i];
		struct disk_open_opts o = { .readonly = true };
		struct disk *d, *x;
		char derr[256];
		bool hit = false;

		if (!cd->present)
			continue;
		if (inside(t, cd->path)) {
			snprintf(what, len, "its disk.%u is %s", i, cd->path);
			return true;
		}
		if (disk_open(cd->path, cd->format, &o, &d, derr, sizeof(derr)))
			continue; /* unreadable: nothing it could lose */
		for (x = d; x && x->backing && !hit; x = x->backing) {
			if (x->backing_path && inside(t, x->backing_path)) {
				snprintf(what, len, "its disk.%u backs onto %s", i, x->backing_path);
				hit = true;
			}
		}
		disk_close(d);
		if (hit)
			return true;
	}
	return false;
}

/* LIB/vms/V/origin names t ("SRC" or "SRC TAG"). */
static bool origin_is(const struct vmlib *lib, const char *v, const struct dep_target *t)
{
	char path[PATH_MAX], buf[VMLIB_NAME_MAX + VMSNAP_TAG_MAX + 4], *sp;
	FILE *f;
	bool hit = false;

	if (vmproc_vm_path(lib, v, "origin", path, sizeof(path)) || !(f = fopen(path, "re")))
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		sp = strchr(buf, ' ');
		if (sp)
			*sp++ = 0;
		hit = !strcmp(buf, t->name) && (!t->tag || (sp && !strcmp(sp, t->tag)));
	}
	fclose(f);
	return hit;
}

/* Checks VM v: its definition, its origin, each of its snapshots. */
static bool vm_depends(const struct vmlib *lib, const char *v, const struct dep_target *t,
		       struct vm_config *cfg, char *who, size_t wholen)
{
	char path[PATH_MAX], top[PATH_MAX], what[PATH_MAX + 64], cerr[256];
	bool self = !strcmp(v, t->name);
	struct dirent *d;
	DIR *dp;

	if (!self && origin_is(lib, v, t)) {
		snprintf(who, wholen, "VM '%s' (a linked clone of %s%s%s)", v, t->name,
			 t->tag ? "'s snapshot " : "", t->tag ? t->tag : "");
		return true;
	}
	/* Removing a whole VM: its own files do not count. */
	if (self && !t->tag)
		return false;
	if (!vmproc_vm_path(lib, v, "vm.ini", path, sizeof(path)) &&
	    !config_load(path, cfg, cerr, sizeof(cerr)) && config_uses(t, cfg, what, sizeof(what))) {
		snprintf(who, wholen, "VM '%s' (%s)", v, what);
		return true;
	}
	if (vmsnap_path(lib, v, NULL, top, sizeof(top)) || !(dp = opendir(top)))
		return false;
	while ((d = readdir(dp))) {
		if (!vmsnap_tag_valid(d->d_name) || (self && t->tag && !strcmp(d->d_name, t->tag)))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/config.ini", top, d->d_name) >=
		    (int)sizeof(path) || config_load(path, cfg, cerr, sizeof(cerr)))
			continue;
		if (config_uses(t, cfg, what, sizeof(what))) {
			snprintf(who, wholen, "snapshot '%s' of VM '%s' (%s)", d->d_name, v, what);
			closedir(dp);
			return true;
		}
	}
	closedir(dp);
	return false;
}

int vmsnap_find_dependant(struct vmlib *lib, const char *name, const char *tag, char *who,
			  size_t wholen)
{
	struct dep_target t = { .name = name, .tag = tag };
	char vms[PATH_MAX + 8], dir[PATH_MAX];
	struct vm_config *cfg;
	struct dirent *d;
	DIR *dp;
	int r = 0;

	who[0] = 0;
	if ((tag ? vmsnap_path(lib, name, tag, dir, sizeof(dir)) :
		   vmproc_vm_path(lib, name, NULL, dir, sizeof(dir))) ||
	    !realpath(dir, t.dir))
		return 0; /* nothing there to depend on */
	t.len = strlen(t.dir);
	snprintf(vms, sizeof(vms), "%s/vms", lib->dir);
	cfg = malloc(sizeof(*cfg));
	if (!cfg || !(dp = opendir(vms))) {
		free(cfg);
		return 0;
	}
	while (!r && (d = readdir(dp)))
		if (config_name_valid(d->d_name) && vm_depends(lib, d->d_name, &t, cfg, who, wholen))
			r = -EBUSY;
	closedir(dp);
	free(cfg);
	return r;
}

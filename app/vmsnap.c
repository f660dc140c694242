/* Snapshots of library VMs: take, list, restore, remove, suspend/resume;
 * see vmsnap.h. Running VMs are reached through their control socket; a
 * stopped VM restores by starting its VM process from the snapshot.
 * Clones are vmsnap_clone.c, dependencies vmsnap_deps.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmctl.h"
#include "vmproc.h"
#include "vmsnap_int.h"

#define VMSNAP_WAIT_STOP_MS 10000

static int bad_tag(const char *tag, char *err, size_t errlen)
{
	snprintf(err, errlen, "'%.80s' is not a valid snapshot tag (letters, digits, '-', '_', "
		 "'.'; at most %d characters; not starting with '.' or '-')", tag,
		 VMSNAP_TAG_MAX - 1);
	return -EINVAL;
}

/* The VM exists (vm.ini); its live state in *e when e is given. */
static int need_vm(struct vmlib *lib, const char *name, struct vmlib_entry *e, char *err,
		   size_t errlen)
{
	struct vmlib_entry tmp;

	return vmlib_get(lib, name, e ? e : &tmp, err, errlen);
}

static bool is_running(const struct vmlib_entry *e)
{
	return e->state == VMLIB_RUNNING || e->state == VMLIB_PAUSED;
}

/* The snapshot directory of an existing, complete snapshot. */
static int need_snap(struct vmlib *lib, const char *name, const char *tag, char *dir, size_t len,
		     char *err, size_t errlen)
{
	char state[PATH_MAX + 16];
	struct stat st;

	if (!vmsnap_tag_valid(tag))
		return bad_tag(tag, err, errlen);
	if (vmsnap_path(lib, name, tag, dir, len)) {
		snprintf(err, errlen, "snapshot '%s': path too long", tag);
		return -ENAMETOOLONG;
	}
	snprintf(state, sizeof(state), "%s/state.bin", dir);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || stat(state, &st) < 0) {
		snprintf(err, errlen, "%s has no snapshot '%s'", name, tag);
		return -ENOENT;
	}
	return 0;
}

int vmsnap_take(struct vmlib *lib, const char *name, const char *tag, char *tag_out,
		size_t tag_len, char *err, size_t errlen)
{
	struct vmlib_entry e;
	struct vmctl c;
	struct vmctl_snap_result res;
	char t[VMSNAP_TAG_MAX], dir[PATH_MAX];
	struct stat st;
	int r = need_vm(lib, name, &e, err, errlen);

	if (r)
		return r;
	if (tag && *tag) {
		if (!vmsnap_tag_valid(tag))
			return bad_tag(tag, err, errlen);
		if (!strcmp(tag, VMSNAP_SUSPEND_TAG)) {
			snprintf(err, errlen, "the tag '%s' is reserved for `vmdeck stop --save`",
				 VMSNAP_SUSPEND_TAG);
			return -EINVAL;
		}
		snprintf(t, sizeof(t), "%s", tag);
	} else {
		vmsnap_make_tag(lib, name, t, sizeof(t));
	}
	if (!is_running(&e)) {
		snprintf(err, errlen, "%s is not running (a snapshot saves a running VM's state; "
			 "start it first)", name);
		return -EINVAL;
	}
	if (!vmsnap_path(lib, name, t, dir, sizeof(dir)) && stat(dir, &st) == 0) {
		snprintf(err, errlen, "%s already has a snapshot '%s'", name, t);
		return -EEXIST;
	}
	r = vmctl_connect(lib, name, &c, err, errlen);
	if (r)
		return r;
	r = vmctl_snapshot(&c, t, &res, err, errlen);
	vmctl_close(&c);
	if (!r && tag_out)
		snprintf(tag_out, tag_len, "%s", t);
	return r;
}

static uint64_t dir_bytes(const char *dir)
{
	char p[PATH_MAX];
	struct dirent *d;
	struct stat st;
	uint64_t sum = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return 0;
	while ((d = readdir(dp)))
		if (d->d_name[0] != '.' &&
		    snprintf(p, sizeof(p), "%s/%s", dir, d->d_name) < (int)sizeof(p) &&
		    lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_blocks * 512;
	closedir(dp);
	return sum;
}

static int info_cmp(const void *a, const void *b)
{
	const struct vmsnap_info *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->tag, y->tag);
}

/* One snapshot directory; false if it is not a complete snapshot. */
static bool read_info(const char *dir, const char *tag, const char *current,
		      struct vmsnap_info *out)
{
	struct vmsnap_meta m;
	char p[PATH_MAX];
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (snprintf(p, sizeof(p), "%s/state.bin", dir) >= (int)sizeof(p) || stat(p, &st) < 0)
		return false;
	snprintf(out->tag, sizeof(out->tag), "%.*s", VMSNAP_TAG_MAX - 1, tag);
	if (vmsnap_meta_read(dir, &m) == 0) {
		snprintf(out->parent, sizeof(out->parent), "%s", m.parent);
		out->created = m.created;
		out->cpus = m.cpus;
		out->memory = m.memory;
	}
	if (!out->created)
		out->created = st.st_mtime;
	if (!out->memory && snprintf(p, sizeof(p), "%s/memory.bin", dir) < (int)sizeof(p) &&
	    stat(p, &st) == 0)
		out->memory = (uint64_t)st.st_size;
	out->has_screen = snprintf(p, sizeof(p), "%s/screen.png", dir) < (int)sizeof(p) &&
			  stat(p, &st) == 0;
	out->bytes = dir_bytes(dir);
	out->current = !strcmp(tag, current);
	return true;
}

int vmsnap_list(struct vmlib *lib, const char *name, struct vmsnap_info **out, size_t *n,
		char *err, size_t errlen)
{
	char top[PATH_MAX], dir[PATH_MAX], current[VMSNAP_TAG_MAX];
	struct vmsnap_info *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *d;
	DIR *dp;
	int r = need_vm(lib, name, NULL, err, errlen);

	*out = NULL;
	*n = 0;
	if (r)
		return r;
	vmsnap_path(lib, name, NULL, top, sizeof(top));
	vmsnap_current_read(lib, name, current, sizeof(current));
	dp = opendir(top);
	if (!dp)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", top, strerror(errno)),
					      -EIO);
	while ((d = readdir(dp))) {
		struct vmsnap_info info;
		if (!vmsnap_tag_valid(d->d_name) ||
		    vmsnap_path(lib, name, d->d_name, dir, sizeof(dir)) ||
		    !read_info(dir, d->d_name, current, &info))
			continue;
		if (cnt == cap) {
			struct vmsnap_info *nv;
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dp);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = info;
	}
	closedir(dp);
	if (cnt)
		qsort(v, cnt, sizeof(*v), info_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

int vmsnap_restore(struct vmlib *lib, const char *name, const char *tag, char *err, size_t errlen)
{
	struct vmlib_entry e;
	struct vmctl c;
	char dir[PATH_MAX];
	int r = need_vm(lib, name, &e, err, errlen);

	if (!r)
		r = need_snap(lib, name, tag, dir, sizeof(dir), err, errlen);
	if (r)
		return r;
	if (e.state == VMLIB_STOPPED || e.state == VMLIB_DEAD)
		return vmlib_start_from(lib, name, dir, err, errlen);
	if (!is_running(&e)) {
		snprintf(err, errlen, "%s is starting or stopping; try again", name);
		return -EBUSY;
	}
	r = vmctl_connect(lib, name, &c, err, errlen);
	if (r)
		return r;
	r = vmctl_restore(&c, tag, NULL, err, errlen);
	vmctl_close(&c);
	return r;
}

/* Children of tag take tag's parent; .current moves to it too. */
static void reparent(struct vmlib *lib, const char *name, const char *tag, const char *parent)
{
	struct vmsnap_info *v;
	struct vmsnap_meta m;
	char dir[PATH_MAX], err[256], cur[VMSNAP_TAG_MAX];
	size_t n;

	if (vmsnap_list(lib, name, &v, &n, err, sizeof(err)))
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].parent, tag) || vmsnap_path(lib, name, v[i].tag, dir, sizeof(dir)) ||
		    vmsnap_meta_read(dir, &m))
			continue;
		snprintf(m.parent, sizeof(m.parent), "%s", parent);
		vmsnap_meta_write(dir, &m);
	}
	free(v);
	vmsnap_current_read(lib, name, cur, sizeof(cur));
	if (!strcmp(cur, tag))
		vmsnap_current_write(lib, name, parent);
}

static int remove_snap(struct vmlib *lib, const char *name, const char *tag, const char *dir,
		       char *err, size_t errlen)
{
	struct vmsnap_meta m;
	char who[512];
	int r = vmsnap_find_dependant(lib, name, tag, who, sizeof(who));

	if (r) {
		snprintf(err, errlen, "snapshot '%s' of %s is in use: %s depends on it", tag, name,
			 who);
		return r;
	}
	vmsnap_meta_read(dir, &m);
	r = vmsnap_rm_dir(dir, err, errlen);
	if (!r)
		reparent(lib, name, tag, m.parent);
	return r;
}

int vmsnap_remove(struct vmlib *lib, const char *name, const char *tag, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int r = need_vm(lib, name, NULL, err, errlen);

	if (!r)
		r = need_snap(lib, name, tag, dir, sizeof(dir), err, errlen);
	if (!r)
		r = remove_snap(lib, name, tag, dir, err, errlen);
	return r;
}

int vmsnap_start(struct vmlib *lib, const char *name, bool *resumed, char *err, size_t errlen)
{
	char dir[PATH_MAX], rerr[512];
	struct vmsnap_meta m;
	struct stat st;
	int r;

	if (resumed)
		*resumed = false;
	if (vmsnap_path(lib, name, VMSNAP_SUSPEND_TAG, dir, sizeof(dir)) || stat(dir, &st) < 0)
		return vmlib_start_from(lib, name, NULL, err, errlen);
	r = vmlib_start_from(lib, name, dir, err, errlen);
	if (r) {
		char tmp[1024];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "resuming from snapshot '%s' failed: %s (`vmdeck snapshot-rm "
			 "%s %s` discards it; the next start then boots)", VMSNAP_SUSPEND_TAG, tmp,
			 name, VMSNAP_SUSPEND_TAG);
		return r;
	}
	if (resumed)
		*resumed = true;
	/* The running VM maps its memory.bin, which stays valid unlinked: the
	 * next start is a cold boot. Something may depend on it (a clone made
	 * from it): then it stays, renamed. */
	vmsnap_meta_read(dir, &m);
	if (remove_snap(lib, name, VMSNAP_SUSPEND_TAG, dir, rerr, sizeof(rerr))) {
		char tag[VMSNAP_TAG_MAX], to[PATH_MAX];
		vmsnap_make_tag(lib, name, tag, sizeof(tag));
		memcpy(tag, "susp", 4);
		if (!vmsnap_path(lib, name, tag, to, sizeof(to)) && rename(dir, to) == 0)
			vmsnap_current_write(lib, name, tag);
	} else {
		vmsnap_current_write(lib, name, m.parent);
	}
	return 0;
}

int vmsnap_suspend(struct vmlib *lib, const char *name, char *err, size_t errlen)
{
	struct timespec d = { 0, 20 * 1000 * 1000 };
	struct vmlib_entry e;
	struct vmctl c;
	int r = need_vm(lib, name, &e, err, errlen);

	if (r)
		return r;
	if (!is_running(&e)) {
		snprintf(err, errlen, "%s is not running", name);
		return -EINVAL;
	}
	r = vmctl_connect(lib, name, &c, err, errlen);
	if (r)
		return r;
	r = vmctl_suspend(&c, err, errlen);
	vmctl_close(&c);
	if (r)
		return r;
	for (int i = 0; i < VMSNAP_WAIT_STOP_MS / 20; i++) {
		if (vmlib_get(lib, name, &e, err, errlen) || e.state == VMLIB_STOPPED ||
		    e.state == VMLIB_DEAD)
			return 0;
		nanosleep(&d, NULL);
	}
	snprintf(err, errlen, "%s: saved to snapshot '%s' but did not stop within %d s", name,
		 VMSNAP_SUSPEND_TAG, VMSNAP_WAIT_STOP_MS / 1000);
	return -ETIMEDOUT;
}

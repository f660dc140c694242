/* Clones of library VMs; see vmsnap.h.
 *
 * Stopped source, linked: each writable disk's current image becomes a
 * read-only base (mode 0444) and both VMs get a new qcow2 overlay on it
 * (backing format recorded, never probed): O(1) in disk size. A raw disk
 * gets a qcow2 overlay with backing format raw. Full: a sparse copy.
 * Running source, or --from-snapshot: the disks of the snapshot (the
 * images it froze) are the bases, and the clone starts from the snapshot:
 * its RAM maps the snapshot's memory.bin MAP_PRIVATE, so both VMs share the
 * unchanged pages copy-on-write. Read-only disks are shared as they are.
 * The clone's identity: its name, VNC "auto" instead of a fixed port;
 * virtio-rng hands each guest its own randomness. */
#include <errno.h>
#include <sys/random.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"
#include "qcow2.h"
#include "vmproc.h"
#include "vmsnap_int.h"

#define COPY_CHUNK (2u << 20)
#define COPY_GRAN 65536

struct clone_job {
	struct vmlib *lib;
	const char *src, *dst;
	enum vmsnap_clone_mode mode;
	struct vm_config *scfg;      /* the source's definition (vm.ini or the snapshot's) */
	struct vm_config *dcfg;      /* the clone's */
	char dst_dir[PATH_MAX];
	/* files created, removed again on failure */
	char made[2 * CONFIG_MAX_DISKS][PATH_MAX];
	unsigned nmade;
	/* a stopped source's new overlays, written to its vm.ini at the end */
	char src_new[CONFIG_MAX_DISKS][PATH_MAX];
};

/* Everything this clone created goes (the clone's directory is flat: its
 * vm.ini, origin, disks, and notes of a failed start). */
static void undo(struct clone_job *j)
{
	char rerr[256];

	for (unsigned i = 0; i < j->nmade; i++)
		unlink(j->made[i]);
	vmsnap_rm_dir(j->dst_dir, rerr, sizeof(rerr));
}

/* dir/STEM.cN.qcow2 that does not exist yet (STEM: base's name up to its
 * first '.'). */
static int free_name(const char *dir, const char *base, char *out, size_t len)
{
	char tmp[PATH_MAX], stem[128];
	struct stat st;

	snprintf(tmp, sizeof(tmp), "%s", base);
	snprintf(stem, sizeof(stem), "%.*s", (int)strcspn(basename(tmp), "."), basename(tmp));
	for (int k = 1; k < 1000; k++) {
		if (snprintf(out, len, "%s/%s.c%d.qcow2", dir, stem[0] ? stem : "disk", k) >= (int)len)
			return -ENAMETOOLONG;
		if (lstat(out, &st) < 0 && errno == ENOENT)
			return 0;
	}
	return -EEXIST;
}

/* A qcow2 overlay at path on base (absolute); the backing name is relative
 * when both share a directory. */
static int make_overlay(struct clone_job *j, const char *path, const char *base, const char *fmt,
			char *err, size_t errlen)
{
	char a[PATH_MAX], b[PATH_MAX], qerr[512];
	const char *backing = base;
	int r;

	snprintf(a, sizeof(a), "%s", path);
	snprintf(b, sizeof(b), "%s", base);
	if (!strcmp(dirname(a), dirname(b)))
		backing = base + strlen(a) + 1;
	r = qcow2_create(path, 0, 0, backing, fmt, qerr, sizeof(qerr));
	if (r) {
		snprintf(err, errlen, "overlay %s on %s: %s", path, base, qerr);
		return r;
	}
	snprintf(j->made[j->nmade++], PATH_MAX, "%s", path);
	return 0;
}

static bool buf_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/* Full copy of what src (with its chain) reads into a new image at path;
 * zero blocks are left as holes. Progress on stderr when it is a terminal. */
static int copy_disk(struct clone_job *j, unsigned idx, const struct config_disk *cd,
		     const char *path, char *err, size_t errlen)
{
	struct disk_open_opts ro = { .readonly = true }, rw = { 0 };
	struct disk *s = NULL, *d = NULL;
	bool tty = isatty(STDERR_FILENO);
	uint8_t *buf = NULL;
	uint64_t off = 0;
	char derr[512];
	int r, last = -1;

	r = disk_open(cd->path, cd->format, &ro, &s, derr, sizeof(derr));
	if (r) {
		snprintf(err, errlen, "disk.%u: %s", idx, derr);
		return r;
	}
	if (!strcmp(cd->format, "qcow2")) {
		r = qcow2_create(path, s->size, 0, NULL, NULL, derr, sizeof(derr));
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		r = fd < 0 || ftruncate(fd, (off_t)s->size) < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
		snprintf(derr, sizeof(derr), "%.400s: %s", path, strerror(-r));
	}
	if (r) {
		snprintf(err, errlen, "disk.%u: %s", idx, derr);
		goto out;
	}
	snprintf(j->made[j->nmade++], PATH_MAX, "%s", path);
	r = disk_open(path, cd->format, &rw, &d, derr, sizeof(derr));
	if (r || posix_memalign((void **)&buf, 4096, COPY_CHUNK)) {
		snprintf(err, errlen, "disk.%u: %s", idx, r ? derr : "out of memory");
		r = r ? r : -ENOMEM;
		goto out;
	}
	while (off < s->size && !r) {
		uint64_t len = s->size - off < COPY_CHUNK ? s->size - off : COPY_CHUNK, n;
		int st = disk_block_status(s, off, len, &n);
		if (st < 0) {
			r = st;
			break;
		}
		if (!(st & DISK_BS_ZERO)) {
			r = disk_pread(s, buf, (size_t)n, off);
			for (uint64_t pos = 0; !r && pos < n; pos += COPY_GRAN) {
				size_t m = n - pos < COPY_GRAN ? (size_t)(n - pos) : COPY_GRAN;
				if (!buf_zero(buf + pos, m))
					r = disk_pwrite(d, buf + pos, m, off + pos);
			}
		}
		off += n;
		if (tty && (int)(off * 100 / s->size) != last) {
			last = (int)(off * 100 / s->size);
			fprintf(stderr, "\rcopying disk.%u: %3d%%", idx, last);
		}
	}
	if (tty)
		fputc('\n', stderr);
	if (!r)
		r = disk_flush(d);
	if (r)
		snprintf(err, errlen, "copying disk.%u (%s) to %s: %s", idx, cd->path, path,
			 s->errmsg[0] ? s->errmsg : d->errmsg[0] ? d->errmsg : strerror(-r));
out:
	free(buf);
	if (d)
		disk_close(d);
	disk_close(s);
	return r;
}

static bool same_file(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* The clone's disks. live: the source's current vm.ini (to refuse a snapshot
 * whose disks are the source's live images, not frozen ones). */
static int clone_disks(struct clone_job *j, const struct vm_config *live, bool from_snapshot,
		       char *err, size_t errlen)
{
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *cd = &j->scfg->disks[i];
		struct config_disk *dd = &j->dcfg->disks[i];
		char base[PATH_MAX], path[PATH_MAX], name[32];
		int r;

		if (!cd->present || cd->readonly)
			continue; /* read-only disks are shared as they are */
		if (!realpath(cd->path, base)) {
			snprintf(err, errlen, "disk.%u: %s: %s", i, cd->path, strerror(errno));
			return -errno;
		}
		if (from_snapshot && live->disks[i].present && same_file(base, live->disks[i].path)) {
			snprintf(err, errlen, "disk.%u: the snapshot's image %s is %s's live disk, not "
				 "a frozen one (this snapshot predates disk snapshots); clone the "
				 "stopped VM instead", i, base, j->src);
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "disk%u.%s", i, j->mode == VMSNAP_CLONE_FULL ?
			 cd->format : "qcow2");
		if (snprintf(path, sizeof(path), "%s/%s", j->dst_dir, name) >= (int)sizeof(path)) {
			snprintf(err, errlen, "%s: path too long", j->dst_dir);
			return -ENAMETOOLONG;
		}
		if (j->mode == VMSNAP_CLONE_FULL) {
			r = copy_disk(j, i, cd, path, err, errlen);
		} else {
			r = make_overlay(j, path, base, cd->format, err, errlen);
			if (!r && !from_snapshot) {
				/* The stopped source moves to its own overlay; the base is
				 * frozen for both. */
				char dir[PATH_MAX];
				snprintf(dir, sizeof(dir), "%s", base);
				r = free_name(dirname(dir), base, j->src_new[i], PATH_MAX);
				if (r)
					snprintf(err, errlen, "disk.%u: no name for a new overlay next to %s",
						 i, base);
				else
					r = make_overlay(j, j->src_new[i], base, cd->format, err, errlen);
			}
		}
		if (r)
			return r;
		snprintf(dd->path, sizeof(dd->path), "%s", path);
		snprintf(dd->format, sizeof(dd->format), "%s",
			 j->mode == VMSNAP_CLONE_FULL ? cd->format : "qcow2");
	}
	return 0;
}

/* A clone is a new machine: its disks get new serial numbers (virtio-blk
 * GET_ID), so a guest that tells disks apart by serial sees new disks. */
static void clone_new_serials(struct vm_config *c)
{
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		uint8_t rnd[6];
		if (!c->disks[i].present)
			continue;
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		snprintf(c->disks[i].serial, sizeof(c->disks[i].serial),
			 "vmdeck-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	}
}

static int write_origin(struct clone_job *j, const char *tag)
{
	char path[PATH_MAX + 8];
	FILE *f;

	snprintf(path, sizeof(path), "%s/origin", j->dst_dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s%s%s\n", j->src, tag ? " " : "", tag ? tag : "");
	return fclose(f) ? -EIO : 0;
}

/* The stopped source's vm.ini now names its new overlays; the old images
 * become read-only. */
static int switch_source(struct clone_job *j, struct vm_config *live, char *err, size_t errlen)
{
	char ini[PATH_MAX];
	bool any = false;

	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		if (!j->src_new[i][0])
			continue;
		chmod(live->disks[i].path, 0444);
		snprintf(live->disks[i].path, sizeof(live->disks[i].path), "%s", j->src_new[i]);
		snprintf(live->disks[i].format, sizeof(live->disks[i].format), "qcow2");
		any = true;
	}
	if (!any)
		return 0;
	vmproc_vm_path(j->lib, j->src, "vm.ini", ini, sizeof(ini));
	return config_save(live, ini, err, errlen);
}

static int clone_tag(struct clone_job *j, const struct vmlib_entry *e, const char *from_tag,
		     char *tag, size_t len, char *err, size_t errlen)
{
	char want[VMSNAP_TAG_MAX + 8];

	if (from_tag) {
		char dir[PATH_MAX], state[PATH_MAX + 16];
		struct stat st;
		if (!vmsnap_tag_valid(from_tag)) { /* no "../" out of snapshots/ */
			snprintf(err, errlen, "'%.64s' is not a snapshot tag", from_tag);
			return -EINVAL;
		}
		snprintf(tag, len, "%s", from_tag);
		if (vmsnap_path(j->lib, j->src, tag, dir, sizeof(dir)) ||
		    snprintf(state, sizeof(state), "%s/state.bin", dir) >= (int)sizeof(state) ||
		    stat(state, &st) < 0) {
			snprintf(err, errlen, "%s has no snapshot '%s'", j->src, from_tag);
			return -ENOENT;
		}
		return 0;
	}
	if (e->state != VMLIB_RUNNING && e->state != VMLIB_PAUSED) {
		snprintf(err, errlen, "%s is %s; try again", j->src,
			 e->state == VMLIB_STARTING ? "starting" : "stopping");
		return -EBUSY;
	}
	snprintf(want, sizeof(want), "clone-%s", j->dst);
	return vmsnap_take(j->lib, j->src, vmsnap_tag_valid(want) ? want : NULL, tag, len, err,
			   errlen);
}

int vmsnap_clone(struct vmlib *lib, const char *src, const char *dst, enum vmsnap_clone_mode mode,
		 const char *from_tag, char *err, size_t errlen)
{
	struct clone_job *j = calloc(1, sizeof(*j));
	struct vm_config *live = malloc(sizeof(*live));
	struct vmlib_entry e;
	char ini[PATH_MAX + 16], tag[VMSNAP_TAG_MAX] = "", sdir[PATH_MAX];
	bool stopped, from_snapshot;
	struct stat st;
	int r;

	if (!j || !live || !(j->scfg = malloc(sizeof(*j->scfg))) ||
	    !(j->dcfg = malloc(sizeof(*j->dcfg)))) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	j->lib = lib;
	j->src = src;
	j->dst = dst;
	j->mode = mode;
	r = vmlib_get(lib, src, &e, err, errlen);
	if (r)
		goto out;
	if (!config_name_valid(dst) || !strcmp(src, dst)) {
		snprintf(err, errlen, "'%s' is not a valid name for the clone", dst);
		r = -EINVAL;
		goto out;
	}
	if (vmproc_vm_path(lib, dst, NULL, j->dst_dir, sizeof(j->dst_dir)) ||
	    stat(j->dst_dir, &st) == 0) {
		snprintf(err, errlen, "a VM named '%s' already exists", dst);
		r = -EEXIST;
		goto out;
	}
	vmproc_vm_path(lib, src, "vm.ini", ini, sizeof(ini));
	r = config_load(ini, live, err, errlen);
	if (r)
		goto out;
	stopped = e.state == VMLIB_STOPPED || e.state == VMLIB_DEAD;
	from_snapshot = from_tag || !stopped;
	if (from_snapshot) {
		r = clone_tag(j, &e, from_tag, tag, sizeof(tag), err, errlen);
		if (r)
			goto out;
		/* The snapshot moved the source's disks to new overlays. */
		vmproc_vm_path(lib, src, "vm.ini", ini, sizeof(ini));
		r = config_load(ini, live, err, errlen);
		if (r)
			goto out;
		vmsnap_path(lib, src, tag, sdir, sizeof(sdir));
		snprintf(ini, sizeof(ini), "%s/config.ini", sdir);
		r = config_load(ini, j->scfg, err, errlen);
		if (r)
			goto out;
	} else {
		*j->scfg = *live;
	}
	*j->dcfg = *j->scfg;
	snprintf(j->dcfg->name, sizeof(j->dcfg->name), "%s", dst);
	if (strcmp(j->dcfg->display.vnc, "off") && strcmp(j->dcfg->display.vnc, "auto") &&
	    j->dcfg->display.vnc[0])
		snprintf(j->dcfg->display.vnc, sizeof(j->dcfg->display.vnc), "auto");
	clone_new_serials(j->dcfg);
	if (mkdir(j->dst_dir, 0755) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", j->dst_dir, strerror(errno));
		goto out;
	}
	r = clone_disks(j, live, from_snapshot, err, errlen);
	if (!r) {
		vmproc_vm_path(lib, dst, "vm.ini", ini, sizeof(ini));
		r = config_save(j->dcfg, ini, err, errlen);
	}
	if (!r && mode == VMSNAP_CLONE_LINKED && (r = write_origin(j, tag[0] ? tag : NULL)))
		snprintf(err, errlen, "%s/origin: %s", j->dst_dir, strerror(-r));
	if (!r && !from_snapshot)
		r = switch_source(j, live, err, errlen);
	if (!r && from_snapshot)
		r = vmlib_start_from(lib, dst, sdir, err, errlen);
	if (r)
		undo(j);
out:
	if (j) {
		free(j->scfg);
		free(j->dcfg);
	}
	free(j);
	free(live);
	return r;
}

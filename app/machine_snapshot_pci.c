/* The PCI half of a machine's snapshot: PCI config space, the virtio
 * transports, and the disks' external snapshot chain. See
 * machine_snapshot.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk.h"
#include "machine_int.h"
#include "machine_snapshot.h"
#include "pci.h"
#include "qcow2.h"
#include "virtio_blk.h"
#include "virtio_pci.h"
#include "virtio_rng.h"
#include "vm.h"

#define DISK_STATE_VERSION 1

/* The virtio transports, rng first, then the disks in [disk.N] order. */
static unsigned machine_vps(struct machine *m, struct virtio_pci **out)
{
	unsigned n = 0;

	if (!m->pci)
		return 0;
	if (m->pci->rng)
		out[n++] = virtio_rng_vp(m->pci->rng);
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++)
		if (m->pci->blk[i])
			out[n++] = virtio_blk_vp(m->pci->blk[i]);
	return n;
}

int machine_pci_quiesce(struct machine *m, char *err, size_t errlen)
{
	int r = 0;

	if (!m->pci)
		return 0;
	if (m->pci->rng)
		virtio_pci_quiesce(virtio_rng_vp(m->pci->rng));
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		struct virtio_blk *b = m->pci->blk[i];
		int e = b ? virtio_blk_quiesce(b) : 0;
		if (e && !r) {
			r = e;
			snprintf(err, errlen, "[disk.%u]: flush before the snapshot: %s", i,
				 strerror(-e));
		}
	}
	return r;
}

void machine_pci_resume(struct machine *m)
{
	struct virtio_pci *vps[1 + CONFIG_MAX_DISKS];
	unsigned n = machine_vps(m, vps);

	for (unsigned i = 0; i < n; i++)
		virtio_pci_resume(vps[i]);
}

void machine_pci_save(struct machine *m, struct snap_writer *w)
{
	struct virtio_pci *vps[1 + CONFIG_MAX_DISKS];
	unsigned n = machine_vps(m, vps);

	if (!m->vm->pci)
		return;
	pci_save(m->vm->pci, w);
	for (unsigned i = 0; i < n; i++)
		virtio_pci_save(vps[i], w);
}

int machine_pci_load(struct machine *m, const struct snap_file *f, bool check_only,
		     char *err, size_t errlen)
{
	struct virtio_pci *vps[1 + CONFIG_MAX_DISKS];
	unsigned n = machine_vps(m, vps), nvirtio = 0, npci = 0;
	int r;

	for (unsigned i = 0; i < f->nsec; i++) {
		npci += f->sec[i].id == SNAP_SEC_PCI;
		nvirtio += f->sec[i].id == SNAP_SEC_VIRTIO;
	}
	if (!m->vm->pci) {
		if (npci || nvirtio) {
			snprintf(err, errlen, "%s: PCI state for a machine without PCI",
				 snap_error_name(SNAP_E_BAD_STATE));
			return -EINVAL;
		}
		return 0;
	}
	/* Snapshots from before PCI state was saved have neither (they were
	 * refused once the guest enabled a PCI device). */
	if (!npci && !nvirtio)
		return 0;
	r = pci_load(m->vm->pci, f, check_only, err, errlen);
	if (r)
		return r;
	/* Every virtio section belongs to one of our transports. */
	for (unsigned i = 0; i < f->nsec; i++) {
		const struct snap_section *s = &f->sec[i];
		bool mine = false;
		if (s->id != SNAP_SEC_VIRTIO)
			continue;
		for (unsigned k = 0; k < n; k++)
			mine |= virtio_pci_dev(vps[k])->slot == s->instance;
		if (!mine) {
			snprintf(err, errlen, "%s: virtio state for PCI 00:%02x.0, which is not a "
				 "virtio device", snap_error_name(SNAP_E_BAD_STATE), s->instance);
			return -EINVAL;
		}
	}
	for (unsigned k = 0; k < n; k++) {
		unsigned slot = virtio_pci_dev(vps[k])->slot;
		const struct snap_section *s = snap_find(f, SNAP_SEC_VIRTIO, slot);
		if (!s) {
			snprintf(err, errlen, "%s: no state for %s", snap_error_name(SNAP_E_MISSING),
				 virtio_pci_name(vps[k]));
			return -EINVAL;
		}
		if (s->version != VIRTIO_PCI_STATE_VERSION) {
			snprintf(err, errlen, "%s: %s state version %u, this build reads %u",
				 snap_error_name(SNAP_E_VERSION), virtio_pci_name(vps[k]), s->version,
				 VIRTIO_PCI_STATE_VERSION);
			return -EINVAL;
		}
		r = virtio_pci_load(vps[k], s->data, s->len, check_only, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

/* ---- disks: the external snapshot chain ---- */

/* Tags in file names: letters, digits, '-', '_', '.'; others become '_'. */
static void clean_tag(const char *in, char *out, size_t len)
{
	size_t k = 0;

	for (; *in && k + 1 < len && k < 64; in++)
		out[k++] = (*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') ||
			   (*in >= '0' && *in <= '9') || *in == '-' || *in == '_' || *in == '.'
			   ? *in : '_';
	out[k] = 0;
	if (!k || out[0] == '.')
		snprintf(out, len, "snap");
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

int machine_disk_new_overlay(const char *image, const char *format, const char *tag,
			     char *out, size_t outlen, char *err, size_t errlen)
{
	char dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX], stem[NAME_MAX], t[80], derr[512];
	struct stat sb;
	size_t sl;
	int r;

	if (strlen(image) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", image);
		return -ENAMETOOLONG;
	}
	snprintf(tmp, sizeof(tmp), "%s", image);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", image);
	snprintf(base, sizeof(base), "%s", basename(tmp));
	/* DISKNAME: the image's name up to its first '.', so a chain reads
	 * disk.qcow2 <- disk.TAG1.qcow2 <- disk.TAG2.qcow2. */
	sl = strcspn(base[0] == '.' ? base + 1 : base, ".") + (base[0] == '.');
	if (sl >= sizeof(stem) - 100)
		sl = sizeof(stem) - 100;
	snprintf(stem, sizeof(stem), "%.*s", (int)sl, base);
	clean_tag(tag, t, sizeof(t));
	for (unsigned n = 1;; n++) {
		int k = n == 1 ? snprintf(out, outlen, "%s/%s.%s.qcow2", dir, stem, t)
			       : snprintf(out, outlen, "%s/%s.%s-%u.qcow2", dir, stem, t, n);
		if (k < 0 || (size_t)k >= outlen) {
			snprintf(err, errlen, "%s: overlay path too long", image);
			return -ENAMETOOLONG;
		}
		if (stat(out, &sb) && errno == ENOENT)
			break;
		if (n == 100) {
			snprintf(err, errlen, "%s: no free overlay name", out);
			return -EEXIST;
		}
	}
	/* The backing file is named relative to the overlay's directory (the
	 * same one): a library moved elsewhere keeps working. */
	r = qcow2_create(out, 0, 0, base, format, derr, sizeof(derr));
	if (r) {
		snprintf(err, errlen, "creating overlay %s: %s", out, derr);
		unlink(out);
		return r;
	}
	r = fsync_path(out, O_RDONLY);
	if (!r)
		r = fsync_path(dir, O_RDONLY | O_DIRECTORY);
	if (r) {
		snprintf(err, errlen, "%s: fsync: %s", out, strerror(-r));
		unlink(out);
		return r;
	}
	return 0;
}

int machine_disk_restore_overlay(struct machine *m, unsigned i, char *err, size_t errlen)
{
	struct config_disk *cd = &m->cfg.disks[i];
	char tag[64], path[PATH_MAX], derr[768];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	localtime_r(&now, &tm);
	strftime(tag, sizeof(tag), "r%Y%m%d-%H%M%S", &tm);
	r = machine_disk_new_overlay(cd->path, cd->format, tag, path, sizeof(path),
				     derr, sizeof(derr));
	if (r) {
		snprintf(err, errlen, "[disk.%u]: %s", i, derr);
		return r;
	}
	snprintf(cd->path, sizeof(cd->path), "%s", path);
	snprintf(cd->format, sizeof(cd->format), "qcow2");
	return 0;
}

/* A disk a snapshot freezes: present and writable (a read-only disk is
 * never written, so it stays as it is). */
static bool disk_frozen_by_snapshot(const struct config_disk *cd)
{
	return cd->present && !cd->readonly;
}

int machine_disks_snapshot(struct machine *m, const char *tag, struct vm_config *frozen,
			   struct snap_writer *w, char *err, size_t errlen)
{
	char over[CONFIG_MAX_DISKS][PATH_MAX], derr[768];
	struct disk *nd[CONFIG_MAX_DISKS] = { 0 };
	bool made[CONFIG_MAX_DISKS] = { 0 };
	int r = 0;

	/* First every overlay created and opened, then the switch, which
	 * cannot fail halfway. */
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		struct config_disk *cd = &m->cfg.disks[i];
		struct disk_open_opts o = { .readonly = false };
		char abs[PATH_MAX];

		if (!disk_frozen_by_snapshot(cd) || !m->pci || !m->pci->blk[i])
			continue;
		if (!realpath(cd->path, abs)) {
			r = -errno;
			snprintf(err, errlen, "[disk.%u] %s: %s", i, cd->path, strerror(errno));
			goto undo;
		}
		snprintf(frozen->disks[i].path, sizeof(frozen->disks[i].path), "%s", abs);
		if (cd->cache[0])
			disk_parse_cache_mode(cd->cache, &o.cache);
		r = machine_disk_new_overlay(abs, cd->format, tag, over[i], sizeof(over[i]),
					     derr, sizeof(derr));
		if (r) {
			snprintf(err, errlen, "[disk.%u]: %s", i, derr);
			goto undo;
		}
		made[i] = true;
		r = disk_open(over[i], "qcow2", &o, &nd[i], derr, sizeof(derr));
		if (r) {
			snprintf(err, errlen, "[disk.%u]: %s", i, derr);
			goto undo;
		}
		if (nd[i]->size != virtio_blk_disk(m->pci->blk[i])->size) {
			snprintf(err, errlen, "[disk.%u]: overlay %s has another size than the disk",
				 i, over[i]);
			r = -EINVAL;
			goto undo;
		}
	}
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		struct config_disk *cd = &m->cfg.disks[i];
		if (!nd[i])
			continue;
		/* Sizes checked: only the old image's final flush can fail,
		 * and its data was flushed when the device was quiesced. */
		if (virtio_blk_swap_disk(m->pci->blk[i], nd[i], derr, sizeof(derr)))
			fprintf(stderr, "vmdeck: snapshot: [disk.%u]: %s\n", i, derr);
		snprintf(cd->path, sizeof(cd->path), "%s", over[i]);
		snprintf(cd->format, sizeof(cd->format), "qcow2");
		/* The frozen image, as this snapshot's disk state. */
		snap_begin(w, SNAP_SEC_DISK, i, DISK_STATE_VERSION);
		snap_put(w, frozen->disks[i].format, sizeof(frozen->disks[i].format));
		snap_put_u64(w, virtio_blk_disk(m->pci->blk[i])->size);
		snap_put_u32(w, (uint32_t)strlen(frozen->disks[i].path));
		snap_put(w, frozen->disks[i].path, strlen(frozen->disks[i].path));
		snap_end(w);
	}
	return machine_update_vm_ini(m, err, errlen);
undo:
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		if (nd[i])
			disk_close(nd[i]);
		if (made[i])
			unlink(over[i]);
	}
	return r;
}

int machine_snapshot_sync_frozen(const struct vm_config *frozen, char *err, size_t errlen)
{
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		int r;
		if (!disk_frozen_by_snapshot(&frozen->disks[i]))
			continue;
		r = fsync_path(frozen->disks[i].path, O_RDONLY);
		if (r) {
			snprintf(err, errlen, "fsync %s: %s", frozen->disks[i].path, strerror(-r));
			return r;
		}
	}
	return 0;
}

struct disk_saved {
	char format[16];
	uint64_t size;
	char path[PATH_MAX];
};

static int disk_parse(const struct snap_section *s, struct disk_saved *d, char *err,
		      size_t errlen)
{
	struct snap_cursor c;
	uint32_t plen;

	snap_cursor_init(&c, s->data, s->len);
	snap_get(&c, d->format, sizeof(d->format));
	d->size = snap_get_u64(&c);
	plen = snap_get_u32(&c);
	if (c.bad || plen == 0 || plen >= sizeof(d->path) || s->len - c.off != plen ||
	    d->format[sizeof(d->format) - 1] || disk_check_format(d->format)) {
		snprintf(err, errlen, "%s: [disk.%u] state malformed", snap_error_name(SNAP_E_BAD_STATE),
			 s->instance);
		return -EINVAL;
	}
	snap_get(&c, d->path, plen);
	d->path[plen] = 0;
	if (strlen(d->path) != plen || d->path[0] != '/') {
		snprintf(err, errlen, "%s: [disk.%u] frozen image path is not an absolute path",
			 snap_error_name(SNAP_E_BAD_STATE), s->instance);
		return -EINVAL;
	}
	return 0;
}

int machine_snapshot_check_disks(const struct vm_config *cfg, const struct snap_file *f,
				 char *err, size_t errlen)
{
	for (unsigned i = 0; i < f->nsec; i++) {
		const struct snap_section *s = &f->sec[i];
		struct disk_saved d;
		int r;

		if (s->id != SNAP_SEC_DISK)
			continue;
		if (s->version != DISK_STATE_VERSION) {
			snprintf(err, errlen, "%s: [disk.%u] state version %u, this build reads %u",
				 snap_error_name(SNAP_E_VERSION), s->instance, s->version,
				 DISK_STATE_VERSION);
			return -EINVAL;
		}
		if ((r = disk_parse(s, &d, err, errlen)))
			return r;
		if (s->instance >= CONFIG_MAX_DISKS || !disk_frozen_by_snapshot(&cfg->disks[s->instance]) ||
		    strcmp(cfg->disks[s->instance].path, d.path) ||
		    strcmp(cfg->disks[s->instance].format, d.format)) {
			snprintf(err, errlen, "%s: [disk.%u] in state.bin (%s) is not the one in "
				 "config.ini", snap_error_name(SNAP_E_BAD_STATE), s->instance, d.path);
			return -EINVAL;
		}
	}
	/* Snapshots older than disk state have no sections; newer ones have
	 * one per writable disk. */
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++)
		if (disk_frozen_by_snapshot(&cfg->disks[i]) && !snap_find(f, SNAP_SEC_DISK, i) &&
		    snap_find(f, SNAP_SEC_PCI, 0)) {
			snprintf(err, errlen, "%s: no state for [disk.%u]",
				 snap_error_name(SNAP_E_MISSING), i);
			return -EINVAL;
		}
	return 0;
}

int machine_disks_restore(struct machine *m, const struct snap_file *f, bool check_only,
			  char *err, size_t errlen)
{
	struct disk_saved *d[CONFIG_MAX_DISKS] = { 0 };
	struct disk *nd[CONFIG_MAX_DISKS] = { 0 };
	char over[CONFIG_MAX_DISKS][PATH_MAX], derr[768];
	bool made[CONFIG_MAX_DISKS] = { 0 };
	int r = 0;

	if (m->disks_fresh && !check_only) {
		/* machine_create already opened new overlays. */
		m->disks_fresh = false;
		return machine_update_vm_ini(m, err, errlen);
	}
	for (unsigned i = 0; i < f->nsec; i++) {
		const struct snap_section *s = &f->sec[i];
		struct virtio_blk *b;
		if (s->id != SNAP_SEC_DISK)
			continue;
		b = s->instance < CONFIG_MAX_DISKS && m->pci ? m->pci->blk[s->instance] : NULL;
		if (!b || d[s->instance]) {
			snprintf(err, errlen, "%s: [disk.%u]: this VM has no such disk",
				 snap_error_name(SNAP_E_BAD_STATE), s->instance);
			r = -EINVAL;
			goto out;
		}
		d[s->instance] = malloc(sizeof(struct disk_saved));
		if (!d[s->instance]) {
			r = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if ((r = disk_parse(s, d[s->instance], err, errlen)))
			goto out;
		if (d[s->instance]->size != virtio_blk_disk(b)->size ||
		    virtio_blk_disk(b)->readonly) {
			snprintf(err, errlen, "%s: [disk.%u]: the snapshot's disk has %llu bytes, "
				 "this VM's %llu%s", snap_error_name(SNAP_E_BAD_STATE), s->instance,
				 (unsigned long long)d[s->instance]->size,
				 (unsigned long long)virtio_blk_disk(b)->size,
				 virtio_blk_disk(b)->readonly ? " (read-only)" : "");
			r = -EINVAL;
			goto out;
		}
	}
	if (check_only || m->disks_fresh)
		goto out;
	/* A running VM reverts: new overlays on the frozen images. */
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		char tag[64];
		time_t now = time(NULL);
		struct tm tm;
		struct disk_open_opts o = { .readonly = false };

		if (!d[i])
			continue;
		localtime_r(&now, &tm);
		strftime(tag, sizeof(tag), "r%Y%m%d-%H%M%S", &tm);
		if (m->cfg.disks[i].cache[0])
			disk_parse_cache_mode(m->cfg.disks[i].cache, &o.cache);
		r = machine_disk_new_overlay(d[i]->path, d[i]->format, tag, over[i], sizeof(over[i]),
					     derr, sizeof(derr));
		if (!r) {
			made[i] = true;
			r = disk_open(over[i], "qcow2", &o, &nd[i], derr, sizeof(derr));
		}
		if (r) {
			snprintf(err, errlen, "[disk.%u]: %s", i, derr);
			goto undo;
		}
	}
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		if (!nd[i])
			continue;
		if (virtio_blk_swap_disk(m->pci->blk[i], nd[i], derr, sizeof(derr)))
			fprintf(stderr, "vmdeck: restore: [disk.%u]: %s\n", i, derr);
		snprintf(m->cfg.disks[i].path, sizeof(m->cfg.disks[i].path), "%s", over[i]);
		snprintf(m->cfg.disks[i].format, sizeof(m->cfg.disks[i].format), "qcow2");
		nd[i] = NULL;
	}
	r = machine_update_vm_ini(m, err, errlen);
	goto out;
undo:
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		if (nd[i])
			disk_close(nd[i]);
		if (made[i])
			unlink(over[i]);
	}
out:
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++)
		free(d[i]);
	return r;
}

int machine_update_vm_ini(struct machine *m, char *err, size_t errlen)
{
	struct vm_config *c;
	char dir[PATH_MAX], abs[PATH_MAX];
	size_t dl;
	int r;

	if (!m->opts.vm_ini)
		return 0;
	c = malloc(sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = config_load(m->opts.vm_ini, c, err, errlen);
	if (r)
		goto out;
	snprintf(abs, sizeof(abs), "%s", m->opts.vm_ini);
	snprintf(dir, sizeof(dir), "%s", dirname(abs));
	if (realpath(dir, abs))
		snprintf(dir, sizeof(dir), "%s", abs);
	dl = strlen(dir);
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *cur = &m->cfg.disks[i];
		if (!cur->present || !c->disks[i].present || cur->readonly)
			continue;
		/* Relative to vm.ini when the overlay is in its directory. */
		if (!strncmp(cur->path, dir, dl) && cur->path[dl] == '/' && !strchr(cur->path + dl + 1, '/'))
			snprintf(c->disks[i].path, sizeof(c->disks[i].path), "%s", cur->path + dl + 1);
		else
			snprintf(c->disks[i].path, sizeof(c->disks[i].path), "%s", cur->path);
		snprintf(c->disks[i].format, sizeof(c->disks[i].format), "%s", cur->format);
	}
	r = config_save(c, m->opts.vm_ini, err, errlen);
out:
	if (r) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "updating %s to the new disk overlays: %s", m->opts.vm_ini, tmp);
	}
	free(c);
	return r;
}

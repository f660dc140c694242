/* Snapshot and restore of a machine; see machine_snapshot.h. */
#include <dirent.h>
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

#include "fbdev_state.h"
#include "machine.h"
#include "machine_int.h"
#include "machine_snapshot.h"
#include "mem_save.h"
#include "pci.h"
#include "png_writer.h"
#include "fbdev.h"
#include "vm.h"
#include "vm_devices.h"

#define META_VERSION 1

static const struct snap_known snap_known_all[] = {
	{ SNAP_SEC_META, 1 },
	VM_STATE_KNOWN(VM_MAX_CPUS),
	VM_DEVICES_KNOWN,
	FBDEV_KNOWN,
	{ SNAP_SEC_PCI, PCI_MAX_DEVICES },
	{ SNAP_SEC_VIRTIO, PCI_MAX_DEVICES },
	{ SNAP_SEC_DISK, CONFIG_MAX_DISKS },
};
#define NKNOWN (sizeof(snap_known_all) / sizeof(snap_known_all[0]))

static void rm_tree_flat(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static int join(char *out, size_t len, const char *dir, const char *name)
{
	if (snprintf(out, len, "%s/%s", dir, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Test hook for tests/kvm/snap_atomic.sh: VMDECK_TEST_SNAP_STALL_MS makes
 * each durable step (memory.bin, config.ini, state.bin, rename) wait, so a
 * kill -9 can land between any two of them. */
static void test_stall(void)
{
	const char *e = getenv("VMDECK_TEST_SNAP_STALL_MS");
	long ms = e ? strtol(e, NULL, 10) : 0;

	if (ms > 0 && ms < 10000)
		usleep((useconds_t)ms * 1000);
}

/* config.ini with absolute kernel and module paths: relative ones would be
 * resolved against the snapshot directory when it is read back. */
static int save_config(const struct vm_config *c, const char *path, char *err, size_t errlen)
{
	struct vm_config *cp = malloc(sizeof(*cp));
	char abs[PATH_MAX];
	int r;

	if (!cp) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*cp = *c;
	if (!cp->kernel_spec[0] && cp->kernel[0] && realpath(cp->kernel, abs))
		snprintf(cp->kernel, sizeof(cp->kernel), "%s", abs);
	for (unsigned i = 0; i < cp->nmodules; i++)
		if (realpath(cp->modules[i].path, abs))
			snprintf(cp->modules[i].path, sizeof(cp->modules[i].path), "%s", abs);
	r = config_save(cp, path, err, errlen);
	free(cp);
	return r;
}

static void put_meta(struct snap_writer *w, struct machine *m)
{
	snap_begin(w, SNAP_SEC_META, 0, META_VERSION);
	snap_put_u64(w, m->vm->mem.size);
	snap_put_u32(w, m->vm->ncpus);
	snap_put_u32(w, machine_display_fbdev(m) != NULL);
	snap_put_u64(w, (uint64_t)time(NULL));
	snap_end(w);
}

/* screen.png from the pixels captured in the state (not the live screen,
 * which has moved on since the VM resumed). */
static int write_screen_png(const struct snap_writer *w, const struct fbdev *fb,
			    const char *path, char *err, size_t errlen)
{
	struct snap_file f;
	const struct snap_section *s;
	char perr[256];
	int r = snap_parse(w->buf, w->len, NULL, snap_known_all, NKNOWN, &f, NULL, perr,
			   sizeof(perr));

	if (r) {
		snprintf(err, errlen, "re-reading the state: %s", perr);
		return r;
	}
	s = snap_find(&f, SNAP_SEC_FB_PIXELS, 0);
	r = s ? png_write_xrgb(path, s->data, fb->width, fb->height, fb->stride, perr, sizeof(perr))
	      : -EINVAL;
	if (r)
		snprintf(err, errlen, "screen.png: %s", s ? perr : "no pixels");
	snap_file_free(&f);
	return r;
}

int machine_snapshot(struct machine *m, const char *dir, struct machine_snap_stats *st,
		     char *err, size_t errlen)
{
	struct machine_snap_stats dummy;
	struct snap_writer w;
	struct mem_save_stats ms;
	char tmp[PATH_MAX], path[PATH_MAX], parent[PATH_MAX], vendor[SNAP_VENDOR_LEN];
	char tag[PATH_MAX];
	struct vm_config *frozen = NULL;
	struct stat sb;
	struct vm *vm = m->vm;
	struct fbdev *fb = machine_display_fbdev(m);
	bool paused = false;
	uint64_t t0 = vm_now_ns(), tp = 0;
	int r, memfd = -1;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	if (stat(dir, &sb) == 0) {
		snprintf(err, errlen, "%s already exists", dir);
		return -EEXIST;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", dir, (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	frozen = malloc(sizeof(*frozen));
	if (!frozen) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*frozen = m->cfg;
	snprintf(path, sizeof(path), "%s", dir);
	snprintf(tag, sizeof(tag), "%s", basename(path));
	rm_tree_flat(tmp); /* a leftover of a crashed attempt with our pid */
	if (mkdir(tmp, 0755)) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(frozen);
		return r;
	}

	/* ---- paused: capture ---- */
	vm_pause(vm);
	paused = true;
	tp = vm_now_ns();
	snap_host_vendor(vendor);
	snap_writer_init(&w, vendor);
	/* Device threads finish what they took from their rings (nothing in
	 * flight) and start nothing new until the VM resumes. */
	r = machine_pci_quiesce(m, err, errlen);
	if (r)
		goto fail;
	put_meta(&w, m);
	vm_devices_save(vm, &w);
	machine_pci_save(m, &w);
	r = vm_state_save(vm, &w, &st->vs, err, errlen);
	if (r)
		goto fail;
	if (fb)
		fbdev_save(fb, &w);
	/* Last, as it cannot be undone: the disks move to new overlays. */
	r = machine_disks_snapshot(m, tag, frozen, &w, err, errlen);
	if (r)
		goto fail;
	r = snap_finish(&w);
	if (r) {
		snprintf(err, errlen, "building state.bin: %s", strerror(-r));
		goto fail;
	}
	if ((r = join(path, sizeof(path), tmp, "memory.bin")))
		goto fail_path;
	memfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (memfd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	r = guest_mem_save_file(&vm->mem, memfd, &ms, err, errlen);
	if (r)
		goto fail;
	/* Everything the VM's future can change is now in our buffers and the
	 * page cache: let it run while the files are made durable. */
	machine_pci_resume(m);
	vm_resume(vm);
	paused = false;
	st->pause_ns = vm_now_ns() - tp;
	if (fb) {
		if ((r = join(path, sizeof(path), tmp, "screen.png")))
			goto fail_path;
		r = write_screen_png(&w, fb, path, err, errlen);
		if (r)
			goto fail;
	}

	if (fsync(memfd)) {
		r = -errno;
		snprintf(err, errlen, "fsync memory.bin: %s", strerror(errno));
		goto fail;
	}
	close(memfd);
	memfd = -1;
	r = machine_snapshot_sync_frozen(frozen, err, errlen);
	if (r)
		goto fail;
	test_stall();
	if ((r = join(path, sizeof(path), tmp, "config.ini")))
		goto fail_path;
	r = save_config(frozen, path, err, errlen);
	if (r)
		goto fail;
	test_stall();
	if ((r = join(path, sizeof(path), tmp, "state.bin")))
		goto fail_path;
	r = snap_write_atomic(path, w.buf, w.len, err, errlen);
	if (r)
		goto fail;
	test_stall();
	r = snap_fsync_dir(tmp);
	if (r) {
		snprintf(err, errlen, "fsync %s: %s", tmp, strerror(-r));
		goto fail;
	}
	/* The commit of the whole snapshot: one rename, then the parent. */
	if (rename(tmp, dir)) {
		r = -errno;
		snprintf(err, errlen, "rename %s to %s: %s", tmp, dir, strerror(errno));
		goto fail;
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	r = snap_fsync_dir(dirname(parent));
	if (r) {
		snprintf(err, errlen, "fsync of %s's parent: %s", dir, strerror(-r));
		snap_writer_free(&w);
		free(frozen);
		return r;
	}
	st->state_bytes = w.len;
	st->mem_bytes = ms.bytes_written;
	st->mem_pages_scanned = ms.pages_scanned;
	st->total_ns = vm_now_ns() - t0;
	snap_writer_free(&w);
	free(frozen);
	return 0;

fail_path:
	snprintf(err, errlen, "%s: path too long", tmp);
fail:
	if (paused) {
		machine_pci_resume(m);
		vm_resume(vm);
	}
	if (memfd >= 0)
		close(memfd);
	snap_writer_free(&w);
	free(frozen);
	rm_tree_flat(tmp);
	return r;
}

int machine_snapshot_open(const char *dir, struct vm_config *cfg, struct snap_file *f,
			  char *err, size_t errlen)
{
	char path[PATH_MAX], vendor[SNAP_VENDOR_LEN + 1] = { 0 };
	const struct snap_section *meta;
	struct snap_cursor c;
	enum snap_error code;
	struct stat sb;
	uint64_t mem;
	uint32_t ncpus, display;
	int r;

	memset(f, 0, sizeof(*f));
	if (join(path, sizeof(path), dir, "config.ini")) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	r = config_load(path, cfg, err, errlen);
	if (r)
		return r;
	join(path, sizeof(path), dir, "state.bin");
	snap_host_vendor(vendor);
	r = snap_read_file(path, vendor, snap_known_all, NKNOWN, f, &code, err, errlen);
	if (r)
		return r;
	meta = snap_find(f, SNAP_SEC_META, 0);
	if (!meta || meta->version != META_VERSION) {
		snprintf(err, errlen, "%s: %s: no snapshot description (META)", path,
			 snap_error_name(SNAP_E_MISSING));
		r = -EINVAL;
		goto fail;
	}
	snap_cursor_init(&c, meta->data, meta->len);
	mem = snap_get_u64(&c);
	ncpus = snap_get_u32(&c);
	display = snap_get_u32(&c);
	snap_get_u64(&c);
	if (!snap_cursor_done(&c) || mem != cfg->memory || ncpus != cfg->cpus ||
	    display > 1 || (bool)display != cfg->display.enabled) {
		snprintf(err, errlen, "%s: %s: the state is of a VM with %llu MiB, %u vCPUs%s, "
			 "config.ini says %llu MiB, %u vCPUs%s", path,
			 snap_error_name(SNAP_E_BAD_STATE), (unsigned long long)(mem >> 20), ncpus,
			 display ? ", a display" : "", (unsigned long long)(cfg->memory >> 20),
			 cfg->cpus, cfg->display.enabled ? ", a display" : "");
		r = -EINVAL;
		goto fail;
	}
	r = machine_snapshot_check_disks(cfg, f, err, errlen);
	if (r)
		goto fail;
	join(path, sizeof(path), dir, "memory.bin");
	if (stat(path, &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: missing or not a regular file", path);
		r = -EINVAL;
		goto fail;
	}
	if ((uint64_t)sb.st_size != mem) {
		snprintf(err, errlen, "%s: %lld bytes, but the snapshot has %llu bytes of RAM "
			 "(memory file shorter or longer than it should be)", path,
			 (long long)sb.st_size, (unsigned long long)mem);
		r = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	snap_file_free(f);
	return r;
}

int machine_restore_check(struct machine *m, const struct snap_file *f, char *err, size_t errlen)
{
	struct vm *vm = m->vm;
	int r;

	r = vm_state_check(vm, f, err, errlen);
	if (!r)
		r = vm_devices_load(vm, f, 1, err, errlen);
	if (!r)
		r = machine_pci_load(m, f, true, err, errlen);
	if (!r)
		r = machine_disks_restore(m, f, true, err, errlen);
	if (!r)
		r = fbdev_load(machine_display_fbdev(m), f, 1, err, errlen);
	if (!r)
		r = vm_state_require_paused(vm, err, errlen);
	return r;
}

int machine_restore_state(struct machine *m, const struct snap_file *f, struct vm_state_info *vs,
			  char *err, size_t errlen)
{
	struct vm *vm = m->vm;
	struct fbdev *fb = machine_display_fbdev(m);
	/* Everything checked against this VM before anything is changed. */
	int r = machine_restore_check(m, f, err, errlen);

	if (r)
		return r;
	/* Devices first: they drive their interrupt lines to the saved level;
	 * the irqchip state loaded after it is then what the guest saw. */
	r = machine_pci_quiesce(m, err, errlen);
	if (!r)
		r = machine_disks_restore(m, f, false, err, errlen);
	if (!r)
		r = vm_devices_load(vm, f, 0, err, errlen);
	if (!r)
		r = machine_pci_load(m, f, false, err, errlen);
	machine_pci_resume(m);
	if (!r)
		r = vm_state_load(vm, f, vs, err, errlen);
	if (!r && fb) {
		r = fbdev_load(fb, f, 0, err, errlen);
		machine_display_refresh(m);
	}
	return r;
}

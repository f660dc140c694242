/* Snapshot, restore and suspend inside the VM process; see vmproc_snapshot.h.
 *
 * Restore in place: the snapshot is opened and checked (files, CRCs,
 * config.ini against the VM's definition), the vCPUs are paused, every
 * section is checked against this VM; only then does anything change: the
 * RAM becomes memory.bin mapped MAP_PRIVATE over the same host addresses
 * (guest_mem_replace_from_file: pages load lazily), then devices, KVM state
 * and framebuffer are loaded. A failure before that point resumes the VM as
 * it was; a failure after it stops the VM with a message, rather than let a
 * half-restored guest run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fbdev_state.h"
#include "machine.h"
#include "machine_int.h"
#include "machine_snapshot.h"
#include "vm.h"
#include "vm_devices.h"
#include "vm_state.h"
#include "vmproc.h"
#include "vmproc_snapshot.h"
#include "vmsnap_int.h"

#define SUSPEND_TMP ".suspend.new"

static int get_tag(json_object *req, const char *cmd, const char **tag, char *err, size_t errlen)
{
	json_object *t;

	if (!json_object_object_get_ex(req, "tag", &t) || !json_object_is_type(t, json_type_string)) {
		snprintf(err, errlen, "%s: missing \"tag\" (a string)", cmd);
		return -EINVAL;
	}
	*tag = json_object_get_string(t);
	if (!vmsnap_tag_valid(*tag)) {
		snprintf(err, errlen, "%s: bad tag '%.80s' (letters, digits, '-', '_', '.'; at most "
			 "%d characters; not starting with '.' or '-')", cmd, *tag,
			 VMSNAP_TAG_MAX - 1);
		return -EINVAL;
	}
	return 0;
}

static int snap_dir(struct vmproc_snap_ctx *c, const char *tag, char *out, size_t len, char *err,
		    size_t errlen)
{
	char top[PATH_MAX];

	if (vmsnap_path(c->lib, c->name, NULL, top, sizeof(top)) ||
	    vmsnap_path(c->lib, c->name, tag, out, len)) {
		snprintf(err, errlen, "snapshot '%s': path too long", tag);
		return -ENAMETOOLONG;
	}
	if (mkdir(top, 0755) < 0 && errno != EEXIST) {
		int r = -errno;
		snprintf(err, errlen, "%s: %s", top, strerror(errno));
		return r;
	}
	return 0;
}

/* machine_snapshot into dir + info.ini; the reply describes it. */
static int take(struct vmproc_snap_ctx *c, const char *tag, const char *dir, json_object *reply,
		char *err, size_t errlen)
{
	struct machine_snap_stats st;
	struct vmsnap_meta meta = { .created = time(NULL), .cpus = c->cfg->cpus,
				    .memory = c->cfg->memory };
	char serr[1024];
	int r;

	vmsnap_current_read(c->lib, c->name, meta.parent, sizeof(meta.parent));
	if (!strcmp(meta.parent, tag))
		meta.parent[0] = 0;
	r = machine_snapshot(c->m, dir, &st, serr, sizeof(serr));
	if (r) {
		snprintf(err, errlen, "snapshot '%s' failed, the VM runs on: %s", tag, serr);
		return r;
	}
	if (vmsnap_meta_write(dir, &meta))
		fprintf(stderr, "vmdeck %s: snapshot '%s': could not write info.ini\n", c->name, tag);
	json_object_object_add(reply, "tag", json_object_new_string(tag));
	json_object_object_add(reply, "parent", json_object_new_string(meta.parent));
	json_object_object_add(reply, "pause_ms", json_object_new_double((double)st.pause_ns / 1e6));
	json_object_object_add(reply, "total_ms", json_object_new_double((double)st.total_ns / 1e6));
	json_object_object_add(reply, "bytes",
			       json_object_new_int64((int64_t)(st.mem_bytes + st.state_bytes)));
	fprintf(stderr, "vmdeck %s: snapshot '%s': paused %.2f ms, durable after %.2f ms, %llu bytes\n",
		c->name, tag, (double)st.pause_ns / 1e6, (double)st.total_ns / 1e6,
		(unsigned long long)(st.mem_bytes + st.state_bytes));
	return 0;
}

static int cmd_snapshot(struct vmproc_snap_ctx *c, json_object *req, json_object *reply,
			char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *tag;
	struct stat sb;
	int r = get_tag(req, "snapshot", &tag, err, errlen);

	if (!r)
		r = snap_dir(c, tag, dir, sizeof(dir), err, errlen);
	if (r)
		return r;
	if (stat(dir, &sb) == 0) {
		snprintf(err, errlen, "snapshot: %s already has a snapshot '%s'", c->name, tag);
		return -EEXIST;
	}
	r = take(c, tag, dir, reply, err, errlen);
	if (!r)
		vmsnap_current_write(c->lib, c->name, tag);
	return r;
}

/* Suspend to file: the VM stays paused from the snapshot to its stop, so
 * nothing it does after the snapshot is lost. An older "suspend" is
 * replaced atomically (RENAME_EXCHANGE, then the old one removed). */
static int cmd_suspend(struct vmproc_snap_ctx *c, json_object *reply, char *err, size_t errlen)
{
	struct vm *vm = machine_vm(c->m);
	char dir[PATH_MAX], tmp[PATH_MAX], rerr[512];
	struct stat sb;
	int r = snap_dir(c, VMSNAP_SUSPEND_TAG, dir, sizeof(dir), err, errlen);

	if (r || (r = snap_dir(c, SUSPEND_TMP, tmp, sizeof(tmp), err, errlen)))
		return r;
	if (stat(tmp, &sb) == 0)
		vmsnap_rm_dir(tmp, rerr, sizeof(rerr)); /* a crashed earlier attempt */
	if (!*c->paused)
		vm_pause(vm);
	r = take(c, VMSNAP_SUSPEND_TAG, tmp, reply, err, errlen);
	if (r) {
		if (!*c->paused)
			vm_resume(vm);
		return r;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
		if (vmsnap_rm_dir(tmp, rerr, sizeof(rerr)))
			fprintf(stderr, "vmdeck %s: removing the old suspend snapshot: %s\n", c->name,
				rerr);
	} else if (errno != ENOENT || rename(tmp, dir) < 0) {
		r = -errno;
		snprintf(err, errlen, "suspend: rename %s to %s: %s; the VM runs on", tmp, dir,
			 strerror(errno));
		vmsnap_rm_dir(tmp, rerr, sizeof(rerr));
		if (!*c->paused)
			vm_resume(vm);
		return r;
	}
	vmsnap_current_write(c->lib, c->name, VMSNAP_SUSPEND_TAG);
	/* Stop while paused: the vCPU threads leave without running again. */
	vm_request_stop(vm, VM_STOP_REQUESTED, 0, "suspended to snapshot 'suspend'");
	return 0;
}

static int cmd_restore(struct vmproc_snap_ctx *c, json_object *req, json_object *reply,
		       char *err, size_t errlen)
{
	struct vm *vm = machine_vm(c->m);
	struct snap_file f = { 0 };
	struct vm_state_info vsi;
	char dir[PATH_MAX], mem[PATH_MAX + 16], serr[1024], msg[1400];
	const char *tag;
	struct stat sb;
	bool was_paused = *c->paused, lost = false;
	uint64_t t0 = vm_now_ns(), tp;
	int r = get_tag(req, "restore", &tag, err, errlen);

	if (!r)
		r = snap_dir(c, tag, dir, sizeof(dir), err, errlen);
	if (r)
		return r;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "restore: %s has no snapshot '%s'", c->name, tag);
		return -ENOENT;
	}
	r = vmproc_snap_open(NULL, c->name, dir, c->cfg, &f, serr, sizeof(serr));
	if (r) {
		snprintf(err, errlen, "restore: snapshot '%s' refused, the VM runs on unchanged: %s",
			 tag, serr);
		return r;
	}
	snprintf(mem, sizeof(mem), "%s/memory.bin", dir);

	if (!was_paused)
		vm_pause(vm);
	tp = vm_now_ns();
	r = machine_restore_check(c->m, &f, serr, sizeof(serr));
	/* Paused vCPUs are not enough: a virtio device thread may be in the
	 * middle of a request, writing data and used entries into guest RAM
	 * (they would land in the restored pages) or reading rings that
	 * change under it. machine_restore_state resumes the devices. */
	if (!r)
		r = machine_pci_quiesce(c->m, serr, sizeof(serr));
	if (!r)
		r = guest_mem_replace_from_file(&vm->mem, mem, &lost, serr, sizeof(serr));
	if (r && !lost) {
		machine_pci_resume(c->m);
		if (!was_paused)
			vm_resume(vm);
		snprintf(err, errlen, "restore: snapshot '%s' refused, the VM runs on unchanged: %s",
			 tag, serr);
		goto out;
	}
	if (!r)
		r = machine_restore_state(c->m, &f, &vsi, serr, sizeof(serr));
	if (r) {
		/* RAM or state already partly replaced: never run that. */
		snprintf(msg, sizeof(msg), "restore of snapshot '%s' failed half way (%s); the VM "
			 "was stopped rather than run half restored", tag, serr);
		fprintf(stderr, "vmdeck %s: %s\n", c->name, msg);
		vm_request_stop(vm, VM_STOP_ERROR, 1, msg);
		snprintf(err, errlen, "%s", msg);
		goto out;
	}
	vmsnap_current_write(c->lib, c->name, tag);
	if (!was_paused)
		vm_resume(vm);
	fprintf(stderr, "vmdeck %s: restored snapshot '%s' in %.2f ms (paused %.2f ms)\n", c->name,
		tag, (double)(vm_now_ns() - t0) / 1e6, (double)(vm_now_ns() - tp) / 1e6);
	json_object_object_add(reply, "tag", json_object_new_string(tag));
	json_object_object_add(reply, "restore_ms",
			       json_object_new_double((double)(vm_now_ns() - t0) / 1e6));
	json_object_object_add(reply, "pause_ms",
			       json_object_new_double((double)(vm_now_ns() - tp) / 1e6));
out:
	snap_file_free(&f);
	return r;
}

int vmproc_snap_command(struct vmproc_snap_ctx *c, const char *cmd, json_object *req,
			json_object *reply, char *err, size_t errlen)
{
	if (!strcmp(cmd, "snapshot"))
		return cmd_snapshot(c, req, reply, err, errlen);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(c, req, reply, err, errlen);
	if (!strcmp(cmd, "suspend"))
		return cmd_suspend(c, reply, err, errlen);
	return -ENOSYS;
}

/* dir is LIB/vms/NAME/snapshots/TAG (tag filled) rather than another VM's. */
static bool own_snapshot(const struct vmlib *lib, const char *name, const char *dir, char *tag,
			 size_t len)
{
	char own[PATH_MAX], real_dir[PATH_MAX], real_own[PATH_MAX];
	const char *slash = strrchr(dir, '/');
	const char *t = slash ? slash + 1 : dir;

	if (!vmsnap_tag_valid(t) || vmsnap_path(lib, name, t, own, sizeof(own)) ||
	    !realpath(dir, real_dir) || !realpath(own, real_own) || strcmp(real_dir, real_own))
		return false;
	snprintf(tag, len, "%s", t);
	return true;
}

int vmproc_snap_open(const struct vmlib *lib, const char *name, const char *dir,
		     struct vm_config *cfg, struct snap_file *f, char *err, size_t errlen)
{
	struct vm_config *scfg = malloc(sizeof(*scfg));
	char tag[VMSNAP_TAG_MAX];
	int r;

	memset(f, 0, sizeof(*f));
	if (!scfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = machine_snapshot_open(dir, scfg, f, err, errlen);
	if (!r) {
		r = vmsnap_config_compatible(cfg, scfg, err, errlen);
		if (r)
			snap_file_free(f);
	}
	if (!r && lib && own_snapshot(lib, name, dir, tag, sizeof(tag)))
		for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++)
			if (cfg->disks[i].present)
				snprintf(cfg->disks[i].path, sizeof(cfg->disks[i].path), "%s",
					 scfg->disks[i].path);
	free(scfg);
	return r;
}

int vmproc_snap_load(struct vmproc_snap_ctx *c, const char *dir, const struct snap_file *f,
		     char *err, size_t errlen)
{
	struct vm_state_info vsi;
	char tag[VMSNAP_TAG_MAX];
	int r = machine_restore_state(c->m, f, &vsi, err, errlen);

	if (r)
		return r;
	/* Resumed from one of its own snapshots: that one is current. */
	vmsnap_current_write(c->lib, c->name,
			     own_snapshot(c->lib, c->name, dir, tag, sizeof(tag)) ? tag : NULL);
	return 0;
}

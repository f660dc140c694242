/* The VM library on disk: LIB/vms/NAME/vm.ini, listing with live state,
 * create from a template, remove; see vmlib.h. Starting is vmlib_start.c. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "qcow2.h"
#include "vmctl.h"
#include "vmlib.h"
#include "vmproc.h"
#include "vmsnap_int.h"

#define VMLIB_MAX_DISK (16ULL << 40)

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int vmlib_open(struct vmlib *lib, const char *dir, char *err, size_t errlen)
{
	char vms[PATH_MAX + 8];
	int r;

	memset(lib, 0, sizeof(*lib));
	cli_library_dir(dir, lib->dir, sizeof(lib->dir));
	vmproc_run_root(lib->run_dir, sizeof(lib->run_dir));
	snprintf(vms, sizeof(vms), "%s/vms", lib->dir);
	r = mkdir_p(vms, 0755);
	if (r) {
		snprintf(err, errlen, "library %s: %s", vms, strerror(-r));
		return r;
	}
	/* Absolute, so VM processes (and their notes) agree on it. */
	{
		char abs[PATH_MAX];
		if (realpath(lib->dir, abs))
			snprintf(lib->dir, sizeof(lib->dir), "%s", abs);
	}
	return 0;
}

static const char *vmlib_state_from_status(json_object *reply, enum vmlib_state *st)
{
	json_object *o;
	const char *s = json_object_object_get_ex(reply, "state", &o) ?
			json_object_get_string(o) : "";

	if (!strcmp(s, "paused"))
		*st = VMLIB_PAUSED;
	else if (!strcmp(s, "stopping"))
		*st = VMLIB_STOPPING;
	else
		*st = VMLIB_RUNNING;
	return s;
}

/* Asks a live VM process for its state, uptime and VNC address. */
static void vmlib_query_status(struct vmlib *lib, struct vmlib_entry *e)
{
	struct vmctl c;
	json_object *req, *reply = NULL, *o;
	char err[256];

	if (vmctl_connect(lib, e->name, &c, err, sizeof(err))) {
		e->state = VMLIB_STARTING;
		return;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	if (vmctl_request(&c, req, &reply, err, sizeof(err))) {
		e->state = VMLIB_STARTING;
	} else {
		vmlib_state_from_status(reply, &e->state);
		if (json_object_object_get_ex(reply, "uptime_ns", &o))
			e->uptime_ns = (uint64_t)json_object_get_int64(o);
		if (json_object_object_get_ex(reply, "vnc", &o) && json_object_get_string(o))
			snprintf(e->vnc, sizeof(e->vnc), "%s", json_object_get_string(o));
		if (json_object_object_get_ex(reply, "vnc_password", &o) &&
		    json_object_get_string(o))
			snprintf(e->vnc_password, sizeof(e->vnc_password), "%s",
				 json_object_get_string(o));
		json_object_put(reply);
	}
	json_object_put(req);
	vmctl_close(&c);
}

int vmlib_get(struct vmlib *lib, const char *name, struct vmlib_entry *out, char *err,
	      size_t errlen)
{
	struct vm_config *cfg;
	struct stat st;
	pid_t pid;
	char cerr[512];

	memset(out, 0, sizeof(*out));
	if (!config_name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a valid VM name (letters, digits, '-', '_', '.')",
			 name);
		return -EINVAL;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (vmproc_vm_path(lib, name, "vm.ini", out->config_path, sizeof(out->config_path)) ||
	    stat(out->config_path, &st) < 0) {
		snprintf(err, errlen, "no VM named '%s' in %s/vms", name, lib->dir);
		return -ENOENT;
	}
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (config_load(out->config_path, cfg, cerr, sizeof(cerr)) == 0) {
		out->cpus = cfg->cpus;
		out->memory = cfg->memory;
		out->has_display = cfg->display.enabled;
	}
	free(cfg);

	switch (vmproc_check(lib, name, &pid)) {
	case VMPROC_ALIVE:
		out->pid = pid;
		out->state = VMLIB_RUNNING;
		vmlib_query_status(lib, out);
		break;
	case VMPROC_STARTING:
		out->state = VMLIB_STARTING;
		break;
	case VMPROC_STALE: {
		char msg[128];
		vmproc_remove_runtime(lib, name);
		snprintf(msg, sizeof(msg), "dead: the VM process vanished without cleaning up "
			 "(killed or crashed)");
		vmproc_write_last_exit(lib, name, msg);
		out->state = VMLIB_DEAD;
		break;
	}
	case VMPROC_NONE:
		out->state = VMLIB_STOPPED;
		break;
	}
	vmproc_read_last_exit(lib, name, out->last_event, sizeof(out->last_event));
	if (out->state == VMLIB_STOPPED && !strncmp(out->last_event, "dead:", 5))
		out->state = VMLIB_DEAD;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vmlib_entry *)a)->name, ((const struct vmlib_entry *)b)->name);
}

int vmlib_list(struct vmlib *lib, struct vmlib_entry **out, size_t *n, char *err, size_t errlen)
{
	char vms[PATH_MAX + 8];
	struct vmlib_entry *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *d;
	DIR *dir;

	*out = NULL;
	*n = 0;
	snprintf(vms, sizeof(vms), "%s/vms", lib->dir);
	dir = opendir(vms);
	if (!dir) {
		int r = -errno;
		if (r == -ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", vms, strerror(-r));
		return r;
	}
	while ((d = readdir(dir))) {
		struct vmlib_entry e;
		char e_err[256];
		if (!config_name_valid(d->d_name))
			continue;
		if (vmlib_get(lib, d->d_name, &e, e_err, sizeof(e_err)))
			continue; /* a directory without vm.ini is not a VM */
		if (cnt == cap) {
			struct vmlib_entry *nv;
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dir);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = e;
	}
	closedir(dir);
	if (cnt)
		qsort(v, cnt, sizeof(*v), name_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

/* The shipped templates: $VMDECK_CONFIGS, <dir of the executable>/configs
 * (the build copies configs/ there), <prefix>/share/vmdeck/configs, or
 * $VMDECK_SOURCE_DIR/configs. */
static int templates_dir(char *out, size_t len)
{
	const char *env = getenv("VMDECK_CONFIGS"), *src = getenv("VMDECK_SOURCE_DIR");
	char exe[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		if (snprintf(out, len, "%s/configs", exe) < (int)len &&
		    stat(out, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		if (snprintf(out, len, "%s/../share/vmdeck/configs", exe) < (int)len &&
		    stat(out, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
	}
	if (src && *src) {
		snprintf(out, len, "%s/configs", src);
		if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
	}
	return -ENOENT;
}

/* The first comment line of a template, without its "; ". */
static void template_description(const char *path, char *out, size_t len)
{
	char line[256];
	FILE *f = fopen(path, "re");

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		if (*p != ';' && *p != '#')
			break;
		while (*p == ';' || *p == '#' || *p == ' ')
			p++;
		p[strcspn(p, "\r\n")] = 0;
		if (*p) {
			snprintf(out, len, "%.*s", (int)(len - 1), p);
			break;
		}
	}
	fclose(f);
}

static int tmpl_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vmlib_template *)a)->name,
		      ((const struct vmlib_template *)b)->name);
}

int vmlib_templates(struct vmlib_template **out, size_t *n, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct vmlib_template *v = NULL;
	size_t cnt = 0, cap = 0;
	struct vm_config *cfg;
	struct dirent *d;
	DIR *dp;

	*out = NULL;
	*n = 0;
	if (templates_dir(dir, sizeof(dir)) || !(dp = opendir(dir))) {
		snprintf(err, errlen, "no templates found (configs/ next to the vmdeck binary, "
			 "$VMDECK_CONFIGS or $VMDECK_SOURCE_DIR/configs)");
		return -ENOENT;
	}
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		closedir(dp);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while ((d = readdir(dp))) {
		size_t l = strlen(d->d_name);
		struct vmlib_template t;
		char cerr[256];

		if (l < 5 || strcmp(d->d_name + l - 4, ".ini") || l - 4 >= sizeof(t.name))
			continue;
		memset(&t, 0, sizeof(t));
		memcpy(t.name, d->d_name, l - 4);
		if (snprintf(t.path, sizeof(t.path), "%s/%s", dir, d->d_name) >= (int)sizeof(t.path))
			continue;
		if (config_load(t.path, cfg, cerr, sizeof(cerr)))
			continue;
		t.cpus = cfg->cpus;
		t.memory = cfg->memory;
		t.has_display = cfg->display.enabled;
		template_description(t.path, t.description, sizeof(t.description));
		if (cnt == cap) {
			struct vmlib_template *nv;
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[cnt++] = t;
	}
	closedir(dp);
	free(cfg);
	if (cnt)
		qsort(v, cnt, sizeof(*v), tmpl_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

static int find_template(const char *name, char *path, size_t len, char *err, size_t errlen)
{
	struct vmlib_template *t;
	size_t n;
	int r = vmlib_templates(&t, &n, err, errlen);

	if (r)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(t[i].name, name)) {
			snprintf(path, len, "%s", t[i].path);
			r = 0;
		}
	}
	if (r) {
		int o = snprintf(err, errlen, "template: no template named '%s' (have:", name);
		for (size_t i = 0; i < n && o > 0 && (size_t)o < errlen; i++)
			o += snprintf(err + o, errlen - (size_t)o, " %s", t[i].name);
		if (o > 0 && (size_t)o < errlen)
			snprintf(err + o, errlen - (size_t)o, ")");
	}
	free(t);
	return r;
}

static int create_disk(const char *path, uint64_t size, char *err, size_t errlen)
{
	char qerr[512];
	int r = qcow2_create(path, size, 0, NULL, NULL, qerr, sizeof(qerr));

	if (r)
		snprintf(err, errlen, "disk_size: %s", qerr);
	return r;
}

int vmlib_create(struct vmlib *lib, const struct vmlib_create_req *req, char *err, size_t errlen)
{
	char tpath[PATH_MAX], dir[PATH_MAX], ini[PATH_MAX], disk[PATH_MAX];
	struct vm_config *cfg = NULL;
	struct stat st;
	int r;

	if (!config_name_valid(req->name)) {
		snprintf(err, errlen, "name: '%s' is not valid (letters, digits, '-', '_', '.'; "
			 "at most %d characters; not starting with '.' or '-')", req->name,
			 VMLIB_NAME_MAX - 1);
		return -EINVAL;
	}
	if (vmproc_vm_path(lib, req->name, NULL, dir, sizeof(dir)) ||
	    vmproc_vm_path(lib, req->name, "vm.ini", ini, sizeof(ini)) ||
	    vmproc_vm_path(lib, req->name, "disk0.qcow2", disk, sizeof(disk))) {
		snprintf(err, errlen, "name: library path too long");
		return -ENAMETOOLONG;
	}
	if (stat(dir, &st) == 0) {
		snprintf(err, errlen, "name: a VM named '%s' already exists", req->name);
		return -EEXIST;
	}
	r = find_template(req->template_name[0] ? req->template_name : "hello", tpath,
			  sizeof(tpath), err, errlen);
	if (r)
		return r;
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = config_load(tpath, cfg, err, errlen);
	if (r)
		goto out;
	snprintf(cfg->name, sizeof(cfg->name), "%s", req->name);
	if (req->cpus) {
		if (req->cpus > VMCTL_MAX_VCPUS) {
			snprintf(err, errlen, "cpus: %u is out of range (1 to %d)", req->cpus,
				 VMCTL_MAX_VCPUS);
			r = -EINVAL;
			goto out;
		}
		cfg->cpus = req->cpus;
	}
	if (req->memory) {
		if (req->memory < (2ULL << 20) || req->memory > (1ULL << 40) || req->memory % (1 << 20)) {
			snprintf(err, errlen, "memory: %llu bytes is not a size from 2M to 1T in "
				 "whole MiB", (unsigned long long)req->memory);
			r = -EINVAL;
			goto out;
		}
		cfg->memory = req->memory;
	}
	if (req->kernel[0]) {
		if (!realpath(req->kernel, cfg->kernel)) {
			snprintf(err, errlen, "kernel: %s: %s", req->kernel, strerror(errno));
			r = -ENOENT;
			goto out;
		}
		cfg->kernel_spec[0] = 0;
	}
	if (req->cmdline[0])
		snprintf(cfg->cmdline, sizeof(cfg->cmdline), "%s", req->cmdline);
	if (req->display >= 0)
		cfg->display.enabled = req->display;
	if (req->disk_size) {
		if (req->disk_size % 512 || req->disk_size > VMLIB_MAX_DISK) {
			snprintf(err, errlen, "disk_size: %llu bytes is not a multiple of 512 up to 16T",
				 (unsigned long long)req->disk_size);
			r = -EINVAL;
			goto out;
		}
		if (cfg->disks[0].present) {
			snprintf(err, errlen, "disk_size: template '%s' already has a disk",
				 req->template_name);
			r = -EINVAL;
			goto out;
		}
	}
	r = config_validate(cfg, err, errlen);
	if (r)
		goto out;
	if (mkdir(dir, 0755) < 0) {
		r = -errno;
		snprintf(err, errlen, "name: %s: %s", dir, strerror(errno));
		goto out;
	}
	if (req->disk_size) {
		r = create_disk(disk, req->disk_size, err, errlen);
		if (r)
			goto undo;
		cfg->disks[0] = (struct config_disk){ .present = true };
		snprintf(cfg->disks[0].path, sizeof(cfg->disks[0].path), "%s", disk);
		snprintf(cfg->disks[0].format, sizeof(cfg->disks[0].format), "qcow2");
		snprintf(cfg->disks[0].cache, sizeof(cfg->disks[0].cache), "writeback");
	}
	r = config_save(cfg, ini, err, errlen);
	if (r)
		goto undo;
	goto out;
undo:
	unlink(disk);
	rmdir(dir);
out:
	free(cfg);
	return r;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

int vmlib_remove(struct vmlib *lib, const char *name, char *err, size_t errlen)
{
	struct vmlib_entry e;
	char dir[PATH_MAX];
	int r = vmlib_get(lib, name, &e, err, errlen);

	if (r)
		return r;
	if (e.state != VMLIB_STOPPED && e.state != VMLIB_DEAD) {
		snprintf(err, errlen, "%s is running (pid %d): stop it first", name, (int)e.pid);
		return -EBUSY;
	}
	{
		char who[512];
		r = vmsnap_find_dependant(lib, name, NULL, who, sizeof(who));
		if (r) {
			snprintf(err, errlen, "%s is in use: %s depends on it (remove that first)",
				 name, who);
			return r;
		}
	}
	vmproc_vm_path(lib, name, NULL, dir, sizeof(dir));
	/* vm.ini, disks, notes and snapshots/: the whole tree, depth first,
	 * never following symlinks out of it. */
	if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s (partly removed)", dir, strerror(errno));
		return r ? r : -EIO;
	}
	return 0;
}

const char *vmlib_state_name(enum vmlib_state s)
{
	switch (s) {
	case VMLIB_STOPPED: return "stopped";
	case VMLIB_STARTING: return "starting";
	case VMLIB_RUNNING: return "running";
	case VMLIB_PAUSED: return "paused";
	case VMLIB_STOPPING: return "stopping";
	case VMLIB_DEAD: return "dead";
	}
	return "?";
}

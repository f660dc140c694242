/* Snapshot bookkeeping on disk: tags, paths, info.ini, .current, and the
 * compatibility of a snapshot with a VM definition; see vmsnap_int.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmproc.h"
#include "vmsnap_int.h"

#define META_FILE "info.ini"
#define META_MAX 4096

bool vmsnap_tag_valid(const char *tag)
{
	size_t n;

	if (!tag)
		return false;
	n = strlen(tag);
	if (n == 0 || n >= VMSNAP_TAG_MAX || tag[0] == '.' || tag[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)tag[i]) && tag[i] != '-' && tag[i] != '_' &&
		    tag[i] != '.')
			return false;
	/* DIR.tmp.PID is machine_snapshot's temporary name. */
	return !strstr(tag, "..") && !strstr(tag, ".tmp.");
}

int vmsnap_path(const struct vmlib *lib, const char *name, const char *tag, char *out, size_t len)
{
	char rel[VMLIB_NAME_MAX + VMSNAP_TAG_MAX + 16];

	snprintf(rel, sizeof(rel), "snapshots%s%s", tag ? "/" : "", tag ? tag : "");
	return vmproc_vm_path(lib, name, rel, out, len);
}

void vmsnap_make_tag(const struct vmlib *lib, const char *name, char *out, size_t len)
{
	char base[32], dir[PATH_MAX];
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;

	localtime_r(&now, &tm);
	strftime(base, sizeof(base), "snap-%Y%m%d-%H%M%S", &tm);
	snprintf(out, len, "%s", base);
	for (int i = 2; i < 1000; i++) {
		if (vmsnap_path(lib, name, out, dir, sizeof(dir)) || stat(dir, &st) < 0)
			return;
		snprintf(out, len, "%s-%d", base, i);
	}
}

int vmsnap_meta_write(const char *dir, const struct vmsnap_meta *m)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], buf[512];
	int fd, n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, META_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf), "; vmdeck snapshot\nparent = %s\ncreated = %lld\n"
		     "cpus = %u\nmemory = %llu\n", m->parent, (long long)m->created, m->cpus,
		     (unsigned long long)m->memory);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0) {
		int r = -errno;
		close(fd);
		unlink(tmp);
		return r ? r : -EIO;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int r = -errno;
		unlink(tmp);
		return r;
	}
	return 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* Hostile input: every line bounded, every value checked; unknown keys are
 * ignored (newer versions may add some). */
int vmsnap_meta_read(const char *dir, struct vmsnap_meta *m)
{
	char path[PATH_MAX], buf[META_MAX + 1], *line, *save = NULL;
	uint64_t v;
	ssize_t n;
	int fd;

	memset(m, 0, sizeof(*m));
	if (snprintf(path, sizeof(path), "%s/%s", dir, META_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, META_MAX);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *key = line, *val, *e;
		if (line[0] == ';' || line[0] == '#' || !eq)
			continue;
		*eq = 0;
		val = eq + 1;
		while (*val == ' ')
			val++;
		for (e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = 0;
		val[strcspn(val, " \r\t")] = 0;
		if (!strcmp(key, "parent")) {
			if (*val && !vmsnap_tag_valid(val))
				goto bad;
			snprintf(m->parent, sizeof(m->parent), "%s", val);
		} else if (!strcmp(key, "created")) {
			if (!parse_u64(val, &v) || v > (1ULL << 40))
				goto bad;
			m->created = (time_t)v;
		} else if (!strcmp(key, "cpus")) {
			if (!parse_u64(val, &v) || v < 1 || v > 1024)
				goto bad;
			m->cpus = (unsigned)v;
		} else if (!strcmp(key, "memory")) {
			if (!parse_u64(val, &v) || v > (1ULL << 50))
				goto bad;
			m->memory = v;
		}
	}
	return 0;
bad:
	memset(m, 0, sizeof(*m));
	return -EINVAL;
}

void vmsnap_current_read(const struct vmlib *lib, const char *name, char *tag, size_t len)
{
	char path[PATH_MAX], buf[VMSNAP_TAG_MAX + 2];
	ssize_t n = -1;
	int fd;

	tag[0] = 0;
	if (vmsnap_path(lib, name, ".current", path, sizeof(path)))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (vmsnap_tag_valid(buf))
		snprintf(tag, len, "%s", buf);
}

/* tag "" or NULL removes the marker. */
int vmsnap_current_write(const struct vmlib *lib, const char *name, const char *tag)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], buf[VMSNAP_TAG_MAX + 2];
	int fd, n;

	if (vmsnap_path(lib, name, ".current", path, sizeof(path)))
		return -ENAMETOOLONG;
	if (!tag || !*tag)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	if (!vmsnap_tag_valid(tag))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf), "%s\n", tag);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		unlink(tmp);
		return -EIO;
	}
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

int vmsnap_config_compatible(const struct vm_config *vm, const struct vm_config *snap,
			     char *err, size_t errlen)
{
	if (vm->cpus != snap->cpus) {
		snprintf(err, errlen, "config-mismatch: the snapshot has %u vCPUs, the VM %u",
			 snap->cpus, vm->cpus);
		return -EINVAL;
	}
	if (vm->memory != snap->memory) {
		snprintf(err, errlen, "config-mismatch: the snapshot has %llu MiB of memory, the VM "
			 "%llu MiB", (unsigned long long)(snap->memory >> 20),
			 (unsigned long long)(vm->memory >> 20));
		return -EINVAL;
	}
	if (vm->display.enabled != snap->display.enabled ||
	    (vm->display.enabled && (vm->display.width != snap->display.width ||
				     vm->display.height != snap->display.height))) {
		snprintf(err, errlen, "config-mismatch: the snapshot's display is %s, the VM's %s",
			 snap->display.enabled ? "on" : "off", vm->display.enabled ? "on" : "off");
		if (vm->display.enabled && snap->display.enabled)
			snprintf(err, errlen, "config-mismatch: the snapshot's display is %ux%u, "
				 "the VM's %ux%u", snap->display.width, snap->display.height,
				 vm->display.width, vm->display.height);
		return -EINVAL;
	}
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *a = &vm->disks[i], *b = &snap->disks[i];
		if (a->present != b->present) {
			snprintf(err, errlen, "config-mismatch: disk.%u is %s in the snapshot but %s "
				 "in the VM", i, b->present ? "present" : "absent",
				 a->present ? "present" : "absent");
			return -EINVAL;
		}
		/* Formats may differ: a snapshot freezes a raw image under a
		 * qcow2 overlay. */
		if (a->present && a->readonly != b->readonly) {
			snprintf(err, errlen, "config-mismatch: disk.%u is %s in the snapshot but %s "
				 "in the VM", i, b->readonly ? "read-only" : "writable",
				 a->readonly ? "read-only" : "writable");
			return -EINVAL;
		}
	}
	return 0;
}

int vmsnap_rm_dir(const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];
	int r = 0;

	if (!d) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return r;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p) ||
		    unlink(p) < 0) {
			r = r ? r : -errno;
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
		}
	}
	closedir(d);
	if (!r && rmdir(dir) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	}
	return r;
}

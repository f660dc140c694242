/* Runtime directories of VM processes: paths, liveness, stale cleanup,
 * last-exit notes; see vmproc.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmproc.h"

#define VMPROC_STARTING_GRACE_S 10

const char *vmproc_run_root(char *out, size_t len)
{
	const char *env = getenv("VMDECK_RUNTIME_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		snprintf(out, len, "%s", env);
	else if (xdg && *xdg)
		snprintf(out, len, "%s/vmdeck", xdg);
	else if (geteuid() == 0)
		snprintf(out, len, "/run/vmdeck");
	else
		snprintf(out, len, "/tmp/vmdeck-%u", (unsigned)geteuid());
	return out;
}

int vmproc_path(const struct vmlib *lib, const char *name, const char *file, char *out,
		size_t len)
{
	int n = file ? snprintf(out, len, "%s/%s/%s", lib->run_dir, name, file) :
		       snprintf(out, len, "%s/%s", lib->run_dir, name);
	size_t sl;

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	sl = strlen(out);
	if (sl > 5 && !strcmp(out + sl - 5, ".sock") &&
	    sl >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int vmproc_vm_path(const struct vmlib *lib, const char *name, const char *file, char *out,
		   size_t len)
{
	int n = file ? snprintf(out, len, "%s/vms/%s/%s", lib->dir, name, file) :
		       snprintf(out, len, "%s/vms/%s", lib->dir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool vmproc_cmdline_matches(const char *cmdline, size_t len, const char *name)
{
	const char *args[16];
	size_t n = 0, i = 0;

	/* Split the NUL-separated argv; a missing final NUL ends the last arg. */
	while (i < len && n < 16) {
		const char *s = cmdline + i;
		size_t l = strnlen(s, len - i);
		if (l == len - i)
			return false; /* unterminated: not what we exec'ed */
		args[n++] = s;
		i += l + 1;
	}
	if (n < 3 || !strstr(args[0], "vmdeck") || strcmp(args[1], VMPROC_HIDDEN_CMD))
		return false;
	return !strcmp(args[n - 1], name);
}

static bool pid_is_vm_process(pid_t pid, const char *name)
{
	char path[64], buf[8192];
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && vmproc_cmdline_matches(buf, (size_t)n, name);
}

static pid_t read_pid(const char *path)
{
	char buf[32];
	ssize_t n;
	long v;
	char *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	v = strtol(buf, &end, 10);
	if (v <= 0 || v > 0x3fffffff || (*end && *end != '\n'))
		return 0;
	return (pid_t)v;
}

enum vmproc_liveness vmproc_check(const struct vmlib *lib, const char *name, pid_t *pid)
{
	char dir[PATH_MAX], pidf[PATH_MAX];
	struct stat st;
	pid_t p;

	*pid = 0;
	if (vmproc_path(lib, name, NULL, dir, sizeof(dir)) ||
	    vmproc_path(lib, name, "pid", pidf, sizeof(pidf)))
		return VMPROC_NONE;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return VMPROC_NONE;
	p = read_pid(pidf);
	if (!p) {
		/* The process writes pid right after taking the lock; give a
		 * starting process time before calling the entry stale. */
		return time(NULL) - st.st_mtime < VMPROC_STARTING_GRACE_S ? VMPROC_STARTING :
		       VMPROC_STALE;
	}
	if (!pid_is_vm_process(p, name))
		return VMPROC_STALE;
	*pid = p;
	return VMPROC_ALIVE;
}

void vmproc_remove_runtime(const struct vmlib *lib, const char *name)
{
	static const char *const files[] = { "control.sock", "console.sock", "pid", "log",
					     "lock", "framebuffer", "pid.tmp" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!vmproc_path(lib, name, files[i], path, sizeof(path)))
			unlink(path);
	if (!vmproc_path(lib, name, NULL, path, sizeof(path)))
		rmdir(path);
}

void vmproc_write_last_exit(const struct vmlib *lib, const char *name, const char *msg)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	if (vmproc_vm_path(lib, name, "last-exit", path, sizeof(path)))
		return;
	if (!msg) {
		unlink(path);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%s\n", msg);
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

void vmproc_read_last_exit(const struct vmlib *lib, const char *name, char *out, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	out[0] = 0;
	if (vmproc_vm_path(lib, name, "last-exit", path, sizeof(path)))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(out, (int)len, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
}

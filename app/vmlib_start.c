/* vmlib_start: launches `vmdeck __vm-process` detached (fork, setsid, fork,
 * exec of /proc/self/exe), so the VM outlives the dashboard or shell that
 * started it, then waits for the process to report through a pipe that its
 * machine runs, and for its control socket to answer "status". */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmctl.h"
#include "vmlib.h"
#include "vmproc.h"
#include "vmsnap.h"

#define VMLIB_START_TIMEOUT_MS 10000

/* Runs in the forked child of a possibly multi-threaded process: only
 * async-signal-safe calls until exec. */
static void child_exec(char **argv, int ready_w)
{
	sigset_t none;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int nul;

	if (setsid() < 0)
		_exit(127);
	switch (fork()) {
	case -1:
		_exit(127);
	case 0:
		break;
	default:
		_exit(0); /* the VM process is now an orphan, adopted by init */
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	/* A starter run with stdio closed may have got the pipe as fd 0-2:
	 * move it above them before /dev/null takes their place. */
	if (ready_w <= STDERR_FILENO)
		ready_w = fcntl(ready_w, F_DUPFD, STDERR_FILENO + 1);
	nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		dup2(nul, STDERR_FILENO);
		if (nul > STDERR_FILENO)
			close(nul);
	}
	/* The report pipe becomes fd 3; nothing else of the starter's (its
	 * terminal, sockets) leaks into the VM process. */
	if (ready_w != 3) {
		dup2(ready_w, 3);
	} else {
		fcntl(3, F_SETFD, 0);
	}
	syscall(SYS_close_range, 4U, ~0U, 0U);
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* Reads the VM process's report: "ok\n" or "error: MSG\n"; EOF if it died. */
static int wait_ready(int fd, const char *name, char *err, size_t errlen)
{
	char buf[1200];
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t n;
		int r = poll(&p, 1, VMLIB_START_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			snprintf(err, errlen, "%s: the VM process did not report within %d s", name,
				 VMLIB_START_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len) || len == sizeof(buf) - 1)
			break;
	}
	buf[len] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!strcmp(buf, "ok"))
		return 0;
	if (!strncmp(buf, "error: ", 7)) {
		snprintf(err, errlen, "%s", buf + 7);
		return strstr(buf, "already running") ? -EBUSY : -EIO;
	}
	snprintf(err, errlen, "%s: the VM process exited during start-up", name);
	return -EIO;
}

static int wait_status(struct vmlib *lib, const char *name, char *err, size_t errlen)
{
	struct timespec delay = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < VMLIB_START_TIMEOUT_MS / 20; i++) {
		struct vmctl c;
		int r = vmctl_connect(lib, name, &c, err, errlen);
		if (!r) {
			r = vmctl_simple(&c, "status", err, errlen);
			vmctl_close(&c);
			if (!r)
				return 0;
		}
		nanosleep(&delay, NULL);
	}
	return -ETIMEDOUT;
}

int vmlib_start(struct vmlib *lib, const char *name, char *err, size_t errlen)
{
	return vmsnap_start(lib, name, NULL, err, errlen);
}

int vmlib_start_from(struct vmlib *lib, const char *name, const char *snapshot_dir, char *err,
		     size_t errlen)
{
	struct vmlib_entry e;
	char fdarg[16];
	char *argv[10];
	int argc = 0;
	int pipefd[2], r, st;
	pid_t pid;

	r = vmlib_get(lib, name, &e, err, errlen);
	if (r)
		return r;
	if (e.state != VMLIB_STOPPED && e.state != VMLIB_DEAD) {
		snprintf(err, errlen, "%s is already running (pid %d)", name, (int)e.pid);
		return -EBUSY;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return r;
	}
	snprintf(fdarg, sizeof(fdarg), "3");
	argv[argc++] = "vmdeck";
	argv[argc++] = VMPROC_HIDDEN_CMD;
	argv[argc++] = "--ready-fd";
	argv[argc++] = fdarg;
	argv[argc++] = "--library";
	argv[argc++] = lib->dir;
	if (snapshot_dir) {
		argv[argc++] = "--restore";
		argv[argc++] = (char *)snapshot_dir;
	}
	argv[argc++] = (char *)name;
	argv[argc] = NULL;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child_exec(argv, pipefd[1]);
	}
	close(pipefd[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r = wait_ready(pipefd[0], name, err, errlen);
	close(pipefd[0]);
	if (r)
		return r;
	r = wait_status(lib, name, err, errlen);
	if (r) {
		char note[256];
		vmproc_read_last_exit(lib, name, note, sizeof(note));
		if (note[0] && vmproc_check(lib, name, &pid) == VMPROC_NONE)
			snprintf(err, errlen, "%s started and has already ended: %s", name, note);
		else
			snprintf(err, errlen, "%s: started, but its control socket does not answer",
				 name);
	}
	return r;
}

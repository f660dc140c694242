/* Stats merge (VMM + kernel counters), /proc parsers, and stale runtime
 * entry detection. */
#include <criterion/criterion.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_stats.h"
#include "vmproc.h"

Test(procstats, merge_pvm_like)
{
	/* PVM: the kernel's io_exits stays 0, vmdeck counts port I/O itself. */
	struct proc_ucounts u = { .exits = 1968 };
	struct proc_kstats k = { .exits = 2041, .io_exits = 0, .mmio_exits = 20, .halt_exits = 5,
				 .irq_exits = 50, .insn_emulation = 27564, .pf_taken = 2,
				 .halt_wait_ns = 435386, .halt_wakeup = 5 };
	struct vmctl_vcpu v;

	u.by_reason[KVM_EXIT_IO] = 1948;
	u.by_reason[KVM_EXIT_MMIO] = 20;
	u.by_reason[KVM_EXIT_INTR] = 4;
	u.run_ns = 100;
	u.vmm_ns = 7;
	memset(&v, 0, sizeof(v));
	proc_stats_merge(&u, &k, &v);
	cr_assert_eq(v.exits_user, 1968);
	cr_assert_eq(v.exits_kernel, 73);
	cr_assert_eq(v.by_reason[VMCTL_R_IO], 1948);
	cr_assert_eq(v.by_reason[VMCTL_R_MMIO], 20);
	cr_assert_eq(v.by_reason[VMCTL_R_HLT], 5);
	cr_assert_eq(v.by_reason[VMCTL_R_EXTIRQ], 50);
	cr_assert_eq(v.by_reason[VMCTL_R_EMULATION], 27564);
	cr_assert_eq(v.by_reason[VMCTL_R_INTR], 4);
	cr_assert_eq(v.by_reason[VMCTL_R_PF], 2);
	cr_assert_eq(v.by_reason[VMCTL_R_CPUID], 0);
	cr_assert_eq(v.by_reason[VMCTL_R_TOTAL], 2041);
	cr_assert_eq(v.by_reason[VMCTL_R_OTHER], 2041 - 1948 - 20 - 5 - 50);
	cr_assert_eq(v.run_ns, 100);
	cr_assert_eq(v.vmm_ns, 7);
	cr_assert_eq(v.halt_wait_ns, 435386);
	cr_assert_eq(v.halt_wakeups, 5);
}

Test(procstats, merge_vmx_like_and_msr)
{
	/* VMX: the kernel counts every I/O exit, including in-kernel ones. */
	struct proc_ucounts u = { .exits = 30 };
	struct proc_kstats k = { .exits = 500, .io_exits = 120, .irq_window_exits = 3 };
	struct vmctl_vcpu v;

	u.by_reason[KVM_EXIT_IO] = 10;
	u.by_reason[KVM_EXIT_X86_RDMSR] = 8;
	u.by_reason[KVM_EXIT_X86_WRMSR] = 8;
	u.by_reason[KVM_EXIT_IRQ_WINDOW_OPEN] = 4;
	proc_stats_merge(&u, &k, &v);
	cr_assert_eq(v.by_reason[VMCTL_R_IO], 120);
	cr_assert_eq(v.by_reason[VMCTL_R_MSR], 16);
	cr_assert_eq(v.by_reason[VMCTL_R_IRQ_WINDOW], 4);
	cr_assert_eq(v.exits_kernel, 470);
	cr_assert_eq(v.by_reason[VMCTL_R_TOTAL], 500);
}

Test(procstats, merge_without_kernel_stats)
{
	/* No KVM_GET_STATS_FD: the kernel side reads as zeros, nothing underflows. */
	struct proc_ucounts u = { .exits = 10 };
	struct proc_kstats k = { 0 };
	struct vmctl_vcpu v;

	u.by_reason[KVM_EXIT_HLT] = 10;
	proc_stats_merge(&u, &k, &v);
	cr_assert_eq(v.exits_kernel, 0);
	cr_assert_eq(v.by_reason[VMCTL_R_TOTAL], 10);
	cr_assert_eq(v.by_reason[VMCTL_R_HLT], 10);
	cr_assert_eq(v.by_reason[VMCTL_R_OTHER], 0);
}

Test(procstats, task_stat)
{
	/* comm with spaces and parentheses; utime 14, stime 15, processor 39. */
	const char *line = "1234 (vcpu 0) (x)) R 1 2 3 4 5 6 7 8 9 10 250 50 13 14 15 16 17 18 19 "
			   "20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 3 37 38 39\n";
	uint64_t ticks = 0;
	int cpu = -1;
	cr_assert_eq(proc_stats_parse_task_stat(line, &ticks, &cpu), 0);
	cr_assert_eq(ticks, 300);
	cr_assert_eq(cpu, 3);
	cr_assert_neq(proc_stats_parse_task_stat("garbage", &ticks, &cpu), 0);
	cr_assert_neq(proc_stats_parse_task_stat("1 (x) R 1 2", &ticks, &cpu), 0);
}

Test(procstats, smaps)
{
	const char *text =
		"00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/vmdeck\n"
		"Size:                328 kB\n"
		"Rss:                 300 kB\n"
		"7f0000000000-7f0004000000 rw-s 00000000 00:01 2048 /memfd:vmdeck-guest-ram (deleted)\n"
		"Size:              65536 kB\n"
		"Rss:                1632 kB\n"
		"Pss:                1632 kB\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n"
		"Rss:                  20 kB\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	uint64_t ram, total;
	cr_assert(f);
	proc_stats_parse_smaps(f, 0x7f0000000000ULL, 0x7f0004000000ULL, &ram, &total);
	fclose(f);
	cr_assert_eq(ram, 1632);
	cr_assert_eq(total, 1952);
	/* A range that only partly covers a mapping does not count it. */
	f = fmemopen((void *)text, strlen(text), "r");
	proc_stats_parse_smaps(f, 0x7f0000001000ULL, 0x7f0004000000ULL, &ram, &total);
	fclose(f);
	cr_assert_eq(ram, 0);
}

Test(procstats, cmdline_match)
{
	static const char good[] = "vmdeck\0__vm-process\0--ready-fd\0003\0--library\0/l\0web\0";
	static const char other[] = "sleep\0100\0";
	static const char wrong_name[] = "vmdeck\0__vm-process\0--library\0/l\0db\0";
	static const char unterminated[] = { 'v', 'm', 'd', 'e', 'c', 'k' };
	cr_assert(vmproc_cmdline_matches(good, sizeof(good) - 1, "web"));
	cr_assert(!vmproc_cmdline_matches(other, sizeof(other) - 1, "web"));
	cr_assert(!vmproc_cmdline_matches(wrong_name, sizeof(wrong_name) - 1, "web"));
	cr_assert(!vmproc_cmdline_matches(unterminated, sizeof(unterminated), "web"));
	cr_assert(!vmproc_cmdline_matches("", 0, "web"));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

Test(procstats, stale_entries)
{
	char tmpl[] = "/tmp/vmdeck-unit-XXXXXX", path[PATH_MAX + 64];
	struct vmlib lib;
	pid_t pid;
	char *dir = mkdtemp(tmpl);

	cr_assert(dir);
	memset(&lib, 0, sizeof(lib));
	snprintf(lib.dir, sizeof(lib.dir), "%s/lib", dir);
	snprintf(lib.run_dir, sizeof(lib.run_dir), "%s/run", dir);
	mkdir(lib.run_dir, 0700);
	cr_assert_eq(vmproc_check(&lib, "a", &pid), VMPROC_NONE);

	/* A fresh directory without a pid: starting. */
	snprintf(path, sizeof(path), "%s/a", lib.run_dir);
	mkdir(path, 0700);
	cr_assert_eq(vmproc_check(&lib, "a", &pid), VMPROC_STARTING);

	/* A pid that is alive but not a VM process (pid reuse): stale. */
	snprintf(path, sizeof(path), "%s/a/pid", lib.run_dir);
	{
		char buf[32];
		snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		write_file(path, buf);
	}
	cr_assert_eq(vmproc_check(&lib, "a", &pid), VMPROC_STALE);

	/* A dead pid: stale. */
	{
		char buf[32];
		pid_t child = fork();
		if (child == 0)
			_exit(0);
		waitpid(child, NULL, 0);
		snprintf(buf, sizeof(buf), "%d\n", (int)child);
		write_file(path, buf);
	}
	cr_assert_eq(vmproc_check(&lib, "a", &pid), VMPROC_STALE);
	/* Garbage: stale (after the grace period it is treated like a dead pid). */
	write_file(path, "12x\n");
	cr_assert_neq(vmproc_check(&lib, "a", &pid), VMPROC_ALIVE);

	vmproc_remove_runtime(&lib, "a");
	snprintf(path, sizeof(path), "%s/a", lib.run_dir);
	cr_assert_neq(access(path, F_OK), 0, "runtime dir removed");
	rmdir(lib.run_dir);
	rmdir(dir);
}

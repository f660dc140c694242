/* `vmdeck doctor`: can this machine run VMs? Says what is missing and how to
 * fix it, in plain words. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "kvm.h"

static int doctor_cpu_flags(bool *vmx, bool *svm, bool *hypervisor)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];

	*vmx = *svm = *hypervisor = false;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		*vmx = strstr(line, " vmx") != NULL;
		*svm = strstr(line, " svm") != NULL;
		*hypervisor = strstr(line, " hypervisor") != NULL;
		break;
	}
	fclose(f);
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	const char *path = kvm_device_path();
	struct kvm_sys kvm;
	struct stat st;
	bool vmx, svm, hyp;
	char err[512];
	int problems = 0;
	size_t ncaps;
	const struct kvm_cap_req *caps;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("usage: vmdeck doctor\n\nChecks /dev/kvm (presence, permissions, API version,\n"
		     "capabilities) and the CPU's virtualization flags. Exit status 0 when VMs\n"
		     "can run, 1 otherwise. VMDECK_KVM_DEVICE overrides the device path.");
		return 0;
	}
	doctor_cpu_flags(&vmx, &svm, &hyp);
	printf("CPU virtualization: %s\n", vmx ? "Intel VT-x (vmx)" : svm ? "AMD-V (svm)" :
	       "no vmx/svm flag");
	if (!vmx && !svm)
		printf("  note: without vmx/svm, KVM may still work through a paravirtual\n"
		       "  backend (such as PVM inside a cloud VM) — the checks below decide.%s\n",
		       hyp ? "\n  This machine is itself a virtual machine: nested virtualization\n"
		       "  must be enabled on its host for VT-x/AMD-V." : "");

	if (stat(path, &st)) {
		printf("FAIL %s: %s\n  fix: load the KVM module (modprobe kvm_intel or kvm_amd),\n"
		       "  enable virtualization (VT-x/AMD-V) in the firmware settings.\n",
		       path, strerror(errno));
		return 1;
	}
	if (!S_ISCHR(st.st_mode)) {
		printf("FAIL %s is not a character device\n", path);
		return 1;
	}
	if (access(path, R_OK | W_OK)) {
		printf("FAIL %s: no read/write permission for this user\n"
		       "  fix: sudo usermod -aG kvm $USER, then log in again (or run as root)\n", path);
		return 1;
	}
	printf("ok   %s present and accessible\n", path);
	if (kvm_open(&kvm, path, err, sizeof(err))) {
		printf("FAIL %s\n", err);
		return 1;
	}
	printf("ok   KVM API version %d, up to %d vCPUs per VM\n", kvm.api_version, kvm.max_vcpus);
	caps = kvm_cap_table(&ncaps);
	for (size_t i = 0; i < ncaps; i++) {
		bool have = kvm_check_cap(&kvm, caps[i].cap) > 0;
		printf("%s %-26s %s%s\n", have ? "ok  " : caps[i].required ? "FAIL" : "warn",
		       caps[i].name, caps[i].why, have ? "" : caps[i].required ?
		       " — required; this kernel's KVM is too old" : " — optional, some features off");
		if (!have && caps[i].required)
			problems++;
	}
	kvm_close(&kvm);
	if (problems) {
		printf("\n%d required capabilities missing: vmdeck cannot run VMs here.\n", problems);
		return 1;
	}
	printf("\nThis machine can run vmdeck VMs.\n");
	return 0;
}

/* `vmdeck stats NAME [--json] [--watch]`: per-vCPU counters of a running
 * VM; rates come from two samples --interval apart. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_vm.h"
#include "config.h"
#include "vmctl.h"
#include "vmproc.h"

static const char stats_usage[] =
"usage: vmdeck stats NAME [--json] [--watch] [--interval SECONDS] [--library DIR]\n"
"\n"
"Per vCPU: exits per second by reason (io, mmio, hlt, msr, irq window,\n"
"emulated instructions, external interrupts, ...), kernel- vs vmdeck-\n"
"handled exits, host CPU%% of the vCPU thread and the CPU it last ran on,\n"
"guest mode, CPL and RIP; per VM the guest RAM resident vs the VMM's own.\n"
"\n"
"  --json       the raw cumulative counters as JSON (one sample, no wait),\n"
"               including per-port/per-address tables and the kernel's own\n"
"  --watch      refresh every interval until interrupted\n"
"  --interval S seconds between the two samples (default 1)\n";

static double rate(uint64_t a, uint64_t b, double dt)
{
	return b > a && dt > 0 ? (double)(b - a) / dt : 0;
}

static void print_table(const char *name, const struct vmctl_stats *a,
			const struct vmctl_stats *b)
{
	static const enum vmctl_reason cols[] = {
		VMCTL_R_IO, VMCTL_R_MMIO, VMCTL_R_HLT, VMCTL_R_MSR, VMCTL_R_IRQ_WINDOW,
		VMCTL_R_EMULATION, VMCTL_R_EXTIRQ, VMCTL_R_OTHER,
	};
	double dt = (double)(b->time_ns - a->time_ns) / 1e9;

	printf("%s: %s, up %.1f s, guest RAM %llu/%llu MiB resident, VMM %llu MiB, "
	       "console %llu bytes, unclaimed pio %llu mmio %llu\n", name, b->state,
	       (double)b->uptime_ns / 1e9, (unsigned long long)(b->guest_ram_resident >> 20),
	       (unsigned long long)(b->guest_ram_bytes >> 20),
	       (unsigned long long)(b->vmm_resident >> 20), (unsigned long long)b->console_bytes,
	       (unsigned long long)b->unclaimed_pio, (unsigned long long)b->unclaimed_mmio);
	printf("%-4s %-7s %5s %3s %9s %8s %8s", "VCPU", "TID", "CPU%", "ON", "EXITS/s", "KERN/s",
	       "VMM/s");
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		printf(" %8s", vmctl_reason_name(cols[i]));
	printf(" %5s %-7s %3s %-18s %s\n", "HALT%", "MODE", "CPL", "RIP", "STATE");
	for (unsigned i = 0; i < b->nvcpus; i++) {
		const struct vmctl_vcpu *x = &b->vcpu[i], *w = i < a->nvcpus ? &a->vcpu[i] : x;
		printf("%-4u %-7d %5.1f %3d %9.0f %8.0f %8.0f", x->id, (int)x->tid,
		       100 * rate(w->host_cpu_ns, x->host_cpu_ns, dt) / 1e9, x->last_cpu,
		       rate(w->by_reason[VMCTL_R_TOTAL], x->by_reason[VMCTL_R_TOTAL], dt),
		       rate(w->exits_kernel, x->exits_kernel, dt),
		       rate(w->exits_user, x->exits_user, dt));
		for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			printf(" %8.0f", rate(w->by_reason[cols[k]], x->by_reason[cols[k]], dt));
		printf(" %5.1f %-7s %3u 0x%016llx %s\n",
		       100 * rate(w->halt_wait_ns, x->halt_wait_ns, dt) / 1e9, x->mode, x->cpl,
		       (unsigned long long)x->rip, x->state);
	}
	printf("totals:");
	for (unsigned i = 0; i < b->nvcpus; i++)
		printf(" vcpu%u exits=%llu (kernel %llu, vmm %llu) io=%llu hlt=%llu", i,
		       (unsigned long long)b->vcpu[i].by_reason[VMCTL_R_TOTAL],
		       (unsigned long long)b->vcpu[i].exits_kernel,
		       (unsigned long long)b->vcpu[i].exits_user,
		       (unsigned long long)b->vcpu[i].by_reason[VMCTL_R_IO],
		       (unsigned long long)b->vcpu[i].by_reason[VMCTL_R_HLT]);
	printf("\n");
	fflush(stdout);
}

static int print_json(struct vmctl *c)
{
	json_object *req = json_object_new_object(), *reply;
	char err[1024];
	int r;

	json_object_object_add(req, "cmd", json_object_new_string("stats"));
	r = vmctl_request(c, req, &reply, err, sizeof(err));
	json_object_put(req);
	if (r) {
		fprintf(stderr, "vmdeck stats: %s\n", err);
		return 1;
	}
	json_object_object_del(reply, "id");
	json_object_object_del(reply, "ok");
	puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PRETTY));
	json_object_put(reply);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "library", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *library = NULL;
	bool json = false, watch = false;
	double interval = 1;
	struct vmctl_stats *s[2];
	struct vmlib lib;
	struct vmctl c;
	char err[1024], *end;
	int ch, r = 0, cur = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'w': watch = true; break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || interval < 0.05 || interval > 3600) {
				fprintf(stderr, "vmdeck stats: --interval '%s': seconds, 0.05 to 3600\n",
					optarg);
				return 1;
			}
			break;
		case 'L': library = optarg; break;
		case 'h': fputs(stats_usage, stdout); return 0;
		default: fputs(stats_usage, stderr); return 1;
		}
	}
	if (optind + 1 != argc || !config_name_valid(argv[optind])) {
		fprintf(stderr, "vmdeck stats: a VM NAME is required\n%s", stats_usage);
		return 1;
	}
	if (cmd_open_library(library, &lib, "stats"))
		return 1;
	if (vmctl_connect(&lib, argv[optind], &c, err, sizeof(err))) {
		fprintf(stderr, "vmdeck stats: %s\n", err);
		return 1;
	}
	if (json && !watch) {
		r = print_json(&c);
		vmctl_close(&c);
		return r;
	}
	s[0] = malloc(sizeof(*s[0]));
	s[1] = malloc(sizeof(*s[1]));
	if (!s[0] || !s[1] || vmctl_stats(&c, s[0], err, sizeof(err))) {
		fprintf(stderr, "vmdeck stats: %s\n", s[0] && s[1] ? err : "out of memory");
		r = 1;
		goto out;
	}
	do {
		struct timespec d = { (time_t)interval,
				      (long)((interval - (double)(time_t)interval) * 1e9) };
		nanosleep(&d, NULL);
		if (json) {
			if ((r = print_json(&c)))
				break;
			continue;
		}
		if (vmctl_stats(&c, s[!cur], err, sizeof(err))) {
			fprintf(stderr, "vmdeck stats: %s\n", err);
			r = 1;
			break;
		}
		if (watch)
			printf("\033[H\033[2J");
		print_table(argv[optind], s[cur], s[!cur]);
		cur = !cur;
	} while (watch);
out:
	free(s[0]);
	free(s[1]);
	vmctl_close(&c);
	return r;
}

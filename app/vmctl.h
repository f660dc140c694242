/* Talking to a running VM process over its control socket (JSON lines,
 * one request {"id":N,"cmd":"...",...} -> one reply {"id":N,"ok":true,...}
 * or {"id":N,"ok":false,"error":"..."}). Plain data for ui/ and the CLI. */
#ifndef VMDECK_VMCTL_H
#define VMDECK_VMCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmlib.h"

#define VMCTL_MAX_VCPUS 64
#define VMCTL_REASONS 12

/* Exit reasons shown as columns, in this order. */
enum vmctl_reason {
	VMCTL_R_IO, VMCTL_R_MMIO, VMCTL_R_HLT, VMCTL_R_CPUID, VMCTL_R_MSR,
	VMCTL_R_IRQ_WINDOW, VMCTL_R_EMULATION, VMCTL_R_INTR, VMCTL_R_EXTIRQ,
	VMCTL_R_PF, VMCTL_R_OTHER, VMCTL_R_TOTAL,
};

/* Cumulative counters; the caller computes rates from two samples. */
struct vmctl_vcpu {
	unsigned id;
	pid_t tid;
	int last_cpu;             /* host CPU it last ran on */
	uint64_t host_cpu_ns;     /* utime+stime of the vCPU thread */
	uint64_t exits_kernel;    /* exits handled inside KVM (kernel "exits" - user exits) */
	uint64_t exits_user;      /* exits that reached vmdeck */
	uint64_t by_reason[VMCTL_REASONS]; /* kernel + user, see enum */
	uint64_t run_ns, vmm_ns;  /* inside KVM_RUN / handling exits in vmdeck */
	uint64_t halt_wait_ns, halt_wakeups;
	char mode[12];            /* real, prot32, long, ... */
	unsigned cpl;
	bool paging;
	uint64_t rip;
	char state[12];           /* running, paused, exited */
};

struct vmctl_stats {
	uint64_t time_ns;         /* CLOCK_MONOTONIC when sampled */
	uint64_t uptime_ns;
	unsigned nvcpus;
	struct vmctl_vcpu vcpu[VMCTL_MAX_VCPUS];
	uint64_t guest_ram_bytes;     /* configured */
	uint64_t guest_ram_resident;  /* from /proc/PID/smaps of the RAM mapping */
	uint64_t vmm_resident;        /* the rest of the process RSS */
	uint64_t unclaimed_pio, unclaimed_mmio;
	uint64_t console_bytes;
	unsigned vnc_clients;
	uint64_t vnc_bytes;
	/* virtio-blk, summed over the VM's disks */
	unsigned disks;
	uint64_t disk_reads, disk_writes, disk_read_bytes, disk_write_bytes, disk_flushes,
		 disk_errors;
	char state[16];
};

struct vmctl {
	int fd;
	unsigned next_id;
	char name[VMLIB_NAME_MAX];
};

int vmctl_connect(struct vmlib *lib, const char *name, struct vmctl *c, char *err, size_t errlen);
void vmctl_close(struct vmctl *c);
int vmctl_stats(struct vmctl *c, struct vmctl_stats *out, char *err, size_t errlen);
/* cmd: "pause", "resume", "powerdown", "kill", "status". */
int vmctl_simple(struct vmctl *c, const char *cmd, char *err, size_t errlen);
int vmctl_screenshot(struct vmctl *c, const char *png_path, char *err, size_t errlen);
/* keys like "ctrl-alt-delete", "a", "ret". */
int vmctl_sendkey(struct vmctl *c, const char *keys, char *err, size_t errlen);

/* Snapshots (vmsnap.h is the library-level interface). The VM runs on
 * after a snapshot; restore reverts it in place. "suspend" (vmctl_simple)
 * snapshots to the tag "suspend" and stops the VM. Both wait up to
 * VMCTL_SNAPSHOT_TIMEOUT_MS (writing a large RAM takes a while). */
#define VMCTL_SNAPSHOT_TIMEOUT_MS 300000
struct vmctl_snap_result {
	char tag[64];
	char parent[64];
	double pause_ms, total_ms;
	uint64_t bytes;
};
int vmctl_snapshot(struct vmctl *c, const char *tag, struct vmctl_snap_result *out, char *err,
		   size_t errlen);
int vmctl_restore(struct vmctl *c, const char *tag, double *restore_ms, char *err, size_t errlen);
int vmctl_suspend(struct vmctl *c, char *err, size_t errlen);

/* The serial console: a connected stream socket (raw bytes both ways);
 * on connect the VM sends the scrollback ring first. */
int vmctl_console_open(struct vmlib *lib, const char *name, char *err, size_t errlen);

/* A read-only mapping of the guest framebuffer (RUN/NAME/framebuffer, a
 * file the VM process maps shared), for the dashboard's preview.
 * File layout: a 4096-byte header (struct vmctl_fb_header, little-endian)
 * then the pixels; the guest's framebuffer memslot maps the pixels. */
#define VMCTL_FB_MAGIC "VMDECKFB"
#define VMCTL_FB_HEADER 4096
struct vmctl_fb_header {
	char magic[8];
	uint32_t width, height, stride;
	uint32_t format;          /* 0 = x8r8g8b8 */
	uint64_t generation;      /* bumped on mode change */
};
struct vmctl_fb {
	const uint8_t *pixels;    /* x8r8g8b8 */
	uint32_t width, height, stride;
	size_t map_len;
};
int vmctl_fb_map(struct vmlib *lib, const char *name, struct vmctl_fb *fb, char *err, size_t errlen);
void vmctl_fb_unmap(struct vmctl_fb *fb);

#endif

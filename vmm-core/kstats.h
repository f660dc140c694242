/* KVM's binary statistics (KVM_GET_STATS_FD, api.rst 4.133): the kernel's
 * own per-vCPU counters (exits, io_exits, halt_exits, insn_emulation, ...). */
#ifndef VMDECK_KSTATS_H
#define VMDECK_KSTATS_H

#include <stdint.h>

typedef void (*kstats_cb)(void *opaque, const char *name, uint64_t value);

/* Calls cb for every single-value counter/gauge in the stats fd. Returns the
 * number reported or -errno. Descriptor data is read as untrusted. */
int kstats_read(int stats_fd, kstats_cb cb, void *opaque);
/* Looks up one counter by name; -ENOENT if absent. */
int kstats_get(int stats_fd, const char *name, uint64_t *value);

#endif

/* JSON for vmdeck's counters, shared by `vmdeck run --stats-json` and the
 * control socket's "stats" reply. */
#ifndef VMDECK_STATS_JSON_H
#define VMDECK_STATS_JSON_H

#include <json-c/json.h>

#include "vcpu.h"

/* {"0x500": {"reads": R, "writes": W}, ..., "other": {...}} */
json_object *stats_json_addr_table(struct vcpu_addr_table *t);
/* The kernel's own counters of one vCPU (KVM_GET_STATS_FD), by name. */
json_object *stats_json_kernel(struct vcpu *v);

#endif

/* struct vmctl_stats <-> JSON, the body of the control socket's "stats"
 * reply. Field names are the struct's; by_reason is an object keyed by
 * vmctl_reason_name. The reply may carry more (per-port tables, raw
 * kernel counters under "kvm"), which parsing ignores. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmproc.h"

static const char *const reason_names[VMCTL_REASONS] = {
	[VMCTL_R_IO] = "io", [VMCTL_R_MMIO] = "mmio", [VMCTL_R_HLT] = "hlt",
	[VMCTL_R_CPUID] = "cpuid", [VMCTL_R_MSR] = "msr", [VMCTL_R_IRQ_WINDOW] = "irq_window",
	[VMCTL_R_EMULATION] = "emulation", [VMCTL_R_INTR] = "intr",
	[VMCTL_R_EXTIRQ] = "extirq", [VMCTL_R_PF] = "pf", [VMCTL_R_OTHER] = "other",
	[VMCTL_R_TOTAL] = "total",
};

const char *vmctl_reason_name(enum vmctl_reason r)
{
	return (unsigned)r < VMCTL_REASONS ? reason_names[r] : "?";
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	/* json-c's int64 holds counters up to 2^63, far beyond any run. */
	json_object_object_add(o, k, json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v));
}

json_object *vmctl_stats_to_json(const struct vmctl_stats *s)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();

	add_u64(root, "time_ns", s->time_ns);
	add_u64(root, "uptime_ns", s->uptime_ns);
	json_object_object_add(root, "state", json_object_new_string(s->state));
	add_u64(root, "guest_ram_bytes", s->guest_ram_bytes);
	add_u64(root, "guest_ram_resident", s->guest_ram_resident);
	add_u64(root, "vmm_resident", s->vmm_resident);
	add_u64(root, "unclaimed_pio", s->unclaimed_pio);
	add_u64(root, "unclaimed_mmio", s->unclaimed_mmio);
	add_u64(root, "console_bytes", s->console_bytes);
	add_u64(root, "vnc_clients", s->vnc_clients);
	add_u64(root, "vnc_bytes", s->vnc_bytes);
	add_u64(root, "disks", s->disks);
	add_u64(root, "disk_reads", s->disk_reads);
	add_u64(root, "disk_writes", s->disk_writes);
	add_u64(root, "disk_read_bytes", s->disk_read_bytes);
	add_u64(root, "disk_write_bytes", s->disk_write_bytes);
	add_u64(root, "disk_flushes", s->disk_flushes);
	add_u64(root, "disk_errors", s->disk_errors);
	for (unsigned i = 0; i < s->nvcpus && i < VMCTL_MAX_VCPUS; i++) {
		const struct vmctl_vcpu *v = &s->vcpu[i];
		json_object *jv = json_object_new_object(), *br = json_object_new_object();
		char rip[32];

		add_u64(jv, "id", v->id);
		json_object_object_add(jv, "tid", json_object_new_int(v->tid));
		json_object_object_add(jv, "last_cpu", json_object_new_int(v->last_cpu));
		add_u64(jv, "host_cpu_ns", v->host_cpu_ns);
		add_u64(jv, "exits_kernel", v->exits_kernel);
		add_u64(jv, "exits_user", v->exits_user);
		for (unsigned r = 0; r < VMCTL_REASONS; r++)
			add_u64(br, reason_names[r], v->by_reason[r]);
		json_object_object_add(jv, "by_reason", br);
		add_u64(jv, "run_ns", v->run_ns);
		add_u64(jv, "vmm_ns", v->vmm_ns);
		add_u64(jv, "halt_wait_ns", v->halt_wait_ns);
		add_u64(jv, "halt_wakeups", v->halt_wakeups);
		json_object_object_add(jv, "mode", json_object_new_string(v->mode));
		add_u64(jv, "cpl", v->cpl);
		json_object_object_add(jv, "paging", json_object_new_boolean(v->paging));
		snprintf(rip, sizeof(rip), "0x%llx", (unsigned long long)v->rip);
		json_object_object_add(jv, "rip", json_object_new_string(rip));
		json_object_object_add(jv, "state", json_object_new_string(v->state));
		json_object_array_add(arr, jv);
	}
	json_object_object_add(root, "vcpus", arr);
	return root;
}

/* Missing or mistyped fields read as 0 / "": a newer VM process may add
 * fields, an older one may lack some; neither is an error. */
static uint64_t get_u64(json_object *o, const char *k)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		return strtoull(s, NULL, 0);
	}
	if (!json_object_is_type(v, json_type_int))
		return 0;
	x = json_object_get_int64(v);
	return x < 0 ? 0 : (uint64_t)x;
}

static void get_str(json_object *o, const char *k, char *out, size_t len)
{
	json_object *v;

	out[0] = 0;
	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		snprintf(out, len, "%s", json_object_get_string(v));
}

int vmctl_stats_from_json(json_object *o, struct vmctl_stats *s, char *err, size_t errlen)
{
	json_object *arr;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "vcpus", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "stats reply: no \"vcpus\" array");
		return -EPROTO;
	}
	s->time_ns = get_u64(o, "time_ns");
	s->uptime_ns = get_u64(o, "uptime_ns");
	get_str(o, "state", s->state, sizeof(s->state));
	s->guest_ram_bytes = get_u64(o, "guest_ram_bytes");
	s->guest_ram_resident = get_u64(o, "guest_ram_resident");
	s->vmm_resident = get_u64(o, "vmm_resident");
	s->unclaimed_pio = get_u64(o, "unclaimed_pio");
	s->unclaimed_mmio = get_u64(o, "unclaimed_mmio");
	s->console_bytes = get_u64(o, "console_bytes");
	s->vnc_clients = (unsigned)get_u64(o, "vnc_clients");
	s->vnc_bytes = get_u64(o, "vnc_bytes");
	s->disks = (unsigned)get_u64(o, "disks");
	s->disk_reads = get_u64(o, "disk_reads");
	s->disk_writes = get_u64(o, "disk_writes");
	s->disk_read_bytes = get_u64(o, "disk_read_bytes");
	s->disk_write_bytes = get_u64(o, "disk_write_bytes");
	s->disk_flushes = get_u64(o, "disk_flushes");
	s->disk_errors = get_u64(o, "disk_errors");
	n = json_object_array_length(arr);
	if (n > VMCTL_MAX_VCPUS) {
		snprintf(err, errlen, "stats reply: %zu vCPUs (at most %d)", n, VMCTL_MAX_VCPUS);
		return -EPROTO;
	}
	s->nvcpus = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		json_object *jv = json_object_array_get_idx(arr, i), *br;
		struct vmctl_vcpu *v = &s->vcpu[i];

		if (!json_object_is_type(jv, json_type_object)) {
			snprintf(err, errlen, "stats reply: vcpus[%zu] is not an object", i);
			return -EPROTO;
		}
		v->id = (unsigned)get_u64(jv, "id");
		v->tid = (pid_t)get_u64(jv, "tid");
		{
			json_object *lc;
			v->last_cpu = json_object_object_get_ex(jv, "last_cpu", &lc) ?
				      json_object_get_int(lc) : -1;
		}
		v->host_cpu_ns = get_u64(jv, "host_cpu_ns");
		v->exits_kernel = get_u64(jv, "exits_kernel");
		v->exits_user = get_u64(jv, "exits_user");
		if (json_object_object_get_ex(jv, "by_reason", &br))
			for (unsigned r = 0; r < VMCTL_REASONS; r++)
				v->by_reason[r] = get_u64(br, reason_names[r]);
		v->run_ns = get_u64(jv, "run_ns");
		v->vmm_ns = get_u64(jv, "vmm_ns");
		v->halt_wait_ns = get_u64(jv, "halt_wait_ns");
		v->halt_wakeups = get_u64(jv, "halt_wakeups");
		get_str(jv, "mode", v->mode, sizeof(v->mode));
		v->cpl = (unsigned)get_u64(jv, "cpl");
		{
			json_object *pg;
			v->paging = json_object_object_get_ex(jv, "paging", &pg) &&
				    json_object_get_boolean(pg);
		}
		v->rip = get_u64(jv, "rip");
		get_str(jv, "state", v->state, sizeof(v->state));
	}
	return 0;
}

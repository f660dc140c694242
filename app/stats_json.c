/* Machine counters as JSON (`vmdeck run --stats-json`, later the control
 * socket's "stats"). Layout:
 *   { "vm": {name, cpus, memory, uptime_ns, stop_reason, exit_code,
 *            unclaimed: {pio: {"0x500": {reads, writes}}, mmio: {...}, other}},
 *     "vcpus": [ { id, tid, exits, run_ns, vmm_ns, mode, cpl, rip,
 *                  exit_reasons: {"io": n, ...}, pio: {"0x3f8": {reads, writes}},
 *                  mmio: {...}, kvm: {kernel counter: value} } ] } */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "kstats.h"
#include "machine.h"
#include "stats_json.h"
#include "vcpu.h"
#include "vm.h"

static uint64_t ld(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

json_object *stats_json_addr_table(struct vcpu_addr_table *t)
{
	json_object *o = json_object_new_object();
	uint32_t n = atomic_load_explicit(&t->n, memory_order_acquire);
	char key[32];

	for (uint32_t i = 0; i < n && i < VCPU_ADDR_SLOTS; i++) {
		json_object *e = json_object_new_object();
		snprintf(key, sizeof(key), "0x%llx", (unsigned long long)ld(&t->slot[i].key));
		json_object_object_add(e, "reads", json_object_new_int64((int64_t)ld(&t->slot[i].reads)));
		json_object_object_add(e, "writes", json_object_new_int64((int64_t)ld(&t->slot[i].writes)));
		json_object_object_add(o, key, e);
	}
	if (ld(&t->other)) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "reads", json_object_new_int64((int64_t)ld(&t->other)));
		json_object_object_add(e, "writes", json_object_new_int64(0));
		json_object_object_add(o, "other", e);
	}
	return o;
}

static void kstat_add(void *opaque, const char *name, uint64_t value)
{
	json_object_object_add(opaque, name, json_object_new_int64((int64_t)value));
}

json_object *stats_json_kernel(struct vcpu *v)
{
	json_object *kvm = json_object_new_object();

	if (v->stats_fd >= 0)
		kstats_read(v->stats_fd, kstat_add, kvm);
	return kvm;
}

static json_object *unclaimed_json(struct bus *bus, const char *fmt)
{
	struct bus_unclaimed u[BUS_UNCLAIMED_SLOTS];
	uint64_t other = 0;
	size_t n = bus_unclaimed_snapshot(bus, u, BUS_UNCLAIMED_SLOTS, &other);
	json_object *o = json_object_new_object();
	char key[32];

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();
		snprintf(key, sizeof(key), fmt, (unsigned long long)u[i].addr);
		json_object_object_add(e, "reads", json_object_new_int64((int64_t)u[i].reads));
		json_object_object_add(e, "writes", json_object_new_int64((int64_t)u[i].writes));
		json_object_object_add(o, key, e);
	}
	if (other)
		json_object_object_add(o, "other", json_object_new_int64((int64_t)other));
	return o;
}

static json_object *machine_stats_object(struct machine *m)
{
	struct vm *vm = machine_vm(m);
	json_object *root = json_object_new_object(), *jvm = json_object_new_object();
	json_object *vcpus = json_object_new_array(), *unc = json_object_new_object();

	json_object_object_add(jvm, "cpus", json_object_new_int((int)vm->ncpus));
	json_object_object_add(jvm, "memory", json_object_new_int64((int64_t)vm->mem.size));
	json_object_object_add(jvm, "uptime_ns",
			       json_object_new_int64((int64_t)(vm_now_ns() - vm->start_ns)));
	pthread_mutex_lock(&vm->lock);
	json_object_object_add(jvm, "stop_reason",
			       json_object_new_string(vm_stop_reason_name(vm->stop_reason)));
	json_object_object_add(jvm, "exit_code", json_object_new_int(vm->exit_code));
	pthread_mutex_unlock(&vm->lock);
	json_object_object_add(unc, "pio", unclaimed_json(&vm->pio, "0x%llx"));
	json_object_object_add(unc, "mmio", unclaimed_json(&vm->mmio, "0x%llx"));
	json_object_object_add(jvm, "unclaimed", unc);
	json_object_object_add(root, "vm", jvm);

	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		struct vcpu_stats *s = &v->stats;
		json_object *jv = json_object_new_object(), *reasons = json_object_new_object();
		char rip[32];

		json_object_object_add(jv, "id", json_object_new_int((int)v->id));
		json_object_object_add(jv, "tid", json_object_new_int((int)atomic_load(&v->tid)));
		json_object_object_add(jv, "exits", json_object_new_int64((int64_t)ld(&s->exits)));
		json_object_object_add(jv, "run_ns", json_object_new_int64((int64_t)ld(&s->run_ns)));
		json_object_object_add(jv, "vmm_ns", json_object_new_int64((int64_t)ld(&s->vmm_ns)));
		json_object_object_add(jv, "mode", json_object_new_string(
			cpu_mode_name(atomic_load_explicit(&s->mode, memory_order_relaxed))));
		json_object_object_add(jv, "cpl", json_object_new_int(
			(int)atomic_load_explicit(&s->cpl, memory_order_relaxed)));
		snprintf(rip, sizeof(rip), "0x%llx", (unsigned long long)ld(&s->last_rip));
		json_object_object_add(jv, "rip", json_object_new_string(rip));
		for (unsigned r = 0; r < VCPU_EXIT_REASONS; r++) {
			uint64_t c = ld(&s->by_reason[r]);
			if (c)
				json_object_object_add(reasons, vcpu_exit_reason_name(r),
						       json_object_new_int64((int64_t)c));
		}
		json_object_object_add(jv, "exit_reasons", reasons);
		json_object_object_add(jv, "pio", stats_json_addr_table(&s->pio));
		json_object_object_add(jv, "mmio", stats_json_addr_table(&s->mmio));
		json_object_object_add(jv, "msr", stats_json_addr_table(&s->msr));
		json_object_object_add(jv, "kvm", stats_json_kernel(v));
		json_object_array_add(vcpus, jv);
	}
	json_object_object_add(root, "vcpus", vcpus);
	return root;
}

int machine_write_stats_json(struct machine *m, const char *path, char *err, size_t errlen)
{
	json_object *root = machine_stats_object(m);
	int r = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY);

	json_object_put(root);
	if (r) {
		snprintf(err, errlen, "%s: cannot write stats: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* KVM state of vCPUs and in-kernel devices; see vm_state.h. Ioctl names and
 * structures: Documentation/virt/kvm/api.rst section 4. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu.h"
#include "vm.h"
#include "vm_state.h"

#define VCPU_SEC_VERSION 1
#define MSR_SEC_VERSION 1
#define XSAVE_SEC_VERSION 1
#define VMCHIP_SEC_VERSION 1

#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_MAX 4096

/* Which optional parts a vCPU section carries. */
#define VS_XCRS      (1u << 0)
#define VS_DEBUGREGS (1u << 1)
#define VS_TSC_KHZ   (1u << 2)

/* SNAP_SEC_VCPU payload, version 1: exactly these bytes, little-endian. */
struct vcpu_blob {
	uint32_t flags;
	uint32_t tsc_khz;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_debugregs dregs;
};

int vm_state_require_paused(struct vm *vm, char *err, size_t errlen)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (vcpu_get_state(vm->vcpus[i]) == VCPU_RUNNING) {
			snprintf(err, errlen, "vcpu %u is running: state is saved only from a "
				 "paused VM (every vCPU acknowledged)", i);
			return -EBUSY;
		}
	}
	return 0;
}

/* KVM_GET_MSR_INDEX_LIST (api.rst 4.3): a system ioctl, first asked with
 * nmsrs = 0 for the count (E2BIG). */
static int msr_index_list(struct vm *vm, struct kvm_msr_list **out)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;

	if (ioctl(vm->kvm.fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return -errno;
	if (probe.nmsrs > MSR_MAX)
		return -E2BIG;
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	if (!l)
		return -ENOMEM;
	l->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm.fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		int r = -errno;
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

/* KVM_GET_MSRS (api.rst 4.18) returns how many entries it read and stops
 * at the first one it cannot: skip that one and go on, keeping the rest. */
static int read_msrs(struct vcpu *v, const struct kvm_msr_list *l, struct kvm_msrs **out)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + l->nmsrs * sizeof(m->entries[0]));
	struct kvm_msrs *one = calloc(1, sizeof(*one) + l->nmsrs * sizeof(one->entries[0]));
	unsigned pos = 0;

	if (!m || !one) {
		free(m);
		free(one);
		return -ENOMEM;
	}
	while (pos < l->nmsrs) {
		unsigned n = l->nmsrs - pos;
		int got;
		one->nmsrs = n;
		for (unsigned i = 0; i < n; i++)
			one->entries[i] = (struct kvm_msr_entry){ .index = l->indices[pos + i] };
		got = ioctl(v->fd, KVM_GET_MSRS, one);
		if (got < 0) {
			int r = -errno;
			free(m);
			free(one);
			return r;
		}
		for (int i = 0; i < got; i++)
			m->entries[m->nmsrs++] = one->entries[i];
		pos += (unsigned)got + 1; /* entry `got` failed to read: skipped */
	}
	free(one);
	*out = m;
	return 0;
}

static int xsave_size(struct vm *vm)
{
	int n = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (n >= (int)sizeof(struct kvm_xsave))
		return n;
	if (ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0)
		return (int)sizeof(struct kvm_xsave);
	return 0;
}

static int save_vcpu(struct vm *vm, struct vcpu *v, const struct kvm_msr_list *ml,
		     struct snap_writer *w, struct vm_state_info *info, char *err, size_t errlen)
{
	struct vcpu_blob b;
	struct kvm_msrs *msrs = NULL;
	int xs = xsave_size(vm), r, khz;
	const char *what;

	memset(&b, 0, sizeof(b));
	what = "KVM_GET_REGS";
	if (ioctl(v->fd, KVM_GET_REGS, &b.regs) < 0)
		goto fail;
	what = "KVM_GET_SREGS";
	if (ioctl(v->fd, KVM_GET_SREGS, &b.sregs) < 0)
		goto fail;
	what = "KVM_GET_LAPIC";
	if (ioctl(v->fd, KVM_GET_LAPIC, &b.lapic) < 0)
		goto fail;
	what = "KVM_GET_VCPU_EVENTS";
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &b.events) < 0)
		goto fail;
	what = "KVM_GET_MP_STATE";
	if (ioctl(v->fd, KVM_GET_MP_STATE, &b.mp) < 0)
		goto fail;
	/* Optional: hosts without XCRs or debug-register access still save. */
	if (ioctl(v->fd, KVM_GET_XCRS, &b.xcrs) == 0)
		b.flags |= VS_XCRS;
	if (ioctl(v->fd, KVM_GET_DEBUGREGS, &b.dregs) == 0)
		b.flags |= VS_DEBUGREGS;
	khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	if (khz > 0) {
		b.flags |= VS_TSC_KHZ;
		b.tsc_khz = (uint32_t)khz;
	}
	snap_add(w, SNAP_SEC_VCPU, v->id, VCPU_SEC_VERSION, &b, sizeof(b));

	/* FPU/SSE/AVX state: KVM_GET_XSAVE2 (api.rst 4.134) sized by
	 * KVM_CAP_XSAVE2, KVM_GET_XSAVE (4.42), or KVM_GET_FPU (4.22). */
	if (xs) {
		struct kvm_xsave *x = calloc(1, (size_t)xs);
		if (!x) {
			r = -ENOMEM;
			snprintf(err, errlen, "vcpu %u: out of memory", v->id);
			return r;
		}
		unsigned long req = xs > (int)sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE;
		if (ioctl(v->fd, req, x) < 0) {
			r = -errno;
			free(x);
			snprintf(err, errlen, "vcpu %u: KVM_GET_XSAVE: %s", v->id, strerror(-r));
			return r;
		}
		snap_begin(w, SNAP_SEC_VCPU_XSAVE, v->id, XSAVE_SEC_VERSION);
		snap_put_u32(w, 1);
		snap_put_u32(w, (uint32_t)xs);
		snap_put(w, x, (size_t)xs);
		snap_end(w);
		free(x);
	} else {
		struct kvm_fpu fpu;
		what = "KVM_GET_FPU";
		if (ioctl(v->fd, KVM_GET_FPU, &fpu) < 0)
			goto fail;
		snap_begin(w, SNAP_SEC_VCPU_XSAVE, v->id, XSAVE_SEC_VERSION);
		snap_put_u32(w, 0);
		snap_put_u32(w, sizeof(fpu));
		snap_put(w, &fpu, sizeof(fpu));
		snap_end(w);
	}

	r = read_msrs(v, ml, &msrs);
	if (r) {
		snprintf(err, errlen, "vcpu %u: KVM_GET_MSRS: %s", v->id, strerror(-r));
		return r;
	}
	snap_begin(w, SNAP_SEC_VCPU_MSRS, v->id, MSR_SEC_VERSION);
	snap_put_u32(w, msrs->nmsrs);
	snap_put_u32(w, 0);
	for (unsigned i = 0; i < msrs->nmsrs; i++) {
		snap_put_u32(w, msrs->entries[i].index);
		snap_put_u32(w, 0);
		snap_put_u64(w, msrs->entries[i].data);
	}
	snap_end(w);
	if (info && v->id == 0) {
		info->msrs_listed = ml->nmsrs;
		info->msrs_saved = msrs->nmsrs;
		info->xsave_size = (unsigned)xs;
		info->have_xcrs = b.flags & VS_XCRS;
		info->have_debugregs = b.flags & VS_DEBUGREGS;
	}
	free(msrs);
	return 0;
fail:
	r = -errno;
	snprintf(err, errlen, "vcpu %u: %s: %s", v->id, what, strerror(errno));
	return r;
}

int vm_state_save(struct vm *vm, struct snap_writer *w, struct vm_state_info *info,
		  char *err, size_t errlen)
{
	struct kvm_msr_list *ml = NULL;
	int r = vm_state_require_paused(vm, err, errlen);

	if (r)
		return r;
	if (info)
		memset(info, 0, sizeof(*info));
	r = msr_index_list(vm, &ml);
	if (r) {
		snprintf(err, errlen, "KVM_GET_MSR_INDEX_LIST: %s", strerror(-r));
		return r;
	}
	for (unsigned i = 0; i < vm->ncpus && !r; i++)
		r = save_vcpu(vm, vm->vcpus[i], ml, w, info, err, errlen);
	free(ml);
	if (r)
		return r;

	/* KVM_GET_IRQCHIP (api.rst 4.26): chip 0 PIC master, 1 PIC slave, 2 IOAPIC. */
	for (uint32_t chip = 0; chip < 3; chip++) {
		struct kvm_irqchip c = { .chip_id = chip };
		if (ioctl(vm->fd, KVM_GET_IRQCHIP, &c) < 0) {
			r = -errno;
			snprintf(err, errlen, "KVM_GET_IRQCHIP %u: %s", chip, strerror(errno));
			return r;
		}
		snap_add(w, SNAP_SEC_IRQCHIP, chip, VMCHIP_SEC_VERSION, &c, sizeof(c));
	}
	/* KVM_GET_PIT2 (4.71) and KVM_GET_CLOCK (4.53): kept if they read. */
	{
		struct kvm_pit_state2 pit;
		memset(&pit, 0, sizeof(pit));
		if (ioctl(vm->fd, KVM_GET_PIT2, &pit) == 0) {
			snap_add(w, SNAP_SEC_PIT, 0, VMCHIP_SEC_VERSION, &pit, sizeof(pit));
			if (info)
				info->have_pit = true;
		}
	}
	{
		struct kvm_clock_data clk;
		memset(&clk, 0, sizeof(clk));
		if (ioctl(vm->fd, KVM_GET_CLOCK, &clk) == 0) {
			snap_add(w, SNAP_SEC_CLOCK, 0, VMCHIP_SEC_VERSION, &clk, sizeof(clk));
			if (info)
				info->have_clock = true;
		}
	}
	if (w->error) {
		snprintf(err, errlen, "building the state file: %s", strerror(-w->error));
		return w->error;
	}
	return 0;
}

/* ---- checking ---- */

static int bad(char *err, size_t errlen, const char *what, unsigned inst, const char *why)
{
	snprintf(err, errlen, "%s: %s %u: %s", snap_error_name(SNAP_E_BAD_STATE), what, inst, why);
	return -EINVAL;
}

static int check_vcpu(struct vm *vm, const struct snap_file *f, unsigned id, char *err,
		      size_t errlen)
{
	const struct snap_section *s = snap_find(f, SNAP_SEC_VCPU, id);
	const struct snap_section *x = snap_find(f, SNAP_SEC_VCPU_XSAVE, id);
	const struct snap_section *m = snap_find(f, SNAP_SEC_VCPU_MSRS, id);
	struct vcpu_blob b;
	struct snap_cursor c;
	uint32_t kind, size, n;
	int xs = xsave_size(vm);

	if (!s || !x || !m) {
		snprintf(err, errlen, "%s: vcpu %u state is incomplete (%s%s%s)",
			 snap_error_name(SNAP_E_MISSING), id, s ? "" : "registers ",
			 x ? "" : "xsave ", m ? "" : "msrs");
		return -EINVAL;
	}
	if (s->version != VCPU_SEC_VERSION || s->len != sizeof(b))
		return bad(err, errlen, "vcpu", id, "register section of the wrong version or size");
	memcpy(&b, s->data, sizeof(b));
	if (b.flags & ~(VS_XCRS | VS_DEBUGREGS | VS_TSC_KHZ))
		return bad(err, errlen, "vcpu", id, "unknown flags");
	if (b.mp.mp_state > KVM_MP_STATE_SIPI_RECEIVED)
		return bad(err, errlen, "vcpu", id, "mp_state out of range");
	if ((b.flags & VS_XCRS) && b.xcrs.nr_xcrs > KVM_MAX_XCRS)
		return bad(err, errlen, "vcpu", id, "more XCRs than KVM has");
	if ((b.sregs.apic_base & ~0xFFFULL) != 0xFEE00000ULL)
		return bad(err, errlen, "vcpu", id, "APIC base is not 0xFEE00000");
	if (b.events.exception.injected > 1 || b.events.nmi.injected > 1 ||
	    b.events.nmi.pending > 1 || b.events.nmi.masked > 1)
		return bad(err, errlen, "vcpu", id, "vcpu events out of range");

	snap_cursor_init(&c, x->data, x->len);
	kind = snap_get_u32(&c);
	size = snap_get_u32(&c);
	if (x->version != XSAVE_SEC_VERSION || kind > 1 ||
	    (kind == 1 && (int)size != xs) || (kind == 0 && (xs || size != sizeof(struct kvm_fpu))) ||
	    x->len != 8ULL + size)
		return bad(err, errlen, "vcpu", id, "FPU/xsave state does not match this host's size");

	snap_cursor_init(&c, m->data, m->len);
	n = snap_get_u32(&c);
	if (m->version != MSR_SEC_VERSION || n > MSR_MAX || m->len != 8ULL + 16ULL * n)
		return bad(err, errlen, "vcpu", id, "MSR count does not match the section length");
	return 0;
}

int vm_state_check(struct vm *vm, const struct snap_file *f, char *err, size_t errlen)
{
	int r;

	for (unsigned i = 0; i < f->nsec; i++) {
		const struct snap_section *s = &f->sec[i];
		if ((s->id == SNAP_SEC_VCPU || s->id == SNAP_SEC_VCPU_MSRS ||
		     s->id == SNAP_SEC_VCPU_XSAVE) && s->instance >= vm->ncpus) {
			snprintf(err, errlen, "%s: state of vcpu %u, but this VM has %u",
				 snap_error_name(SNAP_E_BAD_STATE), s->instance, vm->ncpus);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		r = check_vcpu(vm, f, i, err, errlen);
		if (r)
			return r;
	}
	for (uint32_t chip = 0; chip < 3; chip++) {
		const struct snap_section *s = snap_find(f, SNAP_SEC_IRQCHIP, chip);
		struct kvm_irqchip c;
		if (!s) {
			snprintf(err, errlen, "%s: interrupt controller %u", snap_error_name(SNAP_E_MISSING),
				 chip);
			return -EINVAL;
		}
		if (s->len != sizeof(c))
			return bad(err, errlen, "irqchip", chip, "wrong size");
		memcpy(&c, s->data, sizeof(c));
		if (c.chip_id != chip)
			return bad(err, errlen, "irqchip", chip, "chip id does not match");
	}
	{
		const struct snap_section *s = snap_find(f, SNAP_SEC_PIT, 0);
		if (s && s->len != sizeof(struct kvm_pit_state2))
			return bad(err, errlen, "pit", 0, "wrong size");
		s = snap_find(f, SNAP_SEC_CLOCK, 0);
		if (s && s->len != sizeof(struct kvm_clock_data))
			return bad(err, errlen, "clock", 0, "wrong size");
	}
	return 0;
}

/* ---- loading ---- */

/* KVM_SET_MSRS (api.rst 4.19) stops at the first MSR it refuses, like
 * KVM_GET_MSRS: skip it and go on; *refused counts them. */
static int write_msrs(struct vcpu *v, struct kvm_msrs *m, unsigned *refused)
{
	struct kvm_msrs *one = calloc(1, sizeof(*one) + m->nmsrs * sizeof(one->entries[0]));
	unsigned pos = 0;

	if (!one)
		return -ENOMEM;
	while (pos < m->nmsrs) {
		unsigned n = m->nmsrs - pos;
		int done;
		one->nmsrs = n;
		memcpy(one->entries, &m->entries[pos], n * sizeof(one->entries[0]));
		done = ioctl(v->fd, KVM_SET_MSRS, one);
		if (done < 0) {
			int r = -errno;
			free(one);
			return r;
		}
		if ((unsigned)done < n)
			(*refused)++;
		pos += (unsigned)done + 1;
	}
	free(one);
	return 0;
}

static int load_vcpu(struct vm *vm, struct vcpu *v, const struct snap_file *f,
		     struct vm_state_info *info, char *err, size_t errlen)
{
	const struct snap_section *s = snap_find(f, SNAP_SEC_VCPU, v->id);
	const struct snap_section *x = snap_find(f, SNAP_SEC_VCPU_XSAVE, v->id);
	const struct snap_section *ms = snap_find(f, SNAP_SEC_VCPU_MSRS, v->id);
	struct vcpu_blob b;
	struct snap_cursor c;
	struct kvm_msrs *msrs;
	uint32_t kind, size, n;
	unsigned refused = 0;
	uint64_t deadline = 0;
	bool have_deadline = false;
	const char *what;
	int r;

	(void)vm;
	memcpy(&b, s->data, sizeof(b));
	/* A different TSC frequency would make guest time run at another pace. */
	if ((b.flags & VS_TSC_KHZ) && ioctl(v->fd, KVM_GET_TSC_KHZ, 0) != (int)b.tsc_khz)
		ioctl(v->fd, KVM_SET_TSC_KHZ, (unsigned long)b.tsc_khz);
	/* sregs first: they set CR0/CR4/EFER and the APIC base that the other
	 * state is interpreted under. */
	what = "KVM_SET_SREGS";
	if (ioctl(v->fd, KVM_SET_SREGS, &b.sregs) < 0)
		goto fail;
	what = "KVM_SET_REGS";
	if (ioctl(v->fd, KVM_SET_REGS, &b.regs) < 0)
		goto fail;

	snap_cursor_init(&c, x->data, x->len);
	kind = snap_get_u32(&c);
	size = snap_get_u32(&c);
	if (kind == 1) {
		struct kvm_xsave *xs = calloc(1, size);
		if (!xs) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		snap_get(&c, xs, size);
		r = ioctl(v->fd, KVM_SET_XSAVE, xs);
		free(xs);
		what = "KVM_SET_XSAVE";
		if (r < 0)
			goto fail;
	} else {
		struct kvm_fpu fpu;
		snap_get(&c, &fpu, sizeof(fpu));
		what = "KVM_SET_FPU";
		if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
			goto fail;
	}
	what = "KVM_SET_XCRS";
	if ((b.flags & VS_XCRS) && ioctl(v->fd, KVM_SET_XCRS, &b.xcrs) < 0)
		goto fail;

	snap_cursor_init(&c, ms->data, ms->len);
	n = snap_get_u32(&c);
	snap_get_u32(&c);
	msrs = calloc(1, sizeof(*msrs) + n * sizeof(msrs->entries[0]));
	if (!msrs) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	msrs->nmsrs = n;
	for (uint32_t i = 0; i < n; i++) {
		msrs->entries[i].index = snap_get_u32(&c);
		snap_get_u32(&c);
		msrs->entries[i].data = snap_get_u64(&c);
		if (msrs->entries[i].index == MSR_IA32_TSC_DEADLINE) {
			deadline = msrs->entries[i].data;
			have_deadline = true;
		}
	}
	r = write_msrs(v, msrs, &refused);
	free(msrs);
	if (r) {
		snprintf(err, errlen, "vcpu %u: KVM_SET_MSRS: %s", v->id, strerror(-r));
		return r;
	}
	what = "KVM_SET_LAPIC";
	if (ioctl(v->fd, KVM_SET_LAPIC, &b.lapic) < 0)
		goto fail;
	/* The TSC deadline only sticks once the LAPIC timer mode is set. */
	if (have_deadline) {
		struct { struct kvm_msrs h; struct kvm_msr_entry e; } one = {
			.h.nmsrs = 1, .e = { .index = MSR_IA32_TSC_DEADLINE, .data = deadline } };
		ioctl(v->fd, KVM_SET_MSRS, &one);
	}
	what = "KVM_SET_DEBUGREGS";
	if ((b.flags & VS_DEBUGREGS) && ioctl(v->fd, KVM_SET_DEBUGREGS, &b.dregs) < 0)
		goto fail;
	/* mp state and events last (api.rst 4.38, 4.31): they may carry a
	 * pending exception/NMI/SIPI that must meet the final register state. */
	what = "KVM_SET_MP_STATE";
	if (ioctl(v->fd, KVM_SET_MP_STATE, &b.mp) < 0)
		goto fail;
	b.events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	what = "KVM_SET_VCPU_EVENTS";
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &b.events) < 0)
		goto fail;
	if (info) {
		info->msrs_refused += refused;
		info->msrs_restored += n - refused;
	}
	return 0;
fail:
	r = -errno;
	snprintf(err, errlen, "vcpu %u: %s: %s", v->id, what, strerror(errno));
	return r;
}

int vm_state_load(struct vm *vm, const struct snap_file *f, struct vm_state_info *info,
		  char *err, size_t errlen)
{
	const struct snap_section *s;
	int r = vm_state_require_paused(vm, err, errlen);

	if (r)
		return r;
	if (info)
		memset(info, 0, sizeof(*info));
	for (uint32_t chip = 0; chip < 3; chip++) {
		struct kvm_irqchip c;
		memcpy(&c, snap_find(f, SNAP_SEC_IRQCHIP, chip)->data, sizeof(c));
		if (ioctl(vm->fd, KVM_SET_IRQCHIP, &c) < 0) {
			r = -errno;
			snprintf(err, errlen, "KVM_SET_IRQCHIP %u: %s", chip, strerror(errno));
			return r;
		}
	}
	s = snap_find(f, SNAP_SEC_PIT, 0);
	if (s) {
		struct kvm_pit_state2 pit;
		memcpy(&pit, s->data, sizeof(pit));
		if (ioctl(vm->fd, KVM_SET_PIT2, &pit) < 0) {
			r = -errno;
			snprintf(err, errlen, "KVM_SET_PIT2: %s", strerror(errno));
			return r;
		}
		if (info)
			info->have_pit = true;
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		r = load_vcpu(vm, vm->vcpus[i], f, info, err, errlen);
		if (r)
			return r;
	}
	s = snap_find(f, SNAP_SEC_CLOCK, 0);
	if (s) {
		struct kvm_clock_data clk;
		memcpy(&clk, s->data, sizeof(clk));
		/* Only the clock value: no host-realtime correction on restore. */
		clk.flags = 0;
		clk.realtime = 0;
		clk.host_tsc = 0;
		if (ioctl(vm->fd, KVM_SET_CLOCK, &clk) < 0) {
			r = -errno;
			snprintf(err, errlen, "KVM_SET_CLOCK: %s", strerror(errno));
			return r;
		}
		if (info)
			info->have_clock = true;
	}
	return 0;
}

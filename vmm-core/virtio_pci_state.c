/* Snapshot section of a virtio-pci device; see virtio_pci.h.
 *
 * Payload (little-endian), version 1:
 *   device_features u64, nqueues u32   (identity: must match this device)
 *   dfselect u32, gfselect u32, driver_features u64, status u8, isr u8,
 *   qsel u16
 *   per queue: size u16, enabled u8, reserved u8, desc u64, driver u64,
 *              device u64, last_avail u16, used_idx u16, signalled_used u16,
 *              signalled_valid u8, reserved u8
 * virtio-blk and virtio-rng keep no state of their own: the device is
 * quiesced before saving (every popped request completed and pushed), so a
 * queue's position is all there is. Sections: virtio 1.2. */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "virtio_pci.h"
#include "virtio_pci_int.h"
#include "vm.h"

#define VP_STATUS_KNOWN (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FEATURES_OK | \
			 VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)

struct vp_saved_queue {
	uint16_t size;
	bool enabled;
	uint64_t desc, driver, device;
	uint16_t last_avail, used_idx, signalled_used;
	bool signalled_valid;
};

struct vp_saved {
	uint32_t dfselect, gfselect;
	uint64_t driver_features;
	uint8_t status, isr;
	uint16_t qsel;
	struct vp_saved_queue q[VIRTIO_PCI_MAX_QUEUES];
};

void virtio_pci_save(struct virtio_pci *vp, struct snap_writer *w)
{
	pthread_mutex_lock(&vp->lock);
	snap_begin(w, SNAP_SEC_VIRTIO, vp->pci.slot, VIRTIO_PCI_STATE_VERSION);
	snap_put_u64(w, vp->device_features);
	snap_put_u32(w, vp->p.nqueues);
	snap_put_u32(w, vp->dfselect);
	snap_put_u32(w, vp->gfselect);
	snap_put_u64(w, vp->driver_features);
	snap_put_u8(w, vp->status);
	pthread_mutex_lock(&vp->isr_lock);
	snap_put_u8(w, vp->isr);
	pthread_mutex_unlock(&vp->isr_lock);
	snap_put_u16(w, vp->qsel);
	for (unsigned i = 0; i < vp->p.nqueues; i++) {
		const struct vp_queue *q = &vp->q[i];
		snap_put_u16(w, q->size);
		snap_put_u8(w, q->enabled);
		snap_put_u8(w, 0);
		snap_put_u64(w, q->desc);
		snap_put_u64(w, q->driver);
		snap_put_u64(w, q->device);
		snap_put_u16(w, q->enabled ? q->vq.last_avail : 0);
		snap_put_u16(w, q->enabled ? q->vq.used_idx : 0);
		snap_put_u16(w, q->enabled ? q->vq.signalled_used : 0);
		snap_put_u8(w, q->enabled ? q->vq.signalled_valid : 0);
		snap_put_u8(w, 0);
	}
	snap_end(w);
	pthread_mutex_unlock(&vp->lock);
}

static int vp_bad(const struct virtio_pci *vp, char *err, size_t errlen, const char *fmt,
		  unsigned a, unsigned b)
{
	char why[160];

	snprintf(why, sizeof(why), fmt, a, b);
	snprintf(err, errlen, "%s: %s: %s", snap_error_name(SNAP_E_BAD_STATE), vp->name, why);
	return -EINVAL;
}

/* Parses and checks everything; nothing of vp changes. */
static int vp_parse(const struct virtio_pci *vp, const void *buf, size_t len,
		    struct vp_saved *s, char *err, size_t errlen)
{
	const struct guest_mem *mem = &vp->vm->mem;
	struct snap_cursor c;
	uint64_t devf;
	uint32_t nq;
	bool fok, dok, nreset;

	memset(s, 0, sizeof(*s));
	snap_cursor_init(&c, buf, len);
	devf = snap_get_u64(&c);
	nq = snap_get_u32(&c);
	if (c.bad)
		return vp_bad(vp, err, errlen, "section too short", 0, 0);
	if (devf != vp->device_features)
		return vp_bad(vp, err, errlen, "the saved device offered other features "
			      "(not the same device)", 0, 0);
	if (nq != vp->p.nqueues)
		return vp_bad(vp, err, errlen, "%u queues saved, the device has %u", nq,
			      vp->p.nqueues);
	s->dfselect = snap_get_u32(&c);
	s->gfselect = snap_get_u32(&c);
	s->driver_features = snap_get_u64(&c);
	s->status = snap_get_u8(&c);
	s->isr = snap_get_u8(&c);
	s->qsel = snap_get_u16(&c);
	for (unsigned i = 0; i < nq; i++) {
		struct vp_saved_queue *q = &s->q[i];
		q->size = snap_get_u16(&c);
		uint8_t en = snap_get_u8(&c);
		if (en > 1)
			return vp_bad(vp, err, errlen, "queue %u: enabled flag %u", i, en);
		q->enabled = en;
		snap_get_u8(&c);
		q->desc = snap_get_u64(&c);
		q->driver = snap_get_u64(&c);
		q->device = snap_get_u64(&c);
		q->last_avail = snap_get_u16(&c);
		q->used_idx = snap_get_u16(&c);
		q->signalled_used = snap_get_u16(&c);
		uint8_t sv = snap_get_u8(&c);
		if (sv > 1)
			return vp_bad(vp, err, errlen, "queue %u: signalled flag %u", i, sv);
		q->signalled_valid = sv;
		snap_get_u8(&c);
	}
	if (!snap_cursor_done(&c))
		return vp_bad(vp, err, errlen, "section length does not match %u queues", nq, 0);

	/* 2.1: status bits; DRIVER_OK only after FEATURES_OK (as the transport
	 * enforces when the driver writes them). */
	if (s->status & ~VP_STATUS_KNOWN)
		return vp_bad(vp, err, errlen, "device status 0x%02x has unknown bits", s->status, 0);
	fok = s->status & VIRTIO_CONFIG_S_FEATURES_OK;
	dok = s->status & VIRTIO_CONFIG_S_DRIVER_OK;
	nreset = s->status & VIRTIO_CONFIG_S_NEEDS_RESET;
	if (dok && !fok)
		return vp_bad(vp, err, errlen, "DRIVER_OK without FEATURES_OK", 0, 0);
	/* 2.2: the driver accepts a subset of what the device offers. */
	if (s->driver_features & ~vp->device_features)
		return vp_bad(vp, err, errlen, "driver features 0x%08x_%08x not offered by the device",
			      (unsigned)(s->driver_features >> 32), (unsigned)s->driver_features);
	if (fok && !(s->driver_features & (1ULL << VIRTIO_F_VERSION_1)))
		return vp_bad(vp, err, errlen, "FEATURES_OK without VIRTIO_F_VERSION_1", 0, 0);
	if (s->isr & ~(VP_ISR_QUEUE | VP_ISR_CONFIG))
		return vp_bad(vp, err, errlen, "ISR 0x%02x has unknown bits", s->isr, 0);

	for (unsigned i = 0; i < nq; i++) {
		const struct vp_saved_queue *q = &s->q[i];
		/* 2.7: a power of two, at most what the device offers. */
		if (!q->size || (q->size & (q->size - 1)) || q->size > vp->p.queue_max)
			return vp_bad(vp, err, errlen, "queue %u: size %u is not a power of two "
				      "within the maximum", i, q->size);
		if (!q->enabled) {
			if (q->last_avail || q->used_idx || q->signalled_used || q->signalled_valid)
				return vp_bad(vp, err, errlen, "queue %u: disabled but has positions",
					      i, 0);
			continue;
		}
		/* 4.1.4.3.2: queues are enabled after FEATURES_OK. */
		if (!fok)
			return vp_bad(vp, err, errlen, "queue %u enabled without FEATURES_OK", i, 0);
		/* 2.7 alignment; 2.7 sizes; inside guest RAM (as virtq_init). */
		if ((q->desc & 15) || (q->driver & 1) || (q->device & 3))
			return vp_bad(vp, err, errlen, "queue %u: ring address misaligned", i, 0);
		if (!guest_mem_ptr(mem, q->desc, 16ULL * q->size) ||
		    !guest_mem_ptr(mem, q->driver, 6ULL + 2ULL * q->size) ||
		    !guest_mem_ptr(mem, q->device, 6ULL + 8ULL * q->size))
			return vp_bad(vp, err, errlen, "queue %u: a ring lies outside guest RAM", i, 0);
		/* Drained: every buffer taken from the avail ring was returned
		 * on the used ring (unless the device gave up: NEEDS_RESET). */
		if (!nreset && q->last_avail != q->used_idx)
			return vp_bad(vp, err, errlen, "queue %u: %u requests in flight in a drained "
				      "device", i, (uint16_t)(q->last_avail - q->used_idx));
		if (nreset && (uint16_t)(q->last_avail - q->used_idx) > q->size)
			return vp_bad(vp, err, errlen, "queue %u: %u requests in flight, more than the "
				      "queue size", i, (uint16_t)(q->last_avail - q->used_idx));
		if (q->signalled_valid && (uint16_t)(q->used_idx - q->signalled_used) > q->size)
			return vp_bad(vp, err, errlen, "queue %u: last interrupt %u entries back, "
				      "more than the queue size", i,
				      (uint16_t)(q->used_idx - q->signalled_used));
		if (!q->signalled_valid && q->signalled_used)
			return vp_bad(vp, err, errlen, "queue %u: interrupt position without a valid "
				      "flag", i, 0);
	}
	return 0;
}

int virtio_pci_load(struct virtio_pci *vp, const void *buf, size_t len, bool check_only,
		    char *err, size_t errlen)
{
	struct vp_saved s;
	bool evt, ind, run;
	int r = vp_parse(vp, buf, len, &s, err, errlen);

	if (r || check_only)
		return r;
	evt = s.driver_features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	ind = s.driver_features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);

	pthread_mutex_lock(&vp->lock);
	/* The device thread is idle (a VM that has not run, or quiesced). */
	while (vp->busy)
		pthread_cond_wait(&vp->idle, &vp->lock);
	vp->dfselect = s.dfselect;
	vp->gfselect = s.gfselect;
	vp->driver_features = s.driver_features;
	vp->status = s.status;
	vp->qsel = s.qsel;
	for (unsigned i = 0; i < vp->p.nqueues; i++) {
		struct vp_queue *q = &vp->q[i];
		const struct vp_saved_queue *sq = &s.q[i];
		q->size = sq->size;
		q->desc = sq->desc;
		q->driver = sq->driver;
		q->device = sq->device;
		q->enabled = false;
		memset(&q->vq, 0, sizeof(q->vq));
		if (!sq->enabled)
			continue;
		/* Checked above with the same rules; cannot fail. */
		if (virtq_init(&q->vq, &vp->vm->mem, sq->size, sq->desc, sq->driver, sq->device,
			       evt, ind))
			continue;
		q->vq.last_avail = sq->last_avail;
		q->vq.used_idx = sq->used_idx;
		q->vq.signalled_used = sq->signalled_used;
		q->vq.signalled_valid = sq->signalled_valid;
		q->enabled = true;
	}
	run = (s.status & VIRTIO_CONFIG_S_DRIVER_OK) && !(s.status & VIRTIO_CONFIG_S_NEEDS_RESET);
	if (run && vp->frozen)
		for (unsigned i = 0; i < vp->p.nqueues; i++)
			if (vp->q[i].enabled)
				vp->deferred |= 1u << i;
	pthread_mutex_unlock(&vp->lock);

	/* A pending interrupt is asserted again (the irqchip state restored
	 * after the devices then says whether the guest has seen it). */
	pthread_mutex_lock(&vp->isr_lock);
	vp->isr = 0;
	pthread_mutex_unlock(&vp->isr_lock);
	if (s.isr)
		virtio_pci_raise(vp, s.isr);
	else if (vp->irqfd < 0)
		pci_set_irq(&vp->pci, false);
	/* Buffers the driver made available (or notified) before the snapshot
	 * and the device had not looked at yet: look now. */
	if (run && !vp->frozen)
		for (unsigned i = 0; i < vp->p.nqueues; i++)
			if (vp->q[i].enabled)
				virtio_pci_kick(vp, i);
	return 0;
}

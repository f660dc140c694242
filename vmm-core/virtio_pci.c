/* Modern virtio-pci transport; see virtio_pci.h. Sections: virtio 1.2. */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pci.h"
#include "virtio_pci.h"
#include "virtio_pci_int.h"
#include "vm.h"

/* Common configuration layout (4.1.4.3); the system header predates the
 * 1.2 fields at 0x38. */
#define CC_DFSELECT   0x00
#define CC_DFEATURE   0x04
#define CC_GFSELECT   0x08
#define CC_GFEATURE   0x0C
#define CC_MSIX       0x10
#define CC_NUMQ       0x12
#define CC_STATUS     0x14
#define CC_GEN        0x15
#define CC_QSEL       0x16
#define CC_QSIZE      0x18
#define CC_QMSIX      0x1A
#define CC_QENABLE    0x1C
#define CC_QNOTIFYOFF 0x1E
#define CC_QDESC      0x20
#define CC_QDRIVER    0x28
#define CC_QDEVICE    0x30
#define CC_QNOTIFYDATA 0x38
#define CC_QRESET     0x3A

#define TRANSPORT_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
			    (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

enum { LOG_STATUS_CLEAR, LOG_FEATURES, LOG_QUEUE_SIZE, LOG_QUEUE_RING, LOG_NEEDS_RESET,
       LOG_RO_WRITE, LOG_QSEL, LOG_IRQFD, LOG_DEVICE_BASE = 16 };

/* ---- logging ---- */

void virtio_pci_log_once(struct virtio_pci *vp, unsigned key, const char *fmt, ...)
{
	uint32_t bit = 1u << (key & 31);
	va_list ap;

	if (atomic_fetch_or(&vp->logged, bit) & bit)
		return;
	va_list ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	fprintf(stderr, "vmdeck: %s: ", vp->name);
	vfprintf(stderr, fmt, ap2);
	fprintf(stderr, " (reported once)\n");
	va_end(ap2);
	va_end(ap);
}

const char *virtio_pci_name(const struct virtio_pci *vp) { return vp->name; }
const struct virtio_pci_stats *virtio_pci_stats(const struct virtio_pci *vp) { return &vp->stats; }
uint64_t virtio_pci_features(const struct virtio_pci *vp) { return vp->driver_features; }

struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned qi)
{
	return qi < vp->p.nqueues ? &vp->q[qi].vq : NULL;
}

uint8_t virtio_pci_status(struct virtio_pci *vp)
{
	uint8_t s;
	pthread_mutex_lock(&vp->lock);
	s = vp->status;
	pthread_mutex_unlock(&vp->lock);
	return s;
}

/* ---- interrupts (4.1.4.5 ISR status, 4.1.5.3/4) ---- */

void virtio_pci_raise(struct virtio_pci *vp, uint8_t bit)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vp->isr_lock);
	vp->isr |= bit;
	if (vp->irqfd >= 0) {
		if (write(vp->irqfd, &one, sizeof(one)) < 0) {
			/* counter overflow is impossible with one write */
		}
	} else {
		pci_set_irq(&vp->pci, true);
	}
	pthread_mutex_unlock(&vp->isr_lock);
	atomic_fetch_add_explicit(&vp->stats.interrupts, 1, memory_order_relaxed);
}

static uint8_t vp_isr_read(struct virtio_pci *vp)
{
	uint8_t v;

	pthread_mutex_lock(&vp->isr_lock);
	v = vp->isr;
	vp->isr = 0; /* 4.1.4.5.1: reading ISR resets it and de-asserts INTx */
	if (vp->irqfd < 0)
		pci_set_irq(&vp->pci, false);
	pthread_mutex_unlock(&vp->isr_lock);
	return v;
}

/* KVM lowered the line at EOI: assert again if still pending. */
static void vp_resample(struct virtio_pci *vp)
{
	uint64_t v, one = 1;

	if (read(vp->resample_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&vp->isr_lock);
	if (vp->isr && write(vp->irqfd, &one, sizeof(one)) < 0) {
		/* nothing sensible to do */
	}
	pthread_mutex_unlock(&vp->isr_lock);
}

void virtio_pci_notify_used(struct virtio_pci *vp, unsigned qi)
{
	if (qi < vp->p.nqueues && virtq_should_notify(&vp->q[qi].vq))
		virtio_pci_raise(vp, VP_ISR_QUEUE);
}

bool virtio_pci_needs_reset(struct virtio_pci *vp)
{
	return virtio_pci_status(vp) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

void virtio_pci_set_needs_reset(struct virtio_pci *vp, const char *why)
{
	bool irq;

	pthread_mutex_lock(&vp->lock);
	irq = !(vp->status & VIRTIO_CONFIG_S_NEEDS_RESET) && (vp->status & VIRTIO_CONFIG_S_DRIVER_OK);
	vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	pthread_mutex_unlock(&vp->lock);
	atomic_fetch_add_explicit(&vp->stats.errors, 1, memory_order_relaxed);
	virtio_pci_log_once(vp, LOG_NEEDS_RESET, "guest error, device needs reset: %s", why);
	/* 2.1.2 + 4.1.4.5: a configuration change notification. */
	if (irq)
		virtio_pci_raise(vp, VP_ISR_CONFIG);
}

/* ---- ioeventfd ---- */

static void vp_ioeventfds(struct virtio_pci *vp, uint32_t base, bool assign)
{
	for (unsigned i = 0; i < vp->p.nqueues; i++) {
		struct kvm_ioeventfd io = {
			.addr = base + VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * i,
			/* Drivers write the 16-bit queue index (4.1.4.4.1); with
			 * ANY_LENGTH (len 0) other widths hit the fast path too. */
			.len = vp->ioeventfd_any_len ? 0 : 2,
			.fd = vp->q[i].kick_fd,
			.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
		};
		if (ioctl(vp->vm->fd, KVM_IOEVENTFD, &io) < 0 && assign) {
			/* Undo what we did; MMIO exits will carry notifications. */
			for (unsigned j = 0; j < i; j++) {
				io.addr = base + VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * j;
				io.fd = vp->q[j].kick_fd;
				io.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
				ioctl(vp->vm->fd, KVM_IOEVENTFD, &io);
			}
			vp->stats.ioeventfd = false;
			return;
		}
	}
	vp->ioeventfd_base = assign ? base : 0;
	vp->stats.ioeventfd = assign;
}

/* PCI layer: BAR 0 was mapped at addr (0 = unmapped). */
static void vp_bar_moved(struct pci_dev *d, unsigned bar, uint32_t addr)
{
	struct virtio_pci *vp = d->opaque;

	if (bar != 0 || vp->vm->fd < 0)
		return;
	if (vp->ioeventfd_base)
		vp_ioeventfds(vp, vp->ioeventfd_base, false);
	if (addr)
		vp_ioeventfds(vp, addr, true);
}

/* ---- common configuration (4.1.4.3) ---- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* The register file as the driver sees it now (lock held). */
static void vp_common_image(struct virtio_pci *vp, uint8_t *img)
{
	uint64_t df = vp->device_features;

	memset(img, 0, VIRTIO_PCI_COMMON_LEN);
	put32(img + CC_DFSELECT, vp->dfselect);
	put32(img + CC_DFEATURE, vp->dfselect == 0 ? (uint32_t)df :
	      vp->dfselect == 1 ? (uint32_t)(df >> 32) : 0);
	put32(img + CC_GFSELECT, vp->gfselect);
	put32(img + CC_GFEATURE, vp->gfselect == 0 ? (uint32_t)vp->driver_features :
	      vp->gfselect == 1 ? (uint32_t)(vp->driver_features >> 32) : 0);
	put16(img + CC_MSIX, VIRTIO_MSI_NO_VECTOR); /* no MSI-X */
	put16(img + CC_NUMQ, (uint16_t)vp->p.nqueues);
	img[CC_STATUS] = vp->status;
	img[CC_GEN] = 0; /* device config never changes after creation */
	put16(img + CC_QSEL, vp->qsel);
	if (vp->qsel < vp->p.nqueues) {
		const struct vp_queue *q = &vp->q[vp->qsel];
		put16(img + CC_QSIZE, q->size);
		put16(img + CC_QMSIX, VIRTIO_MSI_NO_VECTOR);
		put16(img + CC_QENABLE, q->enabled);
		put16(img + CC_QNOTIFYOFF, vp->qsel);
		put64(img + CC_QDESC, q->desc);
		put64(img + CC_QDRIVER, q->driver);
		put64(img + CC_QDEVICE, q->device);
		put16(img + CC_QNOTIFYDATA, vp->qsel);
	}
	/* QueueSel out of range: queue_size 0 means "not available" (4.1.4.3). */
}

void virtio_pci_kick(struct virtio_pci *vp, unsigned qi)
{
	uint64_t one = 1;
	if (write(vp->q[qi].kick_fd, &one, sizeof(one)) < 0) {
		/* eventfd full is impossible here */
	}
}

/* 2.4 device reset; lock held. Waits for the device thread to go idle. */
static void vp_reset_locked(struct virtio_pci *vp)
{
	vp->status = 0; /* the device thread checks this before new work */
	while (vp->busy)
		pthread_cond_wait(&vp->idle, &vp->lock);
	vp->dfselect = vp->gfselect = 0;
	vp->driver_features = 0;
	vp->qsel = 0;
	for (unsigned i = 0; i < vp->p.nqueues; i++) {
		struct vp_queue *q = &vp->q[i];
		q->size = vp->p.queue_max;
		q->enabled = false;
		q->desc = q->driver = q->device = 0;
		memset(&q->vq, 0, sizeof(q->vq));
	}
	pthread_mutex_lock(&vp->isr_lock);
	vp->isr = 0;
	if (vp->irqfd < 0)
		pci_set_irq(&vp->pci, false);
	pthread_mutex_unlock(&vp->isr_lock);
	if (vp->p.ops->reset)
		vp->p.ops->reset(vp->p.opaque);
	atomic_fetch_add_explicit(&vp->stats.resets, 1, memory_order_relaxed);
}

/* 2.1 / 3.1.1: the driver only adds bits; FEATURES_OK only if we accept
 * the features; DRIVER_OK only after FEATURES_OK. */
static void vp_write_status(struct virtio_pci *vp, uint8_t v)
{
	uint8_t old = vp->status, keep = old & VIRTIO_CONFIG_S_NEEDS_RESET;

	if (v == 0) {
		vp_reset_locked(vp);
		return;
	}
	v &= (uint8_t)~VIRTIO_CONFIG_S_NEEDS_RESET; /* device-owned bit */
	if ((v & old & ~VIRTIO_CONFIG_S_NEEDS_RESET) != (old & ~VIRTIO_CONFIG_S_NEEDS_RESET)) {
		virtio_pci_log_once(vp, LOG_STATUS_CLEAR, "driver cleared status bits "
				    "(0x%02x -> 0x%02x) without a reset; ignored", old, v);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* 2.2.2 / 6.1: VERSION_1 required; nothing we did not offer. */
		if (!(vp->driver_features & (1ULL << VIRTIO_F_VERSION_1)) ||
		    (vp->driver_features & ~vp->device_features)) {
			virtio_pci_log_once(vp, LOG_FEATURES, "driver features 0x%llx refused "
					    "(offered 0x%llx, VERSION_1 required)",
					    (unsigned long long)vp->driver_features,
					    (unsigned long long)vp->device_features);
			v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
	vp->status = v | keep;
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		for (unsigned i = 0; i < vp->p.nqueues; i++)
			if (vp->q[i].enabled)
				virtio_pci_kick(vp, i); /* buffers made available before DRIVER_OK */
}

static void vp_enable_queue(struct virtio_pci *vp, struct vp_queue *q)
{
	bool evt = vp->driver_features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	bool ind = vp->driver_features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	int r;

	/* 4.1.4.3.2: the driver sets up the queue after FEATURES_OK and
	 * before DRIVER_OK. */
	if (!(vp->status & VIRTIO_CONFIG_S_FEATURES_OK) || (vp->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    q->enabled)
		return;
	r = virtq_init(&q->vq, &vp->vm->mem, q->size, q->desc, q->driver, q->device, evt, ind);
	if (r) {
		char why[128];
		snprintf(why, sizeof(why), "queue %u: %s (size %u, desc 0x%llx, driver 0x%llx, "
			 "device 0x%llx)", vp->qsel, r == -EINVAL ? "bad size or alignment" :
			 "ring outside guest RAM", q->size, (unsigned long long)q->desc,
			 (unsigned long long)q->driver, (unsigned long long)q->device);
		pthread_mutex_unlock(&vp->lock);
		virtio_pci_set_needs_reset(vp, why);
		pthread_mutex_lock(&vp->lock);
		return;
	}
	q->enabled = true;
}

/* Applies the field at off (whose new bytes are in img); lock held. */
static void vp_common_apply(struct virtio_pci *vp, unsigned off, const uint8_t *img)
{
	struct vp_queue *q = vp->qsel < vp->p.nqueues ? &vp->q[vp->qsel] : NULL;
	bool qwritable = q && !q->enabled && !(vp->status & VIRTIO_CONFIG_S_DRIVER_OK);

	switch (off) {
	case CC_DFSELECT:
		vp->dfselect = get32(img + off);
		break;
	case CC_GFSELECT:
		vp->gfselect = get32(img + off);
		break;
	case CC_GFEATURE:
		if (vp->status & VIRTIO_CONFIG_S_FEATURES_OK)
			break; /* 3.1.1: features are fixed after FEATURES_OK */
		if (vp->gfselect == 0)
			vp->driver_features = (vp->driver_features & ~0xffffffffULL) | get32(img + off);
		else if (vp->gfselect == 1)
			vp->driver_features = (vp->driver_features & 0xffffffffULL) |
					      (uint64_t)get32(img + off) << 32;
		break;
	case CC_STATUS:
		vp_write_status(vp, img[off]);
		break;
	case CC_QSEL:
		vp->qsel = get16(img + off); /* out of range: reads 0, writes ignored */
		break;
	case CC_QSIZE:
		if (qwritable) {
			uint16_t s = get16(img + off);
			/* 2.7: power of two, at most what we offered. */
			if (s && !(s & (s - 1)) && s <= vp->p.queue_max)
				q->size = s;
			else
				virtio_pci_log_once(vp, LOG_QUEUE_SIZE, "queue %u: size %u refused "
						    "(power of two <= %u)", vp->qsel, s, vp->p.queue_max);
		}
		break;
	case CC_QENABLE:
		if (q && get16(img + off) == 1)
			vp_enable_queue(vp, q);
		break;
	case CC_QDESC:
		if (qwritable)
			q->desc = get64(img + off);
		break;
	case CC_QDRIVER:
		if (qwritable)
			q->driver = get64(img + off);
		break;
	case CC_QDEVICE:
		if (qwritable)
			q->device = get64(img + off);
		break;
	default:
		/* read-only (device_feature, num_queues, generation,
		 * notify_off, notify_data) or unsupported (MSI-X vectors,
		 * queue_reset without VIRTIO_F_RING_RESET): ignored */
		virtio_pci_log_once(vp, LOG_RO_WRITE, "write to read-only common config "
				    "field at 0x%x ignored", off);
		break;
	}
}

static const struct { uint8_t off, len; } cc_fields[] = {
	{ CC_DFSELECT, 4 }, { CC_DFEATURE, 4 }, { CC_GFSELECT, 4 }, { CC_GFEATURE, 4 },
	{ CC_MSIX, 2 }, { CC_NUMQ, 2 }, { CC_STATUS, 1 }, { CC_GEN, 1 }, { CC_QSEL, 2 },
	{ CC_QSIZE, 2 }, { CC_QMSIX, 2 }, { CC_QENABLE, 2 }, { CC_QNOTIFYOFF, 2 },
	{ CC_QDESC, 8 }, { CC_QDRIVER, 8 }, { CC_QDEVICE, 8 }, { CC_QNOTIFYDATA, 2 },
	{ CC_QRESET, 2 },
};

static void vp_common_write(struct virtio_pci *vp, unsigned off, const void *data, unsigned size)
{
	uint8_t img[VIRTIO_PCI_COMMON_LEN];

	if (off >= VIRTIO_PCI_COMMON_LEN || size > VIRTIO_PCI_COMMON_LEN - off)
		return;
	pthread_mutex_lock(&vp->lock);
	vp_common_image(vp, img);
	memcpy(img + off, data, size);
	/* Any width: every field the write touches takes its merged value
	 * (a 32-bit half of a 64-bit address keeps the other half). */
	for (size_t i = 0; i < sizeof(cc_fields) / sizeof(cc_fields[0]); i++) {
		unsigned fo = cc_fields[i].off, fl = cc_fields[i].len;
		if (fo < off + size && off < fo + fl)
			vp_common_apply(vp, fo, img);
	}
	pthread_mutex_unlock(&vp->lock);
}

/* ---- BAR 0 ---- */

static void vp_bar_read(void *dev, uint64_t off, void *data, unsigned size)
{
	struct virtio_pci *vp = dev;

	memset(data, 0, size);
	if (off < VIRTIO_PCI_COMMON_LEN) {
		uint8_t img[VIRTIO_PCI_COMMON_LEN];
		unsigned n = size;
		if (n > VIRTIO_PCI_COMMON_LEN - off)
			n = VIRTIO_PCI_COMMON_LEN - (unsigned)off;
		pthread_mutex_lock(&vp->lock);
		vp_common_image(vp, img);
		pthread_mutex_unlock(&vp->lock);
		memcpy(data, img + off, n);
	} else if (off == VIRTIO_PCI_ISR_OFF) {
		*(uint8_t *)data = vp_isr_read(vp);
	} else if (off >= VIRTIO_PCI_DEVCFG_OFF && off - VIRTIO_PCI_DEVCFG_OFF < vp->p.cfg_size &&
		   size <= vp->p.cfg_size - (off - VIRTIO_PCI_DEVCFG_OFF)) {
		vp->p.ops->cfg_read(vp->p.opaque, off - VIRTIO_PCI_DEVCFG_OFF, data, size);
	}
	/* anything else (notify area, gaps) reads 0 */
}

static void vp_bar_write(void *dev, uint64_t off, const void *data, unsigned size)
{
	struct virtio_pci *vp = dev;

	if (off < VIRTIO_PCI_COMMON_LEN) {
		vp_common_write(vp, (unsigned)off, data, size);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF &&
		   off < VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * vp->p.nqueues) {
		/* The slow path of a notification (no ioeventfd): 4.1.5.2. */
		virtio_pci_kick(vp, (unsigned)(off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT);
	} else if (off >= VIRTIO_PCI_DEVCFG_OFF && off - VIRTIO_PCI_DEVCFG_OFF < vp->p.cfg_size &&
		   size <= vp->p.cfg_size - (off - VIRTIO_PCI_DEVCFG_OFF)) {
		if (vp->p.ops->cfg_write)
			vp->p.ops->cfg_write(vp->p.opaque, off - VIRTIO_PCI_DEVCFG_OFF, data, size);
		else
			virtio_pci_log_once(vp, LOG_RO_WRITE, "write to read-only device config "
					    "at 0x%llx ignored",
					    (unsigned long long)(off - VIRTIO_PCI_DEVCFG_OFF));
	}
}

static const struct bus_ops vp_bar_ops = { vp_bar_read, vp_bar_write };

/* ---- device thread ---- */

static void vp_run_queue(struct virtio_pci *vp, unsigned qi)
{
	pthread_mutex_lock(&vp->lock);
	if (vp->frozen) {
		vp->deferred |= 1u << qi; /* runs on virtio_pci_resume */
		pthread_mutex_unlock(&vp->lock);
		return;
	}
	if (!(vp->status & VIRTIO_CONFIG_S_DRIVER_OK) || (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET) ||
	    !vp->q[qi].enabled) {
		pthread_mutex_unlock(&vp->lock);
		return;
	}
	vp->busy = true;
	pthread_mutex_unlock(&vp->lock);

	atomic_fetch_add_explicit(&vp->stats.notifies, 1, memory_order_relaxed);
	vp->p.ops->queue_notify(vp->p.opaque, vp, qi);

	pthread_mutex_lock(&vp->lock);
	vp->busy = false;
	pthread_cond_broadcast(&vp->idle);
	pthread_mutex_unlock(&vp->lock);
}

static void *vp_thread(void *arg)
{
	struct virtio_pci *vp = arg;
	struct pollfd pfd[VIRTIO_PCI_MAX_QUEUES + 2];
	unsigned n = 0, nq = vp->p.nqueues;

	for (unsigned i = 0; i < nq; i++)
		pfd[n++] = (struct pollfd){ .fd = vp->q[i].kick_fd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = vp->stop_fd, .events = POLLIN };
	if (vp->resample_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = vp->resample_fd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[nq].revents)
			break;
		if (n > nq + 1 && pfd[nq + 1].revents)
			vp_resample(vp);
		for (unsigned i = 0; i < nq; i++) {
			uint64_t v;
			if (!pfd[i].revents)
				continue;
			if (read(vp->q[i].kick_fd, &v, sizeof(v)) < 0)
				continue;
			vp_run_queue(vp, i);
		}
	}
	return NULL;
}

/* ---- creation ---- */

static int vp_setup_irqfd(struct virtio_pci *vp)
{
	struct kvm_irqfd irqfd;

	if (vp->vm->fd < 0 || ioctl(vp->vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE) <= 0)
		return -ENOTSUP;
	vp->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vp->resample_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vp->irqfd < 0 || vp->resample_fd < 0)
		goto fail;
	irqfd = (struct kvm_irqfd){ .fd = (uint32_t)vp->irqfd, .gsi = vp->pci.gsi,
				    .flags = KVM_IRQFD_FLAG_RESAMPLE,
				    .resamplefd = (uint32_t)vp->resample_fd };
	if (ioctl(vp->vm->fd, KVM_IRQFD, &irqfd) < 0)
		goto fail;
	vp->stats.irqfd = true;
	return 0;
fail:
	if (vp->irqfd >= 0)
		close(vp->irqfd);
	if (vp->resample_fd >= 0)
		close(vp->resample_fd);
	vp->irqfd = vp->resample_fd = -1;
	return -errno;
}

static void vp_add_caps(struct virtio_pci *vp)
{
	struct virtio_pci_cap cap;
	struct virtio_pci_notify_cap ncap;
	const struct { uint8_t type; uint32_t off, len; } caps[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN },
		{ VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 4 },
		{ VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG_OFF, (uint32_t)vp->p.cfg_size },
	};

	/* 4.1.4: vendor-specific capabilities, each naming a BAR region. */
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (caps[i].type == VIRTIO_PCI_CAP_DEVICE_CFG && !caps[i].len)
			continue;
		memset(&cap, 0, sizeof(cap));
		cap.cap_vndr = PCI_CAP_ID_VNDR;
		cap.cap_len = sizeof(cap);
		cap.cfg_type = caps[i].type;
		cap.bar = 0;
		cap.offset = htole32(caps[i].off);
		cap.length = htole32(caps[i].len);
		pci_dev_add_cap(&vp->pci, &cap, sizeof(cap));
	}
	/* 4.1.4.4: queue i notifies at offset + queue_notify_off * multiplier. */
	memset(&ncap, 0, sizeof(ncap));
	ncap.cap.cap_vndr = PCI_CAP_ID_VNDR;
	ncap.cap.cap_len = sizeof(ncap);
	ncap.cap.cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG;
	ncap.cap.bar = 0;
	ncap.cap.offset = htole32(VIRTIO_PCI_NOTIFY_OFF);
	ncap.cap.length = htole32(VIRTIO_PCI_NOTIFY_MULT * vp->p.nqueues);
	ncap.notify_off_multiplier = htole32(VIRTIO_PCI_NOTIFY_MULT);
	pci_dev_add_cap(&vp->pci, &ncap, sizeof(ncap));
}

int virtio_pci_create(struct vm *vm, const struct virtio_pci_params *p,
		      struct virtio_pci **out, char *err, size_t errlen)
{
	struct virtio_pci *vp;
	int r;

	if (!vm->pci || !p->ops || !p->ops->queue_notify || !p->ops->cfg_read ||
	    p->nqueues < 1 || p->nqueues > VIRTIO_PCI_MAX_QUEUES || !p->queue_max ||
	    p->queue_max > VIRTQ_MAX_SIZE || (p->queue_max & (p->queue_max - 1)) ||
	    p->cfg_size > VIRTIO_PCI_DEVCFG_MAX) {
		snprintf(err, errlen, "%s: bad virtio-pci parameters", p->name);
		return -EINVAL;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		snprintf(err, errlen, "%s: out of memory", p->name);
		return -ENOMEM;
	}
	vp->vm = vm;
	vp->p = *p;
	snprintf(vp->name, sizeof(vp->name), "%s", p->name);
	vp->p.name = vp->name;
	vp->device_features = (p->features | TRANSPORT_FEATURES) &
			      ~(1ULL << VIRTIO_F_ACCESS_PLATFORM); /* 2.2: we use GPAs */
	vp->irqfd = vp->resample_fd = vp->stop_fd = -1;
	for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->q[i].kick_fd = -1;
	pthread_mutex_init(&vp->lock, NULL);
	pthread_mutex_init(&vp->isr_lock, NULL);
	pthread_cond_init(&vp->idle, NULL);

	for (unsigned i = 0; i < p->nqueues; i++) {
		vp->q[i].size = p->queue_max;
		vp->q[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->q[i].kick_fd < 0)
			goto fail_errno;
	}
	vp->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vp->stop_fd < 0)
		goto fail_errno;

	/* 4.1.2: vendor 0x1AF4, device 0x1040 + type, revision 1 (modern
	 * only); subsystem IDs are free for modern devices. */
	pci_dev_init(&vp->pci, vp->name, 0x1AF4, (uint16_t)(0x1040 + p->device_type),
		     p->class_code, 1, 0x1AF4, 0x1100);
	vp->pci.opaque = vp;
	vp->pci.bar_moved = vp_bar_moved;
	r = pci_dev_set_bar(&vp->pci, 0, VIRTIO_PCI_BAR_SIZE, &vp_bar_ops, vp);
	if (r)
		goto fail_r;
	vp_add_caps(vp);
	vp->ioeventfd_any_len = vm->fd >= 0 &&
		ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH) > 0;
	r = pci_add_device(vm->pci, &vp->pci);
	if (r) {
		snprintf(err, errlen, "%s: no room on PCI bus 0 (%s)", p->name, strerror(-r));
		goto fail;
	}
	if (vp_setup_irqfd(vp))
		virtio_pci_log_once(vp, LOG_IRQFD, "no irqfd with resample, using KVM_IRQ_LINE");
	r = pthread_create(&vp->thread, NULL, vp_thread, vp);
	if (r) {
		r = -r;
		pci_remove_device(vm->pci, &vp->pci);
		goto fail_r;
	}
	vp->thread_started = true;
	{
		char tn[16];
		memcpy(tn, vp->name, sizeof(tn) - 1); /* thread names: 15 bytes */
		tn[sizeof(tn) - 1] = 0;
		pthread_setname_np(vp->thread, tn);
	}
	*out = vp;
	return 0;
fail_errno:
	r = -errno;
fail_r:
	snprintf(err, errlen, "%s: %s", p->name, strerror(-r));
fail:
	virtio_pci_destroy(vp);
	return r;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	uint64_t one = 1;

	if (!vp)
		return;
	if (vp->thread_started) {
		if (write(vp->stop_fd, &one, sizeof(one)) < 0) {
			/* cannot fail on a fresh eventfd */
		}
		pthread_join(vp->thread, NULL);
	}
	if (vp->ioeventfd_base)
		vp_ioeventfds(vp, vp->ioeventfd_base, false);
	if (vp->irqfd >= 0) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)vp->irqfd, .gsi = vp->pci.gsi,
					   .flags = KVM_IRQFD_FLAG_DEASSIGN };
		ioctl(vp->vm->fd, KVM_IRQFD, &irqfd);
		close(vp->irqfd);
	}
	if (vp->resample_fd >= 0)
		close(vp->resample_fd);
	for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		if (vp->q[i].kick_fd >= 0)
			close(vp->q[i].kick_fd);
	if (vp->stop_fd >= 0)
		close(vp->stop_fd);
	pthread_mutex_destroy(&vp->lock);
	pthread_mutex_destroy(&vp->isr_lock);
	pthread_cond_destroy(&vp->idle);
	free(vp);
}

/* ---- snapshots ---- */

void virtio_pci_quiesce(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp->frozen = true;
	while (vp->busy)
		pthread_cond_wait(&vp->idle, &vp->lock);
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_resume(struct virtio_pci *vp)
{
	uint32_t d;

	pthread_mutex_lock(&vp->lock);
	vp->frozen = false;
	d = vp->deferred;
	vp->deferred = 0;
	pthread_mutex_unlock(&vp->lock);
	for (unsigned i = 0; i < vp->p.nqueues; i++)
		if (d & (1u << i))
			virtio_pci_kick(vp, i);
}

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp)
{
	return &vp->pci;
}

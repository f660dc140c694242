/* Modern virtio-pci transport (virtio 1.2, 4.1), shared by virtio-blk and
 * virtio-rng.
 *
 * One 32-bit memory BAR (BAR 0) holds the four structures the capability
 * list points at: common configuration, ISR status, device-specific
 * configuration and the notification area (one 4-byte slot per queue,
 * notify_off_multiplier 4, so no datamatch is needed). Queue notifications
 * are KVM ioeventfds on those slots when KVM accepts them, else MMIO exits
 * whose handler signals the same eventfd; a per-device thread waits on the
 * eventfds and runs the device's queue handler, so a vCPU never waits for
 * device work. The interrupt is INTx, level-triggered: an irqfd with a
 * resample fd when KVM has one (re-asserted after EOI while ISR is set),
 * else KVM_IRQ_LINE through the PCI bus (asserted while ISR != 0, lowered
 * when the driver reads ISR).
 *
 * Guest-controlled transport values are checked: QueueSel out of range reads
 * zeroes and ignores writes, queue size must be a power of two <= the
 * maximum, rings must lie in RAM (else DEVICE_NEEDS_RESET), queue and feature
 * writes after FEATURES_OK/DRIVER_OK are ignored, a driver clearing status
 * bits is ignored, writes to read-only fields are ignored. */
#ifndef VMDECK_VIRTIO_PCI_H
#define VMDECK_VIRTIO_PCI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapfile.h"
#include "virtq.h"

struct vm;
struct virtio_pci;
struct pci_dev;

#define VIRTIO_PCI_MAX_QUEUES 4

/* BAR 0 layout. */
#define VIRTIO_PCI_BAR_SIZE     0x4000
#define VIRTIO_PCI_COMMON_OFF   0x0000
#define VIRTIO_PCI_COMMON_LEN   0x40
#define VIRTIO_PCI_ISR_OFF      0x1000
#define VIRTIO_PCI_DEVCFG_OFF   0x2000
#define VIRTIO_PCI_DEVCFG_MAX   0x1000
#define VIRTIO_PCI_NOTIFY_OFF   0x3000
#define VIRTIO_PCI_NOTIFY_MULT  4

struct virtio_dev_ops {
	/* Device configuration space (4.1.4.6); off + size <= cfg_size. */
	void (*cfg_read)(void *opaque, uint64_t off, void *data, unsigned size);
	/* NULL: every device config field is read-only. */
	void (*cfg_write)(void *opaque, uint64_t off, const void *data, unsigned size);
	/* Queue qi may have new buffers. Runs on the device thread, only while
	 * DRIVER_OK is set and the queue is enabled; use virtio_pci_queue(). */
	void (*queue_notify)(void *opaque, struct virtio_pci *vp, unsigned qi);
	/* Device reset (2.4): the device thread is idle when this runs. */
	void (*reset)(void *opaque);
};

struct virtio_pci_params {
	const char *name;          /* "virtio-blk0": PCI device, logs, thread */
	uint16_t device_type;      /* 5.x: 2 = block, 4 = entropy */
	uint32_t class_code;       /* PCI class for the device */
	unsigned nqueues;          /* 1..VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_max;        /* power of two <= VIRTQ_MAX_SIZE */
	uint64_t features;         /* device-specific feature bits */
	size_t cfg_size;           /* bytes of device config (<= VIRTIO_PCI_DEVCFG_MAX) */
	const struct virtio_dev_ops *ops;
	void *opaque;
};

struct virtio_pci_stats {
	_Atomic uint64_t notifies;   /* queue notifications handled */
	_Atomic uint64_t interrupts; /* interrupts raised */
	_Atomic uint64_t resets;     /* driver resets */
	_Atomic uint64_t errors;     /* transport/ring errors (NEEDS_RESET) */
	bool ioeventfd, irqfd;       /* the fast paths in use */
};

/* Creates the device, puts it on vm->pci and starts its thread. */
int virtio_pci_create(struct vm *vm, const struct virtio_pci_params *p,
		      struct virtio_pci **out, char *err, size_t errlen);
/* Stops the thread and releases KVM registrations. The VM's vCPUs must be
 * stopped; call after pci_bus_destroy or before the VM runs. */
void virtio_pci_destroy(struct virtio_pci *vp);

/* For device code on the device thread. */
struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned qi);
uint64_t virtio_pci_features(const struct virtio_pci *vp); /* negotiated */
/* After pushing used buffers: interrupt the driver if it wants one. */
void virtio_pci_notify_used(struct virtio_pci *vp, unsigned qi);
/* The device hit a guest error it cannot report in a request (2.1.2):
 * set DEVICE_NEEDS_RESET, stop processing, interrupt the driver. Logs why
 * once per device. */
void virtio_pci_set_needs_reset(struct virtio_pci *vp, const char *why);
bool virtio_pci_needs_reset(struct virtio_pci *vp);
/* Logs a message once per (device, key bit < 32); later calls with the same
 * key are only counted. */
void virtio_pci_log_once(struct virtio_pci *vp, unsigned key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *virtio_pci_name(const struct virtio_pci *vp);
const struct virtio_pci_stats *virtio_pci_stats(const struct virtio_pci *vp);
uint8_t virtio_pci_status(struct virtio_pci *vp);
struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);

/* ---- snapshots (the VM paused) ---- */

/* Stops the device thread from starting queue work and waits until what
 * it is doing has finished: every request it popped has been completed and
 * pushed, so nothing is in flight. Notifications that arrive meanwhile run
 * on virtio_pci_resume. */
void virtio_pci_quiesce(struct virtio_pci *vp);
void virtio_pci_resume(struct virtio_pci *vp);

#define VIRTIO_PCI_STATE_VERSION 1
/* Section SNAP_SEC_VIRTIO, instance = PCI slot: device status, negotiated
 * features, feature selects, queue config and positions, ISR. The device
 * must be quiesced. */
void virtio_pci_save(struct virtio_pci *vp, struct snap_writer *w);
/* Validates a section against this device and its VM's RAM (features
 * within what it offers, queue sizes powers of two <= its maximum, ring
 * addresses aligned and inside RAM, indices consistent with a drained
 * queue, status bits, ISR) and, unless check_only, loads it: the queues
 * are set up again and, if the device is running, notified, and a pending
 * ISR re-asserts the interrupt. Load the PCI section first (it maps BAR 0
 * and with it the ioeventfds). */
int virtio_pci_load(struct virtio_pci *vp, const void *buf, size_t len, bool check_only,
		    char *err, size_t errlen);

#endif

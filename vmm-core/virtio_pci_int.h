/* Inside a virtio-pci device: shared by virtio_pci.c (the transport) and
 * virtio_pci_state.c (its snapshot section). Device code uses
 * virtio_pci.h only. */
#ifndef VMDECK_VIRTIO_PCI_INT_H
#define VMDECK_VIRTIO_PCI_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "virtio_pci.h"
#include "virtq.h"

struct vp_queue {
	uint16_t size;          /* as set by the driver (defaults to max) */
	bool enabled;
	uint64_t desc, driver, device;
	struct virtq vq;        /* live while enabled; device thread owns indices */
	int kick_fd;            /* eventfd signalled by ioeventfd or MMIO exit */
};

struct virtio_pci {
	struct pci_dev pci;
	struct vm *vm;
	struct virtio_pci_params p;
	char name[24];
	uint64_t device_features;

	pthread_mutex_t lock;   /* transport state below */
	pthread_cond_t idle;
	uint32_t dfselect, gfselect;
	uint64_t driver_features;
	uint8_t status;
	uint16_t qsel;
	bool busy;              /* device thread is inside ops->queue_notify */
	/* Quiesced for a snapshot: the device thread starts no queue work;
	 * notifications that arrive meanwhile are kept in `deferred` (bit per
	 * queue) and run on virtio_pci_resume. */
	bool frozen;
	uint32_t deferred;
	struct vp_queue q[VIRTIO_PCI_MAX_QUEUES];

	pthread_mutex_t isr_lock;
	uint8_t isr;
	int irqfd, resample_fd; /* -1 when KVM_IRQ_LINE is used */

	uint32_t ioeventfd_base; /* notify area address with ioeventfds, 0 if none */
	bool ioeventfd_any_len;

	pthread_t thread;
	bool thread_started;
	int stop_fd;

	_Atomic uint32_t logged;
	struct virtio_pci_stats stats;
};

/* ISR bits (4.1.4.5). */
#define VP_ISR_QUEUE  0x1
#define VP_ISR_CONFIG 0x2

/* Sets ISR bits and asserts the interrupt (irqfd or INTx). */
void virtio_pci_raise(struct virtio_pci *vp, uint8_t bit);
/* Makes the device thread look at queue qi (as a driver notification). */
void virtio_pci_kick(struct virtio_pci *vp, unsigned qi);

#endif

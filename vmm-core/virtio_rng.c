/* virtio entropy device; see virtio_rng.h. Sections: virtio 1.2. */
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_ids.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "virtio_pci.h"
#include "virtio_rng.h"
#include "vm.h"

#define RNG_QUEUE_SIZE 64

struct virtio_rng {
	struct virtio_pci *vp;
	_Atomic uint64_t bytes;
	struct virtq_req req; /* device-thread scratch */
};

static void rng_cfg_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	(void)opaque; (void)off; (void)data; (void)size; /* 5.4.4: no config */
}

/* 5.4.6: fill device-writable buffers; readable ones are ignored. */
static void rng_queue_notify(void *opaque, struct virtio_pci *vp, unsigned qi)
{
	struct virtio_rng *rng = opaque;
	struct virtq *q = virtio_pci_queue(vp, qi);
	struct virtq_req *r = &rng->req;

	do {
		int got;
		while ((got = virtq_pop(q, r)) > 0) {
			uint32_t done = 0;
			if (r->error == VIRTQ_OK) {
				for (unsigned i = r->n_out; i < r->n_out + r->n_in &&
				     done < VIRTIO_RNG_MAX_PER_REQ; i++) {
					size_t want = r->iov[i].iov_len;
					ssize_t n;
					if (want > VIRTIO_RNG_MAX_PER_REQ - done)
						want = VIRTIO_RNG_MAX_PER_REQ - done;
					n = getrandom(r->iov[i].iov_base, want, 0);
					if (n <= 0)
						break;
					done += (uint32_t)n;
					if ((size_t)n < r->iov[i].iov_len)
						break; /* the used length covers a prefix only */
				}
			} else {
				virtio_pci_log_once(vp, 16, "bad request buffer: %s", r->why);
			}
			atomic_fetch_add_explicit(&rng->bytes, done, memory_order_relaxed);
			virtq_push(q, r->head, done);
		}
		if (got < 0) {
			virtio_pci_set_needs_reset(vp, r->why);
			return;
		}
		virtio_pci_notify_used(vp, qi);
	} while (virtq_enable_notify(q));
}

static const struct virtio_dev_ops rng_ops = {
	.cfg_read = rng_cfg_read,
	.queue_notify = rng_queue_notify,
};

int virtio_rng_create(struct vm *vm, const char *name, struct virtio_rng **out,
		      char *err, size_t errlen)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	struct virtio_pci_params p = {
		.name = name, .device_type = VIRTIO_ID_RNG,
		.class_code = 0xff0000, /* unclassified device: ff/00/00 as QEMU */
		.nqueues = 1, .queue_max = RNG_QUEUE_SIZE, .cfg_size = 0, .ops = &rng_ops,
	};
	int r;

	if (!rng) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	p.opaque = rng;
	r = virtio_pci_create(vm, &p, &rng->vp, err, errlen);
	if (r) {
		free(rng);
		return r;
	}
	*out = rng;
	return 0;
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
	if (!rng)
		return;
	virtio_pci_destroy(rng->vp);
	free(rng);
}

uint64_t virtio_rng_bytes(const struct virtio_rng *rng)
{
	return atomic_load_explicit(&rng->bytes, memory_order_relaxed);
}

struct virtio_pci *virtio_rng_vp(struct virtio_rng *rng)
{
	return rng->vp;
}

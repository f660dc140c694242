/* virtio entropy device (virtio 1.2, 5.4): one queue of device-writable
 * buffers, filled from getrandom(2), at most VIRTIO_RNG_MAX_PER_REQ bytes
 * per request so a guest cannot make the device thread spin on huge
 * buffers. */
#ifndef VMDECK_VIRTIO_RNG_H
#define VMDECK_VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_RNG_MAX_PER_REQ 65536

struct vm;
struct virtio_rng;
struct virtio_pci;

int virtio_rng_create(struct vm *vm, const char *name, struct virtio_rng **out,
		      char *err, size_t errlen);
void virtio_rng_destroy(struct virtio_rng *r);
uint64_t virtio_rng_bytes(const struct virtio_rng *r);
/* The transport (snapshots: virtio_pci_quiesce/save/load). The device has
 * no state of its own. */
struct virtio_pci *virtio_rng_vp(struct virtio_rng *r);

#endif

/* Split virtqueue, device side (virtio 1.2, 2.7).
 *
 * Pure code over struct guest_mem: no KVM, no threads. One thread at a time
 * (the device's worker) pops and pushes. Everything read from the rings is
 * guest-controlled and validated here:
 *  - ring addresses aligned (2.7 table) and wholly inside guest RAM;
 *  - avail idx at most queue-size ahead of what we consumed, head < size;
 *  - a chain (including an indirect table) has at most queue-size
 *    descriptors, which also stops loops (a->a, a->b->a, inside a table);
 *  - indirect only when negotiated, table length a nonzero multiple of 16
 *    and at most queue-size entries, no nesting, no INDIRECT|NEXT (2.7.5.3.1);
 *  - each buffer's addr+len inside one RAM region (guest_mem_ptr is
 *    overflow-checked), device-writable buffers after readable ones.
 * Each descriptor is copied once before it is checked, so the guest cannot
 * change it between check and use. */
#ifndef VMDECK_VIRTQ_H
#define VMDECK_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "memory.h"

#define VIRTQ_MAX_SIZE 256 /* largest queue we offer; bounds every chain */

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;                 /* power of two <= VIRTQ_MAX_SIZE */
	bool event_idx, indirect;      /* negotiated features */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host pointers, validated once by virtq_init (RAM never moves). */
	uint8_t *desc, *avail, *used;
	uint16_t last_avail;           /* next avail entry to consume */
	uint16_t used_idx;             /* next used index to publish */
	uint16_t signalled_used;       /* used idx at the last interrupt */
	bool signalled_valid;
};

/* Why a chain was refused (r->error / virtq_pop's result). */
enum virtq_err {
	VIRTQ_OK = 0,
	VIRTQ_ERR_BAD_BUFFER,   /* a buffer outside RAM, zero-length, or out of order:
				   the request fails (IOERR) but the ring is sane */
	VIRTQ_ERR_RING,         /* ring itself broken: device needs reset */
};

struct virtq_req {
	uint16_t head;
	enum virtq_err error;   /* VIRTQ_ERR_BAD_BUFFER: see bad_index */
	const char *why;        /* static text for the log */
	unsigned n_out, n_in;   /* iov[0..n_out) device-readable, then n_in writable */
	uint64_t out_len, in_len;
	/* iov_base NULL marks a buffer that failed validation. */
	struct iovec iov[VIRTQ_MAX_SIZE];
};

/* Validates the ring layout (2.7: desc 16-, avail 2-, used 4-byte aligned;
 * sizes from the queue size) and resets indices. -EINVAL if the size is not
 * a power of two in 1..VIRTQ_MAX_SIZE, -EFAULT if a ring is outside RAM. */
int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size,
	       uint64_t desc, uint64_t avail, uint64_t used, bool event_idx, bool indirect);

/* Pops the next available chain into r.
 * Returns 1 with r filled (check r->error: BAD_BUFFER means fail the
 * request, the head is valid and must still be pushed), 0 if the ring is
 * empty, or -EPROTO when the ring is broken (r->why says how): stop using
 * the queue and set DEVICE_NEEDS_RESET. */
int virtq_pop(struct virtq *q, struct virtq_req *r);
/* Puts (head, len) on the used ring and publishes it (2.7.8). */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the last
 * time this returned true (2.7.7.2 flags / 2.7.10 used_event). */
bool virtq_should_notify(struct virtq *q);
/* Tells the driver which avail index we will look at next (2.7.10
 * avail_event); returns true if more buffers arrived meanwhile. */
bool virtq_enable_notify(struct virtq *q);
/* True if the driver has made buffers available that we have not popped. */
bool virtq_has_work(const struct virtq *q);

/* Helpers for devices that treat the readable/writable buffers as byte
 * streams (2.6.4: no assumptions about framing). */
/* Copies up to len bytes starting at byte off of iov[0..n) into buf;
 * returns bytes copied. */
size_t virtq_iov_read(const struct iovec *iov, unsigned n, uint64_t off, void *buf, size_t len);
size_t virtq_iov_write(const struct iovec *iov, unsigned n, uint64_t off, const void *buf,
		       size_t len);
/* Fills dst with the byte range [off, off+len) of iov[0..n); returns the
 * number of entries (<= max) or -ERANGE if the range is not covered. */
int virtq_iov_slice(const struct iovec *iov, unsigned n, uint64_t off, uint64_t len,
		    struct iovec *dst, unsigned max);

#endif

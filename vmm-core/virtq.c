/* Split virtqueue walker; see virtq.h. Sections: virtio 1.2. */
#include <endian.h>
#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "virtq.h"

/* The guest writes the rings concurrently: every shared field is read or
 * written exactly once, through these. */
static uint16_t ld16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static void st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static void st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size,
	       uint64_t desc, uint64_t avail, uint64_t used, bool event_idx, bool indirect)
{
	memset(q, 0, sizeof(*q));
	/* 2.7: Queue Size is a power of two (we offer at most VIRTQ_MAX_SIZE). */
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	/* 2.7 alignment table: descriptor table 16, driver area 2, device area 4. */
	if ((desc & 15) || (avail & 1) || (used & 3))
		return -EINVAL;
	q->desc = guest_mem_ptr(mem, desc, 16ULL * size);
	q->avail = guest_mem_ptr(mem, avail, 6ULL + 2ULL * size);
	q->used = guest_mem_ptr(mem, used, 6ULL + 8ULL * size);
	if (!q->desc || !q->avail || !q->used) {
		memset(q, 0, sizeof(*q));
		return -EFAULT;
	}
	q->mem = mem;
	q->size = size;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	return 0;
}

bool virtq_has_work(const struct virtq *q)
{
	return q->size && ld16(q->avail + 2) != q->last_avail;
}

static int ring_error(struct virtq_req *r, const char *why)
{
	r->error = VIRTQ_ERR_RING;
	r->why = why;
	return -EPROTO;
}

static void bad_buffer(struct virtq_req *r, const char *why)
{
	if (r->error == VIRTQ_OK) {
		r->error = VIRTQ_ERR_BAD_BUFFER;
		r->why = why;
	}
}

int virtq_pop(struct virtq *q, struct virtq_req *r)
{
	const uint8_t *table;
	unsigned limit, count = 0, idx;
	bool in_indirect = false;
	uint16_t avail_idx, pending, head;

	r->error = VIRTQ_OK;
	r->why = NULL;
	r->n_out = r->n_in = 0;
	r->out_len = r->in_len = 0;
	r->head = 0;
	if (!q->size)
		return 0;
	avail_idx = ld16(q->avail + 2);
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return 0;
	/* 2.7.6: the driver cannot have more than Queue Size buffers out. */
	if (pending > q->size)
		return ring_error(r, "avail idx more than queue size ahead");
	/* Read the ring entry only after seeing the index (2.7.13.3). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = ld16(q->avail + 4 + 2u * (q->last_avail & (q->size - 1)));
	q->last_avail++;
	if (head >= q->size)
		return ring_error(r, "head index >= queue size");
	r->head = head;

	table = q->desc;
	limit = q->size;
	idx = head;
	for (;;) {
		struct vring_desc d;
		uint16_t flags;
		uint32_t len;
		uint64_t addr;
		void *p;

		/* 2.7.5.2 / 2.7.5.3.1: a chain has at most Queue Size
		 * descriptors (an indirect table at most its entry count);
		 * this is also what stops loops. */
		if (count >= limit)
			return ring_error(r, in_indirect ? "loop or over-long chain in an indirect table"
					  : "descriptor chain loops or exceeds queue size");
		count++;
		memcpy(&d, table + 16u * idx, sizeof(d));
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		flags = le16toh(d.flags);
		len = le32toh(d.len);
		addr = le64toh(d.addr);

		if (flags & VRING_DESC_F_INDIRECT) {
			uint32_t n;
			/* 2.7.5.3.1 */
			if (!q->indirect)
				return ring_error(r, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
			if (in_indirect)
				return ring_error(r, "nested indirect descriptor");
			if (count != 1)
				return ring_error(r, "indirect descriptor not at the chain head");
			if (flags & VRING_DESC_F_NEXT)
				return ring_error(r, "indirect descriptor with NEXT set");
			if (len == 0 || len % 16)
				return ring_error(r, "indirect table length not a nonzero multiple of 16");
			n = len / 16;
			if (n > q->size)
				return ring_error(r, "indirect table longer than queue size");
			table = guest_mem_ptr(q->mem, addr, len);
			if (!table)
				return ring_error(r, "indirect table outside guest RAM");
			in_indirect = true;
			limit = n;
			count = 0;
			idx = 0;
			continue;
		}

		p = guest_mem_ptr(q->mem, addr, len);
		if (!p)
			bad_buffer(r, "buffer outside guest RAM");
		if (flags & VRING_DESC_F_WRITE) {
			r->iov[r->n_out + r->n_in] = (struct iovec){ p, p ? len : 0 };
			r->n_in++;
			r->in_len += len;
		} else if (r->n_in) {
			/* 2.7.4.2: device-readable buffers come first. */
			bad_buffer(r, "device-readable buffer after a writable one");
		} else {
			r->iov[r->n_out] = (struct iovec){ p, p ? len : 0 };
			r->n_out++;
			r->out_len += len;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		idx = le16toh(d.next);
		if (idx >= limit)
			return ring_error(r, "descriptor next index out of range");
	}
	return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint8_t *e;

	if (!q->size)
		return;
	/* 2.7.8: element first, then the index, with a write barrier between. */
	e = q->used + 4 + 8u * (q->used_idx & (q->size - 1));
	st32(e, head);
	st32(e + 4, len);
	q->used_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	st16(q->used + 2, q->used_idx);
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, now = q->used_idx;
	bool valid = q->signalled_valid;

	if (!q->size)
		return false;
	/* Our used idx store must be visible before we read the driver's
	 * suppression state (2.7.10, the same ordering Linux's vhost uses). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = now;
	q->signalled_valid = true;
	if (valid && old == now)
		return false; /* nothing new */
	if (q->event_idx) {
		uint16_t event = ld16(q->avail + 4 + 2u * q->size);
		/* vring_need_event(): notify if event lies in [old, now). */
		return !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	}
	return !(ld16(q->avail) & VRING_AVAIL_F_NO_INTERRUPT);
}

bool virtq_enable_notify(struct virtq *q)
{
	if (!q->size)
		return false;
	if (q->event_idx)
		st16(q->used + 4 + 8u * q->size, q->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_work(q);
}

size_t virtq_iov_read(const struct iovec *iov, unsigned n, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - off;
		if (k > len - done)
			k = len - done;
		if (iov[i].iov_base)
			memcpy((uint8_t *)buf + done, (const uint8_t *)iov[i].iov_base + off, k);
		else
			memset((uint8_t *)buf + done, 0, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t virtq_iov_write(const struct iovec *iov, unsigned n, uint64_t off, const void *buf,
		       size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - off;
		if (k > len - done)
			k = len - done;
		if (iov[i].iov_base)
			memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, k);
		done += k;
		off = 0;
	}
	return done;
}

int virtq_iov_slice(const struct iovec *iov, unsigned n, uint64_t off, uint64_t len,
		    struct iovec *dst, unsigned max)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		uint64_t take = iov[i].iov_len - off;
		if (take > len)
			take = len;
		if (k == max || !iov[i].iov_base)
			return -ERANGE;
		dst[k++] = (struct iovec){ (uint8_t *)iov[i].iov_base + off, (size_t)take };
		len -= take;
		off = 0;
	}
	return len ? -ERANGE : (int)k;
}

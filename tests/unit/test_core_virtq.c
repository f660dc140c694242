/* The split virtqueue walker against hostile rings (virtio 1.2, 2.7). */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"

#define RAM0 (1u << 20)          /* region 0: gpa 0, 1 MiB */
#define RAM1 (64u << 10)         /* region 1: gpa 4 GiB, 64 KiB */
#define G4 0x100000000ULL
#define QS 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define BUF 0x10000

static struct guest_mem mem;
static struct virtq q;
static struct virtq_req *req;

static void setup_mem(void)
{
	memset(&mem, 0, sizeof(mem));
	mem.memfd = -1;
	mem.size = RAM0 + RAM1;
	mem.hva = aligned_alloc(4096, mem.size);
	cr_assert(mem.hva);
	memset(mem.hva, 0, mem.size);
	mem.regions[0] = (struct guest_region){ .gpa = 0, .size = RAM0, .offset = 0 };
	mem.regions[1] = (struct guest_region){ .gpa = G4, .size = RAM1, .offset = RAM0 };
	mem.nregions = 2;
	req = calloc(1, sizeof(*req));
	cr_assert(req);
}

static void teardown_mem(void)
{
	free(mem.hva);
	free(req);
}

TestSuite(virtq, .init = setup_mem, .fini = teardown_mem);

static void *gpa(uint64_t a) { return guest_mem_ptr(&mem, a, 1); }

static void init_q(bool event_idx, bool indirect)
{
	cr_assert_eq(virtq_init(&q, &mem, QS, DESC, AVAIL, USED, event_idx, indirect), 0);
}

static void set_desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };
	memcpy((uint8_t *)gpa(table) + 16 * i, &d, sizeof(d));
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	set_desc_at(DESC, i, addr, len, flags, next);
}

static uint16_t avail_idx(void) { uint16_t v; memcpy(&v, (uint8_t *)gpa(AVAIL) + 2, 2); return v; }
static void set_avail_idx(uint16_t v) { memcpy((uint8_t *)gpa(AVAIL) + 2, &v, 2); }

static void make_avail(uint16_t head)
{
	uint16_t idx = avail_idx();
	memcpy((uint8_t *)gpa(AVAIL) + 4 + 2 * (idx % QS), &head, 2);
	set_avail_idx((uint16_t)(idx + 1));
}

static uint16_t used_idx(void) { uint16_t v; memcpy(&v, (uint8_t *)gpa(USED) + 2, 2); return v; }

/* A well-formed blk-like request: header, data (writable), status. */
Test(virtq, good_chain)
{
	init_q(false, false);
	cr_assert_eq(virtq_pop(&q, req), 0, "empty ring");
	set_desc(0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF + 512, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(2, BUF + 2048, 1, VRING_DESC_F_WRITE, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->error, VIRTQ_OK);
	cr_assert_eq(req->head, 0);
	cr_assert_eq(req->n_out, 1);
	cr_assert_eq(req->n_in, 2);
	cr_assert_eq(req->out_len, 16);
	cr_assert_eq(req->in_len, 513);
	cr_assert_eq(req->iov[0].iov_base, gpa(BUF));
	cr_assert_eq(req->iov[2].iov_base, gpa(BUF + 2048));
	cr_assert_eq(virtq_pop(&q, req), 0);
	virtq_push(&q, 0, 513);
	cr_assert_eq(used_idx(), 1);
	uint32_t id, len;
	memcpy(&id, (uint8_t *)gpa(USED) + 4, 4);
	memcpy(&len, (uint8_t *)gpa(USED) + 8, 4);
	cr_assert_eq(id, 0);
	cr_assert_eq(len, 513);
}

Test(virtq, chain_of_exactly_queue_size)
{
	init_q(false, false);
	for (unsigned i = 0; i < QS; i++)
		set_desc(i, BUF + 16 * i, 16, i + 1 < QS ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->n_out, QS);
}

Test(virtq, loop_a_a)
{
	init_q(false, false);
	set_desc(3, BUF, 16, VRING_DESC_F_NEXT, 3);
	make_avail(3);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
	cr_assert_eq(req->error, VIRTQ_ERR_RING);
	cr_assert(strstr(req->why, "loop"));
}

Test(virtq, loop_a_b_a)
{
	init_q(false, false);
	set_desc(0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
}

Test(virtq, loop_inside_indirect_table)
{
	init_q(false, true);
	set_desc(0, 0x4000, 4 * 16, VRING_DESC_F_INDIRECT, 0);
	set_desc_at(0x4000, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc_at(0x4000, 1, BUF, 16, VRING_DESC_F_NEXT, 2);
	set_desc_at(0x4000, 2, BUF, 16, VRING_DESC_F_NEXT, 1);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
	cr_assert(strstr(req->why, "indirect"));
}

Test(virtq, good_indirect)
{
	init_q(false, true);
	set_desc(5, 0x4000, 3 * 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	set_desc_at(0x4000, 0, BUF, 16, VRING_DESC_F_NEXT, 2);
	set_desc_at(0x4000, 2, BUF + 16, 100, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc_at(0x4000, 1, BUF + 200, 1, VRING_DESC_F_WRITE, 0);
	make_avail(5);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->error, VIRTQ_OK);
	cr_assert_eq(req->head, 5);
	cr_assert_eq(req->n_out, 1);
	cr_assert_eq(req->n_in, 2);
	cr_assert_eq(req->in_len, 101);
}

Test(virtq, avail_idx_too_far_ahead)
{
	init_q(false, false);
	set_desc(0, BUF, 16, 0, 0);
	set_avail_idx(QS + 1);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
	cr_assert(strstr(req->why, "ahead"));
}

Test(virtq, avail_idx_wraps)
{
	/* 16-bit wrap-around is legal: last_avail 0xffff -> idx 0x0000. */
	init_q(false, false);
	q.last_avail = 0xffff;
	set_desc(1, BUF, 16, 0, 0);
	memcpy((uint8_t *)gpa(AVAIL) + 4 + 2 * (0xffff % QS), &(uint16_t){ 1 }, 2);
	set_avail_idx(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->head, 1);
	cr_assert_eq(virtq_pop(&q, req), 0);
}

Test(virtq, head_out_of_range)
{
	init_q(false, false);
	make_avail(QS);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
	cr_assert(strstr(req->why, "head"));
}

Test(virtq, next_out_of_range)
{
	init_q(false, false);
	set_desc(0, BUF, 16, VRING_DESC_F_NEXT, 200);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
}

Test(virtq, indirect_len_not_multiple_of_16)
{
	init_q(false, true);
	set_desc(0, 0x4000, 24, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
	cr_assert(strstr(req->why, "multiple of 16"));
}

Test(virtq, indirect_len_zero)
{
	init_q(false, true);
	set_desc(0, 0x4000, 0, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
}

Test(virtq, indirect_too_long)
{
	init_q(false, true);
	set_desc(0, 0x4000, (QS + 1) * 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
}

Test(virtq, nested_indirect)
{
	init_q(false, true);
	set_desc(0, 0x4000, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc_at(0x4000, 0, 0x5000, 32, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
	cr_assert(strstr(req->why, "nested"));
}

Test(virtq, indirect_not_negotiated)
{
	init_q(false, false);
	set_desc(0, 0x4000, 32, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
}

Test(virtq, indirect_with_next)
{
	init_q(false, true);
	set_desc(0, 0x4000, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
}

Test(virtq, indirect_not_at_head)
{
	init_q(false, true);
	set_desc(0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, 0x4000, 32, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
}

Test(virtq, indirect_table_outside_ram)
{
	init_q(false, true);
	set_desc(0, RAM0 - 16, 32, VRING_DESC_F_INDIRECT, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), -EPROTO);
}

/* Bad buffers: the request fails but the ring stays usable. */
static void expect_bad_data(uint64_t addr, uint32_t len)
{
	init_q(false, false);
	set_desc(0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, addr, len, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(2, BUF + 100, 1, VRING_DESC_F_WRITE, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->error, VIRTQ_ERR_BAD_BUFFER);
	cr_assert_null(req->iov[1].iov_base);
	cr_assert_eq(req->iov[1].iov_len, 0);
	/* The status byte is still there for an IOERR. */
	cr_assert_eq(req->n_in, 2);
	cr_assert_eq(req->iov[2].iov_base, gpa(BUF + 100));
	/* And the next request is unaffected. */
	set_desc(3, BUF, 16, 0, 0);
	make_avail(3);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->error, VIRTQ_OK);
}

Test(virtq, addr_len_overflow) { expect_bad_data(UINT64_MAX - 10, 100); }
Test(virtq, leaves_ram) { expect_bad_data(RAM0 - 10, 100); }
Test(virtq, in_the_hole) { expect_bad_data(0xC0000000ULL, 16); }
Test(virtq, crosses_into_hole) { expect_bad_data(G4 + RAM1 - 8, 16); }
Test(virtq, four_gib_descriptor) { expect_bad_data(BUF, 0xffffffffu); }

Test(virtq, high_region_ok)
{
	init_q(false, false);
	set_desc(0, G4 + 100, 1000, VRING_DESC_F_WRITE, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->error, VIRTQ_OK);
	cr_assert_eq(req->iov[0].iov_base, mem.hva + RAM0 + 100);
}

Test(virtq, zero_length_status)
{
	init_q(false, false);
	set_desc(0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF + 64, 0, VRING_DESC_F_WRITE, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->n_in, 1);
	cr_assert_eq(req->iov[1].iov_len, 0); /* the device sees no status byte */
}

Test(virtq, readable_after_writable)
{
	init_q(false, false);
	set_desc(0, BUF, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(1, BUF, 16, 0, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_eq(req->error, VIRTQ_ERR_BAD_BUFFER);
}

Test(virtq, init_checks)
{
	cr_assert_eq(virtq_init(&q, &mem, 6, DESC, AVAIL, USED, false, false), -EINVAL);
	cr_assert_eq(virtq_init(&q, &mem, 0, DESC, AVAIL, USED, false, false), -EINVAL);
	cr_assert_eq(virtq_init(&q, &mem, 512, DESC, AVAIL, USED, false, false), -EINVAL);
	cr_assert_eq(virtq_init(&q, &mem, QS, DESC + 8, AVAIL, USED, false, false), -EINVAL);
	cr_assert_eq(virtq_init(&q, &mem, QS, DESC, AVAIL + 1, USED, false, false), -EINVAL);
	cr_assert_eq(virtq_init(&q, &mem, QS, DESC, AVAIL, USED + 2, false, false), -EINVAL);
	cr_assert_eq(virtq_init(&q, &mem, QS, RAM0 - 64, AVAIL, USED, false, false), -EFAULT);
	cr_assert_eq(virtq_init(&q, &mem, QS, DESC, UINT64_MAX - 1, USED, false, false), -EFAULT);
	cr_assert_eq(virtq_init(&q, &mem, QS, DESC, AVAIL, 0xC0000000ULL, false, false), -EFAULT);
	/* a failed init leaves an inert queue */
	cr_assert_eq(virtq_pop(&q, req), 0);
	cr_assert_not(virtq_should_notify(&q));
}

Test(virtq, notify_flags_without_event_idx)
{
	init_q(false, false);
	set_desc(0, BUF, 16, 0, 0);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	virtq_push(&q, 0, 0);
	cr_assert(virtq_should_notify(&q));
	cr_assert_not(virtq_should_notify(&q), "nothing new since");
	memcpy(gpa(AVAIL), &(uint16_t){ VRING_AVAIL_F_NO_INTERRUPT }, 2);
	make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	virtq_push(&q, 0, 0);
	cr_assert_not(virtq_should_notify(&q));
}

Test(virtq, event_idx)
{
	uint16_t ev;

	init_q(true, false);
	set_desc(0, BUF, 16, 0, 0);
	/* used_event = 2: the driver wants an interrupt when used idx passes 2. */
	memcpy((uint8_t *)gpa(AVAIL) + 4 + 2 * QS, &(uint16_t){ 2 }, 2);
	for (int i = 0; i < 4; i++)
		make_avail(0);
	cr_assert_eq(virtq_pop(&q, req), 1);
	virtq_push(&q, 0, 0);               /* used 1 */
	cr_assert(virtq_should_notify(&q), "first notification always");
	cr_assert_eq(virtq_pop(&q, req), 1);
	virtq_push(&q, 0, 0);               /* used 2: event 2 not crossed */
	cr_assert_not(virtq_should_notify(&q));
	cr_assert_eq(virtq_pop(&q, req), 1);
	virtq_push(&q, 0, 0);               /* used 3: crossed 2 */
	cr_assert(virtq_should_notify(&q));
	/* avail_event tells the driver where we are. */
	cr_assert(virtq_enable_notify(&q), "one more is pending");
	memcpy(&ev, (uint8_t *)gpa(USED) + 4 + 8 * QS, 2);
	cr_assert_eq(ev, 3);
	cr_assert_eq(virtq_pop(&q, req), 1);
	cr_assert_not(virtq_enable_notify(&q));
}

Test(virtq, iov_helpers)
{
	uint8_t a[10], b[10], out[20];
	struct iovec iov[3] = { { a, 10 }, { NULL, 0 }, { b, 10 } }, dst[3];

	for (int i = 0; i < 10; i++) {
		a[i] = (uint8_t)i;
		b[i] = (uint8_t)(10 + i);
	}
	cr_assert_eq(virtq_iov_read(iov, 3, 5, out, 10), 10);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(out[i], 5 + i);
	cr_assert_eq(virtq_iov_read(iov, 3, 15, out, 10), 5, "short at the end");
	cr_assert_eq(virtq_iov_slice(iov, 3, 8, 4, dst, 3), 2);
	cr_assert_eq(dst[0].iov_base, a + 8);
	cr_assert_eq(dst[0].iov_len, 2);
	cr_assert_eq(dst[1].iov_base, b);
	cr_assert_eq(dst[1].iov_len, 2);
	cr_assert_eq(virtq_iov_slice(iov, 3, 8, 40, dst, 3), -ERANGE);
	cr_assert_eq(virtq_iov_slice(iov, 3, 0, 20, dst, 1), -ERANGE, "too many pieces");
	cr_assert_eq(virtq_iov_write(iov, 3, 19, "xy", 2), 1);
	cr_assert_eq(b[9], 'x');
}

/* Random rings: never more than queue-size descriptors, every iovec inside
 * guest RAM (ASan checks the rest). */
Test(virtq, random_rings)
{
	unsigned seed = 12345;

	for (int round = 0; round < 20000; round++) {
		seed = seed * 1103515245 + 12345;
		init_q(seed & 1, seed & 2);
		q.last_avail = (uint16_t)(seed >> 8);
		for (unsigned i = 0; i < 64; i++) {
			uint32_t *w = (uint32_t *)gpa(DESC) + i;
			seed = seed * 1103515245 + 12345;
			*w = seed ^ (seed >> 7);
		}
		/* Keep addresses mostly near RAM so some chains are valid. */
		for (unsigned i = 0; i < QS; i++) {
			uint64_t *addr = (uint64_t *)gpa(DESC + 16 * i);
			uint16_t *next = (uint16_t *)gpa(DESC + 16 * i + 14);
			if (seed & (1u << i)) {
				*addr &= 0x1fffff;
				*next &= 15;
			}
		}
		for (unsigned i = 0; i < 32; i++)
			((uint8_t *)gpa(AVAIL))[i] = (uint8_t)(seed >> (i % 24));
		for (int k = 0; k < 4; k++) {
			int r = virtq_pop(&q, req);
			if (r <= 0)
				break;
			cr_assert_leq(req->n_out + req->n_in, QS);
			for (unsigned i = 0; i < req->n_out + req->n_in; i++) {
				uint8_t *p = req->iov[i].iov_base;
				if (!p)
					continue;
				bool in0 = p >= mem.hva && p + req->iov[i].iov_len <= mem.hva + mem.size;
				cr_assert(in0, "iovec outside guest RAM");
			}
			virtq_push(&q, req->head, 0);
		}
	}
}

/* The split-virtqueue walker over a fuzzed guest memory image: queue size,
 * features and ring addresses come from the input's first bytes, guest RAM
 * (64 KiB at 0 and 4 KiB at 4 GiB, a plain buffer) from the rest. Every
 * chain virtq_pop accepts is read and written in full (so ASan sees an iovec
 * outside the buffer) and checked to lie inside one RAM region, then pushed
 * back; the byte-stream helpers run over it too. Input layout:
 *   u8 size (power of two up to 256 taken from its low bits; 0x80: the raw
 *      value, so bad sizes reach virtq_init), u8 flags (1 event_idx,
 *      2 indirect, 4/8/16: desc/avail/used ring in the 4 GiB region),
 *   u16 desc, u16 avail, u16 used (offsets in the region),
 *   u16 last_avail/used start, u16 slice offset, then the RAM image. */
#include <errno.h>

#include "fuzz_util.h"
#include "virtq.h"

#define RAM0 (64u << 10)
#define RAM1 (4u << 10)
#define G4 0x100000000ULL
#define HDR 12

static struct guest_mem mem;
static struct virtq_req req;

static void write_seeds(const char *dir);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mem.memfd = -1;
	mem.size = RAM0 + RAM1;
	mem.hva = malloc(mem.size);
	mem.regions[0] = (struct guest_region){ .gpa = 0, .size = RAM0, .offset = 0 };
	mem.regions[1] = (struct guest_region){ .gpa = G4, .size = RAM1, .offset = RAM0 };
	mem.nregions = 2;
	if (getenv("VMDECK_FUZZ_SEEDS"))
		write_seeds(getenv("VMDECK_FUZZ_SEEDS"));
	return 0;
}

static void check_iov(const struct iovec *v)
{
	const uint8_t *b = v->iov_base;

	if (!b)
		return;
	for (unsigned i = 0; i < mem.nregions; i++) {
		const uint8_t *lo = mem.hva + mem.regions[i].offset;
		if (b >= lo && v->iov_len <= mem.regions[i].size &&
		    b - lo <= (ptrdiff_t)(mem.regions[i].size - v->iov_len))
			return;
	}
	fprintf(stderr, "fuzz_virtq: iovec %p+%zu is not inside one RAM region\n", v->iov_base,
		v->iov_len);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct virtq q;
	uint8_t szb, fl, buf[512];
	uint16_t qs, start, sliceoff;
	uint64_t desc, avail, used;
	struct iovec sl[8];

	if (size < HDR)
		return 0;
	szb = fuzz_u8(&in);
	fl = fuzz_u8(&in);
	qs = (szb & 0x80) ? (uint16_t)(szb & 0x7f) * 3 : (uint16_t)(1u << (szb % 9));
	desc = fuzz_u16(&in) + ((fl & 4) ? G4 : 0);
	avail = fuzz_u16(&in) + ((fl & 8) ? G4 : 0);
	used = fuzz_u16(&in) + ((fl & 16) ? G4 : 0);
	start = fuzz_u16(&in);
	sliceoff = fuzz_u16(&in);
	memset(mem.hva, 0, mem.size);
	memcpy(mem.hva, in.p, in.len < mem.size ? in.len : mem.size);

	if (virtq_init(&q, &mem, qs, desc, avail, used, fl & 1, fl & 2))
		return 0;
	q.last_avail = q.used_idx = start; /* as a restored snapshot may leave them */
	virtq_enable_notify(&q);
	for (unsigned n = 0; n < 2u * qs + 4; n++) {
		int r;
		virtq_has_work(&q);
		r = virtq_pop(&q, &req);
		if (r <= 0)
			break;
		if (req.n_out + req.n_in > VIRTQ_MAX_SIZE || req.head >= qs) {
			fprintf(stderr, "fuzz_virtq: chain of %u+%u, head %u\n", req.n_out, req.n_in,
				req.head);
			abort();
		}
		for (unsigned i = 0; i < req.n_out + req.n_in; i++) {
			check_iov(&req.iov[i]);
			if (!req.iov[i].iov_base)
				continue;
			fuzz_touch(req.iov[i].iov_base, req.iov[i].iov_len);
			if (i >= req.n_out)
				memset(req.iov[i].iov_base, 0xa5, req.iov[i].iov_len);
		}
		if (req.error == VIRTQ_OK) {
			virtq_iov_read(req.iov, req.n_out, sliceoff, buf, sizeof(buf));
			virtq_iov_write(req.iov + req.n_out, req.n_in, sliceoff, buf, sizeof(buf));
			int k = virtq_iov_slice(req.iov + req.n_out, req.n_in, sliceoff, 100, sl, 8);
			for (int i = 0; i < k; i++) {
				check_iov(&sl[i]);
				memset(sl[i].iov_base, 0x5a, sl[i].iov_len);
			}
		}
		virtq_push(&q, req.head, (uint32_t)req.in_len);
		virtq_should_notify(&q);
	}
	virtq_enable_notify(&q);
	return 0;
}

/* VMDECK_FUZZ_SEEDS=DIR writes tests/fuzz/corpus/virtq and exits: a blk-like
 * chain (header, data, status), the same through an indirect table, and a
 * chain with event_idx and indirect negotiated. */
static void put_desc(uint8_t *ram, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = ram + table + 16 * i;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void seed(const char *dir, const char *name, uint8_t fl, bool indirect_chain)
{
	uint8_t f[HDR + 0x800] = { 0 }, *ram = f + HDR;
	uint16_t d = 0x100, a = 0x200, u = 0x300, one = 1, head = 0;
	char path[512];

	f[0] = 3; /* size 8 */
	f[1] = fl;
	memcpy(f + 2, &d, 2);
	memcpy(f + 4, &a, 2);
	memcpy(f + 6, &u, 2);
	f[10] = 4; /* slice offset */
	if (indirect_chain) {
		put_desc(ram, d, 0, 0x600, 48, 4 /* INDIRECT */, 0);
		put_desc(ram, 0x600, 0, 0x400, 16, 1, 1);
		put_desc(ram, 0x600, 1, 0x500, 64, 1 | 2, 2);
		put_desc(ram, 0x600, 2, 0x5f0, 1, 2, 0);
	} else {
		put_desc(ram, d, 0, 0x400, 16, 1 /* NEXT */, 1);
		put_desc(ram, d, 1, 0x500, 64, 1 | 2 /* WRITE */, 2);
		put_desc(ram, d, 2, 0x5f0, 1, 2, 0);
	}
	memcpy(ram + a + 2, &one, 2);
	memcpy(ram + a + 4, &head, 2);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fuzz_write_file(path, f, sizeof(f));
}

static void write_seeds(const char *dir)
{
	seed(dir, "blk-chain", 0, false);
	seed(dir, "indirect", 2, true);
	seed(dir, "event-idx", 1 | 2, false);
	exit(0);
}

/* state.bin container and device state loaders against hostile files:
 * truncation at every offset, a flipped bit in every byte of every section,
 * wrong magic/version/vendor, crafted lengths, duplicates, unknown ids, a
 * missing commit marker, and device sections with valid CRCs but
 * out-of-range contents. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/dev_state.h"
#include "snapfile.h"

static const char vendor[SNAP_VENDOR_LEN] = "GenuineIntel";
static const struct snap_known known[] = {
	{ 1, 1 }, { 2, 4 }, { 3, 1 },
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

/* Three sections of odd sizes (padding exercised), one with instances. */
static void build(struct snap_writer *w)
{
	uint8_t big[1000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	snap_writer_init(w, vendor);
	snap_add(w, 1, 0, 1, "hello", 5);
	snap_begin(w, 2, 3, 2);
	snap_put_u32(w, 0xdeadbeef);
	snap_put_u64(w, 42);
	snap_put_u8(w, 9);
	snap_end(w);
	snap_add(w, 3, 0, 1, big, sizeof(big));
	cr_assert_eq(snap_finish(w), 0);
}

static int parse(const void *b, size_t n, const char *v, enum snap_error *code)
{
	struct snap_file f;
	char err[512];
	int r = snap_parse(b, n, v, known, NKNOWN, &f, code, err, sizeof(err));
	if (!r)
		snap_file_free(&f);
	else
		cr_assert(strstr(err, snap_error_name(*code)), "message names the error: %s", err);
	return r;
}

Test(snapfile, crc32c_vector)
{
	cr_assert_eq(snap_crc32c(0, "123456789", 9), 0xE3069283u);
	/* chained == one shot */
	cr_assert_eq(snap_crc32c(snap_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
	cr_assert_eq(snap_crc32c(0, "", 0), 0);
}

Test(snapfile, round_trip)
{
	struct snap_writer w;
	struct snap_file f;
	enum snap_error code;
	char err[256];
	const struct snap_section *s;
	struct snap_cursor c;

	build(&w);
	cr_assert_eq(snap_parse(w.buf, w.len, vendor, known, NKNOWN, &f, &code, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(f.nsec, 3);
	cr_assert_str_eq(f.vendor, "GenuineIntel");
	s = snap_find(&f, 1, 0);
	cr_assert(s && s->len == 5 && !memcmp(s->data, "hello", 5));
	s = snap_find(&f, 2, 3);
	cr_assert(s && s->version == 2 && s->len == 13);
	snap_cursor_init(&c, s->data, s->len);
	cr_assert_eq(snap_get_u32(&c), 0xdeadbeef);
	cr_assert_eq(snap_get_u64(&c), 42);
	cr_assert_eq(snap_get_u8(&c), 9);
	cr_assert(snap_cursor_done(&c));
	snap_get_u8(&c);
	cr_assert(c.bad, "reading past the end is flagged");
	cr_assert_null(snap_find(&f, 2, 0));
	snap_file_free(&f);
	snap_writer_free(&w);
}

Test(snapfile, truncated_at_every_offset)
{
	struct snap_writer w;
	enum snap_error code;

	build(&w);
	for (size_t n = 0; n < w.len; n++) {
		cr_assert_neq(parse(w.buf, n, vendor, &code), 0, "truncated to %zu accepted", n);
		cr_assert(code == SNAP_E_TRUNCATED || code == SNAP_E_NO_COMMIT,
			  "truncated to %zu: %s", n, snap_error_name(code));
	}
	snap_writer_free(&w);
}

Test(snapfile, flipped_bit_everywhere)
{
	struct snap_writer w;
	enum snap_error code;

	build(&w);
	for (size_t i = 0; i < w.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			w.buf[i] ^= (uint8_t)(1u << bit);
			cr_assert_neq(parse(w.buf, w.len, vendor, &code), 0,
				      "bit %d of byte %zu flipped: accepted", bit, i);
			w.buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), 0);
	snap_writer_free(&w);
}

/* Flips a payload bit in each section and checks the error names a CRC. */
Test(snapfile, flipped_payload_names_section_crc)
{
	struct snap_writer w;
	struct snap_file f;
	enum snap_error code;
	char err[256];

	build(&w);
	cr_assert_eq(snap_parse(w.buf, w.len, vendor, known, NKNOWN, &f, &code, err, sizeof(err)), 0);
	for (unsigned i = 0; i < f.nsec; i++) {
		size_t off = (size_t)(f.sec[i].data - w.buf);
		w.buf[off] ^= 0x10;
		cr_assert_neq(parse(w.buf, w.len, vendor, &code), 0);
		cr_assert_eq(code, SNAP_E_SECTION_CRC, "section %u: %s", i, snap_error_name(code));
		w.buf[off] ^= 0x10;
	}
	snap_file_free(&f);
	snap_writer_free(&w);
}

/* Rewrites a header field and fixes the header CRC, so the check that
 * fires is the one about the field. */
static void patch_header(uint8_t *b, size_t off, const void *v, size_t n)
{
	uint32_t crc;
	memcpy(b + off, v, n);
	crc = snap_crc32c(0, b, 44);
	memcpy(b + 44, &crc, 4);
}

Test(snapfile, wrong_magic_version_vendor)
{
	struct snap_writer w;
	enum snap_error code;
	uint16_t major = SNAP_MAJOR + 1, minor = SNAP_MINOR + 5;

	build(&w);
	cr_assert_eq(parse(w.buf, w.len, "AuthenticAMD", &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_VENDOR);
	cr_assert_eq(parse(w.buf, w.len, NULL, &code), 0, "no vendor check when NULL");

	patch_header(w.buf, 10, &minor, 2);
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), 0, "a newer minor version reads");
	patch_header(w.buf, 8, &major, 2);
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_VERSION);
	major = SNAP_MAJOR;
	patch_header(w.buf, 8, &major, 2);
	patch_header(w.buf, 12, "\1\0\0\0", 4);
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_VERSION, "unknown flags");
	patch_header(w.buf, 12, "\0\0\0\0", 4);
	w.buf[0] = 'X';
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_MAGIC);
	snap_writer_free(&w);
}

/* Builds a file with the given sections and a valid commit. */
static void build_sections(struct snap_writer *w, const uint32_t (*ids)[2], unsigned n)
{
	snap_writer_init(w, vendor);
	for (unsigned i = 0; i < n; i++)
		snap_add(w, ids[i][0], ids[i][1], 1, "x", 1);
	cr_assert_eq(snap_finish(w), 0);
}

Test(snapfile, duplicate_and_unknown_sections)
{
	struct snap_writer w;
	enum snap_error code;
	const uint32_t dup[][2] = { { 1, 0 }, { 2, 1 }, { 2, 1 } };
	const uint32_t unk[][2] = { { 1, 0 }, { 77, 0 } };
	const uint32_t inst[][2] = { { 2, 4 } };

	build_sections(&w, dup, 3);
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_DUPLICATE);
	snap_writer_free(&w);
	build_sections(&w, unk, 2);
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_UNKNOWN_SECTION);
	snap_writer_free(&w);
	build_sections(&w, inst, 1);
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_UNKNOWN_SECTION, "instance beyond the known count");
	snap_writer_free(&w);
}

Test(snapfile, missing_commit_and_trailing_bytes)
{
	struct snap_writer w;
	enum snap_error code;
	uint8_t *b;

	snap_writer_init(&w, vendor);
	snap_add(&w, 1, 0, 1, "abc", 3);
	/* no snap_finish: a writer that died before the commit */
	cr_assert_eq(parse(w.buf, w.len, vendor, &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_NO_COMMIT);
	cr_assert_eq(snap_finish(&w), 0);
	b = malloc(w.len + 8);
	memcpy(b, w.buf, w.len);
	memset(b + w.len, 0, 8);
	cr_assert_eq(parse(b, w.len + 8, vendor, &code), -EINVAL);
	cr_assert_eq(code, SNAP_E_TRAILING);
	free(b);
	snap_writer_free(&w);
}

/* A section header claiming a huge length, with a correct header CRC. */
Test(snapfile, length_overflowing_the_file)
{
	struct snap_writer w;
	enum snap_error code;
	const uint64_t lens[] = { 1ULL << 40, UINT64_MAX, UINT64_MAX - 7, 4096 };

	for (unsigned i = 0; i < 4; i++) {
		uint8_t *h;
		uint32_t crc;
		build(&w);
		h = w.buf + SNAP_HEADER_SIZE;
		memcpy(h + 16, &lens[i], 8);
		crc = snap_crc32c(0, h, 28);
		memcpy(h + 28, &crc, 4);
		cr_assert_eq(parse(w.buf, w.len, vendor, &code), -EINVAL);
		cr_assert(code == SNAP_E_LENGTH || code == SNAP_E_TRUNCATED, "len %llu: %s",
			  (unsigned long long)lens[i], snap_error_name(code));
		snap_writer_free(&w);
	}
}

Test(snapfile, atomic_write_and_read_file)
{
	char dir[] = "/tmp/snapfile-test.XXXXXX", path[256], tmp[300], err[256];
	struct snap_writer w;
	struct snap_file f;
	enum snap_error code;
	struct stat st;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.bin", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	build(&w);
	cr_assert_eq(snap_write_atomic(path, w.buf, w.len, err, sizeof(err)), 0, "%s", err);
	cr_assert_neq(stat(tmp, &st), 0, "temp file gone");
	cr_assert_eq(snap_read_file(path, vendor, known, NKNOWN, &f, &code, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(f.nsec, 3);
	snap_file_free(&f);
	/* A truncated file on disk is refused by name. */
	cr_assert_eq(truncate(path, (off_t)w.len - 3), 0);
	cr_assert_neq(snap_read_file(path, vendor, known, NKNOWN, &f, &code, err, sizeof(err)), 0);
	cr_assert_eq(code, SNAP_E_TRUNCATED, "%s", err);
	cr_assert(strstr(err, "state.bin"), "message names the file: %s", err);
	unlink(path);
	rmdir(dir);
	snap_writer_free(&w);
}

/* ---- device sections: valid CRC, crafted contents ---- */

/* Saves a device into a fresh writer and returns its payload copy. */
static uint8_t *payload(struct snap_writer *w, size_t *len)
{
	size_t plen;
	uint8_t *p;
	memcpy(&plen, w->buf + SNAP_HEADER_SIZE + 16, 8);
	p = malloc(plen + 16);
	memcpy(p, w->buf + SNAP_HEADER_SIZE + SNAP_SECTION_HEADER, plen);
	*len = plen;
	return p;
}

Test(devstate, uart_round_trip_and_hostile)
{
	struct uart8250 a, b;
	struct snap_writer w;
	uint8_t *p;
	size_t len;
	char err[256];

	cr_assert_eq(uart8250_init(&a, NULL, NULL, 4), 0);
	cr_assert_eq(uart8250_init(&b, NULL, NULL, 4), 0);
	uart8250_receive(&a, (const uint8_t *)"hello world", 11);
	a.scr = 0x5a;
	snap_writer_init(&w, vendor);
	uart8250_save(&a, &w);
	p = payload(&w, &len);
	cr_assert_eq(uart8250_load(&b, p, len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.scr, 0x5a);
	cr_assert_eq(b.rxq_count + b.fifo_count, 11);

	/* layout: 12 regs, fifo_head u32 @12, fifo_count u32 @16, fifo @20,
	 * rxq count u32 @36, rxq bytes @40 */
	p[12] = UART8250_FIFO_SIZE;
	cr_assert_eq(uart8250_load(&b, p, len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "FIFO head"), "%s", err);
	p[12] = 0;
	p[16] = 17;
	cr_assert_eq(uart8250_load(&b, p, len, err, sizeof(err)), -EINVAL);
	p[16] = 2;
	p[3] = 0; /* FIFO off: at most one byte */
	cr_assert_eq(uart8250_load(NULL, p, len, err, sizeof(err)), -EINVAL);
	p[3] = a.fcr;
	p[36] = 0xff;
	p[37] = 0xff;
	cr_assert_eq(uart8250_load(&b, p, len, err, sizeof(err)), -EINVAL, "rxq count > size");
	cr_assert(strstr(err, snap_error_name(SNAP_E_BAD_STATE)));
	cr_assert_eq(uart8250_load(&b, p, 7, err, sizeof(err)), -EINVAL, "short");
	free(p);
	snap_writer_free(&w);
	uart8250_destroy(&a);
	uart8250_destroy(&b);
}

Test(devstate, i8042_round_trip_and_hostile)
{
	struct i8042 a, b;
	struct snap_writer w;
	uint8_t *p, keep;
	size_t len;
	char err[256];
	const uint8_t key[] = { 0x1c };

	cr_assert_eq(i8042_init(&a, NULL, 1, 12, NULL, NULL), 0);
	cr_assert_eq(i8042_init(&b, NULL, 1, 12, NULL, NULL), 0);
	cr_assert_eq(i8042_kbd_set2(&a, key, 1), 0);
	snap_writer_init(&w, vendor);
	i8042_save(&a, &w);
	p = payload(&w, &len);
	cr_assert_eq(i8042_load(&b, p, len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.obf, a.obf);
	cr_assert_eq(b.ob, a.ob);
	cr_assert_eq(b.kbd.q.count, a.kbd.q.count);

	/* ctrlq head u32 at 32+9 = 41 */
	keep = p[41];
	p[41] = I8042_CTRLQ_SIZE;
	cr_assert_eq(i8042_load(&b, p, len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "controller queue"), "%s", err);
	p[41] = keep;
	/* keyboard queue head u32 right after the 8 ctrlq pairs: 41+8+16 = 65 */
	p[65] = 0;
	p[66] = 1; /* 256 */
	cr_assert_eq(i8042_load(&b, p, len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "keyboard queue"), "%s", err);
	p[66] = 0;
	p[33 + 2] = 7; /* cmd_last = 7: not a boolean */
	cr_assert_eq(i8042_load(&b, p, len, err, sizeof(err)), -EINVAL);
	free(p);
	snap_writer_free(&w);
	i8042_destroy(&a);
	i8042_destroy(&b);
}

Test(devstate, rtc_and_debugport_hostile)
{
	struct rtc a;
	struct debugport d;
	struct snap_writer w;
	uint8_t *p;
	size_t len;
	char err[256];

	cr_assert_eq(rtc_init(&a, NULL, 8), 0);
	snap_writer_init(&w, vendor);
	rtc_save(&a, &w);
	p = payload(&w, &len);
	cr_assert_eq(rtc_load(&a, p, len, err, sizeof(err)), 0, "%s", err);
	p[0] = 0x80; /* index beyond the CMOS */
	cr_assert_eq(rtc_load(&a, p, len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "index"), "%s", err);
	p[0] = 0;
	memset(p + 4 + RTC_CMOS_SIZE, 0x7f, 8); /* offset near INT64_MAX */
	cr_assert_eq(rtc_load(&a, p, len, err, sizeof(err)), -EINVAL);
	free(p);
	snap_writer_free(&w);
	rtc_destroy(&a);

	cr_assert_eq(debugport_init(&d, NULL, NULL, NULL), 0);
	snap_writer_init(&w, vendor);
	debugport_save(&d, &w);
	p = payload(&w, &len);
	cr_assert_eq(debugport_load(&d, p, len, err, sizeof(err)), 0);
	p[0] = 2;
	cr_assert_eq(debugport_load(&d, p, len, err, sizeof(err)), -EINVAL);
	cr_assert_eq(debugport_load(&d, p, len - 1, err, sizeof(err)), -EINVAL);
	free(p);
	snap_writer_free(&w);
	debugport_destroy(&d);
}

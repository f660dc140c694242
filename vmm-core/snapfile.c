/* state.bin container; see snapfile.h. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <nmmintrin.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapfile.h"

const char *snap_error_name(enum snap_error e)
{
	switch (e) {
	case SNAP_OK: return "ok";
	case SNAP_E_IO: return "io-error";
	case SNAP_E_TRUNCATED: return "truncated";
	case SNAP_E_TOO_LARGE: return "too-large";
	case SNAP_E_MAGIC: return "bad-magic";
	case SNAP_E_VERSION: return "wrong-version";
	case SNAP_E_VENDOR: return "wrong-cpu-vendor";
	case SNAP_E_HEADER_CRC: return "header-crc-mismatch";
	case SNAP_E_SECTION_HEADER_CRC: return "section-header-crc-mismatch";
	case SNAP_E_SECTION_CRC: return "section-crc-mismatch";
	case SNAP_E_LENGTH: return "section-length-overflows-file";
	case SNAP_E_DUPLICATE: return "duplicate-section";
	case SNAP_E_UNKNOWN_SECTION: return "unknown-section";
	case SNAP_E_NO_COMMIT: return "missing-commit-marker";
	case SNAP_E_COMMIT: return "bad-commit-marker";
	case SNAP_E_TRAILING: return "data-after-commit-marker";
	case SNAP_E_TOO_MANY: return "too-many-sections";
	case SNAP_E_MISSING: return "missing-section";
	case SNAP_E_BAD_STATE: return "bad-device-state";
	}
	return "?";
}

/* ---- CRC32C ---- */

__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return (uint32_t)c;
}

static uint32_t crc32c_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return crc;
}

uint32_t snap_crc32c(uint32_t crc, const void *buf, size_t len)
{
	crc = ~crc;
	if (__builtin_cpu_supports("sse4.2"))
		crc = crc32c_hw(crc, buf, len);
	else
		crc = crc32c_sw(crc, buf, len);
	return ~crc;
}

void snap_host_vendor(char out[SNAP_VENDOR_LEN])
{
	unsigned a = 0, b = 0, c = 0, d = 0;

	memset(out, 0, SNAP_VENDOR_LEN);
	if (!__get_cpuid(0, &a, &b, &c, &d))
		return;
	memcpy(out, &b, 4);
	memcpy(out + 4, &d, 4);
	memcpy(out + 8, &c, 4);
}

/* ---- little-endian helpers ---- */

static void le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void le64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* ---- writer ---- */

static uint8_t *w_reserve(struct snap_writer *w, size_t n)
{
	if (w->error)
		return NULL;
	if (n > SNAP_MAX_FILE || w->len > SNAP_MAX_FILE - n) {
		w->error = -EFBIG;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *nb = realloc(w->buf, cap);
		if (!nb) {
			w->error = -ENOMEM;
			return NULL;
		}
		w->buf = nb;
		w->cap = cap;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

void snap_writer_init(struct snap_writer *w, const char vendor[SNAP_VENDOR_LEN])
{
	uint8_t *h;

	memset(w, 0, sizeof(*w));
	w->sec_start = SIZE_MAX;
	h = w_reserve(w, SNAP_HEADER_SIZE);
	if (!h)
		return;
	memset(h, 0, SNAP_HEADER_SIZE);
	memcpy(h, SNAP_MAGIC, 8);
	le16(h + 8, SNAP_MAJOR);
	le16(h + 10, SNAP_MINOR);
	le32(h + 12, 0);
	memcpy(h + 16, vendor, SNAP_VENDOR_LEN);
	le32(h + 44, snap_crc32c(0, h, 44));
}

void snap_writer_free(struct snap_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void snap_begin(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version)
{
	uint8_t *h;

	if (w->sec_start != SIZE_MAX && !w->error)
		w->error = -EINVAL; /* nested section: a programming error */
	if (w->nsections >= SNAP_MAX_SECTIONS - 1 && !w->error)
		w->error = -E2BIG;
	h = w_reserve(w, SNAP_SECTION_HEADER);
	if (!h)
		return;
	memset(h, 0, SNAP_SECTION_HEADER);
	le32(h, id);
	le32(h + 4, instance);
	le32(h + 8, version);
	w->sec_start = (size_t)(h - w->buf);
}

void snap_put(struct snap_writer *w, const void *data, size_t len)
{
	uint8_t *p = w_reserve(w, len);
	if (p && len)
		memcpy(p, data, len);
}

void snap_put_u8(struct snap_writer *w, uint8_t v) { snap_put(w, &v, 1); }
void snap_put_u16(struct snap_writer *w, uint16_t v) { uint8_t b[2]; le16(b, v); snap_put(w, b, 2); }
void snap_put_u32(struct snap_writer *w, uint32_t v) { uint8_t b[4]; le32(b, v); snap_put(w, b, 4); }
void snap_put_u64(struct snap_writer *w, uint64_t v) { uint8_t b[8]; le64(b, v); snap_put(w, b, 8); }

void snap_end(struct snap_writer *w)
{
	size_t start = w->sec_start, plen;
	uint8_t *h, *pad;

	if (w->error)
		return;
	if (start == SIZE_MAX) {
		w->error = -EINVAL;
		return;
	}
	plen = w->len - start - SNAP_SECTION_HEADER;
	pad = w_reserve(w, (8 - plen % 8) % 8);
	if (!pad)
		return;
	memset(pad, 0, (8 - plen % 8) % 8);
	h = w->buf + start;
	le64(h + 16, plen);
	le32(h + 24, snap_crc32c(0, h + SNAP_SECTION_HEADER, plen));
	le32(h + 28, snap_crc32c(0, h, 28));
	w->sec_start = SIZE_MAX;
	w->nsections++;
}

void snap_add(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version,
	      const void *data, size_t len)
{
	snap_begin(w, id, instance, version);
	snap_put(w, data, len);
	snap_end(w);
}

int snap_finish(struct snap_writer *w)
{
	uint32_t crc, n = w->nsections;

	if (!w->error && w->sec_start != SIZE_MAX)
		w->error = -EINVAL;
	if (w->error)
		return w->error;
	crc = snap_crc32c(0, w->buf, w->len);
	snap_begin(w, SNAP_SEC_COMMIT, 0, 1);
	snap_put_u32(w, n);
	snap_put_u32(w, 0);
	snap_put_u32(w, crc);
	snap_put_u32(w, 0);
	snap_end(w);
	return w->error;
}

int snap_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

int snap_write_atomic(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const uint8_t *p = buf;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return r;
	}
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "writing %s: %s", tmp, strerror(-r));
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd)) {
		r = -errno;
		snprintf(err, errlen, "fsync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path)) {
		r = -errno;
		snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
		goto fail;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	r = snap_fsync_dir(dirname(dir));
	if (r)
		snprintf(err, errlen, "fsync of %s's directory: %s", path, strerror(-r));
	return r;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

/* ---- reader ---- */

static int refuse(enum snap_error *code, enum snap_error e, char *err, size_t errlen,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int refuse(enum snap_error *code, enum snap_error e, char *err, size_t errlen,
		  const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", snap_error_name(e), msg);
	if (code)
		*code = e;
	return -EINVAL;
}

static const struct snap_known *known_find(const struct snap_known *k, unsigned n, uint32_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (k[i].id == id)
			return &k[i];
	return NULL;
}

int snap_parse(const void *buf, size_t len, const char *vendor,
	       const struct snap_known *known, unsigned nknown, struct snap_file *f,
	       enum snap_error *code, char *err, size_t errlen)
{
	const uint8_t *b = buf;
	size_t off;
	unsigned cap = 0;
	bool committed = false;

	memset(f, 0, sizeof(*f));
	if (code)
		*code = SNAP_OK;
	if (len > SNAP_MAX_FILE)
		return refuse(code, SNAP_E_TOO_LARGE, err, errlen, "%zu bytes (at most %llu)",
			      len, (unsigned long long)SNAP_MAX_FILE);
	if (len < SNAP_HEADER_SIZE)
		return refuse(code, SNAP_E_TRUNCATED, err, errlen,
			      "%zu bytes, shorter than the %d-byte header", len, SNAP_HEADER_SIZE);
	if (memcmp(b, SNAP_MAGIC, 8))
		return refuse(code, SNAP_E_MAGIC, err, errlen, "not a vmdeck state file");
	if (rd32(b + 44) != snap_crc32c(0, b, 44))
		return refuse(code, SNAP_E_HEADER_CRC, err, errlen, "file header CRC mismatch");
	f->major = rd16(b + 8);
	f->minor = rd16(b + 10);
	f->flags = rd32(b + 12);
	memcpy(f->vendor, b + 16, SNAP_VENDOR_LEN);
	f->vendor[SNAP_VENDOR_LEN] = 0;
	if (f->major != SNAP_MAJOR)
		return refuse(code, SNAP_E_VERSION, err, errlen,
			      "format version %u.%u, this vmdeck reads %u.x",
			      f->major, f->minor, SNAP_MAJOR);
	if (f->flags)
		return refuse(code, SNAP_E_VERSION, err, errlen, "unknown flags 0x%x", f->flags);
	if (vendor && strncmp(vendor, f->vendor, SNAP_VENDOR_LEN))
		return refuse(code, SNAP_E_VENDOR, err, errlen,
			      "taken on a '%s' CPU, this host is '%.16s'", f->vendor, vendor);

	off = SNAP_HEADER_SIZE;
	while (!committed) {
		const uint8_t *h = b + off;
		struct snap_section s;
		uint64_t plen, padded;
		const struct snap_known *k;

		if (off == len) {
			unsigned n = f->nsec;
			snap_file_free(f);
			return refuse(code, SNAP_E_NO_COMMIT, err, errlen,
				      "the file ends after %u sections without a commit marker "
				      "(a snapshot that was never finished)", n);
		}
		if (len - off < SNAP_SECTION_HEADER) {
			snap_file_free(f);
			return refuse(code, SNAP_E_TRUNCATED, err, errlen,
				      "section header at offset %zu cut short", off);
		}
		if (rd32(h + 28) != snap_crc32c(0, h, 28)) {
			snap_file_free(f);
			return refuse(code, SNAP_E_SECTION_HEADER_CRC, err, errlen,
				      "section header at offset %zu: CRC mismatch", off);
		}
		s.id = rd32(h);
		s.instance = rd32(h + 4);
		s.version = rd32(h + 8);
		plen = rd64(h + 16);
		padded = plen + (8 - plen % 8) % 8;
		if (rd32(h + 12) || plen > SNAP_MAX_FILE ||
		    padded > len - off - SNAP_SECTION_HEADER) {
			snap_file_free(f);
			/* A plausible length past the end: the file was cut short. */
			if (!rd32(h + 12) && plen <= SNAP_MAX_FILE)
				return refuse(code, SNAP_E_TRUNCATED, err, errlen,
					      "section 0x%x/%u at offset %zu: %llu bytes, the file "
					      "ends first", s.id, s.instance, off,
					      (unsigned long long)plen);
			return refuse(code, SNAP_E_LENGTH, err, errlen,
				      "section 0x%x/%u at offset %zu: length %llu overflows the "
				      "%zu-byte file", s.id, s.instance, off,
				      (unsigned long long)plen, len);
		}
		s.data = h + SNAP_SECTION_HEADER;
		s.len = plen;
		if (rd32(h + 24) != snap_crc32c(0, s.data, (size_t)plen)) {
			snap_file_free(f);
			return refuse(code, SNAP_E_SECTION_CRC, err, errlen,
				      "section 0x%x/%u at offset %zu: payload CRC mismatch",
				      s.id, s.instance, off);
		}
		if (s.id == SNAP_SEC_COMMIT) {
			if (plen != 16 || rd32(s.data) != f->nsec ||
			    rd32(s.data + 8) != snap_crc32c(0, b, off)) {
				unsigned n = f->nsec;
				snap_file_free(f);
				return refuse(code, SNAP_E_COMMIT, err, errlen,
					      "commit marker does not match the %u sections before it",
					      n);
			}
			committed = true;
		} else {
			k = known_find(known, nknown, s.id);
			if (!k || s.instance >= k->max_instances) {
				snap_file_free(f);
				return refuse(code, SNAP_E_UNKNOWN_SECTION, err, errlen,
					      "section id 0x%x instance %u is not one this vmdeck "
					      "knows", s.id, s.instance);
			}
			if (snap_find(f, s.id, s.instance)) {
				snap_file_free(f);
				return refuse(code, SNAP_E_DUPLICATE, err, errlen,
					      "section 0x%x instance %u appears twice", s.id,
					      s.instance);
			}
			if (f->nsec == SNAP_MAX_SECTIONS) {
				snap_file_free(f);
				return refuse(code, SNAP_E_TOO_MANY, err, errlen,
					      "more than %d sections", SNAP_MAX_SECTIONS);
			}
			if (f->nsec == cap) {
				cap = cap ? cap * 2 : 32;
				struct snap_section *ns = realloc(f->sec, cap * sizeof(*ns));
				if (!ns) {
					snap_file_free(f);
					snprintf(err, errlen, "out of memory");
					return -ENOMEM;
				}
				f->sec = ns;
			}
			f->sec[f->nsec++] = s;
		}
		off += SNAP_SECTION_HEADER + (size_t)padded;
	}
	if (off != len) {
		snap_file_free(f);
		return refuse(code, SNAP_E_TRAILING, err, errlen,
			      "%zu bytes after the commit marker", len - off);
	}
	return 0;
}

int snap_read_file(const char *path, const char *vendor, const struct snap_known *known,
		   unsigned nknown, struct snap_file *f, enum snap_error *code,
		   char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, r;
	char msg[512];

	memset(f, 0, sizeof(*f));
	if (code)
		*code = SNAP_E_IO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > SNAP_MAX_FILE) {
		close(fd);
		refuse(code, SNAP_E_TOO_LARGE, msg, sizeof(msg), "%lld bytes",
		       (long long)st.st_size);
		snprintf(err, errlen, "%s: %s", path, msg);
		return -EINVAL;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* shrank under us: parse what we have (truncated) */
		got += (size_t)n;
	}
	close(fd);
	r = snap_parse(buf, got, vendor, known, nknown, f, code, msg, sizeof(msg));
	if (r) {
		free(buf);
		snprintf(err, errlen, "%s: %s", path, msg);
		return r;
	}
	f->owned = buf;
	return 0;
}

void snap_file_free(struct snap_file *f)
{
	free(f->sec);
	free(f->owned);
	f->sec = NULL;
	f->owned = NULL;
	f->nsec = 0;
}

const struct snap_section *snap_find(const struct snap_file *f, uint32_t id, uint32_t instance)
{
	for (unsigned i = 0; i < f->nsec; i++)
		if (f->sec[i].id == id && f->sec[i].instance == instance)
			return &f->sec[i];
	return NULL;
}

/* ---- cursor ---- */

bool snap_get(struct snap_cursor *c, void *out, size_t len)
{
	if (c->bad || len > c->len - c->off) {
		c->bad = true;
		memset(out, 0, len);
		return false;
	}
	memcpy(out, c->p + c->off, len);
	c->off += len;
	return true;
}

uint8_t snap_get_u8(struct snap_cursor *c) { uint8_t b = 0; snap_get(c, &b, 1); return b; }
uint16_t snap_get_u16(struct snap_cursor *c) { uint8_t b[2]; snap_get(c, b, 2); return rd16(b); }
uint32_t snap_get_u32(struct snap_cursor *c) { uint8_t b[4]; snap_get(c, b, 4); return rd32(b); }
uint64_t snap_get_u64(struct snap_cursor *c) { uint8_t b[8]; snap_get(c, b, 8); return rd64(b); }

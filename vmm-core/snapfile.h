/* state.bin: the snapshot state container.
 *
 * Layout (all integers little-endian):
 *   header   48 bytes: magic "VMDKSNAP", major u16, minor u16, flags u32,
 *            host CPU vendor (CPUID leaf 0, 12 chars, NUL-padded to 16),
 *            reserved (12 bytes, zero), CRC32C of the previous 44 bytes.
 *   sections each: id u32, instance u32, version u32, reserved u32 (0),
 *            length u64, CRC32C of the payload u32, CRC32C of the previous
 *            28 header bytes u32; then `length` payload bytes, zero-padded to
 *            a multiple of 8.
 *   commit   a section with id SNAP_SEC_COMMIT, written last: payload
 *            { section count u32, reserved u32, CRC32C of every byte before
 *            the commit section u32, reserved u32 }; the file ends right
 *            after it.
 * A file without a valid commit section is a half-written snapshot and is
 * refused. Readers check everything (sizes, CRCs, duplicates, unknown ids)
 * before a single section is handed to a device loader.
 *
 * CRC32C (Castagnoli, reflected 0x82F63B78) uses the SSE4.2 crc32
 * instruction (_mm_crc32_u64/u8, enabled per function with
 * __attribute__((target("sse4.2"))) and chosen at run time with
 * __builtin_cpu_supports), else a bitwise fallback. */
#ifndef VMDECK_SNAPFILE_H
#define VMDECK_SNAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAP_MAGIC "VMDKSNAP"
#define SNAP_MAJOR 1
#define SNAP_MINOR 0
#define SNAP_HEADER_SIZE 48
#define SNAP_SECTION_HEADER 32
#define SNAP_VENDOR_LEN 16
/* A state file is small (registers, device state, the framebuffer at most
 * 32 MiB); anything larger is refused before it is read. */
#define SNAP_MAX_FILE (64ULL << 20)
#define SNAP_MAX_SECTIONS 4096

/* Section ids: one per kind of state; `instance` tells vCPUs / disks apart. */
enum snap_section_id {
	SNAP_SEC_META = 1,        /* app: memory size, vCPU count, memory.bin size */
	SNAP_SEC_VCPU = 0x10,     /* vm_state.c, instance = vCPU id */
	SNAP_SEC_VCPU_MSRS = 0x11,
	SNAP_SEC_VCPU_XSAVE = 0x12,
	SNAP_SEC_IRQCHIP = 0x20,  /* instance 0 PIC master, 1 PIC slave, 2 IOAPIC */
	SNAP_SEC_PIT = 0x21,
	SNAP_SEC_CLOCK = 0x22,
	SNAP_SEC_UART = 0x30,
	SNAP_SEC_I8042 = 0x31,
	SNAP_SEC_RTC = 0x32,
	SNAP_SEC_DEBUGPORT = 0x33,
	SNAP_SEC_FB_MODE = 0x40,
	SNAP_SEC_FB_PIXELS = 0x41,
	SNAP_SEC_PCI = 0x50,
	SNAP_SEC_VIRTIO = 0x51,   /* instance = PCI device number */
	SNAP_SEC_DISK = 0x60,     /* app: disk overlay names, instance = disk index */
	SNAP_SEC_COMMIT = 0x7FFFFFFF,
};

/* Why a file was refused (the message names it too). */
enum snap_error {
	SNAP_OK = 0,
	SNAP_E_IO,
	SNAP_E_TRUNCATED,
	SNAP_E_TOO_LARGE,
	SNAP_E_MAGIC,
	SNAP_E_VERSION,
	SNAP_E_VENDOR,
	SNAP_E_HEADER_CRC,
	SNAP_E_SECTION_HEADER_CRC,
	SNAP_E_SECTION_CRC,
	SNAP_E_LENGTH,
	SNAP_E_DUPLICATE,
	SNAP_E_UNKNOWN_SECTION,
	SNAP_E_NO_COMMIT,
	SNAP_E_COMMIT,
	SNAP_E_TRAILING,
	SNAP_E_TOO_MANY,
	SNAP_E_MISSING,          /* a required section is absent */
	SNAP_E_BAD_STATE,        /* a section's contents are out of range */
};

const char *snap_error_name(enum snap_error e);

uint32_t snap_crc32c(uint32_t crc, const void *buf, size_t len);
/* The host CPU vendor ("GenuineIntel", "AuthenticAMD", ...) from CPUID 0. */
void snap_host_vendor(char out[SNAP_VENDOR_LEN]);

/* ---- writer: builds the file in memory, then writes it atomically ---- */

struct snap_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t sec_start;   /* offset of the open section's header, or SIZE_MAX */
	unsigned nsections;
	int error;          /* first -errno; later calls do nothing */
};

void snap_writer_init(struct snap_writer *w, const char vendor[SNAP_VENDOR_LEN]);
void snap_writer_free(struct snap_writer *w);
void snap_begin(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version);
void snap_put(struct snap_writer *w, const void *data, size_t len);
void snap_put_u8(struct snap_writer *w, uint8_t v);
void snap_put_u16(struct snap_writer *w, uint16_t v);
void snap_put_u32(struct snap_writer *w, uint32_t v);
void snap_put_u64(struct snap_writer *w, uint64_t v);
void snap_end(struct snap_writer *w);
/* A whole section at once. */
void snap_add(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version,
	      const void *data, size_t len);
/* Appends the commit section; returns w->error. */
int snap_finish(struct snap_writer *w);
/* Writes buf to path through path.tmp: write, fsync, rename, fsync of the
 * directory. On error the temp file is removed and path is untouched. */
int snap_write_atomic(const char *path, const void *buf, size_t len, char *err, size_t errlen);
/* fsync of a directory (after a rename inside it). */
int snap_fsync_dir(const char *dir);

/* ---- reader ---- */

struct snap_section {
	uint32_t id, instance, version;
	const uint8_t *data;
	uint64_t len;
};

struct snap_file {
	uint8_t *owned;     /* the file's bytes when read by snap_read_file */
	uint16_t major, minor;
	uint32_t flags;
	char vendor[SNAP_VENDOR_LEN + 1];
	struct snap_section *sec;
	unsigned nsec;
};

/* Ids the caller understands; anything else is refused. */
struct snap_known {
	uint32_t id;
	uint32_t max_instances; /* instance must be < this */
};

/* Validates buf completely: header, every section header and payload CRC,
 * lengths within the file, ids known, no duplicates, the commit section and
 * nothing after it. vendor NULL skips the vendor check (tests, `info`).
 * On success f->sec points into buf (which must outlive f). On failure
 * returns -EINVAL (or -ENOMEM), *code says why, err names it. */
int snap_parse(const void *buf, size_t len, const char *vendor,
	       const struct snap_known *known, unsigned nknown, struct snap_file *f,
	       enum snap_error *code, char *err, size_t errlen);
/* Reads and parses a file (at most SNAP_MAX_FILE bytes). */
int snap_read_file(const char *path, const char *vendor, const struct snap_known *known,
		   unsigned nknown, struct snap_file *f, enum snap_error *code,
		   char *err, size_t errlen);
void snap_file_free(struct snap_file *f);
const struct snap_section *snap_find(const struct snap_file *f, uint32_t id, uint32_t instance);

/* ---- bounded cursor for section payloads ---- */

struct snap_cursor {
	const uint8_t *p;
	size_t len, off;
	bool bad; /* a read ran past the end: the section is too short */
};

static inline void snap_cursor_init(struct snap_cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->bad = false;
}

bool snap_get(struct snap_cursor *c, void *out, size_t len);
uint8_t snap_get_u8(struct snap_cursor *c);
uint16_t snap_get_u16(struct snap_cursor *c);
uint32_t snap_get_u32(struct snap_cursor *c);
uint64_t snap_get_u64(struct snap_cursor *c);
/* True if the whole payload was consumed and nothing ran past its end. */
static inline bool snap_cursor_done(const struct snap_cursor *c)
{
	return !c->bad && c->off == c->len;
}

#endif

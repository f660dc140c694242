/* Helpers shared by the libFuzzer harnesses (header-only, static). */
#ifndef VMDECK_FUZZ_UTIL_H
#define VMDECK_FUZZ_UTIL_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A private directory for the files a harness writes: under /dev/shm when
 * it exists (tmpfs: no disk I/O per run), else $TMPDIR or /tmp. Removed
 * by the harness that knows its files (fuzz_cleanup). */
static inline const char *fuzz_dir(void)
{
	static char dir[256];
	if (!dir[0]) {
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/vmdeck-fuzz.XXXXXX", base && *base ? base : "/tmp");
		if (!mkdtemp(dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
	}
	return dir;
}

/* out = <fuzz_dir>/name */
static inline void fuzz_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", fuzz_dir(), name);
}

static inline void fuzz_write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	const uint8_t *p = data;
	if (fd < 0) {
		perror(path);
		abort();
	}
	while (size) {
		ssize_t n = write(fd, p, size);
		if (n <= 0) {
			perror(path);
			abort();
		}
		p += n;
		size -= (size_t)n;
	}
	close(fd);
}

/* Consumes bytes from the front of the input (zero when it runs out). */
struct fuzz_in {
	const uint8_t *p;
	size_t len;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->len)
		return 0;
	in->len--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)(fuzz_u8(in) | fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	return fuzz_u16(in) | (uint32_t)fuzz_u16(in) << 16;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_u32(in) | (uint64_t)fuzz_u32(in) << 32;
}

/* Reads every byte of a buffer the library handed out, so ASan sees an
 * out-of-bounds iovec or string; the sum keeps the reads alive. */
static inline unsigned fuzz_touch(const void *p, size_t len)
{
	const volatile uint8_t *b = p;
	unsigned s = 0;
	for (size_t i = 0; i < len; i++)
		s += b[i];
	return s;
}

#endif

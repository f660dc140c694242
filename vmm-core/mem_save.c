/* memory.bin writer; see mem_save.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem_save.h"

#define PAGE 4096ULL
#define RUN_MAX (1ULL << 20) /* coalesce non-zero pages into writes of up to 1 MiB */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_FILE    (1ULL << 61)

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;
	for (size_t i = 0; i < PAGE / 8; i += 4)
		if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
			return false;
	return true;
}

struct saver {
	const struct guest_mem *m;
	int fd;
	uint64_t run_start, run_len; /* pending write */
	struct mem_save_stats *st;
};

static int flush_run(struct saver *s)
{
	const uint8_t *p = s->m->hva + s->run_start;
	uint64_t off = s->run_start, left = s->run_len;

	while (left) {
		ssize_t n = pwrite(s->fd, p, left, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += (uint64_t)n;
		left -= (uint64_t)n;
		s->st->bytes_written += (uint64_t)n;
	}
	s->run_len = 0;
	return 0;
}

/* Looks at [off, off+len) page by page. */
static int save_range(struct saver *s, uint64_t off, uint64_t len)
{
	int r;

	for (uint64_t o = off; o < off + len; o += PAGE) {
		s->st->pages_scanned++;
		if (page_is_zero(s->m->hva + o))
			continue;
		s->st->pages_written++;
		if (s->run_len && s->run_start + s->run_len == o && s->run_len < RUN_MAX) {
			s->run_len += PAGE;
			continue;
		}
		if (s->run_len && (r = flush_run(s)))
			return r;
		s->run_start = o;
		s->run_len = PAGE;
	}
	return 0;
}

/* Data extents of the memfd (or of the backing file): holes read as zero. */
static int save_extents(struct saver *s, uint8_t *mark)
{
	off_t pos = 0, end = (off_t)s->m->size;
	int r;

	while (pos < end) {
		off_t data = lseek(s->m->memfd, pos, SEEK_DATA), hole;
		if (data < 0) {
			if (errno == ENXIO)
				break; /* no data after pos */
			return -errno;
		}
		hole = lseek(s->m->memfd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		if (hole > end)
			hole = end;
		data &= ~(off_t)(PAGE - 1);
		hole = (off_t)(((uint64_t)hole + PAGE - 1) & ~(PAGE - 1));
		if (mark) {
			for (off_t o = data; o < hole; o += (off_t)PAGE)
				mark[(uint64_t)o / PAGE] = 1;
		} else if ((r = save_range(s, (uint64_t)data, (uint64_t)(hole - data)))) {
			return r;
		}
		pos = hole;
	}
	return 0;
}

/* RAM mapped MAP_PRIVATE from a file: candidates are the file's data pages
 * and the private (copied-on-write) pages (pagemap, see
 * Documentation/admin-guide/mm/pagemap.rst). */
static int save_private(struct saver *s)
{
	uint64_t npages = s->m->size / PAGE, chunk = 4096;
	uint8_t *mark = calloc(npages, 1);
	uint64_t *pm = malloc(chunk * sizeof(uint64_t));
	int pfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), r = 0;

	if (!mark || !pm || pfd < 0) {
		r = pfd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	r = save_extents(s, mark);
	if (r)
		goto out;
	for (uint64_t i = 0; i < npages; i += chunk) {
		uint64_t n = npages - i < chunk ? npages - i : chunk;
		off_t at = (off_t)(((uintptr_t)s->m->hva / PAGE + i) * sizeof(uint64_t));
		ssize_t got = pread(pfd, pm, n * sizeof(uint64_t), at);
		if (got != (ssize_t)(n * sizeof(uint64_t))) {
			r = got < 0 ? -errno : -EIO;
			goto out;
		}
		for (uint64_t j = 0; j < n; j++)
			if ((pm[j] & (PM_PRESENT | PM_SWAPPED)) && !(pm[j] & PM_FILE))
				mark[i + j] = 1;
	}
	for (uint64_t p = 0; p < npages; p++) {
		if (!mark[p])
			continue;
		uint64_t q = p;
		while (q < npages && mark[q])
			q++;
		r = save_range(s, p * PAGE, (q - p) * PAGE);
		if (r)
			goto out;
		p = q;
	}
out:
	if (pfd >= 0)
		close(pfd);
	free(pm);
	free(mark);
	return r;
}

int guest_mem_save_file(const struct guest_mem *m, int fd, struct mem_save_stats *st,
			char *err, size_t errlen)
{
	struct mem_save_stats dummy;
	struct saver s = { .m = m, .fd = fd, .st = st ? st : &dummy };
	int r;

	memset(s.st, 0, sizeof(*s.st));
	if (ftruncate(fd, (off_t)m->size)) {
		r = -errno;
		snprintf(err, errlen, "sizing the memory file to %llu bytes: %s",
			 (unsigned long long)m->size, strerror(errno));
		return r;
	}
	r = m->file_backed ? save_private(&s) : save_extents(&s, NULL);
	if (!r && s.run_len)
		r = flush_run(&s);
	if (r)
		snprintf(err, errlen, "writing guest memory: %s", strerror(-r));
	return r;
}

/* KVM binary stats reader; see kstats.h. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kstats.h"

#define KSTATS_MAX_DESC 1024
#define KSTATS_MAX_NAME 256

int kstats_read(int fd, kstats_cb cb, void *opaque)
{
	struct kvm_stats_header h;
	size_t dsz;
	uint8_t *descs = NULL;
	int count = 0, r = 0;

	if (fd < 0)
		return -EBADF;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -EIO;
	if (h.num_desc > KSTATS_MAX_DESC || h.name_size == 0 || h.name_size > KSTATS_MAX_NAME)
		return -EINVAL;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsz * h.num_desc);
	if (!descs)
		return -ENOMEM;
	if (pread(fd, descs, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc)) {
		r = -EIO;
		goto out;
	}
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * dsz);
		char name[KSTATS_MAX_NAME + 1];
		uint64_t v;
		unsigned type = d->flags & KVM_STATS_TYPE_MASK;

		if (d->size != 1)
			continue; /* histograms: not shown */
		if (type != KVM_STATS_TYPE_CUMULATIVE && type != KVM_STATS_TYPE_INSTANT &&
		    type != KVM_STATS_TYPE_PEAK)
			continue;
		if (pread(fd, &v, sizeof(v), (off_t)h.data_offset + d->offset) != (ssize_t)sizeof(v))
			continue;
		memcpy(name, d->name, h.name_size);
		name[h.name_size] = 0;
		cb(opaque, name, v);
		count++;
	}
	r = count;
out:
	free(descs);
	return r;
}

struct kstats_find {
	const char *name;
	uint64_t value;
	int found;
};

static void kstats_find_cb(void *opaque, const char *name, uint64_t value)
{
	struct kstats_find *f = opaque;
	if (!strcmp(name, f->name)) {
		f->value = value;
		f->found = 1;
	}
}

int kstats_get(int fd, const char *name, uint64_t *value)
{
	struct kstats_find f = { .name = name };
	int r = kstats_read(fd, kstats_find_cb, &f);

	if (r < 0)
		return r;
	if (!f.found)
		return -ENOENT;
	*value = f.value;
	return 0;
}

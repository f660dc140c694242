/* Builds and runs a VM from a vm_config; see machine.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"
#include "machine.h"
#include "machine_int.h"
#include "machine_snapshot.h"
#include "pci.h"
#include "vcpu.h"
#include "virtio_blk.h"
#include "virtio_rng.h"
#include "vm.h"
#include "vm_devices.h"
#include "vmctl.h"
#include "x86/multiboot.h"

#define MACHINE_MAX_FILE (512ULL << 20) /* kernels and modules */


/* Reads a whole file, refusing anything larger than max. */
static int read_file(const char *path, uint64_t max, uint8_t **out, size_t *len,
		     char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s: too large (%lld bytes, at most %llu)", path,
			 (long long)st.st_size, (unsigned long long)max);
		close(fd);
		return -EFBIG;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: read error", path);
			free(buf);
			close(fd);
			return r;
		}
		got += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

static void machine_console_sink(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine *m = opaque;
	if (m->opts.console_sink)
		m->opts.console_sink(m->opts.console_opaque, buf, len);
}

static int machine_load_kernel(struct machine *m, char *err, size_t errlen)
{
	struct multiboot_blob mods[CONFIG_MAX_MODULES];
	struct multiboot_params p = { .cmdline = m->cfg.cmdline, .mods = mods,
				      .nmods = m->cfg.nmodules };
	struct multiboot_result res;
	struct multiboot_fb fb;
	uint8_t *kernel = NULL;
	size_t klen = 0;
	int r;

	memset(mods, 0, sizeof(mods));
	r = read_file(m->cfg.kernel, MACHINE_MAX_FILE, &kernel, &klen, err, errlen);
	if (r)
		return r;
	for (unsigned i = 0; i < m->cfg.nmodules; i++) {
		r = read_file(m->cfg.modules[i].path, MACHINE_MAX_FILE, (uint8_t **)&mods[i].data,
			      &mods[i].len, err, errlen);
		if (r)
			goto out;
		mods[i].string = m->cfg.modules[i].args[0] ? m->cfg.modules[i].args :
				 m->cfg.modules[i].path;
	}
	p.kernel = kernel;
	p.kernel_len = klen;
	if (machine_display_fb(m, &fb))
		p.fb = &fb;
	r = multiboot_load(&m->vm->mem, &p, &res, err, errlen);
	if (r) {
		/* Prefix the file name: "FILE: what is wrong". */
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "%s: %s", m->cfg.kernel, tmp);
		goto out;
	}
	r = multiboot_setup_cpu(m->vm->vcpus[0]->fd, &res);
	if (r)
		snprintf(err, errlen, "setting up the boot vCPU: %s", strerror(-r));
out:
	for (unsigned i = 0; i < m->cfg.nmodules; i++)
		free((void *)mods[i].data);
	free(kernel);
	return r;
}

/* ---- PCI devices (issue 5): the bus, virtio-rng, a virtio-blk per [disk.N] ---- */

/* After the vCPUs are joined: unmap BARs, then stop the device threads
 * (which flush and close the disks). */
static void machine_pci_destroy(struct machine *m)
{
	if (m->vm && m->vm->pci) {
		pci_bus_destroy(m->vm->pci);
		m->vm->pci = NULL;
	}
	if (!m->pci)
		return;
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++)
		virtio_blk_destroy(m->pci->blk[i]);
	virtio_rng_destroy(m->pci->rng);
	free(m->pci);
	m->pci = NULL;
}

static int machine_add_pci_devices(struct machine *m, char *err, size_t errlen)
{
	struct vm *vm = m->vm;
	int r;

	m->pci = calloc(1, sizeof(*m->pci));
	if (!m->pci) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = pci_bus_create(&vm->pio, &vm->mmio, &vm->irq, &vm->pci);
	if (r) {
		snprintf(err, errlen, "PCI bus: %s", strerror(-r));
		return r;
	}
	r = virtio_rng_create(vm, "virtio-rng", &m->pci->rng, err, errlen);
	if (r)
		return r;
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *cd = &m->cfg.disks[i];
		struct disk_open_opts o = { .readonly = cd->readonly };
		struct disk *d;
		char name[24], serial[24], derr[512];

		if (!cd->present)
			continue;
		if (cd->cache[0] && disk_parse_cache_mode(cd->cache, &o.cache)) {
			snprintf(err, errlen, "[disk.%u] cache: unknown mode '%s'", i, cd->cache);
			return -EINVAL;
		}
		/* A restore never writes the snapshot's frozen image: the disk
		 * is a new overlay on it (machine_snapshot.h). */
		if (m->opts.restore_mem && !cd->readonly) {
			r = machine_disk_restore_overlay(m, i, err, errlen);
			if (r)
				return r;
			m->disks_fresh = true;
		}
		r = disk_open(cd->path, cd->format, &o, &d, derr, sizeof(derr));
		if (r) {
			snprintf(err, errlen, "[disk.%u]: %s", i, derr);
			return r;
		}
		snprintf(name, sizeof(name), "virtio-blk%u", i);
		if (m->cfg.disks[i].serial[0])
			snprintf(serial, sizeof(serial), "%s", m->cfg.disks[i].serial);
		else
			snprintf(serial, sizeof(serial), "vmdeck-disk%u", i);
		r = virtio_blk_create(vm, d, name, serial, &m->pci->blk[i], err, errlen);
		if (r) {
			disk_close(d);
			return r;
		}
	}
	return 0;
}

int machine_create(const struct vm_config *c, const struct machine_opts *o,
		   struct machine **out, char *err, size_t errlen)
{
	struct machine *m = calloc(1, sizeof(*m));
	struct vm_params vp = { .mem_size = c->memory, .ncpus = c->cpus,
				.mem_file = o ? o->restore_mem : NULL, .trap_msrs = c->trap_msrs };
	int r;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->cfg = *c;
	if (o)
		m->opts = *o;
	r = vm_create(&vp, &m->vm, err, errlen);
	if (r)
		goto fail;
	m->vm->console.sink = machine_console_sink;
	m->vm->console.sink_opaque = m;
	r = vm_devices_create(m->vm, err, errlen);
	if (r)
		goto fail;
	r = machine_add_pci_devices(m, err, errlen);
	if (r)
		goto fail;
	r = machine_display_create(m, err, errlen);
	if (r)
		goto fail;
	/* A restored VM's RAM already holds its kernel and tables. */
	if (!m->opts.restore_mem) {
		/* After every device exists: the MP table lists PCI interrupt routes. */
		r = vm_write_mptable(m->vm, err, errlen);
		if (r)
			goto fail;
		r = machine_load_kernel(m, err, errlen);
		if (r)
			goto fail;
	}
	*out = m;
	return 0;
fail:
	machine_destroy(m);
	return r;
}

int machine_start(struct machine *m, char *err, size_t errlen)
{
	return vm_start(m->vm, err, errlen);
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	if (m->vm) {
		vm_join(m->vm);
		machine_display_destroy(m);
		machine_pci_destroy(m);
		vm_devices_destroy(m->vm);
		vm_destroy(m->vm);
	}
	free(m);
}

struct vm *machine_vm(struct machine *m)
{
	return m->vm;
}

void machine_serial_input(struct machine *m, const unsigned char *buf, size_t len)
{
	vm_serial_input(m->vm, buf, len);
}

void machine_disk_stats(struct machine *m, struct vmctl_stats *s)
{
	s->disks = 0;
	s->disk_reads = s->disk_writes = s->disk_read_bytes = s->disk_write_bytes = 0;
	s->disk_flushes = s->disk_errors = 0;
	if (!m->pci)
		return;
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct virtio_blk_stats *b;
		if (!m->pci->blk[i])
			continue;
		b = virtio_blk_stats(m->pci->blk[i]);
		s->disks++;
		s->disk_reads += atomic_load_explicit(&b->reads, memory_order_relaxed);
		s->disk_writes += atomic_load_explicit(&b->writes, memory_order_relaxed);
		s->disk_read_bytes += atomic_load_explicit(&b->read_bytes, memory_order_relaxed);
		s->disk_write_bytes += atomic_load_explicit(&b->write_bytes, memory_order_relaxed);
		s->disk_flushes += atomic_load_explicit(&b->flushes, memory_order_relaxed);
		s->disk_errors += atomic_load_explicit(&b->errors, memory_order_relaxed);
	}
}

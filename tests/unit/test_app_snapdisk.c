/* The disk half of snapshots (machine_snapshot_pci.c): overlay naming and
 * creation next to the image with a relative backing path, and the library
 * VM's vm.ini following a disk to its new overlay. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "disk.h"
#include "machine_int.h"
#include "machine_snapshot.h"
#include "qcow2.h"

static char dir[64], err[1024];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vmdeck-snapdisk.XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(snapdisk, .init = setup, .fini = teardown);

static void backing_of(const char *path, char *out, size_t len)
{
	struct disk_open_opts o = { .readonly = true, .no_backing = true };
	struct qcow2_info qi;
	struct disk *d;

	cr_assert_eq(disk_open(path, "qcow2", &o, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(qcow2_get_info(d, &qi), 0);
	snprintf(out, len, "%s/%s", qi.backing_file, qi.backing_fmt);
	disk_close(d);
}

Test(snapdisk, overlay_next_to_image_relative_backing)
{
	char img[PATH_MAX], o1[PATH_MAX], o2[PATH_MAX], want[PATH_MAX], b[2048];

	snprintf(img, sizeof(img), "%s/disk.qcow2", dir);
	cr_assert_eq(qcow2_create(img, 1 << 20, 0, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(machine_disk_new_overlay(img, "qcow2", "t1", o1, sizeof(o1), err, sizeof(err)),
		     0, "%s", err);
	snprintf(want, sizeof(want), "%s/disk.t1.qcow2", dir);
	cr_assert_str_eq(o1, want);
	backing_of(o1, b, sizeof(b));
	cr_assert_str_eq(b, "disk.qcow2/qcow2");
	/* The same tag again: a new name, never the existing overlay. */
	cr_assert_eq(machine_disk_new_overlay(img, "qcow2", "t1", o2, sizeof(o2), err, sizeof(err)),
		     0, "%s", err);
	snprintf(want, sizeof(want), "%s/disk.t1-2.qcow2", dir);
	cr_assert_str_eq(o2, want);
	/* A chain keeps the disk's name; odd tags are made file-name safe. */
	cr_assert_eq(machine_disk_new_overlay(o1, "qcow2", "a b/../c", o2, sizeof(o2), err,
					      sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/disk.a_b_.._c.qcow2", dir);
	cr_assert_str_eq(o2, want);
	backing_of(o2, b, sizeof(b));
	cr_assert_str_eq(b, "disk.t1.qcow2/qcow2");
	/* A missing image: refused, nothing left behind. */
	snprintf(img, sizeof(img), "%s/none.raw", dir);
	cr_assert_neq(machine_disk_new_overlay(img, "raw", "x", o2, sizeof(o2), err, sizeof(err)), 0);
	cr_assert_neq(access(o2, F_OK), 0);
}

Test(snapdisk, vm_ini_follows_the_overlay)
{
	char ini[PATH_MAX], img[PATH_MAX], over[PATH_MAX], kern[PATH_MAX], line[PATH_MAX + 16];
	struct machine *m = calloc(1, sizeof(*m));
	struct vm_config *c = malloc(sizeof(*c));
	FILE *f;
	bool rel = false;

	cr_assert(m && c);
	snprintf(ini, sizeof(ini), "%s/vm.ini", dir);
	snprintf(img, sizeof(img), "%s/disk.qcow2", dir);
	snprintf(kern, sizeof(kern), "%s/k.elf", dir);
	f = fopen(kern, "w");
	fclose(f);
	cr_assert_eq(qcow2_create(img, 1 << 20, 0, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	f = fopen(ini, "w");
	fprintf(f, "[vm]\nname = v\nkernel = k.elf\ncmdline = mode=rw\n\n[disk.0]\npath = disk.qcow2\n"
		"format = qcow2\n");
	fclose(f);
	cr_assert_eq(config_load(ini, &m->cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(machine_disk_new_overlay(img, "qcow2", "s1", over, sizeof(over), err,
					      sizeof(err)), 0, "%s", err);
	snprintf(m->cfg.disks[0].path, sizeof(m->cfg.disks[0].path), "%s", over);
	m->opts.vm_ini = ini;
	cr_assert_eq(machine_update_vm_ini(m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(config_load(ini, c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c->disks[0].path, over);
	cr_assert_str_eq(c->disks[0].format, "qcow2");
	cr_assert_str_eq(c->cmdline, "mode=rw");
	/* Written relative to vm.ini's directory: the library can move. */
	f = fopen(ini, "r");
	while (fgets(line, sizeof(line), f))
		rel |= !strcmp(line, "path = disk.s1.qcow2\n");
	fclose(f);
	cr_assert(rel, "vm.ini's disk path is not relative");
	/* Without vm_ini nothing is written. */
	m->opts.vm_ini = NULL;
	cr_assert_eq(machine_update_vm_ini(m, err, sizeof(err)), 0);
	free(c);
	free(m);
}

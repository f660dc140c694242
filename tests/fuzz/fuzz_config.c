/* VM definition files as hostile input: config_load on the input written to
 * a file, then config_validate. A file that passes both is saved with
 * config_save and must load back with the same name, vCPUs, memory, kernel,
 * command line, modules, display and disks (`vmdeck create` writes vm.ini
 * this way, and the VM must still start). The harness's directory holds
 * kernel.elf, mod.bin and disk.img, so relative paths to them validate. */
#include <errno.h>
#include <stdbool.h>

#include "config.h"
#include "fuzz_util.h"

static char in_path[300], out_path[300], files[3][300];
static const char *const names[3] = { "kernel.elf", "mod.bin", "disk.img" };
static struct vm_config a, b;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_path(in_path, sizeof(in_path), "vm.ini");
	fuzz_path(out_path, sizeof(out_path), "saved.ini");
	for (int i = 0; i < 3; i++) {
		fuzz_path(files[i], sizeof(files[i]), names[i]);
		fuzz_write_file(files[i], "x", 1);
	}
	return 0;
}

static void cleanup(void) __attribute__((destructor));
static void cleanup(void)
{
	if (in_path[0]) {
		unlink(in_path);
		unlink(out_path);
		for (int i = 0; i < 3; i++)
			unlink(files[i]);
		rmdir(fuzz_dir());
	}
}

/* Whether saved.ini has a too long cmdline line (config_save splits it). */
static bool long_cmdline_line(void)
{
	FILE *f = fopen(out_path, "r");
	char line[8192];
	bool bad = false;

	while (f && fgets(line, sizeof(line), f))
		if (strlen(line) > 200 && (!strncmp(line, "cmdline", 7) || line[0] == ' '))
			bad = true;
	if (f)
		fclose(f);
	return bad;
}

static bool odd(const char *s)
{
	for (; *s; s++)
		if (*s == ';' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Values config_save cannot write back as they are: it does not quote,
 * " ;" starts an inih comment, and control characters (a lone CR) end or
 * change a line. Text configs never have them; the harness skips those. */
static bool unsaveable(const struct vm_config *c)
{
	bool r = odd(c->name) || odd(c->kernel) || odd(c->cmdline) || odd(c->display.vnc) ||
		 odd(c->display.vnc_password);
	for (unsigned i = 0; i < c->nmodules; i++)
		r |= odd(c->modules[i].path) || odd(c->modules[i].args);
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++)
		r |= odd(c->disks[i].path);
	return r;
}

static void differ(const char *what)
{
	fprintf(stderr, "fuzz_config: %s differs after config_save + config_load\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];

	fuzz_write_file(in_path, data, size);
	if (config_load(in_path, &a, err, sizeof(err)))
		return 0;
	if (config_validate(&a, err, sizeof(err)))
		return 0;
	if (unsaveable(&a))
		return 0;
	if (config_save(&a, out_path, err, sizeof(err)))
		return 0;
	if (config_load(out_path, &b, err, sizeof(err))) {
		if (strstr(err, "line longer than") && !long_cmdline_line())
			return 0; /* known: a resolved (absolute) path made a line too long */
		fprintf(stderr, "fuzz_config: saved file does not load back: %s\n", err);
		abort();
	}
	if (strcmp(a.name, b.name))
		differ("name");
	if (a.cpus != b.cpus || a.memory != b.memory)
		differ("cpus/memory");
	if (strcmp(a.kernel, b.kernel) || strcmp(a.cmdline, b.cmdline))
		differ("kernel/cmdline");
	if (a.nmodules != b.nmodules)
		differ("module count");
	for (unsigned i = 0; i < a.nmodules; i++)
		if (strcmp(a.modules[i].path, b.modules[i].path) ||
		    strcmp(a.modules[i].args, b.modules[i].args))
			differ("module");
	if (a.display.enabled != b.display.enabled || a.display.width != b.display.width ||
	    a.display.height != b.display.height || strcmp(a.display.vnc, b.display.vnc) ||
	    strcmp(a.display.vnc_password, b.display.vnc_password))
		differ("display");
	for (unsigned i = 0; i < CONFIG_MAX_DISKS; i++) {
		const struct config_disk *x = &a.disks[i], *y = &b.disks[i];
		if (x->present != y->present ||
		    (x->present && (strcmp(x->path, y->path) || strcmp(x->format, y->format) ||
				    x->readonly != y->readonly || strcmp(x->cache, y->cache))))
			differ("disk");
	}
	return 0;
}

/* VM definition files (configs/NAME.ini, vm.ini in the library), parsed with
 * inih. Every error names the file, the line and the key. */
#ifndef VMDECK_CONFIG_H
#define VMDECK_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_MODULES 16
#define CONFIG_MAX_DISKS 8
#define CONFIG_NAME_MAX 64
#define CONFIG_CMDLINE_MAX 4096

struct config_module {
	char path[PATH_MAX];
	char args[256];
};

struct config_disk {
	bool present;
	char path[PATH_MAX];
	char format[16];   /* raw | qcow2: required, never probed */
	bool readonly;
	char cache[16];    /* writeback | writethrough | none | unsafe */
	char serial[21];   /* virtio-blk GET_ID (up to 20 bytes); "" = vmdeck-diskN */
};

struct config_display {
	bool enabled;
	unsigned width, height;
	char vnc[128];          /* auto | off | HOST:PORT */
	char vnc_password[128]; /* "" | generate | TEXT */
};

struct vm_config {
	char path[PATH_MAX];    /* the file it came from ("" if built from flags) */
	char name[CONFIG_NAME_MAX];
	unsigned cpus;
	uint64_t memory;
	char kernel[PATH_MAX];
	/* The kernel as written in the file when it was "@guests/...", kept so
	 * config_save writes it back that way (library entries survive a
	 * rebuild in another directory); "" otherwise. */
	char kernel_spec[PATH_MAX];
	char cmdline[CONFIG_CMDLINE_MAX];
	struct config_module modules[CONFIG_MAX_MODULES];
	unsigned nmodules;
	bool trap_msrs;           /* [vm] trap_msrs: count every MSR access (teaching) */
	struct config_display display;
	struct config_disk disks[CONFIG_MAX_DISKS];
};

/* Defaults: 1 vCPU, 128 MiB, no display. */
void config_defaults(struct vm_config *c);
/* Parses a file; relative paths are resolved against the file's directory,
 * "@guests/" against the built-in guests directory. */
int config_load(const char *path, struct vm_config *c, char *err, size_t errlen);
/* Checks cross-field rules and that referenced files exist. */
int config_validate(const struct vm_config *c, char *err, size_t errlen);
/* Writes c as an ini file (for `vmdeck create`), atomically. */
int config_save(const struct vm_config *c, const char *path, char *err, size_t errlen);
/* "64M", "1G", "512K", "4096" (bytes); binary units. -EINVAL / -ERANGE. */
int config_parse_size(const char *s, uint64_t *out);
/* Resolves "@guests/NAME" and relative paths; out has PATH_MAX bytes. */
int config_resolve_path(const char *base_dir, const char *in, char *out, size_t outlen);
/* The built-in guests directory: $VMDECK_GUESTS, next to the executable
 * (build tree: <build>/assets/guests), or the installed share directory. */
const char *config_guests_dir(char *buf, size_t len);
bool config_name_valid(const char *name);

#endif

/* VM definition files: values, defaults, and errors naming file, line, key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char dir[] = "/tmp/vmdeck-cfg-XXXXXX";
static char path[512];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.ini", dir);
}

static void teardown(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	strcpy(dir, "/tmp/vmdeck-cfg-XXXXXX");
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static int load(const char *text, struct vm_config *c, char *err)
{
	write_file(text);
	return config_load(path, c, err, 512);
}

TestSuite(config, .init = setup, .fini = teardown);

Test(config, full_file)
{
	struct vm_config c;
	char err[512] = "";
	cr_assert_eq(load("; comment\n[vm]\nname = demo-1\ncpus = 4\nmemory = 2G\ntrap_msrs = yes\n"
			  "kernel = /boot/k.elf\ncmdline = a b  c\nmodule = /m1 arg1 arg2\n"
			  "module = rel.bin\n\n[display]\nwidth = 800\nheight = 600\n"
			  "vnc = 127.0.0.1:5905\nvnc_password = generate\n"
			  "[disk.0]\npath = /d.qcow2\nformat = qcow2\nreadonly = yes\ncache = none\n"
			  "serial = ABC-123_x.y\n",
			  &c, err), 0, "%s", err);
	cr_expect_str_eq(c.name, "demo-1");
	cr_expect_eq(c.cpus, 4);
	cr_expect_eq(c.memory, 2ULL << 30);
	cr_expect(c.trap_msrs);
	cr_expect_str_eq(c.kernel, "/boot/k.elf");
	cr_expect_str_eq(c.cmdline, "a b  c");
	cr_expect_eq(c.nmodules, 2);
	cr_expect_str_eq(c.modules[0].path, "/m1");
	cr_expect_str_eq(c.modules[0].args, "arg1 arg2");
	char want[600];
	snprintf(want, sizeof(want), "%s/rel.bin", dir);
	cr_expect_str_eq(c.modules[1].path, want);
	cr_expect(c.display.enabled);
	cr_expect_eq(c.display.width, 800);
	cr_expect_eq(c.display.height, 600);
	cr_expect_str_eq(c.display.vnc, "127.0.0.1:5905");
	cr_expect_str_eq(c.display.vnc_password, "generate");
	cr_expect(c.disks[0].present);
	cr_expect_str_eq(c.disks[0].format, "qcow2");
	cr_expect(c.disks[0].readonly);
	cr_expect_str_eq(c.disks[0].cache, "none");
	cr_expect_str_eq(c.disks[0].serial, "ABC-123_x.y");
	cr_expect_not(c.disks[1].present);
}

Test(config, defaults_and_name_from_dir)
{
	struct vm_config c;
	char err[512] = "";
	cr_assert_eq(load("[vm]\nkernel = k\n", &c, err), 0, "%s", err);
	cr_expect_eq(c.cpus, 1);
	cr_expect_eq(c.memory, 128ULL << 20);
	cr_expect_not(c.display.enabled);
	/* vm.ini takes the name of its directory */
	cr_expect_str_eq(c.name, strrchr(dir, '/') + 1);
}

Test(config, continued_cmdline)
{
	struct vm_config c;
	char err[512] = "";
	cr_assert_eq(load("[vm]\ncmdline = one two\n  three four\n", &c, err), 0, "%s", err);
	cr_expect_str_eq(c.cmdline, "one two three four");
}

Test(config, guests_prefix)
{
	struct vm_config c;
	char err[512] = "";
	setenv("VMDECK_GUESTS", "/opt/g", 1);
	cr_assert_eq(load("[vm]\nkernel = @guests/hello.elf\n", &c, err), 0, "%s", err);
	cr_expect_str_eq(c.kernel, "/opt/g/hello.elf");
	unsetenv("VMDECK_GUESTS");
}

struct bad_case {
	const char *text;
	const char *msg; /* expected substring after "PATH:" */
};

Test(config, errors_name_file_line_key)
{
	static const struct bad_case cases[] = {
		{ "[vm]\nname = ok\nfoo = 1\n", ":3: [vm] foo: unknown key" },
		{ "[vm]\ncpus = 0\n", ":2: [vm] cpus: '0' is not a vCPU count" },
		{ "[vm]\ncpus = 65\n", ":2: [vm] cpus" },
		{ "[vm]\ncpus = two\n", ":2: [vm] cpus" },
		{ "[vm]\nmemory = 1M\n", ":2: [vm] memory" },
		{ "[vm]\nmemory = 2T\n", ":2: [vm] memory" },
		{ "[vm]\nmemory = 100000000000000000000G\n", ":2: [vm] memory" },
		{ "[vm]\nmemory = 4097\n", ":2: [vm] memory" },
		{ "[vm]\nname = ../etc\n", ":2: [vm] name" },
		{ "[display]\nwidth = 5000\n", ":2: [display] width" },
		{ "[display]\nheight = -1\n", ":2: [display] height" },
		{ "[disk.0]\nformat = vmdk\n", ":2: [disk.0] format" },
		{ "[disk.9]\npath = x\n", ":2: [disk.9] path" },
		{ "[disk.0]\ncache = fast\n", ":2: [disk.0] cache" },
		{ "[disk.0]\nreadonly = maybe\n", ":2: [disk.0] readonly" },
		{ "[disk.0]\nserial = has space\n", ":2: [disk.0] serial" },
		{ "[vm]\ntrap_msrs = sometimes\n", ":2: [vm] trap_msrs" },
		{ "[disk.0]\nserial = 123456789012345678901\n", ":2: [disk.0] serial" },
		{ "\n\n[net]\nmode = nat\n", ":4: [net] mode: unknown section" },
		{ "[vm\n", ":1: syntax error" },
		{ "garbage line\n", ":1: syntax error" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_config c;
		char err[512] = "";
		char want[600];
		cr_expect_neq(load(cases[i].text, &c, err), 0, "case %zu accepted", i);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].msg);
		cr_expect(strstr(err, want) != NULL, "case %zu: '%s' lacks '%s'", i, err, want);
	}
}

Test(config, missing_file)
{
	struct vm_config c;
	char err[512] = "";
	cr_expect_eq(config_load("/nonexistent/vm.ini", &c, err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, "/nonexistent/vm.ini") != NULL);
}

Test(config, validate_requires_kernel_and_disk_format)
{
	struct vm_config c;
	char err[512] = "";
	config_defaults(&c);
	cr_expect_neq(config_validate(&c, err, sizeof(err)), 0);
	cr_expect(strstr(err, "kernel: missing") != NULL, "%s", err);
	snprintf(c.kernel, sizeof(c.kernel), "/bin/sh");
	cr_expect_eq(config_validate(&c, err, sizeof(err)), 0, "%s", err);
	c.disks[0].present = true;
	snprintf(c.disks[0].path, sizeof(c.disks[0].path), "/bin/sh");
	cr_expect_neq(config_validate(&c, err, sizeof(err)), 0);
	cr_expect(strstr(err, "[disk.0] format: missing") != NULL, "%s", err);
}

Test(config, save_and_reload)
{
	struct vm_config a, b;
	char err[512] = "";
	config_defaults(&a);
	snprintf(a.name, sizeof(a.name), "round");
	a.cpus = 3;
	a.memory = 96ULL << 20;
	snprintf(a.kernel, sizeof(a.kernel), "/k.elf");
	snprintf(a.cmdline, sizeof(a.cmdline), "x=1 y=2");
	a.display.enabled = true;
	a.trap_msrs = true;
	cr_assert_eq(config_save(&a, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(config_load(path, &b, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(b.name, "round");
	cr_expect_eq(b.cpus, 3);
	cr_expect_eq(b.memory, 96ULL << 20);
	cr_expect_str_eq(b.cmdline, "x=1 y=2");
	cr_expect(b.display.enabled);
	cr_expect(b.trap_msrs);
}

Test(config_size, parse)
{
	uint64_t v;
	cr_expect_eq(config_parse_size("4096", &v), 0); cr_expect_eq(v, 4096);
	cr_expect_eq(config_parse_size("64M", &v), 0); cr_expect_eq(v, 64ULL << 20);
	cr_expect_eq(config_parse_size("2g", &v), 0); cr_expect_eq(v, 2ULL << 30);
	cr_expect_eq(config_parse_size("512KiB", &v), 0); cr_expect_eq(v, 512ULL << 10);
	cr_expect_eq(config_parse_size("1T", &v), 0); cr_expect_eq(v, 1ULL << 40);
	cr_expect_neq(config_parse_size("", &v), 0);
	cr_expect_neq(config_parse_size("-1M", &v), 0);
	cr_expect_neq(config_parse_size("12X", &v), 0);
	cr_expect_neq(config_parse_size("18446744073709551615T", &v), 0);
	cr_expect_neq(config_parse_size("99999999999999999999999", &v), 0);
}

/* `vmdeck ls [--json]`: the library's VMs with their live state. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd_vm.h"
#include "vmlib.h"

static const char ls_usage[] =
"usage: vmdeck ls [--json] [--library DIR]\n"
"\n"
"Lists the VMs in the library: name, state, vCPUs, memory, uptime, VNC\n"
"address, and what ended the last run. Stale runtime entries (a VM process\n"
"that died without cleaning up) are cleaned and shown as dead.\n";

static void fmt_uptime(uint64_t ns, char *out, size_t len)
{
	uint64_t s = ns / 1000000000ULL;

	if (!ns)
		snprintf(out, len, "-");
	else if (s < 3600)
		snprintf(out, len, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
	else
		snprintf(out, len, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60 % 60));
}

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "library", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *library = NULL;
	struct vmlib_entry *e;
	struct vmlib lib;
	bool json = false;
	char err[1024];
	size_t n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'L') {
			library = optarg;
		} else if (c == 'h') {
			fputs(ls_usage, stdout);
			return 0;
		} else {
			fputs(ls_usage, stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vmdeck ls: unexpected argument '%s'\n%s", argv[optind], ls_usage);
		return 1;
	}
	if (cmd_open_library(library, &lib, "ls"))
		return 1;
	if (vmlib_list(&lib, &e, &n, err, sizeof(err))) {
		fprintf(stderr, "vmdeck ls: %s\n", err);
		return 1;
	}
	if (json) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(e[i].name));
			json_object_object_add(o, "state", json_object_new_string(vmlib_state_name(e[i].state)));
			json_object_object_add(o, "cpus", json_object_new_int((int)e[i].cpus));
			json_object_object_add(o, "memory", json_object_new_int64((int64_t)e[i].memory));
			json_object_object_add(o, "pid", json_object_new_int((int)e[i].pid));
			json_object_object_add(o, "uptime_ns",
					       json_object_new_int64((int64_t)e[i].uptime_ns));
			json_object_object_add(o, "vnc", json_object_new_string(e[i].vnc));
			json_object_object_add(o, "last_event", json_object_new_string(e[i].last_event));
			json_object_object_add(o, "config", json_object_new_string(e[i].config_path));
			json_object_array_add(arr, o);
		}
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else {
		printf("%-16s %-9s %4s %7s %8s %-21s %s\n", "NAME", "STATE", "CPUS", "MEMORY", "UPTIME",
		       "VNC", "LAST EVENT");
		for (size_t i = 0; i < n; i++) {
			char up[32];
			fmt_uptime(e[i].uptime_ns, up, sizeof(up));
			printf("%-16s %-9s %4u %6lluM %8s %-21s %s\n", e[i].name, vmlib_state_name(e[i].state),
			       e[i].cpus, (unsigned long long)(e[i].memory >> 20), up,
			       e[i].vnc[0] ? e[i].vnc : "-", e[i].last_event);
		}
	}
	free(e);
	return 0;
}

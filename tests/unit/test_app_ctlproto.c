/* Control protocol: request parsing and replies (ctlsrv_process_line), and
 * the stats JSON round trip (vmctl_stats_to_json / vmctl_stats_from_json). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_server.h"
#include "vmproc.h"

static int calls;

static int fake_cmd(void *opaque, const char *cmd, json_object *req, json_object *reply,
		    char *err, size_t errlen)
{
	(void)opaque; (void)req;
	calls++;
	if (!strcmp(cmd, "status")) {
		json_object_object_add(reply, "state", json_object_new_string("running"));
		return 0;
	}
	snprintf(err, errlen, "unknown command '%s'", cmd);
	return -ENOSYS;
}

static json_object *run(const char *line)
{
	char *out = ctlsrv_process_line(line, strlen(line), fake_cmd, NULL);
	json_object *o;
	size_t n;

	cr_assert(out);
	n = strlen(out);
	cr_assert(n > 0 && out[n - 1] == '\n', "reply ends in a newline");
	cr_assert(!memchr(out, '\n', n - 1), "reply is one line");
	o = json_tokener_parse(out);
	free(out);
	cr_assert(o, "reply is JSON");
	return o;
}

static bool ok_of(json_object *o)
{
	json_object *v;
	cr_assert(json_object_object_get_ex(o, "ok", &v));
	return json_object_get_boolean(v);
}

static const char *error_of(json_object *o)
{
	json_object *v;
	return json_object_object_get_ex(o, "error", &v) ? json_object_get_string(v) : "";
}

Test(ctlproto, valid_request_echoes_id)
{
	json_object *o = run("{\"id\":42,\"cmd\":\"status\"}"), *v;
	cr_assert(ok_of(o));
	cr_assert(json_object_object_get_ex(o, "id", &v));
	cr_assert_eq(json_object_get_int(v), 42);
	cr_assert(json_object_object_get_ex(o, "state", &v));
	cr_assert_str_eq(json_object_get_string(v), "running");
	json_object_put(o);
}

Test(ctlproto, unknown_command)
{
	json_object *o = run("{\"id\":1,\"cmd\":\"reboot-the-host\"}");
	cr_assert(!ok_of(o));
	cr_assert(strstr(error_of(o), "unknown command"));
	json_object_put(o);
}

Test(ctlproto, malformed)
{
	static const char *const bad[] = {
		"{", "not json", "{\"id\":1,\"cmd\":\"status\"} trailing", "[1,2,3]", "42",
		"{\"id\":1}", "{\"id\":1,\"cmd\":7}", "{\"cmd\":null}", "\"status\"",
	};
	calls = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *o = run(bad[i]);
		cr_assert(!ok_of(o), "'%s' must be refused", bad[i]);
		cr_assert(error_of(o)[0], "'%s': error message", bad[i]);
		json_object_put(o);
	}
	cr_assert_eq(calls, 0, "nothing malformed reaches a command");
}

Test(ctlproto, deep_nesting_refused)
{
	char line[4096];
	size_t n = 0;
	n += (size_t)snprintf(line, sizeof(line), "{\"id\":1,\"cmd\":\"status\",\"x\":");
	for (int i = 0; i < 1000; i++)
		line[n++] = '[';
	line[n] = 0;
	json_object *o = run(line);
	cr_assert(!ok_of(o));
	json_object_put(o);
}

Test(ctlproto, embedded_nul_and_oversize)
{
	char line[] = "{\"id\":1,\"cmd\":\"status\"}\0garbage";
	char *out = ctlsrv_process_line(line, sizeof(line) - 1, fake_cmd, NULL);
	cr_assert(out && strstr(out, "\"ok\":false"));
	free(out);
	size_t big = VMPROC_LINE_MAX + 10;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	out = ctlsrv_process_line(huge, big, fake_cmd, NULL);
	cr_assert(out && strstr(out, "too long"));
	free(out);
	free(huge);
}

Test(ctlproto, stats_round_trip)
{
	struct vmctl_stats *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char err[256];
	json_object *o, *s;

	a->time_ns = 123456789012345ULL;
	a->uptime_ns = 5;
	a->nvcpus = 3;
	a->guest_ram_bytes = 64 << 20;
	a->guest_ram_resident = 1 << 20;
	a->vmm_resident = 7 << 20;
	a->unclaimed_pio = 1000;
	a->console_bytes = 77;
	a->vnc_clients = 2;
	snprintf(a->state, sizeof(a->state), "paused");
	for (unsigned i = 0; i < 3; i++) {
		struct vmctl_vcpu *v = &a->vcpu[i];
		v->id = i;
		v->tid = 1000 + (pid_t)i;
		v->last_cpu = (int)i * 2;
		v->host_cpu_ns = 999 + i;
		v->exits_kernel = 10 + i;
		v->exits_user = 20 + i;
		for (unsigned r = 0; r < VMCTL_REASONS; r++)
			v->by_reason[r] = r * 100 + i;
		v->run_ns = 1ULL << 40;
		v->halt_wakeups = 3;
		snprintf(v->mode, sizeof(v->mode), "long");
		v->cpl = 3;
		v->paging = true;
		v->rip = 0xffffffff81000000ULL;
		snprintf(v->state, sizeof(v->state), "running");
	}
	o = vmctl_stats_to_json(a);
	/* Through text, as on the socket. */
	s = json_tokener_parse(json_object_to_json_string(o));
	cr_assert_eq(vmctl_stats_from_json(s, b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(a, b, sizeof(*a)), 0, "stats survive the round trip");
	json_object_put(o);
	json_object_put(s);
	free(a);
	free(b);
}

Test(ctlproto, stats_parse_hostile)
{
	struct vmctl_stats *s = calloc(1, sizeof(*s));
	char err[256];
	json_object *o = json_tokener_parse("{\"vcpus\":[{\"id\":\"x\",\"by_reason\":7,"
					    "\"mode\":\"a-very-long-mode-name-indeed\",\"tid\":-5}]}");
	cr_assert_eq(vmctl_stats_from_json(o, s, err, sizeof(err)), 0);
	cr_assert_eq(s->nvcpus, 1);
	cr_assert_eq(s->vcpu[0].tid, 0);
	cr_assert_lt(strlen(s->vcpu[0].mode), sizeof(s->vcpu[0].mode));
	json_object_put(o);
	o = json_tokener_parse("{\"vcpus\":{}}");
	cr_assert_neq(vmctl_stats_from_json(o, s, err, sizeof(err)), 0);
	json_object_put(o);
	{
		/* more vCPUs than the struct holds */
		json_object *arr = json_object_new_array();
		o = json_object_new_object();
		for (int i = 0; i < VMCTL_MAX_VCPUS + 1; i++)
			json_object_array_add(arr, json_object_new_object());
		json_object_object_add(o, "vcpus", arr);
		cr_assert_neq(vmctl_stats_from_json(o, s, err, sizeof(err)), 0);
		json_object_put(o);
	}
	free(s);
}

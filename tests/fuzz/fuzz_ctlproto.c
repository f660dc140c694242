/* Control-socket requests as hostile input: ctlsrv_process_line (the
 * request parser and reply builder of app/control_server.c) on the input as
 * one line, with a command function that answers like the VM process does
 * (status with fields, unknown commands refused, arguments read from the
 * request). The reply must be one JSON object line ending in a newline.
 * The input is also handed to the client side's stats parser
 * (vmctl_stats_from_json), as a reply from a VM process would be. */
#include <errno.h>
#include <json-c/json.h>

#include "control_server.h"
#include "fuzz_util.h"
#include "vmproc.h"

static int cmd_fn(void *opaque, const char *cmd, json_object *req, json_object *reply,
		  char *err, size_t errlen)
{
	json_object *v;

	(void)opaque;
	if (!strcmp(cmd, "status")) {
		json_object_object_add(reply, "state", json_object_new_string("running"));
		return 0;
	}
	if (!strcmp(cmd, "snapshot") || !strcmp(cmd, "sendkey") || !strcmp(cmd, "restore")) {
		const char *key = cmd[1] == 'e' ? "keys" : "tag";
		if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "%s: missing \"%s\"", cmd, key);
			return -EINVAL;
		}
		json_object_object_add(reply, key, json_object_new_string(json_object_get_string(v)));
		return 0;
	}
	snprintf(err, errlen, "unknown command '%s'", cmd);
	return -ENOSYS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = ctlsrv_process_line((const char *)data, size, cmd_fn, NULL);
	size_t n;
	json_object *o;

	if (!out)
		abort();
	n = strlen(out);
	if (!n || out[n - 1] != '\n' || memchr(out, '\n', n - 1)) {
		fprintf(stderr, "fuzz_ctlproto: reply is not one line: %s\n", out);
		abort();
	}
	o = json_tokener_parse(out);
	if (!o || !json_object_is_type(o, json_type_object)) {
		fprintf(stderr, "fuzz_ctlproto: reply is not a JSON object: %s\n", out);
		abort();
	}
	json_object_put(o);
	free(out);

	/* The stats reply parser (client side). */
	struct json_tokener *tok = json_tokener_new_ex(32);
	o = json_tokener_parse_ex(tok, (const char *)data, (int)(size > 1 << 20 ? 1 << 20 : size));
	json_tokener_free(tok);
	if (o) {
		struct vmctl_stats s;
		char err[512];
		vmctl_stats_from_json(o, &s, err, sizeof(err));
		json_object_put(o);
	}
	return 0;
}

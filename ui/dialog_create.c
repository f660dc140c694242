/* The create wizard: template, name, vCPUs, memory, kernel, cmdline,
 * display, disk size; validated as you type; submitted to vmlib_create by
 * the caller. */
#include "dialogs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crt.h"
#include "fmt.h"
#include "vmctl.h"

static const char *const labels[DC_NFIELDS] = {
	[DC_TEMPLATE] = "Template", [DC_NAME] = "Name", [DC_CPUS] = "vCPUs",
	[DC_MEMORY] = "Memory", [DC_KERNEL] = "Kernel", [DC_CMDLINE] = "Cmdline",
	[DC_DISPLAY] = "Display", [DC_DISK] = "Disk size",
};

static bool is_text(int f)
{
	return f == DC_NAME || f == DC_CPUS || f == DC_MEMORY || f == DC_KERNEL || f == DC_CMDLINE ||
	       f == DC_DISK;
}

const char *dialog_name_problem(const char *name)
{
	size_t n = strlen(name);

	if (!n)
		return "required";
	if (n >= VMLIB_NAME_MAX)
		return "too long (max 63)";
	if (name[0] == '.' || name[0] == '-')
		return "must not start with '.' or '-'";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return "letters, digits, '_', '.', '-' only";
	return NULL;
}

static void apply_template(struct dialog_create *d)
{
	if (!d->ntpl)
		return;
	const struct vmlib_template *t = &d->tpl[d->tpl_sel];
	snprintf(d->text[DC_CPUS], DC_TEXT, "%u", t->cpus ? t->cpus : 1);
	if (t->memory % (1ull << 30) == 0 && t->memory)
		snprintf(d->text[DC_MEMORY], DC_TEXT, "%lluG", (unsigned long long)(t->memory >> 30));
	else
		snprintf(d->text[DC_MEMORY], DC_TEXT, "%lluM", (unsigned long long)(t->memory >> 20));
	d->display = t->has_display;
}

void dialog_create_open(struct dialog_create *d, const struct vmlib_template *tpl, size_t ntpl)
{
	memset(d, 0, sizeof(*d));
	d->open = true;
	d->tpl = tpl;
	d->ntpl = ntpl;
	d->field = DC_TEMPLATE;
	apply_template(d);
}

int dialog_create_validate(struct dialog_create *d, dc_exists_fn exists, void *ctx)
{
	int bad = 0;
	unsigned u;
	uint64_t sz;
	const char *p;

	memset(d->msg, 0, sizeof(d->msg));
#define BAD(f, ...) (snprintf(d->msg[f], sizeof(d->msg[f]), __VA_ARGS__), bad++)
	if (!d->ntpl)
		BAD(DC_TEMPLATE, "no templates found");
	if ((p = dialog_name_problem(d->text[DC_NAME])))
		BAD(DC_NAME, "%s", p);
	else if (exists && exists(ctx, d->text[DC_NAME]))
		BAD(DC_NAME, "a VM named '%.63s' exists", d->text[DC_NAME]);
	if (fmt_parse_uint(d->text[DC_CPUS], &u) < 0 || u < 1 || u > VMCTL_MAX_VCPUS)
		BAD(DC_CPUS, "1 to %d", VMCTL_MAX_VCPUS);
	if (fmt_parse_size(d->text[DC_MEMORY], &sz) < 0)
		BAD(DC_MEMORY, "a size like 64M or 1G");
	else if (sz < (16ull << 20) || sz > (64ull << 30))
		BAD(DC_MEMORY, "16M to 64G");
	p = d->text[DC_KERNEL];
	if (*p && *p != '@' && access(p, R_OK) < 0)
		BAD(DC_KERNEL, "no readable file '%.60s'", p);
	if (d->text[DC_DISK][0]) {
		if (fmt_parse_size(d->text[DC_DISK], &sz) < 0)
			BAD(DC_DISK, "a size like 1G, or empty");
		else if (sz && (sz < (1ull << 20) || sz > (2ull << 40)))
			BAD(DC_DISK, "1M to 2T, or empty for none");
	}
#undef BAD
	return bad;
}

int dialog_create_request(const struct dialog_create *d, struct vmlib_create_req *req)
{
	uint64_t sz = 0;

	memset(req, 0, sizeof(*req));
	snprintf(req->name, sizeof(req->name), "%.63s", d->text[DC_NAME]);
	if (d->ntpl)
		snprintf(req->template_name, sizeof(req->template_name), "%s", d->tpl[d->tpl_sel].name);
	if (fmt_parse_uint(d->text[DC_CPUS], &req->cpus) < 0)
		return -1;
	if (fmt_parse_size(d->text[DC_MEMORY], &req->memory) < 0)
		return -1;
	snprintf(req->kernel, sizeof(req->kernel), "%s", d->text[DC_KERNEL]);
	snprintf(req->cmdline, sizeof(req->cmdline), "%s", d->text[DC_CMDLINE]);
	req->display = d->display;
	if (d->text[DC_DISK][0] && fmt_parse_size(d->text[DC_DISK], &sz) < 0)
		return -1;
	req->disk_size = sz;
	return 0;
}

int dialog_create_key(struct dialog_create *d, int key, dc_exists_fn exists, void *ctx)
{
	char *txt = d->text[d->field];
	size_t len = strlen(txt);

	d->error[0] = 0;
	switch (key) {
	case 27:
		d->open = false;
		return DC_CLOSED;
	case '\t':
	case CRT_K_DOWN:
		d->field = (d->field + 1) % DC_NFIELDS;
		return DC_STAY;
	case CRT_K_BTAB:
	case CRT_K_UP:
		d->field = (d->field + DC_NFIELDS - 1) % DC_NFIELDS;
		return DC_STAY;
	case '\r':
	case '\n':
		if (d->field == DC_CANCEL) {
			d->open = false;
			return DC_CLOSED;
		}
		if (d->field == DC_CREATE)
			return dialog_create_validate(d, exists, ctx) ? DC_STAY : DC_SUBMIT;
		d->field++;
		return DC_STAY;
	default:
		break;
	}
	if (d->field == DC_TEMPLATE && d->ntpl) {
		if (key == CRT_K_LEFT || key == CRT_K_RIGHT || key == ' ') {
			d->tpl_sel = (d->tpl_sel + (key == CRT_K_LEFT ? d->ntpl - 1 : 1)) % d->ntpl;
			apply_template(d);
		}
	} else if (d->field == DC_DISPLAY) {
		if (key == ' ' || key == CRT_K_LEFT || key == CRT_K_RIGHT || key == 'x')
			d->display = !d->display;
	} else if (d->field == DC_CREATE || d->field == DC_CANCEL) {
		if (key == CRT_K_LEFT || key == CRT_K_RIGHT)
			d->field = d->field == DC_CREATE ? DC_CANCEL : DC_CREATE;
	} else if (is_text(d->field)) {
		if (key == CRT_K_BACKSPACE || key == 127 || key == 8) {
			if (len)
				txt[len - 1] = 0;
		} else if (key == 21) { /* ^U */
			txt[0] = 0;
		} else if (key >= 0x20 && key < 0x7f && len + 1 < DC_TEXT) {
			txt[len] = (char)key;
			txt[len + 1] = 0;
		}
	}
	dialog_create_validate(d, exists, ctx);
	return DC_STAY;
}

void dialog_create_draw(const struct dialog_create *d, struct crt *t)
{
	int w = t->cols - 4 < 84 ? t->cols - 4 : 84, h = 17;
	int y = (t->rows - h) / 2, x = (t->cols - w) / 2;
	int lx = x + 3, fx = x + 15, fw = 30, mx = fx + fw + 2;
	int cy = -1, cx = -1;

	if (y < 0)
		y = 0;
	for (int i = 0; i < h; i++)
		crt_fill(t, y + i, x, w, CRT_DIALOG);
	crt_box(t, y, x, h, w, CRT_DIALOG, "New VM");
	for (int f = 0; f <= DC_DISK; f++) {
		int row = y + 2 + f;
		bool act = f == d->field;
		enum crt_role in = act ? CRT_INPUT_ACTIVE : CRT_INPUT;
		crt_text(t, row, lx, 12, act ? CRT_BOLD : CRT_DIALOG, labels[f]);
		char buf[DC_TEXT + 64];
		if (f == DC_TEMPLATE) {
			if (d->ntpl)
				snprintf(buf, sizeof(buf), "< %s >", d->tpl[d->tpl_sel].name);
			else
				snprintf(buf, sizeof(buf), "(none)");
			crt_fill(t, row, fx, fw, in);
			crt_text(t, row, fx, fw, in, buf);
			if (d->ntpl && !d->msg[f][0])
				crt_text(t, row, mx, x + w - 2 - mx, CRT_DIALOG, d->tpl[d->tpl_sel].description);
		} else if (f == DC_DISPLAY) {
			crt_text(t, row, fx, fw, in, d->display ? "[x] on " : "[ ] off");
		} else {
			const char *s = d->text[f];
			int len = (int)strlen(s);
			/* Show the end of long input, where the cursor is. */
			if (len > fw - 1)
				s += len - (fw - 1);
			crt_fill(t, row, fx, fw, in);
			crt_text(t, row, fx, fw, in, s);
			if (!*d->text[f] && !act) {
				const char *hint = f == DC_KERNEL ? "template's" : f == DC_CMDLINE ? "template's"
						 : f == DC_DISK ? "none" : "";
				crt_text(t, row, fx, fw, CRT_INPUT, hint);
			}
			if (act) {
				cy = row;
				cx = fx + (len > fw - 1 ? fw - 1 : len);
			}
		}
		if (d->msg[f][0])
			crt_text(t, row, mx, x + w - 2 - mx, CRT_ERR, d->msg[f]);
	}
	int by = y + 2 + DC_DISK + 2;
	crt_text(t, by, fx, 12, d->field == DC_CREATE ? CRT_INPUT_ACTIVE : CRT_DIALOG, "[ Create ]");
	crt_text(t, by, fx + 13, 12, d->field == DC_CANCEL ? CRT_INPUT_ACTIVE : CRT_DIALOG, "[ Cancel ]");
	if (d->error[0])
		crt_text(t, by + 2, lx, w - 6, CRT_ERR, d->error);
	else
		crt_text(t, by + 2, lx, w - 6, CRT_DIALOG,
			 "Tab/arrows move, Left/Right choose, Space toggles, Enter next/create, Esc cancel");
	crt_cursor(t, cy, cx);
}

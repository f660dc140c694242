/* The dashboard's pure pieces: sparklines, rates from counter deltas,
 * layout math, number formatting, console scrollback, wizard validation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "conbuf.h"
#include "crt.h"
#include "dialogs.h"
#include "fmt.h"
#include "layout.h"
#include "rates.h"
#include "sparkline.h"

Test(ui_sparkline, levels)
{
	cr_assert_eq(spark_level(0, 10), 0);
	cr_assert_eq(spark_level(10, 10), 8);
	cr_assert_eq(spark_level(20, 10), 8);
	cr_assert_eq(spark_level(0.01, 10), 1, "any activity shows");
	cr_assert_eq(spark_level(5, 10), 4);
	cr_assert_eq(spark_level(5, 0), 0);
}

Test(ui_sparkline, render_right_aligned_ascii)
{
	double v[] = { 0, 5, 10 };
	char out[64];
	size_t n = spark_render(v, 3, 5, 1, false, out, sizeof(out));
	cr_assert_eq(n, 5);
	cr_assert_str_eq(out, "   -#");
}

Test(ui_sparkline, render_utf8_and_truncates_to_newest)
{
	double v[] = { 100, 0, 8 };
	char out[64];
	spark_render(v, 3, 2, 8, true, out, sizeof(out));
	cr_assert_str_eq(out, " \u2588", "only the newest 2 values, scaled to them");
}

Test(ui_sparkline, small_values_scaled_to_floor)
{
	double v[] = { 1, 1 };
	char out[64];
	spark_render(v, 2, 2, 8, false, out, sizeof(out));
	cr_assert_str_eq(out, "..", "1 of floor 8 is the lowest bar, not full");
}

Test(ui_sparkline, history_ring)
{
	struct spark_hist h;
	double out[SPARK_HIST];
	spark_clear(&h);
	for (int i = 0; i < SPARK_HIST + 5; i++)
		spark_push(&h, i);
	cr_assert_eq(spark_linear(&h, out, 3), 3);
	cr_assert_eq(out[0], SPARK_HIST + 2);
	cr_assert_eq(out[2], SPARK_HIST + 4);
	cr_assert_eq(spark_linear(&h, out, 1000), SPARK_HIST);
	cr_assert_eq(out[0], 5);
}

Test(ui_rates, per_sec_and_reset)
{
	cr_assert_float_eq(rates_per_sec(100, 600, 0.5), 1000.0, 1e-9);
	cr_assert_eq(rates_per_sec(600, 100, 0.5), 0, "counter went backwards (VM restarted)");
	cr_assert_eq(rates_per_sec(0, 100, 0), 0);
	cr_assert_float_eq(rates_pct(0, 250000000, 0.5), 50.0, 1e-9);
	cr_assert_float_eq(rates_pct(0, 2000000000, 0.5), 100.0, 1e-9, "clamped");
}

Test(ui_rates, vm_from_two_samples)
{
	static struct vmctl_stats a, b;
	struct rates_vm r;

	a.time_ns = 1000000000;
	b.time_ns = 1500000000; /* 0.5 s later */
	a.nvcpus = b.nvcpus = 2;
	a.vcpu[0].by_reason[VMCTL_R_IO] = 10;
	b.vcpu[0].by_reason[VMCTL_R_IO] = 510;
	a.vcpu[0].by_reason[VMCTL_R_TOTAL] = 20;
	b.vcpu[0].by_reason[VMCTL_R_TOTAL] = 620;
	b.vcpu[0].exits_user = 500;
	b.vcpu[0].exits_kernel = 100;
	b.vcpu[0].host_cpu_ns = 400000000;
	b.vcpu[1].halt_wait_ns = 500000000;
	b.vcpu[1].exits_kernel = 50; /* no per-reason total: kernel + user */
	cr_assert_eq(rates_vm(&a, &b, &r), 0);
	cr_assert_eq(r.nvcpus, 2);
	cr_assert_float_eq(r.vcpu[0].by_reason[VMCTL_R_IO], 1000.0, 1e-9);
	cr_assert_float_eq(r.vcpu[0].exits, 1200.0, 1e-9);
	cr_assert_float_eq(r.vcpu[0].user, 1000.0, 1e-9);
	cr_assert_float_eq(r.vcpu[0].kernel, 200.0, 1e-9);
	cr_assert_float_eq(r.vcpu[0].cpu_pct, 80.0, 1e-9);
	cr_assert_float_eq(r.vcpu[1].halted_pct, 100.0, 1e-9);
	cr_assert_float_eq(r.vcpu[1].exits, 100.0, 1e-9);
	cr_assert_float_eq(r.exits, 1300.0, 1e-9);
	cr_assert_eq(rates_vm(&b, &a, &r), -1, "samples out of order");
}

Test(ui_layout, standard_terminal)
{
	struct layout l;
	layout_compute(40, 120, 4, 4, true, 0, &l);
	cr_assert(!l.too_small);
	cr_assert_eq(l.title.y, 0);
	cr_assert_eq(l.footer.y, 39);
	cr_assert_eq(l.list.y, 1);
	cr_assert_geq(l.list.h, 5, "header + 4 VMs");
	cr_assert_eq(l.detail.y, l.list.y + l.list.h);
	cr_assert_eq(l.vcpus.y, l.detail.y + l.detail.h);
	cr_assert_eq(l.vcpus.h, 5, "header + 4 vCPUs");
	cr_assert_eq(l.console.y, l.vcpus.y + l.vcpus.h);
	cr_assert_eq(l.console.y + l.console.h, 39, "down to the footer");
	cr_assert_eq(l.console.w + l.preview.w, 120);
	cr_assert_gt(l.preview.h, 0);
	cr_assert_eq(l.events.y, l.preview.y + l.preview.h);
	cr_assert_eq(l.events.y + l.events.h, 39);
}

Test(ui_layout, no_preview_narrow_and_tiny)
{
	struct layout l;
	layout_compute(40, 120, 4, 0, false, 0, &l);
	cr_assert_eq(l.preview.h, 0);
	cr_assert_eq(l.vcpus.h, 0);
	cr_assert_eq(l.events.y, l.console.y, "events beside the console");
	layout_compute(30, 80, 4, 2, true, 0, &l);
	cr_assert_eq(l.console.w, 80, "narrow: console full width");
	cr_assert_eq(l.events.y, l.console.y + l.console.h);
	cr_assert_eq(l.events.y + l.events.h, 29);
	layout_compute(10, 40, 4, 2, true, 0, &l);
	cr_assert(l.too_small);
}

Test(ui_layout, many_vcpus_leave_room_for_the_console)
{
	struct layout l;
	layout_compute(40, 120, 4, 64, false, 0, &l);
	cr_assert_geq(l.console.h, 6);
	cr_assert_eq(l.console.y + l.console.h, 39);
}

Test(ui_layout, columns_by_priority)
{
	int w[] = { 3, 10, 5, 5 }, p[] = { 0, 2, 1, 0 };
	bool show[4];
	cr_assert_eq(layout_columns(w, p, 4, 100, show), 3 + 10 + 5 + 5 + 3);
	cr_assert(show[0] && show[1] && show[2] && show[3]);
	cr_assert_eq(layout_columns(w, p, 4, 16, show), 3 + 5 + 5 + 2);
	cr_assert(show[0] && !show[1] && show[2] && show[3]);
	cr_assert_eq(layout_columns(w, p, 4, 9, show), 9);
	cr_assert(show[0] && !show[1] && !show[2] && show[3]);
}

Test(ui_fmt, rates_bytes_durations)
{
	char b[32];
	fmt_rate(0, b, sizeof(b));
	cr_assert_str_eq(b, "0");
	fmt_rate(950, b, sizeof(b));
	cr_assert_str_eq(b, "950");
	fmt_rate(1234, b, sizeof(b));
	cr_assert_str_eq(b, "1.2k");
	fmt_rate(12345, b, sizeof(b));
	cr_assert_str_eq(b, "12k");
	fmt_rate(3400000, b, sizeof(b));
	cr_assert_str_eq(b, "3.4M");
	fmt_rate(2.5, b, sizeof(b));
	cr_assert_str_eq(b, "2.5");
	fmt_bytes(64ull << 20, b, sizeof(b));
	cr_assert_str_eq(b, "64M");
	fmt_bytes(1536ull << 20, b, sizeof(b));
	cr_assert_str_eq(b, "1.5G");
	fmt_bytes(100, b, sizeof(b));
	cr_assert_str_eq(b, "100B");
	fmt_duration(59000000000ull, b, sizeof(b));
	cr_assert_str_eq(b, "59s");
	fmt_duration(723000000000ull, b, sizeof(b));
	cr_assert_str_eq(b, "12m03s");
}

Test(ui_fmt, parse_size)
{
	uint64_t v;
	cr_assert_eq(fmt_parse_size("64M", &v), 0);
	cr_assert_eq(v, 64ull << 20);
	cr_assert_eq(fmt_parse_size("1g", &v), 0);
	cr_assert_eq(v, 1ull << 30);
	cr_assert_eq(fmt_parse_size("512KiB", &v), 0);
	cr_assert_eq(v, 512ull << 10);
	cr_assert_eq(fmt_parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_lt(fmt_parse_size("", &v), 0);
	cr_assert_lt(fmt_parse_size("12X", &v), 0);
	cr_assert_lt(fmt_parse_size("-1M", &v), 0);
	cr_assert_lt(fmt_parse_size("99999999999999T", &v), 0, "overflow");
	unsigned u;
	cr_assert_eq(fmt_parse_uint("4", &u), 0);
	cr_assert_eq(u, 4);
	cr_assert_lt(fmt_parse_uint("4x", &u), 0);
}

Test(ui_conbuf, lines_cr_backspace_escapes)
{
	static struct conbuf cb;
	conbuf_init(&cb);
	const char *s = "hello\r\nwor\bX\x1b[1;32mgreen\x1b[0m\n\tt\rA";
	conbuf_feed(&cb, s, strlen(s));
	cr_assert_eq(cb.count, 3);
	cr_assert_str_eq(conbuf_line(&cb, 0), "hello");
	cr_assert_str_eq(conbuf_line(&cb, 1), "woXgreen");
	cr_assert_str_eq(conbuf_line(&cb, 2), "A       t");
}

Test(ui_conbuf, scrollback_ring_keeps_newest)
{
	static struct conbuf cb;
	char line[32];
	conbuf_init(&cb);
	for (int i = 0; i < CONBUF_LINES + 10; i++) {
		int n = snprintf(line, sizeof(line), "line %d\n", i);
		conbuf_feed(&cb, line, (size_t)n);
	}
	cr_assert_eq(cb.count, CONBUF_LINES);
	/* The last line is the empty one after the final newline. */
	cr_assert_str_eq(conbuf_line(&cb, CONBUF_LINES - 2), "line 1009");
	cr_assert_str_eq(conbuf_line(&cb, 0), "line 11");
}

static bool exists_taken(void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "taken");
}

Test(ui_wizard, validation_messages_name_the_field)
{
	static struct vmlib_template tpl[2] = {
		{ .name = "hello", .cpus = 1, .memory = 64ull << 20 },
		{ .name = "smp", .cpus = 4, .memory = 128ull << 20 },
	};
	static struct dialog_create d;
	struct vmlib_create_req req;

	dialog_create_open(&d, tpl, 2);
	cr_assert_str_eq(d.text[DC_CPUS], "1");
	cr_assert_str_eq(d.text[DC_MEMORY], "64M");
	dialog_create_key(&d, CRT_K_RIGHT, exists_taken, NULL); /* template: smp */
	cr_assert_str_eq(d.text[DC_CPUS], "4");
	cr_assert_str_eq(d.text[DC_MEMORY], "128M");
	cr_assert_gt(dialog_create_validate(&d, exists_taken, NULL), 0);
	cr_assert_str_eq(d.msg[DC_NAME], "required");
	strcpy(d.text[DC_NAME], "taken");
	dialog_create_validate(&d, exists_taken, NULL);
	cr_assert(strstr(d.msg[DC_NAME], "exists"));
	strcpy(d.text[DC_NAME], "bad name");
	dialog_create_validate(&d, exists_taken, NULL);
	cr_assert(strstr(d.msg[DC_NAME], "letters"));
	strcpy(d.text[DC_NAME], "ok-1");
	strcpy(d.text[DC_CPUS], "0");
	strcpy(d.text[DC_MEMORY], "1M");
	strcpy(d.text[DC_DISK], "lots");
	strcpy(d.text[DC_KERNEL], "/nonexistent/kernel");
	cr_assert_eq(dialog_create_validate(&d, exists_taken, NULL), 4);
	cr_assert_str_eq(d.msg[DC_NAME], "");
	cr_assert_neq(d.msg[DC_CPUS][0], 0);
	cr_assert_neq(d.msg[DC_MEMORY][0], 0);
	cr_assert_neq(d.msg[DC_DISK][0], 0);
	cr_assert_neq(d.msg[DC_KERNEL][0], 0);
	strcpy(d.text[DC_CPUS], "2");
	strcpy(d.text[DC_MEMORY], "256M");
	strcpy(d.text[DC_DISK], "1G");
	d.text[DC_KERNEL][0] = 0;
	cr_assert_eq(dialog_create_validate(&d, exists_taken, NULL), 0);
	cr_assert_eq(dialog_create_request(&d, &req), 0);
	cr_assert_str_eq(req.name, "ok-1");
	cr_assert_str_eq(req.template_name, "smp");
	cr_assert_eq(req.cpus, 2);
	cr_assert_eq(req.memory, 256ull << 20);
	cr_assert_eq(req.disk_size, 1ull << 30);
}

Test(ui_wizard, typing_and_submit)
{
	static struct vmlib_template tpl[1] = { { .name = "hello", .cpus = 1, .memory = 64ull << 20 } };
	static struct dialog_create d;

	dialog_create_open(&d, tpl, 1);
	cr_assert_eq(dialog_create_key(&d, '\t', exists_taken, NULL), DC_STAY);
	cr_assert_eq(d.field, DC_NAME);
	const char *name = "vm1";
	for (const char *p = name; *p; p++)
		dialog_create_key(&d, *p, exists_taken, NULL);
	dialog_create_key(&d, 'x', exists_taken, NULL);
	dialog_create_key(&d, CRT_K_BACKSPACE, exists_taken, NULL);
	cr_assert_str_eq(d.text[DC_NAME], "vm1");
	d.field = DC_CREATE;
	cr_assert_eq(dialog_create_key(&d, '\r', exists_taken, NULL), DC_SUBMIT);
	d.field = DC_CANCEL;
	cr_assert_eq(dialog_create_key(&d, '\r', exists_taken, NULL), DC_CLOSED);
	cr_assert(!d.open);
}

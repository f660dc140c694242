/* The VM list: one row per defined VM. */
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "uictx.h"

static enum crt_role state_role(enum vmlib_state s)
{
	switch (s) {
	case VMLIB_RUNNING: return CRT_OK;
	case VMLIB_PAUSED:
	case VMLIB_STARTING:
	case VMLIB_STOPPING: return CRT_WARN;
	case VMLIB_DEAD: return CRT_ERR;
	case VMLIB_STOPPED: break;
	}
	return CRT_DIM;
}

static void keep_visible(struct ui *ui, int rows)
{
	if (rows < 1)
		rows = 1;
	if ((int)ui->sel < ui->list_top)
		ui->list_top = (int)ui->sel;
	if ((int)ui->sel >= ui->list_top + rows)
		ui->list_top = (int)ui->sel - rows + 1;
	if (ui->list_top < 0)
		ui->list_top = 0;
}

int panel_vmlist_hit(const struct ui *ui, const struct ui_rect *r, int y)
{
	int idx = ui->list_top + (y - r->y - 1);

	if (y <= r->y || idx < 0 || (size_t)idx >= ui->model.nvm)
		return -1;
	return idx;
}

void panel_vmlist_draw(struct ui *ui, const struct ui_rect *r)
{
	struct crt *t = &ui->crt;
	int rows = r->h - 1, spark_w = r->w - 118;

	if (spark_w < 8)
		spark_w = r->w >= 100 ? 8 : 0;
	if (spark_w > 24)
		spark_w = 24;
	keep_visible(ui, rows);
	crt_fill(t, r->y, r->x, r->w, CRT_HEADER);
	crt_textf(t, r->y, r->x, r->w, CRT_HEADER, " %-14s %-9s %4s %6s %6s %7s %-*s %-21s %-10s %s", "NAME",
		  "STATE", "CPUS", "MEM", "CPU%", "EXITS/s", spark_w, spark_w ? "ACTIVITY" : "", "VNC",
		  "PASSWORD", "LAST EVENT");
	if (!ui->model.nvm) {
		crt_text(t, r->y + 1, r->x + 1, r->w - 2, CRT_DIM,
			 ui->model.list_err[0] ? ui->model.list_err : "No VMs defined. Press n (F7) to create one.");
		return;
	}
	for (int i = 0; i < rows; i++) {
		size_t idx = (size_t)(ui->list_top + i);
		if (idx >= ui->model.nvm)
			break;
		const struct model_vm *v = &ui->model.vm[idx];
		bool sel = idx == ui->sel;
		int y = r->y + 1 + i, x = r->x;
		enum crt_role base = sel ? CRT_SELECTED : CRT_NORMAL;
		char mem[16], cpu[16] = "-", ex[16] = "-", spark[SPARK_HIST * 3 + 1] = "";
		if (sel)
			crt_fill(t, y, r->x, r->w, CRT_SELECTED);
		fmt_bytes(v->e.memory, mem, sizeof(mem));
		if (v->have_rates && model_vm_live(v)) {
			snprintf(cpu, sizeof(cpu), "%.0f", v->rates.cpu_pct);
			fmt_rate(v->rates.exits, ex, sizeof(ex));
		}
		if (spark_w) {
			double h[SPARK_HIST];
			unsigned n = spark_linear(&v->exits_hist, h, (unsigned)spark_w);
			spark_render(h, n, (unsigned)spark_w, 10, t->utf8, spark, sizeof(spark));
		}
		x += crt_textf(t, y, x, r->w, base, " %-14.14s ", v->e.name);
		x += crt_textf(t, y, x, r->x + r->w - x, sel ? base : state_role(v->e.state), "%-9s",
			       model_state_name(v->e.state));
		x += crt_textf(t, y, x, r->x + r->w - x, base, " %4u %6s %6s %7s ", v->e.cpus, mem, cpu, ex);
		if (spark_w)
			x += crt_textf(t, y, x, r->x + r->w - x, sel ? base : CRT_SPARK, "%s ", spark);
		x += crt_textf(t, y, x, r->x + r->w - x, base, "%-21.21s %-10.10s ",
			       v->e.vnc[0] ? v->e.vnc : (v->e.has_display ? "(display)" : "-"),
			       v->e.vnc_password[0] ? v->e.vnc_password : "-");
		crt_text(t, y, x, r->x + r->w - x, v->e.state == VMLIB_DEAD && !sel ? CRT_ERR : base,
			 v->e.last_event);
	}
}

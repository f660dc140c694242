/* The selected VM's summary (state, uptime, VNC), its memory line, and
 * its snapshot tree when it has snapshots. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "uictx.h"

/* Rows 2.. of the detail: "Snapshots" and a window of the tree that keeps
 * the current snapshot in view. */
static void draw_snaps(struct ui *ui, const struct ui_rect *r, const char *vm)
{
	struct crt *t = &ui->crt;
	const struct snapset *set = &ui->snaps;
	int rows = r->h - 3;
	char label[160], when[32], size[16];
	time_t now = time(NULL);

	if (rows < 1 || !set->n || strcmp(set->vm, vm))
		return;
	size_t first = 0, cur = snaptree_current_row(set->s, set->row, set->n);
	if (set->n > (size_t)rows) {
		first = cur > (size_t)rows / 2 ? cur - (size_t)rows / 2 : 0;
		if (first + (size_t)rows > set->n)
			first = set->n - (size_t)rows;
	}
	int x = 1;
	x += crt_textf(t, r->y + 2, x, r->w - 2, CRT_HEADER, "Snapshots (%zu)", set->n);
	if (set->n > (size_t)rows)
		crt_textf(t, r->y + 2, x, r->w - 1 - x, CRT_DIM, "  %zu-%zu shown, r lists all", first + 1,
			  first + (size_t)rows);
	else
		crt_text(t, r->y + 2, x, r->w - 1 - x, CRT_DIM, "  * current   s takes one, r restores, C clones");
	/* The tag column as wide as the widest label shown. */
	int tw = 10;
	for (size_t i = first; i < first + (size_t)rows && i < set->n; i++) {
		snaptree_label(snapset_at(set, i), set->row[i].depth, false, label, sizeof(label));
		if ((int)strlen(label) > tw)
			tw = (int)strlen(label);
	}
	if (tw > r->w / 2)
		tw = r->w / 2;
	for (int i = 0; i < rows && first + (size_t)i < set->n; i++) {
		size_t row = first + (size_t)i;
		const struct vmsnap_info *s = snapset_at(set, row);
		int y = r->y + 3 + i;
		snaptree_label(s, set->row[row].depth, t->utf8, label, sizeof(label));
		snaptime_fmt(s->created, now, when, sizeof(when));
		fmt_bytes(s->bytes, size, sizeof(size));
		crt_text(t, y, 2, tw, s->current ? CRT_BOLD : CRT_NORMAL, label);
		crt_textf(t, y, 2 + tw, r->w - 3 - tw, CRT_DIM, "  %-12s %6s%s%s", when, size,
			  s->parent[0] ? "  from " : "", s->parent);
	}
}

void panel_detail_draw(struct ui *ui, const struct ui_rect *r)
{
	struct crt *t = &ui->crt;
	const struct model_vm *v = ui_selected(ui);
	char a[16], b[16], c[16], up[16];

	if (!v)
		return;
	if (!model_vm_live(v)) {
		crt_textf(t, r->y, 1, r->w - 2, CRT_BOLD, "%s: %s, %u vCPUs, %s memory%s  -  Enter/F2 starts it",
			  v->e.name, model_state_name(v->e.state), v->e.cpus,
			  (fmt_bytes(v->e.memory, a, sizeof(a)), a), v->e.has_display ? ", display" : "");
		crt_textf(t, r->y + 1, 1, r->w - 2, CRT_DIM, "%s%s%s", v->e.config_path,
			  v->e.last_event[0] ? "   last: " : "", v->e.last_event);
		draw_snaps(ui, r, v->e.name);
		return;
	}
	fmt_duration(v->e.uptime_ns, up, sizeof(up));
	int x = 1;
	x += crt_textf(t, r->y, x, r->w - x, CRT_BOLD, "%s", v->e.name);
	x += crt_textf(t, r->y, x, r->w - x, v->e.state == VMLIB_RUNNING ? CRT_OK : CRT_WARN, " %s",
		       v->have_cur && v->cur->state[0] ? v->cur->state : model_state_name(v->e.state));
	crt_textf(t, r->y, x, r->w - x, CRT_NORMAL, "  pid %d  up %s  %u vCPUs%s%s%s%s", (int)v->e.pid, up,
		  v->e.cpus, v->e.vnc[0] ? "  VNC " : "", v->e.vnc,
		  v->e.vnc_password[0] ? " password " : "", v->e.vnc_password);
	draw_snaps(ui, r, v->e.name);
	if (!v->have_cur) {
		crt_textf(t, r->y + 1, 1, r->w - 2, CRT_DIM, "statistics: %s",
			  v->stats_err[0] ? v->stats_err : "waiting for the first sample");
		return;
	}
	const struct vmctl_stats *s = v->cur;
	fmt_bytes(s->guest_ram_resident, a, sizeof(a));
	fmt_bytes(s->guest_ram_bytes ? s->guest_ram_bytes : v->e.memory, b, sizeof(b));
	fmt_bytes(s->vmm_resident, c, sizeof(c));
	char ex[16], disks[96] = "", rd[16], wr[16];
	fmt_rate(v->have_rates ? v->rates.exits : 0, ex, sizeof(ex));
	if (s->disks) {
		fmt_bytes(s->disk_read_bytes, rd, sizeof(rd));
		fmt_bytes(s->disk_write_bytes, wr, sizeof(wr));
		snprintf(disks, sizeof(disks), " | disks %u: read %s, written %s, errors %llu", s->disks,
			 rd, wr, (unsigned long long)s->disk_errors);
	}
	crt_textf(t, r->y + 1, 1, r->w - 2, CRT_NORMAL,
		  "Memory: guest RAM %s resident of %s | VMM overhead %s | exits %s/s | host CPU %.0f%% | "
		  "unclaimed pio %llu mmio %llu | console %lluB | VNC clients %u%s",
		  a, b, c, ex, v->have_rates ? v->rates.cpu_pct : 0.0, (unsigned long long)s->unclaimed_pio,
		  (unsigned long long)s->unclaimed_mmio, (unsigned long long)s->console_bytes, s->vnc_clients,
		  disks);
}

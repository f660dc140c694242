/* The selected VM's summary (state, uptime, VNC) and its memory line. */
#include <stdio.h>

#include "fmt.h"
#include "uictx.h"

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
	if (!v->have_cur) {
		crt_textf(t, r->y + 1, 1, r->w - 2, CRT_DIM, "statistics: %s",
			  v->stats_err[0] ? v->stats_err : "waiting for the first sample");
		return;
	}
	const struct vmctl_stats *s = v->cur;
	fmt_bytes(s->guest_ram_resident, a, sizeof(a));
	fmt_bytes(s->guest_ram_bytes ? s->guest_ram_bytes : v->e.memory, b, sizeof(b));
	fmt_bytes(s->vmm_resident, c, sizeof(c));
	char ex[16];
	fmt_rate(v->have_rates ? v->rates.exits : 0, ex, sizeof(ex));
	crt_textf(t, r->y + 1, 1, r->w - 2, CRT_NORMAL,
		  "Memory: guest RAM %s resident of %s | VMM overhead %s | exits %s/s | host CPU %.0f%% | "
		  "unclaimed pio %llu mmio %llu | console %lluB | VNC clients %u",
		  a, b, c, ex, v->have_rates ? v->rates.cpu_pct : 0.0, (unsigned long long)s->unclaimed_pio,
		  (unsigned long long)s->unclaimed_mmio, (unsigned long long)s->console_bytes, s->vnc_clients);
}

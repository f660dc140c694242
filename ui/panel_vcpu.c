/* One row per vCPU: exits/s by reason, kernel vs. VMM-handled, halted %,
 * mode and CPL, RIP, thread id, host CPU%, and a sparkline of exits/s.
 * Columns that do not fit are dropped, least important first. */
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "uictx.h"

enum col {
	C_ID, C_TID, C_HOST, C_HALT, C_MODE, C_CPL, C_RIP, C_EXITS, C_KERN, C_USER,
	C_R0, /* C_R0 + reason, for VMCTL_R_IO .. VMCTL_R_OTHER */
	C_SPARK = C_R0 + VMCTL_R_TOTAL,
	C_N,
};

static const char *const reason_hdr[VMCTL_R_TOTAL] = {
	[VMCTL_R_IO] = "IO", [VMCTL_R_MMIO] = "MMIO", [VMCTL_R_HLT] = "HLT", [VMCTL_R_CPUID] = "CPUID",
	[VMCTL_R_MSR] = "MSR", [VMCTL_R_IRQ_WINDOW] = "IRQW", [VMCTL_R_EMULATION] = "EMUL",
	[VMCTL_R_INTR] = "INTR", [VMCTL_R_EXTIRQ] = "EXTI", [VMCTL_R_PF] = "PF", [VMCTL_R_OTHER] = "OTHER",
};
static const int reason_prio[VMCTL_R_TOTAL] = {
	[VMCTL_R_IO] = 2, [VMCTL_R_MMIO] = 2, [VMCTL_R_HLT] = 2, [VMCTL_R_CPUID] = 3, [VMCTL_R_MSR] = 3,
	[VMCTL_R_IRQ_WINDOW] = 5, [VMCTL_R_EMULATION] = 3, [VMCTL_R_INTR] = 4, [VMCTL_R_EXTIRQ] = 5,
	[VMCTL_R_PF] = 5, [VMCTL_R_OTHER] = 6,
};

void panel_vcpu_draw(struct ui *ui, const struct ui_rect *r)
{
	static const char *const hdr[C_R0] = { "CPU", "TID", "HOST%", "HALT%", "MODE", "CPL", "RIP",
					       "EXITS/s", "KERN/s", "VMM/s" };
	static const int base_w[C_R0] = { 3, 7, 5, 5, 6, 3, 16, 7, 6, 6 };
	static const int base_p[C_R0] = { 0, 1, 0, 2, 0, 1, 0, 0, 1, 1 };
	int width[C_N], prio[C_N];
	bool show[C_N];
	struct crt *t = &ui->crt;
	const struct model_vm *v = ui_selected(ui);

	if (!v || r->h < 2 || !v->have_cur)
		return;
	for (int c = 0; c < C_R0; c++) {
		width[c] = base_w[c];
		prio[c] = base_p[c];
	}
	for (int q = 0; q < VMCTL_R_TOTAL; q++) {
		width[C_R0 + q] = 5;
		prio[C_R0 + q] = reason_prio[q];
	}
	width[C_SPARK] = 8;
	prio[C_SPARK] = 1;
	int used = layout_columns(width, prio, C_N, r->w - 2, show);
	if (show[C_SPARK])
		width[C_SPARK] += r->w - 2 - used; /* the rest goes to the sparkline */
	if (width[C_SPARK] > SPARK_HIST)
		width[C_SPARK] = SPARK_HIST;

	/* Header. */
	crt_fill(t, r->y, r->x, r->w, CRT_HEADER);
	int x = r->x + 1;
	for (int c = 0; c < C_N; c++) {
		if (!show[c])
			continue;
		const char *h = c < C_R0 ? hdr[c] : c == C_SPARK ? "ACTIVITY" : reason_hdr[c - C_R0];
		bool left = c == C_MODE || c == C_RIP || c == C_SPARK;
		crt_textf(t, r->y, x, r->x + r->w - x, CRT_HEADER, left ? "%-*s" : "%*s", width[c], h);
		x += width[c] + 1;
	}
	const struct vmctl_stats *s = v->cur;
	unsigned n = s->nvcpus < VMCTL_MAX_VCPUS ? s->nvcpus : VMCTL_MAX_VCPUS;
	for (unsigned i = 0; i < n && (int)i < r->h - 1; i++) {
		const struct vmctl_vcpu *c = &s->vcpu[i];
		const struct rates_vcpu *rt = v->have_rates && i < v->rates.nvcpus ? &v->rates.vcpu[i] : NULL;
		int y = r->y + 1 + (int)i;
		bool paused = !strcmp(c->state, "paused") || v->e.state == VMLIB_PAUSED;
		bool exited = !strcmp(c->state, "exited");
		enum crt_role role = exited ? CRT_DIM : paused ? CRT_WARN : CRT_NORMAL;
		char buf[SPARK_HIST * 3 + 1];
		x = r->x + 1;
		for (int col = 0; col < C_N; col++) {
			if (!show[col])
				continue;
			int w = width[col];
			switch (col) {
			case C_ID: snprintf(buf, sizeof(buf), "%*u", w, c->id); break;
			case C_TID: snprintf(buf, sizeof(buf), "%*d", w, (int)c->tid); break;
			case C_HOST: snprintf(buf, sizeof(buf), "%*.0f", w, rt ? rt->cpu_pct : 0.0); break;
			case C_HALT: snprintf(buf, sizeof(buf), "%*.0f", w, rt ? rt->halted_pct : 0.0); break;
			case C_MODE:
				snprintf(buf, sizeof(buf), "%-*.*s", w, w, c->mode[0] ? c->mode : c->state);
				break;
			case C_CPL: snprintf(buf, sizeof(buf), "%*u", w, c->cpl); break;
			case C_RIP: snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)c->rip); break;
			case C_SPARK: {
				double h[SPARK_HIST];
				unsigned hn = spark_linear(&v->vcpu_hist[i], h, (unsigned)w);
				spark_render(h, hn, (unsigned)w, 10, t->utf8, buf, sizeof(buf));
				crt_text(t, y, x, w, CRT_SPARK, buf);
				x += w + 1;
				continue;
			}
			default: {
				char num[16];
				double val = 0;
				if (rt)
					val = col == C_EXITS ? rt->exits : col == C_KERN ? rt->kernel
					    : col == C_USER ? rt->user : rt->by_reason[col - C_R0];
				fmt_rate(val, num, sizeof(num));
				snprintf(buf, sizeof(buf), "%*s", w, num);
				break;
			}
			}
			crt_text(t, y, x, w, role, buf);
			x += w + 1;
		}
	}
}

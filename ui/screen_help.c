/* The help screen (? or F1). */
#include "uictx.h"

static const char *const help[] = {
	"vmdeck - a terminal VM workstation on KVM",
	"",
	"Every VM is its own process: VMs keep running when the dashboard quits and",
	"show up again (re-attached) the next time it starts. Everything here also",
	"exists as a command: vmdeck ls, start, stop, console, stats, create, rm,",
	"snapshot, snapshots, restore, snapshot-rm, clone.",
	"",
	"VM list",
	"  Up/Down, Home/End, click    select a VM",
	"  Enter, F2                   start (or resume) the selected VM",
	"  F3, S                       stop (powerdown), after confirmation",
	"  p, F4                       pause / resume",
	"  k, F9                       kill, after confirmation",
	"  c, click on console         type into the serial console",
	"  n, F7                       new VM (the create wizard)",
	"  d, F8, Delete               delete a stopped VM, after confirmation",
	"  PgUp/PgDn                   scroll the console back / forward",
	"",
	"Snapshots and clones",
	"  s                           snapshot the running VM (a tag from the time;",
	"                              type to replace it); it keeps running",
	"  r                           restore: pick a snapshot (tree, * = current);",
	"                              a running VM reverts in place after a",
	"                              confirmation, a stopped one starts from it;",
	"                              d in the picker deletes one (asks first)",
	"  C, F5                       clone: new name, linked or full disks, from",
	"                              now or from a snapshot; a running VM's clone",
	"                              starts running with its own VNC port",
	"  The detail shows the snapshot tree (indented by parent, * current);",
	"  progress and results go to the title bar and the event log.",
	"  ?, h, F1                    this help",
	"  q, F10                      quit (asks whether to stop running VMs)",
	"",
	"Console (focused)",
	"  every key goes to the guest's serial port; Ctrl-] returns to the list;",
	"  PgUp/PgDn scroll the scrollback.",
	"",
	"vCPU columns",
	"  HOST%   host CPU time of the vCPU thread      HALT%  time halted (HLT)",
	"  MODE    real, prot32, long; CPL the privilege level; RIP the last sampled",
	"  EXITS/s all exits; KERN/s handled inside KVM; VMM/s those reaching vmdeck",
	"  IO MMIO HLT CPUID MSR IRQW INTR EXTI PF OTHER: exits/s by reason",
	"  EMUL    instructions/s run by KVM's emulator (not exits; on PVM hosts all",
	"          guest kernel-mode code is emulated, so CPUID there shows here, not",
	"          in CPUID, which counts only what KVM reports as exits)",
	"  MSR     RDMSR/WRMSR exits that reach vmdeck: all of them when the VM has",
	"          trap_msrs = true (the exits demo does), else only what KVM forwards",
	"",
	"Rates are computed from deltas of cumulative counters sampled every 500 ms.",
	"Colours: NO_COLOR=1 or a monochrome terminal switch to reverse/bold only.",
	"",
	"Press any key to return.",
};

void screen_help_draw(struct ui *ui)
{
	struct crt *t = &ui->crt;
	int n = (int)(sizeof(help) / sizeof(help[0]));

	crt_fill(t, 0, 0, t->cols, CRT_TITLE);
	crt_text(t, 0, 1, t->cols - 2, CRT_TITLE, "vmdeck help");
	for (int i = 0; i + ui->help_top < n && i < t->rows - 2; i++)
		crt_text(t, 1 + i, 2, t->cols - 4, i + ui->help_top == 0 ? CRT_BOLD : CRT_NORMAL,
			 help[i + ui->help_top]);
}

int screen_help_key(struct ui *ui, int key)
{
	int n = (int)(sizeof(help) / sizeof(help[0]));

	if (key == CRT_K_DOWN && ui->help_top + 1 < n)
		ui->help_top++;
	else if (key == CRT_K_UP && ui->help_top > 0)
		ui->help_top--;
	else
		ui->help_open = false;
	return UI_REDRAW;
}

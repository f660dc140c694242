/* hello: banner and command line on COM1, then exit 0 (or exit=N).
 * With echo=1 it then reads COM1 and answers each line with "echo: LINE"
 * until it reads "quit" (exit 0): a guest that takes serial input, for
 * console tests. Between polls it halts for ~1 ms on a LAPIC timer, so an
 * idle guest costs almost nothing. */
#include "rt.h"

#define COM1 0x3F8
#define VEC_TIMER 0x40
#define POLL_COUNT 1000000u /* ~1 ms at the 1 GHz APIC clock KVM emulates */

static volatile bool timer_fired;

static void timer_irq(struct trap_frame *tf)
{
	(void)tf;
	timer_fired = true;
	lapic_eoi();
}

static void echo_loop(void)
{
	char line[128];
	size_t n = 0;

	lapic_init();
	rt_set_handler(VEC_TIMER, timer_irq);
	lapic_write(LAPIC_TMR_DIV, 0xB);
	lapic_write(LAPIC_LVT_TMR, VEC_TIMER);
	kprintf("hello: echo mode, type lines, 'quit' ends\n");
	for (;;) {
		while (inb(COM1 + 5) & 1) { /* LSR.DR */
			char c = (char)inb(COM1);
			if (c == '\r' || c == '\n') {
				line[n] = 0;
				if (n) {
					kprintf("echo: %s\n", line);
					if (n == 4 && !strncmp(line, "quit", 4))
						rt_exit(0);
				}
				n = 0;
			} else if (n < sizeof(line) - 1) {
				line[n++] = c;
			}
		}
		timer_fired = false;
		lapic_write(LAPIC_TMR_ICR, POLL_COUNT);
		while (!timer_fired)
			safe_halt();
	}
}

void guest_main(void)
{
	kprintf("vmdeck hello guest\n");
	kprintf("cmdline: %s\n", boot.cmdline);
	if (cmdline_u64("echo", 0))
		echo_loop();
	rt_exit((uint32_t)cmdline_u64("exit", 0));
}

/* CPU setup: per-CPU TSS in the shared GDT, the IDT, trap dispatch, the
 * system calls (ud2 or int 0x80 from ring 3) and the switch to ring 3. */
#include "rt.h"

uint8_t rt_kstacks[MAX_CPUS][KSTACK_SIZE] __attribute__((aligned(KSTACK_SIZE)));
uint8_t rt_ustacks[MAX_CPUS][USTACK_SIZE] __attribute__((aligned(4096)));
volatile uint64_t guest_ticks;

extern uint64_t rt_gdt[];
extern const uint64_t rt_isr_table[256];
extern uint32_t mb_magic, mb_info;
uint64_t rt_user_enter(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t ustack_top,
		       uint64_t *save_ksp, uint64_t rflags, uint64_t *tss_rsp0);
void rt_user_resume(uint64_t ksp, uint64_t value) __attribute__((noreturn));
void rt_bsp_main(uint32_t magic, uint32_t info);
void rt_ap_main(unsigned index);
void rt_trap(struct trap_frame *tf);
void boot_parse(uint32_t magic, uint32_t info);
void smp_ap_entered(struct percpu *pc);

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type_attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
static irq_handler_fn handlers[256];

static void idt_build(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t a = rt_isr_table[v];
		idt[v].off_lo = (uint16_t)a;
		idt[v].sel = SEL_KCODE;
		idt[v].ist = 0;
		/* Interrupt gates (IF cleared on entry); int 0x80 callable from CPL3. */
		idt[v].type_attr = v == VEC_SYSCALL ? 0xEE : 0x8E;
		idt[v].off_mid = (uint16_t)(a >> 16);
		idt[v].off_hi = (uint32_t)(a >> 32);
		idt[v].zero = 0;
	}
}

static void cpu_load_tables(unsigned index)
{
	struct percpu *pc = this_cpu();
	uint64_t base = (uint64_t)&pc->tss, limit = sizeof(pc->tss) - 1;

	pc->tss.iomap_base = sizeof(pc->tss); /* no I/O bitmap: CPL3 I/O faults */
	/* 64-bit available TSS descriptor (SDM vol. 3, 8.2.3), type 0x9, P=1. */
	rt_gdt[SEL_TSS(index) / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
				     (0x89ull << 40) | (((limit >> 16) & 0xF) << 48) |
				     (((base >> 24) & 0xFF) << 56);
	rt_gdt[SEL_TSS(index) / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" ::"r"(SEL_TSS(index)));
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

void rt_bsp_main(uint32_t magic, uint32_t info)
{
	struct percpu *pc = this_cpu();

	pc->index = 0;
	serial_init();
	idt_build();
	cpu_load_tables(0);
	pic_init(0xFF, 0xFF); /* remapped off the exception vectors, all masked */
	boot_parse(magic, info);
	if (magic != 0x2BADB002)
		kprintf("warning: EAX 0x%x is not the Multiboot magic\n", magic);
	guest_main();
	rt_exit(EXIT_OK);
}

void rt_ap_main(unsigned index)
{
	struct percpu *pc = this_cpu();

	pc->index = index;
	cpu_load_tables(index);
	smp_ap_entered(pc);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void rt_set_handler(unsigned vector, irq_handler_fn fn)
{
	if (vector < 256)
		handlers[vector] = fn;
}

__attribute__((weak)) uint64_t guest_syscall(struct trap_frame *tf)
{
	(void)tf;
	return (uint64_t)-1;
}

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?", "#TS", "#NP", "#SS", "#GP", "#PF", "?",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static uint64_t do_syscall(struct trap_frame *tf)
{
	switch (tf->rax) {
	case SYS_USER_RETURN:
		if ((tf->cs & 3) != 3)
			rt_panic("SYS_USER_RETURN from CPL0");
		rt_user_resume(this_cpu()->user_ksp, tf->rdi);
	case SYS_WRITE:
		serial_write((const char *)tf->rdi, tf->rsi);
		return tf->rsi;
	case SYS_OUTB:
		outb((uint16_t)tf->rdi, (uint8_t)tf->rsi);
		return 0;
	case SYS_INB:
		return inb((uint16_t)tf->rdi);
	case SYS_TICKS:
		return guest_ticks;
	case SYS_WAIT:
		safe_halt();
		return 0;
	default:
		return guest_syscall(tf);
	}
}

void rt_trap(struct trap_frame *tf)
{
	unsigned v = (unsigned)tf->vector;

	this_cpu()->irq_count[v]++;
	if (v == VEC_SYSCALL) {
		tf->rax = do_syscall(tf);
		return;
	}
	if (v == 6 && (tf->cs & 3) == 3 && *(const volatile uint16_t *)tf->rip == 0x0B0F) {
		tf->rip += 2; /* ud2 as the system call instruction, see rt.h */
		tf->rax = do_syscall(tf);
		return;
	}
	if (v < 32) {
		uint64_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		rt_panic("exception %u %s error 0x%lx rip 0x%lx cs 0x%lx rsp 0x%lx cr2 0x%lx cpu %u", v,
			 exc_names[v] ? exc_names[v] : "?", tf->error, tf->rip, tf->cs, tf->rsp, cr2,
			 this_cpu()->index);
	}
	if (handlers[v])
		handlers[v](tf);
	/* Else: spurious (LAPIC 0xFF, PIC IRQ 7/15) or unexpected: ignored. */
}

uint64_t rt_user_call(uint64_t (*fn)(uint64_t), uint64_t arg, bool interrupts)
{
	struct percpu *pc = this_cpu();
	uint64_t top = (uint64_t)&rt_ustacks[pc->index][USTACK_SIZE];

	/* TSS.rsp0 sits at offset 4 (unaligned by definition; fine on x86). */
	uint64_t *rsp0 = (uint64_t *)(void *)((uint8_t *)&pc->tss + offsetof(struct tss64, rsp));

	return rt_user_enter(fn, arg, top, &pc->user_ksp, 0x2 | (interrupts ? 0x200 : 0), rsp0);
}

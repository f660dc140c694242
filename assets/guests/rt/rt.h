/* vmdeck guest runtime: the small shared kernel of the built-in guests.
 *
 * Boot (rt/entry.asm): Multiboot v1 entry in 32-bit protected mode, switch to
 * long mode with an identity map of the first 4 GiB, then rt_bsp_main()
 * (rt/cpu.c) sets up serial, GDT/TSS/IDT, parses the Multiboot info and calls
 * the guest's guest_main(). Kernel code (CPL0) is kept small because PVM
 * emulates it instruction by instruction; heavy loops run at CPL3 through
 * rt_user_call(), and ring 3 does I/O only through system calls (syscall3).
 *
 * Exit status convention (port 0xF4): 0 success, 1 check failed, 2 bad
 * command line, 3 CPU exception / panic. */
#ifndef VMDECK_GUEST_RT_H
#define VMDECK_GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CPUS      16
#define KSTACK_SIZE   (1u << 15) /* keep in sync with defs.inc KSTACK_SHIFT */
#define USTACK_SIZE   (1u << 16)

#define SEL_KCODE     0x08
#define SEL_KDATA     0x10
#define SEL_UDATA     0x20
#define SEL_UCODE     0x28
#define SEL_TSS(i)    (0x30 + 16 * (i))

#define PORT_COM1       0x3F8
#define PORT_DEBUG_EXIT 0xF4
#define LAPIC_BASE      0xFEE00000u
#define IOAPIC_BASE     0xFEC00000u
#define TRAMPOLINE_ADDR 0x80000u /* AP real-mode trampoline: SIPI vector 0x80 */

/* Interrupt vectors. */
#define VEC_PIC_BASE   0x20 /* IRQ n of the 8259 pair -> 0x20 + n */
#define VEC_LAPIC_TIMER 0x40
#define VEC_SYSCALL    0x80
#define VEC_SPURIOUS   0xFF

#define EXIT_OK      0
#define EXIT_FAIL    1
#define EXIT_USAGE   2
#define EXIT_PANIC   3

/* ---- port I/O and CPU helpers ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
/* sti;hlt: the sti shadow makes the hlt happen before a pending interrupt is
 * taken, so a wake-up cannot be lost between the check and the hlt. */
static inline void safe_halt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
/* One 32-bit MMIO access = one mov instruction (easy for an emulator). */
static inline uint32_t mmio_read32(uintptr_t a)
{
	uint32_t v;
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline void mmio_write32(uintptr_t a, uint32_t v)
{
	__asm__ volatile("movl %0, (%1)" ::"r"(v), "r"(a) : "memory");
}

/* ---- per-CPU data: lives at the bottom of each CPU's kernel stack ---- */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct percpu {
	unsigned index;      /* 0 = BSP, then in check-in order */
	unsigned apic_id;
	uint64_t user_ksp;   /* kernel rsp saved by rt_user_call */
	struct tss64 tss;
	volatile uint32_t irq_count[256];
};

extern uint8_t rt_kstacks[MAX_CPUS][KSTACK_SIZE];
extern uint8_t rt_ustacks[MAX_CPUS][USTACK_SIZE];

/* Valid at CPL0 only (in ring 3 rsp is on the user stack). */
static inline struct percpu *this_cpu(void)
{
	uintptr_t sp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	return (struct percpu *)(sp & ~(uintptr_t)(KSTACK_SIZE - 1));
}

/* ---- traps ---- */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
typedef void (*irq_handler_fn)(struct trap_frame *tf);
void rt_set_handler(unsigned vector, irq_handler_fn fn);
/* Guest-specific system calls (numbers >= SYS_GUEST_BASE) go here; weak. */
uint64_t guest_syscall(struct trap_frame *tf);

/* ---- ring 3 ---- */
/* Runs fn(arg) at CPL3 on this CPU's user stack with the given interrupt
 * flag; returns fn's result. */
uint64_t rt_user_call(uint64_t (*fn)(uint64_t), uint64_t arg, bool interrupts);

/* System calls: number in rax, arguments in rdi, rsi, rdx; result in rax.
 * The instruction is ud2 at CPL3: the #UD handler recognises it (CPL3, bytes
 * 0F 0B at rip), runs the call and resumes after it. int 0x80 (a DPL3 gate)
 * is accepted too, but PVM turns int n from ring 3 into #UD, while
 * exceptions from ring 3 reach the guest kernel everywhere. */
enum {
	SYS_USER_RETURN = 0, /* (value): leave ring 3, rt_user_call returns value */
	SYS_WRITE = 1,       /* (buf, len): write to COM1, whole call under the lock */
	SYS_OUTB = 2,        /* (port, value) */
	SYS_INB = 3,         /* (port) -> value */
	SYS_TICKS = 4,       /* () -> timer ticks counted by the guest (guest_ticks) */
	SYS_WAIT = 5,        /* (): sti; hlt once at CPL0 */
	SYS_GUEST_BASE = 16,
};
static inline uint64_t syscall3(uint64_t n, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t r;
	__asm__ volatile("ud2" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "memory");
	return r;
}
/* printf from ring 3: formats on the user stack, one SYS_WRITE per call. */
int uprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern volatile uint64_t guest_ticks;

/* ---- console and exit ---- */
void serial_init(void);
void serial_write(const char *s, size_t n); /* takes the console lock */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf_(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf_(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rt_exit(uint32_t code) __attribute__((noreturn));
void rt_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

struct spinlock { volatile uint32_t locked; };
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

/* ---- boot information (copied out of the Multiboot info at entry) ---- */
struct mb_mmap_entry { uint64_t addr, len; uint32_t type; };
struct boot_info {
	uint32_t magic, flags;
	uint32_t mem_lower_kib, mem_upper_kib;  /* flags bit 0 */
	char cmdline[1024];                     /* flags bit 2, "" if absent */
	unsigned mmap_count;                    /* flags bit 6 */
	struct mb_mmap_entry mmap[32];
	unsigned mods_count;                    /* flags bit 3 */
	struct { uint32_t start, end; } mods[8];
	bool has_fb;                            /* flags bit 12 */
	uint64_t fb_addr;
	uint32_t fb_pitch, fb_width, fb_height;
	uint8_t fb_bpp, fb_type;
	uint8_t fb_rgb[6];                      /* red pos/size, green, blue */
};
extern struct boot_info boot;

/* Command line "key=value" words (other words are ignored). Numbers are
 * decimal or 0x-hex, with an optional k (x1000) or m (x1000000) suffix. */
bool cmdline_get(const char *key, char *out, size_t outlen);
uint64_t cmdline_u64(const char *key, uint64_t def);

/* ---- devices: PIC, PIT, LAPIC ---- */
void pic_init(uint8_t master_mask, uint8_t slave_mask); /* remap to 0x20/0x28 */
void pic_eoi(unsigned irq);
void pit_delay_us(uint32_t us);   /* busy wait on PIT channel 2 (port 0x61) */
void pit_periodic(uint32_t hz);   /* channel 0, mode 2 */
void pit_oneshot(uint32_t count); /* channel 0, mode 0 */
bool lapic_present(void);
void lapic_init(void);            /* software-enable, spurious vector 0xFF */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
unsigned lapic_id(void);
void lapic_eoi(void);
void lapic_timer_oneshot(uint32_t count, uint8_t vector); /* divide by 1 */
#define LAPIC_ID      0x20
#define LAPIC_EOI     0xB0
#define LAPIC_SVR     0xF0
#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310
#define LAPIC_LVT_TMR 0x320
#define LAPIC_LVT0    0x350
#define LAPIC_TMR_ICR 0x380
#define LAPIC_TMR_CCR 0x390
#define LAPIC_TMR_DIV 0x3E0

/* ---- SMP ---- */
struct cpu_table {
	const char *source; /* "mp", "acpi" or "none" */
	unsigned count;
	unsigned apic_ids[MAX_CPUS];
};
void smp_find_cpus(struct cpu_table *t);
/* Starts the APs (INIT-SIPI-SIPI each, or broadcast when t->count == 0) and
 * waits for each to check in; ap_main runs on each AP at CPL0 after its
 * GDT/TSS/IDT/LAPIC are set up. Returns the number of CPUs online (BSP too). */
unsigned smp_start_aps(const struct cpu_table *t, void (*ap_main)(struct percpu *), uint32_t timeout_ms);
extern volatile unsigned smp_online;

/* ---- misc ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* Provided by each guest. */
void guest_main(void);

#endif

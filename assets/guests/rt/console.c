/* COM1 output (8250, polled), printf-lite, exit through port 0xF4.
 *
 * Each character costs two port exits under a VMM: an LSR read (0x3FD) and a
 * THR write (0x3F8). Guests print outside their measured loops. */
#include "rt.h"

static struct spinlock console_lock;

void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_relax();
}

void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

void serial_init(void)
{
	outb(PORT_COM1 + 1, 0x00); /* IER: no interrupts */
	outb(PORT_COM1 + 3, 0x80); /* LCR: DLAB */
	outb(PORT_COM1 + 0, 0x01); /* DLL: 115200 baud */
	outb(PORT_COM1 + 1, 0x00); /* DLM */
	outb(PORT_COM1 + 3, 0x03); /* LCR: 8N1 */
	outb(PORT_COM1 + 2, 0x07); /* FCR: FIFO on, cleared */
	outb(PORT_COM1 + 4, 0x03); /* MCR: DTR, RTS */
}

static void serial_putc(char c)
{
	while (!(inb(PORT_COM1 + 5) & 0x20)) /* LSR.THRE */
		cpu_relax();
	outb(PORT_COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	spin_lock(&console_lock);
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
	spin_unlock(&console_lock);
}

static size_t fmt_num(char *tmp, uint64_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t n = 0;
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	return n;
}

int vsnprintf_(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t o = 0;
#define PUT(ch) do { if (o + 1 < size) buf[o] = (ch); o++; } while (0)
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			PUT(*fmt);
			continue;
		}
		fmt++;
		bool left = false, zero = false;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else
				break;
		}
		unsigned width = 0;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		int lng = 0;
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		char tmp[24];
		const char *s = tmp;
		size_t len = 0;
		bool neg = false;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t u = (uint64_t)v;
			if (v < 0) {
				neg = true;
				u = -u;
			}
			len = fmt_num(tmp, u, 10, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'p': {
			uint64_t u;
			if (*fmt == 'p')
				u = (uint64_t)va_arg(ap, void *);
			else
				u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			len = fmt_num(tmp, u, *fmt == 'u' ? 10 : 16, *fmt == 'X');
			if (*fmt == 'p') {
				PUT('0');
				PUT('x');
			}
			break;
		}
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			len = 1;
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			len = strlen(s);
			break;
		case '%':
			tmp[0] = '%';
			len = 1;
			break;
		default:
			PUT('%');
			if (!*fmt)
				goto out;
			PUT(*fmt);
			continue;
		}
		bool numeric = s == tmp && *fmt != 'c' && *fmt != '%';
		size_t total = len + neg;
		if (!left && !(zero && numeric))
			for (size_t i = total; i < width; i++)
				PUT(' ');
		if (neg)
			PUT('-');
		if (!left && zero && numeric)
			for (size_t i = total; i < width; i++)
				PUT('0');
		if (numeric) /* digits were produced least significant first */
			for (size_t i = len; i > 0; i--)
				PUT(tmp[i - 1]);
		else
			for (size_t i = 0; i < len; i++)
				PUT(s[i]);
		if (left)
			for (size_t i = total; i < width; i++)
				PUT(' ');
	}
out:
	if (size)
		buf[o < size ? o : size - 1] = 0;
#undef PUT
	return (int)o;
}

int snprintf_(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf_(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

int kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf_(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	serial_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

/* Ring-3 safe: no privileged instructions, output through SYS_WRITE. */
int uprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf_(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	syscall3(SYS_WRITE, (uint64_t)buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, 0);
	return n;
}

void rt_exit(uint32_t code)
{
	/* vmdeck: the VM stops, `vmdeck run` exits with code; QEMU's
	 * isa-debug-exit exits with (code << 1) | 1. */
	outl(PORT_DEBUG_EXIT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void rt_panic(const char *fmt, ...)
{
	char buf[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf_(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("panic: %s\n", buf);
	rt_exit(EXIT_PANIC);
}

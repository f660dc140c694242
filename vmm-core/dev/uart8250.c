/* 16550A UART; see uart8250.h. Section and table references are to the
 * National Semiconductor PC16550D datasheet (June 1995). */
#include <errno.h>
#include <string.h>

#include <linux/serial_reg.h>

#include "dev/uart8250.h"

/* IIR bits 7:6 read 11 when FIFOs are enabled (datasheet table II); the uapi
 * header does not export the kernel's UART_IIR_FIFO_ENABLED_16550A. */
#define UART_IIR_FIFO_BITS 0xc0
/* Writable bits: IER 3:0 (bits 7:4 are always 0 on a 16550A; Linux's
 * autoconfig relies on bit 6 reading back 0 to rule out an XScale UART),
 * MCR 4:0. */
#define UART_IER_MASK 0x0f
#define UART_MCR_MASK 0x1f
/* Modem inputs seen when not in loopback: a terminal that is always there. */
#define UART_MSR_IDLE (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

static unsigned uart_fifo_cap(const struct uart8250 *u)
{
	return (u->fcr & UART_FCR_ENABLE_FIFO) ? UART8250_FIFO_SIZE : 1;
}

static unsigned uart_rx_trigger(const struct uart8250 *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 }; /* FCR bits 7:6 */
	return levels[u->fcr >> 6];
}

static uint8_t uart_word_mask(const struct uart8250 *u)
{
	return (uint8_t)((1u << (5 + (u->lcr & 3))) - 1); /* LCR 1:0 = 5..8 bits */
}

/* Interrupt identification, highest priority first (datasheet table IV):
 * receiver line status, received data (or character timeout), THR empty,
 * modem status. */
static uint8_t uart_iir(const struct uart8250 *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE_FIFO) ? UART_IIR_FIFO_BITS : 0;

	if ((u->ier & UART_IER_RLSI) && u->lsr_err)
		return UART_IIR_RLSI | fifo;
	if ((u->ier & UART_IER_RDI) && u->fifo_count) {
		/* Below the trigger level the real chip raises a character
		 * timeout after four character times; there is no line time
		 * here, so the timeout is reported at once. */
		if (fifo && u->fifo_count < uart_rx_trigger(u))
			return UART_IIR_RX_TIMEOUT | fifo;
		return UART_IIR_RDI | fifo;
	}
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI | fifo;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_ANY_DELTA))
		return UART_IIR_MSI | fifo;
	return UART_IIR_NO_INT | fifo;
}

static void uart_update_irq(struct uart8250 *u)
{
	int level = !(uart_iir(u) & UART_IIR_NO_INT) && (u->mcr & UART_MCR_OUT2) &&
		    !(u->mcr & UART_MCR_LOOP);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_set(&u->irq, u->gsi, level);
	}
}

/* New modem input levels (bits 7:4); latches the delta bits (section 8.7). */
static void uart_set_modem_inputs(struct uart8250 *u, uint8_t in)
{
	uint8_t old = u->msr & 0xf0, delta = 0;

	if ((old ^ in) & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if ((old ^ in) & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(in & UART_MSR_RI))
		delta |= UART_MSR_TERI; /* trailing edge only */
	if ((old ^ in) & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->msr = (uint8_t)(in | (u->msr & UART_MSR_ANY_DELTA) | delta);
}

/* In loopback the four modem outputs feed the four inputs (section 8.6):
 * DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
static uint8_t uart_modem_inputs(const struct uart8250 *u)
{
	uint8_t m = u->mcr, in = 0;

	if (!(m & UART_MCR_LOOP))
		return UART_MSR_IDLE;
	if (m & UART_MCR_DTR)
		in |= UART_MSR_DSR;
	if (m & UART_MCR_RTS)
		in |= UART_MSR_CTS;
	if (m & UART_MCR_OUT1)
		in |= UART_MSR_RI;
	if (m & UART_MCR_OUT2)
		in |= UART_MSR_DCD;
	return in;
}

static void uart_fifo_clear(struct uart8250 *u)
{
	u->fifo_head = u->fifo_count = 0;
}

static void uart_fifo_push(struct uart8250 *u, uint8_t b)
{
	u->fifo[(u->fifo_head + u->fifo_count) % UART8250_FIFO_SIZE] = b;
	u->fifo_count++;
}

/* Moves host bytes into the receive FIFO while it has room. In loopback the
 * serial input is disconnected from the line, so host bytes wait. */
static void uart_refill(struct uart8250 *u)
{
	uint8_t mask = uart_word_mask(u);

	if (u->mcr & UART_MCR_LOOP)
		return;
	while (u->rxq_count && u->fifo_count < uart_fifo_cap(u)) {
		uart_fifo_push(u, u->rxq[u->rxq_head] & mask);
		u->rxq_head = (u->rxq_head + 1) % UART8250_RXQ_SIZE;
		u->rxq_count--;
	}
}

static void uart_overrun(struct uart8250 *u)
{
	u->lsr_err |= UART_LSR_OE;
	u->stats.overruns++;
}

/* A transmitted byte in loopback mode arrives at the receiver. When the
 * FIFO is full the byte in the shift register is lost (FIFO mode) or
 * overwrites the holding register (16450 mode); either way OE is set
 * (LSR bit 1 description). */
static void uart_loopback_rx(struct uart8250 *u, uint8_t b)
{
	if (u->fifo_count < uart_fifo_cap(u)) {
		uart_fifo_push(u, b);
		return;
	}
	if (!(u->fcr & UART_FCR_ENABLE_FIFO))
		u->fifo[u->fifo_head] = b;
	uart_overrun(u);
}

static void uart_transmit(struct uart8250 *u, uint8_t b)
{
	b &= uart_word_mask(u);
	/* Writing THR clears the THRE interrupt ... */
	u->thr_ipending = 0;
	uart_update_irq(u);
	if (u->mcr & UART_MCR_LOOP) {
		uart_loopback_rx(u, b);
	} else {
		if (u->con)
			console_write(u->con, &b, 1);
		u->stats.tx_bytes++;
	}
	/* ... and the byte leaves at once, so THR is empty again and the
	 * interrupt re-arms, as when a real byte moves to the shift register. */
	u->thr_ipending = 1;
}

static uint8_t uart_read_reg(struct uart8250 *u, unsigned off)
{
	uint8_t v = 0xff, iir;

	switch (off) {
	case UART_RX: /* also UART_DLL */
		if (u->lcr & UART_LCR_DLAB)
			return u->dll;
		if (u->fifo_count) {
			u->rbr = u->fifo[u->fifo_head];
			u->fifo_head = (u->fifo_head + 1) % UART8250_FIFO_SIZE;
			u->fifo_count--;
			uart_refill(u);
		}
		return u->rbr;
	case UART_IER: /* also UART_DLM */
		return (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		iir = uart_iir(u);
		/* Reading IIR while THRE is the reported source clears it. */
		if ((iir & UART_IIR_ID) == UART_IIR_THRI)
			u->thr_ipending = 0;
		return iir;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = (uint8_t)(UART_LSR_THRE | UART_LSR_TEMT | u->lsr_err |
			      (u->fifo_count ? UART_LSR_DR : 0));
		u->lsr_err = 0; /* error bits clear on read */
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= (uint8_t)~UART_MSR_ANY_DELTA;
		return v;
	case UART_SCR:
		return u->scr;
	}
	return v;
}

static void uart_write_fcr(struct uart8250 *u, uint8_t v)
{
	/* FCR0 must be set for the other bits to take effect, and changing
	 * FCR0 clears both FIFOs (section 8.4). There is no transmit FIFO to
	 * clear: transmission is instantaneous. */
	if (!(v & UART_FCR_ENABLE_FIFO)) {
		if (u->fcr & UART_FCR_ENABLE_FIFO)
			uart_fifo_clear(u);
		u->fcr = 0;
		return;
	}
	if (!(u->fcr & UART_FCR_ENABLE_FIFO) || (v & UART_FCR_CLEAR_RCVR))
		uart_fifo_clear(u);
	u->fcr = v & (UART_FCR_ENABLE_FIFO | UART_FCR_DMA_SELECT | UART_FCR_TRIGGER_MASK);
}

static void uart_write_reg(struct uart8250 *u, unsigned off, uint8_t v)
{
	uint8_t old;

	switch (off) {
	case UART_TX:
		if (u->lcr & UART_LCR_DLAB)
			u->dll = v;
		else
			uart_transmit(u, v);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = v;
			break;
		}
		old = u->ier;
		u->ier = v & UART_IER_MASK;
		/* Enabling ETBEI while THR is empty raises THRE at once; Linux's
		 * startup THRE test (serial8250_do_startup) checks that it is
		 * re-asserted after IER is toggled. THR is always empty here. */
		if (!(old & UART_IER_THRI) && (u->ier & UART_IER_THRI))
			u->thr_ipending = 1;
		break;
	case UART_FCR:
		uart_write_fcr(u, v);
		uart_refill(u);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & UART_MCR_MASK;
		uart_set_modem_inputs(u, uart_modem_inputs(u));
		uart_refill(u); /* leaving loopback reconnects the line */
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default: /* LSR and MSR writes are factory-test only: ignored */
		break;
	}
}

static void uart8250_read(void *dev, uint64_t offset, void *data, unsigned size)
{
	struct uart8250 *u = dev;
	uint8_t *out = data;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size; i++) {
		out[i] = uart_read_reg(u, (unsigned)((offset + i) & 7));
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
}

static void uart8250_write(void *dev, uint64_t offset, const void *data, unsigned size)
{
	struct uart8250 *u = dev;
	const uint8_t *in = data;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size; i++) {
		uart_write_reg(u, (unsigned)((offset + i) & 7), in[i]);
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
}

const struct bus_ops uart8250_ops = {
	.read = uart8250_read,
	.write = uart8250_write,
};

int uart8250_init(struct uart8250 *u, struct console *con, const struct irq_sink *irq,
		  unsigned gsi)
{
	int err;

	memset(u, 0, sizeof(*u));
	err = pthread_mutex_init(&u->lock, NULL);
	if (err)
		return -err;
	u->con = con;
	if (irq)
		u->irq = *irq;
	u->gsi = gsi;
	/* Reset values, datasheet table IV "UART reset configuration": all
	 * registers 0 except LSR (THRE|TEMT) and the MSR input bits. The
	 * divisor latch is undefined at reset; 12 = 9600 baud is what PC
	 * BIOSes leave, and they leave the line at 8N1 too: Multiboot kernels
	 * that write COM1 without programming it rely on that (with LCR 0 the
	 * word length would be 5 bits and the text would be mangled). */
	u->dll = 12;
	u->lcr = UART_LCR_WLEN8;
	u->thr_ipending = 0;
	u->msr = UART_MSR_IDLE;
	return 0;
}

void uart8250_destroy(struct uart8250 *u)
{
	pthread_mutex_destroy(&u->lock);
}

size_t uart8250_receive(struct uart8250 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	/* Bytes go through the host queue into the FIFO; refilling after each
	 * one lets the FIFO take its share before the queue counts as full. */
	while (n < len && u->rxq_count < UART8250_RXQ_SIZE) {
		u->rxq[(u->rxq_head + u->rxq_count) % UART8250_RXQ_SIZE] = buf[n++];
		u->rxq_count++;
		uart_refill(u);
	}
	u->stats.rx_bytes += n;
	if (n < len) {
		/* The guest loses these bytes; tell it, as a real UART would. */
		u->stats.rx_dropped += len - n;
		uart_overrun(u);
	}
	uart_refill(u);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart8250_rx_room(struct uart8250 *u)
{
	size_t room;

	pthread_mutex_lock(&u->lock);
	room = UART8250_RXQ_SIZE - u->rxq_count;
	pthread_mutex_unlock(&u->lock);
	return room;
}

void uart8250_get_stats(struct uart8250 *u, struct uart8250_stats *out)
{
	pthread_mutex_lock(&u->lock);
	*out = u->stats;
	pthread_mutex_unlock(&u->lock);
}

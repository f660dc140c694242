/* 16550A UART register model: every register, DLAB, FIFO, interrupt
 * identification priority, Linux's probe sequences, RX flood, console. */
#include <pthread.h>
#include <sched.h>

#include <criterion/criterion.h>
#include <linux/serial_reg.h>

#include "console.h"
#include "dev/uart8250.h"
#include "dev_test_util.h"

static struct uart8250 u;
static struct console con;
static struct irq_rec rec;

static void setup(void)
{
	struct irq_sink sink = irq_rec_sink(&rec);

	console_init(&con);
	cr_assert_eq(uart8250_init(&u, &con, &sink, 4), 0);
}

static void teardown(void)
{
	uart8250_destroy(&u);
	console_destroy(&con);
}

static uint8_t in(unsigned off)
{
	return dev_in8(&uart8250_ops, &u, off);
}

static void out(unsigned off, uint8_t v)
{
	dev_out8(&uart8250_ops, &u, off, v);
}

static size_t console_text(char *buf, size_t len)
{
	size_t n = console_tail(&con, (uint8_t *)buf, len - 1);
	buf[n] = 0;
	return n;
}

TestSuite(uart8250, .init = setup, .fini = teardown);

Test(uart8250, reset_state)
{
	cr_assert_eq(in(UART_IER), 0);
	cr_assert_eq(in(UART_IIR), UART_IIR_NO_INT);
	cr_assert_eq(in(UART_LCR), UART_LCR_WLEN8); /* 8N1, as firmware leaves it */
	cr_assert_eq(in(UART_MCR), 0);
	cr_assert_eq(in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	cr_assert_eq(in(UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	cr_assert_eq(rec.level[4], 0);
}

Test(uart8250, scratch_and_lcr)
{
	for (unsigned v = 0; v < 256; v += 37) {
		out(UART_SCR, (uint8_t)v);
		cr_assert_eq(in(UART_SCR), v);
	}
	out(UART_LCR, 0x1b);
	cr_assert_eq(in(UART_LCR), 0x1b);
}

Test(uart8250, ier_and_mcr_writable_bits)
{
	out(UART_IER, 0xff);
	cr_assert_eq(in(UART_IER), 0x0f, "IER bits 7:4 read 0 on a 16550A");
	out(UART_IER, 0);
	out(UART_MCR, 0xff);
	cr_assert_eq(in(UART_MCR), 0x1f);
}

Test(uart8250, dlab_selects_divisor_latch)
{
	out(UART_IER, 0x05);
	out(UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	out(UART_DLL, 0x01);
	out(UART_DLM, 0x02);
	cr_assert_eq(in(UART_DLL), 0x01);
	cr_assert_eq(in(UART_DLM), 0x02);
	out(UART_LCR, UART_LCR_WLEN8);
	cr_assert_eq(in(UART_IER), 0x05, "DLM write must not touch IER");
	/* DLL write with DLAB set is not a transmission. */
	cr_assert_eq(con.total, 0);
	out(UART_LCR, UART_LCR_DLAB);
	cr_assert_eq(in(UART_DLL), 0x01);
	cr_assert_eq(in(UART_DLM), 0x02);
}

Test(uart8250, tx_goes_to_console)
{
	const char *msg = "hello, world\n";
	char buf[64];
	struct uart8250_stats st;

	out(UART_LCR, UART_LCR_WLEN8);
	for (const char *p = msg; *p; p++) {
		cr_assert(in(UART_LSR) & UART_LSR_THRE);
		out(UART_TX, (uint8_t)*p);
	}
	console_text(buf, sizeof(buf));
	cr_assert_str_eq(buf, msg);
	uart8250_get_stats(&u, &st);
	cr_assert_eq(st.tx_bytes, strlen(msg));
}

Test(uart8250, tx_word_length_masks_data)
{
	char buf[8];

	out(UART_LCR, UART_LCR_WLEN7);
	out(UART_TX, 0xC1);
	console_text(buf, sizeof(buf));
	cr_assert_eq((uint8_t)buf[0], 0x41);
}

Test(uart8250, wide_access_is_split_into_bytes)
{
	/* outw to base+7 would straddle; outw to base+3 writes LCR and MCR. */
	uint8_t w[2] = { 0x03, 0x08 };

	uart8250_ops.write(&u, UART_LCR, w, 2);
	cr_assert_eq(in(UART_LCR), 0x03);
	cr_assert_eq(in(UART_MCR), 0x08);
}

Test(uart8250, fifo_enable_bits_in_iir)
{
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	cr_assert_eq(in(UART_IIR), 0xc0 | UART_IIR_NO_INT);
	out(UART_FCR, 0);
	cr_assert_eq(in(UART_IIR), UART_IIR_NO_INT);
}

Test(uart8250, rx_fifo_16_then_host_queue)
{
	uint8_t data[40];

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)('A' + i);
	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	cr_assert_eq(uart8250_receive(&u, data, sizeof(data)), sizeof(data));
	cr_assert_eq(u.fifo_count, 16);
	for (unsigned i = 0; i < sizeof(data); i++) {
		cr_assert(in(UART_LSR) & UART_LSR_DR, "byte %u", i);
		cr_assert_eq(in(UART_RX), data[i]);
	}
	cr_assert_eq(in(UART_LSR) & UART_LSR_DR, 0);
	/* Empty FIFO: RBR keeps returning the last byte. */
	cr_assert_eq(in(UART_RX), data[sizeof(data) - 1]);
}

Test(uart8250, rx_without_fifo_holds_one_byte)
{
	uint8_t data[3] = { 1, 2, 3 };

	out(UART_LCR, UART_LCR_WLEN8);
	uart8250_receive(&u, data, 3);
	cr_assert_eq(u.fifo_count, 1);
	cr_assert_eq(in(UART_RX), 1);
	cr_assert_eq(in(UART_RX), 2);
	cr_assert_eq(in(UART_RX), 3);
	cr_assert_eq(in(UART_LSR) & UART_LSR_DR, 0);
}

Test(uart8250, fcr_clear_rcvr)
{
	uint8_t data[4] = { 1, 2, 3, 4 };

	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	uart8250_receive(&u, data, 4);
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	cr_assert_eq(in(UART_LSR) & UART_LSR_DR, 0);
}

Test(uart8250, rx_flood_drops_and_counts)
{
	static uint8_t big[UART8250_RXQ_SIZE + 100];
	struct uart8250_stats st;
	size_t accepted;

	memset(big, 'x', sizeof(big));
	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_IER, UART_IER_RLSI);
	out(UART_MCR, UART_MCR_OUT2);
	/* FIFO disabled: 1 byte in RBR, 4096 in the host queue. */
	accepted = uart8250_receive(&u, big, sizeof(big));
	cr_assert_eq(accepted, UART8250_RXQ_SIZE + 1);
	uart8250_get_stats(&u, &st);
	cr_assert_eq(st.rx_dropped, sizeof(big) - accepted);
	cr_assert_eq(st.rx_bytes, accepted);
	cr_assert_eq(uart8250_rx_room(&u), 0);
	/* The guest sees an overrun, as line status interrupt. */
	cr_assert_eq(in(UART_IIR), UART_IIR_RLSI);
	cr_assert_eq(rec.level[4], 1);
	cr_assert(in(UART_LSR) & UART_LSR_OE);
	cr_assert_eq(in(UART_LSR) & UART_LSR_OE, 0, "OE clears on read");
	cr_assert_eq(rec.level[4], 0);
	/* More input is still dropped, never grows anything. */
	cr_assert_eq(uart8250_receive(&u, big, 10), 0);
	uart8250_get_stats(&u, &st);
	cr_assert_eq(st.rx_dropped, sizeof(big) - accepted + 10);
}

Test(uart8250, interrupt_priority_order)
{
	uint8_t b = 'z';

	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	out(UART_IER, UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI);
	/* THRE is pending right after ETBEI is enabled. */
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_THRI);
	/* That read cleared it; nothing left. */
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_NO_INT);
	cr_assert_eq(rec.level[4], 0);

	/* Make all four sources pending: modem status (loopback toggle
	 * produces deltas), THRE (write THR), RX data, line status. */
	out(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	out(UART_MCR, UART_MCR_OUT2);
	out(UART_TX, 'a');
	uart8250_receive(&u, &b, 1);
	u.lsr_err |= UART_LSR_OE; /* an overrun, as from a flood */
	cr_assert_eq(rec.level[4], 1);

	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_RLSI);
	in(UART_LSR);
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_RDI);
	cr_assert_eq(in(UART_RX), 'z');
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_THRI);
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_MSI);
	cr_assert(in(UART_MSR) & UART_MSR_ANY_DELTA);
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_NO_INT);
	cr_assert_eq(rec.level[4], 0);
}

Test(uart8250, rx_timeout_below_trigger)
{
	uint8_t d[4] = { 1, 2, 3, 4 };

	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_8);
	out(UART_IER, UART_IER_RDI);
	uart8250_receive(&u, d, 4);
	cr_assert_eq(in(UART_IIR), 0xc0 | UART_IIR_RX_TIMEOUT);
	uart8250_receive(&u, d, 4);
	cr_assert_eq(in(UART_IIR), 0xc0 | UART_IIR_RDI);
}

Test(uart8250, out2_gates_irq_line)
{
	uint8_t b = 'q';

	out(UART_IER, UART_IER_RDI);
	uart8250_receive(&u, &b, 1);
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_RDI, "pending inside the chip");
	cr_assert_eq(rec.level[4], 0, "but OUT2 is off");
	out(UART_MCR, UART_MCR_OUT2);
	cr_assert_eq(rec.level[4], 1);
	out(UART_MCR, 0);
	cr_assert_eq(rec.level[4], 0);
	out(UART_MCR, UART_MCR_OUT2);
	in(UART_RX);
	cr_assert_eq(rec.level[4], 0);
	cr_assert_eq(rec.rises[4], 2);
}

Test(uart8250, thre_interrupt_edges_per_byte)
{
	out(UART_MCR, UART_MCR_OUT2);
	out(UART_IER, UART_IER_THRI);
	cr_assert_eq(rec.level[4], 1);
	cr_assert_eq(rec.rises[4], 1);
	/* Each THR write drops THRE and raises it again when the byte leaves:
	 * a new edge for the edge-triggered PIC/IOAPIC. */
	out(UART_TX, 'a');
	out(UART_TX, 'b');
	cr_assert_eq(rec.rises[4], 3);
	/* IIR read clears it; disabling ETBEI too. */
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_THRI);
	cr_assert_eq(rec.level[4], 0);
	out(UART_IER, 0);
	cr_assert_eq(rec.level[4], 0);
}

/* drivers/tty/serial/8250/8250_port.c: autoconfig() and autoconfig_16550a(). */
Test(uart8250, linux_autoconfig_probe)
{
	uint8_t scratch, scratch2, scratch3, status1, save_mcr, save_lcr;

	scratch = in(UART_IER);
	out(UART_IER, 0);
	scratch2 = in(UART_IER) & 0x0f;
	out(UART_IER, 0x0f);
	scratch3 = in(UART_IER) & 0x0f;
	out(UART_IER, scratch);
	cr_assert(scratch2 == 0 && scratch3 == 0x0f, "IER test");

	save_mcr = in(UART_MCR);
	save_lcr = in(UART_LCR);
	out(UART_MCR, UART_MCR_LOOP | 0x0A);
	status1 = in(UART_MSR) & 0xF0;
	out(UART_MCR, save_mcr);
	cr_assert_eq(status1, 0x90, "LOOP test: RTS->CTS, OUT2->DCD");

	out(UART_LCR, UART_LCR_CONF_MODE_B);
	out(UART_EFR, 0);
	out(UART_LCR, 0);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	cr_assert_eq(in(UART_IIR) >> 6, 3, "16550A FIFO bits");

	/* autoconfig_16550a: no EFR behind either config mode. */
	out(UART_LCR, UART_LCR_CONF_MODE_A);
	cr_assert_neq(in(UART_EFR), 0);
	out(UART_LCR, UART_LCR_CONF_MODE_B);
	cr_assert_neq(in(UART_EFR), 0);
	/* Not a TI16750: bit 5 never set. */
	out(UART_LCR, 0);
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
	cr_assert_eq(in(UART_IIR) & 0xe0, 0xc0);
	out(UART_LCR, UART_LCR_CONF_MODE_A);
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
	cr_assert_eq(in(UART_IIR) & 0xe0, 0xc0);
	out(UART_LCR, 0);
	/* Not an XScale: IER bit 6 (UUE) is not writable. */
	out(UART_IER, 0x40);
	cr_assert_eq(in(UART_IER) & 0x40, 0);
	out(UART_LCR, save_lcr);

	/* Reset part of autoconfig, then startup's LSR sanity check. */
	out(UART_MCR, save_mcr);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	out(UART_FCR, 0);
	in(UART_RX);
	out(UART_IER, 0);
	cr_assert_neq(in(UART_LSR), 0xff);
	cr_assert_eq(con.total, 0, "probing prints nothing");
}

/* serial8250_do_startup(): the UART_BUG_THRE test. */
Test(uart8250, linux_thre_retest)
{
	uint8_t iir1, iir;

	out(UART_MCR, UART_MCR_OUT2);
	out(UART_IER, UART_IER_THRI);
	iir1 = in(UART_IIR);
	out(UART_IER, 0);
	out(UART_IER, UART_IER_THRI);
	iir = in(UART_IIR);
	out(UART_IER, 0);
	cr_assert_eq(iir1 & UART_IIR_NO_INT, 0);
	cr_assert_eq(iir & UART_IIR_NO_INT, 0, "THRE must re-assert");
}

Test(uart8250, loopback_tx_to_rx)
{
	char buf[8];

	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	out(UART_MCR, UART_MCR_LOOP);
	out(UART_TX, 0x5a);
	cr_assert(in(UART_LSR) & UART_LSR_DR);
	cr_assert_eq(in(UART_RX), 0x5a);
	cr_assert_eq(console_text(buf, sizeof(buf)), 0, "loopback bytes do not leave");
}

Test(uart8250, loopback_holds_host_input)
{
	uint8_t b = 'h';

	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_MCR, UART_MCR_LOOP);
	uart8250_receive(&u, &b, 1);
	cr_assert_eq(in(UART_LSR) & UART_LSR_DR, 0);
	out(UART_MCR, 0);
	cr_assert(in(UART_LSR) & UART_LSR_DR);
	cr_assert_eq(in(UART_RX), 'h');
}

Test(uart8250, loopback_overrun)
{
	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	out(UART_MCR, UART_MCR_LOOP);
	for (int i = 0; i < 17; i++)
		out(UART_TX, (uint8_t)i);
	cr_assert_eq(in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_OE | UART_LSR_DR);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(in(UART_RX), i);
}

Test(uart8250, loopback_msr_mirrors_mcr)
{
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	cr_assert_eq(in(UART_MSR) & 0xf0, UART_MSR_DSR);
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	cr_assert_eq(in(UART_MSR) & 0xf0, UART_MSR_RI);
	out(UART_MCR, UART_MCR_LOOP);
	cr_assert_eq(in(UART_MSR), UART_MSR_TERI, "trailing edge of RI");
	out(UART_MCR, 0);
	cr_assert_eq(in(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	cr_assert_eq(in(UART_MSR) & 0x0f, 0, "deltas clear on read");
}

Test(uart8250, loopback_gates_irq)
{
	out(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	out(UART_IER, UART_IER_THRI);
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_THRI);
	cr_assert_eq(rec.rises[4], 0);
}

Test(uart8250, null_irq_and_console)
{
	struct uart8250 v;
	uint8_t b = 1;

	cr_assert_eq(uart8250_init(&v, NULL, NULL, 4), 0);
	dev_out8(&uart8250_ops, &v, UART_MCR, UART_MCR_OUT2);
	dev_out8(&uart8250_ops, &v, UART_IER, 0x0f);
	dev_out8(&uart8250_ops, &v, UART_TX, 'x');
	uart8250_receive(&v, &b, 1);
	cr_assert_eq(dev_in8(&uart8250_ops, &v, UART_RX), 1);
	uart8250_destroy(&v);
}

struct feeder {
	struct uart8250 *u;
	size_t total;
};

static void *feed_thread(void *arg)
{
	struct feeder *f = arg;
	size_t sent = 0;

	while (sent < f->total) {
		uint8_t chunk[64];
		size_t n = f->total - sent < sizeof(chunk) ? f->total - sent : sizeof(chunk);

		if (uart8250_rx_room(f->u) < n) {
			sched_yield();
			continue;
		}
		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)(sent + i);
		cr_assert_eq(uart8250_receive(f->u, chunk, n), n);
		sent += n;
	}
	return NULL;
}

/* A host input thread and a "vCPU" reading concurrently: nothing lost,
 * nothing reordered when the feeder respects uart8250_rx_room. */
Test(uart8250, concurrent_receive_in_order)
{
	struct feeder f = { &u, 200000 };
	pthread_t th;
	size_t got = 0;

	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	cr_assert_eq(pthread_create(&th, NULL, feed_thread, &f), 0);
	while (got < f.total) {
		if (in(UART_LSR) & UART_LSR_DR) {
			cr_assert_eq(in(UART_RX), (uint8_t)got, "byte %zu", got);
			got++;
		}
	}
	pthread_join(th, NULL);
	struct uart8250_stats st;
	uart8250_get_stats(&u, &st);
	cr_assert_eq(st.rx_dropped, 0);
}

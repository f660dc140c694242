/* 16550A-compatible UART (National Semiconductor PC16550D datasheet).
 *
 * Wiring (vm.c): COM1 is registered on the PIO bus at PORT_COM1 (0x3F8),
 * length 8, with uart8250_ops and the struct uart8250 as the device pointer;
 * it raises GSI IRQ_COM1 (4) through the VM's irq_sink. Guest bytes written
 * to THR go to the struct console; host input (stdin, console.sock) is fed
 * with uart8250_receive() from any thread.
 *
 * Interrupt line: the device drives the line as a level that is high while
 * an interrupt is pending (IIR bit 0 clear) and MCR.OUT2 is set and loopback
 * is off (on PCs OUT2 gates the IRQ buffer; in loopback the 16550 forces OUT2
 * inactive, datasheet "MCR bit 4"). The in-kernel PIC/IOAPIC treat ISA lines
 * as edge-triggered, so every 0->1 transition is one interrupt; the device
 * reports each real transition (a THR write drops and re-raises the THRE
 * interrupt, as the chip does when the byte moves to the shift register).
 * Linux's serial8250_interrupt loops until IIR says "no interrupt", which is
 * what makes an edge per pending period enough.
 *
 * Transmission is instantaneous: THRE and TEMT are always set, so Linux's
 * polled console path never waits. Reception has the 16-byte hardware FIFO
 * (1 byte with FIFOs disabled) in front of a bounded host-side queue; bytes
 * that do not fit in the host queue are dropped, counted, and reported to
 * the guest as an overrun (LSR.OE). */
#ifndef VMDECK_DEV_UART8250_H
#define VMDECK_DEV_UART8250_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "console.h"
#include "irq.h"

#define UART8250_PORT_LEN   8
#define UART8250_FIFO_SIZE  16          /* 16550A receive FIFO */
#define UART8250_RXQ_SIZE   4096        /* host-side queue in front of it */

struct uart8250_stats {
	uint64_t tx_bytes;   /* bytes sent to the console */
	uint64_t rx_bytes;   /* host bytes accepted by uart8250_receive */
	uint64_t rx_dropped; /* host bytes dropped: host queue full */
	uint64_t overruns;   /* times LSR.OE was set (drops, loopback overflow) */
};

struct uart8250 {
	pthread_mutex_t lock;
	struct console *con;
	struct irq_sink irq;
	unsigned gsi;
	int irq_level;

	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	uint8_t msr;       /* status bits 7:4 and delta bits 3:0 */
	uint8_t lsr_err;   /* OE/PE/FE/BI latched until LSR is read */
	uint8_t rbr;       /* last byte read, returned again when the FIFO is empty */
	int thr_ipending;  /* THRE interrupt latched (datasheet table IV) */

	uint8_t fifo[UART8250_FIFO_SIZE];
	unsigned fifo_head, fifo_count;

	uint8_t rxq[UART8250_RXQ_SIZE];
	size_t rxq_head, rxq_count;

	struct uart8250_stats stats;
};

/* irq may be NULL (no interrupt line). con may be NULL (TX discarded).
 * Returns 0 or -errno. */
int uart8250_init(struct uart8250 *u, struct console *con, const struct irq_sink *irq,
		  unsigned gsi);
void uart8250_destroy(struct uart8250 *u);

/* Host input: queues up to len bytes for the guest; returns how many were
 * accepted. The rest are dropped and counted (rx_dropped). Thread-safe. */
size_t uart8250_receive(struct uart8250 *u, const uint8_t *buf, size_t len);
/* Free space in the host-side queue, for callers that prefer to hold input
 * back rather than have it dropped. */
size_t uart8250_rx_room(struct uart8250 *u);
void uart8250_get_stats(struct uart8250 *u, struct uart8250_stats *out);

/* Bus handlers: offset 0..7 inside the registered range; an access wider
 * than one byte is split into byte accesses at consecutive offsets, as the
 * 8-bit ISA bus does. */
extern const struct bus_ops uart8250_ops;

#endif

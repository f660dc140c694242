/* COM1 snapshot section; see dev_state.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/serial_reg.h>

#include "dev/dev_state.h"

/* Save takes the device lock: host input threads may be feeding rxq. The
 * object itself is not modified. */
void uart8250_save(const struct uart8250 *cu, struct snap_writer *w)
{
	struct uart8250 *u = (struct uart8250 *)cu;

	pthread_mutex_lock(&u->lock);
	snap_begin(w, SNAP_SEC_UART, 0, UART8250_STATE_VERSION);
	snap_put_u8(w, u->ier);
	snap_put_u8(w, u->lcr);
	snap_put_u8(w, u->mcr);
	snap_put_u8(w, u->fcr);
	snap_put_u8(w, u->scr);
	snap_put_u8(w, u->dll);
	snap_put_u8(w, u->dlm);
	snap_put_u8(w, u->msr);
	snap_put_u8(w, u->lsr_err);
	snap_put_u8(w, u->rbr);
	snap_put_u8(w, (uint8_t)u->thr_ipending);
	snap_put_u8(w, (uint8_t)u->irq_level);
	snap_put_u32(w, u->fifo_head);
	snap_put_u32(w, u->fifo_count);
	snap_put(w, u->fifo, sizeof(u->fifo));
	/* The host queue, oldest byte first. */
	snap_put_u32(w, (uint32_t)u->rxq_count);
	for (size_t i = 0; i < u->rxq_count; i++)
		snap_put_u8(w, u->rxq[(u->rxq_head + i) % UART8250_RXQ_SIZE]);
	snap_end(w);
	pthread_mutex_unlock(&u->lock);
}

static int uart_bad(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s: COM1: %s", snap_error_name(SNAP_E_BAD_STATE), why);
	return -EINVAL;
}

int uart8250_load(struct uart8250 *u, const void *buf, size_t len, char *err, size_t errlen)
{
	struct snap_cursor c;
	uint8_t r[12], fifo[UART8250_FIFO_SIZE];
	uint32_t head, count, rxn;
	const uint8_t *rxq;

	snap_cursor_init(&c, buf, len);
	snap_get(&c, r, sizeof(r));
	head = snap_get_u32(&c);
	count = snap_get_u32(&c);
	snap_get(&c, fifo, sizeof(fifo));
	rxn = snap_get_u32(&c);
	if (c.bad)
		return uart_bad(err, errlen, "section too short");
	if (rxn > UART8250_RXQ_SIZE)
		return uart_bad(err, errlen, "host queue count larger than the queue");
	rxq = c.p + c.off;
	if (len - c.off != rxn)
		return uart_bad(err, errlen, "host queue bytes do not match its count");
	/* ier, mcr: only the bits a 16550A has; fcr as uart_write_fcr keeps it. */
	if (r[0] & ~0x0f)
		return uart_bad(err, errlen, "IER has bits a 16550A does not have");
	if (r[2] & ~0x1f)
		return uart_bad(err, errlen, "MCR has bits a 16550A does not have");
	if (r[3] & ~(UART_FCR_ENABLE_FIFO | UART_FCR_DMA_SELECT | UART_FCR_TRIGGER_MASK))
		return uart_bad(err, errlen, "FCR has bits that are never stored");
	if (r[10] > 1 || r[11] > 1)
		return uart_bad(err, errlen, "interrupt flags not 0/1");
	if (head >= UART8250_FIFO_SIZE)
		return uart_bad(err, errlen, "FIFO head outside the FIFO");
	if (count > ((r[3] & UART_FCR_ENABLE_FIFO) ? UART8250_FIFO_SIZE : 1))
		return uart_bad(err, errlen, "FIFO count larger than the FIFO");
	if (!u)
		return 0;

	pthread_mutex_lock(&u->lock);
	u->ier = r[0];
	u->lcr = r[1];
	u->mcr = r[2];
	u->fcr = r[3];
	u->scr = r[4];
	u->dll = r[5];
	u->dlm = r[6];
	u->msr = r[7];
	u->lsr_err = r[8];
	u->rbr = r[9];
	u->thr_ipending = r[10];
	u->fifo_head = head;
	u->fifo_count = count;
	memcpy(u->fifo, fifo, sizeof(fifo));
	memcpy(u->rxq, rxq, rxn);
	u->rxq_head = 0;
	u->rxq_count = rxn;
	u->irq_level = r[11];
	irq_set(&u->irq, u->gsi, u->irq_level);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

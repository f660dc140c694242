/* 8042 keyboard controller; see i8042.h. Command numbers and semantics: IBM
 * PS/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary Device
 * Controller", cross-checked against what Linux's drivers/input/serio/i8042.c
 * sends (controller check, self-test, AUX loopback and IRQ tests). */
#include <errno.h>
#include <string.h>

#include "dev/i8042.h"

#define CMD_READ_RAM      0x20 /* 0x20..0x3F: read RAM byte; 0x20 = config byte */
#define CMD_WRITE_RAM     0x60 /* 0x60..0x7F: write RAM byte; 0x60 = config byte */
#define CMD_AUX_DISABLE   0xA7
#define CMD_AUX_ENABLE    0xA8
#define CMD_AUX_TEST      0xA9
#define CMD_SELF_TEST     0xAA
#define CMD_KBD_TEST      0xAB
#define CMD_KBD_DISABLE   0xAD
#define CMD_KBD_ENABLE    0xAE
#define CMD_READ_INPORT   0xC0
#define CMD_READ_OUTPORT  0xD0
#define CMD_WRITE_OUTPORT 0xD1
#define CMD_WRITE_KBD_OB  0xD2
#define CMD_WRITE_AUX_OB  0xD3
#define CMD_WRITE_AUX     0xD4
#define CMD_PULSE         0xF0 /* 0xF0..0xFF: pulse output port bits 3:0 low */

#define SELF_TEST_OK      0x55
#define PORT_TEST_OK      0x00

/* Output port bits. */
#define OUT_RESET   0x01 /* 0 = hold the CPU in reset */
#define OUT_A20     0x02
#define OUT_KBD_OBF 0x10 /* keyboard output buffer full (IRQ1) */
#define OUT_AUX_OBF 0x20 /* aux output buffer full (IRQ12) */
#define OUT_POWERON (0xC0 | OUT_A20 | OUT_RESET) /* clock/data high, A20 on */
/* Input port: bit 7 set = keyboard not inhibited (no key lock). */
#define IN_POWERON  0x80

static uint8_t *ctr(struct i8042 *c)
{
	return &c->ram[0];
}

static void i8042_update_irq(struct i8042 *c)
{
	int kbd = c->obf && !c->ob_aux && (*ctr(c) & I8042_CTR_KBDINT);
	int aux = c->obf && c->ob_aux && (*ctr(c) & I8042_CTR_AUXINT);

	if (kbd != c->kbd_level) {
		c->kbd_level = kbd;
		irq_set(&c->irq, c->kbd_gsi, kbd);
	}
	if (aux != c->aux_level) {
		c->aux_level = aux;
		irq_set(&c->irq, c->aux_gsi, aux);
	}
}

static void ctrl_reply(struct i8042 *c, uint8_t b, bool aux)
{
	unsigned i;

	if (c->ctrlq_count == I8042_CTRLQ_SIZE) {
		c->stats.ctrl_dropped++;
		return;
	}
	i = (c->ctrlq_head + c->ctrlq_count) % I8042_CTRLQ_SIZE;
	c->ctrlq[i].byte = b;
	c->ctrlq[i].aux = aux;
	c->ctrlq_count++;
}

/* Next keyboard byte as the guest sees it, translated when config bit 6 is
 * set: F0 is swallowed and sets bit 7 of the byte after it. */
static bool i8042_pull_kbd(struct i8042 *c, uint8_t *out)
{
	uint8_t b;

	while (ps2_queue_pop(&c->kbd.q, &b)) {
		if (!(*ctr(c) & I8042_CTR_XLATE)) {
			*out = b;
			return true;
		}
		if (b == 0xF0) {
			c->xlate_break = true;
			continue;
		}
		b = ps2_set2_to_set1(b);
		if (c->xlate_break && b != 0xE0 && b != 0xE1) {
			b |= 0x80;
			c->xlate_break = false;
		}
		*out = b;
		return true;
	}
	return false;
}

/* Loads the output buffer if it is empty and something is waiting. */
static void i8042_refill(struct i8042 *c)
{
	uint8_t b;

	if (c->obf)
		return;
	if (c->ctrlq_count) {
		c->ob = c->ctrlq[c->ctrlq_head].byte;
		c->ob_aux = c->ctrlq[c->ctrlq_head].aux;
		c->ctrlq_head = (c->ctrlq_head + 1) % I8042_CTRLQ_SIZE;
		c->ctrlq_count--;
		c->obf = true;
	} else if (!(*ctr(c) & I8042_CTR_KBDDIS) && i8042_pull_kbd(c, &b)) {
		c->ob = b;
		c->ob_aux = false;
		c->obf = true;
	} else if (!(*ctr(c) & I8042_CTR_AUXDIS) && ps2_queue_pop(&c->mouse.q, &b)) {
		c->ob = b;
		c->ob_aux = true;
		c->obf = true;
	}
}

static void i8042_sync(struct i8042 *c)
{
	i8042_refill(c);
	i8042_update_irq(c);
}

static uint8_t i8042_status(const struct i8042 *c)
{
	uint8_t s = I8042_STR_KEYLOCK; /* input is processed at once: IBF stays 0 */

	if (c->obf)
		s |= I8042_STR_OBF;
	if (c->obf && c->ob_aux)
		s |= I8042_STR_AUXDATA;
	if (c->ram[0] & I8042_CTR_SYS)
		s |= I8042_STR_SYS;
	if (c->cmd_last)
		s |= I8042_STR_CMDDAT;
	return s;
}

static uint8_t i8042_outport(const struct i8042 *c)
{
	uint8_t v = c->outport & (uint8_t)~(OUT_KBD_OBF | OUT_AUX_OBF);

	if (c->obf)
		v |= c->ob_aux ? OUT_AUX_OBF : OUT_KBD_OBF;
	return v;
}

/* Returns true if the command asks for a CPU reset. */
static bool i8042_command(struct i8042 *c, uint8_t cmd)
{
	c->pending = 0;
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + 0x20) {
		ctrl_reply(c, c->ram[cmd & 0x1f], false);
		return false;
	}
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 0x20) {
		c->pending = cmd;
		return false;
	}
	if (cmd >= CMD_PULSE)
		return !(cmd & OUT_RESET); /* bit 0 pulsed low: reset line */
	switch (cmd) {
	case CMD_AUX_DISABLE:
		*ctr(c) |= I8042_CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		*ctr(c) &= (uint8_t)~I8042_CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		ctrl_reply(c, PORT_TEST_OK, false);
		break;
	case CMD_SELF_TEST:
		*ctr(c) |= I8042_CTR_SYS;
		ctrl_reply(c, SELF_TEST_OK, false);
		break;
	case CMD_KBD_DISABLE:
		*ctr(c) |= I8042_CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		*ctr(c) &= (uint8_t)~I8042_CTR_KBDDIS;
		break;
	case CMD_READ_INPORT:
		ctrl_reply(c, IN_POWERON, false);
		break;
	case CMD_READ_OUTPORT:
		ctrl_reply(c, i8042_outport(c), false);
		break;
	case CMD_WRITE_OUTPORT:
	case CMD_WRITE_KBD_OB:
	case CMD_WRITE_AUX_OB:
	case CMD_WRITE_AUX:
		c->pending = cmd;
		break;
	default:
		if (!c->stats.unknown_cmds)
			c->stats.first_unknown_cmd = cmd;
		c->stats.unknown_cmds++;
		break;
	}
	return false;
}

/* A byte written to port 0x60. Returns true if it asks for a CPU reset. */
static bool i8042_data(struct i8042 *c, uint8_t v)
{
	uint8_t cmd = c->pending;

	c->pending = 0;
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 0x20) {
		c->ram[cmd & 0x1f] = v;
		return false;
	}
	switch (cmd) {
	case CMD_WRITE_OUTPORT:
		/* A20 (bit 1) is recorded but not emulated: it is always on. */
		c->outport = v;
		return !(v & OUT_RESET);
	case CMD_WRITE_KBD_OB:
		ctrl_reply(c, v, false);
		return false;
	case CMD_WRITE_AUX_OB:
		ctrl_reply(c, v, true);
		return false;
	case CMD_WRITE_AUX:
		ps2mouse_write(&c->mouse, v);
		return false;
	default:
		/* Sending to the keyboard re-enables its clock, as the 8042
		 * firmware (and QEMU) do. */
		*ctr(c) &= (uint8_t)~I8042_CTR_KBDDIS;
		ps2kbd_write(&c->kbd, v);
		return false;
	}
}

static void i8042_data_read(void *dev, uint64_t offset, void *data, unsigned size)
{
	struct i8042 *c = dev;
	uint8_t *out = data;

	memset(out, 0xff, size);
	pthread_mutex_lock(&c->lock);
	/* An empty buffer reads back its last byte, as the chip does. */
	out[0] = c->ob;
	if (c->obf) {
		c->obf = false;
		if (c->ob_aux)
			c->stats.aux_bytes++;
		else
			c->stats.kbd_bytes++;
		/* Drop the line before loading the next byte: one edge per byte. */
		i8042_update_irq(c);
	}
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
}

/* A byte to port 0x60 (data) or 0x64 (command). A reset request is reported
 * after the lock is dropped: the callback may stop the VM. */
static void i8042_port_write(struct i8042 *c, bool is_cmd, uint8_t byte)
{
	bool reset;

	pthread_mutex_lock(&c->lock);
	c->cmd_last = is_cmd;
	reset = is_cmd ? i8042_command(c, byte) : i8042_data(c, byte);
	if (reset)
		c->stats.resets++;
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
	if (reset && c->on_reset)
		c->on_reset(c->opaque);
}

static void i8042_data_write(void *dev, uint64_t offset, const void *data, unsigned size)
{
	i8042_port_write(dev, false, *(const uint8_t *)data);
}

static void i8042_cmd_read(void *dev, uint64_t offset, void *data, unsigned size)
{
	struct i8042 *c = dev;
	uint8_t *out = data;

	memset(out, 0xff, size);
	pthread_mutex_lock(&c->lock);
	out[0] = i8042_status(c);
	pthread_mutex_unlock(&c->lock);
}

static void i8042_cmd_write(void *dev, uint64_t offset, const void *data, unsigned size)
{
	i8042_port_write(dev, true, *(const uint8_t *)data);
}

const struct bus_ops i8042_data_ops = { .read = i8042_data_read, .write = i8042_data_write };
const struct bus_ops i8042_cmd_ops = { .read = i8042_cmd_read, .write = i8042_cmd_write };

int i8042_init(struct i8042 *c, const struct irq_sink *irq, unsigned kbd_gsi,
	       unsigned aux_gsi, void (*on_reset)(void *opaque), void *opaque)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = pthread_mutex_init(&c->lock, NULL);
	if (err)
		return -err;
	if (irq)
		c->irq = *irq;
	c->kbd_gsi = kbd_gsi;
	c->aux_gsi = aux_gsi;
	c->on_reset = on_reset;
	c->opaque = opaque;
	c->ram[0] = I8042_CTR_POWERON;
	c->outport = OUT_POWERON;
	ps2kbd_reset(&c->kbd);
	ps2mouse_reset(&c->mouse);
	return 0;
}

void i8042_destroy(struct i8042 *c)
{
	pthread_mutex_destroy(&c->lock);
}

int i8042_kbd_set2(struct i8042 *c, const uint8_t *set2, size_t len)
{
	int r;

	pthread_mutex_lock(&c->lock);
	r = ps2kbd_put_set2(&c->kbd, set2, len);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
	return r;
}

int i8042_mouse_event(struct i8042 *c, int dx, int dy, int dz, unsigned buttons)
{
	int r;

	pthread_mutex_lock(&c->lock);
	r = ps2mouse_event(&c->mouse, dx, dy, dz, buttons);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
	return r;
}

void i8042_get_stats(struct i8042 *c, struct i8042_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	out->kbd_dropped = c->kbd.dropped;
	out->kbd_unknown_cmds = c->kbd.unknown_cmds;
	out->kbd_ignored = c->kbd.ignored;
	out->aux_dropped = c->mouse.dropped;
	out->aux_unknown_cmds = c->mouse.unknown_cmds;
	out->aux_ignored = c->mouse.ignored;
	pthread_mutex_unlock(&c->lock);
}

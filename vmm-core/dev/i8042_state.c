/* i8042 + PS/2 keyboard and mouse snapshot section; see dev_state.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dev/dev_state.h"

static void put_queue(struct snap_writer *w, const struct ps2_queue *q)
{
	snap_put_u32(w, q->head);
	snap_put_u32(w, q->count);
	snap_put(w, q->buf, sizeof(q->buf));
}

static bool get_queue(struct snap_cursor *c, struct ps2_queue *q)
{
	q->head = snap_get_u32(c);
	q->count = snap_get_u32(c);
	snap_get(c, q->buf, sizeof(q->buf));
	return q->head < PS2_QUEUE_SIZE && q->count <= PS2_QUEUE_SIZE;
}

static bool get_bool(struct snap_cursor *c, bool *out, bool *ok)
{
	uint8_t v = snap_get_u8(c);
	if (v > 1)
		*ok = false;
	*out = v;
	return v;
}

void i8042_save(const struct i8042 *cc, struct snap_writer *w)
{
	struct i8042 *c = (struct i8042 *)cc;
	const struct ps2kbd *k = &c->kbd;
	const struct ps2mouse *m = &c->mouse;

	pthread_mutex_lock(&c->lock);
	snap_begin(w, SNAP_SEC_I8042, 0, I8042_STATE_VERSION);
	snap_put(w, c->ram, sizeof(c->ram));
	snap_put_u8(w, c->outport);
	snap_put_u8(w, c->pending);
	snap_put_u8(w, c->cmd_last);
	snap_put_u8(w, c->obf);
	snap_put_u8(w, c->ob_aux);
	snap_put_u8(w, c->ob);
	snap_put_u8(w, c->xlate_break);
	snap_put_u8(w, (uint8_t)c->kbd_level);
	snap_put_u8(w, (uint8_t)c->aux_level);
	snap_put_u32(w, c->ctrlq_head);
	snap_put_u32(w, c->ctrlq_count);
	for (unsigned i = 0; i < I8042_CTRLQ_SIZE; i++) {
		snap_put_u8(w, c->ctrlq[i].byte);
		snap_put_u8(w, c->ctrlq[i].aux);
	}
	put_queue(w, &k->q);
	snap_put_u8(w, k->scanning);
	snap_put_u8(w, k->set);
	snap_put_u8(w, k->leds);
	snap_put_u8(w, k->typematic);
	snap_put_u8(w, k->expect);
	snap_put_u8(w, k->last);
	snap_put_u8(w, k->set1_break);
	put_queue(w, &m->q);
	snap_put_u8(w, m->id);
	snap_put_u8(w, m->rate);
	snap_put_u8(w, m->resolution);
	snap_put_u8(w, m->scaling21);
	snap_put_u8(w, m->reporting);
	snap_put_u8(w, m->remote);
	snap_put_u8(w, m->wrap);
	snap_put_u8(w, m->expect);
	snap_put(w, m->rates, sizeof(m->rates));
	snap_put_u8(w, m->buttons);
	snap_put_u32(w, (uint32_t)m->acc_dx);
	snap_put_u32(w, (uint32_t)m->acc_dy);
	snap_put_u32(w, (uint32_t)m->acc_dz);
	snap_put_u8(w, m->last);
	snap_end(w);
	pthread_mutex_unlock(&c->lock);
}

/* The parts of struct i8042 that are state, parsed and checked. */
struct i8042_image {
	uint8_t ram[32], outport, pending, ob;
	bool cmd_last, obf, ob_aux, xlate_break;
	int kbd_level, aux_level;
	unsigned ctrlq_head, ctrlq_count;
	uint8_t ctrlq_byte[I8042_CTRLQ_SIZE];
	bool ctrlq_aux[I8042_CTRLQ_SIZE];
	struct ps2kbd k;
	struct ps2mouse m;
};

static const char *i8042_parse(struct snap_cursor *c, struct i8042_image *im)
{
	bool ok = true, b;
	int32_t acc[3];

	memset(im, 0, sizeof(*im));
	snap_get(c, im->ram, sizeof(im->ram));
	im->outport = snap_get_u8(c);
	im->pending = snap_get_u8(c);
	get_bool(c, &im->cmd_last, &ok);
	get_bool(c, &im->obf, &ok);
	get_bool(c, &im->ob_aux, &ok);
	im->ob = snap_get_u8(c);
	get_bool(c, &im->xlate_break, &ok);
	im->kbd_level = get_bool(c, &b, &ok);
	im->aux_level = get_bool(c, &b, &ok);
	im->ctrlq_head = snap_get_u32(c);
	im->ctrlq_count = snap_get_u32(c);
	for (unsigned i = 0; i < I8042_CTRLQ_SIZE; i++) {
		im->ctrlq_byte[i] = snap_get_u8(c);
		get_bool(c, &im->ctrlq_aux[i], &ok);
	}
	if (!get_queue(c, &im->k.q))
		return "keyboard queue position outside the queue";
	get_bool(c, &im->k.scanning, &ok);
	im->k.set = snap_get_u8(c);
	im->k.leds = snap_get_u8(c);
	im->k.typematic = snap_get_u8(c);
	im->k.expect = snap_get_u8(c);
	im->k.last = snap_get_u8(c);
	get_bool(c, &im->k.set1_break, &ok);
	if (!get_queue(c, &im->m.q))
		return "mouse queue position outside the queue";
	im->m.id = snap_get_u8(c);
	im->m.rate = snap_get_u8(c);
	im->m.resolution = snap_get_u8(c);
	get_bool(c, &im->m.scaling21, &ok);
	get_bool(c, &im->m.reporting, &ok);
	get_bool(c, &im->m.remote, &ok);
	get_bool(c, &im->m.wrap, &ok);
	im->m.expect = snap_get_u8(c);
	snap_get(c, im->m.rates, sizeof(im->m.rates));
	im->m.buttons = snap_get_u8(c);
	for (int i = 0; i < 3; i++)
		acc[i] = (int32_t)snap_get_u32(c);
	im->m.acc_dx = acc[0];
	im->m.acc_dy = acc[1];
	im->m.acc_dz = acc[2];
	im->m.last = snap_get_u8(c);
	if (!snap_cursor_done(c))
		return "wrong section size";
	if (!ok)
		return "a flag is not 0/1";
	if (im->ctrlq_head >= I8042_CTRLQ_SIZE || im->ctrlq_count > I8042_CTRLQ_SIZE)
		return "controller queue position outside the queue";
	if (im->k.set < 1 || im->k.set > 3)
		return "keyboard scan code set not 1..3";
	if (im->m.id != 0 && im->m.id != 3)
		return "mouse id not 0 or 3";
	if (im->m.resolution > 3)
		return "mouse resolution not 0..3";
	if (im->m.buttons & ~7u)
		return "mouse buttons outside the 3 defined";
	/* ps2mouse_event keeps the remote-mode accumulators within +-255*8. */
	for (int i = 0; i < 3; i++)
		if (acc[i] > 4096 || acc[i] < -4096)
			return "mouse movement accumulator out of range";
	return NULL;
}

int i8042_load(struct i8042 *c, const void *buf, size_t len, char *err, size_t errlen)
{
	struct snap_cursor cur;
	struct i8042_image im;
	const char *why;

	snap_cursor_init(&cur, buf, len);
	why = i8042_parse(&cur, &im);
	if (why) {
		snprintf(err, errlen, "%s: i8042: %s", snap_error_name(SNAP_E_BAD_STATE), why);
		return -EINVAL;
	}
	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	memcpy(c->ram, im.ram, sizeof(c->ram));
	c->outport = im.outport;
	c->pending = im.pending;
	c->cmd_last = im.cmd_last;
	c->obf = im.obf;
	c->ob_aux = im.ob_aux;
	c->ob = im.ob;
	c->xlate_break = im.xlate_break;
	c->ctrlq_head = im.ctrlq_head;
	c->ctrlq_count = im.ctrlq_count;
	for (unsigned i = 0; i < I8042_CTRLQ_SIZE; i++) {
		c->ctrlq[i].byte = im.ctrlq_byte[i];
		c->ctrlq[i].aux = im.ctrlq_aux[i];
	}
	/* Counters stay the host's; only state is replaced. */
	im.k.unknown_cmds = c->kbd.unknown_cmds;
	im.k.dropped = c->kbd.dropped;
	im.k.ignored = c->kbd.ignored;
	im.m.unknown_cmds = c->mouse.unknown_cmds;
	im.m.dropped = c->mouse.dropped;
	im.m.ignored = c->mouse.ignored;
	c->kbd = im.k;
	c->mouse = im.m;
	c->kbd_level = im.kbd_level;
	c->aux_level = im.aux_level;
	irq_set(&c->irq, c->kbd_gsi, c->kbd_level);
	irq_set(&c->irq, c->aux_gsi, c->aux_level);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Debug console (0xE9) and debug exit (0xF4); see debugport.h. */
#include <string.h>

#include "dev/debugport.h"

#define DEBUGCON_SIGNATURE 0xE9 /* Bochs: reading the port returns its number */

static void debugcon_read(void *dev, uint64_t offset, void *data, unsigned size)
{
	memset(data, 0, size);
	*(uint8_t *)data = DEBUGCON_SIGNATURE;
}

static void debugcon_write(void *dev, uint64_t offset, const void *data, unsigned size)
{
	struct debugport *d = dev;
	uint8_t ch = *(const uint8_t *)data;

	pthread_mutex_lock(&d->lock);
	if (d->con)
		console_write(d->con, &ch, 1);
	d->con_bytes++;
	pthread_mutex_unlock(&d->lock);
}

static void debugexit_read(void *dev, uint64_t offset, void *data, unsigned size)
{
	memset(data, 0, size);
}

static void debugexit_write(void *dev, uint64_t offset, const void *data, unsigned size)
{
	struct debugport *d = dev;
	const uint8_t *b = data;
	uint32_t v = 0;
	bool first;

	for (unsigned i = 0; i < size && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	pthread_mutex_lock(&d->lock);
	d->exit_writes++;
	first = !d->exit_requested;
	if (first) {
		d->exit_requested = true;
		d->exit_code = v;
	}
	pthread_mutex_unlock(&d->lock);
	/* Outside the lock: the callback stops vCPUs and may wait for them. */
	if (first && d->on_exit)
		d->on_exit(d->opaque, v);
}

const struct bus_ops debugport_con_ops = { .read = debugcon_read, .write = debugcon_write };
const struct bus_ops debugport_exit_ops = { .read = debugexit_read, .write = debugexit_write };

int debugport_init(struct debugport *d, struct console *con,
		   void (*on_exit)(void *opaque, uint32_t code), void *opaque)
{
	int err;

	memset(d, 0, sizeof(*d));
	err = pthread_mutex_init(&d->lock, NULL);
	if (err)
		return -err;
	d->con = con;
	d->on_exit = on_exit;
	d->opaque = opaque;
	return 0;
}

void debugport_destroy(struct debugport *d)
{
	pthread_mutex_destroy(&d->lock);
}

bool debugport_exit_requested(struct debugport *d, uint32_t *code)
{
	bool r;

	pthread_mutex_lock(&d->lock);
	r = d->exit_requested;
	if (r && code)
		*code = d->exit_code;
	pthread_mutex_unlock(&d->lock);
	return r;
}

void debugport_reset(struct debugport *d)
{
	pthread_mutex_lock(&d->lock);
	d->exit_requested = false;
	d->exit_code = 0;
	pthread_mutex_unlock(&d->lock);
}

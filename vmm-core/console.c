/* Console ring buffer; see console.h. */
#include <string.h>

#include "console.h"

void console_init(struct console *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
}

void console_destroy(struct console *c)
{
	pthread_mutex_destroy(&c->lock);
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < len; i++)
		c->ring[(c->total + i) % CONSOLE_RING_SIZE] = buf[i];
	c->total += len;
	if (c->sink)
		c->sink(c->sink_opaque, buf, len);
	pthread_mutex_unlock(&c->lock);
}

size_t console_tail(struct console *c, uint8_t *out, size_t len)
{
	size_t have, start;

	pthread_mutex_lock(&c->lock);
	have = c->total < CONSOLE_RING_SIZE ? c->total : CONSOLE_RING_SIZE;
	if (len > have)
		len = have;
	start = c->total - len;
	for (size_t i = 0; i < len; i++)
		out[i] = c->ring[(start + i) % CONSOLE_RING_SIZE];
	pthread_mutex_unlock(&c->lock);
	return len;
}

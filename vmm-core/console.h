/* The guest's console: bytes from the UART and the 0xE9 debug port.
 *
 * vmdeck keeps its own copy in a fixed-size ring (a flooding guest cannot
 * grow memory) and forwards each byte to an optional sink (stdout for
 * `vmdeck run`, console.sock clients later). */
#ifndef VMDECK_CONSOLE_H
#define VMDECK_CONSOLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_RING_SIZE (64 * 1024)

struct console {
	pthread_mutex_t lock;
	uint8_t ring[CONSOLE_RING_SIZE];
	uint64_t total; /* bytes ever written; ring holds the last min(total, SIZE) */
	void (*sink)(void *opaque, const uint8_t *buf, size_t len);
	void *sink_opaque;
};

void console_init(struct console *c);
void console_destroy(struct console *c);
void console_write(struct console *c, const uint8_t *buf, size_t len);
/* Copies up to len of the most recent bytes into out; returns the count. */
size_t console_tail(struct console *c, uint8_t *out, size_t len);

#endif

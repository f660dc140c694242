/* Byte queue between a PS/2 device and the i8042 controller.
 *
 * Bounded: host input (scancodes, mouse packets) may fill it only up to
 * PS2_QUEUE_SIZE - PS2_QUEUE_HEADROOM, so command replies (ACK, ID, BAT)
 * always fit and a key flood can never make a device miss an ACK. */
#ifndef VMDECK_DEV_PS2_H
#define VMDECK_DEV_PS2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS2_QUEUE_SIZE     256
#define PS2_QUEUE_HEADROOM 16

/* Replies defined by the PS/2 protocol (IBM PS/2 Hardware Interface
 * Technical Reference, "Keyboard and auxiliary device controller"). */
#define PS2_ACK     0xFA
#define PS2_RESEND  0xFE
#define PS2_BAT_OK  0xAA

struct ps2_queue {
	uint8_t buf[PS2_QUEUE_SIZE];
	unsigned head, count;
};

static inline void ps2_queue_clear(struct ps2_queue *q)
{
	q->head = q->count = 0;
}

/* Room for host input (headroom kept back for replies). */
static inline size_t ps2_queue_input_room(const struct ps2_queue *q)
{
	size_t used = q->count + PS2_QUEUE_HEADROOM;
	return used >= PS2_QUEUE_SIZE ? 0 : PS2_QUEUE_SIZE - used;
}

/* Returns false (byte dropped) when the queue is completely full. */
static inline bool ps2_queue_push(struct ps2_queue *q, uint8_t b)
{
	if (q->count == PS2_QUEUE_SIZE)
		return false;
	q->buf[(q->head + q->count) % PS2_QUEUE_SIZE] = b;
	q->count++;
	return true;
}

static inline bool ps2_queue_pop(struct ps2_queue *q, uint8_t *b)
{
	if (!q->count)
		return false;
	*b = q->buf[q->head];
	q->head = (q->head + 1) % PS2_QUEUE_SIZE;
	q->count--;
	return true;
}

#endif

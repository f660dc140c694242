/* Counted no-op ports that PC guests (Linux in particular) touch.
 *
 * Wiring (vm.c): legacy_register(&l, &vm->pio) registers every range below
 * on the PIO bus itself (bus names in parentheses, for stats):
 *   0x00-0x1F  8237 DMA controller 1 ("dma1")     reads 0
 *   0x61       system control port B ("portb")    see below
 *   0x80       POST code ("post")                 reads 0xFF; last write kept
 *   0x81-0x8F  DMA page registers ("dma-page")    reads 0
 *   0x92       system control port A ("a20")      reads 0x02: A20 on
 *   0xC0-0xDF  8237 DMA controller 2 ("dma2")     reads 0
 *   0xED       io-delay port ("delay")            reads 0xFF
 * Writes are ignored (port 0x92 bit 0, "fast reset", included: not
 * emulated); each access is counted per port in a fixed table. No IRQ.
 *
 * Not registered: the in-kernel irqchip and PIT own 0x20-0x21, 0xA0-0xA1,
 * 0x4D0-0x4D1 (ELCR) and 0x40-0x43, and with KVM_PIT_SPEAKER_DUMMY also
 * 0x61, so KVM answers those without an exit. Port B here is the fallback
 * for a PIT created without that flag: bits 3:0 read back as written, bit 4
 * (DRAM refresh) toggles on every read, and bit 5 (PIT channel 2 output)
 * follows the gate (bit 0), so a PIT-based TSC calibration loop ends (and
 * reports failure) instead of spinning forever. */
#ifndef VMDECK_DEV_LEGACY_H
#define VMDECK_DEV_LEGACY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

#define LEGACY_NRANGES 7
#define LEGACY_NPORTS  83 /* total ports over all ranges */

struct legacy;

struct legacy_range {
	struct legacy *owner;
	uint16_t base, len;
	unsigned slot;          /* index of the first port in counts[] */
	const char *name;
	bool registered;
};

struct legacy_port_count {
	uint16_t port;
	uint64_t reads, writes;
};

struct legacy {
	pthread_mutex_t lock;
	struct legacy_range ranges[LEGACY_NRANGES];
	struct legacy_port_count counts[LEGACY_NPORTS];
	uint8_t portb;          /* bits 3:0 as last written to 0x61 */
	bool refresh;           /* port B bit 4 */
	uint8_t post;           /* last POST code written to 0x80 */
};

int legacy_init(struct legacy *l);
void legacy_destroy(struct legacy *l);
/* Registers every range; on failure unregisters what it did and returns
 * -errno (-EEXIST if a port is already taken). */
int legacy_register(struct legacy *l, struct bus *pio);
void legacy_unregister(struct legacy *l, struct bus *pio);
/* Per-port counters; false if the port is not one of ours. */
bool legacy_port_count(struct legacy *l, uint16_t port, uint64_t *reads, uint64_t *writes);
/* Copies the counters of ports accessed at least once; returns how many. */
size_t legacy_counts(struct legacy *l, struct legacy_port_count *out, size_t max);
uint8_t legacy_post_code(struct legacy *l);

/* Device pointer is a struct legacy_range (legacy_register does this). */
extern const struct bus_ops legacy_ops;

#endif

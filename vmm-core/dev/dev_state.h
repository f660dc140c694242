/* Snapshot sections of the legacy devices (snapfile.h). Each device saves
 * its own versioned section; X_load validates every field (indices inside
 * their buffers, counts within sizes, booleans 0/1, modes in range) before
 * changing anything, and with dev == NULL only validates (used to check a
 * whole snapshot before the running VM is touched). The caller compares
 * the section version with X_STATE_VERSION. On load the interrupt line is
 * driven to the saved level, then the VM's irqchip state is restored on top
 * (vm_state.c), so KVM's line state and the chip registers agree.
 * Host-side statistics are not state and are not saved. */
#ifndef VMDECK_DEV_STATE_H
#define VMDECK_DEV_STATE_H

#include <stddef.h>

#include "dev/debugport.h"
#include "dev/i8042.h"
#include "dev/rtc.h"
#include "dev/uart8250.h"
#include "snapfile.h"

#define UART8250_STATE_VERSION 1
#define I8042_STATE_VERSION 1
#define RTC_STATE_VERSION 1
#define DEBUGPORT_STATE_VERSION 1

void uart8250_save(const struct uart8250 *u, struct snap_writer *w);
int uart8250_load(struct uart8250 *u, const void *buf, size_t len, char *err, size_t errlen);
void i8042_save(const struct i8042 *c, struct snap_writer *w);
int i8042_load(struct i8042 *c, const void *buf, size_t len, char *err, size_t errlen);
/* The RTC saves guest time as an offset from host UTC, so a restored guest
 * sees the wall clock move on by the time the snapshot lay on disk, as a
 * real RTC would. */
void rtc_save(const struct rtc *r, struct snap_writer *w);
int rtc_load(struct rtc *r, const void *buf, size_t len, char *err, size_t errlen);
void debugport_save(const struct debugport *d, struct snap_writer *w);
int debugport_load(struct debugport *d, const void *buf, size_t len, char *err, size_t errlen);

#endif

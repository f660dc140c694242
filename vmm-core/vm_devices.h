/* The PC devices every vmdeck VM has (COM1, debug ports, i8042, RTC, legacy
 * no-op ports) and the firmware tables describing them (MP table). */
#ifndef VMDECK_VM_DEVICES_H
#define VMDECK_VM_DEVICES_H

#include <stddef.h>
#include <stdint.h>

struct vm;

int vm_devices_create(struct vm *vm, char *err, size_t errlen);
void vm_devices_destroy(struct vm *vm);
/* Host -> guest serial bytes (bounded; excess is dropped and counted). */
void vm_serial_input(struct vm *vm, const uint8_t *buf, size_t len);
/* Keyboard (PS/2 scan code set 2 bytes) and mouse input from the host. */
int vm_kbd_set2(struct vm *vm, const uint8_t *set2, size_t len);
int vm_mouse_event(struct vm *vm, int dx, int dy, int dz, unsigned buttons);

struct vm_devices_stats {
	uint64_t serial_tx, serial_rx, serial_rx_dropped;
	uint8_t post_code;
};
void vm_devices_stats(struct vm *vm, struct vm_devices_stats *out);

/* Snapshot sections of COM1, i8042, RTC and the debug ports (dev/dev_state.h). */
struct snap_writer;
struct snap_file;
void vm_devices_save(struct vm *vm, struct snap_writer *w);
/* Every section must be present with the version this build writes; with
 * check_only nothing is changed (whole-snapshot validation first). */
int vm_devices_load(struct vm *vm, const struct snap_file *f, int check_only,
		    char *err, size_t errlen);
#define VM_DEVICES_KNOWN \
	{ SNAP_SEC_UART, 1 }, { SNAP_SEC_I8042, 1 }, { SNAP_SEC_RTC, 1 }, { SNAP_SEC_DEBUGPORT, 1 }

/* Writes the MP floating pointer + table at LAYOUT_MPTABLE (BIOS area). */
int vm_write_mptable(struct vm *vm, char *err, size_t errlen);

#endif

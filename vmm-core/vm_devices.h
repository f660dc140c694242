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
/* Writes the MP floating pointer + table at LAYOUT_MPTABLE (BIOS area). */
int vm_write_mptable(struct vm *vm, char *err, size_t errlen);

#endif

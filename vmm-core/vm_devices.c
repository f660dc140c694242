/* Wiring of the legacy PC devices; see vm_devices.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "vm.h"
#include "vm_devices.h"
#include "x86/layout.h"
#include "x86/mptable.h"

/* TEMPORARY minimal COM1 until dev/uart8250.c lands: THR to the console,
 * LSR always "transmitter empty". */
struct vm_devices {
	struct vm *vm;
};

static void tmp_uart_read(void *dev, uint64_t off, void *data, unsigned size)
{
	memset(data, 0, size);
	if (off == 5)
		*(uint8_t *)data = 0x60;
}

static void tmp_uart_write(void *dev, uint64_t off, const void *data, unsigned size)
{
	struct vm_devices *d = dev;
	if (off == 0)
		console_write(&d->vm->console, data, 1);
}

static const struct bus_ops tmp_uart_ops = { tmp_uart_read, tmp_uart_write };

static void tmp_exit_write(void *dev, uint64_t off, const void *data, unsigned size)
{
	struct vm_devices *d = dev;
	uint32_t v = 0;
	memcpy(&v, data, size > 4 ? 4 : size);
	vm_request_stop(d->vm, VM_STOP_DEBUG_EXIT, (int)v, NULL);
}

static const struct bus_ops tmp_exit_ops = { NULL, tmp_exit_write };

int vm_devices_create(struct vm *vm, char *err, size_t errlen)
{
	struct vm_devices *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->vm = vm;
	vm->dev = d;
	r = bus_register(&vm->pio, PORT_COM1, 8, &tmp_uart_ops, d, "com1");
	if (!r)
		r = bus_register(&vm->pio, PORT_DEBUG_EXIT, 4, &tmp_exit_ops, d, "debug-exit");
	if (r) {
		snprintf(err, errlen, "registering devices: %s", strerror(-r));
		return r;
	}
	return 0;
}

void vm_devices_destroy(struct vm *vm)
{
	free(vm->dev);
	vm->dev = NULL;
}

void vm_serial_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	(void)vm; (void)buf; (void)len;
}

int vm_write_mptable(struct vm *vm, char *err, size_t errlen)
{
	size_t len = LAYOUT_MPTABLE_END - LAYOUT_MPTABLE;
	uint8_t *p = guest_mem_ptr(&vm->mem, LAYOUT_MPTABLE, len);
	struct mptable_pci_irq pci[MPTABLE_MAX_PCI_IRQS];
	unsigned npci = vm->pci ? pci_irq_routes(vm->pci, pci, MPTABLE_MAX_PCI_IRQS) : 0;
	int r;

	if (!p) {
		snprintf(err, errlen, "guest RAM too small for the MP table");
		return -ENOSPC;
	}
	r = mptable_build(p, len, (uint32_t)LAYOUT_MPTABLE, vm->ncpus, pci, npci);
	if (r < 0) {
		snprintf(err, errlen, "MP table for %u vCPUs does not fit in the BIOS area", vm->ncpus);
		return r;
	}
	return 0;
}

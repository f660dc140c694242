/* Wiring of the legacy PC devices; see vm_devices.h. Ports and IRQs come
 * from x86/layout.h; each device's header says what it expects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/debugport.h"
#include "dev/dev_state.h"
#include "dev/i8042.h"
#include "dev/legacy.h"
#include "dev/rtc.h"
#include "dev/uart8250.h"
#include "pci.h"
#include "vm.h"
#include "vm_devices.h"
#include "x86/layout.h"
#include "x86/mptable.h"

struct vm_devices {
	struct vm *vm;
	struct uart8250 uart;
	struct debugport dbg;
	struct i8042 kbd;
	struct rtc rtc;
	struct legacy legacy;
	unsigned inited; /* bit per device, for teardown */
};

enum { DEV_UART = 1, DEV_DBG = 2, DEV_KBD = 4, DEV_RTC = 8, DEV_LEGACY = 16 };

static void vm_devices_on_exit(void *opaque, uint32_t code)
{
	struct vm *vm = opaque;
	vm_request_stop(vm, VM_STOP_DEBUG_EXIT, (int)code, NULL);
}

/* i8042 0xFE / output-port reset: no firmware to reboot into, so the VM
 * stops with "reset" (a policy for restarting can come later). */
static void vm_devices_on_reset(void *opaque)
{
	struct vm *vm = opaque;
	vm_request_stop(vm, VM_STOP_RESET, 0, "guest requested a reset (i8042)");
}

int vm_devices_create(struct vm *vm, char *err, size_t errlen)
{
	struct vm_devices *d = calloc(1, sizeof(*d));
	const char *what = "";
	int r;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->vm = vm;
	vm->dev = d;

	what = "COM1";
	r = uart8250_init(&d->uart, &vm->console, &vm->irq, IRQ_COM1);
	if (r)
		goto fail;
	d->inited |= DEV_UART;
	r = bus_register(&vm->pio, PORT_COM1, 8, &uart8250_ops, &d->uart, "com1");
	if (r)
		goto fail;

	what = "debug ports";
	r = debugport_init(&d->dbg, &vm->console, vm_devices_on_exit, vm);
	if (r)
		goto fail;
	d->inited |= DEV_DBG;
	r = bus_register(&vm->pio, PORT_DEBUGCON, 1, &debugport_con_ops, &d->dbg, "debugcon");
	if (!r)
		r = bus_register(&vm->pio, PORT_DEBUG_EXIT, 4, &debugport_exit_ops, &d->dbg,
				 "debug-exit");
	if (r)
		goto fail;

	what = "i8042";
	r = i8042_init(&d->kbd, &vm->irq, IRQ_KBD, IRQ_MOUSE, vm_devices_on_reset, vm);
	if (r)
		goto fail;
	d->inited |= DEV_KBD;
	r = bus_register(&vm->pio, PORT_I8042_DATA, 1, &i8042_data_ops, &d->kbd, "i8042-data");
	if (!r)
		r = bus_register(&vm->pio, PORT_I8042_CMD, 1, &i8042_cmd_ops, &d->kbd, "i8042-cmd");
	if (r)
		goto fail;

	what = "RTC";
	r = rtc_init(&d->rtc, &vm->irq, IRQ_RTC);
	if (r)
		goto fail;
	d->inited |= DEV_RTC;
	rtc_set_memory_size(&d->rtc, vm->mem.size);
	r = bus_register(&vm->pio, PORT_RTC, 2, &rtc_ops, &d->rtc, "rtc");
	if (r)
		goto fail;

	what = "legacy ports";
	r = legacy_init(&d->legacy);
	if (r)
		goto fail;
	d->inited |= DEV_LEGACY;
	r = legacy_register(&d->legacy, &vm->pio);
	if (r)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "setting up %s: %s", what, strerror(-r));
	return r;
}

void vm_devices_destroy(struct vm *vm)
{
	struct vm_devices *d = vm->dev;

	if (!d)
		return;
	/* The vCPUs are joined before this: no handler can run any more. */
	if (d->inited & DEV_LEGACY) {
		legacy_unregister(&d->legacy, &vm->pio);
		legacy_destroy(&d->legacy);
	}
	bus_unregister(&vm->pio, PORT_COM1);
	bus_unregister(&vm->pio, PORT_DEBUGCON);
	bus_unregister(&vm->pio, PORT_DEBUG_EXIT);
	bus_unregister(&vm->pio, PORT_I8042_DATA);
	bus_unregister(&vm->pio, PORT_I8042_CMD);
	bus_unregister(&vm->pio, PORT_RTC);
	if (d->inited & DEV_RTC)
		rtc_destroy(&d->rtc);
	if (d->inited & DEV_KBD)
		i8042_destroy(&d->kbd);
	if (d->inited & DEV_DBG)
		debugport_destroy(&d->dbg);
	if (d->inited & DEV_UART)
		uart8250_destroy(&d->uart);
	free(d);
	vm->dev = NULL;
}

void vm_serial_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	if (vm->dev)
		uart8250_receive(&vm->dev->uart, buf, len);
}

int vm_kbd_set2(struct vm *vm, const uint8_t *set2, size_t len)
{
	return vm->dev ? i8042_kbd_set2(&vm->dev->kbd, set2, len) : -ENODEV;
}

int vm_mouse_event(struct vm *vm, int dx, int dy, int dz, unsigned buttons)
{
	return vm->dev ? i8042_mouse_event(&vm->dev->kbd, dx, dy, dz, buttons) : -ENODEV;
}

void vm_devices_stats(struct vm *vm, struct vm_devices_stats *out)
{
	struct uart8250_stats us;

	memset(out, 0, sizeof(*out));
	if (!vm->dev)
		return;
	uart8250_get_stats(&vm->dev->uart, &us);
	out->serial_tx = us.tx_bytes;
	out->serial_rx = us.rx_bytes;
	out->serial_rx_dropped = us.rx_dropped;
	out->post_code = legacy_post_code(&vm->dev->legacy);
}

int vm_write_mptable(struct vm *vm, char *err, size_t errlen)
{
	size_t len = LAYOUT_MPTABLE_END - LAYOUT_MPTABLE;
	uint8_t *p = guest_mem_ptr(&vm->mem, LAYOUT_MPTABLE, len);
	struct mptable_pci_irq routes[MPTABLE_MAX_PCI_IRQS];
	unsigned nroutes = vm->pci ? pci_irq_routes(vm->pci, routes, MPTABLE_MAX_PCI_IRQS) : 0;
	int r;

	if (!p) {
		snprintf(err, errlen, "guest RAM too small for the MP table");
		return -ENOSPC;
	}
	r = mptable_build(p, len, (uint32_t)LAYOUT_MPTABLE, vm->ncpus, routes, nroutes);
	if (r < 0) {
		snprintf(err, errlen, "MP table for %u vCPUs does not fit in the BIOS area", vm->ncpus);
		return r;
	}
	return 0;
}

void vm_devices_save(struct vm *vm, struct snap_writer *w)
{
	struct vm_devices *d = vm->dev;

	uart8250_save(&d->uart, w);
	i8042_save(&d->kbd, w);
	rtc_save(&d->rtc, w);
	debugport_save(&d->dbg, w);
}

int vm_devices_load(struct vm *vm, const struct snap_file *f, int check_only,
		    char *err, size_t errlen)
{
	struct vm_devices *d = vm->dev;
	const struct {
		uint32_t id, version;
		const char *name;
	} secs[] = {
		{ SNAP_SEC_UART, UART8250_STATE_VERSION, "COM1" },
		{ SNAP_SEC_I8042, I8042_STATE_VERSION, "i8042" },
		{ SNAP_SEC_RTC, RTC_STATE_VERSION, "RTC" },
		{ SNAP_SEC_DEBUGPORT, DEBUGPORT_STATE_VERSION, "debug ports" },
	};

	for (unsigned i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		const struct snap_section *s = snap_find(f, secs[i].id, 0);
		int r;
		if (!s) {
			snprintf(err, errlen, "%s: no %s state", snap_error_name(SNAP_E_MISSING),
				 secs[i].name);
			return -EINVAL;
		}
		if (s->version != secs[i].version) {
			snprintf(err, errlen, "%s: %s state version %u, this build reads %u",
				 snap_error_name(SNAP_E_VERSION), secs[i].name, s->version,
				 secs[i].version);
			return -EINVAL;
		}
		switch (secs[i].id) {
		case SNAP_SEC_UART:
			r = uart8250_load(check_only ? NULL : &d->uart, s->data, s->len, err, errlen);
			break;
		case SNAP_SEC_I8042:
			r = i8042_load(check_only ? NULL : &d->kbd, s->data, s->len, err, errlen);
			break;
		case SNAP_SEC_RTC:
			r = rtc_load(check_only ? NULL : &d->rtc, s->data, s->len, err, errlen);
			break;
		default:
			r = debugport_load(check_only ? NULL : &d->dbg, s->data, s->len, err, errlen);
			break;
		}
		if (r)
			return r;
	}
	return 0;
}

/* The serial console of the selected VM: a connection to its console
 * socket (vmctl_console_open), read into a scrollback buffer, keys written
 * back when the pane has focus. */
#ifndef VMDECK_UI_CONLINK_H
#define VMDECK_UI_CONLINK_H

#include <stdbool.h>
#include <stddef.h>

#include "conbuf.h"
#include "vmlib.h"

struct conlink {
	char name[VMLIB_NAME_MAX];  /* VM attached, "" when none */
	int fd;                     /* -1 when not connected */
	struct conbuf buf;
	char err[160];
};

void conlink_init(struct conlink *c);
/* Attaches to name (detaching from any other VM); a no-op if already attached. */
int conlink_attach(struct conlink *c, struct vmlib *lib, const char *name);
void conlink_detach(struct conlink *c);
/* Reads what is waiting; returns bytes read, 0 for none, -1 when the VM
 * closed the console (the link is closed, the scrollback kept). */
int conlink_poll(struct conlink *c);
int conlink_send(struct conlink *c, const char *data, size_t n);

#endif

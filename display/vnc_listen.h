/* Parsing of [display] vnc = ... and password generation for the VNC
 * server; separate from vnc.c so both are unit-testable without sockets. */
#ifndef VMDECK_DISPLAY_VNC_LISTEN_H
#define VMDECK_DISPLAY_VNC_LISTEN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct vnc_listen {
	bool off;
	struct in_addr addr; /* network order */
	int port;	     /* 0: first free from VNC_FIRST_PORT */
	bool loopback;	     /* addr in 127.0.0.0/8 */
};

/* "auto"/NULL, "off", "HOST:PORT", "HOST", ":PORT".  Returns 0 or -EINVAL
 * with a message naming the bad part. */
int vnc_listen_parse(const char *spec, struct vnc_listen *out, char *err, size_t errlen);

/* Writes len random characters from [A-Za-z0-9] plus a NUL into buf
 * (bufsize > len) using getrandom(2); returns 0 or -errno. */
int vnc_password_generate(char *buf, size_t bufsize, size_t len);

#endif

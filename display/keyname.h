/* Key combinations by name, as `vmdeck sendkey` and the control socket take
 * them (QEMU's sendkey spelling): "ctrl-alt-delete", "shift-a", "ret", "f1". */
#ifndef VMDECK_KEYNAME_H
#define VMDECK_KEYNAME_H

#include <stddef.h>
#include <stdint.h>

#define KEYNAME_MAX_KEYS 8

/* Parses "a-b-c" into X11 keysyms (pressed in order, released in reverse).
 * Returns the number of keys, or -EINVAL naming nothing (unknown name,
 * empty part, more than KEYNAME_MAX_KEYS). */
int keyname_parse(const char *combo, uint32_t *keysyms, size_t max);
/* Set-2 bytes for pressing then releasing the combo; returns the byte
 * count or -errno. */
int keyname_combo_set2(const char *combo, uint8_t *out, size_t max);

#endif

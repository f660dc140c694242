/* X11 keysyms (as sent in RFB KeyEvent, RFC 6143 7.5.4) -> PS/2 scan code
 * set 2 make/break sequences, the keyboard's native set.  The i8042 model
 * in vmm-core translates to set 1 when the guest enables translation. */
#ifndef VMDECK_DISPLAY_KEYMAP_H
#define VMDECK_DISPLAY_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest sequence keymap_keysym_to_set2 produces (Pause make). */
#define KEYMAP_MAX_SEQ 8

/* Writes the set-2 bytes for pressing (down) or releasing a key into
 * out[0..max) and returns their count; 0 if the keysym has no key or max is
 * too small.  Shifted keysyms ('A', '!') map to their physical key only:
 * the client sends Shift separately (RFC 6143 7.5.4). */
size_t keymap_keysym_to_set2(uint32_t keysym, bool down, uint8_t *out, size_t max);

#endif

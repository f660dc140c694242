/* The i8042 keyboard controller's set 2 -> set 1 translation table. */
#ifndef VMDECK_DISPLAY_SCANCODE_H
#define VMDECK_DISPLAY_SCANCODE_H

#include <stdint.h>

/* With translation enabled (controller command byte bit 6, "XLATE"), the
 * 8042 passes every byte from the keyboard through this table; for an F0
 * (break) prefix it emits nothing and sets bit 7 of the next translated
 * byte instead.  E0 and E1 prefixes map to themselves.  That F0 state
 * machine belongs to the i8042 model; this is only the byte table. */
uint8_t keymap_set2_to_set1_code(uint8_t set2);

#endif

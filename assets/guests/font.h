/* 8x16 bitmap font for ASCII, generated at start-up from font.c's glyphs.
 * Row r of character c is font8x16[c][r]; bit 7 is the leftmost pixel. */
#ifndef VMDECK_GUEST_FONT_H
#define VMDECK_GUEST_FONT_H
#include <stdint.h>
extern uint8_t font8x16[128][16];
void font_init(void);
#endif

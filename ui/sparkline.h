/* Sparklines: a history of samples drawn as one row of block characters
 * (U+2581..U+2588), or ASCII " .:-=+*#" on terminals without UTF-8.
 * Pure functions (unit-tested). */
#ifndef VMDECK_UI_SPARKLINE_H
#define VMDECK_UI_SPARKLINE_H

#include <stdbool.h>
#include <stddef.h>

#define SPARK_HIST 64

struct spark_hist {
	double v[SPARK_HIST];
	unsigned n;     /* valid samples */
	unsigned head;  /* next slot to write */
};

void spark_push(struct spark_hist *h, double v);
void spark_clear(struct spark_hist *h);
/* Copies the newest min(n, max) samples, oldest first; returns the count. */
unsigned spark_linear(const struct spark_hist *h, double *out, unsigned max);

/* Renders the newest `width` values right-aligned into out (NUL-terminated,
 * at most width*3+1 bytes in UTF-8). Scaled to max(values, floor); a value
 * above zero always shows at least the lowest bar. Returns bytes written. */
size_t spark_render(const double *vals, unsigned n, unsigned width, double floor, bool utf8,
		    char *out, size_t len);
/* Level 0..8 of v on a scale of max (0 = blank). */
unsigned spark_level(double v, double max);

#endif

/* Sparkline history and rendering. */
#include "sparkline.h"

#include <string.h>

void spark_push(struct spark_hist *h, double v)
{
	h->v[h->head] = v;
	h->head = (h->head + 1) % SPARK_HIST;
	if (h->n < SPARK_HIST)
		h->n++;
}

void spark_clear(struct spark_hist *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned spark_linear(const struct spark_hist *h, double *out, unsigned max)
{
	unsigned n = h->n < max ? h->n : max;
	unsigned start = (h->head + SPARK_HIST - n) % SPARK_HIST;

	for (unsigned i = 0; i < n; i++)
		out[i] = h->v[(start + i) % SPARK_HIST];
	return n;
}

unsigned spark_level(double v, double max)
{
	if (!(v > 0) || !(max > 0))
		return 0;
	if (v >= max)
		return 8;
	unsigned l = (unsigned)(v / max * 8.0 + 0.5);
	if (l < 1)
		l = 1;
	return l > 8 ? 8 : l;
}

size_t spark_render(const double *vals, unsigned n, unsigned width, double floor, bool utf8,
		    char *out, size_t len)
{
	static const char *const blocks[9] = {
		" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588",
	};
	static const char ascii[9] = { ' ', '.', '.', ':', '-', '=', '+', '*', '#' };
	unsigned shown = n < width ? n : width;
	const double *v = vals + (n - shown);
	double max = floor;
	size_t o = 0;

	if (!len)
		return 0;
	for (unsigned i = 0; i < shown; i++)
		if (v[i] > max)
			max = v[i];
	for (unsigned i = 0; i < width; i++) {
		unsigned lvl = 0;
		if (i >= width - shown)
			lvl = spark_level(v[i - (width - shown)], max);
		const char *s = utf8 ? blocks[lvl] : (const char[2]){ ascii[lvl], 0 };
		size_t sl = strlen(s);
		if (o + sl + 1 > len)
			break;
		memcpy(out + o, s, sl);
		o += sl;
	}
	out[o] = 0;
	return o;
}

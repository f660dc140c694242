/* Number formatting and size parsing for the dashboard. */
#include "config.h"
#include "fmt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

void fmt_rate(double v, char *out, size_t len)
{
	static const char suffix[] = "kMGT";

	if (!(v > 0)) { /* also NaN */
		snprintf(out, len, "0");
		return;
	}
	if (v < 9.95 && v != (double)(uint64_t)v) {
		snprintf(out, len, "%.1f", v);
		return;
	}
	if (v < 999.5) {
		snprintf(out, len, "%.0f", v);
		return;
	}
	for (int i = 0; suffix[i]; i++) {
		v /= 1000.0;
		if (v < 9.95) {
			snprintf(out, len, "%.1f%c", v, suffix[i]);
			return;
		}
		if (v < 999.5) {
			snprintf(out, len, "%.0f%c", v, suffix[i]);
			return;
		}
	}
	snprintf(out, len, "huge");
}

void fmt_bytes(uint64_t v, char *out, size_t len)
{
	static const char suffix[] = "BKMGTP";
	double d = (double)v;
	int i = 0;

	while (d >= 1023.5 && suffix[i + 1]) {
		d /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(out, len, "%lluB", (unsigned long long)v);
	else if (d < 9.95 && d != (double)(uint64_t)d)
		snprintf(out, len, "%.1f%c", d, suffix[i]);
	else
		snprintf(out, len, "%.0f%c", d, suffix[i]);
}

void fmt_duration(uint64_t ns, char *out, size_t len)
{
	uint64_t s = ns / 1000000000ull;

	if (s < 60)
		snprintf(out, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, len, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(out, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(out, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}

/* The same sizes the VM definition files take (app/config.c). */
int fmt_parse_size(const char *s, uint64_t *out)
{
	return config_parse_size(s, out) ? -EINVAL : 0;
}

int fmt_parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end || v > 0xFFFFFFFFul)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

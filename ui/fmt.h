/* Number formatting for narrow table cells, and parsing of sizes typed in
 * the create wizard. Pure functions (unit-tested). */
#ifndef VMDECK_UI_FMT_H
#define VMDECK_UI_FMT_H

#include <stddef.h>
#include <stdint.h>

/* A rate in at most 5 characters: "0", "950", "1.2k", "12k", "3.4M". */
void fmt_rate(double v, char *out, size_t len);
/* Bytes with a binary suffix: "512K", "64M", "1.5G". */
void fmt_bytes(uint64_t v, char *out, size_t len);
/* Seconds as "59s", "12m03s", "3h12m", "2d04h". */
void fmt_duration(uint64_t ns, char *out, size_t len);
/* "64M", "1G", "512k", "1048576" (bytes); 0 on success, -EINVAL otherwise. */
int fmt_parse_size(const char *s, uint64_t *out);
/* Unsigned decimal; -EINVAL on anything else. */
int fmt_parse_uint(const char *s, unsigned *out);

#endif

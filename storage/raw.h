/* raw image format */
#ifndef VMDECK_STORAGE_RAW_H
#define VMDECK_STORAGE_RAW_H

#include <stddef.h>
#include <stdint.h>

/* Creates (or truncates) path as a sparse raw image of size bytes. */
int raw_create(const char *path, uint64_t size, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * fuzz-common.h: what the reader fuzz targets share: one registry of the
 * native plugins, and one read of an input to its end with every flow
 * formatted as JSON and the header metadata listed.
 */
#pragma once

#include <stddef.h>

#include <flowread/flowread.h>

/* Loads the native plugins (FUZZ_PLUGIN_PATH); aborts if none load. */
void fuzz_init (void);
/* Reads data as format (NULL: the whole probe loop) and aborts on any
 * broken contract (failure without an error, too many flows ...). */
void fuzz_read_all (const guint8 *data, gsize size, const char *format);
/* The registry fuzz_init() loaded. */
FlRegistry *fuzz_registry (void);

/* SPDX-License-Identifier: MIT */
/*
 * fuzz-reader.c: libFuzzer target for the library's read path.
 *
 * Built once per target (fuzz/meson.build): with FUZZ_FORMAT "" it runs
 * the whole probe loop over every native plugin (wrappers included, so gzip
 * inputs are unwrapped and re-probed); with a name it forces that format
 * reader via FlOpenOptions.format, so the fuzzer reaches the reader's code
 * without first having to satisfy its probe. Every flow is formatted as
 * JSON and the header metadata is listed, so the record helpers are fuzzed
 * too.
 */
#include <stdint.h>

#include "fuzz-common.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT ""
#endif

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_read_all (data, size, FUZZ_FORMAT[0] != '\0' ? FUZZ_FORMAT : NULL);
  return 0;
}

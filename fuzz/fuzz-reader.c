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
#include <stdio.h>
#include <stdlib.h>

#include <flowread/flowread.h>
#include "fl-writer.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT ""
#endif

/* A fuzz input is small: more flows than this means a reader loops. */
#define FUZZ_MAX_FLOWS (1u << 24)

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static FlRegistry *registry;
static FILE *devnull;

static void
count_info (const char *key, const char *value, gpointer user_data)
{
  /* Touch every byte so that ASan checks the strings. */
  *(gsize *) user_data += strlen (key) + strlen (value);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  GError *error = NULL;

  /* Only the native plugins: exec plugins would fuzz external programs,
   * one process per input. */
  g_setenv ("FLOWREAD_PLUGIN_PATH", FUZZ_PLUGIN_PATH, TRUE);
  /* A critical (a g_return_if_fail tripped) is a bug, whatever the input. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                          G_LOG_LEVEL_ERROR);
  registry = fl_registry_new_default (&error);
  if (registry == NULL)
    {
      fprintf (stderr, "fuzz: no plugins in %s: %s\n", FUZZ_PLUGIN_PATH,
               error->message);
      abort ();
    }
  devnull = fopen ("/dev/null", "w");
  if (devnull == NULL)
    abort ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FlOpenOptions opts = { .struct_size = sizeof opts };
  GError *error = NULL;
  FlReader *r;
  FlWriter *w;
  FlFlow flow;
  FlStatus st;
  gsize info = 0;
  guint n = 0;

  if (FUZZ_FORMAT[0] != '\0')
    opts.format = FUZZ_FORMAT;
  r = fl_reader_open_memory (registry, data, size, "fuzz-input", &opts,
                             &error);
  if (r == NULL)
    {
      if (error == NULL)
        abort ();             /* failure without an error */
      g_error_free (error);
      return 0;
    }
  fl_reader_foreach_info (r, count_info, &info);
  w = fl_writer_new (FL_OUTPUT_JSON, devnull);
  fl_writer_begin_input (w, r);
  fl_flow_init (&flow);
  while ((st = fl_reader_next (r, &flow, &error)) == FL_STATUS_OK)
    {
      fl_writer_write (w, &flow);
      if (++n > FUZZ_MAX_FLOWS)
        abort ();
    }
  if ((st == FL_STATUS_ERROR) != (error != NULL))
    abort ();                 /* ERROR must come with an error, END without */
  g_clear_error (&error);
  fl_writer_flush (w, NULL);
  fl_writer_free (w);
  fl_reader_close (r);
  return 0;
}

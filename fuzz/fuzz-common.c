/* SPDX-License-Identifier: MIT */
#include "fuzz-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl-writer.h"

/* A fuzz input is small: more flows than this means a reader loops. */
#define FUZZ_MAX_FLOWS (1u << 24)

static FlRegistry *registry;
static FILE *devnull;

static void
count_info (const char *key, const char *value, gpointer user_data)
{
  /* Touch every byte so that ASan checks the strings. */
  *(gsize *) user_data += strlen (key) + strlen (value);
}

void
fuzz_init (void)
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
}

FlRegistry *
fuzz_registry (void)
{
  return registry;
}

void
fuzz_read_all (const guint8 *data, gsize size, const char *format)
{
  FlOpenOptions opts = { .struct_size = sizeof opts, .format = format };
  GError *error = NULL;
  FlReader *r;
  FlWriter *w;
  FlFlow flow;
  FlStatus st;
  gsize info = 0;
  guint n = 0;

  r = fl_reader_open_memory (registry, data, size, "fuzz-input", &opts,
                             &error);
  if (r == NULL)
    {
      if (error == NULL)
        abort ();             /* failure without an error */
      g_error_free (error);
      return;
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
}

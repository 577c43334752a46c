/* SPDX-License-Identifier: MIT */
/*
 * fuzz-gzip.c: libFuzzer target for the gzip wrapper alone. The plugin is
 * loaded like the core loads it and its decoded stream is read to the end,
 * in odd-sized pieces, through fl_stream_peek/consume and fl_stream_read.
 * Checked beyond the sanitizers: a read error sticks, and the decoded size
 * is bounded by deflate's maximum ratio.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <gmodule.h>

#include <flowread/flowread-plugin.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const FlReaderClass *gzip_class;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  GModule *mod = g_module_open (FUZZ_GZIP_SO, G_MODULE_BIND_LOCAL);
  FlPluginEntryFunc entry = NULL;

  if (mod == NULL || !g_module_symbol (mod, FL_PLUGIN_ENTRY_SYMBOL,
                                       (gpointer *) &entry))
    {
      fprintf (stderr, "fuzz: cannot load %s: %s\n", FUZZ_GZIP_SO,
               g_module_error ());
      abort ();
    }
  gzip_class = entry ()->readers[0];
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                          G_LOG_LEVEL_ERROR);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static guint8 buf[70001];
  FlStream *inner = fl_stream_new_memory (data, size, "fuzz.gz");
  FlStream *s;
  GError *error = NULL;
  guint64 total = 0;
  gsize piece = 1 + (size > 0 ? data[size - 1] * 271u : 0);

  s = gzip_class->wrap (inner, NULL, &error);
  if (s == NULL)
    abort ();                 /* wrap() only sets up zlib: cannot fail here */
  for (;;)
    {
      gsize avail = 0;
      const guint8 *p;
      gssize n;

      /* Alternate peek/consume and read, as format plugins do. */
      p = fl_stream_peek (s, piece, &avail, &error);
      if (p == NULL)
        break;
      if (avail > 0)
        {
          volatile guint8 sink = p[avail - 1];
          (void) sink;
          fl_stream_consume (s, avail);
          total += avail;
        }
      n = fl_stream_read (s, buf, sizeof buf, &error);
      if (n < 0)
        break;
      total += (guint64) n;
      if (n == 0 && avail < piece)
        break;
      /* deflate expands at most ~1032:1 (plus a little per member). */
      if (total > (guint64) size * 1032 + 65536)
        abort ();
    }
  if (error != NULL)
    {
      GError *again = NULL;

      if (error->domain != FL_ERROR)
        abort ();
      /* The failure sticks. */
      if (fl_stream_read (s, buf, 16, &again) != -1 || again == NULL)
        abort ();
      g_error_free (again);
      g_error_free (error);
    }
  fl_stream_unref (s);
  fl_stream_unref (inner);
  return 0;
}

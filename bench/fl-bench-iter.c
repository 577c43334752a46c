/* SPDX-License-Identifier: MIT */
/*
 * fl-bench-iter: library-level throughput. Opens FILE with the public API
 * (probing, or the format named by -F), iterates every flow into one reused
 * FlFlow and writes nothing per flow, so that the CLI's formatting cost can
 * be told apart from reading and decoding.
 *
 *   fl-bench-iter [-F FORMAT] [--plugin-dir DIR] FILE
 *
 * Prints "<flows> <chain>" and exits 0, or 1 with the error (3 if the input
 * was truncated), like flowread.
 */
#include <stdio.h>
#include <string.h>

#include <flowread/flowread.h>

int
main (int argc, char **argv)
{
  const char *format = NULL;
  const char *path = NULL;
  g_autoptr (FlRegistry) registry = fl_registry_new ();
  g_autoptr (GError) error = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "-F") == 0 && i + 1 < argc)
        format = argv[++i];
      else if (strcmp (argv[i], "--plugin-dir") == 0 && i + 1 < argc)
        fl_registry_add_dir (registry, argv[++i]);
      else if (path == NULL)
        path = argv[i];
      else
        path = NULL, i = argc;
    }
  if (path == NULL)
    {
      fprintf (stderr, "usage: fl-bench-iter [-F FORMAT] [--plugin-dir DIR] FILE\n");
      return 2;
    }

  if (!fl_registry_load (registry, &error))
    {
      fprintf (stderr, "fl-bench-iter: %s\n", error->message);
      return 1;
    }

  FlOpenOptions options = { .struct_size = sizeof options, .format = format };
  g_autoptr (FlReader) reader = fl_reader_open_path (registry, path, &options,
                                                     &error);
  if (reader == NULL)
    {
      fprintf (stderr, "fl-bench-iter: %s\n", error->message);
      return 1;
    }

  FlFlow flow;
  fl_flow_init (&flow);
  guint64 n = 0;
  /* Sum a few fields so that a reader which skips decoding cannot look
   * faster than one that does the work; printed, so it is not optimised out. */
  guint64 octets = 0;
  FlStatus st;
  while ((st = fl_reader_next (reader, &flow, &error)) == FL_STATUS_OK)
    {
      n++;
      octets += flow.dOctets + (guint64) flow.first;
    }

  printf ("%" G_GUINT64_FORMAT " %s %" G_GUINT64_FORMAT "\n", n,
          fl_reader_get_chain (reader), octets);
  if (st == FL_STATUS_ERROR)
    {
      fprintf (stderr, "fl-bench-iter: %s\n", error ? error->message : "error");
      return g_error_matches (error, FL_ERROR, FL_ERROR_TRUNCATED) ? 3 : 1;
    }
  return 0;
}

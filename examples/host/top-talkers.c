/* SPDX-License-Identifier: MIT */
/*
 * top-talkers: a host application of libflowread. Sums dOctets per source
 * address over any number of NetFlow files (any format and wrapper a
 * loaded plugin reads) and prints the N biggest senders.
 *
 *   top-talkers [-n N] [--plugin-dir=DIR]... FILE...
 *
 * It handles errors the way `flowread` does: a file that cannot be opened
 * or read is reported (file, plugin chain, byte offset, reason) and the
 * next file is read; flows read before an error still count. Exit status:
 * 0 all read, 1 a file failed, 2 bad usage, 3 a file was truncated (and
 * none failed).
 *
 * Built against the installed library only: pkg-config flowread-1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowread/flowread.h>

enum { EXIT_TRUNCATED = 3, EXIT_USAGE = 2 };

typedef struct {
  FlAddr  addr;    /* the hash key: family + 16 bytes, zero padded */
  guint64 bytes;
  guint64 flows;
} Talker;

static guint
addr_hash (gconstpointer p)
{
  const FlAddr *a = p;
  guint h = 5381 + a->family;

  for (gsize i = 0; i < sizeof a->addr; i++)
    h = h * 33 + a->addr[i];
  return h;
}

static gboolean
addr_equal (gconstpointer a, gconstpointer b)
{
  const FlAddr *x = a, *y = b;

  return x->family == y->family && memcmp (x->addr, y->addr, 16) == 0;
}

/* Biggest first; equal sums in address order, so the output is stable. */
static int
compare_talkers (gconstpointer pa, gconstpointer pb)
{
  const Talker *a = *(Talker *const *) pa, *b = *(Talker *const *) pb;

  if (a->bytes != b->bytes)
    return a->bytes > b->bytes ? -1 : 1;
  if (a->addr.family != b->addr.family)
    return a->addr.family < b->addr.family ? -1 : 1;
  return memcmp (a->addr.addr, b->addr.addr, 16);
}

/* Reads one file into talkers; returns its exit status. */
static int
read_file (FlRegistry *registry, const char *path, GHashTable *talkers,
           guint64 *n_flows)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FlReader) reader = NULL;
  FlFlow flow;
  FlStatus status;

  /* "-" is standard input; the library probes it without seeking. */
  reader = fl_reader_open_path (registry, path, NULL, &error);
  if (reader == NULL)
    {
      /* The message already names the file (and the chain, if any). */
      g_printerr ("top-talkers: %s\n", error->message);
      return EXIT_FAILURE;
    }

  fl_flow_init (&flow);
  while ((status = fl_reader_next (reader, &flow, &error)) == FL_STATUS_OK)
    {
      Talker *t;

      (*n_flows)++;
      /* A format without byte counts or source addresses (absent, not
       * zero) has nothing to add. */
      if (!fl_flow_has (&flow, FL_FIELD_SRCADDR)
          || !fl_flow_has (&flow, FL_FIELD_DOCTETS))
        continue;
      t = g_hash_table_lookup (talkers, &flow.srcaddr);
      if (t == NULL)
        {
          /* One allocation per distinct address, not per flow. */
          t = g_new0 (Talker, 1);
          t->addr = flow.srcaddr;
          g_hash_table_add (talkers, t);
        }
      t->bytes += flow.dOctets;
      t->flows++;
    }

  if (status == FL_STATUS_ERROR)
    {
      if (g_error_matches (error, FL_ERROR, FL_ERROR_TRUNCATED))
        {
          /* Every complete flow was returned: they count. */
          g_printerr ("top-talkers: warning: input truncated: %s\n",
                      error->message);
          return EXIT_TRUNCATED;
        }
      g_printerr ("top-talkers: %s\n",
                  error != NULL ? error->message : "read failed");
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

int
main (int argc, char **argv)
{
  gint top = 10;
  g_auto (GStrv) plugin_dirs = NULL;
  g_auto (GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "top", 'n', 0, G_OPTION_ARG_INT, &top, "Print the N biggest senders "
      "(default 10)", "N" },
    { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs,
      "Add a plugin folder (searched first)", "DIR" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL,
      NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (FlRegistry) registry = NULL;
  g_autoptr (GHashTable) talkers = NULL;
  g_autoptr (GPtrArray) sorted = NULL;
  gboolean any_failed = FALSE, any_truncated = FALSE;
  guint64 n_flows = 0;
  GHashTableIter iter;
  gpointer key;

  context = g_option_context_new ("FILE... - sum bytes per source address");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("top-talkers: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (files == NULL || files[0] == NULL || top < 1)
    {
      g_printerr ("top-talkers: %s\n", top < 1 ? "-n wants a number >= 1"
                                               : "no FILE given");
      return EXIT_USAGE;
    }

  /* One registry for the whole program: loading plugins is the expensive
   * part, and a loaded registry may be shared by threads. */
  registry = fl_registry_new ();
  for (guint i = 0; plugin_dirs != NULL && plugin_dirs[i] != NULL; i++)
    fl_registry_add_dir (registry, plugin_dirs[i]);
  if (!fl_registry_load (registry, &error))
    {
      /* Not fatal, like flowread: each file then fails with its reason. */
      g_printerr ("top-talkers: warning: %s\n", error->message);
      g_clear_error (&error);
    }

  talkers = g_hash_table_new_full (addr_hash, addr_equal, g_free, NULL);
  for (guint i = 0; files[i] != NULL; i++)
    {
      int st = read_file (registry, files[i], talkers, &n_flows);

      any_failed |= st == EXIT_FAILURE;
      any_truncated |= st == EXIT_TRUNCATED;
    }

  sorted = g_ptr_array_sized_new (g_hash_table_size (talkers));
  g_hash_table_iter_init (&iter, talkers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (sorted, key);
  g_ptr_array_sort (sorted, compare_talkers);

  printf ("%-39s %20s %12s\n", "srcaddr", "dOctets", "flows");
  for (guint i = 0; i < sorted->len && i < (guint) top; i++)
    {
      const Talker *t = sorted->pdata[i];
      char addr[FL_ADDR_STRLEN];

      printf ("%-39s %20" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT "\n",
              fl_addr_to_string (&t->addr, addr), t->bytes, t->flows);
    }
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      perror ("top-talkers: stdout");
      return EXIT_FAILURE;
    }
  g_printerr ("top-talkers: %" G_GUINT64_FORMAT " flows, %u source "
              "addresses\n", n_flows, g_hash_table_size (talkers));

  return any_failed ? EXIT_FAILURE : any_truncated ? EXIT_TRUNCATED
                                                    : EXIT_SUCCESS;
}

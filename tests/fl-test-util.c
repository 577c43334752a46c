/* SPDX-License-Identifier: MIT */
#include "fl-test-util.h"

#include <flowread/flowread.h>

#include <gio/gio.h>
#include <stdio.h>

#include "fl-writer.h"

#include <string.h>
#include <sys/wait.h>

char *
fl_test_corpus_path (const char *rel)
{
  const char *dir = g_getenv ("FLOWREAD_CORPUS");

  if (dir == NULL)
    g_error ("FLOWREAD_CORPUS is not set: run the tests with meson test");
  return g_build_filename (dir, rel, NULL);
}

const char *
fl_test_flowread_bin (void)
{
  const char *bin = g_getenv ("FLOWREAD_BIN");

  if (bin == NULL)
    g_error ("FLOWREAD_BIN is not set: run the tests with meson test");
  return bin;
}

void
fl_test_run_cli (FlTestRun *run, const char *stdin_path,
                 const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) l = NULL;
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) err = NULL;

  memset (run, 0, sizeof *run);
  g_ptr_array_add (argv, (gpointer) fl_test_flowread_bin ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (stdin_path != NULL)
    g_subprocess_launcher_set_stdin_file_path (l, stdin_path);
  p = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata,
                                    &error);
  g_assert_no_error (error);
  g_subprocess_communicate (p, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  run->out = g_bytes_unref_to_data (g_steal_pointer (&out), &run->out_len);
  {
    gsize n;
    char *e = g_bytes_unref_to_data (g_steal_pointer (&err), &n);
    run->err = g_realloc (e, n + 1);
    run->err[n] = '\0';
  }
  run->out = g_realloc (run->out, run->out_len + 1);
  run->out[run->out_len] = '\0';
  if (g_subprocess_get_if_exited (p))
    run->status = g_subprocess_get_exit_status (p);
  else
    run->status = 128 + g_subprocess_get_term_sig (p);
}

void
fl_test_run_clear (FlTestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

static void
row_free (gpointer p)
{
  FlTestManifestRow *r = p;

  g_free (r->file);
  g_free (r->format);
  g_free (r->outcome);
  g_free (r->expected);
  g_free (r->golden);
  g_free (r->note);
  g_free (r);
}

GPtrArray *
fl_test_manifest_load (void)
{
  return fl_test_manifest_load_file ("MANIFEST.tsv");
}

GPtrArray *
fl_test_manifest_load_file (const char *rel)
{
  g_autofree char *path = fl_test_corpus_path (rel);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++) /* line 0 is the header */
    {
      g_auto (GStrv) f = NULL;
      FlTestManifestRow *r;

      if (lines[i][0] == '\0')
        continue;
      f = g_strsplit (lines[i], "\t", -1);
      g_assert_cmpuint (g_strv_length (f), >=, 6);
      r = g_new0 (FlTestManifestRow, 1);
      r->file = g_strdup (f[0]);
      r->format = g_strdup (f[1]);
      r->flows = (guint) g_ascii_strtoull (f[2], NULL, 10);
      r->outcome = g_strdup (f[3]);
      r->expected = g_strdup (f[4]);
      r->golden = g_strdup (f[5]);
      r->note = g_strdup (f[6] != NULL ? f[6] : "");
      g_ptr_array_add (rows, r);
    }
  g_assert_cmpuint (rows->len, >, 0);
  return rows;
}

char *
fl_test_read_file (const char *path, gsize *len)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;
  gsize n = 0;

  g_file_get_contents (path, &text, &n, &error);
  g_assert_no_error (error);
  if (len != NULL)
    *len = n;
  return text;
}

char *
fl_test_corpus_read (const char *rel, gsize *len)
{
  g_autofree char *path = fl_test_corpus_path (rel);

  return fl_test_read_file (path, len);
}

GBytes *
fl_test_corpus_bytes (const char *rel)
{
  gsize len = 0;
  char *data = fl_test_corpus_read (rel, &len);

  return g_bytes_new_take (data, len);
}

guint
fl_test_count_lines (const char *text, gsize len)
{
  guint n = 0;

  for (gsize i = 0; i < len; i++)
    if (text[i] == '\n')
      n++;
  if (len > 0 && text[len - 1] != '\n')
    n++;
  return n;
}

void
fl_test_assert_same_bytes (const char *what, const char *got, gsize got_len,
                           const char *want, gsize want_len)
{
  gsize i = 0, line_start = 0;
  guint line = 1;
  g_autofree char *got_line = NULL;
  g_autofree char *want_line = NULL;
  const char *e;

  if (got_len == want_len && memcmp (got, want, got_len) == 0)
    return;
  while (i < got_len && i < want_len && got[i] == want[i])
    {
      if (got[i] == '\n')
        {
          line++;
          line_start = i + 1;
        }
      i++;
    }
  e = memchr (got + line_start, '\n', got_len - line_start);
  got_line = g_strndup (got + line_start,
                        (e != NULL ? (gsize) (e - got) : got_len) - line_start);
  e = memchr (want + line_start, '\n', want_len - line_start);
  want_line = g_strndup (want + line_start,
                         (e != NULL ? (gsize) (e - want) : want_len) - line_start);
  g_test_message ("%s: output differs at line %u (got %" G_GSIZE_FORMAT
                  " bytes, %u lines; want %" G_GSIZE_FORMAT " bytes, %u lines)",
                  what, line, got_len, fl_test_count_lines (got, got_len),
                  want_len, fl_test_count_lines (want, want_len));
  if (i >= got_len)
    g_test_message ("%s: output ends early", what);
  else if (i >= want_len)
    g_test_message ("%s: output goes on: %s", what, got_line);
  g_assert_cmpstr (got_line, ==, want_line);
  /* same line text, so the difference is a NUL byte or the end */
  g_assert_cmpuint (got_len, ==, want_len);
  g_assert_true (memcmp (got, want, got_len) == 0);
}

FlRegistry *
fl_test_registry (void)
{
  static FlRegistry *registry;

  if (registry == NULL)
    {
      g_autoptr (GError) error = NULL;

      registry = fl_registry_new ();
      /* FALSE only when nothing loaded: the plugin checks then fail. */
      fl_registry_load (registry, &error);
    }
  return registry;
}

void
fl_test_assert_plugin_loaded (const char *name)
{
  FlRegistry *registry = fl_test_registry ();
  guint n = fl_registry_get_n_plugins (registry);
  gboolean found = FALSE;

  for (guint i = 0; i < n && !found; i++)
    {
      const FlPluginInfo *p = fl_registry_get_plugin (registry, i);

      found = p->loaded && g_strcmp0 (p->name, name) == 0;
    }
  if (!found)
    g_test_message ("plugin \"%s\" is not loaded from FLOWREAD_PLUGIN_PATH=%s",
                    name, g_getenv ("FLOWREAD_PLUGIN_PATH"));
  g_assert_true (found);
}

void
fl_test_read_drain (FlReader *reader, FlTestRead *res)
{
  g_autoptr (GError) werr = NULL;
  FILE *mem;
  FlWriter *w;
  FlFlow flow;

  if (reader == NULL)
    {
      res->status = FL_STATUS_ERROR;
      res->json = g_strdup ("");
      return;
    }
  res->format = g_strdup (fl_reader_get_format (reader));
  mem = open_memstream (&res->json, &res->json_len);
  g_assert_nonnull (mem);
  w = fl_writer_new (FL_OUTPUT_JSON, mem);
  fl_writer_begin_input (w, reader);
  fl_flow_init (&flow);
  for (;;)
    {
      res->status = fl_reader_next (reader, &flow, &res->error);
      if (res->status != FL_STATUS_OK)
        break;
      res->flows++;
      fl_writer_write (w, &flow);
    }
  g_assert_cmpint (fl_reader_next (reader, &flow, NULL), ==, res->status);
  g_assert_true (fl_writer_flush (w, &werr));
  g_assert_no_error (werr);
  fl_writer_free (w);
  fclose (mem);
  fl_reader_close (reader);
}

void
fl_test_read_clear (FlTestRead *res)
{
  g_free (res->json);
  g_free (res->format);
  g_clear_error (&res->error);
  memset (res, 0, sizeof *res);
}

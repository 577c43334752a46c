/* SPDX-License-Identifier: MIT */
/*
 * test-corpus.c: every row of $FLOWREAD_CORPUS/MANIFEST.tsv, through the
 * CLI and through the library, compared byte for byte with the expected
 * JSON lines (design.md section 8):
 *
 * The rows of $FLOWREAD_CORPUS/nfcapd/MANIFEST.tsv (paths relative to the
 * corpus as well) are read by the native "nfdump" reader; the top-level
 * manifest's nfdump rows hold what nfdump's text output can say (their
 * expected files were made for nfdump-exec), so they are read with
 * -F nfdump-exec.
 *
 *   /corpus/cli/FILE          flowread -o json FILE: stdout, exit status
 *                             (ok 0, truncated 3, corrupt/error 1), stderr
 *   /corpus/api/FILE          fl_reader_open_path() + fl_reader_next() into
 *                             one reused FlFlow + the json writer, and the
 *                             final status / error code
 *   /corpus/stdin/FILE        flowread -o json - < FILE for a few rows
 *   /corpus/flow-export/FILE  flowread -o flow-export FILE against the
 *                             golden flow-export -f2 output (or the
 *                             .correct.csv where flow-export is wrong)
 *
 * A row whose plugin is not built fails: every check first asserts that the
 * row's format plugin is loaded, so an "error" row cannot pass just because
 * nothing recognised the file.
 */
#include <stdio.h>
#include <string.h>

#include <flowread/flowread.h>
#include "fl-writer.h"
#include "fl-test-util.h"

/* Rows read through standard input as well: a gzip one, a flowd one, a text
 * one and a flow-tools one. */
static const char *const stdin_rows[] = {
  "gzip/mixed-v9.flowd.2members.gz",
  "flowd/synth-all-v6.log",
  "text/mixed-v9.flowd-reader.csv",
  "flow-tools/real-v8.6-be.ft",
};

/* A top-level nfdump row: its truth is nfdump-exec's (see above). */
static gboolean
is_exec_row (const FlTestManifestRow *row)
{
  return strcmp (row->format, "nfdump") == 0 &&
         !g_str_has_prefix (row->file, "nfcapd/");
}

/* The reader that must be loaded for a row, from its format column. */
static const char *
row_plugin (const FlTestManifestRow *row)
{
  if (strcmp (row->format, "flow-tools") == 0)
    return "flowtools";
  if (is_exec_row (row))
    return "nfdump-exec";
  return row->format; /* flowd, text, gzip, nfdump */
}

static int
outcome_status (const FlTestManifestRow *row)
{
  if (strcmp (row->outcome, "ok") == 0)
    return 0;
  if (strcmp (row->outcome, "truncated") == 0)
    return 3;
  g_assert_true (strcmp (row->outcome, "corrupt") == 0 ||
                 strcmp (row->outcome, "error") == 0);
  return 1;
}

static void
check_stderr (const FlTestManifestRow *row, const FlTestRun *run)
{
  g_autofree char *base = g_path_get_basename (row->file);

  if (strcmp (row->outcome, "ok") == 0)
    {
      g_assert_cmpstr (run->err, ==, "");
      return;
    }
  /* "flowread: MESSAGE", naming the file */
  g_assert_true (g_str_has_prefix (run->err, "flowread: "));
  g_assert_nonnull (strstr (run->err, base));
  if (strcmp (row->outcome, "truncated") == 0)
    g_assert_nonnull (strstr (run->err, "truncated"));
}

static void
test_cli (gconstpointer data)
{
  const FlTestManifestRow *row = data;
  g_autofree char *path = fl_test_corpus_path (row->file);
  const char *args[] = { "-o", "json", path, NULL };
  const char *exec_args[] = { "-F", "nfdump-exec", "-o", "json", path, NULL };
  g_autofree char *want = NULL;
  gsize want_len;
  FlTestRun run;

  fl_test_assert_plugin_loaded (row_plugin (row));
  want = fl_test_corpus_read (row->expected, &want_len);
  g_assert_cmpuint (fl_test_count_lines (want, want_len), ==, row->flows);

  fl_test_run_cli (&run, NULL, is_exec_row (row) ? exec_args : args);
  fl_test_assert_same_bytes (row->file, run.out, run.out_len, want, want_len);
  g_assert_cmpint (run.status, ==, outcome_status (row));
  check_stderr (row, &run);
  fl_test_run_clear (&run);
}

static void
test_stdin (gconstpointer data)
{
  const FlTestManifestRow *row = data;
  g_autofree char *path = fl_test_corpus_path (row->file);
  const char *args[] = { "-o", "json", "-", NULL };
  g_autofree char *want = NULL;
  gsize want_len;
  FlTestRun run;

  fl_test_assert_plugin_loaded (row_plugin (row));
  want = fl_test_corpus_read (row->expected, &want_len);
  fl_test_run_cli (&run, path, args);
  fl_test_assert_same_bytes (row->file, run.out, run.out_len, want, want_len);
  g_assert_cmpint (run.status, ==, outcome_status (row));
  fl_test_run_clear (&run);
}

static void
test_api (gconstpointer data)
{
  const FlTestManifestRow *row = data;
  g_autofree char *path = fl_test_corpus_path (row->file);
  g_autofree char *want = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (FlReader) reader = NULL;
  gsize want_len;
  char *got = NULL;
  size_t got_len = 0;
  FILE *mem;
  FlWriter *writer;
  FlStatus status = FL_STATUS_ERROR;
  FlFlow flow;
  FlOpenOptions opts = { sizeof opts, NULL };
  guint n = 0;

  fl_test_assert_plugin_loaded (row_plugin (row));
  want = fl_test_corpus_read (row->expected, &want_len);
  if (is_exec_row (row))
    opts.format = "nfdump-exec";

  mem = open_memstream (&got, &got_len);
  g_assert_nonnull (mem);
  writer = fl_writer_new (FL_OUTPUT_JSON, mem);
  reader = fl_reader_open_path (fl_test_registry (), path, &opts, &error);
  if (reader != NULL)
    {
      g_assert_no_error (error);
      fl_flow_init (&flow);
      fl_writer_begin_input (writer, reader);
      while ((status = fl_reader_next (reader, &flow, &error)) == FL_STATUS_OK)
        {
          g_assert_no_error (error);
          /* the core resets present; size stays the caller's */
          g_assert_cmpuint (flow.struct_size, ==, sizeof flow);
          fl_writer_write (writer, &flow);
          n++;
        }
    }
  g_assert_true (fl_writer_flush (writer, NULL));
  fl_writer_free (writer);
  g_assert_cmpint (fclose (mem), ==, 0);

  fl_test_assert_same_bytes (row->file, got, got_len, want, want_len);
  g_assert_cmpuint (n, ==, row->flows);
  free (got);

  if (strcmp (row->outcome, "ok") == 0)
    {
      g_assert_no_error (error);
      g_assert_nonnull (reader);
      g_assert_cmpint (status, ==, FL_STATUS_END);
    }
  else if (error == NULL)
    {
      g_test_message ("%s: no error at the end (status %d)", row->file,
                      status);
      g_test_fail ();
    }
  else
    {
      g_assert_true (error->domain == FL_ERROR);
      g_assert_nonnull (strstr (error->message, row->file));
      if (reader != NULL)
        g_assert_cmpint (status, ==, FL_STATUS_ERROR);
      if (strcmp (row->outcome, "truncated") == 0)
        g_assert_error (error, FL_ERROR, FL_ERROR_TRUNCATED);
      else
        g_assert_cmpint (error->code, !=, FL_ERROR_TRUNCATED);
    }

  /* END and ERROR stick; ERROR comes back without a new error. */
  if (reader != NULL)
    {
      g_autoptr (GError) again = NULL;

      g_assert_cmpint (fl_reader_next (reader, &flow, &again), ==, status);
      g_assert_no_error (again);
    }
}

/* The golden file of a flow-tools row in flow-export -f2 layout, or NULL.
 * A .correct.csv (flow-export is wrong there) counts only when it has the
 * same layout: a "#:" header line. */
static gboolean
has_flow_export_golden (const FlTestManifestRow *row)
{
  g_autofree char *text = NULL;

  if (strcmp (row->format, "flow-tools") != 0 ||
      strcmp (row->outcome, "corrupt") == 0 ||
      strcmp (row->outcome, "error") == 0)
    return FALSE;
  if (g_str_has_suffix (row->golden, ".flow-export.csv"))
    return TRUE;
  if (!g_str_has_suffix (row->golden, ".correct.csv"))
    return FALSE;
  text = fl_test_corpus_read (row->golden, NULL);
  return g_str_has_prefix (text, "#:");
}

static void
test_flow_export (gconstpointer data)
{
  const FlTestManifestRow *row = data;
  g_autofree char *path = fl_test_corpus_path (row->file);
  const char *args[] = { "-o", "flow-export", path, NULL };
  g_autofree char *want = NULL;
  gsize want_len;
  FlTestRun run;

  fl_test_assert_plugin_loaded (row_plugin (row));
  want = fl_test_corpus_read (row->golden, &want_len);
  /* flow-export drops a partial record silently: the same rows as ours */
  g_assert_cmpuint (fl_test_count_lines (want, want_len), ==, row->flows + 1);

  fl_test_run_cli (&run, NULL, args);
  fl_test_assert_same_bytes (row->file, run.out, run.out_len, want, want_len);
  g_assert_cmpint (run.status, ==, outcome_status (row));
  fl_test_run_clear (&run);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) rows = NULL;

  g_test_init (&argc, &argv, NULL);
  /* One failing row must not hide the others: the assertions mark the
   * case failed and the program goes on to the next case. */
  g_test_set_nonfatal_assertions ();
  rows = fl_test_manifest_load ();
  {
    GPtrArray *nfcapd = fl_test_manifest_load_file ("nfcapd/MANIFEST.tsv");

    g_assert_cmpuint (nfcapd->len, ==, 127);
    g_ptr_array_extend_and_steal (rows, nfcapd); /* rows owns them now */
  }

  for (guint i = 0; i < rows->len; i++)
    {
      const FlTestManifestRow *row = rows->pdata[i];
      g_autofree char *cli = g_strdup_printf ("/corpus/cli/%s", row->file);
      g_autofree char *api = g_strdup_printf ("/corpus/api/%s", row->file);

      g_test_add_data_func (cli, row, test_cli);
      g_test_add_data_func (api, row, test_api);
    }
  for (guint i = 0; i < rows->len; i++)
    {
      const FlTestManifestRow *row = rows->pdata[i];
      g_autofree char *name = NULL;

      if (!has_flow_export_golden (row))
        continue;
      name = g_strdup_printf ("/corpus/flow-export/%s", row->file);
      g_test_add_data_func (name, row, test_flow_export);
    }
  for (gsize s = 0; s < G_N_ELEMENTS (stdin_rows); s++)
    {
      const FlTestManifestRow *row = NULL;
      g_autofree char *name = g_strdup_printf ("/corpus/stdin/%s",
                                               stdin_rows[s]);

      for (guint i = 0; i < rows->len && row == NULL; i++)
        if (strcmp (((FlTestManifestRow *) rows->pdata[i])->file,
                    stdin_rows[s]) == 0)
          row = rows->pdata[i];
      /* the manifest must still have the row: a missing one fails */
      g_assert_nonnull (row);
      g_test_add_data_func (name, row, test_stdin);
    }

  return g_test_run ();
}

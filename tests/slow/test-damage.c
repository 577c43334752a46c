/* SPDX-License-Identifier: MIT */
/*
 * test-damage.c: the slow damaged-input suite.
 *
 * Every corpus file is cut short (at every byte offset when it is at most
 * 4 KiB, else at 64 sampled offsets) and has single bits flipped (every byte
 * of a small file, 64 sampled bytes of a large one), and each damaged copy
 * is read through the library API under a watchdog. Asserted for every run:
 *  - it finishes (a 5 s alarm per run; the handler names the input and
 *    aborts, so a hang is a failure, not a timeout of the whole suite);
 *  - no crash (ASan/UBSan catch the rest when the build uses them);
 *  - it ends in END or in an FL_ERROR error of a sensible code, and END or
 *    ERROR sticks;
 *  - a cut copy gives a prefix of the flows of the untouched file (the JSON
 *    lines of fl-writer, compared as text). Text inputs may differ in their
 *    last flow: a CSV row cut inside a number is still a row.
 *  - a bit-flipped copy gives a bounded number of flows.
 *
 * With the argument "--valgrind" it instead runs the CLI under valgrind on
 * the corpus files, in batches (see valgrind_wanted()), and asserts that
 * valgrind found no error (its exit status 99).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "fl-writer.h"
#include "fl-test-util.h"

/* Files up to this size are cut at every offset. */
#define SMALL_FILE 4096
/* Offsets tried in a larger file. */
#define N_SAMPLES 64
/* Seconds one damaged copy may take. */
#define RUN_TIMEOUT 5

static FlRegistry *registry;

/* What is running, for the watchdog's message. */
static char current[512];

static void
on_alarm (int sig)
{
  static const char msg[] = "\nwatchdog: run did not finish in time: ";
  ssize_t unused;

  unused = write (STDERR_FILENO, msg, sizeof msg - 1);
  unused = write (STDERR_FILENO, current, strlen (current));
  unused = write (STDERR_FILENO, "\n", 1);
  (void) unused;
  (void) sig;
  abort ();
}

typedef struct {
  const FlTestManifestRow *row;
  char   *path;
  char   *base;    /* file name: the name hint for the probes */
  guint8 *data;
  gsize   len;
  gboolean text;   /* a line-based input (CSV/TSV text) */
  char   *ref;     /* JSON lines of the untouched file */
  gsize   ref_len;
  guint   ref_flows;
} DamageFile;

typedef struct {
  FlStatus status;
  GError  *error;
  char    *json;
  gsize    json_len;
  guint    flows;
} RunResult;

static void
run_result_clear (RunResult *r)
{
  g_clear_error (&r->error);
  g_clear_pointer (&r->json, free);
}

/* Reads data[0, len) through the library: probes, then every flow. */
static void
run_one (const char *name, const guint8 *data, gsize len, RunResult *res)
{
  FILE *f;
  FlWriter *w;
  FlReader *r;
  FlFlow flow;
  size_t size = 0;

  memset (res, 0, sizeof *res);
  alarm (RUN_TIMEOUT);
  f = open_memstream (&res->json, &size);
  g_assert_nonnull (f);
  w = fl_writer_new (FL_OUTPUT_JSON, f);
  r = fl_reader_open_memory (registry, data, len, name, NULL, &res->error);
  if (r == NULL)
    {
      g_assert_nonnull (res->error);
      res->status = FL_STATUS_ERROR;
    }
  else
    {
      FlStatus again;
      GError *again_error = NULL;

      fl_flow_init (&flow);
      fl_writer_begin_input (w, r);
      while ((res->status = fl_reader_next (r, &flow, &res->error))
             == FL_STATUS_OK)
        {
          fl_writer_write (w, &flow);
          res->flows++;
          /* A runaway reader (a length field that loops) shows up here
           * rather than as an out-of-memory kill. */
          g_assert_cmpuint (res->flows, <, 50 * 1000 * 1000);
        }
      g_assert_true (res->status == FL_STATUS_END ||
                     res->status == FL_STATUS_ERROR);
      g_assert_true ((res->status == FL_STATUS_ERROR) == (res->error != NULL));
      /* END and ERROR stick; a repeated ERROR sets no new error. */
      again = fl_reader_next (r, &flow, &again_error);
      g_assert_cmpint (again, ==, res->status);
      g_assert_no_error (again_error);
      fl_reader_close (r);
    }
  fl_writer_flush (w, NULL);
  fl_writer_free (w);
  fclose (f);
  res->json_len = size;
  alarm (0);

  if (res->error != NULL)
    {
      g_assert_true (res->error->domain == FL_ERROR);
      g_assert_true (res->error->message != NULL &&
                     res->error->message[0] != '\0');
      /* PLUGIN means a plugin broke the ABI contract (e.g. ERROR without
       * an error); INVALID and TOO_MANY_WRAPPERS cannot come from bad
       * bytes of a single-layer file. */
      g_assert_cmpint (res->error->code, !=, FL_ERROR_PLUGIN);
      g_assert_cmpint (res->error->code, !=, FL_ERROR_INVALID);
      g_assert_cmpint (res->error->code, !=, FL_ERROR_TOO_MANY_WRAPPERS);
    }
}

static gboolean
is_text_input (const FlTestManifestRow *row)
{
  return g_str_equal (row->format, "text") ||
         g_str_has_suffix (row->file, ".csv") ||
         g_str_has_suffix (row->file, ".csv.gz");
}

static DamageFile *
damage_file_load (const FlTestManifestRow *row)
{
  DamageFile *df = g_new0 (DamageFile, 1);
  g_autoptr (GError) error = NULL;
  RunResult res;

  df->row = row;
  df->path = fl_test_corpus_path (row->file);
  df->base = g_path_get_basename (row->file);
  g_file_get_contents (df->path, (char **) &df->data, &df->len, &error);
  g_assert_no_error (error);
  df->text = is_text_input (row);

  g_snprintf (current, sizeof current, "%s (untouched)", row->file);
  run_one (df->base, df->data, df->len, &res);
  df->ref = g_steal_pointer (&res.json);
  df->ref_len = res.json_len;
  df->ref_flows = res.flows;
  run_result_clear (&res);
  return df;
}

static void
damage_file_free (DamageFile *df)
{
  g_free (df->path);
  g_free (df->base);
  g_free (df->data);
  free (df->ref);
  g_free (df);
}

/* got must be complete lines of ref, from its start; for text input the
 * last line may differ (a cut row can still parse). */
static void
assert_json_prefix (DamageFile *df, gsize cut, const RunResult *res)
{
  gsize n = res->json_len;

  if (n == 0)
    return;
  g_assert_true (res->json[n - 1] == '\n');
  if (df->text)
    {
      /* Drop the last line from the comparison. */
      const char *prev = g_strrstr_len (res->json, (gssize) n - 1, "\n");

      n = prev != NULL ? (gsize) (prev - res->json) + 1 : 0;
    }
  if (n > df->ref_len || memcmp (res->json, df->ref, n) != 0)
    {
      gsize i = 0, line = 1;

      while (i < n && i < df->ref_len && res->json[i] == df->ref[i])
        line += res->json[i++] == '\n';
      g_test_message ("%s cut at byte %" G_GSIZE_FORMAT ": flow %"
                      G_GSIZE_FORMAT " is not the untouched file's "
                      "(%u flows read, %u in the untouched file)",
                      df->row->file, cut, line, res->flows, df->ref_flows);
      g_assert_not_reached ();
    }
}

/* The offsets to damage: all of a small file, else N_SAMPLES spread over
 * the file with a bias towards the header. Deterministic per file. */
static GArray *
pick_offsets (DamageFile *df)
{
  GArray *offs = g_array_new (FALSE, FALSE, sizeof (gsize));

  if (df->len <= SMALL_FILE)
    {
      for (gsize i = 0; i < df->len; i++)
        g_array_append_val (offs, i);
    }
  else
    {
      GRand *rand = g_rand_new_with_seed (g_str_hash (df->row->file));
      /* nfdump files go to the nfdump program (one run each, ~0.5 s): a
       * quarter of the samples exercise the exec plugin's error paths. */
      guint n = g_str_equal (df->row->format, "nfdump") ? N_SAMPLES / 4
                                                       : N_SAMPLES;

      for (guint i = 0; i < n; i++)
        {
          gsize o;

          if (i < n / 4)
            o = i * 7;                         /* the header */
          else if (i == n / 4)
            o = df->len - 1;                   /* the last byte */
          else
            o = (gsize) g_rand_double_range (rand, 0, (double) df->len);
          g_array_append_val (offs, o);
        }
      g_rand_free (rand);
    }
  return offs;
}

static void
damage_truncate (gconstpointer user_data)
{
  const FlTestManifestRow *row = user_data;
  DamageFile *df = damage_file_load (row);
  g_autoptr (GArray) offs = pick_offsets (df);
  guint errors = 0;

  for (guint i = 0; i < offs->len; i++)
    {
      gsize cut = g_array_index (offs, gsize, i);
      RunResult res;

      g_snprintf (current, sizeof current, "%s cut at byte %" G_GSIZE_FORMAT,
                  row->file, cut);
      run_one (df->base, df->data, cut, &res);
      assert_json_prefix (df, cut, &res);
      errors += res.status == FL_STATUS_ERROR;
      run_result_clear (&res);
    }
  g_test_message ("%s: %u cuts, %u ended in an error", row->file, offs->len,
                  errors);
  damage_file_free (df);
}

static void
damage_flip (gconstpointer user_data)
{
  const FlTestManifestRow *row = user_data;
  DamageFile *df = damage_file_load (row);
  g_autoptr (GArray) offs = pick_offsets (df);
  guint errors = 0;

  for (guint i = 0; i < offs->len; i++)
    {
      gsize off = g_array_index (offs, gsize, i);
      guint bit = (guint) ((off * 5 + 3) % 8);
      RunResult res;

      g_snprintf (current, sizeof current, "%s bit %u of byte %"
                  G_GSIZE_FORMAT " flipped", row->file, bit, off);
      df->data[off] ^= (guint8) (1u << bit);
      run_one (df->base, df->data, df->len, &res);
      df->data[off] ^= (guint8) (1u << bit);
      /* One flipped bit cannot create more than a flow per byte (a
       * compressed input is bounded by its flows before the damage). */
      g_assert_cmpuint (res.flows, <=, df->ref_flows + df->len);
      errors += res.status == FL_STATUS_ERROR;
      run_result_clear (&res);
    }
  g_test_message ("%s: %u flips, %u ended in an error", row->file, offs->len,
                  errors);
  damage_file_free (df);
}

/* Each file runs in a subprocess, so that one bad file (an assertion, a
 * crash, the watchdog) fails alone and the others still report. */
static void
in_subprocess (GTestDataFunc func, gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      func (user_data);
      return;
    }
  /* The parent only collects children: let every file report. */
  g_test_set_nonfatal_assertions ();
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_truncate (gconstpointer user_data)
{
  in_subprocess (damage_truncate, user_data);
}

static void
test_flip (gconstpointer user_data)
{
  in_subprocess (damage_flip, user_data);
}

/* ------------------------------------------------------------ valgrind */

/* Valgrind's own start costs seconds, so the CLI reads a batch of files
 * per run (it reads every FILE even after a failed one). */
#define VALGRIND_BATCH 24

static void
test_valgrind (gconstpointer user_data)
{
  GPtrArray *batch = (GPtrArray *) user_data; /* of FlTestManifestRow */
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_ptr_array_add (argv, g_strdup ("valgrind"));
  g_ptr_array_add (argv, g_strdup ("-q"));
  g_ptr_array_add (argv, g_strdup ("--error-exitcode=99"));
  g_ptr_array_add (argv, g_strdup ("--leak-check=full"));
  g_ptr_array_add (argv, g_strdup ("--errors-for-leak-kinds=definite"));
  g_ptr_array_add (argv, g_strdup (fl_test_flowread_bin ()));
  g_ptr_array_add (argv, g_strdup ("-o"));
  g_ptr_array_add (argv, g_strdup ("json"));
  for (guint i = 0; i < batch->len; i++)
    {
      const FlTestManifestRow *row = batch->pdata[i];
      g_ptr_array_add (argv, fl_test_corpus_path (row->file));
    }
  g_ptr_array_add (argv, NULL);

  p = g_subprocess_newv ((const char *const *) argv->pdata,
                         G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                         G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  status = g_subprocess_get_exit_status (p);
  if (status == 99)
    g_test_message ("valgrind found errors:\n%s", err);
  /* 0, 1 or 3 are the CLI's own answers; 99 is valgrind's. */
  g_assert_cmpint (status, !=, 99);
  g_assert_cmpint (status, <, 4);
}

/* The CLI run under valgrind: every corpus file except most of the
 * compressed flow-tools "gen-" files (v5's are kept): the uncompressed
 * twin of each runs the same record code, and the z6 path is covered by
 * v5 and by big-v5-z9. */
static gboolean
valgrind_wanted (const FlTestManifestRow *row)
{
  const char *base = strrchr (row->file, '/');

  if (!g_str_has_prefix (row->file, "flow-tools/"))
    return TRUE;
  base = base != NULL ? base + 1 : row->file;
  if (g_str_has_prefix (base, "gen-") && strstr (base, "-z6") != NULL)
    return g_str_has_prefix (base, "gen-v5-");
  return TRUE;
}

static void
add_valgrind_tests (GPtrArray *rows, GPtrArray *batches)
{
  GPtrArray *batch = NULL;
  g_autofree char *dir = NULL;

  for (guint i = 0; i < rows->len; i++)
    {
      const FlTestManifestRow *row = rows->pdata[i];
      g_autofree char *d = g_path_get_dirname (row->file);

      if (!valgrind_wanted (row))
        continue;
      if (batch == NULL || batch->len == VALGRIND_BATCH ||
          g_strcmp0 (d, dir) != 0)
        {
          g_autofree char *name = NULL;

          batch = g_ptr_array_new ();
          g_ptr_array_add (batches, batch);
          g_free (dir);
          dir = g_strdup (d);
          name = g_strdup_printf ("/valgrind/%s/%u", d, batches->len);
          g_test_add_data_func (name, batch, test_valgrind);
        }
      g_ptr_array_add (batch, (gpointer) row);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) batches =
    g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  gboolean valgrind = FALSE;
  struct sigaction sa;
  int ret;

  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--valgrind"))
      valgrind = TRUE;
  g_test_init (&argc, &argv, NULL);

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction (SIGALRM, &sa, NULL);

  registry = fl_registry_new_default (&error);
  g_assert_no_error (error);

  rows = fl_test_manifest_load ();
  for (guint i = 0; i < rows->len; i++)
    {
      const FlTestManifestRow *row = rows->pdata[i];
      g_autofree char *t = NULL;
      g_autofree char *f = NULL;

      if (valgrind)
        break;
      t = g_strdup_printf ("/damage/truncate/%s", row->file);
      f = g_strdup_printf ("/damage/flip/%s", row->file);
      g_test_add_data_func (t, row, test_truncate);
      g_test_add_data_func (f, row, test_flip);
    }

  if (valgrind)
    add_valgrind_tests (rows, batches);

  ret = g_test_run ();
  fl_registry_unref (registry);
  return ret;
}

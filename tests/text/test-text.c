/* SPDX-License-Identifier: MIT */
/*
 * Tests of the text plugin (the CSV parser's own tests: tests/common).
 *
 * The truth is the corpus: every golden flow-export / flowd-reader CSV must
 * read back as its expected X.flow-export.jsonl / X.flowd-reader.jsonl (the
 * MANIFEST text rows are read by tests/corpus), and every expected jsonl,
 * written as flowread -o csv by hand, must round-trip byte for byte.
 */
#include <stdio.h>
#include <string.h>

#include <flowread/flowread-plugin.h>
#include "fl-csv.h"
#include "fl-writer.h"
#include "fl-test-util.h"

static FlRegistry *registry;
/* Only the text plugin: its probe score is asked for even on inputs that a
 * magic plugin would claim first (the core then skips heuristics). */
static FlRegistry *text_registry;

/* ------------------------------------------------------------ helpers */

static FlOpenOptions
text_options (void)
{
  FlOpenOptions o;

  memset (&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.format = "text";
  return o;
}

/* Reads path with the text reader forced. */
static void
read_path (const char *path, FlTestRead *res)
{
  FlOpenOptions o = text_options ();
  g_autoptr (GError) error = NULL;
  FlReader *reader;

  memset (res, 0, sizeof *res);
  reader = fl_reader_open_path (registry, path, &o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reader);
  fl_test_read_drain (reader, res);
}

static void
read_memory (const char *data, gsize len, FlTestRead *res)
{
  FlOpenOptions o = text_options ();
  g_autoptr (GError) error = NULL;
  FlReader *reader;

  memset (res, 0, sizeof *res);
  reader = fl_reader_open_memory (registry, data, len, "test.csv", &o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reader);
  fl_test_read_drain (reader, res);
}

static guint
count_lines (const char *s, gsize len)
{
  guint n = 0;

  for (gsize i = 0; i < len; i++)
    n += s[i] == '\n';
  return n;
}

/* Compares output with the expected file, reporting the first difference
 * by line so that a failure is readable. */
static void
assert_same_text (const char *got, gsize got_len, const char *want,
                  gsize want_len, const char *what)
{
  if (got_len == want_len && memcmp (got, want, got_len) == 0)
    return;
  {
    gsize i = 0, line = 1, ls = 0;

    while (i < got_len && i < want_len && got[i] == want[i])
      {
        if (got[i] == '\n')
          {
            line++;
            ls = i + 1;
          }
        i++;
      }
    g_test_message ("%s: first difference at line %" G_GSIZE_FORMAT
                    ":\n got: %.300s\nwant: %.300s", what, line, got + ls,
                    want + ls);
    g_test_fail_printf ("%s differs from the expected output (line %"
                        G_GSIZE_FORMAT ")", what, line);
  }
}

/* Data-driven cases fail softly (g_test_fail) so that one bad file does not
 * hide the results of all the others. */
static gboolean
check_read_ok (const FlTestRead *res, const char *what)
{
  if (res->error != NULL)
    {
      g_test_fail_printf ("%s: %s", what, res->error->message);
      return FALSE;
    }
  if (res->status != FL_STATUS_END)
    {
      g_test_fail_printf ("%s: status %d, not END", what, res->status);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------ golden CSVs */

/* corpus/<dir>/expected/X.flow-export.csv -> X.flow-export.jsonl, and the
 * same for flowd-reader: "the tool's CSV read as written". */
static void
test_golden (gconstpointer data)
{
  const char *csv = data;
  g_autofree char *jsonl_path = NULL;
  g_autofree char *want = NULL;
  gsize want_len;
  FlTestRead res;

  jsonl_path = g_strdup_printf ("%.*s.jsonl", (int) (strlen (csv) - 4), csv);
  want = fl_test_read_file (jsonl_path, &want_len);
  read_path (csv, &res);
  if (check_read_ok (&res, csv))
    {
      g_assert_cmpuint (res.flows, ==, count_lines (want, want_len));
      assert_same_text (res.json, res.json_len, want, want_len, csv);
    }
  fl_test_read_clear (&res);
}

static void
add_golden_tests (guint *n_added)
{
  static const char *const dirs[][2] = {
    { "flow-tools/expected", ".flow-export.csv" },
    { "flowd/expected", ".flowd-reader.csv" },
  };

  for (gsize d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *dir = fl_test_corpus_path (dirs[d][0]);
      g_autoptr (GDir) gdir = g_dir_open (dir, 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      g_assert_nonnull (gdir);
      while ((name = g_dir_read_name (gdir)) != NULL)
        if (g_str_has_suffix (name, dirs[d][1]))
          g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      /* An empty sweep would pass vacuously. */
      g_assert_cmpuint (names->len, >, 0);
      for (guint i = 0; i < names->len; i++)
        {
          const char *n = names->pdata[i];
          g_autofree char *path = g_build_filename (dir, n, NULL);
          g_autofree char *jsonl = g_strdup_printf ("%.*s.jsonl",
                                                    (int) (strlen (path) - 4),
                                                    path);
          g_autofree char *tname = NULL;

          if (!g_file_test (jsonl, G_FILE_TEST_EXISTS))
            continue;
          tname = g_strdup_printf ("/text/golden/%s/%s",
                                   d == 0 ? "flow-export" : "flowd-reader", n);
          g_test_add_data_func_full (tname, g_steal_pointer (&path),
                                     test_golden, g_free);
          (*n_added)++;
        }
    }
}

/* ------------------------------------------------------------ manifest */

/* /corpus/api and /corpus/cli (tests/corpus) compare every text row's flows
 * with the expected JSON; what they do not check is that probing chose the
 * text reader. */
static void
test_manifest_probe (void)
{
  g_autoptr (GPtrArray) manifest = fl_test_manifest_load ();
  guint n = 0;

  for (guint i = 0; i < manifest->len; i++)
    {
      const FlTestManifestRow *row = manifest->pdata[i];
      g_autofree char *path = NULL;
      g_autoptr (GError) error = NULL;
      FlReader *reader;

      if (strcmp (row->format, "text") != 0)
        continue;
      path = fl_test_corpus_path (row->file);
      reader = fl_reader_open_path (registry, path, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (reader);
      g_assert_cmpstr (fl_reader_get_format (reader), ==, "text");
      fl_reader_close (reader);
      n++;
    }
  g_assert_cmpuint (n, >, 0);
}

/* ------------------------------------------------------------ probe */

typedef struct {
  int text_score;
  gboolean seen;
} ProbeSeen;

static void
probe_cb (const FlProbeResult *r, gpointer user_data)
{
  ProbeSeen *ps = user_data;

  if (r->depth == 0 && strcmp (r->reader, "text") == 0)
    {
      ps->text_score = r->score;
      ps->seen = TRUE;
    }
}

static int
probe_text_score_stream (FlStream *stream)
{
  ProbeSeen ps = { -1, FALSE };

  fl_probe_stream (text_registry, stream, probe_cb, &ps, NULL);
  g_assert_true (ps.seen);
  return ps.text_score;
}

static int
probe_text_score (const char *rel)
{
  g_autofree char *path = fl_test_corpus_path (rel);
  g_autoptr (GError) error = NULL;
  FlStream *stream = fl_stream_new_path (path, &error);

  g_assert_no_error (error);
  return probe_text_score_stream (stream);
}

static int
probe_text_score_memory (const char *data)
{
  return probe_text_score_stream (fl_stream_new_memory (data, strlen (data),
                                                        "mem"));
}

static void
test_probe (void)
{
  /* Text files: likely, never more (heuristic). */
  g_assert_cmpint (probe_text_score ("text/mixed-v5.flow-export.csv"), ==, 80);
  g_assert_cmpint (probe_text_score ("text/mixed-v9.flowd-reader.csv"), ==, 80);
  g_assert_cmpint (probe_text_score ("text/mixed-ipfix.nfdump.csv"), ==, 80);
  g_assert_cmpint (probe_text_score ("text/real-v8.5.flow-export.csv"), ==, 80);

  /* Binary formats: no. */
  g_assert_cmpint (probe_text_score ("flowd/flowd-v5.log"), ==, 0);
  g_assert_cmpint (probe_text_score ("flowd/synth-mixed.log"), ==, 0);
  g_assert_cmpint (probe_text_score ("flow-tools/big-v5.ft"), ==, 0);
  g_assert_cmpint (probe_text_score ("nfdump/mixed-v5.nfcapd"), ==, 0);
  g_assert_cmpint (probe_text_score ("gzip/mixed-v5.flow-export.csv.gz"), ==, 0);

  /* A known header without rows yet: maybe. */
  g_assert_cmpint (probe_text_score_memory (
    "#:unix_secs,unix_nsecs,sysuptime,exaddr,dpkts,doctets,first,last\n"),
    ==, 50);
  /* Some other CSV: no. */
  g_assert_cmpint (probe_text_score_memory ("name,age,city\nbob,3,x\n"), ==, 0);
  /* Header with a row that does not parse: below "maybe". */
  g_assert_cmpint (probe_text_score_memory ("srcaddr,dstaddr\nx,y\n"), <, 50);
  /* A NUL early on: binary. */
  g_assert_cmpint (probe_text_score_stream (fl_stream_new_memory (
    "srcaddr,dstaddr\n\0\0\0", 19, "mem")), ==, 0);
}

/* ------------------------------------------------------------ separators */

/* Builds a tab- or blank-separated copy of a comma file. */
static char *
resep (const char *text, gsize len, const char *sep)
{
  GString *s = g_string_sized_new (len * 2);

  for (gsize i = 0; i < len; i++)
    if (text[i] == ',')
      g_string_append (s, sep);
    else
      g_string_append_c (s, text[i]);
  return g_string_free (s, FALSE);
}

static void
test_separators (void)
{
  g_autofree char *csv_path = fl_test_corpus_path ("text/mixed-v5.flow-export.csv");
  g_autofree char *exp_path = fl_test_corpus_path ("text/expected/mixed-v5.flow-export.csv.jsonl");
  gsize len, want_len;
  g_autofree char *csv = fl_test_read_file (csv_path, &len);
  g_autofree char *want = fl_test_read_file (exp_path, &want_len);
  const char *seps[] = { "\t", " ", "   ", " \t ", ", " };

  for (gsize i = 0; i < G_N_ELEMENTS (seps); i++)
    {
      g_autofree char *text = resep (csv, len, seps[i]);
      FlTestRead res;

      read_memory (text, strlen (text), &res);
      g_assert_no_error (res.error);
      g_assert_cmpuint (res.flows, ==, 2414);
      assert_same_text (res.json, res.json_len, want, want_len, seps[i]);
      fl_test_read_clear (&res);
    }

  /* Also with CRLF line ends and leading blanks in the blank variant. */
  {
    g_autofree char *blank = resep (csv, len, "  ");
    g_autoptr (GString) crlf = g_string_new (NULL);
    FlTestRead res;

    for (const char *p = blank; *p; p++)
      {
        if (*p == '\n')
          g_string_append (crlf, " \r\n  ");
        else
          g_string_append_c (crlf, *p);
      }
    read_memory (crlf->str, crlf->len, &res);
    g_assert_no_error (res.error);
    assert_same_text (res.json, res.json_len, want, want_len, "CRLF");
    fl_test_read_clear (&res);
  }
}

/* ------------------------------------------------------------ errors */

/* The first n data lines of the v5 golden CSV (header included). */
static char *
v5_head (guint n, gsize *out_len)
{
  g_autofree char *path = fl_test_corpus_path ("text/mixed-v5.flow-export.csv");
  gsize len;
  g_autofree char *text = fl_test_read_file (path, &len);
  gsize i = 0;

  for (guint lines = 0; i < len && lines < n + 1; i++)
    if (text[i] == '\n')
      lines++;
  *out_len = i;
  return g_strndup (text, i);
}

static char *
expected_head (guint n)
{
  g_autofree char *path = fl_test_corpus_path ("text/expected/mixed-v5.flow-export.csv.jsonl");
  gsize len;
  g_autofree char *text = fl_test_read_file (path, &len);
  gsize i = 0;

  for (guint lines = 0; i < len && lines < n; i++)
    if (text[i] == '\n')
      lines++;
  return g_strndup (text, i);
}

static void
test_corrupt_row (void)
{
  gsize len;
  g_autofree char *head = v5_head (5, &len);
  g_autofree char *want = expected_head (3);
  g_autoptr (GString) text = g_string_new (head);
  char *line4, *col5;
  guint64 col5_off;
  FlTestRead res;

  /* Damage data row 4 (file line 5), column 5 (dpkts). */
  line4 = text->str;
  for (int i = 0; i < 4; i++)
    line4 = strchr (line4, '\n') + 1;
  col5 = line4;
  for (int i = 0; i < 4; i++)
    col5 = strchr (col5, ',') + 1;
  col5[0] = 'x';
  col5_off = (guint64) (col5 - text->str);

  read_memory (text->str, text->len, &res);
  g_assert_cmpuint (res.flows, ==, 3);
  g_assert_cmpint (res.status, ==, FL_STATUS_ERROR);
  g_assert_error (res.error, FL_ERROR, FL_ERROR_CORRUPT);
  g_test_message ("error: %s", res.error->message);
  g_assert_nonnull (strstr (res.error->message, "line 5"));
  g_assert_nonnull (strstr (res.error->message, "column 5 (dpkts)"));
  {
    g_autofree char *byte = g_strdup_printf ("byte %" G_GUINT64_FORMAT,
                                             col5_off);
    g_assert_nonnull (strstr (res.error->message, byte));
  }
  assert_same_text (res.json, res.json_len, want, strlen (want), "before error");
  fl_test_read_clear (&res);

  /* Too few and too many columns. */
  {
    const char *bad[] = {
      "srcaddr,dstaddr,dPkts\n10.0.0.1,10.0.0.2,1\n10.0.0.1,10.0.0.2\n",
      "srcaddr,dstaddr,dPkts\n10.0.0.1,10.0.0.2,1\n10.0.0.1,10.0.0.2,1,2\n",
      "srcaddr,dstaddr,dPkts\n10.0.0.1,10.0.0.2,1\n10.0.0.256,10.0.0.2,1\n",
      "srcaddr,dstaddr,prot\n10.0.0.1,10.0.0.2,1\n10.0.0.1,10.0.0.2,256\n",
      "first,dPkts\n2024-01-01T00:00:00Z,1\n2024-02-30T00:00:00Z,1\n",
      "first,dPkts\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:00.1234567891Z,1\n",
      "dPkts,srcaddr\n1,::1\n18446744073709551616,::1\n",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        read_memory (bad[i], strlen (bad[i]), &res);
        g_test_message ("%s -> %s", bad[i],
                        res.error ? res.error->message : "(no error)");
        g_assert_cmpuint (res.flows, ==, 1);
        g_assert_error (res.error, FL_ERROR, FL_ERROR_CORRUPT);
        g_assert_nonnull (strstr (res.error->message, "line 3"));
        fl_test_read_clear (&res);
      }
  }
}

static void
test_long_line (void)
{
  gsize len;
  g_autofree char *head = v5_head (2, &len);
  g_autofree char *want = expected_head (2);
  g_autoptr (GString) text = g_string_new (head);
  FlTestRead res;

  g_string_append_c (text, '1');
  for (gsize i = 0; i < FL_LINE_MAX + 10; i++)
    g_string_append_c (text, '0');
  g_string_append (text, ",x\n");
  read_memory (text->str, text->len, &res);
  g_assert_cmpuint (res.flows, ==, 2);
  g_assert_error (res.error, FL_ERROR, FL_ERROR_LIMIT);
  assert_same_text (res.json, res.json_len, want, strlen (want), "before limit");
  fl_test_read_clear (&res);

  /* Exactly FL_LINE_MAX is allowed (and then fails as a row, not a line). */
  g_string_truncate (text, len);
  g_string_append (text, "1");
  for (gsize i = 1; i < FL_LINE_MAX; i++)
    g_string_append_c (text, ' ');
  g_string_append_c (text, '\n');
  read_memory (text->str, text->len, &res);
  g_assert_cmpuint (res.flows, ==, 2);
  g_assert_error (res.error, FL_ERROR, FL_ERROR_CORRUPT);
  fl_test_read_clear (&res);
}

static void
test_last_line (void)
{
  gsize len;
  g_autofree char *head = v5_head (3, &len);
  g_autofree char *want3 = expected_head (3);
  g_autofree char *want2 = expected_head (2);
  FlTestRead res;

  /* Complete last line without "\n": accepted. */
  read_memory (head, len - 1, &res);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.flows, ==, 3);
  assert_same_text (res.json, res.json_len, want3, strlen (want3), "no newline");
  fl_test_read_clear (&res);

  /* Cut inside the last row: truncated, after the complete flows. */
  read_memory (head, len - 30, &res);
  g_assert_cmpuint (res.flows, ==, 2);
  g_assert_error (res.error, FL_ERROR, FL_ERROR_TRUNCATED);
  assert_same_text (res.json, res.json_len, want2, strlen (want2), "cut");
  fl_test_read_clear (&res);

  /* Header only: no flows, clean end. */
  {
    const char *h = strchr (head, '\n');

    read_memory (head, (gsize) (h - head + 1), &res);
    g_assert_no_error (res.error);
    g_assert_cmpint (res.status, ==, FL_STATUS_END);
    g_assert_cmpuint (res.flows, ==, 0);
    fl_test_read_clear (&res);
  }
}

/* ------------------------------------------------------------ round trip */

/* A flat JSON object of the writer's form -> one flowread csv row: values
 * are "strings" without escapes or numbers. */
static char *
json_to_csv_row (const char *line, GHashTable *col_of)
{
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  GString *row = g_string_new (NULL);
  const char *p = line;

  for (guint i = 0; i < g_hash_table_size (col_of); i++)
    g_ptr_array_add (cells, NULL);
  g_assert_true (*p == '{');
  p++;
  while (*p != '}')
    {
      const char *k, *ke, *v, *ve;
      g_autofree char *key = NULL;
      gpointer col;

      g_assert_true (*p == '"');
      k = ++p;
      ke = strchr (k, '"');
      p = ke + 2; /* '":' */
      if (*p == '"')
        {
          v = ++p;
          ve = strchr (v, '"');
          p = ve + 1;
        }
      else
        {
          v = p;
          while (*p != ',' && *p != '}')
            p++;
          ve = p;
        }
      key = g_strndup (k, (gsize) (ke - k));
      g_assert_true (g_hash_table_lookup_extended (col_of, key, NULL, &col));
      g_ptr_array_index (cells, GPOINTER_TO_UINT (col)) =
        g_strndup (v, (gsize) (ve - v));
      if (*p == ',')
        p++;
    }
  for (guint i = 0; i < cells->len; i++)
    {
      if (i > 0)
        g_string_append_c (row, ',');
      if (cells->pdata[i] != NULL)
        g_string_append (row, cells->pdata[i]);
    }
  g_string_append_c (row, '\n');
  return g_string_free (row, FALSE);
}

static void
test_roundtrip_jsonl (gconstpointer data)
{
  const char *jsonl = data;
  gsize len;
  g_autofree char *want = fl_test_read_file (jsonl, &len);
  g_autoptr (GHashTable) col_of = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GString) csv = g_string_new (NULL);
  FlTestRead res;
  guint n_order;
  const FlField *order = fl_field_get_output_order (&n_order);

  for (guint i = 0; i < n_order; i++)
    {
      g_hash_table_insert (col_of, (gpointer) fl_field_name (order[i]),
                           GINT_TO_POINTER (i));
      g_string_append_printf (csv, "%s%s", i ? "," : "",
                              fl_field_name (order[i]));
    }
  g_string_append_c (csv, '\n');
  /* memchr, not g_strsplit(): ASan's strstr() makes that quadratic. */
  for (const char *p = want, *e = want + len; p < e;)
    {
      const char *nl = memchr (p, '\n', (gsize) (e - p));
      g_autofree char *line = g_strndup (p, nl != NULL ? (gsize) (nl - p)
                                                       : (gsize) (e - p));

      if (line[0] != '\0')
        {
          g_autofree char *row = json_to_csv_row (line, col_of);
          g_string_append (csv, row);
        }
      p = nl != NULL ? nl + 1 : e;
    }
  read_memory (csv->str, csv->len, &res);
  if (check_read_ok (&res, jsonl))
    {
      g_assert_cmpuint (res.flows, ==, count_lines (want, len));
      assert_same_text (res.json, res.json_len, want, len, jsonl);
    }
  fl_test_read_clear (&res);
}

static void
add_roundtrip_tests (void)
{
  static const char *const dirs[] = {
    "flow-tools/expected", "flowd/expected", "nfdump/expected",
    "text/expected",
  };
  guint n = 0;

  for (gsize d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *dir = fl_test_corpus_path (dirs[d]);
      g_autoptr (GDir) gdir = g_dir_open (dir, 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      g_assert_nonnull (gdir);
      while ((name = g_dir_read_name (gdir)) != NULL)
        if (g_str_has_suffix (name, ".jsonl"))
          g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *tname = g_strdup_printf ("/text/roundtrip/%s/%s",
                                                    dirs[d],
                                                    (char *) names->pdata[i]);

          g_test_add_data_func_full (tname,
                                     g_build_filename (dir, names->pdata[i], NULL),
                                     test_roundtrip_jsonl, g_free);
          n++;
        }
    }
  g_assert_cmpuint (n, >, 0);
}

/* The writer's own csv, read back: golden flow-export CSV -> flows ->
 * flowread -o csv -> flows -> json equals the expected jsonl. */
static void
test_roundtrip_writer (void)
{
  g_autofree char *path = fl_test_corpus_path ("text/mixed-v9.flowd-reader.csv");
  g_autofree char *exp_path = fl_test_corpus_path ("text/expected/mixed-v9.flowd-reader.csv.jsonl");
  gsize want_len;
  g_autofree char *want = fl_test_read_file (exp_path, &want_len);
  FlOpenOptions o = text_options ();
  g_autoptr (GError) error = NULL;
  FlReader *reader = fl_reader_open_path (registry, path, &o, &error);
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream (&buf, &size);
  FlWriter *w = fl_writer_new (FL_OUTPUT_CSV, f);
  FlFlow flow;
  FlTestRead res;

  g_assert_no_error (error);
  fl_flow_init (&flow);
  fl_writer_begin_input (w, reader);
  while (fl_reader_next (reader, &flow, &error) == FL_STATUS_OK)
    fl_writer_write (w, &flow);
  g_assert_no_error (error);
  g_assert_true (fl_writer_flush (w, NULL));
  fl_writer_free (w);
  fclose (f);
  fl_reader_close (reader);

  read_memory (buf, size, &res);
  g_assert_no_error (res.error);
  assert_same_text (res.json, res.json_len, want, want_len, "csv round trip");
  fl_test_read_clear (&res);
  free (buf);
}

/* nfdump summary followed by a second csv, and repeated flow-export
 * headers (two exports concatenated). */
static void
test_concatenated (void)
{
  g_autofree char *path = fl_test_corpus_path ("text/real-v8.5.flow-export.csv");
  gsize len;
  g_autofree char *text = fl_test_read_file (path, &len);
  g_autoptr (GString) two = g_string_new_len (text, (gssize) len);
  FlTestRead res;

  g_string_append_len (two, text, (gssize) len);
  read_memory (two->str, two->len, &res);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.flows, ==, 2 * count_lines (text, len) - 2);
  fl_test_read_clear (&res);

  {
    g_autofree char *npath = fl_test_corpus_path ("text/mixed-ipfix.nfdump.csv");
    g_autofree char *ntext = fl_test_read_file (npath, &len);
    g_autoptr (GString) n2 = g_string_new_len (ntext, (gssize) len);

    g_string_append_len (n2, ntext, (gssize) len);
    read_memory (n2->str, n2->len, &res);
    g_assert_no_error (res.error);
    g_assert_cmpuint (res.flows, ==, 8000);
    fl_test_read_clear (&res);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  guint n_golden = 0;
  int ret;

  g_test_init (&argc, &argv, NULL);
  registry = fl_registry_new_default (&error);
  g_assert_no_error (error);

  /* The text plugin's folder, from the test environment's plugin path. */
  {
    g_autofree char *saved = g_strdup (g_getenv ("FLOWREAD_PLUGIN_PATH"));
    g_auto (GStrv) dirs = NULL;

    g_assert_nonnull (saved);
    dirs = g_strsplit (saved, G_SEARCHPATH_SEPARATOR_S, -1);
    text_registry = fl_registry_new ();
    for (guint i = 0; dirs[i] != NULL; i++)
      {
        g_autofree char *so = g_build_filename (dirs[i], "fl-text.so", NULL);

        if (g_file_test (so, G_FILE_TEST_EXISTS))
          fl_registry_add_dir (text_registry, dirs[i]);
      }
    g_unsetenv ("FLOWREAD_PLUGIN_PATH");
    fl_registry_load (text_registry, &error);
    g_assert_no_error (error);
    g_setenv ("FLOWREAD_PLUGIN_PATH", saved, TRUE);
  }

  g_test_add_func ("/text/probe", test_probe);
  g_test_add_func ("/text/probe/manifest", test_manifest_probe);
  g_test_add_func ("/text/separators", test_separators);
  g_test_add_func ("/text/corrupt-row", test_corrupt_row);
  g_test_add_func ("/text/long-line", test_long_line);
  g_test_add_func ("/text/last-line", test_last_line);
  g_test_add_func ("/text/concatenated", test_concatenated);
  g_test_add_func ("/text/roundtrip/writer", test_roundtrip_writer);
  add_golden_tests (&n_golden);
  g_assert_cmpuint (n_golden, >, 100);
  add_roundtrip_tests ();

  ret = g_test_run ();
  fl_registry_unref (registry);
  fl_registry_unref (text_registry);
  return ret;
}

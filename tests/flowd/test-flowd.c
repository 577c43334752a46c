/* SPDX-License-Identifier: MIT */
/*
 * Tests of the native flowd plugin through the library API: every flowd row
 * of the corpus MANIFEST (outcome, error code, flows byte-equal to the
 * expected JSON lines), probe scores, the CRC against an independent
 * implementation, concatenated logs built here, truncation at every byte,
 * and damaged input (must end in a clean error, never a crash).
 */
#include <stdio.h>
#include <string.h>

#include <flowread/flowread.h>
#include "fl-writer.h"
#include "fl-test-util.h"

static FlRegistry *registry;

/* ------------------------------------------------------------ helpers */

static void
read_path (const char *path, const char *format, FlTestRead *res)
{
  FlOpenOptions opts = { sizeof opts, format };

  memset (res, 0, sizeof *res);
  fl_test_read_drain (fl_reader_open_path (registry, path, &opts, &res->error), res);
}

static void
read_memory (const void *data, gsize len, const char *format, FlTestRead *res)
{
  FlOpenOptions opts = { sizeof opts, format };

  memset (res, 0, sizeof *res);
  fl_test_read_drain (fl_reader_open_memory (registry, data, len, "memory", &opts,
                                &res->error), res);
}

static char *
corpus_text (const char *rel, gsize *len)
{
  g_autoptr (GBytes) b = fl_test_corpus_bytes (rel);
  gsize n;
  const char *d = g_bytes_get_data (b, &n);
  char *s = g_malloc (n + 1);

  memcpy (s, d, n);
  s[n] = '\0';
  if (len != NULL)
    *len = n;
  return s;
}

/* Compares line by line, so that a failure names the first differing flow. */
static void
assert_same_json (const char *what, const char *got, const char *want)
{
  g_auto (GStrv) g = g_strsplit (got, "\n", -1);
  g_auto (GStrv) w = g_strsplit (want, "\n", -1);
  guint i;

  /* Non-fatal, so that one bad row does not hide the others. */
  for (i = 0; g[i] != NULL && w[i] != NULL; i++)
    if (strcmp (g[i], w[i]) != 0)
      {
        g_test_fail_printf ("%s: flow %u differs:\n got: %s\nwant: %s",
                            what, i + 1, g[i], w[i]);
        return;
      }
  if (g[i] != NULL || w[i] != NULL)
    g_test_fail_printf ("%s: %u lines, expected %u", what, g_strv_length (g),
                        g_strv_length (w));
}

/* ------------------------------------------------------------ manifest */

static void
test_manifest_row (gconstpointer data)
{
  const FlTestManifestRow *row = data;
  g_autofree char *path = fl_test_corpus_path (row->file);
  g_autofree char *want = corpus_text (row->expected, NULL);
  FlTestRead res;

  /* Auto-detected: no --format, also for legacy v2 and inside gzip. The
   * flows are compared by /corpus/api (tests/corpus); here the reader
   * chosen and the exact error. */
  read_path (path, NULL, &res);
  if (strcmp (row->outcome, "error") != 0)
    {
      if (res.format == NULL)
        g_error ("%s: open failed: %s", row->file,
                 res.error ? res.error->message : "?");
      g_assert_cmpstr (res.format, ==, "flowd");
    }

  if (strcmp (row->outcome, "ok") == 0)
    {
      g_assert_no_error (res.error);
      g_assert_cmpint (res.status, ==, FL_STATUS_END);
    }
  else if (strcmp (row->outcome, "truncated") == 0)
    {
      g_assert_cmpint (res.status, ==, FL_STATUS_ERROR);
      g_assert_error (res.error, FL_ERROR, FL_ERROR_TRUNCATED);
    }
  else if (strcmp (row->outcome, "corrupt") == 0)
    {
      g_assert_cmpint (res.status, ==, FL_STATUS_ERROR);
      g_assert_error (res.error, FL_ERROR, FL_ERROR_CORRUPT);
      /* The message carries the byte offset. */
      g_assert_nonnull (strstr (res.error->message, "byte "));
    }
  else
    {
      g_assert_cmpstr (row->outcome, ==, "error");
      g_assert_cmpint (res.status, ==, FL_STATUS_ERROR);
      g_assert_nonnull (res.error);
    }
  fl_test_read_clear (&res);

  /* --format flowd gives the same flows (no probing involved), except
   * through a wrapper, where the forced format applies inside it too. */
  read_path (path, "flowd", &res);
  assert_same_json (row->file, res.json, want);
  g_assert_cmpuint (res.flows, ==, row->flows);
  fl_test_read_clear (&res);
}

/* ------------------------------------------------------------ probing */

typedef struct {
  int   flowd_score[FL_MAX_WRAPPER_DEPTH + 1];
  int   max_depth;
  char *winner;   /* format winner at the deepest level */
} ProbeScores;

static void
probe_cb (const FlProbeResult *r, gpointer user_data)
{
  ProbeScores *ps = user_data;

  if (r->kind != FL_READER_FORMAT)
    return;
  if ((int) r->depth > ps->max_depth)
    ps->max_depth = (int) r->depth;
  if (strcmp (r->reader, "flowd") == 0)
    ps->flowd_score[r->depth] = r->score;
  if (r->winner)
    {
      g_free (ps->winner);
      ps->winner = g_strdup (r->reader);
    }
}

static void
probe_path (const char *path, ProbeScores *ps)
{
  g_autoptr (GError) error = NULL;
  FlStream *s;

  memset (ps, 0, sizeof *ps);
  for (guint i = 0; i <= FL_MAX_WRAPPER_DEPTH; i++)
    ps->flowd_score[i] = -1;
  s = fl_stream_new_path (path, &error);
  g_assert_no_error (error);
  /* Failure (unknown format) is fine for other formats' files. */
  fl_probe_stream (registry, s, probe_cb, ps, NULL);
}

static void
test_probe_scores (void)
{
  g_autoptr (GPtrArray) rows = fl_test_manifest_load ();
  guint n_flowd = 0, n_other = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      const FlTestManifestRow *row = rows->pdata[i];
      g_autofree char *path = fl_test_corpus_path (row->file);
      gboolean is_flowd = strcmp (row->format, "flowd") == 0;
      gboolean gz_flowd = strcmp (row->format, "gzip") == 0 &&
                          strstr (row->file, ".flowd") != NULL;
      ProbeScores ps;

      probe_path (path, &ps);
      if (is_flowd)
        {
          int s = ps.flowd_score[0];

          g_test_message ("%s: flowd %d", row->file, s);
          if (g_str_has_prefix (row->file, "flowd/legacy-v2.log"))
            /* A verified v2 header; the core caps heuristics at 99. */
            g_assert_cmpint (s, >=, 99);
          else
            {
              g_assert_cmpint (s, >, 0);
              g_assert_cmpint (s, <, 100);
            }
          g_assert_cmpstr (ps.winner, ==, "flowd");
          n_flowd++;
        }
      else
        {
          /* Never a claim on another format's bytes, at any depth but
           * inside a gzip that holds a flowd log. Formats are probed
           * below the last wrapper only (-1: not probed there). */
          g_assert_cmpint (ps.flowd_score[ps.max_depth], >=, 0);
          for (int d = 0; d <= ps.max_depth; d++)
            {
              if (gz_flowd && d == ps.max_depth)
                {
                  g_assert_cmpint (ps.flowd_score[d], >, 0);
                  g_assert_cmpstr (ps.winner, ==, "flowd");
                }
              else if (ps.flowd_score[d] > 0)
                g_error ("%s: flowd scores %d at depth %d", row->file,
                         ps.flowd_score[d], d);
            }
          n_other++;
        }
      g_free (ps.winner);
    }
  g_assert_cmpuint (n_flowd, >=, 30);
  g_assert_cmpuint (n_other, >, 0);
}

static void
probe_memory_score (const void *data, gsize len, int *score)
{
  ProbeScores ps;

  memset (&ps, 0, sizeof ps);
  for (guint i = 0; i <= FL_MAX_WRAPPER_DEPTH; i++)
    ps.flowd_score[i] = -1;
  fl_probe_stream (registry, fl_stream_new_memory (data, len, "memory"),
                   probe_cb, &ps, NULL);
  g_free (ps.winner);
  /* The highest score at any depth (formats are probed below the last
   * wrapper only). */
  *score = -1;
  for (guint i = 0; i <= FL_MAX_WRAPPER_DEPTH; i++)
    *score = MAX (*score, ps.flowd_score[i]);
  g_assert_cmpint (*score, >=, 0);
}

static void
test_probe_text_and_empty (void)
{
  static const char *const texts[] = {
    "",
    "`abcdefghijklmnopqrstuvwxyz`abcdefghijklmnop\n",
    "a,b,c\n1,2,3\n",
    "srcaddr,dstaddr,srcport,dstport\n192.0.2.1,192.0.2.2,1,2\n",
    "abcd efgh ijkl mnop qrst uvwx yz01 2345 6789\n",
    "\x1f\x8b\x08\x00\x00\x00\x00\x00",
    "\xcf\x10\x01\x01\x00\x00\x00\x00",
    "\x0c\xa5\x01\x00\x00\x00\x00\x00",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      int s;
      gsize len = i >= 5 ? 8 : strlen (texts[i]);

      probe_memory_score (texts[i], len, &s);
      g_assert_cmpint (s, ==, 0);
    }
}

static void
test_probe_more_records_more_score (void)
{
  /* One CRC record scores lower than many: evidence adds up. */
  g_autoptr (GBytes) one = fl_test_corpus_bytes ("flowd/synth-all-v4.log");
  g_autoptr (GBytes) many = fl_test_corpus_bytes ("flowd/flowd-v5.log");
  gsize n1, n2;
  const void *d1 = g_bytes_get_data (one, &n1);
  const void *d2 = g_bytes_get_data (many, &n2);
  int s1, s2;

  probe_memory_score (d1, n1, &s1);
  probe_memory_score (d2, n2, &s2);
  g_assert_cmpint (s1, >, 0);
  g_assert_cmpint (s2, >, s1);
  g_assert_cmpint (s2, <=, 99);
}

/* ------------------------------------------------------------ CRC */

/* Bitwise reference: reflected 0xEDB88320, init 0, no final XOR. */
static guint32
ref_crc (const guint8 *p, gsize len)
{
  guint32 crc = 0;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= p[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
  return crc;
}

static void
put_u32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static void
test_crc (void)
{
  g_autoptr (GBytes) b = fl_test_corpus_bytes ("flowd/synth-all-v4.log");
  gsize len;
  const guint8 *orig = g_bytes_get_data (b, &len);
  g_autofree guint8 *rec = g_memdup2 (orig, len);
  FlTestRead res;

  /* Published vectors. */
  g_assert_cmphex (ref_crc ((const guint8 *) "123456789", 9), ==, 0x2DFD2D88u);
  g_assert_cmphex (ref_crc (NULL, 0), ==, 0);

  /* One whole record with fields 0x4007faaf: the CRC is its last word,
   * over everything before it. */
  g_assert_cmpuint (len, ==, 120);
  g_assert_cmphex (ref_crc (rec, len - 4), ==, (guint32) (rec[116] << 24 |
                   rec[117] << 16 | rec[118] << 8 | rec[119]));
  read_memory (rec, len, NULL, &res);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.flows, ==, 1);
  fl_test_read_clear (&res);

  /* Change dPkts (offset 44..51): the stored CRC no longer matches. */
  rec[51] ^= 0x01;
  read_memory (rec, len, "flowd", &res);
  g_assert_cmpuint (res.flows, ==, 0);
  g_assert_error (res.error, FL_ERROR, FL_ERROR_CORRUPT);
  g_assert_nonnull (strstr (res.error->message, "checksum"));
  fl_test_read_clear (&res);

  /* Re-seal it with the reference CRC: the plugin agrees, and reads the
   * changed value. */
  put_u32 (rec + 116, ref_crc (rec, 116));
  read_memory (rec, len, NULL, &res);
  g_assert_no_error (res.error);
  g_assert_cmpuint (res.flows, ==, 1);
  g_assert_nonnull (strstr (res.json, "\"dPkts\":4294967300,"));
  fl_test_read_clear (&res);

  /* The header is covered too (reserved bytes included). */
  rec[2] ^= 0x80;
  read_memory (rec, len, "flowd", &res);
  g_assert_error (res.error, FL_ERROR, FL_ERROR_CORRUPT);
  fl_test_read_clear (&res);
}

/* ------------------------------------------------------------ concatenation */

static void
test_concat (void)
{
  static const char *const parts[][2] = {
    { "flowd/flowd-v5.log", "flowd/expected/flowd-v5.log.jsonl" },
    { "flowd/flowd-v9.log", "flowd/expected/flowd-v9.log.jsonl" },
    { "flowd/flowd-nostore.log", "flowd/expected/flowd-nostore.log.jsonl" },
    { "flowd/synth-all-v6.log", "flowd/expected/synth-all-v6.log.jsonl" },
    /* a legacy v2 log in the middle, then v3 again, then v2 again */
    { "flowd/legacy-v2.log", "flowd/expected/legacy-v2.log.jsonl" },
    { "flowd/flowd-ipfix.log", "flowd/expected/flowd-ipfix.log.jsonl" },
    { "flowd/legacy-v2.log", "flowd/expected/legacy-v2.log.jsonl" },
  };
  g_autoptr (GByteArray) all = g_byte_array_new ();
  g_autoptr (GString) want = g_string_new (NULL);
  guint want_flows = 0;
  FlTestRead res;

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autoptr (GBytes) b = fl_test_corpus_bytes (parts[i][0]);
      g_autofree char *j = corpus_text (parts[i][1], NULL);
      gsize n;
      const guint8 *d = g_bytes_get_data (b, &n);

      g_byte_array_append (all, d, (guint) n);
      g_string_append (want, j);
      for (const char *c = j; *c; c++)
        want_flows += *c == '\n';
    }
  read_memory (all->data, all->len, NULL, &res);
  g_assert_no_error (res.error);
  g_assert_cmpint (res.status, ==, FL_STATUS_END);
  g_assert_cmpstr (res.format, ==, "flowd");
  g_assert_cmpuint (res.flows, ==, want_flows);
  assert_same_json ("concatenation", res.json, want->str);
  fl_test_read_clear (&res);

  /* Two v2 logs back to back, starting with v2. */
  {
    g_autoptr (GBytes) v2 = fl_test_corpus_bytes ("flowd/legacy-v2.log");
    g_autofree char *j = corpus_text ("flowd/expected/legacy-v2.log.jsonl", NULL);
    g_autofree char *jj = g_strconcat (j, j, NULL);
    gsize n;
    const guint8 *d = g_bytes_get_data (v2, &n);
    g_autofree guint8 *two = g_malloc (2 * n);

    memcpy (two, d, n);
    memcpy (two + n, d, n);
    read_memory (two, 2 * n, NULL, &res);
    g_assert_no_error (res.error);
    assert_same_json ("v2+v2", res.json, jj);
    fl_test_read_clear (&res);
  }
}

static void
test_legacy_v2 (void)
{
  g_autofree char *path = fl_test_corpus_path ("flowd/legacy-v2.log");
  g_autoptr (GError) error = NULL;
  g_autoptr (FlReader) r = fl_reader_open_path (registry, path, NULL, &error);
  g_autofree char *v = NULL;
  g_autofree char *t = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (fl_reader_get_format (r), ==, "flowd");
  v = fl_reader_get_info (r, "store_version");
  g_assert_cmpstr (v, ==, "2 (legacy)");
  t = fl_reader_get_info (r, "start_time");
  g_assert_cmpstr (t, ==, "2005-05-25T05:46:40.000000000Z");
}

/* ------------------------------------------------------------ robustness */

/* Every prefix of a file: the complete records, then END exactly at a
 * record boundary, else TRUNCATED. */
static void
test_truncation_every_byte (void)
{
  g_autoptr (GBytes) b = fl_test_corpus_bytes ("flowd/synth-mixed.log");
  gsize len;
  const guint8 *d = g_bytes_get_data (b, &len);
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize off = 0;

  /* Record boundaries from the file's own lengths. */
  while (off < len)
    {
      off += 8 + d[off + 1] * 4u;
      g_array_append_val (ends, off);
    }
  g_assert_cmpuint (off, ==, len);
  g_assert_cmpuint (ends->len, ==, 3);

  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autofree guint8 *copy = g_memdup2 (d, cut);  /* exact size for ASan */
      guint complete = 0;
      gboolean boundary = cut == 0;
      FlTestRead res;

      for (guint i = 0; i < ends->len; i++)
        {
          gsize e = g_array_index (ends, gsize, i);
          complete += e <= cut;
          boundary |= e == cut;
        }
      read_memory (copy, cut, "flowd", &res);
      g_assert_cmpuint (res.flows, ==, complete);
      if (boundary)
        {
          g_assert_no_error (res.error);
          g_assert_cmpint (res.status, ==, FL_STATUS_END);
        }
      else
        g_assert_error (res.error, FL_ERROR, FL_ERROR_TRUNCATED);
      fl_test_read_clear (&res);
    }
  g_array_unref (ends);
}

/* Random damage: every read ends (END or a FL_ERROR), no crash, no hang;
 * run under ASan/UBSan to check memory safety. */
static void
test_damage (void)
{
  static const char *const files[] = {
    "flowd/flowd-v5.log", "flowd/flowd-v9.log", "flowd/legacy-v2.log",
    "flowd/synth-mixed.log", "flowd/flowd-ipfixa.log",
  };
  GRand *rand = g_rand_new_with_seed (20241127);

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autoptr (GBytes) b = fl_test_corpus_bytes (files[f]);
      gsize len;
      const guint8 *d = g_bytes_get_data (b, &len);

      for (guint iter = 0; iter < 120; iter++)
        {
          g_autofree guint8 *copy = g_memdup2 (d, len);
          guint nflip = g_rand_int_range (rand, 1, 6);
          gsize cut = iter % 3 == 0 ? (gsize) g_rand_int_range (rand, 0, (gint32) len) : len;
          FlTestRead res;

          for (guint k = 0; k < nflip; k++)
            copy[g_rand_int_range (rand, 0, (gint32) len)] = (guint8) g_rand_int (rand);
          read_memory (copy, cut, iter % 2 ? "flowd" : NULL, &res);
          if (res.status == FL_STATUS_ERROR)
            {
              g_assert_nonnull (res.error);
              g_assert_true (res.error->domain == FL_ERROR);
            }
          else
            g_assert_cmpint (res.status, ==, FL_STATUS_END);
          fl_test_read_clear (&res);
        }
    }
  g_rand_free (rand);
}

/* A wrong major version at the very start: UNSUPPORTED_VERSION. */
static void
test_bad_first_version (void)
{
  static const guint8 rec[] = { 0x40, 0x00, 0x00, 0x00, 0, 0, 0, 0 };
  static const guint8 v2bad[] = { 0x01, 0x2c, 0xf0, 0x47, 0, 0, 0, 3,
                                  0, 0, 0, 0, 0, 0, 0, 0 };
  FlTestRead res;

  read_memory (rec, sizeof rec, "flowd", &res);
  g_assert_error (res.error, FL_ERROR, FL_ERROR_UNSUPPORTED_VERSION);
  fl_test_read_clear (&res);
  read_memory (v2bad, sizeof v2bad, NULL, &res);
  g_assert_error (res.error, FL_ERROR, FL_ERROR_UNSUPPORTED_VERSION);
  fl_test_read_clear (&res);
  /* An empty log is valid when asked for. */
  read_memory ("", 0, "flowd", &res);
  g_assert_no_error (res.error);
  g_assert_cmpint (res.status, ==, FL_STATUS_END);
  g_assert_cmpuint (res.flows, ==, 0);
  fl_test_read_clear (&res);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  g_test_init (&argc, &argv, NULL);
  registry = fl_registry_new_default (&error);
  g_assert_no_error (error);

  rows = fl_test_manifest_load ();
  for (guint i = 0; i < rows->len; i++)
    {
      const FlTestManifestRow *row = rows->pdata[i];
      g_autofree char *name = NULL;

      /* flowd rows, and gzip rows that hold a flowd log */
      if (strcmp (row->format, "flowd") != 0 &&
          !(strcmp (row->format, "gzip") == 0 && strstr (row->file, ".flowd")))
        continue;
      name = g_strdup_printf ("/flowd/manifest/%s", row->file);
      g_test_add_data_func (name, row, test_manifest_row);
      n++;
    }
  g_assert_cmpuint (n, >=, 35);

  g_test_add_func ("/flowd/probe/corpus", test_probe_scores);
  g_test_add_func ("/flowd/probe/text-and-empty", test_probe_text_and_empty);
  g_test_add_func ("/flowd/probe/evidence", test_probe_more_records_more_score);
  g_test_add_func ("/flowd/crc", test_crc);
  g_test_add_func ("/flowd/concat", test_concat);
  g_test_add_func ("/flowd/legacy-v2", test_legacy_v2);
  g_test_add_func ("/flowd/truncation", test_truncation_every_byte);
  g_test_add_func ("/flowd/damage", test_damage);
  g_test_add_func ("/flowd/bad-first-version", test_bad_first_version);

  {
    int ret = g_test_run ();
    fl_registry_unref (registry);
    return ret;
  }
}

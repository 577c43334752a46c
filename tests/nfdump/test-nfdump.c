/* SPDX-License-Identifier: MIT */
/*
 * Tests of the native nfdump (nfcapd) plugin through the library API:
 *
 *   /nfdump/rows/FILE     every row of $FLOWREAD_CORPUS/nfcapd/MANIFEST.tsv:
 *                         the flows, printed here from the generic field
 *                         getters (fl_field_get_output_order(),
 *                         fl_flow_get_*()), byte-equal to the expected JSON
 *                         lines, and the outcome's error code. This checks
 *                         the decoding independently of the CLI's writer.
 *   /nfdump/probe         scores of good, damaged and foreign headers
 *   /nfdump/info          --info keys of both layouts (stat record, ident,
 *                         exporters) and time_range() from the stat record
 *   /nfdump/cut           every prefix of a small file of each layout: an
 *                         error or the end, never more flows than the whole
 *   /nfdump/flip          single-byte damage everywhere in a small file: a
 *                         clean end or error, never a crash (ASan/UBSan run)
 *   /nfdump/large-file    a file big enough for the read-ahead requests:
 *                         the same flows, and an early close
 *
 * A file opened by path is read in two threads (pread() on the stream's
 * descriptor, see nf_worker() in the plugin); memory, pipes and wrapped
 * streams in one, through the stream. The rows are read both ways and must
 * give the same flows and the same error, byte for byte:
 *
 *   /nfdump/threads/used       a path reader runs a thread of its own
 *   /nfdump/threads/cut        cuts of multi-block files (plain, LZ4, LZO)
 *                              written to files: the same as from memory
 *   /nfdump/threads/flip       damaged multi-block files, both ways
 *   /nfdump/threads/close      closed after k flows, for many k
 */
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include <flowread/flowread.h>
#include <flowread/flowread-plugin.h>
#include "fl-test-util.h"

/* ------------------------------------------------------------ JSON dump */

static void
put_json (GString *out, const FlFlow *f)
{
  guint n = 0;
  const FlField *order = fl_field_get_output_order (&n);
  gboolean first = TRUE;

  g_string_append_c (out, '{');
  for (guint i = 0; i < n; i++)
    {
      FlField field = order[i];
      char buf[64];
      guint64 u;
      gint64 t;
      FlAddr a;
      guint8 mac[6];

      if (!fl_flow_has (f, field))
        continue;
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      g_string_append_printf (out, "\"%s\":", fl_field_name (field));
      switch (fl_field_get_type (field))
        {
        case FL_TYPE_UINT:
          g_assert_true (fl_flow_get_uint (f, field, &u));
          g_string_append_printf (out, "%" G_GUINT64_FORMAT, u);
          break;
        case FL_TYPE_MPLS:
          g_assert_true (fl_flow_get_uint (f, field, &u));
          g_string_append_printf (out, "\"%" G_GUINT64_FORMAT "-%u-%u\"", u >> 4,
                                  (guint) (u >> 1) & 7u, (guint) u & 1u);
          break;
        case FL_TYPE_TIME:
          g_assert_true (fl_flow_get_time (f, field, &t));
          g_string_append_printf (out, "\"%s\"", fl_time_to_string (t, buf));
          break;
        case FL_TYPE_ADDR:
          g_assert_true (fl_flow_get_addr (f, field, &a));
          g_string_append_printf (out, "\"%s\"", fl_addr_to_string (&a, buf));
          break;
        case FL_TYPE_MAC:
          g_assert_true (fl_flow_get_mac (f, field, mac));
          g_string_append_printf (out, "\"%02x:%02x:%02x:%02x:%02x:%02x\"",
                                  mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  g_string_append (out, "}\n");
}

typedef struct {
  GString *json;
  guint    flows;
  FlStatus status;
  GError  *error;
  guint64  hash;   /* of every present field's id and value, in order */
} Result;

/* Large files are compared by hash (JSON costs ~2 us a flow). */
static gboolean hash_only;

static inline guint64
mix (guint64 h, guint64 v)
{
  /* FNV-1a over the 8 bytes of v */
  for (int i = 0; i < 8; i++, v >>= 8)
    h = (h ^ (v & 0xff)) * G_GUINT64_CONSTANT (0x100000001b3);
  return h;
}

static guint64
hash_flow (guint64 h, const FlFlow *f)
{
  guint n = 0;
  const FlField *order = fl_field_get_output_order (&n);

  for (guint i = 0; i < n; i++)
    {
      FlField field = order[i];
      guint64 u = 0;
      gint64 t = 0;
      FlAddr a;
      guint8 mac[8] = { 0 };

      if (!fl_flow_has (f, field))
        continue;
      h = mix (h, field);
      switch (fl_field_get_type (field))
        {
        case FL_TYPE_TIME:
          g_assert_true (fl_flow_get_time (f, field, &t));
          h = mix (h, (guint64) t);
          break;
        case FL_TYPE_ADDR:
          g_assert_true (fl_flow_get_addr (f, field, &a));
          h = mix (h, a.family);
          h = mix (h, fl_read_u64_le (a.addr));
          h = mix (h, fl_read_u64_le (a.addr + 8));
          break;
        case FL_TYPE_MAC:
          g_assert_true (fl_flow_get_mac (f, field, mac));
          h = mix (h, fl_read_u64_le (mac));
          break;
        default:
          g_assert_true (fl_flow_get_uint (f, field, &u));
          h = mix (h, u);
        }
    }
  return mix (h, 0xffff);
}

static void
drain (FlReader *r, Result *res)
{
  FlFlow flow;

  res->json = g_string_new ("");
  res->flows = 0;
  res->hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  res->status = FL_STATUS_ERROR;
  if (r == NULL)
    return;
  fl_flow_init (&flow);
  while ((res->status = fl_reader_next (r, &flow, &res->error)) == FL_STATUS_OK)
    {
      if (!hash_only)
        put_json (res->json, &flow);
      res->hash = hash_flow (res->hash, &flow);
      res->flows++;
    }
  g_assert_cmpint (fl_reader_next (r, &flow, NULL), ==, res->status);
  fl_reader_close (r);
}

static void
read_path (const char *path, const char *format, Result *res)
{
  FlOpenOptions opts = { sizeof opts, format };

  memset (res, 0, sizeof *res);
  drain (fl_reader_open_path (fl_test_registry (), path, &opts, &res->error), res);
}

static void
read_memory_as (const void *data, gsize len, const char *format, Result *res)
{
  FlOpenOptions opts = { sizeof opts, format };

  memset (res, 0, sizeof *res);
  drain (fl_reader_open_memory (fl_test_registry (), data, len, "memory", &opts,
                                &res->error), res);
}

static void
read_memory (const void *data, gsize len, Result *res)
{
  read_memory_as (data, len, "nfdump", res);
}

static void
result_clear (Result *res)
{
  g_string_free (res->json, TRUE);
  g_clear_error (&res->error);
}

/* The two ways of reading gave the same flows and the same outcome. */
static void
assert_same_result (const char *what, const Result *a, const Result *b)
{
  fl_test_assert_same_bytes (what, a->json->str, a->json->len, b->json->str,
                             b->json->len);
  g_assert_cmpuint (a->hash, ==, b->hash);
  g_assert_cmpuint (a->flows, ==, b->flows);
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_true ((a->error == NULL) == (b->error == NULL));
  if (a->error != NULL && b->error != NULL)
    {
      g_assert_cmpint (a->error->code, ==, b->error->code);
      /* the message after the input's name (which differs) */
      g_assert_cmpstr (strstr (a->error->message, ": byte") ?: "",
                       ==, strstr (b->error->message, ": byte") ?: "");
    }
}

/* ------------------------------------------------------------ rows */

static void
test_row (gconstpointer data)
{
  const FlTestManifestRow *row = data;
  g_autofree char *path = fl_test_corpus_path (row->file);
  g_autofree char *want = NULL;
  gsize want_len;
  Result res;

  fl_test_assert_plugin_loaded ("nfdump");
  want = fl_test_corpus_read (row->expected, &want_len);
  /* probed: the native reader must win over nfdump-exec */
  read_path (path, NULL, &res);
  if (g_getenv ("FL_TEST_DUMP_DIR") != NULL)
    {
      /* for looking at a difference: FL_TEST_DUMP_DIR=/tmp/x meson test ... */
      g_autofree char *base = g_path_get_basename (row->file);
      g_autofree char *out = g_build_filename (g_getenv ("FL_TEST_DUMP_DIR"), base, NULL);

      g_file_set_contents (out, res.json->str, (gssize) res.json->len, NULL);
    }
  fl_test_assert_same_bytes (row->file, res.json->str, res.json->len, want, want_len);
  g_assert_cmpuint (res.flows, ==, row->flows);
  {
    /* and in one thread, from memory: the same */
    g_autoptr (GBytes) b = fl_test_corpus_bytes (row->file);
    gsize len = 0;
    const void *d = g_bytes_get_data (b, &len);
    Result mem;

    read_memory_as (d, len, NULL, &mem);
    assert_same_result (row->file, &res, &mem);
    result_clear (&mem);
  }
  if (strcmp (row->outcome, "ok") == 0)
    {
      g_assert_no_error (res.error);
      g_assert_cmpint (res.status, ==, FL_STATUS_END);
    }
  else
    {
      g_assert_nonnull (res.error);
      g_assert_true (res.error->domain == FL_ERROR);
      if (strcmp (row->outcome, "truncated") == 0)
        g_assert_cmpint (res.error->code, ==, FL_ERROR_TRUNCATED);
      else
        g_assert_cmpint (res.error->code, !=, FL_ERROR_TRUNCATED);
      if (strstr (row->note, "byte-swapped") != NULL)
        g_assert_nonnull (strstr (res.error->message, "byte order"));
      if (strstr (row->note, "trailing") != NULL)
        g_assert_nonnull (strstr (res.error->message, "trailing bytes"));
      g_test_message ("%s: %s", row->file, res.error->message);
    }
  result_clear (&res);
}

/* ------------------------------------------------------------ probe */

static void
test_probe (void)
{
  static const struct {
    const char *file;
    const char *winner;   /* NULL: nothing claims it */
  } cases[] = {
    { "nfcapd/v16-v9-rich.nfcapd", "nfdump" },
    { "nfcapd/v17-v9-rich-zstd.nfcapd", "nfdump" },
    { "nfcapd/v17-v9-rich-badlayout.nfcapd", "nfdump" },  /* to say why */
    { "nfcapd/v17-v9-rich-swappedmagic.nfcapd", "nfdump" },
    { "nfcapd/v17-v9-rich-badmagic.nfcapd", NULL },
    { "nfcapd/random-4096.nfcapd", NULL },
    { "flowd/mixed-v9.flowd", "flowd" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = fl_test_corpus_path (cases[i].file);
      g_autoptr (GError) error = NULL;
      FlReader *r = fl_reader_open_path (fl_test_registry (), path, NULL, &error);

      if (cases[i].winner == NULL)
        {
          g_assert_null (r);
          g_assert_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT);
          continue;
        }
      if (strcmp (cases[i].winner, "nfdump") == 0 && r == NULL)
        {
          /* badlayout / swapped: the native reader is chosen and says why */
          g_assert_error (error, FL_ERROR, FL_ERROR_UNSUPPORTED_VERSION);
          g_assert_nonnull (strstr (error->message, "nfdump"));
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (fl_reader_get_format (r), ==, cases[i].winner);
      fl_reader_close (r);
    }
}

/* ------------------------------------------------------------ info */

typedef struct {
  GHashTable *kv;
} Info;

static void
info_cb (const char *key, const char *value, gpointer user_data)
{
  g_hash_table_insert (user_data, g_strdup (key), g_strdup (value));
}

static GHashTable *
info_of (const char *rel)
{
  g_autofree char *path = fl_test_corpus_path (rel);
  g_autoptr (GError) error = NULL;
  FlOpenOptions opts = { sizeof opts, "nfdump" };
  FlReader *r = fl_reader_open_path (fl_test_registry (), path, &opts, &error);
  GHashTable *kv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_no_error (error);
  fl_reader_foreach_info (r, info_cb, kv);
  fl_reader_close (r);
  return kv;
}

static void
test_info (void)
{
  g_autoptr (GHashTable) v1 = info_of ("nfcapd/v16-v9-rich-lz4.nfcapd");
  g_autoptr (GHashTable) v2 = info_of ("nfcapd/v17-v9-rich-zstd.nfcapd");

  g_assert_cmpstr (g_hash_table_lookup (v1, "format"), ==, "nfdump");
  g_assert_cmpstr (g_hash_table_lookup (v1, "layout"), ==, "1 (nfdump 1.6)");
  g_assert_cmpstr (g_hash_table_lookup (v1, "compression"), ==, "lz4");
  g_assert_cmpstr (g_hash_table_lookup (v1, "ident"), ==, "rich-v9");
  g_assert_cmpstr (g_hash_table_lookup (v1, "flows"), ==, "441");
  g_assert_cmpstr (g_hash_table_lookup (v1, "data_blocks"), ==, "1");

  g_assert_cmpstr (g_hash_table_lookup (v2, "layout"), ==, "2 (nfdump 1.7)");
  g_assert_cmpstr (g_hash_table_lookup (v2, "compression"), ==, "zstd");
  g_assert_cmpstr (g_hash_table_lookup (v2, "ident"), ==, "rich-v9");
  g_assert_cmpstr (g_hash_table_lookup (v2, "flows"), ==, "441");
  g_assert_nonnull (g_hash_table_lookup (v2, "first"));
  g_assert_nonnull (g_hash_table_lookup (v2, "flows_tcp"));
  /* the exporter record of the first block, before any flow was read */
  g_assert_cmpstr (g_hash_table_lookup (v2, "exporter_1"), ==, "127.0.0.1 netflow-v9 id 1");
  g_assert_cmpstr (g_hash_table_lookup (v1, "exporter_1"), ==, "127.0.0.1 netflow-v9 id 1");
}

/* time_range() through the plugin's class: the core's use of it belongs to
 * the core; here the values themselves are checked against the flows. */
static void
test_time_range (void)
{
  static const char *const files[] = {
    "nfcapd/v16-v9-softflowd.nfcapd", "nfcapd/v17-v9-softflowd-lz4.nfcapd",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = fl_test_corpus_path (files[i]);
      g_autoptr (GError) error = NULL;
      g_autofree char *first = NULL;
      g_autofree char *last = NULL;
      FlOpenOptions opts = { sizeof opts, "nfdump" };
      FlReader *r = fl_reader_open_path (fl_test_registry (), path, &opts, &error);
      FlFlow flow;
      gint64 lo = G_MAXINT64, hi = G_MININT64;
      char buf[FL_TIME_STRLEN];

      g_assert_no_error (error);
      first = fl_reader_get_info (r, "first");
      last = fl_reader_get_info (r, "last");
      g_assert_nonnull (first);
      g_assert_nonnull (last);
      fl_flow_init (&flow);
      while (fl_reader_next (r, &flow, &error) == FL_STATUS_OK)
        {
          lo = MIN (lo, flow.first);
          hi = MAX (hi, flow.last);
        }
      g_assert_no_error (error);
      /* the stat record's window is the flows' window */
      g_assert_cmpstr (first, ==, fl_time_to_string (lo, buf));
      g_assert_cmpstr (last, ==, fl_time_to_string (hi, buf));
      fl_reader_close (r);
    }
}

/* ------------------------------------------------------------ damage */

static void
test_cut (void)
{
  static const char *const files[] = {
    "nfcapd/v16-v5-softflowd-lzo.nfcapd", "nfcapd/v17-nfgen.nfcapd",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (GBytes) b = fl_test_corpus_bytes (files[i]);
      gsize len;
      const guint8 *d = g_bytes_get_data (b, &len);
      Result whole;
      gsize step = len > 4000 ? 7 : 1;

      read_memory (d, len, &whole);
      g_assert_no_error (whole.error);
      for (gsize cut = 0; cut < len; cut += step)
        {
          Result res;

          read_memory (d, cut, &res);
          g_assert_cmpint (res.status, ==, FL_STATUS_ERROR);
          g_assert_nonnull (res.error);
          g_assert_cmpuint (res.flows, <=, whole.flows);
          /* what is given is a prefix of the whole */
          g_assert_true (strncmp (res.json->str, whole.json->str, res.json->len) == 0);
          result_clear (&res);
        }
      result_clear (&whole);
    }
}

static void
test_flip (void)
{
  static const char *const files[] = {
    "nfcapd/v17-nfgen.nfcapd", "nfcapd/v17-nfgen-lz4.nfcapd",
    "nfcapd/v16-v9-rich-lzo.nfcapd",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (GBytes) b = fl_test_corpus_bytes (files[i]);
      gsize len = 0;
      const void *orig = g_bytes_get_data (b, &len);
      guint8 *d = g_memdup2 (orig, len);
      gsize step = len > 6000 ? 97 : 3;

      for (gsize at = 0; at < len; at += step)
        {
          Result res;
          guint8 old = d[at];

          d[at] ^= 0x5a;
          read_memory (d, len, &res);
          /* an error comes with its status, the end without one */
          g_assert_true ((res.status == FL_STATUS_ERROR) == (res.error != NULL));
          result_clear (&res);
          d[at] = old;
        }
      g_free (d);
    }
}

/* A file large enough for the read-ahead requests (>= 16 MiB): the data
 * blocks of v17-v9-bulk50k four times behind a header that says so and has
 * no appendix. Read whole (every flow, four times over), and closed early. */
static void
test_large_file (void)
{
  g_autoptr (GBytes) b = fl_test_corpus_bytes ("nfcapd/v17-v9-bulk50k.nfcapd");
  gsize len = 0;
  const guint8 *d = g_bytes_get_data (b, &len);
  guint64 off_app = fl_read_u64_le (d + 24);
  guint32 nblocks = fl_read_u32_le (d + 36);
  g_autofree char *dir = g_dir_make_tmp ("fl-nfdump-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "big.nfcapd", NULL);
  g_autoptr (GByteArray) a = g_byte_array_new ();
  guint8 hdr[40];
  Result one, four;
  FlReader *r;
  FlFlow flow;
  GError *error = NULL;

  g_assert_nonnull (dir);
  g_assert_cmpuint (off_app, >, 40);
  g_assert_cmpuint (off_app, <, len);
  memcpy (hdr, d, 40);
  memset (hdr + 18, 0, 2);                 /* no appendix blocks */
  memset (hdr + 24, 0, 8);                 /* no appendix offset */
  hdr[36] = (guint8) (nblocks * 4);        /* NumBlocks (small) */
  memset (hdr + 37, 0, 3);
  g_byte_array_append (a, hdr, 40);
  for (int i = 0; i < 4; i++)
    g_byte_array_append (a, d + 40, (guint) (off_app - 40));
  g_assert_cmpuint (a->len, >=, 16u * 1024 * 1024);
  g_assert_true (g_file_set_contents (path, (const char *) a->data, a->len, NULL));

  read_memory (d, len, &one);
  read_path (path, "nfdump", &four);
  g_assert_no_error (four.error);
  g_assert_cmpuint (four.flows, ==, 4 * one.flows);
  g_assert_cmpuint (four.json->len, ==, 4 * one.json->len);
  g_assert_true (memcmp (four.json->str + 3 * one.json->len, one.json->str,
                         one.json->len) == 0);
  result_clear (&one);
  result_clear (&four);

  {
    FlOpenOptions opts = { sizeof opts, "nfdump" };

    r = fl_reader_open_path (fl_test_registry (), path, &opts, &error);
    g_assert_no_error (error);
    fl_flow_init (&flow);
    for (int i = 0; i < 10; i++)
      g_assert_cmpint (fl_reader_next (r, &flow, &error), ==, FL_STATUS_OK);
    fl_reader_close (r);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* ------------------------------------------------------------ threads */

static guint
count_threads (void)
{
  g_autoptr (GDir) d = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* A path reader of a multi-block file has its worker after the first flow
 * (it cannot have finished: the ring holds fewer blocks than the file),
 * and none after close(). */
static void
test_threads_used (void)
{
  g_autofree char *path = fl_test_corpus_path ("nfcapd/v17-v9-bulk50k.nfcapd");
  FlOpenOptions opts = { sizeof opts, "nfdump" };
  GError *error = NULL;
  guint before = count_threads ();
  FlReader *r = fl_reader_open_path (fl_test_registry (), path, &opts, &error);
  FlFlow flow;

  g_assert_no_error (error);
  /* nothing is read ahead before next() (time_range() may skip the file) */
  g_assert_cmpuint (count_threads (), ==, before);
  fl_flow_init (&flow);
  g_assert_cmpint (fl_reader_next (r, &flow, &error), ==, FL_STATUS_OK);
  g_assert_cmpuint (count_threads (), ==, before + 1);
  fl_reader_close (r);
  g_assert_cmpuint (count_threads (), ==, before);
}

/* Writes len bytes of d to dir/name; returns the path. */
static char *
write_file (const char *dir, const char *name, const guint8 *d, gsize len)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, (const char *) d, (gssize) len, NULL));
  return path;
}

static const char *const thread_files[] = {
  "nfcapd/v17-v9-bulk50k-lz4.nfcapd",    /* layout 2, LZ4, several blocks */
  "nfcapd/v16-v9-bulk50k.nfcapd",        /* layout 1, plain */
  "nfcapd/v16-v5-softflowd-lzo.nfcapd",  /* layout 1, LZO */
  "nfcapd/v17-nfgen.nfcapd",             /* layout 2, small */
};

/* Cuts at block boundaries (just before, at, after each header) and
 * elsewhere, read from a file and from memory. */
static void
test_threads_cut (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-nfdump-XXXXXX", NULL);

  hash_only = TRUE;
  for (gsize f = 0; f < G_N_ELEMENTS (thread_files); f++)
    {
      g_autoptr (GBytes) b = fl_test_corpus_bytes (thread_files[f]);
      gsize len = 0;
      const guint8 *d = g_bytes_get_data (b, &len);
      g_autoptr (GArray) cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
      gsize off = fl_read_u16_le (d + 2) == 1 ? 140 + 136 : 40;
      guint blocks = 0;

      /* around the first block headers of the file (just before one, in
       * it, just after it), then evenly spread */
      while (off + 12 <= len && blocks < 6)
        {
          gsize size = fl_read_u32_le (d + off + 4);
          static const gssize deltas[] = { -1, 5, 13 };

          for (gsize k = 0; k < G_N_ELEMENTS (deltas); k++)
            if ((gssize) off + deltas[k] >= 0 && off + deltas[k] < len)
              {
                gsize c = (gsize) ((gssize) off + deltas[k]);
                g_array_append_val (cuts, c);
              }
          off += 12 + size;
          blocks++;
        }
      for (gsize c = 1; c < len; c += len / 23 + 1)
        g_array_append_val (cuts, c);
      g_assert_cmpuint (blocks, >=, 1);

      for (guint i = 0; i < cuts->len; i++)
        {
          gsize cut = g_array_index (cuts, gsize, i);
          g_autofree char *path = write_file (dir, "cut.nfcapd", d, cut);
          g_autofree char *what = g_strdup_printf ("%s cut at %" G_GSIZE_FORMAT,
                                                   thread_files[f], cut);
          Result file, mem;

          read_path (path, "nfdump", &file);
          read_memory (d, cut, &mem);
          assert_same_result (what, &file, &mem);
          g_assert_nonnull (file.error);
          result_clear (&file);
          result_clear (&mem);
          g_unlink (path);
        }
    }
  hash_only = FALSE;
  g_rmdir (dir);
}

/* Byte damage in block headers and bodies, from a file and from memory. */
static void
test_threads_flip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-nfdump-XXXXXX", NULL);

  hash_only = TRUE;
  for (gsize f = 0; f < 2; f++)
    {
      g_autoptr (GBytes) b = fl_test_corpus_bytes (thread_files[f]);
      gsize len = 0;
      const void *orig = g_bytes_get_data (b, &len);
      guint8 *d = g_memdup2 (orig, len);
      GRand *rand = g_rand_new_with_seed (14 + (guint32) f);

      for (int k = 0; k < 24; k++)
        {
          gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) len);
          guint8 old = d[at];
          g_autofree char *path = NULL;
          g_autofree char *what = g_strdup_printf ("%s flipped at %" G_GSIZE_FORMAT,
                                                   thread_files[f], at);
          Result file, mem;

          d[at] ^= (guint8) g_rand_int_range (rand, 1, 256);
          path = write_file (dir, "flip.nfcapd", d, len);
          read_path (path, "nfdump", &file);
          read_memory (d, len, &mem);
          assert_same_result (what, &file, &mem);
          result_clear (&file);
          result_clear (&mem);
          g_unlink (path);
          d[at] = old;
        }
      g_rand_free (rand);
      g_free (d);
    }
  hash_only = FALSE;
  g_rmdir (dir);
}

/* Closed after k flows, with the worker at any stage: no leak, no race
 * (the suite runs under ASan and TSan), and the first k flows are right. */
static void
test_threads_close (void)
{
  g_autofree char *path = fl_test_corpus_path ("nfcapd/v17-v9-bulk50k-lz4.nfcapd");
  FlOpenOptions opts = { sizeof opts, "nfdump" };
  Result whole;

  read_path (path, "nfdump", &whole);
  g_assert_no_error (whole.error);
  for (guint k = 0; k < whole.flows; k = k * 3 + 1)
    {
      GError *error = NULL;
      FlReader *r = fl_reader_open_path (fl_test_registry (), path, &opts, &error);
      g_autoptr (GString) json = g_string_new ("");
      FlFlow flow;

      g_assert_no_error (error);
      fl_flow_init (&flow);
      for (guint i = 0; i < k; i++)
        {
          g_assert_cmpint (fl_reader_next (r, &flow, &error), ==, FL_STATUS_OK);
          put_json (json, &flow);
        }
      g_assert_true (strncmp (json->str, whole.json->str, json->len) == 0);
      fl_reader_close (r);
    }
  result_clear (&whole);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) rows = NULL;

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  rows = fl_test_manifest_load_file ("nfcapd/MANIFEST.tsv");
  g_assert_cmpuint (rows->len, ==, 127);
  for (guint i = 0; i < rows->len; i++)
    {
      const FlTestManifestRow *row = rows->pdata[i];
      g_autofree char *name = g_strdup_printf ("/nfdump/rows/%s", row->file);

      g_test_add_data_func (name, row, test_row);
    }
  g_test_add_func ("/nfdump/probe", test_probe);
  g_test_add_func ("/nfdump/info", test_info);
  g_test_add_func ("/nfdump/time-range", test_time_range);
  g_test_add_func ("/nfdump/cut", test_cut);
  g_test_add_func ("/nfdump/flip", test_flip);
  g_test_add_func ("/nfdump/large-file", test_large_file);
  g_test_add_func ("/nfdump/threads/used", test_threads_used);
  g_test_add_func ("/nfdump/threads/cut", test_threads_cut);
  g_test_add_func ("/nfdump/threads/flip", test_threads_flip);
  g_test_add_func ("/nfdump/threads/close", test_threads_close);
  return g_test_run ();
}

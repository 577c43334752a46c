/* SPDX-License-Identifier: MIT */
/*
 * test-gzip.c: the gzip wrapper plugin.
 *
 * The gzip data is made here, at run time, with zlib from corpus files, so
 * that every case (multi-member, cut, damaged trailer, nesting, bomb) is
 * checked against bytes we know. Byte-level checks call the plugin's wrap()
 * directly (loaded from FLOWREAD_PLUGIN_PATH like the core does); chain and
 * probe checks go through the public API. The corpus rows' flows are
 * compared with the expected JSON by tests/corpus; here only the chain and
 * the gzip errors are checked.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>
#include <gmodule.h>

#include <flowread/flowread-plugin.h>
#include "fl-writer.h"
#include "fl-test-util.h"

static FlRegistry *registry;
static const FlReaderClass *gzip_class;

/* Sources for the byte-level checks: a small flow-tools file, a flowd log
 * bigger than the plugin's 128 KiB input chunk, and flow text. */
static const char *const sources[] = {
  "flow-tools/gen-v5-little.ft",
  "flowd/flowd-v9.log",
  "flowd/mixed-v9.flowd",
  "text/real-v8.5.flow-export.csv",
};

/* ------------------------------------------------------------ helpers */

/* One gzip member of data at level (windowBits 16 + 15 = gzip framing). */
static void
gz_append_member (GByteArray *out, const guint8 *data, gsize len, int level)
{
  z_stream z = { 0 };
  guint8 buf[65536];
  int ret;

  g_assert_cmpint (deflateInit2 (&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                 Z_DEFAULT_STRATEGY), ==, Z_OK);
  z.next_in = (Bytef *) data;
  z.avail_in = (uInt) len;
  do
    {
      z.next_out = buf;
      z.avail_out = sizeof buf;
      ret = deflate (&z, Z_FINISH);
      g_assert_cmpint (ret, !=, Z_STREAM_ERROR);
      g_byte_array_append (out, buf, sizeof buf - z.avail_out);
    }
  while (ret != Z_STREAM_END);
  deflateEnd (&z);
}

static GByteArray *
gz_compress (const guint8 *data, gsize len)
{
  GByteArray *out = g_byte_array_new ();

  gz_append_member (out, data, len, 6);
  return out;
}

/* Decodes data through the plugin's wrapper, reading chunk bytes at a
 * time. Returns the decoded bytes; *error gets the stream's error (NULL at
 * a clean end). Asserts that a failed read is final. */
static GByteArray *
gz_decode (const guint8 *data, gsize len, gsize chunk, GError **error)
{
  GByteArray *out = g_byte_array_new ();
  FlStream *inner = fl_stream_new_memory (data, len, "test.gz");
  FlStream *s;
  guint8 *buf = g_malloc (chunk);

  s = gzip_class->wrap (inner, NULL, error);
  g_assert_nonnull (s);
  for (;;)
    {
      gssize n = fl_stream_read (s, buf, chunk, error);

      g_assert_cmpint (n, >=, -1);
      if (n < 0)
        {
          g_autoptr (GError) again = NULL;

          g_assert_true (*error == NULL || (*error)->domain == FL_ERROR);
          /* Errors stick: the next read fails too, never yields data. */
          g_assert_cmpint (fl_stream_read (s, buf, chunk, &again), ==, -1);
          break;
        }
      if (n == 0)
        break;
      g_byte_array_append (out, buf, (guint) n);
    }
  fl_stream_unref (s);
  fl_stream_unref (inner);
  g_free (buf);
  return out;
}

static void
assert_bytes_equal (GByteArray *got, const guint8 *want, gsize want_len)
{
  g_assert_cmpuint (got->len, ==, want_len);
  g_assert_true (want_len == 0 || memcmp (got->data, want, want_len) == 0);
}

static void
assert_prefix (GByteArray *got, const guint8 *want, gsize want_len)
{
  g_assert_cmpuint (got->len, <=, want_len);
  g_assert_true (got->len == 0 || memcmp (got->data, want, got->len) == 0);
}

/* The plugin's reader class, loaded like the core does. */
static const FlReaderClass *
load_gzip_class (void)
{
  const char *path = g_getenv ("FLOWREAD_PLUGIN_PATH");
  g_auto (GStrv) dirs = NULL;

  g_assert_nonnull (path);
  dirs = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *file = g_build_filename (dirs[i], "fl-gzip.so", NULL);
      GModule *mod;
      FlPluginEntryFunc entry = NULL;
      const FlPluginDescriptor *d;

      if (!g_file_test (file, G_FILE_TEST_EXISTS))
        continue;
      mod = g_module_open (file, G_MODULE_BIND_LOCAL);
      g_assert_nonnull (mod);
      g_module_make_resident (mod);
      g_assert_true (g_module_symbol (mod, FL_PLUGIN_ENTRY_SYMBOL,
                                      (gpointer *) &entry));
      d = entry ();
      g_assert_cmpuint (d->n_readers, ==, 1);
      g_assert_cmpstr (d->readers[0]->name, ==, "gzip");
      g_assert_cmpint (d->readers[0]->kind, ==, FL_READER_WRAPPER);
      return d->readers[0];
    }
  g_error ("fl-gzip.so not found in FLOWREAD_PLUGIN_PATH=%s", path);
  return NULL;
}

/* ------------------------------------------------------------ probing */

typedef struct {
  int      score[FL_MAX_WRAPPER_DEPTH + 4]; /* gzip's score at each depth */
  gboolean won[FL_MAX_WRAPPER_DEPTH + 4];
  guint    max_depth;
} ProbeLog;

static void
probe_cb (const FlProbeResult *r, gpointer user_data)
{
  ProbeLog *log = user_data;

  if (r->depth > log->max_depth)
    log->max_depth = r->depth;
  if (g_strcmp0 (r->reader, "gzip") != 0 || r->depth >= G_N_ELEMENTS (log->score))
    return;
  log->score[r->depth] = r->score;
  log->won[r->depth] = r->winner;
}

/* Probes data (copied: the probe API owns its stream). */
static gboolean
probe_bytes (const guint8 *data, gsize len, ProbeLog *log, GError **error)
{
  memset (log, 0, sizeof *log);
  for (guint i = 0; i < G_N_ELEMENTS (log->score); i++)
    log->score[i] = -1;
  return fl_probe_stream (registry, fl_stream_new_memory (data, len, "probe"),
                          probe_cb, log, error);
}

static void
test_probe (void)
{
  static const guint8 not_gzip[] = "#:unix_secs,unix_nsecs\n";
  GBytes *src = fl_test_corpus_bytes (sources[0]);
  g_autoptr (GByteArray) gz = gz_compress (g_bytes_get_data (src, NULL),
                                           g_bytes_get_size (src));
  ProbeLog log;
  GError *error = NULL;
  guint8 hdr[32];

  /* A real gzip file: certain. */
  probe_bytes (gz->data, gz->len, &log, &error);
  g_clear_error (&error);
  g_assert_cmpint (log.score[0], ==, 100);
  g_assert_true (log.won[0]);

  /* Not gzip. */
  probe_bytes (not_gzip, sizeof not_gzip - 1, &log, &error);
  g_clear_error (&error);
  g_assert_cmpint (log.score[0], ==, 0);

  /* Magic, but method 7: not gzip. */
  memcpy (hdr, gz->data, sizeof hdr);
  hdr[2] = 7;
  probe_bytes (hdr, sizeof hdr, &log, &error);
  g_clear_error (&error);
  g_assert_cmpint (log.score[0], ==, 0);

  /* Reserved flag bits set: not gzip. */
  memcpy (hdr, gz->data, sizeof hdr);
  hdr[3] |= 0x20;
  probe_bytes (hdr, sizeof hdr, &log, &error);
  g_clear_error (&error);
  g_assert_cmpint (log.score[0], ==, 0);

  /* Too short to tell. */
  probe_bytes (gz->data, 3, &log, &error);
  g_clear_error (&error);
  g_assert_cmpint (log.score[0], ==, 0);
  g_bytes_unref (src);
}

/* ------------------------------------------------------------ decoding */

static void
test_decode (gconstpointer user_data)
{
  const char *rel = user_data;
  GBytes *src = fl_test_corpus_bytes (rel);
  gsize len;
  const guint8 *data = g_bytes_get_data (src, &len);
  g_autoptr (GByteArray) gz = gz_compress (data, len);
  /* Odd read sizes cross every internal boundary. */
  static const gsize chunks[] = { 1, 7, 4096, 65537, 1 << 20 };

  for (guint i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GByteArray) out = NULL;

      /* 1-byte reads of a big file take long under ASan: skip only that
       * combination, the other sizes cover it. */
      if (chunks[i] == 1 && len > 64 * 1024)
        continue;
      out = gz_decode (gz->data, gz->len, chunks[i], &error);
      g_assert_no_error (error);
      assert_bytes_equal (out, data, len);
    }
  g_bytes_unref (src);
}

static void
test_multi_member (void)
{
  GBytes *src = fl_test_corpus_bytes ("flowd/mixed-v9.flowd");
  gsize len;
  const guint8 *data = g_bytes_get_data (src, &len);
  g_autoptr (GByteArray) gz = g_byte_array_new ();
  g_autoptr (GByteArray) out = NULL;
  g_autoptr (GError) error = NULL;
  gsize cuts[] = { 0, 1, len / 3, len / 3, len / 2, len - 1, len };

  /* Members of 0, 1, n and empty bytes, at different levels (level 0 makes
   * stored blocks). */
  for (guint i = 0; i + 1 < G_N_ELEMENTS (cuts); i++)
    gz_append_member (gz, data + cuts[i], cuts[i + 1] - cuts[i], i % 10);
  out = gz_decode (gz->data, gz->len, 65536, &error);
  g_assert_no_error (error);
  assert_bytes_equal (out, data, len);
  g_bytes_unref (src);
}

/* One damaged (or oddly framed) gzip file built from a corpus source: the
 * bytes the wrapper must still deliver, then how the stream must end. */
typedef enum {
  BUILD_PADDED,         /* zero padding (tape blocks) after the last member */
  BUILD_PADDED_GARBAGE, /* the padding, then one non-zero byte */
  BUILD_GARBAGE,        /* garbage right after the member */
  BUILD_BAD_MEMBER2,    /* a second member whose header says method 9 */
  BUILD_BAD_CRC,        /* trailer CRC32 (bytes -8..-5) flipped */
  BUILD_BAD_ISIZE,      /* trailer ISIZE (bytes -4..-1) flipped */
  BUILD_CUT_TRAILER,    /* cut right before the trailer */
  BUILD_CUT_MEMBER2,    /* two members, cut exactly at their boundary */
} Build;

typedef struct {
  const char *name;
  const char *src;
  Build       build;
  gsize       chunk;     /* read size */
  int         code;      /* FL_ERROR code at the end, -1: a clean end */
  const char *fragment;  /* in the error message, or NULL */
} DamageCase;

static const DamageCase damage_cases[] = {
  /* Ignored like gzip(1) does; more than one input chunk of it. */
  { "padding", "flowd/flowd-v9.log", BUILD_PADDED, 4096, -1, NULL },
  { "padding-then-garbage", "flowd/flowd-v9.log", BUILD_PADDED_GARBAGE, 4096,
    FL_ERROR_CORRUPT, "trailing garbage" },
  { "garbage", "flowd/flowd-v9.log", BUILD_GARBAGE, 65536,
    FL_ERROR_CORRUPT, "trailing garbage" },
  { "member2-header", "flowd/flowd-v9.log", BUILD_BAD_MEMBER2, 65536,
    FL_ERROR_CORRUPT, "member 2" },
  { "crc", "flowd/mixed-v9.flowd", BUILD_BAD_CRC, 65536,
    FL_ERROR_CORRUPT, "CRC mismatch" },
  { "isize", "flowd/mixed-v9.flowd", BUILD_BAD_ISIZE, 65536,
    FL_ERROR_CORRUPT, "length mismatch" },
  /* The last cut before the trailer gives every byte before the error. */
  { "cut-before-trailer", "flowd/flowd-v9.log", BUILD_CUT_TRAILER, 512,
    FL_ERROR_TRUNCATED, NULL },
  /* A cut exactly at a member boundary is a clean end. */
  { "cut-at-member-boundary", "flowd/flowd-v9.log", BUILD_CUT_MEMBER2, 4096,
    -1, NULL },
};

static GByteArray *
damage_build (const DamageCase *c, const guint8 *data, gsize len)
{
  static const guint8 zeros[300000];
  GByteArray *gz = gz_compress (data, len);
  gsize first = gz->len;

  switch (c->build)
    {
    case BUILD_PADDED_GARBAGE:
      g_byte_array_append (gz, zeros, sizeof zeros);
      g_byte_array_append (gz, (const guint8 *) "x", 1);
      break;
    case BUILD_PADDED:
      g_byte_array_append (gz, zeros, sizeof zeros);
      break;
    case BUILD_GARBAGE:
      g_byte_array_append (gz, (const guint8 *) "garbage", 7);
      break;
    case BUILD_BAD_MEMBER2:
      {
        /* a copy: appending may move gz->data */
        g_autofree guint8 *copy = g_memdup2 (gz->data, first);

        g_byte_array_append (gz, copy, (guint) first);
        gz->data[first + 2] = 9;
      }
      break;
    case BUILD_BAD_CRC:
      gz->data[gz->len - 8] ^= 0x01;
      break;
    case BUILD_BAD_ISIZE:
      gz->data[gz->len - 4] ^= 0x01;
      break;
    case BUILD_CUT_TRAILER:
      g_byte_array_set_size (gz, gz->len - 8);
      break;
    case BUILD_CUT_MEMBER2:
      gz_append_member (gz, data, len, 1);
      g_byte_array_set_size (gz, (guint) first);
      break;
    }
  return gz;
}

/* Every case delivers all the source's bytes before its end. */
static void
test_damage (gconstpointer user_data)
{
  const DamageCase *c = user_data;
  GBytes *src = fl_test_corpus_bytes (c->src);
  gsize len;
  const guint8 *data = g_bytes_get_data (src, &len);
  g_autoptr (GByteArray) gz = damage_build (c, data, len);
  g_autoptr (GByteArray) out = NULL;
  g_autoptr (GError) error = NULL;

  out = gz_decode (gz->data, gz->len, c->chunk, &error);
  if (c->code < 0)
    g_assert_no_error (error);
  else
    {
      g_assert_error (error, FL_ERROR, c->code);
      if (c->fragment != NULL)
        g_assert_nonnull (strstr (error->message, c->fragment));
    }
  assert_bytes_equal (out, data, len);
  g_bytes_unref (src);
}

static void
test_truncated (void)
{
  GBytes *src = fl_test_corpus_bytes (sources[1]);
  gsize len;
  const guint8 *data = g_bytes_get_data (src, &len);
  g_autoptr (GByteArray) gz = gz_compress (data, len);
  g_autoptr (GByteArray) two = g_byte_array_new ();

  /* Every cut of a small member: the decoded bytes are a prefix of the
   * original, then TRUNCATED. */
  for (gsize cut = 0; cut < gz->len; cut++)
    {
      g_autoptr (GByteArray) out = NULL;
      g_autoptr (GError) error = NULL;

      out = gz_decode (gz->data, cut, 512, &error);
      g_assert_error (error, FL_ERROR, FL_ERROR_TRUNCATED);
      g_assert_nonnull (strstr (error->message, "gzip stream ends early"));
      assert_prefix (out, data, len);
    }

  /* Two members: a cut inside the second is TRUNCATED after all of the
   * first member's bytes (the cut at the boundary is in damage_cases). */
  gz_append_member (two, data, len, 6);
  gz_append_member (two, data, len, 1);
  {
    gsize first = gz->len;
    gsize cuts[] = { first + 1, first + 10, first + 100, two->len - 1 };

    for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
      {
        g_autoptr (GByteArray) out = NULL;
        g_autoptr (GError) error = NULL;

        out = gz_decode (two->data, cuts[i], 4096, &error);
        g_assert_error (error, FL_ERROR, FL_ERROR_TRUNCATED);
        g_assert_cmpuint (out->len, >=, len);
        g_assert_true (memcmp (out->data, data, len) == 0);
      }
  }
  g_bytes_unref (src);
}

static void
test_bit_flips (void)
{
  GBytes *src = fl_test_corpus_bytes (sources[1]);
  gsize len;
  const guint8 *data = g_bytes_get_data (src, &len);
  g_autoptr (GByteArray) gz = gz_compress (data, len);
  guint errors = 0;

  /* Every bit after the 10-byte header (whose MTIME/XFL/OS bytes are not
   * checked by anyone): the result is an error, or the identical bytes (a
   * flip in the padding bits after the last deflate block changes
   * nothing). Never wrong data silently. */
  for (gsize i = 10; i < gz->len; i++)
    for (guint bit = 0; bit < 8; bit++)
      {
        g_autoptr (GByteArray) out = NULL;
        g_autoptr (GError) error = NULL;

        gz->data[i] ^= (guint8) (1u << bit);
        out = gz_decode (gz->data, gz->len, 65536, &error);
        gz->data[i] ^= (guint8) (1u << bit);
        if (error != NULL)
          {
            g_assert_true (error->domain == FL_ERROR);
            g_assert_true (error->code == FL_ERROR_CORRUPT ||
                           error->code == FL_ERROR_TRUNCATED);
            errors++;
          }
        else
          assert_bytes_equal (out, data, len);
      }
  g_assert_cmpuint (errors, >, (gz->len - 10) * 8 * 9 / 10);
  g_bytes_unref (src);
}

/* ------------------------------------------------------------ the library */

static GByteArray *
nest (const guint8 *data, gsize len, guint layers)
{
  GByteArray *cur = g_byte_array_new ();

  g_byte_array_append (cur, data, len);
  for (guint i = 0; i < layers; i++)
    {
      GByteArray *next = gz_compress (cur->data, cur->len);

      g_byte_array_unref (cur);
      cur = next;
    }
  return cur;
}

static void
test_nested (void)
{
  /* Bytes no format claims, so only the wrapper stack is tested here. */
  static const guint8 junk[] = "\x01\x02\x03 flowread gzip nesting test \xfe\xff";

  for (guint layers = 1; layers <= FL_MAX_WRAPPER_DEPTH; layers++)
    {
      g_autoptr (GByteArray) gz = nest (junk, sizeof junk, layers);
      g_autoptr (GError) error = NULL;
      ProbeLog log;

      g_assert_false (probe_bytes (gz->data, gz->len, &log, &error));
      /* The core unwrapped every layer, then no format claimed it. */
      g_assert_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT);
      for (guint d = 0; d < layers; d++)
        {
          g_assert_cmpint (log.score[d], ==, 100);
          g_assert_true (log.won[d]);
        }
      g_assert_cmpint (log.score[layers], ==, 0);
      g_assert_cmpuint (log.max_depth, ==, layers);
    }

  /* 20 layers: the core stops at FL_MAX_WRAPPER_DEPTH. */
  {
    g_autoptr (GByteArray) gz = nest (junk, sizeof junk, 20);
    g_autoptr (GError) error = NULL;
    FlReader *r;

    r = fl_reader_open_memory (registry, gz->data, gz->len, "nested.gz",
                               NULL, &error);
    g_assert_null (r);
    g_assert_error (error, FL_ERROR, FL_ERROR_TOO_MANY_WRAPPERS);
  }
}

static gsize
max_rss_kib (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (gsize) ru.ru_maxrss;
}

/* 200 MB of zeros, compressed here in 1 MiB pieces (about 200 KB). */
static GByteArray *
make_bomb (gsize mib)
{
  static guint8 zeros[1 << 20];
  GByteArray *out = g_byte_array_new ();
  z_stream z = { 0 };
  guint8 buf[65536];

  g_assert_cmpint (deflateInit2 (&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                 Z_DEFAULT_STRATEGY), ==, Z_OK);
  for (gsize i = 0; i <= mib; i++)
    {
      int flush = i == mib ? Z_FINISH : Z_NO_FLUSH;
      int ret;

      z.next_in = zeros;
      z.avail_in = i == mib ? 0 : sizeof zeros;
      do
        {
          z.next_out = buf;
          z.avail_out = sizeof buf;
          ret = deflate (&z, flush);
          g_assert_cmpint (ret, !=, Z_STREAM_ERROR);
          g_byte_array_append (out, buf, sizeof buf - z.avail_out);
        }
      while (z.avail_out == 0);
    }
  deflateEnd (&z);
  return out;
}

static void
test_bomb (void)
{
  g_autoptr (GByteArray) bomb = make_bomb (200);
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gsize rss0 = max_rss_kib ();
  FlReader *r;

  g_assert_cmpuint (bomb->len, <, 1024 * 1024);

  /* Probing peeks at most FL_PROBE_PEEK_MAX decoded bytes: an unknown
   * format, fast, without decoding the 200 MB. */
  r = fl_reader_open_memory (registry, bomb->data, bomb->len, "bomb.gz",
                             NULL, &error);
  g_assert_null (r);
  g_assert_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* Streaming all of it through the wrapper: constant memory. */
  {
    FlStream *inner = fl_stream_new_memory (bomb->data, bomb->len, "bomb.gz");
    FlStream *s = gzip_class->wrap (inner, NULL, &error);
    static guint8 buf[256 * 1024];
    guint64 total = 0;
    gssize n;

    g_assert_no_error (error);
    while ((n = fl_stream_read (s, buf, sizeof buf, &error)) > 0)
      {
        g_assert_true (buf[0] == 0 && buf[n - 1] == 0);
        total += (guint64) n;
      }
    g_assert_no_error (error);
    g_assert_cmpint (n, ==, 0);
    g_assert_cmpuint (total, ==, (guint64) 200 << 20);
    fl_stream_unref (s);
    fl_stream_unref (inner);
  }
  /* Peak resident size grew by far less than the 200 MB decoded. */
  g_assert_cmpuint (max_rss_kib () - rss0, <, 32 * 1024);
}

/* Compares two texts line by line and names the first difference (a
 * whole-file g_assert_cmpstr would print megabytes). */
static void
assert_same_lines (const char *what, const char *got, const char *want)
{
  guint line = 1;

  while (*got != '\0' && *want != '\0')
    {
      const char *ge = strchr (got, '\n'), *we = strchr (want, '\n');
      gsize gl = ge != NULL ? (gsize) (ge - got) : strlen (got);
      gsize wl = we != NULL ? (gsize) (we - want) : strlen (want);

      if (gl != wl || memcmp (got, want, gl) != 0 || (ge == NULL) != (we == NULL))
        {
          g_autofree char *g = g_strndup (got, MIN (gl, 400));
          g_autofree char *w = g_strndup (want, MIN (wl, 400));

          g_test_message ("%s: line %u differs", what, line);
          g_assert_cmpstr (g, ==, w);
          g_assert_cmpuint (gl, ==, wl);
          g_assert_true ((ge == NULL) == (we == NULL));
        }
      got += gl + (ge != NULL);
      want += wl + (we != NULL);
      line++;
    }
  if (*got != '\0' || *want != '\0')
    {
      g_test_message ("%s: %s has more lines from line %u", what,
                      *got != '\0' ? "output" : "expected", line);
      g_assert_cmpuint (strlen (got), ==, strlen (want));
    }
}

static char *
read_all_json (FlReader *r, FlStatus *last, GError **error)
{
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream (&buf, &size);
  FlWriter *w = fl_writer_new (FL_OUTPUT_JSON, f);
  FlFlow flow;
  FlStatus st;

  fl_flow_init (&flow);
  fl_writer_begin_input (w, r);
  while ((st = fl_reader_next (r, &flow, error)) == FL_STATUS_OK)
    fl_writer_write (w, &flow);
  *last = st;
  g_assert_true (fl_writer_flush (w, NULL));
  fl_writer_free (w);
  fclose (f);
  return buf;
}

/* ------------------------------------------------------------ chains */

/* A gzip error must reach the caller through any format plugin: the
 * format sees a short peek and must ask again (or fl_stream_failed())
 * rather than take it for a clean end. Run for one file of each format. */
static const char *const chain_sources[] = {
  "flow-tools/gen-v5-little.ft",
  "flowd/flowd-v9.log",
  "text/real-v8.5.flow-export.csv",
};

typedef enum {
  DAMAGE_CRC,      /* trailer CRC flipped: all flows, then CORRUPT */
  DAMAGE_GARBAGE,  /* garbage after the member: all flows, then CORRUPT */
  DAMAGE_CUT,      /* cut before the trailer: all flows, then TRUNCATED */
} Damage;

/* By Damage: the test name, the error at the end and its message. */
static const struct {
  const char *name;
  int         code;
  const char *fragment;
} chain_damages[] = {
  [DAMAGE_CRC] = { "crc", FL_ERROR_CORRUPT, "CRC mismatch" },
  [DAMAGE_GARBAGE] = { "garbage", FL_ERROR_CORRUPT, "trailing garbage" },
  [DAMAGE_CUT] = { "cut", FL_ERROR_TRUNCATED, "gzip stream ends early" },
};

static void
chain_check (const char *rel, Damage damage)
{
  GBytes *src = fl_test_corpus_bytes (rel);
  g_autofree char *dir = g_path_get_dirname (rel);
  g_autofree char *base = g_path_get_basename (rel);
  g_autofree char *exp_rel = g_strdup_printf ("%s/expected/%s.jsonl", dir, base);
  g_autofree char *exp_path = fl_test_corpus_path (exp_rel);
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;
  g_autoptr (GByteArray) gz = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("%s.gz", base);
  gsize len;
  const guint8 *data = g_bytes_get_data (src, &len);
  FlStatus last;
  FlReader *r;

  g_file_get_contents (exp_path, &expected, NULL, &error);
  g_assert_no_error (error);
  gz = gz_compress (data, len);
  switch (damage)
    {
    case DAMAGE_CRC:
      gz->data[gz->len - 8] ^= 0x01;
      break;
    case DAMAGE_GARBAGE:
      g_byte_array_append (gz, (const guint8 *) "garbage", 7);
      break;
    case DAMAGE_CUT:
      /* Cut inside the trailer: every byte decodes, the end is missing. */
      g_byte_array_set_size (gz, gz->len - 3);
      break;
    }

  r = fl_reader_open_memory (registry, gz->data, gz->len, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (fl_reader_get_chain (r), "gzip > "));
  got = read_all_json (r, &last, &error);
  fl_reader_close (r);
  assert_same_lines (rel, got, expected);
  g_assert_cmpint (last, ==, FL_STATUS_ERROR);
  g_assert_error (error, FL_ERROR, chain_damages[damage].code);
  g_assert_nonnull (strstr (error->message, chain_damages[damage].fragment));
  g_bytes_unref (src);
}

typedef struct {
  const char *rel;
  Damage      damage;
} ChainCase;

/* In a subprocess: a format plugin that loses the error fails alone. */
static void
test_chain (gconstpointer user_data)
{
  const ChainCase *c = user_data;

  if (g_test_subprocess ())
    {
      chain_check (c->rel, c->damage);
      return;
    }
  /* Chains and corpus rows run after every other case (see main). */
  g_test_set_nonfatal_assertions ();
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* ------------------------------------------------------------ corpus rows */

/* /corpus/api and /corpus/cli (tests/corpus) compare every gzip row's
 * flows, status and exit code with the expected JSON; this checks only what
 * they do not: the wrapper chain and the gzip error's code and message. */
static void
corpus_row_check (const FlTestManifestRow *row)
{
  g_autofree char *path = fl_test_corpus_path (row->file);
  g_autoptr (GError) error = NULL;
  FlStatus last;
  FlFlow flow;
  FlReader *r;

  r = fl_reader_open_path (registry, path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_true (g_str_has_prefix (fl_reader_get_chain (r), "gzip > "));
  if (strstr (row->file, ".gz.gz") != NULL)
    g_assert_true (g_str_has_prefix (fl_reader_get_chain (r), "gzip > gzip > "));
  fl_flow_init (&flow);
  while ((last = fl_reader_next (r, &flow, &error)) == FL_STATUS_OK)
    ;
  fl_reader_close (r);

  if (g_str_equal (row->outcome, "ok"))
    {
      g_assert_no_error (error);
      g_assert_cmpint (last, ==, FL_STATUS_END);
    }
  else if (g_str_equal (row->outcome, "truncated"))
    {
      g_assert_error (error, FL_ERROR, FL_ERROR_TRUNCATED);
      g_assert_nonnull (strstr (error->message, "gzip stream ends early"));
    }
  else
    {
      const char *args[] = { "-o", "json", path, NULL };
      FlTestRun run;

      g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
      g_assert_nonnull (strstr (error->message, "CRC"));
      /* The CLI passes the message on. */
      fl_test_run_cli (&run, NULL, args);
      g_assert_cmpint (run.status, ==, 1);
      g_assert_nonnull (strstr (run.err, "CRC"));
      fl_test_run_clear (&run);
    }
}

/* Each row runs in a subprocess: a row whose inner format plugin is missing
 * or wrong fails alone, and the other rows still report. */
static void
test_corpus_row (gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      corpus_row_check (user_data);
      return;
    }
  /* The corpus rows run last (see main), so this only relaxes them. */
  g_test_set_nonfatal_assertions ();
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  registry = fl_registry_new_default (&error);
  g_assert_no_error (error);
  gzip_class = load_gzip_class ();

  g_test_add_func ("/gzip/probe", test_probe);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autofree char *name = g_strdup_printf ("/gzip/decode/%s", sources[i]);
      g_test_add_data_func (name, sources[i], test_decode);
    }
  g_test_add_func ("/gzip/multi-member", test_multi_member);
  for (guint i = 0; i < G_N_ELEMENTS (damage_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/gzip/damage/%s",
                                               damage_cases[i].name);
      g_test_add_data_func (name, &damage_cases[i], test_damage);
    }
  g_test_add_func ("/gzip/truncated", test_truncated);
  g_test_add_func ("/gzip/bit-flips", test_bit_flips);
  g_test_add_func ("/gzip/nested", test_nested);
  g_test_add_func ("/gzip/bomb", test_bomb);

  /* Added last: GLib runs them after every other case. */
  {
    enum { N_DAMAGES = G_N_ELEMENTS (chain_damages) };
    static ChainCase cases[G_N_ELEMENTS (chain_sources) * N_DAMAGES];

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *name = NULL;

        cases[i].rel = chain_sources[i / N_DAMAGES];
        cases[i].damage = (Damage) (i % N_DAMAGES);
        name = g_strdup_printf ("/gzip/chain/%s/%s",
                                chain_damages[i % N_DAMAGES].name,
                                cases[i].rel);
        g_test_add_data_func (name, &cases[i], test_chain);
      }
  }
  rows = fl_test_manifest_load ();
  for (guint i = 0; i < rows->len; i++)
    {
      const FlTestManifestRow *row = rows->pdata[i];
      g_autofree char *name = NULL;

      if (!g_str_equal (row->format, "gzip"))
        continue;
      name = g_strdup_printf ("/gzip/corpus/%s", row->file);
      g_test_add_data_func (name, row, test_corpus_row);
    }

  ret = g_test_run ();
  fl_registry_unref (registry);
  return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * test-inflate.c: plugins/common/fl-inflate.c, the inflater of the flowtools
 * and gzip plugins, against zlib's own inflate() as the reference.
 *
 * Whatever backend the build chose (ISA-L or zlib), every case here is
 * decoded twice: by fl_inflate_run() fed in pieces of many sizes (input and
 * output, 1 byte up to all of it), and by zlib given everything at once.
 * They must agree on the bytes, the outcome and the input consumed: a stream
 * that ends stops exactly after its trailer (the bytes behind it are the
 * caller's: a second gzip member, a second flow-tools file, garbage), a
 * damaged trailer field fails with exactly its 4 bytes consumed, a cut
 * stream hands out every byte zlib can decode from it.
 */
#include <string.h>
#include <zlib.h>

#include "fl-inflate.h"
#include "fl-test-util.h"

typedef struct {
  FlInflateStatus status;
  GByteArray     *out;
  gsize           consumed;
  char           *message;
} Result;

static void
result_clear (Result *r)
{
  g_byte_array_unref (r->out);
  g_free (r->message);
}

/* zlib, all input at once, room for everything: the reference. */
static void
ref_decode (FlInflateWrap wrap, const guint8 *in, gsize len, gsize room,
            Result *r)
{
  z_stream z = { 0 };
  int ret;

  g_assert_cmpint (inflateInit2 (&z, wrap == FL_INFLATE_WRAP_GZIP ? 16 + 15 : 15),
                   ==, Z_OK);
  r->out = g_byte_array_sized_new ((guint) room);
  g_byte_array_set_size (r->out, (guint) room);
  z.next_in = (Bytef *) in;
  z.avail_in = (uInt) len;
  z.next_out = r->out->data;
  z.avail_out = (uInt) room;
  ret = inflate (&z, Z_NO_FLUSH);
  g_assert_cmpuint (z.avail_out, >, 0);  /* room was enough */
  g_byte_array_set_size (r->out, (guint) (room - z.avail_out));
  r->consumed = len - z.avail_in;
  r->message = g_strdup (z.msg != NULL ? z.msg : zError (ret));
  if (ret == Z_STREAM_END)
    r->status = FL_INFLATE_STREAM_END;
  else if (ret == Z_OK || ret == Z_BUF_ERROR)
    r->status = FL_INFLATE_OK;
  else if (g_strcmp0 (z.msg, "incorrect data check") == 0)
    r->status = FL_INFLATE_BAD_CHECK;
  else if (g_strcmp0 (z.msg, "incorrect length check") == 0)
    r->status = FL_INFLATE_BAD_LENGTH;
  else
    r->status = FL_INFLATE_BAD_DATA;
  inflateEnd (&z);
}

/* fl_inflate_run() fed in_step input bytes and out_step output bytes at a
 * time, the way the plugins call it (again at the end of the input, until
 * it makes no progress). */
static void
fl_decode (FlInflate *z, const guint8 *in, gsize len, gsize in_step,
           gsize out_step, Result *r)
{
  guint8 *buf = g_malloc (out_step);
  gsize pos = 0;
  guint idle = 0;

  r->out = g_byte_array_new ();
  r->message = NULL;
  fl_inflate_reset (z);
  for (;;)
    {
      gsize n = MIN (in_step, len - pos), used = 0, made = 0;
      FlInflateStatus st = fl_inflate_run (z, in + pos, n, &used, buf,
                                           out_step, &made);

      g_assert_cmpuint (used, <=, n);
      g_assert_cmpuint (made, <=, out_step);
      pos += used;
      g_byte_array_append (r->out, buf, (guint) made);
      if (st != FL_INFLATE_OK)
        {
          r->status = st;
          r->message = g_strdup (fl_inflate_get_message (z));
          break;
        }
      if (used == 0 && made == 0)
        {
          /* no progress with input left would be a hang in a plugin */
          if (n != 0)
            g_test_message ("no progress: in %" G_GSIZE_FORMAT " out %"
                            G_GSIZE_FORMAT " at %" G_GSIZE_FORMAT " of %"
                            G_GSIZE_FORMAT ", %u bytes out", in_step, out_step,
                            pos, len, r->out->len);
          g_assert_cmpuint (n, ==, 0);
          if (++idle > 1)
            {
              r->status = FL_INFLATE_OK;
              break;
            }
        }
    }
  g_assert_cmpuint (fl_inflate_get_total_out (z), ==, r->out->len);
  r->consumed = pos;
  g_free (buf);
}

static const gsize in_steps[] = { 1, 3, 8, 13, 4096, 65536, G_MAXSIZE };
static const gsize out_steps[] = { 1, 7, 300, 65536, 1 << 20 };

/* Decodes stream every way and compares with zlib. exact_data: the bytes
 * must be equal (else, for corrupt data, only bounded). */
#ifdef FL_INFLATE_ISAL
#define FL_TEST_CUT_SLACK 2
#else
#define FL_TEST_CUT_SLACK 0
#endif
static gsize max_held_back;     /* test_cut(): the most ISA-L held back */
static gboolean cut;            /* check_all_ways() is given a cut stream */
static const guint8 *original;  /* test_flips(): the undamaged bytes */
static gsize original_len;

static void
check_all_ways (FlInflateWrap wrap, const guint8 *in, gsize len,
                gsize room, gboolean small_steps, gboolean corrupt)
{
  g_autoptr (FlInflate) z = NULL;
  Result ref;

  ref_decode (wrap, in, len, room, &ref);
  z = fl_inflate_new (wrap);
  g_assert_nonnull (z);
  for (guint i = 0; i < G_N_ELEMENTS (in_steps); i++)
    for (guint o = 0; o < G_N_ELEMENTS (out_steps); o++)
      {
        Result got;

        /* byte-sized steps over big inputs: the other sizes cover them */
        if (!small_steps && (in_steps[i] < 8 || out_steps[o] < 300))
          continue;
        fl_decode (z, in, len, in_steps[i], out_steps[o], &got);
        if (corrupt)
          {
            /* ISA-L may find damage later than zlib (or, in a code zlib
             * calls incomplete but the data never uses, not at all): an
             * end of stream is only ever the right bytes */
            if (got.status == FL_INFLATE_STREAM_END || ref.status == FL_INFLATE_STREAM_END)
              {
                g_assert_cmpint (got.status, ==, FL_INFLATE_STREAM_END);
                g_assert_cmpuint (got.out->len, ==, original_len);
                g_assert_true (original_len == 0 ||
                               memcmp (got.out->data, original, original_len) == 0);
              }
            g_assert_cmpuint (got.out->len, <=, room);
          }
        else if (cut && got.status == FL_INFLATE_OK && ref.status == FL_INFLATE_OK)
          {
            /* A stream cut short: all input taken, a prefix of zlib's
             * bytes. ISA-L decodes up to three literals per table lookup
             * and takes none of them back when the input ends inside the
             * last: it may hold back a few final bytes zlib hands out. */
            g_assert_cmpuint (got.consumed, ==, ref.consumed);
            g_assert_cmpuint (got.out->len, <=, ref.out->len);
            g_assert_cmpuint (got.out->len + FL_TEST_CUT_SLACK, >=, ref.out->len);
            g_assert_true (got.out->len == 0 ||
                           memcmp (got.out->data, ref.out->data, got.out->len) == 0);
            if (ref.out->len - got.out->len > max_held_back)
              max_held_back = ref.out->len - got.out->len;
          }
        else
          {
            if (got.status != ref.status || got.consumed != ref.consumed ||
                got.out->len != ref.out->len)
              g_test_message ("in %" G_GSIZE_FORMAT " out %" G_GSIZE_FORMAT
                              ": status %d/%d consumed %" G_GSIZE_FORMAT "/%"
                              G_GSIZE_FORMAT " out %u/%u (%s / %s)",
                              in_steps[i], out_steps[o], got.status, ref.status,
                              got.consumed, ref.consumed, got.out->len,
                              ref.out->len, got.message, ref.message);
            g_assert_cmpint (got.status, ==, ref.status);
            g_assert_cmpuint (got.consumed, ==, ref.consumed);
            g_assert_cmpuint (got.out->len, ==, ref.out->len);
            g_assert_true (got.out->len == 0 ||
                           memcmp (got.out->data, ref.out->data, got.out->len) == 0);
            if (got.status == FL_INFLATE_BAD_DATA)
              g_assert_cmpstr (got.message, ==, ref.message);
          }
        result_clear (&got);
      }
  result_clear (&ref);
}

/* ------------------------------------------------------------ inputs */

static GByteArray *
z_make (FlInflateWrap wrap, const guint8 *data, gsize len, int level,
          int strategy, gboolean flushes, gz_header *head)
{
  GByteArray *out = g_byte_array_new ();
  z_stream z = { 0 };
  guint8 buf[65536];
  gsize pos = 0;
  int ret;

  g_assert_cmpint (deflateInit2 (&z, level, Z_DEFLATED,
                                 wrap == FL_INFLATE_WRAP_GZIP ? 16 + 15 : 15,
                                 8, strategy), ==, Z_OK);
  if (head != NULL)
    g_assert_cmpint (deflateSetHeader (&z, head), ==, Z_OK);
  do
    {
      /* with flushes: sync/full flush points every 1000 bytes (empty
       * stored blocks, byte-aligned block starts) */
      gsize n = flushes ? MIN ((gsize) 1000, len - pos) : len - pos;
      int flush = pos + n == len ? Z_FINISH
                : (pos / 1000) % 2 ? Z_FULL_FLUSH : Z_SYNC_FLUSH;

      z.next_in = (Bytef *) data + pos;
      z.avail_in = (uInt) n;
      pos += n;
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
  while (ret != Z_STREAM_END);
  deflateEnd (&z);
  return out;
}

/* Compressible bytes like flow records, and noise. */
static GByteArray *
sample (gsize len, guint32 seed)
{
  GByteArray *a = g_byte_array_sized_new ((guint) len);
  GRand *rand = g_rand_new_with_seed (seed);

  g_byte_array_set_size (a, (guint) len);
  for (gsize i = 0; i < len; i++)
    a->data[i] = (i / 4096) % 3 == 2 ? (guint8) g_rand_int (rand)
                                     : (guint8) ((i % 64) < 40 ? (guint) (i % 7) : (guint) g_rand_int_range (rand, 0, 4));
  g_rand_free (rand);
  return a;
}

static const char *const corpus_files[] = {
  "flow-tools/gen-v5-little.ft",
  "flowd/mixed-v9.flowd",
};

/* Every level and strategy of zlib's deflate, with and without flush
 * points, both framings, bytes after the stream. */
static void
test_valid (void)
{
  static const int levels[] = { 0, 1, 6, 9 };
  static const int strategies[] = { Z_DEFAULT_STRATEGY, Z_FIXED, Z_HUFFMAN_ONLY, Z_RLE };
  static const guint8 after[] = "\x1f\x8b\x08 next member or file";

  for (guint w = 0; w < 2; w++)
    for (guint f = 0; f < G_N_ELEMENTS (corpus_files) + 2; f++)
      {
        GByteArray *data;

        if (f < G_N_ELEMENTS (corpus_files))
          {
            GBytes *b = fl_test_corpus_bytes (corpus_files[f]);

            data = g_byte_array_new ();
            g_byte_array_append (data, g_bytes_get_data (b, NULL),
                                 (guint) g_bytes_get_size (b));
            g_bytes_unref (b);
          }
        else
          data = sample (f == G_N_ELEMENTS (corpus_files) ? 0 : 120000, f);
        for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
          for (guint s = 0; s < G_N_ELEMENTS (strategies); s++)
            for (guint fl = 0; fl < 2; fl++)
              {
                g_autoptr (GByteArray) z = z_make ((FlInflateWrap) w, data->data,
                                                     data->len, levels[l],
                                                     strategies[s], fl, NULL);

                g_byte_array_append (z, after, sizeof after - 1);
                check_all_ways ((FlInflateWrap) w, z->data, z->len,
                                data->len + 1, data->len < 100000 && l == 2 && s == 0, FALSE);
              }
        g_byte_array_unref (data);
      }
}

/* Every cut of a stream, and of its trailer. */
static void
test_cut (void)
{
  g_autoptr (GByteArray) data = sample (20000, 7);

  for (guint w = 0; w < 2; w++)
    {
      g_autoptr (GByteArray) z = z_make ((FlInflateWrap) w, data->data, data->len,
                                           6, Z_DEFAULT_STRATEGY, FALSE, NULL);

      cut = TRUE;
      for (gsize at = 0; at < z->len; at += at + 16 < z->len ? 7 : 1)
        check_all_ways ((FlInflateWrap) w, z->data, at, data->len + 1,
                        at % 49 == 0 || at + 16 >= z->len, FALSE);
      cut = FALSE;
    }
  g_test_message ("most bytes held back at a cut: %" G_GSIZE_FORMAT, max_held_back);
}

/* Each trailer field damaged: all the data, then the check that failed,
 * with exactly that field consumed. */
static void
test_trailer (void)
{
  g_autoptr (GByteArray) data = sample (70000, 3);

  for (guint w = 0; w < 2; w++)
    {
      g_autoptr (GByteArray) z = z_make ((FlInflateWrap) w, data->data, data->len,
                                           6, Z_DEFAULT_STRATEGY, FALSE, NULL);
      guint fields = w == FL_INFLATE_WRAP_GZIP ? 8 : 4;

      for (guint b = 0; b < fields; b++)
        {
          Result ref;

          z->data[z->len - fields + b] ^= 0x10;
          ref_decode ((FlInflateWrap) w, z->data, z->len, data->len + 1, &ref);
          g_assert_cmpint (ref.status, ==, b < 4 ? FL_INFLATE_BAD_CHECK
                                                 : FL_INFLATE_BAD_LENGTH);
          result_clear (&ref);
          check_all_ways ((FlInflateWrap) w, z->data, z->len, data->len + 1,
                          TRUE, FALSE);
          z->data[z->len - fields + b] ^= 0x10;
        }
    }
}

/* gzip header fields (FEXTRA, FNAME, FCOMMENT, FHCRC) and header errors;
 * zlib header errors. zlib's messages. */
static void
test_headers (void)
{
  g_autoptr (GByteArray) data = sample (5000, 5);
  guint8 extra[300];
  gz_header head = { 0 };

  memset (extra, 'x', sizeof extra);
  head.extra = extra;
  head.extra_len = sizeof extra;
  head.name = (Bytef *) "ft-v05.2026-11-27.130000+0000";
  head.comment = (Bytef *) "flow-capture";
  head.hcrc = 1;
  {
    g_autoptr (GByteArray) z = z_make (FL_INFLATE_WRAP_GZIP, data->data,
                                         data->len, 6, Z_DEFAULT_STRATEGY,
                                         FALSE, &head);
    gsize hlen = 10 + 2 + sizeof extra + strlen ((char *) head.name) + 1 +
                 strlen ((char *) head.comment) + 1 + 2;

    check_all_ways (FL_INFLATE_WRAP_GZIP, z->data, z->len, data->len + 1, TRUE, FALSE);
    /* every cut inside the header */
    for (gsize hcut = 0; hcut <= hlen; hcut++)
      check_all_ways (FL_INFLATE_WRAP_GZIP, z->data, hcut, data->len + 1,
                      hcut % 17 == 0, FALSE);
    /* the header CRC, the method, reserved flags, the magic */
    {
      static const struct { gsize at; guint8 xor; } bad[] = {
        { 0, 0x01 }, { 1, 0x80 }, { 2, 0x01 }, { 3, 0x20 }, { 3, 0x80 },
        { 0, 0x01 },  /* the header CRC: set below */
      };
      gsize at_hcrc = hlen - 2;

      for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
        {
          Result ref;

          gsize at = i + 1 < G_N_ELEMENTS (bad) ? bad[i].at : at_hcrc;

          z->data[at] ^= bad[i].xor;
          ref_decode (FL_INFLATE_WRAP_GZIP, z->data, z->len, data->len + 1, &ref);
          g_assert_cmpint (ref.status, ==, FL_INFLATE_BAD_DATA);
          result_clear (&ref);
          check_all_ways (FL_INFLATE_WRAP_GZIP, z->data, z->len, data->len + 1,
                          TRUE, FALSE);
          z->data[at] ^= bad[i].xor;
        }
    }
  }
  {
    g_autoptr (GByteArray) z = z_make (FL_INFLATE_WRAP_ZLIB, data->data,
                                         data->len, 6, Z_DEFAULT_STRATEGY,
                                         FALSE, NULL);
    /* check bits, method, window size, a preset dictionary */
    static const guint8 heads[][2] = {
      { 0x78, 0x9d }, { 0x77, 0x9c }, { 0x89, 0x9b }, { 0x78, 0xbb },
    };

    for (guint i = 0; i < G_N_ELEMENTS (heads); i++)
      {
        guint8 save[2] = { z->data[0], z->data[1] };

        z->data[0] = heads[i][0];
        z->data[1] = heads[i][1];
        check_all_ways (FL_INFLATE_WRAP_ZLIB, z->data, z->len, data->len + 1,
                        TRUE, FALSE);
        z->data[0] = save[0];
        z->data[1] = save[1];
      }
  }
}

/* Bit flips in the deflate data: an error or the right bytes, never a hang
 * or more bytes than fit, never the end of a stream with other bytes. */
static void
test_flips (void)
{
  g_autoptr (GByteArray) data = sample (30000, 11);
  GRand *rand = g_rand_new_with_seed (42);

  original = data->data;
  original_len = data->len;

  for (guint w = 0; w < 2; w++)
    {
      g_autoptr (GByteArray) z = z_make ((FlInflateWrap) w, data->data, data->len,
                                           6, Z_DEFAULT_STRATEGY, FALSE, NULL);
      gsize start = w == FL_INFLATE_WRAP_GZIP ? 10 : 2;

      for (guint i = 0; i < 300; i++)
        {
          gsize at = start + (gsize) g_rand_int_range (rand, 0, (gint32) (z->len - start));
          guint8 bit = (guint8) (1u << g_rand_int_range (rand, 0, 8));
          Result ref;

          z->data[at] ^= bit;
          ref_decode ((FlInflateWrap) w, z->data, z->len, data->len * 4 + 1, &ref);
          if (ref.status == FL_INFLATE_STREAM_END)
            g_assert_true (ref.out->len == data->len &&
                           memcmp (ref.out->data, data->data, data->len) == 0);
          result_clear (&ref);
          check_all_ways ((FlInflateWrap) w, z->data, z->len, data->len * 4 + 1,
                          FALSE, TRUE);
          z->data[at] ^= bit;
        }
    }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_message ("inflate backend: %s", FL_INFLATE_BACKEND);
  g_test_add_func ("/inflate/valid", test_valid);
  g_test_add_func ("/inflate/cut", test_cut);
  g_test_add_func ("/inflate/trailer", test_trailer);
  g_test_add_func ("/inflate/headers", test_headers);
  g_test_add_func ("/inflate/flips", test_flips);
  return g_test_run ();
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz-nfdump.c: libFuzzer target for the native nfcapd reader.
 *
 * Each input is read twice, with the format forced to "nfdump":
 *   1. as it is (headers, block walking, every damage path);
 *   2. as the records of one data block that this target wraps itself: a
 *      valid layout 1 or 2 file header, the compression the first byte
 *      picks (none, LZO, bzip2, LZ4, ZSTD) and the rest compressed with
 *      that codec, so that the fuzzer reaches the record and element
 *      decoders behind every decompressor without having to produce a
 *      valid compressed stream. Byte 1..2 is the block's record count.
 * Every flow is formatted as JSON and the header metadata listed, so the
 * record helpers are fuzzed too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <zstd.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  if (lzo_init () != LZO_E_OK)
    abort ();
  return 0;
}

static void
read_all (const guint8 *data, gsize size)
{
  fuzz_read_all (data, size, "nfdump");
}

/* Compresses src with codec (1 LZO, 2 bzip2, 3 LZ4, 4 ZSTD) into a new
 * buffer; *len gets the size. NULL if the codec failed. */
static guint8 *
compress (guint codec, const guint8 *src, gsize n, gsize *len)
{
  gsize cap = n + n / 8 + 1024;
  guint8 *dst = g_malloc (cap);

  switch (codec)
    {
    case 1:
      {
        static guint8 wrk[LZO1X_1_MEM_COMPRESS];
        lzo_uint out = cap;

        if (lzo1x_1_compress (src, n, dst, &out, wrk) != LZO_E_OK)
          break;
        *len = out;
        return dst;
      }
    case 2:
      {
        unsigned int out = (unsigned int) cap;

        if (BZ2_bzBuffToBuffCompress ((char *) dst, &out, (char *) src,
                                      (unsigned int) n, 1, 0, 0) != BZ_OK)
          break;
        *len = out;
        return dst;
      }
    case 3:
      {
        int out = LZ4_compress_default ((const char *) src, (char *) dst,
                                        (int) n, (int) cap);

        if (out <= 0)
          break;
        *len = (gsize) out;
        return dst;
      }
    case 4:
      {
        size_t out = ZSTD_compress (dst, cap, src, n, 1);

        if (ZSTD_isError (out))
          break;
        *len = out;
        return dst;
      }
    default:
      break;
    }
  g_free (dst);
  return NULL;
}

static void
put16 (GByteArray *a, guint16 v)
{
  guint8 b[2] = { (guint8) v, (guint8) (v >> 8) };

  g_byte_array_append (a, b, 2);
}

static void
put32 (GByteArray *a, guint32 v)
{
  put16 (a, (guint16) v);
  put16 (a, (guint16) (v >> 16));
}

static void
zeros (GByteArray *a, guint n)
{
  static const guint8 z[256];

  while (n > 0)
    {
      guint k = MIN (n, (guint) sizeof z);

      g_byte_array_append (a, z, k);
      n -= k;
    }
}

static void
read_wrapped (const guint8 *data, gsize size)
{
  static const guint32 v1_flags[] = { 0x0, 0x1, 0x8, 0x10 };
  gboolean layout1;
  guint codec;
  guint32 count;
  const guint8 *payload;
  gsize plen, blen = 0;
  guint8 *block = NULL;
  GByteArray *f;

  if (size < 3)
    return;
  layout1 = (data[0] & 1) != 0;
  codec = (data[0] >> 1) % (layout1 ? 4u : 5u);
  count = (guint32) data[1] | ((guint32) data[2] << 8);
  payload = data + 3;
  plen = size - 3;
  if (codec != 0)
    {
      block = compress (codec, payload, plen, &blen);
      if (block == NULL)
        return;
    }

  f = g_byte_array_new ();
  put16 (f, 0xA50C);
  if (layout1)
    {
      put16 (f, 1);
      put32 (f, v1_flags[codec]);
      put32 (f, 1);                 /* NumBlocks */
      zeros (f, 128 + 136);         /* ident, stat record */
    }
  else
    {
      put16 (f, 2);
      put32 (f, 0xF1070800);
      zeros (f, 8);                 /* created */
      g_byte_array_append (f, (const guint8 []) { (guint8) codec, 0 }, 2);
      put16 (f, 0);                 /* appendix blocks */
      zeros (f, 4 + 8 + 4);         /* creator, offAppendix, BlockSize */
      put32 (f, 1);                 /* NumBlocks */
    }
  put32 (f, count);
  put32 (f, (guint32) (codec != 0 ? blen : plen));
  put16 (f, layout1 ? 2 : 3);
  put16 (f, 0);
  g_byte_array_append (f, codec != 0 ? block : payload,
                       (guint) (codec != 0 ? blen : plen));
  read_all (f->data, f->len);
  g_byte_array_unref (f);
  g_free (block);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  read_all (data, size);
  read_wrapped (data, size);
  return 0;
}

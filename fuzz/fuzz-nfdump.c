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
 *
 * One input in four (by its bytes), both are also written to a file and
 * read from it: a file opened by path is read by two threads (pread(), see
 * nf_worker() in the plugin), memory by one. The two must give the same
 * flows (the same -o json bytes) and the same outcome, or the target aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <zstd.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <flowread/flowread-plugin.h>

#include "fuzz-common.h"
#include "fl-writer.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);

static char *file_path;   /* the input again, for the two-thread read */

static void
remove_file (void)
{
  if (file_path != NULL)
    g_unlink (file_path);
}
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  int fd;

  fuzz_init ();
  if (lzo_init () != LZO_E_OK)
    abort ();
  /* one file, rewritten for each input; removed at exit */
  fd = g_file_open_tmp ("fuzz-nfdump-XXXXXX", &file_path, NULL);
  if (fd < 0)
    abort ();
  close (fd);
  atexit (remove_file);
  return 0;
}


typedef struct {
  guint    flows;
  char    *json;      /* every flow as -o json prints it */
  size_t   json_len;
  FlStatus status;
  int      code;      /* of the error, or -1 */
  char     message[256];
} Digest;

static inline guint64
mix (guint64 h, guint64 v)
{
  return (h ^ v) * G_GUINT64_CONSTANT (0x100000001b3);
}

static void
digest (FlReader *r, GError *open_error, Digest *d)
{
  GError *error = open_error;
  FILE *out;
  FlWriter *w;
  FlFlow flow;

  memset (d, 0, sizeof *d);
  d->status = FL_STATUS_ERROR;
  out = open_memstream (&d->json, &d->json_len);
  if (out == NULL)
    abort ();
  if (r != NULL)
    {
      w = fl_writer_new (FL_OUTPUT_JSON, out);
      fl_writer_begin_input (w, r);
      fl_flow_init (&flow);
      while ((d->status = fl_reader_next (r, &flow, &error)) == FL_STATUS_OK)
        {
          fl_writer_write (w, &flow);
          d->flows++;
        }
      fl_writer_flush (w, NULL);
      fl_writer_free (w);
      fl_reader_close (r);
    }
  fclose (out);
  d->code = error != NULL ? error->code : -1;
  if (error != NULL)
    g_strlcpy (d->message, error->message, sizeof d->message);
  g_clear_error (&error);
}

/* Rewrites the scratch file with data (truncated first; no fsync). */
static void
write_file (const guint8 *data, gsize size)
{
  FILE *f = fopen (file_path, "wb");

  if (f == NULL || (size > 0 && fwrite (data, 1, size, f) != size) || fclose (f) != 0)
    abort ();
}

static void
read_all (const guint8 *data, gsize size)
{
  FlOpenOptions opts = { .struct_size = sizeof opts, .format = "nfdump" };
  GError *error = NULL;
  FlReader *r;
  Digest mem, file;

  fuzz_read_all (data, size, "nfdump");
  /* the file read costs a write, a thread and a join: one input in four
   * (chosen by its bytes, so that a crash reproduces) */
  {
    guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

    for (gsize i = 0; i < size; i++)
      h = mix (h, data[i]);
    if ((h >> 32) % 4 != 0)
      return;
  }

  r = fl_reader_open_memory (fuzz_registry (), data, size, "m", &opts, &error);
  digest (r, error, &mem);
  error = NULL;
  write_file (data, size);
  r = fl_reader_open_path (fuzz_registry (), file_path, &opts, &error);
  digest (r, error, &file);
  if (mem.flows != file.flows || mem.json_len != file.json_len ||
      memcmp (mem.json, file.json, mem.json_len) != 0 ||
      mem.status != file.status || mem.code != file.code)
    {
      fprintf (stderr, "fuzz-nfdump: memory and file reads differ: %u/%u flows, "
               "status %d/%d, error %d/%d\n  memory: %s\n  file:   %s\n",
               mem.flows, file.flows, mem.status, file.status, mem.code,
               file.code, mem.message, file.message);
      abort ();
    }
  free (mem.json);
  free (file.json);
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

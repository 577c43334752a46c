/* SPDX-License-Identifier: MIT */
/*
 * fl-inflate.c: streaming inflate for the flowtools and gzip plugins, on
 * ISA-L or zlib (see fl-inflate.h for the contract).
 *
 * The ISA-L backend parses the zlib/gzip header and trailer itself and lets
 * isal_inflate() decode the raw deflate data (ISAL_GZIP_NO_HDR /
 * ISAL_ZLIB_NO_HDR: it keeps the CRC32/Adler-32 of the output, and reads
 * no trailer). That is what makes the outcome identical to zlib's: ISA-L's
 * own wrapper handling reports one "incorrect checksum" for both trailer
 * fields and swallows its read-ahead, while zlib says which field failed
 * and stops right after the stream. The header checks and their order are
 * zlib 1.2.13's inflate.c (HEAD .. HCRC), with its messages.
 */
#include "fl-inflate.h"

#include <string.h>
#include <zlib.h>

#ifdef FL_INFLATE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#ifndef FL_INFLATE_ISAL
/* ------------------------------------------------------------ zlib */

struct _FlInflate {
  z_stream z;
  guint64  total_out;
  int      last;     /* zlib's last return code, for the message */
};

FlInflate *
fl_inflate_new (FlInflateWrap wrap)
{
  FlInflate *z = g_new0 (FlInflate, 1);
  /* 15: zlib framing; 16 + 15: gzip only. Both the largest window. */
  int bits = wrap == FL_INFLATE_WRAP_GZIP ? 16 + MAX_WBITS : MAX_WBITS;

  if (inflateInit2 (&z->z, bits) != Z_OK)
    {
      g_free (z);
      return NULL;
    }
  return z;
}

void
fl_inflate_reset (FlInflate *z)
{
  inflateReset (&z->z);
  z->total_out = 0;
  z->last = Z_OK;
}

void
fl_inflate_free (FlInflate *z)
{
  if (z == NULL)
    return;
  inflateEnd (&z->z);
  g_free (z);
}

FlInflateStatus
fl_inflate_run (FlInflate *z, const guint8 *in, gsize in_len, gsize *in_used,
                guint8 *out, gsize out_len, gsize *out_made)
{
  /* uInt may be narrower than gsize: feed at most UINT_MAX. */
  uInt ai = (uInt) MIN (in_len, (gsize) G_MAXUINT);
  uInt ao = (uInt) MIN (out_len, (gsize) G_MAXUINT);
  int ret;

  z->z.next_in = (Bytef *) in;
  z->z.avail_in = ai;
  z->z.next_out = out;
  z->z.avail_out = ao;
  ret = inflate (&z->z, Z_NO_FLUSH);
  *in_used = ai - z->z.avail_in;
  *out_made = ao - z->z.avail_out;
  z->total_out += *out_made;
  z->z.next_in = NULL;
  z->z.avail_in = 0;
  z->last = ret;
  switch (ret)
    {
    case Z_OK:
    case Z_BUF_ERROR:  /* no progress possible: the caller sees 0/0 */
      return FL_INFLATE_OK;
    case Z_STREAM_END:
      return FL_INFLATE_STREAM_END;
    case Z_MEM_ERROR:
      return FL_INFLATE_NO_MEMORY;
    default:
      break;
    }
  if (g_strcmp0 (z->z.msg, "incorrect data check") == 0)
    return FL_INFLATE_BAD_CHECK;
  if (g_strcmp0 (z->z.msg, "incorrect length check") == 0)
    return FL_INFLATE_BAD_LENGTH;
  return FL_INFLATE_BAD_DATA;
}

guint64
fl_inflate_get_total_out (const FlInflate *z)
{
  return z->total_out;
}

const char *
fl_inflate_get_message (const FlInflate *z)
{
  return z->z.msg != NULL ? z->z.msg : zError (z->last);
}

#else
/* ------------------------------------------------------------ ISA-L */

typedef enum {
  PH_HEADER,   /* the zlib or gzip header, parsed here */
  PH_BODY,     /* raw deflate, isal_inflate() */
  PH_DRAIN,    /* an error came: hand out what ISA-L decoded before it */
  PH_TRAILER,  /* Adler-32, or CRC32 + ISIZE, checked here */
  PH_DONE,     /* the status in 'result' sticks */
} Phase;

/* gzip header steps, in file order (RFC 1952 2.3) */
enum { GZ_FIXED, GZ_XLEN, GZ_EXTRA, GZ_NAME, GZ_COMMENT, GZ_HCRC, GZ_END };

struct _FlInflate {
  struct inflate_state st;
  FlInflateWrap wrap;
  Phase    phase;
  FlInflateStatus result;     /* in PH_DRAIN / PH_DONE */
  const char *msg;
  guint64  total_out;

  /* header */
  guint    step;
  guint8   hbuf[10];
  guint    hlen;              /* bytes of hbuf filled for this step */
  guint    flags;             /* gzip FLG */
  guint32  xlen;              /* FEXTRA bytes still to skip */
  guint32  hcrc;              /* CRC32 of the gzip header so far */

  /* trailer, and what ISA-L read past the end of the deflate data in an
   * earlier call (the caller already counted it as consumed) */
  guint8   tbuf[8];
  guint    tlen;
  guint8   stash[8];
  guint    n_stash, stash_pos;
};

FlInflate *
fl_inflate_new (FlInflateWrap wrap)
{
  FlInflate *z = g_try_new0 (FlInflate, 1);

  if (z == NULL)
    return NULL;
  z->wrap = wrap;
  fl_inflate_reset (z);
  return z;
}

void
fl_inflate_reset (FlInflate *z)
{
  isal_inflate_init (&z->st);
  z->st.crc_flag = z->wrap == FL_INFLATE_WRAP_GZIP ? ISAL_GZIP_NO_HDR
                                                   : ISAL_ZLIB_NO_HDR;
  z->phase = PH_HEADER;
  z->result = FL_INFLATE_OK;
  z->msg = "no error";
  z->total_out = 0;
  z->step = GZ_FIXED;
  z->hlen = 0;
  z->flags = 0;
  z->xlen = 0;
  z->hcrc = (guint32) crc32 (0L, Z_NULL, 0);
  z->tlen = 0;
  z->n_stash = z->stash_pos = 0;
}

void
fl_inflate_free (FlInflate *z)
{
  g_free (z);
}

static FlInflateStatus
fail (FlInflate *z, FlInflateStatus st, const char *msg)
{
  z->phase = PH_DONE;
  z->result = st;
  z->msg = msg;
  return st;
}

/* Collects want bytes of the current header step into hbuf. */
static gboolean
take (FlInflate *z, guint want, const guint8 *in, gsize in_len, gsize *ip)
{
  while (z->hlen < want && *ip < in_len)
    z->hbuf[z->hlen++] = in[(*ip)++];
  return z->hlen >= want;
}

/* zlib header (RFC 1950). Returns OK while incomplete or done (phase moves
 * to PH_BODY), else the error. */
static FlInflateStatus
zlib_header (FlInflate *z, const guint8 *in, gsize in_len, gsize *ip)
{
  if (z->step == GZ_FIXED)
    {
      guint cmf, flg;

      if (!take (z, 2, in, in_len, ip))
        return FL_INFLATE_OK;
      cmf = z->hbuf[0];
      flg = z->hbuf[1];
      if ((cmf * 256 + flg) % 31 != 0)
        return fail (z, FL_INFLATE_BAD_DATA, "incorrect header check");
      if ((cmf & 0x0f) != 8)
        return fail (z, FL_INFLATE_BAD_DATA, "unknown compression method");
      if ((cmf >> 4) + 8 > 15)
        return fail (z, FL_INFLATE_BAD_DATA, "invalid window size");
      z->hlen = 0;
      if (!(flg & 0x20))
        {
          z->phase = PH_BODY;
          return FL_INFLATE_OK;
        }
      z->step = GZ_XLEN;  /* DICTID follows */
    }
  /* zlib reads the 4-byte DICTID, then asks for the dictionary: nothing
   * here has one, so that is the end. */
  if (!take (z, 4, in, in_len, ip))
    return FL_INFLATE_OK;
  return fail (z, FL_INFLATE_BAD_DATA, "need dictionary");
}

static void
hcrc_add (FlInflate *z, const guint8 *p, gsize n)
{
  if (z->flags & 0x02)
    z->hcrc = (guint32) crc32 (z->hcrc, p, (uInt) n);
}

/* gzip member header (RFC 1952 2.3), zlib's checks in zlib's order. */
static FlInflateStatus
gzip_header (FlInflate *z, const guint8 *in, gsize in_len, gsize *ip)
{
  for (;;)
    switch (z->step)
      {
      case GZ_FIXED:
        /* zlib reads ID1 ID2, then CM FLG, then the rest: report the
         * first failing check once its bytes are in */
        if (!take (z, 2, in, in_len, ip))
          return FL_INFLATE_OK;
        if (z->hbuf[0] != 0x1f || z->hbuf[1] != 0x8b)
          return fail (z, FL_INFLATE_BAD_DATA, "incorrect header check");
        if (!take (z, 4, in, in_len, ip))
          return FL_INFLATE_OK;
        if (z->hbuf[2] != 8)
          return fail (z, FL_INFLATE_BAD_DATA, "unknown compression method");
        if (z->hbuf[3] & 0xe0)
          return fail (z, FL_INFLATE_BAD_DATA, "unknown header flags set");
        if (!take (z, 10, in, in_len, ip))
          return FL_INFLATE_OK;
        z->flags = z->hbuf[3];
        hcrc_add (z, z->hbuf, 10);
        z->hlen = 0;
        z->step = GZ_XLEN;
        break;
      case GZ_XLEN:
        if (!(z->flags & 0x04))
          {
            z->step = GZ_NAME;
            break;
          }
        if (!take (z, 2, in, in_len, ip))
          return FL_INFLATE_OK;
        hcrc_add (z, z->hbuf, 2);
        z->xlen = z->hbuf[0] | (guint32) z->hbuf[1] << 8;
        z->hlen = 0;
        z->step = GZ_EXTRA;
        break;
      case GZ_EXTRA:
        {
          gsize n = MIN ((gsize) z->xlen, in_len - *ip);

          hcrc_add (z, in + *ip, n);
          *ip += n;
          z->xlen -= (guint32) n;
          if (z->xlen > 0)
            return FL_INFLATE_OK;
          z->step = GZ_NAME;
          break;
        }
      case GZ_NAME:
      case GZ_COMMENT:
        if (z->flags & (z->step == GZ_NAME ? 0x08 : 0x10))
          {
            const guint8 *s = in + *ip;
            const guint8 *nul = memchr (s, 0, in_len - *ip);
            gsize n = nul != NULL ? (gsize) (nul - s) + 1 : in_len - *ip;

            hcrc_add (z, s, n);
            *ip += n;
            if (nul == NULL)
              return FL_INFLATE_OK;
          }
        z->step++;
        break;
      case GZ_HCRC:
        if (z->flags & 0x02)
          {
            if (!take (z, 2, in, in_len, ip))
              return FL_INFLATE_OK;
            if ((z->hbuf[0] | (guint) z->hbuf[1] << 8) != (z->hcrc & 0xffff))
              return fail (z, FL_INFLATE_BAD_DATA, "header crc mismatch");
            z->hlen = 0;
          }
        z->step = GZ_END;
        z->phase = PH_BODY;
        return FL_INFLATE_OK;
      default:
        g_assert_not_reached ();
      }
}

/* ISA-L's bit buffer holds whole bytes of input beyond the bits it has
 * used: bytes it took but did not decode. Drops the last (newest) max of
 * them from the buffer and returns how many it dropped; all holds every
 * whole byte in stream order, oldest first, when not NULL. */
static guint
give_back (struct inflate_state *st, gsize max, guint8 *all)
{
  guint keep = (guint) st->read_in_length % 8;
  guint n = (guint) st->read_in_length / 8;
  guint drop = (guint) MIN ((gsize) n, max);
  guint left = (guint) st->read_in_length - 8 * drop;

  for (guint i = 0; all != NULL && i < n; i++)
    all[i] = (guint8) (st->read_in >> (keep + 8 * i));
  if (left < 64)
    st->read_in &= ((guint64) 1 << left) - 1;
  st->read_in_length = (gint32) left;
  return drop;
}

static const char *
isal_message (int ret)
{
  switch (ret)
    {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block (ISA-L)";
    case ISAL_INVALID_SYMBOL:
      return "invalid code (ISA-L)";
    case ISAL_INVALID_LOOKBACK:
      return "invalid distance too far back";
    default:
      return "inflate failed (ISA-L)";
    }
}

/* Raw deflate data. Updates *ip, *op. */
static FlInflateStatus
body (FlInflate *z, const guint8 *in, gsize in_len, gsize *ip,
      guint8 *out, gsize out_len, gsize *op)
{
  struct inflate_state *st = &z->st;

  for (;;)
    {
      /* isal's counters are 32 bits wide */
      guint32 ai = (guint32) MIN (in_len - *ip, (gsize) G_MAXUINT32);
      guint32 ao = (guint32) MIN (out_len - *op, (gsize) G_MAXUINT32);
      gsize fed, made;
      int ret;

      st->next_in = (guint8 *) in + *ip;
      st->avail_in = ai;
      st->next_out = out + *op;
      st->avail_out = ao;
      ret = isal_inflate (st);
      /* on corrupt data ISA-L may leave avail_in wrapped below zero */
      fed = st->avail_in <= ai ? ai - st->avail_in : ai;
      made = ao - st->avail_out;
      *ip += fed;
      *op += made;
      z->total_out += made;

      if (ret < 0)
        {
          z->result = FL_INFLATE_BAD_DATA;
          z->msg = isal_message (ret);
          z->phase = PH_DRAIN;
          return FL_INFLATE_OK;
        }
      if (st->block_state == ISAL_BLOCK_FINISH)
        {
          /* Read-ahead: give back what came in this call, keep what the
           * caller consumed before (it is trailer, read first). */
          guint8 ahead[8];
          guint n = (guint) st->read_in_length / 8;
          guint back = give_back (st, fed, ahead);

          *ip -= back;
          memcpy (z->stash, ahead, n - back);
          z->n_stash = n - back;
          z->stash_pos = 0;
          z->phase = PH_TRAILER;
          return FL_INFLATE_OK;
        }
      /* Output full: give back the whole bytes ISA-L holds, so that the
       * input consumed is what zlib would consume, and a stream that ends
       * in the next call has read nothing past its end. Not in the middle
       * of a block header: ISA-L keeps those bytes in tmp_in_buffer. */
      if (st->avail_out == 0 && st->tmp_in_size == 0 &&
          st->block_state != ISAL_BLOCK_HDR)
        *ip -= give_back (st, fed, NULL);
      if (*op == out_len || *ip == in_len || (fed == 0 && made == 0))
        return FL_INFLATE_OK;
    }
}

/* A trailer byte: from the read-ahead stash first, then from in. */
static gboolean
trailer_byte (FlInflate *z, const guint8 *in, gsize in_len, gsize *ip)
{
  if (z->stash_pos < z->n_stash)
    z->tbuf[z->tlen++] = z->stash[z->stash_pos++];
  else if (*ip < in_len)
    z->tbuf[z->tlen++] = in[(*ip)++];
  else
    return FALSE;
  return TRUE;
}

static FlInflateStatus
trailer (FlInflate *z, const guint8 *in, gsize in_len, gsize *ip)
{
  const guint8 *t = z->tbuf;

  while (z->tlen < 4)
    if (!trailer_byte (z, in, in_len, ip))
      return FL_INFLATE_OK;
  if (z->wrap == FL_INFLATE_WRAP_ZLIB)
    {
      guint32 adler = (guint32) t[0] << 24 | (guint32) t[1] << 16 |
                      (guint32) t[2] << 8 | t[3];

      if (adler != z->st.crc)
        return fail (z, FL_INFLATE_BAD_CHECK, "incorrect data check");
    }
  else
    {
      if (z->tlen == 4 &&
          (t[0] | (guint32) t[1] << 8 | (guint32) t[2] << 16 |
           (guint32) t[3] << 24) != z->st.crc)
        return fail (z, FL_INFLATE_BAD_CHECK, "incorrect data check");
      while (z->tlen < 8)
        if (!trailer_byte (z, in, in_len, ip))
          return FL_INFLATE_OK;
      if ((t[4] | (guint32) t[5] << 8 | (guint32) t[6] << 16 |
           (guint32) t[7] << 24) != (guint32) z->total_out)
        return fail (z, FL_INFLATE_BAD_LENGTH, "incorrect length check");
    }
  /* zlib's trailer is 4 bytes: a stash longer than that would be bytes
   * after the stream that the caller already consumed. body() keeps the
   * bit buffer below 8 bits whenever it returns with the output full, and
   * with input left it decodes on, so this cannot be. */
  g_warn_if_fail (z->stash_pos == z->n_stash);
  return fail (z, FL_INFLATE_STREAM_END, "stream end");
}

FlInflateStatus
fl_inflate_run (FlInflate *z, const guint8 *in, gsize in_len, gsize *in_used,
                guint8 *out, gsize out_len, gsize *out_made)
{
  static const guint8 empty[1];
  gsize ip = 0, op = 0;
  FlInflateStatus st = FL_INFLATE_OK;

  if (in == NULL)
    in = empty;

  for (;;)
    {
      Phase before = z->phase;

      switch (z->phase)
        {
        case PH_HEADER:
          st = z->wrap == FL_INFLATE_WRAP_ZLIB ? zlib_header (z, in, in_len, &ip)
                                               : gzip_header (z, in, in_len, &ip);
          break;
        case PH_BODY:
          st = body (z, in, in_len, &ip, out, out_len, &op);
          break;
        case PH_DRAIN:
          {
            struct inflate_state *s = &z->st;
            gsize n = MIN ((gsize) (s->tmp_out_valid - s->tmp_out_processed),
                           out_len - op);

            if (s->tmp_out_valid > s->tmp_out_processed && n > 0)
              {
                memcpy (out + op, s->tmp_out_buffer + s->tmp_out_processed, n);
                s->tmp_out_processed += (gint32) n;
                op += n;
                z->total_out += n;
              }
            if (s->tmp_out_valid > s->tmp_out_processed)
              st = FL_INFLATE_OK;  /* more next call, then the error */
            else
              {
                z->phase = PH_DONE;
                st = z->result;
              }
            break;
          }
        case PH_TRAILER:
          st = trailer (z, in, in_len, &ip);
          break;
        case PH_DONE:
          st = z->result;
          break;
        }
      if (st != FL_INFLATE_OK || z->phase == before ||
          z->phase == PH_DONE)
        break;
    }
  *in_used = ip;
  *out_made = op;
  return st;
}

guint64
fl_inflate_get_total_out (const FlInflate *z)
{
  return z->total_out;
}

const char *
fl_inflate_get_message (const FlInflate *z)
{
  return z->msg;
}
#endif

/* SPDX-License-Identifier: MIT */
/*
 * gzip.c: the gzip wrapper (RFC 1952). It decodes the inner stream and the
 * core re-probes the decoded bytes, so gzip inside gzip and any format
 * inside gzip work without this plugin knowing about them.
 *
 * Decisions (documented in docs/robustness.md as well):
 *  - Every member of a multi-member file is decoded (`cat a.gz b.gz`), as
 *    gzip(1) does.
 *  - Zero bytes after the last member (tape/block padding) are ignored, as
 *    gzip(1) does; any other byte after a member that is not the start of a
 *    new member ("1f 8b") is FL_ERROR_CORRUPT ("trailing garbage").
 *  - Errors are raised only after every byte decoded before them has been
 *    returned: a damaged trailer (CRC or ISIZE) gives all the data and then
 *    FL_ERROR_CORRUPT; a stream cut short gives every decodable byte and
 *    then FL_ERROR_TRUNCATED ("gzip stream ends early"). The format plugin
 *    above thus returns every complete flow before the error.
 *  - Constant memory: output goes straight into the caller's buffer (ISA-L
 *    stages at most 64 KiB of its own) and input is peeked from the inner
 *    stream in GZ_CHUNK pieces, so a gzip bomb streams like any other file.
 *  - The inflater is plugins/common/fl-inflate.c: ISA-L where the build has
 *    it, else zlib, with the same outcome at the same offsets.
 */
#include <flowread/flowread-plugin.h>

#include "fl-inflate.h"

/* Compressed bytes asked of the inner stream at a time: big enough that the
 * per-call overhead vanishes, small enough to stay in cache. */
#define GZ_CHUNK (128 * 1024)

typedef enum {
  GZ_IN_MEMBER,  /* inflating a member */
  GZ_BETWEEN,    /* a member ended: another one, padding or EOF follows */
  GZ_PADDING,    /* zero bytes after the last member */
  GZ_DONE,       /* clean end: read() returns 0 */
  GZ_FAILED,     /* the error was reported: read() keeps failing */
} GzState;

typedef struct {
  FlStream *inner;     /* not owned: the core owns the chain */
  FlInflate *z;        /* ISA-L or zlib (fl-inflate.h) */
  GzState   state;
  guint     member;    /* 1-based number of the member being decoded */
  GError   *pending;   /* an error to raise once the bytes before it are out */
} GzStream;

static int
gz_probe (FlProbe *probe)
{
  gsize avail = 0;
  const guint8 *p = fl_probe_peek (probe, 4, &avail);

  if (p == NULL || avail < 4)
    return FL_PROBE_NONE;
  if (p[0] != 0x1f || p[1] != 0x8b)
    return FL_PROBE_NONE;
  if (p[2] != 8)
    {
      fl_probe_set_reason (probe, "gzip magic but compression method %u "
                           "(only 8, deflate, exists)", p[2]);
      return FL_PROBE_NONE;
    }
  /* FLG bits 5-7 are reserved and must be zero (RFC 1952 2.3.1): a file
   * with them set is not gzip, and zlib would refuse it anyway. */
  if ((p[3] & 0xe0) != 0)
    {
      fl_probe_set_reason (probe, "gzip magic but reserved flag bits set");
      return FL_PROBE_NONE;
    }
  return FL_PROBE_CERTAIN;
}

/* Offset in the compressed stream of the next byte inflate would read. */
static guint64
gz_offset (GzStream *gz)
{
  return fl_stream_tell (gz->inner);
}

static void
gz_set_inflate_error (GzStream *gz, FlInflateStatus ret, GError **error)
{
  guint64 off = gz_offset (gz);
  const char *msg = fl_inflate_get_message (gz->z);

  if (ret == FL_INFLATE_NO_MEMORY)
    {
      fl_set_error (error, FL_ERROR_LIMIT, off,
                    "gzip member %u: inflate ran out of memory", gz->member);
      return;
    }
  /* The trailer field that failed is the 4 bytes just read. */
  if (ret == FL_INFLATE_BAD_CHECK)
    fl_set_error (error, FL_ERROR_CORRUPT, off >= 4 ? off - 4 : off,
                  "gzip member %u: CRC mismatch in the trailer (CRC32 of the "
                  "decompressed data differs): the data is damaged",
                  gz->member);
  else if (ret == FL_INFLATE_BAD_LENGTH)
    fl_set_error (error, FL_ERROR_CORRUPT, off >= 4 ? off - 4 : off,
                  "gzip member %u: length mismatch in the trailer (ISIZE "
                  "differs from the decompressed size): the data is damaged",
                  gz->member);
  else
    fl_set_error (error, FL_ERROR_CORRUPT, off,
                  "gzip member %u: bad compressed data (%s)", gz->member,
                  msg);
}

/* Decides what follows a member. Returns FALSE with *error set on a read
 * error or garbage; otherwise updates gz->state. */
static gboolean
gz_after_member (GzStream *gz, GError **error)
{
  gsize avail = 0;
  const guint8 *p = fl_stream_peek (gz->inner, 2, &avail, error);

  if (p == NULL)
    return FALSE;
  if (avail == 0)
    {
      gz->state = GZ_DONE;
      return TRUE;
    }
  if (p[0] == 0)
    {
      gz->state = GZ_PADDING;
      return TRUE;
    }
  if (p[0] == 0x1f && (avail < 2 || p[1] == 0x8b))
    {
      /* A new member (a lone 0x1f at EOF is a member cut short: inflate
       * will say so as a truncation). */
      fl_inflate_reset (gz->z);
      gz->member++;
      gz->state = GZ_IN_MEMBER;
      return TRUE;
    }
  fl_set_error (error, FL_ERROR_CORRUPT, gz_offset (gz),
                "trailing garbage after gzip member %u (byte 0x%02x is "
                "neither a new member nor zero padding)", gz->member, p[0]);
  return FALSE;
}

/* Skips zero padding in chunks; garbage after it is an error. */
static gboolean
gz_skip_padding (GzStream *gz, GError **error)
{
  for (;;)
    {
      gsize avail = 0, i;
      const guint8 *p = fl_stream_peek (gz->inner, GZ_CHUNK, &avail, error);

      if (p == NULL)
        return FALSE;
      if (avail == 0)
        {
          gz->state = GZ_DONE;
          return TRUE;
        }
      for (i = 0; i < avail && p[i] == 0; i++)
        ;
      fl_stream_consume (gz->inner, i);
      if (i < avail)
        {
          fl_set_error (error, FL_ERROR_CORRUPT, gz_offset (gz),
                        "trailing garbage after the zero padding that "
                        "follows gzip member %u", gz->member);
          return FALSE;
        }
    }
}

/* Inflates into buf[*done..count). Returns FALSE with *error set when the
 * member cannot go on; bytes already in buf stay valid. */
static gboolean
gz_inflate_some (GzStream *gz, guint8 *buf, gsize count, gsize *done,
                 GError **error)
{
  while (*done < count && gz->state == GZ_IN_MEMBER)
    {
      gsize avail = 0, used, made, room;
      const guint8 *p = fl_stream_peek (gz->inner, GZ_CHUNK, &avail, error);
      FlInflateStatus ret;

      if (p == NULL)
        return FALSE;

      /* Called at the end of the input too: ISA-L may still hold decoded
       * bytes that did not fit the last call's buffer. */
      room = count - *done;
      ret = fl_inflate_run (gz->z, p, avail, &used, buf + *done, room, &made);
      fl_stream_consume (gz->inner, used);
      *done += made;

      switch (ret)
        {
        case FL_INFLATE_STREAM_END:
          gz->state = GZ_BETWEEN;
          break;
        case FL_INFLATE_OK:
          /* No progress possible. With input and output room that cannot
           * happen; be safe rather than loop. */
          if (used == 0 && made == 0 && avail == 0)
            {
              fl_set_error (error, FL_ERROR_TRUNCATED, gz_offset (gz),
                            "gzip stream ends early (inside member %u, after "
                            "%" G_GUINT64_FORMAT " decompressed bytes of it)",
                            gz->member, fl_inflate_get_total_out (gz->z));
              return FALSE;
            }
          if (used == 0 && made == 0)
            {
              fl_set_error (error, FL_ERROR_CORRUPT, gz_offset (gz),
                            "gzip member %u: decoder made no progress",
                            gz->member);
              return FALSE;
            }
          break;
        default:
          gz_set_inflate_error (gz, ret, error);
          return FALSE;
        }
    }
  return TRUE;
}

static gssize
gz_read (gpointer data, void *buf, gsize count, GError **error)
{
  GzStream *gz = data;
  GError *local = NULL;
  gsize done = 0;

  if (gz->state == GZ_FAILED)
    {
      fl_set_error (error, FL_ERROR_IO, G_MAXUINT64,
                    "gzip stream already failed");
      return -1;
    }
  if (gz->pending != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&gz->pending));
      gz->state = GZ_FAILED;
      return -1;
    }

  while (done < count)
    {
      gboolean ok = TRUE;

      switch (gz->state)
        {
        case GZ_IN_MEMBER:
          ok = gz_inflate_some (gz, buf, count, &done, &local);
          break;
        case GZ_BETWEEN:
          ok = gz_after_member (gz, &local);
          break;
        case GZ_PADDING:
          ok = gz_skip_padding (gz, &local);
          break;
        case GZ_DONE:
        case GZ_FAILED:
          return (gssize) done;
        }
      if (!ok)
        {
          /* Hand out what was decoded first; the error comes next call. */
          if (done > 0)
            {
              gz->pending = local;
              return (gssize) done;
            }
          g_propagate_error (error, local);
          gz->state = GZ_FAILED;
          return -1;
        }
    }
  return (gssize) done;
}

static void
gz_close (gpointer data)
{
  GzStream *gz = data;

  fl_inflate_free (gz->z);
  g_clear_error (&gz->pending);
  g_free (gz);
}

static const FlStreamFuncs gz_stream_funcs = {
  .struct_size = sizeof (FlStreamFuncs),
  .read = gz_read,
  .close = gz_close,
};

static FlStream *
gz_wrap (FlStream *inner, const FlOptions *options, GError **error)
{
  GzStream *gz = g_new0 (GzStream, 1);
  g_autofree char *name = NULL;

  gz->inner = inner;
  gz->member = 1;
  gz->state = GZ_IN_MEMBER;
  gz->z = fl_inflate_new (FL_INFLATE_WRAP_GZIP);
  if (gz->z == NULL)
    {
      fl_set_error (error, FL_ERROR_LIMIT, G_MAXUINT64,
                    "cannot start the gzip decoder: out of memory");
      g_free (gz);
      return NULL;
    }
  name = g_strdup_printf ("%s (gzip)", fl_stream_get_name (inner));
  return fl_stream_new_custom (&gz_stream_funcs, gz, name);
}

static const FlReaderClass gz_reader_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "gzip",
  .description = "gzip-compressed input, all members (RFC 1952; "
                 "inflate: " FL_INFLATE_BACKEND ")",
  .kind = FL_READER_WRAPPER,
  .probe_class = FL_PROBE_MAGIC,
  .priority = 0,
  .probe = gz_probe,
  .wrap = gz_wrap,
};

/* the version says which inflater: "1.0+isal" or "1.0+zlib" */
FL_PLUGIN_DEFINE ("gzip", "1.0+" FL_INFLATE_TAG, &gz_reader_class);

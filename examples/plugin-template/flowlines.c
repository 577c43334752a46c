/* SPDX-License-Identifier: MIT */
/*
 * flowlines: a toy flow format, as a template for third-party flowread
 * plugins. It is built against the *installed* headers only
 * (<flowread/flowread-plugin.h>), never against the core's internals.
 *
 * The format:
 *
 *   #flowlines 1
 *   first_ms last_ms srcaddr dstaddr srcport dstport prot pkts bytes
 *   ...
 *
 * The first line is the magic and version. Every later line is either
 * blank, a comment starting with '#', or one flow: nine fields separated
 * by spaces or tabs. Times are milliseconds since 1970 (UTC); addresses are
 * IPv4 or IPv6 text. Every line ends in "\n" ("\r\n" is accepted): a last
 * line without one was cut while being written, so it is reported as
 * FL_ERROR_TRUNCATED after every complete flow.
 *
 * Points a plugin author should copy:
 *  - probe() only peeks, keeps no state and claims 100 only for the
 *    verified magic line (the magic probe class).
 *  - open() checks the header again: with `flowread --format=flowlines`
 *    the probe is skipped, so open() may see anything.
 *  - next() works on the stream's peek buffer: no read() per line, no
 *    allocation per flow, every length bounded (FLOWLINES_LINE_MAX).
 *  - errors go through fl_set_error() with the byte offset of the bad
 *    field; the core prefixes the file name and plugin chain.
 */
#include <string.h>

#include <flowread/flowread-plugin.h>

#define FLOWLINES_MAGIC     "#flowlines "
#define FLOWLINES_VERSION   1
/* Longest line we accept, "\n" included. Nine fields fit in far less; the
 * cap keeps a binary file or a runaway line from growing the buffer. */
#define FLOWLINES_LINE_MAX  1024
/* Longest address text: an IPv6 address with an IPv4 tail is 45 bytes. */
#define FLOWLINES_ADDR_MAX  63
/* Milliseconds that still fit in gint64 nanoseconds (year 2262). */
#define FLOWLINES_MS_MAX    (G_MAXINT64 / 1000000)

typedef struct {
  FlStream *stream;
  guint64   line_no;   /* number of the last line read, 1-based */
  gboolean  crlf;      /* the header line ended in "\r\n" (for info) */
  FlStatus  state;     /* OK until END or ERROR sticks */
} FlFlowlines;

/* ------------------------------------------------------------------ header */

typedef enum {
  HEADER_OK,
  HEADER_SHORT,        /* fewer bytes than a header line (EOF) */
  HEADER_NOT_MAGIC,
  HEADER_BAD_VERSION,
} HeaderCheck;

/* Checks the first line in p[0, avail). *line_len gets its length with the
 * terminator, *version the version number when the magic matched. */
static HeaderCheck
check_header (const guint8 *p, gsize avail, gsize *line_len,
              guint64 *version, gboolean *crlf)
{
  const gsize mlen = sizeof FLOWLINES_MAGIC - 1;
  const guint8 *nl;
  gsize end, i;
  guint64 v = 0;

  if (avail < mlen)
    return memcmp (p, FLOWLINES_MAGIC, avail) == 0 ? HEADER_SHORT
                                                   : HEADER_NOT_MAGIC;
  if (memcmp (p, FLOWLINES_MAGIC, mlen) != 0)
    return HEADER_NOT_MAGIC;
  nl = memchr (p, '\n', MIN (avail, (gsize) FLOWLINES_LINE_MAX));
  if (nl == NULL)
    return avail < FLOWLINES_LINE_MAX ? HEADER_SHORT : HEADER_NOT_MAGIC;
  end = (gsize) (nl - p);
  *line_len = end + 1;
  *crlf = end > 0 && p[end - 1] == '\r';
  if (*crlf)
    end--;
  /* The version: decimal digits up to the end of the line, nothing else. */
  if (end == mlen)
    return HEADER_NOT_MAGIC;
  for (i = mlen; i < end; i++)
    {
      if (p[i] < '0' || p[i] > '9' || v > 1000000)
        return HEADER_NOT_MAGIC;
      v = v * 10 + (guint64) (p[i] - '0');
    }
  *version = v;
  return v == FLOWLINES_VERSION ? HEADER_OK : HEADER_BAD_VERSION;
}

/* ------------------------------------------------------------------ probe */

static int
flowlines_probe (FlProbe *probe)
{
  gsize avail, line_len = 0;
  guint64 version = 0;
  gboolean crlf;
  const guint8 *p = fl_probe_peek (probe, FLOWLINES_LINE_MAX, &avail);

  if (p == NULL || avail == 0)
    return FL_PROBE_NONE;
  switch (check_header (p, avail, &line_len, &version, &crlf))
    {
    case HEADER_OK:
      /* Magic and version verified: certain. The file name is never a
       * reason to claim anything. */
      return FL_PROBE_CERTAIN;
    case HEADER_BAD_VERSION:
      fl_probe_set_reason (probe, "flowlines version %" G_GUINT64_FORMAT
                           " (this plugin reads version %d)", version,
                           FLOWLINES_VERSION);
      return FL_PROBE_NONE;
    case HEADER_SHORT:
      fl_probe_set_reason (probe, "input ends inside the header line");
      return FL_PROBE_NONE;
    case HEADER_NOT_MAGIC:
    default:
      return FL_PROBE_NONE;
    }
}

/* ------------------------------------------------------------------ reader */

static gpointer
flowlines_open (FlStream *stream, const FlOptions *options, GError **error)
{
  gsize avail, line_len = 0;
  guint64 version = 0;
  gboolean crlf = FALSE;
  const guint8 *p;
  FlFlowlines *fl;

  p = fl_stream_peek (stream, FLOWLINES_LINE_MAX, &avail, error);
  if (p == NULL)
    return NULL;
  switch (check_header (p, avail, &line_len, &version, &crlf))
    {
    case HEADER_OK:
      break;
    case HEADER_SHORT:
      if (!fl_stream_failed (stream, error))
        fl_set_error (error, FL_ERROR_TRUNCATED, fl_stream_tell (stream),
                      "input ends inside the \"#flowlines\" header line");
      return NULL;
    case HEADER_BAD_VERSION:
      fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION,
                    fl_stream_tell (stream), "flowlines version %"
                    G_GUINT64_FORMAT ", this plugin reads version %d",
                    version, FLOWLINES_VERSION);
      return NULL;
    case HEADER_NOT_MAGIC:
    default:
      fl_set_error (error, FL_ERROR_CORRUPT, fl_stream_tell (stream),
                    "not a flowlines file: the first line is not "
                    "\"#flowlines %d\"", FLOWLINES_VERSION);
      return NULL;
    }
  fl_stream_consume (stream, line_len);

  fl = g_new0 (FlFlowlines, 1);
  fl->stream = stream; /* the core owns it and keeps it alive */
  fl->line_no = 1;
  fl->crlf = crlf;
  fl->state = FL_STATUS_OK;
  return fl;
}

/* One blank-separated field: [*pos, end) is the rest of the line. Returns
 * FALSE at the end of the line. */
static gboolean
next_field (const char *line, gsize len, gsize *pos, gsize *start,
            gsize *flen)
{
  gsize i = *pos;

  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  if (i == len)
    return FALSE;
  *start = i;
  while (i < len && line[i] != ' ' && line[i] != '\t')
    i++;
  *flen = i - *start;
  *pos = i;
  return TRUE;
}

/* Decimal digits only (no sign, no blanks, no locale), value <= max. */
static gboolean
parse_uint (const char *s, gsize len, guint64 max, guint64 *out)
{
  guint64 v = 0;

  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guint d;

      if (s[i] < '0' || s[i] > '9')
        return FALSE;
      d = (guint) (s[i] - '0');
      if (v > (max - d) / 10)
        return FALSE;
      v = v * 10 + d;
    }
  *out = v;
  return TRUE;
}

static gboolean
parse_addr (const char *s, gsize len, FlAddr *addr)
{
  char buf[FLOWLINES_ADDR_MAX + 1];

  if (len == 0 || len > FLOWLINES_ADDR_MAX)
    return FALSE;
  memcpy (buf, s, len);
  buf[len] = '\0';
  return fl_addr_parse (addr, buf);
}

enum {
  COL_FIRST, COL_LAST, COL_SRCADDR, COL_DSTADDR, COL_SRCPORT, COL_DSTPORT,
  COL_PROT, COL_PKTS, COL_BYTES, N_COLS
};

static const char *const col_names[N_COLS] = {
  "first_ms", "last_ms", "srcaddr", "dstaddr", "srcport", "dstport", "prot",
  "pkts", "bytes",
};

/* Parses one flow line (without its terminator) that starts at byte
 * offset. On failure sets error with the offset of the bad field. */
static gboolean
parse_line (FlFlowlines *fl, const char *line, gsize len, guint64 offset,
            FlFlow *flow, GError **error)
{
  gsize pos = 0, start = 0, flen = 0;
  guint64 v[N_COLS] = { 0 };
  guint col;

  for (col = 0; col < N_COLS; col++)
    {
      gboolean ok;

      if (!next_field (line, len, &pos, &start, &flen))
        {
          fl_set_error (error, FL_ERROR_CORRUPT, offset + len,
                        "line %" G_GUINT64_FORMAT ": %u fields, want %d "
                        "(missing %s)", fl->line_no, col, N_COLS,
                        col_names[col]);
          return FALSE;
        }
      switch (col)
        {
        case COL_SRCADDR:
          ok = parse_addr (line + start, flen, &flow->srcaddr);
          break;
        case COL_DSTADDR:
          ok = parse_addr (line + start, flen, &flow->dstaddr);
          break;
        case COL_FIRST:
        case COL_LAST:
          ok = parse_uint (line + start, flen, FLOWLINES_MS_MAX, &v[col]);
          break;
        case COL_SRCPORT:
        case COL_DSTPORT:
          ok = parse_uint (line + start, flen, G_MAXUINT16, &v[col]);
          break;
        case COL_PROT:
          ok = parse_uint (line + start, flen, G_MAXUINT8, &v[col]);
          break;
        default:
          ok = parse_uint (line + start, flen, G_MAXUINT64, &v[col]);
          break;
        }
      if (!ok)
        {
          fl_set_error (error, FL_ERROR_CORRUPT, offset + start,
                        "line %" G_GUINT64_FORMAT ": bad %s \"%.*s\"",
                        fl->line_no, col_names[col],
                        (int) MIN (flen, (gsize) 40), line + start);
          return FALSE;
        }
    }
  if (next_field (line, len, &pos, &start, &flen))
    {
      fl_set_error (error, FL_ERROR_CORRUPT, offset + start,
                    "line %" G_GUINT64_FORMAT ": more than %d fields",
                    fl->line_no, N_COLS);
      return FALSE;
    }

  /* The flow is reused: set every field we claim present. */
  flow->first = (gint64) v[COL_FIRST] * 1000000;
  flow->last = (gint64) v[COL_LAST] * 1000000;
  flow->srcport = (guint16) v[COL_SRCPORT];
  flow->dstport = (guint16) v[COL_DSTPORT];
  flow->prot = (guint8) v[COL_PROT];
  flow->dPkts = v[COL_PKTS];
  flow->dOctets = v[COL_BYTES];
  flow->present = FL_FIELD_BIT (FL_FIELD_FIRST) | FL_FIELD_BIT (FL_FIELD_LAST)
    | FL_FIELD_BIT (FL_FIELD_SRCADDR) | FL_FIELD_BIT (FL_FIELD_DSTADDR)
    | FL_FIELD_BIT (FL_FIELD_SRCPORT) | FL_FIELD_BIT (FL_FIELD_DSTPORT)
    | FL_FIELD_BIT (FL_FIELD_PROT) | FL_FIELD_BIT (FL_FIELD_DPKTS)
    | FL_FIELD_BIT (FL_FIELD_DOCTETS);
  return TRUE;
}

static FlStatus
flowlines_fail (FlFlowlines *fl)
{
  fl->state = FL_STATUS_ERROR;
  return FL_STATUS_ERROR;
}

static FlStatus
flowlines_next (gpointer handle, FlFlow *flow, GError **error)
{
  FlFlowlines *fl = handle;

  if (fl->state != FL_STATUS_OK)
    return fl->state; /* END and ERROR stick */

  for (;;)
    {
      guint64 offset = fl_stream_tell (fl->stream);
      const guint8 *p, *nl;
      const char *line;
      gsize avail, len;
      gboolean ok;

      /* Peeking one maximal line at a time is cheap: the stream refills
       * its buffer in large reads and only when fewer bytes remain. */
      p = fl_stream_peek (fl->stream, FLOWLINES_LINE_MAX, &avail, error);
      if (p == NULL)
        return flowlines_fail (fl); /* the source failed */
      if (avail == 0)
        {
          fl->state = FL_STATUS_END;
          return FL_STATUS_END;
        }
      nl = memchr (p, '\n', avail);
      if (nl == NULL)
        {
          if (avail >= FLOWLINES_LINE_MAX)
            fl_set_error (error, FL_ERROR_CORRUPT, offset,
                          "line %" G_GUINT64_FORMAT ": longer than %d bytes",
                          fl->line_no + 1, FLOWLINES_LINE_MAX - 1);
          /* A short peek without "\n": the input ends here. If the source
           * failed (read error, a wrapper's CRC error), say that rather
           * than blaming the file. */
          else if (!fl_stream_failed (fl->stream, error))
            fl_set_error (error, FL_ERROR_TRUNCATED, offset,
                          "line %" G_GUINT64_FORMAT ": input ends inside "
                          "a line (%" G_GSIZE_FORMAT " bytes without "
                          "\"\\n\")", fl->line_no + 1, avail);
          return flowlines_fail (fl);
        }

      fl->line_no++;
      line = (const char *) p;
      len = (gsize) (nl - p);
      if (len > 0 && line[len - 1] == '\r')
        len--;
      {
        gsize i = 0;

        /* Blank lines and comments carry no flow. */
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
          i++;
        if (i == len || line[i] == '#')
          {
            fl_stream_consume (fl->stream, (gsize) (nl - p) + 1);
            continue;
          }
      }
      ok = parse_line (fl, line, len, offset, flow, error);
      if (!ok)
        return flowlines_fail (fl);
      fl_stream_consume (fl->stream, (gsize) (nl - p) + 1);
      return FL_STATUS_OK;
    }
}

static void
flowlines_close (gpointer handle)
{
  /* The stream belongs to the core: only our own state is freed. */
  g_free (handle);
}

static void
flowlines_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  FlFlowlines *fl = handle;
  char version[16];

  g_snprintf (version, sizeof version, "%d", FLOWLINES_VERSION);
  func ("flowlines_version", version, user_data);
  func ("line_ending", fl->crlf ? "CRLF" : "LF", user_data);
  func ("columns", "first_ms last_ms srcaddr dstaddr srcport dstport prot "
        "pkts bytes", user_data);
}

/* ------------------------------------------------------------------ entry */

static const FlReaderClass flowlines_reader_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "flowlines",
  .description = "flowlines text (template plugin: \"#flowlines 1\" magic)",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_MAGIC,
  .priority = 0,
  .probe = flowlines_probe,
  .open = flowlines_open,
  .next = flowlines_next,
  .close = flowlines_close,
  .info = flowlines_info,
};

FL_PLUGIN_DEFINE ("flowlines", "1.0.0", &flowlines_reader_class)

/* SPDX-License-Identifier: MIT */
/*
 * text: flows from CSV/TSV text with a header row.
 *
 * The header picks the column set (see core/fl-csv.h): flow-export -f2 (any
 * export version, "#:" header), flowd-reader -c, nfdump 1.7 -o csv and
 * flowread's own -o csv. Columns may be separated by commas, tabs or runs
 * of blanks (guessed from the header row).
 *
 * Decisions worth knowing:
 *  - Blank lines are skipped. A later line starting with '#' is a new header
 *    when it is a known column set (concatenated flow-export outputs), else a
 *    comment and skipped. A line equal to the header is skipped too.
 *  - nfdump's "Summary" block ends the data; after it only a new header
 *    starts data again, other lines (the summary itself) are ignored.
 *  - A last line without "\n" is accepted when it parses completely (a
 *    writer that omits the final newline is common). When it does not
 *    parse, the input was cut inside a record: FL_ERROR_TRUNCATED, after
 *    every earlier flow. A row that does not parse anywhere else is
 *    FL_ERROR_CORRUPT naming the line, the column and the byte offset.
 *  - Lines longer than FL_LINE_MAX (1 MiB) give FL_ERROR_LIMIT.
 */
#include <string.h>

#include <flowread/flowread-plugin.h>
#include "fl-csv.h"

typedef struct {
  FlStream     *stream;
  FlLineReader *lr;
  FlCsvParser  *parser;
  char         *header;      /* current header row, for --info and repeats */
  gsize         header_len;
  guint64       line_no;     /* 1-based number of the last line read */
  gboolean      after_end;   /* nfdump "Summary" seen */
} FlText;

static gboolean
line_is_blank (const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (s[i] != ' ' && s[i] != '\t')
      return FALSE;
  return TRUE;
}

/* Text, not binary: no NUL and no control bytes other than \t \r \n. */
static gboolean
looks_like_text (const guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') ||
        p[i] == 0x7f)
      return FALSE;
  return TRUE;
}

static const char *
dialect_name (FlCsvDialect d)
{
  switch (d)
    {
    case FL_CSV_DIALECT_FLOW_EXPORT: return "flow-export";
    case FL_CSV_DIALECT_NFDUMP:      return "nfdump";
    case FL_CSV_DIALECT_FLOWREAD:    return "flowread";
    default:                         return "unknown";
    }
}

/* ------------------------------------------------------------------ probe */

/* How many rows after the header the probe checks. */
#define TEXT_PROBE_ROWS 16

static int
text_probe (FlProbe *probe)
{
  gsize avail, pos = 0, hlen;
  const guint8 *p = fl_probe_peek (probe, FL_PROBE_PEEK_MAX, &avail);
  gboolean at_eof = avail < FL_PROBE_PEEK_MAX;
  const char *s;
  const guint8 *nl;
  g_autoptr (GError) error = NULL;
  FlCsvParser *parser;
  guint good = 0, bad = 0;

  if (p == NULL || avail == 0)
    return FL_PROBE_NONE;
  /* Binary formats (flow-tools, flowd, nfdump, gzip) have control bytes
   * in their first bytes: bail out quickly. */
  if (!looks_like_text (p, MIN (avail, 256)))
    {
      fl_probe_set_reason (probe, "binary data");
      return FL_PROBE_NONE;
    }

  /* The header: the first non-blank line. */
  for (;;)
    {
      s = (const char *) p + pos;
      nl = memchr (p + pos, '\n', avail - pos);
      if (nl == NULL && !at_eof)
        {
          fl_probe_set_reason (probe, "no header line in the first %u bytes",
                               (unsigned) FL_PROBE_PEEK_MAX);
          return FL_PROBE_NONE;
        }
      hlen = (nl != NULL ? (gsize) (nl - p) : avail) - pos;
      if (!looks_like_text ((const guint8 *) s, hlen))
        {
          fl_probe_set_reason (probe, "binary data");
          return FL_PROBE_NONE;
        }
      pos += hlen + (nl != NULL);
      if (hlen > 0 && s[hlen - 1] == '\r')
        hlen--;
      if (!line_is_blank (s, hlen))
        break;
      if (pos >= avail)
        return FL_PROBE_NONE;
    }

  parser = fl_csv_parser_new (s, hlen, 0, &error);
  if (parser == NULL)
    {
      fl_probe_set_reason (probe, "no known header row: %s", error->message);
      return FL_PROBE_NONE;
    }

  /* Rows: complete lines only (or the last one at EOF). */
  while (pos < avail && good + bad < TEXT_PROBE_ROWS)
    {
      FlFlow flow;
      gsize len;
      FlStatus st;

      s = (const char *) p + pos;
      nl = memchr (p + pos, '\n', avail - pos);
      if (nl == NULL && !at_eof)
        break;
      len = (nl != NULL ? (gsize) (nl - p) : avail) - pos;
      pos += len + (nl != NULL);
      if (len > 0 && s[len - 1] == '\r')
        len--;
      if (line_is_blank (s, len) || s[0] == '#')
        continue;
      if (!looks_like_text ((const guint8 *) s, len))
        {
          bad++;
          break;
        }
      memset (&flow, 0, sizeof flow);
      flow.struct_size = sizeof flow;
      st = fl_csv_parser_parse (parser, s, len, pos, &flow, NULL);
      if (st == FL_STATUS_OK)
        good++;
      else if (st == FL_STATUS_END)
        break;
      else
        {
          bad++;
          break;
        }
    }
  fl_csv_parser_free (parser);

  if (bad > 0)
    {
      fl_probe_set_reason (probe, "known header, but a row does not parse");
      return good > 0 ? FL_PROBE_POSSIBLE - 20 : FL_PROBE_POSSIBLE - 30;
    }
  if (good > 0)
    return FL_PROBE_LIKELY; /* a heuristic never claims more */
  fl_probe_set_reason (probe, "known header, no rows yet");
  return FL_PROBE_POSSIBLE;
}

/* ------------------------------------------------------------------ reader */

static void text_close (gpointer handle);

static gboolean
text_set_header (FlText *t, const char *line, gsize len, guint64 offset,
                 GError **error)
{
  GError *local = NULL;
  FlCsvParser *parser = fl_csv_parser_new (line, len, 0, &local);

  if (parser == NULL)
    {
      if (error != NULL)
        fl_set_error (error, local->code, offset, "line %" G_GUINT64_FORMAT
                      ": %s", t->line_no, local->message);
      g_error_free (local);
      return FALSE;
    }
  fl_csv_parser_free (t->parser);
  t->parser = parser;
  g_free (t->header);
  t->header = g_strndup (line, len);
  t->header_len = len;
  t->after_end = FALSE;
  return TRUE;
}

static gpointer
text_open (FlStream *stream, const FlOptions *options, GError **error)
{
  FlText *t = g_new0 (FlText, 1);

  t->stream = stream;
  t->lr = fl_line_reader_new (stream, FL_LINE_MAX);
  for (;;)
    {
      gsize len;
      guint64 offset;
      GError *local = NULL;
      const char *line = fl_line_reader_next (t->lr, &len, &offset, &local);

      if (line == NULL)
        {
          if (local != NULL)
            g_propagate_error (error, local);
          else
            fl_set_error (error, FL_ERROR_UNKNOWN_FORMAT,
                          fl_stream_tell (stream),
                          "no header row (empty input)");
          text_close (t);
          return NULL;
        }
      t->line_no++;
      if (line_is_blank (line, len))
        continue;
      if (!text_set_header (t, line, len, offset, error))
        {
          text_close (t);
          return NULL;
        }
      return t;
    }
}

static FlStatus
text_row_failed (FlText *t, const char *line, gsize len, guint64 offset,
                 GError *local, GError **error)
{
  guint64 line_no = t->line_no;
  GError *more = NULL;

  (void) line;
  /* A last line cut without "\n" is a truncated record, not a damaged
   * one: look whether this line ended the input without a newline. */
  if (fl_line_reader_next (t->lr, NULL, NULL, &more) == NULL && more == NULL &&
      fl_stream_tell (t->stream) == offset + len)
    {
      fl_set_error (error, FL_ERROR_TRUNCATED, offset,
                    "line %" G_GUINT64_FORMAT ": last line is cut short "
                    "(no newline): %s", line_no, local->message);
      g_error_free (local);
      return FL_STATUS_ERROR;
    }
  g_clear_error (&more);
  /* local already says "byte N: column C (name): ..."; add the line. */
  if (error != NULL)
    {
      *error = local;
      g_prefix_error (error, "line %" G_GUINT64_FORMAT ": ", line_no);
    }
  else
    g_error_free (local);
  return FL_STATUS_ERROR;
}

static FlStatus
text_next (gpointer handle, FlFlow *flow, GError **error)
{
  FlText *t = handle;

  for (;;)
    {
      gsize len;
      guint64 offset;
      GError *local = NULL;
      const char *line = fl_line_reader_next (t->lr, &len, &offset, &local);
      FlStatus st;

      if (line == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, local);
              return FL_STATUS_ERROR;
            }
          return FL_STATUS_END;
        }
      t->line_no++;
      if (line_is_blank (line, len))
        continue;
      if (line[0] == '#' ||
          (len == t->header_len && memcmp (line, t->header, len) == 0))
        {
          /* A repeated or new header (cat of two exports), or a comment. */
          text_set_header (t, line, len, offset, NULL);
          continue;
        }
      if (t->after_end)
        {
          /* After nfdump's Summary: a new header (no '#') restarts. */
          text_set_header (t, line, len, offset, NULL);
          continue;
        }
      st = fl_csv_parser_parse (t->parser, line, len, offset, flow, &local);
      if (st == FL_STATUS_OK)
        return FL_STATUS_OK;
      if (st == FL_STATUS_END)
        {
          t->after_end = TRUE;
          continue;
        }
      return text_row_failed (t, line, len, offset, local, error);
    }
}

static void
text_close (gpointer handle)
{
  FlText *t = handle;

  if (t == NULL)
    return;
  fl_line_reader_free (t->lr);
  fl_csv_parser_free (t->parser);
  g_free (t->header);
  g_free (t);
}

static void
text_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  FlText *t = handle;

  func ("dialect", dialect_name (fl_csv_parser_get_dialect (t->parser)),
        user_data);
  func ("header", t->header, user_data);
}

static const FlReaderClass text_reader_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "text",
  .description = "CSV/TSV flows with a header row (flow-export -f2, "
                 "flowd-reader -c, nfdump -o csv, flowread -o csv)",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_HEURISTIC,
  .priority = 0,
  .probe = text_probe,
  .open = text_open,
  .next = text_next,
  .close = text_close,
  .info = text_info,
};

FL_PLUGIN_DEFINE ("text", "1.0", &text_reader_class)

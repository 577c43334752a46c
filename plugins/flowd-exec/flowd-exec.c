/* SPDX-License-Identifier: MIT */
/*
 * flowd-exec: reads flowd logs by running `flowd-reader -c` (flowd's own
 * reader) and parsing its CSV.
 *
 * flowd-reader wants a file name, so the input is given as /dev/stdin, a
 * pipe fed from the core's stream (a gzip-wrapped log or standard input
 * work too). A legacy store v2 log (16-byte header, magic 01 2C F0 47) needs
 * -L, which flowd-reader does not work out itself: we detect it from the
 * first bytes. The CSV is flowd-reader's, read as written: it prints an
 * absent number as 0 and an absent address as "(null)" (then absent here);
 * the native "flowd" reader knows the real field set and wins a tie.
 */
#include <string.h>

#include "fl-exec.h"

static const FlExecProgram flowd_reader = {
  "flowd-reader", "FLOWREAD_FLOWD_READER", "flowd",
  "not packaged in Debian 12: build https://github.com/djmdjm/flowd, "
  "or OpenBSD port net/flowd, FreeBSD port net-mgmt/flowd",
};

#define FLOWD_V2_MAGIC 0x012CF047u

/* Body bytes a v3 record needs for its field bits; -1 for a bit that has
 * no defined size (19-29, 31). */
static int
flowd_v3_body_size (guint32 fields)
{
  static const guint8 sizes[19] = { 4, 8, 4, 4, 16, 4, 16, 4, 16, 4, 16,
                                    4, 8, 8, 8, 16, 8, 12, 12 };
  int size = 0;

  for (guint bit = 0; bit < 32; bit++)
    {
      if (!(fields & (1u << bit)))
        continue;
      if (bit < 19)
        size += sizes[bit];
      else if (bit == 30)
        size += 4;
      else
        return -1;
    }
  return size;
}

/* A plausible v3 record header at p (8 bytes): major 3, minor 0 (a newer
 * minor may carry unknown bits), fields fitting into len_words. */
static gboolean
flowd_v3_plausible (const guint8 *p)
{
  guint32 fields = fl_read_u32_be (p + 4);
  int need;

  if ((p[0] >> 5) != 3)
    return FALSE;
  if ((p[0] & 0x1f) != 0)
    return TRUE;
  need = flowd_v3_body_size (fields);
  return need >= 0 && need <= p[1] * 4;
}

/* Simpler than the native reader's probe: a v2 header, or one or two
 * plausible v3 record headers. Heuristic: never 100, and no more than the
 * native reader claims. */
static int
flowd_exec_probe (FlProbe *probe)
{
  gsize avail = 0;
  const guint8 *p = fl_probe_peek (probe, 2048, &avail);
  int score;

  if (p == NULL || avail < 8)
    return FL_PROBE_NONE;
  if (fl_read_u32_be (p) == FLOWD_V2_MAGIC)
    score = fl_read_u32_be (p + 4) == 2 ? 70 : FL_PROBE_NONE;
  else if (flowd_v3_plausible (p))
    {
      gsize next = 8 + (gsize) p[1] * 4;

      if (next == avail && fl_probe_get_length (probe) == (gint64) avail)
        score = 60; /* exactly one record, then EOF */
      else if (next + 8 <= avail)
        score = flowd_v3_plausible (p + next) ? 60 : FL_PROBE_NONE;
      else
        score = 40;
    }
  else
    score = FL_PROBE_NONE;
  if (score == FL_PROBE_NONE)
    return score;

  if (!fl_exec_probe_program (probe, &flowd_reader))
    return FL_PROBE_NONE;
  return score;
}

static gpointer
flowd_exec_open (FlStream *stream, const FlOptions *options, GError **error)
{
  g_autofree char *program = fl_exec_open_program (&flowd_reader, error);
  gboolean legacy = FALSE;
  const guint8 *p;
  gsize avail = 0;

  if (program == NULL)
    return NULL;
  p = fl_stream_peek (stream, 8, &avail, error);
  if (p == NULL)
    return NULL;
  legacy = avail >= 4 && fl_read_u32_be (p) == FLOWD_V2_MAGIC;
  {
    const char *argv_v3[] = { program, "-c", "/dev/stdin", NULL };
    const char *argv_v2[] = { program, "-L", "-c", "/dev/stdin", NULL };

    return fl_exec_csv_open (stream, legacy ? argv_v2 : argv_v3, error);
  }
}

static const FlReaderClass flowd_exec_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "flowd-exec",
  .description = "flowd logs (store v3, legacy v2), read by running flowd-reader -c",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_HEURISTIC,
  .priority = 0, /* the native "flowd" reader (10) wins a tie */
  .probe = flowd_exec_probe,
  .open = flowd_exec_open,
  .next = fl_exec_csv_next,
  .close = fl_exec_csv_close,
  .info = fl_exec_csv_info,
  .family = "flowd",
  .flags = FL_READER_EXEC,
};

FL_PLUGIN_DEFINE ("flowd-exec", "1.0", &flowd_exec_class);

/* SPDX-License-Identifier: MIT */
/*
 * flowtools-exec: reads flow-tools files by running `flow-export -f2`
 * (flow-tools' own reader) and parsing its CSV.
 *
 * The input reaches flow-export on its stdin through a pipe fed from the
 * core's stream, so a gzip-wrapped file or standard input work too.
 * flow-export prints a "#:" header naming the columns of the file's export
 * version; fl_csv_parser (core/fl-csv.h) maps them, including v6's second
 * "nexthop" and v8.6-8.8's swapped marked_tos/extra_pkts. The values are
 * flow-export's, bugs included (e.g. big-endian v1005 and v8.12 files):
 * prefer the native "flowtools" reader, which this one yields to (priority).
 */
#include <string.h>

#include "fl-csv.h"
#include "fl-exec.h"

#define PROGRAM_NAME "flow-export"
#define PROGRAM_ENV "FLOWREAD_FLOW_EXPORT"
#define PROGRAM_HINT "install flow-tools (Debian package flow-tools, BSD port " \
                     "net-mgmt/flow-tools) or set " PROGRAM_ENV

typedef struct {
  FlChild     *child;
  FlCsvParser *parser;
  char        *program;
  guint64      line_no;
  FlStatus     status; /* sticky END / ERROR */
} CsvExec;

static int
flowtools_exec_probe (FlProbe *probe)
{
  g_autofree char *program = NULL;
  gsize avail = 0;
  const guint8 *p = fl_probe_peek (probe, 4, &avail);

  /* flow-tools header: magic CF 10, byte order 1 (little) or 2 (big),
   * stream version 1 or 3. */
  if (p == NULL || avail < 4 || p[0] != 0xCF || p[1] != 0x10)
    return FL_PROBE_NONE;
  if ((p[2] != 1 && p[2] != 2) || (p[3] != 1 && p[3] != 3))
    return FL_PROBE_NONE;
  program = fl_exec_find_program (PROGRAM_ENV, PROGRAM_NAME);
  if (program == NULL)
    {
      fl_probe_set_reason (probe, PROGRAM_NAME " not found (install flow-tools)");
      return FL_PROBE_NONE;
    }
  /* Only four bytes checked: likely, not certain. */
  return FL_PROBE_LIKELY;
}

static void
csv_exec_close (gpointer handle)
{
  CsvExec *ce = handle;

  if (ce == NULL)
    return;
  fl_child_free (ce->child);
  if (ce->parser != NULL)
    fl_csv_parser_free (ce->parser);
  g_free (ce->program);
  g_free (ce);
}

/* The end of the program's output: its exit status decides. */
static FlStatus
csv_exec_finish (CsvExec *ce, GError **error)
{
  return fl_child_finish (ce->child, error) ? FL_STATUS_END : FL_STATUS_ERROR;
}

static gpointer
csv_exec_open (FlStream *stream, const char *const *argv, GError **error)
{
  CsvExec *ce = g_new0 (CsvExec, 1);
  g_autofree char *base = g_path_get_basename (argv[0]);

  ce->status = FL_STATUS_OK;
  ce->program = g_strdup (argv[0]);
  ce->child = fl_child_spawn (argv, NULL, stream, error);
  if (ce->child == NULL)
    goto fail;

  /* The column header comes first (printed even for zero records). */
  for (;;)
    {
      gsize len = 0;
      GError *local = NULL;
      const char *line = fl_child_read_line (ce->child, FL_LINE_MAX, &len, &local);

      if (line == NULL)
        {
          if (local != NULL)
            g_propagate_error (error, local);
          else if (csv_exec_finish (ce, error) != FL_STATUS_ERROR)
            fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                          "%s printed nothing (no column header)", base);
          goto fail;
        }
      ce->line_no++;
      if (len == 0)
        continue;
      if (len < 2 || line[0] != '#' || line[1] != ':')
        {
          fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                        "%s output line %" G_GUINT64_FORMAT ": expected its "
                        "\"#:\" column header, got \"%.100s\"", base,
                        ce->line_no, line);
          goto fail;
        }
      ce->parser = fl_csv_parser_new (line, len, ',', error);
      if (ce->parser == NULL)
        {
          g_prefix_error (error, "%s output: ", base);
          goto fail;
        }
      return ce;
    }

fail:
  csv_exec_close (ce);
  return NULL;
}

static FlStatus
csv_exec_next (gpointer handle, FlFlow *flow, GError **error)
{
  CsvExec *ce = handle;

  if (ce->status != FL_STATUS_OK)
    return ce->status;
  for (;;)
    {
      gsize len = 0;
      GError *local = NULL;
      const char *line = fl_child_read_line (ce->child, FL_LINE_MAX, &len, &local);
      FlStatus st;

      if (line == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, local);
              return ce->status = FL_STATUS_ERROR;
            }
          return ce->status = csv_exec_finish (ce, error);
        }
      ce->line_no++;
      if (len == 0)
        continue;
      st = fl_csv_parser_parse (ce->parser, line, len, G_MAXUINT64, flow, &local);
      if (st == FL_STATUS_OK)
        return st;
      if (st == FL_STATUS_END)
        return ce->status = csv_exec_finish (ce, error);
      {
        g_autofree char *base = g_path_get_basename (ce->program);

        g_propagate_prefixed_error (error, local, "%s output line %" G_GUINT64_FORMAT ": ",
                                    base, ce->line_no);
      }
      return ce->status = FL_STATUS_ERROR;
    }
}

static void
csv_exec_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  CsvExec *ce = handle;

  func ("program", ce->program, user_data);
}

static gpointer
flowtools_exec_open (FlStream *stream, const FlOptions *options, GError **error)
{
  g_autofree char *program = fl_exec_find_program (PROGRAM_ENV, PROGRAM_NAME);

  if (program == NULL)
    {
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                    PROGRAM_NAME " not found: " PROGRAM_HINT);
      return NULL;
    }
  {
    const char *argv[] = { program, "-f2", NULL };

    return csv_exec_open (stream, argv, error);
  }
}

static const FlReaderClass flowtools_exec_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "flowtools-exec",
  .description = "flow-tools files, read by running flow-export -f2",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_MAGIC,
  .priority = 0, /* the native "flowtools" reader (10) wins a tie */
  .probe = flowtools_exec_probe,
  .open = flowtools_exec_open,
  .next = csv_exec_next,
  .close = csv_exec_close,
  .info = csv_exec_info,
};

FL_PLUGIN_DEFINE ("flowtools-exec", "1.0", &flowtools_exec_class);

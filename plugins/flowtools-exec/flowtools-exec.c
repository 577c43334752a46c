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

#include "fl-exec.h"

static const FlExecProgram flow_export = {
  "flow-export", "FLOWREAD_FLOW_EXPORT", "flow-tools",
  "not packaged in Debian 12: build https://github.com/5u623l20/flow-tools, "
  "or FreeBSD port net-mgmt/flow-tools",
};

static int
flowtools_exec_probe (FlProbe *probe)
{
  gsize avail = 0;
  const guint8 *p = fl_probe_peek (probe, 4, &avail);

  /* flow-tools header: magic CF 10, byte order 1 (little) or 2 (big),
   * stream version 1 or 3. */
  if (p == NULL || avail < 4 || p[0] != 0xCF || p[1] != 0x10)
    return FL_PROBE_NONE;
  if ((p[2] != 1 && p[2] != 2) || (p[3] != 1 && p[3] != 3))
    return FL_PROBE_NONE;
  if (!fl_exec_probe_program (probe, &flow_export))
    return FL_PROBE_NONE;
  /* Only four bytes checked: likely, not certain. */
  return FL_PROBE_LIKELY;
}

static gpointer
flowtools_exec_open (FlStream *stream, const FlOptions *options, GError **error)
{
  g_autofree char *program = fl_exec_open_program (&flow_export, error);

  if (program == NULL)
    return NULL;
  {
    const char *argv[] = { program, "-f2", NULL };

    return fl_exec_csv_open (stream, argv, error);
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
  .next = fl_exec_csv_next,
  .close = fl_exec_csv_close,
  .info = fl_exec_csv_info,
  .family = "flowtools",
  .flags = FL_READER_EXEC,
};

FL_PLUGIN_DEFINE ("flowtools-exec", "1.0", &flowtools_exec_class);

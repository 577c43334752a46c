/* SPDX-License-Identifier: MIT */
/*
 * fl-csv.h: INTERNAL API (not installed, not stable) shared by the text
 * plugin and the exec plugins: reading lines from an FlStream with a length
 * cap, and turning CSV rows of the known column sets into FlFlow.
 *
 * Known column sets (recognised from the header row):
 *   - flow-export -f2 ("#:unix_secs,unix_nsecs,sysuptime,..."), every export
 *     version, including v6's second "nexthop" (= peer_nexthop) and v8.6-8.8's
 *     swapped marked_tos/extra_pkts; times by fl_time_from_uptime().
 *   - flowd-reader -c (same names as flow-export; "(null)" = absent address).
 *   - nfdump -o csv (1.7: "ts,te,td,sa,da,..."), stopping at its "Summary".
 *   - flowread -o csv (the design.md section 3 names).
 */
#pragma once

#include <flowread/flowread-plugin.h>

G_BEGIN_DECLS

/* Longest line accepted (longer: FL_ERROR_LIMIT). */
#define FL_LINE_MAX (1024 * 1024)

typedef struct _FlLineReader FlLineReader;

FlLineReader *fl_line_reader_new (FlStream *stream, gsize max_line);
/* The next line without its "\n" / "\r\n" (NUL-terminated, valid until the
 * next call), *len its length, *offset its byte offset in the stream.
 * NULL at EOF (error unset) or on error. A last line without "\n" is
 * returned as a line. */
const char   *fl_line_reader_next (FlLineReader *lr, gsize *len,
                                   guint64 *offset, GError **error);
void          fl_line_reader_free (FlLineReader *lr);

typedef enum {
  FL_CSV_DIALECT_FLOW_EXPORT = 1, /* flow-export -f2 (also flowd-reader -c) */
  FL_CSV_DIALECT_NFDUMP,          /* nfdump -o csv */
  FL_CSV_DIALECT_FLOWREAD,        /* flowread -o csv */
} FlCsvDialect;

typedef struct _FlCsvParser FlCsvParser;

/* Builds a parser from a header row. sep is ',', '\t', ' ' (runs of blanks)
 * or 0 (guess from the header). NULL with FL_ERROR_UNKNOWN_FORMAT when the
 * header is not a known column set. */
FlCsvParser *fl_csv_parser_new (const char *header, gsize len, char sep,
                                GError **error);
FlCsvDialect fl_csv_parser_get_dialect (FlCsvParser *parser);
/* Parses one data row into flow (flow->present is set here). Returns
 * FL_STATUS_OK; FL_STATUS_END for a line that ends the data (nfdump's
 * "Summary"); FL_STATUS_ERROR with FL_ERROR_CORRUPT (naming the column and
 * offset) for a row that does not parse. Blank lines: the caller skips. */
FlStatus     fl_csv_parser_parse (FlCsvParser *parser, const char *line,
                                  gsize len, guint64 offset, FlFlow *flow,
                                  GError **error);
void         fl_csv_parser_free (FlCsvParser *parser);

G_END_DECLS

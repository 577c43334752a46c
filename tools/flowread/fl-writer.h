/* SPDX-License-Identifier: MIT */
/*
 * fl-writer.h: the output formats of the flowread CLI (design.md section 3):
 * json, csv, text and flow-export.
 *
 * Not part of libflowread and not installed (issue 13, item 4): the output
 * formats are the CLI's own code, a static library (tools/flowread/) that
 * the CLI, the tests, the fuzz targets and the benchmarks link. libflowread
 * stays a reader with no output format in it (flow-export's layout is
 * format knowledge, which design.md keeps out of core/), and its exported
 * ABI stays exactly its headers. A host that wants JSON of a flow has the
 * public pieces (fl_field_get_output_order(), fl_flow_get_*(),
 * fl_addr_to_string(), fl_time_to_string()); making these writers a public
 * API later means moving json/csv/text, not flow-export, into a header.
 */
#pragma once

#include <stdio.h>
#include <flowread/flowread.h>

G_BEGIN_DECLS

typedef enum {
  FL_OUTPUT_TEXT = 0,
  FL_OUTPUT_JSON,
  FL_OUTPUT_CSV,
  FL_OUTPUT_FLOW_EXPORT,
} FlOutputFormat;

gboolean fl_output_format_parse (const char *name, FlOutputFormat *out);

typedef struct _FlWriter FlWriter;

FlWriter *fl_writer_new (FlOutputFormat format, FILE *out);
/* Called when a new input starts (flow-export's column set depends on the
 * reader's export version, see fl_reader_get_info ()). */
void      fl_writer_begin_input (FlWriter *writer, FlReader *reader);
/* Only these fields, in this order (json, csv, text; flow-export keeps its
 * layout). Before the first line; n_fields 0 restores every field. FALSE
 * for an id that is not an output field. */
gboolean  fl_writer_set_fields (FlWriter *writer, const FlField *fields,
                                guint n_fields);
void      fl_writer_write (FlWriter *writer, const FlFlow *flow);
/* Flushes. FALSE with FL_ERROR_IO if writing failed (e.g. EPIPE). */
gboolean  fl_writer_flush (FlWriter *writer, GError **error);
void      fl_writer_free (FlWriter *writer);

G_END_DECLS

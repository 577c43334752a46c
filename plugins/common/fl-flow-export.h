/* SPDX-License-Identifier: MIT */
/*
 * fl-flow-export.h: INTERNAL (plugins/common, not installed, not exported):
 * the one table of flow-export -f2's columns and of the column set of each
 * flow-tools export version (docs/formats/flow-tools.md sections 6.2, 6.3).
 * Used by the CSV reader's flow-export dialect (text plugin, flowtools-exec,
 * flowd-exec: flowd-reader -c prints the same names) and by the CLI's
 * `-o flow-export` writer.
 */
#pragma once

#include <flowread/flowread.h>

G_BEGIN_DECLS

/* The columns in flow-export's order (its FT_XFIELD bit order). */
typedef enum {
  FL_FE_UNIX_SECS, FL_FE_UNIX_NSECS, FL_FE_SYSUPTIME, FL_FE_EXADDR,
  FL_FE_DFLOWS, FL_FE_DPKTS, FL_FE_DOCTETS, FL_FE_FIRST, FL_FE_LAST,
  FL_FE_ENGINE_TYPE, FL_FE_ENGINE_ID, FL_FE_SRCADDR, FL_FE_DSTADDR,
  FL_FE_NEXTHOP, FL_FE_INPUT, FL_FE_OUTPUT, FL_FE_SRCPORT, FL_FE_DSTPORT,
  FL_FE_PROT, FL_FE_TOS, FL_FE_TCP_FLAGS, FL_FE_SRC_MASK, FL_FE_DST_MASK,
  FL_FE_SRC_AS, FL_FE_DST_AS, FL_FE_IN_ENCAPS, FL_FE_OUT_ENCAPS,
  FL_FE_PEER_NEXTHOP, FL_FE_ROUTER_SC, FL_FE_EXTRA_PKTS, FL_FE_MARKED_TOS,
  FL_FE_SRC_TAG, FL_FE_DST_TAG,
  FL_FE_N_COLUMNS
} FlFeColumn;

#define FL_FE_BIT(c) (G_GUINT64_CONSTANT (1) << (c))

typedef struct {
  const char *name;   /* as flow-export's "#:" line prints it */
  int         field;  /* the FlField it carries; -1 for the five raw time
                         columns (unix_secs, unix_nsecs, sysuptime, first,
                         last: FL_FIELD_FT_TIMES's members) */
} FlFeColumnInfo;

extern const FlFeColumnInfo fl_fe_columns[FL_FE_N_COLUMNS];

typedef struct {
  const char *version;   /* flow-tools export version: "5", "8.6" ... */
  guint64     columns;   /* FL_FE_BIT() of each column printed */
  gboolean    swap_tos;  /* quirk 2 (8.6-8.8): marked_tos's value printed
                            under "extra_pkts" and extra_pkts's under
                            "marked_tos" */
} FlFeLayout;

/* The layout of an export version (fl_reader_get_info (reader,
 * "export_version")); v5's for NULL or an unknown version. */
const FlFeLayout *fl_fe_layout_find (const char *version);

G_END_DECLS

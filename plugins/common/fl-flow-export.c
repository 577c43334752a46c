/* SPDX-License-Identifier: MIT */
/*
 * fl-flow-export.c: flow-export -f2's columns and layouts, the one copy.
 */
#include "fl-flow-export.h"

#include <string.h>

const FlFeColumnInfo fl_fe_columns[FL_FE_N_COLUMNS] = {
  [FL_FE_UNIX_SECS] = { "unix_secs", -1 },
  [FL_FE_UNIX_NSECS] = { "unix_nsecs", -1 },
  [FL_FE_SYSUPTIME] = { "sysuptime", -1 },
  [FL_FE_EXADDR] = { "exaddr", FL_FIELD_EXADDR },
  [FL_FE_DFLOWS] = { "dflows", FL_FIELD_DFLOWS },
  [FL_FE_DPKTS] = { "dpkts", FL_FIELD_DPKTS },
  [FL_FE_DOCTETS] = { "doctets", FL_FIELD_DOCTETS },
  [FL_FE_FIRST] = { "first", -1 },
  [FL_FE_LAST] = { "last", -1 },
  [FL_FE_ENGINE_TYPE] = { "engine_type", FL_FIELD_ENGINE_TYPE },
  [FL_FE_ENGINE_ID] = { "engine_id", FL_FIELD_ENGINE_ID },
  [FL_FE_SRCADDR] = { "srcaddr", FL_FIELD_SRCADDR },
  [FL_FE_DSTADDR] = { "dstaddr", FL_FIELD_DSTADDR },
  [FL_FE_NEXTHOP] = { "nexthop", FL_FIELD_NEXTHOP },
  [FL_FE_INPUT] = { "input", FL_FIELD_INPUT },
  [FL_FE_OUTPUT] = { "output", FL_FIELD_OUTPUT },
  [FL_FE_SRCPORT] = { "srcport", FL_FIELD_SRCPORT },
  [FL_FE_DSTPORT] = { "dstport", FL_FIELD_DSTPORT },
  [FL_FE_PROT] = { "prot", FL_FIELD_PROT },
  [FL_FE_TOS] = { "tos", FL_FIELD_TOS },
  [FL_FE_TCP_FLAGS] = { "tcp_flags", FL_FIELD_TCP_FLAGS },
  [FL_FE_SRC_MASK] = { "src_mask", FL_FIELD_SRC_MASK },
  [FL_FE_DST_MASK] = { "dst_mask", FL_FIELD_DST_MASK },
  [FL_FE_SRC_AS] = { "src_as", FL_FIELD_SRC_AS },
  [FL_FE_DST_AS] = { "dst_as", FL_FIELD_DST_AS },
  [FL_FE_IN_ENCAPS] = { "in_encaps", FL_FIELD_IN_ENCAPS },
  [FL_FE_OUT_ENCAPS] = { "out_encaps", FL_FIELD_OUT_ENCAPS },
  /* sic, quirk 1: flow-export names peer_nexthop's column "nexthop" */
  [FL_FE_PEER_NEXTHOP] = { "nexthop", FL_FIELD_PEER_NEXTHOP },
  [FL_FE_ROUTER_SC] = { "router_sc", FL_FIELD_ROUTER_SC },
  [FL_FE_EXTRA_PKTS] = { "extra_pkts", FL_FIELD_EXTRA_PKTS },
  [FL_FE_MARKED_TOS] = { "marked_tos", FL_FIELD_MARKED_TOS },
  [FL_FE_SRC_TAG] = { "src_tag", FL_FIELD_SRC_TAG },
  [FL_FE_DST_TAG] = { "dst_tag", FL_FIELD_DST_TAG },
};

#define C(x) FL_FE_BIT (FL_FE_##x)
#define FE_TIMES (C (UNIX_SECS) | C (UNIX_NSECS) | C (SYSUPTIME) | C (FIRST) | C (LAST))
#define FE_BASE (FE_TIMES | C (EXADDR) | C (DPKTS) | C (DOCTETS) | \
                 C (ENGINE_TYPE) | C (ENGINE_ID))
#define FE_V1 (FE_TIMES | C (EXADDR) | C (DPKTS) | C (DOCTETS) | C (SRCADDR) | \
               C (DSTADDR) | C (NEXTHOP) | C (INPUT) | C (OUTPUT) | C (SRCPORT) | \
               C (DSTPORT) | C (PROT) | C (TOS) | C (TCP_FLAGS))
#define FE_V5 (FE_V1 | C (ENGINE_TYPE) | C (ENGINE_ID) | C (SRC_MASK) | \
               C (DST_MASK) | C (SRC_AS) | C (DST_AS))
#define FE_AGG (FE_BASE | C (DFLOWS))
#define FE_TOSAGG (FE_BASE | C (TOS) | C (ROUTER_SC) | C (EXTRA_PKTS) | C (MARKED_TOS))

static const FlFeLayout layouts[] = {
  { "5", FE_V5, FALSE },  /* first: the default */
  { "1", FE_V1, FALSE },
  { "6", FE_V5 | C (IN_ENCAPS) | C (OUT_ENCAPS) | C (PEER_NEXTHOP), FALSE },
  { "7", FE_V5 | C (ROUTER_SC), FALSE },
  { "1005", FE_V5 | C (SRC_TAG) | C (DST_TAG), FALSE },
  { "8.1", FE_AGG | C (INPUT) | C (OUTPUT) | C (SRC_AS) | C (DST_AS), FALSE },
  { "8.2", FE_AGG | C (SRCPORT) | C (DSTPORT) | C (PROT), FALSE },
  { "8.3", FE_AGG | C (SRCADDR) | C (INPUT) | C (SRC_MASK) | C (SRC_AS), FALSE },
  { "8.4", FE_AGG | C (DSTADDR) | C (OUTPUT) | C (DST_MASK) | C (DST_AS), FALSE },
  { "8.5", FE_AGG | C (SRCADDR) | C (DSTADDR) | C (INPUT) | C (OUTPUT) |
           C (SRC_MASK) | C (DST_MASK) | C (SRC_AS) | C (DST_AS), FALSE },
  { "8.6", FE_TOSAGG | C (DSTADDR) | C (OUTPUT), TRUE },
  { "8.7", FE_TOSAGG | C (SRCADDR) | C (DSTADDR) | C (INPUT) | C (OUTPUT), TRUE },
  { "8.8", FE_TOSAGG | C (SRCADDR) | C (DSTADDR) | C (INPUT) | C (OUTPUT) |
           C (SRCPORT) | C (DSTPORT) | C (PROT), TRUE },
  { "8.9", FE_AGG | C (INPUT) | C (OUTPUT) | C (TOS) | C (SRC_AS) | C (DST_AS), FALSE },
  { "8.10", FE_AGG | C (SRCPORT) | C (DSTPORT) | C (PROT) | C (TOS), FALSE },
  { "8.11", FE_AGG | C (SRCADDR) | C (INPUT) | C (TOS) | C (SRC_MASK) | C (SRC_AS), FALSE },
  { "8.12", FE_AGG | C (DSTADDR) | C (OUTPUT) | C (TOS) | C (DST_MASK) | C (DST_AS), FALSE },
  { "8.13", FE_AGG | C (SRCADDR) | C (DSTADDR) | C (INPUT) | C (OUTPUT) | C (TOS) |
            C (SRC_MASK) | C (DST_MASK) | C (SRC_AS) | C (DST_AS), FALSE },
  { "8.14", FE_AGG | C (SRCADDR) | C (DSTADDR) | C (INPUT) | C (OUTPUT) |
            C (SRCPORT) | C (DSTPORT) | C (PROT) | C (TOS) | C (SRC_MASK) |
            C (DST_MASK), FALSE },
};

#undef C

const FlFeLayout *
fl_fe_layout_find (const char *version)
{
  if (version != NULL)
    for (gsize i = 0; i < G_N_ELEMENTS (layouts); i++)
      if (strcmp (layouts[i].version, version) == 0)
        return &layouts[i];
  return &layouts[0];
}

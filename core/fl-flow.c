/* SPDX-License-Identifier: MIT */
/*
 * FlFlow helpers: field names, address and time formatting, the uptime
 * time rule. The formatters are on the hot path of `-o json/csv`, so they
 * format by hand instead of going through printf/gmtime.
 */
#include "fl-private.h"
#include "fl-format.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

/* Every field: name, type and where it lives. Indexed by the frozen ids of
 * flowread.h; the output order is the separate table below. */
typedef struct {
  const char *name;
  guint8      type;     /* FlFieldType */
  guint16     offset;   /* in FlFlow */
  guint8      width;    /* bytes of the member (uint fields) */
} FieldInfo;

static const FieldInfo field_info[FL_N_FIELDS] = {
  [FL_FIELD_FIRST] = { "first", FL_TYPE_TIME, offsetof (FlFlow, first), sizeof (((FlFlow *) 0)->first) },
  [FL_FIELD_LAST] = { "last", FL_TYPE_TIME, offsetof (FlFlow, last), sizeof (((FlFlow *) 0)->last) },
  [FL_FIELD_SRCADDR] = { "srcaddr", FL_TYPE_ADDR, offsetof (FlFlow, srcaddr), sizeof (((FlFlow *) 0)->srcaddr) },
  [FL_FIELD_DSTADDR] = { "dstaddr", FL_TYPE_ADDR, offsetof (FlFlow, dstaddr), sizeof (((FlFlow *) 0)->dstaddr) },
  [FL_FIELD_SRCPORT] = { "srcport", FL_TYPE_UINT, offsetof (FlFlow, srcport), sizeof (((FlFlow *) 0)->srcport) },
  [FL_FIELD_DSTPORT] = { "dstport", FL_TYPE_UINT, offsetof (FlFlow, dstport), sizeof (((FlFlow *) 0)->dstport) },
  [FL_FIELD_PROT] = { "prot", FL_TYPE_UINT, offsetof (FlFlow, prot), sizeof (((FlFlow *) 0)->prot) },
  [FL_FIELD_DPKTS] = { "dPkts", FL_TYPE_UINT, offsetof (FlFlow, dPkts), sizeof (((FlFlow *) 0)->dPkts) },
  [FL_FIELD_DOCTETS] = { "dOctets", FL_TYPE_UINT, offsetof (FlFlow, dOctets), sizeof (((FlFlow *) 0)->dOctets) },
  [FL_FIELD_TCP_FLAGS] = { "tcp_flags", FL_TYPE_UINT, offsetof (FlFlow, tcp_flags), sizeof (((FlFlow *) 0)->tcp_flags) },
  [FL_FIELD_TOS] = { "tos", FL_TYPE_UINT, offsetof (FlFlow, tos), sizeof (((FlFlow *) 0)->tos) },
  [FL_FIELD_INPUT] = { "input", FL_TYPE_UINT, offsetof (FlFlow, input), sizeof (((FlFlow *) 0)->input) },
  [FL_FIELD_OUTPUT] = { "output", FL_TYPE_UINT, offsetof (FlFlow, output), sizeof (((FlFlow *) 0)->output) },
  [FL_FIELD_NEXTHOP] = { "nexthop", FL_TYPE_ADDR, offsetof (FlFlow, nexthop), sizeof (((FlFlow *) 0)->nexthop) },
  [FL_FIELD_EXADDR] = { "exaddr", FL_TYPE_ADDR, offsetof (FlFlow, exaddr), sizeof (((FlFlow *) 0)->exaddr) },
  [FL_FIELD_SRC_AS] = { "src_as", FL_TYPE_UINT, offsetof (FlFlow, src_as), sizeof (((FlFlow *) 0)->src_as) },
  [FL_FIELD_DST_AS] = { "dst_as", FL_TYPE_UINT, offsetof (FlFlow, dst_as), sizeof (((FlFlow *) 0)->dst_as) },
  [FL_FIELD_SRC_MASK] = { "src_mask", FL_TYPE_UINT, offsetof (FlFlow, src_mask), sizeof (((FlFlow *) 0)->src_mask) },
  [FL_FIELD_DST_MASK] = { "dst_mask", FL_TYPE_UINT, offsetof (FlFlow, dst_mask), sizeof (((FlFlow *) 0)->dst_mask) },
  [FL_FIELD_ENGINE_TYPE] = { "engine_type", FL_TYPE_UINT, offsetof (FlFlow, engine_type), sizeof (((FlFlow *) 0)->engine_type) },
  [FL_FIELD_ENGINE_ID] = { "engine_id", FL_TYPE_UINT, offsetof (FlFlow, engine_id), sizeof (((FlFlow *) 0)->engine_id) },
  [FL_FIELD_DFLOWS] = { "dFlows", FL_TYPE_UINT, offsetof (FlFlow, dFlows), sizeof (((FlFlow *) 0)->dFlows) },
  [FL_FIELD_DST_TAG] = { "dst_tag", FL_TYPE_UINT, offsetof (FlFlow, dst_tag), sizeof (((FlFlow *) 0)->dst_tag) },
  [FL_FIELD_EXTRA_PKTS] = { "extra_pkts", FL_TYPE_UINT, offsetof (FlFlow, extra_pkts), sizeof (((FlFlow *) 0)->extra_pkts) },
  [FL_FIELD_IN_ENCAPS] = { "in_encaps", FL_TYPE_UINT, offsetof (FlFlow, in_encaps), sizeof (((FlFlow *) 0)->in_encaps) },
  [FL_FIELD_MARKED_TOS] = { "marked_tos", FL_TYPE_UINT, offsetof (FlFlow, marked_tos), sizeof (((FlFlow *) 0)->marked_tos) },
  [FL_FIELD_OUT_ENCAPS] = { "out_encaps", FL_TYPE_UINT, offsetof (FlFlow, out_encaps), sizeof (((FlFlow *) 0)->out_encaps) },
  [FL_FIELD_PEER_NEXTHOP] = { "peer_nexthop", FL_TYPE_ADDR, offsetof (FlFlow, peer_nexthop), sizeof (((FlFlow *) 0)->peer_nexthop) },
  [FL_FIELD_RECV_TIME] = { "recv_time", FL_TYPE_TIME, offsetof (FlFlow, recv_time), sizeof (((FlFlow *) 0)->recv_time) },
  [FL_FIELD_ROUTER_SC] = { "router_sc", FL_TYPE_ADDR, offsetof (FlFlow, router_sc), sizeof (((FlFlow *) 0)->router_sc) },
  [FL_FIELD_SRC_TAG] = { "src_tag", FL_TYPE_UINT, offsetof (FlFlow, src_tag), sizeof (((FlFlow *) 0)->src_tag) },
  [FL_FIELD_TAG] = { "tag", FL_TYPE_UINT, offsetof (FlFlow, tag), sizeof (((FlFlow *) 0)->tag) },
  [FL_FIELD_FWD_STATUS] = { "fwd_status", FL_TYPE_UINT, offsetof (FlFlow, fwd_status), sizeof (((FlFlow *) 0)->fwd_status) },
  [FL_FIELD_DST_TOS] = { "dst_tos", FL_TYPE_UINT, offsetof (FlFlow, dst_tos), sizeof (((FlFlow *) 0)->dst_tos) },
  [FL_FIELD_DIRECTION] = { "direction", FL_TYPE_UINT, offsetof (FlFlow, direction), sizeof (((FlFlow *) 0)->direction) },
  [FL_FIELD_BIFLOW_DIR] = { "biflow_dir", FL_TYPE_UINT, offsetof (FlFlow, biflow_dir), sizeof (((FlFlow *) 0)->biflow_dir) },
  [FL_FIELD_FLOW_END_REASON] = { "flow_end_reason", FL_TYPE_UINT, offsetof (FlFlow, flow_end_reason), sizeof (((FlFlow *) 0)->flow_end_reason) },
  [FL_FIELD_OUT_PACKETS] = { "out_packets", FL_TYPE_UINT, offsetof (FlFlow, out_packets), sizeof (((FlFlow *) 0)->out_packets) },
  [FL_FIELD_OUT_BYTES] = { "out_bytes", FL_TYPE_UINT, offsetof (FlFlow, out_bytes), sizeof (((FlFlow *) 0)->out_bytes) },
  [FL_FIELD_SRC_VLAN] = { "src_vlan", FL_TYPE_UINT, offsetof (FlFlow, src_vlan), sizeof (((FlFlow *) 0)->src_vlan) },
  [FL_FIELD_DST_VLAN] = { "dst_vlan", FL_TYPE_UINT, offsetof (FlFlow, dst_vlan), sizeof (((FlFlow *) 0)->dst_vlan) },
  [FL_FIELD_NEXT_AS] = { "next_as", FL_TYPE_UINT, offsetof (FlFlow, next_as), sizeof (((FlFlow *) 0)->next_as) },
  [FL_FIELD_PREV_AS] = { "prev_as", FL_TYPE_UINT, offsetof (FlFlow, prev_as), sizeof (((FlFlow *) 0)->prev_as) },
  [FL_FIELD_BGP_NEXTHOP] = { "bgp_nexthop", FL_TYPE_ADDR, offsetof (FlFlow, bgp_nexthop), sizeof (((FlFlow *) 0)->bgp_nexthop) },
  [FL_FIELD_MPLS_1] = { "mpls_1", FL_TYPE_MPLS, offsetof (FlFlow, mpls[0]), sizeof (((FlFlow *) 0)->mpls[0]) },
  [FL_FIELD_MPLS_1 + 1] = { "mpls_2", FL_TYPE_MPLS, offsetof (FlFlow, mpls[1]), sizeof (((FlFlow *) 0)->mpls[1]) },
  [FL_FIELD_MPLS_1 + 2] = { "mpls_3", FL_TYPE_MPLS, offsetof (FlFlow, mpls[2]), sizeof (((FlFlow *) 0)->mpls[2]) },
  [FL_FIELD_MPLS_1 + 3] = { "mpls_4", FL_TYPE_MPLS, offsetof (FlFlow, mpls[3]), sizeof (((FlFlow *) 0)->mpls[3]) },
  [FL_FIELD_MPLS_1 + 4] = { "mpls_5", FL_TYPE_MPLS, offsetof (FlFlow, mpls[4]), sizeof (((FlFlow *) 0)->mpls[4]) },
  [FL_FIELD_MPLS_1 + 5] = { "mpls_6", FL_TYPE_MPLS, offsetof (FlFlow, mpls[5]), sizeof (((FlFlow *) 0)->mpls[5]) },
  [FL_FIELD_MPLS_1 + 6] = { "mpls_7", FL_TYPE_MPLS, offsetof (FlFlow, mpls[6]), sizeof (((FlFlow *) 0)->mpls[6]) },
  [FL_FIELD_MPLS_1 + 7] = { "mpls_8", FL_TYPE_MPLS, offsetof (FlFlow, mpls[7]), sizeof (((FlFlow *) 0)->mpls[7]) },
  [FL_FIELD_MPLS_1 + 8] = { "mpls_9", FL_TYPE_MPLS, offsetof (FlFlow, mpls[8]), sizeof (((FlFlow *) 0)->mpls[8]) },
  [FL_FIELD_MPLS_1 + 9] = { "mpls_10", FL_TYPE_MPLS, offsetof (FlFlow, mpls[9]), sizeof (((FlFlow *) 0)->mpls[9]) },
  [FL_FIELD_IN_SRC_MAC] = { "in_src_mac", FL_TYPE_MAC, offsetof (FlFlow, in_src_mac), sizeof (((FlFlow *) 0)->in_src_mac) },
  [FL_FIELD_OUT_DST_MAC] = { "out_dst_mac", FL_TYPE_MAC, offsetof (FlFlow, out_dst_mac), sizeof (((FlFlow *) 0)->out_dst_mac) },
  [FL_FIELD_IN_DST_MAC] = { "in_dst_mac", FL_TYPE_MAC, offsetof (FlFlow, in_dst_mac), sizeof (((FlFlow *) 0)->in_dst_mac) },
  [FL_FIELD_OUT_SRC_MAC] = { "out_src_mac", FL_TYPE_MAC, offsetof (FlFlow, out_src_mac), sizeof (((FlFlow *) 0)->out_src_mac) },
  [FL_FIELD_CLI_LATENCY_US] = { "cli_latency_us", FL_TYPE_UINT, offsetof (FlFlow, cli_latency_us), sizeof (((FlFlow *) 0)->cli_latency_us) },
  [FL_FIELD_SRV_LATENCY_US] = { "srv_latency_us", FL_TYPE_UINT, offsetof (FlFlow, srv_latency_us), sizeof (((FlFlow *) 0)->srv_latency_us) },
  [FL_FIELD_APP_LATENCY_US] = { "app_latency_us", FL_TYPE_UINT, offsetof (FlFlow, app_latency_us), sizeof (((FlFlow *) 0)->app_latency_us) },
  [FL_FIELD_SRC_XLT_IP] = { "src_xlt_ip", FL_TYPE_ADDR, offsetof (FlFlow, src_xlt_ip), sizeof (((FlFlow *) 0)->src_xlt_ip) },
  [FL_FIELD_DST_XLT_IP] = { "dst_xlt_ip", FL_TYPE_ADDR, offsetof (FlFlow, dst_xlt_ip), sizeof (((FlFlow *) 0)->dst_xlt_ip) },
  [FL_FIELD_SRC_XLT_PORT] = { "src_xlt_port", FL_TYPE_UINT, offsetof (FlFlow, src_xlt_port), sizeof (((FlFlow *) 0)->src_xlt_port) },
  [FL_FIELD_DST_XLT_PORT] = { "dst_xlt_port", FL_TYPE_UINT, offsetof (FlFlow, dst_xlt_port), sizeof (((FlFlow *) 0)->dst_xlt_port) },
  [FL_FIELD_INGRESS_VRF] = { "ingress_vrf", FL_TYPE_UINT, offsetof (FlFlow, ingress_vrf), sizeof (((FlFlow *) 0)->ingress_vrf) },
  [FL_FIELD_EGRESS_VRF] = { "egress_vrf", FL_TYPE_UINT, offsetof (FlFlow, egress_vrf), sizeof (((FlFlow *) 0)->egress_vrf) },
  [FL_FIELD_FLOW_ID] = { "flow_id", FL_TYPE_UINT, offsetof (FlFlow, flow_id), sizeof (((FlFlow *) 0)->flow_id) },
  [FL_FIELD_FT_TIMES] = { "ft_times", FL_TYPE_INTERNAL, 0, 0 },
};

/* design.md section 3: the core keys, then every extra in name (strcmp)
 * order. A new field is inserted by name here; its id goes at the end. */
static const FlField output_order[] = {
  FL_FIELD_FIRST,
  FL_FIELD_LAST,
  FL_FIELD_SRCADDR,
  FL_FIELD_DSTADDR,
  FL_FIELD_SRCPORT,
  FL_FIELD_DSTPORT,
  FL_FIELD_PROT,
  FL_FIELD_DPKTS,
  FL_FIELD_DOCTETS,
  FL_FIELD_TCP_FLAGS,
  FL_FIELD_TOS,
  FL_FIELD_INPUT,
  FL_FIELD_OUTPUT,
  FL_FIELD_NEXTHOP,
  FL_FIELD_EXADDR,
  FL_FIELD_SRC_AS,
  FL_FIELD_DST_AS,
  FL_FIELD_SRC_MASK,
  FL_FIELD_DST_MASK,
  FL_FIELD_ENGINE_TYPE,
  FL_FIELD_ENGINE_ID,
  FL_FIELD_APP_LATENCY_US,
  FL_FIELD_BGP_NEXTHOP,
  FL_FIELD_BIFLOW_DIR,
  FL_FIELD_CLI_LATENCY_US,
  FL_FIELD_DFLOWS,
  FL_FIELD_DIRECTION,
  FL_FIELD_DST_TAG,
  FL_FIELD_DST_TOS,
  FL_FIELD_DST_VLAN,
  FL_FIELD_DST_XLT_IP,
  FL_FIELD_DST_XLT_PORT,
  FL_FIELD_EGRESS_VRF,
  FL_FIELD_EXTRA_PKTS,
  FL_FIELD_FLOW_END_REASON,
  FL_FIELD_FLOW_ID,
  FL_FIELD_FWD_STATUS,
  FL_FIELD_IN_DST_MAC,
  FL_FIELD_IN_ENCAPS,
  FL_FIELD_IN_SRC_MAC,
  FL_FIELD_INGRESS_VRF,
  FL_FIELD_MARKED_TOS,
  FL_FIELD_MPLS_1,
  FL_FIELD_MPLS_1 + 9,
  FL_FIELD_MPLS_1 + 1,
  FL_FIELD_MPLS_1 + 2,
  FL_FIELD_MPLS_1 + 3,
  FL_FIELD_MPLS_1 + 4,
  FL_FIELD_MPLS_1 + 5,
  FL_FIELD_MPLS_1 + 6,
  FL_FIELD_MPLS_1 + 7,
  FL_FIELD_MPLS_1 + 8,
  FL_FIELD_NEXT_AS,
  FL_FIELD_OUT_BYTES,
  FL_FIELD_OUT_DST_MAC,
  FL_FIELD_OUT_ENCAPS,
  FL_FIELD_OUT_PACKETS,
  FL_FIELD_OUT_SRC_MAC,
  FL_FIELD_PEER_NEXTHOP,
  FL_FIELD_PREV_AS,
  FL_FIELD_RECV_TIME,
  FL_FIELD_ROUTER_SC,
  FL_FIELD_SRC_TAG,
  FL_FIELD_SRC_VLAN,
  FL_FIELD_SRC_XLT_IP,
  FL_FIELD_SRC_XLT_PORT,
  FL_FIELD_SRV_LATENCY_US,
  FL_FIELD_TAG,
};

G_STATIC_ASSERT (G_N_ELEMENTS (output_order) == FL_N_FIELDS - 1);

void
fl_flow_init (FlFlow *flow)
{
  g_return_if_fail (flow != NULL);
  memset (flow, 0, sizeof *flow);
  flow->struct_size = sizeof *flow;
}

const char *
fl_field_name (FlField field)
{
  if ((int) field < 0 || field >= FL_N_FIELDS)
    return NULL;
  return field_info[field].name;
}

int
fl_field_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (int f = 0; f < FL_N_FIELDS; f++)
    if (field_info[f].type != FL_TYPE_INTERNAL
        && strcmp (field_info[f].name, name) == 0)
      return f;
  return -1;
}

FlFieldType
fl_field_get_type (FlField field)
{
  if ((int) field < 0 || field >= FL_N_FIELDS)
    return 0;
  return (FlFieldType) field_info[field].type;
}

const FlField *
fl_field_get_output_order (guint *n_fields)
{
  if (n_fields != NULL)
    *n_fields = G_N_ELEMENTS (output_order);
  return output_order;
}

static inline const guint8 *
field_ptr (const FlFlow *flow, FlField f)
{
  return (const guint8 *) flow + field_info[f].offset;
}

/* FALSE for an id out of range, a field the caller's (smaller) struct does
 * not hold, or an absent one. */
static gboolean
field_usable (const FlFlow *flow, FlField f, FlFieldType type)
{
  if ((int) f < 0 || f >= FL_N_FIELDS || field_info[f].type != type)
    return FALSE;
  if ((gsize) field_info[f].offset + field_info[f].width > flow->struct_size
      || (f >= 64 && flow->struct_size < offsetof (FlFlow, present_hi) + 8))
    return FALSE;
  return fl_flow_has (flow, f);
}

gboolean
fl_flow_get_uint (const FlFlow *flow, FlField f, guint64 *value)
{
  const guint8 *p;

  if (!field_usable (flow, f, FL_TYPE_UINT) && !field_usable (flow, f, FL_TYPE_MPLS))
    return FALSE;
  p = field_ptr (flow, f);
  switch (field_info[f].width)
    {
    case 1: *value = *p; break;
    case 2: { guint16 v; memcpy (&v, p, 2); *value = v; break; }
    case 4: { guint32 v; memcpy (&v, p, 4); *value = v; break; }
    case 8: { guint64 v; memcpy (&v, p, 8); *value = v; break; }
    default: return FALSE;
    }
  return TRUE;
}

gboolean
fl_flow_get_time (const FlFlow *flow, FlField f, gint64 *ns)
{
  if (!field_usable (flow, f, FL_TYPE_TIME))
    return FALSE;
  memcpy (ns, field_ptr (flow, f), sizeof *ns);
  return TRUE;
}

gboolean
fl_flow_get_addr (const FlFlow *flow, FlField f, FlAddr *addr)
{
  if (!field_usable (flow, f, FL_TYPE_ADDR))
    return FALSE;
  memcpy (addr, field_ptr (flow, f), sizeof *addr);
  return TRUE;
}

gboolean
fl_flow_get_mac (const FlFlow *flow, FlField f, guint8 mac[6])
{
  if (!field_usable (flow, f, FL_TYPE_MAC))
    return FALSE;
  memcpy (mac, field_ptr (flow, f), 6);
  return TRUE;
}

char *
fl_addr_to_string (const FlAddr *a, char *buf)
{
  _fl_format_init ();
  *_fl_put_addr (buf, a) = '\0';
  return buf;
}

gboolean
fl_addr_parse (FlAddr *a, const char *text)
{
  memset (a, 0, sizeof *a);
  if (strchr (text, ':') != NULL)
    {
      if (inet_pton (AF_INET6, text, a->addr) != 1)
        return FALSE;
      a->family = 6;
      return TRUE;
    }
  if (inet_pton (AF_INET, text, a->addr) != 1)
    return FALSE;
  a->family = 4;
  return TRUE;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), valid for
 * the whole int64 range we produce (Howard Hinnant's algorithm). */
static void
civil_from_days (gint64 z, gint64 *y, unsigned *m, unsigned *d)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned) (z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (gint64) yoe + era * 400 + (*m <= 2);
}

static inline char *
put_digits (char *p, guint64 v, int width)
{
  for (int i = width - 1; i >= 0; i--)
    {
      p[i] = (char) ('0' + v % 10);
      v /= 10;
    }
  return p + width;
}

char *
fl_time_to_string (gint64 ns, char *buf)
{
  /* Floor division so that times before 1970 format correctly. */
  gint64 secs = ns / 1000000000;
  gint64 frac = ns % 1000000000;
  gint64 days, sod, y;
  unsigned m, d;
  char *p = buf;

  if (frac < 0)
    {
      frac += 1000000000;
      secs -= 1;
    }
  days = secs / 86400;
  sod = secs % 86400;
  if (sod < 0)
    {
      sod += 86400;
      days -= 1;
    }
  civil_from_days (days, &y, &m, &d);

  if (y < 0 || y > 9999)
    {
      /* Outside RFC 3339's four-digit years: still unambiguous. */
      p += g_snprintf (p, 24, "%" G_GINT64_FORMAT, y);
    }
  else
    p = put_digits (p, (guint64) y, 4);
  *p++ = '-';
  p = put_digits (p, m, 2);
  *p++ = '-';
  p = put_digits (p, d, 2);
  *p++ = 'T';
  p = put_digits (p, (guint64) (sod / 3600), 2);
  *p++ = ':';
  p = put_digits (p, (guint64) (sod / 60 % 60), 2);
  *p++ = ':';
  p = put_digits (p, (guint64) (sod % 60), 2);
  *p++ = '.';
  p = put_digits (p, (guint64) frac, 9);
  *p++ = 'Z';
  *p = '\0';
  return buf;
}

/* Days since 1970-01-01 of a civil date (the inverse of civil_from_days). */
static gint64
days_from_civil (gint64 y, unsigned m, unsigned d)
{
  gint64 era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

gboolean
fl_time_from_civil (gint64 year, guint month, guint day, guint hour,
                    guint minute, guint sec, guint32 nsec, gint64 *ns)
{
  static const guint8 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  gint64 secs;

  if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1]
      || hour > 23 || minute > 59 || sec > 60 || nsec > 999999999)
    return FALSE;
  if (month == 2 && day == 29
      && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    return FALSE;
  /* Far outside gint64 nanoseconds anyway; keeps the arithmetic safe. */
  if (year < -1000000 || year > 1000000)
    return FALSE;
  secs = days_from_civil (year, month, day) * 86400
         + (gint64) hour * 3600 + minute * 60 + sec;
  if (secs > G_MAXINT64 / 1000000000 - 1 || secs < G_MININT64 / 1000000000 + 1)
    return FALSE;
  *ns = secs * 1000000000 + nsec;
  return TRUE;
}

/* SPDX-License-Identifier: MIT */
/*
 * FlFlow helpers: field names, address and time formatting, the uptime
 * time rule. The formatters are on the hot path of `-o json/csv`, so they
 * format by hand instead of going through printf/gmtime.
 */
#include "fl-private.h"
#include "fl-format.h"

#include <arpa/inet.h>
#include <string.h>

static const char *const field_names[FL_N_FIELDS] = {
  [FL_FIELD_FIRST] = "first",
  [FL_FIELD_LAST] = "last",
  [FL_FIELD_SRCADDR] = "srcaddr",
  [FL_FIELD_DSTADDR] = "dstaddr",
  [FL_FIELD_SRCPORT] = "srcport",
  [FL_FIELD_DSTPORT] = "dstport",
  [FL_FIELD_PROT] = "prot",
  [FL_FIELD_DPKTS] = "dPkts",
  [FL_FIELD_DOCTETS] = "dOctets",
  [FL_FIELD_TCP_FLAGS] = "tcp_flags",
  [FL_FIELD_TOS] = "tos",
  [FL_FIELD_INPUT] = "input",
  [FL_FIELD_OUTPUT] = "output",
  [FL_FIELD_NEXTHOP] = "nexthop",
  [FL_FIELD_EXADDR] = "exaddr",
  [FL_FIELD_SRC_AS] = "src_as",
  [FL_FIELD_DST_AS] = "dst_as",
  [FL_FIELD_SRC_MASK] = "src_mask",
  [FL_FIELD_DST_MASK] = "dst_mask",
  [FL_FIELD_ENGINE_TYPE] = "engine_type",
  [FL_FIELD_ENGINE_ID] = "engine_id",
  [FL_FIELD_DFLOWS] = "dFlows",
  [FL_FIELD_DST_TAG] = "dst_tag",
  [FL_FIELD_EXTRA_PKTS] = "extra_pkts",
  [FL_FIELD_IN_ENCAPS] = "in_encaps",
  [FL_FIELD_MARKED_TOS] = "marked_tos",
  [FL_FIELD_OUT_ENCAPS] = "out_encaps",
  [FL_FIELD_PEER_NEXTHOP] = "peer_nexthop",
  [FL_FIELD_RECV_TIME] = "recv_time",
  [FL_FIELD_ROUTER_SC] = "router_sc",
  [FL_FIELD_SRC_TAG] = "src_tag",
  [FL_FIELD_TAG] = "tag",
  [FL_FIELD_FT_TIMES] = "ft_times",
};

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
  return field_names[field];
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

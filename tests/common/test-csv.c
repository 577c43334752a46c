/* SPDX-License-Identifier: MIT */
/*
 * test-csv.c: the plugins' shared CSV reader (plugins/common/fl-csv.c) on
 * its own: the line reader, each dialect's header and rows, flow-export's
 * quirks, the ABI 1.1 columns (MAC, MPLS) of flowread -o csv.
 */
#include <stdio.h>
#include <string.h>

#include <flowread/flowread-plugin.h>
#include "fl-csv.h"
#include "fl-test-util.h"

/* ------------------------------------------------------------ fl-csv unit */

static void
test_line_reader (void)
{
  const char data[] = "a\r\n\nbb\ncc\r\ndd";
  FlStream *s = fl_stream_new_memory (data, sizeof data - 1, "mem");
  FlLineReader *lr = fl_line_reader_new (s, 8);
  const char *expect[] = { "a", "", "bb", "cc", "dd" };
  const guint64 offsets[] = { 0, 3, 4, 7, 11 };
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      gsize len;
      guint64 off;
      const char *line = fl_line_reader_next (lr, &len, &off, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (line, ==, expect[i]);
      g_assert_cmpuint (len, ==, strlen (expect[i]));
      g_assert_cmpuint (off, ==, offsets[i]);
    }
  g_assert_null (fl_line_reader_next (lr, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fl_stream_tell (s), ==, sizeof data - 1);
  fl_line_reader_free (lr);
  fl_stream_unref (s);

  /* The cap: 8 is fine, 9 is not (even with "\r\n"). */
  {
    const char d2[] = "12345678\r\n123456789\n";
    gsize len;

    s = fl_stream_new_memory (d2, sizeof d2 - 1, "mem");
    lr = fl_line_reader_new (s, 8);
    g_assert_cmpstr (fl_line_reader_next (lr, &len, NULL, &error), ==, "12345678");
    g_assert_null (fl_line_reader_next (lr, &len, NULL, &error));
    g_assert_error (error, FL_ERROR, FL_ERROR_LIMIT);
    g_clear_error (&error);
    fl_line_reader_free (lr);
    fl_stream_unref (s);
  }

  /* Lines across many peek windows. */
  {
    GString *big = g_string_new (NULL);
    guint n = 0;
    const char *line;
    gsize len;

    for (guint i = 0; i < 200000; i++)
      g_string_append_printf (big, "line %u %*s\n", i, (int) (i % 37), "");
    s = fl_stream_new_memory (big->str, big->len, "mem");
    lr = fl_line_reader_new (s, 64);
    while ((line = fl_line_reader_next (lr, &len, NULL, &error)) != NULL)
      {
        char want[32];

        g_snprintf (want, sizeof want, "line %u ", n);
        g_assert_true (g_str_has_prefix (line, want));
        g_assert_cmpuint (len, ==, strlen (want) + n % 37);
        n++;
      }
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, 200000);
    fl_line_reader_free (lr);
    fl_stream_unref (s);
    g_string_free (big, TRUE);
  }
}

static void
test_parser_dialects (void)
{
  static const struct {
    const char *header;
    FlCsvDialect dialect; /* 0 = refused */
  } cases[] = {
    { "#:unix_secs,unix_nsecs,sysuptime,exaddr,dpkts", FL_CSV_DIALECT_FLOW_EXPORT },
    { "#:srcaddr,dstaddr", FL_CSV_DIALECT_FLOW_EXPORT },
    { "unix_secs\tunix_nsecs\tsysuptime\tdpkts", FL_CSV_DIALECT_FLOW_EXPORT },
    { "ts,te,td,sa,da,sp,dp,pr", FL_CSV_DIALECT_NFDUMP },
    { "first,last,srcaddr,dstaddr,dPkts", FL_CSV_DIALECT_FLOWREAD },
    { "first last  srcaddr dstaddr", FL_CSV_DIALECT_FLOWREAD },
    { "name,age", 0 },
    { "", 0 },
    { "#:srcaddr,srcaddr", 0 },
    { "first,first", 0 },
    { "ts,te,td", 0 }, /* nfdump without addresses */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      FlCsvParser *p = fl_csv_parser_new (cases[i].header,
                                          strlen (cases[i].header), 0, &error);

      if (cases[i].dialect == 0)
        {
          g_assert_null (p);
          g_assert_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpint (fl_csv_parser_get_dialect (p), ==, cases[i].dialect);
          fl_csv_parser_free (p);
        }
    }
}

static void
test_parser_quirks (void)
{
  g_autoptr (GError) error = NULL;
  FlFlow flow;
  FlCsvParser *p;
  const char *row;
  char buf[FL_ADDR_STRLEN];

  /* v6: the second "nexthop" is peer_nexthop. */
  p = fl_csv_parser_new ("#:srcaddr,nexthop,nexthop", 25, 0, &error);
  g_assert_no_error (error);
  fl_flow_init (&flow);
  row = "10.0.0.1,192.0.2.254,192.0.2.253";
  g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow, &error),
                   ==, FL_STATUS_OK);
  g_assert_cmpstr (fl_addr_to_string (&flow.nexthop, buf), ==, "192.0.2.254");
  g_assert_cmpstr (fl_addr_to_string (&flow.peer_nexthop, buf), ==, "192.0.2.253");
  g_assert_true (fl_flow_has (&flow, FL_FIELD_PEER_NEXTHOP));
  fl_csv_parser_free (p);

  /* 8.6-8.8: values printed marked_tos first under "extra_pkts". */
  p = fl_csv_parser_new ("#:router_sc,extra_pkts,marked_tos", 33, 0, &error);
  g_assert_no_error (error);
  fl_flow_init (&flow);
  row = "192.0.2.9,32,2";
  g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow, &error),
                   ==, FL_STATUS_OK);
  g_assert_cmpuint (flow.marked_tos, ==, 32);
  g_assert_cmpuint (flow.extra_pkts, ==, 2);
  fl_csv_parser_free (p);

  /* flowread's own csv has no such quirk. */
  p = fl_csv_parser_new ("extra_pkts,marked_tos", 21, 0, &error);
  g_assert_no_error (error);
  fl_flow_init (&flow);
  row = "32,2";
  g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow, &error),
                   ==, FL_STATUS_OK);
  g_assert_cmpuint (flow.extra_pkts, ==, 32);
  g_assert_cmpuint (flow.marked_tos, ==, 2);
  fl_csv_parser_free (p);

  /* Uptime wrap (flow-tools gets it wrong, we do not), raw fields kept. */
  {
    const char *h = "#:unix_secs,unix_nsecs,sysuptime,first,last";
    char tb[FL_TIME_STRLEN];

    p = fl_csv_parser_new (h, strlen (h), 0, &error);
    g_assert_no_error (error);
    fl_flow_init (&flow);
    row = "1700000060,500000000,5000,4294962296,4000";
    g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow,
                                          &error), ==, FL_STATUS_OK);
    g_assert_cmpstr (fl_time_to_string (flow.first, tb), ==,
                     "2023-11-14T22:14:10.500000000Z");
    g_assert_true (fl_flow_has (&flow, FL_FIELD_FT_TIMES));
    g_assert_cmpuint (flow.uptime_first, ==, 4294962296u);
    g_assert_cmpuint (flow.sysuptime, ==, 5000);
    fl_csv_parser_free (p);
  }

  /* nfdump: protocol names, flags letters, Summary ends the data. */
  {
    const char *h = "ts,te,sa,da,pr,flg";

    p = fl_csv_parser_new (h, strlen (h), 0, &error);
    g_assert_no_error (error);
    fl_flow_init (&flow);
    row = "2024-01-15 12:00:02,2024-01-15 12:00:02,::1,192.0.2.1,ICMP6,...AP.SF";
    g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow,
                                          &error), ==, FL_STATUS_OK);
    g_assert_cmpuint (flow.prot, ==, 58);
    g_assert_cmpuint (flow.tcp_flags, ==, 0x1b);
    row = "2024-01-15 12:00:02,2024-01-15 12:00:02,::1,192.0.2.1,253  ,........";
    g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow,
                                          &error), ==, FL_STATUS_OK);
    g_assert_cmpuint (flow.prot, ==, 253);
    g_assert_cmpuint (flow.tcp_flags, ==, 0);
    row = "Summary";
    g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow,
                                          &error), ==, FL_STATUS_END);
    g_assert_no_error (error);
    fl_csv_parser_free (p);
  }

  /* flowread: times before 1970 and with fewer fraction digits. */
  {
    const char *h = "first,last";
    char tb[FL_TIME_STRLEN];

    p = fl_csv_parser_new (h, strlen (h), 0, &error);
    g_assert_no_error (error);
    fl_flow_init (&flow);
    row = "1969-12-31T23:59:59.5Z,2100-02-28T12:00:00+01:00";
    g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow,
                                          &error), ==, FL_STATUS_OK);
    g_assert_cmpint (flow.first, ==, -500000000);
    g_assert_cmpstr (fl_time_to_string (flow.last, tb), ==,
                     "2100-02-28T11:00:00.000000000Z");
    fl_csv_parser_free (p);
  }
}

/* flowread -o csv's ABI 1.1 columns: MACs, MPLS entries, present_hi. */
static void
test_parser_new_fields (void)
{
  const char *h = "in_src_mac,mpls_1,mpls_10,flow_id,src_xlt_port,dst_xlt_ip";
  const char *row = "02:81:3E:ce:30:cc,1048575-7-1,0-0-0,18446744073709551615,443,fe80::2";
  static const char *const bad[] = {
    "02:81:3e:ce:30,1-0-0,,,,", "02:81:3e:ce:30:cg,1-0-0,,,,",
    ",1048576-0-0,,,,", ",1-8-0,,,,", ",1-0-2,,,,", ",1-0,,,,", ",-0-0,,,,",
    ",1-0-0,,,65536,",
  };
  g_autoptr (GError) error = NULL;
  FlCsvParser *p = fl_csv_parser_new (h, strlen (h), 0, &error);
  char buf[FL_ADDR_STRLEN];
  FlFlow flow;

  g_assert_no_error (error);
  fl_flow_init (&flow);
  g_assert_cmpint (fl_csv_parser_parse (p, row, strlen (row), 0, &flow, &error),
                   ==, FL_STATUS_OK);
  g_assert_no_error (error);
  g_assert_cmpmem (flow.in_src_mac, 6, "\x02\x81\x3e\xce\x30\xcc", 6);
  g_assert_cmphex (flow.mpls[0], ==, 0xffffff);
  g_assert_cmphex (flow.mpls[9], ==, 0);
  g_assert_cmpuint (flow.flow_id, ==, G_MAXUINT64);
  g_assert_cmpuint (flow.src_xlt_port, ==, 443);
  g_assert_cmpstr (fl_addr_to_string (&flow.dst_xlt_ip, buf), ==, "fe80::2");
  g_assert_true (fl_flow_has (&flow, FL_FIELD_IN_SRC_MAC));
  g_assert_true (fl_flow_has (&flow, FL_FIELD_MPLS_10));
  g_assert_true (fl_flow_has (&flow, FL_FIELD_SRC_XLT_PORT)); /* id 64: present_hi */
  g_assert_true (fl_flow_has (&flow, FL_FIELD_FLOW_ID));
  g_assert_false (fl_flow_has (&flow, FL_FIELD_MPLS_1 + 1));
  g_assert_false (fl_flow_has (&flow, FL_FIELD_DST_XLT_PORT));
  g_assert_cmpuint (flow.present_hi & ~G_GUINT64_CONSTANT (0x1f), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("bad row %s", bad[i]);
      g_assert_cmpint (fl_csv_parser_parse (p, bad[i], strlen (bad[i]), 0, &flow,
                                            &error), ==, FL_STATUS_ERROR);
      g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
      g_clear_error (&error);
    }
  fl_csv_parser_free (p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/csv/line-reader", test_line_reader);
  g_test_add_func ("/csv/dialects", test_parser_dialects);
  g_test_add_func ("/csv/quirks", test_parser_quirks);
  g_test_add_func ("/csv/new-fields", test_parser_new_fields);
  return g_test_run ();
}

/* SPDX-License-Identifier: MIT */
/*
 * test-writer.c: the CLI's output formats in-process (tools/flowread/
 * fl-writer.h): every field of the record in json and csv, key order
 * against the corpus, times, addresses and numbers against printf() and
 * inet_ntop(), flow-export's synthesized times, format names.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <flowread/flowread-plugin.h>
#include "fl-writer.h"
#include "fl-test-util.h"

/* ------------------------------------------------------------ writers */

static char *
write_flows (FlOutputFormat format, const FlFlow *flows, guint n)
{
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream (&text, &len);
  FlWriter *w = fl_writer_new (format, mem);

  for (guint i = 0; i < n; i++)
    fl_writer_write (w, &flows[i]);
  g_assert_true (fl_writer_flush (w, NULL));
  fl_writer_free (w);
  fclose (mem);
  return text;
}

/* A flow with every output field set, at the edges of its range: every key
 * in output order, MACs and MPLS entries as strings, times before 1970 and
 * after 2038, 2^64-1. Expected lines written by hand. */
static void
fill_all_fields (FlFlow *flow)
{
  fl_flow_init (flow);
  flow->present = G_MAXUINT64; /* ft_times too: never printed */
  flow->present_hi = (G_GUINT64_CONSTANT (1) << (FL_N_FIELDS - 64)) - 1;
  flow->first = -1;
  flow->last = G_GINT64_CONSTANT (4102444800123456789);
  flow->recv_time = G_GINT64_CONSTANT (2147483648000000000);
  g_assert_true (fl_addr_parse (&flow->srcaddr, "192.0.2.1"));
  g_assert_true (fl_addr_parse (&flow->dstaddr, "2001:db8::1"));
  g_assert_true (fl_addr_parse (&flow->nexthop, "10.0.0.1"));
  g_assert_true (fl_addr_parse (&flow->exaddr, "::ffff:192.0.2.7"));
  g_assert_true (fl_addr_parse (&flow->bgp_nexthop, "198.51.100.61"));
  g_assert_true (fl_addr_parse (&flow->dst_xlt_ip, "fe80::2"));
  g_assert_true (fl_addr_parse (&flow->src_xlt_ip, "203.0.113.62"));
  g_assert_true (fl_addr_parse (&flow->peer_nexthop, "2001:db8::27"));
  g_assert_true (fl_addr_parse (&flow->router_sc, "192.0.2.29"));
  flow->srcport = 65535;
  flow->dstport = 2048;
  flow->prot = 1;
  flow->dPkts = G_MAXUINT64;
  flow->dOctets = 1;
  flow->tcp_flags = 255;
  flow->tos = 254;
  flow->input = G_MAXUINT32;
  flow->output = 0;
  flow->src_as = 4200000000u;
  flow->dst_as = 64512;
  flow->src_mask = 32;
  flow->dst_mask = 128;
  flow->engine_type = 65535;
  flow->engine_id = 7;
  flow->app_latency_us = G_MAXUINT64;
  flow->biflow_dir = 2;
  flow->cli_latency_us = 0;
  flow->dFlows = G_MAXUINT32;
  flow->direction = 1;
  flow->dst_tag = 22;
  flow->dst_tos = 34;
  flow->dst_vlan = 4095;
  flow->dst_xlt_port = 443;
  flow->egress_vrf = 67;
  flow->extra_pkts = 23;
  flow->flow_end_reason = 37;
  flow->flow_id = G_MAXUINT64 - 1;
  flow->fwd_status = 64;
  memcpy (flow->in_dst_mac, "\x02\x99\xc3\x90\x66\xbc", 6);
  flow->in_encaps = 24;
  memset (flow->in_src_mac, 0, 6);
  flow->ingress_vrf = 66;
  flow->marked_tos = 25;
  flow->mpls[0] = 1048575u << 4 | 7 << 1 | 1;
  for (guint i = 1; i < 9; i++)
    flow->mpls[i] = (i + 1) * 1000 << 4 | (i % 8) << 1;
  flow->mpls[9] = 0;
  flow->next_as = 42;
  flow->out_bytes = 39;
  memset (flow->out_dst_mac, 0xff, 6);
  flow->out_encaps = 26;
  flow->out_packets = 38;
  memcpy (flow->out_src_mac, "\x02\x81\x3e\xce\x30\xcc", 6);
  flow->prev_as = 43;
  flow->src_tag = 30;
  flow->src_vlan = 40;
  flow->src_xlt_port = 64;
  flow->srv_latency_us = 60;
  flow->tag = 31;
}

/* fill_all_fields() in csv, header and row. */
static const char all_fields_csv[] =
  "first,last,srcaddr,dstaddr,srcport,dstport,prot,dPkts,dOctets,"
  "tcp_flags,tos,input,output,nexthop,exaddr,src_as,dst_as,src_mask,"
  "dst_mask,engine_type,engine_id,app_latency_us,bgp_nexthop,biflow_dir,"
  "cli_latency_us,dFlows,direction,dst_tag,dst_tos,dst_vlan,dst_xlt_ip,"
  "dst_xlt_port,egress_vrf,extra_pkts,flow_end_reason,flow_id,fwd_status,"
  "in_dst_mac,in_encaps,in_src_mac,ingress_vrf,marked_tos,mpls_1,mpls_10,"
  "mpls_2,mpls_3,mpls_4,mpls_5,mpls_6,mpls_7,mpls_8,mpls_9,next_as,"
  "out_bytes,out_dst_mac,out_encaps,out_packets,out_src_mac,peer_nexthop,"
  "prev_as,recv_time,router_sc,src_tag,src_vlan,src_xlt_ip,src_xlt_port,"
  "srv_latency_us,tag\n"
  "1969-12-31T23:59:59.999999999Z,2100-01-01T00:00:00.123456789Z,"
  "192.0.2.1,2001:db8::1,65535,2048,1,18446744073709551615,1,255,254,"
  "4294967295,0,10.0.0.1,::ffff:192.0.2.7,4200000000,64512,32,128,65535,7,"
  "18446744073709551615,198.51.100.61,2,0,4294967295,1,22,34,4095,fe80::2,"
  "443,67,23,37,18446744073709551614,64,02:99:c3:90:66:bc,24,"
  "00:00:00:00:00:00,66,25,1048575-7-1,0-0-0,2000-1-0,3000-2-0,4000-3-0,"
  "5000-4-0,6000-5-0,7000-6-0,8000-7-0,9000-0-0,42,39,ff:ff:ff:ff:ff:ff,"
  "26,38,02:81:3e:ce:30:cc,2001:db8::27,43,2038-01-19T03:14:08.000000000Z,"
  "192.0.2.29,30,40,203.0.113.62,64,60,31\n";

static void
test_writer_all_fields (void)
{
  static const char want_json[] =
    "{\"first\":\"1969-12-31T23:59:59.999999999Z\","
    "\"last\":\"2100-01-01T00:00:00.123456789Z\","
    "\"srcaddr\":\"192.0.2.1\",\"dstaddr\":\"2001:db8::1\","
    "\"srcport\":65535,\"dstport\":2048,\"prot\":1,"
    "\"dPkts\":18446744073709551615,\"dOctets\":1,\"tcp_flags\":255,"
    "\"tos\":254,\"input\":4294967295,\"output\":0,"
    "\"nexthop\":\"10.0.0.1\",\"exaddr\":\"::ffff:192.0.2.7\","
    "\"src_as\":4200000000,\"dst_as\":64512,\"src_mask\":32,"
    "\"dst_mask\":128,\"engine_type\":65535,\"engine_id\":7,"
    "\"app_latency_us\":18446744073709551615,"
    "\"bgp_nexthop\":\"198.51.100.61\",\"biflow_dir\":2,"
    "\"cli_latency_us\":0,\"dFlows\":4294967295,\"direction\":1,"
    "\"dst_tag\":22,\"dst_tos\":34,\"dst_vlan\":4095,"
    "\"dst_xlt_ip\":\"fe80::2\",\"dst_xlt_port\":443,\"egress_vrf\":67,"
    "\"extra_pkts\":23,\"flow_end_reason\":37,"
    "\"flow_id\":18446744073709551614,\"fwd_status\":64,"
    "\"in_dst_mac\":\"02:99:c3:90:66:bc\",\"in_encaps\":24,"
    "\"in_src_mac\":\"00:00:00:00:00:00\",\"ingress_vrf\":66,"
    "\"marked_tos\":25,\"mpls_1\":\"1048575-7-1\",\"mpls_10\":\"0-0-0\","
    "\"mpls_2\":\"2000-1-0\",\"mpls_3\":\"3000-2-0\",\"mpls_4\":\"4000-3-0\","
    "\"mpls_5\":\"5000-4-0\",\"mpls_6\":\"6000-5-0\",\"mpls_7\":\"7000-6-0\","
    "\"mpls_8\":\"8000-7-0\",\"mpls_9\":\"9000-0-0\","
    "\"next_as\":42,\"out_bytes\":39,\"out_dst_mac\":\"ff:ff:ff:ff:ff:ff\","
    "\"out_encaps\":26,\"out_packets\":38,"
    "\"out_src_mac\":\"02:81:3e:ce:30:cc\","
    "\"peer_nexthop\":\"2001:db8::27\",\"prev_as\":43,"
    "\"recv_time\":\"2038-01-19T03:14:08.000000000Z\","
    "\"router_sc\":\"192.0.2.29\",\"src_tag\":30,\"src_vlan\":40,"
    "\"src_xlt_ip\":\"203.0.113.62\",\"src_xlt_port\":64,"
    "\"srv_latency_us\":60,\"tag\":31}\n";
  FlFlow flow;
  g_autofree char *json = NULL, *csv = NULL;

  fill_all_fields (&flow);
  json = write_flows (FL_OUTPUT_JSON, &flow, 1);
  g_assert_cmpstr (json, ==, want_json);
  csv = write_flows (FL_OUTPUT_CSV, &flow, 1);
  g_assert_cmpstr (csv, ==, all_fields_csv);

  /* A caller built against ABI 1.0 (smaller struct): only the fields its
   * struct holds, even if the bits beyond say otherwise. */
  flow.struct_size = G_STRUCT_OFFSET (FlFlow, present_hi);
  g_free (json);
  json = write_flows (FL_OUTPUT_JSON, &flow, 1);
  g_assert_null (strstr (json, "mpls_1"));
  g_assert_null (strstr (json, "flow_id"));
  g_assert_nonnull (strstr (json, "\"dFlows\":4294967295,\"dst_tag\":22,"
                                  "\"extra_pkts\":23,"));
  g_assert_true (g_str_has_suffix (json, ",\"tag\":31}\n"));

  /* A writer that sees both sizes in turn prints each flow as a writer
   * of its own does (what a struct size holds is kept per writer). */
  {
    FlFlow mixed[3];
    g_autofree char *small_csv = write_flows (FL_OUTPUT_CSV, &flow, 1);
    g_autofree char *got_csv = NULL, *got_json = NULL;
    g_autofree char *want_mixed_csv = NULL, *want_mixed_json = NULL;

    fill_all_fields (&mixed[0]);
    mixed[1] = flow;
    mixed[2] = mixed[0];
    got_csv = write_flows (FL_OUTPUT_CSV, mixed, 3);
    want_mixed_csv = g_strconcat (all_fields_csv, strchr (small_csv, '\n') + 1,
                                  strchr (all_fields_csv, '\n') + 1, NULL);
    g_assert_cmpstr (got_csv, ==, want_mixed_csv);
    got_json = write_flows (FL_OUTPUT_JSON, mixed, 3);
    want_mixed_json = g_strconcat (want_json, json, want_json, NULL);
    g_assert_cmpstr (got_json, ==, want_mixed_json);
  }
}

/* Every output field alone, one after the other in one writer and each
 * twice: the runs of empty csv cells around an extra take every length
 * from 0 to all of them, the writer's memory of the previous flow's extras
 * is hit and missed, and the cell reads as in the all-fields row. */
static void
test_writer_one_field (void)
{
  g_auto (GStrv) lines = g_strsplit (all_fields_csv, "\n", -1);
  g_auto (GStrv) cells = g_strsplit (lines[1], ",", -1);
  g_autoptr (GString) want = g_string_new (lines[0]);
  g_autofree FlFlow *flows = NULL;
  g_autofree char *got = NULL;
  const FlField *order;
  guint n_order;

  order = fl_field_get_output_order (&n_order);
  g_assert_cmpuint (g_strv_length (cells), ==, n_order);
  flows = g_new (FlFlow, 2 * n_order);
  g_string_append_c (want, '\n');
  for (guint i = 0; i < 2 * n_order; i++)
    {
      fill_all_fields (&flows[i]);
      flows[i].present = flows[i].present_hi = 0;
      fl_flow_set (&flows[i], order[i / 2]);
      for (guint j = 0; j < n_order; j++)
        {
          if (j > 0)
            g_string_append_c (want, ',');
          if (j == i / 2)
            g_string_append (want, cells[j]);
        }
      g_string_append_c (want, '\n');
    }
  got = write_flows (FL_OUTPUT_CSV, flows, 2 * n_order);
  g_assert_cmpstr (got, ==, want->str);
}

/* The nfcapd expected output (written from nfdump's own view of the file)
 * uses the same key names in the same order as the writers. */
static void
test_writer_rich_key_order (void)
{
  g_autofree char *path =
    fl_test_corpus_path ("nfcapd/expected/v16-ipfix-rich.nfcapd.jsonl");
  g_autofree char *text = NULL, *first = NULL;
  g_autoptr (GRegex) re = g_regex_new ("\"([A-Za-z0-9_]+)\":", 0, 0, NULL);
  g_autoptr (GMatchInfo) m = NULL;
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) want = g_ptr_array_new ();
  g_autoptr (GHashTable) in_file = g_hash_table_new (g_str_hash, g_str_equal);
  const FlField *order;
  guint n_order;
  gsize len;

  text = fl_test_read_file (path, &len);
  first = g_strndup (text, strcspn (text, "\n"));
  for (g_regex_match (re, first, 0, &m); g_match_info_matches (m);
       g_match_info_next (m, NULL))
    g_ptr_array_add (keys, g_match_info_fetch (m, 1));
  /* the rich file carries most of the nfcapd fields */
  g_assert_cmpuint (keys->len, >=, 50);
  for (guint i = 0; i < keys->len; i++)
    {
      g_assert_cmpint (fl_field_from_name (keys->pdata[i]), >=, 0);
      g_hash_table_add (in_file, keys->pdata[i]);
    }
  order = fl_field_get_output_order (&n_order);
  for (guint i = 0; i < n_order; i++)
    if (g_hash_table_contains (in_file, fl_field_name (order[i])))
      g_ptr_array_add (want, (gpointer) fl_field_name (order[i]));
  g_assert_cmpuint (want->len, ==, keys->len);
  for (guint i = 0; i < keys->len; i++)
    g_assert_cmpstr (keys->pdata[i], ==, want->pdata[i]);
}

static void
test_writer_empty_flow (void)
{
  FlFlow flow;
  g_autofree char *json = NULL, *csv = NULL, *fe = NULL;
  guint n_order;
  g_autofree char *commas = (fl_field_get_output_order (&n_order),
                             g_strnfill (n_order - 1, ','));
  const char *nl;

  fl_flow_init (&flow);
  json = write_flows (FL_OUTPUT_JSON, &flow, 1);
  g_assert_cmpstr (json, ==, "{}\n");
  csv = write_flows (FL_OUTPUT_CSV, &flow, 1);
  nl = strchr (csv, '\n');
  g_assert_nonnull (nl);
  {
    g_autofree char *row = g_strconcat (commas, "\n", NULL);
    g_assert_cmpstr (nl + 1, ==, row);
  }
  /* flow-export: absent addresses 0.0.0.0, absent numbers 0; the time
   * columns are synthesized (uptime 2^31 ms) */
  fe = write_flows (FL_OUTPUT_FLOW_EXPORT, &flow, 1);
  g_assert_cmpstr (strchr (fe, '\n') + 1, ==,
                   "0,0,2147483648,0.0.0.0,0,0,2147483648,2147483648,0,0,"
                   "0.0.0.0,0.0.0.0,0.0.0.0,0,0,0,0,0,0,0,0,0,0,0\n");
}

/* flow-export times of a flow without FL_FIELD_FT_TIMES (the rule in
 * fl-writer.c): unix time = last, uptime of last = sysuptime = 2^31 ms,
 * uptime of first = sysuptime - (last - first) in whole ms. */
static void
test_writer_flow_export_synth (void)
{
  FlFlow flow;
  g_autofree char *fe = NULL;
  g_auto (GStrv) cols = NULL;

  fl_flow_init (&flow);
  flow.present = FL_FIELD_BIT (FL_FIELD_FIRST) | FL_FIELD_BIT (FL_FIELD_LAST) |
                 FL_FIELD_BIT (FL_FIELD_DPKTS);
  flow.last = G_GINT64_CONSTANT (1700000000123456789);
  flow.first = flow.last - G_GINT64_CONSTANT (5000999999); /* 5000.999999 ms */
  flow.dPkts = 7;
  fe = write_flows (FL_OUTPUT_FLOW_EXPORT, &flow, 1);
  cols = g_strsplit (strchr (fe, '\n') + 1, ",", -1);
  g_assert_cmpuint (g_strv_length (cols), ==, 24);
  g_assert_cmpstr (cols[0], ==, "1700000000");
  g_assert_cmpstr (cols[1], ==, "123456789");
  g_assert_cmpstr (cols[2], ==, "2147483648");
  g_assert_cmpstr (cols[4], ==, "7");
  g_assert_cmpstr (cols[6], ==, "2147478648"); /* 2^31 - 5000 */
  g_assert_cmpstr (cols[7], ==, "2147483648");
  /* the time rule gives last back exactly, first to the millisecond */
  g_assert_cmpint (fl_time_from_uptime (1700000000, 123456789, 2147483648u,
                                        2147478648u), ==,
                   flow.last - G_GINT64_CONSTANT (5000000000));

  /* with the raw times present they are written as they are */
  flow.present |= FL_FIELD_BIT (FL_FIELD_FT_TIMES);
  flow.unix_secs = 1;
  flow.unix_nsecs = 2;
  flow.sysuptime = 3;
  flow.uptime_first = 4294967295u;
  flow.uptime_last = 5;
  g_free (fe);
  fe = write_flows (FL_OUTPUT_FLOW_EXPORT, &flow, 1);
  g_assert_true (g_str_has_prefix (strchr (fe, '\n') + 1,
                                   "1,2,3,0.0.0.0,7,0,4294967295,5,"));
}

/* The writers cache the formatted day; every time must still read as
 * fl_time_to_string() writes it, also across seconds and before 1970. */
static void
test_writer_times (void)
{
  static const gint64 times[] = {
    0, 1, 999999999, 1000000000, 1000000001, 1000000001, 1417008896044593150,
    1417008896999999999, 1417008897000000000, -1, -999999999, -1000000000,
    -1000000001, G_MAXINT64, G_MININT64, G_GINT64_CONSTANT (4102444800000000000),
  };
  FlFlow flows[G_N_ELEMENTS (times)];
  g_autoptr (GString) want = g_string_new (NULL);
  g_autofree char *got = NULL;
  GRand *rand = g_rand_new_with_seed (42);

  for (gsize i = 0; i < G_N_ELEMENTS (times); i++)
    {
      char a[FL_TIME_STRLEN], b[FL_TIME_STRLEN];
      gint64 r = g_rand_int_range (rand, 0, 2000000000);
      gint64 other = times[i] >= 0 ? times[i] - r : times[i] + r;

      fl_flow_init (&flows[i]);
      flows[i].present = FL_FIELD_BIT (FL_FIELD_FIRST) |
                         FL_FIELD_BIT (FL_FIELD_LAST) |
                         FL_FIELD_BIT (FL_FIELD_RECV_TIME);
      flows[i].first = other;
      flows[i].last = times[i];
      flows[i].recv_time = times[i];
      g_string_append_printf (want, "{\"first\":\"%s\",\"last\":\"%s\","
                              "\"recv_time\":\"%s\"}\n",
                              fl_time_to_string (other, a),
                              fl_time_to_string (times[i], b), b);
    }
  g_rand_free (rand);
  got = write_flows (FL_OUTPUT_JSON, flows, G_N_ELEMENTS (flows));
  g_assert_cmpstr (got, ==, want->str);
}

static void
test_writer_addresses (void)
{
  static const char *const addrs[] = {
    "0.0.0.0", "255.255.255.255", "10.0.0.1", "192.0.2.85", "::",
    "::1", "2001:db8::1", "fe80::1:2:3:4", "2001:db8:0:0:1:0:0:1",
    "::ffff:192.0.2.1",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (addrs); i++)
    {
      FlFlow flow;
      char buf[FL_ADDR_STRLEN];
      g_autofree char *want = NULL, *got = NULL;

      fl_flow_init (&flow);
      g_assert_true (fl_addr_parse (&flow.srcaddr, addrs[i]));
      flow.present = FL_FIELD_BIT (FL_FIELD_SRCADDR);
      want = g_strdup_printf ("{\"srcaddr\":\"%s\"}\n",
                              fl_addr_to_string (&flow.srcaddr, buf));
      got = write_flows (FL_OUTPUT_JSON, &flow, 1);
      g_assert_cmpstr (got, ==, want);
    }
}

/* The core formats addresses by hand (inet_ntop is slow): it must agree
 * with inet_ntop() (RFC 5952) on every shape of IPv6 address, so the groups
 * are drawn from 0, 1, 0xffff and random values. */
static void
test_writer_addresses_random (void)
{
  enum { N = 20000 };
  GRand *rand = g_rand_new_with_seed (5952);
  FlFlow *flows = g_new0 (FlFlow, N);
  g_autoptr (GString) want = g_string_new (NULL);
  g_autofree char *got = NULL;

  for (guint i = 0; i < N; i++)
    {
      char a[FL_ADDR_STRLEN], b[FL_ADDR_STRLEN];

      fl_flow_init (&flows[i]);
      flows[i].present = FL_FIELD_BIT (FL_FIELD_SRCADDR) |
                         FL_FIELD_BIT (FL_FIELD_EXADDR);
      flows[i].srcaddr.family = 6;
      for (int w = 0; w < 8; w++)
        {
          guint v;

          if (i < 512) /* first every set of zero groups, twice */
            v = (i & (1u << w)) ? 0 : (guint) g_rand_int_range (rand, 1, 0x10000);
          else
            switch (g_rand_int_range (rand, 0, 5))
              {
              case 0: case 1: v = 0; break;
              case 2: v = 0xffff; break;
              case 3: v = (guint) g_rand_int_range (rand, 0, 300); break;
              default: v = g_rand_int_range (rand, 0, 0x10000); break;
              }
          flows[i].srcaddr.addr[2 * w] = (guint8) (v >> 8);
          flows[i].srcaddr.addr[2 * w + 1] = (guint8) v;
        }
      flows[i].exaddr.family = 4;
      for (int k = 0; k < 4; k++)
        flows[i].exaddr.addr[k] = (guint8) g_rand_int_range (rand, 0, 256);
      g_string_append_printf (want, "{\"srcaddr\":\"%s\",\"exaddr\":\"%s\"}\n",
                              inet_ntop (AF_INET6, flows[i].srcaddr.addr, a, sizeof a),
                              inet_ntop (AF_INET, flows[i].exaddr.addr, b, sizeof b));
    }
  got = write_flows (FL_OUTPUT_JSON, flows, N);
  fl_test_assert_same_bytes ("random addresses", got, strlen (got),
                             want->str, want->len);
  g_free (flows);
  g_rand_free (rand);
}

/* Numbers are formatted by table lookups and shifts (fl-format.h): every
 * number field, every length from 1 to 20 digits and the edges around each
 * power of ten must print as printf() prints them, in json and csv. */
static void
test_writer_numbers (void)
{
  static const FlField fields[] = {
    FL_FIELD_SRCPORT, FL_FIELD_PROT, FL_FIELD_DPKTS, FL_FIELD_DOCTETS,
    FL_FIELD_INPUT, FL_FIELD_SRC_AS, FL_FIELD_SRC_MASK, FL_FIELD_ENGINE_ID,
    FL_FIELD_TAG,
  };
  enum { N = 4000 };
  FlFlow *flows = g_new0 (FlFlow, N);
  g_autoptr (GString) json = g_string_new (NULL);
  g_autoptr (GString) csv = g_string_new (NULL);
  g_autofree char *got_json = NULL, *got_csv = NULL;
  GRand *rand = g_rand_new_with_seed (1010);
  guint n_order;
  const FlField *order = fl_field_get_output_order (&n_order);

  for (guint i = 0; i < N; i++)
    {
      guint64 v[G_N_ELEMENTS (fields)];
      const char *sep = "{";
      GString *row = g_string_new (NULL);

      fl_flow_init (&flows[i]);
      for (gsize k = 0; k < G_N_ELEMENTS (fields); k++)
        {
          /* i < 64: 10^d - 1, 10^d, 10^d + 1 for d = i / 3; then random
           * values of a random length */
          guint64 x = 1, r = (guint64) g_rand_int (rand) << 32 | g_rand_int (rand);
          guint digits = i < 64 ? i / 3 : (guint) g_rand_int_range (rand, 1, 21);

          for (guint d = 0; d < digits && d < 19; d++)
            x *= 10;
          if (i < 64)
            x = x + (guint64) (i % 3) - 1;
          else if (digits < 20)
            x = r % x;   /* below 10^digits */
          else
            x = r;
          if (i == 0)
            x = 0;
          if (i == 1)
            x = G_MAXUINT64;
          switch (fields[k])
            {
            case FL_FIELD_SRCPORT: flows[i].srcport = (guint16) x; v[k] = flows[i].srcport; break;
            case FL_FIELD_PROT: flows[i].prot = (guint8) x; v[k] = flows[i].prot; break;
            case FL_FIELD_DPKTS: flows[i].dPkts = x; v[k] = x; break;
            case FL_FIELD_DOCTETS: flows[i].dOctets = x / 7; v[k] = x / 7; break;
            case FL_FIELD_INPUT: flows[i].input = (guint32) x; v[k] = flows[i].input; break;
            case FL_FIELD_SRC_AS: flows[i].src_as = (guint32) (x >> 3); v[k] = flows[i].src_as; break;
            case FL_FIELD_SRC_MASK: flows[i].src_mask = (guint8) (x >> 1); v[k] = flows[i].src_mask; break;
            case FL_FIELD_ENGINE_ID: flows[i].engine_id = (guint16) (x >> 2); v[k] = flows[i].engine_id; break;
            case FL_FIELD_TAG: default: flows[i].tag = (guint32) x; v[k] = flows[i].tag; break;
            }
          flows[i].present |= FL_FIELD_BIT (fields[k]);
        }
      /* expected lines, fields in output order */
      for (guint o = 0; o < n_order; o++)
        {
          FlField f = order[o];
          gsize k;

          for (k = 0; k < G_N_ELEMENTS (fields) && fields[k] != f; k++)
            ;
          if (o > 0)
            g_string_append_c (row, ',');
          if (k == G_N_ELEMENTS (fields))
            continue;
          g_string_append_printf (row, "%" G_GUINT64_FORMAT, v[k]);
          g_string_append_printf (json, "%s\"%s\":%" G_GUINT64_FORMAT, sep,
                                  fl_field_name ((FlField) f), v[k]);
          sep = ",";
        }
      g_string_append (json, "}\n");
      g_string_append_printf (csv, "%s\n", row->str);
      g_string_free (row, TRUE);
    }
  g_rand_free (rand);
  got_json = write_flows (FL_OUTPUT_JSON, flows, N);
  fl_test_assert_same_bytes ("numbers json", got_json, strlen (got_json),
                             json->str, json->len);
  got_csv = write_flows (FL_OUTPUT_CSV, flows, N);
  g_assert_nonnull (strchr (got_csv, '\n'));
  {
    const char *body = strchr (got_csv, '\n') + 1;

    fl_test_assert_same_bytes ("numbers csv", body, strlen (body),
                               csv->str, csv->len);
  }
  g_free (flows);
}

static void
test_writer_parse (void)
{
  FlOutputFormat f;

  g_assert_true (fl_output_format_parse ("json", &f));
  g_assert_cmpint (f, ==, FL_OUTPUT_JSON);
  g_assert_true (fl_output_format_parse ("csv", &f));
  g_assert_cmpint (f, ==, FL_OUTPUT_CSV);
  g_assert_true (fl_output_format_parse ("text", &f));
  g_assert_cmpint (f, ==, FL_OUTPUT_TEXT);
  g_assert_true (fl_output_format_parse ("flow-export", &f));
  g_assert_cmpint (f, ==, FL_OUTPUT_FLOW_EXPORT);
  g_assert_false (fl_output_format_parse ("JSON", &f));
  g_assert_false (fl_output_format_parse ("", &f));
  g_assert_false (fl_output_format_parse (NULL, &f));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/writer/empty-flow", test_writer_empty_flow);
  g_test_add_func ("/writer/times", test_writer_times);
  g_test_add_func ("/writer/all-fields", test_writer_all_fields);
  g_test_add_func ("/writer/one-field", test_writer_one_field);
  g_test_add_func ("/writer/rich-key-order", test_writer_rich_key_order);
  g_test_add_func ("/writer/flow-export-synth", test_writer_flow_export_synth);
  g_test_add_func ("/writer/addresses", test_writer_addresses);
  g_test_add_func ("/writer/addresses-random", test_writer_addresses_random);
  g_test_add_func ("/writer/numbers", test_writer_numbers);
  g_test_add_func ("/writer/parse", test_writer_parse);

  return g_test_run ();
}

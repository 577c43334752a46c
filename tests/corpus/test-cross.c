/* SPDX-License-Identifier: MIT */
/*
 * The same traffic seen by two collectors: softflowd exported one capture
 * as NetFlow v9 to flowd (flowd/mixed-v9.flowd) and to nfcapd
 * (nfdump/mixed-v9.nfcapd). Read by the native flowd reader and by
 * nfdump-exec, and by the native nfdump reader, the flows must agree, in
 * order, on every field both formats carry: first and last to the
 * millisecond (nfdump keeps milliseconds), addresses, ports, protocol,
 * packets, bytes, TCP flags. And the native nfdump reader must equal
 * nfdump-exec on every field both report.
 */
#include <flowread/flowread.h>

#include "fl-test-util.h"

static FlReader *
open_forced (FlRegistry *reg, const char *rel, const char *format)
{
  g_autofree char *path = fl_test_corpus_path (rel);
  g_autoptr (GError) error = NULL;
  FlOpenOptions opts = { sizeof opts, format };
  FlReader *r = fl_reader_open_path (reg, path, &opts, &error);

  g_assert_no_error (error);
  return r;
}

/* The next flow of both readers: TRUE while both have one; they must end
 * together and without an error. */
static gboolean
next_pair (FlReader *a, FlFlow *fa, FlReader *b, FlFlow *fb)
{
  g_autoptr (GError) error = NULL;
  FlStatus sa = fl_reader_next (a, fa, &error);
  FlStatus sb;

  g_assert_no_error (error);
  sb = fl_reader_next (b, fb, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sa, ==, sb);
  return sa == FL_STATUS_OK;
}

/* Milliseconds, rounded down also before 1970. */
static gint64
to_ms (gint64 ns)
{
  return ns >= 0 ? ns / 1000000 : -((-ns + 999999) / 1000000);
}

static void
test_flowd_vs_nfdump (gconstpointer data)
{
  const char *nfdump_reader = data;
  static const FlField addr_fields[] = { FL_FIELD_SRCADDR, FL_FIELD_DSTADDR };
  g_autoptr (GError) error = NULL;
  g_autoptr (FlRegistry) reg = fl_registry_new_default (&error);
  g_autoptr (FlReader) a = NULL;
  g_autoptr (FlReader) b = NULL;
  g_autofree char *nfdump = g_find_program_in_path ("nfdump");
  FlFlow fa, fb;
  guint n = 0, ports_compared = 0;

  g_assert_no_error (error);
  g_assert_nonnull (nfdump); /* the README's install command and CI install it */
  a = open_forced (reg, "flowd/mixed-v9.flowd", "flowd");
  b = open_forced (reg, "nfdump/mixed-v9.nfcapd", nfdump_reader);
  fl_flow_init (&fa);
  fl_flow_init (&fb);

  while (next_pair (a, &fa, b, &fb))
    {
      n++;

      /* both carry these for every flow */
      g_assert_true (fl_flow_has (&fa, FL_FIELD_FIRST) && fl_flow_has (&fb, FL_FIELD_FIRST));
      g_assert_cmpint (to_ms (fa.first), ==, to_ms (fb.first));
      g_assert_cmpint (to_ms (fa.last), ==, to_ms (fb.last));
      for (guint i = 0; i < G_N_ELEMENTS (addr_fields); i++)
        {
          char x[FL_ADDR_STRLEN], y[FL_ADDR_STRLEN];
          const FlAddr *pa = addr_fields[i] == FL_FIELD_SRCADDR ? &fa.srcaddr : &fa.dstaddr;
          const FlAddr *pb = addr_fields[i] == FL_FIELD_SRCADDR ? &fb.srcaddr : &fb.dstaddr;

          g_assert_true (fl_flow_has (&fa, addr_fields[i]));
          g_assert_true (fl_flow_has (&fb, addr_fields[i]));
          g_assert_cmpstr (fl_addr_to_string (pa, x), ==, fl_addr_to_string (pb, y));
        }
      g_assert_cmpuint (fa.prot, ==, fb.prot);
      g_assert_cmpuint (fa.dPkts, ==, fb.dPkts);
      g_assert_cmpuint (fa.dOctets, ==, fb.dOctets);
      g_assert_cmpuint (fa.tcp_flags, ==, fb.tcp_flags);
      /* flowd has no ports for ICMP flows; nfdump prints type.code there */
      if (fl_flow_has (&fa, FL_FIELD_SRCPORT) && fl_flow_has (&fb, FL_FIELD_SRCPORT))
        {
          g_assert_cmpuint (fa.srcport, ==, fb.srcport);
          g_assert_cmpuint (fa.dstport, ==, fb.dstport);
          ports_compared++;
        }
    }
  g_assert_cmpuint (n, ==, 4000);
  /* most flows are TCP/UDP: the port comparison is not vacuous */
  g_assert_cmpuint (ports_compared, >, 3000);
}

/* Native nfdump vs nfdump-exec: every field both have, through the generic
 * getters, so that a field added to either side is compared too. */
static void
test_nfdump_native_vs_exec (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FlRegistry) reg = fl_registry_new_default (&error);
  g_autoptr (FlReader) a = NULL;
  g_autoptr (FlReader) b = NULL;
  g_autofree char *nfdump = g_find_program_in_path ("nfdump");
  guint n_order = 0, n = 0, compared = 0;
  const FlField *order = fl_field_get_output_order (&n_order);
  FlFlow fa, fb;

  g_assert_no_error (error);
  g_assert_nonnull (nfdump);
  a = open_forced (reg, "nfdump/mixed-v9.nfcapd", "nfdump");
  b = open_forced (reg, "nfdump/mixed-v9.nfcapd", "nfdump-exec");
  g_assert_cmpstr (fl_reader_get_format (a), ==, "nfdump");
  fl_flow_init (&fa);
  fl_flow_init (&fb);
  while (next_pair (a, &fa, b, &fb))
    {
      n++;
      for (guint i = 0; i < n_order; i++)
        {
          FlField f = order[i];
          guint64 ua, ub;
          gint64 ta, tb;
          FlAddr aa, ab;
          char x[FL_ADDR_STRLEN], y[FL_ADDR_STRLEN];

          if (!fl_flow_has (&fa, f) || !fl_flow_has (&fb, f))
            continue;
          compared++;
          switch (fl_field_get_type (f))
            {
            case FL_TYPE_TIME:
              g_assert_true (fl_flow_get_time (&fa, f, &ta));
              g_assert_true (fl_flow_get_time (&fb, f, &tb));
              g_assert_cmpint (ta, ==, tb);
              break;
            case FL_TYPE_ADDR:
              g_assert_true (fl_flow_get_addr (&fa, f, &aa));
              g_assert_true (fl_flow_get_addr (&fb, f, &ab));
              g_assert_cmpstr (fl_addr_to_string (&aa, x), ==, fl_addr_to_string (&ab, y));
              break;
            default:
              g_assert_true (fl_flow_get_uint (&fa, f, &ua));
              g_assert_true (fl_flow_get_uint (&fb, f, &ub));
              if (ua != ub)
                g_test_message ("flow %u: %s %" G_GUINT64_FORMAT " != %" G_GUINT64_FORMAT,
                                n, fl_field_name (f), ua, ub);
              g_assert_cmpuint (ua, ==, ub);
              break;
            }
        }
    }
  g_assert_cmpuint (n, ==, 4000);
  /* the exec plugin carries 19 fields per flow: most are compared */
  g_assert_cmpuint (compared, >=, 4000u * 14);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/cross/flowd-vs-nfdump-exec/mixed-v9", "nfdump-exec",
                        test_flowd_vs_nfdump);
  g_test_add_data_func ("/cross/flowd-vs-nfdump/mixed-v9", "nfdump",
                        test_flowd_vs_nfdump);
  g_test_add_func ("/cross/nfdump-vs-nfdump-exec/mixed-v9", test_nfdump_native_vs_exec);
  return g_test_run ();
}

/* SPDX-License-Identifier: MIT */
/*
 * Tests of the flowlines template plugin, through the public host API of
 * the installed libflowread (the way a host application would see it).
 *
 * meson test sets FLOWREAD_PLUGIN_PATH to this project's build folder and
 * FLOWLINES_SAMPLE to sample.flowlines. The expected values below are
 * sample.flowlines read by hand: the sample belongs to this template, so
 * the test states what it must give.
 */
#include <string.h>

#include <flowread/flowread.h>

static FlRegistry *registry;

/* ------------------------------------------------------------------ helpers */

static FlReader *
open_forced (const char *text, const char *format, GError **error)
{
  FlOpenOptions options = { sizeof options, format };

  return fl_reader_open_memory (registry, text, strlen (text), "mem",
                                &options, error);
}

/* Reads every flow; returns how many came before the end or the error.
 * *status gets the final status, *error the error (if any). */
static guint
read_all (FlReader *reader, FlStatus *status, GError **error)
{
  FlFlow flow;
  guint n = 0;

  fl_flow_init (&flow);
  while ((*status = fl_reader_next (reader, &flow, error)) == FL_STATUS_OK)
    n++;
  return n;
}

/* ------------------------------------------------------------------ tests */

static void
test_loaded (void)
{
  const char *dir = g_getenv ("FLOWREAD_PLUGIN_PATH");
  const FlPluginInfo *found = NULL;

  g_assert_nonnull (dir);
  for (guint i = 0; i < fl_registry_get_n_plugins (registry); i++)
    {
      const FlPluginInfo *p = fl_registry_get_plugin (registry, i);

      if (p->loaded && strcmp (p->name, "flowlines") == 0)
        found = p;
      else if (!p->loaded && strstr (p->file, "fl-flowlines") != NULL
               && g_str_has_prefix (p->file, dir))
        g_error ("flowlines refused: %s", p->reason);
    }
  g_assert_nonnull (found);
  g_assert_cmpint (found->kind, ==, FL_READER_FORMAT);
  g_assert_cmpint (found->probe_class, ==, FL_PROBE_MAGIC);
  g_assert_cmpstr (found->version, ==, "1.0.0");
  /* The copy under test, not an installed one from the default folder. */
  {
    g_autofree char *got = g_path_get_dirname (found->file);
    g_autofree char *want = g_canonicalize_filename (dir, NULL);
    g_autofree char *got_c = g_canonicalize_filename (got, NULL);
    g_assert_cmpstr (got_c, ==, want);
  }
}

typedef struct {
  int flowlines_score;
  gboolean flowlines_won;
} ProbeSeen;

static void
probe_cb (const FlProbeResult *r, gpointer user_data)
{
  ProbeSeen *seen = user_data;

  if (strcmp (r->reader, "flowlines") == 0)
    {
      seen->flowlines_score = r->score;
      seen->flowlines_won = r->winner;
    }
}

static void
test_probe (void)
{
  g_autoptr (GError) error = NULL;
  ProbeSeen seen = { -1, FALSE };
  static const char not_ours[] = "#flowlinez 1\n1 2 10.0.0.1 10.0.0.2 1 2 6 3 4\n";
  static const char v2[] = "#flowlines 2\n";

  g_assert_true (fl_probe_stream (registry,
                                  fl_stream_new_path (g_getenv ("FLOWLINES_SAMPLE"),
                                                      &error),
                                  probe_cb, &seen, &error));
  g_assert_no_error (error);
  g_assert_cmpint (seen.flowlines_score, ==, 100);
  g_assert_true (seen.flowlines_won);

  seen.flowlines_score = -1;
  fl_probe_stream (registry, fl_stream_new_memory (not_ours, strlen (not_ours),
                                                   "mem"),
                   probe_cb, &seen, NULL);
  g_assert_cmpint (seen.flowlines_score, ==, 0);
  g_assert_false (seen.flowlines_won);

  seen.flowlines_score = -1;
  fl_probe_stream (registry, fl_stream_new_memory (v2, strlen (v2), "mem"),
                   probe_cb, &seen, NULL);
  g_assert_cmpint (seen.flowlines_score, ==, 0);
}

/* sample.flowlines, flow by flow. */
static const struct {
  const char *first, *last, *srcaddr, *dstaddr;
  guint srcport, dstport, prot;
  guint64 pkts, bytes;
} sample[] = {
  { "2014-12-05T19:28:43.999000000Z", "2014-12-05T19:28:44.001000000Z",
    "192.0.2.85", "192.0.2.251", 551, 55851, 17, 5, 4875 },
  { "2014-12-05T19:28:44.100000000Z", "2014-12-05T19:28:45.350000000Z",
    "192.0.2.10", "198.51.100.7", 443, 51234, 6, 12, 9100 },
  { "2014-12-05T19:28:45.000000000Z", "2014-12-05T19:28:45.000000000Z",
    "2001:db8::1", "2001:db8:0:1::53", 53, 40000, 17, 1, 76 },
  { "2014-12-05T19:28:46.500000000Z", "2014-12-05T19:28:49.999000000Z",
    "192.0.2.85", "203.0.113.9", 22, 60001, 6, 40, 52011 },
  { "1970-01-01T00:00:00.000000000Z", "1970-01-01T00:00:00.001000000Z",
    "10.0.0.1", "10.0.0.2", 0, 0, 1, 1, 84 },
};

static void
check_sample_flows (FlReader *reader)
{
  g_autoptr (GError) error = NULL;
  FlFlow flow;
  guint n = 0;
  FlStatus st;

  fl_flow_init (&flow);
  while ((st = fl_reader_next (reader, &flow, &error)) == FL_STATUS_OK)
    {
      char a[FL_ADDR_STRLEN], t[FL_TIME_STRLEN];

      g_assert_cmpuint (n, <, G_N_ELEMENTS (sample));
      g_assert_cmpstr (fl_time_to_string (flow.first, t), ==, sample[n].first);
      g_assert_cmpstr (fl_time_to_string (flow.last, t), ==, sample[n].last);
      g_assert_cmpstr (fl_addr_to_string (&flow.srcaddr, a), ==,
                       sample[n].srcaddr);
      g_assert_cmpstr (fl_addr_to_string (&flow.dstaddr, a), ==,
                       sample[n].dstaddr);
      g_assert_cmpuint (flow.srcport, ==, sample[n].srcport);
      g_assert_cmpuint (flow.dstport, ==, sample[n].dstport);
      g_assert_cmpuint (flow.prot, ==, sample[n].prot);
      g_assert_cmpuint (flow.dPkts, ==, sample[n].pkts);
      g_assert_cmpuint (flow.dOctets, ==, sample[n].bytes);
      g_assert_true (fl_flow_has (&flow, FL_FIELD_DOCTETS));
      /* The format has no TCP flags: absent, not zero. */
      g_assert_false (fl_flow_has (&flow, FL_FIELD_TCP_FLAGS));
      g_assert_false (fl_flow_has (&flow, FL_FIELD_NEXTHOP));
      n++;
    }
  g_assert_no_error (error);
  g_assert_cmpint (st, ==, FL_STATUS_END);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (sample));
  /* END sticks. */
  g_assert_cmpint (fl_reader_next (reader, &flow, &error), ==, FL_STATUS_END);
}

static void
test_sample (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FlReader) reader =
    fl_reader_open_path (registry, g_getenv ("FLOWLINES_SAMPLE"), NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reader);
  g_assert_cmpstr (fl_reader_get_format (reader), ==, "flowlines");
  g_assert_cmpstr (fl_reader_get_chain (reader), ==, "flowlines");
  check_sample_flows (reader);
}

/* The same sample with "\r\n" line ends gives the same flows. */
static void
test_crlf (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GString) crlf = g_string_new (NULL);
  g_autoptr (FlReader) reader = NULL;
  g_autofree char *le = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (g_getenv ("FLOWLINES_SAMPLE"), &text,
                                      &len, &error));
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '\n')
        g_string_append_c (crlf, '\r');
      g_string_append_c (crlf, text[i]);
    }
  reader = fl_reader_open_memory (registry, crlf->str, crlf->len, "crlf",
                                  NULL, &error);
  g_assert_no_error (error);
  le = fl_reader_get_info (reader, "line_ending");
  g_assert_cmpstr (le, ==, "CRLF");
  check_sample_flows (reader);
}

static void
test_info (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FlReader) reader =
    fl_reader_open_path (registry, g_getenv ("FLOWLINES_SAMPLE"), NULL, &error);
  g_autofree char *version = NULL, *format = NULL, *le = NULL;

  g_assert_no_error (error);
  version = fl_reader_get_info (reader, "flowlines_version");
  format = fl_reader_get_info (reader, "format");
  le = fl_reader_get_info (reader, "line_ending");
  g_assert_cmpstr (version, ==, "1");
  g_assert_cmpstr (format, ==, "flowlines");
  g_assert_cmpstr (le, ==, "LF");
}

static void
test_truncated (void)
{
  /* The second flow line is cut: no "\n". */
  static const char text[] =
    "#flowlines 1\n1 2 10.0.0.1 10.0.0.2 1 2 6 3 4\n1 2 10.0";
  g_autoptr (GError) error = NULL;
  g_autoptr (FlReader) reader = fl_reader_open_memory (registry, text,
                                                       strlen (text), "cut",
                                                       NULL, &error);
  FlStatus st;
  FlFlow flow;

  g_assert_no_error (error);
  g_assert_cmpuint (read_all (reader, &st, &error), ==, 1);
  g_assert_cmpint (st, ==, FL_STATUS_ERROR);
  g_assert_error (error, FL_ERROR, FL_ERROR_TRUNCATED);
  /* The offset is where the cut line starts: 13 + 32. */
  g_assert_nonnull (strstr (error->message, "byte 45:"));
  g_assert_nonnull (strstr (error->message, "flowlines"));
  g_clear_error (&error);
  /* ERROR sticks, without a new error. */
  fl_flow_init (&flow);
  g_assert_cmpint (fl_reader_next (reader, &flow, &error), ==,
                   FL_STATUS_ERROR);
  g_assert_no_error (error);
}

static void
test_corrupt (void)
{
  static const char *const bad[] = {
    /* text, byte offset of the bad field, flows before it */
    "#flowlines 1\n1 2 10.0.0.1 10.0.0.2 1 2 6 3 4\n1 2 10.0.0.1 10.0.0.2 70000 2 6 3 4\n",
    "byte 67:", "1",
    "#flowlines 1\n1 2 10.0.0.300 10.0.0.2 1 2 6 3 4\n", "byte 17:", "0",
    "#flowlines 1\n1 2 10.0.0.1 10.0.0.2 1 2 6 3\n", "byte 42:", "0",
    "#flowlines 1\n1 2 10.0.0.1 10.0.0.2 1 2 6 3 4 5\n", "byte 45:", "0",
    "#flowlines 1\n# comment\n\n-1 2 10.0.0.1 10.0.0.2 1 2 6 3 4\n", "byte 24:", "0",
    "#flowlines 1\n1 2 10.0.0.1 10.0.0.2 1 2 256 3 4\n", "byte 39:", "0",
    "#flowlines 1\n1 2 10.0.0.1 10.0.0.2 1 2 6 3 18446744073709551616\n",
    "byte 43:", "0",
    "#flowlines 1\n99999999999999 2 10.0.0.1 10.0.0.2 1 2 6 3 4\n",
    "byte 13:", "0",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i += 3)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (FlReader) reader = fl_reader_open_memory (registry, bad[i],
                                                           strlen (bad[i]),
                                                           "bad", NULL,
                                                           &error);
      FlStatus st;

      g_test_message ("input %" G_GSIZE_FORMAT, i / 3);
      g_assert_no_error (error);
      g_assert_cmpuint (read_all (reader, &st, &error), ==,
                        g_ascii_strtoull (bad[i + 2], NULL, 10));
      g_assert_cmpint (st, ==, FL_STATUS_ERROR);
      g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
      if (strstr (error->message, bad[i + 1]) == NULL)
        g_error ("\"%s\" lacks \"%s\"", error->message, bad[i + 1]);
    }
}

static void
test_long_line (void)
{
  g_autoptr (GString) text = g_string_new ("#flowlines 1\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (FlReader) reader = NULL;
  FlStatus st;

  for (int i = 0; i < 5000; i++)
    g_string_append_c (text, ' ');
  g_string_append (text, "\n");
  reader = fl_reader_open_memory (registry, text->str, text->len, "long",
                                  NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_all (reader, &st, &error), ==, 0);
  g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "longer than"));
}

/* With --format=flowlines the probe is skipped: open() checks again. */
static void
test_forced (void)
{
  g_autoptr (GError) error = NULL;
  FlReader *reader;

  reader = open_forced ("#flowlines 2\n1 2 10.0.0.1 10.0.0.2 1 2 6 3 4\n",
                        "flowlines", &error);
  g_assert_null (reader);
  g_assert_error (error, FL_ERROR, FL_ERROR_UNSUPPORTED_VERSION);
  g_clear_error (&error);

  reader = open_forced ("first,last\n1,2\n", "flowlines", &error);
  g_assert_null (reader);
  g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
  g_clear_error (&error);

  reader = open_forced ("#flowli", "flowlines", &error);
  g_assert_null (reader);
  g_assert_error (error, FL_ERROR, FL_ERROR_TRUNCATED);
  g_clear_error (&error);

  /* The header alone is a valid, empty file. */
  reader = open_forced ("#flowlines 1\n", "flowlines", &error);
  g_assert_no_error (error);
  {
    FlStatus st;
    g_assert_cmpuint (read_all (reader, &st, &error), ==, 0);
    g_assert_cmpint (st, ==, FL_STATUS_END);
  }
  fl_reader_close (reader);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("FLOWLINES_SAMPLE") == NULL
      || g_getenv ("FLOWREAD_PLUGIN_PATH") == NULL)
    g_error ("run me with meson test (FLOWLINES_SAMPLE and "
             "FLOWREAD_PLUGIN_PATH unset)");
  registry = fl_registry_new_default (&error);
  g_assert_no_error (error);

  g_test_add_func ("/flowlines/loaded", test_loaded);
  g_test_add_func ("/flowlines/probe", test_probe);
  g_test_add_func ("/flowlines/sample", test_sample);
  g_test_add_func ("/flowlines/crlf", test_crlf);
  g_test_add_func ("/flowlines/info", test_info);
  g_test_add_func ("/flowlines/truncated", test_truncated);
  g_test_add_func ("/flowlines/corrupt", test_corrupt);
  g_test_add_func ("/flowlines/long-line", test_long_line);
  g_test_add_func ("/flowlines/forced", test_forced);
  ret = g_test_run ();
  fl_registry_unref (registry);
  return ret;
}

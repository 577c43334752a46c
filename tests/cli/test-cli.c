/* SPDX-License-Identifier: MIT */
/*
 * test-cli.c: the flowread command line (design.md section 4): exit
 * statuses, several FILEs, -c, -o csv and its round trip through the text
 * plugin, -o flow-export for inputs without flow-tools times, --fields,
 * --probe, --list-plugins, --info, -F, --help against the man page,
 * --version, a closed output pipe. The writers' formatting in-process is
 * tests/writer. Expected flows come from the corpus.
 */
#include <stdarg.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include <flowread/flowread-plugin.h>
#include "fl-writer.h"
#include "fl-test-util.h"

/* Every plugin of design.md section 5, with its kind. */
static const struct { const char *name, *kind; } all_plugins[] = {
  { "flowtools-exec", "format" },
  { "flowd-exec", "format" },
  { "gzip", "wrapper" },
  { "text", "format" },
  { "flowtools", "format" },
  { "flowd", "format" },
  { "nfdump-exec", "format" },
};

/* Every option of the CLI, as --help and the man page must show them. */
static const char *const all_options[] = {
  "-o, --output=", "--fields=", "-F, --format=", "--probe", "--list-plugins",
  "--info", "-c, --count", "--plugin-dir=", "--filter=", "--since=",
  "--until=", "-R, --recursive", "-h, --help", "--version",
};

static GPtrArray *manifest;

/* ------------------------------------------------------------ helpers */

static const FlTestManifestRow *
find_row (const char *file)
{
  for (guint i = 0; i < manifest->len; i++)
    {
      const FlTestManifestRow *row = manifest->pdata[i];

      if (strcmp (row->file, file) == 0)
        return row;
    }
  g_error ("%s is not in MANIFEST.tsv", file);
  return NULL;
}

static char *
expected_json (const char *file, gsize *len)
{
  return fl_test_corpus_read (find_row (file)->expected, len);
}

/* Runs the CLI with a NULL-terminated list of arguments. */
static void
run (FlTestRun *r, const char *first, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  fl_test_run_cli (r, NULL, (const char *const *) args->pdata);
}

static char *
tmp_path (const char *name)
{
  g_autofree char *base = g_strdup_printf ("flowread-test-cli-%d-%s",
                                           (int) getpid (), name);

  return g_build_filename (g_get_tmp_dir (), base, NULL);
}

/* ------------------------------------------------------------ usage */

static void
test_usage_errors (void)
{
  g_autofree char *ok = fl_test_corpus_path ("flowd/synth-mixed.log");
  const char *const cases[][4] = {
    { "--no-such-option", ok, NULL },
    { "-o", "yaml", ok, NULL },
    { "--output=JSON", ok, NULL },
    { "-F", "no-such-plugin", ok, NULL },
    { "-F", "gzip", ok, NULL },          /* a wrapper, not a format */
    { "-o", "json", NULL },              /* no FILE */
    { "--probe", "--info", ok, NULL },   /* two modes */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      FlTestRun r;

      fl_test_run_cli (&r, NULL, cases[i]);
      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i][0]);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_cmpuint (r.out_len, ==, 0);
      g_assert_true (g_str_has_prefix (r.err, "flowread: "));
      fl_test_run_clear (&r);
    }
  {
    FlTestRun r;
    const char *none[] = { NULL };

    fl_test_run_cli (&r, NULL, none);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "FILE"));
    fl_test_run_clear (&r);
  }
}

static void
test_missing_file (void)
{
  FlTestRun r;

  run (&r, "-o", "json", "/nonexistent/flowread-test.ft", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpuint (r.out_len, ==, 0);
  g_assert_true (g_str_has_prefix (r.err, "flowread: "));
  g_assert_nonnull (strstr (r.err, "/nonexistent/flowread-test.ft"));
  fl_test_run_clear (&r);
}

/* ------------------------------------------------------------ several FILEs */

static void
test_several_files (void)
{
  const char *files[] = { "flow-tools/real-v5-le.ft", "flowd/edge-bad-crc.log",
                          "gzip/mixed-v9.flowd.gz" };
  g_autofree char *a = fl_test_corpus_path (files[0]);
  g_autofree char *b = fl_test_corpus_path (files[1]);
  g_autofree char *c = fl_test_corpus_path (files[2]);
  g_autoptr (GString) want = g_string_new (NULL);
  FlTestRun r;

  /* the bad FILE's flows before the damage are written too */
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      gsize len;
      g_autofree char *e = expected_json (files[i], &len);
      g_string_append_len (want, e, (gssize) len);
    }
  run (&r, "-o", "json", a, b, "/nonexistent/x.log", c, NULL);
  fl_test_assert_same_bytes ("a bad x.log c", r.out, r.out_len, want->str,
                             want->len);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "edge-bad-crc.log"));
  g_assert_nonnull (strstr (r.err, "/nonexistent/x.log"));
  fl_test_run_clear (&r);
}

static void
test_truncated_status (void)
{
  g_autofree char *ok = fl_test_corpus_path ("flowd/synth-mixed.log");
  g_autofree char *trunc = fl_test_corpus_path ("flow-tools/trunc-v5.ft");
  g_autofree char *bad = fl_test_corpus_path ("flowd/edge-bad-crc.log");
  FlTestRun r;

  run (&r, "-c", trunc, NULL);
  g_assert_cmpint (r.status, ==, 3);
  g_assert_cmpstr (r.out, ==, "468\n");
  g_assert_nonnull (strstr (r.err, "truncated"));
  fl_test_run_clear (&r);

  /* truncated beats ok, error beats truncated, whatever the order */
  run (&r, "-o", "json", ok, trunc, ok, NULL);
  g_assert_cmpint (r.status, ==, 3);
  g_assert_cmpuint (fl_test_count_lines (r.out, r.out_len), ==, 3 + 468 + 3);
  fl_test_run_clear (&r);
  run (&r, "-o", "csv", bad, trunc, NULL);
  g_assert_cmpint (r.status, ==, 1);
  fl_test_run_clear (&r);
  run (&r, "-o", "csv", trunc, bad, NULL);
  g_assert_cmpint (r.status, ==, 1);
  fl_test_run_clear (&r);
}

/* ------------------------------------------------------------ -c */

static void
test_count_row (gconstpointer data)
{
  const FlTestManifestRow *row = data;
  g_autofree char *path = fl_test_corpus_path (row->file);
  g_autofree char *want = g_strdup_printf ("%u\n", row->flows);
  int status = strcmp (row->outcome, "ok") == 0 ? 0
             : strcmp (row->outcome, "truncated") == 0 ? 3 : 1;
  FlTestRun r;

  run (&r, "-c", path, NULL);
  g_assert_cmpstr (r.out, ==, want);
  g_assert_cmpint (r.status, ==, status);
  fl_test_run_clear (&r);
}

static void
test_count_several (void)
{
  g_autofree char *a = fl_test_corpus_path ("flowd/synth-mixed.log");
  g_autofree char *b = fl_test_corpus_path ("flow-tools/big-v5.ft");
  g_autofree char *want = g_strdup_printf ("3 %s\n1000 %s\n1003 total\n", a, b);
  FlTestRun r;

  run (&r, "--count", a, b, NULL);
  g_assert_cmpstr (r.out, ==, want);
  g_assert_cmpint (r.status, ==, 0);
  fl_test_run_clear (&r);
}

/* ------------------------------------------------------------ csv */

static void
test_csv_header (void)
{
  g_autofree char *path = fl_test_corpus_path ("flowd/synth-all-v6.log");
  g_autoptr (GString) header = g_string_new (NULL);
  FlTestRun r;
  const char *nl;
  guint n_order;
  const FlField *order = fl_field_get_output_order (&n_order);

  for (guint i = 0; i < n_order; i++)
    g_string_append_printf (header, "%s%s", i > 0 ? "," : "",
                            fl_field_name (order[i]));
  g_string_append_c (header, '\n');

  run (&r, "-o", "csv", path, path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, header->str));
  /* one header for the whole output, one row per flow */
  g_assert_cmpuint (fl_test_count_lines (r.out, r.out_len), ==, 1 + 2);
  nl = strchr (r.out + header->len, '\n');
  g_assert_nonnull (nl);
  /* every row has all the columns */
  {
    g_autofree char *row = g_strndup (r.out + header->len,
                                      (gsize) (nl - r.out) - header->len);
    g_auto (GStrv) cells = g_strsplit (row, ",", -1);
    g_assert_cmpuint (g_strv_length (cells), ==, n_order);
    g_assert_cmpstr (cells[FL_FIELD_SRCADDR], ==, "2001:db8:1::1");
  }
  fl_test_run_clear (&r);

  /* an empty input still gives the header */
  {
    g_autofree char *empty = fl_test_corpus_path ("flow-tools/empty-v5.ft");

    run (&r, "-o", "csv", empty, NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, header->str);
    fl_test_run_clear (&r);
  }
}

/* flowread -o csv FILE > tmp; flowread -o json tmp == flowread -o json FILE */
static void
test_csv_round_trip (gconstpointer data)
{
  const char *file = data;
  g_autofree char *path = fl_test_corpus_path (file);
  g_autofree char *tmp = tmp_path ("round-trip.csv");
  g_autoptr (GError) error = NULL;
  FlTestRun direct, csv, back;

  fl_test_assert_plugin_loaded ("text");
  run (&direct, "-o", "json", path, NULL);
  g_assert_cmpint (direct.status, ==, 0);
  g_assert_cmpuint (direct.out_len, >, 0);
  run (&csv, "-o", "csv", path, NULL);
  g_assert_cmpint (csv.status, ==, 0);
  g_file_set_contents (tmp, csv.out, (gssize) csv.out_len, &error);
  g_assert_no_error (error);
  run (&back, "-o", "json", tmp, NULL);
  g_unlink (tmp);
  g_assert_cmpstr (back.err, ==, "");
  fl_test_assert_same_bytes (file, back.out, back.out_len, direct.out,
                             direct.out_len);
  g_assert_cmpint (back.status, ==, 0);
  fl_test_run_clear (&direct);
  fl_test_run_clear (&csv);
  fl_test_run_clear (&back);
}

/* ------------------------------------------------------------ flow-export */

/* The "last" values of json lines, in order. */
static GPtrArray *
json_values (const char *json, const char *key)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *needle = g_strdup_printf ("\"%s\":\"", key);

  for (const char *p = json; (p = strstr (p, needle)) != NULL;)
    {
      const char *v = p + strlen (needle), *end = strchr (v, '"');

      g_assert_nonnull (end);
      g_ptr_array_add (values, g_strndup (v, (gsize) (end - v)));
      p = end;
    }
  return values;
}

/* nfdump has no flow-tools times: -o flow-export writes the v5 columns
 * with synthesized times, which read back give `last` exactly and `first`
 * to the millisecond (the rule in fl-writer.c and the man page). */
static void
test_flow_export_synth (void)
{
  g_autofree char *path = fl_test_corpus_path ("nfdump/mixed-v5.nfcapd");
  g_autofree char *tmp = tmp_path ("synth.csv");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) last_want = NULL, last_got = NULL;
  g_autoptr (GPtrArray) first_want = NULL, first_got = NULL;
  g_autofree char *want = expected_json ("nfdump/mixed-v5.nfcapd", NULL);
  FlTestRun fe, back;

  fl_test_assert_plugin_loaded ("nfdump-exec");
  run (&fe, "-o", "flow-export", path, NULL);
  g_assert_cmpint (fe.status, ==, 0);
  g_assert_true (g_str_has_prefix (fe.out,
    "#:unix_secs,unix_nsecs,sysuptime,exaddr,dpkts,doctets,first,last,"
    "engine_type,engine_id,srcaddr,dstaddr,nexthop,input,output,srcport,"
    "dstport,prot,tos,tcp_flags,src_mask,dst_mask,src_as,dst_as\n"));
  g_assert_cmpuint (fl_test_count_lines (fe.out, fe.out_len), ==,
                    find_row ("nfdump/mixed-v5.nfcapd")->flows + 1);
  /* synthesized: sysuptime 2^31 ms, last = sysuptime */
  g_assert_nonnull (strstr (fe.out, ",2147483648,"));

  fl_test_assert_plugin_loaded ("text");
  g_file_set_contents (tmp, fe.out, (gssize) fe.out_len, &error);
  g_assert_no_error (error);
  run (&back, "-o", "json", tmp, NULL);
  g_unlink (tmp);
  g_assert_cmpint (back.status, ==, 0);
  last_want = json_values (want, "last");
  last_got = json_values (back.out, "last");
  g_assert_cmpuint (last_got->len, ==, last_want->len);
  for (guint i = 0; i < last_got->len && i < last_want->len; i++)
    g_assert_cmpstr (last_got->pdata[i], ==, last_want->pdata[i]);
  first_want = json_values (want, "first");
  first_got = json_values (back.out, "first");
  g_assert_cmpuint (first_got->len, ==, first_want->len);
  for (guint i = 0; i < first_got->len && i < first_want->len; i++)
    {
      /* same up to the millisecond: "YYYY-MM-DDTHH:MM:SS.mmm" */
      const char *g = first_got->pdata[i], *w = first_want->pdata[i];

      g_assert_cmpuint (strlen (g), ==, strlen (w));
      g_assert_cmpint (strncmp (g, w, 23), ==, 0);
    }
  fl_test_run_clear (&fe);
  fl_test_run_clear (&back);
}

/* ------------------------------------------------------------ text */

static void
test_text (void)
{
  g_autofree char *path = fl_test_corpus_path ("flow-tools/real-v5-le.ft");
  FlTestRun r, r2;
  g_auto (GStrv) lines = NULL;

  run (&r, path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  lines = g_strsplit (r.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 3 + 1);
  g_assert_true (g_str_has_prefix (lines[0], "first "));
  g_assert_nonnull (strstr (lines[0], "srcaddr"));
  g_assert_nonnull (strstr (lines[0], "dOctets"));
  /* fixed widths: every line as long as the header */
  for (guint i = 1; i < 4; i++)
    g_assert_cmpuint (strlen (lines[i]), ==, strlen (lines[0]));
  g_assert_true (g_str_has_prefix (lines[1], "2023-11-14T22:13:10.123456789Z "));
  g_assert_nonnull (strstr (lines[1], " 10.1.2.3 "));

  run (&r2, "-o", "text", path, NULL);
  g_assert_cmpstr (r2.out, ==, r.out);
  fl_test_run_clear (&r);
  fl_test_run_clear (&r2);
}

/* ------------------------------------------------------------ --probe */

static void
test_probe (void)
{
  const struct { const char *file, *winner; } cases[] = {
    { "gzip/mixed-v9.flowd.gz", "winner: gzip > flowd\n" },
    { "flow-tools/real-v8.6-be.ft", "winner: flowtools\n" },
    { "gzip/mixed-v5-le-z0.ft.gz.gz", "winner: gzip > gzip > flowtools\n" },
    { "text/mixed-v5.flow-export.csv", "winner: text\n" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = fl_test_corpus_path (cases[i].file);
      FlTestRun r;

      run (&r, "--probe", path, NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_true (g_str_has_suffix (r.out, cases[i].winner));
      /* every format plugin's score is shown */
      for (gsize p = 0; p < G_N_ELEMENTS (all_plugins); p++)
        {
          g_autofree char *needle = g_strdup_printf (" %s ",
                                                     all_plugins[p].name);
          g_assert_nonnull (strstr (r.out, needle));
        }
      /* --probe reads no flows */
      g_assert_null (strstr (r.out, "{\""));
      fl_test_run_clear (&r);
    }
}

/* ------------------------------------------------------------ --list-plugins */

static void
test_list_plugins (void)
{
  g_autofree char *dir = g_dir_make_tmp ("flowread-test-cli-XXXXXX", NULL);
  g_autofree char *bogus = g_build_filename (dir, "fl-bogus.so", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  FlTestRun r;

  g_assert_nonnull (dir);
  g_file_set_contents (bogus, "not a shared object\n", -1, &error);
  g_assert_no_error (error);

  run (&r, "--list-plugins", "--plugin-dir", dir, NULL);
  g_unlink (bogus);
  g_rmdir (dir);
  g_assert_cmpint (r.status, ==, 0);
  lines = g_strsplit (r.out, "\n", -1);
  for (gsize p = 0; p < G_N_ELEMENTS (all_plugins); p++)
    {
      gboolean found = FALSE;

      for (guint i = 0; lines[i] != NULL && !found; i++)
        {
          g_auto (GStrv) w = g_strsplit_set (lines[i], " ", -1);
          GPtrArray *words = g_ptr_array_new ();

          for (guint k = 0; w[k] != NULL; k++)
            if (w[k][0] != '\0')
              g_ptr_array_add (words, w[k]);
          /* NAME KIND VERSION FILE */
          found = words->len >= 4 &&
                  strcmp (words->pdata[0], all_plugins[p].name) == 0 &&
                  strcmp (words->pdata[1], all_plugins[p].kind) == 0 &&
                  g_str_has_suffix (words->pdata[3], ".so");
          g_ptr_array_free (words, TRUE);
        }
      g_test_message ("plugin %s", all_plugins[p].name);
      g_assert_true (found);
    }
  /* the refused file is listed with a reason */
  g_assert_nonnull (strstr (r.out, "fl-bogus.so"));
  g_assert_nonnull (strstr (r.out, "refused"));
  fl_test_run_clear (&r);
}

/* ------------------------------------------------------------ --info */

static void
test_info (void)
{
  const struct { const char *file, *version; } cases[] = {
    { "flow-tools/real-v8.6-be.ft", "export_version: 8.6\n" },
    { "flow-tools/real-v1005-le.ft", "export_version: 1005\n" },
    { "flow-tools/gen-v5-big-z6.ft", "export_version: 5\n" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = fl_test_corpus_path (cases[i].file);
      FlTestRun r;

      run (&r, "--info", path, NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_nonnull (strstr (r.out, cases[i].version));
      g_assert_nonnull (strstr (r.out, "format: flowtools\n"));
      g_assert_null (strstr (r.out, "{\""));
      fl_test_run_clear (&r);
    }
}

/* ------------------------------------------------------------ -F */

static void
test_force_format (void)
{
  g_autofree char *ft = fl_test_corpus_path ("flow-tools/real-v6-be.ft");
  g_autofree char *gz = fl_test_corpus_path ("gzip/mixed-v9.flowd.gz");
  g_autofree char *want_ft = expected_json ("flow-tools/real-v6-be.ft", NULL);
  g_autofree char *want_gz = expected_json ("gzip/mixed-v9.flowd.gz", NULL);
  FlTestRun r;

  run (&r, "-F", "flowtools", "-o", "json", ft, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, want_ft);
  fl_test_run_clear (&r);

  /* wrappers are still unwrapped under -F */
  run (&r, "--format=flowd", "-o", "json", gz, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, want_gz);
  fl_test_run_clear (&r);

  /* forcing the wrong plugin fails on that FILE (not a usage error) */
  run (&r, "-F", "flowd", "-o", "json", ft, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpuint (r.out_len, ==, 0);
  g_assert_nonnull (strstr (r.err, "real-v6-be.ft"));
  fl_test_run_clear (&r);
}

/* ------------------------------------------------------------ --help, --version */

/* Man page text as words: roff requests and font escapes dropped, "\-"
 * made "-", whitespace collapsed. */
static char *
normalize (const char *text, gboolean roff)
{
  GString *s = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = lines[i];

      if (roff && (l[0] == '.' || l[0] == '\''))
        {
          /* keep the text of .B/.I/.BR/.IR/.TP-less requests' arguments */
          const char *sp = strchr (l, ' ');
          if (sp == NULL || g_str_has_prefix (l, ".\\\""))
            continue;
          l = sp + 1;
        }
      g_string_append_c (s, ' ');
      for (const char *p = l; *p; p++)
        {
          if (roff && p[0] == '\\' && p[1] == 'f' && p[2] != '\0')
            {
              p += 2;
              continue;
            }
          if (roff && p[0] == '\\' && (p[1] == '-' || p[1] == 'e' || p[1] == '&'))
            {
              if (p[1] == '-')
                g_string_append_c (s, '-');
              else if (p[1] == 'e')
                g_string_append_c (s, '\\');
              p++;
              continue;
            }
          if (roff && *p == '"')
            continue;
          g_string_append_c (s, *p);
        }
    }
  {
    /* collapse whitespace */
    GString *out = g_string_new (NULL);
    for (gsize i = 0; i < s->len; i++)
      if (!g_ascii_isspace (s->str[i]))
        g_string_append_c (out, s->str[i]);
      else if (out->len > 0 && out->str[out->len - 1] != ' ')
        g_string_append_c (out, ' ');
    g_string_free (s, TRUE);
    return g_string_free (out, FALSE);
  }
}

static void
test_help (void)
{
  g_autofree char *man_path = g_build_filename (g_getenv ("G_TEST_SRCDIR"),
                                                "..", "doc", "flowread.1",
                                                NULL);
  g_autofree char *man = NULL;
  g_autofree char *man_words = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  FlTestRun r, r2;

  run (&r, "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  for (gsize i = 0; i < G_N_ELEMENTS (all_options); i++)
    {
      g_test_message ("option %s", all_options[i]);
      g_assert_nonnull (strstr (r.out, all_options[i]));
    }
  run (&r2, "-h", NULL);
  g_assert_cmpstr (r2.out, ==, r.out);
  fl_test_run_clear (&r2);

  /* The man page has every option and, for each, the help's wording. */
  g_file_get_contents (man_path, &man, NULL, &error);
  g_assert_no_error (error);
  man_words = normalize (man, TRUE);
  lines = g_strsplit (r.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      GString *desc;
      const char *l = lines[i];
      g_autofree char *want = NULL;

      if (!g_str_has_prefix (l, "  -"))
        continue;
      /* "  -o, --output=FORMAT    text..." then continuation lines */
      desc = g_string_new (l + 25 <= l + strlen (l) ? l + 25 : "");
      while (lines[i + 1] != NULL && g_str_has_prefix (lines[i + 1],
                                                       "                         "))
        g_string_append_printf (desc, " %s", lines[++i] + 25);
      want = normalize (desc->str, FALSE);
      g_string_free (desc, TRUE);
      g_test_message ("help text: %s", want);
      g_assert_nonnull (strstr (man_words, want));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (all_options); i++)
    {
      g_autofree char *opt = normalize (all_options[i], FALSE);
      /* "-o, --output=" in the man page as "-o, --output=FORMAT" */
      g_assert_nonnull (strstr (man_words, opt));
    }
  for (gsize i = 0; i < 4; i++)
    {
      static const char *const env[] = { "FLOWREAD_PLUGIN_PATH",
        "FLOWREAD_FLOW_EXPORT", "FLOWREAD_FLOWD_READER", "FLOWREAD_NFDUMP" };
      g_assert_nonnull (strstr (man_words, env[i]));
    }
  fl_test_run_clear (&r);
}

static void
test_version (void)
{
  FlTestRun r;

  run (&r, "--version", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "flowread " FL_VERSION "\n"));
  fl_test_run_clear (&r);
}

/* ------------------------------------------------------------ closed pipe */

/* flowread FILE | head: stop quietly when the reader goes away. */
static void
test_closed_pipe (void)
{
  g_autofree char *path = fl_test_corpus_path ("flowd/mixed-v9.flowd");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = NULL;
  char buf[100];
  gsize n = 0;
  GInputStream *out;
  const char *argv[] = { fl_test_flowread_bin (), "-o", "json", path, path,
                         path, path, path, NULL };

  p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  out = g_subprocess_get_stdout_pipe (p);
  g_input_stream_read_all (out, buf, sizeof buf, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, sizeof buf);
  g_assert_true (g_str_has_prefix (buf, "{\"first\":"));
  g_input_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);
  /* no "Broken pipe" message */
  n = 0;
  g_input_stream_read_all (g_subprocess_get_stderr_pipe (p), buf,
                           sizeof buf, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 0);
}

/* ------------------------------------------------------------ --fields */

/* One key's value in a json line ("\"x\"" or a number), or NULL. */
static char *
json_value (const char *line, const char *key)
{
  g_autofree char *pat = g_strdup_printf ("\"%s\":(\"[^\"]*\"|[0-9]+)", key);
  g_autoptr (GRegex) re = g_regex_new (pat, 0, 0, NULL);
  g_autoptr (GMatchInfo) m = NULL;

  if (!g_regex_match (re, line, 0, &m))
    return NULL;
  return g_match_info_fetch (m, 1);
}

/* --fields: the chosen columns in the chosen order (not output order),
 * for json (absent ones left out), csv (empty cells) and text, against the
 * corpus's expected lines. */
static void
test_fields (void)
{
  static const char *const keys[] = { "dOctets", "first", "nexthop", "srcaddr", "recv_time" };
  g_autofree char *path = fl_test_corpus_path ("flowd/mixed-v9.flowd");
  g_autofree char *jsonl = fl_test_corpus_path ("flowd/expected/mixed-v9.flowd.jsonl");
  g_autofree char *want_text = NULL;
  g_autoptr (GString) want_json = g_string_new (NULL);
  g_autoptr (GString) want_csv = g_string_new ("dOctets,first,nexthop,srcaddr,recv_time\n");
  g_auto (GStrv) lines = NULL;
  guint absent = 0;
  gsize len;
  FlTestRun r;

  want_text = fl_test_read_file (jsonl, &len);
  lines = g_strsplit (want_text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      const char *sep = "{";

      for (gsize k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          g_autofree char *v = json_value (lines[i], keys[k]);

          if (k > 0)
            g_string_append_c (want_csv, ',');
          if (v == NULL)
            {
              absent++;
              continue;
            }
          g_string_append_printf (want_json, "%s\"%s\":%s", sep, keys[k], v);
          sep = ",";
          if (v[0] == '"')
            g_string_append_len (want_csv, v + 1, (gssize) strlen (v) - 2);
          else
            g_string_append (want_csv, v);
        }
      g_string_append (want_json, *sep == '{' ? "{}\n" : "}\n");
      g_string_append_c (want_csv, '\n');
    }
  g_assert_cmpuint (absent, >, 0); /* the file has flows without a next hop */

  run (&r, "-o", "json", "--fields=dOctets,first,nexthop,srcaddr,recv_time", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  fl_test_assert_same_bytes ("--fields json", r.out, r.out_len,
                             want_json->str, want_json->len);
  fl_test_run_clear (&r);
  run (&r, "-o", "csv", "--fields", "dOctets, first,nexthop,srcaddr,recv_time", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  fl_test_assert_same_bytes ("--fields csv", r.out, r.out_len,
                             want_csv->str, want_csv->len);
  fl_test_run_clear (&r);

  /* text: the field names head the columns; "-" for absent */
  run (&r, "--fields=prot,srcaddr,mpls_1", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  {
    g_auto (GStrv) out = g_strsplit (r.out, "\n", 3);

    g_assert_cmpstr (out[0], ==, "prot srcaddr         mpls_1");
    g_assert_true (g_str_has_suffix (out[1], " -"));
    g_assert_true (g_str_has_prefix (out[1], "   6 ") || g_str_has_prefix (out[1], "  17 "));
  }
  fl_test_run_clear (&r);
}

static void
test_fields_errors (void)
{
  g_autofree char *path = fl_test_corpus_path ("flowd/mixed-v9.flowd");
  FlTestRun r;

  run (&r, "-o", "json", "--fields=first,bogus", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "unknown field 'bogus'"));
  /* the valid names are listed, in output order */
  g_assert_nonnull (strstr (r.err, "valid fields: first,last,srcaddr,"));
  g_assert_nonnull (strstr (r.err, ",srv_latency_us,tag"));
  g_assert_null (strstr (r.err, "ft_times"));
  fl_test_run_clear (&r);

  run (&r, "--fields=first,first", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "'first' is listed twice"));
  fl_test_run_clear (&r);

  run (&r, "--fields=", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--fields"));
  fl_test_run_clear (&r);

  run (&r, "-o", "flow-export", "--fields=first", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "flow-export"));
  fl_test_run_clear (&r);
}

/* No plugins found: --list-plugins fails and says how to run from the
 * build tree. */
static void
test_cli_no_plugins (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("FLOWREAD_PLUGIN_PATH"));
  const char *args[] = { "--list-plugins", NULL };
  g_autofree char *dflt = NULL;
  FlTestRun run;

  /* the compiled-in folder of this build must hold no plugins for the
   * test to mean anything: say so if someone installed there */
  dflt = g_build_filename (fl_registry_get_default_dir (), "fl-text.so", NULL);
  g_assert_false (g_file_test (dflt, G_FILE_TEST_EXISTS));
  g_unsetenv ("FLOWREAD_PLUGIN_PATH");
  fl_test_run_cli (&run, NULL, args);
  g_setenv ("FLOWREAD_PLUGIN_PATH", saved, TRUE);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "no plugin could be loaded"));
  g_assert_nonnull (strstr (run.err, "meson devenv -C BUILDDIR"));
  g_assert_nonnull (strstr (run.err, "--plugin-dir="));
  fl_test_run_clear (&run);
}

/* An input that fails before its first flow prints no table header; a
 * clean empty one still gets it. (-o flow-export prints its header first,
 * as flow-export does: the corpus's golden output checks that.) */
static void
test_cli_no_header_before_error (void)
{
  g_autoptr (GBytes) ft = fl_test_corpus_bytes ("flow-tools/big-v5.ft");
  g_autoptr (GBytes) fd = fl_test_corpus_bytes ("flowd/flowd-v5.log");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fltest-hdr-XXXXXX", &error);
  g_autofree char *ft20 = g_build_filename (dir, "cut.ft", NULL);
  g_autofree char *fd64 = g_build_filename (dir, "cut.flowd", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  const char *outputs[] = { "text", "csv" };

  g_assert_no_error (error);
  g_file_set_contents (ft20, g_bytes_get_data (ft, NULL), 20, &error);
  g_assert_no_error (error);
  g_file_set_contents (fd64, g_bytes_get_data (fd, NULL), 64, &error);
  g_assert_no_error (error);
  g_file_set_contents (empty, "", 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (outputs); i++)
    {
      const char *a1[] = { "-o", outputs[i], ft20, NULL };
      const char *a2[] = { "-o", outputs[i], fd64, NULL };
      const char *a3[] = { "-o", outputs[i], "-F", "flowd", empty, NULL };
      FlTestRun run;

      fl_test_run_cli (&run, NULL, a1);
      g_assert_cmpint (run.status, ==, 1);
      g_assert_cmpuint (run.out_len, ==, 0);
      g_assert_nonnull (strstr (run.err, "flowtools: "));
      fl_test_run_clear (&run);
      fl_test_run_cli (&run, NULL, a2);
      g_assert_cmpint (run.status, ==, 3);
      g_assert_cmpuint (run.out_len, ==, 0);
      g_assert_nonnull (strstr (run.err, "flowd: "));
      fl_test_run_clear (&run);
      fl_test_run_cli (&run, NULL, a3);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_cmpuint (run.out_len, >, 0);
      g_assert_cmpuint (fl_test_count_lines (run.out, run.out_len), ==, 1);
      fl_test_run_clear (&run);
    }
  g_remove (ft20);
  g_remove (fd64);
  g_remove (empty);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  static const char *const round_trip[] = {
    "flowd/synth-all-v6.log",      /* IPv6, every flowd field */
    "flowd/mixed-v9.flowd",        /* IPv4 and IPv6 */
    "flowd/synth-mixed.log",       /* absent fields */
    "flow-tools/real-v1005-le.ft", /* tags */
    "flow-tools/real-v6-be.ft",    /* peer_nexthop, encaps */
    "flow-tools/real-v8.6-be.ft",  /* router_sc, marked_tos, extra_pkts */
    "flow-tools/big-v5.ft",
  };

  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  manifest = fl_test_manifest_load ();

  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/missing-file", test_missing_file);
  g_test_add_func ("/cli/several-files", test_several_files);
  g_test_add_func ("/cli/truncated-status", test_truncated_status);
  g_test_add_func ("/cli/count/several", test_count_several);
  for (guint i = 0; i < manifest->len; i++)
    {
      const FlTestManifestRow *row = manifest->pdata[i];
      g_autofree char *name = g_strdup_printf ("/cli/count/%s", row->file);

      g_test_add_data_func (name, row, test_count_row);
    }
  g_test_add_func ("/cli/csv/header", test_csv_header);
  for (gsize i = 0; i < G_N_ELEMENTS (round_trip); i++)
    {
      g_autofree char *name = g_strdup_printf ("/cli/csv/round-trip/%s",
                                               round_trip[i]);

      g_test_add_data_func (name, round_trip[i], test_csv_round_trip);
    }
  g_test_add_func ("/cli/flow-export/synthesized", test_flow_export_synth);
  g_test_add_func ("/cli/text", test_text);
  g_test_add_func ("/cli/fields", test_fields);
  g_test_add_func ("/cli/fields/errors", test_fields_errors);
  g_test_add_func ("/cli/probe", test_probe);
  g_test_add_func ("/cli/list-plugins", test_list_plugins);
  g_test_add_func ("/cli/info", test_info);
  g_test_add_func ("/cli/force-format", test_force_format);
  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/version", test_version);
  g_test_add_func ("/cli/closed-pipe", test_closed_pipe);
  g_test_add_func ("/cli/no-plugins", test_cli_no_plugins);
  g_test_add_func ("/cli/no-header-before-error", test_cli_no_header_before_error);

  return g_test_run ();
}

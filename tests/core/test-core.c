/* SPDX-License-Identifier: MIT */
/*
 * Core tests: the time rule, address and time formatting, the stream's
 * peek buffer, the plugin loader's checks and the probe loop, with the fake
 * plugins built next to this test.
 */
#include <flowread/flowread-plugin.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl-test-util.h"

/* ------------------------------------------------------------- time rule */

static void
test_time_rule (void)
{
  /* flow-tools.md's example record: first 10 s before the export. */
  g_assert_cmpint (fl_time_from_uptime (1700000000, 123456789, 3600000, 3590000),
                   ==, G_GINT64_CONSTANT (1699999990123456789));
  /* A flow that ends after the export PDU's uptime (negative difference). */
  g_assert_cmpint (fl_time_from_uptime (1700000000, 0, 1000, 1500),
                   ==, G_GINT64_CONSTANT (1700000000500000000));
  /* Uptime wrapped between the flow start (just below 2^32) and export
   * (just above 0): the flow started 10 ms before the export, not 49.7
   * days after it. */
  g_assert_cmpint (fl_time_from_uptime (1700000000, 0, 5, 4294967291u),
                   ==, G_GINT64_CONSTANT (1699999999990000000));
}

static void
test_time_format (void)
{
  char buf[FL_TIME_STRLEN];

  g_assert_cmpstr (fl_time_to_string (0, buf), ==,
                   "1970-01-01T00:00:00.000000000Z");
  g_assert_cmpstr (fl_time_to_string (G_GINT64_CONSTANT (1417809323999867403), buf),
                   ==, "2014-12-05T19:55:23.999867403Z");
  g_assert_cmpstr (fl_time_to_string (-1, buf), ==,
                   "1969-12-31T23:59:59.999999999Z");
  /* after 2038 and on a leap day */
  g_assert_cmpstr (fl_time_to_string (G_GINT64_CONSTANT (4107456000) * 1000000000, buf),
                   ==, "2100-02-28T00:00:00.000000000Z");
  g_assert_cmpstr (fl_time_to_string (G_GINT64_CONSTANT (951782400) * 1000000000, buf),
                   ==, "2000-02-29T00:00:00.000000000Z");

  /* cross-check against GDateTime over a spread of values */
  for (gint64 s = -100000000; s < 5000000000; s += 12345677)
    {
      g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (s);
      g_autofree char *want = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S.000000123Z");
      g_assert_cmpstr (fl_time_to_string (s * 1000000000 + 123, buf), ==, want);
    }
}

static void
test_time_civil (void)
{
  gint64 ns = 0;

  g_assert_true (fl_time_from_civil (1970, 1, 1, 0, 0, 0, 0, &ns));
  g_assert_cmpint (ns, ==, 0);
  g_assert_true (fl_time_from_civil (2014, 12, 5, 19, 55, 23, 999867403, &ns));
  g_assert_cmpint (ns, ==, G_GINT64_CONSTANT (1417809323999867403));
  g_assert_true (fl_time_from_civil (1969, 12, 31, 23, 59, 59, 999999999, &ns));
  g_assert_cmpint (ns, ==, -1);
  g_assert_true (fl_time_from_civil (2000, 2, 29, 0, 0, 0, 0, &ns));
  g_assert_cmpint (ns, ==, G_GINT64_CONSTANT (951782400) * 1000000000);
  /* invalid dates and times */
  g_assert_false (fl_time_from_civil (2100, 2, 29, 0, 0, 0, 0, &ns));
  g_assert_false (fl_time_from_civil (2001, 13, 1, 0, 0, 0, 0, &ns));
  g_assert_false (fl_time_from_civil (2001, 4, 31, 0, 0, 0, 0, &ns));
  g_assert_false (fl_time_from_civil (2001, 1, 1, 24, 0, 0, 0, &ns));
  g_assert_false (fl_time_from_civil (2001, 1, 1, 0, 0, 0, 1000000000, &ns));
  /* outside gint64 nanoseconds (a damaged file can print any year) */
  g_assert_true (fl_time_from_civil (2262, 1, 1, 0, 0, 0, 0, &ns));
  g_assert_false (fl_time_from_civil (2583, 1, 1, 0, 0, 0, 0, &ns));
  g_assert_false (fl_time_from_civil (1600, 1, 1, 0, 0, 0, 0, &ns));
  g_assert_false (fl_time_from_civil (G_MAXINT64, 1, 1, 0, 0, 0, 0, &ns));
}

static void
test_addr (void)
{
  char buf[FL_ADDR_STRLEN];
  FlAddr a;
  static const struct { const char *in, *out; } cases[] = {
    { "192.0.2.1", "192.0.2.1" },
    { "0.0.0.0", "0.0.0.0" },
    { "255.255.255.255", "255.255.255.255" },
    /* RFC 5952: lower case, longest run compressed, leftmost on a tie,
     * a single zero group not compressed, no leading zeros */
    { "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
    { "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
    { "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
    { "::", "::" },
    { "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
    { "fe80::1", "fe80::1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (fl_addr_parse (&a, cases[i].in));
      g_assert_cmpstr (fl_addr_to_string (&a, buf), ==, cases[i].out);
    }
  g_assert_false (fl_addr_parse (&a, "192.0.2"));
  g_assert_false (fl_addr_parse (&a, "2001:db8:::1"));
  g_assert_false (fl_addr_parse (&a, "(null)"));

  fl_addr_set_ipv4 (&a, 0x0A010203);
  g_assert_cmpstr (fl_addr_to_string (&a, buf), ==, "10.1.2.3");
  a.family = 0;
  g_assert_cmpstr (fl_addr_to_string (&a, buf), ==, "");
}

static void
test_field_names (void)
{
  /* extras are in name (strcmp) order: the JSON key order depends on it */
  guint n_order;
  const FlField *order = fl_field_get_output_order (&n_order);

  /* the core keys first, by id; then every other output field once */
  for (guint i = 0; i <= FL_FIELD_ENGINE_ID; i++)
    g_assert_cmpint (order[i], ==, i);
  for (guint i = FL_FIELD_ENGINE_ID + 2; i < n_order; i++)
    g_assert_cmpint (strcmp (fl_field_name (order[i - 1]), fl_field_name (order[i])), <, 0);
  g_assert_cmpuint (n_order, ==, FL_N_FIELDS - 1); /* all but ft_times */
  g_assert_cmpstr (fl_field_name (FL_FIELD_DPKTS), ==, "dPkts");
  g_assert_null (fl_field_name (FL_N_FIELDS));
}

/* ------------------------------------------------------------- streams */

/* A custom stream that hands out at most 3 bytes per read and then fails. */
typedef struct {
  const char *data;
  gsize len, pos;
  gboolean fail_at_end;
} Dribble;

static gssize
dribble_read (gpointer p, void *buf, gsize count, GError **error)
{
  Dribble *d = p;
  gsize n = MIN (MIN (count, 3), d->len - d->pos);

  if (n == 0 && d->fail_at_end)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, d->pos, "checksum mismatch");
      return -1;
    }
  memcpy (buf, d->data + d->pos, n);
  d->pos += n;
  return (gssize) n;
}

static void
check_stream_basics (FlStream *s)
{
  g_autoptr (GError) error = NULL;
  gsize avail;
  const guint8 *p;
  char buf[8];

  p = fl_stream_peek (s, 4, &avail, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (avail, ==, 4);
  g_assert_cmpmem (p, 4, "abcd", 4);
  /* peeking again gives the same bytes */
  p = fl_stream_peek (s, 10, &avail, &error);
  g_assert_cmpuint (avail, ==, 10);
  g_assert_cmpmem (p, 10, "abcdefghij", 10);
  fl_stream_consume (s, 2);
  g_assert_cmpuint (fl_stream_tell (s), ==, 2);
  g_assert_cmpint (fl_stream_read (s, buf, 5, &error), ==, 5);
  g_assert_cmpmem (buf, 5, "cdefg", 5);
  g_assert_cmpint (fl_stream_skip (s, 100, &error), ==, 19);
  g_assert_no_error (error);
  p = fl_stream_peek (s, 4, &avail, &error);
  g_assert_nonnull (p);
  g_assert_cmpuint (avail, ==, 0);
  g_assert_cmpuint (fl_stream_tell (s), ==, 26);
}

static void
test_stream_memory_and_custom (void)
{
  static const char abc[] = "abcdefghijklmnopqrstuvwxyz";
  static const FlStreamFuncs funcs = { sizeof (FlStreamFuncs), dribble_read, NULL };
  Dribble d = { abc, 26, 0, FALSE };
  FlStream *s;

  s = fl_stream_new_memory (abc, 26, "mem");
  g_assert_cmpint (fl_stream_get_length (s), ==, 26);
  check_stream_basics (s);
  fl_stream_unref (s);

  s = fl_stream_new_custom (&funcs, &d, "dribble");
  g_assert_cmpint (fl_stream_get_length (s), ==, -1);
  check_stream_basics (s);
  fl_stream_unref (s);
}

static void
test_stream_pending_error (void)
{
  static const FlStreamFuncs funcs = { sizeof (FlStreamFuncs), dribble_read, NULL };
  Dribble d = { "0123456789", 10, 0, TRUE };
  g_autoptr (GError) error = NULL;
  FlStream *s = fl_stream_new_custom (&funcs, &d, "failing");
  const guint8 *p;
  gsize avail;

  /* all good bytes come first, short, and the failure is pending */
  p = fl_stream_peek (s, 64, &avail, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (avail, ==, 10);
  g_assert_cmpmem (p, 10, "0123456789", 10);
  g_assert_true (fl_stream_failed (s, &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
  g_clear_error (&error);
  fl_stream_consume (s, 10);
  /* then the error, and it sticks */
  g_assert_null (fl_stream_peek (s, 64, &avail, &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
  g_clear_error (&error);
  g_assert_null (fl_stream_peek (s, 1, &avail, &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
  fl_stream_unref (s);
}

static void
test_stream_pipe (void)
{
  g_autoptr (GError) error = NULL;
  int fds[2];
  FlStream *s;
  gsize avail;
  const guint8 *p;

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (write (fds[1], "abcdefghijklmnopqrstuvwxyz", 26), ==, 26);
  close (fds[1]);
  s = fl_stream_new_fd (fds[0], "pipe", TRUE);
  g_assert_cmpint (fl_stream_get_length (s), ==, -1);
  check_stream_basics (s);
  fl_stream_unref (s);

  /* too big a peek is refused, not allocated */
  s = fl_stream_new_memory ("x", 1, "m");
  p = fl_stream_peek (s, (gsize) FL_STREAM_PEEK_MAX + 1, &avail, &error);
  g_assert_null (p);
  g_assert_error (error, FL_ERROR, FL_ERROR_LIMIT);
  fl_stream_unref (s);

  g_clear_error (&error);
  g_assert_null (fl_stream_new_path ("/nonexistent/flowread", &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_IO);
}

/* ------------------------------------------------------------- loader */

/* A private folder with copies of the named fake plugins, mode 0644. */
static char *
make_plugin_dir (const char *const *names)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("flowread-core-XXXXXX", &error);

  g_assert_no_error (error);
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *src = g_strdup_printf ("%s/%s.so", FAKE_DIR, names[i]);
      g_autofree char *dst = g_strdup_printf ("%s/%s.so", dir, names[i]);
      g_autofree char *data = NULL;
      gsize len;

      g_file_get_contents (src, &data, &len, &error);
      g_assert_no_error (error);
      g_file_set_contents (dst, data, (gssize) len, &error);
      g_assert_no_error (error);
      g_assert_cmpint (chmod (dst, 0644), ==, 0);
    }
  return dir;
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_remove (p);
    }
  g_rmdir (dir);
}

static const FlPluginInfo *
find_entry (FlRegistry *reg, const char *name, gboolean loaded)
{
  for (guint i = 0; i < fl_registry_get_n_plugins (reg); i++)
    {
      const FlPluginInfo *e = fl_registry_get_plugin (reg, i);
      if (e->loaded == loaded && g_str_has_prefix (e->name, name))
        return e;
    }
  return NULL;
}

static FlRegistry *
fake_registry (const char *dir)
{
  g_autoptr (GError) error = NULL;
  FlRegistry *reg = fl_registry_new ();

  fl_registry_add_dir (reg, dir);
  g_assert_true (fl_registry_load (reg, &error));
  g_assert_no_error (error);
  return reg;
}

static void
test_loader_refusals (void)
{
  const char *names[] = { "fake-good", "fake-abi", "fake-minor", "fake-broken",
                          "fake-nosym", "fake-null", NULL };
  g_autofree char *dir = make_plugin_dir (names);
  g_autoptr (FlRegistry) reg = fake_registry (dir);
  const FlPluginInfo *e;

  e = find_entry (reg, "fake-magic", TRUE);
  g_assert_nonnull (e);
  g_assert_cmpint (e->kind, ==, FL_READER_FORMAT);
  g_assert_cmpint (e->probe_class, ==, FL_PROBE_MAGIC);
  g_assert_cmpstr (e->plugin, ==, "fake");
  g_assert_nonnull (find_entry (reg, "fake-wrap", TRUE));

  e = find_entry (reg, "fake-abi", FALSE);
  g_assert_nonnull (e);
  g_assert_nonnull (strstr (e->reason, "major"));
  e = find_entry (reg, "fake-minor", FALSE);
  g_assert_nonnull (e);
  g_assert_nonnull (strstr (e->reason, "newer"));
  e = find_entry (reg, "fake-broken", FALSE);
  g_assert_nonnull (e);
  g_assert_nonnull (strstr (e->reason, "open/next/close"));
  e = find_entry (reg, "fake-nosym", FALSE);
  g_assert_nonnull (e);
  g_assert_nonnull (strstr (e->reason, FL_PLUGIN_ENTRY_SYMBOL));
  e = find_entry (reg, "fake-null", FALSE);
  g_assert_nonnull (e);
  g_assert_nonnull (strstr (e->reason, "NULL"));
  /* refused plugins contribute no reader */
  g_assert_null (find_entry (reg, "fake-broken", TRUE));
  remove_dir (dir);
}

static void
test_loader_permissions_and_order (void)
{
  const char *names[] = { "fake-good", NULL };
  g_autofree char *dir1 = make_plugin_dir (names);
  g_autofree char *dir2 = make_plugin_dir (names);
  g_autofree char *shadow = g_strdup_printf ("%s/fake-good.so", dir2);
  g_autoptr (GError) error = NULL;
  const FlPluginInfo *e;

  {
    /* first folder wins, the second copy is listed as shadowed */
    g_autoptr (FlRegistry) reg = fl_registry_new ();
    fl_registry_add_dir (reg, dir1);
    fl_registry_add_dir (reg, dir2);
    g_assert_true (fl_registry_load (reg, &error));
    e = find_entry (reg, "fake-magic", TRUE);
    g_assert_true (g_str_has_prefix (e->file, dir1));
    e = find_entry (reg, "fake-good", FALSE);
    g_assert_nonnull (e);
    g_assert_cmpstr (e->file, ==, shadow);
    g_assert_nonnull (strstr (e->reason, "shadowed"));
  }
  {
    /* a world-writable plugin file is refused */
    g_autofree char *p = g_strdup_printf ("%s/fake-good.so", dir1);
    g_autoptr (FlRegistry) reg = fl_registry_new ();
    g_assert_cmpint (chmod (p, 0666), ==, 0);
    fl_registry_add_dir (reg, dir1);
    fl_registry_load (reg, NULL);
    g_assert_null (find_entry (reg, "fake-magic", TRUE));
    e = find_entry (reg, "fake-good", FALSE);
    g_assert_nonnull (e);
    g_assert_nonnull (strstr (e->reason, "writable"));
    g_assert_cmpint (chmod (p, 0644), ==, 0);
  }
  {
    /* a group-writable folder is refused */
    g_autoptr (FlRegistry) reg = fl_registry_new ();
    g_assert_cmpint (chmod (dir1, 0775), ==, 0);
    fl_registry_add_dir (reg, dir1);
    fl_registry_load (reg, NULL);
    g_assert_null (find_entry (reg, "fake-magic", TRUE));
    g_assert_cmpint (chmod (dir1, 0755), ==, 0);
  }
  {
    /* a relative folder is never searched */
    g_autoptr (FlRegistry) reg = fl_registry_new ();
    fl_registry_add_dir (reg, "plugins");
    fl_registry_load (reg, NULL);
    e = find_entry (reg, "plugins", FALSE);
    g_assert_nonnull (e);
    g_assert_nonnull (strstr (e->reason, "absolute"));
  }
  {
    /* FLOWREAD_PLUGIN_PATH is searched after the API folders */
    g_autoptr (FlRegistry) reg = fl_registry_new ();
    g_setenv ("FLOWREAD_PLUGIN_PATH", dir2, TRUE);
    g_assert_true (fl_registry_load (reg, &error));
    e = find_entry (reg, "fake-magic", TRUE);
    g_assert_nonnull (e);
    g_assert_true (g_str_has_prefix (e->file, dir2));
    g_unsetenv ("FLOWREAD_PLUGIN_PATH");
  }
  remove_dir (dir1);
  remove_dir (dir2);
}

/* ------------------------------------------------------------- probing */

static GString *
read_all (FlRegistry *reg, const char *data, const char *format,
          FlStatus *final, GError **error)
{
  FlOpenOptions opts = { sizeof opts, format };
  g_autoptr (FlReader) r = fl_reader_open_memory (reg, data, strlen (data),
                                                  "mem", &opts, error);
  GString *s = g_string_new (NULL);
  FlFlow flow;

  *final = FL_STATUS_ERROR;
  if (r == NULL)
    return s;
  fl_flow_init (&flow);
  while ((*final = fl_reader_next (r, &flow, error)) == FL_STATUS_OK)
    g_string_append_c (s, (char) flow.prot);
  /* END and ERROR stick */
  g_assert_cmpint (fl_reader_next (r, &flow, NULL), ==, *final);
  return s;
}

static void
probe_cb (const FlProbeResult *res, gpointer user_data)
{
  g_string_append_printf (user_data, "%u:%s:%d%s;", res->depth, res->reader,
                          res->score, res->winner ? "*" : "");
}

static void
test_probe_loop (void)
{
  const char *names[] = { "fake-good", NULL };
  g_autofree char *dir = make_plugin_dir (names);
  g_autoptr (FlRegistry) reg = fake_registry (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) s = NULL;
  g_autoptr (GString) log = g_string_new (NULL);
  FlStatus st;

  /* magic format, flows, clean end */
  s = read_all (reg, "FAKEMAGICabc", NULL, &st, &error);
  g_assert_no_error (error);
  g_assert_cmpint (st, ==, FL_STATUS_END);
  g_assert_cmpstr (s->str, ==, "abc");
  g_string_free (g_steal_pointer (&s), TRUE);

  /* errors come after the flows before them, prefixed with name, chain
   * and offset */
  s = read_all (reg, "WRAPWRAPFAKEMAGICab!c", NULL, &st, &error);
  g_assert_cmpint (st, ==, FL_STATUS_ERROR);
  g_assert_cmpstr (s->str, ==, "ab");
  g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
  g_assert_cmpstr (error->message, ==,
                   "mem: fake-wrap > fake-wrap > fake-magic: byte 11: bang");
  g_clear_error (&error);
  g_string_free (g_steal_pointer (&s), TRUE);

  s = read_all (reg, "FAKEMAGICab~", NULL, &st, &error);
  g_assert_error (error, FL_ERROR, FL_ERROR_TRUNCATED);
  g_assert_cmpstr (s->str, ==, "ab");
  g_clear_error (&error);
  g_string_free (g_steal_pointer (&s), TRUE);

  /* depth cap: 8 wrappers are fine, 9 are not */
  {
    g_autoptr (GString) in = g_string_new (NULL);
    for (int i = 0; i < 8; i++)
      g_string_append (in, "WRAP");
    g_string_append (in, "FAKEMAGICz");
    s = read_all (reg, in->str, NULL, &st, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (s->str, ==, "z");
    g_string_free (g_steal_pointer (&s), TRUE);
    g_string_prepend (in, "WRAP");
    s = read_all (reg, in->str, NULL, &st, &error);
    g_assert_error (error, FL_ERROR, FL_ERROR_TOO_MANY_WRAPPERS);
    g_clear_error (&error);
    g_string_free (g_steal_pointer (&s), TRUE);
  }

  /* unknown format; forced format; unknown forced name */
  s = read_all (reg, "nothing here", NULL, &st, &error);
  g_assert_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT);
  g_clear_error (&error);
  g_string_free (g_steal_pointer (&s), TRUE);
  s = read_all (reg, "", NULL, &st, &error);
  g_assert_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT);
  g_assert_nonnull (strstr (error->message, "empty"));
  g_clear_error (&error);
  g_string_free (g_steal_pointer (&s), TRUE);
  s = read_all (reg, "xy", "fake-heur-a", &st, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s->str, ==, "xy");
  g_string_free (g_steal_pointer (&s), TRUE);
  s = read_all (reg, "xy", "no-such-format", &st, &error);
  g_assert_error (error, FL_ERROR, FL_ERROR_PLUGIN);
  g_clear_error (&error);
  g_string_free (g_steal_pointer (&s), TRUE);

  /* heuristics: clear winner; ambiguity below 80 within 10 points;
   * no ambiguity at 80 or above */
  g_assert_true (fl_probe_stream (reg, fl_stream_new_memory ("H:70:40", 7, "m"),
                                  probe_cb, log, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (log->str, "0:fake-heur-a:70*;"));
  g_assert_nonnull (strstr (log->str, "0:fake-heur-b:40;"));
  g_assert_nonnull (strstr (log->str, "0:fake-wrap:0;"));
  g_assert_false (fl_probe_stream (reg, fl_stream_new_memory ("H:60:55", 7, "m"),
                                   NULL, NULL, &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_AMBIGUOUS_FORMAT);
  g_assert_nonnull (strstr (error->message, "fake-heur-a"));
  g_assert_nonnull (strstr (error->message, "fake-heur-b"));
  g_clear_error (&error);
  g_assert_true (fl_probe_stream (reg, fl_stream_new_memory ("H:85:80", 7, "m"),
                                  NULL, NULL, &error));
  g_assert_no_error (error);
  /* heuristics never claim 100 */
  g_string_truncate (log, 0);
  g_assert_true (fl_probe_stream (reg, fl_stream_new_memory ("H:100:0", 7, "m"),
                                  probe_cb, log, &error));
  g_assert_nonnull (strstr (log->str, "fake-heur-a:99*"));
  remove_dir (dir);
}

static void
test_probe_priority (void)
{
  /* fakelow-heur-b has priority 0: a tie with fake-heur-a (10) is not
   * ambiguous, the higher priority wins (native over exec twin). */
  const char *names[] = { "fake-lowb", NULL };
  g_autofree char *dir = make_plugin_dir (names);
  g_autoptr (FlRegistry) reg = fake_registry (dir);
  g_autoptr (GString) log = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (fl_probe_stream (reg, fl_stream_new_memory ("H:60:60", 7, "m"),
                                  probe_cb, log, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (log->str, "fakelow-heur-a:60*"));
  remove_dir (dir);
}

static void
info_cb (const char *key, const char *value, gpointer user_data)
{
  g_string_append_printf (user_data, "%s=%s\n", key, value);
}

static void
test_reader_info_and_smaller_flow (void)
{
  const char *names[] = { "fake-good", NULL };
  g_autofree char *dir = make_plugin_dir (names);
  g_autoptr (FlRegistry) reg = fake_registry (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) info = g_string_new (NULL);
  g_autoptr (FlReader) r = fl_reader_open_memory (reg, "WRAPFAKEMAGICq", 14,
                                                  "m", NULL, &error);
  g_autofree char *v = NULL;
  /* a host built against an older FlFlow that ended after dPkts */
  struct { FlFlow flow; char guard[64]; } small;

  g_assert_no_error (error);
  g_assert_cmpstr (fl_reader_get_format (r), ==, "fake-magic");
  g_assert_cmpstr (fl_reader_get_chain (r), ==, "fake-wrap > fake-magic");
  fl_reader_foreach_info (r, info_cb, info);
  g_assert_cmpstr (info->str, ==,
                   "format=fake-magic\nchain=fake-wrap > fake-magic\n"
                   "fake_key=fake value\n");
  v = fl_reader_get_info (r, "fake_key");
  g_assert_cmpstr (v, ==, "fake value");

  memset (&small, 0x5a, sizeof small);
  small.flow.struct_size = G_STRUCT_OFFSET (FlFlow, dOctets);
  g_assert_cmpint (fl_reader_next (r, &small.flow, &error), ==, FL_STATUS_OK);
  g_assert_cmpuint (small.flow.prot, ==, 'q');
  g_assert_cmpuint (small.flow.struct_size, ==, G_STRUCT_OFFSET (FlFlow, dOctets));
  /* nothing written past what the caller said it has */
  g_assert_cmpuint (((guint8 *) &small.flow)[G_STRUCT_OFFSET (FlFlow, dOctets)], ==, 0x5a);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* the loader tests choose their folders themselves */
  g_unsetenv ("FLOWREAD_PLUGIN_PATH");

  g_test_add_func ("/core/time/rule", test_time_rule);
  g_test_add_func ("/core/time/format", test_time_format);
  g_test_add_func ("/core/time/civil", test_time_civil);
  g_test_add_func ("/core/addr", test_addr);
  g_test_add_func ("/core/field-names", test_field_names);
  g_test_add_func ("/core/stream/memory-custom", test_stream_memory_and_custom);
  g_test_add_func ("/core/stream/pending-error", test_stream_pending_error);
  g_test_add_func ("/core/stream/pipe", test_stream_pipe);
  g_test_add_func ("/core/loader/refusals", test_loader_refusals);
  g_test_add_func ("/core/loader/permissions-order", test_loader_permissions_and_order);
  g_test_add_func ("/core/probe/loop", test_probe_loop);
  g_test_add_func ("/core/probe/priority", test_probe_priority);
  g_test_add_func ("/core/reader/info-smaller-flow", test_reader_info_and_smaller_flow);
  return g_test_run ();
}

/* SPDX-License-Identifier: MIT */
/*
 * Core tests: the time rule, address and time formatting, the stream's
 * peek buffer, the plugin loader's checks and the probe loop, with the fake
 * plugins built next to this test.
 */
#include <fcntl.h>
#include <flowread/flowread-plugin.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
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

/* fl_stream_get_path() and fl_stream_get_fd() (ABI 1.2) name the file
 * only for a regular file opened by path; the descriptor reads it with
 * pread() while the stream's own position stays where it was. */
static void
test_stream_path_fd (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fl-core-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "f", NULL);
  char buf[4] = { 0 };
  int fds[2];
  FlStream *s;
  gsize avail;
  int fd;

  g_assert_true (g_file_set_contents (path, "0123456789", 10, NULL));
  s = fl_stream_new_path (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fl_stream_get_path (s), ==, path);
  fd = fl_stream_get_fd (s);
  g_assert_cmpint (fd, >=, 0);
  g_assert_nonnull (fl_stream_peek (s, 2, &avail, &error));
  fl_stream_consume (s, 2);
  g_assert_cmpint (pread (fd, buf, 3, 5), ==, 3);
  g_assert_cmpstr (buf, ==, "567");
  g_assert_cmpint (fl_stream_read (s, buf, 3, &error), ==, 3);
  g_assert_cmpint (memcmp (buf, "234", 3), ==, 0);
  fl_stream_unref (s);

  s = fl_stream_new_memory ("abc", 3, "m");
  g_assert_null (fl_stream_get_path (s));
  g_assert_cmpint (fl_stream_get_fd (s), ==, -1);
  fl_stream_unref (s);

  g_assert_cmpint (pipe (fds), ==, 0);
  close (fds[1]);
  s = fl_stream_new_fd (fds[0], "pipe", TRUE);
  g_assert_null (fl_stream_get_path (s));
  g_assert_cmpint (fl_stream_get_fd (s), ==, -1);
  fl_stream_unref (s);

  /* a FIFO opened by path is no regular file */
  {
    g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
    int w;

    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    w = open (fifo, O_RDWR | O_NONBLOCK);   /* so that opening it does not block */
    g_assert_cmpint (w, >=, 0);
    s = fl_stream_new_path (fifo, &error);
    g_assert_no_error (error);
    g_assert_null (fl_stream_get_path (s));
    g_assert_cmpint (fl_stream_get_fd (s), ==, -1);
    fl_stream_unref (s);
    close (w);
    g_unlink (fifo);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* ------------------------------------------------------------- loader */

/* Copies the fake plugin NAME.so into dir, mode 0644; its path. */
static char *
put_plugin (const char *dir, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = g_strdup_printf ("%s/%s.so", FAKE_DIR, name);
  char *dst = g_strdup_printf ("%s/%s.so", dir, name);
  g_autofree char *data = NULL;
  gsize len;

  g_file_get_contents (src, &data, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (dst, data, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (dst, 0644), ==, 0);
  return dst;
}

/* A private folder with copies of the named fake plugins, mode 0644. */
static char *
make_plugin_dir (const char *const *names)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("flowread-core-XXXXXX", &error);

  g_assert_no_error (error);
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  for (guint i = 0; names[i] != NULL; i++)
    g_free (put_plugin (dir, names[i]));
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

/* ------------------------------------------------- who may write plugins */

/* A folder of mode `mode` (chmod after creation: no umask). */
static char *
make_dir (const char *parent, const char *name, int mode)
{
  char *d = g_build_filename (parent, name, NULL);

  g_assert_cmpint (g_mkdir (d, 0700), ==, 0);
  g_assert_cmpint (chmod (d, mode), ==, 0);
  return d;
}

/* Loads dir; TRUE if fake-magic came from it; *reason the refusal that
 * names `refused` (a path), if any. */
static gboolean
loads_from (const char *dir, const char *refused, char **reason)
{
  g_autoptr (FlRegistry) reg = fl_registry_new ();
  const FlPluginInfo *e;

  fl_registry_add_dir (reg, dir);
  fl_registry_load (reg, NULL);
  *reason = NULL;
  for (guint i = 0; i < fl_registry_get_n_plugins (reg); i++)
    {
      e = fl_registry_get_plugin (reg, i);
      if (!e->loaded && e->reason != NULL && strstr (e->reason, refused))
        *reason = g_strdup (e->reason);
    }
  return find_entry (reg, "fake-magic", TRUE) != NULL;
}

static void
rm_tree (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);

  g_assert_cmpint (system (cmd), ==, 0);
}

/* Symlinks and writable ancestors: no root needed. */
static void
test_loader_symlinks_and_ancestors (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *top = g_dir_make_tmp ("flowread-trust-XXXXXX", &error);
  g_autofree char *open_dir = NULL, *safe = NULL, *links = NULL;
  g_autofree char *ww = NULL, *ww_plugins = NULL;
  g_autofree char *sticky = NULL, *sticky_plugins = NULL;
  g_autofree char *target = NULL, *safe_target = NULL, *link = NULL;
  g_autofree char *why = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (chmod (top, 0755), ==, 0);

  /* a plugin file that is a symlink into a world-writable folder */
  open_dir = make_dir (top, "open", 0777);
  target = put_plugin (open_dir, "fake-good");
  links = make_dir (top, "links", 0755);
  link = g_build_filename (links, "fake-good.so", NULL);
  g_assert_cmpint (symlink (target, link), ==, 0);
  g_assert_false (loads_from (links, "writable", &why));
  g_assert_nonnull (why);
  g_assert_nonnull (strstr (why, open_dir));
  g_assert_nonnull (strstr (why, "resolves to"));
  g_clear_pointer (&why, g_free);
  /* the same link to a safe folder is fine */
  safe = make_dir (top, "safe", 0755);
  safe_target = put_plugin (safe, "fake-good");
  g_assert_cmpint (g_remove (link), ==, 0);
  g_assert_cmpint (symlink (safe_target, link), ==, 0);
  g_assert_true (loads_from (links, "writable", &why));
  g_assert_null (why);

  /* a folder inside a world-writable (not sticky) parent */
  ww = make_dir (top, "ww", 0777);
  ww_plugins = make_dir (ww, "plugins", 0755);
  g_free (put_plugin (ww_plugins, "fake-good"));
  g_assert_false (loads_from (ww_plugins, "writable", &why));
  g_assert_nonnull (strstr (why, ww));
  g_clear_pointer (&why, g_free);
  /* a sticky world-writable parent (like /tmp) cannot have our folder
   * swapped: fine */
  sticky = make_dir (top, "sticky", 01777);
  sticky_plugins = make_dir (sticky, "plugins", 0755);
  g_free (put_plugin (sticky_plugins, "fake-good"));
  g_assert_true (loads_from (sticky_plugins, "writable", &why));
  g_assert_null (why);
  /* but a plugin directly in a sticky world-writable folder is not: others
   * may put files there */
  {
    g_autoptr (FlRegistry) reg = fl_registry_new ();
    g_free (put_plugin (sticky, "fake-good"));
    fl_registry_add_dir (reg, sticky);
    fl_registry_load (reg, NULL);
    g_assert_null (find_entry (reg, "fake-magic", TRUE));
  }
  rm_tree (top);
}

/* Files and folders owned by another user: needs root (chown). */
static void
test_loader_ownership (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *top = NULL, *plugins = NULL, *file = NULL;
  g_autofree char *parent = NULL, *inner = NULL;
  g_autofree char *why = NULL;
  const uid_t nobody = 65534;

  if (geteuid () != 0)
    {
      g_test_skip ("needs root: chown of a plugin to another user "
                   "(run the core suite as root to assert it)");
      return;
    }
  top = g_dir_make_tmp ("flowread-owner-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (top, 0755), ==, 0);
  plugins = make_dir (top, "plugins", 0755);
  file = put_plugin (plugins, "fake-good");
  g_assert_true (loads_from (plugins, "owned", &why));

  /* the plugin file */
  g_assert_cmpint (chown (file, nobody, nobody), ==, 0);
  g_assert_false (loads_from (plugins, "owned by uid 65534", &why));
  g_assert_nonnull (strstr (why, file));
  g_clear_pointer (&why, g_free);
  g_assert_cmpint (chown (file, 0, 0), ==, 0);
  g_assert_true (loads_from (plugins, "owned", &why));

  /* the plugin folder */
  g_assert_cmpint (chown (plugins, nobody, nobody), ==, 0);
  g_assert_false (loads_from (plugins, "owned by uid 65534", &why));
  g_clear_pointer (&why, g_free);
  g_assert_cmpint (chown (plugins, 0, 0), ==, 0);

  /* a folder above it */
  parent = make_dir (top, "theirs", 0755);
  inner = make_dir (parent, "plugins", 0755);
  g_free (put_plugin (inner, "fake-good"));
  g_assert_true (loads_from (inner, "owned", &why));
  g_assert_cmpint (chown (parent, nobody, nobody), ==, 0);
  g_assert_false (loads_from (inner, "owned by uid 65534", &why));
  g_assert_nonnull (strstr (why, parent));
  rm_tree (top);
}

/* A plugin refused by the path checks runs no code; one refused for its
 * descriptor has had its ELF constructor run (dlopen runs it): what
 * flowread-plugin.h now says. */
static void
test_loader_constructor (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *top = g_dir_make_tmp ("flowread-ctor-XXXXXX", &error);
  g_autofree char *ww = NULL, *good = NULL;
  g_autofree char *why = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (chmod (top, 0755), ==, 0);
  g_unsetenv ("FLTEST_FAKE_CTOR_RAN");
  ww = make_dir (top, "ww", 0777);
  g_free (put_plugin (ww, "fake-ctor"));
  g_assert_false (loads_from (ww, "writable", &why));
  g_assert_nonnull (why);
  g_assert_null (g_getenv ("FLTEST_FAKE_CTOR_RAN"));
  g_clear_pointer (&why, g_free);

  good = make_dir (top, "good", 0755);
  g_free (put_plugin (good, "fake-ctor"));
  g_assert_false (loads_from (good, "open/next/close", &why));
  g_assert_nonnull (why);
  g_assert_cmpstr (g_getenv ("FLTEST_FAKE_CTOR_RAN"), ==, "1");
  rm_tree (top);
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

/* ------------------------------------------------ exec twins and no-exec */

static void
test_probe_exec_twins (void)
{
  const char *names[] = { "fake-good", NULL };
  g_autofree char *dir = make_plugin_dir (names);
  g_autoptr (FlRegistry) reg = fake_registry (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) log = g_string_new (NULL);
  FlOpenOptions opts = { sizeof opts, NULL, FL_OPEN_NO_EXEC };
  FlStatus st;
  GString *s;

  /* the exec twin scores 90 with a higher priority: the native reader,
   * at 30, still wins; at 0 the exec twin may have it */
  g_assert_true (fl_probe_stream (reg, fl_stream_new_memory ("T:30:90", 7, "m"),
                                  probe_cb, log, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (log->str, "0:fake-twin-native:30*;"));
  g_assert_nonnull (strstr (log->str, "0:fake-twin-exec:90;"));
  g_string_truncate (log, 0);
  g_assert_true (fl_probe_stream (reg, fl_stream_new_memory ("T:1:99", 6, "m"),
                                  probe_cb, log, &error));
  g_assert_nonnull (strstr (log->str, "0:fake-twin-native:1*;"));
  g_string_truncate (log, 0);
  g_assert_true (fl_probe_stream (reg, fl_stream_new_memory ("T:0:90", 6, "m"),
                                  probe_cb, log, &error));
  g_assert_nonnull (strstr (log->str, "0:fake-twin-exec:90*;"));

  /* FL_OPEN_NO_EXEC: the exec reader is not a candidate, nor forceable */
  s = read_all (reg, "T:0:90", NULL, &st, &error);
  g_assert_no_error (error);
  g_assert_cmpint (st, ==, FL_STATUS_END);
  g_string_free (s, TRUE);
  {
    g_autoptr (FlReader) r = fl_reader_open_memory (reg, "T:0:90", 6, "m",
                                                    &opts, &error);
    g_assert_null (r);
    g_assert_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT);
    g_clear_error (&error);
  }
  {
    g_autoptr (FlReader) r = NULL;
    opts.format = "fake-twin-exec";
    r = fl_reader_open_memory (reg, "T:0:90", 6, "m", &opts, &error);
    g_assert_null (r);
    g_assert_error (error, FL_ERROR, FL_ERROR_PLUGIN);
    g_assert_nonnull (strstr (error->message, "FL_OPEN_NO_EXEC"));
    g_clear_error (&error);
    /* the native one still opens under the flag */
    opts.format = NULL;
    r = fl_reader_open_memory (reg, "T:30:90", 7, "m", &opts, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (fl_reader_get_format (r), ==, "fake-twin-native");
  }

  /* FL_REGISTRY_NO_EXEC: not loaded at all, listed with the reason */
  {
    g_autoptr (FlRegistry) noexec = fl_registry_new ();
    const FlPluginInfo *e;

    fl_registry_set_flags (noexec, FL_REGISTRY_NO_EXEC);
    fl_registry_add_dir (noexec, dir);
    g_assert_true (fl_registry_load (noexec, &error));
    g_assert_null (find_entry (noexec, "fake-twin-exec", TRUE));
    e = find_entry (noexec, "fake-twin-exec", FALSE);
    g_assert_nonnull (e);
    g_assert_nonnull (strstr (e->reason, "FL_REGISTRY_NO_EXEC"));
    g_assert_nonnull (find_entry (noexec, "fake-twin-native", TRUE));
    g_assert_nonnull (find_entry (noexec, "fake-magic", TRUE));
    opts.flags = 0;
    opts.format = "fake-twin-exec";
    g_assert_null (fl_reader_open_memory (noexec, "T:0:90", 6, "m", &opts,
                                          &error));
    g_assert_error (error, FL_ERROR, FL_ERROR_PLUGIN);
    g_clear_error (&error);
    opts.format = NULL;
    g_assert_null (fl_reader_open_memory (noexec, "T:0:90", 6, "m", &opts,
                                          &error));
    g_assert_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT);
  }
  remove_dir (dir);
}

/* What open() sees as FlOptions: the host's flags. */
static void
test_options_flags (void)
{
  const char *names[] = { "fake-good", NULL };
  g_autofree char *dir = make_plugin_dir (names);
  g_autoptr (FlRegistry) reg = fake_registry (dir);
  g_autoptr (GError) error = NULL;
  guint flags[] = { 0, FL_OPEN_NO_EXEC };

  g_assert_cmpuint (fl_options_get_flags (NULL), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      FlOpenOptions opts = { sizeof opts, NULL, flags[i] };
      g_autoptr (FlReader) r = fl_reader_open_memory (reg, "FAKEOPTSz", 9,
                                                      "m", &opts, &error);
      FlFlow flow;

      g_assert_no_error (error);
      fl_flow_init (&flow);
      g_assert_cmpint (fl_reader_next (r, &flow, &error), ==, FL_STATUS_OK);
      g_assert_true (fl_flow_has (&flow, FL_FIELD_INPUT));
      g_assert_cmpuint (flow.input, ==, flags[i]);
    }
  remove_dir (dir);
}

/* ------------------------------------------------------------- ABI 1.0 */

/* A plugin built against ABI 1.0 (fake-v10: 1.0-sized FlReaderClass,
 * abi_minor 0, fills the 1.0 prefix of FlFlow) loads and reads. */
static void
test_abi10_plugin (void)
{
  const char *names[] = { "fake-v10", NULL };
  g_autofree char *dir = make_plugin_dir (names);
  g_autoptr (FlRegistry) reg = fake_registry (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (FlReader) r = NULL;
  const FlPluginInfo *e = find_entry (reg, "fake10-magic", TRUE);
  FlFlow flow;
  const char *want = "ab";

  g_assert_nonnull (e);
  g_assert_cmpstr (e->plugin, ==, "fake10");
  r = fl_reader_open_memory (reg, "FAKE10ab", 8, "m", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fl_reader_get_format (r), ==, "fake10-magic");
  fl_flow_init (&flow);
  for (guint i = 0; want[i] != '\0'; i++)
    {
      /* stale 1.1 values from a previous flow must not show as present */
      flow.present_hi = ~G_GUINT64_CONSTANT (0);
      memset (&flow.out_packets, 0x77, sizeof flow - G_STRUCT_OFFSET (FlFlow, out_packets));
      g_assert_cmpint (fl_reader_next (r, &flow, &error), ==, FL_STATUS_OK);
      g_assert_no_error (error);
      g_assert_cmpuint (flow.struct_size, ==, sizeof (FlFlow));
      g_assert_cmpuint (flow.prot, ==, (guint8) want[i]);
      g_assert_cmpuint (flow.tag, ==, 1000u + (guint8) want[i]);
      g_assert_cmpuint (flow.srcport, ==, 2000u + (guint8) want[i]);
      g_assert_cmpuint (flow.present_hi, ==, 0);
      g_assert_false (fl_flow_has (&flow, FL_FIELD_FLOW_ID));
      g_assert_false (fl_flow_has (&flow, FL_FIELD_OUT_BYTES));
      g_assert_true (fl_flow_has (&flow, FL_FIELD_TAG));
    }
  g_assert_cmpint (fl_reader_next (r, &flow, &error), ==, FL_STATUS_END);
  remove_dir (dir);
}

/* A host built against ABI 1.0: its FlFlow ends at present_hi, its
 * FlOpenOptions at flags. It gets the 1.0 prefix of what a 1.1 host gets,
 * nothing is written past its flow, and nothing is read past its options. */
static void
test_abi10_host (void)
{
  const char *names[] = { "fake-good", NULL };
  g_autofree char *dir = make_plugin_dir (names);
  g_autoptr (FlRegistry) reg = fake_registry (dir);
  g_autoptr (GError) error = NULL;
  const gsize flow10 = G_STRUCT_OFFSET (FlFlow, present_hi);
  const gsize opts10 = G_STRUCT_OFFSET (FlOpenOptions, flags);
  struct { FlOpenOptions o; guint8 guard[16]; } opts;
  struct { FlFlow flow; guint8 guard[16]; } small;
  g_autoptr (FlReader) r = NULL;
  g_autoptr (FlReader) full_r = NULL;
  FlFlow full;
  FlStatus st;

  /* 1.0 options with 0xff where 1.1 has flags, filter, since, until: a core
   * that read them would switch exec off, filter through a wild pointer or
   * drop every flow */
  memset (&opts, 0xff, sizeof opts);
  opts.o.struct_size = opts10;
  opts.o.format = "fake-opts";
  r = fl_reader_open_memory (reg, "FAKEOPTSxyz", 11, "m", &opts.o, &error);
  g_assert_no_error (error);
  full_r = fl_reader_open_memory (reg, "FAKEOPTSxyz", 11, "m", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fl_reader_get_format (r), ==, "fake-opts");

  fl_flow_init (&full);
  for (guint i = 0; i < 3; i++)
    {
      memset (&small, 0x5a, sizeof small);
      small.flow.struct_size = flow10;
      g_assert_cmpint (fl_reader_next (r, &small.flow, &error), ==,
                       FL_STATUS_OK);
      g_assert_no_error (error);
      g_assert_cmpint (fl_reader_next (full_r, &full, &error), ==,
                       FL_STATUS_OK);
      g_assert_cmpuint (small.flow.struct_size, ==, flow10);
      g_assert_cmpuint (small.flow.prot, ==, (guint8) "xyz"[i]);
      /* the plugin saw no flags: the 1.0 options have none */
      g_assert_cmpuint (small.flow.input, ==, 0);
      /* the same prefix as the full-size read */
      g_assert_true (memcmp ((guint8 *) &small.flow + sizeof (gsize),
                             (guint8 *) &full + sizeof (gsize),
                             flow10 - sizeof (gsize)) == 0);
      /* nothing written past it */
      for (gsize b = flow10; b < sizeof small; b++)
        g_assert_cmpuint (((guint8 *) &small)[b], ==, 0x5a);
    }
  st = fl_reader_next (r, &small.flow, &error);
  g_assert_cmpint (st, ==, FL_STATUS_END);
  g_assert_no_error (error);
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
  g_test_add_func ("/core/stream/path-fd", test_stream_path_fd);
  g_test_add_func ("/core/loader/refusals", test_loader_refusals);
  g_test_add_func ("/core/loader/permissions-order", test_loader_permissions_and_order);
  g_test_add_func ("/core/loader/symlinks-ancestors", test_loader_symlinks_and_ancestors);
  g_test_add_func ("/core/loader/ownership", test_loader_ownership);
  g_test_add_func ("/core/loader/constructor", test_loader_constructor);
  g_test_add_func ("/core/probe/loop", test_probe_loop);
  g_test_add_func ("/core/probe/priority", test_probe_priority);
  g_test_add_func ("/core/reader/info-smaller-flow", test_reader_info_and_smaller_flow);
  g_test_add_func ("/core/probe/exec-twins", test_probe_exec_twins);
  g_test_add_func ("/core/options/flags", test_options_flags);
  g_test_add_func ("/core/abi10/plugin", test_abi10_plugin);
  g_test_add_func ("/core/abi10/host", test_abi10_host);
  return g_test_run ();
}

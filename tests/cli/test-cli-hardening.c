/* SPDX-License-Identifier: MIT */
/*
 * The CLI against hostile inputs and a hostile installation (issue 18):
 * no raw control character reaches the terminal from a file or a file name
 * (item 7), and a set-uid or set-gid flowread refuses to run (item 4).
 */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fl-test-util.h"

static char *tmp_dir;

/* No byte of text is a C0 control other than the line ends, nor DEL. */
static void
assert_no_control (const char *what, const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if ((c < 0x20 && c != '\n') || c == 0x7f)
        {
          g_test_message ("%s: raw control byte 0x%02x in: %s", what, c, text);
          g_test_fail ();
          return;
        }
    }
}

/* Every line of text starts with "flowread: " (nothing forged a line
 * break), and there are exactly n lines. */
static void
assert_message_lines (const char *text, guint n)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint count = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      count++;
    }
  g_assert_cmpuint (count, ==, n);
}

/* A flow-tools header whose hostname is ESC + newline: --info shows it as
 * "\x1b\n", on one line. Before: the raw bytes (a terminal escape, and a
 * forged "line"). */
static void
test_info_escapes (void)
{
  g_autofree char *src = fl_test_corpus_path ("flow-tools/mixed-v5-le-z0.ft");
  g_autofree char *path = g_build_filename (tmp_dir, "hostile-host.ft", NULL);
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  const char *args[] = { "--info", path, NULL };
  FlTestRun run;
  gsize len;

  data = fl_test_read_file (src, &len);
  /* The hostname TLV (type 15, length 3, "vm\0") at byte 0x46. */
  g_assert_cmpuint (len, >, 0x50);
  g_assert_cmpint (memcmp (data + 0x46, "\x0f\x00\x03\x00vm\0", 7), ==, 0);
  data[0x4a] = '\x1b';
  data[0x4b] = '\n';
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);

  fl_test_run_cli (&run, NULL, args);
  g_assert_cmpint (run.status, ==, 0);
  assert_no_control ("--info", run.out);
  g_assert_nonnull (strstr (run.out, "\nhostname: \\x1b\\n\n"));
  fl_test_run_clear (&run);
  g_unlink (path);
}

/* A file name with a newline, ESC and a backslash in errors, -c lines and
 * --probe: escaped, so that it cannot forge a "flowread:" line. */
static void
test_file_name_escapes (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "a\nflowread: forged\x1b[2J\\", NULL);
  g_autofree char *real = g_build_filename (tmp_dir, "b\nflowread: forged.ft", NULL);
  g_autofree char *src = fl_test_corpus_path ("flow-tools/mixed-v5-le-z0.ft");
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  const char *err_args[] = { "-c", missing, NULL };
  const char *count_args[] = { "-c", real, real, NULL };
  const char *probe_args[] = { "--probe", real, NULL };
  FlTestRun run;
  gsize len;

  /* The error for a missing file: one message line. */
  fl_test_run_cli (&run, NULL, err_args);
  g_assert_cmpint (run.status, ==, 1);
  g_test_message ("%s", run.err);
  assert_no_control ("error", run.err);
  assert_message_lines (run.err, 1);
  g_assert_nonnull (strstr (run.err, "a\\nflowread: forged\\x1b[2J\\\\"));
  fl_test_run_clear (&run);

  data = fl_test_read_file (src, &len);
  g_file_set_contents (real, data, (gssize) len, &error);
  g_assert_no_error (error);

  /* -c with two FILEs prints "N NAME" lines and a total. */
  fl_test_run_cli (&run, NULL, count_args);
  g_assert_cmpint (run.status, ==, 0);
  assert_no_control ("-c", run.out);
  g_assert_cmpuint (fl_test_count_lines (run.out, run.out_len), ==, 3);
  g_assert_nonnull (strstr (run.out, "2414 "));
  g_assert_nonnull (strstr (run.out, "b\\nflowread: forged.ft\n"));
  fl_test_run_clear (&run);

  fl_test_run_cli (&run, NULL, probe_args);
  g_assert_cmpint (run.status, ==, 0);
  assert_no_control ("--probe", run.out);
  g_assert_nonnull (strstr (run.out, "b\\nflowread: forged.ft: winner: flowtools\n"));
  {
    g_auto (GStrv) lines = g_strsplit (run.out, "\n", -1);

    /* Every line names the file first: none starts with the forged text. */
    for (guint i = 0; lines[i] != NULL; i++)
      g_assert_false (g_str_has_prefix (lines[i], "flowread: forged"));
  }
  fl_test_run_clear (&run);
  g_unlink (real);
}

/* A set-uid flowread: a copy of the CLI (built with an absolute run path,
 * which the loader still honours for a secure exec, unlike $ORIGIN) owned
 * by another user with the set-uid bit, run by us. Its effective uid then
 * differs from ours: it must refuse, exit 2, before loading any plugin
 * (a --plugin-dir that would fail loudly shows that none was tried). The
 * same with set-gid. Needs root (to give the copy away). */
static void
run_privileged_copy (const char *bin, uid_t owner, gid_t group, mode_t mode)
{
  g_autofree char *copy = g_build_filename (tmp_dir, "flowread-suid", NULL);
  g_autofree char *data = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (tmp_dir, "no-such-file", NULL);
  const char *argv[] = { copy, "--plugin-dir", "/nonexistent", "-c", missing, NULL };
  gsize len;
  int status = 0;

  data = fl_test_read_file (bin, &len);
  g_file_set_contents (copy, data, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chown (copy, owner, group), ==, 0);
  g_assert_cmpint (chmod (copy, mode), ==, 0);

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("set-id copy (mode %o): %s", (unsigned) mode, err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "refusing to run set-uid or set-gid"));
  /* Neither the plugin folder nor the FILE was looked at. */
  g_assert_null (strstr (err, "nonexistent"));
  g_assert_null (strstr (err, "no-such-file"));
  assert_message_lines (err, 1);
  g_unlink (copy);
}

static void
test_setuid (void)
{
  const char *bin = g_getenv ("FLOWREAD_BIN_ABS_RPATH");
  struct passwd *nobody = getpwnam ("nobody");

  g_assert_nonnull (bin);
  if (getuid () != 0 || nobody == NULL || nobody->pw_uid == 0)
    {
      g_test_skip ("needs root and a 'nobody' user to make a set-uid copy");
      return;
    }
  /* The folder must be searchable by the other user (the loader runs with
   * its effective ids). */
  g_assert_cmpint (chmod (tmp_dir, 0755), ==, 0);
  run_privileged_copy (bin, nobody->pw_uid, 0, 04755);
  run_privileged_copy (bin, 0, nobody->pw_gid, 02755);

  /* The same copy without the bits runs (the refusal is the bit, not
   * the copy or its owner). */
  {
    g_autofree char *copy = g_build_filename (tmp_dir, "flowread-plain", NULL);
    g_autofree char *data = NULL;
    g_autofree char *out = NULL;
    g_autoptr (GError) error = NULL;
    const char *argv[] = { copy, "--version", NULL };
    gsize len;
    int status = 0;

    data = fl_test_read_file (bin, &len);
    g_file_set_contents (copy, data, (gssize) len, &error);
    g_assert_no_error (error);
    g_assert_cmpint (chmod (copy, 0755), ==, 0);
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, &out, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    g_assert_true (g_str_has_prefix (out, "flowread "));
    g_unlink (copy);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("flowread-cli-hard-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cli/hardening/info-escapes", test_info_escapes);
  g_test_add_func ("/cli/hardening/file-name-escapes", test_file_name_escapes);
  g_test_add_func ("/cli/hardening/setuid", test_setuid);
  status = g_test_run ();

  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return status;
}

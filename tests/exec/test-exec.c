/* SPDX-License-Identifier: MIT */
/*
 * Tests of the exec plugins (flowtools-exec, flowd-exec, nfdump-exec) and of
 * the child-process helper behind them (plugins/common/fl-child.c).
 *
 * flow-export and flowd-reader are replaced by stand-in shell scripts that
 * this test writes into a temporary folder and names through
 * FLOWREAD_FLOW_EXPORT / FLOWREAD_FLOWD_READER. A stand-in checks its
 * arguments, reads all of its standard input, compares it with the sample's
 * bytes (cmp), then prints the corpus's recorded tool output (the MANIFEST
 * `golden` column) or plays a failure (exit status, signal, bad output,
 * endless output). The exec plugins' truth is that output read as written:
 * expected/NAME.flow-export.jsonl and expected/NAME.flowd-reader.jsonl.
 *
 * nfdump-exec is tested against the real nfdump (Debian package nfdump).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <flowread/flowread.h>
#include "fl-exec.h"
#include "fl-writer.h"
#include "fl-test-util.h"

static char *tmp_dir;        /* our scratch folder, removed at exit */
static char *standin_path;   /* the stand-in program */
static FlRegistry *registry;

/* ------------------------------------------------------------------ helpers */

/* The stand-in. Behaviour from the environment (inherited through the CLI
 * and the exec plugin, which only adds to the environment):
 *   FLTEST_ARGS   the exact arguments expected ("-f2", "-c /dev/stdin" ...)
 *   FLTEST_INPUT  file whose bytes stdin must carry (cmp)
 *   FLTEST_MODE   golden | fail | signal | garbage | nothing | flood | hang |
 *                 rowfail (one flow, then exit 1)
 *   FLTEST_GOLDEN the output to print (mode golden)
 *   FLTEST_PIDFILE where to write its pid (modes flood, hang) */
static const char standin_script[] =
  "#!/bin/sh\n"
  "# stand-in for flow-export / flowd-reader, written by test-exec\n"
  "if [ \"$*\" != \"$FLTEST_ARGS\" ]; then\n"
  "  echo \"stand-in: arguments '$*', expected '$FLTEST_ARGS'\" >&2; exit 90\n"
  "fi\n"
  "HDR='#:unix_secs,unix_nsecs,sysuptime,exaddr,dpkts,doctets,first,last,engine_type,engine_id,srcaddr,dstaddr,nexthop,input,output,srcport,dstport,prot,tos,tcp_flags,src_mask,dst_mask,src_as,dst_as'\n"
  "ROW='1700000000,0,3600000,192.0.2.1,1,60,3599000,3599500,0,0,10.0.0.1,10.0.0.2,0.0.0.0,1,2,1000,80,6,0,2,24,24,0,0'\n"
  "case \"$FLTEST_MODE\" in\n"
  "flood)\n"
  "  echo $$ > \"$FLTEST_PIDFILE\"\n"
  "  exec awk -v h=\"$HDR\" -v r=\"$ROW\" 'BEGIN { print h; for (i = 0; i < 1000000; i++) print r }'\n"
  "  ;;\n"
  "esac\n"
  "cat > \"$FLTEST_DIR/stdin.bin\" || exit 91\n"
  "if ! cmp -s \"$FLTEST_DIR/stdin.bin\" \"$FLTEST_INPUT\"; then\n"
  "  echo \"stand-in: standard input differs from $FLTEST_INPUT\" >&2; exit 92\n"
  "fi\n"
  "case \"$FLTEST_MODE\" in\n"
  "golden) exec cat \"$FLTEST_GOLDEN\" ;;\n"
  "fail) echo 'ftio_read(): stand-in failure message' >&2\n"
  "      echo 'second line of the message' >&2; exit 1 ;;\n"
  "signal) echo \"$HDR\"\n"
  "        kill -KILL $$ ;;\n"
  "garbage) echo \"$HDR\"\n"
  "         echo \"$ROW\"\n"
  "         echo 'this,is,not,a,flow' ;;\n"
  "nothing) exit 0 ;;\n"
  "rowfail) echo \"$HDR\"\n"
  "         echo \"$ROW\"; exit 1 ;;\n"
  "hang) echo \"$HDR\"\n"
  "      echo \"$ROW\"\n"
  "      echo $$ > \"$FLTEST_PIDFILE\"; exec sleep 600 ;;\n"
  "*) echo \"stand-in: unknown mode $FLTEST_MODE\" >&2; exit 93 ;;\n"
  "esac\n";

static void
write_file (const char *path, const char *text, gsize len, int mode)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

/* Points both program variables at the stand-in with this behaviour. */
static void
standin_setup (const char *args, const char *input, const char *mode,
               const char *golden)
{
  g_setenv ("FLOWREAD_FLOW_EXPORT", standin_path, TRUE);
  g_setenv ("FLOWREAD_FLOWD_READER", standin_path, TRUE);
  g_setenv ("FLTEST_DIR", tmp_dir, TRUE);
  g_setenv ("FLTEST_ARGS", args, TRUE);
  g_setenv ("FLTEST_INPUT", input != NULL ? input : "/dev/null", TRUE);
  g_setenv ("FLTEST_MODE", mode, TRUE);
  g_setenv ("FLTEST_GOLDEN", golden != NULL ? golden : "/dev/null", TRUE);
}

/* Reads path with the library (format forced), writes -o json into a
 * string. Returns the error (or NULL) and the flow count. */
static char *
api_json (const char *path, const char *format, guint *n_flows,
          GError **error_out)
{
  FlOpenOptions opts = { sizeof opts, format };
  g_autoptr (GError) error = NULL;
  FlReader *reader;
  FlWriter *writer;
  FlFlow flow;
  char *buf = NULL;
  size_t size = 0;
  FILE *mem = open_memstream (&buf, &size);
  FlStatus st;

  *n_flows = 0;
  g_assert_nonnull (mem);
  reader = fl_reader_open_path (registry, path, &opts, &error);
  if (reader == NULL)
    {
      fclose (mem);
      g_propagate_error (error_out, g_steal_pointer (&error));
      return buf;
    }
  writer = fl_writer_new (FL_OUTPUT_JSON, mem);
  fl_writer_begin_input (writer, reader);
  fl_flow_init (&flow);
  while ((st = fl_reader_next (reader, &flow, &error)) == FL_STATUS_OK)
    {
      fl_writer_write (writer, &flow);
      (*n_flows)++;
    }
  g_assert_true (fl_writer_flush (writer, NULL));
  fl_writer_free (writer);
  fl_reader_close (reader);
  fclose (mem);
  if (st == FL_STATUS_ERROR)
    g_propagate_error (error_out, g_steal_pointer (&error));
  return buf;
}

static void
assert_same_text (const char *what, const char *got, const char *want)
{
  if (g_strcmp0 (got, want) != 0)
    {
      g_autofree char *g = g_strndup (got != NULL ? got : "(null)", 600);
      g_autofree char *w = g_strndup (want, 600);

      g_test_message ("%s differs:\n got: %s\nwant: %s", what, g, w);
      g_test_fail ();
    }
}

/* ------------------------------------------------------------------ golden rows */

typedef struct {
  char *file;      /* corpus-relative sample */
  char *golden;    /* the tool's recorded CSV */
  char *expected;  /* expected/NAME.<tool>.jsonl */
  char *format;    /* flowtools-exec / flowd-exec */
  char *args;      /* arguments the stand-in must get */
} GoldenRow;

static void
golden_row_free (gpointer p)
{
  GoldenRow *r = p;

  g_free (r->file);
  g_free (r->golden);
  g_free (r->expected);
  g_free (r->format);
  g_free (r->args);
  g_free (r);
}

static void
test_golden_row (gconstpointer data)
{
  const GoldenRow *r = data;
  g_autofree char *path = fl_test_corpus_path (r->file);
  g_autofree char *golden = fl_test_corpus_path (r->golden);
  g_autofree char *expected_path = fl_test_corpus_path (r->expected);
  g_autofree char *expected = fl_test_read_file (expected_path, NULL);
  g_autofree char *api = NULL;
  g_autoptr (GError) error = NULL;
  const char *args[] = { "-F", r->format, "-o", "json", path, NULL };
  FlTestRun run;
  guint n = 0;

  standin_setup (r->args, path, "golden", golden);

  fl_test_run_cli (&run, NULL, args);
  if (run.status != 0)
    g_test_message ("flowread stderr: %s", run.err);
  g_assert_cmpint (run.status, ==, 0);
  assert_same_text ("CLI json", run.out, expected);
  fl_test_run_clear (&run);

  api = api_json (path, r->format, &n, &error);
  g_assert_no_error (error);
  assert_same_text ("API json", api, expected);
}

/* ------------------------------------------------------------------ failures */

static const char *
ft_sample (void)
{
  static char *path;

  if (path == NULL)
    path = fl_test_corpus_path ("flow-tools/real-v5-le.ft");
  return path;
}

static void
test_missing_program (void)
{
  const char *args[] = { "-F", "flowtools-exec", "-o", "json", ft_sample (), NULL };
  const char *probe_args[] = { "--probe", ft_sample (), NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  FlTestRun run;
  guint n;

  g_setenv ("FLOWREAD_FLOW_EXPORT", "/nonexistent/flow-export", TRUE);
  g_setenv ("FLOWREAD_FLOWD_READER", "/nonexistent/flowd-reader", TRUE);
  g_setenv ("FLOWREAD_NFDUMP", "/nonexistent/nfdump", TRUE);

  out = api_json (ft_sample (), "flowtools-exec", &n, &error);
  g_assert_error (error, FL_ERROR, FL_ERROR_EXEC);
  g_assert_nonnull (strstr (error->message, "flow-export not found"));
  g_assert_nonnull (strstr (error->message, "flow-tools"));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);
  g_clear_pointer (&out, g_free);

  {
    g_autofree char *fd = fl_test_corpus_path ("flowd/flowd-v5.log");
    g_autofree char *nf = fl_test_corpus_path ("nfdump/mixed-v5.nfcapd");

    out = api_json (fd, "flowd-exec", &n, &error);
    g_assert_error (error, FL_ERROR, FL_ERROR_EXEC);
    g_assert_nonnull (strstr (error->message, "flowd"));
    g_clear_error (&error);
    g_clear_pointer (&out, g_free);
    out = api_json (nf, "nfdump-exec", &n, &error);
    g_assert_error (error, FL_ERROR, FL_ERROR_EXEC);
    g_assert_nonnull (strstr (error->message, "nfdump"));
    g_clear_error (&error);
  }

  fl_test_run_cli (&run, NULL, args);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpuint (run.out_len, ==, 0);
  g_assert_nonnull (strstr (run.err, "flow-tools"));
  fl_test_run_clear (&run);

  /* --probe says why the exec twin scores 0. */
  fl_test_run_cli (&run, NULL, probe_args);
  g_assert_nonnull (strstr (run.out, "flow-export not found"));
  fl_test_run_clear (&run);

  g_unsetenv ("FLOWREAD_NFDUMP");
}

static void
run_failure (const char *mode, int code, const char *const *needles,
             guint want_flows)
{
  const char *args[] = { "-F", "flowtools-exec", "-o", "json", ft_sample (), NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  FlTestRun run;
  guint n = 0;

  standin_setup ("-f2", ft_sample (), mode, NULL);

  out = api_json (ft_sample (), "flowtools-exec", &n, &error);
  g_assert_nonnull (error);
  g_test_message ("%s: %s", mode, error->message);
  g_assert_error (error, FL_ERROR, code);
  for (guint i = 0; needles[i] != NULL; i++)
    g_assert_nonnull (strstr (error->message, needles[i]));
  g_assert_cmpuint (n, ==, want_flows);

  fl_test_run_cli (&run, NULL, args);
  g_assert_cmpint (run.status, ==, 1);
  for (guint i = 0; needles[i] != NULL; i++)
    g_assert_nonnull (strstr (run.err, needles[i]));
  {
    guint lines = 0;

    for (gsize i = 0; i < run.out_len; i++)
      lines += run.out[i] == '\n';
    g_assert_cmpuint (lines, ==, want_flows);
  }
  fl_test_run_clear (&run);
}

static void
test_exit_status (void)
{
  const char *needles[] = { "status 1", "stand-in failure message", NULL };

  run_failure ("fail", FL_ERROR_EXEC, needles, 0);
}

static void
test_signal (void)
{
  const char *needles[] = { "signal 9", NULL };

  run_failure ("signal", FL_ERROR_EXEC, needles, 0);
}

static void
test_malformed_line (void)
{
  const char *needles[] = { "line 3", NULL };

  /* One good row, then garbage: the good flow, then CORRUPT. */
  run_failure ("garbage", FL_ERROR_CORRUPT, needles, 1);
}

static void
test_no_output (void)
{
  const char *needles[] = { "printed nothing", NULL };

  run_failure ("nothing", FL_ERROR_EXEC, needles, 0);
}

/* flow-export loops forever, silent, on trail-z.ft (bytes after the zlib
 * stream) once it has printed the flows: the read must end with an error
 * after those flows instead of hanging, and the child must be gone. The
 * stand-in prints one flow, then sleeps. */
static void
test_silent_child (void)
{
  const char *needles[] = { "within 0.3 s and was stopped", NULL };
  g_autofree char *pidfile = g_build_filename (tmp_dir, "hang.pid", NULL);
  g_autofree char *pid_text = NULL;
  gint64 t0 = g_get_monotonic_time ();
  pid_t pid;

  g_setenv ("FLTEST_PIDFILE", pidfile, TRUE);
  g_setenv ("FLOWREAD_EXEC_TIMEOUT", "0.3", TRUE);
  run_failure ("hang", FL_ERROR_EXEC, needles, 1);
  g_unsetenv ("FLOWREAD_EXEC_TIMEOUT");
  /* twice 0.3 s (library, then CLI), far from the stand-in's 600 s */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 30 * G_USEC_PER_SEC);
  /* the CLI's child (the last one) is killed and reaped */
  pid_text = fl_test_read_file (pidfile, NULL);
  pid = (pid_t) atoi (pid_text);
  g_assert_cmpint (pid, >, 1);
  g_assert_cmpint (kill (pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
}

static int
cmp_int (gconstpointer a, gconstpointer b)
{
  return *(const int *) a - *(const int *) b;
}

static char *
fd_set_string (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  g_autoptr (GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  GString *s = g_string_new (NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      int fd = atoi (name);

      g_array_append_val (fds, fd);
    }
  g_array_sort (fds, cmp_int);
  /* One entry is the GDir's own fd: present in both listings alike. */
  for (guint i = 0; i < fds->len; i++)
    g_string_append_printf (s, "%d ", g_array_index (fds, int, i));
  return g_string_free (s, FALSE);
}

static void
test_early_close (void)
{
  g_autofree char *pidfile = g_build_filename (tmp_dir, "flood.pid", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *pid_text = NULL;
  g_autoptr (GError) error = NULL;
  FlOpenOptions opts = { sizeof opts, "flowtools-exec" };
  FlReader *reader;
  FlFlow flow;
  gint64 t0;
  pid_t pid;

  standin_setup ("-f2", ft_sample (), "flood", NULL);
  g_setenv ("FLTEST_PIDFILE", pidfile, TRUE);
  g_unlink (pidfile);

  before = fd_set_string ();
  reader = fl_reader_open_path (registry, ft_sample (), &opts, &error);
  g_assert_no_error (error);
  fl_flow_init (&flow);
  g_assert_cmpint (fl_reader_next (reader, &flow, &error), ==, FL_STATUS_OK);
  g_assert_no_error (error);
  g_assert_cmpuint (flow.dPkts, ==, 1);

  pid_text = fl_test_read_file (pidfile, NULL);
  pid = (pid_t) atoi (pid_text);
  g_assert_cmpint (pid, >, 1);
  g_assert_cmpint (kill (pid, 0), ==, 0); /* still running (or a zombie) */

  t0 = g_get_monotonic_time ();
  fl_reader_close (reader);
  /* Killed and reaped: no process, no zombie (a zombie answers kill 0). */
  g_assert_cmpint (kill (pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_cmpint (waitpid (pid, NULL, WNOHANG), ==, -1);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 3 * G_USEC_PER_SEC);
  g_test_message ("close with a running child took %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - t0) / 1000);

  after = fd_set_string ();
  g_assert_cmpstr (after, ==, before);
}

/* `flowread -F flowtools-exec FILE.gz`: the stand-in gets the inner bytes. */
static void
test_gzip_wrapped (void)
{
  g_autofree char *src = fl_test_corpus_path ("flow-tools/mixed-v5-le-z0.ft");
  g_autofree char *golden = fl_test_corpus_path
    ("flow-tools/expected/mixed-v5-le-z0.ft.flow-export.csv");
  g_autofree char *expected_path = fl_test_corpus_path
    ("flow-tools/expected/mixed-v5-le-z0.ft.flow-export.jsonl");
  g_autofree char *expected = fl_test_read_file (expected_path, NULL);
  g_autofree char *gz = g_build_filename (tmp_dir, "sample.ft.gz", NULL);
  g_autofree char *data = NULL;
  g_autoptr (GZlibCompressor) comp =
    g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr (GInputStream) mem = NULL;
  g_autoptr (GInputStream) conv = NULL;
  g_autoptr (GFile) gzfile = g_file_new_for_path (gz);
  g_autoptr (GFileOutputStream) fout = NULL;
  g_autoptr (GError) error = NULL;
  const char *args[] = { "-F", "flowtools-exec", "-o", "json", gz, NULL };
  gsize len;
  FlTestRun run;

  data = fl_test_read_file (src, &len);
  mem = g_memory_input_stream_new_from_data (g_steal_pointer (&data), (gssize) len, g_free);
  conv = g_converter_input_stream_new (mem, G_CONVERTER (comp));
  fout = g_file_replace (gzfile, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_splice (G_OUTPUT_STREAM (fout), conv,
                          G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                          G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);

  standin_setup ("-f2", src, "golden", golden);
  fl_test_run_cli (&run, NULL, args);
  if (run.status != 0)
    g_test_message ("flowread stderr: %s", run.err);
  g_assert_cmpint (run.status, ==, 0);
  assert_same_text ("gzip-wrapped CLI json", run.out, expected);
  fl_test_run_clear (&run);

  /* Also from standard input (a pipe for the stand-in as well). */
  {
    const char *stdin_args[] = { "-F", "flowtools-exec", "-o", "json", "-", NULL };

    fl_test_run_cli (&run, gz, stdin_args);
    g_assert_cmpint (run.status, ==, 0);
    assert_same_text ("gzip-wrapped stdin CLI json", run.out, expected);
    fl_test_run_clear (&run);
  }
}

/* fl-exec directly: a child that does not read its stdin at all, and a
 * large input, must neither block nor raise SIGPIPE in this process. */
static void
test_child_unread_input (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *big = g_malloc0 (4 * 1024 * 1024);
  FlStream *in = fl_stream_new_memory (big, 4 * 1024 * 1024, "big");
  const char *argv[] = { "/bin/sh", "-c", "echo one; echo two; exit 0", NULL };
  const char *env[] = { "FLTEST_X=1", NULL };
  FlChild *child;
  const char *line;
  gsize len;

  child = fl_child_spawn (argv, env, in, &error);
  g_assert_no_error (error);
  line = fl_child_read_line (child, 100, &len, &error);
  g_assert_cmpstr (line, ==, "one");
  line = fl_child_read_line (child, 100, &len, &error);
  g_assert_cmpstr (line, ==, "two");
  g_assert_cmpuint (len, ==, 3);
  line = fl_child_read_line (child, 100, &len, &error);
  g_assert_null (line);
  g_assert_no_error (error);
  g_assert_true (fl_child_finish (child, &error));
  g_assert_no_error (error);
  fl_child_free (child);
  fl_stream_unref (in);
}

static void
test_child_stream_cat (void)
{
  g_autoptr (GError) error = NULL;
  const gsize n = 3 * 1024 * 1024;
  g_autofree char *big = g_malloc (n);
  FlStream *in;
  const char *argv[] = { "/bin/sh", "-c", "wc -c; echo 'warn' >&2; exit 3", NULL };
  FlChild *child;
  const char *line;
  gsize len;

  for (gsize i = 0; i < n; i++)
    big[i] = (char) ('a' + i % 26);
  in = fl_stream_new_memory (big, n, "big");
  child = fl_child_spawn (argv, NULL, in, &error);
  g_assert_no_error (error);
  line = fl_child_read_line (child, 100, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_ascii_strtoull (line, NULL, 10), ==, n);
  g_assert_null (fl_child_read_line (child, 100, &len, &error));
  g_assert_false (fl_child_finish (child, &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_EXEC);
  g_assert_nonnull (strstr (error->message, "status 3"));
  g_assert_nonnull (strstr (error->message, "warn"));
  g_assert_nonnull (strstr (fl_child_get_stderr (child), "warn"));
  fl_child_free (child);
  fl_stream_unref (in);
}

static void
test_child_long_line (void)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "/bin/sh", "-c", "printf '%0300d\\n' 0", NULL };
  FlChild *child = fl_child_spawn (argv, NULL, NULL, &error);
  gsize len;

  g_assert_no_error (error);
  g_assert_null (fl_child_read_line (child, 100, &len, &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_LIMIT);
  fl_child_free (child);
}

static void
test_find_program (void)
{
  g_autofree char *sh = NULL;
  g_autofree char *p = NULL;

  g_setenv ("FLTEST_PROG", standin_path, TRUE);
  p = fl_exec_find_program ("FLTEST_PROG", "no-such-program-here");
  g_assert_cmpstr (p, ==, standin_path);
  g_clear_pointer (&p, g_free);
  g_setenv ("FLTEST_PROG", "/nonexistent/x", TRUE);
  g_assert_null (fl_exec_find_program ("FLTEST_PROG", "sh"));
  g_unsetenv ("FLTEST_PROG");
  sh = fl_exec_find_program ("FLTEST_PROG", "sh");
  g_assert_nonnull (sh);
  g_assert_true (g_path_is_absolute (sh));
  g_assert_null (fl_exec_find_program ("FLTEST_PROG", "no-such-program-here"));
  /* A directory or a non-executable file is not a program. */
  g_setenv ("FLTEST_PROG", tmp_dir, TRUE);
  g_assert_null (fl_exec_find_program ("FLTEST_PROG", "sh"));
  g_unsetenv ("FLTEST_PROG");
}

/* ------------------------------------------------------------------ nfdump */

static gboolean
have_nfdump (void)
{
  g_autofree char *p = g_find_program_in_path ("nfdump");

  if (p == NULL)
    {
      g_test_skip ("nfdump is not installed (Debian package nfdump)");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ hardening */

/* TRUE when pid is gone: no process, or a zombie waiting for an init that
 * does not reap (containers). */
static gboolean
process_gone (pid_t pid)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  const char *paren;

  if (kill (pid, 0) != 0 && errno == ESRCH)
    return TRUE;
  if (!g_file_get_contents (stat_path, &text, NULL, NULL))
    return TRUE;
  paren = strrchr (text, ')');
  return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

static gboolean
wait_gone (pid_t pid, int ms)
{
  for (int waited = 0; waited < ms; waited += 10)
    {
      if (process_gone (pid))
        return TRUE;
      g_usleep (10000);
    }
  return process_gone (pid);
}

/* Issue 18 item 1: with SIGCHLD ignored the kernel reaps the tool itself,
 * waitpid() gives ECHILD and the status is lost. Before: taken as 0, the
 * flow printed and the read ended in success although the tool exited 1. */
static void
test_sigchld_ignored (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *sh_out = NULL;
  g_autofree char *sh_err = NULL;
  struct sigaction ign = { 0 }, old;
  int status = 0;
  guint n = 0;

  standin_setup ("-f2", ft_sample (), "rowfail", NULL);
  ign.sa_handler = SIG_IGN;
  sigemptyset (&ign.sa_mask);
  g_assert_cmpint (sigaction (SIGCHLD, &ign, &old), ==, 0);
  out = api_json (ft_sample (), "flowtools-exec", &n, &error);
  sigaction (SIGCHLD, &old, NULL);
  g_assert_cmpuint (n, ==, 1);
  g_assert_error (error, FL_ERROR, FL_ERROR_EXEC);
  g_assert_nonnull (strstr (error->message, "exit status unknown"));
  g_clear_error (&error);

  /* The CLI started by a host that ignores SIGCHLD (perl, as in the
   * issue; the disposition survives exec). */
  {
    const char *argv[] = { "perl", "-e", "$SIG{CHLD} = 'IGNORE'; exec @ARGV",
                           fl_test_flowread_bin (), "-F", "flowtools-exec",
                           "-c", ft_sample (), NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                  &sh_out, &sh_err, &status, &error);
    g_assert_no_error (error);
    g_test_message ("perl > flowread: status %d, %s", status, sh_err);
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 1);
    g_assert_nonnull (strstr (sh_err, "exit status unknown"));
  }
}

/* Issue 18 item 2a: a tool that closes stdout and stderr and keeps
 * running. Before: the final waitpid() blocked forever. */
static void
test_child_closed_output (void)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "/bin/sh", "-c", "echo $$; exec >&- 2>&-; exec sleep 600", NULL };
  FlChild *child;
  const char *line;
  gint64 t0 = g_get_monotonic_time ();
  pid_t pid;
  gsize len;

  g_setenv ("FLOWREAD_EXEC_TIMEOUT", "0.5", TRUE);
  child = fl_child_spawn (argv, NULL, NULL, &error);
  g_unsetenv ("FLOWREAD_EXEC_TIMEOUT");
  g_assert_no_error (error);
  line = fl_child_read_line (child, 100, &len, &error);
  g_assert_nonnull (line);
  pid = (pid_t) atoi (line);
  g_assert_cmpint (pid, >, 1);
  g_assert_null (fl_child_read_line (child, 100, &len, &error));
  g_assert_no_error (error);
  g_assert_false (fl_child_finish (child, &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_EXEC);
  g_assert_nonnull (strstr (error->message, "was stopped"));
  fl_child_free (child);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  g_assert_true (wait_gone (pid, 2000));
}

/* Issue 18 item 2b: a tool that keeps writing stderr. Before: every byte
 * of stderr restarted the idle timer, so the read never ended. The
 * captured stderr stays capped. */
static void
test_child_stderr_flood (void)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "/bin/sh", "-c",
                         "echo one; while :; do echo 'Error process appendix "
                         "record type: 0' >&2; done", NULL };
  FlChild *child;
  gint64 t0 = g_get_monotonic_time ();
  gsize len;

  g_setenv ("FLOWREAD_EXEC_TIMEOUT", "0.5", TRUE);
  child = fl_child_spawn (argv, NULL, NULL, &error);
  g_unsetenv ("FLOWREAD_EXEC_TIMEOUT");
  g_assert_no_error (error);
  g_assert_cmpstr (fl_child_read_line (child, 100, &len, &error), ==, "one");
  g_assert_null (fl_child_read_line (child, 100, &len, &error));
  g_assert_error (error, FL_ERROR, FL_ERROR_EXEC);
  g_assert_nonnull (strstr (error->message, "within 0.5 s"));
  g_assert_cmpuint (strlen (fl_child_get_stderr (child)), <=, 64 * 1024);
  g_assert_nonnull (strstr (fl_child_get_stderr (child), "appendix"));
  fl_child_free (child);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
}

/* The real case of item 2b: nfdump 1.7.1 loops on this file, printing the
 * same line to stderr forever. */
static void
test_nfdump_stderr_loop (void)
{
  g_autofree char *path = fl_test_corpus_path ("attack/nfdump-stderr-loop.nfcapd");
  const char *args[] = { "-F", "nfdump-exec", "-c", path, NULL };
  gint64 t0 = g_get_monotonic_time ();
  g_autofree char *perturb = NULL;
  FlTestRun run;

  if (!have_nfdump ())
    return;
  g_unsetenv ("FLOWREAD_NFDUMP");
  /* meson's MALLOC_PERTURB_ fills nfdump's fresh buffers with a byte that
   * turns the loop into an early error exit: the loop needs zeros. */
  perturb = g_strdup (g_getenv ("MALLOC_PERTURB_"));
  g_unsetenv ("MALLOC_PERTURB_");
  g_setenv ("FLOWREAD_EXEC_TIMEOUT", "1", TRUE);
  fl_test_run_cli (&run, NULL, args);
  g_unsetenv ("FLOWREAD_EXEC_TIMEOUT");
  if (perturb != NULL)
    g_setenv ("MALLOC_PERTURB_", perturb, TRUE);
  g_test_message ("%s", run.err);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "nfdump did not finish within 1 s"));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
  fl_test_run_clear (&run);
}

/* Issue 18 item 2c: the tool exits 0 with all its output while a
 * grandchild still holds stdout. Before: the read waited for the idle
 * timeout (30 s), failed with "printed nothing" and the grandchild lived
 * on. Now: success at once, and the grandchild (same process group) is
 * killed. */
static void
test_child_grandchild (void)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "/bin/sh", "-c",
                         "echo one; sleep 600 & echo $!; exit 0", NULL };
  FlChild *child;
  const char *line;
  gint64 t0 = g_get_monotonic_time ();
  pid_t grandchild;
  gsize len;

  g_unsetenv ("FLOWREAD_EXEC_TIMEOUT");
  child = fl_child_spawn (argv, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fl_child_read_line (child, 100, &len, &error), ==, "one");
  line = fl_child_read_line (child, 100, &len, &error);
  g_assert_nonnull (line);
  grandchild = (pid_t) atoi (line);
  g_assert_cmpint (grandchild, >, 1);
  g_assert_null (fl_child_read_line (child, 100, &len, &error));
  g_assert_no_error (error);
  g_assert_true (fl_child_finish (child, &error));
  g_assert_no_error (error);
  fl_child_free (child);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  g_assert_true (wait_gone (grandchild, 2000));
}

/* Lists tmp (sorted names, one string). */
static char *
dir_listing (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  GString *s = g_string_new (NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_string_append_printf (s, "%s ", name);
  return g_string_free (s, FALSE);
}

/* Issue 18 item 3: nfdump-exec's copy of a piped or wrapped input. nfdump
 * 1.7.1 cannot read a pipe, so the copy stays, but it is capped and has no
 * name. Before: no cap (a gzip bomb wrote GBs) and a named file in $TMPDIR
 * that outlived a SIGTERM / SIGKILL. */
static void
test_nfdump_temp_copy (void)
{
  g_autofree char *src = fl_test_corpus_path ("nfdump/mixed-v5.nfcapd");
  g_autofree char *expected_path = fl_test_corpus_path ("nfdump/expected/mixed-v5.nfcapd.jsonl");
  g_autofree char *expected = NULL;
  g_autofree char *tdir = g_build_filename (tmp_dir, "tmpdir", NULL);
  g_autofree char *data = NULL;
  g_autofree char *listing = NULL;
  const char *stdin_args[] = { "-F", "nfdump-exec", "-o", "json", "-", NULL };
  g_autofree char *old_tmpdir = g_strdup (g_getenv ("TMPDIR"));
  FlTestRun run;
  gsize len;

  if (!have_nfdump ())
    return;
  g_unsetenv ("FLOWREAD_NFDUMP");
  g_assert_cmpint (g_mkdir_with_parents (tdir, 0700), ==, 0);
  g_setenv ("TMPDIR", tdir, TRUE);

  /* From a pipe-like stdin: the right flows, nothing left in $TMPDIR. */
  if (g_file_test (expected_path, G_FILE_TEST_EXISTS))
    expected = fl_test_read_file (expected_path, NULL);
  fl_test_run_cli (&run, src, stdin_args);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (fl_test_count_lines (run.out, run.out_len), ==, 2414);
  if (expected != NULL)
    assert_same_text ("nfdump-exec from stdin", run.out, expected);
  fl_test_run_clear (&run);
  listing = dir_listing (tdir);
  g_assert_cmpstr (listing, ==, "");
  g_clear_pointer (&listing, g_free);

  /* Over the cap: FL_ERROR_LIMIT, no flow, nothing left. */
  data = fl_test_read_file (src, &len);
  g_setenv ("FLOWREAD_NFDUMP_COPY_MAX", "4096", TRUE);
  fl_test_run_cli (&run, src, stdin_args);
  g_unsetenv ("FLOWREAD_NFDUMP_COPY_MAX");
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpuint (run.out_len, ==, 0);
  g_assert_nonnull (strstr (run.err, "larger than 4096 bytes"));
  fl_test_run_clear (&run);
  listing = dir_listing (tdir);
  g_assert_cmpstr (listing, ==, "");
  g_clear_pointer (&listing, g_free);

  /* Not nfcapd (`-F nfdump-exec /dev/zero`): refused before any copy. */
  {
    const char *zero_args[] = { "-F", "nfdump-exec", "-c", "-", NULL };

    fl_test_run_cli (&run, "/dev/zero", zero_args);
    g_assert_cmpint (run.status, ==, 1);
    g_assert_nonnull (strstr (run.err, "not an nfcapd file"));
    fl_test_run_clear (&run);
  }

  /* While the copy is being written (the input is a pipe that stays open
   * after the file's bytes: the copy waits for more), $TMPDIR holds no
   * name, so SIGKILL leaves nothing behind. The pipe is ours and carries
   * only the file: nothing here can grow without bound. */
  {
    const char *argv[] = { fl_test_flowread_bin (), "-F", "nfdump-exec", "-c", "-", NULL };
    g_autoptr (GError) error = NULL;
    gsize part = MIN (len, 32 * 1024); /* fits the pipe: write() returns */
    int p[2];
    GPid pid;

    g_assert_cmpint (pipe (p), ==, 0);
    g_assert_cmpint (write (p[1], data, part), ==, (gssize) part);
    g_spawn_async_with_fds (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, &pid, p[0], -1, -1, &error);
    g_assert_no_error (error);
    close (p[0]);
    g_usleep (400000);
    listing = dir_listing (tdir);
    g_assert_cmpint (kill (pid, 0), ==, 0); /* still copying, waiting for input */
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    close (p[1]);
    g_assert_cmpstr (listing, ==, "");
    g_clear_pointer (&listing, g_free);
    listing = dir_listing (tdir);
    g_assert_cmpstr (listing, ==, "");
  }

  if (old_tmpdir != NULL)
    g_setenv ("TMPDIR", old_tmpdir, TRUE);
  else
    g_unsetenv ("TMPDIR");
  g_rmdir (tdir);
}

static void
test_nfdump_row (gconstpointer data)
{
  const FlTestManifestRow *r = data;
  g_autofree char *path = fl_test_corpus_path (r->file);
  g_autofree char *expected_path = fl_test_corpus_path (r->expected);
  g_autofree char *expected = fl_test_read_file (expected_path, NULL);
  g_autofree char *api = NULL;
  g_autoptr (GError) error = NULL;
  const char *args[] = { "-F", "nfdump-exec", "-o", "json", path, NULL };
  const char *stdin_args[] = { "-F", "nfdump-exec", "-o", "json", "-", NULL };
  FlTestRun run;
  guint n = 0;

  if (!have_nfdump ())
    return;

  /* Forced: probing picks the native "nfdump" reader (its twin). */
  fl_test_run_cli (&run, NULL, args);
  if (run.status != 0)
    g_test_message ("flowread stderr: %s", run.err);
  g_assert_cmpint (run.status, ==, 0);
  assert_same_text ("CLI json", run.out, expected);
  fl_test_run_clear (&run);

  api = api_json (path, "nfdump-exec", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, r->flows);
  assert_same_text ("API json", api, expected);

  /* Standard input goes through a temporary file, removed at close. */
  {
    g_autofree char *tmp = g_build_filename (tmp_dir, "nftmp", NULL);
    g_autoptr (GDir) dir = NULL;

    g_mkdir (tmp, 0700);
    g_setenv ("TMPDIR", tmp, TRUE);
    fl_test_run_cli (&run, path, stdin_args);
    g_unsetenv ("TMPDIR");
    g_assert_cmpint (run.status, ==, 0);
    assert_same_text ("stdin CLI json", run.out, expected);
    fl_test_run_clear (&run);
    dir = g_dir_open (tmp, 0, NULL);
    g_assert_nonnull (dir);
    g_assert_null (g_dir_read_name (dir));
  }
}

/* Recompresses a sample with nfdump -w and reads it back. */
static void
test_nfdump_compressed (gconstpointer data)
{
  const char *flag = data;
  g_autofree char *src = fl_test_corpus_path ("nfdump/mixed-v9.nfcapd");
  g_autofree char *expected_path = fl_test_corpus_path
    ("nfdump/expected/mixed-v9.nfcapd.jsonl");
  g_autofree char *expected = fl_test_read_file (expected_path, NULL);
  g_autofree char *out = g_strdup_printf ("%s/recompressed%s.nfcapd", tmp_dir, flag);
  g_autofree char *api = NULL;
  g_autofree char *info = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "nfdump", "-r", src, flag, "-w", out, NULL };
  int status = 0;
  guint n = 0;
  gsize len;

  if (!have_nfdump ())
    return;
  g_unlink (out);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  info = fl_test_read_file (out, &len);
  g_assert_cmpuint (len, >, 40);
  /* Header byte 16: 1 LZO, 2 bzip2, 3 LZ4. */
  g_assert_cmpint (info[16], ==, flag[1] == 'z' ? 1 : flag[1] == 'j' ? 2 : 3);

  api = api_json (out, "nfdump-exec", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 4000);
  assert_same_text ("recompressed json", api, expected);
  g_unlink (out);
}

static void
nfdump_expect_error (const char *path, const char *needle)
{
  const char *args[] = { "-F", "nfdump-exec", "-o", "json", path, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *api = NULL;
  FlTestRun run;
  guint n = 0;

  api = api_json (path, "nfdump-exec", &n, &error);
  g_assert_nonnull (error);
  g_test_message ("%s: %s", path, error->message);
  g_assert_cmpuint (n, ==, 0);
  g_assert_true (error->code == FL_ERROR_CORRUPT || error->code == FL_ERROR_EXEC);
  g_assert_nonnull (strstr (error->message, needle));

  fl_test_run_cli (&run, NULL, args);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpuint (run.out_len, ==, 0);
  g_assert_nonnull (strstr (run.err, needle));
  fl_test_run_clear (&run);
}

static void
test_nfdump_truncated (void)
{
  g_autofree char *src = fl_test_corpus_path ("nfdump/mixed-v5.nfcapd");
  g_autofree char *out = g_build_filename (tmp_dir, "truncated.nfcapd", NULL);
  g_autofree char *data = NULL;
  gsize len;

  if (!have_nfdump ())
    return;
  data = fl_test_read_file (src, &len);
  write_file (out, data, len / 2, 0600);
  nfdump_expect_error (out, "truncated");
  g_unlink (out);
}

static void
test_nfdump_damaged (void)
{
  g_autofree char *src = fl_test_corpus_path ("nfdump/mixed-v5.nfcapd");
  g_autofree char *out = g_build_filename (tmp_dir, "damaged.nfcapd", NULL);
  g_autofree char *data = NULL;
  gsize len;

  if (!have_nfdump ())
    return;
  data = fl_test_read_file (src, &len);
  /* The first data block's size (offset 40 + 4) becomes absurd. */
  memset (data + 44, 0xff, 4);
  write_file (out, data, len, 0600);
  nfdump_expect_error (out, "nfdump");
  g_unlink (out);
}

static void
test_nfdump_probe (void)
{
  g_autofree char *src = fl_test_corpus_path ("nfdump/mixed-v5.nfcapd");
  g_autofree char *swapped = g_build_filename (tmp_dir, "swapped.nfcapd", NULL);
  g_autofree char *data = NULL;
  const char *args[] = { "--probe", src, NULL };
  const char *swapped_args[] = { "--probe", swapped, NULL };
  FlTestRun run;
  gsize len;

  g_setenv ("FLOWREAD_NFDUMP", "/nonexistent/nfdump", TRUE);
  fl_test_run_cli (&run, NULL, args);
  g_assert_nonnull (strstr (run.out, "nfdump not found"));
  fl_test_run_clear (&run);
  g_unsetenv ("FLOWREAD_NFDUMP");

  data = fl_test_read_file (src, &len);
  data[0] = (char) 0xA5;
  data[1] = 0x0C;
  write_file (swapped, data, 64, 0600);
  fl_test_run_cli (&run, NULL, swapped_args);
  g_assert_nonnull (strstr (run.out, "byte-swapped"));
  fl_test_run_clear (&run);
  g_unlink (swapped);
}

/* Regression (found by the damaged-input suite under UBSan): a damaged
 * nfcapd file made nfdump print a year-2583 time, and converting it to
 * nanoseconds overflowed. The stand-in prints one good line and one such
 * line: one flow, then a clear CORRUPT error. */
static void
test_nfdump_far_future (void)
{
  static const char script[] =
    "#!/bin/sh\n"
    "echo '@|2025-12-01 12:00:16.389|2025-12-01 12:00:16.399|192.0.2.3|"
    "230.195.243.57|2538|8443|6|1|40|......S.|184|0|0|0.0.0.0|127.0.0.1|0|0|0|0'\n"
    "echo '@|2583-05-09 00:02:42.418|2583-05-09 00:02:42.418|192.0.2.3|"
    "230.195.243.57|2538|8443|6|1|40|......S.|184|0|0|0.0.0.0|127.0.0.1|0|0|0|0'\n";
  g_autofree char *prog = g_build_filename (tmp_dir, "nfdump-far-future", NULL);
  g_autofree char *src = fl_test_corpus_path ("nfdump/mixed-v5.nfcapd");
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;
  guint n = 0;

  write_file (prog, script, sizeof script - 1, 0755);
  g_setenv ("FLOWREAD_NFDUMP", prog, TRUE);
  json = api_json (src, "nfdump-exec", &n, &error);
  g_unsetenv ("FLOWREAD_NFDUMP");
  g_assert_cmpuint (n, ==, 1);
  g_assert_error (error, FL_ERROR, FL_ERROR_CORRUPT);
  g_unlink (prog);
}

/* ------------------------------------------------------------------ main */

static void
rm_rf (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) golden_rows = g_ptr_array_new_with_free_func (golden_row_free);
  guint skipped = 0;
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* One bad row must not hide the others. */
  g_test_set_nonfatal_assertions ();

  tmp_dir = g_dir_make_tmp ("flowread-test-exec-XXXXXX", &error);
  g_assert_no_error (error);
  standin_path = g_build_filename (tmp_dir, "standin", NULL);
  write_file (standin_path, standin_script, sizeof standin_script - 1, 0700);
  registry = fl_registry_new_default (&error);
  g_assert_no_error (error);

  g_test_add_func ("/exec/find-program", test_find_program);
  g_test_add_func ("/exec/child/unread-input", test_child_unread_input);
  g_test_add_func ("/exec/child/stream-and-status", test_child_stream_cat);
  g_test_add_func ("/exec/child/long-line", test_child_long_line);
  g_test_add_func ("/exec/fail/missing-program", test_missing_program);
  g_test_add_func ("/exec/fail/exit-status", test_exit_status);
  g_test_add_func ("/exec/fail/signal", test_signal);
  g_test_add_func ("/exec/fail/malformed-line", test_malformed_line);
  g_test_add_func ("/exec/fail/no-output", test_no_output);
  g_test_add_func ("/exec/fail/silent-child", test_silent_child);
  g_test_add_func ("/exec/nfdump/far-future-time", test_nfdump_far_future);
  g_test_add_func ("/exec/early-close", test_early_close);
  g_test_add_func ("/exec/hardening/sigchld-ignored", test_sigchld_ignored);
  g_test_add_func ("/exec/hardening/closed-output", test_child_closed_output);
  g_test_add_func ("/exec/hardening/stderr-flood", test_child_stderr_flood);
  g_test_add_func ("/exec/hardening/grandchild", test_child_grandchild);
  g_test_add_func ("/exec/hardening/nfdump-stderr-loop", test_nfdump_stderr_loop);
  g_test_add_func ("/exec/hardening/nfdump-temp-copy", test_nfdump_temp_copy);
  g_test_add_func ("/exec/gzip-wrapped", test_gzip_wrapped);

  rows = fl_test_manifest_load ();
  for (guint i = 0; i < rows->len; i++)
    {
      FlTestManifestRow *r = g_ptr_array_index (rows, i);
      gboolean ft = g_str_equal (r->format, "flow-tools");
      gboolean fd = g_str_equal (r->format, "flowd");
      const char *suffix = ft ? ".flow-export.csv" : ".flowd-reader.csv";
      GoldenRow *g;
      g_autofree char *test_path = NULL;

      if (g_str_equal (r->format, "nfdump"))
        {
          test_path = g_strdup_printf ("/exec/nfdump/%s", r->file);
          g_test_add_data_func (test_path, r, test_nfdump_row);
          continue;
        }
      if (!ft && !fd)
        continue;
      /* Rows without a recorded tool output ("-") have nothing to replay.
       * For the ".correct.csv" rows the real flow-export is wrong (big-endian
       * v1005 / v8.12) or hangs (trail-z.ft); their golden file holds the
       * right values in flow-export's layout, so replaying it must give the
       * native truth, expected/NAME.jsonl. */
      if (ft && g_str_has_suffix (r->golden, ".correct.csv"))
        {
          g = g_new0 (GoldenRow, 1);
          g->expected = g_strdup (r->expected);
        }
      else if (g_str_has_suffix (r->golden, suffix))
        {
          g_autofree char *stem = g_strndup (r->golden, strlen (r->golden) - 4);

          g = g_new0 (GoldenRow, 1);
          g->expected = g_strconcat (stem, ".jsonl", NULL);
        }
      else
        {
          skipped++;
          continue;
        }
      g->file = g_strdup (r->file);
      g->golden = g_strdup (r->golden);
      g->format = g_strdup (ft ? "flowtools-exec" : "flowd-exec");
      if (ft)
        g->args = g_strdup ("-f2");
      else
        {
          g_autofree char *path = fl_test_corpus_path (r->file);
          g_autofree char *head = NULL;
          gsize len = 0;

          /* The legacy v2 magic: the plugin must pass -L. */
          g_file_get_contents (path, &head, &len, NULL);
          g->args = g_strdup (head != NULL && len >= 4 &&
                              memcmp (head, "\x01\x2c\xf0\x47", 4) == 0
                              ? "-L -c /dev/stdin" : "-c /dev/stdin");
        }
      g_ptr_array_add (golden_rows, g);
      test_path = g_strdup_printf ("/exec/golden/%s", r->file);
      g_test_add_data_func (test_path, g, test_golden_row);
    }
  g_test_message ("%u flow-tools/flowd rows have no replayable tool output", skipped);

  g_test_add_data_func ("/exec/nfdump/recompressed/lzo", "-z", test_nfdump_compressed);
  g_test_add_data_func ("/exec/nfdump/recompressed/bzip2", "-j", test_nfdump_compressed);
  g_test_add_data_func ("/exec/nfdump/recompressed/lz4", "-y", test_nfdump_compressed);
  g_test_add_func ("/exec/nfdump/truncated", test_nfdump_truncated);
  g_test_add_func ("/exec/nfdump/damaged", test_nfdump_damaged);
  g_test_add_func ("/exec/nfdump/probe", test_nfdump_probe);

  ret = g_test_run ();

  fl_registry_unref (registry);
  rm_rf (tmp_dir);
  g_free (tmp_dir);
  g_free (standin_path);
  return ret;
}

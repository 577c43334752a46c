/* SPDX-License-Identifier: MIT */
/*
 * fl-exec.c: child processes for the exec plugins (internal API, fl-exec.h).
 *
 * The child is started with fork()+execve() and argv only (never a shell).
 * Its stdin, stdout and stderr are pipes created with O_CLOEXEC; every other
 * fd is closed in the child before exec. One poll() loop in
 * fl_child_read_line() does three things at once, so that neither side can
 * block the other: it feeds the input stream to the child's stdin (non-
 * blocking writes, as much as the pipe takes), drains stderr into a capped
 * buffer, and reads stdout into the line buffer.
 *
 * A child that goes silent: flow-export loops forever at 100% CPU on a
 * flow-tools file with bytes after its zlib stream (flow-tools.md section
 * 4), after printing every flow. So that the host does not hang with it,
 * the poll() gives up when nothing at all happens on the child's pipes (no
 * output, no error text, no room to feed its input) for FL_CHILD_IDLE_S
 * seconds, or the $FLOWREAD_EXEC_TIMEOUT seconds (0 = wait forever): the
 * child is killed and the read fails with FL_ERROR_EXEC, after the flows
 * it printed. A child waiting for more input never trips this (its stdin
 * has room), and the tools print their flows as they read them.
 *
 * SIGPIPE: a child may stop reading before the end of its input (flowd-reader
 * at a corrupt record, nfdump never reads stdin). A write to its stdin then
 * fails with EPIPE and raises SIGPIPE, which would kill a host that did not
 * ignore it. We must not change the process-wide disposition (the host owns
 * it), so the write is done with SIGPIPE blocked in the calling thread; a
 * SIGPIPE raised by that write stays pending for this thread and is taken
 * away with sigtimedwait() (unless one was already pending before, which then
 * belongs to someone else and is left alone). This is the approach described
 * for libraries by e.g. the OpenSSL and curl SIGPIPE notes.
 */
#include "fl-exec.h"
#include "fl-csv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>

/* TRUE when set-uid or set-gid: environment overrides are then ignored
 * (the core's loader applies the same rule to FLOWREAD_PLUGIN_PATH). */
static gboolean
fl_exec_is_privileged (void)
{
  return getuid () != geteuid () || getgid () != getegid ();
}
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* stderr kept for the error message; the rest is read and dropped so the
 * child never blocks on a full stderr pipe. */
#define FL_CHILD_STDERR_CAP (64 * 1024)
/* How much of the input we take from the stream per write. */
#define FL_CHILD_FEED_CHUNK (64 * 1024)
/* stdout read size. */
#define FL_CHILD_READ_CHUNK (64 * 1024)
/* Grace period between SIGTERM and SIGKILL in fl_child_free(). */
#define FL_CHILD_TERM_WAIT_MS 1000
/* Default silence after which a child is given up (see above). */
#define FL_CHILD_IDLE_S 30

struct _FlChild {
  pid_t     pid;
  gboolean  reaped;
  int       wait_status;
  char     *program;     /* argv[0], for messages */

  int       in_fd;       /* -1 once closed */
  int       out_fd;
  int       err_fd;

  FlStream *input;       /* NULL when stdin is /dev/null */
  gboolean  input_done;  /* EOF fed, EPIPE, or input error */
  GError   *input_error; /* a read error of the input stream */

  char     *buf;         /* stdout bytes [start, end) */
  gsize     buf_size;
  gsize     start, end;
  gsize     scan;        /* [start, scan) known to hold no '\n' */
  gboolean  out_eof;

  GString  *err;
  gboolean  err_truncated;

  int       idle_ms;     /* poll() timeout, -1 = none */
};

/* ------------------------------------------------------------------ find */

static gboolean
is_executable_file (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode) &&
         access (path, X_OK) == 0;
}

static char *
search_path (const char *name)
{
  const char *path;
  g_auto (GStrv) dirs = NULL;

  if (strchr (name, '/') != NULL)
    return is_executable_file (name) ? g_strdup (name) : NULL;

  path = g_getenv ("PATH");
  if (path == NULL)
    path = "/usr/local/bin:/usr/bin:/bin";
  dirs = g_strsplit (path, ":", -1);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *full = NULL;

      /* An empty PATH entry means the current directory: never run a
       * program from there (same rule as for plugins). */
      if (dirs[i][0] == '\0' || !g_path_is_absolute (dirs[i]))
        continue;
      full = g_build_filename (dirs[i], name, NULL);
      if (is_executable_file (full))
        return g_steal_pointer (&full);
    }
  return NULL;
}

char *
fl_exec_find_program (const char *env_var, const char *name)
{
  gboolean privileged = getuid () != geteuid () || getgid () != getegid ();

  if (env_var != NULL && !privileged)
    {
      const char *value = g_getenv (env_var);

      /* An explicit choice is final: if it names nothing runnable we say
       * "not found" rather than silently running another program. */
      if (value != NULL && value[0] != '\0')
        return search_path (value);
    }
  if (name == NULL)
    return NULL;
  /* Under set-uid the caller's PATH is not trusted either. */
  if (privileged && strchr (name, '/') == NULL)
    {
      static const char *const safe[] = { "/usr/bin", "/bin", "/usr/local/bin", NULL };

      for (guint i = 0; safe[i] != NULL; i++)
        {
          g_autofree char *full = g_build_filename (safe[i], name, NULL);

          if (is_executable_file (full))
            return g_steal_pointer (&full);
        }
      return NULL;
    }
  return search_path (name);
}

gboolean
fl_exec_probe_program (FlProbe *probe, const FlExecProgram *prog)
{
  g_autofree char *program = fl_exec_find_program (prog->env_var, prog->name);

  if (program != NULL)
    return TRUE;
  fl_probe_set_reason (probe, "%s not found (install %s)", prog->name,
                       prog->package);
  return FALSE;
}

char *
fl_exec_open_program (const FlExecProgram *prog, GError **error)
{
  char *program = fl_exec_find_program (prog->env_var, prog->name);

  if (program == NULL)
    fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                  "%s not found: install %s (%s) or set %s", prog->name,
                  prog->package, prog->where, prog->env_var);
  return program;
}

/* ------------------------------------------------------------------ spawn */

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    {
      close (*fd);
      *fd = -1;
    }
}

/* Moves fd to >= 3 so that dup2() onto 0/1/2 in the child cannot clobber a
 * pipe end (possible when the host runs with a closed stdin). */
static int
fd_above_stdio (int fd)
{
  int nfd;

  if (fd < 0 || fd > 2)
    return fd;
  nfd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  close (fd);
  return nfd;
}

static gboolean
make_pipe (int p[2], GError **error)
{
  if (pipe2 (p, O_CLOEXEC) != 0)
    {
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64, "pipe: %s",
                    g_strerror (errno));
      return FALSE;
    }
  p[0] = fd_above_stdio (p[0]);
  p[1] = fd_above_stdio (p[1]);
  if (p[0] < 0 || p[1] < 0)
    {
      int e = errno;

      close_fd (&p[0]);
      close_fd (&p[1]);
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64, "pipe: %s",
                    g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* environ plus extra ("NAME=value" replaces NAME). Built before fork():
 * the child may only call async-signal-safe functions. */
static char **
build_env (const char *const *extra)
{
  GPtrArray *env = g_ptr_array_new ();

  for (char **e = environ; e != NULL && *e != NULL; e++)
    {
      gboolean replaced = FALSE;

      for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
        {
          const char *eq = strchr (extra[i], '=');
          gsize n = eq != NULL ? (gsize) (eq - extra[i]) : strlen (extra[i]);

          if (strncmp (*e, extra[i], n) == 0 && (*e)[n] == '=')
            replaced = TRUE;
        }
      if (!replaced)
        g_ptr_array_add (env, g_strdup (*e));
    }
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (env, g_strdup (extra[i]));
  g_ptr_array_add (env, NULL);
  return (char **) g_ptr_array_free (env, FALSE);
}

/* Child side, after fork(): async-signal-safe calls only. */
static void G_GNUC_NORETURN
child_exec (const char *const *argv, char **envp, int in_fd, int out_fd,
            int err_fd, int report_fd, int max_fd)
{
  sigset_t all;
  int e;

  /* The host may block or ignore signals; the tool must start clean
   * (a SIGPIPE-ignoring flow-export would spin on a closed stdout). */
  signal (SIGPIPE, SIG_DFL);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);

  if (dup2 (in_fd, 0) < 0 || dup2 (out_fd, 1) < 0 || dup2 (err_fd, 2) < 0)
    goto fail;

  /* Close everything else except the exec-error report pipe (CLOEXEC, so
   * exec closes it and the parent reads EOF = success). */
#ifdef SYS_close_range
  if (report_fd > 3)
    syscall (SYS_close_range, 3u, (unsigned) report_fd - 1, 0u);
  if (syscall (SYS_close_range, (unsigned) report_fd + 1, ~0u, 0u) != 0)
#endif
    {
      for (int fd = 3; fd < max_fd; fd++)
        if (fd != report_fd)
          close (fd);
    }

  execve (argv[0], (char *const *) argv, envp);
fail:
  e = errno;
  while (write (report_fd, &e, sizeof e) < 0 && errno == EINTR)
    ;
  _exit (127);
}

/* FL_CHILD_IDLE_S, or $FLOWREAD_EXEC_TIMEOUT (seconds, fractions allowed,
 * 0 = none; ignored set-uid like every variable); an unparsable value
 * keeps the default. */
static int
idle_timeout_ms (void)
{
  const char *value = fl_exec_is_privileged () ? NULL : g_getenv ("FLOWREAD_EXEC_TIMEOUT");
  char *end = NULL;
  double s;

  if (value == NULL || value[0] == '\0')
    return FL_CHILD_IDLE_S * 1000;
  s = g_ascii_strtod (value, &end);
  if (end == value || *end != '\0' || !(s >= 0) || s > 86400.0 * 24)
    return FL_CHILD_IDLE_S * 1000;
  if (s == 0)
    return -1;
  return MAX (1, (int) (s * 1000));
}

FlChild *
fl_child_spawn (const char *const *argv, const char *const *envp_extra,
                FlStream *input, GError **error)
{
  int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
  int rep_p[2] = { -1, -1 };
  char **envp = NULL;
  FlChild *child = NULL;
  long open_max;
  pid_t pid;
  int child_errno = 0;
  ssize_t n;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  if (input != NULL)
    {
      if (!make_pipe (in_p, error))
        goto fail;
    }
  else
    {
      in_p[0] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      in_p[0] = fd_above_stdio (in_p[0]);
      if (in_p[0] < 0)
        {
          fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64, "/dev/null: %s",
                        g_strerror (errno));
          goto fail;
        }
    }
  if (!make_pipe (out_p, error) || !make_pipe (err_p, error) ||
      !make_pipe (rep_p, error))
    goto fail;

  envp = build_env (envp_extra);
  open_max = sysconf (_SC_OPEN_MAX);
  if (open_max < 0 || open_max > 65536)
    open_max = 65536;

  pid = fork ();
  if (pid < 0)
    {
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64, "cannot start %s: fork: %s",
                    argv[0], g_strerror (errno));
      goto fail;
    }
  if (pid == 0)
    child_exec (argv, envp, in_p[0], out_p[1], err_p[1], rep_p[1],
                (int) open_max);

  g_strfreev (envp);
  envp = NULL;
  close_fd (&in_p[0]);
  close_fd (&out_p[1]);
  close_fd (&err_p[1]);
  close_fd (&rep_p[1]);

  /* EOF on the report pipe = exec succeeded; an int = exec's errno. */
  do
    n = read (rep_p[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close_fd (&rep_p[0]);
  if (n == sizeof child_errno)
    {
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64, "cannot run %s: %s",
                    argv[0], g_strerror (child_errno));
      goto fail;
    }

  if (in_p[1] >= 0)
    fcntl (in_p[1], F_SETFL, fcntl (in_p[1], F_GETFL) | O_NONBLOCK);

  child = g_new0 (FlChild, 1);
  child->pid = pid;
  child->program = g_strdup (argv[0]);
  child->in_fd = in_p[1];
  child->out_fd = out_p[0];
  child->err_fd = err_p[0];
  child->input = input != NULL ? fl_stream_ref (input) : NULL;
  child->input_done = input == NULL;
  child->buf_size = FL_CHILD_READ_CHUNK * 2;
  child->buf = g_malloc (child->buf_size);
  child->err = g_string_new (NULL);
  child->idle_ms = idle_timeout_ms ();
  return child;

fail:
  g_strfreev (envp);
  close_fd (&in_p[0]);
  close_fd (&in_p[1]);
  close_fd (&out_p[0]);
  close_fd (&out_p[1]);
  close_fd (&err_p[0]);
  close_fd (&err_p[1]);
  close_fd (&rep_p[0]);
  close_fd (&rep_p[1]);
  return NULL;
}

/* ------------------------------------------------------------------ I/O */

/* write() with SIGPIPE kept away from the process (see the file comment). */
static ssize_t
write_no_sigpipe (int fd, const void *data, size_t len)
{
  sigset_t pipe_set, old_set, pending;
  gboolean was_pending;
  ssize_t n;
  int e;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigemptyset (&pending);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_set);

  n = write (fd, data, len);
  e = errno;
  if (n < 0 && e == EPIPE && !was_pending)
    {
      struct timespec zero = { 0, 0 };

      while (sigtimedwait (&pipe_set, NULL, &zero) < 0 && errno == EINTR)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &old_set, NULL);
  errno = e;
  return n;
}

static void
stop_feeding (FlChild *child)
{
  child->input_done = TRUE;
  close_fd (&child->in_fd);
}

/* Writes as much input as the pipe takes now. */
static void
feed_input (FlChild *child)
{
  while (!child->input_done)
    {
      const guint8 *p;
      gsize avail = 0;
      ssize_t n;

      p = fl_stream_peek (child->input, FL_CHILD_FEED_CHUNK, &avail,
                          child->input_error == NULL ? &child->input_error
                                                     : NULL);
      if (p == NULL || avail == 0)
        {
          /* EOF (or a read error, reported by fl_child_finish()): closing
           * stdin tells the child the input ended. */
          stop_feeding (child);
          return;
        }
      n = write_no_sigpipe (child->in_fd, p, avail);
      if (n > 0)
        {
          fl_stream_consume (child->input, (gsize) n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      /* EPIPE: the child stopped reading. Not an error by itself: its exit
       * status and output tell whether it failed. */
      stop_feeding (child);
      return;
    }
}

static void
drain_stderr (FlChild *child)
{
  char tmp[4096];
  ssize_t n;

  do
    n = read (child->err_fd, tmp, sizeof tmp);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    {
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        close_fd (&child->err_fd);
      return;
    }
  if (child->err->len < FL_CHILD_STDERR_CAP)
    {
      gsize room = FL_CHILD_STDERR_CAP - child->err->len;

      g_string_append_len (child->err, tmp, MIN ((gsize) n, room));
      if ((gsize) n > room)
        child->err_truncated = TRUE;
    }
  else
    child->err_truncated = TRUE;
}

/* One poll() round: feeds stdin, drains stderr, and reads stdout when
 * want_stdout. Returns FALSE with error on a poll()/read() failure. */
static gboolean
pump (FlChild *child, gboolean want_stdout, GError **error)
{
  struct pollfd pfd[3];
  int n_fds = 0, i_in = -1, i_out = -1, i_err = -1;
  int r;

  if (child->in_fd >= 0 && !child->input_done)
    {
      i_in = n_fds;
      pfd[n_fds++] = (struct pollfd) { child->in_fd, POLLOUT, 0 };
    }
  if (want_stdout && child->out_fd >= 0)
    {
      i_out = n_fds;
      pfd[n_fds++] = (struct pollfd) { child->out_fd, POLLIN, 0 };
    }
  if (child->err_fd >= 0)
    {
      i_err = n_fds;
      pfd[n_fds++] = (struct pollfd) { child->err_fd, POLLIN, 0 };
    }
  if (n_fds == 0)
    return TRUE;

  r = poll (pfd, (nfds_t) n_fds, child->idle_ms);
  if (r < 0)
    {
      if (errno == EINTR)
        return TRUE;
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64, "%s: poll: %s",
                    child->program, g_strerror (errno));
      return FALSE;
    }
  if (r == 0)
    {
      /* It will not recover: stop it now rather than at close. */
      if (!child->reaped)
        kill (child->pid, SIGKILL);
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                    "%s printed nothing for %g s and was stopped (it may "
                    "loop forever on damaged input; FLOWREAD_EXEC_TIMEOUT "
                    "sets the limit)", child->program, child->idle_ms / 1000.0);
      return FALSE;
    }

  if (i_err >= 0 && pfd[i_err].revents != 0)
    drain_stderr (child);
  if (i_in >= 0 && pfd[i_in].revents != 0)
    {
      if (pfd[i_in].revents & (POLLERR | POLLNVAL))
        stop_feeding (child); /* reader end closed */
      else
        feed_input (child);
    }
  if (i_out >= 0 && pfd[i_out].revents != 0)
    {
      ssize_t n;

      if (child->buf_size - child->end < FL_CHILD_READ_CHUNK)
        {
          /* Make room: drop consumed bytes first, grow only when needed
           * (the caller's max_line bounds the growth). */
          if (child->start > 0)
            {
              memmove (child->buf, child->buf + child->start,
                       child->end - child->start);
              child->end -= child->start;
              child->scan -= child->start;
              child->start = 0;
            }
          if (child->buf_size - child->end < FL_CHILD_READ_CHUNK)
            {
              child->buf_size = child->end + FL_CHILD_READ_CHUNK * 2;
              child->buf = g_realloc (child->buf, child->buf_size);
            }
        }
      do
        n = read (child->out_fd, child->buf + child->end,
                  child->buf_size - child->end - 1);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        {
          fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                        "%s: reading its output: %s", child->program,
                        g_strerror (errno));
          return FALSE;
        }
      if (n == 0)
        {
          child->out_eof = TRUE;
          close_fd (&child->out_fd);
        }
      child->end += (gsize) n;
    }
  return TRUE;
}

const char *
fl_child_read_line (FlChild *child, gsize max_line, gsize *len,
                    GError **error)
{
  for (;;)
    {
      char *nl = NULL;

      if (child->scan < child->end)
        nl = memchr (child->buf + child->scan, '\n', child->end - child->scan);
      if (nl != NULL)
        {
          char *line = child->buf + child->start;
          gsize n = (gsize) (nl - line);

          if (n > max_line)
            goto too_long;
          *nl = '\0';
          if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
          child->start = child->scan = (gsize) (nl - child->buf) + 1;
          if (len != NULL)
            *len = n;
          return line;
        }
      child->scan = child->end;
      if (child->end - child->start > max_line)
        goto too_long;
      if (child->out_eof)
        {
          char *line = child->buf + child->start;
          gsize n = child->end - child->start;

          if (n == 0)
            {
              if (len != NULL)
                *len = 0;
              return NULL;
            }
          /* A last line without "\n": buf always keeps one spare byte. */
          line[n] = '\0';
          child->start = child->scan = child->end;
          if (len != NULL)
            *len = n;
          return line;
        }
      if (!pump (child, TRUE, error))
        return NULL;
    }

too_long:
  fl_set_error (error, FL_ERROR_LIMIT, G_MAXUINT64,
                "%s printed a line longer than %" G_GSIZE_FORMAT " bytes",
                child->program, max_line);
  return NULL;
}

const char *
fl_child_get_stderr (FlChild *child)
{
  return child->err->str;
}

/* The first few lines of stderr, on one line, for an error message. */
static char *
stderr_excerpt (FlChild *child)
{
  g_auto (GStrv) lines = g_strsplit (child->err->str, "\n", -1);
  GString *s = g_string_new (NULL);
  guint used = 0;

  for (guint i = 0; lines[i] != NULL && used < 3; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      if (s->len > 0)
        g_string_append (s, " / ");
      g_string_append (s, lines[i]);
      used++;
    }
  if (s->len > 400)
    {
      g_string_truncate (s, 400);
      g_string_append (s, "...");
    }
  return g_string_free (s, FALSE);
}

static void
reap (FlChild *child, int options)
{
  pid_t r;

  if (child->reaped)
    return;
  do
    r = waitpid (child->pid, &child->wait_status, options);
  while (r < 0 && errno == EINTR);
  if (r == child->pid || (r < 0 && errno == ECHILD))
    child->reaped = TRUE;
}

gboolean
fl_child_finish (FlChild *child, GError **error)
{
  g_autofree char *excerpt = NULL;
  g_autofree char *base = NULL;

  /* The child may exit without reading all its input; nothing more to
   * feed then. Its stdout we no longer want: closing it also unblocks a
   * child that still writes. */
  stop_feeding (child);
  close_fd (&child->out_fd);
  child->out_eof = TRUE;
  while (child->err_fd >= 0)
    if (!pump (child, FALSE, error))
      return FALSE;
  reap (child, 0);

  if (child->input_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&child->input_error));
      return FALSE;
    }

  base = g_path_get_basename (child->program);
  excerpt = stderr_excerpt (child);
  if (WIFEXITED (child->wait_status) && WEXITSTATUS (child->wait_status) == 0)
    return TRUE;
  if (WIFEXITED (child->wait_status))
    fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                  "%s exited with status %d%s%s%s", base,
                  WEXITSTATUS (child->wait_status),
                  excerpt[0] ? ": \"" : "", excerpt, excerpt[0] ? "\"" : "");
  else if (WIFSIGNALED (child->wait_status))
    fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                  "%s was killed by signal %d (%s)%s%s%s", base,
                  WTERMSIG (child->wait_status),
                  g_strsignal (WTERMSIG (child->wait_status)),
                  excerpt[0] ? ": \"" : "", excerpt, excerpt[0] ? "\"" : "");
  else
    fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                  "%s ended abnormally (wait status 0x%x)", base,
                  (unsigned) child->wait_status);
  return FALSE;
}

void
fl_child_free (FlChild *child)
{
  if (child == NULL)
    return;

  close_fd (&child->in_fd);
  close_fd (&child->out_fd);
  close_fd (&child->err_fd);

  if (!child->reaped)
    {
      reap (child, WNOHANG);
      if (!child->reaped)
        {
          /* Still running (closed early): ask, then insist. Closing its
           * pipes above already makes a well-behaved tool stop with
           * SIGPIPE/EOF. */
          kill (child->pid, SIGTERM);
          for (int waited = 0; waited < FL_CHILD_TERM_WAIT_MS && !child->reaped;
               waited += 5)
            {
              g_usleep (5000);
              reap (child, WNOHANG);
            }
          if (!child->reaped)
            {
              kill (child->pid, SIGKILL);
              reap (child, 0);
            }
        }
    }

  if (child->input != NULL)
    fl_stream_unref (child->input);
  g_clear_error (&child->input_error);
  g_string_free (child->err, TRUE);
  g_free (child->buf);
  g_free (child->program);
  g_free (child);
}

/* ------------------------------------------------- programs printing CSV */

typedef struct {
  FlChild     *child;
  FlCsvParser *parser;
  char        *program;
  guint64      line_no;
  FlStatus     status; /* sticky END / ERROR */
} FlExecCsv;

void
fl_exec_csv_close (gpointer handle)
{
  FlExecCsv *ce = handle;

  if (ce == NULL)
    return;
  fl_child_free (ce->child);
  if (ce->parser != NULL)
    fl_csv_parser_free (ce->parser);
  g_free (ce->program);
  g_free (ce);
}

/* The end of the program's output: its exit status decides. */
static FlStatus
exec_csv_finish (FlExecCsv *ce, GError **error)
{
  return fl_child_finish (ce->child, error) ? FL_STATUS_END : FL_STATUS_ERROR;
}

gpointer
fl_exec_csv_open (FlStream *stream, const char *const *argv, GError **error)
{
  FlExecCsv *ce = g_new0 (FlExecCsv, 1);
  g_autofree char *base = g_path_get_basename (argv[0]);

  ce->status = FL_STATUS_OK;
  ce->program = g_strdup (argv[0]);
  ce->child = fl_child_spawn (argv, NULL, stream, error);
  if (ce->child == NULL)
    goto fail;

  /* The column header comes first (printed even for zero records). */
  for (;;)
    {
      gsize len = 0;
      GError *local = NULL;
      const char *line = fl_child_read_line (ce->child, FL_LINE_MAX, &len, &local);

      if (line == NULL)
        {
          if (local != NULL)
            g_propagate_error (error, local);
          else if (exec_csv_finish (ce, error) != FL_STATUS_ERROR)
            fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                          "%s printed nothing (no column header)", base);
          goto fail;
        }
      ce->line_no++;
      if (len == 0)
        continue;
      if (len < 2 || line[0] != '#' || line[1] != ':')
        {
          fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                        "%s output line %" G_GUINT64_FORMAT ": expected its "
                        "\"#:\" column header, got \"%.100s\"", base,
                        ce->line_no, line);
          goto fail;
        }
      ce->parser = fl_csv_parser_new (line, len, ',', error);
      if (ce->parser == NULL)
        {
          g_prefix_error (error, "%s output: ", base);
          goto fail;
        }
      return ce;
    }

fail:
  fl_exec_csv_close (ce);
  return NULL;
}

FlStatus
fl_exec_csv_next (gpointer handle, FlFlow *flow, GError **error)
{
  FlExecCsv *ce = handle;

  if (ce->status != FL_STATUS_OK)
    return ce->status;
  for (;;)
    {
      gsize len = 0;
      GError *local = NULL;
      const char *line = fl_child_read_line (ce->child, FL_LINE_MAX, &len, &local);
      FlStatus st;

      if (line == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, local);
              return ce->status = FL_STATUS_ERROR;
            }
          return ce->status = exec_csv_finish (ce, error);
        }
      ce->line_no++;
      if (len == 0)
        continue;
      st = fl_csv_parser_parse (ce->parser, line, len, G_MAXUINT64, flow, &local);
      if (st == FL_STATUS_OK)
        return st;
      if (st == FL_STATUS_END)
        return ce->status = exec_csv_finish (ce, error);
      {
        g_autofree char *base = g_path_get_basename (ce->program);

        g_propagate_prefixed_error (error, local, "%s output line %" G_GUINT64_FORMAT ": ",
                                    base, ce->line_no);
      }
      return ce->status = FL_STATUS_ERROR;
    }
}

void
fl_exec_csv_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  FlExecCsv *ce = handle;

  func ("program", ce->program, user_data);
}

/* SPDX-License-Identifier: MIT */
/*
 * fl-child.c: child processes for the exec plugins (internal API,
 * fl-child.h): spawn, poll, reap.
 *
 * The child is started with fork()+execve() and argv only (never a shell),
 * in a process group of its own (setpgid), so that whatever it starts
 * (grandchildren holding its pipes) can be killed with it. GLib's
 * g_spawn_async_with_pipes_and_fds() was considered: it does the pipes and
 * the fd mapping, but not the exec-error report after the child's own
 * setup, nor the parent-death signal, and its child_setup callback would
 * carry the same async-signal-safe code; the fork here is small enough.
 * Its stdin, stdout and stderr are pipes created with O_CLOEXEC; every other
 * fd is closed in the child before exec. One poll() loop in pump() does
 * three things at once, so that neither side can block the other: it feeds
 * the input stream to the child's stdin (non-blocking writes, as much as the
 * pipe takes), drains stderr into a capped buffer, and reads stdout into the
 * line buffer.
 *
 * Every wait is bounded (a tool is never trusted to end):
 * - idle: nothing useful for FL_CHILD_IDLE_S seconds (no stdout byte, no
 *   room to feed its input): flow-export loops forever at 100% CPU, silent,
 *   on a flow-tools file with bytes after its zlib stream (flow-tools.md
 *   section 4). Text on stderr is not progress: nfdump 1.7.1 loops printing
 *   "Error process appendix record type: 0" forever on some damaged files.
 * - whole conversation: $FLOWREAD_EXEC_TIMEOUT seconds (fractions allowed;
 *   0 = no limit; default none) bound everything from the start to the
 *   reap, however chatty the tool; the idle limit is then that value too.
 * - the final reap: a tool that closed stdout and stderr but keeps running
 *   is waited for within the same limits, then killed.
 * A child that trips a limit has its process group killed (SIGKILL) and the
 * read fails with FL_ERROR_EXEC, after the flows it printed.
 *
 * The child's own exit ends the conversation: its output is then complete
 * (everything it wrote is in the pipe), even when a grandchild still holds
 * the pipe open. The exit is seen with waitid(WNOWAIT), which leaves the
 * zombie in place: its pid (= the process group id) cannot be reused, so the
 * group is killed safely before the zombie is reaped. What is still in the
 * pipes is read; EOF is taken after FL_CHILD_EXIT_GRACE_MS without any.
 *
 * The exit status must be known: a host that sets SIGCHLD to SIG_IGN makes
 * the kernel reap the child itself (waitid then fails with ECHILD), and so
 * does another thread calling waitpid(-1). That is an error ("exit status
 * unknown"), never a success: the tool may have failed.
 *
 * The child gets PR_SET_PDEATHSIG = SIGKILL (Linux): being in its own
 * process group it no longer receives the terminal's Ctrl-C, and it must not
 * outlive a host killed by it. The signal follows the thread that started
 * the child: a host that opens a reader in a thread that then exits while
 * another thread reads on sees the tool killed (an error, not a silent
 * loss).
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
#include "fl-child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

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
/* How long fl_child_free() waits for a SIGKILLed child (one stuck in the
 * kernel, e.g. on a dead NFS server, is then left behind, not waited for). */
#define FL_CHILD_KILL_WAIT_MS 5000
/* Default silence after which a child is given up (see above). */
#define FL_CHILD_IDLE_S 30
/* How often a running child is checked for its exit while its pipes are
 * quiet (a grandchild may hold them open after the child exited). */
#define FL_CHILD_EXIT_POLL_MS 100
/* After the child's exit: quiet pipes this long are taken as EOF. */
#define FL_CHILD_EXIT_GRACE_MS 200

struct _FlChild {
  pid_t     pid;         /* also its process group id */
  gboolean  exited;      /* its exit was seen (zombie, or already reaped) */
  gboolean  reaped;
  gboolean  status_known;
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

  int       idle_ms;      /* -1 = none */
  int       total_ms;     /* -1 = none */
  gint64    started_us;   /* g_get_monotonic_time() */
  gint64    progress_us;  /* last stdout byte or stdin write */
  gint64    exited_us;    /* when the exit was seen */
};

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

static void
set_nonblocking (int fd)
{
  if (fd >= 0)
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
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

/* Closes the fds [from, to) in the child; with to_end, every fd from
 * `from` on (close_range() reaches past to, the fallback loop stops there). */
static void
close_range_in_child (int from, int to, gboolean to_end)
{
  if (from >= to && !to_end)
    return;
#ifdef SYS_close_range
  if (syscall (SYS_close_range, (unsigned) from,
               to_end ? ~0u : (unsigned) to - 1, 0u) == 0)
    return;
#endif
  for (int fd = from; fd < to; fd++)
    close (fd);
}

/* Child side, after fork(): async-signal-safe calls only. */
static void G_GNUC_NORETURN
child_exec (const char *const *argv, char **envp, int in_fd, int out_fd,
            int err_fd, int report_fd, int keep_fd, int max_fd, pid_t parent)
{
  sigset_t all;
  int lo, hi;
  int e;

  /* Its own process group: fl_child_free() and the limits kill the group,
   * grandchildren included. */
  setpgid (0, 0);
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (127); /* the host died before prctl() */
#else
  (void) parent;
#endif

  /* The host may block or ignore signals; the tool must start clean
   * (a SIGPIPE-ignoring flow-export would spin on a closed stdout). */
  signal (SIGPIPE, SIG_DFL);
  signal (SIGCHLD, SIG_DFL);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);

  if (dup2 (in_fd, 0) < 0 || dup2 (out_fd, 1) < 0 || dup2 (err_fd, 2) < 0)
    goto fail;
  if (keep_fd >= 3 && fcntl (keep_fd, F_SETFD, 0) < 0)
    goto fail;

  /* Close everything else except the exec-error report pipe (CLOEXEC, so
   * exec closes it and the parent reads EOF = success) and keep_fd. */
  lo = keep_fd >= 3 ? MIN (keep_fd, report_fd) : report_fd;
  hi = keep_fd >= 3 ? MAX (keep_fd, report_fd) : report_fd;
  close_range_in_child (3, lo, FALSE);
  close_range_in_child (lo + 1, hi, FALSE);
  close_range_in_child (hi + 1, MAX (max_fd, hi + 1), TRUE);

  execve (argv[0], (char *const *) argv, envp);
fail:
  e = errno;
  while (write (report_fd, &e, sizeof e) < 0 && errno == EINTR)
    ;
  _exit (127);
}

/* TRUE when set-uid or set-gid: environment overrides are then ignored. */
static gboolean
is_privileged (void)
{
  return getuid () != geteuid () || getgid () != getegid ();
}

/* $FLOWREAD_EXEC_TIMEOUT in ms: -1 when unset or unparsable (no limit on
 * the whole conversation), -2 for 0 (no limit at all, not even idle). */
static int
total_timeout_ms (void)
{
  const char *value = is_privileged () ? NULL : g_getenv ("FLOWREAD_EXEC_TIMEOUT");
  char *end = NULL;
  double s;

  if (value == NULL || value[0] == '\0')
    return -1;
  s = g_ascii_strtod (value, &end);
  if (end == value || *end != '\0' || !(s >= 0) || s > 86400.0 * 24)
    return -1;
  if (s == 0)
    return -2;
  return MAX (1, (int) (s * 1000));
}

FlChild *
fl_child_spawn (const char *const *argv, const char *const *envp_extra,
                FlStream *input, GError **error)
{
  return fl_child_spawn_full (argv, envp_extra, input, -1, error);
}

FlChild *
fl_child_spawn_full (const char *const *argv, const char *const *envp_extra,
                     FlStream *input, int keep_fd, GError **error)
{
  int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
  int rep_p[2] = { -1, -1 };
  char **envp = NULL;
  FlChild *child = NULL;
  long open_max;
  pid_t pid, parent = getpid ();
  int child_errno = 0;
  int total;
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
    child_exec (argv, envp, in_p[0], out_p[1], err_p[1], rep_p[1], keep_fd,
                (int) open_max, parent);

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
      /* It exits with 127 right after the failed exec. WNOHANG: with
       * SIGCHLD ignored a blocking waitpid() would wait for every child of
       * the host. */
      for (int i = 0; i < 400; i++)
        {
          pid_t r = waitpid (pid, NULL, WNOHANG);

          if (r != 0 && !(r < 0 && errno == EINTR))
            break;
          g_usleep (5000);
        }
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64, "cannot run %s: %s",
                    argv[0], g_strerror (child_errno));
      goto fail;
    }

  set_nonblocking (in_p[1]);
  /* Non-blocking reads: after the child's exit a grandchild may hold the
   * pipes, and what is left in them is read without waiting. */
  set_nonblocking (out_p[0]);
  set_nonblocking (err_p[0]);

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
  total = total_timeout_ms ();
  child->total_ms = total >= 0 ? total : -1;
  child->idle_ms = total >= 0 ? total : total == -2 ? -1 : FL_CHILD_IDLE_S * 1000;
  child->started_us = child->progress_us = g_get_monotonic_time ();
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

/* ------------------------------------------------------------ exit, reap */

/* Sees whether the child has exited, without reaping it (WNOWAIT: the
 * zombie keeps its pid, our process group id, from being reused). */
static void
check_exit (FlChild *child)
{
  siginfo_t si;
  int r;

  if (child->exited)
    return;
  memset (&si, 0, sizeof si);
  do
    r = waitid (P_PID, (id_t) child->pid, &si, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);
  if (r == 0 && si.si_pid == child->pid)
    {
      child->exited = TRUE;
      child->exited_us = g_get_monotonic_time ();
      /* Its grandchildren go with it: they may hold its pipes open, and
       * the zombie still reserves the group id. */
      kill (-child->pid, SIGKILL);
    }
  else if (r < 0 && errno == ECHILD)
    {
      /* Reaped by someone else (SIGCHLD ignored, another thread): gone,
       * and its status with it. */
      child->exited = child->reaped = TRUE;
      child->exited_us = g_get_monotonic_time ();
    }
}

/* Kills the child's process group, while its pid is still ours (running or
 * a zombie we have not reaped). */
static void
kill_group (FlChild *child, int sig)
{
  if (!child->reaped)
    kill (-child->pid, sig);
}

/* Reaps an exited child (a zombie: does not block), after killing what is
 * left of its group. */
static void
reap_exited (FlChild *child)
{
  pid_t r;

  if (child->reaped)
    return;
  kill_group (child, SIGKILL);
  do
    r = waitpid (child->pid, &child->wait_status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == child->pid)
    child->status_known = TRUE;
  if (r != 0)
    child->reaped = TRUE;
}

/* Waits up to ms for the exit (polling: there is no portable wait with a
 * timeout, and SIGCHLD belongs to the host). */
static void
wait_exit (FlChild *child, int ms)
{
  for (int waited = 0; !child->exited; waited += 5)
    {
      check_exit (child);
      if (child->exited || waited >= ms)
        break;
      g_usleep (5000);
    }
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
          child->progress_us = g_get_monotonic_time ();
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
    g_string_append_len (child->err, tmp,
                         MIN ((gsize) n, FL_CHILD_STDERR_CAP - child->err->len));
}

static gboolean
read_stdout (FlChild *child, GError **error)
{
  ssize_t n;

  if (child->buf_size - child->end < FL_CHILD_READ_CHUNK)
    {
      /* Make room: drop consumed bytes first, grow only when needed (the
       * caller's max_line bounds the growth). */
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
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return TRUE;
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
  if (n > 0)
    child->progress_us = g_get_monotonic_time ();
  return TRUE;
}

/* The poll() timeout now, and whether a limit has run out (*expired: 1 idle,
 * 2 whole conversation). */
static int
next_timeout (FlChild *child, gint64 now, int *expired)
{
  gint64 t = -1;

  *expired = 0;
  if (child->exited)
    {
      t = FL_CHILD_EXIT_GRACE_MS - (now - child->exited_us) / 1000;
      return (int) MAX (t, 0);
    }
  if (child->idle_ms >= 0)
    {
      t = child->idle_ms - (now - child->progress_us) / 1000;
      if (t <= 0)
        *expired = 1;
    }
  if (child->total_ms >= 0)
    {
      gint64 left = child->total_ms - (now - child->started_us) / 1000;

      if (left <= 0)
        *expired = 2;
      t = t < 0 ? left : MIN (t, left);
    }
  if (*expired)
    return 0;
  return (int) (t < 0 ? FL_CHILD_EXIT_POLL_MS : MIN (t, FL_CHILD_EXIT_POLL_MS));
}

static void
set_timeout_error (FlChild *child, int expired, GError **error)
{
  g_autofree char *base = g_path_get_basename (child->program);

  if (expired == 2)
    fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                  "%s did not finish within %g s and was stopped "
                  "(FLOWREAD_EXEC_TIMEOUT sets the limit)", base,
                  child->total_ms / 1000.0);
  else if (child->out_fd < 0 && child->err_fd < 0)
    fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                  "%s closed its output but did not exit for %g s and was "
                  "stopped (FLOWREAD_EXEC_TIMEOUT sets the limit)", base,
                  child->idle_ms / 1000.0);
  else
    fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                  "%s printed nothing for %g s and was stopped (it may "
                  "loop forever on damaged input; FLOWREAD_EXEC_TIMEOUT "
                  "sets the limit)", base, child->idle_ms / 1000.0);
}

/* One round: feeds stdin, drains stderr, and reads stdout when want_stdout;
 * notices the child's exit. FALSE with error on a failure or a limit. */
static gboolean
pump (FlChild *child, gboolean want_stdout, GError **error)
{
  struct pollfd pfd[3];
  int n_fds = 0, i_in = -1, i_out = -1, i_err = -1;
  int timeout, expired, r;

  check_exit (child);
  timeout = next_timeout (child, g_get_monotonic_time (), &expired);
  if (expired)
    {
      /* It will not recover: stop it now rather than at close. */
      kill_group (child, SIGKILL);
      set_timeout_error (child, expired, error);
      return FALSE;
    }

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

  /* No pipe left (the final reap): check for the exit often. */
  if (n_fds == 0)
    timeout = timeout < 0 ? 5 : MIN (timeout, 5);
  r = poll (n_fds > 0 ? pfd : NULL, (nfds_t) n_fds, timeout);
  if (r < 0)
    {
      if (errno == EINTR)
        return TRUE;
      fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64, "%s: poll: %s",
                    child->program, g_strerror (errno));
      return FALSE;
    }
  if (r == 0 && child->exited && timeout == 0)
    {
      /* Exited, and its pipes stay quiet: whatever still holds them is
       * not the tool. Its output is complete. */
      stop_feeding (child);
      if (want_stdout && child->out_fd >= 0)
        {
          child->out_eof = TRUE;
          close_fd (&child->out_fd);
        }
      close_fd (&child->err_fd);
      return TRUE;
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
    return read_stdout (child, error);
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

char *
fl_child_get_stderr_excerpt (FlChild *child)
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

gboolean
fl_child_finish (FlChild *child, GError **error)
{
  g_autofree char *excerpt = NULL;
  g_autofree char *base = NULL;

  /* The child may exit without reading all its input; nothing more to
   * feed then. Its stdout we no longer want: closing it also unblocks a
   * child that still writes. Then stderr to its end and the exit, both
   * within the limits (pump() with no pipe left just waits). */
  stop_feeding (child);
  close_fd (&child->out_fd);
  child->out_eof = TRUE;
  while (child->err_fd >= 0 || !child->exited)
    if (!pump (child, FALSE, error))
      return FALSE;
  reap_exited (child);

  if (child->input_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&child->input_error));
      return FALSE;
    }

  base = g_path_get_basename (child->program);
  excerpt = fl_child_get_stderr_excerpt (child);
  if (!child->status_known)
    fl_set_error (error, FL_ERROR_EXEC, G_MAXUINT64,
                  "%s: exit status unknown (the child was reaped elsewhere: "
                  "does the host set SIGCHLD to SIG_IGN?); its output cannot "
                  "be trusted%s%s%s", base,
                  excerpt[0] ? ": \"" : "", excerpt, excerpt[0] ? "\"" : "");
  else if (WIFEXITED (child->wait_status) && WEXITSTATUS (child->wait_status) == 0)
    return TRUE;
  else if (WIFEXITED (child->wait_status))
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

  check_exit (child);
  if (!child->exited)
    {
      /* Still running (closed early): ask, then insist. Closing its pipes
       * above already makes a well-behaved tool stop with SIGPIPE/EOF. */
      kill_group (child, SIGTERM);
      wait_exit (child, FL_CHILD_TERM_WAIT_MS);
      if (!child->exited)
        {
          kill_group (child, SIGKILL);
          wait_exit (child, FL_CHILD_KILL_WAIT_MS);
        }
    }
  if (child->exited)
    reap_exited (child);

  if (child->input != NULL)
    fl_stream_unref (child->input);
  g_clear_error (&child->input_error);
  g_string_free (child->err, TRUE);
  g_free (child->buf);
  g_free (child->program);
  g_free (child);
}

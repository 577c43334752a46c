/* SPDX-License-Identifier: MIT */
/*
 * fl-exec.h: INTERNAL API (not installed, not stable) for the exec plugins:
 * finding a program, running it with argv (never a shell), feeding it an
 * FlStream on its standard input while reading its standard output, and
 * collecting its exit status and standard error.
 */
#pragma once

#include <flowread/flowread-plugin.h>

G_BEGIN_DECLS

/* The program to run: the value of env_var when set (ignored when the
 * process is set-uid/set-gid), else name looked up in PATH. NULL if not
 * found (free with g_free). */
char *fl_exec_find_program (const char *env_var, const char *name);

/* The program an exec plugin runs, for the two helpers below. */
typedef struct {
  const char *name;     /* "flow-export", looked up in PATH */
  const char *env_var;  /* "FLOWREAD_FLOW_EXPORT", overrides the lookup */
  const char *package;  /* "flow-tools" */
  const char *where;    /* "Debian package flow-tools, BSD port ..." */
} FlExecProgram;

/* For probe(): TRUE when the program is found; else FALSE, with the probe
 * reason "NAME not found (install PACKAGE)" that --probe shows. */
gboolean fl_exec_probe_program (FlProbe *probe, const FlExecProgram *prog);
/* For open(): the program's path (g_free), or NULL with FL_ERROR_EXEC
 * "NAME not found: install PACKAGE (WHERE) or set ENV_VAR". */
char    *fl_exec_open_program (const FlExecProgram *prog, GError **error);

typedef struct _FlChild FlChild;

/* Starts argv[0] with argv. envp_extra ("TZ=UTC", NULL-terminated, may be
 * NULL) is added to the environment. If input is non-NULL its bytes (from
 * its current position to EOF) are written to the child's stdin as the child
 * reads them; else stdin is /dev/null. stdout and stderr are pipes. The
 * child's other fds are closed. */
FlChild    *fl_child_spawn (const char *const *argv,
                            const char *const *envp_extra,
                            FlStream *input, GError **error);
/* The next stdout line (without "\n"), NUL-terminated, valid until the next
 * call; *len its length. NULL at EOF of stdout (error unset) or on error.
 * Lines longer than max_line give FL_ERROR_LIMIT. */
const char *fl_child_read_line (FlChild *child, gsize max_line, gsize *len,
                                GError **error);
/* After EOF: waits for the child. FALSE with FL_ERROR_EXEC quoting the
 * program, its exit status or signal and its stderr when it failed. */
gboolean    fl_child_finish (FlChild *child, GError **error);
/* What the child wrote to stderr so far (capped). */
const char *fl_child_get_stderr (FlChild *child);
/* Kills (if still running) and reaps the child, closes every fd. */
void        fl_child_free (FlChild *child);

/* A format reader over a program that prints "#:"-headed CSV on stdout
 * (flow-export -f2, flowd-reader -c), fed the stream on stdin and parsed
 * with fl_csv_parser: the vtable functions of the exec plugins. open()
 * reads the header line; a non-zero exit is an error after the flows. */
gpointer fl_exec_csv_open (FlStream *stream, const char *const *argv,
                           GError **error);
FlStatus fl_exec_csv_next (gpointer handle, FlFlow *flow, GError **error);
void     fl_exec_csv_close (gpointer handle);
void     fl_exec_csv_info (gpointer handle, FlInfoFunc func,
                           gpointer user_data);

G_END_DECLS

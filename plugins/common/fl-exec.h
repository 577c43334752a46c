/* SPDX-License-Identifier: MIT */
/*
 * fl-exec.h: INTERNAL API (not installed, not stable) for the exec plugins:
 * finding a program and reading the CSV a program prints. The child
 * process itself (spawn, poll, reap) is fl-child.h.
 */
#pragma once

#include <flowread/flowread-plugin.h>

#include "fl-child.h"

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

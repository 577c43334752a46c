/* SPDX-License-Identifier: MIT */
/*
 * fl-child.h: INTERNAL API (not installed, not stable) for the exec plugins:
 * running a program with argv (never a shell) in its own process group,
 * feeding it an FlStream on its standard input while reading its standard
 * output, and collecting its exit status and standard error, with every
 * wait bounded (fl-child.c says how).
 */
#pragma once

#include <flowread/flowread-plugin.h>

G_BEGIN_DECLS

typedef struct _FlChild FlChild;

/* Starts argv[0] with argv. envp_extra ("TZ=UTC", NULL-terminated, may be
 * NULL) is added to the environment. If input is non-NULL its bytes (from
 * its current position to EOF) are written to the child's stdin as the child
 * reads them; else stdin is /dev/null. stdout and stderr are pipes. The
 * child's other fds are closed, except keep_fd when >= 3 (the child sees it
 * under the same number: pass "/dev/fd/N" in argv). */
FlChild    *fl_child_spawn_full (const char *const *argv,
                                 const char *const *envp_extra,
                                 FlStream *input, int keep_fd, GError **error);
/* fl_child_spawn_full() with no kept fd. */
FlChild    *fl_child_spawn (const char *const *argv,
                            const char *const *envp_extra,
                            FlStream *input, GError **error);
/* The next stdout line (without "\n"), NUL-terminated, valid until the next
 * call; *len its length. NULL at EOF of stdout (error unset) or on error.
 * Lines longer than max_line give FL_ERROR_LIMIT. */
const char *fl_child_read_line (FlChild *child, gsize max_line, gsize *len,
                                GError **error);
/* After EOF: waits for the child (bounded). FALSE with FL_ERROR_EXEC quoting
 * the program, its exit status or signal and its stderr when it failed, and
 * when its exit status cannot be known (the host ignores SIGCHLD, or another
 * thread reaped it). */
gboolean    fl_child_finish (FlChild *child, GError **error);
/* What the child wrote to stderr so far (capped at 64 KiB). */
const char *fl_child_get_stderr (FlChild *child);
/* Its first three non-empty stderr lines joined with " / ", at most 400
 * bytes, for an error message (g_free). */
char       *fl_child_get_stderr_excerpt (FlChild *child);
/* Kills its process group (if still running), reaps the child, closes
 * every fd. */
void        fl_child_free (FlChild *child);

G_END_DECLS

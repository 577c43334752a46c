/* SPDX-License-Identifier: MIT */
/*
 * fl-exec.c: the exec plugins' side of running a tool (internal API,
 * fl-exec.h): finding the program (PATH or an environment override, never
 * the current directory) and a format reader over a program that prints
 * "#:"-headed CSV. Starting, feeding, reading and reaping the child is
 * fl-child.c.
 */
#include "fl-exec.h"
#include "fl-csv.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

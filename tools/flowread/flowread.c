/* SPDX-License-Identifier: MIT */
/*
 * flowread: the command-line program (design.md section 4), a thin user of
 * the host API plus the CLI's writers (fl-writer.h, next to it).
 *
 * Exit status: 0 every FILE read; 1 some FILE failed (the flows before the
 * error were written); 2 bad usage; 3 some FILE was truncated (every
 * complete flow written, then a warning) and none failed. A bad FILE does
 * not stop the others.
 *
 * The help text below and doc/flowread.1 must say the same thing: the cli
 * tests compare them.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/auxv.h>
#endif

#include <flowread/flowread-plugin.h>
#include "fl-writer.h"

enum {
  EXIT_OK = 0,
  EXIT_ERROR = 1,
  EXIT_USAGE = 2,
  EXIT_TRUNCATED = 3,
};

/* Only this thread writes stdout: skip stdio's lock in the flow loop. */
#ifdef __GLIBC__
#define FL_FERROR ferror_unlocked
#else
#define FL_FERROR ferror
#endif

/* Big enough that stdio's per-call overhead disappears for -o json/csv. */
#define STDOUT_BUFFER (1024 * 1024)

static const char help_text[] =
  "Usage: flowread [OPTION]... FILE...\n"
  "Read NetFlow log files (flow-tools, flowd, nfdump, flow text; also\n"
  "gzip-compressed) and print their flows. FILE may be '-' for standard input.\n"
  "\n"
  "  -o, --output=FORMAT    output format: text (the default), json, csv or\n"
  "                         flow-export\n"
  "      --fields=LIST      print only these fields, in this order (json, csv,\n"
  "                         text); LIST is comma-separated field names, e.g.\n"
  "                         first,srcaddr,dstaddr,dOctets\n"
  "  -F, --format=NAME      skip probing, use this format plugin\n"
  "      --probe            print every plugin's score for each FILE (at each\n"
  "                         wrapper depth) and the winner; read nothing else\n"
  "      --list-plugins     list the loaded plugins (name, kind, version, file)\n"
  "                         and those refused, with the reason\n"
  "      --info             print each FILE's header metadata (format, version,\n"
  "                         byte order, compression, capture times, counts...)\n"
  "  -c, --count            print only the number of flows read\n"
  "      --plugin-dir=DIR   add a plugin folder (before the default ones); may\n"
  "                         be given several times\n"
  "      --filter=EXPR      only flows that match EXPR, in nfdump's filter\n"
  "                         syntax (see FILTERS in flowread(1))\n"
  "      --since=TIME       only flows whose first time is TIME or later\n"
  "      --until=TIME       only flows whose first time is before TIME; TIME is\n"
  "                         RFC 3339 (2026-11-27T13:00:00Z) or nfdump's\n"
  "                         2026/11/27.13:00:00 (UTC); files whose header says\n"
  "                         they lie outside the window are skipped unread\n"
  "  -R, --recursive        a FILE that is a folder means every regular file\n"
  "                         below it, in path order (hidden files skipped,\n"
  "                         symbolic links to folders not followed)\n"
  "  -h, --help             print this help and exit\n"
  "      --version          print the version and the default plugin folder\n"
  "                         and exit\n"
  "\n"
  "Exit status: 0 if every FILE was read; 1 if an error occurred (the flows\n"
  "before it were written); 2 for bad usage; 3 if an input was truncated\n"
  "(every complete flow was written, then a warning).\n"
  "\n"
  "Environment: FLOWREAD_PLUGIN_PATH, FLOWREAD_FLOW_EXPORT,\n"
  "FLOWREAD_FLOWD_READER, FLOWREAD_NFDUMP, FLOWREAD_EXEC_TIMEOUT.\n"
  "See flowread(1).\n";

typedef struct {
  FlOutputFormat output;
  const char    *format;     /* -F */
  gboolean       probe, list_plugins, info, count;
  FlRegistry    *registry;
  FlWriter      *writer;
  FlFilter      *filter;     /* --filter */
  guint          open_flags; /* FL_OPEN_HAS_SINCE/UNTIL */
  gint64         since, until;
  gboolean       output_failed; /* stdout is gone: stop everything */
  gboolean       output_epipe;  /* ... because the reader closed it */
} Cli;

/* --------------------------------------------------------------- messages */

/* text made safe for a terminal: everything the CLI prints that came from a
 * file or a file name (errors, --info, --probe, -c lines, --list-plugins)
 * goes through here, so that an ESC sequence in a flow-tools hostname
 * cannot drive the terminal and a newline in a file name cannot forge a
 * "flowread:" line. C-style escapes: \n \r \t, \xHH for the other C0
 * controls, DEL, the C1 controls (U+0080..U+009F, which some terminals
 * obey) and bytes that are not UTF-8; a backslash is doubled, so that the
 * escapes cannot be forged either. Printable UTF-8 is kept. Returns a
 * string to g_free. */
static char *
terminal_safe (const char *text)
{
  GString *s;

  if (text == NULL)
    return g_strdup ("");
  s = g_string_sized_new (strlen (text));
  for (const char *p = text; *p != '\0';)
    {
      guchar c = (guchar) *p;

      if (c == '\\')
        g_string_append (s, "\\\\");
      else if (c == '\n')
        g_string_append (s, "\\n");
      else if (c == '\r')
        g_string_append (s, "\\r");
      else if (c == '\t')
        g_string_append (s, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (s, "\\x%02x", c);
      else if (c >= 0x80)
        {
          gunichar u = g_utf8_get_char_validated (p, -1);

          if (u == (gunichar) -1 || u == (gunichar) -2 || (u >= 0x80 && u <= 0x9f))
            g_string_append_printf (s, "\\x%02x", c);
          else
            {
              const char *next = g_utf8_next_char (p);

              g_string_append_len (s, p, next - p);
              p = next;
              continue;
            }
        }
      else
        g_string_append_c (s, (char) c);
      p++;
    }
  return g_string_free (s, FALSE);
}

/* The writer keeps lines in its own buffer; messages flush it first. */
static FlWriter *the_writer;

static void
message (const char *prefix, const char *text)
{
  /* Whatever was printed before the message goes out first, so that the
   * flows before an error precede it on a terminal. */
  if (the_writer != NULL)
    fl_writer_flush (the_writer, NULL); /* a failure is seen by output_ok() */
  else
    fflush (stdout);
  {
    g_autofree char *safe = terminal_safe (text);

    fprintf (stderr, "flowread: %s%s\n", prefix, safe);
  }
}

static int
usage_error (const char *text)
{
  message ("", text);
  fprintf (stderr, "Try 'flowread --help' for more information.\n");
  return EXIT_USAGE;
}

/* Checks stdout after writing; on failure stops the program's output. A
 * closed pipe (flowread | head) is not worth a message. */
static gboolean
output_ok (Cli *cli)
{
  g_autoptr (GError) error = NULL;
  int saved;

  if (cli->output_failed)
    return FALSE;
  errno = 0;
  if (cli->writer != NULL)
    {
      if (fl_writer_flush (cli->writer, &error))
        return TRUE;
      saved = errno; /* fl_writer_flush() leaves the write's errno */
    }
  else if (fflush (stdout) == 0 && !ferror (stdout))
    return TRUE;
  else
    {
      saved = errno != 0 ? errno : EIO;
      g_set_error (&error, FL_ERROR, FL_ERROR_IO, "write error: %s",
                   g_strerror (saved));
    }
  cli->output_failed = TRUE;
  cli->output_epipe = saved == EPIPE;
  if (!cli->output_epipe)
    fprintf (stderr, "flowread: standard output: %s\n", error->message);
  return FALSE;
}

/* --------------------------------------------------------------- inputs */

static FlStream *
open_stream (const char *file, GError **error)
{
  if (strcmp (file, "-") == 0)
    return fl_stream_new_fd (STDIN_FILENO, "-", FALSE);
  return fl_stream_new_path (file, error);
}

typedef struct {
  const char *file;
  GString    *chain;
} ProbeState;

static void
print_probe (const FlProbeResult *r, gpointer user_data)
{
  ProbeState *s = user_data;
  g_autofree char *file = terminal_safe (s->file);
  g_autofree char *reader = terminal_safe (r->reader);
  g_autofree char *reason = terminal_safe (r->reason);

  printf ("%s: depth %u: %-7s %-16s %3d%s%s%s\n", file, r->depth,
          r->kind == FL_READER_WRAPPER ? "wrapper" : "format", reader,
          r->score, r->winner ? "  winner" : "",
          r->reason != NULL ? "  " : "", reason);
  if (r->winner)
    g_string_append_printf (s->chain, "%s%s", s->chain->len > 0 ? " > " : "",
                            r->reader);
}

/* --probe: returns the exit status for this FILE. */
static int
probe_file (Cli *cli, const char *file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) chain = g_string_new (NULL);
  ProbeState s = { file, chain };
  FlStream *stream = open_stream (file, &error);

  if (stream == NULL)
    {
      message ("", error->message);
      return EXIT_ERROR;
    }
  g_autofree char *safe_file = terminal_safe (file);

  if (!fl_probe_stream (cli->registry, stream, print_probe, &s, &error))
    {
      printf ("%s: no winner\n", safe_file);
      message ("", error->message);
      return EXIT_ERROR;
    }
  {
    g_autofree char *safe_chain = terminal_safe (chain->str);

    printf ("%s: winner: %s\n", safe_file, safe_chain);
  }
  return EXIT_OK;
}

static void
print_info (const char *key, const char *value, gpointer user_data)
{
  g_autofree char *safe_key = terminal_safe (key);
  g_autofree char *safe_value = terminal_safe (value);

  printf ("%s: %s\n", safe_key, safe_value);
}

/* Reports a FILE's error; a truncated input is only a warning (status 3):
 * every complete flow was written before it. */
static int
report_error (const GError *error)
{
  if (g_error_matches (error, FL_ERROR, FL_ERROR_TRUNCATED))
    {
      message ("warning: input truncated: ", error->message);
      return EXIT_TRUNCATED;
    }
  message ("", error->message);
  return EXIT_ERROR;
}

/* Reads one FILE in the selected mode; returns its exit status and adds
 * the number of flows read to *n_flows. */
static int
read_file (Cli *cli, const char *file, guint64 *n_flows)
{
  g_autoptr (GError) error = NULL;
  FlOpenOptions options = { sizeof options, cli->format };
  FlStream *stream;
  g_autoptr (FlReader) reader = NULL;
  FlFlow flow;
  FlStatus status;
  guint64 n = 0;

  options.flags = cli->open_flags;
  options.filter = cli->filter;
  options.since = cli->since;
  options.until = cli->until;
  stream = open_stream (file, &error);

  if (stream == NULL)
    {
      message ("", error->message);
      return EXIT_ERROR;
    }
  reader = fl_reader_new (cli->registry, stream, &options, &error);
  if (reader == NULL)
    return report_error (error);

  if (cli->info)
    {
      g_autofree char *safe_file = terminal_safe (file);

      printf ("file: %s\n", safe_file);
      fl_reader_foreach_info (reader, print_info, NULL);
      return output_ok (cli) ? EXIT_OK : EXIT_ERROR;
    }

  fl_flow_init (&flow);
  if (cli->count)
    {
      while ((status = fl_reader_next (reader, &flow, &error)) == FL_STATUS_OK)
        n++;
    }
  else
    {
      /* The header comes with the first flow (or at a clean end): an
       * input that fails before its first flow prints only the error.
       * Except -o flow-export, whose header is flow-export's own: it
       * prints it before reading (the corpus's golden output has it). */
      gboolean begun = cli->output == FL_OUTPUT_FLOW_EXPORT;

      if (begun)
        fl_writer_begin_input (cli->writer, reader);

      while ((status = fl_reader_next (reader, &flow, &error)) == FL_STATUS_OK)
        {
          if (G_UNLIKELY (!begun))
            {
              fl_writer_begin_input (cli->writer, reader);
              begun = TRUE;
            }
          fl_writer_write (cli->writer, &flow);
          n++;
          /* ferror() is a flag test: cheap enough per flow, and it stops
           * `flowread big | head` right away. */
          if (G_UNLIKELY (FL_FERROR (stdout)) && !output_ok (cli))
            break;
        }
      if (!begun && status == FL_STATUS_END)
        fl_writer_begin_input (cli->writer, reader);
    }
  *n_flows += n;

  if (cli->output_failed)
    return EXIT_ERROR;
  if (status == FL_STATUS_ERROR)
    {
      if (error == NULL)
        g_set_error (&error, FL_ERROR, FL_ERROR_PLUGIN,
                     "%s: reading failed without an error message", file);
      return report_error (error);
    }
  return EXIT_OK;
}

/* --------------------------------------------------------------- selection */

static gboolean
take_digits (const char **s, guint n, guint *value)
{
  guint v = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*s)[i]))
        return FALSE;
      v = v * 10 + (guint) ((*s)[i] - '0');
    }
  *s += n;
  *value = v;
  return TRUE;
}

/* --since/--until: RFC 3339 ("2026-11-27T13:00:00Z", fraction and offset
 * allowed; no offset means UTC) or nfdump's -t form "2026/11/27.13:00:00",
 * UTC, whose later parts may be left out ("2026/11/27.13", "2026/11/27"). */
static gboolean
parse_time (const char *text, gint64 *ns)
{
  const char *s = text;
  guint year, month, day, hour = 0, minute = 0, sec = 0;
  guint32 nsec = 0;
  gint64 offset = 0;

  if (!take_digits (&s, 4, &year) || (*s != '-' && *s != '/'))
    return FALSE;
  if (*s == '/')
    {
      /* nfdump */
      s++;
      if (!take_digits (&s, 2, &month) || *s++ != '/'
          || !take_digits (&s, 2, &day))
        return FALSE;
      if (*s == '.')
        {
          s++;
          if (!take_digits (&s, 2, &hour))
            return FALSE;
          if (*s == ':' && (s++, !take_digits (&s, 2, &minute)))
            return FALSE;
          if (*s == ':' && (s++, !take_digits (&s, 2, &sec)))
            return FALSE;
        }
      return *s == '\0'
             && fl_time_from_civil (year, month, day, hour, minute, sec, 0, ns);
    }
  s++;
  if (!take_digits (&s, 2, &month) || *s++ != '-'
      || !take_digits (&s, 2, &day)
      || (*s != 'T' && *s != 't' && *s != ' '))
    return FALSE;
  s++;
  if (!take_digits (&s, 2, &hour) || *s++ != ':'
      || !take_digits (&s, 2, &minute) || *s++ != ':'
      || !take_digits (&s, 2, &sec))
    return FALSE;
  if (*s == '.')
    {
      guint digits = 0;

      for (s++; g_ascii_isdigit (*s); s++, digits++)
        if (digits < 9)
          nsec = nsec * 10 + (guint32) (*s - '0');
      if (digits == 0)
        return FALSE;
      for (; digits < 9; digits++)
        nsec *= 10;
    }
  if (*s == 'Z' || *s == 'z')
    s++;
  else if (*s == '+' || *s == '-')
    {
      gint64 sign = *s++ == '-' ? -1 : 1;
      guint oh, om;

      if (!take_digits (&s, 2, &oh) || *s++ != ':'
          || !take_digits (&s, 2, &om) || oh > 23 || om > 59)
        return FALSE;
      offset = sign * ((gint64) oh * 3600 + om * 60) * G_GINT64_CONSTANT (1000000000);
    }
  if (*s != '\0'
      || !fl_time_from_civil (year, month, day, hour, minute, sec, nsec, ns))
    return FALSE;
  /* local time = UTC + offset */
  if ((offset > 0 && *ns < G_MININT64 + offset)
      || (offset < 0 && *ns > G_MAXINT64 + offset))
    return FALSE;
  *ns -= offset;
  return TRUE;
}

static int
compare_paths (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* -R: every regular file below dir into files (sorted by the caller).
 * Names starting with '.' are skipped, symbolic links to folders are not
 * followed (links to files are read), and a folder already seen (a bind
 * mount loop) is not entered twice, so the walk always ends. Returns FALSE
 * after reporting a folder it could not read; the rest is still walked. */
static gboolean
walk_tree (const char *dir, GPtrArray *files, GHashTable *seen)
{
  gboolean ok = TRUE;
  struct stat st;
  DIR *d;
  struct dirent *e;

  if (stat (dir, &st) == 0)
    {
      char *key = g_strdup_printf ("%ju:%ju", (uintmax_t) st.st_dev,
                                   (uintmax_t) st.st_ino);
      if (!g_hash_table_add (seen, key))
        return TRUE;
    }
  d = opendir (dir);
  if (d == NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s: cannot read folder: %s",
                                               dir, g_strerror (errno));
      message ("", text);
      return FALSE;
    }
  while ((errno = 0, e = readdir (d)) != NULL)
    {
      g_autofree char *path = NULL;

      if (e->d_name[0] == '.')
        continue;
      path = g_build_filename (dir, e->d_name, NULL);
      if (lstat (path, &st) != 0)
        continue; /* gone since readdir() */
      if (S_ISDIR (st.st_mode))
        ok &= walk_tree (path, files, seen);
      else if (S_ISREG (st.st_mode)
               || (S_ISLNK (st.st_mode) && stat (path, &st) == 0
                   && S_ISREG (st.st_mode)))
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
  if (errno != 0)
    {
      g_autofree char *text = g_strdup_printf ("%s: cannot read folder: %s",
                                               dir, g_strerror (errno));
      message ("", text);
      ok = FALSE;
    }
  closedir (d);
  return ok;
}

/* The FILEs to read: each argument, or with -R the files below a folder
 * argument in path order. *failed is set when a folder could not be read
 * completely. */
static GPtrArray *
expand_files (char **args, gboolean recursive, gboolean *failed)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  struct stat st;

  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    {
      if (recursive && strcmp (args[i], "-") != 0 && stat (args[i], &st) == 0
          && S_ISDIR (st.st_mode))
        {
          g_autoptr (GHashTable) seen =
            g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          guint from = files->len;

          if (!walk_tree (args[i], files, seen))
            *failed = TRUE;
          if (files->len - from > 1)
            qsort (files->pdata + from, files->len - from, sizeof (gpointer),
                   compare_paths);
        }
      else
        g_ptr_array_add (files, g_strdup (args[i]));
    }
  return files;
}

/* --------------------------------------------------------------- plugins */

static const char *
kind_name (FlReaderKind kind)
{
  return kind == FL_READER_WRAPPER ? "wrapper" : "format";
}

static void
list_plugins (Cli *cli)
{
  guint n = fl_registry_get_n_plugins (cli->registry);

  for (guint i = 0; i < n; i++)
    {
      const FlPluginInfo *p = fl_registry_get_plugin (cli->registry, i);

      g_autofree char *name = terminal_safe (p->name);
      g_autofree char *file = terminal_safe (p->file != NULL ? p->file : "-");

      if (p->loaded)
        {
          g_autofree char *version = terminal_safe (p->version != NULL ? p->version : "-");

          printf ("%-16s %-7s %-8s %s\n", name, kind_name (p->kind), version,
                  file);
        }
      else
        {
          g_autofree char *reason =
            terminal_safe (p->reason != NULL ? p->reason : "(no reason given)");

          printf ("%-16s %-7s %-8s %s: %s\n", name, "refused", "-", file,
                  reason);
        }
    }
}

/* --fields=LIST: field ids in *out. FALSE with *why for an empty list, an
 * empty, unknown or repeated name (the message lists the valid names). */
static gboolean
parse_fields (const char *list, GArray *out, char **why)
{
  g_auto (GStrv) names = g_strsplit (list, ",", -1);

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *name = g_strstrip (names[i]);
      int f = fl_field_from_name (name);

      for (guint j = 0; f >= 0 && j < out->len; j++)
        if (g_array_index (out, FlField, j) == (FlField) f)
          {
            *why = g_strdup_printf ("--fields: '%s' is listed twice", name);
            return FALSE;
          }
      if (f < 0)
        {
          GString *valid = g_string_new (NULL);
          guint n;
          const FlField *order = fl_field_get_output_order (&n);

          for (guint k = 0; k < n; k++)
            g_string_append_printf (valid, "%s%s", k > 0 ? "," : "",
                                    fl_field_name (order[k]));
          *why = g_strdup_printf ("--fields: unknown field '%s'; valid "
                                  "fields: %s", name, valid->str);
          g_string_free (valid, TRUE);
          return FALSE;
        }
      g_array_append_val (out, f);
    }
  if (out->len == 0)
    {
      *why = g_strdup ("--fields: no field given");
      return FALSE;
    }
  return TRUE;
}

/* -F NAME must name a loaded format reader: anything else is bad usage. */
static gboolean
check_format (Cli *cli, char **why)
{
  guint n = fl_registry_get_n_plugins (cli->registry);

  for (guint i = 0; i < n; i++)
    {
      const FlPluginInfo *p = fl_registry_get_plugin (cli->registry, i);

      if (!p->loaded || strcmp (p->name, cli->format) != 0)
        continue;
      if (p->kind == FL_READER_FORMAT)
        return TRUE;
      *why = g_strdup_printf ("'%s' is a wrapper, not a format plugin "
                              "(wrappers are always probed)", cli->format);
      return FALSE;
    }
  *why = g_strdup_printf ("unknown format plugin '%s' (see --list-plugins)",
                          cli->format);
  return FALSE;
}

/* --filter, --since, --until into cli. FALSE with *status = EXIT_USAGE
 * after a one-line message. */
static gboolean
parse_selection (Cli *cli, const char *filter, const char *since,
                 const char *until, int *status)
{
  static const char time_forms[] =
    " (RFC 3339 2026-11-27T13:00:00Z or nfdump's 2026/11/27.13:00:00, UTC)";
  const char *bad = NULL;

  *status = EXIT_USAGE;
  if (since != NULL && !parse_time (since, &cli->since))
    bad = "--since";
  else if (until != NULL && !parse_time (until, &cli->until))
    bad = "--until";
  if (bad != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s: invalid time '%s'%s",
                                               bad, bad[2] == 's' ? since
                                                                  : until,
                                               time_forms);
      usage_error (text);
      return FALSE;
    }
  if (since != NULL && until != NULL && cli->since >= cli->until)
    {
      usage_error ("--since must be before --until");
      return FALSE;
    }
  cli->open_flags |= (since != NULL ? FL_OPEN_HAS_SINCE : 0)
                     | (until != NULL ? FL_OPEN_HAS_UNTIL : 0);
  if (filter != NULL)
    {
      g_autoptr (GError) error = NULL;

      cli->filter = fl_filter_new (filter, &error);
      if (cli->filter == NULL)
        {
          /* one line: "flowread: filter: position N: expected ..." */
          message ("", error->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* --------------------------------------------------------------- main */

/* Set-uid or set-gid (or any exec the kernel marks secure, e.g. file
 * capabilities): refuse before anything else. The CLI loads plugin code
 * from --plugin-dir and quotes the files it reads in its errors; with
 * privileges that would run any user's code and show any file
 * (`-F text /etc/shadow`). The library itself only ignores the environment
 * for such hosts: a privileged host program knows what it opens. */
static gboolean
refuse_privileged (void)
{
  gboolean secure = getuid () != geteuid () || getgid () != getegid ();

#ifdef __linux__
  secure = secure || getauxval (AT_SECURE) != 0;
#endif
  if (!secure)
    return FALSE;
  fprintf (stderr, "flowread: refusing to run set-uid or set-gid (real "
           "uid %u gid %u, effective uid %u gid %u): it would load plugins "
           "and read files with privileges its caller does not have; run it "
           "without the set-uid/set-gid bit\n", (unsigned) getuid (),
           (unsigned) getgid (), (unsigned) geteuid (), (unsigned) getegid ());
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *format = NULL;
  g_autofree char *fields = NULL;
  g_autoptr (GArray) field_ids = g_array_new (FALSE, FALSE, sizeof (FlField));
  g_auto (GStrv) plugin_dirs = NULL;
  g_auto (GStrv) args = NULL;
  g_autofree char *filter = NULL, *since = NULL, *until = NULL;
  g_autoptr (GPtrArray) files = NULL;
  gboolean help = FALSE, version = FALSE, no_plugins = FALSE;
  gboolean recursive = FALSE;
  Cli cli = { 0 };
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_STRING, &output, NULL, NULL },
    { "format", 'F', 0, G_OPTION_ARG_STRING, &format, NULL, NULL },
    { "fields", 0, 0, G_OPTION_ARG_STRING, &fields, NULL, NULL },
    { "probe", 0, 0, G_OPTION_ARG_NONE, &cli.probe, NULL, NULL },
    { "list-plugins", 0, 0, G_OPTION_ARG_NONE, &cli.list_plugins, NULL, NULL },
    { "info", 0, 0, G_OPTION_ARG_NONE, &cli.info, NULL, NULL },
    { "count", 'c', 0, G_OPTION_ARG_NONE, &cli.count, NULL, NULL },
    { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs, NULL, NULL },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &filter, NULL, NULL },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since, NULL, NULL },
    { "until", 0, 0, G_OPTION_ARG_STRING, &until, NULL, NULL },
    { "recursive", 'R', 0, G_OPTION_ARG_NONE, &recursive, NULL, NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help, NULL, NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, NULL, NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  guint n_files, n_modes;
  guint64 total = 0;
  gboolean any_failed = FALSE, any_truncated = FALSE;
  int status;

  /* _exit(): nothing more runs with the privileges, not even atexit
   * handlers (a sanitizer's leak check would fail there, set-uid). */
  if (refuse_privileged ())
    _exit (EXIT_USAGE);

  /* Our help is help_text (kept in step with the man page), not GOption's. */
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);

  if (help)
    {
      fputs (help_text, stdout);
      return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
    }
  if (version)
    {
      printf ("flowread %s\nplugin ABI %d.%d\ndefault plugin folder: %s\n",
              FL_VERSION, FL_PLUGIN_ABI_MAJOR, FL_PLUGIN_ABI_MINOR,
              fl_registry_get_default_dir ());
      return fflush (stdout) == 0 ? EXIT_OK : EXIT_ERROR;
    }

  cli.output = FL_OUTPUT_TEXT;
  if (output != NULL && !fl_output_format_parse (output, &cli.output))
    {
      g_autofree char *text =
        g_strdup_printf ("unknown output format '%s' (json, csv, text or "
                         "flow-export)", output);
      return usage_error (text);
    }
  if (fields != NULL)
    {
      g_autofree char *why = NULL;

      if (cli.output == FL_OUTPUT_FLOW_EXPORT)
        return usage_error ("--fields applies to json, csv and text, not "
                            "flow-export (its columns are flow-export's)");
      if (!parse_fields (fields, field_ids, &why))
        return usage_error (why);
    }
  n_modes = (cli.probe ? 1 : 0) + (cli.list_plugins ? 1 : 0) +
            (cli.info ? 1 : 0) + (cli.count ? 1 : 0);
  if (n_modes > 1)
    return usage_error ("--probe, --list-plugins, --info and --count "
                        "exclude each other");
  if (args == NULL && !cli.list_plugins)
    return usage_error ("no FILE given ('-' reads standard input)");
  cli.format = format;
  if (!parse_selection (&cli, filter, since, until, &status))
    return status;
  /* Owns the filter for the run (cli borrows it): freed on every return. */
  g_autoptr (FlFilter) compiled = cli.filter;
  (void) compiled;

  /* A reader that went away (flowread ... | head) shows up as EPIPE from
   * write(), handled in output_ok(), instead of killing us mid-line. */
  signal (SIGPIPE, SIG_IGN);
  setvbuf (stdout, NULL, _IOFBF, STDOUT_BUFFER);

  cli.registry = fl_registry_new ();
  for (guint i = 0; plugin_dirs != NULL && plugin_dirs[i] != NULL; i++)
    fl_registry_add_dir (cli.registry, plugin_dirs[i]);
  if (!fl_registry_load (cli.registry, &error))
    {
      /* Not fatal: --list-plugins still shows what was refused, and each
       * FILE then fails with its own message. An uninstalled build has no
       * plugins in its default folder: say how to give it its own. */
      message ("warning: ", error->message);
      message ("", "to run from a build tree: meson devenv -C BUILDDIR "
               "flowread ARGS..., or --plugin-dir=BUILDDIR/plugins/NAME "
               "for each plugin");
      g_clear_error (&error);
      no_plugins = TRUE;
    }

  if (cli.list_plugins)
    {
      list_plugins (&cli);
      status = output_ok (&cli) && !no_plugins ? EXIT_OK : EXIT_ERROR;
      fl_registry_unref (cli.registry);
      return status;
    }

  if (cli.format != NULL)
    {
      g_autofree char *why = NULL;

      if (!check_format (&cli, &why))
        {
          fl_registry_unref (cli.registry);
          return usage_error (why);
        }
    }

  if (!cli.probe && !cli.info && !cli.count)
    {
      the_writer = cli.writer = fl_writer_new (cli.output, stdout);
      if (field_ids->len > 0)
        fl_writer_set_fields (cli.writer, (const FlField *) (gpointer) field_ids->data,
                              field_ids->len);
    }

  files = expand_files (args, recursive, &any_failed);
  n_files = files->len;
  for (guint i = 0; i < n_files && !cli.output_failed; i++)
    {
      guint64 n = 0;

      if (cli.probe)
        status = probe_file (&cli, files->pdata[i]);
      else
        {
          if (cli.info && i > 0)
            putchar ('\n');
          status = read_file (&cli, files->pdata[i], &n);
        }
      if (cli.count)
        {
          if (n_files == 1)
            printf ("%" G_GUINT64_FORMAT "\n", n);
          else
            {
              g_autofree char *safe_file = terminal_safe (files->pdata[i]);

              printf ("%" G_GUINT64_FORMAT " %s\n", n, safe_file);
            }
        }
      total += n;
      any_failed |= status == EXIT_ERROR;
      any_truncated |= status == EXIT_TRUNCATED;
    }
  if (cli.count && n_files != 1 && !cli.output_failed)
    printf ("%" G_GUINT64_FORMAT " total\n", total); /* also "0 total" for
                                                       an empty -R folder */

  if (!cli.output_failed)
    output_ok (&cli);
  the_writer = NULL;
  fl_writer_free (cli.writer);
  fl_registry_unref (cli.registry);

  /* stdout went away: the reader asked for no more, so that is no error
   * (flowread FILE | head). Any other write failure was reported. */
  if (cli.output_failed)
    return cli.output_epipe ? EXIT_OK : EXIT_ERROR;
  return any_failed ? EXIT_ERROR : any_truncated ? EXIT_TRUNCATED : EXIT_OK;
}

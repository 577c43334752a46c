/* SPDX-License-Identifier: MIT */
/*
 * FlReader: probes the input, stacks wrappers, opens the format reader and
 * hands out flows.
 *
 * Probing (design.md section 5): at each depth the wrappers are probed on
 * the current stream; the best one with a score > 0 decodes it and the core
 * probes again inside (at most FL_MAX_WRAPPER_DEPTH times). Then the
 * formats are probed and ranked: magic class before heuristic, then score,
 * then priority, then name. Two heuristic candidates of the same priority,
 * both below FL_PROBE_LIKELY and within 10 points, are ambiguous: we refuse
 * rather than guess. (Candidates of different priority are not ambiguous:
 * priority states a deliberate preference.) Before all that, an exec
 * reader (FL_READER_EXEC) is ranked last when a reader of its family
 * without the flag scored above 0: the native reader always wins over its
 * exec twin (outrank_exec_twins()).
 *
 * Probe functions only peek, into the stream's own buffer, so the chosen
 * reader sees every byte from the start, also on pipes.
 */
#include "fl-private.h"
#include <flowread/flowread-filter.h>

#include <stdarg.h>
#include <string.h>

#define FL_AMBIGUITY_MARGIN 10

struct _FlProbe {
  FlStream *stream;
  guint     depth;
  char     *reason;
};

const guint8 *
fl_probe_peek (FlProbe *probe, gsize count, gsize *avail)
{
  return _fl_stream_peek_quiet (probe->stream, MIN (count, FL_PROBE_PEEK_MAX),
                                avail);
}

const char *
fl_probe_get_name (FlProbe *probe)
{
  return fl_stream_get_name (probe->stream);
}

gint64
fl_probe_get_length (FlProbe *probe)
{
  return fl_stream_get_length (probe->stream);
}

guint
fl_probe_get_depth (FlProbe *probe)
{
  return probe->depth;
}

void
fl_probe_set_reason (FlProbe *probe, const char *format, ...)
{
  va_list ap;

  g_free (probe->reason);
  va_start (ap, format);
  probe->reason = g_strdup_vprintf (format, ap);
  va_end (ap);
}

struct _FlReader {
  FlRegistry        *registry;
  GPtrArray         *streams;  /* FlStream*: [0] the input, then decoded */
  GPtrArray         *wrappers; /* const FlRegReader* per decoded stream */
  const FlRegReader *format;
  gpointer           handle;
  char              *name;
  char              *chain;
  FlStatus           state;    /* OK until END or ERROR sticks */
  guint64            flows;
  FlOptions          options;  /* what open() and wrap() see */
  FlFlow             scratch;  /* for callers with an older, smaller FlFlow */

  /* Selection (FlOpenOptions.filter, since/until): `select` is FALSE when
   * there is none, so the per-flow path tests one flag. */
  gboolean           select;
  gboolean           has_window;
  FlFilter          *filter;
  gint64             since, until; /* G_MININT64 / G_MAXINT64 when unset */
};

typedef struct {
  const FlRegReader *reader;
  int                score;
  char              *reason;
  gboolean           outranked; /* an exec reader whose native twin scored */
} Candidate;

static void
candidate_clear (gpointer p)
{
  g_free (((Candidate *) p)->reason);
}

/* Clamps a plugin's answer into 0..100; heuristics never claim certainty. */
static int
clamp_score (const FlRegReader *rr, int score)
{
  if (score < 0)
    score = 0;
  if (score > FL_PROBE_CERTAIN)
    score = FL_PROBE_CERTAIN;
  if (rr->klass.probe_class == FL_PROBE_HEURISTIC && score > FL_PROBE_NEARLY)
    score = FL_PROBE_NEARLY;
  return score;
}

guint
fl_options_get_flags (const FlOptions *options)
{
  return options != NULL ? options->flags : 0;
}

static gboolean
is_exec (const FlRegReader *rr)
{
  return (rr->klass.flags & FL_READER_EXEC) != 0;
}

/* design.md section 5: a native reader that scores above 0 always beats
 * the exec reader of its family, whatever the exec reader scored (the
 * tool's probe is cruder, and the tool's output is not the truth: a
 * truncated flowd log through flowd-reader exits 0). Priority alone cannot
 * say this: score ranks before priority. */
static void
outrank_exec_twins (GArray *c)
{
  for (guint i = 0; i < c->len; i++)
    {
      Candidate *x = &g_array_index (c, Candidate, i);

      if (x->score == 0 || !is_exec (x->reader)
          || x->reader->klass.family == NULL)
        continue;
      for (guint j = 0; j < c->len; j++)
        {
          const Candidate *n = &g_array_index (c, Candidate, j);

          if (n->score > 0 && !is_exec (n->reader)
              && n->reader->klass.family != NULL
              && strcmp (n->reader->klass.family,
                         x->reader->klass.family) == 0)
            {
              x->outranked = TRUE;
              if (x->reason == NULL)
                x->reason = g_strdup_printf ("the native %s reader wins",
                                             n->reader->klass.name);
              break;
            }
        }
    }
}

static GArray *
probe_all (FlRegistry *reg, FlStream *stream, guint depth, FlReaderKind kind,
           guint flags)
{
  GArray *c = g_array_new (FALSE, TRUE, sizeof (Candidate));
  guint n = _fl_registry_get_n_readers (reg);

  g_array_set_clear_func (c, candidate_clear);
  for (guint i = 0; i < n; i++)
    {
      const FlRegReader *rr = _fl_registry_get_reader (reg, i);
      FlProbe probe = { stream, depth, NULL };
      Candidate cand;

      if (rr->klass.kind != kind)
        continue;
      cand.reader = rr;
      cand.outranked = FALSE;
      if ((flags & FL_OPEN_NO_EXEC) && is_exec (rr))
        {
          /* not even probed: the probe may look for the program */
          cand.score = 0;
          cand.reason = g_strdup ("exec readers are switched off "
                                  "(FL_OPEN_NO_EXEC)");
        }
      else
        {
          cand.score = clamp_score (rr, rr->klass.probe (&probe));
          cand.reason = probe.reason;
        }
      g_array_append_val (c, cand);
    }
  outrank_exec_twins (c);
  return c;
}

/* An outranked exec twin last; then magic class first, then score, then
 * priority, then name. */
static int
compare_candidates (gconstpointer pa, gconstpointer pb)
{
  const Candidate *a = pa, *b = pb;
  gboolean am = a->score > 0 && a->reader->klass.probe_class == FL_PROBE_MAGIC;
  gboolean bm = b->score > 0 && b->reader->klass.probe_class == FL_PROBE_MAGIC;

  if (a->outranked != b->outranked)
    return a->outranked ? 1 : -1;
  if (am != bm)
    return am ? -1 : 1;
  if (a->score != b->score)
    return b->score - a->score;
  if (a->reader->klass.priority != b->reader->klass.priority)
    return b->reader->klass.priority > a->reader->klass.priority ? 1 : -1;
  return strcmp (a->reader->klass.name, b->reader->klass.name);
}

static void
report (FlProbeFunc func, gpointer user_data, guint depth, GArray *c,
        int winner)
{
  if (func == NULL)
    return;
  for (guint i = 0; i < c->len; i++)
    {
      const Candidate *cand = &g_array_index (c, Candidate, i);
      FlProbeResult res = {
        depth, cand->reader->klass.name, cand->reader->klass.kind,
        cand->score, cand->reason, (int) i == winner
      };
      func (&res, user_data);
    }
}

static char *
make_chain (FlReader *r, const char *format)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < r->wrappers->len; i++)
    {
      const FlRegReader *w = r->wrappers->pdata[i];
      g_string_append_printf (s, "%s%s", i > 0 ? " > " : "", w->klass.name);
    }
  if (format != NULL)
    g_string_append_printf (s, "%s%s", s->len > 0 ? " > " : "", format);
  return g_string_free (s, FALSE);
}

/* Adds "NAME: CHAIN: " to an error coming from a plugin. */
static void
prefix_error (FlReader *r, GError **error, const char *format)
{
  g_autofree char *chain = make_chain (r, format);

  if (error != NULL && *error != NULL)
    {
      if (chain[0] != '\0')
        g_prefix_error (error, "%s: %s: ", r->name, chain);
      else
        g_prefix_error (error, "%s: ", r->name);
    }
}

static FlStream *
top_stream (FlReader *r)
{
  return r->streams->pdata[r->streams->len - 1];
}

/* Probes wrappers and then formats on r's stream; on success r->format is
 * the winner (not opened yet). func, when set, sees every score. */
static gboolean
probe_chain (FlReader *r, const char *forced, FlProbeFunc func,
             gpointer user_data, GError **error)
{
  FlOptions *opts = &r->options;

  for (guint depth = 0;; depth++)
    {
      g_autoptr (GArray) c = probe_all (r->registry, top_stream (r), depth,
                                        FL_READER_WRAPPER, opts->flags);
      const Candidate *best;
      FlStream *inner;
      GError *local = NULL;

      g_array_sort (c, compare_candidates);
      best = c->len > 0 ? &g_array_index (c, Candidate, 0) : NULL;
      if (best == NULL || best->score == 0)
        {
          report (func, user_data, depth, c, -1);
          break;
        }
      if (depth >= FL_MAX_WRAPPER_DEPTH)
        {
          report (func, user_data, depth, c, -1);
          g_set_error (error, FL_ERROR, FL_ERROR_TOO_MANY_WRAPPERS,
                       "more than %d nested wrappers (%s again at depth %u)",
                       FL_MAX_WRAPPER_DEPTH, best->reader->klass.name,
                       depth);
          prefix_error (r, error, NULL);
          return FALSE;
        }
      report (func, user_data, depth, c, 0);
      inner = best->reader->klass.wrap (top_stream (r), opts, &local);
      if (inner == NULL)
        {
          if (local == NULL)
            g_set_error (&local, FL_ERROR, FL_ERROR_PLUGIN,
                         "wrapper %s failed without an error",
                         best->reader->klass.name);
          g_propagate_error (error, local);
          g_ptr_array_add (r->wrappers, (gpointer) best->reader);
          prefix_error (r, error, NULL);
          g_ptr_array_remove_index (r->wrappers, r->wrappers->len - 1);
          return FALSE;
        }
      _fl_stream_set_depth (inner, depth + 1);
      g_ptr_array_add (r->streams, inner);
      g_ptr_array_add (r->wrappers, (gpointer) best->reader);
    }

  if (forced != NULL)
    {
      guint n = _fl_registry_get_n_readers (r->registry);
      for (guint i = 0; i < n; i++)
        {
          const FlRegReader *rr = _fl_registry_get_reader (r->registry, i);
          if (rr->klass.kind == FL_READER_FORMAT
              && strcmp (rr->klass.name, forced) == 0)
            {
              if ((opts->flags & FL_OPEN_NO_EXEC) && is_exec (rr))
                {
                  g_set_error (error, FL_ERROR, FL_ERROR_PLUGIN,
                               "format %s runs an external program and exec "
                               "readers are switched off (FL_OPEN_NO_EXEC)",
                               forced);
                  prefix_error (r, error, NULL);
                  return FALSE;
                }
              r->format = rr;
              return TRUE;
            }
        }
      g_set_error (error, FL_ERROR, FL_ERROR_PLUGIN,
                   "no format plugin named \"%s\" is loaded", forced);
      prefix_error (r, error, NULL);
      return FALSE;
    }

  {
    guint depth = r->wrappers->len;
    g_autoptr (GArray) c = probe_all (r->registry, top_stream (r), depth,
                                      FL_READER_FORMAT, opts->flags);
    const Candidate *best, *second;

    g_array_sort (c, compare_candidates);
    best = c->len > 0 ? &g_array_index (c, Candidate, 0) : NULL;
    second = c->len > 1 ? &g_array_index (c, Candidate, 1) : NULL;
    if (best == NULL || best->score == 0)
      {
        gsize avail;
        report (func, user_data, depth, c, -1);
        _fl_stream_peek_quiet (top_stream (r), FL_PROBE_PEEK_MAX, &avail);
        g_set_error (error, FL_ERROR, FL_ERROR_UNKNOWN_FORMAT,
                     "unknown format: no plugin recognised the %s"
                     "(%" G_GSIZE_FORMAT " bytes examined)",
                     avail == 0 ? "empty input " : "data ", avail);
        prefix_error (r, error, NULL);
        return FALSE;
      }
    if (best->reader->klass.probe_class == FL_PROBE_HEURISTIC
        && second != NULL && second->score > 0 && !second->outranked
        && second->reader->klass.probe_class == FL_PROBE_HEURISTIC
        && best->score < FL_PROBE_LIKELY
        && best->score - second->score <= FL_AMBIGUITY_MARGIN
        && best->reader->klass.priority == second->reader->klass.priority)
      {
        report (func, user_data, depth, c, -1);
        g_set_error (error, FL_ERROR, FL_ERROR_AMBIGUOUS_FORMAT,
                     "ambiguous format: %s (%d) or %s (%d); use --format",
                     best->reader->klass.name, best->score,
                     second->reader->klass.name, second->score);
        prefix_error (r, error, NULL);
        return FALSE;
      }
    report (func, user_data, depth, c, 0);
    r->format = best->reader;
  }
  return TRUE;
}

/* The host's flags, from an FlOpenOptions of any size (a 1.0 host's has
 * none). FL_REGISTRY_NO_EXEC needs nothing here: such a registry holds no
 * exec reader. */
static guint
open_flags (const FlOpenOptions *options)
{
  guint flags = 0;

  if (options != NULL
      && options->struct_size >= G_STRUCT_OFFSET (FlOpenOptions, flags)
                                 + sizeof options->flags)
    flags = options->flags;
  return flags;
}

static FlReader *
reader_alloc (FlRegistry *registry, FlStream *stream)
{
  FlReader *r = g_new0 (FlReader, 1);

  r->registry = fl_registry_ref (registry);
  r->streams = g_ptr_array_new ();
  r->wrappers = g_ptr_array_new ();
  g_ptr_array_add (r->streams, stream);
  r->name = g_strdup (fl_stream_get_name (stream));
  r->state = FL_STATUS_OK;
  fl_flow_init (&r->scratch);
  return r;
}

gboolean
fl_probe_stream (FlRegistry *registry, FlStream *stream, FlProbeFunc func,
                 gpointer user_data, GError **error)
{
  FlReader *r;
  gboolean ok;

  g_return_val_if_fail (registry != NULL && stream != NULL, FALSE);

  r = reader_alloc (registry, stream);
  ok = probe_chain (r, NULL, func, user_data, error);
  fl_reader_close (r);
  return ok;
}

/* Does options carry member (a 1.0 host passes a smaller struct)? */
#define OPTIONS_HAVE(o, member)                                         \
  ((o) != NULL && (o)->struct_size >= G_STRUCT_OFFSET (FlOpenOptions, member) \
                                      + sizeof ((o)->member))

static void
set_selection (FlReader *r, const FlOpenOptions *options)
{
  guint flags = open_flags (options);

  r->since = G_MININT64;
  r->until = G_MAXINT64;
  if (OPTIONS_HAVE (options, filter) && options->filter != NULL)
    r->filter = fl_filter_ref (options->filter);
  if ((flags & FL_OPEN_HAS_SINCE) && OPTIONS_HAVE (options, since))
    r->since = options->since;
  if ((flags & FL_OPEN_HAS_UNTIL) && OPTIONS_HAVE (options, until))
    r->until = options->until;
  r->select = r->filter != NULL || (flags & (FL_OPEN_HAS_SINCE
                                             | FL_OPEN_HAS_UNTIL)) != 0;
  r->has_window = (flags & (FL_OPEN_HAS_SINCE | FL_OPEN_HAS_UNTIL)) != 0;
}

/* With a time window, a flow without `first` is left out: it cannot be
 * shown to lie inside (the same answer as nfdump's -t, whose records all
 * carry a time). */
static inline gboolean
selected (const FlReader *r, const FlFlow *flow)
{
  if (r->has_window
      && (!fl_flow_has (flow, FL_FIELD_FIRST) || flow->first < r->since
          || flow->first >= r->until))
    return FALSE;
  return r->filter == NULL || _fl_filter_match (r->filter, flow);
}

/* TRUE when the format's header says that every flow's `first` lies
 * outside [since, until): the file is then skipped without reading its
 * body. A span with first > last contradicts itself and is not trusted. */
static gboolean
header_outside_window (FlReader *r)
{
  gint64 first, last;

  if (!r->has_window || r->format->klass.time_range == NULL
      || !r->format->klass.time_range (r->handle, &first, &last)
      || first > last)
    return FALSE;
  return last < r->since || first >= r->until;
}

FlReader *
fl_reader_new (FlRegistry *registry, FlStream *stream,
               const FlOpenOptions *options, GError **error)
{
  const char *forced = NULL;
  GError *local = NULL;
  FlReader *r;

  g_return_val_if_fail (registry != NULL, NULL);
  g_return_val_if_fail (stream != NULL, NULL);

  if (options != NULL
      && options->struct_size >= G_STRUCT_OFFSET (FlOpenOptions, format)
                                 + sizeof (const char *))
    forced = options->format;

  r = reader_alloc (registry, stream);
  r->options.flags = open_flags (options);
  set_selection (r, options);
  if (!probe_chain (r, forced, NULL, NULL, error))
    {
      fl_reader_close (r);
      return NULL;
    }
  r->chain = make_chain (r, r->format->klass.name);
  r->handle = r->format->klass.open (top_stream (r), &r->options, &local);
  if (r->handle == NULL)
    {
      if (local == NULL)
        g_set_error (&local, FL_ERROR, FL_ERROR_PLUGIN,
                     "open failed without an error");
      g_propagate_error (error, local);
      prefix_error (r, error, r->format->klass.name);
      r->format = NULL; /* nothing to close */
      fl_reader_close (r);
      return NULL;
    }
  if (header_outside_window (r))
    r->state = FL_STATUS_END; /* skipped unread */
  return r;
}

FlReader *
fl_reader_open_path (FlRegistry *registry, const char *path,
                     const FlOpenOptions *options, GError **error)
{
  FlStream *s = fl_stream_new_path (path, error);

  return s != NULL ? fl_reader_new (registry, s, options, error) : NULL;
}

FlReader *
fl_reader_open_fd (FlRegistry *registry, int fd, const char *name,
                   const FlOpenOptions *options, GError **error)
{
  return fl_reader_new (registry, fl_stream_new_fd (fd, name, FALSE), options,
                        error);
}

FlReader *
fl_reader_open_memory (FlRegistry *registry, const void *data, gsize len,
                       const char *name, const FlOpenOptions *options,
                       GError **error)
{
  return fl_reader_new (registry, fl_stream_new_memory (data, len, name),
                        options, error);
}

/* fl_reader_next() after the plugin's next(): everything but a full-size
 * flow handed out. Out of line so that the per-flow path keeps a small
 * stack frame (it saved six registers per flow before). */
static __attribute__ ((noinline)) FlStatus
reader_next_finish (FlReader *r, FlFlow *flow, FlFlow *target, FlStatus st,
                    GError *local, GError **error)
{
  if (st == FL_STATUS_OK)
    {
      r->flows++;
      if (target != flow)
        {
          gsize keep = flow->struct_size;
          memcpy (flow, target, keep);
          flow->struct_size = keep;
        }
      return FL_STATUS_OK;
    }
  if (st == FL_STATUS_END)
    {
      g_clear_error (&local); /* a plugin bug; END wins */
      r->state = FL_STATUS_END;
      return FL_STATUS_END;
    }
  if (local == NULL)
    g_set_error (&local, FL_ERROR, FL_ERROR_PLUGIN,
                 "reader failed without an error");
  g_propagate_error (error, local);
  prefix_error (r, error, r->format->klass.name);
  r->state = FL_STATUS_ERROR;
  return FL_STATUS_ERROR;
}

/* fl_reader_next() for everything but the common case: selection (filter,
 * time window), a caller with an older (smaller) FlFlow, a reader that
 * ended. */
static __attribute__ ((noinline)) FlStatus
reader_next_slow (FlReader *r, FlFlow *flow, GError **error)
{
  GError *local = NULL;
  FlStatus st;

  if (r->state != FL_STATUS_OK)
    return r->state;
  if (flow->struct_size >= sizeof (FlFlow))
    {
      do
        {
          flow->present = 0;
          flow->present_hi = 0;
          st = r->format->klass.next (r->handle, flow, &local);
        }
      while (st == FL_STATUS_OK && !selected (r, flow));
      return reader_next_finish (r, flow, flow, st, local, error);
    }
  /* A caller built against an older (smaller) FlFlow gets the prefix it
   * knows; the plugin always fills a full-size one. */
  do
    {
      r->scratch.present = 0;
      r->scratch.present_hi = 0;
      st = r->format->klass.next (r->handle, &r->scratch, &local);
    }
  while (st == FL_STATUS_OK && r->select && !selected (r, &r->scratch));
  return reader_next_finish (r, flow, &r->scratch, st, local, error);
}

FlStatus
fl_reader_next (FlReader *r, FlFlow *flow, GError **error)
{
  GError *local = NULL;
  FlStatus st;

  g_return_val_if_fail (r != NULL, FL_STATUS_ERROR);
  g_return_val_if_fail (flow != NULL, FL_STATUS_ERROR);
  g_return_val_if_fail (flow->struct_size > 0, FL_STATUS_ERROR);

  /* The common case, kept small (it runs once per flow: a frame that
   * saves two registers, not six): a full-size FlFlow, nothing to select,
   * a reader still reading. */
  if (G_UNLIKELY (r->state != FL_STATUS_OK || r->select ||
                  flow->struct_size < sizeof (FlFlow)))
    return reader_next_slow (r, flow, error);
  flow->present = 0;
  flow->present_hi = 0;
  st = r->format->klass.next (r->handle, flow, &local);
  if (G_LIKELY (st == FL_STATUS_OK))
    {
      r->flows++;
      return FL_STATUS_OK;
    }
  return reader_next_finish (r, flow, flow, st, local, error);
}

const char *
fl_reader_get_format (FlReader *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  return r->format != NULL ? r->format->klass.name : NULL;
}

const char *
fl_reader_get_chain (FlReader *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  return r->chain;
}

const char *
fl_reader_get_name (FlReader *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  return r->name;
}

void
fl_reader_foreach_info (FlReader *r, FlInfoFunc func, gpointer user_data)
{
  g_return_if_fail (r != NULL && func != NULL);

  func ("format", fl_reader_get_format (r), user_data);
  func ("chain", r->chain, user_data);
  if (r->format != NULL && r->format->klass.info != NULL)
    r->format->klass.info (r->handle, func, user_data);
}

typedef struct {
  const char *key;
  char       *value;
} InfoLookup;

static void
info_lookup_cb (const char *key, const char *value, gpointer user_data)
{
  InfoLookup *l = user_data;

  if (l->value == NULL && strcmp (key, l->key) == 0)
    l->value = g_strdup (value);
}

char *
fl_reader_get_info (FlReader *r, const char *key)
{
  InfoLookup l = { key, NULL };

  g_return_val_if_fail (r != NULL && key != NULL, NULL);
  fl_reader_foreach_info (r, info_lookup_cb, &l);
  return l.value;
}

void
fl_reader_close (FlReader *r)
{
  if (r == NULL)
    return;
  if (r->format != NULL && r->handle != NULL)
    r->format->klass.close (r->handle);
  /* Decoded streams first: a wrapper's stream reads from the one below. */
  for (guint i = r->streams->len; i > 0; i--)
    fl_stream_unref (r->streams->pdata[i - 1]);
  g_ptr_array_free (r->streams, TRUE);
  g_ptr_array_free (r->wrappers, TRUE);
  fl_registry_unref (r->registry);
  fl_filter_unref (r->filter);
  g_free (r->name);
  g_free (r->chain);
  g_free (r);
}

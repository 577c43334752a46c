/* SPDX-License-Identifier: MIT */
/*
 * Fake plugins for the loader and probe tests. One source, several shared
 * objects: FAKE_VARIANT selects what the descriptor does wrong (or right).
 *
 * The good variant has four readers:
 *   fake-magic  (format, magic)     "FAKEMAGIC" then one flow per byte
 *                                   (prot = the byte; '!' = corrupt,
 *                                   a final '~' = truncated)
 *   fake-heur-a (format, heuristic) "H:<a>:<b>" scores a
 *   fake-heur-b (format, heuristic) "H:<a>:<b>" scores b
 *   fake-wrap   (wrapper, magic)    "WRAP" + payload: strips the 4 bytes
 *   fake-twin-native, fake-twin-exec (format, heuristic, family
 *               "faketwin"; the second has FL_READER_EXEC and a higher
 *               priority) "T:<a>:<b>" scores a and b
 *   fake-opts   (format, magic)     "FAKEOPTS" then one flow per byte, its
 *               `input` = the fl_options_get_flags() open() saw
 *
 * FAKE_VARIANT 6 is a plugin built against ABI 1.0: its own 1.0-sized
 * FlReaderClass (no time_range, family, flags), abi_minor 0, and it fills
 * only the 1.0 prefix of FlFlow (up to present_hi).
 */
#include <flowread/flowread-plugin.h>
#include <stdlib.h>
#include <string.h>

static int
magic_probe (FlProbe *probe)
{
  gsize n;
  const guint8 *p = fl_probe_peek (probe, 9, &n);

  return n == 9 && memcmp (p, "FAKEMAGIC", 9) == 0 ? FL_PROBE_CERTAIN : 0;
}

/* "<tag>:<a>:<b>": score a or b */
static int
heur_score (FlProbe *probe, char tag, int which)
{
  gsize n;
  const guint8 *p = fl_probe_peek (probe, 64, &n);
  char buf[65];
  char **parts;
  int score = 0;

  if (n < 2 || p[0] != tag || p[1] != ':')
    return 0;
  memcpy (buf, p, n);
  buf[n] = '\0';
  parts = g_strsplit (buf + 2, ":", 3);
  if (g_strv_length (parts) >= 2)
    score = atoi (parts[which]);
  g_strfreev (parts);
  return score;
}

static int heur_a_probe (FlProbe *probe) { return heur_score (probe, 'H', 0); }
static int heur_b_probe (FlProbe *probe) { return heur_score (probe, 'H', 1); }

static int twin_native_probe (FlProbe *probe) { return heur_score (probe, 'T', 0); }
static int twin_exec_probe (FlProbe *probe) { return heur_score (probe, 'T', 1); }

typedef struct {
  FlStream *stream;
  guint     flags;   /* fl_options_get_flags() at open */
  gboolean  opts;    /* fake-opts: report them */
} Handle;

static gpointer
fake_open (FlStream *stream, const FlOptions *options, GError **error)
{
  Handle *h = g_new0 (Handle, 1);
  gsize n;
  const guint8 *p = fl_stream_peek (stream, 9, &n, error);

  if (p == NULL)
    {
      g_free (h);
      return NULL;
    }
  /* heuristic readers open "H:..." data: skip to the end of the line */
  if (n == 9 && memcmp (p, "FAKEMAGIC", 9) == 0)
    fl_stream_consume (stream, 9);
  h->stream = stream;
  h->flags = fl_options_get_flags (options);
  return h;
}

static int
opts_probe (FlProbe *probe)
{
  gsize n;
  const guint8 *p = fl_probe_peek (probe, 8, &n);

  return n == 8 && memcmp (p, "FAKEOPTS", 8) == 0 ? FL_PROBE_CERTAIN : 0;
}

static gpointer
opts_open (FlStream *stream, const FlOptions *options, GError **error)
{
  Handle *h;

  if (fl_stream_skip (stream, 8, error) != 8)
    return NULL;
  h = fake_open (stream, options, error);
  if (h != NULL)
    h->opts = TRUE;
  return h;
}

static FlStatus
fake_next (gpointer handle, FlFlow *flow, GError **error)
{
  Handle *h = handle;
  gsize n;
  guint64 off = fl_stream_tell (h->stream);
  const guint8 *p = fl_stream_peek (h->stream, 2, &n, error);

  if (p == NULL)
    return FL_STATUS_ERROR;
  if (n == 0)
    return FL_STATUS_END;
  if (p[0] == '!')
    {
      fl_set_error (error, FL_ERROR_CORRUPT, off, "bang");
      return FL_STATUS_ERROR;
    }
  if (p[0] == '~' && n == 1)
    {
      fl_set_error (error, FL_ERROR_TRUNCATED, off, "tilde at the end");
      return FL_STATUS_ERROR;
    }
  flow->prot = p[0];
  flow->present |= FL_FIELD_BIT (FL_FIELD_PROT);
  if (h->opts)
    {
      flow->input = h->flags;
      flow->present |= FL_FIELD_BIT (FL_FIELD_INPUT);
    }
  fl_stream_consume (h->stream, 1);
  return FL_STATUS_OK;
}

static void
fake_close (gpointer handle)
{
  g_free (handle);
}

static void
fake_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  func ("fake_key", "fake value", user_data);
}

static int
wrap_probe (FlProbe *probe)
{
  gsize n;
  const guint8 *p = fl_probe_peek (probe, 4, &n);

  return n == 4 && memcmp (p, "WRAP", 4) == 0 ? FL_PROBE_CERTAIN : 0;
}

static gssize
wrap_read (gpointer data, void *buf, gsize count, GError **error)
{
  return fl_stream_read (data, buf, count, error);
}

static FlStream *
wrap_wrap (FlStream *inner, const FlOptions *options, GError **error)
{
  static const FlStreamFuncs funcs = { sizeof (FlStreamFuncs), wrap_read, NULL };

  if (fl_stream_skip (inner, 4, error) != 4)
    return NULL;
  return fl_stream_new_custom (&funcs, inner, "fake-wrap");
}

#ifndef FAKE_PREFIX
#define FAKE_PREFIX "fake"
#endif

G_GNUC_UNUSED static const FlReaderClass magic_class = {
  sizeof (FlReaderClass), FAKE_PREFIX "-magic", "fake magic format",
  FL_READER_FORMAT, FL_PROBE_MAGIC, 10,
  magic_probe, fake_open, fake_next, fake_close, fake_info, NULL
};
G_GNUC_UNUSED static const FlReaderClass heur_a_class = {
  sizeof (FlReaderClass), FAKE_PREFIX "-heur-a", "fake heuristic a",
  FL_READER_FORMAT, FL_PROBE_HEURISTIC, 10,
  heur_a_probe, fake_open, fake_next, fake_close, NULL, NULL
};
G_GNUC_UNUSED static const FlReaderClass heur_b_class = {
  sizeof (FlReaderClass), FAKE_PREFIX "-heur-b", "fake heuristic b",
  FL_READER_FORMAT, FL_PROBE_HEURISTIC, FAKE_HEUR_B_PRIORITY,
  heur_b_probe, fake_open, fake_next, fake_close, NULL, NULL
};
G_GNUC_UNUSED static const FlReaderClass wrap_class = {
  sizeof (FlReaderClass), FAKE_PREFIX "-wrap", "fake wrapper",
  FL_READER_WRAPPER, FL_PROBE_MAGIC, 10,
  wrap_probe, NULL, NULL, NULL, NULL, wrap_wrap
};
G_GNUC_UNUSED static const FlReaderClass twin_native_class = {
  .struct_size = sizeof (FlReaderClass), .name = FAKE_PREFIX "-twin-native",
  .kind = FL_READER_FORMAT, .probe_class = FL_PROBE_HEURISTIC,
  .priority = 0, .probe = twin_native_probe, .open = fake_open,
  .next = fake_next, .close = fake_close, .family = "faketwin",
};
G_GNUC_UNUSED static const FlReaderClass twin_exec_class = {
  .struct_size = sizeof (FlReaderClass), .name = FAKE_PREFIX "-twin-exec",
  .kind = FL_READER_FORMAT, .probe_class = FL_PROBE_HEURISTIC,
  .priority = 50, .probe = twin_exec_probe, .open = fake_open,
  .next = fake_next, .close = fake_close, .family = "faketwin",
  .flags = FL_READER_EXEC,
};
G_GNUC_UNUSED static const FlReaderClass opts_class = {
  .struct_size = sizeof (FlReaderClass), .name = FAKE_PREFIX "-opts",
  .kind = FL_READER_FORMAT, .probe_class = FL_PROBE_MAGIC,
  .priority = 0, .probe = opts_probe, .open = opts_open,
  .next = fake_next, .close = fake_close,
};
/* format reader without next(): must be refused */
G_GNUC_UNUSED static const FlReaderClass broken_class = {
  sizeof (FlReaderClass), "fake-broken", "no next",
  FL_READER_FORMAT, FL_PROBE_MAGIC, 10,
  magic_probe, fake_open, NULL, fake_close, NULL, NULL
};

#if FAKE_VARIANT == 0 /* good */
FL_PLUGIN_DEFINE (FAKE_PREFIX, "1.0", &magic_class, &heur_a_class,
                  &heur_b_class, &wrap_class, &twin_native_class,
                  &twin_exec_class, &opts_class)
#elif FAKE_VARIANT == 1 /* ABI major from the future */
static const FlReaderClass *const readers[] = { &magic_class };
static const FlPluginDescriptor desc = {
  sizeof (FlPluginDescriptor), 99, 0, "fake-abi", "1.0", readers, 1 };
FL_PLUGIN_EXPORT const FlPluginDescriptor *fl_plugin_get_descriptor (void);
const FlPluginDescriptor *fl_plugin_get_descriptor (void) { return &desc; }
#elif FAKE_VARIANT == 2 /* newer minor than the core */
static const FlReaderClass *const readers[] = { &magic_class };
static const FlPluginDescriptor desc = {
  sizeof (FlPluginDescriptor), FL_PLUGIN_ABI_MAJOR, FL_PLUGIN_ABI_MINOR + 1,
  "fake-minor", "1.0", readers, 1 };
FL_PLUGIN_EXPORT const FlPluginDescriptor *fl_plugin_get_descriptor (void);
const FlPluginDescriptor *fl_plugin_get_descriptor (void) { return &desc; }
#elif FAKE_VARIANT == 3 /* a reader without next() */
FL_PLUGIN_DEFINE ("fake-broken", "1.0", &broken_class)
#elif FAKE_VARIANT == 4 /* no entry symbol at all */
int fake_not_a_plugin (void);
int fake_not_a_plugin (void) { return 0; }
#elif FAKE_VARIANT == 5 /* NULL descriptor */
FL_PLUGIN_EXPORT const FlPluginDescriptor *fl_plugin_get_descriptor (void);
const FlPluginDescriptor *fl_plugin_get_descriptor (void) { return NULL; }
#elif FAKE_VARIANT == 6 /* built against ABI 1.0 */
/* FlReaderClass as ABI 1.0 declared it: ends with wrap. */
typedef struct {
  gsize        struct_size;
  const char  *name;
  const char  *description;
  FlReaderKind kind;
  FlProbeClass probe_class;
  int          priority;
  int       (*probe) (FlProbe *probe);
  gpointer  (*open)  (FlStream *stream, const FlOptions *options,
                      GError **error);
  FlStatus  (*next)  (gpointer handle, FlFlow *flow, GError **error);
  void      (*close) (gpointer handle);
  void      (*info)  (gpointer handle, FlInfoFunc func, gpointer user_data);
  FlStream *(*wrap)  (FlStream *inner, const FlOptions *options,
                      GError **error);
} FlReaderClass10;
G_STATIC_ASSERT (sizeof (FlReaderClass10)
                 == G_STRUCT_OFFSET (FlReaderClass, time_range));

/* The 1.0 FlFlow ends where present_hi begins: write nothing past it. */
#define FLOW10_SIZE G_STRUCT_OFFSET (FlFlow, present_hi)

static int
v10_probe (FlProbe *probe)
{
  gsize n;
  const guint8 *p = fl_probe_peek (probe, 6, &n);

  return n == 6 && memcmp (p, "FAKE10", 6) == 0 ? FL_PROBE_CERTAIN : 0;
}

static gpointer
v10_open (FlStream *stream, const FlOptions *options, GError **error)
{
  Handle *h;

  if (fl_stream_skip (stream, 6, error) != 6)
    return NULL;
  h = g_new0 (Handle, 1);
  h->stream = stream;
  return h;
}

static FlStatus
v10_next (gpointer handle, FlFlow *flow, GError **error)
{
  Handle *h = handle;
  gsize n;
  const guint8 *p = fl_stream_peek (h->stream, 1, &n, error);
  guint8 *raw = (guint8 *) flow;

  if (p == NULL)
    return FL_STATUS_ERROR;
  if (n == 0)
    return FL_STATUS_END;
  /* A 1.0 plugin sees a flow at least as large as its own. */
  if (flow->struct_size < FLOW10_SIZE)
    {
      fl_set_error (error, FL_ERROR_INVALID, G_MAXUINT64, "flow too small");
      return FL_STATUS_ERROR;
    }
  /* Every member of the 1.0 prefix is written (as a 1.0 plugin may), and
   * only 1.0 fields (ids 0..32) are marked present. */
  memset (raw + sizeof flow->struct_size, p[0],
          FLOW10_SIZE - sizeof flow->struct_size);
  flow->present = FL_FIELD_BIT (FL_FIELD_PROT) | FL_FIELD_BIT (FL_FIELD_TAG)
                  | FL_FIELD_BIT (FL_FIELD_SRCPORT);
  flow->prot = p[0];
  flow->tag = 1000u + p[0];
  flow->srcport = 2000u + p[0];
  fl_stream_consume (h->stream, 1);
  return FL_STATUS_OK;
}

/* Followed by bytes a careless core would read as time_range, family and
 * flags: 0xff, a crash or a refusal if used. */
static const struct {
  FlReaderClass10 klass;
  guint8          junk[64];
} v10 = {
  { sizeof (FlReaderClass10), "fake10-magic", "an ABI 1.0 plugin",
    FL_READER_FORMAT, FL_PROBE_MAGIC, 10, v10_probe, v10_open, v10_next,
    fake_close, NULL, NULL },
  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};
static const FlReaderClass *const readers[] = {
  (const FlReaderClass *) &v10.klass };
static const FlPluginDescriptor desc = {
  sizeof (FlPluginDescriptor), FL_PLUGIN_ABI_MAJOR, 0, "fake10", "1.0",
  readers, 1 };
FL_PLUGIN_EXPORT const FlPluginDescriptor *fl_plugin_get_descriptor (void);
const FlPluginDescriptor *fl_plugin_get_descriptor (void) { return &desc; }
#elif FAKE_VARIANT == 7 /* a constructor: runs at dlopen, if it comes to that */
__attribute__ ((constructor)) static void
fake_ctor (void)
{
  g_setenv ("FLTEST_FAKE_CTOR_RAN", "1", TRUE);
}
FL_PLUGIN_DEFINE ("fake-ctor", "1.0", &broken_class)
#endif

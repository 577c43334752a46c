/* SPDX-License-Identifier: MIT */
/*
 * fake-window: a format plugin for the time window tests. It counts its
 * next() calls (info key "next_calls"), so a test can prove that a file
 * whose header lies outside the window is skipped without being read.
 *
 *   FAKEWINDOW FIRST LAST\n     header span in seconds ("-" = no span)
 *   FIRST SRCPORT\n             one flow per line; FIRST "-" = absent
 */
#include <flowread/flowread-plugin.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "FAKEWINDOW "

typedef struct {
  char   **lines;
  guint    pos;
  gboolean has_span;
  gint64   span_first, span_last;
  guint    next_calls;
} Handle;

static int
fw_probe (FlProbe *probe)
{
  gsize n;
  const guint8 *p = fl_probe_peek (probe, strlen (MAGIC), &n);

  return n == strlen (MAGIC) && memcmp (p, MAGIC, n) == 0
         ? FL_PROBE_CERTAIN : FL_PROBE_NONE;
}

static gpointer
fw_open (FlStream *stream, const FlOptions *options, GError **error)
{
  GString *text = g_string_new (NULL);
  Handle *h = g_new0 (Handle, 1);
  char buf[4096];
  gssize got;
  char **head;

  while ((got = fl_stream_read (stream, buf, sizeof buf, error)) > 0)
    g_string_append_len (text, buf, got);
  if (got < 0)
    {
      g_string_free (text, TRUE);
      g_free (h);
      return NULL;
    }
  h->lines = g_strsplit (text->str, "\n", -1);
  g_string_free (text, TRUE);
  head = g_strsplit (h->lines[0] + strlen (MAGIC), " ", 2);
  if (g_strv_length (head) == 2 && strcmp (head[0], "-") != 0)
    {
      h->has_span = TRUE;
      h->span_first = g_ascii_strtoll (head[0], NULL, 10) * 1000000000;
      h->span_last = g_ascii_strtoll (head[1], NULL, 10) * 1000000000;
    }
  g_strfreev (head);
  h->pos = 1;
  return h;
}

static FlStatus
fw_next (gpointer handle, FlFlow *flow, GError **error)
{
  Handle *h = handle;
  char **f;

  h->next_calls++;
  if (h->lines[h->pos] == NULL || h->lines[h->pos][0] == '\0')
    return FL_STATUS_END;
  f = g_strsplit (h->lines[h->pos++], " ", 2);
  if (strcmp (f[0], "-") != 0)
    {
      flow->first = g_ascii_strtoll (f[0], NULL, 10) * 1000000000;
      fl_flow_set (flow, FL_FIELD_FIRST);
    }
  if (f[1] != NULL)
    {
      flow->srcport = (guint16) atoi (f[1]);
      fl_flow_set (flow, FL_FIELD_SRCPORT);
    }
  g_strfreev (f);
  return FL_STATUS_OK;
}

static void
fw_close (gpointer handle)
{
  Handle *h = handle;

  g_strfreev (h->lines);
  g_free (h);
}

static void
fw_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  Handle *h = handle;
  char buf[32];

  g_snprintf (buf, sizeof buf, "%u", h->next_calls);
  func ("next_calls", buf, user_data);
}

static gboolean
fw_time_range (gpointer handle, gint64 *first, gint64 *last)
{
  Handle *h = handle;

  if (!h->has_span)
    return FALSE;
  *first = h->span_first;
  *last = h->span_last;
  return TRUE;
}

static const FlReaderClass fw_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "fake-window",
  .description = "test: counts next() calls, header time span",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_MAGIC,
  .priority = 0,
  .probe = fw_probe,
  .open = fw_open,
  .next = fw_next,
  .close = fw_close,
  .info = fw_info,
  .time_range = fw_time_range,
};

FL_PLUGIN_DEFINE ("fake-window", "1.0", &fw_class);

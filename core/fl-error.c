/* SPDX-License-Identifier: MIT */
#include "fl-private.h"

#include <unistd.h>

/* Not G_DEFINE_QUARK: its lazy "if (q == 0) q = ..." is a plain read and
 * write from every thread that raises its first error at the same time: a
 * data race (harmless on x86, but undefined in C11, and ThreadSanitizer
 * reports it in a threaded host). Atomic load and store instead: racing
 * first callers store the same value (g_quark_from_static_string() is
 * thread-safe and idempotent). Not g_once_init_enter(): its store happens
 * inside libglib, which a host's TSan build does not instrument, so the
 * publication would be invisible to TSan. */
GQuark
fl_error_quark (void)
{
  static gint quark;
  GQuark q = (GQuark) g_atomic_int_get (&quark);

  if (G_UNLIKELY (q == 0))
    {
      q = g_quark_from_static_string ("fl-error-quark");
      g_atomic_int_set (&quark, (gint) q);
    }
  return q;
}

void
fl_set_error (GError **error, FlError code, guint64 offset,
              const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  if (error == NULL)
    return;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (offset == G_MAXUINT64)
    g_set_error_literal (error, FL_ERROR, code, msg);
  else
    g_set_error (error, FL_ERROR, code, "byte %" G_GUINT64_FORMAT ": %s",
                 offset, msg);
}

gboolean
_fl_is_privileged (void)
{
  return getuid () != geteuid () || getgid () != getegid ();
}

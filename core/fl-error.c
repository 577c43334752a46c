/* SPDX-License-Identifier: MIT */
#include "fl-private.h"

#include <unistd.h>

G_DEFINE_QUARK (fl-error-quark, fl_error)

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

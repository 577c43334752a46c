/* SPDX-License-Identifier: MIT */
/*
 * FlStream: a byte source (file descriptor, memory, or a wrapper plugin's
 * decoder) with a peek buffer.
 *
 * Probing must work on pipes and standard input, so nothing ever seeks: the
 * probe functions peek into the buffer and the format reader then consumes
 * the same bytes. Memory streams peek straight into the caller's buffer (no
 * copy); the others fill a growable buffer that never exceeds the largest
 * peek a reader asked for (capped at FL_STREAM_PEEK_MAX).
 *
 * A source failure (read error, a wrapper's CRC mismatch) that happens while
 * good bytes are still buffered is kept pending, so that every good byte is
 * delivered before the error: see fl_stream_peek() in flowread-plugin.h.
 */
#include "fl-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Smallest buffer and smallest read from a descriptor: big reads keep the
 * syscall count low on large files. */
#define FL_STREAM_CHUNK (256 * 1024)

typedef enum {
  FL_STREAM_FD,
  FL_STREAM_MEMORY,
  FL_STREAM_CUSTOM,
} FlStreamKind;

struct _FlStream {
  gint          ref_count;
  FlStreamKind  kind;
  char         *name;
  char         *path;       /* regular file opened by path, else NULL */
  guint         depth;

  int           fd;
  gboolean      close_fd;

  const guint8 *mem;        /* memory streams: the caller's bytes */
  gsize         mem_len;

  FlStreamFuncs funcs;      /* custom streams */
  gpointer      data;

  guint8       *buf;        /* buffered bytes are buf[pos, len) */
  gsize         cap, pos, len;

  guint64       offset;     /* bytes consumed so far */
  gint64        length;     /* -1 unknown */
  gboolean      eof;        /* the source said EOF */
  GError       *pending;    /* the source failed after buf[len) */
};

static FlStream *
stream_new (FlStreamKind kind, const char *name)
{
  FlStream *s = g_new0 (FlStream, 1);

  s->ref_count = 1;
  s->kind = kind;
  s->name = g_strdup (name != NULL ? name : "(stream)");
  s->fd = -1;
  s->length = -1;
  return s;
}

FlStream *
fl_stream_new_fd (int fd, const char *name, gboolean close_fd)
{
  FlStream *s = stream_new (FL_STREAM_FD, name);
  struct stat st;

  s->fd = fd;
  s->close_fd = close_fd;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    {
      off_t pos = lseek (fd, 0, SEEK_CUR);
      s->length = st.st_size - (pos > 0 ? pos : 0);
    }
  return s;
}

FlStream *
fl_stream_new_path (const char *path, GError **error)
{
  FlStream *s;
  struct stat st;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  if (strcmp (path, "-") == 0)
    return fl_stream_new_fd (STDIN_FILENO, "-", FALSE);

  do
    fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, FL_ERROR, FL_ERROR_IO, "%s: %s", path,
                   g_strerror (e));
      return NULL;
    }
  if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
    {
      close (fd);
      g_set_error (error, FL_ERROR, FL_ERROR_IO, "%s: %s", path,
                   g_strerror (EISDIR));
      return NULL;
    }
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  s = fl_stream_new_fd (fd, path, TRUE);
  if (S_ISREG (st.st_mode))
    s->path = g_strdup (path);
  return s;
}

FlStream *
fl_stream_new_memory (const void *data, gsize len, const char *name)
{
  FlStream *s = stream_new (FL_STREAM_MEMORY, name);

  s->mem = data;
  s->mem_len = len;
  s->length = (gint64) len;
  return s;
}

FlStream *
fl_stream_new_custom (const FlStreamFuncs *funcs, gpointer data,
                      const char *name)
{
  FlStream *s;

  g_return_val_if_fail (funcs != NULL && funcs->read != NULL, NULL);

  s = stream_new (FL_STREAM_CUSTOM, name);
  memset (&s->funcs, 0, sizeof s->funcs);
  memcpy (&s->funcs, funcs, MIN (funcs->struct_size, sizeof s->funcs));
  s->data = data;
  return s;
}

FlStream *
fl_stream_ref (FlStream *stream)
{
  g_return_val_if_fail (stream != NULL, NULL);
  g_atomic_int_inc (&stream->ref_count);
  return stream;
}

void
fl_stream_unref (FlStream *s)
{
  if (s == NULL || !g_atomic_int_dec_and_test (&s->ref_count))
    return;
  if (s->kind == FL_STREAM_FD && s->close_fd && s->fd >= 0)
    close (s->fd);
  if (s->kind == FL_STREAM_CUSTOM && s->funcs.close != NULL)
    s->funcs.close (s->data);
  g_clear_error (&s->pending);
  g_free (s->buf);
  g_free (s->name);
  g_free (s->path);
  g_free (s);
}

/* Reads from the source into buf; 0 = EOF, -1 = error. */
static gssize
source_read (FlStream *s, void *buf, gsize count, GError **error)
{
  if (s->kind == FL_STREAM_FD)
    {
      for (;;)
        {
          ssize_t n = read (s->fd, buf, count);
          if (n >= 0)
            return n;
          if (errno == EINTR)
            continue;
          {
            int e = errno;
            g_set_error (error, FL_ERROR, FL_ERROR_IO, "byte %" G_GUINT64_FORMAT
                         ": read error: %s", s->offset + (s->len - s->pos),
                         g_strerror (e));
          }
          return -1;
        }
    }
  else
    {
      GError *local = NULL;
      gssize n = s->funcs.read (s->data, buf, count, &local);
      if (n < 0)
        {
          if (local == NULL)
            g_set_error (&local, FL_ERROR, FL_ERROR_PLUGIN,
                         "stream read failed without an error");
          g_propagate_error (error, local);
          return -1;
        }
      g_clear_error (&local);
      return MIN (n, (gssize) count);
    }
}

/* Memory streams keep their "buffer" in the caller's memory. */
static inline gsize
mem_avail (FlStream *s)
{
  return s->mem_len - s->pos;
}

static const guint8 empty_byte[1];

const guint8 *
fl_stream_peek (FlStream *s, gsize count, gsize *avail, GError **error)
{
  gsize have;

  g_return_val_if_fail (s != NULL && avail != NULL, NULL);

  *avail = 0;
  if (count > FL_STREAM_PEEK_MAX)
    {
      g_set_error (error, FL_ERROR, FL_ERROR_LIMIT,
                   "byte %" G_GUINT64_FORMAT ": peek of %" G_GSIZE_FORMAT
                   " bytes exceeds the %d byte limit", s->offset, count,
                   FL_STREAM_PEEK_MAX);
      return NULL;
    }

  if (s->kind == FL_STREAM_MEMORY)
    {
      *avail = MIN (count, mem_avail (s));
      return s->mem_len > 0 ? s->mem + s->pos : empty_byte;
    }

  have = s->len - s->pos;
  if (have < count && !s->eof && s->pending == NULL)
    {
      /* Compact, grow, then fill as far as the buffer goes. */
      if (s->pos > 0)
        {
          memmove (s->buf, s->buf + s->pos, have);
          s->len = have;
          s->pos = 0;
        }
      if (s->cap < count)
        {
          gsize ncap = MAX (s->cap, FL_STREAM_CHUNK);
          while (ncap < count)
            ncap *= 2;
          s->buf = g_realloc (s->buf, ncap);
          s->cap = ncap;
        }
      while (s->len < count)
        {
          GError *local = NULL;
          gssize n = source_read (s, s->buf + s->len, s->cap - s->len, &local);
          if (n < 0)
            {
              s->pending = local;
              break;
            }
          if (n == 0)
            {
              s->eof = TRUE;
              break;
            }
          s->len += (gsize) n;
        }
      have = s->len - s->pos;
    }

  if (have == 0 && s->pending != NULL)
    {
      g_propagate_error (error, g_error_copy (s->pending));
      return NULL;
    }
  *avail = MIN (count, have);
  return s->buf != NULL ? s->buf + s->pos : empty_byte;
}

gboolean
fl_stream_failed (FlStream *s, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  if (s->pending == NULL)
    return FALSE;
  g_propagate_error (error, g_error_copy (s->pending));
  return TRUE;
}

void
fl_stream_consume (FlStream *s, gsize count)
{
  g_return_if_fail (s != NULL);

  if (s->kind == FL_STREAM_MEMORY)
    {
      g_return_if_fail (count <= mem_avail (s));
    }
  else
    {
      g_return_if_fail (count <= s->len - s->pos);
    }
  s->pos += count;
  s->offset += count;
}

gssize
fl_stream_read (FlStream *s, void *buf, gsize count, GError **error)
{
  gsize done = 0;
  guint8 *out = buf;

  g_return_val_if_fail (s != NULL, -1);

  if (s->kind == FL_STREAM_MEMORY)
    {
      gsize n = MIN (count, mem_avail (s));
      if (n > 0)
        memcpy (out, s->mem + s->pos, n);
      s->pos += n;
      s->offset += n;
      return (gssize) n;
    }

  /* Buffered bytes first. */
  if (s->len > s->pos)
    {
      gsize n = MIN (count, s->len - s->pos);
      memcpy (out, s->buf + s->pos, n);
      s->pos += n;
      s->offset += n;
      done = n;
    }
  /* Then straight from the source, without copying through the buffer. */
  while (done < count && !s->eof && s->pending == NULL)
    {
      GError *local = NULL;
      gssize n = source_read (s, out + done, count - done, &local);
      if (n < 0)
        {
          s->pending = local;
          break;
        }
      if (n == 0)
        {
          s->eof = TRUE;
          break;
        }
      done += (gsize) n;
      s->offset += (guint64) n;
    }
  if (done == 0 && s->pending != NULL)
    {
      g_propagate_error (error, g_error_copy (s->pending));
      return -1;
    }
  return (gssize) done;
}

gssize
fl_stream_skip (FlStream *s, gsize count, GError **error)
{
  gsize done = 0;

  while (done < count)
    {
      gsize avail;
      const guint8 *p = fl_stream_peek (s, MIN (count - done, FL_STREAM_CHUNK),
                                        &avail, error);
      if (p == NULL)
        return done > 0 ? (gssize) done : -1;
      if (avail == 0)
        break;
      fl_stream_consume (s, avail);
      done += avail;
    }
  return (gssize) done;
}

guint64
fl_stream_tell (FlStream *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->offset;
}

gint64
fl_stream_get_length (FlStream *s)
{
  g_return_val_if_fail (s != NULL, -1);
  return s->length;
}

const char *
fl_stream_get_name (FlStream *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->name;
}

const char *
fl_stream_get_path (FlStream *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->depth == 0 ? s->path : NULL;
}

int
fl_stream_get_fd (FlStream *s)
{
  g_return_val_if_fail (s != NULL, -1);
  return s->depth == 0 && s->path != NULL ? s->fd : -1;
}

guint
fl_stream_get_depth (FlStream *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->depth;
}

void
_fl_stream_set_depth (FlStream *s, guint depth)
{
  s->depth = depth;
}

/* For probes: up to count bytes, never an error (a failing source just
 * gives fewer bytes). */
const guint8 *
_fl_stream_peek_quiet (FlStream *s, gsize count, gsize *avail)
{
  const guint8 *p = fl_stream_peek (s, count, avail, NULL);

  if (p == NULL)
    {
      *avail = 0;
      return empty_byte;
    }
  return p;
}

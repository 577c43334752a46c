/* SPDX-License-Identifier: MIT */
/*
 * fl-format.c: the tables and the slow paths of fl-format.h.
 */
#include "fl-format.h"

#include <pthread.h>

/* Built by the compiler: no initialisation, shared read-only pages. */
#define D4(a, b, c, d) \
  (0x30303030u + ((a) | (b) << 8 | (c) << 16 | (guint32) (d) << 24)),
#define D3(a, b, c) D4 (a, b, c, 0) D4 (a, b, c, 1) D4 (a, b, c, 2) \
  D4 (a, b, c, 3) D4 (a, b, c, 4) D4 (a, b, c, 5) D4 (a, b, c, 6) \
  D4 (a, b, c, 7) D4 (a, b, c, 8) D4 (a, b, c, 9)
#define D2(a, b) D3 (a, b, 0) D3 (a, b, 1) D3 (a, b, 2) D3 (a, b, 3) \
  D3 (a, b, 4) D3 (a, b, 5) D3 (a, b, 6) D3 (a, b, 7) D3 (a, b, 8) D3 (a, b, 9)
#define D1(a) D2 (a, 0) D2 (a, 1) D2 (a, 2) D2 (a, 3) D2 (a, 4) D2 (a, 5) \
  D2 (a, 6) D2 (a, 7) D2 (a, 8) D2 (a, 9)
const guint32 _fl_digits4[10000] = {
  D1 (0) D1 (1) D1 (2) D1 (3) D1 (4) D1 (5) D1 (6) D1 (7) D1 (8) D1 (9)
};

/* 0..255 in 16 rows of 16 */
#define ROW(m, r) m (16 * r + 0) m (16 * r + 1) m (16 * r + 2) m (16 * r + 3) \
  m (16 * r + 4) m (16 * r + 5) m (16 * r + 6) m (16 * r + 7) m (16 * r + 8) \
  m (16 * r + 9) m (16 * r + 10) m (16 * r + 11) m (16 * r + 12) \
  m (16 * r + 13) m (16 * r + 14) m (16 * r + 15)
#define ALL(m) ROW (m, 0) ROW (m, 1) ROW (m, 2) ROW (m, 3) ROW (m, 4) \
  ROW (m, 5) ROW (m, 6) ROW (m, 7) ROW (m, 8) ROW (m, 9) ROW (m, 10) \
  ROW (m, 11) ROW (m, 12) ROW (m, 13) ROW (m, 14) ROW (m, 15)

#define DG(v) ((guint32) '0' + (v))
#define OCTET(v) \
  ((v) < 10 ? DG (v) | (guint32) '.' << 8 : \
   (v) < 100 ? DG ((v) / 10) | DG ((v) % 10) << 8 | (guint32) '.' << 16 : \
   DG ((v) / 100) | DG ((v) / 10 % 10) << 8 | DG ((v) % 10) << 16 | (guint32) '.' << 24),
#define OCTET_LEN(v) ((v) < 10 ? 2 : (v) < 100 ? 3 : 4),
const guint32 _fl_octet_text[256] = { ALL (OCTET) };
const guint8 _fl_octet_len[256] = { ALL (OCTET_LEN) };

#define HX(n) ((n) < 10 ? '0' + (n) : 'a' + (n) - 10)
#define HEX2(v) (guint16) (HX ((v) >> 4) | HX ((v) & 15) << 8),
const guint16 _fl_hex2[256] = { ALL (HEX2) };

guint8 _fl_zero_run[256];

/* Built once, maybe by several threads at once: pthread_once(), which
 * ThreadSanitizer sees (the store of g_once_init_leave() is inside the
 * uninstrumented libglib, so TSan reported the table reads as races). */
static void
format_build (void)
{
  for (guint v = 0; v < 256; v++)
    {
      guint best = 0, best_len = 0;

      for (guint i = 0; i < 8; i++)
        {
          guint n = 0;

          while (i + n < 8 && (v & (1u << (i + n))))
            n++;
          if (n > best_len) /* strictly longer: the leftmost wins */
            {
              best = i;
              best_len = n;
            }
        }
      _fl_zero_run[v] = best_len >= 2 ? (guint8) (best << 4 | best_len) : 0;
    }
}

void
_fl_format_init (void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;

  pthread_once (&once, format_build);
}

char *
_fl_put_u64_slow (char *p, guint64 v)
{
  char tmp[20], *q = tmp + sizeof tmp;

  do
    *--q = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  memcpy (p, q, (gsize) (tmp + sizeof tmp - q));
  return p + (tmp + sizeof tmp - q);
}

static char *
put_hex16 (char *p, guint v)
{
  static const char hex[] = "0123456789abcdef";

  if (v >= 0x1000)
    *p++ = hex[v >> 12];
  if (v >= 0x100)
    *p++ = hex[(v >> 8) & 0xf];
  if (v >= 0x10)
    *p++ = hex[(v >> 4) & 0xf];
  *p++ = hex[v & 0xf];
  return p;
}

/* IPv6 in the form inet_ntop() gives, the RFC 5952 one: lower case, no
 * leading zeros, the longest run of two or more zero groups (the leftmost
 * of equals) as "::", and the "::a.b.c.d" / "::ffff:a.b.c.d" forms for
 * IPv4-compatible and -mapped addresses. By hand because glibc's
 * inet_ntop() runs sprintf() per group. The plain version of
 * _fl_put_ipv6(), which uses it for the IPv4 forms. */
char *
_fl_put_ipv6_slow (char *p, const guint8 *a)
{
  guint words[8];
  int best = -1, best_len = 0, cur = -1, cur_len = 0;

  for (int i = 0; i < 8; i++)
    {
      words[i] = ((guint) a[2 * i] << 8) | a[2 * i + 1];
      if (words[i] == 0)
        {
          if (cur < 0)
            {
              cur = i;
              cur_len = 0;
            }
          cur_len++;
          if (cur_len > best_len)
            {
              best = cur;
              best_len = cur_len;
            }
        }
      else
        cur = -1;
    }
  if (best_len < 2)
    best = -1;

  for (int i = 0; i < 8; i++)
    {
      if (best >= 0 && i >= best && i < best + best_len)
        {
          if (i == best)
            *p++ = ':';
          continue;
        }
      if (i != 0)
        *p++ = ':';
      if (i == 6 && best == 0 &&
          (best_len == 6 || (best_len == 5 && words[5] == 0xffff)))
        return _fl_put_ipv4 (p, a + 12);
      p = put_hex16 (p, words[i]);
    }
  if (best >= 0 && best + best_len == 8)
    *p++ = ':';
  return p;
}

/* SPDX-License-Identifier: MIT */
/*
 * fl-format.h: INTERNAL API (not installed, not stable): number and address
 * formatting for fl-flow.c (fl_addr_to_string()) and the CLI's writers
 * (fl-writer.c), inline so that the writers' unrolled per-field code has no
 * calls in it.
 *
 * Why it looks like this: `flowread -o csv` must stay within 2x of
 * `flowread -c` (issue 5), and reading a flowd record costs only ~300
 * instructions. A digit loop costs more than that per line, and its
 * data-dependent branches mispredict on almost every field (numbers,
 * addresses and zero runs vary in length), so every formatter here is
 * table loads and shifts with no branch on the data: it stores a fixed-size
 * word (up to 8 bytes past the returned end, which callers must have room
 * for) and advances by the real length.
 *
 * Little-endian hosts take these paths; others fall back to the plain loops
 * in fl-format.c. tests/cli compares the results with printf() and
 * inet_ntop().
 */
#pragma once

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <flowread/flowread.h>

G_BEGIN_DECLS

/* "0000".."9999", most significant digit in the lowest byte. */
extern const guint32 _fl_digits4[10000];
/* An IPv4 octet's digits followed by '.', and that length (2..4). */
extern const guint32 _fl_octet_text[256];
extern const guint8  _fl_octet_len[256];
/* "00".."ff", high nibble in the lowest byte. */
extern const guint16 _fl_hex2[256];
/* For the set of zero groups of an IPv6 address (bit i: group i is 0), the
 * leftmost longest run of two or more, as start << 4 | length, or 0. Filled
 * by _fl_format_init(). */
extern guint8 _fl_zero_run[256];

/* Call before the first address is formatted (idempotent, thread-safe). */
void  _fl_format_init (void);
char *_fl_put_u64_slow (char *p, guint64 v);
char *_fl_put_ipv6_slow (char *p, const guint8 *a);

#define FL_ASCII_ZEROS G_GUINT64_CONSTANT (0x3030303030303030)

/* The 8 digits of v < 10^8 with leading zeros, first digit lowest. */
static inline guint64
_fl_digits8 (guint32 v)
{
  return _fl_digits4[v / 10000] | (guint64) _fl_digits4[v % 10000] << 32;
}

/* Unsigned decimal at p; writes 8 bytes, returns the end of the number. */
static inline char *
_fl_put_u64 (char *p, guint64 v)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  if (G_LIKELY (v < 100000000))
    {
      guint64 d = _fl_digits8 ((guint32) v);
      /* leading zeros are the low '0' bytes; keep at least one digit */
      int lead = __builtin_ctzll ((d ^ FL_ASCII_ZEROS) | G_GUINT64_CONSTANT (1) << 56) / 8;

      d >>= 8 * lead;
      memcpy (p, &d, 8);
      return p + 8 - lead;
    }
#endif
  return _fl_put_u64_slow (p, v);
}

/* A byte's decimal (prot, flags, masks...): one table load. Writes 4. */
static inline char *
_fl_put_u8 (char *p, guint8 v)
{
  memcpy (p, &_fl_octet_text[v], 4);
  return p + _fl_octet_len[v] - 1; /* without the octet's '.' */
}

/* Exactly nine digits of v < 10^9 (a time's fraction) at p. */
static inline void
_fl_put_nine_digits (char *p, guint32 v)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  guint64 d = _fl_digits8 (v % 100000000);

  p[0] = (char) ('0' + v / 100000000);
  memcpy (p + 1, &d, 8);
#else
  for (int i = 8; i >= 0; i--, v /= 10)
    p[i] = (char) ('0' + v % 10);
#endif
}

/* "a.b.c.d"; writes up to 16 bytes. */
static inline char *
_fl_put_ipv4 (char *p, const guint8 *a)
{
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++)
    {
      memcpy (p, &_fl_octet_text[a[i]], 4);
      p += _fl_octet_len[a[i]];
    }
  return p - 1; /* the last octet's '.' */
}

/* RFC 5952, as inet_ntop() prints it (see _fl_put_ipv6_slow()). Each group
 * is two table loads with its leading zeros shifted out, stored with its
 * ':' in one 8-byte store; the pointer then advances by the real length,
 * or not at all inside the zero run. Writes up to 47 bytes. The
 * IPv4-compatible and -mapped forms go the slow way. */
static inline char *
_fl_put_ipv6 (char *p, const guint8 *a)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  guint zeros = 0, run, run_start, run_len;

#ifdef __SSE2__
  {
    __m128i z = _mm_cmpeq_epi16 (_mm_loadu_si128 ((const __m128i *) (const void *) a),
                                 _mm_setzero_si128 ());

    zeros = (guint) _mm_movemask_epi8 (z) & 0x5555; /* one bit per group */
    zeros = (zeros | zeros >> 1) & 0x3333;
    zeros = (zeros | zeros >> 2) & 0x0f0f;
    zeros = (zeros | zeros >> 4) & 0x00ff;
  }
#else
  for (int i = 0; i < 8; i++)
    zeros |= (guint) ((a[2 * i] | a[2 * i + 1]) == 0) << i;
#endif
  run = _fl_zero_run[zeros];
  run_start = run >> 4;
  run_len = run & 15;
  if (G_UNLIKELY (run_start == 0 &&
                  (run_len == 6 || (run_len == 5 && a[10] == 0xff && a[11] == 0xff))))
    return _fl_put_ipv6_slow (p, a);

#pragma GCC unroll 8
  for (guint i = 0; i < 8; i++)
    {
      guint w = (guint) a[2 * i] << 8 | a[2 * i + 1];
      guint64 text = _fl_hex2[a[2 * i]] | (guint64) _fl_hex2[a[2 * i + 1]] << 16;
      /* leading zero digits (at most 3: one digit stays) */
      guint lead = (guint) __builtin_clz (w << 16 | 0x80000) / 4;
      gsize adv = 5 - lead;

      text = text >> (8 * lead) | (guint64) ':' << (8 * (4 - lead));
      if (i - run_start < run_len) /* inside the run (unsigned compare) */
        {
          /* its first group becomes the second ':' of "::", or both */
          adv = i == run_start ? 1 + (i == 0) : 0;
          text = 0x3a3a;
        }
      memcpy (p, &text, 8);
      p += adv;
    }
  /* every group left its ':': drop the last unless the run ends there */
  return run_start + run_len == 8 ? p : p - 1;
#else
  return _fl_put_ipv6_slow (p, a);
#endif
}

/* fl_addr_to_string() without the NUL; writes up to FL_ADDR_STRLEN bytes.
 * _fl_format_init() first. */
static inline char *
_fl_put_addr (char *p, const FlAddr *a)
{
  if (G_LIKELY (a->family == 4))
    return _fl_put_ipv4 (p, a->addr);
  if (a->family == 6)
    return _fl_put_ipv6 (p, a->addr);
  return p; /* family 0: "" */
}

G_END_DECLS

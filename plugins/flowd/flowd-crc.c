/* SPDX-License-Identifier: MIT */
/*
 * flowd-crc.c: flowd's record CRC32 (reflected polynomial 0xEDB88320,
 * register starting at 0, no final XOR: zlib's crc32() pre- and
 * post-inverts, so the same value is crc32 (0xFFFFFFFF, p, len) ^
 * 0xFFFFFFFF). Debian's zlib 1.2.13 runs at ~0.4 GB/s and was 60% of the
 * read time, hence PCLMULQDQ folding where the CPU has it, else
 * slice-by-16 tables. tests/flowd/test-flowd-crc.c checks both against zlib.
 */
#include "flowd-crc.h"

#include <flowread/flowread-plugin.h>

#include <pthread.h>

#ifdef FLOWD_HAVE_CLMUL
#include <immintrin.h>
#endif

/* CRC32 slice-by-16 tables: crc_table[k][b] is the CRC register after byte
 * b followed by k zero bytes. Built once (probe() may run on several
 * threads at once, hence pthread_once(): unlike g_once_init_*(), whose
 * store is inside the uninstrumented libglib, ThreadSanitizer sees it). */
static guint32 crc_table[16][256];
#ifdef FLOWD_HAVE_CLMUL
static gboolean crc_use_clmul;  /* set by crc_build() */
#endif

static void
crc_build (void)
{
  for (guint i = 0; i < 256; i++)
    {
      guint32 c = i;

      for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
      crc_table[0][i] = c;
    }
  for (guint i = 0; i < 256; i++)
    for (guint t = 1; t < 16; t++)
      crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
                        crc_table[0][crc_table[t - 1][i] & 0xff];
#ifdef FLOWD_HAVE_CLMUL
  __builtin_cpu_init ();
  crc_use_clmul = __builtin_cpu_supports ("pclmul") &&
                  __builtin_cpu_supports ("sse4.1");
#endif
}

void
flowd_crc_init (void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;

  pthread_once (&once, crc_build);
}

/* flowd's CRC with tables: register starts at 0, no final XOR. */
guint32
flowd_crc_table (const guint8 *p, gsize len)
{
  guint32 crc = 0;

  while (len >= 16)
    {
      guint32 a = fl_read_u32_le (p) ^ crc;
      guint32 b = fl_read_u32_le (p + 4);
      guint32 c = fl_read_u32_le (p + 8);
      guint32 d = fl_read_u32_le (p + 12);

      crc = crc_table[15][a & 0xff] ^ crc_table[14][(a >> 8) & 0xff] ^
            crc_table[13][(a >> 16) & 0xff] ^ crc_table[12][a >> 24] ^
            crc_table[11][b & 0xff] ^ crc_table[10][(b >> 8) & 0xff] ^
            crc_table[9][(b >> 16) & 0xff] ^ crc_table[8][b >> 24] ^
            crc_table[7][c & 0xff] ^ crc_table[6][(c >> 8) & 0xff] ^
            crc_table[5][(c >> 16) & 0xff] ^ crc_table[4][c >> 24] ^
            crc_table[3][d & 0xff] ^ crc_table[2][(d >> 8) & 0xff] ^
            crc_table[1][(d >> 16) & 0xff] ^ crc_table[0][d >> 24];
      p += 16;
      len -= 16;
    }
  while (len-- > 0)
    crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#ifdef FLOWD_HAVE_CLMUL
/* pshufb masks: entry r (loaded from clmul_shift + r) moves input bytes
 * 0..r-1 to lanes 16-r..15 and zeroes lanes 0..15-r (0x80). */
static const guint8 clmul_shift[32] = {
  0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
  0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

/* The same CRC by carry-less multiplication, len >= 16: the folding and
 * Barrett reduction of Intel's "Fast CRC Computation Using PCLMULQDQ"
 * with the constants of Linux's crc32-pclmul_asm.S (same reflected
 * polynomial; Linux's crc32_le also has no pre/post inversion). The
 * slice-by-16 tables cost ~2 instructions per byte and were 41% of the
 * instructions of `flowread -c` on flowd logs; this is ~0.4.
 * Records are rarely a multiple of 16 bytes: since the register starts at
 * 0, leading zero bytes do not change the CRC, so the first block is the
 * first len % 16 bytes behind zeros, and every later block is whole. */
__attribute__ ((target ("pclmul,ssse3,sse4.1"))) guint32
flowd_crc_clmul (const guint8 *p, gsize len)
{
  /* x^(128+32) and x^(128-32) mod P, bit-reflected (fold by 16 bytes) */
  const __m128i k_fold = _mm_set_epi64x (0x0ccaa009eLL, 0x1751997d0LL);
  /* x^64 mod P, reflected (64 -> 32 bit fold) */
  const __m128i k_64 = _mm_set_epi64x (0, 0x163cd6124LL);
  /* Barrett: mu (high) and P' (low), reflected */
  const __m128i k_bar = _mm_set_epi64x (0x1f7011641LL, 0x1db710641LL);
  const __m128i mask32 = _mm_set_epi32 (0, 0, 0, -1);
  gsize head = len & 15;
  __m128i x, t;

  x = _mm_loadu_si128 ((const __m128i *) p);
  if (head != 0)
    {
      x = _mm_shuffle_epi8 (x, _mm_loadu_si128 ((const __m128i *)
                                                (clmul_shift + head)));
      p += head;
      len -= head;
    }
  else
    {
      p += 16;
      len -= 16;
    }
  for (; len >= 16; p += 16, len -= 16)
    {
      t = _mm_clmulepi64_si128 (x, k_fold, 0x00);
      x = _mm_clmulepi64_si128 (x, k_fold, 0x11);
      x = _mm_xor_si128 (_mm_xor_si128 (x, t),
                         _mm_loadu_si128 ((const __m128i *) p));
    }
  /* 128 -> 64 bits (appending 32 zero bits) */
  t = _mm_clmulepi64_si128 (k_fold, x, 0x01);
  x = _mm_xor_si128 (_mm_srli_si128 (x, 8), t);
  /* 64 -> 32 */
  t = _mm_srli_si128 (x, 4);
  x = _mm_clmulepi64_si128 (_mm_and_si128 (x, mask32), k_64, 0x00);
  x = _mm_xor_si128 (x, t);
  /* Barrett reduction */
  t = x;
  x = _mm_clmulepi64_si128 (_mm_and_si128 (x, mask32), k_bar, 0x10);
  x = _mm_clmulepi64_si128 (_mm_and_si128 (x, mask32), k_bar, 0x00);
  x = _mm_xor_si128 (x, t);
  return (guint32) _mm_extract_epi32 (x, 1);
}
#endif

gboolean
flowd_crc_has_clmul (void)
{
#ifdef FLOWD_HAVE_CLMUL
  return crc_use_clmul;
#else
  return FALSE;
#endif
}

guint32
flowd_crc (const guint8 *p, gsize len)
{
#ifdef FLOWD_HAVE_CLMUL
  if (G_LIKELY (crc_use_clmul && len >= 16))
    return flowd_crc_clmul (p, len);
#endif
  return flowd_crc_table (p, len);
}


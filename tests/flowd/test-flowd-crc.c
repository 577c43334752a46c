/* SPDX-License-Identifier: MIT */
/*
 * test-flowd-crc.c: flowd's record CRC32 (plugins/flowd/flowd-crc.c)
 * against zlib's crc32(): flowd's register starts at 0 with no final XOR,
 * which is crc32 (0xFFFFFFFF, p, len) ^ 0xFFFFFFFF in zlib's terms. Random
 * buffers of every length from 0 to 600 and some long ones, at every
 * alignment 0..15, through the table path and (where the CPU has it) the
 * PCLMULQDQ path, and through flowd_crc() that the plugin calls.
 */
#include <string.h>
#include <zlib.h>
#include <glib.h>

#include "flowd-crc.h"

static guint32
zlib_flowd_crc (const guint8 *p, gsize len)
{
  return (guint32) crc32 (0xFFFFFFFFul, p, (uInt) len) ^ 0xFFFFFFFFu;
}

static GByteArray *
random_bytes (gsize len, guint32 seed)
{
  GByteArray *a = g_byte_array_sized_new ((guint) len);
  GRand *r = g_rand_new_with_seed (seed);

  g_byte_array_set_size (a, (guint) len);
  for (gsize i = 0; i < len; i++)
    a->data[i] = (guint8) g_rand_int (r);
  g_rand_free (r);
  return a;
}

/* Lengths 0..600 (every record size flowd writes, every len % 16) and
 * long buffers; each at alignments 0..15 of a fresh random buffer. */
static const gsize long_lens[] = { 1024, 4095, 4096, 4097, 65536 + 13, 1 << 20 };

static void
check_path (guint32 (*crc) (const guint8 *, gsize), gsize min_len)
{
  g_autoptr (GByteArray) buf = random_bytes ((1 << 20) + 64, 1);
  guint n = 0;

  for (gsize len = min_len; len <= 600 + G_N_ELEMENTS (long_lens); len++)
    {
      gsize l = len <= 600 ? len : long_lens[len - 601];

      for (gsize align = 0; align < 16; align++)
        {
          const guint8 *p = buf->data + align + (len * 7) % 32;

          g_assert_cmphex (crc (p, l), ==, zlib_flowd_crc (p, l));
          n++;
        }
    }
  /* zeros and ones: leading zero bytes leave a 0-start CRC unchanged,
   * which the PCLMUL path relies on */
  {
    guint8 z[256] = { 0 }, ones[256];

    memset (ones, 0xff, sizeof ones);
    for (gsize l = min_len; l <= sizeof z; l++)
      {
        g_assert_cmphex (crc (z, l), ==, zlib_flowd_crc (z, l));
        g_assert_cmphex (crc (z, l), ==, 0);
        g_assert_cmphex (crc (ones, l), ==, zlib_flowd_crc (ones, l));
      }
  }
  g_test_message ("%u buffers checked", n);
}

static void
test_table (void)
{
  check_path (flowd_crc_table, 0);
}

static void
test_clmul (void)
{
#ifdef FLOWD_HAVE_CLMUL
  if (!flowd_crc_has_clmul ())
    {
      g_test_skip ("this CPU has no PCLMULQDQ/SSE4.1: only the table path runs");
      return;
    }
  check_path (flowd_crc_clmul, 16);
#else
  g_test_skip ("not x86-64: there is no PCLMULQDQ path");
#endif
}

static void
test_dispatch (void)
{
  check_path (flowd_crc, 0);
}

/* A known value: flowd's CRC of "123456789", CRC-32's check input (whose
 * zlib crc32() is 0xCBF43926: flowd's lacks the pre/post inversion). */
static void
test_known (void)
{
  const guint8 *s = (const guint8 *) "123456789";

  g_assert_cmphex ((guint32) crc32 (0, s, 9), ==, 0xCBF43926u);
  g_assert_cmphex (zlib_flowd_crc (s, 9), ==, 0x2DFD2D88u);
  g_assert_cmphex (flowd_crc (s, 9), ==, 0x2DFD2D88u);
  g_assert_cmphex (flowd_crc_table (s, 9), ==, 0x2DFD2D88u);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  flowd_crc_init ();
  g_test_add_func ("/flowd-crc/known", test_known);
  g_test_add_func ("/flowd-crc/table", test_table);
  g_test_add_func ("/flowd-crc/clmul", test_clmul);
  g_test_add_func ("/flowd-crc/dispatch", test_dispatch);
  return g_test_run ();
}

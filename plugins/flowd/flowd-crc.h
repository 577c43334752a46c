/* SPDX-License-Identifier: MIT */
/* flowd-crc.h: flowd's record CRC32 (see flowd-crc.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#if defined(__x86_64__) && defined(__GNUC__)
#define FLOWD_HAVE_CLMUL 1
#endif

/* Builds the tables and picks the code path; once, thread-safe. */
void     flowd_crc_init      (void);
/* flowd's CRC of p[0, len): the fastest path the CPU has. */
guint32  flowd_crc           (const guint8 *p, gsize len);

/* The two paths, for the tests: tables (any len), carry-less
 * multiplication (len >= 16, only when flowd_crc_has_clmul()). */
guint32  flowd_crc_table     (const guint8 *p, gsize len);
gboolean flowd_crc_has_clmul (void);
#ifdef FLOWD_HAVE_CLMUL
guint32  flowd_crc_clmul     (const guint8 *p, gsize len);
#endif

G_END_DECLS

/* SPDX-License-Identifier: MIT */
/*
 * fl-inflate.h: the one streaming inflater of the flowtools plugin (zlib
 * body) and the gzip wrapper (RFC 1952 members).
 *
 * Built on Intel's ISA-L (isal_inflate) when meson found it (-Dinflate=auto
 * or isal), else on zlib. Both give the same bytes and the same outcome at
 * the same input offset for every valid stream, every cut stream, a damaged
 * trailer (CRC32/Adler-32, ISIZE) and bytes after the end:
 *  - input is consumed like zlib consumes it: a stream that ends stops
 *    in_used right after its trailer (the ISA-L backend gives back what its
 *    bit buffer read ahead), and a trailer check that fails has consumed
 *    exactly the 4 bytes of the field that failed;
 *  - every byte decoded before an error is handed out before the error.
 * Where they may differ: corrupt deflate data (both give BAD_DATA, but ISA-L
 * accepts incomplete Huffman codes that zlib rejects at the block header, so
 * it may hand out more, wrong, bytes first and fail later, at the latest at
 * the trailer check), and the message text of such an error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* For the plugins' description and version string (`flowread
 * --list-plugins` shows the version: 1.0+isal, 1.0+zlib). */
#ifdef FL_INFLATE_ISAL
#define FL_INFLATE_BACKEND "ISA-L"
#define FL_INFLATE_TAG "isal"
#else
#define FL_INFLATE_BACKEND "zlib"
#define FL_INFLATE_TAG "zlib"
#endif

typedef enum {
  FL_INFLATE_WRAP_ZLIB,  /* RFC 1950: 2-byte header, Adler-32 trailer */
  FL_INFLATE_WRAP_GZIP,  /* RFC 1952: one member; CRC32 + ISIZE trailer */
} FlInflateWrap;

typedef enum {
  FL_INFLATE_OK,          /* progress (or none possible): call again */
  FL_INFLATE_STREAM_END,  /* trailer verified; in_used ends right after it */
  FL_INFLATE_BAD_DATA,    /* bad header or deflate data: see message */
  FL_INFLATE_BAD_CHECK,   /* CRC32/Adler-32 of the data differs from the trailer */
  FL_INFLATE_BAD_LENGTH,  /* gzip ISIZE differs from the decoded size */
  FL_INFLATE_NO_MEMORY,
} FlInflateStatus;

typedef struct _FlInflate FlInflate;

/* NULL when the decoder cannot be set up (out of memory). */
FlInflate      *fl_inflate_new       (FlInflateWrap wrap);
/* Starts a new stream (a new gzip member, a new flow-tools part). */
void            fl_inflate_reset     (FlInflate *z);
void            fl_inflate_free      (FlInflate *z);

/* Decodes from in[0, in_len) into out[0, out_len). *in_used and *out_made
 * say how much was taken and written, also on an error. Once it returned
 * anything but OK, only reset() or free() may follow. */
FlInflateStatus fl_inflate_run       (FlInflate *z,
                                      const guint8 *in, gsize in_len,
                                      gsize *in_used,
                                      guint8 *out, gsize out_len,
                                      gsize *out_made);

/* Bytes decoded since the last new()/reset(). */
guint64         fl_inflate_get_total_out (const FlInflate *z);
/* What went wrong (zlib's own words for the zlib backend); never NULL. */
const char     *fl_inflate_get_message   (const FlInflate *z);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlInflate, fl_inflate_free)

G_END_DECLS

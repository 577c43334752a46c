/* SPDX-License-Identifier: MIT */
/*
 * flowtools.c: native reader for flow-tools files (flow-capture, flow-cat,
 * flow-gen, flow-import ...), without running flow-export.
 *
 * Layout (docs/formats/flow-tools.md): a header (stream version 1: fixed
 * 360 bytes; stream version 3: 8-byte preamble + TLVs), then fixed-size
 * records of one export version, raw or as ONE zlib stream.
 *
 * Decisions a user may want to know about:
 * - Fields are decoded at their real width in the file's byte order, so
 *   big-endian v8.12/v1005 files written by flow-tools on x86 give the values
 *   that are really stored (flow-export gets them wrong, §4.6).
 * - The fields reported present per version are flow-tools' "xfield" masks
 *   (e.g. 8.10 stores input/output but flow-tools never shows them: absent).
 * - Files joined with plain `cat`: at every record boundary of a raw body,
 *   and right after the end of a zlib stream, a plausible second header
 *   (CF 10, byte order 1/2, stream version 1/3, a header that parses with a
 *   known export version) starts a new part. Other bytes after the zlib
 *   stream end are an error (CORRUPT) naming them; a partial final record or
 *   an unfinished zlib stream ends with TRUNCATED after every whole record.
 * - Probe: 100 when magic and header verify; 50 when the file starts with
 *   the CF 10 magic but the header is broken, so that open() runs and the
 *   user gets its precise error instead of "unknown format".
 * - FLOW_COUNT and the flags are metadata only; the body is read to EOF.
 */
#include <flowread/flowread-plugin.h>

#include <stddef.h>
#include <string.h>

#include "fl-inflate.h"

#define FT_MAGIC1 0xCF
#define FT_MAGIC2 0x10
#define FT_HEADER_MIN 8
#define FT_HEADER_MAX (16u * 1024 * 1024)  /* cap on a v3 header length */
#define FT_V1_HEADER_LEN 360
#define FT_PLAIN_CHUNK (256 * 1024)       /* raw body peek size */
#define FT_ZIN_CHUNK (64 * 1024)           /* compressed input peek size */
#define FT_ZOUT_SIZE (256 * 1024)          /* inflate output buffer */

#define FT_FLAG_DONE 0x01
#define FT_FLAG_COMPRESS 0x02
#define FT_FLAG_MULT_PDU 0x04
#define FT_FLAG_STREAMING 0x08
#define FT_FLAG_XLATE 0x10
#define FT_FLAG_PRELOADED 0x20

enum {
  FT_TLV_NULL = 0, FT_TLV_VENDOR, FT_TLV_EX_VER, FT_TLV_AGG_VER,
  FT_TLV_AGG_METHOD, FT_TLV_EXPORTER_IP, FT_TLV_CAP_START, FT_TLV_CAP_END,
  FT_TLV_HEADER_FLAGS, FT_TLV_ROT_SCHEDULE, FT_TLV_FLOW_COUNT,
  FT_TLV_FLOW_LOST, FT_TLV_FLOW_MISORDERED, FT_TLV_PKT_CORRUPT,
  FT_TLV_SEQ_RESET, FT_TLV_CAP_HOSTNAME, FT_TLV_COMMENTS, FT_TLV_IF_NAME,
  FT_TLV_IF_ALIAS, FT_TLV_INTERRUPT,
};

/* ------------------------------------------------------------ layouts */

#define B(f) FL_FIELD_BIT (FL_FIELD_##f)

/* How a stored field is copied into FlFlow (file width -> struct width). */
typedef enum {
  FT_U8,          /* u8 -> guint8 */
  FT_U16,         /* u16 -> guint16 */
  FT_U16_32,      /* u16 -> guint32 */
  FT_U32,         /* u32 -> guint32 */
  FT_IP,          /* u32 address -> FlAddr */
} FtKind;

typedef struct {
  guint8  field;   /* FlField */
  guint8  kind;    /* FtKind */
  guint8  off;     /* offset in the record */
  guint16 dest;    /* offsetof (FlFlow, ...) */
} FtSlot;

#define S(f, k, o, m) { FL_FIELD_##f, k, o, offsetof (FlFlow, m) }

typedef struct _FtReader FtReader;
typedef void (*FtDecodeFunc) (const FtReader *self, const guint8 *r,
                              FlFlow *flow);

/* One storage format: an export version (and v8 aggregation method). */
typedef struct {
  const char  *name;        /* export_version as printed: "5", "8.12" */
  guint16      d_version;
  guint8       agg_method;
  guint8       rec_size;
  /* v8 only: offsets of the common block (8.3/8.11/8.12 swap exaddr and
   * sysUpTime), -1 for no dFlows */
  gint8        off_sysup, off_exaddr, off_dflows, off_counters;
  const FtSlot *slots;
  guint8       n_slots;
  guint64      present;
} FtLayout;

#define V8_COMMON (B (FIRST) | B (LAST) | B (DPKTS) | B (DOCTETS) | \
                   B (EXADDR) | B (ENGINE_TYPE) | B (ENGINE_ID) | B (FT_TIMES))
#define V1_PRESENT (B (FIRST) | B (LAST) | B (SRCADDR) | B (DSTADDR) | \
                    B (SRCPORT) | B (DSTPORT) | B (PROT) | B (DPKTS) | \
                    B (DOCTETS) | B (TCP_FLAGS) | B (TOS) | B (INPUT) | \
                    B (OUTPUT) | B (NEXTHOP) | B (EXADDR) | B (FT_TIMES))
#define V5_PRESENT (V1_PRESENT | B (SRC_AS) | B (DST_AS) | B (SRC_MASK) | \
                    B (DST_MASK) | B (ENGINE_TYPE) | B (ENGINE_ID))

static const FtSlot v8_1[] = {
  S (SRC_AS, FT_U16_32, 36, src_as), S (DST_AS, FT_U16_32, 38, dst_as),
  S (INPUT, FT_U16_32, 40, input), S (OUTPUT, FT_U16_32, 42, output),
  S (ENGINE_TYPE, FT_U8, 44, engine_type), S (ENGINE_ID, FT_U8, 45, engine_id),
};
static const FtSlot v8_2[] = {
  S (PROT, FT_U8, 36, prot), S (SRCPORT, FT_U16, 40, srcport),
  S (DSTPORT, FT_U16, 42, dstport),
  S (ENGINE_TYPE, FT_U8, 44, engine_type), S (ENGINE_ID, FT_U8, 45, engine_id),
};
static const FtSlot v8_3[] = {
  S (SRCADDR, FT_IP, 36, srcaddr), S (SRC_MASK, FT_U8, 40, src_mask),
  S (SRC_AS, FT_U16_32, 42, src_as), S (INPUT, FT_U16_32, 44, input),
  S (ENGINE_TYPE, FT_U8, 46, engine_type), S (ENGINE_ID, FT_U8, 47, engine_id),
};
static const FtSlot v8_4[] = {
  S (DSTADDR, FT_IP, 36, dstaddr), S (DST_MASK, FT_U8, 40, dst_mask),
  S (ENGINE_TYPE, FT_U8, 42, engine_type), S (ENGINE_ID, FT_U8, 43, engine_id),
  S (DST_AS, FT_U16_32, 44, dst_as), S (OUTPUT, FT_U16_32, 46, output),
};
static const FtSlot v8_5[] = {
  S (SRCADDR, FT_IP, 36, srcaddr), S (DSTADDR, FT_IP, 40, dstaddr),
  S (DST_MASK, FT_U8, 44, dst_mask), S (SRC_MASK, FT_U8, 45, src_mask),
  S (ENGINE_TYPE, FT_U8, 46, engine_type), S (ENGINE_ID, FT_U8, 47, engine_id),
  S (SRC_AS, FT_U16_32, 48, src_as), S (DST_AS, FT_U16_32, 50, dst_as),
  S (INPUT, FT_U16_32, 52, input), S (OUTPUT, FT_U16_32, 54, output),
};
static const FtSlot v8_6[] = {
  S (DSTADDR, FT_IP, 32, dstaddr), S (EXTRA_PKTS, FT_U32, 36, extra_pkts),
  S (ROUTER_SC, FT_IP, 40, router_sc), S (OUTPUT, FT_U16_32, 44, output),
  S (TOS, FT_U8, 48, tos), S (MARKED_TOS, FT_U8, 49, marked_tos),
  S (ENGINE_TYPE, FT_U8, 50, engine_type), S (ENGINE_ID, FT_U8, 51, engine_id),
};
static const FtSlot v8_7[] = {
  S (DSTADDR, FT_IP, 32, dstaddr), S (SRCADDR, FT_IP, 36, srcaddr),
  S (EXTRA_PKTS, FT_U32, 40, extra_pkts), S (ROUTER_SC, FT_IP, 44, router_sc),
  S (OUTPUT, FT_U16_32, 48, output), S (INPUT, FT_U16_32, 50, input),
  S (TOS, FT_U8, 52, tos), S (MARKED_TOS, FT_U8, 53, marked_tos),
  S (ENGINE_TYPE, FT_U8, 54, engine_type), S (ENGINE_ID, FT_U8, 55, engine_id),
};
static const FtSlot v8_8[] = {
  S (DSTADDR, FT_IP, 32, dstaddr), S (SRCADDR, FT_IP, 36, srcaddr),
  S (EXTRA_PKTS, FT_U32, 40, extra_pkts), S (ROUTER_SC, FT_IP, 44, router_sc),
  S (DSTPORT, FT_U16, 48, dstport), S (SRCPORT, FT_U16, 50, srcport),
  S (OUTPUT, FT_U16_32, 52, output), S (INPUT, FT_U16_32, 54, input),
  S (TOS, FT_U8, 56, tos), S (MARKED_TOS, FT_U8, 57, marked_tos),
  S (ENGINE_TYPE, FT_U8, 58, engine_type), S (ENGINE_ID, FT_U8, 59, engine_id),
  S (PROT, FT_U8, 60, prot),
};
static const FtSlot v8_9[] = {
  S (SRC_AS, FT_U16_32, 36, src_as), S (DST_AS, FT_U16_32, 38, dst_as),
  S (INPUT, FT_U16_32, 40, input), S (OUTPUT, FT_U16_32, 42, output),
  S (ENGINE_TYPE, FT_U8, 44, engine_type), S (ENGINE_ID, FT_U8, 45, engine_id),
  S (TOS, FT_U8, 46, tos),
};
/* input/output are stored at 40/42 but flow-tools' mask omits them (§4.6):
 * the expected outputs treat them as absent, so they are not decoded. */
static const FtSlot v8_10[] = {
  S (SRCPORT, FT_U16, 36, srcport), S (DSTPORT, FT_U16, 38, dstport),
  S (ENGINE_TYPE, FT_U8, 44, engine_type), S (ENGINE_ID, FT_U8, 45, engine_id),
  S (PROT, FT_U8, 46, prot), S (TOS, FT_U8, 47, tos),
};
static const FtSlot v8_11[] = {
  S (SRCADDR, FT_IP, 36, srcaddr), S (SRC_MASK, FT_U8, 40, src_mask),
  S (TOS, FT_U8, 41, tos), S (SRC_AS, FT_U16_32, 42, src_as),
  S (INPUT, FT_U16_32, 44, input),
  S (ENGINE_TYPE, FT_U8, 46, engine_type), S (ENGINE_ID, FT_U8, 47, engine_id),
};
static const FtSlot v8_12[] = {
  S (DSTADDR, FT_IP, 36, dstaddr), S (OUTPUT, FT_U16_32, 40, output),
  S (DST_AS, FT_U16_32, 42, dst_as), S (DST_MASK, FT_U8, 44, dst_mask),
  S (TOS, FT_U8, 45, tos),
  S (ENGINE_TYPE, FT_U8, 46, engine_type), S (ENGINE_ID, FT_U8, 47, engine_id),
};
static const FtSlot v8_13[] = {
  S (SRCADDR, FT_IP, 36, srcaddr), S (DSTADDR, FT_IP, 40, dstaddr),
  S (SRC_AS, FT_U16_32, 44, src_as), S (DST_AS, FT_U16_32, 46, dst_as),
  S (INPUT, FT_U16_32, 48, input), S (OUTPUT, FT_U16_32, 50, output),
  S (DST_MASK, FT_U8, 52, dst_mask), S (SRC_MASK, FT_U8, 53, src_mask),
  S (ENGINE_TYPE, FT_U8, 54, engine_type), S (ENGINE_ID, FT_U8, 55, engine_id),
  S (TOS, FT_U8, 56, tos),
};
static const FtSlot v8_14[] = {
  S (SRCADDR, FT_IP, 36, srcaddr), S (DSTADDR, FT_IP, 40, dstaddr),
  S (SRCPORT, FT_U16, 44, srcport), S (DSTPORT, FT_U16, 46, dstport),
  S (INPUT, FT_U16_32, 48, input), S (OUTPUT, FT_U16_32, 50, output),
  S (DST_MASK, FT_U8, 52, dst_mask), S (SRC_MASK, FT_U8, 53, src_mask),
  S (ENGINE_TYPE, FT_U8, 54, engine_type), S (ENGINE_ID, FT_U8, 55, engine_id),
  S (TOS, FT_U8, 56, tos), S (PROT, FT_U8, 57, prot),
};

static guint64
slots_present (const FtSlot *s, guint n)
{
  guint64 m = 0;

  for (guint i = 0; i < n; i++)
    m |= FL_FIELD_BIT (s[i].field);
  return m;
}

/* The v5 family is decoded by specialised functions; its slots are unused. */
#define L5(name, ver, size, present) \
  { name, ver, 0, size, 0, 0, 0, 0, NULL, 0, present }
#define L8(name, m, size, exfirst, dflows, slots) \
  { name, 8, m, size, (exfirst) ? 12 : 8, (exfirst) ? 8 : 12, \
    (dflows) ? 16 : -1, (dflows) ? 20 : 16, slots, G_N_ELEMENTS (slots), 0 }

static const FtLayout ft_layouts[] = {
  L5 ("1", 1, 60, V1_PRESENT),
  L5 ("5", 5, 64, V5_PRESENT),
  L5 ("6", 6, 72, V5_PRESENT | B (IN_ENCAPS) | B (OUT_ENCAPS) | B (PEER_NEXTHOP)),
  L5 ("7", 7, 68, V5_PRESENT | B (ROUTER_SC)),
  L5 ("1005", 1005, 72, V5_PRESENT | B (SRC_TAG) | B (DST_TAG)),
  L8 ("8.1", 1, 48, FALSE, TRUE, v8_1),
  L8 ("8.2", 2, 48, FALSE, TRUE, v8_2),
  L8 ("8.3", 3, 48, TRUE, TRUE, v8_3),
  L8 ("8.4", 4, 48, FALSE, TRUE, v8_4),
  L8 ("8.5", 5, 56, FALSE, TRUE, v8_5),
  L8 ("8.6", 6, 52, FALSE, FALSE, v8_6),
  L8 ("8.7", 7, 56, FALSE, FALSE, v8_7),
  L8 ("8.8", 8, 64, FALSE, FALSE, v8_8),
  L8 ("8.9", 9, 48, FALSE, TRUE, v8_9),
  L8 ("8.10", 10, 48, FALSE, TRUE, v8_10),
  L8 ("8.11", 11, 48, TRUE, TRUE, v8_11),
  L8 ("8.12", 12, 48, TRUE, TRUE, v8_12),
  L8 ("8.13", 13, 60, FALSE, TRUE, v8_13),
  L8 ("8.14", 14, 60, FALSE, TRUE, v8_14),
};

/* Stream-version-1 compat records: 60 bytes, mapped to v1 or v5 (§4.7). */
static const FtLayout ft_layout_s1_v1 = L5 ("1", 1, 60, V1_PRESENT);
static const FtLayout ft_layout_s1_v5 = L5 ("5", 5, 60, V5_PRESENT);

static const FtLayout *
ft_layout_find (guint16 d_version, guint8 agg_method)
{
  for (guint i = 0; i < G_N_ELEMENTS (ft_layouts); i++)
    if (ft_layouts[i].d_version == d_version &&
        (d_version != 8 || ft_layouts[i].agg_method == agg_method))
      return &ft_layouts[i];
  return NULL;
}

static const char *const ft_agg_names[] = {
  NULL, "AS", "Protocol/Port", "Source Prefix", "Destination Prefix",
  "Prefix", "Destination (Catalyst)", "Source/Destination (Catalyst)",
  "Full Flow (Catalyst)", "ToS/AS", "ToS/Proto/Port", "ToS/Source Prefix",
  "ToS/Destination Prefix", "ToS/Prefix", "ToS/Prefix/Port",
};

/* ------------------------------------------------------------ header */

enum {
  FT_HAVE_EX_VER = 1 << 0, FT_HAVE_AGG_VER = 1 << 1,
  FT_HAVE_AGG_METHOD = 1 << 2, FT_HAVE_EXPORTER = 1 << 3,
  FT_HAVE_CAP_START = 1 << 4, FT_HAVE_CAP_END = 1 << 5,
  FT_HAVE_FLAGS = 1 << 6, FT_HAVE_ROT = 1 << 7, FT_HAVE_COUNT = 1 << 8,
  FT_HAVE_LOST = 1 << 9, FT_HAVE_MISORDERED = 1 << 10,
  FT_HAVE_CORRUPT = 1 << 11, FT_HAVE_SEQ_RESET = 1 << 12,
  FT_HAVE_VENDOR = 1 << 13,
};

typedef struct {
  guint8   stream_version;
  gboolean big_endian;
  guint32  hlen;
  guint32  have;            /* FT_HAVE_* */
  guint16  d_version;       /* as stored (v1 streams: 0xFFFF kept) */
  guint8   agg_version, agg_method, vendor;
  guint32  exporter_ip, cap_start, cap_end, flags, rot_schedule;
  guint32  flow_count, flows_lost, misordered, pkt_corrupt, seq_reset;
  /* strings point into the parsed buffer until ft_header_own() */
  const char *hostname, *comments;
  gsize    hostname_len, comments_len;
  GString *if_names;        /* only when collecting (open) */
  const FtLayout *layout;
} FtHeader;

static inline guint16
rd16 (const guint8 *p, gboolean be)
{
  return be ? fl_read_u16_be (p) : fl_read_u16_le (p);
}

static inline guint32
rd32 (const guint8 *p, gboolean be)
{
  return be ? fl_read_u32_be (p) : fl_read_u32_le (p);
}

/* Checks the preamble and finds the header length. avail >= 8 is needed for
 * stream version 3 (4 is enough to reject). offset is the file offset of p,
 * for messages. */
static gboolean
ft_header_length (const guint8 *p, gsize avail, guint64 offset,
                  gint64 remaining, FtHeader *h, GError **error)
{
  memset (h, 0, sizeof *h);
  if (avail < 4)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, offset,
                    "flow-tools header cut short: %" G_GSIZE_FORMAT
                    " of 4 preamble bytes", avail);
      return FALSE;
    }
  if (p[0] != FT_MAGIC1 || p[1] != FT_MAGIC2)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, offset,
                    "not a flow-tools header (magic %02x %02x, expected cf 10)",
                    p[0], p[1]);
      return FALSE;
    }
  if (p[2] != 1 && p[2] != 2)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, offset + 2,
                    "invalid byte-order byte %u (1 = little, 2 = big endian)",
                    p[2]);
      return FALSE;
    }
  h->big_endian = p[2] == 2;
  h->stream_version = p[3];
  if (p[3] == 1)
    {
      h->hlen = FT_V1_HEADER_LEN;
    }
  else if (p[3] == 3)
    {
      if (avail < 8)
        {
          fl_set_error (error, FL_ERROR_CORRUPT, offset + avail,
                        "flow-tools header cut short: file ends inside the "
                        "header length (%" G_GSIZE_FORMAT " bytes)", avail);
          return FALSE;
        }
      h->hlen = rd32 (p + 4, h->big_endian);
      if (h->hlen < FT_HEADER_MIN)
        {
          fl_set_error (error, FL_ERROR_CORRUPT, offset + 4,
                        "header length %u is below the minimum of 8", h->hlen);
          return FALSE;
        }
      if (h->hlen > FT_HEADER_MAX)
        {
          fl_set_error (error, FL_ERROR_CORRUPT, offset + 4,
                        "header length %u exceeds the 16 MiB limit", h->hlen);
          return FALSE;
        }
    }
  else
    {
      fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, offset + 3,
                    "unsupported flow-tools stream version %u (1 and 3 exist)",
                    p[3]);
      return FALSE;
    }
  if (remaining >= 0 && (gint64) h->hlen > remaining)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, offset + 4,
                    "header length %u runs past the end of the file (%"
                    G_GINT64_FORMAT " bytes)", h->hlen, remaining);
      return FALSE;
    }
  return TRUE;
}

static void
ft_if_name_add (FtHeader *h, const guint8 *v, guint len, gboolean alias)
{
  guint32 ip;
  guint16 idx;
  gsize name_off, name_end;
  char *name, addr[24];
  int known_half = 0; /* 0: whole address, 1: high half, 2: low half */

  if (h->if_names == NULL || len < 7)
    return;
  /* Intended layout: u32 exporter, u16 ifIndex (IF_ALIAS: u16 count and
   * count * u16), name + NUL. flow-tools' own encoder advances by 2 after
   * the address (§1.2), leaving the name 2 bytes early followed by 2 zero
   * bytes: accept that form when the intended one does not end in NUL. */
  ip = rd32 (v, h->big_endian);
  idx = rd16 (v + 4, h->big_endian);
  name_off = 6 + (alias ? 2 * (gsize) idx : 0);
  name_end = len;
  if (name_off >= len || v[len - 1] != '\0' ||
      memchr (v + name_off, '\0', len - name_off) != (const void *) (v + len - 1))
    {
      /* the buggy form: 2 bytes of address, u16, [list], name, NUL, 0, 0;
       * those 2 bytes are the high half (big endian) or the low half */
      known_half = h->big_endian ? 1 : 2;
      ip = (guint32) rd16 (v, h->big_endian) << (h->big_endian ? 16 : 0);
      idx = rd16 (v + 2, h->big_endian);
      name_off = 4 + (alias ? 2 * (gsize) idx : 0);
      if (len < 3 || name_off >= len - 2)
        return;
      name_end = len - 2;
    }
  name = g_strndup ((const char *) v + name_off, name_end - name_off);
  g_strcanon (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
              "0123456789 ./:-_+()[]@#", '?');
  if (h->if_names->len > 0)
    g_string_append (h->if_names, ", ");
  if (known_half == 1)
    g_snprintf (addr, sizeof addr, "%u.%u.?.?", ip >> 24, (ip >> 16) & 0xff);
  else if (known_half == 2)
    g_snprintf (addr, sizeof addr, "?.?.%u.%u", (ip >> 8) & 0xff, ip & 0xff);
  else
    g_snprintf (addr, sizeof addr, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
                (ip >> 8) & 0xff, ip & 0xff);
  g_string_append_printf (h->if_names, "%s%s/%u=%s", alias ? "alias " : "",
                          addr, idx, name);
  g_free (name);
}

/* Parses a whole header (p holds h->hlen bytes). */
static gboolean
ft_header_parse (const guint8 *p, guint64 offset, FtHeader *h, GError **error)
{
  gboolean be = h->big_endian;
  guint agg_method = 0;

  if (h->stream_version == 1)
    {
      guint16 dv = rd16 (p + 4, be);

      h->d_version = dv;
      h->have |= FT_HAVE_EX_VER | FT_HAVE_CAP_START | FT_HAVE_CAP_END |
                 FT_HAVE_FLAGS | FT_HAVE_ROT | FT_HAVE_COUNT |
                 FT_HAVE_LOST | FT_HAVE_MISORDERED;
      h->cap_start = rd32 (p + 8, be);
      h->cap_end = rd32 (p + 12, be);
      h->flags = rd32 (p + 16, be);
      h->rot_schedule = rd32 (p + 20, be);
      h->flow_count = rd32 (p + 24, be);
      h->flows_lost = rd32 (p + 28, be);
      h->misordered = rd32 (p + 32, be);
      h->hostname = (const char *) p + 36;
      h->hostname_len = strnlen (h->hostname, 68);
      h->comments = (const char *) p + 104;
      h->comments_len = strnlen (h->comments, 256);
      if (dv == 1 || dv == 0xFFFF)
        h->layout = &ft_layout_s1_v1;
      else if (dv == 5)
        h->layout = &ft_layout_s1_v5;
      else
        {
          fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, offset + 4,
                        "unsupported export version %u in a stream-version-1 "
                        "header (1 and 5 exist)", dv);
          return FALSE;
        }
      return TRUE;
    }

  /* stream version 3: TLVs while at least 4 bytes remain (padding) */
  for (guint32 pos = 8; pos + 4 <= h->hlen;)
    {
      guint16 type = rd16 (p + pos, be);
      guint16 len = rd16 (p + pos + 2, be);
      const guint8 *v = p + pos + 4;

      if ((guint64) pos + 4 + len > h->hlen)
        break; /* overrunning TLV: flow-tools stops and keeps the header */
      pos += 4 + len;
#define NEED(n) if (len < (n)) continue
      switch (type)
        {
        case FT_TLV_VENDOR:
          NEED (1); h->vendor = v[0]; h->have |= FT_HAVE_VENDOR; break;
        case FT_TLV_EX_VER:
          NEED (2); h->d_version = rd16 (v, be); h->have |= FT_HAVE_EX_VER;
          break;
        case FT_TLV_AGG_VER:
          NEED (1); h->agg_version = v[0]; h->have |= FT_HAVE_AGG_VER; break;
        case FT_TLV_AGG_METHOD:
          NEED (1); h->agg_method = v[0]; h->have |= FT_HAVE_AGG_METHOD;
          break;
        case FT_TLV_EXPORTER_IP:
          NEED (4); h->exporter_ip = rd32 (v, be); h->have |= FT_HAVE_EXPORTER;
          break;
        case FT_TLV_CAP_START:
          NEED (4); h->cap_start = rd32 (v, be); h->have |= FT_HAVE_CAP_START;
          break;
        case FT_TLV_CAP_END:
          NEED (4); h->cap_end = rd32 (v, be); h->have |= FT_HAVE_CAP_END;
          break;
        case FT_TLV_HEADER_FLAGS:
          NEED (4); h->flags = rd32 (v, be); h->have |= FT_HAVE_FLAGS; break;
        case FT_TLV_ROT_SCHEDULE:
          NEED (4); h->rot_schedule = rd32 (v, be); h->have |= FT_HAVE_ROT;
          break;
        case FT_TLV_FLOW_COUNT:
          NEED (4); h->flow_count = rd32 (v, be); h->have |= FT_HAVE_COUNT;
          break;
        case FT_TLV_FLOW_LOST:
          NEED (4); h->flows_lost = rd32 (v, be); h->have |= FT_HAVE_LOST;
          break;
        case FT_TLV_FLOW_MISORDERED:
          NEED (4); h->misordered = rd32 (v, be);
          h->have |= FT_HAVE_MISORDERED; break;
        case FT_TLV_PKT_CORRUPT:
          NEED (4); h->pkt_corrupt = rd32 (v, be); h->have |= FT_HAVE_CORRUPT;
          break;
        case FT_TLV_SEQ_RESET:
          NEED (4); h->seq_reset = rd32 (v, be); h->have |= FT_HAVE_SEQ_RESET;
          break;
        case FT_TLV_CAP_HOSTNAME:
          /* cut at the TLV length: a NUL is not guaranteed */
          h->hostname = (const char *) v;
          h->hostname_len = strnlen (h->hostname, len);
          break;
        case FT_TLV_COMMENTS:
          h->comments = (const char *) v;
          h->comments_len = strnlen (h->comments, len);
          break;
        case FT_TLV_IF_NAME:
          ft_if_name_add (h, v, len, FALSE);
          break;
        case FT_TLV_IF_ALIAS:
          ft_if_name_add (h, v, len, TRUE);
          break;
        default:
          break; /* NULL, INTERRUPT and unknown types are skipped */
        }
#undef NEED
    }

  if (!(h->have & FT_HAVE_EX_VER))
    {
      fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, offset + 8,
                    "flow-tools header has no export version (EX_VER TLV)");
      return FALSE;
    }
  if (h->d_version == 8)
    {
      /* flow-tools refuses v8 unless agg_version is 2 (missing = not 2) */
      if (!(h->have & FT_HAVE_AGG_VER) || h->agg_version != 2)
        {
          fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, offset + 8,
                        "unsupported v8 aggregation version %s%u (only 2 "
                        "exists)", (h->have & FT_HAVE_AGG_VER) ? "" :
                        "(missing) ", h->agg_version);
          return FALSE;
        }
      agg_method = (h->have & FT_HAVE_AGG_METHOD) ? h->agg_method : 0;
      if (agg_method < 1 || agg_method > 14)
        {
          fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, offset + 8,
                        "unsupported v8 aggregation method %u (1-14 exist)",
                        agg_method);
          return FALSE;
        }
    }
  h->layout = ft_layout_find (h->d_version, (guint8) agg_method);
  if (h->layout == NULL)
    {
      fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, offset + 8,
                    "unsupported flow-tools export version %u (1, 5, 6, 7, "
                    "8.1-8.14 and 1005 exist)", h->d_version);
      return FALSE;
    }
  return TRUE;
}

/* A header found inside a file: copy its strings, they pointed into a
 * stream buffer. */
static void
ft_header_own (FtHeader *h)
{
  h->hostname = h->hostname ? g_strndup (h->hostname, h->hostname_len) : NULL;
  h->comments = h->comments ? g_strndup (h->comments, h->comments_len) : NULL;
}

static void
ft_header_clear (FtHeader *h)
{
  g_free ((char *) h->hostname);
  g_free ((char *) h->comments);
  if (h->if_names != NULL)
    g_string_free (h->if_names, TRUE);
  memset (h, 0, sizeof *h);
}

/* ------------------------------------------------------------ reader */

typedef enum {
  FT_BODY_PLAIN,
  FT_BODY_ZLIB,
} FtBody;

struct _FtReader {
  FlStream       *stream;
  FtHeader        first;       /* the first part's header, for info() */
  guint           n_parts;

  /* current part */
  const FtLayout *layout;
  gboolean        be;
  FtBody          body;
  guint           rec_size;
  guint64         present;
  FtDecodeFunc    decode;
  enum { FT_FAST_NONE, FT_FAST_V5_LE, FT_FAST_V5_BE } fast;
  gboolean        magic_check; /* raw body: look for a second header */

  /* records are sliced from [pos, end): the stream's peek buffer (plain)
   * or zbuf (zlib) */
  const guint8   *win, *pos, *end;
  const guint8   *no_magic_check; /* a record already found not a header */

  FlInflate      *z;           /* ISA-L or zlib (fl-inflate.h) */
  gboolean        z_end, z_eof;
  guint8         *zbuf;

  FlStatus        status;      /* sticky END/ERROR */

  /* the current part's stated flow count (0 = none stated) and where its
   * body starts: a part that ends with fewer flows is truncated */
  guint32         part_count;
  guint64         part_body_start;
};

static inline void
set_ip (FlAddr *a, guint32 v)
{
  fl_addr_set_ipv4 (a, v);
}

/* The IPv4 address stored at p in the file's byte order. A big-endian
 * address already is in network order: copy its bytes, since GCC turns
 * "read big-endian, store the bytes big-endian" into a bswap plus four
 * byte stores (~25 instructions per v5 record). */
static inline __attribute__ ((always_inline)) void
set_ip_at (FlAddr *a, const guint8 *p, gboolean be)
{
  if (be)
    {
      memset (a, 0, sizeof *a);
      a->family = 4;
      memcpy (a->addr, p, 4);
    }
  else
    set_ip (a, fl_read_u32_le (p));
}

/* The v5 family: v1, v5, v6, v7, v1005 share bytes 0..55 (v1) or 0..63. */
static inline __attribute__ ((always_inline)) void
decode_v5_family (const guint8 *r, FlFlow *f, gboolean be, guint ver)
{
  guint32 secs = rd32 (r, be), nsecs = rd32 (r + 4, be);
  guint32 sysup = rd32 (r + 8, be);
  guint32 t_first = rd32 (r + 40, be), t_last = rd32 (r + 44, be);

  f->unix_secs = secs;
  f->unix_nsecs = nsecs;
  f->sysuptime = sysup;
  f->uptime_first = t_first;
  f->uptime_last = t_last;
  f->first = fl_time_from_uptime (secs, nsecs, sysup, t_first);
  f->last = fl_time_from_uptime (secs, nsecs, sysup, t_last);
  set_ip_at (&f->exaddr, r + 12, be);
  set_ip_at (&f->srcaddr, r + 16, be);
  set_ip_at (&f->dstaddr, r + 20, be);
  set_ip_at (&f->nexthop, r + 24, be);
  f->input = rd16 (r + 28, be);
  f->output = rd16 (r + 30, be);
  f->dPkts = rd32 (r + 32, be);
  f->dOctets = rd32 (r + 36, be);
  f->srcport = rd16 (r + 48, be);
  f->dstport = rd16 (r + 50, be);
  f->prot = r[52];
  f->tos = r[53];
  f->tcp_flags = r[54];
  if (ver == 1)
    return;
  f->engine_type = r[56];
  f->engine_id = r[57];
  f->src_mask = r[58];
  f->dst_mask = r[59];
  f->src_as = rd16 (r + 60, be);
  f->dst_as = rd16 (r + 62, be);
  switch (ver)
    {
    case 6:
      f->in_encaps = r[64];
      f->out_encaps = r[65];
      set_ip_at (&f->peer_nexthop, r + 68, be);
      break;
    case 7:
      set_ip_at (&f->router_sc, r + 64, be);
      break;
    case 1005:
      f->src_tag = rd32 (r + 64, be);
      f->dst_tag = rd32 (r + 68, be);
      break;
    default:
      break;
    }
}

#define DEF_V5(ver) \
  static void decode_v##ver##_le (const FtReader *s, const guint8 *r, FlFlow *f) \
  { (void) s; decode_v5_family (r, f, FALSE, ver); } \
  static void decode_v##ver##_be (const FtReader *s, const guint8 *r, FlFlow *f) \
  { (void) s; decode_v5_family (r, f, TRUE, ver); }
DEF_V5 (1)
DEF_V5 (5)
DEF_V5 (6)
DEF_V5 (7)
DEF_V5 (1005)

/* Stream-version-1 compat record (§4.7): sysUpTime and exaddr are 0,
 * unix_msecs in milliseconds. */
static inline __attribute__ ((always_inline)) void
decode_s1 (const guint8 *r, FlFlow *f, gboolean be, gboolean v5)
{
  guint32 secs = rd32 (r, be), msecs = rd32 (r + 4, be);
  guint32 t_first = rd32 (r + 32, be), t_last = rd32 (r + 36, be);
  /* carry whole seconds so the nanoseconds fit in 32 bits */
  guint32 tsecs = secs + msecs / 1000, tnsecs = (msecs % 1000) * 1000000u;

  f->unix_secs = secs;
  f->unix_nsecs = msecs * 1000000u; /* as flow-tools stores it (u32) */
  f->sysuptime = 0;
  f->uptime_first = t_first;
  f->uptime_last = t_last;
  f->first = fl_time_from_uptime (tsecs, tnsecs, 0, t_first);
  f->last = fl_time_from_uptime (tsecs, tnsecs, 0, t_last);
  set_ip (&f->exaddr, 0);
  set_ip_at (&f->srcaddr, r + 8, be);
  set_ip_at (&f->dstaddr, r + 12, be);
  set_ip_at (&f->nexthop, r + 16, be);
  f->input = rd16 (r + 20, be);
  f->output = rd16 (r + 22, be);
  f->dPkts = rd32 (r + 24, be);
  f->dOctets = rd32 (r + 28, be);
  f->srcport = rd16 (r + 40, be);
  f->dstport = rd16 (r + 42, be);
  f->prot = r[46];
  f->tos = r[47];
  f->tcp_flags = r[48];
  if (!v5)
    return;
  f->engine_type = 0;
  f->engine_id = 0;
  f->src_as = rd16 (r + 52, be);
  f->dst_as = rd16 (r + 54, be);
  f->src_mask = r[56];
  f->dst_mask = r[57];
}

static void decode_s1v1_le (const FtReader *s, const guint8 *r, FlFlow *f)
{ (void) s; decode_s1 (r, f, FALSE, FALSE); }
static void decode_s1v1_be (const FtReader *s, const guint8 *r, FlFlow *f)
{ (void) s; decode_s1 (r, f, TRUE, FALSE); }
static void decode_s1v5_le (const FtReader *s, const guint8 *r, FlFlow *f)
{ (void) s; decode_s1 (r, f, FALSE, TRUE); }
static void decode_s1v5_be (const FtReader *s, const guint8 *r, FlFlow *f)
{ (void) s; decode_s1 (r, f, TRUE, TRUE); }

/* v8 aggregates: table-driven (they are rare and small). */
static void
decode_v8 (const FtReader *s, const guint8 *r, FlFlow *f)
{
  const FtLayout *l = s->layout;
  gboolean be = s->be;
  guint32 secs = rd32 (r, be), nsecs = rd32 (r + 4, be);
  guint32 sysup = rd32 (r + l->off_sysup, be);
  guint c = (guint) l->off_counters;
  guint32 t_first = rd32 (r + c + 8, be), t_last = rd32 (r + c + 12, be);
  guint8 *base = (guint8 *) f;

  f->unix_secs = secs;
  f->unix_nsecs = nsecs;
  f->sysuptime = sysup;
  f->uptime_first = t_first;
  f->uptime_last = t_last;
  f->first = fl_time_from_uptime (secs, nsecs, sysup, t_first);
  f->last = fl_time_from_uptime (secs, nsecs, sysup, t_last);
  set_ip_at (&f->exaddr, r + l->off_exaddr, be);
  if (l->off_dflows >= 0)
    f->dFlows = rd32 (r + l->off_dflows, be);
  f->dPkts = rd32 (r + c, be);
  f->dOctets = rd32 (r + c + 4, be);
  for (guint i = 0; i < l->n_slots; i++)
    {
      const FtSlot *sl = &l->slots[i];
      const guint8 *v = r + sl->off;
      guint8 *d = base + sl->dest;

      switch (sl->kind)
        {
        case FT_U8: *d = *v; break;
        case FT_U16: { guint16 x = rd16 (v, be); memcpy (d, &x, 2); } break;
        case FT_U16_32: { guint32 x = rd16 (v, be); memcpy (d, &x, 4); } break;
        case FT_U32: { guint32 x = rd32 (v, be); memcpy (d, &x, 4); } break;
        case FT_IP: set_ip_at ((FlAddr *) d, v, be); break;
        default: break;
        }
    }
}

static FtDecodeFunc
ft_decoder_for (const FtHeader *h)
{
  gboolean be = h->big_endian;

  if (h->stream_version == 1)
    return h->layout->d_version == 5 ? (be ? decode_s1v5_be : decode_s1v5_le)
                                     : (be ? decode_s1v1_be : decode_s1v1_le);
  switch (h->layout->d_version)
    {
    case 1: return be ? decode_v1_be : decode_v1_le;
    case 5: return be ? decode_v5_be : decode_v5_le;
    case 6: return be ? decode_v6_be : decode_v6_le;
    case 7: return be ? decode_v7_be : decode_v7_le;
    case 1005: return be ? decode_v1005_be : decode_v1005_le;
    default: return decode_v8;
    }
}

/* Reads and parses the header at the stream's position. strict: the header
 * was found inside a file, so also demand what every real writer does
 * (hlen a multiple of 4) to keep false positives rare. On failure nothing
 * is consumed. */
static gboolean
ft_read_header (FtReader *self, FtHeader *h, gboolean strict,
                gboolean collect, GError **error)
{
  const guint8 *p;
  gsize avail;
  guint64 offset = fl_stream_tell (self->stream);
  gint64 length = fl_stream_get_length (self->stream);
  gint64 remaining = length >= 0 ? length - (gint64) offset : -1;

  p = fl_stream_peek (self->stream, 8, &avail, error);
  if (p == NULL)
    return FALSE;
  /* A short peek may be a wrapper's failure held back behind the good
   * bytes ("gzip stream ends early"): that error says more than ours. */
  if (avail < 8 && !strict && fl_stream_failed (self->stream, error))
    return FALSE;
  if (!ft_header_length (p, avail, offset, remaining, h, error))
    return FALSE;
  if (strict && h->stream_version == 3 && (h->hlen % 4) != 0)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, offset + 4,
                    "header length %u is not a multiple of 4", h->hlen);
      return FALSE;
    }
  p = fl_stream_peek (self->stream, h->hlen, &avail, error);
  if (p == NULL)
    return FALSE;
  if (avail < h->hlen)
    {
      if (!strict && fl_stream_failed (self->stream, error))
        return FALSE;
      fl_set_error (error, FL_ERROR_CORRUPT, offset + avail,
                    "file ends inside the flow-tools header (%" G_GSIZE_FORMAT
                    " of %u bytes)", avail, h->hlen);
      return FALSE;
    }
  if (collect)
    h->if_names = g_string_new (NULL);
  if (!ft_header_parse (p, offset, h, error))
    {
      /* the strings still point into the stream's buffer: not ours */
      if (h->if_names != NULL)
        g_string_free (h->if_names, TRUE);
      h->if_names = NULL;
      h->hostname = h->comments = NULL;
      return FALSE;
    }
  if (collect)
    ft_header_own (h);
  else
    h->hostname = h->comments = NULL;
  fl_stream_consume (self->stream, h->hlen);
  return TRUE;
}

/* The flow count a header vouches for, 0 if none. flow-tools.md section 8
 * item 4: the count is advisory (0 in open or crashed captures, absent in
 * streaming files, sometimes simply wrong); trust it only when DONE is set
 * and STREAMING is not. The tools that close a file with a real count
 * (flow-capture at rotation, flow-cat -o) write it together with the
 * capture end time: a header with DONE and a count but no CAP_END
 * (tlv-countmismatch-*.ft: count 7, one record, read as 1 flow like
 * flow-export does) was not written by them, and its count is metadata
 * only. A trusted count larger than the flows the part holds means the
 * file was cut at a record boundary. */
static guint32
ft_trusted_count (const FtHeader *h)
{
  const guint want = FT_HAVE_COUNT | FT_HAVE_CAP_END | FT_HAVE_FLAGS;

  if ((h->have & want) != want || !(h->flags & FT_FLAG_DONE) ||
      (h->flags & FT_FLAG_STREAMING))
    return 0;
  return h->flow_count;
}

/* Starts reading the body of the part whose header h was just read. */
static gboolean
ft_start_part (FtReader *self, const FtHeader *h, GError **error)
{
  self->n_parts++;
  self->part_count = ft_trusted_count (h);
  self->part_body_start = fl_stream_tell (self->stream);
  self->layout = h->layout;
  self->be = h->big_endian;
  self->rec_size = h->layout->rec_size;
  self->present = h->layout->present;
  if (h->layout->d_version == 8)
    self->present = V8_COMMON |
      (h->layout->off_dflows >= 0 ? B (DFLOWS) : 0) |
      slots_present (h->layout->slots, h->layout->n_slots);
  self->decode = ft_decoder_for (h);
  self->win = self->pos = self->end = NULL;
  self->no_magic_check = NULL;
  self->body = (h->flags & FT_FLAG_COMPRESS) ? FT_BODY_ZLIB : FT_BODY_PLAIN;
  self->magic_check = self->body == FT_BODY_PLAIN;
  self->fast = FT_FAST_NONE;
  if (h->stream_version == 3 && h->layout->d_version == 5)
    self->fast = h->big_endian ? FT_FAST_V5_BE : FT_FAST_V5_LE;
  if (self->body == FT_BODY_ZLIB)
    {
      if (self->zbuf == NULL)
        self->zbuf = g_malloc (FT_ZOUT_SIZE);
      if (self->z != NULL)
        fl_inflate_reset (self->z);
      else if ((self->z = fl_inflate_new (FL_INFLATE_WRAP_ZLIB)) == NULL)
        {
          fl_set_error (error, FL_ERROR_LIMIT,
                        fl_stream_tell (self->stream),
                        "zlib initialisation failed (out of memory)");
          return FALSE;
        }
      self->z_end = self->z_eof = FALSE;
    }
  return TRUE;
}

/* At a possible second header: try it as a new part. */
static gboolean
ft_try_next_part (FtReader *self, GError **error)
{
  FtHeader h;

  if (!ft_read_header (self, &h, TRUE, FALSE, error))
    return FALSE;
  return ft_start_part (self, &h, error);
}

static FlStatus
ft_fail (FtReader *self, GError **error, FlError code, guint64 offset,
         const char *msg, ...) G_GNUC_PRINTF (5, 6);

static FlStatus
ft_fail (FtReader *self, GError **error, FlError code, guint64 offset,
         const char *msg, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, msg);
  text = g_strdup_vprintf (msg, ap);
  va_end (ap);
  fl_set_error (error, code, offset, "%s", text);
  self->status = FL_STATUS_ERROR;
  return FL_STATUS_ERROR;
}

static FlStatus
ft_fail_partial (FtReader *self, GError **error)
{
  guint64 off = fl_stream_tell (self->stream);
  gsize tail = (gsize) (self->end - self->pos);

  self->win = self->pos = self->end = NULL;
  if (fl_stream_failed (self->stream, error))
    {
      self->status = FL_STATUS_ERROR;
      return FL_STATUS_ERROR;
    }
  return ft_fail (self, error, FL_ERROR_TRUNCATED, off,
                  "file ends inside a record: %" G_GSIZE_FORMAT
                  " of %u bytes of a v%s record",
                  tail, self->rec_size, self->layout->name);
}

/* The clean end of the last part: END, or TRUNCATED when its header
 * vouches for more flows than it holds (ft_trusted_count()). */
static FlStatus
ft_end_of_part (FtReader *self, GError **error)
{
  guint64 n = self->body == FT_BODY_ZLIB
                ? fl_inflate_get_total_out (self->z) / self->rec_size
                : (fl_stream_tell (self->stream) - self->part_body_start) /
                    self->rec_size;

  if (n >= self->part_count)
    return FL_STATUS_END;
  if (fl_stream_failed (self->stream, error))
    {
      self->status = FL_STATUS_ERROR;
      return FL_STATUS_ERROR;
    }
  return ft_fail (self, error, FL_ERROR_TRUNCATED,
                  fl_stream_tell (self->stream),
                  "the header says %u flows, the file ends after %"
                  G_GUINT64_FORMAT, self->part_count, n);
}

/* Raw body: consume the records handed out, peek the next chunk.
 * Returns OK with a new window, END, or ERROR. */
static FlStatus
ft_refill_plain (FtReader *self, GError **error)
{
  const guint8 *p;
  gsize avail;

  if (self->win != NULL)
    fl_stream_consume (self->stream, (gsize) (self->pos - self->win));
  self->win = self->pos = self->end = NULL;
  self->no_magic_check = NULL;
  p = fl_stream_peek (self->stream, FT_PLAIN_CHUNK, &avail, error);
  if (p == NULL)
    {
      self->status = FL_STATUS_ERROR;
      return FL_STATUS_ERROR;
    }
  if (avail == 0)
    return ft_end_of_part (self, error);
  self->win = self->pos = p;
  self->end = p + avail;
  /* a short tail may still be a header-only second file */
  if (avail < self->rec_size && !(avail >= 2 && p[0] == FT_MAGIC1 &&
                                  p[1] == FT_MAGIC2))
    return ft_fail_partial (self, error);
  return FL_STATUS_OK;
}

/* After the zlib stream's end: nothing, another header, or garbage. */
static FlStatus
ft_after_zlib (FtReader *self, GError **error)
{
  const guint8 *p;
  gsize avail;
  guint64 off = fl_stream_tell (self->stream);
  gint64 length = fl_stream_get_length (self->stream);
  g_autoptr (GError) why = NULL;
  char hex[3 * 8 + 1] = "";

  p = fl_stream_peek (self->stream, 8, &avail, error);
  if (p == NULL)
    {
      self->status = FL_STATUS_ERROR;
      return FL_STATUS_ERROR;
    }
  if (avail == 0)
    return ft_end_of_part (self, error);
  for (gsize i = 0, n = 0; i < avail && i < 8; i++)
    n += (gsize) g_snprintf (hex + n, sizeof hex - n, "%s%02x",
                             i ? " " : "", p[i]);
  if (p[0] == FT_MAGIC1 && avail >= 2 && p[1] == FT_MAGIC2)
    {
      if (ft_try_next_part (self, &why))
        return FL_STATUS_OK;
      return ft_fail (self, error, FL_ERROR_CORRUPT, off,
                      "data after the end of the zlib stream looks like a "
                      "flow-tools header but is not one: %s", why->message);
    }
  if (length >= 0)
    return ft_fail (self, error, FL_ERROR_CORRUPT, off,
                    "%" G_GINT64_FORMAT " bytes of trailing data after the "
                    "end of the zlib stream (%s%s)", length - (gint64) off,
                    hex, length - (gint64) off > 8 ? " ..." : "");
  return ft_fail (self, error, FL_ERROR_CORRUPT, off,
                  "trailing data after the end of the zlib stream (%s ...)",
                  hex);
}

/* Compressed body: keep the partial record, inflate more behind it. */
static FlStatus
ft_refill_zlib (FtReader *self, GError **error)
{
  gsize left = self->pos != NULL ? (gsize) (self->end - self->pos) : 0;
  gsize fill;

  if (self->z_end || self->z_eof)
    {
      if (left > 0)
        return ft_fail (self, error, FL_ERROR_TRUNCATED,
                        fl_stream_tell (self->stream),
                        "%s ends inside a record: %" G_GSIZE_FORMAT " of %u "
                        "bytes of a v%s record",
                        self->z_end ? "zlib stream" :
                        "input (unfinished zlib stream)",
                        left, self->rec_size, self->layout->name);
      if (self->z_eof)
        return ft_fail (self, error, FL_ERROR_TRUNCATED,
                        fl_stream_tell (self->stream),
                        "file ends inside the zlib stream (unfinished: file "
                        "still being written or cut short)");
      return ft_after_zlib (self, error);
    }

  if (left > 0)
    memmove (self->zbuf, self->pos, left);
  fill = left;
  while (fill < FT_ZOUT_SIZE)
    {
      const guint8 *p;
      gsize avail, used, made;
      FlInflateStatus rc;

      p = fl_stream_peek (self->stream, FT_ZIN_CHUNK, &avail, error);
      if (p == NULL)
        {
          self->status = FL_STATUS_ERROR;
          return FL_STATUS_ERROR;
        }
      /* at the end of the input too: ISA-L may still hold output */
      rc = fl_inflate_run (self->z, p, avail, &used, self->zbuf + fill,
                           FT_ZOUT_SIZE - fill, &made);
      fl_stream_consume (self->stream, used);
      fill += made;
      if (rc == FL_INFLATE_STREAM_END)
        {
          self->z_end = TRUE;
          break;
        }
      if (rc == FL_INFLATE_OK && used == 0 && made == 0)
        {
          if (avail > 0)  /* cannot happen; never loop on it */
            return ft_fail (self, error, FL_ERROR_CORRUPT,
                            fl_stream_tell (self->stream),
                            "zlib stream: the decoder made no progress");
          self->z_eof = TRUE;
          break;
        }
      if (rc != FL_INFLATE_OK)
        return ft_fail (self, error, FL_ERROR_CORRUPT,
                        fl_stream_tell (self->stream),
                        "zlib stream is corrupt: %s",
                        fl_inflate_get_message (self->z));
    }
  self->win = self->pos = self->zbuf;
  self->end = self->zbuf + fill;
  return FL_STATUS_OK;
}

/* Everything but handing out a whole record: refills, part boundaries,
 * errors. Kept out of line so that ft_next() stays a few instructions. */
static __attribute__ ((noinline)) FlStatus
ft_next_slow (FtReader *self, FlFlow *flow, GError **error)
{
  for (;;)
    {
      const guint8 *r = self->pos;
      gsize left = (gsize) (self->end - r);

      if (left >= 2 && self->body == FT_BODY_PLAIN &&
          r[0] == FT_MAGIC1 && r[1] == FT_MAGIC2 && r != self->no_magic_check)
        {
          /* a second file joined with cat, or a record that starts with
           * the magic: try the header, fall back to a record */
          fl_stream_consume (self->stream, (gsize) (r - self->win));
          self->win = self->pos = self->end = NULL;
          if (!ft_try_next_part (self, NULL))
            {
              FlStatus st = ft_refill_plain (self, error);

              if (st != FL_STATUS_OK)
                {
                  self->status = st;
                  return st;
                }
              if ((gsize) (self->end - self->pos) < self->rec_size)
                return ft_fail_partial (self, error);
              self->no_magic_check = self->pos;
            }
          continue;
        }
      if (left >= self->rec_size)
        {
          self->decode (self, r, flow);
          flow->present = self->present;
          self->pos = r + self->rec_size;
          return FL_STATUS_OK;
        }
      {
        FlStatus st = self->body == FT_BODY_PLAIN
                        ? ft_refill_plain (self, error)
                        : ft_refill_zlib (self, error);
        if (st != FL_STATUS_OK)
          {
            self->status = st;
            return st;
          }
      }
    }
}

static FlStatus
ft_next (gpointer handle, FlFlow *flow, GError **error)
{
  FtReader *self = handle;
  const guint8 *r = self->pos;

  /* Fast path: a whole record in the window that cannot be a second
   * header (self->magic_check is TRUE only for raw bodies). */
  if (G_LIKELY ((gsize) (self->end - r) >= self->rec_size &&
                self->status == FL_STATUS_OK &&
                !(self->magic_check && r[0] == FT_MAGIC1)))
    {
      if (self->fast == FT_FAST_V5_LE)
        decode_v5_family (r, flow, FALSE, 5);
      else if (self->fast == FT_FAST_V5_BE)
        decode_v5_family (r, flow, TRUE, 5);
      else
        self->decode (self, r, flow);
      flow->present = self->present;
      self->pos = r + self->rec_size;
      return FL_STATUS_OK;
    }
  if (self->status != FL_STATUS_OK)
    return self->status;
  return ft_next_slow (self, flow, error);
}

static void
ft_close (gpointer handle)
{
  FtReader *self = handle;

  if (self == NULL)
    return;
  /* give back what was not handed out: keeps the stream's offset honest */
  if (self->body == FT_BODY_PLAIN && self->win != NULL)
    fl_stream_consume (self->stream, (gsize) (self->pos - self->win));
  fl_inflate_free (self->z);
  g_free (self->zbuf);
  ft_header_clear (&self->first);
  g_free (self);
}

static gpointer
ft_open (FlStream *stream, const FlOptions *options, GError **error)
{
  FtReader *self = g_new0 (FtReader, 1);

  self->stream = stream;
  self->status = FL_STATUS_OK;
  if (!ft_read_header (self, &self->first, FALSE, TRUE, error) ||
      !ft_start_part (self, &self->first, error))
    {
      ft_close (self);
      return NULL;
    }
  return self;
}

/* ------------------------------------------------------------ info */

static void
info_u32 (FlInfoFunc func, gpointer user_data, const char *key, guint32 v)
{
  char buf[16];

  g_snprintf (buf, sizeof buf, "%u", v);
  func (key, buf, user_data);
}

static void
info_time (FlInfoFunc func, gpointer user_data, const char *key, guint32 t)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc ((gint64) t);
  g_autofree char *iso = dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ")
                            : g_strdup ("?");
  g_autofree char *s = g_strdup_printf ("%s (%u)", iso, t);

  func (key, s, user_data);
}

static void
ft_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  FtReader *self = handle;
  const FtHeader *h = &self->first;
  static const char *const flag_names[] = {
    "DONE", "COMPRESS", "MULT_PDU", "STREAMING", "XLATE", "PRELOADED",
  };
  char buf[64];

  info_u32 (func, user_data, "stream_version", h->stream_version);
  func ("byte_order", h->big_endian ? "big-endian" : "little-endian",
        user_data);
  info_u32 (func, user_data, "header_length", h->hlen);
  func ("export_version", h->layout->name, user_data);
  if (h->stream_version == 1 || h->d_version != h->layout->d_version)
    info_u32 (func, user_data, "stored_export_version", h->d_version);
  if (h->layout->d_version == 8)
    {
      g_snprintf (buf, sizeof buf, "%u (%s)", h->layout->agg_method,
                  ft_agg_names[h->layout->agg_method]);
      func ("agg_method", buf, user_data);
    }
  if (h->have & FT_HAVE_AGG_VER)
    info_u32 (func, user_data, "agg_version", h->agg_version);
  info_u32 (func, user_data, "record_size", h->layout->rec_size);
  func ("compressed", (h->flags & FT_FLAG_COMPRESS) ? "yes" : "no",
        user_data);
  if (h->have & FT_HAVE_FLAGS)
    {
      GString *s = g_string_new (NULL);
      guint32 rest = h->flags;

      g_string_printf (s, "0x%x", h->flags);
      for (guint i = 0; i < G_N_ELEMENTS (flag_names); i++)
        if (h->flags & (1u << i))
          {
            g_string_append (s, rest == h->flags ? " (" : "|");
            g_string_append (s, flag_names[i]);
            rest &= ~(1u << i);
          }
      if (rest != h->flags)
        g_string_append_c (s, ')');
      func ("flags", s->str, user_data);
      g_string_free (s, TRUE);
      /* flow-header's reading of DONE/STREAMING (§8 item 9) */
      func ("state", (h->flags & FT_FLAG_STREAMING) ? "streaming"
                     : (h->flags & FT_FLAG_DONE) ? "complete"
                     : "incomplete (not closed by its writer)", user_data);
    }
  if (h->have & FT_HAVE_CAP_START)
    info_time (func, user_data, "capture_start", h->cap_start);
  if (h->have & FT_HAVE_CAP_END)
    info_time (func, user_data, "capture_end", h->cap_end);
  if (h->have & FT_HAVE_COUNT)
    info_u32 (func, user_data, "flow_count", h->flow_count);
  if (h->have & FT_HAVE_LOST)
    info_u32 (func, user_data, "flows_lost", h->flows_lost);
  if (h->have & FT_HAVE_MISORDERED)
    info_u32 (func, user_data, "flows_misordered", h->misordered);
  if (h->have & FT_HAVE_CORRUPT)
    info_u32 (func, user_data, "pkt_corrupt", h->pkt_corrupt);
  if (h->have & FT_HAVE_SEQ_RESET)
    info_u32 (func, user_data, "seq_reset", h->seq_reset);
  if (h->have & FT_HAVE_ROT)
    info_u32 (func, user_data, "rot_schedule", h->rot_schedule);
  if (h->have & FT_HAVE_VENDOR)
    info_u32 (func, user_data, "vendor", h->vendor);
  if (h->have & FT_HAVE_EXPORTER)
    {
      g_snprintf (buf, sizeof buf, "%u.%u.%u.%u", h->exporter_ip >> 24,
                  (h->exporter_ip >> 16) & 0xff, (h->exporter_ip >> 8) & 0xff,
                  h->exporter_ip & 0xff);
      func ("exporter_ip", buf, user_data);
    }
  if (h->hostname != NULL)
    func ("hostname", h->hostname, user_data);
  if (h->comments != NULL)
    func ("comments", h->comments, user_data);
  if (h->if_names != NULL && h->if_names->len > 0)
    func ("interface_names", h->if_names->str, user_data);
}

/* ------------------------------------------------------------ time range */

/* The span the header gives the core's time window (ABI 1.1), from a file
 * its writer closed (DONE; flow-capture leaves CAP_END 0 while writing).
 * CAP_END is when the collector closed the file: every flow in it was
 * exported by then, so no flow's `first` is later than the end of that
 * second. CAP_START, when the file was opened, bounds nothing: a flow
 * exported after it may have started long before (active timeout), so the
 * span starts at the beginning of time and only a window after CAP_END
 * skips the file. Both are the collector's clock, the flows the router's:
 * a router clock ahead of the collector's breaks the bound, as it does
 * nfdump's. Only the first part's header counts (a later part of a
 * concatenation has its own). */
static gboolean
ft_time_range (gpointer handle, gint64 *first, gint64 *last)
{
  const FtHeader *h = &((FtReader *) handle)->first;

  if (!(h->have & FT_HAVE_CAP_END) || h->cap_end == 0
      || !(h->have & FT_HAVE_FLAGS) || !(h->flags & FT_FLAG_DONE)
      || (h->flags & FT_FLAG_STREAMING))
    return FALSE;
  *first = G_MININT64;
  *last = ((gint64) h->cap_end + 1) * G_GINT64_CONSTANT (1000000000) - 1;
  return TRUE;
}

/* ------------------------------------------------------------ probe */

static int
ft_probe (FlProbe *probe)
{
  const guint8 *p;
  gsize avail;
  gint64 length = fl_probe_get_length (probe);
  FtHeader h;
  g_autoptr (GError) error = NULL;

  p = fl_probe_peek (probe, FL_PROBE_PEEK_MAX, &avail);
  if (p == NULL || avail < 2 || p[0] != FT_MAGIC1 || p[1] != FT_MAGIC2)
    return FL_PROBE_NONE;
  /* From here on the magic matched: a broken header still scores
   * POSSIBLE so that open() reports what exactly is wrong. */
  if (!ft_header_length (p, avail, 0, length, &h, &error))
    {
      fl_probe_set_reason (probe, "flow-tools magic, broken header: %s",
                           error->message);
      return FL_PROBE_POSSIBLE;
    }
  if (h.hlen > avail)
    {
      if (length < 0 && avail < FL_PROBE_PEEK_MAX)
        {
          fl_probe_set_reason (probe, "flow-tools header longer than the "
                               "input (%u > %" G_GSIZE_FORMAT " bytes)",
                               h.hlen, avail);
          return FL_PROBE_POSSIBLE;
        }
      /* a header beyond the probe window: preamble verified only */
      return FL_PROBE_LIKELY;
    }
  if (!ft_header_parse (p, 0, &h, &error))
    {
      fl_probe_set_reason (probe, "flow-tools magic, broken header: %s",
                           error->message);
      return FL_PROBE_POSSIBLE;
    }
  return FL_PROBE_CERTAIN;
}

static const FlReaderClass ft_reader_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "flowtools",
  .description = "flow-tools files (stream v1/v3, NetFlow v1/5/6/7/8.x/1005, "
                 "raw or zlib; inflate: " FL_INFLATE_BACKEND "), native",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_MAGIC,
  .priority = 10,
  .probe = ft_probe,
  .open = ft_open,
  .next = ft_next,
  .close = ft_close,
  .info = ft_info,
  .time_range = ft_time_range,
  .family = "flowtools",
};

/* the version says which inflater: "1.0+isal" or "1.0+zlib" */
FL_PLUGIN_DEFINE ("flowtools", "1.0+" FL_INFLATE_TAG, &ft_reader_class);

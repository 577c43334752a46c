/* SPDX-License-Identifier: MIT */
/*
 * flowd.c: native reader for flowd's binary flow logs (store v3, and the
 * legacy store v2 with its 16-byte file header), detected automatically.
 * Layout notes: docs/formats/flowd.md of the shared documentation.
 *
 * Decisions written down here (design.md asks for it):
 *
 * - One reader, "flowd", probe class HEURISTIC: a v3 log has no magic, so its
 *   probe walks the first records and scores by how many verify (never 100).
 *   The one exception: a v2 file header (magic 0x012CF047 + version 2) is a
 *   real magic and scores 100. Keeping both versions in one reader means
 *   `--format flowd` reads either, and concatenations of v2 and v3 logs
 *   (a v2 header may reappear at any record boundary) just work.
 * - An empty input scores 0: an empty flowd v3 log is valid, but nothing in it
 *   identifies flowd, so a heuristic cannot claim it. `--format flowd` reads it
 *   as 0 flows.
 * - Minor version 0 with unknown field bits, both the v4 and the v6 bit of one
 *   address, a length shorter than the fields need, a length of more than 40
 *   words (the largest record with known fields) or a bad CRC: FL_ERROR_CORRUPT
 *   at the record's offset, after every flow before it.
 * - Minor > 0 (a newer writer): unknown fields are skipped via the length;
 *   the CRC (then taken from the last 4 body bytes) covers the header and the
 *   known fields only, as flowd-reader does.
 * - A record cut short by the end of the input: FL_ERROR_TRUNCATED, unless its
 *   length was already inconsistent with its fields (longer than they need,
 *   minor 0), in which case the length, not the input, is wrong: CORRUPT.
 * - flowd's CRC32 (flowd-crc.c): reflected polynomial 0xEDB88320, initial
 *   value 0, no final XOR; PCLMULQDQ folding where the CPU has it.
 */
#include <flowread/flowread-plugin.h>

#include "flowd-crc.h"

#define FLOWD_V2_MAGIC    0x012CF047u
#define FLOWD_V2_HDR_LEN  16

/* Field bits (identical numbering in v2 and v3). */
enum {
  F_TAG          = 1u << 0,
  F_RECV_TIME    = 1u << 1,
  F_PROTO        = 1u << 2,
  F_AGENT4       = 1u << 3,
  F_AGENT6       = 1u << 4,
  F_SRC4         = 1u << 5,
  F_SRC6         = 1u << 6,
  F_DST4         = 1u << 7,
  F_DST6         = 1u << 8,
  F_GW4          = 1u << 9,
  F_GW6          = 1u << 10,
  F_PORTS        = 1u << 11,
  F_PACKETS      = 1u << 12,
  F_OCTETS       = 1u << 13,
  F_IFNDX        = 1u << 14,
  F_AGENT_INFO   = 1u << 15,
  F_FLOW_TIMES   = 1u << 16,
  F_AS           = 1u << 17,
  F_ENGINE       = 1u << 18,
  F_CRC          = 1u << 30,
};
#define F_KNOWN     0x4007FFFFu
/* The v4 bit of each address pair (the v6 bit is the next one up). */
#define F_V4_BITS   (F_AGENT4 | F_SRC4 | F_DST4 | F_GW4)

/* Field sizes by class, so a record's size is four popcounts instead of a
 * loop over 20 bits: it is computed for every record. */
#define V3_SZ4  (F_TAG | F_PROTO | F_AGENT4 | F_SRC4 | F_DST4 | F_GW4 | F_PORTS | F_CRC)
#define V3_SZ8  (F_RECV_TIME | F_PACKETS | F_OCTETS | F_IFNDX | F_FLOW_TIMES)
#define V3_SZ12 (F_AS | F_ENGINE)
#define V3_SZ16 (F_AGENT6 | F_SRC6 | F_DST6 | F_GW6 | F_AGENT_INFO)
#define V2_SZ4  (F_TAG | F_RECV_TIME | F_PROTO | F_AGENT4 | F_SRC4 | F_DST4 | \
                 F_GW4 | F_PORTS | F_IFNDX | F_CRC)
#define V2_SZ8  (F_PACKETS | F_OCTETS | F_FLOW_TIMES | F_AS | F_ENGINE)
#define V2_SZ16 V3_SZ16

/* Largest v3 record: 8-byte header + 255 words. */
#define FLOWD_MAX_RECORD  (8 + 255 * 4)
/* Largest minor-0 body in words: every known field, IPv6 addresses, CRC. */
#define FLOWD_MAX_KNOWN_WORDS 40
/* Bytes asked of the stream at a time: big, so that records are parsed in
 * place and the stream is touched once per ~2000 flows. */
#define FLOWD_CHUNK  (256 * 1024)

/* Without -mpopcnt, __builtin_popcount() is a libgcc call: SWAR instead. */
static inline guint
popcount32 (guint32 v)
{
  v = v - ((v >> 1) & 0x55555555u);
  v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
  v = (v + (v >> 4)) & 0x0F0F0F0Fu;
  return (v * 0x01010101u) >> 24;
}

static inline guint
v3_fields_size (guint32 f)
{
  return 4 * popcount32 (f & V3_SZ4) + 8 * popcount32 (f & V3_SZ8) +
         12 * popcount32 (f & V3_SZ12) + 16 * popcount32 (f & V3_SZ16);
}

static inline guint
v2_fields_size (guint32 f)
{
  return 4 * popcount32 (f & V2_SZ4) + 8 * popcount32 (f & V2_SZ8) +
         16 * popcount32 (f & V2_SZ16);
}

/* Name of the first address with both its v4 and its v6 bit, or NULL. */
static const char *
both_families (guint32 f)
{
  guint32 both = f & (f >> 1) & F_V4_BITS;

  if (both == 0)
    return NULL;
  if (both & F_AGENT4)
    return "agent";
  if (both & F_SRC4)
    return "src";
  if (both & F_DST4)
    return "dst";
  return "gateway";
}

/* ------------------------------------------------------------ record check */

typedef enum {
  REC_OK,
  REC_END,        /* no bytes left at EOF */
  REC_NEED_MORE,  /* not enough bytes yet, and not at EOF */
  REC_TRUNCATED,  /* EOF inside the record */
  REC_CORRUPT,
  REC_VERSION,    /* major version is not 3 */
} RecStatus;

typedef struct {
  guint32 fields;    /* known fields only */
  guint   size;      /* whole record, header included */
  gboolean has_crc;
  char    why[96];   /* for REC_CORRUPT / REC_VERSION */
} RecInfo;

/* TRUE when the CRC of p[0, len) is want; else FALSE with ri->why. */
static gboolean
crc_matches (const guint8 *p, gsize len, guint32 want, RecInfo *ri)
{
  guint32 got = flowd_crc (p, len);

  if (got == want)
    return TRUE;
  g_snprintf (ri->why, sizeof ri->why,
              "record checksum mismatch (stored %08x, computed %08x)", want, got);
  return FALSE;
}

/* Checks the v3 record at p (have bytes available, at_eof when no more
 * follow) without decoding it. */
static RecStatus
check_v3 (const guint8 *p, gsize have, gboolean at_eof, RecInfo *ri)
{
  guint32 fields, unknown, known;
  guint minor, body, need;
  const char *both;

  if (have < 8)
    {
      if (!at_eof)
        return REC_NEED_MORE;
      return have == 0 ? REC_END : REC_TRUNCATED;
    }
  if ((p[0] >> 5) != 3)
    {
      g_snprintf (ri->why, sizeof ri->why,
                  "unsupported store version %u.%u (byte 0x%02x)",
                  p[0] >> 5, p[0] & 31u, p[0]);
      return REC_VERSION;
    }
  minor = p[0] & 31u;
  body = p[1] * 4u;
  fields = fl_read_u32_be (p + 4);
  unknown = fields & ~F_KNOWN;
  known = fields & F_KNOWN;

  if (unknown != 0 && minor == 0)
    {
      g_snprintf (ri->why, sizeof ri->why,
                  "unknown field bits 0x%08x in a version 3.0 record", unknown);
      return REC_CORRUPT;
    }
  if ((both = both_families (fields)) != NULL)
    {
      g_snprintf (ri->why, sizeof ri->why,
                  "record has both an IPv4 and an IPv6 %s address", both);
      return REC_CORRUPT;
    }
  need = v3_fields_size (known);
  if (body < need)
    {
      g_snprintf (ri->why, sizeof ri->why,
                  "record length %u is shorter than its fields (%u bytes)",
                  body, need);
      return REC_CORRUPT;
    }
  if (minor == 0 && p[1] > FLOWD_MAX_KNOWN_WORDS)
    {
      g_snprintf (ri->why, sizeof ri->why,
                  "record length %u exceeds the largest valid record (%u)",
                  body, FLOWD_MAX_KNOWN_WORDS * 4);
      return REC_CORRUPT;
    }
  if (have < 8u + body)
    {
      if (!at_eof)
        return REC_NEED_MORE;
      /* Unknown fields explain any extra length; otherwise a length longer
       * than the fields need and running off the input is a bad length. */
      if (body == need || unknown != 0)
        return REC_TRUNCATED;
      g_snprintf (ri->why, sizeof ri->why,
                  "record length %u runs past the end of the input "
                  "(its fields need %u)", body, need);
      return REC_CORRUPT;
    }
  if (known & F_CRC)
    {
      /* With unknown fields, flowd puts the CRC in the body's last word
       * and computes it over the header and the known fields only. */
      guint crc_at = unknown != 0 ? 8 + body - 4 : 8 + need - 4;

      if (!crc_matches (p, 8 + need - 4, fl_read_u32_be (p + crc_at), ri))
        return REC_CORRUPT;
    }
  ri->fields = known;
  ri->size = 8 + body;
  ri->has_crc = (known & F_CRC) != 0;
  return REC_OK;
}

/* Checks a v2 record (no header: a fields word, then the fields). */
static RecStatus
check_v2 (const guint8 *p, gsize have, gboolean at_eof, RecInfo *ri)
{
  guint32 fields;
  guint size;
  const char *both;

  if (have < 4)
    {
      if (!at_eof)
        return REC_NEED_MORE;
      return have == 0 ? REC_END : REC_TRUNCATED;
    }
  fields = fl_read_u32_be (p);
  if ((fields & ~F_KNOWN) != 0)
    {
      /* Without a length, unknown bits make the record size unknowable. */
      g_snprintf (ri->why, sizeof ri->why,
                  "unsupported v2 field bits 0x%08x", fields & ~F_KNOWN);
      return REC_CORRUPT;
    }
  if ((both = both_families (fields)) != NULL)
    {
      g_snprintf (ri->why, sizeof ri->why,
                  "record has both an IPv4 and an IPv6 %s address", both);
      return REC_CORRUPT;
    }
  size = 4 + v2_fields_size (fields);
  if (have < size)
    return at_eof ? REC_TRUNCATED : REC_NEED_MORE;
  if ((fields & F_CRC) && !crc_matches (p, size - 4, fl_read_u32_be (p + size - 4), ri))
    return REC_CORRUPT;
  ri->fields = fields;
  ri->size = size;
  ri->has_crc = (fields & F_CRC) != 0;
  return REC_OK;
}

/* ------------------------------------------------------------------ decode */

static inline const guint8 *
take_addr4 (FlAddr *a, const guint8 *q)
{
  memset (a, 0, sizeof *a);
  a->family = 4;
  memcpy (a->addr, q, 4);
  return q + 4;
}

static inline const guint8 *
take_addr6 (FlAddr *a, const guint8 *q)
{
  fl_addr_set_ipv6 (a, q);
  return q + 16;
}

/* Fills flow from the fields at q (the body: after the v3 header or the v2
 * fields word) and returns the FL_FIELD_BIT()s to add to flow->present,
 * which depend on f only. Lengths were checked by check_v3()/check_v2(). */
/* Inlined so that each caller gets a copy for its constant v2, and so that
 * the fast path, which has the bits already, does not compute them. */
static inline __attribute__ ((always_inline)) guint64
decode_fields (FlFlow *flow, guint32 f, const guint8 *q, gboolean v2)
{
  guint64 present = 0;

  if (f & F_TAG)
    {
      flow->tag = fl_read_u32_be (q);
      present |= FL_FIELD_BIT (FL_FIELD_TAG);
      q += 4;
    }
  if (f & F_RECV_TIME)
    {
      gint64 ns = (gint64) fl_read_u32_be (q) * G_GINT64_CONSTANT (1000000000);

      if (v2)
        q += 4;     /* v2 stores seconds only */
      else
        {
          ns += (gint64) fl_read_u32_be (q + 4) * 1000;   /* microseconds */
          q += 8;
        }
      flow->recv_time = ns;
      present |= FL_FIELD_BIT (FL_FIELD_RECV_TIME);
    }
  if (f & F_PROTO)
    {
      flow->tcp_flags = q[0];
      flow->prot = q[1];
      flow->tos = q[2];
      present |= FL_FIELD_BIT (FL_FIELD_TCP_FLAGS) | FL_FIELD_BIT (FL_FIELD_PROT) |
                 FL_FIELD_BIT (FL_FIELD_TOS);
      q += 4;
    }
  if (f & (F_AGENT4 | F_AGENT6))
    {
      q = (f & F_AGENT4) ? take_addr4 (&flow->exaddr, q) : take_addr6 (&flow->exaddr, q);
      present |= FL_FIELD_BIT (FL_FIELD_EXADDR);
    }
  if (f & (F_SRC4 | F_SRC6))
    {
      q = (f & F_SRC4) ? take_addr4 (&flow->srcaddr, q) : take_addr6 (&flow->srcaddr, q);
      present |= FL_FIELD_BIT (FL_FIELD_SRCADDR);
    }
  if (f & (F_DST4 | F_DST6))
    {
      q = (f & F_DST4) ? take_addr4 (&flow->dstaddr, q) : take_addr6 (&flow->dstaddr, q);
      present |= FL_FIELD_BIT (FL_FIELD_DSTADDR);
    }
  if (f & (F_GW4 | F_GW6))
    {
      q = (f & F_GW4) ? take_addr4 (&flow->nexthop, q) : take_addr6 (&flow->nexthop, q);
      present |= FL_FIELD_BIT (FL_FIELD_NEXTHOP);
    }
  if (f & F_PORTS)
    {
      flow->srcport = fl_read_u16_be (q);
      flow->dstport = fl_read_u16_be (q + 2);
      present |= FL_FIELD_BIT (FL_FIELD_SRCPORT) | FL_FIELD_BIT (FL_FIELD_DSTPORT);
      q += 4;
    }
  if (f & F_PACKETS)
    {
      /* Often not 8-byte aligned: read byte-wise. */
      flow->dPkts = fl_read_u64_be (q);
      present |= FL_FIELD_BIT (FL_FIELD_DPKTS);
      q += 8;
    }
  if (f & F_OCTETS)
    {
      flow->dOctets = fl_read_u64_be (q);
      present |= FL_FIELD_BIT (FL_FIELD_DOCTETS);
      q += 8;
    }
  if (f & F_IFNDX)
    {
      if (v2)
        {
          flow->input = fl_read_u16_be (q);
          flow->output = fl_read_u16_be (q + 2);
          q += 4;
        }
      else
        {
          flow->input = fl_read_u32_be (q);
          flow->output = fl_read_u32_be (q + 4);
          q += 8;
        }
      present |= FL_FIELD_BIT (FL_FIELD_INPUT) | FL_FIELD_BIT (FL_FIELD_OUTPUT);
    }
  if (f & F_AGENT_INFO)
    {
      flow->sysuptime = fl_read_u32_be (q);
      flow->unix_secs = fl_read_u32_be (q + 4);
      flow->unix_nsecs = fl_read_u32_be (q + 8);
      /* netflow_version at q + 12 has no FlFlow field. */
      q += 16;
    }
  if (f & F_FLOW_TIMES)
    {
      flow->uptime_first = fl_read_u32_be (q);
      flow->uptime_last = fl_read_u32_be (q + 4);
      q += 8;
    }
  if (f & F_AGENT_INFO)
    {
      /* The flow-tools raw times, for `-o flow-export`; without FLOW_TIMES
       * the uptimes read 0, as flowd-reader -c prints them. */
      if (!(f & F_FLOW_TIMES))
        flow->uptime_first = flow->uptime_last = 0;
      present |= FL_FIELD_BIT (FL_FIELD_FT_TIMES);
      if (f & F_FLOW_TIMES)
        {
          flow->first = fl_time_from_uptime (flow->unix_secs, flow->unix_nsecs,
                                          flow->sysuptime, flow->uptime_first);
          flow->last = fl_time_from_uptime (flow->unix_secs, flow->unix_nsecs,
                                         flow->sysuptime, flow->uptime_last);
          present |= FL_FIELD_BIT (FL_FIELD_FIRST) | FL_FIELD_BIT (FL_FIELD_LAST);
        }
    }
  if (f & F_AS)
    {
      if (v2)
        {
          flow->src_as = fl_read_u16_be (q);
          flow->dst_as = fl_read_u16_be (q + 2);
          flow->src_mask = q[4];
          flow->dst_mask = q[5];
          q += 8;
        }
      else
        {
          flow->src_as = fl_read_u32_be (q);
          flow->dst_as = fl_read_u32_be (q + 4);
          flow->src_mask = q[8];
          flow->dst_mask = q[9];
          q += 12;
        }
      present |= FL_FIELD_BIT (FL_FIELD_SRC_AS) | FL_FIELD_BIT (FL_FIELD_DST_AS) |
                 FL_FIELD_BIT (FL_FIELD_SRC_MASK) | FL_FIELD_BIT (FL_FIELD_DST_MASK);
    }
  if (f & F_ENGINE)
    {
      if (v2)
        {
          flow->engine_type = q[0];
          flow->engine_id = q[1];
        }
      else
        {
          /* u16 on disk (flowd stores v5's 8-bit values x256 on
           * little-endian hosts); assigned as is so that a wider FlFlow
           * member keeps the whole value. */
          flow->engine_type = fl_read_u16_be (q);
          flow->engine_id = fl_read_u16_be (q + 2);
        }
      present |= FL_FIELD_BIT (FL_FIELD_ENGINE_TYPE) | FL_FIELD_BIT (FL_FIELD_ENGINE_ID);
    }
  return present;
}

/* ------------------------------------------------------------------- probe */

/* Text: printable ASCII and line breaks. */
static gboolean
printable_ascii (const guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
        || p[i] > 0x7e)
      return FALSE;
  return TRUE;
}

/* Walks the records in the probe window; see the file comment. */
static int
flowd_probe (FlProbe *probe)
{
  gsize avail = 0, off = 0;
  const guint8 *p = fl_probe_peek (probe, FL_PROBE_PEEK_MAX, &avail);
  gboolean at_eof = avail < FL_PROBE_PEEK_MAX;
  guint n_crc = 0, n_plain = 0, n_empty = 0;
  gboolean bad = FALSE, exact_end = FALSE, cut_first = FALSE;
  int score;

  flowd_crc_init ();
  if (p == NULL || avail == 0)
    {
      fl_probe_set_reason (probe, "empty input: an empty flowd log has nothing "
                           "to recognise (use --format flowd)");
      return FL_PROBE_NONE;
    }
  if (avail >= 4 && fl_read_u32_be (p) == FLOWD_V2_MAGIC)
    {
      if (avail < FLOWD_V2_HDR_LEN)
        return FL_PROBE_LIKELY;
      if (fl_read_u32_be (p + 4) == 2)
        return FL_PROBE_CERTAIN;
      fl_probe_set_reason (probe, "flowd v2 magic with store version %u",
                           fl_read_u32_be (p + 4));
      return FL_PROBE_LIKELY;  /* ours; open() reports the version */
    }

  while (off < avail)
    {
      RecInfo ri;
      RecStatus st = check_v3 (p + off, avail - off, at_eof, &ri);

      if (st == REC_OK)
        {
          /* A minor > 0 record is only evidence with a verified CRC: its
           * unknown bits would otherwise let text through. */
          if (ri.has_crc)
            n_crc++;
          else if ((p[off] & 31u) != 0)
            ;
          else if (ri.fields != 0)
            n_plain++;
          else
            n_empty++;
          off += ri.size;
          continue;
        }
      if (st == REC_CORRUPT || st == REC_VERSION)
        bad = TRUE;
      /* The input ends inside its first record, whose header passed the
       * checks and is binary (a text line can pass them too): a truncated
       * log, which only we report as one. */
      cut_first = st == REC_TRUNCATED && off == 0 && avail >= 8
                  && !printable_ascii (p, 8);
      break;
    }
  exact_end = at_eof && off == avail;

  if (n_crc > 0)
    score = n_crc >= 8 ? 99 : n_crc >= 3 ? 95 : n_crc == 2 ? 90 : 80;
  else if (n_plain > 0)
    score = n_plain >= 32 ? 75 : n_plain >= 8 ? 70 : n_plain >= 3 ? 60 :
            n_plain == 2 ? 50 : 35;
  else if (n_empty > 0)
    score = n_empty >= 8 ? 30 : 15 + (int) n_empty;
  else if (cut_first)
    {
      fl_probe_set_reason (probe, "one flowd record header, cut short");
      return 20;
    }
  else
    {
      fl_probe_set_reason (probe, bad ? "first bytes are not a flowd record"
                           : "no complete flowd record in the probe window");
      return FL_PROBE_NONE;
    }
  if (exact_end && n_crc == 0)
    score += 4;   /* every byte accounted for */
  if (bad)
    score -= 10;  /* still ours: corrupt later on */
  if (n_crc == 0 && score > 79)
    score = 79;
  return CLAMP (score, FL_PROBE_MINIMUM, FL_PROBE_NEARLY);
}

/* ------------------------------------------------------------------ reader */

#define FLOWD_N_FAST 4

typedef struct {
  guint32 word0, fields;    /* the header's two words, as read (LE) */
  guint   size;             /* whole record; 0 = unused entry */
  guint   crc_len;          /* bytes the CRC covers, 0 = no CRC */
  guint64 present;          /* what decode_fields() returns for it */
} FastHeader;

typedef struct {
  FlStream     *stream;
  const guint8 *buf;       /* peeked, not yet consumed */
  gsize         avail;
  gsize         pos;       /* parsed up to here */
  guint64       base;      /* stream offset of buf[0] */
  gboolean      eof;       /* buf ends at the end of the input */
  guint         store_version;  /* 3, or 2 after a v2 header */
  gboolean      saw_v2;
  guint32       v2_start_time;
  /* The last few v3 record headers that passed check_v3(): a log has only
   * a few (v5 and v9 records alternate, for one), and for a known header
   * only the CRC is left to check. */
  FastHeader    fast[FLOWD_N_FAST];
  guint         fast_next;
  FlStatus      done;      /* sticky END/ERROR; OK while running */
} FlowdReader;

static gboolean
refill (FlowdReader *r, GError **error)
{
  GError *local = NULL;

  fl_stream_consume (r->stream, r->pos);
  r->base += r->pos;
  r->pos = 0;
  r->buf = fl_stream_peek (r->stream, FLOWD_CHUNK, &r->avail, &local);
  if (r->buf == NULL)
    {
      r->avail = 0;
      if (local != NULL)
        {
          g_propagate_error (error, local);
          return FALSE;
        }
    }
  r->eof = r->avail < FLOWD_CHUNK;
  return TRUE;
}

/* A v2 file header at the current position: checks it and skips it. */
static RecStatus
take_v2_header (FlowdReader *r, RecInfo *ri)
{
  const guint8 *p = r->buf + r->pos;
  guint32 version;

  if (r->avail - r->pos < FLOWD_V2_HDR_LEN)
    return r->eof ? REC_TRUNCATED : REC_NEED_MORE;
  version = fl_read_u32_be (p + 4);
  if (version != 2)
    {
      g_snprintf (ri->why, sizeof ri->why,
                  "flowd legacy header with unsupported version %u", version);
      return REC_VERSION;
    }
  r->v2_start_time = fl_read_u32_be (p + 8);
  r->store_version = 2;
  r->saw_v2 = TRUE;
  r->pos += FLOWD_V2_HDR_LEN;
  return REC_OK;
}

static gpointer
flowd_open (FlStream *stream, const FlOptions *options, GError **error)
{
  FlowdReader *r = g_new0 (FlowdReader, 1);

  flowd_crc_init ();
  r->stream = stream;
  r->store_version = 3;
  r->done = FL_STATUS_OK;
  if (!refill (r, error))
    {
      g_free (r);
      return NULL;
    }
  /* Read a leading v2 header now, so that info() can report it. */
  if (r->avail >= 4 && fl_read_u32_be (r->buf) == FLOWD_V2_MAGIC)
    {
      RecInfo ri;
      RecStatus st = take_v2_header (r, &ri);

      if (st == REC_TRUNCATED)
        {
          fl_set_error (error, FL_ERROR_TRUNCATED, 0,
                        "input ends inside the flowd v2 file header");
          g_free (r);
          return NULL;
        }
      if (st == REC_VERSION)
        {
          fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, 0, "%s", ri.why);
          g_free (r);
          return NULL;
        }
    }
  return r;
}

static FlStatus
fail (FlowdReader *r, GError **error, FlError code, guint64 offset,
      const char *why)
{
  fl_set_error (error, code, offset, "%s", why);
  r->done = FL_STATUS_ERROR;
  return FL_STATUS_ERROR;
}

/* Hands out the v3 record at r->pos if its header is one of r->fast and
 * it is whole in the buffer and its CRC verifies; FALSE otherwise, having
 * changed nothing. */
static inline __attribute__ ((always_inline)) gboolean
take_fast (FlowdReader *r, FlFlow *flow)
{
  const guint8 *p = r->buf + r->pos;
  gsize have = r->avail - r->pos;
  guint32 w0, w1;
  const FastHeader *fh = NULL;

  if (r->store_version != 3 || have < 8)
    return FALSE;
  w0 = fl_read_u32_le (p);
  w1 = fl_read_u32_le (p + 4);
  for (guint i = 0; i < FLOWD_N_FAST; i++)
    if (r->fast[i].word0 == w0 && r->fast[i].fields == w1 &&
        r->fast[i].size > 0)
      {
        fh = &r->fast[i];
        break;
      }
  if (fh == NULL || have < fh->size ||
      (fh->crc_len != 0 &&
       flowd_crc (p, fh->crc_len) != fl_read_u32_be (p + fh->crc_len)))
    return FALSE;
  decode_fields (flow, fl_read_u32_be (p + 4), p + 8, FALSE);
  flow->present |= fh->present;
  r->pos += fh->size;
  return TRUE;
}

/* Everything but the fast path: refills, new headers, v2, errors. */
static __attribute__ ((noinline)) FlStatus
flowd_next_slow (FlowdReader *r, FlFlow *flow, GError **error)
{
  if (r->done != FL_STATUS_OK)
    return r->done;

  for (;;)
    {
      const guint8 *p;
      gsize have;
      RecInfo ri;
      RecStatus st;
      guint64 offset;

      if (!r->eof && r->avail - r->pos < FLOWD_MAX_RECORD &&
          !refill (r, error))
        {
          r->done = FL_STATUS_ERROR;
          return FL_STATUS_ERROR;
        }
      p = r->buf + r->pos;
      have = r->avail - r->pos;
      offset = r->base + r->pos;

      if (take_fast (r, flow))
        return FL_STATUS_OK;
      /* else the full check below gives the right error */

      if (r->store_version == 3)
        {
          /* A concatenated v2 log: its header starts with 0x01, which no
           * v3 record can (major 0). */
          if (have >= 4 && p[0] == 0x01 && fl_read_u32_be (p) == FLOWD_V2_MAGIC)
            st = take_v2_header (r, &ri);
          else
            {
              st = check_v3 (p, have, r->eof, &ri);
              if (st == REC_OK)
                {
                  guint64 present = decode_fields (flow, ri.fields, p + 8, FALSE);

                  flow->present |= present;
                  /* Only minor 0 without unknown bits keeps the CRC right
                   * after the known fields, where the fast path looks. */
                  if (ri.fields == fl_read_u32_be (p + 4))
                    {
                      FastHeader *fh = &r->fast[r->fast_next++ % FLOWD_N_FAST];

                      fh->word0 = fl_read_u32_le (p);
                      fh->fields = fl_read_u32_le (p + 4);
                      fh->size = ri.size;
                      fh->crc_len = ri.has_crc ? 8 + v3_fields_size (ri.fields) - 4 : 0;
                      fh->present = present;
                    }
                }
            }
        }
      else
        {
          if (have >= 4 && fl_read_u32_be (p) == FLOWD_V2_MAGIC)
            st = take_v2_header (r, &ri);
          else if (have >= 1 && p[0] >= 0x60 && p[0] <= 0x7f)
            {
              /* A v3 log after a v2 one: as a v2 fields word this byte
               * would set bit 29, which v2 never defines. */
              r->store_version = 3;
              continue;
            }
          else
            {
              st = check_v2 (p, have, r->eof, &ri);
              if (st == REC_OK)
                flow->present |= decode_fields (flow, ri.fields, p + 4, TRUE);
            }
        }

      switch (st)
        {
        case REC_OK:
          if (p == r->buf + r->pos)  /* a record, not a skipped v2 header */
            {
              r->pos += ri.size;
              return FL_STATUS_OK;
            }
          continue;
        case REC_END:
          /* A short peek is the end of the stream or a failure of its
           * source (a wrapper's CRC error) held back until every good
           * byte was delivered: tell them apart. */
          if (fl_stream_failed (r->stream, error))
            {
              r->done = FL_STATUS_ERROR;
              return FL_STATUS_ERROR;
            }
          r->done = FL_STATUS_END;
          return FL_STATUS_END;
        case REC_NEED_MORE:
          /* Only possible when the chunk was not refilled: force it. */
          if (!refill (r, error))
            {
              r->done = FL_STATUS_ERROR;
              return FL_STATUS_ERROR;
            }
          if (r->avail - r->pos <= have && !r->eof)
            return fail (r, error, FL_ERROR_IO, offset,
                         "stream made no progress");
          continue;
        case REC_TRUNCATED:
          {
            char why[96];

            /* the source's own error (e.g. "gzip stream ends early") says
             * more than ours */
            if (fl_stream_failed (r->stream, error))
              {
                r->done = FL_STATUS_ERROR;
                return FL_STATUS_ERROR;
              }

            g_snprintf (why, sizeof why, "input ends inside a flowd %s "
                        "(%" G_GSIZE_FORMAT " bytes of it present)",
                        r->store_version == 2 && have >= 4 ? "v2 record" :
                        have < 8 ? "record header" : "record", have);
            return fail (r, error, FL_ERROR_TRUNCATED, offset, why);
          }
        case REC_VERSION:
          /* At the very start this is not (this version of) flowd at all;
           * later it is damage inside a flowd log. */
          return fail (r, error,
                       offset == 0 ? FL_ERROR_UNSUPPORTED_VERSION : FL_ERROR_CORRUPT,
                       offset, ri.why);
        case REC_CORRUPT:
        default:
          return fail (r, error, FL_ERROR_CORRUPT, offset, ri.why);
        }
    }
}

static FlStatus
flowd_next (gpointer handle, FlFlow *flow, GError **error)
{
  FlowdReader *r = handle;

  /* Fast path, kept small: a known header with the whole record (or the
   * end of the input) in the buffer, so no refill is due. */
  if (G_LIKELY (r->done == FL_STATUS_OK &&
                (r->eof || r->avail - r->pos >= FLOWD_MAX_RECORD) &&
                take_fast (r, flow)))
    return FL_STATUS_OK;
  return flowd_next_slow (r, flow, error);
}

static void
flowd_close (gpointer handle)
{
  FlowdReader *r = handle;

  if (r == NULL)
    return;
  /* Leave the stream where we stopped reading. */
  if (r->pos > 0)
    fl_stream_consume (r->stream, r->pos);
  g_free (r);
}

static void
flowd_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  FlowdReader *r = handle;

  func ("store_version", r->saw_v2 ? "2 (legacy)" : "3", user_data);
  func ("byte_order", "big-endian", user_data);
  if (r->saw_v2)
    {
      char buf[FL_TIME_STRLEN];

      func ("start_time",
            fl_time_to_string ((gint64) r->v2_start_time * G_GINT64_CONSTANT (1000000000), buf),
            user_data);
    }
}

static const FlReaderClass flowd_reader_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "flowd",
  .description = "flowd binary flow log (store v3, legacy v2)",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_HEURISTIC,
  .priority = 10,
  .probe = flowd_probe,
  .open = flowd_open,
  .next = flowd_next,
  .close = flowd_close,
  .info = flowd_info,
  .family = "flowd",
};

FL_PLUGIN_DEFINE ("flowd", "1.0", &flowd_reader_class);

/* SPDX-License-Identifier: MIT */
/*
 * fl-writer.c: the output formats of the flowread CLI (design.md section 3).
 *
 * Every writer formats its lines by hand straight into the writer's 64 KiB
 * buffer, which goes to stdio in big chunks: printf() per field, or even
 * fwrite() per line, costs more than reading the flow does, and the CLI's
 * benchmark wants `-o csv` within 2x of `-c`. Numbers and addresses go
 * through fl-format.h's branch-free formatters, and the json/csv loops over
 * the fields are unrolled so that each field has its own, well-predicted,
 * presence branch (bench/README.md has the figures). Lines stay in that buffer
 * until it fills or fl_writer_flush()/fl_writer_free(): a caller that also
 * writes to the FILE itself must flush the writer first.
 *
 * json  One object per flow and line, no spaces. Keys in output order
 *       (fl_field_get_output_order(): the core keys, then the extras in
 *       name order); absent fields are left out, so a flow with nothing
 *       present is `{}`. Times are RFC 3339 UTC with 9 fraction digits,
 *       addresses as fl_addr_to_string() prints them, MACs as
 *       "02:81:3e:ce:30:cc" and MPLS entries as nfdump's "label-exp-bos"
 *       (all quoted); numbers are unsigned decimal.
 * csv   A header line with every output field's name, in output order,
 *       then one line per flow with the values written exactly as json
 *       writes them but without quotes; an absent field is an empty cell.
 *       No value can contain a comma, a quote or a newline, so there is
 *       no quoting. One header per writer, even for several inputs: the
 *       output is one table. The text plugin reads it back.
 * text  An aligned table for people: first, srcaddr, srcport ("sport"),
 *       dstaddr, dstport ("dport"), prot, dPkts, dOctets in fixed-width
 *       columns (a value longer than its column widens that row only);
 *       "-" marks an absent field.
 * fl_writer_set_fields() (`--fields`) replaces the columns of all three by
 *       a list, in its order (the text table then heads them with their
 *       field names).
 * flow-export
 *       flow-export -f2's layout (docs/formats/flow-tools.md section 6.2),
 *       quirks included: a "#:" header, then comma-separated raw values. The
 *       column set is the reader's "export_version" info (native flow-tools
 *       plugin), else v5. The raw time columns come from FL_FIELD_FT_TIMES
 *       when the flow has them; otherwise they are synthesized (see
 *       fe_synth_times()). Absent addresses print as 0.0.0.0, absent numbers
 *       as 0. The header is printed for the first input and again whenever a
 *       later input needs another column set.
 */
#include "fl-writer.h"
#include "fl-format.h"
#include "fl-flow-export.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* Longest line any writer can produce is well below this: 68 fields of
 * at most FL_ADDR_STRLEN characters plus their keys. */
#define LINE_BUF 8192
/* Lines are formatted straight into this buffer and handed to stdio in
 * big chunks: one fwrite() per flow costs as much as formatting it. */
#define OUT_BUF (64 * 1024)
/* ",\"flow_end_reason\":" is the longest json key, 19 bytes */
#define JSON_KEY_SLOT 24

/* A writer and its FILE belong to one thread (fl-writer.h): skip stdio's
 * lock where the C library lets us. */
#ifdef __GLIBC__
#define FL_FWRITE fwrite_unlocked
#else
#define FL_FWRITE fwrite
#endif

/* ------------------------------------------------------------------ fields */

/* The core keys (design.md section 3, first .. engine_id) come first in
 * fl_field_get_output_order() and their ids are their positions there
 * (checked in fl_writer_new()). Every flow has most of them, so they take
 * the unrolled fast path below, with their offsets compiled in. The extras
 * that follow (flow-tools' and nfcapd's, in name order) are fewer, and only
 * the present ones are visited, in output order (extras_present()). */
#define N_CORE_FIELDS (FL_FIELD_ENGINE_ID + 1)
#define CORE_MASK ((G_GUINT64_CONSTANT (1) << N_CORE_FIELDS) - 1)
#define EXTRA_MASK_LO (~CORE_MASK & ~FL_FIELD_BIT (FL_FIELD_FT_TIMES))

/* How a field's member is printed; the uint kinds are its width. */
typedef enum {
  KIND_NONE, /* FL_FIELD_FT_TIMES: never printed */
  KIND_U8,
  KIND_U16,
  KIND_U32,
  KIND_U64,
  KIND_TIME,
  KIND_ADDR,
  KIND_MAC,
  KIND_MPLS,
} FieldKind;

/* Where each field lives in FlFlow, and how it prints: the writers read
 * every field through this table, so a field costs one (for the unrolled
 * core keys: no) switch on its kind, and no call into libflowread's
 * generic getters (fl_flow_get_uint() and friends check the id, the type
 * and the struct size on every call, through the PLT). The layout is
 * flowread.h's public FlFlow; fl_writer_new() checks every kind against
 * fl_field_get_type(). For times, `slot` is the field's TimeCache. */
typedef struct {
  guint16 offset;
  guint8  kind;
  guint8  slot;
} FieldDesc;

#define UINT_KIND(m) (sizeof (((FlFlow *) 0)->m) == 1 ? KIND_U8 :  \
                      sizeof (((FlFlow *) 0)->m) == 2 ? KIND_U16 : \
                      sizeof (((FlFlow *) 0)->m) == 4 ? KIND_U32 : KIND_U64)
#define UINT_FIELD(f, m) [f] = { offsetof (FlFlow, m), UINT_KIND (m), 0 }
#define TIME_FIELD(f, m, slot) [f] = { offsetof (FlFlow, m), KIND_TIME, slot }
#define ADDR_FIELD(f, m) [f] = { offsetof (FlFlow, m), KIND_ADDR, 0 }
#define MAC_FIELD(f, m) [f] = { offsetof (FlFlow, m), KIND_MAC, 0 }
#define MPLS_FIELD(i) [FL_FIELD_MPLS_1 + i] = { offsetof (FlFlow, mpls[i]), KIND_MPLS, 0 }

static const FieldDesc field_desc[FL_N_FIELDS] = {
  TIME_FIELD (FL_FIELD_FIRST, first, 0),
  TIME_FIELD (FL_FIELD_LAST, last, 1),
  ADDR_FIELD (FL_FIELD_SRCADDR, srcaddr),
  ADDR_FIELD (FL_FIELD_DSTADDR, dstaddr),
  UINT_FIELD (FL_FIELD_SRCPORT, srcport),
  UINT_FIELD (FL_FIELD_DSTPORT, dstport),
  UINT_FIELD (FL_FIELD_PROT, prot),
  UINT_FIELD (FL_FIELD_DPKTS, dPkts),
  UINT_FIELD (FL_FIELD_DOCTETS, dOctets),
  UINT_FIELD (FL_FIELD_TCP_FLAGS, tcp_flags),
  UINT_FIELD (FL_FIELD_TOS, tos),
  UINT_FIELD (FL_FIELD_INPUT, input),
  UINT_FIELD (FL_FIELD_OUTPUT, output),
  ADDR_FIELD (FL_FIELD_NEXTHOP, nexthop),
  ADDR_FIELD (FL_FIELD_EXADDR, exaddr),
  UINT_FIELD (FL_FIELD_SRC_AS, src_as),
  UINT_FIELD (FL_FIELD_DST_AS, dst_as),
  UINT_FIELD (FL_FIELD_SRC_MASK, src_mask),
  UINT_FIELD (FL_FIELD_DST_MASK, dst_mask),
  UINT_FIELD (FL_FIELD_ENGINE_TYPE, engine_type),
  UINT_FIELD (FL_FIELD_ENGINE_ID, engine_id),
  UINT_FIELD (FL_FIELD_DFLOWS, dFlows),
  UINT_FIELD (FL_FIELD_DST_TAG, dst_tag),
  UINT_FIELD (FL_FIELD_EXTRA_PKTS, extra_pkts),
  UINT_FIELD (FL_FIELD_IN_ENCAPS, in_encaps),
  UINT_FIELD (FL_FIELD_MARKED_TOS, marked_tos),
  UINT_FIELD (FL_FIELD_OUT_ENCAPS, out_encaps),
  ADDR_FIELD (FL_FIELD_PEER_NEXTHOP, peer_nexthop),
  TIME_FIELD (FL_FIELD_RECV_TIME, recv_time, 2),
  ADDR_FIELD (FL_FIELD_ROUTER_SC, router_sc),
  UINT_FIELD (FL_FIELD_SRC_TAG, src_tag),
  UINT_FIELD (FL_FIELD_TAG, tag),
  /* ABI 1.1 */
  UINT_FIELD (FL_FIELD_FWD_STATUS, fwd_status),
  UINT_FIELD (FL_FIELD_DST_TOS, dst_tos),
  UINT_FIELD (FL_FIELD_DIRECTION, direction),
  UINT_FIELD (FL_FIELD_BIFLOW_DIR, biflow_dir),
  UINT_FIELD (FL_FIELD_FLOW_END_REASON, flow_end_reason),
  UINT_FIELD (FL_FIELD_OUT_PACKETS, out_packets),
  UINT_FIELD (FL_FIELD_OUT_BYTES, out_bytes),
  UINT_FIELD (FL_FIELD_SRC_VLAN, src_vlan),
  UINT_FIELD (FL_FIELD_DST_VLAN, dst_vlan),
  UINT_FIELD (FL_FIELD_NEXT_AS, next_as),
  UINT_FIELD (FL_FIELD_PREV_AS, prev_as),
  ADDR_FIELD (FL_FIELD_BGP_NEXTHOP, bgp_nexthop),
  MPLS_FIELD (0), MPLS_FIELD (1), MPLS_FIELD (2), MPLS_FIELD (3), MPLS_FIELD (4),
  MPLS_FIELD (5), MPLS_FIELD (6), MPLS_FIELD (7), MPLS_FIELD (8), MPLS_FIELD (9),
  MAC_FIELD (FL_FIELD_IN_SRC_MAC, in_src_mac),
  MAC_FIELD (FL_FIELD_OUT_DST_MAC, out_dst_mac),
  MAC_FIELD (FL_FIELD_IN_DST_MAC, in_dst_mac),
  MAC_FIELD (FL_FIELD_OUT_SRC_MAC, out_src_mac),
  UINT_FIELD (FL_FIELD_CLI_LATENCY_US, cli_latency_us),
  UINT_FIELD (FL_FIELD_SRV_LATENCY_US, srv_latency_us),
  UINT_FIELD (FL_FIELD_APP_LATENCY_US, app_latency_us),
  ADDR_FIELD (FL_FIELD_SRC_XLT_IP, src_xlt_ip),
  ADDR_FIELD (FL_FIELD_DST_XLT_IP, dst_xlt_ip),
  UINT_FIELD (FL_FIELD_SRC_XLT_PORT, src_xlt_port),
  UINT_FIELD (FL_FIELD_DST_XLT_PORT, dst_xlt_port),
  UINT_FIELD (FL_FIELD_INGRESS_VRF, ingress_vrf),
  UINT_FIELD (FL_FIELD_EGRESS_VRF, egress_vrf),
  UINT_FIELD (FL_FIELD_FLOW_ID, flow_id),
};

/* The size of a kind's member, and its FlFieldType (fl_writer_new()). */
static const struct { guint8 size, type; } kind_info[] = {
  [KIND_NONE] = { 0, FL_TYPE_INTERNAL },
  [KIND_U8] = { 1, FL_TYPE_UINT },
  [KIND_U16] = { 2, FL_TYPE_UINT },
  [KIND_U32] = { 4, FL_TYPE_UINT },
  [KIND_U64] = { 8, FL_TYPE_UINT },
  [KIND_TIME] = { 8, FL_TYPE_TIME },
  [KIND_ADDR] = { sizeof (FlAddr), FL_TYPE_ADDR },
  [KIND_MAC] = { 6, FL_TYPE_MAC },
  [KIND_MPLS] = { 4, FL_TYPE_MPLS },
};

/* ------------------------------------------------------------------ formatting */

static const char digit_pairs[201] =
  "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
  "8081828384858687888990919293949596979899";

static inline char *
put_str (char *p, const char *s, gsize len)
{
  memcpy (p, s, len);
  return p + len;
}

/* fl_time_to_string() for one day, reused while the day does not change
 * (the flows of a file usually share it): the time of day and the 9
 * fraction digits are written over the copy in the output by hand. This
 * relies on RFC 3339's fixed tail "THH:MM:SS.NNNNNNNNNZ", checked when the
 * cache is filled; any other form is never cached. The time of day's
 * digits are kept for the last second seen (a file's `first` times mostly
 * share it, its `last` times mostly do not). The cached text itself is
 * never patched: a wide load of bytes that were just stored piecewise
 * stalls on store forwarding, and `last` would pay that on every flow. */
typedef struct {
  gboolean valid;
  gint64   day;       /* the day text[] holds, valid only */
  gint64   sec;       /* the second hms holds */
  guint64  hms;       /* "HH:MM:SS" of sec, as it is stored */
  gsize    len;
  char     text[FL_TIME_STRLEN];
} TimeCache;

#define TIME_TAIL 19 /* "HH:MM:SS.NNNNNNNNNZ" */

static __attribute__ ((noinline)) void
time_cache_fill (TimeCache *c, gint64 ns, gint64 day)
{
  const char *t = c->text;
  gsize n;

  fl_time_to_string (ns, c->text);
  n = c->len = strnlen (c->text, FL_TIME_STRLEN - 1);
  c->valid = n > TIME_TAIL && t[n - 20] == 'T' && t[n - 17] == ':' &&
             t[n - 14] == ':' && t[n - 11] == '.' && t[n - 1] == 'Z';
  c->day = day;
  c->sec = G_MININT64;
}

/* "HH:MM:SS" of a second of the day as the 8 bytes it is stored as, put
 * together in a register (pieced together in memory, it would be read back
 * with the same store-forwarding stall). */
static inline guint64
pack_hms (guint32 sod)
{
  guint16 h, m, s;

  memcpy (&h, digit_pairs + 2 * (sod / 3600), 2);
  memcpy (&m, digit_pairs + 2 * (sod / 60 % 60), 2);
  memcpy (&s, digit_pairs + 2 * (sod % 60), 2);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return h | (guint64) ':' << 16 | (guint64) m << 24 | (guint64) ':' << 40 |
         (guint64) s << 48;
#else
  return (guint64) h << 48 | (guint64) ':' << 40 | (guint64) m << 24 |
         (guint64) ':' << 16 | s;
#endif
}

/* Inlined: the writers' unrolled loops know which cache each call uses. */
static inline __attribute__ ((always_inline)) char *
put_time (TimeCache *c, char *p, gint64 ns)
{
  gint64 sec = ns / 1000000000;
  gint64 frac = ns % 1000000000;

  if (frac < 0)
    {
      frac += 1000000000;
      sec--;
    }
  /* not G_UNLIKELY: that would compile the divisions below as idiv */
  if (!c->valid || c->sec != sec)
    {
      gint64 day = sec / 86400;
      gint64 sod = sec % 86400;

      if (sod < 0)
        {
          sod += 86400;
          day--;
        }
      if (G_UNLIKELY (!c->valid || c->day != day))
        {
          time_cache_fill (c, ns, day);
          if (!c->valid)
            return put_str (p, c->text, c->len);
        }
      c->hms = pack_hms ((guint32) sod);
      c->sec = sec;
    }
  if (G_LIKELY (c->len == 30)) /* four-digit years: constant-size copy */
    p = put_str (p, c->text, 30);
  else
    p = put_str (p, c->text, c->len);
  memcpy (p - TIME_TAIL, &c->hms, 8);
  _fl_put_nine_digits (p - 10, (guint32) frac);
  return p;
}

/* ------------------------------------------------------------------ flow-export */

/* Sysuptime of a synthesized flow-export row: 2^31 ms (24.8 days), so a
 * flow up to that long needs no uptime wrap to express. */
#define FE_SYNTH_SYSUPTIME G_GUINT64_CONSTANT (2147483648)

typedef struct {
  guint32 unix_secs, unix_nsecs, sysuptime, first, last;
} FeTimes;

/* The raw flow-tools times of a flow that has none (flowd, text, nfdump):
 * the export time is `last` (else `first`, else 0), split into unix_secs
 * and unix_nsecs; sysuptime is FE_SYNTH_SYSUPTIME; the uptime of last is
 * sysuptime and the uptime of first is sysuptime minus (last - first) in
 * whole milliseconds (truncated), modulo 2^32. Read back with the time rule
 * of design.md section 2 this gives `last` exactly and `first` to the
 * millisecond. */
static void
fe_synth_times (const FlFlow *flow, FeTimes *t)
{
  gboolean has_first = fl_flow_has (flow, FL_FIELD_FIRST);
  gboolean has_last = fl_flow_has (flow, FL_FIELD_LAST);
  gint64 ref = has_last ? flow->last : has_first ? flow->first : 0;
  gint64 sec = ref / 1000000000, nsec = ref % 1000000000;

  if (nsec < 0)
    {
      nsec += 1000000000;
      sec--;
    }
  t->unix_secs = (guint32) sec;
  t->unix_nsecs = (guint32) nsec;
  t->sysuptime = (guint32) FE_SYNTH_SYSUPTIME;
  t->last = t->sysuptime;
  t->first = t->sysuptime;
  if (has_first && has_last)
    {
      /* unsigned arithmetic: wraps modulo 2^32 like the router's counter */
      guint64 diff_ms = (guint64) (flow->last - flow->first) / 1000000;

      if (flow->last >= flow->first)
        t->first = (guint32) (t->sysuptime - (guint32) diff_ms);
      else
        t->first = (guint32) (t->sysuptime +
                              (guint32) ((guint64) (flow->first - flow->last) / 1000000));
    }
}

/* ------------------------------------------------------------------ writer */

/* A column of the text table. */
typedef struct {
  FlField     field;
  int         width;
  gboolean    right;   /* numbers: right-aligned */
  const char *label;   /* its heading */
} TextCol;

struct _FlWriter {
  FlOutputFormat format;
  FILE          *out;
  int            write_errno;   /* first failed write, reported by flush */
  gboolean       header_done;
  const FlFeLayout *fe_layout;     /* flow-export: current input's columns */
  const FlFeLayout *fe_printed;    /* flow-export: columns of the last "#:" */
  TimeCache      times[3];      /* first, last, any other time */
  /* The extras, in output order (the output-order table after the core
   * keys), and for csv the empty cells of a flow that has none. */
  const FlField *extras;
  guint          n_extras;      /* <= 64: a position set fits a guint64 */
  guint8         extra_pos[FL_N_FIELDS]; /* field id -> its position there */
  /* flow_bits(): the fields a caller's struct size holds */
  gsize          avail_size;
  guint64        avail_lo, avail_hi;
  /* extras_present(): the last flow's extras and their positions */
  guint64        pos_lo, pos_hi, pos;
  /* fl_writer_set_fields(): the chosen columns, or NULL for all */
  FlField       *fields;
  guint          n_fields;
  /* text: the table's columns */
  TextCol       *text_cols;
  guint          n_text_cols;
  /* json: ",\"name\":" in a fixed slot (one constant-size copy), csv:
   * "name"; key_len is the length of either. Indexed by field id. */
  char           json_key[FL_N_FIELDS][JSON_KEY_SLOT];
  char          *key[FL_N_FIELDS];
  gsize          key_len[FL_N_FIELDS];
  gsize          used;          /* bytes of buf not yet given to stdio */
  char           buf[OUT_BUF];
};

static void drain (FlWriter *w);
static void avail_update (FlWriter *w, gsize size);

gboolean
fl_output_format_parse (const char *name, FlOutputFormat *out)
{
  static const struct { const char *name; FlOutputFormat format; } names[] = {
    { "text", FL_OUTPUT_TEXT },
    { "json", FL_OUTPUT_JSON },
    { "csv", FL_OUTPUT_CSV },
    { "flow-export", FL_OUTPUT_FLOW_EXPORT },
  };

  if (name == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (name, names[i].name) == 0)
      {
        if (out != NULL)
          *out = names[i].format;
        return TRUE;
      }
  return FALSE;
}

/* The text table's default columns, as people read them. */
static const TextCol text_default[] = {
  { FL_FIELD_FIRST, 30, FALSE, "first" },
  { FL_FIELD_SRCADDR, 15, FALSE, "srcaddr" },
  { FL_FIELD_SRCPORT, 5, TRUE, "sport" },
  { FL_FIELD_DSTADDR, 15, FALSE, "dstaddr" },
  { FL_FIELD_DSTPORT, 5, TRUE, "dport" },
  { FL_FIELD_PROT, 4, TRUE, "prot" },
  { FL_FIELD_DPKTS, 10, TRUE, "dPkts" },
  { FL_FIELD_DOCTETS, 12, TRUE, "dOctets" },
};

/* A --fields column of the text table: the default table's width where the
 * field is one of its columns, else one by type; never narrower than the
 * field's name, which heads it. */
static TextCol
text_col_for (FlField f)
{
  TextCol c = { f, 10, TRUE, fl_field_name (f) };

  for (gsize i = 0; i < G_N_ELEMENTS (text_default); i++)
    if (text_default[i].field == f)
      {
        c.width = text_default[i].width;
        c.right = text_default[i].right;
      }
  if (c.width == 10 && c.right)
    switch (fl_field_get_type (f))
      {
      case FL_TYPE_TIME: c.width = 30; c.right = FALSE; break;
      case FL_TYPE_ADDR: c.width = 15; c.right = FALSE; break;
      case FL_TYPE_MAC: c.width = 17; c.right = FALSE; break;
      case FL_TYPE_MPLS: c.width = 11; c.right = FALSE; break;
      default: break;
      }
  c.width = MAX (c.width, (int) strlen (c.label));
  return c;
}

FlWriter *
fl_writer_new (FlOutputFormat format, FILE *out)
{
  const FlField *order;
  guint n_order;
  FlWriter *w;

  g_return_val_if_fail (out != NULL, NULL);
  _fl_format_init ();
  order = fl_field_get_output_order (&n_order);
  /* The fast paths print the core keys by id (see N_CORE_FIELDS). */
  for (guint i = 0; i < N_CORE_FIELDS; i++)
    g_assert (order[i] == (FlField) i);
  w = g_new0 (FlWriter, 1);
  w->format = format;
  w->out = out;
  w->fe_layout = fl_fe_layout_find (NULL);
  w->extras = order + N_CORE_FIELDS;
  w->n_extras = n_order - N_CORE_FIELDS;
  g_assert (w->n_extras <= 64);
  for (guint i = 0; i < w->n_extras; i++)
    w->extra_pos[w->extras[i]] = (guint8) i;
  avail_update (w, sizeof (FlFlow));
  for (int f = 0; f < FL_N_FIELDS; f++)
    g_assert (kind_info[field_desc[f].kind].type == fl_field_get_type ((FlField) f));
  w->text_cols = g_memdup2 (text_default, sizeof text_default);
  w->n_text_cols = G_N_ELEMENTS (text_default);
  for (int f = 0; f < FL_N_FIELDS; f++)
    {
      const char *name = fl_field_name ((FlField) f);

      w->key[f] = format == FL_OUTPUT_JSON ? g_strdup_printf (",\"%s\":", name)
                                           : g_strdup (name);
      w->key_len[f] = strlen (w->key[f]);
      /* names are short (test-cli checks every key fits) */
      g_assert (w->key_len[f] < JSON_KEY_SLOT);
      strncpy (w->json_key[f], w->key[f], JSON_KEY_SLOT - 1);
    }
  return w;
}

gboolean
fl_writer_set_fields (FlWriter *writer, const FlField *fields, guint n_fields)
{
  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (!writer->header_done && writer->used == 0, FALSE);

  for (guint i = 0; i < n_fields; i++)
    if ((int) fields[i] < 0 || fields[i] >= FL_N_FIELDS ||
        fl_field_get_type (fields[i]) == FL_TYPE_INTERNAL)
      return FALSE;
  g_clear_pointer (&writer->fields, g_free);
  g_clear_pointer (&writer->text_cols, g_free);
  writer->n_fields = n_fields;
  if (n_fields == 0) /* back to every field */
    {
      writer->text_cols = g_memdup2 (text_default, sizeof text_default);
      writer->n_text_cols = G_N_ELEMENTS (text_default);
      return TRUE;
    }
  writer->fields = g_memdup2 (fields, n_fields * sizeof *fields);
  writer->text_cols = g_new (TextCol, n_fields);
  writer->n_text_cols = n_fields;
  for (guint i = 0; i < n_fields; i++)
    writer->text_cols[i] = text_col_for (fields[i]);
  return TRUE;
}

void
fl_writer_free (FlWriter *writer)
{
  if (writer == NULL)
    return;
  drain (writer); /* a caller that did not flush still gets its lines */
  for (int f = 0; f < FL_N_FIELDS; f++)
    g_free (writer->key[f]);
  g_free (writer->fields);
  g_free (writer->text_cols);
  g_free (writer);
}

/* Hands the buffered lines to stdio. */
static void
drain (FlWriter *w)
{
  if (w->used > 0 && FL_FWRITE (w->buf, 1, w->used, w->out) != w->used &&
      w->write_errno == 0)
    w->write_errno = errno != 0 ? errno : EIO;
  w->used = 0;
}

/* Where the next line goes: at least LINE_BUF bytes of room. */
static inline char *
line_begin (FlWriter *w)
{
  if (G_UNLIKELY (OUT_BUF - w->used < LINE_BUF))
    drain (w);
  return w->buf + w->used;
}

static inline void
line_end (FlWriter *w, char *p)
{
  w->used = (gsize) (p - w->buf);
}

/* Pads the cell that starts at start to width: left-aligned text gets
 * spaces after it, right-aligned numbers are moved right. */
static char *
pad_cell (char *start, char *end, int width, gboolean right)
{
  int len = (int) (end - start);

  if (len >= width)
    return end;
  if (right)
    {
      memmove (start + (width - len), start, (gsize) len);
      memset (start, ' ', (gsize) (width - len));
    }
  else
    memset (end, ' ', (gsize) (width - len));
  return start + width;
}

static void
write_header (FlWriter *w)
{
  char *p = line_begin (w);

  switch (w->format)
    {
    case FL_OUTPUT_CSV:
      if (w->fields != NULL)
        for (guint i = 0; i < w->n_fields; i++)
          {
            if (i > 0)
              *p++ = ',';
            p = put_str (p, w->key[w->fields[i]], w->key_len[w->fields[i]]);
          }
      else
        {
          for (int f = 0; f < N_CORE_FIELDS; f++)
            {
              if (f > 0)
                *p++ = ',';
              p = put_str (p, w->key[f], w->key_len[f]);
            }
          for (guint i = 0; i < w->n_extras; i++)
            {
              *p++ = ',';
              p = put_str (p, w->key[w->extras[i]], w->key_len[w->extras[i]]);
            }
        }
      *p++ = '\n';
      break;
    case FL_OUTPUT_TEXT:
      for (guint i = 0; i < w->n_text_cols; i++)
        {
          const TextCol *c = &w->text_cols[i];
          char *start;

          if (i > 0)
            *p++ = ' ';
          start = p;
          p = put_str (p, c->label, strlen (c->label));
          if (c->right || i + 1 < w->n_text_cols)
            p = pad_cell (start, p, c->width, c->right);
        }
      *p++ = '\n';
      break;
    case FL_OUTPUT_FLOW_EXPORT:
      p = put_str (p, "#:", 2);
      for (int c = 0, n = 0; c < FL_FE_N_COLUMNS; c++)
        if (w->fe_layout->columns & FL_FE_BIT (c))
          {
            if (n++ > 0)
              *p++ = ',';
            p = put_str (p, fl_fe_columns[c].name, strlen (fl_fe_columns[c].name));
          }
      *p++ = '\n';
      w->fe_printed = w->fe_layout;
      break;
    case FL_OUTPUT_JSON:
    default:
      break;
    }
  line_end (w, p);
  w->header_done = TRUE;
}

void
fl_writer_begin_input (FlWriter *writer, FlReader *reader)
{
  g_return_if_fail (writer != NULL);

  if (writer->format == FL_OUTPUT_FLOW_EXPORT)
    {
      g_autofree char *version = NULL;

      if (reader != NULL)
        version = fl_reader_get_info (reader, "export_version");
      writer->fe_layout = fl_fe_layout_find (version);
      if (writer->fe_printed != writer->fe_layout)
        write_header (writer);
    }
  else if (!writer->header_done)
    write_header (writer);
}

/* "02:81:3e:ce:30:cc"; writes 18 bytes. */
static char *
put_mac (char *p, const guint8 mac[6])
{
  for (int i = 0; i < 6; i++)
    {
      memcpy (p, &_fl_hex2[mac[i]], 2);
      p[2] = ':';
      p += 3;
    }
  return p - 1;
}

/* An MPLS label stack entry as nfdump prints it, "label-exp-bos". */
static char *
put_mpls (char *p, guint64 v)
{
  p = _fl_put_u64 (p, v >> 4);
  *p++ = '-';
  *p++ = (char) ('0' + ((v >> 1) & 7));
  *p++ = '-';
  *p++ = (char) ('0' + (v & 1));
  return p;
}

/* A present field's value: a number as is; a time, an address, a MAC or
 * an MPLS entry quoted for json (quote), bare for csv and text. Inlined:
 * in the unrolled core loops f and quote are constants and the switches
 * fold away; elsewhere it is one jump on the kind per field. */
static inline __attribute__ ((always_inline)) char *
put_value (FlWriter *w, char *p, const FlFlow *flow, FlField f, gboolean quote)
{
  const FieldDesc *d = &field_desc[f];
  const guint8 *m = (const guint8 *) flow + d->offset;
  guint16 v16;
  guint32 v32;
  guint64 v64;

  switch ((FieldKind) d->kind)
    {
    case KIND_U8: return _fl_put_u8 (p, *m);
    case KIND_U16: memcpy (&v16, m, 2); return _fl_put_u64 (p, v16);
    case KIND_U32: memcpy (&v32, m, 4); return _fl_put_u64 (p, v32);
    case KIND_U64: memcpy (&v64, m, 8); return _fl_put_u64 (p, v64);
    case KIND_NONE: return p; /* never present in a writer's loop */
    default: break;
    }
  if (quote)
    *p++ = '"';
  switch ((FieldKind) d->kind)
    {
    case KIND_TIME:
      memcpy (&v64, m, 8);
      p = put_time (&w->times[d->slot], p, (gint64) v64);
      break;
    case KIND_ADDR: p = _fl_put_addr (p, (const FlAddr *) (const void *) m); break;
    case KIND_MAC: p = put_mac (p, m); break;
    case KIND_MPLS: memcpy (&v32, m, 4); p = put_mpls (p, v32); break;
    default: break;
    }
  if (quote)
    *p++ = '"';
  return p;
}

/* Which fields a struct of `size` bytes holds: the ABI 1.0 ones always
 * (every caller has them), a later one if its member and presence word
 * fit. A caller built against an older ABI has a smaller FlFlow, whatever
 * its bits say. Recomputed only when the struct size changes. */
static void
avail_update (FlWriter *w, gsize size)
{
  gboolean hi_fits = size >= offsetof (FlFlow, present_hi) + sizeof (guint64);

  w->avail_size = size;
  w->avail_lo = FL_FIELD_BIT (FL_FIELD_FT_TIMES) - 1;
  w->avail_hi = 0;
  for (int f = FL_FIELD_FT_TIMES + 1; f < FL_N_FIELDS; f++)
    if ((gsize) field_desc[f].offset + kind_info[field_desc[f].kind].size <= size)
      {
        if (f < 64)
          w->avail_lo |= FL_FIELD_BIT (f);
        else if (hi_fits)
          w->avail_hi |= FL_FIELD_BIT (f);
      }
}

/* The flow's presence words, limited to the fields its struct holds. */
static inline void
flow_bits (FlWriter *w, const FlFlow *flow, guint64 *lo, guint64 *hi)
{
  if (G_UNLIKELY (flow->struct_size != w->avail_size))
    avail_update (w, flow->struct_size);
  *lo = flow->present & w->avail_lo;
  /* avail_hi is 0 when the struct has no present_hi: do not read it */
  *hi = w->avail_hi != 0 ? flow->present_hi & w->avail_hi : 0;
}

static inline gboolean
bits_have (guint64 lo, guint64 hi, FlField f)
{
  return ((f < 64 ? lo : hi) & FL_FIELD_BIT (f)) != 0;
}

/* The flow's extras as a set of positions in w->extras: walks the few
 * present bits instead of every extra, so that the output order costs a
 * table load per present field. The flows of a file mostly have the same
 * fields, so the last answer is kept. */
static inline guint64
extras_present (FlWriter *w, const FlFlow *flow)
{
  guint64 lo, hi, pos = 0;

  flow_bits (w, flow, &lo, &hi);
  lo &= EXTRA_MASK_LO;
  if (G_LIKELY (lo == w->pos_lo && hi == w->pos_hi))
    return w->pos;
  w->pos_lo = lo;
  w->pos_hi = hi;
  for (; lo != 0; lo &= lo - 1)
    pos |= G_GUINT64_CONSTANT (1) << w->extra_pos[__builtin_ctzll (lo)];
  for (; hi != 0; hi &= hi - 1)
    pos |= G_GUINT64_CONSTANT (1) << w->extra_pos[64 + __builtin_ctzll (hi)];
  return w->pos = pos;
}

/* n <= 64 empty csv cells (n_extras <= 64): one constant-size copy covers
 * the short runs between the present extras, a second one the rest (a
 * flow with no extras has one run of them all). LINE_BUF leaves room for
 * the overshoot. */
static inline char *
put_commas (char *p, int n)
{
  static const char commas[32] = ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,";

  memcpy (p, commas, sizeof commas);
  if (n > (int) sizeof commas)
    memcpy (p + sizeof commas, commas, sizeof commas);
  return p + n;
}

/* json members of the extras at positions pos, each with its comma. */
static __attribute__ ((noinline)) char *
put_json_extras (FlWriter *w, char *p, const FlFlow *flow, guint64 pos)
{
  for (; pos != 0; pos &= pos - 1)
    {
      FlField f = w->extras[__builtin_ctzll (pos)];

      memcpy (p, w->json_key[f], JSON_KEY_SLOT);
      p = put_value (w, p + w->key_len[f], flow, f, TRUE);
    }
  return p;
}

/* csv cells of all the extras, those at positions pos filled. */
static __attribute__ ((noinline)) char *
put_csv_extras (FlWriter *w, char *p, const FlFlow *flow, guint64 pos)
{
  int last = -1;

  for (; pos != 0; pos &= pos - 1)
    {
      int i = __builtin_ctzll (pos);

      p = put_commas (p, i - last);
      p = put_value (w, p, flow, w->extras[i], FALSE);
      last = i;
    }
  return put_commas (p, (int) w->n_extras - 1 - last);
}

/* json members for a list of fields, each with its leading comma. */
static __attribute__ ((noinline)) char *
put_json_list (FlWriter *w, char *p, const FlFlow *flow, const FlField *list,
               guint n)
{
  guint64 lo, hi;

  flow_bits (w, flow, &lo, &hi);
  for (guint i = 0; i < n; i++)
    {
      FlField f = list[i];

      if (!bits_have (lo, hi, f))
        continue;
      memcpy (p, w->json_key[f], JSON_KEY_SLOT);
      p = put_value (w, p + w->key_len[f], flow, f, TRUE);
    }
  return p;
}

/* csv cells for a list of fields, comma-separated. */
static __attribute__ ((noinline)) char *
put_csv_list (FlWriter *w, char *p, const FlFlow *flow, const FlField *list,
              guint n)
{
  guint64 lo, hi;

  flow_bits (w, flow, &lo, &hi);
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        *p++ = ',';
      if (bits_have (lo, hi, list[i]))
        p = put_value (w, p, flow, list[i], FALSE);
    }
  return p;
}

static void
write_json (FlWriter *w, const FlFlow *flow)
{
  char *start = line_begin (w), *p = start;
  guint64 present = flow->present, pos;

  if (G_UNLIKELY (w->fields != NULL))
    p = put_json_list (w, p, flow, w->fields, w->n_fields);
  else
    {
      /* Every key carries its leading comma; the first one's is
       * overwritten by the '{' afterwards, which saves a branch per field.
       * Unrolled like write_csv(). */
#pragma GCC unroll 32
      for (int i = 0; i < N_CORE_FIELDS; i++)
        {
          FlField f = (FlField) i;

          if (!(present & FL_FIELD_BIT (f)))
            continue;
          memcpy (p, w->json_key[f], JSON_KEY_SLOT);
          p += w->key_len[f];
          p = put_value (w, p, flow, f, TRUE);
        }
      if ((pos = extras_present (w, flow)) != 0)
        p = put_json_extras (w, p, flow, pos);
    }
  if (p == start)
    *p++ = '{';
  else
    *start = '{';
  *p++ = '}';
  *p++ = '\n';
  line_end (w, p);
}

static void
write_csv (FlWriter *w, const FlFlow *flow)
{
  char *p = line_begin (w);
  guint64 present = flow->present, pos;

  if (G_UNLIKELY (w->fields != NULL))
    p = put_csv_list (w, p, flow, w->fields, w->n_fields);
  else
    {
      /* Unrolled, so that each field's kind, offset and width are
       * constants and each field has its own, well-predicted, presence
       * branch. */
#pragma GCC unroll 32
      for (int i = 0; i < N_CORE_FIELDS; i++)
        {
          FlField f = (FlField) i;

          if (i > 0)
            *p++ = ',';
          if (present & FL_FIELD_BIT (f))
            p = put_value (w, p, flow, f, FALSE);
        }
      /* flow-tools flows have no extras: one run of empty cells */
      if ((pos = extras_present (w, flow)) != 0)
        p = put_csv_extras (w, p, flow, pos);
      else
        p = put_commas (p, (int) w->n_extras);
    }
  *p++ = '\n';
  line_end (w, p);
}

static void
write_text (FlWriter *w, const FlFlow *flow)
{
  char *p = line_begin (w);
  guint64 lo, hi;

  flow_bits (w, flow, &lo, &hi);
  for (guint i = 0; i < w->n_text_cols; i++)
    {
      const TextCol *c = &w->text_cols[i];
      char *start;

      if (i > 0)
        *p++ = ' ';
      start = p;
      if (!bits_have (lo, hi, c->field))
        *p++ = '-';
      else
        p = put_value (w, p, flow, c->field, FALSE);
      /* the last column needs no trailing blanks */
      if (c->right || i + 1 < w->n_text_cols)
        p = pad_cell (start, p, c->width, c->right);
    }
  *p++ = '\n';
  line_end (w, p);
}

static char *
fe_put_addr (char *p, const FlFlow *flow, FlField f)
{
  FlAddr a;

  if (!fl_flow_get_addr (flow, f, &a) || a.family == 0)
    return put_str (p, "0.0.0.0", 7);
  return _fl_put_addr (p, &a);
}

static char *
fe_put_uint (char *p, const FlFlow *flow, FlField f)
{
  guint64 v;

  return _fl_put_u64 (p, fl_flow_get_uint (flow, f, &v) ? v : 0);
}

static void
write_flow_export (FlWriter *w, const FlFlow *flow)
{
  const FlFeLayout *l = w->fe_layout;
  char *p = line_begin (w);
  FeTimes t;
  int n = 0;

  if (fl_flow_has (flow, FL_FIELD_FT_TIMES))
    {
      t.unix_secs = flow->unix_secs;
      t.unix_nsecs = flow->unix_nsecs;
      t.sysuptime = flow->sysuptime;
      t.first = flow->uptime_first;
      t.last = flow->uptime_last;
    }
  else
    fe_synth_times (flow, &t);

  for (int c = 0; c < FL_FE_N_COLUMNS; c++)
    {
      int col = c, f;

      if (!(l->columns & FL_FE_BIT (c)))
        continue;
      if (l->swap_tos && c == FL_FE_EXTRA_PKTS)
        col = FL_FE_MARKED_TOS;
      else if (l->swap_tos && c == FL_FE_MARKED_TOS)
        col = FL_FE_EXTRA_PKTS;
      if (n++ > 0)
        *p++ = ',';
      f = fl_fe_columns[col].field;
      if (f >= 0 && fl_field_get_type ((FlField) f) == FL_TYPE_ADDR)
        p = fe_put_addr (p, flow, (FlField) f);
      else if (f >= 0)
        p = fe_put_uint (p, flow, (FlField) f);
      else
        switch (col)
          {
          case FL_FE_UNIX_SECS: p = _fl_put_u64 (p, t.unix_secs); break;
          case FL_FE_UNIX_NSECS: p = _fl_put_u64 (p, t.unix_nsecs); break;
          case FL_FE_SYSUPTIME: p = _fl_put_u64 (p, t.sysuptime); break;
          case FL_FE_FIRST: p = _fl_put_u64 (p, t.first); break;
          case FL_FE_LAST: default: p = _fl_put_u64 (p, t.last); break;
          }
    }
  *p++ = '\n';
  line_end (w, p);
}

void
fl_writer_write (FlWriter *writer, const FlFlow *flow)
{
  g_return_if_fail (writer != NULL && flow != NULL);

  /* A caller that skipped fl_writer_begin_input() still gets its header. */
  if (!writer->header_done && writer->format != FL_OUTPUT_JSON)
    write_header (writer);

  switch (writer->format)
    {
    case FL_OUTPUT_JSON: write_json (writer, flow); break;
    case FL_OUTPUT_CSV: write_csv (writer, flow); break;
    case FL_OUTPUT_FLOW_EXPORT: write_flow_export (writer, flow); break;
    case FL_OUTPUT_TEXT:
    default: write_text (writer, flow); break;
    }
}

gboolean
fl_writer_flush (FlWriter *writer, GError **error)
{
  int saved;

  g_return_val_if_fail (writer != NULL, FALSE);

  drain (writer);
  if (writer->write_errno == 0 && fflush (writer->out) != 0)
    writer->write_errno = errno != 0 ? errno : EIO;
  if (writer->write_errno == 0 && ferror (writer->out))
    writer->write_errno = EIO;
  if (writer->write_errno == 0)
    return TRUE;
  saved = writer->write_errno;
  g_set_error (error, FL_ERROR, FL_ERROR_IO, "write error: %s",
               g_strerror (saved));
  /* The CLI tells EPIPE (reader went away: be quiet) from real failures
   * by errno, which g_set_error() may have clobbered. */
  errno = saved;
  return FALSE;
}

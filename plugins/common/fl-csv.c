/* SPDX-License-Identifier: MIT */
/*
 * fl-csv.c: line reading and CSV flow parsing shared by the text plugin and
 * the exec plugins (see fl-csv.h for the column sets).
 *
 * Speed matters here: `flowread -c` on flow-export CSV should stay within a
 * few times `wc -l`. So the line reader peeks big windows and finds '\n'
 * with memchr(), the parser walks each row once, numbers and IPv4 addresses
 * are parsed by hand (no locale, no sscanf, no allocation per row) and only
 * IPv6 goes through inet_pton().
 */
#include "fl-csv.h"
#include "fl-flow-export.h"

#include <arpa/inet.h>
#include <string.h>

/* ------------------------------------------------------------ line reader */

/* How much the line reader asks the stream for at a time. */
#define FL_LINE_CHUNK (256 * 1024)

struct _FlLineReader {
  FlStream     *stream;
  gsize         max_line;
  const guint8 *win;        /* current peek window (owned by the stream) */
  gsize         win_len;
  gsize         pos;        /* first byte of win not yet handed out */
  gsize         scanned;    /* bytes after pos known to hold no '\n' */
  guint64       win_offset; /* stream offset of win[0] */
  gboolean      eof;        /* the window reaches the end of the stream */
  gboolean      failed;
  char         *line;       /* NUL-terminated copy of the current line */
  gsize         line_cap;
};

FlLineReader *
fl_line_reader_new (FlStream *stream, gsize max_line)
{
  FlLineReader *lr = g_new0 (FlLineReader, 1);

  lr->stream = fl_stream_ref (stream);
  lr->max_line = max_line > 0 ? max_line : FL_LINE_MAX;
  /* Never above what one peek can give (line + "\r\n"). */
  if (lr->max_line > FL_STREAM_PEEK_MAX - 2)
    lr->max_line = FL_STREAM_PEEK_MAX - 2;
  lr->win_offset = fl_stream_tell (stream);
  return lr;
}

/* Hands out win[pos, pos + len) (terminator excluded) as the line. */
static const char *
line_emit (FlLineReader *lr, gsize len, gsize next_pos, gsize *out_len,
           guint64 *offset, GError **error)
{
  const guint8 *s = lr->win + lr->pos;
  guint64 off = lr->win_offset + lr->pos;

  if (len > 0 && s[len - 1] == '\r')
    len--;
  if (len > lr->max_line)
    {
      lr->failed = TRUE;
      fl_set_error (error, FL_ERROR_LIMIT, off,
                    "line longer than %" G_GSIZE_FORMAT " bytes",
                    lr->max_line);
      return NULL;
    }
  if (len + 1 > lr->line_cap)
    {
      lr->line_cap = MAX (len + 1, MAX (lr->line_cap * 2, 256));
      lr->line = g_realloc (lr->line, lr->line_cap);
    }
  memcpy (lr->line, s, len);
  lr->line[len] = '\0';
  lr->pos = next_pos;
  lr->scanned = 0;
  if (out_len != NULL)
    *out_len = len;
  if (offset != NULL)
    *offset = off;
  return lr->line;
}

const char *
fl_line_reader_next (FlLineReader *lr, gsize *len, guint64 *offset,
                     GError **error)
{
  if (lr->failed)
    return NULL;

  for (;;)
    {
      gsize rest = lr->win_len - lr->pos;
      gsize want, avail;
      const guint8 *p;

      if (rest > lr->scanned)
        {
          const guint8 *start = lr->win + lr->pos;
          const guint8 *nl = memchr (start + lr->scanned, '\n',
                                     rest - lr->scanned);

          if (nl != NULL)
            return line_emit (lr, (gsize) (nl - start),
                              lr->pos + (gsize) (nl - start) + 1,
                              len, offset, error);
          lr->scanned = rest;
        }
      if (lr->eof)
        {
          /* A short peek is the end of the stream or a failure of its
           * source held back until every good byte was delivered (a
           * wrapper's CRC error, a cut gzip stream): a line without its
           * "\n" before such a failure is not a line. */
          if (fl_stream_failed (lr->stream, error))
            {
              lr->failed = TRUE;
              return NULL;
            }
          if (rest > 0) /* a last line without "\n" */
            return line_emit (lr, rest, lr->win_len, len, offset, error);
          /* Consume everything so that fl_stream_tell() is the length. */
          fl_stream_consume (lr->stream, lr->pos);
          lr->win_offset += lr->pos;
          lr->win_len = lr->pos = 0;
          lr->win = NULL;
          return NULL;
        }

      /* rest bytes hold no '\n': even if the next byte is one and the last
       * is '\r', the line is rest - 1 bytes long. */
      if (rest > lr->max_line + 1)
        {
          lr->failed = TRUE;
          fl_set_error (error, FL_ERROR_LIMIT, lr->win_offset + lr->pos,
                        "line longer than %" G_GSIZE_FORMAT " bytes",
                        lr->max_line);
          return NULL;
        }

      /* Hand back what was read, then ask for a bigger window. The stream
       * is only called here, so the window stays valid between lines. */
      fl_stream_consume (lr->stream, lr->pos);
      lr->win_offset += lr->pos;
      lr->pos = 0;
      want = rest + FL_LINE_CHUNK;
      if (want > lr->max_line + 2)
        want = lr->max_line + 2;
      if (want <= rest)
        want = rest + 1;
      p = fl_stream_peek (lr->stream, want, &avail, error);
      if (p == NULL)
        {
          lr->failed = TRUE;
          lr->win = NULL;
          lr->win_len = 0;
          return NULL;
        }
      lr->win = p;
      lr->win_len = avail;
      lr->eof = avail < want;
    }
}

void
fl_line_reader_free (FlLineReader *lr)
{
  if (lr == NULL)
    return;
  /* Leave the stream positioned after the lines handed out. */
  if (lr->pos > 0 && !lr->failed)
    fl_stream_consume (lr->stream, lr->pos);
  fl_stream_unref (lr->stream);
  g_free (lr->line);
  g_free (lr);
}

/* ------------------------------------------------------------ columns */

typedef enum {
  COL_SKIP = 0, /* known column that flowread does not keep */
  COL_UINT,     /* unsigned decimal into a member of size 1, 2, 4 or 8 */
  COL_ADDR,     /* IPv4 / IPv6 into an FlAddr; "(null)" or "" = absent */
  COL_TIME,     /* RFC 3339 or "YYYY-MM-DD HH:MM:SS[.frac]" UTC, into gint64 */
  COL_PROTO,    /* nfdump protocol name or number */
  COL_FLAGS,    /* nfdump "...AP.SF" TCP flags or a number */
  COL_MAC,      /* "02:81:3e:ce:30:cc" into 6 bytes */
  COL_MPLS,     /* nfdump's "label-exp-bos" into label<<4 | exp<<1 | bos */
} ColKind;

/* A row's columns are marked in two words, like FlFlow's present and
 * present_hi: seen[bit >> 6] has bit (bit & 63). */
#define MARK(seen, bit) ((seen)[(bit) >> 6] |= G_GUINT64_CONSTANT (1) << ((bit) & 63))
#define MARKED(seen, bit) (((seen)[(bit) >> 6] >> ((bit) & 63)) & 1)

/* Pseudo field bits for the flow-tools raw time columns, in the high word
 * far above the real fields: the times are derived once the whole row is
 * read. */
enum {
  RAW_SECS = 64 + 40, RAW_NSECS, RAW_UPTIME, RAW_FIRST, RAW_LAST,
};
#define RAW_BIT(b) (G_GUINT64_CONSTANT (1) << ((b) & 63))
#define RAW_BASE (RAW_BIT (RAW_SECS) | RAW_BIT (RAW_NSECS) | RAW_BIT (RAW_UPTIME))
/* What of the high word goes to present_hi: the fields 64 .. FL_N_FIELDS-1. */
#define OUTPUT_MASK_HI ((G_GUINT64_CONSTANT (1) << (FL_N_FIELDS - 64)) - 1)
G_STATIC_ASSERT ((int) FL_N_FIELDS < (int) RAW_SECS);

typedef struct {
  const char *name;
  guint8      kind;
  guint8      bit;  /* FlField or RAW_* */
  guint8      size; /* member size for COL_UINT */
  guint16     off;  /* member offset in FlFlow */
} FlCsvColumn;

#define M_SIZE(m) ((guint8) sizeof (((FlFlow *) 0)->m))
#define M_OFF(m) ((guint16) G_STRUCT_OFFSET (FlFlow, m))
#define U(n, m, f) { n, COL_UINT, f, M_SIZE (m), M_OFF (m) }
#define A(n, m, f) { n, COL_ADDR, f, 0, M_OFF (m) }
#define T(n, m, f) { n, COL_TIME, f, 0, M_OFF (m) }
#define S(n) { n, COL_SKIP, 0, 0, 0 }
#define MAC(n, m, f) { n, COL_MAC, f, 6, M_OFF (m) }
#define MPLS(n, i) { n, COL_MPLS, FL_FIELD_MPLS_1 + i, 4, M_OFF (mpls[i]) }

/* flowread -o csv: design.md section 3 names, FlField order (ABI 1.0
 * fields, then 1.1's). */
static const FlCsvColumn flowread_columns[] = {
  T ("first", first, FL_FIELD_FIRST),
  T ("last", last, FL_FIELD_LAST),
  A ("srcaddr", srcaddr, FL_FIELD_SRCADDR),
  A ("dstaddr", dstaddr, FL_FIELD_DSTADDR),
  U ("srcport", srcport, FL_FIELD_SRCPORT),
  U ("dstport", dstport, FL_FIELD_DSTPORT),
  U ("prot", prot, FL_FIELD_PROT),
  U ("dPkts", dPkts, FL_FIELD_DPKTS),
  U ("dOctets", dOctets, FL_FIELD_DOCTETS),
  U ("tcp_flags", tcp_flags, FL_FIELD_TCP_FLAGS),
  U ("tos", tos, FL_FIELD_TOS),
  U ("input", input, FL_FIELD_INPUT),
  U ("output", output, FL_FIELD_OUTPUT),
  A ("nexthop", nexthop, FL_FIELD_NEXTHOP),
  A ("exaddr", exaddr, FL_FIELD_EXADDR),
  U ("src_as", src_as, FL_FIELD_SRC_AS),
  U ("dst_as", dst_as, FL_FIELD_DST_AS),
  U ("src_mask", src_mask, FL_FIELD_SRC_MASK),
  U ("dst_mask", dst_mask, FL_FIELD_DST_MASK),
  U ("engine_type", engine_type, FL_FIELD_ENGINE_TYPE),
  U ("engine_id", engine_id, FL_FIELD_ENGINE_ID),
  U ("dFlows", dFlows, FL_FIELD_DFLOWS),
  U ("dst_tag", dst_tag, FL_FIELD_DST_TAG),
  U ("extra_pkts", extra_pkts, FL_FIELD_EXTRA_PKTS),
  U ("in_encaps", in_encaps, FL_FIELD_IN_ENCAPS),
  U ("marked_tos", marked_tos, FL_FIELD_MARKED_TOS),
  U ("out_encaps", out_encaps, FL_FIELD_OUT_ENCAPS),
  A ("peer_nexthop", peer_nexthop, FL_FIELD_PEER_NEXTHOP),
  T ("recv_time", recv_time, FL_FIELD_RECV_TIME),
  A ("router_sc", router_sc, FL_FIELD_ROUTER_SC),
  U ("src_tag", src_tag, FL_FIELD_SRC_TAG),
  U ("tag", tag, FL_FIELD_TAG),
  U ("fwd_status", fwd_status, FL_FIELD_FWD_STATUS),
  U ("dst_tos", dst_tos, FL_FIELD_DST_TOS),
  U ("direction", direction, FL_FIELD_DIRECTION),
  U ("biflow_dir", biflow_dir, FL_FIELD_BIFLOW_DIR),
  U ("flow_end_reason", flow_end_reason, FL_FIELD_FLOW_END_REASON),
  U ("out_packets", out_packets, FL_FIELD_OUT_PACKETS),
  U ("out_bytes", out_bytes, FL_FIELD_OUT_BYTES),
  U ("src_vlan", src_vlan, FL_FIELD_SRC_VLAN),
  U ("dst_vlan", dst_vlan, FL_FIELD_DST_VLAN),
  U ("next_as", next_as, FL_FIELD_NEXT_AS),
  U ("prev_as", prev_as, FL_FIELD_PREV_AS),
  A ("bgp_nexthop", bgp_nexthop, FL_FIELD_BGP_NEXTHOP),
  MPLS ("mpls_1", 0), MPLS ("mpls_2", 1), MPLS ("mpls_3", 2),
  MPLS ("mpls_4", 3), MPLS ("mpls_5", 4), MPLS ("mpls_6", 5),
  MPLS ("mpls_7", 6), MPLS ("mpls_8", 7), MPLS ("mpls_9", 8),
  MPLS ("mpls_10", 9),
  MAC ("in_src_mac", in_src_mac, FL_FIELD_IN_SRC_MAC),
  MAC ("out_dst_mac", out_dst_mac, FL_FIELD_OUT_DST_MAC),
  MAC ("in_dst_mac", in_dst_mac, FL_FIELD_IN_DST_MAC),
  MAC ("out_src_mac", out_src_mac, FL_FIELD_OUT_SRC_MAC),
  U ("cli_latency_us", cli_latency_us, FL_FIELD_CLI_LATENCY_US),
  U ("srv_latency_us", srv_latency_us, FL_FIELD_SRV_LATENCY_US),
  U ("app_latency_us", app_latency_us, FL_FIELD_APP_LATENCY_US),
  A ("src_xlt_ip", src_xlt_ip, FL_FIELD_SRC_XLT_IP),
  A ("dst_xlt_ip", dst_xlt_ip, FL_FIELD_DST_XLT_IP),
  U ("src_xlt_port", src_xlt_port, FL_FIELD_SRC_XLT_PORT),
  U ("dst_xlt_port", dst_xlt_port, FL_FIELD_DST_XLT_PORT),
  U ("ingress_vrf", ingress_vrf, FL_FIELD_INGRESS_VRF),
  U ("egress_vrf", egress_vrf, FL_FIELD_EGRESS_VRF),
  U ("flow_id", flow_id, FL_FIELD_FLOW_ID),
};

/* flow-export -f2 and flowd-reader -c: the columns of fl-flow-export.h's
 * table, each stored where flowread -o csv stores its field; the raw time
 * columns in FL_FIELD_FT_TIMES's members. A printed name that repeats an
 * earlier one (v6's second "nexthop") is also accepted as its field's name
 * ("peer_nexthop"); the repeat itself is quirk 1, handled by the parser. */
static void
flow_export_table (FlCsvColumn out[FL_FE_N_COLUMNS])
{
  static const FlCsvColumn raw[FL_FE_N_COLUMNS] = {
    [FL_FE_UNIX_SECS] = U ("unix_secs", unix_secs, RAW_SECS),
    [FL_FE_UNIX_NSECS] = U ("unix_nsecs", unix_nsecs, RAW_NSECS),
    [FL_FE_SYSUPTIME] = U ("sysuptime", sysuptime, RAW_UPTIME),
    [FL_FE_FIRST] = U ("first", uptime_first, RAW_FIRST),
    [FL_FE_LAST] = U ("last", uptime_last, RAW_LAST),
  };

  for (int c = 0; c < FL_FE_N_COLUMNS; c++)
    {
      int f = fl_fe_columns[c].field;

      out[c] = raw[c];
      for (gsize i = 0; f >= 0 && i < G_N_ELEMENTS (flowread_columns); i++)
        if (flowread_columns[i].bit == f)
          out[c] = flowread_columns[i];
      out[c].name = fl_fe_columns[c].name;
      for (int d = 0; f >= 0 && d < c; d++)
        if (strcmp (out[d].name, out[c].name) == 0)
          out[c].name = fl_field_name ((FlField) f);
    }
}

/* nfdump 1.7 -o csv. Columns flowread has no field for are skipped;
 * times are local time as printed, read as UTC (run nfdump with TZ=UTC). */
static const FlCsvColumn nfdump_columns[] = {
  T ("ts", first, FL_FIELD_FIRST),
  T ("te", last, FL_FIELD_LAST),
  S ("td"),
  A ("sa", srcaddr, FL_FIELD_SRCADDR),
  A ("da", dstaddr, FL_FIELD_DSTADDR),
  U ("sp", srcport, FL_FIELD_SRCPORT),
  U ("dp", dstport, FL_FIELD_DSTPORT),
  { "pr", COL_PROTO, FL_FIELD_PROT, M_SIZE (prot), M_OFF (prot) },
  { "flg", COL_FLAGS, FL_FIELD_TCP_FLAGS, M_SIZE (tcp_flags), M_OFF (tcp_flags) },
  S ("fwd"),
  U ("stos", tos, FL_FIELD_TOS),
  U ("ipkt", dPkts, FL_FIELD_DPKTS),
  U ("ibyt", dOctets, FL_FIELD_DOCTETS),
  S ("opkt"), S ("obyt"),
  U ("in", input, FL_FIELD_INPUT),
  U ("out", output, FL_FIELD_OUTPUT),
  U ("sas", src_as, FL_FIELD_SRC_AS),
  U ("das", dst_as, FL_FIELD_DST_AS),
  U ("smk", src_mask, FL_FIELD_SRC_MASK),
  U ("dmk", dst_mask, FL_FIELD_DST_MASK),
  S ("dtos"), S ("dir"),
  A ("nh", nexthop, FL_FIELD_NEXTHOP),
  S ("nhb"), S ("svln"), S ("dvln"),
  S ("ismc"), S ("odmc"), S ("idmc"), S ("osmc"),
  S ("mpls1"), S ("mpls2"), S ("mpls3"), S ("mpls4"), S ("mpls5"),
  S ("mpls6"), S ("mpls7"), S ("mpls8"), S ("mpls9"), S ("mpls10"),
  S ("cl"), S ("sl"), S ("al"),
  A ("ra", exaddr, FL_FIELD_EXADDR),
  S ("eng"), S ("exid"), S ("tr"),
};

#undef U
#undef A
#undef T
#undef S
#undef MAC
#undef MPLS

/* nfdump's protocol names (its protoList), index = protocol number. The
 * entries that are numbers ("0", "99" ...) are read as numbers anyway. */
static const char *const nfdump_protocols[] = {
  "0", "ICMP", "IGMP", "GGP", "IPIP", "ST", "TCP", "CBT", "EGP", "IGP",
  "BBN", "NVPII", "PUP", "ARGUS", "ENCOM", "XNET", "CHAOS", "UDP", "MUX",
  "DCN", "HMP", "PRM", "XNS", "Trnk1", "Trnk2", "Leaf1", "Leaf2", "RDP",
  "IRTP", "ISO-4", "NETBK", "MFESP", "MEINP", "DCCP", "3PC", "IDPR", "XTP",
  "DDP", "IDPR", "TP++", "IL", "IPv6", "SDRP", "Rte6", "Frag6", "IDRP",
  "RSVP", "GRE", "MHRP", "BNA", "ESP", "AH", "INLSP", "SWIPE", "NARP",
  "MOBIL", "TLSP", "SKIP", "ICMP6", "NOHE6", "OPTS6", "HOST", "CFTP", "NET",
  "SATNT", "KLAN", "RVD", "IPPC", "FS", "SATM", "VISA", "IPCV", "CPNX",
  "CPHB", "WSN", "PVP", "BSATM", "SUNND", "WBMON", "WBEXP", "ISOIP", "VMTP",
  "SVMTP", "VINES", "TTP", "NSIGP", "DGP", "TCF", "EIGRP", "OSPF", "S-RPC",
  "LARP", "MTP", "AX.25", "OS", "MICP", "SCCSP", "ETHIP", "ENCAP", "99",
  "GMTP", "IFMP", "PNNI", "PIM", "ARIS", "SCPS", "QNX", "A/N", "IPcmp",
  "SNP", "CpqPP", "IPXIP", "VRRP", "PGM", "0hop", "L2TP", "DDX", "IATP",
  "STP", "SRP", "UTI", "SMP", "SM", "PTP", "ISIS4", "FIRE", "CRTP", "CRUDP",
  "128", "IPLT", "SPS", "PIPE", "SCTP", "FC", "134", "MHEAD", "UDP-L",
  "MPLS",
};

/* Most columns a header may have: nfdump has 48. */
#define FL_CSV_MAX_COLUMNS 256

struct _FlCsvParser {
  FlCsvDialect dialect;
  char         sep;       /* ',', '\t' or ' ' (runs of blanks) */
  guint        n_cols;
  FlCsvColumn *cols;      /* names point into header_copy or static tables */
  char        *header_copy;
  gboolean     derive_times; /* flow-export: raw time columns present */
};

static inline gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* Splits the next field off [*p, end): returns FALSE when there is none.
 * *more tells (for ',' and '\t') whether a separator followed. */
static inline gboolean
next_field (char sep, const char **p, const char *end, gboolean *more,
            const char **fs, const char **fe)
{
  const char *s = *p;

  if (sep == ' ')
    {
      while (s < end && is_blank (*s))
        s++;
      if (s == end)
        return FALSE;
      *fs = s;
      while (s < end && !is_blank (*s))
        s++;
      *fe = s;
      *p = s;
      return TRUE;
    }
  else
    {
      const char *q;
      const char *a, *b;

      if (!*more)
        return FALSE;
      q = memchr (s, sep, (gsize) (end - s));
      if (q != NULL)
        *p = q + 1;
      else
        {
          q = end;
          *more = FALSE;
          *p = end;
        }
      a = s;
      b = q;
      while (a < b && is_blank (*a))
        a++;
      while (b > a && is_blank (b[-1]))
        b--;
      /* Tolerate plain quoting ("x"); flowread never writes a separator
       * inside a field, so no escapes are needed. */
      if (b - a >= 2 && *a == '"' && b[-1] == '"')
        {
          a++;
          b--;
        }
      *fs = a;
      *fe = b;
      return TRUE;
    }
}

static char
guess_separator (const char *header, gsize len)
{
  if (memchr (header, ',', len) != NULL)
    return ',';
  if (memchr (header, '\t', len) != NULL)
    return '\t';
  return ' ';
}

static const FlCsvColumn *
lookup_column (const FlCsvColumn *table, gsize n, const char *name,
               gsize len)
{
  for (gsize i = 0; i < n; i++)
    if (strlen (table[i].name) == len && memcmp (table[i].name, name, len) == 0)
      return &table[i];
  return NULL;
}

static gboolean
name_is (const char *s, gsize len, const char *name)
{
  return strlen (name) == len && memcmp (s, name, len) == 0;
}

FlCsvParser *
fl_csv_parser_new (const char *header, gsize len, char sep, GError **error)
{
  g_autoptr (GPtrArray) names = NULL; /* borrowed (start, len) pairs */
  g_autofree char *copy = NULL;
  FlCsvParser *parser;
  const FlCsvColumn *table;
  FlCsvColumn fe_table[FL_FE_N_COLUMNS];
  gsize table_len;
  FlCsvDialect dialect;
  gboolean hash = FALSE, more = TRUE;
  const char *p, *end;
  guint64 seen[2] = { 0, 0 };
  gint extra_col = -1, marked_col = -1;
  guint known = 0;

  g_return_val_if_fail (header != NULL || len == 0, NULL);

  /* flow-tools' "#:" inline column list; flowd-reader copies it. */
  if (len >= 2 && header[0] == '#' && header[1] == ':')
    {
      hash = TRUE;
      header += 2;
      len -= 2;
    }
  if (sep == 0)
    sep = guess_separator (header, len);
  if (sep != ',' && sep != '\t' && sep != ' ')
    {
      fl_set_error (error, FL_ERROR_INVALID, G_MAXUINT64,
                    "invalid CSV separator");
      return NULL;
    }

  /* Copy the header: error messages name columns for the parser's life. */
  copy = g_malloc (len + 1);
  memcpy (copy, header, len);
  copy[len] = '\0';

  names = g_ptr_array_new ();
  p = copy;
  end = copy + len;
  for (;;)
    {
      const char *fs, *fe;

      if (!next_field (sep, &p, end, &more, &fs, &fe))
        break;
      if (names->len / 2 >= FL_CSV_MAX_COLUMNS)
        {
          fl_set_error (error, FL_ERROR_UNKNOWN_FORMAT, G_MAXUINT64,
                        "header has more than %d columns", FL_CSV_MAX_COLUMNS);
          return NULL;
        }
      g_ptr_array_add (names, (gpointer) fs);
      g_ptr_array_add (names, GSIZE_TO_POINTER ((gsize) (fe - fs)));
    }
  if (names->len == 0)
    {
      fl_set_error (error, FL_ERROR_UNKNOWN_FORMAT, G_MAXUINT64,
                    "empty header row");
      return NULL;
    }

  /* Which column set? "#:" is flow-export's (and flowd-reader's); nfdump
   * starts with ts,te; flow-export names without "#:" are lower case
   * (dpkts) where flowread's are not (dPkts). */
  if (hash)
    dialect = FL_CSV_DIALECT_FLOW_EXPORT;
  else
    {
      dialect = FL_CSV_DIALECT_FLOWREAD;
      for (guint i = 0; i < names->len; i += 2)
        {
          const char *n = names->pdata[i];
          gsize nl = GPOINTER_TO_SIZE (names->pdata[i + 1]);

          if (name_is (n, nl, "ts") || name_is (n, nl, "sa"))
            {
              dialect = FL_CSV_DIALECT_NFDUMP;
              break;
            }
          if (name_is (n, nl, "unix_secs") || name_is (n, nl, "dpkts") ||
              name_is (n, nl, "doctets") || name_is (n, nl, "sysuptime"))
            {
              dialect = FL_CSV_DIALECT_FLOW_EXPORT;
              break;
            }
        }
    }
  switch (dialect)
    {
    case FL_CSV_DIALECT_FLOW_EXPORT:
      flow_export_table (fe_table);
      table = fe_table;
      table_len = G_N_ELEMENTS (fe_table);
      break;
    case FL_CSV_DIALECT_NFDUMP:
      table = nfdump_columns;
      table_len = G_N_ELEMENTS (nfdump_columns);
      break;
    case FL_CSV_DIALECT_FLOWREAD:
    default:
      table = flowread_columns;
      table_len = G_N_ELEMENTS (flowread_columns);
      break;
    }

  parser = g_new0 (FlCsvParser, 1);
  parser->dialect = dialect;
  parser->sep = sep;
  parser->n_cols = names->len / 2;
  parser->cols = g_new0 (FlCsvColumn, parser->n_cols);
  for (guint c = 0; c < parser->n_cols; c++)
    {
      char *n = names->pdata[2 * c];
      gsize nl = GPOINTER_TO_SIZE (names->pdata[2 * c + 1]);
      const FlCsvColumn *col = lookup_column (table, table_len, n, nl);
      guint bit;

      n[nl] = '\0'; /* the copy is ours: terminate names in place */
      if (col == NULL)
        {
          fl_set_error (error, FL_ERROR_UNKNOWN_FORMAT, G_MAXUINT64,
                        "unknown column \"%s\" in a %s header", n,
                        dialect == FL_CSV_DIALECT_FLOW_EXPORT ? "flow-export" :
                        dialect == FL_CSV_DIALECT_NFDUMP ? "nfdump" :
                        "flowread");
          goto fail;
        }
      parser->cols[c] = *col;
      parser->cols[c].name = n;
      if (col->kind == COL_SKIP)
        continue;
      bit = col->bit;
      /* flow-export quirk 1: v6 prints peer_nexthop under a second
       * "nexthop" column. */
      if (MARKED (seen, bit) && dialect == FL_CSV_DIALECT_FLOW_EXPORT &&
          col->bit == FL_FIELD_NEXTHOP &&
          !MARKED (seen, FL_FIELD_PEER_NEXTHOP))
        {
          parser->cols[c].bit = FL_FIELD_PEER_NEXTHOP;
          parser->cols[c].off = M_OFF (peer_nexthop);
          bit = FL_FIELD_PEER_NEXTHOP;
        }
      else if (MARKED (seen, bit))
        {
          fl_set_error (error, FL_ERROR_UNKNOWN_FORMAT, G_MAXUINT64,
                        "duplicate column \"%s\"", n);
          goto fail;
        }
      MARK (seen, bit);
      known++;
      if (col->bit == FL_FIELD_EXTRA_PKTS)
        extra_col = (gint) c;
      else if (col->bit == FL_FIELD_MARKED_TOS)
        marked_col = (gint) c;
    }

  /* flow-export quirk 2: 8.6-8.8 print marked_tos's value under the
   * "extra_pkts" column and extra_pkts's under "marked_tos" (flow-import
   * reads them back the same way). Only when both are printed. */
  if (dialect == FL_CSV_DIALECT_FLOW_EXPORT && extra_col >= 0 &&
      marked_col >= 0)
    {
      FlCsvColumn *e = &parser->cols[extra_col];
      FlCsvColumn *m = &parser->cols[marked_col];
      const char *en = e->name, *mn = m->name;
      FlCsvColumn t = *e;

      *e = *m;
      *m = t;
      e->name = en;
      m->name = mn;
    }

  if (known == 0 ||
      (dialect == FL_CSV_DIALECT_NFDUMP &&
       !(MARKED (seen, FL_FIELD_SRCADDR) && MARKED (seen, FL_FIELD_DSTADDR))))
    {
      fl_set_error (error, FL_ERROR_UNKNOWN_FORMAT, G_MAXUINT64,
                    "header has no flow column");
      goto fail;
    }
  parser->derive_times = dialect == FL_CSV_DIALECT_FLOW_EXPORT &&
                         (seen[1] & RAW_BASE) == RAW_BASE;
  parser->header_copy = g_steal_pointer (&copy);
  return parser;

fail:
  g_free (parser->cols);
  g_free (parser);
  return NULL;
}

FlCsvDialect
fl_csv_parser_get_dialect (FlCsvParser *parser)
{
  return parser->dialect;
}

void
fl_csv_parser_free (FlCsvParser *parser)
{
  if (parser == NULL)
    return;
  g_free (parser->cols);
  g_free (parser->header_copy);
  g_free (parser);
}

/* ------------------------------------------------------------ values */

/* Unsigned decimal, no sign, no blanks (the caller trimmed them). */
static inline gboolean
parse_u64 (const char *s, const char *e, guint64 *out)
{
  guint64 v = 0;

  if (s == e || e - s > 20)
    return FALSE;
  for (; s < e; s++)
    {
      unsigned d = (unsigned char) *s - '0';

      if (d > 9)
        return FALSE;
      if (v > (G_MAXUINT64 - d) / 10)
        return FALSE;
      v = v * 10 + d;
    }
  *out = v;
  return TRUE;
}

static inline void
store_uint (FlFlow *flow, const FlCsvColumn *c, guint64 v)
{
  guint8 *m = (guint8 *) flow + c->off;

  switch (c->size)
    {
    case 1: { guint8 x = (guint8) v; memcpy (m, &x, 1); break; }
    case 2: { guint16 x = (guint16) v; memcpy (m, &x, 2); break; }
    case 4: { guint32 x = (guint32) v; memcpy (m, &x, 4); break; }
    default: memcpy (m, &v, 8); break;
    }
}

static inline guint64
size_max (guint8 size)
{
  return size >= 8 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << (8 * size)) - 1;
}

/* The leading run of ASCII digits in 8 bytes (first char in the lowest
 * byte): how many (0..8), and their value. Branch-free, so fields of
 * varying length do not cost a mispredicted loop exit each. */
static inline unsigned
swar_digits (const char *p, guint64 *value)
{
  guint64 w, x, nondigit, v;
  unsigned n;

  memcpy (&w, p, 8);
  w = GUINT64_FROM_LE (w);
  x = w ^ G_GUINT64_CONSTANT (0x3030303030303030);
  /* high bit set in each byte that is not '0'..'9'; carries only move
   * upwards, so the lowest flagged byte is right */
  nondigit = ((x + G_GUINT64_CONSTANT (0x7676767676767676)) | x) &
             G_GUINT64_CONSTANT (0x8080808080808080);
  n = nondigit != 0 ? (unsigned) __builtin_ctzll (nondigit) / 8 : 8;
  if (n == 0)
    return 0;
  if (n < 8) /* left-pad with '0' digits */
    x = x << (8 * (8 - n));
  v = (x * 10) + (x >> 8);
  v = (((v & G_GUINT64_CONSTANT (0x000000FF000000FF)) *
        (100 + (G_GUINT64_CONSTANT (1000000) << 32))) +
       (((v >> 16) & G_GUINT64_CONSTANT (0x000000FF000000FF)) *
        (1 + (G_GUINT64_CONSTANT (10000) << 32)))) >> 32;
  *value = v;
  return n;
}

/* A dotted quad at the start of [s, e): TRUE with *stop after it. */
static inline gboolean
parse_ipv4_prefix (const char *s, const char *e, const char **stop,
                   guint32 *out)
{
  guint32 v = 0;
  const char *p = s;

  for (int part = 0; part < 4; part++)
    {
      unsigned o = 0, nd = 0;

      if (e - p >= 8)
        {
          guint64 x = 0;

          nd = swar_digits (p, &x);
          p += nd;
          o = nd <= 3 ? (unsigned) x : 256;
        }
      else
        while (p < e && *p >= '0' && *p <= '9' && nd < 4)
          {
            o = o * 10 + (unsigned) (*p - '0');
            p++;
            nd++;
          }
      if (nd == 0 || nd > 3 || o > 255)
        return FALSE;
      v = (v << 8) | o;
      if (part < 3)
        {
          if (p == e || *p != '.')
            return FALSE;
          p++;
        }
    }
  *stop = p;
  *out = v;
  return TRUE;
}

/* Dotted quad by hand; anything with ':' through inet_pton (IPv6). */
/* "02:81:3e:ce:30:cc", as flowread prints it (either case). */
static gboolean
parse_mac (const char *s, const char *e, guint8 mac[6])
{
  if (e - s != 17)
    return FALSE;
  for (int i = 0; i < 6; i++, s += 3)
    {
      int hi = g_ascii_xdigit_value (s[0]), lo = g_ascii_xdigit_value (s[1]);

      if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':'))
        return FALSE;
      mac[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

/* nfdump's "label-exp-bos": label < 2^20, exp < 8, bos 0 or 1. */
static gboolean
parse_mpls (const char *s, const char *e, guint64 *out)
{
  const char *d1 = memchr (s, '-', (gsize) (e - s));
  guint64 label, exp, bos;

  if (d1 == NULL || e - d1 != 4 || d1[2] != '-' ||
      !parse_u64 (s, d1, &label) || label >= (1 << 20) ||
      !parse_u64 (d1 + 1, d1 + 2, &exp) || exp > 7 ||
      !parse_u64 (d1 + 3, e, &bos) || bos > 1)
    return FALSE;
  *out = label << 4 | exp << 1 | bos;
  return TRUE;
}

static gboolean
parse_addr (const char *s, const char *e, FlAddr *addr)
{
  gsize len = (gsize) (e - s);
  const char *stop;
  guint32 v;

  if (len >= 7 && len <= 15 && parse_ipv4_prefix (s, e, &stop, &v) &&
      stop == e)
    {
      fl_addr_set_ipv4 (addr, v);
      return TRUE;
    }
  if (len >= 2 && len < INET6_ADDRSTRLEN + 8 && memchr (s, ':', len) != NULL)
    {
      char buf[INET6_ADDRSTRLEN + 8];
      guint8 bytes[16];

      memcpy (buf, s, len);
      buf[len] = '\0';
      if (inet_pton (AF_INET6, buf, bytes) != 1)
        return FALSE;
      memset (addr, 0, sizeof *addr);
      fl_addr_set_ipv6 (addr, bytes);
      return TRUE;
    }
  return FALSE;
}

static inline gboolean
take_digits (const char **p, const char *e, int n, int *out)
{
  int v = 0;

  if (e - *p < n)
    return FALSE;
  for (int i = 0; i < n; i++)
    {
      unsigned d = (unsigned char) (*p)[i] - '0';

      if (d > 9)
        return FALSE;
      v = v * 10 + (int) d;
    }
  *p += n;
  *out = v;
  return TRUE;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|+hh:mm|-hh:mm]" -> ns since 1970.
 * No zone means UTC (nfdump run with TZ=UTC). */
static gboolean
parse_time (const char *s, const char *e, gint64 *out)
{
  const char *p = s;
  int year, mon, day, hour, min, sec, frac = 0, fdig = 0;
  gint64 secs, ns;

  if (!take_digits (&p, e, 4, &year) || p == e || *p++ != '-' ||
      !take_digits (&p, e, 2, &mon) || p == e || *p++ != '-' ||
      !take_digits (&p, e, 2, &day) || p == e ||
      (*p != 'T' && *p != 't' && *p != ' '))
    return FALSE;
  p++;
  if (!take_digits (&p, e, 2, &hour) || p == e || *p++ != ':' ||
      !take_digits (&p, e, 2, &min) || p == e || *p++ != ':' ||
      !take_digits (&p, e, 2, &sec))
    return FALSE;
  if (p < e && *p == '.')
    {
      p++;
      while (p < e && *p >= '0' && *p <= '9')
        {
          if (fdig == 9)
            return FALSE; /* more than ns: cannot round trip */
          frac = frac * 10 + (*p - '0');
          fdig++;
          p++;
        }
      if (fdig == 0)
        return FALSE;
      for (int i = fdig; i < 9; i++)
        frac *= 10;
    }
  secs = 0;
  if (p < e && (*p == 'Z' || *p == 'z'))
    p++;
  else if (p < e && (*p == '+' || *p == '-'))
    {
      int sign = *p++ == '-' ? -1 : 1, zh, zm;

      if (!take_digits (&p, e, 2, &zh) || p == e || *p++ != ':' ||
          !take_digits (&p, e, 2, &zm) || zh > 23 || zm > 59)
        return FALSE;
      secs = -sign * (gint64) (zh * 3600 + zm * 60);
    }
  if (p != e)
    return FALSE;
  /* gint64 ns covers 1678..2261: refuse what does not fit. */
  if (!fl_time_from_civil (year, (guint) mon, (guint) day, (guint) hour,
                           (guint) min, (guint) sec, (guint32) frac, &ns))
    return FALSE;
  /* the zone offset, at most a day: near the edges it may not fit */
  if ((secs > 0 && ns > G_MAXINT64 - secs * 1000000000)
      || (secs < 0 && ns < G_MININT64 - secs * 1000000000))
    return FALSE;
  ns += secs * 1000000000;
  *out = ns;
  return TRUE;
}

static gboolean
parse_proto (const char *s, const char *e, guint64 *out)
{
  gsize len = (gsize) (e - s);

  if (parse_u64 (s, e, out))
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (nfdump_protocols); i++)
    if (strlen (nfdump_protocols[i]) == len &&
        g_ascii_strncasecmp (nfdump_protocols[i], s, len) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

/* nfdump's "CEUAPRSF" with '.' for a clear bit, or a number. */
static gboolean
parse_flags (const char *s, const char *e, guint64 *out)
{
  static const char letters[] = "CEUAPRSF";
  guint64 v = 0;

  if (e - s != 8)
    return parse_u64 (s, e, out);
  for (int i = 0; i < 8; i++)
    {
      if (s[i] == letters[i])
        v |= 0x80u >> i;
      else if (s[i] != '.')
        return parse_u64 (s, e, out);
    }
  *out = v;
  return TRUE;
}

/* ------------------------------------------------------------ rows */

static FlStatus
row_error (FlCsvParser *parser, guint c, const char *line, const char *fs,
           const char *fe, guint64 offset, const char *what, GError **error)
{
  int shown = (int) MIN (fe - fs, 64);

  fl_set_error (error, FL_ERROR_CORRUPT, offset + (guint64) (fs - line),
                "column %u (%s): %s \"%.*s%s\"", c + 1, parser->cols[c].name,
                what, shown, fs, fe - fs > 64 ? "..." : "");
  return FL_STATUS_ERROR;
}

static gboolean
is_data_end (FlCsvParser *parser, const char *line, gsize len)
{
  const char *s = line, *e = line + len;

  if (parser->dialect != FL_CSV_DIALECT_NFDUMP)
    return FALSE;
  while (s < e && is_blank (*s))
    s++;
  while (e > s && is_blank (e[-1]))
    e--;
  return name_is (s, (gsize) (e - s), "Summary") ||
         name_is (s, (gsize) (e - s), "No matching flows");
}

FlStatus
fl_csv_parser_parse (FlCsvParser *parser, const char *line, gsize len,
                     guint64 offset, FlFlow *flow, GError **error)
{
  const char *p = line, *end = line + len;
  gboolean more = TRUE;
  guint64 seen[2] = { 0, 0 };

  for (guint c = 0; c < parser->n_cols; c++)
    {
      const FlCsvColumn *col = &parser->cols[c];
      const char *fs, *fe;
      guint64 v;

      /* Fast paths for the common case, a plain number or dotted quad
       * right up to the separator: parse while scanning, once. Anything
       * else (blanks, quotes, errors) takes the general path below. */
      if (parser->sep != ' ' && more)
        {
          const char sep = parser->sep;
          const char *q = p;

          if (col->kind == COL_UINT)
            {
              guint64 x = 0;
              unsigned d;

              if (end - q >= 8)
                q += swar_digits (q, &x);
              while (q < end && (d = (unsigned char) *q - '0') <= 9)
                {
                  x = x * 10 + d;
                  q++;
                }
              /* <= 19 digits cannot overflow a guint64 */
              if (q > p && q - p <= 19 && (q == end || *q == sep))
                {
                  if (x > size_max (col->size))
                    return row_error (parser, c, line, p, q, offset,
                                      "value out of range", error);
                  store_uint (flow, col, x);
                  MARK (seen, col->bit);
                  if (q == end)
                    more = FALSE;
                  p = q == end ? end : q + 1;
                  continue;
                }
            }
          else if (col->kind == COL_ADDR)
            {
              guint32 a;

              if (parse_ipv4_prefix (p, end, &q, &a) &&
                  (q == end || *q == sep))
                {
                  fl_addr_set_ipv4 ((FlAddr *) ((guint8 *) flow + col->off), a);
                  MARK (seen, col->bit);
                  if (q == end)
                    more = FALSE;
                  p = q == end ? end : q + 1;
                  continue;
                }
            }
          else if (col->kind == COL_SKIP)
            {
              while (q < end && *q != sep)
                q++;
              if (q == end)
                more = FALSE;
              p = q == end ? end : q + 1;
              continue;
            }
        }

      if (!next_field (parser->sep, &p, end, &more, &fs, &fe))
        {
          if (is_data_end (parser, line, len))
            return FL_STATUS_END;
          fl_set_error (error, FL_ERROR_CORRUPT, offset + len,
                        "row has %u columns, the header %u", c,
                        parser->n_cols);
          return FL_STATUS_ERROR;
        }
      if (col->kind == COL_SKIP || fs == fe)
        continue; /* empty = absent (flowread -o csv) */

      switch (col->kind)
        {
        case COL_UINT:
          if (!parse_u64 (fs, fe, &v))
            {
              if (c == 0 && is_data_end (parser, line, len))
                return FL_STATUS_END;
              return row_error (parser, c, line, fs, fe, offset,
                                "not an unsigned number", error);
            }
          if (v > size_max (col->size))
            return row_error (parser, c, line, fs, fe, offset,
                              "value out of range", error);
          store_uint (flow, col, v);
          break;
        case COL_ADDR:
          if (fe - fs == 6 && memcmp (fs, "(null)", 6) == 0)
            continue; /* flowd-reader's absent address */
          if (!parse_addr (fs, fe, (FlAddr *) ((guint8 *) flow + col->off)))
            return row_error (parser, c, line, fs, fe, offset,
                              "not an IP address", error);
          break;
        case COL_TIME:
          {
            gint64 t;

            if (!parse_time (fs, fe, &t))
              {
                if (c == 0 && is_data_end (parser, line, len))
                  return FL_STATUS_END;
                return row_error (parser, c, line, fs, fe, offset,
                                  "not a date and time", error);
              }
            memcpy ((guint8 *) flow + col->off, &t, sizeof t);
          }
          break;
        case COL_PROTO:
          if (!parse_proto (fs, fe, &v) || v > 255)
            return row_error (parser, c, line, fs, fe, offset,
                              "not a protocol", error);
          store_uint (flow, col, v);
          break;
        case COL_FLAGS:
          if (!parse_flags (fs, fe, &v) || v > 255)
            return row_error (parser, c, line, fs, fe, offset,
                              "not TCP flags", error);
          store_uint (flow, col, v);
          break;
        case COL_MAC:
          if (!parse_mac (fs, fe, (guint8 *) flow + col->off))
            return row_error (parser, c, line, fs, fe, offset,
                              "not a MAC address", error);
          break;
        case COL_MPLS:
          if (!parse_mpls (fs, fe, &v))
            return row_error (parser, c, line, fs, fe, offset,
                              "not an MPLS label-exp-bos", error);
          store_uint (flow, col, v);
          break;
        default:
          g_assert_not_reached ();
        }
      MARK (seen, col->bit);
    }

  /* Anything left over is an extra column. */
  if (parser->sep == ' ')
    {
      while (p < end && is_blank (*p))
        p++;
      more = p < end;
    }
  if (more)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, offset + (guint64) (p - line),
                    "row has more than the header's %u columns",
                    parser->n_cols);
      return FL_STATUS_ERROR;
    }

  if (parser->derive_times && (seen[1] & RAW_BASE) == RAW_BASE)
    {
      if (MARKED (seen, RAW_FIRST))
        {
          flow->first = fl_time_from_uptime (flow->unix_secs, flow->unix_nsecs,
                                             flow->sysuptime, flow->uptime_first);
          MARK (seen, FL_FIELD_FIRST);
        }
      if (MARKED (seen, RAW_LAST))
        {
          flow->last = fl_time_from_uptime (flow->unix_secs, flow->unix_nsecs,
                                            flow->sysuptime, flow->uptime_last);
          MARK (seen, FL_FIELD_LAST);
        }
      if (MARKED (seen, RAW_FIRST) && MARKED (seen, RAW_LAST))
        MARK (seen, FL_FIELD_FT_TIMES);
    }
  flow->present = seen[0];
  flow->present_hi = seen[1] & OUTPUT_MASK_HI;
  return FL_STATUS_OK;
}

/* SPDX-License-Identifier: MIT */
/*
 * flowread.h: the host API of libflowread.
 *
 * A host application creates one FlRegistry (the loaded plugins), then opens
 * any number of FlReader on paths, file descriptors or memory buffers, and
 * iterates flows with fl_reader_next() into one FlFlow that it reuses.
 *
 * Thread-safety: an FlRegistry is read-only once loaded and may be shared by
 * any number of threads (it is reference counted atomically). An FlReader, and
 * the FlFlow it fills, belong to one thread at a time.
 *
 * Errors: every function that can fail takes a GError ** last, in the FL_ERROR
 * domain (see FlError). Messages name the input, the plugin chain
 * ("gzip > flowd") and the byte offset where that is known.
 */
#pragma once

#include <glib.h>
#include <flowread/flowread-version.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------ errors */

#define FL_ERROR (fl_error_quark ())
GQuark fl_error_quark (void);

typedef enum {
  FL_ERROR_IO = 1,           /* read(2)/open(2) failed */
  FL_ERROR_UNKNOWN_FORMAT,   /* no format plugin claimed the input */
  FL_ERROR_AMBIGUOUS_FORMAT, /* two heuristic plugins scored too close */
  FL_ERROR_UNSUPPORTED_VERSION, /* recognised format, version we cannot read */
  FL_ERROR_TRUNCATED,        /* input ends inside a header or record */
  FL_ERROR_CORRUPT,          /* input contradicts its format */
  FL_ERROR_TOO_MANY_WRAPPERS,/* more than FL_MAX_WRAPPER_DEPTH wrappers */
  FL_ERROR_EXEC,             /* an external program failed */
  FL_ERROR_PLUGIN,           /* plugin missing, refused or misbehaving */
  FL_ERROR_INVALID,          /* invalid argument from the caller */
  FL_ERROR_LIMIT,            /* a length or size exceeded a safety cap */
} FlError;

/* Maximum number of stacked wrappers (gzip in gzip in ...). */
#define FL_MAX_WRAPPER_DEPTH 8

/* ------------------------------------------------------------------ the flow */

/* An address: family 0 (absent), 4 or 6. IPv4 uses addr[0..3] in network
 * order; the rest is zero. */
typedef struct {
  guint8 family;
  guint8 addr[16];
} FlAddr;

/* Field identifiers. FROZEN: once a field has a number here it keeps it
 * forever, so that a plugin or host built against an older minor of the ABI
 * stays right; new fields get the next free number. The numbers say nothing
 * about output order: JSON/CSV/text print the core keys in design.md
 * section 3's order, then the extras in name (strcmp) order, from the table
 * behind fl_field_get_output_order().
 *
 * FL_FIELD_FT_TIMES is not an output field: it says that the flow-tools raw
 * time fields (unix_secs ... uptime_last) are set, so that `-o flow-export`
 * can reproduce flow-export's columns exactly.
 *
 * Ids 0..32 are ABI 1.0; 33..68 were added in ABI 1.1 (nfcapd's fields). */
typedef enum {
  FL_FIELD_FIRST = 0,
  FL_FIELD_LAST = 1,
  FL_FIELD_SRCADDR = 2,
  FL_FIELD_DSTADDR = 3,
  FL_FIELD_SRCPORT = 4,
  FL_FIELD_DSTPORT = 5,
  FL_FIELD_PROT = 6,
  FL_FIELD_DPKTS = 7,
  FL_FIELD_DOCTETS = 8,
  FL_FIELD_TCP_FLAGS = 9,
  FL_FIELD_TOS = 10,
  FL_FIELD_INPUT = 11,
  FL_FIELD_OUTPUT = 12,
  FL_FIELD_NEXTHOP = 13,
  FL_FIELD_EXADDR = 14,
  FL_FIELD_SRC_AS = 15,
  FL_FIELD_DST_AS = 16,
  FL_FIELD_SRC_MASK = 17,
  FL_FIELD_DST_MASK = 18,
  FL_FIELD_ENGINE_TYPE = 19,
  FL_FIELD_ENGINE_ID = 20,
  FL_FIELD_DFLOWS = 21,
  FL_FIELD_DST_TAG = 22,
  FL_FIELD_EXTRA_PKTS = 23,
  FL_FIELD_IN_ENCAPS = 24,
  FL_FIELD_MARKED_TOS = 25,
  FL_FIELD_OUT_ENCAPS = 26,
  FL_FIELD_PEER_NEXTHOP = 27,
  FL_FIELD_RECV_TIME = 28,
  FL_FIELD_ROUTER_SC = 29,
  FL_FIELD_SRC_TAG = 30,
  FL_FIELD_TAG = 31,
  FL_FIELD_FT_TIMES = 32,
  /* ABI 1.1: nfcapd (nfdump) elements, design.md section 3 */
  FL_FIELD_FWD_STATUS = 33,
  FL_FIELD_DST_TOS = 34,
  FL_FIELD_DIRECTION = 35,
  FL_FIELD_BIFLOW_DIR = 36,
  FL_FIELD_FLOW_END_REASON = 37,
  FL_FIELD_OUT_PACKETS = 38,
  FL_FIELD_OUT_BYTES = 39,
  FL_FIELD_SRC_VLAN = 40,
  FL_FIELD_DST_VLAN = 41,
  FL_FIELD_NEXT_AS = 42,
  FL_FIELD_PREV_AS = 43,
  FL_FIELD_BGP_NEXTHOP = 44,
  FL_FIELD_MPLS_1 = 45,       /* .. FL_FIELD_MPLS_1 + 9 = mpls_10 */
  FL_FIELD_MPLS_10 = 54,
  FL_FIELD_IN_SRC_MAC = 55,
  FL_FIELD_OUT_DST_MAC = 56,
  FL_FIELD_IN_DST_MAC = 57,
  FL_FIELD_OUT_SRC_MAC = 58,
  FL_FIELD_CLI_LATENCY_US = 59,
  FL_FIELD_SRV_LATENCY_US = 60,
  FL_FIELD_APP_LATENCY_US = 61,
  FL_FIELD_SRC_XLT_IP = 62,
  FL_FIELD_DST_XLT_IP = 63,
  FL_FIELD_SRC_XLT_PORT = 64,
  FL_FIELD_DST_XLT_PORT = 65,
  FL_FIELD_INGRESS_VRF = 66,
  FL_FIELD_EGRESS_VRF = 67,
  FL_FIELD_FLOW_ID = 68,
  FL_N_FIELDS = 69            /* grows with the ABI minor; never shrinks */
} FlField;

/* The bit of a field in FlFlow.present (ids 0..63) or FlFlow.present_hi
 * (ids 64..127). Prefer fl_flow_has() / fl_flow_set(). */
#define FL_FIELD_BIT(f) (G_GUINT64_CONSTANT (1) << ((f) & 63))

/* The value type of a field, for hosts that print or convert generically. */
typedef enum {
  FL_TYPE_UINT = 1,  /* an unsigned integer, fl_flow_get_uint() */
  FL_TYPE_TIME,      /* gint64 ns since 1970, fl_flow_get_time() */
  FL_TYPE_ADDR,      /* FlAddr, fl_flow_get_addr() */
  FL_TYPE_MAC,       /* 6 bytes; printed "02:81:3e:ce:30:cc" */
  FL_TYPE_MPLS,      /* one label stack entry, label<<4 | exp<<1 | bos, as a
                        uint; printed "label-exp-bos" as nfdump prints it */
  FL_TYPE_INTERNAL,  /* FL_FIELD_FT_TIMES: not an output field */
} FlFieldType;

/* One flow. Reused by fl_reader_next(): the core resets `present` and
 * `present_hi` to 0 before every next() and the plugin sets the fields it
 * has; a field whose bit is not set is absent from the source (not zero)
 * and its member holds a stale value: always test fl_flow_has(). Field
 * names are flow-tools' (and py3flowtools'), nfdump's for its own fields.
 *
 * ABI growth: members are only ever added at the end. A host built against
 * an older, smaller FlFlow gets the prefix it knows (the core fills a full
 * one and copies). A plugin built against 1.0 fills the 1.0 prefix only. */
typedef struct {
  gsize   struct_size;   /* sizeof (FlFlow) of the caller: ABI growth */
  guint64 present;       /* fields 0..63: FL_FIELD_BIT() set */

  gint64  first, last;   /* absolute UTC, nanoseconds since 1970 */
  FlAddr  srcaddr, dstaddr, nexthop, exaddr;
  guint16 srcport, dstport; /* ICMP: srcport 0, dstport type*256 + code */
  guint8  prot, tcp_flags, tos;
  guint32 input, output; /* flowd and IPFIX carry 32-bit ifIndex */
  guint32 src_as, dst_as;
  guint8  src_mask, dst_mask;
  guint16 engine_type, engine_id; /* u8 in NetFlow v5, u16 in flowd */
  guint64 dPkts, dOctets;

  /* format extras */
  guint32 dFlows;        /* flow-tools v8 aggregates, nfdump "aggr flows"
                            (nfdump's is 64-bit: saturated at 2^32-1) */
  guint32 src_tag, dst_tag; /* flow-tools v1005 */
  guint32 extra_pkts;    /* flow-tools v8.6-8.8 */
  guint8  marked_tos;    /* flow-tools v8.6-8.8 */
  guint8  in_encaps, out_encaps; /* flow-tools v6 */
  FlAddr  peer_nexthop;  /* flow-tools v6 */
  FlAddr  router_sc;     /* flow-tools v7, v8.6-8.8 */
  gint64  recv_time;     /* flowd, nfdump: when the collector received it */
  guint32 tag;           /* flowd */

  /* flow-tools raw times (FL_FIELD_FT_TIMES) */
  guint32 unix_secs, unix_nsecs, sysuptime, uptime_first, uptime_last;

  /* ---- ABI 1.1 (nfcapd) ---- */
  guint64 present_hi;    /* fields 64..127 */
  guint64 out_packets, out_bytes;
  guint64 flow_id;
  guint64 cli_latency_us, srv_latency_us, app_latency_us;
  FlAddr  bgp_nexthop, src_xlt_ip, dst_xlt_ip;
  guint32 next_as, prev_as;
  guint32 ingress_vrf, egress_vrf;
  guint32 mpls[10];      /* label<<4 | exp<<1 | bos (FL_TYPE_MPLS) */
  guint8  in_src_mac[6], out_dst_mac[6], in_dst_mac[6], out_src_mac[6];
  guint16 src_vlan, dst_vlan;
  guint16 src_xlt_port, dst_xlt_port;
  guint8  fwd_status, dst_tos, direction, biflow_dir, flow_end_reason;
} FlFlow;

/* Clears a flow and sets its struct_size. Call once before the first
 * fl_reader_next(). */
void fl_flow_init (FlFlow *flow);

static inline gboolean
fl_flow_has (const FlFlow *flow, FlField field)
{
  if ((guint) field < 64)
    return (flow->present & FL_FIELD_BIT (field)) != 0;
  return (flow->present_hi & FL_FIELD_BIT (field)) != 0;
}

/* Marks a field present (plugins). */
static inline void
fl_flow_set (FlFlow *flow, FlField field)
{
  if ((guint) field < 64)
    flow->present |= FL_FIELD_BIT (field);
  else
    flow->present_hi |= FL_FIELD_BIT (field);
}

/* The output name of a field ("first", "dPkts", "router_sc", "mpls_3" ...;
 * "ft_times" for FL_FIELD_FT_TIMES), or NULL for a value out of range. */
const char *fl_field_name (FlField field);
/* The field of an output name (case-sensitive, as printed), or -1. */
int         fl_field_from_name (const char *name);
FlFieldType fl_field_get_type (FlField field);
/* The output fields in output order (core keys, then extras by name);
 * *n_fields gets the count. Static storage. */
const FlField *fl_field_get_output_order (guint *n_fields);

/* Generic access by field id; FALSE when the field is absent (or not of
 * that type). fl_flow_get_uint() serves FL_TYPE_UINT and FL_TYPE_MPLS;
 * fl_flow_get_mac() copies 6 bytes. */
gboolean fl_flow_get_uint (const FlFlow *flow, FlField field, guint64 *value);
gboolean fl_flow_get_time (const FlFlow *flow, FlField field, gint64 *ns);
gboolean fl_flow_get_addr (const FlFlow *flow, FlField field, FlAddr *addr);
gboolean fl_flow_get_mac  (const FlFlow *flow, FlField field, guint8 mac[6]);

/* Formats an address (RFC 5952 for IPv6) into buf; returns buf. buf must
 * hold FL_ADDR_STRLEN bytes. An absent address gives "". */
#define FL_ADDR_STRLEN 48
char *fl_addr_to_string (const FlAddr *addr, char *buf);

/* Parses "192.0.2.1" or any inet_pton(AF_INET6) form. */
gboolean fl_addr_parse (FlAddr *addr, const char *text);

/* Formats nanoseconds since 1970 as RFC 3339 UTC with 9 fraction digits
 * ("2014-12-05T19:28:43.999867403Z"); returns buf. buf must hold
 * FL_TIME_STRLEN bytes. Works for times before 1970 and after 2038. */
#define FL_TIME_STRLEN 40
char *fl_time_to_string (gint64 ns, char *buf);

/* The flow-tools / NetFlow v5 time rule (design.md section 2):
 * unix_secs*1e9 + unix_nsecs - (int32)(sysuptime - t) * 1e6.
 * The uptime difference is taken modulo 2^32 as a signed value, so a
 * router uptime counter that wrapped between t and sysuptime is right: a
 * flow that started just before the wrap is 'ahead' of sysuptime by almost
 * 2^32 ms unsigned, but really a few ms behind it. Inline: the readers call
 * it twice per flow. */
static inline gint64
fl_time_from_uptime (guint32 unix_secs, guint32 unix_nsecs,
                     guint32 sysuptime, guint32 t)
{
  gint32 d = (gint32) (sysuptime - t);

  return (gint64) unix_secs * 1000000000 + (gint64) unix_nsecs
         - (gint64) d * 1000000;
}

/* ------------------------------------------------------------------ streams */

/* A byte stream with a peek buffer. Probing only peeks, so pipes and
 * standard input work without seeking. */
typedef struct _FlStream FlStream;

/* Opens a file; "-" is standard input. */
FlStream *fl_stream_new_path (const char *path, GError **error);
/* Reads fd; closes it on unref when close_fd. name is used in messages. */
FlStream *fl_stream_new_fd (int fd, const char *name, gboolean close_fd);
/* Reads a caller-owned buffer that must outlive the stream (no copy). */
FlStream *fl_stream_new_memory (const void *data, gsize len, const char *name);

FlStream *fl_stream_ref (FlStream *stream);
void      fl_stream_unref (FlStream *stream);

/* ------------------------------------------------------------------ registry */

typedef struct _FlRegistry FlRegistry;

typedef enum {
  FL_READER_FORMAT = 1,
  FL_READER_WRAPPER = 2,
} FlReaderKind;

typedef enum {
  FL_PROBE_MAGIC = 1,     /* fixed magic bytes: tried before heuristics */
  FL_PROBE_HEURISTIC = 2, /* structure checks: never claims 100 */
} FlProbeClass;

/* A loaded reader, or a refused plugin file (loaded == FALSE, reason set). */
typedef struct {
  const char  *name;        /* reader name ("flowd"), or file name if refused */
  const char  *plugin;      /* plugin (shared object) name */
  const char  *version;
  const char  *description;
  const char  *file;        /* path of the shared object */
  FlReaderKind kind;
  FlProbeClass probe_class;
  int          priority;
  gboolean     loaded;
  const char  *reason;      /* why refused, or why shadowed */
} FlPluginInfo;

/* An empty registry; add folders, then fl_registry_load(). */
FlRegistry *fl_registry_new (void);
/* Adds a plugin folder, searched before FLOWREAD_PLUGIN_PATH and the
 * default folder, in the order added. */
void fl_registry_add_dir (FlRegistry *registry, const char *dir);
/* Loads every plugin from the folders (API folders, FLOWREAD_PLUGIN_PATH
 * unless set-uid/set-gid, then $libdir/flowread-1/plugins). The first file
 * of a given name wins. Refused (and listed with the reason): relative
 * folders; files and folders (symlinks resolved) that someone other than
 * root or the running user owns or may write, or that lie below a folder
 * such a user owns or may write (sticky folders such as /tmp excepted);
 * these are not opened. Then, once opened: files without the entry
 * symbol, descriptors that fail the checks of flowread-plugin.h, reader
 * names already taken. Refusals are not fatal:
 * returns FALSE only if nothing at all could be loaded. Call once. */
gboolean fl_registry_load (FlRegistry *registry, GError **error);
/* Registry switches, set before fl_registry_load(). */
typedef enum {
  /* Load no exec reader (FL_READER_EXEC: a reader that runs an external
   * program, flowtools-exec, flowd-exec, nfdump-exec): they are listed as
   * refused with the reason, and no FlReader of this registry ever starts
   * a program. The per-open switch is FL_OPEN_NO_EXEC. */
  FL_REGISTRY_NO_EXEC = 1 << 0,
} FlRegistryFlags;
void fl_registry_set_flags (FlRegistry *registry, guint flags);
/* fl_registry_new() + fl_registry_load(). */
FlRegistry *fl_registry_new_default (GError **error);

FlRegistry *fl_registry_ref (FlRegistry *registry);
void        fl_registry_unref (FlRegistry *registry);

/* One entry per loaded reader (a plugin may have several) and one per
 * refused or shadowed file (loaded FALSE: name, plugin, file and reason
 * are set, the rest is 0/NULL), in load order. Owned by the registry. */
guint               fl_registry_get_n_plugins (FlRegistry *registry);
const FlPluginInfo *fl_registry_get_plugin (FlRegistry *registry, guint i);

/* The default plugin folder compiled in ($libdir/flowread-1/plugins). */
const char *fl_registry_get_default_dir (void);

/* ------------------------------------------------------------------ probing */

/* One probe result, for `flowread --probe`. */
typedef struct {
  guint        depth;   /* 0 = the input; 1 = inside the first wrapper ... */
  const char  *reader;
  FlReaderKind kind;
  int          score;   /* 0..100 */
  const char  *reason;  /* why 0, when the plugin said (may be NULL) */
  gboolean     winner;
} FlProbeResult;

typedef void (*FlProbeFunc) (const FlProbeResult *result, gpointer user_data);

/* Probes stream as fl_reader_new() would, calling func for every reader at
 * every depth, and reads no flow. Returns FALSE with the error that
 * fl_reader_new() would give (unknown/ambiguous format, too many wrappers).
 * Takes ownership of stream. */
gboolean fl_probe_stream (FlRegistry *registry, FlStream *stream,
                          FlProbeFunc func, gpointer user_data,
                          GError **error);

/* ------------------------------------------------------------------ reader */

typedef struct _FlReader FlReader;

typedef enum {
  FL_STATUS_ERROR = -1,
  FL_STATUS_END = 0,
  FL_STATUS_OK = 1,
} FlStatus;

/* A compiled filter expression (flowread-filter.h). */
typedef struct _FlFilter FlFilter;

/* FlOpenOptions.flags */
typedef enum {
  FL_OPEN_NO_EXEC    = 1 << 0, /* never pick an exec reader (runs no program):
                                  probing skips them (score 0, --probe says
                                  why), forcing one is FL_ERROR_PLUGIN */
  FL_OPEN_HAS_SINCE  = 1 << 1, /* `since` is set */
  FL_OPEN_HAS_UNTIL  = 1 << 2, /* `until` is set */
} FlOpenFlags;

/* Open options. Zero-initialise, set struct_size = sizeof (FlOpenOptions).
 * Members after `format` are ABI 1.1: a host built against 1.0 passes a
 * smaller struct_size and gets their zero defaults. */
typedef struct {
  gsize       struct_size;
  const char *format;    /* force this format reader (skip format probing;
                            wrappers are still probed and unwrapped) */
  /* ABI 1.1 */
  guint       flags;     /* FlOpenFlags */
  FlFilter   *filter;    /* only flows that match (the reader takes a ref) */
  gint64      since, until; /* only flows with since <= first < until (ns),
                               each when its FL_OPEN_HAS_* flag is set */
} FlOpenOptions;

/* Probes stream (wrappers, then formats) and opens the winning format.
 * Takes ownership of stream, also on failure. options may be NULL.
 * fl_reader_open_fd() does not close fd; the other two own what they open.
 * Ambiguity (FL_ERROR_AMBIGUOUS_FORMAT) is only declared between heuristic
 * readers of equal priority, both below FL_PROBE_LIKELY and within 10
 * points: a different priority is a deliberate preference (native reader
 * over its exec twin). */
FlReader *fl_reader_new (FlRegistry *registry, FlStream *stream,
                         const FlOpenOptions *options, GError **error);
FlReader *fl_reader_open_path (FlRegistry *registry, const char *path,
                               const FlOpenOptions *options, GError **error);
FlReader *fl_reader_open_fd (FlRegistry *registry, int fd, const char *name,
                             const FlOpenOptions *options, GError **error);
FlReader *fl_reader_open_memory (FlRegistry *registry, const void *data,
                                 gsize len, const char *name,
                                 const FlOpenOptions *options,
                                 GError **error);

/* Fills flow with the next flow. FL_STATUS_END at the clean end;
 * FL_STATUS_ERROR sets error (FL_ERROR_TRUNCATED for an input that ends
 * inside a record: every complete flow was returned before). END and ERROR
 * stick: later calls return the same status (ERROR without a new error). */
FlStatus fl_reader_next (FlReader *reader, FlFlow *flow, GError **error);

/* The format reader's name ("flowd"), the chain ("gzip > flowd") and the
 * input's name (path, "-", or the name given to open_fd/open_memory). Owned
 * by the reader. */
const char *fl_reader_get_format (FlReader *reader);
const char *fl_reader_get_chain (FlReader *reader);
const char *fl_reader_get_name (FlReader *reader);

/* Header metadata, as key/value strings, in the plugin's order (e.g.
 * "export_version" = "5", "byte_order" = "big-endian", "compressed" = "yes").
 * The core adds "format" and "chain" first. */
typedef void (*FlInfoFunc) (const char *key, const char *value,
                            gpointer user_data);
void fl_reader_foreach_info (FlReader *reader, FlInfoFunc func,
                             gpointer user_data);
/* One info value, or NULL. Owned by the caller. */
char *fl_reader_get_info (FlReader *reader, const char *key);

/* Closes the reader, its plugin handle, wrappers and stream (an exec
 * plugin's child is killed and reaped). NULL is allowed. */
void fl_reader_close (FlReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlRegistry, fl_registry_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlStream, fl_stream_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlReader, fl_reader_close)

G_END_DECLS

/* fl_filter_new() and friends: FlOpenOptions.filter's other half. */
#include <flowread/flowread-filter.h>

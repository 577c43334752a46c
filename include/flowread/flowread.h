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

/* Field identifiers. The order of the first group is the order of the JSON
 * and CSV output (design.md section 3); the extras follow in name order.
 * FL_FIELD_FT_TIMES is not an output field: it says that the flow-tools raw
 * time fields (unix_secs ... uptime_last) are set, so that `-o flow-export`
 * can reproduce flow-export's columns exactly. */
typedef enum {
  FL_FIELD_FIRST = 0,
  FL_FIELD_LAST,
  FL_FIELD_SRCADDR,
  FL_FIELD_DSTADDR,
  FL_FIELD_SRCPORT,
  FL_FIELD_DSTPORT,
  FL_FIELD_PROT,
  FL_FIELD_DPKTS,
  FL_FIELD_DOCTETS,
  FL_FIELD_TCP_FLAGS,
  FL_FIELD_TOS,
  FL_FIELD_INPUT,
  FL_FIELD_OUTPUT,
  FL_FIELD_NEXTHOP,
  FL_FIELD_EXADDR,
  FL_FIELD_SRC_AS,
  FL_FIELD_DST_AS,
  FL_FIELD_SRC_MASK,
  FL_FIELD_DST_MASK,
  FL_FIELD_ENGINE_TYPE,
  FL_FIELD_ENGINE_ID,
  /* extras, in name (strcmp) order */
  FL_FIELD_DFLOWS,
  FL_FIELD_DST_TAG,
  FL_FIELD_EXTRA_PKTS,
  FL_FIELD_IN_ENCAPS,
  FL_FIELD_MARKED_TOS,
  FL_FIELD_OUT_ENCAPS,
  FL_FIELD_PEER_NEXTHOP,
  FL_FIELD_RECV_TIME,
  FL_FIELD_ROUTER_SC,
  FL_FIELD_SRC_TAG,
  FL_FIELD_TAG,
  FL_N_OUTPUT_FIELDS,
  /* not printed by json/csv/text */
  FL_FIELD_FT_TIMES = FL_N_OUTPUT_FIELDS,
  FL_N_FIELDS
} FlField;

#define FL_FIELD_BIT(f) (G_GUINT64_CONSTANT (1) << (f))

/* One flow. Reused by fl_reader_next(): the core resets `present` to 0
 * before every next() and the plugin sets the fields it has; a field whose
 * bit is not in `present` is absent from the source (not zero) and its
 * member holds a stale value: always test fl_flow_has(). Field names are
 * flow-tools' (and py3flowtools'). */
typedef struct {
  gsize   struct_size;   /* sizeof (FlFlow) of the caller: ABI growth */
  guint64 present;       /* FL_FIELD_BIT() set */

  gint64  first, last;   /* absolute UTC, nanoseconds since 1970 */
  FlAddr  srcaddr, dstaddr, nexthop, exaddr;
  guint16 srcport, dstport;
  guint8  prot, tcp_flags, tos;
  guint32 input, output; /* flowd and IPFIX carry 32-bit ifIndex */
  guint32 src_as, dst_as;
  guint8  src_mask, dst_mask;
  guint16 engine_type, engine_id; /* u8 in NetFlow v5, u16 in flowd */
  guint64 dPkts, dOctets;

  /* format extras */
  guint32 dFlows;        /* flow-tools v8 aggregates */
  guint32 src_tag, dst_tag; /* flow-tools v1005 */
  guint32 extra_pkts;    /* flow-tools v8.6-8.8 */
  guint8  marked_tos;    /* flow-tools v8.6-8.8 */
  guint8  in_encaps, out_encaps; /* flow-tools v6 */
  FlAddr  peer_nexthop;  /* flow-tools v6 */
  FlAddr  router_sc;     /* flow-tools v7, v8.6-8.8 */
  gint64  recv_time;     /* flowd: when the collector received it, ns */
  guint32 tag;           /* flowd */

  /* flow-tools raw times (FL_FIELD_FT_TIMES) */
  guint32 unix_secs, unix_nsecs, sysuptime, uptime_first, uptime_last;
} FlFlow;

/* Clears a flow and sets its struct_size. Call once before the first
 * fl_reader_next(). */
void fl_flow_init (FlFlow *flow);

static inline gboolean
fl_flow_has (const FlFlow *flow, FlField field)
{
  return (flow->present & FL_FIELD_BIT (field)) != 0;
}

/* The output name of a field ("first", "dPkts", "router_sc" ...; "ft_times"
 * for FL_FIELD_FT_TIMES), or NULL for a value out of range. */
const char *fl_field_name (FlField field);

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
 * of a given name wins. Refused (and listed with the reason, never loaded):
 * relative folders, group- or world-writable files and folders, files
 * without the entry symbol, descriptors that fail the checks of
 * flowread-plugin.h, reader names already taken. Refusals are not fatal:
 * returns FALSE only if nothing at all could be loaded. Call once. */
gboolean fl_registry_load (FlRegistry *registry, GError **error);
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

/* Open options. Zero-initialise, set struct_size = sizeof (FlOpenOptions). */
typedef struct {
  gsize       struct_size;
  const char *format;    /* force this format reader (skip format probing;
                            wrappers are still probed and unwrapped) */
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

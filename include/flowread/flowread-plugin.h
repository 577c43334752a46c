/* SPDX-License-Identifier: MIT */
/*
 * flowread-plugin.h: the ABI between libflowread and format plugins.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * FL_PLUGIN_ENTRY_SYMBOL ("fl_plugin_get_descriptor"), a function returning
 * a const FlPluginDescriptor.
 *
 * What is checked when. Before the file is opened (dlopen), only where it
 * lies: its real path (symlinks resolved) must be a regular file owned by
 * root or the running user and writable by no one else, as must the folder
 * that holds it, and every folder above must be owned by root or the
 * running user and not writable by others unless sticky; a file refused
 * there runs no code at all. Once the file passes, dlopen() runs its ELF
 * constructors (and those of the libraries it pulls in) and the core calls
 * the entry function: that code runs before the descriptor is checked
 * (ABI major equal, minor <= core minor, struct sizes, names, vtables
 * complete). A plugin with a bad descriptor is then refused with a reason
 * and unloaded, and none of its reader functions is ever called. So only
 * install plugins you trust, in folders only you or root can write.
 *
 * Structs only grow at the end; every struct starts with its size so the
 * core can tell which members a plugin built against an older minor knows.
 *
 * A reader's functions are called from one thread at a time per handle;
 * probe() may be called concurrently from several threads on different
 * FlProbe objects and must not keep state. A reader may run threads of its
 * own (the nfdump plugin reads ahead in one); they must not outlive its
 * close(), nor touch the FlFlow or GError the caller passes to next().
 */
#pragma once

#include <string.h>
#include <flowread/flowread.h>

G_BEGIN_DECLS

#define FL_PLUGIN_ABI_MAJOR 1
#define FL_PLUGIN_ABI_MINOR 2

#define FL_PLUGIN_ENTRY_SYMBOL "fl_plugin_get_descriptor"

/* Probe scale (GStreamer's typefind levels). */
#define FL_PROBE_NONE      0
#define FL_PROBE_MINIMUM   1
#define FL_PROBE_POSSIBLE  50
#define FL_PROBE_LIKELY    80
#define FL_PROBE_NEARLY    99
#define FL_PROBE_CERTAIN   100

/* Most bytes fl_probe_peek() will give a probe function. */
#define FL_PROBE_PEEK_MAX  (64 * 1024)

/* ------------------------------------------------------------------ probing */

typedef struct _FlProbe FlProbe;

/* Up to count bytes from the start of the stream (fewer at EOF, or when
 * count > FL_PROBE_PEEK_MAX); *avail gets the number. Never consumes. A
 * read error just gives fewer bytes: probing never fails. */
const guint8 *fl_probe_peek (FlProbe *probe, gsize count, gsize *avail);
/* The input's name (file name, "-" for stdin, or "NAME (gzip)" inside a
 * wrapper): a hint only, never a reason to claim 100. */
const char   *fl_probe_get_name (FlProbe *probe);
/* Stream length in bytes, or -1 if unknown (pipe, wrapper). */
gint64        fl_probe_get_length (FlProbe *probe);
/* Depth of this stream: 0 = the input, 1 = inside one wrapper ... */
guint         fl_probe_get_depth (FlProbe *probe);
/* Why the score is low (e.g. "flow-export not found"): shown by --probe. */
void          fl_probe_set_reason (FlProbe *probe, const char *format, ...)
              G_GNUC_PRINTF (2, 3);

/* ------------------------------------------------------------------ streams */

/* Reads up to count bytes, blocking until count or EOF. Returns the number
 * read (0 = EOF), or -1 with error set. */
gssize        fl_stream_read (FlStream *stream, void *buf, gsize count,
                              GError **error);
/* Makes up to count bytes available without consuming them and returns a
 * pointer to them; *avail gets how many (< count only at the end, below).
 * NULL with error on a read error. The pointer stays valid until the next
 * peek, read, skip or consume on the stream (tell and the getters do not
 * invalidate it). count is capped at FL_STREAM_PEEK_MAX (FL_ERROR_LIMIT). */
#define FL_STREAM_PEEK_MAX (16 * 1024 * 1024)
const guint8 *fl_stream_peek (FlStream *stream, gsize count, gsize *avail,
                              GError **error);
/* A short peek (*avail < count) means the stream ends after those bytes:
 * either a clean EOF or a failure of the source (a wrapper's CRC error, a
 * read error) that is reported once every good byte was delivered. Consume
 * what you can use and peek again: a clean end gives *avail == 0 with a
 * non-NULL result; a failure gives NULL and the error. To tell the two apart
 * while bytes are still buffered (e.g. before reporting a partial record as
 * truncated), call fl_stream_failed(). */
gboolean      fl_stream_failed (FlStream *stream, GError **error);
/* Consumes count bytes that fl_stream_peek() made available. */
void          fl_stream_consume (FlStream *stream, gsize count);
/* Skips count bytes (reads and discards). Returns the number skipped. */
gssize        fl_stream_skip (FlStream *stream, gsize count, GError **error);
/* Bytes consumed so far (the offset of the next byte read). */
guint64       fl_stream_tell (FlStream *stream);
/* Total length, or -1 when unknown (pipes, wrapped streams). */
gint64        fl_stream_get_length (FlStream *stream);
const char   *fl_stream_get_name (FlStream *stream);
/* The file path when the stream is a regular file opened by path and not
 * wrapped; NULL otherwise. For exec plugins whose program wants a name. */
const char   *fl_stream_get_path (FlStream *stream);
/* Depth: 0 for an input stream, n for the stream inside n wrappers. */
guint         fl_stream_get_depth (FlStream *stream);
/* ABI 1.2. The file descriptor under a stream that fl_stream_get_path()
 * names (a regular file opened by path, not wrapped), else -1: for a reader
 * that reads the file itself with pread(), e.g. from a thread of its own
 * (the nfdump plugin does). Once it does, it must not read the stream any
 * more, nor move the descriptor's offset; the stream keeps it (do not close
 * it) until the reader's close() has returned. */
int           fl_stream_get_fd (FlStream *stream);

/* A stream implemented by a wrapper plugin. read() returns at least 1 byte
 * (it may return fewer than count), 0 at the end, or -1 with error set;
 * once it has failed it is not called again. close() frees data (it must
 * not unref the inner stream: the core owns the chain). */
typedef struct {
  gsize  struct_size;
  gssize (*read)  (gpointer data, void *buf, gsize count, GError **error);
  void   (*close) (gpointer data);
} FlStreamFuncs;

/* Creates a stream on funcs. name is used in messages ("x.gz > gzip"). */
FlStream *fl_stream_new_custom (const FlStreamFuncs *funcs, gpointer data,
                                const char *name);

/* ------------------------------------------------------------------ errors */

/* Sets *error to code in FL_ERROR with "byte OFFSET: MESSAGE" (offset
 * G_MAXUINT64 = unknown, then just MESSAGE). The core prefixes the input
 * name and plugin chain when the error leaves fl_reader_next(). */
void fl_set_error (GError **error, FlError code, guint64 offset,
                   const char *format, ...) G_GNUC_PRINTF (4, 5);

/* ------------------------------------------------------------------ helpers */

/* IPv4 from a host-order u32 (10.1.2.3 = 0x0A010203). */
static inline void
fl_addr_set_ipv4 (FlAddr *a, guint32 v)
{
  memset (a, 0, sizeof *a);
  a->family = 4;
  a->addr[0] = (guint8) (v >> 24);
  a->addr[1] = (guint8) (v >> 16);
  a->addr[2] = (guint8) (v >> 8);
  a->addr[3] = (guint8) v;
}

/* IPv6 from 16 network-order bytes. */
static inline void
fl_addr_set_ipv6 (FlAddr *a, const guint8 *bytes)
{
  a->family = 6;
  memcpy (a->addr, bytes, 16);
}

static inline guint16 fl_read_u16_be (const guint8 *p) { return (guint16) ((p[0] << 8) | p[1]); }
static inline guint16 fl_read_u16_le (const guint8 *p) { return (guint16) ((p[1] << 8) | p[0]); }
static inline guint32 fl_read_u32_be (const guint8 *p)
{ return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3]; }
static inline guint32 fl_read_u32_le (const guint8 *p)
{ return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0]; }
static inline guint64 fl_read_u64_be (const guint8 *p)
{ return ((guint64) fl_read_u32_be (p) << 32) | fl_read_u32_be (p + 4); }
static inline guint64 fl_read_u64_le (const guint8 *p)
{ return ((guint64) fl_read_u32_le (p + 4) << 32) | fl_read_u32_le (p); }

/* A UTC civil time (proleptic Gregorian; sec may be 60, a leap second, read
 * as the next second) plus nsec, as nanoseconds since 1970. FALSE for an
 * invalid date or time, or one outside what gint64 nanoseconds hold (about
 * 1678 to 2261): text and tool output can carry any year. */
gboolean fl_time_from_civil (gint64 year, guint month, guint day, guint hour,
                             guint minute, guint sec, guint32 nsec,
                             gint64 *ns);

/* ------------------------------------------------------------------ readers */

/* The host's options for one open, as open() and wrap() see them. Opaque:
 * read it with the accessors below, which accept NULL (a 1.0 core passed
 * NULL; plugins must still accept NULL). The core already applies what the
 * host asked for (exec readers are never opened under FL_OPEN_NO_EXEC, the
 * filter and time window are applied to the flows), so a plugin needs them
 * only to save work. Plan: accessors for the time window and the filter's
 * field set follow when a plugin can use them to skip data unread; the
 * struct behind FlOptions is the core's and may grow freely. Valid only
 * during the open() or wrap() call. */
typedef struct _FlOptions FlOptions;

/* The host's FlOpenFlags (FL_OPEN_NO_EXEC, FL_OPEN_HAS_SINCE ...); 0 for
 * NULL. */
guint fl_options_get_flags (const FlOptions *options);

typedef struct {
  gsize        struct_size;   /* sizeof (FlReaderClass) */
  const char  *name;          /* "flowd": [a-z0-9_-]{1,64}, unique */
  const char  *description;   /* one line */
  FlReaderKind kind;
  FlProbeClass probe_class;
  int          priority;      /* higher wins a tie; native > exec */

  /* 0..100; peeks only, no side effects. Required. */
  int       (*probe) (FlProbe *probe);

  /* FL_READER_FORMAT: all four required. open() consumes from stream as
   * it likes; the stream outlives the handle. next() fills flow (its
   * `present` is 0 on entry) and returns OK, END or ERROR. */
  gpointer  (*open)  (FlStream *stream, const FlOptions *options,
                      GError **error);
  FlStatus  (*next)  (gpointer handle, FlFlow *flow, GError **error);
  void      (*close) (gpointer handle);
  /* Optional: header metadata for --info. */
  void      (*info)  (gpointer handle, FlInfoFunc func, gpointer user_data);

  /* FL_READER_WRAPPER: required. Returns the decoded stream (made with
   * fl_stream_new_custom()), reading from inner. */
  FlStream *(*wrap)  (FlStream *inner, const FlOptions *options,
                      GError **error);

  /* ABI 1.1, optional (FL_READER_FORMAT): the time span the file's header
   * says its flows lie in, [*first, *last] in ns since 1970 (flow-tools'
   * capture start/end, nfcapd's stat record). FALSE when the header does
   * not say. Called after open(), before the first next(); the core skips
   * the file unread when the span lies outside the host's time window. */
  gboolean  (*time_range) (gpointer handle, gint64 *first, gint64 *last);

  /* ABI 1.1, optional. family: the format this reader reads, shared by a
   * native reader and its exec twin ("flowtools" for flowtools and
   * flowtools-exec). flags: FlReaderFlags. A reader with FL_READER_EXEC
   * loses to every reader of its family without that flag that scores
   * above 0, whatever the scores (design.md section 5: the native reader
   * always wins over its exec twin), and is never chosen when the host
   * opens with FL_OPEN_NO_EXEC or loads with FL_REGISTRY_NO_EXEC. NULL / 0
   * (a 1.0 plugin): no family, no flags. */
  const char  *family;
  guint        flags;
} FlReaderClass;

/* FlReaderClass.flags */
typedef enum {
  FL_READER_EXEC = 1 << 0, /* open() runs an external program */
} FlReaderFlags;

typedef struct {
  gsize        struct_size;   /* sizeof (FlPluginDescriptor) */
  guint16      abi_major;     /* FL_PLUGIN_ABI_MAJOR */
  guint16      abi_minor;     /* FL_PLUGIN_ABI_MINOR */
  const char  *name;          /* plugin name, usually = its one reader */
  const char  *version;
  const FlReaderClass *const *readers; /* n_readers entries */
  gsize        n_readers;
} FlPluginDescriptor;

typedef const FlPluginDescriptor *(*FlPluginEntryFunc) (void);

/* Declares the entry point. Use once per plugin:
 *   FL_PLUGIN_DEFINE ("flowd", "1.0", &flowd_reader_class);
 */
#define FL_PLUGIN_EXPORT __attribute__ ((visibility ("default")))
#define FL_PLUGIN_DEFINE(plugin_name, plugin_version, ...)                  \
  static const FlReaderClass *const fl_plugin_readers_[] = { __VA_ARGS__ }; \
  static const FlPluginDescriptor fl_plugin_descriptor_ = {                 \
    sizeof (FlPluginDescriptor), FL_PLUGIN_ABI_MAJOR, FL_PLUGIN_ABI_MINOR,  \
    plugin_name, plugin_version, fl_plugin_readers_,                        \
    G_N_ELEMENTS (fl_plugin_readers_) };                                    \
  FL_PLUGIN_EXPORT const FlPluginDescriptor *fl_plugin_get_descriptor (void); \
  FL_PLUGIN_EXPORT const FlPluginDescriptor *fl_plugin_get_descriptor (void) \
  { return &fl_plugin_descriptor_; }

G_END_DECLS

/* SPDX-License-Identifier: MIT */
/*
 * nfdump.c: native reader for nfcapd files (nfdump 1.6 layout 1 and nfdump
 * 1.7 layout 2), no external program. The layouts follow nfdump's own
 * headers (nffile.h and nfx.c of 1.6, nffileV2.h and nfxV3.h of 1.7), read,
 * not copied; docs/formats/nfdump.md of the shared documentation has notes
 * from hex dumps.
 *
 * Decisions written down here (design.md asks for it):
 *
 * - Probe: magic 0xA50C and layout 1 or 2 -> 100 (the header is checked as
 *   far as it is there: the exec twin claims 100 on less, and this reader
 *   must win, which priority settles). Any other layout, or the byte-swapped
 *   magic (a file written on a host of the other byte order), -> 80, so that
 *   open() can name the problem (FL_ERROR_UNSUPPORTED_VERSION) instead of
 *   "unknown format".
 * - A file that ends inside its file header is not an nfcapd file we can say
 *   anything about: FL_ERROR_CORRUPT. One that ends later (inside the 1.6 stat
 *   record, a block header, a block, between blocks, before the appendix or
 *   inside it) is FL_ERROR_TRUNCATED, after every complete flow.
 * - Blocks: a stored size above NF_BLOCK_MAX (5 MiB, nfdump's own BUFFSIZE:
 *   no nfdump writes a bigger block) is CORRUPT and nothing is allocated for
 *   it; a compressed block decompresses into one buffer of that size, and
 *   one that needs more is CORRUPT. Memory does not grow with the file.
 * - Before any record of a block is handed out, the record headers of the
 *   whole block are walked: a record of size < 4, one running past the block,
 *   more or fewer records than the block header says, or bytes left over
 *   make the block CORRUPT and none of its flows is given (its size or count
 *   is wrong, so its records cannot be trusted). An uncompressed block cut by
 *   the end of the input gives its complete records, then TRUNCATED; a cut
 *   compressed block cannot be decompressed: TRUNCATED at once.
 * - Inside a flow record, an element (layout 2) or extension list (layout 1)
 *   that runs past the record, or an element shorter than its fields, is
 *   CORRUPT at that record (the flows before it were given).
 * - Records of unknown types are skipped by their size; elements not in
 *   design.md section 3's table by their length; blocks of other types
 *   (layout 2 array blocks) by their size.
 * - Presence follows nfdump 1.7's record: a field is present when the element
 *   that carries it is, even when 0. Layout 1 extensions are mapped as nfdump
 *   1.7 converts them: ext 4/5 (interfaces) and 8 (masks, dst tos, direction)
 *   give the whole flowMisc element, ext 14..19 the whole cntFlow element,
 *   ext 20/21 the whole MAC element. MPLS labels: a label is present when it
 *   is not 0 (nfdump prints only those; label 0 with exp and bos 0 is "no
 *   label" in its record).
 * - Times are nfdump's milliseconds; one that does not fit int64 nanoseconds
 *   (after 2262) is absent and the flow is kept. nfdump's "aggr flows" is
 *   64-bit, dFlows 32-bit: saturated at 2^32-1.
 * - ICMP: nfdump's record already holds type*256+code in the destination
 *   port (design.md section 2): taken as is.
 * - Layout 2 ends with an appendix (ident, stat record) at the offset the
 *   header gives. Bytes between the last data block and that offset are
 *   skipped; the offset lying past the end is TRUNCATED; bytes after the last
 *   appendix block are CORRUPT ("trailing bytes"). A header with no appendix
 *   and no block count (a file nfcapd is still writing) is read to its end.
 * - --info and time_range() want the stat record, which layout 2 keeps at
 *   the end: when the input is a plain file it is read from there with
 *   pread() at open (damage found there is not reported: the sequential
 *   read reports it); on a pipe or inside a wrapper it is known only once
 *   the read got there.
 * - A plain file is read by two threads from the first next() on (see
 *   nf_worker()): the same flows and errors as one thread, which reads
 *   everything else (memory, pipes, wrapped streams).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <flowread/flowread-plugin.h>

#include <bzlib.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <zstd.h>

#define NF_MAGIC          0xA50Cu
#define NF_MAGIC_SWAPPED  0x0CA5u
#define NF_V1_HDR_LEN     140
#define NF_V1_STAT_LEN    136
#define NF_V2_HDR_LEN     40
#define NF_BLOCK_HDR_LEN  12
#define NF_IDENT_LEN      128
/* nfdump's BUFFSIZE (1.6 and 1.7): the largest block it writes. */
#define NF_BLOCK_MAX      (5u * 1024 * 1024)
/* Most exporters we remember (nfdump numbers them from 1). */
#define NF_MAX_EXPORTERS  4096
/* Most extension maps remembered (layout 1; map ids are 16-bit). */
#define NF_MAX_MAPS       65536

enum {
  NF_COMP_NONE = 0,
  NF_COMP_LZO = 1,
  NF_COMP_BZ2 = 2,
  NF_COMP_LZ4 = 3,
  NF_COMP_ZSTD = 4,
};

static const char *const nf_comp_names[] = { "none", "lzo", "bzip2", "lz4", "zstd" };

/* Record types */
enum {
  REC_COMMON_V0 = 1,     /* layout 1, nfdump <= 1.6.x early */
  REC_EXT_MAP = 2,       /* layout 1 */
  REC_EXPORTER = 7,
  REC_EXPORTER_STAT = 8,
  REC_SAMPLER_V1 = 9,    /* layout 1 */
  REC_COMMON = 10,       /* layout 1 */
  REC_V3 = 11,           /* layout 2 */
  REC_SAMPLER = 15,      /* layout 2 */
  REC_IDENT = 0x8001,
  REC_STAT = 0x8002,
};

typedef struct {
  guint64 flows, bytes, packets;
  guint64 flows_p[4], bytes_p[4], packets_p[4]; /* tcp udp icmp other */
  guint64 first_ms, last_ms;
  guint32 seq_failures;
} NfStat;

typedef struct {
  guint16 sysid;
  guint32 version;
  guint32 id;
  FlAddr  addr;
} NfExporter;

/* A layout 1 extension map: the extension ids in record order. */
typedef struct {
  guint16 n;
  guint16 size;   /* bytes of all extensions */
  guint16 ids[];
} NfMap;

/* Read-ahead requests for large plain files (see nf_prefetch_start()). */
typedef struct {
  int      fd;        /* the stream's */
  guint64  ahead;     /* requested up to here */
  guint64  end;       /* file length */
} NfPrefetch;

/* A slot of the threaded ring (see nf_worker()). */
typedef enum {
  SLOT_FREE,      /* may take the next block */
  SLOT_FETCHED,   /* header read (fetch_block()), body not yet loaded */
  SLOT_LOADING,   /* load_body() runs on it, in one of the threads */
  SLOT_READY,     /* for the reader: records, an error or the end */
} NfSlotState;

/* One block as fetched (see fetch_block()): its records, or why there is
 * none (error), or the end. */
typedef struct {
  const guint8 *data;        /* records: in buf, dbuf or the stream's buffer */
  gsize     len;             /* bytes of records there */
  gsize     declared;        /* the size its header gives */
  guint32   count;           /* records its header gives */
  guint64   offset;          /* file offset of the block header */
  gboolean  cut;             /* the input ended inside it (uncompressed only) */
  gboolean  decompressed;
  gboolean  is_appendix;
  gboolean  end;             /* no block: the file ended cleanly */
  GError   *error;           /* no block: why */
  int       walk;            /* walk_block(): a WalkStatus */
  guint32   n_ok;            /* walk_block(): records to hand out */
  char      why[200];        /* walk_block(): why CORRUPT */
  NfSlotState state;         /* threaded */
  guint8   *buf;             /* threaded: records, NF_BLOCK_MAX */
  guint8   *raw;             /* threaded: compressed bytes, NF_BLOCK_MAX */
} NfBlock;

/* The threaded ring's size, and the pieces a plain block is read in (see
 * walk_prefix()). */
#define NF_SLOTS 4
#define NF_PIECE (64u * 1024)

typedef struct {
  FlStream *stream;
  FlStatus  status;       /* sticky END / ERROR */
  NfPrefetch *prefetch;   /* NULL unless a large plain file */
  GError   *pending;      /* reported once the current block's records are out */

  /* header */
  guint     layout;       /* 1 or 2 */
  guint     compression;
  guint32   v1_flags;
  guint32   nfdump_version;
  guint64   created;
  guint16   appendix_blocks;
  guint64   off_appendix;
  guint32   n_blocks;
  char      ident[NF_IDENT_LEN + 1];
  gboolean  have_stat;
  NfStat    stat;
  guint32   n_samplers;
  guint32   peek_samplers;   /* seen by peek_first_block() */

  /* fetching blocks (fetch_block()): under the lock once threaded */
  guint32   blocks_read;     /* data blocks */
  gboolean  in_appendix;
  guint32   appendix_read;
  gsize     blk_consume;     /* unthreaded: stream bytes to consume next */
  guint8   *dbuf;            /* unthreaded: decompression buffer, NF_BLOCK_MAX */
  int       fd;              /* threaded: the stream's, read with pread() */
  guint64   pos;             /* threaded: where the next block header is */

  /* handing out records */
  gboolean  started;         /* next() was called */
  NfBlock   one;             /* unthreaded: the current block */
  const guint8 *blk;         /* current block's records */
  gsize     blk_len;
  gsize     blk_pos;
  guint32   blk_left;        /* records still to hand out */
  guint64   blk_offset;      /* file offset of the block header */
  gboolean  blk_is_appendix;
  gboolean  blk_decompressed;

  /* the worker */
  gboolean  threaded;        /* the worker runs */
  pthread_t worker;
  pthread_mutex_t lock;     /* pthreads, not GMutex: TSan sees these */
  pthread_cond_t  cond;     /* any change of a slot's state, or stop */
  NfBlock   slots[NF_SLOTS];
  guint     slot_r, slot_w;  /* next to hand out / to fetch into */
  gboolean  fetch_done;      /* an error or the end was fetched */
  gboolean  holding;         /* the reader uses slots[slot_r] */
  gboolean  stop;

  GArray   *exporters;       /* NfExporter */
  NfMap   **maps;            /* layout 1, NF_MAX_MAPS entries, lazily */
} NfFile;

/* ------------------------------------------------------------ helpers */

static inline guint64 rd64 (const guint8 *p) { return fl_read_u64_le (p); }
static inline guint32 rd32 (const guint8 *p) { return fl_read_u32_le (p); }
static inline guint16 rd16 (const guint8 *p) { return fl_read_u16_le (p); }

/* nfdump's 16-byte address: two host-order u64, the first the upper half. */
static inline void
addr6_set (FlAddr *a, const guint8 *p)
{
  guint64 hi = rd64 (p), lo = rd64 (p + 8);

  a->family = 6;
  for (int i = 0; i < 8; i++)
    {
      a->addr[i] = (guint8) (hi >> (56 - 8 * i));
      a->addr[8 + i] = (guint8) (lo >> (56 - 8 * i));
    }
}

/* A 16-byte address that may hold IPv4 (u32 at byte 8, the rest 0). */
static void
addr16_set (FlAddr *a, const guint8 *p, gboolean v6)
{
  if (v6)
    addr6_set (a, p);
  else
    fl_addr_set_ipv4 (a, rd32 (p + 8));
}

static inline gboolean
ms_to_ns (guint64 ms, gint64 *ns)
{
  if (ms > (guint64) (G_MAXINT64 / 1000000))
    return FALSE;
  *ns = (gint64) ms * 1000000;
  return TRUE;
}

static inline void
set_time (FlFlow *f, FlField field, gint64 *dst, guint64 ms)
{
  if (ms_to_ns (ms, dst))
    fl_flow_set (f, field);
}

static inline void
mac_set (guint8 *dst, guint64 v)
{
  for (int i = 0; i < 6; i++)
    dst[i] = (guint8) (v >> (40 - 8 * i));
}

static const NfExporter *
find_exporter (NfFile *nf, guint16 sysid)
{
  for (guint i = 0; i < nf->exporters->len; i++)
    {
      const NfExporter *e = &g_array_index (nf->exporters, NfExporter, i);

      if (e->sysid == sysid)
        return e;
    }
  return NULL;
}

/* ------------------------------------------------------------ probe */

static int
nf_probe (FlProbe *probe)
{
  gsize avail = 0;
  const guint8 *p = fl_probe_peek (probe, NF_V1_HDR_LEN, &avail);
  guint16 magic, version;

  if (p == NULL || avail < 4)
    return FL_PROBE_NONE;
  magic = rd16 (p);
  version = rd16 (p + 2);
  if (magic == NF_MAGIC_SWAPPED)
    {
      guint16 v = (guint16) ((version >> 8) | (version << 8));

      /* a damaged magic of our own byte order keeps its version as is */
      if (v != 1 && v != 2 && version != 1 && version != 2)
        return FL_PROBE_NONE;
      fl_probe_set_reason (probe, "byte-swapped nfcapd magic: a file of the "
                           "other byte order");
      return FL_PROBE_LIKELY;
    }
  if (magic != NF_MAGIC)
    return FL_PROBE_NONE;
  if (version != 1 && version != 2)
    {
      fl_probe_set_reason (probe, "nfcapd layout version %u unknown", version);
      return version < 256 ? FL_PROBE_LIKELY : FL_PROBE_NONE;
    }
  /* The rest of the header, where present, is checked by open() with a
   * precise message; the magic and the version are what identify it. */
  return FL_PROBE_CERTAIN;
}

/* ------------------------------------------------------------ close/info */

/* For a large plain file the kernel is also asked (posix_fadvise WILLNEED,
 * asynchronous, no copy) to read the next window from disk while the blocks
 * before it are decoded. A file already in the page cache costs one cheap
 * call per window. */
#define NF_PREFETCH_MIN     (16u * 1024 * 1024)  /* smaller files: nothing */
#define NF_PREFETCH_WINDOW  (16u * 1024 * 1024)

static void
nf_prefetch_start (NfFile *nf)
{
  gint64 len = fl_stream_get_length (nf->stream);
  int fd = fl_stream_get_fd (nf->stream);
  NfPrefetch *pf;

  if (len < (gint64) NF_PREFETCH_MIN || fd < 0)
    return;
  pf = g_new0 (NfPrefetch, 1);
  pf->fd = fd;
  pf->end = (guint64) len;
  pf->ahead = fl_stream_tell (nf->stream);
  nf->prefetch = pf;
}

/* The reading got to pos: keep a window ahead of it requested. */
static inline void
nf_prefetch_moved (NfFile *nf, guint64 pos)
{
  NfPrefetch *pf = nf->prefetch;

  if (pf == NULL)
    return;
  while (pf->ahead < pf->end && pf->ahead < pos + NF_PREFETCH_WINDOW)
    {
      (void) posix_fadvise (pf->fd, (off_t) pf->ahead, NF_PREFETCH_WINDOW,
                            POSIX_FADV_WILLNEED);
      pf->ahead += NF_PREFETCH_WINDOW;
    }
}

static void
nf_prefetch_stop (NfFile *nf)
{
  g_clear_pointer (&nf->prefetch, g_free);
}

static void nf_worker_stop (NfFile *nf);

static void
nf_close (gpointer handle)
{
  NfFile *nf = handle;

  if (nf == NULL)
    return;
  nf_worker_stop (nf);
  nf_prefetch_stop (nf);
  if (nf->maps != NULL)
    {
      for (guint i = 0; i < NF_MAX_MAPS; i++)
        g_free (nf->maps[i]);
      g_free (nf->maps);
    }
  g_array_unref (nf->exporters);
  g_clear_error (&nf->pending);
  g_clear_error (&nf->one.error);
  g_free (nf->dbuf);
  g_free (nf);
}

static void
put_u64 (FlInfoFunc func, gpointer ud, const char *key, guint64 v)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
  func (key, buf, ud);
}

static void
put_time_ms (FlInfoFunc func, gpointer ud, const char *key, guint64 ms)
{
  char buf[FL_TIME_STRLEN];
  gint64 ns;

  if (ms_to_ns (ms, &ns))
    func (key, fl_time_to_string (ns, buf), ud);
  else
    put_u64 (func, ud, key, ms);
}

static gssize decompress (guint compression, guint8 *dst, const guint8 *src,
                          gsize len, char *why, gsize why_len);
static guint8 *nf_dbuf (NfFile *nf);
static void parse_exporter (NfFile *nf, const guint8 *p, gsize len);

/* Before the first block is read: its exporter and sampler records (nfcapd
 * writes them there), peeked, so that --info can list them. Consumes
 * nothing; silent on damage (next() reports it). */
static void
peek_first_block (NfFile *nf)
{
  gsize avail = 0;
  const guint8 *p = fl_stream_peek (nf->stream, NF_BLOCK_HDR_LEN, &avail, NULL);
  const guint8 *recs;
  guint32 count, size;
  gsize len, pos = 0;
  char why[200];

  if (p == NULL || avail < NF_BLOCK_HDR_LEN)
    return;
  count = rd32 (p);
  size = rd32 (p + 4);
  if (size > NF_BLOCK_MAX)
    return;
  p = fl_stream_peek (nf->stream, NF_BLOCK_HDR_LEN + (gsize) size, &avail, NULL);
  if (p == NULL || avail < NF_BLOCK_HDR_LEN + (gsize) size)
    return;
  recs = p + NF_BLOCK_HDR_LEN;
  len = size;
  if (nf->compression != NF_COMP_NONE && !(nf->layout == 2 && (rd16 (p + 10) & 0x1)))
    {
      gssize d = decompress (nf->compression, nf_dbuf (nf), recs, size, why,
                             sizeof why);

      if (d < 0)
        return;
      recs = nf->dbuf;
      len = (gsize) d;
    }
  for (guint32 i = 0; i < count && pos + 4 <= len; i++)
    {
      guint type = rd16 (recs + pos), rsize = rd16 (recs + pos + 2);

      if (rsize < 4 || pos + rsize > len)
        break;
      if (type == REC_EXPORTER)
        parse_exporter (nf, recs + pos, rsize);
      else if (type == REC_SAMPLER || type == REC_SAMPLER_V1)
        nf->peek_samplers++;  /* the read counts them again */
      pos += rsize;
    }
}

static void
nf_info (gpointer handle, FlInfoFunc func, gpointer ud)
{
  NfFile *nf = handle;
  static const char *const proto[] = { "tcp", "udp", "icmp", "other" };
  char key[64], buf[160];

  if (!nf->started && nf->exporters->len == 0 && nf->pending == NULL)
    {
      peek_first_block (nf);
    }

  func ("layout", nf->layout == 1 ? "1 (nfdump 1.6)" : "2 (nfdump 1.7)", ud);
  func ("byte_order", "little-endian", ud);
  func ("compression", nf->compression < G_N_ELEMENTS (nf_comp_names)
                       ? nf_comp_names[nf->compression] : "unknown", ud);
  if (nf->layout == 2)
    {
      g_snprintf (buf, sizeof buf, "%x", nf->nfdump_version);
      func ("nfdump_version", buf, ud);
      put_u64 (func, ud, "created", nf->created);
      put_u64 (func, ud, "appendix_offset", nf->off_appendix);
      put_u64 (func, ud, "appendix_blocks", nf->appendix_blocks);
    }
  else
    {
      g_snprintf (buf, sizeof buf, "0x%x", nf->v1_flags);
      func ("flags", buf, ud);
    }
  if (nf->ident[0] != '\0')
    func ("ident", nf->ident, ud);
  put_u64 (func, ud, "data_blocks", nf->n_blocks);
  if (nf->have_stat)
    {
      put_u64 (func, ud, "flows", nf->stat.flows);
      put_u64 (func, ud, "bytes", nf->stat.bytes);
      put_u64 (func, ud, "packets", nf->stat.packets);
      for (guint i = 0; i < 4; i++)
        {
          g_snprintf (key, sizeof key, "flows_%s", proto[i]);
          put_u64 (func, ud, key, nf->stat.flows_p[i]);
          g_snprintf (key, sizeof key, "bytes_%s", proto[i]);
          put_u64 (func, ud, key, nf->stat.bytes_p[i]);
          g_snprintf (key, sizeof key, "packets_%s", proto[i]);
          put_u64 (func, ud, key, nf->stat.packets_p[i]);
        }
      put_time_ms (func, ud, "first", nf->stat.first_ms);
      put_time_ms (func, ud, "last", nf->stat.last_ms);
      put_u64 (func, ud, "sequence_failures", nf->stat.seq_failures);
    }
  for (guint i = 0; i < nf->exporters->len; i++)
    {
      const NfExporter *e = &g_array_index (nf->exporters, NfExporter, i);
      char a[FL_ADDR_STRLEN];

      g_snprintf (key, sizeof key, "exporter_%u", e->sysid);
      g_snprintf (buf, sizeof buf, "%s netflow-v%u id %u",
                  fl_addr_to_string (&e->addr, a), e->version, e->id);
      func (key, buf, ud);
    }
  if (MAX (nf->n_samplers, nf->peek_samplers) > 0)
    put_u64 (func, ud, "samplers", MAX (nf->n_samplers, nf->peek_samplers));
}

static gboolean
nf_time_range (gpointer handle, gint64 *first, gint64 *last)
{
  NfFile *nf = handle;

  if (!nf->have_stat || nf->stat.flows == 0 ||
      !ms_to_ns (nf->stat.first_ms, first) ||
      !ms_to_ns (nf->stat.last_ms, last) || *last < *first)
    return FALSE;
  /* the stat record keeps milliseconds: the last one lasts until its end */
  *last += 999999;
  return TRUE;
}

/* ------------------------------------------------------------ records */

static void
parse_stat_v2 (NfFile *nf, const guint8 *p, gsize len)
{
  const guint8 *q = p + 4;

  if (len < 4 + 17 * 8 + 4)
    return;
  nf->stat.flows = rd64 (q);
  nf->stat.bytes = rd64 (q + 8);
  nf->stat.packets = rd64 (q + 16);
  for (guint i = 0; i < 4; i++)
    {
      nf->stat.flows_p[i] = rd64 (q + 24 + 8 * i);
      nf->stat.bytes_p[i] = rd64 (q + 56 + 8 * i);
      nf->stat.packets_p[i] = rd64 (q + 88 + 8 * i);
    }
  nf->stat.first_ms = rd64 (q + 120);
  nf->stat.last_ms = rd64 (q + 128);
  nf->stat.seq_failures = rd32 (q + 136);
  nf->have_stat = TRUE;
}

static void
parse_ident (NfFile *nf, const guint8 *p, gsize len)
{
  gsize n = MIN (len - 4, (gsize) NF_IDENT_LEN);

  memcpy (nf->ident, p + 4, n);
  nf->ident[n] = '\0';
}

/* Exporter info (7): version, 16-byte address, family, sysid, id. */
static void
parse_exporter (NfFile *nf, const guint8 *p, gsize len)
{
  NfExporter e = { 0 };
  guint16 family;

  if (len < 32)
    return;
  e.version = rd32 (p + 4);
  family = rd16 (p + 24);
  e.sysid = rd16 (p + 26);
  e.id = rd32 (p + 28);
  {
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    /* nfdump 1.7.8 stores the address in network order, IPv4 mapped into
     * IPv6 (family 0); older writers as two host-order u64 with a family */
    if (memcmp (p + 8, mapped, sizeof mapped) == 0)
      fl_addr_set_ipv4 (&e.addr, fl_read_u32_be (p + 20));
    else if (family == 0)
      fl_addr_set_ipv6 (&e.addr, p + 8);
    else
      addr16_set (&e.addr, p + 8, family == 10);
  }
  for (guint i = 0; i < nf->exporters->len; i++)
    if (g_array_index (nf->exporters, NfExporter, i).sysid == e.sysid)
      {
        g_array_index (nf->exporters, NfExporter, i) = e;
        return;
      }
  if (nf->exporters->len < NF_MAX_EXPORTERS)
    g_array_append_val (nf->exporters, e);
}

/* Layout 1 extension sizes by id (0: not a valid extension in a map). */
static const guint8 v1_ext_size[50] = {
  [4] = 4, [5] = 8, [6] = 4, [7] = 8, [8] = 4, [9] = 4, [10] = 16,
  [11] = 4, [12] = 16, [13] = 4, [14] = 4, [15] = 8, [16] = 4, [17] = 8,
  [18] = 4, [19] = 8, [20] = 16, [21] = 16, [22] = 40, [23] = 4, [24] = 16,
  [25] = 4, [26] = 8, [27] = 8, [37] = 20, [38] = 4, [39] = 8, [40] = 32,
  [41] = 24, [42] = 24, [43] = 72, [45] = 24, [46] = 12, [47] = 8, [48] = 8,
};

/* An extension map record (2). FALSE with why on a bad map. */
static gboolean
parse_map (NfFile *nf, const guint8 *p, gsize len, char *why, gsize why_len)
{
  guint16 id, n = 0;
  guint size = 0;
  NfMap *m;

  if (len < 10)
    {
      g_snprintf (why, why_len, "extension map record of %" G_GSIZE_FORMAT
                  " bytes is too short", len);
      return FALSE;
    }
  id = rd16 (p + 4);
  for (gsize off = 8; off + 2 <= len && rd16 (p + off) != 0; off += 2)
    {
      guint16 ext = rd16 (p + off);

      if (ext >= G_N_ELEMENTS (v1_ext_size) || v1_ext_size[ext] == 0)
        {
          g_snprintf (why, why_len, "extension map %u names unknown extension %u",
                      id, ext);
          return FALSE;
        }
      size += v1_ext_size[ext];
      n++;
    }
  m = g_malloc (sizeof *m + n * sizeof m->ids[0]);
  m->n = n;
  m->size = (guint16) MIN (size, 65535u);
  for (guint i = 0; i < n; i++)
    m->ids[i] = rd16 (p + 8 + 2 * i);
  if (nf->maps == NULL)
    nf->maps = g_new0 (NfMap *, NF_MAX_MAPS);
  g_free (nf->maps[id]);
  nf->maps[id] = m;
  return TRUE;
}

/* Sets the flowMisc fields that the element (or extension) brings. */
static inline void
misc_present (FlFlow *f)
{
  fl_flow_set (f, FL_FIELD_INPUT);
  fl_flow_set (f, FL_FIELD_OUTPUT);
  fl_flow_set (f, FL_FIELD_SRC_MASK);
  fl_flow_set (f, FL_FIELD_DST_MASK);
  fl_flow_set (f, FL_FIELD_DIRECTION);
  fl_flow_set (f, FL_FIELD_DST_TOS);
  fl_flow_set (f, FL_FIELD_BIFLOW_DIR);
  fl_flow_set (f, FL_FIELD_FLOW_END_REASON);
}

static inline void
cnt_present (FlFlow *f)
{
  fl_flow_set (f, FL_FIELD_OUT_PACKETS);
  fl_flow_set (f, FL_FIELD_OUT_BYTES);
  fl_flow_set (f, FL_FIELD_DFLOWS);
}

static inline void
mac_present (FlFlow *f)
{
  fl_flow_set (f, FL_FIELD_IN_SRC_MAC);
  fl_flow_set (f, FL_FIELD_OUT_DST_MAC);
  fl_flow_set (f, FL_FIELD_IN_DST_MAC);
  fl_flow_set (f, FL_FIELD_OUT_SRC_MAC);
}

static inline void
set_dflows (FlFlow *f, guint64 v)
{
  f->dFlows = v > G_MAXUINT32 ? G_MAXUINT32 : (guint32) v;
}

static inline void
set_mpls (FlFlow *f, const guint8 *p)
{
  for (guint i = 0; i < 10; i++)
    {
      guint32 v = rd32 (p + 4 * i);

      if (v != 0)
        {
          f->mpls[i] = v;
          fl_flow_set (f, FL_FIELD_MPLS_1 + i);
        }
    }
}

/* Element groups that layout 1 extensions and layout 2 elements share. */
static inline void
put_addr4 (FlFlow *f, FlField field, FlAddr *a, const guint8 *d)
{
  fl_addr_set_ipv4 (a, rd32 (d));
  fl_flow_set (f, field);
}

static inline void
put_addr6 (FlFlow *f, FlField field, FlAddr *a, const guint8 *d)
{
  addr6_set (a, d);
  fl_flow_set (f, field);
}

/* Two u32 fields in a row (AS numbers, adjacent AS, VRFs). */
static inline void
put_u32_pair (FlFlow *f, const guint8 *d, FlField fa, guint32 *a,
              FlField fb, guint32 *b)
{
  *a = rd32 (d);
  *b = rd32 (d + 4);
  fl_flow_set (f, fa);
  fl_flow_set (f, fb);
}

static inline void
put_latency (FlFlow *f, const guint8 *d)
{
  f->cli_latency_us = rd64 (d);
  f->srv_latency_us = rd64 (d + 8);
  f->app_latency_us = rd64 (d + 16);
  fl_flow_set (f, FL_FIELD_CLI_LATENCY_US);
  fl_flow_set (f, FL_FIELD_SRV_LATENCY_US);
  fl_flow_set (f, FL_FIELD_APP_LATENCY_US);
}

static inline void
put_xlate (FlFlow *f, const guint8 *d, gboolean v6)
{
  if (v6)
    {
      put_addr6 (f, FL_FIELD_SRC_XLT_IP, &f->src_xlt_ip, d);
      put_addr6 (f, FL_FIELD_DST_XLT_IP, &f->dst_xlt_ip, d + 16);
    }
  else
    {
      put_addr4 (f, FL_FIELD_SRC_XLT_IP, &f->src_xlt_ip, d);
      put_addr4 (f, FL_FIELD_DST_XLT_IP, &f->dst_xlt_ip, d + 4);
    }
}

static inline void
put_xlate_ports (FlFlow *f, const guint8 *d)
{
  f->src_xlt_port = rd16 (d);
  f->dst_xlt_port = rd16 (d + 2);
  fl_flow_set (f, FL_FIELD_SRC_XLT_PORT);
  fl_flow_set (f, FL_FIELD_DST_XLT_PORT);
}

static inline void
put_addrs (FlFlow *f, const guint8 *d, gboolean v6)
{
  if (v6)
    {
      addr6_set (&f->srcaddr, d);
      addr6_set (&f->dstaddr, d + 16);
    }
  else
    {
      fl_addr_set_ipv4 (&f->srcaddr, rd32 (d));
      fl_addr_set_ipv4 (&f->dstaddr, rd32 (d + 4));
    }
  fl_flow_set (f, FL_FIELD_SRCADDR);
  fl_flow_set (f, FL_FIELD_DSTADDR);
}

/* Minimum element lengths (header included) of the elements we read. */
static const guint8 v3_elem_min[40] = {
  [1] = 52, [2] = 12, [3] = 36, [4] = 18, [5] = 28, [6] = 12, [7] = 12,
  [8] = 8, [9] = 20, [10] = 8, [11] = 20, [12] = 8, [13] = 20, [14] = 44,
  [15] = 36, [16] = 12, [17] = 28, [19] = 12, [20] = 12, [21] = 36, [22] = 8,
  [25] = 12, [36] = 12, [39] = 12,
};

#define V3_FLAG_EVENT 0x01

/* A V3 record (layout 2). NULL, or why it is corrupt. */
static const char *
decode_v3 (const guint8 *p, gsize len, FlFlow *f, char *why, gsize why_len)
{
  guint n = rd16 (p + 4);
  gsize off = 12;
  guint64 first_ms = G_MAXUINT64, event_ms = 0;

  f->engine_type = p[6];
  f->engine_id = p[7];
  fl_flow_set (f, FL_FIELD_ENGINE_TYPE);
  fl_flow_set (f, FL_FIELD_ENGINE_ID);

  for (guint i = 0; i < n; i++)
    {
      const guint8 *e, *d;
      guint type, elen;

      if (off + 4 > len)
        {
          g_snprintf (why, why_len, "record says %u elements, only %u fit "
                      "in its %" G_GSIZE_FORMAT " bytes", n, i, len);
          return why;
        }
      e = p + off;
      type = rd16 (e);
      elen = rd16 (e + 2);
      if (elen < 4 || off + elen > len)
        {
          g_snprintf (why, why_len, "element %u (type %u) length %u runs "
                      "past its record (%" G_GSIZE_FORMAT " bytes)",
                      i, type, elen, len);
          return why;
        }
      if (type < G_N_ELEMENTS (v3_elem_min) && elen < v3_elem_min[type])
        {
          g_snprintf (why, why_len, "element %u (type %u) length %u is "
                      "shorter than its fields (%u)", i, type, elen,
                      v3_elem_min[type]);
          return why;
        }
      d = e + 4;
      off += elen;
      switch (type)
        {
        case 1: /* generic flow */
          first_ms = rd64 (d);
          set_time (f, FL_FIELD_FIRST, &f->first, first_ms);
          set_time (f, FL_FIELD_LAST, &f->last, rd64 (d + 8));
          set_time (f, FL_FIELD_RECV_TIME, &f->recv_time, rd64 (d + 16));
          f->dPkts = rd64 (d + 24);
          f->dOctets = rd64 (d + 32);
          f->srcport = rd16 (d + 40);
          f->dstport = rd16 (d + 42);
          f->prot = d[44];
          f->tcp_flags = d[45];
          f->fwd_status = d[46];
          f->tos = d[47];
          f->present |= FL_FIELD_BIT (FL_FIELD_DPKTS) | FL_FIELD_BIT (FL_FIELD_DOCTETS) |
                        FL_FIELD_BIT (FL_FIELD_SRCPORT) | FL_FIELD_BIT (FL_FIELD_DSTPORT) |
                        FL_FIELD_BIT (FL_FIELD_PROT) | FL_FIELD_BIT (FL_FIELD_TCP_FLAGS) |
                        FL_FIELD_BIT (FL_FIELD_FWD_STATUS) | FL_FIELD_BIT (FL_FIELD_TOS);
          break;
        case 2:
          put_addrs (f, d, FALSE);
          break;
        case 3:
          put_addrs (f, d, TRUE);
          break;
        case 4: /* flowMisc */
          f->input = rd32 (d);
          f->output = rd32 (d + 4);
          f->src_mask = d[8];
          f->dst_mask = d[9];
          f->direction = d[10];
          f->dst_tos = d[11];
          f->biflow_dir = d[12];
          f->flow_end_reason = d[13];
          misc_present (f);
          break;
        case 5: /* cntFlow */
          set_dflows (f, rd64 (d));
          f->out_packets = rd64 (d + 8);
          f->out_bytes = rd64 (d + 16);
          cnt_present (f);
          break;
        case 6:
          f->src_vlan = (guint16) rd32 (d);
          f->dst_vlan = (guint16) rd32 (d + 4);
          fl_flow_set (f, FL_FIELD_SRC_VLAN);
          fl_flow_set (f, FL_FIELD_DST_VLAN);
          break;
        case 7:
          put_u32_pair (f, d, FL_FIELD_SRC_AS, &f->src_as, FL_FIELD_DST_AS, &f->dst_as);
          break;
        case 8:
          put_addr4 (f, FL_FIELD_BGP_NEXTHOP, &f->bgp_nexthop, d);
          break;
        case 9:
          put_addr6 (f, FL_FIELD_BGP_NEXTHOP, &f->bgp_nexthop, d);
          break;
        case 10:
          put_addr4 (f, FL_FIELD_NEXTHOP, &f->nexthop, d);
          break;
        case 11:
          put_addr6 (f, FL_FIELD_NEXTHOP, &f->nexthop, d);
          break;
        case 12:
          put_addr4 (f, FL_FIELD_EXADDR, &f->exaddr, d);
          break;
        case 13:
          put_addr6 (f, FL_FIELD_EXADDR, &f->exaddr, d);
          break;
        case 14:
          set_mpls (f, d);
          break;
        case 15:
          mac_set (f->in_src_mac, rd64 (d));
          mac_set (f->out_dst_mac, rd64 (d + 8));
          mac_set (f->in_dst_mac, rd64 (d + 16));
          mac_set (f->out_src_mac, rd64 (d + 24));
          mac_present (f);
          break;
        case 16:
          put_u32_pair (f, d, FL_FIELD_NEXT_AS, &f->next_as, FL_FIELD_PREV_AS, &f->prev_as);
          break;
        case 17:
          put_latency (f, d);
          break;
        case 20:
          put_xlate (f, d, FALSE);
          break;
        case 21:
          put_xlate (f, d, TRUE);
          break;
        case 22:
          put_xlate_ports (f, d);
          break;
        case 36:
          put_u32_pair (f, d, FL_FIELD_EGRESS_VRF, &f->egress_vrf,
                        FL_FIELD_INGRESS_VRF, &f->ingress_vrf);
          break;
        case 19: /* NSEL common */
        case 25: /* NEL common */
          event_ms = rd64 (d);
          break;
        case 39: /* flowId (nfdump 1.7.x numbering) */
          f->flow_id = rd64 (d);
          fl_flow_set (f, FL_FIELD_FLOW_ID);
          break;
        default: /* not in design.md's table: skipped by its length */
          break;
        }
    }
  /* nfdump takes a NAT/firewall event's time for a missing start time */
  if (first_ms == 0 && event_ms != 0)
    set_time (f, FL_FIELD_FIRST, &f->first, event_ms);
  /* an NSEL/NEL event: nfdump shows the event time, not first/last */
  if (p[10] & V3_FLAG_EVENT)
    f->present &= ~(FL_FIELD_BIT (FL_FIELD_FIRST) | FL_FIELD_BIT (FL_FIELD_LAST));
  return NULL;
}

/* Layout 1 common record flags */
#define V1_IPV6      0x01
#define V1_PKG64     0x02
#define V1_BYTES64   0x04

/* A common record (10, or the older 1) of layout 1. */
static const char *
decode_v1 (NfFile *nf, const guint8 *p, gsize len, gboolean v0, FlFlow *f,
           char *why, gsize why_len)
{
  guint flags, map_id, hdr = v0 ? 28 : 32;
  const NfMap *m;
  const guint8 *d, *end = p + len;
  guint need;

  if (len < hdr)
    {
      g_snprintf (why, why_len, "common record of %" G_GSIZE_FORMAT
                  " bytes is shorter than its header (%u)", len, hdr);
      return why;
    }
  flags = v0 ? p[4] : rd16 (p + 4);
  map_id = rd16 (p + 6);
  m = nf->maps != NULL ? nf->maps[map_id] : NULL;
  if (m == NULL)
    {
      g_snprintf (why, why_len, "common record refers to extension map %u, "
                  "which was not defined before it", map_id);
      return why;
    }
  need = hdr + ((flags & V1_IPV6) ? 32 : 8) + ((flags & V1_PKG64) ? 8 : 4) +
         ((flags & V1_BYTES64) ? 8 : 4) + m->size;
  if (need > len)
    {
      g_snprintf (why, why_len, "common record of %" G_GSIZE_FORMAT " bytes is "
                  "shorter than its extensions need (%u)", len, need);
      return why;
    }

  set_time (f, FL_FIELD_FIRST, &f->first,
            (guint64) rd32 (p + 12) * 1000 + rd16 (p + 8));
  set_time (f, FL_FIELD_LAST, &f->last,
            (guint64) rd32 (p + 16) * 1000 + rd16 (p + 10));
  f->fwd_status = p[20];
  f->tcp_flags = p[21];
  f->prot = p[22];
  f->tos = p[23];
  f->srcport = rd16 (p + 24);
  f->dstport = rd16 (p + 26);
  if (!v0)
    {
      /* nfdump >= 1.6.18 keeps these in the common record's last bytes */
      f->biflow_dir = p[30];
      f->flow_end_reason = p[31];
    }
  else
    f->biflow_dir = f->flow_end_reason = 0;
  /* nfdump 1.7's generic element: received time 0 unless ext 27 says */
  f->recv_time = 0;
  f->present |= FL_FIELD_BIT (FL_FIELD_DPKTS) | FL_FIELD_BIT (FL_FIELD_DOCTETS) |
                FL_FIELD_BIT (FL_FIELD_SRCPORT) | FL_FIELD_BIT (FL_FIELD_DSTPORT) |
                FL_FIELD_BIT (FL_FIELD_PROT) | FL_FIELD_BIT (FL_FIELD_TCP_FLAGS) |
                FL_FIELD_BIT (FL_FIELD_FWD_STATUS) | FL_FIELD_BIT (FL_FIELD_TOS) |
                FL_FIELD_BIT (FL_FIELD_RECV_TIME) |
                FL_FIELD_BIT (FL_FIELD_ENGINE_TYPE) | FL_FIELD_BIT (FL_FIELD_ENGINE_ID);
  f->engine_type = 0;
  f->engine_id = 0;
  if (!v0)
    {
      const NfExporter *e = find_exporter (nf, rd16 (p + 28));

      if (e != NULL)
        {
          f->exaddr = e->addr;
          fl_flow_set (f, FL_FIELD_EXADDR);
        }
    }

  /* extensions that fill only part of a 1.7 element: the rest is 0 */
  f->input = f->output = 0;
  f->src_mask = f->dst_mask = f->direction = f->dst_tos = 0;
  f->out_packets = f->out_bytes = 0;
  f->dFlows = 0;
  memset (f->in_src_mac, 0, 6);
  memset (f->out_dst_mac, 0, 6);
  memset (f->in_dst_mac, 0, 6);
  memset (f->out_src_mac, 0, 6);

  d = p + hdr;
  put_addrs (f, d, (flags & V1_IPV6) != 0);
  d += (flags & V1_IPV6) ? 32 : 8;
  if (flags & V1_PKG64)
    f->dPkts = rd64 (d), d += 8;
  else
    f->dPkts = rd32 (d), d += 4;
  if (flags & V1_BYTES64)
    f->dOctets = rd64 (d), d += 8;
  else
    f->dOctets = rd32 (d), d += 4;

  for (guint i = 0; i < m->n; i++)
    {
      guint ext = m->ids[i];

      g_assert (d + v1_ext_size[ext] <= end); /* need covers every extension */
      switch (ext)
        {
        case 4:
          f->input = rd16 (d);
          f->output = rd16 (d + 2);
          misc_present (f);
          break;
        case 5:
          f->input = rd32 (d);
          f->output = rd32 (d + 4);
          misc_present (f);
          break;
        case 6:
          f->src_as = rd16 (d);
          f->dst_as = rd16 (d + 2);
          fl_flow_set (f, FL_FIELD_SRC_AS);
          fl_flow_set (f, FL_FIELD_DST_AS);
          break;
        case 7:
          put_u32_pair (f, d, FL_FIELD_SRC_AS, &f->src_as, FL_FIELD_DST_AS, &f->dst_as);
          break;
        case 8:
          f->dst_tos = d[0];
          f->direction = d[1];
          f->src_mask = d[2];
          f->dst_mask = d[3];
          misc_present (f);
          break;
        case 9:
          put_addr4 (f, FL_FIELD_NEXTHOP, &f->nexthop, d);
          break;
        case 10:
          put_addr6 (f, FL_FIELD_NEXTHOP, &f->nexthop, d);
          break;
        case 11:
          put_addr4 (f, FL_FIELD_BGP_NEXTHOP, &f->bgp_nexthop, d);
          break;
        case 12:
          put_addr6 (f, FL_FIELD_BGP_NEXTHOP, &f->bgp_nexthop, d);
          break;
        case 13:
          f->src_vlan = rd16 (d);
          f->dst_vlan = rd16 (d + 2);
          fl_flow_set (f, FL_FIELD_SRC_VLAN);
          fl_flow_set (f, FL_FIELD_DST_VLAN);
          break;
        case 14: f->out_packets = rd32 (d); break;
        case 15: f->out_packets = rd64 (d); break;
        case 16: f->out_bytes = rd32 (d); break;
        case 17: f->out_bytes = rd64 (d); break;
        case 18: set_dflows (f, rd32 (d)); break;
        case 19: set_dflows (f, rd64 (d)); break;
        case 20:
          mac_set (f->in_src_mac, rd64 (d));
          mac_set (f->out_dst_mac, rd64 (d + 8));
          mac_present (f);
          break;
        case 21:
          mac_set (f->in_dst_mac, rd64 (d));
          mac_set (f->out_src_mac, rd64 (d + 8));
          mac_present (f);
          break;
        case 22:
          set_mpls (f, d);
          break;
        case 23:
          put_addr4 (f, FL_FIELD_EXADDR, &f->exaddr, d);
          break;
        case 24:
          put_addr6 (f, FL_FIELD_EXADDR, &f->exaddr, d);
          break;
        case 25:
          f->engine_type = d[2];
          f->engine_id = d[3];
          break;
        case 26:
          put_u32_pair (f, d, FL_FIELD_NEXT_AS, &f->next_as, FL_FIELD_PREV_AS, &f->prev_as);
          break;
        case 27:
          if (!ms_to_ns (rd64 (d), &f->recv_time))
            f->present &= ~FL_FIELD_BIT (FL_FIELD_RECV_TIME);
          break;
        case 38:
          put_xlate_ports (f, d);
          break;
        case 39:
          put_xlate (f, d, FALSE);
          break;
        case 40:
          put_xlate (f, d, TRUE);
          break;
        case 45:
          put_latency (f, d);
          break;
        case 46:
          put_u32_pair (f, d + 4, FL_FIELD_EGRESS_VRF, &f->egress_vrf,
                        FL_FIELD_INGRESS_VRF, &f->ingress_vrf);
          break;
        case 37:
          /* NSEL's ICMP type/code: nfdump 1.7 moves it to the port */
          if ((f->prot == 1 || f->prot == 58) && f->dstport == 0)
            f->dstport = rd16 (d + 12);
          break;
        default: /* ACLs, user names, port blocks: skipped */
          break;
        }
      d += v1_ext_size[ext];
    }
  /* nfdump 1.7 makes a cntFlow element of these only when one is not 0 */
  if (f->out_packets != 0 || f->out_bytes != 0 || f->dFlows != 0)
    cnt_present (f);
  /* FLAG_EVENT is not looked at: a 1.6 event record keeps its first/last
   * (nfdump 1.7 reads it as a flow) */
  return NULL;
}

/* ------------------------------------------------------------ blocks */

/* The unthreaded decompression buffer (peek_first_block() and
 * read_appendix_early() use it too, before any worker runs). */
static guint8 *
nf_dbuf (NfFile *nf)
{
  if (nf->dbuf == NULL)
    nf->dbuf = g_malloc (NF_BLOCK_MAX);
  return nf->dbuf;
}

/* Decompresses src into dst (NF_BLOCK_MAX bytes); returns the size, or -1
 * with why. */
static gssize
decompress (guint compression, guint8 *dst, const guint8 *src, gsize len,
            char *why, gsize why_len)
{
  switch (compression)
    {
    case NF_COMP_LZO:
      {
        static gsize lzo_ready = 0;
        lzo_uint out = NF_BLOCK_MAX;

        if (g_once_init_enter (&lzo_ready))
          g_once_init_leave (&lzo_ready, lzo_init () == LZO_E_OK ? 1 : 2);
        int r = lzo1x_decompress_safe (src, len, dst, &out, NULL);

        if (r != LZO_E_OK)
          {
            g_snprintf (why, why_len, "LZO block does not decompress (error %d%s)",
                        r, r == LZO_E_OUTPUT_OVERRUN ? ": larger than 5 MiB" : "");
            return -1;
          }
        return (gssize) out;
      }
    case NF_COMP_BZ2:
      {
        unsigned int out = NF_BLOCK_MAX;
        int r = BZ2_bzBuffToBuffDecompress ((char *) dst, &out,
                                            (char *) src, (unsigned int) len, 0, 0);

        if (r != BZ_OK)
          {
            g_snprintf (why, why_len, "bzip2 block does not decompress (%s)",
                        r == BZ_DATA_ERROR ? "data error: CRC mismatch" :
                        r == BZ_DATA_ERROR_MAGIC ? "no bzip2 stream" :
                        r == BZ_UNEXPECTED_EOF ? "stream cut short" :
                        r == BZ_OUTBUFF_FULL ? "larger than 5 MiB" : "error");
            return -1;
          }
        return (gssize) out;
      }
    case NF_COMP_LZ4:
      {
        int r = LZ4_decompress_safe ((const char *) src, (char *) dst,
                                     (int) len, NF_BLOCK_MAX);

        if (r < 0)
          {
            g_snprintf (why, why_len, "LZ4 block does not decompress (or is "
                        "larger than 5 MiB)");
            return -1;
          }
        return r;
      }
    case NF_COMP_ZSTD:
      {
        size_t r = ZSTD_decompress (dst, NF_BLOCK_MAX, src, len);

        if (ZSTD_isError (r))
          {
            g_snprintf (why, why_len, "ZSTD block does not decompress (%s)",
                        ZSTD_getErrorName (r));
            return -1;
          }
        return (gssize) r;
      }
    default:
      g_assert_not_reached ();
    }
  return -1;
}

typedef enum {
  WALK_OK,
  WALK_TRUNCATED,   /* the data ends inside a record: n complete ones */
  WALK_CORRUPT,
} WalkStatus;

/* Steps over the records that lie whole in the first len bytes, from
 * record *i at *off: the part of walk_block() that can run while a block is
 * still arriving, on the piece just read (in L1/L2: the chain below, each
 * record's place depending on the one before, is latency-bound). Stops at
 * the first record walk_block() must look at more closely. */
static void
walk_prefix (const guint8 *p, gsize len, guint32 count, gsize *off, guint32 *i)
{
  gsize o = *off;
  guint32 k = *i;

  while (k < count && o + 4 <= len)
    {
      guint size = rd16 (p + o + 2);

      if (size < 4 || o + size > len)
        break;
      o += size;
      k++;
      /* nfcapd writes runs of records of one size: check the next four
       * at once, four loads that do not wait for each other */
      while (k + 4 <= count && o + 4 * (gsize) size <= len &&
             rd16 (p + o + 2) == size && rd16 (p + o + size + 2) == size &&
             rd16 (p + o + 2 * size + 2) == size &&
             rd16 (p + o + 3 * size + 2) == size)
        {
          o += 4 * (gsize) size;
          k += 4;
        }
    }
  *off = o;
  *i = k;
}

/* Walks the record headers of a block: how many complete records there are
 * (*n), and whether the block is consistent with its header. Starts at
 * record start_i at start_off (as far as walk_prefix() got). */
static WalkStatus
walk_block (const guint8 *p, gsize len, gsize declared, guint32 count,
            gboolean cut, gsize start_off, guint32 start_i, guint32 *n,
            char *why, gsize why_len)
{
  gsize off = start_off;
  guint32 i;

  for (i = start_i; i < count; i++)
    {
      guint size;

      if (off + 4 > len)
        {
          *n = i;
          if (cut)
            return WALK_TRUNCATED;
          g_snprintf (why, why_len, "block says %u records, its %" G_GSIZE_FORMAT
                      " bytes hold %u", count, len, i);
          return WALK_CORRUPT;
        }
      size = rd16 (p + off + 2);
      if (size < 4)
        {
          g_snprintf (why, why_len, "record %u (type %u) has size %u", i,
                      rd16 (p + off), size);
          *n = 0;
          return WALK_CORRUPT;
        }
      if (off + size > len)
        {
          *n = i;
          if (cut && off + size <= declared)
            return WALK_TRUNCATED;
          g_snprintf (why, why_len, "record %u (type %u) size %u runs past "
                      "the end of its block (%" G_GSIZE_FORMAT " bytes)", i,
                      rd16 (p + off), size, declared);
          *n = 0;
          return WALK_CORRUPT;
        }
      off += size;
    }
  *n = count;
  if (cut || off != len)
    {
      /* every record is there, but the block says it is longer (or
       * bytes follow them): its size or its count is wrong */
      g_snprintf (why, why_len, "block of %" G_GSIZE_FORMAT " bytes says %u "
                  "records, which end after %" G_GSIZE_FORMAT " bytes",
                  declared, count, off);
      *n = 0;
      return WALK_CORRUPT;
    }
  return WALK_OK;
}

static void
set_pending (NfFile *nf, FlError code, guint64 offset, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

static void
set_pending (NfFile *nf, FlError code, guint64 offset, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_clear_error (&nf->pending);
  fl_set_error (&nf->pending, code, offset, "%s", msg);
  g_free (msg);
}

/* ---- the input, either way: the stream (unthreaded) or pread() on its
 * file descriptor (threaded, see nf_worker()). Same answers from both. */

static guint64
src_tell (NfFile *nf)
{
  return nf->fd >= 0 ? nf->pos : fl_stream_tell (nf->stream);
}

static void
set_read_error (GError **error, guint64 offset, int e)
{
  g_set_error (error, FL_ERROR, FL_ERROR_IO, "byte %" G_GUINT64_FORMAT
               ": read error: %s", offset, g_strerror (e));
}

/* pread() until count bytes or the end: the number read, -1 with error. */
static gssize
src_pread (NfFile *nf, void *buf, gsize count, guint64 offset, GError **error)
{
  gsize done = 0;

  while (done < count)
    {
      ssize_t n = pread (nf->fd, (guint8 *) buf + done, count - done,
                         (off_t) (offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_read_error (error, offset + done, errno);
          return -1;
        }
      if (n == 0)
        break;
      done += (gsize) n;
    }
  return (gssize) done;
}

/* Is the input at its end? FALSE with *error on a read error. */
static gboolean
src_at_eof (NfFile *nf, GError **error)
{
  gsize avail = 0;
  guint8 c;

  if (nf->fd >= 0)
    return src_pread (nf, &c, 1, nf->pos, error) == 0;
  return fl_stream_peek (nf->stream, 1, &avail, error) != NULL && avail == 0;
}

/* Skips count bytes: the number skipped (fewer at the end), -1 with error. */
static gssize
src_skip (NfFile *nf, gsize count, GError **error)
{
  struct stat st;
  gsize k;

  if (nf->fd < 0)
    return fl_stream_skip (nf->stream, count, error);
  if (fstat (nf->fd, &st) < 0)
    {
      set_read_error (error, nf->pos, errno);
      return -1;
    }
  k = st.st_size > (off_t) nf->pos ? (gsize) MIN ((guint64) st.st_size - nf->pos,
                                                  count) : 0;
  nf->pos += k;
  return (gssize) k;
}

/* The end of fetching a flow block, either way: body_len of its
 * b->declared bytes are at body. A compressed block is decompressed into
 * dbuf (a cut one cannot be: TRUNCATED); then its record headers are walked
 * (from record walk_i at walk_off, where a walk of the pieces got). FALSE
 * with b->error. */
static gboolean
finish_block (NfFile *nf, NfBlock *b, const guint8 *body, gsize body_len,
              guint8 *dbuf, gsize walk_off, guint32 walk_i)
{
  char why[200];

  b->cut = body_len < b->declared;
  if (b->decompressed)
    {
      gssize dlen;

      if (b->cut)
        {
          fl_set_error (&b->error, FL_ERROR_TRUNCATED, b->offset, "truncated: the "
                        "file ends inside a %s-compressed block (%" G_GSIZE_FORMAT
                        " of %" G_GSIZE_FORMAT " bytes)",
                        nf_comp_names[nf->compression], body_len, b->declared);
          return FALSE;
        }
      dlen = decompress (nf->compression, dbuf, body, b->declared, why, sizeof why);
      if (dlen < 0)
        {
          fl_set_error (&b->error, FL_ERROR_CORRUPT, b->offset, "%s", why);
          return FALSE;
        }
      b->data = dbuf;
      b->len = (gsize) dlen;
      b->declared = (gsize) dlen;
    }
  else
    {
      b->data = body;
      b->len = body_len;
    }
  walk_prefix (b->data, b->len, b->count, &walk_off, &walk_i);
  b->walk = walk_block (b->data, b->len, b->declared, b->count, b->cut,
                        walk_off, walk_i, &b->n_ok, b->why, sizeof b->why);
  return TRUE;
}

/* Fetches the next block (data or appendix) into b: TRUE with a block,
 * FALSE with b->error set, or b->end when the file ended cleanly.
 *
 * Unthreaded, the records stay in the stream's buffer (no copy for a memory
 * stream), consumed at the next fetch, and are walked here. Threaded, only
 * the block header is read here (this is the part that must run in file
 * order, under the worker's lock): the body is read, decompressed and
 * walked by load_body(), in either thread. Everything else is the same
 * code, so both ways give the same flows and errors (tests/nfdump reads
 * the corpus both ways). */
static gboolean
fetch_block (NfFile *nf, NfBlock *b)
{
  GError **error = &b->error;
  gboolean own = nf->fd >= 0;
  const guint8 *p;
  gsize avail = 0, body_len;
  guint64 offset;
  guint32 count, size;
  guint16 type, flags;
  gboolean cut, compressed, flow_block;
  guint8 hdr[NF_BLOCK_HDR_LEN];

  b->data = NULL;
  b->end = FALSE;
  g_clear_error (&b->error);

again:
  if (nf->blk_consume > 0)
    {
      fl_stream_consume (nf->stream, nf->blk_consume);
      nf->blk_consume = 0;
    }
  offset = src_tell (nf);
  nf_prefetch_moved (nf, offset);

  /* Where are we: data blocks, then (layout 2) the appendix. */
  if (!nf->in_appendix)
    {
      gboolean more = nf->n_blocks == 0 ? TRUE : nf->blocks_read < nf->n_blocks;

      if (nf->layout == 2 && nf->n_blocks == 0 && nf->off_appendix != 0 &&
          offset >= nf->off_appendix)
        more = FALSE;
      if (more && nf->n_blocks == 0)
        {
          if (!src_at_eof (nf, error))
            {
              if (*error != NULL)
                return FALSE;
            }
          else
            more = FALSE;
        }
      if (!more)
        {
          if (nf->layout == 2 && nf->appendix_blocks > 0 && nf->off_appendix != 0)
            {
              if (nf->off_appendix < offset)
                {
                  fl_set_error (error, FL_ERROR_CORRUPT, offset, "appendix offset %"
                                G_GUINT64_FORMAT " lies inside the data blocks "
                                "(they end at byte %" G_GUINT64_FORMAT ")",
                                nf->off_appendix, offset);
                  return FALSE;
                }
              if (nf->off_appendix > offset)
                {
                  gssize k = src_skip (nf, nf->off_appendix - offset, error);

                  if (k < 0)
                    return FALSE;
                  if ((guint64) k < nf->off_appendix - offset)
                    {
                      fl_set_error (error, FL_ERROR_TRUNCATED, offset + k,
                                    "truncated: the file ends at byte %" G_GUINT64_FORMAT
                                    " but its appendix starts at byte %" G_GUINT64_FORMAT,
                                    offset + k, nf->off_appendix);
                      return FALSE;
                    }
                  offset = nf->off_appendix;
                }
              nf->in_appendix = TRUE;
            }
          else
            {
              if (src_at_eof (nf, error))
                b->end = TRUE;
              else if (*error == NULL)
                fl_set_error (error, FL_ERROR_CORRUPT, offset,
                              "trailing bytes after the last data block");
              return FALSE;
            }
        }
    }
  if (nf->in_appendix && nf->appendix_read >= nf->appendix_blocks)
    {
      if (src_at_eof (nf, error))
        b->end = TRUE;
      else if (*error == NULL)
        fl_set_error (error, FL_ERROR_CORRUPT, offset,
                      "trailing bytes after the appendix");
      return FALSE;
    }

  if (!own)
    p = fl_stream_peek (nf->stream, NF_BLOCK_HDR_LEN, &avail, error);
  else
    {
      gssize n = src_pread (nf, hdr, NF_BLOCK_HDR_LEN, offset, error);

      p = n < 0 ? NULL : hdr;
      avail = n < 0 ? 0 : (gsize) n;
    }
  if (p == NULL)
    return FALSE;
  if (avail < NF_BLOCK_HDR_LEN)
    {
      if (avail == 0 && nf->n_blocks == 0 && !nf->in_appendix)
        {
          b->end = TRUE; /* an open-ended file ends between blocks */
          return FALSE;
        }
      if (avail == 0)
        fl_set_error (error, FL_ERROR_TRUNCATED, offset, "truncated: the file "
                      "ends after %u of its %u %s blocks",
                      nf->in_appendix ? nf->appendix_read : nf->blocks_read,
                      nf->in_appendix ? nf->appendix_blocks : nf->n_blocks,
                      nf->in_appendix ? "appendix" : "data");
      else
        fl_set_error (error, FL_ERROR_TRUNCATED, offset, "truncated: the file "
                      "ends inside a block header (%" G_GSIZE_FORMAT " of %u bytes)",
                      avail, NF_BLOCK_HDR_LEN);
      return FALSE;
    }
  count = rd32 (p);
  size = rd32 (p + 4);
  type = rd16 (p + 8);
  flags = rd16 (p + 10);
  if (size > NF_BLOCK_MAX)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, offset, "block size %u (0x%x) is "
                    "beyond the %u-byte cap of nfdump's blocks", size, size,
                    NF_BLOCK_MAX);
      return FALSE;
    }
  if (nf->in_appendix)
    nf->appendix_read++;
  else
    nf->blocks_read++;
  /* layout 1: type 2 (type 1 is nfdump 1.5's); layout 2: type 3 (type 4
   * holds arrays of one record type: never flows). Others skipped. */
  flow_block = nf->layout == 1 ? (type == 2 || type == 1) : type == 3;
  compressed = nf->compression != NF_COMP_NONE &&
               !(nf->layout == 2 && (flags & 0x1)); /* FLAG_BLOCK_UNCOMPRESSED */

  b->offset = offset;
  b->count = count;
  b->declared = size;
  b->is_appendix = nf->in_appendix;
  b->decompressed = compressed;
  if (own)
    {
      nf->pos = offset + NF_BLOCK_HDR_LEN;
      if (!flow_block)
        {
          gssize k = src_skip (nf, size, error);

          if (k < 0)
            return FALSE;
          if ((gsize) k < size)
            {
              fl_set_error (error, FL_ERROR_TRUNCATED, offset, "truncated: the "
                            "file ends inside a block of type %u", type);
              return FALSE;
            }
          goto again;
        }
      /* the body is load_body()'s: the next block starts after it */
      nf->pos += size;
      return TRUE;
    }

  p = fl_stream_peek (nf->stream, NF_BLOCK_HDR_LEN + (gsize) size, &avail, error);
  if (p == NULL)
    return FALSE;
  nf->blk_consume = avail;
  p += NF_BLOCK_HDR_LEN;
  body_len = avail - NF_BLOCK_HDR_LEN;
  cut = body_len < (gsize) size;
  if (cut && fl_stream_failed (nf->stream, error))
    return FALSE;
  if (!flow_block)
    {
      if (cut)
        {
          fl_set_error (error, FL_ERROR_TRUNCATED, offset, "truncated: the file "
                        "ends inside a block of type %u", type);
          return FALSE;
        }
      goto again;
    }
  return finish_block (nf, b, p, body_len, compressed ? nf_dbuf (nf) : NULL, 0, 0);
}

/* Threaded: reads the body of the block fetch_block() found into b's own
 * buffers and finishes it. Runs outside the lock, in the worker or in the
 * reader, for any block. */
static void
load_body (NfFile *nf, NfBlock *b)
{
  guint64 at = b->offset + NF_BLOCK_HDR_LEN;
  gsize size = b->declared, got = 0, walk_off = 0;
  guint32 walk_i = 0;

  if (b->buf == NULL)
    b->buf = g_malloc (NF_BLOCK_MAX);
  if (b->decompressed)
    {
      gssize n;

      if (b->raw == NULL)
        b->raw = g_malloc (NF_BLOCK_MAX);
      n = src_pread (nf, b->raw, size, at, &b->error);
      if (n >= 0)
        finish_block (nf, b, b->raw, (gsize) n, b->buf, 0, 0);
      return;
    }
  /* in pieces, each walked while it is in this core's cache */
  while (got < size)
    {
      gsize want = MIN (size - got, NF_PIECE);
      gssize n = src_pread (nf, b->buf + got, want, at + got, &b->error);

      if (n < 0)
        return;
      got += (gsize) n;
      walk_prefix (b->buf, got, b->count, &walk_off, &walk_i);
      if ((gsize) n < want)
        break; /* the end of the file */
    }
  finish_block (nf, b, b->buf, got, NULL, walk_off, walk_i);
}

/* ------------------------------------------------------------ the worker */

/* A plain file (the common case, and the only one where reading cannot
 * block for long: no pipe, no wrapper plugin) is read with pread() on the
 * stream's descriptor by two threads, the reader and a worker, nfdump's own
 * reader/worker split. Copying the file out of the page cache (or
 * decompressing it) costs about as much as decoding its records, so on two
 * cores a large file takes about half the time.
 *
 * The blocks go through a ring of NF_SLOTS. fetch_block() finds them in
 * file order under the lock (a 12-byte pread() each); load_body() reads,
 * decompresses and walks one outside it. The worker does that for any
 * fetched block, ahead of the reader; the reader, when the block it needs is
 * not ready, does the same instead of waiting (it is then ahead, and the
 * block it loads is in its own cache), so the two stay busy whichever is
 * faster. The reader decodes records as unthreaded. The worker starts at the
 * first next() (open(), info() and a skip by time_range() read nothing
 * ahead) and is stopped and joined by close(). Memory: NF_SLOTS blocks, at
 * most 2 x 5 MiB each (compressed and decompressed); nfcapd writes ~1 MiB
 * blocks. A reader must not be used across fork(), as with any library that
 * runs a thread. */

/* Under the lock: fetches the next block into the free slot after the
 * fetched ones, if there is one. */
static gboolean
fetch_next_slot (NfFile *nf)
{
  NfBlock *b = &nf->slots[nf->slot_w];

  if (nf->fetch_done || b->state != SLOT_FREE)
    return FALSE;
  if (fetch_block (nf, b))
    b->state = SLOT_FETCHED;
  else
    {
      b->state = SLOT_READY;   /* an error or the end: nothing after it */
      nf->fetch_done = TRUE;
    }
  nf->slot_w = (nf->slot_w + 1) % NF_SLOTS;
  return TRUE;
}

/* Under the lock: the oldest fetched block whose body nobody loads yet. */
static NfBlock *
claim_body (NfFile *nf)
{
  for (guint i = 0; i < NF_SLOTS; i++)
    {
      NfBlock *b = &nf->slots[(nf->slot_r + i) % NF_SLOTS];

      if (b->state == SLOT_FETCHED)
        {
          b->state = SLOT_LOADING;
          return b;
        }
    }
  return NULL;
}

/* Under the lock, which it drops meanwhile: loads b's body. */
static void
load_claimed (NfFile *nf, NfBlock *b)
{
  pthread_mutex_unlock (&nf->lock);
  load_body (nf, b);
  pthread_mutex_lock (&nf->lock);
  b->state = SLOT_READY;
  pthread_cond_broadcast (&nf->cond);
}

static void *
nf_worker (void *data)
{
  NfFile *nf = data;
  NfBlock *b;

  pthread_mutex_lock (&nf->lock);
  while (!nf->stop)
    {
      if ((b = claim_body (nf)) != NULL)
        load_claimed (nf, b);
      else if (fetch_next_slot (nf))
        pthread_cond_broadcast (&nf->cond);
      else if (nf->fetch_done)
        break;               /* every block is fetched and being loaded */
      else
        pthread_cond_wait (&nf->cond, &nf->lock);
    }
  pthread_mutex_unlock (&nf->lock);
  return NULL;
}

static void
nf_worker_start (NfFile *nf)
{
  sigset_t all, old;

  nf->fd = fl_stream_get_fd (nf->stream);
  if (nf->fd < 0)
    return;
  nf->pos = fl_stream_tell (nf->stream);
  pthread_mutex_init (&nf->lock, NULL);
  pthread_cond_init (&nf->cond, NULL);
  /* signals are the host's business: none is delivered to the worker */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  nf->threaded = pthread_create (&nf->worker, NULL, nf_worker, nf) == 0;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (nf->threaded)
    pthread_setname_np (nf->worker, "fl-nfdump");  /* for top, gdb, perf */
  if (!nf->threaded)
    {
      /* no thread to be had: read in this one, from the stream */
      pthread_mutex_destroy (&nf->lock);
      pthread_cond_destroy (&nf->cond);
      nf->fd = -1;
    }
}

static void
nf_worker_stop (NfFile *nf)
{
  if (!nf->threaded)
    return;
  pthread_mutex_lock (&nf->lock);
  nf->stop = TRUE;
  pthread_cond_broadcast (&nf->cond);
  pthread_mutex_unlock (&nf->lock);
  pthread_join (nf->worker, NULL);
  nf->threaded = FALSE;
  for (guint i = 0; i < NF_SLOTS; i++)
    {
      g_clear_error (&nf->slots[i].error);
      g_free (nf->slots[i].buf);
      g_free (nf->slots[i].raw);
    }
  pthread_mutex_destroy (&nf->lock);
  pthread_cond_destroy (&nf->cond);
}

/* The next block, in file order: fetched here, or from the ring. */
static NfBlock *
take_block (NfFile *nf)
{
  NfBlock *b, *c;

  if (!nf->threaded)
    {
      fetch_block (nf, &nf->one);
      return &nf->one;
    }
  pthread_mutex_lock (&nf->lock);
  if (nf->holding)
    {
      /* done with the one before: its slot can take another block */
      nf->slots[nf->slot_r].state = SLOT_FREE;
      nf->slot_r = (nf->slot_r + 1) % NF_SLOTS;
      nf->holding = FALSE;
      pthread_cond_broadcast (&nf->cond);
    }
  for (;;)
    {
      b = &nf->slots[nf->slot_r];
      if (b->state == SLOT_READY)
        break;
      /* not ready: help rather than wait */
      if ((c = claim_body (nf)) != NULL)
        load_claimed (nf, c);
      else if (fetch_next_slot (nf))
        pthread_cond_broadcast (&nf->cond);
      else
        pthread_cond_wait (&nf->cond, &nf->lock);
    }
  nf->holding = TRUE;
  pthread_mutex_unlock (&nf->lock);
  return b;
}

/* Moves on to the next block. FALSE when there is none: then nf->pending
 * says why if it is an error, else the file ended cleanly. */
static gboolean
next_block (NfFile *nf)
{
  NfBlock *b;
  guint32 n_ok;

  if (!nf->started)
    {
      nf->started = TRUE;
      nf_worker_start (nf);
    }
  nf->blk = NULL;
  b = take_block (nf);
  if (b->data == NULL)
    {
      g_clear_error (&nf->pending);
      nf->pending = g_steal_pointer (&b->error);
      return FALSE;
    }

  nf->blk = b->data;
  nf->blk_len = b->len;
  nf->blk_offset = b->offset;
  nf->blk_is_appendix = b->is_appendix;
  nf->blk_decompressed = b->decompressed;
  nf->blk_pos = 0;
  nf->blk_left = n_ok = b->n_ok;
  if (b->walk == WALK_CORRUPT)
    {
      set_pending (nf, FL_ERROR_CORRUPT, b->offset, "%s", b->why);
      nf->blk_left = 0;
    }
  else if (b->walk == WALK_TRUNCATED)
    set_pending (nf, FL_ERROR_TRUNCATED, b->offset + NF_BLOCK_HDR_LEN + b->len,
                 "truncated: the file ends inside a block (%" G_GSIZE_FORMAT
                 " of %" G_GSIZE_FORMAT " bytes, %u of %u records complete)",
                 b->len, b->declared, n_ok, b->count);
  return TRUE;
}

/* ------------------------------------------------------------ next */

/* noipa: one call per flow, not a status-check wrapper around the
 * rest (gcc's split), which cost ~5% of a 2M-flow -c. Clang has no such
 * split (nor the attribute). */
#if defined(__GNUC__) && !defined(__clang__)
#define NF_NO_SPLIT __attribute__ ((noipa))
#else
#define NF_NO_SPLIT
#endif

static NF_NO_SPLIT FlStatus
nf_next (gpointer handle, FlFlow *flow, GError **error)
{
  NfFile *nf = handle;
  char why[200];

  if (nf->status != FL_STATUS_OK)
    return nf->status;

  for (;;)
    {
      const guint8 *r;
      guint type, size;
      guint64 roff;
      const char *bad = NULL;

      if (nf->blk == NULL || nf->blk_left == 0)
        {
          if (nf->pending != NULL || !next_block (nf))
            {
              if (nf->pending != NULL)
                {
                  g_propagate_error (error, nf->pending);
                  nf->pending = NULL;
                  return nf->status = FL_STATUS_ERROR;
                }
              return nf->status = FL_STATUS_END;
            }
          continue;
        }
      r = nf->blk + nf->blk_pos;
      /* the block was most likely filled by the worker, on the other
       * core: ask for the lines ahead (beyond the end is harmless). A
       * third of the time of a 2M-flow -c without it. */
      __builtin_prefetch (r + 1024);
      __builtin_prefetch (r + 1024 + 64);
      type = rd16 (r);
      size = rd16 (r + 2);
      roff = nf->blk_pos;
      nf->blk_pos += size;
      nf->blk_left--;

      if (nf->blk_is_appendix)
        {
          if (type == REC_IDENT)
            parse_ident (nf, r, size);
          else if (type == REC_STAT)
            parse_stat_v2 (nf, r, size);
          continue;
        }
      switch (type)
        {
        case REC_V3:
          if (nf->layout != 2)
            continue;
          if (size < 12)
            {
              g_snprintf (why, sizeof why, "flow record of %u bytes is shorter "
                          "than its header", size);
              bad = why;
              break;
            }
          bad = decode_v3 (r, size, flow, why, sizeof why);
          break;
        case REC_COMMON:
        case REC_COMMON_V0:
          if (nf->layout != 1)
            continue;
          bad = decode_v1 (nf, r, size, type == REC_COMMON_V0, flow, why, sizeof why);
          break;
        case REC_EXT_MAP:
          if (nf->layout != 1)
            continue;
          if (!parse_map (nf, r, size, why, sizeof why))
            bad = why;
          break;
        case REC_EXPORTER:
          parse_exporter (nf, r, size);
          continue;
        case REC_SAMPLER:
        case REC_SAMPLER_V1:
          nf->n_samplers++;
          continue;
        default:
          continue;
        }
      if (bad != NULL)
        {
          if (nf->blk_decompressed)
            fl_set_error (error, FL_ERROR_CORRUPT, nf->blk_offset,
                          "block record %" G_GUINT64_FORMAT " bytes in "
                          "(decompressed): %s", roff, bad);
          else
            fl_set_error (error, FL_ERROR_CORRUPT,
                          nf->blk_offset + NF_BLOCK_HDR_LEN + roff, "%s", bad);
          return nf->status = FL_STATUS_ERROR;
        }
      if (type == REC_EXT_MAP)
        continue;
      return FL_STATUS_OK;
    }
}

/* ------------------------------------------------------------ open */

/* Reads the appendix of a plain layout 2 file with pread() (ident and stat
 * record for --info and time_range()). Silent on any failure. */
static void
read_appendix_early (NfFile *nf)
{
  int fd = fl_stream_get_fd (nf->stream);
  guint8 hdr[NF_BLOCK_HDR_LEN];
  guint8 *buf = NULL;
  guint64 off = nf->off_appendix;

  if (nf->appendix_blocks == 0 || off == 0 || fd < 0)
    return;
  for (guint b = 0; b < nf->appendix_blocks && b < 16; b++)
    {
      guint32 count, size;
      const guint8 *recs;
      gsize len, pos = 0;
      char why[200];

      if (pread (fd, hdr, sizeof hdr, (off_t) off) != (ssize_t) sizeof hdr)
        break;
      count = rd32 (hdr);
      size = rd32 (hdr + 4);
      if (size > NF_BLOCK_MAX || rd16 (hdr + 8) != 3)
        break;
      buf = g_realloc (buf, size);
      if (pread (fd, buf, size, (off_t) (off + sizeof hdr)) != (ssize_t) size)
        break;
      if (nf->compression != NF_COMP_NONE && !(rd16 (hdr + 10) & 0x1))
        {
          gssize d = decompress (nf->compression, nf_dbuf (nf), buf, size, why,
                                 sizeof why);

          if (d < 0)
            break;
          recs = nf->dbuf;
          len = (gsize) d;
        }
      else
        {
          recs = buf;
          len = size;
        }
      for (guint32 i = 0; i < count && pos + 4 <= len; i++)
        {
          guint rsize = rd16 (recs + pos + 2);

          if (rsize < 4 || pos + rsize > len)
            break;
          if (rd16 (recs + pos) == REC_IDENT)
            parse_ident (nf, recs + pos, rsize);
          else if (rd16 (recs + pos) == REC_STAT)
            parse_stat_v2 (nf, recs + pos, rsize);
          pos += rsize;
        }
      off += sizeof hdr + size;
    }
  g_free (buf);
}

static gpointer
nf_open (FlStream *stream, const FlOptions *options, GError **error)
{
  NfFile *nf;
  const guint8 *p;
  gsize avail = 0;
  guint16 magic, version;
  GError *local = NULL;

  p = fl_stream_peek (stream, NF_V1_HDR_LEN + NF_V1_STAT_LEN, &avail, &local);
  if (p == NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  if (avail < 4)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, 0, "not an nfcapd file: %"
                    G_GSIZE_FORMAT " bytes", avail);
      return NULL;
    }
  magic = rd16 (p);
  version = rd16 (p + 2);
  if (magic == NF_MAGIC_SWAPPED)
    {
      fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, 0,
                    "byte-swapped nfcapd magic 0x%04X: a file written on a host "
                    "of the other (big-endian) byte order, which cannot be read "
                    "here", magic);
      return NULL;
    }
  if (magic != NF_MAGIC)
    {
      fl_set_error (error, FL_ERROR_UNKNOWN_FORMAT, 0,
                    "bad magic 0x%04X: not an nfcapd file", magic);
      return NULL;
    }
  if (version != 1 && version != 2)
    {
      fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, 2,
                    "nfcapd layout version %u is not supported (1 and 2 are)",
                    version);
      return NULL;
    }
  if (avail < (version == 1 ? NF_V1_HDR_LEN : NF_V2_HDR_LEN))
    {
      fl_set_error (error, FL_ERROR_CORRUPT, avail, "the file ends inside its "
                    "nfcapd layout %u file header (%" G_GSIZE_FORMAT " of %u bytes)",
                    version, avail, version == 1 ? NF_V1_HDR_LEN : NF_V2_HDR_LEN);
      return NULL;
    }

  nf = g_new0 (NfFile, 1);
  nf->stream = stream;
  nf->fd = -1;
  nf->status = FL_STATUS_OK;
  nf->layout = version;
  nf->exporters = g_array_new (FALSE, TRUE, sizeof (NfExporter));

  if (version == 1)
    {
      guint32 comp = rd32 (p + 4) & 0x19;

      nf->v1_flags = rd32 (p + 4);
      nf->n_blocks = rd32 (p + 8);
      memcpy (nf->ident, p + 12, NF_IDENT_LEN);
      nf->ident[NF_IDENT_LEN] = '\0';
      if (comp == 0)
        nf->compression = NF_COMP_NONE;
      else if (comp == 0x1)
        nf->compression = NF_COMP_LZO;
      else if (comp == 0x8)
        nf->compression = NF_COMP_BZ2;
      else if (comp == 0x10)
        nf->compression = NF_COMP_LZ4;
      else
        {
          fl_set_error (error, FL_ERROR_CORRUPT, 4, "header flags 0x%x name "
                        "more than one compression", nf->v1_flags);
          nf_close (nf);
          return NULL;
        }
      if (avail < NF_V1_HDR_LEN + NF_V1_STAT_LEN)
        {
          set_pending (nf, FL_ERROR_TRUNCATED, avail, "truncated: the file ends "
                       "inside its stat record (%" G_GSIZE_FORMAT " of %u bytes)",
                       avail - NF_V1_HDR_LEN, NF_V1_STAT_LEN);
          fl_stream_consume (stream, avail);
        }
      else
        {
          const guint8 *s = p + NF_V1_HDR_LEN;

          nf->stat.flows = rd64 (s);
          nf->stat.bytes = rd64 (s + 8);
          nf->stat.packets = rd64 (s + 16);
          for (guint i = 0; i < 4; i++)
            {
              nf->stat.flows_p[i] = rd64 (s + 24 + 8 * i);
              nf->stat.bytes_p[i] = rd64 (s + 56 + 8 * i);
              nf->stat.packets_p[i] = rd64 (s + 88 + 8 * i);
            }
          nf->stat.first_ms = (guint64) rd32 (s + 120) * 1000 + rd16 (s + 128);
          nf->stat.last_ms = (guint64) rd32 (s + 124) * 1000 + rd16 (s + 130);
          nf->stat.seq_failures = rd32 (s + 132);
          nf->have_stat = TRUE;
          fl_stream_consume (stream, NF_V1_HDR_LEN + NF_V1_STAT_LEN);
        }
    }
  else
    {
      nf->nfdump_version = rd32 (p + 4);
      nf->created = rd64 (p + 8);
      nf->compression = p[16];
      nf->appendix_blocks = rd16 (p + 18);
      nf->off_appendix = rd64 (p + 24);
      nf->n_blocks = rd32 (p + 36);
      if (nf->compression > NF_COMP_ZSTD)
        {
          fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, 16,
                        "compression id %u is not supported (0 none, 1 LZO, "
                        "2 bzip2, 3 LZ4, 4 ZSTD)", nf->compression);
          nf_close (nf);
          return NULL;
        }
      if (p[17] != 0)
        {
          fl_set_error (error, FL_ERROR_UNSUPPORTED_VERSION, 17,
                        "encrypted nfcapd file (encryption %u) cannot be read",
                        p[17]);
          nf_close (nf);
          return NULL;
        }
      fl_stream_consume (stream, NF_V2_HDR_LEN);
      read_appendix_early (nf);
    }
  nf_prefetch_start (nf);
  return nf;
}

static const FlReaderClass nf_reader_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "nfdump",
  .description = "nfcapd files (nfdump 1.6 and 1.7; LZO, bzip2, LZ4, ZSTD)",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_MAGIC,
  .priority = 10, /* above its exec twin "nfdump-exec" (0) */
  .probe = nf_probe,
  .open = nf_open,
  .next = nf_next,
  .close = nf_close,
  .info = nf_info,
  .time_range = nf_time_range,
};

FL_PLUGIN_DEFINE ("nfdump", "1.0", &nf_reader_class);

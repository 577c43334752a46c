/* SPDX-License-Identifier: MIT */
/*
 * nfdump-exec: reads nfcapd files by running nfdump(1) and parsing its
 * `-o fmt:` output.
 *
 * Why fmt and not csv: nfdump 1.7's csv drops the milliseconds of the flow
 * times; `%ts`/`%te` keep them (`%ter` is broken in 1.7.1: milliseconds
 * modulo 100). `-N` prints plain numbers (no "1.2 M", protocol as a number),
 * `-6` full IPv6 addresses, `-q` no header or summary. TZ=UTC in the child's
 * environment makes the local-time stamps UTC (and nfdump 2-3x faster).
 * Every line starts with a literal "@|" so that anything else nfdump prints
 * on stdout ("No matching flows", messages) is told apart from a flow.
 *
 * nfdump exits 0 even on a corrupt or truncated file and then prints
 * "No matching flows": anything on its stderr is therefore an error here.
 *
 * nfdump wants a regular file: a plain file is passed by path; a wrapped
 * input (gzip) or a pipe is first copied to a temporary file. nfdump 1.7.1
 * cannot read a pipe ("/dev/stdin is not a file or directory": it stat()s
 * the name and seeks to the appendix), so streaming is not possible. The
 * copy has no name: O_TMPFILE in g_get_tmp_dir() (or mkstemp() and an
 * immediate unlink() where O_TMPFILE is missing), handed to nfdump as
 * /dev/fd/N, so that nothing is left on disk on any exit path, SIGKILL
 * included. The copy is capped at NFDUMP_COPY_MAX bytes (1 GiB, or
 * $FLOWREAD_NFDUMP_COPY_MAX; nfcapd rotates files every few minutes, and a
 * gzip bomb must not fill the disk): beyond it, FL_ERROR_LIMIT. Input that
 * does not start with the nfcapd magic is refused before anything is
 * copied (`-F nfdump-exec /dev/zero`).
 *
 * Known differences from the nfcapd record: fields nfdump prints as 0 when
 * absent (next hop, AS, masks, interfaces) are reported as present zeros;
 * for ICMP nfdump prints the destination port as "type.code", which is
 * reported as dstport = type*256 + code, as nfdump's binary record, NetFlow
 * v5, flow-tools and flowd carry it (design.md section 2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fl-exec.h"

static const FlExecProgram nfdump = {
  "nfdump", "FLOWREAD_NFDUMP", "nfdump",
  "Debian package nfdump (apt-get install nfdump), FreeBSD port net-mgmt/nfdump, "
  "https://github.com/phaag/nfdump",
};
#define NFDUMP_MAGIC_LE0 0x0C
#define NFDUMP_MAGIC_LE1 0xA5
#define NFDUMP_LINE_MAX 4096
#define NFDUMP_N_FIELDS 20
/* Default cap of the temporary copy of a wrapped or piped input. */
#define NFDUMP_COPY_MAX (G_GUINT64_CONSTANT (1) << 30)

/* Order matters: parse_line() reads the fields in this order. */
#define NFDUMP_FORMAT                                                        \
  "fmt:@|%ts|%te|%sa|%da|%sp|%dp|%pr|%pkt|%byt|%flg|%tos|%in|%out|%nh|%ra|" \
  "%sas|%das|%smk|%dmk"

typedef struct {
  FlChild *child;
  char    *program;
  int      tmp_fd;     /* our nameless temporary copy, or -1 */
  guint64  line_no;
  FlStatus status;     /* sticky END / ERROR */
  gint64   file_length;
  /* header, for --info and for a better truncation message */
  gboolean have_header;
  guint16  layout_version;
  guint32  nfdump_version;
  guint64  created;
  guint8   compression;
  guint64  off_appendix;
  guint32  n_blocks;
} NfdumpExec;

static int
nfdump_exec_probe (FlProbe *probe)
{
  const guint8 *p;
  gsize avail = 0;
  guint16 version;

  p = fl_probe_peek (probe, 4, &avail);
  if (p == NULL || avail < 4)
    return FL_PROBE_NONE;
  if (p[0] == NFDUMP_MAGIC_LE1 && p[1] == NFDUMP_MAGIC_LE0)
    {
      fl_probe_set_reason (probe, "byte-swapped nfcapd magic: a file written "
                           "on a big-endian host, which nfdump cannot read here");
      return FL_PROBE_NONE;
    }
  if (p[0] != NFDUMP_MAGIC_LE0 || p[1] != NFDUMP_MAGIC_LE1)
    return FL_PROBE_NONE;
  version = fl_read_u16_le (p + 2);
  if (version != 1 && version != 2)
    {
      fl_probe_set_reason (probe, "nfcapd layout version %u unknown", version);
      return FL_PROBE_NONE;
    }
  if (!fl_exec_probe_program (probe, &nfdump))
    return FL_PROBE_NONE;
  return FL_PROBE_CERTAIN;
}

static void
nfdump_exec_close (gpointer handle)
{
  NfdumpExec *nf = handle;

  if (nf == NULL)
    return;
  fl_child_free (nf->child);
  if (nf->tmp_fd >= 0)
    close (nf->tmp_fd);
  g_free (nf->program);
  g_free (nf);
}

/* NFDUMP_COPY_MAX, or $FLOWREAD_NFDUMP_COPY_MAX (bytes; ignored set-uid). */
static guint64
copy_max (void)
{
  gboolean privileged = getuid () != geteuid () || getgid () != getegid ();
  const char *value = privileged ? NULL : g_getenv ("FLOWREAD_NFDUMP_COPY_MAX");
  guint64 v;

  if (value != NULL && g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT64,
                                                   &v, NULL))
    return v;
  return NFDUMP_COPY_MAX;
}

/* A nameless file in the temporary folder (see the file comment). */
static int
open_nameless_temp (GError **error)
{
  const char *dir = g_get_tmp_dir ();
  g_autofree char *path = NULL;
  int fd = -1;

#ifdef O_TMPFILE
  fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
  if (fd < 0)
    {
      /* No O_TMPFILE (old kernel, some file systems): a name for an
       * instant. */
      path = g_build_filename (dir, "flowread-nfdump-XXXXXX", NULL);
      fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
      if (fd >= 0)
        g_unlink (path);
    }
  if (fd < 0)
    fl_set_error (error, FL_ERROR_IO, G_MAXUINT64,
                  "cannot create a temporary file for nfdump in %s: %s",
                  dir, g_strerror (errno));
  else if (fd <= 2)
    {
      /* fd 0..2 would be replaced by the child's pipes. */
      int nfd = fcntl (fd, F_DUPFD_CLOEXEC, 3);

      close (fd);
      fd = nfd;
    }
  return fd;
}

/* Copies the rest of stream into a nameless temporary file, at most
 * copy_max() bytes; returns its fd, positioned at 0, or -1. */
static int
copy_to_temp (FlStream *stream, GError **error)
{
  guint64 max = copy_max (), copied = 0;
  int fd = open_nameless_temp (error);

  if (fd < 0)
    return -1;
  for (;;)
    {
      gsize avail = 0;
      const guint8 *p = fl_stream_peek (stream, 1024 * 1024, &avail, error);
      gsize done = 0;

      if (p == NULL)
        goto fail;
      if (avail == 0)
        break;
      if (avail > max - copied)
        {
          fl_set_error (error, FL_ERROR_LIMIT, fl_stream_tell (stream),
                        "the input is larger than %" G_GUINT64_FORMAT " bytes, "
                        "the cap of nfdump-exec's temporary copy of a wrapped "
                        "or piped nfcapd file (FLOWREAD_NFDUMP_COPY_MAX sets "
                        "it; or pass the plain file by name)", max);
          goto fail;
        }
      while (done < avail)
        {
          ssize_t n = write (fd, p + done, avail - done);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              fl_set_error (error, FL_ERROR_IO, G_MAXUINT64,
                            "writing the temporary copy for nfdump in %s: %s",
                            g_get_tmp_dir (), g_strerror (errno));
              goto fail;
            }
          done += (gsize) n;
        }
      copied += avail;
      fl_stream_consume (stream, avail);
    }
  if (lseek (fd, 0, SEEK_SET) != 0)
    {
      fl_set_error (error, FL_ERROR_IO, G_MAXUINT64,
                    "the temporary copy for nfdump: %s", g_strerror (errno));
      goto fail;
    }
  return fd;

fail:
  close (fd);
  return -1;
}

static gpointer
nfdump_exec_open (FlStream *stream, const FlOptions *options, GError **error)
{
  NfdumpExec *nf = g_new0 (NfdumpExec, 1);
  const char *path = fl_stream_get_path (stream);
  g_autofree char *arg_path = NULL;
  const guint8 *hdr;
  gsize avail = 0;
  static const char *const env[] = { "TZ=UTC", NULL };

  nf->status = FL_STATUS_OK;
  nf->tmp_fd = -1;
  nf->program = fl_exec_open_program (&nfdump, error);
  if (nf->program == NULL)
    goto fail;

  hdr = fl_stream_peek (stream, 40, &avail, error);
  if (hdr == NULL)
    goto fail;
  if (avail >= 40 && hdr[0] == NFDUMP_MAGIC_LE0 && hdr[1] == NFDUMP_MAGIC_LE1)
    {
      nf->have_header = TRUE;
      nf->layout_version = fl_read_u16_le (hdr + 2);
      nf->nfdump_version = fl_read_u32_le (hdr + 4);
      nf->created = fl_read_u32_le (hdr + 8) |
                    ((guint64) fl_read_u32_le (hdr + 12) << 32);
      nf->compression = hdr[16];
      nf->off_appendix = fl_read_u32_le (hdr + 24) |
                         ((guint64) fl_read_u32_le (hdr + 28) << 32);
      nf->n_blocks = fl_read_u32_le (hdr + 36);
    }

  if (path != NULL && fl_stream_tell (stream) == 0)
    {
      nf->file_length = fl_stream_get_length (stream);
      /* A name starting with '-' would be read as an option. */
      arg_path = path[0] == '/' ? g_strdup (path)
                                : g_strconcat ("./", path, NULL);
    }
  else
    {
      guint64 start = fl_stream_tell (stream);

      if (!nf->have_header)
        {
          fl_set_error (error, FL_ERROR_CORRUPT, start,
                        "not an nfcapd file (no nfcapd magic and header)");
          goto fail;
        }
      nf->tmp_fd = copy_to_temp (stream, error);
      if (nf->tmp_fd < 0)
        goto fail;
      nf->file_length = (gint64) (fl_stream_tell (stream) - start);
      arg_path = g_strdup_printf ("/dev/fd/%d", nf->tmp_fd);
    }

  {
    const char *argv[] = { nf->program, "-r", arg_path, "-q", "-N", "-6",
                           "-o", NFDUMP_FORMAT, NULL };

    nf->child = fl_child_spawn_full (argv, env, NULL, nf->tmp_fd, error);
    if (nf->child == NULL)
      goto fail;
  }
  return nf;

fail:
  nfdump_exec_close (nf);
  return NULL;
}

/* The fields are parsed in place as [s, e) ranges of the line, without
 * NUL-terminating or copying them: nfdump pads most fields with blanks to a
 * fixed width, and trimming them with g_strstrip() (strlen + memmove per
 * field) plus libc's strchr/inet_pton cost more CPU than the rest of
 * flowread's side together (profile in bench/README.md). */

static gboolean
parse_digits (const char **s, guint n, unsigned *out)
{
  unsigned v = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*s)[i]))
        return FALSE;
      v = v * 10 + (unsigned) ((*s)[i] - '0');
    }
  *s += n;
  *out = v;
  return TRUE;
}

/* "YYYY-MM-DD HH:MM:SS.mmm" (UTC, thanks to TZ=UTC) -> ns. */
static gboolean
parse_time (const char *s, const char *e, gint64 *ns)
{
  unsigned y, mo, d, h, mi, se, ms;

  if (e - s != 23)
    return FALSE;
  if (!parse_digits (&s, 4, &y) || *s++ != '-' ||
      !parse_digits (&s, 2, &mo) || *s++ != '-' ||
      !parse_digits (&s, 2, &d) || *s++ != ' ' ||
      !parse_digits (&s, 2, &h) || *s++ != ':' ||
      !parse_digits (&s, 2, &mi) || *s++ != ':' ||
      !parse_digits (&s, 2, &se) || *s++ != '.' ||
      !parse_digits (&s, 3, &ms))
    return FALSE;
  /* a damaged file can make nfdump print any year */
  return fl_time_from_civil (y, mo, d, h, mi, se, ms * 1000000u, ns);
}

/* Decimal digits only, value <= max. */
static gboolean
parse_uint (const char *s, const char *e, guint64 max, guint64 *out)
{
  guint64 v = 0;

  if (s == e)
    return FALSE;
  if (e - s <= 19)
    {
      /* Below 10^19 < 2^64: no overflow possible, and v only grows, so
       * checking max once at the end is the same as per digit. */
      for (; s < e; s++)
        {
          if (!g_ascii_isdigit (*s))
            return FALSE;
          v = v * 10 + (guint64) (*s - '0');
        }
      if (v > max)
        return FALSE;
      *out = v;
      return TRUE;
    }
  for (; s < e; s++)
    {
      if (!g_ascii_isdigit (*s))
        return FALSE;
      if (v > (G_MAXUINT64 - 9) / 10)
        return FALSE;
      v = v * 10 + (guint64) (*s - '0');
      if (v > max)
        return FALSE;
    }
  *out = v;
  return TRUE;
}

/* An address, as fl_addr_parse() reads it. IPv4 (the next hop and router
 * address of every flow, often both endpoints) is parsed here with
 * inet_pton()'s rules: exactly four decimal octets <= 255, no leading
 * zeros, nothing else. IPv6 goes to fl_addr_parse() on a NUL-terminated
 * copy; no valid IPv6 text is longer than 45 characters. */
static gboolean
parse_addr (const char *s, const char *e, FlAddr *a)
{
  guint8 oct[4];
  guint n = 0;
  const char *p;

  memset (a, 0, sizeof *a); /* as fl_addr_parse(), even on failure */
  if (memchr (s, ':', (gsize) (e - s)) != NULL)
    {
      char buf[64];

      if ((gsize) (e - s) >= sizeof buf)
        return FALSE;
      memcpy (buf, s, (gsize) (e - s));
      buf[e - s] = '\0';
      return fl_addr_parse (a, buf);
    }
  for (p = s;;)
    {
      unsigned v;

      if (p == e || !g_ascii_isdigit (*p))
        return FALSE;
      v = (unsigned) (*p++ - '0');
      while (p < e && g_ascii_isdigit (*p))
        {
          if (v == 0) /* leading zero */
            return FALSE;
          v = v * 10 + (unsigned) (*p++ - '0');
          if (v > 255)
            return FALSE;
        }
      oct[n++] = (guint8) v;
      if (n == 4)
        break;
      if (p == e || *p != '.')
        return FALSE;
      p++;
    }
  if (p != e)
    return FALSE;
  a->family = 4;
  memcpy (a->addr, oct, 4);
  return TRUE;
}

/* "CEUAPRSF" with '.' for an unset flag. */
static gboolean
parse_flags (const char *s, const char *e, guint8 *out)
{
  static const char names[] = "CEUAPRSF";
  guint8 v = 0;

  if (e - s != 8)
    return FALSE;
  for (guint i = 0; i < 8; i++)
    {
      if (s[i] == names[i])
        v |= (guint8) (0x80 >> i);
      else if (s[i] != '.')
        return FALSE;
    }
  *out = v;
  return TRUE;
}

/* Skips leading blanks as g_strchug() does. nfdump right-aligns most fields
 * in wide columns (addresses in 39 characters): about half of each line is
 * padding, so runs of spaces are skipped 8 at a time first. */
static inline const char *
skip_blanks (const char *s, const char *e)
{
  static const char spaces[8] = "        ";

  while (e - s >= 8 && memcmp (s, spaces, 8) == 0)
    s += 8;
  while (s < e && g_ascii_isspace (*s))
    s++;
  return s;
}

static const char *const field_names[NFDUMP_N_FIELDS] = {
  "@", "first (%ts)", "last (%te)", "srcaddr (%sa)", "dstaddr (%da)",
  "srcport (%sp)", "dstport (%dp)", "prot (%pr)", "dPkts (%pkt)",
  "dOctets (%byt)", "tcp_flags (%flg)", "tos (%tos)", "input (%in)",
  "output (%out)", "nexthop (%nh)", "exaddr (%ra)", "src_as (%sas)",
  "dst_as (%das)", "src_mask (%smk)", "dst_mask (%dmk)",
};

static FlStatus
parse_line (NfdumpExec *nf, const char *line, gsize len, FlFlow *flow,
            GError **error)
{
  const char *fs[NFDUMP_N_FIELDS], *fe[NFDUMP_N_FIELDS];
  const char *p = line, *end;
  const char *nul = memchr (line, '\0', len);
  guint n = 0;
  guint64 v;
  int bad = -1;

  /* The line ends at a stray NUL, as it did for the string functions. */
  end = nul != NULL ? nul : line + len;

  /* Split on '|' and trim the blank padding, as g_strstrip() does. */
  for (;;)
    {
      const char *bar, *s, *e;

      if (n == NFDUMP_N_FIELDS)
        {
          n++; /* "more than expected" */
          break;
        }
      bar = memchr (p, '|', (gsize) (end - p));
      e = bar != NULL ? bar : end;
      s = skip_blanks (p, e);
      while (e > s && g_ascii_isspace (e[-1]))
        e--;
      fs[n] = s;
      fe[n++] = e;
      if (bar == NULL)
        break;
      p = bar + 1;
    }
  if (n != NFDUMP_N_FIELDS)
    {
      fl_set_error (error, FL_ERROR_CORRUPT, G_MAXUINT64,
                    "nfdump output line %" G_GUINT64_FORMAT ": %u fields, "
                    "expected %u", nf->line_no, n, NFDUMP_N_FIELDS);
      return FL_STATUS_ERROR;
    }

#define FIELD_FAIL(i) do { bad = (i); goto fail; } while (0)
#define F(i) fs[i], fe[i]
  if (!parse_time (F (1), &flow->first)) FIELD_FAIL (1);
  if (!parse_time (F (2), &flow->last)) FIELD_FAIL (2);
  if (!parse_addr (F (3), &flow->srcaddr)) FIELD_FAIL (3);
  if (!parse_addr (F (4), &flow->dstaddr)) FIELD_FAIL (4);
  if (!parse_uint (F (5), G_MAXUINT16, &v)) FIELD_FAIL (5);
  flow->srcport = (guint16) v;
  {
    /* ICMP: "type.code"; see the file comment. */
    const char *dot = memchr (fs[6], '.', (gsize) (fe[6] - fs[6]));
    guint64 code = 0;

    if (dot != NULL)
      {
        /* the error message shows the type only */
        const char *code_end = fe[6];

        fe[6] = dot;
        if (!parse_uint (dot + 1, code_end, G_MAXUINT8, &code)) FIELD_FAIL (6);
        if (!parse_uint (F (6), G_MAXUINT8, &v)) FIELD_FAIL (6);
        v = v * 256 + code;
      }
    else if (!parse_uint (F (6), G_MAXUINT16, &v))
      FIELD_FAIL (6);
    flow->dstport = (guint16) v;
  }
  if (!parse_uint (F (7), G_MAXUINT8, &v)) FIELD_FAIL (7);
  flow->prot = (guint8) v;
  if (!parse_uint (F (8), G_MAXUINT64, &flow->dPkts)) FIELD_FAIL (8);
  if (!parse_uint (F (9), G_MAXUINT64, &flow->dOctets)) FIELD_FAIL (9);
  if (!parse_flags (F (10), &flow->tcp_flags)) FIELD_FAIL (10);
  if (!parse_uint (F (11), G_MAXUINT8, &v)) FIELD_FAIL (11);
  flow->tos = (guint8) v;
  if (!parse_uint (F (12), G_MAXUINT32, &v)) FIELD_FAIL (12);
  flow->input = (guint32) v;
  if (!parse_uint (F (13), G_MAXUINT32, &v)) FIELD_FAIL (13);
  flow->output = (guint32) v;
  if (!parse_addr (F (14), &flow->nexthop)) FIELD_FAIL (14);
  if (!parse_addr (F (15), &flow->exaddr)) FIELD_FAIL (15);
  if (!parse_uint (F (16), G_MAXUINT32, &v)) FIELD_FAIL (16);
  flow->src_as = (guint32) v;
  if (!parse_uint (F (17), G_MAXUINT32, &v)) FIELD_FAIL (17);
  flow->dst_as = (guint32) v;
  if (!parse_uint (F (18), 128, &v)) FIELD_FAIL (18);
  flow->src_mask = (guint8) v;
  if (!parse_uint (F (19), 128, &v)) FIELD_FAIL (19);
  flow->dst_mask = (guint8) v;
#undef F
#undef FIELD_FAIL

  flow->present |= FL_FIELD_BIT (FL_FIELD_FIRST) | FL_FIELD_BIT (FL_FIELD_LAST) |
    FL_FIELD_BIT (FL_FIELD_SRCADDR) | FL_FIELD_BIT (FL_FIELD_DSTADDR) |
    FL_FIELD_BIT (FL_FIELD_SRCPORT) | FL_FIELD_BIT (FL_FIELD_DSTPORT) |
    FL_FIELD_BIT (FL_FIELD_PROT) | FL_FIELD_BIT (FL_FIELD_DPKTS) |
    FL_FIELD_BIT (FL_FIELD_DOCTETS) | FL_FIELD_BIT (FL_FIELD_TCP_FLAGS) |
    FL_FIELD_BIT (FL_FIELD_TOS) | FL_FIELD_BIT (FL_FIELD_INPUT) |
    FL_FIELD_BIT (FL_FIELD_OUTPUT) | FL_FIELD_BIT (FL_FIELD_NEXTHOP) |
    FL_FIELD_BIT (FL_FIELD_EXADDR) | FL_FIELD_BIT (FL_FIELD_SRC_AS) |
    FL_FIELD_BIT (FL_FIELD_DST_AS) | FL_FIELD_BIT (FL_FIELD_SRC_MASK) |
    FL_FIELD_BIT (FL_FIELD_DST_MASK);
  return FL_STATUS_OK;

fail:
  fl_set_error (error, FL_ERROR_CORRUPT, G_MAXUINT64,
                "nfdump output line %" G_GUINT64_FORMAT ": bad %s value \"%.*s\"",
                nf->line_no, field_names[bad], (int) (fe[bad] - fs[bad]),
                fs[bad]);
  return FL_STATUS_ERROR;
}

/* At the end of nfdump's output: its exit status, then its stderr (it exits
 * 0 on a damaged file, so a message there is the only sign). */
static FlStatus
finish (NfdumpExec *nf, GError **error)
{
  const char *err;
  g_autofree char *msg = NULL;

  if (!fl_child_finish (nf->child, error))
    return FL_STATUS_ERROR;
  err = fl_child_get_stderr (nf->child);
  if (err[0] == '\0')
    return FL_STATUS_END;

  msg = fl_child_get_stderr_excerpt (nf->child);

  if (nf->have_header && nf->file_length >= 0 && nf->off_appendix > 0 &&
      nf->off_appendix > (guint64) nf->file_length)
    fl_set_error (error, FL_ERROR_CORRUPT, (guint64) nf->file_length,
                  "truncated nfcapd file: it ends at byte %" G_GINT64_FORMAT
                  " but its appendix starts at byte %" G_GUINT64_FORMAT
                  " (nfdump: \"%s\")", nf->file_length, nf->off_appendix, msg);
  else
    fl_set_error (error, FL_ERROR_CORRUPT, G_MAXUINT64,
                  "nfdump reported an error: \"%s\"", msg);
  return FL_STATUS_ERROR;
}

static FlStatus
nfdump_exec_next (gpointer handle, FlFlow *flow, GError **error)
{
  NfdumpExec *nf = handle;

  if (nf->status != FL_STATUS_OK)
    return nf->status;

  for (;;)
    {
      gsize len = 0;
      GError *local = NULL;
      const char *line = fl_child_read_line (nf->child, NFDUMP_LINE_MAX, &len,
                                             &local);

      if (line == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, local);
              return nf->status = FL_STATUS_ERROR;
            }
          return nf->status = finish (nf, error);
        }
      nf->line_no++;
      if (len >= 2 && line[0] == '@' && line[1] == '|')
        {
          FlStatus st = parse_line (nf, line, len, flow, error);

          if (st == FL_STATUS_ERROR)
            nf->status = st;
          return st;
        }
      if (len == 0 || strcmp (line, "No matching flows") == 0)
        continue;
      fl_set_error (error, FL_ERROR_CORRUPT, G_MAXUINT64,
                    "unexpected nfdump output line %" G_GUINT64_FORMAT ": \"%.200s\"",
                    nf->line_no, line);
      return nf->status = FL_STATUS_ERROR;
    }
}

static void
nfdump_exec_info (gpointer handle, FlInfoFunc func, gpointer user_data)
{
  NfdumpExec *nf = handle;
  static const char *const compression[] = { "none", "lzo", "bzip2", "lz4", "zstd" };
  char buf[64];

  func ("program", nf->program, user_data);
  if (!nf->have_header)
    return;
  g_snprintf (buf, sizeof buf, "%u", nf->layout_version);
  func ("layout_version", buf, user_data);
  g_snprintf (buf, sizeof buf, "%x", nf->nfdump_version);
  func ("nfdump_version", buf, user_data);
  if (nf->compression < G_N_ELEMENTS (compression))
    func ("compression", compression[nf->compression], user_data);
  else
    {
      g_snprintf (buf, sizeof buf, "unknown (%u)", nf->compression);
      func ("compression", buf, user_data);
    }
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, nf->created);
  func ("created", buf, user_data);
  g_snprintf (buf, sizeof buf, "%u", nf->n_blocks);
  func ("data_blocks", buf, user_data);
}

static const FlReaderClass nfdump_exec_class = {
  .struct_size = sizeof (FlReaderClass),
  .name = "nfdump-exec",
  .description = "nfcapd files (nfdump 1.7), read by running nfdump -r",
  .kind = FL_READER_FORMAT,
  .probe_class = FL_PROBE_MAGIC,
  .priority = 0,
  .probe = nfdump_exec_probe,
  .open = nfdump_exec_open,
  .next = nfdump_exec_next,
  .close = nfdump_exec_close,
  .info = nfdump_exec_info,
  .family = "nfcapd", /* the native nfcapd reader outranks this one */
  .flags = FL_READER_EXEC,
};

FL_PLUGIN_DEFINE ("nfdump-exec", "1.0", &nfdump_exec_class);

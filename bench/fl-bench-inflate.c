/* SPDX-License-Identifier: MIT */
/*
 * fl-bench-inflate: the physical limit of a compressed flow-tools (or gzip)
 * file: zlib inflate of the same body, output discarded, nothing parsed.
 *
 *   fl-bench-inflate [--skip N] FILE
 *
 * --skip N: the body starts at byte N (a flow-tools header) and is a zlib
 * stream; without it the file is a gzip file (every member is inflated).
 * Reads in 1 MiB chunks and inflates into a 256 KiB buffer, which is what a
 * streaming reader can do at best. Prints the inflated byte count.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IN_SIZE (1u << 20)
#define OUT_SIZE (256u << 10)

static unsigned char in_buf[IN_SIZE];
static unsigned char out_buf[OUT_SIZE];

int
main (int argc, char **argv)
{
  long skip = -1;
  int i = 1;

  if (argc > 2 && strcmp (argv[1], "--skip") == 0)
    {
      skip = strtol (argv[2], NULL, 10);
      i = 3;
    }
  if (i != argc - 1)
    {
      fprintf (stderr, "usage: fl-bench-inflate [--skip N] FILE\n");
      return 2;
    }

  int fd = open (argv[i], O_RDONLY);
  if (fd < 0)
    {
      fprintf (stderr, "%s: %s\n", argv[i], strerror (errno));
      return 1;
    }
  if (skip > 0 && lseek (fd, skip, SEEK_SET) != skip)
    {
      fprintf (stderr, "%s: cannot skip %ld bytes\n", argv[i], skip);
      return 1;
    }

  z_stream z;
  memset (&z, 0, sizeof z);
  /* 15: zlib stream (flow-tools); 15 + 16: gzip only. */
  if (inflateInit2 (&z, skip >= 0 ? 15 : 15 + 16) != Z_OK)
    {
      close (fd);
      return 1;
    }

  unsigned long long total = 0;
  int done = 0;
  int status = 1;
  for (;;)
    {
      ssize_t n = read (fd, in_buf, IN_SIZE);
      if (n < 0)
        {
          fprintf (stderr, "%s: %s\n", argv[i], strerror (errno));
          goto out;
        }
      if (n == 0)
        break;
      z.next_in = in_buf;
      z.avail_in = (uInt) n;
      while (z.avail_in > 0)
        {
          if (done)
            {
              /* Another gzip member (gzip files may be concatenated). */
              if (skip >= 0)
                break;
              inflateReset (&z);
              done = 0;
            }
          z.next_out = out_buf;
          z.avail_out = OUT_SIZE;
          int ret = inflate (&z, Z_NO_FLUSH);
          total += OUT_SIZE - z.avail_out;
          if (ret == Z_STREAM_END)
            done = 1;
          else if (ret != Z_OK && ret != Z_BUF_ERROR)
            {
              fprintf (stderr, "%s: inflate: %s\n", argv[i],
                       z.msg ? z.msg : "error");
              goto out;
            }
        }
    }
  /* Drain what zlib still holds once the input is exhausted. */
  while (!done)
    {
      z.next_out = out_buf;
      z.avail_out = OUT_SIZE;
      int ret = inflate (&z, Z_NO_FLUSH);
      total += OUT_SIZE - z.avail_out;
      if (ret == Z_STREAM_END)
        done = 1;
      else if (z.avail_out == OUT_SIZE)
        {
          fprintf (stderr, "%s: truncated zlib stream\n", argv[i]);
          goto out;
        }
    }
  printf ("%llu\n", total);
  status = 0;
out:
  inflateEnd (&z);
  close (fd);
  return status;
}

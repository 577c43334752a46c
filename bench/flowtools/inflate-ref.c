/* SPDX-License-Identifier: MIT */
/*
 * inflate-ref: the lower bound for reading a compressed flow-tools file.
 * Reads FILE in 64 KiB chunks, skips the stream-version-3 header (length at
 * offset 4 in the file's byte order), inflates the body into a 256 KiB
 * buffer and discards it: the same buffer sizes the flowtools plugin uses,
 * without any record decoding. Prints the inflated byte count.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IN_SIZE (64 * 1024)
#define OUT_SIZE (256 * 1024)

int
main (int argc, char **argv)
{
  static unsigned char in[IN_SIZE], out[OUT_SIZE];
  unsigned char hdr[8];
  uint32_t hlen;
  unsigned long long total = 0;
  z_stream z;
  int fd, rc = Z_OK;

  if (argc != 2)
    {
      fprintf (stderr, "usage: inflate-ref FILE.ft\n");
      return 2;
    }
  fd = open (argv[1], O_RDONLY);
  if (fd < 0 || read (fd, hdr, 8) != 8 || hdr[0] != 0xCF || hdr[1] != 0x10 ||
      hdr[3] != 3)
    {
      fprintf (stderr, "inflate-ref: %s: not a stream-v3 flow-tools file\n",
               argv[1]);
      return 1;
    }
  hlen = hdr[2] == 1 ? (uint32_t) hdr[4] | hdr[5] << 8 | hdr[6] << 16 |
                         (uint32_t) hdr[7] << 24
                     : (uint32_t) hdr[7] | hdr[6] << 8 | hdr[5] << 16 |
                         (uint32_t) hdr[4] << 24;
  if (lseek (fd, hlen, SEEK_SET) != (off_t) hlen)
    return 1;
  memset (&z, 0, sizeof z);
  if (inflateInit (&z) != Z_OK)
    return 1;
  while (rc != Z_STREAM_END)
    {
      ssize_t n = read (fd, in, sizeof in);
      if (n <= 0)
        break;
      z.next_in = in;
      z.avail_in = (uInt) n;
      while (z.avail_in > 0 && rc != Z_STREAM_END)
        {
          z.next_out = out;
          z.avail_out = sizeof out;
          rc = inflate (&z, Z_NO_FLUSH);
          if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            {
              fprintf (stderr, "inflate-ref: zlib error %d\n", rc);
              return 1;
            }
          total += sizeof out - z.avail_out;
        }
    }
  inflateEnd (&z);
  close (fd);
  printf ("%llu\n", total);
  return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz-filter.c: libFuzzer target for the filter parser and evaluator
 * (core/fl-filter.c). The input is the expression (cut at a NUL byte).
 * Checked beyond the sanitizers:
 *   - a refused expression gives NULL and one FL_ERROR_INVALID line
 *     "filter: position N: expected ..." with N inside the expression + 1;
 *   - an accepted one evaluates on a few flows (nothing present, IPv4 TCP,
 *     IPv6 UDP, extreme times), and "not (E)" gives the opposite answer on
 *     every one of them, "(E) and any" the same answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowread/flowread-plugin.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static FlFlow flows[4];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  FlFlow *f;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                          G_LOG_LEVEL_ERROR);
  for (guint i = 0; i < G_N_ELEMENTS (flows); i++)
    fl_flow_init (&flows[i]);

  f = &flows[1]; /* 192.0.2.55:1234 -> 198.51.100.7:443 TCP SA */
  fl_addr_set_ipv4 (&f->srcaddr, 0xC0000237);
  fl_addr_set_ipv4 (&f->dstaddr, 0xC6336407);
  f->srcport = 1234;
  f->dstport = 443;
  f->prot = 6;
  f->tcp_flags = 0x12;
  f->dPkts = 10;
  f->dOctets = 1500;
  f->input = 3;
  f->output = 7;
  f->first = G_GINT64_CONSTANT (1795784724000000000);
  f->last = f->first + 2500000000;
  f->present = ~G_GUINT64_CONSTANT (0);

  f = &flows[2]; /* 2001:db8:1::10 -> 2001:db8::10 UDP 53, no ports' peers */
  {
    const guint8 a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10 };
    const guint8 b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
    fl_addr_set_ipv6 (&f->srcaddr, a);
    fl_addr_set_ipv6 (&f->dstaddr, b);
  }
  f->dstport = 53;
  f->prot = 17;
  f->dPkts = 1;
  f->dOctets = 76;
  fl_flow_set (f, FL_FIELD_SRCADDR);
  fl_flow_set (f, FL_FIELD_DSTADDR);
  fl_flow_set (f, FL_FIELD_DSTPORT);
  fl_flow_set (f, FL_FIELD_PROT);
  fl_flow_set (f, FL_FIELD_DPKTS);
  fl_flow_set (f, FL_FIELD_DOCTETS);

  f = &flows[3]; /* last < first by the whole range */
  f->first = G_MAXINT64;
  f->last = G_MININT64;
  fl_flow_set (f, FL_FIELD_FIRST);
  fl_flow_set (f, FL_FIELD_LAST);
  return 0;
}

static FlFilter *
compile (const char *expr, gsize len)
{
  GError *error = NULL;
  FlFilter *f = fl_filter_new (expr, &error);

  if (f != NULL)
    {
      if (error != NULL)
        abort ();
      return f;
    }
  if (error == NULL || error->domain != FL_ERROR
      || error->code != FL_ERROR_INVALID
      || strchr (error->message, '\n') != NULL)
    abort ();
  {
    unsigned long pos = 0;

    if (sscanf (error->message, "filter: position %lu: expected ", &pos) != 1
        || pos < 1 || pos > len + 1
        || strstr (error->message, ": expected ") == NULL)
      abort ();
  }
  g_error_free (error);
  return NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *expr = g_strndup ((const char *) data, size);
  gsize len = strlen (expr);
  g_autofree char *negated = g_strdup_printf ("not (%s)", expr);
  g_autofree char *anded = g_strdup_printf ("(%s) and any", expr);
  FlFilter *f = compile (expr, len), *n, *a;

  if (f == NULL)
    return 0;
  /* one more level of nesting can hit the cap: then there is no check */
  n = compile (negated, strlen (negated));
  a = compile (anded, strlen (anded));
  for (guint i = 0; i < G_N_ELEMENTS (flows); i++)
    {
      gboolean m = fl_filter_match (f, &flows[i]);

      if ((n != NULL && fl_filter_match (n, &flows[i]) == m)
          || (a != NULL && fl_filter_match (a, &flows[i]) != m))
        abort ();
    }
  fl_filter_unref (a);
  fl_filter_unref (n);
  fl_filter_unref (fl_filter_ref (f));
  fl_filter_unref (f);
  return 0;
}

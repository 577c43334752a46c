/* SPDX-License-Identifier: MIT */
/*
 * FlFilter: the filter language of design.md section 10 (grammar in
 * flowread-filter.h), compiled once into an array of nodes and evaluated on
 * the record.
 *
 * Compilation turns every primitive into leaves that test one field each
 * (a dir-less "host X" becomes "src host X or dst host X"); a leaf reads
 * the FlFlow member at a stored offset, tests its presence bit and, for
 * numbers, checks lo <= v <= lo + span with one unsigned compare (every
 * comparison operator is such a range). "not" is pushed down to the leaves
 * (De Morgan), where it is a flag, so the tree has only n-ary "and" and
 * "or" nodes, flattened ("a and (b and c)" is one node) and with their
 * leaves first. An "and"/"or" evaluates all its leaves without branching
 * (leaves have no side effects and cost a few instructions: cheaper than a
 * mispredicted branch per leaf), then its inner nodes with short-circuit.
 * No allocation, no lookups per flow.
 *
 * The evaluation depth is bounded by the nesting of parentheses and "not",
 * which the parser caps: an expression of any length cannot overflow the
 * stack of a small thread.
 */
#include "fl-private.h"
#include <flowread/flowread-filter.h>

#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Deepest nesting of "(" and "not" accepted. */
#define FILTER_MAX_DEPTH 128

typedef enum {
  /* leaves */
  L_TRUE,     /* "any"; with neg: false (an empty range) */
  L_FAMILY,   /* srcaddr's family (dstaddr's when srcaddr is absent) */
  L_U8,       /* the member at offset in [lo, lo + span] */
  L_U16,
  L_U32,
  L_U64,
  L_DURATION, /* last - first (ns, signed, mapped to unsigned order) */
  L_ADDR4,    /* FlAddr at offset: family and (addr & mask) == net */
  L_ADDR6,
  L_PORT_IN,  /* u16 at offset in ports [a, a + b), sorted */
  L_FLAGS,    /* (tcp_flags & lo) == lo */
  /* inner nodes: kids [a, a + b), the first c of them leaves */
  N_AND,
  N_OR,
} NodeKind;

#define IS_LEAF(kind) ((kind) < N_AND)

typedef enum {
  CMP_EQ,
  CMP_GT,
  CMP_LT,
  CMP_GE,
  CMP_LE,
} Cmp;

typedef struct {
  guint8  kind;      /* NodeKind */
  guint8  neg;       /* leaf: the result is inverted */
  guint8  family;    /* L_FAMILY, L_ADDR*: 4 or 6 */
  guint16 offset;    /* of the member in FlFlow */
  guint32 a, b, c;
  guint64 bit;       /* the field's bit in FlFlow.present */
  guint64 lo, span;  /* L_U*, L_DURATION; L_FLAGS: lo is the mask */
  guint64 net[2], mask[2]; /* L_ADDR*, as the 16 address bytes */
} Node;

struct _FlFilter {
  gatomicrefcount ref;
  guint32  root;
  Node    *nodes;
  guint32 *kids;
  guint16 *ports;
};

/* ------------------------------------------------------------- evaluation */

#define SIGN_BIT (G_GUINT64_CONSTANT (1) << 63)

static inline guint64
load (const FlFlow *flow, guint offset, guint width)
{
  const guint8 *p = (const guint8 *) flow + offset;

  switch (width)
    {
    case 1: return *p;
    case 2: { guint16 v; memcpy (&v, p, 2); return v; }
    case 4: { guint32 v; memcpy (&v, p, 4); return v; }
    default: { guint64 v; memcpy (&v, p, 8); return v; }
    }
}

static gboolean
port_in (const guint16 *ports, guint32 n, guint16 port)
{
  guint32 lo = 0, hi = n;

  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo) / 2;

      if (ports[mid] == port)
        return TRUE;
      if (ports[mid] < port)
        lo = mid + 1;
      else
        hi = mid;
    }
  return FALSE;
}

/* 0 or 1. The presence test and the comparison are combined with & rather
 * than &&, so that a run of leaves compiles to straight-line code. */
static inline __attribute__ ((always_inline)) guint
leaf (const FlFilter *f, const Node *n, const FlFlow *flow)
{
  guint here = (flow->present & n->bit) == n->bit; /* duration: two bits */
  guint r;

  switch ((NodeKind) n->kind)
    {
    case L_TRUE:
      r = 1;
      break;
    case L_FAMILY:
      {
        guint fam = (flow->present & FL_FIELD_BIT (FL_FIELD_SRCADDR))
                    ? flow->srcaddr.family
                    : (flow->present & FL_FIELD_BIT (FL_FIELD_DSTADDR))
                      ? flow->dstaddr.family : 0;
        r = fam == n->family;
        break;
      }
    case L_U8:
      r = here & (load (flow, n->offset, 1) - n->lo <= n->span);
      break;
    case L_U16:
      r = here & (load (flow, n->offset, 2) - n->lo <= n->span);
      break;
    case L_U32:
      r = here & (load (flow, n->offset, 4) - n->lo <= n->span);
      break;
    case L_U64:
      r = here & (load (flow, n->offset, 8) - n->lo <= n->span);
      break;
    case L_DURATION:
      {
        gint64 d;

        /* saturate: times span all of gint64 ns */
        if (__builtin_sub_overflow (flow->last, flow->first, &d))
          d = flow->last > flow->first ? G_MAXINT64 : G_MININT64;
        r = here && ((((guint64) d) ^ SIGN_BIT) - n->lo <= n->span);
        break;
      }
    case L_ADDR4:
      {
        const FlAddr *a = (const FlAddr *) ((const guint8 *) flow + n->offset);
        guint32 w;

        memcpy (&w, a->addr, 4);
        r = here & (a->family == 4) & ((w & (guint32) n->mask[0])
                                       == (guint32) n->net[0]);
        break;
      }
    case L_ADDR6:
      {
        const FlAddr *a = (const FlAddr *) ((const guint8 *) flow + n->offset);
        guint64 w[2];

        memcpy (w, a->addr, 16);
        r = here & (a->family == 6) & ((w[0] & n->mask[0]) == n->net[0])
            & ((w[1] & n->mask[1]) == n->net[1]);
        break;
      }
    case L_PORT_IN:
      r = here && port_in (f->ports + n->a, n->b,
                           (guint16) load (flow, n->offset, 2));
      break;
    case L_FLAGS:
      r = here & ((flow->tcp_flags & n->lo) == n->lo);
      break;
    default:
      r = 0; /* not a leaf: never stored as one */
      break;
    }
  return r ^ n->neg;
}

static gboolean
eval (const FlFilter *f, const Node *n, const FlFlow *flow)
{
  const guint32 *kids;
  guint r;

  if (IS_LEAF (n->kind))
    return leaf (f, n, flow);
  kids = f->kids + n->a; /* kids is NULL in a filter that is one leaf */
  if (n->kind == N_AND)
    {
      r = 1;
      for (guint32 i = 0; i < n->c; i++)
        r &= leaf (f, &f->nodes[kids[i]], flow);
      for (guint32 i = n->c; r && i < n->b; i++)
        r = eval (f, &f->nodes[kids[i]], flow);
      return r;
    }
  if (n->kind == N_OR)
    {
      r = 0;
      for (guint32 i = 0; i < n->c; i++)
        r |= leaf (f, &f->nodes[kids[i]], flow);
      for (guint32 i = n->c; !r && i < n->b; i++)
        r = eval (f, &f->nodes[kids[i]], flow);
      return r;
    }
  return FALSE;
}

gboolean
_fl_filter_match (const FlFilter *filter, const FlFlow *flow)
{
  return eval (filter, &filter->nodes[filter->root], flow);
}

gboolean
fl_filter_match (const FlFilter *filter, const FlFlow *flow)
{
  g_return_val_if_fail (filter != NULL, FALSE);
  g_return_val_if_fail (flow != NULL, FALSE);
  /* Every member the nodes read is in the ABI 1.0 prefix (up to
   * present_hi), so a 1.0 host's smaller FlFlow is fine. */
  g_return_val_if_fail (flow->struct_size >= offsetof (FlFlow, present_hi),
                        FALSE);

  return _fl_filter_match (filter, flow);
}

FlFilter *
fl_filter_ref (FlFilter *filter)
{
  g_return_val_if_fail (filter != NULL, NULL);
  g_atomic_ref_count_inc (&filter->ref);
  return filter;
}

void
fl_filter_unref (FlFilter *filter)
{
  if (filter == NULL || !g_atomic_ref_count_dec (&filter->ref))
    return;
  g_free (filter->nodes);
  g_free (filter->kids);
  g_free (filter->ports);
  g_free (filter);
}

/* ------------------------------------------------------------- lexer */

typedef enum {
  T_END,
  T_WORD,
  T_LPAREN,
  T_RPAREN,
  T_LBRACKET,
  T_RBRACKET,
  T_COMMA,
  T_NOT,   /* ! */
  T_AND,   /* && */
  T_OR,    /* || */
  T_CMP,   /* = == > < >= <= */
  T_BAD,   /* a lone & or | */
} TokKind;

typedef struct {
  TokKind kind;
  gsize   start, len;
  Cmp     cmp;
} Token;

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
         || c == '\v';
}

static gboolean
is_word_char (char c)
{
  return c != '\0' && !is_space (c) && strchr ("()[],!=<>&|", c) == NULL;
}

/* The token at text + pos (after blanks). */
static Token
lex (const char *text, gsize pos)
{
  Token t = { T_END, 0, 0, CMP_EQ };
  const char *p;

  while (is_space (text[pos]))
    pos++;
  p = text + pos;
  t.start = pos;
  t.len = 1;
  switch (*p)
    {
    case '\0': t.kind = T_END; t.len = 0; return t;
    case '(': t.kind = T_LPAREN; return t;
    case ')': t.kind = T_RPAREN; return t;
    case '[': t.kind = T_LBRACKET; return t;
    case ']': t.kind = T_RBRACKET; return t;
    case ',': t.kind = T_COMMA; return t;
    case '!': t.kind = T_NOT; return t;
    case '&':
    case '|':
      t.kind = p[1] == p[0] ? (*p == '&' ? T_AND : T_OR) : T_BAD;
      t.len = p[1] == p[0] ? 2 : 1;
      return t;
    case '=':
      t.kind = T_CMP;
      t.cmp = CMP_EQ;
      t.len = p[1] == '=' ? 2 : 1;
      return t;
    case '<':
    case '>':
      t.kind = T_CMP;
      if (p[1] == '=')
        {
          t.cmp = *p == '<' ? CMP_LE : CMP_GE;
          t.len = 2;
        }
      else
        t.cmp = *p == '<' ? CMP_LT : CMP_GT;
      return t;
    default:
      break;
    }
  t.kind = T_WORD;
  while (is_word_char (p[t.len]))
    t.len++;
  return t;
}

/* ------------------------------------------------------------- parser */

typedef struct {
  const char *text;
  Token       tok;        /* the current token */
  GArray     *nodes;      /* Node */
  GArray     *kids;       /* guint32 */
  GArray     *ports;      /* guint16 */
  guint       depth;
  GError     *error;      /* the first error; parsing stops there */
} Parser;

#define BAD G_MAXUINT32

static void
advance (Parser *p)
{
  p->tok = lex (p->text, p->tok.start + p->tok.len);
}

static guint32
fail_at (Parser *p, const Token *t, const char *expected)
{
  if (p->error != NULL)
    return BAD;
  if (t->kind == T_END)
    p->error = g_error_new (FL_ERROR, FL_ERROR_INVALID,
                            "filter: position %" G_GSIZE_FORMAT ": expected "
                            "%s, got the end of the expression",
                            t->start + 1, expected);
  else
    p->error = g_error_new (FL_ERROR, FL_ERROR_INVALID,
                            "filter: position %" G_GSIZE_FORMAT ": expected "
                            "%s, got '%.*s'", t->start + 1, expected,
                            (int) MIN (t->len, 64), p->text + t->start);
  return BAD;
}

static guint32
fail (Parser *p, const char *expected)
{
  return fail_at (p, &p->tok, expected);
}

static gboolean
tok_is (const Token *t, const char *text, const char *keyword)
{
  return t->kind == T_WORD && strlen (keyword) == t->len
         && g_ascii_strncasecmp (text + t->start, keyword, t->len) == 0;
}

static gboolean
is_kw (Parser *p, const char *keyword)
{
  return tok_is (&p->tok, p->text, keyword);
}

/* The current word as a string (g_free). */
static char *
tok_dup (Parser *p)
{
  return g_strndup (p->text + p->tok.start, p->tok.len);
}

static guint32
add_node (Parser *p, const Node *n)
{
  g_array_append_vals (p->nodes, n, 1);
  return p->nodes->len - 1;
}

/* Decimal digits of the current word, up to max; with_suffix allows one
 * k, m or g (x 1000^n). */
static gboolean
tok_number (Parser *p, guint64 max, gboolean with_suffix, guint64 *out)
{
  const char *s = p->text + p->tok.start;
  gsize len = p->tok.len, i;
  guint64 v = 0, mult = 1;

  if (p->tok.kind != T_WORD || len == 0)
    return FALSE;
  if (with_suffix && len > 1)
    {
      switch (g_ascii_tolower (s[len - 1]))
        {
        case 'k': mult = 1000; len--; break;
        case 'm': mult = 1000 * 1000; len--; break;
        case 'g': mult = 1000 * 1000 * 1000; len--; break;
        default: break;
        }
    }
  for (i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      if (v > (G_MAXUINT64 - (guint64) (s[i] - '0')) / 10)
        return FALSE;
      v = v * 10 + (guint64) (s[i] - '0');
    }
  if (v > G_MAXUINT64 / mult || v * mult > max)
    return FALSE;
  *out = v * mult;
  return TRUE;
}

/* An optional comparison operator; = when there is none. */
static Cmp
parse_cmp (Parser *p)
{
  static const struct { const char *word; Cmp cmp; } words[] = {
    { "eq", CMP_EQ }, { "gt", CMP_GT }, { "lt", CMP_LT },
    { "ge", CMP_GE }, { "le", CMP_LE },
  };

  if (p->tok.kind == T_CMP)
    {
      Cmp c = p->tok.cmp;
      advance (p);
      return c;
    }
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (is_kw (p, words[i].word))
      {
        advance (p);
        return words[i].cmp;
      }
  return CMP_EQ;
}

/* v cmp x as lo <= v <= lo + span (unsigned). FALSE when no v can match
 * ("< 0"). */
static gboolean
cmp_range (Cmp cmp, guint64 x, guint64 *lo, guint64 *span)
{
  switch (cmp)
    {
    case CMP_EQ: *lo = x; *span = 0; return TRUE;
    case CMP_GE: *lo = x; *span = G_MAXUINT64 - x; return TRUE;
    case CMP_LE: *lo = 0; *span = x; return TRUE;
    case CMP_GT:
      if (x == G_MAXUINT64)
        return FALSE;
      *lo = x + 1;
      *span = G_MAXUINT64 - *lo;
      return TRUE;
    case CMP_LT:
      if (x == 0)
        return FALSE;
      *lo = 0;
      *span = x - 1;
      return TRUE;
    }
  return FALSE;
}

/* A leaf that is never true. */
static guint32
false_node (Parser *p)
{
  Node n = { 0 };

  n.kind = L_TRUE;
  n.neg = 1;
  return add_node (p, &n);
}

/* The range leaf kind (L_U8 ...) or L_DURATION: value x (for L_DURATION,
 * a gint64 already mapped to unsigned order). */
static guint32
range_node (Parser *p, NodeKind kind, FlField field, gsize offset, Cmp cmp,
            guint64 x)
{
  Node n = { 0 };

  if (!cmp_range (cmp, x, &n.lo, &n.span))
    return false_node (p);
  n.kind = kind;
  n.bit = FL_FIELD_BIT (field);
  n.offset = (guint16) offset;
  return add_node (p, &n);
}

static guint32
uint_node (Parser *p, FlField field, gsize offset, gsize width, Cmp cmp,
           guint64 value)
{
  NodeKind kind = width == 1 ? L_U8 : width == 2 ? L_U16
                  : width == 4 ? L_U32 : L_U64;

  return range_node (p, kind, field, offset, cmp, value);
}

#define MEMBER(m) offsetof (FlFlow, m), sizeof (((FlFlow *) 0)->m)

/* [cmp] NUMBER for one field. */
static guint32
parse_uint_prim (Parser *p, FlField field, gsize offset, gsize width,
                 guint64 max, gboolean suffix, const char *expected)
{
  Cmp cmp = parse_cmp (p);
  guint64 v;

  if (!tok_number (p, max, suffix, &v))
    return fail (p, expected);
  advance (p);
  return uint_node (p, field, offset, width, cmp, v);
}

/* Which address or port a primitive tests. */
typedef enum {
  DIR_EITHER, /* no dir, or "src or dst" */
  DIR_SRC,
  DIR_DST,
  DIR_BOTH,   /* "src and dst" */
} Dir;

/* One primitive on srcaddr/srcport (is_dst FALSE) or dstaddr/dstport. */
typedef guint32 (*SideFunc) (Parser *p, gboolean is_dst, gconstpointer data);

/* An "and"/"or" node of kind over the nodes in kids: a kid of the same
 * kind is merged into it, and the leaves go first (their order does not
 * matter: leaves have no side effects). One kid is returned as it is. */
static guint32
inner_node (Parser *p, NodeKind kind, const guint32 *kids, guint n_kids)
{
  g_autoptr (GArray) leaves = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) inner = g_array_new (FALSE, FALSE, sizeof (guint32));
  Node n = { 0 };

  if (n_kids == 1)
    return kids[0];
  for (guint i = 0; i < n_kids; i++)
    {
      const Node *k = &g_array_index (p->nodes, Node, kids[i]);

      if (k->kind == kind)
        {
          /* its kids are already leaves first */
          const guint32 *kk = &g_array_index (p->kids, guint32, k->a);
          g_array_append_vals (leaves, kk, k->c);
          g_array_append_vals (inner, kk + k->c, k->b - k->c);
        }
      else
        g_array_append_val (IS_LEAF (k->kind) ? leaves : inner, kids[i]);
    }
  n.kind = kind;
  n.a = p->kids->len;
  n.b = leaves->len + inner->len;
  n.c = leaves->len;
  g_array_append_vals (p->kids, leaves->data, leaves->len);
  g_array_append_vals (p->kids, inner->data, inner->len);
  return add_node (p, &n);
}

static guint32
combine (Parser *p, NodeKind kind, guint32 a, guint32 b)
{
  guint32 kids[2] = { a, b };

  return inner_node (p, kind, kids, 2);
}

/* "not": a leaf's flag; "and"/"or" by De Morgan (not (a or b) = not a and
 * not b), so that no "not" node is left to evaluate. Bounded by the
 * nesting depth. */
static void
negate (Parser *p, guint32 i)
{
  Node *n = &g_array_index (p->nodes, Node, i);

  if (IS_LEAF (n->kind))
    {
      n->neg ^= 1;
      return;
    }
  n->kind = n->kind == N_AND ? N_OR : N_AND;
  for (guint32 k = 0; k < n->b; k++)
    negate (p, g_array_index (p->kids, guint32, n->a + k));
}

static guint32
with_dir (Parser *p, Dir dir, SideFunc side, gconstpointer data)
{
  switch (dir)
    {
    case DIR_SRC: return side (p, FALSE, data);
    case DIR_DST: return side (p, TRUE, data);
    case DIR_EITHER:
    case DIR_BOTH:
      {
        guint32 a = side (p, FALSE, data), b = side (p, TRUE, data);
        return combine (p, dir == DIR_BOTH ? N_AND : N_OR, a, b);
      }
    }
  return BAD;
}

/* ---- host / net */

typedef struct {
  guint8 family;
  guint8 net[16], mask[16];
} NetSpec;

static guint32
addr_side (Parser *p, gboolean is_dst, gconstpointer data)
{
  const NetSpec *spec = data;
  Node n = { 0 };

  n.kind = spec->family == 4 ? L_ADDR4 : L_ADDR6;
  n.bit = FL_FIELD_BIT (is_dst ? FL_FIELD_DSTADDR : FL_FIELD_SRCADDR);
  n.offset = is_dst ? offsetof (FlFlow, dstaddr) : offsetof (FlFlow, srcaddr);
  n.family = spec->family;
  memcpy (n.net, spec->net, 16);
  memcpy (n.mask, spec->mask, 16);
  return add_node (p, &n);
}

static void
mask_from_prefix (guint8 mask[16], guint prefix)
{
  memset (mask, 0, 16);
  for (guint i = 0; i < prefix / 8; i++)
    mask[i] = 0xff;
  if (prefix % 8 != 0)
    mask[prefix / 8] = (guint8) (0xff << (8 - prefix % 8));
}

/* "a.b.c.d", or fewer octets when abbreviated (nfdump's "172.16/12"):
 * the missing ones are 0. */
static gboolean
parse_ipv4 (const char *s, gboolean allow_short, guint8 out[4])
{
  guint n = 0;

  memset (out, 0, 4);
  while (n < 4)
    {
      guint v = 0, digits = 0;

      while (g_ascii_isdigit (*s) && digits < 4)
        {
          v = v * 10 + (guint) (*s++ - '0');
          digits++;
        }
      if (digits == 0 || digits > 3 || v > 255)
        return FALSE;
      out[n++] = (guint8) v;
      if (*s == '\0')
        break;
      if (*s++ != '.')
        return FALSE;
    }
  return *s == '\0' && (n == 4 || allow_short);
}

static gboolean
parse_prefix (const char *s, guint max, guint *out)
{
  guint v = 0;

  if (*s == '\0' || strlen (s) > 3)
    return FALSE;
  for (; *s != '\0'; s++)
    {
      if (!g_ascii_isdigit (*s))
        return FALSE;
      v = v * 10 + (guint) (*s - '0');
    }
  if (v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

/* CIDR: "192.0.2.0/24", "172.16/12", "2001:db8::/32". */
static gboolean
parse_cidr (const char *word, NetSpec *spec)
{
  g_autofree char *addr = g_strdup (word);
  char *slash = strchr (addr, '/');
  guint prefix;

  if (slash == NULL)
    return FALSE;
  *slash = '\0';
  memset (spec, 0, sizeof *spec);
  if (strchr (addr, ':') != NULL)
    {
      if (inet_pton (AF_INET6, addr, spec->net) != 1
          || !parse_prefix (slash + 1, 128, &prefix))
        return FALSE;
      spec->family = 6;
    }
  else
    {
      if (!parse_ipv4 (addr, TRUE, spec->net)
          || !parse_prefix (slash + 1, 32, &prefix))
        return FALSE;
      spec->family = 4;
    }
  mask_from_prefix (spec->mask, prefix);
  for (guint i = 0; i < 16; i++)
    spec->net[i] &= spec->mask[i];
  return TRUE;
}

static guint32
parse_host (Parser *p, Dir dir)
{
  g_autofree char *word = p->tok.kind == T_WORD ? tok_dup (p) : NULL;
  NetSpec spec;
  FlAddr a;

  if (word == NULL || !fl_addr_parse (&a, word))
    return fail (p, "an IPv4 or IPv6 address");
  advance (p);
  memset (&spec, 0, sizeof spec);
  spec.family = a.family;
  memcpy (spec.net, a.addr, 16);
  mask_from_prefix (spec.mask, a.family == 4 ? 32 : 128);
  return with_dir (p, dir, addr_side, &spec);
}

static guint32
parse_net (Parser *p, Dir dir)
{
  static const char expected[] =
    "a network (192.0.2.0/24, 2001:db8::/32 or an IPv4 address and mask)";
  g_autofree char *word = p->tok.kind == T_WORD ? tok_dup (p) : NULL;
  NetSpec spec;

  if (word == NULL)
    return fail (p, expected);
  if (strchr (word, '/') != NULL)
    {
      if (!parse_cidr (word, &spec))
        return fail (p, expected);
      advance (p);
    }
  else
    {
      g_autofree char *mask = NULL;

      memset (&spec, 0, sizeof spec);
      if (!parse_ipv4 (word, FALSE, spec.net))
        return fail (p, expected);
      advance (p);
      mask = p->tok.kind == T_WORD ? tok_dup (p) : NULL;
      if (mask == NULL || !parse_ipv4 (mask, FALSE, spec.mask))
        return fail (p, "an IPv4 netmask (255.255.255.0)");
      advance (p);
      spec.family = 4;
      for (guint i = 0; i < 4; i++)
        spec.net[i] &= spec.mask[i];
    }
  return with_dir (p, dir, addr_side, &spec);
}

/* ---- port */

typedef struct {
  gboolean list;
  Cmp      cmp;
  guint64  value;          /* cmp's operand */
  guint32  start, count;   /* list: in p->ports */
} PortSpec;

static guint32
port_side (Parser *p, gboolean is_dst, gconstpointer data)
{
  const PortSpec *spec = data;
  FlField field = is_dst ? FL_FIELD_DSTPORT : FL_FIELD_SRCPORT;
  gsize offset = is_dst ? offsetof (FlFlow, dstport)
                        : offsetof (FlFlow, srcport);
  Node n = { 0 };

  if (!spec->list)
    return uint_node (p, field, offset, 2, spec->cmp, spec->value);
  n.kind = L_PORT_IN;
  n.bit = FL_FIELD_BIT (field);
  n.offset = (guint16) offset;
  n.a = spec->start;
  n.b = spec->count;
  return add_node (p, &n);
}

static int
compare_u16 (gconstpointer a, gconstpointer b)
{
  return (int) *(const guint16 *) a - (int) *(const guint16 *) b;
}

static guint32
parse_port (Parser *p, Dir dir)
{
  PortSpec spec = { 0 };

  if (is_kw (p, "in"))
    {
      guint16 *list;
      guint32 n = 0;

      advance (p);
      if (p->tok.kind != T_LBRACKET)
        return fail (p, "'['");
      advance (p);
      spec.list = TRUE;
      spec.start = p->ports->len;
      while (p->tok.kind != T_RBRACKET)
        {
          guint64 v;

          if (p->tok.kind == T_COMMA && n > 0)
            {
              advance (p);
              continue;
            }
          if (!tok_number (p, 65535, FALSE, &v))
            return fail (p, n > 0 ? "a port number (0..65535) or ']'"
                                  : "a port number (0..65535)");
          g_array_append_vals (p->ports, &(guint16) { (guint16) v }, 1);
          n++;
          advance (p);
        }
      if (n == 0)
        return fail (p, "a port number (0..65535)");
      advance (p);
      /* sorted, without duplicates, for the binary search */
      list = &g_array_index (p->ports, guint16, spec.start);
      qsort (list, n, sizeof *list, compare_u16);
      spec.count = 0;
      for (guint32 i = 0; i < n; i++)
        if (spec.count == 0 || list[spec.count - 1] != list[i])
          list[spec.count++] = list[i];
      g_array_set_size (p->ports, spec.start + spec.count);
    }
  else
    {
      spec.cmp = parse_cmp (p);
      if (!tok_number (p, 65535, FALSE, &spec.value))
        return fail (p, "a port number (0..65535)");
      advance (p);
    }
  return with_dir (p, dir, port_side, &spec);
}

/* ---- the others */

static const struct { const char *name; guint8 number; } protocols[] = {
  { "hopopt", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "ggp", 3 },
  { "ipip", 4 }, { "ipencap", 4 }, { "st", 5 }, { "tcp", 6 }, { "egp", 8 },
  { "igp", 9 }, { "pup", 12 }, { "udp", 17 }, { "hmp", 20 },
  { "xns-idp", 22 }, { "rdp", 27 }, { "iso-tp4", 29 }, { "dccp", 33 },
  { "xtp", 36 }, { "ddp", 37 }, { "idpr-cmtp", 38 }, { "ipv6", 41 },
  { "ipv6-route", 43 }, { "ipv6-frag", 44 }, { "idrp", 45 }, { "rsvp", 46 },
  { "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "skip", 57 },
  { "icmp6", 58 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 },
  { "ipv6-nonxt", 59 }, { "ipv6-opts", 60 }, { "rspf", 73 }, { "vmtp", 81 },
  { "eigrp", 88 }, { "ospf", 89 }, { "ospfigp", 89 }, { "ax.25", 93 },
  { "ipip4", 94 }, { "etherip", 97 }, { "encap", 98 }, { "pim", 103 },
  { "ipcomp", 108 }, { "vrrp", 112 }, { "l2tp", 115 }, { "isis", 124 },
  { "sctp", 132 }, { "fc", 133 }, { "mobility-header", 135 },
  { "udplite", 136 }, { "mpls-in-ip", 137 }, { "manet", 138 }, { "hip", 139 },
  { "shim6", 140 }, { "wesp", 141 }, { "rohc", 142 },
};

static guint32
parse_proto (Parser *p)
{
  guint64 v;

  if (!tok_number (p, 255, FALSE, &v))
    {
      guint i;

      for (i = 0; i < G_N_ELEMENTS (protocols); i++)
        if (is_kw (p, protocols[i].name))
          break;
      if (i == G_N_ELEMENTS (protocols))
        return fail (p, "a protocol name (tcp, udp, icmp, icmp6, gre, esp, "
                        "ah, sctp ...) or number (0..255)");
      v = protocols[i].number;
    }
  advance (p);
  return uint_node (p, FL_FIELD_PROT, MEMBER (prot), CMP_EQ, v);
}

static guint32
parse_flags (Parser *p)
{
  static const char letters[] = "FSRPAUEC"; /* bit 0 .. bit 7 */
  guint64 mask = 0;
  Node n = { 0 };

  if (p->tok.kind != T_WORD)
    return fail (p, "TCP flag letters (FSRPAUEC)");
  for (gsize i = 0; i < p->tok.len; i++)
    {
      const char *l = strchr (letters,
                              g_ascii_toupper (p->text[p->tok.start + i]));
      if (l == NULL || *l == '\0')
        return fail (p, "TCP flag letters (FSRPAUEC)");
      mask |= 1u << (l - letters);
    }
  advance (p);
  n.kind = L_FLAGS;
  n.bit = FL_FIELD_BIT (FL_FIELD_TCP_FLAGS);
  n.lo = mask;
  return add_node (p, &n);
}

static guint32
parse_duration (Parser *p)
{
  Cmp cmp = parse_cmp (p);
  guint64 ms;
  guint32 r;
  Node *d;

  if (!tok_number (p, G_MAXINT64 / 1000000, FALSE, &ms))
    return fail (p, "a duration in milliseconds");
  advance (p);
  /* ns, in the order-preserving unsigned image of gint64 */
  r = range_node (p, L_DURATION, FL_FIELD_FIRST, 0, cmp,
                  ((guint64) ((gint64) ms * 1000000)) ^ SIGN_BIT);
  d = &g_array_index (p->nodes, Node, r);
  if (d->kind == L_DURATION) /* both times must be present */
    d->bit = FL_FIELD_BIT (FL_FIELD_FIRST) | FL_FIELD_BIT (FL_FIELD_LAST);
  return r;
}

static guint32
parse_interface (Parser *p, gboolean out)
{
  guint64 v;

  if (!is_kw (p, "if"))
    return fail (p, "'if'");
  advance (p);
  if (!tok_number (p, G_MAXUINT32, FALSE, &v))
    return fail (p, "an interface number");
  advance (p);
  if (out)
    return uint_node (p, FL_FIELD_OUTPUT, MEMBER (output), CMP_EQ, v);
  return uint_node (p, FL_FIELD_INPUT, MEMBER (input), CMP_EQ, v);
}

static const char prim_expected[] =
  "a primitive (any, ipv4, ipv6, proto, host, net, port, packets, bytes, "
  "duration, tos, flags, in if, out if, src, dst), 'not' or '('";

static guint32
parse_prim (Parser *p)
{
  Dir dir = DIR_EITHER;
  gboolean had_dir = FALSE;
  Node n = { 0 };

  if (is_kw (p, "any"))
    {
      advance (p);
      n.kind = L_TRUE;
      return add_node (p, &n);
    }
  if (is_kw (p, "ipv4") || is_kw (p, "inet") || is_kw (p, "ipv6")
      || is_kw (p, "inet6"))
    {
      n.kind = L_FAMILY;
      n.family = is_kw (p, "ipv4") || is_kw (p, "inet") ? 4 : 6;
      advance (p);
      return add_node (p, &n);
    }
  if (is_kw (p, "proto"))
    {
      advance (p);
      return parse_proto (p);
    }
  if (is_kw (p, "packets"))
    {
      advance (p);
      return parse_uint_prim (p, FL_FIELD_DPKTS, MEMBER (dPkts), G_MAXUINT64,
                              TRUE, "a packet count (NUMBER[k|m|g])");
    }
  if (is_kw (p, "bytes"))
    {
      advance (p);
      return parse_uint_prim (p, FL_FIELD_DOCTETS, MEMBER (dOctets),
                              G_MAXUINT64, TRUE,
                              "a byte count (NUMBER[k|m|g])");
    }
  if (is_kw (p, "duration"))
    {
      advance (p);
      return parse_duration (p);
    }
  if (is_kw (p, "tos"))
    {
      advance (p);
      return parse_uint_prim (p, FL_FIELD_TOS, MEMBER (tos), 255, FALSE,
                              "a type of service (0..255)");
    }
  if (is_kw (p, "flags"))
    {
      advance (p);
      return parse_flags (p);
    }
  if (is_kw (p, "in") || is_kw (p, "out"))
    {
      gboolean out = is_kw (p, "out");
      advance (p);
      return parse_interface (p, out);
    }

  /* [dir] host | ip | net | port */
  if (is_kw (p, "src") || is_kw (p, "dst"))
    {
      Token next = lex (p->text, p->tok.start + p->tok.len);
      Token third = lex (p->text, next.start + next.len);

      had_dir = TRUE;
      dir = is_kw (p, "src") ? DIR_SRC : DIR_DST;
      advance (p);
      /* "src or dst" / "src and dst": only when "dst" follows, so that
       * "src or ..." never swallows the next term's "or" */
      if (dir == DIR_SRC
          && (tok_is (&next, p->text, "or") || tok_is (&next, p->text, "and")
              || next.kind == T_OR || next.kind == T_AND)
          && tok_is (&third, p->text, "dst"))
        {
          dir = tok_is (&next, p->text, "or") || next.kind == T_OR
                ? DIR_EITHER : DIR_BOTH;
          advance (p);
          advance (p);
        }
    }
  if (is_kw (p, "host") || is_kw (p, "ip"))
    {
      advance (p);
      return parse_host (p, dir);
    }
  if (is_kw (p, "net"))
    {
      advance (p);
      return parse_net (p, dir);
    }
  if (is_kw (p, "port"))
    {
      advance (p);
      return parse_port (p, dir);
    }
  return fail (p, had_dir ? "'host', 'ip', 'net' or 'port'" : prim_expected);
}

static guint32 parse_expr (Parser *p);

static guint32
parse_factor (Parser *p)
{
  guint32 r;

  if (++p->depth > FILTER_MAX_DEPTH)
    return fail (p, "at most 128 levels of '(' and 'not'");
  if (p->tok.kind == T_NOT || is_kw (p, "not"))
    {
      advance (p);
      r = parse_factor (p);
      if (r != BAD)
        negate (p, r);
    }
  else if (p->tok.kind == T_LPAREN)
    {
      advance (p);
      r = parse_expr (p);
      if (r != BAD && p->tok.kind != T_RPAREN)
        r = fail (p, "'and', 'or' or ')'");
      if (r != BAD)
        advance (p);
    }
  else
    r = parse_prim (p);
  p->depth--;
  return r;
}

/* A chain of sub (term or factor) joined by one operator: one n-ary node,
 * or the single child. */
static guint32
parse_chain (Parser *p, NodeKind kind, guint32 (*sub) (Parser *p))
{
  const char *word = kind == N_OR ? "or" : "and";
  TokKind op = kind == N_OR ? T_OR : T_AND;
  g_autoptr (GArray) kids = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint32 r = sub (p);

  if (r == BAD)
    return BAD;
  g_array_append_val (kids, r);
  while (p->tok.kind == op || is_kw (p, word))
    {
      advance (p);
      r = sub (p);
      if (r == BAD)
        return BAD;
      g_array_append_val (kids, r);
    }
  return inner_node (p, kind, (const guint32 *) kids->data, kids->len);
}

static guint32
parse_term (Parser *p)
{
  return parse_chain (p, N_AND, parse_factor);
}

static guint32
parse_expr (Parser *p)
{
  return parse_chain (p, N_OR, parse_term);
}

FlFilter *
fl_filter_new (const char *expression, GError **error)
{
  Parser p = { 0 };
  FlFilter *f;
  guint32 root;

  g_return_val_if_fail (expression != NULL, NULL);

  p.text = expression;
  p.nodes = g_array_new (FALSE, TRUE, sizeof (Node));
  p.kids = g_array_new (FALSE, FALSE, sizeof (guint32));
  p.ports = g_array_new (FALSE, FALSE, sizeof (guint16));
  p.tok = lex (expression, 0);

  root = parse_expr (&p);
  if (root != BAD && p.tok.kind != T_END)
    fail (&p, "'and', 'or' or the end of the expression");
  if (p.error != NULL)
    {
      g_propagate_error (error, p.error);
      g_array_free (p.nodes, TRUE);
      g_array_free (p.kids, TRUE);
      g_array_free (p.ports, TRUE);
      return NULL;
    }

  f = g_new0 (FlFilter, 1);
  g_atomic_ref_count_init (&f->ref);
  f->root = root;
  f->nodes = (Node *) g_array_free (p.nodes, FALSE);
  f->kids = (guint32 *) g_array_free (p.kids, FALSE);
  f->ports = (guint16 *) g_array_free (p.ports, FALSE);
  return f;
}

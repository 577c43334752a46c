/* SPDX-License-Identifier: MIT */
/*
 * flowread-filter.h: filter expressions (design.md section 10).
 *
 * The language is a subset of nfdump's filter syntax with nfdump's meaning
 * (`flowread --filter F FILE` and `nfdump -r FILE F` select the same flows),
 * except where nfdump 1.7 is wrong: `duration` is last - first taken as a
 * signed number, and `net` matches only addresses of its own family.
 *
 *   expr   := term { ("or" | "||") term }
 *   term   := factor { ("and" | "&&") factor }
 *   factor := ("not" | "!") factor | "(" expr ")" | prim
 *   prim   := "any" | "ipv4" | "inet" | "ipv6" | "inet6"
 *           | "proto" (NAME | NUMBER)
 *           | [dir] ("host" | "ip") ADDR
 *           | [dir] "net" (CIDR | IPV4 IPV4MASK)
 *           | [dir] "port" [cmp] NUMBER | [dir] "port" "in" "[" NUMBER... "]"
 *           | ("packets" | "bytes") [cmp] NUMBER[k|m|g]      (k = 1000)
 *           | "duration" [cmp] MILLISECONDS
 *           | "tos" [cmp] NUMBER
 *           | "flags" LETTERS              (every listed one of FSRPAUEC set)
 *           | ("in" | "out") "if" NUMBER
 *   dir    := "src" | "dst" | "src" "or" "dst" | "src" "and" "dst"
 *   cmp    := "=" | "==" | "eq" | ">" | "gt" | "<" | "lt" | ">=" | "ge"
 *           | "<=" | "le"
 *
 * Keywords are case-insensitive. No dir means either address or port. A
 * primitive on a field the flow does not carry is false, so `not port 80`
 * is true for a flow without ports (and `duration` needs both `first` and
 * `last`). `ipv4`/`ipv6` look at srcaddr (dstaddr when srcaddr is absent).
 * An IPv4 CIDR may be abbreviated as nfdump allows ("172.16/12"); the
 * address is masked, so "192.0.2.1/24" is 192.0.2.0/24. The port list of
 * `port in [...]` may be separated by blanks or commas. An empty
 * expression is an error: say "any".
 *
 * A filter is compiled once and is immutable: any number of readers and
 * threads may share it (the reference count is atomic). Matching allocates
 * nothing.
 */
#pragma once

#include <flowread/flowread.h>

G_BEGIN_DECLS

/* Compiles expression. On a syntax error returns NULL and sets
 * FL_ERROR_INVALID with a one-line message "filter: position N: expected
 * WHAT, got 'TOKEN'" (N counts bytes of expression from 1; at the end:
 * "got the end of the expression"). */
FlFilter *fl_filter_new (const char *expression, GError **error);

FlFilter *fl_filter_ref (FlFilter *filter);
/* NULL is allowed. */
void      fl_filter_unref (FlFilter *filter);

/* TRUE when flow matches. flow may be a 1.0 (smaller) FlFlow: every field
 * the language uses is in its prefix. */
gboolean  fl_filter_match (const FlFilter *filter, const FlFlow *flow);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlFilter, fl_filter_unref)

G_END_DECLS

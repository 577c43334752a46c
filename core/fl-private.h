/* SPDX-License-Identifier: MIT */
/* fl-private.h: shared by the core's own files only. */
#pragma once

#include <flowread/flowread-plugin.h>

G_BEGIN_DECLS

void          _fl_stream_set_depth (FlStream *stream, guint depth);
const guint8 *_fl_stream_peek_quiet (FlStream *stream, gsize count,
                                     gsize *avail);

/* A loaded reader in the registry. */
typedef struct {
  FlReaderClass klass;   /* copy, zero-extended to the core's size */
  FlPluginInfo  info;
} FlRegReader;

/* What open() and wrap() get as their FlOptions. */
struct _FlOptions {
  guint flags; /* FlOpenFlags */
};

guint              _fl_registry_get_n_readers (FlRegistry *registry);
const FlRegReader *_fl_registry_get_reader (FlRegistry *registry, guint i);

/* TRUE when the process runs set-uid or set-gid: environment overrides are
 * then ignored. */
gboolean _fl_is_privileged (void);

/* fl_filter_match() without the argument checks, for the reader's loop
 * (its flow is always a full-size one). */
gboolean _fl_filter_match (const FlFilter *filter, const FlFlow *flow);

G_END_DECLS

/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test programs. */
#pragma once

#include <glib.h>
#include <flowread/flowread.h>

G_BEGIN_DECLS

/* $FLOWREAD_CORPUS / rel (g_free). Aborts the test if FLOWREAD_CORPUS is
 * unset: the corpus is required, never silently skipped. */
char *fl_test_corpus_path (const char *rel);
/* Path of the built CLI ($FLOWREAD_BIN). */
const char *fl_test_flowread_bin (void);

typedef struct {
  char  *out;     /* stdout */
  gsize  out_len;
  char  *err;     /* stderr */
  int    status;  /* exit status, or 128+signal */
} FlTestRun;

/* Runs the CLI with argv (argv[0] is added), stdin from stdin_path (or
 * /dev/null when NULL), in the test environment. */
void fl_test_run_cli (FlTestRun *run, const char *stdin_path,
                      const char *const *args);
void fl_test_run_clear (FlTestRun *run);

/* One row of MANIFEST.tsv. */
typedef struct {
  char *file, *format, *outcome, *expected, *golden, *note;
  guint flows;
} FlTestManifestRow;

/* Every row of $FLOWREAD_CORPUS/MANIFEST.tsv (GPtrArray of rows, owned). */
GPtrArray *fl_test_manifest_load (void);
/* The rows of another manifest of the same columns ($FLOWREAD_CORPUS/rel,
 * e.g. "nfcapd/MANIFEST.tsv"; its paths are relative to the corpus too). */
GPtrArray *fl_test_manifest_load_file (const char *rel);

/* The contents of $FLOWREAD_CORPUS/rel (g_free; NUL-terminated, *len
 * without the NUL). Asserts that the file exists. */
char *fl_test_corpus_read (const char *rel, gsize *len);
/* The same as GBytes. */
GBytes *fl_test_corpus_bytes (const char *rel);
/* The contents of any file (g_free; NUL-terminated, *len without the NUL,
 * len may be NULL). Asserts that it can be read. */
char *fl_test_read_file (const char *path, gsize *len);

/* Asserts that got equals want byte for byte; on a difference the
 * assertion shows the first differing line of both (what names it). */
void fl_test_assert_same_bytes (const char *what,
                                const char *got, gsize got_len,
                                const char *want, gsize want_len);

/* Number of lines ("\n"-terminated, plus an unterminated last one). */
guint fl_test_count_lines (const char *text, gsize len);

/* A registry loaded from FLOWREAD_PLUGIN_PATH, shared by a test program
 * (not unref'd: lives until exit). */
FlRegistry *fl_test_registry (void);
/* Asserts that a reader of this name is loaded: a corpus row whose plugin
 * is not built fails instead of passing by accident. */
void fl_test_assert_plugin_loaded (const char *name);

/* Everything one reader delivered, formatted by the CLI's json writer. */
typedef struct {
  char    *json;      /* every flow as `-o json` prints it */
  gsize    json_len;
  guint    flows;
  FlStatus status;    /* how the read ended: END or ERROR */
  GError  *error;     /* the open or read error */
  char    *format;    /* the format reader that was chosen */
} FlTestRead;

/* Reads every flow of reader into res and closes reader. reader may be
 * NULL (a failed open): then res is an ERROR with no flows. Asserts that
 * END and ERROR stick. */
void fl_test_read_drain (FlReader *reader, FlTestRead *res);
void fl_test_read_clear (FlTestRead *res);

G_END_DECLS

/* SPDX-License-Identifier: MIT */
/*
 * A threaded host (issue 18 item 8): 8 threads share one registry and each
 * reads different corpus files to the end, at the same time, comparing the
 * flows and the outcome with MANIFEST.tsv. Run in every build, and under
 * -fsanitize=thread by .ci/run (a build-tsan folder), where a data race in
 * the core, the plugins or the first use of FL_ERROR (raised by several
 * threads at once here: truncated and corrupt rows, and in a fresh
 * process by 8 threads released together) is a failure.
 */
#include <pthread.h>
#include <string.h>

#include "fl-test-util.h"

#define N_THREADS 8

typedef struct {
  FlRegistry *registry;
  GPtrArray  *rows;      /* this thread's rows (not owned) */
  GString    *failures;  /* one line per mismatch */
  guint       n_read;
} Work;

/* Every row's file read to the end: its flow count and outcome. */
static gpointer
read_rows (gpointer data)
{
  Work *w = data;

  for (guint i = 0; i < w->rows->len; i++)
    {
      const FlTestManifestRow *r = w->rows->pdata[i];
      g_autofree char *path = fl_test_corpus_path (r->file);
      GError *error = NULL;
      FlReader *reader = fl_reader_open_path (w->registry, path, NULL, &error);
      FlTestRead res;
      gboolean ok;

      /* A failed open's error is the read's error (as in the corpus
       * tests: res->error is only set by fl_reader_next()). */
      memset (&res, 0, sizeof res);
      res.error = reader == NULL ? g_steal_pointer (&error) : NULL;
      fl_test_read_drain (reader, &res);
      if (g_str_equal (r->outcome, "ok"))
        ok = res.error == NULL && res.status == FL_STATUS_END;
      else if (g_str_equal (r->outcome, "truncated"))
        ok = g_error_matches (res.error, FL_ERROR, FL_ERROR_TRUNCATED);
      else if (g_str_equal (r->outcome, "corrupt"))
        ok = g_error_matches (res.error, FL_ERROR, FL_ERROR_CORRUPT);
      else
        ok = res.error != NULL && res.error->domain == FL_ERROR;
      if (!ok || res.flows != r->flows)
        g_string_append_printf (w->failures, "%s: %u flows (want %u, %s): %s\n",
                                r->file, res.flows, r->flows, r->outcome,
                                res.error != NULL ? res.error->message : "no error");
      w->n_read++;
      fl_test_read_clear (&res);
    }
  return NULL;
}

static void
test_threads (void)
{
  g_autoptr (GPtrArray) manifest = fl_test_manifest_load ();
  FlRegistry *registry = fl_test_registry ();
  Work work[N_THREADS];
  GThread *threads[N_THREADS];
  guint total = 0, assigned = 0;

  /* Every row, round robin: neighbours in the manifest (the same format)
   * land in different threads, so that one plugin runs in several at once. */
  for (guint t = 0; t < N_THREADS; t++)
    {
      work[t].registry = registry;
      work[t].rows = g_ptr_array_new ();
      work[t].failures = g_string_new (NULL);
      work[t].n_read = 0;
    }
  for (guint i = 0; i < manifest->len; i++)
    {
      FlTestManifestRow *r = manifest->pdata[i];

      g_ptr_array_add (work[assigned++ % N_THREADS].rows, r);
    }
  g_assert_cmpuint (assigned, >=, N_THREADS * 4);

  for (guint t = 0; t < N_THREADS; t++)
    threads[t] = g_thread_new ("reader", read_rows, &work[t]);
  for (guint t = 0; t < N_THREADS; t++)
    {
      g_thread_join (threads[t]);
      if (work[t].failures->len > 0)
        {
          g_test_message ("thread %u:\n%s", t, work[t].failures->str);
          g_test_fail ();
        }
      total += work[t].n_read;
      g_ptr_array_unref (work[t].rows);
      g_string_free (work[t].failures, TRUE);
    }
  g_test_message ("%u corpus files read by %d threads", total, N_THREADS);
  g_assert_cmpuint (total, ==, assigned);
}

static pthread_barrier_t quark_barrier;

static gpointer
first_error (gpointer data)
{
  GError *error = NULL;

  pthread_barrier_wait (&quark_barrier);
  g_set_error_literal (&error, FL_ERROR, FL_ERROR_CORRUPT, "first");
  g_assert_true (g_error_matches (error, FL_ERROR, FL_ERROR_CORRUPT));
  g_error_free (error);
  return NULL;
}

/* The first use of FL_ERROR, by 8 threads released at once, in a fresh
 * process (in the test above the main thread may raise an error first).
 * Under ThreadSanitizer G_DEFINE_QUARK's lazy static was reported here
 * (the subprocess then exits non-zero); elsewhere the quarks must agree. */
static void
test_first_error (void)
{
  if (g_test_subprocess ())
    {
      GThread *threads[N_THREADS];

      pthread_barrier_init (&quark_barrier, NULL, N_THREADS);
      for (guint t = 0; t < N_THREADS; t++)
        threads[t] = g_thread_new ("first-error", first_error, NULL);
      for (guint t = 0; t < N_THREADS; t++)
        g_thread_join (threads[t]);
      pthread_barrier_destroy (&quark_barrier);
      g_assert_cmpstr (g_quark_to_string (FL_ERROR), ==, "fl-error-quark");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/threads/first-error", test_first_error);
  g_test_add_func ("/core/threads/shared-registry", test_threads);
  return g_test_run ();
}

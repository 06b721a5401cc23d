/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Proves that the race lane can see races: built twice under TSan, with the
 * GLib pthread shim (test-tsan-shim) and without it (test-tsan-noshim).
 *
 *  - with the shim, a workload whose shared counters are guarded by GMutex
 *    (a static one as well), GRecMutex, GRWLock and GCond is quiet, and the
 *    lock calls of libhiod code (HiodContext's kernel mutex) go through it;
 *  - with the shim, the same counter bumped without a lock is reported (TSan
 *    is on, and a report fails the run: exit code 66);
 *  - without the shim, the correctly locked workload is reported: GLib's
 *    futex locks are invisible to TSan, which is why the shim exists, and
 *    why a quiet run without it would prove nothing.
 *
 * Each workload runs in a child (this program with --workload NAME) under
 * TSAN_OPTIONS halt_on_error=1:exitcode=66.
 */
#include "config.h"

#include <string.h>

#include "hiod-test-common.h"

/* defined by glib-pthread-shim.c; absent (NULL) in test-tsan-noshim */
extern unsigned long hiod_tsan_shim_calls(void) __attribute__((weak));

#define N_THREADS 4
#define N_ROUNDS 20000
#define TSAN_EXIT 66

static GMutex static_mutex; /* statically initialised: zero, never g_mutex_init()ed */
static GRecMutex rec_mutex;
static GRWLock rw_lock;
static GMutex cond_mutex;
static GCond cond;
static guint64 counter, rec_counter, rw_counter, cond_counter;
static gint turn;

static gpointer
locked_worker(gpointer data)
{
	gint me = GPOINTER_TO_INT(data);
	for (guint i = 0; i < N_ROUNDS; i++) {
		g_mutex_lock(&static_mutex);
		counter++;
		g_mutex_unlock(&static_mutex);

		g_rec_mutex_lock(&rec_mutex);
		g_rec_mutex_lock(&rec_mutex);
		rec_counter++;
		g_rec_mutex_unlock(&rec_mutex);
		g_rec_mutex_unlock(&rec_mutex);

		if (i % 8 == 0) {
			g_rw_lock_writer_lock(&rw_lock);
			rw_counter++;
			g_rw_lock_writer_unlock(&rw_lock);
		} else {
			guint64 v;
			g_rw_lock_reader_lock(&rw_lock);
			v = rw_counter;
			g_rw_lock_reader_unlock(&rw_lock);
			(void)v;
		}
	}
	/* a hand-off through a condition variable: threads take turns */
	for (guint i = 0; i < 200; i++) {
		g_mutex_lock(&cond_mutex);
		while (turn % N_THREADS != me)
			g_cond_wait(&cond, &cond_mutex);
		cond_counter++; /* under cond_mutex, in turn */
		turn++;
		g_cond_broadcast(&cond);
		g_mutex_unlock(&cond_mutex);
	}
	return NULL;
}

static gpointer
racy_worker(gpointer data)
{
	for (guint i = 0; i < N_ROUNDS; i++) {
		guint64 v = counter; /* no lock: a data race */
		counter = v + 1;
	}
	return NULL;
}

static int
run_workload(const gchar *name)
{
	GThreadFunc func = g_str_equal(name, "racy") ? racy_worker : locked_worker;
	GThread *t[N_THREADS];
	for (gint i = 0; i < N_THREADS; i++)
		t[i] = g_thread_new("worker", func, GINT_TO_POINTER(i));
	for (gint i = 0; i < N_THREADS; i++)
		g_thread_join(t[i]);
	if (func == locked_worker) {
		g_assert_cmpuint(counter, ==, (guint64)N_THREADS * N_ROUNDS);
		g_assert_cmpuint(cond_counter, ==, (guint64)N_THREADS * 200);
		g_assert_cmpuint(rec_counter, ==, (guint64)N_THREADS * N_ROUNDS);
	}
	g_printerr("workload %s done: counter %" G_GUINT64_FORMAT "\n", name, counter);
	return 0;
}

/* Runs @exe --workload @name under TSan with halt_on_error; returns its exit status. */
static gint
spawn_workload(const gchar *exe, const gchar *name, gchar **err)
{
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {exe, "--workload", name, NULL};
	g_auto(GStrv) env = g_get_environ();
	gint status = 0;
	env = g_environ_setenv(env, "TSAN_OPTIONS", "halt_on_error=1:exitcode=66", TRUE);
	g_assert_true(g_spawn_sync(NULL, (gchar **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, err,
				   &status, &error));
	g_assert_no_error(error);
	g_test_message("%s --workload %s: wait status %d\n%s", exe, name, status, *err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_shim_in_use(void)
{
	g_autoptr(HiodContext) ctx = NULL;
	unsigned long before;
	if (hiod_tsan_shim_calls == NULL) {
		g_test_fail_printf("this program was built without the shim");
		return;
	}
	before = hiod_tsan_shim_calls();
	/* libhiod's own locks: the context's kernel chokepoint counts fds under its mutex */
	ctx = hiod_context_new();
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	g_assert_cmpuint(hiod_tsan_shim_calls(), >, before);
}

static void
test_locked_quiet(void)
{
	g_autofree gchar *err = NULL;
	g_autofree gchar *self = g_file_read_link("/proc/self/exe", NULL);
	g_assert_cmpint(spawn_workload(self, "locked", &err), ==, 0);
	g_assert_null(strstr(err, "ThreadSanitizer"));
}

static void
test_racy_reported(void)
{
	g_autofree gchar *err = NULL;
	g_autofree gchar *self = g_file_read_link("/proc/self/exe", NULL);
	g_assert_cmpint(spawn_workload(self, "racy", &err), ==, TSAN_EXIT);
	g_assert_nonnull(strstr(err, "WARNING: ThreadSanitizer: data race"));
}

static void
test_invisible_without_shim(void)
{
	g_autofree gchar *err = NULL;
	const gchar *noshim = g_getenv("HIOD_TSAN_NOSHIM");
	g_assert_nonnull(noshim);
	g_assert_cmpint(spawn_workload(noshim, "locked", &err), ==, TSAN_EXIT);
	g_assert_nonnull(strstr(err, "WARNING: ThreadSanitizer: data race"));
}

int
main(int argc, char **argv)
{
	if (argc == 3 && g_str_equal(argv[1], "--workload"))
		return run_workload(argv[2]);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tsan/shim/in-use", test_shim_in_use);
	g_test_add_func("/tsan/shim/locked-quiet", test_locked_quiet);
	g_test_add_func("/tsan/shim/racy-reported", test_racy_reported);
	g_test_add_func("/tsan/shim/invisible-without-shim", test_invisible_without_shim);
	return g_test_run();
}

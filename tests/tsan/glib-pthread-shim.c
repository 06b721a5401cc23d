/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test-only: GLib's locks on top of pthread, so that ThreadSanitizer sees them.
 *
 * GLib 2.74 implements GMutex, GRecMutex, GRWLock and GCond with futexes (or
 * with pthread objects inside libglib, which is not instrumented): TSan sees
 * no acquire or release and reports every access a GMutex protects as a
 * race, or, once those are suppressed, sees nothing at all. Linked into a
 * test program, these definitions take the place of GLib's for every call
 * made through the PLT: the program itself, the libhiod code linked into it,
 * and libgobject (its type system locks). libglib's calls to its own locks
 * bind inside libglib (-Bsymbolic-functions) and keep GLib's implementation;
 * no lock object is shared between the two worlds (a GMutex is initialised,
 * locked and cleared by the same side), so both stay consistent.
 *
 * The GLib lock types are 8 (GMutex, GCond: a pointer and two ints in a
 * union) or 16 bytes: too small for a pthread object. The pthread object is
 * allocated on first use and its pointer stored in the GLib object with a
 * compare-and-swap, so a statically initialised (zeroed) lock works too.
 *
 * hiod_tsan_shim_calls() tells how many lock operations went through here:
 * the self test uses it to prove that libhiod's locks are the shim's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <glib.h>

/* not in any header: the self test declares it */
unsigned long hiod_tsan_shim_calls(void);

static unsigned long shim_calls;

unsigned long
hiod_tsan_shim_calls(void)
{
	return __atomic_load_n(&shim_calls, __ATOMIC_RELAXED);
}

static void
shim_count(void)
{
	__atomic_fetch_add(&shim_calls, 1, __ATOMIC_RELAXED);
}

static void
shim_check(int rc, const char *what)
{
	if (rc != 0) {
		g_printerr("glib-pthread-shim: %s failed: %s\n", what, g_strerror(rc));
		abort();
	}
}

/* the pthread object behind a GLib lock ------------------------------------------- */

typedef enum { KIND_MUTEX, KIND_REC_MUTEX, KIND_RW_LOCK, KIND_COND } ShimKind;

static void *
shim_new(ShimKind kind)
{
	switch (kind) {
	case KIND_MUTEX:
	case KIND_REC_MUTEX: {
		pthread_mutex_t *m = malloc(sizeof(*m));
		pthread_mutexattr_t attr;
		shim_check(pthread_mutexattr_init(&attr), "pthread_mutexattr_init");
		shim_check(pthread_mutexattr_settype(&attr, kind == KIND_REC_MUTEX ? PTHREAD_MUTEX_RECURSIVE
										 : PTHREAD_MUTEX_NORMAL),
			   "pthread_mutexattr_settype");
		shim_check(pthread_mutex_init(m, &attr), "pthread_mutex_init");
		pthread_mutexattr_destroy(&attr);
		return m;
	}
	case KIND_RW_LOCK: {
		pthread_rwlock_t *l = malloc(sizeof(*l));
		shim_check(pthread_rwlock_init(l, NULL), "pthread_rwlock_init");
		return l;
	}
	case KIND_COND: {
		pthread_cond_t *c = malloc(sizeof(*c));
		pthread_condattr_t attr;
		shim_check(pthread_condattr_init(&attr), "pthread_condattr_init");
		/* g_cond_wait_until() takes g_get_monotonic_time() */
		shim_check(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC), "pthread_condattr_setclock");
		shim_check(pthread_cond_init(c, &attr), "pthread_cond_init");
		pthread_condattr_destroy(&attr);
		return c;
	}
	}
	abort();
}

static void
shim_free(ShimKind kind, void *p)
{
	if (p == NULL)
		return;
	switch (kind) {
	case KIND_MUTEX:
	case KIND_REC_MUTEX:
		shim_check(pthread_mutex_destroy(p), "pthread_mutex_destroy");
		break;
	case KIND_RW_LOCK:
		shim_check(pthread_rwlock_destroy(p), "pthread_rwlock_destroy");
		break;
	case KIND_COND:
		shim_check(pthread_cond_destroy(p), "pthread_cond_destroy");
		break;
	}
	free(p);
}

/* The pthread object stored in *@slot, made on first use. */
static void *
shim_get(void **slot, ShimKind kind)
{
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	void *expected = NULL;
	if (p != NULL)
		return p;
	p = shim_new(kind);
	if (__atomic_compare_exchange_n(slot, &expected, p, FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return p;
	shim_free(kind, p); /* another thread made it first */
	return expected;
}

static void
shim_clear(void **slot, ShimKind kind)
{
	shim_free(kind, __atomic_exchange_n(slot, NULL, __ATOMIC_ACQ_REL));
}

#define MUTEX(m) ((pthread_mutex_t *)shim_get(&(m)->p, KIND_MUTEX))
#define REC_MUTEX(m) ((pthread_mutex_t *)shim_get(&(m)->p, KIND_REC_MUTEX))
#define RW_LOCK(l) ((pthread_rwlock_t *)shim_get(&(l)->p, KIND_RW_LOCK))
#define COND(c) ((pthread_cond_t *)shim_get(&(c)->p, KIND_COND))

/* GMutex ---------------------------------------------------------------------------- */

void
g_mutex_init(GMutex *mutex)
{
	mutex->p = NULL;
	(void)MUTEX(mutex);
}

void
g_mutex_clear(GMutex *mutex)
{
	shim_clear(&mutex->p, KIND_MUTEX);
}

void
g_mutex_lock(GMutex *mutex)
{
	shim_count();
	shim_check(pthread_mutex_lock(MUTEX(mutex)), "pthread_mutex_lock");
}

void
g_mutex_unlock(GMutex *mutex)
{
	shim_count();
	shim_check(pthread_mutex_unlock(MUTEX(mutex)), "pthread_mutex_unlock");
}

gboolean
g_mutex_trylock(GMutex *mutex)
{
	int rc = pthread_mutex_trylock(MUTEX(mutex));
	shim_count();
	if (rc == EBUSY)
		return FALSE;
	shim_check(rc, "pthread_mutex_trylock");
	return TRUE;
}

/* GRecMutex ------------------------------------------------------------------------- */

void
g_rec_mutex_init(GRecMutex *rec_mutex)
{
	rec_mutex->p = NULL;
	(void)REC_MUTEX(rec_mutex);
}

void
g_rec_mutex_clear(GRecMutex *rec_mutex)
{
	shim_clear(&rec_mutex->p, KIND_REC_MUTEX);
}

void
g_rec_mutex_lock(GRecMutex *rec_mutex)
{
	shim_count();
	shim_check(pthread_mutex_lock(REC_MUTEX(rec_mutex)), "pthread_mutex_lock (recursive)");
}

void
g_rec_mutex_unlock(GRecMutex *rec_mutex)
{
	shim_count();
	shim_check(pthread_mutex_unlock(REC_MUTEX(rec_mutex)), "pthread_mutex_unlock (recursive)");
}

gboolean
g_rec_mutex_trylock(GRecMutex *rec_mutex)
{
	int rc = pthread_mutex_trylock(REC_MUTEX(rec_mutex));
	shim_count();
	if (rc == EBUSY)
		return FALSE;
	shim_check(rc, "pthread_mutex_trylock (recursive)");
	return TRUE;
}

/* GRWLock --------------------------------------------------------------------------- */

void
g_rw_lock_init(GRWLock *rw_lock)
{
	rw_lock->p = NULL;
	(void)RW_LOCK(rw_lock);
}

void
g_rw_lock_clear(GRWLock *rw_lock)
{
	shim_clear(&rw_lock->p, KIND_RW_LOCK);
}

void
g_rw_lock_writer_lock(GRWLock *rw_lock)
{
	shim_count();
	shim_check(pthread_rwlock_wrlock(RW_LOCK(rw_lock)), "pthread_rwlock_wrlock");
}

gboolean
g_rw_lock_writer_trylock(GRWLock *rw_lock)
{
	int rc = pthread_rwlock_trywrlock(RW_LOCK(rw_lock));
	shim_count();
	if (rc == EBUSY)
		return FALSE;
	shim_check(rc, "pthread_rwlock_trywrlock");
	return TRUE;
}

void
g_rw_lock_writer_unlock(GRWLock *rw_lock)
{
	shim_count();
	shim_check(pthread_rwlock_unlock(RW_LOCK(rw_lock)), "pthread_rwlock_unlock");
}

void
g_rw_lock_reader_lock(GRWLock *rw_lock)
{
	shim_count();
	shim_check(pthread_rwlock_rdlock(RW_LOCK(rw_lock)), "pthread_rwlock_rdlock");
}

gboolean
g_rw_lock_reader_trylock(GRWLock *rw_lock)
{
	int rc = pthread_rwlock_tryrdlock(RW_LOCK(rw_lock));
	shim_count();
	if (rc == EBUSY)
		return FALSE;
	shim_check(rc, "pthread_rwlock_tryrdlock");
	return TRUE;
}

void
g_rw_lock_reader_unlock(GRWLock *rw_lock)
{
	shim_count();
	shim_check(pthread_rwlock_unlock(RW_LOCK(rw_lock)), "pthread_rwlock_unlock");
}

/* GCond ----------------------------------------------------------------------------- */

void
g_cond_init(GCond *cond)
{
	cond->p = NULL;
	(void)COND(cond);
}

void
g_cond_clear(GCond *cond)
{
	shim_clear(&cond->p, KIND_COND);
}

void
g_cond_wait(GCond *cond, GMutex *mutex)
{
	shim_count();
	shim_check(pthread_cond_wait(COND(cond), MUTEX(mutex)), "pthread_cond_wait");
}

gboolean
g_cond_wait_until(GCond *cond, GMutex *mutex, gint64 end_time)
{
	struct timespec ts = {
	    .tv_sec = end_time / G_USEC_PER_SEC,
	    .tv_nsec = (end_time % G_USEC_PER_SEC) * 1000,
	};
	int rc;
	shim_count();
	rc = pthread_cond_timedwait(COND(cond), MUTEX(mutex), &ts);
	if (rc == ETIMEDOUT)
		return FALSE;
	shim_check(rc, "pthread_cond_timedwait");
	return TRUE;
}

void
g_cond_signal(GCond *cond)
{
	shim_count();
	shim_check(pthread_cond_signal(COND(cond)), "pthread_cond_signal");
}

void
g_cond_broadcast(GCond *cond)
{
	shim_count();
	shim_check(pthread_cond_broadcast(COND(cond)), "pthread_cond_broadcast");
}

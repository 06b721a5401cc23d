/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the map and unmap paths are built from.
 *
 * HIOD_HOT marks their functions. GCC puts them in .text.hot, which the
 * linker lays out side by side: a map touches a few code pages instead of
 * one per source file.
 *
 * The rest keeps calls off those paths. Measured in the test VM
 * (bench/bench-dma.c, the chokepoint's timestamps), a call, a return or an
 * indirect jump right after a kernel map costs as much as tens of plain
 * instructions under TCG (the emulator looks each target up again once the
 * kernel's code has gone through), and it is where hiod's time went: a
 * GLib mutex is three of them to lock and three to unlock, a GObject type
 * check of a subclass five. So:
 *
 * - HiodMutex: a mutex whose uncontended lock and unlock are one atomic
 *   each, inline (a futex when contended, as GMutex does on Linux). No
 *   GCond waits on it.
 * - hiod_instance_is_a_fast(): an instance check that compares the
 *   instance's class with the classes it already checked (no call), and
 *   asks GObject the first time for each class.
 */
#pragma once

#include <glib-object.h>

#if defined(__GNUC__)
#define HIOD_HOT __attribute__((hot))
/* the refusals of a hot function: out of line, in .text.unlikely, so that
 * the hot function stays small (few pages, few jumps between them) */
#define HIOD_COLD __attribute__((cold, noinline))
#else
#define HIOD_HOT
#define HIOD_COLD
#endif

G_BEGIN_DECLS

/* HiodMutex ----------------------------------------------------------------- */

typedef struct {
	gint state; /* 0: free, 1: held, 2: held and maybe waited for */
} HiodMutex;

void hiod_mutex_lock_contended(HiodMutex *m);
void hiod_mutex_wake(HiodMutex *m);

static inline void
hiod_mutex_init(HiodMutex *m)
{
	__atomic_store_n(&m->state, 0, __ATOMIC_RELAXED);
}

static inline void
hiod_mutex_clear(HiodMutex *m)
{
	g_warn_if_fail(__atomic_load_n(&m->state, __ATOMIC_RELAXED) == 0);
}

static inline void
hiod_mutex_lock(HiodMutex *m)
{
	gint free_state = 0;
	if (G_UNLIKELY(!__atomic_compare_exchange_n(&m->state, &free_state, 1, FALSE,
						    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
		hiod_mutex_lock_contended(m);
}

static inline void
hiod_mutex_unlock(HiodMutex *m)
{
	if (G_UNLIKELY(__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2))
		hiod_mutex_wake(m);
}

/* g_autoptr(HiodMutexLocker) locker = hiod_mutex_locker_new(&m): unlocked
 * when it goes out of scope, as GMutexLocker */
typedef HiodMutex HiodMutexLocker;

static inline HiodMutexLocker *
hiod_mutex_locker_new(HiodMutex *m)
{
	hiod_mutex_lock(m);
	return m;
}

static inline void
hiod_mutex_locker_free(HiodMutexLocker *locker)
{
	hiod_mutex_unlock(locker);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodMutexLocker, hiod_mutex_locker_free)

/* Instance checks -------------------------------------------------------------- */

#define HIOD_CLASS_CACHE_SLOTS 4

/* the classes of @type (or of its subtypes) that passed a check */
typedef struct {
	gpointer klass[HIOD_CLASS_CACHE_SLOTS];
} HiodClassCache;

gboolean hiod_instance_is_a_slow(gconstpointer instance, GType type, HiodClassCache *cache);

/* G_TYPE_CHECK_INSTANCE_TYPE(@instance, @type()), without a call once the
 * instance's class has passed: for the g_return_if_fail() of hot paths */
static inline gboolean
hiod_instance_is_a_fast(gconstpointer instance, GType (*type)(void), HiodClassCache *cache)
{
	if (G_LIKELY(instance != NULL)) {
		gpointer klass = ((const GTypeInstance *)instance)->g_class;
		for (guint i = 0; i < HIOD_CLASS_CACHE_SLOTS; i++) {
			gpointer known = __atomic_load_n(&cache->klass[i], __ATOMIC_ACQUIRE);
			if (known == NULL)
				break;
			if (G_LIKELY(known == klass))
				return TRUE;
		}
	}
	return hiod_instance_is_a_slow(instance, type(), cache);
}

G_END_DECLS

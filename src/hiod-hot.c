/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The slow paths of hiod-hot-private.h. */
#include "config.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hiod-hot-private.h"

void
hiod_mutex_lock_contended(HiodMutex *m)
{
	/* 2: whoever unlocks wakes a waiter */
	while (__atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE) != 0)
		syscall(SYS_futex, &m->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

void
hiod_mutex_wake(HiodMutex *m)
{
	syscall(SYS_futex, &m->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

gboolean
hiod_instance_is_a_slow(gconstpointer instance, GType type, HiodClassCache *cache)
{
	gpointer klass;
	GType itype;

	if (!G_TYPE_CHECK_INSTANCE_TYPE(instance, type))
		return FALSE;
	klass = ((const GTypeInstance *)instance)->g_class;
	itype = G_TYPE_FROM_CLASS(klass);
	/* only static types: their classes live as long as the process, so a
	 * remembered pointer never comes to mean another class */
	if (g_type_get_plugin(itype) != NULL)
		return TRUE;
	for (guint i = 0; i < HIOD_CLASS_CACHE_SLOTS; i++) {
		gpointer expected = NULL;
		if (__atomic_compare_exchange_n(&cache->klass[i], &expected, klass, FALSE,
						__ATOMIC_RELEASE, __ATOMIC_ACQUIRE) ||
		    expected == klass)
			break;
	}
	return TRUE;
}

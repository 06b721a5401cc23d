/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A map of non-overlapping [start, last] intervals (inclusive ends), each with
 * a value and small flags kept inline (no allocation per interval for a
 * caller whose value is an address). A B+tree underneath (sorted arrays in
 * nodes): lookup, insert, remove and overlap detection are O(log n) with few
 * cache misses; walking the k intervals that meet a span is O(log n + k).
 * A returned HiodInterval pointer is valid until the map next changes.
 * Not thread-safe: the owner locks.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HiodIntervalMap HiodIntervalMap;

typedef struct {
	guint64 start;
	guint64 last;
	gpointer value;
	guint flags;
} HiodInterval;

/* The first member of every HiodIntervalMap: what the inline calls read. */
typedef struct {
	guint size;
} HiodIntervalMapHead;

/* @value_free: called on a value when its interval leaves the map (nullable) */
HiodIntervalMap *hiod_interval_map_new(GDestroyNotify value_free);
void hiod_interval_map_free(HiodIntervalMap *map);

/* the number of intervals (inline: the map path checks the limit with it) */
static inline guint
hiod_interval_map_size(HiodIntervalMap *map)
{
	return ((const HiodIntervalMapHead *)map)->size;
}
/* FALSE (and nothing inserted) when [start, last] meets an existing interval */
gboolean hiod_interval_map_insert(HiodIntervalMap *map, guint64 start, guint64 last, gpointer value);
/* insert with @flags kept beside the value */
gboolean hiod_interval_map_insert_full(HiodIntervalMap *map, guint64 start, guint64 last, gpointer value,
				       guint flags);
/* The interval holding @addr, or NULL */
const HiodInterval *hiod_interval_map_lookup(HiodIntervalMap *map, guint64 addr);
/* The first interval (lowest start) that meets [start, last], or NULL */
const HiodInterval *hiod_interval_map_first_overlap(HiodIntervalMap *map, guint64 start, guint64 last);
/* Every interval that meets [start, last], in order (a new array of HiodInterval copies) */
GArray *hiod_interval_map_overlaps(HiodIntervalMap *map, guint64 start, guint64 last);
/* Removes the interval that starts at @start; its value is freed. FALSE if none. */
gboolean hiod_interval_map_remove(HiodIntervalMap *map, guint64 start);
/* Takes the interval out only when it is exactly [start, last]: a copy in
 * *@out (its value is not freed). FALSE, and nothing changed, otherwise. */
gboolean hiod_interval_map_take_exact(HiodIntervalMap *map, guint64 start, guint64 last, HiodInterval *out);
/* Like remove, but hands the value back instead of freeing it. */
gpointer hiod_interval_map_steal(HiodIntervalMap *map, guint64 start);
/* Calls @func on every interval in order; stops when it returns FALSE. */
void hiod_interval_map_foreach(HiodIntervalMap *map, gboolean (*func)(const HiodInterval *i, gpointer data),
			       gpointer data);
void hiod_interval_map_remove_all(HiodIntervalMap *map);
/* Tests: whether the leaves' chain, its ends, the windows and the size agree. */
gboolean hiod_interval_map_check(HiodIntervalMap *map);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodIntervalMap, hiod_interval_map_free)

G_END_DECLS

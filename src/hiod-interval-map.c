/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-interval-map-private.h"

struct _HiodIntervalMap {
	GTree *tree; /* start (guint64*) -> HiodInterval* */
	GDestroyNotify value_free;
};

static gint
hiod_interval_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
	guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
	return x < y ? -1 : x > y ? 1 : 0;
}

/* the tree's value: the interval and how to free its value */
typedef struct {
	HiodInterval i;
	GDestroyNotify value_free;
} HiodIntervalNode;

static void
hiod_interval_node_free(gpointer data)
{
	HiodIntervalNode *n = data;
	if (n->value_free != NULL && n->i.value != NULL)
		n->value_free(n->i.value);
	g_free(n);
}

HiodIntervalMap *
hiod_interval_map_new(GDestroyNotify value_free)
{
	HiodIntervalMap *map = g_new0(HiodIntervalMap, 1);
	/* the key lives inside the value (HiodInterval.start), so no key destroy */
	map->tree = g_tree_new_full(hiod_interval_cmp, NULL, NULL, hiod_interval_node_free);
	map->value_free = value_free;
	return map;
}

void
hiod_interval_map_free(HiodIntervalMap *map)
{
	if (map == NULL)
		return;
	g_tree_destroy(map->tree);
	g_free(map);
}

guint
hiod_interval_map_size(HiodIntervalMap *map)
{
	return (guint)g_tree_nnodes(map->tree);
}

/* The node with the greatest start <= addr, or NULL. */
static GTreeNode *
hiod_interval_floor(HiodIntervalMap *map, guint64 addr)
{
	GTreeNode *node = g_tree_upper_bound(map->tree, &addr); /* first start > addr */
	if (node == NULL)
		return g_tree_node_last(map->tree);
	return g_tree_node_previous(node);
}

const HiodInterval *
hiod_interval_map_first_overlap(HiodIntervalMap *map, guint64 start, guint64 last)
{
	GTreeNode *node = hiod_interval_floor(map, start);
	HiodInterval *i;

	if (node != NULL) {
		i = g_tree_node_value(node);
		if (i->last >= start)
			return i;
	}
	/* the first interval starting after @start */
	node = g_tree_upper_bound(map->tree, &start);
	if (node == NULL)
		return NULL;
	i = g_tree_node_value(node);
	return i->start <= last ? i : NULL;
}

const HiodInterval *
hiod_interval_map_lookup(HiodIntervalMap *map, guint64 addr)
{
	GTreeNode *node = hiod_interval_floor(map, addr);
	HiodInterval *i;
	if (node == NULL)
		return NULL;
	i = g_tree_node_value(node);
	return i->last >= addr ? i : NULL;
}

gboolean
hiod_interval_map_insert(HiodIntervalMap *map, guint64 start, guint64 last, gpointer value)
{
	HiodIntervalNode *n;
	g_return_val_if_fail(start <= last, FALSE);
	if (hiod_interval_map_first_overlap(map, start, last) != NULL)
		return FALSE;
	n = g_new0(HiodIntervalNode, 1);
	n->i.start = start;
	n->i.last = last;
	n->i.value = value;
	n->value_free = map->value_free;
	g_tree_insert(map->tree, &n->i.start, n);
	return TRUE;
}

GArray *
hiod_interval_map_overlaps(HiodIntervalMap *map, guint64 start, guint64 last)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(HiodInterval));
	const HiodInterval *first = hiod_interval_map_first_overlap(map, start, last);
	GTreeNode *node;

	if (first == NULL)
		return out;
	node = g_tree_lookup_node(map->tree, &first->start);
	for (; node != NULL; node = g_tree_node_next(node)) {
		HiodInterval *i = g_tree_node_value(node);
		if (i->start > last)
			break;
		g_array_append_val(out, *i);
	}
	return out;
}

gboolean
hiod_interval_map_remove(HiodIntervalMap *map, guint64 start)
{
	return g_tree_remove(map->tree, &start);
}

gpointer
hiod_interval_map_steal(HiodIntervalMap *map, guint64 start)
{
	HiodInterval *i = g_tree_lookup(map->tree, &start);
	gpointer value;
	if (i == NULL)
		return NULL;
	value = i->value;
	i->value = NULL;
	hiod_interval_map_remove(map, start);
	return value;
}

void
hiod_interval_map_foreach(HiodIntervalMap *map, gboolean (*func)(const HiodInterval *i, gpointer data),
			  gpointer data)
{
	for (GTreeNode *node = g_tree_node_first(map->tree); node != NULL; node = g_tree_node_next(node)) {
		if (!func(g_tree_node_value(node), data))
			break;
	}
}

void
hiod_interval_map_remove_all(HiodIntervalMap *map)
{
	g_tree_remove_all(map->tree);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-hot-private.h"

#include <string.h>
#include <sys/mman.h>

#include "hiod-interval-map-private.h"

/*
 * A B+tree keyed by start. Leaves hold the intervals themselves in sorted
 * arrays, linked both ways so that walks and neighbours need no climb;
 * inner nodes hold the children and separators in arrays: child i holds the
 * starts in [key[i], key[i + 1]) (key[0] is not used: minus infinity). A
 * lookup at a million intervals reads four or five small arrays by binary
 * search, where a binary tree of nodes chases about twenty pointers across
 * the heap.
 *
 * Removal frees a node when it empties and collapses a root with one child,
 * but does not merge half-empty neighbours: the tree is never deeper than the
 * most intervals it held ever made it, and every operation stays O(log n).
 */

#define LEAF_MAX 64
#define INNER_MAX 64
#define MAX_DEPTH 12 /* a split leaves nodes half full: depth d took 32^(d-1) inserts at least */

typedef struct _HiodNode HiodNode;

typedef struct {
	guint n;
	guint8 leaf;
	guint8 in_arena; /* a leaf carved from the map's arena, not g_new()'d */
} HiodNodeHeader;

/* A leaf's entries are key[0..n) and e[0..n), a window into its storage
 * that can start past the storage's beginning: taking or putting an entry in
 * the front half moves the front (the window's start moves), in the back
 * half the back. Ascending inserts and removals from either end then move
 * nothing, where one array would move the whole leaf each time. */
typedef struct _HiodLeaf {
	HiodNodeHeader h;
	struct _HiodLeaf *prev, *next;
	guint64 hi; /* the separator after this leaf: its keys are < hi (the rightmost: any) */
	guint64 *key;	 /* e[i].start: the binary search reads 512 bytes, not the entries */
	HiodInterval *e; /* key and e: the same offset into ks and es */
	guint64 ks[LEAF_MAX];
	HiodInterval es[LEAF_MAX];
} HiodLeaf;

/* the offset of the window in the storage */
#define LEAF_BASE(l) ((guint)((l)->key - (l)->ks))

typedef struct {
	HiodNodeHeader h;
	guint64 key[INNER_MAX];
	HiodNodeHeader *child[INNER_MAX];
} HiodInner;

/*
 * Leaves past the first HIOD_ARENA_AFTER come from 2 MiB chunks the map maps
 * itself and asks the kernel to back with a transparent huge page
 * (MADV_HUGEPAGE): at a million intervals the leaves are 60 MiB, 15000 CPU
 * pages that no TLB holds, so a random lookup would walk the page tables for
 * its leaf; in huge pages it is 30 of them. A small map (every container
 * has one) never reserves a chunk. A freed arena leaf goes on the map's free
 * list; the chunks go with the map. Under AddressSanitizer every leaf is
 * g_new()'d, so that its checks see them.
 */
#define HIOD_ARENA_CHUNK (2u << 20)
#define HIOD_ARENA_AFTER 256
#if defined(__SANITIZE_ADDRESS__)
#define HIOD_ARENA_ON 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HIOD_ARENA_ON 0
#endif
#endif
#ifndef HIOD_ARENA_ON
#define HIOD_ARENA_ON 1
#endif

struct _HiodIntervalMap {
	HiodIntervalMapHead head; /* first: hiod_interval_map_size() */
	HiodNodeHeader *root;
	HiodLeaf *first; /* the leftmost leaf */
	HiodLeaf *last;	  /* the rightmost leaf: where an interval after all others goes */
	HiodLeaf *finger; /* where the last insert that descended went: the next one there too */
	HiodLeaf *taken;  /* where the last take that descended took from: the next one there too */
	GDestroyNotify value_free;
	guint heap_leaves;	/* leaves g_new()'d */
	GPtrArray *chunks;	/* the arena's chunks (HIOD_ARENA_CHUNK each), or NULL */
	guint8 *bump, *bump_end; /* the unused rest of the newest chunk */
	HiodLeaf *free_leaves;	/* arena leaves to use again, linked by next */
};

/* A new chunk for the arena; FALSE (the leaf is g_new()'d) when the kernel gives none. */
static gboolean
hiod_arena_grow(HiodIntervalMap *map)
{
	/* twice the size, so that a 2 MiB-aligned chunk fits; the rest is given back */
	gsize len = 2 * (gsize)HIOD_ARENA_CHUNK;
	guint8 *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guint8 *chunk;
	if (p == MAP_FAILED)
		return FALSE;
	chunk = (guint8 *)(((guintptr)p + HIOD_ARENA_CHUNK - 1) & ~((guintptr)HIOD_ARENA_CHUNK - 1));
	if (chunk > p)
		munmap(p, chunk - p);
	if (chunk + HIOD_ARENA_CHUNK < p + len)
		munmap(chunk + HIOD_ARENA_CHUNK, p + len - (chunk + HIOD_ARENA_CHUNK));
#ifdef MADV_HUGEPAGE
	(void)madvise(chunk, HIOD_ARENA_CHUNK, MADV_HUGEPAGE); /* a hint: without THP, CPU pages */
#endif
	if (map->chunks == NULL)
		map->chunks = g_ptr_array_new();
	g_ptr_array_add(map->chunks, chunk);
	map->bump = chunk;
	map->bump_end = chunk + HIOD_ARENA_CHUNK;
	return TRUE;
}

static HiodLeaf *
hiod_leaf_new(HiodIntervalMap *map)
{
	HiodLeaf *l = NULL;
	gboolean in_arena = FALSE;
	if (map->free_leaves != NULL) {
		l = map->free_leaves;
		map->free_leaves = l->next;
		in_arena = TRUE;
	} else if (HIOD_ARENA_ON && map->heap_leaves >= HIOD_ARENA_AFTER &&
		   ((gsize)(map->bump_end - map->bump) >= sizeof(HiodLeaf) || hiod_arena_grow(map))) {
		l = (HiodLeaf *)map->bump;
		map->bump += (sizeof(HiodLeaf) + 63) & ~(gsize)63; /* leaves start on a cache line */
		in_arena = TRUE;
	} else {
		l = g_new(HiodLeaf, 1);
		map->heap_leaves++;
	}
	l->h.n = 0;
	l->h.leaf = TRUE;
	l->h.in_arena = in_arena;
	l->prev = l->next = NULL;
	l->hi = 0;
	l->key = l->ks;
	l->e = l->es;
	return l;
}

/* Gives back a node the map no longer links to. */
static void
hiod_node_release(HiodIntervalMap *map, HiodNodeHeader *h)
{
	if (h->leaf && h->in_arena) {
		HiodLeaf *l = (HiodLeaf *)h;
		l->next = map->free_leaves;
		map->free_leaves = l;
		return;
	}
	if (h->leaf)
		map->heap_leaves--;
	g_free(h);
}

/* Lets go of the arena's chunks (every arena leaf is unlinked or freed). */
static void
hiod_arena_clear(HiodIntervalMap *map)
{
	if (map->chunks != NULL) {
		for (guint i = 0; i < map->chunks->len; i++)
			munmap(g_ptr_array_index(map->chunks, i), HIOD_ARENA_CHUNK);
		g_ptr_array_unref(map->chunks);
	}
	map->chunks = NULL;
	map->bump = map->bump_end = NULL;
	map->free_leaves = NULL;
}

static HiodInner *
hiod_inner_new(void)
{
	HiodInner *in = g_new(HiodInner, 1);
	in->h.n = 0;
	in->h.leaf = FALSE;
	in->h.in_arena = FALSE;
	return in;
}

static void
hiod_node_free(HiodIntervalMap *map, HiodNodeHeader *h)
{
	if (h->leaf) {
		HiodLeaf *l = (HiodLeaf *)h;
		if (map->value_free != NULL)
			for (guint i = 0; i < l->h.n; i++)
				if (l->e[i].value != NULL)
					map->value_free(l->e[i].value);
	} else {
		HiodInner *in = (HiodInner *)h;
		for (guint i = 0; i < in->h.n; i++)
			hiod_node_free(map, in->child[i]);
	}
	hiod_node_release(map, h);
}

/* The number of @key[0..@n) (sorted) that are <= @addr, by a bisection
 * without branches on the keys (a conditional move each step): a random
 * lookup's branches are a coin toss, and each wrong guess costs more than
 * the comparison it skipped. */
HIOD_HOT static inline guint
hiod_count_le(const guint64 *key, guint n, guint64 addr)
{
	const guint64 *base = key;
	if (n == 0)
		return 0;
	while (n > 1) {
		guint half = n / 2;
		base = base[half] <= addr ? base + half : base;
		n -= half;
	}
	return (guint)(base - key) + (*base <= addr);
}

/* Starts reading a node's header and keys together: its search then waits
 * for one memory access, not one per key line it bisects. A million
 * intervals are 60 MiB of leaves, so a random lookup's last levels come
 * from memory. (A leaf's keys and an inner node's are at the same place;
 * ten lines cover them wherever the allocator put the node.) Lookups only:
 * the map paths go in order, where the next entry is in the cache already
 * and the prefetches would be instructions for nothing. */
#define HIOD_NODE_HEAD_BYTES (G_STRUCT_OFFSET(HiodLeaf, ks) + sizeof(((HiodLeaf *)0)->ks))
G_STATIC_ASSERT(G_STRUCT_OFFSET(HiodInner, key) + sizeof(((HiodInner *)0)->key) <=
		HIOD_NODE_HEAD_BYTES);
G_STATIC_ASSERT(HIOD_NODE_HEAD_BYTES + 63 <= 10 * 64);

static inline void
hiod_node_prefetch(const HiodNodeHeader *h)
{
	const gchar *p = (const gchar *)h;
	__builtin_prefetch(p);
	__builtin_prefetch(p + 64);
	__builtin_prefetch(p + 128);
	__builtin_prefetch(p + 192);
	__builtin_prefetch(p + 256);
	__builtin_prefetch(p + 320);
	__builtin_prefetch(p + 384);
	__builtin_prefetch(p + 448);
	__builtin_prefetch(p + 512);
	__builtin_prefetch(p + 576);
}

/* the child of @in whose span holds @addr */
HIOD_HOT static inline guint
hiod_inner_slot(const HiodInner *in, guint64 addr)
{
	guint n = in->h.n;
	if (in->key[n - 1] <= addr) /* the last child: where ascending keys go */
		return n - 1;
	if (n == 1 || addr < in->key[1]) /* the first: where the lowest keys leave */
		return 0;
	/* key[0] is minus infinity: the slot is how many of key[1..n) are <= addr */
	return hiod_count_le(&in->key[1], n - 1, addr);
}

/* the number of entries of @l with start <= @addr */
HIOD_HOT static inline guint
hiod_leaf_upper(const HiodLeaf *l, guint64 addr)
{
	guint n = l->h.n;
	if (n == 0 || l->key[n - 1] <= addr) /* after the last: ascending keys */
		return n;
	if (addr < l->key[0])
		return 0;
	if (n == 1 || addr < l->key[1]) /* after the first: the lowest key leaving */
		return 1;
	return hiod_count_le(l->key, n, addr);
}

static HiodLeaf *
hiod_descend(const HiodIntervalMap *map, guint64 addr)
{
	const HiodNodeHeader *h = map->root;
	while (!h->leaf) {
		const HiodInner *in = (const HiodInner *)h;
		h = in->child[hiod_inner_slot(in, addr)];
		hiod_node_prefetch(h);
	}
	return (HiodLeaf *)h;
}

/* The inner nodes a descent passed and the slot it took in each, for the
 * updates that go back up (a split, an emptied leaf). */
typedef struct {
	HiodInner *in[MAX_DEPTH];
	guint slot[MAX_DEPTH];
	guint depth;
} HiodPath;

HIOD_HOT static inline HiodLeaf *
hiod_descend_path(const HiodIntervalMap *map, guint64 addr, HiodPath *p)
{
	HiodNodeHeader *h = map->root;
	p->depth = 0;
	while (!h->leaf) {
		HiodInner *in = (HiodInner *)h;
		g_assert(p->depth < MAX_DEPTH);
		p->in[p->depth] = in;
		p->slot[p->depth] = hiod_inner_slot(in, addr);
		h = in->child[p->slot[p->depth]];
		p->depth++;
	}
	return (HiodLeaf *)h;
}

/* A position: the entry @i of @leaf (NULL leaf: none). */
typedef struct {
	HiodLeaf *leaf;
	guint i;
} HiodPos;

/* the entry with the greatest start <= addr */
static HiodPos
hiod_floor(const HiodIntervalMap *map, guint64 addr)
{
	HiodLeaf *l = hiod_descend(map, addr);
	guint k = hiod_leaf_upper(l, addr);
	if (k > 0)
		return (HiodPos){l, k - 1};
	/* every entry here starts after @addr: the floor is the end of the previous leaf */
	if (l->prev != NULL)
		return (HiodPos){l->prev, l->prev->h.n - 1};
	return (HiodPos){NULL, 0};
}

HIOD_HOT static inline void
hiod_pos_next(HiodPos *p)
{
	if (++p->i < p->leaf->h.n)
		return;
	p->leaf = p->leaf->next;
	p->i = 0;
}

HiodIntervalMap *
hiod_interval_map_new(GDestroyNotify value_free)
{
	HiodIntervalMap *map = g_new0(HiodIntervalMap, 1);
	map->first = map->last = map->finger = map->taken = hiod_leaf_new(map);
	map->root = &map->first->h;
	map->value_free = value_free;
	return map;
}

void
hiod_interval_map_free(HiodIntervalMap *map)
{
	if (map == NULL)
		return;
	hiod_node_free(map, map->root);
	hiod_arena_clear(map);
	g_free(map);
}

const HiodInterval *
hiod_interval_map_first_overlap(HiodIntervalMap *map, guint64 start, guint64 last)
{
	HiodPos p = hiod_floor(map, start);
	if (p.leaf != NULL) {
		const HiodInterval *i = &p.leaf->e[p.i];
		if (i->last >= start)
			return i;
		hiod_pos_next(&p);
	} else {
		p = (HiodPos){map->first->h.n > 0 ? map->first : NULL, 0};
	}
	if (p.leaf == NULL)
		return NULL;
	return p.leaf->e[p.i].start <= last ? &p.leaf->e[p.i] : NULL;
}

const HiodInterval *
hiod_interval_map_lookup(HiodIntervalMap *map, guint64 addr)
{
	HiodPos p = hiod_floor(map, addr);
	if (p.leaf == NULL)
		return NULL;
	return p.leaf->e[p.i].last >= addr ? &p.leaf->e[p.i] : NULL;
}

/* Puts (@key, @child) at slot @at of @in, which has room. */
static void
hiod_inner_put(HiodInner *in, guint at, guint64 key, HiodNodeHeader *child)
{
	memmove(&in->key[at + 1], &in->key[at], (in->h.n - at) * sizeof(in->key[0]));
	memmove(&in->child[at + 1], &in->child[at], (in->h.n - at) * sizeof(in->child[0]));
	in->key[at] = key;
	in->child[at] = child;
	in->h.n++;
}

/* Splits the full leaf *@lp for an insert at *@kp: the upper half moves to
 * a new leaf on the right (all of it but the new entry when appending at the
 * end: ascending inserts fill leaves instead of leaving them half empty).
 * *@lp and *@kp become where the entry goes; returns the new leaf, its
 * separator in *@right_key. Out of line: one insert in 32 or more. */
static G_GNUC_NO_INLINE HiodLeaf *
hiod_leaf_split(HiodIntervalMap *map, HiodLeaf **lp, guint *kp, guint64 start, guint64 *right_key)
{
	HiodLeaf *l = *lp, *r = hiod_leaf_new(map);
	guint k = *kp;
	guint keep = k == LEAF_MAX && l->next == NULL ? LEAF_MAX : LEAF_MAX / 2;
	g_assert(LEAF_BASE(l) == 0);
	r->h.n = LEAF_MAX - keep;
	memcpy(r->e, &l->e[keep], r->h.n * sizeof(HiodInterval));
	memcpy(r->key, &l->key[keep], r->h.n * sizeof(l->key[0]));
	l->h.n = keep;
	r->next = l->next;
	r->prev = l;
	if (l->next != NULL)
		l->next->prev = r;
	else
		map->last = r;
	l->next = r;
	if (k > keep) {
		*kp = k - keep;
		*lp = r;
	} else if (k == keep && keep == LEAF_MAX) {
		*kp = 0;
		*lp = r;
	}
	/* the separator: the new leaf's first start, or the new entry's */
	*right_key = r->h.n > 0 ? r->e[0].start : start;
	return r;
}

/* Puts the new node @right (separator @right_key) into the parents that the
 * descent @path passed, splitting upwards as needed. Out of line, as the split. */
static G_GNUC_NO_INLINE void
hiod_insert_up(HiodIntervalMap *map, const HiodPath *path, HiodNodeHeader *right, guint64 right_key)
{
	guint depth = path->depth;
	while (right != NULL) {
		HiodInner *in, *r;
		guint at, keep;
		if (depth == 0) {
			HiodInner *root = hiod_inner_new();
			root->key[0] = 0;
			root->child[0] = map->root;
			root->key[1] = right_key;
			root->child[1] = right;
			root->h.n = 2;
			map->root = &root->h;
			return;
		}
		depth--;
		in = path->in[depth];
		at = path->slot[depth] + 1;
		if (in->h.n < INNER_MAX) {
			hiod_inner_put(in, at, right_key, right);
			return;
		}
		r = hiod_inner_new();
		keep = INNER_MAX / 2;
		r->h.n = INNER_MAX - keep;
		memcpy(r->key, &in->key[keep], r->h.n * sizeof(in->key[0]));
		memcpy(r->child, &in->child[keep], r->h.n * sizeof(in->child[0]));
		in->h.n = keep;
		if (at <= keep)
			hiod_inner_put(in, at, right_key, right);
		else
			hiod_inner_put(r, at - keep, right_key, right);
		right_key = r->key[0];
		right = &r->h;
	}
}

/* Puts [start, last] at the end of @l when it goes there: after the leaf's
 * entries, below the separator after it (it belongs to @l) and before the
 * next leaf's first entry (no overlap), with room at the window's end. */
HIOD_HOT static inline gboolean
hiod_leaf_append(HiodLeaf *l, guint64 start, guint64 last, gpointer value, guint flags)
{
	guint k = l->h.n;
	if (k == 0 || LEAF_BASE(l) + k >= LEAF_MAX || l->e[k - 1].last >= start ||
	    (l->next != NULL && (start >= l->hi || last >= l->next->e[0].start)))
		return FALSE;
	l->e[k] = (HiodInterval){.start = start, .last = last, .value = value, .flags = flags};
	l->key[k] = start;
	l->h.n++;
	return TRUE;
}

HIOD_HOT gboolean
hiod_interval_map_insert_full(HiodIntervalMap *map, guint64 start, guint64 last, gpointer value,
			      guint flags)
{
	HiodPath path;
	HiodLeaf *l, *right = NULL;
	guint64 right_key = 0;
	guint k;

	g_return_val_if_fail(start <= last, FALSE);
	/* after every interval (a guest's memory, mapped in order), or right
	 * after the last insert that descended (another stretch filled in
	 * order, in turns with the first): the end of that leaf, no descent */
	if (hiod_leaf_append(map->last, start, last, value, flags) ||
	    hiod_leaf_append(map->finger, start, last, value, flags)) {
		map->head.size++;
		return TRUE;
	}
	l = hiod_descend_path(map, start, &path);
	k = hiod_leaf_upper(l, start);
	/* the neighbours are here or at the ends of the leaves beside: no second descent */
	if (k > 0 ? l->e[k - 1].last >= start : l->prev != NULL && l->prev->e[l->prev->h.n - 1].last >= start)
		return FALSE;
	if (k < l->h.n ? l->e[k].start <= last : l->next != NULL && l->next->e[0].start <= last)
		return FALSE;
	if (G_UNLIKELY(l->h.n == LEAF_MAX))
		right = hiod_leaf_split(map, &l, &k, start, &right_key);
	if (LEAF_BASE(l) > 0 && (k < l->h.n / 2 || LEAF_BASE(l) + l->h.n == LEAF_MAX)) {
		/* the front moves one down */
		l->e--;
		l->key--;
		if (k > 0) {
			memmove(&l->e[0], &l->e[1], k * sizeof(HiodInterval));
			memmove(&l->key[0], &l->key[1], k * sizeof(l->key[0]));
		}
	} else if (k < l->h.n) {
		memmove(&l->e[k + 1], &l->e[k], (l->h.n - k) * sizeof(HiodInterval));
		memmove(&l->key[k + 1], &l->key[k], (l->h.n - k) * sizeof(l->key[0]));
	}
	l->e[k] = (HiodInterval){.start = start, .last = last, .value = value, .flags = flags};
	l->key[k] = start;
	l->h.n++;
	map->head.size++;
	map->finger = l;
	if (G_UNLIKELY(right != NULL)) {
		if (l == right && k == 0)
			right_key = start;
		/* the split leaf's range ends at the new separator; the new leaf's where it ended */
		right->hi = right->prev->hi;
		right->prev->hi = right_key;
		hiod_insert_up(map, &path, &right->h, right_key);
	}
	return TRUE;
}

gboolean
hiod_interval_map_insert(HiodIntervalMap *map, guint64 start, guint64 last, gpointer value)
{
	return hiod_interval_map_insert_full(map, start, last, value, 0);
}

GArray *
hiod_interval_map_overlaps(HiodIntervalMap *map, guint64 start, guint64 last)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(HiodInterval));
	const HiodInterval *first = hiod_interval_map_first_overlap(map, start, last);
	HiodPos p;

	if (first == NULL)
		return out;
	p = hiod_floor(map, first->start);
	for (; p.leaf != NULL; hiod_pos_next(&p)) {
		const HiodInterval *i = &p.leaf->e[p.i];
		if (i->start > last)
			break;
		g_array_append_val(out, *i);
	}
	return out;
}

/* Takes @l's first entry when it starts at @start (and ends at @last, when
 * @exact) and the leaf keeps others: the window's front moves up. */
HIOD_HOT static inline gboolean
hiod_leaf_take_front(HiodLeaf *l, guint64 start, gboolean exact, guint64 last, HiodInterval *out)
{
	if (l->h.n < 2 || l->key[0] != start || (exact && l->e[0].last != last))
		return FALSE;
	*out = l->e[0];
	l->e++;
	l->key++;
	l->h.n--;
	return TRUE;
}

/* Takes the interval that starts at @start (and ends at @last, when
 * @exact) out of the map, in one descent; a copy in *@out. FALSE when none. */
HIOD_HOT static gboolean
hiod_interval_map_take(HiodIntervalMap *map, guint64 start, gboolean exact, guint64 last,
		       HiodInterval *out)
{
	HiodPath path;
	HiodNodeHeader *h;
	HiodLeaf *l, *prev;
	guint64 hi;
	guint k, depth;

	/* the lowest interval (mappings taken down in order), or the first of
	 * the leaf the last take that descended took from (another stretch in
	 * order, in turns with the first): no descent */
	if (hiod_leaf_take_front(map->first, start, exact, last, out) ||
	    hiod_leaf_take_front(map->taken, start, exact, last, out)) {
		map->head.size--;
		return TRUE;
	}
	l = hiod_descend_path(map, start, &path);
	k = hiod_leaf_upper(l, start);
	depth = path.depth;

	if (k == 0 || l->key[k - 1] != start || (exact && l->e[k - 1].last != last))
		return FALSE;
	k--;
	*out = l->e[k];
	if (k < l->h.n / 2 || k == 0) {
		/* the front moves one up */
		if (k > 0) {
			memmove(&l->e[1], &l->e[0], k * sizeof(HiodInterval));
			memmove(&l->key[1], &l->key[0], k * sizeof(l->key[0]));
		}
		l->e++;
		l->key++;
	} else if (k + 1 < l->h.n) {
		memmove(&l->e[k], &l->e[k + 1], (l->h.n - k - 1) * sizeof(HiodInterval));
		memmove(&l->key[k], &l->key[k + 1], (l->h.n - k - 1) * sizeof(l->key[0]));
	}
	l->h.n--;
	map->head.size--;
	map->taken = l;
	if (l->h.n > 0 || depth == 0)
		return TRUE;

	/* the leaf emptied: unlink it and take it out of its parents */
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		map->first = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	else
		map->last = l->prev;
	if (map->finger == l)
		map->finger = map->first;
	if (map->taken == l)
		map->taken = map->first;
	prev = l->prev;
	hi = l->hi;
	h = &l->h;
	while (depth > 0) {
		HiodInner *in = path.in[--depth];
		guint at = path.slot[depth];
		hiod_node_release(map, h);
		memmove(&in->key[at], &in->key[at + 1], (in->h.n - at - 1) * sizeof(in->key[0]));
		memmove(&in->child[at], &in->child[at + 1], (in->h.n - at - 1) * sizeof(in->child[0]));
		in->h.n--;
		if (in->h.n > 0) {
			/* the leaf's range goes to the child before it here (its last
			 * leaf is the previous one), or, as the first child, to the one
			 * after (whose range now starts where the leaf's did) */
			if (at > 0)
				prev->hi = hi;
			break;
		}
		h = &in->h; /* empty too: one level up */
	}
	/* a root with one child gives way to it */
	while (!map->root->leaf && ((HiodInner *)map->root)->h.n == 1) {
		HiodInner *root = (HiodInner *)map->root;
		map->root = root->child[0];
		g_free(root);
	}
	return TRUE;
}

HIOD_HOT gboolean
hiod_interval_map_take_exact(HiodIntervalMap *map, guint64 start, guint64 last, HiodInterval *out)
{
	return hiod_interval_map_take(map, start, TRUE, last, out);
}

gboolean
hiod_interval_map_remove(HiodIntervalMap *map, guint64 start)
{
	HiodInterval i;
	if (!hiod_interval_map_take(map, start, FALSE, 0, &i))
		return FALSE;
	if (map->value_free != NULL && i.value != NULL)
		map->value_free(i.value);
	return TRUE;
}

gpointer
hiod_interval_map_steal(HiodIntervalMap *map, guint64 start)
{
	HiodInterval i;
	if (!hiod_interval_map_take(map, start, FALSE, 0, &i))
		return NULL;
	return i.value;
}

void
hiod_interval_map_foreach(HiodIntervalMap *map, gboolean (*func)(const HiodInterval *i, gpointer data),
			  gpointer data)
{
	for (HiodLeaf *l = map->first; l != NULL; l = l->next)
		for (guint i = 0; i < l->h.n; i++)
			if (!func(&l->e[i], data))
				return;
}

/* The leaves' chain, for the tests: each entry in order, the ends where the
 * map keeps them, every leaf's window inside its storage, the size right. */
gboolean
hiod_interval_map_check(HiodIntervalMap *map)
{
	guint n = 0;
	guint64 prev_last = 0;
	gboolean any = FALSE;
	HiodLeaf *l, *prev = NULL;
	if (map->first->prev != NULL)
		return FALSE;
	for (l = map->first; l != NULL; prev = l, l = l->next) {
		if (l->prev != prev || LEAF_BASE(l) + l->h.n > LEAF_MAX || l->e - l->es != LEAF_BASE(l))
			return FALSE;
		for (guint i = 0; i < l->h.n; i++) {
			if (l->key[i] != l->e[i].start || l->e[i].start > l->e[i].last ||
			    (any && l->e[i].start <= prev_last))
				return FALSE;
			prev_last = l->e[i].last;
			any = TRUE;
		}
		n += l->h.n;
	}
	if (n != map->head.size || prev != map->last)
		return FALSE;
	/* each leaf's separator is where a descent turns to the next leaf */
	for (l = map->first; l != NULL && l->next != NULL; l = l->next)
		if (l->hi == 0 || hiod_descend(map, l->hi) != l->next || hiod_descend(map, l->hi - 1) != l)
			return FALSE;
	return TRUE;
}

void
hiod_interval_map_remove_all(HiodIntervalMap *map)
{
	hiod_node_free(map, map->root);
	hiod_arena_clear(map);
	map->first = map->last = map->finger = map->taken = hiod_leaf_new(map);
	map->root = &map->first->h;
	map->head.size = 0;
}

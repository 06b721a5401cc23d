/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interval index (B+tree) against a plain sorted array: random inserts,
 * removals, steals, lookups and overlap queries must answer alike, through
 * leaf and inner splits, emptied nodes and root collapses. */
#include "config.h"

#include "hiod-interval-map-private.h"

typedef struct {
	guint64 start, last;
	guint flags;
} Model;

static gint
model_find(GArray *m, guint64 addr)
{
	for (guint i = 0; i < m->len; i++) {
		Model *e = &g_array_index(m, Model, i);
		if (e->start <= addr && addr <= e->last)
			return (gint)i;
	}
	return -1;
}

static gboolean
model_overlaps(GArray *m, guint64 start, guint64 last)
{
	for (guint i = 0; i < m->len; i++) {
		Model *e = &g_array_index(m, Model, i);
		if (e->start <= last && start <= e->last)
			return TRUE;
	}
	return FALSE;
}

static gint
model_cmp(gconstpointer a, gconstpointer b)
{
	const Model *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

typedef struct {
	GArray *model;
	guint n;
	gboolean ok;
} Walk;

static gboolean
walk_cb(const HiodInterval *i, gpointer data)
{
	Walk *w = data;
	Model *e = &g_array_index(w->model, Model, w->n++);
	if (i->start != e->start || i->last != e->last || i->flags != e->flags)
		w->ok = FALSE;
	return TRUE;
}

static guint freed;

static void
count_free(gpointer p)
{
	freed++;
}

static void
check_all(HiodIntervalMap *map, GArray *model)
{
	Walk w = {model, 0, TRUE};
	g_array_sort(model, model_cmp);
	g_assert_true(hiod_interval_map_check(map));
	g_assert_cmpuint(hiod_interval_map_size(map), ==, model->len);
	hiod_interval_map_foreach(map, walk_cb, &w);
	g_assert_true(w.ok);
	g_assert_cmpuint(w.n, ==, model->len);
	/* every entry found by its first and last address, and nothing just before
	 * or after it that no neighbour holds: each key position of each node */
	for (guint n = 0; n < model->len; n++) {
		const Model *e = &g_array_index(model, Model, n);
		const Model *prev = n > 0 ? &g_array_index(model, Model, n - 1) : NULL;
		const Model *next = n + 1 < model->len ? &g_array_index(model, Model, n + 1) : NULL;
		const HiodInterval *i = hiod_interval_map_lookup(map, e->start);
		g_assert_nonnull(i);
		g_assert_cmpuint(i->start, ==, e->start);
		i = hiod_interval_map_lookup(map, e->last);
		g_assert_nonnull(i);
		g_assert_cmpuint(i->start, ==, e->start);
		if (e->start > 0 && (prev == NULL || prev->last < e->start - 1))
			g_assert_null(hiod_interval_map_lookup(map, e->start - 1));
		if (next == NULL || next->start > e->last + 1)
			g_assert_null(hiod_interval_map_lookup(map, e->last + 1));
	}
}

static void
run(guint64 seed, guint ops, guint space)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)seed);
	g_autoptr(HiodIntervalMap) map = hiod_interval_map_new(count_free);
	g_autoptr(GArray) model = g_array_new(FALSE, FALSE, sizeof(Model));

	for (guint op = 0; op < ops; op++) {
		guint64 a = g_rand_int_range(rand, 0, (gint32)space);
		guint64 len = g_rand_int_range(rand, 1, 4);
		guint kind = g_rand_int_range(rand, 0, 10);
		if (kind < 5) {
			gboolean expect = !model_overlaps(model, a, a + len - 1);
			gboolean got = hiod_interval_map_insert_full(map, a, a + len - 1, GUINT_TO_POINTER(1),
								     (guint)a ^ 0x5a);
			g_assert_cmpint(got, ==, expect);
			if (got) {
				Model e = {a, a + len - 1, (guint)a ^ 0x5a};
				g_array_append_val(model, e);
			}
		} else if (kind < 8) {
			/* remove what holds @a (by its start), or nothing */
			gint k = model_find(model, a);
			if (k < 0) {
				/* nothing holds @a, so nothing starts there */
				g_assert_false(hiod_interval_map_remove(map, a));
			} else {
				guint64 s = g_array_index(model, Model, k).start;
				guint64 l = g_array_index(model, Model, k).last;
				if (kind == 7) {
					g_assert_nonnull(hiod_interval_map_steal(map, s));
				} else if (kind == 6) {
					HiodInterval out;
					guint before = freed;
					/* not exactly it: nothing taken */
					g_assert_false(hiod_interval_map_take_exact(map, s, l + 1, &out));
					g_assert_cmpuint(hiod_interval_map_size(map), ==, model->len);
					g_assert_true(hiod_interval_map_take_exact(map, s, l, &out));
					g_assert_cmpuint(out.start, ==, s);
					g_assert_cmpuint(out.last, ==, l);
					g_assert_cmpuint(out.flags, ==, g_array_index(model, Model, k).flags);
					g_assert_cmpuint(freed, ==, before);
				} else {
					guint before = freed;
					g_assert_true(hiod_interval_map_remove(map, s));
					g_assert_cmpuint(freed, ==, before + 1);
				}
				g_assert_false(hiod_interval_map_remove(map, s));
				g_array_remove_index(model, k);
			}
		} else {
			gint k = model_find(model, a);
			const HiodInterval *i = hiod_interval_map_lookup(map, a);
			const HiodInterval *f = hiod_interval_map_first_overlap(map, a, a + 40);
			g_autoptr(GArray) hits = hiod_interval_map_overlaps(map, a, a + 40);
			guint expect_hits = 0;
			guint64 first = G_MAXUINT64;
			if (k < 0) {
				g_assert_null(i);
			} else {
				g_assert_nonnull(i);
				g_assert_cmpuint(i->start, ==, g_array_index(model, Model, k).start);
				g_assert_cmpuint(i->flags, ==, g_array_index(model, Model, k).flags);
			}
			for (guint n = 0; n < model->len; n++) {
				Model *e = &g_array_index(model, Model, n);
				if (e->start <= a + 40 && a <= e->last) {
					expect_hits++;
					first = MIN(first, e->start);
				}
			}
			g_assert_cmpuint(hits->len, ==, expect_hits);
			for (guint n = 1; n < hits->len; n++)
				g_assert_cmpuint(g_array_index(hits, HiodInterval, n - 1).last, <,
						 g_array_index(hits, HiodInterval, n).start);
			if (expect_hits == 0) {
				g_assert_null(f);
			} else {
				g_assert_nonnull(f);
				g_assert_cmpuint(f->start, ==, first);
			}
		}
		if (op % 997 == 0)
			check_all(map, model);
	}
	check_all(map, model);
	/* empty it in random order: nodes free and the root collapses */
	while (model->len > 0) {
		guint k = g_rand_int_range(rand, 0, (gint32)model->len);
		g_assert_true(hiod_interval_map_remove(map, g_array_index(model, Model, k).start));
		g_array_remove_index_fast(model, k);
	}
	g_assert_cmpuint(hiod_interval_map_size(map), ==, 0);
	g_assert_null(hiod_interval_map_lookup(map, 0));
	g_assert_true(hiod_interval_map_insert(map, 5, 9, NULL));
	hiod_interval_map_remove_all(map);
	g_assert_cmpuint(hiod_interval_map_size(map), ==, 0);
}

/* a dense space (many collisions) and a sparse one (deep trees) */
static void
test_random(void)
{
	for (guint64 seed = 1; seed <= 4; seed++) {
		run(seed, 20000, 3000);
		run(seed + 100, 30000, 1000000);
	}
}

/* ascending and descending inserts (the benchmark's and a guest's order) */
static void
test_ordered(void)
{
	g_autoptr(HiodIntervalMap) map = hiod_interval_map_new(NULL);
	const guint n = 100000;
	for (guint i = 0; i < n; i++)
		g_assert_true(hiod_interval_map_insert(map, (guint64)i * 16, (guint64)i * 16 + 7, NULL));
	for (guint i = 0; i < n; i++)
		g_assert_true(hiod_interval_map_insert(map, (guint64)(2 * n - i) * 16, (guint64)(2 * n - i) * 16 + 7, NULL));
	g_assert_cmpuint(hiod_interval_map_size(map), ==, 2 * n);
	for (guint i = 0; i < n; i++) {
		const HiodInterval *x = hiod_interval_map_lookup(map, (guint64)i * 16 + 3);
		g_assert_nonnull(x);
		g_assert_cmpuint(x->start, ==, (guint64)i * 16);
		g_assert_null(hiod_interval_map_lookup(map, (guint64)i * 16 + 8));
	}
	for (guint i = 0; i < n; i += 2)
		g_assert_true(hiod_interval_map_remove(map, (guint64)i * 16));
	g_assert_cmpuint(hiod_interval_map_size(map), ==, 2 * n - n / 2);
	g_assert_null(hiod_interval_map_lookup(map, 0));
	g_assert_nonnull(hiod_interval_map_lookup(map, 16));
}

static void
ends_insert(HiodIntervalMap *map, GArray *model, guint64 start)
{
	Model e = {start, start + 9, (guint)start & 0xff};
	g_assert_true(hiod_interval_map_insert_full(map, e.start, e.last, NULL, e.flags));
	g_array_append_val(model, e);
}

/* The ends' shortcuts (an interval after all others goes to the end of the
 * rightmost leaf, the lowest one leaves the leftmost leaf's front, neither
 * descends): taking down from the front, emptying rightmost leaves (the
 * rightmost leaf moves left), appending after that, overlaps with the last
 * interval and an inexact take at the front still refused. */
static void
test_ends(void)
{
	g_autoptr(HiodIntervalMap) map = hiod_interval_map_new(NULL);
	g_autoptr(GArray) model = g_array_new(FALSE, FALSE, sizeof(Model));
	HiodInterval out;
	const guint n = 40000; /* 625 leaves: the map's arena and its free list too */

	for (guint i = 0; i < n; i++)
		ends_insert(map, model, (guint64)i * 16);
	/* touching or overlapping the last interval: refused, nothing added */
	g_assert_false(hiod_interval_map_insert(map, (guint64)(n - 1) * 16 + 9, (guint64)n * 16, NULL));
	g_assert_false(hiod_interval_map_insert(map, (guint64)(n - 1) * 16, (guint64)n * 16, NULL));
	check_all(map, model);

	/* from the front, in order; an inexact take there changes nothing */
	for (guint i = 0; i < n / 2; i++) {
		g_assert_false(hiod_interval_map_take_exact(map, (guint64)i * 16, (guint64)i * 16 + 8, &out));
		g_assert_true(hiod_interval_map_take_exact(map, (guint64)i * 16, (guint64)i * 16 + 9, &out));
		g_assert_cmpuint(out.start, ==, (guint64)i * 16);
		g_assert_cmpuint(out.flags, ==, (guint)(i * 16) & 0xff);
		g_assert_null(hiod_interval_map_lookup(map, (guint64)i * 16));
	}
	g_array_remove_range(model, 0, n / 2);
	check_all(map, model);

	/* from the back: the rightmost leaves empty and go */
	for (guint i = n - 1; i >= n - 3000; i--) {
		g_assert_true(hiod_interval_map_remove(map, (guint64)i * 16));
		g_array_remove_index(model, model->len - 1);
	}
	check_all(map, model);
	/* splits in the middle take the freed leaves again */
	for (guint i = n / 2; i < n / 2 + 12000; i++) {
		Model e = {(guint64)i * 16 + 10, (guint64)i * 16 + 15, 7};
		g_assert_true(hiod_interval_map_insert_full(map, e.start, e.last, NULL, e.flags));
		g_array_append_val(model, e);
	}
	g_array_sort(model, model_cmp);
	check_all(map, model);
	/* appending again lands after what is left */
	for (guint i = n - 3000; i < n + 2000; i++)
		ends_insert(map, model, (guint64)i * 16);
	check_all(map, model);
	/* a gap at the front is filled by the slow path, then the front goes again */
	ends_insert(map, model, 0);
	g_array_sort(model, model_cmp);
	check_all(map, model);
	while (model->len > 0) {
		Model *e = &g_array_index(model, Model, 0);
		g_assert_true(hiod_interval_map_take_exact(map, e->start, e->last, &out));
		g_array_remove_index(model, 0);
	}
	g_assert_cmpuint(hiod_interval_map_size(map), ==, 0);
	ends_insert(map, model, 5);
	ends_insert(map, model, 100);
	check_all(map, model);
}

/* Several stretches each filled in order, taking turns (a benchmark's
 * paths, a guest's memory banks): each insert follows the one before in its
 * stretch, not the last one overall, so the finger goes from leaf to leaf;
 * random removals empty leaves under it and move the separators. */
static void
test_stretches(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(7);
	g_autoptr(HiodIntervalMap) map = hiod_interval_map_new(NULL);
	g_autoptr(GArray) model = g_array_new(FALSE, FALSE, sizeof(Model));
	const guint stretches = 5, n = 6000;

	for (guint round = 0; round < 2; round++) {
		for (guint i = 0; i < n; i++) {
			for (guint j = 0; j < stretches; j++) {
				/* round 1: the stretches in the other order, into the gaps */
				guint st = round == 0 ? j : stretches - 1 - j;
				guint64 start = ((guint64)st << 32) + (guint64)i * 32 + round * 16;
				Model e = {start, start + 9, (guint)i};
				g_assert_true(hiod_interval_map_insert_full(map, e.start, e.last, NULL, e.flags));
				g_array_append_val(model, e);
				/* the next one in this stretch may not overlap it */
				g_assert_false(hiod_interval_map_insert(map, start + 9, start + 12, NULL));
			}
			if (i % 7 == 6) { /* take one out anywhere */
				guint k = g_rand_int_range(rand, 0, (gint32)model->len);
				g_assert_true(hiod_interval_map_remove(map, g_array_index(model, Model, k).start));
				g_array_remove_index_fast(model, k);
			}
			if (i % 1000 == 999)
				check_all(map, model);
		}
		check_all(map, model);
	}
	/* a stretch taken out whole: its leaves empty, the finger among them */
	for (gint k = (gint)model->len - 1; k >= 0; k--) {
		Model *e = &g_array_index(model, Model, k);
		if ((e->start >> 32) == 2) {
			g_assert_true(hiod_interval_map_remove(map, e->start));
			g_array_remove_index_fast(model, k);
		}
	}
	check_all(map, model);
	for (guint i = 0; i < n; i++) {
		Model e = {((guint64)2 << 32) + (guint64)i * 32 + 20, ((guint64)2 << 32) + (guint64)i * 32 + 25, 1};
		g_assert_true(hiod_interval_map_insert_full(map, e.start, e.last, NULL, e.flags));
		g_array_append_val(model, e);
	}
	check_all(map, model);
	/* two stretches taken down in order, in turns (each take's shortcut
	 * follows its own stretch) */
	for (guint i = 0; i < 2 * n; i++) {
		for (guint st = 0; st < 4; st += 3) {
			guint64 start = ((guint64)st << 32) + (guint64)(i / 2) * 32 + (i % 2) * 16;
			HiodInterval out;
			gboolean there = FALSE;
			for (guint k = 0; k < model->len && !there; k++)
				if (g_array_index(model, Model, k).start == start) {
					g_array_remove_index(model, k);
					there = TRUE;
				}
			g_assert_cmpint(hiod_interval_map_take_exact(map, start, start + 9, &out), ==, there);
		}
		if (i % 1500 == 0)
			check_all(map, model);
	}
	check_all(map, model);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/interval-map/random", test_random);
	g_test_add_func("/hiod/interval-map/ordered", test_ordered);
	g_test_add_func("/hiod/interval-map/ends", test_ends);
	g_test_add_func("/hiod/interval-map/stretches", test_stretches);
	return g_test_run();
}

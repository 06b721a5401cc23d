/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How HiodAddressSpace scales. Prints ratios against baselines measured in
 * the same run, so the numbers mean the same on any machine:
 *  - add / lookup / remove throughput at 1M sections against 1k sections
 *    (an O(log n) index keeps the ratio near log(1k)/log(1M) = 0.5, give or
 *    take cache misses; a linear index would be at 0.001);
 *  - the interval index against a naive linear list at the same size.
 * One member container that maps nothing (no kernel) is attached, so the
 * container's own checks and index are part of every add and remove.
 *
 * Usage: bench-address-space [BIG_N]   (default 1000000)
 */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>

#include "hiod.h"
#include "bench-container.h"

#define PAGE 0x1000u

typedef struct {
	double add, lookup, remove; /* ops per second */
} BenchResult;

static double
bench_now(void)
{
	return g_get_monotonic_time() / 1e6;
}

/* sections at a 2-page stride, shuffled order so the tree is not fed sorted */
static guint *
bench_order(guint n, GRand *rand)
{
	guint *order = g_new(guint, n);
	for (guint i = 0; i < n; i++)
		order[i] = i;
	for (guint i = n - 1; i > 0; i--) {
		guint j = g_rand_int_range(rand, 0, i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	return order;
}

static BenchResult
bench_space(guint n, gpointer buf)
{
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
	g_autoptr(HiodContainer) c = bench_container_new();
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);
	g_autofree guint *order = bench_order(n, rand);
	guint lookups = MAX(n, 200000);
	BenchResult r;
	double t;

	if (!hiod_address_space_add_container(as, c, NULL))
		g_error("bench container");
	t = bench_now();
	for (guint i = 0; i < n; i++)
		if (!hiod_address_space_add_section(as, (guint64)order[i] * 2 * PAGE, PAGE, buf, 0, NULL))
			g_error("add %u", i);
	r.add = n / (bench_now() - t);
	t = bench_now();
	for (guint i = 0; i < lookups; i++) {
		guint k = g_rand_int_range(rand, 0, n);
		if (!hiod_address_space_lookup(as, (guint64)k * 2 * PAGE + 8, NULL, NULL, NULL, NULL))
			g_error("lookup %u", k);
	}
	r.lookup = lookups / (bench_now() - t);
	t = bench_now();
	for (guint i = 0; i < n; i++)
		if (!hiod_address_space_remove_section(as, (guint64)order[i] * 2 * PAGE, PAGE, NULL))
			g_error("remove %u", i);
	r.remove = n / (bench_now() - t);
	if (hiod_address_space_get_n_sections(as) != 0)
		g_error("sections left");
	return r;
}

/* the naive alternative: an unsorted list, every insert checks every entry for overlap */
typedef struct {
	guint64 start, last;
	gpointer vaddr;
} NaiveSection;

static BenchResult
bench_naive(guint n, gpointer buf)
{
	g_autoptr(GArray) list = g_array_new(FALSE, FALSE, sizeof(NaiveSection));
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);
	g_autofree guint *order = bench_order(n, rand);
	guint lookups = n;
	GMutex lock;
	BenchResult r = {0};
	double t;

	g_mutex_init(&lock);
	t = bench_now();
	for (guint i = 0; i < n; i++) {
		NaiveSection s = {(guint64)order[i] * 2 * PAGE, (guint64)order[i] * 2 * PAGE + PAGE - 1, buf};
		g_mutex_lock(&lock);
		for (guint j = 0; j < list->len; j++) {
			NaiveSection *o = &g_array_index(list, NaiveSection, j);
			if (o->start <= s.last && s.start <= o->last)
				g_error("overlap");
		}
		g_array_append_val(list, s);
		g_mutex_unlock(&lock);
	}
	r.add = n / (bench_now() - t);
	t = bench_now();
	for (guint i = 0; i < lookups; i++) {
		guint64 iova = (guint64)g_rand_int_range(rand, 0, n) * 2 * PAGE + 8;
		gboolean found = FALSE;
		g_mutex_lock(&lock);
		for (guint j = 0; j < list->len && !found; j++) {
			NaiveSection *o = &g_array_index(list, NaiveSection, j);
			found = o->start <= iova && iova <= o->last;
		}
		g_mutex_unlock(&lock);
		if (!found)
			g_error("naive lookup");
	}
	r.lookup = lookups / (bench_now() - t);
	g_mutex_clear(&lock);
	return r;
}

static void
bench_print(const gchar *what, double base, double other, const gchar *base_name,
	    const gchar *other_name)
{
	printf("  %-7s %12.0f ops/s (%s)  %12.0f ops/s (%s)  ratio %.3f\n", what, base, base_name,
	       other, other_name, other / base);
}

int
main(int argc, char **argv)
{
	guint big = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 1000000;
	guint small = 1000, mid = 20000;
	gpointer buf = g_aligned_alloc0(1, PAGE, PAGE);
	BenchResult r_small, r_big, r_mid, r_naive;
	gchar big_name[32];

	if (big < small)
		big = small;
	g_snprintf(big_name, sizeof(big_name), "%u", big);
	/* warm up the allocator and the code */
	(void)bench_space(small, buf);
	r_small = bench_space(small, buf);
	r_big = bench_space(big, buf);
	printf("HiodAddressSpace scaling: %u vs %u sections (1 member container)\n", small, big);
	printf("  (O(log n): ratio near %.2f; a linear index would be near %.4f)\n",
	       log((double)small) / log((double)big), (double)small / big);
	bench_print("add", r_small.add, r_big.add, "1000", big_name);
	bench_print("lookup", r_small.lookup, r_big.lookup, "1000", big_name);
	bench_print("remove", r_small.remove, r_big.remove, "1000", big_name);

	r_mid = bench_space(mid, buf);
	r_naive = bench_naive(mid, buf);
	printf("index vs a naive linear list at %u sections (speed-up = ratio)\n", mid);
	bench_print("add", r_naive.add, r_mid.add, "list", "index");
	bench_print("lookup", r_naive.lookup, r_mid.lookup, "list", "index");
	g_aligned_free(buf);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-test-common.h"

static void
test_contains(void)
{
	g_autoptr(HiodIovaRange) r = hiod_iova_range_new(0x1000, 0x1fff);
	g_autoptr(HiodIovaRange) top = hiod_iova_range_new(0xfffffffffffff000ull, G_MAXUINT64);
	g_assert_true(hiod_iova_range_contains(r, 0x1000, 0x1000));
	g_assert_false(hiod_iova_range_contains(r, 0x1000, 0x1001));
	g_assert_false(hiod_iova_range_contains(r, 0xfff, 2));
	g_assert_false(hiod_iova_range_contains(r, 0x1000, 0)); /* zero length */
	g_assert_true(hiod_iova_range_contains(top, 0xfffffffffffff000ull, 0x1000));
	g_assert_false(hiod_iova_range_contains(top, 0xfffffffffffff000ull, 0x2000)); /* wraps */
}

static void
test_ranges(void)
{
	g_autoptr(GPtrArray) ranges = hiod_iova_ranges_new();
	g_autoptr(GPtrArray) copy = NULL;
	g_assert_cmpuint(hiod_iova_ranges_get_aw_bits(ranges), ==, 64);
	g_ptr_array_add(ranges, hiod_iova_range_new(0, 0xfedfffff));
	g_ptr_array_add(ranges, hiod_iova_range_new(0xfef00000, 0x7fffffffff));
	g_assert_cmpuint(hiod_iova_ranges_get_aw_bits(ranges), ==, 39);
	g_assert_true(hiod_iova_ranges_contain(ranges, 0x100000, 0x1000));
	g_assert_false(hiod_iova_ranges_contain(ranges, 0xfee00000, 0x1000)); /* MSI window */
	g_assert_false(hiod_iova_ranges_contain(ranges, 0xfedff000, 0x2000)); /* spans the hole */
	g_assert_false(hiod_iova_ranges_contain(ranges, 0x8000000000, 0x1000));
	copy = hiod_iova_ranges_copy(ranges);
	g_assert_cmpuint(copy->len, ==, 2);
	g_assert_true(g_ptr_array_index(copy, 0) != g_ptr_array_index(ranges, 0));
	g_ptr_array_set_size(ranges, 0);
	g_ptr_array_add(ranges, hiod_iova_range_new(0, 0xffffffffffff));
	g_assert_cmpuint(hiod_iova_ranges_get_aw_bits(ranges), ==, 48);
}

static void
test_json(void)
{
	g_autoptr(HiodIovaRange) r = hiod_iova_range_new(0xfef00000, 0x7fffffffff);
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	hiod_iova_range_to_json(r, b);
	root = json_builder_get_root(b);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(root), "last"), ==,
			"0x7fffffffff");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/iova-range/contains", test_contains);
	g_test_add_func("/hiod/iova-range/ranges", test_ranges);
	g_test_add_func("/hiod/iova-range/json", test_json);
	return g_test_run();
}

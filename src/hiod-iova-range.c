/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"


#include "hiod-iova-range-private.h"

G_DEFINE_BOXED_TYPE(HiodIovaRange, hiod_iova_range, hiod_iova_range_copy, hiod_iova_range_free)

/**
 * hiod_iova_range_new:
 * @start: the first IOVA
 * @last: the last IOVA, inclusive
 *
 * Returns a new #HiodIovaRange.
 *
 * Returns: (transfer full): a new #HiodIovaRange
 *
 * Since: 0.1
 */
HiodIovaRange *
hiod_iova_range_new(guint64 start, guint64 last)
{
	HiodIovaRange *range = g_new0(HiodIovaRange, 1);
	range->start = start;
	range->last = last;
	return range;
}

/**
 * hiod_iova_range_copy:
 * @range: a #HiodIovaRange
 *
 * Returns a copy of @range.
 *
 * Returns: (transfer full): a copy of @range
 *
 * Since: 0.1
 */
HiodIovaRange *
hiod_iova_range_copy(const HiodIovaRange *range)
{
	g_return_val_if_fail(range != NULL, NULL);
	return hiod_iova_range_new(range->start, range->last);
}

/**
 * hiod_iova_range_free:
 * @range: (nullable): a #HiodIovaRange
 *
 * Frees the range.
 *
 * Since: 0.1
 */
void
hiod_iova_range_free(HiodIovaRange *range)
{
	g_free(range);
}

/**
 * hiod_iova_range_contains:
 * @range: a #HiodIovaRange
 * @iova: the first IOVA of the span
 * @size: the size of the span in bytes, not 0
 *
 * Tells whether all of [@iova, @iova + @size) lies inside @range.
 *
 * Returns: whether all of [@iova, @iova + @size) lies inside @range
 *
 * Since: 0.1
 */
gboolean
hiod_iova_range_contains(const HiodIovaRange *range, guint64 iova, guint64 size)
{
	guint64 last;
	g_return_val_if_fail(range != NULL, FALSE);
	if (!hiod_iova_span_ok(iova, size))
		return FALSE;
	last = iova + (size - 1);
	return iova >= range->start && last <= range->last;
}

/**
 * hiod_iova_range_to_json:
 * @range: a #HiodIovaRange
 * @builder: a #JsonBuilder, inside an array or at a member
 *
 * Adds the range as an object {"start": "0x...", "last": "0x..."}. Addresses
 * are hex strings because JSON numbers lose precision above 2^53.
 *
 * Since: 0.1
 */
void
hiod_iova_range_to_json(const HiodIovaRange *range, JsonBuilder *builder)
{
	g_autofree gchar *start = g_strdup_printf("0x%" G_GINT64_MODIFIER "x", range->start);
	g_autofree gchar *last = g_strdup_printf("0x%" G_GINT64_MODIFIER "x", range->last);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "start");
	json_builder_add_string_value(builder, start);
	json_builder_set_member_name(builder, "last");
	json_builder_add_string_value(builder, last);
	json_builder_end_object(builder);
}

/**
 * hiod_iova_ranges_new:
 *
 * Returns an empty array that owns its ranges.
 *
 * Returns: (transfer container) (element-type HiodIovaRange): an empty array that owns its ranges
 *
 * Since: 0.1
 */
GPtrArray *
hiod_iova_ranges_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)hiod_iova_range_free);
}

/**
 * hiod_iova_ranges_copy:
 * @ranges: (element-type HiodIovaRange): ranges
 *
 * Returns a deep copy.
 *
 * Returns: (transfer container) (element-type HiodIovaRange): a deep copy
 *
 * Since: 0.1
 */
GPtrArray *
hiod_iova_ranges_copy(GPtrArray *ranges)
{
	GPtrArray *copy = hiod_iova_ranges_new();
	for (guint i = 0; ranges != NULL && i < ranges->len; i++)
		g_ptr_array_add(copy, hiod_iova_range_copy(g_ptr_array_index(ranges, i)));
	return copy;
}

/**
 * hiod_iova_ranges_contain:
 * @ranges: (element-type HiodIovaRange): usable ranges
 * @iova: the first IOVA of the span
 * @size: the size in bytes
 *
 * Tells whether one of @ranges holds all of [@iova, @iova + @size).
 *
 * Returns: whether one of @ranges holds all of [@iova, @iova + @size)
 *
 * Since: 0.1
 */
gboolean
hiod_iova_ranges_contain(GPtrArray *ranges, guint64 iova, guint64 size)
{
	return ranges != NULL && hiod_iova_span_ok(iova, size) &&
	       hiod_iova_ranges_hold(ranges, iova, iova + (size - 1));
}

/**
 * hiod_iova_ranges_get_aw_bits:
 * @ranges: (element-type HiodIovaRange): usable ranges
 *
 * The address width that the ranges imply: the bit position of the highest
 * usable IOVA, plus one (39 for a range ending at 0x7fffffffff). With no
 * ranges, 64.
 *
 * Returns: the address width in bits
 *
 * Since: 0.1
 */
guint
hiod_iova_ranges_get_aw_bits(GPtrArray *ranges)
{
	guint64 top = 0;
	if (ranges == NULL || ranges->len == 0)
		return 64;
	for (guint i = 0; i < ranges->len; i++) {
		HiodIovaRange *r = g_ptr_array_index(ranges, i);
		top = MAX(top, r->last);
	}
	return top == 0 ? 1 : 64 - __builtin_clzll(top);
}

/* the span check (hiod-iova-range-private.h) ------------------------------------------ */

gboolean
hiod_iova_span_refuse(guint64 iova, guint64 size, const gchar *what, GError **error)
{
	if (size == 0)
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "zero-length %s", what);
	else
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "IOVA 0x%" G_GINT64_MODIFIER "x + size 0x%" G_GINT64_MODIFIER
			    "x wraps around the 64-bit space",
			    iova, size);
	return FALSE;
}

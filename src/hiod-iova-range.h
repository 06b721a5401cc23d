/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodIovaRange:
 * @start: the first usable IOVA
 * @last: the last usable IOVA (inclusive, as the kernel reports it)
 *
 * A range of I/O virtual addresses. @last is inclusive so that a range can
 * reach the top of the 64-bit space.
 *
 * Threads: a plain value: the arrays hiod returns are copies, the caller's
 * own.
 *
 * Since: 0.1
 */
typedef struct {
	guint64 start;
	guint64 last;
} HiodIovaRange;

#define HIOD_TYPE_IOVA_RANGE (hiod_iova_range_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_iova_range_get_type(void);
HIOD_AVAILABLE_IN_0_1
HiodIovaRange *hiod_iova_range_new(guint64 start, guint64 last);
HIOD_AVAILABLE_IN_0_1
HiodIovaRange *hiod_iova_range_copy(const HiodIovaRange *range);
HIOD_AVAILABLE_IN_0_1
void hiod_iova_range_free(HiodIovaRange *range);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iova_range_contains(const HiodIovaRange *range, guint64 iova, guint64 size);
HIOD_AVAILABLE_IN_0_1
void hiod_iova_range_to_json(const HiodIovaRange *range, JsonBuilder *builder);

HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_iova_ranges_new(void);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_iova_ranges_copy(GPtrArray *ranges);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iova_ranges_contain(GPtrArray *ranges, guint64 iova, guint64 size);
HIOD_AVAILABLE_IN_0_1
guint hiod_iova_ranges_get_aw_bits(GPtrArray *ranges);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodIovaRange, hiod_iova_range_free)

G_END_DECLS

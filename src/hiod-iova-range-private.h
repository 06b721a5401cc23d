/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one span check: a [iova, iova + size) that is not empty and does not
 * wrap around the 64-bit space. The address space (sections), the container
 * (DMA mappings) and the vDPA device (IOTLB mappings) all check a span with
 * it before anything else; @what names the thing in the error
 * ("section", "DMA mapping", "IOTLB mapping").
 */
#pragma once

#include "hiod-error.h"
#include "hiod-iova-range.h"

G_BEGIN_DECLS

/* [iova, iova + size) is not empty and does not wrap (the predicate of the check) */
static inline gboolean
hiod_iova_span_ok(guint64 iova, guint64 size)
{
	return size != 0 && iova + (size - 1) >= iova;
}

/* Whether one of @ranges holds all of [@iova, @last], a span that does not
 * wrap (inline: the map path checks every mapping with it) */
static inline gboolean
hiod_iova_ranges_hold(GPtrArray *ranges, guint64 iova, guint64 last)
{
	for (guint i = 0; i < ranges->len; i++) {
		const HiodIovaRange *r = g_ptr_array_index(ranges, i);
		if (iova >= r->start && last <= r->last)
			return TRUE;
	}
	return FALSE;
}

/* The refusal of a span that is not ok: FALSE, and @error says why. */
gboolean hiod_iova_span_refuse(guint64 iova, guint64 size, const gchar *what, GError **error);

/* TRUE for a span that is ok; else the refusal (inline: every map and unmap
 * checks its span, and the error's text is only made when it is refused) */
static inline gboolean
hiod_iova_span_check(guint64 iova, guint64 size, const gchar *what, GError **error)
{
	return G_LIKELY(hiod_iova_span_ok(iova, size)) || hiod_iova_span_refuse(iova, size, what, error);
}

G_END_DECLS

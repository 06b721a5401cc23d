/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hiod-container.h"
#include "hiod-interval-map-private.h"

G_BEGIN_DECLS

/* A mapping the container holds: [start, last] -> vaddr (stored in HiodInterval.value). */
typedef struct {
	gpointer vaddr;
	HiodDmaFlags flags;
} HiodMapping;

/* The context, without the type check of hiod_container_get_context(): for the
 * backends' map and unmap, which the base class calls on its own instance. */
HiodContext *hiod_container_peek_context(HiodContainer *self);
/* The smallest page size the container maps with (lowest bit of the page-size mask). */
guint64 hiod_container_get_min_page_size(HiodContainer *self);
/* Whether [iova, iova + size) lies in the usable IOVA ranges (always, when
 * none are known); when not, the ranges as text in *@ranges_str (optional).
 * Safe while another thread attaches or detaches (which replaces them). */
gboolean hiod_container_iova_ranges_allow(HiodContainer *self, guint64 iova, guint64 size,
					  gchar **ranges_str);
/* Runs @func with the container's mapping index locked. */
void hiod_container_with_mappings(HiodContainer *self, void (*func)(HiodIntervalMap *map, gpointer data),
				  gpointer data);

G_END_DECLS

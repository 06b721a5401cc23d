/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT:
 *
 * vIOMMU flag (seed 002): the vIOMMU will program stage 1 of the physical
 * IOMMU itself, so the device's hardware page table must be allocated as a
 * nesting parent. The flags depend only on the vIOMMU's own configuration and
 * are read during attach, before the host IOMMU device exists.
 *
 * Since: 0.1
 */
#define HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT (G_GUINT64_CONSTANT(1) << 0)

G_END_DECLS

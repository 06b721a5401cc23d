/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-version.h"
#include "hiod-viommu.h"

G_BEGIN_DECLS

/**
 * HiodVirtioViommu:
 *
 * The virtio-iommu policy: host IOVA holes become reserved regions, the page
 * size mask is narrowed to the host's, and a frozen granule is kept.
 *
 * Threads: thread-safe: one lock guards the devices it holds, the page-size
 * mask and the frozen granule.
 *
 * Since: 0.1
 */
#define HIOD_TYPE_VIRTIO_VIOMMU (hiod_virtio_viommu_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodVirtioViommu, hiod_virtio_viommu, HIOD, VIRTIO_VIOMMU, GObject)

HIOD_AVAILABLE_IN_0_1
HiodVirtioViommu *hiod_virtio_viommu_new(void);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_virtio_viommu_get_page_size_mask(HiodVirtioViommu *self);
HIOD_AVAILABLE_IN_0_1
void hiod_virtio_viommu_freeze_granule(HiodVirtioViommu *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_virtio_viommu_get_granule_frozen(HiodVirtioViommu *self);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_virtio_viommu_get_reserved_regions(HiodVirtioViommu *self, guint domain,
						   guint bus, guint devfn);
HIOD_AVAILABLE_IN_0_1
guint hiod_virtio_viommu_get_n_devices(HiodVirtioViommu *self);

HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_iova_ranges_invert(GPtrArray *usable);
HIOD_AVAILABLE_IN_0_1
HiodViommuVerdict *hiod_virtio_viommu_check_host(HiodVirtioViommu *self, const HiodPciRid *rid,
						 GPtrArray *usable_ranges,
						 guint64 page_size_mask);

G_END_DECLS

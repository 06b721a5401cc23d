/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-iommufd-viommu.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HIOD_IOMMUFD_HW_QUEUE_TYPE_TEGRA241_CMDQV:
 *
 * IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV (Linux 6.17).
 *
 * Since: 0.1
 */
#define HIOD_IOMMUFD_HW_QUEUE_TYPE_TEGRA241_CMDQV 1u
/**
 * HIOD_IOMMUFD_HW_QUEUE_TYPE_SELFTEST:
 *
 * The selftest mock's hardware queue type.
 *
 * Since: 0.1
 */
#define HIOD_IOMMUFD_HW_QUEUE_TYPE_SELFTEST 0xdeadbeefu

#define HIOD_TYPE_IOMMUFD_HW_QUEUE (hiod_iommufd_hw_queue_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodIommufdHwQueue, hiod_iommufd_hw_queue, HIOD, IOMMUFD_HW_QUEUE, GObject)


HIOD_AVAILABLE_IN_0_1
HiodIommufdHwQueue *hiod_iommufd_viommu_alloc_hw_queue(HiodIommufdViommu *self,
						       guint32 hw_queue_type, guint32 index,
						       guint64 iova, guint64 length,
						       GError **error);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_hw_queue_get_id(HiodIommufdHwQueue *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_hw_queue_get_index(HiodIommufdHwQueue *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_hw_queue_get_hw_queue_type(HiodIommufdHwQueue *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_hw_queue_destroy(HiodIommufdHwQueue *self, GError **error);

G_END_DECLS

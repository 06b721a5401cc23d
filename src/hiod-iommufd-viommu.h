/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-host-iommu-device-iommufd.h"
#include "hiod-iommufd-backend.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HIOD_IOMMUFD_VIOMMU_TYPE_ARM_SMMUV3:
 *
 * IOMMU_VIOMMU_TYPE_ARM_SMMUV3 (Linux 6.13).
 *
 * Since: 0.1
 */
#define HIOD_IOMMUFD_VIOMMU_TYPE_ARM_SMMUV3 1u
/**
 * HIOD_IOMMUFD_VIOMMU_TYPE_TEGRA241_CMDQV:
 *
 * IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV (Linux 6.17).
 *
 * Since: 0.1
 */
#define HIOD_IOMMUFD_VIOMMU_TYPE_TEGRA241_CMDQV 2u
/**
 * HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST:
 *
 * The iommufd selftest mock's vIOMMU type (CONFIG_IOMMUFD_TEST).
 *
 * Since: 0.1
 */
#define HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST 0xdeadbeefu
#define HIOD_TYPE_IOMMUFD_VIOMMU (hiod_iommufd_viommu_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodIommufdViommu, hiod_iommufd_viommu, HIOD, IOMMUFD_VIOMMU, GObject)

/* vIOMMU */
HIOD_AVAILABLE_IN_0_1
HiodIommufdViommu *hiod_host_iommu_device_iommufd_alloc_viommu(HiodHostIommuDeviceIommufd *self,
							       guint32 viommu_type,
							       guint32 parent_hwpt_id,
							       GBytes *data, GError **error);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_viommu_get_id(HiodIommufdViommu *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_viommu_get_viommu_type(HiodIommufdViommu *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_viommu_get_parent_hwpt_id(HiodIommufdViommu *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_viommu_get_dev_id(HiodIommufdViommu *self);
HIOD_AVAILABLE_IN_0_1
GBytes *hiod_iommufd_viommu_get_data(HiodIommufdViommu *self);
HIOD_AVAILABLE_IN_0_1
HiodIommufdBackend *hiod_iommufd_viommu_get_backend(HiodIommufdViommu *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_viommu_destroy(HiodIommufdViommu *self, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_viommu_alloc_hwpt(HiodIommufdViommu *self, HiodHostIommuDeviceIommufd *device,
					HiodHwptAllocFlags flags, guint32 data_type,
					gconstpointer data, gsize data_len, guint32 *hwpt_id,
					GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_viommu_invalidate(HiodIommufdViommu *self, guint32 data_type,
					guint32 entry_len, guint32 *entry_num, gconstpointer data,
					GError **error);

G_END_DECLS

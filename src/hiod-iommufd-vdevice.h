/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-iommufd-viommu.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_IOMMUFD_VDEVICE (hiod_iommufd_vdevice_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodIommufdVdevice, hiod_iommufd_vdevice, HIOD, IOMMUFD_VDEVICE, GObject)

HIOD_AVAILABLE_IN_0_1
HiodIommufdVdevice *hiod_iommufd_viommu_alloc_vdevice(HiodIommufdViommu *self,
						      HiodHostIommuDeviceIommufd *device,
						      guint64 virt_id, GError **error);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_vdevice_get_id(HiodIommufdVdevice *self);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_iommufd_vdevice_get_virt_id(HiodIommufdVdevice *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_vdevice_get_dev_id(HiodIommufdVdevice *self);
HIOD_AVAILABLE_IN_0_1
HiodIommufdViommu *hiod_iommufd_vdevice_get_viommu(HiodIommufdVdevice *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_vdevice_destroy(HiodIommufdVdevice *self, GError **error);

G_END_DECLS

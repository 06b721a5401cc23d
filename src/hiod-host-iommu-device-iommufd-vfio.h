/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-host-iommu-device-iommufd.h"
#include "hiod-version.h"
#include "hiod-vtd-caps.h"
#include "hiod-amd-caps.h"
#include "hiod-smmuv3-caps.h"

G_BEGIN_DECLS

#define HIOD_TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO (hiod_host_iommu_device_iommufd_vfio_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodHostIommuDeviceIommufdVfio, hiod_host_iommu_device_iommufd_vfio, HIOD,
		     HOST_IOMMU_DEVICE_IOMMUFD_VFIO, HiodHostIommuDeviceIommufd)

HIOD_AVAILABLE_IN_0_1
HiodVtdCaps *hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(HiodHostIommuDeviceIommufdVfio *self);
HIOD_AVAILABLE_IN_0_1
HiodAmdCaps *hiod_host_iommu_device_iommufd_vfio_get_amd_caps(HiodHostIommuDeviceIommufdVfio *self);
HIOD_AVAILABLE_IN_0_1
HiodSmmuv3Caps *hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps(HiodHostIommuDeviceIommufdVfio *self);

G_END_DECLS

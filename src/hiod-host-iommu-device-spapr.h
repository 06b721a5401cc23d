/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-host-iommu-device.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_HOST_IOMMU_DEVICE_SPAPR (hiod_host_iommu_device_spapr_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodHostIommuDeviceSpapr, hiod_host_iommu_device_spapr, HIOD,
		     HOST_IOMMU_DEVICE_SPAPR, HiodHostIommuDevice)

G_END_DECLS

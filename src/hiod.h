/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhiod: the host side of Linux device assignment.
 */
#pragma once

#define HIOD_INSIDE

#include "hiod-version.h"
#include "hiod-features.h"
#include "hiod-enum-types.h"
#include "hiod-error.h"
#include "hiod-context.h"
#include "hiod-iova-range.h"
#include "hiod-host-iommu-caps.h"
#include "hiod-assigned-device.h"
#include "hiod-host-iommu-device.h"
#include "hiod-pci-device-info.h"
#include "hiod-container.h"
#include "hiod-vfio-device.h"
#include "hiod-address-space.h"
#include "hiod-viommu-flags.h"
#include "hiod-viommu-verdict.h"
#include "hiod-viommu.h"
#include "hiod-vtd-viommu.h"
#include "hiod-virtio-viommu.h"
#include "hiod-smmuv3-viommu.h"
#include "hiod-pci-topology.h"
#include "hiod-launch-plan.h"
#include "hiod-live-update.h"
/* backends: their headers are installed only when the backend is built
 * (hiod-features.h says which were) */
#if HIOD_FEATURE_LEGACY_VFIO
#include "hiod-legacy-container.h"
#include "hiod-host-iommu-device-legacy-vfio.h"
#endif

#if HIOD_FEATURE_VDPA
#include "hiod-vdpa-device.h"
#include "hiod-vdpa-container.h"
#include "hiod-host-iommu-device-vdpa.h"
#endif

#if HIOD_FEATURE_IOMMUFD
#include "hiod-iommufd-backend.h"
#include "hiod-iommufd-container.h"
#include "hiod-host-iommu-device-iommufd.h"
#include "hiod-host-iommu-device-iommufd-vfio.h"
#include "hiod-iommufd-viommu.h"
#include "hiod-iommufd-vdevice.h"
#include "hiod-iommufd-veventq.h"
#include "hiod-iommufd-hw-queue.h"
#include "hiod-vtd-caps.h"
#include "hiod-amd-caps.h"
#include "hiod-smmuv3-caps.h"
#endif

#if HIOD_FEATURE_SPAPR
#include "hiod-spapr-container.h"
#include "hiod-host-iommu-device-spapr.h"
#endif

#undef HIOD_INSIDE

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodIommuType:
 * @HIOD_IOMMU_TYPE_UNKNOWN: the backend cannot tell (legacy VFIO type1 reports no type)
 * @HIOD_IOMMU_TYPE_NONE: the kernel driver reports no hardware information
 * @HIOD_IOMMU_TYPE_INTEL_VTD: Intel VT-d
 * @HIOD_IOMMU_TYPE_ARM_SMMUV3: Arm SMMUv3
 * @HIOD_IOMMU_TYPE_SPAPR_TCE: IBM POWER sPAPR TCE tables
 * @HIOD_IOMMU_TYPE_VDPA: the vDPA device's own translation (vhost IOTLB)
 * @HIOD_IOMMU_TYPE_SELFTEST: the iommufd selftest mock (CONFIG_IOMMUFD_TEST)
 * @HIOD_IOMMU_TYPE_AMD_VI: AMD-Vi (the kernel reports it from Linux 7.3 with
 *   CONFIG_AMD_IOMMU_IOMMUFD; older kernels say none)
 *
 * The kind of physical IOMMU behind a host IOMMU device.
 *
 * Since: 0.1
 */
typedef enum {
	HIOD_IOMMU_TYPE_UNKNOWN,
	HIOD_IOMMU_TYPE_NONE,
	HIOD_IOMMU_TYPE_INTEL_VTD,
	HIOD_IOMMU_TYPE_ARM_SMMUV3,
	HIOD_IOMMU_TYPE_SPAPR_TCE,
	HIOD_IOMMU_TYPE_VDPA,
	HIOD_IOMMU_TYPE_SELFTEST,
	HIOD_IOMMU_TYPE_AMD_VI,
} HiodIommuType;

/**
 * HiodHwCaps:
 * @HIOD_HW_CAPS_NONE: nothing
 * @HIOD_HW_CAPS_DIRTY_TRACKING: the IOMMU tracks DMA writes (IOMMU_HW_CAP_DIRTY_TRACKING)
 * @HIOD_HW_CAPS_PCI_PASID_EXEC: PASID with execute permission
 * @HIOD_HW_CAPS_PCI_PASID_PRIV: PASID with privileged mode
 * @HIOD_HW_CAPS_PCI_ATS_NOT_SUPPORTED: the device cannot use ATS (reported
 *   from Linux 7.3; absent, ATS may be enabled)
 *
 * Hardware-information capability flags, as the kernel reports them.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	HIOD_HW_CAPS_NONE = 0,
	HIOD_HW_CAPS_DIRTY_TRACKING = 1 << 0,
	HIOD_HW_CAPS_PCI_PASID_EXEC = 1 << 1,
	HIOD_HW_CAPS_PCI_PASID_PRIV = 1 << 2,
	HIOD_HW_CAPS_PCI_ATS_NOT_SUPPORTED = 1 << 3,
} HiodHwCaps;

/**
 * HiodHostIommuCaps:
 *
 * What a realized host IOMMU device learned about the physical IOMMU. An
 * immutable, reference-counted value: once made it never changes, so it can
 * be handed to a vIOMMU and kept.
 *
 * Threads: immutable once made (reference counted): share it between
 * threads freely.
 *
 * Since: 0.1
 */
typedef struct _HiodHostIommuCaps HiodHostIommuCaps;

#define HIOD_TYPE_HOST_IOMMU_CAPS (hiod_host_iommu_caps_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_host_iommu_caps_get_type(void);

HIOD_AVAILABLE_IN_0_1
HiodHostIommuCaps *hiod_host_iommu_caps_new(HiodIommuType type, guint32 hw_info_type,
					    guint aw_bits, HiodHwCaps hw_caps,
					    guint max_pasid_log2, GBytes *vendor_data);
HIOD_AVAILABLE_IN_0_1
HiodHostIommuCaps *hiod_host_iommu_caps_ref(HiodHostIommuCaps *self);
HIOD_AVAILABLE_IN_0_1
void hiod_host_iommu_caps_unref(HiodHostIommuCaps *self);

HIOD_AVAILABLE_IN_0_1
HiodIommuType hiod_host_iommu_caps_get_iommu_type(const HiodHostIommuCaps *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_host_iommu_caps_get_hw_info_type(const HiodHostIommuCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_host_iommu_caps_get_aw_bits(const HiodHostIommuCaps *self);
HIOD_AVAILABLE_IN_0_1
HiodHwCaps hiod_host_iommu_caps_get_hw_caps(const HiodHostIommuCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_host_iommu_caps_get_max_pasid_log2(const HiodHostIommuCaps *self);
HIOD_AVAILABLE_IN_0_1
GBytes *hiod_host_iommu_caps_get_vendor_data(const HiodHostIommuCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_caps_equal(const HiodHostIommuCaps *a, const HiodHostIommuCaps *b);
HIOD_AVAILABLE_IN_0_1
void hiod_host_iommu_caps_to_json(const HiodHostIommuCaps *self, JsonBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodHostIommuCaps, hiod_host_iommu_caps_unref)

G_END_DECLS

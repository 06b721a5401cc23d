/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-container.h"
#include "hiod-host-iommu-caps.h"
#include "hiod-version.h"
#include "hiod-viommu.h"

G_BEGIN_DECLS

/**
 * HiodOnOffAuto:
 * @HIOD_ON_OFF_AUTO_AUTO: what the host has (QEMU resolves it from the first
 *   cold-plugged device)
 * @HIOD_ON_OFF_AUTO_ON: on: the host must have it
 * @HIOD_ON_OFF_AUTO_OFF: off: not offered to the guest
 *
 * A vIOMMU feature setting as QEMU's OnOffAuto properties take it (nicks
 * "auto", "on", "off").
 *
 * Since: 0.1
 */
typedef enum {
	HIOD_ON_OFF_AUTO_AUTO,
	HIOD_ON_OFF_AUTO_ON,
	HIOD_ON_OFF_AUTO_OFF,
} HiodOnOffAuto;

/**
 * HiodSmmuv3Viommu:
 *
 * The ARM SMMUv3 vIOMMU policy (QEMU 11's arm-smmuv3 and its accel=on
 * checks): an emulated SMMUv3 cannot serve an assigned device (it has no
 * MAP notifications); with accel=on the guest's stage 1 is nested on the
 * host SMMUv3's stage 2, so the host must be an SMMUv3 reached through
 * iommufd whose identification registers cover what the vSMMU advertises
 * (stream table format, endianness, table format, StreamID and SubstreamID
 * widths, range invalidation, output address size, granules, ATS).
 *
 * Threads: thread-safe: one lock guards the devices it holds.
 *
 * Since: 0.1
 */
#define HIOD_TYPE_SMMUV3_VIOMMU (hiod_smmuv3_viommu_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodSmmuv3Viommu, hiod_smmuv3_viommu, HIOD, SMMUV3_VIOMMU, GObject)

HIOD_AVAILABLE_IN_0_1
HiodSmmuv3Viommu *hiod_smmuv3_viommu_new(gboolean accel);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_viommu_get_accel(HiodSmmuv3Viommu *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_viommu_get_n_devices(HiodSmmuv3Viommu *self);

HIOD_AVAILABLE_IN_0_1
HiodViommuVerdict *hiod_smmuv3_viommu_check_caps(HiodSmmuv3Viommu *self, HiodHostIommuCaps *caps,
						 HiodBackendKind backend);

G_END_DECLS

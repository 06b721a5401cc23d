/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-container.h"
#include "hiod-version.h"
#include "hiod-viommu.h"

G_BEGIN_DECLS

/**
 * HiodVtdViommu:
 *
 * The Intel VT-d vIOMMU policy (QEMU's intel-iommu checks): address width,
 * first-stage translation (nesting) and what it needs of the host.
 *
 * Threads: thread-safe: one lock guards the devices it holds.
 *
 * Since: 0.1
 */
#define HIOD_TYPE_VTD_VIOMMU (hiod_vtd_viommu_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodVtdViommu, hiod_vtd_viommu, HIOD, VTD_VIOMMU, GObject)

HIOD_AVAILABLE_IN_0_1
HiodVtdViommu *hiod_vtd_viommu_new(guint aw_bits, gboolean x_flts);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_viommu_get_aw_bits(HiodVtdViommu *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_viommu_get_x_flts(HiodVtdViommu *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_viommu_get_fs1gp(HiodVtdViommu *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_viommu_get_pasid_bits(HiodVtdViommu *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_viommu_get_n_devices(HiodVtdViommu *self);

HIOD_AVAILABLE_IN_0_1
HiodViommuVerdict *hiod_vtd_viommu_check_caps(HiodVtdViommu *self, HiodHostIommuCaps *caps,
					      HiodBackendKind backend, gboolean aliased);

G_END_DECLS

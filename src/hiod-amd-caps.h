/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "hiod-host-iommu-caps.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodAmdCaps:
 *
 * The AMD-Vi (AMD IOMMU) Extended Feature registers EFR and EFR2 of a host
 * IOMMU, decoded: what the kernel reports in IOMMU_GET_HW_INFO with type
 * IOMMU_HW_INFO_TYPE_AMD (Linux 7.3 with CONFIG_AMD_IOMMU_IOMMUFD). An
 * immutable, reference-counted value.
 *
 * Since: 0.1
 */
typedef struct _HiodAmdCaps HiodAmdCaps;

#define HIOD_TYPE_AMD_CAPS (hiod_amd_caps_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_amd_caps_get_type(void);

HIOD_AVAILABLE_IN_0_1
HiodAmdCaps *hiod_amd_caps_new(guint64 efr, guint64 efr2);
HIOD_AVAILABLE_IN_0_1
HiodAmdCaps *hiod_amd_caps_new_from_host_caps(const HiodHostIommuCaps *caps);
HIOD_AVAILABLE_IN_0_1
HiodAmdCaps *hiod_amd_caps_ref(HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
void hiod_amd_caps_unref(HiodAmdCaps *self);

HIOD_AVAILABLE_IN_0_1
guint64 hiod_amd_caps_get_efr(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_amd_caps_get_efr2(const HiodAmdCaps *self);

HIOD_AVAILABLE_IN_0_1
gboolean hiod_amd_caps_get_ppr(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_amd_caps_get_x2apic(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_amd_caps_get_nx(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_amd_caps_get_guest_translation(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_amd_caps_get_guest_apic(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_amd_caps_get_host_levels(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_amd_caps_get_guest_levels(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_amd_caps_get_pasid_width(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_amd_caps_get_host_access(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_amd_caps_get_dirty_tracking(const HiodAmdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_amd_caps_get_snp(const HiodAmdCaps *self);

HIOD_AVAILABLE_IN_0_1
void hiod_amd_caps_to_json(const HiodAmdCaps *self, JsonBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodAmdCaps, hiod_amd_caps_unref)

G_END_DECLS

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
 * HiodSmmuv3Caps:
 *
 * The ARM SMMUv3 identification registers of a host IOMMU (IDR0-IDR5, IIDR,
 * AIDR), decoded: what the kernel reports in IOMMU_GET_HW_INFO with type
 * IOMMU_HW_INFO_TYPE_ARM_SMMUV3 (Linux 6.13 and later). The kernel passes
 * the raw registers; its header names the fields a VMM may rely on (IDR0
 * ST_LEVEL, TERM_MODEL, STALL_MODEL, TTENDIAN, CD2L, ASID16, TTF; IDR1
 * SIDSIZE, SSIDSIZE; IDR3 BBML, RIL; IDR5 VAX, GRAN64K, GRAN16K, GRAN4K,
 * DS). The others are decoded too, for what they say about the hardware.
 * An immutable, reference-counted value.
 *
 * Threads: immutable once made: read it from any thread.
 *
 * Since: 0.1
 */
typedef struct _HiodSmmuv3Caps HiodSmmuv3Caps;

#define HIOD_TYPE_SMMUV3_CAPS (hiod_smmuv3_caps_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_smmuv3_caps_get_type(void);

HIOD_AVAILABLE_IN_0_1
HiodSmmuv3Caps *hiod_smmuv3_caps_new(const guint32 *idr, gsize n_idr, guint32 iidr, guint32 aidr,
				     guint32 flags);
HIOD_AVAILABLE_IN_0_1
HiodSmmuv3Caps *hiod_smmuv3_caps_new_from_host_caps(const HiodHostIommuCaps *caps);
HIOD_AVAILABLE_IN_0_1
HiodSmmuv3Caps *hiod_smmuv3_caps_ref(HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
void hiod_smmuv3_caps_unref(HiodSmmuv3Caps *self);

HIOD_AVAILABLE_IN_0_1
guint32 hiod_smmuv3_caps_get_idr(const HiodSmmuv3Caps *self, guint index);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_smmuv3_caps_get_iidr(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_smmuv3_caps_get_aidr(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_smmuv3_caps_get_flags(const HiodSmmuv3Caps *self);

HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_stage1(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_stage2(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_nesting(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_aarch64_tables(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_aarch32_tables(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_coherent(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_btm(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_httu(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_ats(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_pri(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_msi(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_sev(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_asid_bits(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_vmid_bits(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_two_level_stream_table(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_two_level_cd_table(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_ttendian(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_little_endian_tables(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_stall_model(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_term_model(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_sid_bits(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_ssid_bits(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_fwb(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_ril(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_bbml(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_oas_bits(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_va_bits(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_smmuv3_caps_get_granules(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_smmuv3_caps_get_ds(const HiodSmmuv3Caps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_smmuv3_caps_get_arch_minor(const HiodSmmuv3Caps *self);

HIOD_AVAILABLE_IN_0_1
void hiod_smmuv3_caps_to_json(const HiodSmmuv3Caps *self, JsonBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodSmmuv3Caps, hiod_smmuv3_caps_unref)

G_END_DECLS

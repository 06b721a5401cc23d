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
 * HiodVtdCaps:
 *
 * The Intel VT-d Capability and Extended Capability registers of a host
 * IOMMU, decoded. An immutable, reference-counted value.
 *
 * Threads: immutable once made: read it from any thread.
 *
 * Since: 0.1
 */
typedef struct _HiodVtdCaps HiodVtdCaps;

#define HIOD_TYPE_VTD_CAPS (hiod_vtd_caps_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_vtd_caps_get_type(void);

HIOD_AVAILABLE_IN_0_1
HiodVtdCaps *hiod_vtd_caps_new(guint64 cap, guint64 ecap, guint32 flags);
HIOD_AVAILABLE_IN_0_1
HiodVtdCaps *hiod_vtd_caps_new_from_host_caps(const HiodHostIommuCaps *caps);
HIOD_AVAILABLE_IN_0_1
HiodVtdCaps *hiod_vtd_caps_ref(HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
void hiod_vtd_caps_unref(HiodVtdCaps *self);

HIOD_AVAILABLE_IN_0_1
guint64 hiod_vtd_caps_get_cap(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_vtd_caps_get_ecap(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_vtd_caps_get_flags(const HiodVtdCaps *self);

/* CAP */
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_caps_get_address_width(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_caps_get_sagaw(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_vtd_caps_get_num_domains(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_caps_get_sllps(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_second_stage_2m(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_second_stage_1g(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_first_stage_1g(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_first_stage_5level(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_caching_mode(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_page_selective_invalidation(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_caps_get_fault_recording_offset(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_caps_get_num_fault_records(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_caps_get_mamv(const HiodVtdCaps *self);

/* ECAP */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_coherent(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_queued_invalidation(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_device_tlb(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_interrupt_remapping(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_pass_through(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_snoop_control(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_nest(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_prs(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_ers(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_srs(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_pasid(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_caps_get_pss(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_smts(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_slads(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_slts(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_flts(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_smpwc(const HiodVtdCaps *self);

/* what the 6.12 driver derives from them */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_scalable_mode(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_nesting(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vtd_caps_get_dirty_tracking(const HiodVtdCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vtd_caps_get_pasid_width(const HiodVtdCaps *self);

HIOD_AVAILABLE_IN_0_1
void hiod_vtd_caps_to_json(const HiodVtdCaps *self, JsonBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodVtdCaps, hiod_vtd_caps_unref)

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "hiod-json-private.h"
#include "hiod-vtd-caps.h"

/* Written from the Intel VT-d specification's register layout (Capability
 * Register, Extended Capability Register); see kernel-uapi.md section 5. */

struct _HiodVtdCaps {
	gatomicrefcount refcount;
	guint64 cap;
	guint64 ecap;
	guint32 flags;
};

G_DEFINE_BOXED_TYPE(HiodVtdCaps, hiod_vtd_caps, hiod_vtd_caps_ref, hiod_vtd_caps_unref)

static inline guint64
hiod_bits(guint64 reg, guint shift, guint width)
{
	return (reg >> shift) & ((G_GUINT64_CONSTANT(1) << width) - 1);
}

/**
 * hiod_vtd_caps_new:
 * @cap: the raw Capability register
 * @ecap: the raw Extended Capability register
 * @flags: the kernel's IOMMU_HW_INFO_VTD_* flags (bit 0: errata 772415, no
 *   read-only mappings on a nesting parent)
 *
 * Returns a new immutable #HiodVtdCaps.
 *
 * Returns: (transfer full): a new immutable #HiodVtdCaps
 *
 * Since: 0.1
 */
HiodVtdCaps *
hiod_vtd_caps_new(guint64 cap, guint64 ecap, guint32 flags)
{
	HiodVtdCaps *self = g_new0(HiodVtdCaps, 1);
	g_atomic_ref_count_init(&self->refcount);
	self->cap = cap;
	self->ecap = ecap;
	self->flags = flags;
	return self;
}

/**
 * hiod_vtd_caps_new_from_host_caps:
 * @caps: the caps of a realized host IOMMU device
 *
 * Decodes the vendor data of an Intel VT-d host IOMMU (struct
 * iommu_hw_info_vtd: flags u32, reserved u32, cap u64, ecap u64).
 *
 * Returns: (transfer full) (nullable): the decoded registers, %NULL when
 * @caps is not VT-d or carries no register values
 *
 * Since: 0.1
 */
HiodVtdCaps *
hiod_vtd_caps_new_from_host_caps(const HiodHostIommuCaps *caps)
{
	GBytes *data;
	const guint8 *p;
	gsize len = 0;
	guint32 flags;
	guint64 cap, ecap;

	g_return_val_if_fail(caps != NULL, NULL);
	if (hiod_host_iommu_caps_get_iommu_type(caps) != HIOD_IOMMU_TYPE_INTEL_VTD)
		return NULL;
	data = hiod_host_iommu_caps_get_vendor_data(caps);
	if (data == NULL)
		return NULL;
	p = g_bytes_get_data(data, &len);
	if (len < 24)
		return NULL;
	memcpy(&flags, p, 4);
	memcpy(&cap, p + 8, 8);
	memcpy(&ecap, p + 16, 8);
	return hiod_vtd_caps_new(cap, ecap, flags);
}

/**
 * hiod_vtd_caps_ref:
 * @self: a #HiodVtdCaps
 *
 * Returns @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
HiodVtdCaps *
hiod_vtd_caps_ref(HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_atomic_ref_count_inc(&self->refcount);
	return self;
}

/**
 * hiod_vtd_caps_unref:
 * @self: (transfer full): a #HiodVtdCaps
 *
 * Drops a reference; the value is freed with the last one.
 *
 * Since: 0.1
 */
void
hiod_vtd_caps_unref(HiodVtdCaps *self)
{
	g_return_if_fail(self != NULL);
	if (g_atomic_ref_count_dec(&self->refcount))
		g_free(self);
}

/**
 * hiod_vtd_caps_get_cap:
 * @self: a #HiodVtdCaps
 *
 * Gets the raw Capability register.
 *
 * Returns: the raw Capability register
 *
 * Since: 0.1
 */
guint64
hiod_vtd_caps_get_cap(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->cap;
}

/**
 * hiod_vtd_caps_get_ecap:
 * @self: a #HiodVtdCaps
 *
 * Gets the raw Extended Capability register.
 *
 * Returns: the raw Extended Capability register
 *
 * Since: 0.1
 */
guint64
hiod_vtd_caps_get_ecap(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->ecap;
}

/**
 * hiod_vtd_caps_get_flags:
 * @self: a #HiodVtdCaps
 *
 * Gets the kernel's IOMMU_HW_INFO_VTD_* flags.
 *
 * Returns: the kernel's IOMMU_HW_INFO_VTD_* flags
 *
 * Since: 0.1
 */
guint32
hiod_vtd_caps_get_flags(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->flags;
}

/**
 * hiod_vtd_caps_get_num_domains:
 * @self: a #HiodVtdCaps
 *
 * Gets the number of domains the IOMMU supports (ND, bits 2:0: 2^(4 + 2 * ND)).
 *
 * Returns: the number of domains the IOMMU supports (ND, bits 2:0: 2^(4 + 2 * ND))
 *
 * Since: 0.1
 */
guint64
hiod_vtd_caps_get_num_domains(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return G_GUINT64_CONSTANT(1) << (4 + 2 * hiod_bits(self->cap, 0, 3));
}
/**
 * hiod_vtd_caps_get_address_width:
 * @self: a #HiodVtdCaps
 *
 * Gets the maximum guest address width, from MGAW (bits 21:16) + 1.
 *
 * Returns: the maximum guest address width, from MGAW (bits 21:16) + 1
 *
 * Since: 0.1
 */
guint
hiod_vtd_caps_get_address_width(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return (guint)(hiod_bits(self->cap, 16, 6) + 1);
}
/**
 * hiod_vtd_caps_get_sagaw:
 * @self: a #HiodVtdCaps
 *
 * Gets the supported adjusted guest address widths (SAGAW, bits 12:8; bit 1: 39-bit 3-level, bit 2: 48-bit 4-level, bit 3: 57-bit 5-level).
 *
 * Returns: the supported adjusted guest address widths (SAGAW, bits 12:8; bit 1: 39-bit 3-level, bit 2: 48-bit 4-level, bit 3: 57-bit 5-level)
 *
 * Since: 0.1
 */
guint
hiod_vtd_caps_get_sagaw(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return (guint)hiod_bits(self->cap, 8, 5);
}
/**
 * hiod_vtd_caps_get_sllps:
 * @self: a #HiodVtdCaps
 *
 * Gets the second-stage large page sizes (SLLPS, bits 37:34; bit 0: 2 MiB, bit 1: 1 GiB).
 *
 * Returns: the second-stage large page sizes (SLLPS, bits 37:34; bit 0: 2 MiB, bit 1: 1 GiB)
 *
 * Since: 0.1
 */
guint
hiod_vtd_caps_get_sllps(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return (guint)hiod_bits(self->cap, 34, 4);
}
/**
 * hiod_vtd_caps_get_second_stage_2m:
 * @self: a #HiodVtdCaps
 *
 * Tells whether second-stage tables take 2 MiB pages (SLLPS bit 0).
 *
 * Returns: whether second-stage tables take 2 MiB pages (SLLPS bit 0)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_second_stage_2m(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->cap, 34, 1) != 0;
}
/**
 * hiod_vtd_caps_get_second_stage_1g:
 * @self: a #HiodVtdCaps
 *
 * Tells whether second-stage tables take 1 GiB pages (SLLPS bit 1).
 *
 * Returns: whether second-stage tables take 1 GiB pages (SLLPS bit 1)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_second_stage_1g(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->cap, 35, 1) != 0;
}
/**
 * hiod_vtd_caps_get_first_stage_1g:
 * @self: a #HiodVtdCaps
 *
 * Tells whether first-stage tables take 1 GiB pages (FL1GP, bit 56).
 *
 * Returns: whether first-stage tables take 1 GiB pages (FL1GP, bit 56)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_first_stage_1g(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->cap, 56, 1) != 0;
}
/**
 * hiod_vtd_caps_get_first_stage_5level:
 * @self: a #HiodVtdCaps
 *
 * Tells whether first-stage tables can have 5 levels (FL5LP, bit 60).
 *
 * Returns: whether first-stage tables can have 5 levels (FL5LP, bit 60)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_first_stage_5level(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->cap, 60, 1) != 0;
}
/**
 * hiod_vtd_caps_get_caching_mode:
 * @self: a #HiodVtdCaps
 *
 * Tells whether not-present entries may be cached (CM, bit 7; set by emulated IOMMUs).
 *
 * Returns: whether not-present entries may be cached (CM, bit 7; set by emulated IOMMUs)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_caching_mode(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->cap, 7, 1) != 0;
}
/**
 * hiod_vtd_caps_get_page_selective_invalidation:
 * @self: a #HiodVtdCaps
 *
 * Tells whether IOTLB invalidation can be page-selective (PSI, bit 39).
 *
 * Returns: whether IOTLB invalidation can be page-selective (PSI, bit 39)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_page_selective_invalidation(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->cap, 39, 1) != 0;
}
/**
 * hiod_vtd_caps_get_fault_recording_offset:
 * @self: a #HiodVtdCaps
 *
 * Gets the fault recording registers' offset in bytes (FRO, bits 33:24, times 16).
 *
 * Returns: the fault recording registers' offset in bytes (FRO, bits 33:24, times 16)
 *
 * Since: 0.1
 */
guint
hiod_vtd_caps_get_fault_recording_offset(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return (guint)(hiod_bits(self->cap, 24, 10) * 16);
}
/**
 * hiod_vtd_caps_get_num_fault_records:
 * @self: a #HiodVtdCaps
 *
 * Gets the number of fault recording registers (NFR, bits 47:40, + 1).
 *
 * Returns: the number of fault recording registers (NFR, bits 47:40, + 1)
 *
 * Since: 0.1
 */
guint
hiod_vtd_caps_get_num_fault_records(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return (guint)(hiod_bits(self->cap, 40, 8) + 1);
}
/**
 * hiod_vtd_caps_get_mamv:
 * @self: a #HiodVtdCaps
 *
 * Gets the maximum address mask value of page-selective invalidation (MAMV, bits 53:48).
 *
 * Returns: the maximum address mask value of page-selective invalidation (MAMV, bits 53:48)
 *
 * Since: 0.1
 */
guint
hiod_vtd_caps_get_mamv(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return (guint)hiod_bits(self->cap, 48, 6);
}
/**
 * hiod_vtd_caps_get_coherent:
 * @self: a #HiodVtdCaps
 *
 * Tells whether the IOMMU snoops its page-table walks (C, bit 0).
 *
 * Returns: whether the IOMMU snoops its page-table walks (C, bit 0)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_coherent(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 0, 1) != 0;
}
/**
 * hiod_vtd_caps_get_queued_invalidation:
 * @self: a #HiodVtdCaps
 *
 * Tells whether queued invalidation is supported (QI, bit 1).
 *
 * Returns: whether queued invalidation is supported (QI, bit 1)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_queued_invalidation(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 1, 1) != 0;
}
/**
 * hiod_vtd_caps_get_device_tlb:
 * @self: a #HiodVtdCaps
 *
 * Tells whether device TLBs (ATS) are supported (DT, bit 2).
 *
 * Returns: whether device TLBs (ATS) are supported (DT, bit 2)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_device_tlb(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 2, 1) != 0;
}
/**
 * hiod_vtd_caps_get_interrupt_remapping:
 * @self: a #HiodVtdCaps
 *
 * Tells whether interrupt remapping is supported (IR, bit 3).
 *
 * Returns: whether interrupt remapping is supported (IR, bit 3)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_interrupt_remapping(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 3, 1) != 0;
}
/**
 * hiod_vtd_caps_get_pass_through:
 * @self: a #HiodVtdCaps
 *
 * Tells whether pass-through translation is supported (PT, bit 6).
 *
 * Returns: whether pass-through translation is supported (PT, bit 6)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_pass_through(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 6, 1) != 0;
}
/**
 * hiod_vtd_caps_get_snoop_control:
 * @self: a #HiodVtdCaps
 *
 * Tells whether snoop control is supported (SC, bit 7): enforced cache coherency.
 *
 * Returns: whether snoop control is supported (SC, bit 7): enforced cache coherency
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_snoop_control(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 7, 1) != 0;
}
/**
 * hiod_vtd_caps_get_nest:
 * @self: a #HiodVtdCaps
 *
 * Tells whether nested translation is supported (NEST, bit 26).
 *
 * Returns: whether nested translation is supported (NEST, bit 26)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_nest(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 26, 1) != 0;
}
/**
 * hiod_vtd_caps_get_prs:
 * @self: a #HiodVtdCaps
 *
 * Tells whether page requests are supported (PRS, bit 29).
 *
 * Returns: whether page requests are supported (PRS, bit 29)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_prs(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 29, 1) != 0;
}
/**
 * hiod_vtd_caps_get_ers:
 * @self: a #HiodVtdCaps
 *
 * Tells whether execute requests are supported (ERS, bit 30).
 *
 * Returns: whether execute requests are supported (ERS, bit 30)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_ers(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 30, 1) != 0;
}
/**
 * hiod_vtd_caps_get_srs:
 * @self: a #HiodVtdCaps
 *
 * Tells whether supervisor requests are supported (SRS, bit 31).
 *
 * Returns: whether supervisor requests are supported (SRS, bit 31)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_srs(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 31, 1) != 0;
}
/**
 * hiod_vtd_caps_get_pasid:
 * @self: a #HiodVtdCaps
 *
 * Tells whether PASID is supported (PASID, bit 40).
 *
 * Returns: whether PASID is supported (PASID, bit 40)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_pasid(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 40, 1) != 0;
}
/**
 * hiod_vtd_caps_get_pss:
 * @self: a #HiodVtdCaps
 *
 * Gets the PASID size supported field (PSS, bits 39:35).
 *
 * Returns: the PASID size supported field (PSS, bits 39:35)
 *
 * Since: 0.1
 */
guint
hiod_vtd_caps_get_pss(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return (guint)hiod_bits(self->ecap, 35, 5);
}
/**
 * hiod_vtd_caps_get_smts:
 * @self: a #HiodVtdCaps
 *
 * Tells whether scalable-mode translation is supported (SMTS, bit 43).
 *
 * Returns: whether scalable-mode translation is supported (SMTS, bit 43)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_smts(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 43, 1) != 0;
}
/**
 * hiod_vtd_caps_get_slads:
 * @self: a #HiodVtdCaps
 *
 * Tells whether second-stage accessed/dirty bits are supported (SLADS, bit 45).
 *
 * Returns: whether second-stage accessed/dirty bits are supported (SLADS, bit 45)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_slads(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 45, 1) != 0;
}
/**
 * hiod_vtd_caps_get_slts:
 * @self: a #HiodVtdCaps
 *
 * Tells whether second-stage translation is supported in scalable mode (SLTS, bit 46).
 *
 * Returns: whether second-stage translation is supported in scalable mode (SLTS, bit 46)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_slts(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 46, 1) != 0;
}
/**
 * hiod_vtd_caps_get_flts:
 * @self: a #HiodVtdCaps
 *
 * Tells whether first-stage translation is supported (FLTS, bit 47).
 *
 * Returns: whether first-stage translation is supported (FLTS, bit 47)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_flts(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 47, 1) != 0;
}
/**
 * hiod_vtd_caps_get_smpwc:
 * @self: a #HiodVtdCaps
 *
 * Tells whether scalable-mode page walks are coherent (SMPWC, bit 48).
 *
 * Returns: whether scalable-mode page walks are coherent (SMPWC, bit 48)
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_smpwc(const HiodVtdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->ecap, 48, 1) != 0;
}
/**
 * hiod_vtd_caps_get_scalable_mode:
 * @self: a #HiodVtdCaps
 *
 * Tells whether the IOMMU can run in scalable mode (SMTS); Linux then uses it.
 *
 * Returns: whether the IOMMU can run in scalable mode (SMTS); Linux then uses it
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_scalable_mode(const HiodVtdCaps *self)
{
	return hiod_vtd_caps_get_smts(self);
}

/**
 * hiod_vtd_caps_get_nesting:
 * @self: a #HiodVtdCaps
 *
 * Tells whether a nesting-parent page table can be had: scalable mode and NEST.
 *
 * Returns: whether a nesting-parent page table can be had: scalable mode and NEST
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_nesting(const HiodVtdCaps *self)
{
	return hiod_vtd_caps_get_smts(self) && hiod_vtd_caps_get_nest(self);
}

/**
 * hiod_vtd_caps_get_dirty_tracking:
 * @self: a #HiodVtdCaps
 *
 * Tells whether second-stage dirty tracking works: scalable mode, SLADS and SMPWC.
 *
 * Returns: whether second-stage dirty tracking works: scalable mode, SLADS and SMPWC
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_caps_get_dirty_tracking(const HiodVtdCaps *self)
{
	return hiod_vtd_caps_get_smts(self) && hiod_vtd_caps_get_slads(self) &&
	       hiod_vtd_caps_get_smpwc(self);
}

/**
 * hiod_vtd_caps_get_pasid_width:
 * @self: a #HiodVtdCaps
 *
 * Gets the PASID width in bits (PSS + 1), 0 without PASID support.
 *
 * Returns: the PASID width in bits (PSS + 1), 0 without PASID support
 *
 * Since: 0.1
 */
guint
hiod_vtd_caps_get_pasid_width(const HiodVtdCaps *self)
{
	return hiod_vtd_caps_get_pasid(self) ? hiod_vtd_caps_get_pss(self) + 1 : 0;
}

/**
 * hiod_vtd_caps_to_json:
 * @self: a #HiodVtdCaps
 * @builder: a #JsonBuilder
 *
 * Adds the raw registers and every decoded field as a JSON object.
 *
 * Since: 0.1
 */
void
hiod_vtd_caps_to_json(const HiodVtdCaps *self, JsonBuilder *builder)
{
	json_builder_begin_object(builder);
	hiod_json_add_hex(builder, "cap", self->cap);
	hiod_json_add_hex(builder, "ecap", self->ecap);
	hiod_json_add_hex(builder, "flags", self->flags);
	hiod_json_add_bool(builder, "errata_772415_spr17", (self->flags & 1) != 0);
	hiod_json_add_int(builder, "num_domains", (gint64)hiod_vtd_caps_get_num_domains(self));
	hiod_json_add_int(builder, "address_width", hiod_vtd_caps_get_address_width(self));
	hiod_json_add_int(builder, "sagaw", hiod_vtd_caps_get_sagaw(self));
	hiod_json_add_int(builder, "sllps", hiod_vtd_caps_get_sllps(self));
	hiod_json_add_bool(builder, "second_stage_2m", hiod_vtd_caps_get_second_stage_2m(self));
	hiod_json_add_bool(builder, "second_stage_1g", hiod_vtd_caps_get_second_stage_1g(self));
	hiod_json_add_bool(builder, "first_stage_1g", hiod_vtd_caps_get_first_stage_1g(self));
	hiod_json_add_bool(builder, "first_stage_5level", hiod_vtd_caps_get_first_stage_5level(self));
	hiod_json_add_bool(builder, "caching_mode", hiod_vtd_caps_get_caching_mode(self));
	hiod_json_add_bool(builder, "page_selective_invalidation", hiod_vtd_caps_get_page_selective_invalidation(self));
	hiod_json_add_int(builder, "fault_recording_offset", hiod_vtd_caps_get_fault_recording_offset(self));
	hiod_json_add_int(builder, "num_fault_records", hiod_vtd_caps_get_num_fault_records(self));
	hiod_json_add_int(builder, "mamv", hiod_vtd_caps_get_mamv(self));
	hiod_json_add_bool(builder, "coherent", hiod_vtd_caps_get_coherent(self));
	hiod_json_add_bool(builder, "queued_invalidation", hiod_vtd_caps_get_queued_invalidation(self));
	hiod_json_add_bool(builder, "device_tlb", hiod_vtd_caps_get_device_tlb(self));
	hiod_json_add_bool(builder, "interrupt_remapping", hiod_vtd_caps_get_interrupt_remapping(self));
	hiod_json_add_bool(builder, "pass_through", hiod_vtd_caps_get_pass_through(self));
	hiod_json_add_bool(builder, "snoop_control", hiod_vtd_caps_get_snoop_control(self));
	hiod_json_add_bool(builder, "nest", hiod_vtd_caps_get_nest(self));
	hiod_json_add_bool(builder, "prs", hiod_vtd_caps_get_prs(self));
	hiod_json_add_bool(builder, "ers", hiod_vtd_caps_get_ers(self));
	hiod_json_add_bool(builder, "srs", hiod_vtd_caps_get_srs(self));
	hiod_json_add_bool(builder, "pasid", hiod_vtd_caps_get_pasid(self));
	hiod_json_add_int(builder, "pss", hiod_vtd_caps_get_pss(self));
	hiod_json_add_bool(builder, "smts", hiod_vtd_caps_get_smts(self));
	hiod_json_add_bool(builder, "slads", hiod_vtd_caps_get_slads(self));
	hiod_json_add_bool(builder, "slts", hiod_vtd_caps_get_slts(self));
	hiod_json_add_bool(builder, "flts", hiod_vtd_caps_get_flts(self));
	hiod_json_add_bool(builder, "smpwc", hiod_vtd_caps_get_smpwc(self));
	hiod_json_add_bool(builder, "scalable_mode", hiod_vtd_caps_get_scalable_mode(self));
	hiod_json_add_bool(builder, "nesting", hiod_vtd_caps_get_nesting(self));
	hiod_json_add_bool(builder, "dirty_tracking", hiod_vtd_caps_get_dirty_tracking(self));
	hiod_json_add_int(builder, "pasid_width", hiod_vtd_caps_get_pasid_width(self));
	json_builder_end_object(builder);
}

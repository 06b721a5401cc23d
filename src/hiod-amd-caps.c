/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "hiod-amd-caps.h"
#include "hiod-json-private.h"

/* Written from the register layout of the AMD I/O Virtualization Technology
 * (IOMMU) Specification (48882): MMIO 0x0030 Extended Feature Register (EFR)
 * and MMIO 0x01a0 Extended Feature 2 Register (EFR2); the field names are
 * the specification's. */

struct _HiodAmdCaps {
	gatomicrefcount refcount;
	guint64 efr;
	guint64 efr2;
};

G_DEFINE_BOXED_TYPE(HiodAmdCaps, hiod_amd_caps, hiod_amd_caps_ref, hiod_amd_caps_unref)

static inline guint64
hiod_bits(guint64 reg, guint shift, guint width)
{
	return (reg >> shift) & ((G_GUINT64_CONSTANT(1) << width) - 1);
}

/* one-bit features, JSON name and bit */
typedef struct {
	const gchar *name;
	guint bit;
} HiodAmdBit;

static const HiodAmdBit hiod_amd_efr_bits[] = {
    {"prefetch", 0},	  /* PreFSup: prefetch IOMMU pages command */
    {"ppr", 1},		  /* PPRSup: peripheral page requests */
    {"x2apic", 2},	  /* XTSup: x2APIC interrupt remapping */
    {"nx", 3},		  /* NXSup: no-execute protection */
    {"guest_translation", 4}, /* GTSup: guest (nested, per-PASID) translation */
    {"invalidate_all", 6}, /* IASup: INVALIDATE_IOMMU_ALL */
    {"guest_apic", 7},	  /* GASup: guest virtual APIC */
    {"hardware_error", 8}, /* HESup: hardware error registers */
    {"perf_counters", 9}, /* PCSup: performance counters */
    {"guest_vapic_mode", 21}, /* GAMSup: guest virtual APIC modes */
    {"guest_io_protection", 48}, /* GIoSup */
    {"host_access", 49},	 /* HASup: host access bit */
    {"enhanced_ppr", 50},	 /* EPHSup: enhanced PPR handling */
    {"host_dirty", 52},		 /* HDSup: host dirty bit */
    {"snp", 63},		 /* SNPSup: SEV-SNP */
};
static const HiodAmdBit hiod_amd_efr2_bits[] = {
    {"sev_snp_io", 1},	    /* SEVSNPIOSup */
    {"gcr3_trap_mode", 3},  /* GCR3TRPMode */
    {"ht_range_ignore", 11}, /* HTRangeIgnore */
};

/**
 * hiod_amd_caps_new:
 * @efr: the raw Extended Feature Register
 * @efr2: the raw Extended Feature 2 Register
 *
 * Returns a new immutable #HiodAmdCaps.
 *
 * Returns: (transfer full): a new immutable #HiodAmdCaps
 *
 * Since: 0.1
 */
HiodAmdCaps *
hiod_amd_caps_new(guint64 efr, guint64 efr2)
{
	HiodAmdCaps *self = g_new0(HiodAmdCaps, 1);
	g_atomic_ref_count_init(&self->refcount);
	self->efr = efr;
	self->efr2 = efr2;
	return self;
}

/**
 * hiod_amd_caps_new_from_host_caps:
 * @caps: the caps of a realized host IOMMU device
 *
 * Decodes the vendor data of an AMD-Vi host IOMMU (struct
 * iommu_hw_info_amd: efr u64, efr2 u64).
 *
 * Returns: (transfer full) (nullable): the decoded registers, %NULL when
 * @caps is not AMD-Vi or carries no register values
 *
 * Since: 0.1
 */
HiodAmdCaps *
hiod_amd_caps_new_from_host_caps(const HiodHostIommuCaps *caps)
{
	GBytes *data;
	const guint8 *p;
	gsize len = 0;
	guint64 efr, efr2;

	g_return_val_if_fail(caps != NULL, NULL);
	if (hiod_host_iommu_caps_get_iommu_type(caps) != HIOD_IOMMU_TYPE_AMD_VI)
		return NULL;
	data = hiod_host_iommu_caps_get_vendor_data(caps);
	if (data == NULL)
		return NULL;
	p = g_bytes_get_data(data, &len);
	if (len < 16)
		return NULL;
	memcpy(&efr, p, 8);
	memcpy(&efr2, p + 8, 8);
	return hiod_amd_caps_new(efr, efr2);
}

/**
 * hiod_amd_caps_ref:
 * @self: a #HiodAmdCaps
 *
 * Returns @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
HiodAmdCaps *
hiod_amd_caps_ref(HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_atomic_ref_count_inc(&self->refcount);
	return self;
}

/**
 * hiod_amd_caps_unref:
 * @self: (transfer full): a #HiodAmdCaps
 *
 * Drops a reference; the value is freed with the last one.
 *
 * Since: 0.1
 */
void
hiod_amd_caps_unref(HiodAmdCaps *self)
{
	g_return_if_fail(self != NULL);
	if (g_atomic_ref_count_dec(&self->refcount))
		g_free(self);
}

/**
 * hiod_amd_caps_get_efr:
 * @self: a #HiodAmdCaps
 *
 * Gets the raw Extended Feature Register.
 *
 * Returns: the raw Extended Feature Register
 *
 * Since: 0.1
 */
guint64
hiod_amd_caps_get_efr(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->efr;
}

/**
 * hiod_amd_caps_get_efr2:
 * @self: a #HiodAmdCaps
 *
 * Gets the raw Extended Feature 2 Register.
 *
 * Returns: the raw Extended Feature 2 Register
 *
 * Since: 0.1
 */
guint64
hiod_amd_caps_get_efr2(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->efr2;
}

/**
 * hiod_amd_caps_get_ppr:
 * @self: a #HiodAmdCaps
 *
 * Tells whether peripheral page requests are supported (PPRSup, EFR bit 1).
 *
 * Returns: whether peripheral page requests are supported
 *
 * Since: 0.1
 */
gboolean
hiod_amd_caps_get_ppr(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->efr, 1, 1) != 0;
}

/**
 * hiod_amd_caps_get_x2apic:
 * @self: a #HiodAmdCaps
 *
 * Tells whether x2APIC interrupt remapping is supported (XTSup, EFR bit 2).
 *
 * Returns: whether x2APIC interrupt remapping is supported
 *
 * Since: 0.1
 */
gboolean
hiod_amd_caps_get_x2apic(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->efr, 2, 1) != 0;
}

/**
 * hiod_amd_caps_get_nx:
 * @self: a #HiodAmdCaps
 *
 * Tells whether no-execute protection is supported (NXSup, EFR bit 3).
 *
 * Returns: whether no-execute protection is supported
 *
 * Since: 0.1
 */
gboolean
hiod_amd_caps_get_nx(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->efr, 3, 1) != 0;
}

/**
 * hiod_amd_caps_get_guest_translation:
 * @self: a #HiodAmdCaps
 *
 * Tells whether guest translation (a guest page table per PASID, nested on
 * the host's) is supported (GTSup, EFR bit 4).
 *
 * Returns: whether guest translation is supported
 *
 * Since: 0.1
 */
gboolean
hiod_amd_caps_get_guest_translation(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->efr, 4, 1) != 0;
}

/**
 * hiod_amd_caps_get_guest_apic:
 * @self: a #HiodAmdCaps
 *
 * Tells whether the guest virtual APIC is supported (GASup, EFR bit 7).
 *
 * Returns: whether the guest virtual APIC is supported
 *
 * Since: 0.1
 */
gboolean
hiod_amd_caps_get_guest_apic(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->efr, 7, 1) != 0;
}

/**
 * hiod_amd_caps_get_host_levels:
 * @self: a #HiodAmdCaps
 *
 * Gets the most host page-table levels, from HATS (EFR bits 11:10): 4 + HATS
 * (4, 5 or 6 levels; HATS 3 is reserved and gives 0).
 *
 * Returns: the most host page-table levels, 0 when reserved
 *
 * Since: 0.1
 */
guint
hiod_amd_caps_get_host_levels(const HiodAmdCaps *self)
{
	guint hats;
	g_return_val_if_fail(self != NULL, 0);
	hats = (guint)hiod_bits(self->efr, 10, 2);
	return hats == 3 ? 0 : 4 + hats;
}

/**
 * hiod_amd_caps_get_guest_levels:
 * @self: a #HiodAmdCaps
 *
 * Gets the most guest page-table levels, from GATS (EFR bits 13:12): 4 +
 * GATS (4 or 5 levels; other values are reserved and give 0).
 *
 * Returns: the most guest page-table levels, 0 when reserved
 *
 * Since: 0.1
 */
guint
hiod_amd_caps_get_guest_levels(const HiodAmdCaps *self)
{
	guint gats;
	g_return_val_if_fail(self != NULL, 0);
	gats = (guint)hiod_bits(self->efr, 12, 2);
	return gats <= 1 ? 4 + gats : 0;
}

/**
 * hiod_amd_caps_get_pasid_width:
 * @self: a #HiodAmdCaps
 *
 * Gets the PASID width in bits, PASmax (EFR bits 36:32) + 1, when guest
 * translation is supported (PASmax means nothing without GTSup), else 0.
 *
 * Returns: the PASID width in bits, 0 without guest translation
 *
 * Since: 0.1
 */
guint
hiod_amd_caps_get_pasid_width(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	if (!hiod_amd_caps_get_guest_translation(self))
		return 0;
	return (guint)hiod_bits(self->efr, 32, 5) + 1;
}

/**
 * hiod_amd_caps_get_host_access:
 * @self: a #HiodAmdCaps
 *
 * Tells whether the host page tables' access bit is supported (HASup, EFR bit 49).
 *
 * Returns: whether the host access bit is supported
 *
 * Since: 0.1
 */
gboolean
hiod_amd_caps_get_host_access(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->efr, 49, 1) != 0;
}

/**
 * hiod_amd_caps_get_dirty_tracking:
 * @self: a #HiodAmdCaps
 *
 * Tells whether the host page tables' dirty bit is supported (HDSup, EFR bit
 * 52), what the kernel's dirty tracking on AMD-Vi needs.
 *
 * Returns: whether the host dirty bit is supported
 *
 * Since: 0.1
 */
gboolean
hiod_amd_caps_get_dirty_tracking(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->efr, 52, 1) != 0;
}

/**
 * hiod_amd_caps_get_snp:
 * @self: a #HiodAmdCaps
 *
 * Tells whether SEV-SNP is supported (SNPSup, EFR bit 63).
 *
 * Returns: whether SEV-SNP is supported
 *
 * Since: 0.1
 */
gboolean
hiod_amd_caps_get_snp(const HiodAmdCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->efr, 63, 1) != 0;
}

/**
 * hiod_amd_caps_to_json:
 * @self: a #HiodAmdCaps
 * @builder: a #JsonBuilder
 *
 * Adds the raw registers and every named field as a JSON object.
 *
 * Since: 0.1
 */
void
hiod_amd_caps_to_json(const HiodAmdCaps *self, JsonBuilder *builder)
{
	g_return_if_fail(self != NULL);
	json_builder_begin_object(builder);
	hiod_json_add_hex(builder, "efr", self->efr);
	hiod_json_add_hex(builder, "efr2", self->efr2);
	for (guint i = 0; i < G_N_ELEMENTS(hiod_amd_efr_bits); i++)
		hiod_json_add_bool(builder, hiod_amd_efr_bits[i].name,
				   hiod_bits(self->efr, hiod_amd_efr_bits[i].bit, 1) != 0);
	hiod_json_add_int(builder, "hats", hiod_bits(self->efr, 10, 2));
	hiod_json_add_int(builder, "gats", hiod_bits(self->efr, 12, 2));
	hiod_json_add_int(builder, "glx", hiod_bits(self->efr, 14, 2));
	hiod_json_add_int(builder, "pasmax", hiod_bits(self->efr, 32, 5));
	for (guint i = 0; i < G_N_ELEMENTS(hiod_amd_efr2_bits); i++)
		hiod_json_add_bool(builder, hiod_amd_efr2_bits[i].name,
				   hiod_bits(self->efr2, hiod_amd_efr2_bits[i].bit, 1) != 0);
	hiod_json_add_int(builder, "snp_avic", hiod_bits(self->efr2, 5, 3));
	hiod_json_add_int(builder, "num_int_remap", hiod_bits(self->efr2, 8, 2));
	hiod_json_add_int(builder, "host_levels", hiod_amd_caps_get_host_levels(self));
	hiod_json_add_int(builder, "guest_levels", hiod_amd_caps_get_guest_levels(self));
	hiod_json_add_int(builder, "pasid_width", hiod_amd_caps_get_pasid_width(self));
	hiod_json_add_bool(builder, "dirty_tracking", hiod_amd_caps_get_dirty_tracking(self));
	json_builder_end_object(builder);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "hiod-json-private.h"
#include "hiod-smmuv3-caps.h"

/* Written from the register layout of the Arm System Memory Management Unit
 * Architecture Specification, SMMU architecture version 3 (IHI 0070),
 * chapter 6.3.1-6.3.6 (SMMU_IDR0-5, SMMU_IIDR, SMMU_AIDR); the field names
 * are the specification's. struct iommu_hw_info_arm_smmuv3 (Linux 6.13): flags
 * u32, reserved u32, idr[6] u32, iidr u32, aidr u32. */

#define HIOD_SMMUV3_HW_INFO_LEN 40
/* IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI (Linux 7.x) */
#define HIOD_SMMUV3_FLAG_REPEAT_TLBI_CFGI (1u << 0)

struct _HiodSmmuv3Caps {
	gatomicrefcount refcount;
	guint32 idr[6];
	guint32 iidr;
	guint32 aidr;
	guint32 flags;
};

G_DEFINE_BOXED_TYPE(HiodSmmuv3Caps, hiod_smmuv3_caps, hiod_smmuv3_caps_ref, hiod_smmuv3_caps_unref)

static inline guint32
hiod_bits(guint32 reg, guint shift, guint width)
{
	return (reg >> shift) & ((1u << width) - 1);
}

/* one-bit features: JSON name, register, bit */
typedef struct {
	const gchar *name;
	guint idr;
	guint bit;
} HiodSmmuv3Bit;

static const HiodSmmuv3Bit hiod_smmuv3_bits[] = {
    {"s2p", 0, 0},	    /* stage-2 translation */
    {"s1p", 0, 1},	    /* stage-1 translation */
    {"cohacc", 0, 4},	    /* coherent access to tables and queues */
    {"btm", 0, 5},	    /* broadcast TLB maintenance */
    {"dormhint", 0, 8},	    /* dormant hint */
    {"hyp", 0, 9},	    /* EL2 (hypervisor) stage-1 contexts */
    {"ats", 0, 10},	    /* PCIe ATS */
    {"ns1ats", 0, 11},	    /* stage-1-only ATS */
    {"asid16", 0, 12},	    /* 16-bit ASIDs */
    {"msi", 0, 13},	    /* MSIs for the SMMU's own interrupts */
    {"sev", 0, 14},	    /* SEV on command-queue wake-up */
    {"atos", 0, 15},	    /* address translation operations */
    {"pri", 0, 16},	    /* PCIe page request interface */
    {"vmw", 0, 17},	    /* VMID wildcard matching */
    {"vmid16", 0, 18},	    /* 16-bit VMIDs */
    {"cd2l", 0, 19},	    /* two-level context descriptor tables */
    {"vatos", 0, 20},	    /* virtual ATOS page */
    {"term_model", 0, 26},  /* terminated transactions abort (not RAZ/WI) */
    {"atsrecerr", 0, 23},   /* ATS translation-completion error records */
    {"attr_perms_ovr", 1, 26}, /* incoming permission attribute override */
    {"attr_types_ovr", 1, 27}, /* incoming memory type attribute override */
    {"rel", 1, 28},	       /* relative base pointers */
    {"queues_preset", 1, 29},
    {"tables_preset", 1, 30},
    {"ecmdq", 1, 31},	    /* enhanced command queues */
    {"had", 3, 2},	    /* hierarchical attribute disables */
    {"pbha", 3, 3},	    /* page-based hardware attributes */
    {"xnx", 3, 4},	    /* EL0/EL1 execute-never distinction at stage 2 */
    {"pps", 3, 5},	    /* PASID on ATS translation requests from the STE */
    {"mpam", 3, 7},
    {"fwb", 3, 8},	    /* stage-2 forced write-back (S2FWB) */
    {"stt", 3, 9},	    /* small translation tables */
    {"ril", 3, 10},	    /* range TLB invalidation */
    {"e0pd", 3, 13},
    {"ptwnnc", 3, 14},	    /* table walks non-cacheable (normal) */
    {"dpt", 3, 15},	    /* device permission table */
    {"gran4k", 5, 4},
    {"gran16k", 5, 5},
    {"gran64k", 5, 6},
    {"ds", 5, 7},	    /* 52-bit addresses with 4K/16K granules */
};

static guint
hiod_smmuv3_oas_bits(guint32 idr5)
{
	static const guint oas[] = {32, 36, 40, 42, 44, 48, 52};
	guint v = hiod_bits(idr5, 0, 3);
	return v < G_N_ELEMENTS(oas) ? oas[v] : 0;
}

/**
 * hiod_smmuv3_caps_new:
 * @idr: (array length=n_idr): the raw SMMU_IDR0, SMMU_IDR1, ... registers
 * @n_idr: how many of them @idr holds: up to 6 (the missing ones read 0)
 * @iidr: the raw SMMU_IIDR register
 * @aidr: the raw SMMU_AIDR register
 * @flags: the kernel's IOMMU_HW_INFO_ARM_SMMUV3_* flags (bit 0: the
 *   implementation needs TLB and configuration invalidations repeated)
 *
 * Returns a new immutable #HiodSmmuv3Caps.
 *
 * Returns: (transfer full): a new immutable #HiodSmmuv3Caps
 *
 * Since: 0.1
 */
HiodSmmuv3Caps *
hiod_smmuv3_caps_new(const guint32 *idr, gsize n_idr, guint32 iidr, guint32 aidr, guint32 flags)
{
	HiodSmmuv3Caps *self;

	g_return_val_if_fail(idr != NULL || n_idr == 0, NULL);
	self = g_new0(HiodSmmuv3Caps, 1);
	g_atomic_ref_count_init(&self->refcount);
	for (gsize i = 0; i < MIN(n_idr, G_N_ELEMENTS(self->idr)); i++)
		self->idr[i] = idr[i];
	self->iidr = iidr;
	self->aidr = aidr;
	self->flags = flags;
	return self;
}

/**
 * hiod_smmuv3_caps_new_from_host_caps:
 * @caps: the caps of a realized host IOMMU device
 *
 * Decodes the vendor data of an ARM SMMUv3 host IOMMU (struct
 * iommu_hw_info_arm_smmuv3: flags u32, reserved u32, idr u32[6], iidr u32,
 * aidr u32).
 *
 * Returns: (transfer full) (nullable): the decoded registers, %NULL when
 * @caps is not SMMUv3 or carries no register values
 *
 * Since: 0.1
 */
HiodSmmuv3Caps *
hiod_smmuv3_caps_new_from_host_caps(const HiodHostIommuCaps *caps)
{
	GBytes *data;
	const guint8 *p;
	gsize len = 0;
	guint32 flags, idr[6], iidr, aidr;

	g_return_val_if_fail(caps != NULL, NULL);
	if (hiod_host_iommu_caps_get_iommu_type(caps) != HIOD_IOMMU_TYPE_ARM_SMMUV3)
		return NULL;
	data = hiod_host_iommu_caps_get_vendor_data(caps);
	if (data == NULL)
		return NULL;
	p = g_bytes_get_data(data, &len);
	if (len < HIOD_SMMUV3_HW_INFO_LEN)
		return NULL;
	memcpy(&flags, p, 4);
	memcpy(idr, p + 8, sizeof(idr));
	memcpy(&iidr, p + 32, 4);
	memcpy(&aidr, p + 36, 4);
	return hiod_smmuv3_caps_new(idr, G_N_ELEMENTS(idr), iidr, aidr, flags);
}

/**
 * hiod_smmuv3_caps_ref:
 * @self: a #HiodSmmuv3Caps
 *
 * Returns @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
HiodSmmuv3Caps *
hiod_smmuv3_caps_ref(HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_atomic_ref_count_inc(&self->refcount);
	return self;
}

/**
 * hiod_smmuv3_caps_unref:
 * @self: (transfer full): a #HiodSmmuv3Caps
 *
 * Drops a reference; the value is freed with the last one.
 *
 * Since: 0.1
 */
void
hiod_smmuv3_caps_unref(HiodSmmuv3Caps *self)
{
	g_return_if_fail(self != NULL);
	if (g_atomic_ref_count_dec(&self->refcount))
		g_free(self);
}

/**
 * hiod_smmuv3_caps_get_idr:
 * @self: a #HiodSmmuv3Caps
 * @index: which register: 0 to 5 (SMMU_IDR0 to SMMU_IDR5)
 *
 * Gets a raw identification register.
 *
 * Returns: the raw SMMU_IDR@index register, 0 for an @index past 5
 *
 * Since: 0.1
 */
guint32
hiod_smmuv3_caps_get_idr(const HiodSmmuv3Caps *self, guint index)
{
	g_return_val_if_fail(self != NULL, 0);
	g_return_val_if_fail(index < G_N_ELEMENTS(self->idr), 0);
	return self->idr[index];
}

/**
 * hiod_smmuv3_caps_get_iidr:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the raw implementation identification register (SMMU_IIDR:
 * ProductID, Variant, Revision, Implementer).
 *
 * Returns: the raw SMMU_IIDR register
 *
 * Since: 0.1
 */
guint32
hiod_smmuv3_caps_get_iidr(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->iidr;
}

/**
 * hiod_smmuv3_caps_get_aidr:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the raw architecture version register (SMMU_AIDR).
 *
 * Returns: the raw SMMU_AIDR register
 *
 * Since: 0.1
 */
guint32
hiod_smmuv3_caps_get_aidr(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->aidr;
}

/**
 * hiod_smmuv3_caps_get_flags:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the kernel's IOMMU_HW_INFO_ARM_SMMUV3_* flags (bit 0:
 * ERRATA_REPEAT_TLBI_CFGI, invalidations must be issued twice).
 *
 * Returns: the kernel's flags
 *
 * Since: 0.1
 */
guint32
hiod_smmuv3_caps_get_flags(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->flags;
}

/**
 * hiod_smmuv3_caps_get_stage1:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether stage-1 translation is supported (S1P, IDR0 bit 1).
 *
 * Returns: whether stage-1 translation is supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_stage1(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 1, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_stage2:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether stage-2 translation is supported (S2P, IDR0 bit 0).
 *
 * Returns: whether stage-2 translation is supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_stage2(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 0, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_nesting:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether both stages are supported (S1P and S2P), what the kernel
 * needs for a nesting parent (IOMMU_HWPT_ALLOC_NEST_PARENT) and a vIOMMU.
 *
 * Returns: whether both stages are supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_nesting(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_smmuv3_caps_get_stage1(self) && hiod_smmuv3_caps_get_stage2(self);
}

/**
 * hiod_smmuv3_caps_get_aarch64_tables:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether the AArch64 translation table format is supported (TTF, IDR0
 * bits 3:2, 2 or 3).
 *
 * Returns: whether the AArch64 translation table format is supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_aarch64_tables(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return (hiod_bits(self->idr[0], 2, 2) & 2) != 0;
}

/**
 * hiod_smmuv3_caps_get_aarch32_tables:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether the AArch32 (LPAE) translation table format is supported
 * (TTF, IDR0 bits 3:2, 1 or 3).
 *
 * Returns: whether the AArch32
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_aarch32_tables(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return (hiod_bits(self->idr[0], 2, 2) & 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_coherent:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether the SMMU's table walks and queue accesses are IO-coherent
 * (COHACC, IDR0 bit 4); VFIO and iommufd need it.
 *
 * Returns: whether the SMMU's table walks and queue accesses are IO-coherent
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_coherent(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 4, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_btm:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether broadcast TLB maintenance is supported (BTM, IDR0 bit 5).
 *
 * Returns: whether broadcast TLB maintenance is supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_btm(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 5, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_httu:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets hardware translation table updates (HTTU, IDR0 bits 7:6): 0 none, 1
 * access flag, 2 access and dirty flags, 3 also hardware access flags for
 * tables.
 *
 * Returns: hardware translation table updates
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_httu(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[0], 6, 2);
}

/**
 * hiod_smmuv3_caps_get_ats:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether PCIe ATS is supported (ATS, IDR0 bit 10).
 *
 * Returns: whether PCIe ATS is supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_ats(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 10, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_pri:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether the PCIe page request interface is supported (PRI, IDR0 bit
 * 16).
 *
 * Returns: whether the PCIe page request interface is supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_pri(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 16, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_msi:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether the SMMU signals its own interrupts with MSIs (MSI, IDR0 bit
 * 13).
 *
 * Returns: whether the SMMU signals its own interrupts with MSIs
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_msi(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 13, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_sev:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether the SMMU sends a wake-up event when the command queue becomes
 * non-full (SEV, IDR0 bit 14).
 *
 * Returns: whether the SMMU sends a wake-up event when the command queue
 * becomes non-full
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_sev(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 14, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_asid_bits:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the ASID width in bits: 16 with ASID16 (IDR0 bit 12), else 8.
 *
 * Returns: the ASID width in bits: 16 with ASID16
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_asid_bits(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[0], 12, 1) ? 16 : 8;
}

/**
 * hiod_smmuv3_caps_get_vmid_bits:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the VMID width in bits: 16 with VMID16 (IDR0 bit 18), else 8.
 *
 * Returns: the VMID width in bits: 16 with VMID16
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_vmid_bits(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[0], 18, 1) ? 16 : 8;
}

/**
 * hiod_smmuv3_caps_get_two_level_stream_table:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether two-level stream tables are supported (ST_LEVEL, IDR0 bits
 * 28:27, 1).
 *
 * Returns: whether two-level stream tables are supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_two_level_stream_table(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 27, 2) == 1;
}

/**
 * hiod_smmuv3_caps_get_two_level_cd_table:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether two-level context descriptor tables are supported (CD2L, IDR0
 * bit 19).
 *
 * Returns: whether two-level context descriptor tables are supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_two_level_cd_table(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 19, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_ttendian:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the supported translation table endianness (TTENDIAN, IDR0 bits
 * 22:21): 0 mixed, 2 little-endian only, 3 big-endian only (1 is reserved).
 *
 * Returns: the supported translation table endianness
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_ttendian(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[0], 21, 2);
}

/**
 * hiod_smmuv3_caps_get_little_endian_tables:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether little-endian translation tables can be walked (TTENDIAN
 * mixed or little-endian).
 *
 * Returns: whether little-endian translation tables can be walked
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_little_endian_tables(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_smmuv3_caps_get_ttendian(self) == 0 || hiod_smmuv3_caps_get_ttendian(self) == 2;
}

/**
 * hiod_smmuv3_caps_get_stall_model:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the stall model (STALL_MODEL, IDR0 bits 25:24): 0 stall and terminate,
 * 1 terminate only, 2 stall forced.
 *
 * Returns: the stall model
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_stall_model(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[0], 24, 2);
}

/**
 * hiod_smmuv3_caps_get_term_model:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether terminated transactions always abort (TERM_MODEL, IDR0 bit
 * 26; 0: they can also be RAZ/WI).
 *
 * Returns: whether terminated transactions always abort
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_term_model(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[0], 26, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_sid_bits:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the StreamID width in bits (SIDSIZE, IDR1 bits 5:0).
 *
 * Returns: the StreamID width in bits
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_sid_bits(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[1], 0, 6);
}

/**
 * hiod_smmuv3_caps_get_ssid_bits:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the SubstreamID (PASID) width in bits (SSIDSIZE, IDR1 bits 10:6); 0:
 * no substreams.
 *
 * Returns: the SubstreamID
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_ssid_bits(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[1], 6, 5);
}

/**
 * hiod_smmuv3_caps_get_fwb:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether stage-2 forced write-back is supported (FWB, IDR3 bit 8): the
 * kernel's vIOMMU needs it or a fully coherent (CANWBS) device.
 *
 * Returns: whether stage-2 forced write-back is supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_fwb(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[3], 8, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_ril:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether range TLB invalidations are supported (RIL, IDR3 bit 10).
 *
 * Returns: whether range TLB invalidations are supported
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_ril(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[3], 10, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_bbml:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the break-before-make level (BBML, IDR3 bits 12:11): 0 none, 1 level
 * 1, 2 level 2.
 *
 * Returns: the break-before-make level
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_bbml(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[3], 11, 2);
}

/**
 * hiod_smmuv3_caps_get_oas_bits:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the output address size in bits (OAS, IDR5 bits 2:0: 32, 36, 40, 42,
 * 44, 48 or 52); 0 for a reserved encoding.
 *
 * Returns: the output address size in bits
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_oas_bits(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_smmuv3_oas_bits(self->idr[5]);
}

/**
 * hiod_smmuv3_caps_get_va_bits:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the stage-1 input (virtual) address size in bits: 52 with VAX 1 (IDR5
 * bits 11:10), else 48.
 *
 * Returns: the stage-1 input
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_va_bits(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->idr[5], 10, 2) == 1 ? 52 : 48;
}

/**
 * hiod_smmuv3_caps_get_granules:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the supported translation granules as a page-size mask (GRAN4K,
 * GRAN16K, GRAN64K: IDR5 bits 4-6 give 0x1000, 0x4000, 0x10000).
 *
 * Returns: the supported translation granules as a page-size mask
 *
 * Since: 0.1
 */
guint64
hiod_smmuv3_caps_get_granules(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return (hiod_bits(self->idr[5], 4, 1) ? 0x1000 : 0) | (hiod_bits(self->idr[5], 5, 1) ? 0x4000 : 0) | (hiod_bits(self->idr[5], 6, 1) ? 0x10000 : 0);
}

/**
 * hiod_smmuv3_caps_get_ds:
 * @self: a #HiodSmmuv3Caps
 *
 * Tells whether 52-bit addresses are supported with the 4K and 16K granules
 * (DS, IDR5 bit 7).
 *
 * Returns: whether 52-bit addresses are supported with the 4K and 16K
 * granules
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_caps_get_ds(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return hiod_bits(self->idr[5], 7, 1) != 0;
}

/**
 * hiod_smmuv3_caps_get_arch_minor:
 * @self: a #HiodSmmuv3Caps
 *
 * Gets the architecture's minor revision x of SMMUv3.x (ArchMinorRev, AIDR
 * bits 3:0).
 *
 * Returns: the architecture's minor revision x of SMMUv3.x
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_caps_get_arch_minor(const HiodSmmuv3Caps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return hiod_bits(self->aidr, 0, 4);
}

/**
 * hiod_smmuv3_caps_to_json:
 * @self: a #HiodSmmuv3Caps
 * @builder: a #JsonBuilder
 *
 * Adds the raw registers and every named field as a JSON object.
 *
 * Since: 0.1
 */
void
hiod_smmuv3_caps_to_json(const HiodSmmuv3Caps *self, JsonBuilder *builder)
{
	static const gchar *const ttf[] = {"reserved", "aarch32", "aarch64", "aarch32+aarch64"};
	static const gchar *const endian[] = {"mixed", "reserved", "little", "big"};
	g_autofree gchar *version = NULL;

	g_return_if_fail(self != NULL);
	json_builder_begin_object(builder);
	for (guint i = 0; i < G_N_ELEMENTS(self->idr); i++) {
		g_autofree gchar *key = g_strdup_printf("idr%u", i);
		hiod_json_add_hex(builder, key, self->idr[i]);
	}
	hiod_json_add_hex(builder, "iidr", self->iidr);
	hiod_json_add_hex(builder, "aidr", self->aidr);
	hiod_json_add_hex(builder, "flags", self->flags);
	hiod_json_add_bool(builder, "errata_repeat_tlbi_cfgi",
			   (self->flags & HIOD_SMMUV3_FLAG_REPEAT_TLBI_CFGI) != 0);
	version = g_strdup_printf("3.%u", hiod_smmuv3_caps_get_arch_minor(self));
	hiod_json_add_string(builder, "version", version);
	hiod_json_add_hex(builder, "implementer", hiod_bits(self->iidr, 0, 12));
	hiod_json_add_hex(builder, "product_id", hiod_bits(self->iidr, 20, 12));
	hiod_json_add_int(builder, "variant", hiod_bits(self->iidr, 16, 4));
	hiod_json_add_int(builder, "revision", hiod_bits(self->iidr, 12, 4));
	for (guint i = 0; i < G_N_ELEMENTS(hiod_smmuv3_bits); i++)
		hiod_json_add_bool(builder, hiod_smmuv3_bits[i].name,
				   hiod_bits(self->idr[hiod_smmuv3_bits[i].idr], hiod_smmuv3_bits[i].bit, 1) != 0);
	hiod_json_add_string(builder, "ttf", ttf[hiod_bits(self->idr[0], 2, 2)]);
	hiod_json_add_string(builder, "ttendian", endian[hiod_smmuv3_caps_get_ttendian(self)]);
	hiod_json_add_int(builder, "httu", hiod_smmuv3_caps_get_httu(self));
	hiod_json_add_int(builder, "stall_model", hiod_smmuv3_caps_get_stall_model(self));
	hiod_json_add_int(builder, "st_level", hiod_bits(self->idr[0], 27, 2));
	hiod_json_add_bool(builder, "nesting", hiod_smmuv3_caps_get_nesting(self));
	hiod_json_add_int(builder, "asid_bits", hiod_smmuv3_caps_get_asid_bits(self));
	hiod_json_add_int(builder, "vmid_bits", hiod_smmuv3_caps_get_vmid_bits(self));
	hiod_json_add_int(builder, "sid_bits", hiod_smmuv3_caps_get_sid_bits(self));
	hiod_json_add_int(builder, "ssid_bits", hiod_smmuv3_caps_get_ssid_bits(self));
	hiod_json_add_int(builder, "priqs", hiod_bits(self->idr[1], 11, 5));
	hiod_json_add_int(builder, "eventqs", hiod_bits(self->idr[1], 16, 5));
	hiod_json_add_int(builder, "cmdqs", hiod_bits(self->idr[1], 21, 5));
	hiod_json_add_int(builder, "bbml", hiod_smmuv3_caps_get_bbml(self));
	hiod_json_add_int(builder, "oas_bits", hiod_smmuv3_caps_get_oas_bits(self));
	hiod_json_add_int(builder, "va_bits", hiod_smmuv3_caps_get_va_bits(self));
	hiod_json_add_hex(builder, "granules", hiod_smmuv3_caps_get_granules(self));
	json_builder_end_object(builder);
}

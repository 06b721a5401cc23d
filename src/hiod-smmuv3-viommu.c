/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HiodSmmuv3Viommu: the ARM SMMUv3 vIOMMU's policy, after what QEMU 11's
 * arm-smmuv3 does with an assigned device: without accel=on its emulated
 * SMMUv3 refuses the device (no MAP notifications); with accel=on the host
 * must be an SMMUv3 reached through iommufd whose ID registers are
 * compatible with the vSMMU's (hw/arm/smmuv3-accel.c, read for behaviour).
 * The checks are a pure function of the host's caps and the backend.
 */
#include "config.h"

#include <string.h>

#include "hiod-enum-types.h"
#include "hiod-error.h"
#if HIOD_HAVE_IOMMUFD
#include "hiod-host-iommu-device-iommufd.h"
#endif
#include "hiod-smmuv3-viommu.h"

/* struct iommu_hw_info_arm_smmuv3: flags u32 @0, reserved u32 @4, idr[6] u32
 * @8, iidr u32 @32, aidr u32 @36 */
#define SMMU_HW_INFO_LEN 40
/* the SMMUv3 register fields the policy reads (SMMUv3 spec 6.3.1-6.3.6) */
#define IDR0_S2P(r) ((r) & 1)
#define IDR0_S1P(r) (((r) >> 1) & 1)
#define IDR0_TTF(r) (((r) >> 2) & 3)
#define IDR0_ATS(r) (((r) >> 10) & 1)
#define IDR0_TTENDIAN(r) (((r) >> 21) & 3)
#define IDR0_STLEVEL(r) (((r) >> 27) & 3)
#define IDR1_SIDSIZE(r) ((r) & 0x3f)
#define IDR1_SSIDSIZE(r) (((r) >> 6) & 0x1f)
#define IDR3_RIL(r) (((r) >> 10) & 1)
#define IDR5_OAS(r) ((r) & 7)
#define IDR5_GRAN4K(r) (((r) >> 4) & 1)
#define IDR5_GRAN16K(r) (((r) >> 5) & 1)
#define IDR5_GRAN64K(r) (((r) >> 6) & 1)

/* what QEMU's vSMMU advertises (smmuv3_init_regs): two-level stream
 * tables, little-endian AArch64 tables, 16-bit StreamIDs, the 4K, 16K and
 * 64K granules */
#define VSMMU_STLEVEL 1
#define VSMMU_SIDSIZE 16

struct _HiodSmmuv3Viommu {
	GObject parent_instance;
	gboolean accel;
	HiodOnOffAuto ats;
	HiodOnOffAuto ril;
	guint ssidsize;
	guint oas;
	GHashTable *devices; /* (domain << 16 | bus << 8 | devfn) -> HiodHostIommuDevice (ref) */
	GMutex lock;
};

enum { PROP_0, PROP_ACCEL, PROP_ATS, PROP_RIL, PROP_SSIDSIZE, PROP_OAS, N_PROPS };
static GParamSpec *props[N_PROPS];

static void hiod_smmuv3_viommu_iface_init(HiodViommuInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HiodSmmuv3Viommu, hiod_smmuv3_viommu, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(HIOD_TYPE_VIOMMU, hiod_smmuv3_viommu_iface_init))

#define RID_KEY(rid) GUINT_TO_POINTER(((rid)->domain << 16) | ((rid)->bus << 8) | (rid)->devfn)

/**
 * hiod_smmuv3_viommu_new:
 * @accel: nest the guest's stage 1 on the host SMMUv3 (QEMU's accel=on)
 *
 * Returns a new #HiodSmmuv3Viommu with the other settings at QEMU's
 * defaults (ats and ril auto, ssidsize 0, oas 44).
 *
 * Returns: (transfer full): a new #HiodSmmuv3Viommu
 *
 * Since: 0.1
 */
HiodSmmuv3Viommu *
hiod_smmuv3_viommu_new(gboolean accel)
{
	return g_object_new(HIOD_TYPE_SMMUV3_VIOMMU, "accel", accel, NULL);
}

/**
 * hiod_smmuv3_viommu_get_accel:
 * @self: a #HiodSmmuv3Viommu
 *
 * Tells whether the guest's stage 1 is nested on the host (accel=on).
 *
 * Returns: whether accel is on
 *
 * Since: 0.1
 */
gboolean
hiod_smmuv3_viommu_get_accel(HiodSmmuv3Viommu *self)
{
	g_return_val_if_fail(HIOD_IS_SMMUV3_VIOMMU(self), FALSE);
	return self->accel;
}

/**
 * hiod_smmuv3_viommu_get_n_devices:
 * @self: a #HiodSmmuv3Viommu
 *
 * Gets how many host IOMMU devices the vIOMMU holds.
 *
 * Returns: how many host IOMMU devices the vIOMMU holds
 *
 * Since: 0.1
 */
guint
hiod_smmuv3_viommu_get_n_devices(HiodSmmuv3Viommu *self)
{
	guint n;
	g_return_val_if_fail(HIOD_IS_SMMUV3_VIOMMU(self), 0);
	g_mutex_lock(&self->lock);
	n = g_hash_table_size(self->devices);
	g_mutex_unlock(&self->lock);
	return n;
}

static gboolean
hiod_smmuv3_vendor_regs(HiodHostIommuCaps *caps, guint32 idr[6])
{
	GBytes *data = hiod_host_iommu_caps_get_vendor_data(caps);
	const guint8 *p;
	gsize len = 0;
	if (data == NULL)
		return FALSE;
	p = g_bytes_get_data(data, &len);
	if (len < SMMU_HW_INFO_LEN)
		return FALSE;
	memcpy(idr, p + 8, 6 * sizeof(guint32));
	return TRUE;
}

static guint
hiod_smmuv3_oas_bits(guint oas)
{
	static const guint bits[] = {32, 36, 40, 42, 44, 48, 52};
	return oas < G_N_ELEMENTS(bits) ? bits[oas] : 0;
}

/* the host's registers against the vSMMU's, one reason each */
static void
hiod_smmuv3_viommu_check_regs(HiodSmmuv3Viommu *self, const guint32 idr[6], HiodViommuVerdict *v)
{
	guint host_oas = hiod_smmuv3_oas_bits(IDR5_OAS(idr[5]));
	struct {
		const gchar *name;
		guint have;
	} grans[] = {
	    {"4K", IDR5_GRAN4K(idr[5])}, {"16K", IDR5_GRAN16K(idr[5])}, {"64K", IDR5_GRAN64K(idr[5])}};

	if (!IDR0_S1P(idr[0]) || !IDR0_S2P(idr[0]))
		hiod_viommu_verdict_add_reason(
		    v, "the host SMMUv3 cannot nest (S1P %u, S2P %u: accel=on needs both stages for the "
		       "nesting parent the guest's stage 1 sits on)",
		    IDR0_S1P(idr[0]), IDR0_S2P(idr[0]));
	if (IDR0_STLEVEL(idr[0]) != VSMMU_STLEVEL)
		hiod_viommu_verdict_add_reason(
		    v, "Host SMMUv3 Stream Table format mismatch (host STLEVEL=%u, vSMMU STLEVEL=%u)",
		    IDR0_STLEVEL(idr[0]), VSMMU_STLEVEL);
	if (IDR0_TTENDIAN(idr[0]) == 3)
		hiod_viommu_verdict_add_reason(v, "Host SMMUv3 doesn't support little-endian "
						  "translation tables (TTENDIAN big-endian only)");
	if (IDR0_TTF(idr[0]) < 2)
		hiod_viommu_verdict_add_reason(v, "Host SMMUv3 doesn't support the AArch64 translation "
						  "table format (TTF %u)",
					       IDR0_TTF(idr[0]));
	if (IDR1_SIDSIZE(idr[1]) < VSMMU_SIDSIZE)
		hiod_viommu_verdict_add_reason(v, "Host SMMUv3 SIDSIZE not compatible (host=%u, vSMMU=%u)",
					       IDR1_SIDSIZE(idr[1]), VSMMU_SIDSIZE);
	if (IDR1_SSIDSIZE(idr[1]) < self->ssidsize) {
		g_autofree gchar *w = g_strdup_printf("%u", IDR1_SSIDSIZE(idr[1]));
		hiod_viommu_verdict_add_reason(v, "Host SMMUv3 SSIDSIZE not compatible (host=%u, vSMMU=%u)",
					       IDR1_SSIDSIZE(idr[1]), self->ssidsize);
		hiod_viommu_verdict_suggest(v, "ssidsize", w);
	}
	if (self->ril == HIOD_ON_OFF_AUTO_ON && !IDR3_RIL(idr[3])) {
		hiod_viommu_verdict_add_reason(v, "Host SMMUv3 doesn't support Range Invalidation (ril=on)");
		hiod_viommu_verdict_suggest(v, "ril", "auto");
	}
	if (self->ats == HIOD_ON_OFF_AUTO_ON && !IDR0_ATS(idr[0])) {
		hiod_viommu_verdict_add_reason(v, "Host SMMUv3 doesn't support ATS (ats=on)");
		hiod_viommu_verdict_suggest(v, "ats", "auto");
	}
	if (host_oas < self->oas) {
		hiod_viommu_verdict_add_reason(
		    v, "Host SMMUv3 supports only %u-bit IPA, but the vSMMU OAS implies %u-bit IPA", host_oas,
		    self->oas);
		if (host_oas >= 44)
			hiod_viommu_verdict_suggest(v, "oas", "44");
	}
	for (guint i = 0; i < G_N_ELEMENTS(grans); i++)
		if (!grans[i].have)
			hiod_viommu_verdict_add_reason(
			    v, "Host SMMUv3 doesn't support %s translation granule (the vSMMU offers 4K, "
			       "16K and 64K)",
			    grans[i].name);
}

/**
 * hiod_smmuv3_viommu_check_caps:
 * @self: a #HiodSmmuv3Viommu
 * @caps: (nullable): what the host IOMMU device learned (%NULL: nothing known)
 * @backend: the backend the device is attached through
 *
 * The SMMUv3 policy as a pure function. Without accel the emulated SMMUv3
 * cannot serve an assigned device at all (one reason; suggestion accel=on).
 * With accel=on, each adding a reason: the iommufd backend; an ARM SMMUv3
 * host whose registers hw_info returned; both stages (S1P and S2P: the
 * nesting parent); the same stream table format (two-level); little-endian
 * and AArch64 translation tables; at least 16 StreamID bits and ssidsize
 * SubstreamID bits; range invalidation with ril=on and ATS with ats=on; an
 * output address size of at least oas bits; the 4K, 16K and 64K granules.
 * What the kernel adds when the vIOMMU object is made (stage-2 forced
 * write-back or a fully coherent device) is not in the registers hw_info
 * names for VMMs, so it is not checked here.
 *
 * Returns: (transfer full): the verdict
 *
 * Since: 0.1
 */
HiodViommuVerdict *
hiod_smmuv3_viommu_check_caps(HiodSmmuv3Viommu *self, HiodHostIommuCaps *caps, HiodBackendKind backend)
{
	g_autoptr(HiodViommuVerdict) v = hiod_viommu_verdict_new("arm-smmuv3");
	guint32 idr[6] = {0};

	g_return_val_if_fail(HIOD_IS_SMMUV3_VIOMMU(self), NULL);
	if (!self->accel) {
		hiod_viommu_verdict_add_reason(
		    v, "an emulated arm-smmuv3 (accel=off) cannot serve an assigned device: it has no "
		       "MAP notifications, so QEMU refuses the device ('requires iommu MAP notifier')");
		hiod_viommu_verdict_suggest(v, "accel", "on");
		return g_steal_pointer(&v);
	}
	if (self->oas != 44 && self->oas != 48)
		hiod_viommu_verdict_add_reason(v, "oas %u is not one arm-smmuv3 offers (44 or 48)", self->oas);
	if (backend != HIOD_BACKEND_KIND_IOMMUFD) {
		hiod_viommu_verdict_add_reason(v, "vfio-pci endpoint devices without an iommufd backend are "
						  "not allowed when using arm-smmuv3,accel=on");
		hiod_viommu_verdict_suggest(v, "backend", "iommufd");
	} else if (caps == NULL || hiod_host_iommu_caps_get_iommu_type(caps) != HIOD_IOMMU_TYPE_ARM_SMMUV3) {
		hiod_viommu_verdict_add_reason(v, "Incompatible host platform IOMMU type: arm-smmuv3,accel=on "
						  "needs an ARM SMMUv3 host");
		hiod_viommu_verdict_suggest(v, "accel", "off");
	} else if (!hiod_smmuv3_vendor_regs(caps, idr)) {
		hiod_viommu_verdict_add_reason(v, "the host reports no SMMUv3 ID registers: cannot check "
						  "compatibility");
	} else {
		hiod_smmuv3_viommu_check_regs(self, idr, v);
	}
	return g_steal_pointer(&v);
}

/* HiodViommu --------------------------------------------------------------------- */

static guint64
hiod_smmuv3_viommu_get_viommu_flags(HiodViommu *viommu)
{
	return HIOD_SMMUV3_VIOMMU(viommu)->accel ? HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT : 0;
}

static HiodBackendKind
hiod_smmuv3_viommu_backend_of(HiodHostIommuDevice *hiod)
{
#if HIOD_HAVE_IOMMUFD
	if (HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(hiod))
		return HIOD_BACKEND_KIND_IOMMUFD;
#endif
	return HIOD_BACKEND_KIND_AUTO; /* not iommufd */
}

static HiodViommuVerdict *
hiod_smmuv3_viommu_check(HiodViommu *viommu, const HiodPciRid *rid, HiodHostIommuDevice *hiod)
{
	return hiod_smmuv3_viommu_check_caps(HIOD_SMMUV3_VIOMMU(viommu), hiod_host_iommu_device_get_caps(hiod),
					     hiod_smmuv3_viommu_backend_of(hiod));
}

static gboolean
hiod_smmuv3_viommu_set_iommu_device(HiodViommu *viommu, const HiodPciRid *rid,
				    HiodHostIommuDevice *hiod, GError **error)
{
	HiodSmmuv3Viommu *self = HIOD_SMMUV3_VIOMMU(viommu);
	g_autoptr(HiodViommuVerdict) v = NULL;
	gboolean ok = FALSE;

	g_mutex_lock(&self->lock);
	if (g_hash_table_contains(self->devices, RID_KEY(rid))) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE,
			    "arm-smmuv3 refuses the device: a host IOMMU device is already set for "
			    "%04x:%02x:%02x.%x",
			    rid->domain, rid->bus, rid->devfn >> 3, rid->devfn & 7);
		goto out;
	}
	v = hiod_smmuv3_viommu_check(viommu, rid, hiod);
	if (!hiod_viommu_verdict_to_error(v, error))
		goto out;
	g_hash_table_insert(self->devices, RID_KEY(rid), g_object_ref(hiod));
	ok = TRUE;
out:
	g_mutex_unlock(&self->lock);
	return ok;
}

static void
hiod_smmuv3_viommu_unset_iommu_device(HiodViommu *viommu, const HiodPciRid *rid)
{
	HiodSmmuv3Viommu *self = HIOD_SMMUV3_VIOMMU(viommu);
	g_mutex_lock(&self->lock);
	g_hash_table_remove(self->devices, RID_KEY(rid));
	g_mutex_unlock(&self->lock);
}

static const gchar *
hiod_smmuv3_viommu_get_name(HiodViommu *viommu)
{
	return "arm-smmuv3";
}

static void
hiod_smmuv3_viommu_iface_init(HiodViommuInterface *iface)
{
	iface->get_viommu_flags = hiod_smmuv3_viommu_get_viommu_flags;
	iface->check = hiod_smmuv3_viommu_check;
	iface->set_iommu_device = hiod_smmuv3_viommu_set_iommu_device;
	iface->unset_iommu_device = hiod_smmuv3_viommu_unset_iommu_device;
	iface->get_name = hiod_smmuv3_viommu_get_name;
}

/* GObject ------------------------------------------------------------------------ */

static void
hiod_smmuv3_viommu_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	HiodSmmuv3Viommu *self = HIOD_SMMUV3_VIOMMU(object);
	switch (prop_id) {
	case PROP_ACCEL:
		g_value_set_boolean(value, self->accel);
		break;
	case PROP_ATS:
		g_value_set_enum(value, self->ats);
		break;
	case PROP_RIL:
		g_value_set_enum(value, self->ril);
		break;
	case PROP_SSIDSIZE:
		g_value_set_uint(value, self->ssidsize);
		break;
	case PROP_OAS:
		g_value_set_uint(value, self->oas);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_smmuv3_viommu_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	HiodSmmuv3Viommu *self = HIOD_SMMUV3_VIOMMU(object);
	switch (prop_id) {
	case PROP_ACCEL:
		self->accel = g_value_get_boolean(value);
		break;
	case PROP_ATS:
		self->ats = g_value_get_enum(value);
		break;
	case PROP_RIL:
		self->ril = g_value_get_enum(value);
		break;
	case PROP_SSIDSIZE:
		self->ssidsize = g_value_get_uint(value);
		break;
	case PROP_OAS:
		self->oas = g_value_get_uint(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_smmuv3_viommu_init(HiodSmmuv3Viommu *self)
{
	self->oas = 44;
	self->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_object_unref);
	g_mutex_init(&self->lock);
}

static void
hiod_smmuv3_viommu_finalize(GObject *object)
{
	HiodSmmuv3Viommu *self = HIOD_SMMUV3_VIOMMU(object);
	g_hash_table_unref(self->devices);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(hiod_smmuv3_viommu_parent_class)->finalize(object);
}

static void
hiod_smmuv3_viommu_class_init(HiodSmmuv3ViommuClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;
	object_class->get_property = hiod_smmuv3_viommu_get_property;
	object_class->set_property = hiod_smmuv3_viommu_set_property;
	object_class->finalize = hiod_smmuv3_viommu_finalize;

	/**
	 * HiodSmmuv3Viommu:accel:
	 *
	 * Nest the guest's stage 1 on the host SMMUv3's stage 2 (QEMU's
	 * arm-smmuv3 accel=on): what lets the vSMMU serve an assigned device.
	 *
	 * Since: 0.1
	 */
	props[PROP_ACCEL] = g_param_spec_boolean("accel", NULL, NULL, FALSE, flags);
	/**
	 * HiodSmmuv3Viommu:ats:
	 *
	 * ATS offered to the guest: on needs the host's (IDR0.ATS); auto takes it.
	 *
	 * Since: 0.1
	 */
	props[PROP_ATS] = g_param_spec_enum("ats", NULL, NULL, HIOD_TYPE_ON_OFF_AUTO, HIOD_ON_OFF_AUTO_AUTO,
					    flags);
	/**
	 * HiodSmmuv3Viommu:ril:
	 *
	 * Range invalidation offered to the guest: on needs the host's
	 * (IDR3.RIL); auto takes it.
	 *
	 * Since: 0.1
	 */
	props[PROP_RIL] = g_param_spec_enum("ril", NULL, NULL, HIOD_TYPE_ON_OFF_AUTO, HIOD_ON_OFF_AUTO_AUTO,
					    flags);
	/**
	 * HiodSmmuv3Viommu:ssidsize:
	 *
	 * The SubstreamID (PASID) bits offered to the guest, 0 (the default)
	 * for none; the host must have at least as many (IDR1.SSIDSIZE).
	 *
	 * Since: 0.1
	 */
	props[PROP_SSIDSIZE] = g_param_spec_uint("ssidsize", NULL, NULL, 0, 20, 0, flags);
	/**
	 * HiodSmmuv3Viommu:oas:
	 *
	 * The vSMMU's output (guest physical) address size in bits, 44 (the
	 * default) or 48; the host's OAS must be at least as large.
	 *
	 * Since: 0.1
	 */
	props[PROP_OAS] = g_param_spec_uint("oas", NULL, NULL, 32, 52, 44, flags);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

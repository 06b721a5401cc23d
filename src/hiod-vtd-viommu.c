/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HiodVtdViommu: the Intel VT-d vIOMMU's policy (QEMU's intel-iommu
 * vtd_check_hiod). The checks are a pure function of the host's caps, the
 * backend and whether the requester ID is aliased, so tables can test them.
 */
#include "config.h"

#include <string.h>

#include "hiod-error.h"
#if HIOD_HAVE_IOMMUFD
#include "hiod-host-iommu-device-iommufd.h"
#endif
#include "hiod-vtd-viommu.h"

/* VT-d register bits the policy reads (VT-d spec 11.4.2/11.4.3) */
#define VTD_CAP_FS1GP (1ULL << 56)
#define VTD_ECAP_NEST (1ULL << 26)
#define VTD_ECAP_PASID (1ULL << 40)
#define VTD_ECAP_PSS(ecap) (((ecap) >> 35) & 0x1f) /* PASID width - 1 */
/* iommu_hw_info_vtd: flags u32 @0, reserved u32 @4, cap u64 @8, ecap u64 @16 */
#define VTD_HW_INFO_ERRATA_772415_SPR17 (1U << 0)

struct _HiodVtdViommu {
	GObject parent_instance;
	guint aw_bits;
	gboolean x_flts;
	gboolean fs1gp;
	guint pasid_bits;
	GHashTable *devices; /* (domain << 16 | bus << 8 | devfn) -> HiodHostIommuDevice (ref) */
	GMutex lock;
};

enum { PROP_0, PROP_AW_BITS, PROP_X_FLTS, PROP_FS1GP, PROP_PASID_BITS, N_PROPS };
static GParamSpec *props[N_PROPS];

static void hiod_vtd_viommu_iface_init(HiodViommuInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HiodVtdViommu, hiod_vtd_viommu, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(HIOD_TYPE_VIOMMU, hiod_vtd_viommu_iface_init))

#define RID_KEY(rid) GUINT_TO_POINTER(((rid)->domain << 16) | ((rid)->bus << 8) | (rid)->devfn)

/**
 * hiod_vtd_viommu_new:
 * @aw_bits: the guest address width (39 or 48)
 * @x_flts: first-stage translation for the guest (nesting)
 *
 * Returns a new #HiodVtdViommu.
 *
 * Returns: (transfer full): a new #HiodVtdViommu
 *
 * Since: 0.1
 */
HiodVtdViommu *
hiod_vtd_viommu_new(guint aw_bits, gboolean x_flts)
{
	return g_object_new(HIOD_TYPE_VTD_VIOMMU, "aw-bits", aw_bits, "x-flts", x_flts, NULL);
}

/**
 * hiod_vtd_viommu_get_aw_bits:
 * @self: a #HiodVtdViommu
 *
 * Gets the guest address width.
 *
 * Returns: the guest address width
 *
 * Since: 0.1
 */
guint
hiod_vtd_viommu_get_aw_bits(HiodVtdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_VTD_VIOMMU(self), 0);
	return self->aw_bits;
}

/**
 * hiod_vtd_viommu_get_x_flts:
 * @self: a #HiodVtdViommu
 *
 * Tells whether first-stage translation (nesting) is on.
 *
 * Returns: whether first-stage translation (nesting) is on
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_viommu_get_x_flts(HiodVtdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_VTD_VIOMMU(self), FALSE);
	return self->x_flts;
}

/**
 * hiod_vtd_viommu_get_fs1gp:
 * @self: a #HiodVtdViommu
 *
 * Tells whether the guest is offered first-stage 1 GiB pages.
 *
 * Returns: whether the guest is offered first-stage 1 GiB pages
 *
 * Since: 0.1
 */
gboolean
hiod_vtd_viommu_get_fs1gp(HiodVtdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_VTD_VIOMMU(self), FALSE);
	return self->fs1gp;
}

/**
 * hiod_vtd_viommu_get_pasid_bits:
 * @self: a #HiodVtdViommu
 *
 * Gets the PASID width offered to the guest (0: no PASID).
 *
 * Returns: the PASID width offered to the guest, 0 without PASID
 *
 * Since: 0.1
 */
guint
hiod_vtd_viommu_get_pasid_bits(HiodVtdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_VTD_VIOMMU(self), 0);
	return self->pasid_bits;
}

/**
 * hiod_vtd_viommu_get_n_devices:
 * @self: a #HiodVtdViommu
 *
 * Gets how many host IOMMU devices the vIOMMU holds.
 *
 * Returns: how many host IOMMU devices the vIOMMU holds
 *
 * Since: 0.1
 */
guint
hiod_vtd_viommu_get_n_devices(HiodVtdViommu *self)
{
	guint n;
	g_return_val_if_fail(HIOD_IS_VTD_VIOMMU(self), 0);
	g_mutex_lock(&self->lock);
	n = g_hash_table_size(self->devices);
	g_mutex_unlock(&self->lock);
	return n;
}

static gboolean
hiod_vtd_vendor_regs(HiodHostIommuCaps *caps, guint32 *flags, guint64 *cap, guint64 *ecap)
{
	GBytes *data = hiod_host_iommu_caps_get_vendor_data(caps);
	const guint8 *p;
	gsize len = 0;
	if (data == NULL)
		return FALSE;
	p = g_bytes_get_data(data, &len);
	if (len < 24)
		return FALSE;
	memcpy(flags, p, sizeof(*flags));
	memcpy(cap, p + 8, sizeof(*cap));
	memcpy(ecap, p + 16, sizeof(*ecap));
	return TRUE;
}

/**
 * hiod_vtd_viommu_check_caps:
 * @self: a #HiodVtdViommu
 * @caps: (nullable): what the host IOMMU device learned (%NULL: nothing known)
 * @backend: the backend the device is attached through
 * @aliased: whether the device's requester ID is aliased (behind a
 *   conventional PCI bridge)
 *
 * The VT-d policy as a pure function. Checks, each adding a reason:
 * the guest's aw-bits is 39 or 48; the host's address width covers the
 * guest's (suggestion: the largest of 48, 39 that fits); with x-flts on: the
 * iommufd backend, a VT-d host, nesting (ECAP.NEST), first-stage 1 GiB pages
 * when the guest offers them (fs1gp), and a requester ID that is not aliased;
 * with pasid-bits set: the iommufd backend, a VT-d host that supports PASID
 * (ECAP.PASID) with at least as many PASID bits (ECAP.PSS + 1; suggestion:
 * the host's width, or 0). The device's own PASID capability (the caps'
 * max_pasid_log2, 0 on a device without one) does not refuse: such a device
 * simply does not use PASIDs.
 *
 * Returns: (transfer full): the verdict
 *
 * Since: 0.1
 */
HiodViommuVerdict *
hiod_vtd_viommu_check_caps(HiodVtdViommu *self, HiodHostIommuCaps *caps, HiodBackendKind backend,
			   gboolean aliased)
{
	g_autoptr(HiodViommuVerdict) v = hiod_viommu_verdict_new("intel-iommu");
	guint host_aw;
	gboolean flts_bad = FALSE;

	g_return_val_if_fail(HIOD_IS_VTD_VIOMMU(self), NULL);
	host_aw = caps != NULL ? hiod_host_iommu_caps_get_aw_bits(caps) : 0;

	if (self->aw_bits != 39 && self->aw_bits != 48) {
		hiod_viommu_verdict_add_reason(v, "aw-bits %u is not a VT-d address width (39 or 48)",
					       self->aw_bits);
	}
	if (host_aw == 0) {
		hiod_viommu_verdict_add_reason(v, "the host IOMMU reports no address width");
	} else if (self->aw_bits > host_aw) {
		hiod_viommu_verdict_add_reason(v, "aw-bits %u > host aw-bits %u", self->aw_bits,
					       host_aw);
		if (host_aw >= 48)
			hiod_viommu_verdict_suggest(v, "aw-bits", "48");
		else if (host_aw >= 39)
			hiod_viommu_verdict_suggest(v, "aw-bits", "39");
	}

	if (self->x_flts) {
		if (backend != HIOD_BACKEND_KIND_IOMMUFD) {
			hiod_viommu_verdict_add_reason(v, "Need IOMMUFD backend when x-flts=on");
			hiod_viommu_verdict_suggest(v, "backend", "iommufd");
			flts_bad = TRUE;
		} else if (caps == NULL ||
			   hiod_host_iommu_caps_get_iommu_type(caps) != HIOD_IOMMU_TYPE_INTEL_VTD) {
			hiod_viommu_verdict_add_reason(
			    v, "Incompatible host platform IOMMU type: x-flts=on needs an Intel VT-d host");
			flts_bad = TRUE;
		} else {
			guint32 flags = 0;
			guint64 cap = 0, ecap = 0;
			if (!hiod_vtd_vendor_regs(caps, &flags, &cap, &ecap)) {
				hiod_viommu_verdict_add_reason(
				    v, "the host reports no VT-d capability registers: cannot check nesting");
				flts_bad = TRUE;
			} else {
				if ((ecap & VTD_ECAP_NEST) == 0) {
					hiod_viommu_verdict_add_reason(
					    v, "host IOMMU does not support nesting (ECAP.NEST clear): "
					       "x-flts=on needs it");
					flts_bad = TRUE;
				}
				if (self->fs1gp && (cap & VTD_CAP_FS1GP) == 0) {
					hiod_viommu_verdict_add_reason(
					    v, "First stage 1GB large page is unsupported by host IOMMU");
					hiod_viommu_verdict_suggest(v, "fs1gp", "off");
				}
			}
		}
		if (aliased) {
			hiod_viommu_verdict_add_reason(
			    v, "Host device downstream to a PCI bridge is unsupported when x-flts=on");
			flts_bad = TRUE;
		}
		if (flts_bad)
			hiod_viommu_verdict_suggest(v, "x-flts", "off");
	}

	if (self->pasid_bits > 0) {
		guint32 flags = 0;
		guint64 cap = 0, ecap = 0;
		if (backend != HIOD_BACKEND_KIND_IOMMUFD) {
			hiod_viommu_verdict_add_reason(
			    v, "pasid-bits=%u needs the iommufd backend (VFIO type1 has no PASID)",
			    self->pasid_bits);
			hiod_viommu_verdict_suggest(v, "backend", "iommufd");
		} else if (caps == NULL ||
			   hiod_host_iommu_caps_get_iommu_type(caps) != HIOD_IOMMU_TYPE_INTEL_VTD ||
			   !hiod_vtd_vendor_regs(caps, &flags, &cap, &ecap)) {
			hiod_viommu_verdict_add_reason(
			    v, "pasid-bits=%u needs an Intel VT-d host whose registers say its PASID width",
			    self->pasid_bits);
			hiod_viommu_verdict_suggest(v, "pasid-bits", "0");
		} else {
			guint host = (ecap & VTD_ECAP_PASID) ? VTD_ECAP_PSS(ecap) + 1 : 0;
			if (host == 0) {
				hiod_viommu_verdict_add_reason(
				    v, "pasid-bits %u: the host IOMMU has no PASID support (ECAP.PASID clear)",
				    self->pasid_bits);
				hiod_viommu_verdict_suggest(v, "pasid-bits", "0");
			} else if (self->pasid_bits > host) {
				g_autofree gchar *w = g_strdup_printf("%u", host);
				hiod_viommu_verdict_add_reason(
				    v, "pasid-bits %u > host PASID width %u (ECAP.PSS %u)", self->pasid_bits,
				    host, host - 1);
				hiod_viommu_verdict_suggest(v, "pasid-bits", w);
			}
		}
	}
	return g_steal_pointer(&v);
}

/* HiodViommu --------------------------------------------------------------------- */

static guint64
hiod_vtd_viommu_get_viommu_flags(HiodViommu *viommu)
{
	HiodVtdViommu *self = HIOD_VTD_VIOMMU(viommu);
	return self->x_flts ? HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT : 0;
}

/* The backend, as QEMU's vtd_check_hiod asks it: by the host IOMMU device's
 * own type (an iommufd one, TYPE_HOST_IOMMU_DEVICE_IOMMUFD), not through the
 * device it was realized for. Only "iommufd or not" matters to the policy. */
static HiodBackendKind
hiod_vtd_viommu_backend_of(HiodHostIommuDevice *hiod)
{
#if HIOD_HAVE_IOMMUFD
	if (HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(hiod))
		return HIOD_BACKEND_KIND_IOMMUFD;
#endif
	return HIOD_BACKEND_KIND_AUTO; /* not iommufd */
}

/* the host caps, with the address width taken from the IOVA ranges when the
 * backend reports none (legacy type1) */
static HiodHostIommuCaps *
hiod_vtd_viommu_host_caps(HiodHostIommuDevice *hiod)
{
	HiodHostIommuCaps *caps = hiod_host_iommu_device_get_caps(hiod);
	g_autoptr(GPtrArray) ranges = NULL;
	if (caps != NULL && hiod_host_iommu_caps_get_aw_bits(caps) != 0)
		return hiod_host_iommu_caps_ref(caps);
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod, NULL);
	if (ranges == NULL || ranges->len == 0)
		return caps != NULL ? hiod_host_iommu_caps_ref(caps) : NULL;
	if (caps == NULL)
		return hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_UNKNOWN, 0,
						hiod_iova_ranges_get_aw_bits(ranges), 0, 0, NULL);
	return hiod_host_iommu_caps_new(hiod_host_iommu_caps_get_iommu_type(caps),
					hiod_host_iommu_caps_get_hw_info_type(caps),
					hiod_iova_ranges_get_aw_bits(ranges),
					hiod_host_iommu_caps_get_hw_caps(caps),
					hiod_host_iommu_caps_get_max_pasid_log2(caps),
					hiod_host_iommu_caps_get_vendor_data(caps));
}

static HiodViommuVerdict *
hiod_vtd_viommu_check(HiodViommu *viommu, const HiodPciRid *rid, HiodHostIommuDevice *hiod)
{
	HiodVtdViommu *self = HIOD_VTD_VIOMMU(viommu);
	g_autoptr(HiodHostIommuCaps) caps = hiod_vtd_viommu_host_caps(hiod);
	return hiod_vtd_viommu_check_caps(self, caps, hiod_vtd_viommu_backend_of(hiod), rid->aliased);
}

static gboolean
hiod_vtd_viommu_set_iommu_device(HiodViommu *viommu, const HiodPciRid *rid,
				 HiodHostIommuDevice *hiod, GError **error)
{
	HiodVtdViommu *self = HIOD_VTD_VIOMMU(viommu);
	g_autoptr(HiodViommuVerdict) v = NULL;
	gboolean ok = FALSE;

	g_mutex_lock(&self->lock);
	if (g_hash_table_contains(self->devices, RID_KEY(rid))) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE,
			    "intel-iommu refuses the device: a host IOMMU device is already set for "
			    "%04x:%02x:%02x.%x",
			    rid->domain, rid->bus, rid->devfn >> 3, rid->devfn & 7);
		goto out;
	}
	v = hiod_vtd_viommu_check(viommu, rid, hiod);
	if (!hiod_viommu_verdict_to_error(v, error))
		goto out;
	g_hash_table_insert(self->devices, RID_KEY(rid), g_object_ref(hiod));
	ok = TRUE;
out:
	g_mutex_unlock(&self->lock);
	return ok;
}

static void
hiod_vtd_viommu_unset_iommu_device(HiodViommu *viommu, const HiodPciRid *rid)
{
	HiodVtdViommu *self = HIOD_VTD_VIOMMU(viommu);
	g_mutex_lock(&self->lock);
	g_hash_table_remove(self->devices, RID_KEY(rid));
	g_mutex_unlock(&self->lock);
}

static guint64
hiod_vtd_viommu_get_host_iommu_quirks(HiodViommu *viommu, HiodHostIommuCaps *caps)
{
	guint32 flags = 0;
	guint64 cap, ecap;
	if (hiod_host_iommu_caps_get_iommu_type(caps) != HIOD_IOMMU_TYPE_INTEL_VTD)
		return 0;
	if (!hiod_vtd_vendor_regs(caps, &flags, &cap, &ecap))
		return 0;
	return (flags & VTD_HW_INFO_ERRATA_772415_SPR17) ? HIOD_HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO
							  : 0;
}

static const gchar *
hiod_vtd_viommu_get_name(HiodViommu *viommu)
{
	return "intel-iommu";
}

static void
hiod_vtd_viommu_iface_init(HiodViommuInterface *iface)
{
	iface->get_viommu_flags = hiod_vtd_viommu_get_viommu_flags;
	iface->check = hiod_vtd_viommu_check;
	iface->set_iommu_device = hiod_vtd_viommu_set_iommu_device;
	iface->unset_iommu_device = hiod_vtd_viommu_unset_iommu_device;
	iface->get_host_iommu_quirks = hiod_vtd_viommu_get_host_iommu_quirks;
	iface->get_name = hiod_vtd_viommu_get_name;
}

/* GObject ------------------------------------------------------------------------ */

static void
hiod_vtd_viommu_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	HiodVtdViommu *self = HIOD_VTD_VIOMMU(object);
	switch (prop_id) {
	case PROP_AW_BITS:
		g_value_set_uint(value, self->aw_bits);
		break;
	case PROP_X_FLTS:
		g_value_set_boolean(value, self->x_flts);
		break;
	case PROP_FS1GP:
		g_value_set_boolean(value, self->fs1gp);
		break;
	case PROP_PASID_BITS:
		g_value_set_uint(value, self->pasid_bits);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_vtd_viommu_set_property(GObject *object, guint prop_id, const GValue *value,
			     GParamSpec *pspec)
{
	HiodVtdViommu *self = HIOD_VTD_VIOMMU(object);
	switch (prop_id) {
	case PROP_AW_BITS:
		self->aw_bits = g_value_get_uint(value);
		break;
	case PROP_X_FLTS:
		self->x_flts = g_value_get_boolean(value);
		break;
	case PROP_FS1GP:
		self->fs1gp = g_value_get_boolean(value);
		break;
	case PROP_PASID_BITS:
		self->pasid_bits = g_value_get_uint(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_vtd_viommu_init(HiodVtdViommu *self)
{
	self->aw_bits = 39;
	self->fs1gp = TRUE;
	self->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_object_unref);
	g_mutex_init(&self->lock);
}

static void
hiod_vtd_viommu_finalize(GObject *object)
{
	HiodVtdViommu *self = HIOD_VTD_VIOMMU(object);
	g_hash_table_unref(self->devices);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(hiod_vtd_viommu_parent_class)->finalize(object);
}

static void
hiod_vtd_viommu_class_init(HiodVtdViommuClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = hiod_vtd_viommu_get_property;
	object_class->set_property = hiod_vtd_viommu_set_property;
	object_class->finalize = hiod_vtd_viommu_finalize;

	/**
	 * HiodVtdViommu:aw-bits:
	 *
	 * The guest address width: 39 or 48 (QEMU's intel-iommu aw-bits).
	 *
	 * Since: 0.1
	 */
	props[PROP_AW_BITS] = g_param_spec_uint("aw-bits", NULL, NULL, 1, 64, 39,
						G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
						    G_PARAM_STATIC_STRINGS);
	/**
	 * HiodVtdViommu:x-flts:
	 *
	 * First-stage translation for the guest: the guest's page tables are
	 * nested on the host's (needs a nesting-parent page table).
	 *
	 * Since: 0.1
	 */
	props[PROP_X_FLTS] = g_param_spec_boolean("x-flts", NULL, NULL, FALSE,
						  G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
						      G_PARAM_STATIC_STRINGS);
	/**
	 * HiodVtdViommu:fs1gp:
	 *
	 * Whether the guest is offered first-stage 1 GiB pages (with x-flts the
	 * host must support them).
	 *
	 * Since: 0.1
	 */
	props[PROP_FS1GP] = g_param_spec_boolean("fs1gp", NULL, NULL, TRUE,
						 G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
						     G_PARAM_STATIC_STRINGS);
	/**
	 * HiodVtdViommu:pasid-bits:
	 *
	 * The PASID width offered to the guest, 0 (the default) for none
	 * (QEMU 11's intel-iommu pasid-bits; VT-d's PASIDs are at most 20
	 * bits). The host IOMMU must have at least as many.
	 *
	 * Since: 0.1
	 */
	props[PROP_PASID_BITS] = g_param_spec_uint("pasid-bits", NULL, NULL, 0, 20, 0,
						   G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
						       G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

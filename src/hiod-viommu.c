/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HiodViommu: the vIOMMU side of a PCI bus (QEMU's PCIIOMMUOps). The flags
 * are read before attach and depend on the vIOMMU alone; the realized host
 * IOMMU device is handed over after attach and may be refused with a reason.
 */
#include "config.h"

#include <stdlib.h>

#include "hiod-error.h"
#include "hiod-json-private.h"
#include "hiod-viommu.h"

/* HiodPciRid -------------------------------------------------------------------- */

/**
 * hiod_pci_rid_copy:
 * @rid: a #HiodPciRid
 *
 * Returns a copy of @rid.
 *
 * Returns: (transfer full): a copy of @rid
 *
 * Since: 0.1
 */
HiodPciRid *
hiod_pci_rid_copy(const HiodPciRid *rid)
{
	g_return_val_if_fail(rid != NULL, NULL);
	return g_memdup2(rid, sizeof(*rid));
}

/**
 * hiod_pci_rid_free:
 * @rid: (transfer full): a #HiodPciRid
 *
 * Frees a requester ID.
 *
 * Since: 0.1
 */
void
hiod_pci_rid_free(HiodPciRid *rid)
{
	g_free(rid);
}

G_DEFINE_BOXED_TYPE(HiodPciRid, hiod_pci_rid, hiod_pci_rid_copy, hiod_pci_rid_free)

/**
 * hiod_pci_rid_to_json:
 * @rid: a #HiodPciRid
 * @builder: a #JsonBuilder where a value is expected
 *
 * Adds {"device": "DDDD:BB:SS.F", "requester_id": "DDDD:BB:SS.F", "aliased": bool}.
 *
 * Since: 0.1
 */
void
hiod_pci_rid_to_json(const HiodPciRid *rid, JsonBuilder *builder)
{
	g_autofree gchar *own = NULL;
	g_autofree gchar *alias = NULL;
	g_return_if_fail(rid != NULL && JSON_IS_BUILDER(builder));
	own = g_strdup_printf("%04x:%02x:%02x.%x", rid->domain, rid->bus, rid->devfn >> 3,
			      rid->devfn & 7);
	alias = g_strdup_printf("%04x:%02x:%02x.%x", rid->domain, rid->alias_bus,
				rid->alias_devfn >> 3, rid->alias_devfn & 7);
	json_builder_begin_object(builder);
	hiod_json_add_string(builder, "device", own);
	hiod_json_add_string(builder, "requester_id", alias);
	hiod_json_add_bool(builder, "aliased", rid->aliased);
	json_builder_end_object(builder);
}

/* HiodViommu -------------------------------------------------------------------- */

G_DEFINE_INTERFACE(HiodViommu, hiod_viommu, G_TYPE_OBJECT)

static void
hiod_viommu_default_init(HiodViommuInterface *iface)
{
}

/**
 * hiod_viommu_get_viommu_flags:
 * @self: a #HiodViommu
 *
 * Reads the vIOMMU's flags (seed 002). They depend only on the vIOMMU's
 * configuration, so they can be read before any host IOMMU device exists.
 *
 * Returns: the #HiodViommuFlags bits, 0 when the vIOMMU exposes none
 *
 * Since: 0.1
 */
guint64
hiod_viommu_get_viommu_flags(HiodViommu *self)
{
	HiodViommuInterface *iface;
	g_return_val_if_fail(HIOD_IS_VIOMMU(self), 0);
	iface = HIOD_VIOMMU_GET_IFACE(self);
	return iface->get_viommu_flags != NULL ? iface->get_viommu_flags(self) : 0;
}

/**
 * hiod_viommu_check:
 * @self: a #HiodViommu
 * @rid: where the device sits
 * @hiod: a realized #HiodHostIommuDevice
 *
 * Asks what the vIOMMU would say of @hiod without handing it over: nothing
 * is recorded.
 *
 * Returns: (transfer full): the verdict
 *
 * Since: 0.1
 */
HiodViommuVerdict *
hiod_viommu_check(HiodViommu *self, const HiodPciRid *rid, HiodHostIommuDevice *hiod)
{
	HiodViommuInterface *iface;
	g_return_val_if_fail(HIOD_IS_VIOMMU(self), NULL);
	g_return_val_if_fail(rid != NULL, NULL);
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(hiod), NULL);
	iface = HIOD_VIOMMU_GET_IFACE(self);
	if (iface->check == NULL)
		return hiod_viommu_verdict_new(hiod_viommu_get_name(self));
	return iface->check(self, rid, hiod);
}

/**
 * hiod_viommu_set_iommu_device:
 * @self: a #HiodViommu
 * @rid: where the device sits (its own bus/devfn and the aliased requester ID)
 * @hiod: the device's realized #HiodHostIommuDevice
 * @error: return location for a #GError
 *
 * Hands @hiod to the vIOMMU, which checks the host's capabilities and may
 * refuse it (%HIOD_ERROR_INCOMPATIBLE with the reason).
 *
 * Returns: %TRUE when the vIOMMU accepted the device
 *
 * Since: 0.1
 */
gboolean
hiod_viommu_set_iommu_device(HiodViommu *self, const HiodPciRid *rid, HiodHostIommuDevice *hiod,
			     GError **error)
{
	HiodViommuInterface *iface;
	g_return_val_if_fail(HIOD_IS_VIOMMU(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	iface = HIOD_VIOMMU_GET_IFACE(self);
	if (rid == NULL || !HIOD_IS_HOST_IOMMU_DEVICE(hiod)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "set_iommu_device needs a requester ID and a host IOMMU device");
		return FALSE;
	}
	if (!hiod_host_iommu_device_is_realized(hiod)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "host IOMMU device %s is not realized", G_OBJECT_TYPE_NAME(hiod));
		return FALSE;
	}
	if (iface->set_iommu_device == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s does not take host IOMMU devices", G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	return iface->set_iommu_device(self, rid, hiod, error);
}

/**
 * hiod_viommu_unset_iommu_device:
 * @self: a #HiodViommu
 * @rid: where the device sits
 *
 * Takes back what hiod_viommu_set_iommu_device() handed over.
 *
 * Since: 0.1
 */
void
hiod_viommu_unset_iommu_device(HiodViommu *self, const HiodPciRid *rid)
{
	HiodViommuInterface *iface;
	g_return_if_fail(HIOD_IS_VIOMMU(self));
	g_return_if_fail(rid != NULL);
	iface = HIOD_VIOMMU_GET_IFACE(self);
	if (iface->unset_iommu_device != NULL)
		iface->unset_iommu_device(self, rid);
}

/**
 * hiod_viommu_get_host_iommu_quirks:
 * @self: a #HiodViommu
 * @caps: the host's capabilities
 *
 * Gets the quirk bits the vIOMMU derives from @caps, 0 when it has none.
 *
 * Returns: the quirk bits the vIOMMU derives from @caps, 0 when it has none
 *
 * Since: 0.1
 */
guint64
hiod_viommu_get_host_iommu_quirks(HiodViommu *self, HiodHostIommuCaps *caps)
{
	HiodViommuInterface *iface;
	g_return_val_if_fail(HIOD_IS_VIOMMU(self), 0);
	g_return_val_if_fail(caps != NULL, 0);
	iface = HIOD_VIOMMU_GET_IFACE(self);
	return iface->get_host_iommu_quirks != NULL ? iface->get_host_iommu_quirks(self, caps) : 0;
}

/**
 * hiod_viommu_get_name:
 * @self: a #HiodViommu
 *
 * Gets the vIOMMU model's name ("intel-iommu", "virtio-iommu").
 *
 * Returns: the vIOMMU model's name ("intel-iommu", "virtio-iommu")
 *
 * Since: 0.1
 */
const gchar *
hiod_viommu_get_name(HiodViommu *self)
{
	HiodViommuInterface *iface;
	g_return_val_if_fail(HIOD_IS_VIOMMU(self), NULL);
	iface = HIOD_VIOMMU_GET_IFACE(self);
	return iface->get_name != NULL ? iface->get_name(self) : G_OBJECT_TYPE_NAME(self);
}

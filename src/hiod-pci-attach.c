/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The attach flow through a HiodPciTopology (seed 002): find the vIOMMU that
 * covers a device and the requester ID it sees (the model,
 * hiod-pci-topology.c), attach through the address space with the vIOMMU's
 * flags, hand the host IOMMU device to the vIOMMU, and undo it all when the
 * vIOMMU refuses; detach in reverse; check without keeping anything.
 */
#include "config.h"

#include "hiod-error.h"
#include "hiod-pci-topology-private.h"

/**
 * hiod_pci_topology_attach_device:
 * @self: a #HiodPciTopology where @device is declared
 * @space: the #HiodAddressSpace the device's DMA goes to
 * @device: a #HiodVfioDevice that is not attached
 * @kind: the backend (%HIOD_BACKEND_KIND_AUTO: iommufd when possible)
 * @error: return location for a #GError
 *
 * The attach flow of seed 002, end to end: find the vIOMMU that covers the
 * device and the requester ID it sees; read the vIOMMU's flags; attach the
 * device through @space (hiod_address_space_attach_device(): with
 * %HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT the backend allocates a
 * nesting-parent page table and attaches the device to it; the host IOMMU
 * device is created and realized after attach); hand the realized host
 * IOMMU device to the vIOMMU. When the vIOMMU refuses, everything is undone
 * (detach, page table freed, container released when empty, host IOMMU
 * device dropped) and the vIOMMU's reason is returned
 * (%HIOD_ERROR_INCOMPATIBLE, "Failed to set vIOMMU: ..."). Without a vIOMMU
 * this is hiod_address_space_attach_device() with no flags.
 *
 * Returns: (transfer none) (nullable): the container the device is attached to
 *
 * Since: 0.1
 */
HiodContainer *
hiod_pci_topology_attach_device(HiodPciTopology *self, HiodAddressSpace *space,
				HiodVfioDevice *device, HiodBackendKind kind, GError **error)
{
	g_autoptr(HiodViommu) viommu = NULL;
	HiodPciRid rid;
	HiodContainer *container;
	guint64 flags = 0;
	const gchar *name;

	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), NULL);
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(space), NULL);
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(device), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	name = hiod_vfio_device_get_name(device);

	hiod_pci_topology_lock(self);
	{
		HiodViommu *v = NULL;
		if (!hiod_pci_topology_lookup_locked(self, name, &rid, &v, error)) {
			hiod_pci_topology_unlock(self);
			return NULL;
		}
		if (hiod_pci_topology_is_attached_locked(self, device)) {
			hiod_pci_topology_unlock(self);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_BUSY, "%s is already attached",
				    name);
			return NULL;
		}
		if (v != NULL)
			viommu = g_object_ref(v);
	}
	hiod_pci_topology_unlock(self);

	/* 1. the flags, before anything exists on the host */
	if (viommu != NULL)
		flags = hiod_viommu_get_viommu_flags(viommu);
	g_debug("%s: vIOMMU %s, flags 0x%" G_GINT64_MODIFIER "x, requester ID %02x:%02x.%x%s",
		name, viommu ? hiod_viommu_get_name(viommu) : "(none)", flags, rid.alias_bus,
		rid.alias_devfn >> 3, rid.alias_devfn & 7, rid.aliased ? " (aliased)" : "");

	/* 2. attach (nesting-parent page table if asked), realize the host IOMMU device */
	container = hiod_address_space_attach_device(space, device, kind, flags, error);
	if (container == NULL)
		return NULL;

	/* 3. the hand-off; a refusal undoes everything */
	if (viommu != NULL) {
		HiodHostIommuDevice *hiod = hiod_vfio_device_get_host_iommu_device(device);
		g_autoptr(GError) local = NULL;
		if (hiod == NULL) {
			g_set_error(&local, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "the %s backend has no host IOMMU device to offer",
				    G_OBJECT_TYPE_NAME(container));
		} else {
			hiod_viommu_set_iommu_device(viommu, &rid, hiod, &local);
		}
		if (local != NULL) {
			hiod_address_space_detach_device(space, device);
			g_propagate_prefixed_error(error, g_steal_pointer(&local),
						   "attaching %s: Failed to set vIOMMU: ", name);
			return NULL;
		}
	}

	hiod_pci_topology_add_attachment(self, device, g_steal_pointer(&viommu), &rid);
	return container;
}

/**
 * hiod_pci_topology_detach_device:
 * @self: a #HiodPciTopology
 * @space: the #HiodAddressSpace given to hiod_pci_topology_attach_device()
 * @device: the attached device
 *
 * Undoes hiod_pci_topology_attach_device() in reverse: takes the host IOMMU
 * device back from the vIOMMU, then detaches the device from @space. Does
 * nothing for a device it did not attach.
 *
 * Since: 0.1
 */
void
hiod_pci_topology_detach_device(HiodPciTopology *self, HiodAddressSpace *space,
				HiodVfioDevice *device)
{
	HiodVfioDevice *held = NULL;
	HiodViommu *viommu = NULL;
	HiodPciRid rid;
	g_return_if_fail(HIOD_IS_PCI_TOPOLOGY(self));
	g_return_if_fail(HIOD_IS_ADDRESS_SPACE(space));
	g_return_if_fail(HIOD_IS_VFIO_DEVICE(device));
	if (!hiod_pci_topology_take_attachment(self, device, &held, &viommu, &rid))
		return;
	if (viommu != NULL)
		hiod_viommu_unset_iommu_device(viommu, &rid);
	hiod_address_space_detach_device(space, device);
	g_clear_object(&viommu);
	g_object_unref(held);
}

/**
 * hiod_pci_topology_check_device:
 * @self: a #HiodPciTopology where @device is declared and a vIOMMU covers it
 * @device: a #HiodVfioDevice that is not attached
 * @kind: the backend to check with
 * @error: return location for a #GError
 *
 * Asks the vIOMMU that covers @device what it would say, against the host's
 * real capabilities, without keeping anything: the device is attached in a
 * throwaway address space with the vIOMMU's flags, its host IOMMU device is
 * realized and checked (hiod_viommu_check(), which records nothing), and the
 * device is detached again. When the host cannot give what the flags ask
 * (a nesting-parent page table), that is a reason in the verdict, and the
 * other checks still run on a plain attach. The host is left as it was.
 *
 * Returns: (transfer full) (nullable): the verdict, or %NULL when the device
 *   could not be attached at all (busy, not bound to vfio-pci, ...)
 *
 * Since: 0.1
 */
HiodViommuVerdict *
hiod_pci_topology_check_device(HiodPciTopology *self, HiodVfioDevice *device,
			       HiodBackendKind kind, GError **error)
{
	g_autoptr(HiodViommu) viommu = NULL;
	g_autoptr(HiodAddressSpace) space = NULL;
	g_autoptr(GError) flags_error = NULL;
	g_autoptr(HiodViommuVerdict) v = NULL;
	HiodHostIommuDevice *hiod;
	HiodContainer *container;
	HiodPciRid rid;
	guint64 flags;
	const gchar *name;

	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), NULL);
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(device), NULL);
	name = hiod_vfio_device_get_name(device);
	hiod_pci_topology_lock(self);
	{
		HiodViommu *vi = NULL;
		if (!hiod_pci_topology_lookup_locked(self, name, &rid, &vi, error)) {
			hiod_pci_topology_unlock(self);
			return NULL;
		}
		if (vi != NULL)
			viommu = g_object_ref(vi);
	}
	hiod_pci_topology_unlock(self);
	if (viommu == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND, "no vIOMMU covers %s", name);
		return NULL;
	}
	flags = hiod_viommu_get_viommu_flags(viommu);
	space = hiod_address_space_new(hiod_vfio_device_get_context(device));
	container = hiod_address_space_attach_device(space, device, kind, flags, &flags_error);
	if (container == NULL && flags != 0 &&
	    !g_error_matches(flags_error, HIOD_ERROR, HIOD_ERROR_BUSY) &&
	    !g_error_matches(flags_error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED) &&
	    !g_error_matches(flags_error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND)) {
		/* what the flags asked failed: learn the rest from a plain attach */
		container = hiod_address_space_attach_device(space, device, kind, 0, error);
	} else if (container == NULL) {
		g_propagate_error(error, g_steal_pointer(&flags_error));
	}
	if (container == NULL)
		return NULL;
	hiod = hiod_vfio_device_get_host_iommu_device(device);
	if (hiod == NULL) {
		v = hiod_viommu_verdict_new(hiod_viommu_get_name(viommu));
		hiod_viommu_verdict_add_reason(v, "the %s backend has no host IOMMU device to offer",
					       G_OBJECT_TYPE_NAME(container));
	} else {
		v = hiod_viommu_check(viommu, &rid, hiod);
	}
	if (flags_error != NULL) {
		if (flags & HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT)
			hiod_viommu_verdict_add_reason(
			    v, "the host cannot allocate a nesting-parent page table: %s",
			    flags_error->message);
		else
			hiod_viommu_verdict_add_reason(v, "attaching with the vIOMMU's flags failed: %s",
						       flags_error->message);
	}
	hiod_address_space_detach_device(space, device);
	return g_steal_pointer(&v);
}

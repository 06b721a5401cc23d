/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HiodPciTopology's model (hiod-pci-topology.c) as its two other files see
 * it: the sysfs scan (hiod-pci-scan.c) declares what it finds, the attach
 * flow (hiod-pci-attach.c) looks devices up and records what it attached.
 * Functions named _locked want the model's lock held
 * (hiod_pci_topology_lock()); the others take it themselves.
 */
#pragma once

#include "hiod-pci-topology.h"

G_BEGIN_DECLS

void hiod_pci_topology_lock(HiodPciTopology *self);
void hiod_pci_topology_unlock(HiodPciTopology *self);

gboolean hiod_pci_topology_has_bus_locked(HiodPciTopology *self, guint domain, guint bus);
/* @address in canonical form (hiod_pci_address_format()) */
gboolean hiod_pci_topology_has_node_locked(HiodPciTopology *self, const gchar *address);
/* a root bus that is not declared yet: no checks */
void hiod_pci_topology_add_root_bus_locked(HiodPciTopology *self, guint domain, guint bus,
					   gboolean express);
/* a device or (@is_bridge) a bridge with the bus below it, on a declared bus */
gboolean hiod_pci_topology_add_node_locked(HiodPciTopology *self, const gchar *address,
					   gboolean is_bridge, HiodPciBridgeKind kind,
					   guint secondary_bus, GError **error);
/* hiod_pci_topology_lookup() under the lock; *@viommu is (transfer none) */
gboolean hiod_pci_topology_lookup_locked(HiodPciTopology *self, const gchar *address,
					 HiodPciRid *rid, HiodViommu **viommu, GError **error);

/* attachments: device -> (the vIOMMU it was handed to, its requester ID) */
gboolean hiod_pci_topology_is_attached_locked(HiodPciTopology *self, HiodVfioDevice *device);
/* keeps a reference to @device; takes @viommu (transfer full, nullable) */
void hiod_pci_topology_add_attachment(HiodPciTopology *self, HiodVfioDevice *device,
				      HiodViommu *viommu, const HiodPciRid *rid);
/* forgets @device's attachment: FALSE when there is none; else the reference
 * the topology held (*@held) and *@viommu (transfer full, nullable) are the
 * caller's */
gboolean hiod_pci_topology_take_attachment(HiodPciTopology *self, HiodVfioDevice *device,
					   HiodVfioDevice **held, HiodViommu **viommu,
					   HiodPciRid *rid);

G_END_DECLS

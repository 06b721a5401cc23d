/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-address-space.h"
#include "hiod-context.h"
#include "hiod-version.h"
#include "hiod-vfio-device.h"
#include "hiod-viommu.h"

G_BEGIN_DECLS

/**
 * HiodPciBridgeKind:
 * @HIOD_PCI_BRIDGE_KIND_ROOT_PORT: a PCIe root port (secondary bus is PCIe)
 * @HIOD_PCI_BRIDGE_KIND_SWITCH_UPSTREAM: a PCIe switch upstream port
 * @HIOD_PCI_BRIDGE_KIND_SWITCH_DOWNSTREAM: a PCIe switch downstream port
 * @HIOD_PCI_BRIDGE_KIND_PCIE_TO_PCI: a PCIe-to-PCI(-X) bridge (PCIe
 *   capability type 7): its secondary bus is conventional and DMA from
 *   behind it carries the requester ID (secondary bus, 00.0)
 * @HIOD_PCI_BRIDGE_KIND_PCI_TO_PCIE: a PCI-to-PCIe bridge (secondary bus is PCIe)
 * @HIOD_PCI_BRIDGE_KIND_PCI: a conventional PCI-to-PCI bridge without a PCIe
 *   capability (or a DMI-to-PCI bridge): DMA from behind it carries the
 *   bridge's own requester ID
 *
 * The kind of a PCI bridge, which decides how requester IDs are seen above it.
 *
 * Since: 0.1
 */
typedef enum {
	HIOD_PCI_BRIDGE_KIND_ROOT_PORT,
	HIOD_PCI_BRIDGE_KIND_SWITCH_UPSTREAM,
	HIOD_PCI_BRIDGE_KIND_SWITCH_DOWNSTREAM,
	HIOD_PCI_BRIDGE_KIND_PCIE_TO_PCI,
	HIOD_PCI_BRIDGE_KIND_PCI_TO_PCIE,
	HIOD_PCI_BRIDGE_KIND_PCI,
} HiodPciBridgeKind;

/**
 * HiodPciTopology:
 *
 * PCI buses, bridges and devices, which vIOMMU covers which bus, and the
 * requester ID a vIOMMU sees for each device (aliased behind conventional
 * PCI bridges). Built from sysfs or declared by a VMM.
 *
 * Threads: its methods may be called from any thread: one lock guards its
 * buses, devices and vIOMMU bindings. Attaching and detaching through it
 * also follow #HiodAddressSpace's and the vIOMMU's rules.
 *
 * Since: 0.1
 */
#define HIOD_TYPE_PCI_TOPOLOGY (hiod_pci_topology_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodPciTopology, hiod_pci_topology, HIOD, PCI_TOPOLOGY, GObject)

HIOD_AVAILABLE_IN_0_1
HiodPciTopology *hiod_pci_topology_new(void);
HIOD_AVAILABLE_IN_0_1
HiodPciTopology *hiod_pci_topology_new_from_sysfs(HiodContext *ctx, GError **error);

/* declared by a VMM */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_topology_add_root_bus(HiodPciTopology *self, guint domain, guint bus,
					gboolean express, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_topology_add_bridge(HiodPciTopology *self, const gchar *address,
				      HiodPciBridgeKind kind, guint secondary_bus, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_topology_add_device(HiodPciTopology *self, const gchar *address,
				      GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_topology_set_viommu(HiodPciTopology *self, guint domain, guint bus,
				      HiodViommu *viommu, GError **error);

/* questions */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_topology_has_device(HiodPciTopology *self, const gchar *address);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_topology_lookup(HiodPciTopology *self, const gchar *address, HiodPciRid *rid,
				  HiodViommu **viommu, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_topology_get_root_bus(HiodPciTopology *self, const gchar *address,
					guint *domain, guint *bus, GError **error);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_pci_topology_get_viommu_flags(HiodPciTopology *self, const gchar *address);
HIOD_AVAILABLE_IN_0_1
void hiod_pci_topology_to_json(HiodPciTopology *self, JsonBuilder *builder);

/* the attach flow with the vIOMMU negotiation (seed 002) */
HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_pci_topology_attach_device(HiodPciTopology *self, HiodAddressSpace *space,
					       HiodVfioDevice *device, HiodBackendKind kind,
					       GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_pci_topology_detach_device(HiodPciTopology *self, HiodAddressSpace *space,
				     HiodVfioDevice *device);
HIOD_AVAILABLE_IN_0_1
HiodViommuVerdict *hiod_pci_topology_check_device(HiodPciTopology *self, HiodVfioDevice *device,
						  HiodBackendKind kind, GError **error);

G_END_DECLS

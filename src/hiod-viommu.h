/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-host-iommu-device.h"
#include "hiod-version.h"
#include "hiod-viommu-flags.h"
#include "hiod-viommu-verdict.h"

G_BEGIN_DECLS

/**
 * HiodHostIommuQuirks:
 * @HIOD_HOST_IOMMU_QUIRK_NONE: no quirk
 * @HIOD_HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO: the host IOMMU ignores
 *   read-only on a nesting parent (VT-d erratum 772415, SPR17): keep
 *   read-only memory out of it
 *
 * Host IOMMU quirks a vIOMMU derives from the host's capabilities
 * (hiod_viommu_get_host_iommu_quirks()).
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	HIOD_HOST_IOMMU_QUIRK_NONE = 0,
	HIOD_HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO = 1 << 0,
} HiodHostIommuQuirks;

/**
 * HiodPciRid:
 * @domain: the PCI domain (segment)
 * @bus: the device's own bus number
 * @devfn: the device's own device/function ((slot << 3) | function)
 * @alias_bus: the bus number of the requester ID the IOMMU sees
 * @alias_devfn: the devfn of the requester ID the IOMMU sees
 * @aliased: whether the IOMMU sees another requester ID than the device's
 *   own (the device sits behind a conventional PCI bridge)
 *
 * Where a device sits as seen by the vIOMMU that covers it: its own bus and
 * devfn, and the requester ID its DMA arrives with. Without aliasing the two
 * are equal.
 *
 * Since: 0.1
 */
typedef struct {
	guint domain;
	guint bus;
	guint devfn;
	guint alias_bus;
	guint alias_devfn;
	gboolean aliased;
} HiodPciRid;

#define HIOD_TYPE_PCI_RID (hiod_pci_rid_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_pci_rid_get_type(void);
HIOD_AVAILABLE_IN_0_1
HiodPciRid *hiod_pci_rid_copy(const HiodPciRid *rid);
HIOD_AVAILABLE_IN_0_1
void hiod_pci_rid_free(HiodPciRid *rid);
HIOD_AVAILABLE_IN_0_1
void hiod_pci_rid_to_json(const HiodPciRid *rid, JsonBuilder *builder);

/**
 * HiodViommu:
 *
 * The vIOMMU side of a PCI bus (QEMU's PCIIOMMUOps): flags read before
 * attach, and the realized host IOMMU device handed over after attach, which
 * the vIOMMU may refuse with a reason.
 *
 * Threads: hiod calls an implementation from the thread that attaches or
 * detaches a device; several threads may do that at once, so an
 * implementation locks what it records. hiod's own (#HiodVtdViommu,
 * #HiodVirtioViommu) do.
 *
 * Since: 0.1
 */
#define HIOD_TYPE_VIOMMU (hiod_viommu_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_INTERFACE(HiodViommu, hiod_viommu, HIOD, VIOMMU, GObject)

/**
 * HiodViommuInterface:
 * @g_iface: the parent interface
 * @get_viommu_flags: Optional. The vIOMMU's flags (#HiodViommuFlags bits, 64
 *   bits wide). Must depend only on the vIOMMU's own configuration, never on
 *   the host: it is read during attach, before any host IOMMU device exists,
 *   and must give the same answer on every host. Absent: 0.
 * @check: Optional. The pure part of @set_iommu_device: what the vIOMMU
 *   would say of @hiod at @rid, without recording anything. Returns a new
 *   verdict. Absent: the wrapper answers a compatible verdict.
 * @set_iommu_device: Mandatory. Receives the realized host IOMMU device of
 *   the device at @rid. Returns %FALSE with %HIOD_ERROR_INCOMPATIBLE and the
 *   reason to refuse it; on %TRUE the vIOMMU holds a reference until
 *   @unset_iommu_device.
 * @unset_iommu_device: Mandatory. Drops what @set_iommu_device recorded for
 *   @rid. Unknown @rid: nothing.
 * @get_host_iommu_quirks: Optional. Translates the host's capabilities into
 *   quirk bits the vIOMMU acts on. Absent: 0.
 * @get_name: Optional. The vIOMMU model's name ("intel-iommu"). Absent: the
 *   type name.
 *
 * The vIOMMU side of a PCI bus (QEMU's PCIIOMMUOps): a VMM registers one on
 * the buses it covers (hiod_pci_topology_set_viommu()), and hiod negotiates
 * with it while attaching a device (seed 002).
 *
 * Since: 0.1
 */
struct _HiodViommuInterface {
	GTypeInterface g_iface;

	guint64 (*get_viommu_flags)(HiodViommu *self);
	HiodViommuVerdict *(*check)(HiodViommu *self, const HiodPciRid *rid,
				    HiodHostIommuDevice *hiod);
	gboolean (*set_iommu_device)(HiodViommu *self, const HiodPciRid *rid,
				     HiodHostIommuDevice *hiod, GError **error);
	void (*unset_iommu_device)(HiodViommu *self, const HiodPciRid *rid);
	guint64 (*get_host_iommu_quirks)(HiodViommu *self, HiodHostIommuCaps *caps);
	const gchar *(*get_name)(HiodViommu *self);
};

HIOD_AVAILABLE_IN_0_1
guint64 hiod_viommu_get_viommu_flags(HiodViommu *self);
HIOD_AVAILABLE_IN_0_1
HiodViommuVerdict *hiod_viommu_check(HiodViommu *self, const HiodPciRid *rid,
				     HiodHostIommuDevice *hiod);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_viommu_set_iommu_device(HiodViommu *self, const HiodPciRid *rid,
				      HiodHostIommuDevice *hiod, GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_viommu_unset_iommu_device(HiodViommu *self, const HiodPciRid *rid);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_viommu_get_host_iommu_quirks(HiodViommu *self, HiodHostIommuCaps *caps);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_viommu_get_name(HiodViommu *self);

HIOD_AVAILABLE_IN_0_1
HiodViommu *hiod_viommu_new_from_spec(const gchar *spec, GError **error);

G_END_DECLS

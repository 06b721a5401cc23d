/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HiodPciTopology: PCI buses, bridges and devices, and which vIOMMU covers
 * which bus (QEMU's pci_setup_iommu + pci_device_get_iommu_bus_devfn).
 *
 * The requester-ID rule (lookup): start at the device's bus with its own
 * (bus, devfn). While the current bus has no vIOMMU and has a parent bridge:
 * if the current bus is conventional PCI (its parent bridge is a PCIe-to-PCI
 * bridge or a conventional PCI bridge), DMA from it reaches the bridge's
 * upstream side under another requester ID, so the alias becomes
 *   - (the bridge's secondary bus, devfn 00.0) when the bridge is a
 *     PCIe-to-PCI(-X) bridge (PCIe capability type 7): it takes ownership of
 *     the transaction with its secondary bus number and a zero devfn;
 *   - (the bridge's own bus, the bridge's devfn) otherwise (a conventional
 *     PCI-to-PCI or DMI-to-PCI bridge forwards under its own ID),
 * and the ID is aliased; then go up to the bridge's bus. The topmost such
 * step wins, because it is the last bridge the transaction crosses. The
 * vIOMMU is the one registered on the bus where the walk stops. This is what
 * Linux's pci_for_each_dma_alias() and QEMU do for these bridge kinds.
 *
 * From sysfs: each /sys/bus/pci/devices/X links into /sys/devices/pciDDDD:BB/
 * A/B/X; the chain of directories gives the bridges above X and, from the
 * next element, each bridge's secondary bus. A bridge's kind comes from its
 * config space (sysfs "config"): header type 1, and the PCIe capability's
 * port type when there is one (no PCIe capability: conventional bridge).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hiod-context-private.h"
#include "hiod-enum-types.h"
#include "hiod-error.h"
#include "hiod-json-private.h"
#include "hiod-pci-topology.h"
#include "hiod-sysfs-private.h"

typedef struct _HiodPciNode HiodPciNode;

typedef struct {
	guint64 key; /* BUS_KEY_VALUE(domain, number): the hash table's key */
	guint domain;
	guint number;
	gboolean express;
	HiodPciNode *parent_bridge; /* NULL: a root bus */
	HiodViommu *viommu;	    /* owned, nullable */
} HiodPciBusEntry;

struct _HiodPciNode {
	gchar *address;
	guint domain;
	guint bus;
	guint devfn;
	gboolean is_bridge;
	HiodPciBridgeKind kind;
	guint secondary_bus;
};

typedef struct {
	HiodViommu *viommu; /* owned */
	HiodPciRid rid;
} HiodPciAttachment;

struct _HiodPciTopology {
	GObject parent_instance;
	GHashTable *buses;	 /* &entry->key (domain << 8 | bus, 64-bit) -> HiodPciBusEntry */
	GHashTable *nodes;	 /* address -> HiodPciNode */
	GHashTable *attachments; /* HiodVfioDevice* -> HiodPciAttachment */
	GMutex lock;
};

G_DEFINE_FINAL_TYPE(HiodPciTopology, hiod_pci_topology, G_TYPE_OBJECT)

#define BUS_KEY_VALUE(domain, bus) ((((guint64)(domain)) << 8) | (guint64)(bus))
#define BUS_KEY(domain, bus) (&(guint64){BUS_KEY_VALUE(domain, bus)})

static void
hiod_pci_bus_entry_free(HiodPciBusEntry *b)
{
	g_clear_object(&b->viommu);
	g_free(b);
}

static void
hiod_pci_node_free(HiodPciNode *n)
{
	g_free(n->address);
	g_free(n);
}

static void
hiod_pci_attachment_free(HiodPciAttachment *a)
{
	g_clear_object(&a->viommu);
	g_free(a);
}

/* one rule for every PCI address (hiod-sysfs.c) */
#define hiod_pci_parse_address hiod_pci_address_parse
#define hiod_pci_format_address hiod_pci_address_format

static gboolean
hiod_pci_bridge_kind_is_express(HiodPciBridgeKind kind)
{
	return kind != HIOD_PCI_BRIDGE_KIND_PCIE_TO_PCI && kind != HIOD_PCI_BRIDGE_KIND_PCI;
}

/**
 * hiod_pci_topology_new:
 *
 * An empty topology, for a VMM to declare its buses, bridges and devices.
 *
 * Returns: (transfer full): a new #HiodPciTopology
 *
 * Since: 0.1
 */
HiodPciTopology *
hiod_pci_topology_new(void)
{
	return g_object_new(HIOD_TYPE_PCI_TOPOLOGY, NULL);
}

static HiodPciNode *
hiod_pci_topology_add_node_locked(HiodPciTopology *self, const gchar *address, gboolean is_bridge,
				  HiodPciBridgeKind kind, guint secondary_bus, GError **error)
{
	guint domain, bus, devfn;
	g_autofree gchar *canon = NULL;
	HiodPciBusEntry *parent;
	HiodPciNode *n;

	if (!hiod_pci_parse_address(address, &domain, &bus, &devfn, error))
		return NULL;
	canon = hiod_pci_format_address(domain, bus, devfn);
	parent = g_hash_table_lookup(self->buses, BUS_KEY(domain, bus));
	if (parent == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "cannot add %s: bus %04x:%02x is not declared", canon, domain, bus);
		return NULL;
	}
	if (g_hash_table_contains(self->nodes, canon)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS, "%s is already declared", canon);
		return NULL;
	}
	if (is_bridge) {
		if (secondary_bus > 0xff || secondary_bus <= bus) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "bridge %s: secondary bus %02x must be above its bus %02x", canon,
				    secondary_bus, bus);
			return NULL;
		}
		if (g_hash_table_contains(self->buses, BUS_KEY(domain, secondary_bus))) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS,
				    "bridge %s: bus %04x:%02x is already declared", canon, domain,
				    secondary_bus);
			return NULL;
		}
	}
	n = g_new0(HiodPciNode, 1);
	n->address = g_steal_pointer(&canon);
	n->domain = domain;
	n->bus = bus;
	n->devfn = devfn;
	n->is_bridge = is_bridge;
	n->kind = kind;
	n->secondary_bus = secondary_bus;
	g_hash_table_insert(self->nodes, n->address, n);
	if (is_bridge) {
		HiodPciBusEntry *b = g_new0(HiodPciBusEntry, 1);
		b->domain = domain;
		b->number = secondary_bus;
		b->express = hiod_pci_bridge_kind_is_express(kind);
		b->parent_bridge = n;
		b->key = BUS_KEY_VALUE(domain, secondary_bus);
		g_hash_table_insert(self->buses, &b->key, b);
	}
	return n;
}

/**
 * hiod_pci_topology_add_root_bus:
 * @self: a #HiodPciTopology
 * @domain: the PCI domain
 * @bus: the root bus number
 * @express: whether the root bus is PCI Express (q35) or conventional (i440fx)
 * @error: return location for a #GError
 *
 * Returns %TRUE on success; %HIOD_ERROR_EXISTS when the bus is known.
 *
 * Returns: %TRUE on success; %HIOD_ERROR_EXISTS when the bus is known
 *
 * Since: 0.1
 */
gboolean
hiod_pci_topology_add_root_bus(HiodPciTopology *self, guint domain, guint bus, gboolean express,
			       GError **error)
{
	HiodPciBusEntry *b;
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), FALSE);
	if (bus > 0xff) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "bus %x:%x is out of range", domain, bus);
		return FALSE;
	}
	locker = g_mutex_locker_new(&self->lock);
	if (g_hash_table_contains(self->buses, BUS_KEY(domain, bus))) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS, "bus %04x:%02x is already declared",
			    domain, bus);
		return FALSE;
	}
	b = g_new0(HiodPciBusEntry, 1);
	b->domain = domain;
	b->number = bus;
	b->express = express;
	b->key = BUS_KEY_VALUE(domain, bus);
	g_hash_table_insert(self->buses, &b->key, b);
	return TRUE;
}

/**
 * hiod_pci_topology_add_bridge:
 * @self: a #HiodPciTopology
 * @address: the bridge's PCI address, on a declared bus
 * @kind: what kind of bridge it is
 * @secondary_bus: the bus number below it
 * @error: return location for a #GError
 *
 * Declares a bridge and the bus below it.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_pci_topology_add_bridge(HiodPciTopology *self, const gchar *address, HiodPciBridgeKind kind,
			     guint secondary_bus, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), FALSE);
	locker = g_mutex_locker_new(&self->lock);
	return hiod_pci_topology_add_node_locked(self, address, TRUE, kind, secondary_bus, error) !=
	       NULL;
}

/**
 * hiod_pci_topology_add_device:
 * @self: a #HiodPciTopology
 * @address: the device's PCI address, on a declared bus
 * @error: return location for a #GError
 *
 * Declares an endpoint.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_pci_topology_add_device(HiodPciTopology *self, const gchar *address, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), FALSE);
	locker = g_mutex_locker_new(&self->lock);
	return hiod_pci_topology_add_node_locked(self, address, FALSE, 0, 0, error) != NULL;
}

/**
 * hiod_pci_topology_set_viommu:
 * @self: a #HiodPciTopology
 * @domain: the PCI domain
 * @bus: the bus the vIOMMU covers (with everything below it that has no
 *   vIOMMU of its own), usually the root bus
 * @viommu: the vIOMMU
 * @error: return location for a #GError
 *
 * Registers @viommu on @bus (QEMU's pci_setup_iommu). Once per bus.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_pci_topology_set_viommu(HiodPciTopology *self, guint domain, guint bus, HiodViommu *viommu,
			     GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	HiodPciBusEntry *b;
	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), FALSE);
	g_return_val_if_fail(HIOD_IS_VIOMMU(viommu), FALSE);
	locker = g_mutex_locker_new(&self->lock);
	b = g_hash_table_lookup(self->buses, BUS_KEY(domain, bus));
	if (b == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND, "bus %04x:%02x is not declared",
			    domain, bus);
		return FALSE;
	}
	if (b->viommu != NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS,
			    "bus %04x:%02x already has a vIOMMU (%s)", domain, bus,
			    hiod_viommu_get_name(b->viommu));
		return FALSE;
	}
	b->viommu = g_object_ref(viommu);
	return TRUE;
}

/**
 * hiod_pci_topology_has_device:
 * @self: a #HiodPciTopology
 * @address: a PCI address
 *
 * Tells whether @address is declared (as a device or a bridge).
 *
 * Returns: whether @address is declared (as a device or a bridge)
 *
 * Since: 0.1
 */
gboolean
hiod_pci_topology_has_device(HiodPciTopology *self, const gchar *address)
{
	guint d, b, df;
	g_autofree gchar *canon = NULL;
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), FALSE);
	if (!hiod_pci_parse_address(address, &d, &b, &df, NULL))
		return FALSE;
	canon = hiod_pci_format_address(d, b, df);
	locker = g_mutex_locker_new(&self->lock);
	return g_hash_table_contains(self->nodes, canon);
}

static gboolean
hiod_pci_topology_lookup_locked(HiodPciTopology *self, const gchar *address, HiodPciRid *rid,
				HiodViommu **viommu, GError **error)
{
	guint domain, bus, devfn;
	g_autofree gchar *canon = NULL;
	HiodPciBusEntry *b;
	HiodPciRid r = {0};

	if (!hiod_pci_parse_address(address, &domain, &bus, &devfn, error))
		return FALSE;
	canon = hiod_pci_format_address(domain, bus, devfn);
	if (!g_hash_table_contains(self->nodes, canon)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "%s is not in the PCI topology", canon);
		return FALSE;
	}
	r.domain = domain;
	r.bus = r.alias_bus = bus;
	r.devfn = r.alias_devfn = devfn;
	b = g_hash_table_lookup(self->buses, BUS_KEY(domain, bus));
	while (b != NULL && b->viommu == NULL && b->parent_bridge != NULL) {
		HiodPciNode *bridge = b->parent_bridge;
		if (!b->express) {
			if (bridge->kind == HIOD_PCI_BRIDGE_KIND_PCIE_TO_PCI) {
				r.alias_bus = b->number;
				r.alias_devfn = 0;
			} else {
				r.alias_bus = bridge->bus;
				r.alias_devfn = bridge->devfn;
			}
			r.aliased = TRUE;
		}
		b = g_hash_table_lookup(self->buses, BUS_KEY(domain, bridge->bus));
	}
	if (rid != NULL)
		*rid = r;
	if (viommu != NULL)
		*viommu = b != NULL ? b->viommu : NULL;
	return TRUE;
}

/**
 * hiod_pci_topology_lookup:
 * @self: a #HiodPciTopology
 * @address: a declared device's PCI address
 * @rid: (out caller-allocates) (optional): where the device sits as the
 *   IOMMU sees it: its own bus/devfn, the requester ID its DMA carries, and
 *   whether that ID is aliased
 * @viommu: (out) (transfer none) (optional) (nullable): the vIOMMU that
 *   covers the device, %NULL when none does
 * @error: return location for a #GError
 *
 * Walks up from the device's bus through its bridges to the first bus with
 * a vIOMMU (or the root), applying requester-ID aliasing behind conventional
 * PCI buses (see the rule at the top of hiod-pci-topology.c).
 *
 * Returns: %TRUE on success; %HIOD_ERROR_NOT_FOUND for an unknown device
 *
 * Since: 0.1
 */
gboolean
hiod_pci_topology_lookup(HiodPciTopology *self, const gchar *address, HiodPciRid *rid,
			 HiodViommu **viommu, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), FALSE);
	locker = g_mutex_locker_new(&self->lock);
	return hiod_pci_topology_lookup_locked(self, address, rid, viommu, error);
}

/**
 * hiod_pci_topology_get_root_bus:
 * @self: a #HiodPciTopology
 * @address: a declared device's PCI address
 * @domain: (out) (optional): the root bus's domain
 * @bus: (out) (optional): the root bus's number
 * @error: return location for a #GError
 *
 * The root bus above @address: where a VMM usually registers the vIOMMU.
 *
 * Returns: %TRUE on success; %HIOD_ERROR_NOT_FOUND for an unknown device
 *
 * Since: 0.1
 */
gboolean
hiod_pci_topology_get_root_bus(HiodPciTopology *self, const gchar *address, guint *domain,
			       guint *bus, GError **error)
{
	guint d, b, df;
	g_autofree gchar *canon = NULL;
	g_autoptr(GMutexLocker) locker = NULL;
	HiodPciBusEntry *e;
	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), FALSE);
	if (!hiod_pci_parse_address(address, &d, &b, &df, error))
		return FALSE;
	canon = hiod_pci_format_address(d, b, df);
	locker = g_mutex_locker_new(&self->lock);
	if (!g_hash_table_contains(self->nodes, canon)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "%s is not in the PCI topology", canon);
		return FALSE;
	}
	e = g_hash_table_lookup(self->buses, BUS_KEY(d, b));
	while (e != NULL && e->parent_bridge != NULL)
		e = g_hash_table_lookup(self->buses, BUS_KEY(d, e->parent_bridge->bus));
	if (domain != NULL)
		*domain = d;
	if (bus != NULL)
		*bus = e != NULL ? e->number : 0;
	return TRUE;
}

/**
 * hiod_pci_topology_get_viommu_flags:
 * @self: a #HiodPciTopology
 * @address: a PCI address
 *
 * The flags of the vIOMMU that covers @address (QEMU's
 * pci_device_get_viommu_flags()).
 *
 * Returns: the flags; 0 when the device is unknown, no vIOMMU covers it, or
 *   the vIOMMU exposes none
 *
 * Since: 0.1
 */
guint64
hiod_pci_topology_get_viommu_flags(HiodPciTopology *self, const gchar *address)
{
	g_autoptr(HiodViommu) viommu = NULL;
	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), 0);
	g_mutex_lock(&self->lock);
	{
		HiodViommu *v = NULL;
		if (hiod_pci_topology_lookup_locked(self, address, NULL, &v, NULL) && v != NULL)
			viommu = g_object_ref(v);
	}
	g_mutex_unlock(&self->lock);
	return viommu != NULL ? hiod_viommu_get_viommu_flags(viommu) : 0;
}

/* sysfs ------------------------------------------------------------------------- */

#define PCI_HEADER_TYPE 0x0e
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAPABILITY_LIST 0x34
#define PCI_SECONDARY_BUS 0x19
#define PCI_CAP_ID_EXP 0x10

static gboolean
hiod_pci_sysfs_bridge_kind(const gchar *dir, const gchar *address, gboolean *is_bridge,
			   HiodPciBridgeKind *kind, guint *secondary, GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, "config", NULL);
	g_autofree gchar *cfg = NULL;
	gsize len = 0;
	g_autoptr(GError) local = NULL;
	guint pos, guard = 0;

	if (!g_file_get_contents(path, &cfg, &len, &local)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO, "reading %s's config space: %s",
			    address, local->message);
		return FALSE;
	}
	if (len < 0x40) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
			    "%s's config space is %zu bytes: too short", address, len);
		return FALSE;
	}
	*is_bridge = ((guint8)cfg[PCI_HEADER_TYPE] & 0x7f) == 1;
	if (!*is_bridge)
		return TRUE;
	*secondary = (guint8)cfg[PCI_SECONDARY_BUS];
	*kind = HIOD_PCI_BRIDGE_KIND_PCI;
	if (((guint8)cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST) == 0)
		return TRUE;
	pos = (guint8)cfg[PCI_CAPABILITY_LIST] & ~3u;
	while (pos >= 0x40 && guard++ < 48) {
		if (pos + 4 > len) {
			/* unprivileged readers get only the first 64 bytes */
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED,
				    "cannot read bridge %s's capabilities: sysfs gave %zu bytes of "
				    "config space (reading more needs root)",
				    address, len);
			return FALSE;
		}
		if ((guint8)cfg[pos] == PCI_CAP_ID_EXP) {
			switch (((guint8)cfg[pos + 2] >> 4) & 0xf) {
			case 4:
				*kind = HIOD_PCI_BRIDGE_KIND_ROOT_PORT;
				break;
			case 5:
				*kind = HIOD_PCI_BRIDGE_KIND_SWITCH_UPSTREAM;
				break;
			case 6:
				*kind = HIOD_PCI_BRIDGE_KIND_SWITCH_DOWNSTREAM;
				break;
			case 7:
				*kind = HIOD_PCI_BRIDGE_KIND_PCIE_TO_PCI;
				break;
			case 8:
				*kind = HIOD_PCI_BRIDGE_KIND_PCI_TO_PCIE;
				break;
			default:
				/* a bridge header with an endpoint's PCIe type: keep it conventional */
				break;
			}
			return TRUE;
		}
		pos = (guint8)cfg[pos + 1] & ~3u;
	}
	return TRUE;
}

static gboolean
hiod_pci_topology_add_sysfs_chain(HiodPciTopology *self, const gchar *devices_dir,
				  const gchar *real, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(real, "/", -1);
	g_autoptr(GString) dir = g_string_new(NULL);
	gint root = -1;
	guint n = g_strv_length(parts);

	/* find the host bridge component "pciDDDD:BB" */
	for (guint i = 0; i < n; i++) {
		guint d, b;
		if (hiod_pci_host_bridge_parse(parts[i], &d, &b))
			root = (gint)i;
	}
	if (root < 0) {
		g_debug("%s is not below a PCI host bridge; skipped", real);
		return TRUE;
	}
	for (gint i = 0; i <= root; i++) {
		if (i > 0 || parts[0][0] != '\0')
			g_string_append(dir, parts[i]);
		g_string_append_c(dir, '/');
	}
	for (guint i = root + 1; i < n; i++) {
		guint d, b, df;
		g_autofree gchar *canon = NULL;
		gboolean is_bridge = FALSE;
		HiodPciBridgeKind kind = HIOD_PCI_BRIDGE_KIND_PCI;
		guint secondary = 0;

		if (!hiod_pci_parse_address(parts[i], &d, &b, &df, NULL))
			break; /* a non-PCI child (e.g. a vfio-dev dir): stop */
		g_string_append(dir, parts[i]);
		canon = hiod_pci_format_address(d, b, df);
		if (i == (guint)root + 1 &&
		    !g_hash_table_contains(self->buses, BUS_KEY(d, b))) {
			HiodPciBusEntry *rb = g_new0(HiodPciBusEntry, 1);
			rb->domain = d;
			rb->number = b;
			rb->express = TRUE;
			rb->key = BUS_KEY_VALUE(d, b);
			g_hash_table_insert(self->buses, &rb->key, rb);
		}
		if (!g_hash_table_contains(self->nodes, canon)) {
			guint nd, nb, ndf;
			if (!hiod_pci_sysfs_bridge_kind(dir->str, canon, &is_bridge, &kind,
							&secondary, error))
				return FALSE;
			/* the child's bus is the authoritative secondary bus */
			if (i + 1 < n && hiod_pci_parse_address(parts[i + 1], &nd, &nb, &ndf, NULL)) {
				is_bridge = TRUE;
				secondary = nb;
			}
			if (is_bridge && (secondary <= b ||
					  g_hash_table_contains(self->buses, BUS_KEY(d, secondary)))) {
				g_debug("bridge %s: no usable secondary bus (%02x); kept as a device",
					canon, secondary);
				is_bridge = FALSE;
			}
			if (hiod_pci_topology_add_node_locked(self, canon, is_bridge, kind, secondary,
							      error) == NULL)
				return FALSE;
		}
		g_string_append_c(dir, '/');
	}
	return TRUE;
}

/**
 * hiod_pci_topology_new_from_sysfs:
 * @ctx: a #HiodContext (its sysfs root is read)
 * @error: return location for a #GError
 *
 * The host's PCI topology: every device in /sys/bus/pci/devices, with the
 * bridges above it (from the sysfs device hierarchy) and each bridge's kind
 * (from its config space). No vIOMMU is registered.
 *
 * Returns: (transfer full) (nullable): the topology
 *
 * Since: 0.1
 */
HiodPciTopology *
hiod_pci_topology_new_from_sysfs(HiodContext *ctx, GError **error)
{
	g_autoptr(HiodPciTopology) self = NULL;
	g_autofree gchar *devices_dir = NULL;
	g_autoptr(GDir) d = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) local = NULL;
	const gchar *name;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	devices_dir = hiod_context_build_sysfs_path(ctx, "bus", "pci", "devices", NULL);
	d = g_dir_open(devices_dir, 0, &local);
	if (d == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND, "cannot list PCI devices: %s",
			    local->message);
		return NULL;
	}
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	/* parents before children does not matter: each chain adds its own parents */
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	self = hiod_pci_topology_new();
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *rel = g_build_filename("bus", "pci", "devices", names->pdata[i], NULL);
		g_autoptr(GError) error_entry = NULL;
		g_autofree gchar *real = hiod_sysfs_resolve(ctx, rel, &error_entry);
		if (real == NULL) {
			if (g_error_matches(error_entry, HIOD_ERROR, HIOD_ERROR_NOT_FOUND)) {
				g_debug("%s; skipped", error_entry->message); /* unplugged meanwhile */
				continue;
			}
			g_mutex_unlock(&self->lock);
			g_propagate_prefixed_error(error, g_steal_pointer(&error_entry),
						   "reading the PCI topology from sysfs: ");
			return NULL;
		}
		if (!hiod_pci_topology_add_sysfs_chain(self, devices_dir, real, error)) {
			g_mutex_unlock(&self->lock);
			g_prefix_error(error, "reading the PCI topology from sysfs: ");
			return NULL;
		}
	}
	g_mutex_unlock(&self->lock);
	return g_steal_pointer(&self);
}

/* JSON ------------------------------------------------------------------------- */

static gint
hiod_pci_cmp_uint_keys(gconstpointer a, gconstpointer b)
{
	guint64 ua = *(const guint64 *)a, ub = *(const guint64 *)b;
	return ua < ub ? -1 : ua > ub;
}

/**
 * hiod_pci_topology_to_json:
 * @self: a #HiodPciTopology
 * @builder: a #JsonBuilder where a value is expected
 *
 * Adds {"buses": [{bus, express, parent_bridge, bridge_kind, viommu}],
 * "devices": [{address, bridge, requester_id, aliased, viommu}]}.
 *
 * Since: 0.1
 */
void
hiod_pci_topology_to_json(HiodPciTopology *self, JsonBuilder *builder)
{
	g_autoptr(GList) buses = NULL;
	g_autoptr(GList) nodes = NULL;
	g_return_if_fail(HIOD_IS_PCI_TOPOLOGY(self));
	g_mutex_lock(&self->lock);
	buses = g_hash_table_get_keys(self->buses);
	buses = g_list_sort(buses, hiod_pci_cmp_uint_keys);
	nodes = g_hash_table_get_keys(self->nodes);
	nodes = g_list_sort(nodes, (GCompareFunc)g_strcmp0);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "buses");
	json_builder_begin_array(builder);
	for (GList *l = buses; l != NULL; l = l->next) {
		HiodPciBusEntry *b = g_hash_table_lookup(self->buses, l->data);
		g_autofree gchar *name = g_strdup_printf("%04x:%02x", b->domain, b->number);
		json_builder_begin_object(builder);
		hiod_json_add_string(builder, "bus", name);
		hiod_json_add_bool(builder, "express", b->express);
		hiod_json_add_string(builder, "parent_bridge",
				     b->parent_bridge ? b->parent_bridge->address : NULL);
		if (b->parent_bridge != NULL)
			hiod_json_add_enum(builder, "bridge_kind", HIOD_TYPE_PCI_BRIDGE_KIND,
					   b->parent_bridge->kind);
		hiod_json_add_string(builder, "viommu",
				     b->viommu ? hiod_viommu_get_name(b->viommu) : NULL);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "devices");
	json_builder_begin_array(builder);
	for (GList *l = nodes; l != NULL; l = l->next) {
		HiodPciNode *n = g_hash_table_lookup(self->nodes, l->data);
		HiodPciRid rid;
		HiodViommu *v = NULL;
		g_autofree gchar *alias = NULL;
		if (!hiod_pci_topology_lookup_locked(self, n->address, &rid, &v, NULL))
			continue;
		alias = hiod_pci_format_address(rid.domain, rid.alias_bus, rid.alias_devfn);
		json_builder_begin_object(builder);
		hiod_json_add_string(builder, "address", n->address);
		hiod_json_add_bool(builder, "bridge", n->is_bridge);
		hiod_json_add_string(builder, "requester_id", alias);
		hiod_json_add_bool(builder, "aliased", rid.aliased);
		hiod_json_add_string(builder, "viommu", v ? hiod_viommu_get_name(v) : NULL);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	g_mutex_unlock(&self->lock);
}

/* the attach flow ---------------------------------------------------------------- */

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
	HiodPciAttachment *att;
	HiodPciRid rid;
	HiodContainer *container;
	guint64 flags = 0;
	const gchar *name;

	g_return_val_if_fail(HIOD_IS_PCI_TOPOLOGY(self), NULL);
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(space), NULL);
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(device), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	name = hiod_vfio_device_get_name(device);

	g_mutex_lock(&self->lock);
	{
		HiodViommu *v = NULL;
		if (!hiod_pci_topology_lookup_locked(self, name, &rid, &v, error)) {
			g_mutex_unlock(&self->lock);
			return NULL;
		}
		if (g_hash_table_contains(self->attachments, device)) {
			g_mutex_unlock(&self->lock);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_BUSY, "%s is already attached",
				    name);
			return NULL;
		}
		if (v != NULL)
			viommu = g_object_ref(v);
	}
	g_mutex_unlock(&self->lock);

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

	att = g_new0(HiodPciAttachment, 1);
	att->viommu = g_steal_pointer(&viommu);
	att->rid = rid;
	g_mutex_lock(&self->lock);
	g_hash_table_insert(self->attachments, g_object_ref(device), att);
	g_mutex_unlock(&self->lock);
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
	HiodPciAttachment *att = NULL;
	gpointer key = NULL;
	g_return_if_fail(HIOD_IS_PCI_TOPOLOGY(self));
	g_return_if_fail(HIOD_IS_ADDRESS_SPACE(space));
	g_return_if_fail(HIOD_IS_VFIO_DEVICE(device));
	g_mutex_lock(&self->lock);
	if (g_hash_table_lookup_extended(self->attachments, device, &key, (gpointer *)&att))
		g_hash_table_steal(self->attachments, device);
	g_mutex_unlock(&self->lock);
	if (att == NULL)
		return;
	if (att->viommu != NULL)
		hiod_viommu_unset_iommu_device(att->viommu, &att->rid);
	hiod_address_space_detach_device(space, device);
	hiod_pci_attachment_free(att);
	g_object_unref(key);
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
	g_mutex_lock(&self->lock);
	{
		HiodViommu *vi = NULL;
		if (!hiod_pci_topology_lookup_locked(self, name, &rid, &vi, error)) {
			g_mutex_unlock(&self->lock);
			return NULL;
		}
		if (vi != NULL)
			viommu = g_object_ref(vi);
	}
	g_mutex_unlock(&self->lock);
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

/* GObject ------------------------------------------------------------------------ */

static void
hiod_pci_topology_init(HiodPciTopology *self)
{
	g_mutex_init(&self->lock);
	self->buses = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
					    (GDestroyNotify)hiod_pci_bus_entry_free);
	self->nodes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)hiod_pci_node_free);
	self->attachments = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_object_unref,
						  (GDestroyNotify)hiod_pci_attachment_free);
}

static void
hiod_pci_topology_finalize(GObject *object)
{
	HiodPciTopology *self = HIOD_PCI_TOPOLOGY(object);
	g_hash_table_unref(self->attachments);
	g_hash_table_unref(self->buses);
	g_hash_table_unref(self->nodes);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(hiod_pci_topology_parent_class)->finalize(object);
}

static void
hiod_pci_topology_class_init(HiodPciTopologyClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = hiod_pci_topology_finalize;
}

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
 * Its two other jobs have their own files: reading it from sysfs
 * (hiod-pci-scan.c) and the attach flow through it (hiod-pci-attach.c); they
 * reach the model through hiod-pci-topology-private.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hiod-enum-types.h"
#include "hiod-error.h"
#include "hiod-json-private.h"
#include "hiod-pci-topology-private.h"
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
hiod_pci_topology_add_node_real(HiodPciTopology *self, const gchar *address, gboolean is_bridge,
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

gboolean
hiod_pci_topology_add_node_locked(HiodPciTopology *self, const gchar *address, gboolean is_bridge,
				  HiodPciBridgeKind kind, guint secondary_bus, GError **error)
{
	return hiod_pci_topology_add_node_real(self, address, is_bridge, kind, secondary_bus,
					       error) != NULL;
}

/* for the scan and the attach flow (hiod-pci-topology-private.h) ----------------------- */

void
hiod_pci_topology_lock(HiodPciTopology *self)
{
	g_mutex_lock(&self->lock);
}

void
hiod_pci_topology_unlock(HiodPciTopology *self)
{
	g_mutex_unlock(&self->lock);
}

gboolean
hiod_pci_topology_has_bus_locked(HiodPciTopology *self, guint domain, guint bus)
{
	return g_hash_table_contains(self->buses, BUS_KEY(domain, bus));
}

gboolean
hiod_pci_topology_has_node_locked(HiodPciTopology *self, const gchar *address)
{
	return g_hash_table_contains(self->nodes, address);
}

void
hiod_pci_topology_add_root_bus_locked(HiodPciTopology *self, guint domain, guint bus,
				      gboolean express)
{
	HiodPciBusEntry *b = g_new0(HiodPciBusEntry, 1);
	b->domain = domain;
	b->number = bus;
	b->express = express;
	b->key = BUS_KEY_VALUE(domain, bus);
	g_hash_table_insert(self->buses, &b->key, b);
}

gboolean
hiod_pci_topology_is_attached_locked(HiodPciTopology *self, HiodVfioDevice *device)
{
	return g_hash_table_contains(self->attachments, device);
}

void
hiod_pci_topology_add_attachment(HiodPciTopology *self, HiodVfioDevice *device,
				 HiodViommu *viommu, const HiodPciRid *rid)
{
	HiodPciAttachment *att = g_new0(HiodPciAttachment, 1);
	att->viommu = viommu;
	att->rid = *rid;
	g_mutex_lock(&self->lock);
	g_hash_table_insert(self->attachments, g_object_ref(device), att);
	g_mutex_unlock(&self->lock);
}

gboolean
hiod_pci_topology_take_attachment(HiodPciTopology *self, HiodVfioDevice *device,
				  HiodVfioDevice **held, HiodViommu **viommu, HiodPciRid *rid)
{
	HiodPciAttachment *att = NULL;
	gpointer key = NULL;
	g_mutex_lock(&self->lock);
	if (g_hash_table_lookup_extended(self->attachments, device, &key, (gpointer *)&att))
		g_hash_table_steal(self->attachments, device);
	g_mutex_unlock(&self->lock);
	if (att == NULL)
		return FALSE;
	*held = key;
	*viommu = g_steal_pointer(&att->viommu);
	*rid = att->rid;
	hiod_pci_attachment_free(att);
	return TRUE;
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
	hiod_pci_topology_add_root_bus_locked(self, domain, bus, express);
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
	return hiod_pci_topology_add_node_locked(self, address, TRUE, kind, secondary_bus, error);
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
	return hiod_pci_topology_add_node_locked(self, address, FALSE, 0, 0, error);
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

gboolean
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

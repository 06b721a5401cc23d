/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HiodPciTopology read from sysfs (hiod_pci_topology_new_from_sysfs()).
 *
 * From sysfs: each /sys/bus/pci/devices/X links into /sys/devices/pciDDDD:BB/
 * A/B/X; the chain of directories gives the bridges above X and, from the
 * next element, each bridge's secondary bus. A bridge's kind comes from its
 * config space (sysfs "config"): header type 1, and the PCIe capability's
 * port type when there is one (no PCIe capability: conventional bridge).
 */
#include "config.h"

#include "hiod-context-private.h"
#include "hiod-error.h"
#include "hiod-pci-topology-private.h"
#include "hiod-sysfs-private.h"

/* one rule for every PCI address (hiod-sysfs.c) */
#define hiod_pci_parse_address hiod_pci_address_parse
#define hiod_pci_format_address hiod_pci_address_format

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

	cfg = hiod_sysfs_read_file(path, &len, &local);
	if (cfg == NULL) {
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
		if (i == (guint)root + 1 && !hiod_pci_topology_has_bus_locked(self, d, b))
			hiod_pci_topology_add_root_bus_locked(self, d, b, TRUE);
		if (!hiod_pci_topology_has_node_locked(self, canon)) {
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
					  hiod_pci_topology_has_bus_locked(self, d, secondary))) {
				g_debug("bridge %s: no usable secondary bus (%02x); kept as a device",
					canon, secondary);
				is_bridge = FALSE;
			}
			if (!hiod_pci_topology_add_node_locked(self, canon, is_bridge, kind, secondary,
							       error))
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
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) local = NULL;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	devices_dir = hiod_context_build_sysfs_path(ctx, "bus", "pci", "devices", NULL);
	/* sorted; parents before children does not matter: each chain adds its own parents */
	names = hiod_sysfs_list(ctx, "bus/pci/devices", &local);
	if (names == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND, "cannot list PCI devices: %s",
			    local->message);
		return NULL;
	}
	self = hiod_pci_topology_new();
	hiod_pci_topology_lock(self);
	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *rel = g_build_filename("bus", "pci", "devices", names->pdata[i], NULL);
		g_autoptr(GError) error_entry = NULL;
		g_autofree gchar *real = hiod_sysfs_resolve(ctx, rel, &error_entry);
		if (real == NULL) {
			if (g_error_matches(error_entry, HIOD_ERROR, HIOD_ERROR_NOT_FOUND)) {
				g_debug("%s; skipped", error_entry->message); /* unplugged meanwhile */
				continue;
			}
			hiod_pci_topology_unlock(self);
			g_propagate_prefixed_error(error, g_steal_pointer(&error_entry),
						   "reading the PCI topology from sysfs: ");
			return NULL;
		}
		if (!hiod_pci_topology_add_sysfs_chain(self, devices_dir, real, error)) {
			hiod_pci_topology_unlock(self);
			g_prefix_error(error, "reading the PCI topology from sysfs: ");
			return NULL;
		}
	}
	hiod_pci_topology_unlock(self);
	return g_steal_pointer(&self);
}


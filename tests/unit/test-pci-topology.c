/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PCI topology: requester-ID lookups on fake sysfs trees and on a
 * VMM-declared topology. */
#include "config.h"

#include "hiod-test-common.h"

typedef enum { EP, ROOT_PORT = 4, SW_UP = 5, SW_DOWN = 6, PCIE_PCI = 7, CONV = 100 } Kind;

/* A device at devices/pci0000:00/<chain>, linked from bus/pci/devices. Its
 * config space says what it is: an endpoint, a bridge with a PCIe
 * capability of the given port type, or a conventional bridge (no PCIe cap). */
static void
add_dev(HiodTestTree *t, const gchar *chain, Kind kind, guint secondary)
{
	guint8 cfg[256] = {0};
	g_autofree gchar *dir = g_build_filename(t->sys, "devices", "pci0000:00", chain, NULL);
	g_autofree gchar *cfgpath = g_build_filename(dir, "config", NULL);
	g_autofree gchar *bdf = g_path_get_basename(chain);
	g_autofree gchar *link = g_build_filename("bus", "pci", "devices", bdf, NULL);
	g_autofree gchar *target = g_strdup_printf("../../../devices/pci0000:00/%s", chain);
	g_autoptr(GError) error = NULL;

	cfg[0] = 0x86;
	cfg[1] = 0x80;
	if (kind != EP) {
		cfg[0x0e] = 1;
		cfg[0x19] = secondary;
	}
	if (kind != CONV) {
		cfg[0x06] = 0x10; /* capability list */
		cfg[0x34] = 0x40;
		cfg[0x40] = 0x10; /* PCIe */
		cfg[0x41] = 0;
		cfg[0x42] = (kind == EP ? 0 : kind) << 4 | 2;
	}
	g_mkdir_with_parents(dir, 0755);
	g_file_set_contents(cfgpath, (const gchar *)cfg, sizeof(cfg), &error);
	g_assert_no_error(error);
	hiod_test_tree_link(t, link, target);
}

static void
assert_rid(HiodPciTopology *topo, const gchar *addr, guint bus, guint devfn, guint alias_bus,
	   guint alias_devfn, gboolean aliased)
{
	HiodPciRid rid;
	g_autoptr(GError) error = NULL;
	g_assert_true(hiod_pci_topology_lookup(topo, addr, &rid, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmphex(rid.bus, ==, bus);
	g_assert_cmphex(rid.devfn, ==, devfn);
	g_assert_cmphex(rid.alias_bus, ==, alias_bus);
	g_assert_cmphex(rid.alias_devfn, ==, alias_devfn);
	g_assert_cmpint(rid.aliased, ==, aliased);
}

#define DEVFN(s, f) (((s) << 3) | (f))

/* the test VM's "bridges" topology, as its sysfs shows it, plus a
 * conventional bridge below the PCIe-to-PCI bridge and a switch */
static void
test_pci_topology_sysfs(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodPciTopology) topo = NULL;
	g_autoptr(HiodVtdViommu) vtd = hiod_vtd_viommu_new(39, TRUE);
	g_autoptr(GError) error = NULL;
	HiodViommu *covering = NULL;

	add_dev(t, "0000:00:04.0", EP, 0);
	add_dev(t, "0000:00:06.0", ROOT_PORT, 1);
	add_dev(t, "0000:00:06.0/0000:01:00.0", EP, 0);
	add_dev(t, "0000:00:07.0", PCIE_PCI, 2);
	add_dev(t, "0000:00:07.0/0000:02:01.0", EP, 0);
	add_dev(t, "0000:00:07.0/0000:02:02.0", EP, 0);
	/* nested: a conventional bridge behind the PCIe-to-PCI bridge */
	add_dev(t, "0000:00:07.0/0000:02:03.0", CONV, 3);
	add_dev(t, "0000:00:07.0/0000:02:03.0/0000:03:05.1", EP, 0);
	/* a switch behind a root port: PCIe all the way, not aliased */
	add_dev(t, "0000:00:08.0", ROOT_PORT, 4);
	add_dev(t, "0000:00:08.0/0000:04:00.0", SW_UP, 5);
	add_dev(t, "0000:00:08.0/0000:04:00.0/0000:05:01.0", SW_DOWN, 6);
	add_dev(t, "0000:00:08.0/0000:04:00.0/0000:05:01.0/0000:06:00.0", EP, 0);
	/* a conventional bridge right on the root bus (DMI-to-PCI style) */
	add_dev(t, "0000:00:1e.0", CONV, 7);
	add_dev(t, "0000:00:1e.0/0000:07:02.0", EP, 0);

	ctx = hiod_test_tree_context(t);
	topo = hiod_pci_topology_new_from_sysfs(ctx, &error);
	g_assert_no_error(error);

	/* root-bus device */
	assert_rid(topo, "0000:00:04.0", 0, DEVFN(4, 0), 0, DEVFN(4, 0), FALSE);
	/* behind a PCIe root port: its own ID */
	assert_rid(topo, "0000:01:00.0", 1, 0, 1, 0, FALSE);
	/* behind a PCIe-to-PCI bridge: (secondary bus, 00.0) */
	assert_rid(topo, "0000:02:01.0", 2, DEVFN(1, 0), 2, 0, TRUE);
	assert_rid(topo, "0000:02:02.0", 2, DEVFN(2, 0), 2, 0, TRUE);
	/* two bridges deep: the topmost conventional step wins */
	assert_rid(topo, "0000:03:05.1", 3, DEVFN(5, 1), 2, 0, TRUE);
	/* the conventional bridge itself sits on bus 2 (conventional): aliased too */
	assert_rid(topo, "0000:02:03.0", 2, DEVFN(3, 0), 2, 0, TRUE);
	/* PCIe switch: not aliased */
	assert_rid(topo, "0000:06:00.0", 6, 0, 6, 0, FALSE);
	/* behind a conventional PCI bridge: the bridge's own ID */
	assert_rid(topo, "0000:07:02.0", 7, DEVFN(2, 0), 0, DEVFN(0x1e, 0), TRUE);

	/* no vIOMMU yet: none covers anything, flags 0 */
	g_assert_true(hiod_pci_topology_lookup(topo, "0000:02:01.0", NULL, &covering, NULL));
	g_assert_null(covering);
	g_assert_cmphex(hiod_pci_topology_get_viommu_flags(topo, "0000:02:01.0"), ==, 0);
	/* the vIOMMU on the root bus covers all */
	g_assert_true(hiod_pci_topology_set_viommu(topo, 0, 0, HIOD_VIOMMU(vtd), &error));
	g_assert_false(hiod_pci_topology_set_viommu(topo, 0, 0, HIOD_VIOMMU(vtd), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);
	g_assert_true(hiod_pci_topology_lookup(topo, "0000:03:05.1", NULL, &covering, NULL));
	g_assert_true(covering == HIOD_VIOMMU(vtd));
	g_assert_cmphex(hiod_pci_topology_get_viommu_flags(topo, "0000:06:00.0"), ==,
			HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT);
	/* unknown devices */
	g_assert_false(hiod_pci_topology_lookup(topo, "0000:09:00.0", NULL, NULL, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(hiod_pci_topology_lookup(topo, "not-an-address", NULL, NULL, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_cmphex(hiod_pci_topology_get_viommu_flags(topo, "0000:09:00.0"), ==, 0);

	/* JSON */
	{
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) root = NULL;
		hiod_pci_topology_to_json(topo, b);
		root = json_builder_get_root(b);
		g_assert_cmpuint(json_array_get_length(json_object_get_array_member(
				     json_node_get_object(root), "devices")),
				 ==, 14);
	}
}

/* a bridge whose config space sysfs cuts at 64 bytes (unprivileged) */
static void
test_pci_topology_sysfs_short_config(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodPciTopology) topo = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *cfg = NULL;
	gsize len;
	add_dev(t, "0000:00:07.0", PCIE_PCI, 2);
	add_dev(t, "0000:00:07.0/0000:02:01.0", EP, 0);
	cfg = g_build_filename(t->sys, "devices", "pci0000:00", "0000:00:07.0", "config", NULL);
	{
		g_autofree gchar *data = NULL;
		g_assert_true(g_file_get_contents(cfg, &data, &len, NULL));
		g_assert_true(g_file_set_contents(cfg, data, 64, NULL));
	}
	ctx = hiod_test_tree_context(t);
	topo = hiod_pci_topology_new_from_sysfs(ctx, &error);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_assert_null(topo);
}

/* a topology the VMM declares (the guest's view), with a vIOMMU per root */
static void
test_pci_topology_declared(void)
{
	g_autoptr(HiodPciTopology) topo = hiod_pci_topology_new();
	g_autoptr(HiodVirtioViommu) vi = hiod_virtio_viommu_new();
	g_autoptr(GError) error = NULL;
	HiodViommu *covering = NULL;

	g_assert_true(hiod_pci_topology_add_root_bus(topo, 0, 0, TRUE, &error));
	g_assert_true(hiod_pci_topology_add_bridge(topo, "00:07.0", HIOD_PCI_BRIDGE_KIND_PCIE_TO_PCI,
						   2, &error));
	g_assert_true(hiod_pci_topology_add_bridge(topo, "0000:02:03.0", HIOD_PCI_BRIDGE_KIND_PCI, 3,
						   &error));
	g_assert_true(hiod_pci_topology_add_device(topo, "0000:03:01.0", &error));
	g_assert_true(hiod_pci_topology_add_device(topo, "0000:02:01.0", &error));
	g_assert_no_error(error);
	/* errors: unknown bus, duplicate, bad secondary bus */
	g_assert_false(hiod_pci_topology_add_device(topo, "0000:09:00.0", &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(hiod_pci_topology_add_device(topo, "0000:02:01.0", &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);
	g_assert_false(hiod_pci_topology_add_bridge(topo, "0000:00:08.0",
						    HIOD_PCI_BRIDGE_KIND_ROOT_PORT, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(hiod_pci_topology_add_bridge(topo, "0000:00:08.0",
						    HIOD_PCI_BRIDGE_KIND_ROOT_PORT, 2, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);

	assert_rid(topo, "0000:03:01.0", 3, DEVFN(1, 0), 2, 0, TRUE);
	assert_rid(topo, "0000:02:01.0", 2, DEVFN(1, 0), 2, 0, TRUE);

	/* a vIOMMU on the PCIe-to-PCI bridge's bus stops the walk there: the
	 * conventional bridge's aliasing applies, the upper one does not */
	g_assert_true(hiod_pci_topology_set_viommu(topo, 0, 2, HIOD_VIOMMU(vi), &error));
	assert_rid(topo, "0000:03:01.0", 3, DEVFN(1, 0), 2, DEVFN(3, 0), TRUE);
	assert_rid(topo, "0000:02:01.0", 2, DEVFN(1, 0), 2, DEVFN(1, 0), FALSE);
	g_assert_true(hiod_pci_topology_lookup(topo, "0000:03:01.0", NULL, &covering, NULL));
	g_assert_true(covering == HIOD_VIOMMU(vi));
	/* virtio-iommu has no flags */
	g_assert_cmphex(hiod_pci_topology_get_viommu_flags(topo, "0000:03:01.0"), ==, 0);
	g_assert_true(hiod_pci_topology_has_device(topo, "0000:02:03.0"));
	g_assert_false(hiod_pci_topology_has_device(topo, "0000:02:04.0"));
}

/* Addresses that differ from the kernel's own spelling: refused by the
 * topology as by the device info (one rule, hiod_pci_address_parse). */
static const gchar *const malformed_addresses[] = {
    "0000:00:04.0\n", "0:0:4.0",	 "+000:00:04.0",	 " 0000:00:04.0",
    "0000:00:04.0 ",   "000:00:04.0",	 "000000000:00:04.0", "0000:0:04.0",
    "0000:00:4.0",     "0000:00:04.00", "0000:00:04.0x",	 "0000:00:20.0",
    "0000:00:04.8",    "-000:00:04.0",	 "0x00:00:04.0",	 "0000:+0:04.0",
    "0000:00:04.-0",   "",		 "0000:00:04",	 "00:04.0\n",
};

static void
test_pci_topology_address_one_rule(void)
{
	g_autoptr(HiodPciTopology) topo = hiod_pci_topology_new();
	g_autoptr(GError) error = NULL;
	HiodPciRid rid;

	g_assert_true(hiod_pci_topology_add_root_bus(topo, 0, 0, TRUE, &error));
	g_assert_true(hiod_pci_topology_add_device(topo, "0000:00:04.0", &error));
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(malformed_addresses); i++) {
		const gchar *bad = malformed_addresses[i];
		g_test_message("'%s'", bad);
		g_assert_false(hiod_pci_address_normalize(bad, NULL, NULL));
		g_assert_false(hiod_pci_topology_has_device(topo, bad));
		g_assert_false(hiod_pci_topology_lookup(topo, bad, &rid, NULL, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
		g_assert_false(hiod_pci_topology_add_device(topo, bad, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
	}
	/* the short form, as the device info takes it */
	g_assert_true(hiod_pci_topology_has_device(topo, "00:04.0"));
	/* a VMD domain (5 hex digits) and an 8-digit one */
	g_assert_true(hiod_pci_topology_add_root_bus(topo, 0x10000, 0, TRUE, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_pci_topology_add_device(topo, "10000:00:04.0", &error));
	g_assert_no_error(error);
	g_assert_true(hiod_pci_topology_lookup(topo, "10000:00:04.0", &rid, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmphex(rid.domain, ==, 0x10000);
	g_assert_true(hiod_pci_topology_add_root_bus(topo, 0xfffffff0, 0x12, TRUE, &error));
	g_assert_true(hiod_pci_topology_add_device(topo, "FFFFFFF0:12:1f.7", &error));
	g_assert_no_error(error);
	/* domain 0x10000 bus 0 is not domain 0 bus 0 (keys do not collide) */
	g_assert_false(hiod_pci_topology_has_device(topo, "10000:00:05.0"));
	g_assert_true(hiod_pci_topology_add_device(topo, "0000:00:05.0", &error));
	g_assert_false(hiod_pci_topology_has_device(topo, "10000:00:05.0"));
}

/* A device behind a VMD (domain 10000): sysfs names it 10000:00:04.0 below
 * pci10000:00; the topology knows it as the device info does. */
static void
test_pci_topology_sysfs_vmd_domain(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodPciTopology) topo = NULL;
	g_autoptr(HiodPciDeviceInfo) info = NULL;
	g_autoptr(GError) error = NULL;
	guint domain = 0, bus = 1;
	HiodPciRid rid;
	guint8 cfg[256] = {0x86, 0x80};

	hiod_test_tree_write(t, "devices/pci10000:00/10000:00:04.0/vendor", "0x8086\n");
	hiod_test_tree_write(t, "devices/pci10000:00/10000:00:04.0/device", "0x0a54\n");
	hiod_test_tree_write(t, "devices/pci10000:00/10000:00:04.0/class", "0x010802\n");
	{
		g_autofree gchar *p =
		    g_build_filename(t->sys, "devices/pci10000:00/10000:00:04.0/config", NULL);
		g_assert_true(g_file_set_contents(p, (const gchar *)cfg, sizeof(cfg), NULL));
	}
	hiod_test_tree_link(t, "bus/pci/devices/10000:00:04.0",
			    "../../../devices/pci10000:00/10000:00:04.0");
	ctx = hiod_test_tree_context(t);
	info = hiod_pci_device_info_new(ctx, "10000:00:04.0", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(hiod_pci_device_info_get_address(info), ==, "10000:00:04.0");
	topo = hiod_pci_topology_new_from_sysfs(ctx, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_pci_topology_get_root_bus(topo, "10000:00:04.0", &domain, &bus, &error));
	g_assert_no_error(error);
	g_assert_cmphex(domain, ==, 0x10000);
	g_assert_cmphex(bus, ==, 0);
	g_assert_true(hiod_pci_topology_lookup(topo, "10000:00:04.0", &rid, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmphex(rid.devfn, ==, DEVFN(4, 0));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/pci-topology/sysfs", test_pci_topology_sysfs);
	g_test_add_func("/hiod/pci-topology/sysfs-short-config", test_pci_topology_sysfs_short_config);
	g_test_add_func("/hiod/pci-topology/address-one-rule", test_pci_topology_address_one_rule);
	g_test_add_func("/hiod/pci-topology/sysfs-vmd-domain", test_pci_topology_sysfs_vmd_domain);
	g_test_add_func("/hiod/pci-topology/declared", test_pci_topology_declared);
	return g_test_run();
}

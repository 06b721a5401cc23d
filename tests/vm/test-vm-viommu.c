/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests of the vIOMMU negotiation against the real kernel behind the
 * emulated VT-d: the attach flow with the VT-d and virtio-iommu policies
 * (accept + DMA, refuse + clean host), the nesting-parent request the
 * emulated VT-d cannot grant, `hiodctl check`, and the requester-ID lookup
 * on the guest's own sysfs (bridges topology). Tests whose devices are
 * absent are skipped.
 */
#include "config.h"

#include <string.h>

#include "hiod-edu.h"
#include "hiod.h"
#include "vm-fixture.h"

#define EDU_A "0000:00:04.0"
#define EDU_RP "0000:01:00.0"
#define EDU_BR1 "0000:02:01.0"
#define EDU_BR2 "0000:02:02.0"

static const HiodBackendKind kinds[] = {HIOD_BACKEND_KIND_LEGACY, HIOD_BACKEND_KIND_IOMMUFD};

/* the host's address width, from the VT-d CAP register's MGAW field */
static guint
host_aw_bits(void)
{
	g_autofree gchar *text = NULL;
	guint64 cap;
	g_assert_true(g_file_get_contents("/sys/class/iommu/dmar0/intel-iommu/cap", &text, NULL, NULL));
	cap = g_ascii_strtoull(text, NULL, 16);
	return ((cap >> 16) & 0x3f) + 1;
}

/* the guest's topology with @viommu on the root bus */
static HiodPciTopology *
topology_with(HiodContext *ctx, HiodViommu *viommu)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodPciTopology) topo = hiod_pci_topology_new_from_sysfs(ctx, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_pci_topology_set_viommu(topo, 0, 0, viommu, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&topo);
}

/* the device can be attached again: group/cdev were released */
static void
assert_reattachable(HiodContext *ctx, const gchar *bdf, HiodBackendKind kind)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodAddressSpace) space = hiod_address_space_new(ctx);
	g_autoptr(HiodVfioDevice) dev = hiod_vfio_device_new(ctx, bdf, &error);
	g_assert_no_error(error);
	g_assert_nonnull(hiod_address_space_attach_device(space, dev, kind, 0, &error));
	g_assert_no_error(error);
	hiod_address_space_detach_device(space, dev);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

/* VT-d aw-bits=39: accepted on both backends, and DMA works */
static void
test_vm_viommu_vtd_accepts(void)
{
	if (!vm_have_device(EDU_A))
		return;
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autoptr(HiodContext) ctx = hiod_context_new();
		g_autoptr(HiodVtdViommu) vtd = hiod_vtd_viommu_new(39, FALSE);
		g_autoptr(HiodPciTopology) topo = topology_with(ctx, HIOD_VIOMMU(vtd));
		g_autoptr(HiodAddressSpace) space = hiod_address_space_new(ctx);
		g_autoptr(HiodVfioDevice) dev = NULL;
		g_autoptr(GError) error = NULL;
		HiodContainer *c;
		HiodEdu edu;

		dev = hiod_vfio_device_new(ctx, EDU_A, &error);
		g_assert_no_error(error);
		c = hiod_pci_topology_attach_device(topo, space, dev, kinds[i], &error);
		g_assert_no_error(error);
		g_assert_nonnull(c);
		g_assert_cmpint(hiod_container_get_backend_kind(c), ==, kinds[i]);
		g_assert_cmpuint(hiod_vtd_viommu_get_n_devices(vtd), ==, 1);
		g_assert_true(hiod_edu_init(&edu, dev, &error));
		g_assert_no_error(error);
		g_assert_true(hiod_edu_round_trip(&edu, c, 0x100000, 0x200000, 1024, &error));
		g_assert_no_error(error);
		hiod_pci_topology_detach_device(topo, space, dev);
		g_assert_cmpuint(hiod_vtd_viommu_get_n_devices(vtd), ==, 0);
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	}
}

/* VT-d aw-bits=48: refused with the reason on a 39-bit host, accepted on a
 * 48-bit one; a refusal leaves the host clean */
static void
test_vm_viommu_vtd_aw48(void)
{
	guint host_aw = host_aw_bits();
	if (!vm_have_device(EDU_A))
		return;
	g_test_message("host aw-bits %u", host_aw);
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autoptr(HiodContext) ctx = hiod_context_new();
		g_autoptr(HiodVtdViommu) vtd = hiod_vtd_viommu_new(48, FALSE);
		g_autoptr(HiodPciTopology) topo = topology_with(ctx, HIOD_VIOMMU(vtd));
		g_autoptr(HiodAddressSpace) space = hiod_address_space_new(ctx);
		g_autoptr(HiodVfioDevice) dev = NULL;
		g_autoptr(GError) error = NULL;
		HiodContainer *c;

		dev = hiod_vfio_device_new(ctx, EDU_A, &error);
		g_assert_no_error(error);
		c = hiod_pci_topology_attach_device(topo, space, dev, kinds[i], &error);
		if (host_aw >= 48) {
			g_assert_no_error(error);
			g_assert_nonnull(c);
			hiod_pci_topology_detach_device(topo, space, dev);
		} else {
			g_autoptr(GPtrArray) members = hiod_address_space_get_containers(space);
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
			g_test_message("%s: %s", hiod_backend_kind_to_string(kinds[i]), error->message);
			g_assert_nonnull(strstr(error->message, "aw-bits 48 > host aw-bits 39"));
			g_assert_null(c);
			g_assert_null(hiod_vfio_device_get_container(dev));
			g_assert_null(hiod_vfio_device_get_host_iommu_device(dev));
			g_assert_cmpuint(members->len, ==, 0);
			g_assert_cmpuint(hiod_vtd_viommu_get_n_devices(vtd), ==, 0);
		}
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
		assert_reattachable(ctx, EDU_A, kinds[i]);
	}
}

/* x-flts=on: iommufd asks the kernel for a nesting-parent HWPT, which the
 * emulated VT-d (no ECAP.NEST) refuses; legacy attaches but the vIOMMU
 * refuses it. Either way nothing is left. */
static void
test_vm_viommu_vtd_flts(void)
{
	if (!vm_have_device(EDU_A))
		return;
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autoptr(HiodContext) ctx = hiod_context_new();
		g_autoptr(HiodVtdViommu) vtd =
		    g_object_new(HIOD_TYPE_VTD_VIOMMU, "x-flts", TRUE, NULL);
		g_autoptr(HiodPciTopology) topo = topology_with(ctx, HIOD_VIOMMU(vtd));
		g_autoptr(HiodAddressSpace) space = hiod_address_space_new(ctx);
		g_autoptr(HiodVfioDevice) dev = NULL;
		g_autoptr(GError) error = NULL;

		g_assert_cmphex(hiod_pci_topology_get_viommu_flags(topo, EDU_A), ==,
				HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT);
		dev = hiod_vfio_device_new(ctx, EDU_A, &error);
		g_assert_no_error(error);
		g_assert_null(hiod_pci_topology_attach_device(topo, space, dev, kinds[i], &error));
		g_assert_nonnull(error);
		g_test_message("%s: %s", hiod_backend_kind_to_string(kinds[i]), error->message);
		if (kinds[i] == HIOD_BACKEND_KIND_IOMMUFD)
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		else
			g_assert_nonnull(strstr(error->message, "Need IOMMUFD backend"));
		g_assert_null(hiod_vfio_device_get_container(dev));
		g_assert_cmpuint(hiod_vtd_viommu_get_n_devices(vtd), ==, 0);
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
		assert_reattachable(ctx, EDU_A, kinds[i]);
	}
}

/* virtio-iommu: accepted; the host's usable ranges become reserved regions
 * (the MSI window), the page-size mask is the host's */
static void
test_vm_viommu_virtio(void)
{
	if (!vm_have_device(EDU_A))
		return;
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autoptr(HiodContext) ctx = hiod_context_new();
		g_autoptr(HiodVirtioViommu) vi = hiod_virtio_viommu_new();
		g_autoptr(HiodPciTopology) topo = topology_with(ctx, HIOD_VIOMMU(vi));
		g_autoptr(HiodAddressSpace) space = hiod_address_space_new(ctx);
		g_autoptr(HiodVfioDevice) dev = NULL;
		g_autoptr(GPtrArray) res = NULL;
		g_autoptr(GError) error = NULL;
		gboolean msi = FALSE;

		dev = hiod_vfio_device_new(ctx, EDU_A, &error);
		g_assert_no_error(error);
		g_assert_nonnull(hiod_pci_topology_attach_device(topo, space, dev, kinds[i], &error));
		g_assert_no_error(error);
		res = hiod_virtio_viommu_get_reserved_regions(vi, 0, 0, 0x20);
		g_assert_nonnull(res);
		for (guint j = 0; j < res->len; j++) {
			const HiodIovaRange *r = g_ptr_array_index(res, j);
			g_test_message("reserved 0x%" G_GINT64_MODIFIER "x-0x%" G_GINT64_MODIFIER "x",
				       r->start, r->last);
			if (r->start == 0xfee00000 && r->last == 0xfeefffff)
				msi = TRUE;
		}
		g_assert_true(msi);
		g_assert_cmphex(hiod_virtio_viommu_get_page_size_mask(vi) & 0x1000, ==, 0x1000);
		hiod_pci_topology_detach_device(topo, space, dev);
		g_assert_null(hiod_virtio_viommu_get_reserved_regions(vi, 0, 0, 0x20));
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	}
}

static gint
run_check(const gchar *spec, gboolean json, gchar **out)
{
	const gchar *hiodctl = g_getenv("HIODCTL");
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {hiodctl, "check", EDU_A, "--viommu", spec, json ? "--json" : NULL, NULL};
	gint status = -1;
	g_assert_nonnull(hiodctl);
	g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, NULL,
				   &status, &error));
	g_assert_no_error(error);
	g_test_message("hiodctl check %s -> %d\n%s", spec, status, *out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* hiodctl check answers what the attach flow then does, and leaves the host clean */
static void
test_vm_viommu_hiodctl_check(void)
{
	g_autofree gchar *out48 = NULL, *out39 = NULL, *json = NULL, *flts = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *root, *v;
	gint rc;
	if (!vm_have_device(EDU_A) || g_getenv("HIODCTL") == NULL) {
		if (g_getenv("HIODCTL") == NULL)
			g_test_skip("HIODCTL is not set");
		return;
	}
	rc = run_check("intel-iommu,aw-bits=48", FALSE, &out48);
	if (host_aw_bits() < 48) {
		g_assert_cmpint(rc, ==, 8); /* hiodctl(1): incompatible */
		g_assert_nonnull(strstr(out48, "aw-bits 48 > host aw-bits 39"));
		g_assert_nonnull(strstr(out48, "aw-bits=39"));
	} else {
		g_assert_cmpint(rc, ==, 0);
	}
	g_assert_cmpint(run_check("intel-iommu,aw-bits=39", FALSE, &out39), ==, 0);
	rc = run_check("intel-iommu,aw-bits=48,x-flts=on", TRUE, &json);
	g_assert_cmpint(rc, ==, 8); /* hiodctl(1): incompatible */
	g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
	g_assert_no_error(error);
	root = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpint(json_object_get_int_member(root, "schema_version"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(root, "command"), ==, "check");
	g_assert_cmpstr(json_object_get_string_member(root, "viommu_flags"), ==, "0x1");
	v = json_object_get_object_member(root, "verdict");
	g_assert_false(json_object_get_boolean_member(v, "compatible"));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(v, "reasons")), >=, 2);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(v, "suggestions"),
						      "x-flts"),
			==, "off");
	g_assert_false(json_object_get_boolean_member(
	    json_object_get_object_member(root, "requester_id"), "aliased"));
	/* the host as before: the device attaches */
	{
		g_autoptr(HiodContext) ctx = hiod_context_new();
		assert_reattachable(ctx, EDU_A, HIOD_BACKEND_KIND_AUTO);
	}
}

/* bridges topology: the lookup on the guest's sysfs finds the aliased
 * requester ID behind the pcie-pci-bridge, not behind the root port, and
 * x-flts refuses the bridged device with the bridge reason */
static void
test_vm_viommu_bridges(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(HiodVtdViommu) vtd = NULL;
	g_autoptr(HiodPciTopology) topo = NULL;
	g_autoptr(HiodVfioDevice) dev = NULL;
	g_autoptr(HiodViommuVerdict) v = NULL;
	g_autoptr(GError) error = NULL;
	HiodPciRid rid;
	HiodViommu *covering = NULL;

	if (!vm_have_device(EDU_RP) || !vm_have_device(EDU_BR1) || !vm_have_device(EDU_BR2))
		return;
	vtd = g_object_new(HIOD_TYPE_VTD_VIOMMU, "x-flts", TRUE, "fs1gp", FALSE, NULL);
	topo = topology_with(ctx, HIOD_VIOMMU(vtd));
	g_assert_true(hiod_pci_topology_lookup(topo, EDU_RP, &rid, &covering, &error));
	g_assert_false(rid.aliased);
	g_assert_cmphex(rid.alias_bus, ==, 1);
	g_assert_true(covering == HIOD_VIOMMU(vtd));
	g_assert_true(hiod_pci_topology_lookup(topo, EDU_BR1, &rid, NULL, &error));
	g_assert_true(rid.aliased);
	g_assert_cmphex(rid.alias_bus, ==, 2);
	g_assert_cmphex(rid.alias_devfn, ==, 0);
	g_assert_true(hiod_pci_topology_lookup(topo, EDU_BR2, &rid, NULL, &error));
	g_assert_true(rid.aliased);
	g_assert_cmphex(rid.alias_bus, ==, 2);
	g_assert_cmphex(rid.alias_devfn, ==, 0);

	dev = hiod_vfio_device_new(ctx, EDU_BR1, &error);
	g_assert_no_error(error);
	v = hiod_pci_topology_check_device(topo, dev, HIOD_BACKEND_KIND_IOMMUFD, &error);
	g_assert_no_error(error);
	{
		g_autofree gchar *text = hiod_viommu_verdict_get_reasons_text(v);
		g_test_message("%s: %s", EDU_BR1, text);
	}
	g_assert_false(hiod_viommu_verdict_is_compatible(v));
	g_assert_true(hiod_viommu_verdict_has_reason(v, "downstream to a PCI bridge"));
	g_assert_null(hiod_vfio_device_get_container(dev));
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	g_assert_cmpuint(hiod_vtd_viommu_get_n_devices(vtd), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/vm/viommu/vtd-accepts", test_vm_viommu_vtd_accepts);
	g_test_add_func("/hiod/vm/viommu/vtd-aw48", test_vm_viommu_vtd_aw48);
	g_test_add_func("/hiod/vm/viommu/vtd-flts", test_vm_viommu_vtd_flts);
	g_test_add_func("/hiod/vm/viommu/virtio", test_vm_viommu_virtio);
	g_test_add_func("/hiod/vm/viommu/hiodctl-check", test_vm_viommu_hiodctl_check);
	g_test_add_func("/hiod/vm/viommu/bridges", test_vm_viommu_bridges);
	return g_test_run();
}

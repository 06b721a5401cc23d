/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfs as hiod reads it (src/hiod-sysfs.c), on fake sysfs trees: the IOMMU
 * an unsafe-interrupts refusal names. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hiod-test-common.h"

#define EDU "0000:00:04.0"

/* unsafe interrupts: the device's own IOMMU ---------------------------------------- */

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodTestKernel *kernel;
} Fixture;

/* A host with two IOMMUs (a VT-d and Linux 7.3's iommufd selftest mock, as
 * /sys/class/iommu lists them), no interrupt remapping, allow_unsafe_interrupts
 * off; the edu (group 3) behind the VT-d unless @own_link is FALSE. */
static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	gboolean own_link = GPOINTER_TO_INT(data) == 0;
	g_autofree gchar *member = NULL;

	fx->tree = hiod_test_tree_new();
	hiod_test_tree_add_fake_kernel_devices(fx->tree);
	hiod_test_tree_write(fx->tree, "devices/virtual/iommu/dmar0/uevent", "");
	hiod_test_tree_write(fx->tree, "devices/virtual/iommu/iommufd_mock0/uevent", "");
	hiod_test_tree_link(fx->tree, "class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
	hiod_test_tree_link(fx->tree, "class/iommu/iommufd_mock0",
			    "../../devices/virtual/iommu/iommufd_mock0");
	if (own_link)
		hiod_test_tree_link(fx->tree, "bus/pci/devices/" EDU "/iommu",
				    "../../../devices/virtual/iommu/dmar0");
	/* the group lists its members as links to the devices, as sysfs does */
	member = g_build_filename(fx->tree->sys, "kernel/iommu_groups/3/devices", EDU, NULL);
	g_assert_cmpint(g_unlink(member), ==, 0);
	hiod_test_tree_link(fx->tree, "kernel/iommu_groups/3/devices/" EDU,
			    "../../../../bus/pci/devices/" EDU);
	hiod_test_tree_write(fx->tree, "kernel/irq/9/chip_name", "IO-APIC\n");
	hiod_test_tree_write(fx->tree, "module/iommufd/parameters/allow_unsafe_interrupts", "N\n");
	hiod_test_tree_write(fx->tree, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
			     "N\n");
	fx->ctx = hiod_test_tree_context(fx->tree);
	fx->kernel = hiod_test_kernel_new(fx->ctx);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	(void)data;
	g_clear_object(&fx->ctx);
	hiod_test_kernel_free(fx->kernel);
	hiod_test_tree_free(fx->tree);
}

/* The refusal after EPERM from @backend's attach ioctl. */
static gchar *
refused_attach(Fixture *fx, HiodBackendKind kind)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) device = hiod_vfio_device_new(fx->ctx, EDU, &error);
	g_autoptr(HiodContainer) container = NULL;

	g_assert_no_error(error);
	container = hiod_container_new(fx->ctx, kind, device, &error);
	g_assert_no_error(error);
	hiod_context_inject_fault_match(fx->ctx,
					kind == HIOD_BACKEND_KIND_IOMMUFD ? "VFIO_DEVICE_BIND_IOMMUFD"
									  : "VFIO_SET_IOMMU",
					EPERM, 1);
	g_assert_false(hiod_vfio_device_attach(device, container, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "no interrupt remapping (MSI isolation)"));
	return g_strdup(error->message);
}

/* iommufd: the device's iommu link; legacy: its group's devices' link */
static void
test_unsafe_own_iommu(Fixture *fx, gconstpointer data)
{
	(void)data;
	for (guint i = 0; i < 2; i++) {
		HiodBackendKind kind = i == 0 ? HIOD_BACKEND_KIND_IOMMUFD : HIOD_BACKEND_KIND_LEGACY;
		g_autofree gchar *message = refused_attach(fx, kind);
		g_assert_nonnull(strstr(message, "the host IOMMU (dmar0)"));
		g_assert_null(strstr(message, "mock"));
		hiod_context_clear_faults(fx->ctx);
	}
}

/* no iommu link (an older kernel): every IOMMU the host lists, as before */
static void
test_unsafe_no_link(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *message = refused_attach(fx, HIOD_BACKEND_KIND_IOMMUFD);
	(void)data;
	g_assert_nonnull(strstr(message, "the host IOMMU (dmar0, iommufd_mock0)"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/hiod/sysfs/unsafe-interrupts/own-iommu", Fixture, GINT_TO_POINTER(0),
		   fixture_setup, test_unsafe_own_iommu, fixture_teardown);
	g_test_add("/hiod/sysfs/unsafe-interrupts/no-link", Fixture, GINT_TO_POINTER(1),
		   fixture_setup, test_unsafe_no_link, fixture_teardown);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests on a host IOMMU without interrupt remapping (the "virtio"
 * topology: virtio-iommu, no VT-d). The kernel refuses such a device to
 * userspace (EPERM at VFIO_DEVICE_BIND_IOMMUFD, or at type1's
 * VFIO_SET_IOMMU) unless allow_unsafe_interrupts is set; hiod says why and
 * names the parameters. With HIOD_EXPECT_UNSAFE=allowed (the guest booted
 * with both parameters) the same devices attach and do DMA.
 */
#include "config.h"

#include <string.h>

#include "hiod-edu.h"
#include "hiod.h"

#define EDU_A "0000:00:04.0"

static gboolean
expect_allowed(void)
{
	return g_strcmp0(g_getenv("HIOD_EXPECT_UNSAFE"), "allowed") == 0;
}

static gboolean
have_edu(void)
{
	if (g_file_test("/sys/bus/pci/devices/" EDU_A "/iommu_group", G_FILE_TEST_EXISTS))
		return TRUE;
	g_test_skip("no edu with an IOMMU group at " EDU_A);
	return FALSE;
}

static void
test_attach(gconstpointer data)
{
	HiodBackendKind kind = GPOINTER_TO_INT(data);
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	gboolean ok;

	if (!have_edu())
		return;
	if (kind == HIOD_BACKEND_KIND_IOMMUFD && !hiod_context_has_iommufd(ctx)) {
		g_test_skip("no /dev/iommu");
		return;
	}
	device = hiod_vfio_device_new(ctx, EDU_A, &error);
	g_assert_no_error(error);
	container = hiod_container_new(ctx, kind, device, &error);
	g_assert_no_error(error);
	ok = hiod_vfio_device_attach(device, container, 0, &error);
	if (!expect_allowed()) {
		g_assert_false(ok);
		g_assert_nonnull(error);
		g_test_message("%s", error->message);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
		g_assert_nonnull(strstr(error->message, "EPERM"));
		g_assert_nonnull(strstr(error->message, kind == HIOD_BACKEND_KIND_IOMMUFD
								? "VFIO_DEVICE_BIND_IOMMUFD"
								: "VFIO_SET_IOMMU"));
		g_assert_nonnull(strstr(error->message, "interrupt remapping"));
		g_assert_nonnull(strstr(error->message, "iommufd.allow_unsafe_interrupts=1"));
		g_assert_nonnull(strstr(error->message, "vfio_iommu_type1.allow_unsafe_interrupts=1"));
		g_assert_nonnull(strstr(error->message, "unsafe"));
		g_clear_object(&container);
		g_clear_object(&device);
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
		return;
	}
	g_assert_no_error(error);
	g_assert_true(ok);
	ranges = hiod_container_get_iova_ranges(container);
	if (!hiod_iova_ranges_contain(ranges, 0x100000, 0x100000 + HIOD_EDU_MAX_DMA)) {
		/* Linux 6.12's virtio-iommu gives iommufd a domain whose aperture is
		 * [0, 0] (set only when an endpoint attaches): attached, but no IOVA
		 * to map. The legacy backend does the DMA. */
		g_test_message("attached; no DMA: the IOAS's usable IOVA range is empty on this "
			       "kernel's virtio-iommu");
	} else {
		HiodEdu edu;
		g_assert_true(hiod_edu_init(&edu, device, &error));
		g_assert_no_error(error);
		ok = hiod_edu_round_trip(&edu, container, 0x100000, 0x200000, HIOD_EDU_MAX_DMA,
					 &error);
		g_assert_no_error(error);
		g_assert_true(ok);
	}
	hiod_vfio_device_detach(device);
	g_clear_object(&container);
	g_clear_object(&device);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/hiod/vm/unsafe-interrupts/legacy", GINT_TO_POINTER(HIOD_BACKEND_KIND_LEGACY),
			     test_attach);
	g_test_add_data_func("/hiod/vm/unsafe-interrupts/iommufd", GINT_TO_POINTER(HIOD_BACKEND_KIND_IOMMUFD),
			     test_attach);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel replies are untrusted (defect 15): a misbehaving kernel, played by
 * the shared fake kernel with one reply rewritten, gets a clear error and
 * nothing left open, never a read beyond the reply, a huge allocation or a
 * walk that does not end.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

typedef enum {
	BAD_NONE,
	BAD_RESET_COUNT_BEYOND_ROOM,
	BAD_RESET_COUNT_HUGE,
	BAD_RESET_NO_DEVICES,
	BAD_INFO_ARGSZ_HUGE,
	BAD_CAP_MISALIGNED,
	BAD_CAP_INTO_HEADER,
	BAD_CAP_LOOP,
	BAD_CAP_NR_IOVAS,
	BAD_CAP_RANGE_REVERSED,
	BAD_CAP_RANGES_OVERLAP,
	BAD_IOAS_RANGES_HUGE,
	BAD_IOAS_RANGES_BEYOND_ROOM,
	BAD_IOAS_RANGE_REVERSED,
	BAD_REGION_OFFSET_WRAPS,
} Bad;

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodTestKernel *k;
	Bad bad;
	guint info_calls;
} Fixture;

static int
bad_reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	Fixture *f = data;
	int ret = hiod_test_kernel_default_ioctl(f->k, kind, request, arg);
	if (kind == HIOD_TEST_FD_DEVICE && request == HIOD_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO) {
		struct hiod_vfio_pci_hot_reset_info *i = arg;
		switch (f->bad) {
		case BAD_RESET_COUNT_BEYOND_ROOM:
			if (ret == 0)
				i->count = 4096; /* room for one device */
			return ret;
		case BAD_RESET_COUNT_HUGE:
			i->count = G_MAXUINT32;
			errno = ENOSPC;
			return -1;
		case BAD_RESET_NO_DEVICES:
			i->count = 0;
			return 0;
		default:
			return ret;
		}
	}
	if (kind == HIOD_TEST_FD_CONTAINER && request == HIOD_VFIO_IOMMU_GET_INFO) {
		struct hiod_vfio_iommu_type1_info *i = arg;
		struct hiod_vfio_iommu_type1_info_cap_iova_range *r = (void *)(i + 1);
		f->info_calls++;
		if (f->bad == BAD_INFO_ARGSZ_HUGE) {
			i->argsz = 64u << 20;
			return 0;
		}
		if (i->cap_offset == 0) /* the first call: too small for the chain */
			return ret;
		switch (f->bad) {
		case BAD_CAP_MISALIGNED:
			i->cap_offset = sizeof(*i) + 4;
			break;
		case BAD_CAP_INTO_HEADER:
			i->cap_offset = 8;
			break;
		case BAD_CAP_LOOP:
			r->header.next = sizeof(*i);
			break;
		case BAD_CAP_NR_IOVAS:
			r->nr_iovas = 1000;
			break;
		case BAD_CAP_RANGE_REVERSED:
			r->iova_ranges[1].start = G_GUINT64_CONSTANT(0x8000000000);
			break;
		case BAD_CAP_RANGES_OVERLAP:
			r->iova_ranges[1].start = 0x1000;
			break;
		default:
			break;
		}
		return ret;
	}
	if (kind == HIOD_TEST_FD_IOMMUFD && request == HIOD_IOMMU_IOAS_IOVA_RANGES) {
		struct hiod_iommu_ioas_iova_ranges *r = arg;
		struct hiod_iommu_iova_range *out = (gpointer)(guintptr)r->allowed_iovas;
		switch (f->bad) {
		case BAD_IOAS_RANGES_HUGE:
			r->num_iovas = G_MAXUINT32;
			errno = EMSGSIZE;
			return -1;
		case BAD_IOAS_RANGES_BEYOND_ROOM:
			if (ret == 0)
				r->num_iovas = 1000;
			return ret;
		case BAD_IOAS_RANGE_REVERSED:
			if (ret == 0)
				out[0].start = G_GUINT64_CONSTANT(0xfee00000);
			return ret;
		default:
			return ret;
		}
	}
	if (kind == HIOD_TEST_FD_DEVICE && request == HIOD_VFIO_DEVICE_GET_REGION_INFO &&
	    f->bad == BAD_REGION_OFFSET_WRAPS) {
		((struct hiod_vfio_region_info *)arg)->offset = G_MAXUINT64 - 0x10;
		return ret;
	}
	return ret;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->tree = hiod_test_tree_new();
	hiod_test_tree_add_fake_kernel_devices(f->tree);
	f->ctx = hiod_test_tree_context(f->tree);
	f->k = hiod_test_kernel_new(f->ctx);
	f->k->reply = bad_reply;
	f->k->reply_data = f;
	f->bad = GPOINTER_TO_INT(data);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(f->k->open_fds, ==, 0);
	g_clear_object(&f->ctx);
	hiod_test_kernel_free(f->k);
	hiod_test_tree_free(f->tree);
}

/* attaches 0000:00:04.0 through @kind; NULL with @error when the kernel's replies are refused */
static HiodVfioDevice *
attach(Fixture *f, HiodBackendKind kind, GError **error)
{
	g_autoptr(HiodVfioDevice) dev = NULL;
	g_autoptr(HiodContainer) c = NULL;

	dev = hiod_vfio_device_new(f->ctx, "0000:00:04.0", error);
	g_assert_nonnull(dev);
	c = hiod_container_new(f->ctx, kind, dev, error);
	g_assert_nonnull(c);
	if (!hiod_vfio_device_attach(dev, c, 0, error))
		return NULL;
	return g_steal_pointer(&dev);
}

static void
assert_bad_reply(GError *error, const gchar *request)
{
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, request));
	g_assert_nonnull(strstr(error->message, "malformed"));
}

/* the healthy fake kernel: every path below works with the default replies */
static void
test_healthy(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) legacy = attach(f, HIOD_BACKEND_KIND_LEGACY, &error);
	g_autoptr(HiodVfioDevice) iommufd = NULL;
	HiodVfioRegionInfo ri;

	g_assert_no_error(error);
	g_assert_true(hiod_vfio_device_hot_reset(legacy, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_vfio_device_get_region_info(legacy, 0, &ri, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(ri.size, ==, 4096);
	hiod_vfio_device_detach(legacy);
	iommufd = attach(f, HIOD_BACKEND_KIND_IOMMUFD, &error);
	g_assert_no_error(error);
	hiod_vfio_device_detach(iommufd);
}

/* the kernel says it wrote more devices than the room it was given: hiod read past the buffer */
static void
test_legacy_reset_reply(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	Bad bad = f->bad;
	g_autoptr(HiodVfioDevice) dev = NULL;

	f->bad = BAD_NONE;
	dev = attach(f, HIOD_BACKEND_KIND_LEGACY, &error);
	g_assert_no_error(error);
	f->bad = bad;
	g_assert_false(hiod_vfio_device_hot_reset(dev, &error));
	assert_bad_reply(error, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
	g_assert_nonnull(strstr(error->message, "hot reset of 0000:00:04.0"));
	hiod_vfio_device_detach(dev);
}

static void
test_iommufd_reset_huge(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) dev = NULL;

	f->bad = BAD_NONE;
	dev = attach(f, HIOD_BACKEND_KIND_IOMMUFD, &error);
	g_assert_no_error(error);
	f->bad = BAD_RESET_COUNT_HUGE;
	g_assert_false(hiod_vfio_device_hot_reset(dev, &error));
	assert_bad_reply(error, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
	hiod_vfio_device_detach(dev);
}

/* a reply refused at attach: the attach fails with the reason and leaves nothing open */
static void
test_attach_refused(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HiodBackendKind kind = f->bad >= BAD_IOAS_RANGES_HUGE && f->bad <= BAD_IOAS_RANGE_REVERSED
				       ? HIOD_BACKEND_KIND_IOMMUFD
				       : HIOD_BACKEND_KIND_LEGACY;
	g_autoptr(HiodVfioDevice) dev = attach(f, kind, &error);

	g_assert_null(dev);
	assert_bad_reply(error, kind == HIOD_BACKEND_KIND_IOMMUFD ? "IOMMU_IOAS_IOVA_RANGES"
								   : "VFIO_IOMMU_GET_INFO");
	if (f->bad == BAD_INFO_ARGSZ_HUGE)
		g_assert_cmpuint(f->info_calls, ==, 1); /* refused, not grown to */
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
}

static void
test_region_offset_wraps(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) dev = NULL;
	HiodVfioRegionInfo ri;
	guint8 byte;

	f->bad = BAD_NONE;
	dev = attach(f, HIOD_BACKEND_KIND_LEGACY, &error);
	g_assert_no_error(error);
	f->bad = BAD_REGION_OFFSET_WRAPS;
	g_assert_false(hiod_vfio_device_get_region_info(dev, 0, &ri, &error));
	assert_bad_reply(error, "VFIO_DEVICE_GET_REGION_INFO");
	g_clear_error(&error);
	g_assert_false(hiod_vfio_device_region_read(dev, 0, 0, &byte, 1, &error));
	assert_bad_reply(error, "VFIO_DEVICE_GET_REGION_INFO");
	hiod_vfio_device_detach(dev);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, bad, fn)                                                                          \
	g_test_add("/hiod/kernel-replies/" path, Fixture, GINT_TO_POINTER(bad), fixture_setup, fn,  \
		   fixture_teardown)
	ADD("healthy", BAD_NONE, test_healthy);
	ADD("legacy/hot-reset-count-beyond-room", BAD_RESET_COUNT_BEYOND_ROOM, test_legacy_reset_reply);
	ADD("legacy/hot-reset-count-huge", BAD_RESET_COUNT_HUGE, test_legacy_reset_reply);
	ADD("legacy/hot-reset-no-devices", BAD_RESET_NO_DEVICES, test_legacy_reset_reply);
	ADD("legacy/get-info-argsz-huge", BAD_INFO_ARGSZ_HUGE, test_attach_refused);
	ADD("legacy/cap-misaligned", BAD_CAP_MISALIGNED, test_attach_refused);
	ADD("legacy/cap-into-header", BAD_CAP_INTO_HEADER, test_attach_refused);
	ADD("legacy/cap-loop", BAD_CAP_LOOP, test_attach_refused);
	ADD("legacy/cap-nr-iovas-beyond-reply", BAD_CAP_NR_IOVAS, test_attach_refused);
	ADD("legacy/cap-range-reversed", BAD_CAP_RANGE_REVERSED, test_attach_refused);
	ADD("legacy/cap-ranges-overlap", BAD_CAP_RANGES_OVERLAP, test_attach_refused);
	ADD("iommufd/iova-ranges-count-huge", BAD_IOAS_RANGES_HUGE, test_attach_refused);
	ADD("iommufd/iova-ranges-beyond-room", BAD_IOAS_RANGES_BEYOND_ROOM, test_attach_refused);
	ADD("iommufd/iova-range-reversed", BAD_IOAS_RANGE_REVERSED, test_attach_refused);
	ADD("iommufd/hot-reset-count-huge", BAD_NONE, test_iommufd_reset_huge);
	ADD("vfio-device/region-offset-wraps", BAD_NONE, test_region_offset_wraps);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests of the legacy VFIO type1 backend against the real kernel: edu
 * devices DMA through the emulated VT-d. Runs in the default topology (two
 * edus on the root bus) and the bridges topology (an edu alone behind a
 * PCIe root port: hot reset; two edus behind a PCIe-to-PCI bridge: one
 * group). Tests whose devices are absent are skipped.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hiod-backend-private.h"
#include "hiod-edu.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "hiod.h"
#include "vm-fixture.h"
#include "hiod-kernel-private.h"

#define EDU_A "0000:00:04.0"
#define EDU_B "0000:00:05.0"
#define EDU_RP "0000:01:00.0"
#define EDU_BR1 "0000:02:01.0"
#define EDU_BR2 "0000:02:02.0"
#define PG 4096

/* a device attached to a fresh legacy container */
static HiodVfioDevice *
attach(VmFixture *f, const gchar *bdf, HiodContainer **container)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) device = hiod_vfio_device_new(f->ctx, bdf, &error);
	g_assert_no_error(error);
	if (*container == NULL) {
		*container = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_LEGACY, device, &error);
		g_assert_no_error(error);
		g_assert_true(HIOD_IS_LEGACY_CONTAINER(*container));
	}
	g_assert_true(hiod_vfio_device_attach(device, *container, 0, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&device);
}

static void
test_round_trip(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	HiodEdu edu;

	if (!vm_have_device(EDU_A))
		return;
	device = attach(f, EDU_A, &container);
	g_assert_cmpint(hiod_legacy_container_get_iommu_type(HIOD_LEGACY_CONTAINER(container)), ==, 3);
	g_assert_true(hiod_edu_init(&edu, device, &error));
	g_assert_no_error(error);
	g_assert_cmphex(hiod_edu_read_id(&edu) & 0xff, ==, 0xed);
	/* the round trip maps src read-only, dst read-write, and unmaps both */
	g_assert_true(hiod_edu_round_trip(&edu, container, 0x100000, 0x200000, HIOD_EDU_MAX_DMA, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, 0);
	/* IOVAs above 4 GiB (64-bit registers), still inside the 39-bit space */
	g_assert_true(hiod_edu_round_trip(&edu, container, G_GUINT64_CONSTANT(0x7f00000000),
					  G_GUINT64_CONSTANT(0x100000000), 100, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(device);
	g_assert_cmpint(hiod_vfio_device_get_fd(device), ==, -1);
}

static void
test_unmap_blocks_dma(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	guint8 *src = vm_buffer_new(PG, 0x5a), *dst = vm_buffer_new(PG, 0);
	HiodEdu edu;

	if (!vm_have_device(EDU_A))
		return;
	device = attach(f, EDU_A, &container);
	g_assert_true(hiod_edu_init(&edu, device, &error));
	g_assert_true(hiod_container_dma_map(container, 0x300000, PG, src, HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_true(hiod_container_dma_map(container, 0x400000, PG, dst, 0, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_dma(&edu, 0x300000, 512, FALSE, 5000, &error));
	g_assert_true(hiod_edu_dma(&edu, 0x400000, 512, TRUE, 5000, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(src, 512, dst, 512);

	/* unmapped: the device's write to dst's IOVA faults and dst stays as it is */
	g_assert_true(hiod_container_dma_unmap(container, 0x400000, PG, &error));
	g_assert_no_error(error);
	memset(dst, 0xa5, PG);
	g_assert_true(hiod_edu_dma(&edu, 0x400000, 512, TRUE, 5000, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < PG; i++)
		g_assert_cmphex(dst[i], ==, 0xa5);

	/* a read-only mapping: the device cannot write through it */
	g_assert_true(hiod_container_dma_map(container, 0x400000, PG, dst, HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_true(hiod_edu_dma(&edu, 0x400000, 512, TRUE, 5000, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < PG; i++)
		g_assert_cmphex(dst[i], ==, 0xa5);
	hiod_vfio_device_detach(device);
	munmap(src, PG);
	munmap(dst, PG);
}

static void
test_two_groups(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) a = NULL;
	g_autoptr(HiodVfioDevice) b = NULL;
	g_autoptr(GArray) groups = NULL;
	HiodEdu ea, eb;

	if (!vm_have_device(EDU_A) || !vm_have_device(EDU_B))
		return;
	a = attach(f, EDU_A, &container);
	b = attach(f, EDU_B, &container);
	groups = hiod_legacy_container_get_group_ids(HIOD_LEGACY_CONTAINER(container));
	g_assert_cmpuint(groups->len, ==, 2);
	g_assert_cmpint(g_array_index(groups, gint, 0), !=, g_array_index(groups, gint, 1));
	g_assert_true(hiod_edu_init(&ea, a, &error));
	g_assert_true(hiod_edu_init(&eb, b, &error));
	g_assert_true(hiod_edu_round_trip(&ea, container, 0x100000, 0x200000, 1024, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_round_trip(&eb, container, 0x100000, 0x200000, 1024, &error));
	g_assert_no_error(error);
	/* one leaves: its group leaves the container, the other still does DMA */
	hiod_vfio_device_detach(a);
	g_clear_pointer(&groups, g_array_unref);
	groups = hiod_legacy_container_get_group_ids(HIOD_LEGACY_CONTAINER(container));
	g_assert_cmpuint(groups->len, ==, 1);
	g_assert_true(hiod_edu_round_trip(&eb, container, 0x100000, 0x200000, 64, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(b);
	g_assert_cmpint(hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(container)), ==, -1);
}

static void
test_dirty(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	guint8 *src = vm_buffer_new(4 * PG, 1), *dst = vm_buffer_new(4 * PG, 0);
	guint64 bitmap[4] = {0};
	HiodEdu edu;

	if (!vm_have_device(EDU_A))
		return;
	device = attach(f, EDU_A, &container);
	g_assert_true(hiod_container_get_dirty_tracking_supported(container));
	g_assert_true(hiod_edu_init(&edu, device, &error));
	g_assert_true(hiod_container_dma_map(container, 0x100000, 4 * PG, src, 0, &error));
	g_assert_true(hiod_container_dma_map(container, 0x200000, 4 * PG, dst, 0, &error));
	g_assert_true(hiod_container_set_dirty_tracking(container, TRUE, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_container_get_dirty_tracking_started(container));
	g_assert_true(hiod_edu_dma(&edu, 0x100000, 256, FALSE, 5000, &error));
	g_assert_true(hiod_edu_dma(&edu, 0x200000, 256, TRUE, 5000, &error));
	g_assert_no_error(error);
	/* type1 cannot see device writes: every pinned page is dirty, and hiod says so */
	g_assert_true(hiod_container_query_dirty_bitmap(container, 0x200000, 4 * PG, PG, bitmap, 0, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, 0xf);
	/* a window that bisects both mappings and covers the hole between them */
	memset(bitmap, 0, sizeof(bitmap));
	g_assert_true(hiod_container_query_dirty_bitmap(container, 0x100000 + 2 * PG, 0x100000, PG, bitmap,
							 0, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, 0x3); /* pages 2, 3 of src */
	g_assert_cmphex(bitmap[1], ==, 0);
	g_assert_cmphex(bitmap[2], ==, 0);
	g_assert_cmphex(bitmap[3], ==, G_GUINT64_CONSTANT(3) << 62); /* pages 0, 1 of dst */
	/* a coarser granule folds the pages */
	memset(bitmap, 0, sizeof(bitmap));
	g_assert_true(hiod_container_query_dirty_bitmap(container, 0x200000, 4 * PG, 2 * PG, bitmap, 0, &error));
	g_assert_cmphex(bitmap[0], ==, 0x3);
	/* unmap with the dirty bitmap (UNMAP_DMA + GET_DIRTY_BITMAP): a split is
	 * refused and changes nothing; the whole mapping goes, with its bits */
	g_assert_true(hiod_edu_dma(&edu, 0x200000, 256, TRUE, 5000, &error));
	memset(bitmap, 0, sizeof(bitmap));
	g_assert_false(hiod_container_dma_unmap_dirty(container, 0x200000, PG, PG, bitmap, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, 2);
	g_assert_true(hiod_container_dma_unmap_dirty(container, 0x200000, 4 * PG, PG, bitmap, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, 0xf);
	g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, 1);
	/* the kernel holds nothing there any more: a DMA into it leaves dst as it is */
	memset(dst, 0x5a, 4 * PG);
	g_assert_true(hiod_edu_dma(&edu, 0x200000, 256, TRUE, 5000, &error));
	g_assert_cmpuint(dst[0], ==, 0x5a);
	g_assert_true(hiod_container_set_dirty_tracking(container, FALSE, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(device);
	munmap(src, 4 * PG);
	munmap(dst, 4 * PG);
}

/* A raw VFIO_IOMMU_DIRTY_PAGES GET_BITMAP at 4 KiB pages; the number of bits
 * the kernel set, or -errno. */
static gint64
raw_get_bitmap(VmFixture *f, HiodContainer *c, guint64 iova, guint64 size, guint64 *bits, gsize bytes)
{
	gsize argsz = sizeof(struct hiod_vfio_iommu_type1_dirty_bitmap) +
		      sizeof(struct hiod_vfio_iommu_type1_dirty_bitmap_get);
	g_autofree struct hiod_vfio_iommu_type1_dirty_bitmap *db = g_malloc0(argsz);
	struct hiod_vfio_iommu_type1_dirty_bitmap_get *r = (void *)db->data;
	g_autoptr(GError) error = NULL;
	gint64 n = 0;
	memset(bits, 0, bytes);
	db->flags = HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	r->iova = iova;
	r->size = size;
	r->bitmap.pgsize = PG;
	r->bitmap.size = bytes;
	r->bitmap.data = GPOINTER_TO_SIZE(bits);
	if (hiod_kernel_ioctl(f->ctx, hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(c)),
			      HIOD_IOC(VFIO_IOMMU_DIRTY_PAGES), db, argsz, &error) < 0)
		return -errno;
	for (gsize w = 0; w < bytes / 8; w++)
		n += __builtin_popcountll(bits[w]);
	return n;
}

static guint
count_bits(const guint64 *bits, gsize words)
{
	guint n = 0;
	for (gsize w = 0; w < words; w++)
		n += __builtin_popcountll(bits[w]);
	return n;
}

/* Defect 1, the kernel's side: type1 reads whole mappings only (a window that
 * bisects one is EINVAL), and with vfio-pci it reports every pinned page on
 * every read. hiod's two half-window queries together report every page the
 * edu wrote. */
static void
test_dirty_window_halves(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	const gsize len = 0x200000; /* 512 pages */
	guint8 *buf = vm_buffer_new(len, 0);
	guint64 raw[8], lo[4] = {0}, hi[4] = {0};
	const guint64 iova = 0x400000;
	const guint64 written[] = {0, 3, 255, 256, 300, 511}; /* pages the edu writes */
	HiodEdu edu;

	if (!vm_have_device(EDU_A))
		return;
	device = attach(f, EDU_A, &container);
	g_assert_true(hiod_edu_init(&edu, device, &error));
	g_assert_true(hiod_container_dma_map(container, iova, len, buf, 0, &error));
	g_assert_true(hiod_container_set_dirty_tracking(container, TRUE, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(written); i++)
		g_assert_true(hiod_edu_dma(&edu, iova + written[i] * PG, 64, TRUE, 5000, &error));
	g_assert_no_error(error);

	/* the kernel: a window that bisects the mapping is refused */
	g_assert_cmpint(raw_get_bitmap(f, container, iova, len / 2, raw, sizeof(raw) / 2), ==, -EINVAL);
	g_assert_cmpint(raw_get_bitmap(f, container, iova + len / 2, len / 2, raw, sizeof(raw) / 2), ==, -EINVAL);
	/* the whole mapping, twice: every pinned page both times (vfio-pci cannot tell) */
	g_assert_cmpint(raw_get_bitmap(f, container, iova, len, raw, sizeof(raw)), ==, 512);
	g_assert_cmpint(raw_get_bitmap(f, container, iova, len, raw, sizeof(raw)), ==, 512);
	g_test_message("type1 GET_BITMAP: half windows EINVAL; the whole 2 MiB mapping 512 of 512 "
		       "pages dirty on each of two reads");

	/* hiod: two half-window queries; together every written page */
	g_assert_true(hiod_container_query_dirty_bitmap(container, iova, len / 2, PG, lo, 0, &error));
	g_assert_true(hiod_container_query_dirty_bitmap(container, iova + len / 2, len / 2, PG, hi, 0, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(written); i++) {
		guint64 p = written[i];
		guint64 *half = p < 256 ? lo : hi;
		guint64 b = p % 256;
		g_assert_true(half[b / 64] & (G_GUINT64_CONSTANT(1) << (b % 64)));
	}
	g_test_message("hiod half-window queries: %u + %u pages dirty", count_bits(lo, 4), count_bits(hi, 4));
	g_assert_true(hiod_container_set_dirty_tracking(container, FALSE, &error));
	hiod_vfio_device_detach(device);
	munmap(buf, len);
}

/* A type1 v1 container (the kernel offers both; hiod picks v2 unless told) */
#define TEST_TYPE_V1_CONTAINER (test_v1_container_get_type())
G_DECLARE_FINAL_TYPE(TestV1Container, test_v1_container, TEST, V1_CONTAINER, HiodLegacyContainer)
struct _TestV1Container {
	HiodLegacyContainer parent_instance;
};
G_DEFINE_TYPE(TestV1Container, test_v1_container, HIOD_TYPE_LEGACY_CONTAINER)
static gboolean
test_v1_choose(HiodLegacyContainer *self, guint32 *iommu_type, GError **error)
{
	*iommu_type = HIOD_VFIO_TYPE1_IOMMU;
	return TRUE;
}
static void
test_v1_container_init(TestV1Container *self)
{
}
static void
test_v1_container_class_init(TestV1ContainerClass *klass)
{
	HIOD_LEGACY_CONTAINER_CLASS(klass)->choose_iommu_type = test_v1_choose;
}

/* A raw UNMAP_DMA; the bytes the kernel unmapped, or -errno */
static gint64
raw_unmap(VmFixture *f, HiodContainer *c, guint64 iova, guint64 size)
{
	struct hiod_vfio_iommu_type1_dma_unmap u = {.iova = iova, .size = size};
	g_autoptr(GError) error = NULL;
	if (hiod_kernel_ioctl(f->ctx, hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(c)),
			      HIOD_IOC(VFIO_IOMMU_UNMAP_DMA), &u, sizeof(u), &error) < 0)
		return -errno;
	return (gint64)u.size;
}

/* whether the edu's write to @iova reached @page (which is refilled first) */
static gboolean
edu_write_lands(HiodEdu *edu, guint64 iova, guint8 *page)
{
	g_autoptr(GError) error = NULL;
	memset(page, 0xa5, 64);
	g_assert_true(hiod_edu_dma(edu, iova, 64, TRUE, 5000, &error));
	g_assert_no_error(error);
	return page[0] != 0xa5;
}

/* Defect 9, the kernel's side: neither type1 v2 nor v1 splits a mapping
 * (v2: EINVAL; v1: 0 bytes for a range that starts inside, the whole mapping
 * for one that starts at it), so a partial unmap of one mapping unmaps it
 * whole and maps the kept parts back. After it, the edu reaches the kept
 * parts and not the middle. */
static void
test_partial_unmap(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	guint8 *buf = vm_buffer_new(4 * PG, 0);
	const guint64 iova = 0x600000;
	HiodEdu edu;

	if (!vm_have_device(EDU_A))
		return;
	for (guint v = 2; v >= 1; v--) {
		g_autoptr(HiodContainer) container = v == 2 ? hiod_legacy_container_new(f->ctx)
							    : g_object_new(TEST_TYPE_V1_CONTAINER, "context", f->ctx, NULL);
		g_autoptr(HiodVfioDevice) d = hiod_vfio_device_new(f->ctx, EDU_A, &error);
		g_assert_no_error(error);
		g_assert_true(hiod_vfio_device_attach(d, container, 0, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_legacy_container_get_iommu_type(HIOD_LEGACY_CONTAINER(container)), ==,
				 v == 2 ? 3 : 1);
		g_assert_true(hiod_edu_init(&edu, d, &error));
		g_assert_true(hiod_container_dma_map(container, iova, 4 * PG, buf, 0, &error));
		g_assert_no_error(error);
		if (v == 2) {
			g_assert_cmpint(raw_unmap(f, container, iova + PG, PG), ==, -EINVAL);
		} else {
			g_assert_cmpint(raw_unmap(f, container, iova + PG, PG), ==, 0);
			g_assert_true(edu_write_lands(&edu, iova + PG, buf + PG)); /* still mapped */
		}
		g_test_message("type1 v%u: unmapping the 2nd 4 KiB of a 16 KiB mapping: %s", v,
			       v == 2 ? "EINVAL" : "success, 0 bytes unmapped");
		/* hiod: the middle goes, the kept parts work */
		g_assert_true(hiod_container_dma_unmap(container, iova + PG, PG, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, 2);
		g_assert_true(edu_write_lands(&edu, iova, buf));
		g_assert_true(edu_write_lands(&edu, iova + 2 * PG, buf + 2 * PG));
		g_assert_true(edu_write_lands(&edu, iova + 3 * PG, buf + 3 * PG));
		g_assert_false(edu_write_lands(&edu, iova + PG, buf + PG));
		if (v == 1) {
			/* a range that starts at a mapping takes it whole, past its end */
			g_assert_cmpint(raw_unmap(f, container, iova + 2 * PG, PG), ==, 2 * PG);
			g_assert_false(edu_write_lands(&edu, iova + 3 * PG, buf + 3 * PG));
			g_test_message("type1 v1: unmapping 4 KiB at the start of an 8 KiB mapping unmaps 8 KiB");
		}
		hiod_vfio_device_detach(d);
	}
	(void)device;
	munmap(buf, 4 * PG);
}

static void
test_host_iommu_device(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	HiodHostIommuDevice *hiod;
	HiodHostIommuCaps *caps;
	HiodIovaRange *r;
	guint64 mask = 0;

	if (!vm_have_device(EDU_A))
		return;
	device = attach(f, EDU_A, &container);
	hiod = hiod_vfio_device_get_host_iommu_device(device);
	g_assert_true(HIOD_IS_HOST_IOMMU_DEVICE_LEGACY_VFIO(hiod));
	g_assert_true(hiod_host_iommu_device_is_realized(hiod));
	caps = hiod_host_iommu_device_get_caps(hiod);
	g_assert_cmpint(hiod_host_iommu_caps_get_iommu_type(caps), ==, HIOD_IOMMU_TYPE_UNKNOWN);
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), ==, 39);
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod, &error);
	g_assert_no_error(error);
	/* the MSI window is carved out: [0, 0xfedfffff] and [0xfef00000, 2^39 - 1] */
	g_assert_cmpuint(ranges->len, ==, 2);
	r = g_ptr_array_index(ranges, 0);
	g_assert_cmphex(r->start, ==, 0);
	g_assert_cmphex(r->last, ==, 0xfedfffff);
	r = g_ptr_array_index(ranges, 1);
	g_assert_cmphex(r->start, ==, 0xfef00000);
	g_assert_cmphex(r->last, ==, G_GUINT64_CONSTANT(0x7fffffffff));
	g_assert_true(hiod_host_iommu_device_get_page_size_mask(hiod, &mask, &error));
	g_assert_cmphex(mask, ==, 0x40201000);
	g_assert_cmphex(hiod_container_get_page_size_mask(container), ==, 0x40201000);
	g_assert_cmpuint(hiod_container_get_max_mappings(container), >, 0);
	hiod_vfio_device_detach(device);
}

static void
test_bad_input(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(HiodVfioDevice) nodev = NULL;
	guint8 *buf = vm_buffer_new(4 * PG, 0);
	guint fds;

	if (!vm_have_device(EDU_A))
		return;
	nodev = hiod_vfio_device_new(f->ctx, "0000:00:1e.7", &error);
	g_assert_null(nodev);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_test_message("unknown address: %s", error->message);
	g_clear_error(&error);

	device = attach(f, EDU_A, &container);
	fds = hiod_context_get_open_fd_count(f->ctx);
	/* the MSI window and above the 39-bit space are outside the usable ranges */
	g_assert_false(hiod_container_dma_map(container, 0xfee00000, PG, buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_test_message("%s", error->message);
	g_clear_error(&error);
	g_assert_false(hiod_container_dma_map(container, G_GUINT64_CONSTANT(1) << 39, PG, buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_clear_error(&error);
	g_assert_false(hiod_container_dma_map(container, 0x100800, PG, buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(hiod_container_dma_map(container, 0x100000, 0, buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_true(hiod_container_dma_map(container, 0x100000, 2 * PG, buf, 0, &error));
	g_assert_false(hiod_container_dma_map(container, 0x101000, 2 * PG, buf + 2 * PG, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_test_message("%s", error->message);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, 1);
	/* unmap of what was never mapped is not an error; a partial unmap splits */
	g_assert_true(hiod_container_dma_unmap(container, 0x900000, PG, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_container_dma_unmap(container, 0x101000, PG, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, 1);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds);
	g_assert_true(hiod_container_dma_unmap_all(container, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, 0);

	/* hot reset of a device on the root bus: no bus or slot reset reaches it */
	g_assert_false(hiod_vfio_device_hot_reset(device, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "hot reset of " EDU_A));
	g_clear_error(&error);

	/* double release */
	hiod_vfio_device_detach(device);
	hiod_container_release(container);
	hiod_container_release(container);
	g_assert_cmpint(hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(container)), ==, -1);
	/* the group is not left set: it can be attached again */
	g_assert_true(hiod_vfio_device_attach(device, container, 0, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(device);
	munmap(buf, 4 * PG);
}

static void
test_not_bound(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(HiodContainer) container = NULL;

	if (!vm_have_device(EDU_B))
		return;
	g_assert_true(hiod_pci_unbind_vfio(f->ctx, EDU_B, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test("/sys/bus/pci/devices/" EDU_B "/driver", G_FILE_TEST_EXISTS));
	device = hiod_vfio_device_new(f->ctx, EDU_B, &error);
	g_assert_null(device);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "not bound to vfio-pci"));
	g_clear_error(&error);
	/* unbinding twice is harmless */
	g_assert_true(hiod_pci_unbind_vfio(f->ctx, EDU_B, &error));
	g_assert_true(hiod_pci_bind_vfio(f->ctx, EDU_B, &error));
	g_assert_no_error(error);
	device = attach(f, EDU_B, &container);
	hiod_vfio_device_detach(device);
}

/* A bind that fails after driver_override was set puts the override back
 * (the real kernel: "\n" clears it, it reads "(null)" again). The probe is
 * failed through the chokepoint; the device had no driver before. */
static void
test_bind_failure_rolls_back(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autofree gchar *override = NULL;

	if (!vm_have_device(EDU_B))
		return;
	g_assert_true(hiod_pci_unbind_vfio(f->ctx, EDU_B, &error));
	g_assert_no_error(error);
	hiod_context_inject_fault_match(f->ctx, "open:*drivers_probe", ENODEV, 1);
	g_assert_false(hiod_pci_bind_vfio(f->ctx, EDU_B, &error));
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "rolled back: driver_override restored to (none)"));
	g_clear_error(&error);
	hiod_context_clear_faults(f->ctx);
	g_assert_true(g_file_get_contents("/sys/bus/pci/devices/" EDU_B "/driver_override", &override,
					  NULL, NULL));
	g_assert_cmpstr(override, ==, "(null)\n");
	g_assert_false(g_file_test("/sys/bus/pci/devices/" EDU_B "/driver", G_FILE_TEST_EXISTS));
	/* and the device binds as before */
	g_assert_true(hiod_pci_bind_vfio(f->ctx, EDU_B, &error));
	g_assert_no_error(error);
	device = attach(f, EDU_B, &container);
	hiod_vfio_device_detach(device);
}

static void
test_dma_limit(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	guint8 *buf;
	guint max;

	if (!vm_have_device(EDU_A))
		return;
	device = attach(f, EDU_A, &container);
	max = hiod_container_get_max_mappings(container);
	if (max > 64) {
		g_test_skip_printf("the host allows %u mappings (boot with vfio_iommu_type1.dma_entry_limit=8)", max);
		hiod_vfio_device_detach(device);
		return;
	}
	buf = vm_buffer_new((max + 1) * PG, 0);
	for (guint i = 0; i < max; i++) {
		g_assert_true(hiod_container_dma_map(container, 0x100000 + i * 2 * PG, PG, buf + i * PG, 0, &error));
		g_assert_no_error(error);
	}
	g_assert_false(hiod_container_dma_map(container, 0x800000, PG, buf + max * PG, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_test_message("%s", error->message);
	g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, max);
	hiod_vfio_device_detach(device);
	munmap(buf, (max + 1) * PG);
}

static void
test_hot_reset(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	HiodEdu edu;

	if (!vm_have_device(EDU_RP))
		return;
	device = attach(f, EDU_RP, &container);
	g_assert_true(hiod_vfio_device_hot_reset(device, &error));
	g_assert_no_error(error);
	/* the device still does DMA after the reset (bus master set again) */
	g_assert_true(hiod_edu_init(&edu, device, &error));
	g_assert_true(hiod_edu_round_trip(&edu, container, 0x100000, 0x200000, 256, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(device);
}

static void
test_one_group_two_devices(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(HiodVfioDevice) a = NULL;
	g_autoptr(HiodVfioDevice) b = NULL;
	g_autoptr(HiodContainer) other = NULL;
	g_autoptr(HiodVfioDevice) b2 = NULL;
	g_autoptr(GArray) groups = NULL;
	guint fds;
	HiodEdu edu;

	if (!vm_have_device(EDU_BR1) || !vm_have_device(EDU_BR2))
		return;
	a = attach(f, EDU_BR1, &container);
	fds = hiod_context_get_open_fd_count(f->ctx);
	b = attach(f, EDU_BR2, &container);
	/* the same group: its fd is reused, only the device fd is new */
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds + 1);
	groups = hiod_legacy_container_get_group_ids(HIOD_LEGACY_CONTAINER(container));
	g_assert_cmpuint(groups->len, ==, 1);
	g_assert_true(hiod_edu_init(&edu, b, &error));
	g_assert_true(hiod_edu_round_trip(&edu, container, 0x100000, 0x200000, 128, &error));
	g_assert_no_error(error);
	/* the group is busy: another container cannot take one of its devices */
	hiod_vfio_device_detach(b);
	b2 = hiod_vfio_device_new(f->ctx, EDU_BR2, &error);
	other = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_LEGACY, b2, &error);
	g_assert_no_error(error);
	fds = hiod_context_get_open_fd_count(f->ctx);
	g_assert_false(hiod_vfio_device_attach(b2, other, 0, &error));
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds);
	hiod_vfio_device_detach(a);
}

/* Sections added before any device: attaching through the address space
 * replays them into the new legacy container; the edu DMAs through them. */
static void
test_address_space_replay(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodAddressSpace) as = NULL;
	g_autoptr(HiodVfioDevice) a = NULL;
	g_autoptr(HiodVfioDevice) b = NULL;
	guint8 *src = vm_buffer_new(PG, 0), *dst = vm_buffer_new(PG, 0);
	HiodContainer *container, *container_b;
	HiodEdu edu;

	if (!vm_have_device(EDU_A))
		return;
	for (guint i = 0; i < PG; i++)
		src[i] = (guint8)(i * 13 + 1);
	as = hiod_address_space_new(f->ctx);
	g_assert_true(hiod_address_space_add_section(as, 0x100000, PG, src, HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_true(hiod_address_space_add_section(as, 0x200000, PG, dst, 0, &error));
	g_assert_no_error(error);
	a = hiod_vfio_device_new(f->ctx, EDU_A, &error);
	g_assert_no_error(error);
	container = hiod_address_space_attach_device(as, a, HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	g_assert_true(HIOD_IS_LEGACY_CONTAINER(container));
	g_assert_cmpuint(hiod_container_get_n_mappings(container), ==, 2);
	g_assert_true(hiod_edu_init(&edu, a, &error));
	g_assert_true(hiod_edu_dma(&edu, 0x100000, 1024, FALSE, 5000, &error));
	g_assert_true(hiod_edu_dma(&edu, 0x200000, 1024, TRUE, 5000, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(src, 1024, dst, 1024);
	/* a second group joins the same container (SET_CONTAINER on the existing one) */
	if (g_file_test("/sys/bus/pci/devices/" EDU_B, G_FILE_TEST_EXISTS)) {
		b = hiod_vfio_device_new(f->ctx, EDU_B, &error);
		container_b = hiod_address_space_attach_device(as, b, HIOD_BACKEND_KIND_LEGACY, 0, &error);
		g_assert_no_error(error);
		g_assert_true(container_b == container);
		hiod_address_space_detach_device(as, b);
	}
	/* the section goes: the device no longer reaches dst */
	g_assert_true(hiod_address_space_remove_section(as, 0x200000, PG, &error));
	g_assert_no_error(error);
	memset(dst, 0xa5, PG);
	g_assert_true(hiod_edu_dma(&edu, 0x200000, 1024, TRUE, 5000, &error));
	for (guint i = 0; i < PG; i++)
		g_assert_cmphex(dst[i], ==, 0xa5);
	hiod_address_space_detach_device(as, a);
	g_assert_cmpint(hiod_vfio_device_get_fd(a), ==, -1);
	munmap(src, PG);
	munmap(dst, PG);
}

static void
test_hiodctl(VmFixture *f, gconstpointer data)
{
	const gchar *hiodctl = g_getenv("HIODCTL");
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *root, *dev, *hiod, *caps, *cont;
	gint status = 0;
	const gchar *info_argv[] = {hiodctl, "--json", "info", EDU_A, "--backend", "legacy", NULL};
	const gchar *dma_argv[] = {hiodctl, "dma-test", EDU_B, "--json", "--backend=legacy", NULL};
	const gchar *bad_argv[] = {hiodctl, "--json", "info", "0000:00:1e.7", NULL};

	if (hiodctl == NULL) {
		g_test_skip("HIODCTL is not set");
		return;
	}
	if (!vm_have_device(EDU_A) || !vm_have_device(EDU_B))
		return;
	g_assert_true(g_spawn_sync(NULL, (gchar **)info_argv, NULL, 0, NULL, NULL, &out, &err, &status, &error));
	g_assert_no_error(error);
	g_test_message("%s", err);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	root = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpstr(json_object_get_string_member(root, "command"), ==, "info");
	g_assert_cmpstr(json_object_get_string_member(root, "backend"), ==, "legacy");
	dev = json_object_get_object_member(root, "device");
	g_assert_cmpstr(json_object_get_string_member(dev, "name"), ==, EDU_A);
	cont = json_object_get_object_member(dev, "container");
	g_assert_cmpstr(json_object_get_string_member(cont, "iommu_type"), ==, "type1v2");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(cont, "iova_ranges")), ==, 2);
	g_assert_true(json_object_get_boolean_member(cont, "dirty_tracking"));
	hiod = json_object_get_object_member(dev, "host_iommu_device");
	g_assert_true(json_object_get_boolean_member(hiod, "realized"));
	caps = json_object_get_object_member(hiod, "caps");
	g_assert_cmpint(json_object_get_int_member(caps, "aw_bits"), ==, 39);

	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_true(g_spawn_sync(NULL, (gchar **)dma_argv, NULL, 0, NULL, NULL, &out, &err, &status, &error));
	g_test_message("%s%s", out, err);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	root = json_node_get_object(json_parser_get_root(parser));
	g_assert_true(json_object_get_boolean_member(root, "verified"));
	g_assert_cmpint(json_object_get_int_member(root, "bytes"), ==, HIOD_EDU_MAX_DMA);
	g_assert_cmpstr(json_object_get_string_member(root, "backend"), ==, "legacy");

	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_true(g_spawn_sync(NULL, (gchar **)bad_argv, NULL, 0, NULL, NULL, &out, &err, &status, &error));
	g_assert_false(g_spawn_check_wait_status(status, NULL));
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	root = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)), "error");
	g_assert_cmpstr(json_object_get_string_member(root, "code"), ==, "not-found");
}

/* The kernel's VFIO_IOMMU_GET_INFO IOVA ranges now, as "[start, last] ...",
 * asked through the chokepoint on the container's fd. */
static gchar *
kernel_ranges(VmFixture *f, HiodContainer *c)
{
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *buf = g_malloc0(4096);
	struct hiod_vfio_iommu_type1_info *info = (void *)buf;
	GString *out = g_string_new(NULL);
	guint32 off;

	g_assert_cmpint(hiod_kernel_ioctl(f->ctx, hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(c)),
					  HIOD_IOC(VFIO_IOMMU_GET_INFO), buf, 4096, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(info->argsz, <=, 4096);
	g_assert_true(info->flags & HIOD_VFIO_IOMMU_INFO_CAPS);
	for (off = info->cap_offset; off != 0;) {
		const struct hiod_vfio_info_cap_header *h = (const void *)(buf + off);
		if (h->id == HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			const struct hiod_vfio_iommu_type1_info_cap_iova_range *r = (const void *)h;
			for (guint32 i = 0; i < r->nr_iovas; i++)
				g_string_append_printf(out, "[0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x] ",
						       r->iova_ranges[i].start, r->iova_ranges[i].end);
		}
		off = h->next;
	}
	return g_string_free(out, FALSE);
}

static gchar *
ranges_text(GPtrArray *ranges)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < ranges->len; i++) {
		HiodIovaRange *r = g_ptr_array_index(ranges, i);
		g_string_append_printf(out, "[0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x] ",
				       r->start, r->last);
	}
	return g_string_free(out, FALSE);
}

/* what the container and the host IOMMU device of @d say */
static void
assert_ranges(HiodContainer *c, HiodVfioDevice *d, const gchar *want)
{
	g_autoptr(GPtrArray) cr = hiod_container_get_iova_ranges(c);
	g_autoptr(GPtrArray) hr =
	    hiod_host_iommu_device_get_iova_ranges(hiod_vfio_device_get_host_iommu_device(d), NULL);
	g_autofree gchar *ctext = ranges_text(cr);
	g_autofree gchar *htext = ranges_text(hr);
	g_assert_cmpstr(ctext, ==, want);
	g_assert_cmpstr(htext, ==, want);
}

static gchar *
group_reserved_regions(HiodVfioDevice *d)
{
	g_autofree gchar *path = g_strdup_printf("/sys/kernel/iommu_groups/%d/reserved_regions",
						 hiod_vfio_device_get_group_id(d));
	gchar *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return g_strstrip(text);
}

/* Defect 8: when a second group joins a type1 container the kernel
 * recomputes the usable IOVA list (aperture minus the reserved regions of
 * every group); hiod reads it again then (the injected failure of that read
 * fails the join), and the container and both host IOMMU devices report
 * what the kernel says after the join (and after the first group leaves). */
static void
test_group_join_rereads_info(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = NULL;
	g_autoptr(HiodVfioDevice) a = NULL;
	g_autoptr(HiodVfioDevice) b = NULL;
	g_autofree gchar *k1 = NULL, *k2 = NULL, *k3 = NULL, *ra = NULL, *rb = NULL;

	if (!vm_have_device(EDU_A) || !vm_have_device(EDU_B))
		return;
	a = attach(f, EDU_A, &c);
	k1 = kernel_ranges(f, c);
	assert_ranges(c, a, k1);
	b = hiod_vfio_device_new(f->ctx, EDU_B, &error);
	g_assert_no_error(error);
	ra = group_reserved_regions(a);
	rb = group_reserved_regions(b);
	g_test_message("group %d reserved: %s", hiod_vfio_device_get_group_id(a), ra);
	g_test_message("group %d reserved: %s", hiod_vfio_device_get_group_id(b), rb);

	/* proof that the join reads the info again: its failure fails the join */
	hiod_context_inject_fault_match(f->ctx, "VFIO_IOMMU_GET_INFO", EIO, 1);
	g_assert_false(hiod_vfio_device_attach(b, c, 0, &error));
	g_assert_true(hiod_context_fault_fired(f->ctx));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_test_message("join with the read failing: %s", error->message);
	g_clear_error(&error);
	hiod_context_clear_faults(f->ctx);
	g_assert_null(hiod_vfio_device_get_container(b));
	{
		g_autoptr(GArray) groups = hiod_legacy_container_get_group_ids(HIOD_LEGACY_CONTAINER(c));
		g_assert_cmpuint(groups->len, ==, 1);
	}

	g_assert_true(hiod_vfio_device_attach(b, c, 0, &error));
	g_assert_no_error(error);
	k2 = kernel_ranges(f, c);
	g_test_message("kernel ranges with group %d: %s; with both: %s (%s)",
		       hiod_vfio_device_get_group_id(a), k1, k2,
		       g_str_equal(k1, k2) ? "the same reserved regions" : "changed");
	assert_ranges(c, b, k2);
	assert_ranges(c, a, k2);

	hiod_vfio_device_detach(a);
	k3 = kernel_ranges(f, c);
	assert_ranges(c, b, k3);
	hiod_vfio_device_detach(b);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/hiod/vm/legacy/" path, VmFixture, NULL, vm_fixture_setup, fn, vm_fixture_teardown)
	ADD("round-trip", test_round_trip);
	ADD("unmap-blocks-dma", test_unmap_blocks_dma);
	ADD("two-groups-one-container", test_two_groups);
	ADD("group-join-rereads-info", test_group_join_rereads_info);
	ADD("dirty-bitmap", test_dirty);
	ADD("dirty-window-halves", test_dirty_window_halves);
	ADD("partial-unmap", test_partial_unmap);
	ADD("host-iommu-device", test_host_iommu_device);
	ADD("bad-input", test_bad_input);
	ADD("not-bound", test_not_bound);
	ADD("bind-failure-rolls-back", test_bind_failure_rolls_back);
	ADD("dma-limit", test_dma_limit);
	ADD("hot-reset", test_hot_reset);
	ADD("one-group-two-devices", test_one_group_two_devices);
	ADD("address-space-replay", test_address_space_replay);
	ADD("hiodctl", test_hiodctl);
	return g_test_run();
}

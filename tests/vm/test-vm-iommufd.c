/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests of the iommufd backend against the real kernel behind QEMU's
 * emulated Intel VT-d: edu devices DMA through an IOAS, IOMMU_GET_HW_INFO is
 * checked against the registers the guest kernel shows in sysfs, the
 * features this VT-d lacks (nesting parent, dirty tracking) are refused
 * cleanly, two devices share a HWPT, an IOAS copy reaches a device, and both
 * backends live in one process. HIOD_EXPECT_AW gives the topology's MGAW.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <sys/mman.h>
#include <glib/gstdio.h>

#include "hiod-edu.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "hiod.h"
#include "vm-fixture.h"

#define EDU_A "0000:00:04.0"
#define EDU_B "0000:00:05.0"
#define PG 4096

static HiodVfioDevice *
device_new(VmFixture *f, const gchar *bdf)
{
	g_autoptr(GError) error = NULL;
	HiodVfioDevice *d = hiod_vfio_device_new(f->ctx, bdf, &error);
	g_assert_no_error(error);
	return d;
}

static HiodContainer *
iommufd_container_new(VmFixture *f, HiodVfioDevice *device)
{
	g_autoptr(GError) error = NULL;
	HiodContainer *c = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_IOMMUFD, device, &error);
	g_assert_no_error(error);
	g_assert_true(HIOD_IS_IOMMUFD_CONTAINER(c));
	return c;
}

static void
attach(HiodVfioDevice *d, HiodContainer *c)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(hiod_vfio_device_attach(d, c, 0, &error));
	g_assert_no_error(error);
}

static guint64
read_sysfs_hex(const gchar *path)
{
	g_autofree gchar *s = NULL;
	g_autoptr(GError) error = NULL;
	g_file_get_contents(path, &s, NULL, &error);
	g_assert_no_error(error);
	return g_ascii_strtoull(g_strstrip(s), NULL, 16);
}

/* Every id in (@after, @after + 8] is gone: IOMMU_DESTROY answers ENOENT. */
static void
assert_no_objects_after(HiodIommufdBackend *be, guint32 after)
{
	for (guint32 id = after + 1; id <= after + 8; id++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(hiod_iommufd_backend_destroy(be, id, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	}
}

/* the id the kernel hands out next (allocated and freed again) */
static guint32
probe_id(HiodIommufdBackend *be)
{
	g_autoptr(GError) error = NULL;
	guint32 id = 0;
	g_assert_true(hiod_iommufd_backend_alloc_ioas(be, &id, &error));
	g_assert_true(hiod_iommufd_backend_destroy(be, id, &error));
	g_assert_no_error(error);
	return id;
}

/* tests ---------------------------------------------------------------------- */

static void
test_round_trip(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d = device_new(f, EDU_A);
	g_autoptr(HiodContainer) c = iommufd_container_new(f, d);
	HiodEdu edu = {0};

	attach(d, c);
	g_assert_cmpuint(hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)), !=, 0);
	g_assert_cmphex(hiod_container_get_page_size_mask(c), ==, 4096);
	g_assert_true(hiod_edu_init(&edu, d, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_round_trip(&edu, c, 0x100000, 0x200000, HIOD_EDU_MAX_DMA, &error));
	g_assert_no_error(error);
	/* high in the IOVA space too, above 4 GiB */
	g_assert_true(hiod_edu_round_trip(&edu, c, G_GUINT64_CONSTANT(0x7f00000000),
					  G_GUINT64_CONSTANT(0x7f00100000), 1024, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
	hiod_vfio_device_detach(d);
	g_assert_cmpuint(hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)), ==, 0);
}

/* A raw IOMMU_IOAS_UNMAP: the bytes unmapped, or -errno */
static gint64
raw_ioas_unmap(HiodIommufdBackend *be, guint32 ioas, guint64 iova, guint64 len)
{
	struct hiod_iommu_ioas_unmap u = {.ioas_id = ioas, .iova = iova, .length = len};
	g_autoptr(GError) error = NULL;
	if (hiod_kernel_ioctl(hiod_iommufd_backend_get_context(be), hiod_iommufd_backend_get_fd(be),
			      HIOD_IOC(IOMMU_IOAS_UNMAP), &u, sizeof(u), &error) < 0)
		return -errno;
	return (gint64)u.length;
}

/* Defect 5, the kernel's side: IOAS_UNMAP answers ENOENT for nothing mapped,
 * for a range that cuts one area, and for a range that covers area A and cuts
 * B, after it unmapped A. hiod tells the first from the others. Also defect
 * 9: iommufd never splits an area, but separately mapped neighbours go alone. */
static void
test_unmap_enoent(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d = NULL;
	g_autoptr(HiodContainer) c = NULL;
	HiodIommufdBackend *be;
	guint8 *buf = vm_buffer_new(8 * PG, 0);
	const guint64 a = 0x1000000, b = a + 4 * PG; /* A and B: 16 KiB each, adjacent */
	guint32 ioas;
	HiodEdu edu;

	if (!vm_have_device(EDU_A))
		return;
	d = device_new(f, EDU_A);
	c = iommufd_container_new(f, d);
	attach(d, c); /* a page table on the IOAS: maps pin */
	be = hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c));
	ioas = hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c));
	g_assert_true(hiod_edu_init(&edu, d, &error));
	/* the areas straight through the backend (the container's index stays empty) */
	g_assert_true(hiod_iommufd_backend_map(be, ioas, a, 4 * PG, buf, FALSE, &error));
	g_assert_true(hiod_iommufd_backend_map(be, ioas, b, 4 * PG, buf + 4 * PG, FALSE, &error));
	g_assert_no_error(error);

	g_assert_cmpint(raw_ioas_unmap(be, ioas, 0x2000000, PG), ==, -ENOENT);	/* nothing there */
	g_assert_cmpint(raw_ioas_unmap(be, ioas, a + PG, PG), ==, -ENOENT);	/* cuts A */
	g_assert_true(hiod_edu_dma(&edu, a + PG, 64, TRUE, 5000, &error));	/* A stays whole */
	g_assert_cmphex(buf[PG], !=, 0);
	g_assert_cmpint(raw_ioas_unmap(be, ioas, a, 6 * PG), ==, -ENOENT);	/* A whole, cuts B */
	/* A went before the cut: mapping it again succeeds; B is still there */
	g_assert_true(hiod_iommufd_backend_map(be, ioas, a, 4 * PG, buf, FALSE, &error));
	g_assert_no_error(error);
	g_assert_false(hiod_iommufd_backend_map(be, ioas, b, 4 * PG, buf + 4 * PG, FALSE, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);
	g_test_message("IOAS_UNMAP: nothing mapped ENOENT; cutting A ENOENT (A kept); A whole + cutting B "
		       "ENOENT with A unmapped and B kept");

	/* hiod: nothing mapped is success, a cut is an error that says so */
	g_assert_true(hiod_iommufd_backend_unmap(be, ioas, 0x2000000, PG, &error));
	g_assert_no_error(error);
	g_assert_false(hiod_iommufd_backend_unmap(be, ioas, a + PG, PG, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "cuts through a mapped area"));
	g_clear_error(&error);
	/* and the probe left nothing: the same range is free to map */
	g_assert_true(hiod_iommufd_backend_map(be, ioas, 0x2000000, PG, buf, FALSE, &error));
	g_assert_cmpint(raw_ioas_unmap(be, ioas, 0x2000000, PG), ==, PG);

	/* defect 9: neighbours mapped apart go alone, and the other keeps working */
	g_assert_cmpint(raw_ioas_unmap(be, ioas, a, 4 * PG), ==, 4 * PG);
	buf[4 * PG] = 0;
	g_assert_true(hiod_edu_dma(&edu, b, 64, TRUE, 5000, &error));
	g_assert_no_error(error);
	g_assert_cmphex(buf[4 * PG], !=, 0);
	g_assert_cmpint(raw_ioas_unmap(be, ioas, b, 4 * PG), ==, 4 * PG);
	g_test_message("IOAS_UNMAP of one of two adjacent areas: that area alone");

	/* hiod's partial unmap: the middle goes, the kept parts work */
	g_assert_true(hiod_container_dma_map(c, a, 4 * PG, buf, 0, &error));
	g_assert_true(hiod_container_dma_unmap(c, a + PG, PG, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	for (guint p = 0; p < 4; p++) {
		memset(buf + p * PG, 0xa5, 64);
		g_assert_true(hiod_edu_dma(&edu, a + p * PG, 64, TRUE, 5000, &error));
		g_assert_no_error(error);
		g_assert_cmpint(buf[p * PG] != 0xa5, ==, p != 1);
	}
	hiod_vfio_device_detach(d);
	munmap(buf, 8 * PG);
}

static void
test_hw_info(VmFixture *f, gconstpointer data)
{
	g_autoptr(HiodVfioDevice) d = device_new(f, EDU_A);
	g_autoptr(HiodContainer) c = iommufd_container_new(f, d);
	guint64 cap = read_sysfs_hex("/sys/class/iommu/dmar0/intel-iommu/cap");
	guint64 ecap = read_sysfs_hex("/sys/class/iommu/dmar0/intel-iommu/ecap");
	const gchar *want_env = g_getenv("HIOD_EXPECT_AW");
	guint want_aw = want_env != NULL ? (guint)g_ascii_strtoull(want_env, NULL, 10) : 39;
	HiodHostIommuDevice *hiod;
	HiodHostIommuCaps *caps;
	HiodVtdCaps *vtd;
	g_autoptr(GPtrArray) ranges = NULL;

	attach(d, c);
	hiod = hiod_vfio_device_get_host_iommu_device(d);
	g_assert_true(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod));
	caps = hiod_host_iommu_device_get_caps(hiod);
	g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_INTEL_VTD);
	g_assert_cmphex(hiod_host_iommu_caps_get_hw_info_type(caps), ==, 1);
	/* no dirty tracking; 7.3 also says edu cannot use ATS (a flag 6.12 does not have) */
	if (g_strcmp0(g_getenv("HIOD_PLATFORM"), "current") == 0)
		g_assert_cmphex(hiod_host_iommu_caps_get_hw_caps(caps), ==, HIOD_HW_CAPS_PCI_ATS_NOT_SUPPORTED);
	else
		g_assert_cmphex(hiod_host_iommu_caps_get_hw_caps(caps), ==, 0);
	g_assert_cmpuint(hiod_host_iommu_caps_get_max_pasid_log2(caps), ==, 0);
	vtd = hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod));
	g_assert_nonnull(vtd);
	/* the registers the kernel gave hw_info are the ones the guest sees in sysfs */
	g_assert_cmphex(hiod_vtd_caps_get_cap(vtd), ==, cap);
	g_assert_cmphex(hiod_vtd_caps_get_ecap(vtd), ==, ecap);
	g_assert_cmphex(hiod_vtd_caps_get_flags(vtd) & 1, ==, 1); /* SPR17 errata, always set by 6.12 */
	/* decoded values, against the register fields and the topology */
	g_assert_cmpuint(hiod_vtd_caps_get_address_width(vtd), ==, ((cap >> 16) & 0x3f) + 1);
	g_assert_cmpuint(hiod_vtd_caps_get_address_width(vtd), ==, want_aw);
	g_assert_cmpuint(hiod_vtd_caps_get_sagaw(vtd), ==, want_aw == 48 ? 6 : 2);
	g_assert_true(hiod_vtd_caps_get_second_stage_2m(vtd));
	g_assert_true(hiod_vtd_caps_get_second_stage_1g(vtd));
	g_assert_false(hiod_vtd_caps_get_first_stage_1g(vtd));
	g_assert_true(hiod_vtd_caps_get_caching_mode(vtd)); /* caching-mode=on */
	g_assert_true(hiod_vtd_caps_get_interrupt_remapping(vtd));
	g_assert_true(hiod_vtd_caps_get_queued_invalidation(vtd));
	g_assert_false(hiod_vtd_caps_get_nesting(vtd));
	g_assert_false(hiod_vtd_caps_get_dirty_tracking(vtd));
	g_assert_false(hiod_vtd_caps_get_scalable_mode(vtd));
	g_assert_false(hiod_vtd_caps_get_snoop_control(vtd));
	g_assert_cmpuint(hiod_vtd_caps_get_num_domains(vtd), ==, 65536);
	/* the address width from the IOVA ranges agrees with MGAW */
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), ==, want_aw);
	ranges = hiod_container_get_iova_ranges(c);
	g_assert_cmpuint(ranges->len, ==, 2);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 0))->last, ==, 0xfedfffff);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 1))->start, ==, 0xfef00000);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 1))->last, ==,
			(G_GUINT64_CONSTANT(1) << want_aw) - 1);
	hiod_vfio_device_detach(d);
}

static void
test_refused_flags(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, EDU_A);
	g_autoptr(HiodVfioDevice) b = device_new(f, EDU_B);
	g_autoptr(HiodContainer) c = iommufd_container_new(f, a);
	HiodIommufdBackend *be = hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c));
	guint fds, p;
	guint32 id = 0;
	guint8 *buf = vm_buffer_new(2 * PG, 0);
	guint64 bitmap[1] = {0};

	attach(a, c);
	fds = hiod_context_get_open_fd_count(f->ctx);

	/* a nesting parent for a second device: VT-d in QEMU 7.2 has no ECAP.NEST */
	p = probe_id(be);
	g_assert_false(hiod_vfio_device_attach(b, c, HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "not supported by the host IOMMU"));
	g_assert_nonnull(strstr(error->message, "nesting-parent"));
	g_test_message("refused as expected: %s", error->message);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds);
	g_assert_null(hiod_vfio_device_get_container(b));
	assert_no_objects_after(be, p - 1);
	{
		g_autoptr(GArray) ids = hiod_iommufd_container_get_hwpt_ids(HIOD_IOMMUFD_CONTAINER(c));
		g_assert_cmpuint(ids->len, ==, 1);
	}

	/* a dirty-tracking HWPT: no SLADS/SMPWC, so the host refuses */
	g_clear_error(&error);
	p = probe_id(be);
	g_assert_false(hiod_iommufd_backend_alloc_hwpt(
	    be, hiod_host_iommu_device_iommufd_get_devid(
		    HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod_vfio_device_get_host_iommu_device(a))),
	    hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)),
	    HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING, 0, NULL, 0, &id, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "not supported by the host IOMMU"));
	g_test_message("refused as expected: %s", error->message);
	assert_no_objects_after(be, p - 1);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds);

	/* without IOMMU dirty tracking the container reports every mapped page dirty */
	g_assert_false(hiod_container_get_dirty_tracking_supported(c));
	g_clear_error(&error);
	g_assert_true(hiod_container_dma_map(c, 0x100000, PG, buf, 0, &error));
	g_assert_true(hiod_container_set_dirty_tracking(c, TRUE, &error));
	g_assert_true(hiod_container_query_dirty_bitmap(c, 0x100000, 4 * PG, PG, bitmap, 0, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, 1);
	g_assert_true(hiod_container_set_dirty_tracking(c, FALSE, &error));
	hiod_vfio_device_detach(a);
	munmap(buf, 2 * PG);
}

static void
test_shared_hwpt(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, EDU_A);
	g_autoptr(HiodVfioDevice) b = device_new(f, EDU_B);
	g_autoptr(HiodContainer) c = iommufd_container_new(f, a);
	HiodIommufdBackend *be = hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c));
	g_autoptr(GArray) ids = NULL;
	HiodEdu ea = {0}, eb = {0};
	guint32 hwpt, ioas;

	attach(a, c);
	attach(b, c);
	ids = hiod_iommufd_container_get_hwpt_ids(HIOD_IOMMUFD_CONTAINER(c));
	g_assert_cmpuint(ids->len, ==, 1);
	hwpt = g_array_index(ids, guint32, 0);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(
			     hiod_vfio_device_get_host_iommu_device(a))), ==, hwpt);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(
			     hiod_vfio_device_get_host_iommu_device(b))), ==, hwpt);
	/* both devices DMA through the one page table */
	g_assert_true(hiod_edu_init(&ea, a, &error));
	g_assert_true(hiod_edu_init(&eb, b, &error));
	g_assert_true(hiod_edu_round_trip(&ea, c, 0x100000, 0x200000, 1024, &error));
	g_assert_true(hiod_edu_round_trip(&eb, c, 0x300000, 0x400000, 1024, &error));
	g_assert_no_error(error);
	/* the HWPT is busy while a device is on it, and goes with the last one */
	g_assert_false(hiod_iommufd_backend_destroy(be, hwpt, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
	g_clear_error(&error);
	hiod_vfio_device_detach(a);
	g_assert_false(hiod_iommufd_backend_destroy(be, hwpt, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
	g_clear_error(&error);
	ioas = hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c));
	/* keep the iommufd open past the container's release to look at it */
	g_assert_true(hiod_iommufd_backend_connect(be, &error));
	hiod_vfio_device_detach(b);
	g_assert_false(hiod_iommufd_backend_destroy(be, hwpt, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(hiod_iommufd_backend_destroy(be, ioas, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	hiod_iommufd_backend_disconnect(be);
}

static void
test_ioas_copy(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, EDU_A);
	g_autoptr(HiodVfioDevice) b = device_new(f, EDU_B);
	g_autoptr(HiodContainer) ca = iommufd_container_new(f, a);
	g_autoptr(HiodContainer) cb = iommufd_container_new(f, b);
	guint8 *src = vm_buffer_new(PG, 0), *dst = vm_buffer_new(PG, 0);
	HiodEdu eb = {0};

	attach(a, ca);
	attach(b, cb);
	/* one iommufd shared, two IOASes */
	g_assert_true(hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(ca)) ==
		      hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(cb)));
	g_assert_cmpuint(hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(ca)), !=,
			 hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(cb)));
	for (guint i = 0; i < 1024; i++)
		src[i] = (guint8)(i * 13 + 1);
	g_assert_true(hiod_container_dma_map(ca, 0x100000, PG, src, HIOD_DMA_FLAGS_READONLY, &error));
	/* B reaches the memory only through the copy */
	g_assert_true(hiod_container_dma_copy(cb, ca, 0x100000, 0x500000, PG, HIOD_DMA_FLAGS_READONLY,
					      &error));
	g_assert_no_error(error);
	g_assert_true(hiod_container_dma_map(cb, 0x600000, PG, dst, 0, &error));
	g_assert_true(hiod_edu_init(&eb, b, &error));
	g_assert_true(hiod_edu_dma(&eb, 0x500000, 1024, FALSE, 5000, &error));
	g_assert_true(hiod_edu_dma(&eb, 0x600000, 1024, TRUE, 5000, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(src, 1024, dst, 1024);
	/* the copy stays after the source mapping goes */
	g_assert_true(hiod_container_dma_unmap(ca, 0x100000, PG, &error));
	memset(dst, 0, PG);
	g_assert_true(hiod_edu_dma(&eb, 0x500000, 1024, FALSE, 5000, &error));
	g_assert_true(hiod_edu_dma(&eb, 0x600000, 1024, TRUE, 5000, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(src, 1024, dst, 1024);
	hiod_vfio_device_detach(b);
	hiod_vfio_device_detach(a);
	munmap(src, PG);
	munmap(dst, PG);
}

static void
test_both_backends(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, EDU_A);
	g_autoptr(HiodVfioDevice) b = device_new(f, EDU_B);
	g_autoptr(HiodContainer) legacy = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_LEGACY, a, &error);
	g_autoptr(HiodContainer) ifd = iommufd_container_new(f, b);
	HiodEdu ea = {0}, eb = {0};

	g_assert_no_error(error);
	g_assert_cmpint(hiod_container_get_backend_kind(legacy), ==, HIOD_BACKEND_KIND_LEGACY);
	attach(a, legacy);
	attach(b, ifd);
	g_assert_false(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(hiod_vfio_device_get_host_iommu_device(a)));
	g_assert_true(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(hiod_vfio_device_get_host_iommu_device(b)));
	g_assert_true(hiod_edu_init(&ea, a, &error));
	g_assert_true(hiod_edu_init(&eb, b, &error));
	/* the same IOVAs in both: two address spaces */
	g_assert_true(hiod_edu_round_trip(&ea, legacy, 0x100000, 0x200000, HIOD_EDU_MAX_DMA, &error));
	g_assert_true(hiod_edu_round_trip(&eb, ifd, 0x100000, 0x200000, HIOD_EDU_MAX_DMA, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(a);
	hiod_vfio_device_detach(b);
}

static void
test_bad_input(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, EDU_A);
	g_autoptr(HiodVfioDevice) a2 = device_new(f, EDU_A);
	g_autoptr(HiodContainer) c = iommufd_container_new(f, a);
	g_autoptr(HiodContainer) c2 = iommufd_container_new(f, a);
	guint8 *buf = vm_buffer_new(PG, 0);
	guint fds;

	/* /dev/iommu not permitted */
	hiod_context_inject_fault_match(f->ctx, "open:*/dev/iommu", EACCES, 1);
	g_assert_false(hiod_vfio_device_attach(a, c, 0, &error));
	hiod_context_clear_faults(f->ctx);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_test_message("refused as expected: %s", error->message);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, f->fds_at_start);
	g_clear_error(&error);

	/* the same device bound twice: the kernel refuses the second open/bind */
	attach(a, c);
	fds = hiod_context_get_open_fd_count(f->ctx);
	g_assert_false(hiod_vfio_device_attach(a2, c2, 0, &error));
	g_assert_nonnull(error);
	g_test_message("refused as expected: %s", error->message);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds);
	g_assert_cmpuint(hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c2)), ==, 0);
	g_clear_error(&error);

	/* outside the IOAS's ranges: the MSI window, and above the 39/48-bit aperture */
	g_assert_false(hiod_container_dma_map(c, 0xfee00000, PG, buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_clear_error(&error);
	g_assert_false(hiod_container_dma_map(c, G_GUINT64_CONSTANT(1) << 56, PG, buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
	hiod_vfio_device_detach(a);
	munmap(buf, PG);
}

static void
test_no_dev_iommu(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hiod-nodev-XXXXXX", &error);
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodIommufdBackend) be = NULL;
	g_assert_no_error(error);
	ctx = hiod_context_new_with_roots("/sys", dir);
	be = hiod_iommufd_backend_new(ctx, &error);
	g_assert_null(be);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "CONFIG_IOMMUFD"));
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	g_rmdir(dir);
}

static gchar *
run_hiodctl(const gchar *args, gint *status)
{
	const gchar *hiodctl = g_getenv("HIODCTL");
	g_autofree gchar *cmd = g_strdup_printf("%s %s", hiodctl, args);
	g_autoptr(GError) error = NULL;
	gchar *out = NULL;
	g_spawn_command_line_sync(cmd, &out, NULL, status, &error);
	g_assert_no_error(error);
	return out;
}

/* hiodctl info / dma-test --backend iommufd: the iommufd view with the VT-d decode */
static void
test_hiodctl(void)
{
	g_autofree gchar *out = NULL, *out2 = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *root, *dev, *hiod, *vtd, *container;
	gint status = -1;

	if (g_getenv("HIODCTL") == NULL) {
		g_test_skip("HIODCTL is not set");
		return;
	}
	out = run_hiodctl("info --json " EDU_A " --backend iommufd", &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	g_assert_no_error(error);
	root = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpstr(json_object_get_string_member(root, "backend"), ==, "iommufd");
	dev = json_object_get_object_member(root, "device");
	hiod = json_object_get_object_member(dev, "host_iommu_device");
	g_assert_cmpstr(json_object_get_string_member(hiod, "kind"), ==, "HiodHostIommuDeviceIommufdVfio");
	g_assert_cmpint(json_object_get_int_member(hiod, "devid"), >, 0);
	vtd = json_object_get_object_member(hiod, "vtd");
	g_assert_cmpint(json_object_get_int_member(vtd, "address_width"), ==, 39);
	g_assert_false(json_object_get_boolean_member(vtd, "nesting"));
	g_assert_false(json_object_get_boolean_member(vtd, "dirty_tracking"));
	/* the vIOMMU requests this kernel knows, and VFIO's PASID attach: probed */
	{
		struct utsname u;
		guint ma = 0, mi = 0, k;
		JsonArray *feats = json_object_get_array_member(hiod, "iommufd_features");
		g_autoptr(GString) got = g_string_new(NULL);
		g_assert_cmpint(uname(&u), ==, 0);
		g_assert_cmpint(sscanf(u.release, "%u.%u", &ma, &mi), ==, 2);
		k = ma * 100 + mi;
		for (guint i = 0; i < json_array_get_length(feats); i++)
			g_string_append_printf(got, "%s%s", i ? "," : "", json_array_get_string_element(feats, i));
		g_test_message("Linux %u.%u: iommufd_features [%s], vfio_pasid_attach %d", ma, mi, got->str,
			       json_object_get_boolean_member(hiod, "vfio_pasid_attach"));
		g_assert_cmpstr(got->str, ==, k >= 617 ? "viommu,vdevice,veventq,hw-queue"
					      : k >= 615 ? "viommu,vdevice,veventq"
					      : k >= 613 ? "viommu,vdevice"
							 : "");
		g_assert_true(json_object_get_boolean_member(hiod, "vfio_pasid_attach") == (k >= 615));
	}
	container = json_object_get_object_member(dev, "container");
	g_assert_cmpint(json_object_get_int_member(container, "ioas_id"), >, 0);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(container, "hwpts")), ==, 1);
	/* text output from the same document */
	out2 = run_hiodctl("info " EDU_A " --backend iommufd", &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out2, "address_width"));
	g_clear_pointer(&out2, g_free);
	out2 = run_hiodctl("dma-test " EDU_A " --backend iommufd", &status);
	g_assert_cmpint(status, ==, 0);
}

/* Hot reset in the iommufd form (count 0, ownership proven by the iommufd
 * context): the edu alone behind a PCIe root port (bridges topology) resets
 * and still does DMA; on the root bus the kernel has no bus to reset and the
 * error says so, with nothing left behind. */
#define EDU_RP "0000:01:00.0"
static void
test_hot_reset(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d = NULL;
	g_autoptr(HiodContainer) c = NULL;
	g_autofree gchar *rp = g_strdup_printf("/sys/bus/pci/devices/%s", EDU_RP);
	HiodEdu edu;

	if (g_file_test(rp, G_FILE_TEST_EXISTS)) {
		d = device_new(f, EDU_RP);
		c = iommufd_container_new(f, d);
		attach(d, c);
		g_assert_true(hiod_vfio_device_hot_reset(d, &error));
		g_assert_no_error(error);
		g_assert_true(hiod_edu_init(&edu, d, &error));
		g_assert_true(hiod_edu_round_trip(&edu, c, 0x100000, 0x200000, 256, &error));
		g_assert_no_error(error);
		hiod_vfio_device_detach(d);
		return;
	}
	d = device_new(f, EDU_A);
	c = iommufd_container_new(f, d);
	attach(d, c);
	g_assert_false(hiod_vfio_device_hot_reset(d, &error));
	g_assert_nonnull(error);
	g_test_message("root bus: %s", error->message);
	g_assert_nonnull(strstr(error->message, EDU_A));
	g_assert_nonnull(strstr(error->message, "no slot or bus reset"));
	/* the device is still attached and works */
	g_clear_error(&error);
	g_assert_true(hiod_edu_init(&edu, d, &error));
	g_assert_true(hiod_edu_round_trip(&edu, c, 0x100000, 0x200000, 64, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(d);
}

/* kernel-side faults ---------------------------------------------------------- */

/* The iommufd selftest kernel's fault injection (debugfs fail_iommufd): with
 * probability 100, times 1 and space N, the Nth iommufd_should_fail() call of
 * this task (task-filter, /proc/self/make-it-fail) fails. verbose 2 puts the
 * failing call's stack in the kernel log, read back from /dev/kmsg. */
#define FAIL_DIR "/sys/kernel/debug/fail_iommufd"

static void
write_knob(const gchar *path, const gchar *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, value, strlen(value)), ==, (gssize)strlen(value));
	close(fd);
}

static void
fail_knob(const gchar *knob, const gchar *value)
{
	g_autofree gchar *path = g_build_filename(FAIL_DIR, knob, NULL);
	write_knob(path, value);
}

static gint64
fail_knob_read(const gchar *knob)
{
	g_autofree gchar *path = g_build_filename(FAIL_DIR, knob, NULL);
	g_autofree gchar *s = NULL;
	g_assert_true(g_file_get_contents(path, &s, NULL, NULL));
	return g_ascii_strtoll(s, NULL, 10);
}

/* arms the fault at this task's @nth call */
static void
fail_arm(guint nth)
{
	g_autofree gchar *space = g_strdup_printf("%u", nth);
	fail_knob("times", "0");
	fail_knob("space", space);
	fail_knob("times", "1");
}

/* disarms; whether the armed fault was hit */
static gboolean
fail_disarm(void)
{
	gboolean hit = fail_knob_read("times") == 0;
	fail_knob("times", "0");
	return hit;
}

/* the kernel functions below iommufd_should_fail() in the last fault's stack,
 * from the kernel log records read since @kmsg was last drained */
static gchar *
kmsg_failed_call(int kmsg)
{
	g_autoptr(GString) calls = g_string_new(NULL);
	gchar rec[2048];
	gssize n;
	gint frames = -1;

	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		const gchar *msg;
		gchar *end;
		if (n <= 0)
			continue;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (msg == NULL)
			continue;
		msg++;
		while (*msg == ' ' || *msg == '?')
			msg++;
		if (g_str_has_prefix(msg, "iommufd_should_fail")) {
			g_string_truncate(calls, 0);
			frames = 0;
			continue;
		}
		if (frames < 0 || frames >= 3)
			continue;
		end = strchr(msg, '+');
		if (end == NULL)
			continue;
		*end = '\0';
		g_string_append_printf(calls, "%s%s", frames++ ? " <- " : "", msg);
	}
	return calls->len ? g_string_free(g_steal_pointer(&calls), FALSE) : g_strdup("(no stack in the kernel log)");
}

/* Every id from @first on is free (IOMMU_DESTROY answers ENOENT) */
static void
assert_ids_free(HiodIommufdBackend *be, guint32 first)
{
	assert_no_objects_after(be, first - 1);
}

/* Attach (bind, IOAS, HWPT, attach) and then map fail in the kernel at each
 * of their fault points in turn, until they succeed: each failure is a clear
 * error, and leaves no fd, no IOAS/HWPT/device object and no mapping behind;
 * the device then attaches and does DMA. */
static void
test_kernel_faults(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d = device_new(f, EDU_A);
	g_autoptr(HiodContainer) c = iommufd_container_new(f, d);
	HiodIommufdBackend *be = hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c));
	const gsize len = 64 * PG;
	guint8 *buf = vm_buffer_new(len, 0x5a);
	guint fds, n, hits = 0;
	guint32 first;
	int kmsg;
	HiodEdu edu = {0};

	g_assert_true(g_file_test(FAIL_DIR, G_FILE_TEST_IS_DIR));
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	g_assert_cmpint(kmsg, >=, 0);
	lseek(kmsg, 0, SEEK_END);
	write_knob("/proc/self/make-it-fail", "1");
	fail_knob("times", "0");
	fail_knob("probability", "100");
	fail_knob("interval", "1");
	fail_knob("verbose", "2");
	fail_knob("verbose_ratelimit_burst", "1000");
	fail_knob("task-filter", "Y");

	/* the iommufd stays open across the attempts so that its ids can be checked */
	g_assert_true(hiod_iommufd_backend_connect(be, &error));
	g_assert_no_error(error);
	first = probe_id(be);
	fds = hiod_context_get_open_fd_count(f->ctx);
	for (n = 1; n <= 64; n++) {
		gboolean ok, hit;
		g_clear_error(&error);
		fail_arm(n);
		ok = hiod_vfio_device_attach(d, c, 0, &error);
		hit = fail_disarm();
		if (ok && !hit)
			break;
		if (ok) {
			g_autofree gchar *call = kmsg_failed_call(kmsg);
			g_test_message("attach, fault %u (%s): absorbed, attached", n, call);
			hiod_vfio_device_detach(d);
		} else {
			g_autofree gchar *call = kmsg_failed_call(kmsg);
			g_assert_true(hit);
			g_assert_nonnull(error);
			g_test_message("attach, fault %u (%s): %s", n, call, error->message);
			g_assert_cmpuint(hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)), ==, 0);
		}
		hits++;
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds);
		assert_ids_free(be, first);
	}
	g_assert_cmpuint(n, <=, 64);
	g_assert_cmpuint(hits, >, 0);
	g_test_message("attach: %u kernel fault points, then attached", hits);
	g_assert_no_error(error);

	/* map: the same walk; a failed map leaves the IOVA free (the final map there
	 * would be refused as an overlap otherwise) */
	fds = hiod_context_get_open_fd_count(f->ctx);
	first = probe_id(be);
	hits = 0;
	for (n = 1; n <= 64; n++) {
		gboolean ok, hit;
		g_clear_error(&error);
		fail_arm(n);
		ok = hiod_container_dma_map(c, 0x400000, len, buf, 0, &error);
		hit = fail_disarm();
		if (ok && !hit)
			break;
		if (ok) {
			g_autofree gchar *call = kmsg_failed_call(kmsg);
			g_test_message("map, fault %u (%s): absorbed, mapped", n, call);
			g_assert_true(hiod_container_dma_unmap(c, 0x400000, len, &error));
			g_assert_no_error(error);
		} else {
			g_autofree gchar *call = kmsg_failed_call(kmsg);
			g_assert_true(hit);
			g_assert_nonnull(error);
			g_test_message("map, fault %u (%s): %s", n, call, error->message);
		}
		hits++;
		g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds);
		assert_ids_free(be, first);
	}
	g_assert_cmpuint(n, <=, 64);
	g_assert_cmpuint(hits, >, 0);
	g_test_message("map: %u kernel fault points, then mapped", hits);
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	g_assert_true(hiod_container_dma_unmap(c, 0x400000, len, &error));
	g_assert_no_error(error);

	/* everything still works */
	g_assert_true(hiod_edu_init(&edu, d, &error));
	g_assert_true(hiod_edu_round_trip(&edu, c, 0x100000, 0x200000, HIOD_EDU_MAX_DMA, &error));
	g_assert_no_error(error);
	fail_knob("task-filter", "N");
	fail_knob("probability", "0");
	fail_knob("verbose", "1");
	hiod_vfio_device_detach(d);
	hiod_iommufd_backend_disconnect(be);
	close(kmsg);
	munmap(buf, len);
}

/* the kernel's IOMMU_OPTION_HUGE_PAGES of the container's IOAS */
static gboolean
kernel_huge_pages(HiodContainer *c)
{
	HiodIommufdContainer *ic = HIOD_IOMMUFD_CONTAINER(c);
	g_autoptr(GError) error = NULL;
	gboolean on = FALSE;
	g_assert_true(hiod_iommufd_backend_get_huge_pages(hiod_iommufd_container_get_backend(ic),
							  hiod_iommufd_container_get_ioas_id(ic), &on,
							  &error));
	g_assert_no_error(error);
	return on;
}

/* IOMMU_OPTION_HUGE_PAGES against the real kernel: off before the first
 * attach reaches the IOAS the attach allocates; DMA goes through an IOAS in
 * CPU pages; on again while mapped; off once a device's mappings exist is
 * the kernel's EINVAL, explained, with the setting and the mapping (DMA
 * through it) as they were; off again once nothing is mapped. */
static void
test_huge_pages(VmFixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d = device_new(f, EDU_A);
	g_autoptr(HiodContainer) c = iommufd_container_new(f, d);
	HiodIommufdContainer *ic = HIOD_IOMMUFD_CONTAINER(c);
	const gsize len = 2 << 20;
	const guint64 iova = 0x40000000;
	guint8 *buf = vm_buffer_new(len, 0);
	HiodEdu edu = {0};

	g_assert_true(hiod_iommufd_container_get_huge_pages(ic));
	g_assert_true(hiod_iommufd_container_set_huge_pages(ic, FALSE, &error));
	g_assert_no_error(error);
	attach(d, c);
	g_assert_false(kernel_huge_pages(c));
	g_assert_true(hiod_edu_init(&edu, d, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_round_trip(&edu, c, 0x100000, 0x200000, HIOD_EDU_MAX_DMA, &error));
	g_assert_no_error(error);

	/* on again, then a 2 MiB mapping the device reads from and writes to */
	g_assert_true(hiod_iommufd_container_set_huge_pages(ic, TRUE, &error));
	g_assert_no_error(error);
	g_assert_true(kernel_huge_pages(c));
	for (gsize i = 0; i < 256; i++)
		buf[len - 4096 + i] = (guint8)(i ^ 0x5a);
	g_assert_true(hiod_container_dma_map(c, iova, len, buf, 0, &error));
	g_assert_no_error(error);

	/* off is refused by the kernel now: nothing changes */
	g_assert_false(hiod_iommufd_container_set_huge_pages(ic, FALSE, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "turn them off before mapping"));
	g_clear_error(&error);
	g_assert_true(hiod_iommufd_container_get_huge_pages(ic));
	g_assert_true(kernel_huge_pages(c));
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	g_assert_true(hiod_edu_dma(&edu, iova + len - 4096, 256, FALSE, 2000, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_dma(&edu, iova, 256, TRUE, 2000, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(buf, 256, buf + len - 4096, 256);

	/* with nothing mapped it turns off, and the device still reaches memory */
	g_assert_true(hiod_container_dma_unmap(c, iova, len, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_iommufd_container_set_huge_pages(ic, FALSE, &error));
	g_assert_no_error(error);
	g_assert_false(kernel_huge_pages(c));
	g_assert_true(hiod_edu_round_trip(&edu, c, 0x100000, 0x200000, HIOD_EDU_MAX_DMA, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(d);
	g_assert_cmpuint(hiod_iommufd_container_get_ioas_id(ic), ==, 0);
	munmap(buf, len);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add("/hiod/vm/iommufd/" path, VmFixture, NULL, vm_fixture_setup, func, vm_fixture_teardown)
	ADD("round-trip", test_round_trip);
	ADD("unmap-enoent", test_unmap_enoent);
	ADD("hw-info", test_hw_info);
	ADD("refused-flags", test_refused_flags);
	ADD("shared-hwpt", test_shared_hwpt);
	ADD("ioas-copy", test_ioas_copy);
	ADD("both-backends", test_both_backends);
	ADD("bad-input", test_bad_input);
	ADD("hot-reset", test_hot_reset);
	ADD("kernel-faults", test_kernel_faults);
	ADD("huge-pages", test_huge_pages);
	g_test_add_func("/hiod/vm/iommufd/no-dev-iommu", test_no_dev_iommu);
	g_test_add_func("/hiod/vm/iommufd/hiodctl", test_hiodctl);
	return g_test_run();
}

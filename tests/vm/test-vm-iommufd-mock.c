/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests of the iommufd paths the emulated VT-d refuses, proven on the
 * kernel's iommufd selftest mock (CONFIG_IOMMUFD_TEST): a nesting-parent
 * HWPT, a nested HWPT with vendor stage-1 data, cache invalidation, dirty
 * tracking on and off, and a dirty bitmap that reports exactly the pages the
 * mock marked. The library's backend wrappers and host IOMMU device class
 * methods do the work; only the mock's own IOMMU_TEST_CMD ops are sent
 * directly (still through the chokepoint).
 *
 * HiodTestMockHiod is a host IOMMU device subclass that lives only here: a
 * mock device is not a VFIO device, and the type hierarchy takes it as it is.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "hiod.h"

/* the running kernel's major version (6 on the LTS platform, 7 on the current) */
static guint
kernel_major(void)
{
	g_autofree gchar *s = NULL;
	if (!g_file_get_contents("/proc/sys/kernel/osrelease", &s, NULL, NULL))
		return 0;
	return (guint)g_ascii_strtoull(s, NULL, 10);
}

/* the mock's test commands ---------------------------------------------------- */

static gboolean
mock_cmd(HiodIommufdBackend *be, struct hiod_iommu_test_cmd *cmd, GError **error)
{
	return hiod_kernel_ioctl(hiod_iommufd_backend_get_context(be), hiod_iommufd_backend_get_fd(be),
				 HIOD_IOC(IOMMU_TEST_CMD), cmd, sizeof(*cmd), error) == 0;
}

/* IOMMU_OPTION_HUGE_PAGES off on @ioas: the IOAS maps in CPU pages */
static gboolean
ioas_no_huge_pages(HiodIommufdBackend *be, guint32 ioas, GError **error)
{
	struct hiod_iommu_option opt = {
	    .size = sizeof(opt),
	    .option_id = HIOD_IOMMU_OPTION_HUGE_PAGES,
	    .op = HIOD_IOMMU_OPTION_OP_SET,
	    .object_id = ioas,
	    .val64 = 0,
	};
	return hiod_kernel_ioctl(hiod_iommufd_backend_get_context(be), hiod_iommufd_backend_get_fd(be),
				 HIOD_IOC(IOMMU_OPTION), &opt, sizeof(opt), error) == 0;
}

/* a mock agent: what the mock host IOMMU device stands for ------------------------ */

#define TEST_TYPE_MOCK_AGENT (test_mock_agent_get_type())
G_DECLARE_FINAL_TYPE(TestMockAgent, test_mock_agent, TEST, MOCK_AGENT, GObject)
struct _TestMockAgent {
	GObject parent_instance;
	HiodIommufdBackend *backend;
	guint32 stdev_id, idev_id, hwpt_id, ioas_id;
	gchar *name;
};
static void test_mock_agent_iface_init(HiodAssignedDeviceInterface *iface);
G_DEFINE_TYPE_WITH_CODE(TestMockAgent, test_mock_agent, G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(HIOD_TYPE_ASSIGNED_DEVICE, test_mock_agent_iface_init))
static const gchar *
test_mock_agent_get_name(HiodAssignedDevice *self)
{
	return TEST_MOCK_AGENT(self)->name;
}
static void
test_mock_agent_iface_init(HiodAssignedDeviceInterface *iface)
{
	iface->get_name = test_mock_agent_get_name;
}
static void
test_mock_agent_finalize(GObject *o)
{
	TestMockAgent *self = TEST_MOCK_AGENT(o);
	if (self->stdev_id != 0) /* destroys the mock device */
		hiod_iommufd_backend_destroy(self->backend, self->stdev_id, NULL);
	g_clear_object(&self->backend);
	g_free(self->name);
	G_OBJECT_CLASS(test_mock_agent_parent_class)->finalize(o);
}
static void
test_mock_agent_init(TestMockAgent *self)
{
}
static void
test_mock_agent_class_init(TestMockAgentClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = test_mock_agent_finalize;
}

/* A mock device attached to @pt_id (IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS). */
static TestMockAgent *
test_mock_agent_new(HiodIommufdBackend *be, guint32 pt_id, guint32 dev_flags, GError **error)
{
	g_autoptr(TestMockAgent) self = g_object_new(TEST_TYPE_MOCK_AGENT, NULL);
	struct hiod_iommu_test_cmd cmd = {.op = dev_flags != 0 ? HIOD_IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS
							    : HIOD_IOMMU_TEST_OP_MOCK_DOMAIN,
					  .id = pt_id};
	cmd.mock_domain_flags.dev_flags = dev_flags;
	if (!mock_cmd(be, &cmd, error)) {
		g_prefix_error(error, "making a mock device (op %u, flags 0x%x): ", cmd.op, dev_flags);
		return NULL;
	}
	self->backend = g_object_ref(be);
	self->stdev_id = cmd.mock_domain_flags.out_stdev_id;
	self->idev_id = cmd.mock_domain_flags.out_idev_id;
	self->hwpt_id = cmd.mock_domain_flags.out_hwpt_id;
	self->ioas_id = pt_id;
	self->name = g_strdup_printf("iommufd_mock(idev %u)", self->idev_id);
	return g_steal_pointer(&self);
}

/* the test-only host IOMMU device subclass ----------------------------------------- */

#define TEST_TYPE_MOCK_HIOD (hiod_test_mock_hiod_get_type())
G_DECLARE_FINAL_TYPE(HiodTestMockHiod, hiod_test_mock_hiod, HIOD_TEST, MOCK_HIOD,
		     HiodHostIommuDeviceIommufd)
struct _HiodTestMockHiod {
	HiodHostIommuDeviceIommufd parent_instance;
	TestMockAgent *agent; /* weak */
};
G_DEFINE_TYPE(HiodTestMockHiod, hiod_test_mock_hiod, HIOD_TYPE_HOST_IOMMU_DEVICE_IOMMUFD)

static gboolean
hiod_test_mock_hiod_realize(HiodHostIommuDevice *device, HiodAssignedDevice *agent, GError **error)
{
	HiodTestMockHiod *self = HIOD_TEST_MOCK_HIOD(device);
	TestMockAgent *a;
	g_auto(HiodIommufdHwInfo) info = {0};
	g_autoptr(HiodHostIommuCaps) caps = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	guint32 ioas = 0;

	if (!TEST_IS_MOCK_AGENT(agent)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "not a mock device");
		return FALSE;
	}
	a = TEST_MOCK_AGENT(agent);
	if (!hiod_iommufd_backend_get_hw_info(a->backend, a->idev_id, &info, error))
		return FALSE;
	/* the address width from an IOAS the mock domain narrows (its aperture) */
	if (!hiod_iommufd_backend_alloc_ioas(a->backend, &ioas, error))
		return FALSE;
	caps = hiod_host_iommu_caps_new(info.type == HIOD_IOMMU_HW_INFO_TYPE_SELFTEST
					    ? HIOD_IOMMU_TYPE_SELFTEST
					    : HIOD_IOMMU_TYPE_UNKNOWN,
					info.type, 31, info.capabilities & HIOD_HW_CAPS_DIRTY_TRACKING,
					info.max_pasid_log2, info.data);
	hiod_iommufd_backend_destroy(a->backend, ioas, NULL);
	hiod_host_iommu_device_set_caps(device, caps);
	hiod_host_iommu_device_iommufd_set_ids(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(self), a->backend,
					       a->idev_id, a->hwpt_id);
	g_set_weak_pointer(&self->agent, a);
	return TRUE;
}

static gboolean
hiod_test_mock_hiod_attach_hwpt(HiodHostIommuDeviceIommufd *device, guint32 hwpt_id, GError **error)
{
	HiodTestMockHiod *self = HIOD_TEST_MOCK_HIOD(device);
	struct hiod_iommu_test_cmd cmd = {.op = HIOD_IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
					  .id = self->agent->stdev_id};
	cmd.mock_domain_replace.pt_id = hwpt_id;
	return mock_cmd(self->agent->backend, &cmd, error);
}

static gboolean
hiod_test_mock_hiod_detach_hwpt(HiodHostIommuDeviceIommufd *device, GError **error)
{
	/* a mock device cannot be left unattached: back onto its IOAS (a new
	 * automatic domain; the first one went when the device left it) */
	HiodTestMockHiod *self = HIOD_TEST_MOCK_HIOD(device);
	return hiod_test_mock_hiod_attach_hwpt(device, self->agent->ioas_id, error);
}

static void
hiod_test_mock_hiod_finalize(GObject *o)
{
	g_clear_weak_pointer(&HIOD_TEST_MOCK_HIOD(o)->agent);
	G_OBJECT_CLASS(hiod_test_mock_hiod_parent_class)->finalize(o);
}

static void
hiod_test_mock_hiod_init(HiodTestMockHiod *self)
{
}

static void
hiod_test_mock_hiod_class_init(HiodTestMockHiodClass *klass)
{
	HIOD_HOST_IOMMU_DEVICE_CLASS(klass)->realize = hiod_test_mock_hiod_realize;
	HIOD_HOST_IOMMU_DEVICE_IOMMUFD_CLASS(klass)->attach_hwpt = hiod_test_mock_hiod_attach_hwpt;
	HIOD_HOST_IOMMU_DEVICE_IOMMUFD_CLASS(klass)->detach_hwpt = hiod_test_mock_hiod_detach_hwpt;
	G_OBJECT_CLASS(klass)->finalize = hiod_test_mock_hiod_finalize;
}

/* fixture -------------------------------------------------------------------- */

typedef struct {
	HiodContext *ctx;
	HiodIommufdBackend *be;
	guint32 ioas;
	TestMockAgent *agent;
	HiodHostIommuDevice *hiod;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	f->ctx = hiod_context_new();
	f->be = hiod_iommufd_backend_new(f->ctx, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_iommufd_backend_connect(f->be, &error));
	g_assert_true(hiod_iommufd_backend_alloc_ioas(f->be, &f->ioas, &error));
	f->agent = test_mock_agent_new(f->be, f->ioas, 0, &error);
	g_assert_no_error(error);
	f->hiod = g_object_new(TEST_TYPE_MOCK_HIOD, NULL);
	g_assert_true(hiod_host_iommu_device_realize(f->hiod, HIOD_ASSIGNED_DEVICE(f->agent), &error));
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->hiod);
	g_clear_object(&f->agent);
	g_assert_true(hiod_iommufd_backend_destroy(f->be, f->ioas, NULL));
	hiod_iommufd_backend_disconnect(f->be);
	g_clear_object(&f->be);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_clear_object(&f->ctx);
}

static HiodHostIommuDeviceIommufd *
fx_hiod(Fixture *f)
{
	return HIOD_HOST_IOMMU_DEVICE_IOMMUFD(f->hiod);
}

/* tests ---------------------------------------------------------------------- */

static void
test_realize(Fixture *f, gconstpointer data)
{
	HiodHostIommuCaps *caps = hiod_host_iommu_device_get_caps(f->hiod);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	GBytes *vendor;
	guint64 align = 0;
	guint32 regval;

	g_assert_true(HIOD_TEST_IS_MOCK_HIOD(f->hiod));
	g_assert_true(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(f->hiod));
	g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_SELFTEST);
	g_assert_cmphex(hiod_host_iommu_caps_get_hw_info_type(caps), ==, 0xfeedbeef);
	g_assert_cmphex(hiod_host_iommu_caps_get_hw_caps(caps), ==, HIOD_HW_CAPS_DIRTY_TRACKING);
	vendor = hiod_host_iommu_caps_get_vendor_data(caps);
	g_assert_cmpuint(g_bytes_get_size(vendor), ==, 8);
	memcpy(&regval, (const guint8 *)g_bytes_get_data(vendor, NULL) + 4, 4);
	g_assert_cmphex(regval, ==, HIOD_IOMMU_HW_INFO_SELFTEST_REGVAL);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_devid(fx_hiod(f)), ==, f->agent->idev_id);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(fx_hiod(f)), ==, f->agent->hwpt_id);
	/* the mock's aperture narrows the IOAS; its IO page is 2 KiB */
	ranges = hiod_iommufd_backend_get_iova_ranges(f->be, f->ioas, &align, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ranges->len, ==, 1);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 0))->start, ==, HIOD_MOCK_APERTURE_START);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 0))->last, ==, HIOD_MOCK_APERTURE_LAST);
	g_assert_cmpuint(align, ==, 2048);
}

static void
check_iotlb(Fixture *f, guint32 nested, guint slot, guint32 want)
{
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_test_cmd cmd = {.op = HIOD_IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = nested};
	cmd.check_iotlb.id = slot;
	cmd.check_iotlb.iotlb = want;
	g_assert_true(mock_cmd(f->be, &cmd, &error));
	g_assert_no_error(error);
}

static void
test_nesting(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_hwpt_selftest s1 = {.iotlb = HIOD_IOMMU_TEST_IOTLB_DEFAULT};
	struct hiod_iommu_hwpt_invalidate_selftest inv = {.flags = 0, .iotlb_id = 1};
	guint32 parent = 0, nested = 0, bad = 0, n;

	/* the nesting parent (with dirty tracking: the mock offers both) */
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(
	    fx_hiod(f), f->ioas, HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT | HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING,
	    0, NULL, 0, &parent, &error));
	g_assert_no_error(error);
	/* stage 1 on it: the vendor data (type 0xdead) */
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(fx_hiod(f), parent, 0,
								HIOD_IOMMU_HWPT_DATA_SELFTEST, &s1,
								sizeof(s1), &nested, &error));
	g_assert_no_error(error);
	for (guint k = 0; k < 4; k++)
		check_iotlb(f, nested, k, HIOD_IOMMU_TEST_IOTLB_DEFAULT);
	/* a vendor type the host does not know: refused with the words */
	g_assert_false(hiod_host_iommu_device_iommufd_alloc_hwpt(fx_hiod(f), parent, 0,
								 HIOD_IOMMU_HWPT_DATA_SELFTEST + 1, &s1,
								 sizeof(s1), &bad, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "not supported by the host IOMMU"));
	g_clear_error(&error);

	/* invalidation of one IOTLB slot, then of all */
	n = 1;
	g_assert_true(hiod_host_iommu_device_iommufd_invalidate_cache(
	    fx_hiod(f), nested, HIOD_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(inv), &n, &inv, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(n, ==, 1);
	check_iotlb(f, nested, 0, HIOD_IOMMU_TEST_IOTLB_DEFAULT);
	check_iotlb(f, nested, 1, 0);
	inv.flags = HIOD_IOMMU_TEST_INVALIDATE_FLAG_ALL;
	g_assert_true(hiod_host_iommu_device_iommufd_invalidate_cache(
	    fx_hiod(f), nested, HIOD_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(inv), &n, &inv, &error));
	for (guint k = 0; k < 4; k++)
		check_iotlb(f, nested, k, 0);
	/* a bad entry: how many were handled comes back */
	inv.flags = 0;
	inv.iotlb_id = 9;
	n = 1;
	g_assert_false(hiod_host_iommu_device_iommufd_invalidate_cache(
	    fx_hiod(f), nested, HIOD_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(inv), &n, &inv, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_cmpuint(n, ==, 0);
	g_clear_error(&error);
	/* the parent takes no invalidation: it is not nested. 6.12 looks the id
	 * up as a nested HWPT (ENOENT); 6.13 takes a nested HWPT or a vIOMMU and
	 * refuses any other object with EINVAL. */
	n = 0;
	g_assert_false(hiod_host_iommu_device_iommufd_invalidate_cache(
	    fx_hiod(f), parent, HIOD_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(inv), &n, &inv, &error));
	g_test_message("Linux %u: invalidating a nesting parent: %s", kernel_major(), error->message);
	if (kernel_major() >= 7)
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	else
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* the device moves onto stage 1, and back */
	g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(fx_hiod(f), nested, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(fx_hiod(f)), ==, nested);
	g_assert_false(hiod_iommufd_backend_destroy(f->be, parent, &error)); /* has a child */
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
	g_clear_error(&error);
	g_assert_true(hiod_host_iommu_device_iommufd_detach_hwpt(fx_hiod(f), &error));
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(fx_hiod(f)), ==, 0);
	g_assert_true(hiod_iommufd_backend_destroy(f->be, nested, &error));
	g_assert_true(hiod_iommufd_backend_destroy(f->be, parent, &error));
	g_assert_no_error(error);
}

static void
test_dirty(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gsize len = 64 * 2048; /* 64 mock IO pages */
	const guint64 iova = HIOD_MOCK_APERTURE_START;
	const guint marked[] = {0, 3, 17, 63};
	guint8 *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	guint64 mark = 0, reported = 0, bm = 0, want = 0;
	struct hiod_iommu_test_cmd cmd = {.op = HIOD_IOMMU_TEST_OP_DIRTY};
	guint32 ioas2 = 0, hd = 0;

	g_assert_true(buf != MAP_FAILED);
	memset(buf, 1, len);
	/* What the kernel reports dirty is what the IOMMU's page table entry
	 * covers. The 6.12 mock keeps one entry a 2 KiB mock page: exactly the
	 * marked pages. The 7.3 mock is the generic AMDv1 page table, with
	 * a 4 KiB CPU page an entry at best (the IOAS without huge pages, as the
	 * kernel's own selftest sets it): a marked page reports its pair. */
	for (guint i = 0; i < G_N_ELEMENTS(marked); i++) {
		mark |= G_GUINT64_CONSTANT(1) << marked[i];
		reported |= G_GUINT64_CONSTANT(1) << marked[i];
		if (kernel_major() >= 7)
			reported |= G_GUINT64_CONSTANT(1) << (marked[i] ^ 1);
	}
	/* a second IOAS with memory, and a dirty-tracking HWPT on it */
	g_assert_true(hiod_iommufd_backend_alloc_ioas(f->be, &ioas2, &error));
	g_assert_true(ioas_no_huge_pages(f->be, ioas2, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_iommufd_backend_map(f->be, ioas2, iova, len, buf, FALSE, &error));
	g_assert_true(hiod_iommufd_backend_alloc_hwpt(f->be, f->agent->idev_id, ioas2,
						      HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING, 0, NULL, 0,
						      &hd, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_iommufd_backend_set_dirty_tracking(f->be, hd, TRUE, &error));
	g_assert_no_error(error);

	/* the mock marks pages as a device's DMA would */
	cmd.id = hd;
	cmd.dirty.iova = iova;
	cmd.dirty.length = len;
	cmd.dirty.page_size = 2048;
	cmd.dirty.uptr = (guint64)(guintptr)&mark;
	g_assert_true(mock_cmd(f->be, &cmd, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(cmd.dirty.out_nr_dirty, ==, G_N_ELEMENTS(marked));

	/* exactly those pages, read without clearing (twice), then with clearing */
	for (guint round = 0; round < 3; round++) {
		bm = 0;
		g_assert_true(hiod_iommufd_backend_get_dirty_bitmap(f->be, hd, iova, len, 2048, &bm,
								    round < 2, &error));
		g_assert_no_error(error);
		g_assert_cmphex(bm, ==, reported);
	}
	bm = 0;
	g_assert_true(hiod_iommufd_backend_get_dirty_bitmap(f->be, hd, iova, len, 2048, &bm, FALSE, &error));
	g_assert_cmphex(bm, ==, 0);
	/* at 4 KiB granule a bit covers two mock pages */
	g_assert_true(mock_cmd(f->be, &cmd, &error));
	bm = 0;
	g_assert_true(hiod_iommufd_backend_get_dirty_bitmap(f->be, hd, iova, len, 4096, &bm, FALSE, &error));
	for (guint i = 0; i < G_N_ELEMENTS(marked); i++)
		want |= G_GUINT64_CONSTANT(1) << (marked[i] / 2);
	g_assert_cmphex(bm, ==, want);

	/* off: the mock refuses to mark pages of an untracked HWPT */
	g_assert_true(hiod_iommufd_backend_set_dirty_tracking(f->be, hd, FALSE, &error));
	g_assert_no_error(error);
	g_assert_false(mock_cmd(f->be, &cmd, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	g_assert_true(hiod_iommufd_backend_destroy(f->be, hd, &error));
	g_assert_true(hiod_iommufd_backend_unmap(f->be, ioas2, 0, G_MAXUINT64, &error));
	g_assert_true(hiod_iommufd_backend_destroy(f->be, ioas2, &error));
	g_assert_no_error(error);
	munmap(buf, len);
}

static void
test_no_dirty_device(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(TestMockAgent) nd = NULL;
	g_autoptr(HiodHostIommuDevice) hiod = g_object_new(TEST_TYPE_MOCK_HIOD, NULL);
	guint32 id = 0, probe = 0;

	nd = test_mock_agent_new(f->be, f->ioas, HIOD_MOCK_FLAGS_DEVICE_NO_DIRTY, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_host_iommu_device_realize(hiod, HIOD_ASSIGNED_DEVICE(nd), &error));
	g_assert_cmphex(hiod_host_iommu_caps_get_hw_caps(hiod_host_iommu_device_get_caps(hiod)), ==, 0);
	g_assert_false(hiod_host_iommu_device_iommufd_alloc_hwpt(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod), f->ioas,
								 HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING, 0,
								 NULL, 0, &id, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "not supported by the host IOMMU"));
	g_clear_error(&error);
	/* nothing was left: the next id is the one the refused HWPT would have had */
	g_assert_true(hiod_iommufd_backend_alloc_ioas(f->be, &probe, &error));
	g_assert_false(hiod_iommufd_backend_destroy(f->be, probe + 1, NULL));
	g_assert_true(hiod_iommufd_backend_destroy(f->be, probe, &error));
	g_assert_no_error(error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add("/iommufd-mock/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("realize", test_realize);
	ADD("nesting", test_nesting);
	ADD("dirty", test_dirty);
	ADD("no-dirty-device", test_no_dirty_device);
	return g_test_run();
}

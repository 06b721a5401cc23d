/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests of the iommufd paths the emulated VT-d refuses, proven on the
 * kernel's iommufd selftest mock (CONFIG_IOMMUFD_TEST): a nesting-parent
 * HWPT, a nested HWPT with vendor stage-1 data, cache invalidation, dirty
 * tracking on and off, and a dirty bitmap that reports exactly the pages the
 * mock marked. On Linux 6.13 and later also the vIOMMU objects (the mock's
 * SELFTEST vIOMMU, vDEVICEs, nested HWPTs on it, invalidation through it,
 * vEVENTQ with the mock's triggered events, HW queues, PASIDs), made, used
 * and torn down in every order the kernel allows, with faults injected at
 * each step; on 6.12 the same tests check the clear refusals. The library's backend wrappers and host IOMMU device class
 * methods do the work; only the mock's own IOMMU_TEST_CMD ops are sent
 * directly (still through the chokepoint).
 *
 * HiodTestMockHiod is a host IOMMU device subclass that lives only here: a
 * mock device is not a VFIO device, and the type hierarchy takes it as it is.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "hiod-backend-private.h"
#include "hiod-kernel-private.h"
#include "hiod-test-common.h"
#include "vm-fixture.h"
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

static gboolean
hiod_test_mock_hiod_attach_pasid(HiodHostIommuDeviceIommufd *device, guint32 pasid, guint32 hwpt_id,
				 gboolean replace, GError **error)
{
	HiodTestMockHiod *self = HIOD_TEST_MOCK_HIOD(device);
	struct hiod_iommu_test_cmd cmd = {.op = replace ? HIOD_IOMMU_TEST_OP_PASID_REPLACE
							: HIOD_IOMMU_TEST_OP_PASID_ATTACH,
					  .id = self->agent->stdev_id};
	cmd.pasid.pasid = pasid;
	cmd.pasid.pt_id = hwpt_id;
	return mock_cmd(self->agent->backend, &cmd, error);
}

static gboolean
hiod_test_mock_hiod_detach_pasid(HiodHostIommuDeviceIommufd *device, guint32 pasid, GError **error)
{
	HiodTestMockHiod *self = HIOD_TEST_MOCK_HIOD(device);
	struct hiod_iommu_test_cmd cmd = {.op = HIOD_IOMMU_TEST_OP_PASID_DETACH,
					  .id = self->agent->stdev_id};
	cmd.pasid.pasid = pasid;
	return mock_cmd(self->agent->backend, &cmd, error);
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
	HIOD_HOST_IOMMU_DEVICE_IOMMUFD_CLASS(klass)->attach_pasid = hiod_test_mock_hiod_attach_pasid;
	HIOD_HOST_IOMMU_DEVICE_IOMMUFD_CLASS(klass)->detach_pasid = hiod_test_mock_hiod_detach_pasid;
	G_OBJECT_CLASS(klass)->finalize = hiod_test_mock_hiod_finalize;
}

/* fixture -------------------------------------------------------------------- */

typedef struct {
	VmFixture vm; /* the context; no fd left at teardown */
	HiodIommufdBackend *be;
	guint32 ioas;
	TestMockAgent *agent;
	HiodHostIommuDevice *hiod;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	vm_fixture_setup(&f->vm, data);
	f->be = hiod_iommufd_backend_new(f->vm.ctx, &error);
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
	vm_fixture_teardown(&f->vm, data);
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

/* the vIOMMU objects ---------------------------------------------------------- */

/* Linux >= @major.@minor (the guest kernel: the lts and current platforms) */
static gboolean
kernel_at_least(guint major, guint minor)
{
	struct utsname u;
	guint ma = 0, mi = 0;
	g_assert_cmpint(uname(&u), ==, 0);
	g_assert_cmpint(sscanf(u.release, "%u.%u", &ma, &mi), ==, 2);
	return ma > major || (ma == major && mi >= minor);
}

/* Every id from @first on is free (IOMMU_DESTROY answers ENOENT) */
static void
assert_ids_free(HiodIommufdBackend *be, guint32 first)
{
	for (guint32 id = first; id < first + 12; id++) {
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

static void
check_dev_cache(Fixture *f, guint32 idev, guint slot, guint32 want)
{
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_test_cmd cmd = {.op = HIOD_IOMMU_TEST_OP_DEV_CHECK_CACHE, .id = idev};
	cmd.check_dev_cache.id = slot;
	cmd.check_dev_cache.cache = want;
	g_assert_true(mock_cmd(f->be, &cmd, &error));
	g_assert_no_error(error);
}

static void
check_dev_cache_all(Fixture *f, guint32 idev, guint32 want)
{
	for (guint k = 0; k < HIOD_MOCK_DEV_CACHE_NUM; k++)
		check_dev_cache(f, idev, k, want);
}

static gboolean
trigger_vevent(HiodIommufdBackend *be, guint32 idev, GError **error)
{
	struct hiod_iommu_test_cmd cmd = {.op = HIOD_IOMMU_TEST_OP_TRIGGER_VEVENT};
	cmd.trigger_vevent.dev_id = idev;
	return mock_cmd(be, &cmd, error);
}

static void
check_pasid_hwpt(Fixture *f, TestMockAgent *a, guint32 pasid, guint32 hwpt)
{
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_test_cmd cmd = {.op = HIOD_IOMMU_TEST_OP_PASID_CHECK_HWPT, .id = a->stdev_id};
	cmd.pasid.pasid = pasid;
	cmd.pasid.pt_id = hwpt;
	g_assert_true(mock_cmd(f->be, &cmd, &error));
	g_assert_no_error(error);
}

static guint32
alloc_parent(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	guint32 parent = 0;
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(fx_hiod(f), f->ioas,
								HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT, 0, NULL,
								0, &parent, &error));
	g_assert_no_error(error);
	return parent;
}

static HiodIommufdViommu *
alloc_viommu(Fixture *f, guint32 parent)
{
	g_autoptr(GError) error = NULL;
	HiodIommufdViommu *v = hiod_host_iommu_device_iommufd_alloc_viommu(
	    fx_hiod(f), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, parent, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(v);
	return v;
}

static guint32
alloc_nested(Fixture *f, HiodIommufdViommu *v)
{
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_hwpt_selftest s1 = {.iotlb = HIOD_IOMMU_TEST_IOTLB_DEFAULT};
	guint32 nested = 0;
	g_assert_true(hiod_iommufd_viommu_alloc_hwpt(v, fx_hiod(f), 0, HIOD_IOMMU_HWPT_DATA_SELFTEST,
						     &s1, sizeof(s1), &nested, &error));
	g_assert_no_error(error);
	return nested;
}

static void
assert_destroy_busy(HiodIommufdBackend *be, guint32 id)
{
	g_autoptr(GError) error = NULL;
	g_assert_false(hiod_iommufd_backend_destroy(be, id, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
}

static void
destroy_ok(HiodIommufdBackend *be, guint32 id)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(hiod_iommufd_backend_destroy(be, id, &error));
	g_assert_no_error(error);
}

/* Which of the vIOMMU requests the kernel knows: exactly those its version has. */
static void
test_viommu_features(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HiodIommufdFeatures want = HIOD_IOMMUFD_FEATURE_NONE, got;
	guint32 first = probe_id(f->be);

	if (kernel_at_least(6, 13))
		want |= HIOD_IOMMUFD_FEATURE_VIOMMU | HIOD_IOMMUFD_FEATURE_VDEVICE;
	if (kernel_at_least(6, 15))
		want |= HIOD_IOMMUFD_FEATURE_VEVENTQ;
	if (kernel_at_least(6, 17))
		want |= HIOD_IOMMUFD_FEATURE_HW_QUEUE;
	got = hiod_iommufd_backend_probe_features(f->be, &error);
	g_assert_no_error(error);
	g_assert_cmphex(got, ==, want);
	g_test_message("iommufd features: 0x%x", got);
	assert_ids_free(f->be, first); /* the probes made nothing */
}

/* Linux 6.12: every vIOMMU request is refused, naming the kernel that has it,
 * and leaves nothing. */
static void
test_viommu_refused(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodIommufdViommu) v = NULL;
	g_autoptr(TestMockAgent) pd = NULL;
	guint32 parent, first;
	guint fds;

	if (kernel_at_least(6, 13)) {
		g_test_skip("the kernel has vIOMMU objects (the other tests use them)");
		return;
	}
	parent = alloc_parent(f);
	first = probe_id(f->be);
	fds = hiod_context_get_open_fd_count(f->vm.ctx);
	v = hiod_host_iommu_device_iommufd_alloc_viommu(fx_hiod(f), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST,
							parent, NULL, &error);
	g_assert_null(v);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "IOMMU_VIOMMU_ALLOC"));
	g_assert_nonnull(strstr(error->message, "Linux 6.13"));
	g_test_message("refused: %s", error->message);
	g_clear_error(&error);
	/* with driver data too (a 6.17 struct: the kernel does not know the ioctl first) */
	{
		struct hiod_iommu_viommu_selftest sd = {.in_data = 0xbeef};
		g_autoptr(GBytes) bytes = g_bytes_new(&sd, sizeof(sd));
		v = hiod_host_iommu_device_iommufd_alloc_viommu(
		    fx_hiod(f), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, parent, bytes, &error);
		g_assert_null(v);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_assert_nonnull(strstr(error->message, "Linux 6.13"));
		g_clear_error(&error);
	}
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds);
	assert_ids_free(f->be, first);
	/* the parent is not held by anything */
	destroy_ok(f->be, parent);

	/* PASIDs: 6.12's mock has no PASID devices (the flag is refused) nor PASID ops */
	pd = test_mock_agent_new(f->be, f->ioas, HIOD_MOCK_FLAGS_DEVICE_PASID, &error);
	g_assert_null(pd);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(hiod_host_iommu_device_iommufd_attach_pasid(fx_hiod(f), 100, f->ioas, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_test_message("PASID refused: %s", error->message);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(fx_hiod(f), 100), ==, 0);
}

/* vIOMMU, vDEVICE and nested HWPT in every order the kernel allows, and the
 * orders it refuses. */
static void
test_viommu_objects(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint32 parent, nested, plain = 0, first, bad = 0;
	guint fds;

	if (!kernel_at_least(6, 13)) {
		g_test_skip("Linux 6.13 added vIOMMU objects (see /hiod/vm/iommufd-mock/viommu/refused)");
		return;
	}
	first = probe_id(f->be);
	fds = hiod_context_get_open_fd_count(f->vm.ctx);
	parent = alloc_parent(f);

	/* refusals: no HWPT, not a nesting parent, a type the driver lacks */
	g_assert_null(hiod_host_iommu_device_iommufd_alloc_viommu(
	    fx_hiod(f), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, 0, NULL, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(fx_hiod(f), f->ioas, 0, 0, NULL, 0,
								&plain, &error));
	g_assert_null(hiod_host_iommu_device_iommufd_alloc_viommu(
	    fx_hiod(f), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, plain, NULL, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "nesting parent"));
	g_clear_error(&error);
	destroy_ok(f->be, plain);
	g_assert_null(hiod_host_iommu_device_iommufd_alloc_viommu(fx_hiod(f), 0xdead, parent, NULL, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "offers no vIOMMU of that type"));
	g_test_message("refused: %s", error->message);
	g_clear_error(&error);

	/* order A: vIOMMU, nested HWPT, vDEVICE; attach; undo in reverse */
	{
		g_autoptr(HiodIommufdViommu) v = alloc_viommu(f, parent);
		g_autoptr(HiodIommufdVdevice) vd = NULL, dup = NULL;
		g_assert_cmpuint(hiod_iommufd_viommu_get_id(v), !=, 0);
		g_assert_cmpuint(hiod_iommufd_viommu_get_parent_hwpt_id(v), ==, parent);
		g_assert_cmpuint(hiod_iommufd_viommu_get_dev_id(v), ==, f->agent->idev_id);
		g_assert_cmphex(hiod_iommufd_viommu_get_viommu_type(v), ==, HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST);
		g_assert_null(hiod_iommufd_viommu_get_data(v));
		assert_destroy_busy(f->be, parent); /* the vIOMMU holds it */
		nested = alloc_nested(f, v);
		/* no vDEVICE yet: the device cannot attach to the vIOMMU's HWPT */
		g_assert_false(hiod_host_iommu_device_iommufd_attach_hwpt(fx_hiod(f), nested, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
		g_clear_error(&error);
		g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(fx_hiod(f)), ==, f->agent->hwpt_id);
		vd = hiod_iommufd_viommu_alloc_vdevice(v, fx_hiod(f), 0x99, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_iommufd_vdevice_get_virt_id(vd), ==, 0x99);
		g_assert_cmpuint(hiod_iommufd_vdevice_get_dev_id(vd), ==, f->agent->idev_id);
		g_assert_true(hiod_iommufd_vdevice_get_viommu(vd) == v);
		/* one vDEVICE per device per vIOMMU */
		dup = hiod_iommufd_viommu_alloc_vdevice(v, fx_hiod(f), 0x98, &error);
		g_assert_null(dup);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
		g_clear_error(&error);
		g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(fx_hiod(f), nested, &error));
		g_assert_no_error(error);
		/* refused while in use */
		g_assert_false(hiod_iommufd_viommu_destroy(v, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
		g_clear_error(&error);
		g_assert_cmpuint(hiod_iommufd_viommu_get_id(v), !=, 0);
		assert_destroy_busy(f->be, nested);
		/* the nested HWPT's IOTLB works as on a parent HWPT */
		for (guint k = 0; k < 4; k++)
			check_iotlb(f, nested, k, HIOD_IOMMU_TEST_IOTLB_DEFAULT);
		g_assert_true(hiod_host_iommu_device_iommufd_detach_hwpt(fx_hiod(f), &error));
		g_assert_true(hiod_iommufd_vdevice_destroy(vd, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_iommufd_vdevice_get_id(vd), ==, 0);
		g_assert_true(hiod_iommufd_vdevice_destroy(vd, &error)); /* again: nothing to do */
		g_assert_false(hiod_iommufd_viommu_destroy(v, &error)); /* the nested HWPT */
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
		g_clear_error(&error);
		destroy_ok(f->be, nested);
		g_assert_true(hiod_iommufd_viommu_destroy(v, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_iommufd_viommu_get_id(v), ==, 0);
		/* a destroyed vIOMMU makes nothing */
		g_assert_false(hiod_iommufd_viommu_alloc_hwpt(v, fx_hiod(f), 0, 0, NULL, 0, &bad, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
		g_clear_error(&error);
	}

	/* order B: vIOMMU, vDEVICE first, then the nested HWPT; the last unrefs
	 * (vIOMMU dropped first: its children hold it) destroy what is left */
	{
		HiodIommufdViommu *v = alloc_viommu(f, parent);
		HiodIommufdVdevice *vd = hiod_iommufd_viommu_alloc_vdevice(v, fx_hiod(f), 0x88, &error);
		g_assert_no_error(error);
		nested = alloc_nested(f, v);
		g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(fx_hiod(f), nested, &error));
		/* the same virtual id for another device of the vIOMMU is refused */
		{
			g_autoptr(TestMockAgent) b = test_mock_agent_new(f->be, f->ioas, 0, &error);
			g_autoptr(HiodHostIommuDevice) bh = g_object_new(TEST_TYPE_MOCK_HIOD, NULL);
			g_autoptr(HiodIommufdVdevice) clash = NULL;
			g_assert_no_error(error);
			g_assert_true(hiod_host_iommu_device_realize(bh, HIOD_ASSIGNED_DEVICE(b), &error));
			clash = hiod_iommufd_viommu_alloc_vdevice(v, HIOD_HOST_IOMMU_DEVICE_IOMMUFD(bh), 0x88,
								  &error);
			g_assert_null(clash);
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
			g_clear_error(&error);
			/* a vDEVICE whose device leaves iommufd first goes with it (the
			 * kernel's tombstone): its destroy then has nothing to do */
			clash = hiod_iommufd_viommu_alloc_vdevice(v, HIOD_HOST_IOMMU_DEVICE_IOMMUFD(bh), 0x77,
								  &error);
			g_assert_no_error(error);
			g_clear_object(&bh);
			g_clear_object(&b); /* destroys the mock device */
			g_assert_true(hiod_iommufd_vdevice_destroy(clash, &error));
			g_assert_no_error(error);
		}
		/* the kernel lets the vDEVICE go while its device is on the nested HWPT */
		g_assert_true(hiod_iommufd_vdevice_destroy(vd, &error));
		g_assert_no_error(error);
		assert_destroy_busy(f->be, nested);
		g_assert_true(hiod_host_iommu_device_iommufd_detach_hwpt(fx_hiod(f), &error));
		destroy_ok(f->be, nested);
		g_object_unref(v);
		g_object_unref(vd); /* then the vIOMMU goes with its last child */
	}

	/* the vIOMMU with driver data: the mock answers in it */
	{
		struct hiod_iommu_viommu_selftest sd = {.in_data = 0xbeef};
		g_autoptr(GBytes) in = g_bytes_new(&sd, sizeof(sd));
		g_autoptr(HiodIommufdViommu) v = hiod_host_iommu_device_iommufd_alloc_viommu(
		    fx_hiod(f), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, parent, in, &error);
		const struct hiod_iommu_viommu_selftest *out;
		g_assert_no_error(error);
		g_assert_cmpuint(g_bytes_get_size(hiod_iommufd_viommu_get_data(v)), ==, sizeof(sd));
		out = g_bytes_get_data(hiod_iommufd_viommu_get_data(v), NULL);
		g_assert_cmphex(out->out_data, ==, 0xbeef);
		g_assert_cmpuint(out->out_mmap_length, >, 0);
		/* two vIOMMUs may share a parent */
		{
			g_autoptr(HiodIommufdViommu) v2 = alloc_viommu(f, parent);
			g_assert_cmpuint(hiod_iommufd_viommu_get_id(v2), !=, hiod_iommufd_viommu_get_id(v));
		}
	}
	destroy_ok(f->be, parent);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds);
	assert_ids_free(f->be, first);
}

/* Invalidation through the vIOMMU: the mock's device cache, checked entry by
 * entry; a refused entry stops the array and the count says where. */
static void
test_viommu_invalidate(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_viommu_invalidate_selftest inv[2] = {0};
	const guint32 type = HIOD_IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, len = sizeof(inv[0]);
	guint32 parent, nested, n, idev = f->agent->idev_id;

	if (!kernel_at_least(6, 13)) {
		g_test_skip("Linux 6.13 added vIOMMU objects");
		return;
	}
	parent = alloc_parent(f);
	{
		g_autoptr(HiodIommufdViommu) v = alloc_viommu(f, parent);
		g_autoptr(HiodIommufdVdevice) vd = hiod_iommufd_viommu_alloc_vdevice(v, fx_hiod(f), 0x99, &error);
		struct hiod_iommu_hwpt_invalidate_selftest hinv = {.flags = 0, .iotlb_id = 2};
		g_assert_no_error(error);
		check_dev_cache_all(f, idev, HIOD_IOMMU_TEST_DEV_CACHE_DEFAULT);

		/* no entries: asks whether the type is taken */
		n = 0;
		g_assert_true(hiod_iommufd_viommu_invalidate(v, type, len, &n, inv, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(n, ==, 0);
		n = 1;
		g_assert_false(hiod_iommufd_viommu_invalidate(v, 0xdadbeef, len, &n, inv, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_cmpuint(n, ==, 0);
		g_clear_error(&error);
		/* an unknown virtual id */
		inv[0].vdev_id = 0x9;
		n = 1;
		g_assert_false(hiod_iommufd_viommu_invalidate(v, type, len, &n, inv, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_cmpuint(n, ==, 0);
		g_clear_error(&error);

		/* the first entry handled, the second refused (bad flags) */
		inv[0] = (struct hiod_iommu_viommu_invalidate_selftest){.flags = 0, .vdev_id = 0x99, .cache_id = 0};
		inv[1] = (struct hiod_iommu_viommu_invalidate_selftest){.flags = 0xffffffff, .vdev_id = 0x99, .cache_id = 1};
		n = 2;
		g_assert_false(hiod_iommufd_viommu_invalidate(v, type, len, &n, inv, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_assert_cmpuint(n, ==, 1);
		g_assert_nonnull(strstr(error->message, "entry 1 of 2 refused, the 1 before it handled"));
		g_test_message("partial: %s", error->message);
		g_clear_error(&error);
		check_dev_cache(f, idev, 0, 0);
		for (guint k = 1; k < HIOD_MOCK_DEV_CACHE_NUM; k++)
			check_dev_cache(f, idev, k, HIOD_IOMMU_TEST_DEV_CACHE_DEFAULT);
		/* the first handled, the second names a cache that does not exist */
		inv[1] = (struct hiod_iommu_viommu_invalidate_selftest){.vdev_id = 0x99,
									.cache_id = HIOD_MOCK_DEV_CACHE_ID_MAX + 1};
		n = 2;
		g_assert_false(hiod_iommufd_viommu_invalidate(v, type, len, &n, inv, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_cmpuint(n, ==, 1);
		g_clear_error(&error);
		for (guint k = 1; k < HIOD_MOCK_DEV_CACHE_NUM; k++)
			check_dev_cache(f, idev, k, HIOD_IOMMU_TEST_DEV_CACHE_DEFAULT);
		/* resubmitting from the refused entry, fixed */
		inv[0] = (struct hiod_iommu_viommu_invalidate_selftest){.vdev_id = 0x99, .cache_id = 1};
		inv[1] = (struct hiod_iommu_viommu_invalidate_selftest){.vdev_id = 0x99, .cache_id = 2};
		n = 2;
		g_assert_true(hiod_iommufd_viommu_invalidate(v, type, len, &n, inv, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(n, ==, 2);
		check_dev_cache(f, idev, 1, 0);
		check_dev_cache(f, idev, 2, 0);
		check_dev_cache(f, idev, 3, HIOD_IOMMU_TEST_DEV_CACHE_DEFAULT);
		inv[0] = (struct hiod_iommu_viommu_invalidate_selftest){.flags = HIOD_IOMMU_TEST_INVALIDATE_FLAG_ALL,
									.vdev_id = 0x99};
		n = 1;
		g_assert_true(hiod_iommufd_viommu_invalidate(v, type, len, &n, inv, &error));
		check_dev_cache_all(f, idev, 0);

		/* the nested HWPT of the vIOMMU: its IOTLB through its own id */
		nested = alloc_nested(f, v);
		n = 1;
		g_assert_true(hiod_host_iommu_device_iommufd_invalidate_cache(
		    fx_hiod(f), nested, HIOD_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(hinv), &n, &hinv, &error));
		g_assert_no_error(error);
		check_iotlb(f, nested, 1, HIOD_IOMMU_TEST_IOTLB_DEFAULT);
		check_iotlb(f, nested, 2, 0);
		destroy_ok(f->be, nested);
	}
	destroy_ok(f->be, parent);
}

typedef struct {
	HiodIommufdVeventq *q;
	GPtrArray *events;
	guint want;
	GMainLoop *loop;
} EventWait;

static gboolean
on_vevents(gpointer user_data)
{
	EventWait *w = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) got = hiod_iommufd_veventq_read(w->q, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < got->len; i++) {
		g_autofree gchar *s = hiod_iommufd_vevent_to_string(g_ptr_array_index(got, i));
		g_test_message("event: %s", s);
		g_ptr_array_add(w->events, hiod_iommufd_vevent_copy(g_ptr_array_index(got, i)));
	}
	if (w->events->len >= w->want)
		g_main_loop_quit(w->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

/* runs the main loop until @want events came through the queue's GSource (or 5 s) */
static GPtrArray *
wait_events(HiodIommufdVeventq *q, guint want)
{
	EventWait w = {.q = q, .want = want};
	g_autoptr(GSource) src = hiod_iommufd_veventq_create_source(q);
	guint timeout;
	w.events = g_ptr_array_new_with_free_func((GDestroyNotify)hiod_iommufd_vevent_free);
	w.loop = g_main_loop_new(NULL, FALSE);
	g_source_set_callback(src, on_vevents, &w, NULL);
	g_source_attach(src, NULL);
	timeout = g_timeout_add_seconds(5, on_timeout, w.loop);
	g_main_loop_run(w.loop);
	g_source_remove(timeout);
	g_source_destroy(src);
	g_main_loop_unref(w.loop);
	return w.events;
}

static void
assert_selftest_event(HiodIommufdVevent *e, guint64 virt_id)
{
	guint64 got = 0;
	g_assert_false(hiod_iommufd_vevent_is_lost_events(e));
	g_assert_cmphex(hiod_iommufd_vevent_get_veventq_type(e), ==, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST);
	g_assert_true(hiod_iommufd_vevent_get_virt_id(e, &got));
	g_assert_cmphex(got, ==, virt_id);
}

/* The vEVENTQ: events the mock raises for a device read back through the
 * GSource, decoded, with their sequence numbers; an overflow shows. */
static void
test_veventq(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint32 parent, nested, idev = f->agent->idev_id, first;
	guint fds;

	if (!kernel_at_least(6, 15)) {
		g_test_skip("Linux 6.15 added vEVENTQs");
		return;
	}
	first = probe_id(f->be);
	fds = hiod_context_get_open_fd_count(f->vm.ctx);
	parent = alloc_parent(f);
	{
		g_autoptr(HiodIommufdViommu) v = alloc_viommu(f, parent);
		g_autoptr(HiodIommufdVeventq) q = NULL, dup = NULL;
		g_autoptr(HiodIommufdVdevice) vd = NULL;
		g_autoptr(GPtrArray) ev = NULL;
		guint32 seq;

		nested = alloc_nested(f, v);
		/* depth bounds */
		g_assert_null(hiod_iommufd_viommu_alloc_veventq(v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
		g_assert_null(hiod_iommufd_viommu_alloc_veventq(v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST,
								 (1u << 19) + 1, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
		/* a type hiod cannot decode is refused before the kernel */
		g_assert_null(hiod_iommufd_viommu_alloc_veventq(v, 0x1234, 2, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_clear_error(&error);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds);

		q = hiod_iommufd_viommu_alloc_veventq(v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST, 2, &error);
		g_assert_no_error(error);
		g_assert_cmpint(hiod_iommufd_veventq_get_fd(q), >=, 0);
		g_assert_cmpuint(hiod_iommufd_veventq_get_depth(q), ==, 2);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds + 1);
		/* one per type */
		dup = hiod_iommufd_viommu_alloc_veventq(v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST, 2, &error);
		g_assert_null(dup);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
		g_clear_error(&error);
		/* empty */
		ev = hiod_iommufd_veventq_read(q, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(ev->len, ==, 0);
		g_clear_pointer(&ev, g_ptr_array_unref);

		vd = hiod_iommufd_viommu_alloc_vdevice(v, fx_hiod(f), 0x99, &error);
		g_assert_no_error(error);
		/* the mock reports only for a device on a nested HWPT of the vIOMMU */
		g_assert_false(trigger_vevent(f->be, idev, &error));
		g_clear_error(&error);
		g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(fx_hiod(f), nested, &error));
		g_assert_no_error(error);
		g_assert_true(trigger_vevent(f->be, idev, &error));
		g_assert_no_error(error);
		ev = wait_events(q, 1);
		g_assert_cmpuint(ev->len, ==, 1);
		assert_selftest_event(g_ptr_array_index(ev, 0), 0x99);
		g_assert_cmpuint(hiod_iommufd_vevent_get_lost_before(g_ptr_array_index(ev, 0)), ==, 0);
		seq = hiod_iommufd_vevent_get_sequence(g_ptr_array_index(ev, 0));
		g_clear_pointer(&ev, g_ptr_array_unref);

		/* two more, in order */
		g_assert_true(trigger_vevent(f->be, idev, &error));
		g_assert_true(trigger_vevent(f->be, idev, &error));
		ev = wait_events(q, 2);
		g_assert_cmpuint(ev->len, ==, 2);
		for (guint i = 0; i < 2; i++) {
			assert_selftest_event(g_ptr_array_index(ev, i), 0x99);
			g_assert_cmpuint(hiod_iommufd_vevent_get_sequence(g_ptr_array_index(ev, i)), ==, seq + 1 + i);
			g_assert_cmpuint(hiod_iommufd_vevent_get_lost_before(g_ptr_array_index(ev, i)), ==, 0);
		}
		seq += 2;
		g_clear_pointer(&ev, g_ptr_array_unref);

		/* three into a queue of two: the third is lost, and the queue says so */
		for (guint i = 0; i < 3; i++)
			g_assert_true(trigger_vevent(f->be, idev, &error));
		g_assert_no_error(error);
		ev = wait_events(q, 3);
		g_assert_cmpuint(ev->len, ==, 3);
		assert_selftest_event(g_ptr_array_index(ev, 0), 0x99);
		assert_selftest_event(g_ptr_array_index(ev, 1), 0x99);
		g_assert_true(hiod_iommufd_vevent_is_lost_events(g_ptr_array_index(ev, 2)));
		g_assert_null(hiod_iommufd_vevent_get_data(g_ptr_array_index(ev, 2)));
		g_assert_cmpuint(hiod_iommufd_vevent_get_sequence(g_ptr_array_index(ev, 0)), ==, seq + 1);
		seq = hiod_iommufd_vevent_get_sequence(g_ptr_array_index(ev, 2));
		g_clear_pointer(&ev, g_ptr_array_unref);
		/* and the queue works again */
		g_assert_true(trigger_vevent(f->be, idev, &error));
		ev = wait_events(q, 1);
		g_assert_cmpuint(ev->len, ==, 1);
		assert_selftest_event(g_ptr_array_index(ev, 0), 0x99);
		g_test_message("after the overflow: #%u (marker #%u)",
			       hiod_iommufd_vevent_get_sequence(g_ptr_array_index(ev, 0)), seq);
		g_clear_pointer(&ev, g_ptr_array_unref);

		/* the vIOMMU is busy while its queue exists */
		g_assert_true(hiod_host_iommu_device_iommufd_detach_hwpt(fx_hiod(f), &error));
		destroy_ok(f->be, nested);
		g_assert_true(hiod_iommufd_vdevice_destroy(vd, &error));
		g_assert_false(hiod_iommufd_viommu_destroy(v, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
		g_clear_error(&error);
		g_assert_true(hiod_iommufd_veventq_destroy(q, &error));
		g_assert_no_error(error);
		g_assert_cmpint(hiod_iommufd_veventq_get_fd(q), ==, -1);
		g_assert_null(hiod_iommufd_veventq_read(q, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
		g_clear_error(&error);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds);
		/* a new queue of the type may be made again, and is dropped by its last unref */
		g_clear_object(&q);
		q = hiod_iommufd_viommu_alloc_veventq(v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST, 1 << 19, &error);
		g_assert_no_error(error);
		g_assert_true(hiod_iommufd_viommu_destroy(v, &error) == FALSE);
		g_clear_error(&error);
	}
	destroy_ok(f->be, parent);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds);
	assert_ids_free(f->be, first);
}

/* The HW queue: the mock's queues pin their memory and are made from index 0
 * up and destroyed from the last down. */
static void
test_hw_queue(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gsize pg = sysconf(_SC_PAGESIZE);
	const guint64 iova = HIOD_MOCK_APERTURE_START;
	guint8 *buf = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	guint32 parent, first;
	const guint32 t = HIOD_IOMMUFD_HW_QUEUE_TYPE_SELFTEST;

	if (!kernel_at_least(6, 17)) {
		g_test_skip("Linux 6.17 added HW queues");
		munmap(buf, 2 * pg);
		return;
	}
	g_assert_true(buf != MAP_FAILED);
	first = probe_id(f->be);
	parent = alloc_parent(f);
	{
		g_autoptr(HiodIommufdViommu) v = alloc_viommu(f, parent);
		g_autoptr(HiodIommufdHwQueue) q0 = NULL, q1 = NULL, bad = NULL;

		bad = hiod_iommufd_viommu_alloc_hw_queue(v, 0, 0, iova, pg, &error);
		g_assert_null(bad);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_clear_error(&error);
		bad = hiod_iommufd_viommu_alloc_hw_queue(v, t, 0, iova, 0, &error);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
		/* nothing mapped there yet */
		bad = hiod_iommufd_viommu_alloc_hw_queue(v, t, 0, iova, pg, &error);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
		g_assert_nonnull(strstr(error->message, "not mapped"));
		g_test_message("refused: %s", error->message);
		g_clear_error(&error);
		g_assert_true(hiod_iommufd_backend_map(f->be, f->ioas, iova, pg, buf, FALSE, &error));
		g_assert_true(hiod_iommufd_backend_map(f->be, f->ioas, iova + pg, pg, buf + pg, FALSE, &error));
		g_assert_no_error(error);
		/* index 1 before 0 */
		bad = hiod_iommufd_viommu_alloc_hw_queue(v, t, 1, iova, pg, &error);
		g_assert_null(bad);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
		g_clear_error(&error);
		q0 = hiod_iommufd_viommu_alloc_hw_queue(v, t, 0, iova, pg, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_iommufd_hw_queue_get_index(q0), ==, 0);
		g_assert_cmphex(hiod_iommufd_hw_queue_get_hw_queue_type(q0), ==, t);
		bad = hiod_iommufd_viommu_alloc_hw_queue(v, t, 0, iova, pg, &error);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
		g_clear_error(&error);
		/* its memory is pinned; the page after it is not */
		g_assert_false(hiod_iommufd_backend_unmap(f->be, f->ioas, iova, pg, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
		g_clear_error(&error);
		g_assert_true(hiod_iommufd_backend_unmap(f->be, f->ioas, iova + pg, pg, &error));
		g_assert_no_error(error);
		q1 = hiod_iommufd_viommu_alloc_hw_queue(v, t, 1, iova + pg / 2, pg / 2, &error);
		g_assert_no_error(error);
		/* the vIOMMU is busy; queue 0 is busy while 1 depends on it */
		g_assert_false(hiod_iommufd_viommu_destroy(v, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
		g_clear_error(&error);
		g_assert_false(hiod_iommufd_hw_queue_destroy(q0, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
		g_clear_error(&error);
		g_assert_true(hiod_iommufd_hw_queue_destroy(q1, &error));
		g_assert_true(hiod_iommufd_hw_queue_destroy(q0, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_iommufd_hw_queue_get_id(q0), ==, 0);
		g_assert_true(hiod_iommufd_backend_unmap(f->be, f->ioas, iova, pg, &error));
		g_assert_no_error(error);
		/* and the last unrefs, in the order the kernel wants (1 before 0). On a
		 * new vIOMMU: 7.3's mock never sets its queue's index, so destroying
		 * queue 1 clears slot 0 and slot 1 stays taken (EEXIST) for the
		 * vIOMMU's life */
		g_assert_true(hiod_iommufd_backend_map(f->be, f->ioas, iova, pg, buf, FALSE, &error));
		g_assert_no_error(error);
		g_clear_object(&q0);
		g_clear_object(&q1);
		{
			g_autoptr(HiodIommufdViommu) v2 = alloc_viommu(f, parent);
			q0 = hiod_iommufd_viommu_alloc_hw_queue(v2, t, 0, iova, pg, &error);
			g_assert_no_error(error);
			/* two queues may share memory */
			q1 = hiod_iommufd_viommu_alloc_hw_queue(v2, t, 1, iova, pg, &error);
			g_assert_no_error(error);
		}
		g_clear_object(&q1);
		g_clear_object(&q0); /* the queues held v2: it goes now */
		g_assert_true(hiod_iommufd_backend_unmap(f->be, f->ioas, iova, pg, &error));
		g_assert_no_error(error);
	}
	destroy_ok(f->be, parent);
	assert_ids_free(f->be, first);
	munmap(buf, 2 * pg);
}

/* PASIDs of a PASID-capable mock device: attach, replace, detach, checked
 * through the mock's PASID check. */
static void
test_pasid(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(TestMockAgent) pd = NULL;
	g_autoptr(HiodHostIommuDevice) ph = NULL;
	HiodHostIommuDeviceIommufd *p;
	guint32 h1 = 0, h2 = 0, plain = 0;

	if (!kernel_at_least(6, 15)) {
		g_test_skip("Linux 6.15 added PASID attach (see /hiod/vm/iommufd-mock/viommu/refused)");
		return;
	}
	pd = test_mock_agent_new(f->be, f->ioas, HIOD_MOCK_FLAGS_DEVICE_PASID, &error);
	g_assert_no_error(error);
	ph = g_object_new(TEST_TYPE_MOCK_HIOD, NULL);
	g_assert_true(hiod_host_iommu_device_realize(ph, HIOD_ASSIGNED_DEVICE(pd), &error));
	g_assert_no_error(error);
	p = HIOD_HOST_IOMMU_DEVICE_IOMMUFD(ph);
	g_assert_cmpuint(hiod_host_iommu_caps_get_max_pasid_log2(hiod_host_iommu_device_get_caps(ph)), ==,
			 HIOD_MOCK_PASID_WIDTH);
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(p, f->ioas, HIOD_HWPT_ALLOC_FLAGS_PASID, 0,
								NULL, 0, &h1, &error));
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(p, f->ioas, HIOD_HWPT_ALLOC_FLAGS_PASID, 0,
								NULL, 0, &h2, &error));
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(p, f->ioas, 0, 0, NULL, 0, &plain, &error));
	g_assert_no_error(error);

	/* bad input, before the kernel */
	g_assert_false(hiod_host_iommu_device_iommufd_attach_pasid(p, 0, h1, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(hiod_host_iommu_device_iommufd_replace_pasid(p, 100, h2, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	g_assert_false(hiod_host_iommu_device_iommufd_detach_pasid(p, 100, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	/* a HWPT not made for PASIDs is refused by the kernel */
	g_assert_false(hiod_host_iommu_device_iommufd_attach_pasid(p, 100, plain, &error));
	g_assert_nonnull(error);
	g_test_message("refused: %s", error->message);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(p, 100), ==, 0);
	check_pasid_hwpt(f, pd, 100, 0);
	/* so is any PASID while the device itself is on a HWPT not made for PASIDs
	 * (its automatic domain) */
	g_assert_false(hiod_host_iommu_device_iommufd_attach_pasid(p, 100, h1, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(p, h1, &error));
	g_assert_no_error(error);

	g_assert_true(hiod_host_iommu_device_iommufd_attach_pasid(p, 100, h1, &error));
	g_assert_no_error(error);
	check_pasid_hwpt(f, pd, 100, h1);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(p, 100), ==, h1);
	g_assert_false(hiod_host_iommu_device_iommufd_attach_pasid(p, 100, h2, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	assert_destroy_busy(f->be, h1);
	/* a second PASID on the same HWPT */
	g_assert_true(hiod_host_iommu_device_iommufd_attach_pasid(p, 200, h1, &error));
	check_pasid_hwpt(f, pd, 200, h1);
	/* replace: to h2 in one step; a refused replace leaves it where it was */
	g_assert_true(hiod_host_iommu_device_iommufd_replace_pasid(p, 100, h2, &error));
	g_assert_no_error(error);
	check_pasid_hwpt(f, pd, 100, h2);
	g_assert_false(hiod_host_iommu_device_iommufd_replace_pasid(p, 100, plain, &error));
	g_assert_nonnull(error);
	g_clear_error(&error);
	check_pasid_hwpt(f, pd, 100, h2);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(p, 100), ==, h2);
	/* the device itself moves among PASID HWPTs, not onto another while PASIDs are attached */
	g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(p, h2, &error));
	g_assert_no_error(error);
	check_pasid_hwpt(f, pd, 100, h2);
	g_assert_false(hiod_host_iommu_device_iommufd_attach_hwpt(p, plain, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(p), ==, h2);

	g_assert_true(hiod_host_iommu_device_iommufd_detach_pasid(p, 100, &error));
	g_assert_true(hiod_host_iommu_device_iommufd_detach_pasid(p, 200, &error));
	g_assert_no_error(error);
	check_pasid_hwpt(f, pd, 100, 0);
	check_pasid_hwpt(f, pd, 200, 0);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(p, 100), ==, 0);
	g_assert_true(hiod_host_iommu_device_iommufd_detach_hwpt(p, &error)); /* back on its IOAS */
	g_assert_no_error(error);
	destroy_ok(f->be, h1);
	destroy_ok(f->be, h2);
	destroy_ok(f->be, plain);
	/* a device without PASIDs: the kernel refuses */
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(fx_hiod(f), f->ioas, HIOD_HWPT_ALLOC_FLAGS_PASID,
								0, NULL, 0, &h1, &error));
	g_assert_no_error(error);
	g_assert_false(hiod_host_iommu_device_iommufd_attach_pasid(fx_hiod(f), 100, h1, &error));
	g_assert_nonnull(error);
	g_test_message("no PASIDs: %s", error->message);
	g_clear_error(&error);
	destroy_ok(f->be, h1);
}

/* everything of one vIOMMU, for the fault walks ------------------------------- */

typedef struct {
	guint32 parent, nested;
	HiodIommufdViommu *v;
	HiodIommufdVdevice *vd;
	HiodIommufdVeventq *q;
	HiodIommufdHwQueue *hq;
	gboolean attached, mapped;
	guint8 *buf;
	gsize pg;
} Stack;

/* Makes and uses one of each object, stopping at the first error. */
static gboolean
stack_build(Fixture *f, Stack *s, GError **error)
{
	struct hiod_iommu_hwpt_selftest s1 = {.iotlb = HIOD_IOMMU_TEST_IOTLB_DEFAULT};
	struct hiod_iommu_viommu_invalidate_selftest inv = {.flags = HIOD_IOMMU_TEST_INVALIDATE_FLAG_ALL,
							    .vdev_id = 0x99};
	g_autoptr(GPtrArray) ev = NULL;
	guint32 n = 1;

	if (!hiod_host_iommu_device_iommufd_alloc_hwpt(fx_hiod(f), f->ioas, HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT,
						       0, NULL, 0, &s->parent, error))
		return FALSE;
	s->v = hiod_host_iommu_device_iommufd_alloc_viommu(fx_hiod(f), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST,
							   s->parent, NULL, error);
	if (s->v == NULL)
		return FALSE;
	s->vd = hiod_iommufd_viommu_alloc_vdevice(s->v, fx_hiod(f), 0x99, error);
	if (s->vd == NULL)
		return FALSE;
	if (!hiod_iommufd_viommu_alloc_hwpt(s->v, fx_hiod(f), 0, HIOD_IOMMU_HWPT_DATA_SELFTEST, &s1,
					    sizeof(s1), &s->nested, error))
		return FALSE;
	s->q = hiod_iommufd_viommu_alloc_veventq(s->v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4, error);
	if (s->q == NULL)
		return FALSE;
	if (!hiod_host_iommu_device_iommufd_attach_hwpt(fx_hiod(f), s->nested, error))
		return FALSE;
	s->attached = TRUE;
	if (!hiod_iommufd_viommu_invalidate(s->v, HIOD_IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, sizeof(inv),
					    &n, &inv, error))
		return FALSE;
	if (!trigger_vevent(f->be, f->agent->idev_id, error))
		return FALSE;
	ev = hiod_iommufd_veventq_read(s->q, error);
	if (ev == NULL)
		return FALSE;
	g_assert_cmpuint(ev->len, ==, 1);
	if (!hiod_iommufd_backend_map(f->be, f->ioas, HIOD_MOCK_APERTURE_START, s->pg, s->buf, FALSE, error))
		return FALSE;
	s->mapped = TRUE;
	if (kernel_at_least(6, 17)) {
		s->hq = hiod_iommufd_viommu_alloc_hw_queue(s->v, HIOD_IOMMUFD_HW_QUEUE_TYPE_SELFTEST, 0,
							   HIOD_MOCK_APERTURE_START, s->pg, error);
		if (s->hq == NULL)
			return FALSE;
	}
	return TRUE;
}

static void
stack_teardown(Fixture *f, Stack *s)
{
	g_autoptr(GError) error = NULL;
	g_clear_object(&s->hq);
	if (s->mapped)
		g_assert_true(hiod_iommufd_backend_unmap(f->be, f->ioas, HIOD_MOCK_APERTURE_START, s->pg, &error));
	g_assert_no_error(error);
	if (s->attached)
		g_assert_true(hiod_host_iommu_device_iommufd_detach_hwpt(fx_hiod(f), &error));
	g_assert_no_error(error);
	g_clear_object(&s->q);
	if (s->nested != 0)
		destroy_ok(f->be, s->nested);
	g_clear_object(&s->vd);
	g_clear_object(&s->v);
	if (s->parent != 0)
		destroy_ok(f->be, s->parent);
	s->parent = s->nested = 0;
	s->attached = s->mapped = FALSE;
}

/* hiod's chokepoint fails its Nth call, N = 1, 2, ...: each failure is an
 * error and, once the caller drops what it got, leaves no fd and no object. */
static void
test_viommu_faults(Fixture *f, gconstpointer data)
{
	Stack s = {.pg = sysconf(_SC_PAGESIZE)};
	HiodTestFaultWalk w;
	guint32 first;
	guint fds;

	if (!kernel_at_least(6, 15)) {
		g_test_skip("Linux 6.15 has every object of the walk");
		return;
	}
	s.buf = mmap(NULL, s.pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	g_assert_true(s.buf != MAP_FAILED);
	first = probe_id(f->be);
	fds = hiod_context_get_open_fd_count(f->vm.ctx);
	for (hiod_test_fault_walk_init(&w, f->vm.ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		gboolean ok = stack_build(f, &s, &error);
		gboolean done = hiod_test_fault_walk_done(&w, ok);
		if (!ok) {
			g_assert_nonnull(error);
			g_test_message("fault %u: %s", w.n, error->message);
		}
		stack_teardown(f, &s);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds);
		assert_ids_free(f->be, first);
		if (done)
			break;
	}
	g_assert_cmpuint(w.n, <=, 64);
	g_assert_cmpuint(w.faults, >=, 10);
	g_test_message("hiod faults: %u calls failed in turn, then everything was made", w.faults);
	munmap(s.buf, s.pg);
}

/* The kernel's own fault injection (debugfs fail_iommufd, as in
 * test-vm-iommufd.c): the Nth iommufd_should_fail() of this task fails. */
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

static gboolean
fail_disarm(void)
{
	g_autofree gchar *path = g_build_filename(FAIL_DIR, "times", NULL);
	g_autofree gchar *v = NULL;
	gboolean hit;
	g_assert_true(g_file_get_contents(path, &v, NULL, NULL));
	hit = g_ascii_strtoll(v, NULL, 10) == 0;
	fail_knob("times", "0");
	return hit;
}

static void
test_viommu_kernel_faults(Fixture *f, gconstpointer data)
{
	Stack s = {.pg = sysconf(_SC_PAGESIZE)};
	guint32 first;
	guint fds, n, hits = 0;

	if (!kernel_at_least(6, 15)) {
		g_test_skip("Linux 6.15 has every object of the walk");
		return;
	}
	g_assert_true(g_file_test(FAIL_DIR, G_FILE_TEST_IS_DIR));
	s.buf = mmap(NULL, s.pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	g_assert_true(s.buf != MAP_FAILED);
	write_knob("/proc/self/make-it-fail", "1");
	fail_knob("times", "0");
	fail_knob("probability", "100");
	fail_knob("interval", "1");
	fail_knob("verbose", "0");
	fail_knob("task-filter", "Y");
	first = probe_id(f->be);
	fds = hiod_context_get_open_fd_count(f->vm.ctx);
	for (n = 1; n <= 200; n++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *space = g_strdup_printf("%u", n);
		gboolean ok, hit;
		fail_knob("space", space);
		fail_knob("times", "1");
		ok = stack_build(f, &s, &error);
		hit = fail_disarm();
		if (!ok) {
			g_assert_nonnull(error);
			g_test_message("kernel fault %u: %s", n, error->message);
		}
		stack_teardown(f, &s);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds);
		assert_ids_free(f->be, first);
		if (ok && !hit)
			break;
		hits++;
	}
	fail_knob("task-filter", "N");
	fail_knob("probability", "0");
	write_knob("/proc/self/make-it-fail", "0");
	g_assert_cmpuint(n, <=, 200);
	g_assert_cmpuint(hits, >, 0);
	g_test_message("kernel faults: %u fault points, then everything was made", hits);
	munmap(s.buf, s.pg);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add("/hiod/vm/iommufd-mock/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("realize", test_realize);
	ADD("nesting", test_nesting);
	ADD("dirty", test_dirty);
	ADD("no-dirty-device", test_no_dirty_device);
	ADD("viommu/features", test_viommu_features);
	ADD("viommu/refused", test_viommu_refused);
	ADD("viommu/objects", test_viommu_objects);
	ADD("viommu/invalidate", test_viommu_invalidate);
	ADD("viommu/veventq", test_veventq);
	ADD("viommu/hw-queue", test_hw_queue);
	ADD("viommu/pasid", test_pasid);
	ADD("viommu/faults", test_viommu_faults);
	ADD("viommu/kernel-faults", test_viommu_kernel_faults);
	return g_test_run();
}

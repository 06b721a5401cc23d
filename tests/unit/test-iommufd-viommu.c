/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vIOMMU objects (HiodIommufdViommu and its children) against a small
 * fake iommufd behind the chokepoint: the refusals of kernels without them
 * (each naming the kernel that added it), the partial invalidation count,
 * vEVENTQ decoding (sequence gaps, the lost-events marker, a short reply) and
 * its GSource, and a fault at every call leaving nothing behind. The real
 * kernel's behaviour is proven by tests/vm/test-vm-iommufd-mock.c on the
 * selftest mock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hiod-backend-private.h"
#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

/* the fake iommufd: the base kernel's, with the vIOMMU objects -------------- */

typedef struct {
	HiodTestKernel *k;
	gint iommufd;	  /* the base's iommufd the backend is made from */
	guint kernel; /* 612, 613, 615, 617 */
	GHashTable *objs; /* id -> parent id (0: none) */
	guint32 next_id;
	guint inv_fail_at; /* HWPT_INVALIDATE: 0 all handled, k: entry k refused */
	gint pipe[2];	   /* the vEVENTQ fd is pipe[0] */
	gboolean pipe_open;
} Fake;

static int
fail(int e)
{
	errno = e;
	return -1;
}

static gboolean
fake_busy(Fake *f, guint32 id)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, f->objs);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (GPOINTER_TO_UINT(v) == id)
			return TRUE;
	return FALSE;
}

static guint32
fake_new_obj(Fake *f, guint32 parent)
{
	guint32 id = f->next_id++;
	g_hash_table_insert(f->objs, GUINT_TO_POINTER(id), GUINT_TO_POINTER(parent));
	return id;
}

static int
fake_reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	Fake *f = data;
	if (kind != HIOD_TEST_FD_IOMMUFD)
		return fail(ENOTTY);
	switch (request) {
	case HIOD_IOMMU_DESTROY: {
		struct hiod_iommu_destroy *d = arg;
		if (!g_hash_table_contains(f->objs, GUINT_TO_POINTER(d->id)))
			return fail(ENOENT);
		if (fake_busy(f, d->id))
			return fail(EBUSY);
		g_hash_table_remove(f->objs, GUINT_TO_POINTER(d->id));
		return 0;
	}
	case HIOD_IOMMU_HWPT_ALLOC: {
		struct hiod_iommu_hwpt_alloc *a = arg;
		a->out_hwpt_id = fake_new_obj(f, a->pt_id);
		return 0;
	}
	case HIOD_IOMMU_VIOMMU_ALLOC: {
		struct hiod_iommu_viommu_alloc *a = arg;
		if (f->kernel < 613)
			return fail(ENOTTY);
		if (a->size > HIOD_IOMMU_VIOMMU_ALLOC_SIZE_6_13 && f->kernel < 617 && a->data_len != 0)
			return fail(E2BIG);
		if (a->type == 0)
			return fail(EOPNOTSUPP);
		if (a->dev_id == 0)
			return fail(ENOENT);
		if (a->hwpt_id == 0)
			return fail(ENOENT);
		if (a->data_len >= 8) { /* the selftest's echo */
			guint32 *d = (guint32 *)(guintptr)a->data_uptr;
			d[1] = d[0];
		}
		a->out_viommu_id = fake_new_obj(f, a->hwpt_id);
		return 0;
	}
	case HIOD_IOMMU_VDEVICE_ALLOC: {
		struct hiod_iommu_vdevice_alloc *a = arg;
		if (f->kernel < 613)
			return fail(ENOTTY);
		if (a->viommu_id == 0)
			return fail(ENOENT);
		a->out_vdevice_id = fake_new_obj(f, a->viommu_id);
		return 0;
	}
	case HIOD_IOMMU_VEVENTQ_ALLOC: {
		struct hiod_iommu_veventq_alloc *a = arg;
		if (f->kernel < 615)
			return fail(ENOTTY);
		if (a->type == 0)
			return fail(EOPNOTSUPP);
		if (a->veventq_depth == 0)
			return fail(EINVAL);
		g_assert_false(f->pipe_open);
		g_assert_cmpint(pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC), ==, 0);
		f->pipe_open = TRUE;
		hiod_test_kernel_adopt_fd(f->k, f->pipe[0], HIOD_TEST_FD_OTHER);
		a->out_veventq_id = fake_new_obj(f, a->viommu_id);
		a->out_veventq_fd = f->pipe[0];
		return 0;
	}
	case HIOD_IOMMU_HW_QUEUE_ALLOC: {
		struct hiod_iommu_hw_queue_alloc *a = arg;
		if (f->kernel < 617)
			return fail(ENOTTY);
		if (a->type == 0)
			return fail(EOPNOTSUPP);
		if (a->viommu_id == 0)
			return fail(ENOENT);
		a->out_hw_queue_id = fake_new_obj(f, a->viommu_id);
		return 0;
	}
	case HIOD_IOMMU_HWPT_INVALIDATE: {
		struct hiod_iommu_hwpt_invalidate *a = arg;
		if (f->inv_fail_at != 0 && f->inv_fail_at <= a->entry_num) {
			a->entry_num = f->inv_fail_at - 1;
			return fail(EINVAL);
		}
		return 0;
	}
	}
	return fail(ENOTTY);
}

/* the vEVENTQ: the pipe's read end, read for real */
static gssize
fake_read(gpointer data, HiodTestFd *fd, gpointer buf, gsize len)
{
	ssize_t n = read(fd->fd, buf, len);
	if (n < 0 && errno == EAGAIN)
		return 0; /* an empty vEVENTQ reads 0 */
	return n;
}

/* the base closes the read end */
static void
fake_close(gpointer data, HiodTestFd *fd)
{
	Fake *f = data;
	if (f->pipe_open && fd->fd == f->pipe[0]) {
		close(f->pipe[1]);
		f->pipe_open = FALSE;
	}
}

/* a host IOMMU device of the fake: devid 1 on HWPT 2 -------------------------- */

#define TEST_TYPE_FAKE_HIOD (test_fake_hiod_get_type())
G_DECLARE_FINAL_TYPE(TestFakeHiod, test_fake_hiod, TEST, FAKE_HIOD, HiodHostIommuDeviceIommufd)
struct _TestFakeHiod {
	HiodHostIommuDeviceIommufd parent_instance;
	HiodIommufdBackend *be;
};
G_DEFINE_TYPE(TestFakeHiod, test_fake_hiod, HIOD_TYPE_HOST_IOMMU_DEVICE_IOMMUFD)

static gboolean
test_fake_hiod_realize(HiodHostIommuDevice *device, HiodAssignedDevice *agent, GError **error)
{
	g_autoptr(HiodHostIommuCaps) caps =
	    hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_SELFTEST, 0xfeedbeef, 31, 0, 20, NULL);
	hiod_host_iommu_device_set_caps(device, caps);
	hiod_host_iommu_device_iommufd_set_ids(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(device),
					       TEST_FAKE_HIOD(device)->be, 1, 2);
	return TRUE;
}

static gboolean
test_fake_hiod_attach(HiodHostIommuDeviceIommufd *d, guint32 hwpt, GError **error)
{
	return TRUE;
}

static gboolean
test_fake_hiod_detach(HiodHostIommuDeviceIommufd *d, GError **error)
{
	return TRUE;
}

static void
test_fake_hiod_init(TestFakeHiod *self)
{
}

static void
test_fake_hiod_class_init(TestFakeHiodClass *klass)
{
	HIOD_HOST_IOMMU_DEVICE_CLASS(klass)->realize = test_fake_hiod_realize;
	HIOD_HOST_IOMMU_DEVICE_IOMMUFD_CLASS(klass)->attach_hwpt = test_fake_hiod_attach;
	HIOD_HOST_IOMMU_DEVICE_IOMMUFD_CLASS(klass)->detach_hwpt = test_fake_hiod_detach;
}

/* an agent: anything with a name */
#define TEST_TYPE_AGENT (test_agent_get_type())
G_DECLARE_FINAL_TYPE(TestAgent, test_agent, TEST, AGENT, GObject)
struct _TestAgent {
	GObject parent_instance;
};
static void test_agent_iface_init(HiodAssignedDeviceInterface *iface);
G_DEFINE_TYPE_WITH_CODE(TestAgent, test_agent, G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(HIOD_TYPE_ASSIGNED_DEVICE, test_agent_iface_init))
static const gchar *
test_agent_get_name(HiodAssignedDevice *self)
{
	return "fake0";
}
static void
test_agent_iface_init(HiodAssignedDeviceInterface *iface)
{
	iface->get_name = test_agent_get_name;
}
static void
test_agent_init(TestAgent *self)
{
}
static void
test_agent_class_init(TestAgentClass *klass)
{
}

typedef struct {
	HiodContext *ctx;
	Fake fake;
	HiodIommufdBackend *be;
	HiodHostIommuDevice *hiod;
	TestAgent *agent;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fx->ctx = hiod_context_new();
	fx->fake.kernel = GPOINTER_TO_UINT(data);
	fx->fake.objs = g_hash_table_new(NULL, NULL);
	fx->fake.next_id = 3; /* 1 the device, 2 its HWPT */
	fx->fake.k = hiod_test_kernel_new(fx->ctx);
	fx->fake.k->reply = fake_reply;
	fx->fake.k->read_hook = fake_read;
	fx->fake.k->close_hook = fake_close;
	fx->fake.k->reply_data = &fx->fake;
	fx->fake.iommufd = hiod_test_kernel_add_fd(fx->fake.k, HIOD_TEST_FD_IOMMUFD)->fd;
	fx->be = hiod_iommufd_backend_new_from_fd(fx->ctx, fx->fake.iommufd, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_iommufd_backend_connect(fx->be, &error));
	fx->agent = g_object_new(TEST_TYPE_AGENT, NULL);
	fx->hiod = g_object_new(TEST_TYPE_FAKE_HIOD, NULL);
	TEST_FAKE_HIOD(fx->hiod)->be = fx->be;
	g_assert_true(hiod_host_iommu_device_realize(fx->hiod, HIOD_ASSIGNED_DEVICE(fx->agent), &error));
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->hiod);
	g_clear_object(&fx->agent);
	g_assert_cmpuint(g_hash_table_size(fx->fake.objs), ==, 0);
	hiod_iommufd_backend_disconnect(fx->be);
	g_clear_object(&fx->be);
	g_assert_false(fx->fake.pipe_open);
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
	/* only the iommufd the backend was given (not its to close) */
	g_assert_cmpuint(fx->fake.k->open_fds, ==, 1);
	g_clear_object(&fx->ctx);
	hiod_test_kernel_free(fx->fake.k);
	g_hash_table_unref(fx->fake.objs);
}

static HiodHostIommuDeviceIommufd *
fx_dev(Fixture *fx)
{
	return HIOD_HOST_IOMMU_DEVICE_IOMMUFD(fx->hiod);
}

static guint32
parent_new(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	guint32 id = 0;
	g_assert_true(hiod_iommufd_backend_alloc_hwpt(fx->be, 1, 2, HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT, 0,
						      NULL, 0, &id, &error));
	g_assert_no_error(error);
	return id;
}

static void
destroy(Fixture *fx, guint32 id)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(hiod_iommufd_backend_destroy(fx->be, id, &error));
	g_assert_no_error(error);
}

/* tests ---------------------------------------------------------------------- */

/* 6.12: no vIOMMU; the refusal names 6.13 and nothing is made */
static void
test_refused_6_12(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodIommufdViommu) v = NULL;
	guint32 parent = parent_new(fx);

	g_assert_cmphex(hiod_iommufd_backend_probe_features(fx->be, &error), ==, HIOD_IOMMUFD_FEATURE_NONE);
	g_assert_no_error(error);
	v = hiod_host_iommu_device_iommufd_alloc_viommu(fx_dev(fx), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST,
							parent, NULL, &error);
	g_assert_null(v);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "IOMMU_VIOMMU_ALLOC: not supported by this kernel (Linux 6.13 added it)"));
	g_test_message("%s", error->message);
	g_assert_cmpuint(hiod_iommufd_backend_get_users(fx->be), ==, 1);
	destroy(fx, parent);
}

/* 6.13: vIOMMU and vDEVICE, no vEVENTQ (6.15), no HW queue nor vIOMMU data (6.17) */
static void
test_refused_6_13(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint32 parent = parent_new(fx);
	guint32 word[4] = {0xbeef};
	g_autoptr(GBytes) bytes = g_bytes_new(word, sizeof(word));

	g_assert_cmphex(hiod_iommufd_backend_probe_features(fx->be, &error), ==,
			HIOD_IOMMUFD_FEATURE_VIOMMU | HIOD_IOMMUFD_FEATURE_VDEVICE);
	/* driver data: the 6.13 struct ends before it */
	g_assert_null(hiod_host_iommu_device_iommufd_alloc_viommu(
	    fx_dev(fx), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, parent, bytes, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "newer than this kernel"));
	g_clear_error(&error);
	{
		g_autoptr(HiodIommufdViommu) v = hiod_host_iommu_device_iommufd_alloc_viommu(
		    fx_dev(fx), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, parent, NULL, &error);
		g_autoptr(HiodIommufdVdevice) vd = NULL;
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_iommufd_backend_get_users(fx->be), ==, 2);
		vd = hiod_iommufd_viommu_alloc_vdevice(v, fx_dev(fx), 0x99, &error);
		g_assert_no_error(error);
		g_assert_null(hiod_iommufd_viommu_alloc_veventq(v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_assert_nonnull(strstr(error->message, "Linux 6.15 added it"));
		g_clear_error(&error);
		g_assert_null(hiod_iommufd_viommu_alloc_hw_queue(v, HIOD_IOMMUFD_HW_QUEUE_TYPE_SELFTEST, 0,
								  0x1000000, 4096, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_assert_nonnull(strstr(error->message, "Linux 6.17 added it"));
		g_assert_null(strstr(error->message, "offers no HW queue"));
		g_clear_error(&error);
		/* the refused ones left nothing: the vIOMMU and vDEVICE are all there is */
		g_assert_cmpuint(g_hash_table_size(fx->fake.objs), ==, 3);
		g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
		/* busy while its child exists; then destroyed by the last unrefs */
		g_assert_false(hiod_iommufd_viommu_destroy(v, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
	}
	g_assert_cmpuint(hiod_iommufd_backend_get_users(fx->be), ==, 1);
	destroy(fx, parent);
}

/* the partial count of an invalidation through the vIOMMU */
static void
test_invalidate_partial(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint32 parent = parent_new(fx), n;
	guint8 entries[3][12] = {{0}};
	{
		g_autoptr(HiodIommufdViommu) v = hiod_host_iommu_device_iommufd_alloc_viommu(
		    fx_dev(fx), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, parent, NULL, &error);
		g_assert_no_error(error);
		n = 3;
		g_assert_true(hiod_iommufd_viommu_invalidate(v, 0xdeadbeef, 12, &n, entries, &error));
		g_assert_cmpuint(n, ==, 3);
		fx->fake.inv_fail_at = 3;
		g_assert_false(hiod_iommufd_viommu_invalidate(v, 0xdeadbeef, 12, &n, entries, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_cmpuint(n, ==, 2);
		g_assert_nonnull(strstr(error->message, "entry 2 of 3 refused, the 2 before it handled"));
		g_clear_error(&error);
		fx->fake.inv_fail_at = 1;
		n = 3;
		g_assert_false(hiod_iommufd_viommu_invalidate(v, 0xdeadbeef, 12, &n, entries, &error));
		g_assert_cmpuint(n, ==, 0);
		g_clear_error(&error);
	}
	destroy(fx, parent);
}

static void
put(Fake *f, guint32 flags, guint32 seq, gconstpointer data, gsize len)
{
	struct hiod_iommufd_vevent_header h = {.flags = flags, .sequence = seq};
	g_assert_cmpint(write(f->pipe[1], &h, sizeof(h)), ==, sizeof(h));
	if (len > 0)
		g_assert_cmpint(write(f->pipe[1], data, len), ==, (gssize)len);
}

static gboolean
on_readable(gpointer user_data)
{
	guint *n = user_data;
	(*n)++;
	return G_SOURCE_REMOVE;
}

/* decoding: the selftest's virt_id, a gap, the lost-events marker; a short reply */
static void
test_veventq_decode(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint32 parent = parent_new(fx);
	guint32 virt = 0x99;
	{
		g_autoptr(HiodIommufdViommu) v = hiod_host_iommu_device_iommufd_alloc_viommu(
		    fx_dev(fx), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST, parent, NULL, &error);
		g_autoptr(HiodIommufdVeventq) q = NULL;
		g_autoptr(GPtrArray) ev = NULL;
		g_autoptr(GSource) src = NULL;
		g_autofree gchar *s = NULL;
		guint64 got = 0;
		guint fired = 0;

		q = hiod_iommufd_viommu_alloc_veventq(v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 1);
		ev = hiod_iommufd_veventq_read(q, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(ev->len, ==, 0);
		g_clear_pointer(&ev, g_ptr_array_unref);

		/* the GSource dispatches once events wait */
		src = hiod_iommufd_veventq_create_source(q);
		g_source_set_callback(src, on_readable, &fired, NULL);
		g_source_attach(src, NULL);
		g_assert_false(g_main_context_iteration(NULL, FALSE));
		put(&fx->fake, 0, 5, &virt, 4);
		put(&fx->fake, 0, 7, &virt, 4);
		put(&fx->fake, HIOD_IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 8, NULL, 0);
		while (fired == 0)
			g_main_context_iteration(NULL, TRUE);
		g_assert_cmpuint(fired, ==, 1);

		ev = hiod_iommufd_veventq_read(q, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(ev->len, ==, 3);
		g_assert_cmpuint(hiod_iommufd_vevent_get_sequence(g_ptr_array_index(ev, 0)), ==, 5);
		g_assert_cmpuint(hiod_iommufd_vevent_get_lost_before(g_ptr_array_index(ev, 0)), ==, 0);
		g_assert_true(hiod_iommufd_vevent_get_virt_id(g_ptr_array_index(ev, 0), &got));
		g_assert_cmphex(got, ==, 0x99);
		g_assert_cmpuint(hiod_iommufd_vevent_get_lost_before(g_ptr_array_index(ev, 1)), ==, 1);
		s = hiod_iommufd_vevent_to_string(g_ptr_array_index(ev, 1));
		g_assert_cmpstr(s, ==, "#7 (1 lost before it) selftest event of virtual device 0x99");
		g_clear_pointer(&s, g_free);
		g_assert_true(hiod_iommufd_vevent_is_lost_events(g_ptr_array_index(ev, 2)));
		g_assert_null(hiod_iommufd_vevent_get_data(g_ptr_array_index(ev, 2)));
		g_assert_false(hiod_iommufd_vevent_get_virt_id(g_ptr_array_index(ev, 2), NULL));
		s = hiod_iommufd_vevent_to_string(g_ptr_array_index(ev, 2));
		g_assert_cmpstr(s, ==, "#8 lost events: the queue overflowed");
		g_clear_pointer(&ev, g_ptr_array_unref);

		/* a reply cut inside an event's data */
		put(&fx->fake, 0, 9, &virt, 2);
		g_assert_null(hiod_iommufd_veventq_read(q, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
		g_assert_nonnull(strstr(error->message, "cut short"));
		g_clear_error(&error);
		g_source_destroy(src);
	}
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
	destroy(fx, parent);
}

/* an SMMUv3 event record decoded (no kernel needed) */
static void
test_vevent_smmuv3(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint32 parent = parent_new(fx);
	guint64 rec[4] = {GUINT64_TO_LE(0x10 | (G_GUINT64_CONSTANT(0x42) << 32)), GUINT64_TO_LE(1),
			  GUINT64_TO_LE(0x1234000), 0};
	{
		g_autoptr(HiodIommufdViommu) v = hiod_host_iommu_device_iommufd_alloc_viommu(
		    fx_dev(fx), HIOD_IOMMUFD_VIOMMU_TYPE_ARM_SMMUV3, parent, NULL, &error);
		g_autoptr(HiodIommufdVeventq) q = hiod_iommufd_viommu_alloc_veventq(
		    v, HIOD_IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3, 4, &error);
		g_autoptr(GPtrArray) ev = NULL;
		g_autofree gchar *s = NULL;
		guint64 sid = 0;
		g_assert_no_error(error);
		put(&fx->fake, 0, 0, rec, sizeof(rec));
		ev = hiod_iommufd_veventq_read(q, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(ev->len, ==, 1);
		g_assert_cmpuint(hiod_iommufd_vevent_get_smmuv3_event_id(g_ptr_array_index(ev, 0)), ==, 0x10);
		g_assert_true(hiod_iommufd_vevent_get_virt_id(g_ptr_array_index(ev, 0), &sid));
		g_assert_cmphex(sid, ==, 0x42);
		s = hiod_iommufd_vevent_to_string(g_ptr_array_index(ev, 0));
		g_assert_nonnull(strstr(s, "SMMUv3 event 0x10, StreamID 0x42"));
	}
	destroy(fx, parent);
}

/* every object made in turn with the Nth chokepoint call failing: nothing left */
static void
test_faults(Fixture *fx, gconstpointer data)
{
	guint32 parent = parent_new(fx);
	HiodTestFaultWalk w;
	for (hiod_test_fault_walk_init(&w, fx->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodIommufdViommu) v = NULL;
		g_autoptr(HiodIommufdVdevice) vd = NULL;
		g_autoptr(HiodIommufdVeventq) q = NULL;
		g_autoptr(HiodIommufdHwQueue) hq = NULL;
		g_autoptr(GPtrArray) ev = NULL;
		guint32 nested = 0, cnt = 1, entry[3] = {0};
		gboolean ok, done;

		ok = (v = hiod_host_iommu_device_iommufd_alloc_viommu(fx_dev(fx), HIOD_IOMMUFD_VIOMMU_TYPE_SELFTEST,
								      parent, NULL, &error)) != NULL &&
		     (vd = hiod_iommufd_viommu_alloc_vdevice(v, fx_dev(fx), 0x99, &error)) != NULL &&
		     hiod_iommufd_viommu_alloc_hwpt(v, fx_dev(fx), 0, 0xdead, entry, 4, &nested, &error) &&
		     (q = hiod_iommufd_viommu_alloc_veventq(v, HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST, 2, &error)) != NULL &&
		     (hq = hiod_iommufd_viommu_alloc_hw_queue(v, HIOD_IOMMUFD_HW_QUEUE_TYPE_SELFTEST, 0, 0x1000000,
							      4096, &error)) != NULL &&
		     hiod_iommufd_viommu_invalidate(v, 0xdeadbeef, sizeof(entry), &cnt, entry, &error) &&
		     (ev = hiod_iommufd_veventq_read(q, &error)) != NULL;
		done = hiod_test_fault_walk_done(&w, ok);
		if (!ok)
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
		g_clear_object(&hq);
		g_clear_object(&q);
		if (nested != 0)
			destroy(fx, nested);
		g_clear_object(&vd);
		g_clear_object(&v);
		g_assert_cmpuint(g_hash_table_size(fx->fake.objs), ==, 1); /* the parent */
		g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
		g_assert_cmpuint(fx->fake.k->open_fds, ==, 1); /* the backend's iommufd */
		g_assert_cmpuint(hiod_iommufd_backend_get_users(fx->be), ==, 1);
		if (done)
			break;
	}
	g_assert_cmpuint(w.faults, ==, 7);
	destroy(fx, parent);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, kernel, func) \
	g_test_add("/hiod/iommufd-viommu/" path, Fixture, GUINT_TO_POINTER(kernel), fixture_setup, func, fixture_teardown)
	ADD("refused-6.12", 612, test_refused_6_12);
	ADD("refused-6.13", 613, test_refused_6_13);
	ADD("invalidate-partial", 617, test_invalidate_partial);
	ADD("veventq-decode", 617, test_veventq_decode);
	ADD("vevent-smmuv3", 617, test_vevent_smmuv3);
	ADD("faults", 617, test_faults);
	return g_test_run();
}

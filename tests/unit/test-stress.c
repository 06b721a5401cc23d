/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stress: several threads map and unmap while devices attach and detach,
 * through containers directly and through an address space, against a fake
 * iommufd kernel (thread-safe: one lock around its state) whose IOVA ranges
 * answer changes with every device that attaches or detaches, so that the
 * container replaces its ranges and page-size mask while others read them.
 *
 * In the race lane (build-tsan, tests/tsan) this runs under ThreadSanitizer
 * with GLib's locks made visible by the pthread shim: any data race fails the
 * run. In the plain unit suite it checks that every operation succeeded and
 * that nothing is left behind (fds, kernel objects, mappings).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

#define PAGE 0x1000u
#define N_MAPPERS 3
#define SLOTS 16		/* IOVA slots per mapper */
#define MAP_ROUNDS 400		/* map + unmap per slot round, per mapper */
#define ATTACH_ROUNDS 60	/* attach + detach of the extra devices */

/* the fake kernel: the base (thread-safe: its lock is held around every call
 * and so around the hook) with the IOAS, HWPT and device objects ------------- */

enum { OBJ_IOAS = 1, OBJ_HWPT, OBJ_DEVICE };

typedef struct {
	gint kind;
	guint32 ioas; /* HWPT: its IOAS */
} FakeObj;

/* a device fd's state (its HiodTestFd's data) */
typedef struct {
	guint32 devid;
	guint32 hwpt;
} FakeDev;

typedef struct {
	HiodTestKernel *k;
	GHashTable *objs; /* id -> FakeObj */
	guint32 next_id;
	gint64 n_maps;
	guint range_reads;
} Fake;

static guint32
fake_add(Fake *f, gint kind, guint32 ioas)
{
	FakeObj *o = g_new0(FakeObj, 1);
	guint32 id = f->next_id++;
	o->kind = kind;
	o->ioas = ioas;
	g_hash_table_insert(f->objs, GUINT_TO_POINTER(id), o);
	return id;
}

static FakeObj *
fake_obj(Fake *f, guint32 id, gint kind)
{
	FakeObj *o = g_hash_table_lookup(f->objs, GUINT_TO_POINTER(id));
	return o != NULL && o->kind == kind ? o : NULL;
}

/* devices attached to a HWPT of @ioas */
static guint
fake_devices_in(Fake *f, guint32 ioas)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;
	g_hash_table_iter_init(&it, f->k->fds);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		FakeDev *d = ((HiodTestFd *)v)->data;
		FakeObj *h = d != NULL && d->hwpt != 0 ? fake_obj(f, d->hwpt, OBJ_HWPT) : NULL;
		n += h != NULL && h->ioas == ioas;
	}
	return n;
}

static int
fake_fail(int errnum)
{
	errno = errnum;
	return -1;
}

static void
fake_close(gpointer data, HiodTestFd *fd)
{
	Fake *f = data;
	FakeDev *d = fd->data;
	if (d != NULL && d->devid != 0)
		g_hash_table_remove(f->objs, GUINT_TO_POINTER(d->devid));
}

static int
fake_device_ioctl(Fake *f, HiodTestFd *fd, unsigned long request, void *arg)
{
	FakeDev *d;
	if (fd->data == NULL)
		fd->data = g_new0(FakeDev, 1);
	d = fd->data;
	switch (request) {
	case HIOD_VFIO_DEVICE_BIND_IOMMUFD:
		if (d->devid != 0)
			return fake_fail(EINVAL);
		d->devid = fake_add(f, OBJ_DEVICE, 0);
		((struct hiod_vfio_device_bind_iommufd *)arg)->out_devid = d->devid;
		return 0;
	case HIOD_VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
		struct hiod_vfio_device_attach_iommufd_pt *a = arg;
		if (d->devid == 0 || fake_obj(f, a->pt_id, OBJ_HWPT) == NULL)
			return fake_fail(EINVAL);
		d->hwpt = a->pt_id;
		return 0;
	}
	case HIOD_VFIO_DEVICE_DETACH_IOMMUFD_PT:
		d->hwpt = 0;
		return 0;
	case HIOD_VFIO_DEVICE_GET_INFO: /* the base's device, without reset */
		return hiod_test_kernel_default_ioctl(f->k, HIOD_TEST_FD_DEVICE, request, arg);
	}
	return fake_fail(ENOTTY);
}

static int
fake_iommufd_ioctl(Fake *f, unsigned long request, void *arg)
{
	switch (request) {
	case HIOD_IOMMU_IOAS_ALLOC:
		((struct hiod_iommu_ioas_alloc *)arg)->out_ioas_id = fake_add(f, OBJ_IOAS, 0);
		return 0;
	case HIOD_IOMMU_DESTROY: {
		struct hiod_iommu_destroy *d = arg;
		if (!g_hash_table_remove(f->objs, GUINT_TO_POINTER(d->id)))
			return fake_fail(ENOENT);
		return 0;
	}
	case HIOD_IOMMU_IOAS_IOVA_RANGES: {
		/* every attached device reserves one more 2 MiB window at the top:
		 * the answer changes with each attach and detach */
		struct hiod_iommu_ioas_iova_ranges *r = arg;
		struct hiod_iommu_iova_range *out = (gpointer)(guintptr)r->allowed_iovas;
		guint n;
		if (fake_obj(f, r->ioas_id, OBJ_IOAS) == NULL)
			return fake_fail(ENOENT);
		n = fake_devices_in(f, r->ioas_id);
		f->range_reads++;
		r->out_iova_alignment = n % 2 ? PAGE : 2 * PAGE;
		if (r->num_iovas < 2) {
			r->num_iovas = 2;
			return fake_fail(EMSGSIZE);
		}
		r->num_iovas = 2;
		out[0] = (struct hiod_iommu_iova_range){0, 0xfedfffff};
		out[1] = (struct hiod_iommu_iova_range){0xfef00000,
							G_GUINT64_CONSTANT(0x7fffffffff) - n * 0x200000};
		return 0;
	}
	case HIOD_IOMMU_IOAS_MAP:
	case HIOD_IOMMU_IOAS_COPY:
		f->n_maps++;
		return 0;
	case HIOD_IOMMU_IOAS_UNMAP: {
		struct hiod_iommu_ioas_unmap *u = arg;
		if (u->iova == 0 && u->length == G_MAXUINT64)
			f->n_maps = 0;
		else if (f->n_maps == 0)
			return fake_fail(ENOENT);
		else
			f->n_maps--;
		return 0;
	}
	case HIOD_IOMMU_GET_HW_INFO: {
		struct hiod_iommu_hw_info *h = arg;
		struct hiod_iommu_hw_info_vtd vtd = {.flags = 1,
						     .cap_reg = G_GUINT64_CONSTANT(0x00d2008c22260286),
						     .ecap_reg = 0xf00f4a};
		if (fake_obj(f, h->dev_id, OBJ_DEVICE) == NULL)
			return fake_fail(ENOENT);
		memcpy((gpointer)(guintptr)h->data_uptr, &vtd, MIN(h->data_len, sizeof(vtd)));
		h->data_len = sizeof(vtd);
		h->out_data_type = HIOD_IOMMU_HW_INFO_TYPE_INTEL_VTD;
		h->out_capabilities = 0;
		return 0;
	}
	case HIOD_IOMMU_HWPT_ALLOC: {
		struct hiod_iommu_hwpt_alloc *a = arg;
		if (fake_obj(f, a->dev_id, OBJ_DEVICE) == NULL || fake_obj(f, a->pt_id, OBJ_IOAS) == NULL)
			return fake_fail(EINVAL);
		if (a->flags != 0)
			return fake_fail(EOPNOTSUPP);
		a->out_hwpt_id = fake_add(f, OBJ_HWPT, a->pt_id);
		return 0;
	}
	}
	return fake_fail(ENOTTY);
}

static int
fake_reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	Fake *f = data;
	if (kind == HIOD_TEST_FD_IOMMUFD)
		return fake_iommufd_ioctl(f, request, arg);
	if (kind == HIOD_TEST_FD_DEVICE)
		return fake_device_ioctl(f, hiod_test_kernel_current_fd(f->k), request, arg);
	return fake_fail(ENOTTY);
}

static Fake *
fake_new(HiodContext *ctx)
{
	Fake *f = g_new0(Fake, 1);
	f->objs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	f->next_id = 1;
	f->k = hiod_test_kernel_new(ctx);
	f->k->reply = fake_reply;
	f->k->close_hook = fake_close;
	f->k->reply_data = f;
	f->k->fd_data_free = g_free;
	f->k->no_reset = TRUE;
	return f;
}

static void
fake_free(Fake *f)
{
	hiod_test_kernel_free(f->k);
	g_hash_table_unref(f->objs);
	g_free(f);
}

/* page-aligned fake host memory (the fake never touches it), made before
 * any thread starts */
static guint8 *test_buf;

static guint8 *
test_buffer(void)
{
	return test_buf;
}

/* fixture ------------------------------------------------------------------------ */

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	Fake *fake;
	HiodVfioDevice *dev[3];
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	static const gchar *bdfs[] = {"0000:00:04.0", "0000:00:05.0", "0000:00:06.0"};
	fx->tree = hiod_test_tree_new();
	for (guint i = 0; i < G_N_ELEMENTS(bdfs); i++) {
		g_autofree gchar *cdev = g_strdup_printf("vfio%u", i);
		hiod_test_tree_add_pci(fx->tree, bdfs[i], 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3 + i, cdev);
	}
	hiod_test_tree_touch_dev(fx->tree, "iommu");
	fx->ctx = hiod_test_tree_context(fx->tree);
	fx->fake = fake_new(fx->ctx);
	test_buf = g_aligned_alloc0(N_MAPPERS * SLOTS, 2 * PAGE, 2 * PAGE);
	for (guint i = 0; i < G_N_ELEMENTS(bdfs); i++) {
		g_autoptr(GError) error = NULL;
		fx->dev[i] = hiod_vfio_device_new(fx->ctx, bdfs[i], &error);
		g_assert_no_error(error);
	}
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	for (guint i = 0; i < G_N_ELEMENTS(fx->dev); i++)
		g_clear_object(&fx->dev[i]);
	/* nothing left behind */
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->k->fds), ==, 0);
	g_assert_cmpuint(fx->fake->k->open_fds, ==, 0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
	g_clear_object(&fx->ctx);
	fake_free(fx->fake);
	g_clear_pointer(&test_buf, g_aligned_free);
	hiod_test_tree_free(fx->tree);
}

/* workers -------------------------------------------------------------------------- */

typedef struct {
	HiodContainer *container;  /* map through it, or */
	HiodAddressSpace *space;   /* through the space */
	guint id;
	guint done;
	GError *error;
} Mapper;

static gpointer
mapper_run(gpointer data)
{
	Mapper *m = data;
	for (guint r = 0; r < MAP_ROUNDS && m->error == NULL; r++) {
		guint slot = m->id * SLOTS + r % SLOTS;
		guint64 iova = 0x10000000 + (guint64)slot * 2 * PAGE;
		gpointer va = test_buffer() + (gsize)slot * 2 * PAGE;
		gboolean ok;
		if (m->container != NULL)
			ok = hiod_container_dma_map(m->container, iova, 2 * PAGE, va, 0, &m->error) &&
			     hiod_container_dma_unmap(m->container, iova, 2 * PAGE, &m->error);
		else
			ok = hiod_address_space_add_section(m->space, iova, 2 * PAGE, va, 0, &m->error) &&
			     hiod_address_space_remove_section(m->space, iova, 2 * PAGE, &m->error);
		if (ok)
			m->done++;
	}
	return NULL;
}

typedef struct {
	Fixture *fx;
	HiodContainer *container; /* attach to it, or */
	HiodAddressSpace *space;  /* through the space's attach flow */
	guint attaches;
	GError *error;
} Attacher;

static gpointer
attacher_run(gpointer data)
{
	Attacher *a = data;
	for (guint r = 0; r < ATTACH_ROUNDS && a->error == NULL; r++) {
		for (guint i = 1; i < 3 && a->error == NULL; i++) {
			HiodVfioDevice *d = a->fx->dev[i];
			gboolean ok = a->container != NULL
					  ? hiod_vfio_device_attach(d, a->container, 0, &a->error)
					  : hiod_address_space_attach_device(a->space, d, HIOD_BACKEND_KIND_IOMMUFD,
									     0, &a->error) != NULL;
			if (ok)
				a->attaches++;
		}
		for (guint i = 1; i < 3; i++) {
			if (a->container != NULL)
				hiod_vfio_device_detach(a->fx->dev[i]);
			else
				hiod_address_space_detach_device(a->space, a->fx->dev[i]);
		}
	}
	return NULL;
}

/* a reader of what attach replaces: the ranges and page sizes, of the
 * container and of the host IOMMU device of the device that stays */
typedef struct {
	HiodContainer *container;
	HiodHostIommuDevice *hiod;
	gint *stop;
	guint reads;
} Reader;

static gpointer
reader_run(gpointer data)
{
	Reader *r = data;
	while (!g_atomic_int_get(r->stop)) {
		g_autoptr(GPtrArray) ranges = hiod_container_get_iova_ranges(r->container);
		g_autoptr(GPtrArray) hranges = hiod_host_iommu_device_get_iova_ranges(r->hiod, NULL);
		guint64 mask = hiod_container_get_page_size_mask(r->container);
		g_assert_cmpuint(ranges->len, ==, 2);
		g_assert_nonnull(hranges);
		g_assert_true(mask == PAGE || mask == 2 * PAGE);
		r->reads++;
	}
	return NULL;
}

static void
run_all(Mapper *m, Attacher *a, Reader *r)
{
	GThread *mt[N_MAPPERS], *at, *rt;
	gint stop = 0;
	r->stop = &stop;
	rt = g_thread_new("reader", reader_run, r);
	for (guint i = 0; i < N_MAPPERS; i++)
		mt[i] = g_thread_new("mapper", mapper_run, &m[i]);
	at = g_thread_new("attacher", attacher_run, a);
	g_thread_join(at);
	for (guint i = 0; i < N_MAPPERS; i++)
		g_thread_join(mt[i]);
	g_atomic_int_set(&stop, 1);
	g_thread_join(rt);

	g_assert_no_error(a->error);
	g_assert_cmpuint(a->attaches, ==, 2 * ATTACH_ROUNDS);
	for (guint i = 0; i < N_MAPPERS; i++) {
		g_assert_no_error(m[i].error);
		g_assert_cmpuint(m[i].done, ==, MAP_ROUNDS);
	}
	g_test_message("%u reads of the ranges while %u attaches", r->reads, a->attaches);
}

/* tests ------------------------------------------------------------------------------ */

/* Threads map and unmap on one iommufd container while two more devices
 * attach to it and detach again (each re-reads the IOAS ranges). */
static void
test_stress_container(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_container_new(fx->ctx, HIOD_BACKEND_KIND_IOMMUFD, fx->dev[0], &error);
	Mapper m[N_MAPPERS];
	Attacher a = {.fx = fx, .container = c};
	Reader r = {.container = c};

	g_assert_no_error(error);
	g_assert_true(hiod_vfio_device_attach(fx->dev[0], c, 0, &error));
	g_assert_no_error(error);
	r.hiod = hiod_vfio_device_get_host_iommu_device(fx->dev[0]);
	for (guint i = 0; i < N_MAPPERS; i++)
		m[i] = (Mapper){.container = c, .id = i};
	run_all(m, &a, &r);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
	g_assert_cmpint(fx->fake->n_maps, ==, 0);
	/* every attach and detach re-read the ranges */
	g_assert_cmpuint(fx->fake->range_reads, >=, 4 * ATTACH_ROUNDS);
	hiod_vfio_device_detach(fx->dev[0]);
}

/* The same through an address space: sections come and go while devices
 * join the space's container through the attach flow and leave it. */
static void
test_stress_address_space(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(fx->ctx);
	HiodContainer *c;
	Mapper m[N_MAPPERS];
	Attacher a = {.fx = fx, .space = as};
	Reader r = {0};

	c = hiod_address_space_attach_device(as, fx->dev[0], HIOD_BACKEND_KIND_IOMMUFD, 0, &error);
	g_assert_no_error(error);
	g_assert_nonnull(c);
	/* a section that stays while the others come and go */
	g_assert_true(hiod_address_space_add_section(as, 0x100000, PAGE, test_buffer(), 0, &error));
	g_assert_no_error(error);
	r.container = c;
	r.hiod = hiod_vfio_device_get_host_iommu_device(fx->dev[0]);
	for (guint i = 0; i < N_MAPPERS; i++)
		m[i] = (Mapper){.space = as, .id = i};
	run_all(m, &a, &r);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 1);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	{
		g_autoptr(GPtrArray) members = hiod_address_space_get_containers(as);
		g_assert_cmpuint(members->len, ==, 1);
	}
	hiod_address_space_detach_device(as, fx->dev[0]);
	g_assert_false(hiod_address_space_has_container(as, c));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/hiod/stress/container", Fixture, NULL, fixture_setup, test_stress_container,
		   fixture_teardown);
	g_test_add("/hiod/stress/address-space", Fixture, NULL, fixture_setup, test_stress_address_space,
		   fixture_teardown);
	return g_test_run();
}

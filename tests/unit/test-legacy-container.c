/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HiodLegacyContainer against a fake type1 kernel (the base kernel answering
 * the container, group and device ioctls), with fault injection at every
 * call of attach (and setup), map and unmap in turn.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hiod-backend-private.h"
#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

/* the fake kernel: the base kernel, with type1's own state as its hooks ------------ */

typedef struct {
	HiodTestKernel *base;
	gboolean has_v2;
	gboolean has_unmap_all;
	guint32 iommu_type;
	gint iommu_fd;
	GHashTable *group_set; /* group -> container fd */
	GHashTable *nonviable; /* group ids */
	GHashTable *maps;      /* iova -> size */
	guint avail;
	gboolean dirty;
	/* Pages DMA wrote to (page IOVA), reported once and cleared, as type1
	 * does for pages it saw written (pinned pages, vfio_dma_rw). With
	 * report_all, as with a real IOMMU and vfio-pci, every mapped page is
	 * dirty on every read. */
	GHashTable *written;
	gboolean report_all;
	GString *log; /* "map IOVA+SIZE;" "unmap IOVA+SIZE;" as the kernel saw them */
	guint get_info_calls;
} FakeKernel;

/* a group fd's group, from its node's name */
static gint
fd_group(HiodTestFd *f)
{
	g_autofree gchar *base = g_path_get_basename(f->path);
	g_assert_cmpint(f->kind, ==, HIOD_TEST_FD_GROUP);
	return atoi(base);
}

static int fake_open(gpointer data, const gchar *path, gint flags);
static void fake_close(gpointer data, HiodTestFd *fd);
static int fake_ioctl(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg);

static FakeKernel *
fake_new(HiodContext *ctx)
{
	FakeKernel *k = g_new0(FakeKernel, 1);
	k->base = hiod_test_kernel_new(ctx);
	k->base->open_hook = fake_open;
	k->base->close_hook = fake_close;
	k->base->reply = fake_ioctl;
	k->base->reply_data = k;
	k->base->no_reset = TRUE;
	k->group_set = g_hash_table_new(g_direct_hash, g_direct_equal);
	k->nonviable = g_hash_table_new(g_direct_hash, g_direct_equal);
	k->maps = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	k->written = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	k->report_all = TRUE;
	k->log = g_string_new(NULL);
	k->has_v2 = TRUE;
	k->has_unmap_all = TRUE;
	k->avail = 65535;
	return k;
}

static void
fake_free(FakeKernel *k)
{
	hiod_test_kernel_free(k->base);
	g_hash_table_unref(k->group_set);
	g_hash_table_unref(k->nonviable);
	g_hash_table_unref(k->maps);
	g_hash_table_unref(k->written);
	g_string_free(k->log, TRUE);
	g_free(k);
}

/* the container; a group may be open once */
static int
fake_open(gpointer data, const gchar *path, gint flags)
{
	FakeKernel *k = data;
	g_autofree gchar *base = g_path_get_basename(path);
	GHashTableIter it;
	HiodTestFd *f;
	gint group;

	if (g_strcmp0(base, "vfio") == 0)
		return HIOD_TEST_FD_CONTAINER;
	group = atoi(base);
	g_hash_table_iter_init(&it, k->base->fds);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&f)) {
		if (f->kind == HIOD_TEST_FD_GROUP && fd_group(f) == group) {
			errno = EBUSY;
			return -1;
		}
	}
	return HIOD_TEST_FD_GROUP;
}

static void
fake_close(gpointer data, HiodTestFd *f)
{
	FakeKernel *k = data;
	gint fd = f->fd;
	if (f->kind == HIOD_TEST_FD_CONTAINER) {
		GHashTableIter it;
		gpointer cfd;
		g_hash_table_iter_init(&it, k->group_set);
		while (g_hash_table_iter_next(&it, NULL, &cfd))
			g_assert_cmpint(GPOINTER_TO_INT(cfd), !=, fd);
		if (fd == k->iommu_fd) {
			k->iommu_type = 0;
			k->iommu_fd = 0;
			g_hash_table_remove_all(k->maps);
			k->dirty = FALSE;
		}
	}
}

static int
fake_fail(int errnum)
{
	errno = errnum;
	return -1;
}

static gint
g_uint64_compare_fake(gconstpointer a, gconstpointer b)
{
	guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
	return x < y ? -1 : x > y;
}

/* DMA wrote to [iova, iova + size) */
static void
fake_write(FakeKernel *k, guint64 iova, guint64 size)
{
	for (guint64 a = iova; a < iova + size; a += 0x1000)
		g_hash_table_add(k->written, g_memdup2(&a, 8));
}

/* The mappings that meet [iova, last], sorted by IOVA. */
static GArray *
fake_overlaps(FakeKernel *k, guint64 iova, guint64 last)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint64));
	GHashTableIter it;
	gpointer key, val;
	g_hash_table_iter_init(&it, k->maps);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		guint64 s = *(guint64 *)key, e = s + *(guint64 *)val - 1;
		if (s <= last && e >= iova)
			g_array_append_val(out, s);
	}
	g_array_sort(out, (GCompareFunc)g_uint64_compare_fake);
	return out;
}

/* type1's rule for a bitmap read and a v2 unmap: no mapping may be bisected */
static gboolean
fake_bisects(FakeKernel *k, guint64 iova, guint64 size)
{
	g_autoptr(GArray) hits = fake_overlaps(k, iova, iova + size - 1);
	for (guint n = 0; n < hits->len; n++) {
		guint64 s = g_array_index(hits, guint64, n);
		guint64 len = *(guint64 *)g_hash_table_lookup(k->maps, &s);
		if (s < iova || s + len - 1 > iova + size - 1)
			return TRUE;
	}
	return FALSE;
}

/* Fills a bitmap (4 KiB pages from @base) for the mappings in [iova, iova + size). */
static int
fake_read_dirty(FakeKernel *k, guint64 iova, guint64 size, struct hiod_vfio_bitmap *vb)
{
	g_autoptr(GArray) hits = fake_overlaps(k, iova, iova + size - 1);
	guint64 *bits = GSIZE_TO_POINTER(vb->data);
	if (vb->pgsize != 0x1000 || vb->size < (size / 0x1000 + 63) / 64 * 8)
		return fake_fail(EINVAL);
	for (guint n = 0; n < hits->len; n++) {
		guint64 s = g_array_index(hits, guint64, n);
		guint64 len = *(guint64 *)g_hash_table_lookup(k->maps, &s);
		for (guint64 a = s; a < s + len; a += 0x1000) {
			guint64 b = (a - iova) / 0x1000;
			if (k->report_all || g_hash_table_remove(k->written, &a))
				bits[b / 64] |= G_GUINT64_CONSTANT(1) << (b % 64);
		}
	}
	return 0;
}

static int
fake_get_info(FakeKernel *k, void *arg)
{
	struct hiod_vfio_iommu_type1_info *info = arg;
	gsize need = sizeof(*info) + sizeof(struct hiod_vfio_iommu_type1_info_cap_iova_range) +
		     2 * sizeof(struct hiod_vfio_iova_range) +
		     sizeof(struct hiod_vfio_iommu_type1_info_cap_migration) + 16;
	guint8 *buf = arg;
	struct hiod_vfio_iommu_type1_info_cap_iova_range *r;
	struct hiod_vfio_iommu_type1_info_cap_migration *m;
	struct hiod_vfio_iommu_type1_info_dma_avail *a;
	guint32 off;

	/* each group after the first narrows the answer, as a group with its own
	 * reserved regions (or an IOMMU without 1 GiB pages) would */
	guint extra = MAX(g_hash_table_size(k->group_set), 1) - 1;

	k->get_info_calls++;
	info->flags = HIOD_VFIO_IOMMU_INFO_PGSIZES | HIOD_VFIO_IOMMU_INFO_CAPS;
	info->iova_pgsizes = extra == 0 ? 0x40201000 : 0x201000;
	if (info->argsz < need) {
		info->argsz = need;
		info->cap_offset = 0;
		return 0;
	}
	off = sizeof(*info);
	info->cap_offset = off;
	m = (void *)(buf + off);
	m->header.id = HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION;
	m->pgsize_bitmap = 0x1000;
	m->max_dirty_bitmap_size = 1 << 20;
	off += sizeof(*m);
	m->header.next = off;
	a = (void *)(buf + off);
	a->header.id = HIOD_VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	a->avail = k->avail;
	off += 16;
	a->header.next = off;
	r = (void *)(buf + off);
	r->header.id = HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	r->nr_iovas = 2;
	r->iova_ranges[0].start = 0;
	r->iova_ranges[0].end = 0xfedfffff;
	r->iova_ranges[1].start = 0xfef00000;
	r->iova_ranges[1].end = G_GUINT64_CONSTANT(0x7fffffffff) - extra * 0x100000;
	r->header.next = 0;
	return 0;
}

static int
fake_ioctl(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	FakeKernel *k = data;
	HiodTestFd *f = hiod_test_kernel_current_fd(k->base);
	gint fd = f->fd;
	if (kind == HIOD_TEST_FD_CONTAINER) {
		switch (request) {
		case HIOD_VFIO_GET_API_VERSION:
			return 0;
		case HIOD_VFIO_CHECK_EXTENSION:
			switch ((gulong)arg) {
			case HIOD_VFIO_TYPE1v2_IOMMU:
				return k->has_v2;
			case HIOD_VFIO_TYPE1_IOMMU:
				return 1;
			case HIOD_VFIO_UNMAP_ALL:
				return k->has_unmap_all;
			default:
				return 0;
			}
		case HIOD_VFIO_SET_IOMMU:
			if (k->iommu_type != 0 || g_hash_table_size(k->group_set) == 0)
				return fake_fail(EINVAL);
			k->iommu_type = (guint32)(gulong)arg;
			k->iommu_fd = fd;
			return 0;
		}
		if (k->iommu_type == 0)
			return fake_fail(EINVAL);
		switch (request) {
		case HIOD_VFIO_IOMMU_GET_INFO:
			return fake_get_info(k, arg);
		case HIOD_VFIO_IOMMU_MAP_DMA: {
			struct hiod_vfio_iommu_type1_dma_map *m = arg;
			guint64 iova = m->iova;
			if (g_hash_table_contains(k->maps, &iova))
				return fake_fail(EEXIST);
			if (k->avail == 0)
				return fake_fail(ENOSPC);
			k->avail--;
			g_hash_table_insert(k->maps, g_memdup2(&iova, 8), g_memdup2(&m->size, 8));
			g_string_append_printf(k->log, "map %" G_GINT64_MODIFIER "x+%" G_GINT64_MODIFIER "x;",
					       iova, m->size);
			return 0;
		}
		case HIOD_VFIO_IOMMU_UNMAP_DMA: {
			struct hiod_vfio_iommu_type1_dma_unmap *u = arg;
			g_autoptr(GArray) hits = NULL;
			guint64 unmapped = 0;
			if (u->flags & HIOD_VFIO_DMA_UNMAP_FLAG_ALL) {
				k->avail += g_hash_table_size(k->maps);
				g_hash_table_remove_all(k->maps);
				g_string_append(k->log, "unmap all;");
				return 0;
			}
			if (u->size == 0 || u->iova + (u->size - 1) < u->iova)
				return fake_fail(EINVAL);
			/* v2: no bisected mapping; v1: stops at a mapping that starts
			 * before iova, takes a mapping that starts inside whole */
			if (k->iommu_type == HIOD_VFIO_TYPE1v2_IOMMU && fake_bisects(k, u->iova, u->size))
				return fake_fail(EINVAL);
			if (u->flags & HIOD_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
				struct hiod_vfio_bitmap *vb = (void *)u->data;
				if (!k->dirty || fake_read_dirty(k, u->iova, u->size, vb) < 0)
					return fake_fail(EINVAL);
			}
			hits = fake_overlaps(k, u->iova, u->iova + u->size - 1);
			for (guint n = 0; n < hits->len; n++) {
				guint64 s = g_array_index(hits, guint64, n);
				if (s < u->iova)
					break;
				unmapped += *(guint64 *)g_hash_table_lookup(k->maps, &s);
				g_string_append_printf(k->log, "unmap %" G_GINT64_MODIFIER "x+%" G_GINT64_MODIFIER "x;",
						       s, *(guint64 *)g_hash_table_lookup(k->maps, &s));
				g_hash_table_remove(k->maps, &s);
				k->avail++;
			}
			u->size = unmapped;
			return 0;
		}
		case HIOD_VFIO_IOMMU_DIRTY_PAGES: {
			struct hiod_vfio_iommu_type1_dirty_bitmap *d = arg;
			if (d->flags == HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_START)
				k->dirty = TRUE;
			else if (d->flags == HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)
				k->dirty = FALSE;
			else if (!k->dirty)
				return fake_fail(EINVAL);
			else {
				struct hiod_vfio_iommu_type1_dirty_bitmap_get *g = (void *)d->data;
				if (g->size == 0 || fake_bisects(k, g->iova, g->size))
					return fake_fail(EINVAL);
				return fake_read_dirty(k, g->iova, g->size, &g->bitmap);
			}
			return 0;
		}
		}
		return fake_fail(ENOTTY);
	}
	if (kind == HIOD_TEST_FD_GROUP) {
		switch (request) {
		case HIOD_VFIO_GROUP_GET_STATUS: {
			struct hiod_vfio_group_status *s = arg;
			s->flags = g_hash_table_contains(k->nonviable, GINT_TO_POINTER(fd_group(f)))
				       ? 0
				       : HIOD_VFIO_GROUP_FLAGS_VIABLE;
			if (g_hash_table_contains(k->group_set, GINT_TO_POINTER(fd_group(f))))
				s->flags |= HIOD_VFIO_GROUP_FLAGS_CONTAINER_SET;
			return 0;
		}
		case HIOD_VFIO_GROUP_SET_CONTAINER:
			if (g_hash_table_contains(k->group_set, GINT_TO_POINTER(fd_group(f))))
				return fake_fail(EINVAL);
			g_hash_table_insert(k->group_set, GINT_TO_POINTER(fd_group(f)),
					    GINT_TO_POINTER(*(int *)arg));
			return 0;
		case HIOD_VFIO_GROUP_UNSET_CONTAINER:
			if (!g_hash_table_remove(k->group_set, GINT_TO_POINTER(fd_group(f))))
				return fake_fail(EINVAL);
			return 0;
		case HIOD_VFIO_GROUP_GET_DEVICE_FD:
			if (!g_hash_table_contains(k->group_set, GINT_TO_POINTER(fd_group(f))) ||
			    k->iommu_type == 0)
				return fake_fail(EINVAL);
			return hiod_test_kernel_add_fd(k->base, HIOD_TEST_FD_DEVICE)->fd;
		}
		return fake_fail(ENOTTY);
	}
	switch (request) {
	case HIOD_VFIO_DEVICE_GET_INFO: /* the base's device, without reset */
		return hiod_test_kernel_default_ioctl(k->base, HIOD_TEST_FD_DEVICE, request, arg);
	}
	return fake_fail(ENOTTY);
}

/* fixture -------------------------------------------------------------------------- */

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	FakeKernel *k;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->tree = hiod_test_tree_new();
	hiod_test_tree_add_pci(f->tree, "0000:00:04.0", 0x1234, 0x11e8, 0xff00, "vfio-pci", 3, NULL);
	hiod_test_tree_add_pci(f->tree, "0000:00:05.0", 0x1234, 0x11e8, 0xff00, "vfio-pci", 4, NULL);
	hiod_test_tree_add_pci(f->tree, "0000:02:01.0", 0x1234, 0x11e8, 0xff00, "vfio-pci", 5, NULL);
	hiod_test_tree_add_pci(f->tree, "0000:02:02.0", 0x8086, 0x10d3, 0x020000, "e1000e", 5, NULL);
	hiod_test_tree_write(f->tree, "kernel/iommu_groups/5/devices/0000:02:01.0", "");
	hiod_test_tree_write(f->tree, "kernel/iommu_groups/5/devices/0000:02:02.0", "");
	f->ctx = hiod_test_tree_context(f->tree);
	f->k = fake_new(f->ctx);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(g_hash_table_size(f->k->base->fds), ==, 0);
	g_clear_object(&f->ctx);
	fake_free(f->k);
	hiod_test_tree_free(f->tree);
}

static HiodVfioDevice *
device_new(Fixture *f, const gchar *bdf)
{
	g_autoptr(GError) error = NULL;
	HiodVfioDevice *d = hiod_vfio_device_new(f->ctx, bdf, &error);
	g_assert_no_error(error);
	return d;
}

/* nothing of the container is left in the fake kernel or the library */
static void
assert_empty(Fixture *f, HiodContainer *c)
{
	g_autoptr(GArray) groups = hiod_legacy_container_get_group_ids(HIOD_LEGACY_CONTAINER(c));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(g_hash_table_size(f->k->base->fds), ==, 0);
	g_assert_cmpuint(g_hash_table_size(f->k->group_set), ==, 0);
	g_assert_cmpuint(groups->len, ==, 0);
	g_assert_cmpint(hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(c)), ==, -1);
	g_assert_false(hiod_container_is_setup(c));
}

/* tests ------------------------------------------------------------------------------ */

static void
test_attach(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) b = device_new(f, "0000:00:05.0");
	g_autoptr(HiodContainer) c = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_LEGACY, a, &error);
	g_autoptr(GPtrArray) ranges = NULL;
	HiodHostIommuCaps *caps;

	g_assert_no_error(error);
	g_assert_true(HIOD_IS_LEGACY_CONTAINER(c));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0); /* the probe closed its fd */
	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_legacy_container_get_iommu_type(HIOD_LEGACY_CONTAINER(c)), ==, 3);
	g_assert_cmpuint(f->k->get_info_calls, ==, 2); /* grew argsz for the capability chain */
	ranges = hiod_container_get_iova_ranges(c);
	g_assert_cmpuint(ranges->len, ==, 2);
	g_assert_cmphex(hiod_container_get_page_size_mask(c), ==, 0x40201000);
	g_assert_cmpuint(hiod_container_get_max_mappings(c), ==, 65535);
	g_assert_true(hiod_container_get_dirty_tracking_supported(c));
	caps = hiod_host_iommu_device_get_caps(hiod_vfio_device_get_host_iommu_device(a));
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), ==, 39);
	g_assert_cmpint(hiod_host_iommu_caps_get_iommu_type(caps), ==, HIOD_IOMMU_TYPE_UNKNOWN);
	/* a second group joins the same container */
	g_assert_true(hiod_vfio_device_attach(b, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_hash_table_size(f->k->group_set), ==, 2);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 5);
	hiod_vfio_device_detach(a);
	g_assert_cmpuint(g_hash_table_size(f->k->group_set), ==, 1);
	hiod_vfio_device_detach(b);
	assert_empty(f, c);
}

static void
test_type1_fallback(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	f->k->has_v2 = FALSE;
	f->k->has_unmap_all = FALSE;
	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_legacy_container_get_iommu_type(HIOD_LEGACY_CONTAINER(c)), ==, 1);
	/* type1 v1 has no dirty tracking: hiod reports every mapped page dirty itself */
	g_assert_false(hiod_container_get_dirty_tracking_supported(c));
	/* no UNMAP_ALL: release unmaps the two halves of the space */
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x1000, GSIZE_TO_POINTER(0x10000), 0, &error));
	g_assert_true(hiod_container_dma_unmap_all(c, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(a);
	assert_empty(f, c);
}

static void
test_nonviable(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:02:01.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	g_hash_table_add(f->k->nonviable, GINT_TO_POINTER(5));
	g_assert_false(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "IOMMU group 5 is not viable"));
	g_assert_nonnull(strstr(error->message, "0000:02:01.0 (driver vfio-pci)"));
	g_assert_nonnull(strstr(error->message, "0000:02:02.0 (driver e1000e)"));
	assert_empty(f, c);
}

static void
test_group_shared(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) a2 = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	g_autoptr(HiodContainer) other = hiod_legacy_container_new(f->ctx);
	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	/* the same group in another container: the group node is busy */
	g_assert_false(hiod_vfio_device_attach(a2, other, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 3);
	/* a second device of the group reuses the group fd */
	g_assert_true(hiod_vfio_device_attach(a2, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 4);
	hiod_vfio_device_detach(a);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 3);
	hiod_vfio_device_detach(a2);
	assert_empty(f, c);
}

/* Fails the 1st, 2nd, ... chokepoint call of attach until it succeeds. */
static void
test_attach_faults(Fixture *f, gconstpointer data)
{
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) b = device_new(f, "0000:00:05.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	HiodTestFaultWalk w;
	guint failures = 0;

	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		gboolean ok;
		ok = hiod_vfio_device_attach(a, c, 0, &error);
		if (hiod_test_fault_walk_done(&w, ok)) {
			break;
		}
		if (ok) { /* a probe that may fail (an extension check) */
			hiod_vfio_device_detach(a);
		} else {
			failures++;
			g_assert_nonnull(error);
			g_assert_null(hiod_vfio_device_get_container(a));
			g_assert_cmpint(hiod_vfio_device_get_fd(a), ==, -1);
		}
		assert_empty(f, c);
	}
	g_test_message("first attach: %u calls, %u of them fail the attach", w.n - 1, failures);
	g_assert_cmpuint(failures, >=, 8);

	/* a second group joining the set-up container */
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		gboolean ok;
		ok = hiod_vfio_device_attach(b, c, 0, &error);
		if (hiod_test_fault_walk_done(&w, ok)) {
			break;
		}
		g_assert_false(ok);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 3);
		g_assert_cmpuint(g_hash_table_size(f->k->group_set), ==, 1);
		g_assert_true(hiod_container_is_setup(c));
	}
	hiod_context_clear_faults(f->ctx);
	hiod_vfio_device_detach(b);
	hiod_vfio_device_detach(a);
	assert_empty(f, c);
}

static void
test_map_unmap_faults(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	gpointer va = GSIZE_TO_POINTER(0x7f0000000000);
	HiodTestFaultWalk w;

	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	for (hiod_test_fault_walk_init(&w, f->ctx, ENOMEM); hiod_test_fault_walk_next(&w);) {
		gboolean ok;
		g_clear_error(&error);
		ok = hiod_container_dma_map(c, 0x100000, 0x4000, va, 0, &error);
		if (hiod_test_fault_walk_done(&w, ok)) {
			break;
		}
		g_assert_false(ok);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
		g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
		g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 0);
	}
	g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 1);
	/* a partial unmap is unmap + two maps: fail each in turn, the mapping stays whole */
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		gboolean ok;
		g_clear_error(&error);
		ok = hiod_container_dma_unmap(c, 0x101000, 0x1000, &error);
		if (hiod_test_fault_walk_done(&w, ok)) {
			break;
		}
		g_assert_false(ok);
		g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
		g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 1);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 3);
	}
	g_assert_cmpuint(w.n, ==, 4);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 2);
	g_assert_cmpuint(f->k->avail, ==, 65533);
	hiod_context_clear_faults(f->ctx);
	hiod_vfio_device_detach(a);
	assert_empty(f, c);
}

static void
test_dirty(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	guint64 bitmap[1] = {0};

	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x4000, GSIZE_TO_POINTER(0x10000), 0, &error));
	hiod_context_inject_fault_match(f->ctx, "VFIO_IOMMU_DIRTY_PAGES", EIO, 1);
	g_assert_false(hiod_container_set_dirty_tracking(c, TRUE, &error));
	g_assert_false(hiod_container_get_dirty_tracking_started(c));
	g_assert_false(f->k->dirty);
	g_clear_error(&error);
	g_assert_true(hiod_container_set_dirty_tracking(c, TRUE, &error));
	g_assert_true(f->k->dirty);
	g_assert_true(hiod_container_query_dirty_bitmap(c, 0x101000, 0x2000, 0x1000, bitmap, 0, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, 0x3);

	/* unmap with the dirty bitmap: whole mappings only, all or nothing */
	g_assert_true(hiod_container_dma_map(c, 0x200000, 0x2000, GSIZE_TO_POINTER(0x20000), 0, &error));
	bitmap[0] = 0;
	g_assert_false(hiod_container_dma_unmap_dirty(c, 0x101000, 0x1000, 0x1000, bitmap, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	hiod_context_inject_fault_match(f->ctx, "VFIO_IOMMU_UNMAP_DMA", EIO, 1);
	g_assert_false(hiod_container_dma_unmap_dirty(c, 0x200000, 0x2000, 0x1000, bitmap, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 2);
	g_assert_cmphex(bitmap[0], ==, 0);
	g_assert_true(hiod_container_dma_unmap_dirty(c, 0x200000, 0x2000, 0x1000, bitmap, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, 0x3);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 1);
	/* nothing mapped there any more: nothing dirty, and no error */
	bitmap[0] = 0;
	g_assert_true(hiod_container_dma_unmap_dirty(c, 0x200000, 0x2000, 0x1000, bitmap, &error));
	g_assert_cmphex(bitmap[0], ==, 0);
	/* stopped tracking: refused */
	g_assert_true(hiod_container_set_dirty_tracking(c, FALSE, &error));
	g_assert_false(hiod_container_dma_unmap_dirty(c, 0x100000, 0x4000, 0x1000, bitmap, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	hiod_vfio_device_detach(a);
	assert_empty(f, c);
}

/* Defect 1: a window that cuts a mapping. type1 reads (and clears) whole
 * mappings only; the bits outside the window must wait for the next query. */
static void
test_dirty_window_keeps_bits(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	guint64 bitmap[2] = {0};
	const guint64 pg = 0x4000; /* 64 granules per MiB */

	f->k->report_all = FALSE;
	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_true(hiod_container_dma_map(c, 0x200000, 0x200000, GSIZE_TO_POINTER(0x7f0000000000), 0, &error));
	g_assert_true(hiod_container_set_dirty_tracking(c, TRUE, &error));
	g_assert_no_error(error);
	fake_write(f->k, 0x200000, 0x200000);
	/* a window the kernel refuses to read alone: it bisects the mapping */
	g_assert_true(hiod_container_query_dirty_bitmap(c, 0x200000, 0x100000, pg, bitmap, 0, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, G_MAXUINT64);
	g_assert_cmpuint(g_hash_table_size(f->k->written), ==, 0); /* the kernel cleared all 512 */
	bitmap[0] = 0;
	g_assert_true(hiod_container_query_dirty_bitmap(c, 0x300000, 0x100000, pg, bitmap, 0, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, G_MAXUINT64); /* was 0: the bits were dropped */
	/* reported once: nothing left for a third query */
	memset(bitmap, 0, sizeof(bitmap));
	g_assert_true(hiod_container_query_dirty_bitmap(c, 0x200000, 0x200000, pg, bitmap, 0, &error));
	g_assert_cmphex(bitmap[0], ==, 0);
	g_assert_cmphex(bitmap[1], ==, 0);
	/* kept bits also reach an unmap with the bitmap */
	fake_write(f->k, 0x3fc000, 0x4000);
	bitmap[0] = 0;
	g_assert_true(hiod_container_query_dirty_bitmap(c, 0x200000, 0x100000, pg, bitmap, 0, &error));
	g_assert_cmphex(bitmap[0], ==, 0);
	memset(bitmap, 0, sizeof(bitmap));
	g_assert_true(hiod_container_dma_unmap_dirty(c, 0x200000, 0x200000, pg, bitmap, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, 0);
	g_assert_cmphex(bitmap[1], ==, G_GUINT64_CONSTANT(1) << 63);
	hiod_vfio_device_detach(a);
	assert_empty(f, c);
}

/* Defect 2: an unmap with bitmap over a huge span is refused with an error
 * before anything is allocated (it aborted in g_malloc). */
static void
test_unmap_dirty_huge_span(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	guint64 bitmap[1] = {0};

	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x4000, GSIZE_TO_POINTER(0x10000), 0, &error));
	g_assert_true(hiod_container_set_dirty_tracking(c, TRUE, &error));
	g_assert_no_error(error);
	/* 2^20 bits of the caller's, but 2^30 bits at type1's 4 KiB page */
	g_assert_false(hiod_container_dma_unmap_dirty(c, 0, G_GUINT64_CONSTANT(1) << 62,
						      G_GUINT64_CONSTANT(1) << 42, bitmap, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "over the host's limit"));
	g_clear_error(&error);
	g_assert_cmphex(bitmap[0], ==, 0);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 1);
	/* a large span with a coarse granule that the host takes: one bit, the 2nd MiB */
	g_assert_true(hiod_container_dma_unmap_dirty(c, 0, G_GUINT64_CONSTANT(1) << 30, 0x100000, bitmap,
						     &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, 0x2);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
	g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 0);
	hiod_vfio_device_detach(a);
	assert_empty(f, c);
}

/* Defect 3: the query-then-unmap fallback (type1 v1: no dirty tracking) is
 * all or nothing: fail each kernel call in turn; both mappings stay. */
static void
test_unmap_dirty_all_or_nothing(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	HiodTestFaultWalk w;
	guint failures = 0;

	f->k->has_v2 = FALSE;
	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_false(hiod_container_get_dirty_tracking_supported(c));
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x2000, GSIZE_TO_POINTER(0x10000), 0, &error));
	g_assert_true(hiod_container_dma_map(c, 0x200000, 0x2000, GSIZE_TO_POINTER(0x20000), 0, &error));
	g_assert_true(hiod_container_set_dirty_tracking(c, TRUE, &error));
	g_assert_no_error(error);
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		guint64 bitmap[8] = {0}; /* 0x200000 / 0x1000 bits */
		gboolean ok;
		g_clear_error(&error);
		ok = hiod_container_dma_unmap_dirty(c, 0x100000, 0x200000, 0x1000, bitmap, &error);
		if (hiod_test_fault_walk_done(&w, ok)) {
			g_assert_cmphex(bitmap[0], ==, 0x3);
			g_assert_cmphex(bitmap[4], ==, 0x3);
			break;
		}
		failures++;
		g_assert_false(ok);
		g_assert_nonnull(error);
		g_test_message("failing call %u: %s", w.n, error->message);
		/* both mappings, in the library and in the kernel */
		g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
		g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 2);
		/* the first was unmapped and mapped back: its pages may be dirty */
		if (w.n == 2)
			g_assert_cmphex(bitmap[0], ==, 0x3);
		g_assert_cmphex(bitmap[4], ==, 0); /* still mapped, never unmapped */
	}
	g_assert_cmpuint(failures, ==, 2);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
	g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 0);
	hiod_context_clear_faults(f->ctx);
	hiod_vfio_device_detach(a);
	assert_empty(f, c);
}

/* Defect 9: no kernel splits a mapping, so a split unmaps it whole and maps
 * the kept parts back (the fake kernel's log shows the order); mappings made
 * apart are unmapped apart, the kept parts never touched. */
static void
test_partial_unmap_order(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);

	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	/* one mapping: the hole cannot be avoided */
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x4000, GSIZE_TO_POINTER(0x10000), 0, &error));
	g_string_truncate(f->k->log, 0);
	g_assert_true(hiod_container_dma_unmap(c, 0x101000, 0x1000, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(f->k->log->str, ==, "unmap 100000+4000;map 100000+1000;map 102000+2000;");
	g_assert_true(hiod_container_dma_unmap_all(c, &error));
	/* four mappings of one page each: the middle one goes alone */
	for (guint p = 0; p < 4; p++)
		g_assert_true(hiod_container_dma_map(c, 0x100000 + p * 0x1000, 0x1000,
						     GSIZE_TO_POINTER(0x10000 + p * 0x1000), 0, &error));
	g_string_truncate(f->k->log, 0);
	g_assert_true(hiod_container_dma_unmap(c, 0x101000, 0x1000, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(f->k->log->str, ==, "unmap 101000+1000;");
	g_assert_cmpuint(g_hash_table_size(f->k->maps), ==, 3);
	hiod_vfio_device_detach(a);
	assert_empty(f, c);
}

static void
test_double_release(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	hiod_vfio_device_detach(a);
	hiod_container_release(c);
	hiod_container_release(c);
	assert_empty(f, c);
	/* and the container takes a device again */
	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_no_error(error);
	g_clear_object(&c); /* the device keeps it until it detaches */
	hiod_vfio_device_detach(a);
}

/* the usable ranges' last IOVA, of the container and of @d's host IOMMU device */
static guint64
ranges_last(HiodContainer *c, HiodVfioDevice *d)
{
	g_autoptr(GPtrArray) r = hiod_container_get_iova_ranges(c);
	g_autoptr(GPtrArray) hr = NULL;
	guint64 mask = 0;
	HiodHostIommuDevice *hiod = hiod_vfio_device_get_host_iommu_device(d);
	hr = hiod_host_iommu_device_get_iova_ranges(hiod, NULL);
	g_assert_true(hiod_host_iommu_device_get_page_size_mask(hiod, &mask, NULL));
	g_assert_cmphex(mask, ==, hiod_container_get_page_size_mask(c));
	g_assert_cmpuint(hr->len, ==, r->len);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(hr, hr->len - 1))->last, ==,
			((HiodIovaRange *)g_ptr_array_index(r, r->len - 1))->last);
	return ((HiodIovaRange *)g_ptr_array_index(r, r->len - 1))->last;
}

/* Defect 8: the kernel narrows the type1 IOVA ranges (and page sizes) to
 * what every group of the container allows. They are read again when a
 * group joins (before the joining device's host IOMMU device is realized:
 * that is what a vIOMMU reads) and when one leaves; the fake narrows its
 * answer for each group after the first. */
static void
test_group_join_rereads_info(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) a2 = device_new(f, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) b = device_new(f, "0000:00:05.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
	const guint64 one = G_GUINT64_CONSTANT(0x7fffffffff), two = one - 0x100000;
	guint calls, fds;

	g_assert_true(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_no_error(error);
	calls = f->k->get_info_calls;
	g_assert_cmphex(ranges_last(c, a), ==, one);
	g_assert_cmphex(hiod_container_get_page_size_mask(c), ==, 0x40201000);

	/* the kernel's read fails: the joining group is taken out again */
	fds = hiod_context_get_open_fd_count(f->ctx);
	hiod_context_inject_fault_match(f->ctx, "VFIO_IOMMU_GET_INFO", EIO, 1);
	g_assert_false(hiod_vfio_device_attach(b, c, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_test_message("%s", error->message);
	g_clear_error(&error);
	hiod_context_clear_faults(f->ctx);
	g_assert_null(hiod_vfio_device_get_container(b));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds);
	g_assert_cmpuint(g_hash_table_size(f->k->group_set), ==, 1);
	g_assert_cmphex(ranges_last(c, a), ==, one);

	/* a second group joins: read again, and the host IOMMU devices of both
	 * devices report what the kernel allows now */
	calls = f->k->get_info_calls;
	g_assert_true(hiod_vfio_device_attach(b, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k->get_info_calls, >, calls);
	g_assert_cmphex(ranges_last(c, b), ==, two);
	g_assert_cmphex(ranges_last(c, a), ==, two);
	g_assert_cmphex(hiod_container_get_page_size_mask(c), ==, 0x201000);
	g_assert_cmpuint(hiod_container_get_max_mappings(c), ==, 65535);

	/* a second device of a group already in: nothing to read */
	calls = f->k->get_info_calls;
	g_assert_true(hiod_vfio_device_attach(a2, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k->get_info_calls, ==, calls);
	hiod_vfio_device_detach(a2);
	g_assert_cmpuint(f->k->get_info_calls, ==, calls);

	/* the group leaves: the container allows what the other group allows */
	hiod_vfio_device_detach(a);
	g_assert_cmpuint(f->k->get_info_calls, >, calls);
	g_assert_cmphex(ranges_last(c, b), ==, one);
	g_assert_cmphex(hiod_container_get_page_size_mask(c), ==, 0x40201000);
	hiod_vfio_device_detach(b);
	assert_empty(f, c);
}

/* Defect 11: a device of one context attached to a container of another had
 * its fd counted in the container's context and closed through the
 * device's (a critical warning). Now refused before anything is opened. */
static void
test_two_contexts(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContext) ctx2 = hiod_test_tree_context(f->tree);
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = NULL;
	g_autoptr(HiodAddressSpace) as = NULL;

	hiod_test_kernel_install(f->k->base, ctx2); /* the same fake kernel behind both */
	c = hiod_legacy_container_new(ctx2);
	g_assert_false(hiod_vfio_device_attach(a, c, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "another HiodContext"));
	g_clear_error(&error);
	g_assert_null(hiod_vfio_device_get_container(a));
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx2), ==, 0);
	assert_empty(f, c);

	/* an address space made with a context attaches only its devices */
	as = hiod_address_space_new(ctx2);
	g_assert_null(hiod_address_space_attach_device(as, a, HIOD_BACKEND_KIND_LEGACY, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx2), ==, 0);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
}

/* Defect 11: hiod_address_space_new(NULL) follows the device's context: its
 * containers are made with it, so the fds are opened, counted and closed
 * through one context (before, the space's own context made the container). */
static void
test_space_follows_device_context(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = device_new(f, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) b = device_new(f, "0000:00:05.0");
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
	HiodContainer *c;

	c = hiod_address_space_attach_device(as, a, HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_container_get_context(c) == f->ctx);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 3); /* container, group, device */
	g_assert_true(hiod_address_space_add_section(as, 0x100000, 0x1000, GSIZE_TO_POINTER(0x10000), 0,
						     &error));
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_attach_device(as, b, HIOD_BACKEND_KIND_LEGACY, 0, &error) == c);
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 5);
	hiod_address_space_detach_device(as, a);
	hiod_address_space_detach_device(as, b);
	g_assert_false(hiod_address_space_has_container(as, c));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(hiod_context_get_open_fd_count(hiod_address_space_get_context(as)), ==, 0);
}

/* An EPERM at VFIO_SET_IOMMU on a host whose interrupts are not remapped is
 * explained (no MSI isolation) with the parameters that would allow it; not
 * when sysfs shows another cause (remapped interrupts, the parameter set). */
static void
test_eperm_unsafe_interrupts(Fixture *f, gconstpointer data)
{
	struct {
		const gchar *chip, *param;
		gint errnum;
		gboolean explained;
	} cases[] = {
	    {"IO-APIC\n", "N\n", EPERM, TRUE},
	    {"IR-IO-APIC\n", "N\n", EPERM, FALSE},
	    {"IO-APIC\n", "Y\n", EPERM, FALSE},
	    {"IO-APIC\n", "N\n", EACCES, FALSE},
	    {"IO-APIC\n", "N\n", EPERM, FALSE}, /* no IOMMU listed: a no-IOMMU group */
	};
	hiod_test_tree_write(f->tree, "class/iommu/virtio0/uevent", "");
	hiod_test_tree_write(f->tree, "kernel/irq/24/chip_name", "PCI-MSIX-0000:00:04.0\n");
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d = device_new(f, "0000:00:04.0");
	g_autoptr(HiodContainer) c = hiod_legacy_container_new(f->ctx);
		if (i == 4) {
			g_autofree gchar *u = g_build_filename(f->tree->sys, "class/iommu/virtio0/uevent", NULL);
			g_autofree gchar *dir = g_path_get_dirname(u);
			g_assert_cmpint(g_unlink(u), ==, 0);
			g_assert_cmpint(g_rmdir(dir), ==, 0);
		}
		hiod_test_tree_write(f->tree, "kernel/irq/9/chip_name", cases[i].chip);
		hiod_test_tree_write(f->tree, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
				     cases[i].param);
		hiod_context_inject_fault_match(f->ctx, "VFIO_SET_IOMMU", cases[i].errnum, 1);
		g_assert_false(hiod_vfio_device_attach(d, c, 0, &error));
		g_test_message("%s", error->message);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
		g_assert_nonnull(strstr(error->message, "VFIO_SET_IOMMU"));
		if (cases[i].explained) {
			g_assert_nonnull(strstr(error->message, "no interrupt remapping (MSI isolation)"));
			g_assert_nonnull(strstr(error->message, "virtio0"));
			g_assert_nonnull(strstr(error->message, "iommufd.allow_unsafe_interrupts=1"));
			g_assert_nonnull(strstr(error->message, "vfio_iommu_type1.allow_unsafe_interrupts=1"));
			g_assert_nonnull(strstr(error->message, "/sys/module/vfio_iommu_type1/parameters"));
		} else {
			g_assert_null(strstr(error->message, "interrupt remapping"));
		}
		hiod_context_clear_faults(f->ctx);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/hiod/legacy-container/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("attach", test_attach);
	ADD("type1-fallback", test_type1_fallback);
	ADD("nonviable-group", test_nonviable);
	ADD("group-shared", test_group_shared);
	ADD("attach-faults", test_attach_faults);
	ADD("map-unmap-faults", test_map_unmap_faults);
	ADD("dirty", test_dirty);
	ADD("dirty-window-keeps-bits", test_dirty_window_keeps_bits);
	ADD("unmap-dirty-huge-span", test_unmap_dirty_huge_span);
	ADD("unmap-dirty-all-or-nothing", test_unmap_dirty_all_or_nothing);
	ADD("partial-unmap-order", test_partial_unmap_order);
	ADD("double-release", test_double_release);
	ADD("group-join-rereads-info", test_group_join_rereads_info);
	ADD("two-contexts", test_two_contexts);
	ADD("space-follows-device-context", test_space_follows_device_context);
	ADD("eperm-unsafe-interrupts", test_eperm_unsafe_interrupts);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HiodVdpaDevice, HiodVdpaContainer, HiodHostIommuDeviceVdpa against a fake
 * vhost-vdpa kernel that answers the vhost ioctls and keeps the IOTLB the
 * written messages build. */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

typedef struct {
	guint64 iova, last, uaddr;
	guint8 perm;
} FakeMap;

typedef struct {
	guint64 offered;
	guint64 acked;
	guint64 first, last;
	gboolean owner;
	gboolean in_batch;
	guint commits; /* BATCH_END, or a message outside a batch */
	guint limit;	   /* vhost-vdpa's max_iotlb_entries, 0 for none */
	GArray *maps;	   /* FakeMap */
	GString *log;	   /* one letter a message: B U I E */
} FakeVdpa;

/* the base kernel with the vhost-vdpa node's own state (hooks below): the
 * node vhost-vdpa-0, and "null", a node that is no vDPA device */
static int
fake_open(gpointer data, const gchar *path, gint flags)
{
	if (g_str_has_suffix(path, "vhost-vdpa-0"))
		return HIOD_TEST_FD_VDPA;
	if (g_str_has_suffix(path, "null"))
		return HIOD_TEST_FD_OTHER;
	errno = ENOENT;
	return -1;
}

static void
fake_close(gpointer data, HiodTestFd *fd)
{
	FakeVdpa *k = data;
	if (fd->kind == HIOD_TEST_FD_VDPA) {
		/* the kernel drops everything with the owner */
		g_array_set_size(k->maps, 0);
		k->owner = FALSE;
		k->in_batch = FALSE;
		k->acked = 0;
	}
}

static int
fake_reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	FakeVdpa *k = data;
	if (kind != HIOD_TEST_FD_VDPA) {
		errno = ENOTTY;
		return -1;
	}
	switch (request) {
	case HIOD_VHOST_VDPA_GET_DEVICE_ID:
		*(guint32 *)arg = 1;
		return 0;
	case HIOD_VHOST_SET_OWNER:
		if (k->owner) {
			errno = EBUSY;
			return -1;
		}
		k->owner = TRUE;
		return 0;
	case HIOD_VHOST_GET_BACKEND_FEATURES:
		*(guint64 *)arg = k->offered;
		return 0;
	case HIOD_VHOST_SET_BACKEND_FEATURES:
		if (*(guint64 *)arg & ~k->offered) {
			errno = EOPNOTSUPP;
			return -1;
		}
		k->acked = *(guint64 *)arg;
		return 0;
	case HIOD_VHOST_VDPA_GET_IOVA_RANGE: {
		struct hiod_vhost_vdpa_iova_range *r = arg;
		r->first = k->first;
		r->last = k->last;
		return 0;
	}
	default:
		errno = ENOTTY;
		return -1;
	}
}

static gssize
fake_write(gpointer data, HiodTestFd *fd, gconstpointer buf, gsize len)
{
	FakeVdpa *k = data;
	const struct hiod_vhost_msg_v2 *msg = buf;
	const struct hiod_vhost_iotlb_msg *m = &msg->iotlb;
	guint64 last = m->iova + m->size - 1;

	g_assert_cmpint(fd->kind, ==, HIOD_TEST_FD_VDPA);
	g_assert_cmpuint(len, ==, 72);
	g_assert_cmpuint(msg->type, ==, HIOD_VHOST_IOTLB_MSG_V2);
	g_assert_cmpuint(msg->asid, ==, 0);
	if (!k->owner) {
		errno = EFAULT;
		return -1;
	}
	switch (m->type) {
	case HIOD_VHOST_IOTLB_UPDATE:
		g_string_append_c(k->log, 'U');
		if (m->size == 0 || m->iova < k->first || last > k->last || last < m->iova) {
			errno = EFAULT;
			return -1;
		}
		for (guint i = 0; i < k->maps->len; i++) {
			FakeMap *e = &g_array_index(k->maps, FakeMap, i);
			if (e->iova <= last && m->iova <= e->last) {
				errno = EFAULT;
				return -1;
			}
		}
		if (k->limit > 0 && k->maps->len >= k->limit) {
			errno = EFAULT; /* ENOSPC inside */
			return -1;
		}
		g_array_append_val(k->maps, ((FakeMap){m->iova, last, m->uaddr, m->perm}));
		break;
	case HIOD_VHOST_IOTLB_INVALIDATE:
		g_string_append_c(k->log, 'I');
		for (guint i = k->maps->len; i-- > 0;) {
			FakeMap *e = &g_array_index(k->maps, FakeMap, i);
			if (e->iova <= last && m->iova <= e->last)
				g_array_remove_index(k->maps, i);
		}
		break;
	case HIOD_VHOST_IOTLB_BATCH_BEGIN:
		g_string_append_c(k->log, 'B');
		k->in_batch = TRUE;
		return (ssize_t)len;
	case HIOD_VHOST_IOTLB_BATCH_END:
		g_string_append_c(k->log, 'E');
		k->in_batch = FALSE;
		k->commits++;
		return (ssize_t)len;
	default:
		errno = EFAULT;
		return -1;
	}
	if (!k->in_batch)
		k->commits++;
	return (ssize_t)len;
}

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodTestKernel *kernel;
	FakeVdpa k;
	gpointer mem;
	gsize mem_size;
} Fixture;

#define ALL_FEATURES 0x17e

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->tree = hiod_test_tree_new();
	/* vdpa0 bound to vhost_vdpa with its node; vdpa1 bound to virtio_vdpa */
	hiod_test_tree_write(f->tree, "devices/vdpasim_net/vdpa0/vhost-vdpa-0/dev", "238:0\n");
	hiod_test_tree_link(f->tree, "bus/vdpa/devices/vdpa0", "../../../devices/vdpasim_net/vdpa0");
	hiod_test_tree_link(f->tree, "devices/vdpasim_net/vdpa0/driver",
			    "../../../bus/vdpa/drivers/vhost_vdpa");
	hiod_test_tree_write(f->tree, "devices/vdpasim_net/vdpa1/uevent", "");
	hiod_test_tree_link(f->tree, "bus/vdpa/devices/vdpa1", "../../../devices/vdpasim_net/vdpa1");
	hiod_test_tree_link(f->tree, "devices/vdpasim_net/vdpa1/driver",
			    "../../../bus/vdpa/drivers/virtio_vdpa");
	hiod_test_tree_touch_dev(f->tree, "vhost-vdpa-0");
	hiod_test_tree_touch_dev(f->tree, "null");
	f->ctx = hiod_test_tree_context(f->tree);
	f->k.offered = ALL_FEATURES;
	f->k.first = 0;
	f->k.last = G_MAXUINT64;
	f->k.maps = g_array_new(FALSE, FALSE, sizeof(FakeMap));
	f->k.log = g_string_new(NULL);
	f->kernel = hiod_test_kernel_new(f->ctx);
	f->kernel->reply = fake_reply;
	f->kernel->open_hook = fake_open;
	f->kernel->close_hook = fake_close;
	f->kernel->write_hook = fake_write;
	f->kernel->reply_data = &f->k;
	f->mem_size = 64 * 4096;
	f->mem = mmap(NULL, f->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_assert_true(f->mem != MAP_FAILED);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(f->kernel->open_fds, ==, 0);
	g_object_unref(f->ctx);
	hiod_test_kernel_free(f->kernel);
	hiod_test_tree_free(f->tree);
	g_array_unref(f->k.maps);
	g_string_free(f->k.log, TRUE);
	munmap(f->mem, f->mem_size);
}

static gpointer
page(Fixture *f, guint n)
{
	return (guint8 *)f->mem + n * 4096;
}

/* the device ------------------------------------------------------------------ */

static void
test_open_by_name(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	guint64 first = 1, last = 0;

	g_assert_no_error(error);
	g_assert_cmpstr(hiod_vdpa_device_get_name(dev), ==, "vdpa0");
	g_assert_true(g_str_has_suffix(hiod_vdpa_device_get_node(dev), "/dev/vhost-vdpa-0"));
	g_assert_cmpuint(hiod_vdpa_device_get_device_id(dev), ==, 1);
	g_assert_cmphex(hiod_vdpa_device_get_offered_features(dev), ==, ALL_FEATURES);
	/* the wire masks are 1 << bit: V2 0x2, BATCH 0x4, ASID 0x8 */
	g_assert_cmphex(hiod_vdpa_device_get_backend_features(dev), ==, 0xe);
	g_assert_cmphex(f->k.acked, ==, 0xe);
	g_assert_true(f->k.owner);
	hiod_vdpa_device_get_iova_range(dev, &first, &last);
	g_assert_cmphex(first, ==, 0);
	g_assert_cmphex(last, ==, G_MAXUINT64);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 1);
	g_clear_object(&dev);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_false(f->k.owner);
}

static void
test_open_by_node(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *node = g_build_filename(f->tree->dev, "vhost-vdpa-0", NULL);
	g_autoptr(HiodVdpaDevice) dev = hiod_vdpa_device_new(f->ctx, node, &error);
	g_autoptr(HiodVdpaDevice) dev2 = NULL;
	g_assert_no_error(error);
	/* the name comes from sysfs */
	g_assert_cmpstr(hiod_vdpa_device_get_name(dev), ==, "vdpa0");
	g_clear_object(&dev);
	dev2 = hiod_vdpa_device_new(f->ctx, "vhost-vdpa-0", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(hiod_vdpa_device_get_name(dev2), ==, "vdpa0");
}

static void
test_not_vhost_vdpa(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *node = g_build_filename(f->tree->dev, "null", NULL);
	g_autoptr(HiodVdpaDevice) dev = hiod_vdpa_device_new(f->ctx, node, &error);
	g_assert_null(dev);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "is not a vhost-vdpa device node"));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_clear_error(&error);

	/* vdpa1 is bound to virtio_vdpa: no node to open */
	dev = hiod_vdpa_device_new(f->ctx, "vdpa1", &error);
	g_assert_null(dev);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_assert_nonnull(strstr(error->message, "virtio_vdpa"));
	g_clear_error(&error);

	dev = hiod_vdpa_device_new(f->ctx, "vdpa9", &error);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
}

static void
test_missing_features(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = NULL;

	f->k.offered = 0x4 | 0x8; /* batch and asid, but no IOTLB message v2 */
	dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	g_assert_null(dev);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "IOTLB message v2"));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_false(f->k.owner);
	g_clear_error(&error);

	/* v2 alone: acked alone, and maps are not batched */
	f->k.offered = 0x2;
	dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	g_assert_no_error(error);
	g_assert_cmphex(f->k.acked, ==, 0x2);
	{
		HiodVdpaMapEntry e[2] = {{0x1000, 0x1000, page(f, 0), 0}, {0x3000, 0x1000, page(f, 1), 0}};
		g_assert_true(hiod_vdpa_device_dma_map_batch(dev, e, 2, &error));
		g_assert_no_error(error);
		g_assert_cmpstr(f->k.log->str, ==, "UU");
	}
}

/* fail every chokepoint call of the open in turn: nothing stays open */
static void
test_open_faults(Fixture *f, gconstpointer data)
{
	HiodTestFaultWalk w;
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodVdpaDevice) dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
		if (hiod_test_fault_walk_done(&w, dev != NULL)) {
			g_assert_no_error(error);
			g_assert_cmpuint(w.n, >, 4);
			break;
		}
		g_assert_null(dev);
		g_assert_nonnull(error);
		g_assert_true(g_str_has_prefix(error->message, "opening vDPA device vdpa0: "));
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
		g_assert_false(f->k.owner);
	}
}

/* fail each IOTLB write of a batch in turn: nothing is left mapped, no batch is left open */
static void
test_batch_faults(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	HiodVdpaMapEntry e[4];
	HiodTestFaultWalk w;

	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(e); i++)
		e[i] = (HiodVdpaMapEntry){0x100000 + i * 0x2000, 0x1000, page(f, i), 0};
	for (hiod_test_fault_walk_init(&w, f->ctx, EFAULT); hiod_test_fault_walk_next(&w);) {
		gboolean ok;
		g_string_truncate(f->k.log, 0);
		ok = hiod_vdpa_device_dma_map_batch(dev, e, G_N_ELEMENTS(e), &error);
		if (hiod_test_fault_walk_done(&w, ok))
			break;
		g_assert_false(ok);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "IOTLB"));
		g_test_message("write %u failed: %s (kernel saw %s)", w.n, error->message, f->k.log->str);
		g_clear_error(&error);
		g_assert_cmpuint(f->k.maps->len, ==, 0);
		g_assert_false(f->k.in_batch);
	}
	g_assert_cmpuint(w.n, ==, 7); /* BEGIN, 4 UPDATEs, END */
	g_assert_cmpstr(f->k.log->str, ==, "BUUUUE");
	g_assert_cmpuint(f->k.maps->len, ==, 4);

	/* a single map is one message, not a batch */
	g_string_truncate(f->k.log, 0);
	g_assert_true(hiod_vdpa_device_dma_map(dev, 0x200000, 0x1000, page(f, 8), HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_cmpstr(f->k.log->str, ==, "U");
	g_assert_cmpuint(g_array_index(f->k.maps, FakeMap, 4).perm, ==, HIOD_VHOST_ACCESS_RO);
	/* the kernel refuses an overlap with EFAULT: the message says what was tried */
	g_assert_false(hiod_vdpa_device_dma_map(dev, 0x200000, 0x1000, page(f, 9), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "IOTLB UPDATE of IOVA [0x200000, 0x200fff]"));
	g_assert_nonnull(strstr(error->message, "EFAULT"));
	g_clear_error(&error);
	/* wrap-around is refused before the kernel sees it */
	g_string_truncate(f->k.log, 0);
	g_assert_false(hiod_vdpa_device_dma_map(dev, G_MAXUINT64 - 0xfff, 0x2000, page(f, 9), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_cmpstr(f->k.log->str, ==, "");
	g_clear_error(&error);
	g_assert_true(hiod_vdpa_device_dma_unmap(dev, 0, G_MAXUINT64, &error));
	g_assert_cmpuint(f->k.maps->len, ==, 0);
}

/* the container --------------------------------------------------------------- */

static void
test_container(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = NULL;
	g_autoptr(HiodContainer) c = NULL;
	g_autoptr(GPtrArray) ranges = NULL;

	f->k.first = 0x1000;
	f->k.last = 0xfffff;
	dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	g_assert_no_error(error);
	c = hiod_vdpa_container_new(dev, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_container_is_setup(c));
	g_assert_cmpint(hiod_container_get_backend_kind(c), ==, HIOD_BACKEND_KIND_VDPA);
	g_assert_cmpuint(hiod_container_get_max_mappings(c), ==, 2048);
	g_assert_cmphex(hiod_container_get_page_size_mask(c), ==, (guint64)sysconf(_SC_PAGESIZE));
	ranges = hiod_container_get_iova_ranges(c);
	g_assert_cmpuint(ranges->len, ==, 1);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 0))->last, ==, 0xfffff);

	g_assert_true(hiod_container_dma_map(c, 0x10000, 0x4000, page(f, 0), 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.maps->len, ==, 1);
	/* outside the device's range, overlap: refused before any message */
	g_string_truncate(f->k.log, 0);
	g_assert_false(hiod_container_dma_map(c, 0xff000, 0x2000, page(f, 8), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_clear_error(&error);
	g_assert_false(hiod_container_dma_map(c, 0x0, 0x1000, page(f, 8), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_clear_error(&error);
	g_assert_false(hiod_container_dma_map(c, 0x12000, 0x4000, page(f, 8), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);
	g_assert_cmpstr(f->k.log->str, ==, "");

	/* a partial unmap is split by the base class: INVALIDATE the whole, UPDATE both sides */
	g_assert_true(hiod_container_dma_unmap(c, 0x11000, 0x1000, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(f->k.log->str, ==, "IUU");
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	g_assert_cmpuint(f->k.maps->len, ==, 2);

	/* the container's mappings go when it does */
	g_clear_object(&c);
	g_assert_cmpuint(f->k.maps->len, ==, 0);
}

static gchar *
fake_state(Fixture *f)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < f->k.maps->len; i++) {
		FakeMap *e = &g_array_index(f->k.maps, FakeMap, i);
		g_string_append_printf(s, "[%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x->%" G_GINT64_MODIFIER "x]",
				       e->iova, e->last, e->uaddr);
	}
	return g_string_free(s, FALSE);
}

static gint
fakemap_cmp(gconstpointer a, gconstpointer b)
{
	const FakeMap *x = a, *y = b;
	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* fail each IOTLB write of a container map and of a split unmap in turn: state as before */
static void
test_container_faults(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	g_autoptr(HiodContainer) c = hiod_vdpa_container_new(dev, &error);
	g_autofree gchar *before = NULL;
	HiodTestFaultWalk w;

	g_assert_no_error(error);
	g_assert_true(hiod_container_dma_map(c, 0x10000, 0x4000, page(f, 0), 0, &error));
	before = fake_state(f);
	for (hiod_test_fault_walk_init(&w, f->ctx, EFAULT); hiod_test_fault_walk_next(&w);) {
		g_autofree gchar *after = NULL;
		gboolean ok = hiod_container_dma_map(c, 0x20000, 0x1000, page(f, 8), 0, &error);
		if (hiod_test_fault_walk_done(&w, ok))
			break;
		g_assert_false(ok);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
		after = fake_state(f);
		g_assert_cmpstr(after, ==, before);
		g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	}
	g_assert_cmpuint(w.n, ==, 2);
	g_assert_true(hiod_container_dma_unmap(c, 0x20000, 0x1000, &error));

	/* split unmap: INVALIDATE, UPDATE left, UPDATE right; each fails in turn */
	for (hiod_test_fault_walk_init(&w, f->ctx, EFAULT); hiod_test_fault_walk_next(&w);) {
		g_autofree gchar *after = NULL;
		gboolean ok;
		g_string_truncate(f->k.log, 0);
		ok = hiod_container_dma_unmap(c, 0x11000, 0x1000, &error);
		if (hiod_test_fault_walk_done(&w, ok))
			break;
		g_assert_false(ok);
		g_assert_nonnull(error);
		g_test_message("write %u failed: %s (kernel saw %s)", w.n, error->message, f->k.log->str);
		g_clear_error(&error);
		g_array_sort(f->k.maps, fakemap_cmp);
		after = fake_state(f);
		g_assert_cmpstr(after, ==, before);
		g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	}
	g_assert_cmpuint(w.n, ==, 4);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
}

/* the host IOMMU device ---------------------------------------------------------- */

static void
test_host_iommu_device(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;
	HiodHostIommuDevice *hiod;
	HiodHostIommuCaps *caps;
	guint64 mask = 0;

	f->k.first = 0x1000;
	f->k.last = 0xffffffffff; /* 40 bits */
	dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	g_assert_no_error(error);
	hiod = hiod_vdpa_device_get_host_iommu_device(dev, &error);
	g_assert_no_error(error);
	g_assert_true(HIOD_IS_HOST_IOMMU_DEVICE_VDPA(hiod));
	g_assert_true(hiod_host_iommu_device_is_realized(hiod));
	g_assert_cmpstr(hiod_host_iommu_device_get_name(hiod), ==, "vdpa0");
	caps = hiod_host_iommu_device_get_caps(hiod);
	g_assert_cmpint(hiod_host_iommu_caps_get_iommu_type(caps), ==, HIOD_IOMMU_TYPE_VDPA);
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), ==, 40);
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod, &error);
	g_assert_cmpuint(ranges->len, ==, 1);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 0))->start, ==, 0x1000);
	g_assert_true(hiod_host_iommu_device_get_page_size_mask(hiod, &mask, &error));
	g_assert_cmphex(mask, ==, (guint64)sysconf(_SC_PAGESIZE));
	g_assert_true(hiod_vdpa_device_get_host_iommu_device(dev, NULL) == hiod);

	hiod_host_iommu_device_to_json(hiod, b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	g_assert_nonnull(strstr(json, "\"iotlb-msg-v2\""));
	g_assert_nonnull(strstr(json, "\"vdpa\""));

	/* realize from something that is not a vDPA device fails and keeps nothing */
	{
		g_autoptr(HiodHostIommuDevice) other = hiod_host_iommu_device_vdpa_new();
		g_assert_false(hiod_host_iommu_device_realize(other, NULL, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_false(hiod_host_iommu_device_is_realized(other));
	}
}

static void
test_list(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = hiod_context_list_vdpa_devices(f->ctx, &error);
	HiodVdpaDeviceInfo *i0, *i1;
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 2);
	i0 = g_ptr_array_index(list, 0);
	i1 = g_ptr_array_index(list, 1);
	g_assert_cmpstr(i0->name, ==, "vdpa0");
	g_assert_cmpstr(i0->driver, ==, "vhost_vdpa");
	g_assert_cmpstr(i0->mgmtdev, ==, "vdpasim_net");
	g_assert_true(g_str_has_suffix(i0->node, "/dev/vhost-vdpa-0"));
	g_assert_cmpstr(i1->name, ==, "vdpa1");
	g_assert_cmpstr(i1->driver, ==, "virtio_vdpa");
	g_assert_null(i1->node);
}

/* the container's mapping limit is the kernel's max_iotlb_entries (a vhost_vdpa
 * parameter in sysfs), 2048 when sysfs does not say; 0 maps nothing */
static void
test_container_kernel_limit(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = NULL;
	g_autoptr(HiodContainer) c = NULL;

	hiod_test_tree_write(f->tree, "module/vhost_vdpa/parameters/max_iotlb_entries", "16\n");
	f->k.limit = 16;
	dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	g_assert_no_error(error);
	c = hiod_vdpa_container_new(dev, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_max_mappings(c), ==, 16);
	for (guint i = 0; i < 16; i++) {
		g_assert_true(hiod_container_dma_map(c, 0x10000 + i * 0x2000, 0x1000, page(f, i), 0, &error));
		g_assert_no_error(error);
	}
	g_string_truncate(f->k.log, 0);
	/* the 17th: refused clearly, before the kernel */
	g_assert_false(hiod_container_dma_map(c, 0x80000, 0x1000, page(f, 16), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_assert_cmpstr(f->k.log->str, ==, "");
	/* it says how many are left and what to do */
	g_assert_nonnull(strstr(error->message, "(0 left)"));
	g_assert_nonnull(strstr(error->message, "hiod_address_space_set_coalesce()"));
	g_assert_nonnull(strstr(error->message, "max_iotlb_entries"));
	g_assert_cmpuint(f->k.maps->len, ==, 16);
	g_clear_error(&error);
	g_clear_object(&c);

	/* 0: vhost-vdpa maps nothing, the container says so */
	hiod_test_tree_write(f->tree, "module/vhost_vdpa/parameters/max_iotlb_entries", "0\n");
	c = hiod_vdpa_container_new(dev, &error);
	g_assert_null(c);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "max_iotlb_entries is 0"));
	g_clear_error(&error);

	/* what the kernel would never print is refused, naming the file */
	hiod_test_tree_write(f->tree, "module/vhost_vdpa/parameters/max_iotlb_entries", "16k\n");
	c = hiod_vdpa_container_new(dev, &error);
	g_assert_null(c);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "parameters/max_iotlb_entries"));
}

/* The factory honours the vdpa kind: the vDPA container of the vDPA device
 * given (AUTO picks it for a vDPA device); without one it says what to pass. */
static void
test_container_factory(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = NULL;
	g_autoptr(HiodContainer) c = NULL;
	g_autoptr(HiodContainer) a = NULL;

	f->k.first = 0x1000;
	f->k.last = 0xfffff;
	dev = hiod_vdpa_device_new(f->ctx, "vdpa0", &error);
	g_assert_no_error(error);
	c = hiod_container_new_for_device(f->ctx, HIOD_BACKEND_KIND_VDPA, G_OBJECT(dev), &error);
	g_assert_no_error(error);
	g_assert_true(HIOD_IS_VDPA_CONTAINER(c));
	g_assert_true(hiod_vdpa_container_get_device(HIOD_VDPA_CONTAINER(c)) == dev);
	g_assert_true(hiod_container_is_setup(c));
	g_assert_cmpint(hiod_container_get_backend_kind(c), ==, HIOD_BACKEND_KIND_VDPA);
	g_assert_true(hiod_container_dma_map(c, 0x10000, 0x4000, page(f, 0), 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.maps->len, ==, 1);
	g_assert_true(hiod_container_dma_unmap_all(c, &error));
	g_assert_no_error(error);
	g_clear_object(&c);

	a = hiod_container_new_for_device(f->ctx, HIOD_BACKEND_KIND_AUTO, G_OBJECT(dev), &error);
	g_assert_no_error(error);
	g_assert_true(HIOD_IS_VDPA_CONTAINER(a));

	/* no vDPA device: not "not in this build", but what to give */
	c = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_VDPA, NULL, &error);
	g_assert_null(c);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "hiod_vdpa_device_new()"));
	g_clear_error(&error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/hiod/vdpa-device/open-by-name", test_open_by_name);
	ADD("/hiod/vdpa-device/open-by-node", test_open_by_node);
	ADD("/hiod/vdpa-device/not-vhost-vdpa", test_not_vhost_vdpa);
	ADD("/hiod/vdpa-device/missing-features", test_missing_features);
	ADD("/hiod/vdpa-device/open-faults", test_open_faults);
	ADD("/hiod/vdpa-device/batch-faults", test_batch_faults);
	ADD("/hiod/vdpa-device/list", test_list);
	ADD("/hiod/vdpa-container/map-unmap", test_container);
	ADD("/hiod/vdpa-container/faults", test_container_faults);
	ADD("/hiod/vdpa-container/kernel-limit", test_container_kernel_limit);
	ADD("/hiod/vdpa-container/factory", test_container_factory);
	ADD("/hiod/host-iommu-device-vdpa/realize", test_host_iommu_device);
	return g_test_run();
}

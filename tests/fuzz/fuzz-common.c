/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fuzz-common.h"
#include "hiod-uapi-private.h"

guint8
fuzz_u8(FuzzInput *in)
{
	return in->pos < in->len ? in->data[in->pos++] : 0;
}

guint32
fuzz_u32(FuzzInput *in)
{
	guint32 v = 0;
	for (guint i = 0; i < 4; i++)
		v |= (guint32)fuzz_u8(in) << (8 * i);
	return v;
}

guint64
fuzz_u64(FuzzInput *in)
{
	return fuzz_u32(in) | (guint64)fuzz_u32(in) << 32;
}

const guint8 *
fuzz_bytes(FuzzInput *in, gsize want, gsize *got)
{
	const guint8 *p = in->data + in->pos;
	*got = MIN(want, in->len - in->pos);
	in->pos += *got;
	return p;
}

gchar *
fuzz_string(FuzzInput *in, gsize max)
{
	gsize n = 0;
	gchar *s;
	while (in->pos + n < in->len && n < max && in->data[in->pos + n] != 0)
		n++;
	s = g_strndup((const gchar *)in->data + in->pos, n);
	in->pos += n;
	if (in->pos < in->len)
		in->pos++; /* the NUL */
	return s;
}

static void
fuzz_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
		g_printerr("%s: %s\n", domain != NULL ? domain : "", message);
		abort();
	}
	if (data != NULL) /* FUZZ_DEBUG set: the calls hiod makes */
		g_printerr("%s\n", message);
}

void
fuzz_init(void)
{
	g_log_set_default_handler(fuzz_log_handler, g_getenv("FUZZ_DEBUG") != NULL ? (gpointer)1 : NULL);
}

/* the fuzzed kernel ------------------------------------------------------------ */

static const gint fuzz_errnos[] = {ENOSPC, EMSGSIZE, EINVAL, ENOTTY, ENOENT, EBUSY, ENODEV,
				   EPERM, EFAULT, ENOMEM, EOPNOTSUPP, EIO, EAGAIN, EEXIST,
				   ENXIO, EACCES};

/* The bytes the kernel may write at @arg (the size hiod stamped, or the ioctl's own). */
static gsize
fuzz_reply_size(HiodTestFdKind kind, gulong request, gpointer arg)
{
	if (kind == HIOD_TEST_FD_VDPA)
		return _IOC_SIZE(request);
	return *(guint32 *)arg; /* VFIO argsz, iommufd size: stamped by the chokepoint */
}

static gboolean
fuzz_kernel_fuzzes(HiodTestFdKind kind, gulong request, gboolean spapr)
{
	switch (kind) {
	case HIOD_TEST_FD_CONTAINER:
		return spapr ? request == HIOD_VFIO_IOMMU_SPAPR_TCE_GET_INFO ||
				       request == HIOD_VFIO_IOMMU_SPAPR_TCE_CREATE
			     : request == HIOD_VFIO_IOMMU_GET_INFO || request == HIOD_VFIO_IOMMU_DIRTY_PAGES;
	case HIOD_TEST_FD_GROUP:
		return request == HIOD_VFIO_GROUP_GET_STATUS;
	case HIOD_TEST_FD_DEVICE:
		return request == HIOD_VFIO_DEVICE_GET_INFO || request == HIOD_VFIO_DEVICE_GET_REGION_INFO ||
		       request == HIOD_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO ||
		       request == HIOD_VFIO_DEVICE_BIND_IOMMUFD;
	case HIOD_TEST_FD_IOMMUFD:
		return request == HIOD_IOMMU_IOAS_ALLOC || request == HIOD_IOMMU_HWPT_ALLOC ||
		       request == HIOD_IOMMU_IOAS_IOVA_RANGES || request == HIOD_IOMMU_GET_HW_INFO;
	case HIOD_TEST_FD_VDPA:
		return request == HIOD_VHOST_VDPA_GET_DEVICE_ID ||
		       request == HIOD_VHOST_GET_BACKEND_FEATURES ||
		       request == HIOD_VHOST_VDPA_GET_IOVA_RANGE;
	}
	return FALSE;
}

static void
fuzz_write(FuzzInput *in, gpointer dst, gsize room)
{
	gsize want = fuzz_u8(in) | (gsize)fuzz_u8(in) << 8, got;
	const guint8 *p = fuzz_bytes(in, want, &got);
	memcpy(dst, p, MIN(got, room));
}

static int
fuzz_reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	FuzzKernel *fk = data;
	gsize room;
	gpointer second = NULL;
	gsize second_room = 0;
	guint8 ctl;
	int ret;

	if (!fuzz_kernel_fuzzes(kind, request, fk->k->spapr) || fk->in.pos >= fk->in.len)
		return hiod_test_kernel_default_ioctl(fk->k, kind, request, arg);
	room = fuzz_reply_size(kind, request, arg);
	if (kind == HIOD_TEST_FD_IOMMUFD && request == HIOD_IOMMU_IOAS_IOVA_RANGES) {
		struct hiod_iommu_ioas_iova_ranges *r = arg;
		second = (gpointer)(guintptr)r->allowed_iovas;
		second_room = (gsize)r->num_iovas * sizeof(struct hiod_iommu_iova_range);
	} else if (kind == HIOD_TEST_FD_IOMMUFD && request == HIOD_IOMMU_GET_HW_INFO) {
		struct hiod_iommu_hw_info *h = arg;
		second = (gpointer)(guintptr)h->data_uptr;
		second_room = h->data_len;
	}
	ret = hiod_test_kernel_default_ioctl(fk->k, kind, request, arg);
	ctl = fuzz_u8(&fk->in);
	if (ctl & 1) {
		fuzz_write(&fk->in, arg, room);
		if (second != NULL)
			fuzz_write(&fk->in, second, second_room);
	}
	if (ctl & 2) {
		errno = fuzz_errnos[(ctl >> 2) % G_N_ELEMENTS(fuzz_errnos)];
		return -1;
	}
	if (ret < 0 && (ctl & 1)) /* a rewritten reply is a success unless it says it fails */
		ret = 0;
	return ret;
}

void
fuzz_kernel_init(FuzzKernel *fk, const guint8 *data, gsize len, gboolean spapr)
{
	static HiodTestTree *tree; /* the same healthy sysfs every run */
	if (tree == NULL) {
		tree = hiod_test_tree_new();
		hiod_test_tree_add_fake_kernel_devices(tree);
	}
	fk->tree = tree;
	fk->ctx = hiod_test_tree_context(fk->tree);
	fk->k = hiod_test_kernel_new(fk->ctx);
	fk->k->spapr = spapr;
	fk->k->reply = fuzz_reply;
	fk->k->reply_data = fk;
	fk->in = (FuzzInput){.data = data, .len = len};
}

void
fuzz_kernel_finish(FuzzKernel *fk)
{
	if (hiod_context_get_open_fd_count(fk->ctx) != 0 || fk->k->open_fds != 0) {
		g_printerr("left open: %u fds in the context, %u in the kernel\n",
			   hiod_context_get_open_fd_count(fk->ctx), fk->k->open_fds);
		abort();
	}
	g_clear_object(&fk->ctx);
	hiod_test_kernel_free(fk->k);
}

/* the VMM's side ---------------------------------------------------------------- */

static guint8 fuzz_ram[1 << 17] __attribute__((aligned(1 << 16)));

void
fuzz_exercise_container(HiodContainer *c, HiodVfioDevice *device, HiodHostIommuDevice *hiod)
{
	g_autoptr(GPtrArray) ranges = hiod_container_get_iova_ranges(c);
	guint64 bitmap[4] = {0};
	guint64 iova = 0x100000;

	if (hiod != NULL) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) node = NULL;
		g_autofree gchar *json = NULL;
		hiod_host_iommu_device_to_json(hiod, b);
		node = json_builder_get_root(b);
		if (node != NULL)
			json = json_to_string(node, FALSE);
	}
	if (ranges->len > 0) {
		const HiodIovaRange *r = g_ptr_array_index(ranges, 0);
		iova = MAX(r->start, iova) & ~G_GUINT64_CONSTANT(0xffff);
	}
	if (hiod_container_dma_map(c, iova, 1 << 16, fuzz_ram, HIOD_DMA_FLAGS_NONE, NULL)) {
		if (hiod_container_set_dirty_tracking(c, TRUE, NULL)) {
			hiod_container_query_dirty_bitmap(c, iova, 1 << 16, 4096, bitmap,
							  HIOD_DIRTY_FLAGS_NONE, NULL);
			hiod_container_set_dirty_tracking(c, FALSE, NULL);
		}
		hiod_container_dma_unmap(c, iova, 1 << 16, NULL);
	}
	if (device != NULL) {
		HiodVfioRegionInfo ri;
		guint8 byte;
		for (guint i = 0; i < 3; i++)
			hiod_vfio_device_get_region_info(device, i, &ri, NULL);
		hiod_vfio_device_region_read(device, 0, 0, &byte, 1, NULL);
		hiod_vfio_device_hot_reset(device, NULL);
	}
}

void
fuzz_vfio_device_run(FuzzKernel *fk, HiodBackendKind kind)
{
	g_autoptr(HiodVfioDevice) dev = hiod_vfio_device_new(fk->ctx, "0000:00:04.0", NULL);
	g_autoptr(HiodContainer) c = NULL;

	if (dev == NULL)
		abort(); /* sysfs is the healthy tree */
	c = hiod_container_new(fk->ctx, kind, dev, NULL);
	if (c == NULL)
		return;
	if (hiod_vfio_device_attach(dev, c, 0, NULL)) {
		fuzz_exercise_container(c, dev, hiod_vfio_device_get_host_iommu_device(dev));
		hiod_vfio_device_detach(dev);
	}
	hiod_container_release(c);
}

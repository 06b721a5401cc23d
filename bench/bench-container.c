/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hiod-backend-private.h"
#include "bench-container.h"

struct _BenchContainer {
	HiodContainer parent_instance;
};
G_DEFINE_TYPE(BenchContainer, bench_container, HIOD_TYPE_CONTAINER)

static gboolean
bench_container_setup(HiodContainer *c, GError **error)
{
	hiod_container_set_page_size_mask(c, 0x1000);
	return TRUE;
}

static gboolean
bench_container_dma_map(HiodContainer *c, guint64 iova, guint64 size, gpointer vaddr,
			HiodDmaFlags flags, GError **error)
{
	return TRUE;
}

static gboolean
bench_container_dma_unmap(HiodContainer *c, guint64 iova, guint64 size, gboolean all,
			  GError **error)
{
	return TRUE;
}

static gboolean
bench_container_attach_device(HiodContainer *c, HiodVfioDevice *d, guint64 f, GError **error)
{
	return TRUE;
}

static void
bench_container_detach_device(HiodContainer *c, HiodVfioDevice *d)
{
}

static void
bench_container_init(BenchContainer *self)
{
}

static void
bench_container_class_init(BenchContainerClass *klass)
{
	HiodContainerClass *cc = HIOD_CONTAINER_CLASS(klass);
	cc->setup = bench_container_setup;
	cc->dma_map = bench_container_dma_map;
	cc->dma_unmap = bench_container_dma_unmap;
	cc->attach_device = bench_container_attach_device;
	cc->detach_device = bench_container_detach_device;
}

HiodContainer *
bench_container_new(void)
{
	HiodContainer *c = g_object_new(BENCH_TYPE_CONTAINER, NULL);
	if (!hiod_container_setup(c, NULL))
		g_error("bench container setup");
	return c;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sPAPR TCE backend on x86: the window planner, table-driven, and
 * HiodSpaprContainer against a fake kernel that answers the sPAPR ioctls the
 * way the 6.12 pseries guest measured in test-vm-ppc64.md does. */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hiod-spapr-plan-private.h"
#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

#define K(x) (G_GUINT64_CONSTANT(x) << 10)
#define M(x) (G_GUINT64_CONSTANT(x) << 20)
#define G(x) (G_GUINT64_CONSTANT(x) << 30)
#define HI HIOD_SPAPR_DDW64_START

/* the planner --------------------------------------------------------------------- */

typedef struct {
	const gchar *name;
	gboolean v1;
	gboolean pseries; /* a window at 0 only in the default shape */
	guint max_windows;
	guint64 max_page;
	HiodSpaprWindow windows[2];
	guint n_windows;
	HiodSpaprSection sections[2];
	guint n_sections;
	const gchar *steps; /* expected, or NULL when refused */
	gint code;
	const gchar *why; /* a part of the error message */
} PlanCase;

static const PlanCase plan_cases[] = {
    {"in-default", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 0}}, 1, {{M(256), K(64), K(64)}}, 1, "", 0, NULL},
    {"recreate-default", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 0}}, 1, {{G(1), K(64), K(128)}}, 1,
     "remove 0x0; create 0x0 2G 64K", 0, NULL},
    {"window-64bit", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 3}}, 1, {{HI, K(64), K(64)}}, 1,
     "create 0x800000000000000 1G 64K", 0, NULL},
    {"page-from-alignment", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 0}}, 1, {{G(1) + K(4), K(4), K(4)}}, 1,
     "remove 0x0; create 0x0 2G 4K", 0, NULL},
    {"page-up-to-host", FALSE, FALSE, 2, M(16), {{0, G(1), 12, 1}}, 1, {{HI, M(32), M(16)}}, 1,
     "create 0x800000000000000 1G 16M", 0, NULL},
    {"page-host-caps", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 1}}, 1, {{HI, M(32), M(16)}}, 1,
     "create 0x800000000000000 1G 64K", 0, NULL},
    {"both-slots", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 1}}, 1, {{K(64), K(64), K(64)}, {HI + G(3), K(64), 0}}, 2,
     "create 0x800000000000000 4G 64K", 0, NULL},
    {"no-default", FALSE, FALSE, 2, K(64), {{0}}, 0, {{G(4), K(64), 0}}, 1, "create 0x0 8G 64K", 0, NULL},
    {"default-in-use", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 1}}, 1, {{G(1), K(64), 0}}, 1, NULL,
     HIOD_ERROR_OUT_OF_RANGE, "holds mappings"},
    {"v1-outside", TRUE, FALSE, 1, K(64), {{0, G(1), 12, 0}}, 1, {{G(2), K(64), 0}}, 1, NULL,
     HIOD_ERROR_OUT_OF_RANGE, "the host cannot create windows"},
    {"crosses-slots", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 0}}, 1, {{HI - K(64), K(128), 0}}, 1, NULL,
     HIOD_ERROR_OUT_OF_RANGE, "crosses 0x800000000000000"},
    {"too-many-windows", FALSE, FALSE, 1, K(64), {{0, G(1), 12, 1}}, 1, {{HI, K(64), 0}}, 1, NULL,
     HIOD_ERROR_NO_SPACE, "at most 1 windows"},
    {"too-many-tces", FALSE, FALSE, 2, K(4), {{0, G(1), 12, 1}}, 1, {{HI + (G(1) << 20), K(4), 0}}, 1, NULL,
     HIOD_ERROR_NO_SPACE, "TCEs of 4K"},
    {"unaligned-in-window", FALSE, FALSE, 2, K(64), {{0, G(1), 16, 2}}, 1, {{K(4), K(4), 0}}, 1, NULL,
     HIOD_ERROR_INVALID_ARGUMENT, "not aligned to the 64K pages"},
    {"no-page-size", FALSE, FALSE, 2, K(64), {{0, G(1), 12, 0}}, 1, {{G(1) + 0x800, 0x800, 0}}, 1, NULL,
     HIOD_ERROR_INVALID_ARGUMENT, "aligned (IOVA, size and host address) to none of"},
    {"pseries-default-shape-only", FALSE, TRUE, 2, K(64), {{0, G(1), 12, 0}}, 1, {{G(1), K(64), 0}}, 1, NULL,
     HIOD_ERROR_OUT_OF_RANGE, "only in the shape of the default one"},
    {"pseries-recreate-default", FALSE, TRUE, 2, K(64), {{HI, G(1), 16, 1}}, 1, {{M(1), K(64), K(64)}}, 1,
     "create 0x0 1G 4K", 0, NULL},
    {"pseries-64bit", FALSE, TRUE, 2, K(64), {{0, G(1), 12, 1}}, 1, {{HI, K(64), K(64)}}, 1,
     "create 0x800000000000000 1G 64K", 0, NULL},
};

static gchar *
steps_to_string(GArray *steps)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < steps->len; i++) {
		const HiodSpaprStep *st = &g_array_index(steps, HiodSpaprStep, i);
		g_autofree gchar *size = hiod_spapr_format_size(st->size);
		g_autofree gchar *pg = hiod_spapr_format_size(G_GUINT64_CONSTANT(1) << st->page_shift);
		if (i > 0)
			g_string_append(s, "; ");
		if (st->kind == HIOD_SPAPR_STEP_REMOVE)
			g_string_append_printf(s, "remove 0x%" G_GINT64_MODIFIER "x", st->start);
		else
			g_string_append_printf(s, "create 0x%" G_GINT64_MODIFIER "x %s %s", st->start, size, pg);
	}
	return g_string_free(s, FALSE);
}

static void
test_plan(gconstpointer data)
{
	const PlanCase *c = data;
	HiodSpaprTceInfo info = {
	    .dma32_start = 0,
	    .dma32_size = G(1),
	    .ddw_pgsizes = c->v1 ? 0 : 0x1211000,
	    .max_windows = c->max_windows,
	    .levels = 1,
	    .max_page_size = c->max_page,
	    .ddw64_start = HI,
	    .low_slot_default_only = c->pseries,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) steps = hiod_spapr_plan_windows(&info, c->windows, c->n_windows, c->sections,
							  c->n_sections, &error);
	if (c->steps != NULL) {
		g_autofree gchar *str = NULL;
		g_assert_no_error(error);
		str = steps_to_string(steps);
		g_assert_cmpstr(str, ==, c->steps);
	} else {
		g_assert_null(steps);
		g_assert_error(error, HIOD_ERROR, c->code);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, c->why));
	}
}

/* the fake kernel: the base kernel, with the sPAPR container's own state as
 * its hooks ------------------------------------------------------------------ */

typedef struct {
	guint64 start, size;
	guint shift;
} FakeWindow;

typedef struct {
	guint64 iova, size, vaddr;
} FakeMap;

typedef struct {
	HiodTestKernel *base;
	gboolean v2_offered;
	gboolean type1_offered; /* a host whose VFIO container also offers type1 */
	gboolean any_shape_at_zero; /* PowerNV: window 0 at 0 whatever its shape; pseries: default shape only */
	guint32 type;	    /* SET_IOMMU */
	gboolean enabled;   /* v1 */
	gboolean group_set; /* SET_CONTAINER */
	gboolean container_open;
	GArray *windows; /* FakeWindow */
	GArray *regs;	 /* FakeMap (iova unused) */
	GArray *maps;	 /* FakeMap */
	/* what release left for the close to clean up */
	guint left_windows, left_regs, left_maps;
	gboolean left_enabled;
	guint n_disable;
	/* TCE table levels: the host's most (GET_INFO; CREATE refuses more with EINVAL, as
	 * pnv_pci_ioda2_create_table does), fewer than @enomem_below fail with ENOMEM (no
	 * memory for levels that large in one piece); the levels of each CREATE */
	guint host_levels;
	guint enomem_below;
	GArray *create_levels; /* guint */
} FakeSpapr;

static void
fake_reset(FakeSpapr *k)
{
	FakeWindow def = {0, G(1), 12};
	g_array_set_size(k->windows, 0);
	g_array_append_val(k->windows, def);
	g_array_set_size(k->regs, 0);
	g_array_set_size(k->maps, 0);
	k->type = 0;
	k->enabled = FALSE;
}

static int
fake_open(gpointer data, const gchar *path, gint flags)
{
	FakeSpapr *k = data;
	if (g_str_has_suffix(path, "/vfio/vfio")) {
		k->container_open = TRUE;
		return HIOD_TEST_FD_CONTAINER;
	}
	if (g_str_has_suffix(path, "/vfio/0"))
		return HIOD_TEST_FD_GROUP;
	errno = ENOENT;
	return -1;
}

static void
fake_close(gpointer data, HiodTestFd *fd)
{
	FakeSpapr *k = data;
	gboolean container = fd->kind == HIOD_TEST_FD_CONTAINER;
	if (container && k->type != 0) {
		guint created = 0;
		for (guint i = 0; i < k->windows->len; i++) {
			FakeWindow *w = &g_array_index(k->windows, FakeWindow, i);
			if (!(w->start == 0 && w->size == G(1) && w->shift == 12))
				created++;
		}
		k->left_windows = created;
		k->left_regs = k->regs->len;
		k->left_maps = k->maps->len;
		k->left_enabled = k->enabled;
	}
	if (container) {
		k->container_open = FALSE;
		fake_reset(k);
	}
}

static gint
fake_find_window(FakeSpapr *k, guint64 iova, guint64 size)
{
	for (guint i = 0; i < k->windows->len; i++) {
		FakeWindow *w = &g_array_index(k->windows, FakeWindow, i);
		if (iova >= w->start && iova + size <= w->start + w->size)
			return i;
	}
	return -1;
}

static int
fake_container_ioctl(FakeSpapr *k, unsigned long request, void *arg)
{
	switch (request) {
	case HIOD_VFIO_GET_API_VERSION:
		return HIOD_VFIO_API_VERSION;
	case HIOD_VFIO_CHECK_EXTENSION: {
		gulong ext = GPOINTER_TO_SIZE(arg);
		return ext == HIOD_VFIO_SPAPR_TCE_IOMMU || (ext == HIOD_VFIO_SPAPR_TCE_v2_IOMMU && k->v2_offered) ||
		       (k->type1_offered && (ext == HIOD_VFIO_TYPE1_IOMMU || ext == HIOD_VFIO_TYPE1v2_IOMMU));
	}
	case HIOD_VFIO_SET_IOMMU:
		if (!k->group_set) {
			errno = EINVAL;
			return -1;
		}
		k->type = GPOINTER_TO_SIZE(arg);
		return 0;
	case HIOD_VFIO_IOMMU_SPAPR_TCE_GET_INFO: {
		struct hiod_vfio_iommu_spapr_tce_info *info = arg;
		info->dma32_window_start = 0;
		info->dma32_window_size = G(1);
		info->flags = 0;
		if (k->type == HIOD_VFIO_SPAPR_TCE_v2_IOMMU) {
			info->flags = HIOD_VFIO_IOMMU_SPAPR_INFO_DDW;
			info->ddw.pgsizes = 0x1211000;
			info->ddw.max_dynamic_windows_supported = 2;
			info->ddw.levels = k->host_levels;
		}
		return 0;
	}
	case HIOD_VFIO_IOMMU_ENABLE:
		if (k->type != HIOD_VFIO_SPAPR_TCE_IOMMU)
			break;
		k->enabled = TRUE;
		return 0;
	case HIOD_VFIO_IOMMU_DISABLE:
		if (k->type != HIOD_VFIO_SPAPR_TCE_IOMMU)
			break;
		k->enabled = FALSE;
		k->n_disable++;
		return 0;
	case HIOD_VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case HIOD_VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY: {
		struct hiod_vfio_iommu_spapr_register_memory *r = arg;
		FakeMap reg = {0, r->size, r->vaddr};
		guint64 pg = (guint64)sysconf(_SC_PAGESIZE);
		if (k->type != HIOD_VFIO_SPAPR_TCE_v2_IOMMU)
			break;
		if ((r->vaddr | r->size) & (pg - 1)) {
			errno = EINVAL;
			return -1;
		}
		for (guint i = 0; i < k->regs->len; i++) {
			FakeMap *o = &g_array_index(k->regs, FakeMap, i);
			gboolean same = o->vaddr == r->vaddr && o->size == r->size;
			if (request == HIOD_VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY && same) {
				g_array_remove_index(k->regs, i);
				return 0;
			}
			if (request == HIOD_VFIO_IOMMU_SPAPR_REGISTER_MEMORY &&
			    o->vaddr < r->vaddr + r->size && r->vaddr < o->vaddr + o->size) {
				errno = same ? EBUSY : EINVAL;
				return -1;
			}
		}
		if (request == HIOD_VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY) {
			errno = ENOENT;
			return -1;
		}
		g_array_append_val(k->regs, reg);
		return 0;
	}
	case HIOD_VFIO_IOMMU_SPAPR_TCE_CREATE: {
		struct hiod_vfio_iommu_spapr_tce_create *c = arg;
		FakeWindow w = {0, c->window_size, c->page_shift};
		if (k->type != HIOD_VFIO_SPAPR_TCE_v2_IOMMU)
			break;
		g_array_append_val(k->create_levels, c->levels);
		if (c->levels == 0 || c->levels > k->host_levels) {
			errno = EINVAL;
			return -1;
		}
		if (c->levels < k->enomem_below) {
			errno = ENOMEM;
			return -1;
		}
		if (k->windows->len >= 2 || !((0x1211000 >> c->page_shift) & 1)) {
			errno = k->windows->len >= 2 ? ENOSPC : EINVAL;
			return -1;
		}
		/* the first free slot: 0 (on pseries only for the default shape), then 1 << 59 */
		w.start = fake_find_window(k, 0, 1) < 0 &&
				  (k->any_shape_at_zero || (c->page_shift == 12 && c->window_size == G(1)))
			      ? 0
			      : HI;
		if (fake_find_window(k, w.start, 1) >= 0) {
			errno = ENOSPC;
			return -1;
		}
		g_array_append_val(k->windows, w);
		c->start_addr = w.start;
		return 0;
	}
	case HIOD_VFIO_IOMMU_SPAPR_TCE_REMOVE: {
		struct hiod_vfio_iommu_spapr_tce_remove *r = arg;
		if (k->type != HIOD_VFIO_SPAPR_TCE_v2_IOMMU)
			break;
		for (guint i = 0; i < k->windows->len; i++) {
			if (g_array_index(k->windows, FakeWindow, i).start == r->start_addr) {
				g_array_remove_index(k->windows, i);
				return 0;
			}
		}
		errno = EINVAL;
		return -1;
	}
	case HIOD_VFIO_IOMMU_MAP_DMA: {
		struct hiod_vfio_iommu_type1_dma_map *m = arg;
		FakeMap map = {m->iova, m->size, m->vaddr};
		gint w = fake_find_window(k, m->iova, m->size);
		gboolean registered = k->type != HIOD_VFIO_SPAPR_TCE_v2_IOMMU;
		if (k->type == HIOD_VFIO_SPAPR_TCE_IOMMU && !k->enabled) {
			errno = EPERM;
			return -1;
		}
		if (w < 0) {
			errno = ENXIO;
			return -1;
		}
		/* each IOMMU page is looked up in the registrations on its own
		 * (tce_iommu_prereg_ua_to_hpa): every host page must be in one */
		if (!registered) {
			guint64 pg = (guint64)sysconf(_SC_PAGESIZE);
			registered = TRUE;
			for (guint64 p = m->vaddr & ~(pg - 1); p < m->vaddr + m->size && registered; p += pg) {
				gboolean in = FALSE;
				for (guint i = 0; i < k->regs->len; i++) {
					FakeMap *o = &g_array_index(k->regs, FakeMap, i);
					in |= p >= o->vaddr && p + pg <= o->vaddr + o->size;
				}
				registered = in;
			}
		}
		if (!registered) {
			errno = EINVAL;
			return -1;
		}
		g_array_append_val(k->maps, map);
		return 0;
	}
	case HIOD_VFIO_IOMMU_UNMAP_DMA: {
		struct hiod_vfio_iommu_type1_dma_unmap *u = arg;
		if (u->flags != 0) {
			errno = EINVAL;
			return -1;
		}
		for (guint i = k->maps->len; i > 0; i--) {
			FakeMap *m = &g_array_index(k->maps, FakeMap, i - 1);
			if (m->iova >= u->iova && m->iova + m->size <= u->iova + u->size)
				g_array_remove_index(k->maps, i - 1);
		}
		return 0;
	}
	}
	errno = ENOTTY;
	return -1;
}

static int
fake_reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	FakeSpapr *k = data;
	if (kind == HIOD_TEST_FD_CONTAINER)
		return fake_container_ioctl(k, request, arg);
	if (kind == HIOD_TEST_FD_GROUP) {
		switch (request) {
		case HIOD_VFIO_GROUP_GET_STATUS:
			((struct hiod_vfio_group_status *)arg)->flags =
			    HIOD_VFIO_GROUP_FLAGS_VIABLE | (k->group_set ? HIOD_VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
			return 0;
		case HIOD_VFIO_GROUP_SET_CONTAINER:
			k->group_set = TRUE;
			return 0;
		case HIOD_VFIO_GROUP_UNSET_CONTAINER:
			k->group_set = FALSE;
			return 0;
		case HIOD_VFIO_GROUP_GET_DEVICE_FD:
			return hiod_test_kernel_add_fd(k->base, HIOD_TEST_FD_DEVICE)->fd;
		}
	}
	/* the base's device, without reset */
	if (kind == HIOD_TEST_FD_DEVICE && request == HIOD_VFIO_DEVICE_GET_INFO)
		return hiod_test_kernel_default_ioctl(k->base, HIOD_TEST_FD_DEVICE, request, arg);
	errno = ENOTTY;
	return -1;
}

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	FakeSpapr k;
	guint8 *mem; /* 4 MiB, host-page aligned */
	gsize mem_size;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->tree = hiod_test_tree_new();
	hiod_test_tree_add_pci(f->tree, "0000:00:00.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 0, NULL);
	hiod_test_tree_touch_dev(f->tree, "vfio/vfio");
	f->ctx = hiod_test_tree_context(f->tree);
	f->k.v2_offered = GPOINTER_TO_UINT(data) != 1;
	f->k.any_shape_at_zero = GPOINTER_TO_UINT(data) == 2;
	f->k.windows = g_array_new(FALSE, TRUE, sizeof(FakeWindow));
	f->k.regs = g_array_new(FALSE, TRUE, sizeof(FakeMap));
	f->k.maps = g_array_new(FALSE, TRUE, sizeof(FakeMap));
	f->k.create_levels = g_array_new(FALSE, TRUE, sizeof(guint));
	f->k.host_levels = 1;
	fake_reset(&f->k);
	f->k.base = hiod_test_kernel_new(f->ctx);
	f->k.base->reply = fake_reply;
	f->k.base->open_hook = fake_open;
	f->k.base->close_hook = fake_close;
	f->k.base->reply_data = &f->k;
	f->k.base->no_reset = TRUE;
	f->mem_size = M(4);
	f->mem = mmap(NULL, f->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_assert_true(f->mem != MAP_FAILED);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(f->k.base->open_fds, ==, 0);
	munmap(f->mem, f->mem_size);
	g_clear_object(&f->ctx);
	hiod_test_kernel_free(f->k.base);
	hiod_test_tree_free(f->tree);
	g_array_unref(f->k.windows);
	g_array_unref(f->k.regs);
	g_array_unref(f->k.maps);
	g_array_unref(f->k.create_levels);
}

static HiodVfioDevice *
attach(Fixture *f, HiodContainer *c)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) dev = hiod_vfio_device_new(f->ctx, "0000:00:00.0", &error);
	g_assert_no_error(error);
	g_assert_true(hiod_container_attach_device(c, dev, 0, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&dev);
}

static gchar *
windows_string(HiodSpaprContainer *c)
{
	g_autoptr(GPtrArray) w = hiod_spapr_container_get_windows(c);
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < w->len; i++) {
		HiodIovaRange *r = g_ptr_array_index(w, i);
		g_string_append_printf(s, "%s0x%" G_GINT64_MODIFIER "x-0x%" G_GINT64_MODIFIER "x/%u",
				       i ? " " : "", r->start, r->last,
				       hiod_spapr_container_get_window_page_shift(c, r->start));
	}
	return g_string_free(s, FALSE);
}

static gsize
host_page(void)
{
	return (gsize)sysconf(_SC_PAGESIZE);
}

/* v2: the default window, a recreated one, a 64-bit one; the host IOMMU device reports them */
static void
test_v2_windows(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_AUTO, NULL, &error);
	g_autoptr(HiodVfioDevice) dev = NULL;
	g_autoptr(HiodHostIommuDevice) hiod = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	HiodSpaprContainer *sc;
	g_autofree gchar *w1 = NULL, *w2 = NULL, *w3 = NULL;
	guint64 mask = 0;

	g_assert_no_error(error);
	g_assert_true(HIOD_IS_SPAPR_CONTAINER(c));
	sc = HIOD_SPAPR_CONTAINER(c);
	dev = attach(f, c);
	g_assert_cmpuint(f->k.type, ==, HIOD_VFIO_SPAPR_TCE_v2_IOMMU);
	g_assert_cmpuint(hiod_spapr_container_get_tce_version(sc), ==, 2);
	g_assert_cmphex(hiod_spapr_container_get_ddw_page_sizes(sc), ==, 0x1211000);
	g_assert_cmpuint(hiod_spapr_container_get_max_windows(sc), ==, 2);
	w1 = windows_string(sc);
	g_assert_cmpstr(w1, ==, "0x0-0x3fffffff/12");

	/* inside the default window: no window change, one registration */
	g_assert_true(hiod_container_dma_map(c, M(1), K(64), f->mem, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.regs->len, ==, 1);
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(sc), ==, 1);
	/* past it: the default window holds a mapping, so it cannot be recreated */
	g_assert_false(hiod_container_dma_map(c, G(1), K(64), f->mem + M(1), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_assert_nonnull(strstr(error->message, "holds mappings"));
	g_clear_error(&error);
	g_assert_cmpuint(f->k.windows->len, ==, 1);
	g_assert_cmpuint(f->k.regs->len, ==, 1);
	g_assert_true(hiod_container_dma_unmap(c, M(1), K(64), &error));
	g_assert_cmpuint(f->k.regs->len, ==, 0);
	g_assert_cmpuint(f->k.maps->len, ==, 0);

	/* now it can: the default window goes, a 2 GiB one with the largest page comes */
	g_assert_true(hiod_container_dma_map(c, G(1), K(64), f->mem + M(1), 0, &error));
	g_assert_no_error(error);
	w2 = windows_string(sc);
	g_assert_cmpstr(w2, ==, host_page() == K(64) ? "0x0-0x7fffffff/16" : "0x0-0x7fffffff/12");
	/* a 64-bit window */
	g_assert_true(hiod_container_dma_map(c, HI, M(2), f->mem + M(2), 0, &error));
	g_assert_no_error(error);
	w3 = windows_string(sc);
	g_assert_true(g_str_has_suffix(w3, host_page() == K(64) ? " 0x800000000000000-0x80000003fffffff/16"
							       : " 0x800000000000000-0x80000003fffffff/12"));
	g_assert_cmpuint(f->k.windows->len, ==, 2);
	g_assert_cmpuint(f->k.maps->len, ==, 2);
	g_assert_cmpuint(f->k.regs->len, ==, 2);

	/* the host IOMMU device: sPAPR TCE, the windows, the page sizes */
	hiod = g_object_new(HIOD_CONTAINER_GET_CLASS(c)->host_iommu_device_type, NULL);
	g_assert_true(hiod_host_iommu_device_realize(hiod, HIOD_ASSIGNED_DEVICE(dev), &error));
	g_assert_no_error(error);
	g_assert_cmpint(hiod_host_iommu_caps_get_iommu_type(hiod_host_iommu_device_get_caps(hiod)), ==,
			HIOD_IOMMU_TYPE_SPAPR_TCE);
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod, &error);
	g_assert_cmpuint(ranges->len, ==, 2);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 1))->start, ==, HI);
	g_assert_true(hiod_host_iommu_device_get_page_size_mask(hiod, &mask, &error));
	g_assert_cmphex(mask, ==, 0x1211000);

	/* a third slot does not exist: refused, nothing left */
	g_assert_false(hiod_container_dma_map(c, G(64), K(64), f->mem + M(3), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "cannot fit in any DMA window"));
	g_clear_error(&error);
	g_assert_cmpuint(f->k.windows->len, ==, 2);
	g_assert_cmpuint(f->k.regs->len, ==, 2);
	g_assert_cmpuint(f->k.maps->len, ==, 2);

	/* release (the last device leaves) undoes windows, registrations and mappings before the close */
	hiod_container_detach_device(c, dev);
	g_assert_false(f->k.container_open);
	g_assert_cmpuint(f->k.left_windows, ==, 0);
	g_assert_cmpuint(f->k.left_regs, ==, 0);
	g_assert_cmpuint(f->k.left_maps, ==, 0);
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(sc), ==, 0);
	g_ptr_array_unref(ranges);
	ranges = hiod_spapr_container_get_windows(sc);
	g_assert_cmpuint(ranges->len, ==, 0);
}

/* v1: enabled at setup, disabled at release, the default window only */
static void
test_v1(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_SPAPR, NULL, &error);
	g_autoptr(HiodVfioDevice) dev = NULL;

	g_assert_no_error(error);
	dev = attach(f, c);
	g_assert_cmpuint(f->k.type, ==, HIOD_VFIO_SPAPR_TCE_IOMMU);
	g_assert_true(f->k.enabled);
	g_assert_cmpuint(hiod_spapr_container_get_tce_version(HIOD_SPAPR_CONTAINER(c)), ==, 1);
	g_assert_true(hiod_container_dma_map(c, 0, K(64), f->mem, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.regs->len, ==, 0);
	g_assert_false(hiod_container_dma_map(c, G(1), K(64), f->mem + M(1), 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_clear_error(&error);
	g_assert_false(hiod_container_add_window(c, HI, G(1), K(64), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);
	hiod_container_detach_device(c, dev);
	g_assert_cmpuint(f->k.n_disable, ==, 1);
	g_assert_false(f->k.left_enabled);
	g_assert_cmpuint(f->k.left_maps, ==, 0);
}

/* v1 asked for on a v2 host */
static void
test_forced_v1(Fixture *f, gconstpointer data)
{
	g_autoptr(HiodContainer) c = hiod_spapr_container_new(f->ctx, 1);
	g_autoptr(HiodVfioDevice) dev = attach(f, c);
	g_assert_cmpuint(f->k.type, ==, HIOD_VFIO_SPAPR_TCE_IOMMU);
	hiod_container_detach_device(c, dev);
}

/* the public window methods */
static void
test_add_del_window(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_spapr_container_new(f->ctx, 0);
	g_autoptr(HiodVfioDevice) dev = attach(f, c);
	g_autofree gchar *w = NULL;

	g_assert_false(hiod_container_del_window(c, HI, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(hiod_container_add_window(c, 0, G(1), K(64), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);
	g_assert_true(hiod_container_del_window(c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.windows->len, ==, 0);
	g_assert_false(hiod_container_add_window(c, 0, G(1), K(8), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_true(hiod_container_add_window(c, 0, G(4), M(16), &error));
	g_assert_no_error(error);
	/* the host puts the next window at 1 << 59: asking for it elsewhere is refused and undone */
	g_assert_false(hiod_container_add_window(c, G(64), G(1), K(64), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
	g_clear_error(&error);
	g_assert_cmpuint(f->k.windows->len, ==, 1);
	w = windows_string(HIOD_SPAPR_CONTAINER(c));
	g_assert_cmpstr(w, ==, "0x0-0xffffffff/24");
	/* a failing CREATE leaves no window behind */
	hiod_context_inject_fault_nth(f->ctx, 1, EIO);
	g_assert_false(hiod_container_add_window(c, HI, G(1), K(64), &error));
	g_assert_true(hiod_context_fault_fired(f->ctx));
	hiod_context_clear_faults(f->ctx);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_clear_error(&error);
	g_assert_cmpuint(f->k.windows->len, ==, 1);
	g_clear_pointer(&w, g_free);
	w = windows_string(HIOD_SPAPR_CONTAINER(c));
	g_assert_cmpstr(w, ==, "0x0-0xffffffff/24");
	/* a failing REMOVE keeps the window */
	hiod_context_inject_fault_nth(f->ctx, 1, EIO);
	g_assert_false(hiod_container_del_window(c, 0, &error));
	hiod_context_clear_faults(f->ctx);
	g_clear_error(&error);
	g_assert_cmpuint(f->k.windows->len, ==, 1);
	g_clear_pointer(&w, g_free);
	w = windows_string(HIOD_SPAPR_CONTAINER(c));
	g_assert_cmpstr(w, ==, "0x0-0xffffffff/24");
	hiod_container_detach_device(c, dev);
	g_assert_cmpuint(f->k.left_windows, ==, 0);
}

/* a pseries host puts every window but the default one at 1 << 59: the
 * container learns it from the first misplaced window, undoes, and plans again */
static void
test_pseries_placement(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_spapr_container_new(f->ctx, 0);
	g_autoptr(HiodVfioDevice) dev = attach(f, c);
	HiodSpaprContainer *sc = HIOD_SPAPR_CONTAINER(c);
	g_autofree gchar *w1 = NULL, *w2 = NULL;

	g_assert_false(hiod_container_dma_map(c, G(1), K(64), f->mem, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "only in the shape of the default one"));
	g_clear_error(&error);
	/* the default window is back, nothing else */
	w1 = windows_string(sc);
	g_assert_cmpstr(w1, ==, "0x0-0x3fffffff/12");
	g_assert_cmpuint(f->k.windows->len, ==, 1);
	g_assert_cmpint(fake_find_window(&f->k, 0, G(1)), ==, 0);
	g_assert_cmpuint(f->k.regs->len, ==, 0);
	/* removed by hand, the default window is made again for a section below 1 GiB */
	g_assert_true(hiod_container_del_window(c, 0, &error));
	g_assert_true(hiod_container_dma_map(c, M(1), K(64), f->mem, 0, &error));
	g_assert_no_error(error);
	w2 = windows_string(sc);
	g_assert_cmpstr(w2, ==, "0x0-0x3fffffff/12");
	g_assert_true(hiod_container_dma_map(c, HI, K(64), f->mem + M(1), 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.windows->len, ==, 2);
	hiod_container_detach_device(c, dev);
	g_assert_cmpuint(f->k.left_windows, ==, 0);
	g_assert_cmpuint(f->k.left_regs, ==, 0);
}

/* fail each kernel call of attach + setup in turn: no fd, no state */
static void
test_attach_faults(Fixture *f, gconstpointer data)
{
	HiodTestFaultWalk w;
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodContainer) c = NULL;
		g_autoptr(HiodVfioDevice) dev = NULL;
		gboolean ok;
		c = hiod_spapr_container_new(f->ctx, 0);
		dev = hiod_vfio_device_new(f->ctx, "0000:00:00.0", &error);
		g_assert_no_error(error);
		hiod_test_fault_walk_rearm(&w); /* the attach's calls, not the device's */
		ok = hiod_container_attach_device(c, dev, 0, &error);
		if (hiod_test_fault_walk_done(&w, ok)) {
			hiod_container_detach_device(c, dev);
			break;
		}
		if (ok) {
			/* a failed CHECK_EXTENSION is "not offered": v2 falls back to v1 */
			hiod_container_detach_device(c, dev);
			continue;
		}
		g_assert_nonnull(error);
		g_test_message("call %u: %s", w.n, error->message);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
		g_assert_false(f->k.container_open);
		g_assert_false(f->k.group_set);
		g_assert_false(hiod_container_is_setup(c));
	}
	g_assert_cmpuint(w.n, >, 6);
}

/* fail each kernel call of a map that recreates the default window in turn:
 * the windows, registrations and mappings stay as they were */
static void
test_map_faults(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_spapr_container_new(f->ctx, 0);
	g_autoptr(HiodVfioDevice) dev = attach(f, c);
	HiodSpaprContainer *sc = HIOD_SPAPR_CONTAINER(c);
	HiodTestFaultWalk w;

	/* a mapping in the 64-bit window first, so that a registration is shared */
	g_assert_true(hiod_container_dma_map(c, HI, K(64), f->mem, 0, &error));
	g_assert_no_error(error);
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autofree gchar *before = windows_string(sc);
		g_autofree gchar *after = NULL;
		gboolean ok;
		ok = hiod_container_dma_map(c, G(1), K(128), f->mem + M(1), 0, &error);
		if (hiod_test_fault_walk_done(&w, ok)) {
			g_assert_no_error(error);
			break;
		}
		g_assert_false(ok);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
		g_test_message("call %u: %s", w.n, error->message);
		g_clear_error(&error);
		after = windows_string(sc);
		g_assert_cmpstr(after, ==, before);
		g_assert_cmpuint(f->k.windows->len, ==, 2);
		g_assert_cmpint(fake_find_window(&f->k, HI, K(64)), >=, 0);
		g_assert_cmpint(fake_find_window(&f->k, 0, G(1)), >=, 0);
		g_assert_cmpint(fake_find_window(&f->k, 0, G(1) + 1), <, 0);
		g_assert_cmpuint(f->k.regs->len, ==, 1);
		g_assert_cmpuint(f->k.maps->len, ==, 1);
		g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	}
	g_assert_cmpuint(w.n, ==, 5); /* REMOVE, CREATE, REGISTER, MAP */
	g_assert_cmpuint(f->k.maps->len, ==, 2);
	/* a partial unmap splits: the kept half is registered on its own */
	g_assert_true(hiod_container_dma_unmap(c, G(1), K(64), &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.maps->len, ==, 2);
	g_assert_cmpuint(f->k.regs->len, ==, 2);
	hiod_container_detach_device(c, dev);
	g_assert_cmpuint(f->k.left_windows, ==, 0);
	g_assert_cmpuint(f->k.left_regs, ==, 0);
	g_assert_cmpuint(f->k.left_maps, ==, 0);
}

/* A window asks for the TCE levels its size needs (QEMU's vfio_spapr_create_window
 * guess: each level within 256 host pages), not the host's most; with more only
 * while the host has no memory for the levels in one piece */
static void
test_window_levels(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_spapr_container_new(f->ctx, 0);
	g_autoptr(HiodVfioDevice) dev = NULL;
	/* a 1 GiB window with host-page TCEs: 1 GiB / 4K * 8 = 2 MiB of table, two 1 MiB
	 * levels on a 4K host; 1 GiB / 64K * 8 = 128 KiB, one level on a 64K host */
	guint want = host_page() == K(4) ? 2 : 1;

	f->k.host_levels = 5;
	dev = attach(f, c);
	g_assert_true(hiod_container_dma_map(c, HI, K(64), f->mem, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.create_levels->len, ==, 1);
	g_assert_cmpuint(g_array_index(f->k.create_levels, guint, 0), ==, want);
	g_assert_cmpuint(hiod_spapr_window_levels(G(1), 16, K(64), 5), ==, 1);
	g_assert_cmpuint(hiod_spapr_window_levels(G(64), 12, K(4), 5), ==, 2);
	g_assert_cmpuint(hiod_spapr_window_levels(G(1) << 20, 12, K(4), 5), ==, 3);
	g_assert_cmpuint(hiod_spapr_window_levels(G(1) << 20, 12, K(4), 2), ==, 2);
	g_assert_true(hiod_container_dma_unmap(c, HI, K(64), &error));
	g_assert_true(hiod_container_del_window(c, HI, &error));
	g_assert_no_error(error);

	/* a fragmented host: fewer than 4 levels fail for want of memory; more are tried */
	f->k.enomem_below = 4;
	g_array_set_size(f->k.create_levels, 0);
	g_assert_true(hiod_container_dma_map(c, HI, K(64), f->mem, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.create_levels->len, ==, 4 - want + 1);
	g_assert_cmpuint(g_array_index(f->k.create_levels, guint, f->k.create_levels->len - 1), ==, 4);
	g_assert_true(hiod_container_dma_unmap(c, HI, K(64), &error));
	/* ... and never more than the host has */
	f->k.enomem_below = 6;
	g_array_set_size(f->k.create_levels, 0);
	g_assert_true(hiod_container_del_window(c, HI, &error));
	g_assert_false(hiod_container_dma_map(c, HI, K(64), f->mem, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_assert_nonnull(strstr(error->message, "5 TCE levels"));
	g_assert_cmpuint(g_array_index(f->k.create_levels, guint, f->k.create_levels->len - 1), ==, 5);
	hiod_container_detach_device(c, dev);
	g_assert_cmpuint(f->k.left_windows, ==, 0);
}

/* A kernel that reports absurd levels and never has the memory: a few tries, not millions */
static void
test_window_levels_bounded(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_spapr_container_new(f->ctx, 0);
	g_autoptr(HiodVfioDevice) dev = NULL;

	f->k.host_levels = 1000000;
	f->k.enomem_below = 1000000;
	dev = attach(f, c);
	g_assert_false(hiod_container_dma_map(c, HI, K(64), f->mem, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_assert_cmpuint(f->k.create_levels->len, <=, HIOD_SPAPR_MAX_LEVELS);
	g_assert_cmpuint(g_array_index(f->k.create_levels, guint, f->k.create_levels->len - 1), ==,
			 HIOD_SPAPR_MAX_LEVELS);
	hiod_container_detach_device(c, dev);
}

/* Two mappings of host memory that overlaps without being the same span: the
 * kernel refuses a registration that overlaps another (EINVAL), so the second
 * shares the first one's registration and registers only what lies beyond it */
static void
test_overlapping_registrations(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_spapr_container_new(f->ctx, 0);
	g_autoptr(HiodVfioDevice) dev = attach(f, c);
	HiodSpaprContainer *sc = HIOD_SPAPR_CONTAINER(c);
	gsize p = host_page();

	g_assert_true(hiod_container_dma_map(c, M(1), 2 * p, f->mem, 0, &error));
	g_assert_no_error(error);
	/* [p, 3p): half in the first registration */
	g_assert_true(hiod_container_dma_map(c, M(2), 2 * p, f->mem + p, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.regs->len, ==, 2);
	/* [p, 2p): inside the first one, nothing new */
	g_assert_true(hiod_container_dma_map(c, M(3), p, f->mem + p, 0, &error));
	g_assert_no_error(error);
	/* [0, 4p): around both, only [3p, 4p) is new */
	g_assert_true(hiod_container_dma_map(c, M(4), 4 * p, f->mem, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.regs->len, ==, 3);
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(sc), ==, 3);
	g_assert_cmpuint(f->k.maps->len, ==, 4);
	/* the registrations go with the last mapping that needs them */
	g_assert_true(hiod_container_dma_unmap(c, M(1), 2 * p, &error));
	g_assert_cmpuint(f->k.regs->len, ==, 3);
	g_assert_true(hiod_container_dma_unmap(c, M(4), 4 * p, &error));
	g_assert_cmpuint(f->k.regs->len, ==, 2);
	g_assert_true(hiod_container_dma_unmap(c, M(2), 2 * p, &error));
	g_assert_cmpuint(f->k.regs->len, ==, 1);
	g_assert_true(hiod_container_dma_unmap(c, M(3), p, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k.regs->len, ==, 0);
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(sc), ==, 0);
	/* a failing registration of a gap leaves the shared ones as they were */
	g_assert_true(hiod_container_dma_map(c, M(1), 2 * p, f->mem, 0, &error));
	hiod_context_inject_fault_match(f->ctx, "VFIO_IOMMU_SPAPR_REGISTER_MEMORY", EIO, 1);
	g_assert_false(hiod_container_dma_map(c, M(2), 2 * p, f->mem + p, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	hiod_context_clear_faults(f->ctx);
	g_assert_cmpuint(f->k.regs->len, ==, 1);
	g_assert_cmpuint(f->k.maps->len, ==, 1);
	hiod_container_detach_device(c, dev);
	g_assert_cmpuint(f->k.left_regs, ==, 0);
}

/* The factory honours an explicit sPAPR request: the sPAPR class, even where
 * the VFIO container offers type1 too (the legacy kind then picks type1). */
static void
test_factory_kinds(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) spapr = NULL;
	g_autoptr(HiodContainer) legacy = NULL;
	g_autoptr(HiodVfioDevice) dev = NULL;

	f->k.type1_offered = TRUE;
	spapr = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_SPAPR, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(HIOD_IS_SPAPR_CONTAINER(spapr));
	g_assert_cmpint(hiod_container_get_backend_kind(spapr), ==, HIOD_BACKEND_KIND_SPAPR);
	legacy = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_LEGACY, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(HIOD_IS_SPAPR_CONTAINER(legacy));
	g_assert_cmpint(hiod_container_get_backend_kind(legacy), ==, HIOD_BACKEND_KIND_LEGACY);
	/* the sPAPR container it made attaches as sPAPR */
	dev = attach(f, spapr);
	g_assert_cmpuint(f->k.type, ==, HIOD_VFIO_SPAPR_TCE_v2_IOMMU);
	hiod_container_detach_device(spapr, dev);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(plan_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/hiod/spapr/plan/%s", plan_cases[i].name);
		g_test_add_data_func(path, &plan_cases[i], test_plan);
	}
	g_test_add("/hiod/spapr/container/v2-windows", Fixture, GINT_TO_POINTER(2), fixture_setup, test_v2_windows,
		   fixture_teardown);
	g_test_add("/hiod/spapr/container/v1", Fixture, GINT_TO_POINTER(1), fixture_setup, test_v1,
		   fixture_teardown);
	g_test_add("/hiod/spapr/container/forced-v1", Fixture, NULL, fixture_setup, test_forced_v1,
		   fixture_teardown);
	g_test_add("/hiod/spapr/container/add-del-window", Fixture, GINT_TO_POINTER(2), fixture_setup,
		   test_add_del_window, fixture_teardown);
	g_test_add("/hiod/spapr/container/attach-faults", Fixture, NULL, fixture_setup,
		   test_attach_faults, fixture_teardown);
	g_test_add("/hiod/spapr/container/attach-faults-v1", Fixture, GINT_TO_POINTER(1), fixture_setup,
		   test_attach_faults, fixture_teardown);
	g_test_add("/hiod/spapr/container/pseries-placement", Fixture, NULL, fixture_setup,
		   test_pseries_placement, fixture_teardown);
	g_test_add("/hiod/spapr/container/map-faults", Fixture, GINT_TO_POINTER(2), fixture_setup, test_map_faults,
		   fixture_teardown);
	g_test_add("/hiod/spapr/container/window-levels", Fixture, GINT_TO_POINTER(2), fixture_setup,
		   test_window_levels, fixture_teardown);
	g_test_add("/hiod/spapr/container/window-levels-bounded", Fixture, GINT_TO_POINTER(2), fixture_setup,
		   test_window_levels_bounded, fixture_teardown);
	g_test_add("/hiod/spapr/container/overlapping-registrations", Fixture, GINT_TO_POINTER(2),
		   fixture_setup, test_overlapping_registrations, fixture_teardown);
	g_test_add("/hiod/spapr/container/factory-kinds", Fixture, GINT_TO_POINTER(2), fixture_setup,
		   test_factory_kinds, fixture_teardown);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "hiod-backend-private.h"
#include "hiod-container-private.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device-spapr.h"
#include "hiod-json-private.h"
#include "hiod-kernel-private.h"
#include "hiod-spapr-container.h"
#include "hiod-spapr-plan-private.h"
#include "hiod-uapi-private.h"

/**
 * HiodSpaprContainer:
 *
 * The VFIO sPAPR TCE backend (IBM POWER), a specialisation of
 * #HiodLegacyContainer: the same /dev/vfio/vfio container and groups, with
 * the sPAPR IOMMU types (SPAPR_TCE_v2, falling back to v1).
 *
 * DMA on sPAPR lands only inside DMA windows. A v2 container creates the
 * windows its mappings need (VFIO_IOMMU_SPAPR_TCE_CREATE) with the largest
 * page size the mappings allow, removes the default 32-bit window when a
 * layout needs that space, and pre-registers the memory of every mapping
 * (VFIO_IOMMU_SPAPR_REGISTER_MEMORY). A v1 container has only the default
 * window and must be enabled (VFIO_IOMMU_ENABLE). A mapping that cannot fit
 * in any window is refused with the reason, leaving nothing behind; release
 * undoes every window, registration and mapping.
 *
 * Threads: as #HiodContainer; the windows and memory registrations are
 * locked, but adding and removing windows are control calls, one thread at
 * a time.
 *
 * Since: 0.1
 */

/* A pre-registered span of process memory, shared by the mappings inside it. */
typedef struct {
	guint64 vaddr;
	guint64 size;
	guint refs;
} HiodSpaprRegistration;

/* What a mapping holds beyond its TCEs. */
typedef struct {
	guint64 iova;
	guint64 size;
	guint64 reg_vaddr; /* the registration it uses (v2), or 0 */
	guint64 reg_size;
} HiodSpaprMap;

/* A window and whether this container made it (the default one it did not). */
typedef struct {
	HiodSpaprWindow w;
	gboolean created;
} HiodSpaprHostWindow;

struct _HiodSpaprContainer {
	HiodLegacyContainer parent_instance;
	guint requested_version; /* 0: v2, else v1 */
	guint version;		 /* 1 or 2 once set up */
	GMutex lock;		 /* everything below */
	HiodSpaprTceInfo info;
	gboolean enabled; /* v1: IOMMU_ENABLE done */
	GArray *windows;  /* HiodSpaprHostWindow */
	GArray *regs;	  /* HiodSpaprRegistration */
	GArray *maps;	  /* HiodSpaprMap */
};

enum {
	PROP_0,
	PROP_TCE_VERSION,
	N_PROPS,
};
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE(HiodSpaprContainer, hiod_spapr_container, HIOD_TYPE_LEGACY_CONTAINER)

#define CTX(self) hiod_container_get_context(HIOD_CONTAINER(self))
#define FD(self) hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(self))
#define DEFAULT_WINDOW_PAGE_SHIFT 12

/**
 * hiod_spapr_container_new:
 * @ctx: a #HiodContext
 * @tce_version: 0 (or 2) to prefer sPAPR TCE v2 and fall back to v1; 1 for v1 only
 *
 * Makes an empty sPAPR container; attaching the first device opens it.
 * Most callers use hiod_container_new(), which picks this class on hosts
 * whose VFIO offers only sPAPR TCE.
 *
 * Returns: (transfer full): a new #HiodSpaprContainer
 *
 * Since: 0.1
 */
HiodContainer *
hiod_spapr_container_new(HiodContext *ctx, guint tce_version)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(tce_version <= 2, NULL);
	return g_object_new(HIOD_TYPE_SPAPR_CONTAINER, "context", ctx, "tce-version", tce_version, NULL);
}

/**
 * hiod_spapr_container_get_tce_version:
 * @self: a #HiodSpaprContainer
 *
 * Gets the sPAPR TCE IOMMU version the container was set up with.
 *
 * Returns: the sPAPR TCE IOMMU version in use (1 or 2), 0 before a device is attached
 *
 * Since: 0.1
 */
guint
hiod_spapr_container_get_tce_version(HiodSpaprContainer *self)
{
	g_return_val_if_fail(HIOD_IS_SPAPR_CONTAINER(self), 0);
	return self->version;
}

/**
 * hiod_spapr_container_get_windows:
 * @self: a #HiodSpaprContainer
 *
 * Gets the DMA windows: the default one and those the mappings made.
 *
 * Returns: (transfer full) (element-type HiodIovaRange): the DMA windows the
 * container has now, sorted (the IOVA ranges DMA can reach)
 *
 * Since: 0.1
 */
GPtrArray *
hiod_spapr_container_get_windows(HiodSpaprContainer *self)
{
	GPtrArray *out = hiod_iova_ranges_new();
	g_autoptr(GArray) sorted = NULL;
	g_return_val_if_fail(HIOD_IS_SPAPR_CONTAINER(self), out);
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < self->windows->len; i++) {
		const HiodSpaprWindow *w = &g_array_index(self->windows, HiodSpaprHostWindow, i).w;
		guint at = 0;
		while (at < out->len && ((HiodIovaRange *)g_ptr_array_index(out, at))->start < w->start)
			at++;
		g_ptr_array_insert(out, at, hiod_iova_range_new(w->start, w->start + w->size - 1));
	}
	g_mutex_unlock(&self->lock);
	return out;
}

/**
 * hiod_spapr_container_get_window_page_shift:
 * @self: a #HiodSpaprContainer
 * @iova: an IOVA
 *
 * Gets the IOMMU page size of the window that holds @iova.
 *
 * Returns: the IOMMU page shift of the window holding @iova, 0 when no window does
 *
 * Since: 0.1
 */
guint
hiod_spapr_container_get_window_page_shift(HiodSpaprContainer *self, guint64 iova)
{
	guint shift = 0;
	g_return_val_if_fail(HIOD_IS_SPAPR_CONTAINER(self), 0);
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < self->windows->len; i++) {
		const HiodSpaprWindow *w = &g_array_index(self->windows, HiodSpaprHostWindow, i).w;
		if (iova >= w->start && iova - w->start < w->size)
			shift = w->page_shift;
	}
	g_mutex_unlock(&self->lock);
	return shift;
}

/**
 * hiod_spapr_container_get_ddw_page_sizes:
 * @self: a #HiodSpaprContainer
 *
 * Gets the page sizes the host offers for dynamic DMA windows.
 *
 * Returns: the page sizes dynamic DMA windows can use (0: the host cannot
 * create windows)
 *
 * Since: 0.1
 */
guint64
hiod_spapr_container_get_ddw_page_sizes(HiodSpaprContainer *self)
{
	g_return_val_if_fail(HIOD_IS_SPAPR_CONTAINER(self), 0);
	return self->info.ddw_pgsizes;
}

/**
 * hiod_spapr_container_get_max_windows:
 * @self: a #HiodSpaprContainer
 *
 * Gets how many DMA windows the container may have at once.
 *
 * Returns: how many DMA windows the host allows at most (1 without dynamic windows)
 *
 * Since: 0.1
 */
guint
hiod_spapr_container_get_max_windows(HiodSpaprContainer *self)
{
	g_return_val_if_fail(HIOD_IS_SPAPR_CONTAINER(self), 0);
	return self->info.max_windows;
}

/**
 * hiod_spapr_container_get_n_registrations:
 * @self: a #HiodSpaprContainer
 *
 * Gets how many spans of memory the container has pre-registered.
 *
 * Returns: how many spans of process memory are pre-registered (v2)
 *
 * Since: 0.1
 */
guint
hiod_spapr_container_get_n_registrations(HiodSpaprContainer *self)
{
	guint n;
	g_return_val_if_fail(HIOD_IS_SPAPR_CONTAINER(self), 0);
	g_mutex_lock(&self->lock);
	n = self->regs->len;
	g_mutex_unlock(&self->lock);
	return n;
}

/* kernel calls (self->lock held) ------------------------------------------------ */

/* Creates a window with @levels TCE table levels, or more (up to the host's
 * most) while the host has no memory for tables that large in one piece. */
static gboolean
hiod_spapr_create_window(HiodSpaprContainer *self, guint64 want_start, guint64 size,
			 guint page_shift, guint levels, GError **error)
{
	struct hiod_vfio_iommu_spapr_tce_create create = {
	    .page_shift = page_shift,
	    .window_size = size,
	    .levels = MAX(levels, 1),
	};
	g_autofree gchar *pg = hiod_spapr_format_size(G_GUINT64_CONSTANT(1) << page_shift);
	HiodSpaprHostWindow hw = {0};

	for (;;) {
		g_autoptr(GError) local = NULL;
		if (hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_SPAPR_TCE_CREATE), &create,
				      sizeof(create), &local) >= 0)
			break;
		if (errno == ENOMEM && create.levels < MAX(self->info.levels, 1)) {
			g_debug("%s with %u levels; trying %u", local->message, create.levels,
				create.levels + 1);
			create.levels++;
			continue;
		}
		g_propagate_prefixed_error(error, g_steal_pointer(&local),
					   "creating a DMA window of 0x%" G_GINT64_MODIFIER
					   "x bytes with %s pages (%u TCE levels): ",
					   size, pg, create.levels);
		return FALSE;
	}
	if (create.start_addr != want_start) {
		struct hiod_vfio_iommu_spapr_tce_remove rm = {.start_addr = create.start_addr};
		g_autoptr(GError) local = NULL;
		if (hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_SPAPR_TCE_REMOVE), &rm,
				      sizeof(rm), &local) < 0)
			g_debug("removing the misplaced window: %s", local->message);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE,
			    "the host placed a new DMA window at 0x%" G_GINT64_MODIFIER "x, not at 0x%"
			    G_GINT64_MODIFIER "x where it is needed",
			    (guint64)create.start_addr, want_start);
		return FALSE;
	}
	hw.w.start = create.start_addr;
	hw.w.size = size;
	hw.w.page_shift = page_shift;
	hw.created = TRUE;
	g_array_append_val(self->windows, hw);
	g_debug("sPAPR window [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x] with %s pages",
		hw.w.start, hw.w.start + size - 1, pg);
	return TRUE;
}

static gint
hiod_spapr_find_window(HiodSpaprContainer *self, guint64 start)
{
	for (guint i = 0; i < self->windows->len; i++) {
		if (g_array_index(self->windows, HiodSpaprHostWindow, i).w.start == start)
			return i;
	}
	return -1;
}

static gboolean
hiod_spapr_remove_window(HiodSpaprContainer *self, guint64 start, GError **error)
{
	struct hiod_vfio_iommu_spapr_tce_remove rm = {.start_addr = start};
	gint i = hiod_spapr_find_window(self, start);
	if (hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_SPAPR_TCE_REMOVE), &rm,
			      sizeof(rm), error) < 0) {
		g_prefix_error(error, "removing the DMA window at 0x%" G_GINT64_MODIFIER "x: ", start);
		return FALSE;
	}
	if (i >= 0)
		g_array_remove_index(self->windows, i);
	return TRUE;
}

static gboolean
hiod_spapr_memory_ioctl(HiodSpaprContainer *self, gboolean reg, guint64 vaddr, guint64 size,
			GError **error)
{
	struct hiod_vfio_iommu_spapr_register_memory r = {.vaddr = vaddr, .size = size};
	gint ret = reg ? hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_SPAPR_REGISTER_MEMORY),
					   &r, sizeof(r), error)
		       : hiod_kernel_ioctl(CTX(self), FD(self),
					   HIOD_IOC(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY), &r, sizeof(r),
					   error);
	if (ret < 0) {
		g_prefix_error(error, "%s memory 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER "x: ",
			       reg ? "pre-registering" : "unregistering", vaddr, size);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_spapr_overlaps(const HiodSpaprRegistration *r, guint64 vaddr, guint64 end)
{
	return r->vaddr < end && vaddr < r->vaddr + r->size;
}

/* v2: takes a reference on every registration [vaddr, vaddr + size) (host pages)
 * needs. The kernel refuses a registration that overlaps another without being
 * equal to it (EINVAL), and finds each IOMMU page of a mapping in whichever
 * registration holds it: so the ones that overlap the span are shared, and only
 * the gaps between them are registered anew. */
static gboolean
hiod_spapr_register(HiodSpaprContainer *self, guint64 vaddr, guint64 size, GError **error)
{
	g_autoptr(GArray) added = g_array_new(FALSE, FALSE, sizeof(guint64));
	guint64 end = vaddr + size, at = vaddr;

	while (at < end) {
		guint64 next = end;
		gboolean covered = FALSE;
		for (guint i = 0; i < self->regs->len && !covered; i++) {
			const HiodSpaprRegistration *o = &g_array_index(self->regs, HiodSpaprRegistration, i);
			if (o->vaddr <= at && at < o->vaddr + o->size) {
				at = o->vaddr + o->size;
				covered = TRUE;
			} else if (o->vaddr > at && o->vaddr < next) {
				next = o->vaddr;
			}
		}
		if (covered)
			continue;
		if (!hiod_spapr_memory_ioctl(self, TRUE, at, next - at, error)) {
			for (guint i = 0; i < added->len; i++) {
				guint64 v = g_array_index(added, guint64, i);
				for (guint j = self->regs->len; j > 0; j--) {
					HiodSpaprRegistration *o = &g_array_index(self->regs, HiodSpaprRegistration, j - 1);
					if (o->vaddr != v)
						continue;
					if (!hiod_spapr_memory_ioctl(self, FALSE, o->vaddr, o->size, NULL))
						g_debug("rolling back the registration at 0x%" G_GINT64_MODIFIER "x", v);
					g_array_remove_index(self->regs, j - 1);
				}
			}
			return FALSE;
		}
		{
			HiodSpaprRegistration r = {.vaddr = at, .size = next - at, .refs = 0};
			g_array_append_val(self->regs, r);
			g_array_append_val(added, at);
		}
		at = next;
	}
	for (guint i = 0; i < self->regs->len; i++) {
		HiodSpaprRegistration *o = &g_array_index(self->regs, HiodSpaprRegistration, i);
		if (hiod_spapr_overlaps(o, vaddr, end))
			o->refs++;
	}
	return TRUE;
}

/* Drops the references hiod_spapr_register() took for [vaddr, vaddr + size). */
static void
hiod_spapr_unregister(HiodSpaprContainer *self, guint64 vaddr, guint64 size)
{
	for (guint i = self->regs->len; i > 0; i--) {
		HiodSpaprRegistration *o = &g_array_index(self->regs, HiodSpaprRegistration, i - 1);
		g_autoptr(GError) error = NULL;
		if (!hiod_spapr_overlaps(o, vaddr, vaddr + size) || --o->refs > 0)
			continue;
		if (!hiod_spapr_memory_ioctl(self, FALSE, o->vaddr, o->size, &error))
			g_debug("%s", error->message);
		g_array_remove_index(self->regs, i - 1);
	}
}

/* Undoes the window steps that ran, newest first. */
static void
hiod_spapr_undo_steps(HiodSpaprContainer *self, GArray *done)
{
	for (guint i = done->len; i > 0; i--) {
		const HiodSpaprStep *s = &g_array_index(done, HiodSpaprStep, i - 1);
		g_autoptr(GError) error = NULL;
		if (s->kind == HIOD_SPAPR_STEP_CREATE) {
			if (!hiod_spapr_remove_window(self, s->start, &error))
				g_debug("rolling back: %s", error->message);
		} else {
			gboolean was_default = s->start == self->info.dma32_start &&
					       s->size == self->info.dma32_size;
			if (!hiod_spapr_create_window(self, s->start, s->size, s->page_shift, s->levels,
						      &error))
				g_debug("rolling back: %s", error->message);
			else if (was_default)
				g_array_index(self->windows, HiodSpaprHostWindow, self->windows->len - 1).created = FALSE;
		}
	}
}

static GArray *
hiod_spapr_current_windows(HiodSpaprContainer *self)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(HiodSpaprWindow));
	for (guint i = 0; i < self->windows->len; i++) {
		HiodSpaprWindow w = g_array_index(self->windows, HiodSpaprHostWindow, i).w;
		w.n_mappings = 0;
		for (guint m = 0; m < self->maps->len; m++) {
			const HiodSpaprMap *map = &g_array_index(self->maps, HiodSpaprMap, m);
			if (map->iova >= w.start && map->iova - w.start < w.size)
				w.n_mappings++;
		}
		g_array_append_val(out, w);
	}
	return out;
}

/* the class methods ---------------------------------------------------------------- */

static gboolean
hiod_spapr_container_choose_iommu_type(HiodLegacyContainer *legacy, guint32 *iommu_type,
				       GError **error)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(legacy);
	if (self->requested_version != 1 &&
	    hiod_legacy_container_check_extension(legacy, HIOD_VFIO_SPAPR_TCE_v2_IOMMU)) {
		*iommu_type = HIOD_VFIO_SPAPR_TCE_v2_IOMMU;
		return TRUE;
	}
	if (hiod_legacy_container_check_extension(legacy, HIOD_VFIO_SPAPR_TCE_IOMMU)) {
		*iommu_type = HIOD_VFIO_SPAPR_TCE_IOMMU;
		return TRUE;
	}
	g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "the VFIO container offers neither sPAPR TCE v2 nor v1 (not a POWER host?)");
	return FALSE;
}

static gboolean
hiod_spapr_container_setup(HiodContainer *container, GError **error)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(container);
	struct hiod_vfio_iommu_spapr_tce_info info = {0};
	guint32 type = hiod_legacy_container_get_iommu_type(HIOD_LEGACY_CONTAINER(self));
	g_autoptr(GPtrArray) ranges = hiod_iova_ranges_new();
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	HiodSpaprHostWindow def = {0};
	guint64 mask;

	if (hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_SPAPR_TCE_GET_INFO), &info,
			      sizeof(info), error) < 0) {
		g_prefix_error(error, "reading the sPAPR TCE info: ");
		return FALSE;
	}
	memset(&self->info, 0, sizeof(self->info));
	self->version = type == HIOD_VFIO_SPAPR_TCE_v2_IOMMU ? 2 : 1;
	self->info.dma32_start = info.dma32_window_start;
	self->info.dma32_size = info.dma32_window_size;
	self->info.max_windows = 1;
	self->info.max_page_size = (guint64)sysconf(_SC_PAGESIZE);
	self->info.ddw64_start = HIOD_SPAPR_DDW64_START;
	if (self->version == 2 && (info.flags & HIOD_VFIO_IOMMU_SPAPR_INFO_DDW)) {
		self->info.ddw_pgsizes = info.ddw.pgsizes;
		self->info.max_windows = info.ddw.max_dynamic_windows_supported;
		/* a bound on the ENOMEM retries of CREATE, whatever the kernel says */
		self->info.levels = MIN(info.ddw.levels, HIOD_SPAPR_MAX_LEVELS);
	}
	if (self->version == 1) {
		if (hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_ENABLE), NULL, 0, error) < 0) {
			g_prefix_error(error, "enabling the sPAPR TCE v1 IOMMU: ");
			return FALSE;
		}
		self->enabled = TRUE;
	}
	g_array_set_size(self->windows, 0);
	if (self->info.dma32_size > 0) {
		def.w.start = self->info.dma32_start;
		def.w.size = self->info.dma32_size;
		def.w.page_shift = DEFAULT_WINDOW_PAGE_SHIFT;
		g_array_append_val(self->windows, def);
	}
	/* The base class checks maps against where windows can be; the windows
	 * themselves come and go with the mappings (the host IOMMU device reports them). */
	if (self->info.ddw_pgsizes != 0) {
		g_ptr_array_add(ranges, hiod_iova_range_new(self->info.dma32_start, self->info.ddw64_start - 1));
		g_ptr_array_add(ranges, hiod_iova_range_new(self->info.ddw64_start, G_MAXUINT64));
	} else if (self->info.dma32_size > 0) {
		g_ptr_array_add(ranges, hiod_iova_range_new(self->info.dma32_start,
							    self->info.dma32_start + self->info.dma32_size - 1));
	}
	mask = (G_GUINT64_CONSTANT(1) << DEFAULT_WINDOW_PAGE_SHIFT) | self->info.ddw_pgsizes;
	hiod_container_set_iova_ranges(container, ranges);
	hiod_container_set_page_size_mask(container, mask);
	hiod_container_set_max_mappings(container, 0);
	hiod_container_set_dirty_tracking_supported(container, FALSE);
	g_debug("sPAPR TCE v%u: default window [0x%" G_GINT64_MODIFIER "x, +0x%" G_GINT64_MODIFIER
		"x], DDW page sizes 0x%" G_GINT64_MODIFIER "x, %u windows, %u levels",
		self->version, self->info.dma32_start, self->info.dma32_size, self->info.ddw_pgsizes,
		self->info.max_windows, self->info.levels);
	return TRUE;
}

static gboolean
hiod_spapr_container_dma_map(HiodContainer *container, guint64 iova, guint64 size, gpointer vaddr,
			     HiodDmaFlags flags, GError **error)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(container);
	HiodSpaprSection sec = {.iova = iova, .size = size, .vaddr = GPOINTER_TO_SIZE(vaddr)};
	struct hiod_vfio_iommu_type1_dma_map map = {
	    .flags = HIOD_VFIO_DMA_MAP_FLAG_READ,
	    .vaddr = GPOINTER_TO_SIZE(vaddr),
	    .iova = iova,
	    .size = size,
	};
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	g_autoptr(GArray) current = hiod_spapr_current_windows(self);
	g_autoptr(GArray) steps = NULL;
	g_autoptr(GArray) done = g_array_new(FALSE, TRUE, sizeof(HiodSpaprStep));
	guint64 hpage = (guint64)sysconf(_SC_PAGESIZE);
	HiodSpaprMap m = {.iova = iova, .size = size};

replan:
	steps = hiod_spapr_plan_windows(&self->info, (HiodSpaprWindow *)current->data, current->len,
					&sec, 1, error);
	if (steps == NULL)
		return FALSE;
	for (guint i = 0; i < steps->len; i++) {
		const HiodSpaprStep *s = &g_array_index(steps, HiodSpaprStep, i);
		g_autoptr(GError) local = NULL;
		gboolean ok = s->kind == HIOD_SPAPR_STEP_CREATE
				  ? hiod_spapr_create_window(self, s->start, s->size, s->page_shift, s->levels, &local)
				  : hiod_spapr_remove_window(self, s->start, &local);
		if (!ok && s->kind == HIOD_SPAPR_STEP_CREATE && !self->info.low_slot_default_only &&
		    s->start == self->info.dma32_start &&
		    g_error_matches(local, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE)) {
			/* A pseries guest kernel makes a window at the 32-bit start only in
			 * the default window's shape: learn it, undo, and plan again. */
			g_debug("%s; planning again with the default window's shape below 0x%" G_GINT64_MODIFIER "x",
				local->message, self->info.ddw64_start);
			self->info.low_slot_default_only = TRUE;
			hiod_spapr_undo_steps(self, done);
			g_array_set_size(done, 0);
			g_clear_pointer(&steps, g_array_unref);
			g_clear_pointer(&current, g_array_unref);
			current = hiod_spapr_current_windows(self);
			goto replan;
		}
		if (!ok) {
			g_propagate_error(error, g_steal_pointer(&local));
			goto fail;
		}
		g_array_append_val(done, *s);
	}
	if (self->version == 2) {
		m.reg_vaddr = map.vaddr & ~(hpage - 1);
		m.reg_size = ((map.vaddr + size + hpage - 1) & ~(hpage - 1)) - m.reg_vaddr;
		if (!hiod_spapr_register(self, m.reg_vaddr, m.reg_size, error))
			goto fail;
	}
	if (!(flags & HIOD_DMA_FLAGS_READONLY))
		map.flags |= HIOD_VFIO_DMA_MAP_FLAG_WRITE;
	if (hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_MAP_DMA), &map, sizeof(map),
			      error) < 0) {
		g_prefix_error(error, "mapping IOVA 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER "x: ",
			       iova, size);
		if (m.reg_size != 0)
			hiod_spapr_unregister(self, m.reg_vaddr, m.reg_size);
		goto fail;
	}
	g_array_append_val(self->maps, m);
	return TRUE;

fail:
	hiod_spapr_undo_steps(self, done);
	return FALSE;
}

static gboolean
hiod_spapr_unmap_one(HiodSpaprContainer *self, guint64 iova, guint64 size, GError **error)
{
	struct hiod_vfio_iommu_type1_dma_unmap unmap = {.iova = iova, .size = size};
	if (hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_UNMAP_DMA), &unmap,
			      sizeof(unmap), error) < 0) {
		g_prefix_error(error, "unmapping IOVA 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER "x: ",
			       iova, size);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_spapr_container_dma_unmap(HiodContainer *container, guint64 iova, guint64 size,
			       gboolean unmap_all, GError **error)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(container);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	gboolean ok = TRUE;

	/* sPAPR has no UNMAP_ALL: every mapping goes on its own */
	if (!unmap_all && !hiod_spapr_unmap_one(self, iova, size, error))
		return FALSE;
	for (guint i = self->maps->len; i > 0; i--) {
		HiodSpaprMap m = g_array_index(self->maps, HiodSpaprMap, i - 1);
		if (!unmap_all && (m.iova < iova || m.iova + m.size > iova + size))
			continue;
		if (unmap_all && !hiod_spapr_unmap_one(self, m.iova, m.size, ok ? error : NULL))
			ok = FALSE;
		if (m.reg_size != 0)
			hiod_spapr_unregister(self, m.reg_vaddr, m.reg_size);
		g_array_remove_index(self->maps, i - 1);
	}
	return ok;
}

static gboolean
hiod_spapr_container_add_window(HiodContainer *container, guint64 iova, guint64 size,
				guint64 page_size, GError **error)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(container);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

	if (!hiod_container_is_setup(container)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "the sPAPR container has no device attached");
		return FALSE;
	}
	if (self->info.ddw_pgsizes == 0) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "this sPAPR container cannot create DMA windows (TCE v1, or no dynamic DMA windows)");
		return FALSE;
	}
	if (page_size == 0 || (page_size & (page_size - 1)) || !(self->info.ddw_pgsizes & page_size)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "page size 0x%" G_GINT64_MODIFIER "x is not one of the host's DDW page sizes 0x%"
			    G_GINT64_MODIFIER "x",
			    page_size, self->info.ddw_pgsizes);
		return FALSE;
	}
	if (size < page_size || (size & (size - 1))) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "a DMA window's size must be a power of two of at least one page (0x%"
			    G_GINT64_MODIFIER "x)", size);
		return FALSE;
	}
	if (hiod_spapr_find_window(self, iova) >= 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS,
			    "a DMA window starts at 0x%" G_GINT64_MODIFIER "x already", iova);
		return FALSE;
	}
	if (self->windows->len >= self->info.max_windows) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE,
			    "the container has %u DMA windows, the most the host allows", self->windows->len);
		return FALSE;
	}
	return hiod_spapr_create_window(self, iova, size, g_bit_nth_lsf(page_size, -1),
					hiod_spapr_window_levels(size, g_bit_nth_lsf(page_size, -1),
								 self->info.max_page_size, self->info.levels),
					error);
}

static gboolean
hiod_spapr_container_del_window(HiodContainer *container, guint64 iova, GError **error)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(container);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	g_autoptr(GArray) current = hiod_spapr_current_windows(self);
	gint i = hiod_spapr_find_window(self, iova);

	if (i < 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "no DMA window starts at 0x%" G_GINT64_MODIFIER "x", iova);
		return FALSE;
	}
	if (g_array_index(current, HiodSpaprWindow, i).n_mappings > 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_BUSY,
			    "the DMA window at 0x%" G_GINT64_MODIFIER "x holds %u mappings", iova,
			    g_array_index(current, HiodSpaprWindow, i).n_mappings);
		return FALSE;
	}
	if (self->version == 1) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "a sPAPR TCE v1 container cannot remove its DMA window");
		return FALSE;
	}
	return hiod_spapr_remove_window(self, iova, error);
}

static void
hiod_spapr_container_release(HiodContainer *container)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(container);

	g_mutex_lock(&self->lock);
	if (FD(self) >= 0) {
		/* mappings the base class did not know of (none, normally) */
		for (guint i = self->maps->len; i > 0; i--) {
			HiodSpaprMap *m = &g_array_index(self->maps, HiodSpaprMap, i - 1);
			hiod_spapr_unmap_one(self, m->iova, m->size, NULL);
			if (m->reg_size != 0)
				hiod_spapr_unregister(self, m->reg_vaddr, m->reg_size);
		}
		for (guint i = self->regs->len; i > 0; i--) {
			HiodSpaprRegistration *r = &g_array_index(self->regs, HiodSpaprRegistration, i - 1);
			hiod_spapr_memory_ioctl(self, FALSE, r->vaddr, r->size, NULL);
		}
		for (guint i = self->windows->len; i > 0; i--) {
			HiodSpaprHostWindow *w = &g_array_index(self->windows, HiodSpaprHostWindow, i - 1);
			g_autoptr(GError) error = NULL;
			if (w->created && !hiod_spapr_remove_window(self, w->w.start, &error))
				g_debug("releasing: %s", error->message);
		}
		if (self->enabled)
			hiod_kernel_ioctl(CTX(self), FD(self), HIOD_IOC(VFIO_IOMMU_DISABLE), NULL, 0, NULL);
	}
	g_array_set_size(self->maps, 0);
	g_array_set_size(self->regs, 0);
	g_array_set_size(self->windows, 0);
	self->enabled = FALSE;
	self->version = 0;
	g_mutex_unlock(&self->lock);
	HIOD_CONTAINER_CLASS(hiod_spapr_container_parent_class)->release(container);
}

static void
hiod_spapr_container_add_json(HiodContainer *container, JsonBuilder *builder)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(container);
	g_autoptr(GPtrArray) windows = hiod_spapr_container_get_windows(self);

	HIOD_CONTAINER_CLASS(hiod_spapr_container_parent_class)->add_json(container, builder);
	hiod_json_add_int(builder, "tce_version", self->version);
	hiod_json_add_hex(builder, "dma32_window_start", self->info.dma32_start);
	hiod_json_add_hex(builder, "dma32_window_size", self->info.dma32_size);
	hiod_json_add_hex(builder, "ddw_page_sizes", self->info.ddw_pgsizes);
	hiod_json_add_int(builder, "max_windows", self->info.max_windows);
	hiod_json_add_int(builder, "levels", self->info.levels);
	json_builder_set_member_name(builder, "windows");
	json_builder_begin_array(builder);
	for (guint i = 0; i < windows->len; i++) {
		HiodIovaRange *r = g_ptr_array_index(windows, i);
		json_builder_begin_object(builder);
		hiod_json_add_hex(builder, "start", r->start);
		hiod_json_add_hex(builder, "last", r->last);
		hiod_json_add_hex(builder, "page_size",
				  G_GUINT64_CONSTANT(1) << hiod_spapr_container_get_window_page_shift(self, r->start));
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

/* GObject ---------------------------------------------------------------------------- */

static void
hiod_spapr_container_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(object);
	switch (prop_id) {
	case PROP_TCE_VERSION:
		g_value_set_uint(value, self->requested_version);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_spapr_container_set_property(GObject *object, guint prop_id, const GValue *value,
				  GParamSpec *pspec)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(object);
	switch (prop_id) {
	case PROP_TCE_VERSION:
		self->requested_version = g_value_get_uint(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_spapr_container_init(HiodSpaprContainer *self)
{
	g_mutex_init(&self->lock);
	self->windows = g_array_new(FALSE, TRUE, sizeof(HiodSpaprHostWindow));
	self->regs = g_array_new(FALSE, TRUE, sizeof(HiodSpaprRegistration));
	self->maps = g_array_new(FALSE, TRUE, sizeof(HiodSpaprMap));
}

static void
hiod_spapr_container_finalize(GObject *object)
{
	HiodSpaprContainer *self = HIOD_SPAPR_CONTAINER(object);
	g_array_unref(self->windows);
	g_array_unref(self->regs);
	g_array_unref(self->maps);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(hiod_spapr_container_parent_class)->finalize(object);
}

static void
hiod_spapr_container_class_init(HiodSpaprContainerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodContainerClass *container_class = HIOD_CONTAINER_CLASS(klass);
	HiodLegacyContainerClass *legacy_class = HIOD_LEGACY_CONTAINER_CLASS(klass);

	object_class->get_property = hiod_spapr_container_get_property;
	object_class->set_property = hiod_spapr_container_set_property;
	object_class->finalize = hiod_spapr_container_finalize;
	container_class->backend_kind = HIOD_BACKEND_KIND_SPAPR;
	container_class->host_iommu_device_type = HIOD_TYPE_HOST_IOMMU_DEVICE_SPAPR;
	container_class->setup = hiod_spapr_container_setup;
	container_class->release = hiod_spapr_container_release;
	container_class->dma_map = hiod_spapr_container_dma_map;
	container_class->dma_unmap = hiod_spapr_container_dma_unmap;
	container_class->add_window = hiod_spapr_container_add_window;
	container_class->del_window = hiod_spapr_container_del_window;
	container_class->set_dirty_tracking = NULL;
	container_class->query_dirty_bitmap = NULL;
	container_class->add_json = hiod_spapr_container_add_json;
	legacy_class->choose_iommu_type = hiod_spapr_container_choose_iommu_type;

	/**
	 * HiodSpaprContainer:tce-version:
	 *
	 * The sPAPR TCE IOMMU version asked for: 0 or 2 prefer v2 and fall
	 * back to v1, 1 uses v1.
	 *
	 * Since: 0.1
	 */
	props[PROP_TCE_VERSION] = g_param_spec_uint("tce-version", NULL, NULL, 0, 2, 0,
						    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
							G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

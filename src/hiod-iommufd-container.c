/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-hot-private.h"

#include <errno.h>
#include <fcntl.h>

#include "hiod-container-private.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device-iommufd-vfio.h"
#include "hiod-iommufd-container.h"
#include "hiod-json-private.h"
#include "hiod-kernel-private.h"
#include "hiod-sysfs-private.h"
#include "hiod-uapi-private.h"
#include "hiod-vfio-device-private.h"
#include "hiod-viommu-flags.h"

/**
 * HiodIommufdContainer:
 *
 * The iommufd backend (QEMU's VFIOIOMMUFDContainer): one I/O address space
 * (IOAS) in a shared #HiodIommufdBackend, and the hardware page tables
 * (HWPTs) its devices are attached to.
 *
 * A device is attached through its VFIO cdev: open, bind to the iommufd,
 * then attach to a HWPT of the container that accepts it (the kernel answers
 * EINVAL for an incompatible one), or to a new HWPT allocated on the IOAS: a
 * nesting parent when the vIOMMU asks for one
 * (%HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT), with dirty tracking when the host
 * IOMMU supports it. When the kernel cannot allocate that HWPT (no
 * IOMMU_HWPT_ALLOC, or the host IOMMU refuses it) or the device refuses the
 * new HWPT (Linux 6.12 on a first-stage-only VT-d), the refused HWPT is
 * destroyed and the device is attached to the IOAS itself: the kernel then
 * picks or makes its own automatic domain (an "autodomain" HWPT, see
 * hiod_iommufd_container_get_hwpt_autodomain()). A nesting parent has no such
 * fallback. A HWPT is freed when its last device leaves (an autodomain by the
 * kernel), the IOAS when the container is released. The usable IOVA ranges
 * are read again after every attach and detach.
 *
 * Threads: as #HiodContainer (its race tests, tests/unit/test-stress.c,
 * map and unmap from several threads while devices attach and detach).
 * The HWPT list (hiod_iommufd_container_get_hwpt_ids() and friends) changes
 * with attach and detach: read it from the thread that makes them.
 *
 * Since: 0.1
 */

typedef struct {
	guint32 id;
	HiodHwptAllocFlags flags;
	guint n_devices;
	gboolean autodomain; /* the kernel's, made when a device attached to the IOAS */
} HiodIommufdHwpt;

struct _HiodIommufdContainer {
	HiodContainer parent_instance;
	HiodIommufdBackend *backend;
	guint32 ioas_id; /* 0: none; holds a backend user while set */
	GArray *hwpts;	 /* HiodIommufdHwpt */
	GArray *stale;	 /* guint32: refused HWPTs the kernel did not destroy; retried at release */
	gboolean handoff;	   /* live update: the kernel objects are (to be) another process's */
	gboolean by_address;	   /* a section was mapped by address, not from its file */
	gboolean no_huge_pages;	   /* IOMMU_OPTION_HUGE_PAGES off, set on the IOAS when it exists */
	GHashTable *incoming;	   /* adoption: device name -> HiodIommufdIncoming */
};

typedef struct {
	gint fd;
	guint32 devid, hwpt_id;
} HiodIommufdIncoming;

static void
hiod_iommufd_incoming_free(gpointer data)
{
	g_free(data);
}

enum {
	PROP_0,
	PROP_BACKEND,
	N_PROPS,
};
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE(HiodIommufdContainer, hiod_iommufd_container, HIOD_TYPE_CONTAINER)

/**
 * hiod_iommufd_container_new:
 * @ctx: a #HiodContext
 * @backend: (nullable): the iommufd backend to share; %NULL makes one
 * @error: return location for a #GError
 *
 * Makes an empty iommufd container. Its IOAS is allocated when the first
 * device attaches. Fails with %HIOD_ERROR_NOT_SUPPORTED when @backend is
 * %NULL and the host has no /dev/iommu.
 *
 * Returns: (transfer full): a new #HiodIommufdContainer, or %NULL
 *
 * Since: 0.1
 */
HiodContainer *
hiod_iommufd_container_new(HiodContext *ctx, HiodIommufdBackend *backend, GError **error)
{
	g_autoptr(HiodIommufdBackend) own = NULL;
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(backend == NULL || HIOD_IS_IOMMUFD_BACKEND(backend), NULL);
	if (backend == NULL) {
		own = hiod_iommufd_backend_new(ctx, error);
		if (own == NULL)
			return NULL;
		backend = own;
	}
	return g_object_new(HIOD_TYPE_IOMMUFD_CONTAINER, "context", ctx, "backend", backend, NULL);
}

/**
 * hiod_iommufd_container_get_backend:
 * @self: a #HiodIommufdContainer
 *
 * Gets the iommufd backend.
 *
 * Returns: (transfer none): the iommufd backend
 *
 * Since: 0.1
 */
HiodIommufdBackend *
hiod_iommufd_container_get_backend(HiodIommufdContainer *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), NULL);
	return self->backend;
}

/**
 * hiod_iommufd_container_get_ioas_id:
 * @self: a #HiodIommufdContainer
 *
 * Gets the IOAS, 0 while the container holds none.
 *
 * Returns: the IOAS, 0 while the container holds none
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_container_get_ioas_id(HiodIommufdContainer *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), 0);
	return self->ioas_id;
}

/**
 * hiod_iommufd_container_get_hwpt_ids:
 * @self: a #HiodIommufdContainer
 *
 * Gets the container's HWPTs.
 *
 * Returns: (transfer full) (element-type guint32): the container's HWPTs
 *
 * Since: 0.1
 */
GArray *
hiod_iommufd_container_get_hwpt_ids(HiodIommufdContainer *self)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), out);
	for (guint i = 0; i < self->hwpts->len; i++)
		g_array_append_val(out, g_array_index(self->hwpts, HiodIommufdHwpt, i).id);
	return out;
}

/**
 * hiod_iommufd_container_get_hwpt_flags:
 * @self: a #HiodIommufdContainer
 * @hwpt_id: one of the container's HWPTs
 *
 * Gets the flags @hwpt_id was allocated with.
 *
 * Returns: the flags @hwpt_id was allocated with
 *
 * Since: 0.1
 */
HiodHwptAllocFlags
hiod_iommufd_container_get_hwpt_flags(HiodIommufdContainer *self, guint32 hwpt_id)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), 0);
	for (guint i = 0; i < self->hwpts->len; i++) {
		HiodIommufdHwpt *h = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		if (h->id == hwpt_id)
			return h->flags;
	}
	return 0;
}

/**
 * hiod_iommufd_container_get_hwpt_autodomain:
 * @self: a #HiodIommufdContainer
 * @hwpt_id: one of the container's HWPTs
 *
 * Tells whether @hwpt_id is the kernel's automatic domain: the device was
 * attached to the IOAS itself (the kernel chose or made the HWPT) because
 * the kernel could not allocate, or the device refused, a HWPT of hiod's.
 * The kernel frees such a HWPT when its last device leaves.
 *
 * Returns: %TRUE when @hwpt_id is an automatic domain of the IOAS
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_container_get_hwpt_autodomain(HiodIommufdContainer *self, guint32 hwpt_id)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), FALSE);
	for (guint i = 0; i < self->hwpts->len; i++) {
		HiodIommufdHwpt *h = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		if (h->id == hwpt_id)
			return h->autodomain;
	}
	return FALSE;
}

/**
 * hiod_iommufd_container_set_huge_pages:
 * @self: a #HiodIommufdContainer
 * @enable: whether the IOAS may map in huge IOMMU pages (the kernel's default)
 * @error: return location for a #GError
 *
 * Sets iommufd's IOMMU_OPTION_HUGE_PAGES on the container's IOAS (Linux
 * 6.2), now when the IOAS exists, else when the first device attaches. On,
 * the kernel maps a physically contiguous run (a 2 MiB hugetlbfs page, say)
 * with one huge IOMMU page, which is what large guests want. Off, it maps
 * and pins in CPU pages: a test or a driver that must unmap any 4 KiB of a
 * larger mapping alone wants that. The kernel refuses to turn it off once
 * the IOAS holds mappings for an attached device
 * (%HIOD_ERROR_INVALID_ARGUMENT, and the setting is left as it was): turn
 * it off before mapping. A kernel without IOMMU_OPTION fails with
 * %HIOD_ERROR_NOT_SUPPORTED.
 *
 * Threads: call it from the thread that attaches devices, not while
 * another thread maps.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_container_set_huge_pages(HiodIommufdContainer *self, gboolean enable, GError **error)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), FALSE);
	enable = enable != FALSE;
	if (self->ioas_id != 0 &&
	    !hiod_iommufd_backend_set_huge_pages(self->backend, self->ioas_id, enable, error))
		return FALSE;
	self->no_huge_pages = !enable;
	return TRUE;
}

/**
 * hiod_iommufd_container_get_huge_pages:
 * @self: a #HiodIommufdContainer
 *
 * Gets whether the container's IOAS maps in huge IOMMU pages, as set by
 * hiod_iommufd_container_set_huge_pages() (or, for an IOAS adopted across a
 * live update, as the kernel had it).
 *
 * Returns: %TRUE when huge IOMMU pages are allowed (the default)
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_container_get_huge_pages(HiodIommufdContainer *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), TRUE);
	return !self->no_huge_pages;
}

/* IOAS, ranges, HWPTs ------------------------------------------------------------ */

static HiodContext *
hiod_iommufd_container_ctx(HiodIommufdContainer *self)
{
	return hiod_container_get_context(HIOD_CONTAINER(self));
}

static void
hiod_iommufd_container_put_ioas(HiodIommufdContainer *self)
{
	g_autoptr(GError) error = NULL;
	if (self->ioas_id == 0)
		return;
	if (!hiod_iommufd_backend_destroy(self->backend, self->ioas_id, &error))
		g_debug("%s", error->message);
	self->ioas_id = 0;
	hiod_iommufd_backend_disconnect(self->backend);
}

static gboolean
hiod_iommufd_container_ensure_ioas(HiodIommufdContainer *self, gboolean *made, GError **error)
{
	*made = FALSE;
	if (self->ioas_id != 0)
		return TRUE;
	if (!hiod_iommufd_backend_connect(self->backend, error))
		return FALSE;
	if (!hiod_iommufd_backend_alloc_ioas(self->backend, &self->ioas_id, error)) {
		hiod_iommufd_backend_disconnect(self->backend);
		return FALSE;
	}
	*made = TRUE;
	if (self->no_huge_pages &&
	    !hiod_iommufd_backend_set_huge_pages(self->backend, self->ioas_id, FALSE, error)) {
		hiod_iommufd_container_put_ioas(self);
		*made = FALSE;
		return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_iommufd_container_refresh_ranges(HiodIommufdContainer *self, GError **error)
{
	g_autoptr(GPtrArray) ranges = NULL;
	guint64 align = 0;
	ranges = hiod_iommufd_backend_get_iova_ranges(self->backend, self->ioas_id, &align, error);
	if (ranges == NULL)
		return FALSE;
	hiod_container_set_iova_ranges(HIOD_CONTAINER(self), ranges);
	hiod_container_set_page_size_mask(HIOD_CONTAINER(self), align != 0 ? align : 4096);
	return TRUE;
}

static void
hiod_iommufd_container_update_dirty(HiodIommufdContainer *self)
{
	gboolean all = self->hwpts->len > 0;
	for (guint i = 0; i < self->hwpts->len; i++) {
		if (!(g_array_index(self->hwpts, HiodIommufdHwpt, i).flags &
		      HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING))
			all = FALSE;
	}
	hiod_container_set_dirty_tracking_supported(HIOD_CONTAINER(self), all);
}

/* @pt_id: in, a HWPT or the IOAS; out, the HWPT the kernel attached the device to */
static gboolean
hiod_iommufd_device_attach_pt(HiodContext *ctx, gint fd, guint32 *pt_id, GError **error)
{
	struct hiod_vfio_device_attach_iommufd_pt arg = {.pt_id = *pt_id};
	if (hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_DEVICE_ATTACH_IOMMUFD_PT), &arg, sizeof(arg),
			      error) < 0)
		return FALSE;
	*pt_id = arg.pt_id;
	return TRUE;
}

static gboolean
hiod_iommufd_device_detach_pt(HiodContext *ctx, gint fd, GError **error)
{
	struct hiod_vfio_device_detach_iommufd_pt arg = {0};
	return hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_DEVICE_DETACH_IOMMUFD_PT), &arg, sizeof(arg),
				 error) == 0;
}

/* Drops a device's reference to @hwpt_id; the last one frees the HWPT. */
static void
hiod_iommufd_container_put_hwpt(HiodIommufdContainer *self, guint32 hwpt_id)
{
	for (guint i = 0; i < self->hwpts->len; i++) {
		HiodIommufdHwpt *h = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		g_autoptr(GError) error = NULL;
		if (h->id != hwpt_id)
			continue;
		if (--h->n_devices > 0)
			return;
		/* an autodomain went with its last device; in hand-off mode it is another process's */
		if (!h->autodomain && !self->handoff &&
		    !hiod_iommufd_backend_destroy(self->backend, h->id, &error))
			g_debug("%s", error->message);
		g_array_remove_index(self->hwpts, i);
		hiod_iommufd_container_update_dirty(self);
		return;
	}
}

/* Attaches the bound device to the IOAS itself: the kernel reuses a
 * compatible automatic domain of the IOAS or makes one, and says which. */
static gboolean
hiod_iommufd_container_attach_ioas(HiodIommufdContainer *self, gint fd, guint32 *hwpt_id,
				   GError **error)
{
	HiodIommufdHwpt h = {.autodomain = TRUE, .n_devices = 1};
	guint32 pt_id = self->ioas_id;

	if (!hiod_iommufd_device_attach_pt(hiod_iommufd_container_ctx(self), fd, &pt_id, error)) {
		g_prefix_error(error, "attaching to IOAS %u: ", self->ioas_id);
		return FALSE;
	}
	*hwpt_id = pt_id;
	for (guint i = 0; i < self->hwpts->len; i++) {
		HiodIommufdHwpt *cur = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		if (cur->id == pt_id) {
			cur->n_devices++;
			return TRUE;
		}
	}
	h.id = pt_id;
	g_array_append_val(self->hwpts, h);
	hiod_iommufd_container_update_dirty(self);
	return TRUE;
}

/* Attaches the bound device (@fd, @devid) to a HWPT of the container that
 * takes it, or to a new one, or (when the kernel cannot make or the device
 * cannot take a new one) to the IOAS; adds the device's reference to it. */
static gboolean
hiod_iommufd_container_get_hwpt(HiodIommufdContainer *self, const gchar *name, gint fd,
				guint32 devid, guint64 viommu_flags, guint32 *hwpt_id,
				GError **error)
{
	HiodContext *ctx = hiod_iommufd_container_ctx(self);
	gboolean want_parent = (viommu_flags & HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT) != 0;
	g_auto(HiodIommufdHwInfo) info = {0};
	g_autoptr(GError) error_local = NULL;
	gboolean have_auto = FALSE;
	HiodIommufdHwpt h = {0};
	guint32 pt_id;

	for (guint i = 0; i < self->hwpts->len; i++) {
		HiodIommufdHwpt *cur = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		g_autoptr(GError) error_try = NULL;
		if (cur->autodomain) {
			have_auto = TRUE;
			continue;
		}
		if (((cur->flags & HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT) != 0) != want_parent)
			continue;
		pt_id = cur->id;
		if (hiod_iommufd_device_attach_pt(ctx, fd, &pt_id, &error_try)) {
			cur->n_devices++;
			*hwpt_id = cur->id;
			return TRUE;
		}
		if (!g_error_matches(error_try, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT)) {
			g_propagate_prefixed_error(error, g_steal_pointer(&error_try),
						   "attaching to HWPT %u: ", cur->id);
			return FALSE;
		}
		g_debug("%s does not fit HWPT %u: %s", name, cur->id, error_try->message);
	}
	/* the IOAS already works through the kernel's domain: let the kernel choose again */
	if (have_auto && !want_parent)
		return hiod_iommufd_container_attach_ioas(self, fd, hwpt_id, error);

	/* a new HWPT on the IOAS */
	if (!hiod_iommufd_backend_get_hw_info(self->backend, devid, &info, error))
		return FALSE;
	h.flags = want_parent ? HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT : 0;
	if (info.capabilities & HIOD_IOMMU_HW_CAP_DIRTY_TRACKING)
		h.flags |= HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING;
	if (!hiod_iommufd_backend_alloc_hwpt(self->backend, devid, self->ioas_id, h.flags, 0, NULL, 0,
					     &h.id, &error_local)) {
		if (want_parent || !g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		g_debug("%s: %s; attaching to the IOAS instead", name, error_local->message);
		return hiod_iommufd_container_attach_ioas(self, fd, hwpt_id, error);
	}
	pt_id = h.id;
	if (!hiod_iommufd_device_attach_pt(ctx, fd, &pt_id, &error_local)) {
		g_autoptr(GError) error_destroy = NULL;
		if (!hiod_iommufd_backend_destroy(self->backend, h.id, &error_destroy)) {
			g_debug("%s", error_destroy->message);
			g_array_append_val(self->stale, h.id);
		}
		if (want_parent || !g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT)) {
			g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
						   "attaching to the new HWPT %u: ", h.id);
			return FALSE;
		}
		/* e.g. Linux 6.12 on a first-stage-only VT-d: its paging HWPT is second stage */
		g_debug("%s refuses the new HWPT %u (%s); attaching to the IOAS instead", name, h.id,
			error_local->message);
		g_clear_error(&error_local);
		if (!hiod_iommufd_container_attach_ioas(self, fd, hwpt_id, &error_local)) {
			if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT))
				/* measured: Linux 6.12 on a first-stage-only VT-d (QEMU 11
				 * scalable-mode=on,fsts=on) makes every iommufd page table
				 * second stage, its automatic domains too */
				g_prefix_error(&error_local,
					       "the host IOMMU takes neither a new HWPT nor the kernel's "
					       "automatic domain (this kernel's iommufd page tables are of "
					       "a kind the IOMMU lacks, e.g. Linux 6.12 on a VT-d with "
					       "first-stage tables only; the legacy backend can work "
					       "there): ");
			else
				g_prefix_error(&error_local, "the device refused a new HWPT, then ");
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		return TRUE;
	}
	if ((h.flags & HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING) &&
	    hiod_container_get_dirty_tracking_started(HIOD_CONTAINER(self)) &&
	    !hiod_iommufd_backend_set_dirty_tracking(self->backend, h.id, TRUE, error)) {
		hiod_iommufd_device_detach_pt(ctx, fd, NULL);
		hiod_iommufd_backend_destroy(self->backend, h.id, NULL);
		return FALSE;
	}
	h.n_devices = 1;
	g_array_append_val(self->hwpts, h);
	hiod_iommufd_container_update_dirty(self);
	*hwpt_id = h.id;
	return TRUE;
}

/* the class methods ---------------------------------------------------------------- */

/* Adoption: the device's cdev fd was handed over, bound to this iommufd and
 * attached to one of the HWPTs; only read what it offers. */
static gboolean
hiod_iommufd_container_adopt_device(HiodIommufdContainer *self, HiodVfioDevice *device,
				    GError **error)
{
	HiodContext *ctx = hiod_iommufd_container_ctx(self);
	const gchar *name = hiod_vfio_device_get_name(device);
	gpointer key = NULL, value = NULL;
	HiodIommufdIncoming *in;
	HiodIommufdHwpt *h = NULL;

	if (!g_hash_table_steal_extended(self->incoming, name, &key, &value))
		g_assert_not_reached();
	g_free(key); /* stolen: the table's destroy functions do not run */
	in = value;
	for (guint i = 0; i < self->hwpts->len; i++) {
		if (g_array_index(self->hwpts, HiodIommufdHwpt, i).id == in->hwpt_id)
			h = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
	}
	if (h == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "adopting %s: it was handed over attached to HWPT %u, which the document "
			    "does not list",
			    name, in->hwpt_id);
		hiod_kernel_close(ctx, in->fd);
		g_free(in);
		return FALSE;
	}
	h->n_devices++;
	hiod_vfio_device_set_fd(device, in->fd);
	hiod_vfio_device_set_devid(device, in->devid);
	hiod_vfio_device_set_hwpt_id(device, in->hwpt_id);
	g_free(in);
	if (!hiod_iommufd_container_refresh_ranges(self, error) ||
	    !hiod_vfio_device_load_info(device, error)) {
		/* hand-off mode: closing our fd detaches nothing */
		hiod_vfio_device_set_fd(device, -1);
		hiod_vfio_device_set_devid(device, 0);
		hiod_vfio_device_set_hwpt_id(device, 0);
		h->n_devices--;
		g_prefix_error(error, "adopting %s: ", name);
		return FALSE;
	}
	return TRUE;
}


static gboolean
hiod_iommufd_container_attach_device(HiodContainer *container, HiodVfioDevice *device,
				     guint64 viommu_flags, GError **error)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(container);
	HiodContext *ctx = hiod_container_get_context(container);
	const gchar *name = hiod_vfio_device_get_name(device);
	const gchar *cdev = hiod_vfio_device_get_cdev_path(device);
	struct hiod_vfio_device_bind_iommufd bind = {0};
	g_autoptr(GError) error_local = NULL;
	gboolean made_ioas = FALSE;
	guint32 hwpt_id = 0;
	gint fd;

	if (self->incoming != NULL && g_hash_table_contains(self->incoming, name))
		return hiod_iommufd_container_adopt_device(self, device, error);
	if (cdev == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "%s has no VFIO device cdev (vfio-dev/vfioN in sysfs): the kernel needs "
			    "CONFIG_VFIO_DEVICE_CDEV for iommufd; use the legacy backend",
			    name);
		return FALSE;
	}
	if (!hiod_iommufd_container_ensure_ioas(self, &made_ioas, error)) {
		g_prefix_error(error, "attaching %s: ", name);
		return FALSE;
	}
	fd = hiod_kernel_open(ctx, cdev, O_RDWR, &error_local);
	if (fd < 0)
		goto fail;
	bind.iommufd = hiod_iommufd_backend_get_fd(self->backend);
	if (hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_DEVICE_BIND_IOMMUFD), &bind, sizeof(bind),
			      &error_local) < 0) {
		gint errnum = errno;
		if (errnum == EINVAL)
			g_prefix_error(&error_local, "binding %s to the iommufd (is it already bound, "
						     "or open elsewhere?): ",
				       cdev);
		else
			g_prefix_error(&error_local, "binding %s to the iommufd: ", cdev);
		if (errnum == EPERM)
			hiod_sysfs_explain_unsafe_interrupts(ctx, -1, name, "iommufd", error_local);
		goto fail;
	}
	if (!hiod_iommufd_container_get_hwpt(self, name, fd, bind.out_devid, viommu_flags, &hwpt_id,
					     &error_local))
		goto fail;
	if (!hiod_iommufd_container_refresh_ranges(self, &error_local))
		goto fail_hwpt;
	hiod_vfio_device_set_fd(device, fd);
	fd = -1;
	hiod_vfio_device_set_devid(device, bind.out_devid);
	hiod_vfio_device_set_hwpt_id(device, hwpt_id);
	if (!hiod_vfio_device_load_info(device, &error_local)) {
		hiod_vfio_device_set_fd(device, -1);
		hiod_vfio_device_set_devid(device, 0);
		hiod_vfio_device_set_hwpt_id(device, 0);
		goto fail_hwpt;
	}
	return TRUE;

fail_hwpt:
	/* closing the device fd unbinds and detaches it; then the HWPT can go */
	hiod_kernel_close(ctx, fd);
	fd = -1;
	hiod_iommufd_container_put_hwpt(self, hwpt_id);
	if (self->ioas_id != 0 && !made_ioas)
		hiod_iommufd_container_refresh_ranges(self, NULL);
fail:
	hiod_kernel_close(ctx, fd);
	if (made_ioas)
		hiod_iommufd_container_put_ioas(self);
	g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "attaching %s: ", name);
	return FALSE;
}

static void
hiod_iommufd_container_detach_device(HiodContainer *container, HiodVfioDevice *device)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(container);
	HiodContext *ctx = hiod_container_get_context(container);
	guint32 hwpt_id = hiod_vfio_device_get_hwpt_id(device);
	g_autoptr(GError) error = NULL;
	guint left = 0;

	if (hiod_vfio_device_get_fd(device) >= 0 && !self->handoff &&
	    !hiod_iommufd_device_detach_pt(ctx, hiod_vfio_device_get_fd(device), &error))
		g_debug("detaching %s: %s", hiod_vfio_device_get_name(device), error->message);
	hiod_vfio_device_set_fd(device, -1);
	hiod_vfio_device_set_devid(device, 0);
	hiod_vfio_device_set_hwpt_id(device, 0);
	hiod_iommufd_container_put_hwpt(self, hwpt_id);
	for (guint i = 0; i < self->hwpts->len; i++)
		left += g_array_index(self->hwpts, HiodIommufdHwpt, i).n_devices;
	if (left > 0 && !self->handoff && !hiod_iommufd_container_refresh_ranges(self, &error))
		g_debug("%s", error->message);
}

static void
hiod_iommufd_container_release(HiodContainer *container)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(container);
	if (self->handoff) {
		/* the IOAS and HWPTs are another process's now: only let go of the fd */
		g_array_set_size(self->hwpts, 0);
		if (self->ioas_id != 0) {
			self->ioas_id = 0;
			hiod_iommufd_backend_disconnect(self->backend);
		}
		hiod_container_set_dirty_tracking_supported(container, FALSE);
		return;
	}
	for (guint i = 0; i < self->stale->len; i++)
		hiod_iommufd_backend_destroy(self->backend, g_array_index(self->stale, guint32, i), NULL);
	g_array_set_size(self->stale, 0);
	/* HWPTs left by devices that never detached: free them before the IOAS */
	while (self->hwpts->len > 0) {
		HiodIommufdHwpt *h = &g_array_index(self->hwpts, HiodIommufdHwpt, 0);
		if (!h->autodomain)
			hiod_iommufd_backend_destroy(self->backend, h->id, NULL);
		g_array_remove_index(self->hwpts, 0);
	}
	hiod_iommufd_container_put_ioas(self);
	hiod_container_set_dirty_tracking_supported(container, FALSE);
}

HIOD_HOT static gboolean
hiod_iommufd_container_dma_map(HiodContainer *container, guint64 iova, guint64 size, gpointer vaddr,
			       HiodDmaFlags flags, GError **error)
{
	/* (no checked casts on the map path: the base class calls it on its own instance) */
	HiodIommufdContainer *self = (HiodIommufdContainer *)container;
	gboolean readonly = (flags & HIOD_DMA_FLAGS_READONLY) != 0;
	guint64 start = 0;
	gint fd = -1;
	if (self->handoff) /* adoption: the kernel holds the mapping already */
		return TRUE;
	if (hiod_container_find_memory(container, vaddr, size, &fd, &start) &&
	    hiod_iommufd_backend_has_map_file(self->backend)) {
		g_autoptr(GError) local = NULL;
		if (hiod_iommufd_backend_map_file(self->backend, self->ioas_id, iova, size, fd, start,
						  readonly, &local))
			return TRUE;
		/* ENOTTY: Linux before 6.13; EINVAL: a file it does not map (not a memfd) */
		if (!g_error_matches(local, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED) &&
		    !g_error_matches(local, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		g_debug("%s; mapping by address instead", local->message);
	}
	if (!hiod_iommufd_backend_map(self->backend, self->ioas_id, iova, size, vaddr, readonly, error))
		return FALSE;
	self->by_address = TRUE;
	return TRUE;
}

HIOD_HOT static gboolean
hiod_iommufd_container_dma_unmap(HiodContainer *container, guint64 iova, guint64 size,
				 gboolean unmap_all, GError **error)
{
	HiodIommufdContainer *self = (HiodIommufdContainer *)container;
	if (self->handoff) /* the mapping stays: the other process owns it */
		return TRUE;
	if (unmap_all)
		return hiod_iommufd_backend_unmap(self->backend, self->ioas_id, 0, G_MAXUINT64, error);
	return hiod_iommufd_backend_unmap(self->backend, self->ioas_id, iova, size, error);
}

static gboolean
hiod_iommufd_container_dma_copy(HiodContainer *container, HiodContainer *src, guint64 src_iova,
				guint64 dst_iova, guint64 size, HiodDmaFlags flags, GError **error)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(container);
	HiodIommufdContainer *other = HIOD_IOMMUFD_CONTAINER(src);
	if (other->backend != self->backend) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "the source container uses another iommufd: IOAS copy needs one "
				    "shared backend");
		return FALSE;
	}
	if (other->ioas_id == 0 || self->ioas_id == 0) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "IOAS copy needs both containers to hold an IOAS");
		return FALSE;
	}
	return hiod_iommufd_backend_copy(self->backend, self->ioas_id, other->ioas_id, src_iova,
					 dst_iova, size, (flags & HIOD_DMA_FLAGS_READONLY) != 0, error);
}

static gboolean
hiod_iommufd_container_set_dirty_tracking(HiodContainer *container, gboolean start, GError **error)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(container);
	guint i;
	for (i = 0; i < self->hwpts->len; i++) {
		HiodIommufdHwpt *h = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		if (!(h->flags & HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING))
			continue;
		if (!hiod_iommufd_backend_set_dirty_tracking(self->backend, h->id, start, error))
			goto rollback;
	}
	return TRUE;

rollback:
	while (i-- > 0) {
		HiodIommufdHwpt *h = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		g_autoptr(GError) error_local = NULL;
		if (!(h->flags & HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING))
			continue;
		if (!hiod_iommufd_backend_set_dirty_tracking(self->backend, h->id, !start, &error_local))
			g_debug("rolling back dirty tracking: %s", error_local->message);
	}
	return FALSE;
}

static gboolean
hiod_iommufd_container_query_dirty_bitmap(HiodContainer *container, guint64 iova, guint64 size,
					  guint64 page_size, guint64 *bitmap, HiodDirtyFlags flags,
					  GError **error)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(container);
	for (guint i = 0; i < self->hwpts->len; i++) {
		HiodIommufdHwpt *h = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		if (!(h->flags & HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING))
			continue;
		if (!hiod_iommufd_backend_get_dirty_bitmap(self->backend, h->id, iova, size, page_size,
							   bitmap,
							   (flags & HIOD_DIRTY_FLAGS_NO_CLEAR) != 0,
							   error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_iommufd_container_pci_hot_reset(HiodContainer *container, HiodVfioDevice *device,
				     gboolean single, GError **error)
{
	HiodContext *ctx = hiod_container_get_context(container);
	const gchar *name = hiod_vfio_device_get_name(device);
	gint fd = hiod_vfio_device_get_fd(device);
	guint32 own = hiod_vfio_device_get_devid(device);
	g_autofree struct hiod_vfio_pci_hot_reset_info *info = NULL;
	struct hiod_vfio_pci_hot_reset reset = {0};
	guint32 count = 8;

	for (guint pass = 0;; pass++) {
		g_autoptr(GError) error_local = NULL;
		gsize sz = sizeof(*info) + count * sizeof(struct hiod_vfio_pci_dependent_device);
		g_free(info);
		info = g_malloc0(sz);
		info->count = count;
		if (hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO), info, sz,
				      &error_local) == 0)
			break;
		if (errno == ENOSPC && pass == 0 && info->count > HIOD_KERNEL_MAX_RESET_DEVICES) {
			hiod_kernel_set_bad_reply(error, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
						  "it asks for room for %u devices, more than a PCI "
						  "segment has (%u)",
						  info->count, HIOD_KERNEL_MAX_RESET_DEVICES);
			g_prefix_error(error, "hot reset of %s: ", name);
			return FALSE;
		}
		if (errno != ENOSPC || pass > 0 || info->count <= count) {
			if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_FOUND))
				g_prefix_error(&error_local, "(no slot or bus reset can reach it alone: "
							     "on a root bus, or sharing its bus) ");
			g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
						   "hot reset of %s: ", name);
			return FALSE;
		}
		count = info->count;
	}
	if (!(info->flags & HIOD_VFIO_PCI_HOT_RESET_FLAG_DEV_ID)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "hot reset of %s: the kernel did not report the affected devices by "
			    "iommufd device id",
			    name);
		return FALSE;
	}
	if (!(info->flags & HIOD_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED)) {
		g_autoptr(GString) others = g_string_new(NULL);
		for (guint32 i = 0; i < MIN(info->count, count); i++) {
			struct hiod_vfio_pci_dependent_device *d = &info->devices[i];
			if ((gint32)d->devid != HIOD_VFIO_PCI_DEVID_NOT_OWNED)
				continue;
			g_string_append_printf(others, "%s%04x:%02x:%02x.%x", others->len ? ", " : "",
					       d->segment, d->bus, d->devfn >> 3, d->devfn & 7);
		}
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED,
			    "cannot reset %s: the reset also resets %s, which this iommufd does not own",
			    name, others->len ? others->str : "devices");
		return FALSE;
	}
	if (single) {
		for (guint32 i = 0; i < MIN(info->count, count); i++) {
			struct hiod_vfio_pci_dependent_device *d = &info->devices[i];
			if (d->devid != 0 && (gint32)d->devid != HIOD_VFIO_PCI_DEVID_NOT_OWNED &&
			    d->devid != own) {
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_BUSY,
					    "cannot reset %s alone: the reset also resets "
					    "%04x:%02x:%02x.%x",
					    name, d->segment, d->bus, d->devfn >> 3, d->devfn & 7);
				return FALSE;
			}
		}
	}
	/* the iommufd form: no group fds, ownership is proven by the iommufd */
	if (hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_DEVICE_PCI_HOT_RESET), &reset, sizeof(reset),
			      error) < 0) {
		g_prefix_error(error, "hot reset of %s: ", name);
		return FALSE;
	}
	return TRUE;
}

static void
hiod_iommufd_container_add_json(HiodContainer *container, JsonBuilder *builder)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(container);
	hiod_json_add_int(builder, "ioas_id", self->ioas_id);
	hiod_json_add_bool(builder, "iommufd_passed_in", !hiod_iommufd_backend_is_owned(self->backend));
	hiod_json_add_bool(builder, "huge_pages", !self->no_huge_pages);
	json_builder_set_member_name(builder, "hwpts");
	json_builder_begin_array(builder);
	for (guint i = 0; i < self->hwpts->len; i++) {
		HiodIommufdHwpt *h = &g_array_index(self->hwpts, HiodIommufdHwpt, i);
		json_builder_begin_object(builder);
		hiod_json_add_int(builder, "id", h->id);
		hiod_json_add_bool(builder, "nest_parent", (h->flags & HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT) != 0);
		hiod_json_add_bool(builder, "dirty_tracking",
				   (h->flags & HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING) != 0);
		hiod_json_add_int(builder, "devices", h->n_devices);
		hiod_json_add_bool(builder, "autodomain", h->autodomain);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

/* GObject ------------------------------------------------------------------------ */

/* live update (hiod-backend-private.h) ------------------------------------------- */

void
hiod_iommufd_container_set_handoff(HiodIommufdContainer *self, gboolean handoff)
{
	g_return_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self));
	self->handoff = handoff;
}

gboolean
hiod_iommufd_container_get_mapped_by_address(HiodIommufdContainer *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), FALSE);
	return self->by_address;
}

gboolean
hiod_iommufd_container_set_incoming(HiodIommufdContainer *self, guint32 ioas_id,
				    const HiodIommufdHwptState *hwpts, guint n_hwpts, GError **error)
{
	gboolean huge = TRUE;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), FALSE);
	g_return_val_if_fail(self->ioas_id == 0 && self->incoming == NULL, FALSE);
	if (ioas_id == 0) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "live-update document: an iommufd container without its IOAS id");
		return FALSE;
	}
	if (!hiod_iommufd_backend_connect(self->backend, error))
		return FALSE;
	self->ioas_id = ioas_id;
	self->handoff = TRUE;
	/* the IOAS keeps the other process's setting (a kernel without IOMMU_OPTION: on) */
	if (hiod_iommufd_backend_get_huge_pages(self->backend, ioas_id, &huge, NULL))
		self->no_huge_pages = !huge;
	self->incoming = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, hiod_iommufd_incoming_free);
	for (guint i = 0; i < n_hwpts; i++) {
		HiodIommufdHwpt h = {.id = hwpts[i].id, .flags = hwpts[i].flags,
				     .autodomain = hwpts[i].autodomain};
		g_array_append_val(self->hwpts, h);
	}
	hiod_iommufd_container_update_dirty(self);
	return TRUE;
}

void
hiod_iommufd_container_add_incoming(HiodIommufdContainer *self, const gchar *name, gint fd,
				    guint32 devid, guint32 hwpt_id)
{
	HiodIommufdIncoming *in;
	g_return_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self) && self->incoming != NULL);
	in = g_new0(HiodIommufdIncoming, 1);
	in->fd = fd;
	in->devid = devid;
	in->hwpt_id = hwpt_id;
	g_hash_table_replace(self->incoming, g_strdup(name), in);
}

guint
hiod_iommufd_container_finish_incoming(HiodIommufdContainer *self)
{
	guint left = 0;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_CONTAINER(self), 0);
	if (self->incoming != NULL) {
		GHashTableIter it;
		gpointer v;
		g_hash_table_iter_init(&it, self->incoming);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			hiod_kernel_close(hiod_iommufd_container_ctx(self), ((HiodIommufdIncoming *)v)->fd);
			left++;
		}
		g_clear_pointer(&self->incoming, g_hash_table_unref);
	}
	/* HWPTs the document listed that no device took: not ours to keep */
	for (guint i = self->hwpts->len; i > 0; i--) {
		if (g_array_index(self->hwpts, HiodIommufdHwpt, i - 1).n_devices == 0)
			g_array_remove_index(self->hwpts, i - 1);
	}
	self->handoff = FALSE;
	return left;
}

static void
hiod_iommufd_container_get_property(GObject *object, guint prop_id, GValue *value,
				    GParamSpec *pspec)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(object);
	switch (prop_id) {
	case PROP_BACKEND:
		g_value_set_object(value, self->backend);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_iommufd_container_set_property(GObject *object, guint prop_id, const GValue *value,
				    GParamSpec *pspec)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(object);
	switch (prop_id) {
	case PROP_BACKEND:
		g_set_object(&self->backend, g_value_get_object(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_iommufd_container_init(HiodIommufdContainer *self)
{
	self->hwpts = g_array_new(FALSE, FALSE, sizeof(HiodIommufdHwpt));
	self->stale = g_array_new(FALSE, FALSE, sizeof(guint32));
}

static void
hiod_iommufd_container_constructed(GObject *object)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(object);
	G_OBJECT_CLASS(hiod_iommufd_container_parent_class)->constructed(object);
	if (self->backend == NULL) {
		/* made with g_object_new() alone: a backend that opens /dev/iommu when used */
		self->backend = g_object_new(HIOD_TYPE_IOMMUFD_BACKEND, "context",
					     hiod_container_get_context(HIOD_CONTAINER(self)), NULL);
	}
}

static void
hiod_iommufd_container_dispose(GObject *object)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(object);
	if (self->incoming != NULL) {
		/* a failed adoption: the fds no device took */
		GHashTableIter it;
		gpointer v;
		g_hash_table_iter_init(&it, self->incoming);
		while (g_hash_table_iter_next(&it, NULL, &v))
			hiod_kernel_close(hiod_iommufd_container_ctx(self), ((HiodIommufdIncoming *)v)->fd);
		g_clear_pointer(&self->incoming, g_hash_table_unref);
	}
	G_OBJECT_CLASS(hiod_iommufd_container_parent_class)->dispose(object);
	/* the base class released what it set up; an IOAS left by a failed setup goes here */
	if (self->backend != NULL)
		hiod_iommufd_container_release(HIOD_CONTAINER(self));
	g_clear_object(&self->backend);
}

static void
hiod_iommufd_container_finalize(GObject *object)
{
	HiodIommufdContainer *self = HIOD_IOMMUFD_CONTAINER(object);
	g_array_unref(self->hwpts);
	g_array_unref(self->stale);
	g_clear_pointer(&self->incoming, g_hash_table_unref);
	G_OBJECT_CLASS(hiod_iommufd_container_parent_class)->finalize(object);
}

static void
hiod_iommufd_container_class_init(HiodIommufdContainerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodContainerClass *container_class = HIOD_CONTAINER_CLASS(klass);

	object_class->get_property = hiod_iommufd_container_get_property;
	object_class->set_property = hiod_iommufd_container_set_property;
	object_class->constructed = hiod_iommufd_container_constructed;
	object_class->dispose = hiod_iommufd_container_dispose;
	object_class->finalize = hiod_iommufd_container_finalize;

	container_class->backend_kind = HIOD_BACKEND_KIND_IOMMUFD;
	container_class->host_iommu_device_type = HIOD_TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO;
	container_class->release = hiod_iommufd_container_release;
	container_class->dma_map = hiod_iommufd_container_dma_map;
	container_class->dma_unmap = hiod_iommufd_container_dma_unmap;
	container_class->dma_copy = hiod_iommufd_container_dma_copy;
	container_class->attach_device = hiod_iommufd_container_attach_device;
	container_class->detach_device = hiod_iommufd_container_detach_device;
	container_class->set_dirty_tracking = hiod_iommufd_container_set_dirty_tracking;
	container_class->query_dirty_bitmap = hiod_iommufd_container_query_dirty_bitmap;
	container_class->pci_hot_reset = hiod_iommufd_container_pci_hot_reset;
	container_class->add_json = hiod_iommufd_container_add_json;

	/**
	 * HiodIommufdContainer:backend:
	 *
	 * The iommufd backend whose fd holds the container's IOAS and HWPTs.
	 *
	 * Since: 0.1
	 */
	props[PROP_BACKEND] = g_param_spec_object("backend", NULL, NULL, HIOD_TYPE_IOMMUFD_BACKEND,
						  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
						      G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-hot-private.h"

#include <string.h>
#include <unistd.h>

#include "hiod-container-private.h"
#include "hiod-enum-types.h"
#include "hiod-error.h"
#include "hiod-iova-range-private.h"
#include "hiod-json-private.h"
#include "hiod-kernel-private.h"
#include "hiod-vfio-device-private.h"

/**
 * HiodContainer:
 *
 * Seed 003's IOMMU backend class (QEMU's VFIOContainer + VFIOIOMMUClass): a
 * DMA address space of the host IOMMU, reached through one kernel interface.
 *
 * The base class keeps what every backend needs and hides where the kernels
 * differ: it checks every map (alignment to the smallest page size, the
 * host's usable IOVA ranges, overlap with existing mappings, the mapping
 * limit) before the backend sees it, splits partial unmaps itself (type1
 * refuses to bisect a mapping, iommufd answers ENOENT), treats the unmap of
 * nothing as success on every backend, and reports every mapped page dirty
 * when the backend cannot track dirty pages.
 *
 * Threads: hiod_container_dma_map(), hiod_container_dma_unmap(),
 * hiod_container_dma_unmap_all(), hiod_container_dma_copy() and the getters of
 * the IOVA ranges, page sizes, mapping count and limit, backend kind and
 * context may be called from any thread, concurrently with each other and
 * with the attach or detach of a device other than the container's last
 * (which replaces the IOVA ranges and page sizes: a reader sees the whole
 * answer from before or from after, never a mix). Attach, detach, setup,
 * release, starting or stopping dirty tracking, DMA windows (sPAPR),
 * hiod_container_get_devices() and hiod_container_to_json() change or walk
 * the backend's own state: make them from one thread at a time, and not while
 * the first device arrives or the last leaves and other threads map (a
 * #HiodAddressSpace serialises the ones it makes). Dirty-bitmap queries and
 * unmaps with a bitmap may run concurrently with map and unmap, not with
 * attach, detach or a tracking change.
 *
 * Since: 0.1
 */

typedef struct {
	HiodContainerHot hot; /* first: hiod_container_peek_hot() */
	HiodMutex lock; /* mappings, n_mappings; held to change the host's answers too */
	HiodIntervalMap *mappings;
	/* What setup learnt from the host, replaced by a backend on every
	 * attach/detach (iommufd re-reads its IOAS ranges, type1 its info when a
	 * group joins or leaves) while other threads map. info_lock is a leaf:
	 * it is never held while anything else is called. Readers copy or check
	 * under it (no reference to the array leaves the lock). A change holds
	 * lock too (then info_lock), so that the map and unmap paths, which
	 * hold lock, read them without a second lock. */
	GMutex info_lock;
	GPtrArray *iova_ranges; /* info_lock + lock */
	guint64 page_size_mask; /* info_lock + lock */
	guint64 min_page_size;	/* info_lock + lock: the smallest of the mask, or the CPU's */
	guint max_mappings;
	gboolean dirty_supported;
	gboolean dirty_started;
	gboolean setup_done;
	GPtrArray *devices; /* HiodVfioDevice, not owned: a device detaches before it goes */
} HiodContainerPrivate;

enum {
	PROP_0,
	PROP_CONTEXT,
	N_PROPS,
};
static GParamSpec *props[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(HiodContainer, hiod_container, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((HiodContainerPrivate *)hiod_container_get_instance_private(o))

/* HIOD_IS_CONTAINER() for the map paths: no call once a class has passed */
static HiodClassCache hiod_container_checked;
#define HIOD_IS_CONTAINER_FAST(o) \
	hiod_instance_is_a_fast((o), hiod_container_get_type, &hiod_container_checked)

static gchar *hiod_ranges_to_string(GPtrArray *ranges);

/* What to do when the mapping limit is near: the ways out this backend has. */
static const gchar *
hiod_container_limit_advice(HiodContainer *self)
{
	switch (HIOD_CONTAINER_GET_CLASS(self)->backend_kind) {
	case HIOD_BACKEND_KIND_LEGACY:
		return "coalesce touching sections into one mapping (hiod_address_space_set_coalesce()), "
		       "raise vfio_iommu_type1.dma_entry_limit, or use the iommufd backend, which has no "
		       "such limit";
	case HIOD_BACKEND_KIND_VDPA:
		return "coalesce touching sections into one mapping (hiod_address_space_set_coalesce()) "
		       "or raise vhost_vdpa.max_iotlb_entries";
	default:
		return "coalesce touching sections into one mapping (hiod_address_space_set_coalesce())";
	}
}

/* "Near" the limit: less than an eighth of it left, or fewer than 1024 entries. */
static gboolean
hiod_container_limit_near(guint max, guint n)
{
	guint left = n < max ? max - n : 0;
	return max > 0 && (left < 1024 || left < max / 8);
}

static gboolean
hiod_container_not_supported(HiodContainer *self, const gchar *what, GError **error)
{
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED, "%s does not support %s",
		    G_OBJECT_TYPE_NAME(self), what);
	return FALSE;
}

/**
 * hiod_container_get_context:
 * @self: a #HiodContainer
 *
 * Gets the context.
 *
 * Returns: (transfer none): the context
 *
 * Since: 0.1
 */
HiodContext *
hiod_container_get_context(HiodContainer *self)
{
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), NULL);
	return GET_PRIVATE(self)->hot.ctx;
}

glong hiod_container_hot_offset;

/**
 * hiod_container_get_backend_kind:
 * @self: a #HiodContainer
 *
 * Gets the kernel interface the container speaks.
 *
 * Returns: the kernel interface the container speaks
 *
 * Since: 0.1
 */
HiodBackendKind
hiod_container_get_backend_kind(HiodContainer *self)
{
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), HIOD_BACKEND_KIND_AUTO);
	return HIOD_CONTAINER_GET_CLASS(self)->backend_kind;
}

/**
 * hiod_container_get_iova_ranges:
 * @self: a #HiodContainer
 *
 * Gets a copy of the usable IOVA ranges the backend reported (empty before setup).
 *
 * Returns: (transfer container) (element-type HiodIovaRange): a copy of the usable
 * IOVA ranges the backend reported (empty before setup)
 *
 * Since: 0.1
 */
GPtrArray *
hiod_container_get_iova_ranges(HiodContainer *self)
{
	HiodContainerPrivate *priv;
	GPtrArray *ranges;
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), NULL);
	priv = GET_PRIVATE(self);
	g_mutex_lock(&priv->info_lock);
	ranges = hiod_iova_ranges_copy(priv->iova_ranges);
	g_mutex_unlock(&priv->info_lock);
	return ranges;
}

/**
 * hiod_container_get_page_size_mask:
 * @self: a #HiodContainer
 *
 * Gets the bitmap of supported IOMMU page sizes.
 *
 * Returns: the bitmap of supported IOMMU page sizes
 *
 * Since: 0.1
 */
guint64
hiod_container_get_page_size_mask(HiodContainer *self)
{
	HiodContainerPrivate *priv;
	guint64 mask;
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), 0);
	priv = GET_PRIVATE(self);
	g_mutex_lock(&priv->info_lock);
	mask = priv->page_size_mask;
	g_mutex_unlock(&priv->info_lock);
	return mask;
}

guint64
hiod_container_get_min_page_size(HiodContainer *self)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	guint64 size;
	g_mutex_lock(&priv->info_lock);
	size = priv->min_page_size;
	g_mutex_unlock(&priv->info_lock);
	return size;
}

gboolean
hiod_container_iova_ranges_allow(HiodContainer *self, guint64 iova, guint64 size, gchar **ranges_str)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	gboolean ok;
	g_mutex_lock(&priv->info_lock);
	ok = priv->iova_ranges->len == 0 || hiod_iova_ranges_contain(priv->iova_ranges, iova, size);
	if (!ok && ranges_str != NULL)
		*ranges_str = hiod_ranges_to_string(priv->iova_ranges);
	g_mutex_unlock(&priv->info_lock);
	return ok;
}

/**
 * hiod_container_get_max_mappings:
 * @self: a #HiodContainer
 *
 * Gets how many mappings the backend allows at most (0: no known limit).
 *
 * Returns: how many mappings the backend allows at most (0: no known limit)
 *
 * Since: 0.1
 */
guint
hiod_container_get_max_mappings(HiodContainer *self)
{
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), 0);
	return GET_PRIVATE(self)->max_mappings;
}

/**
 * hiod_container_get_dirty_tracking_supported:
 * @self: a #HiodContainer
 *
 * Tells whether the backend tracks dirty pages itself (otherwise every mapped page is reported dirty).
 *
 * Returns: whether the backend tracks dirty pages itself (otherwise every
 * mapped page is reported dirty)
 *
 * Since: 0.1
 */
gboolean
hiod_container_get_dirty_tracking_supported(HiodContainer *self)
{
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	return GET_PRIVATE(self)->dirty_supported;
}

/**
 * hiod_container_get_dirty_tracking_started:
 * @self: a #HiodContainer
 *
 * Tells whether dirty tracking is on.
 *
 * Returns: whether dirty tracking is on
 *
 * Since: 0.1
 */
gboolean
hiod_container_get_dirty_tracking_started(HiodContainer *self)
{
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	return GET_PRIVATE(self)->dirty_started;
}

/**
 * hiod_container_get_n_mappings:
 * @self: a #HiodContainer
 *
 * Gets the number of mappings the container holds.
 *
 * Returns: the number of mappings the container holds
 *
 * Since: 0.1
 */
guint
hiod_container_get_n_mappings(HiodContainer *self)
{
	HiodContainerPrivate *priv;
	guint n;
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), 0);
	priv = GET_PRIVATE(self);
	hiod_mutex_lock(&priv->lock);
	n = hiod_interval_map_size(priv->mappings);
	hiod_mutex_unlock(&priv->lock);
	return n;
}

/**
 * hiod_container_get_devices:
 * @self: a #HiodContainer
 *
 * Gets the attached devices.
 *
 * Returns: (transfer container) (element-type HiodVfioDevice): the attached devices
 *
 * Since: 0.1
 */
GPtrArray *
hiod_container_get_devices(HiodContainer *self)
{
	HiodContainerPrivate *priv;
	GPtrArray *out = g_ptr_array_new();
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), out);
	priv = GET_PRIVATE(self);
	for (guint i = 0; i < priv->devices->len; i++)
		g_ptr_array_add(out, g_ptr_array_index(priv->devices, i));
	return out;
}

void
hiod_container_with_mappings(HiodContainer *self, void (*func)(HiodIntervalMap *map, gpointer data),
			     gpointer data)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	hiod_mutex_lock(&priv->lock);
	func(priv->mappings, data);
	hiod_mutex_unlock(&priv->lock);
}

/* the backend factory ------------------------------------------------------------ */

/**
 * hiod_backend_kind_to_string:
 * @kind: a #HiodBackendKind
 *
 * Returns the kind's nick ("auto", "legacy", "spapr", "iommufd", "vdpa"), as hiodctl's --backend and the JSON documents spell it.
 *
 * Returns: the kind's nick ("auto", "legacy", "spapr", "iommufd", "vdpa"),
 * as hiodctl's --backend and the JSON documents spell it
 *
 * Since: 0.1
 */
const gchar *
hiod_backend_kind_to_string(HiodBackendKind kind)
{
	GEnumClass *klass = g_type_class_ref(HIOD_TYPE_BACKEND_KIND);
	GEnumValue *v = g_enum_get_value(klass, kind);
	const gchar *nick = v != NULL ? v->value_nick : NULL;
	g_type_class_unref(klass);
	return nick;
}

/**
 * hiod_backend_kind_from_string:
 * @str: a backend nick ("auto", "legacy", "iommufd", ...)
 * @kind: (out): the kind
 * @error: return location for a #GError
 *
 * Returns %TRUE when @str names a backend.
 *
 * Returns: %TRUE when @str names a backend
 *
 * Since: 0.1
 */
gboolean
hiod_backend_kind_from_string(const gchar *str, HiodBackendKind *kind, GError **error)
{
	GEnumClass *klass = g_type_class_ref(HIOD_TYPE_BACKEND_KIND);
	GEnumValue *v = str != NULL ? g_enum_get_value_by_nick(klass, str) : NULL;
	if (v == NULL) {
		g_autoptr(GString) names = g_string_new(NULL);
		for (guint i = 0; i < klass->n_values; i++)
			g_string_append_printf(names, "%s%s", i ? ", " : "", klass->values[i].value_nick);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "unknown backend '%s' (known: %s)", str != NULL ? str : "(null)", names->str);
		g_type_class_unref(klass);
		return FALSE;
	}
	*kind = v->value;
	g_type_class_unref(klass);
	return TRUE;
}

/* setters for subclasses ------------------------------------------------------ */

/*
 * hiod_container_set_iova_ranges: (protected, hiod-backend-private.h)
 * @self: a #HiodContainer
 * @ranges: (element-type HiodIovaRange): the usable IOVA ranges, sorted
 *
 * For subclasses, from setup: records the usable IOVA ranges (copied).
 *
 * Since: 0.1
 */
void
hiod_container_set_iova_ranges(HiodContainer *self, GPtrArray *ranges)
{
	HiodContainerPrivate *priv;
	GPtrArray *fresh, *old;
	g_return_if_fail(HIOD_IS_CONTAINER(self));
	priv = GET_PRIVATE(self);
	fresh = hiod_iova_ranges_copy(ranges);
	hiod_mutex_lock(&priv->lock);
	g_mutex_lock(&priv->info_lock);
	old = priv->iova_ranges;
	priv->iova_ranges = fresh;
	g_mutex_unlock(&priv->info_lock);
	hiod_mutex_unlock(&priv->lock);
	g_ptr_array_unref(old);
}

/*
 * hiod_container_set_page_size_mask: (protected, hiod-backend-private.h)
 * @self: a #HiodContainer
 * @mask: the bitmap of supported IOMMU page sizes
 *
 * For subclasses, from setup: records the IOMMU page sizes the backend supports.
 *
 * Since: 0.1
 */
void
hiod_container_set_page_size_mask(HiodContainer *self, guint64 mask)
{
	HiodContainerPrivate *priv;
	g_return_if_fail(HIOD_IS_CONTAINER(self));
	priv = GET_PRIVATE(self);
	hiod_mutex_lock(&priv->lock);
	g_mutex_lock(&priv->info_lock);
	priv->page_size_mask = mask;
	priv->min_page_size = mask != 0 ? mask & -mask : (guint64)sysconf(_SC_PAGESIZE);
	g_mutex_unlock(&priv->info_lock);
	hiod_mutex_unlock(&priv->lock);
}

/*
 * hiod_container_set_max_mappings: (protected, hiod-backend-private.h)
 * @self: a #HiodContainer
 * @max_mappings: the mapping limit, 0 for none known
 *
 * For subclasses, from setup: records how many mappings the backend allows at most.
 *
 * Since: 0.1
 */
void
hiod_container_set_max_mappings(HiodContainer *self, guint max_mappings)
{
	g_return_if_fail(HIOD_IS_CONTAINER(self));
	GET_PRIVATE(self)->max_mappings = max_mappings;
}

/*
 * hiod_container_set_dirty_tracking_supported: (protected, hiod-backend-private.h)
 * @self: a #HiodContainer
 * @supported: whether the backend tracks dirty pages
 *
 * For subclasses, from setup: records whether the backend tracks dirty pages itself.
 *
 * Since: 0.1
 */
void
hiod_container_set_dirty_tracking_supported(HiodContainer *self, gboolean supported)
{
	g_return_if_fail(HIOD_IS_CONTAINER(self));
	GET_PRIVATE(self)->dirty_supported = supported;
}

/* attach / detach --------------------------------------------------------------- */

/**
 * hiod_container_attach_device:
 * @self: a #HiodContainer
 * @device: a #HiodVfioDevice that is not attached anywhere
 * @viommu_flags: the vIOMMU's flags (HIOD_VIOMMU_FLAG_*), read before attach
 * @error: return location for a #GError
 *
 * Attaches @device through this backend. The first device also runs setup.
 * On failure nothing is left behind: no fd, no kernel object, no bookkeeping.
 * The device and the container must have been made with the same
 * #HiodContext (the device's fd is opened and counted through the
 * container's and closed through the device's): another one is refused with
 * %HIOD_ERROR_INVALID_ARGUMENT.
 * Most callers want hiod_address_space_attach_device(), which also finds or
 * makes the container and realizes the host IOMMU device.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_attach_device(HiodContainer *self, HiodVfioDevice *device, guint64 viommu_flags,
			     GError **error)
{
	HiodContainerClass *klass;
	HiodContainerPrivate *priv;

	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	priv = GET_PRIVATE(self);
	if (!HIOD_IS_VFIO_DEVICE(device)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "attach needs a HiodVfioDevice");
		return FALSE;
	}
	if (hiod_vfio_device_get_container(device) != NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_BUSY, "%s is already attached to a container",
			    hiod_vfio_device_get_name(device));
		return FALSE;
	}
	if (hiod_vfio_device_get_context(device) != priv->hot.ctx) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s was made with another HiodContext than the %s: its fds would be counted "
			    "in one and closed through the other; make the device and the container "
			    "with one context",
			    hiod_vfio_device_get_name(device), G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	if (klass->attach_device == NULL)
		return hiod_container_not_supported(self, "attaching devices", error);
	if (!klass->attach_device(self, device, viommu_flags, error))
		return FALSE;
	if (!hiod_container_setup(self, error)) {
		klass->detach_device(self, device);
		if (klass->release != NULL)
			klass->release(self);
		return FALSE;
	}
	g_ptr_array_add(priv->devices, device);
	hiod_vfio_device_set_container(device, self);
	return TRUE;
}

/*
 * hiod_container_setup: (protected, hiod-backend-private.h)
 * @self: a #HiodContainer
 * @error: return location for a #GError
 *
 * For subclasses: runs the class's setup once (attach_device does it for
 * the first device; a backend without VFIO devices, such as vhost-vdpa,
 * calls it when the container is made). Calling it again does nothing.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_setup(HiodContainer *self, GError **error)
{
	HiodContainerClass *klass;
	HiodContainerPrivate *priv;
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	priv = GET_PRIVATE(self);
	if (priv->setup_done)
		return TRUE;
	if (klass->setup != NULL && !klass->setup(self, error))
		return FALSE;
	priv->setup_done = TRUE;
	return TRUE;
}

/**
 * hiod_container_is_setup:
 * @self: a #HiodContainer
 *
 * Tells whether the container is set up (holds a device, or was set up by its backend) and can map.
 *
 * Returns: whether the container is set up (holds a device, or was set up
 * by its backend) and can map
 *
 * Since: 0.1
 */
gboolean
hiod_container_is_setup(HiodContainer *self)
{
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	return GET_PRIVATE(self)->setup_done;
}

/**
 * hiod_container_detach_device:
 * @self: a #HiodContainer
 * @device: a device attached to @self
 *
 * Detaches @device. When the last device leaves, the container drops its
 * mappings and releases what the backend holds; it can be attached to again.
 *
 * Since: 0.1
 */
void
hiod_container_detach_device(HiodContainer *self, HiodVfioDevice *device)
{
	HiodContainerPrivate *priv;
	g_return_if_fail(HIOD_IS_CONTAINER(self));
	priv = GET_PRIVATE(self);
	if (!g_ptr_array_remove(priv->devices, device))
		return;
	/* the device may hold the last reference */
	g_object_ref(self);
	HIOD_CONTAINER_GET_CLASS(self)->detach_device(self, device);
	hiod_vfio_device_set_container(device, NULL);
	if (priv->devices->len == 0)
		hiod_container_release(self);
	g_object_unref(self);
}

/**
 * hiod_container_release:
 * @self: a #HiodContainer
 *
 * Unmaps everything and releases what the backend holds (windows, memory
 * registrations, IOAS). Calling it again, or on a container that holds
 * nothing, does nothing.
 *
 * Since: 0.1
 */
void
hiod_container_release(HiodContainer *self)
{
	HiodContainerClass *klass;
	HiodContainerPrivate *priv;
	g_return_if_fail(HIOD_IS_CONTAINER(self));
	klass = HIOD_CONTAINER_GET_CLASS(self);
	priv = GET_PRIVATE(self);
	if (!priv->setup_done)
		return;
	hiod_mutex_lock(&priv->lock);
	if (hiod_interval_map_size(priv->mappings) > 0) {
		g_autoptr(GError) error = NULL;
		if (!klass->dma_unmap(self, 0, 0, TRUE, &error))
			g_debug("releasing %s: %s", G_OBJECT_TYPE_NAME(self), error->message);
		hiod_interval_map_remove_all(priv->mappings);
	}
	hiod_mutex_unlock(&priv->lock);
	if (klass->release != NULL)
		klass->release(self);
	priv->dirty_started = FALSE;
	priv->setup_done = FALSE;
}

/* map / unmap ------------------------------------------------------------------ */

static gchar *
hiod_ranges_to_string(GPtrArray *ranges)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < ranges->len; i++) {
		HiodIovaRange *r = g_ptr_array_index(ranges, i);
		g_string_append_printf(s, "%s[0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]",
				       i ? ", " : "", r->start, r->last);
	}
	return g_string_free(s, FALSE);
}

static gboolean
hiod_container_check_span_pgsize(guint64 pgsize, guint64 iova, guint64 size, GError **error)
{
	if (!hiod_iova_span_check(iova, size, "DMA mapping", error))
		return FALSE;
	if ((iova | size) & (pgsize - 1)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "IOVA 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER
			    "x is not aligned to the smallest IOMMU page size 0x%" G_GINT64_MODIFIER "x",
			    iova, size, pgsize);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_container_check_span(HiodContainer *self, guint64 iova, guint64 size, GError **error)
{
	return hiod_container_check_span_pgsize(hiod_container_get_min_page_size(self), iova, size,
						error);
}

/* Whether one of the usable ranges holds all of the span (which does not
 * wrap); no ranges: all of it is usable. With lock held. */
HIOD_HOT static inline gboolean
hiod_container_in_ranges(HiodContainerPrivate *priv, guint64 iova, guint64 last)
{
	return priv->iova_ranges->len == 0 || hiod_iova_ranges_hold(priv->iova_ranges, iova, last);
}

/* The refusals of hiod_container_check_map(), out of the map path */
HIOD_COLD static gboolean
hiod_container_refuse_map(HiodContainer *self, guint64 iova, guint64 size, gpointer vaddr,
			  GError **error)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	g_autofree gchar *ranges_str = NULL;
	guint64 pgsize = priv->min_page_size;
	if (!hiod_container_check_span_pgsize(pgsize, iova, size, error))
		return FALSE;
	if (GPOINTER_TO_SIZE(vaddr) & (pgsize - 1)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "host address %p is not aligned to the smallest IOMMU page size 0x%" G_GINT64_MODIFIER "x",
			    vaddr, pgsize);
		return FALSE;
	}
	ranges_str = hiod_ranges_to_string(priv->iova_ranges);
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE,
		    "IOVA [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
		    "x] is outside the host's usable IOVA ranges %s",
		    iova, iova + size - 1, ranges_str);
	return FALSE;
}

/* What a map checks against the host's answers, with lock held: the span
 * (not empty, not wrapping), its alignment and the host address's to the
 * smallest page size, and the usable ranges. */
HIOD_HOT static inline gboolean
hiod_container_check_map(HiodContainer *self, HiodContainerPrivate *priv, guint64 iova,
			 guint64 size, gpointer vaddr, GError **error)
{
	guint64 mask = priv->min_page_size - 1;
	if (G_LIKELY(hiod_iova_span_ok(iova, size) && ((iova | size | GPOINTER_TO_SIZE(vaddr)) & mask) == 0 &&
		     hiod_container_in_ranges(priv, iova, iova + size - 1)))
		return TRUE;
	return hiod_container_refuse_map(self, iova, size, vaddr, error);
}

/* The refusals of hiod_container_dma_map() before it locks */
HIOD_COLD static gboolean
hiod_container_refuse_map_args(HiodContainer *self, gpointer vaddr, GError **error)
{
	if (!GET_PRIVATE(self)->setup_done)
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s has no device attached: nothing to map for", G_OBJECT_TYPE_NAME(self));
	else if (vaddr == NULL)
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "DMA mapping of a NULL address");
	return FALSE;
}

typedef enum {
	HIOD_MAP_REFUSED_OVERLAP, /* not in the index: it overlaps */
	HIOD_MAP_REFUSED_LIMIT,	  /* in the index, over the limit */
	HIOD_MAP_REFUSED_KERNEL,  /* in the index, the kernel refused (@error says why) */
} HiodMapRefusal;

/* Its refusals from the index on (the span taken out of it again), with lock held */
HIOD_COLD static gboolean
hiod_container_refuse_mapping(HiodContainer *self, guint64 iova, guint64 size, HiodMapRefusal why,
			      GError **error)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	if (why == HIOD_MAP_REFUSED_OVERLAP) {
		const HiodInterval *other =
		    hiod_interval_map_first_overlap(priv->mappings, iova, iova + size - 1);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS,
			    "IOVA [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
			    "x] overlaps the existing mapping [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]",
			    iova, iova + size - 1, other->start, other->last);
		return FALSE;
	}
	hiod_interval_map_remove(priv->mappings, iova);
	if (why == HIOD_MAP_REFUSED_KERNEL)
		return FALSE;
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE,
		    "%s already holds %u mappings, the most the host allows (0 left): %s",
		    G_OBJECT_TYPE_NAME(self), priv->max_mappings, hiod_container_limit_advice(self));
	return FALSE;
}

/**
 * hiod_container_dma_map:
 * @self: a #HiodContainer with a device attached
 * @iova: the I/O virtual address
 * @size: bytes to map
 * @vaddr: (not nullable): the process memory to map
 * @flags: #HiodDmaFlags
 * @error: return location for a #GError
 *
 * Maps [@iova, @iova + @size) to @vaddr for every device of the container.
 * Refused with a clear error, before the kernel is asked, when the span is
 * empty, unaligned (%HIOD_ERROR_INVALID_ARGUMENT), outside the host's usable
 * IOVA ranges (%HIOD_ERROR_OUT_OF_RANGE), overlapping an existing mapping
 * (%HIOD_ERROR_EXISTS) or over the mapping limit (%HIOD_ERROR_NO_SPACE).
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
HIOD_HOT gboolean
hiod_container_dma_map(HiodContainer *self, guint64 iova, guint64 size, gpointer vaddr,
		       HiodDmaFlags flags, GError **error)
{
	HiodContainerClass *klass;
	HiodContainerPrivate *priv;
	g_autoptr(HiodMutexLocker) locker = NULL;

	g_return_val_if_fail(HIOD_IS_CONTAINER_FAST(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	priv = GET_PRIVATE(self);

	if (G_UNLIKELY(!priv->setup_done || vaddr == NULL))
		return hiod_container_refuse_map_args(self, vaddr, error);
	locker = hiod_mutex_locker_new(&priv->lock);
	if (!hiod_container_check_map(self, priv, iova, size, vaddr, error))
		return FALSE;
	/* into the index first (its one descent checks the overlap too); out
	 * again when the limit or the kernel refuses */
	if (G_UNLIKELY(!hiod_interval_map_insert_full(priv->mappings, iova, iova + size - 1, vaddr, flags)))
		return hiod_container_refuse_mapping(self, iova, size, HIOD_MAP_REFUSED_OVERLAP, error);
	if (G_UNLIKELY(priv->max_mappings > 0 &&
		       hiod_interval_map_size(priv->mappings) > priv->max_mappings))
		return hiod_container_refuse_mapping(self, iova, size, HIOD_MAP_REFUSED_LIMIT, error);
	if (G_UNLIKELY(!klass->dma_map(self, iova, size, vaddr, flags, error)))
		return hiod_container_refuse_mapping(self, iova, size, HIOD_MAP_REFUSED_KERNEL, error);
	return TRUE;
}

/* Unmaps the whole tracked mapping @i and maps back its parts outside [lo, hi]. */
static gboolean
hiod_container_unmap_one(HiodContainer *self, const HiodInterval *i, guint64 lo, guint64 hi,
			 GError **error)
{
	HiodContainerClass *klass = HIOD_CONTAINER_GET_CLASS(self);
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	HiodMapping m = {.vaddr = i->value, .flags = i->flags};
	guint64 start = i->start, last = i->last;
	gboolean left = start < lo, right = last > hi;

	if (!klass->dma_unmap(self, start, last - start + 1, FALSE, error))
		return FALSE;
	hiod_interval_map_remove(priv->mappings, start);
	if (left) {
		if (!klass->dma_map(self, start, lo - start, m.vaddr, m.flags, error))
			goto restore;
		hiod_interval_map_insert_full(priv->mappings, start, lo - 1, m.vaddr, m.flags);
	}
	if (right) {
		guint8 *va = (guint8 *)m.vaddr + (hi + 1 - start);
		if (!klass->dma_map(self, hi + 1, last - hi, va, m.flags, error))
			goto restore;
		hiod_interval_map_insert_full(priv->mappings, hi + 1, last, va, m.flags);
	}
	return TRUE;

restore:
	/* put the whole mapping back as it was */
	if (left && hiod_interval_map_remove(priv->mappings, start))
		klass->dma_unmap(self, start, lo - start, FALSE, NULL);
	if (klass->dma_map(self, start, last - start + 1, m.vaddr, m.flags, NULL))
		hiod_interval_map_insert_full(priv->mappings, start, last, m.vaddr, m.flags);
	else
		g_debug("could not restore mapping [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]",
			start, last);
	return FALSE;
}

/* hiod_container_dma_unmap() of a span that is not one whole mapping: every
 * mapping that meets it, split where only partly inside (with lock held) */
static G_GNUC_NO_INLINE gboolean
hiod_container_unmap_span(HiodContainer *self, guint64 iova, guint64 last, GError **error)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	g_autoptr(GArray) hits = NULL;

	if (hiod_interval_map_first_overlap(priv->mappings, iova, last) == NULL)
		return TRUE;
	hits = hiod_interval_map_overlaps(priv->mappings, iova, last);
	for (guint n = 0; n < hits->len; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		const HiodInterval *live = hiod_interval_map_lookup(priv->mappings, i->start);
		if (!hiod_container_unmap_one(self, live, iova, last, error)) {
			g_prefix_error(error, "unmapping [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]: ",
				       iova, last);
			return FALSE;
		}
	}
	return TRUE;
}

/* The kernel refused to unmap the whole mapping @whole: back into the index */
HIOD_COLD static gboolean
hiod_container_unmap_refused(HiodContainer *self, const HiodInterval *whole, GError **error)
{
	hiod_interval_map_insert_full(GET_PRIVATE(self)->mappings, whole->start, whole->last,
				      whole->value, whole->flags);
	g_prefix_error(error, "unmapping [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]: ",
		       whole->start, whole->last);
	return FALSE;
}

/**
 * hiod_container_dma_unmap:
 * @self: a #HiodContainer
 * @iova: the first IOVA to unmap
 * @size: bytes to unmap
 * @error: return location for a #GError
 *
 * Unmaps whatever lies in [@iova, @iova + @size). A mapping only partly
 * inside is split: the part outside stays mapped. Unmapping a span where
 * nothing is mapped succeeds, on every backend.
 *
 * No kernel splits a mapping (type1 v2 refuses, type1 v1 unmaps nothing or
 * the whole mapping, iommufd answers ENOENT), so a split unmaps the whole
 * mapping and maps the kept parts back: DMA to the kept parts in between
 * faults. Mappings made apart are unmapped apart, so a caller that must keep
 * DMA going to a part maps it as its own mapping (one
 * hiod_container_dma_map() per piece it may later unmap alone); unmapping
 * at those boundaries never touches its neighbours. A failed split maps the
 * whole mapping back.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
HIOD_HOT gboolean
hiod_container_dma_unmap(HiodContainer *self, guint64 iova, guint64 size, GError **error)
{
	HiodContainerPrivate *priv;
	HiodInterval whole;
	g_autoptr(HiodMutexLocker) locker = NULL;
	guint64 last;

	g_return_val_if_fail(HIOD_IS_CONTAINER_FAST(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	priv = GET_PRIVATE(self);
	locker = hiod_mutex_locker_new(&priv->lock);
	if (G_UNLIKELY(!hiod_iova_span_ok(iova, size) || ((iova | size) & (priv->min_page_size - 1))) &&
	    !hiod_container_check_span_pgsize(priv->min_page_size, iova, size, error))
		return FALSE;
	last = iova + size - 1;
	if (G_LIKELY(hiod_interval_map_take_exact(priv->mappings, iova, last, &whole))) {
		/* the common case, one whole mapping: one descent, no list of hits */
		if (G_UNLIKELY(!HIOD_CONTAINER_GET_CLASS(self)->dma_unmap(self, iova, size, FALSE, error)))
			return hiod_container_unmap_refused(self, &whole, error);
		return TRUE;
	}
	return hiod_container_unmap_span(self, iova, last, error);
}

/**
 * hiod_container_dma_unmap_all:
 * @self: a #HiodContainer
 * @error: return location for a #GError
 *
 * Unmaps everything the container maps.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_dma_unmap_all(HiodContainer *self, GError **error)
{
	HiodContainerPrivate *priv;
	g_autoptr(HiodMutexLocker) locker = NULL;

	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	priv = GET_PRIVATE(self);
	locker = hiod_mutex_locker_new(&priv->lock);
	if (hiod_interval_map_size(priv->mappings) == 0)
		return TRUE;
	if (!HIOD_CONTAINER_GET_CLASS(self)->dma_unmap(self, 0, 0, TRUE, error))
		return FALSE;
	hiod_interval_map_remove_all(priv->mappings);
	return TRUE;
}

/**
 * hiod_container_dma_copy:
 * @self: the destination #HiodContainer
 * @src: a container of the same backend that maps @src_iova
 * @src_iova: where @src maps the memory
 * @dst_iova: where @self should map it
 * @size: bytes
 * @flags: #HiodDmaFlags
 * @error: return location for a #GError
 *
 * Maps into @self the memory that @src maps at [@src_iova, @src_iova +
 * @size), without pinning it again (iommufd IOAS copy). The same checks as
 * hiod_container_dma_map() apply. %HIOD_ERROR_NOT_SUPPORTED when the backend
 * cannot copy; callers then map.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_dma_copy(HiodContainer *self, HiodContainer *src, guint64 src_iova, guint64 dst_iova,
			guint64 size, HiodDmaFlags flags, GError **error)
{
	HiodContainerClass *klass;
	HiodContainerPrivate *priv, *spriv;
	const HiodInterval *si;
	gpointer vaddr = NULL;
	g_autoptr(HiodMutexLocker) locker = NULL;

	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	g_return_val_if_fail(HIOD_IS_CONTAINER(src), FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	priv = GET_PRIVATE(self);
	spriv = GET_PRIVATE(src);
	if (klass->dma_copy == NULL || G_OBJECT_TYPE(self) != G_OBJECT_TYPE(src))
		return hiod_container_not_supported(self, "copying mappings from another container", error);
	if (!hiod_container_check_span(self, dst_iova, size, error))
		return FALSE;
	if (!hiod_container_iova_ranges_allow(self, dst_iova, size, NULL)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE,
			    "IOVA [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
			    "x] is outside the host's usable IOVA ranges",
			    dst_iova, dst_iova + size - 1);
		return FALSE;
	}
	hiod_mutex_lock(&spriv->lock);
	si = hiod_interval_map_lookup(spriv->mappings, src_iova);
	if (si != NULL && si->last >= src_iova + size - 1)
		vaddr = (guint8 *)si->value + (src_iova - si->start);
	hiod_mutex_unlock(&spriv->lock);
	if (vaddr == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "the source container maps nothing (or not all) at [0x%" G_GINT64_MODIFIER
			    "x, 0x%" G_GINT64_MODIFIER "x]",
			    src_iova, src_iova + size - 1);
		return FALSE;
	}
	locker = hiod_mutex_locker_new(&priv->lock);
	if (hiod_interval_map_first_overlap(priv->mappings, dst_iova, dst_iova + size - 1) != NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS,
			    "IOVA [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x] is already mapped",
			    dst_iova, dst_iova + size - 1);
		return FALSE;
	}
	if (!klass->dma_copy(self, src, src_iova, dst_iova, size, flags, error))
		return FALSE;
	hiod_interval_map_insert_full(priv->mappings, dst_iova, dst_iova + size - 1, vaddr, flags);
	return TRUE;
}

/* dirty tracking ------------------------------------------------------------------ */

/**
 * hiod_container_set_dirty_tracking:
 * @self: a #HiodContainer
 * @start: %TRUE to start, %FALSE to stop
 * @error: return location for a #GError
 *
 * Starts or stops dirty tracking. A backend that cannot track still accepts
 * this: its queries then report every mapped page dirty. Where only some of
 * the container's page tables can track (iommufd), those track from the
 * start, so the queries are exact again once the others are gone.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_set_dirty_tracking(HiodContainer *self, gboolean start, GError **error)
{
	HiodContainerClass *klass;
	HiodContainerPrivate *priv;
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	priv = GET_PRIVATE(self);
	if (priv->dirty_started == start)
		return TRUE;
	/* asked even when the container as a whole cannot track: what can track
	 * (an iommufd HWPT beside one that cannot) tracks from now on, so its
	 * bits are whole should the others leave */
	if (klass->set_dirty_tracking != NULL && !klass->set_dirty_tracking(self, start, error))
		return FALSE;
	priv->dirty_started = start;
	return TRUE;
}

static void
hiod_bitmap_set_range(guint64 *bitmap, guint64 first, guint64 count)
{
	for (guint64 b = first; b < first + count; b++)
		bitmap[b / 64] |= G_GUINT64_CONSTANT(1) << (b % 64);
}

/* What a dirty-bitmap read needs, for a query and for an unmap with bitmap. */
static gboolean
hiod_container_check_dirty_window(HiodContainer *self, guint64 iova, guint64 size,
				  guint64 page_size, guint64 *bitmap, GError **error)
{
	if (bitmap == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "no bitmap given");
		return FALSE;
	}
	if (page_size == 0 || (page_size & (page_size - 1)) ||
	    page_size < hiod_container_get_min_page_size(self)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "dirty page size 0x%" G_GINT64_MODIFIER "x is not a power of two of at least 0x%" G_GINT64_MODIFIER "x",
			    page_size, hiod_container_get_min_page_size(self));
		return FALSE;
	}
	if (!hiod_iova_span_ok(iova, size) || (iova | size) & (page_size - 1)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "dirty window 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
			    "x is empty or not aligned to 0x%" G_GINT64_MODIFIER "x",
			    iova, size, page_size);
		return FALSE;
	}
	if (!GET_PRIVATE(self)->dirty_started) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "dirty tracking is not started on %s", G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_container_query_dirty_bitmap:
 * @self: a #HiodContainer with dirty tracking started
 * @iova: the first IOVA of the window, aligned to @page_size
 * @size: the window's size, aligned to @page_size
 * @page_size: the bitmap's granule: a power of two, at least the smallest IOMMU page
 * @bitmap: (array): the caller's bitmap, zeroed, of at least @size / @page_size bits
 * @flags: #HiodDirtyFlags
 * @error: return location for a #GError
 *
 * Sets bit n of @bitmap when the page at @iova + n * @page_size was written by
 * DMA since the last query (or since tracking started). When the backend
 * cannot tell, every mapped page is reported dirty: never silently nothing.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_query_dirty_bitmap(HiodContainer *self, guint64 iova, guint64 size, guint64 page_size,
				  guint64 *bitmap, HiodDirtyFlags flags, GError **error)
{
	HiodContainerClass *klass;
	HiodContainerPrivate *priv;
	g_autoptr(GArray) hits = NULL;

	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	priv = GET_PRIVATE(self);
	if (!hiod_container_check_dirty_window(self, iova, size, page_size, bitmap, error))
		return FALSE;
	if (priv->dirty_supported && klass->query_dirty_bitmap != NULL)
		return klass->query_dirty_bitmap(self, iova, size, page_size, bitmap, flags, error);

	/* cannot tell: every mapped page is dirty */
	hiod_mutex_lock(&priv->lock);
	hits = hiod_interval_map_overlaps(priv->mappings, iova, iova + size - 1);
	hiod_mutex_unlock(&priv->lock);
	for (guint n = 0; n < hits->len; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		guint64 lo = MAX(i->start, iova), hi = MIN(i->last, iova + size - 1);
		guint64 first = (lo - iova) / page_size, lastb = (hi - iova) / page_size;
		hiod_bitmap_set_range(bitmap, first, lastb - first + 1);
	}
	return TRUE;
}

/* Sets in @bits (bit n = page @base + n * @page_size) every page of @hits. */
static void
hiod_container_mark_all_dirty(GArray *hits, guint n_from, guint n_to, guint64 base,
			      guint64 page_size, guint64 *bits)
{
	for (guint n = n_from; n < n_to; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		guint64 first = (i->start - base) / page_size, lastb = (i->last - base) / page_size;
		hiod_bitmap_set_range(bits, first, lastb - first + 1);
	}
}

/* ORs @nbits bits of @src into @dst from bit @offset on. */
static void
hiod_bitmap_or_shifted(guint64 *dst, guint64 offset, const guint64 *src, guint64 nbits)
{
	for (guint64 w = 0; w < (nbits + 63) / 64; w++) {
		guint64 v = src[w];
		while (v != 0) {
			guint64 b = w * 64 + (guint64)__builtin_ctzll(v), d = offset + b;
			v &= v - 1;
			dst[d / 64] |= G_GUINT64_CONSTANT(1) << (d % 64);
		}
	}
}

/* The fallback of hiod_container_dma_unmap_dirty() for a backend that cannot
 * unmap and read the bitmap in one step, with the mapping lock held: read the
 * bitmap without clearing it, unmap each mapping; when an unmap fails, map
 * back what went (the pages whose dirty state the unmap lost are then set). */
static gboolean
hiod_container_unmap_dirty_fallback(HiodContainer *self, GArray *hits, guint64 base, guint64 span,
				    guint64 page_size, guint64 *tmp, GError **error)
{
	HiodContainerClass *klass = HIOD_CONTAINER_GET_CLASS(self);
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	g_autoptr(GString) lost = g_string_new(NULL);
	guint n;

	if (priv->dirty_supported && klass->query_dirty_bitmap != NULL) {
		/* NO_CLEAR: should an unmap fail, the bits of what stays are still there */
		g_autoptr(GError) error_local = NULL;
		if (!klass->query_dirty_bitmap(self, base, span, page_size, tmp, HIOD_DIRTY_FLAGS_NO_CLEAR,
					       &error_local)) {
			if (!g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED)) {
				g_propagate_error(error, g_steal_pointer(&error_local));
				return FALSE;
			}
			if (!klass->query_dirty_bitmap(self, base, span, page_size, tmp, 0, error))
				return FALSE;
		}
	} else {
		/* cannot tell: every mapped page is dirty */
		hiod_container_mark_all_dirty(hits, 0, hits->len, base, page_size, tmp);
	}
	for (n = 0; n < hits->len; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		if (!klass->dma_unmap(self, i->start, i->last - i->start + 1, FALSE, error))
			break;
	}
	if (n == hits->len) {
		for (guint k = 0; k < hits->len; k++)
			hiod_interval_map_remove(priv->mappings, g_array_index(hits, HiodInterval, k).start);
		return TRUE;
	}
	/* mapping @n failed: map back 0 .. n-1 as they were */
	for (guint k = 0; k < n; k++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, k);
		g_autoptr(GError) error_local = NULL;
		if (!klass->dma_map(self, i->start, i->last - i->start + 1, i->value, i->flags,
				    &error_local)) {
			g_debug("mapping [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
				"x] back: %s", i->start, i->last, error_local->message);
			g_string_append_printf(lost, "%s[0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]",
					       lost->len ? ", " : "", i->start, i->last);
			hiod_interval_map_remove(priv->mappings, i->start);
		}
	}
	/* their IOMMU dirty state went with the unmap: report every page of them
	 * (and no more: the bits of the others are still in the IOMMU) */
	memset(tmp, 0, (span / page_size + 63) / 64 * 8);
	hiod_container_mark_all_dirty(hits, 0, n, base, page_size, tmp);
	if (lost->len > 0)
		g_prefix_error(error, "%s could not be mapped back and are unmapped: ", lost->str);
	return FALSE;
}

/**
 * hiod_container_dma_unmap_dirty:
 * @self: a #HiodContainer with dirty tracking started
 * @iova: the first IOVA of the span, aligned to @page_size
 * @size: bytes to unmap, aligned to @page_size: whole mappings only
 * @page_size: the bitmap's granule: a power of two, at least the smallest IOMMU page
 * @bitmap: (array): the caller's bitmap, zeroed, of at least @size / @page_size bits
 * @error: return location for a #GError
 *
 * Unmaps the mappings in [@iova, @iova + @size) and reports, in @bitmap, the
 * pages DMA wrote to before they went: what live migration needs when a
 * guest unmaps memory. The span must hold whole mappings (a split would
 * leave part of a mapping whose dirty state is then unknown). Backends that
 * can do both in one step (type1 v2 with dirty tracking) do; others read the
 * bitmap (without clearing it), then unmap mapping by mapping.
 *
 * The mapping index stays locked throughout: a map or unmap from another
 * thread waits until this returns. A span, granule or bitmap the host would
 * refuse (over its dirty-bitmap limit, say) is refused with
 * %HIOD_ERROR_INVALID_ARGUMENT before anything is unmapped or allocated.
 *
 * On failure every mapping of the span is still mapped, in the library and
 * in the kernel: with the one-step form the kernel unmaps nothing; with the
 * fallback the mappings already unmapped are mapped back at the same IOVA and
 * address (a DMA to them in between faults), and, as their IOMMU dirty state
 * went with the unmap, every page of them is set in @bitmap. Should even a
 * map back fail, that mapping is gone from both and the error names it.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_dma_unmap_dirty(HiodContainer *self, guint64 iova, guint64 size, guint64 page_size,
			       guint64 *bitmap, GError **error)
{
	HiodContainerClass *klass;
	HiodContainerPrivate *priv;
	g_autoptr(GArray) hits = NULL;
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_autofree guint64 *tmp = NULL;
	guint64 lo, hi, base, end, nbits;
	gboolean ok;

	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	priv = GET_PRIVATE(self);
	if (!hiod_container_check_span(self, iova, size, error))
		return FALSE;
	if (!hiod_container_check_dirty_window(self, iova, size, page_size, bitmap, error))
		return FALSE;
	locker = hiod_mutex_locker_new(&priv->lock);
	hits = hiod_interval_map_overlaps(priv->mappings, iova, iova + size - 1);
	for (guint n = 0; n < hits->len; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		if (i->start < iova || i->last > iova + size - 1) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "unmapping [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
				    "x] with a dirty bitmap would split the mapping [0x%" G_GINT64_MODIFIER
				    "x, 0x%" G_GINT64_MODIFIER "x]: it takes whole mappings",
				    iova, iova + size - 1, i->start, i->last);
			return FALSE;
		}
	}
	if (hits->len == 0)
		return TRUE; /* nothing mapped: nothing dirty, nothing to unmap */

	/* Only the granules from the first mapping to the last are read: never
	 * more bits than the caller's own bitmap holds, whatever @size says. */
	lo = g_array_index(hits, HiodInterval, 0).start;
	hi = g_array_index(hits, HiodInterval, hits->len - 1).last;
	base = iova + (lo - iova) / page_size * page_size;
	end = iova + (hi - iova) / page_size * page_size + page_size; /* <= iova + size */
	nbits = (end - base) / page_size;
	tmp = g_try_malloc0((nbits + 63) / 64 * 8);
	if (tmp == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE,
			    "no memory for a dirty bitmap of %" G_GUINT64_FORMAT " bits", nbits);
		return FALSE;
	}
	if (priv->dirty_supported && klass->dma_unmap_dirty != NULL) {
		ok = klass->dma_unmap_dirty(self, base, end - base, page_size, tmp, error);
		if (ok) {
			for (guint n = 0; n < hits->len; n++)
				hiod_interval_map_remove(priv->mappings,
							 g_array_index(hits, HiodInterval, n).start);
		}
	} else {
		/* on failure too: the pages of what was mapped back */
		ok = hiod_container_unmap_dirty_fallback(self, hits, base, end - base, page_size, tmp,
							 error);
		hiod_bitmap_or_shifted(bitmap, (base - iova) / page_size, tmp, nbits);
		return ok;
	}
	if (ok)
		hiod_bitmap_or_shifted(bitmap, (base - iova) / page_size, tmp, nbits);
	return ok;
}

/* the rest of the class methods ---------------------------------------------------- */

/**
 * hiod_container_pci_hot_reset:
 * @self: a #HiodContainer
 * @device: a device attached to @self
 * @single: refuse when the reset would also reset other attached devices
 * @error: return location for a #GError
 *
 * Returns %TRUE on success.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_pci_hot_reset(HiodContainer *self, HiodVfioDevice *device, gboolean single,
			     GError **error)
{
	HiodContainerClass *klass;
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	if (klass->pci_hot_reset == NULL)
		return hiod_container_not_supported(self, "PCI hot reset", error);
	if (hiod_vfio_device_get_container(device) != self) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s is not attached to this container", hiod_vfio_device_get_name(device));
		return FALSE;
	}
	return klass->pci_hot_reset(self, device, single, error);
}

/**
 * hiod_container_add_window:
 * @self: a #HiodContainer
 * @iova: the window's first IOVA
 * @size: the window's size
 * @page_size: the IOMMU page size for the window
 * @error: return location for a #GError
 *
 * sPAPR only: makes a DMA window. %HIOD_ERROR_NOT_SUPPORTED elsewhere.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_add_window(HiodContainer *self, guint64 iova, guint64 size, guint64 page_size,
			  GError **error)
{
	HiodContainerClass *klass;
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	if (klass->add_window == NULL)
		return hiod_container_not_supported(self, "DMA windows", error);
	return klass->add_window(self, iova, size, page_size, error);
}

/**
 * hiod_container_del_window:
 * @self: a #HiodContainer
 * @iova: the first IOVA of the window to remove
 * @error: return location for a #GError
 *
 * sPAPR only: removes a DMA window. %HIOD_ERROR_NOT_SUPPORTED elsewhere.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_container_del_window(HiodContainer *self, guint64 iova, GError **error)
{
	HiodContainerClass *klass;
	g_return_val_if_fail(HIOD_IS_CONTAINER(self), FALSE);
	klass = HIOD_CONTAINER_GET_CLASS(self);
	if (klass->del_window == NULL)
		return hiod_container_not_supported(self, "DMA windows", error);
	return klass->del_window(self, iova, error);
}

/**
 * hiod_container_to_json:
 * @self: a #HiodContainer
 * @builder: a #JsonBuilder
 *
 * Adds the container as a JSON object: backend, IOVA ranges, page sizes, mapping limit, count and how many are left (with what to do when few are), dirty tracking, and the backend's own members.
 *
 * Since: 0.1
 */
void
hiod_container_to_json(HiodContainer *self, JsonBuilder *builder)
{
	HiodContainerClass *klass = HIOD_CONTAINER_GET_CLASS(self);
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	g_autoptr(GPtrArray) ranges = hiod_container_get_iova_ranges(self);
	guint n;
	json_builder_begin_object(builder);
	hiod_json_add_enum(builder, "backend", HIOD_TYPE_BACKEND_KIND, klass->backend_kind);
	json_builder_set_member_name(builder, "iova_ranges");
	json_builder_begin_array(builder);
	for (guint i = 0; i < ranges->len; i++)
		hiod_iova_range_to_json(g_ptr_array_index(ranges, i), builder);
	json_builder_end_array(builder);
	hiod_json_add_hex(builder, "page_size_mask", hiod_container_get_page_size_mask(self));
	n = hiod_container_get_n_mappings(self);
	hiod_json_add_int(builder, "max_mappings", priv->max_mappings);
	hiod_json_add_int(builder, "n_mappings", n);
	/* how many more the host takes (type1: its DMA_AVAIL), and what to do when that is few */
	json_builder_set_member_name(builder, "mappings_left");
	if (priv->max_mappings == 0)
		json_builder_add_null_value(builder);
	else
		json_builder_add_int_value(builder, n < priv->max_mappings ? priv->max_mappings - n : 0);
	if (hiod_container_limit_near(priv->max_mappings, n))
		hiod_json_add_string(builder, "mapping_limit_advice", hiod_container_limit_advice(self));
	hiod_json_add_bool(builder, "dirty_tracking", priv->dirty_supported);
	hiod_json_add_bool(builder, "dirty_tracking_started", priv->dirty_started);
	if (klass->add_json != NULL)
		klass->add_json(self, builder);
	json_builder_end_object(builder);
}

static void
hiod_container_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	HiodContainerPrivate *priv = GET_PRIVATE(HIOD_CONTAINER(object));
	switch (prop_id) {
	case PROP_CONTEXT:
		g_value_set_object(value, priv->hot.ctx);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_container_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	HiodContainerPrivate *priv = GET_PRIVATE(HIOD_CONTAINER(object));
	switch (prop_id) {
	case PROP_CONTEXT:
		g_set_object(&priv->hot.ctx, g_value_get_object(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_container_init(HiodContainer *self)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	hiod_mutex_init(&priv->lock);
	g_mutex_init(&priv->info_lock);
	/* the value is the mapping's host address, its flags beside it: nothing to free */
	priv->mappings = hiod_interval_map_new(NULL);
	priv->iova_ranges = hiod_iova_ranges_new();
	priv->min_page_size = (guint64)sysconf(_SC_PAGESIZE);
	priv->devices = g_ptr_array_new();
}

/* file-backed memory ------------------------------------------------------------ */

HiodFileMemory *
hiod_file_memory_new(HiodContext *ctx, gpointer vaddr, guint64 size, gint fd, guint64 offset,
		     GError **error)
{
	HiodFileMemory *mem;
	gint dup_fd = hiod_kernel_dup(ctx, fd, error);
	if (dup_fd < 0)
		return NULL;
	mem = g_atomic_rc_box_new0(HiodFileMemory);
	mem->ctx = g_object_ref(ctx);
	mem->vaddr = vaddr;
	mem->size = size;
	mem->fd = dup_fd;
	mem->offset = offset;
	return mem;
}

HiodFileMemory *
hiod_file_memory_ref(HiodFileMemory *mem)
{
	return g_atomic_rc_box_acquire(mem);
}

static void
hiod_file_memory_clear(gpointer data)
{
	HiodFileMemory *mem = data;
	hiod_kernel_close(mem->ctx, mem->fd);
	g_object_unref(mem->ctx);
}

void
hiod_file_memory_unref(HiodFileMemory *mem)
{
	g_atomic_rc_box_release_full(mem, hiod_file_memory_clear);
}

void
hiod_container_set_memory(HiodContainer *self, GPtrArray *memory)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	GPtrArray *old;
	hiod_mutex_lock(&priv->lock);
	g_mutex_lock(&priv->info_lock);
	old = priv->hot.memory;
	priv->hot.memory = memory != NULL ? g_ptr_array_ref(memory) : NULL;
	g_mutex_unlock(&priv->info_lock);
	hiod_mutex_unlock(&priv->lock);
	if (old != NULL)
		g_ptr_array_unref(old);
}

gboolean
hiod_container_find_memory_in(HiodContainer *self, gpointer vaddr, guint64 size, gint *fd,
			   guint64 *offset)
{
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	guintptr a = GPOINTER_TO_SIZE(vaddr);
	gboolean found = FALSE;
	/* (called from a backend's dma_map, with lock held: memory changes under it too) */
	for (guint i = 0; i < priv->hot.memory->len && !found; i++) {
		const HiodFileMemory *m = g_ptr_array_index(priv->hot.memory, i);
		guintptr start = GPOINTER_TO_SIZE(m->vaddr);
		if (a >= start && size <= m->size && a - start <= m->size - size) {
			*fd = m->fd;
			*offset = m->offset + (a - start);
			found = TRUE;
		}
	}
	return found;
}

static void
hiod_container_constructed(GObject *object)
{
	HiodContainerPrivate *priv = GET_PRIVATE(HIOD_CONTAINER(object));
	G_OBJECT_CLASS(hiod_container_parent_class)->constructed(object);
	if (priv->hot.ctx == NULL)
		priv->hot.ctx = hiod_context_new();
}

static void
hiod_container_dispose(GObject *object)
{
	HiodContainer *self = HIOD_CONTAINER(object);
	HiodContainerPrivate *priv = GET_PRIVATE(self);
	/* devices hold a reference while attached, so none is left here; be safe */
	while (priv->devices->len > 0)
		hiod_container_detach_device(self, g_ptr_array_index(priv->devices, 0));
	hiod_container_release(self);
	G_OBJECT_CLASS(hiod_container_parent_class)->dispose(object);
}

static void
hiod_container_finalize(GObject *object)
{
	HiodContainerPrivate *priv = GET_PRIVATE(HIOD_CONTAINER(object));
	hiod_interval_map_free(priv->mappings);
	g_ptr_array_unref(priv->iova_ranges);
	g_ptr_array_unref(priv->devices);
	g_clear_pointer(&priv->hot.memory, g_ptr_array_unref);
	hiod_mutex_clear(&priv->lock);
	g_mutex_clear(&priv->info_lock);
	g_clear_object(&priv->hot.ctx);
	G_OBJECT_CLASS(hiod_container_parent_class)->finalize(object);
}

static void
hiod_container_class_init(HiodContainerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	/* (the private offset is final by now: G_DEFINE_TYPE adjusts it before this runs) */
	hiod_container_hot_offset = HiodContainer_private_offset + G_STRUCT_OFFSET(HiodContainerPrivate, hot);
	object_class->get_property = hiod_container_get_property;
	object_class->set_property = hiod_container_set_property;
	object_class->constructed = hiod_container_constructed;
	object_class->dispose = hiod_container_dispose;
	object_class->finalize = hiod_container_finalize;
	klass->host_iommu_device_type = G_TYPE_INVALID;

	/**
	 * HiodContainer:context:
	 *
	 * The context whose kernel chokepoint and roots the container uses.
	 *
	 * Since: 0.1
	 */
	props[PROP_CONTEXT] = g_param_spec_object("context", NULL, NULL, HIOD_TYPE_CONTEXT,
						  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
						      G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

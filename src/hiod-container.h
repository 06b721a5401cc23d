/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-context.h"
#include "hiod-host-iommu-device.h"
#include "hiod-iova-range.h"
#include "hiod-version.h"

G_BEGIN_DECLS

typedef struct _HiodVfioDevice HiodVfioDevice;

/**
 * HiodBackendKind:
 * @HIOD_BACKEND_KIND_AUTO: iommufd when /dev/iommu and the device's cdev exist, else legacy
 * @HIOD_BACKEND_KIND_LEGACY: VFIO type1 container (group + /dev/vfio/vfio)
 * @HIOD_BACKEND_KIND_SPAPR: VFIO sPAPR TCE container (POWER)
 * @HIOD_BACKEND_KIND_IOMMUFD: iommufd (VFIO cdev + /dev/iommu)
 * @HIOD_BACKEND_KIND_VDPA: vhost-vdpa IOTLB
 *
 * The kernel interface a container reaches the host IOMMU through.
 *
 * Since: 0.1
 */
typedef enum {
	HIOD_BACKEND_KIND_AUTO,
	HIOD_BACKEND_KIND_LEGACY,
	HIOD_BACKEND_KIND_SPAPR,
	HIOD_BACKEND_KIND_IOMMUFD,
	HIOD_BACKEND_KIND_VDPA,
} HiodBackendKind;

/**
 * HiodDmaFlags:
 * @HIOD_DMA_FLAGS_NONE: read-write mapping
 * @HIOD_DMA_FLAGS_READONLY: the device may only read
 *
 * How a DMA mapping may be used by the device.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	HIOD_DMA_FLAGS_NONE = 0,
	HIOD_DMA_FLAGS_READONLY = 1 << 0,
} HiodDmaFlags;

/**
 * HiodDirtyFlags:
 * @HIOD_DIRTY_FLAGS_NONE: read and clear
 * @HIOD_DIRTY_FLAGS_NO_CLEAR: read without clearing (iommufd NO_CLEAR)
 *
 * How a dirty bitmap is read.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	HIOD_DIRTY_FLAGS_NONE = 0,
	HIOD_DIRTY_FLAGS_NO_CLEAR = 1 << 0,
} HiodDirtyFlags;

#define HIOD_TYPE_CONTAINER (hiod_container_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_DERIVABLE_TYPE(HiodContainer, hiod_container, HIOD, CONTAINER, GObject)

/**
 * HiodContainerClass:
 * @parent_class: the parent class
 * @backend_kind: which kernel interface the class speaks
 * @host_iommu_device_type: the #HiodHostIommuDevice subclass that devices
 *   attached to this backend are realized as
 * @setup: Optional. Probes the backend after the first device is attached:
 *   IOVA ranges, page sizes, mapping limit, dirty tracking; records them with
 *   the hiod_container_set_*() setters of the
 *   in-tree protected header (hiod-backend-private.h).
 * @release: Optional. Undoes what setup and the backend did when the last
 *   device leaves or the container is disposed.
 * @dma_map: Mandatory. Maps [@iova, @iova + @size) to @vaddr. The base class
 *   has already checked alignment, IOVA ranges, overlap and the mapping limit;
 *   the vfunc only talks to the kernel. FALSE + error leaves nothing mapped.
 * @dma_unmap: Mandatory. Unmaps whole mappings that the base class tracks
 *   exactly (the base class splits partial unmaps itself), or everything when
 *   @unmap_all.
 * @dma_copy: Optional. Maps into @self what @src already maps at @src_iova
 *   without pinning the pages again (iommufd IOAS copy).
 * @attach_device: Mandatory. Attaches @device (opens its fd through this
 *   backend); @viommu_flags are the vIOMMU's flags read before attach (seed
 *   002: WANT_NESTING_PARENT decides the page table). FALSE + error leaves
 *   nothing behind. Returning %HIOD_ERROR_INCOMPATIBLE means "not in this
 *   container, try another".
 * @detach_device: Mandatory. Undoes attach_device.
 * @set_dirty_tracking: Optional. Starts or stops container (IOMMU) dirty
 *   tracking; all or nothing. Called whether or not the container reports
 *   support: a backend starts what can track (and succeeds doing nothing
 *   when nothing can).
 * @query_dirty_bitmap: Optional. Fills @bitmap (bit n = page @iova + n *
 *   @page_size; the caller zeroes it) from the IOMMU's dirty state. A
 *   backend without @dma_unmap_dirty is also called from
 *   hiod_container_dma_unmap_dirty() with the mapping index locked (and
 *   %HIOD_DIRTY_FLAGS_NO_CLEAR; %HIOD_ERROR_NOT_SUPPORTED makes it ask
 *   again without), so its query must not take the index lock itself.
 * @pci_hot_reset: Optional. Resets @device's bus or slot, proving ownership
 *   of every affected device the way the backend requires.
 * @add_window: Optional (sPAPR). Makes a DMA window covering [@iova, @iova +
 *   @size) with pages of @page_size.
 * @del_window: Optional (sPAPR). Removes the window that starts at @iova.
 * @add_json: Optional. Adds backend members to hiod_container_to_json().
 * @dma_unmap_dirty: Optional. Unmaps the whole mappings of [@iova, @iova +
 *   @size) and, in the same step, sets in @bitmap the pages DMA wrote to
 *   (type1 UNMAP_DMA with GET_DIRTY_BITMAP). Absent: the base class queries
 *   the bitmap, then unmaps.
 *
 * Seed 003's IOMMU backend class: one set of virtual methods per kernel
 * IOMMU interface.
 *
 * Since: 0.1
 */
struct _HiodContainerClass {
	GObjectClass parent_class;

	HiodBackendKind backend_kind;
	GType host_iommu_device_type;

	gboolean (*setup)(HiodContainer *self, GError **error);
	void (*release)(HiodContainer *self);
	gboolean (*dma_map)(HiodContainer *self, guint64 iova, guint64 size, gpointer vaddr,
			    HiodDmaFlags flags, GError **error);
	gboolean (*dma_unmap)(HiodContainer *self, guint64 iova, guint64 size, gboolean unmap_all,
			      GError **error);
	gboolean (*dma_copy)(HiodContainer *self, HiodContainer *src, guint64 src_iova,
			     guint64 dst_iova, guint64 size, HiodDmaFlags flags, GError **error);
	gboolean (*attach_device)(HiodContainer *self, HiodVfioDevice *device, guint64 viommu_flags,
				  GError **error);
	void (*detach_device)(HiodContainer *self, HiodVfioDevice *device);
	gboolean (*set_dirty_tracking)(HiodContainer *self, gboolean start, GError **error);
	gboolean (*query_dirty_bitmap)(HiodContainer *self, guint64 iova, guint64 size,
				       guint64 page_size, guint64 *bitmap, HiodDirtyFlags flags,
				       GError **error);
	gboolean (*pci_hot_reset)(HiodContainer *self, HiodVfioDevice *device, gboolean single,
				  GError **error);
	gboolean (*add_window)(HiodContainer *self, guint64 iova, guint64 size, guint64 page_size,
			       GError **error);
	gboolean (*del_window)(HiodContainer *self, guint64 iova, GError **error);
	void (*add_json)(HiodContainer *self, JsonBuilder *builder);
	gboolean (*dma_unmap_dirty)(HiodContainer *self, guint64 iova, guint64 size,
				    guint64 page_size, guint64 *bitmap, GError **error);

	/*< private >*/
	gpointer padding[11];
};

HIOD_AVAILABLE_IN_0_1
HiodContext *hiod_container_get_context(HiodContainer *self);
HIOD_AVAILABLE_IN_0_1
HiodBackendKind hiod_container_get_backend_kind(HiodContainer *self);

/* what the backend reported after setup */
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_container_get_iova_ranges(HiodContainer *self);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_container_get_page_size_mask(HiodContainer *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_container_get_max_mappings(HiodContainer *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_get_dirty_tracking_supported(HiodContainer *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_get_dirty_tracking_started(HiodContainer *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_container_get_n_mappings(HiodContainer *self);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_container_get_devices(HiodContainer *self);

/* the class methods' public wrappers */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_attach_device(HiodContainer *self, HiodVfioDevice *device,
				      guint64 viommu_flags, GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_container_detach_device(HiodContainer *self, HiodVfioDevice *device);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_dma_map(HiodContainer *self, guint64 iova, guint64 size, gpointer vaddr,
				HiodDmaFlags flags, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_dma_unmap(HiodContainer *self, guint64 iova, guint64 size, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_dma_unmap_all(HiodContainer *self, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_dma_copy(HiodContainer *self, HiodContainer *src, guint64 src_iova,
				 guint64 dst_iova, guint64 size, HiodDmaFlags flags, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_set_dirty_tracking(HiodContainer *self, gboolean start, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_query_dirty_bitmap(HiodContainer *self, guint64 iova, guint64 size,
					   guint64 page_size, guint64 *bitmap,
					   HiodDirtyFlags flags, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_dma_unmap_dirty(HiodContainer *self, guint64 iova, guint64 size,
					guint64 page_size, guint64 *bitmap, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_pci_hot_reset(HiodContainer *self, HiodVfioDevice *device, gboolean single,
				      GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_add_window(HiodContainer *self, guint64 iova, guint64 size,
				   guint64 page_size, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_del_window(HiodContainer *self, guint64 iova, GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_container_release(HiodContainer *self);
HIOD_AVAILABLE_IN_0_1
void hiod_container_to_json(HiodContainer *self, JsonBuilder *builder);

HIOD_AVAILABLE_IN_0_1
gboolean hiod_container_is_setup(HiodContainer *self);

/* the backend factory (hiod-container-factory.c) */
HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_container_new_for_device(HiodContext *ctx, HiodBackendKind kind,
					     GObject *device, GError **error);
HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_container_new(HiodContext *ctx, HiodBackendKind kind, HiodVfioDevice *device,
				  GError **error);
HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_container_new_attached(HiodContext *ctx, HiodBackendKind kind,
					   HiodVfioDevice *device, guint64 viommu_flags,
					   GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_backend_kind_is_built(HiodBackendKind kind);
HIOD_AVAILABLE_IN_0_1
HiodBackendKind hiod_backend_kind_resolve(HiodContext *ctx, HiodBackendKind kind,
					  HiodVfioDevice *device);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_backend_kind_to_string(HiodBackendKind kind);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_backend_kind_from_string(const gchar *str, HiodBackendKind *kind, GError **error);

/* (what a backend subclass needs is in the uninstalled hiod-backend-private.h) */

G_END_DECLS

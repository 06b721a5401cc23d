/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <unistd.h>

#include "hiod-backend-private.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device-vdpa.h"
#include "hiod-json-private.h"
#include "hiod-sysfs-private.h"
#include "hiod-vdpa-container.h"

/**
 * HiodVdpaContainer:
 *
 * A vDPA device's IOTLB as a #HiodContainer, so that the device can join a
 * #HiodAddressSpace like a VFIO container and mirror the same guest memory
 * map: every section added to the space becomes an IOTLB UPDATE, every
 * removal an INVALIDATE. The base class checks each map (alignment to the
 * host page size, the device's IOVA range, overlap, vhost-vdpa's limit of
 * IOTLB entries per address space: its max_iotlb_entries parameter, 2048
 * unless set at boot) and splits partial unmaps, which the vhost IOTLB does
 * not do (an INVALIDATE drops whole mappings).
 *
 * It has no VFIO devices: it is set up when made.
 *
 * Threads: as #HiodContainer.
 *
 * Since: 0.1
 */

struct _HiodVdpaContainer {
	HiodContainer parent_instance;
	HiodVdpaDevice *device;
};

G_DEFINE_FINAL_TYPE(HiodVdpaContainer, hiod_vdpa_container, HIOD_TYPE_CONTAINER)

/**
 * hiod_vdpa_container_new:
 * @device: an open #HiodVdpaDevice
 * @error: return location for a #GError
 *
 * Makes a container that maps through @device's IOTLB (address space 0),
 * set up and ready to map or to join a #HiodAddressSpace.
 *
 * Returns: (transfer full): a new #HiodVdpaContainer
 *
 * Since: 0.1
 */
HiodContainer *
hiod_vdpa_container_new(HiodVdpaDevice *device, GError **error)
{
	g_autoptr(HiodVdpaContainer) self = NULL;
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(device), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	self = g_object_new(HIOD_TYPE_VDPA_CONTAINER, "context", hiod_vdpa_device_get_context(device),
			    NULL);
	self->device = g_object_ref(device);
	if (!hiod_container_setup(HIOD_CONTAINER(self), error))
		return NULL;
	return HIOD_CONTAINER(g_steal_pointer(&self));
}

/**
 * hiod_vdpa_container_get_device:
 * @self: a #HiodVdpaContainer
 *
 * Gets the vDPA device.
 *
 * Returns: (transfer none): the vDPA device
 *
 * Since: 0.1
 */
HiodVdpaDevice *
hiod_vdpa_container_get_device(HiodVdpaContainer *self)
{
	g_return_val_if_fail(HIOD_IS_VDPA_CONTAINER(self), NULL);
	return self->device;
}

/* vhost-vdpa's max_iotlb_entries, the most IOTLB entries it keeps per address
 * space (the vhost_vdpa module's parameter, read-only once loaded; 2048 unless
 * given at boot or load). HIOD_VDPA_MAX_MAPPINGS when sysfs does not say. */
#define HIOD_VDPA_MAX_IOTLB_PARAM "module/vhost_vdpa/parameters/max_iotlb_entries"
static gboolean
hiod_vdpa_max_iotlb_entries(HiodContext *ctx, guint *max, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	gint64 v = 0;

	*max = HIOD_VDPA_MAX_MAPPINGS;
	if (!hiod_sysfs_read_int(ctx, HIOD_VDPA_MAX_IOTLB_PARAM, G_MININT, G_MAXINT, &v,
				 &error_local)) {
		if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "reading vhost-vdpa's mapping limit: ");
		return FALSE;
	}
	if (v <= 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "vhost-vdpa's max_iotlb_entries is %" G_GINT64_FORMAT
			    ", so it maps nothing: load vhost_vdpa with max_iotlb_entries > 0 "
			    "(2048 by default; vhost_vdpa.max_iotlb_entries= on the kernel command line)",
			    v);
		return FALSE;
	}
	*max = (guint)v;
	return TRUE;
}

static gboolean
hiod_vdpa_container_setup(HiodContainer *container, GError **error)
{
	HiodVdpaContainer *self = HIOD_VDPA_CONTAINER(container);
	g_autoptr(GPtrArray) ranges = hiod_iova_ranges_new();
	guint64 first = 0, last = 0;
	guint max_entries = 0;

	if (self->device == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "a vDPA container needs its vDPA device");
		return FALSE;
	}
	if (!hiod_vdpa_max_iotlb_entries(hiod_vdpa_device_get_context(self->device), &max_entries, error))
		return FALSE;
	hiod_vdpa_device_get_iova_range(self->device, &first, &last);
	g_ptr_array_add(ranges, hiod_iova_range_new(first, last));
	hiod_container_set_iova_ranges(container, ranges);
	hiod_container_set_page_size_mask(container, (guint64)sysconf(_SC_PAGESIZE));
	hiod_container_set_max_mappings(container, max_entries);
	hiod_container_set_dirty_tracking_supported(container, FALSE);
	return TRUE;
}

static gboolean
hiod_vdpa_container_dma_map(HiodContainer *container, guint64 iova, guint64 size, gpointer vaddr,
			    HiodDmaFlags flags, GError **error)
{
	HiodVdpaContainer *self = HIOD_VDPA_CONTAINER(container);
	return hiod_vdpa_device_dma_map(self->device, iova, size, vaddr, flags, error);
}

static gboolean
hiod_vdpa_container_dma_unmap(HiodContainer *container, guint64 iova, guint64 size,
			      gboolean unmap_all, GError **error)
{
	HiodVdpaContainer *self = HIOD_VDPA_CONTAINER(container);
	if (unmap_all)
		return hiod_vdpa_device_dma_unmap(self->device, 0, G_MAXUINT64, error);
	return hiod_vdpa_device_dma_unmap(self->device, iova, size, error);
}

static void
hiod_vdpa_container_add_json(HiodContainer *container, JsonBuilder *builder)
{
	HiodVdpaContainer *self = HIOD_VDPA_CONTAINER(container);
	if (self->device == NULL)
		return;
	json_builder_set_member_name(builder, "vdpa_device");
	hiod_vdpa_device_to_json(self->device, builder);
}

static void
hiod_vdpa_container_init(HiodVdpaContainer *self)
{
}

static void
hiod_vdpa_container_dispose(GObject *object)
{
	HiodVdpaContainer *self = HIOD_VDPA_CONTAINER(object);
	/* the base class unmaps everything first, which needs the device */
	G_OBJECT_CLASS(hiod_vdpa_container_parent_class)->dispose(object);
	g_clear_object(&self->device);
}

static void
hiod_vdpa_container_class_init(HiodVdpaContainerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodContainerClass *container_class = HIOD_CONTAINER_CLASS(klass);
	object_class->dispose = hiod_vdpa_container_dispose;
	container_class->backend_kind = HIOD_BACKEND_KIND_VDPA;
	container_class->host_iommu_device_type = HIOD_TYPE_HOST_IOMMU_DEVICE_VDPA;
	container_class->setup = hiod_vdpa_container_setup;
	container_class->dma_map = hiod_vdpa_container_dma_map;
	container_class->dma_unmap = hiod_vdpa_container_dma_unmap;
	container_class->add_json = hiod_vdpa_container_add_json;
}

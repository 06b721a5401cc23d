/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-container.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device-legacy-vfio.h"
#include "hiod-vfio-device.h"

/**
 * HiodHostIommuDeviceLegacyVfio:
 *
 * The host IOMMU device of a device attached through a legacy VFIO container
 * (QEMU's TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO). type1 tells nothing about the
 * IOMMU hardware, so the caps' IOMMU type is %HIOD_IOMMU_TYPE_UNKNOWN; it is
 * realized after attach from what the container reported: the address width
 * from the highest usable IOVA. The usable IOVA ranges and the page-size mask
 * are the container's at the time they are asked for (as in QEMU): a group
 * that joins the container later narrows them, and a vIOMMU that asks again
 * sees it. Once the device has left its container, what it had at realize.
 *
 * Threads: as #HiodHostIommuDevice.
 *
 * Since: 0.1
 */

struct _HiodHostIommuDeviceLegacyVfio {
	HiodHostIommuDevice parent_instance;
	HiodVfioDevice *device; /* weak */
	GPtrArray *ranges;	/* at realize */
	guint64 page_size_mask; /* at realize */
};

G_DEFINE_FINAL_TYPE(HiodHostIommuDeviceLegacyVfio, hiod_host_iommu_device_legacy_vfio,
		    HIOD_TYPE_HOST_IOMMU_DEVICE)

static gboolean
hiod_host_iommu_device_legacy_vfio_realize(HiodHostIommuDevice *hiod, HiodAssignedDevice *agent,
					   GError **error)
{
	HiodHostIommuDeviceLegacyVfio *self = HIOD_HOST_IOMMU_DEVICE_LEGACY_VFIO(hiod);
	HiodContainer *container;
	g_autoptr(GPtrArray) ranges = NULL;
	g_autoptr(HiodHostIommuCaps) caps = NULL;

	if (!HIOD_IS_VFIO_DEVICE(agent)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "a legacy VFIO host IOMMU device stands for a HiodVfioDevice, not a %s",
			    G_OBJECT_TYPE_NAME(agent));
		return FALSE;
	}
	container = hiod_vfio_device_get_container(HIOD_VFIO_DEVICE(agent));
	if (container == NULL || !hiod_container_is_setup(container)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "the device is not attached to a set-up container");
		return FALSE;
	}
	ranges = hiod_container_get_iova_ranges(container);
	caps = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_UNKNOWN, 0, hiod_iova_ranges_get_aw_bits(ranges),
					HIOD_HW_CAPS_NONE, 0, NULL);
	hiod_host_iommu_device_set_caps(hiod, caps);
	g_clear_pointer(&self->ranges, g_ptr_array_unref);
	self->ranges = g_steal_pointer(&ranges);
	self->page_size_mask = hiod_container_get_page_size_mask(container);
	g_set_weak_pointer(&self->device, HIOD_VFIO_DEVICE(agent));
	return TRUE;
}

/* The container the device is attached to now, or NULL. */
static HiodContainer *
hiod_host_iommu_device_legacy_vfio_container(HiodHostIommuDeviceLegacyVfio *self)
{
	HiodContainer *c = self->device != NULL ? hiod_vfio_device_get_container(self->device) : NULL;
	return c != NULL && hiod_container_is_setup(c) ? c : NULL;
}

static GPtrArray *
hiod_host_iommu_device_legacy_vfio_get_iova_ranges(HiodHostIommuDevice *hiod, GError **error)
{
	HiodHostIommuDeviceLegacyVfio *self = HIOD_HOST_IOMMU_DEVICE_LEGACY_VFIO(hiod);
	HiodContainer *c = hiod_host_iommu_device_legacy_vfio_container(self);
	return c != NULL ? hiod_container_get_iova_ranges(c) : hiod_iova_ranges_copy(self->ranges);
}

static gboolean
hiod_host_iommu_device_legacy_vfio_get_page_size_mask(HiodHostIommuDevice *hiod, guint64 *mask,
						      GError **error)
{
	HiodHostIommuDeviceLegacyVfio *self = HIOD_HOST_IOMMU_DEVICE_LEGACY_VFIO(hiod);
	HiodContainer *c = hiod_host_iommu_device_legacy_vfio_container(self);
	*mask = c != NULL ? hiod_container_get_page_size_mask(c) : self->page_size_mask;
	return TRUE;
}

static void
hiod_host_iommu_device_legacy_vfio_unrealize(HiodHostIommuDevice *hiod)
{
	HiodHostIommuDeviceLegacyVfio *self = HIOD_HOST_IOMMU_DEVICE_LEGACY_VFIO(hiod);
	g_clear_pointer(&self->ranges, g_ptr_array_unref);
	self->page_size_mask = 0;
	g_clear_weak_pointer(&self->device);
}

static void
hiod_host_iommu_device_legacy_vfio_init(HiodHostIommuDeviceLegacyVfio *self)
{
}

static void
hiod_host_iommu_device_legacy_vfio_finalize(GObject *object)
{
	HiodHostIommuDeviceLegacyVfio *self = HIOD_HOST_IOMMU_DEVICE_LEGACY_VFIO(object);
	g_clear_pointer(&self->ranges, g_ptr_array_unref);
	g_clear_weak_pointer(&self->device);
	G_OBJECT_CLASS(hiod_host_iommu_device_legacy_vfio_parent_class)->finalize(object);
}

static void
hiod_host_iommu_device_legacy_vfio_class_init(HiodHostIommuDeviceLegacyVfioClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodHostIommuDeviceClass *hiod_class = HIOD_HOST_IOMMU_DEVICE_CLASS(klass);
	object_class->finalize = hiod_host_iommu_device_legacy_vfio_finalize;
	hiod_class->realize = hiod_host_iommu_device_legacy_vfio_realize;
	hiod_class->get_iova_ranges = hiod_host_iommu_device_legacy_vfio_get_iova_ranges;
	hiod_class->get_page_size_mask = hiod_host_iommu_device_legacy_vfio_get_page_size_mask;
	hiod_class->unrealize = hiod_host_iommu_device_legacy_vfio_unrealize;
}

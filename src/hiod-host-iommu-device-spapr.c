/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device-spapr.h"
#include "hiod-spapr-container.h"
#include "hiod-vfio-device.h"

/**
 * HiodHostIommuDeviceSpapr:
 *
 * The host IOMMU device of a device attached through the sPAPR TCE backend
 * (#HiodSpaprContainer). Its capabilities say %HIOD_IOMMU_TYPE_SPAPR_TCE; its
 * IOVA ranges are the DMA windows the container has at the time of asking
 * (windows come and go with the mappings), and its page-size mask holds the
 * page sizes the windows can use (the DDW page sizes, and the default
 * window's 4 KiB).
 *
 * Threads: as #HiodHostIommuDevice.
 *
 * Since: 0.1
 */

struct _HiodHostIommuDeviceSpapr {
	HiodHostIommuDevice parent_instance;
	HiodSpaprContainer *container; /* weak */
	GPtrArray *ranges;	       /* the windows when realized, for after the container goes */
	guint64 page_size_mask;
};

G_DEFINE_FINAL_TYPE(HiodHostIommuDeviceSpapr, hiod_host_iommu_device_spapr, HIOD_TYPE_HOST_IOMMU_DEVICE)

static gboolean
hiod_host_iommu_device_spapr_realize(HiodHostIommuDevice *hiod, HiodAssignedDevice *agent,
				     GError **error)
{
	HiodHostIommuDeviceSpapr *self = HIOD_HOST_IOMMU_DEVICE_SPAPR(hiod);
	HiodContainer *container;
	g_autoptr(HiodHostIommuCaps) caps = NULL;

	if (!HIOD_IS_VFIO_DEVICE(agent)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "a sPAPR host IOMMU device stands for a HiodVfioDevice, not a %s",
			    G_OBJECT_TYPE_NAME(agent));
		return FALSE;
	}
	container = hiod_vfio_device_get_container(HIOD_VFIO_DEVICE(agent));
	if (!HIOD_IS_SPAPR_CONTAINER(container) || !hiod_container_is_setup(container)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "the device is not attached to a set-up sPAPR container");
		return FALSE;
	}
	g_clear_weak_pointer(&self->container);
	g_set_weak_pointer(&self->container, HIOD_SPAPR_CONTAINER(container));
	g_clear_pointer(&self->ranges, g_ptr_array_unref);
	self->ranges = hiod_spapr_container_get_windows(self->container);
	self->page_size_mask = hiod_container_get_page_size_mask(container);
	/* TCE tables translate 64-bit bus addresses (the second window sits at 1 << 59) */
	caps = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_SPAPR_TCE, 0, 64, HIOD_HW_CAPS_NONE, 0, NULL);
	hiod_host_iommu_device_set_caps(hiod, caps);
	return TRUE;
}

static GPtrArray *
hiod_host_iommu_device_spapr_get_iova_ranges(HiodHostIommuDevice *hiod, GError **error)
{
	HiodHostIommuDeviceSpapr *self = HIOD_HOST_IOMMU_DEVICE_SPAPR(hiod);
	if (self->container != NULL && hiod_container_is_setup(HIOD_CONTAINER(self->container)))
		return hiod_spapr_container_get_windows(self->container);
	return hiod_iova_ranges_copy(self->ranges);
}

static gboolean
hiod_host_iommu_device_spapr_get_page_size_mask(HiodHostIommuDevice *hiod, guint64 *mask,
						GError **error)
{
	*mask = HIOD_HOST_IOMMU_DEVICE_SPAPR(hiod)->page_size_mask;
	return TRUE;
}

static void
hiod_host_iommu_device_spapr_unrealize(HiodHostIommuDevice *hiod)
{
	HiodHostIommuDeviceSpapr *self = HIOD_HOST_IOMMU_DEVICE_SPAPR(hiod);
	g_clear_weak_pointer(&self->container);
	g_clear_pointer(&self->ranges, g_ptr_array_unref);
	self->page_size_mask = 0;
}

static void
hiod_host_iommu_device_spapr_init(HiodHostIommuDeviceSpapr *self)
{
}

static void
hiod_host_iommu_device_spapr_finalize(GObject *object)
{
	HiodHostIommuDeviceSpapr *self = HIOD_HOST_IOMMU_DEVICE_SPAPR(object);
	g_clear_weak_pointer(&self->container);
	g_clear_pointer(&self->ranges, g_ptr_array_unref);
	G_OBJECT_CLASS(hiod_host_iommu_device_spapr_parent_class)->finalize(object);
}

static void
hiod_host_iommu_device_spapr_class_init(HiodHostIommuDeviceSpaprClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodHostIommuDeviceClass *hiod_class = HIOD_HOST_IOMMU_DEVICE_CLASS(klass);
	object_class->finalize = hiod_host_iommu_device_spapr_finalize;
	hiod_class->realize = hiod_host_iommu_device_spapr_realize;
	hiod_class->get_iova_ranges = hiod_host_iommu_device_spapr_get_iova_ranges;
	hiod_class->get_page_size_mask = hiod_host_iommu_device_spapr_get_page_size_mask;
	hiod_class->unrealize = hiod_host_iommu_device_spapr_unrealize;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <unistd.h>

#include "hiod-backend-private.h"
#include "hiod-enum-types.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device-vdpa.h"
#include "hiod-json-private.h"
#include "hiod-vdpa-device.h"

/**
 * HiodHostIommuDeviceVdpa:
 *
 * A vDPA device as a host IOMMU device (named in seed 000, absent upstream).
 * A vDPA device translates DMA itself through its vhost IOTLB, so what the
 * "physical IOMMU" offers is what the device reports: its usable IOVA range
 * (which gives the address width) and its backend features. Mappings are
 * made with the host's page size. Realized from a #HiodVdpaDevice; the caps
 * have the type %HIOD_IOMMU_TYPE_VDPA.
 *
 * Threads: as #HiodHostIommuDevice.
 *
 * Since: 0.1
 */

struct _HiodHostIommuDeviceVdpa {
	HiodHostIommuDevice parent_instance;
	GPtrArray *ranges;
	guint64 page_size_mask;
	guint64 backend_features;
	guint32 device_id;
};

G_DEFINE_FINAL_TYPE(HiodHostIommuDeviceVdpa, hiod_host_iommu_device_vdpa, HIOD_TYPE_HOST_IOMMU_DEVICE)

/**
 * hiod_host_iommu_device_vdpa_new:
 *
 * Returns a new, unrealized #HiodHostIommuDeviceVdpa.
 *
 * Returns: (transfer full): a new, unrealized #HiodHostIommuDeviceVdpa
 *
 * Since: 0.1
 */
HiodHostIommuDevice *
hiod_host_iommu_device_vdpa_new(void)
{
	return g_object_new(HIOD_TYPE_HOST_IOMMU_DEVICE_VDPA, NULL);
}

static gboolean
hiod_host_iommu_device_vdpa_realize(HiodHostIommuDevice *device, HiodAssignedDevice *agent,
				    GError **error)
{
	HiodHostIommuDeviceVdpa *self = HIOD_HOST_IOMMU_DEVICE_VDPA(device);
	HiodVdpaDevice *vdpa;
	g_autoptr(HiodHostIommuCaps) caps = NULL;
	guint64 first = 0, last = 0;

	if (!HIOD_IS_VDPA_DEVICE(agent)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "a vDPA host IOMMU device stands for a HiodVdpaDevice, not a %s",
			    G_OBJECT_TYPE_NAME(agent));
		return FALSE;
	}
	vdpa = HIOD_VDPA_DEVICE(agent);
	hiod_vdpa_device_get_iova_range(vdpa, &first, &last);
	g_ptr_array_set_size(self->ranges, 0);
	g_ptr_array_add(self->ranges, hiod_iova_range_new(first, last));
	self->page_size_mask = (guint64)sysconf(_SC_PAGESIZE);
	self->backend_features = hiod_vdpa_device_get_backend_features(vdpa);
	self->device_id = hiod_vdpa_device_get_device_id(vdpa);
	caps = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_VDPA, 0, hiod_iova_ranges_get_aw_bits(self->ranges),
					HIOD_HW_CAPS_NONE, 0, NULL);
	hiod_host_iommu_device_set_caps(device, caps);
	return TRUE;
}

static GPtrArray *
hiod_host_iommu_device_vdpa_get_iova_ranges(HiodHostIommuDevice *device, GError **error)
{
	return hiod_iova_ranges_copy(HIOD_HOST_IOMMU_DEVICE_VDPA(device)->ranges);
}

static gboolean
hiod_host_iommu_device_vdpa_get_page_size_mask(HiodHostIommuDevice *device, guint64 *mask,
					       GError **error)
{
	*mask = HIOD_HOST_IOMMU_DEVICE_VDPA(device)->page_size_mask;
	return TRUE;
}

static void
hiod_host_iommu_device_vdpa_unrealize(HiodHostIommuDevice *device)
{
	HiodHostIommuDeviceVdpa *self = HIOD_HOST_IOMMU_DEVICE_VDPA(device);
	g_ptr_array_set_size(self->ranges, 0);
	self->page_size_mask = 0;
	self->backend_features = 0;
	self->device_id = 0;
}

static void
hiod_host_iommu_device_vdpa_add_json(HiodHostIommuDevice *device, JsonBuilder *builder)
{
	HiodHostIommuDeviceVdpa *self = HIOD_HOST_IOMMU_DEVICE_VDPA(device);
	if (!hiod_host_iommu_device_is_realized(device))
		return;
	hiod_json_add_int(builder, "virtio_device_id", self->device_id);
	hiod_json_add_flags(builder, "backend_features", HIOD_TYPE_VDPA_BACKEND_FEATURES,
			    (guint)self->backend_features);
}

static void
hiod_host_iommu_device_vdpa_init(HiodHostIommuDeviceVdpa *self)
{
	self->ranges = hiod_iova_ranges_new();
}

static void
hiod_host_iommu_device_vdpa_finalize(GObject *object)
{
	HiodHostIommuDeviceVdpa *self = HIOD_HOST_IOMMU_DEVICE_VDPA(object);
	g_ptr_array_unref(self->ranges);
	G_OBJECT_CLASS(hiod_host_iommu_device_vdpa_parent_class)->finalize(object);
}

static void
hiod_host_iommu_device_vdpa_class_init(HiodHostIommuDeviceVdpaClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodHostIommuDeviceClass *hiod_class = HIOD_HOST_IOMMU_DEVICE_CLASS(klass);
	object_class->finalize = hiod_host_iommu_device_vdpa_finalize;
	hiod_class->realize = hiod_host_iommu_device_vdpa_realize;
	hiod_class->get_iova_ranges = hiod_host_iommu_device_vdpa_get_iova_ranges;
	hiod_class->get_page_size_mask = hiod_host_iommu_device_vdpa_get_page_size_mask;
	hiod_class->unrealize = hiod_host_iommu_device_vdpa_unrealize;
	hiod_class->add_json = hiod_host_iommu_device_vdpa_add_json;
}

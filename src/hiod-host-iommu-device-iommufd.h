/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-host-iommu-device.h"
#include "hiod-iommufd-backend.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_HOST_IOMMU_DEVICE_IOMMUFD (hiod_host_iommu_device_iommufd_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_DERIVABLE_TYPE(HiodHostIommuDeviceIommufd, hiod_host_iommu_device_iommufd, HIOD,
			 HOST_IOMMU_DEVICE_IOMMUFD, HiodHostIommuDevice)

/**
 * HiodHostIommuDeviceIommufdClass:
 * @parent_class: the parent class
 * @attach_hwpt: Mandatory. Attaches the device to @hwpt_id (a paging or a
 *   nested HWPT; replaces the current attachment). %TRUE on success; on
 *   failure the device stays where it was.
 * @detach_hwpt: Mandatory. Detaches the device from its HWPT (DMA is then
 *   blocked until the next attach).
 * @attach_pasid: Optional. Attaches one PASID of the device to @hwpt_id;
 *   @replace says the PASID is attached already (the kernel replaces its
 *   HWPT without a blocked window). %TRUE on success; on failure the PASID
 *   stays where it was. Without it PASIDs are not supported.
 * @detach_pasid: Optional (mandatory with @attach_pasid). Detaches a PASID.
 *
 * A host IOMMU device reached through iommufd: it knows its iommufd backend,
 * its device object id and the HWPT it is attached to, and lets a vIOMMU
 * move it between hardware page tables (stage 1 nesting).
 *
 * Since: 0.1
 */
struct _HiodHostIommuDeviceIommufdClass {
	HiodHostIommuDeviceClass parent_class;

	gboolean (*attach_hwpt)(HiodHostIommuDeviceIommufd *self, guint32 hwpt_id, GError **error);
	gboolean (*detach_hwpt)(HiodHostIommuDeviceIommufd *self, GError **error);
	gboolean (*attach_pasid)(HiodHostIommuDeviceIommufd *self, guint32 pasid, guint32 hwpt_id,
				 gboolean replace, GError **error);
	gboolean (*detach_pasid)(HiodHostIommuDeviceIommufd *self, guint32 pasid, GError **error);

	/*< private >*/
	gpointer padding[6];
};

HIOD_AVAILABLE_IN_0_1
HiodIommufdBackend *hiod_host_iommu_device_iommufd_get_backend(HiodHostIommuDeviceIommufd *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_host_iommu_device_iommufd_get_devid(HiodHostIommuDeviceIommufd *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_host_iommu_device_iommufd_get_hwpt_id(HiodHostIommuDeviceIommufd *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_iommufd_attach_hwpt(HiodHostIommuDeviceIommufd *self,
						    guint32 hwpt_id, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_iommufd_detach_hwpt(HiodHostIommuDeviceIommufd *self,
						    GError **error);

/* PASIDs (Linux 6.15) */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_iommufd_attach_pasid(HiodHostIommuDeviceIommufd *self,
						     guint32 pasid, guint32 hwpt_id,
						     GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_iommufd_replace_pasid(HiodHostIommuDeviceIommufd *self,
						      guint32 pasid, guint32 hwpt_id,
						      GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_iommufd_detach_pasid(HiodHostIommuDeviceIommufd *self,
						     guint32 pasid, GError **error);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(HiodHostIommuDeviceIommufd *self,
							 guint32 pasid);

/* the stage-1 path of a vIOMMU */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_iommufd_alloc_hwpt(HiodHostIommuDeviceIommufd *self,
						   guint32 pt_id, HiodHwptAllocFlags flags,
						   guint32 data_type, gconstpointer data,
						   gsize data_len, guint32 *hwpt_id,
						   GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_iommufd_invalidate_cache(HiodHostIommuDeviceIommufd *self,
							 guint32 hwpt_id, guint32 data_type,
							 guint32 entry_len, guint32 *entry_num,
							 gconstpointer data, GError **error);

/* (hiod_host_iommu_device_iommufd_set_ids(), for subclasses: hiod-backend-private.h) */

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-container.h"
#include "hiod-context.h"
#include "hiod-pci-device-info.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodVfioRegionInfo:
 * @index: the region index (BAR0..5 = 0..5, ROM 6, CONFIG 7, VGA 8)
 * @flags: VFIO_REGION_INFO_FLAG_* (read 1, write 2, mmap 4, caps 8)
 * @size: the region's size in bytes
 * @offset: the region's offset in the device fd
 *
 * What the kernel reports of one region of a VFIO device.
 *
 * Since: 0.1
 */
typedef struct {
	guint index;
	guint32 flags;
	guint64 size;
	guint64 offset;
} HiodVfioRegionInfo;

/**
 * HIOD_VFIO_REGION_CONFIG:
 *
 * The region index of PCI config space on a vfio-pci device.
 *
 * Since: 0.1
 */
#define HIOD_VFIO_REGION_CONFIG 7

#define HIOD_TYPE_VFIO_DEVICE (hiod_vfio_device_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodVfioDevice, hiod_vfio_device, HIOD, VFIO_DEVICE, GObject)

/* identity: nothing is opened until a container attaches the device */
HIOD_AVAILABLE_IN_0_1
HiodVfioDevice *hiod_vfio_device_new(HiodContext *ctx, const gchar *address_or_sysfs_path,
				     GError **error);
HIOD_AVAILABLE_IN_0_1
HiodContext *hiod_vfio_device_get_context(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_vfio_device_get_name(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
HiodPciDeviceInfo *hiod_vfio_device_get_info(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
gint hiod_vfio_device_get_group_id(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_vfio_device_get_cdev_path(HiodVfioDevice *self);

/* attachment (the container opens the fd) */
HIOD_AVAILABLE_IN_0_1
gint hiod_vfio_device_get_fd(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_vfio_device_get_container(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
HiodHostIommuDevice *hiod_vfio_device_get_host_iommu_device(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_attach(HiodVfioDevice *self, HiodContainer *container,
				 guint64 viommu_flags, GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_vfio_device_detach(HiodVfioDevice *self);

/* the open device */
HIOD_AVAILABLE_IN_0_1
guint32 hiod_vfio_device_get_flags(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vfio_device_get_num_regions(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vfio_device_get_num_irqs(HiodVfioDevice *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_get_region_info(HiodVfioDevice *self, guint index,
					  HiodVfioRegionInfo *info, GError **error);
HIOD_AVAILABLE_IN_0_1
gpointer hiod_vfio_device_map_region(HiodVfioDevice *self, guint index, gsize *size,
				     GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_region_read(HiodVfioDevice *self, guint index, guint64 offset,
				      gpointer buf, gsize len, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_region_write(HiodVfioDevice *self, guint index, guint64 offset,
				       gconstpointer buf, gsize len, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_config_read(HiodVfioDevice *self, guint offset, gpointer buf, gsize len,
				      GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_config_write(HiodVfioDevice *self, guint offset, gconstpointer buf,
				       gsize len, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_set_bus_master(HiodVfioDevice *self, gboolean enable, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_reset(HiodVfioDevice *self, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_hot_reset(HiodVfioDevice *self, GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_vfio_device_to_json(HiodVfioDevice *self, JsonBuilder *builder);

/* explicit driver binding (driver_override); never done implicitly */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_bind_vfio(HiodContext *ctx, const gchar *address, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_unbind_vfio(HiodContext *ctx, const gchar *address, GError **error);

G_END_DECLS

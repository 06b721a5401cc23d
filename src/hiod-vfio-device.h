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
 * HiodVfioRegionCaps:
 *
 * What a region's capability chain (VFIO_DEVICE_GET_REGION_INFO) says: the
 * areas that may be mapped when not all of it may (sparse mmap), its
 * device-specific type and subtype, and whether an MSI-X table in it may be
 * mapped. Immutable.
 *
 * Since: 0.1
 */
typedef struct _HiodVfioRegionCaps HiodVfioRegionCaps;

#define HIOD_TYPE_VFIO_REGION_CAPS (hiod_vfio_region_caps_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_vfio_region_caps_get_type(void) G_GNUC_CONST;
HIOD_AVAILABLE_IN_0_1
HiodVfioRegionCaps *hiod_vfio_region_caps_ref(HiodVfioRegionCaps *self);
HIOD_AVAILABLE_IN_0_1
void hiod_vfio_region_caps_unref(HiodVfioRegionCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_region_caps_has_sparse_mmap(HiodVfioRegionCaps *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_vfio_region_caps_get_n_sparse_areas(HiodVfioRegionCaps *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_region_caps_get_sparse_area(HiodVfioRegionCaps *self, guint i, guint64 *offset,
					       guint64 *size);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_region_caps_get_region_type(HiodVfioRegionCaps *self, guint32 *type,
					       guint32 *subtype);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_region_caps_is_msix_mappable(HiodVfioRegionCaps *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodVfioRegionCaps, hiod_vfio_region_caps_unref)

/**
 * HIOD_VFIO_REGION_CONFIG:
 *
 * The region index of PCI config space on a vfio-pci device.
 *
 * Since: 0.1
 */
#define HIOD_VFIO_REGION_CONFIG 7

/**
 * HiodVfioIrqIndex:
 * @HIOD_VFIO_IRQ_INDEX_INTX: the legacy pin interrupt (level-triggered; the kernel masks it when it fires)
 * @HIOD_VFIO_IRQ_INDEX_MSI: MSI vectors
 * @HIOD_VFIO_IRQ_INDEX_MSIX: MSI-X vectors
 * @HIOD_VFIO_IRQ_INDEX_ERR: the PCIe AER error notification
 * @HIOD_VFIO_IRQ_INDEX_REQ: the kernel's request to release the device
 *
 * The IRQ indexes of a vfio-pci device (VFIO_PCI_*_IRQ_INDEX).
 *
 * Since: 0.1
 */
typedef enum {
	HIOD_VFIO_IRQ_INDEX_INTX = 0,
	HIOD_VFIO_IRQ_INDEX_MSI = 1,
	HIOD_VFIO_IRQ_INDEX_MSIX = 2,
	HIOD_VFIO_IRQ_INDEX_ERR = 3,
	HIOD_VFIO_IRQ_INDEX_REQ = 4,
} HiodVfioIrqIndex;

/**
 * HiodVfioIrqInfoFlags:
 * @HIOD_VFIO_IRQ_INFO_FLAGS_NONE: none
 * @HIOD_VFIO_IRQ_INFO_FLAGS_EVENTFD: the index signals an eventfd
 * @HIOD_VFIO_IRQ_INFO_FLAGS_MASKABLE: the kernel can mask and unmask it
 * @HIOD_VFIO_IRQ_INFO_FLAGS_AUTOMASKED: the kernel masks it when it fires (unmask after handling)
 * @HIOD_VFIO_IRQ_INFO_FLAGS_NORESIZE: the number of vectors is fixed once enabled
 *
 * VFIO_IRQ_INFO_* of an IRQ index.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	HIOD_VFIO_IRQ_INFO_FLAGS_NONE = 0,
	HIOD_VFIO_IRQ_INFO_FLAGS_EVENTFD = 1 << 0,
	HIOD_VFIO_IRQ_INFO_FLAGS_MASKABLE = 1 << 1,
	HIOD_VFIO_IRQ_INFO_FLAGS_AUTOMASKED = 1 << 2,
	HIOD_VFIO_IRQ_INFO_FLAGS_NORESIZE = 1 << 3,
} HiodVfioIrqInfoFlags;

/**
 * HiodVfioIrqInfo:
 * @index: the IRQ index (a #HiodVfioIrqIndex)
 * @flags: its #HiodVfioIrqInfoFlags
 * @count: how many vectors it has (0: the device has none of this kind)
 *
 * What the kernel reports of one IRQ index of a VFIO device.
 *
 * Since: 0.1
 */
typedef struct {
	guint index;
	guint32 flags;
	guint count;
} HiodVfioIrqInfo;

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
HiodVfioRegionCaps *hiod_vfio_device_get_region_caps(HiodVfioDevice *self, guint index,
						     GError **error);
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

/* interrupts: hiod makes and owns one eventfd per enabled vector */

/**
 * HiodVfioIrqFunc:
 * @device: the device
 * @index: the IRQ index
 * @vector: the vector that fired
 * @count: how often it fired since the last call (the eventfd's counter)
 * @user_data: (closure): the data given with the watch
 *
 * Called from the main loop when a vector's eventfd fired.
 *
 * Returns: %G_SOURCE_CONTINUE to keep watching, %G_SOURCE_REMOVE to stop
 *
 * Since: 0.1
 */
typedef gboolean (*HiodVfioIrqFunc)(HiodVfioDevice *device, guint index, guint vector,
				    guint64 count, gpointer user_data);

HIOD_AVAILABLE_IN_0_1
const gchar *hiod_vfio_irq_index_to_string(guint index);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_get_irq_info(HiodVfioDevice *self, guint index, HiodVfioIrqInfo *info,
				       GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_enable_irq(HiodVfioDevice *self, guint index, guint count,
				     GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_set_irq_vector(HiodVfioDevice *self, guint index, guint vector,
					 gboolean enable, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_disable_irq(HiodVfioDevice *self, guint index, GError **error);
HIOD_AVAILABLE_IN_0_1
guint hiod_vfio_device_get_irq_enabled_count(HiodVfioDevice *self, guint index);
HIOD_AVAILABLE_IN_0_1
gint hiod_vfio_device_get_irq_fd(HiodVfioDevice *self, guint index, guint vector);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_mask_irq(HiodVfioDevice *self, guint index, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_unmask_irq(HiodVfioDevice *self, guint index, GError **error);
HIOD_AVAILABLE_IN_0_1
gint hiod_vfio_device_enable_irq_resample(HiodVfioDevice *self, guint index, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vfio_device_wait_irq(HiodVfioDevice *self, guint index, guint vector,
				   gint timeout_ms, guint64 *count, GError **error);
HIOD_AVAILABLE_IN_0_1
GSource *hiod_vfio_device_irq_source_new(HiodVfioDevice *self, guint index, guint vector,
					 GError **error);
HIOD_AVAILABLE_IN_0_1
guint hiod_vfio_device_add_irq_watch(HiodVfioDevice *self, guint index, guint vector,
				     HiodVfioIrqFunc func, gpointer user_data,
				     GDestroyNotify notify, GError **error);

/* explicit driver binding (driver_override); never done implicitly */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_bind_vfio(HiodContext *ctx, const gchar *address, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_unbind_vfio(HiodContext *ctx, const gchar *address, GError **error);

G_END_DECLS

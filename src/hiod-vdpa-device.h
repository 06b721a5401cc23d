/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "hiod-container.h"
#include "hiod-context.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodVdpaBackendFeatures:
 * @HIOD_VDPA_BACKEND_FEATURES_NONE: nothing
 * @HIOD_VDPA_BACKEND_FEATURES_IOTLB_MSG_V2: IOTLB messages v2 (with an address space ID); required
 * @HIOD_VDPA_BACKEND_FEATURES_IOTLB_BATCH: IOTLB updates can be batched (BATCH_BEGIN/END)
 * @HIOD_VDPA_BACKEND_FEATURES_IOTLB_ASID: several IOTLB address spaces
 * @HIOD_VDPA_BACKEND_FEATURES_SUSPEND: the device can be suspended
 * @HIOD_VDPA_BACKEND_FEATURES_RESUME: the device can be resumed
 * @HIOD_VDPA_BACKEND_FEATURES_ENABLE_AFTER_DRIVER_OK: virtqueues can be enabled after DRIVER_OK
 * @HIOD_VDPA_BACKEND_FEATURES_DESC_ASID: descriptor tables in their own address space
 * @HIOD_VDPA_BACKEND_FEATURES_IOTLB_PERSIST: mappings survive a device reset
 *
 * vhost backend features, as masks (the kernel's header gives bit numbers:
 * each value here is 1 << that number, as on the wire).
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	HIOD_VDPA_BACKEND_FEATURES_NONE = 0,
	HIOD_VDPA_BACKEND_FEATURES_IOTLB_MSG_V2 = 1 << 1,
	HIOD_VDPA_BACKEND_FEATURES_IOTLB_BATCH = 1 << 2,
	HIOD_VDPA_BACKEND_FEATURES_IOTLB_ASID = 1 << 3,
	HIOD_VDPA_BACKEND_FEATURES_SUSPEND = 1 << 4,
	HIOD_VDPA_BACKEND_FEATURES_RESUME = 1 << 5,
	HIOD_VDPA_BACKEND_FEATURES_ENABLE_AFTER_DRIVER_OK = 1 << 6,
	HIOD_VDPA_BACKEND_FEATURES_DESC_ASID = 1 << 7,
	HIOD_VDPA_BACKEND_FEATURES_IOTLB_PERSIST = 1 << 8,
} HiodVdpaBackendFeatures;

/**
 * HiodVdpaMapEntry:
 * @iova: the first I/O virtual address
 * @size: bytes
 * @vaddr: the process memory (MAP_SHARED and file-backed, e.g. a memfd, for
 *   devices that translate to virtual addresses)
 * @flags: #HiodDmaFlags
 *
 * One mapping of a batch (hiod_vdpa_device_dma_map_batch()).
 *
 * Since: 0.1
 */
typedef struct {
	guint64 iova;
	guint64 size;
	gpointer vaddr;
	HiodDmaFlags flags;
} HiodVdpaMapEntry;

#define HIOD_TYPE_VDPA_DEVICE (hiod_vdpa_device_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodVdpaDevice, hiod_vdpa_device, HIOD, VDPA_DEVICE, GObject)

HIOD_AVAILABLE_IN_0_1
HiodVdpaDevice *hiod_vdpa_device_new(HiodContext *ctx, const gchar *name_or_node, GError **error);
HIOD_AVAILABLE_IN_0_1
HiodContext *hiod_vdpa_device_get_context(HiodVdpaDevice *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_vdpa_device_get_name(HiodVdpaDevice *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_vdpa_device_get_node(HiodVdpaDevice *self);
HIOD_AVAILABLE_IN_0_1
gint hiod_vdpa_device_get_fd(HiodVdpaDevice *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_vdpa_device_get_device_id(HiodVdpaDevice *self);
HIOD_AVAILABLE_IN_0_1
HiodVdpaBackendFeatures hiod_vdpa_device_get_offered_features(HiodVdpaDevice *self);
HIOD_AVAILABLE_IN_0_1
HiodVdpaBackendFeatures hiod_vdpa_device_get_backend_features(HiodVdpaDevice *self);
HIOD_AVAILABLE_IN_0_1
void hiod_vdpa_device_get_iova_range(HiodVdpaDevice *self, guint64 *first, guint64 *last);
HIOD_AVAILABLE_IN_0_1
HiodHostIommuDevice *hiod_vdpa_device_get_host_iommu_device(HiodVdpaDevice *self, GError **error);

/* the vhost IOTLB */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vdpa_device_dma_map(HiodVdpaDevice *self, guint64 iova, guint64 size, gpointer vaddr,
				  HiodDmaFlags flags, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vdpa_device_dma_map_batch(HiodVdpaDevice *self, const HiodVdpaMapEntry *entries,
					guint n_entries, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_vdpa_device_dma_unmap(HiodVdpaDevice *self, guint64 iova, guint64 size, GError **error);

HIOD_AVAILABLE_IN_0_1
void hiod_vdpa_device_to_json(HiodVdpaDevice *self, JsonBuilder *builder);

/**
 * HiodVdpaDeviceInfo:
 * @name: the vdpa device's name ("vdpa0")
 * @driver: (nullable): the vdpa bus driver it is bound to ("vhost_vdpa")
 * @mgmtdev: (nullable): the management device that made it ("vdpasim_net")
 * @node: (nullable): its vhost-vdpa char device ("/dev/vhost-vdpa-0"), when bound to vhost_vdpa
 *
 * What sysfs says of a vdpa device, without opening it.
 *
 * Since: 0.1
 */
typedef struct {
	gchar *name;
	gchar *driver;
	gchar *mgmtdev;
	gchar *node;
} HiodVdpaDeviceInfo;

#define HIOD_TYPE_VDPA_DEVICE_INFO (hiod_vdpa_device_info_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_vdpa_device_info_get_type(void);
HIOD_AVAILABLE_IN_0_1
HiodVdpaDeviceInfo *hiod_vdpa_device_info_new(HiodContext *ctx, const gchar *name, GError **error);
HIOD_AVAILABLE_IN_0_1
HiodVdpaDeviceInfo *hiod_vdpa_device_info_copy(const HiodVdpaDeviceInfo *info);
HIOD_AVAILABLE_IN_0_1
void hiod_vdpa_device_info_free(HiodVdpaDeviceInfo *info);
HIOD_AVAILABLE_IN_0_1
void hiod_vdpa_device_info_to_json(const HiodVdpaDeviceInfo *info, JsonBuilder *builder);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_context_list_vdpa_devices(HiodContext *ctx, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodVdpaDeviceInfo, hiod_vdpa_device_info_free)

G_END_DECLS

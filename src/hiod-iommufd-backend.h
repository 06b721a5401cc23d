/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-context.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodHwptAllocFlags:
 * @HIOD_HWPT_ALLOC_FLAGS_NONE: a plain paging HWPT
 * @HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT: the HWPT can carry nested (stage-1) HWPTs
 * @HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING: the HWPT tracks DMA writes
 * @HIOD_HWPT_ALLOC_FLAGS_PASID: the HWPT may be attached to PASIDs (Linux 6.15;
 *   required for a PASID attachment of a device that has PASIDs)
 *
 * Flags of IOMMU_HWPT_ALLOC.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	HIOD_HWPT_ALLOC_FLAGS_NONE = 0,
	HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT = 1 << 0,
	HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING = 1 << 1,
	HIOD_HWPT_ALLOC_FLAGS_PASID = 1 << 3,
} HiodHwptAllocFlags;

/**
 * HiodIommufdFeatures:
 * @HIOD_IOMMUFD_FEATURE_NONE: none of these
 * @HIOD_IOMMUFD_FEATURE_VIOMMU: vIOMMU objects (IOMMU_VIOMMU_ALLOC, Linux 6.13)
 * @HIOD_IOMMUFD_FEATURE_VDEVICE: vDEVICE objects (IOMMU_VDEVICE_ALLOC, Linux 6.13)
 * @HIOD_IOMMUFD_FEATURE_VEVENTQ: vEVENTQs (IOMMU_VEVENTQ_ALLOC, Linux 6.15)
 * @HIOD_IOMMUFD_FEATURE_HW_QUEUE: vIOMMU hardware queues (IOMMU_HW_QUEUE_ALLOC, Linux 6.17)
 *
 * The vIOMMU-side requests the running kernel's iommufd knows (whether the
 * host IOMMU driver offers them for a device is known only by asking for
 * one).
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	HIOD_IOMMUFD_FEATURE_NONE = 0,
	HIOD_IOMMUFD_FEATURE_VIOMMU = 1 << 0,
	HIOD_IOMMUFD_FEATURE_VDEVICE = 1 << 1,
	HIOD_IOMMUFD_FEATURE_VEVENTQ = 1 << 2,
	HIOD_IOMMUFD_FEATURE_HW_QUEUE = 1 << 3,
} HiodIommufdFeatures;

/**
 * HiodIommufdHwInfo:
 * @type: the kernel's IOMMU_HW_INFO_TYPE_* (1 Intel VT-d, 0xfeedbeef selftest)
 * @capabilities: IOMMU_HW_CAP_* bits (bit 0: dirty tracking)
 * @max_pasid_log2: the PASID width, 0 without PASID
 * @data: (nullable): the vendor's raw hardware information
 *
 * What IOMMU_GET_HW_INFO answered for one device.
 *
 * Since: 0.1
 */
typedef struct {
	guint32 type;
	guint64 capabilities;
	guint max_pasid_log2;
	GBytes *data;
} HiodIommufdHwInfo;

HIOD_AVAILABLE_IN_0_1
void hiod_iommufd_hw_info_clear(HiodIommufdHwInfo *info);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HiodIommufdHwInfo, hiod_iommufd_hw_info_clear)

#define HIOD_TYPE_IOMMUFD_BACKEND (hiod_iommufd_backend_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodIommufdBackend, hiod_iommufd_backend, HIOD, IOMMUFD_BACKEND, GObject)

HIOD_AVAILABLE_IN_0_1
HiodIommufdBackend *hiod_iommufd_backend_new(HiodContext *ctx, GError **error);
HIOD_AVAILABLE_IN_0_1
HiodIommufdBackend *hiod_iommufd_backend_new_from_fd(HiodContext *ctx, gint fd, GError **error);
HIOD_AVAILABLE_IN_0_1
HiodIommufdBackend *hiod_iommufd_backend_get_default(HiodContext *ctx, GError **error);
HIOD_AVAILABLE_IN_0_1
HiodContext *hiod_iommufd_backend_get_context(HiodIommufdBackend *self);

/* users */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_connect(HiodIommufdBackend *self, GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_iommufd_backend_disconnect(HiodIommufdBackend *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_iommufd_backend_get_users(HiodIommufdBackend *self);
HIOD_AVAILABLE_IN_0_1
gint hiod_iommufd_backend_get_fd(HiodIommufdBackend *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_is_owned(HiodIommufdBackend *self);

/* the thin typed wrappers: one ioctl each, on a connected backend */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_alloc_ioas(HiodIommufdBackend *self, guint32 *ioas_id, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_destroy(HiodIommufdBackend *self, guint32 id, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_map(HiodIommufdBackend *self, guint32 ioas_id, guint64 iova,
				  guint64 size, gpointer vaddr, gboolean readonly, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_map_file(HiodIommufdBackend *self, guint32 ioas_id, guint64 iova,
				       guint64 size, gint fd, guint64 start, gboolean readonly,
				       GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_has_map_file(HiodIommufdBackend *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_change_process(HiodIommufdBackend *self, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_unmap(HiodIommufdBackend *self, guint32 ioas_id, guint64 iova,
				    guint64 size, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_copy(HiodIommufdBackend *self, guint32 dst_ioas_id,
				   guint32 src_ioas_id, guint64 src_iova, guint64 dst_iova,
				   guint64 size, gboolean readonly, GError **error);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_iommufd_backend_get_iova_ranges(HiodIommufdBackend *self, guint32 ioas_id,
						guint64 *alignment, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_alloc_hwpt(HiodIommufdBackend *self, guint32 dev_id, guint32 pt_id,
					 HiodHwptAllocFlags flags, guint32 data_type,
					 gconstpointer data, gsize data_len, guint32 *hwpt_id,
					 GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_get_hw_info(HiodIommufdBackend *self, guint32 dev_id,
					  HiodIommufdHwInfo *info, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_set_huge_pages(HiodIommufdBackend *self, guint32 ioas_id,
					     gboolean enable, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_get_huge_pages(HiodIommufdBackend *self, guint32 ioas_id,
					     gboolean *enabled, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_set_dirty_tracking(HiodIommufdBackend *self, guint32 hwpt_id,
						 gboolean enable, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_get_dirty_bitmap(HiodIommufdBackend *self, guint32 hwpt_id,
					       guint64 iova, guint64 size, guint64 page_size,
					       guint64 *bitmap, gboolean no_clear, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_backend_invalidate_cache(HiodIommufdBackend *self, guint32 hwpt_id,
					       guint32 data_type, guint32 entry_len,
					       guint32 *entry_num, gconstpointer data,
					       GError **error);

HIOD_AVAILABLE_IN_0_1
HiodIommufdFeatures hiod_iommufd_backend_probe_features(HiodIommufdBackend *self, GError **error);

G_END_DECLS

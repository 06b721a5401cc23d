/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-assigned-device.h"
#include "hiod-host-iommu-caps.h"
#include "hiod-iova-range.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_HOST_IOMMU_DEVICE (hiod_host_iommu_device_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_DERIVABLE_TYPE(HiodHostIommuDevice, hiod_host_iommu_device, HIOD, HOST_IOMMU_DEVICE,
			 GObject)

/**
 * HiodHostIommuDeviceClass:
 * @parent_class: the parent class
 * @realize: Mandatory. Finishes initialisation from @agent after instance
 *   init: learns the physical IOMMU's capabilities and records them with
 *   hiod_host_iommu_device_set_caps(). Returns %TRUE on success; on %FALSE it
 *   sets @error and the base class undoes what it recorded. Called at most
 *   once successfully: the public wrapper makes realize idempotent.
 * @get_iova_ranges: Optional. Returns a new array of the host-usable IOVA
 *   ranges (sorted, inclusive ends). Absent: the wrapper answers
 *   %HIOD_ERROR_NOT_SUPPORTED.
 * @get_page_size_mask: Optional. Returns the bitmap of supported IOMMU page
 *   sizes. Absent: the wrapper answers %HIOD_ERROR_NOT_SUPPORTED.
 * @unrealize: Optional. Drops what realize took from the agent; called by
 *   dispose or hiod_host_iommu_device_unrealize().
 * @add_json: Optional. Adds subclass members to the JSON object that
 *   hiod_host_iommu_device_to_json() is building.
 *
 * The class of a host IOMMU device: "an assigned device as seen by the
 * physical IOMMU that protects it". One subclass per way of reaching the host
 * IOMMU.
 *
 * Since: 0.1
 */
struct _HiodHostIommuDeviceClass {
	GObjectClass parent_class;

	gboolean (*realize)(HiodHostIommuDevice *self, HiodAssignedDevice *agent, GError **error);
	GPtrArray *(*get_iova_ranges)(HiodHostIommuDevice *self, GError **error);
	gboolean (*get_page_size_mask)(HiodHostIommuDevice *self, guint64 *mask, GError **error);
	void (*unrealize)(HiodHostIommuDevice *self);
	void (*add_json)(HiodHostIommuDevice *self, JsonBuilder *builder);

	/*< private >*/
	gpointer padding[12];
};

HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_realize(HiodHostIommuDevice *self, HiodAssignedDevice *agent,
					GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_host_iommu_device_unrealize(HiodHostIommuDevice *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_is_realized(HiodHostIommuDevice *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_host_iommu_device_get_name(HiodHostIommuDevice *self);
HIOD_AVAILABLE_IN_0_1
HiodAssignedDevice *hiod_host_iommu_device_get_agent(HiodHostIommuDevice *self);
HIOD_AVAILABLE_IN_0_1
HiodHostIommuCaps *hiod_host_iommu_device_get_caps(HiodHostIommuDevice *self);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_host_iommu_device_get_iova_ranges(HiodHostIommuDevice *self, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_host_iommu_device_get_page_size_mask(HiodHostIommuDevice *self, guint64 *mask,
						   GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_host_iommu_device_to_json(HiodHostIommuDevice *self, JsonBuilder *builder);

/* (hiod_host_iommu_device_set_caps(), for subclasses: hiod-backend-private.h) */

G_END_DECLS

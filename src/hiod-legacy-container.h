/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-container.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_LEGACY_CONTAINER (hiod_legacy_container_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_DERIVABLE_TYPE(HiodLegacyContainer, hiod_legacy_container, HIOD, LEGACY_CONTAINER,
			 HiodContainer)

/**
 * HiodLegacyContainerClass:
 * @parent_class: the parent class
 * @choose_iommu_type: Mandatory (the base class provides type1's). Picks the
 *   VFIO IOMMU type to pass to VFIO_SET_IOMMU among the ones the container fd
 *   (hiod_legacy_container_get_fd()) says it supports. Returns %FALSE with
 *   %HIOD_ERROR_NOT_SUPPORTED when none of the class's types is offered.
 *   type1 prefers TYPE1v2, then TYPE1; the sPAPR subclass picks its own.
 *
 * The legacy VFIO container (/dev/vfio/vfio + IOMMU groups). Subclasses
 * (sPAPR) reuse its group handling and container fd and override the
 * #HiodContainerClass methods that differ.
 *
 * Since: 0.1
 */
struct _HiodLegacyContainerClass {
	HiodContainerClass parent_class;

	gboolean (*choose_iommu_type)(HiodLegacyContainer *self, guint32 *iommu_type,
				      GError **error);

	/*< private >*/
	gpointer padding[8];
};

HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_legacy_container_new(HiodContext *ctx);

/* what the container holds (the fds and probes for subclasses: hiod-backend-private.h) */
HIOD_AVAILABLE_IN_0_1
guint32 hiod_legacy_container_get_iommu_type(HiodLegacyContainer *self);
HIOD_AVAILABLE_IN_0_1
GArray *hiod_legacy_container_get_group_ids(HiodLegacyContainer *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_legacy_container_get_dma_avail(HiodLegacyContainer *self, guint *avail, GError **error);

G_END_DECLS

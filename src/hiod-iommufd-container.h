/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-container.h"
#include "hiod-iommufd-backend.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_IOMMUFD_CONTAINER (hiod_iommufd_container_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodIommufdContainer, hiod_iommufd_container, HIOD, IOMMUFD_CONTAINER,
		     HiodContainer)

HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_iommufd_container_new(HiodContext *ctx, HiodIommufdBackend *backend,
					  GError **error);
HIOD_AVAILABLE_IN_0_1
HiodIommufdBackend *hiod_iommufd_container_get_backend(HiodIommufdContainer *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_container_get_ioas_id(HiodIommufdContainer *self);
HIOD_AVAILABLE_IN_0_1
GArray *hiod_iommufd_container_get_hwpt_ids(HiodIommufdContainer *self);
HIOD_AVAILABLE_IN_0_1
HiodHwptAllocFlags hiod_iommufd_container_get_hwpt_flags(HiodIommufdContainer *self,
							 guint32 hwpt_id);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_container_get_hwpt_autodomain(HiodIommufdContainer *self, guint32 hwpt_id);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_container_set_huge_pages(HiodIommufdContainer *self, gboolean enable,
					       GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_container_get_huge_pages(HiodIommufdContainer *self);

G_END_DECLS

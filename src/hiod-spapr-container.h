/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-legacy-container.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_SPAPR_CONTAINER (hiod_spapr_container_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodSpaprContainer, hiod_spapr_container, HIOD, SPAPR_CONTAINER,
		     HiodLegacyContainer)

HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_spapr_container_new(HiodContext *ctx, guint tce_version);
HIOD_AVAILABLE_IN_0_1
guint hiod_spapr_container_get_tce_version(HiodSpaprContainer *self);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_spapr_container_get_windows(HiodSpaprContainer *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_spapr_container_get_window_page_shift(HiodSpaprContainer *self, guint64 iova);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_spapr_container_get_ddw_page_sizes(HiodSpaprContainer *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_spapr_container_get_max_windows(HiodSpaprContainer *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_spapr_container_get_n_registrations(HiodSpaprContainer *self);

G_END_DECLS

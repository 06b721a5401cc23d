/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodViommuVerdict:
 *
 * What a vIOMMU policy says of a host IOMMU device: compatible or not, every
 * reason it is not (one sentence each, in the words a person acts on), the
 * settings that would work (e.g. "aw-bits" = "39"), and what the vIOMMU would
 * expose to the guest for the device (reserved regions, page-size mask).
 * Reference counted; built by a policy, then only read.
 *
 * Threads: a value the vIOMMU fills and then hands over; once returned, read
 * it from any thread, change it from none.
 *
 * Since: 0.1
 */
typedef struct _HiodViommuVerdict HiodViommuVerdict;

#define HIOD_TYPE_VIOMMU_VERDICT (hiod_viommu_verdict_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_viommu_verdict_get_type(void);

HIOD_AVAILABLE_IN_0_1
HiodViommuVerdict *hiod_viommu_verdict_new(const gchar *viommu);
HIOD_AVAILABLE_IN_0_1
HiodViommuVerdict *hiod_viommu_verdict_ref(HiodViommuVerdict *self);
HIOD_AVAILABLE_IN_0_1
void hiod_viommu_verdict_unref(HiodViommuVerdict *self);

HIOD_AVAILABLE_IN_0_1
const gchar *hiod_viommu_verdict_get_viommu(HiodViommuVerdict *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_viommu_verdict_is_compatible(HiodViommuVerdict *self);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_viommu_verdict_get_reasons(HiodViommuVerdict *self);
HIOD_AVAILABLE_IN_0_1
gchar *hiod_viommu_verdict_get_reasons_text(HiodViommuVerdict *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_viommu_verdict_has_reason(HiodViommuVerdict *self, const gchar *substring);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_viommu_verdict_get_suggestion(HiodViommuVerdict *self, const gchar *setting);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_viommu_verdict_get_reserved_regions(HiodViommuVerdict *self);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_viommu_verdict_get_page_size_mask(HiodViommuVerdict *self);
HIOD_AVAILABLE_IN_0_1
void hiod_viommu_verdict_to_json(HiodViommuVerdict *self, JsonBuilder *builder);

/* for policies, while building the verdict */
HIOD_AVAILABLE_IN_0_1
void hiod_viommu_verdict_add_reason(HiodViommuVerdict *self, const gchar *format, ...)
    G_GNUC_PRINTF(2, 3);
HIOD_AVAILABLE_IN_0_1
void hiod_viommu_verdict_suggest(HiodViommuVerdict *self, const gchar *setting,
				 const gchar *value);
HIOD_AVAILABLE_IN_0_1
void hiod_viommu_verdict_set_reserved_regions(HiodViommuVerdict *self, GPtrArray *regions);
HIOD_AVAILABLE_IN_0_1
void hiod_viommu_verdict_set_page_size_mask(HiodViommuVerdict *self, guint64 mask);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_viommu_verdict_to_error(HiodViommuVerdict *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodViommuVerdict, hiod_viommu_verdict_unref)

G_END_DECLS

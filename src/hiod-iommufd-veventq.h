/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-iommufd-viommu.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HIOD_IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3:
 *
 * IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 (Linux 6.15): SMMUv3 event records.
 *
 * Since: 0.1
 */
#define HIOD_IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3 1u
/**
 * HIOD_IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV:
 *
 * IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV (Linux 6.17): VCMDQ error maps.
 *
 * Since: 0.1
 */
#define HIOD_IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV 2u
/**
 * HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST:
 *
 * The selftest mock's vEVENTQ type: each event carries the virtual device id.
 *
 * Since: 0.1
 */
#define HIOD_IOMMUFD_VEVENTQ_TYPE_SELFTEST 0xbeefbeefu
/* one event ----------------------------------------------------------------- */

/**
 * HiodIommufdVevent:
 *
 * One event read from a vEVENTQ (the kernel's iommufd_vevent_header and the
 * type's data), decoded per queue type.
 *
 * Threads: an immutable value; any thread.
 *
 * Since: 0.1
 */
typedef struct _HiodIommufdVevent HiodIommufdVevent;

#define HIOD_TYPE_IOMMUFD_VEVENT (hiod_iommufd_vevent_get_type())
HIOD_AVAILABLE_IN_0_1
GType hiod_iommufd_vevent_get_type(void) G_GNUC_CONST;
HIOD_AVAILABLE_IN_0_1
HiodIommufdVevent *hiod_iommufd_vevent_copy(const HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
void hiod_iommufd_vevent_free(HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_vevent_get_veventq_type(const HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_vevent_get_sequence(const HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_vevent_get_flags(const HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_vevent_is_lost_events(const HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_vevent_get_lost_before(const HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
GBytes *hiod_iommufd_vevent_get_data(const HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_vevent_get_virt_id(const HiodIommufdVevent *event, guint64 *virt_id);
HIOD_AVAILABLE_IN_0_1
guint hiod_iommufd_vevent_get_smmuv3_event_id(const HiodIommufdVevent *event);
HIOD_AVAILABLE_IN_0_1
gchar *hiod_iommufd_vevent_to_string(const HiodIommufdVevent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodIommufdVevent, hiod_iommufd_vevent_free)

#define HIOD_TYPE_IOMMUFD_VEVENTQ (hiod_iommufd_veventq_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodIommufdVeventq, hiod_iommufd_veventq, HIOD, IOMMUFD_VEVENTQ, GObject)

HIOD_AVAILABLE_IN_0_1
HiodIommufdVeventq *hiod_iommufd_viommu_alloc_veventq(HiodIommufdViommu *self,
						      guint32 veventq_type, guint32 depth,
						      GError **error);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_veventq_get_id(HiodIommufdVeventq *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_veventq_get_veventq_type(HiodIommufdVeventq *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_iommufd_veventq_get_depth(HiodIommufdVeventq *self);
HIOD_AVAILABLE_IN_0_1
gint hiod_iommufd_veventq_get_fd(HiodIommufdVeventq *self);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_iommufd_veventq_read(HiodIommufdVeventq *self, GError **error);
HIOD_AVAILABLE_IN_0_1
GSource *hiod_iommufd_veventq_create_source(HiodIommufdVeventq *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_iommufd_veventq_destroy(HiodIommufdVeventq *self, GError **error);

G_END_DECLS

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

#define HIOD_TYPE_LAUNCH_PLAN (hiod_launch_plan_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodLaunchPlan, hiod_launch_plan, HIOD, LAUNCH_PLAN, GObject)

HIOD_AVAILABLE_IN_0_1
HiodLaunchPlan *hiod_launch_plan_new(HiodContext *ctx, const gchar *const *devices,
				     HiodBackendKind kind, const gchar *viommu_spec,
				     GError **error);
HIOD_AVAILABLE_IN_0_1
HiodBackendKind hiod_launch_plan_get_backend_kind(HiodLaunchPlan *self);
HIOD_AVAILABLE_IN_0_1
guint hiod_launch_plan_get_n_devices(HiodLaunchPlan *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_launch_plan_get_device(HiodLaunchPlan *self, guint index);
HIOD_AVAILABLE_IN_0_1
gint hiod_launch_plan_get_iommufd_fd(HiodLaunchPlan *self);
HIOD_AVAILABLE_IN_0_1
gint hiod_launch_plan_get_device_fd(HiodLaunchPlan *self, guint index);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_launch_plan_grant(HiodLaunchPlan *self, guint uid, guint gid, GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_launch_plan_revoke(HiodLaunchPlan *self);
HIOD_AVAILABLE_IN_0_1
GStrv hiod_launch_plan_export(HiodLaunchPlan *self, GError **error);
HIOD_AVAILABLE_IN_0_1
guint64 hiod_launch_plan_get_memlock_limit(HiodLaunchPlan *self, guint64 guest_memory);
HIOD_AVAILABLE_IN_0_1
void hiod_launch_plan_to_json(HiodLaunchPlan *self, JsonBuilder *builder);

HIOD_AVAILABLE_IN_0_1
gboolean hiod_launch_parse_qemu_memory(const gchar *const *vmm_argv, guint64 *guest_memory,
				       GError **error);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_CONTEXT (hiod_context_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodContext, hiod_context, HIOD, CONTEXT, GObject)

HIOD_AVAILABLE_IN_0_1
HiodContext *hiod_context_new(void);
HIOD_AVAILABLE_IN_0_1
HiodContext *hiod_context_new_with_roots(const gchar *sysfs_root, const gchar *dev_root);

HIOD_AVAILABLE_IN_0_1
const gchar *hiod_context_get_sysfs_root(HiodContext *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_context_get_dev_root(HiodContext *self);

HIOD_AVAILABLE_IN_0_1
gchar *hiod_context_build_sysfs_path(HiodContext *self, const gchar *first, ...) G_GNUC_NULL_TERMINATED;
HIOD_AVAILABLE_IN_0_1
gchar *hiod_context_build_dev_path(HiodContext *self, const gchar *first, ...) G_GNUC_NULL_TERMINATED;

HIOD_AVAILABLE_IN_0_1
gboolean hiod_context_has_iommufd(HiodContext *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_context_has_vfio_container(HiodContext *self);

HIOD_AVAILABLE_IN_0_1
guint hiod_context_get_open_fd_count(HiodContext *self);

G_END_DECLS

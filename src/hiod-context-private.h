/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hiod-context.h"

G_BEGIN_DECLS

typedef struct _HiodKernel HiodKernel;

HiodKernel *hiod_context_get_kernel(HiodContext *self);
HiodKernel *hiod_kernel_new(void);
void hiod_kernel_free(HiodKernel *k);
guint hiod_kernel_get_open_fd_count(HiodKernel *k);

/* Reads a sysfs attribute below the sysfs root, stripped. NULL + error if absent. */
gchar *hiod_context_read_sysfs(HiodContext *self, const gchar *path, GError **error);
/* Resolves a sysfs link below the sysfs root and returns its basename. */
gchar *hiod_context_read_sysfs_link_basename(HiodContext *self, const gchar *path, GError **error);

G_END_DECLS

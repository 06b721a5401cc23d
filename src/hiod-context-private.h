/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hiod-context.h"

G_BEGIN_DECLS

typedef struct _HiodKernel HiodKernel;

HiodKernel *hiod_context_get_kernel(HiodContext *self);
HiodKernel *hiod_kernel_new(void);
void hiod_kernel_free(HiodKernel *k);
guint hiod_kernel_get_open_fd_count(HiodKernel *k);

G_END_DECLS

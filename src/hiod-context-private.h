/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hiod-context.h"

G_BEGIN_DECLS

typedef struct _HiodKernel HiodKernel;

/* The first member of every HiodKernel: what the inline fast path of
 * hiod_kernel_ioctl() (hiod-kernel-private.h) reads. */
typedef struct {
	guint64 calls; /* atomic: every call counts, with or without faults */
	gint direct;   /* atomic: the real kernel's ops, no fault armed, no tracing */
} HiodKernelHot;

struct _HiodContext {
	GObject parent_instance;
	gchar *sysfs_root;
	gchar *dev_root;
	HiodKernel *kernel;
};

HiodKernel *hiod_context_get_kernel(HiodContext *self);

/* hiod_context_get_kernel() without a call, for the map paths */
static inline HiodKernelHot *
hiod_context_peek_kernel_hot(HiodContext *self)
{
	return (HiodKernelHot *)self->kernel;
}
HiodKernel *hiod_kernel_new(void);
void hiod_kernel_free(HiodKernel *k);
guint hiod_kernel_get_open_fd_count(HiodKernel *k);

G_END_DECLS

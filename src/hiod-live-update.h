/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-address-space.h"
#include "hiod-context.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_LIVE_UPDATE (hiod_live_update_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodLiveUpdate, hiod_live_update, HIOD, LIVE_UPDATE, GObject)

/* the old process */
HIOD_AVAILABLE_IN_0_1
HiodLiveUpdate *hiod_live_update_new(HiodAddressSpace *space, const HiodMemoryRegion *regions,
				     guint n_regions, GError **error);
HIOD_AVAILABLE_IN_0_1
gchar *hiod_live_update_save(HiodLiveUpdate *self, GArray **fds, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_live_update_cancel(HiodLiveUpdate *self, GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_live_update_complete(HiodLiveUpdate *self);

/* the new process */
HIOD_AVAILABLE_IN_0_1
HiodAddressSpace *hiod_live_update_adopt(HiodContext *ctx, const gchar *document, const gint *fds,
					 guint n_fds, const HiodMemoryRegion *regions,
					 guint n_regions, GPtrArray **devices, GError **error);

/* between them: a document and its fds over a Unix socket (SCM_RIGHTS) */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_live_update_send(gint socket_fd, const gchar *document, const gint *fds, guint n_fds,
			       GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_live_update_receive(gint socket_fd, gchar **document, GArray **fds, GError **error);

G_END_DECLS

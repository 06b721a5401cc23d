/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the live update (hiod-live-update.c) needs of the type1 container. */
#pragma once

#include "hiod-legacy-container.h"

G_BEGIN_DECLS

/* Hand-off mode: the kernel state is shared with another process. Maps only
 * give an existing mapping a new host address (MAP_DMA FLAG_VADDR), unmaps
 * only take it away (UNMAP_DMA FLAG_VADDR), groups leave without
 * UNSET_CONTAINER: the object can be used and dropped without changing what
 * the device reaches. */
void hiod_legacy_container_set_handoff(HiodLegacyContainer *self, gboolean handoff);
gboolean hiod_legacy_container_get_handoff(HiodLegacyContainer *self);
/* Adoption: attaching uses these fds (owned by the container from here on)
 * instead of opening the container and the groups and asking for device fds:
 * the container's, then "group:N" and "device:ADDRESS". Sets hand-off mode. */
void hiod_legacy_container_set_incoming(HiodLegacyContainer *self, guint32 iommu_type, gint container_fd);
void hiod_legacy_container_add_incoming(HiodLegacyContainer *self, const gchar *key, gint fd);
/* Ends adoption: unused fds are closed (their number returned), hand-off mode off. */
guint hiod_legacy_container_finish_incoming(HiodLegacyContainer *self);
/* One mapping's host address: @vaddr, or none (%NULL: invalidated, the mapping and its pins stay). */
gboolean hiod_legacy_container_set_vaddr(HiodLegacyContainer *self, guint64 iova, guint64 size,
					 gpointer vaddr, GError **error);

G_END_DECLS

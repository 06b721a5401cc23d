/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-container.h"
#include "hiod-vdpa-device.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HIOD_VDPA_MAX_MAPPINGS:
 *
 * The most IOTLB entries vhost-vdpa keeps per address space by default (its
 * max_iotlb_entries parameter). A #HiodVdpaContainer takes the running
 * kernel's value from /sys/module/vhost_vdpa/parameters/max_iotlb_entries,
 * and this one when sysfs does not say.
 *
 * Since: 0.1
 */
#define HIOD_VDPA_MAX_MAPPINGS 2048

#define HIOD_TYPE_VDPA_CONTAINER (hiod_vdpa_container_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodVdpaContainer, hiod_vdpa_container, HIOD, VDPA_CONTAINER, HiodContainer)

HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_vdpa_container_new(HiodVdpaDevice *device, GError **error);
HIOD_AVAILABLE_IN_0_1
HiodVdpaDevice *hiod_vdpa_container_get_device(HiodVdpaContainer *self);

G_END_DECLS

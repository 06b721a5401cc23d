/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodAssignedDevice:
 *
 * An assigned device, VFIO or vDPA: what a host IOMMU device stands for.
 *
 * Threads: as the implementing class (#HiodVfioDevice, #HiodVdpaDevice).
 *
 * Since: 0.1
 */
#define HIOD_TYPE_ASSIGNED_DEVICE (hiod_assigned_device_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_INTERFACE(HiodAssignedDevice, hiod_assigned_device, HIOD, ASSIGNED_DEVICE, GObject)

/**
 * HiodAssignedDeviceInterface:
 * @g_iface: the parent interface
 * @get_name: Mandatory. The device's name (a PCI address, a vDPA device name).
 *
 * An assigned device: what a host IOMMU device stands for (its "agent").
 * Implemented by #HiodVfioDevice and #HiodVdpaDevice, and by test doubles.
 *
 * Since: 0.1
 */
struct _HiodAssignedDeviceInterface {
	GTypeInterface g_iface;
	const gchar *(*get_name)(HiodAssignedDevice *self);
};

HIOD_AVAILABLE_IN_0_1
const gchar *hiod_assigned_device_get_name(HiodAssignedDevice *self);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-assigned-device.h"

G_DEFINE_INTERFACE(HiodAssignedDevice, hiod_assigned_device, G_TYPE_OBJECT)

static void
hiod_assigned_device_default_init(HiodAssignedDeviceInterface *iface)
{
}

/**
 * hiod_assigned_device_get_name:
 * @self: a #HiodAssignedDevice
 *
 * Gets the device's name.
 *
 * Returns: (transfer none): the device's name
 *
 * Since: 0.1
 */
const gchar *
hiod_assigned_device_get_name(HiodAssignedDevice *self)
{
	HiodAssignedDeviceInterface *iface;
	g_return_val_if_fail(HIOD_IS_ASSIGNED_DEVICE(self), NULL);
	iface = HIOD_ASSIGNED_DEVICE_GET_IFACE(self);
	g_return_val_if_fail(iface->get_name != NULL, NULL);
	return iface->get_name(self);
}

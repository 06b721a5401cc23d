/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What backends (containers) need of a HiodVfioDevice while attaching it. */
#pragma once

#include "hiod-vfio-device.h"

G_BEGIN_DECLS

/* Takes ownership of @fd (opened through the chokepoint); -1 closes the current one. */
void hiod_vfio_device_set_fd(HiodVfioDevice *self, gint fd);
/* VFIO_DEVICE_GET_INFO on the fd just set: flags, regions, irqs. */
gboolean hiod_vfio_device_load_info(HiodVfioDevice *self, GError **error);
/* Bookkeeping done by hiod_container_attach_device()/detach_device(). */
void hiod_vfio_device_set_container(HiodVfioDevice *self, HiodContainer *container);
/* iommufd: the device's object id once bound (0 = not bound). */
void hiod_vfio_device_set_devid(HiodVfioDevice *self, guint32 devid);
guint32 hiod_vfio_device_get_devid(HiodVfioDevice *self);
/* iommufd: the HWPT the device is attached to (0 = none). */
void hiod_vfio_device_set_hwpt_id(HiodVfioDevice *self, guint32 hwpt_id);
guint32 hiod_vfio_device_get_hwpt_id(HiodVfioDevice *self);

G_END_DECLS

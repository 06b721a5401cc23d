/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "hiod-context.h"
#include "hiod-version.h"

G_BEGIN_DECLS

#define HIOD_TYPE_PCI_DEVICE_INFO (hiod_pci_device_info_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodPciDeviceInfo, hiod_pci_device_info, HIOD, PCI_DEVICE_INFO, GObject)

HIOD_AVAILABLE_IN_0_1
HiodPciDeviceInfo *hiod_pci_device_info_new(HiodContext *ctx, const gchar *address, GError **error);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_context_list_pci_devices(HiodContext *ctx, GError **error);

HIOD_AVAILABLE_IN_0_1
const gchar *hiod_pci_device_info_get_address(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_pci_device_info_get_sysfs_path(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
guint16 hiod_pci_device_info_get_vendor_id(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
guint16 hiod_pci_device_info_get_device_id(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
guint32 hiod_pci_device_info_get_class_code(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_pci_device_info_get_driver(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
gint hiod_pci_device_info_get_iommu_group(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_pci_device_info_get_vfio_group_node(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
const gchar *hiod_pci_device_info_get_vfio_cdev_node(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_device_info_is_vfio_bound(HiodPciDeviceInfo *self);
HIOD_AVAILABLE_IN_0_1
void hiod_pci_device_info_to_json(HiodPciDeviceInfo *self, JsonBuilder *builder);

HIOD_AVAILABLE_IN_0_1
gboolean hiod_pci_address_normalize(const gchar *address, gchar **normalized, GError **error);

G_END_DECLS

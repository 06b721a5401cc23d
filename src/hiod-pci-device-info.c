/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-context-private.h"
#include "hiod-error.h"
#include "hiod-json-private.h"
#include "hiod-pci-device-info.h"
#include "hiod-sysfs-private.h"

/**
 * HiodPciDeviceInfo:
 *
 * What sysfs says of one PCI device: identity, driver, IOMMU group and the
 * VFIO nodes (group node, device cdev) it can be opened through. A snapshot:
 * it does not open anything.
 *
 * Threads: read once from sysfs when made and not changed after: read it
 * from any thread.
 *
 * Since: 0.1
 */

struct _HiodPciDeviceInfo {
	GObject parent_instance;
	gchar *address;
	gchar *sysfs_path;
	guint16 vendor_id;
	guint16 device_id;
	guint32 class_code;
	gchar *driver;
	gint iommu_group;
	gchar *vfio_group_node;
	gchar *vfio_cdev_node;
};

G_DEFINE_FINAL_TYPE(HiodPciDeviceInfo, hiod_pci_device_info, G_TYPE_OBJECT)

/**
 * hiod_pci_address_normalize:
 * @address: a PCI address, "DDDD:BB:DD.F" or "BB:DD.F"
 * @normalized: (out) (optional) (transfer full): the address as "dddd:bb:dd.f"
 * @error: return location for a #GError
 *
 * Returns %TRUE when @address is a well-formed PCI address.
 *
 * Returns: %TRUE when @address is a well-formed PCI address
 *
 * Since: 0.1
 */
gboolean
hiod_pci_address_normalize(const gchar *address, gchar **normalized, GError **error)
{
	guint domain, bus, devfn;
	if (!hiod_pci_address_parse(address, &domain, &bus, &devfn, error))
		return FALSE;
	if (normalized != NULL)
		*normalized = hiod_pci_address_format(domain, bus, devfn);
	return TRUE;
}

/* The cdev node of a vfio-bound device: <dev>/vfio-dev/vfioN -> /dev/vfio/devices/vfioN */
static gchar *
hiod_pci_find_cdev(HiodContext *ctx, const gchar *rel_dir)
{
	g_autofree gchar *rel = g_build_filename(rel_dir, "vfio-dev", NULL);
	g_autoptr(GPtrArray) names = hiod_sysfs_list(ctx, rel, NULL);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		const gchar *name = names->pdata[i];
		guint64 n;
		/* vfioN, N decimal as the kernel names it */
		if (g_str_has_prefix(name, "vfio") &&
		    g_ascii_string_to_unsigned(name + 4, 10, 0, G_MAXINT, &n, NULL))
			return hiod_context_build_dev_path(ctx, "vfio", "devices", name, NULL);
		g_debug("%s/%s: not a VFIO cdev name; skipped", rel, name);
	}
	return NULL;
}

static gboolean
hiod_pci_read_id(HiodContext *ctx, const gchar *rel, const gchar *attr, guint64 max,
		 guint64 *value, GError **error)
{
	g_autofree gchar *path = g_build_filename(rel, attr, NULL);
	return hiod_sysfs_read_hex(ctx, path, max, value, error);
}

/**
 * hiod_pci_device_info_new:
 * @ctx: a #HiodContext
 * @address: the PCI address ("0000:00:04.0")
 * @error: return location for a #GError
 *
 * Reads what sysfs says of one PCI device.
 *
 * Returns: (transfer full): a new #HiodPciDeviceInfo, or %NULL with
 * %HIOD_ERROR_INVALID_ARGUMENT for a malformed address and
 * %HIOD_ERROR_NOT_FOUND when no such device exists
 *
 * Since: 0.1
 */
HiodPciDeviceInfo *
hiod_pci_device_info_new(HiodContext *ctx, const gchar *address, GError **error)
{
	g_autoptr(HiodPciDeviceInfo) self = NULL;
	g_autofree gchar *bdf = NULL;
	g_autofree gchar *rel = NULL;
	g_autofree gchar *driver_link = NULL;
	g_autofree gchar *real = NULL;
	guint64 vendor = 0, device = 0, klass = 0;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	if (!hiod_pci_address_normalize(address, &bdf, error))
		return NULL;
	rel = g_build_filename("bus", "pci", "devices", bdf, NULL);
	self = g_object_new(HIOD_TYPE_PCI_DEVICE_INFO, NULL);
	self->sysfs_path = hiod_context_build_sysfs_path(ctx, rel, NULL);
	if (!g_file_test(self->sysfs_path, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "no PCI device %s on this host (%s does not exist)", bdf,
			    self->sysfs_path);
		return NULL;
	}
	/* a bus/pci/devices entry is the kernel's link into /sys/devices */
	real = hiod_sysfs_resolve(ctx, rel, error);
	if (real == NULL) {
		g_prefix_error(error, "PCI device %s: ", bdf);
		return NULL;
	}
	if (!hiod_pci_read_id(ctx, rel, "vendor", 0xffff, &vendor, error) ||
	    !hiod_pci_read_id(ctx, rel, "device", 0xffff, &device, error) ||
	    !hiod_pci_read_id(ctx, rel, "class", 0xffffff, &klass, error)) {
		g_prefix_error(error, "PCI device %s: ", bdf);
		return NULL;
	}
	self->address = g_steal_pointer(&bdf);
	self->vendor_id = (guint16)vendor;
	self->device_id = (guint16)device;
	self->class_code = (guint32)klass;
	driver_link = g_build_filename(rel, "driver", NULL);
	self->driver = hiod_sysfs_read_link_name(ctx, driver_link, NULL);
	g_free(driver_link);
	driver_link = g_build_filename(rel, "iommu_group", NULL);
	if (!hiod_sysfs_read_iommu_group(ctx, driver_link, &self->iommu_group, error)) {
		g_prefix_error(error, "PCI device %s: ", self->address);
		return NULL;
	}
	if (self->iommu_group >= 0) {
		g_autofree gchar *group = g_strdup_printf("%d", self->iommu_group);
		g_autofree gchar *node = hiod_context_build_dev_path(ctx, "vfio", group, NULL);
		if (g_file_test(node, G_FILE_TEST_EXISTS))
			self->vfio_group_node = g_steal_pointer(&node);
	}
	self->vfio_cdev_node = hiod_pci_find_cdev(ctx, rel);
	return g_steal_pointer(&self);
}

static gint
hiod_pci_compare(gconstpointer a, gconstpointer b)
{
	HiodPciDeviceInfo *ia = *(HiodPciDeviceInfo **)a;
	HiodPciDeviceInfo *ib = *(HiodPciDeviceInfo **)b;
	return g_strcmp0(ia->address, ib->address);
}

/**
 * hiod_context_list_pci_devices:
 * @ctx: a #HiodContext
 * @error: return location for a #GError
 *
 * Returns every PCI device of the host, sorted by address.
 *
 * Returns: (transfer container) (element-type HiodPciDeviceInfo): every PCI device
 * of the host, sorted by address
 *
 * Since: 0.1
 */
GPtrArray *
hiod_context_list_pci_devices(HiodContext *ctx, GError **error)
{
	g_autofree gchar *dir = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	dir = hiod_context_build_sysfs_path(ctx, "bus", "pci", "devices", NULL);
	names = hiod_sysfs_list(ctx, "bus/pci/devices", &error_local);
	if (names == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "cannot list PCI devices: %s", error_local->message);
		return NULL;
	}
	for (guint i = 0; i < names->len; i++) {
		const gchar *name = names->pdata[i];
		g_autofree gchar *canon = NULL;
		g_autoptr(GError) error_dev = NULL;
		HiodPciDeviceInfo *info;
		/* the kernel names each entry DDDD:BB:DD.F, nothing else */
		if (!hiod_pci_address_normalize(name, &canon, NULL) || g_strcmp0(canon, name) != 0) {
			g_autofree gchar *shown = g_strescape(name, NULL);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
				    "cannot list PCI devices: %s/%s is not named as the kernel names "
				    "a PCI device (DDDD:BB:DD.F)",
				    dir, shown);
			return NULL;
		}
		info = hiod_pci_device_info_new(ctx, name, &error_dev);
		if (info == NULL) {
			/* gone since the directory was read (hot unplug): not an error */
			g_autofree gchar *entry = g_build_filename(dir, name, NULL);
			if (g_error_matches(error_dev, HIOD_ERROR, HIOD_ERROR_NOT_FOUND) &&
			    !g_file_test(entry, G_FILE_TEST_EXISTS)) {
				g_debug("%s: %s", name, error_dev->message);
				continue;
			}
			g_propagate_prefixed_error(error, g_steal_pointer(&error_dev),
						   "cannot list PCI devices: ");
			return NULL;
		}
		g_ptr_array_add(devices, info);
	}
	g_ptr_array_sort(devices, hiod_pci_compare);
	return g_steal_pointer(&devices);
}

/**
 * hiod_pci_device_info_get_address:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the normalized PCI address.
 *
 * Returns: the normalized PCI address
 *
 * Since: 0.1
 */
const gchar *
hiod_pci_device_info_get_address(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), NULL);
	return self->address;
}

/**
 * hiod_pci_device_info_get_sysfs_path:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the device's sysfs directory (below the context's sysfs root).
 *
 * Returns: the device's sysfs directory (below the context's sysfs root)
 *
 * Since: 0.1
 */
const gchar *
hiod_pci_device_info_get_sysfs_path(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), NULL);
	return self->sysfs_path;
}

/**
 * hiod_pci_device_info_get_vendor_id:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the PCI vendor ID.
 *
 * Returns: the PCI vendor ID
 *
 * Since: 0.1
 */
guint16
hiod_pci_device_info_get_vendor_id(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), 0);
	return self->vendor_id;
}

/**
 * hiod_pci_device_info_get_device_id:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the PCI device ID.
 *
 * Returns: the PCI device ID
 *
 * Since: 0.1
 */
guint16
hiod_pci_device_info_get_device_id(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), 0);
	return self->device_id;
}

/**
 * hiod_pci_device_info_get_class_code:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the 24-bit PCI class code.
 *
 * Returns: the 24-bit PCI class code
 *
 * Since: 0.1
 */
guint32
hiod_pci_device_info_get_class_code(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), 0);
	return self->class_code;
}

/**
 * hiod_pci_device_info_get_driver:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the bound driver's name, %NULL when unbound.
 *
 * Returns: (nullable): the bound driver's name, %NULL when unbound
 *
 * Since: 0.1
 */
const gchar *
hiod_pci_device_info_get_driver(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), NULL);
	return self->driver;
}

/**
 * hiod_pci_device_info_get_iommu_group:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the IOMMU group number, -1 when the device has none (no IOMMU).
 *
 * Returns: the IOMMU group number, -1 when the device has none (no IOMMU)
 *
 * Since: 0.1
 */
gint
hiod_pci_device_info_get_iommu_group(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), -1);
	return self->iommu_group;
}

/**
 * hiod_pci_device_info_get_vfio_group_node:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the VFIO group node (/dev/vfio/N), when it exists.
 *
 * Returns: (nullable): the VFIO group node (/dev/vfio/N), when it exists
 *
 * Since: 0.1
 */
const gchar *
hiod_pci_device_info_get_vfio_group_node(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), NULL);
	return self->vfio_group_node;
}

/**
 * hiod_pci_device_info_get_vfio_cdev_node:
 * @self: a #HiodPciDeviceInfo
 *
 * Gets the VFIO device cdev (/dev/vfio/devices/vfioN), when bound to VFIO.
 *
 * Returns: (nullable): the VFIO device cdev (/dev/vfio/devices/vfioN), when bound to VFIO
 *
 * Since: 0.1
 */
const gchar *
hiod_pci_device_info_get_vfio_cdev_node(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), NULL);
	return self->vfio_cdev_node;
}

/**
 * hiod_pci_device_info_is_vfio_bound:
 * @self: a #HiodPciDeviceInfo
 *
 * Tells whether vfio-pci drives the device.
 *
 * Returns: whether vfio-pci drives the device
 *
 * Since: 0.1
 */
gboolean
hiod_pci_device_info_is_vfio_bound(HiodPciDeviceInfo *self)
{
	g_return_val_if_fail(HIOD_IS_PCI_DEVICE_INFO(self), FALSE);
	return g_strcmp0(self->driver, "vfio-pci") == 0;
}

/**
 * hiod_pci_device_info_to_json:
 * @self: a #HiodPciDeviceInfo
 * @builder: a #JsonBuilder
 *
 * Adds the device as a JSON object: address, vendor, device and class, driver, IOMMU group and VFIO nodes.
 *
 * Since: 0.1
 */
void
hiod_pci_device_info_to_json(HiodPciDeviceInfo *self, JsonBuilder *builder)
{
	g_autofree gchar *vendor = g_strdup_printf("%04x", self->vendor_id);
	g_autofree gchar *device = g_strdup_printf("%04x", self->device_id);
	g_autofree gchar *klass = g_strdup_printf("%06x", self->class_code);
	json_builder_begin_object(builder);
	hiod_json_add_string(builder, "address", self->address);
	hiod_json_add_string(builder, "vendor_id", vendor);
	hiod_json_add_string(builder, "device_id", device);
	hiod_json_add_string(builder, "class_code", klass);
	hiod_json_add_string(builder, "driver", self->driver);
	json_builder_set_member_name(builder, "iommu_group");
	if (self->iommu_group >= 0)
		json_builder_add_int_value(builder, self->iommu_group);
	else
		json_builder_add_null_value(builder);
	hiod_json_add_string(builder, "vfio_group_node", self->vfio_group_node);
	hiod_json_add_string(builder, "vfio_cdev_node", self->vfio_cdev_node);
	hiod_json_add_bool(builder, "vfio_bound", hiod_pci_device_info_is_vfio_bound(self));
	json_builder_end_object(builder);
}

static void
hiod_pci_device_info_init(HiodPciDeviceInfo *self)
{
	self->iommu_group = -1;
}

static void
hiod_pci_device_info_finalize(GObject *object)
{
	HiodPciDeviceInfo *self = HIOD_PCI_DEVICE_INFO(object);
	g_free(self->address);
	g_free(self->sysfs_path);
	g_free(self->driver);
	g_free(self->vfio_group_node);
	g_free(self->vfio_cdev_node);
	G_OBJECT_CLASS(hiod_pci_device_info_parent_class)->finalize(object);
}

static void
hiod_pci_device_info_class_init(HiodPciDeviceInfoClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hiod_pci_device_info_finalize;
}

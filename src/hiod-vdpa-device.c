/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>

#include "hiod-assigned-device.h"
#include "hiod-context-private.h"
#include "hiod-enum-types.h"
#include "hiod-error.h"
#include "hiod-iova-range-private.h"
#include "hiod-sysfs-private.h"
#include "hiod-host-iommu-device-vdpa.h"
#include "hiod-json-private.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "hiod-vdpa-device.h"

/**
 * HiodVdpaDevice:
 *
 * A vhost-vdpa device (/dev/vhost-vdpa-N) and its IOTLB: the vDPA kind of
 * assigned device (seed 000). Unlike a VFIO device, a vDPA device translates
 * DMA itself; userspace programs that translation by writing IOTLB messages
 * (struct vhost_msg_v2) to the device fd.
 *
 * Making one opens the node (one open at a time: the kernel answers EBUSY to
 * a second), takes ownership (VHOST_SET_OWNER), negotiates the backend
 * features (IOTLB message v2 is required; batching and address-space IDs
 * are taken when offered) and reads the usable IOVA range.
 *
 * The kernel turns every failure inside an IOTLB message into EFAULT from
 * write(), so the library checks what it can (range, size, wrap-around)
 * before writing and says what it attempted when the kernel refuses.
 *
 * Threads: map and unmap (IOTLB messages) may be called from any thread:
 * each message sequence is serialised. Making the device, its host IOMMU
 * device and the other calls: one thread at a time.
 *
 * Since: 0.1
 */

#define HIOD_VDPA_NODE_PREFIX "vhost-vdpa-"

struct _HiodVdpaDevice {
	GObject parent_instance;
	HiodContext *ctx;
	gchar *name; /* the vdpa device's name, or the node's basename when sysfs does not say */
	gchar *node;
	gint fd;
	guint32 device_id;
	guint64 offered;
	guint64 acked;
	guint64 iova_first;
	guint64 iova_last;
	GMutex lock; /* one IOTLB message sequence at a time */
	HiodHostIommuDevice *hiod;
};

static void hiod_vdpa_device_assigned_iface_init(HiodAssignedDeviceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HiodVdpaDevice, hiod_vdpa_device, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(HIOD_TYPE_ASSIGNED_DEVICE,
						    hiod_vdpa_device_assigned_iface_init))

G_DEFINE_BOXED_TYPE(HiodVdpaDeviceInfo, hiod_vdpa_device_info, hiod_vdpa_device_info_copy,
		    hiod_vdpa_device_info_free)

/* sysfs ------------------------------------------------------------------------ */

/* The vhost-vdpa-N child of /sys/bus/vdpa/devices/@name, or NULL. */
static gchar *
hiod_vdpa_sysfs_node_name(HiodContext *ctx, const gchar *name)
{
	g_autofree gchar *rel = g_build_filename("bus", "vdpa", "devices", name, NULL);
	g_autoptr(GPtrArray) children = hiod_sysfs_list(ctx, rel, NULL);
	for (guint i = 0; children != NULL && i < children->len; i++) {
		if (g_str_has_prefix(children->pdata[i], HIOD_VDPA_NODE_PREFIX))
			return g_strdup(children->pdata[i]);
	}
	return NULL;
}

/* The vdpa device whose vhost-vdpa child is @node_name, or NULL. */
static gchar *
hiod_vdpa_sysfs_name_of_node(HiodContext *ctx, const gchar *node_name)
{
	g_autofree gchar *dir = hiod_context_build_sysfs_path(ctx, "bus", "vdpa", "devices", NULL);
	g_autoptr(GPtrArray) names = hiod_sysfs_list(ctx, "bus/vdpa/devices", NULL);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		g_autofree gchar *child = g_build_filename(dir, names->pdata[i], node_name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			return g_strdup(names->pdata[i]);
	}
	return NULL;
}

/**
 * hiod_vdpa_device_info_new:
 * @ctx: a #HiodContext
 * @name: a vdpa device's name ("vdpa0")
 * @error: return location for a #GError
 *
 * Reads what sysfs (/sys/bus/vdpa/devices/@name) says of the device.
 *
 * Returns: (transfer full): a new #HiodVdpaDeviceInfo, or %NULL with
 * %HIOD_ERROR_NOT_FOUND when there is no such vdpa device
 *
 * Since: 0.1
 */
HiodVdpaDeviceInfo *
hiod_vdpa_device_info_new(HiodContext *ctx, const gchar *name, GError **error)
{
	g_autoptr(HiodVdpaDeviceInfo) info = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *rel = NULL;
	g_autofree gchar *node = NULL;
	g_autofree gchar *target = NULL;
	g_autofree gchar *rel_dev = NULL;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(name != NULL, NULL);
	rel_dev = g_build_filename("bus", "vdpa", "devices", name, NULL);
	dir = hiod_context_build_sysfs_path(ctx, rel_dev, NULL);
	if (strchr(name, '/') != NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "no vdpa device named '%s' (%s does not exist; see 'vdpa dev show')", name, dir);
		return NULL;
	}
	info = g_new0(HiodVdpaDeviceInfo, 1);
	info->name = g_strdup(name);
	rel = g_build_filename("bus", "vdpa", "devices", name, "driver", NULL);
	info->driver = hiod_sysfs_read_link_name(ctx, rel, NULL);
	/* the device's parent in the device tree is its management device */
	target = hiod_sysfs_read_link(ctx, rel_dev, NULL);
	if (target != NULL) {
		g_autofree gchar *parent = g_path_get_dirname(target);
		g_autofree gchar *base = g_path_get_basename(parent);
		if (g_strcmp0(base, ".") != 0 && g_strcmp0(base, "devices") != 0)
			info->mgmtdev = g_steal_pointer(&base);
	}
	node = hiod_vdpa_sysfs_node_name(ctx, name);
	if (node != NULL)
		info->node = hiod_context_build_dev_path(ctx, node, NULL);
	return g_steal_pointer(&info);
}

/**
 * hiod_vdpa_device_info_copy:
 * @info: a #HiodVdpaDeviceInfo
 *
 * Returns a copy.
 *
 * Returns: (transfer full): a copy
 *
 * Since: 0.1
 */
HiodVdpaDeviceInfo *
hiod_vdpa_device_info_copy(const HiodVdpaDeviceInfo *info)
{
	HiodVdpaDeviceInfo *copy;
	g_return_val_if_fail(info != NULL, NULL);
	copy = g_new0(HiodVdpaDeviceInfo, 1);
	copy->name = g_strdup(info->name);
	copy->driver = g_strdup(info->driver);
	copy->mgmtdev = g_strdup(info->mgmtdev);
	copy->node = g_strdup(info->node);
	return copy;
}

/**
 * hiod_vdpa_device_info_free:
 * @info: (nullable): a #HiodVdpaDeviceInfo
 *
 * Frees the listing entry.
 *
 * Since: 0.1
 */
void
hiod_vdpa_device_info_free(HiodVdpaDeviceInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->name);
	g_free(info->driver);
	g_free(info->mgmtdev);
	g_free(info->node);
	g_free(info);
}

/**
 * hiod_vdpa_device_info_to_json:
 * @info: a #HiodVdpaDeviceInfo
 * @builder: a #JsonBuilder
 *
 * Adds an object: name, driver, mgmtdev, node (null when absent).
 *
 * Since: 0.1
 */
void
hiod_vdpa_device_info_to_json(const HiodVdpaDeviceInfo *info, JsonBuilder *builder)
{
	json_builder_begin_object(builder);
	hiod_json_add_string(builder, "name", info->name);
	hiod_json_add_string(builder, "driver", info->driver);
	hiod_json_add_string(builder, "mgmtdev", info->mgmtdev);
	hiod_json_add_string(builder, "node", info->node);
	json_builder_end_object(builder);
}

static gint
hiod_vdpa_info_compare(gconstpointer a, gconstpointer b)
{
	const HiodVdpaDeviceInfo *ia = *(HiodVdpaDeviceInfo *const *)a;
	const HiodVdpaDeviceInfo *ib = *(HiodVdpaDeviceInfo *const *)b;
	return g_strcmp0(ia->name, ib->name);
}

/**
 * hiod_context_list_vdpa_devices:
 * @ctx: a #HiodContext
 * @error: return location for a #GError
 *
 * Lists the host's vdpa devices (/sys/bus/vdpa/devices). A host without the
 * vdpa bus has none: that is an empty array, not an error.
 *
 * Returns: (transfer container) (element-type HiodVdpaDeviceInfo): the
 * devices, sorted by name
 *
 * Since: 0.1
 */
GPtrArray *
hiod_context_list_vdpa_devices(HiodContext *ctx, GError **error)
{
	g_autoptr(GPtrArray) devices =
	    g_ptr_array_new_with_free_func((GDestroyNotify)hiod_vdpa_device_info_free);
	g_autoptr(GPtrArray) names = NULL;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	names = hiod_sysfs_list(ctx, "bus/vdpa/devices", NULL);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		HiodVdpaDeviceInfo *info = hiod_vdpa_device_info_new(ctx, names->pdata[i], NULL);
		if (info != NULL)
			g_ptr_array_add(devices, info);
	}
	g_ptr_array_sort(devices, hiod_vdpa_info_compare);
	return g_steal_pointer(&devices);
}

/* Which node to open for @arg, and the vdpa device's name. */
static gboolean
hiod_vdpa_resolve(HiodContext *ctx, const gchar *arg, gchar **node, gchar **name, GError **error)
{
	g_autofree gchar *base = NULL;
	g_autoptr(HiodVdpaDeviceInfo) info = NULL;

	if (strchr(arg, '/') != NULL || g_str_has_prefix(arg, HIOD_VDPA_NODE_PREFIX)) {
		*node = strchr(arg, '/') != NULL ? g_strdup(arg) : hiod_context_build_dev_path(ctx, arg, NULL);
		base = g_path_get_basename(*node);
		*name = hiod_vdpa_sysfs_name_of_node(ctx, base);
		if (*name == NULL)
			*name = g_steal_pointer(&base);
		return TRUE;
	}
	info = hiod_vdpa_device_info_new(ctx, arg, error);
	if (info == NULL)
		return FALSE;
	if (info->node == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "vdpa device %s has no vhost-vdpa node: %s%s; bind it to vhost_vdpa "
			    "(echo vhost_vdpa > /sys/bus/vdpa/devices/%s/driver_override)",
			    arg, info->driver != NULL ? "it is bound to " : "it is bound to no driver",
			    info->driver != NULL ? info->driver : "", arg);
		return FALSE;
	}
	*node = g_strdup(info->node);
	*name = g_strdup(arg);
	return TRUE;
}

/* construction ------------------------------------------------------------------- */

static gboolean
hiod_vdpa_device_open(HiodVdpaDevice *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	struct hiod_vhost_vdpa_iova_range range = {0};
	guint64 features = 0;
	const guint64 v2 = G_GUINT64_CONSTANT(1) << HIOD_VHOST_BACKEND_F_IOTLB_MSG_V2;
	const guint64 wanted = v2 | (G_GUINT64_CONSTANT(1) << HIOD_VHOST_BACKEND_F_IOTLB_BATCH) |
			       (G_GUINT64_CONSTANT(1) << HIOD_VHOST_BACKEND_F_IOTLB_ASID);

	self->fd = hiod_kernel_open(self->ctx, self->node, O_RDWR, error);
	if (self->fd < 0)
		return FALSE;
	/* a node that is not vhost-vdpa (/dev/null, another driver's) does not know this */
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VHOST_VDPA_GET_DEVICE_ID), &self->device_id,
			      0, &error_local) < 0) {
		if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED)) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "%s is not a vhost-vdpa device node (%s)",
				    self->node, error_local->message);
			return FALSE;
		}
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VHOST_SET_OWNER), NULL, 0, error) < 0)
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VHOST_GET_BACKEND_FEATURES), &features, 0,
			      error) < 0)
		return FALSE;
	self->offered = features;
	if ((features & v2) == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s does not offer IOTLB message v2 (backend features 0x%" G_GINT64_MODIFIER
			    "x), which hiod needs to map DMA",
			    self->node, features);
		return FALSE;
	}
	self->acked = features & wanted;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VHOST_SET_BACKEND_FEATURES), &self->acked,
			      0, error) < 0) {
		g_prefix_error(error, "acking backend features 0x%" G_GINT64_MODIFIER "x: ", self->acked);
		return FALSE;
	}
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VHOST_VDPA_GET_IOVA_RANGE), &range, 0,
			      error) < 0)
		return FALSE;
	if (range.first > range.last) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s reports an empty IOVA range [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]",
			    self->node, (guint64)range.first, (guint64)range.last);
		return FALSE;
	}
	self->iova_first = range.first;
	self->iova_last = range.last;
	return TRUE;
}

/**
 * hiod_vdpa_device_new:
 * @ctx: a #HiodContext
 * @name_or_node: a vdpa device's name ("vdpa0"), a node name ("vhost-vdpa-0")
 *   or a node's path ("/dev/vhost-vdpa-0")
 * @error: return location for a #GError
 *
 * Finds and opens the vhost-vdpa device, takes ownership of it, negotiates
 * the backend features and reads the usable IOVA range. Errors:
 * %HIOD_ERROR_NOT_FOUND (no such device), %HIOD_ERROR_INVALID_STATE (the
 * vdpa device is bound to another driver than vhost_vdpa),
 * %HIOD_ERROR_INVALID_ARGUMENT (the node is not a vhost-vdpa node),
 * %HIOD_ERROR_BUSY (someone else has it open), %HIOD_ERROR_NOT_SUPPORTED
 * (no IOTLB message v2). On failure nothing stays open.
 *
 * Returns: (transfer full): a new #HiodVdpaDevice
 *
 * Since: 0.1
 */
HiodVdpaDevice *
hiod_vdpa_device_new(HiodContext *ctx, const gchar *name_or_node, GError **error)
{
	g_autoptr(HiodVdpaDevice) self = NULL;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (name_or_node == NULL || *name_or_node == '\0') {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "no vDPA device given");
		return NULL;
	}
	self = g_object_new(HIOD_TYPE_VDPA_DEVICE, NULL);
	self->ctx = g_object_ref(ctx);
	if (!hiod_vdpa_resolve(ctx, name_or_node, &self->node, &self->name, error))
		return NULL;
	if (!hiod_vdpa_device_open(self, error)) {
		g_prefix_error(error, "opening vDPA device %s: ", self->name);
		return NULL; /* dispose closes the fd */
	}
	g_debug("%s: %s device id %u, backend features offered 0x%" G_GINT64_MODIFIER "x acked 0x%" G_GINT64_MODIFIER
		"x, IOVA [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]",
		self->name, self->node, self->device_id, self->offered, self->acked, self->iova_first,
		self->iova_last);
	return g_steal_pointer(&self);
}

/* getters ------------------------------------------------------------------------- */

/**
 * hiod_vdpa_device_get_context:
 * @self: a #HiodVdpaDevice
 *
 * Gets the context.
 *
 * Returns: (transfer none): the context
 *
 * Since: 0.1
 */
HiodContext *
hiod_vdpa_device_get_context(HiodVdpaDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), NULL);
	return self->ctx;
}

/**
 * hiod_vdpa_device_get_name:
 * @self: a #HiodVdpaDevice
 *
 * Gets the vdpa device's name ("vdpa0"), or the node's name when sysfs does not know it.
 *
 * Returns: the vdpa device's name ("vdpa0"), or the node's name when sysfs
 * does not know it
 *
 * Since: 0.1
 */
const gchar *
hiod_vdpa_device_get_name(HiodVdpaDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), NULL);
	return self->name;
}

/**
 * hiod_vdpa_device_get_node:
 * @self: a #HiodVdpaDevice
 *
 * Gets the path of the vhost-vdpa node.
 *
 * Returns: the path of the vhost-vdpa node
 *
 * Since: 0.1
 */
const gchar *
hiod_vdpa_device_get_node(HiodVdpaDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), NULL);
	return self->node;
}

/**
 * hiod_vdpa_device_get_fd:
 * @self: a #HiodVdpaDevice
 *
 * The open vhost-vdpa fd, for the virtqueue ioctls a driver makes itself
 * (features, vrings, status). Do not close it.
 *
 * Returns: the fd
 *
 * Since: 0.1
 */
gint
hiod_vdpa_device_get_fd(HiodVdpaDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), -1);
	return self->fd;
}

/**
 * hiod_vdpa_device_get_device_id:
 * @self: a #HiodVdpaDevice
 *
 * Gets the virtio device ID (1 net, 2 block).
 *
 * Returns: the virtio device ID (1 net, 2 block)
 *
 * Since: 0.1
 */
guint32
hiod_vdpa_device_get_device_id(HiodVdpaDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), 0);
	return self->device_id;
}

/**
 * hiod_vdpa_device_get_offered_features:
 * @self: a #HiodVdpaDevice
 *
 * Gets the backend features the device offered.
 *
 * Returns: the backend features the device offered
 *
 * Since: 0.1
 */
HiodVdpaBackendFeatures
hiod_vdpa_device_get_offered_features(HiodVdpaDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), 0);
	return (HiodVdpaBackendFeatures)self->offered;
}

/**
 * hiod_vdpa_device_get_backend_features:
 * @self: a #HiodVdpaDevice
 *
 * Gets the backend features hiod acked (IOTLB_MSG_V2, and IOTLB_BATCH and IOTLB_ASID when offered).
 *
 * Returns: the backend features hiod acked (IOTLB_MSG_V2, and IOTLB_BATCH
 * and IOTLB_ASID when offered)
 *
 * Since: 0.1
 */
HiodVdpaBackendFeatures
hiod_vdpa_device_get_backend_features(HiodVdpaDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), 0);
	return (HiodVdpaBackendFeatures)self->acked;
}

/**
 * hiod_vdpa_device_get_iova_range:
 * @self: a #HiodVdpaDevice
 * @first: (out) (optional): the first usable IOVA
 * @last: (out) (optional): the last usable IOVA (inclusive)
 *
 * Gets the range of I/O virtual addresses the vDPA device can translate.
 *
 * Since: 0.1
 */
void
hiod_vdpa_device_get_iova_range(HiodVdpaDevice *self, guint64 *first, guint64 *last)
{
	g_return_if_fail(HIOD_IS_VDPA_DEVICE(self));
	if (first != NULL)
		*first = self->iova_first;
	if (last != NULL)
		*last = self->iova_last;
}

/**
 * hiod_vdpa_device_get_host_iommu_device:
 * @self: a #HiodVdpaDevice
 * @error: return location for a #GError
 *
 * The device as the IOMMU that protects it sees it: a realized
 * #HiodHostIommuDeviceVdpa, made on first use.
 *
 * Returns: (transfer none): the host IOMMU device
 *
 * Since: 0.1
 */
HiodHostIommuDevice *
hiod_vdpa_device_get_host_iommu_device(HiodVdpaDevice *self, GError **error)
{
	g_autoptr(HiodHostIommuDevice) hiod = NULL;
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), NULL);
	if (self->hiod != NULL)
		return self->hiod;
	hiod = g_object_new(HIOD_TYPE_HOST_IOMMU_DEVICE_VDPA, NULL);
	if (!hiod_host_iommu_device_realize(hiod, HIOD_ASSIGNED_DEVICE(self), error))
		return NULL;
	self->hiod = g_steal_pointer(&hiod);
	return self->hiod;
}

/* the IOTLB ---------------------------------------------------------------------- */

static const gchar *
hiod_vdpa_msg_name(guint8 type)
{
	switch (type) {
	case HIOD_VHOST_IOTLB_UPDATE:
		return "UPDATE";
	case HIOD_VHOST_IOTLB_INVALIDATE:
		return "INVALIDATE";
	case HIOD_VHOST_IOTLB_BATCH_BEGIN:
		return "BATCH_BEGIN";
	case HIOD_VHOST_IOTLB_BATCH_END:
		return "BATCH_END";
	default:
		return "?";
	}
}

/* Writes one vhost_msg_v2 (asid 0). Errors say what was attempted. */
static gboolean
hiod_vdpa_device_send(HiodVdpaDevice *self, guint8 type, guint64 iova, guint64 size, gpointer vaddr,
		      HiodDmaFlags flags, GError **error)
{
	struct hiod_vhost_msg_v2 msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = HIOD_VHOST_IOTLB_MSG_V2;
	msg.asid = 0;
	msg.iotlb.type = type;
	msg.iotlb.iova = iova;
	msg.iotlb.size = size;
	msg.iotlb.uaddr = (guint64)GPOINTER_TO_SIZE(vaddr);
	if (type == HIOD_VHOST_IOTLB_UPDATE)
		msg.iotlb.perm = (flags & HIOD_DMA_FLAGS_READONLY) ? HIOD_VHOST_ACCESS_RO
								   : HIOD_VHOST_ACCESS_RW;
	if (hiod_kernel_write(self->ctx, self->fd, &msg, sizeof(msg), error))
		return TRUE;
	if (type == HIOD_VHOST_IOTLB_UPDATE) {
		g_prefix_error(error,
			       "%s: IOTLB UPDATE of IOVA [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
			       "x] to %p (%s) refused (vhost-vdpa reports every IOTLB failure as EFAULT: "
			       "an IOVA outside [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
			       "x], an overlap, more entries than its max_iotlb_entries (2048 unless set at "
			       "boot), or memory it cannot map): ",
			       self->name, iova, iova + size - 1, vaddr,
			       (flags & HIOD_DMA_FLAGS_READONLY) ? "read-only" : "read-write",
			       self->iova_first, self->iova_last);
	} else if (type == HIOD_VHOST_IOTLB_INVALIDATE) {
		g_prefix_error(error,
			       "%s: IOTLB INVALIDATE of IOVA [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
			       "x] refused: ",
			       self->name, iova, iova + size - 1);
	} else {
		g_prefix_error(error, "%s: IOTLB %s refused: ", self->name, hiod_vdpa_msg_name(type));
	}
	return FALSE;
}

static gboolean
hiod_vdpa_device_check_span(HiodVdpaDevice *self, guint64 iova, guint64 size, GError **error)
{
	if (!hiod_iova_span_check(iova, size, "IOTLB mapping", error))
		return FALSE;
	if (iova < self->iova_first || iova + (size - 1) > self->iova_last) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE,
			    "IOVA [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
			    "x] is outside %s's usable IOVA range [0x%" G_GINT64_MODIFIER
			    "x, 0x%" G_GINT64_MODIFIER "x]",
			    iova, iova + size - 1, self->name, self->iova_first, self->iova_last);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_vdpa_device_batching(HiodVdpaDevice *self)
{
	return (self->acked & (G_GUINT64_CONSTANT(1) << HIOD_VHOST_BACKEND_F_IOTLB_BATCH)) != 0;
}

/* With the lock held: maps @entries, inside BATCH_BEGIN/END when the device
 * allows; on failure invalidates what was written and closes the batch. */
static gboolean
hiod_vdpa_device_map_locked(HiodVdpaDevice *self, const HiodVdpaMapEntry *entries, guint n,
			    GError **error)
{
	gboolean batch = n > 1 && hiod_vdpa_device_batching(self);
	guint done = 0;

	if (batch && !hiod_vdpa_device_send(self, HIOD_VHOST_IOTLB_BATCH_BEGIN, 0, 0, NULL, 0, error))
		return FALSE;
	for (; done < n; done++) {
		const HiodVdpaMapEntry *e = &entries[done];
		if (!hiod_vdpa_device_send(self, HIOD_VHOST_IOTLB_UPDATE, e->iova, e->size, e->vaddr,
					   e->flags, error))
			goto rollback;
	}
	if (batch && !hiod_vdpa_device_send(self, HIOD_VHOST_IOTLB_BATCH_END, 0, 0, NULL, 0, error))
		goto rollback;
	return TRUE;

rollback:
	for (guint i = 0; i < done; i++) {
		g_autoptr(GError) error_local = NULL;
		if (!hiod_vdpa_device_send(self, HIOD_VHOST_IOTLB_INVALIDATE, entries[i].iova,
					   entries[i].size, NULL, 0, &error_local))
			g_debug("rolling back: %s", error_local->message);
	}
	if (batch) {
		g_autoptr(GError) error_local = NULL;
		if (!hiod_vdpa_device_send(self, HIOD_VHOST_IOTLB_BATCH_END, 0, 0, NULL, 0, &error_local))
			g_debug("rolling back: %s", error_local->message);
	}
	return FALSE;
}

/**
 * hiod_vdpa_device_dma_map:
 * @self: a #HiodVdpaDevice
 * @iova: the first I/O virtual address
 * @size: bytes
 * @vaddr: (not nullable): process memory; MAP_SHARED and file-backed (memfd,
 *   shm) for devices that translate to virtual addresses, such as vdpa_sim,
 *   which silently ignore anonymous or private memory
 * @flags: #HiodDmaFlags
 * @error: return location for a #GError
 *
 * Maps [@iova, @iova + @size) to @vaddr with one IOTLB UPDATE. The device
 * does not track mappings: overlapping an existing one is refused by the
 * kernel (as EFAULT). Most callers want a #HiodVdpaContainer, which tracks,
 * checks and splits.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vdpa_device_dma_map(HiodVdpaDevice *self, guint64 iova, guint64 size, gpointer vaddr,
			 HiodDmaFlags flags, GError **error)
{
	HiodVdpaMapEntry e = {.iova = iova, .size = size, .vaddr = vaddr, .flags = flags};
	return hiod_vdpa_device_dma_map_batch(self, &e, 1, error);
}

/**
 * hiod_vdpa_device_dma_map_batch:
 * @self: a #HiodVdpaDevice
 * @entries: (array length=n_entries): the mappings
 * @n_entries: how many
 * @error: return location for a #GError
 *
 * Maps every entry, between IOTLB BATCH_BEGIN and BATCH_END when the device
 * allows batching (the device then updates its translation once). All or
 * nothing: when one entry fails, those already written are invalidated.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vdpa_device_dma_map_batch(HiodVdpaDevice *self, const HiodVdpaMapEntry *entries,
			       guint n_entries, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	if (n_entries == 0)
		return TRUE;
	if (entries == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "no entries given");
		return FALSE;
	}
	for (guint i = 0; i < n_entries; i++) {
		if (entries[i].vaddr == NULL) {
			g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
					    "IOTLB mapping of a NULL address");
			return FALSE;
		}
		if (!hiod_vdpa_device_check_span(self, entries[i].iova, entries[i].size, error))
			return FALSE;
	}
	locker = g_mutex_locker_new(&self->lock);
	return hiod_vdpa_device_map_locked(self, entries, n_entries, error);
}

/**
 * hiod_vdpa_device_dma_unmap:
 * @self: a #HiodVdpaDevice
 * @iova: the first I/O virtual address
 * @size: bytes (G_MAXUINT64 from 0: everything)
 * @error: return location for a #GError
 *
 * Sends one IOTLB INVALIDATE. The kernel removes every whole mapping that
 * intersects the span (it does not split). Invalidating nothing succeeds.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vdpa_device_dma_unmap(HiodVdpaDevice *self, guint64 iova, guint64 size, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_VDPA_DEVICE(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	if (!hiod_iova_span_ok(iova, size)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "IOTLB invalidation of IOVA 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER
			    "x is empty or wraps around",
			    iova, size);
		return FALSE;
	}
	locker = g_mutex_locker_new(&self->lock);
	return hiod_vdpa_device_send(self, HIOD_VHOST_IOTLB_INVALIDATE, iova, size, NULL, 0, error);
}

/**
 * hiod_vdpa_device_to_json:
 * @self: a #HiodVdpaDevice
 * @builder: a #JsonBuilder
 *
 * Adds an object: name, node, device_id, the offered and acked backend
 * features, the IOVA range.
 *
 * Since: 0.1
 */
void
hiod_vdpa_device_to_json(HiodVdpaDevice *self, JsonBuilder *builder)
{
	json_builder_begin_object(builder);
	hiod_json_add_string(builder, "name", self->name);
	hiod_json_add_string(builder, "node", self->node);
	hiod_json_add_int(builder, "device_id", self->device_id);
	hiod_json_add_hex(builder, "backend_features_offered", self->offered);
	hiod_json_add_flags(builder, "backend_features", HIOD_TYPE_VDPA_BACKEND_FEATURES,
			    (guint)self->acked);
	json_builder_set_member_name(builder, "iova_range");
	json_builder_begin_object(builder);
	hiod_json_add_hex(builder, "first", self->iova_first);
	hiod_json_add_hex(builder, "last", self->iova_last);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
}

/* GObject ------------------------------------------------------------------------- */

static const gchar *
hiod_vdpa_device_assigned_get_name(HiodAssignedDevice *device)
{
	return HIOD_VDPA_DEVICE(device)->name;
}

static void
hiod_vdpa_device_assigned_iface_init(HiodAssignedDeviceInterface *iface)
{
	iface->get_name = hiod_vdpa_device_assigned_get_name;
}

static void
hiod_vdpa_device_init(HiodVdpaDevice *self)
{
	self->fd = -1;
	g_mutex_init(&self->lock);
}

static void
hiod_vdpa_device_dispose(GObject *object)
{
	HiodVdpaDevice *self = HIOD_VDPA_DEVICE(object);
	g_clear_object(&self->hiod);
	if (self->fd >= 0) {
		/* closing the fd drops the owner and every IOTLB mapping */
		hiod_kernel_close(self->ctx, self->fd);
		self->fd = -1;
	}
	G_OBJECT_CLASS(hiod_vdpa_device_parent_class)->dispose(object);
}

static void
hiod_vdpa_device_finalize(GObject *object)
{
	HiodVdpaDevice *self = HIOD_VDPA_DEVICE(object);
	g_free(self->name);
	g_free(self->node);
	g_mutex_clear(&self->lock);
	g_clear_object(&self->ctx);
	G_OBJECT_CLASS(hiod_vdpa_device_parent_class)->finalize(object);
}

static void
hiod_vdpa_device_class_init(HiodVdpaDeviceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = hiod_vdpa_device_dispose;
	object_class->finalize = hiod_vdpa_device_finalize;
}

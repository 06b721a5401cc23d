/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hiod-assigned-device.h"
#include "hiod-context-private.h"
#include "hiod-error.h"
#include "hiod-json-private.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "hiod-vfio-device-private.h"

/**
 * HiodVfioDevice:
 *
 * An assigned PCI device (QEMU's VFIODevice): its sysfs identity, its IOMMU
 * group and VFIO cdev, and once a container has attached it, its device fd,
 * regions and config space. Making one opens nothing; a #HiodContainer opens
 * the fd the way its backend requires (group or cdev).
 *
 * Threads: not thread-safe: use a device from one thread at a time, its
 * attach and detach included (a #HiodAddressSpace serialises those it
 * makes). While it stays attached, other threads may map into its container
 * and read its host IOMMU device's IOVA ranges and page sizes.
 *
 * Since: 0.1
 */

typedef struct {
	guint index;
	gpointer addr;
	gsize size;
} HiodRegionMap;

/* vfio-pci's IRQ indexes (INTx, MSI, MSI-X, ERR, REQ) and MSI-X's 2048 vectors */
#define HIOD_VFIO_DEVICE_MAX_IRQS HIOD_VFIO_PCI_NUM_IRQS
#define HIOD_VFIO_DEVICE_MAX_IRQ_VECTORS 2048u

typedef struct {
	guint n;	  /* enabled vectors, 0: disabled */
	gint *fds;	  /* n eventfds, -1 for a vector without a trigger */
	gint resample_fd; /* INTx's unmask eventfd, -1 */
} HiodVfioIrqState;

typedef struct _HiodVfioIrqSource HiodVfioIrqSource;

struct _HiodVfioDevice {
	GObject parent_instance;
	HiodContext *ctx;
	HiodPciDeviceInfo *info;
	gint fd;
	HiodContainer *container; /* strong while attached */
	HiodHostIommuDevice *hiod;
	guint32 flags;
	guint num_regions;
	guint num_irqs;
	guint32 devid;
	guint32 hwpt_id;
	GArray *maps; /* HiodRegionMap */
	HiodVfioIrqState irqs[HIOD_VFIO_DEVICE_MAX_IRQS];
	GPtrArray *irq_sources; /* HiodVfioIrqSource, ref'd */
};

static void hiod_vfio_irq_release_all(HiodVfioDevice *self);
static gboolean hiod_vfio_device_query_region(HiodVfioDevice *self, guint index,
					      HiodVfioRegionInfo *info, HiodVfioRegionCaps **caps,
					      GError **error);

static void hiod_vfio_device_assigned_iface_init(HiodAssignedDeviceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HiodVfioDevice, hiod_vfio_device, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(HIOD_TYPE_ASSIGNED_DEVICE,
						    hiod_vfio_device_assigned_iface_init))

static gboolean
hiod_vfio_device_check_open(HiodVfioDevice *self, GError **error)
{
	if (self->fd >= 0)
		return TRUE;
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
		    "%s is not attached: no device fd yet", hiod_vfio_device_get_name(self));
	return FALSE;
}

/**
 * hiod_vfio_device_new:
 * @ctx: a #HiodContext
 * @address_or_sysfs_path: a PCI address ("0000:00:04.0") or the device's sysfs directory
 * @error: return location for a #GError
 *
 * Finds the device and checks that it can be assigned: it exists
 * (%HIOD_ERROR_NOT_FOUND), it is bound to vfio-pci (%HIOD_ERROR_INVALID_STATE,
 * naming the driver that holds it and how to bind it) and it has an IOMMU
 * group (%HIOD_ERROR_NOT_SUPPORTED without an IOMMU). Nothing is opened.
 *
 * Returns: (transfer full): a new #HiodVfioDevice
 *
 * Since: 0.1
 */
HiodVfioDevice *
hiod_vfio_device_new(HiodContext *ctx, const gchar *address_or_sysfs_path, GError **error)
{
	g_autoptr(HiodVfioDevice) self = NULL;
	g_autofree gchar *address = NULL;
	const gchar *arg = address_or_sysfs_path;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	if (arg == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "no device given");
		return NULL;
	}
	if (strchr(arg, '/') != NULL) {
		g_autofree gchar *real = g_canonicalize_filename(arg, NULL);
		address = g_path_get_basename(real);
	} else {
		address = g_strdup(arg);
	}
	self = g_object_new(HIOD_TYPE_VFIO_DEVICE, NULL);
	self->ctx = g_object_ref(ctx);
	self->info = hiod_pci_device_info_new(ctx, address, error);
	if (self->info == NULL)
		return NULL;
	if (!hiod_pci_device_info_is_vfio_bound(self->info)) {
		const gchar *driver = hiod_pci_device_info_get_driver(self->info);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s is not bound to vfio-pci (%s%s); bind it first, e.g. 'hiodctl bind %s'",
			    hiod_pci_device_info_get_address(self->info),
			    driver != NULL ? "its driver is " : "it has no driver",
			    driver != NULL ? driver : "", hiod_pci_device_info_get_address(self->info));
		return NULL;
	}
	if (hiod_pci_device_info_get_iommu_group(self->info) < 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s has no IOMMU group: the host has no IOMMU enabled for it",
			    hiod_pci_device_info_get_address(self->info));
		return NULL;
	}
	return g_steal_pointer(&self);
}

/**
 * hiod_vfio_device_get_context:
 * @self: a #HiodVfioDevice
 *
 * Gets the context.
 *
 * Returns: (transfer none): the context
 *
 * Since: 0.1
 */
HiodContext *
hiod_vfio_device_get_context(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	return self->ctx;
}

/**
 * hiod_vfio_device_get_name:
 * @self: a #HiodVfioDevice
 *
 * Gets the PCI address.
 *
 * Returns: the PCI address
 *
 * Since: 0.1
 */
const gchar *
hiod_vfio_device_get_name(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	return hiod_pci_device_info_get_address(self->info);
}

/**
 * hiod_vfio_device_get_info:
 * @self: a #HiodVfioDevice
 *
 * Gets what sysfs said of the device.
 *
 * Returns: (transfer none): what sysfs said of the device
 *
 * Since: 0.1
 */
HiodPciDeviceInfo *
hiod_vfio_device_get_info(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	return self->info;
}

/**
 * hiod_vfio_device_get_group_id:
 * @self: a #HiodVfioDevice
 *
 * Gets the IOMMU group number.
 *
 * Returns: the IOMMU group number
 *
 * Since: 0.1
 */
gint
hiod_vfio_device_get_group_id(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), -1);
	return hiod_pci_device_info_get_iommu_group(self->info);
}

/**
 * hiod_vfio_device_get_cdev_path:
 * @self: a #HiodVfioDevice
 *
 * Gets the VFIO device cdev, when the host has one (CONFIG_VFIO_DEVICE_CDEV).
 *
 * Returns: (nullable): the VFIO device cdev, when the host has one (CONFIG_VFIO_DEVICE_CDEV)
 *
 * Since: 0.1
 */
const gchar *
hiod_vfio_device_get_cdev_path(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	return hiod_pci_device_info_get_vfio_cdev_node(self->info);
}

/**
 * hiod_vfio_device_get_fd:
 * @self: a #HiodVfioDevice
 *
 * Gets the device fd, -1 while not attached.
 *
 * Returns: the device fd, -1 while not attached
 *
 * Since: 0.1
 */
gint
hiod_vfio_device_get_fd(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), -1);
	return self->fd;
}

/**
 * hiod_vfio_device_get_container:
 * @self: a #HiodVfioDevice
 *
 * Gets the container, while attached.
 *
 * Returns: (transfer none) (nullable): the container, while attached
 *
 * Since: 0.1
 */
HiodContainer *
hiod_vfio_device_get_container(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	return self->container;
}

/**
 * hiod_vfio_device_get_host_iommu_device:
 * @self: a #HiodVfioDevice
 *
 * Gets the realized host IOMMU device, while attached.
 *
 * Returns: (transfer none) (nullable): the realized host IOMMU device, while attached
 *
 * Since: 0.1
 */
HiodHostIommuDevice *
hiod_vfio_device_get_host_iommu_device(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	return self->hiod;
}

/**
 * hiod_vfio_device_attach:
 * @self: a #HiodVfioDevice
 * @container: the container to attach to
 * @viommu_flags: the vIOMMU's flags, read before attach (0 without a vIOMMU)
 * @error: return location for a #GError
 *
 * Attaches the device through @container's backend, then creates and
 * realizes the backend's host IOMMU device (after attach, so that the page
 * table the flags asked for exists). On failure nothing is left behind.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_attach(HiodVfioDevice *self, HiodContainer *container, guint64 viommu_flags,
			GError **error)
{
	GType type;
	g_autoptr(HiodHostIommuDevice) hiod = NULL;

	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	g_return_val_if_fail(HIOD_IS_CONTAINER(container), FALSE);
	if (!hiod_container_attach_device(container, self, viommu_flags, error))
		return FALSE;
	type = HIOD_CONTAINER_GET_CLASS(container)->host_iommu_device_type;
	if (type == G_TYPE_INVALID)
		return TRUE;
	hiod = g_object_new(type, NULL);
	if (!hiod_host_iommu_device_realize(hiod, HIOD_ASSIGNED_DEVICE(self), error)) {
		hiod_container_detach_device(container, self);
		return FALSE;
	}
	self->hiod = g_steal_pointer(&hiod);
	return TRUE;
}

/**
 * hiod_vfio_device_detach:
 * @self: a #HiodVfioDevice
 *
 * Drops the host IOMMU device, unmaps the device's regions, closes its fd
 * and detaches it from its container. Does nothing when not attached.
 *
 * Since: 0.1
 */
void
hiod_vfio_device_detach(HiodVfioDevice *self)
{
	g_return_if_fail(HIOD_IS_VFIO_DEVICE(self));
	g_clear_object(&self->hiod);
	if (self->container != NULL)
		hiod_container_detach_device(self->container, self);
	/* the backend closes the fd in detach_device; make sure */
	hiod_vfio_device_set_fd(self, -1);
}

/* for backends ------------------------------------------------------------------- */

void
hiod_vfio_device_set_fd(HiodVfioDevice *self, gint fd)
{
	if (self->fd == fd)
		return;
	if (self->fd >= 0) {
		hiod_vfio_irq_release_all(self);
		for (guint i = 0; i < self->maps->len; i++) {
			HiodRegionMap *m = &g_array_index(self->maps, HiodRegionMap, i);
			hiod_kernel_munmap(self->ctx, m->addr, m->size);
		}
		g_array_set_size(self->maps, 0);
		hiod_kernel_close(self->ctx, self->fd);
	}
	self->fd = fd;
	if (fd < 0) {
		self->flags = 0;
		self->num_regions = 0;
		self->num_irqs = 0;
	}
}

gboolean
hiod_vfio_device_load_info(HiodVfioDevice *self, GError **error)
{
	struct hiod_vfio_device_info info = {0};
	if (!hiod_vfio_device_check_open(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VFIO_DEVICE_GET_INFO), &info,
			      sizeof(info), error) < 0) {
		g_prefix_error(error, "%s: ", hiod_vfio_device_get_name(self));
		return FALSE;
	}
	self->flags = info.flags;
	self->num_regions = info.num_regions;
	self->num_irqs = info.num_irqs;
	return TRUE;
}

void
hiod_vfio_device_set_container(HiodVfioDevice *self, HiodContainer *container)
{
	if (container != NULL)
		g_object_ref(container);
	g_clear_object(&self->container);
	self->container = container;
}

void
hiod_vfio_device_set_devid(HiodVfioDevice *self, guint32 devid)
{
	self->devid = devid;
}

guint32
hiod_vfio_device_get_devid(HiodVfioDevice *self)
{
	return self->devid;
}

void
hiod_vfio_device_set_hwpt_id(HiodVfioDevice *self, guint32 hwpt_id)
{
	self->hwpt_id = hwpt_id;
}

guint32
hiod_vfio_device_get_hwpt_id(HiodVfioDevice *self)
{
	return self->hwpt_id;
}

/* the open device ------------------------------------------------------------------ */

/**
 * hiod_vfio_device_get_flags:
 * @self: a #HiodVfioDevice
 *
 * Gets vFIO_DEVICE_FLAGS_* of the open device (0 while not attached).
 *
 * Returns: VFIO_DEVICE_FLAGS_* of the open device (0 while not attached)
 *
 * Since: 0.1
 */
guint32
hiod_vfio_device_get_flags(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), 0);
	return self->flags;
}

/**
 * hiod_vfio_device_get_num_regions:
 * @self: a #HiodVfioDevice
 *
 * Gets the number of regions (0 while not attached).
 *
 * Returns: the number of regions (0 while not attached)
 *
 * Since: 0.1
 */
guint
hiod_vfio_device_get_num_regions(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), 0);
	return self->num_regions;
}

/**
 * hiod_vfio_device_get_num_irqs:
 * @self: a #HiodVfioDevice
 *
 * Gets the number of IRQ indexes (0 while not attached).
 *
 * Returns: the number of IRQ indexes (0 while not attached)
 *
 * Since: 0.1
 */
guint
hiod_vfio_device_get_num_irqs(HiodVfioDevice *self)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), 0);
	return self->num_irqs;
}

/* region capabilities -------------------------------------------------------------- */

typedef struct {
	guint64 offset;
	guint64 size;
} HiodVfioArea;

struct _HiodVfioRegionCaps {
	gatomicrefcount ref;
	gboolean sparse;
	GArray *areas; /* HiodVfioArea */
	gboolean has_type;
	guint32 type;
	guint32 subtype;
	gboolean msix_mappable;
};

G_DEFINE_BOXED_TYPE(HiodVfioRegionCaps, hiod_vfio_region_caps, hiod_vfio_region_caps_ref,
		    hiod_vfio_region_caps_unref)

static HiodVfioRegionCaps *
hiod_vfio_region_caps_new(void)
{
	HiodVfioRegionCaps *self = g_new0(HiodVfioRegionCaps, 1);
	g_atomic_ref_count_init(&self->ref);
	self->areas = g_array_new(FALSE, FALSE, sizeof(HiodVfioArea));
	return self;
}

/**
 * hiod_vfio_region_caps_ref:
 * @self: a #HiodVfioRegionCaps
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
HiodVfioRegionCaps *
hiod_vfio_region_caps_ref(HiodVfioRegionCaps *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_atomic_ref_count_inc(&self->ref);
	return self;
}

/**
 * hiod_vfio_region_caps_unref:
 * @self: (transfer full): a #HiodVfioRegionCaps
 *
 * Drops a reference.
 *
 * Since: 0.1
 */
void
hiod_vfio_region_caps_unref(HiodVfioRegionCaps *self)
{
	g_return_if_fail(self != NULL);
	if (!g_atomic_ref_count_dec(&self->ref))
		return;
	g_array_unref(self->areas);
	g_free(self);
}

/**
 * hiod_vfio_region_caps_has_sparse_mmap:
 * @self: a #HiodVfioRegionCaps
 *
 * Whether the region has a sparse mmap capability: only its areas may be mapped.
 *
 * Returns: %TRUE when only the listed areas may be mapped
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_region_caps_has_sparse_mmap(HiodVfioRegionCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return self->sparse;
}

/**
 * hiod_vfio_region_caps_get_n_sparse_areas:
 * @self: a #HiodVfioRegionCaps
 *
 * Gets how many areas the sparse mmap capability lists (0 without one).
 *
 * Returns: the number of mappable areas
 *
 * Since: 0.1
 */
guint
hiod_vfio_region_caps_get_n_sparse_areas(HiodVfioRegionCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->areas->len;
}

/**
 * hiod_vfio_region_caps_get_sparse_area:
 * @self: a #HiodVfioRegionCaps
 * @i: the area
 * @offset: (out) (optional): its offset in the region
 * @size: (out) (optional): its size
 *
 * Gets one area that may be mapped.
 *
 * Returns: %FALSE when there is no area @i
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_region_caps_get_sparse_area(HiodVfioRegionCaps *self, guint i, guint64 *offset,
				      guint64 *size)
{
	g_return_val_if_fail(self != NULL, FALSE);
	if (i >= self->areas->len)
		return FALSE;
	if (offset != NULL)
		*offset = g_array_index(self->areas, HiodVfioArea, i).offset;
	if (size != NULL)
		*size = g_array_index(self->areas, HiodVfioArea, i).size;
	return TRUE;
}

/**
 * hiod_vfio_region_caps_get_region_type:
 * @self: a #HiodVfioRegionCaps
 * @type: (out) (optional): VFIO_REGION_TYPE_* (bit 31 set: a PCI vendor's own type, the vendor ID in the low 16 bits)
 * @subtype: (out) (optional): the type's subtype
 *
 * Gets the device-specific region type, for regions beyond the PCI ones.
 *
 * Returns: %FALSE when the region has no type capability
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_region_caps_get_region_type(HiodVfioRegionCaps *self, guint32 *type, guint32 *subtype)
{
	g_return_val_if_fail(self != NULL, FALSE);
	if (type != NULL)
		*type = self->type;
	if (subtype != NULL)
		*subtype = self->subtype;
	return self->has_type;
}

/**
 * hiod_vfio_region_caps_is_msix_mappable:
 * @self: a #HiodVfioRegionCaps
 *
 * Whether the MSI-X table (and PBA) this BAR holds may be mapped with the rest of it.
 *
 * Returns: %TRUE with the MSI-X mappable capability
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_region_caps_is_msix_mappable(HiodVfioRegionCaps *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return self->msix_mappable;
}

#define REGION_REQUEST "VFIO_DEVICE_GET_REGION_INFO"

/* Walks the capability chain of a VFIO_DEVICE_GET_REGION_INFO reply of @len bytes. */
static gboolean
hiod_vfio_region_parse_caps(const guint8 *buf, gsize len, HiodVfioRegionCaps *caps, GError **error)
{
	const struct hiod_vfio_region_info *ri = (const void *)buf;
	guint32 off = ri->cap_offset, prev = 0;

	while (off != 0) {
		const struct hiod_vfio_info_cap_header *h = (const void *)(buf + off);
		if (!hiod_kernel_vfio_cap_check(len, sizeof(*ri), prev, off, sizeof(*h), REGION_REQUEST, error))
			return FALSE;
		switch (h->id) {
		case HIOD_VFIO_REGION_INFO_CAP_SPARSE_MMAP: {
			const struct hiod_vfio_region_info_cap_sparse_mmap *c = (const void *)h;
			if (!hiod_kernel_vfio_cap_check(len, sizeof(*ri), prev, off, sizeof(*c), REGION_REQUEST,
							error))
				return FALSE;
			if (c->nr_areas > (len - off - sizeof(*c)) / sizeof(c->areas[0])) {
				hiod_kernel_set_bad_reply(error, REGION_REQUEST,
							  "the sparse mmap capability at offset %u holds %u "
							  "areas, more than its %" G_GSIZE_FORMAT " bytes",
							  off, c->nr_areas, len - off);
				return FALSE;
			}
			caps->sparse = TRUE;
			for (guint32 i = 0; i < c->nr_areas; i++) {
				HiodVfioArea a = {c->areas[i].offset, c->areas[i].size};
				if (a.offset > ri->size || a.size > ri->size - a.offset) {
					hiod_kernel_set_bad_reply(error, REGION_REQUEST,
								  "sparse mmap area %u [0x%" G_GINT64_MODIFIER
								  "x, +0x%" G_GINT64_MODIFIER "x) is outside the "
								  "region's 0x%" G_GINT64_MODIFIER "x bytes",
								  i, a.offset, a.size, (guint64)ri->size);
					return FALSE;
				}
				if (a.size > 0)
					g_array_append_val(caps->areas, a);
			}
			break;
		}
		case HIOD_VFIO_REGION_INFO_CAP_TYPE: {
			const struct hiod_vfio_region_info_cap_type *c = (const void *)h;
			if (!hiod_kernel_vfio_cap_check(len, sizeof(*ri), prev, off, sizeof(*c), REGION_REQUEST,
							error))
				return FALSE;
			caps->has_type = TRUE;
			caps->type = c->type;
			caps->subtype = c->subtype;
			break;
		}
		case HIOD_VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
			caps->msix_mappable = TRUE;
			break;
		default:
			g_debug(REGION_REQUEST ": skipping capability %u", h->id);
		}
		prev = off;
		off = h->next;
	}
	return TRUE;
}

/* VFIO_DEVICE_GET_REGION_INFO; with @caps, grown until the capability chain fits and walked. */
static gboolean
hiod_vfio_device_query_region(HiodVfioDevice *self, guint index, HiodVfioRegionInfo *info,
			      HiodVfioRegionCaps **caps, GError **error)
{
	gsize len = sizeof(struct hiod_vfio_region_info);
	g_autofree guint8 *buf = NULL;
	struct hiod_vfio_region_info *ri = NULL;

	if (!hiod_vfio_device_check_open(self, error))
		return FALSE;
	if (index >= self->num_regions) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "%s has %u regions, no region %u", hiod_vfio_device_get_name(self),
			    self->num_regions, index);
		return FALSE;
	}
	for (guint tries = 0;; tries++) {
		g_free(buf);
		buf = g_malloc0(len);
		ri = (struct hiod_vfio_region_info *)buf;
		ri->index = index;
		if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VFIO_DEVICE_GET_REGION_INFO), buf, len,
				      error) < 0) {
			g_prefix_error(error, "%s region %u: ", hiod_vfio_device_get_name(self), index);
			return FALSE;
		}
		if (caps == NULL || !(ri->flags & HIOD_VFIO_REGION_INFO_FLAG_CAPS) || ri->argsz <= len ||
		    tries == 2)
			break;
		if (ri->argsz > HIOD_KERNEL_MAX_INFO_ARGSZ) {
			hiod_kernel_set_bad_reply(error, REGION_REQUEST,
						  "it asks for %u bytes, more than the %u hiod gives it",
						  ri->argsz, HIOD_KERNEL_MAX_INFO_ARGSZ);
			g_prefix_error(error, "%s region %u: ", hiod_vfio_device_get_name(self), index);
			return FALSE;
		}
		len = ri->argsz; /* the capability chain did not fit: grow and ask again */
	}
	/* the region is read and mapped at offset + [0, size): that must be a file range */
	if (ri->offset > (guint64)G_MAXINT64 || ri->size > (guint64)G_MAXINT64 - ri->offset) {
		hiod_kernel_set_bad_reply(error, REGION_REQUEST,
					  "region %u of 0x%" G_GINT64_MODIFIER "x bytes at offset 0x%"
					  G_GINT64_MODIFIER "x ends beyond any file offset",
					  index, (guint64)ri->size, (guint64)ri->offset);
		g_prefix_error(error, "%s: ", hiod_vfio_device_get_name(self));
		return FALSE;
	}
	if (caps != NULL) {
		g_autoptr(HiodVfioRegionCaps) c = hiod_vfio_region_caps_new();
		if (ri->flags & HIOD_VFIO_REGION_INFO_FLAG_CAPS) {
			if (ri->argsz > len) {
				hiod_kernel_set_bad_reply(error, REGION_REQUEST,
							  "it asked for more room three times (%u bytes)",
							  ri->argsz);
				g_prefix_error(error, "%s region %u: ", hiod_vfio_device_get_name(self), index);
				return FALSE;
			}
			if (!hiod_vfio_region_parse_caps(buf, MIN(len, ri->argsz), c, error)) {
				g_prefix_error(error, "%s region %u: ", hiod_vfio_device_get_name(self), index);
				return FALSE;
			}
		}
		*caps = g_steal_pointer(&c);
	}
	info->index = index;
	info->flags = ri->flags;
	info->size = ri->size;
	info->offset = ri->offset;
	return TRUE;
}

/**
 * hiod_vfio_device_get_region_info:
 * @self: an attached #HiodVfioDevice
 * @index: the region index
 * @info: (out caller-allocates): the region's info
 * @error: return location for a #GError
 *
 * Gets what the kernel reports of a region (VFIO_DEVICE_GET_REGION_INFO);
 * hiod_vfio_device_get_region_caps() reads its capability chain.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_get_region_info(HiodVfioDevice *self, guint index, HiodVfioRegionInfo *info,
				 GError **error)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	g_return_val_if_fail(info != NULL, FALSE);
	return hiod_vfio_device_query_region(self, index, info, NULL, error);
}

/**
 * hiod_vfio_device_get_region_caps:
 * @self: an attached #HiodVfioDevice
 * @index: the region index
 * @error: return location for a #GError
 *
 * Reads the region's capability chain: sparse mmap areas, region type and
 * subtype, MSI-X mappable. A region without capabilities has empty caps. A
 * chain the kernel wrote malformed is refused (%HIOD_ERROR_IO).
 *
 * Returns: (transfer full): the region's capabilities, or %NULL
 *
 * Since: 0.1
 */
HiodVfioRegionCaps *
hiod_vfio_device_get_region_caps(HiodVfioDevice *self, guint index, GError **error)
{
	HiodVfioRegionInfo info;
	HiodVfioRegionCaps *caps = NULL;
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	if (!hiod_vfio_device_query_region(self, index, &info, &caps, error))
		return NULL;
	return caps;
}

/**
 * hiod_vfio_device_map_region:
 * @self: an attached #HiodVfioDevice
 * @index: the region index (a BAR)
 * @size: (out) (optional): the mapped size
 * @error: return location for a #GError
 *
 * Maps a region (typically a BAR) into the process. The mapping lives until
 * the device is detached. A region with a sparse mmap capability is mapped
 * area by area into one range of the region's size: what may not be mapped
 * stays inaccessible there (PROT_NONE; reach it with
 * hiod_vfio_device_region_read() and _write()); a region none of which may
 * be mapped is %HIOD_ERROR_NOT_SUPPORTED, saying so.
 *
 * Returns: (transfer none): the address, or %NULL
 *
 * Since: 0.1
 */
gpointer
hiod_vfio_device_map_region(HiodVfioDevice *self, guint index, gsize *size, GError **error)
{
	HiodVfioRegionInfo info;
	g_autoptr(HiodVfioRegionCaps) caps = NULL;
	HiodRegionMap m = {.index = index};
	const gint prot = PROT_READ | PROT_WRITE;

	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	for (guint i = 0; i < self->maps->len; i++) {
		HiodRegionMap *e = &g_array_index(self->maps, HiodRegionMap, i);
		if (e->index == index) {
			if (size != NULL)
				*size = e->size;
			return e->addr;
		}
	}
	if (!hiod_vfio_device_query_region(self, index, &info, &caps, error))
		return NULL;
	if (info.size == 0 || !(info.flags & HIOD_VFIO_REGION_INFO_FLAG_MMAP)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s region %u cannot be mapped (size 0x%" G_GINT64_MODIFIER "x, flags 0x%x)",
			    hiod_vfio_device_get_name(self), index, info.size, info.flags);
		return NULL;
	}
	if (info.size > G_MAXSIZE) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE,
			    "%s region %u of 0x%" G_GINT64_MODIFIER "x bytes does not fit the address space",
			    hiod_vfio_device_get_name(self), index, info.size);
		return NULL;
	}
	m.size = info.size;
	if (caps->sparse) {
		if (caps->areas->len == 0) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "%s region %u: its sparse mmap capability lists no area, so none of "
				    "it may be mapped (use region_read and region_write)",
				    hiod_vfio_device_get_name(self), index);
			return NULL;
		}
		m.addr = hiod_kernel_reserve(self->ctx, m.size, error);
		if (m.addr == NULL) {
			g_prefix_error(error, "%s region %u: ", hiod_vfio_device_get_name(self), index);
			return NULL;
		}
		for (guint i = 0; i < caps->areas->len; i++) {
			const HiodVfioArea *a = &g_array_index(caps->areas, HiodVfioArea, i);
			if (!hiod_kernel_mmap_fixed(self->ctx, (guint8 *)m.addr + a->offset, self->fd,
						    a->size, prot, (goffset)(info.offset + a->offset),
						    error)) {
				g_prefix_error(error, "%s region %u sparse area %u [0x%" G_GINT64_MODIFIER
					       "x, +0x%" G_GINT64_MODIFIER "x): ",
					       hiod_vfio_device_get_name(self), index, i, a->offset, a->size);
				hiod_kernel_munmap(self->ctx, m.addr, m.size);
				return NULL;
			}
			g_debug("%s region %u: sparse area [0x%" G_GINT64_MODIFIER "x, +0x%" G_GINT64_MODIFIER
				"x) mapped", hiod_vfio_device_get_name(self), index, a->offset, a->size);
		}
	} else {
		m.addr = hiod_kernel_mmap(self->ctx, self->fd, m.size, prot, (goffset)info.offset, error);
		if (m.addr == NULL) {
			g_prefix_error(error, "%s region %u: ", hiod_vfio_device_get_name(self), index);
			return NULL;
		}
	}
	g_array_append_val(self->maps, m);
	if (size != NULL)
		*size = m.size;
	return m.addr;
}

static gboolean
hiod_vfio_device_region_bounds(HiodVfioDevice *self, guint index, guint64 offset, gsize len,
			       HiodVfioRegionInfo *info, GError **error)
{
	if (!hiod_vfio_device_get_region_info(self, index, info, error))
		return FALSE;
	if (len == 0 || offset > info->size || len > info->size - offset) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s region %u: access of %zu bytes at 0x%" G_GINT64_MODIFIER
			    "x is outside its 0x%" G_GINT64_MODIFIER "x bytes",
			    hiod_vfio_device_get_name(self), index, len, offset, info->size);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_vfio_device_region_read:
 * @self: an attached #HiodVfioDevice
 * @index: the region index
 * @offset: the offset in the region
 * @buf: (out caller-allocates) (array length=len) (element-type guint8): where to read to
 * @len: bytes
 * @error: return location for a #GError
 *
 * Returns %TRUE on success.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_region_read(HiodVfioDevice *self, guint index, guint64 offset, gpointer buf,
			     gsize len, GError **error)
{
	HiodVfioRegionInfo info;
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	if (!hiod_vfio_device_region_bounds(self, index, offset, len, &info, error))
		return FALSE;
	return hiod_kernel_pread(self->ctx, self->fd, buf, len, (goffset)(info.offset + offset), error);
}

/**
 * hiod_vfio_device_region_write:
 * @self: an attached #HiodVfioDevice
 * @index: the region index
 * @offset: the offset in the region
 * @buf: (array length=len) (element-type guint8): what to write
 * @len: bytes
 * @error: return location for a #GError
 *
 * Returns %TRUE on success.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_region_write(HiodVfioDevice *self, guint index, guint64 offset, gconstpointer buf,
			      gsize len, GError **error)
{
	HiodVfioRegionInfo info;
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	if (!hiod_vfio_device_region_bounds(self, index, offset, len, &info, error))
		return FALSE;
	return hiod_kernel_pwrite(self->ctx, self->fd, buf, len, (goffset)(info.offset + offset), error);
}

/**
 * hiod_vfio_device_config_read:
 * @self: an attached #HiodVfioDevice
 * @offset: the offset in PCI config space
 * @buf: (out caller-allocates) (array length=len) (element-type guint8): where to read to
 * @len: bytes
 * @error: return location for a #GError
 *
 * Returns %TRUE on success.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_config_read(HiodVfioDevice *self, guint offset, gpointer buf, gsize len,
			     GError **error)
{
	return hiod_vfio_device_region_read(self, HIOD_VFIO_PCI_CONFIG_REGION_INDEX, offset, buf, len,
					    error);
}

/**
 * hiod_vfio_device_config_write:
 * @self: an attached #HiodVfioDevice
 * @offset: the offset in PCI config space
 * @buf: (array length=len) (element-type guint8): what to write
 * @len: bytes
 * @error: return location for a #GError
 *
 * Returns %TRUE on success.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_config_write(HiodVfioDevice *self, guint offset, gconstpointer buf, gsize len,
			      GError **error)
{
	return hiod_vfio_device_region_write(self, HIOD_VFIO_PCI_CONFIG_REGION_INDEX, offset, buf, len,
					     error);
}

/**
 * hiod_vfio_device_set_bus_master:
 * @self: an attached #HiodVfioDevice
 * @enable: whether the device may master the bus (do DMA)
 * @error: return location for a #GError
 *
 * vfio-pci clears Bus Master Enable when the device is opened; a device
 * does no DMA until it is set again (PCI command register bit 2).
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_set_bus_master(HiodVfioDevice *self, gboolean enable, GError **error)
{
	guint16 cmd = 0;
	if (!hiod_vfio_device_config_read(self, 4, &cmd, sizeof(cmd), error))
		return FALSE;
	cmd = GUINT16_FROM_LE(cmd);
	cmd = enable ? (cmd | 0x6) : (cmd & ~0x4);
	cmd = GUINT16_TO_LE(cmd);
	return hiod_vfio_device_config_write(self, 4, &cmd, sizeof(cmd), error);
}

/**
 * hiod_vfio_device_reset:
 * @self: an attached #HiodVfioDevice
 * @error: return location for a #GError
 *
 * Resets the function (FLR, PM or bus reset, whatever the kernel found).
 * %HIOD_ERROR_NOT_SUPPORTED when the device has no reset method.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_reset(HiodVfioDevice *self, GError **error)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	if (!hiod_vfio_device_check_open(self, error))
		return FALSE;
	if (!(self->flags & HIOD_VFIO_DEVICE_FLAGS_RESET)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s has no reset method (no FLR, PM reset, or bus reset it is alone on)",
			    hiod_vfio_device_get_name(self));
		return FALSE;
	}
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VFIO_DEVICE_RESET), NULL, 0, error) < 0) {
		g_prefix_error(error, "resetting %s: ", hiod_vfio_device_get_name(self));
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_vfio_device_hot_reset:
 * @self: an attached #HiodVfioDevice
 * @error: return location for a #GError
 *
 * Resets the device's bus or slot through its container's backend, which
 * proves ownership of every affected device.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_hot_reset(HiodVfioDevice *self, GError **error)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	if (!hiod_vfio_device_check_open(self, error))
		return FALSE;
	return hiod_container_pci_hot_reset(self->container, self, FALSE, error);
}

static const gchar *const hiod_vfio_region_names[] = {"BAR0", "BAR1", "BAR2", "BAR3", "BAR4",
							"BAR5", "ROM", "config", "VGA"};

static void
hiod_vfio_device_regions_to_json(HiodVfioDevice *self, JsonBuilder *builder)
{
	json_builder_set_member_name(builder, "regions");
	json_builder_begin_array(builder);
	for (guint i = 0; i < self->num_regions && i < 64; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodVfioRegionCaps) caps = NULL;
		HiodVfioRegionInfo info;

		json_builder_begin_object(builder);
		hiod_json_add_int(builder, "index", i);
		hiod_json_add_string(builder, "name",
				     i < G_N_ELEMENTS(hiod_vfio_region_names) ? hiod_vfio_region_names[i]
									      : "device-specific");
		if (!hiod_vfio_device_query_region(self, i, &info, &caps, &error)) {
			hiod_json_add_string(builder, "error", error->message);
			json_builder_end_object(builder);
			continue;
		}
		hiod_json_add_hex(builder, "flags", info.flags);
		hiod_json_add_hex(builder, "size", info.size);
		hiod_json_add_hex(builder, "offset", info.offset);
		hiod_json_add_bool(builder, "readable", info.flags & HIOD_VFIO_REGION_INFO_FLAG_READ);
		hiod_json_add_bool(builder, "writable", info.flags & HIOD_VFIO_REGION_INFO_FLAG_WRITE);
		hiod_json_add_bool(builder, "mappable", info.flags & HIOD_VFIO_REGION_INFO_FLAG_MMAP);
		hiod_json_add_bool(builder, "msix_mappable", caps->msix_mappable);
		if (caps->has_type) {
			hiod_json_add_hex(builder, "type", caps->type);
			hiod_json_add_hex(builder, "subtype", caps->subtype);
		}
		if (caps->sparse) {
			json_builder_set_member_name(builder, "sparse_mmap");
			json_builder_begin_array(builder);
			for (guint a = 0; a < caps->areas->len; a++) {
				const HiodVfioArea *area = &g_array_index(caps->areas, HiodVfioArea, a);
				json_builder_begin_object(builder);
				hiod_json_add_hex(builder, "offset", area->offset);
				hiod_json_add_hex(builder, "size", area->size);
				json_builder_end_object(builder);
			}
			json_builder_end_array(builder);
		}
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

static void
hiod_vfio_device_irqs_to_json(HiodVfioDevice *self, JsonBuilder *builder)
{
	json_builder_set_member_name(builder, "irqs");
	json_builder_begin_array(builder);
	for (guint i = 0; i < self->num_irqs && i < HIOD_VFIO_DEVICE_MAX_IRQS; i++) {
		g_autoptr(GError) error = NULL;
		HiodVfioIrqInfo info;

		json_builder_begin_object(builder);
		hiod_json_add_int(builder, "index", i);
		hiod_json_add_string(builder, "name", hiod_vfio_irq_index_to_string(i));
		if (!hiod_vfio_device_get_irq_info(self, i, &info, &error)) {
			hiod_json_add_string(builder, "error", error->message);
			json_builder_end_object(builder);
			continue;
		}
		hiod_json_add_int(builder, "count", info.count);
		hiod_json_add_hex(builder, "flags", info.flags);
		hiod_json_add_bool(builder, "eventfd", info.flags & HIOD_VFIO_IRQ_INFO_EVENTFD);
		hiod_json_add_bool(builder, "maskable", info.flags & HIOD_VFIO_IRQ_INFO_MASKABLE);
		hiod_json_add_bool(builder, "automasked", info.flags & HIOD_VFIO_IRQ_INFO_AUTOMASKED);
		hiod_json_add_bool(builder, "noresize", info.flags & HIOD_VFIO_IRQ_INFO_NORESIZE);
		hiod_json_add_int(builder, "enabled", self->irqs[i].n);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

/**
 * hiod_vfio_device_to_json:
 * @self: a #HiodVfioDevice
 * @builder: a #JsonBuilder
 *
 * Adds the device as a JSON object: its PCI identity and, while attached, its flags, its
 * regions (info and capabilities), its IRQ indexes (count and flags), container and host
 * IOMMU device.
 *
 * Since: 0.1
 */
void
hiod_vfio_device_to_json(HiodVfioDevice *self, JsonBuilder *builder)
{
	json_builder_begin_object(builder);
	hiod_json_add_string(builder, "name", hiod_vfio_device_get_name(self));
	json_builder_set_member_name(builder, "pci");
	hiod_pci_device_info_to_json(self->info, builder);
	hiod_json_add_bool(builder, "attached", self->fd >= 0);
	if (self->fd >= 0) {
		hiod_json_add_hex(builder, "flags", self->flags);
		hiod_json_add_int(builder, "num_regions", self->num_regions);
		hiod_json_add_int(builder, "num_irqs", self->num_irqs);
		hiod_vfio_device_regions_to_json(self, builder);
		hiod_vfio_device_irqs_to_json(self, builder);
	}
	if (self->container != NULL) {
		json_builder_set_member_name(builder, "container");
		hiod_container_to_json(self->container, builder);
	}
	if (self->hiod != NULL) {
		json_builder_set_member_name(builder, "host_iommu_device");
		hiod_host_iommu_device_to_json(self->hiod, builder);
	}
	json_builder_end_object(builder);
}

/* interrupts ------------------------------------------------------------------------ */

/*
 * Each IRQ index hiod enabled has one eventfd per vector (-1 for a vector
 * whose trigger was removed) that hiod made through the chokepoint and owns:
 * it is closed when the vector is changed or removed, the index disabled, or
 * the device released. The kernel's semantics are vfio-pci's
 * (drivers/vfio/pci/vfio_pci_intrs.c): INTx, MSI and MSI-X exclude each
 * other; INTx is masked by the kernel when it fires and stays masked until
 * it is unmasked (an ioctl, or a write to the resample eventfd); MSI and
 * MSI-X vectors cannot be masked through VFIO.
 */

struct _HiodVfioIrqSource {
	GSource parent;
	HiodVfioDevice *device; /* not owned: the device destroys its sources */
	guint index;
	guint vector;
	gpointer tag;
};

static const gchar *const hiod_vfio_irq_names[] = {"INTx", "MSI", "MSI-X", "ERR", "REQ"};

/**
 * hiod_vfio_irq_index_to_string:
 * @index: an IRQ index
 *
 * Gets the index's name as vfio-pci documents it ("INTx", "MSI", "MSI-X", "ERR", "REQ").
 *
 * Returns: the name, or "IRQ" for an index vfio-pci does not define
 *
 * Since: 0.1
 */
const gchar *
hiod_vfio_irq_index_to_string(guint index)
{
	return index < G_N_ELEMENTS(hiod_vfio_irq_names) ? hiod_vfio_irq_names[index] : "IRQ";
}

static gboolean
hiod_vfio_irq_check_index(HiodVfioDevice *self, guint index, GError **error)
{
	if (!hiod_vfio_device_check_open(self, error))
		return FALSE;
	if (index >= self->num_irqs || index >= HIOD_VFIO_DEVICE_MAX_IRQS) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "%s has %u IRQ indexes, no index %u", hiod_vfio_device_get_name(self),
			    self->num_irqs, index);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_vfio_device_get_irq_info:
 * @self: an attached #HiodVfioDevice
 * @index: the IRQ index (a #HiodVfioIrqIndex)
 * @info: (out caller-allocates): the index's info
 * @error: return location for a #GError
 *
 * Asks the kernel about one IRQ index (VFIO_DEVICE_GET_IRQ_INFO): its flags
 * and how many vectors it has (0 when the device has none of this kind; an
 * index vfio-pci refuses for this device, like ERR on a conventional PCI
 * device, is reported as 0 vectors).
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_get_irq_info(HiodVfioDevice *self, guint index, HiodVfioIrqInfo *info,
			      GError **error)
{
	struct hiod_vfio_irq_info ii = {.index = index};
	g_autoptr(GError) local = NULL;

	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	g_return_val_if_fail(info != NULL, FALSE);
	if (!hiod_vfio_irq_check_index(self, index, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VFIO_DEVICE_GET_IRQ_INFO), &ii,
			      sizeof(ii), &local) < 0) {
		/* vfio-pci answers EINVAL for an index below num_irqs that this device
		 * lacks (ERR on a conventional PCI device): it has no vectors there */
		if (errno == EINVAL) {
			g_debug("%s: the kernel has no %s IRQ index for it (%s)", hiod_vfio_device_get_name(self),
				hiod_vfio_irq_index_to_string(index), local->message);
			info->index = index;
			info->flags = 0;
			info->count = 0;
			return TRUE;
		}
		g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s %s IRQ info: ",
					   hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index));
		return FALSE;
	}
	if (ii.count > HIOD_VFIO_DEVICE_MAX_IRQ_VECTORS) {
		hiod_kernel_set_bad_reply(error, "VFIO_DEVICE_GET_IRQ_INFO",
					  "index %u has %u vectors, more than the %u PCI allows", index,
					  ii.count, HIOD_VFIO_DEVICE_MAX_IRQ_VECTORS);
		g_prefix_error(error, "%s: ", hiod_vfio_device_get_name(self));
		return FALSE;
	}
	info->index = index;
	info->flags = ii.flags;
	info->count = ii.count;
	return TRUE;
}

/* VFIO_DEVICE_SET_IRQS with @n eventfds (-1: none) for vectors [start, start + n) */
static gboolean
hiod_vfio_irq_set(HiodVfioDevice *self, guint index, guint32 action, guint start, guint n,
		  const gint *fds, GError **error)
{
	gsize argsz = sizeof(struct hiod_vfio_irq_set) + (gsize)n * sizeof(gint32);
	g_autofree struct hiod_vfio_irq_set *set = g_malloc0(argsz);

	set->flags = action | (fds != NULL ? HIOD_VFIO_IRQ_SET_DATA_EVENTFD : HIOD_VFIO_IRQ_SET_DATA_NONE);
	set->index = index;
	set->start = start;
	set->count = n;
	for (guint i = 0; fds != NULL && i < n; i++) {
		gint32 fd = fds[i];
		memcpy(set->data + i * sizeof(gint32), &fd, sizeof(fd));
	}
	if (fds == NULL)
		argsz = sizeof(struct hiod_vfio_irq_set);
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(VFIO_DEVICE_SET_IRQS), set, argsz,
			      error) < 0) {
		g_prefix_error(error, "%s %s vectors %u..%u: ", hiod_vfio_device_get_name(self),
			       hiod_vfio_irq_index_to_string(index), start, start + MAX(n, 1) - 1);
		return FALSE;
	}
	return TRUE;
}

static void
hiod_vfio_irq_destroy_sources(HiodVfioDevice *self, guint index, gint vector)
{
	for (guint i = self->irq_sources->len; i > 0; i--) {
		HiodVfioIrqSource *s = g_ptr_array_index(self->irq_sources, i - 1);
		if (s->index != index || (vector >= 0 && s->vector != (guint)vector))
			continue;
		s->device = NULL;
		g_source_destroy((GSource *)s);
		g_ptr_array_remove_index(self->irq_sources, i - 1);
	}
}

/* Moves the watches of (index, vector) to @fd (-1: destroys them). */
static void
hiod_vfio_irq_retarget_sources(HiodVfioDevice *self, guint index, guint vector, gint fd)
{
	if (fd < 0) {
		hiod_vfio_irq_destroy_sources(self, index, (gint)vector);
		return;
	}
	for (guint i = 0; i < self->irq_sources->len; i++) {
		HiodVfioIrqSource *s = g_ptr_array_index(self->irq_sources, i);
		if (s->index != index || s->vector != vector || g_source_is_destroyed((GSource *)s))
			continue;
		g_source_remove_unix_fd((GSource *)s, s->tag);
		s->tag = g_source_add_unix_fd((GSource *)s, fd, G_IO_IN);
	}
}

/* Closes what hiod holds for @index; the kernel's side must already be gone. */
static void
hiod_vfio_irq_forget(HiodVfioDevice *self, guint index)
{
	HiodVfioIrqState *st = &self->irqs[index];
	hiod_vfio_irq_destroy_sources(self, index, -1);
	for (guint i = 0; i < st->n; i++)
		hiod_kernel_close(self->ctx, st->fds[i]);
	g_clear_pointer(&st->fds, g_free);
	st->n = 0;
	hiod_kernel_close(self->ctx, st->resample_fd);
	st->resample_fd = -1;
}

/* On release: every enabled index disabled (errors ignored: closing the
 * device fd tears the rest down), every eventfd closed. */
static void
hiod_vfio_irq_release_all(HiodVfioDevice *self)
{
	for (guint i = 0; i < HIOD_VFIO_DEVICE_MAX_IRQS; i++) {
		if (self->irqs[i].n == 0)
			continue;
		hiod_vfio_irq_set(self, i, HIOD_VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL, NULL);
		hiod_vfio_irq_forget(self, i);
	}
}

/**
 * hiod_vfio_device_enable_irq:
 * @self: an attached #HiodVfioDevice
 * @index: the IRQ index (a #HiodVfioIrqIndex)
 * @count: how many vectors, from vector 0 (INTx, ERR and REQ have one)
 * @error: return location for a #GError
 *
 * Enables @count vectors of @index, each signalling an eventfd that hiod
 * makes and owns (hiod_vfio_device_get_irq_fd()). A device uses one of INTx,
 * MSI and MSI-X at a time: enabling one while another is enabled is refused
 * (%HIOD_ERROR_INVALID_STATE), and so is an index already enabled (change a
 * vector with hiod_vfio_device_set_irq_vector(), or disable it first). An
 * index or count the device does not have is %HIOD_ERROR_INVALID_ARGUMENT.
 * On failure no eventfd and no kernel trigger is left.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_enable_irq(HiodVfioDevice *self, guint index, guint count, GError **error)
{
	HiodVfioIrqInfo info;
	HiodVfioIrqState *st;
	g_autofree gint *fds = NULL;
	guint made = 0;

	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	if (!hiod_vfio_device_get_irq_info(self, index, &info, error))
		return FALSE;
	st = &self->irqs[index];
	if (info.count == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s has no %s interrupt (the kernel reports no vectors for it)",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index));
		return FALSE;
	}
	if (count == 0 || count > info.count) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s has %u %s vector%s, so %u cannot be enabled (1 to %u)",
			    hiod_vfio_device_get_name(self), info.count,
			    hiod_vfio_irq_index_to_string(index), info.count == 1 ? "" : "s", count,
			    info.count);
		return FALSE;
	}
	if (!(info.flags & HIOD_VFIO_IRQ_INFO_EVENTFD)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s %s cannot signal an eventfd (flags 0x%x)", hiod_vfio_device_get_name(self),
			    hiod_vfio_irq_index_to_string(index), info.flags);
		return FALSE;
	}
	if (st->n != 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s %s already has %u vector%s enabled: change one with "
			    "set_irq_vector, or disable the index first",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index), st->n,
			    st->n == 1 ? "" : "s");
		return FALSE;
	}
	if (index <= HIOD_VFIO_PCI_MSIX_IRQ_INDEX) {
		for (guint other = 0; other <= HIOD_VFIO_PCI_MSIX_IRQ_INDEX; other++) {
			if (other == index || self->irqs[other].n == 0)
				continue;
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "%s has %s enabled: a device uses one of INTx, MSI and MSI-X at a "
				    "time, so disable %s before enabling %s",
				    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(other),
				    hiod_vfio_irq_index_to_string(other), hiod_vfio_irq_index_to_string(index));
			return FALSE;
		}
	}
	fds = g_new(gint, count);
	for (made = 0; made < count; made++) {
		fds[made] = hiod_kernel_eventfd(self->ctx, error);
		if (fds[made] < 0) {
			g_prefix_error(error, "%s %s vector %u: ", hiod_vfio_device_get_name(self),
				       hiod_vfio_irq_index_to_string(index), made);
			goto fail;
		}
	}
	if (!hiod_vfio_irq_set(self, index, HIOD_VFIO_IRQ_SET_ACTION_TRIGGER, 0, count, fds, error))
		goto fail;
	st->fds = g_steal_pointer(&fds);
	st->n = count;
	return TRUE;
fail:
	for (guint i = 0; i < made; i++)
		hiod_kernel_close(self->ctx, fds[i]);
	return FALSE;
}

static gboolean
hiod_vfio_irq_check_vector(HiodVfioDevice *self, guint index, guint vector, GError **error)
{
	if (!hiod_vfio_irq_check_index(self, index, error))
		return FALSE;
	if (self->irqs[index].n == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE, "%s %s is not enabled",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index));
		return FALSE;
	}
	if (vector >= self->irqs[index].n) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s %s has %u vector%s enabled, no vector %u",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index),
			    self->irqs[index].n, self->irqs[index].n == 1 ? "" : "s", vector);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_vfio_device_set_irq_vector:
 * @self: an attached #HiodVfioDevice
 * @index: an enabled IRQ index
 * @vector: one of its enabled vectors
 * @enable: %TRUE: give the vector a new eventfd; %FALSE: remove its trigger
 * @error: return location for a #GError
 *
 * Changes one vector while the others stay as they are. With @enable the
 * vector signals a new eventfd (the old one, if any, is closed once the
 * kernel moved over; watches follow the vector); without, the kernel frees
 * the vector's interrupt and its eventfd is closed (watches on it end). The
 * index stays enabled either way. On failure the vector is as it was.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_set_irq_vector(HiodVfioDevice *self, guint index, guint vector, gboolean enable,
				GError **error)
{
	HiodVfioIrqState *st;
	gint fd = -1;

	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	if (!hiod_vfio_irq_check_vector(self, index, vector, error))
		return FALSE;
	st = &self->irqs[index];
	if (enable) {
		fd = hiod_kernel_eventfd(self->ctx, error);
		if (fd < 0) {
			g_prefix_error(error, "%s %s vector %u: ", hiod_vfio_device_get_name(self),
				       hiod_vfio_irq_index_to_string(index), vector);
			return FALSE;
		}
	}
	if (!hiod_vfio_irq_set(self, index, HIOD_VFIO_IRQ_SET_ACTION_TRIGGER, vector, 1, &fd, error)) {
		hiod_kernel_close(self->ctx, fd);
		return FALSE;
	}
	hiod_vfio_irq_retarget_sources(self, index, vector, fd);
	hiod_kernel_close(self->ctx, st->fds[vector]);
	st->fds[vector] = fd;
	return TRUE;
}

/**
 * hiod_vfio_device_disable_irq:
 * @self: an attached #HiodVfioDevice
 * @index: the IRQ index
 * @error: return location for a #GError
 *
 * Disables every vector of @index (and INTx's resample eventfd) and closes
 * their eventfds; watches on them end. Disabling an index that is not
 * enabled does nothing. Should the kernel refuse, hiod keeps its eventfds
 * (the kernel may still signal them) and says why.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_disable_irq(HiodVfioDevice *self, guint index, GError **error)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	if (!hiod_vfio_irq_check_index(self, index, error))
		return FALSE;
	if (self->irqs[index].n == 0)
		return TRUE;
	if (!hiod_vfio_irq_set(self, index, HIOD_VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL, error))
		return FALSE;
	hiod_vfio_irq_forget(self, index);
	return TRUE;
}

/**
 * hiod_vfio_device_get_irq_enabled_count:
 * @self: a #HiodVfioDevice
 * @index: the IRQ index
 *
 * Gets how many vectors of @index hiod enabled (0: not enabled).
 *
 * Returns: the number of enabled vectors
 *
 * Since: 0.1
 */
guint
hiod_vfio_device_get_irq_enabled_count(HiodVfioDevice *self, guint index)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), 0);
	return index < HIOD_VFIO_DEVICE_MAX_IRQS ? self->irqs[index].n : 0;
}

/**
 * hiod_vfio_device_get_irq_fd:
 * @self: a #HiodVfioDevice
 * @index: the IRQ index
 * @vector: the vector
 *
 * Gets the eventfd a vector signals, for a caller's own poll loop or a
 * VMM's irqfd. hiod owns it: do not close it; it is valid until the vector
 * is changed or removed, the index disabled, or the device released.
 *
 * Returns: the eventfd, or -1 when the vector is not enabled
 *
 * Since: 0.1
 */
gint
hiod_vfio_device_get_irq_fd(HiodVfioDevice *self, guint index, guint vector)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), -1);
	if (index >= HIOD_VFIO_DEVICE_MAX_IRQS || vector >= self->irqs[index].n)
		return -1;
	return self->irqs[index].fds[vector];
}

static gboolean
hiod_vfio_irq_mask(HiodVfioDevice *self, guint index, guint32 action, GError **error)
{
	HiodVfioIrqInfo info;
	const gchar *what = action == HIOD_VFIO_IRQ_SET_ACTION_MASK ? "masked" : "unmasked";

	if (!hiod_vfio_device_get_irq_info(self, index, &info, error))
		return FALSE;
	if (!(info.flags & HIOD_VFIO_IRQ_INFO_MASKABLE)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s %s cannot be %s through VFIO (not maskable; MSI-X vectors are "
			    "masked in the device's own MSI-X table)",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index), what);
		return FALSE;
	}
	if (self->irqs[index].n == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s %s is not enabled, so it cannot be %s", hiod_vfio_device_get_name(self),
			    hiod_vfio_irq_index_to_string(index), what);
		return FALSE;
	}
	return hiod_vfio_irq_set(self, index, action, 0, 1, NULL, error);
}

/**
 * hiod_vfio_device_mask_irq:
 * @self: an attached #HiodVfioDevice
 * @index: an enabled, maskable IRQ index (INTx)
 * @error: return location for a #GError
 *
 * Masks the index's interrupt in the kernel: while masked it does not
 * signal its eventfd; an interrupt the device raises meanwhile is signalled
 * on unmask. %HIOD_ERROR_NOT_SUPPORTED for an index that is not maskable.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_mask_irq(HiodVfioDevice *self, guint index, GError **error)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	return hiod_vfio_irq_mask(self, index, HIOD_VFIO_IRQ_SET_ACTION_MASK, error);
}

/**
 * hiod_vfio_device_unmask_irq:
 * @self: an attached #HiodVfioDevice
 * @index: an enabled, maskable IRQ index (INTx)
 * @error: return location for a #GError
 *
 * Unmasks the index's interrupt. INTx is automasked: the kernel masks it
 * each time it fires, and it fires again only after the driver quieted the
 * device and unmasked it (this call, or a write to the resample eventfd).
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_unmask_irq(HiodVfioDevice *self, guint index, GError **error)
{
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	return hiod_vfio_irq_mask(self, index, HIOD_VFIO_IRQ_SET_ACTION_UNMASK, error);
}

/**
 * hiod_vfio_device_enable_irq_resample:
 * @self: an attached #HiodVfioDevice
 * @index: an enabled, automasked IRQ index (INTx)
 * @error: return location for a #GError
 *
 * Gives a level-triggered index an unmask ("resample") eventfd: writing
 * to it (an 8-byte count, or a VMM's KVM irqfd resampler) unmasks the
 * interrupt without an ioctl. hiod owns the eventfd until the index is
 * disabled or the device released. Calling it again returns the same one.
 *
 * Returns: the eventfd, or -1 with @error set
 *
 * Since: 0.1
 */
gint
hiod_vfio_device_enable_irq_resample(HiodVfioDevice *self, guint index, GError **error)
{
	HiodVfioIrqInfo info;
	HiodVfioIrqState *st;
	gint fd;

	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), -1);
	if (!hiod_vfio_device_get_irq_info(self, index, &info, error))
		return -1;
	st = &self->irqs[index];
	if (!(info.flags & HIOD_VFIO_IRQ_INFO_AUTOMASKED)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s %s is not level-triggered (not automasked): it needs no resample eventfd",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index));
		return -1;
	}
	if (st->n == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s %s is not enabled: enable it before its resample eventfd",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index));
		return -1;
	}
	if (st->resample_fd >= 0)
		return st->resample_fd;
	fd = hiod_kernel_eventfd(self->ctx, error);
	if (fd < 0)
		return -1;
	if (!hiod_vfio_irq_set(self, index, HIOD_VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, &fd, error)) {
		hiod_kernel_close(self->ctx, fd);
		return -1;
	}
	st->resample_fd = fd;
	return fd;
}

/**
 * hiod_vfio_device_wait_irq:
 * @self: an attached #HiodVfioDevice
 * @index: an enabled IRQ index
 * @vector: an enabled vector
 * @timeout_ms: how long to wait (0: only look; -1: no limit)
 * @count: (out) (optional): how often it fired since the last read
 * @error: return location for a #GError
 *
 * Waits until the vector's eventfd fired and reads (clears) its counter.
 * %HIOD_ERROR_TIMED_OUT when it did not fire within @timeout_ms.
 *
 * Returns: %TRUE when the vector fired
 *
 * Since: 0.1
 */
gboolean
hiod_vfio_device_wait_irq(HiodVfioDevice *self, guint index, guint vector, gint timeout_ms,
			  guint64 *count, GError **error)
{
	gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	GPollFD pfd = {.events = G_IO_IN};
	guint64 value = 0;

	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), FALSE);
	if (!hiod_vfio_irq_check_vector(self, index, vector, error))
		return FALSE;
	pfd.fd = self->irqs[index].fds[vector];
	if (pfd.fd < 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s %s vector %u has no trigger (it was removed)",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index), vector);
		return FALSE;
	}
	for (;;) {
		gint wait = -1;
		gssize n;
		if (deadline >= 0) {
			gint64 left = deadline - g_get_monotonic_time();
			wait = left > 0 ? (gint)((left + 999) / 1000) : 0;
		}
		pfd.revents = 0;
		if (g_poll(&pfd, 1, wait) < 0 && errno != EINTR) {
			hiod_kernel_set_error(error, errno, "waiting for %s %s vector %u",
					      hiod_vfio_device_get_name(self),
					      hiod_vfio_irq_index_to_string(index), vector);
			return FALSE;
		}
		if (pfd.revents & G_IO_IN) {
			g_autoptr(GError) local = NULL;
			gint saved;
			n = hiod_kernel_read(self->ctx, pfd.fd, &value, sizeof(value), &local);
			saved = errno;
			if (n == sizeof(value)) {
				if (count != NULL)
					*count = value;
				return TRUE;
			}
			if (n < 0 && saved != EAGAIN) {
				g_propagate_prefixed_error(error, g_steal_pointer(&local),
							   "%s %s vector %u: ", hiod_vfio_device_get_name(self),
							   hiod_vfio_irq_index_to_string(index), vector);
				return FALSE;
			}
		}
		if (deadline >= 0 && g_get_monotonic_time() >= deadline) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_TIMED_OUT,
				    "%s %s vector %u did not fire within %d ms",
				    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index),
				    vector, timeout_ms);
			return FALSE;
		}
	}
}

static gboolean
hiod_vfio_irq_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	HiodVfioIrqSource *s = (HiodVfioIrqSource *)source;
	HiodVfioIrqFunc func = (HiodVfioIrqFunc)(gpointer)callback;
	guint64 value = 0;
	gint fd;

	if (s->device == NULL || s->tag == NULL)
		return G_SOURCE_REMOVE;
	if (!(g_source_query_unix_fd(source, s->tag) & G_IO_IN))
		return G_SOURCE_CONTINUE;
	fd = hiod_vfio_device_get_irq_fd(s->device, s->index, s->vector);
	if (fd < 0 || hiod_kernel_read(s->device->ctx, fd, &value, sizeof(value), NULL) != sizeof(value))
		return G_SOURCE_CONTINUE;
	if (func == NULL)
		return G_SOURCE_CONTINUE;
	return func(s->device, s->index, s->vector, value, user_data);
}

static void
hiod_vfio_irq_source_finalize(GSource *source)
{
	HiodVfioIrqSource *s = (HiodVfioIrqSource *)source;
	s->device = NULL;
}

static GSourceFuncs hiod_vfio_irq_source_funcs = {
	.dispatch = hiod_vfio_irq_source_dispatch,
	.finalize = hiod_vfio_irq_source_finalize,
};

/**
 * hiod_vfio_device_irq_source_new:
 * @self: an attached #HiodVfioDevice
 * @index: an enabled IRQ index
 * @vector: an enabled vector
 * @error: return location for a #GError
 *
 * Makes a #GSource that dispatches when the vector fires, having read its
 * eventfd's counter; set its callback with g_source_set_callback() and a
 * #HiodVfioIrqFunc cast to #GSourceFunc. The source follows the vector
 * through hiod_vfio_device_set_irq_vector() and is destroyed when the
 * vector is removed, the index disabled, or the device released.
 *
 * Returns: (transfer full): a new #GSource, or %NULL
 *
 * Since: 0.1
 */
GSource *
hiod_vfio_device_irq_source_new(HiodVfioDevice *self, guint index, guint vector, GError **error)
{
	HiodVfioIrqSource *s;
	gint fd;

	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(self), NULL);
	if (!hiod_vfio_irq_check_vector(self, index, vector, error))
		return NULL;
	fd = self->irqs[index].fds[vector];
	if (fd < 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s %s vector %u has no trigger (it was removed)",
			    hiod_vfio_device_get_name(self), hiod_vfio_irq_index_to_string(index), vector);
		return NULL;
	}
	s = (HiodVfioIrqSource *)g_source_new(&hiod_vfio_irq_source_funcs, sizeof(*s));
	g_source_set_static_name((GSource *)s, "hiod IRQ");
	s->device = self;
	s->index = index;
	s->vector = vector;
	s->tag = g_source_add_unix_fd((GSource *)s, fd, G_IO_IN);
	g_ptr_array_add(self->irq_sources, g_source_ref((GSource *)s));
	return (GSource *)s;
}

/**
 * hiod_vfio_device_add_irq_watch:
 * @self: an attached #HiodVfioDevice
 * @index: an enabled IRQ index
 * @vector: an enabled vector
 * @func: (scope notified) (closure user_data) (destroy notify): called when the vector fires
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data
 * @error: return location for a #GError
 *
 * Calls @func from the thread-default main context each time the vector
 * fires (hiod_vfio_device_irq_source_new() attached there).
 *
 * Returns: the source id (for g_source_remove()), or 0 with @error set
 *
 * Since: 0.1
 */
guint
hiod_vfio_device_add_irq_watch(HiodVfioDevice *self, guint index, guint vector,
			       HiodVfioIrqFunc func, gpointer user_data, GDestroyNotify notify,
			       GError **error)
{
	g_autoptr(GSource) source = hiod_vfio_device_irq_source_new(self, index, vector, error);
	if (source == NULL) {
		if (notify != NULL)
			notify(user_data);
		return 0;
	}
	g_source_set_callback(source, (GSourceFunc)(gpointer)func, user_data, notify);
	return g_source_attach(source, g_main_context_get_thread_default());
}

static const gchar *
hiod_vfio_device_assigned_get_name(HiodAssignedDevice *device)
{
	return hiod_vfio_device_get_name(HIOD_VFIO_DEVICE(device));
}

static void
hiod_vfio_device_assigned_iface_init(HiodAssignedDeviceInterface *iface)
{
	iface->get_name = hiod_vfio_device_assigned_get_name;
}

static void
hiod_vfio_device_init(HiodVfioDevice *self)
{
	self->fd = -1;
	self->maps = g_array_new(FALSE, FALSE, sizeof(HiodRegionMap));
	self->irq_sources = g_ptr_array_new_with_free_func((GDestroyNotify)g_source_unref);
	for (guint i = 0; i < HIOD_VFIO_DEVICE_MAX_IRQS; i++)
		self->irqs[i].resample_fd = -1;
}

static void
hiod_vfio_device_dispose(GObject *object)
{
	HiodVfioDevice *self = HIOD_VFIO_DEVICE(object);
	if (self->ctx != NULL)
		hiod_vfio_device_detach(self);
	G_OBJECT_CLASS(hiod_vfio_device_parent_class)->dispose(object);
}

static void
hiod_vfio_device_finalize(GObject *object)
{
	HiodVfioDevice *self = HIOD_VFIO_DEVICE(object);
	g_array_unref(self->maps);
	g_ptr_array_unref(self->irq_sources);
	g_clear_object(&self->info);
	g_clear_object(&self->ctx);
	G_OBJECT_CLASS(hiod_vfio_device_parent_class)->finalize(object);
}

static void
hiod_vfio_device_class_init(HiodVfioDeviceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = hiod_vfio_device_dispose;
	object_class->finalize = hiod_vfio_device_finalize;
}

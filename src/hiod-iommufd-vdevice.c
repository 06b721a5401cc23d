/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "hiod-error.h"
#include "hiod-iommufd-viommu-private.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"

/* ------------------------------------------------------------------------- */
/* HiodIommufdVdevice                                                         */
/* ------------------------------------------------------------------------- */

/**
 * HiodIommufdVdevice:
 *
 * A vDEVICE (IOMMU_VDEVICE_ALLOC, Linux 6.13; QEMU's
 * iommufd_backend_alloc_vdev()): a device as a vIOMMU's guest knows it, by
 * its virtual id (the guest's StreamID on SMMUv3, its RID on VT-d). The
 * kernel uses it to translate the virtual ids in invalidation commands and
 * in events, and it must exist before the device attaches to a nested HWPT
 * of the vIOMMU. One per device per vIOMMU, and one device per virtual id.
 * When the device leaves iommufd first, the kernel destroys the vDEVICE
 * with it (destroy() then succeeds with nothing to do).
 *
 * Threads: as #HiodIommufdViommu.
 *
 * Since: 0.1
 */
struct _HiodIommufdVdevice {
	GObject parent_instance;
	HiodIommufdViommu *viommu;
	guint32 id;
	guint32 dev_id;
	guint64 virt_id;
};

G_DEFINE_FINAL_TYPE(HiodIommufdVdevice, hiod_iommufd_vdevice, G_TYPE_OBJECT)

static void
hiod_iommufd_vdevice_finalize(GObject *object)
{
	HiodIommufdVdevice *self = HIOD_IOMMUFD_VDEVICE(object);
	if (self->id != 0) {
		g_autoptr(GError) error = NULL;
		if (!hiod_iommufd_vdevice_destroy(self, &error))
			g_debug("vDEVICE %u left to the iommufd context: %s", self->id, error->message);
	}
	g_clear_object(&self->viommu);
	G_OBJECT_CLASS(hiod_iommufd_vdevice_parent_class)->finalize(object);
}

static void
hiod_iommufd_vdevice_init(HiodIommufdVdevice *self)
{
}

static void
hiod_iommufd_vdevice_class_init(HiodIommufdVdeviceClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hiod_iommufd_vdevice_finalize;
}

/**
 * hiod_iommufd_viommu_alloc_vdevice:
 * @self: a #HiodIommufdViommu
 * @device: a realized device behind the vIOMMU's physical IOMMU
 * @virt_id: the device's id as the guest sees it
 * @error: return location for a #GError
 *
 * IOMMU_VDEVICE_ALLOC. %HIOD_ERROR_EXISTS when the device already has a
 * vDEVICE on this vIOMMU or @virt_id is taken; %HIOD_ERROR_NOT_SUPPORTED
 * before Linux 6.13.
 *
 * Returns: (transfer full): the vDEVICE, or %NULL
 *
 * Since: 0.1
 */
HiodIommufdVdevice *
hiod_iommufd_viommu_alloc_vdevice(HiodIommufdViommu *self, HiodHostIommuDeviceIommufd *device,
				  guint64 virt_id, GError **error)
{
	struct hiod_iommu_vdevice_alloc arg = {0};
	HiodIommufdVdevice *vdev;
	HiodIommufdBackend *be;

	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), NULL);
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(device), NULL);
	if (!hiod_iommufd_viommu_check(self, error))
		return NULL;
	be = hiod_iommufd_viommu_get_backend(self);
	arg.viommu_id = hiod_iommufd_viommu_get_id(self);
	arg.dev_id = hiod_host_iommu_device_iommufd_get_devid(device);
	arg.virt_id = virt_id;
	if (hiod_kernel_ioctl(hiod_iommufd_backend_get_context(be), hiod_iommufd_backend_get_fd(be),
			      HIOD_IOC(IOMMU_VDEVICE_ALLOC), &arg, sizeof(arg), error) < 0) {
		g_prefix_error(error, "allocating a vDEVICE (virtual id 0x%" G_GINT64_MODIFIER
				      "x) for device %u on vIOMMU %u: ",
			       virt_id, arg.dev_id, hiod_iommufd_viommu_get_id(self));
		return NULL;
	}
	vdev = g_object_new(HIOD_TYPE_IOMMUFD_VDEVICE, NULL);
	vdev->viommu = g_object_ref(self);
	vdev->id = arg.out_vdevice_id;
	vdev->dev_id = arg.dev_id;
	vdev->virt_id = virt_id;
	return vdev;
}

/**
 * hiod_iommufd_vdevice_get_id:
 * @self: a #HiodIommufdVdevice
 *
 * Gets the kernel object id.
 *
 * Returns: the vDEVICE id, 0 once destroyed
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_vdevice_get_id(HiodIommufdVdevice *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VDEVICE(self), 0);
	return self->id;
}

/**
 * hiod_iommufd_vdevice_get_virt_id:
 * @self: a #HiodIommufdVdevice
 *
 * Gets the virtual id.
 *
 * Returns: the device's id as the guest sees it
 *
 * Since: 0.1
 */
guint64
hiod_iommufd_vdevice_get_virt_id(HiodIommufdVdevice *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VDEVICE(self), 0);
	return self->virt_id;
}

/**
 * hiod_iommufd_vdevice_get_dev_id:
 * @self: a #HiodIommufdVdevice
 *
 * Gets the physical device's iommufd id.
 *
 * Returns: the iommufd device id
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_vdevice_get_dev_id(HiodIommufdVdevice *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VDEVICE(self), 0);
	return self->dev_id;
}

/**
 * hiod_iommufd_vdevice_get_viommu:
 * @self: a #HiodIommufdVdevice
 *
 * Gets the vIOMMU.
 *
 * Returns: (transfer none): the vIOMMU
 *
 * Since: 0.1
 */
HiodIommufdViommu *
hiod_iommufd_vdevice_get_viommu(HiodIommufdVdevice *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VDEVICE(self), NULL);
	return self->viommu;
}

/**
 * hiod_iommufd_vdevice_destroy:
 * @self: a #HiodIommufdVdevice
 * @error: return location for a #GError
 *
 * IOMMU_DESTROY of the vDEVICE (Linux 7.3 allows it while the device is
 * attached to a nested HWPT of the vIOMMU; invalidations and events then no
 * longer name the device). When the kernel destroyed it already (the device
 * left iommufd) this succeeds.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_vdevice_destroy(HiodIommufdVdevice *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VDEVICE(self), FALSE);
	if (self->id == 0)
		return TRUE;
	if (!hiod_iommufd_backend_destroy(hiod_iommufd_viommu_get_backend(self->viommu), self->id, &error_local)) {
		if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_FOUND)) {
			/* the kernel's tombstone: the device went first and took it */
			g_debug("vDEVICE %u: gone with its device", self->id);
			self->id = 0;
			return TRUE;
		}
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "destroying the vDEVICE of device %u: ", self->dev_id);
		return FALSE;
	}
	self->id = 0;
	return TRUE;
}

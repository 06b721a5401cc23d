/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "hiod-error.h"
#include "hiod-iommufd-viommu-private.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"

/*
 * The vIOMMU objects of iommufd (Linux 6.13 and later): the kernel's model of
 * a virtual IOMMU that programs stage 1 of the physical one.
 *
 *   nesting-parent HWPT (stage 2, an IOAS's mappings)
 *     `- vIOMMU (IOMMU_VIOMMU_ALLOC)
 *          |- vDEVICE (IOMMU_VDEVICE_ALLOC): a device's id as the guest sees it
 *          |- nested HWPTs (IOMMU_HWPT_ALLOC with pt_id = the vIOMMU)
 *          |- vEVENTQ (IOMMU_VEVENTQ_ALLOC, 6.15): events for the guest, one per type
 *          `- HW queues (IOMMU_HW_QUEUE_ALLOC, 6.17): guest queues the IOMMU reads
 *
 * Each object here owns one kernel object, holds its parent (so that a
 * parent outlives its children) and keeps the iommufd backend connected.
 * destroy() frees the kernel object now and says why when the kernel
 * refuses (EBUSY while a child or an attached device still uses it); the
 * object then stays as it was and may be destroyed again. The last unref
 * destroys what destroy() did not. On a kernel without the object the
 * allocation is refused with HIOD_ERROR_NOT_SUPPORTED naming the kernel that
 * added it, and nothing is left behind.
 */

void
hiod_iommufd_object_destroy_quietly(HiodIommufdBackend *be, guint32 id, const gchar *what)
{
	g_autoptr(GError) error = NULL;
	if (id == 0 || be == NULL)
		return;
	if (!hiod_iommufd_backend_destroy(be, id, &error))
		g_debug("%s %u left to the iommufd context: %s", what, id, error->message);
}

/* ------------------------------------------------------------------------- */
/* HiodIommufdViommu                                                          */
/* ------------------------------------------------------------------------- */

/**
 * HiodIommufdViommu:
 *
 * A vIOMMU object of iommufd (IOMMU_VIOMMU_ALLOC, Linux 6.13; QEMU's
 * iommufd_backend_alloc_viommu()): the host's side of one virtual IOMMU
 * instance, made over a nesting-parent HWPT (the stage-2 table) for a device
 * behind the physical IOMMU that will run it. Made with
 * hiod_host_iommu_device_iommufd_alloc_viommu(). The vDEVICEs, nested HWPTs,
 * vEVENTQs and hardware queues of the virtual IOMMU hang off it; cache
 * invalidation goes through it (hiod_iommufd_viommu_invalidate()) and may
 * then name devices by their virtual ids.
 *
 * It holds the parent HWPT busy (EBUSY to destroying it) and is busy itself
 * while any child exists; nested HWPTs made with
 * hiod_iommufd_viommu_alloc_hwpt() are plain ids the caller destroys with
 * hiod_iommufd_backend_destroy() first.
 *
 * Threads: the getters from any thread; every other call is one ioctl on
 * the shared iommufd and may be made from any thread; destroy() and the last
 * unref from one thread, with no other call on the same object running.
 *
 * Since: 0.1
 */
struct _HiodIommufdViommu {
	GObject parent_instance;
	HiodIommufdBackend *backend; /* connected while id != 0 or alive */
	guint32 id;
	guint32 type;
	guint32 parent_hwpt_id;
	guint32 dev_id;
	GBytes *data;
};

G_DEFINE_FINAL_TYPE(HiodIommufdViommu, hiod_iommufd_viommu, G_TYPE_OBJECT)

gboolean
hiod_iommufd_viommu_check(HiodIommufdViommu *self, GError **error)
{
	if (self->id != 0)
		return TRUE;
	g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "the vIOMMU was destroyed: allocate a new one");
	return FALSE;
}

static void
hiod_iommufd_viommu_finalize(GObject *object)
{
	HiodIommufdViommu *self = HIOD_IOMMUFD_VIOMMU(object);
	hiod_iommufd_object_destroy_quietly(self->backend, self->id, "vIOMMU");
	hiod_iommufd_backend_disconnect(self->backend);
	g_clear_object(&self->backend);
	g_clear_pointer(&self->data, g_bytes_unref);
	G_OBJECT_CLASS(hiod_iommufd_viommu_parent_class)->finalize(object);
}

static void
hiod_iommufd_viommu_init(HiodIommufdViommu *self)
{
}

static void
hiod_iommufd_viommu_class_init(HiodIommufdViommuClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hiod_iommufd_viommu_finalize;
}

static const gchar *
hiod_viommu_type_name(guint32 type)
{
	switch (type) {
	case HIOD_IOMMU_VIOMMU_TYPE_ARM_SMMUV3:
		return "ARM SMMUv3";
	case HIOD_IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV:
		return "Tegra241 CMDQV";
	case HIOD_IOMMU_VIOMMU_TYPE_SELFTEST:
		return "selftest";
	default:
		return "unknown";
	}
}

/**
 * hiod_host_iommu_device_iommufd_alloc_viommu:
 * @self: a realized #HiodHostIommuDeviceIommufd
 * @viommu_type: the vIOMMU type (%HIOD_IOMMUFD_VIOMMU_TYPE_ARM_SMMUV3, ...)
 * @parent_hwpt_id: a nesting-parent HWPT allocated for this device
 *   (%HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT)
 * @data: (nullable): the type's driver data (Linux 6.17; the selftest's and
 *   Tegra241's); the kernel's answer in it is hiod_iommufd_viommu_get_data()
 * @error: return location for a #GError
 *
 * IOMMU_VIOMMU_ALLOC. Refusals: %HIOD_ERROR_NOT_SUPPORTED when the kernel
 * has no vIOMMU objects (before Linux 6.13; the message names the kernel) or
 * the host IOMMU driver offers no vIOMMU of @viommu_type (EOPNOTSUPP);
 * %HIOD_ERROR_INVALID_ARGUMENT when @parent_hwpt_id is not a nesting parent;
 * %HIOD_ERROR_NOT_FOUND when it does not exist.
 *
 * Returns: (transfer full): the vIOMMU, or %NULL
 *
 * Since: 0.1
 */
HiodIommufdViommu *
hiod_host_iommu_device_iommufd_alloc_viommu(HiodHostIommuDeviceIommufd *self, guint32 viommu_type,
					    guint32 parent_hwpt_id, GBytes *data, GError **error)
{
	HiodIommufdBackend *be;
	g_autofree guint8 *buf = NULL;
	gsize len = 0;
	struct hiod_iommu_viommu_alloc arg = {0};
	g_autoptr(GError) error_local = NULL;
	HiodIommufdViommu *viommu;
	guint32 devid;
	gsize argsz;

	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), NULL);
	be = hiod_host_iommu_device_iommufd_get_backend(self);
	devid = hiod_host_iommu_device_iommufd_get_devid(self);
	if (be == NULL || devid == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "allocating a vIOMMU for %s: the device is not realized (no iommufd device)",
			    hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)));
		return NULL;
	}
	if (data != NULL)
		buf = g_memdup2(g_bytes_get_data(data, &len), g_bytes_get_size(data));
	arg.flags = 0;
	arg.type = viommu_type;
	arg.dev_id = devid;
	arg.hwpt_id = parent_hwpt_id;
	arg.data_len = (guint32)len;
	arg.data_uptr = (guint64)(guintptr)buf;
	/* without data, the 6.13 struct: every kernel with the ioctl takes it */
	argsz = len > 0 ? sizeof(arg) : HIOD_IOMMU_VIOMMU_ALLOC_SIZE_6_13;
	if (!hiod_iommufd_backend_connect(be, error))
		return NULL;
	if (hiod_kernel_ioctl(hiod_iommufd_backend_get_context(be), hiod_iommufd_backend_get_fd(be),
			      HIOD_IOC(IOMMU_VIOMMU_ALLOC), &arg, argsz, &error_local) < 0) {
		gint errnum = errno;
		hiod_iommufd_backend_disconnect(be);
		if (errnum == EOPNOTSUPP) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "allocating a vIOMMU (%s, type 0x%x) for device %u: the host IOMMU "
				    "driver offers no vIOMMU of that type (%s)",
				    hiod_viommu_type_name(viommu_type), viommu_type, devid,
				    error_local->message);
			return NULL;
		}
		if (errnum == EINVAL)
			g_prefix_error(&error_local, "HWPT %u must be a nesting parent allocated for this "
						     "device, and the flags 0: ", parent_hwpt_id);
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "allocating a vIOMMU (%s, type 0x%x) for device %u on HWPT %u: ",
					   hiod_viommu_type_name(viommu_type), viommu_type, devid,
					   parent_hwpt_id);
		return NULL;
	}
	viommu = g_object_new(HIOD_TYPE_IOMMUFD_VIOMMU, NULL);
	viommu->backend = g_object_ref(be);
	viommu->id = arg.out_viommu_id;
	viommu->type = viommu_type;
	viommu->parent_hwpt_id = parent_hwpt_id;
	viommu->dev_id = devid;
	if (buf != NULL)
		viommu->data = g_bytes_new_take(g_steal_pointer(&buf), len);
	return viommu;
}

/**
 * hiod_iommufd_viommu_get_id:
 * @self: a #HiodIommufdViommu
 *
 * Gets the kernel object id.
 *
 * Returns: the vIOMMU id, 0 once destroyed
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_viommu_get_id(HiodIommufdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), 0);
	return self->id;
}

/**
 * hiod_iommufd_viommu_get_viommu_type:
 * @self: a #HiodIommufdViommu
 *
 * Gets the vIOMMU type.
 *
 * Returns: the IOMMU_VIOMMU_TYPE_*
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_viommu_get_viommu_type(HiodIommufdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), 0);
	return self->type;
}

/**
 * hiod_iommufd_viommu_get_parent_hwpt_id:
 * @self: a #HiodIommufdViommu
 *
 * Gets the nesting-parent HWPT the vIOMMU was made on.
 *
 * Returns: the parent HWPT id
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_viommu_get_parent_hwpt_id(HiodIommufdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), 0);
	return self->parent_hwpt_id;
}

/**
 * hiod_iommufd_viommu_get_dev_id:
 * @self: a #HiodIommufdViommu
 *
 * Gets the device the vIOMMU was made for (which names the physical IOMMU).
 *
 * Returns: the iommufd device id
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_viommu_get_dev_id(HiodIommufdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), 0);
	return self->dev_id;
}

/**
 * hiod_iommufd_viommu_get_data:
 * @self: a #HiodIommufdViommu
 *
 * Gets the driver data as the kernel left it (it may write answers in it:
 * the selftest echoes its input and gives an mmap offset).
 *
 * Returns: (transfer none) (nullable): the data, %NULL when none was given
 *
 * Since: 0.1
 */
GBytes *
hiod_iommufd_viommu_get_data(HiodIommufdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), NULL);
	return self->data;
}

/**
 * hiod_iommufd_viommu_get_backend:
 * @self: a #HiodIommufdViommu
 *
 * Gets the iommufd backend.
 *
 * Returns: (transfer none): the backend
 *
 * Since: 0.1
 */
HiodIommufdBackend *
hiod_iommufd_viommu_get_backend(HiodIommufdViommu *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), NULL);
	return self->backend;
}

/**
 * hiod_iommufd_viommu_destroy:
 * @self: a #HiodIommufdViommu
 * @error: return location for a #GError
 *
 * IOMMU_DESTROY of the vIOMMU. %HIOD_ERROR_BUSY while a vDEVICE, nested
 * HWPT, vEVENTQ or HW queue of it exists (destroy those first); the vIOMMU
 * is then unchanged. Destroying a destroyed vIOMMU succeeds.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_viommu_destroy(HiodIommufdViommu *self, GError **error)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), FALSE);
	if (self->id == 0)
		return TRUE;
	if (!hiod_iommufd_backend_destroy(self->backend, self->id, error)) {
		g_prefix_error(error, "destroying the vIOMMU: ");
		return FALSE;
	}
	self->id = 0;
	return TRUE;
}

/**
 * hiod_iommufd_viommu_alloc_hwpt:
 * @self: a #HiodIommufdViommu
 * @device: the device the HWPT is for (behind the same physical IOMMU)
 * @flags: #HiodHwptAllocFlags (%HIOD_HWPT_ALLOC_FLAGS_NONE for a nested HWPT)
 * @data_type: the vendor's IOMMU_HWPT_DATA_* type of the stage-1 table
 * @data: (nullable) (array length=data_len) (element-type guint8): the stage-1 table data
 * @data_len: bytes of @data
 * @hwpt_id: (out): the new nested HWPT; free it with hiod_iommufd_backend_destroy()
 * @error: return location for a #GError
 *
 * IOMMU_HWPT_ALLOC with the vIOMMU as its parent (pt_id): a nested HWPT
 * whose stage 2 is the vIOMMU's nesting parent. A device attaches to it only
 * once it has a vDEVICE on this vIOMMU (the kernel answers ENOENT before).
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_viommu_alloc_hwpt(HiodIommufdViommu *self, HiodHostIommuDeviceIommufd *device,
			       HiodHwptAllocFlags flags, guint32 data_type, gconstpointer data,
			       gsize data_len, guint32 *hwpt_id, GError **error)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), FALSE);
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(device), FALSE);
	g_return_val_if_fail(hwpt_id != NULL, FALSE);
	if (!hiod_iommufd_viommu_check(self, error))
		return FALSE;
	if (!hiod_iommufd_backend_alloc_hwpt(self->backend,
					     hiod_host_iommu_device_iommufd_get_devid(device), self->id,
					     flags, data_type, data, data_len, hwpt_id, error)) {
		g_prefix_error(error, "vIOMMU %u: ", self->id);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_iommufd_viommu_invalidate:
 * @self: a #HiodIommufdViommu
 * @data_type: the vendor's invalidation type (IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, ...)
 * @entry_len: bytes of one entry
 * @entry_num: (inout): entries in @data; on return, how many the kernel handled
 * @data: (nullable): the entries (commands naming devices by virtual id)
 * @error: return location for a #GError
 *
 * IOMMU_HWPT_INVALIDATE through the vIOMMU: flushes the caches the vIOMMU's
 * commands name (stage-1 TLBs, device caches, descriptor caches). The kernel
 * handles the entries in order and stops at the first it refuses: on failure
 * @entry_num is how many were handled before it, and the error names the
 * refused entry (resubmit from there once it is fixed). With @entry_num 0
 * the call only asks whether the kernel takes @data_type.
 *
 * Returns: %TRUE when every entry was handled
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_viommu_invalidate(HiodIommufdViommu *self, guint32 data_type, guint32 entry_len,
			       guint32 *entry_num, gconstpointer data, GError **error)
{
	struct hiod_iommu_hwpt_invalidate arg = {
	    .data_uptr = (guint64)(guintptr)data,
	    .data_type = data_type,
	    .entry_len = entry_len,
	};
	g_autoptr(GError) error_local = NULL;
	HiodIommufdBackend *be;
	guint32 wanted;

	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), FALSE);
	g_return_val_if_fail(entry_num != NULL, FALSE);
	wanted = *entry_num;
	if (!hiod_iommufd_viommu_check(self, error))
		return FALSE;
	be = self->backend;
	arg.hwpt_id = self->id;
	arg.entry_num = wanted;
	if (hiod_kernel_ioctl(hiod_iommufd_backend_get_context(be), hiod_iommufd_backend_get_fd(be),
			      HIOD_IOC(IOMMU_HWPT_INVALIDATE), &arg, sizeof(arg), &error_local) < 0) {
		*entry_num = MIN(arg.entry_num, wanted);
		if (wanted > 0 && *entry_num > 0)
			g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
						   "invalidating through vIOMMU %u (type 0x%x): entry %u "
						   "of %u refused, the %u before it handled: ",
						   self->id, data_type, *entry_num, wanted, *entry_num);
		else if (wanted > 0)
			g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
						   "invalidating through vIOMMU %u (type 0x%x): none of the "
						   "%u entries handled (the first refused, or the request): ",
						   self->id, data_type, wanted);
		else
			g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
						   "invalidating through vIOMMU %u (type 0x%x): ",
						   self->id, data_type);
		return FALSE;
	}
	*entry_num = arg.entry_num;
	if (arg.entry_num != wanted) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
			    "invalidating through vIOMMU %u: the kernel handled %u of %u entries and "
			    "reported no error",
			    self->id, arg.entry_num, wanted);
		return FALSE;
	}
	return TRUE;
}

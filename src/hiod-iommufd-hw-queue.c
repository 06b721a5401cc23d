/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "hiod-error.h"
#include "hiod-iommufd-viommu-private.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"

/* ------------------------------------------------------------------------- */
/* HiodIommufdHwQueue                                                         */
/* ------------------------------------------------------------------------- */

/**
 * HiodIommufdHwQueue:
 *
 * A hardware queue of a vIOMMU (IOMMU_HW_QUEUE_ALLOC, Linux 6.17; QEMU's
 * iommufd_backend_alloc_hw_queue()): a queue in guest memory (at a guest
 * physical address of the nesting parent's IOAS) that the physical IOMMU
 * reads itself, such as a Tegra241 CMDQV virtual command queue. The kernel
 * pins the queue's memory while the queue exists (unmapping it answers
 * EBUSY) and may require an order: the selftest's and Tegra241's queues are
 * made from index 0 up and destroyed from the last down.
 *
 * Threads: as #HiodIommufdViommu.
 *
 * Since: 0.1
 */
struct _HiodIommufdHwQueue {
	GObject parent_instance;
	HiodIommufdViommu *viommu;
	guint32 id;
	guint32 type;
	guint32 index;
};

G_DEFINE_FINAL_TYPE(HiodIommufdHwQueue, hiod_iommufd_hw_queue, G_TYPE_OBJECT)

static void
hiod_iommufd_hw_queue_finalize(GObject *object)
{
	HiodIommufdHwQueue *self = HIOD_IOMMUFD_HW_QUEUE(object);
	hiod_iommufd_object_destroy_quietly(hiod_iommufd_viommu_get_backend(self->viommu), self->id, "HW queue");
	g_clear_object(&self->viommu);
	G_OBJECT_CLASS(hiod_iommufd_hw_queue_parent_class)->finalize(object);
}

static void
hiod_iommufd_hw_queue_init(HiodIommufdHwQueue *self)
{
}

static void
hiod_iommufd_hw_queue_class_init(HiodIommufdHwQueueClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hiod_iommufd_hw_queue_finalize;
}

/**
 * hiod_iommufd_viommu_alloc_hw_queue:
 * @self: a #HiodIommufdViommu
 * @hw_queue_type: the queue type (%HIOD_IOMMUFD_HW_QUEUE_TYPE_TEGRA241_CMDQV, ...)
 * @index: the queue's index among the vIOMMU's queues of that type
 * @iova: the queue memory's address in the nesting parent (the guest physical address)
 * @length: the queue memory's size in bytes
 * @error: return location for a #GError
 *
 * IOMMU_HW_QUEUE_ALLOC. %HIOD_ERROR_NOT_SUPPORTED before Linux 6.17 or when
 * the driver offers no queue of that type; %HIOD_ERROR_NOT_FOUND when
 * [@iova, @iova + @length) is not mapped; %HIOD_ERROR_EXISTS for an index
 * in use.
 *
 * Returns: (transfer full): the queue, or %NULL
 *
 * Since: 0.1
 */
HiodIommufdHwQueue *
hiod_iommufd_viommu_alloc_hw_queue(HiodIommufdViommu *self, guint32 hw_queue_type, guint32 index,
				   guint64 iova, guint64 length, GError **error)
{
	struct hiod_iommu_hw_queue_alloc arg = {0};
	HiodIommufdHwQueue *q;
	HiodIommufdBackend *be;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), NULL);
	if (!hiod_iommufd_viommu_check(self, error))
		return NULL;
	be = hiod_iommufd_viommu_get_backend(self);
	arg.viommu_id = hiod_iommufd_viommu_get_id(self);
	arg.type = hw_queue_type;
	arg.index = index;
	arg.nesting_parent_iova = iova;
	arg.length = length;
	if (hiod_kernel_ioctl(hiod_iommufd_backend_get_context(be), hiod_iommufd_backend_get_fd(be),
			      HIOD_IOC(IOMMU_HW_QUEUE_ALLOC), &arg, sizeof(arg), &error_local) < 0) {
		gint errnum = errno;
		if (errnum == ENOENT)
			g_prefix_error(&error_local, "the queue memory is not mapped in the nesting "
						     "parent's IOAS: ");
		else if (errnum == EOPNOTSUPP && !g_str_has_prefix(error_local->message, "IOMMU_HW_QUEUE_ALLOC: not"))
			g_prefix_error(&error_local, "the host IOMMU driver offers no HW queue of that type: ");
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "allocating HW queue %u (type 0x%x) at IOVA 0x%" G_GINT64_MODIFIER
					   "x+0x%" G_GINT64_MODIFIER "x on vIOMMU %u: ",
					   index, hw_queue_type, iova, length, hiod_iommufd_viommu_get_id(self));
		return NULL;
	}
	q = g_object_new(HIOD_TYPE_IOMMUFD_HW_QUEUE, NULL);
	q->viommu = g_object_ref(self);
	q->id = arg.out_hw_queue_id;
	q->type = hw_queue_type;
	q->index = index;
	return q;
}

/**
 * hiod_iommufd_hw_queue_get_id:
 * @self: a #HiodIommufdHwQueue
 *
 * Gets the kernel object id.
 *
 * Returns: the HW queue id, 0 once destroyed
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_hw_queue_get_id(HiodIommufdHwQueue *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_HW_QUEUE(self), 0);
	return self->id;
}

/**
 * hiod_iommufd_hw_queue_get_index:
 * @self: a #HiodIommufdHwQueue
 *
 * Gets the queue's index.
 *
 * Returns: the index
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_hw_queue_get_index(HiodIommufdHwQueue *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_HW_QUEUE(self), 0);
	return self->index;
}

/**
 * hiod_iommufd_hw_queue_get_hw_queue_type:
 * @self: a #HiodIommufdHwQueue
 *
 * Gets the queue type.
 *
 * Returns: the IOMMU_HW_QUEUE_TYPE_*
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_hw_queue_get_hw_queue_type(HiodIommufdHwQueue *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_HW_QUEUE(self), 0);
	return self->type;
}

/**
 * hiod_iommufd_hw_queue_destroy:
 * @self: a #HiodIommufdHwQueue
 * @error: return location for a #GError
 *
 * IOMMU_DESTROY of the queue (which unpins its memory). %HIOD_ERROR_BUSY
 * while a later queue depends on it. Destroying a destroyed queue succeeds.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_hw_queue_destroy(HiodIommufdHwQueue *self, GError **error)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_HW_QUEUE(self), FALSE);
	if (self->id == 0)
		return TRUE;
	if (!hiod_iommufd_backend_destroy(hiod_iommufd_viommu_get_backend(self->viommu), self->id, error)) {
		g_prefix_error(error, "destroying HW queue %u: ", self->index);
		return FALSE;
	}
	self->id = 0;
	return TRUE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "hiod-error.h"
#include "hiod-iommufd-viommu.h"
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

static void
hiod_iommufd_object_destroy_quietly(HiodIommufdBackend *be, guint32 id, const gchar *what)
{
	g_autoptr(GError) error = NULL;
	if (id == 0 || be == NULL)
		return;
	if (!hiod_iommufd_backend_destroy(be, id, &error))
		g_debug("%s %u left to the iommufd context: %s", what, id, error->message);
}

/* ------------------------------------------------------------------------- */
/* HiodIommufdVevent                                                          */
/* ------------------------------------------------------------------------- */

struct _HiodIommufdVevent {
	guint32 type;
	guint32 flags;
	guint32 sequence;
	guint32 lost_before;
	GBytes *data;
};

G_DEFINE_BOXED_TYPE(HiodIommufdVevent, hiod_iommufd_vevent, hiod_iommufd_vevent_copy,
		    hiod_iommufd_vevent_free)

/**
 * hiod_iommufd_vevent_copy:
 * @event: a #HiodIommufdVevent
 *
 * Copies an event.
 *
 * Returns: (transfer full): a copy
 *
 * Since: 0.1
 */
HiodIommufdVevent *
hiod_iommufd_vevent_copy(const HiodIommufdVevent *event)
{
	HiodIommufdVevent *copy;
	g_return_val_if_fail(event != NULL, NULL);
	copy = g_new0(HiodIommufdVevent, 1);
	*copy = *event;
	if (copy->data != NULL)
		g_bytes_ref(copy->data);
	return copy;
}

/**
 * hiod_iommufd_vevent_free:
 * @event: (nullable): a #HiodIommufdVevent
 *
 * Frees an event.
 *
 * Since: 0.1
 */
void
hiod_iommufd_vevent_free(HiodIommufdVevent *event)
{
	if (event == NULL)
		return;
	g_clear_pointer(&event->data, g_bytes_unref);
	g_free(event);
}

/**
 * hiod_iommufd_vevent_get_veventq_type:
 * @event: a #HiodIommufdVevent
 *
 * Gets the type of the queue the event came from (IOMMU_VEVENTQ_TYPE_*).
 *
 * Returns: the queue type
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_vevent_get_veventq_type(const HiodIommufdVevent *event)
{
	g_return_val_if_fail(event != NULL, 0);
	return event->type;
}

/**
 * hiod_iommufd_vevent_get_sequence:
 * @event: a #HiodIommufdVevent
 *
 * Gets the header's sequence number (the kernel numbers every event of a
 * queue, lost ones too, modulo 2^32).
 *
 * Returns: the sequence number
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_vevent_get_sequence(const HiodIommufdVevent *event)
{
	g_return_val_if_fail(event != NULL, 0);
	return event->sequence;
}

/**
 * hiod_iommufd_vevent_get_flags:
 * @event: a #HiodIommufdVevent
 *
 * Gets the header's flags (bit 0: IOMMU_VEVENTQ_FLAG_LOST_EVENTS).
 *
 * Returns: the flags
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_vevent_get_flags(const HiodIommufdVevent *event)
{
	g_return_val_if_fail(event != NULL, 0);
	return event->flags;
}

/**
 * hiod_iommufd_vevent_is_lost_events:
 * @event: a #HiodIommufdVevent
 *
 * Tells whether this is the kernel's lost-events marker: the queue
 * overflowed (more events than its depth) and events from this sequence
 * number on were dropped. The marker carries no data.
 *
 * Returns: %TRUE for the lost-events marker
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_vevent_is_lost_events(const HiodIommufdVevent *event)
{
	g_return_val_if_fail(event != NULL, FALSE);
	return (event->flags & HIOD_IOMMU_VEVENTQ_FLAG_LOST_EVENTS) != 0;
}

/**
 * hiod_iommufd_vevent_get_lost_before:
 * @event: a #HiodIommufdVevent
 *
 * Gets how many events were lost between the previous event read from the
 * same queue and this one (a gap in the sequence numbers); 0 for the first
 * event read.
 *
 * Returns: the number of events lost just before this one
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_vevent_get_lost_before(const HiodIommufdVevent *event)
{
	g_return_val_if_fail(event != NULL, 0);
	return event->lost_before;
}

/**
 * hiod_iommufd_vevent_get_data:
 * @event: a #HiodIommufdVevent
 *
 * Gets the type's raw data (as the kernel wrote it: SMMUv3 and Tegra
 * records are little endian).
 *
 * Returns: (transfer none) (nullable): the data; %NULL for the lost-events marker
 *
 * Since: 0.1
 */
GBytes *
hiod_iommufd_vevent_get_data(const HiodIommufdVevent *event)
{
	g_return_val_if_fail(event != NULL, NULL);
	return event->data;
}

static const guint8 *
hiod_iommufd_vevent_bytes(const HiodIommufdVevent *event, gsize want)
{
	gsize len = 0;
	const guint8 *p;
	if (event->data == NULL)
		return NULL;
	p = g_bytes_get_data(event->data, &len);
	return len >= want ? p : NULL;
}

static guint64
hiod_le64_at(const guint8 *p, guint i)
{
	guint64 v;
	memcpy(&v, p + 8 * i, sizeof(v));
	return GUINT64_FROM_LE(v);
}

/**
 * hiod_iommufd_vevent_get_virt_id:
 * @event: a #HiodIommufdVevent
 * @virt_id: (out) (optional): the virtual device id the event is about
 *
 * Gets the virtual device id (the vDEVICE's, as the guest knows the device)
 * the event names: the selftest event's virt_id, the StreamID of an SMMUv3
 * event record (bits 63:32 of its first word; the kernel puts the vSID
 * there).
 *
 * Returns: %TRUE when the event's type names a device
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_vevent_get_virt_id(const HiodIommufdVevent *event, guint64 *virt_id)
{
	const guint8 *p;
	g_return_val_if_fail(event != NULL, FALSE);
	switch (event->type) {
	case HIOD_IOMMU_VEVENTQ_TYPE_SELFTEST:
		if ((p = hiod_iommufd_vevent_bytes(event, 4)) == NULL)
			return FALSE;
		if (virt_id != NULL) {
			guint32 v;
			memcpy(&v, p, sizeof(v));
			*virt_id = v;
		}
		return TRUE;
	case HIOD_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		if ((p = hiod_iommufd_vevent_bytes(event, 32)) == NULL)
			return FALSE;
		if (virt_id != NULL)
			*virt_id = hiod_le64_at(p, 0) >> 32;
		return TRUE;
	default:
		return FALSE;
	}
}

/**
 * hiod_iommufd_vevent_get_smmuv3_event_id:
 * @event: a #HiodIommufdVevent
 *
 * Gets the event number of an SMMUv3 event record (bits 7:0 of its first
 * word: 0x10 F_TRANSLATION, 0x11 F_ADDR_SIZE, 0x12 F_ACCESS, 0x13
 * F_PERMISSION, ...).
 *
 * Returns: the event number, 0 when the event is not an SMMUv3 record
 *
 * Since: 0.1
 */
guint
hiod_iommufd_vevent_get_smmuv3_event_id(const HiodIommufdVevent *event)
{
	const guint8 *p;
	g_return_val_if_fail(event != NULL, 0);
	if (event->type != HIOD_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 ||
	    (p = hiod_iommufd_vevent_bytes(event, 32)) == NULL)
		return 0;
	return hiod_le64_at(p, 0) & 0xff;
}

/**
 * hiod_iommufd_vevent_to_string:
 * @event: a #HiodIommufdVevent
 *
 * Describes the event in one line.
 *
 * Returns: (transfer full): the description
 *
 * Since: 0.1
 */
gchar *
hiod_iommufd_vevent_to_string(const HiodIommufdVevent *event)
{
	GString *s;
	const guint8 *p;
	guint64 virt_id = 0;

	g_return_val_if_fail(event != NULL, NULL);
	s = g_string_new(NULL);
	g_string_append_printf(s, "#%u", event->sequence);
	if (event->lost_before > 0)
		g_string_append_printf(s, " (%u lost before it)", event->lost_before);
	if (hiod_iommufd_vevent_is_lost_events(event)) {
		g_string_append(s, " lost events: the queue overflowed");
		return g_string_free(s, FALSE);
	}
	switch (event->type) {
	case HIOD_IOMMU_VEVENTQ_TYPE_SELFTEST:
		if (hiod_iommufd_vevent_get_virt_id(event, &virt_id))
			g_string_append_printf(s, " selftest event of virtual device 0x%" G_GINT64_MODIFIER "x",
					       virt_id);
		break;
	case HIOD_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		if ((p = hiod_iommufd_vevent_bytes(event, 32)) != NULL)
			g_string_append_printf(s,
					       " SMMUv3 event 0x%02x, StreamID 0x%x, record %016" G_GINT64_MODIFIER
					       "x %016" G_GINT64_MODIFIER "x %016" G_GINT64_MODIFIER
					       "x %016" G_GINT64_MODIFIER "x",
					       (guint)(hiod_le64_at(p, 0) & 0xff),
					       (guint)(hiod_le64_at(p, 0) >> 32), hiod_le64_at(p, 0),
					       hiod_le64_at(p, 1), hiod_le64_at(p, 2), hiod_le64_at(p, 3));
		break;
	case HIOD_IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
		if ((p = hiod_iommufd_vevent_bytes(event, 16)) != NULL)
			g_string_append_printf(s,
					       " Tegra241 CMDQV error map %016" G_GINT64_MODIFIER
					       "x %016" G_GINT64_MODIFIER "x",
					       hiod_le64_at(p, 0), hiod_le64_at(p, 1));
		break;
	default:
		g_string_append_printf(s, " event of type 0x%x", event->type);
	}
	return g_string_free(s, FALSE);
}

/* bytes of data after each header, by queue type; 0: hiod does not know the type */
static gsize
hiod_iommufd_vevent_data_size(guint32 type)
{
	switch (type) {
	case HIOD_IOMMU_VEVENTQ_TYPE_SELFTEST:
		return sizeof(struct hiod_iommu_viommu_event_selftest);
	case HIOD_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		return sizeof(struct hiod_iommu_vevent_arm_smmuv3);
	case HIOD_IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
		return sizeof(struct hiod_iommu_vevent_tegra241_cmdqv);
	default:
		return 0;
	}
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

static gboolean
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
				    "allocating a %s vIOMMU (type 0x%x) for device %u: the host IOMMU "
				    "driver offers no vIOMMU of that type (%s)",
				    hiod_viommu_type_name(viommu_type), viommu_type, devid,
				    error_local->message);
			return NULL;
		}
		if (errnum == EINVAL)
			g_prefix_error(&error_local, "HWPT %u must be a nesting parent allocated for this "
						     "device, and the flags 0: ", parent_hwpt_id);
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "allocating a %s vIOMMU (type 0x%x) for device %u on HWPT %u: ",
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
		g_prefix_error(error, "on vIOMMU %u: ", self->id);
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
		if (wanted > 0 && *entry_num < wanted)
			g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
						   "invalidating through vIOMMU %u (type 0x%x): entry %u "
						   "of %u refused, the %u before it handled: ",
						   self->id, data_type, *entry_num, wanted, *entry_num);
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
	be = self->backend;
	arg.viommu_id = self->id;
	arg.dev_id = hiod_host_iommu_device_iommufd_get_devid(device);
	arg.virt_id = virt_id;
	if (hiod_kernel_ioctl(hiod_iommufd_backend_get_context(be), hiod_iommufd_backend_get_fd(be),
			      HIOD_IOC(IOMMU_VDEVICE_ALLOC), &arg, sizeof(arg), error) < 0) {
		g_prefix_error(error, "allocating a vDEVICE (virtual id 0x%" G_GINT64_MODIFIER
				      "x) for device %u on vIOMMU %u: ",
			       virt_id, arg.dev_id, self->id);
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
 * IOMMU_DESTROY of the vDEVICE. %HIOD_ERROR_BUSY while the device is
 * attached to a nested HWPT of the vIOMMU. When the kernel destroyed it
 * already (the device left iommufd) this succeeds.
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
	if (!hiod_iommufd_backend_destroy(self->viommu->backend, self->id, &error_local)) {
		if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_FOUND)) {
			/* the kernel's tombstone: the device went first and took it */
			g_debug("vDEVICE %u: gone with its device", self->id);
			self->id = 0;
			return TRUE;
		}
		if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_BUSY))
			g_prefix_error(&error_local, "the device is attached to a nested HWPT of the "
						     "vIOMMU (move it off first): ");
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "destroying the vDEVICE of device %u: ", self->dev_id);
		return FALSE;
	}
	self->id = 0;
	return TRUE;
}

/* ------------------------------------------------------------------------- */
/* HiodIommufdVeventq                                                         */
/* ------------------------------------------------------------------------- */

/**
 * HiodIommufdVeventq:
 *
 * A vEVENTQ (IOMMU_VEVENTQ_ALLOC, Linux 6.15; QEMU's
 * iommufd_backend_alloc_veventq()): the queue through which the host IOMMU
 * driver reports a vIOMMU's events (for SMMUv3, the event records of the
 * guest's devices, with virtual StreamIDs) for the VMM to give the guest.
 * One per type per vIOMMU. Read it with hiod_iommufd_veventq_read() when
 * its fd is readable; hiod_iommufd_veventq_create_source() makes the
 * #GSource that says when. Each event carries the kernel's sequence number;
 * a gap in them (events lost before this one, hiod_iommufd_vevent_get_lost_before())
 * or the kernel's lost-events marker (hiod_iommufd_vevent_is_lost_events())
 * says the queue overflowed its depth.
 *
 * Threads: as #HiodIommufdViommu; read() is locked (one reader at a time
 * keeps the sequence bookkeeping).
 *
 * Since: 0.1
 */
struct _HiodIommufdVeventq {
	GObject parent_instance;
	HiodIommufdViommu *viommu;
	guint32 id;
	guint32 type;
	guint32 depth;
	gint fd;
	GMutex lock; /* last_sequence, have_sequence */
	gboolean have_sequence;
	guint32 last_sequence;
};

G_DEFINE_FINAL_TYPE(HiodIommufdVeventq, hiod_iommufd_veventq, G_TYPE_OBJECT)

static void
hiod_iommufd_veventq_finalize(GObject *object)
{
	HiodIommufdVeventq *self = HIOD_IOMMUFD_VEVENTQ(object);
	if (self->id != 0 || self->fd >= 0) {
		g_autoptr(GError) error = NULL;
		if (!hiod_iommufd_veventq_destroy(self, &error))
			g_debug("vEVENTQ %u left to the iommufd context: %s", self->id, error->message);
	}
	g_clear_object(&self->viommu);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(hiod_iommufd_veventq_parent_class)->finalize(object);
}

static void
hiod_iommufd_veventq_init(HiodIommufdVeventq *self)
{
	self->fd = -1;
	g_mutex_init(&self->lock);
}

static void
hiod_iommufd_veventq_class_init(HiodIommufdVeventqClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hiod_iommufd_veventq_finalize;
}

/**
 * hiod_iommufd_viommu_alloc_veventq:
 * @self: a #HiodIommufdViommu
 * @veventq_type: the queue type (%HIOD_IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3, ...)
 * @depth: the most events the queue holds before it loses some (1 to 2^19)
 * @error: return location for a #GError
 *
 * IOMMU_VEVENTQ_ALLOC. %HIOD_ERROR_EXISTS when the vIOMMU has a queue of
 * that type; %HIOD_ERROR_INVALID_ARGUMENT for a depth out of range;
 * %HIOD_ERROR_NOT_SUPPORTED before Linux 6.15, or for a type the driver
 * does not report.
 *
 * Returns: (transfer full): the queue, or %NULL
 *
 * Since: 0.1
 */
HiodIommufdVeventq *
hiod_iommufd_viommu_alloc_veventq(HiodIommufdViommu *self, guint32 veventq_type, guint32 depth,
				  GError **error)
{
	struct hiod_iommu_veventq_alloc arg = {0};
	HiodIommufdVeventq *q;
	HiodIommufdBackend *be;
	HiodContext *ctx;

	g_return_val_if_fail(HIOD_IS_IOMMUFD_VIOMMU(self), NULL);
	if (!hiod_iommufd_viommu_check(self, error))
		return NULL;
	if (veventq_type != HIOD_IOMMU_VEVENTQ_TYPE_DEFAULT &&
	    hiod_iommufd_vevent_data_size(veventq_type) == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "allocating a vEVENTQ of type 0x%x: hiod cannot decode that type's events "
			    "(it knows SMMUv3, Tegra241 CMDQV and the selftest's)",
			    veventq_type);
		return NULL;
	}
	be = self->backend;
	ctx = hiod_iommufd_backend_get_context(be);
	arg.viommu_id = self->id;
	arg.type = veventq_type;
	arg.veventq_depth = depth;
	if (hiod_kernel_ioctl(ctx, hiod_iommufd_backend_get_fd(be), HIOD_IOC(IOMMU_VEVENTQ_ALLOC),
			      &arg, sizeof(arg), error) < 0) {
		if (errno == EINVAL)
			g_prefix_error(error, "the depth must be 1 to 2^19: ");
		g_prefix_error(error, "allocating a vEVENTQ (type 0x%x, depth %u) on vIOMMU %u: ",
			       veventq_type, depth, self->id);
		return NULL;
	}
	hiod_kernel_adopt_fd(ctx, (gint)arg.out_veventq_fd);
	q = g_object_new(HIOD_TYPE_IOMMUFD_VEVENTQ, NULL);
	q->viommu = g_object_ref(self);
	q->id = arg.out_veventq_id;
	q->fd = (gint)arg.out_veventq_fd;
	q->type = veventq_type;
	q->depth = depth;
	return q;
}

/**
 * hiod_iommufd_veventq_get_id:
 * @self: a #HiodIommufdVeventq
 *
 * Gets the kernel object id.
 *
 * Returns: the vEVENTQ id, 0 once destroyed
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_veventq_get_id(HiodIommufdVeventq *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VEVENTQ(self), 0);
	return self->id;
}

/**
 * hiod_iommufd_veventq_get_veventq_type:
 * @self: a #HiodIommufdVeventq
 *
 * Gets the queue type.
 *
 * Returns: the IOMMU_VEVENTQ_TYPE_*
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_veventq_get_veventq_type(HiodIommufdVeventq *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VEVENTQ(self), 0);
	return self->type;
}

/**
 * hiod_iommufd_veventq_get_depth:
 * @self: a #HiodIommufdVeventq
 *
 * Gets the depth the queue was made with.
 *
 * Returns: the depth
 *
 * Since: 0.1
 */
guint32
hiod_iommufd_veventq_get_depth(HiodIommufdVeventq *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VEVENTQ(self), 0);
	return self->depth;
}

/**
 * hiod_iommufd_veventq_get_fd:
 * @self: a #HiodIommufdVeventq
 *
 * Gets the queue's fd, readable (poll POLLIN) while events wait; for a
 * caller's own poll loop. hiod owns it: do not read or close it.
 *
 * Returns: the fd, -1 once destroyed
 *
 * Since: 0.1
 */
gint
hiod_iommufd_veventq_get_fd(HiodIommufdVeventq *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VEVENTQ(self), -1);
	return self->fd;
}

#define HIOD_VEVENTQ_READ_EVENTS 64u

/**
 * hiod_iommufd_veventq_read:
 * @self: a #HiodIommufdVeventq
 * @error: return location for a #GError
 *
 * Reads the events waiting in the queue (at most 64 a call: call again
 * while the fd stays readable). It does not block: an empty queue gives an
 * empty array.
 *
 * Returns: (transfer full) (element-type HiodIommufdVevent): the events,
 *   oldest first, or %NULL on error
 *
 * Since: 0.1
 */
GPtrArray *
hiod_iommufd_veventq_read(HiodIommufdVeventq *self, GError **error)
{
	const gsize hdr = sizeof(struct hiod_iommufd_vevent_header);
	gsize data_size, cap;
	g_autofree guint8 *buf = NULL;
	g_autoptr(GPtrArray) out = NULL;
	g_autoptr(GMutexLocker) locker = NULL;
	HiodContext *ctx;
	gssize n;
	gsize off = 0;

	g_return_val_if_fail(HIOD_IS_IOMMUFD_VEVENTQ(self), NULL);
	if (self->fd < 0) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "reading a vEVENTQ: it was destroyed");
		return NULL;
	}
	data_size = hiod_iommufd_vevent_data_size(self->type);
	cap = HIOD_VEVENTQ_READ_EVENTS * (hdr + data_size);
	buf = g_malloc0(cap);
	ctx = hiod_iommufd_backend_get_context(self->viommu->backend);
	locker = g_mutex_locker_new(&self->lock);
	n = hiod_kernel_read(ctx, self->fd, buf, cap, error);
	if (n < 0) {
		g_prefix_error(error, "reading vEVENTQ %u: ", self->id);
		return NULL;
	}
	out = g_ptr_array_new_with_free_func((GDestroyNotify)hiod_iommufd_vevent_free);
	while (off < (gsize)n) {
		struct hiod_iommufd_vevent_header h;
		HiodIommufdVevent *ev;
		gboolean lost;

		if ((gsize)n - off < hdr) {
			hiod_kernel_set_bad_reply(error, "read of a vEVENTQ",
						  "%zu bytes left after %u events, less than a header",
						  (gsize)n - off, out->len);
			return NULL;
		}
		memcpy(&h, buf + off, hdr);
		off += hdr;
		lost = (h.flags & HIOD_IOMMU_VEVENTQ_FLAG_LOST_EVENTS) != 0;
		ev = g_new0(HiodIommufdVevent, 1);
		ev->type = self->type;
		ev->flags = h.flags;
		ev->sequence = h.sequence;
		if (self->have_sequence && h.sequence - self->last_sequence > 1)
			ev->lost_before = h.sequence - self->last_sequence - 1;
		self->have_sequence = TRUE;
		self->last_sequence = h.sequence;
		if (!lost) {
			if ((gsize)n - off < data_size) {
				hiod_iommufd_vevent_free(ev);
				hiod_kernel_set_bad_reply(error, "read of a vEVENTQ",
							  "event #%u is cut short (%zu of %zu data bytes)",
							  h.sequence, (gsize)n - off, data_size);
				return NULL;
			}
			ev->data = g_bytes_new(buf + off, data_size);
			off += data_size;
		}
		g_ptr_array_add(out, ev);
	}
	return g_steal_pointer(&out);
}

typedef struct {
	GSource source;
	gpointer tag;
} HiodVeventqSource;

static gboolean
hiod_veventq_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	HiodVeventqSource *s = (HiodVeventqSource *)source;
	if (!(g_source_query_unix_fd(source, s->tag) & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
		return G_SOURCE_CONTINUE;
	if (callback == NULL)
		return G_SOURCE_REMOVE;
	return callback(user_data);
}

static GSourceFuncs hiod_veventq_source_funcs = {
    .dispatch = hiod_veventq_source_dispatch,
};

/**
 * hiod_iommufd_veventq_create_source:
 * @self: a #HiodIommufdVeventq
 *
 * Makes a #GSource that dispatches while events wait in the queue. Its
 * callback is a plain #GSourceFunc (g_source_set_callback()): it should
 * call hiod_iommufd_veventq_read() (or the source dispatches again at once)
 * and return %G_SOURCE_CONTINUE to keep watching. Destroy the source before
 * the queue.
 *
 * Returns: (transfer full): the source, not attached to a context
 *
 * Since: 0.1
 */
GSource *
hiod_iommufd_veventq_create_source(HiodIommufdVeventq *self)
{
	GSource *source;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VEVENTQ(self), NULL);
	g_return_val_if_fail(self->fd >= 0, NULL);
	source = g_source_new(&hiod_veventq_source_funcs, sizeof(HiodVeventqSource));
	g_source_set_static_name(source, "hiod vEVENTQ");
	((HiodVeventqSource *)source)->tag = g_source_add_unix_fd(source, self->fd, G_IO_IN);
	return source;
}

/**
 * hiod_iommufd_veventq_destroy:
 * @self: a #HiodIommufdVeventq
 * @error: return location for a #GError
 *
 * Closes the queue's fd and destroys it (IOMMU_DESTROY). Events not read are
 * lost. Destroying a destroyed queue succeeds.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_veventq_destroy(HiodIommufdVeventq *self, GError **error)
{
	HiodIommufdBackend *be;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_VEVENTQ(self), FALSE);
	be = self->viommu->backend;
	/* the fd holds the object busy: it goes first */
	if (self->fd >= 0) {
		hiod_kernel_close(hiod_iommufd_backend_get_context(be), self->fd);
		self->fd = -1;
	}
	if (self->id == 0)
		return TRUE;
	if (!hiod_iommufd_backend_destroy(be, self->id, error)) {
		g_prefix_error(error, "destroying the vEVENTQ: ");
		return FALSE;
	}
	self->id = 0;
	return TRUE;
}

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
	hiod_iommufd_object_destroy_quietly(self->viommu->backend, self->id, "HW queue");
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
	be = self->backend;
	arg.viommu_id = self->id;
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
					   index, hw_queue_type, iova, length, self->id);
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
	if (!hiod_iommufd_backend_destroy(self->viommu->backend, self->id, error)) {
		g_prefix_error(error, "destroying HW queue %u: ", self->index);
		return FALSE;
	}
	self->id = 0;
	return TRUE;
}

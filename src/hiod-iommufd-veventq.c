/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "hiod-error.h"
#include "hiod-iommufd-viommu-private.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"

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
	be = hiod_iommufd_viommu_get_backend(self);
	ctx = hiod_iommufd_backend_get_context(be);
	arg.viommu_id = hiod_iommufd_viommu_get_id(self);
	arg.type = veventq_type;
	arg.veventq_depth = depth;
	if (hiod_kernel_ioctl(ctx, hiod_iommufd_backend_get_fd(be), HIOD_IOC(IOMMU_VEVENTQ_ALLOC),
			      &arg, sizeof(arg), error) < 0) {
		if (errno == EINVAL)
			g_prefix_error(error, "the depth must be 1 to 2^19: ");
		g_prefix_error(error, "allocating a vEVENTQ (type 0x%x, depth %u) on vIOMMU %u: ",
			       veventq_type, depth, hiod_iommufd_viommu_get_id(self));
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
	ctx = hiod_iommufd_backend_get_context(hiod_iommufd_viommu_get_backend(self->viommu));
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
	be = hiod_iommufd_viommu_get_backend(self->viommu);
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

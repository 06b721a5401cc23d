/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-hot-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "hiod-error.h"
#include "hiod-iommufd-backend.h"
#include "hiod-iova-range.h"
#include "hiod-backend-private.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"

/**
 * HiodIommufdBackend:
 *
 * One iommufd context (QEMU's IOMMUFDBackend): the /dev/iommu fd that every
 * iommufd container of a process shares. The fd is opened when the first
 * user connects and closed when the last one leaves; or it is adopted from
 * the caller (fd passing, for a process that may not open /dev/iommu), in
 * which case the caller keeps owning it and the backend never closes it.
 *
 * Each wrapper below is one ioctl on the fd, typed, with the kernel's words
 * kept in the error.
 *
 * Threads: connecting and disconnecting (what containers do when their first
 * device attaches and their last leaves) are locked; every other call is one
 * ioctl on the shared fd and may be made from any thread while a user keeps
 * the backend connected. hiod_iommufd_backend_get_default() is not locked:
 * for one context, call it from one thread at a time.
 *
 * Since: 0.1
 */

struct _HiodIommufdBackend {
	GObject parent_instance;
	HiodContext *ctx;
	GMutex lock; /* fd, users */
	gint fd;
	gboolean owned;
	gboolean close_fd; /* an fd handed over (live update): the backend's to close */
	gint map_file;	   /* atomic: 0 not tried, 1 works, -1 the kernel lacks IOMMU_IOAS_MAP_FILE */
	guint users;
};

enum {
	PROP_0,
	PROP_CONTEXT,
	PROP_FD,
	N_PROPS,
};
static GParamSpec *props[N_PROPS];

static void hiod_iommufd_backend_initable_iface_init(GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HiodIommufdBackend, hiod_iommufd_backend, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(G_TYPE_INITABLE,
						    hiod_iommufd_backend_initable_iface_init))

/* HIOD_IS_IOMMUFD_BACKEND() for the map paths: no call once the class has passed */
static HiodClassCache hiod_iommufd_backend_checked;
#define HIOD_IS_IOMMUFD_BACKEND_FAST(o) \
	hiod_instance_is_a_fast((o), hiod_iommufd_backend_get_type, &hiod_iommufd_backend_checked)

/**
 * hiod_iommufd_hw_info_clear:
 * @info: a #HiodIommufdHwInfo
 *
 * Frees what @info holds.
 *
 * Since: 0.1
 */
void
hiod_iommufd_hw_info_clear(HiodIommufdHwInfo *info)
{
	g_clear_pointer(&info->data, g_bytes_unref);
}

/**
 * hiod_iommufd_backend_new:
 * @ctx: a #HiodContext
 * @error: return location for a #GError
 *
 * Makes a backend that opens <dev>/iommu on first use. Fails with
 * %HIOD_ERROR_NOT_SUPPORTED when the host has no /dev/iommu.
 *
 * Returns: (transfer full): a new #HiodIommufdBackend, or %NULL
 *
 * Since: 0.1
 */
HiodIommufdBackend *
hiod_iommufd_backend_new(HiodContext *ctx, GError **error)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	return g_initable_new(HIOD_TYPE_IOMMUFD_BACKEND, NULL, error, "context", ctx, NULL);
}

/**
 * hiod_iommufd_backend_new_from_fd:
 * @ctx: a #HiodContext
 * @fd: an open /dev/iommu fd; the caller keeps owning it and keeps it open
 *   while the backend lives
 * @error: return location for a #GError
 *
 * Makes a backend on an iommufd the caller passes in.
 *
 * Returns: (transfer full): a new #HiodIommufdBackend, or %NULL
 *
 * Since: 0.1
 */
HiodIommufdBackend *
hiod_iommufd_backend_new_from_fd(HiodContext *ctx, gint fd, GError **error)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	if (fd < 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%d is not an iommufd file descriptor", fd);
		return NULL;
	}
	return g_initable_new(HIOD_TYPE_IOMMUFD_BACKEND, NULL, error, "context", ctx, "fd", fd, NULL);
}

#define HIOD_IOMMUFD_DEFAULT_KEY "hiod-iommufd-backend-default"

static void
hiod_iommufd_backend_default_gone(gpointer data, GObject *where_the_object_was)
{
	HiodContext *ctx = data;
	if (g_object_get_data(G_OBJECT(ctx), HIOD_IOMMUFD_DEFAULT_KEY) == where_the_object_was)
		g_object_set_data(G_OBJECT(ctx), HIOD_IOMMUFD_DEFAULT_KEY, NULL);
}

/**
 * hiod_iommufd_backend_get_default:
 * @ctx: a #HiodContext
 * @error: return location for a #GError
 *
 * The backend that the containers of @ctx share (one iommufd per context, so
 * that IOAS copy works between them); made on first use, and gone when its
 * last user drops it.
 *
 * Returns: (transfer full): the shared #HiodIommufdBackend, or %NULL
 *
 * Since: 0.1
 */
HiodIommufdBackend *
hiod_iommufd_backend_get_default(HiodContext *ctx, GError **error)
{
	HiodIommufdBackend *self;
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	self = g_object_get_data(G_OBJECT(ctx), HIOD_IOMMUFD_DEFAULT_KEY);
	if (self != NULL)
		return g_object_ref(self);
	self = hiod_iommufd_backend_new(ctx, error);
	if (self == NULL)
		return NULL;
	/* weak both ways: the backend holds the context, not the reverse */
	g_object_set_data(G_OBJECT(ctx), HIOD_IOMMUFD_DEFAULT_KEY, self);
	g_object_weak_ref(G_OBJECT(self), hiod_iommufd_backend_default_gone, ctx);
	return self;
}

/**
 * hiod_iommufd_backend_get_context:
 * @self: a #HiodIommufdBackend
 *
 * Gets the context.
 *
 * Returns: (transfer none): the context
 *
 * Since: 0.1
 */
HiodContext *
hiod_iommufd_backend_get_context(HiodIommufdBackend *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), NULL);
	return self->ctx;
}

/**
 * hiod_iommufd_backend_connect:
 * @self: a #HiodIommufdBackend
 * @error: return location for a #GError
 *
 * Adds a user; the first one opens /dev/iommu (unless the fd was passed in).
 * On failure the user count is unchanged.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_connect(HiodIommufdBackend *self, GError **error)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	locker = g_mutex_locker_new(&self->lock);
	if (self->users == 0 && self->owned) {
		g_autofree gchar *path = hiod_context_build_dev_path(self->ctx, "iommu", NULL);
		gint fd = hiod_kernel_open(self->ctx, path, O_RDWR, error);
		if (fd < 0) {
			g_prefix_error(error, "opening the iommufd: ");
			return FALSE;
		}
		self->fd = fd;
	}
	self->users++;
	return TRUE;
}

/**
 * hiod_iommufd_backend_disconnect:
 * @self: a #HiodIommufdBackend
 *
 * Drops a user; the last one closes the fd the backend opened (which
 * destroys every object left in that iommufd context).
 *
 * Since: 0.1
 */
void
hiod_iommufd_backend_disconnect(HiodIommufdBackend *self)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_if_fail(HIOD_IS_IOMMUFD_BACKEND(self));
	locker = g_mutex_locker_new(&self->lock);
	g_return_if_fail(self->users > 0);
	if (--self->users == 0 && self->owned) {
		hiod_kernel_close(self->ctx, self->fd);
		self->fd = -1;
	}
}

/**
 * hiod_iommufd_backend_get_users:
 * @self: a #HiodIommufdBackend
 *
 * Gets how many users are connected.
 *
 * Returns: how many users are connected
 *
 * Since: 0.1
 */
guint
hiod_iommufd_backend_get_users(HiodIommufdBackend *self)
{
	guint n;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), 0);
	g_mutex_lock(&self->lock);
	n = self->users;
	g_mutex_unlock(&self->lock);
	return n;
}

/**
 * hiod_iommufd_backend_get_fd:
 * @self: a #HiodIommufdBackend
 *
 * Gets the iommufd, -1 while nobody is connected (an fd passed in is always there).
 *
 * Returns: the iommufd, -1 while nobody is connected (an fd passed in is always there)
 *
 * Since: 0.1
 */
gint
hiod_iommufd_backend_get_fd(HiodIommufdBackend *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), -1);
	return self->fd;
}

/**
 * hiod_iommufd_backend_is_owned:
 * @self: a #HiodIommufdBackend
 *
 * Tells whether %TRUE when the backend opens and closes the fd itself, %FALSE when it was passed in.
 *
 * Returns: %TRUE when the backend opens and closes the fd itself, %FALSE
 * when it was passed in
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_is_owned(HiodIommufdBackend *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	return self->owned;
}

/* the wrappers ------------------------------------------------------------------ */

HIOD_HOT static inline gboolean
hiod_iommufd_backend_check(HiodIommufdBackend *self, GError **error)
{
	if (G_LIKELY(self->fd >= 0))
		return TRUE;
	g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "the iommufd backend is not connected: no /dev/iommu fd open");
	return FALSE;
}

/**
 * hiod_iommufd_backend_alloc_ioas:
 * @self: a connected #HiodIommufdBackend
 * @ioas_id: (out): the new IOAS
 * @error: return location for a #GError
 *
 * IOMMU_IOAS_ALLOC.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_alloc_ioas(HiodIommufdBackend *self, guint32 *ioas_id, GError **error)
{
	struct hiod_iommu_ioas_alloc arg = {0};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	g_return_val_if_fail(ioas_id != NULL, FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_ALLOC), &arg, sizeof(arg),
			      error) < 0)
		return FALSE;
	*ioas_id = arg.out_ioas_id;
	return TRUE;
}

/**
 * hiod_iommufd_backend_destroy:
 * @self: a connected #HiodIommufdBackend
 * @id: an IOAS, HWPT or other iommufd object
 * @error: return location for a #GError
 *
 * IOMMU_DESTROY. %HIOD_ERROR_NOT_FOUND for an unknown id,
 * %HIOD_ERROR_BUSY while the object is in use.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_destroy(HiodIommufdBackend *self, guint32 id, GError **error)
{
	struct hiod_iommu_destroy arg = {.id = id};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_DESTROY), &arg, sizeof(arg),
			      error) < 0) {
		g_prefix_error(error, "destroying iommufd object %u: ", id);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_iommufd_backend_map:
 * @self: a connected #HiodIommufdBackend
 * @ioas_id: the IOAS
 * @iova: the fixed IOVA
 * @size: bytes
 * @vaddr: the process memory
 * @readonly: the device may only read
 * @error: return location for a #GError
 *
 * IOMMU_IOAS_MAP at a fixed IOVA.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
HIOD_HOT gboolean
hiod_iommufd_backend_map(HiodIommufdBackend *self, guint32 ioas_id, guint64 iova, guint64 size,
			 gpointer vaddr, gboolean readonly, GError **error)
{
	struct hiod_iommu_ioas_map arg = {
	    .flags = HIOD_IOMMU_IOAS_MAP_FIXED_IOVA | HIOD_IOMMU_IOAS_MAP_READABLE |
		     (readonly ? 0 : HIOD_IOMMU_IOAS_MAP_WRITEABLE),
	    .ioas_id = ioas_id,
	    .user_va = (guint64)(guintptr)vaddr,
	    .length = size,
	    .iova = iova,
	};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND_FAST(self), FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_MAP), &arg, sizeof(arg),
			      error) < 0) {
		g_prefix_error(error, "mapping IOVA 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
				      "x in IOAS %u: ",
			       iova, size, ioas_id);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_iommufd_backend_map_file:
 * @self: a connected #HiodIommufdBackend
 * @ioas_id: the IOAS
 * @iova: the fixed IOVA
 * @size: bytes
 * @fd: the file (a memfd)
 * @start: the offset in the file
 * @readonly: the device may only read
 * @error: return location for a #GError
 *
 * IOMMU_IOAS_MAP_FILE (Linux 6.13) at a fixed IOVA: the kernel pins the
 * file's pages, so that the mapping does not depend on the calling
 * process's address space (IOMMU_IOAS_CHANGE_PROCESS moves only such
 * mappings). On a kernel without it, %HIOD_ERROR_NOT_SUPPORTED naming 6.13,
 * and hiod_iommufd_backend_has_map_file() says %FALSE from then on.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_map_file(HiodIommufdBackend *self, guint32 ioas_id, guint64 iova, guint64 size,
			      gint fd, guint64 start, gboolean readonly, GError **error)
{
	struct hiod_iommu_ioas_map_file arg = {
	    .flags = HIOD_IOMMU_IOAS_MAP_FIXED_IOVA | HIOD_IOMMU_IOAS_MAP_READABLE |
		     (readonly ? 0 : HIOD_IOMMU_IOAS_MAP_WRITEABLE),
	    .ioas_id = ioas_id,
	    .fd = fd,
	    .start = start,
	    .length = size,
	    .iova = iova,
	};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_MAP_FILE), &arg, sizeof(arg),
			      error) < 0) {
		if (errno == ENOTTY)
			g_atomic_int_set(&self->map_file, -1);
		g_prefix_error(error, "mapping IOVA 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
				      "x from offset 0x%" G_GINT64_MODIFIER "x of fd %d in IOAS %u: ",
			       iova, size, start, fd, ioas_id);
		return FALSE;
	}
	g_atomic_int_set(&self->map_file, 1);
	return TRUE;
}

/**
 * hiod_iommufd_backend_has_map_file:
 * @self: a #HiodIommufdBackend
 *
 * Tells whether IOMMU_IOAS_MAP_FILE may work: %FALSE once the kernel said
 * it does not know it (Linux before 6.13).
 *
 * Returns: %FALSE when the kernel lacks IOMMU_IOAS_MAP_FILE
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_has_map_file(HiodIommufdBackend *self)
{
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	return g_atomic_int_get(&self->map_file) >= 0;
}

/**
 * hiod_iommufd_backend_change_process:
 * @self: a connected #HiodIommufdBackend
 * @error: return location for a #GError
 *
 * IOMMU_IOAS_CHANGE_PROCESS (Linux 6.13): the pinned-page counts of every
 * mapping in every IOAS of this iommufd move to the calling process (a live
 * update: the new process takes them; a cancelled one: the old process
 * takes them back). The kernel refuses, changing nothing, when a mapping
 * was made by address rather than from a file (IOMMU_IOAS_MAP_FILE): the
 * error says so.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_change_process(HiodIommufdBackend *self, GError **error)
{
	struct hiod_iommu_ioas_change_process arg = {0};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_CHANGE_PROCESS), &arg,
			      sizeof(arg), error) < 0) {
		if (errno == EINVAL)
			g_prefix_error(error, "moving the pinned memory to this process (the kernel moves "
					      "only mappings of files, IOMMU_IOAS_MAP_FILE, and one of this "
					      "iommufd's mappings was made by address: map guest memory "
					      "from a memfd, hiod_address_space_add_memory()): ");
		else
			g_prefix_error(error, "moving the pinned memory to this process: ");
		return FALSE;
	}
	return TRUE;
}

/* A backend on an fd handed over by another process (live update): it
 * closes the fd at the end, and never opens /dev/iommu. */
HiodIommufdBackend *
hiod_iommufd_backend_new_taking_fd(HiodContext *ctx, gint fd, GError **error)
{
	HiodIommufdBackend *self = hiod_iommufd_backend_new_from_fd(ctx, fd, error);
	if (self != NULL)
		self->close_fd = TRUE;
	return self;
}

/* Whether an area of @ioas_id meets [@iova, @iova + @size): 1 yes, 0 no, -1
 * cannot tell. IOAS_MAP at the fixed IOVA checks for an overlap (EEXIST)
 * before it touches the memory; it is given an inaccessible reservation, so
 * with a page table attached it pins nothing (EFAULT), and without one the
 * area it made is unmapped again at once. */
static gint
hiod_iommufd_backend_probe_mapped(HiodIommufdBackend *self, guint32 ioas_id, guint64 iova,
				  guint64 size)
{
	struct hiod_iommu_ioas_map arg = {
	    .flags = HIOD_IOMMU_IOAS_MAP_FIXED_IOVA | HIOD_IOMMU_IOAS_MAP_READABLE,
	    .ioas_id = ioas_id,
	    .length = size,
	    .iova = iova,
	};
	g_autoptr(GError) error_local = NULL;
	gpointer probe;
	gint rc, errnum, answer = -1;

	if (size > G_GUINT64_CONSTANT(1) << 40)
		return -1;
	probe = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (probe == MAP_FAILED)
		return -1;
	arg.user_va = (guint64)(guintptr)probe;
	rc = hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_MAP), &arg, sizeof(arg),
			       &error_local);
	errnum = errno;
	if (rc == 0) {
		struct hiod_iommu_ioas_unmap un = {.ioas_id = ioas_id, .iova = iova, .length = size};
		g_autoptr(GError) error_unmap = NULL;
		answer = 0;
		if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_UNMAP), &un, sizeof(un),
				      &error_unmap) < 0) {
			g_debug("removing the probe area: %s", error_unmap->message);
			answer = -1;
		}
	} else if (errnum == EEXIST) {
		answer = 1;
	} else if (errnum == EFAULT) {
		answer = 0;
	} else {
		g_debug("probing IOVA 0x%" G_GINT64_MODIFIER "x: %s", iova, error_local->message);
	}
	munmap(probe, size);
	return answer;
}

/* IOMMU_IOAS_UNMAP refused with @errnum (@error_local, taken): ENOENT is
 * nothing mapped (fine) or a range that cuts an area (not) */
HIOD_COLD static gboolean
hiod_iommufd_backend_unmap_refused(HiodIommufdBackend *self, guint32 ioas_id, guint64 iova,
				   guint64 size, gint errnum, GError *error_local_in, GError **error)
{
	g_autoptr(GError) error_local = error_local_in;

	if (errnum == ENOENT && size != 0 && iova + (size - 1) >= iova) {
		switch (hiod_iommufd_backend_probe_mapped(self, ioas_id, iova, size)) {
		case 0:
			g_debug("unmap of IOVA 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
				"x: nothing mapped",
				iova, size);
			return TRUE;
		case 1:
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "unmapping IOVA 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
				    "x in IOAS %u: the range cuts through a mapped area, and iommufd "
				    "unmaps whole areas only (those wholly in the range before the "
				    "cut may be unmapped already): unmap whole areas",
				    iova, size, ioas_id);
			return FALSE;
		default:
			g_prefix_error(&error_local,
				       "nothing is mapped there, or the range cuts through a mapped "
				       "area (iommufd does not split; areas before the cut may be "
				       "unmapped already; the kernel does not say which): ");
			break;
		}
	}
	g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
				   "unmapping IOVA 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
				   "x in IOAS %u: ",
				   iova, size, ioas_id);
	return FALSE;
}

/**
 * hiod_iommufd_backend_unmap:
 * @self: a connected #HiodIommufdBackend
 * @ioas_id: the IOAS
 * @iova: the first IOVA (0 with @size G_MAXUINT64: everything)
 * @size: bytes
 * @error: return location for a #GError
 *
 * IOMMU_IOAS_UNMAP. iommufd unmaps whole areas (each IOAS_MAP or COPY is
 * one) and never splits one. The kernel answers ENOENT both when nothing is
 * mapped in the range and when the range cuts through an area; in the
 * second case the areas wholly inside the range that come before the cut
 * may already be unmapped (the kernel does not say how much). hiod then
 * asks the kernel which it was:
 *
 * - nothing mapped there: success, as on type1;
 * - the range cuts through an area: %HIOD_ERROR_INVALID_ARGUMENT, which
 *   says so (unmap the whole area, or the areas the range meets exactly);
 * - it cannot tell (a range over 1 TiB, or one over a reserved region):
 *   %HIOD_ERROR_NOT_FOUND with both possibilities.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
HIOD_HOT gboolean
hiod_iommufd_backend_unmap(HiodIommufdBackend *self, guint32 ioas_id, guint64 iova, guint64 size,
			   GError **error)
{
	struct hiod_iommu_ioas_unmap arg = {.ioas_id = ioas_id, .iova = iova, .length = size};
	GError *error_local = NULL;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND_FAST(self), FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (G_UNLIKELY(hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_UNMAP), &arg,
					 sizeof(arg), &error_local) < 0))
		return hiod_iommufd_backend_unmap_refused(self, ioas_id, iova, size, errno, error_local,
							  error);
	return TRUE;
}

/**
 * hiod_iommufd_backend_copy:
 * @self: a connected #HiodIommufdBackend
 * @dst_ioas_id: the destination IOAS
 * @src_ioas_id: the source IOAS, which maps [@src_iova, @src_iova + @size)
 * @src_iova: the source IOVA
 * @dst_iova: the destination IOVA
 * @size: bytes
 * @readonly: the device may only read the copy
 * @error: return location for a #GError
 *
 * IOMMU_IOAS_COPY: maps into @dst_ioas_id the pages @src_ioas_id already
 * pins, without pinning them again.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_copy(HiodIommufdBackend *self, guint32 dst_ioas_id, guint32 src_ioas_id,
			  guint64 src_iova, guint64 dst_iova, guint64 size, gboolean readonly,
			  GError **error)
{
	struct hiod_iommu_ioas_copy arg = {
	    .flags = HIOD_IOMMU_IOAS_MAP_FIXED_IOVA | HIOD_IOMMU_IOAS_MAP_READABLE |
		     (readonly ? 0 : HIOD_IOMMU_IOAS_MAP_WRITEABLE),
	    .dst_ioas_id = dst_ioas_id,
	    .src_ioas_id = src_ioas_id,
	    .length = size,
	    .dst_iova = dst_iova,
	    .src_iova = src_iova,
	};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_COPY), &arg, sizeof(arg),
			      error) < 0) {
		g_prefix_error(error, "copying IOAS %u IOVA 0x%" G_GINT64_MODIFIER
				      "x to IOAS %u IOVA 0x%" G_GINT64_MODIFIER "x (0x%" G_GINT64_MODIFIER "x bytes): ",
			       src_ioas_id, src_iova, dst_ioas_id, dst_iova, size);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_iommufd_backend_get_iova_ranges:
 * @self: a connected #HiodIommufdBackend
 * @ioas_id: the IOAS
 * @alignment: (out) (optional): the IOVA alignment the IOAS requires
 * @error: return location for a #GError
 *
 * IOMMU_IOAS_IOVA_RANGES, asked again with a larger array when the kernel
 * answers EMSGSIZE. The ranges change with every attach and detach.
 *
 * Returns: (transfer full) (element-type HiodIovaRange): the usable ranges, sorted
 *
 * Since: 0.1
 */
GPtrArray *
hiod_iommufd_backend_get_iova_ranges(HiodIommufdBackend *self, guint32 ioas_id, guint64 *alignment,
				     GError **error)
{
	g_autofree struct hiod_iommu_iova_range *ranges = NULL;
	struct hiod_iommu_ioas_iova_ranges arg = {0};
	guint32 capacity = 4;
	GPtrArray *out;

	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), NULL);
	if (!hiod_iommufd_backend_check(self, error))
		return NULL;
	for (guint pass = 0;; pass++) {
		g_autoptr(GError) error_local = NULL;
		g_free(ranges);
		ranges = g_new0(struct hiod_iommu_iova_range, capacity);
		memset(&arg, 0, sizeof(arg));
		arg.ioas_id = ioas_id;
		arg.num_iovas = capacity;
		arg.allowed_iovas = (guint64)(guintptr)ranges;
		if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_IOAS_IOVA_RANGES), &arg,
				      sizeof(arg), &error_local) == 0)
			break;
		if (errno == EMSGSIZE && pass == 0 && arg.num_iovas > HIOD_KERNEL_MAX_IOVA_RANGES) {
			hiod_kernel_set_bad_reply(error, "IOMMU_IOAS_IOVA_RANGES",
						  "it asks for room for %u ranges, more than the %u "
						  "hiod takes",
						  arg.num_iovas, HIOD_KERNEL_MAX_IOVA_RANGES);
			g_prefix_error(error, "reading the IOVA ranges of IOAS %u: ", ioas_id);
			return NULL;
		}
		if (errno != EMSGSIZE || pass > 0 || arg.num_iovas <= capacity) {
			g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
						   "reading the IOVA ranges of IOAS %u: ", ioas_id);
			return NULL;
		}
		capacity = arg.num_iovas;
	}
	if (arg.num_iovas > capacity) {
		hiod_kernel_set_bad_reply(error, "IOMMU_IOAS_IOVA_RANGES",
					  "it reports %u ranges in room for %u", arg.num_iovas, capacity);
		g_prefix_error(error, "reading the IOVA ranges of IOAS %u: ", ioas_id);
		return NULL;
	}
	out = hiod_iova_ranges_new();
	for (guint32 i = 0; i < arg.num_iovas; i++)
		g_ptr_array_add(out, hiod_iova_range_new(ranges[i].start, ranges[i].last));
	if (!hiod_kernel_check_iova_ranges(out, "IOMMU_IOAS_IOVA_RANGES", error)) {
		g_prefix_error(error, "reading the IOVA ranges of IOAS %u: ", ioas_id);
		g_ptr_array_unref(out);
		return NULL;
	}
	if (alignment != NULL)
		*alignment = arg.out_iova_alignment;
	return out;
}

static const gchar *
hiod_hwpt_flags_to_string(HiodHwptAllocFlags flags)
{
	if ((flags & HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT) && (flags & HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING))
		return "a nesting-parent, dirty-tracking HWPT";
	if (flags & HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT)
		return "a nesting-parent HWPT";
	if (flags & HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING)
		return "a dirty-tracking HWPT";
	return "a HWPT";
}

/**
 * hiod_iommufd_backend_alloc_hwpt:
 * @self: a connected #HiodIommufdBackend
 * @dev_id: the bound device the HWPT is for
 * @pt_id: an IOAS (a kernel-managed paging HWPT), or a nesting-parent HWPT
 *   (a user-managed nested HWPT described by @data)
 * @flags: #HiodHwptAllocFlags
 * @data_type: the vendor's IOMMU_HWPT_DATA_* type (0 with no data)
 * @data: (nullable) (array length=data_len) (element-type guint8): the vendor data (stage-1 table)
 * @data_len: bytes of @data
 * @hwpt_id: (out): the new HWPT
 * @error: return location for a #GError
 *
 * IOMMU_HWPT_ALLOC. When the host IOMMU refuses the flags or the data
 * (EOPNOTSUPP), the error is %HIOD_ERROR_NOT_SUPPORTED and says so.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_alloc_hwpt(HiodIommufdBackend *self, guint32 dev_id, guint32 pt_id,
				HiodHwptAllocFlags flags, guint32 data_type, gconstpointer data,
				gsize data_len, guint32 *hwpt_id, GError **error)
{
	struct hiod_iommu_hwpt_alloc arg = {
	    .flags = flags,
	    .dev_id = dev_id,
	    .pt_id = pt_id,
	    .data_type = data_type,
	    .data_len = (guint32)data_len,
	    .data_uptr = (guint64)(guintptr)data,
	};
	g_autoptr(GError) error_local = NULL;
	const gchar *what = data_len > 0 ? "a nested HWPT" : hiod_hwpt_flags_to_string(flags);

	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	g_return_val_if_fail(hwpt_id != NULL, FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_HWPT_ALLOC), &arg, sizeof(arg),
			      &error_local) < 0) {
		if (errno == EOPNOTSUPP && (flags != 0 || data_len > 0)) {
			/* Linux 6.6 knows no flags: it answers EOPNOTSUPP to any */
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "allocating %s for device %u on %u: not supported by the host IOMMU, "
				    "or by this kernel (Linux 6.7 added nesting parents, dirty tracking "
				    "and nested data) (%s)",
				    what, dev_id, pt_id, error_local->message);
			return FALSE;
		}
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "allocating %s for device %u on %u: ", what, dev_id, pt_id);
		return FALSE;
	}
	*hwpt_id = arg.out_hwpt_id;
	return TRUE;
}

/**
 * hiod_iommufd_backend_get_hw_info:
 * @self: a connected #HiodIommufdBackend
 * @dev_id: a bound device
 * @info: (out caller-allocates): what the kernel reports; clear it with
 *   hiod_iommufd_hw_info_clear()
 * @error: return location for a #GError
 *
 * IOMMU_GET_HW_INFO with the vendor buffer.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_get_hw_info(HiodIommufdBackend *self, guint32 dev_id, HiodIommufdHwInfo *info,
				 GError **error)
{
	guint8 buf[256] = {0};
	struct hiod_iommu_hw_info arg = {
	    .dev_id = dev_id,
	    .data_len = sizeof(buf),
	    .data_uptr = (guint64)(guintptr)buf,
	};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	g_return_val_if_fail(info != NULL, FALSE);
	memset(info, 0, sizeof(*info));
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_GET_HW_INFO), &arg, sizeof(arg),
			      error) < 0) {
		g_prefix_error(error, "reading the hardware information of device %u: ", dev_id);
		return FALSE;
	}
	info->type = arg.out_data_type;
	info->capabilities = arg.out_capabilities;
	info->max_pasid_log2 = arg.out_max_pasid_log2;
	if (arg.data_len > 0)
		info->data = g_bytes_new(buf, MIN(arg.data_len, sizeof(buf)));
	return TRUE;
}

/* IOMMU_OPTION on an IOAS: HUGE_PAGES, set or get */
static gboolean
hiod_iommufd_backend_huge_pages_option(HiodIommufdBackend *self, guint32 ioas_id, guint16 op,
				       guint64 *val, GError **error)
{
	struct hiod_iommu_option arg = {
	    .size = sizeof(arg),
	    .option_id = HIOD_IOMMU_OPTION_HUGE_PAGES,
	    .op = op,
	    .object_id = ioas_id,
	    .val64 = *val,
	};
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_OPTION), &arg, sizeof(arg), error) <
	    0)
		return FALSE;
	*val = arg.val64;
	return TRUE;
}

/**
 * hiod_iommufd_backend_set_huge_pages:
 * @self: a connected #HiodIommufdBackend
 * @ioas_id: the IOAS
 * @enable: whether the IOAS may map in huge IOMMU pages
 * @error: return location for a #GError
 *
 * IOMMU_OPTION_HUGE_PAGES on @ioas_id (on by default). Off, the kernel maps
 * and pins in the CPU's page size: slower, but any page of a mapping can be
 * unmapped alone. The kernel refuses to turn it off (EINVAL,
 * %HIOD_ERROR_INVALID_ARGUMENT) once the IOAS holds mappings and a device is
 * attached: the error then says to turn it off before mapping.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_set_huge_pages(HiodIommufdBackend *self, guint32 ioas_id, gboolean enable,
				    GError **error)
{
	guint64 val = enable ? 1 : 0;
	g_autoptr(GError) local = NULL;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	if (hiod_iommufd_backend_huge_pages_option(self, ioas_id, HIOD_IOMMU_OPTION_OP_SET, &val,
						   &local))
		return TRUE;
	if (!enable && g_error_matches(local, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT))
		g_prefix_error(&local, "IOAS %u already holds mappings for its devices, so the kernel "
				       "cannot turn its huge pages off; turn them off before mapping "
				       "(or unmap everything first): ", ioas_id);
	else
		g_prefix_error(&local, "turning huge pages %s on IOAS %u: ", enable ? "on" : "off",
			       ioas_id);
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

/**
 * hiod_iommufd_backend_get_huge_pages:
 * @self: a connected #HiodIommufdBackend
 * @ioas_id: the IOAS
 * @enabled: (out): whether the IOAS maps in huge IOMMU pages
 * @error: return location for a #GError
 *
 * Reads IOMMU_OPTION_HUGE_PAGES of @ioas_id from the kernel.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_get_huge_pages(HiodIommufdBackend *self, guint32 ioas_id, gboolean *enabled,
				    GError **error)
{
	guint64 val = 0;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	g_return_val_if_fail(enabled != NULL, FALSE);
	if (!hiod_iommufd_backend_huge_pages_option(self, ioas_id, HIOD_IOMMU_OPTION_OP_GET, &val,
						    error)) {
		g_prefix_error(error, "reading the huge-page option of IOAS %u: ", ioas_id);
		return FALSE;
	}
	*enabled = val != 0;
	return TRUE;
}

/**
 * hiod_iommufd_backend_set_dirty_tracking:
 * @self: a connected #HiodIommufdBackend
 * @hwpt_id: a dirty-tracking paging HWPT
 * @enable: start or stop
 * @error: return location for a #GError
 *
 * IOMMU_HWPT_SET_DIRTY_TRACKING. Starting clears the dirty bits.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_set_dirty_tracking(HiodIommufdBackend *self, guint32 hwpt_id, gboolean enable,
					GError **error)
{
	struct hiod_iommu_hwpt_set_dirty_tracking arg = {
	    .flags = enable ? HIOD_IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
	    .hwpt_id = hwpt_id,
	};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_HWPT_SET_DIRTY_TRACKING), &arg,
			      sizeof(arg), error) < 0) {
		g_prefix_error(error, "%s dirty tracking on HWPT %u: ", enable ? "starting" : "stopping",
			       hwpt_id);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_iommufd_backend_get_dirty_bitmap:
 * @self: a connected #HiodIommufdBackend
 * @hwpt_id: a dirty-tracking paging HWPT
 * @iova: the window's first IOVA
 * @size: the window's size
 * @page_size: the granule of one bit
 * @bitmap: (array): the caller's zeroed bitmap (the kernel only sets bits)
 * @no_clear: read without clearing
 * @error: return location for a #GError
 *
 * IOMMU_HWPT_GET_DIRTY_BITMAP.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_get_dirty_bitmap(HiodIommufdBackend *self, guint32 hwpt_id, guint64 iova,
				      guint64 size, guint64 page_size, guint64 *bitmap,
				      gboolean no_clear, GError **error)
{
	struct hiod_iommu_hwpt_get_dirty_bitmap arg = {
	    .hwpt_id = hwpt_id,
	    .flags = no_clear ? HIOD_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0,
	    .iova = iova,
	    .length = size,
	    .page_size = page_size,
	    .data = (guint64)(guintptr)bitmap,
	};
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_HWPT_GET_DIRTY_BITMAP), &arg,
			      sizeof(arg), error) < 0) {
		g_prefix_error(error, "reading the dirty bitmap of HWPT %u: ", hwpt_id);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_iommufd_backend_invalidate_cache:
 * @self: a connected #HiodIommufdBackend
 * @hwpt_id: a nested HWPT
 * @data_type: the vendor's IOMMU_HWPT_INVALIDATE_DATA_* type
 * @entry_len: bytes of one entry
 * @entry_num: (inout): entries in @data; on return, how many the kernel handled
 * @data: (nullable): the entries
 * @error: return location for a #GError
 *
 * IOMMU_HWPT_INVALIDATE: flushes the IOMMU's caches of a stage-1 table the
 * caller (a vIOMMU) programs. A partial result is an error.
 *
 * Returns: %TRUE when every entry was handled
 *
 * Since: 0.1
 */
gboolean
hiod_iommufd_backend_invalidate_cache(HiodIommufdBackend *self, guint32 hwpt_id, guint32 data_type,
				      guint32 entry_len, guint32 *entry_num, gconstpointer data,
				      GError **error)
{
	struct hiod_iommu_hwpt_invalidate arg = {
	    .hwpt_id = hwpt_id,
	    .data_uptr = (guint64)(guintptr)data,
	    .data_type = data_type,
	    .entry_len = entry_len,
	};
	guint32 wanted;
	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), FALSE);
	g_return_val_if_fail(entry_num != NULL, FALSE);
	wanted = *entry_num;
	arg.entry_num = wanted;
	if (!hiod_iommufd_backend_check(self, error))
		return FALSE;
	if (hiod_kernel_ioctl(self->ctx, self->fd, HIOD_IOC(IOMMU_HWPT_INVALIDATE), &arg, sizeof(arg),
			      error) < 0) {
		*entry_num = arg.entry_num;
		g_prefix_error(error, "invalidating HWPT %u (%u of %u entries done): ", hwpt_id,
			       arg.entry_num, wanted);
		return FALSE;
	}
	*entry_num = arg.entry_num;
	if (arg.entry_num != wanted) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
			    "invalidating HWPT %u: the kernel handled %u of %u entries", hwpt_id,
			    arg.entry_num, wanted);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_iommufd_backend_probe_features:
 * @self: a connected #HiodIommufdBackend
 * @error: return location for a #GError
 *
 * Asks the kernel which vIOMMU-side requests it knows: each is sent with
 * no object named (ids and type 0), which a kernel with the request refuses
 * (ENOENT, EINVAL, EOPNOTSUPP) and one without it does not know (ENOTTY).
 * Nothing is made.
 *
 * Returns: the requests the kernel knows; %HIOD_IOMMUFD_FEATURE_NONE with
 *   @error set when the backend is not connected
 *
 * Since: 0.1
 */
HiodIommufdFeatures
hiod_iommufd_backend_probe_features(HiodIommufdBackend *self, GError **error)
{
	struct hiod_iommu_viommu_alloc viommu = {0};
	struct hiod_iommu_vdevice_alloc vdevice = {0};
	struct hiod_iommu_veventq_alloc veventq = {0};
	struct hiod_iommu_hw_queue_alloc hw_queue = {0};
	const struct {
		const gchar *name;
		gulong request;
		gpointer arg;
		gsize argsz;
		HiodIommufdFeatures feature;
	} probes[] = {
	    {HIOD_IOC(IOMMU_VIOMMU_ALLOC), &viommu, HIOD_IOMMU_VIOMMU_ALLOC_SIZE_6_13,
	     HIOD_IOMMUFD_FEATURE_VIOMMU},
	    {HIOD_IOC(IOMMU_VDEVICE_ALLOC), &vdevice, sizeof(vdevice), HIOD_IOMMUFD_FEATURE_VDEVICE},
	    {HIOD_IOC(IOMMU_VEVENTQ_ALLOC), &veventq, sizeof(veventq), HIOD_IOMMUFD_FEATURE_VEVENTQ},
	    {HIOD_IOC(IOMMU_HW_QUEUE_ALLOC), &hw_queue, sizeof(hw_queue), HIOD_IOMMUFD_FEATURE_HW_QUEUE},
	};
	HiodIommufdFeatures features = HIOD_IOMMUFD_FEATURE_NONE;

	g_return_val_if_fail(HIOD_IS_IOMMUFD_BACKEND(self), HIOD_IOMMUFD_FEATURE_NONE);
	if (!hiod_iommufd_backend_check(self, error))
		return HIOD_IOMMUFD_FEATURE_NONE;
	for (guint i = 0; i < G_N_ELEMENTS(probes); i++) {
		g_autoptr(GError) error_local = NULL;
		gint rc = hiod_kernel_ioctl(self->ctx, self->fd, probes[i].name, probes[i].request,
					    probes[i].arg, probes[i].argsz, &error_local);
		if (rc == 0) {
			/* no kernel makes an object from ids 0 */
			g_debug("iommufd feature probe: %s answered 0 to ids 0", probes[i].name);
			features |= probes[i].feature;
			continue;
		}
		if (errno != ENOTTY)
			features |= probes[i].feature;
		else
			g_debug("iommufd feature probe: %s", error_local->message);
	}
	return features;
}

/* GObject ------------------------------------------------------------------------ */

static gboolean
hiod_iommufd_backend_initable_init(GInitable *initable, GCancellable *cancellable, GError **error)
{
	HiodIommufdBackend *self = HIOD_IOMMUFD_BACKEND(initable);
	if (self->ctx == NULL)
		self->ctx = hiod_context_new();
	if (!self->owned)
		return TRUE;
	if (!hiod_context_has_iommufd(self->ctx)) {
		g_autofree gchar *path = hiod_context_build_dev_path(self->ctx, "iommu", NULL);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s does not exist: the kernel has no iommufd (CONFIG_IOMMUFD)", path);
		return FALSE;
	}
	return TRUE;
}

static void
hiod_iommufd_backend_initable_iface_init(GInitableIface *iface)
{
	iface->init = hiod_iommufd_backend_initable_init;
}

static void
hiod_iommufd_backend_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	HiodIommufdBackend *self = HIOD_IOMMUFD_BACKEND(object);
	switch (prop_id) {
	case PROP_CONTEXT:
		g_value_set_object(value, self->ctx);
		break;
	case PROP_FD:
		g_value_set_int(value, self->fd);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_iommufd_backend_set_property(GObject *object, guint prop_id, const GValue *value,
				  GParamSpec *pspec)
{
	HiodIommufdBackend *self = HIOD_IOMMUFD_BACKEND(object);
	switch (prop_id) {
	case PROP_CONTEXT:
		g_set_object(&self->ctx, g_value_get_object(value));
		break;
	case PROP_FD:
		self->fd = g_value_get_int(value);
		self->owned = self->fd < 0;
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_iommufd_backend_init(HiodIommufdBackend *self)
{
	g_mutex_init(&self->lock);
	self->fd = -1;
	self->owned = TRUE;
}

static void
hiod_iommufd_backend_finalize(GObject *object)
{
	HiodIommufdBackend *self = HIOD_IOMMUFD_BACKEND(object);
	if (self->users > 0)
		g_debug("iommufd backend finalized with %u users still connected", self->users);
	if ((self->owned || self->close_fd) && self->fd >= 0)
		hiod_kernel_close(self->ctx, self->fd);
	g_clear_object(&self->ctx);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(hiod_iommufd_backend_parent_class)->finalize(object);
}

static void
hiod_iommufd_backend_class_init(HiodIommufdBackendClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = hiod_iommufd_backend_get_property;
	object_class->set_property = hiod_iommufd_backend_set_property;
	object_class->finalize = hiod_iommufd_backend_finalize;

	/**
	 * HiodIommufdBackend:context:
	 *
	 * The context whose chokepoint and /dev root the backend uses.
	 *
	 * Since: 0.1
	 */
	props[PROP_CONTEXT] = g_param_spec_object("context", NULL, NULL, HIOD_TYPE_CONTEXT,
						  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
						      G_PARAM_STATIC_STRINGS);
	/**
	 * HiodIommufdBackend:fd:
	 *
	 * An iommufd passed in by the caller (-1: open /dev/iommu on first use).
	 *
	 * Since: 0.1
	 */
	props[PROP_FD] = g_param_spec_int("fd", NULL, NULL, -1, G_MAXINT, -1,
					  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
					      G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

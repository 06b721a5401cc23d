/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-hot-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hiod-error.h"
#include "hiod-iova-range.h"
#include "hiod-uapi-private.h"
#include "hiod-kernel-private.h"
#include "hiod-context-private.h"

typedef struct {
	gchar *pattern; /* NULL: nth-call fault */
	guint64 nth;	/* absolute call number, for nth faults */
	gint errnum;
	guint remaining; /* 0 = unlimited (pattern faults) */
} HiodFault;

struct _HiodKernel {
	HiodKernelHot hot; /* first: hiod_context_peek_kernel_hot() */
	GMutex mutex;
	const HiodKernelOps *ops;
	gpointer ops_data;
	guint open_fds;
	GPtrArray *faults;
	gint n_faults; /* atomic: faults->len, read without the mutex by every call */
	gboolean fired;
	gboolean trace; /* debug output for the "hiod" domain was on when the context was made */
};

/* Whether the calls are traced (g_debug). The test costs a load, not a
 * formatted message: GLib formats a g_debug() before it drops it, which cost
 * more than the kernel's own map. On when G_MESSAGES_DEBUG names hiod (or
 * all) as the context is made. */
static inline gboolean
hiod_kernel_tracing(HiodKernel *k)
{
	return k->trace;
}

#define HIOD_TRACE(k, ...)                                                                         \
	do {                                                                                       \
		if (hiod_kernel_tracing(k))                                                        \
			g_debug(__VA_ARGS__);                                                      \
	} while (0)

/* the real kernel ---------------------------------------------------------- */

static int
real_open(gpointer data, const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}

static int
real_close(gpointer data, int fd)
{
	return close(fd);
}

static int
real_ioctl(gpointer data, int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

static void *
real_mmap(gpointer data, size_t len, int prot, int flags, int fd, off_t offset)
{
	return mmap(NULL, len, prot, flags, fd, offset);
}

static int
real_munmap(gpointer data, void *addr, size_t len)
{
	return munmap(addr, len);
}

static ssize_t
real_pread(gpointer data, int fd, void *buf, size_t len, off_t offset)
{
	return pread(fd, buf, len, offset);
}

static ssize_t
real_pwrite(gpointer data, int fd, const void *buf, size_t len, off_t offset)
{
	return pwrite(fd, buf, len, offset);
}

static ssize_t
real_read(gpointer data, int fd, void *buf, size_t len)
{
	return read(fd, buf, len);
}

static ssize_t
real_write(gpointer data, int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

static int
real_eventfd(gpointer data, unsigned int initval, int flags)
{
	return eventfd(initval, flags);
}

static void *
real_mmap_fixed(gpointer data, void *addr, size_t len, int prot, int fd, off_t offset)
{
	return mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd, offset);
}

static int
real_dup(gpointer data, int fd, int min_fd, int cloexec)
{
	return fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, min_fd);
}

static int
real_chown(gpointer data, const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	if (fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return fchmodat(AT_FDCWD, path, mode, 0);
}

static const HiodKernelOps real_ops = {
	.open = real_open,
	.close = real_close,
	.ioctl = real_ioctl,
	.mmap = real_mmap,
	.munmap = real_munmap,
	.pread = real_pread,
	.pwrite = real_pwrite,
	.read = real_read,
	.write = real_write,
	.eventfd = real_eventfd,
	.mmap_fixed = real_mmap_fixed,
	.dup = real_dup,
	.chown = real_chown,
};

static void
hiod_fault_free(HiodFault *fault)
{
	g_free(fault->pattern);
	g_free(fault);
}

/* Whether a call may take hiod_kernel_ioctl()'s inline way to the real
 * kernel: the real ops, no fault armed, no tracing. Under the mutex, after
 * each change to one of them. */
static void
hiod_kernel_update_direct(HiodKernel *k)
{
	g_atomic_int_set(&k->hot.direct, k->ops == &real_ops && k->faults->len == 0 && !k->trace);
}

HiodKernel *
hiod_kernel_new(void)
{
	HiodKernel *k = g_new0(HiodKernel, 1);
	g_mutex_init(&k->mutex);
	k->ops = &real_ops;
	k->faults = g_ptr_array_new_with_free_func((GDestroyNotify)hiod_fault_free);
	k->trace = !g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
	hiod_kernel_update_direct(k);
	return k;
}

void
hiod_kernel_free(HiodKernel *k)
{
	if (k == NULL)
		return;
	g_ptr_array_unref(k->faults);
	g_mutex_clear(&k->mutex);
	g_free(k);
}

/* errors ------------------------------------------------------------------- */

/*
 * The first mainline kernel with each request hiod sends that is newer than
 * the oldest kernel it may meet (iommufd came in 6.2, the VFIO cdev in 6.6).
 * hiod never guesses from the version string: it sends the request, and when
 * the kernel does not know it (ENOTTY) the error names the kernel that added
 * it. The versions are those of the UAPI headers' history (kernel-uapi.md
 * section 1.5); distributions may backport a request to an older series.
 */
static const struct {
	const gchar *request;
	const gchar *version;
} hiod_kernel_first_versions[] = {
    {"IOMMU_DESTROY", "6.2"},
    {"IOMMU_IOAS_ALLOC", "6.2"},
    {"IOMMU_IOAS_ALLOW_IOVAS", "6.2"},
    {"IOMMU_IOAS_COPY", "6.2"},
    {"IOMMU_IOAS_IOVA_RANGES", "6.2"},
    {"IOMMU_IOAS_MAP", "6.2"},
    {"IOMMU_IOAS_UNMAP", "6.2"},
    {"IOMMU_OPTION", "6.2"},
    {"IOMMU_VFIO_IOAS", "6.2"},
    {"IOMMU_HWPT_ALLOC", "6.6"},
    {"IOMMU_GET_HW_INFO", "6.6"},
    {"VFIO_DEVICE_BIND_IOMMUFD", "6.6"},
    {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", "6.6"},
    {"VFIO_DEVICE_DETACH_IOMMUFD_PT", "6.6"},
    {"IOMMU_HWPT_SET_DIRTY_TRACKING", "6.7"},
    {"IOMMU_HWPT_GET_DIRTY_BITMAP", "6.7"},
    {"IOMMU_HWPT_INVALIDATE", "6.8"},
    {"IOMMU_FAULT_QUEUE_ALLOC", "6.11"},
    {"IOMMU_VIOMMU_ALLOC", "6.13"},
    {"IOMMU_VDEVICE_ALLOC", "6.13"},
    {"IOMMU_IOAS_MAP_FILE", "6.13"},
    {"IOMMU_IOAS_CHANGE_PROCESS", "6.13"},
    {"IOMMU_VEVENTQ_ALLOC", "6.15"},
    {"IOMMU_HW_QUEUE_ALLOC", "6.17"},
};

/* The mainline kernel that first has @request, or %NULL when hiod does not know. */
const gchar *
hiod_kernel_first_version(const gchar *request)
{
	if (request == NULL)
		return NULL;
	for (guint i = 0; i < G_N_ELEMENTS(hiod_kernel_first_versions); i++) {
		if (g_strcmp0(hiod_kernel_first_versions[i].request, request) == 0)
			return hiod_kernel_first_versions[i].version;
	}
	return NULL;
}

const gchar *
hiod_errno_name(gint errnum)
{
	const gchar *name = strerrorname_np(errnum);
	return name != NULL ? name : "E?";
}

void
hiod_kernel_set_error(GError **error, gint errnum, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *what = NULL;

	if (error == NULL)
		return;
	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, HIOD_ERROR, hiod_error_from_errno(errnum), "%s: %s (errno %d, %s)",
		    what, g_strerror(errnum), errnum, hiod_errno_name(errnum));
}

/* kernel replies ---------------------------------------------------------- */

void
hiod_kernel_set_bad_reply(GError **error, const gchar *request, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *why = NULL;

	if (error == NULL)
		return;
	va_start(args, format);
	why = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
		    "the kernel's %s reply is malformed: %s; hiod does not use it (a kernel or "
		    "driver bug: report it with the kernel version)",
		    request, why);
}

static gint
hiod_iova_range_cmp(gconstpointer a, gconstpointer b)
{
	const HiodIovaRange *ra = *(HiodIovaRange *const *)a;
	const HiodIovaRange *rb = *(HiodIovaRange *const *)b;
	return ra->start < rb->start ? -1 : ra->start > rb->start;
}

gboolean
hiod_kernel_check_iova_ranges(GPtrArray *ranges, const gchar *request, GError **error)
{
	for (guint i = 0; i < ranges->len; i++) {
		const HiodIovaRange *r = g_ptr_array_index(ranges, i);
		if (r->start > r->last) {
			hiod_kernel_set_bad_reply(error, request,
						  "IOVA range %u starts at 0x%" G_GINT64_MODIFIER
						  "x, after its end 0x%" G_GINT64_MODIFIER "x",
						  i, r->start, r->last);
			return FALSE;
		}
	}
	g_ptr_array_sort(ranges, hiod_iova_range_cmp);
	for (guint i = 1; i < ranges->len; i++) {
		const HiodIovaRange *p = g_ptr_array_index(ranges, i - 1);
		const HiodIovaRange *r = g_ptr_array_index(ranges, i);
		if (r->start <= p->last) {
			hiod_kernel_set_bad_reply(error, request,
						  "IOVA ranges [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
						  "x] and [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
						  "x] overlap",
						  p->start, p->last, r->start, r->last);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
hiod_kernel_vfio_cap_check(gsize len, gsize header_size, guint32 prev,
			   guint32 offset, gsize min_size, const gchar *request, GError **error)
{
	const gchar *why = NULL;

	if (offset < header_size)
		why = "it points into the info itself";
	else if (offset % 8 != 0)
		why = "it is not 8-byte aligned";
	else if (prev != 0 && offset <= prev)
		why = "it does not come after the previous capability (a loop)";
	else if (offset > len || len - offset < MAX(min_size, sizeof(struct hiod_vfio_info_cap_header)))
		why = "it does not fit in the reply";
	if (why == NULL)
		return TRUE;
	hiod_kernel_set_bad_reply(error, request,
				  "a capability at offset %u of %" G_GSIZE_FORMAT " bytes: %s", offset,
				  len, why);
	return FALSE;
}

/* the seam ----------------------------------------------------------------- */

/* An injected fault for call number @call? The errno to fail with, or 0. */
static gint
hiod_kernel_enter_faults(HiodKernel *k, guint64 call, const gchar *name, const gchar *detail)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&k->mutex);

	for (guint i = 0; i < k->faults->len; i++) {
		HiodFault *f = g_ptr_array_index(k->faults, i);
		gboolean hit;
		gint errnum = f->errnum;

		if (f->pattern == NULL) {
			hit = f->nth == call;
		} else {
			g_autofree gchar *full = NULL;
			hit = g_pattern_match_simple(f->pattern, name);
			if (!hit && detail != NULL) {
				full = g_strdup_printf("%s:%s", name, detail);
				hit = g_pattern_match_simple(f->pattern, full);
			}
		}
		if (!hit)
			continue;
		if (f->pattern == NULL || (f->remaining > 0 && --f->remaining == 0)) {
			g_ptr_array_remove_index(k->faults, i);
			g_atomic_int_set(&k->n_faults, (gint)k->faults->len);
			hiod_kernel_update_direct(k);
		}
		k->fired = TRUE;
		g_debug("fault injection: call %" G_GUINT64_FORMAT " (%s%s%s) fails with %s", call,
			name, detail != NULL ? " " : "", detail != NULL ? detail : "",
			hiod_errno_name(errnum));
		return errnum;
	}
	return 0;
}

/*
 * Counts the call and decides whether an injected fault makes it fail.
 * Returns the errno to fail with, or 0 to go through. Without faults (every
 * call outside the unit tests) it takes no lock: one atomic add and a load.
 */
HIOD_HOT static inline gint
hiod_kernel_enter(HiodKernel *k, const gchar *name, const gchar *detail)
{
	guint64 call = __atomic_add_fetch(&k->hot.calls, 1, __ATOMIC_RELAXED);
	if (G_LIKELY(g_atomic_int_get(&k->n_faults) == 0))
		return 0;
	return hiod_kernel_enter_faults(k, call, name, detail);
}

void
hiod_context_set_kernel_ops(HiodContext *self, const HiodKernelOps *ops, gpointer user_data)
{
	HiodKernel *k = hiod_context_get_kernel(self);
	g_mutex_lock(&k->mutex);
	k->ops = ops != NULL ? ops : &real_ops;
	k->ops_data = user_data;
	hiod_kernel_update_direct(k);
	g_mutex_unlock(&k->mutex);
}

void
hiod_context_inject_fault_nth(HiodContext *self, guint nth, gint errnum)
{
	HiodKernel *k = hiod_context_get_kernel(self);
	HiodFault *f = g_new0(HiodFault, 1);
	g_return_if_fail(nth > 0);
	g_mutex_lock(&k->mutex);
	f->nth = __atomic_load_n(&k->hot.calls, __ATOMIC_RELAXED) + nth;
	f->errnum = errnum;
	g_ptr_array_add(k->faults, f);
	g_atomic_int_set(&k->n_faults, (gint)k->faults->len);
	hiod_kernel_update_direct(k);
	g_mutex_unlock(&k->mutex);
}

void
hiod_context_inject_fault_match(HiodContext *self, const gchar *pattern, gint errnum, guint count)
{
	HiodKernel *k = hiod_context_get_kernel(self);
	HiodFault *f = g_new0(HiodFault, 1);
	f->pattern = g_strdup(pattern);
	f->errnum = errnum;
	f->remaining = count;
	g_mutex_lock(&k->mutex);
	g_ptr_array_add(k->faults, f);
	g_atomic_int_set(&k->n_faults, (gint)k->faults->len);
	hiod_kernel_update_direct(k);
	g_mutex_unlock(&k->mutex);
}

void
hiod_context_clear_faults(HiodContext *self)
{
	HiodKernel *k = hiod_context_get_kernel(self);
	g_mutex_lock(&k->mutex);
	g_ptr_array_set_size(k->faults, 0);
	g_atomic_int_set(&k->n_faults, 0);
	hiod_kernel_update_direct(k);
	k->fired = FALSE;
	g_mutex_unlock(&k->mutex);
}

guint64
hiod_context_get_call_count(HiodContext *self)
{
	HiodKernel *k = hiod_context_get_kernel(self);
	guint64 calls;
	calls = __atomic_load_n(&k->hot.calls, __ATOMIC_RELAXED);
	return calls;
}

gboolean
hiod_context_fault_fired(HiodContext *self)
{
	HiodKernel *k = hiod_context_get_kernel(self);
	gboolean fired;
	g_mutex_lock(&k->mutex);
	fired = k->fired;
	g_mutex_unlock(&k->mutex);
	return fired;
}

guint
hiod_kernel_get_open_fd_count(HiodKernel *k)
{
	guint n;
	g_mutex_lock(&k->mutex);
	n = k->open_fds;
	g_mutex_unlock(&k->mutex);
	return n;
}

/* the calls ---------------------------------------------------------------- */

gint
hiod_kernel_open(HiodContext *ctx, const gchar *path, gint flags, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "open", path);
	gint fd;

	if (errnum == 0) {
		fd = k->ops->open(k->ops_data, path, flags);
		errnum = fd < 0 ? errno : 0;
	} else {
		fd = -1;
	}
	HIOD_TRACE(k, "open %s flags=0x%x = %d%s%s", path, (guint)flags, fd, errnum ? " " : "",
		errnum ? hiod_errno_name(errnum) : "");
	if (fd < 0) {
		hiod_kernel_set_error(error, errnum, "opening %s", path);
		return -1;
	}
	g_mutex_lock(&k->mutex);
	k->open_fds++;
	g_mutex_unlock(&k->mutex);
	return fd;
}

void
hiod_kernel_close(HiodContext *ctx, gint fd)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	if (fd < 0)
		return;
	/* never fails on purpose: a close that fails still releases the fd */
	k->ops->close(k->ops_data, fd);
	HIOD_TRACE(k, "close %d", fd);
	g_mutex_lock(&k->mutex);
	g_warn_if_fail(k->open_fds > 0);
	if (k->open_fds > 0)
		k->open_fds--;
	g_mutex_unlock(&k->mutex);
}

/* An fd the kernel handed back through an ioctl (VFIO_GROUP_GET_DEVICE_FD):
 * counted like an opened one, released with hiod_kernel_close(). */
void
hiod_kernel_adopt_fd(HiodContext *ctx, gint fd)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	if (fd < 0)
		return;
	g_mutex_lock(&k->mutex);
	k->open_fds++;
	g_mutex_unlock(&k->mutex);
}

static gint
hiod_kernel_ioctl_result(HiodKernel *k, gint fd, const gchar *name, gulong request, gint rc,
			 gint errnum, GError **error)
{
	HIOD_TRACE(k, "ioctl fd=%d %s (0x%lx) = %d%s%s", fd, name, request, rc, errnum ? " " : "",
		errnum ? hiod_errno_name(errnum) : "");
	if (rc < 0) {
		const gchar *since = errnum == ENOTTY ? hiod_kernel_first_version(name) : NULL;
		/* ENOTTY: the kernel does not know the request at all */
		if (since != NULL)
			hiod_kernel_set_error(error, errnum,
					      "%s: not supported by this kernel (Linux %s added it)", name,
					      since);
		/* iommufd's E2BIG: a non-zero field past the end of the kernel's struct */
		else if (errnum == E2BIG && g_str_has_prefix(name, "IOMMU_"))
			hiod_kernel_set_error(error, errnum,
					      "%s: this kernel's struct ends before a field hiod set (a "
					      "field newer than this kernel)",
					      name);
		else
			hiod_kernel_set_error(error, errnum, "%s", name);
		errno = errnum;
		return -1;
	}
	return rc;
}

static gint
hiod_kernel_ioctl_internal(HiodContext *ctx, gint fd, const gchar *name, gulong request,
			   gpointer arg, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, name, NULL);
	gint rc;

	if (errnum == 0) {
		rc = k->ops->ioctl(k->ops_data, fd, request, arg);
		errnum = rc < 0 ? errno : 0;
	} else {
		rc = -1;
	}
	return hiod_kernel_ioctl_result(k, fd, name, request, rc, errnum, error);
}

/* hiod_kernel_ioctl() when the call cannot go straight to the kernel */
gint
hiod_kernel_ioctl_slow(HiodContext *ctx, gint fd, const gchar *name, gulong request, gpointer arg,
		       GError **error)
{
	return hiod_kernel_ioctl_internal(ctx, fd, name, request, arg, error);
}

/* hiod_kernel_ioctl() straight to the kernel, which refused with @errnum */
gint
hiod_kernel_ioctl_failed(HiodContext *ctx, gint fd, const gchar *name, gulong request, gint errnum,
			 GError **error)
{
	return hiod_kernel_ioctl_result(hiod_context_get_kernel(ctx), fd, name, request, -1, errnum,
					error);
}

gint
hiod_kernel_ioctl_value(HiodContext *ctx, gint fd, const gchar *name, gulong request,
			gulong value, GError **error)
{
	return hiod_kernel_ioctl_internal(ctx, fd, name, request, (gpointer)value, error);
}

gpointer
hiod_kernel_mmap(HiodContext *ctx, gint fd, gsize len, gint prot, goffset offset, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "mmap", NULL);
	gpointer addr = MAP_FAILED;

	if (errnum == 0) {
		addr = k->ops->mmap(k->ops_data, len, prot, MAP_SHARED, fd, (off_t)offset);
		errnum = addr == MAP_FAILED ? errno : 0;
	}
	HIOD_TRACE(k, "mmap fd=%d len=0x%zx offset=0x%" G_GINT64_MODIFIER "x = %p%s%s", fd, len, offset,
		addr, errnum ? " " : "", errnum ? hiod_errno_name(errnum) : "");
	if (addr == MAP_FAILED) {
		hiod_kernel_set_error(error, errnum, "mmap of 0x%zx bytes at offset 0x%" G_GINT64_MODIFIER "x",
				      len, offset);
		return NULL;
	}
	return addr;
}

void
hiod_kernel_munmap(HiodContext *ctx, gpointer addr, gsize len)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	if (addr == NULL)
		return;
	k->ops->munmap(k->ops_data, addr, len);
	HIOD_TRACE(k, "munmap %p len=0x%zx", addr, len);
}

gpointer
hiod_kernel_reserve(HiodContext *ctx, gsize len, GError **error)
{
	/* anonymous memory, no device: the real kernel's, whatever the ops */
	gpointer addr = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (addr == MAP_FAILED) {
		hiod_kernel_set_error(error, errno, "reserving 0x%zx bytes of address space", len);
		return NULL;
	}
	return addr;
}

gboolean
hiod_kernel_mmap_fixed(HiodContext *ctx, gpointer addr, gint fd, gsize len, gint prot,
		       goffset offset, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "mmap", NULL);
	gpointer got = MAP_FAILED;

	if (errnum == 0) {
		if (k->ops->mmap_fixed == NULL) {
			errnum = ENOSYS;
		} else {
			got = k->ops->mmap_fixed(k->ops_data, addr, len, prot, fd, (off_t)offset);
			errnum = got == MAP_FAILED ? errno : 0;
		}
	}
	HIOD_TRACE(k, "mmap fd=%d at %p len=0x%zx offset=0x%" G_GINT64_MODIFIER "x = %p%s%s", fd, addr, len,
		offset, got, errnum ? " " : "", errnum ? hiod_errno_name(errnum) : "");
	if (got == MAP_FAILED) {
		hiod_kernel_set_error(error, errnum, "mmap of 0x%zx bytes at offset 0x%" G_GINT64_MODIFIER "x",
				      len, offset);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_kernel_check_rw(HiodKernel *k, const gchar *what, gint fd, gssize rc, gint errnum, gsize len,
		     goffset offset, GError **error)
{
	HIOD_TRACE(k, "%s fd=%d len=0x%zx offset=0x%" G_GINT64_MODIFIER "x = %zd%s%s", what, fd, len,
		offset, rc, errnum ? " " : "", errnum ? hiod_errno_name(errnum) : "");
	if (rc < 0) {
		hiod_kernel_set_error(error, errnum, "%s of %zu bytes at offset 0x%" G_GINT64_MODIFIER "x",
				      what, len, offset);
		return FALSE;
	}
	if ((gsize)rc != len) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
			    "%s of %zu bytes at offset 0x%" G_GINT64_MODIFIER "x was short: %zd bytes",
			    what, len, offset, rc);
		return FALSE;
	}
	return TRUE;
}

gboolean
hiod_kernel_pread(HiodContext *ctx, gint fd, gpointer buf, gsize len, goffset offset, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "pread", NULL);
	gssize rc = -1;
	if (errnum == 0) {
		rc = k->ops->pread(k->ops_data, fd, buf, len, (off_t)offset);
		errnum = rc < 0 ? errno : 0;
	}
	return hiod_kernel_check_rw(k, "pread", fd, rc, errnum, len, offset, error);
}

gboolean
hiod_kernel_pwrite(HiodContext *ctx, gint fd, gconstpointer buf, gsize len, goffset offset,
		   GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "pwrite", NULL);
	gssize rc = -1;
	if (errnum == 0) {
		rc = k->ops->pwrite(k->ops_data, fd, buf, len, (off_t)offset);
		errnum = rc < 0 ? errno : 0;
	}
	return hiod_kernel_check_rw(k, "pwrite", fd, rc, errnum, len, offset, error);
}

gssize
hiod_kernel_read(HiodContext *ctx, gint fd, gpointer buf, gsize len, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "read", NULL);
	gssize rc = -1;
	if (errnum == 0) {
		rc = k->ops->read(k->ops_data, fd, buf, len);
		errnum = rc < 0 ? errno : 0;
	}
	HIOD_TRACE(k, "read fd=%d len=0x%zx = %zd%s%s", fd, len, rc, errnum ? " " : "",
		errnum ? hiod_errno_name(errnum) : "");
	if (rc < 0) {
		hiod_kernel_set_error(error, errnum, "read of %zu bytes", len);
		errno = errnum;
		return -1;
	}
	return rc;
}

gboolean
hiod_kernel_write(HiodContext *ctx, gint fd, gconstpointer buf, gsize len, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "write", NULL);
	gssize rc = -1;
	if (errnum == 0) {
		rc = k->ops->write(k->ops_data, fd, buf, len);
		errnum = rc < 0 ? errno : 0;
	}
	HIOD_TRACE(k, "write fd=%d len=0x%zx = %zd%s%s", fd, len, rc, errnum ? " " : "",
		errnum ? hiod_errno_name(errnum) : "");
	if (rc < 0) {
		hiod_kernel_set_error(error, errnum, "write of %zu bytes", len);
		errno = errnum;
		return FALSE;
	}
	if ((gsize)rc != len) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO, "write of %zu bytes was short: %zd",
			    len, rc);
		return FALSE;
	}
	return TRUE;
}

gint
hiod_kernel_eventfd(HiodContext *ctx, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "eventfd", NULL);
	gint fd = -1;

	if (errnum == 0) {
		if (k->ops->eventfd == NULL) {
			errnum = ENOSYS;
		} else {
			fd = k->ops->eventfd(k->ops_data, 0, EFD_CLOEXEC | EFD_NONBLOCK);
			errnum = fd < 0 ? errno : 0;
		}
	}
	HIOD_TRACE(k, "eventfd = %d%s%s", fd, errnum ? " " : "", errnum ? hiod_errno_name(errnum) : "");
	if (fd < 0) {
		hiod_kernel_set_error(error, errnum, "making an eventfd");
		return -1;
	}
	g_mutex_lock(&k->mutex);
	k->open_fds++;
	g_mutex_unlock(&k->mutex);
	return fd;
}

static gint
hiod_kernel_dup_internal(HiodContext *ctx, gint fd, gint min_fd, gboolean cloexec, GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "dup", NULL);
	gint dup_fd = -1;

	if (errnum == 0) {
		if (k->ops->dup == NULL) {
			errnum = ENOSYS;
		} else {
			dup_fd = k->ops->dup(k->ops_data, fd, min_fd, cloexec);
			errnum = dup_fd < 0 ? errno : 0;
		}
	}
	g_debug("dup %d (%s, >= %d) = %d%s%s", fd, cloexec ? "close-on-exec" : "inheritable", min_fd,
		dup_fd, errnum ? " " : "",
		errnum ? hiod_errno_name(errnum) : "");
	if (dup_fd < 0) {
		hiod_kernel_set_error(error, errnum, "duplicating fd %d", fd);
		return -1;
	}
	g_mutex_lock(&k->mutex);
	k->open_fds++;
	g_mutex_unlock(&k->mutex);
	return dup_fd;
}

gint
hiod_kernel_dup_inheritable(HiodContext *ctx, gint fd, gint min_fd, GError **error)
{
	return hiod_kernel_dup_internal(ctx, fd, min_fd, FALSE, error);
}

gint
hiod_kernel_dup(HiodContext *ctx, gint fd, GError **error)
{
	return hiod_kernel_dup_internal(ctx, fd, 3, TRUE, error);
}

gboolean
hiod_kernel_chown(HiodContext *ctx, const gchar *path, guint uid, guint gid, guint mode,
		  GError **error)
{
	HiodKernel *k = hiod_context_get_kernel(ctx);
	gint errnum = hiod_kernel_enter(k, "chown", path);
	gint rc = -1;

	if (errnum == 0) {
		if (k->ops->chown == NULL) {
			errnum = ENOSYS;
		} else {
			rc = k->ops->chown(k->ops_data, path, (uid_t)uid, (gid_t)gid, (mode_t)mode);
			errnum = rc < 0 ? errno : 0;
		}
	}
	g_debug("chown %s %u:%u mode 0%o = %d%s%s", path, uid, gid, mode, rc, errnum ? " " : "",
		errnum ? hiod_errno_name(errnum) : "");
	if (rc < 0) {
		hiod_kernel_set_error(error, errnum, "giving %s to %u:%u", path, uid, gid);
		return FALSE;
	}
	return TRUE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel chokepoint. Every open, ioctl, mmap, pread, pwrite, read and
 * write on a device node goes through here: it stamps argsz/size, traces each
 * call with g_debug, turns errno into a HiodError that keeps the kernel's
 * words, and has the fault-injection seam that unit tests use to walk every
 * error path. The "kernel" behind it is replaceable (HiodKernelOps), which is
 * how the unit tests' fake kernel answers.
 */
#pragma once

#include <sys/types.h>

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hiod-context.h"
#include "hiod-context-private.h"

G_BEGIN_DECLS

/* System-call shaped hooks: return -1 (or MAP_FAILED) and set errno on failure. */
typedef struct {
	int (*open)(gpointer user_data, const char *path, int flags);
	int (*close)(gpointer user_data, int fd);
	int (*ioctl)(gpointer user_data, int fd, unsigned long request, void *arg);
	void *(*mmap)(gpointer user_data, size_t len, int prot, int flags, int fd, off_t offset);
	int (*munmap)(gpointer user_data, void *addr, size_t len);
	ssize_t (*pread)(gpointer user_data, int fd, void *buf, size_t len, off_t offset);
	ssize_t (*pwrite)(gpointer user_data, int fd, const void *buf, size_t len, off_t offset);
	ssize_t (*read)(gpointer user_data, int fd, void *buf, size_t len);
	ssize_t (*write)(gpointer user_data, int fd, const void *buf, size_t len);
	/* eventfd(2) (EFD_CLOEXEC | EFD_NONBLOCK); NULL: the kernel has none (ENOSYS) */
	int (*eventfd)(gpointer user_data, unsigned int initval, int flags);
	/* mmap(2) MAP_SHARED | MAP_FIXED at @addr (inside a hiod_kernel_reserve() range);
	 * NULL: not offered (ENOSYS) */
	void *(*mmap_fixed)(gpointer user_data, void *addr, size_t len, int prot, int fd, off_t offset);
	/* fcntl(F_DUPFD or F_DUPFD_CLOEXEC, @min_fd): a duplicate, without FD_CLOEXEC
	 * to hand to a child; NULL: not offered (ENOSYS) */
	int (*dup)(gpointer user_data, int fd, int min_fd, int cloexec);
	/* fchownat(AT_FDCWD, @path, ..., AT_SYMLINK_NOFOLLOW) and fchmodat(); NULL: ENOSYS */
	int (*chown)(gpointer user_data, const char *path, uid_t uid, gid_t gid, mode_t mode);
} HiodKernelOps;

/* The request's name and number: hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_GET_API_VERSION), ...) */
#define HIOD_IOC(NAME) #NAME, HIOD_##NAME

gint hiod_kernel_open(HiodContext *ctx, const gchar *path, gint flags, GError **error);
void hiod_kernel_close(HiodContext *ctx, gint fd);
/* Counts an fd that an ioctl returned (VFIO_GROUP_GET_DEVICE_FD); close it with hiod_kernel_close(). */
void hiod_kernel_adopt_fd(HiodContext *ctx, gint fd);
gint hiod_kernel_ioctl_slow(HiodContext *ctx, gint fd, const gchar *name, gulong request,
			    gpointer arg, GError **error);
gint hiod_kernel_ioctl_failed(HiodContext *ctx, gint fd, const gchar *name, gulong request,
			      gint errnum, GError **error);

/* argsz != 0: the u32 at offset 0 of arg is stamped with argsz (VFIO argsz, iommufd size).
 * Inline: with the real kernel, no fault armed and no tracing (every call
 * outside the unit tests and G_MESSAGES_DEBUG=hiod), the map paths reach
 * ioctl(2) with no call of hiod's between (hiod-hot-private.h says why);
 * everything else, and every error, goes through hiod-kernel.c. */
static inline gint
hiod_kernel_ioctl(HiodContext *ctx, gint fd, const gchar *name, gulong request, gpointer arg,
		  gsize argsz, GError **error)
{
	HiodKernelHot *hot = hiod_context_peek_kernel_hot(ctx);
	if (argsz != 0) {
		guint32 sz = (guint32)argsz;
		g_assert(arg != NULL && argsz >= sizeof(guint32));
		memcpy(arg, &sz, sizeof(sz));
	}
	if (G_LIKELY(__atomic_load_n(&hot->direct, __ATOMIC_RELAXED))) {
		gint rc;
		__atomic_add_fetch(&hot->calls, 1, __ATOMIC_RELAXED);
		rc = ioctl(fd, request, arg);
		if (G_LIKELY(rc >= 0))
			return rc;
		return hiod_kernel_ioctl_failed(ctx, fd, name, request, errno, error);
	}
	return hiod_kernel_ioctl_slow(ctx, fd, name, request, arg, error);
}
/* The argument is a value, not a pointer (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU). */
gint hiod_kernel_ioctl_value(HiodContext *ctx, gint fd, const gchar *name, gulong request,
			     gulong value, GError **error);
gpointer hiod_kernel_mmap(HiodContext *ctx, gint fd, gsize len, gint prot, goffset offset,
			  GError **error);
void hiod_kernel_munmap(HiodContext *ctx, gpointer addr, gsize len);
/* Reserves @len bytes of address space (anonymous, PROT_NONE) to map parts of a
 * region into with hiod_kernel_mmap_fixed(); released with hiod_kernel_munmap(). */
gpointer hiod_kernel_reserve(HiodContext *ctx, gsize len, GError **error);
gboolean hiod_kernel_mmap_fixed(HiodContext *ctx, gpointer addr, gint fd, gsize len, gint prot,
				goffset offset, GError **error);
gboolean hiod_kernel_pread(HiodContext *ctx, gint fd, gpointer buf, gsize len, goffset offset,
			   GError **error);
gboolean hiod_kernel_pwrite(HiodContext *ctx, gint fd, gconstpointer buf, gsize len,
			    goffset offset, GError **error);
gssize hiod_kernel_read(HiodContext *ctx, gint fd, gpointer buf, gsize len, GError **error);
gboolean hiod_kernel_write(HiodContext *ctx, gint fd, gconstpointer buf, gsize len, GError **error);
/* A new non-blocking, close-on-exec eventfd (counted like an opened fd; close it
 * with hiod_kernel_close()); fault injection name "eventfd". */
gint hiod_kernel_eventfd(HiodContext *ctx, GError **error);
/* A duplicate of @fd numbered @min_fd or above WITHOUT close-on-exec, for a
 * child that execs (counted like an opened fd; close it with
 * hiod_kernel_close()); fault injection name "dup". The library never clears
 * close-on-exec on an fd it uses itself. */
gint hiod_kernel_dup_inheritable(HiodContext *ctx, gint fd, gint min_fd, GError **error);
/* A close-on-exec duplicate of an fd handed over by another process (counted
 * like an opened fd); fault injection name "dup". */
gint hiod_kernel_dup(HiodContext *ctx, gint fd, GError **error);
/* Gives the node @path (not following a symlink) to @uid:@gid with @mode;
 * fault injection name "chown:PATH". */
gboolean hiod_kernel_chown(HiodContext *ctx, const gchar *path, guint uid, guint gid, guint mode,
			   GError **error);

/* The mainline kernel ("6.7") that added an ioctl request, by its name
 * ("IOMMU_HWPT_GET_DIRTY_BITMAP"); %NULL when not known. An ENOTTY answer to
 * such a request says so in its error. */
const gchar *hiod_kernel_first_version(const gchar *request);

/* The errno's symbolic name ("EBUSY"). */
const gchar *hiod_errno_name(gint errnum);
/* Sets @error from @errnum with the kernel's words, and a context prefix. */
void hiod_kernel_set_error(GError **error, gint errnum, const gchar *format, ...) G_GNUC_PRINTF(3, 4);

/* Kernel replies ----------------------------------------------------------
 * What the kernel writes back is checked before hiod uses it: a count or size
 * beyond these limits is refused rather than allocated or walked. */

/* The most bytes hiod gives a VFIO *_GET_INFO reply with its capability chain. */
#define HIOD_KERNEL_MAX_INFO_ARGSZ (1u << 20)
/* The most devices a hot reset can affect: every function of every bus of a PCI segment. */
#define HIOD_KERNEL_MAX_RESET_DEVICES 65536u
/* The most IOVA ranges hiod takes from one reply (IOMMU_IOAS_IOVA_RANGES). */
#define HIOD_KERNEL_MAX_IOVA_RANGES 65536u

/* Sets @error (HIOD_ERROR_IO): the kernel's @request reply is malformed, and why. */
void hiod_kernel_set_bad_reply(GError **error, const gchar *request, const gchar *format, ...)
	G_GNUC_PRINTF(3, 4);
/* Checks IOVA ranges (HiodIovaRange) a kernel reported: each start <= last, and once
 * sorted by start, none overlapping. Sorts @ranges; FALSE with a bad-reply error. */
gboolean hiod_kernel_check_iova_ranges(GPtrArray *ranges, const gchar *request, GError **error);
/* Walks a VFIO capability chain: @offset is the current capability's offset (the
 * info's cap_offset first). TRUE when the capability at @offset is whole in a reply
 * of @len bytes: at least @min_size bytes, 8-byte aligned, after @header_size
 * bytes of info and after @prev (the previous capability, 0 at the first); FALSE
 * with a bad-reply error otherwise. */
gboolean hiod_kernel_vfio_cap_check(gsize len, gsize header_size, guint32 prev,
				    guint32 offset, gsize min_size, const gchar *request,
				    GError **error);

/* Test seams ------------------------------------------------------------- */
void hiod_context_set_kernel_ops(HiodContext *self, const HiodKernelOps *ops, gpointer user_data);
/* Fail the @nth call (1 = the next one) of any kind through the chokepoint with @errnum. */
void hiod_context_inject_fault_nth(HiodContext *self, guint nth, gint errnum);
/* Fail every call whose name matches @pattern (a glob: "VFIO_IOMMU_MAP_DMA", "open:*vfio*",
 * "mmap", ...) with @errnum; @count calls at most (0 = all). */
void hiod_context_inject_fault_match(HiodContext *self, const gchar *pattern, gint errnum, guint count);
void hiod_context_clear_faults(HiodContext *self);
/* Number of calls through the chokepoint since the context was made. */
guint64 hiod_context_get_call_count(HiodContext *self);
/* Whether an injected fault fired since the last clear. */
gboolean hiod_context_fault_fired(HiodContext *self);

G_END_DECLS

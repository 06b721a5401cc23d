/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel chokepoint: stamping, tracing, errno mapping, fault injection. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

typedef struct {
	guint32 last_argsz;
	unsigned long last_request;
	gint next_fd;
	gint ioctl_errno;
	gint calls;
} FakeKernel;

static int
fake_open(gpointer data, const char *path, int flags)
{
	FakeKernel *k = data;
	if (g_str_has_suffix(path, "missing")) {
		errno = ENOENT;
		return -1;
	}
	return k->next_fd++;
}

static int
fake_close(gpointer data, int fd)
{
	return 0;
}

static int
fake_ioctl(gpointer data, int fd, unsigned long request, void *arg)
{
	FakeKernel *k = data;
	g_atomic_int_inc(&k->calls);
	k->last_request = request;
	if (arg != NULL && request != HIOD_VFIO_CHECK_EXTENSION)
		memcpy(&k->last_argsz, arg, sizeof(guint32));
	if (k->ioctl_errno != 0) {
		errno = k->ioctl_errno;
		return -1;
	}
	if (request == HIOD_VFIO_CHECK_EXTENSION)
		return (gulong)arg == HIOD_VFIO_TYPE1v2_IOMMU;
	return 0;
}

static void *
fake_mmap(gpointer data, size_t len, int prot, int flags, int fd, off_t offset)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static int
fake_munmap(gpointer data, void *addr, size_t len)
{
	return munmap(addr, len);
}

static ssize_t
fake_pread(gpointer data, int fd, void *buf, size_t len, off_t offset)
{
	memset(buf, 0xab, len);
	return (ssize_t)(len > 2 ? len - (offset == 0x99 ? 1 : 0) : len);
}

static ssize_t
fake_pwrite(gpointer data, int fd, const void *buf, size_t len, off_t offset)
{
	return (ssize_t)len;
}

static ssize_t
fake_read(gpointer data, int fd, void *buf, size_t len)
{
	return 0;
}

static ssize_t
fake_write(gpointer data, int fd, const void *buf, size_t len)
{
	return (ssize_t)len;
}

static const HiodKernelOps fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.ioctl = fake_ioctl,
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.pread = fake_pread,
	.pwrite = fake_pwrite,
	.read = fake_read,
	.write = fake_write,
};

static HiodContext *
fake_context(FakeKernel *k)
{
	HiodContext *ctx = hiod_context_new_with_roots("/nonexistent/sys", "/nonexistent/dev");
	k->next_fd = 100;
	hiod_context_set_kernel_ops(ctx, &fake_ops, k);
	return ctx;
}

static void
test_stamp(void)
{
	FakeKernel k = {0};
	g_autoptr(HiodContext) ctx = fake_context(&k);
	struct hiod_vfio_iommu_type1_info info = {.argsz = 0xdead};
	struct hiod_iommu_ioas_alloc alloc = {0};
	gint rc;

	rc = hiod_kernel_ioctl(ctx, 3, HIOD_IOC(VFIO_IOMMU_GET_INFO), &info, sizeof(info), NULL);
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpuint(k.last_argsz, ==, sizeof(info));
	g_assert_cmpuint(info.argsz, ==, 24);
	g_assert_cmphex(k.last_request, ==, HIOD_VFIO_IOMMU_GET_INFO);
	rc = hiod_kernel_ioctl(ctx, 3, HIOD_IOC(IOMMU_IOAS_ALLOC), &alloc, sizeof(alloc), NULL);
	g_assert_cmpuint(alloc.size, ==, 12);
	/* a value argument is passed as it is */
	rc = hiod_kernel_ioctl_value(ctx, 3, HIOD_IOC(VFIO_CHECK_EXTENSION), HIOD_VFIO_TYPE1v2_IOMMU,
				     NULL);
	g_assert_cmpint(rc, ==, 1);
	g_assert_cmpuint(hiod_context_get_call_count(ctx), ==, 3);
}

static void
test_error_words(void)
{
	FakeKernel k = {0};
	g_autoptr(HiodContext) ctx = fake_context(&k);
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_hwpt_alloc alloc = {0};

	k.ioctl_errno = EOPNOTSUPP;
	g_assert_cmpint(hiod_kernel_ioctl(ctx, 3, HIOD_IOC(IOMMU_HWPT_ALLOC), &alloc, sizeof(alloc),
					  &error),
			==, -1);
	g_assert_cmpint(errno, ==, EOPNOTSUPP);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "IOMMU_HWPT_ALLOC"));
	g_assert_nonnull(strstr(error->message, "EOPNOTSUPP"));
	g_assert_nonnull(strstr(error->message, g_strerror(EOPNOTSUPP)));
	g_clear_error(&error);

	g_assert_cmpint(hiod_kernel_open(ctx, "/x/missing", O_RDWR, &error), ==, -1);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "/x/missing"));
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

static void
test_fault_nth(void)
{
	FakeKernel k = {0};
	g_autoptr(HiodContext) ctx = fake_context(&k);
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_destroy d = {0};

	hiod_context_inject_fault_nth(ctx, 3, EBUSY);
	for (gint i = 1; i <= 5; i++) {
		gint rc = hiod_kernel_ioctl(ctx, 3, HIOD_IOC(IOMMU_DESTROY), &d, sizeof(d), &error);
		if (i == 3) {
			g_assert_cmpint(rc, ==, -1);
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
			g_assert_true(hiod_context_fault_fired(ctx));
			g_clear_error(&error);
		} else {
			g_assert_cmpint(rc, ==, 0);
			g_assert_no_error(error);
		}
	}
	/* the faulted call never reached the kernel */
	g_assert_cmpint(k.calls, ==, 4);
	hiod_context_clear_faults(ctx);
	g_assert_false(hiod_context_fault_fired(ctx));
}

static void
test_fault_match(void)
{
	FakeKernel k = {0};
	g_autoptr(HiodContext) ctx = fake_context(&k);
	g_autoptr(GError) error = NULL;
	struct hiod_iommu_destroy d = {0};
	struct hiod_iommu_ioas_map m = {0};
	gint fd;

	hiod_context_inject_fault_match(ctx, "IOMMU_IOAS_MAP", ENOMEM, 2);
	g_assert_cmpint(hiod_kernel_ioctl(ctx, 3, HIOD_IOC(IOMMU_DESTROY), &d, sizeof(d), NULL), ==, 0);
	g_assert_cmpint(hiod_kernel_ioctl(ctx, 3, HIOD_IOC(IOMMU_IOAS_MAP), &m, sizeof(m), &error), ==, -1);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_clear_error(&error);
	g_assert_cmpint(hiod_kernel_ioctl(ctx, 3, HIOD_IOC(IOMMU_IOAS_MAP), &m, sizeof(m), NULL), ==, -1);
	g_assert_cmpint(hiod_kernel_ioctl(ctx, 3, HIOD_IOC(IOMMU_IOAS_MAP), &m, sizeof(m), NULL), ==, 0);

	/* opens match on "open:<path>" */
	hiod_context_inject_fault_match(ctx, "open:*vfio*", EACCES, 0);
	fd = hiod_kernel_open(ctx, "/dev/vfio/7", O_RDWR, &error);
	g_assert_cmpint(fd, ==, -1);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_clear_error(&error);
	fd = hiod_kernel_open(ctx, "/dev/iommu", O_RDWR, &error);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 1);
	hiod_kernel_close(ctx, fd);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

static void
test_rw_mmap(void)
{
	FakeKernel k = {0};
	g_autoptr(HiodContext) ctx = fake_context(&k);
	g_autoptr(GError) error = NULL;
	guint8 buf[8];
	gpointer p;

	g_assert_true(hiod_kernel_pread(ctx, 3, buf, sizeof(buf), 0, &error));
	g_assert_cmpuint(buf[0], ==, 0xab);
	g_assert_false(hiod_kernel_pread(ctx, 3, buf, sizeof(buf), 0x99, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_clear_error(&error);
	g_assert_true(hiod_kernel_pwrite(ctx, 3, buf, sizeof(buf), 4, &error));
	g_assert_true(hiod_kernel_write(ctx, 3, buf, sizeof(buf), &error));
	hiod_context_inject_fault_match(ctx, "mmap", ENODEV, 1);
	g_assert_null(hiod_kernel_mmap(ctx, 3, 4096, PROT_READ, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	p = hiod_kernel_mmap(ctx, 3, 4096, PROT_READ, 0, &error);
	g_assert_no_error(error);
	g_assert_nonnull(p);
	hiod_kernel_munmap(ctx, p, 4096);
	hiod_context_inject_fault_match(ctx, "write", EFAULT, 1);
	g_assert_false(hiod_kernel_write(ctx, 3, buf, sizeof(buf), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
}

static gpointer
thread_calls(gpointer data)
{
	HiodContext *ctx = data;
	struct hiod_iommu_destroy d = {0};
	for (gint i = 0; i < 1000; i++)
		hiod_kernel_ioctl(ctx, 3, HIOD_IOC(IOMMU_DESTROY), &d, sizeof(d), NULL);
	return NULL;
}

static void
test_threads(void)
{
	FakeKernel k = {0};
	g_autoptr(HiodContext) ctx = fake_context(&k);
	GThread *threads[4];
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("calls", thread_calls, ctx);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	g_assert_cmpuint(hiod_context_get_call_count(ctx), ==, 4000);
	g_assert_cmpint(k.calls, ==, 4000);
}

static void
test_real_kernel_errors(void)
{
	/* the real ops, on a node that does not exist and on a plain file */
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tmp = NULL;
	gint fd;

	g_assert_cmpint(hiod_kernel_open(ctx, "/nonexistent/vfio/vfio", O_RDWR, &error), ==, -1);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	fd = g_file_open_tmp("hiod-XXXXXX", &tmp, NULL);
	close(fd);
	fd = hiod_kernel_open(ctx, tmp, O_RDWR, &error);
	g_assert_no_error(error);
	g_assert_cmpint(hiod_kernel_ioctl_value(ctx, fd, HIOD_IOC(VFIO_GET_API_VERSION), 0, &error), ==, -1);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED); /* ENOTTY */
	hiod_kernel_close(ctx, fd);
	g_unlink(tmp);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/kernel/stamp", test_stamp);
	g_test_add_func("/hiod/kernel/error-words", test_error_words);
	g_test_add_func("/hiod/kernel/fault-nth", test_fault_nth);
	g_test_add_func("/hiod/kernel/fault-match", test_fault_match);
	g_test_add_func("/hiod/kernel/rw-mmap", test_rw_mmap);
	g_test_add_func("/hiod/kernel/threads", test_threads);
	g_test_add_func("/hiod/kernel/real-kernel-errors", test_real_kernel_errors);
	return g_test_run();
}

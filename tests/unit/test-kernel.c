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

/* The base fake kernel with a reply hook that records what reached it, and
 * a pread hook that reads short at offset 0x99. Each test makes its calls on
 * one fake iommufd fd, made in the base's table (not through the chokepoint:
 * the context counts no call and no fd for it). */
typedef struct {
	guint32 last_argsz;
	unsigned long last_request;
	gint ioctl_errno;
	gint calls;
	gint fd;
} FakeKernel;

static int
fake_reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
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

static gssize
fake_pread(gpointer data, HiodTestFd *fd, gpointer buf, gsize len, goffset offset)
{
	memset(buf, 0xab, len);
	return (gssize)(len > 2 ? len - (offset == 0x99 ? 1 : 0) : len);
}

static HiodContext *
fake_context(FakeKernel *k)
{
	HiodContext *ctx = hiod_context_new_with_roots("/nonexistent/sys", "/nonexistent/dev");
	HiodTestKernel *base = hiod_test_kernel_new(ctx);
	base->reply = fake_reply;
	base->pread_hook = fake_pread;
	base->reply_data = k;
	k->fd = hiod_test_kernel_add_fd(base, HIOD_TEST_FD_IOMMUFD)->fd;
	/* the kernel goes with the context */
	g_object_set_data_full(G_OBJECT(ctx), "hiod-test-kernel", base, (GDestroyNotify)hiod_test_kernel_free);
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

	rc = hiod_kernel_ioctl(ctx, k.fd, HIOD_IOC(VFIO_IOMMU_GET_INFO), &info, sizeof(info), NULL);
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpuint(k.last_argsz, ==, sizeof(info));
	g_assert_cmpuint(info.argsz, ==, 24);
	g_assert_cmphex(k.last_request, ==, HIOD_VFIO_IOMMU_GET_INFO);
	rc = hiod_kernel_ioctl(ctx, k.fd, HIOD_IOC(IOMMU_IOAS_ALLOC), &alloc, sizeof(alloc), NULL);
	g_assert_cmpuint(alloc.size, ==, 12);
	/* a value argument is passed as it is */
	rc = hiod_kernel_ioctl_value(ctx, k.fd, HIOD_IOC(VFIO_CHECK_EXTENSION), HIOD_VFIO_TYPE1v2_IOMMU,
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
	g_assert_cmpint(hiod_kernel_ioctl(ctx, k.fd, HIOD_IOC(IOMMU_HWPT_ALLOC), &alloc, sizeof(alloc),
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
		gint rc = hiod_kernel_ioctl(ctx, k.fd, HIOD_IOC(IOMMU_DESTROY), &d, sizeof(d), &error);
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
	g_assert_cmpint(hiod_kernel_ioctl(ctx, k.fd, HIOD_IOC(IOMMU_DESTROY), &d, sizeof(d), NULL), ==, 0);
	g_assert_cmpint(hiod_kernel_ioctl(ctx, k.fd, HIOD_IOC(IOMMU_IOAS_MAP), &m, sizeof(m), &error), ==, -1);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_clear_error(&error);
	g_assert_cmpint(hiod_kernel_ioctl(ctx, k.fd, HIOD_IOC(IOMMU_IOAS_MAP), &m, sizeof(m), NULL), ==, -1);
	g_assert_cmpint(hiod_kernel_ioctl(ctx, k.fd, HIOD_IOC(IOMMU_IOAS_MAP), &m, sizeof(m), NULL), ==, 0);

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

	g_assert_true(hiod_kernel_pread(ctx, k.fd, buf, sizeof(buf), 0, &error));
	g_assert_cmpuint(buf[0], ==, 0xab);
	g_assert_false(hiod_kernel_pread(ctx, k.fd, buf, sizeof(buf), 0x99, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_clear_error(&error);
	g_assert_true(hiod_kernel_pwrite(ctx, k.fd, buf, sizeof(buf), 4, &error));
	g_assert_true(hiod_kernel_write(ctx, k.fd, buf, sizeof(buf), &error));
	hiod_context_inject_fault_match(ctx, "mmap", ENODEV, 1);
	g_assert_null(hiod_kernel_mmap(ctx, k.fd, 4096, PROT_READ, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	p = hiod_kernel_mmap(ctx, k.fd, 4096, PROT_READ, 0, &error);
	g_assert_no_error(error);
	g_assert_nonnull(p);
	hiod_kernel_munmap(ctx, p, 4096);
	hiod_context_inject_fault_match(ctx, "write", EFAULT, 1);
	g_assert_false(hiod_kernel_write(ctx, k.fd, buf, sizeof(buf), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
}

typedef struct {
	HiodContext *ctx;
	gint fd;
} ThreadArgs;

static gpointer
thread_calls(gpointer data)
{
	ThreadArgs *t = data;
	struct hiod_iommu_destroy d = {0};
	for (gint i = 0; i < 1000; i++)
		g_assert_cmpint(hiod_kernel_ioctl(t->ctx, t->fd, HIOD_IOC(IOMMU_DESTROY), &d, sizeof(d), NULL), ==, 0);
	return NULL;
}

static void
test_threads(void)
{
	FakeKernel k = {0};
	g_autoptr(HiodContext) ctx = fake_context(&k);
	GThread *threads[4];
	ThreadArgs args = {ctx, k.fd};
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("calls", thread_calls, &args);
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

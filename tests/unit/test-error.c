/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "hiod-test-common.h"

static void
test_errno_map(void)
{
	static const struct {
		gint errnum;
		HiodError code;
	} table[] = {
	    {EOPNOTSUPP, HIOD_ERROR_NOT_SUPPORTED}, {ENOTTY, HIOD_ERROR_NOT_SUPPORTED},
	    {ENOENT, HIOD_ERROR_NOT_FOUND},	    {ENODEV, HIOD_ERROR_NOT_FOUND},
	    {ENXIO, HIOD_ERROR_NOT_FOUND},	    {EPERM, HIOD_ERROR_PERMISSION_DENIED},
	    {EACCES, HIOD_ERROR_PERMISSION_DENIED}, {EBUSY, HIOD_ERROR_BUSY},
	    {EINVAL, HIOD_ERROR_INVALID_ARGUMENT},  {E2BIG, HIOD_ERROR_INVALID_ARGUMENT},
	    {EFAULT, HIOD_ERROR_INVALID_ARGUMENT},  {EEXIST, HIOD_ERROR_EXISTS},
	    {EADDRINUSE, HIOD_ERROR_EXISTS},	    {ENOSPC, HIOD_ERROR_NO_SPACE},
	    {ENOMEM, HIOD_ERROR_NO_SPACE},	    {ETIMEDOUT, HIOD_ERROR_TIMED_OUT},
	    {EIO, HIOD_ERROR_IO},		    {EDOM, HIOD_ERROR_FAILED},
	};
	for (guint i = 0; i < G_N_ELEMENTS(table); i++)
		g_assert_cmpint(hiod_error_from_errno(table[i].errnum), ==, table[i].code);
}

static void
test_nicks(void)
{
	g_assert_cmpstr(hiod_error_to_nick(HIOD_ERROR_NOT_SUPPORTED), ==, "not-supported");
	g_assert_cmpstr(hiod_error_to_nick(HIOD_ERROR_PERMISSION_DENIED), ==, "permission-denied");
	g_assert_cmpstr(hiod_error_to_nick(HIOD_ERROR_INCOMPATIBLE), ==, "incompatible");
	g_assert_cmpstr(g_quark_to_string(HIOD_ERROR), ==, "hiod-error-quark");
}

static void
test_kernel_words(void)
{
	g_autoptr(GError) error = NULL;
	hiod_kernel_set_error(&error, EPERM, "binding %s to iommufd", "0000:00:04.0");
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_assert_cmpstr(error->message, ==,
			"binding 0000:00:04.0 to iommufd: Operation not permitted (errno 1, EPERM)");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/error/errno-map", test_errno_map);
	g_test_add_func("/hiod/error/nicks", test_nicks);
	g_test_add_func("/hiod/error/kernel-words", test_kernel_words);
	return g_test_run();
}

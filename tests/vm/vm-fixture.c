/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include "hiod-edu.h"
#include "vm-fixture.h"

void
vm_fixture_setup(VmFixture *f, gconstpointer data)
{
	f->ctx = hiod_context_new();
	f->fds_at_start = hiod_context_get_open_fd_count(f->ctx);
}

void
vm_fixture_teardown(VmFixture *f, gconstpointer data)
{
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, f->fds_at_start);
	g_clear_object(&f->ctx);
}

gboolean
vm_have_device(const gchar *bdf)
{
	g_autofree gchar *path = g_build_filename("/sys/bus/pci/devices", bdf, NULL);
	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return TRUE;
	g_test_skip_printf("%s is not in this topology", bdf);
	return FALSE;
}

guint8 *
vm_buffer_new(gsize len, guint8 fill)
{
	guint8 *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_assert_true(b != MAP_FAILED);
	memset(b, fill, len);
	return b;
}

void
vm_edu_round_trip(HiodVfioDevice *d, HiodContainer *c)
{
	g_autoptr(GError) error = NULL;
	HiodEdu edu = {0};
	g_assert_true(hiod_edu_init(&edu, d, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_round_trip(&edu, c, 0x100000, 0x200000, HIOD_EDU_MAX_DMA, &error));
	g_assert_no_error(error);
}

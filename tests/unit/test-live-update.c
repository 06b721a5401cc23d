/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HiodLiveUpdate's logic without a kernel: what is refused before anything
 * changes (memory, documents), and the document and fds over a socket. The
 * hand-over itself is proven in the VM (tests/vm/test-vm-live-update.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hiod-test-common.h"

#define SIZE 0x200000u

static gint
memfd(void)
{
	gint fd = memfd_create("test-live-update", MFD_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, SIZE), ==, 0);
	return fd;
}

static gchar *
doc_for(gint fd, guint64 offset, guint64 size)
{
	struct stat st;
	g_assert_cmpint(fstat(fd, &st), ==, 0);
	return g_strdup_printf("{\"hiod_live_update\":1,\"memory\":[{\"fd\":0,\"dev\":\"0x%" G_GINT64_MODIFIER
			       "x\",\"ino\":\"0x%" G_GINT64_MODIFIER "x\"}],\"containers\":[],\"sections\":"
			       "[{\"iova\":\"0x100000\",\"size\":\"0x%" G_GINT64_MODIFIER "x\",\"readonly\":false,"
			       "\"memory\":0,\"offset\":\"0x%" G_GINT64_MODIFIER "x\"}]}",
			       (guint64)st.st_dev, (guint64)st.st_ino, size, offset);
}

static void
test_adopt_refusals(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new_with_roots("/nonexistent", "/nonexistent");
	gint fd = memfd(), other = memfd();
	gpointer mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	gpointer mem2 = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, other, 0);
	g_autofree gchar *good = doc_for(fd, 0, SIZE);
	g_autofree gchar *beyond = doc_for(fd, 0x1000, SIZE);
	HiodMemoryRegion right = {mem, SIZE, fd, 0}, wrong = {mem2, SIZE, other, 0};
	HiodMemoryRegion half = {mem, SIZE / 2, fd, 0};
	struct {
		const gchar *doc;
		const HiodMemoryRegion *region;
		gint code;
		const gchar *words;
	} cases[] = {
	    {"not json", &right, HIOD_ERROR_INVALID_ARGUMENT, "not JSON"},
	    {"[1]", &right, HIOD_ERROR_INVALID_ARGUMENT, "not a JSON object"},
	    {"{\"hiod_live_update\":2}", &right, HIOD_ERROR_INVALID_ARGUMENT, "version 1"},
	    {"{\"hiod_live_update\":1,\"memory\":[]}", &right, HIOD_ERROR_INVALID_ARGUMENT, "containers"},
	    {good, &wrong, HIOD_ERROR_INCOMPATIBLE, "not the old process's"},
	    {good, &half, HIOD_ERROR_INCOMPATIBLE, "nothing was changed"},
	    {beyond, &right, HIOD_ERROR_INCOMPATIBLE, "offset 0x1000"},
	};
	g_assert_true(mem != MAP_FAILED && mem2 != MAP_FAILED);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		guint64 calls = hiod_context_get_call_count(ctx);
		g_autoptr(HiodAddressSpace) space =
		    hiod_live_update_adopt(ctx, cases[i].doc, &fd, 1, cases[i].region, 1, NULL, &error);
		g_assert_null(space);
		g_assert_nonnull(error);
		g_test_message("%s", error->message);
		if (cases[i].code >= 0)
			g_assert_error(error, HIOD_ERROR, cases[i].code);
		if (cases[i].words != NULL)
			g_assert_nonnull(strstr(error->message, cases[i].words));
		/* refused before the kernel was asked anything; nothing kept */
		g_assert_cmpuint(hiod_context_get_call_count(ctx), ==, calls);
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	}
	/* the right memory and no container: an empty space with the section */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodAddressSpace) space = hiod_live_update_adopt(ctx, good, &fd, 1, &right, 1, NULL, &error);
		gpointer at = NULL;
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_address_space_get_n_sections(space), ==, 1);
		g_assert_true(hiod_address_space_lookup(space, 0x100000, NULL, NULL, &at, NULL));
		g_assert_true(at == mem);
	}
	munmap(mem, SIZE);
	munmap(mem2, SIZE);
	close(fd);
	close(other);
}

static void
test_new_refusals(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new_with_roots("/nonexistent", "/nonexistent");
	g_autoptr(HiodAddressSpace) space = hiod_address_space_new(ctx);
	g_autoptr(GError) error = NULL;
	gint fd = memfd();
	HiodMemoryRegion bad = {NULL, SIZE, fd, 0};
	g_autoptr(HiodLiveUpdate) lu = hiod_live_update_new(space, NULL, 0, &error);
	g_assert_null(lu);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	lu = hiod_live_update_new(space, &bad, 1, &error);
	g_assert_null(lu);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	close(fd);
}

static void
test_socket(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *doc = NULL;
	g_autoptr(GArray) got = NULL;
	g_autofree gchar *big = g_strnfill(200000, 'x');
	gint sv[2], fds[3];
	struct stat a, b;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	for (guint i = 0; i < 3; i++)
		fds[i] = memfd();
	/* a document larger than a socket buffer: the fds come with its first bytes */
	if (fork() == 0) {
		gboolean ok = hiod_live_update_send(sv[0], big, fds, 3, NULL);
		_exit(ok ? 0 : 1);
	}
	g_assert_true(hiod_live_update_receive(sv[1], &doc, &got, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(doc, ==, big);
	g_assert_cmpuint(got->len, ==, 3);
	for (guint i = 0; i < 3; i++) {
		gint fd = g_array_index(got, gint, i);
		g_assert_cmpint(fstat(fds[i], &a), ==, 0);
		g_assert_cmpint(fstat(fd, &b), ==, 0);
		g_assert_true(a.st_ino == b.st_ino);
		g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, !=, 0);
		close(fd);
		close(fds[i]);
	}
	/* the sender gone: a clear error */
	close(sv[0]);
	g_clear_pointer(&doc, g_free);
	g_clear_pointer(&got, g_array_unref);
	g_assert_false(hiod_live_update_receive(sv[1], &doc, &got, &error));
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	close(sv[1]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/live-update/adopt-refusals", test_adopt_refusals);
	g_test_add_func("/hiod/live-update/new-refusals", test_new_refusals);
	g_test_add_func("/hiod/live-update/socket", test_socket);
	return g_test_run();
}

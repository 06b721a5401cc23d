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
#include "hiod-backend-private.h"
#include "hiod-uapi-private.h"

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

#if HIOD_HAVE_IOMMUFD
typedef struct {
	HiodTestKernel *k;
	gboolean has_map_file; /* else ENOTTY, as Linux 6.12 */
	guint n_map, n_map_file, n_change;
	gint map_file_fd;
	guint64 map_file_start;
} MapFileKernel;

static int
map_file_reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	MapFileKernel *m = data;
	if (kind == HIOD_TEST_FD_IOMMUFD && request == HIOD_IOMMU_IOAS_MAP)
		m->n_map++;
	if (kind == HIOD_TEST_FD_IOMMUFD && request == HIOD_IOMMU_IOAS_MAP_FILE) {
		struct hiod_iommu_ioas_map_file *a = arg;
		m->n_map_file++;
		if (!m->has_map_file) {
			errno = ENOTTY;
			return -1;
		}
		m->map_file_fd = a->fd;
		m->map_file_start = a->start;
		return 0;
	}
	if (kind == HIOD_TEST_FD_IOMMUFD && request == HIOD_IOMMU_IOAS_CHANGE_PROCESS && m->has_map_file) {
		struct hiod_iommu_ioas_change_process *a = arg;
		if (a->__reserved != 0) { /* the probe */
			errno = EOPNOTSUPP;
			return -1;
		}
		m->n_change++;
		return 0;
	}
	return hiod_test_kernel_default_ioctl(m->k, kind, request, arg);
}

/* IOMMU_IOAS_MAP_FILE for memory the space knows, by address otherwise and
 * on a kernel without it (6.12: once refused, not asked again); what the
 * live update then accepts or refuses */
static void
test_iommufd_map_file(gconstpointer data)
{
	gboolean has = GPOINTER_TO_INT(data);
	g_autoptr(HiodTestTree) tree = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodTestKernel) k = NULL;
	g_autoptr(HiodVfioDevice) dev = NULL;
	g_autoptr(HiodAddressSpace) space = NULL;
	g_autoptr(HiodLiveUpdate) lu = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) known = NULL;
	MapFileKernel m = {.has_map_file = has, .map_file_fd = -1};
	gint fd = memfd();
	guint8 *mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	guint8 *anon = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	HiodMemoryRegion region = {mem + 0x1000, SIZE - 0x1000, fd, 0x1000};
	HiodMemoryRegion overlap = {mem, SIZE, fd, 0};
	HiodMemoryRegion notfile = {anon, SIZE, 0, 0};
	HiodContainer *c;
	guint fds0;

	g_assert_true(mem != MAP_FAILED && anon != MAP_FAILED);
	hiod_test_tree_add_fake_kernel_devices(tree);
	ctx = hiod_test_tree_context(tree);
	k = hiod_test_kernel_new(ctx);
	m.k = k;
	k->reply = map_file_reply;
	k->reply_data = &m;
	/* the fake kernel's dup takes only its own fds: it knows the memfd too */
	hiod_test_kernel_adopt_fd(k, fd, HIOD_TEST_FD_VDPA);
	space = hiod_address_space_new(ctx);
	dev = hiod_vfio_device_new(ctx, "0000:00:04.0", &error);
	g_assert_no_error(error);

	fds0 = hiod_context_get_open_fd_count(ctx);
	g_assert_true(hiod_address_space_add_memory(space, &region, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, fds0 + 1); /* the space's own duplicate */
	g_assert_false(hiod_address_space_add_memory(space, &overlap, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "overlaps"));
	g_clear_error(&error);
	g_assert_false(hiod_address_space_add_memory(space, &notfile, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, fds0 + 1);
	known = hiod_address_space_get_memory(space);
	g_assert_cmpuint(known->len, ==, 1);
	g_assert_true(g_array_index(known, HiodMemoryRegion, 0).vaddr == region.vaddr);
	g_assert_cmpint(g_array_index(known, HiodMemoryRegion, 0).fd, !=, fd);

	c = hiod_address_space_attach_device(space, dev, HIOD_BACKEND_KIND_IOMMUFD, 0, &error);
	g_assert_no_error(error);
	g_assert_nonnull(c);
	/* in the file-backed memory, at file offset 0x1000 + 0x2000 */
	g_assert_true(hiod_address_space_add_section(space, 0x100000, 0x10000, mem + 0x3000, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(m.n_map_file, ==, 1);
	if (has) {
		g_assert_cmpuint(m.n_map, ==, 0);
		g_assert_cmpint(m.map_file_fd, ==, g_array_index(known, HiodMemoryRegion, 0).fd);
		g_assert_cmpuint(m.map_file_start, ==, 0x3000);
		g_assert_false(hiod_iommufd_container_get_mapped_by_address(HIOD_IOMMUFD_CONTAINER(c)));
		lu = hiod_live_update_new(space, &region, 1, &error); /* (the space's fds are the fake kernel's) */
		g_assert_no_error(error);
		g_assert_nonnull(lu);
		g_clear_object(&lu);
	} else {
		/* Linux 6.12: by address, and the kernel is not asked again */
		g_assert_cmpuint(m.n_map, ==, 1);
		g_assert_true(hiod_iommufd_container_get_mapped_by_address(HIOD_IOMMUFD_CONTAINER(c)));
		g_assert_true(hiod_address_space_add_section(space, 0x200000, 0x10000, mem + 0x20000, 0, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(m.n_map_file, ==, 1);
		g_assert_cmpuint(m.n_map, ==, 2);
		lu = hiod_live_update_new(space, &region, 1, &error); /* (the space's fds are the fake kernel's) */
		g_assert_null(lu);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_assert_nonnull(strstr(error->message, "6.13"));
		g_test_message("%s", error->message);
		g_clear_error(&error);
	}
	/* outside the memory the space knows: by address, and then no live update */
	g_assert_true(hiod_address_space_add_section(space, 0x400000, 0x10000, anon, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(m.n_map, ==, has ? 1 : 3);
	g_assert_true(hiod_iommufd_container_get_mapped_by_address(HIOD_IOMMUFD_CONTAINER(c)));
	lu = hiod_live_update_new(space, &region, 1, &error); /* (the space's fds are the fake kernel's) */
	g_assert_null(lu);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, has ? "by address" : "6.13"));
	g_test_message("%s", error->message);
	g_assert_cmpuint(m.n_change, ==, 0);
	hiod_address_space_detach_device(space, dev);
	g_clear_object(&space);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, fds0);
	hiod_test_kernel_forget_fd(k, fd);
	munmap(mem, SIZE);
	munmap(anon, SIZE);
	close(fd);
}

/* an iommufd container in the document: its ids checked before any fd is duplicated */
static void
test_adopt_iommufd_refusals(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new_with_roots("/nonexistent", "/nonexistent");
	gint fd = memfd();
	struct stat st;
	const gchar *containers[] = {
	    "{\"backend\":\"iommufd\",\"fd\":0,\"hwpts\":[],\"devices\":[]}",
	    "{\"backend\":\"iommufd\",\"fd\":0,\"ioas\":2,\"hwpts\":[{\"flags\":0}],\"devices\":[]}",
	    "{\"backend\":\"iommufd\",\"fd\":5,\"ioas\":2,\"hwpts\":[],\"devices\":[]}",
	    "{\"backend\":\"vhost\",\"fd\":0}",
	};
	const gchar *words[] = {"IOAS id", "HWPT without its id", "index below 1", "'vhost'"};
	gpointer mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	HiodMemoryRegion right = {mem, SIZE, fd, 0};
	g_assert_cmpint(fstat(fd, &st), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(containers); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *doc = g_strdup_printf(
		    "{\"hiod_live_update\":1,\"memory\":[{\"fd\":0,\"dev\":\"0x%" G_GINT64_MODIFIER
		    "x\",\"ino\":\"0x%" G_GINT64_MODIFIER "x\"}],\"containers\":[%s],\"sections\":[]}",
		    (guint64)st.st_dev, (guint64)st.st_ino, containers[i]);
		guint64 calls = hiod_context_get_call_count(ctx);
		g_autoptr(HiodAddressSpace) space = hiod_live_update_adopt(ctx, doc, &fd, 1, &right, 1, NULL, &error);
		g_assert_null(space);
		g_assert_nonnull(error);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, words[i]));
		g_assert_cmpuint(hiod_context_get_call_count(ctx), ==, calls);
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	}
	munmap(mem, SIZE);
	close(fd);
}
#endif

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/live-update/adopt-refusals", test_adopt_refusals);
	g_test_add_func("/hiod/live-update/new-refusals", test_new_refusals);
	g_test_add_func("/hiod/live-update/socket", test_socket);
#if HIOD_HAVE_IOMMUFD
	g_test_add_data_func("/hiod/live-update/iommufd-map-file", GINT_TO_POINTER(TRUE), test_iommufd_map_file);
	g_test_add_data_func("/hiod/live-update/iommufd-map-file-6.12", GINT_TO_POINTER(FALSE), test_iommufd_map_file);
	g_test_add_func("/hiod/live-update/adopt-iommufd-refusals", test_adopt_iommufd_refusals);
#endif
	return g_test_run();
}

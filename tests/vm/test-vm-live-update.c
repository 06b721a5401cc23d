/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live update against the real kernel (issue 16; guest program, TAP):
 * an edu device does DMA through a type1 container into guest memory from a
 * memfd; the state is handed to a new process that never adopts (it dies:
 * the old process cancels and does DMA again), then across exec to a new
 * program that adopts it (a different memfd first: refused, nothing
 * changed) and does DMA to the same IOVAs with the data intact. The kernel's
 * own counts (type1 DMA_AVAIL, the process's VmLck) show that no mapping or
 * pin was lost or doubled. iommufd: the refusal (6.12 names the kernel).
 *
 *   test-vm-live-update            the old process (execs itself --adopt)
 *   test-vm-live-update --die FD   a new process that dies before adopting */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hiod.h"
#include "hiod-edu.h"
#include "hiod-kernel-private.h"

#define EDU0 "0000:00:04.0"
#define MEM_SIZE (2u << 20)
#define IOVA 0x100000u
#define DST_OFF 0x1000u
#define DMA_LEN 2048
#define TIMEOUT_MS 5000

static guint n_tests;
static guint n_failed;

static gboolean
check(gboolean ok, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean
check(gboolean ok, const gchar *fmt, ...)
{
	va_list ap;
	g_autofree gchar *what = NULL;
	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	n_tests++;
	if (!ok)
		n_failed++;
	printf("%s %u - %s\n", ok ? "ok" : "not ok", n_tests, what);
	fflush(stdout);
	return ok;
}

static void
fill(guint8 *p, gsize len, guint8 seed)
{
	for (gsize i = 0; i < len; i++)
		p[i] = (guint8)(seed + i * 7);
}

static gboolean
same(const guint8 *p, gsize len, guint8 seed)
{
	for (gsize i = 0; i < len; i++)
		if (p[i] != (guint8)(seed + i * 7))
			return FALSE;
	return TRUE;
}

/* RAM at IOVA -> edu -> RAM at IOVA + DST_OFF, with a fresh pattern; TRUE when it arrived */
static gboolean
edu_round_trip(HiodVfioDevice *dev, guint8 *mem, guint8 seed, GError **error)
{
	HiodEdu edu;
	fill(mem, DMA_LEN, seed);
	memset(mem + DST_OFF, 0, DMA_LEN);
	if (!hiod_edu_init(&edu, dev, error) || !hiod_edu_dma(&edu, IOVA, DMA_LEN, FALSE, TIMEOUT_MS, error) ||
	    !hiod_edu_dma(&edu, IOVA + DST_OFF, DMA_LEN, TRUE, TIMEOUT_MS, error))
		return FALSE;
	return same(mem + DST_OFF, DMA_LEN, seed);
}

/* the kernel's count of this process's locked memory (type1 accounts its pins there) */
static guint64
vm_lck_kb(void)
{
	g_autofree gchar *status = NULL;
	gchar *p;
	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL) ||
	    (p = strstr(status, "VmLck:")) == NULL)
		return G_MAXUINT64;
	return g_ascii_strtoull(p + 6, NULL, 10);
}

static guint
dma_avail(HiodContainer *c)
{
	g_autoptr(GError) error = NULL;
	guint avail = 0;
	if (!hiod_legacy_container_get_dma_avail(HIOD_LEGACY_CONTAINER(c), &avail, &error))
		g_printerr("dma_avail: %s\n", error->message);
	return avail;
}

static guint8 *
map_memfd(gint fd)
{
	void *p = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static gint
new_memfd(void)
{
	gint fd = memfd_create("hiod-guest-ram", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, MEM_SIZE) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static gint
finish(void)
{
	printf("1..%u\n", n_tests);
	return n_failed > 0 ? 1 : 0;
}

/* a new process that receives the state and dies before adopting it */
static gint
die_before_adopting(gint sock)
{
	g_autofree gchar *doc = NULL;
	g_autoptr(GArray) fds = NULL;
	g_autoptr(GError) error = NULL;
	if (!hiod_live_update_receive(sock, &doc, &fds, &error)) {
		g_printerr("--die: %s\n", error->message);
		return 2;
	}
	/* got everything; gone before adopting (no cleanup: as a crash) */
	_exit(3);
}

static void
iommufd_refusal(HiodContext *ctx, guint8 *mem, gint memfd)
{
#if HIOD_HAVE_IOMMUFD
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodAddressSpace) space = hiod_address_space_new(ctx);
	g_autoptr(HiodVfioDevice) dev = hiod_vfio_device_new(ctx, EDU0, &error);
	g_autoptr(HiodLiveUpdate) lu = NULL;
	HiodMemoryRegion region = {mem, MEM_SIZE, memfd, 0};
	HiodContainer *c;
	gboolean has_change_process;

	if (dev == NULL || (c = hiod_address_space_attach_device(space, dev, HIOD_BACKEND_KIND_IOMMUFD, 0, &error)) == NULL ||
	    !hiod_address_space_add_section(space, IOVA, MEM_SIZE, mem, 0, &error)) {
		check(FALSE, "iommufd: attach and map (%s)", error->message);
		return;
	}
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x51, &error);
		check(ok_, "iommufd: edu DMA before (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	lu = hiod_live_update_new(space, &region, 1, &error);
	{
		struct utsname u;
		has_change_process = uname(&u) == 0 && !g_str_has_prefix(u.release, "6.12");
	}
	{
		gboolean ok_ = lu == NULL && g_error_matches(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED) &&
		  strstr(error->message, "IOMMU_IOAS_CHANGE_PROCESS") != NULL &&
		  strstr(error->message, has_change_process ? "does not hand an iommufd container over yet" : "6.13") != NULL;
		check(ok_,
	      "iommufd: a live update is refused with the reason (%s)", error ? error->message : "accepted");
	}
	g_clear_error(&error);
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x52, &error);
		check(ok_, "iommufd: the refusal changed nothing: DMA again (%s)",
	      error ? error->message : "ok");
	}
	hiod_address_space_detach_device(space, dev);
#endif
}

static gint
old_process(const gchar *self_exe)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(HiodAddressSpace) space = hiod_address_space_new(ctx);
	g_autoptr(HiodVfioDevice) dev = hiod_vfio_device_new(ctx, EDU0, &error);
	g_autoptr(HiodLiveUpdate) lu = NULL;
	g_autoptr(GArray) fds = NULL;
	g_autofree gchar *doc = NULL;
	HiodMemoryRegion region;
	HiodContainer *c;
	gint memfd = new_memfd(), sv[2], status = 0;
	guint8 *mem;
	guint avail0;
	guint64 lck0;
	pid_t pid;

	if (dev == NULL || memfd < 0 || (mem = map_memfd(memfd)) == NULL) {
		{
			gboolean ok_ = FALSE;
			check(ok_, "setup: %s", error ? error->message : g_strerror(errno));
		}
		return finish();
	}
	iommufd_refusal(ctx, mem, memfd);

	c = hiod_address_space_attach_device(space, dev, HIOD_BACKEND_KIND_LEGACY, 0, &error);
	if (!check(c != NULL && hiod_address_space_add_section(space, IOVA, MEM_SIZE, mem, 0, &error),
		   "type1: %s attached, 2 MiB of memfd memory mapped at IOVA 0x%x (%s)", EDU0, IOVA,
		   error ? error->message : "ok"))
		return finish();
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x11, &error);
		check(ok_, "type1: edu DMA before the update (%s)",
	      error ? error->message : "ok");
	}
	g_clear_error(&error);
	avail0 = dma_avail(c);
	lck0 = vm_lck_kb();
	check(avail0 > 0 && lck0 >= MEM_SIZE / 1024, "type1: the kernel counts it: DMA_AVAIL %u, VmLck %" G_GUINT64_FORMAT " kB",
	      avail0, lck0);

	region = (HiodMemoryRegion){mem, MEM_SIZE, memfd, 0};
	lu = hiod_live_update_new(space, &region, 1, &error);
	if (!check(lu != NULL, "type1: the space can be handed over (VFIO_UPDATE_VADDR) (%s)",
		   error ? error->message : "ok"))
		return finish();

	/* 1. the new process dies before adopting: the old one cancels and goes on */
	doc = hiod_live_update_save(lu, &fds, &error);
	{
		gboolean ok_ = doc != NULL;
		check(ok_, "save: the old host addresses are taken away, %u fds (%s)", fds ? fds->len : 0,
	      error ? error->message : "ok");
	}
	g_clear_error(&error);
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x22, &error);
		check(ok_,
	      "while handed over, the device's DMA goes on (mappings and pins stay) (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	pid = fork();
	if (pid == 0) {
		g_autofree gchar *arg = g_strdup_printf("%d", sv[1]);
		fcntl(sv[1], F_SETFD, 0); /* the child's copy only */
		execl(self_exe, self_exe, "--die", arg, NULL);
		_exit(127);
	}
	close(sv[1]);
	{
		gboolean ok_ = hiod_live_update_send(sv[0], doc, (gint *)fds->data, fds->len, &error);
		check(ok_,
	      "the state goes to a new process over a Unix socket (SCM_RIGHTS) (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	waitpid(pid, &status, 0);
	close(sv[0]);
	for (guint i = 0; i < fds->len; i++)
		close(g_array_index(fds, gint, i));
	g_clear_pointer(&fds, g_array_unref);
	g_clear_pointer(&doc, g_free);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 3, "the new process got it and died before adopting (status 0x%x)",
	      status);
	{
		gboolean ok_ = hiod_live_update_cancel(lu, &error);
		check(ok_, "the old process cancels: its host addresses back (%s)",
	      error ? error->message : "ok");
	}
	g_clear_error(&error);
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x33, &error);
		check(ok_, "the old state stays usable: edu DMA again (%s)",
	      error ? error->message : "ok");
	}
	g_clear_error(&error);
	check(dma_avail(c) == avail0 && vm_lck_kb() == lck0,
	      "nothing lost or doubled: DMA_AVAIL %u (was %u), VmLck %" G_GUINT64_FORMAT " kB (was %" G_GUINT64_FORMAT ")",
	      dma_avail(c), avail0, vm_lck_kb(), lck0);

	/* 2. exec a new program that adopts the state; the data of the last DMA must be there */
	fill(mem + 3 * DST_OFF, DMA_LEN, 0x44); /* a mark the device never touched */
	doc = hiod_live_update_save(lu, &fds, &error);
	if (!check(doc != NULL, "save again for the exec (%s)", error ? error->message : "ok"))
		return finish();
	{
		GString *list = g_string_new(NULL);
		g_autofree gchar *s = NULL;
		for (guint i = 0; i < fds->len; i++)
			g_string_append_printf(list, "%s%d", i ? "," : "", g_array_index(fds, gint, i));
		s = g_string_free(list, FALSE);
		g_setenv("HIOD_LU_FDS", s, TRUE);
	}
	g_setenv("HIOD_LU_DOC", doc, TRUE);
	{
		g_autofree gchar *a = g_strdup_printf("%u", avail0);
		g_autofree gchar *l = g_strdup_printf("%" G_GUINT64_FORMAT, lck0);
		g_autofree gchar *n = g_strdup_printf("%u", n_tests);
		g_autofree gchar *addr = g_strdup_printf("%p", mem);
		g_setenv("HIOD_LU_AVAIL", a, TRUE);
		g_setenv("HIOD_LU_LCK", l, TRUE);
		g_setenv("HIOD_LU_N", n, TRUE);
		g_setenv("HIOD_LU_OLD_ADDR", addr, TRUE);
	}
	hiod_live_update_complete(lu);
	printf("# exec of the new program (pid %d)\n", (int)getpid());
	fflush(stdout);
	execl(self_exe, self_exe, "--adopt", NULL);
	check(FALSE, "exec %s: %s", self_exe, g_strerror(errno));
	return finish();
}

static gint
new_process(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(HiodAddressSpace) space = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	g_auto(GStrv) fdv = g_strsplit(g_getenv("HIOD_LU_FDS"), ",", -1);
	const gchar *doc = g_getenv("HIOD_LU_DOC");
	g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(JsonParser) parser = json_parser_new();
	guint avail0 = (guint)g_ascii_strtoull(g_getenv("HIOD_LU_AVAIL"), NULL, 10);
	guint64 lck0 = g_ascii_strtoull(g_getenv("HIOD_LU_LCK"), NULL, 10);
	HiodMemoryRegion good, bad, small;
	HiodVfioDevice *dev;
	HiodContainer *c;
	gint memfd, other = new_memfd();
	guint8 *mem, *other_mem, *spare;
	guint64 calls;
	g_autofree gchar *addr = NULL;

	n_tests = (guint)g_ascii_strtoull(g_getenv("HIOD_LU_N"), NULL, 10);
	for (guint i = 0; fdv[i] != NULL; i++) {
		gint fd = (gint)g_ascii_strtoll(fdv[i], NULL, 10);
		g_array_append_val(fds, fd);
	}
	g_assert_true(json_parser_load_from_data(parser, doc, -1, NULL));
	memfd = g_array_index(fds, gint, json_object_get_int_member(json_array_get_object_element(
			json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "memory"), 0), "fd"));
	/* the new program maps the guest memory where it likes: elsewhere than the old one */
	spare = map_memfd(other);
	mem = map_memfd(memfd);
	addr = g_strdup_printf("%p", mem);
	check(mem != NULL && g_strcmp0(addr, g_getenv("HIOD_LU_OLD_ADDR")) != 0,
	      "new program: the memfd mapped at %s (the old process had %s)", addr, g_getenv("HIOD_LU_OLD_ADDR"));
	check(vm_lck_kb() == 0, "before adopting, the new program has no locked memory (VmLck %" G_GUINT64_FORMAT " kB)",
	      vm_lck_kb());

	/* mismatched memory: refused before the kernel is asked anything */
	other_mem = spare;
	bad = (HiodMemoryRegion){other_mem, MEM_SIZE, other, 0};
	small = (HiodMemoryRegion){mem, MEM_SIZE / 2, memfd, 0};
	calls = hiod_context_get_call_count(ctx);
	space = hiod_live_update_adopt(ctx, doc, (gint *)fds->data, fds->len, &bad, 1, NULL, &error);
	{
		gboolean ok_ = space == NULL && g_error_matches(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
		check(ok_,
	      "adopting with another memfd is refused (%s)", error ? error->message : "accepted");
	}
	g_clear_error(&error);
	space = hiod_live_update_adopt(ctx, doc, (gint *)fds->data, fds->len, &small, 1, NULL, &error);
	{
		gboolean ok_ = space == NULL && g_error_matches(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
		check(ok_,
	      "adopting with the memfd mapped too short is refused (%s)", error ? error->message : "accepted");
	}
	g_clear_error(&error);
	check(hiod_context_get_call_count(ctx) == calls && hiod_context_get_open_fd_count(ctx) == 0,
	      "the refusals asked the kernel nothing and kept no fd (%" G_GUINT64_FORMAT " calls)",
	      hiod_context_get_call_count(ctx) - calls);

	good = (HiodMemoryRegion){mem, MEM_SIZE, memfd, 0};
	space = hiod_live_update_adopt(ctx, doc, (gint *)fds->data, fds->len, &good, 1, &devices, &error);
	if (!check(space != NULL && devices != NULL && devices->len == 1,
		   "the new program adopts the space: containers and devices from the fds, new host addresses (%s)",
		   error ? error->message : "ok"))
		return finish();
	for (guint i = 0; i < fds->len; i++)
		close(g_array_index(fds, gint, i)); /* adopt kept duplicates */
	dev = g_ptr_array_index(devices, 0);
	c = hiod_vfio_device_get_container(dev);
	check(same(mem, DMA_LEN, 0x33) && same(mem + DST_OFF, DMA_LEN, 0x33) && same(mem + 3 * DST_OFF, DMA_LEN, 0x44),
	      "the data is intact: the last DMA's source and result and the old process's mark");
	check(hiod_address_space_get_n_sections(space) == 1 && hiod_container_get_n_mappings(c) == 1,
	      "one section, one mapping in the adopted container");
	check(dma_avail(c) == avail0, "no mapping lost or doubled: DMA_AVAIL %u (old process: %u)", dma_avail(c), avail0);
	check(vm_lck_kb() == lck0, "the pins moved to the new program, not doubled: VmLck %" G_GUINT64_FORMAT " kB (old process: %" G_GUINT64_FORMAT ")",
	      vm_lck_kb(), lck0);
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x55, &error);
		check(ok_, "edu DMA after the update to the same IOVAs (%s)",
	      error ? error->message : "ok");
	}
	g_clear_error(&error);
	{
		gboolean ok_ = hiod_address_space_remove_section(space, IOVA, MEM_SIZE, &error);
		check(ok_,
	      "the section can be removed by the new program (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	check(dma_avail(c) == avail0 + 1 && vm_lck_kb() == 0,
	      "the kernel held exactly one mapping and its pins: DMA_AVAIL %u, VmLck %" G_GUINT64_FORMAT " kB after the unmap",
	      dma_avail(c), vm_lck_kb());
	hiod_address_space_detach_device(space, dev);
	g_clear_pointer(&devices, g_ptr_array_unref);
	g_clear_object(&space);
	check(hiod_context_get_open_fd_count(ctx) == 0, "nothing left open after the detach");
	munmap(mem, MEM_SIZE);
	munmap(spare, MEM_SIZE);
	close(other);
	return finish();
}

int
main(int argc, char **argv)
{
	if (argc == 3 && g_strcmp0(argv[1], "--die") == 0)
		return die_before_adopting(atoi(argv[2]));
	if (argc == 2 && g_strcmp0(argv[1], "--adopt") == 0)
		return new_process();
	if (argc > 1 && g_strcmp0(argv[1], "--tap") != 0) {
		g_printerr("usage: %s [--tap]\n", argv[0]);
		return 2;
	}
	{
		g_autofree gchar *exe = g_file_read_link("/proc/self/exe", NULL);
		return old_process(exe);
	}
}

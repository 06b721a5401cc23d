/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live update against the real kernel (issue 16; guest program, TAP):
 * an edu device does DMA through a type1 container into guest memory from a
 * memfd; the state is handed to a new process that never adopts (it dies:
 * the old process cancels and does DMA again), then across exec to a new
 * program that adopts it (a different memfd first: refused, nothing
 * changed) and does DMA to the same IOVAs with the data intact. The kernel's
 * own counts (type1 DMA_AVAIL, the process's VmLck) show that no mapping or
 * pin was lost or doubled. iommufd (Linux 7.3): the same with the sections
 * mapped from the memfd (IOMMU_IOAS_MAP_FILE) and IOMMU_IOAS_CHANGE_PROCESS,
 * counted by the kernel's VmPin and, at the end, the bytes one
 * IOMMU_IOAS_UNMAP of everything removes; a space mapped by address is
 * refused. On Linux 6.12: MAP_FILE falls back to mapping by address, and the
 * live update is refused naming 6.13.
 *
 *   test-vm-live-update                  the first process: iommufd (7.3: execs
 *                                        itself --adopt-iommufd), then type1
 *                                        (execs itself --adopt)
 *   test-vm-live-update --die FD         a new process that dies before adopting */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hiod.h"
#include "hiod-edu.h"
#include "hiod-backend-private.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"

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

/* the kernel's count of this process's pinned memory (iommufd accounts its pins there) */
static guint64
vm_pin_kb(void)
{
	g_autofree gchar *status = NULL;
	gchar *p;
	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL) ||
	    (p = strstr(status, "VmPin:")) == NULL)
		return G_MAXUINT64;
	return g_ascii_strtoull(p + 6, NULL, 10);
}

static gboolean
kernel_has_change_process(void)
{
	struct utsname u;
	return uname(&u) == 0 && !g_str_has_prefix(u.release, "6.12");
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

/* Linux 6.12: MAP_FILE is unknown (the section is mapped by address) and the live update is refused naming 6.13 */
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
	guint fds_before = hiod_context_get_open_fd_count(ctx);

	if (dev == NULL || !hiod_address_space_add_memory(space, &region, &error) ||
	    (c = hiod_address_space_attach_device(space, dev, HIOD_BACKEND_KIND_IOMMUFD, 0, &error)) == NULL ||
	    !hiod_address_space_add_section(space, IOVA, MEM_SIZE, mem, 0, &error)) {
		check(FALSE, "iommufd: attach and map (%s)", error ? error->message : "?");
		return;
	}
	check(!hiod_iommufd_backend_has_map_file(hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c))) &&
		  hiod_iommufd_container_get_mapped_by_address(HIOD_IOMMUFD_CONTAINER(c)),
	      "iommufd: Linux 6.12 lacks IOMMU_IOAS_MAP_FILE: the memfd section was mapped by address instead");
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x51, &error);
		check(ok_, "iommufd: edu DMA through the fallback mapping (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	lu = hiod_live_update_new(space, NULL, 0, &error);
	{
		gboolean ok_ = lu == NULL && g_error_matches(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED) &&
			       strstr(error->message, "IOMMU_IOAS_CHANGE_PROCESS") != NULL &&
			       strstr(error->message, "6.13") != NULL;
		check(ok_, "iommufd: a live update is refused naming Linux 6.13 (%s)", error ? error->message : "accepted");
	}
	g_clear_error(&error);
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x52, &error);
		check(ok_, "iommufd: the refusal changed nothing: DMA again (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	hiod_address_space_detach_device(space, dev);
	g_clear_object(&dev);
	g_clear_object(&space);
	check(hiod_context_get_open_fd_count(ctx) == fds_before, "iommufd: nothing left open (%u fds, %u before)",
	      hiod_context_get_open_fd_count(ctx), fds_before);
#endif
}

#if HIOD_HAVE_IOMMUFD
static void
export_fds(GArray *fds, const gchar *doc)
{
	GString *list = g_string_new(NULL);
	g_autofree gchar *s = NULL;
	for (guint i = 0; i < fds->len; i++)
		g_string_append_printf(list, "%s%d", i ? "," : "", g_array_index(fds, gint, i));
	s = g_string_free(list, FALSE);
	g_setenv("HIOD_LU_FDS", s, TRUE);
	g_setenv("HIOD_LU_DOC", doc, TRUE);
}

/* iommufd accounts the pins of a process with CAP_IPC_LOCK nowhere but its
 * mm's pinned_vm (account mode NONE), and IOMMU_IOAS_CHANGE_PROCESS moves
 * only accounted pins: measured on Linux 7.3, a root new program then shows
 * VmPin 0 after the change and -2048 kB after the unmap. The VMM this is for
 * runs without the capability (hiodctl launch); so does this test, from here
 * on and across its execs (bounding set), with a memory-lock limit for it. */
static gboolean
drop_ipc_lock(GError **error)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0}};
	struct rlimit rl = {64u << 20, 64u << 20};
	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0 || prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0) < 0 ||
	    syscall(SYS_capget, &hdr, data) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s", g_strerror(errno));
		return FALSE;
	}
	data[0].effective &= ~(1u << CAP_IPC_LOCK);
	data[0].permitted &= ~(1u << CAP_IPC_LOCK);
	data[0].inheritable &= ~(1u << CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, data) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "capset: %s", g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* Linux 7.3: the iommufd live update; execs @self_exe --adopt-iommufd */
static gint
iommufd_old(const gchar *self_exe)
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
	guint64 pin0;
	pid_t pid;

	if (dev == NULL || memfd < 0 || (mem = map_memfd(memfd)) == NULL) {
		check(FALSE, "iommufd setup: %s", error ? error->message : g_strerror(errno));
		return finish();
	}
	if (!check(drop_ipc_lock(&error), "iommufd: the test runs without CAP_IPC_LOCK, as a VMM does, "
		   "memory-lock limit 64 MiB (%s)", error ? error->message : "ok"))
		return finish();
	/* 0. mapped by address (the space was not told of the memfd): refused before anything changes */
	c = hiod_address_space_attach_device(space, dev, HIOD_BACKEND_KIND_IOMMUFD, 0, &error);
	if (!check(c != NULL && hiod_address_space_add_section(space, IOVA, MEM_SIZE, mem, 0, &error),
		   "iommufd: %s attached, memfd memory mapped by address (%s)", EDU0, error ? error->message : "ok"))
		return finish();
	lu = hiod_live_update_new(space, &(HiodMemoryRegion){mem, MEM_SIZE, memfd, 0}, 1, &error);
	{
		gboolean ok_ = lu == NULL && g_error_matches(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED) &&
			       strstr(error->message, "by address") != NULL &&
			       strstr(error->message, "hiod_address_space_add_memory") != NULL;
		check(ok_, "iommufd: a space mapped by address is refused with the reason (%s)",
		      error ? error->message : "accepted");
	}
	g_clear_error(&error);
	hiod_address_space_detach_device(space, dev);
	g_clear_object(&space);
	check(hiod_context_get_open_fd_count(ctx) == 0, "iommufd: that space left nothing open");

	/* 1. the space told of the memfd maps it with IOMMU_IOAS_MAP_FILE */
	space = hiod_address_space_new(ctx);
	region = (HiodMemoryRegion){mem, MEM_SIZE, memfd, 0};
	if (!check(hiod_address_space_add_memory(space, &region, &error) &&
		       (c = hiod_address_space_attach_device(space, dev, HIOD_BACKEND_KIND_IOMMUFD, 0, &error)) != NULL &&
		       hiod_iommufd_container_set_huge_pages(HIOD_IOMMUFD_CONTAINER(c), FALSE, &error) &&
		       hiod_address_space_add_section(space, IOVA, MEM_SIZE, mem, 0, &error),
		   "iommufd: memfd memory given to the space, %s attached, its IOAS's huge pages off, "
		   "2 MiB mapped at IOVA 0x%x (%s)", EDU0, IOVA,
		   error ? error->message : "ok"))
		return finish();
	check(!hiod_iommufd_container_get_mapped_by_address(HIOD_IOMMUFD_CONTAINER(c)),
	      "iommufd: the section was mapped from the file (IOMMU_IOAS_MAP_FILE)");
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x61, &error);
		check(ok_, "iommufd: edu DMA before the update (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	pin0 = vm_pin_kb();
	check(pin0 >= MEM_SIZE / 1024 && pin0 != G_MAXUINT64, "iommufd: the kernel counts the pins: VmPin %" G_GUINT64_FORMAT " kB",
	      pin0);
	lu = hiod_live_update_new(space, NULL, 0, &error);
	if (!check(lu != NULL, "iommufd: the space can be handed over (its own memory; IOMMU_IOAS_CHANGE_PROCESS) (%s)",
		   error ? error->message : "ok"))
		return finish();

	/* 2. a new process that dies before adopting: cancel, and the old state goes on */
	doc = hiod_live_update_save(lu, &fds, &error);
	check(doc != NULL && strstr(doc, "\"iommufd\"") != NULL && strstr(doc, "\"devid\"") != NULL,
	      "iommufd: save: the iommufd, IOAS, HWPT and device ids and %u fds (%s)", fds ? fds->len : 0,
	      error ? error->message : "ok");
	g_clear_error(&error);
	if (doc == NULL)
		return finish();
	printf("# %s\n", doc);
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x62, &error);
		check(ok_, "iommufd: while handed over, the device's DMA goes on (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	pid = fork();
	if (pid == 0) {
		g_autofree gchar *arg = g_strdup_printf("%d", sv[1]);
		fcntl(sv[1], F_SETFD, 0);
		execl(self_exe, self_exe, "--die", arg, NULL);
		_exit(127);
	}
	close(sv[1]);
	{
		gboolean ok_ = hiod_live_update_send(sv[0], doc, (gint *)fds->data, fds->len, &error);
		check(ok_, "iommufd: the state goes to a new process over a Unix socket (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	waitpid(pid, &status, 0);
	close(sv[0]);
	for (guint i = 0; i < fds->len; i++)
		close(g_array_index(fds, gint, i));
	g_clear_pointer(&fds, g_array_unref);
	g_clear_pointer(&doc, g_free);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 3, "iommufd: the new process died before adopting (status 0x%x)",
	      status);
	{
		gboolean ok_ = hiod_live_update_cancel(lu, &error);
		check(ok_, "iommufd: the old process cancels (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x63, &error);
		check(ok_, "iommufd: the old state stays usable: edu DMA again (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	check(vm_pin_kb() == pin0, "iommufd: nothing lost or doubled: VmPin %" G_GUINT64_FORMAT " kB (was %" G_GUINT64_FORMAT ")",
	      vm_pin_kb(), pin0);

	/* 3. exec a new program that adopts */
	fill(mem + 3 * DST_OFF, DMA_LEN, 0x64);
	doc = hiod_live_update_save(lu, &fds, &error);
	if (!check(doc != NULL, "iommufd: save again for the exec (%s)", error ? error->message : "ok"))
		return finish();
	export_fds(fds, doc);
	{
		g_autofree gchar *pin = g_strdup_printf("%" G_GUINT64_FORMAT, pin0);
		g_autofree gchar *n = g_strdup_printf("%u", n_tests);
		g_autofree gchar *addr = g_strdup_printf("%p", mem);
		g_setenv("HIOD_LU_PIN", pin, TRUE);
		g_setenv("HIOD_LU_N", n, TRUE);
		g_setenv("HIOD_LU_OLD_ADDR", addr, TRUE);
	}
	hiod_live_update_complete(lu);
	printf("# exec of the new program (pid %d)\n", (int)getpid());
	fflush(stdout);
	execl(self_exe, self_exe, "--adopt-iommufd", NULL);
	check(FALSE, "exec %s: %s", self_exe, g_strerror(errno));
	return finish();
}

/* A new program's start: the test count so far, the fds the old process
 * handed over (HIOD_LU_FDS) and, among them, the document's memfd, mapped
 * where this process likes (after @other's memory, so elsewhere than the old
 * process had it; checked). */
static GArray *
new_program_start(const gchar *who, gint other, gint *memfd, guint8 **mem, guint8 **spare)
{
	g_auto(GStrv) fdv = g_strsplit(g_getenv("HIOD_LU_FDS"), ",", -1);
	g_autoptr(JsonParser) parser = json_parser_new();
	GArray *fds = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autofree gchar *addr = NULL;
	JsonObject *root;

	n_tests = (guint)g_ascii_strtoull(g_getenv("HIOD_LU_N"), NULL, 10);
	for (guint i = 0; fdv[i] != NULL; i++) {
		gint fd = (gint)g_ascii_strtoll(fdv[i], NULL, 10);
		g_array_append_val(fds, fd);
	}
	g_assert_true(json_parser_load_from_data(parser, g_getenv("HIOD_LU_DOC"), -1, NULL));
	root = json_node_get_object(json_parser_get_root(parser));
	*memfd = g_array_index(fds, gint, json_object_get_int_member(json_array_get_object_element(
			json_object_get_array_member(root, "memory"), 0), "fd"));
	*spare = map_memfd(other);
	*mem = map_memfd(*memfd);
	addr = g_strdup_printf("%p", *mem);
	check(*mem != NULL && g_strcmp0(addr, g_getenv("HIOD_LU_OLD_ADDR")) != 0,
	      "%s: the memfd mapped at %s (the old process had %s)", who, addr, g_getenv("HIOD_LU_OLD_ADDR"));
	return fds;
}

static gint old_process(const gchar *self_exe);

/* the new program of the iommufd update; then the type1 flow */
static gint
iommufd_new(const gchar *self_exe)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(HiodAddressSpace) space = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	const gchar *doc = g_getenv("HIOD_LU_DOC");
	guint64 pin0 = g_ascii_strtoull(g_getenv("HIOD_LU_PIN"), NULL, 10);
	HiodMemoryRegion good, bad;
	HiodVfioDevice *dev;
	HiodContainer *c;
	gint memfd, other = new_memfd();
	guint8 *mem, *spare;
	guint64 calls;
	g_autoptr(GArray) fds = new_program_start("iommufd new program", other, &memfd, &mem, &spare);

	check(vm_pin_kb() == 0, "iommufd: before adopting, the new program has no pinned memory (VmPin %" G_GUINT64_FORMAT " kB)",
	      vm_pin_kb());

	bad = (HiodMemoryRegion){spare, MEM_SIZE, other, 0};
	calls = hiod_context_get_call_count(ctx);
	space = hiod_live_update_adopt(ctx, doc, (gint *)fds->data, fds->len, &bad, 1, NULL, &error);
	{
		gboolean ok_ = space == NULL && g_error_matches(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
		check(ok_, "iommufd: adopting with another memfd is refused (%s)", error ? error->message : "accepted");
	}
	g_clear_error(&error);
	check(hiod_context_get_call_count(ctx) == calls && hiod_context_get_open_fd_count(ctx) == 0 && vm_pin_kb() == 0,
	      "iommufd: the refusal asked the kernel nothing, kept no fd, moved no pin (%" G_GUINT64_FORMAT " calls)",
	      hiod_context_get_call_count(ctx) - calls);

	good = (HiodMemoryRegion){mem, MEM_SIZE, memfd, 0};
	space = hiod_live_update_adopt(ctx, doc, (gint *)fds->data, fds->len, &good, 1, &devices, &error);
	if (!check(space != NULL && devices != NULL && devices->len == 1,
		   "iommufd: the new program adopts: iommufd, IOAS, HWPT and bound cdev from the fds, "
		   "no bind, no attach, no map; IOMMU_IOAS_CHANGE_PROCESS (%s)",
		   error ? error->message : "ok"))
		return finish();
	for (guint i = 0; i < fds->len; i++)
		close(g_array_index(fds, gint, i));
	dev = g_ptr_array_index(devices, 0);
	c = hiod_vfio_device_get_container(dev);
	check(same(mem, DMA_LEN, 0x63) && same(mem + DST_OFF, DMA_LEN, 0x63) && same(mem + 3 * DST_OFF, DMA_LEN, 0x64),
	      "iommufd: the data is intact: the last DMA's source and result and the old process's mark");
	check(vm_pin_kb() == pin0, "iommufd: the pins moved to the new program, not doubled: VmPin %" G_GUINT64_FORMAT
	      " kB (old process: %" G_GUINT64_FORMAT ")", vm_pin_kb(), pin0);
	check(hiod_address_space_get_n_sections(space) == 1 && hiod_container_get_n_mappings(c) == 1,
	      "iommufd: one section, one mapping in the adopted container");
	check(!hiod_iommufd_container_get_huge_pages(HIOD_IOMMUFD_CONTAINER(c)),
	      "iommufd: the adopted IOAS keeps the old process's huge-page option (off, read from the kernel)");
	{
		gboolean ok_ = edu_round_trip(dev, mem, 0x65, &error);
		check(ok_, "iommufd: edu DMA after the update to the same IOVAs (%s)", error ? error->message : "ok");
	}
	g_clear_error(&error);
	{
		/* the kernel's own count: one unmap of everything in the IOAS says how many bytes it held */
		HiodIommufdContainer *ic = HIOD_IOMMUFD_CONTAINER(c);
		struct hiod_iommu_ioas_unmap un = {.size = sizeof(un), .ioas_id = hiod_iommufd_container_get_ioas_id(ic),
						   .iova = 0, .length = G_MAXUINT64};
		gint rc = hiod_kernel_ioctl(ctx, hiod_iommufd_backend_get_fd(hiod_iommufd_container_get_backend(ic)),
					    HIOD_IOC(IOMMU_IOAS_UNMAP), &un, sizeof(un), &error);
		check(rc == 0 && un.length == MEM_SIZE && vm_pin_kb() == 0,
		      "iommufd: the IOAS held exactly the one section: IOMMU_IOAS_UNMAP of everything removed 0x%"
		      G_GINT64_MODIFIER "x bytes, VmPin %" G_GUINT64_FORMAT " kB after (%s)",
		      (guint64)un.length, vm_pin_kb(), error ? error->message : "ok");
		g_clear_error(&error);
	}
	hiod_address_space_remove_section(space, IOVA, MEM_SIZE, NULL);
	hiod_address_space_detach_device(space, dev);
	g_clear_pointer(&devices, g_ptr_array_unref);
	g_clear_object(&space);
	check(hiod_context_get_open_fd_count(ctx) == 0, "iommufd: nothing left open after the detach");
	munmap(mem, MEM_SIZE);
	munmap(spare, MEM_SIZE);
	close(other);
	/* the type1 flow in this program */
	return old_process(self_exe);
}
#endif

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
	if (!kernel_has_change_process())
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
	const gchar *doc = g_getenv("HIOD_LU_DOC");
	guint avail0 = (guint)g_ascii_strtoull(g_getenv("HIOD_LU_AVAIL"), NULL, 10);
	guint64 lck0 = g_ascii_strtoull(g_getenv("HIOD_LU_LCK"), NULL, 10);
	HiodMemoryRegion good, bad, small;
	HiodVfioDevice *dev;
	HiodContainer *c;
	gint memfd, other = new_memfd();
	guint8 *mem, *other_mem, *spare;
	guint64 calls;
	/* the new program maps the guest memory where it likes: elsewhere than the old one */
	g_autoptr(GArray) fds = new_program_start("new program", other, &memfd, &mem, &spare);

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
#if HIOD_HAVE_IOMMUFD
	if (argc == 2 && g_strcmp0(argv[1], "--adopt-iommufd") == 0) {
		g_autofree gchar *exe = g_file_read_link("/proc/self/exe", NULL);
		return iommufd_new(exe);
	}
#endif
	if (argc > 1 && g_strcmp0(argv[1], "--tap") != 0) {
		g_printerr("usage: %s [--tap]\n", argv[0]);
		return 2;
	}
	{
		g_autofree gchar *exe = g_file_read_link("/proc/self/exe", NULL);
#if HIOD_HAVE_IOMMUFD
		if (kernel_has_change_process())
			return iommufd_old(exe);
#endif
		return old_process(exe);
	}
}

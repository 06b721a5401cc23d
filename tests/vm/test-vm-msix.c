/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MSI-X of a HiodVfioDevice against the real kernel (issue 13). edu has no
 * MSI-X, so this uses QEMU's NVMe controller (topology nvme): a minimal
 * bring-up (admin queue, one I/O queue pair whose completion queue
 * interrupts on vector 1) gives two vectors the device fires on demand: an
 * admin command completes on vector 0, an I/O Flush on vector 1. Checked:
 * each completion reaches its own vector's eventfd and not the other's;
 * vector 1 given a new eventfd while vector 0 stays (the kernel moves the
 * trigger, vector 0 keeps its interrupt); vector 1 removed (its kernel
 * interrupt goes, vector 0 keeps working, the I/O completion still lands in
 * the queue) and given back; disabled; and after release no eventfd
 * (/proc/self/fdinfo), no vfio interrupt (/proc/interrupts) and no mapping.
 * Through the legacy and the iommufd backend. The NVMe layouts are the
 * NVMe specification's (see examples/hiod-nvme.c for a whole driver).
 */
#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include "hiod.h"
#include "vm-proc-counts.h"
#include "vm-fixture.h"

#define WAIT_MS 5000
#define QUIET_MS 200
#define IOVA 0x100000
#define PG 4096
#define ENTRIES 16
enum { ASQ, ACQ, IOSQ, IOCQ, PAGES };

typedef struct {
	guint8 *sq, *cq;
	guint16 tail, head;
	guint phase;
} Q;

typedef struct {
	gchar *bdf;
	VmFixture vm; /* the context; no fd left at teardown */
	HiodContainer *container;
	HiodVfioDevice *dev;
	volatile guint8 *bar;
	guint8 *mem;
	guint dstrd;
	guint16 cid;
	Q q[2];
	guint eventfds, proc_fds;
	gboolean mapped;
} Fixture;

static gchar *
find_nvme(void)
{
	g_autoptr(GDir) d = g_dir_open("/sys/bus/pci/devices", 0, NULL);
	const gchar *name;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *vp = g_strdup_printf("/sys/bus/pci/devices/%s/vendor", name);
		g_autofree gchar *dp = g_strdup_printf("/sys/bus/pci/devices/%s/device", name);
		g_autofree gchar *v = NULL, *dv = NULL;
		if (g_file_get_contents(vp, &v, NULL, NULL) && g_file_get_contents(dp, &dv, NULL, NULL) &&
		    g_str_has_prefix(v, "0x1b36") && g_str_has_prefix(dv, "0x0010"))
			return g_strdup(name);
	}
	return NULL;
}

/* vfio-msix handlers of the controller: vector @vector, or any with -1 */
static guint
count_msix_irqs(Fixture *f, gint vector)
{
	g_autofree gchar *kind = vector < 0 ? NULL : g_strdup_printf("vfio-msix[%d]", vector);
	return vm_count_vfio_irqs(f->bdf, kind);
}

static guint32
rd32(Fixture *f, guint off)
{
	return GUINT32_FROM_LE(*(volatile guint32 *)(f->bar + off));
}

static void
wr32(Fixture *f, guint off, guint32 v)
{
	*(volatile guint32 *)(f->bar + off) = GUINT32_TO_LE(v);
}

static void
wait_rdy(Fixture *f, guint32 want)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while ((rd32(f, 0x1c) & 1) != want) {
		if (g_get_monotonic_time() > deadline)
			g_error("CSTS.RDY did not become %u (CSTS 0x%x)", want, rd32(f, 0x1c));
		g_usleep(1000);
	}
}

/* submits one command on queue @qi (0 admin, 1 I/O) */
static guint16
submit(Fixture *f, guint qi, guint8 opc, guint32 nsid, guint32 cdw10, guint32 cdw11, guint64 prp1)
{
	Q *q = &f->q[qi];
	guint32 *e = (guint32 *)(q->sq + (gsize)q->tail * 64);
	guint16 cid = ++f->cid;
	memset(e, 0, 64);
	e[0] = GUINT32_TO_LE(opc | ((guint32)cid << 16));
	e[1] = GUINT32_TO_LE(nsid);
	e[6] = GUINT32_TO_LE((guint32)prp1);
	e[7] = GUINT32_TO_LE((guint32)(prp1 >> 32));
	e[10] = GUINT32_TO_LE(cdw10);
	e[11] = GUINT32_TO_LE(cdw11);
	q->tail = (q->tail + 1) % ENTRIES;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(f, 0x1000 + 2 * qi * f->dstrd, q->tail);
	return cid;
}

/* the completion of @cid on queue @qi, polled (the interrupt is checked apart) */
static void
reap(Fixture *f, guint qi, guint16 cid, const gchar *what)
{
	Q *q = &f->q[qi];
	gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;
	volatile guint32 *e = (volatile guint32 *)(q->cq + (gsize)q->head * 16);
	guint32 dw3;
	while ((((dw3 = GUINT32_FROM_LE(e[3])) >> 16) & 1) != q->phase) {
		if (g_get_monotonic_time() > deadline)
			g_error("%s: no completion within %d ms", what, WAIT_MS);
		g_usleep(100);
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	q->head = (q->head + 1) % ENTRIES;
	if (q->head == 0)
		q->phase ^= 1;
	wr32(f, 0x1000 + (2 * qi + 1) * f->dstrd, q->head);
	g_assert_cmphex(dw3 & 0xffff, ==, cid);
	g_assert_cmphex(dw3 >> 17, ==, 0);
}

static void
expect_irq(Fixture *f, guint vector, const gchar *what)
{
	g_autoptr(GError) error = NULL;
	guint64 count = 0;
	if (!hiod_vfio_device_wait_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, vector, WAIT_MS, &count, &error))
		g_error("%s: MSI-X vector %u: %s", what, vector, error->message);
	g_test_message("%s: MSI-X vector %u fired (%" G_GUINT64_FORMAT ")", what, vector, count);
}

static void
expect_quiet(Fixture *f, guint vector, const gchar *what)
{
	g_autoptr(GError) error = NULL;
	if (hiod_vfio_device_wait_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, vector, QUIET_MS, NULL, &error))
		g_error("%s: MSI-X vector %u fired, but should not", what, vector);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_TIMED_OUT);
}

/* an admin command (Get Features, number of queues): completes on vector 0 */
static void
admin_cmd(Fixture *f, gboolean irq, const gchar *what)
{
	guint16 cid = submit(f, 0, 0x0a, 0, 0x07, 0, 0);
	if (irq)
		expect_irq(f, 0, what);
	reap(f, 0, cid, what);
}

/* an I/O Flush: completes on vector 1 */
static void
io_cmd(Fixture *f, gboolean irq, const gchar *what)
{
	guint16 cid = submit(f, 1, 0x00, 1, 0, 0, 0);
	if (irq)
		expect_irq(f, 1, what);
	reap(f, 1, cid, what);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HiodBackendKind kind = GPOINTER_TO_INT(data);
	gsize size = 0;
	guint64 cap;

	f->bdf = find_nvme();
	if (f->bdf == NULL) {
		g_test_skip("no QEMU NVMe controller (1b36:0010; topology nvme)");
		return;
	}
	f->proc_fds = vm_count_proc_fds();
	f->eventfds = vm_count_eventfds();
	g_assert_cmpuint(count_msix_irqs(f, -1), ==, 0);
	vm_fixture_setup(&f->vm, data);
	f->dev = hiod_vfio_device_new(f->vm.ctx, f->bdf, &error);
	g_assert_no_error(error);
	f->container = hiod_container_new(f->vm.ctx, kind, f->dev, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_vfio_device_attach(f->dev, f->container, 0, &error));
	g_assert_no_error(error);
	f->bar = hiod_vfio_device_map_region(f->dev, 0, &size, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(size, >=, 0x2000);
	f->mem = vm_buffer_new(PAGES * PG, 0);
	g_assert_true(hiod_container_dma_map(f->container, IOVA, PAGES * PG, f->mem, HIOD_DMA_FLAGS_NONE,
					     &error));
	g_assert_no_error(error);
	f->mapped = TRUE;
	for (guint i = 0; i < 2; i++) {
		f->q[i].sq = f->mem + (i ? IOSQ : ASQ) * PG;
		f->q[i].cq = f->mem + (i ? IOCQ : ACQ) * PG;
		f->q[i].phase = 1;
	}
	g_assert_true(hiod_vfio_device_set_bus_master(f->dev, TRUE, &error));
	cap = rd32(f, 0) | ((guint64)rd32(f, 4) << 32);
	f->dstrd = 4u << ((cap >> 32) & 0xf);
	wr32(f, 0x14, rd32(f, 0x14) & ~1u);
	wait_rdy(f, 0);
}

/* Admin queue, enabled (4 KiB pages, 64/16-byte entries), and the I/O pair
 * whose completion queue interrupts on vector 1. After MSI-X is enabled:
 * QEMU's controller takes a queue's vector into use when it creates the
 * queue (CC.EN for the admin one) and only if MSI-X is on then; it refuses
 * a vector other than 0 while MSI-X is off. */
static void
start_controller(Fixture *f)
{
	guint16 cid;

	wr32(f, 0x24, ((ENTRIES - 1) << 16) | (ENTRIES - 1));
	wr32(f, 0x28, IOVA + ASQ * PG);
	wr32(f, 0x2c, 0);
	wr32(f, 0x30, IOVA + ACQ * PG);
	wr32(f, 0x34, 0);
	wr32(f, 0x14, (4u << 20) | (6u << 16) | 1);
	wait_rdy(f, 1);
	cid = submit(f, 0, 0x05, 0, ((ENTRIES - 1) << 16) | 1, (1u << 16) | 3, IOVA + IOCQ * PG);
	expect_irq(f, 0, "Create I/O CQ");
	reap(f, 0, cid, "Create I/O CQ");
	cid = submit(f, 0, 0x01, 0, ((ENTRIES - 1) << 16) | 1, (1u << 16) | 1, IOVA + IOSQ * PG);
	expect_irq(f, 0, "Create I/O SQ");
	reap(f, 0, cid, "Create I/O SQ");
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	if (f->vm.ctx == NULL) {
		g_free(f->bdf);
		return;
	}
	wr32(f, 0x14, rd32(f, 0x14) & ~1u); /* disabled: no DMA, no interrupt after this */
	wait_rdy(f, 0);
	if (f->mapped)
		g_assert_true(hiod_container_dma_unmap(f->container, IOVA, PAGES * PG, NULL));
	munmap(f->mem, PAGES * PG);
	g_clear_object(&f->dev);
	g_clear_object(&f->container);
	vm_fixture_teardown(&f->vm, data);
	g_assert_cmpuint(vm_count_proc_fds(), ==, f->proc_fds);
	g_assert_cmpuint(vm_count_eventfds(), ==, f->eventfds);
	g_assert_cmpuint(count_msix_irqs(f, -1), ==, 0);
	g_assert_cmpuint(vm_count_vfio_maps(), ==, 0);
	g_free(f->bdf);
}

static void
test_vectors(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const guint X = HIOD_VFIO_IRQ_INDEX_MSIX;
	HiodVfioIrqInfo info;
	gint fd1;

	if (f->vm.ctx == NULL)
		return;
	g_assert_true(hiod_vfio_device_get_irq_info(f->dev, X, &info, &error));
	g_assert_no_error(error);
	g_test_message("MSI-X: %u vectors, flags 0x%x", info.count, info.flags);
	g_assert_cmpuint(info.count, >=, 2);
	g_assert_true(info.flags & HIOD_VFIO_IRQ_INFO_FLAGS_EVENTFD);
	/* more vectors than the device has: refused, nothing left */
	g_assert_false(hiod_vfio_device_enable_irq(f->dev, X, info.count + 1, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_cmpuint(vm_count_eventfds(), ==, f->eventfds);
	g_assert_cmpuint(count_msix_irqs(f, -1), ==, 0);

	/* two vectors: one eventfd and one kernel interrupt each */
	g_assert_true(hiod_vfio_device_enable_irq(f->dev, X, 2, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(vm_count_eventfds(), ==, f->eventfds + 2);
	g_assert_cmpuint(count_msix_irqs(f, 0), ==, 1);
	g_assert_cmpuint(count_msix_irqs(f, 1), ==, 1);
	start_controller(f);
	/* each completion on its own vector */
	admin_cmd(f, TRUE, "admin command");
	expect_quiet(f, 1, "admin command, I/O vector");
	io_cmd(f, TRUE, "I/O command");
	expect_quiet(f, 0, "I/O command, admin vector");

	/* vector 1 given a new eventfd; vector 0 stays as it was */
	fd1 = hiod_vfio_device_get_irq_fd(f->dev, X, 1);
	g_assert_true(hiod_vfio_device_set_irq_vector(f->dev, X, 1, TRUE, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(vm_count_eventfds(), ==, f->eventfds + 2);
	g_assert_cmpint(hiod_vfio_device_get_irq_fd(f->dev, X, 1), >=, 0);
	g_test_message("vector 1: eventfd %d -> %d", fd1, hiod_vfio_device_get_irq_fd(f->dev, X, 1));
	g_assert_cmpuint(count_msix_irqs(f, 0), ==, 1);
	g_assert_cmpuint(count_msix_irqs(f, 1), ==, 1);
	io_cmd(f, TRUE, "I/O command on the new eventfd");
	admin_cmd(f, TRUE, "admin command, vector 0 untouched");
	expect_quiet(f, 1, "admin command after the change, I/O vector");

	/* vector 1 removed: its kernel interrupt goes, the index stays enabled */
	g_assert_true(hiod_vfio_device_set_irq_vector(f->dev, X, 1, FALSE, &error));
	g_assert_no_error(error);
	g_assert_cmpint(hiod_vfio_device_get_irq_fd(f->dev, X, 1), ==, -1);
	g_assert_cmpuint(hiod_vfio_device_get_irq_enabled_count(f->dev, X), ==, 2);
	g_assert_cmpuint(vm_count_eventfds(), ==, f->eventfds + 1);
	g_assert_cmpuint(count_msix_irqs(f, 1), ==, 0);
	g_assert_cmpuint(count_msix_irqs(f, 0), ==, 1);
	/* the device still completes I/O (polled), and vector 0 still fires */
	io_cmd(f, FALSE, "I/O command with vector 1 removed");
	admin_cmd(f, TRUE, "admin command with vector 1 removed");
	expect_quiet(f, 0, "vector 0 after the admin command");

	/* and given back: it fires again (a message the device left pending
	 * while the vector was masked may come first) */
	g_assert_true(hiod_vfio_device_set_irq_vector(f->dev, X, 1, TRUE, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(count_msix_irqs(f, 1), ==, 1);
	g_assert_cmpuint(vm_count_eventfds(), ==, f->eventfds + 2);
	io_cmd(f, TRUE, "I/O command after vector 1 came back");

	/* disabled: every eventfd and kernel interrupt goes */
	g_assert_true(hiod_vfio_device_disable_irq(f->dev, X, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(vm_count_eventfds(), ==, f->eventfds);
	g_assert_cmpuint(count_msix_irqs(f, -1), ==, 0);
	g_assert_cmpint(hiod_vfio_device_get_irq_fd(f->dev, X, 0), ==, -1);
	admin_cmd(f, FALSE, "admin command with MSI-X off");
}

/* released with MSI-X enabled: the device's unref leaves nothing (teardown counts) */
static void
test_release(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	if (f->vm.ctx == NULL)
		return;
	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 4, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(count_msix_irqs(f, -1), ==, 4);
	g_assert_cmpuint(vm_count_eventfds(), ==, f->eventfds + 4);
	start_controller(f);
	admin_cmd(f, TRUE, "admin command before the release");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_main_context_iteration(g_main_context_default(), FALSE);
	g_test_add("/hiod/vm/msix/legacy/vectors", Fixture, GINT_TO_POINTER(HIOD_BACKEND_KIND_LEGACY), fixture_setup,
		   test_vectors, fixture_teardown);
	g_test_add("/hiod/vm/msix/iommufd/vectors", Fixture, GINT_TO_POINTER(HIOD_BACKEND_KIND_IOMMUFD),
		   fixture_setup, test_vectors, fixture_teardown);
	g_test_add("/hiod/vm/msix/legacy/release", Fixture, GINT_TO_POINTER(HIOD_BACKEND_KIND_LEGACY), fixture_setup,
		   test_release, fixture_teardown);
	g_test_add("/hiod/vm/msix/iommufd/release", Fixture, GINT_TO_POINTER(HIOD_BACKEND_KIND_IOMMUFD),
		   fixture_setup, test_release, fixture_teardown);
	return g_test_run();
}

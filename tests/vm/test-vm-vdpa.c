/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests of the vhost-vdpa backend against the real kernel: the guest has
 * vdpa0 (vdpa_sim net, /dev/vhost-vdpa-0). Besides hiod's own bookkeeping,
 * these tests drive the simulator's datapath: vdpa_sim net loops what the
 * driver puts on the TX virtqueue back to the RX virtqueue, and it reaches
 * the rings and buffers only through the IOTLB that hiod programs. The
 * virtqueue driver below (split rings) is test code, not library code.
 *
 * vdpa_sim translates IOVAs to user virtual addresses (use_va=1) and
 * silently ignores anonymous or private memory, so every buffer is a memfd
 * mapped MAP_SHARED.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hiod.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "hiod-vdpa-test.h"
#if HIOD_HAVE_LEGACY_VFIO
#include "hiod-edu.h"
#endif

#define VDPA_NAME "vdpa0"

/* a memfd-backed, MAP_SHARED region ------------------------------------------- */

typedef struct {
	gint fd;
	guint8 *mem;
	gsize size;
} Mem;

static void
mem_init(Mem *m, gsize size)
{
	m->size = size;
	m->fd = memfd_create("hiod-vdpa-test", MFD_CLOEXEC);
	g_assert_cmpint(m->fd, >=, 0);
	g_assert_cmpint(ftruncate(m->fd, (off_t)size), ==, 0);
	m->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	g_assert_true(m->mem != MAP_FAILED);
	memset(m->mem, 0, size);
}

static void
mem_clear(Mem *m)
{
	munmap(m->mem, m->size);
	close(m->fd);
}

static HiodVdpaDevice *
open_vdpa(HiodContext *ctx)
{
	g_autoptr(GError) error = NULL;
	HiodVdpaDevice *dev = hiod_vdpa_device_new(ctx, VDPA_NAME, &error);
	g_assert_no_error(error);
	return dev;
}

/* the device ----------------------------------------------------------------- */

static void
test_open(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = open_vdpa(ctx);
	g_autoptr(HiodVdpaDevice) again = NULL;
	HiodHostIommuDevice *hiod;
	HiodHostIommuCaps *caps;
	guint64 first = 1, last = 0, mask = 0;
	g_autoptr(GPtrArray) ranges = NULL;

	g_assert_cmpstr(hiod_vdpa_device_get_name(dev), ==, VDPA_NAME);
	g_assert_cmpstr(hiod_vdpa_device_get_node(dev), ==, "/dev/vhost-vdpa-0");
	g_assert_cmpuint(hiod_vdpa_device_get_device_id(dev), ==, 1); /* net */
	g_test_message("offered backend features 0x%x, acked 0x%x",
		       hiod_vdpa_device_get_offered_features(dev),
		       hiod_vdpa_device_get_backend_features(dev));
	/* vdpa_sim offers V2, BATCH, ASID, SUSPEND, RESUME, ENABLE_AFTER_DRIVER_OK, PERSIST */
	g_assert_cmphex(hiod_vdpa_device_get_offered_features(dev), ==, 0x17e);
	g_assert_cmphex(hiod_vdpa_device_get_backend_features(dev), ==, 0xe);
	hiod_vdpa_device_get_iova_range(dev, &first, &last);
	g_assert_cmphex(first, ==, 0);
	g_assert_cmphex(last, ==, G_MAXUINT64);

	hiod = hiod_vdpa_device_get_host_iommu_device(dev, &error);
	g_assert_no_error(error);
	caps = hiod_host_iommu_device_get_caps(hiod);
	g_assert_cmpint(hiod_host_iommu_caps_get_iommu_type(caps), ==, HIOD_IOMMU_TYPE_VDPA);
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), ==, 64);
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod, &error);
	g_assert_cmpuint(ranges->len, ==, 1);
	g_assert_true(hiod_host_iommu_device_get_page_size_mask(hiod, &mask, &error));
	g_assert_cmphex(mask, ==, (guint64)sysconf(_SC_PAGESIZE));

	/* one open at a time: the kernel says EBUSY, by node as by name */
	again = hiod_vdpa_device_new(ctx, "/dev/vhost-vdpa-0", &error);
	g_assert_null(again);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
	g_test_message("second open: %s", error->message);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 1);
}

static void
test_not_vhost_vdpa(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = hiod_vdpa_device_new(ctx, "/dev/null", &error);
	g_assert_null(dev);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "is not a vhost-vdpa device node"));
	g_test_message("%s", error->message);
	g_clear_error(&error);
	dev = hiod_vdpa_device_new(ctx, "vdpa7", &error);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

/* A kernel that is the real one, except that the device offers no IOTLB message v2. */
static int
real_open(gpointer data, const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}
static int
real_close(gpointer data, int fd)
{
	return close(fd);
}
static int
filtered_ioctl(gpointer data, int fd, unsigned long request, void *arg)
{
	int rc = ioctl(fd, request, arg);
	if (rc == 0 && request == HIOD_VHOST_GET_BACKEND_FEATURES)
		*(guint64 *)arg &= ~(G_GUINT64_CONSTANT(1) << HIOD_VHOST_BACKEND_F_IOTLB_MSG_V2);
	return rc;
}
static ssize_t
real_write(gpointer data, int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}
static const HiodKernelOps no_v2_ops = {
	.open = real_open,
	.close = real_close,
	.ioctl = filtered_ioctl,
	.write = real_write,
};

static void
test_missing_features(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(HiodContext) ctx2 = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = NULL;

	hiod_context_set_kernel_ops(ctx, &no_v2_ops, NULL);
	dev = hiod_vdpa_device_new(ctx, VDPA_NAME, &error);
	g_assert_null(dev);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "IOTLB message v2"));
	g_test_message("%s", error->message);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	/* nothing stayed open: the real device opens again at once (else EBUSY) */
	dev = open_vdpa(ctx2);
	g_assert_nonnull(dev);
}

/* map / unmap, as the kernel sees them ---------------------------------------- */

/* Whether the kernel's IOTLB holds something at @iova: a fresh UPDATE there is
 * refused (EEXIST, reported as EFAULT) exactly when it does. */
static gboolean
kernel_has_mapping(HiodVdpaDevice *dev, guint64 iova, gpointer probe)
{
	g_autoptr(GError) error = NULL;
	if (hiod_vdpa_device_dma_map(dev, iova, 4096, probe, 0, &error)) {
		g_assert_true(hiod_vdpa_device_dma_unmap(dev, iova, 4096, NULL));
		return FALSE;
	}
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "EFAULT"));
	return TRUE;
}

static void
test_map_unmap(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = open_vdpa(ctx);
	g_autoptr(HiodContainer) c = hiod_vdpa_container_new(dev, &error);
	Mem m;
	gpointer probe;

	g_assert_no_error(error);
	mem_init(&m, 16 * 4096);
	probe = m.mem + 15 * 4096;
	g_assert_false(kernel_has_mapping(dev, 0x100000, probe));
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x4000, m.mem, 0, &error));
	g_assert_no_error(error);
	g_assert_true(kernel_has_mapping(dev, 0x100000, probe));
	g_assert_true(kernel_has_mapping(dev, 0x103000, probe));
	g_assert_false(kernel_has_mapping(dev, 0x104000, probe));

	/* the kernel's own refusal of an overlap comes back as EFAULT, with what was tried */
	g_assert_false(hiod_vdpa_device_dma_map(dev, 0x102000, 0x4000, probe, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "IOTLB UPDATE of IOVA [0x102000, 0x105fff]"));
	g_test_message("kernel overlap: %s", error->message);
	g_clear_error(&error);
	/* the container refuses it before the kernel */
	g_assert_false(hiod_container_dma_map(c, 0x102000, 0x4000, probe, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);
	/* vdpa_sim's range is all 64 bits: what can be violated is wrap-around */
	g_assert_false(hiod_container_dma_map(c, G_MAXUINT64 - 0xfff, 0x2000, probe, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(hiod_vdpa_device_dma_map(dev, G_MAXUINT64 - 0xfff, 0x2000, probe, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);

	/* a partial unmap: the container splits, the kernel ends up with both sides */
	g_assert_true(hiod_container_dma_unmap(c, 0x101000, 0x1000, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	g_assert_true(kernel_has_mapping(dev, 0x100000, probe));
	g_assert_false(kernel_has_mapping(dev, 0x101000, probe));
	g_assert_true(kernel_has_mapping(dev, 0x102000, probe));
	g_assert_true(hiod_container_dma_unmap_all(c, &error));
	g_assert_false(kernel_has_mapping(dev, 0x100000, probe));
	g_assert_false(kernel_has_mapping(dev, 0x103000, probe));
	mem_clear(&m);
}

static void
test_batch(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = open_vdpa(ctx);
	const guint n = 256;
	g_autofree HiodVdpaMapEntry *e = g_new0(HiodVdpaMapEntry, n);
	Mem m;
	gint64 t0;

	mem_init(&m, (n + 1) * 4096);
	for (guint i = 0; i < n; i++)
		e[i] = (HiodVdpaMapEntry){0x1000000 + i * 0x2000, 4096, m.mem + i * 4096, 0};
	t0 = g_get_monotonic_time();
	g_assert_true(hiod_vdpa_device_dma_map_batch(dev, e, n, &error));
	g_assert_no_error(error);
	g_test_message("%u sections mapped in one batch in %" G_GINT64_FORMAT " us", n,
		       g_get_monotonic_time() - t0);
	for (guint i = 0; i < n; i += 51)
		g_assert_true(kernel_has_mapping(dev, e[i].iova, m.mem + n * 4096));
	g_assert_false(kernel_has_mapping(dev, 0x1000000 + 0x1000, m.mem + n * 4096));

	/* the same, one message each (the simulator rebuilds its table after each) */
	g_assert_true(hiod_vdpa_device_dma_unmap(dev, 0, G_MAXUINT64, &error));
	t0 = g_get_monotonic_time();
	for (guint i = 0; i < n; i++)
		g_assert_true(hiod_vdpa_device_dma_map(dev, e[i].iova, e[i].size, e[i].vaddr, 0, &error));
	g_test_message("%u sections mapped one by one in %" G_GINT64_FORMAT " us", n,
		       g_get_monotonic_time() - t0);
	g_assert_true(hiod_vdpa_device_dma_unmap(dev, 0, G_MAXUINT64, &error));
	g_assert_true(hiod_vdpa_device_dma_map_batch(dev, e, n, &error));

	/* one entry of a batch overlaps: the whole batch is undone */
	e[n - 1].iova = e[0].iova;
	for (guint i = 0; i < n - 1; i++)
		e[i].iova += 0x1000000;
	g_assert_false(hiod_vdpa_device_dma_map_batch(dev, e, n, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("batch with an overlap: %s", error->message);
	g_clear_error(&error);
	for (guint i = 0; i < n - 1; i += 51)
		g_assert_false(kernel_has_mapping(dev, e[i].iova, m.mem + n * 4096));
	mem_clear(&m);
}

/* the datapath ------------------------------------------------------------------ */

/* Layout of the test memory (IOVA = VNET_IOVA + offset), one page each. */
#define VNET_IOVA 0x40000000ull
#define OFF_RXQ 0x0000
#define OFF_TXQ 0x1000
#define OFF_TXBUF 0x2000
#define OFF_RXBUF 0x3000
#define VNET_PAGES 4

static void
map_sections(HiodAddressSpace *as, Mem *m, guint first_page, guint n_pages)
{
	g_autoptr(GError) error = NULL;
	for (guint p = first_page; p < first_page + n_pages; p++) {
		g_assert_true(hiod_address_space_add_section(as, VNET_IOVA + p * 4096, 4096, m->mem + p * 4096,
							     0, &error));
		g_assert_no_error(error);
	}
}

static void
test_datapath(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = open_vdpa(ctx);
	g_autoptr(HiodContainer) c = hiod_vdpa_container_new(dev, &error);
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(ctx);
	guint8 sent[HIOD_VNET_FRAME_LEN];
	HiodVnet v;
	Mem m;

	mem_init(&m, VNET_PAGES * 4096);
	/* the sections exist before the vDPA container joins: they are replayed into it */
	map_sections(as, &m, 0, VNET_PAGES);
	g_assert_true(hiod_address_space_add_container(as, c, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, VNET_PAGES);

	hiod_vnet_start(&v, ctx, hiod_vdpa_device_get_fd(dev), m.mem, VNET_IOVA, OFF_RXQ, OFF_TXQ);
	memset(m.mem + OFF_RXBUF, 0xee, 4096);
	hiod_vnet_post_rx(&v, VNET_IOVA + OFF_RXBUF, 2048);
	hiod_vnet_fill_frame(m.mem + OFF_TXBUF, 1);
	memcpy(sent, m.mem + OFF_TXBUF, sizeof(sent));
	hiod_vnet_send(&v, VNET_IOVA + OFF_TXBUF, HIOD_VNET_FRAME_LEN);
	g_assert_true(hiod_vnet_wait_rx(&v, 1, 5000));
	g_assert_cmpuint(hiod_vnet_rx_len(&v, 0), ==, HIOD_VNET_FRAME_LEN);
	g_assert_cmpmem(m.mem + OFF_RXBUF, HIOD_VNET_FRAME_LEN, sent, HIOD_VNET_FRAME_LEN);
	g_assert_cmpuint(m.mem[OFF_RXBUF + HIOD_VNET_FRAME_LEN], ==, 0xee);
	g_test_message("frame of %u bytes went TX -> RX through the IOTLB", HIOD_VNET_FRAME_LEN);

	/* unmap the RX buffer: the device can no longer reach it */
	memset(m.mem + OFF_RXBUF, 0xee, 4096);
	g_assert_true(hiod_address_space_remove_section(as, VNET_IOVA + OFF_RXBUF, 4096, &error));
	g_assert_no_error(error);
	hiod_vnet_post_rx(&v, VNET_IOVA + OFF_RXBUF, 2048);
	hiod_vnet_fill_frame(m.mem + OFF_TXBUF, 2);
	hiod_vnet_send(&v, VNET_IOVA + OFF_TXBUF, HIOD_VNET_FRAME_LEN);
	g_assert_false(hiod_vnet_wait_rx(&v, 2, 1000));
	for (guint i = 0; i < 4096; i++)
		g_assert_cmpuint(m.mem[OFF_RXBUF + i], ==, 0xee);
	g_test_message("after unmap: RX used ring stayed at 1, RX buffer unchanged");

	/* map it back: the datapath works again */
	map_sections(as, &m, OFF_RXBUF / 4096, 1);
	hiod_vnet_post_rx(&v, VNET_IOVA + OFF_RXBUF, 2048);
	hiod_vnet_fill_frame(m.mem + OFF_TXBUF, 3);
	memcpy(sent, m.mem + OFF_TXBUF, sizeof(sent));
	hiod_vnet_send(&v, VNET_IOVA + OFF_TXBUF, HIOD_VNET_FRAME_LEN);
	g_assert_true(hiod_vnet_wait_rx(&v, 2, 5000));
	g_assert_cmpmem(m.mem + OFF_RXBUF, HIOD_VNET_FRAME_LEN, sent, HIOD_VNET_FRAME_LEN);

	hiod_vnet_stop(&v);
	hiod_address_space_remove_container(as, c);
	mem_clear(&m);
}

#if HIOD_HAVE_LEGACY_VFIO
/* The "done when": one guest memory map mirrored by a VFIO type1
 * container (edu 0000:00:04.0 behind the emulated VT-d) and by the vDPA
 * device's IOTLB. edu DMA and the vdpa_sim datapath go through the same
 * sections: edu writes the frame's payload into the TX buffer, vdpa_sim loops
 * it to the RX buffer, edu reads the RX buffer back. */
#define EDU_ADDR "0000:00:04.0"
#define OFF_EDU_SRC 0x4000
#define OFF_EDU_CHECK 0x5000

static void
test_mirror_with_vfio(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(ctx);
	g_autoptr(HiodVfioDevice) edu = NULL;
	g_autoptr(HiodVdpaDevice) dev = NULL;
	g_autoptr(HiodContainer) vc = NULL;
	HiodContainer *legacy;
	const gsize payload_off = HIOD_VNET_HDR_LEN + 14, payload_len = HIOD_VNET_FRAME_LEN - payload_off;
	HiodEdu e;
	HiodVnet v;
	Mem m;

	mem_init(&m, 6 * 4096);
	map_sections(as, &m, 0, 3);			 /* rings, TX buffer */
	map_sections(as, &m, OFF_EDU_SRC / 4096, 2); /* edu's source and check pages */

	edu = hiod_vfio_device_new(ctx, EDU_ADDR, &error);
	g_assert_no_error(error);
	legacy = hiod_address_space_attach_device(as, edu, HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpint(hiod_container_get_backend_kind(legacy), ==, HIOD_BACKEND_KIND_LEGACY);
	dev = open_vdpa(ctx);
	vc = hiod_vdpa_container_new(dev, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_add_container(as, vc, &error)); /* replay */
	g_assert_no_error(error);
	/* a section added once both are members reaches both */
	map_sections(as, &m, OFF_RXBUF / 4096, 1);
	g_assert_cmpuint(hiod_container_get_n_mappings(legacy), ==, 6);
	g_assert_cmpuint(hiod_container_get_n_mappings(vc), ==, 6);

	/* edu (through VT-d) writes the payload into the TX buffer */
	g_assert_true(hiod_edu_init(&e, edu, &error));
	g_assert_no_error(error);
	for (gsize i = 0; i < payload_len; i++)
		m.mem[OFF_EDU_SRC + i] = (guint8)(0xa5 ^ (i * 13));
	g_snprintf((gchar *)m.mem + OFF_EDU_SRC, 24, "written by edu DMA");
	g_assert_true(hiod_edu_dma(&e, VNET_IOVA + OFF_EDU_SRC, payload_len, FALSE, 5000, &error));
	g_assert_true(hiod_edu_dma(&e, VNET_IOVA + OFF_TXBUF + payload_off, payload_len, TRUE, 5000, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(m.mem + OFF_TXBUF + payload_off, payload_len, m.mem + OFF_EDU_SRC, payload_len);
	hiod_vnet_fill_headers(m.mem + OFF_TXBUF);

	/* vdpa_sim (through its IOTLB) loops it to the RX buffer */
	memset(m.mem + OFF_RXBUF, 0xee, 4096);
	hiod_vnet_start(&v, ctx, hiod_vdpa_device_get_fd(dev), m.mem, VNET_IOVA, OFF_RXQ, OFF_TXQ);
	hiod_vnet_post_rx(&v, VNET_IOVA + OFF_RXBUF, 2048);
	hiod_vnet_send(&v, VNET_IOVA + OFF_TXBUF, HIOD_VNET_FRAME_LEN);
	g_assert_true(hiod_vnet_wait_rx(&v, 1, 5000));
	g_assert_cmpmem(m.mem + OFF_RXBUF + payload_off, payload_len, m.mem + OFF_EDU_SRC, payload_len);

	/* edu reads the RX buffer back through the section added last */
	g_assert_true(hiod_edu_dma(&e, VNET_IOVA + OFF_RXBUF, HIOD_VNET_FRAME_LEN, FALSE, 5000, &error));
	g_assert_true(hiod_edu_dma(&e, VNET_IOVA + OFF_EDU_CHECK, HIOD_VNET_FRAME_LEN, TRUE, 5000, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(m.mem + OFF_EDU_CHECK, HIOD_VNET_FRAME_LEN, m.mem + OFF_RXBUF, HIOD_VNET_FRAME_LEN);
	g_test_message("edu DMA -> TX buffer -> vdpa_sim loopback -> RX buffer -> edu DMA, one address space");

	/* removing a section removes it from both */
	g_assert_true(hiod_address_space_remove_section(as, VNET_IOVA + OFF_RXBUF, 4096, &error));
	g_assert_cmpuint(hiod_container_get_n_mappings(legacy), ==, 5);
	g_assert_cmpuint(hiod_container_get_n_mappings(vc), ==, 5);
	hiod_vnet_stop(&v);
	hiod_address_space_remove_container(as, vc);
	hiod_address_space_detach_device(as, edu);
	mem_clear(&m);
}
#endif

/* Anonymous memory is silently not mapped by vdpa_sim (use_va=1): hiod cannot
 * tell, the datapath shows it. Recorded here so the gotcha stays visible. */
static void
test_anonymous_memory(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = open_vdpa(ctx);
	guint8 *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	Mem m;

	mem_init(&m, 4096);
	g_assert_true(hiod_vdpa_device_dma_map(dev, 0x200000, 4096, anon, 0, &error));
	/* the kernel took the UPDATE but recorded nothing: an overlap is not noticed */
	g_assert_false(kernel_has_mapping(dev, 0x200000, m.mem));
	munmap(anon, 4096);
	mem_clear(&m);
}

/* The mapping limit ------------------------------------------------------------ */

/* vhost-vdpa keeps at most max_iotlb_entries (a vhost_vdpa parameter, 2048
 * unless set at boot) IOTLB entries per address space and refuses the next
 * UPDATE (ENOSPC inside, EFAULT from write()). The container's limit is the
 * kernel's: it maps exactly that many and refuses the next itself, clearly. */
static void
test_mapping_limit(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVdpaDevice) dev = open_vdpa(ctx);
	g_autoptr(HiodContainer) c = hiod_vdpa_container_new(dev, &error);
	g_autofree gchar *param = NULL;
	guint limit, i;
	guint8 *two;
	Mem m, other;
	gint64 t0;

	g_assert_no_error(error);
	g_assert_true(g_file_get_contents("/sys/module/vhost_vdpa/parameters/max_iotlb_entries", &param,
					  NULL, NULL));
	limit = (guint)g_ascii_strtoull(param, NULL, 10);
	g_test_message("vhost_vdpa max_iotlb_entries: %u; the container's limit: %u", limit,
		       hiod_container_get_max_mappings(c));
	g_assert_cmpuint(limit, >, 1);
	g_assert_cmpuint(hiod_container_get_max_mappings(c), ==, limit);
	if (limit > 64) {
		/* vdpa_sim copies the whole table at each UPDATE: thousands one by one
		 * take minutes under TCG. The walk runs with the limit lowered at boot
		 * (the x86-vdpa-iotlb-limit test). */
		g_test_message("limit %u: the walk runs with vhost_vdpa.max_iotlb_entries=16", limit);
		return;
	}
	mem_init(&m, (limit + 1) * 4096);
#define LIMIT_IOVA(i) (0x1000000 + (guint64)(i) * 0x2000)
	t0 = g_get_monotonic_time();
	for (i = 0; i < limit; i++) {
		if (!hiod_container_dma_map(c, LIMIT_IOVA(i), 4096, m.mem + i * 4096, 0, &error))
			g_error("map %u of %u: %s", i + 1, limit, error->message);
	}
	g_test_message("%u mappings in %" G_GINT64_FORMAT " ms", limit, (g_get_monotonic_time() - t0) / 1000);
	/* one more: the container refuses it before the kernel */
	g_assert_false(hiod_container_dma_map(c, LIMIT_IOVA(limit), 4096, m.mem + limit * 4096, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_test_message("container: %s", error->message);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, limit);
	/* the kernel's own limit is the same */
	g_assert_false(hiod_vdpa_device_dma_map(dev, LIMIT_IOVA(limit), 4096, m.mem + limit * 4096, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "EFAULT"));
	g_test_message("kernel: %s", error->message);
	g_clear_error(&error);
	/* one unmapped: room for one more, in both */
	g_assert_true(hiod_container_dma_unmap(c, LIMIT_IOVA(0), 4096, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_container_dma_map(c, LIMIT_IOVA(limit), 4096, m.mem + limit * 4096, 0, &error));
	g_assert_no_error(error);
	g_assert_false(hiod_vdpa_device_dma_map(dev, LIMIT_IOVA(0), 4096, m.mem, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* The kernel counts IOTLB entries, not UPDATEs: one mapping over two VMAs
	 * (two memfds side by side) takes two. With room for one, the container lets
	 * it through, the kernel refuses it whole and the container stays as it was. */
	g_assert_true(hiod_container_dma_unmap(c, LIMIT_IOVA(limit), 4096, &error));
	two = mmap(NULL, 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_assert_true(two != MAP_FAILED);
	mem_init(&other, 4096);
	g_assert_true(mmap(two, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m.fd,
			   (off_t)limit * 4096) == two);
	g_assert_true(mmap(two + 4096, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, other.fd, 0) ==
		      two + 4096);
	g_assert_false(hiod_container_dma_map(c, LIMIT_IOVA(limit), 2 * 4096, two, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "max_iotlb_entries"));
	g_test_message("two VMAs with room for one entry: %s", error->message);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, limit - 1);
	g_assert_true(hiod_container_dma_map(c, LIMIT_IOVA(limit), 4096, two, 0, &error));
	g_assert_no_error(error);
	munmap(two, 2 * 4096);
	mem_clear(&other);
	g_assert_true(hiod_container_dma_unmap_all(c, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_vdpa_device_dma_map(dev, LIMIT_IOVA(0), 4096, m.mem, 0, &error));
	g_assert_true(hiod_vdpa_device_dma_unmap(dev, 0, G_MAXUINT64, &error));
	g_assert_no_error(error);
#undef LIMIT_IOVA
	mem_clear(&m);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/vm/vdpa/open", test_open);
	g_test_add_func("/hiod/vm/vdpa/not-vhost-vdpa", test_not_vhost_vdpa);
	g_test_add_func("/hiod/vm/vdpa/missing-features", test_missing_features);
	g_test_add_func("/hiod/vm/vdpa/map-unmap", test_map_unmap);
	g_test_add_func("/hiod/vm/vdpa/batch", test_batch);
	g_test_add_func("/hiod/vm/vdpa/mapping-limit", test_mapping_limit);
	g_test_add_func("/hiod/vm/vdpa/anonymous-memory", test_anonymous_memory);
	g_test_add_func("/hiod/vm/vdpa/datapath", test_datapath);
#if HIOD_HAVE_LEGACY_VFIO
	g_test_add_func("/hiod/vm/vdpa/mirror-with-vfio", test_mirror_with_vfio);
#endif
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include "hiod-edu.h"

#define EDU_ID 0x00
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 0x1
#define EDU_CMD_TO_RAM 0x2
#define EDU_CMD_IRQ 0x4 /* raise HIOD_EDU_IRQ_DMA when done */

/* edu's registers have the emulated machine's byte order: little-endian on
 * x86, big-endian on pseries, where a little-endian guest sees them swapped. */
static guint32
edu_read32(HiodEdu *edu, guint off)
{
	guint32 v = *(volatile guint32 *)(edu->bar0 + off);
	return edu->swap ? GUINT32_SWAP_LE_BE(v) : v;
}

static void
edu_write32(HiodEdu *edu, guint off, guint32 v)
{
	*(volatile guint32 *)(edu->bar0 + off) = edu->swap ? GUINT32_SWAP_LE_BE(v) : v;
}

static void
edu_write64(HiodEdu *edu, guint off, guint64 v)
{
	*(volatile guint64 *)(edu->bar0 + off) = edu->swap ? GUINT64_SWAP_LE_BE(v) : v;
}

gboolean
hiod_edu_init(HiodEdu *edu, HiodVfioDevice *device, GError **error)
{
	HiodPciDeviceInfo *info = hiod_vfio_device_get_info(device);
	gsize size = 0;
	memset(edu, 0, sizeof(*edu));
	if (hiod_pci_device_info_get_vendor_id(info) != HIOD_EDU_VENDOR ||
	    hiod_pci_device_info_get_device_id(info) != HIOD_EDU_DEVICE) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s is %04x:%04x, not an edu device (1234:11e8): the DMA test needs one",
			    hiod_vfio_device_get_name(device), hiod_pci_device_info_get_vendor_id(info),
			    hiod_pci_device_info_get_device_id(info));
		return FALSE;
	}
	edu->bar0 = hiod_vfio_device_map_region(device, 0, &size, error);
	if (edu->bar0 == NULL)
		return FALSE;
	if (size < 0x100) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE, "edu BAR0 is only %zu bytes", size);
		return FALSE;
	}
	edu->device = device;
	/* the ID register is 0x010000ed: its low byte tells the byte order */
	if ((edu_read32(edu, EDU_ID) & 0xff) != 0xed && (edu_read32(edu, EDU_ID) >> 24) == 0xed)
		edu->swap = TRUE;
	if ((edu_read32(edu, EDU_ID) & 0xff) != 0xed) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "edu identification register reads 0x%08x", edu_read32(edu, EDU_ID));
		return FALSE;
	}
	return hiod_vfio_device_set_bus_master(device, TRUE, error);
}

guint32
hiod_edu_read_id(HiodEdu *edu)
{
	return edu_read32(edu, EDU_ID);
}

gboolean
hiod_edu_dma_start(HiodEdu *edu, guint64 iova, gsize count, gboolean to_ram, gboolean irq,
		   GError **error)
{
	if (count == 0 || count > HIOD_EDU_MAX_DMA) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "edu DMA of %zu bytes: 1 to %d bytes only", count, HIOD_EDU_MAX_DMA);
		return FALSE;
	}
	if (hiod_edu_dma_busy(edu)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_BUSY, "edu is still running a DMA");
		return FALSE;
	}
	edu_write64(edu, EDU_DMA_SRC, to_ram ? HIOD_EDU_BUFFER : iova);
	edu_write64(edu, EDU_DMA_DST, to_ram ? iova : HIOD_EDU_BUFFER);
	edu_write64(edu, EDU_DMA_COUNT, count);
	edu_write64(edu, EDU_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0) |
				      (irq ? EDU_CMD_IRQ : 0));
	return TRUE;
}

gboolean
hiod_edu_dma_busy(HiodEdu *edu)
{
	return (edu_read32(edu, EDU_DMA_CMD) & EDU_CMD_START) != 0;
}

gboolean
hiod_edu_dma(HiodEdu *edu, guint64 iova, gsize count, gboolean to_ram, guint timeout_ms,
	     GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	if (!hiod_edu_dma_start(edu, iova, count, to_ram, FALSE, error))
		return FALSE;
	while (hiod_edu_dma_busy(edu)) {
		if (g_get_monotonic_time() > deadline) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_TIMED_OUT,
				    "edu DMA did not finish within %u ms", timeout_ms);
			return FALSE;
		}
		g_usleep(1000);
	}
	return TRUE;
}

gboolean
hiod_edu_round_trip(HiodEdu *edu, HiodContainer *container, guint64 src_iova, guint64 dst_iova,
		    gsize count, GError **error)
{
	gsize pg = 4096, len = (count + pg - 1) / pg * pg;
	guint8 *src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guint8 *dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gboolean ok = FALSE;

	if (src == MAP_FAILED || dst == MAP_FAILED) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE, "no memory for DMA buffers");
		goto out;
	}
	for (gsize i = 0; i < count; i++)
		src[i] = (guint8)(i * 7 + 3);
	if (!hiod_container_dma_map(container, src_iova, len, src, HIOD_DMA_FLAGS_READONLY, error))
		goto out;
	if (!hiod_container_dma_map(container, dst_iova, len, dst, HIOD_DMA_FLAGS_NONE, error)) {
		hiod_container_dma_unmap(container, src_iova, len, NULL);
		goto out;
	}
	ok = hiod_edu_dma(edu, src_iova, count, FALSE, 5000, error) &&
	     hiod_edu_dma(edu, dst_iova, count, TRUE, 5000, error);
	if (ok && memcmp(src, dst, count) != 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
			    "edu DMA round trip of %zu bytes came back different", count);
		ok = FALSE;
	}
	hiod_container_dma_unmap(container, src_iova, len, NULL);
	hiod_container_dma_unmap(container, dst_iova, len, NULL);
out:
	if (src != MAP_FAILED)
		munmap(src, len);
	if (dst != MAP_FAILED)
		munmap(dst, len);
	return ok;
}

guint32
hiod_edu_irq_status(HiodEdu *edu)
{
	return edu_read32(edu, EDU_IRQ_STATUS);
}

void
hiod_edu_raise_irq(HiodEdu *edu, guint32 bits)
{
	edu_write32(edu, EDU_IRQ_RAISE, bits);
}

void
hiod_edu_ack_irq(HiodEdu *edu, guint32 bits)
{
	edu_write32(edu, EDU_IRQ_ACK, bits);
}

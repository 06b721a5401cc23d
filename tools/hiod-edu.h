/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tiny driver for QEMU's edu device: DMA through the IOMMU, for
 * hiodctl dma-test and the VM tests. Not part of libhiod. */
#pragma once

#include "hiod.h"

G_BEGIN_DECLS

#define HIOD_EDU_VENDOR 0x1234
#define HIOD_EDU_DEVICE 0x11e8
#define HIOD_EDU_BUFFER 0x40000 /* the device's internal buffer, reached by DMA only */
#define HIOD_EDU_MAX_DMA 2048	/* QEMU 7.2 aborts the VM past this; keep well inside */

typedef struct {
	HiodVfioDevice *device; /* not owned */
	volatile guint8 *bar0;
	gboolean swap; /* edu is big-endian on this machine (pseries): its ID reads 0xed000001 */
} HiodEdu;

/* The device must be attached. Maps BAR0, checks the ID, sets bus master. */
gboolean hiod_edu_init(HiodEdu *edu, HiodVfioDevice *device, GError **error);
guint32 hiod_edu_read_id(HiodEdu *edu);
/* One DMA of @count bytes (1..HIOD_EDU_MAX_DMA): RAM (IOVA @iova) to the device
 * buffer, or the device buffer to RAM when @to_ram. Waits up to @timeout_ms. */
gboolean hiod_edu_dma(HiodEdu *edu, guint64 iova, gsize count, gboolean to_ram, guint timeout_ms,
		      GError **error);
/* Starts one DMA like hiod_edu_dma() without waiting for it; with @irq the
 * device raises interrupt status bit HIOD_EDU_IRQ_DMA when it finished. */
gboolean hiod_edu_dma_start(HiodEdu *edu, guint64 iova, gsize count, gboolean to_ram, gboolean irq,
			    GError **error);
gboolean hiod_edu_dma_busy(HiodEdu *edu);
#define HIOD_EDU_IRQ_DMA 0x100
/* Maps a source and destination buffer at @src_iova/@dst_iova, copies
 * @count bytes RAM -> device -> RAM and compares them; unmaps. */
gboolean hiod_edu_round_trip(HiodEdu *edu, HiodContainer *container, guint64 src_iova,
			     guint64 dst_iova, gsize count, GError **error);

/* Interrupts (QEMU's docs/specs/edu.rst): 0x24 interrupt status (read),
 * 0x60 raise (write: ORs the bits into the status and interrupts: MSI when
 * the guest enabled it, else INTx, asserted while the status is non-zero),
 * 0x64 acknowledge (write: clears the bits; INTx drops at 0). */
guint32 hiod_edu_irq_status(HiodEdu *edu);
void hiod_edu_raise_irq(HiodEdu *edu, guint32 bits);
void hiod_edu_ack_irq(HiodEdu *edu, guint32 bits);

G_END_DECLS

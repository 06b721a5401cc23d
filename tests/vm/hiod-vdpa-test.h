/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal virtio-net driver for vdpa_sim net, for the VM tests: split
 * virtqueues (RX 0, TX 1) whose rings live in memory the test maps through
 * hiod; the device reaches them only through the vhost IOTLB. Test code. */
#pragma once

#include "hiod.h"

G_BEGIN_DECLS

#define HIOD_VNET_QSIZE 16
#define HIOD_VNET_HDR_LEN 12 /* struct virtio_net_hdr_v1 (VERSION_1) */
#define HIOD_VNET_FRAME_LEN (HIOD_VNET_HDR_LEN + 60)

typedef struct {
	HiodContext *ctx;
	gint fd;
	guint8 *mem;   /* the driver's view of the memory at @iova */
	guint64 iova;
	gsize rxq_off, txq_off;
	gint kick[2], call[2];
	guint16 avail_idx[2];
	guint16 next_desc[2];
} HiodVnet;

/* Negotiates VERSION_1 | ACCESS_PLATFORM, sets up both rings (each in one
 * page at @rxq_off / @txq_off of @mem), enables them and sets DRIVER_OK. */
void hiod_vnet_start(HiodVnet *v, HiodContext *ctx, gint fd, guint8 *mem, guint64 iova,
		     gsize rxq_off, gsize txq_off);
void hiod_vnet_stop(HiodVnet *v);
/* Writes a broadcast frame (header + Ethernet) tagged with @seq at @buf. */
void hiod_vnet_fill_frame(guint8 *buf, guint seq);
/* Writes the virtio-net header and the Ethernet header at @buf, keeping the payload. */
void hiod_vnet_fill_headers(guint8 *buf);
void hiod_vnet_post_rx(HiodVnet *v, guint64 buf_iova, guint32 len);
void hiod_vnet_send(HiodVnet *v, guint64 buf_iova, guint32 len);
/* Waits until the RX used index reaches @idx; FALSE on timeout. */
gboolean hiod_vnet_wait_rx(HiodVnet *v, guint16 idx, guint timeout_ms);
guint32 hiod_vnet_rx_len(HiodVnet *v, guint n);

G_END_DECLS

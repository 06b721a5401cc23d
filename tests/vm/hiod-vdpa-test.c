/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "hiod-vdpa-test.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"

/* virtio split ring (virtio 1.x, little-endian guest) */
typedef struct {
	guint64 addr;
	guint32 len;
	guint16 flags;
	guint16 next;
} VringDesc;
typedef struct {
	guint16 flags;
	guint16 idx;
	guint16 ring[HIOD_VNET_QSIZE];
	guint16 used_event;
} VringAvail;
typedef struct {
	guint32 id;
	guint32 len;
} VringUsedElem;
typedef struct {
	guint16 flags;
	guint16 idx;
	VringUsedElem ring[HIOD_VNET_QSIZE];
	guint16 avail_event;
} VringUsed;

#define DESC_OFF 0x000
#define AVAIL_OFF 0x100
#define USED_OFF 0x200
#define VRING_DESC_F_WRITE 2
#define F_VERSION_1 (G_GUINT64_CONSTANT(1) << 32)
#define F_ACCESS_PLATFORM (G_GUINT64_CONSTANT(1) << 33)
#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

static void
vnet_ioctl(HiodVnet *v, const gchar *name, gulong request, gpointer arg)
{
	g_autoptr(GError) error = NULL;
	hiod_kernel_ioctl(v->ctx, v->fd, name, request, arg, 0, &error);
	g_assert_no_error(error);
}
#define VNET_IOCTL(v, NAME, arg) vnet_ioctl(v, HIOD_IOC(NAME), arg)

static gsize
vnet_q_off(HiodVnet *v, guint q)
{
	return q == 0 ? v->rxq_off : v->txq_off;
}

static void
vnet_set_status(HiodVnet *v, guint8 status)
{
	guint8 back = 0;
	VNET_IOCTL(v, VHOST_VDPA_SET_STATUS, &status);
	VNET_IOCTL(v, VHOST_VDPA_GET_STATUS, &back);
	g_assert_cmphex(back, ==, status);
}

void
hiod_vnet_start(HiodVnet *v, HiodContext *ctx, gint fd, guint8 *mem, guint64 iova, gsize rxq_off,
		gsize txq_off)
{
	guint64 features = 0;
	guint8 status = S_ACKNOWLEDGE | S_DRIVER;

	memset(v, 0, sizeof(*v));
	v->ctx = ctx;
	v->fd = fd;
	v->mem = mem;
	v->iova = iova;
	v->rxq_off = rxq_off;
	v->txq_off = txq_off;
	vnet_set_status(v, status);
	VNET_IOCTL(v, VHOST_GET_FEATURES, &features);
	g_assert_true(features & F_VERSION_1);
	g_assert_true(features & F_ACCESS_PLATFORM);
	features = F_VERSION_1 | F_ACCESS_PLATFORM;
	VNET_IOCTL(v, VHOST_SET_FEATURES, &features);
	status |= S_FEATURES_OK;
	vnet_set_status(v, status);
	for (guint q = 0; q < 2; q++) {
		guint64 base = iova + vnet_q_off(v, q);
		struct hiod_vhost_vring_state num = {.index = q, .num = HIOD_VNET_QSIZE};
		struct hiod_vhost_vring_state vbase = {.index = q, .num = 0};
		struct hiod_vhost_vring_addr addr = {
		    .index = q,
		    .desc_user_addr = base + DESC_OFF,
		    .avail_user_addr = base + AVAIL_OFF,
		    .used_user_addr = base + USED_OFF,
		};
		struct hiod_vhost_vring_file kick, call;
		struct hiod_vhost_vring_state enable = {.index = q, .num = 1};

		memset(mem + vnet_q_off(v, q), 0, 4096);
		v->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		g_assert_cmpint(v->kick[q], >=, 0);
		kick = (struct hiod_vhost_vring_file){.index = q, .fd = v->kick[q]};
		call = (struct hiod_vhost_vring_file){.index = q, .fd = v->call[q]};
		VNET_IOCTL(v, VHOST_SET_VRING_NUM, &num);
		VNET_IOCTL(v, VHOST_SET_VRING_ADDR, &addr);
		VNET_IOCTL(v, VHOST_SET_VRING_BASE, &vbase);
		VNET_IOCTL(v, VHOST_SET_VRING_KICK, &kick);
		VNET_IOCTL(v, VHOST_SET_VRING_CALL, &call);
		VNET_IOCTL(v, VHOST_VDPA_SET_VRING_ENABLE, &enable);
	}
	status |= S_DRIVER_OK;
	vnet_set_status(v, status);
}

void
hiod_vnet_stop(HiodVnet *v)
{
	guint8 status = 0;
	VNET_IOCTL(v, VHOST_VDPA_SET_STATUS, &status); /* reset */
	for (guint q = 0; q < 2; q++) {
		close(v->kick[q]);
		close(v->call[q]);
	}
}

void
hiod_vnet_fill_headers(guint8 *buf)
{
	static const guint8 src[6] = {0x02, 0x68, 0x69, 0x6f, 0x64, 0x01};
	memset(buf, 0, HIOD_VNET_HDR_LEN);
	memset(buf + HIOD_VNET_HDR_LEN, 0xff, 6); /* broadcast: vdpa_sim's filter lets it through */
	memcpy(buf + HIOD_VNET_HDR_LEN + 6, src, 6);
	buf[HIOD_VNET_HDR_LEN + 12] = 0x88; /* local experimental ethertype */
	buf[HIOD_VNET_HDR_LEN + 13] = 0xb5;
}

void
hiod_vnet_fill_frame(guint8 *buf, guint seq)
{
	hiod_vnet_fill_headers(buf);
	for (guint i = HIOD_VNET_HDR_LEN + 14; i < HIOD_VNET_FRAME_LEN; i++)
		buf[i] = (guint8)(i * 7 + seq * 31);
	g_snprintf((gchar *)buf + HIOD_VNET_HDR_LEN + 14, 32, "hiod vdpa frame %u", seq);
}

static void
vnet_post(HiodVnet *v, guint q, guint64 buf_iova, guint32 len, guint16 flags)
{
	guint8 *base = v->mem + vnet_q_off(v, q);
	VringDesc *desc = (VringDesc *)(base + DESC_OFF);
	VringAvail *avail = (VringAvail *)(base + AVAIL_OFF);
	guint16 d = v->next_desc[q]++ % HIOD_VNET_QSIZE;
	guint64 one = 1;

	desc[d] = (VringDesc){.addr = buf_iova, .len = len, .flags = flags, .next = 0};
	avail->ring[v->avail_idx[q] % HIOD_VNET_QSIZE] = d;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	v->avail_idx[q]++;
	__atomic_store_n(&avail->idx, v->avail_idx[q], __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	g_assert_cmpint(write(v->kick[q], &one, sizeof(one)), ==, sizeof(one));
}

void
hiod_vnet_post_rx(HiodVnet *v, guint64 buf_iova, guint32 len)
{
	vnet_post(v, 0, buf_iova, len, VRING_DESC_F_WRITE);
}

void
hiod_vnet_send(HiodVnet *v, guint64 buf_iova, guint32 len)
{
	vnet_post(v, 1, buf_iova, len, 0);
}

gboolean
hiod_vnet_wait_rx(HiodVnet *v, guint16 idx, guint timeout_ms)
{
	VringUsed *used = (VringUsed *)(v->mem + v->rxq_off + USED_OFF);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while ((gint16)(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) - idx) < 0) {
		if (g_get_monotonic_time() > deadline)
			return FALSE;
		g_usleep(1000);
	}
	return TRUE;
}

guint32
hiod_vnet_rx_len(HiodVnet *v, guint n)
{
	VringUsed *used = (VringUsed *)(v->mem + v->rxq_off + USED_OFF);
	return used->ring[n % HIOD_VNET_QSIZE].len;
}

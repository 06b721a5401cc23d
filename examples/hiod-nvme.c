/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hiod-nvme: a userspace NVMe driver on hiod, as an example.
 *
 *   hiod-nvme [--backend auto|legacy|spapr|iommufd] [--poll] [--image FILE] DEVICE
 *
 * Takes an NVMe controller bound to vfio-pci (QEMU's emulated one, 1b36:0010,
 * is what the VM suite gives it), maps BAR0 with hiod's region API, puts the
 * admin and one I/O queue pair in memory mapped for DMA through a
 * HiodAddressSpace, enables the controller, identifies it and its first
 * namespace, and reads and writes blocks: every block read is compared with
 * FILE (a copy of the disk image) when given; the write test writes a pattern,
 * reads it back, writes the original back and reads that back too, so the
 * disk is left as it was. Completions are waited for on MSI-X eventfds
 * (hiod_vfio_device_wait_irq()) or, with --poll, by polling the completion
 * queue's phase bit; every wait has a timeout. On the way out the queues are
 * deleted, the controller is shut down (CC.SHN) and disabled, and everything
 * hiod gave is released.
 *
 * Written from the NVM Express Base Specification (2.0): register offsets,
 * queue entry layouts and command opcodes are the spec's. One command is in
 * flight at a time; that keeps the driver short, not fast.
 *
 * Build against an installed hiod with:
 *
 *   cc hiod-nvme.c $(pkg-config --cflags --libs hiod) -o hiod-nvme
 */
#include <hiod.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* controller registers (BAR0) */
#define REG_CAP 0x00
#define REG_VS 0x08
#define REG_INTMS 0x0c
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define REG_DOORBELLS 0x1000

#define CC_EN (1u << 0)
#define CC_CSS_NVM (0u << 4)
#define CC_MPS_4K (0u << 7)
#define CC_AMS_RR (0u << 11)
#define CC_SHN_MASK (3u << 14)
#define CC_SHN_NORMAL (1u << 14)
#define CC_IOSQES(n) ((guint32)(n) << 16) /* log2 of the SQ entry size */
#define CC_IOCQES(n) ((guint32)(n) << 20) /* log2 of the CQ entry size */
#define CSTS_RDY (1u << 0)
#define CSTS_CFS (1u << 1)
#define CSTS_SHST_MASK (3u << 2)
#define CSTS_SHST_DONE (2u << 2)

/* admin opcodes */
#define ADM_DELETE_SQ 0x00
#define ADM_CREATE_SQ 0x01
#define ADM_DELETE_CQ 0x04
#define ADM_CREATE_CQ 0x05
#define ADM_IDENTIFY 0x06
#define ADM_SET_FEATURES 0x09
#define FEAT_NUM_QUEUES 0x07
#define CNS_NAMESPACE 0x00
#define CNS_CONTROLLER 0x01
#define CNS_ACTIVE_NSIDS 0x02
/* NVM command set opcodes */
#define NVM_WRITE 0x01
#define NVM_READ 0x02

#define SQE_SIZE 64
#define CQE_SIZE 16
#define PAGE 4096u
#define ADMIN_ENTRIES 32
#define IO_ENTRIES 64
#define IO_QID 1

/* the DMA area: one section of the address space, page by page */
enum {
	PG_ASQ,
	PG_ACQ,
	PG_IOSQ,
	PG_IOCQ,
	PG_IDENTIFY,
	PG_PRP_LIST,
	PG_DATA,
	DATA_PAGES = 16, /* the largest transfer: 64 KiB */
	DMA_PAGES = PG_DATA + DATA_PAGES,
};

typedef struct {
	const gchar *name;
	guint16 qid;
	guint16 entries;
	guint8 *sq, *cq;
	guint64 sq_iova, cq_iova;
	guint16 sq_tail, cq_head;
	guint phase;
	guint vector; /* its MSI-X vector */
	gboolean created;
} Queue;

typedef struct {
	HiodContext *ctx;
	HiodVfioDevice *dev;
	HiodAddressSpace *as;
	HiodContainer *container;
	volatile guint8 *bar;
	gsize bar_size;
	guint8 *mem;
	guint64 iova;
	gboolean section;
	guint64 cap;
	guint dstrd; /* doorbell stride: 4 << CAP.DSTRD bytes */
	guint ready_ms; /* CAP.TO: the controller's worst case for CSTS.RDY */
	guint64 max_transfer;
	gboolean enabled;
	gboolean poll;
	gboolean msix;
	gint timeout_ms;
	guint16 next_cid;
	guint64 interrupts[2]; /* by MSI-X vector */
	Queue admin, io;
	guint32 nsid;
	guint64 nsze;
	guint lba_size;
} Nvme;

/* options */
static gchar *opt_backend = NULL;
static gboolean opt_poll = FALSE;
static gchar *opt_image = NULL;
static gint opt_timeout = 10000;
static gint64 opt_write_lba = -1;
static gint opt_blocks = 16;
static gboolean opt_check_release = FALSE;

static GOptionEntry option_entries[] = {
	{"backend", 'b', 0, G_OPTION_ARG_STRING, &opt_backend,
	 "The container backend: auto (default), legacy (type1), spapr (sPAPR TCE) or iommufd", "KIND"},
	{"poll", 'p', 0, G_OPTION_ARG_NONE, &opt_poll,
	 "Wait for completions by polling the completion queue, not on MSI-X", NULL},
	{"image", 'i', 0, G_OPTION_ARG_FILENAME, &opt_image,
	 "Compare the blocks read with this copy of the namespace's disk image", "FILE"},
	{"timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,
	 "How long each wait for the controller may take (ms, default 10000)", "MS"},
	{"write-lba", 'w', 0, G_OPTION_ARG_INT64, &opt_write_lba,
	 "Where the write test writes (default: a quarter into the namespace)", "LBA"},
	{"blocks", 'n', 0, G_OPTION_ARG_INT, &opt_blocks, "Blocks per read and write (default 16)", "N"},
	{"check-release", 0, 0, G_OPTION_ARG_NONE, &opt_check_release,
	 "Count eventfds, VFIO mappings and VFIO interrupts before and after: any left is an error",
	 NULL},
	{NULL},
};

/* registers: 32-bit accesses only (a 64-bit register is two, low first) */
static guint32
rd32(Nvme *n, guint off)
{
	return GUINT32_FROM_LE(*(volatile guint32 *)(n->bar + off));
}

static void
wr32(Nvme *n, guint off, guint32 v)
{
	*(volatile guint32 *)(n->bar + off) = GUINT32_TO_LE(v);
}

static guint64
rd64(Nvme *n, guint off)
{
	guint64 lo = rd32(n, off);
	return lo | ((guint64)rd32(n, off + 4) << 32);
}

static void
wr64(Nvme *n, guint off, guint64 v)
{
	wr32(n, off, (guint32)v);
	wr32(n, off + 4, (guint32)(v >> 32));
}

static guint
sq_doorbell(Nvme *n, guint qid)
{
	return REG_DOORBELLS + (2 * qid) * n->dstrd;
}

static guint
cq_doorbell(Nvme *n, guint qid)
{
	return REG_DOORBELLS + (2 * qid + 1) * n->dstrd;
}

static guint8 *
page_va(Nvme *n, guint pg)
{
	return n->mem + (gsize)pg * PAGE;
}

static guint64
page_iova(Nvme *n, guint pg)
{
	return n->iova + (guint64)pg * PAGE;
}

/* waits until (CSTS & mask) == want, up to @ms */
static gboolean
wait_csts(Nvme *n, guint32 mask, guint32 want, guint ms, const gchar *what, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
	guint32 csts;
	while (((csts = rd32(n, REG_CSTS)) & mask) != want) {
		if (csts == 0xffffffff) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "%s: CSTS reads 0xffffffff: the controller is gone from the bus "
				    "(surprise removal or a failed reset)", what);
			return FALSE;
		}
		if ((csts & CSTS_CFS) && mask != CSTS_RDY) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "%s: the controller reports a fatal status (CSTS 0x%x): reset it "
				    "(hiodctl reset) and try again", what, csts);
			return FALSE;
		}
		if (g_get_monotonic_time() > deadline) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
				    "%s: CSTS is 0x%x after %u ms (wanted 0x%x under mask 0x%x): "
				    "the controller did not answer in the time CAP.TO allows", what, csts,
				    ms, want, mask);
			return FALSE;
		}
		g_usleep(1000);
	}
	return TRUE;
}

/* one submission queue entry, in host order; nvme_submit() makes it little-endian */
typedef struct {
	guint32 dw[16];
} Command;

static Command
command(guint8 opcode, guint32 nsid)
{
	Command c = {{0}};
	c.dw[0] = opcode;
	c.dw[1] = nsid;
	return c;
}

static void
command_set_prp(Command *c, guint64 prp1, guint64 prp2)
{
	c->dw[6] = (guint32)prp1;
	c->dw[7] = (guint32)(prp1 >> 32);
	c->dw[8] = (guint32)prp2;
	c->dw[9] = (guint32)(prp2 >> 32);
}

static guint16
nvme_submit(Nvme *n, Queue *q, Command *c)
{
	guint32 *slot = (guint32 *)(q->sq + (gsize)q->sq_tail * SQE_SIZE);
	guint16 cid = n->next_cid++;

	c->dw[0] = (c->dw[0] & 0xffff) | ((guint32)cid << 16);
	for (guint i = 0; i < 16; i++)
		slot[i] = GUINT32_TO_LE(c->dw[i]);
	q->sq_tail = (q->sq_tail + 1) % q->entries;
	/* the entry is in memory before the doorbell tells the controller */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(n, sq_doorbell(n, q->qid), q->sq_tail);
	return cid;
}

static const gchar *
status_text(guint sct, guint sc)
{
	if (sct == 0) {
		switch (sc) {
		case 0x01: return "invalid command opcode";
		case 0x02: return "invalid field in command";
		case 0x04: return "data transfer error";
		case 0x06: return "internal error";
		case 0x0b: return "invalid namespace or format";
		case 0x80: return "LBA out of range";
		default: break;
		}
	} else if (sct == 1) {
		switch (sc) {
		case 0x00: return "completion queue invalid";
		case 0x01: return "invalid queue identifier";
		case 0x02: return "invalid queue size";
		case 0x08: return "invalid interrupt vector";
		case 0x0c: return "invalid queue deletion";
		default: break;
		}
	}
	return "see the NVMe specification's status code tables";
}

/* Waits for the completion of @cid on @q: its phase bit is the one the
 * queue expects on this pass. With MSI-X the wait sleeps on the queue's
 * vector between looks; with --poll it spins on the entry. */
static gboolean
nvme_complete(Nvme *n, Queue *q, guint16 cid, const gchar *what, guint32 *dw0, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)n->timeout_ms * 1000;
	guint spins = 0;

	for (;;) {
		volatile guint32 *cqe = (volatile guint32 *)(q->cq + (gsize)q->cq_head * CQE_SIZE);
		guint32 dw3 = GUINT32_FROM_LE(cqe[3]);
		gint64 left;

		if (((dw3 >> 16) & 1) == q->phase) {
			guint16 got = dw3 & 0xffff, status = dw3 >> 17;
			guint32 d0;
			/* the rest of the entry is read after its phase bit */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			d0 = GUINT32_FROM_LE(cqe[0]);
			q->cq_head = (q->cq_head + 1) % q->entries;
			if (q->cq_head == 0)
				q->phase ^= 1;
			wr32(n, cq_doorbell(n, q->qid), q->cq_head);
			if (got != cid) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
					    "%s: the %s queue completed command %u while command %u "
					    "was the only one submitted: the controller is confused; reset it",
					    what, q->name, got, cid);
				return FALSE;
			}
			if (status != 0) {
				guint sct = (status >> 8) & 7, sc = status & 0xff;
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
					    "%s: the controller refused it: status code type %u, code "
					    "0x%02x (%s)%s", what, sct, sc, status_text(sct, sc),
					    (status & 0x4000) ? ", do not retry" : "");
				return FALSE;
			}
			if (dw0 != NULL)
				*dw0 = d0;
			return TRUE;
		}
		left = (deadline - g_get_monotonic_time()) / 1000;
		if (left <= 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
				    "%s: no completion on the %s queue within %d ms (CSTS 0x%x)%s", what,
				    q->name, n->timeout_ms, rd32(n, REG_CSTS),
				    n->poll ? "" : ": no interrupt came either; try --poll to tell a "
						   "lost interrupt from a stuck controller");
			return FALSE;
		}
		if (n->poll) {
			if (++spins % 4096 == 0)
				g_thread_yield();
			continue;
		}
		{
			g_autoptr(GError) local = NULL;
			guint64 count = 0;
			if (hiod_vfio_device_wait_irq(n->dev, HIOD_VFIO_IRQ_INDEX_MSIX, q->vector,
						      (gint)left, &count, &local)) {
				n->interrupts[q->vector] += count;
			} else if (!g_error_matches(local, HIOD_ERROR, HIOD_ERROR_TIMED_OUT)) {
				g_propagate_prefixed_error(error, g_steal_pointer(&local),
							   "%s: waiting on MSI-X vector %u: ", what,
							   q->vector);
				return FALSE;
			}
			/* timed out: the next look decides */
		}
	}
}

static gboolean
nvme_run(Nvme *n, Queue *q, Command *c, const gchar *what, guint32 *dw0, GError **error)
{
	guint16 cid = nvme_submit(n, q, c);
	return nvme_complete(n, q, cid, what, dw0, error);
}

/* ---- bring-up ------------------------------------------------------------ */

static gboolean
nvme_disable(Nvme *n, GError **error)
{
	guint32 cc = rd32(n, REG_CC);
	if (cc & CC_EN)
		wr32(n, REG_CC, cc & ~CC_EN);
	if (!wait_csts(n, CSTS_RDY, 0, n->ready_ms, "disabling the controller", error))
		return FALSE;
	n->enabled = FALSE;
	return TRUE;
}

static void
queue_init(Nvme *n, Queue *q, const gchar *name, guint16 qid, guint16 entries, guint sq_pg,
	   guint cq_pg, guint vector)
{
	q->name = name;
	q->qid = qid;
	q->entries = entries;
	q->sq = page_va(n, sq_pg);
	q->cq = page_va(n, cq_pg);
	q->sq_iova = page_iova(n, sq_pg);
	q->cq_iova = page_iova(n, cq_pg);
	q->sq_tail = q->cq_head = 0;
	q->phase = 1; /* the controller's first pass writes phase 1 over the zeroed queue */
	q->vector = vector;
	memset(q->sq, 0, PAGE);
	memset(q->cq, 0, PAGE);
}

static gboolean
nvme_enable(Nvme *n, GError **error)
{
	guint32 vs, css, mpsmin, mqes;
	guint32 cc;

	n->cap = rd64(n, REG_CAP);
	vs = rd32(n, REG_VS);
	mqes = (n->cap & 0xffff) + 1;
	n->dstrd = 4u << ((n->cap >> 32) & 0xf);
	n->ready_ms = ((n->cap >> 24) & 0xff) * 500;
	if (n->ready_ms == 0)
		n->ready_ms = (guint)n->timeout_ms;
	css = (n->cap >> 37) & 0xff;
	mpsmin = (n->cap >> 48) & 0xf;
	g_print("controller: NVMe %u.%u.%u, CAP 0x%016" G_GINT64_MODIFIER "x: up to %u queue "
		"entries, doorbell stride %u bytes, ready within %u ms\n",
		vs >> 16, (vs >> 8) & 0xff, vs & 0xff, n->cap, mqes, n->dstrd, n->ready_ms);
	if (!(css & 1)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "the controller does not offer the NVM command set (CAP.CSS 0x%x): this "
			    "driver speaks only that one", css);
		return FALSE;
	}
	if (mpsmin > 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "the controller's smallest memory page is %u bytes (CAP.MPSMIN): this "
			    "driver uses 4096-byte pages", 4096u << mpsmin);
		return FALSE;
	}
	if (mqes < 2) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "CAP.MQES says %u queue entries: a queue needs two at least", mqes);
		return FALSE;
	}
	if (n->bar_size < cq_doorbell(n, IO_QID) + 4) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "BAR0 is %zu bytes: too small for the doorbells of queue %u (stride %u)",
			    n->bar_size, IO_QID, n->dstrd);
		return FALSE;
	}

	/* a controller left enabled (by a previous user) is disabled first */
	if (!nvme_disable(n, error))
		return FALSE;

	queue_init(n, &n->admin, "admin", 0, MIN(ADMIN_ENTRIES, mqes), PG_ASQ, PG_ACQ, 0);
	queue_init(n, &n->io, "I/O", IO_QID, MIN(IO_ENTRIES, mqes), PG_IOSQ, PG_IOCQ,
		   n->msix ? 1 : 0);
	wr32(n, REG_AQA, ((guint32)(n->admin.entries - 1) << 16) | (n->admin.entries - 1));
	wr64(n, REG_ASQ, n->admin.sq_iova);
	wr64(n, REG_ACQ, n->admin.cq_iova);
	if (n->poll)
		wr32(n, REG_INTMS, 1); /* no pin interrupt for the admin queue either */
	cc = CC_CSS_NVM | CC_MPS_4K | CC_AMS_RR | CC_IOSQES(6) | CC_IOCQES(4);
	wr32(n, REG_CC, cc);
	wr32(n, REG_CC, cc | CC_EN);
	n->enabled = TRUE;
	if (!wait_csts(n, CSTS_RDY | CSTS_CFS, CSTS_RDY, n->ready_ms, "enabling the controller",
		       error))
		return FALSE;
	return TRUE;
}

/* an ASCII field of an identify structure, without its padding */
static gchar *
ident_string(const guint8 *p, gsize len)
{
	gchar *s = g_strndup((const gchar *)p, len);
	for (gchar *c = s; *c; c++)
		if (!g_ascii_isprint(*c))
			*c = '?';
	return g_strchomp(s);
}

static guint64
le64_at(const guint8 *p)
{
	guint64 v;
	memcpy(&v, p, sizeof(v));
	return GUINT64_FROM_LE(v);
}

static guint32
le32_at(const guint8 *p)
{
	guint32 v;
	memcpy(&v, p, sizeof(v));
	return GUINT32_FROM_LE(v);
}

static gboolean
nvme_identify(Nvme *n, guint32 cns, guint32 nsid, const gchar *what, GError **error)
{
	Command c = command(ADM_IDENTIFY, nsid);
	memset(page_va(n, PG_IDENTIFY), 0, PAGE);
	command_set_prp(&c, page_iova(n, PG_IDENTIFY), 0);
	c.dw[10] = cns;
	return nvme_run(n, &n->admin, &c, what, NULL, error);
}

static gboolean
nvme_identify_all(Nvme *n, GError **error)
{
	const guint8 *id = page_va(n, PG_IDENTIFY);
	g_autofree gchar *sn = NULL, *mn = NULL, *fr = NULL;
	guint mdts, flbas, lbads, nn;
	guint32 nsid;

	if (!nvme_identify(n, CNS_CONTROLLER, 0, "Identify Controller", error))
		return FALSE;
	sn = ident_string(id + 4, 20);
	mn = ident_string(id + 24, 40);
	fr = ident_string(id + 64, 8);
	mdts = id[77];
	nn = le32_at(id + 516);
	g_print("serial: %s\n", sn);
	g_print("model: %s\n", mn);
	g_print("firmware: %s\n", fr);
	/* MDTS: the largest transfer, in units of the smallest page (0: no limit) */
	n->max_transfer = mdts == 0 || mdts > 20 ? G_MAXUINT64 : (guint64)PAGE << mdts;
	if ((id[512] & 0xf) > 6 || (id[513] & 0xf) > 4) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "the controller needs queue entries larger than 64/16 bytes (SQES 0x%x, "
			    "CQES 0x%x)", id[512], id[513]);
		return FALSE;
	}

	if (!nvme_identify(n, CNS_ACTIVE_NSIDS, 0, "Identify (active namespace list)", error))
		return FALSE;
	nsid = le32_at(id);
	if (nsid == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "the controller has no active namespace (it says %u may exist): attach "
			    "one (QEMU: -drive ...,id=D -device nvme,drive=D)", nn);
		return FALSE;
	}
	n->nsid = nsid;
	if (!nvme_identify(n, CNS_NAMESPACE, nsid, "Identify Namespace", error))
		return FALSE;
	n->nsze = le64_at(id + 0);
	flbas = id[26] & 0xf;
	lbads = id[128 + 4 * flbas + 2];
	if (lbads < 9 || lbads > 16 || n->nsze == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "namespace %u: %" G_GUINT64_FORMAT " blocks of 2^%u bytes: not a format "
			    "this driver handles", nsid, n->nsze, lbads);
		return FALSE;
	}
	n->lba_size = 1u << lbads;
	g_print("namespace %u: %" G_GUINT64_FORMAT " blocks of %u bytes (%" G_GUINT64_FORMAT
		" bytes)\n", nsid, n->nsze, n->lba_size, n->nsze * n->lba_size);
	return TRUE;
}

static gboolean
nvme_create_io_queues(Nvme *n, GError **error)
{
	Command c;
	guint32 dw0 = 0;

	/* ask for one I/O queue pair (0's based counts) */
	c = command(ADM_SET_FEATURES, 0);
	c.dw[10] = FEAT_NUM_QUEUES;
	c.dw[11] = 0;
	if (!nvme_run(n, &n->admin, &c, "Set Features (number of queues)", &dw0, error))
		return FALSE;

	c = command(ADM_CREATE_CQ, 0);
	command_set_prp(&c, n->io.cq_iova, 0);
	c.dw[10] = ((guint32)(n->io.entries - 1) << 16) | n->io.qid;
	/* physically contiguous; interrupts on its vector unless polled */
	c.dw[11] = ((guint32)n->io.vector << 16) | (n->poll ? 0 : 2) | 1;
	if (!nvme_run(n, &n->admin, &c, "Create I/O Completion Queue", NULL, error))
		return FALSE;
	c = command(ADM_CREATE_SQ, 0);
	command_set_prp(&c, n->io.sq_iova, 0);
	c.dw[10] = ((guint32)(n->io.entries - 1) << 16) | n->io.qid;
	c.dw[11] = ((guint32)n->io.qid << 16) | 1;
	if (!nvme_run(n, &n->admin, &c, "Create I/O Submission Queue", NULL, error)) {
		c = command(ADM_DELETE_CQ, 0);
		c.dw[10] = n->io.qid;
		nvme_run(n, &n->admin, &c, "Delete I/O Completion Queue", NULL, NULL);
		return FALSE;
	}
	n->io.created = TRUE;
	g_print("I/O queue pair %u: %u entries, completions %s\n", n->io.qid, n->io.entries,
		n->poll ? "polled" : "on MSI-X");
	return TRUE;
}

/* ---- I/O ------------------------------------------------------------------ */

/* one read or write of @nlb blocks at @slba through the data pages */
static gboolean
nvme_rw(Nvme *n, gboolean write, guint64 slba, guint nlb, GError **error)
{
	guint64 len = (guint64)nlb * n->lba_size;
	guint pages = (guint)((len + PAGE - 1) / PAGE);
	g_autofree gchar *what = g_strdup_printf("%s of LBA %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
						 write ? "Write" : "Read", slba, slba + nlb - 1);
	guint64 prp2 = 0;
	Command c;

	if (nlb == 0 || nlb > 0x10000 || pages > DATA_PAGES || len > n->max_transfer ||
	    slba + nlb > n->nsze) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "%s: %u blocks of %u bytes: 1 to %u KiB (and MDTS) inside the namespace's "
			    "%" G_GUINT64_FORMAT " blocks only", what, nlb, n->lba_size,
			    DATA_PAGES * PAGE / 1024, n->nsze);
		return FALSE;
	}
	/* PRP1 the first data page; PRP2 the second, or a list of the rest */
	if (pages == 2) {
		prp2 = page_iova(n, PG_DATA + 1);
	} else if (pages > 2) {
		guint64 *list = (guint64 *)page_va(n, PG_PRP_LIST);
		for (guint i = 1; i < pages; i++)
			list[i - 1] = GUINT64_TO_LE(page_iova(n, PG_DATA + i));
		prp2 = page_iova(n, PG_PRP_LIST);
	}
	c = command(write ? NVM_WRITE : NVM_READ, n->nsid);
	command_set_prp(&c, page_iova(n, PG_DATA), prp2);
	c.dw[10] = (guint32)slba;
	c.dw[11] = (guint32)(slba >> 32);
	c.dw[12] = nlb - 1;
	return nvme_run(n, &n->io, &c, what, NULL, error);
}

static gboolean
nvme_read_blocks(Nvme *n, guint64 slba, guint nlb, guint8 *out, GError **error)
{
	guint8 *data = page_va(n, PG_DATA);
	memset(data, 0xa5, (gsize)nlb * n->lba_size); /* what a read that moved nothing leaves */
	if (!nvme_rw(n, FALSE, slba, nlb, error))
		return FALSE;
	memcpy(out, data, (gsize)nlb * n->lba_size);
	return TRUE;
}

static gboolean
nvme_write_blocks(Nvme *n, guint64 slba, guint nlb, const guint8 *in, GError **error)
{
	memcpy(page_va(n, PG_DATA), in, (gsize)nlb * n->lba_size);
	return nvme_rw(n, TRUE, slba, nlb, error);
}

static gboolean
compare(const guint8 *got, const guint8 *want, gsize len, guint lba_size, guint64 slba,
	const gchar *against, GError **error)
{
	for (gsize i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "LBA %" G_GUINT64_FORMAT " byte %zu reads 0x%02x, %s has 0x%02x",
				    slba + i / lba_size, i % lba_size, got[i], against, want[i]);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
nvme_exercise(Nvme *n, GMappedFile *image, GError **error)
{
	const guint8 *img = image ? (const guint8 *)g_mapped_file_get_contents(image) : NULL;
	guint nlb = (guint)opt_blocks;
	gsize len;
	g_autofree guint8 *orig = NULL, *pattern = NULL, *back = NULL;
	guint64 reads[3], w;
	guint32 seed;

	if (opt_blocks <= 0 || (guint64)opt_blocks > n->nsze) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--blocks %d: between 1 and the namespace's %" G_GUINT64_FORMAT " blocks",
			    opt_blocks, n->nsze);
		return FALSE;
	}
	len = (gsize)nlb * n->lba_size;
	if (image != NULL && g_mapped_file_get_length(image) != n->nsze * n->lba_size) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s is %zu bytes but namespace %u is %" G_GUINT64_FORMAT " bytes: it is "
			    "not this namespace's image", opt_image, g_mapped_file_get_length(image),
			    n->nsid, n->nsze * n->lba_size);
		return FALSE;
	}
	orig = g_malloc(len);
	pattern = g_malloc(len);
	back = g_malloc(len);

	/* reads at the start, the middle and the end, against the image */
	reads[0] = 0;
	reads[1] = n->nsze / 2;
	reads[2] = n->nsze - nlb;
	for (guint i = 0; i < G_N_ELEMENTS(reads); i++) {
		if (!nvme_read_blocks(n, reads[i], nlb, back, error))
			return FALSE;
		if (img != NULL &&
		    !compare(back, img + reads[i] * n->lba_size, len, n->lba_size, reads[i], opt_image,
			     error))
			return FALSE;
		g_print("read LBA %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ": %s\n", reads[i],
			reads[i] + nlb - 1, img ? "matches the image" : "ok");
	}

	/* write a pattern, read it back, write the original back, read that back */
	w = opt_write_lba >= 0 ? (guint64)opt_write_lba : n->nsze / 4;
	if (w + nlb > n->nsze) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--write-lba %" G_GUINT64_FORMAT ": %u blocks from there pass the "
			    "namespace's end (%" G_GUINT64_FORMAT " blocks)", w, nlb, n->nsze);
		return FALSE;
	}
	if (!nvme_read_blocks(n, w, nlb, orig, error))
		return FALSE;
	if (img != NULL && !compare(orig, img + w * n->lba_size, len, n->lba_size, w, opt_image, error))
		return FALSE;
	seed = g_random_int();
	for (gsize i = 0; i < len; i++)
		pattern[i] = (guint8)((i * 131 + seed) ^ (seed >> 8) ^ (i / n->lba_size));
	if (memcmp(pattern, orig, len) == 0)
		pattern[0] ^= 0xff;
	if (!nvme_write_blocks(n, w, nlb, pattern, error) || !nvme_read_blocks(n, w, nlb, back, error))
		return FALSE;
	if (!compare(back, pattern, len, n->lba_size, w, "the pattern written", error))
		return FALSE;
	g_print("wrote LBA %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ": a pattern, read back "
		"equal\n", w, w + nlb - 1);
	if (!nvme_write_blocks(n, w, nlb, orig, error) || !nvme_read_blocks(n, w, nlb, back, error))
		return FALSE;
	if (!compare(back, orig, len, n->lba_size, w, "the original", error) ||
	    (img != NULL && !compare(back, img + w * n->lba_size, len, n->lba_size, w, opt_image, error)))
		return FALSE;
	g_print("restored LBA %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ": %s\n", w, w + nlb - 1,
		img ? "matches the image" : "read back equal");
	return TRUE;
}

/* ---- shutdown -------------------------------------------------------------- */

/* Deletes the I/O queues, shuts the controller down and disables it. On
 * the error path too: a controller must stop DMA before its memory goes. */
static gboolean
nvme_shutdown(Nvme *n, GError **error)
{
	g_autoptr(GError) local = NULL;
	guint32 cc;

	if (!n->enabled)
		return TRUE;
	if (n->io.created) {
		Command c = command(ADM_DELETE_SQ, 0);
		c.dw[10] = n->io.qid;
		if (nvme_run(n, &n->admin, &c, "Delete I/O Submission Queue", NULL, &local)) {
			c = command(ADM_DELETE_CQ, 0);
			c.dw[10] = n->io.qid;
			nvme_run(n, &n->admin, &c, "Delete I/O Completion Queue", NULL, &local);
		}
		n->io.created = FALSE;
	}
	cc = rd32(n, REG_CC);
	wr32(n, REG_CC, (cc & ~CC_SHN_MASK) | CC_SHN_NORMAL);
	if (local == NULL)
		wait_csts(n, CSTS_SHST_MASK, CSTS_SHST_DONE, n->ready_ms, "shutting the controller down",
			  &local);
	/* disabled whatever happened above: no DMA after this (the first error wins) */
	nvme_disable(n, local == NULL ? &local : NULL);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

/* ---- what is left ------------------------------------------------------------ */

typedef struct {
	guint fds, eventfds, vfio_maps, vfio_irqs;
} Counts;

static void
count_resources(const gchar *bdf, Counts *c)
{
	g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
	g_autofree gchar *maps = NULL, *irqs = NULL;
	g_autofree gchar *tag = g_strdup_printf("(%s)", bdf);
	const gchar *name;

	memset(c, 0, sizeof(*c));
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename("/proc/self/fd", name, NULL);
		g_autofree gchar *target = g_file_read_link(path, NULL);
		c->fds++;
		if (target != NULL && strcmp(target, "anon_inode:[eventfd]") == 0)
			c->eventfds++;
	}
	if (g_file_get_contents("/proc/self/maps", &maps, NULL, NULL)) {
		g_auto(GStrv) lines = g_strsplit(maps, "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++)
			if (strstr(lines[i], "vfio") != NULL)
				c->vfio_maps++;
	}
	if (g_file_get_contents("/proc/interrupts", &irqs, NULL, NULL)) {
		g_auto(GStrv) lines = g_strsplit(irqs, "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++) {
			const gchar *v = strstr(lines[i], "vfio-");
			if (v != NULL && strstr(v, tag) != NULL)
				c->vfio_irqs++;
		}
	}
}

static void
print_counts(const gchar *when, const Counts *c)
{
	g_print("%s: %u fds, %u eventfds, %u VFIO mappings, %u VFIO interrupts\n", when, c->fds,
		c->eventfds, c->vfio_maps, c->vfio_irqs);
}

/* ---- main --------------------------------------------------------------- */

static gboolean
nvme_open(Nvme *n, const gchar *device, HiodBackendKind kind, GError **error)
{
	HiodPciDeviceInfo *info;
	HiodHostIommuDevice *hiod;
	g_autoptr(GPtrArray) ranges = NULL;
	HiodVfioIrqInfo irq;
	const guint64 size = (guint64)DMA_PAGES * PAGE;

	n->dev = hiod_vfio_device_new(n->ctx, device, error);
	if (n->dev == NULL)
		return FALSE;
	info = hiod_vfio_device_get_info(n->dev);
	/* PCI class 01 08 02: mass storage, non-volatile memory, NVM Express */
	if ((hiod_pci_device_info_get_class_code(info) >> 8) != 0x0108 ||
	    (hiod_pci_device_info_get_class_code(info) & 0xff) != 0x02) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "%s is class 0x%06x, not an NVMe controller (0x010802)", device,
			    hiod_pci_device_info_get_class_code(info));
		return FALSE;
	}
	n->as = hiod_address_space_new(n->ctx);
	n->container = hiod_address_space_attach_device(n->as, n->dev, kind, 0, error);
	if (n->container == NULL)
		return FALSE;
	g_print("device: %s (%04x:%04x), backend %s\n", hiod_vfio_device_get_name(n->dev),
		hiod_pci_device_info_get_vendor_id(info), hiod_pci_device_info_get_device_id(info),
		hiod_backend_kind_to_string(hiod_container_get_backend_kind(n->container)));

	n->bar = hiod_vfio_device_map_region(n->dev, 0, &n->bar_size, error);
	if (n->bar == NULL) {
		g_prefix_error(error, "mapping BAR0: ");
		return FALSE;
	}

	/* the DMA memory: one section at the lowest usable IOVA from 1 MiB */
	hiod = hiod_vfio_device_get_host_iommu_device(n->dev);
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod, error);
	if (ranges == NULL)
		return FALSE;
	n->iova = G_MAXUINT64;
	for (guint i = 0; i < ranges->len && n->iova == G_MAXUINT64; i++) {
		HiodIovaRange *r = g_ptr_array_index(ranges, i);
		guint64 start = MAX(r->start, 0x100000);
		start = (start + size - 1) & ~(size - 1);
		if (start >= r->start && start + size - 1 <= r->last && start + size > start)
			n->iova = start;
	}
	if (n->iova == G_MAXUINT64) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
			    "no usable IOVA range holds %" G_GUINT64_FORMAT " bytes above 1 MiB", size);
		return FALSE;
	}
	n->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (n->mem == MAP_FAILED) {
		n->mem = NULL;
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "no memory for %" G_GUINT64_FORMAT
			    " bytes of queues and buffers", size);
		return FALSE;
	}
	if (!hiod_address_space_add_section(n->as, n->iova, size, n->mem, HIOD_DMA_FLAGS_NONE, error))
		return FALSE;
	n->section = TRUE;
	g_print("DMA memory: %" G_GUINT64_FORMAT " KiB at IOVA 0x%" G_GINT64_MODIFIER "x\n",
		size / 1024, n->iova);

	if (!n->poll) {
		/* vector 0 for the admin queue, vector 1 (when there is one) for I/O */
		if (!hiod_vfio_device_get_irq_info(n->dev, HIOD_VFIO_IRQ_INDEX_MSIX, &irq, error))
			return FALSE;
		if (irq.count == 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
				    "%s has no MSI-X interrupt: run with --poll", device);
			return FALSE;
		}
		if (!hiod_vfio_device_enable_irq(n->dev, HIOD_VFIO_IRQ_INDEX_MSIX, MIN(irq.count, 2),
						 error))
			return FALSE;
		n->msix = irq.count >= 2;
		g_print("interrupts: MSI-X, %u of %u vectors\n", MIN(irq.count, 2), irq.count);
	}
	return hiod_vfio_device_set_bus_master(n->dev, TRUE, error);
}

/* releases what nvme_open() took, in the reverse order; idempotent */
static void
nvme_close(Nvme *n)
{
	if (n->dev != NULL && hiod_vfio_device_get_container(n->dev) != NULL) {
		hiod_vfio_device_set_bus_master(n->dev, FALSE, NULL);
		if (hiod_vfio_device_get_irq_enabled_count(n->dev, HIOD_VFIO_IRQ_INDEX_MSIX) > 0)
			hiod_vfio_device_disable_irq(n->dev, HIOD_VFIO_IRQ_INDEX_MSIX, NULL);
	}
	if (n->section)
		hiod_address_space_remove_section(n->as, n->iova, (guint64)DMA_PAGES * PAGE, NULL);
	n->section = FALSE;
	if (n->mem != NULL)
		munmap(n->mem, (gsize)DMA_PAGES * PAGE);
	n->mem = NULL;
	if (n->as != NULL && n->container != NULL)
		hiod_address_space_detach_device(n->as, n->dev); /* unmaps BAR0 */
	n->container = NULL;
	n->bar = NULL;
	g_clear_object(&n->as);
	g_clear_object(&n->dev);
}

int
main(int argc, char **argv)
{
	g_autoptr(GOptionContext) oc = g_option_context_new("DEVICE - a userspace NVMe driver on hiod");
	g_autoptr(GError) error = NULL;
	g_autoptr(GMappedFile) image = NULL;
	HiodBackendKind kind = HIOD_BACKEND_KIND_AUTO;
	Counts before = {0}, during = {0}, after = {0};
	Nvme n = {0};
	gboolean ok;

	g_option_context_add_main_entries(oc, option_entries, NULL);
	g_option_context_set_description(oc, "DEVICE is the PCI address of an NVMe controller bound "
					     "to vfio-pci, e.g. 0000:00:06.0.");
	if (!g_option_context_parse(oc, &argc, &argv, &error) ||
	    (opt_backend != NULL && !hiod_backend_kind_from_string(opt_backend, &kind, &error))) {
		g_printerr("hiod-nvme: %s\n", error->message);
		return 2;
	}
	if (argc != 2 || opt_timeout <= 0) {
		g_autofree gchar *help = g_option_context_get_help(oc, TRUE, NULL);
		g_printerr("%s", help);
		return 2;
	}
	if (opt_image != NULL) {
		image = g_mapped_file_new(opt_image, FALSE, &error);
		if (image == NULL) {
			g_printerr("hiod-nvme: %s\n", error->message);
			return 2;
		}
	}
	if (opt_check_release) {
		/* GLib's own wakeup eventfd exists before the first count */
		g_main_context_iteration(NULL, FALSE);
		count_resources(argv[1], &before);
		print_counts("before", &before);
	}

	n.ctx = hiod_context_new();
	n.poll = opt_poll;
	n.timeout_ms = opt_timeout;
	ok = nvme_open(&n, argv[1], kind, &error) && nvme_enable(&n, &error) &&
	     nvme_identify_all(&n, &error) && nvme_create_io_queues(&n, &error) &&
	     nvme_exercise(&n, image, &error);
	if (opt_check_release)
		count_resources(argv[1], &during);
	if (ok) {
		ok = nvme_shutdown(&n, &error);
		if (ok)
			g_print("shutdown: complete, controller disabled\n");
	} else if (n.bar != NULL) {
		nvme_shutdown(&n, NULL);
	}
	if (ok && !n.poll) {
		/* a completion found before the driver had to wait left its
		 * interrupt in the eventfd: count those too */
		for (guint v = 0; v <= n.io.vector; v++) {
			guint64 count = 0;
			if (hiod_vfio_device_wait_irq(n.dev, HIOD_VFIO_IRQ_INDEX_MSIX, v, 0, &count, NULL))
				n.interrupts[v] += count;
		}
		g_print("completions: %" G_GUINT64_FORMAT " interrupts (vector 0, admin: %"
			G_GUINT64_FORMAT "; vector %u, I/O: %" G_GUINT64_FORMAT ")\n",
			n.interrupts[0] + (n.msix ? n.interrupts[1] : 0), n.interrupts[0], n.io.vector,
			n.interrupts[n.io.vector]);
	}
	nvme_close(&n);
	if (ok && hiod_context_get_open_fd_count(n.ctx) != 0) {
		g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "hiod still holds %u fds after the release", hiod_context_get_open_fd_count(n.ctx));
		ok = FALSE;
	}
	g_clear_object(&n.ctx);
	if (opt_check_release) {
		count_resources(argv[1], &after);
		print_counts("while running", &during);
		print_counts("after release", &after);
		/* on the error path too: a failure must not leave anything either */
		if (after.fds != before.fds || after.eventfds != before.eventfds ||
		    after.vfio_maps != before.vfio_maps || after.vfio_irqs != before.vfio_irqs) {
			g_printerr("hiod-nvme: the release left something behind (see the counts)\n");
			if (ok)
				g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED,
					    "the release was incomplete");
			ok = FALSE;
		}
	}
	if (!ok) {
		g_printerr("hiod-nvme: %s\n", error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

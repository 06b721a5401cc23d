/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the unit tests: a fake kernel behind the chokepoint and
 * a fake sysfs/dev tree. */
#pragma once

#include "hiod.h"
#include "hiod-kernel-private.h"

G_BEGIN_DECLS

/* A temporary directory tree that stands for /sys and /dev. */
typedef struct {
	gchar *root;
	gchar *sys;
	gchar *dev;
} HiodTestTree;

HiodTestTree *hiod_test_tree_new(void);
void hiod_test_tree_free(HiodTestTree *t);
/* Writes @contents to sys/@path, making directories. */
void hiod_test_tree_write(HiodTestTree *t, const gchar *path, const gchar *contents);
/* Makes sys/@path a symlink to @target. */
void hiod_test_tree_link(HiodTestTree *t, const gchar *path, const gchar *target);
/* Makes dev/@path an empty file. */
void hiod_test_tree_touch_dev(HiodTestTree *t, const gchar *path);
/* A PCI device in the tree: vendor, device, class, optional driver and group. */
void hiod_test_tree_add_pci(HiodTestTree *t, const gchar *bdf, guint16 vendor, guint16 device,
			    guint32 klass, const gchar *driver, gint group, const gchar *cdev);
HiodContext *hiod_test_tree_context(HiodTestTree *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodTestTree, hiod_test_tree_free)

G_END_DECLS

G_BEGIN_DECLS

/* A fake kernel for every backend (VFIO type1 and sPAPR containers, groups,
 * devices; VFIO cdevs and iommufd; vhost-vdpa) that answers like a small,
 * healthy host: one device 0000:00:04.0 in group 3 (cdev vfio0), an Intel
 * VT-d behind iommufd, a vdpa device. The @reply hook, when set, answers
 * every ioctl instead (usually by calling hiod_test_kernel_default_ioctl()
 * and rewriting the reply): that is how the kernel-reply regression tests
 * and the fuzz harnesses play a misbehaving kernel. */
typedef enum {
	HIOD_TEST_FD_CONTAINER = 1,
	HIOD_TEST_FD_GROUP,
	HIOD_TEST_FD_DEVICE, /* a group's device, or a VFIO cdev */
	HIOD_TEST_FD_IOMMUFD,
	HIOD_TEST_FD_VDPA,
	HIOD_TEST_FD_EVENTFD, /* a real eventfd the test can signal */
	HIOD_TEST_FD_OTHER,   /* any other node (an open hook's): ENOTTY to every ioctl */
	HIOD_TEST_FD_FILE,    /* a file of the test's tree (an open hook's): opened for real */
} HiodTestFdKind;

/* One fd of the fake kernel. */
typedef struct {
	gint fd;
	HiodTestFdKind kind;
	gchar *path;	/* the node opened; NULL for an fd an ioctl or the test made */
	gboolean real;	/* a real fd (an eventfd, an adopted one): read, written and closed for real;
			 * an eventfd is not duplicated (EBADF) */
	gpointer data;	/* the test's own state for the fd, freed with the kernel's fd_data_free */
} HiodTestFd;

/* The hooks a test sets to play its own kernel; all get the kernel's
 * reply_data and run with the kernel's lock held (a hook must not call
 * through the chokepoint). */
/* Returns the ioctl's result (-1 with errno set to fail). The fd it is made
 * on: hiod_test_kernel_current_fd(). */
typedef int (*HiodTestReplyFunc)(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg);
/* Classifies an open of @path: the kind of the new fd, 0 for the default
 * (by the node's name), or -1 with errno set to refuse it. */
typedef int (*HiodTestOpenFunc)(gpointer data, const gchar *path, gint flags);
/* Called just before @fd is closed (the fd is still in the table). */
typedef void (*HiodTestCloseFunc)(gpointer data, HiodTestFd *fd);
/* read(2) and write(2) on a fd (-1 with errno set to fail). */
typedef gssize (*HiodTestReadFunc)(gpointer data, HiodTestFd *fd, gpointer buf, gsize len);
typedef gssize (*HiodTestWriteFunc)(gpointer data, HiodTestFd *fd, gconstpointer buf, gsize len);
/* pread(2) on a fd (-1 with errno set to fail). */
typedef gssize (*HiodTestPreadFunc)(gpointer data, HiodTestFd *fd, gpointer buf, gsize len, goffset offset);

typedef struct {
	gboolean spapr;	     /* the container offers sPAPR TCE v2/v1 instead of type1 */
	gboolean no_reset;   /* the device's GET_INFO offers no VFIO_DEVICE_RESET */
	HiodTestReplyFunc reply;
	gpointer reply_data; /* every hook's data */
	HiodTestOpenFunc open_hook;
	HiodTestCloseFunc close_hook;
	HiodTestReadFunc read_hook;   /* NULL: real fds read for real, others EAGAIN */
	HiodTestWriteFunc write_hook; /* NULL: real fds written for real, others take it all */
	HiodTestPreadFunc pread_hook; /* NULL: zeros, all that was asked */
	GDestroyNotify fd_data_free;  /* frees a HiodTestFd's data on close */
	/* read back by tests */
	guint open_fds;
	guint n_ioctls;
	guint n_opens;	 /* opens that made an fd */
	GHashTable *fds; /* fd -> HiodTestFd (take the lock if other threads run) */
	/* the device's interrupts, as vfio-pci keeps them: INTx (1 vector,
	 * maskable, automasked), MSI (1, noresize), MSI-X (msix_count, 4 by
	 * default), ERR and REQ (1 each); one of INTx/MSI/MSI-X at a time */
	guint msix_count;
	gboolean conventional_pci; /* not PCIe: GET_IRQ_INFO(ERR) is EINVAL, as vfio-pci answers */
	gint irq_type;		/* -1: none, else the enabled index 0..2 */
	gint triggers[5][8];	/* eventfd per vector, -1: none */
	guint irq_vectors[5];	/* enabled vectors per index */
	gboolean intx_masked;
	gint intx_unmask_fd;	/* -1: none */
	guint n_triggers;	/* eventfds the kernel holds now (read by tests) */
	/* private */
	GMutex lock; /* every call through the ops: the fake kernel is thread-safe */
	HiodTestFd *current;
	gint next_fd;
	guint32 next_id;
	guint n_windows;
} HiodTestKernel;

/* Installs the fake kernel behind @ctx (which must outlive it). */
HiodTestKernel *hiod_test_kernel_new(HiodContext *ctx);
/* Puts the same fake kernel behind another context too. */
void hiod_test_kernel_install(HiodTestKernel *k, HiodContext *ctx);
void hiod_test_kernel_free(HiodTestKernel *k);
/* The healthy host's answer (-1 with errno set to fail). */
int hiod_test_kernel_default_ioctl(HiodTestKernel *k, HiodTestFdKind kind, gulong request, gpointer arg);
/* In a reply hook: the fd the ioctl is made on. */
HiodTestFd *hiod_test_kernel_current_fd(HiodTestKernel *k);
/* The fd @fd, or NULL. */
HiodTestFd *hiod_test_kernel_lookup_fd(HiodTestKernel *k, gint fd);
/* A new fake fd of @kind, as an ioctl hands out (VFIO_GROUP_GET_DEVICE_FD):
 * counted in open_fds; from a hook, or while no other thread runs. */
HiodTestFd *hiod_test_kernel_add_fd(HiodTestKernel *k, HiodTestFdKind kind);
/* The same for a real fd (a pipe end, say), closed for real with it; a dup
 * of it is a fake fd of its kind. */
HiodTestFd *hiod_test_kernel_adopt_fd(HiodTestKernel *k, gint fd, HiodTestFdKind kind);
/* Drops @fd from the table without closing it (the test closes its own fd). */
void hiod_test_kernel_forget_fd(HiodTestKernel *k, gint fd);
/* The fds of @kind open now. */
guint hiod_test_kernel_count_fds(HiodTestKernel *k, HiodTestFdKind kind);
/* The sysfs/dev tree the fake kernel's devices need: 0000:00:04.0 (vfio-pci,
 * group 3, cdev vfio0), /dev/iommu, /dev/vfio/vfio, vdpa0 (vhost-vdpa-0). */
void hiod_test_tree_add_fake_kernel_devices(HiodTestTree *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodTestKernel, hiod_test_kernel_free)

G_END_DECLS

G_BEGIN_DECLS

/* The fault walk: runs an operation again and again with its 1st, 2nd, 3rd,
 * ... chokepoint call failing (hiod_context_inject_fault_nth()), until a run
 * makes fewer calls than that and so meets no fault; that last run must
 * succeed. After each run that met its fault, the test checks that the
 * failure is clean: an error that says why, nothing left behind.
 *
 *	HiodTestFaultWalk w;
 *	for (hiod_test_fault_walk_init(&w, ctx, EIO); hiod_test_fault_walk_next(&w);) {
 *		ok = the_operation(..., &error);
 *		if (hiod_test_fault_walk_done(&w, ok))
 *			break;
 *		... assert the failed run (call w.n) left nothing ...
 *	}
 *	w.n - 1: the calls the operation makes; w.faults: the runs that met one.
 *
 * Faults are cleared after each run (and before the checks); a run's own
 * objects live in the loop body, so each run starts afresh. */
typedef struct {
	HiodContext *ctx;
	gint errnum;
	guint n;      /* the run's failing call: 1, 2, ... */
	guint faults; /* runs that met their fault so far */
} HiodTestFaultWalk;

void hiod_test_fault_walk_init(HiodTestFaultWalk *w, HiodContext *ctx, gint errnum);
/* The next run: clears the faults and arms call w->n + 1. Always TRUE (a walk
 * longer than 1000 calls is a failed assertion). */
gboolean hiod_test_fault_walk_next(HiodTestFaultWalk *w);
/* Counts the run's calls from here: for a run that first makes objects whose
 * own calls the walk is not about. */
void hiod_test_fault_walk_rearm(HiodTestFaultWalk *w);
/* After the run: TRUE when it met no fault (the walk is over; @ok must be
 * TRUE), FALSE when it did (the test checks the failure). Clears the faults. */
gboolean hiod_test_fault_walk_done(HiodTestFaultWalk *w, gboolean ok);

G_END_DECLS

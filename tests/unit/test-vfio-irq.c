/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interrupts of a HiodVfioDevice (issue 13) against the shared fake kernel,
 * which keeps vfio-pci's rules: IRQ info per index, SET_IRQS with eventfds
 * for INTx (mask, unmask, resample), MSI, MSI-X (enable, change or remove
 * one vector, disable), ERR and REQ; refusals that name the index and
 * count; fault injection at every call with nothing left behind (no
 * eventfd, no trigger the kernel holds); the GSource that follows a vector.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodTestKernel *k;
	HiodContainer *container;
	HiodVfioDevice *dev;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HiodBackendKind kind = GPOINTER_TO_INT(data);

	f->tree = hiod_test_tree_new();
	hiod_test_tree_add_fake_kernel_devices(f->tree);
	f->ctx = hiod_test_tree_context(f->tree);
	f->k = hiod_test_kernel_new(f->ctx);
	f->dev = hiod_vfio_device_new(f->ctx, "0000:00:04.0", &error);
	g_assert_no_error(error);
	f->container = hiod_container_new(f->ctx, kind, f->dev, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_vfio_device_attach(f->dev, f->container, 0, &error));
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->dev);
	g_clear_object(&f->container);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(f->k->open_fds, ==, 0);
	g_assert_cmpuint(f->k->n_triggers, ==, 0);
	g_clear_object(&f->ctx);
	hiod_test_kernel_free(f->k);
	hiod_test_tree_free(f->tree);
}

static void
test_info(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) loose = NULL;
	HiodVfioIrqInfo info;
	static const guint counts[] = {1, 1, 4, 1, 1};

	g_assert_cmpuint(hiod_vfio_device_get_num_irqs(f->dev), ==, 5);
	for (guint i = 0; i < 5; i++) {
		g_assert_true(hiod_vfio_device_get_irq_info(f->dev, i, &info, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(info.index, ==, i);
		g_assert_cmpuint(info.count, ==, counts[i]);
		g_assert_true(info.flags & HIOD_VFIO_IRQ_INFO_FLAGS_EVENTFD);
	}
	g_assert_true(hiod_vfio_device_get_irq_info(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, &info, NULL));
	g_assert_cmphex(info.flags, ==, 0x7);
	g_assert_false(hiod_vfio_device_get_irq_info(f->dev, 5, &info, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "has 5 IRQ indexes, no index 5"));
	g_clear_error(&error);
	g_assert_cmpstr(hiod_vfio_irq_index_to_string(HIOD_VFIO_IRQ_INDEX_MSIX), ==, "MSI-X");
	/* a conventional PCI device: vfio-pci refuses the ERR index; hiod says 0 vectors */
	f->k->conventional_pci = TRUE;
	g_assert_true(hiod_vfio_device_get_irq_info(f->dev, HIOD_VFIO_IRQ_INDEX_ERR, &info, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(info.count, ==, 0);
	g_assert_false(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_ERR, 1, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "has no ERR interrupt"));
	g_clear_error(&error);
	/* other kernel errors stay errors */
	hiod_context_inject_fault_match(f->ctx, "VFIO_DEVICE_GET_IRQ_INFO", EIO, 1);
	g_assert_false(hiod_vfio_device_get_irq_info(f->dev, HIOD_VFIO_IRQ_INDEX_MSI, &info, &error));
	g_assert_nonnull(strstr(error->message, "MSI IRQ info: VFIO_DEVICE_GET_IRQ_INFO"));
	g_clear_error(&error);
	/* a device that is not attached has no fd to ask */
	loose = hiod_vfio_device_new(f->ctx, "0000:00:04.0", &error);
	g_assert_no_error(error);
	g_assert_false(hiod_vfio_device_get_irq_info(loose, 0, &info, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	g_assert_false(hiod_vfio_device_enable_irq(loose, HIOD_VFIO_IRQ_INDEX_MSI, 1, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
}

static void
test_msix_vectors(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint fds0 = hiod_context_get_open_fd_count(f->ctx);
	gint fd[4], changed;

	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 4, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_vfio_device_get_irq_enabled_count(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX), ==, 4);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0 + 4);
	g_assert_cmpuint(f->k->n_triggers, ==, 4);
	for (guint v = 0; v < 4; v++) {
		fd[v] = hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, v);
		g_assert_cmpint(fd[v], >=, 0);
		g_assert_cmpint(f->k->triggers[HIOD_VFIO_PCI_MSIX_IRQ_INDEX][v], ==, fd[v]);
	}
	g_assert_cmpint(hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 4), ==, -1);
	/* change vector 2: a new eventfd there, the others stay */
	g_assert_true(hiod_vfio_device_set_irq_vector(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 2, TRUE, &error));
	g_assert_no_error(error);
	changed = hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 2);
	g_assert_cmpint(changed, >=, 0);
	g_assert_cmpint(f->k->triggers[HIOD_VFIO_PCI_MSIX_IRQ_INDEX][2], ==, changed);
	for (guint v = 0; v < 4; v++)
		if (v != 2)
			g_assert_cmpint(f->k->triggers[HIOD_VFIO_PCI_MSIX_IRQ_INDEX][v], ==, fd[v]);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0 + 4);
	/* remove vector 1: its trigger and eventfd go, the index stays enabled */
	g_assert_true(hiod_vfio_device_set_irq_vector(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1, FALSE, &error));
	g_assert_no_error(error);
	g_assert_cmpint(hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1), ==, -1);
	g_assert_cmpint(f->k->triggers[HIOD_VFIO_PCI_MSIX_IRQ_INDEX][1], ==, -1);
	g_assert_cmpuint(f->k->n_triggers, ==, 3);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0 + 3);
	g_assert_cmpuint(hiod_vfio_device_get_irq_enabled_count(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX), ==, 4);
	/* and back */
	g_assert_true(hiod_vfio_device_set_irq_vector(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1, TRUE, &error));
	g_assert_cmpuint(f->k->n_triggers, ==, 4);
	/* disable: nothing left */
	g_assert_true(hiod_vfio_device_disable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k->n_triggers, ==, 0);
	g_assert_cmpint(f->k->irq_type, ==, -1);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0);
	g_assert_cmpuint(hiod_vfio_device_get_irq_enabled_count(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX), ==, 0);
	/* disabling again does nothing */
	g_assert_true(hiod_vfio_device_disable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, &error));
	/* ERR and REQ beside MSI */
	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSI, 1, &error));
	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_ERR, 1, &error));
	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_REQ, 1, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->k->n_triggers, ==, 3);
	g_assert_true(hiod_vfio_device_disable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_ERR, &error));
	g_assert_cmpuint(f->k->n_triggers, ==, 2);
	/* the rest goes at release (teardown checks) */
}

static void
test_refusals(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint fds0 = hiod_context_get_open_fd_count(f->ctx);
	guint64 ioctls;

#define REFUSED(call, code, words)                                                                 \
	do {                                                                                       \
		g_assert_false(call);                                                              \
		g_assert_error(error, HIOD_ERROR, code);                                           \
		if (strstr(error->message, words) == NULL)                                         \
			g_error("'%s' does not say '%s'", error->message, words);                  \
		g_clear_error(&error);                                                             \
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0 + extra);        \
	} while (0)
	guint extra = 0;
	ioctls = f->k->n_ioctls;
	REFUSED(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 5, &error),
		HIOD_ERROR_INVALID_ARGUMENT, "has 4 MSI-X vectors, so 5 cannot be enabled");
	REFUSED(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 0, &error),
		HIOD_ERROR_INVALID_ARGUMENT, "so 0 cannot be enabled (1 to 4)");
	REFUSED(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSI, 2, &error),
		HIOD_ERROR_INVALID_ARGUMENT, "has 1 MSI vector, so 2");
	REFUSED(hiod_vfio_device_enable_irq(f->dev, 7, 1, &error), HIOD_ERROR_NOT_FOUND, "no index 7");
	/* only GET_IRQ_INFO reached the kernel */
	g_assert_cmpuint(f->k->n_ioctls, ==, ioctls + 3);
	REFUSED(hiod_vfio_device_set_irq_vector(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 0, TRUE, &error),
		HIOD_ERROR_INVALID_STATE, "MSI-X is not enabled");
	REFUSED(hiod_vfio_device_mask_irq(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, &error),
		HIOD_ERROR_INVALID_STATE, "INTx is not enabled");
	REFUSED(hiod_vfio_device_enable_irq_resample(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, &error) >= 0,
		HIOD_ERROR_INVALID_STATE, "enable it before its resample eventfd");
	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 2, &error));
	g_assert_no_error(error);
	extra = 2;
	REFUSED(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 2, &error),
		HIOD_ERROR_INVALID_STATE, "already has 2 vectors enabled");
	REFUSED(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, 1, &error),
		HIOD_ERROR_INVALID_STATE, "one of INTx, MSI and MSI-X at a time, so disable MSI-X");
	REFUSED(hiod_vfio_device_set_irq_vector(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 2, TRUE, &error),
		HIOD_ERROR_INVALID_ARGUMENT, "has 2 vectors enabled, no vector 2");
	REFUSED(hiod_vfio_device_mask_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, &error),
		HIOD_ERROR_NOT_SUPPORTED, "cannot be masked");
	REFUSED(hiod_vfio_device_enable_irq_resample(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, &error) >= 0,
		HIOD_ERROR_NOT_SUPPORTED, "not level-triggered");
	REFUSED(hiod_vfio_device_wait_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1, 0, NULL, &error),
		HIOD_ERROR_TIMED_OUT, "vector 1 did not fire within 0 ms");
	g_assert_cmpuint(f->k->n_triggers, ==, 2);
	g_assert_true(hiod_vfio_device_disable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, &error));
	extra = 0;
	/* a device without MSI-X */
	f->k->msix_count = 0;
	REFUSED(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1, &error),
		HIOD_ERROR_INVALID_ARGUMENT, "has no MSI-X interrupt");
	/* the kernel's own refusal keeps its words and leaves nothing */
	f->k->msix_count = 4;
	hiod_context_inject_fault_match(f->ctx, "VFIO_DEVICE_SET_IRQS", EINVAL, 1);
	REFUSED(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 3, &error),
		HIOD_ERROR_INVALID_ARGUMENT, "MSI-X vectors 0..2: VFIO_DEVICE_SET_IRQS: Invalid argument");
	g_assert_cmpuint(f->k->n_triggers, ==, 0);
#undef REFUSED
}

static void
test_intx(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gint resample;

	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, 1, &error));
	g_assert_no_error(error);
	g_assert_cmpint(f->k->irq_type, ==, HIOD_VFIO_PCI_INTX_IRQ_INDEX);
	g_assert_true(hiod_vfio_device_mask_irq(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, &error));
	g_assert_true(f->k->intx_masked);
	g_assert_true(hiod_vfio_device_unmask_irq(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, &error));
	g_assert_no_error(error);
	g_assert_false(f->k->intx_masked);
	resample = hiod_vfio_device_enable_irq_resample(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, &error);
	g_assert_no_error(error);
	g_assert_cmpint(resample, >=, 0);
	g_assert_cmpint(f->k->intx_unmask_fd, ==, resample);
	g_assert_cmpint(hiod_vfio_device_enable_irq_resample(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, NULL), ==, resample);
	g_assert_cmpuint(f->k->n_triggers, ==, 2);
	/* MSI while INTx is on is refused by hiod before the kernel */
	g_assert_false(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSI, 1, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	g_assert_true(hiod_vfio_device_disable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, &error));
	g_assert_cmpuint(f->k->n_triggers, ==, 0);
	g_assert_cmpint(f->k->intx_unmask_fd, ==, -1);
	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSI, 1, &error));
	g_assert_no_error(error);
}

/* every call of each operation fails in turn: nothing is left, then it works */
static void
test_fault_injection(Fixture *f, gconstpointer data)
{
	guint fds0 = hiod_context_get_open_fd_count(f->ctx);
	HiodTestFaultWalk w;
	gint before;

	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		gboolean ok = hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 4, &error);
		if (hiod_test_fault_walk_done(&w, ok))
			break;
		g_assert_false(ok);
		g_assert_nonnull(error);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0);
		g_assert_cmpuint(f->k->n_triggers, ==, 0);
		g_assert_cmpuint(hiod_vfio_device_get_irq_enabled_count(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX), ==, 0);
	}
	g_assert_cmpuint(w.faults, ==, 6); /* info, 4 eventfds, set */
	before = hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 3);
	/* the vector's 2 calls (eventfd, set), each failing in turn */
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); w.n < 2 && hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		gboolean ok = hiod_vfio_device_set_irq_vector(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 3, TRUE, &error);
		g_assert_false(hiod_test_fault_walk_done(&w, ok));
		g_assert_false(ok);
		g_assert_nonnull(error);
		/* the vector is as it was */
		g_assert_cmpint(hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 3), ==, before);
		g_assert_cmpint(f->k->triggers[HIOD_VFIO_PCI_MSIX_IRQ_INDEX][3], ==, before);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0 + 4);
	}
	/* a refused disable keeps the eventfds the kernel may still signal */
	hiod_context_inject_fault_match(f->ctx, "VFIO_DEVICE_SET_IRQS", EIO, 1);
	g_assert_false(hiod_vfio_device_disable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, NULL));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0 + 4);
	g_assert_true(hiod_vfio_device_disable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, NULL));
	/* INTx's resample eventfd */
	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, 1, NULL));
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); w.n < 3 && hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		gint fd = hiod_vfio_device_enable_irq_resample(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, &error);
		g_assert_false(hiod_test_fault_walk_done(&w, fd >= 0));
		g_assert_cmpint(fd, ==, -1);
		g_assert_nonnull(error);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, fds0 + 1);
		g_assert_cmpuint(f->k->n_triggers, ==, 1);
	}
	/* the release after a failed SET_IRQS on teardown still closes everything */
	g_assert_cmpint(hiod_vfio_device_enable_irq_resample(f->dev, HIOD_VFIO_IRQ_INDEX_INTX, NULL), >=, 0);
	hiod_context_inject_fault_match(f->ctx, "VFIO_DEVICE_SET_IRQS", EIO, 0);
	hiod_vfio_device_detach(f->dev);
	hiod_context_clear_faults(f->ctx);
	g_assert_cmpuint(hiod_vfio_device_get_irq_enabled_count(f->dev, HIOD_VFIO_IRQ_INDEX_INTX), ==, 0);
}

typedef struct {
	guint calls;
	guint vector;
	guint64 count;
	gboolean freed;
} Seen;

static gboolean
on_irq(HiodVfioDevice *device, guint index, guint vector, guint64 count, gpointer user_data)
{
	Seen *seen = user_data;
	g_assert_cmpuint(index, ==, HIOD_VFIO_IRQ_INDEX_MSIX);
	seen->calls++;
	seen->vector = vector;
	seen->count = count;
	return G_SOURCE_CONTINUE;
}

static void
seen_free(gpointer data)
{
	((Seen *)data)->freed = TRUE;
}

static void
iterate(void)
{
	for (guint i = 0; i < 10 && g_main_context_iteration(NULL, FALSE); i++)
		;
}

static void
test_source(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	Seen seen = {0};
	guint64 count = 0;
	guint id;

	g_assert_true(hiod_vfio_device_enable_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 2, &error));
	id = hiod_vfio_device_add_irq_watch(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1, on_irq, &seen, seen_free,
					    &error);
	g_assert_no_error(error);
	g_assert_cmpuint(id, >, 0);
	iterate();
	g_assert_cmpuint(seen.calls, ==, 0);
	/* the "device" fires vector 1 three times */
	g_assert_cmpint(eventfd_write(hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1), 3), ==, 0);
	iterate();
	g_assert_cmpuint(seen.calls, ==, 1);
	g_assert_cmpuint(seen.vector, ==, 1);
	g_assert_cmpuint(seen.count, ==, 3);
	/* the watch follows the vector to its new eventfd */
	g_assert_true(hiod_vfio_device_set_irq_vector(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1, TRUE, &error));
	g_assert_cmpint(eventfd_write(hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1), 1), ==, 0);
	iterate();
	g_assert_cmpuint(seen.calls, ==, 2);
	g_assert_cmpuint(seen.count, ==, 1);
	/* wait_irq on vector 0 */
	g_assert_cmpint(eventfd_write(hiod_vfio_device_get_irq_fd(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 0), 2), ==, 0);
	g_assert_true(hiod_vfio_device_wait_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 0, 1000, &count, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(count, ==, 2);
	g_assert_false(hiod_vfio_device_wait_irq(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 0, 10, &count, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_TIMED_OUT);
	g_clear_error(&error);
	/* removing the vector ends the watch */
	g_assert_false(seen.freed);
	g_assert_true(hiod_vfio_device_set_irq_vector(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1, FALSE, &error));
	g_assert_true(seen.freed);
	g_assert_null(g_main_context_find_source_by_id(NULL, id));
	g_assert_cmpuint(hiod_vfio_device_add_irq_watch(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 1, on_irq, &seen,
							NULL, &error), ==, 0);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	/* a watch on vector 0 ends at release */
	seen.freed = FALSE;
	id = hiod_vfio_device_add_irq_watch(f->dev, HIOD_VFIO_IRQ_INDEX_MSIX, 0, on_irq, &seen, seen_free,
					    &error);
	g_assert_cmpuint(id, >, 0);
	hiod_vfio_device_detach(f->dev);
	g_assert_true(seen.freed);
	iterate();
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                                              \
	do {                                                                                       \
		g_test_add("/hiod/vfio-irq/legacy/" path, Fixture,                                 \
			   GINT_TO_POINTER(HIOD_BACKEND_KIND_LEGACY), fixture_setup, fn,           \
			   fixture_teardown);                                                      \
		g_test_add("/hiod/vfio-irq/iommufd/" path, Fixture,                                \
			   GINT_TO_POINTER(HIOD_BACKEND_KIND_IOMMUFD), fixture_setup, fn,          \
			   fixture_teardown);                                                      \
	} while (0)
	ADD("info", test_info);
	ADD("msix-vectors", test_msix_vectors);
	ADD("refusals", test_refusals);
	ADD("intx", test_intx);
	ADD("fault-injection", test_fault_injection);
	ADD("source", test_source);
	return g_test_run();
}

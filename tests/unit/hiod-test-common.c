/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

HiodTestTree *
hiod_test_tree_new(void)
{
	HiodTestTree *t = g_new0(HiodTestTree, 1);
	g_autoptr(GError) error = NULL;
	t->root = g_dir_make_tmp("hiod-test-XXXXXX", &error);
	g_assert_no_error(error);
	t->sys = g_build_filename(t->root, "sys", NULL);
	t->dev = g_build_filename(t->root, "dev", NULL);
	g_mkdir_with_parents(t->sys, 0755);
	g_mkdir_with_parents(t->dev, 0755);
	return t;
}

static void
rm_rf(const gchar *path)
{
	g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
	const gchar *name;
	if (d != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
				rm_rf(child);
			else
				g_unlink(child);
		}
	}
	g_rmdir(path);
}

void
hiod_test_tree_free(HiodTestTree *t)
{
	rm_rf(t->root);
	g_free(t->root);
	g_free(t->sys);
	g_free(t->dev);
	g_free(t);
}

void
hiod_test_tree_write(HiodTestTree *t, const gchar *path, const gchar *contents)
{
	g_autofree gchar *full = g_build_filename(t->sys, path, NULL);
	g_autofree gchar *dir = g_path_get_dirname(full);
	g_autoptr(GError) error = NULL;
	g_mkdir_with_parents(dir, 0755);
	g_file_set_contents(full, contents, -1, &error);
	g_assert_no_error(error);
}

void
hiod_test_tree_link(HiodTestTree *t, const gchar *path, const gchar *target)
{
	g_autofree gchar *full = g_build_filename(t->sys, path, NULL);
	g_autofree gchar *dir = g_path_get_dirname(full);
	g_mkdir_with_parents(dir, 0755);
	g_assert_cmpint(symlink(target, full), ==, 0);
}

void
hiod_test_tree_touch_dev(HiodTestTree *t, const gchar *path)
{
	g_autofree gchar *full = g_build_filename(t->dev, path, NULL);
	g_autofree gchar *dir = g_path_get_dirname(full);
	g_autoptr(GError) error = NULL;
	g_mkdir_with_parents(dir, 0755);
	g_file_set_contents(full, "", 0, &error);
	g_assert_no_error(error);
}

void
hiod_test_tree_add_pci(HiodTestTree *t, const gchar *bdf, guint16 vendor, guint16 device,
		       guint32 klass, const gchar *driver, gint group, const gchar *cdev)
{
	g_autofree gchar *base = g_build_filename("bus", "pci", "devices", bdf, NULL);
	g_autofree gchar *p = NULL;
	g_autofree gchar *v = g_strdup_printf("0x%04x\n", vendor);
	g_autofree gchar *d = g_strdup_printf("0x%04x\n", device);
	g_autofree gchar *c = g_strdup_printf("0x%06x\n", klass);

	p = g_build_filename(base, "vendor", NULL);
	hiod_test_tree_write(t, p, v);
	g_clear_pointer(&p, g_free);
	p = g_build_filename(base, "device", NULL);
	hiod_test_tree_write(t, p, d);
	g_clear_pointer(&p, g_free);
	p = g_build_filename(base, "class", NULL);
	hiod_test_tree_write(t, p, c);
	g_clear_pointer(&p, g_free);
	if (driver != NULL) {
		g_autofree gchar *target = g_strdup_printf("../../../bus/pci/drivers/%s", driver);
		p = g_build_filename(base, "driver", NULL);
		hiod_test_tree_link(t, p, target);
		g_clear_pointer(&p, g_free);
	}
	if (group >= 0) {
		g_autofree gchar *target = g_strdup_printf("../../../kernel/iommu_groups/%d", group);
		g_autofree gchar *node = g_strdup_printf("vfio/%d", group);
		p = g_build_filename(base, "iommu_group", NULL);
		hiod_test_tree_link(t, p, target);
		g_clear_pointer(&p, g_free);
		if (g_strcmp0(driver, "vfio-pci") == 0)
			hiod_test_tree_touch_dev(t, node);
	}
	if (cdev != NULL) {
		p = g_build_filename(base, "vfio-dev", cdev, "dev", NULL);
		hiod_test_tree_write(t, p, "511:0\n");
		g_clear_pointer(&p, g_free);
	}
}

HiodContext *
hiod_test_tree_context(HiodTestTree *t)
{
	return hiod_context_new_with_roots(t->sys, t->dev);
}

/* the fake kernel for every backend ------------------------------------------------ */

static int
tk_fail(int errnum)
{
	errno = errnum;
	return -1;
}

static HiodTestFd *
tk_insert(HiodTestKernel *k, gint fd, HiodTestFdKind kind, const gchar *path, gboolean real)
{
	HiodTestFd *f = g_new0(HiodTestFd, 1);
	g_assert_false(g_hash_table_contains(k->fds, GINT_TO_POINTER(fd)));
	f->fd = fd;
	f->kind = kind;
	f->path = g_strdup(path);
	f->real = real;
	g_hash_table_insert(k->fds, GINT_TO_POINTER(fd), f);
	k->open_fds++;
	return f;
}

HiodTestFd *
hiod_test_kernel_add_fd(HiodTestKernel *k, HiodTestFdKind kind)
{
	return tk_insert(k, k->next_fd++, kind, NULL, FALSE);
}

HiodTestFd *
hiod_test_kernel_adopt_fd(HiodTestKernel *k, gint fd, HiodTestFdKind kind)
{
	return tk_insert(k, fd, kind, NULL, TRUE);
}

void
hiod_test_kernel_forget_fd(HiodTestKernel *k, gint fd)
{
	HiodTestFd *f = hiod_test_kernel_lookup_fd(k, fd);
	g_assert_nonnull(f);
	if (f->data != NULL && k->fd_data_free != NULL)
		k->fd_data_free(f->data);
	g_hash_table_remove(k->fds, GINT_TO_POINTER(fd));
	k->open_fds--;
}

HiodTestFd *
hiod_test_kernel_lookup_fd(HiodTestKernel *k, gint fd)
{
	return g_hash_table_lookup(k->fds, GINT_TO_POINTER(fd));
}

HiodTestFd *
hiod_test_kernel_current_fd(HiodTestKernel *k)
{
	g_assert_nonnull(k->current);
	return k->current;
}

guint
hiod_test_kernel_count_fds(HiodTestKernel *k, HiodTestFdKind kind)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;
	g_hash_table_iter_init(&it, k->fds);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((HiodTestFd *)v)->kind == kind;
	return n;
}

static void
tk_fd_free(gpointer data)
{
	HiodTestFd *f = data;
	g_free(f->path);
	g_free(f);
}

static int
tk_open(gpointer data, const char *path, int flags)
{
	HiodTestKernel *k = data;
	g_autofree gchar *base = g_path_get_basename(path);
	gint kind = 0;
	gint fd = -1;

	g_mutex_lock(&k->lock);
	if (k->open_hook != NULL)
		kind = k->open_hook(k->reply_data, path, flags);
	if (kind == 0) {
		if (g_strcmp0(base, "vfio") == 0)
			kind = HIOD_TEST_FD_CONTAINER;
		else if (g_strcmp0(base, "iommu") == 0)
			kind = HIOD_TEST_FD_IOMMUFD;
		else if (g_str_has_prefix(base, "vhost-vdpa"))
			kind = HIOD_TEST_FD_VDPA;
		else if (strstr(path, "/vfio/devices/") != NULL)
			kind = HIOD_TEST_FD_DEVICE;
		else if (g_ascii_isdigit(base[0]))
			kind = HIOD_TEST_FD_GROUP;
		else
			kind = tk_fail(ENOENT);
	}
	if (kind == HIOD_TEST_FD_FILE) {
		fd = open(path, flags | O_CLOEXEC);
		if (fd >= 0) {
			tk_insert(k, fd, kind, path, TRUE);
			k->n_opens++;
		}
	} else if (kind > 0) {
		fd = k->next_fd++;
		tk_insert(k, fd, kind, path, FALSE);
		k->n_opens++;
	}
	g_mutex_unlock(&k->lock);
	return fd;
}

static void tk_irq_reset(HiodTestKernel *k);

static int
tk_close(gpointer data, int fd)
{
	HiodTestKernel *k = data;
	HiodTestFd *f;
	g_mutex_lock(&k->lock);
	f = hiod_test_kernel_lookup_fd(k, fd);
	if (f == NULL) {
		g_mutex_unlock(&k->lock);
		return tk_fail(EBADF);
	}
	if (k->close_hook != NULL)
		k->close_hook(k->reply_data, f);
	if (f->real)
		close(fd);
	/* closing the device fd frees its interrupts, as vfio-pci does */
	if (f->kind == HIOD_TEST_FD_DEVICE)
		tk_irq_reset(k);
	if (f->data != NULL && k->fd_data_free != NULL)
		k->fd_data_free(f->data);
	g_hash_table_remove(k->fds, GINT_TO_POINTER(fd));
	k->open_fds--;
	g_mutex_unlock(&k->lock);
	return 0;
}

static int
tk_eventfd(gpointer data, unsigned int initval, int flags)
{
	HiodTestKernel *k = data;
	gint fd = eventfd(initval, flags);
	if (fd < 0)
		return -1;
	g_mutex_lock(&k->lock);
	tk_insert(k, fd, HIOD_TEST_FD_EVENTFD, NULL, TRUE);
	g_mutex_unlock(&k->lock);
	return fd;
}

/* interrupts, after vfio-pci's rules --------------------------------------------- */

static guint
tk_irq_count(HiodTestKernel *k, guint index)
{
	switch (index) {
	case HIOD_VFIO_PCI_MSIX_IRQ_INDEX:
		return k->msix_count;
	case HIOD_VFIO_PCI_INTX_IRQ_INDEX:
	case HIOD_VFIO_PCI_MSI_IRQ_INDEX:
	case HIOD_VFIO_PCI_ERR_IRQ_INDEX:
	case HIOD_VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	}
	return 0;
}

static gboolean
tk_is_eventfd(HiodTestKernel *k, gint fd)
{
	HiodTestFd *f = hiod_test_kernel_lookup_fd(k, fd);
	return f != NULL && f->kind == HIOD_TEST_FD_EVENTFD;
}

static void
tk_set_trigger(HiodTestKernel *k, guint index, guint vector, gint fd)
{
	if (k->triggers[index][vector] >= 0)
		k->n_triggers--;
	k->triggers[index][vector] = fd;
	if (fd >= 0)
		k->n_triggers++;
}

static void
tk_irq_disable(HiodTestKernel *k, guint index)
{
	for (guint v = 0; v < G_N_ELEMENTS(k->triggers[index]); v++)
		tk_set_trigger(k, index, v, -1);
	k->irq_vectors[index] = 0;
	if (index == HIOD_VFIO_PCI_INTX_IRQ_INDEX) {
		k->intx_masked = FALSE;
		if (k->intx_unmask_fd >= 0)
			k->n_triggers--;
		k->intx_unmask_fd = -1;
	}
	if ((gint)index == k->irq_type)
		k->irq_type = -1;
}

static void
tk_irq_reset(HiodTestKernel *k)
{
	for (guint i = 0; i < 5; i++)
		tk_irq_disable(k, i);
}

static int
tk_set_irqs(HiodTestKernel *k, struct hiod_vfio_irq_set *set)
{
	guint32 action = set->flags & (HIOD_VFIO_IRQ_SET_ACTION_MASK | HIOD_VFIO_IRQ_SET_ACTION_UNMASK |
				       HIOD_VFIO_IRQ_SET_ACTION_TRIGGER);
	guint32 data = set->flags & (HIOD_VFIO_IRQ_SET_DATA_NONE | HIOD_VFIO_IRQ_SET_DATA_BOOL |
				     HIOD_VFIO_IRQ_SET_DATA_EVENTFD);
	guint max = tk_irq_count(k, set->index);
	gint32 fds[8];

	/* vfio_set_irqs_validate_and_prepare() */
	if (set->index >= 5 || __builtin_popcount(action) != 1 || __builtin_popcount(data) != 1)
		return tk_fail(EINVAL);
	if (set->count == 0 && !(data == HIOD_VFIO_IRQ_SET_DATA_NONE && action == HIOD_VFIO_IRQ_SET_ACTION_TRIGGER))
		return tk_fail(EINVAL);
	if (set->count != 0 && (set->start >= max || set->count > max - set->start))
		return tk_fail(EINVAL);
	if (data == HIOD_VFIO_IRQ_SET_DATA_EVENTFD) {
		if (set->argsz < sizeof(*set) + set->count * sizeof(gint32))
			return tk_fail(EINVAL);
		memcpy(fds, set->data, set->count * sizeof(gint32));
		for (guint i = 0; i < set->count; i++)
			if (fds[i] >= 0 && !tk_is_eventfd(k, fds[i]))
				return tk_fail(EBADF);
	}
	if (action != HIOD_VFIO_IRQ_SET_ACTION_TRIGGER) {
		/* masking: INTx only (MSI and MSI-X have none in vfio-pci) */
		if (set->index != HIOD_VFIO_PCI_INTX_IRQ_INDEX)
			return tk_fail(ENOTTY);
		if (k->irq_type != HIOD_VFIO_PCI_INTX_IRQ_INDEX)
			return tk_fail(EINVAL);
		if (action == HIOD_VFIO_IRQ_SET_ACTION_MASK) {
			k->intx_masked = TRUE;
		} else if (data == HIOD_VFIO_IRQ_SET_DATA_EVENTFD) {
			if (k->intx_unmask_fd >= 0)
				k->n_triggers--;
			k->intx_unmask_fd = fds[0];
			if (fds[0] >= 0)
				k->n_triggers++;
		} else {
			k->intx_masked = FALSE;
		}
		return 0;
	}
	if (set->index <= HIOD_VFIO_PCI_MSIX_IRQ_INDEX) {
		if (set->count == 0) {
			if (k->irq_type == (gint)set->index)
				tk_irq_disable(k, set->index);
			return k->irq_type == -1 || k->irq_type == (gint)set->index ? 0 : tk_fail(EINVAL);
		}
		if (k->irq_type >= 0 && k->irq_type != (gint)set->index)
			return tk_fail(EINVAL);
		if (data != HIOD_VFIO_IRQ_SET_DATA_EVENTFD)
			return 0; /* loopback: not modelled */
		if (k->irq_type == (gint)set->index) {
			/* a block of the enabled vectors */
			if (set->start + set->count > k->irq_vectors[set->index])
				return tk_fail(EINVAL);
		} else {
			if (set->start != 0)
				return tk_fail(EINVAL);
			k->irq_type = set->index;
			k->irq_vectors[set->index] = set->count;
		}
	} else {
		if (set->count == 0) {
			tk_irq_disable(k, set->index);
			return 0;
		}
		if (data != HIOD_VFIO_IRQ_SET_DATA_EVENTFD)
			return 0;
		k->irq_vectors[set->index] = 1;
	}
	for (guint i = 0; i < set->count; i++)
		tk_set_trigger(k, set->index, set->start + i, fds[i]);
	return 0;
}

static int
tk_container(HiodTestKernel *k, gulong request, gpointer arg)
{
	switch (request) {
	case HIOD_VFIO_GET_API_VERSION:
		return 0;
	case HIOD_VFIO_CHECK_EXTENSION:
		switch ((gulong)arg) {
		case HIOD_VFIO_TYPE1v2_IOMMU:
		case HIOD_VFIO_TYPE1_IOMMU:
		case HIOD_VFIO_UNMAP_ALL:
			return !k->spapr;
		case HIOD_VFIO_SPAPR_TCE_v2_IOMMU:
		case HIOD_VFIO_SPAPR_TCE_IOMMU:
			return k->spapr;
		}
		return 0;
	case HIOD_VFIO_SET_IOMMU:
		return 0;
	}
	if (k->spapr) {
		switch (request) {
		case HIOD_VFIO_IOMMU_SPAPR_TCE_GET_INFO: {
			struct hiod_vfio_iommu_spapr_tce_info *i = arg;
			i->flags = HIOD_VFIO_IOMMU_SPAPR_INFO_DDW;
			i->dma32_window_start = 0;
			i->dma32_window_size = 1u << 30;
			i->ddw.pgsizes = (1u << 12) | (1u << 16) | (1u << 24);
			i->ddw.max_dynamic_windows_supported = 2;
			i->ddw.levels = 5;
			return 0;
		}
		case HIOD_VFIO_IOMMU_SPAPR_TCE_CREATE: {
			struct hiod_vfio_iommu_spapr_tce_create *c = arg;
			c->start_addr = k->n_windows++ == 0 ? 0 : G_GUINT64_CONSTANT(1) << 59;
			return 0;
		}
		case HIOD_VFIO_IOMMU_SPAPR_TCE_REMOVE:
			if (k->n_windows > 0)
				k->n_windows--;
			return 0;
		case HIOD_VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
		case HIOD_VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
		case HIOD_VFIO_IOMMU_ENABLE:
		case HIOD_VFIO_IOMMU_DISABLE:
		case HIOD_VFIO_IOMMU_MAP_DMA:
		case HIOD_VFIO_IOMMU_UNMAP_DMA:
			return 0;
		}
		return tk_fail(ENOTTY);
	}
	switch (request) {
	case HIOD_VFIO_IOMMU_GET_INFO: {
		struct hiod_vfio_iommu_type1_info *i = arg;
		struct hiod_vfio_iommu_type1_info_cap_iova_range *r = (void *)(i + 1);
		struct hiod_vfio_iommu_type1_info_cap_migration *m =
		    (void *)((guint8 *)(r + 1) + 2 * sizeof(r->iova_ranges[0]));
		gsize need = sizeof(*i) + sizeof(*r) + 2 * sizeof(r->iova_ranges[0]) + sizeof(*m);
		i->flags = HIOD_VFIO_IOMMU_INFO_PGSIZES | HIOD_VFIO_IOMMU_INFO_CAPS;
		i->iova_pgsizes = 0x40201000;
		if (i->argsz < need) {
			i->argsz = need;
			return 0;
		}
		i->cap_offset = sizeof(*i);
		r->header.id = HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
		r->header.version = 1;
		r->header.next = (guint32)((guint8 *)m - (guint8 *)i);
		m->header.id = HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION;
		m->header.version = 1;
		m->header.next = 0;
		m->pgsize_bitmap = 0x1000;
		m->max_dirty_bitmap_size = 1 << 20;
		r->nr_iovas = 2;
		r->iova_ranges[0].start = 0;
		r->iova_ranges[0].end = 0xfedfffff;
		r->iova_ranges[1].start = 0xfef00000;
		r->iova_ranges[1].end = G_GUINT64_CONSTANT(0x7fffffffff);
		return 0;
	}
	case HIOD_VFIO_IOMMU_MAP_DMA:
	case HIOD_VFIO_IOMMU_UNMAP_DMA:
	case HIOD_VFIO_IOMMU_DIRTY_PAGES:
		return 0;
	}
	return tk_fail(ENOTTY);
}

static int
tk_group(HiodTestKernel *k, gulong request, gpointer arg)
{
	switch (request) {
	case HIOD_VFIO_GROUP_GET_STATUS:
		((struct hiod_vfio_group_status *)arg)->flags = HIOD_VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	case HIOD_VFIO_GROUP_SET_CONTAINER:
	case HIOD_VFIO_GROUP_UNSET_CONTAINER:
		return 0;
	case HIOD_VFIO_GROUP_GET_DEVICE_FD:
		return hiod_test_kernel_add_fd(k, HIOD_TEST_FD_DEVICE)->fd;
	}
	return tk_fail(ENOTTY);
}

static int
tk_device(HiodTestKernel *k, gulong request, gpointer arg)
{
	switch (request) {
	case HIOD_VFIO_DEVICE_GET_INFO: {
		struct hiod_vfio_device_info *i = arg;
		i->flags = HIOD_VFIO_DEVICE_FLAGS_PCI | (k->no_reset ? 0 : HIOD_VFIO_DEVICE_FLAGS_RESET);
		i->num_regions = 9;
		i->num_irqs = 5;
		return 0;
	}
	case HIOD_VFIO_DEVICE_GET_REGION_INFO: {
		struct hiod_vfio_region_info *r = arg;
		r->flags = HIOD_VFIO_REGION_INFO_FLAG_READ | HIOD_VFIO_REGION_INFO_FLAG_WRITE |
			   HIOD_VFIO_REGION_INFO_FLAG_MMAP;
		r->size = 4096;
		r->offset = (guint64)r->index << 40;
		return 0;
	}
	case HIOD_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: {
		struct hiod_vfio_pci_hot_reset_info *i = arg;
		if (i->argsz < sizeof(*i) + sizeof(i->devices[0])) {
			i->count = 1;
			return tk_fail(ENOSPC);
		}
		i->flags = 0;
		i->count = 1;
		i->devices[0] = (struct hiod_vfio_pci_dependent_device){.group_id = 3, .devfn = 4 << 3};
		return 0;
	}
	case HIOD_VFIO_DEVICE_GET_IRQ_INFO: {
		struct hiod_vfio_irq_info *i = arg;
		if (i->argsz < sizeof(*i) || i->index >= 5 ||
		    (k->conventional_pci && i->index == HIOD_VFIO_PCI_ERR_IRQ_INDEX))
			return tk_fail(EINVAL);
		i->count = tk_irq_count(k, i->index);
		i->flags = HIOD_VFIO_IRQ_INFO_EVENTFD;
		if (i->index == HIOD_VFIO_PCI_INTX_IRQ_INDEX)
			i->flags |= HIOD_VFIO_IRQ_INFO_MASKABLE | HIOD_VFIO_IRQ_INFO_AUTOMASKED;
		else
			i->flags |= HIOD_VFIO_IRQ_INFO_NORESIZE; /* no dynamic MSI-X here */
		return 0;
	}
	case HIOD_VFIO_DEVICE_SET_IRQS:
		return tk_set_irqs(k, arg);
	case HIOD_VFIO_DEVICE_BIND_IOMMUFD:
		((struct hiod_vfio_device_bind_iommufd *)arg)->out_devid = k->next_id++;
		return 0;
	case HIOD_VFIO_DEVICE_PCI_HOT_RESET:
	case HIOD_VFIO_DEVICE_RESET:
	case HIOD_VFIO_DEVICE_ATTACH_IOMMUFD_PT:
	case HIOD_VFIO_DEVICE_DETACH_IOMMUFD_PT:
		return 0;
	}
	return tk_fail(ENOTTY);
}

static int
tk_iommufd(HiodTestKernel *k, gulong request, gpointer arg)
{
	switch (request) {
	case HIOD_IOMMU_IOAS_ALLOC:
		((struct hiod_iommu_ioas_alloc *)arg)->out_ioas_id = k->next_id++;
		return 0;
	case HIOD_IOMMU_HWPT_ALLOC:
		((struct hiod_iommu_hwpt_alloc *)arg)->out_hwpt_id = k->next_id++;
		return 0;
	case HIOD_IOMMU_IOAS_IOVA_RANGES: {
		struct hiod_iommu_ioas_iova_ranges *r = arg;
		struct hiod_iommu_iova_range *out = (gpointer)(guintptr)r->allowed_iovas;
		r->out_iova_alignment = 4096;
		if (r->num_iovas < 2) {
			r->num_iovas = 2;
			return tk_fail(EMSGSIZE);
		}
		r->num_iovas = 2;
		out[0] = (struct hiod_iommu_iova_range){0, 0xfedfffff};
		out[1] = (struct hiod_iommu_iova_range){0xfef00000, G_GUINT64_CONSTANT(0x7fffffffff)};
		return 0;
	}
	case HIOD_IOMMU_GET_HW_INFO: {
		struct hiod_iommu_hw_info *h = arg;
		struct hiod_iommu_hw_info_vtd vtd = {.flags = 0,
						     .cap_reg = G_GUINT64_CONSTANT(0x00d2008c22260286),
						     .ecap_reg = 0xf00f4a};
		memcpy((gpointer)(guintptr)h->data_uptr, &vtd, MIN(h->data_len, sizeof(vtd)));
		h->data_len = sizeof(vtd);
		h->out_data_type = HIOD_IOMMU_HW_INFO_TYPE_INTEL_VTD;
		h->out_capabilities = 0;
		return 0;
	}
	case HIOD_IOMMU_DESTROY:
	case HIOD_IOMMU_IOAS_MAP:
	case HIOD_IOMMU_IOAS_UNMAP:
	case HIOD_IOMMU_IOAS_COPY:
	case HIOD_IOMMU_HWPT_SET_DIRTY_TRACKING:
	case HIOD_IOMMU_HWPT_GET_DIRTY_BITMAP:
	case HIOD_IOMMU_HWPT_INVALIDATE:
		return 0;
	}
	return tk_fail(ENOTTY);
}

static int
tk_vdpa(HiodTestKernel *k, gulong request, gpointer arg)
{
	switch (request) {
	case HIOD_VHOST_VDPA_GET_DEVICE_ID:
		*(guint32 *)arg = 1;
		return 0;
	case HIOD_VHOST_GET_BACKEND_FEATURES:
		*(guint64 *)arg = (1u << HIOD_VHOST_BACKEND_F_IOTLB_MSG_V2) |
				  (1u << HIOD_VHOST_BACKEND_F_IOTLB_BATCH) |
				  (1u << HIOD_VHOST_BACKEND_F_IOTLB_ASID);
		return 0;
	case HIOD_VHOST_VDPA_GET_IOVA_RANGE: {
		struct hiod_vhost_vdpa_iova_range *r = arg;
		r->first = 0;
		r->last = G_MAXUINT64;
		return 0;
	}
	case HIOD_VHOST_SET_OWNER:
	case HIOD_VHOST_SET_BACKEND_FEATURES:
		return 0;
	}
	return tk_fail(ENOTTY);
}

int
hiod_test_kernel_default_ioctl(HiodTestKernel *k, HiodTestFdKind kind, gulong request, gpointer arg)
{
	switch (kind) {
	case HIOD_TEST_FD_CONTAINER:
		return tk_container(k, request, arg);
	case HIOD_TEST_FD_GROUP:
		return tk_group(k, request, arg);
	case HIOD_TEST_FD_DEVICE:
		return tk_device(k, request, arg);
	case HIOD_TEST_FD_IOMMUFD:
		return tk_iommufd(k, request, arg);
	case HIOD_TEST_FD_VDPA:
		return tk_vdpa(k, request, arg);
	default:
		return tk_fail(ENOTTY);
	}
}

static int
tk_ioctl(gpointer data, int fd, unsigned long request, void *arg)
{
	HiodTestKernel *k = data;
	HiodTestFd *f;
	int rc;

	g_mutex_lock(&k->lock);
	k->n_ioctls++;
	f = hiod_test_kernel_lookup_fd(k, fd);
	if (f == NULL) {
		g_mutex_unlock(&k->lock);
		return tk_fail(EBADF);
	}
	errno = 0;
	k->current = f;
	if (k->reply != NULL)
		rc = k->reply(k->reply_data, f->kind, request, arg);
	else
		rc = hiod_test_kernel_default_ioctl(k, f->kind, request, arg);
	k->current = NULL;
	g_mutex_unlock(&k->lock);
	return rc;
}

static void *
tk_mmap(gpointer data, size_t len, int prot, int flags, int fd, off_t offset)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void *
tk_mmap_fixed(gpointer data, void *addr, size_t len, int prot, int fd, off_t offset)
{
	return mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static int
tk_munmap(gpointer data, void *addr, size_t len)
{
	return munmap(addr, len);
}

static ssize_t
tk_pread(gpointer data, int fd, void *buf, size_t len, off_t offset)
{
	HiodTestKernel *k = data;
	HiodTestFd *f;
	ssize_t n = (ssize_t)len;
	g_mutex_lock(&k->lock);
	f = hiod_test_kernel_lookup_fd(k, fd);
	if (f != NULL && k->pread_hook != NULL)
		n = k->pread_hook(k->reply_data, f, buf, len, offset);
	else
		memset(buf, 0, len);
	g_mutex_unlock(&k->lock);
	return n;
}

static ssize_t
tk_pwrite(gpointer data, int fd, const void *buf, size_t len, off_t offset)
{
	return (ssize_t)len;
}

static ssize_t
tk_read(gpointer data, int fd, void *buf, size_t len)
{
	HiodTestKernel *k = data;
	HiodTestFd *f;
	ssize_t n;
	g_mutex_lock(&k->lock);
	f = hiod_test_kernel_lookup_fd(k, fd);
	if (f != NULL && k->read_hook != NULL)
		n = k->read_hook(k->reply_data, f, buf, len);
	else if (f != NULL && f->real)
		n = read(fd, buf, len);
	else
		n = tk_fail(EAGAIN);
	g_mutex_unlock(&k->lock);
	return n;
}

static ssize_t
tk_write(gpointer data, int fd, const void *buf, size_t len)
{
	HiodTestKernel *k = data;
	HiodTestFd *f;
	ssize_t n;
	g_mutex_lock(&k->lock);
	f = hiod_test_kernel_lookup_fd(k, fd);
	if (f != NULL && k->write_hook != NULL)
		n = k->write_hook(k->reply_data, f, buf, len);
	else if (f != NULL && f->real)
		n = write(fd, buf, len);
	else
		n = (ssize_t)len;
	g_mutex_unlock(&k->lock);
	return n;
}

/* a duplicate of a fake fd is another fake fd of the same kind */
static int
tk_dup(gpointer data, int fd, int min_fd, int cloexec)
{
	HiodTestKernel *k = data;
	HiodTestFd *f;
	gint dup_fd = -1;
	g_mutex_lock(&k->lock);
	f = hiod_test_kernel_lookup_fd(k, fd);
	if (f == NULL || f->kind == HIOD_TEST_FD_EVENTFD)
		tk_fail(EBADF);
	else
		dup_fd = tk_insert(k, k->next_fd++, f->kind, f->path, FALSE)->fd;
	g_mutex_unlock(&k->lock);
	return dup_fd;
}

/* the test tree's nodes are the test's own files: change them for real */
static int
tk_chown(gpointer data, const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	if (fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return fchmodat(AT_FDCWD, path, mode, 0);
}

static const HiodKernelOps tk_ops = {
    .open = tk_open,
    .close = tk_close,
    .ioctl = tk_ioctl,
    .mmap = tk_mmap,
    .munmap = tk_munmap,
    .pread = tk_pread,
    .pwrite = tk_pwrite,
    .read = tk_read,
    .write = tk_write,
    .eventfd = tk_eventfd,
    .mmap_fixed = tk_mmap_fixed,
    .dup = tk_dup,
    .chown = tk_chown,
};

HiodTestKernel *
hiod_test_kernel_new(HiodContext *ctx)
{
	HiodTestKernel *k = g_new0(HiodTestKernel, 1);
	k->fds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, tk_fd_free);
	g_mutex_init(&k->lock);
	k->next_fd = 100;
	k->next_id = 1;
	k->msix_count = 4;
	k->irq_type = -1;
	k->intx_unmask_fd = -1;
	memset(k->triggers, 0xff, sizeof(k->triggers));
	hiod_context_set_kernel_ops(ctx, &tk_ops, k);
	return k;
}

void
hiod_test_kernel_install(HiodTestKernel *k, HiodContext *ctx)
{
	hiod_context_set_kernel_ops(ctx, &tk_ops, k);
}

void
hiod_test_kernel_free(HiodTestKernel *k)
{
	if (k->fd_data_free != NULL) {
		GHashTableIter it;
		gpointer v;
		g_hash_table_iter_init(&it, k->fds);
		while (g_hash_table_iter_next(&it, NULL, &v))
			if (((HiodTestFd *)v)->data != NULL)
				k->fd_data_free(((HiodTestFd *)v)->data);
	}
	g_hash_table_unref(k->fds);
	g_mutex_clear(&k->lock);
	g_free(k);
}

void
hiod_test_tree_add_fake_kernel_devices(HiodTestTree *t)
{
	hiod_test_tree_add_pci(t, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, "vfio0");
	hiod_test_tree_write(t, "kernel/iommu_groups/3/devices/0000:00:04.0", "");
	hiod_test_tree_touch_dev(t, "vfio/vfio");
	hiod_test_tree_touch_dev(t, "vfio/devices/vfio0");
	hiod_test_tree_touch_dev(t, "iommu");
	hiod_test_tree_write(t, "devices/vdpasim_net/vdpa0/vhost-vdpa-0/dev", "238:0\n");
	hiod_test_tree_link(t, "bus/vdpa/devices/vdpa0", "../../../devices/vdpasim_net/vdpa0");
	hiod_test_tree_link(t, "devices/vdpasim_net/vdpa0/driver", "../../../bus/vdpa/drivers/vhost_vdpa");
	hiod_test_tree_touch_dev(t, "vhost-vdpa-0");
}

/* the fault walk ------------------------------------------------------------ */

void
hiod_test_fault_walk_init(HiodTestFaultWalk *w, HiodContext *ctx, gint errnum)
{
	w->ctx = ctx;
	w->errnum = errnum;
	w->n = 0;
	w->faults = 0;
}

gboolean
hiod_test_fault_walk_next(HiodTestFaultWalk *w)
{
	w->n++;
	g_assert_cmpuint(w->n, <=, 1000);
	hiod_context_clear_faults(w->ctx);
	hiod_context_inject_fault_nth(w->ctx, w->n, w->errnum);
	return TRUE;
}

void
hiod_test_fault_walk_rearm(HiodTestFaultWalk *w)
{
	hiod_context_clear_faults(w->ctx);
	hiod_context_inject_fault_nth(w->ctx, w->n, w->errnum);
}

gboolean
hiod_test_fault_walk_done(HiodTestFaultWalk *w, gboolean ok)
{
	gboolean fired = hiod_context_fault_fired(w->ctx);
	hiod_context_clear_faults(w->ctx);
	if (!fired) {
		g_assert_true(ok);
		return TRUE;
	}
	w->faults++;
	return FALSE;
}

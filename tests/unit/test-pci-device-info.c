/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI device identity from a sysfs snapshot. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "hiod-test-common.h"

static HiodTestTree *
make_tree(void)
{
	HiodTestTree *t = hiod_test_tree_new();
	hiod_test_tree_add_pci(t, "0000:00:00.0", 0x8086, 0x29c0, 0x060000, NULL, -1, NULL);
	hiod_test_tree_add_pci(t, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, "vfio0");
	hiod_test_tree_add_pci(t, "0000:00:05.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 4, "vfio1");
	hiod_test_tree_add_pci(t, "0000:00:06.0", 0x1af4, 0x1041, 0x020000, "virtio-pci", 5, NULL);
	hiod_test_tree_touch_dev(t, "vfio/vfio");
	hiod_test_tree_touch_dev(t, "iommu");
	return t;
}

static void
test_list(void)
{
	g_autoptr(HiodTestTree) t = make_tree();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autoptr(GPtrArray) devs = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *node = NULL;
	HiodPciDeviceInfo *edu;

	devs = hiod_context_list_pci_devices(ctx, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(devs->len, ==, 4);
	edu = g_ptr_array_index(devs, 1);
	g_assert_cmpstr(hiod_pci_device_info_get_address(edu), ==, "0000:00:04.0");
	g_assert_cmphex(hiod_pci_device_info_get_vendor_id(edu), ==, 0x1234);
	g_assert_cmphex(hiod_pci_device_info_get_device_id(edu), ==, 0x11e8);
	g_assert_cmphex(hiod_pci_device_info_get_class_code(edu), ==, 0x00ff00);
	g_assert_cmpstr(hiod_pci_device_info_get_driver(edu), ==, "vfio-pci");
	g_assert_true(hiod_pci_device_info_is_vfio_bound(edu));
	g_assert_cmpint(hiod_pci_device_info_get_iommu_group(edu), ==, 3);
	node = g_build_filename(t->dev, "vfio", "3", NULL);
	g_assert_cmpstr(hiod_pci_device_info_get_vfio_group_node(edu), ==, node);
	g_clear_pointer(&node, g_free);
	node = g_build_filename(t->dev, "vfio", "devices", "vfio0", NULL);
	g_assert_cmpstr(hiod_pci_device_info_get_vfio_cdev_node(edu), ==, node);
	/* the host bridge: no driver, no group */
	edu = g_ptr_array_index(devs, 0);
	g_assert_null(hiod_pci_device_info_get_driver(edu));
	g_assert_cmpint(hiod_pci_device_info_get_iommu_group(edu), ==, -1);
	g_assert_null(hiod_pci_device_info_get_vfio_group_node(edu));
	/* virtio-pci: a group, but no VFIO nodes */
	edu = g_ptr_array_index(devs, 3);
	g_assert_cmpint(hiod_pci_device_info_get_iommu_group(edu), ==, 5);
	g_assert_null(hiod_pci_device_info_get_vfio_group_node(edu));
	g_assert_false(hiod_pci_device_info_is_vfio_bound(edu));
	g_assert_true(hiod_context_has_iommufd(ctx));
	g_assert_true(hiod_context_has_vfio_container(ctx));
}

static void
test_lookup(void)
{
	g_autoptr(HiodTestTree) t = make_tree();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodPciDeviceInfo) info = NULL;
	g_autofree gchar *norm = NULL;

	info = hiod_pci_device_info_new(ctx, "00:05.0", &error); /* short form */
	g_assert_no_error(error);
	g_assert_cmpstr(hiod_pci_device_info_get_address(info), ==, "0000:00:05.0");
	g_clear_object(&info);
	info = hiod_pci_device_info_new(ctx, "0000:00:1f.0", &error);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "0000:00:1f.0"));
	g_clear_error(&error);
	for (const gchar *bad = "not-a-bdf"; bad != NULL; bad = NULL) {
		info = hiod_pci_device_info_new(ctx, bad, &error);
		g_assert_null(info);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
	}
	g_assert_false(hiod_pci_address_normalize("0000:00:20.0", NULL, NULL)); /* device > 31 */
	g_assert_false(hiod_pci_address_normalize("0000:00:04.8", NULL, NULL)); /* function > 7 */
	g_assert_false(hiod_pci_address_normalize("0000:00:04.0x", NULL, NULL));
	g_assert_true(hiod_pci_address_normalize("0001:3A:1f.7", &norm, NULL));
	g_assert_cmpstr(norm, ==, "0001:3a:1f.7");
}

static void
test_no_sysfs(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new_with_roots("/nonexistent", "/nonexistent");
	g_autoptr(GError) error = NULL;
	g_assert_null(hiod_context_list_pci_devices(ctx, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_assert_false(hiod_context_has_iommufd(ctx));
}

/* one device in a fresh tree, then one of its sysfs files replaced by @value
 * (a link when @link): the device info and the listing refuse it, naming
 * the file */
static void
assert_sysfs_refused(const gchar *file, const gchar *value, gboolean link)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodPciDeviceInfo) info = NULL;
	g_autoptr(GPtrArray) devs = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *rel = g_build_filename("bus/pci/devices/0000:00:04.0", file, NULL);
	g_autofree gchar *full = g_build_filename(t->sys, rel, NULL);

	g_test_message("%s = '%s'", file, value);
	hiod_test_tree_add_pci(t, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, "vfio0");
	hiod_test_tree_touch_dev(t, "vfio/abc");
	g_assert_cmpint(unlink(full), ==, 0);
	if (link)
		hiod_test_tree_link(t, rel, value);
	else
		hiod_test_tree_write(t, rel, value);
	ctx = hiod_test_tree_context(t);
	info = hiod_pci_device_info_new(ctx, "0000:00:04.0", &error);
	g_assert_null(info);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, full));
	g_clear_error(&error);
	devs = hiod_context_list_pci_devices(ctx, &error);
	g_assert_null(devs);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, file));
}

/* sysfs values the kernel would never print are refused, not misread */
static void
test_sysfs_strict(void)
{
	assert_sysfs_refused("vendor", "garbage\n", FALSE);		/* was 0000 */
	assert_sysfs_refused("vendor", "0x12345\n", FALSE);
	assert_sysfs_refused("vendor", " 0x1234\n", FALSE);
	assert_sysfs_refused("vendor", "0x-123\n", FALSE);
	assert_sysfs_refused("vendor", "", FALSE);
	assert_sysfs_refused("device", "0x123456789\n", FALSE);	/* was 6789 */
	assert_sysfs_refused("class", "0x1000000\n", FALSE);
	assert_sysfs_refused("iommu_group", "../../../kernel/iommu_groups/abc", TRUE); /* was 0 */
	assert_sysfs_refused("iommu_group", "../../../kernel/iommu_groups/99999999999", TRUE);
	assert_sysfs_refused("iommu_group", "../../../kernel/iommu_groups/-1", TRUE);
	assert_sysfs_refused("iommu_group", "../../../kernel/iommu_groups/+3", TRUE);
	assert_sysfs_refused("iommu_group", "../../../kernel/iommu_groups/03", TRUE);
}

/* a bus/pci/devices entry that leads out of sysfs is no device */
static void
test_sysfs_entry_outside(void)
{
	g_autoptr(HiodTestTree) t = make_tree();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodPciDeviceInfo) info = NULL;
	g_autoptr(GPtrArray) devs = NULL;
	g_autoptr(GError) error = NULL;

	hiod_test_tree_link(t, "bus/pci/devices/0000:00:07.0", "/etc");
	ctx = hiod_test_tree_context(t);
	info = hiod_pci_device_info_new(ctx, "0000:00:07.0", &error);
	g_assert_null(info);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "outside sysfs"));
	g_clear_error(&error);
	devs = hiod_context_list_pci_devices(ctx, &error);
	g_assert_null(devs);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "0000:00:07.0"));
	g_clear_error(&error);
	/* an entry not named as the kernel names devices */
	{
		g_autofree gchar *entry = g_build_filename(t->sys, "bus/pci/devices/0000:00:07.0", NULL);
		g_assert_cmpint(unlink(entry), ==, 0);
	}
	hiod_test_tree_add_pci(t, "0:0:7.0", 0x1234, 0x11e8, 0x00ff00, NULL, -1, NULL);
	devs = hiod_context_list_pci_devices(ctx, &error);
	g_assert_null(devs);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "0:0:7.0"));
}

/* the group node is made from the group number, not from the link's text */
static void
test_sysfs_group_node(void)
{
	g_autoptr(HiodTestTree) t = make_tree();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodPciDeviceInfo) info = hiod_pci_device_info_new(ctx, "0000:00:04.0", &error);
	g_assert_no_error(error);
	g_assert_cmpint(hiod_pci_device_info_get_iommu_group(info), ==, 3);
	g_assert_true(g_str_has_suffix(hiod_pci_device_info_get_vfio_group_node(info), "/vfio/3"));
	g_clear_object(&info);
	info = hiod_pci_device_info_new(ctx, "0000:00:00.0", &error);
	g_assert_no_error(error);
	g_assert_cmpint(hiod_pci_device_info_get_iommu_group(info), ==, -1);
	g_assert_null(hiod_pci_device_info_get_vfio_group_node(info));
}

/* A device bound to e1000e in a fake tree, with the files a bind writes. */
static HiodTestTree *
make_bind_tree(void)
{
	HiodTestTree *t = hiod_test_tree_new();
	g_autofree gchar *drv = NULL;
	hiod_test_tree_add_pci(t, "0000:00:04.0", 0x8086, 0x10d3, 0x020000, "e1000e", 3, NULL);
	/* the device directory is a real one here: the driver link must resolve from it */
	drv = g_build_filename(t->sys, "bus/pci/devices/0000:00:04.0/driver", NULL);
	g_assert_cmpint(unlink(drv), ==, 0);
	hiod_test_tree_link(t, "bus/pci/devices/0000:00:04.0/driver", "../../drivers/e1000e");
	hiod_test_tree_write(t, "bus/pci/drivers/e1000e/unbind", "");
	hiod_test_tree_write(t, "bus/pci/drivers/e1000e/bind", "");
	hiod_test_tree_write(t, "bus/pci/drivers/vfio-pci/bind", "");
	hiod_test_tree_write(t, "bus/pci/devices/0000:00:04.0/driver_override", "(null)\n");
	hiod_test_tree_write(t, "bus/pci/drivers_probe", "");
	return t;
}

/* The environment of a (privileged) process does not move its roots: only
 * hiod_context_new_with_roots() does. */
static void
test_roots_not_from_environment(void)
{
	g_autoptr(HiodTestTree) t = make_tree();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(GPtrArray) devs = NULL;
	g_autoptr(GError) error = NULL;

	g_setenv("HIOD_SYSFS_ROOT", t->sys, TRUE);
	g_setenv("HIOD_DEV_ROOT", t->dev, TRUE);
	ctx = hiod_context_new();
	g_unsetenv("HIOD_SYSFS_ROOT");
	g_unsetenv("HIOD_DEV_ROOT");
	g_assert_cmpstr(hiod_context_get_sysfs_root(ctx), ==, "/sys");
	g_assert_cmpstr(hiod_context_get_dev_root(ctx), ==, "/dev");
	g_clear_object(&ctx);
	ctx = hiod_context_new_with_roots(t->sys, NULL);
	g_assert_cmpstr(hiod_context_get_sysfs_root(ctx), ==, t->sys);
	g_assert_cmpstr(hiod_context_get_dev_root(ctx), ==, "/dev");
}

/* sysfs writes follow no symlink: a drivers_probe that links elsewhere is
 * refused and the file it points at is left alone */
static void
test_bind_write_no_symlink(void)
{
	g_autoptr(HiodTestTree) t = make_bind_tree();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *victim = g_build_filename(t->root, "victim", NULL);
	g_autofree gchar *probe = g_build_filename(t->sys, "bus/pci/drivers_probe", NULL);
	g_autofree gchar *after = NULL;

	g_assert_true(g_file_set_contents(victim, "precious\n", -1, NULL));
	g_assert_cmpint(unlink(probe), ==, 0);
	g_assert_cmpint(symlink(victim, probe), ==, 0);
	ctx = hiod_test_tree_context(t);
	g_assert_false(hiod_pci_bind_vfio(ctx, "0000:00:04.0", &error));
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "drivers_probe"));
	g_assert_true(g_file_get_contents(victim, &after, NULL, NULL));
	g_assert_cmpstr(after, ==, "precious\n");
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	g_clear_error(&error);
	/* nor a directory that leads out of sysfs */
	{
		g_autofree gchar *outside = g_build_filename(t->root, "outside", NULL);
		g_autofree gchar *unbind = g_build_filename(outside, "unbind", NULL);
		g_autofree gchar *drv = g_build_filename(t->sys, "bus/pci/devices/0000:00:04.0/driver", NULL);
		g_autofree gchar *got = NULL;
		g_mkdir_with_parents(outside, 0755);
		g_assert_true(g_file_set_contents(unbind, "", -1, NULL));
		g_assert_cmpint(unlink(drv), ==, 0);
		g_assert_cmpint(symlink(outside, drv), ==, 0);
		g_assert_false(hiod_pci_bind_vfio(ctx, "0000:00:04.0", &error));
		g_assert_nonnull(strstr(error->message, "outside sysfs"));
		g_assert_true(g_file_get_contents(unbind, &got, NULL, NULL));
		g_assert_cmpstr(got, ==, "");
	}
}

static gchar *
tree_read(HiodTestTree *t, const gchar *rel)
{
	g_autofree gchar *full = g_build_filename(t->sys, rel, NULL);
	gchar *contents = NULL;
	g_assert_true(g_file_get_contents(full, &contents, NULL, NULL));
	return contents;
}

/* The PCI core as far as a bind goes: the base kernel opens the tree's files
 * for real, and a write lands in them; an unbind removes the device's driver
 * link, a bind makes it, a probe binds nothing (vfio-pci "does not take" the
 * device). */
typedef struct {
	HiodTestTree *t;
	HiodTestKernel *k;
} FakeSysfs;

static int
sysfs_open(gpointer data, const gchar *path, gint flags)
{
	return HIOD_TEST_FD_FILE;
}

static gssize
sysfs_write(gpointer data, HiodTestFd *fd, gconstpointer buf, gsize len)
{
	FakeSysfs *f = data;
	g_autofree gchar *bdf = g_strndup(buf, len);
	g_autofree gchar *link = g_build_filename(f->t->sys, "bus/pci/devices", bdf, "driver", NULL);
	ssize_t n;
	/* a sysfs write replaces the value */
	g_assert_cmpint(ftruncate(fd->fd, 0), ==, 0);
	n = pwrite(fd->fd, buf, len, 0);
	if (n < 0)
		return n;
	if (g_str_has_suffix(fd->path, "/unbind")) {
		g_assert_cmpint(unlink(link), ==, 0);
	} else if (g_str_has_suffix(fd->path, "/bind")) {
		g_autofree gchar *dir = g_path_get_dirname(fd->path);
		g_autofree gchar *drv = g_path_get_basename(dir);
		g_autofree gchar *target = g_build_filename("../../drivers", drv, NULL);
		g_assert_cmpint(symlink(target, link), ==, 0);
	}
	return n;
}

static void
sysfs_install(FakeSysfs *f, HiodTestTree *t, HiodContext *ctx)
{
	f->t = t;
	f->k = hiod_test_kernel_new(ctx);
	f->k->open_hook = sysfs_open;
	f->k->write_hook = sysfs_write;
	f->k->reply_data = f;
}

static gchar *
tree_driver(HiodTestTree *t)
{
	g_autofree gchar *link = g_build_filename(t->sys, "bus/pci/devices/0000:00:04.0/driver", NULL);
	g_autofree gchar *target = g_file_read_link(link, NULL);
	return target != NULL ? g_path_get_basename(target) : NULL;
}

/* A bind that fails after the unbind puts the device back: driver_override
 * as it was and the old driver bound again (here vfio-pci "does not take it":
 * the fake tree's driver link does not change; then the probe itself fails;
 * then an override was set before). */
static void
test_bind_failure_rolls_back(void)
{
	for (guint round = 0; round < 3; round++) {
		g_autoptr(HiodTestTree) t = make_bind_tree();
		FakeSysfs f = {0};
		g_autoptr(HiodContext) ctx = NULL;
		g_autoptr(GError) error = NULL;
		g_autofree gchar *override = NULL;
		g_autofree gchar *bound = NULL;
		g_autofree gchar *unbound = NULL;
		g_autofree gchar *driver = NULL;

		if (round == 2)
			hiod_test_tree_write(t, "bus/pci/devices/0000:00:04.0/driver_override",
					     "e1000e\n");
		ctx = hiod_test_tree_context(t);
		sysfs_install(&f, t, ctx);
		if (round == 1)
			hiod_context_inject_fault_match(ctx, "open:*drivers_probe", ENODEV, 1);
		g_assert_false(hiod_pci_bind_vfio(ctx, "0000:00:04.0", &error));
		g_assert_nonnull(error);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, "rolled back"));
		unbound = tree_read(t, "bus/pci/drivers/e1000e/unbind");
		g_assert_cmpstr(unbound, ==, "0000:00:04.0");
		override = tree_read(t, "bus/pci/devices/0000:00:04.0/driver_override");
		g_assert_cmpstr(override, ==, round == 2 ? "e1000e\n" : "\n");
		bound = tree_read(t, "bus/pci/drivers/e1000e/bind");
		g_assert_cmpstr(bound, ==, "0000:00:04.0");
		driver = tree_driver(t);
		g_assert_cmpstr(driver, ==, "e1000e");
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
		g_assert_cmpuint(f.k->open_fds, ==, 0);
		g_assert_cmpuint(f.k->n_opens, >, 0);
		g_clear_object(&ctx);
		hiod_test_kernel_free(f.k);
	}
}

/* when putting it back fails too, the error says the device has no driver
 * and how to bind it again */
static void
test_bind_rollback_failure_explained(void)
{
	g_autoptr(HiodTestTree) t = make_bind_tree();
	FakeSysfs f = {0};
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *driver = NULL;

	sysfs_install(&f, t, ctx);
	hiod_context_inject_fault_match(ctx, "open:*drivers_probe", ENODEV, 1);
	hiod_context_inject_fault_match(ctx, "open:*e1000e/bind", ENODEV, 1);
	g_assert_false(hiod_pci_bind_vfio(ctx, "0000:00:04.0", &error));
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "WITHOUT A DRIVER"));
	g_assert_nonnull(strstr(error->message, "echo 0000:00:04.0 > /sys/bus/pci/drivers/e1000e/bind"));
	driver = tree_driver(t);
	g_assert_null(driver);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	g_assert_cmpuint(f.k->open_fds, ==, 0);
	g_clear_object(&ctx);
	hiod_test_kernel_free(f.k);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/pci-device-info/list", test_list);
	g_test_add_func("/hiod/pci-device-info/lookup", test_lookup);
	g_test_add_func("/hiod/pci-device-info/no-sysfs", test_no_sysfs);
	g_test_add_func("/hiod/pci-device-info/sysfs-strict", test_sysfs_strict);
	g_test_add_func("/hiod/pci-device-info/sysfs-entry-outside", test_sysfs_entry_outside);
	g_test_add_func("/hiod/pci-device-info/sysfs-group-node", test_sysfs_group_node);
	g_test_add_func("/hiod/pci-device-info/roots-not-from-environment",
			test_roots_not_from_environment);
	g_test_add_func("/hiod/pci-device-info/bind-write-no-symlink", test_bind_write_no_symlink);
	g_test_add_func("/hiod/pci-device-info/bind-failure-rolls-back", test_bind_failure_rolls_back);
	g_test_add_func("/hiod/pci-device-info/bind-rollback-failure-explained",
			test_bind_rollback_failure_explained);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "hiod-test-common.h"

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

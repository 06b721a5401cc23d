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

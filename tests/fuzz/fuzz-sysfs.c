/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysfs trees: the input describes a fake /sys (files, symlinks, directories
 * under bus/pci, devices, kernel/iommu_groups, bus/vdpa) that the harness
 * writes to a fresh directory; then hiod lists PCI and vdpa devices, reads
 * 0000:00:04.0's info, opens it as a VFIO device and reads the PCI topology.
 *
 * Input: records of
 *   u8 op (0 file, 1 symlink, 2 directory), u8 n, n path-component indices
 *   (into the name table, or a raw NUL-ended name when the index is 0xff),
 *   then a file's contents (u8 len, bytes; config space: u16 len) or a link's
 *   target (u8 n, n component indices, ".." allowed only as deep as the link).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t len);

static const gchar *const names[] = {
    "..", "bus", "pci", "devices", "0000:00:04.0", "0000:00:01.0", "0000:01:00.0", "pci0000:00",
    "vendor", "device", "class", "config", "driver", "iommu_group", "kernel", "iommu_groups", "3",
    "4", "vfio-dev", "vfio0", "dev", "vdpa", "vdpa0", "vhost-vdpa-0", "drivers", "vfio-pci",
    "vhost_vdpa", "virtio_vdpa", "subsystem", "0000:00:05.0", "uevent", "reset_method", "numa_node",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

/* A plain write: no temporary file, no fsync (g_file_set_contents does both). */
static void
write_file(const gchar *path, const guint8 *data, gsize len)
{
	gint fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (len > 0 && write(fd, data, len) < 0)
		g_debug("writing %s: %s", path, g_strerror(errno));
	close(fd);
}

static void
touch(const gchar *root, const gchar *rel)
{
	g_autofree gchar *full = g_build_filename(root, rel, NULL);
	g_autofree gchar *dir = g_path_get_dirname(full);
	g_mkdir_with_parents(dir, 0755);
	write_file(full, NULL, 0);
}

/* Appends the path of @n components; FALSE on a bad name. @ups counts "..". */
static gboolean
read_path(FuzzInput *in, GString *path, guint n, guint *ups)
{
	for (guint i = 0; i < n; i++) {
		guint8 idx = fuzz_u8(in);
		g_autofree gchar *raw = NULL;
		const gchar *name;
		if (idx == 0xff) {
			raw = fuzz_string(in, 32);
			if (raw[0] == '\0' || strchr(raw, '/') != NULL || g_strcmp0(raw, ".") == 0 ||
			    g_strcmp0(raw, "..") == 0)
				return FALSE;
			name = raw;
		} else {
			name = names[idx % G_N_ELEMENTS(names)];
		}
		if (g_strcmp0(name, "..") == 0)
			(*ups)++;
		g_string_append_printf(path, "%s%s", path->len ? "/" : "", name);
	}
	return path->len > 0;
}

static void
write_tree(FuzzInput *in, const gchar *sys)
{
	for (guint rec = 0; rec < 64 && in->pos < in->len; rec++) {
		guint8 op = fuzz_u8(in) % 3;
		g_autoptr(GString) rel = g_string_new(NULL);
		g_autofree gchar *full = NULL, *dir = NULL;
		guint ups = 0;

		if (!read_path(in, rel, 1 + fuzz_u8(in) % 8, &ups) || ups > 0)
			return;
		full = g_build_filename(sys, rel->str, NULL);
		dir = g_path_get_dirname(full);
		g_mkdir_with_parents(dir, 0755);
		if (op == 0) {
			gboolean config = g_str_has_suffix(rel->str, "config");
			gsize want = config ? (fuzz_u8(in) | (gsize)fuzz_u8(in) << 8) : fuzz_u8(in), got;
			const guint8 *p = fuzz_bytes(in, want, &got);
			write_file(full, p, got);
		} else if (op == 1) {
			g_autoptr(GString) target = g_string_new(NULL);
			guint depth = 0, tups = 0;
			for (const gchar *c = rel->str; *c; c++)
				depth += *c == '/';
			if (!read_path(in, target, 1 + fuzz_u8(in) % 8, &tups) || tups > depth)
				return; /* never out of the fake root */
			if (symlink(target->str, full) != 0 && errno != EEXIST)
				return;
		} else {
			g_mkdir_with_parents(full, 0755);
		}
	}
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t len)
{
	FuzzInput in = {.data = data, .len = len};
	g_autoptr(HiodTestTree) tree = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	HiodTestKernel *k;

	write_tree(&in, tree->sys);
	touch(tree->dev, "vfio/vfio");
	touch(tree->dev, "vfio/3");
	touch(tree->dev, "vfio/devices/vfio0");
	touch(tree->dev, "vhost-vdpa-0");
	ctx = hiod_test_tree_context(tree);
	k = hiod_test_kernel_new(ctx);
	{
		g_autoptr(GPtrArray) pci = hiod_context_list_pci_devices(ctx, NULL);
		g_autoptr(GPtrArray) vdpa = hiod_context_list_vdpa_devices(ctx, NULL);
		g_autoptr(HiodPciDeviceInfo) info = hiod_pci_device_info_new(ctx, "0000:00:04.0", NULL);
		g_autoptr(HiodPciTopology) topo = hiod_pci_topology_new_from_sysfs(ctx, NULL);
		g_autoptr(HiodVfioDevice) dev = hiod_vfio_device_new(ctx, "0000:00:04.0", NULL);
		g_autoptr(HiodVdpaDevice) vdev = hiod_vdpa_device_new(ctx, "vdpa0", NULL);
		(void)pci;
		(void)vdpa;
		(void)info;
		(void)vdev;
		if (topo != NULL) {
			g_autoptr(JsonBuilder) b = json_builder_new();
			hiod_pci_topology_to_json(topo, b);
		}
		if (dev != NULL) {
			g_autoptr(HiodContainer) c = hiod_container_new(ctx, HIOD_BACKEND_KIND_AUTO, dev, NULL);
			if (c != NULL && hiod_vfio_device_attach(dev, c, 0, NULL))
				hiod_vfio_device_detach(dev);
			if (c != NULL)
				hiod_container_release(c);
		}
	}
	if (hiod_context_get_open_fd_count(ctx) != 0 || k->open_fds != 0)
		abort();
	g_clear_object(&ctx);
	hiod_test_kernel_free(k);
	return 0;
}

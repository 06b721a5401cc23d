/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysfs, read strictly and written safely. Every PCI address (BDF) hiod
 * parses goes through hiod_pci_address_parse(): one rule for the CLI, the
 * device info and the topology. Every sysfs attribute hiod reads is parsed
 * whole (a value sysfs would never print is refused with the file named),
 * and every sysfs write goes through hiod_sysfs_write(): the kernel
 * chokepoint, O_NOFOLLOW, a regular file only.
 */
#pragma once

#include "hiod-context.h"

G_BEGIN_DECLS

/*
 * A PCI address as the kernel prints it ("%04x:%02x:%02x.%d"): DDDD:BB:DD.F
 * with a domain of 4 to 8 hex digits (VMD domains are 10000 and up), or the
 * short BB:DD.F (domain 0). Bus 2 hex digits, device 2 hex digits below 0x20,
 * function one digit below 8. No sign, space, prefix or trailing character.
 */
gboolean hiod_pci_address_parse(const gchar *text, guint *domain, guint *bus, guint *devfn,
				GError **error);
gchar *hiod_pci_address_format(guint domain, guint bus, guint devfn);
/* A PCI host bridge's sysfs name, "pciDDDD:BB". */
gboolean hiod_pci_host_bridge_parse(const gchar *text, guint *domain, guint *bus);

/* Reads the whole file @path (a full path, for a caller that resolved it
 * inside sysfs; binary content such as a config space), its length in *@len.
 * NULL with HIOD_ERROR_NOT_FOUND when absent, PERMISSION_DENIED, or IO; the
 * message names the file. */
gchar *hiod_sysfs_read_file(const gchar *path, gsize *len, GError **error);
/* Reads @rel below the sysfs root; the one trailing newline sysfs adds is
 * dropped. NULL with HIOD_ERROR_NOT_FOUND when absent. */
gchar *hiod_sysfs_read(HiodContext *ctx, const gchar *rel, GError **error);
/* Reads a decimal attribute ("2048\n", as the kernel prints an int) in
 * [@min, @max]; empty, a sign '+', a space, trailing characters or a value
 * out of range are refused (HIOD_ERROR_IO), naming the file. */
gboolean hiod_sysfs_read_int(HiodContext *ctx, const gchar *rel, gint64 min, gint64 max,
			     gint64 *value, GError **error);
/* Reads a hex attribute ("0x1234\n", as the kernel prints vendor, device,
 * class) no larger than @max; anything else is refused, naming the file. */
gboolean hiod_sysfs_read_hex(HiodContext *ctx, const gchar *rel, guint64 max, guint64 *value,
			     GError **error);
/* The target of the link @rel as it reads; NULL with HIOD_ERROR_NOT_FOUND when
 * absent (HIOD_ERROR_IO when @rel is no link). */
gchar *hiod_sysfs_read_link(HiodContext *ctx, const gchar *rel, GError **error);
/* The basename of the link @rel; NULL with HIOD_ERROR_NOT_FOUND when absent. */
gchar *hiod_sysfs_read_link_name(HiodContext *ctx, const gchar *rel, GError **error);
/* The entries of the directory @rel, sorted (element-type utf8, owned); NULL
 * with HIOD_ERROR_NOT_FOUND when absent, the directory named. */
GPtrArray *hiod_sysfs_list(HiodContext *ctx, const gchar *rel, GError **error);
/* A device's iommu_group link: the group number (decimal, 0..G_MAXINT), -1
 * when there is no link; a link that names no group number is refused. */
gboolean hiod_sysfs_read_iommu_group(HiodContext *ctx, const gchar *rel, gint *group,
				     GError **error);
/* Resolves @rel and checks that it lands inside the sysfs root (a
 * bus/pci/devices entry that points elsewhere is refused). */
gchar *hiod_sysfs_resolve(HiodContext *ctx, const gchar *rel, GError **error);
/* Writes @value to the attribute @rel below the sysfs root: through the
 * kernel chokepoint, never following a symlink, a regular file only. */
gboolean hiod_sysfs_write(HiodContext *ctx, const gchar *rel, const gchar *value,
			  GError **error);

/*
 * After an EPERM from VFIO_DEVICE_BIND_IOMMUFD (@module "iommufd") or from
 * type1's VFIO_SET_IOMMU / VFIO_GROUP_SET_CONTAINER (@module
 * "vfio_iommu_type1"): the kernel refuses a device whose MSIs the IOMMU
 * cannot isolate (no interrupt remapping) unless @module's
 * allow_unsafe_interrupts is set. Unless sysfs shows that this is not the
 * cause (the parameter is already set, interrupts are remapped, or there is
 * no IOMMU in /sys/class/iommu: a no-IOMMU group), appends
 * to @error what it most likely means and the parameters that would allow it.
 * The IOMMU it names is the device's own: the "iommu" link of the PCI device
 * @address, or (@address NULL) of the devices in IOMMU group @group (-1:
 * none given); only when sysfs has no such link, every IOMMU the host lists.
 */
void hiod_sysfs_explain_unsafe_interrupts(HiodContext *ctx, gint group, const gchar *address,
					  const gchar *module, GError *error);

G_END_DECLS

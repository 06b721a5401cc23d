/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "hiod-context-private.h"
#include "hiod-error.h"
#include "hiod-kernel-private.h"
#include "hiod-sysfs-private.h"

/* PCI addresses ------------------------------------------------------------------- */

/* exactly @n hex digits at @s (n <= 8) */
static gboolean
hiod_parse_hex_digits(const gchar *s, guint n, guint *value)
{
	guint v = 0;
	for (guint i = 0; i < n; i++) {
		if (!g_ascii_isxdigit(s[i]))
			return FALSE;
		v = (v << 4) | (guint)g_ascii_xdigit_value(s[i]);
	}
	*value = v;
	return TRUE;
}

static gsize
hiod_count_hex_digits(const gchar *s)
{
	gsize n = 0;
	while (g_ascii_isxdigit(s[n]))
		n++;
	return n;
}

/* "BB:DD.F" and nothing after it */
static gboolean
hiod_pci_parse_bus_dev_fn(const gchar *s, guint *bus, guint *devfn)
{
	guint b, d, f;
	if (!hiod_parse_hex_digits(s, 2, &b) || s[2] != ':' || !hiod_parse_hex_digits(s + 3, 2, &d) ||
	    s[5] != '.' || s[6] < '0' || s[6] > '7' || s[7] != '\0' || d > 0x1f)
		return FALSE;
	f = (guint)(s[6] - '0');
	*bus = b;
	*devfn = (d << 3) | f;
	return TRUE;
}

gboolean
hiod_pci_address_parse(const gchar *text, guint *domain, guint *bus, guint *devfn, GError **error)
{
	guint d = 0, b = 0, df = 0;
	gboolean ok = FALSE;

	if (text != NULL) {
		gsize n = hiod_count_hex_digits(text);
		if (n == 2 && text[2] == ':') {
			/* the short form BB:DD.F, domain 0 */
			ok = hiod_pci_parse_bus_dev_fn(text, &b, &df);
		} else if (n >= 4 && n <= 8 && text[n] == ':') {
			ok = hiod_parse_hex_digits(text, (guint)n, &d) &&
			     hiod_pci_parse_bus_dev_fn(text + n + 1, &b, &df);
		}
	}
	if (!ok) {
		g_autofree gchar *shown = text != NULL ? g_strescape(text, NULL) : g_strdup("(null)");
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a PCI address (expected DDDD:BB:DD.F with a domain of 4 to 8 "
			    "hex digits, bus and device 2 hex digits (device below 20), function 0-7; "
			    "e.g. 0000:00:04.0)",
			    shown);
		return FALSE;
	}
	if (domain != NULL)
		*domain = d;
	if (bus != NULL)
		*bus = b;
	if (devfn != NULL)
		*devfn = df;
	return TRUE;
}

gchar *
hiod_pci_address_format(guint domain, guint bus, guint devfn)
{
	return g_strdup_printf("%04x:%02x:%02x.%u", domain, bus, devfn >> 3, devfn & 7);
}

gboolean
hiod_pci_host_bridge_parse(const gchar *text, guint *domain, guint *bus)
{
	gsize n;
	guint d, b;
	if (text == NULL || !g_str_has_prefix(text, "pci"))
		return FALSE;
	text += 3;
	n = hiod_count_hex_digits(text);
	if (n < 4 || n > 8 || text[n] != ':' || !hiod_parse_hex_digits(text, (guint)n, &d) ||
	    !hiod_parse_hex_digits(text + n + 1, 2, &b) || text[n + 3] != '\0')
		return FALSE;
	*domain = d;
	*bus = b;
	return TRUE;
}

/* reading ------------------------------------------------------------------------- */

static gint
hiod_sysfs_error_code(const GError *error)
{
	if (error->domain != G_FILE_ERROR)
		return HIOD_ERROR_IO;
	switch (error->code) {
	case G_FILE_ERROR_NOENT:
		return HIOD_ERROR_NOT_FOUND;
	case G_FILE_ERROR_ACCES:
	case G_FILE_ERROR_PERM:
		return HIOD_ERROR_PERMISSION_DENIED;
	default:
		return HIOD_ERROR_IO;
	}
}

gchar *
hiod_sysfs_read_file(const gchar *path, gsize *len, GError **error)
{
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error_local = NULL;
	gsize n = 0;

	if (!g_file_get_contents(path, &contents, &n, &error_local)) {
		g_set_error(error, HIOD_ERROR, hiod_sysfs_error_code(error_local), "%s",
			    error_local->message);
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return g_steal_pointer(&contents);
}

/* @rel's text without the one trailing newline, its length in *@len (a NUL
 * inside makes strlen() shorter: the parsers refuse that) */
static gchar *
hiod_sysfs_read_text(HiodContext *ctx, const gchar *rel, gsize *len, GError **error)
{
	g_autofree gchar *full = hiod_context_build_sysfs_path(ctx, rel, NULL);
	gsize n = 0;
	gchar *contents = hiod_sysfs_read_file(full, &n, error);

	if (contents != NULL && n > 0 && contents[n - 1] == '\n')
		contents[--n] = '\0';
	*len = n;
	return contents;
}

gchar *
hiod_sysfs_read(HiodContext *ctx, const gchar *rel, GError **error)
{
	gsize len;
	return hiod_sysfs_read_text(ctx, rel, &len, error);
}

/* The refusal of a parser: "<file> says '<text>': not <expected> as the kernel prints it" */
static gboolean G_GNUC_PRINTF(5, 6)
hiod_sysfs_refuse(HiodContext *ctx, const gchar *rel, const gchar *text, GError **error,
		  const gchar *format, ...)
{
	g_autofree gchar *full = hiod_context_build_sysfs_path(ctx, rel, NULL);
	g_autofree gchar *shown = g_strescape(text, NULL);
	g_autofree gchar *expected = NULL;
	va_list args;

	va_start(args, format);
	expected = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO, "%s says '%s': not %s as the kernel prints it",
		    full, shown, expected);
	return FALSE;
}

gboolean
hiod_sysfs_read_hex(HiodContext *ctx, const gchar *rel, guint64 max, guint64 *value,
		    GError **error)
{
	gsize len = 0;
	g_autofree gchar *text = hiod_sysfs_read_text(ctx, rel, &len, error);
	guint64 v = 0;

	if (text == NULL)
		return FALSE;
	if (strlen(text) != len || !(g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) ||
	    !g_ascii_string_to_unsigned(text + 2, 16, 0, max, &v, NULL))
		return hiod_sysfs_refuse(ctx, rel, text, error,
					 "a hex number of at most 0x%" G_GINT64_MODIFIER "x", max);
	*value = v;
	return TRUE;
}

gboolean
hiod_sysfs_read_int(HiodContext *ctx, const gchar *rel, gint64 min, gint64 max, gint64 *value,
		    GError **error)
{
	gsize len = 0;
	g_autofree gchar *text = hiod_sysfs_read_text(ctx, rel, &len, error);
	gint64 v = 0;

	if (text == NULL)
		return FALSE;
	/* decimal as the kernel prints it: no '+', no space, no NUL, nothing after it */
	if (strlen(text) != len || text[0] == '+' ||
	    !g_ascii_string_to_signed(text, 10, min, max, &v, NULL))
		return hiod_sysfs_refuse(ctx, rel, text, error,
					 "a decimal number from %" G_GINT64_FORMAT
					 " to %" G_GINT64_FORMAT,
					 min, max);
	*value = v;
	return TRUE;
}

gchar *
hiod_sysfs_read_link(HiodContext *ctx, const gchar *rel, GError **error)
{
	g_autofree gchar *full = hiod_context_build_sysfs_path(ctx, rel, NULL);
	g_autoptr(GError) error_local = NULL;
	gchar *target = g_file_read_link(full, &error_local);

	if (target == NULL)
		g_set_error(error, HIOD_ERROR, hiod_sysfs_error_code(error_local), "%s",
			    error_local->message);
	return target;
}

gchar *
hiod_sysfs_read_link_name(HiodContext *ctx, const gchar *rel, GError **error)
{
	g_autofree gchar *target = hiod_sysfs_read_link(ctx, rel, error);
	return target != NULL ? g_path_get_basename(target) : NULL;
}

static gint
hiod_sysfs_compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

GPtrArray *
hiod_sysfs_list(HiodContext *ctx, const gchar *rel, GError **error)
{
	g_autofree gchar *full = hiod_context_build_sysfs_path(ctx, rel, NULL);
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GDir) d = g_dir_open(full, 0, &error_local);
	GPtrArray *names;
	const gchar *name;

	if (d == NULL) {
		g_set_error(error, HIOD_ERROR, hiod_sysfs_error_code(error_local), "%s",
			    error_local->message);
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, hiod_sysfs_compare_names);
	return names;
}

gboolean
hiod_sysfs_read_iommu_group(HiodContext *ctx, const gchar *rel, gint *group, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *name = hiod_sysfs_read_link_name(ctx, rel, &error_local);
	guint64 v = 0;

	if (name == NULL) {
		if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_FOUND)) {
			*group = -1; /* no IOMMU */
			return TRUE;
		}
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	/* decimal as the kernel names groups: no sign, no leading zero, fits a gint */
	if (!g_ascii_string_to_unsigned(name, 10, 0, G_MAXINT, &v, NULL) ||
	    (name[0] == '0' && name[1] != '\0')) {
		g_autofree gchar *full = hiod_context_build_sysfs_path(ctx, rel, NULL);
		g_autofree gchar *shown = g_strescape(name, NULL);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
			    "%s links to '%s': not an IOMMU group number", full, shown);
		return FALSE;
	}
	*group = (gint)v;
	return TRUE;
}

/* @path is @root or below it */
static gboolean
hiod_path_is_below(const gchar *path, const gchar *root)
{
	gsize n = strlen(root);
	if (n > 0 && root[n - 1] == '/')
		n--;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

gchar *
hiod_sysfs_resolve(HiodContext *ctx, const gchar *rel, GError **error)
{
	g_autofree gchar *full = hiod_context_build_sysfs_path(ctx, rel, NULL);
	g_autofree gchar *root = realpath(hiod_context_get_sysfs_root(ctx), NULL);
	g_autofree gchar *real = realpath(full, NULL);

	if (root == NULL || real == NULL) {
		gint errnum = errno;
		g_set_error(error, HIOD_ERROR,
			    errnum == ENOENT ? HIOD_ERROR_NOT_FOUND : HIOD_ERROR_IO,
			    "cannot resolve %s: %s", full, g_strerror(errnum));
		return NULL;
	}
	if (!hiod_path_is_below(real, root)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
			    "%s leads to %s, outside sysfs (%s): refused", full, real, root);
		return NULL;
	}
	return g_steal_pointer(&real);
}

/* writing ------------------------------------------------------------------------- */

gboolean
hiod_sysfs_write(HiodContext *ctx, const gchar *rel, const gchar *value, GError **error)
{
	g_autofree gchar *path = hiod_context_build_sysfs_path(ctx, rel, NULL);
	g_autofree gchar *parent = g_path_get_dirname(rel);
	g_autofree gchar *dir = NULL;
	g_autofree gchar *shown = g_strescape(value, NULL);
	gboolean ok;
	gint fd;

	/* the directory must be inside sysfs, and the attribute itself no link */
	dir = hiod_sysfs_resolve(ctx, parent, error);
	if (dir == NULL) {
		g_prefix_error(error, "writing '%s' to %s: ", shown, path);
		return FALSE;
	}
	fd = hiod_kernel_open(ctx, path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, error);
	if (fd < 0) {
		g_prefix_error(error, "writing '%s': ", shown);
		return FALSE;
	}
	ok = hiod_kernel_write(ctx, fd, value, strlen(value), error);
	hiod_kernel_close(ctx, fd);
	if (!ok)
		g_prefix_error(error, "writing '%s' to %s: ", shown, path);
	return ok;
}

/* interrupt remapping ----------------------------------------------------------- */

/* Whether any interrupt is remapped: x86 names remapped IRQ chips "IR-..."
 * (IR-IO-APIC, IR-PCI-MSIX-<dev>) in /sys/kernel/irq/N/chip_name. */
static gboolean
hiod_sysfs_irqs_remapped(HiodContext *ctx, gboolean *known)
{
	g_autoptr(GPtrArray) irqs = hiod_sysfs_list(ctx, "kernel/irq", NULL);

	*known = irqs != NULL;
	for (guint i = 0; irqs != NULL && i < irqs->len; i++) {
		g_autofree gchar *rel = g_build_filename("kernel", "irq",
							 (const gchar *)irqs->pdata[i], "chip_name", NULL);
		g_autofree gchar *chip = hiod_sysfs_read(ctx, rel, NULL);
		if (chip != NULL && g_str_has_prefix(chip, "IR-"))
			return TRUE;
	}
	return FALSE;
}

/* The IOMMU that translates for the device at sysfs @device_rel: the basename of
 * its "iommu" link (/sys/devices/virtual/iommu/dmar0, .../virtio0), the name
 * /sys/class/iommu lists it under; NULL when it has none. */
static gchar *
hiod_sysfs_device_iommu(HiodContext *ctx, const gchar *device_rel)
{
	g_autofree gchar *rel = g_build_filename(device_rel, "iommu", NULL);
	g_autofree gchar *name = hiod_sysfs_read_link_name(ctx, rel, NULL);
	return name != NULL ? g_strescape(name, NULL) : NULL;
}

/* The IOMMU of @address, or of IOMMU group @group's devices (one IOMMU
 * translates for a whole group): NULL when sysfs does not say. */
static gchar *
hiod_sysfs_own_iommu(HiodContext *ctx, gint group, const gchar *address)
{
	g_autofree gchar *gid = NULL;
	g_autofree gchar *dir = NULL;
	g_autoptr(GPtrArray) names = NULL;

	if (address != NULL) {
		g_autofree gchar *rel = g_build_filename("bus", "pci", "devices", address, NULL);
		return hiod_sysfs_device_iommu(ctx, rel);
	}
	if (group < 0)
		return NULL;
	gid = g_strdup_printf("%d", group);
	dir = g_build_filename("kernel", "iommu_groups", gid, "devices", NULL);
	names = hiod_sysfs_list(ctx, dir, NULL);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		g_autofree gchar *rel = g_build_filename("kernel", "iommu_groups", gid, "devices",
							 (const gchar *)names->pdata[i], NULL);
		gchar *iommu = hiod_sysfs_device_iommu(ctx, rel);
		if (iommu != NULL)
			return iommu;
	}
	return NULL;
}

/* "dmar0, virtio0": the host's IOMMUs as /sys/class/iommu lists them (when the
 * device's own is not known) */
static gchar *
hiod_sysfs_list_iommus(HiodContext *ctx)
{
	g_autoptr(GPtrArray) names = hiod_sysfs_list(ctx, "class/iommu", NULL);
	g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; names != NULL && i < names->len; i++)
		g_ptr_array_add(shown, g_strescape(names->pdata[i], NULL));
	if (shown->len == 0)
		return NULL;
	g_ptr_array_add(shown, NULL);
	return g_strjoinv(", ", (gchar **)shown->pdata);
}

void
hiod_sysfs_explain_unsafe_interrupts(HiodContext *ctx, gint group, const gchar *address,
				     const gchar *module, GError *error)
{
	g_autofree gchar *param_rel =
	    g_build_filename("module", module, "parameters", "allow_unsafe_interrupts", NULL);
	g_autofree gchar *param = hiod_sysfs_read(ctx, param_rel, NULL);
	g_autofree gchar *iommus = NULL;
	g_autofree gchar *why = NULL;
	gboolean known = FALSE;
	gchar *old;

	if (error == NULL)
		return;
	/* already allowed: the EPERM has another cause */
	if (param != NULL && (g_strcmp0(param, "Y") == 0 || g_strcmp0(param, "1") == 0))
		return;
	/* interrupts are remapped: MSIs are isolated, so it is not that */
	if (hiod_sysfs_irqs_remapped(ctx, &known))
		return;
	/* the device's own IOMMU; else every IOMMU there is, and none at all (a
	 * no-IOMMU group needs CAP_SYS_RAWIO): not that either */
	iommus = hiod_sysfs_own_iommu(ctx, group, address);
	if (iommus == NULL)
		iommus = hiod_sysfs_list_iommus(ctx);
	if (iommus == NULL)
		return;
	why = g_strdup_printf(
	    "; most likely the host IOMMU (%s) offers no interrupt remapping (MSI isolation)%s: "
	    "then the kernel refuses to give a device to userspace, because its DMA could "
	    "raise arbitrary host interrupts. To allow it anyway (unsafe: a device, or a guest "
	    "driving it, can inject interrupts into the host; for trusted devices only) boot with "
	    "iommufd.allow_unsafe_interrupts=1 (iommufd) and "
	    "vfio_iommu_type1.allow_unsafe_interrupts=1 (legacy VFIO), or write 1 to "
	    "/sys/module/%s/parameters/allow_unsafe_interrupts",
	    iommus, known ? " (no interrupt in /sys/kernel/irq is remapped)" : "", module);
	old = error->message;
	error->message = g_strconcat(old, why, NULL);
	g_free(old);
}

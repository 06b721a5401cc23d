/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Explicit driver binding: hiod_pci_bind_vfio() and hiod_pci_unbind_vfio()
 * (declared in hiod-vfio-device.h), the way an administrator binds a PCI
 * device to vfio-pci (driver_override, unbind, drivers_probe), with the
 * rollback when the bind fails. Every write goes through hiod_sysfs_write().
 * Nothing in hiod calls these implicitly.
 */
#include "config.h"

#include <stdarg.h>

#include "hiod-context-private.h"
#include "hiod-error.h"
#include "hiod-pci-device-info.h"
#include "hiod-sysfs-private.h"
#include "hiod-vfio-device.h"

/* a sysfs attribute below bus/pci: through hiod_sysfs_write (the kernel
 * chokepoint, O_NOFOLLOW, inside the sysfs root) */
static gboolean
hiod_pci_sysfs_write(HiodContext *ctx, const gchar *value, GError **error, const gchar *first, ...)
{
	g_autoptr(GPtrArray) parts = g_ptr_array_new();
	g_autofree gchar *rel = NULL;
	va_list args;

	va_start(args, first);
	for (const gchar *p = first; p != NULL; p = va_arg(args, const gchar *))
		g_ptr_array_add(parts, (gpointer)p);
	va_end(args);
	g_ptr_array_add(parts, NULL);
	rel = g_build_filenamev((gchar **)parts->pdata);
	return hiod_sysfs_write(ctx, rel, value, error);
}

static HiodPciDeviceInfo *
hiod_pci_lookup(HiodContext *ctx, const gchar *address, gchar **normalized, GError **error)
{
	if (address == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "no device given");
		return NULL;
	}
	if (!hiod_pci_address_normalize(address, normalized, error))
		return NULL;
	return hiod_pci_device_info_new(ctx, *normalized, error);
}

static void G_GNUC_PRINTF(2, 3)
hiod_error_append(GError *error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *more = NULL;
	gchar *old = error->message;
	va_start(args, format);
	more = g_strdup_vprintf(format, args);
	va_end(args);
	error->message = g_strconcat(old, more, NULL);
	g_free(old);
}

/*
 * Puts a failed bind back: driver_override as it was, and the previous
 * driver bound again. Says in @error what was done, or what is left and how
 * to fix it.
 */
static void
hiod_pci_bind_rollback(HiodContext *ctx, const gchar *bdf, const gchar *old_driver,
		       const gchar *old_override, gboolean unbound, GError *error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *override_value =
	    old_override != NULL ? g_strdup_printf("%s\n", old_override) : g_strdup("\n");
	g_autoptr(HiodPciDeviceInfo) now = NULL;
	const gchar *shown_override = old_override != NULL ? old_override : "(none)";

	if (!hiod_pci_sysfs_write(ctx, override_value, &error_local, "bus", "pci", "devices", bdf,
				  "driver_override", NULL)) {
		hiod_error_append(error,
				  "; restoring driver_override to %s failed too (%s): restore it with "
				  "echo '%s' > /sys/bus/pci/devices/%s/driver_override",
				  shown_override, error_local->message,
				  old_override != NULL ? old_override : "", bdf);
		if (unbound)
			hiod_error_append(error,
					  "; %s is left WITHOUT A DRIVER: echo %s > "
					  "/sys/bus/pci/drivers/%s/bind",
					  bdf, bdf, old_driver);
		return;
	}
	if (!unbound) {
		hiod_error_append(error, "; rolled back: driver_override restored to %s",
				  shown_override);
		return;
	}
	/* bind only a device that has no driver now */
	now = hiod_pci_device_info_new(ctx, bdf, NULL);
	if (now != NULL && hiod_pci_device_info_get_driver(now) != NULL) {
		hiod_error_append(error, "; driver_override restored to %s; %s is bound to %s now",
				  shown_override, bdf, hiod_pci_device_info_get_driver(now));
		return;
	}
	if (!hiod_pci_sysfs_write(ctx, bdf, &error_local, "bus", "pci", "drivers", old_driver, "bind",
				  NULL)) {
		hiod_error_append(error,
				  "; driver_override restored to %s, but %s is left WITHOUT A DRIVER: "
				  "binding it back to %s failed (%s); to restore it: echo %s > "
				  "/sys/bus/pci/drivers/%s/bind",
				  shown_override, bdf, old_driver, error_local->message, bdf,
				  old_driver);
		return;
	}
	hiod_error_append(error, "; rolled back: driver_override restored to %s and %s bound to %s again",
			  shown_override, bdf, old_driver);
}

/**
 * hiod_pci_bind_vfio:
 * @ctx: a #HiodContext
 * @address: a PCI address ("0000:00:04.0")
 * @error: return location for a #GError
 *
 * Binds the device to vfio-pci the way an administrator would: unbinds its
 * current driver, sets driver_override to vfio-pci and asks the PCI core to
 * probe it. Needs root. Nothing in hiod does this implicitly. A device
 * already bound to vfio-pci is left as it is. When the bind fails after the
 * driver was unbound, driver_override is put back as it was and the previous
 * driver bound again; the error says so (or what is left and how to fix it).
 *
 * Returns: %TRUE when the device ends up bound to vfio-pci
 *
 * Since: 0.1
 */
gboolean
hiod_pci_bind_vfio(HiodContext *ctx, const gchar *address, GError **error)
{
	g_autofree gchar *bdf = NULL;
	g_autofree gchar *override_rel = NULL;
	g_autofree gchar *old_override = NULL;
	g_autofree gchar *old_driver = NULL;
	g_autoptr(HiodPciDeviceInfo) info = NULL;
	g_autoptr(HiodPciDeviceInfo) after = NULL;
	g_autoptr(GError) error_local = NULL;
	gboolean unbound = FALSE;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), FALSE);
	info = hiod_pci_lookup(ctx, address, &bdf, error);
	if (info == NULL)
		return FALSE;
	if (hiod_pci_device_info_is_vfio_bound(info))
		return TRUE;
	old_driver = g_strdup(hiod_pci_device_info_get_driver(info));
	if (old_driver != NULL &&
	    (g_strcmp0(old_driver, ".") == 0 || g_strcmp0(old_driver, "..") == 0)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO,
			    "binding %s to vfio-pci: its driver link names '%s', not a driver", bdf,
			    old_driver);
		return FALSE;
	}
	/* what to put back if the bind fails: "(null)" is no override */
	override_rel = g_build_filename("bus", "pci", "devices", bdf, "driver_override", NULL);
	old_override = hiod_sysfs_read(ctx, override_rel, error);
	if (old_override == NULL) {
		g_prefix_error(error, "binding %s to vfio-pci: reading driver_override: ", bdf);
		return FALSE;
	}
	if (g_strcmp0(old_override, "(null)") == 0 || old_override[0] == '\0')
		g_clear_pointer(&old_override, g_free);

	if (old_driver != NULL &&
	    !hiod_pci_sysfs_write(ctx, bdf, error, "bus", "pci", "devices", bdf, "driver", "unbind", NULL)) {
		g_prefix_error(error, "binding %s to vfio-pci: unbinding %s: ", bdf, old_driver);
		return FALSE;
	}
	unbound = old_driver != NULL;
	if (!hiod_pci_sysfs_write(ctx, "vfio-pci", &error_local, "bus", "pci", "devices", bdf,
				  "driver_override", NULL) ||
	    !hiod_pci_sysfs_write(ctx, bdf, &error_local, "bus", "pci", "drivers_probe", NULL)) {
		hiod_pci_bind_rollback(ctx, bdf, old_driver, old_override, unbound, error_local);
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "binding %s to vfio-pci: ", bdf);
		return FALSE;
	}
	after = hiod_pci_device_info_new(ctx, bdf, &error_local);
	if (after != NULL && !hiod_pci_device_info_is_vfio_bound(after))
		g_set_error(&error_local, HIOD_ERROR, HIOD_ERROR_FAILED,
			    "vfio-pci did not take it (an IOMMU group is needed; the kernel log says "
			    "why)");
	if (error_local != NULL) {
		hiod_pci_bind_rollback(ctx, bdf, old_driver, old_override, unbound, error_local);
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local),
					   "binding %s to vfio-pci: ", bdf);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_pci_unbind_vfio:
 * @ctx: a #HiodContext
 * @address: a PCI address ("0000:00:04.0")
 * @error: return location for a #GError
 *
 * Unbinds the device from vfio-pci and clears driver_override, so that it
 * is left without a driver (or to the driver a later probe picks). A device
 * bound to another driver is refused (%HIOD_ERROR_INVALID_STATE); one without
 * a driver only has driver_override cleared.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_pci_unbind_vfio(HiodContext *ctx, const gchar *address, GError **error)
{
	g_autofree gchar *bdf = NULL;
	g_autoptr(HiodPciDeviceInfo) info = NULL;
	const gchar *driver;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), FALSE);
	info = hiod_pci_lookup(ctx, address, &bdf, error);
	if (info == NULL)
		return FALSE;
	driver = hiod_pci_device_info_get_driver(info);
	if (driver != NULL && !hiod_pci_device_info_is_vfio_bound(info)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s is bound to %s, not vfio-pci: left alone", bdf, driver);
		return FALSE;
	}
	if (driver != NULL &&
	    !hiod_pci_sysfs_write(ctx, bdf, error, "bus", "pci", "devices", bdf, "driver", "unbind", NULL)) {
		g_prefix_error(error, "unbinding %s from vfio-pci: ", bdf);
		return FALSE;
	}
	if (!hiod_pci_sysfs_write(ctx, "\n", error, "bus", "pci", "devices", bdf, "driver_override", NULL)) {
		g_prefix_error(error, "unbinding %s from vfio-pci: clearing driver_override: ", bdf);
		return FALSE;
	}
	return TRUE;
}

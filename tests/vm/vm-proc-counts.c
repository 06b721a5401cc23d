/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "vm-proc-counts.h"

/* fds open in this process */
guint
vm_count_proc_fds(void)
{
	g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
	guint n = 0;
	g_assert_nonnull(d);
	while (g_dir_read_name(d) != NULL)
		n++;
	return n;
}

/* eventfds open in this process: their /proc/self/fdinfo has an eventfd-count line */
guint
vm_count_eventfds(void)
{
	g_autoptr(GDir) d = g_dir_open("/proc/self/fdinfo", 0, NULL);
	const gchar *name;
	guint n = 0;
	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename("/proc/self/fdinfo", name, NULL);
		g_autofree gchar *text = NULL;
		if (g_file_get_contents(path, &text, NULL, NULL) && strstr(text, "\neventfd-count:") != NULL)
			n++;
	}
	return n;
}

/* lines of /proc/self/maps that map a VFIO device (its regions) */
guint
vm_count_vfio_maps(void)
{
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	guint n = 0;
	g_assert_true(g_file_get_contents("/proc/self/maps", &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		if (strstr(lines[i], "vfio") != NULL)
			n++;
	return n;
}

/* /proc/interrupts lines of vfio's handlers for @bdf ("vfio-intx(BDF)",
 * "vfio-msi[0](BDF)", "vfio-msix[1](BDF)") whose name starts with @kind
 * ("vfio-msix[1]"; %NULL: any) */
guint
vm_count_vfio_irqs(const gchar *bdf, const gchar *kind)
{
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree gchar *want = g_strdup_printf("(%s)", bdf);
	guint n = 0;

	g_assert_true(g_file_get_contents("/proc/interrupts", &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *v = strstr(lines[i], "vfio-");
		if (v != NULL && strstr(v, want) != NULL && (kind == NULL || g_str_has_prefix(v, kind)))
			n++;
	}
	return n;
}

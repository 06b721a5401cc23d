/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a guest test counts in /proc to prove that nothing is left behind:
 * this process's fds, eventfds and VFIO mappings, and vfio's interrupt
 * handlers for a device.
 */
#pragma once

#include <glib.h>

guint vm_count_proc_fds(void);
guint vm_count_eventfds(void);
guint vm_count_vfio_maps(void);
guint vm_count_vfio_irqs(const gchar *bdf, const gchar *kind);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The protected API: what a backend implementation (a HiodContainer or
 * HiodHostIommuDevice subclass) needs of its base classes, and nothing a
 * user of the library calls.
 *
 * Decision (issue 15): this header is not installed and its functions are
 * not exported from libhiod.so. A backend reaches the kernel only through
 * the private chokepoint (hiod-kernel-private.h), which is not installed
 * either, so a backend is always in-tree: its own files in src/, a line in
 * the factory (hiod-container-factory.c) and in src/meson.build. The class
 * structures stay in the public headers (GObject-Introspection and the
 * vfunc documentation need them), but a subclass outside the library has
 * no setters to record what it probed. In-tree test doubles (tests/unit,
 * tests/vm, bench) link the internal static library and include this
 * header. See docs/backend-api.md.
 *
 * Threads: as the class each function belongs to (setters: from the
 * class's own setup/realize, under the caller's lock).
 */
#pragma once

#include "config.h"

#include "hiod-container.h"
#include "hiod-host-iommu-device.h"
#if HIOD_HAVE_LEGACY_VFIO
#include "hiod-legacy-container.h"
#endif
#if HIOD_HAVE_IOMMUFD
#include "hiod-host-iommu-device-iommufd.h"
#include "hiod-iommufd-backend.h"
#include "hiod-iommufd-container.h"
#endif

G_BEGIN_DECLS

/* HiodContainer, for subclasses ----------------------------------------------- */

/* Runs the class's setup once (attach_device does it for the first device;
 * a backend without VFIO devices, such as vhost-vdpa, calls it when the
 * container is made). Calling it again does nothing. */
gboolean hiod_container_setup(HiodContainer *self, GError **error);
/* From setup: records the usable IOVA ranges (copied; element-type HiodIovaRange, sorted). */
void hiod_container_set_iova_ranges(HiodContainer *self, GPtrArray *ranges);
/* From setup: records the supported page sizes. */
void hiod_container_set_page_size_mask(HiodContainer *self, guint64 mask);
/* From setup: records the most mappings the backend allows (0: no limit). */
void hiod_container_set_max_mappings(HiodContainer *self, guint max_mappings);
/* From setup: records whether the IOMMU can track dirty pages. */
void hiod_container_set_dirty_tracking_supported(HiodContainer *self, gboolean supported);

/* HiodHostIommuDevice, for subclasses, inside realize ------------------------- */

void hiod_host_iommu_device_set_caps(HiodHostIommuDevice *self, HiodHostIommuCaps *caps);

#if HIOD_HAVE_IOMMUFD
/* HiodIommufdBackend and HiodIommufdContainer, for a live update ------------------ */

/* A backend on an iommufd handed over by another process: it closes the fd. */
HiodIommufdBackend *hiod_iommufd_backend_new_taking_fd(HiodContext *ctx, gint fd, GError **error);
typedef struct {
	guint32 id;
	guint32 flags; /* HiodHwptAllocFlags */
	gboolean autodomain;
} HiodIommufdHwptState;
/* Hand-off mode: the kernel objects belong to another process (or will): a
 * map is already there (nothing asked), an unmap leaves it, a detach or the
 * release destroys nothing and only closes this process's fds. */
void hiod_iommufd_container_set_handoff(HiodIommufdContainer *self, gboolean handoff);
/* Whether a section was mapped by address (no file, or IOMMU_IOAS_MAP_FILE
 * refused) since the container last held no mapping. */
gboolean hiod_iommufd_container_get_mapped_by_address(HiodIommufdContainer *self);
/* Adoption: the IOAS and HWPTs exist (ids from the document); connects the
 * backend and enters hand-off mode. */
gboolean hiod_iommufd_container_set_incoming(HiodIommufdContainer *self, guint32 ioas_id,
					     const HiodIommufdHwptState *hwpts, guint n_hwpts,
					     GError **error);
/* The cdev fd (bound, attached to @hwpt_id) of device @name; the container takes it. */
void hiod_iommufd_container_add_incoming(HiodIommufdContainer *self, const gchar *name, gint fd,
					 guint32 devid, guint32 hwpt_id);
/* Ends adoption: closes fds not taken, leaves hand-off mode; how many were left. */
guint hiod_iommufd_container_finish_incoming(HiodIommufdContainer *self);

void hiod_host_iommu_device_iommufd_set_ids(HiodHostIommuDeviceIommufd *self,
					    HiodIommufdBackend *backend, guint32 devid,
					    guint32 hwpt_id);
#endif

/* HiodLegacyContainer, for subclasses (sPAPR) and the factory ------------------ */

#if HIOD_HAVE_LEGACY_VFIO
/* The container fd (-1 until a device is attached). */
gint hiod_legacy_container_get_fd(HiodLegacyContainer *self);
/* The fd of group @group_id in this container, or -1. */
gint hiod_legacy_container_get_group_fd(HiodLegacyContainer *self, gint group_id);
/* VFIO_CHECK_EXTENSION on the container fd. */
gboolean hiod_legacy_container_check_extension(HiodLegacyContainer *self, guint32 extension);
/* Opens a VFIO container and asks which IOMMU types it offers (the factory's legacy choice). */
gboolean hiod_legacy_container_probe_types(HiodContext *ctx, gboolean *has_type1,
					   gboolean *has_spapr, GError **error);
#endif

G_END_DECLS

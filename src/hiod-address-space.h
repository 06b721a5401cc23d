/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib-object.h>
#include "hiod-container.h"
#include "hiod-context.h"
#include "hiod-vfio-device.h"
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HiodMemoryRegion:
 * @vaddr: where the process mapped it
 * @size: bytes mapped
 * @fd: the file (a memfd) the mapping shows, owned by the caller
 * @offset: the file offset at @vaddr
 *
 * Guest memory a process mapped from a file (a memfd): for
 * hiod_address_space_add_memory() (an iommufd container then maps it with
 * IOMMU_IOAS_MAP_FILE) and for a live update (the old process says which
 * file backs its sections, the new one where it mapped the same file).
 *
 * Since: 0.1
 */
typedef struct {
	gpointer vaddr;
	guint64 size;
	gint fd;
	guint64 offset;
} HiodMemoryRegion;

#define HIOD_TYPE_ADDRESS_SPACE (hiod_address_space_get_type())
HIOD_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE(HiodAddressSpace, hiod_address_space, HIOD, ADDRESS_SPACE, GObject)

HIOD_AVAILABLE_IN_0_1
HiodAddressSpace *hiod_address_space_new(HiodContext *ctx);
HIOD_AVAILABLE_IN_0_1
HiodContext *hiod_address_space_get_context(HiodAddressSpace *self);

/* members: every container mirrors every section */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_address_space_add_container(HiodAddressSpace *self, HiodContainer *container,
					  GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_address_space_remove_container(HiodAddressSpace *self, HiodContainer *container);
HIOD_AVAILABLE_IN_0_1
GPtrArray *hiod_address_space_get_containers(HiodAddressSpace *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_address_space_has_container(HiodAddressSpace *self, HiodContainer *container);

/* the guest memory map */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_address_space_add_section(HiodAddressSpace *self, guint64 iova, guint64 size,
					gpointer vaddr, HiodDmaFlags flags, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_address_space_remove_section(HiodAddressSpace *self, guint64 iova, guint64 size,
					   GError **error);
HIOD_AVAILABLE_IN_0_1
guint hiod_address_space_get_n_sections(HiodAddressSpace *self);
/* touching sections as one kernel mapping (a mapping limit's way out) */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_address_space_set_coalesce(HiodAddressSpace *self, gboolean coalesce, GError **error);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_address_space_get_coalesce(HiodAddressSpace *self);
/* guest memory from files (memfd): iommufd maps it with IOMMU_IOAS_MAP_FILE */
HIOD_AVAILABLE_IN_0_1
gboolean hiod_address_space_add_memory(HiodAddressSpace *self, const HiodMemoryRegion *region,
				       GError **error);
HIOD_AVAILABLE_IN_0_1
GArray *hiod_address_space_get_memory(HiodAddressSpace *self);
HIOD_AVAILABLE_IN_0_1
gboolean hiod_address_space_lookup(HiodAddressSpace *self, guint64 iova, guint64 *section_iova,
				   guint64 *section_size, gpointer *vaddr, HiodDmaFlags *flags);

/* the attach flow: find or make a container of @kind in this space, attach,
 * replay the sections, realize the host IOMMU device */
HIOD_AVAILABLE_IN_0_1
HiodContainer *hiod_address_space_attach_device(HiodAddressSpace *self, HiodVfioDevice *device,
						HiodBackendKind kind, guint64 viommu_flags,
						GError **error);
HIOD_AVAILABLE_IN_0_1
void hiod_address_space_detach_device(HiodAddressSpace *self, HiodVfioDevice *device);

G_END_DECLS

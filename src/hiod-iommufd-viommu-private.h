/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the vIOMMU object files share (not installed). */
#pragma once

#include "hiod-iommufd-hw-queue.h"
#include "hiod-iommufd-vdevice.h"
#include "hiod-iommufd-veventq.h"
#include "hiod-iommufd-viommu.h"

G_BEGIN_DECLS

/* TRUE while the vIOMMU exists in the kernel; an INVALID_STATE error once destroyed. */
gboolean hiod_iommufd_viommu_check(HiodIommufdViommu *self, GError **error);
/* IOMMU_DESTROY of @id (0: nothing), a failure only logged (for finalize). */
void hiod_iommufd_object_destroy_quietly(HiodIommufdBackend *be, guint32 id, const gchar *what);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --viommu specs ("intel-iommu,aw-bits=48,x-flts=on", "virtio-iommu,..."):
 * hiod_viommu_new_from_spec(). A refusal says why. */
#include "config.h"

#include <stdlib.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t len)
{
	g_autofree gchar *s = g_strndup((const gchar *)data, len);
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodViommu) viommu = hiod_viommu_new_from_spec(s, &error);

	if (viommu == NULL && error == NULL)
		abort();
	if (viommu != NULL)
		hiod_viommu_get_viommu_flags(viommu);
	return 0;
}

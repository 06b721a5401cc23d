/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VFIO type1 kernel replies: group status, VFIO_IOMMU_GET_INFO and its
 * capability chain (argsz growth, IOVA ranges, migration, DMA avail), device
 * and region info, hot-reset info, dirty pages; through attach, map, dirty
 * tracking, hot reset and detach. */
#include "config.h"

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
	FuzzKernel fk;
	fuzz_kernel_init(&fk, data, len, FALSE);
	fuzz_vfio_device_run(&fk, HIOD_BACKEND_KIND_LEGACY);
	fuzz_kernel_finish(&fk);
	return 0;
}

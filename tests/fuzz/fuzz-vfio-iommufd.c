/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The iommufd and VFIO cdev kernel replies: bind (device id), IOAS and HWPT
 * ids, IOMMU_GET_HW_INFO (type, capabilities, VT-d data), IOMMU_IOAS_IOVA_RANGES
 * (EMSGSIZE growth), device and region info, hot-reset info (device ids); through
 * attach, map, dirty tracking, hot reset and detach. */
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
	fuzz_vfio_device_run(&fk, HIOD_BACKEND_KIND_IOMMUFD);
	fuzz_kernel_finish(&fk);
	return 0;
}

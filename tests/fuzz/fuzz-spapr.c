/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sPAPR TCE kernel replies: VFIO_IOMMU_SPAPR_TCE_GET_INFO (default window,
 * DDW page sizes, windows, levels) and the window VFIO_IOMMU_SPAPR_TCE_CREATE
 * places; with group status, device, region and hot-reset info; through attach,
 * map (window planning, pre-registration), hot reset and detach. */
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
	fuzz_kernel_init(&fk, data, len, TRUE);
	fuzz_vfio_device_run(&fk, HIOD_BACKEND_KIND_SPAPR);
	fuzz_kernel_finish(&fk);
	return 0;
}

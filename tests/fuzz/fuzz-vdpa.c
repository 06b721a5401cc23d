/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vhost-vdpa kernel replies: VHOST_VDPA_GET_DEVICE_ID, the backend
 * features offered, VHOST_VDPA_GET_IOVA_RANGE; through open, the container
 * (IOTLB messages), the host IOMMU device, a map and an unmap. */
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
	{
		g_autoptr(HiodVdpaDevice) dev = hiod_vdpa_device_new(fk.ctx, "vdpa0", NULL);
		g_autoptr(HiodContainer) c = NULL;
		if (dev != NULL)
			c = hiod_vdpa_container_new(dev, NULL);
		if (c != NULL) {
			fuzz_exercise_container(c, NULL, hiod_vdpa_device_get_host_iommu_device(dev, NULL));
			hiod_container_release(c);
		}
	}
	fuzz_kernel_finish(&fk);
	return 0;
}

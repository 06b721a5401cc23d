/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hiod writes its kernel ABI down (src/hiod-uapi-private.h). This test checks
 * every struct size, member offset and ioctl number against the kernel's own
 * UAPI headers when they are available: the test kernel's (make
 * headers_install, passed with -Dkernel_uapi_headers) or the build host's.
 */
#include "config.h"

#include <stddef.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

#if __has_include(<linux/vfio.h>)
#include <linux/vfio.h>
#define HAVE_VFIO_H 1
#endif
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#define HAVE_IOMMUFD_H 1
#endif
#if __has_include(<linux/vhost.h>)
#include <linux/vhost.h>
#define HAVE_VHOST_H 1
#endif

static guint checks;
/* Exact against the 6.12 headers; against an older kernel's headers ours may
 * be longer where a later kernel grew the struct (argsz covers that). */
static gboolean exact;

#define SAME_SIZE(ours, theirs)                                                                    \
	do {                                                                                       \
		if (exact)                                                                         \
			g_assert_cmpuint(sizeof(struct ours), ==, sizeof(struct theirs));         \
		else                                                                               \
			g_assert_cmpuint(sizeof(struct ours), >=, sizeof(struct theirs));         \
		checks++;                                                                          \
	} while (0)
#define SAME_OFF(ours, theirs, m)                                                                  \
	do {                                                                                       \
		g_assert_cmpuint(offsetof(struct ours, m), ==, offsetof(struct theirs, m));       \
		checks++;                                                                          \
	} while (0)
#define SAME_NUM(a, b)                                                                             \
	do {                                                                                       \
		g_assert_cmphex((gulong)(a), ==, (gulong)(b));                                     \
		checks++;                                                                          \
	} while (0)

static void
test_fixed(void)
{
	/* facts from the 6.12 fact sheet, checked whatever headers exist */
	g_assert_cmpuint(sizeof(struct hiod_iommu_hwpt_alloc), ==, 48);
	g_assert_cmpuint(sizeof(struct hiod_iommu_hw_info), ==, 40);
	g_assert_cmpuint(offsetof(struct hiod_iommu_hw_info, out_max_pasid_log2), ==, 28);
	g_assert_cmpuint(sizeof(struct hiod_iommu_test_cmd), ==, 72);
	g_assert_cmpuint(offsetof(struct hiod_iommu_test_cmd, last), ==, 64);
	g_assert_cmpuint(offsetof(struct hiod_iommu_test_cmd, dirty.out_nr_dirty), ==, 56);
	g_assert_cmpuint(sizeof(struct hiod_vhost_msg_v2), ==, 72);
	g_assert_cmpuint(sizeof(struct hiod_vhost_iotlb_msg), ==, 32);
	g_assert_cmpuint(sizeof(struct hiod_vfio_iommu_spapr_tce_create), ==, 40);
	g_assert_cmpuint(sizeof(struct hiod_vfio_iommu_spapr_tce_info), ==, 32);
	g_assert_cmpuint(sizeof(struct hiod_vfio_pci_dependent_device), ==, 8);
	g_assert_cmphex(HIOD_IOMMU_IOAS_ALLOC, ==, 0x3b81);
	g_assert_cmphex(HIOD_IOMMU_TEST_CMD, ==, 0x3ba0);
	g_assert_cmphex(HIOD_VFIO_DEVICE_BIND_IOMMUFD, ==, 0x3b76);
#if defined(__x86_64__)
	g_assert_cmphex(HIOD_VHOST_VDPA_GET_IOVA_RANGE, ==, 0x8010af78);
	g_assert_cmphex(HIOD_VHOST_SET_BACKEND_FEATURES, ==, 0x4008af25);
#endif
}

static void
test_against_kernel_headers(void)
{
	exact = g_getenv("HIOD_REQUIRE_KERNEL_HEADERS") != NULL;
#ifdef HAVE_VFIO_H
	SAME_SIZE(hiod_vfio_group_status, vfio_group_status);
	SAME_SIZE(hiod_vfio_device_info, vfio_device_info);
	SAME_SIZE(hiod_vfio_region_info, vfio_region_info);
	SAME_OFF(hiod_vfio_region_info, vfio_region_info, offset);
	SAME_SIZE(hiod_vfio_irq_info, vfio_irq_info);
	SAME_SIZE(hiod_vfio_irq_set, vfio_irq_set);
	SAME_SIZE(hiod_vfio_iommu_type1_info, vfio_iommu_type1_info);
	SAME_OFF(hiod_vfio_iommu_type1_info, vfio_iommu_type1_info, cap_offset);
	SAME_SIZE(hiod_vfio_iommu_type1_info_cap_migration, vfio_iommu_type1_info_cap_migration);
	SAME_OFF(hiod_vfio_iommu_type1_info_cap_migration, vfio_iommu_type1_info_cap_migration,
		 max_dirty_bitmap_size);
	SAME_SIZE(hiod_vfio_iommu_type1_info_dma_avail, vfio_iommu_type1_info_dma_avail);
	SAME_SIZE(hiod_vfio_iommu_type1_info_cap_iova_range, vfio_iommu_type1_info_cap_iova_range);
	SAME_SIZE(hiod_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map);
	SAME_SIZE(hiod_vfio_iommu_type1_dma_unmap, vfio_iommu_type1_dma_unmap);
	SAME_SIZE(hiod_vfio_bitmap, vfio_bitmap);
	SAME_SIZE(hiod_vfio_iommu_type1_dirty_bitmap_get, vfio_iommu_type1_dirty_bitmap_get);
	SAME_SIZE(hiod_vfio_iommu_spapr_tce_info, vfio_iommu_spapr_tce_info);
	SAME_SIZE(hiod_vfio_iommu_spapr_tce_create, vfio_iommu_spapr_tce_create);
	SAME_OFF(hiod_vfio_iommu_spapr_tce_create, vfio_iommu_spapr_tce_create, start_addr);
	SAME_SIZE(hiod_vfio_iommu_spapr_tce_remove, vfio_iommu_spapr_tce_remove);
	SAME_SIZE(hiod_vfio_iommu_spapr_register_memory, vfio_iommu_spapr_register_memory);
	SAME_SIZE(hiod_vfio_pci_hot_reset_info, vfio_pci_hot_reset_info);
	SAME_SIZE(hiod_vfio_pci_hot_reset, vfio_pci_hot_reset);
	SAME_SIZE(hiod_vfio_device_feature, vfio_device_feature);
	SAME_NUM(HIOD_VFIO_GET_API_VERSION, VFIO_GET_API_VERSION);
	SAME_NUM(HIOD_VFIO_SET_IOMMU, VFIO_SET_IOMMU);
	SAME_NUM(HIOD_VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_GET_DEVICE_FD);
	SAME_NUM(HIOD_VFIO_DEVICE_PCI_HOT_RESET, VFIO_DEVICE_PCI_HOT_RESET);
	SAME_NUM(HIOD_VFIO_IOMMU_DIRTY_PAGES, VFIO_IOMMU_DIRTY_PAGES);
	SAME_NUM(HIOD_VFIO_IOMMU_SPAPR_TCE_CREATE, VFIO_IOMMU_SPAPR_TCE_CREATE);
	SAME_NUM(HIOD_VFIO_EEH_PE_OP, VFIO_EEH_PE_OP);
#ifdef VFIO_DEVICE_BIND_IOMMUFD
	SAME_SIZE(hiod_vfio_device_bind_iommufd, vfio_device_bind_iommufd);
	SAME_SIZE(hiod_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt);
	SAME_SIZE(hiod_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt);
	SAME_NUM(HIOD_VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_BIND_IOMMUFD);
	SAME_NUM(HIOD_VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	SAME_NUM(HIOD_VFIO_DEVICE_DETACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT);
#endif
#endif
#ifdef HAVE_IOMMUFD_H
	SAME_SIZE(hiod_iommu_destroy, iommu_destroy);
	SAME_SIZE(hiod_iommu_ioas_alloc, iommu_ioas_alloc);
	SAME_SIZE(hiod_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges);
	SAME_OFF(hiod_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges, out_iova_alignment);
	SAME_SIZE(hiod_iommu_ioas_allow_iovas, iommu_ioas_allow_iovas);
	SAME_SIZE(hiod_iommu_ioas_map, iommu_ioas_map);
	SAME_OFF(hiod_iommu_ioas_map, iommu_ioas_map, iova);
	SAME_SIZE(hiod_iommu_ioas_copy, iommu_ioas_copy);
	SAME_OFF(hiod_iommu_ioas_copy, iommu_ioas_copy, src_iova);
	SAME_SIZE(hiod_iommu_ioas_unmap, iommu_ioas_unmap);
	SAME_SIZE(hiod_iommu_option, iommu_option);
	SAME_SIZE(hiod_iommu_vfio_ioas, iommu_vfio_ioas);
	SAME_NUM(HIOD_IOMMU_DESTROY, IOMMU_DESTROY);
	SAME_NUM(HIOD_IOMMU_IOAS_UNMAP, IOMMU_IOAS_UNMAP);
	SAME_NUM(HIOD_IOMMU_VFIO_IOAS, IOMMU_VFIO_IOAS);
#ifdef IOMMU_HWPT_ALLOC
	SAME_SIZE(hiod_iommu_hwpt_alloc, iommu_hwpt_alloc);
	SAME_OFF(hiod_iommu_hwpt_alloc, iommu_hwpt_alloc, data_uptr);
	SAME_OFF(hiod_iommu_hwpt_alloc, iommu_hwpt_alloc, fault_id);
	SAME_SIZE(hiod_iommu_hw_info, iommu_hw_info);
	SAME_OFF(hiod_iommu_hw_info, iommu_hw_info, out_data_type);
	SAME_OFF(hiod_iommu_hw_info, iommu_hw_info, out_capabilities);
	SAME_SIZE(hiod_iommu_hw_info_vtd, iommu_hw_info_vtd);
	SAME_SIZE(hiod_iommu_hwpt_vtd_s1, iommu_hwpt_vtd_s1);
	SAME_SIZE(hiod_iommu_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking);
	SAME_SIZE(hiod_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap);
	SAME_OFF(hiod_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, data);
	SAME_SIZE(hiod_iommu_hwpt_invalidate, iommu_hwpt_invalidate);
	SAME_OFF(hiod_iommu_hwpt_invalidate, iommu_hwpt_invalidate, entry_num);
	SAME_SIZE(hiod_iommu_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate);
	SAME_SIZE(hiod_iommu_fault_alloc, iommu_fault_alloc);
	SAME_NUM(HIOD_IOMMU_HWPT_ALLOC, IOMMU_HWPT_ALLOC);
	SAME_NUM(HIOD_IOMMU_GET_HW_INFO, IOMMU_GET_HW_INFO);
	SAME_NUM(HIOD_IOMMU_HWPT_INVALIDATE, IOMMU_HWPT_INVALIDATE);
	SAME_NUM(HIOD_IOMMU_FAULT_QUEUE_ALLOC, IOMMU_FAULT_QUEUE_ALLOC);
	SAME_NUM(HIOD_IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	SAME_NUM(HIOD_IOMMU_HW_INFO_TYPE_INTEL_VTD, IOMMU_HW_INFO_TYPE_INTEL_VTD);
#endif
#endif
#ifdef HAVE_VHOST_H
	SAME_SIZE(hiod_vhost_iotlb_msg, vhost_iotlb_msg);
	SAME_SIZE(hiod_vhost_msg_v2, vhost_msg_v2);
	SAME_OFF(hiod_vhost_msg_v2, vhost_msg_v2, iotlb);
	SAME_SIZE(hiod_vhost_vring_addr, vhost_vring_addr);
	SAME_NUM(HIOD_VHOST_SET_OWNER, VHOST_SET_OWNER);
	SAME_NUM(HIOD_VHOST_GET_FEATURES, VHOST_GET_FEATURES);
	SAME_NUM(HIOD_VHOST_SET_VRING_ADDR, VHOST_SET_VRING_ADDR);
	SAME_NUM(HIOD_VHOST_SET_VRING_KICK, VHOST_SET_VRING_KICK);
	SAME_NUM(HIOD_VHOST_SET_BACKEND_FEATURES, VHOST_SET_BACKEND_FEATURES);
	SAME_NUM(HIOD_VHOST_VDPA_GET_IOVA_RANGE, VHOST_VDPA_GET_IOVA_RANGE);
	SAME_NUM(HIOD_VHOST_VDPA_SET_STATUS, VHOST_VDPA_SET_STATUS);
#ifdef VHOST_VDPA_SET_GROUP_ASID
	SAME_NUM(HIOD_VHOST_VDPA_GET_AS_NUM, VHOST_VDPA_GET_AS_NUM);
	SAME_NUM(HIOD_VHOST_VDPA_SET_GROUP_ASID, VHOST_VDPA_SET_GROUP_ASID);
	SAME_NUM(HIOD_VHOST_VDPA_GET_VRING_GROUP, VHOST_VDPA_GET_VRING_GROUP);
#endif
#endif
	g_test_message("%u checks against the kernel's headers", checks);
	if (exact) {
		/* the 6.12 headers were really used: every group of checks ran */
#if !defined(IOMMU_HWPT_INVALIDATE) || !defined(VFIO_DEVICE_BIND_IOMMUFD) || !defined(VHOST_VDPA_SET_GROUP_ASID)
		g_assert_not_reached();
#endif
		g_assert_cmpuint(checks, >=, 80);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/uapi/fixed", test_fixed);
	g_test_add_func("/hiod/uapi/against-kernel-headers", test_against_kernel_headers);
	return g_test_run();
}

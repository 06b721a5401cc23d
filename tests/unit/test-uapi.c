/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hiod writes its kernel ABI down (src/hiod-uapi-private.h). This test checks
 * every struct size, member offset and ioctl number against the kernel's own
 * UAPI headers when they are available: the test kernel's (make
 * headers_install, passed with -Dkernel_uapi_headers) or the build host's.
 *
 * It compiles against the 6.12 headers and against the 7.3 ones (a second
 * build of this file): hiod's structs are 6.12's, so against a newer header
 * a struct the kernel grew is checked as a prefix (same offsets, ours ends
 * where our last member ends), and the members and values hiod decodes from
 * later kernels are checked only where the header has them, recognised by a
 * macro that the same kernel release added.
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
#if __has_include(<linux/version.h>)
#include <linux/version.h>
#endif
#ifndef KERNEL_VERSION
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#endif
#ifndef LINUX_VERSION_CODE
#define LINUX_VERSION_CODE 0
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
/* a struct the kernel grew later: ours is its prefix up to member @last */
#define SAME_PREFIX(ours, theirs, last)                                                            \
	do {                                                                                       \
		g_assert_cmpuint(sizeof(struct ours), ==,                                          \
				 offsetof(struct theirs, last) + sizeof(((struct theirs *)0)->last));    \
		g_assert_cmpuint(sizeof(struct ours), <, sizeof(struct theirs));                  \
		checks++;                                                                          \
	} while (0)
#define SAME_OFF(ours, theirs, m)                                                                  \
	do {                                                                                       \
		g_assert_cmpuint(offsetof(struct ours, m), ==, offsetof(struct theirs, m));       \
		checks++;                                                                          \
	} while (0)
/* a struct hiod writes down whole from a later kernel: exact against any header that has it */
#define EXACT_SIZE(ours, theirs)                                                                   \
	do {                                                                                       \
		g_assert_cmpuint(sizeof(struct ours), ==, sizeof(struct theirs));                 \
		checks++;                                                                          \
	} while (0)
#define EXACT_OFF(ours, theirs, m) SAME_OFF(ours, theirs, m)
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
	g_assert_cmpuint(offsetof(struct hiod_iommu_hw_info, in_data_type), ==, 24);
	g_assert_cmpuint(offsetof(struct hiod_iommu_hw_info, out_data_type), ==, 24);
	g_assert_cmpuint(offsetof(struct hiod_iommu_hw_info, out_capabilities), ==, 32);
	g_assert_cmpuint(sizeof(struct hiod_iommu_hw_info_amd), ==, 16);
	g_assert_cmpuint(sizeof(struct hiod_iommu_hw_info_vtd), ==, 24);
	g_assert_cmpuint(sizeof(struct hiod_iommu_hw_info_arm_smmuv3), ==, 40);
	g_assert_cmpuint(offsetof(struct hiod_iommu_hw_info_arm_smmuv3, idr), ==, 8);
	g_assert_cmpuint(offsetof(struct hiod_iommu_hw_info_arm_smmuv3, aidr), ==, 36);
	g_assert_cmphex(HIOD_IOMMU_HW_INFO_TYPE_AMD, ==, 4);
	g_assert_cmphex(HIOD_IOMMU_HW_QUEUE_ALLOC, ==, 0x3b94);
	/* the vIOMMU objects (7.3's layouts) */
	g_assert_cmpuint(sizeof(struct hiod_iommu_viommu_alloc), ==, 40);
	g_assert_cmpuint(sizeof(struct hiod_iommu_vdevice_alloc), ==, 24);
	g_assert_cmpuint(sizeof(struct hiod_iommu_veventq_alloc), ==, 32);
	g_assert_cmpuint(sizeof(struct hiod_iommu_hw_queue_alloc), ==, 40);
	g_assert_cmpuint(sizeof(struct hiod_iommufd_vevent_header), ==, 8);
	g_assert_cmpuint(sizeof(struct hiod_vfio_device_attach_iommufd_pt_pasid), ==, 16);
	g_assert_cmpuint(sizeof(struct hiod_vfio_device_detach_iommufd_pt_pasid), ==, 12);
	g_assert_cmpuint(offsetof(struct hiod_iommu_test_cmd, pasid.pt_id), ==, 20);
	g_assert_cmpuint(offsetof(struct hiod_iommu_test_cmd, check_dev_cache.cache), ==, 20);
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
	gboolean newer = FALSE;
	exact = g_getenv("HIOD_REQUIRE_KERNEL_HEADERS") != NULL;
#ifdef HAVE_VFIO_H
	SAME_SIZE(hiod_vfio_group_status, vfio_group_status);
	SAME_SIZE(hiod_vfio_device_info, vfio_device_info);
	SAME_SIZE(hiod_vfio_region_info, vfio_region_info);
	SAME_OFF(hiod_vfio_region_info, vfio_region_info, offset);
	SAME_SIZE(hiod_vfio_irq_info, vfio_irq_info);
	SAME_SIZE(hiod_vfio_irq_set, vfio_irq_set);
	SAME_SIZE(hiod_vfio_region_sparse_mmap_area, vfio_region_sparse_mmap_area);
	SAME_SIZE(hiod_vfio_region_info_cap_sparse_mmap, vfio_region_info_cap_sparse_mmap);
	SAME_OFF(hiod_vfio_region_info_cap_sparse_mmap, vfio_region_info_cap_sparse_mmap, areas);
	SAME_SIZE(hiod_vfio_region_info_cap_type, vfio_region_info_cap_type);
	SAME_OFF(hiod_vfio_region_info_cap_type, vfio_region_info_cap_type, subtype);
	SAME_OFF(hiod_vfio_region_info, vfio_region_info, cap_offset);
	/* the type1 live update (issue 16): VFIO_UPDATE_VADDR, both kernels */
	SAME_NUM(HIOD_VFIO_UPDATE_VADDR, VFIO_UPDATE_VADDR);
	SAME_NUM(HIOD_VFIO_UNMAP_ALL, VFIO_UNMAP_ALL);
	SAME_NUM(HIOD_VFIO_DMA_MAP_FLAG_VADDR, VFIO_DMA_MAP_FLAG_VADDR);
	SAME_NUM(HIOD_VFIO_DMA_UNMAP_FLAG_VADDR, VFIO_DMA_UNMAP_FLAG_VADDR);
	SAME_NUM(HIOD_VFIO_DMA_UNMAP_FLAG_ALL, VFIO_DMA_UNMAP_FLAG_ALL);
	SAME_NUM(HIOD_VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_MAP_DMA);
	SAME_NUM(HIOD_VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_UNMAP_DMA);
	SAME_NUM(HIOD_VFIO_REGION_INFO_FLAG_CAPS, VFIO_REGION_INFO_FLAG_CAPS);
	SAME_NUM(HIOD_VFIO_REGION_INFO_CAP_SPARSE_MMAP, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	SAME_NUM(HIOD_VFIO_REGION_INFO_CAP_TYPE, VFIO_REGION_INFO_CAP_TYPE);
	SAME_NUM(HIOD_VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
	SAME_OFF(hiod_vfio_irq_info, vfio_irq_info, count);
	SAME_OFF(hiod_vfio_irq_set, vfio_irq_set, start);
	SAME_OFF(hiod_vfio_irq_set, vfio_irq_set, count);
	SAME_OFF(hiod_vfio_irq_set, vfio_irq_set, data);
	SAME_NUM(HIOD_VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_GET_IRQ_INFO);
	SAME_NUM(HIOD_VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_SET_IRQS);
	SAME_NUM(HIOD_VFIO_IRQ_INFO_EVENTFD, VFIO_IRQ_INFO_EVENTFD);
	SAME_NUM(HIOD_VFIO_IRQ_INFO_MASKABLE, VFIO_IRQ_INFO_MASKABLE);
	SAME_NUM(HIOD_VFIO_IRQ_INFO_AUTOMASKED, VFIO_IRQ_INFO_AUTOMASKED);
	SAME_NUM(HIOD_VFIO_IRQ_INFO_NORESIZE, VFIO_IRQ_INFO_NORESIZE);
	SAME_NUM(HIOD_VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_NONE);
	SAME_NUM(HIOD_VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_BOOL);
	SAME_NUM(HIOD_VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_EVENTFD);
	SAME_NUM(HIOD_VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_MASK);
	SAME_NUM(HIOD_VFIO_IRQ_SET_ACTION_UNMASK, VFIO_IRQ_SET_ACTION_UNMASK);
	SAME_NUM(HIOD_VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_TRIGGER);
	SAME_NUM(HIOD_VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_INTX_IRQ_INDEX);
	SAME_NUM(HIOD_VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX);
	SAME_NUM(HIOD_VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX);
	SAME_NUM(HIOD_VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_ERR_IRQ_INDEX);
	SAME_NUM(HIOD_VFIO_PCI_REQ_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX);
	SAME_NUM(HIOD_VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_IRQS);
	/* the public enum and flags are the kernel's numbers */
	SAME_NUM(HIOD_VFIO_IRQ_INDEX_MSIX, VFIO_PCI_MSIX_IRQ_INDEX);
	SAME_NUM(HIOD_VFIO_IRQ_INDEX_REQ, VFIO_PCI_REQ_IRQ_INDEX);
	SAME_NUM(HIOD_VFIO_IRQ_INFO_FLAGS_AUTOMASKED, VFIO_IRQ_INFO_AUTOMASKED);
	SAME_NUM(HIOD_VFIO_IRQ_INFO_FLAGS_NORESIZE, VFIO_IRQ_INFO_NORESIZE);
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
#ifdef VFIO_DEVICE_BIND_FLAG_TOKEN /* 6.17: bind grew token_uuid_ptr */
	SAME_PREFIX(hiod_vfio_device_bind_iommufd, vfio_device_bind_iommufd, out_devid);
	SAME_NUM(HIOD_VFIO_DEVICE_BIND_FLAG_TOKEN, VFIO_DEVICE_BIND_FLAG_TOKEN);
#else
	SAME_SIZE(hiod_vfio_device_bind_iommufd, vfio_device_bind_iommufd);
#endif
	SAME_OFF(hiod_vfio_device_bind_iommufd, vfio_device_bind_iommufd, out_devid);
#ifdef VFIO_DEVICE_ATTACH_PASID /* 6.15: attach and detach grew a pasid */
	SAME_PREFIX(hiod_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, pt_id);
	SAME_PREFIX(hiod_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt, flags);
	SAME_NUM(HIOD_VFIO_DEVICE_ATTACH_PASID, VFIO_DEVICE_ATTACH_PASID);
	SAME_NUM(HIOD_VFIO_DEVICE_DETACH_PASID, VFIO_DEVICE_DETACH_PASID);
#else
	SAME_SIZE(hiod_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt);
	SAME_SIZE(hiod_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt);
#endif
	SAME_OFF(hiod_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, pt_id);
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
	SAME_NUM(HIOD_IOMMU_HWPT_FAULT_ID_VALID, IOMMU_HWPT_FAULT_ID_VALID);
	SAME_NUM(HIOD_IOMMU_HW_INFO_TYPE_INTEL_VTD, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	SAME_NUM(HIOD_IOMMU_HW_INFO_TYPE_NONE, IOMMU_HW_INFO_TYPE_NONE);
	SAME_NUM(HIOD_IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	SAME_NUM(HIOD_IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HW_CAP_DIRTY_TRACKING);
	/* out_max_pasid_log2 and the PASID bits: mainline 6.15, and the Debian
	 * 6.12.117 tree; no macro marks them, so the 6.12 headers must have them */
	SAME_OFF(hiod_iommu_hw_info, iommu_hw_info, out_max_pasid_log2);
	SAME_NUM(HIOD_IOMMU_HW_CAP_PCI_PASID_EXEC, IOMMU_HW_CAP_PCI_PASID_EXEC);
	SAME_NUM(HIOD_IOMMU_HW_CAP_PCI_PASID_PRIV, IOMMU_HW_CAP_PCI_PASID_PRIV);
#ifdef IOMMU_VIOMMU_ALLOC /* 6.13: vIOMMU, vDEVICE, MAP_FILE, CHANGE_PROCESS; SMMUv3 hw_info */
	SAME_NUM(HIOD_IOMMU_VIOMMU_ALLOC, IOMMU_VIOMMU_ALLOC);
	SAME_NUM(HIOD_IOMMU_VDEVICE_ALLOC, IOMMU_VDEVICE_ALLOC);
	SAME_NUM(HIOD_IOMMU_IOAS_MAP_FILE, IOMMU_IOAS_MAP_FILE);
	SAME_NUM(HIOD_IOMMU_IOAS_CHANGE_PROCESS, IOMMU_IOAS_CHANGE_PROCESS);
	SAME_NUM(HIOD_IOMMU_HW_INFO_TYPE_ARM_SMMUV3, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	/* the SMMUv3 registers hw_info returns (HiodSmmuv3Caps decodes them) */
	EXACT_SIZE(hiod_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3);
	EXACT_OFF(hiod_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, idr);
	EXACT_OFF(hiod_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, iidr);
	EXACT_OFF(hiod_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, aidr);
	/* the live update's (issue 16) */
	EXACT_SIZE(hiod_iommu_ioas_map_file, iommu_ioas_map_file);
	EXACT_OFF(hiod_iommu_ioas_map_file, iommu_ioas_map_file, size);
	EXACT_OFF(hiod_iommu_ioas_map_file, iommu_ioas_map_file, flags);
	EXACT_OFF(hiod_iommu_ioas_map_file, iommu_ioas_map_file, ioas_id);
	EXACT_OFF(hiod_iommu_ioas_map_file, iommu_ioas_map_file, fd);
	EXACT_OFF(hiod_iommu_ioas_map_file, iommu_ioas_map_file, start);
	EXACT_OFF(hiod_iommu_ioas_map_file, iommu_ioas_map_file, length);
	EXACT_OFF(hiod_iommu_ioas_map_file, iommu_ioas_map_file, iova);
	EXACT_SIZE(hiod_iommu_ioas_change_process, iommu_ioas_change_process);
	EXACT_OFF(hiod_iommu_ioas_change_process, iommu_ioas_change_process, __reserved);
#endif
#ifdef IOMMU_VIOMMU_ALLOC
	/* the 6.13 prefix hiod sends without data, and the vDEVICE */
	EXACT_OFF(hiod_iommu_viommu_alloc, iommu_viommu_alloc, out_viommu_id);
	g_assert_cmpuint(HIOD_IOMMU_VIOMMU_ALLOC_SIZE_6_13, ==,
			 offsetof(struct iommu_viommu_alloc, out_viommu_id) + 4);
	EXACT_SIZE(hiod_iommu_vdevice_alloc, iommu_vdevice_alloc);
	EXACT_OFF(hiod_iommu_vdevice_alloc, iommu_vdevice_alloc, virt_id);
	EXACT_OFF(hiod_iommu_vdevice_alloc, iommu_vdevice_alloc, out_vdevice_id);
	SAME_NUM(HIOD_IOMMU_VIOMMU_TYPE_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3);
	SAME_NUM(HIOD_IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
	EXACT_SIZE(hiod_iommu_viommu_arm_smmuv3_invalidate, iommu_viommu_arm_smmuv3_invalidate);
#endif
#ifdef IOMMU_VEVENTQ_ALLOC /* 6.15: vEVENTQ; PASID attach */
	SAME_NUM(HIOD_IOMMU_VEVENTQ_ALLOC, IOMMU_VEVENTQ_ALLOC);
	SAME_NUM(HIOD_IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_ALLOC_PASID);
	EXACT_SIZE(hiod_iommu_veventq_alloc, iommu_veventq_alloc);
	EXACT_OFF(hiod_iommu_veventq_alloc, iommu_veventq_alloc, veventq_depth);
	EXACT_OFF(hiod_iommu_veventq_alloc, iommu_veventq_alloc, out_veventq_id);
	EXACT_OFF(hiod_iommu_veventq_alloc, iommu_veventq_alloc, out_veventq_fd);
	EXACT_SIZE(hiod_iommufd_vevent_header, iommufd_vevent_header);
	EXACT_OFF(hiod_iommufd_vevent_header, iommufd_vevent_header, sequence);
	SAME_NUM(HIOD_IOMMU_VEVENTQ_FLAG_LOST_EVENTS, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	SAME_NUM(HIOD_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
	EXACT_SIZE(hiod_iommu_vevent_arm_smmuv3, iommu_vevent_arm_smmuv3);
#endif
#ifdef VFIO_DEVICE_ATTACH_PASID
	EXACT_SIZE(hiod_vfio_device_attach_iommufd_pt_pasid, vfio_device_attach_iommufd_pt);
	EXACT_OFF(hiod_vfio_device_attach_iommufd_pt_pasid, vfio_device_attach_iommufd_pt, pasid);
	EXACT_SIZE(hiod_vfio_device_detach_iommufd_pt_pasid, vfio_device_detach_iommufd_pt);
	EXACT_OFF(hiod_vfio_device_detach_iommufd_pt_pasid, vfio_device_detach_iommufd_pt, pasid);
	SAME_NUM(HIOD_VFIO_DEVICE_ATTACH_PASID, VFIO_DEVICE_ATTACH_PASID);
	SAME_NUM(HIOD_VFIO_DEVICE_DETACH_PASID, VFIO_DEVICE_DETACH_PASID);
#endif
#ifdef IOMMU_HW_QUEUE_ALLOC /* 6.17: HW queue; hw_info's flags and in_data_type; Tegra CMDQV */
	SAME_NUM(HIOD_IOMMU_HW_QUEUE_ALLOC, IOMMU_HW_QUEUE_ALLOC);
	EXACT_SIZE(hiod_iommu_hw_queue_alloc, iommu_hw_queue_alloc);
	EXACT_OFF(hiod_iommu_hw_queue_alloc, iommu_hw_queue_alloc, index);
	EXACT_OFF(hiod_iommu_hw_queue_alloc, iommu_hw_queue_alloc, out_hw_queue_id);
	EXACT_OFF(hiod_iommu_hw_queue_alloc, iommu_hw_queue_alloc, nesting_parent_iova);
	EXACT_OFF(hiod_iommu_hw_queue_alloc, iommu_hw_queue_alloc, length);
	SAME_NUM(HIOD_IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV);
	/* 6.17 gave IOMMU_VIOMMU_ALLOC its driver data */
	EXACT_SIZE(hiod_iommu_viommu_alloc, iommu_viommu_alloc);
	EXACT_OFF(hiod_iommu_viommu_alloc, iommu_viommu_alloc, data_len);
	EXACT_OFF(hiod_iommu_viommu_alloc, iommu_viommu_alloc, data_uptr);
	SAME_NUM(HIOD_IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV);
	SAME_NUM(HIOD_IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV);
	EXACT_SIZE(hiod_iommu_vevent_tegra241_cmdqv, iommu_vevent_tegra241_cmdqv);
	SAME_OFF(hiod_iommu_hw_info, iommu_hw_info, in_data_type);
	SAME_NUM(HIOD_IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_FLAG_INPUT_TYPE);
	SAME_NUM(HIOD_IOMMU_HW_INFO_TYPE_DEFAULT, IOMMU_HW_INFO_TYPE_DEFAULT);
	SAME_NUM(HIOD_IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV);
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 3, 0)
	/* no macro marks these: the 7.3 header set (the version.h beside it) */
	SAME_SIZE(hiod_iommu_hw_info_amd, iommu_hw_info_amd);
	SAME_OFF(hiod_iommu_hw_info_amd, iommu_hw_info_amd, efr2);
	SAME_NUM(HIOD_IOMMU_HW_INFO_TYPE_AMD, IOMMU_HW_INFO_TYPE_AMD);
	SAME_NUM(HIOD_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	SAME_NUM(HIOD_IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI,
		 IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI);
	newer = TRUE;
#endif
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
	g_test_message("%u checks against the kernel's headers (Linux %d.%d headers%s)", checks,
		       LINUX_VERSION_CODE >> 16, (LINUX_VERSION_CODE >> 8) & 0xff,
		       newer ? ": the 7.3 members too" : "");
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel ABI that hiod speaks: VFIO (group, container, device, cdev),
 * iommufd (as Linux 6.12 has it, plus what hiod decodes from later kernels),
 * vhost-vdpa, and the iommufd selftest command.
 *
 * Every struct is the layout of the Linux 6.12 UAPI headers; a member, flag
 * or value that 6.12 does not have says which kernel added it ("[6.17]";
 * "[7.3]" where only the 7.3 headers were read). A later kernel may have
 * grown a struct past the members here (the VFIO attach took a pasid in
 * 6.15): the size field (argsz/size) tells the kernel how much hiod sends.
 * An older kernel answers a request it does not know with ENOTTY, and a flag
 * or type it does not know with EOPNOTSUPP; hiod_kernel_first_version() names
 * the kernel that added each request. Version numbers are mainline's as the
 * headers' history shows them (approximate where marked so in
 * kernel-uapi.md); the Debian 6.12.117 tree backports out_max_pasid_log2 and
 * the PCI PASID capability bits.
 *
 * Written down in the project from the ABI facts (struct layouts, ioctl
 * numbers, flag values) so that libhiod never depends on the build host's
 * kernel headers. tests/unit/test-uapi.c checks every size and offset here
 * against the kernel's own headers when they are available (the 6.12 and
 * the 7.3 header sets).
 *
 * Prefixed hiod_/HIOD_ so that a consumer that also includes <linux/vfio.h>
 * sees no clash. Never installed.
 */
#pragma once

#include <stdint.h>
#include <sys/ioctl.h>

#define HIOD_ALIGNED_U64 uint64_t __attribute__((aligned(8)))

/* ------------------------------------------------------------------------ */
/* VFIO                                                                      */
/* ------------------------------------------------------------------------ */

#define HIOD_VFIO_API_VERSION 0
#define HIOD_VFIO_TYPE ';'
#define HIOD_VFIO_BASE 100

#define HIOD_VFIO_TYPE1_IOMMU 1
#define HIOD_VFIO_SPAPR_TCE_IOMMU 2
#define HIOD_VFIO_TYPE1v2_IOMMU 3
#define HIOD_VFIO_DMA_CC_IOMMU 4
#define HIOD_VFIO_EEH 5
#define HIOD_VFIO_TYPE1_NESTING_IOMMU 6
#define HIOD_VFIO_SPAPR_TCE_v2_IOMMU 7
#define HIOD_VFIO_NOIOMMU_IOMMU 8
#define HIOD_VFIO_UNMAP_ALL 9
#define HIOD_VFIO_UPDATE_VADDR 10

/* container */
#define HIOD_VFIO_GET_API_VERSION _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 0)
#define HIOD_VFIO_CHECK_EXTENSION _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 1)
#define HIOD_VFIO_SET_IOMMU _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 2)
/* group */
#define HIOD_VFIO_GROUP_GET_STATUS _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 3)
#define HIOD_VFIO_GROUP_SET_CONTAINER _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 4)
#define HIOD_VFIO_GROUP_UNSET_CONTAINER _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 5)
#define HIOD_VFIO_GROUP_GET_DEVICE_FD _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 6)
/* device */
#define HIOD_VFIO_DEVICE_GET_INFO _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 7)
#define HIOD_VFIO_DEVICE_GET_REGION_INFO _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 8)
#define HIOD_VFIO_DEVICE_GET_IRQ_INFO _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 9)
#define HIOD_VFIO_DEVICE_SET_IRQS _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 10)
#define HIOD_VFIO_DEVICE_RESET _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 11)
#define HIOD_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 12)
#define HIOD_VFIO_DEVICE_PCI_HOT_RESET _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 13)
#define HIOD_VFIO_DEVICE_FEATURE _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 17)
#define HIOD_VFIO_DEVICE_BIND_IOMMUFD _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 18)
#define HIOD_VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 19)
#define HIOD_VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 20)
/* IOMMU (container fd, after SET_IOMMU) */
#define HIOD_VFIO_IOMMU_GET_INFO _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 12)
#define HIOD_VFIO_IOMMU_MAP_DMA _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 13)
#define HIOD_VFIO_IOMMU_UNMAP_DMA _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 14)
#define HIOD_VFIO_IOMMU_ENABLE _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 15)
#define HIOD_VFIO_IOMMU_DISABLE _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 16)
#define HIOD_VFIO_IOMMU_DIRTY_PAGES _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 17)
#define HIOD_VFIO_IOMMU_SPAPR_TCE_GET_INFO _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 12)
#define HIOD_VFIO_IOMMU_SPAPR_REGISTER_MEMORY _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 17)
#define HIOD_VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 18)
#define HIOD_VFIO_IOMMU_SPAPR_TCE_CREATE _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 19)
#define HIOD_VFIO_IOMMU_SPAPR_TCE_REMOVE _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 20)
#define HIOD_VFIO_EEH_PE_OP _IO(HIOD_VFIO_TYPE, HIOD_VFIO_BASE + 21)

struct hiod_vfio_info_cap_header {
	uint16_t id;
	uint16_t version;
	uint32_t next;
};

struct hiod_vfio_group_status {
	uint32_t argsz;
	uint32_t flags;
};
#define HIOD_VFIO_GROUP_FLAGS_VIABLE (1u << 0)
#define HIOD_VFIO_GROUP_FLAGS_CONTAINER_SET (1u << 1)

struct hiod_vfio_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t cap_offset;
	uint32_t pad;
};
#define HIOD_VFIO_DEVICE_FLAGS_RESET (1u << 0)
#define HIOD_VFIO_DEVICE_FLAGS_PCI (1u << 1)
#define HIOD_VFIO_DEVICE_FLAGS_PLATFORM (1u << 2)
#define HIOD_VFIO_DEVICE_FLAGS_AMBA (1u << 3)
#define HIOD_VFIO_DEVICE_FLAGS_CCW (1u << 4)
#define HIOD_VFIO_DEVICE_FLAGS_AP (1u << 5)
#define HIOD_VFIO_DEVICE_FLAGS_FSL_MC (1u << 6)
#define HIOD_VFIO_DEVICE_FLAGS_CAPS (1u << 7)
#define HIOD_VFIO_DEVICE_FLAGS_CDX (1u << 8)

struct hiod_vfio_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset;
	HIOD_ALIGNED_U64 size;
	HIOD_ALIGNED_U64 offset;
};
#define HIOD_VFIO_REGION_INFO_FLAG_READ (1u << 0)
#define HIOD_VFIO_REGION_INFO_FLAG_WRITE (1u << 1)
#define HIOD_VFIO_REGION_INFO_FLAG_MMAP (1u << 2)
#define HIOD_VFIO_REGION_INFO_FLAG_CAPS (1u << 3)
#define HIOD_VFIO_REGION_INFO_CAP_SPARSE_MMAP 1
#define HIOD_VFIO_REGION_INFO_CAP_TYPE 2
#define HIOD_VFIO_REGION_INFO_CAP_MSIX_MAPPABLE 3

struct hiod_vfio_region_sparse_mmap_area {
	HIOD_ALIGNED_U64 offset;
	HIOD_ALIGNED_U64 size;
};
struct hiod_vfio_region_info_cap_sparse_mmap {
	struct hiod_vfio_info_cap_header header;
	uint32_t nr_areas;
	uint32_t reserved;
	struct hiod_vfio_region_sparse_mmap_area areas[];
};
struct hiod_vfio_region_info_cap_type {
	struct hiod_vfio_info_cap_header header;
	uint32_t type;
	uint32_t subtype;
};

enum {
	HIOD_VFIO_PCI_BAR0_REGION_INDEX,
	HIOD_VFIO_PCI_BAR1_REGION_INDEX,
	HIOD_VFIO_PCI_BAR2_REGION_INDEX,
	HIOD_VFIO_PCI_BAR3_REGION_INDEX,
	HIOD_VFIO_PCI_BAR4_REGION_INDEX,
	HIOD_VFIO_PCI_BAR5_REGION_INDEX,
	HIOD_VFIO_PCI_ROM_REGION_INDEX,
	HIOD_VFIO_PCI_CONFIG_REGION_INDEX,
	HIOD_VFIO_PCI_VGA_REGION_INDEX,
	HIOD_VFIO_PCI_NUM_REGIONS = 9,
};

struct hiod_vfio_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
};
#define HIOD_VFIO_IRQ_INFO_EVENTFD (1u << 0)
#define HIOD_VFIO_IRQ_INFO_MASKABLE (1u << 1)
#define HIOD_VFIO_IRQ_INFO_AUTOMASKED (1u << 2)
#define HIOD_VFIO_IRQ_INFO_NORESIZE (1u << 3)

struct hiod_vfio_irq_set {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t start;
	uint32_t count;
	uint8_t data[];
};
#define HIOD_VFIO_IRQ_SET_DATA_NONE (1u << 0)
#define HIOD_VFIO_IRQ_SET_DATA_BOOL (1u << 1)
#define HIOD_VFIO_IRQ_SET_DATA_EVENTFD (1u << 2)
#define HIOD_VFIO_IRQ_SET_ACTION_MASK (1u << 3)
#define HIOD_VFIO_IRQ_SET_ACTION_UNMASK (1u << 4)
#define HIOD_VFIO_IRQ_SET_ACTION_TRIGGER (1u << 5)
enum {
	HIOD_VFIO_PCI_INTX_IRQ_INDEX,
	HIOD_VFIO_PCI_MSI_IRQ_INDEX,
	HIOD_VFIO_PCI_MSIX_IRQ_INDEX,
	HIOD_VFIO_PCI_ERR_IRQ_INDEX,
	HIOD_VFIO_PCI_REQ_IRQ_INDEX,
	HIOD_VFIO_PCI_NUM_IRQS,
};

struct hiod_vfio_pci_dependent_device {
	union {
		uint32_t group_id;
		uint32_t devid;
	};
	uint16_t segment;
	uint8_t bus;
	uint8_t devfn;
};
#define HIOD_VFIO_PCI_DEVID_OWNED 0
#define HIOD_VFIO_PCI_DEVID_NOT_OWNED (-1)

struct hiod_vfio_pci_hot_reset_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t count;
	struct hiod_vfio_pci_dependent_device devices[];
};
#define HIOD_VFIO_PCI_HOT_RESET_FLAG_DEV_ID (1u << 0)
#define HIOD_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED (1u << 1)

struct hiod_vfio_pci_hot_reset {
	uint32_t argsz;
	uint32_t flags;
	uint32_t count;
	int32_t group_fds[];
};

struct hiod_vfio_device_feature {
	uint32_t argsz;
	uint32_t flags;
	uint8_t data[];
};
#define HIOD_VFIO_DEVICE_FEATURE_MASK 0xffffu
#define HIOD_VFIO_DEVICE_FEATURE_GET (1u << 16)
#define HIOD_VFIO_DEVICE_FEATURE_SET (1u << 17)
#define HIOD_VFIO_DEVICE_FEATURE_PROBE (1u << 18)
#define HIOD_VFIO_DEVICE_FEATURE_DMA_LOGGING_START 6
#define HIOD_VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP 7
#define HIOD_VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT 8

struct hiod_vfio_device_feature_dma_logging_range {
	HIOD_ALIGNED_U64 iova;
	HIOD_ALIGNED_U64 length;
};
struct hiod_vfio_device_feature_dma_logging_control {
	HIOD_ALIGNED_U64 page_size;
	uint32_t num_ranges;
	uint32_t __reserved;
	HIOD_ALIGNED_U64 ranges;
};
struct hiod_vfio_device_feature_dma_logging_report {
	HIOD_ALIGNED_U64 iova;
	HIOD_ALIGNED_U64 length;
	HIOD_ALIGNED_U64 page_size;
	HIOD_ALIGNED_U64 bitmap;
};

/* VFIO cdev + iommufd */
/* [6.6] the VFIO cdev. Later kernels append: bind a token_uuid_ptr u64 @16
 * (flag VFIO_DEVICE_BIND_FLAG_TOKEN, [6.17]); attach a pasid u32 @12 and
 * detach a pasid u32 @8 (flags VFIO_DEVICE_ATTACH_PASID / _DETACH_PASID,
 * [6.15]). hiod sends the 6.6 prefix with flags 0. */
struct hiod_vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
};
struct hiod_vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id; /* in: a HWPT or an IOAS; out: the HWPT attached to */
};
struct hiod_vfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
};
/* [6.15] the PASID forms (sent only with the PASID flag; 6.12 refuses any flag: EINVAL) */
struct hiod_vfio_device_attach_iommufd_pt_pasid {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
	uint32_t pasid;
};
struct hiod_vfio_device_detach_iommufd_pt_pasid {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pasid;
};
#define HIOD_VFIO_DEVICE_ATTACH_PASID (1u << 0) /* [6.15] */
#define HIOD_VFIO_DEVICE_DETACH_PASID (1u << 0) /* [6.15] */
#define HIOD_VFIO_DEVICE_BIND_FLAG_TOKEN (1u << 0) /* [6.17] */

/* type1 */
struct hiod_vfio_iommu_type1_info {
	uint32_t argsz;
	uint32_t flags;
	HIOD_ALIGNED_U64 iova_pgsizes;
	uint32_t cap_offset;
	uint32_t pad;
};
#define HIOD_VFIO_IOMMU_INFO_PGSIZES (1u << 0)
#define HIOD_VFIO_IOMMU_INFO_CAPS (1u << 1)

#define HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 1
#define HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2
#define HIOD_VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3

struct hiod_vfio_iova_range {
	HIOD_ALIGNED_U64 start;
	HIOD_ALIGNED_U64 end;
};
struct hiod_vfio_iommu_type1_info_cap_iova_range {
	struct hiod_vfio_info_cap_header header;
	uint32_t nr_iovas;
	uint32_t reserved;
	struct hiod_vfio_iova_range iova_ranges[];
};
struct hiod_vfio_iommu_type1_info_cap_migration {
	struct hiod_vfio_info_cap_header header;
	uint32_t flags;
	HIOD_ALIGNED_U64 pgsize_bitmap;
	HIOD_ALIGNED_U64 max_dirty_bitmap_size;
};
struct hiod_vfio_iommu_type1_info_dma_avail {
	struct hiod_vfio_info_cap_header header;
	uint32_t avail;
};

struct hiod_vfio_iommu_type1_dma_map {
	uint32_t argsz;
	uint32_t flags;
	HIOD_ALIGNED_U64 vaddr;
	HIOD_ALIGNED_U64 iova;
	HIOD_ALIGNED_U64 size;
};
#define HIOD_VFIO_DMA_MAP_FLAG_READ (1u << 0)
#define HIOD_VFIO_DMA_MAP_FLAG_WRITE (1u << 1)
#define HIOD_VFIO_DMA_MAP_FLAG_VADDR (1u << 2)

struct hiod_vfio_bitmap {
	HIOD_ALIGNED_U64 pgsize;
	HIOD_ALIGNED_U64 size;
	HIOD_ALIGNED_U64 data; /* u64 __user * */
};

struct hiod_vfio_iommu_type1_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	HIOD_ALIGNED_U64 iova;
	HIOD_ALIGNED_U64 size;
	uint8_t data[];
};
#define HIOD_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1u << 0)
#define HIOD_VFIO_DMA_UNMAP_FLAG_ALL (1u << 1)
#define HIOD_VFIO_DMA_UNMAP_FLAG_VADDR (1u << 2)

struct hiod_vfio_iommu_type1_dirty_bitmap {
	uint32_t argsz;
	uint32_t flags;
	uint8_t data[];
};
#define HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_START (1u << 0)
#define HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP (1u << 1)
#define HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP (1u << 2)

struct hiod_vfio_iommu_type1_dirty_bitmap_get {
	HIOD_ALIGNED_U64 iova;
	HIOD_ALIGNED_U64 size;
	struct hiod_vfio_bitmap bitmap;
};

/* sPAPR TCE */
struct hiod_vfio_iommu_spapr_tce_ddw_info {
	HIOD_ALIGNED_U64 pgsizes;
	uint32_t max_dynamic_windows_supported;
	uint32_t levels;
};
struct hiod_vfio_iommu_spapr_tce_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t dma32_window_start;
	uint32_t dma32_window_size;
	struct hiod_vfio_iommu_spapr_tce_ddw_info ddw;
};
#define HIOD_VFIO_IOMMU_SPAPR_INFO_DDW (1u << 0)

struct hiod_vfio_iommu_spapr_register_memory {
	uint32_t argsz;
	uint32_t flags;
	HIOD_ALIGNED_U64 vaddr;
	HIOD_ALIGNED_U64 size;
};
struct hiod_vfio_iommu_spapr_tce_create {
	uint32_t argsz;
	uint32_t flags;
	uint32_t page_shift;
	uint32_t __resv1;
	HIOD_ALIGNED_U64 window_size;
	uint32_t levels;
	uint32_t __resv2;
	HIOD_ALIGNED_U64 start_addr;
};
struct hiod_vfio_iommu_spapr_tce_remove {
	uint32_t argsz;
	uint32_t flags;
	HIOD_ALIGNED_U64 start_addr;
};

/* ------------------------------------------------------------------------ */
/* iommufd (Linux 6.12; later additions marked with their kernel)          */
/* ------------------------------------------------------------------------ */

#define HIOD_IOMMUFD_TYPE ';'
#define HIOD_IOMMUFD_CMD_BASE 0x80
#define HIOD_IOMMU_DESTROY _IO(HIOD_IOMMUFD_TYPE, 0x80)
#define HIOD_IOMMU_IOAS_ALLOC _IO(HIOD_IOMMUFD_TYPE, 0x81)
#define HIOD_IOMMU_IOAS_ALLOW_IOVAS _IO(HIOD_IOMMUFD_TYPE, 0x82)
#define HIOD_IOMMU_IOAS_COPY _IO(HIOD_IOMMUFD_TYPE, 0x83)
#define HIOD_IOMMU_IOAS_IOVA_RANGES _IO(HIOD_IOMMUFD_TYPE, 0x84)
#define HIOD_IOMMU_IOAS_MAP _IO(HIOD_IOMMUFD_TYPE, 0x85)
#define HIOD_IOMMU_IOAS_UNMAP _IO(HIOD_IOMMUFD_TYPE, 0x86)
#define HIOD_IOMMU_OPTION _IO(HIOD_IOMMUFD_TYPE, 0x87)
#define HIOD_IOMMU_VFIO_IOAS _IO(HIOD_IOMMUFD_TYPE, 0x88)
#define HIOD_IOMMU_HWPT_ALLOC _IO(HIOD_IOMMUFD_TYPE, 0x89)
#define HIOD_IOMMU_GET_HW_INFO _IO(HIOD_IOMMUFD_TYPE, 0x8a)
#define HIOD_IOMMU_HWPT_SET_DIRTY_TRACKING _IO(HIOD_IOMMUFD_TYPE, 0x8b)
#define HIOD_IOMMU_HWPT_GET_DIRTY_BITMAP _IO(HIOD_IOMMUFD_TYPE, 0x8c)
#define HIOD_IOMMU_HWPT_INVALIDATE _IO(HIOD_IOMMUFD_TYPE, 0x8d)
#define HIOD_IOMMU_FAULT_QUEUE_ALLOC _IO(HIOD_IOMMUFD_TYPE, 0x8e) /* [6.11] */
/* not in 6.12 (IOAS_MAP_FILE for file-backed sections, falling back to IOAS_MAP; IOAS_CHANGE_PROCESS for a live update) */
#define HIOD_IOMMU_IOAS_MAP_FILE _IO(HIOD_IOMMUFD_TYPE, 0x8f)	 /* [6.13] */
#define HIOD_IOMMU_VIOMMU_ALLOC _IO(HIOD_IOMMUFD_TYPE, 0x90)	 /* [6.13] */
#define HIOD_IOMMU_VDEVICE_ALLOC _IO(HIOD_IOMMUFD_TYPE, 0x91)	 /* [6.13] */
#define HIOD_IOMMU_IOAS_CHANGE_PROCESS _IO(HIOD_IOMMUFD_TYPE, 0x92) /* [6.13] */
#define HIOD_IOMMU_VEVENTQ_ALLOC _IO(HIOD_IOMMUFD_TYPE, 0x93)	 /* [6.15] */
#define HIOD_IOMMU_HW_QUEUE_ALLOC _IO(HIOD_IOMMUFD_TYPE, 0x94)	 /* [6.17] */
#define HIOD_IOMMU_TEST_CMD _IO(HIOD_IOMMUFD_TYPE, 0x80 + 32)

struct hiod_iommu_destroy {
	uint32_t size;
	uint32_t id;
};
struct hiod_iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};
struct hiod_iommu_iova_range {
	HIOD_ALIGNED_U64 start;
	HIOD_ALIGNED_U64 last;
};
struct hiod_iommu_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	HIOD_ALIGNED_U64 allowed_iovas;
	HIOD_ALIGNED_U64 out_iova_alignment;
};
struct hiod_iommu_ioas_allow_iovas {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	HIOD_ALIGNED_U64 allowed_iovas;
};
#define HIOD_IOMMU_IOAS_MAP_FIXED_IOVA (1u << 0)
#define HIOD_IOMMU_IOAS_MAP_WRITEABLE (1u << 1)
#define HIOD_IOMMU_IOAS_MAP_READABLE (1u << 2)
struct hiod_iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	HIOD_ALIGNED_U64 user_va;
	HIOD_ALIGNED_U64 length;
	HIOD_ALIGNED_U64 iova;
};
/* 6.13: a mapping of a memfd (or a supported dma-buf) at an offset */
struct hiod_iommu_ioas_map_file {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	int32_t fd;
	HIOD_ALIGNED_U64 start;
	HIOD_ALIGNED_U64 length;
	HIOD_ALIGNED_U64 iova;
};
/* 6.13: the pinned-memory counts of every file mapping move to the calling process */
struct hiod_iommu_ioas_change_process {
	uint32_t size;
	uint32_t __reserved;
};
struct hiod_iommu_ioas_copy {
	uint32_t size;
	uint32_t flags;
	uint32_t dst_ioas_id;
	uint32_t src_ioas_id;
	HIOD_ALIGNED_U64 length;
	HIOD_ALIGNED_U64 dst_iova;
	HIOD_ALIGNED_U64 src_iova;
};
struct hiod_iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	HIOD_ALIGNED_U64 iova;
	HIOD_ALIGNED_U64 length;
};
enum {
	HIOD_IOMMU_OPTION_RLIMIT_MODE = 0,
	HIOD_IOMMU_OPTION_HUGE_PAGES = 1,
};
enum {
	HIOD_IOMMU_OPTION_OP_SET = 0,
	HIOD_IOMMU_OPTION_OP_GET = 1,
};
struct hiod_iommu_option {
	uint32_t size;
	uint32_t option_id;
	uint16_t op;
	uint16_t __reserved;
	uint32_t object_id;
	HIOD_ALIGNED_U64 val64;
};
enum {
	HIOD_IOMMU_VFIO_IOAS_GET = 0,
	HIOD_IOMMU_VFIO_IOAS_SET = 1,
	HIOD_IOMMU_VFIO_IOAS_CLEAR = 2,
};
struct hiod_iommu_vfio_ioas {
	uint32_t size;
	uint32_t ioas_id;
	uint16_t op;
	uint16_t __reserved;
};

/* [6.6] HWPT_ALLOC took no flags and ended at __reserved (24 bytes) */
#define HIOD_IOMMU_HWPT_ALLOC_NEST_PARENT (1u << 0)    /* [6.7] */
#define HIOD_IOMMU_HWPT_ALLOC_DIRTY_TRACKING (1u << 1) /* [6.7] */
#define HIOD_IOMMU_HWPT_FAULT_ID_VALID (1u << 2)	      /* [6.11] */
#define HIOD_IOMMU_HWPT_ALLOC_PASID (1u << 3)	      /* [6.15] */
enum {
	HIOD_IOMMU_HWPT_DATA_NONE = 0,
	HIOD_IOMMU_HWPT_DATA_VTD_S1 = 1, /* [6.8] */
	HIOD_IOMMU_HWPT_DATA_SELFTEST = 0xdead,
};
struct hiod_iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t __reserved;
	uint32_t data_type;	    /* [6.7] */
	uint32_t data_len;	    /* [6.7] */
	HIOD_ALIGNED_U64 data_uptr; /* [6.7] */
	uint32_t fault_id;	    /* [6.11] */
	uint32_t __reserved2;	    /* [6.11] */
};
#define HIOD_IOMMU_VTD_S1_SRE (1u << 0)
#define HIOD_IOMMU_VTD_S1_EAFE (1u << 1)
#define HIOD_IOMMU_VTD_S1_WPE (1u << 2)
struct hiod_iommu_hwpt_vtd_s1 {
	HIOD_ALIGNED_U64 flags;
	HIOD_ALIGNED_U64 pgtbl_addr;
	uint32_t addr_width;
	uint32_t __reserved;
};

/* [6.6] IOMMU_GET_HW_INFO */
enum {
	HIOD_IOMMU_HW_INFO_TYPE_NONE = 0, /* as input (FLAG_INPUT_TYPE) named _DEFAULT [6.17] */
	HIOD_IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	HIOD_IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	HIOD_IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,	/* [6.13] */
	HIOD_IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3, /* [6.17] */
	HIOD_IOMMU_HW_INFO_TYPE_AMD = 4,		/* [7.3]; with CONFIG_AMD_IOMMU_IOMMUFD */
	HIOD_IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef,
};
#define HIOD_IOMMU_HW_CAP_DIRTY_TRACKING (1ull << 0) /* [6.7] */
/* [6.15; 6.12.117 backport]: meaningful only when out_max_pasid_log2 != 0 */
#define HIOD_IOMMU_HW_CAP_PCI_PASID_EXEC (1ull << 1)
#define HIOD_IOMMU_HW_CAP_PCI_PASID_PRIV (1ull << 2)
#define HIOD_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED (1ull << 3) /* [7.3]: ATS cannot be used */
/* [6.17] flags (must be 0 before: EOPNOTSUPP): in_data_type asks for one type */
#define HIOD_IOMMU_HW_INFO_FLAG_INPUT_TYPE (1u << 0)
struct hiod_iommu_hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;
	HIOD_ALIGNED_U64 data_uptr;
	union {
		uint32_t in_data_type; /* [6.17] read with HIOD_IOMMU_HW_INFO_FLAG_INPUT_TYPE */
		uint32_t out_data_type;
	};
	/* [6.15; 6.12.117 backport] ilog2 of the device's PASIDs, 0: none (or an
	 * older kernel, whose u32 __reserved here reads 0) */
	uint8_t out_max_pasid_log2;
	uint8_t __reserved[3];
	HIOD_ALIGNED_U64 out_capabilities; /* [6.7]; 0 from 6.6 */
};
#define HIOD_IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 (1u << 0) /* [6.8] */
struct hiod_iommu_hw_info_vtd {
	uint32_t flags;
	uint32_t __reserved;
	HIOD_ALIGNED_U64 cap_reg;
	HIOD_ALIGNED_U64 ecap_reg;
};
/* [6.13] HIOD_IOMMU_HW_INFO_TYPE_ARM_SMMUV3: the raw SMMU_IDR0-5, IIDR and
 * AIDR registers; flags bit 0 (7.x): ERRATA_REPEAT_TLBI_CFGI */
#define HIOD_IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI (1u << 0)
struct hiod_iommu_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t __reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};
/* [7.3] HIOD_IOMMU_HW_INFO_TYPE_AMD: the raw AMD IOMMU Extended Feature
 * registers (MMIO 0x0030 EFR, 0x01a0 EFR2) */
struct hiod_iommu_hw_info_amd {
	HIOD_ALIGNED_U64 efr;
	HIOD_ALIGNED_U64 efr2;
};

/* [6.7] the dirty-tracking pair */
#define HIOD_IOMMU_HWPT_DIRTY_TRACKING_ENABLE 1u
struct hiod_iommu_hwpt_set_dirty_tracking {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt_id;
	uint32_t __reserved;
};
#define HIOD_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR (1u << 0)
struct hiod_iommu_hwpt_get_dirty_bitmap {
	uint32_t size;
	uint32_t hwpt_id;
	uint32_t flags;
	uint32_t __reserved;
	HIOD_ALIGNED_U64 iova;
	HIOD_ALIGNED_U64 length;
	HIOD_ALIGNED_U64 page_size;
	HIOD_ALIGNED_U64 data;
};
/* [6.8] IOMMU_HWPT_INVALIDATE */
enum {
	HIOD_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	HIOD_IOMMU_HWPT_INVALIDATE_DATA_SELFTEST = 0xdeadbeef,
};
struct hiod_iommu_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id;
	HIOD_ALIGNED_U64 data_uptr;
	uint32_t data_type;
	uint32_t entry_len;
	uint32_t entry_num;
	uint32_t __reserved;
};
#define HIOD_IOMMU_VTD_INV_FLAGS_LEAF (1u << 0)
struct hiod_iommu_hwpt_vtd_s1_invalidate {
	HIOD_ALIGNED_U64 addr;
	HIOD_ALIGNED_U64 npages;
	uint32_t flags;
	uint32_t __reserved;
};
/* [6.11] IOMMU_FAULT_QUEUE_ALLOC */
struct hiod_iommu_fault_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_fault_id;
	uint32_t out_fault_fd;
};

/* [6.13] vIOMMU and vDEVICE */
enum {
	HIOD_IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	HIOD_IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,	    /* [6.13] */
	HIOD_IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2, /* [6.17] */
	HIOD_IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef,
};
struct hiod_iommu_viommu_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t type;
	uint32_t dev_id;
	uint32_t hwpt_id;
	uint32_t out_viommu_id;
	uint32_t data_len;	    /* [6.17] driver data (inout); 0 before */
	uint32_t __reserved;	    /* [6.17] */
	HIOD_ALIGNED_U64 data_uptr; /* [6.17] */
};
/* 6.13 ended at out_viommu_id: a 6.13..6.16 kernel answers E2BIG to data */
#define HIOD_IOMMU_VIOMMU_ALLOC_SIZE_6_13 24
struct hiod_iommu_vdevice_alloc {
	uint32_t size;
	uint32_t viommu_id;
	uint32_t dev_id;
	uint32_t out_vdevice_id;
	HIOD_ALIGNED_U64 virt_id;
};
/* [6.13] invalidation through a vIOMMU (hwpt_id = the vIOMMU) */
#define HIOD_IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 1
struct hiod_iommu_viommu_arm_smmuv3_invalidate {
	HIOD_ALIGNED_U64 cmd[2];
};
/* [6.15] vEVENTQ */
#define HIOD_IOMMU_VEVENTQ_FLAG_LOST_EVENTS (1u << 0)
struct hiod_iommufd_vevent_header {
	uint32_t flags;
	uint32_t sequence;
};
enum {
	HIOD_IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	HIOD_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,	     /* [6.15] */
	HIOD_IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2, /* [6.17] */
	HIOD_IOMMU_VEVENTQ_TYPE_SELFTEST = 0xbeefbeef,
};
struct hiod_iommu_vevent_arm_smmuv3 {
	HIOD_ALIGNED_U64 evt[4]; /* little endian */
};
struct hiod_iommu_vevent_tegra241_cmdqv {
	HIOD_ALIGNED_U64 lvcmdq_err_map[2]; /* little endian */
};
struct hiod_iommu_veventq_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t veventq_depth;
	uint32_t out_veventq_id;
	uint32_t out_veventq_fd;
	uint32_t __reserved;
};
/* [6.17] HW queue */
enum {
	HIOD_IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,
	HIOD_IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
	HIOD_IOMMU_HW_QUEUE_TYPE_SELFTEST = 0xdeadbeef,
};
struct hiod_iommu_hw_queue_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t index;
	uint32_t out_hw_queue_id;
	HIOD_ALIGNED_U64 nesting_parent_iova;
	HIOD_ALIGNED_U64 length;
};

/* ------------------------------------------------------------------------ */
/* iommufd selftest (CONFIG_IOMMUFD_TEST, Linux 6.12 numbering; not UAPI,    */
/* never stable: only used by the test-only mock device support)            */
/* ------------------------------------------------------------------------ */

enum {
	HIOD_IOMMU_TEST_OP_ADD_RESERVED = 1,
	HIOD_IOMMU_TEST_OP_MOCK_DOMAIN = 2,
	HIOD_IOMMU_TEST_OP_MD_CHECK_MAP = 3,
	HIOD_IOMMU_TEST_OP_MD_CHECK_REFS = 4,
	HIOD_IOMMU_TEST_OP_CREATE_ACCESS = 5,
	HIOD_IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6,
	HIOD_IOMMU_TEST_OP_ACCESS_PAGES = 7,
	HIOD_IOMMU_TEST_OP_ACCESS_RW = 8,
	HIOD_IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9,
	HIOD_IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	HIOD_IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11,
	HIOD_IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12,
	HIOD_IOMMU_TEST_OP_DIRTY = 13,
	HIOD_IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,
	HIOD_IOMMU_TEST_OP_TRIGGER_IOPF = 15,
	/* later kernels append (7.3 numbering) */
	HIOD_IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,  /* [6.13] */
	HIOD_IOMMU_TEST_OP_TRIGGER_VEVENT = 17,	  /* [6.15] */
	HIOD_IOMMU_TEST_OP_PASID_ATTACH = 18,	  /* [6.15] */
	HIOD_IOMMU_TEST_OP_PASID_REPLACE = 19,	  /* [6.15] */
	HIOD_IOMMU_TEST_OP_PASID_DETACH = 20,	  /* [6.15] */
	HIOD_IOMMU_TEST_OP_PASID_CHECK_HWPT = 21, /* [6.15] */
};
#define HIOD_MOCK_FLAGS_DEVICE_PASID (1u << 2) /* [6.15] */
#define HIOD_MOCK_PASID_WIDTH 20
#define HIOD_MOCK_DEV_CACHE_NUM 4
#define HIOD_MOCK_DEV_CACHE_ID_MAX 3
#define HIOD_IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad
#define HIOD_IOMMU_TEST_HW_QUEUE_MAX 2
#define HIOD_IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
struct hiod_iommu_viommu_selftest {
	uint32_t in_data;
	uint32_t out_data;
	HIOD_ALIGNED_U64 out_mmap_offset;
	HIOD_ALIGNED_U64 out_mmap_length;
};
struct hiod_iommu_viommu_invalidate_selftest {
	uint32_t flags;
	uint32_t vdev_id;
	uint32_t cache_id;
};
struct hiod_iommu_viommu_event_selftest {
	uint32_t virt_id;
};
#define HIOD_MOCK_APERTURE_START (1ull << 24)
#define HIOD_MOCK_APERTURE_LAST ((1ull << 31) - 1)
#define HIOD_MOCK_FLAGS_DEVICE_NO_DIRTY (1u << 0)
#define HIOD_MOCK_FLAGS_DEVICE_HUGE_IOVA (1u << 1)
#define HIOD_MOCK_ACCESS_RW_WRITE (1u << 0)
#define HIOD_MOCK_ACCESS_RW_SLOW_PATH (1u << 2)
#define HIOD_MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES (1u << 0)
#define HIOD_IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define HIOD_IOMMU_TEST_INVALIDATE_FLAG_ALL (1u << 0)

struct hiod_iommu_test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t __reserved;
	union {
		struct {
			HIOD_ALIGNED_U64 start;
			HIOD_ALIGNED_U64 length;
		} add_reserved;
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
		} mock_domain;
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
			uint32_t dev_flags;
		} mock_domain_flags;
		struct {
			uint32_t pt_id;
		} mock_domain_replace;
		struct {
			HIOD_ALIGNED_U64 iova;
			HIOD_ALIGNED_U64 length;
			HIOD_ALIGNED_U64 uptr;
		} check_map;
		struct {
			HIOD_ALIGNED_U64 length;
			HIOD_ALIGNED_U64 uptr;
			uint32_t refs;
		} check_refs;
		struct {
			uint32_t out_access_fd;
			uint32_t flags;
		} create_access;
		struct {
			HIOD_ALIGNED_U64 iova;
			HIOD_ALIGNED_U64 length;
			HIOD_ALIGNED_U64 uptr;
			uint32_t flags;
		} access_rw;
		struct {
			uint32_t limit;
		} memory_limit;
		struct {
			uint32_t flags;
			HIOD_ALIGNED_U64 iova;
			HIOD_ALIGNED_U64 length;
			HIOD_ALIGNED_U64 page_size;
			HIOD_ALIGNED_U64 uptr;
			HIOD_ALIGNED_U64 out_nr_dirty;
		} dirty;
		struct {
			uint32_t id;
			uint32_t iotlb;
		} check_iotlb;
		struct {
			uint32_t id;
			uint32_t cache;
		} check_dev_cache; /* [6.13] */
		struct {
			uint32_t dev_id;
		} trigger_vevent; /* [6.15] */
		struct {
			uint32_t pasid;
			uint32_t pt_id; /* hwpt_id for PASID_CHECK_HWPT (0: detached) */
		} pasid; /* [6.15] attach, replace, detach, check; @id is the stdev */
		uint8_t pad[48];
	};
	uint32_t last;
};
struct hiod_iommu_test_hw_info {
	uint32_t flags;
	uint32_t test_reg;
};
#define HIOD_IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef
struct hiod_iommu_hwpt_selftest {
	uint32_t iotlb;
};
struct hiod_iommu_hwpt_invalidate_selftest {
	uint32_t flags;
	uint32_t iotlb_id;
};

/* ------------------------------------------------------------------------ */
/* vhost-vdpa                                                                */
/* ------------------------------------------------------------------------ */

#define HIOD_VHOST_VIRTIO 0xAF
struct hiod_vhost_vring_state {
	unsigned int index;
	unsigned int num;
};
struct hiod_vhost_vring_file {
	unsigned int index;
	int fd;
};
struct hiod_vhost_vring_addr {
	unsigned int index;
	unsigned int flags;
	HIOD_ALIGNED_U64 desc_user_addr;
	HIOD_ALIGNED_U64 used_user_addr;
	HIOD_ALIGNED_U64 avail_user_addr;
	HIOD_ALIGNED_U64 log_guest_addr;
};
struct hiod_vhost_vdpa_iova_range {
	HIOD_ALIGNED_U64 first;
	HIOD_ALIGNED_U64 last;
};
struct hiod_vhost_vdpa_config {
	uint32_t off;
	uint32_t len;
	uint8_t buf[];
};

#define HIOD_VHOST_GET_FEATURES _IOR(HIOD_VHOST_VIRTIO, 0x00, uint64_t)
#define HIOD_VHOST_SET_FEATURES _IOW(HIOD_VHOST_VIRTIO, 0x00, uint64_t)
#define HIOD_VHOST_SET_OWNER _IO(HIOD_VHOST_VIRTIO, 0x01)
#define HIOD_VHOST_RESET_OWNER _IO(HIOD_VHOST_VIRTIO, 0x02)
#define HIOD_VHOST_SET_VRING_NUM _IOW(HIOD_VHOST_VIRTIO, 0x10, struct hiod_vhost_vring_state)
#define HIOD_VHOST_SET_VRING_ADDR _IOW(HIOD_VHOST_VIRTIO, 0x11, struct hiod_vhost_vring_addr)
#define HIOD_VHOST_SET_VRING_BASE _IOW(HIOD_VHOST_VIRTIO, 0x12, struct hiod_vhost_vring_state)
#define HIOD_VHOST_GET_VRING_BASE _IOWR(HIOD_VHOST_VIRTIO, 0x12, struct hiod_vhost_vring_state)
#define HIOD_VHOST_SET_VRING_KICK _IOW(HIOD_VHOST_VIRTIO, 0x20, struct hiod_vhost_vring_file)
#define HIOD_VHOST_SET_VRING_CALL _IOW(HIOD_VHOST_VIRTIO, 0x21, struct hiod_vhost_vring_file)
#define HIOD_VHOST_SET_BACKEND_FEATURES _IOW(HIOD_VHOST_VIRTIO, 0x25, uint64_t)
#define HIOD_VHOST_GET_BACKEND_FEATURES _IOR(HIOD_VHOST_VIRTIO, 0x26, uint64_t)
#define HIOD_VHOST_VDPA_GET_DEVICE_ID _IOR(HIOD_VHOST_VIRTIO, 0x70, uint32_t)
#define HIOD_VHOST_VDPA_GET_STATUS _IOR(HIOD_VHOST_VIRTIO, 0x71, uint8_t)
#define HIOD_VHOST_VDPA_SET_STATUS _IOW(HIOD_VHOST_VIRTIO, 0x72, uint8_t)
#define HIOD_VHOST_VDPA_GET_CONFIG _IOR(HIOD_VHOST_VIRTIO, 0x73, struct hiod_vhost_vdpa_config)
#define HIOD_VHOST_VDPA_SET_CONFIG _IOW(HIOD_VHOST_VIRTIO, 0x74, struct hiod_vhost_vdpa_config)
#define HIOD_VHOST_VDPA_SET_VRING_ENABLE _IOW(HIOD_VHOST_VIRTIO, 0x75, struct hiod_vhost_vring_state)
#define HIOD_VHOST_VDPA_GET_VRING_NUM _IOR(HIOD_VHOST_VIRTIO, 0x76, uint16_t)
#define HIOD_VHOST_VDPA_GET_IOVA_RANGE _IOR(HIOD_VHOST_VIRTIO, 0x78, struct hiod_vhost_vdpa_iova_range)
#define HIOD_VHOST_VDPA_GET_CONFIG_SIZE _IOR(HIOD_VHOST_VIRTIO, 0x79, uint32_t)
#define HIOD_VHOST_VDPA_GET_AS_NUM _IOR(HIOD_VHOST_VIRTIO, 0x7A, unsigned int)
#define HIOD_VHOST_VDPA_GET_VRING_GROUP _IOWR(HIOD_VHOST_VIRTIO, 0x7B, struct hiod_vhost_vring_state)
#define HIOD_VHOST_VDPA_SET_GROUP_ASID _IOW(HIOD_VHOST_VIRTIO, 0x7C, struct hiod_vhost_vring_state)
#define HIOD_VHOST_VDPA_SUSPEND _IO(HIOD_VHOST_VIRTIO, 0x7D)
#define HIOD_VHOST_VDPA_RESUME _IO(HIOD_VHOST_VIRTIO, 0x7E)
#define HIOD_VHOST_VDPA_GET_VQS_COUNT _IOR(HIOD_VHOST_VIRTIO, 0x80, uint32_t)
#define HIOD_VHOST_VDPA_GET_GROUP_NUM _IOR(HIOD_VHOST_VIRTIO, 0x81, uint32_t)

/* Backend feature *bit numbers* (the wire carries 1ull << bit). */
#define HIOD_VHOST_BACKEND_F_IOTLB_MSG_V2 0x1
#define HIOD_VHOST_BACKEND_F_IOTLB_BATCH 0x2
#define HIOD_VHOST_BACKEND_F_IOTLB_ASID 0x3
#define HIOD_VHOST_BACKEND_F_SUSPEND 0x4
#define HIOD_VHOST_BACKEND_F_RESUME 0x5
#define HIOD_VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK 0x6
#define HIOD_VHOST_BACKEND_F_DESC_ASID 0x7
#define HIOD_VHOST_BACKEND_F_IOTLB_PERSIST 0x8

#define HIOD_VHOST_ACCESS_RO 0x1
#define HIOD_VHOST_ACCESS_WO 0x2
#define HIOD_VHOST_ACCESS_RW 0x3
#define HIOD_VHOST_IOTLB_MISS 1
#define HIOD_VHOST_IOTLB_UPDATE 2
#define HIOD_VHOST_IOTLB_INVALIDATE 3
#define HIOD_VHOST_IOTLB_ACCESS_FAIL 4
#define HIOD_VHOST_IOTLB_BATCH_BEGIN 5
#define HIOD_VHOST_IOTLB_BATCH_END 6

struct hiod_vhost_iotlb_msg {
	uint64_t iova;
	uint64_t size;
	uint64_t uaddr;
	uint8_t perm;
	uint8_t type;
};

#define HIOD_VHOST_IOTLB_MSG 0x1
#define HIOD_VHOST_IOTLB_MSG_V2 0x2
struct hiod_vhost_msg_v2 {
	uint32_t type;
	uint32_t asid;
	union {
		struct hiod_vhost_iotlb_msg iotlb;
		uint8_t padding[64];
	};
};

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests of hiod on an ARM SMMUv3 (the aarch64 lane: QEMU 11's virt
 * machine under TCG, Linux 7.3; ../../docs/qemu-mapping.md): what hw_info
 * returns, decoded, against what the topology's SMMUv3 is (the machine's own:
 * stage 1 only; a user-created one with stage=nested: both stages) and what
 * the guest kernel printed when it probed it; the nesting parent the kernel
 * makes (or refuses) and DMA through it; the vIOMMU objects on the real
 * SMMUv3 driver (IOMMU_VIOMMU_TYPE_ARM_SMMUV3 on the nesting parent, a
 * vDEVICE with the guest's stream ID, nested HWPTs with a bypass and an
 * abort STE) as far as the emulated SMMUv3 lets the kernel go, with the
 * kernel's refusal explained where it refuses; and the arm-smmuv3 vIOMMU
 * policy against the measured registers.
 *
 * HIOD_EXPECT_SMMUV3_STAGE says what the topology's SMMUv3 offers: 1 (the
 * default), 2 or nested. Every value measured is printed as a "# " line.
 *
 * Measured on QEMU 11.1.3 with Linux 7.3: the virt machine's SMMUv3
 * (iommu=smmuv3) has both stages: IDR0 0xd44101b (S1P, S2P, AArch64 tables,
 * COHACC, ASID16, VMID16, little-endian, STALL_MODEL 1, TERM_MODEL, two-level
 * stream tables), IDR1 0x2730010 (SIDSIZE 16, SSIDSIZE 0), IDR3 0x1414 (HAD,
 * XNX, RIL, BBML 2; no FWB), IDR5 0x74 (OAS 44, 4K/16K/64K), IIDR 0, AIDR 1
 * (SMMUv3.1); a user-created stage=1 one has IDR0 0xd44101a, IDR3 0x1404.
 * The kernel makes a nesting parent on the first and DMA goes through its
 * stage 2; it refuses IOMMU_VIOMMU_ALLOC (EOPNOTSUPP: neither S2FWB nor a
 * CANWBS device), so no vDEVICE or nested HWPT can be made on it; on the
 * second it refuses the nesting parent (EOPNOTSUPP).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hiod-edu.h"
#include "vm-fixture.h"
#include "hiod.h"

#define EDU_A "0000:00:04.0"
/* the guest's stream ID of EDU_A: its requester ID on the root bus */
#define EDU_A_SID 0x20
/* struct iommu_hwpt_arm_smmuv3: the first two STE words; word 0 holds V
 * (bit 0) and Config (bits 3:1: 0 abort, 4 bypass, 5 stage-1 translate) */
#define HWPT_DATA_ARM_SMMUV3 2
/* the arm-smmu-v3 driver's software MSI window (MSI_IOVA_BASE, 1 MiB): a
 * reserved region of every device behind it, outside the usable IOVAs */
#define SW_MSI_BASE 0x8000000
#define SW_MSI_LENGTH 0x100000
#define STE0_V 1u
#define STE0_CFG_BYPASS (4u << 1)

static const gchar *
expected_stage(void)
{
	return g_getenv("HIOD_EXPECT_SMMUV3_STAGE") ?: "1";
}

static gboolean
expect_stage2(void)
{
	return g_str_equal(expected_stage(), "2") || g_str_equal(expected_stage(), "nested");
}

static gboolean
expect_stage1(void)
{
	return !g_str_equal(expected_stage(), "2");
}

/* the guest kernel's probe line: "arm-smmu-v3 ...: ias 44-bit, oas 44-bit (features 0x...)" */
static gboolean
dmesg_oas(guint *ias, guint *oas, guint32 *features)
{
	g_autofree gchar *out = NULL, *i = NULL, *o = NULL, *f = NULL;
	g_autoptr(GMatchInfo) m = NULL;
	g_autoptr(GRegex) re = g_regex_new("ias (\\d+)-bit, oas (\\d+)-bit \\(features 0x([0-9a-f]+)\\)", 0, 0, NULL);
	if (!g_spawn_command_line_sync("dmesg", &out, NULL, NULL, NULL) || out == NULL)
		return FALSE;
	if (!g_regex_match(re, out, 0, &m))
		return FALSE;
	i = g_match_info_fetch(m, 1);
	o = g_match_info_fetch(m, 2);
	f = g_match_info_fetch(m, 3);
	*ias = (guint)g_ascii_strtoull(i, NULL, 10);
	*oas = (guint)g_ascii_strtoull(o, NULL, 10);
	*features = (guint32)g_ascii_strtoull(f, NULL, 16);
	return TRUE;
}

static HiodVfioDevice *
open_attached(HiodContext *ctx, guint64 viommu_flags, HiodContainer **container, GError **error)
{
	g_autoptr(HiodVfioDevice) d = hiod_vfio_device_new(ctx, EDU_A, error);
	g_autoptr(HiodContainer) c = NULL;
	if (d == NULL)
		return NULL;
	c = hiod_container_new(ctx, HIOD_BACKEND_KIND_IOMMUFD, d, error);
	if (c == NULL)
		return NULL;
	if (!hiod_vfio_device_attach(d, c, viommu_flags, error))
		return NULL;
	*container = g_steal_pointer(&c);
	return g_steal_pointer(&d);
}

static HiodHostIommuDeviceIommufdVfio *
hiod_of(HiodVfioDevice *d)
{
	return HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod_vfio_device_get_host_iommu_device(d));
}

/* hw_info: type ARM SMMUv3, the registers decoded, against the topology and the kernel's probe */
static void
test_hw_info(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = NULL;
	g_autoptr(HiodVfioDevice) a = open_attached(ctx, 0, &c, &error);
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;
	HiodHostIommuCaps *caps;
	HiodSmmuv3Caps *s;
	guint ias = 0, oas = 0;
	guint32 features = 0;

	g_assert_no_error(error);
	caps = hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod_of(a)));
	g_test_message("platform %s, QEMU %s, SMMUv3 stage %s", g_getenv("HIOD_PLATFORM") ?: "?",
		       g_getenv("HIOD_QEMU_VERSION") ?: "?", expected_stage());
	g_test_message("hw_info type 0x%x, hw_caps 0x%x, max_pasid_log2 %u, aw_bits %u (IOVA ranges)",
		       hiod_host_iommu_caps_get_hw_info_type(caps), hiod_host_iommu_caps_get_hw_caps(caps),
		       hiod_host_iommu_caps_get_max_pasid_log2(caps), hiod_host_iommu_caps_get_aw_bits(caps));
	g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_ARM_SMMUV3);
	g_assert_cmphex(hiod_host_iommu_caps_get_hw_info_type(caps), ==, 2);
	g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(hiod_of(a)));
	g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_amd_caps(hiod_of(a)));
	s = hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps(hiod_of(a));
	g_assert_nonnull(s);
	hiod_smmuv3_caps_to_json(s, b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	g_test_message("SMMUv3: %s", json);
	g_test_message("idr0 0x%x idr1 0x%x idr3 0x%x idr5 0x%x iidr 0x%x aidr 0x%x flags 0x%x",
		       hiod_smmuv3_caps_get_idr(s, 0), hiod_smmuv3_caps_get_idr(s, 1),
		       hiod_smmuv3_caps_get_idr(s, 3), hiod_smmuv3_caps_get_idr(s, 5),
		       hiod_smmuv3_caps_get_iidr(s), hiod_smmuv3_caps_get_aidr(s), hiod_smmuv3_caps_get_flags(s));
	/* what VFIO and iommufd need, or the device would not be bound */
	g_assert_true(hiod_smmuv3_caps_get_coherent(s));
	g_assert_true(hiod_smmuv3_caps_get_aarch64_tables(s));
	g_assert_true(hiod_smmuv3_caps_get_little_endian_tables(s));
	/* what the topology's SMMUv3 is */
	g_assert_cmpint(hiod_smmuv3_caps_get_stage1(s), ==, expect_stage1());
	g_assert_cmpint(hiod_smmuv3_caps_get_stage2(s), ==, expect_stage2());
	g_assert_cmpint(hiod_smmuv3_caps_get_nesting(s), ==, expect_stage1() && expect_stage2());
	/* a PCI requester ID is 16 bits: the stream IDs must cover it */
	g_assert_cmpuint(hiod_smmuv3_caps_get_sid_bits(s), >=, 16);
	g_assert_cmphex(hiod_smmuv3_caps_get_granules(s) & 0x1000, ==, 0x1000);
	/* the guest kernel's own reading of the same registers */
	if (dmesg_oas(&ias, &oas, &features)) {
		g_test_message("the kernel probed: ias %u-bit, oas %u-bit, features 0x%x", ias, oas, features);
		g_assert_cmpuint(hiod_smmuv3_caps_get_oas_bits(s), ==, oas);
	} else {
		g_test_message("the kernel's probe line is no longer in the log: OAS not compared");
	}
	/* the address width comes from the IOVA ranges of the stage-1 (or,
	 * without stage 1, stage-2) domain: within the SMMU's input sizes */
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), >=, 32);
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), <=,
			 MAX(hiod_smmuv3_caps_get_va_bits(s), hiod_smmuv3_caps_get_oas_bits(s)));
	/* edu has no PASID capability */
	g_assert_cmpuint(hiod_host_iommu_caps_get_max_pasid_log2(caps), ==, 0);
	/* the MSI window is carved out of the usable ranges: refused before the kernel */
	{
		guint8 *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		g_assert_true(buf != MAP_FAILED);
		for (guint64 iova = SW_MSI_BASE; iova < SW_MSI_BASE + SW_MSI_LENGTH; iova += SW_MSI_LENGTH - 4096) {
			g_assert_false(hiod_container_dma_map(c, iova, 4096, buf, 0, &error));
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
			g_test_message("IOVA 0x%" G_GINT64_MODIFIER "x: %s", iova, error->message);
			g_clear_error(&error);
		}
		g_assert_true(hiod_container_dma_map(c, SW_MSI_BASE + SW_MSI_LENGTH, 4096, buf, 0, &error));
		g_assert_no_error(error);
		g_assert_true(hiod_container_dma_unmap(c, SW_MSI_BASE + SW_MSI_LENGTH, 4096, &error));
		g_assert_no_error(error);
		munmap(buf, 4096);
	}
	vm_edu_round_trip(a, c);
	hiod_vfio_device_detach(a);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

/* A nesting parent: refused without stage 2 (and nothing left behind);
 * with both stages DMA goes through it, then the vIOMMU objects on it. */
static void
test_nesting(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = NULL;
	g_autoptr(HiodVfioDevice) a = open_attached(ctx, HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT, &c, &error);
	g_autoptr(HiodIommufdViommu) v = NULL;
	g_autoptr(HiodIommufdVdevice) vd = NULL;
	HiodHostIommuDeviceIommufd *idev;
	HiodSmmuv3Caps *s;
	guint32 parent, bypass = 0, abort_hwpt = 0;
	guint64 ste[2] = {0};

	if (!(expect_stage1() && expect_stage2())) {
		g_assert_null(a);
		g_test_message("no nesting parent on an SMMUv3 without both stages: %s", error->message);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
		return;
	}
	g_assert_no_error(error);
	idev = HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod_of(a));
	parent = hiod_host_iommu_device_iommufd_get_hwpt_id(idev);
	s = hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps(hiod_of(a));
	g_test_message("%s on nesting-parent HWPT %u (stage 2)", EDU_A, parent);
	vm_edu_round_trip(a, c);

	v = hiod_host_iommu_device_iommufd_alloc_viommu(idev, HIOD_IOMMUFD_VIOMMU_TYPE_ARM_SMMUV3, parent, NULL,
							&error);
	if (v == NULL) {
		/* the kernel's vIOMMU needs stage-2 forced write-back (IDR3.FWB) or a
		 * device the firmware marks fully coherent (IORT CANWBS: ACPI only;
		 * this guest has a device tree) */
		g_test_message("the kernel refuses an ARM SMMUv3 vIOMMU: %s (IDR3.FWB %d)", error->message,
			       hiod_smmuv3_caps_get_fwb(s));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
		g_assert_false(hiod_smmuv3_caps_get_fwb(s));
		vm_edu_round_trip(a, c); /* nothing changed */
		hiod_vfio_device_detach(a);
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
		return;
	}
	g_test_message("vIOMMU %u (ARM SMMUv3) on HWPT %u", hiod_iommufd_viommu_get_id(v), parent);
	vd = hiod_iommufd_viommu_alloc_vdevice(v, idev, EDU_A_SID, &error);
	g_assert_no_error(error);
	g_test_message("vDEVICE %u: virtual stream ID 0x%x", hiod_iommufd_vdevice_get_id(vd), EDU_A_SID);
	/* a bypass STE: the nested HWPT translates as its parent */
	ste[0] = GUINT64_TO_LE(STE0_V | STE0_CFG_BYPASS);
	g_assert_true(hiod_iommufd_viommu_alloc_hwpt(v, idev, 0, HWPT_DATA_ARM_SMMUV3, (const guint8 *)ste,
						     sizeof(ste), &bypass, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(idev, bypass, &error));
	g_assert_no_error(error);
	g_test_message("nested HWPT %u (bypass STE) attached: DMA through the parent's stage 2", bypass);
	vm_edu_round_trip(a, c);
	/* an abort STE is taken too */
	ste[0] = GUINT64_TO_LE(STE0_V);
	g_assert_true(hiod_iommufd_viommu_alloc_hwpt(v, idev, 0, HWPT_DATA_ARM_SMMUV3, (const guint8 *)ste,
						     sizeof(ste), &abort_hwpt, &error));
	g_assert_no_error(error);
	/* back on the parent; everything undone */
	g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(idev, parent, &error));
	g_assert_no_error(error);
	vm_edu_round_trip(a, c);
	g_assert_true(hiod_iommufd_backend_destroy(hiod_iommufd_viommu_get_backend(v), abort_hwpt, &error));
	g_assert_true(hiod_iommufd_backend_destroy(hiod_iommufd_viommu_get_backend(v), bypass, &error));
	g_assert_true(hiod_iommufd_vdevice_destroy(vd, &error));
	g_assert_true(hiod_iommufd_viommu_destroy(v, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(a);
}

/* the arm-smmuv3 vIOMMU policy on the measured registers: the emulated
 * vSMMU refuses any assigned device; accel=on refuses a host without
 * stage 2, and on the nested SMMUv3 says what else it lacks */
static void
test_viommu_policy(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = NULL;
	g_autoptr(HiodVfioDevice) a = open_attached(ctx, 0, &c, &error);
	g_autoptr(HiodViommu) emulated = hiod_viommu_new_from_spec("arm-smmuv3", &error);
	g_autoptr(HiodViommu) accel = hiod_viommu_new_from_spec("arm-smmuv3,accel=on", &error);
	g_autoptr(HiodViommuVerdict) ve = NULL, va = NULL;
	g_autofree gchar *te = NULL, *ta = NULL;
	HiodPciRid rid = {0, 0, 4 << 3, 0, 4 << 3, FALSE};
	HiodSmmuv3Caps *s;

	g_assert_no_error(error);
	s = hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps(hiod_of(a));
	ve = hiod_viommu_check(emulated, &rid, hiod_vfio_device_get_host_iommu_device(a));
	va = hiod_viommu_check(accel, &rid, hiod_vfio_device_get_host_iommu_device(a));
	te = hiod_viommu_verdict_get_reasons_text(ve);
	ta = hiod_viommu_verdict_get_reasons_text(va);
	g_test_message("arm-smmuv3: %s", te);
	g_test_message("arm-smmuv3,accel=on: %s", hiod_viommu_verdict_is_compatible(va) ? "compatible" : ta);
	g_assert_false(hiod_viommu_verdict_is_compatible(ve));
	g_assert_true(hiod_viommu_verdict_has_reason(ve, "MAP notifier"));
	if (!hiod_smmuv3_caps_get_nesting(s)) {
		g_assert_false(hiod_viommu_verdict_is_compatible(va));
		g_assert_true(hiod_viommu_verdict_has_reason(va, "cannot nest"));
	} else {
		g_assert_false(hiod_viommu_verdict_has_reason(va, "cannot nest"));
		/* every granule the vSMMU offers, or a reason naming the missing one */
		g_assert_cmpint(hiod_viommu_verdict_has_reason(va, "16K translation granule"), ==,
				(hiod_smmuv3_caps_get_granules(s) & 0x4000) == 0);
	}
	hiod_vfio_device_detach(a);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/vm/smmuv3/hw-info", test_hw_info);
	g_test_add_func("/hiod/vm/smmuv3/nesting", test_nesting);
	g_test_add_func("/hiod/vm/smmuv3/viommu-policy", test_viommu_policy);
	return g_test_run();
}

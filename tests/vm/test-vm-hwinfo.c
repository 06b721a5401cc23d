/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM tests of what hiod learns from the running kernel on QEMU 11's IOMMUs
 * (topologies vtd-sm, vtd-fsts, vtd-pasid, vtd-svm, amd; platforms 7.3 and
 * 6.12-qemu11): edu DMA through both backends, which page table the iommufd
 * attach used, and the
 * hw_info decode against what the guest kernel shows in sysfs
 * (/sys/class/iommu/dmar0/intel-iommu/{cap,ecap}, .../ivhd0/amd-iommu/features).
 *
 * Measured on Linux 6.12 under QEMU 11.1 with a first-stage-only VT-d
 * (vtd-fsts, ecap 0x880000f00f4a): the device refuses hiod's HWPT and the
 * IOAS's automatic domain alike (EINVAL: 6.12 makes every iommufd page table
 * second stage), so iommufd cannot work there and the error says so and to
 * use the legacy backend, which does DMA; on 7.3 hiod's HWPT works.
 *
 * Each test reads what the kernel and the platform have and checks that; a
 * check that cannot mean the same on one platform says why in a "# " line.
 * Every value measured is printed as a "# " line too.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "hiod-edu.h"
#include "vm-fixture.h"
#include "hiod.h"

#define EDU_A "0000:00:04.0"
#define EDU_B "0000:00:05.0"
#define VTD_SYSFS "/sys/class/iommu/dmar0/intel-iommu"
#define AMD_SYSFS "/sys/class/iommu/ivhd0/amd-iommu"

/* the platform ------------------------------------------------------------- */

static guint
kernel_major(void)
{
	g_autofree gchar *s = NULL;
	if (!g_file_get_contents("/proc/sys/kernel/osrelease", &s, NULL, NULL))
		return 0;
	return (guint)g_ascii_strtoull(s, NULL, 10);
}

static gboolean
read_hex(const gchar *path, guint64 *v)
{
	g_autofree gchar *s = NULL;
	if (!g_file_get_contents(path, &s, NULL, NULL))
		return FALSE;
	*v = g_ascii_strtoull(g_strstrip(s), NULL, 16);
	return TRUE;
}

static gboolean
is_vtd(void)
{
	return g_file_test(VTD_SYSFS, G_FILE_TEST_IS_DIR);
}

static gboolean
is_amd(void)
{
	return g_file_test(AMD_SYSFS, G_FILE_TEST_IS_DIR);
}

/* VT-d with first-stage tables only: ECAP.FLTS (47) set, ECAP.SLTS (46) clear */
static gboolean
vtd_first_stage_only(void)
{
	guint64 ecap = 0;
	return is_vtd() && read_hex(VTD_SYSFS "/ecap", &ecap) && (ecap >> 47 & 1) && !(ecap >> 46 & 1);
}

static gboolean
unsafe_interrupts_allowed(void)
{
	g_autofree gchar *s = NULL;
	if (!g_file_get_contents("/sys/module/iommufd/parameters/allow_unsafe_interrupts", &s, NULL, NULL))
		return FALSE;
	return s[0] == 'Y' || s[0] == '1';
}

static void
platform_message(void)
{
	guint64 cap = 0, ecap = 0;
	g_test_message("platform %s, %s, Linux %u", g_getenv("HIOD_PLATFORM") ?: "?",
		       g_getenv("HIOD_QEMU_VERSION") ?: "QEMU ?", kernel_major());
	if (is_vtd() && read_hex(VTD_SYSFS "/cap", &cap) && read_hex(VTD_SYSFS "/ecap", &ecap))
		g_test_message("sysfs VT-d cap 0x%" G_GINT64_MODIFIER "x ecap 0x%" G_GINT64_MODIFIER "x", cap, ecap);
}

/* iommufd cannot work: 6.12 on a first-stage-only VT-d */
static gboolean
iommufd_impossible(void)
{
	return vtd_first_stage_only() && kernel_major() < 7;
}

/* Attaches @d through a new container of @kind; NULL (the refusal checked
 * and explained) where this platform cannot: 7.3's AMD-Vi driver turns
 * interrupt remapping off under QEMU's emulation ("No southbridge IOAPIC"),
 * so bind and SET_IOMMU get EPERM unless the unsafe-interrupt parameters are on. */
static HiodContainer *
attach_or_refused(HiodContext *ctx, HiodVfioDevice *d, HiodBackendKind kind)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_container_new(ctx, kind, d, &error);
	g_assert_no_error(error);
	if (!hiod_vfio_device_attach(d, c, 0, &error)) {
		if (kind == HIOD_BACKEND_KIND_IOMMUFD && iommufd_impossible()) {
			/* the clear refusal, and nothing left behind */
			g_test_message("Linux %u on a first-stage-only VT-d: %s", kernel_major(), error->message);
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
			g_assert_nonnull(strstr(error->message, "legacy backend"));
			g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
			g_assert_null(hiod_vfio_device_get_container(d));
			g_test_message("no iommufd page table this kernel makes fits a first-stage-only VT-d: "
				       "the refusal is what this platform can show");
			return NULL;
		}
		if (is_amd() && g_error_matches(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED) &&
		    !unsafe_interrupts_allowed()) {
			/* the refusal explained, and nothing left behind (x86-amd-unsafe
			 * runs the same program with the parameters and does DMA) */
			g_test_message("Linux %u: AMD-Vi without interrupt remapping and without "
				       "allow_unsafe_interrupts: the kernel refuses (%s)",
				       kernel_major(), error->message);
			g_assert_cmpuint(kernel_major(), >=, 7); /* 6.12 keeps remapping on */
			g_assert_nonnull(strstr(error->message, "interrupt remapping"));
			g_assert_nonnull(strstr(error->message, kind == HIOD_BACKEND_KIND_IOMMUFD
								    ? "iommufd.allow_unsafe_interrupts=1"
								    : "vfio_iommu_type1.allow_unsafe_interrupts=1"));
			g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
			g_assert_null(hiod_vfio_device_get_container(d));
			return NULL;
		}
		g_assert_no_error(error);
	}
	return g_steal_pointer(&c);
}

/* tests ---------------------------------------------------------------------- */

static guint32
hwpt_of(HiodVfioDevice *d)
{
	return hiod_host_iommu_device_iommufd_get_hwpt_id(
	    HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod_vfio_device_get_host_iommu_device(d)));
}

/* iommufd DMA, and by which page table: on Linux 6.12 a first-stage-only
 * VT-d refuses hiod's HWPT (EINVAL) and the device ends on the IOAS's
 * automatic domain; elsewhere hiod's HWPT is used. */
static void
test_iommufd_dma(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = hiod_vfio_device_new(ctx, EDU_A, &error);
	g_autoptr(HiodVfioDevice) b = hiod_vfio_device_new(ctx, EDU_B, &error);
	g_autoptr(HiodContainer) c = NULL;
	HiodIommufdContainer *ic;
	gboolean autodomain, expect_auto;
	guint32 hwpt;

	g_assert_no_error(error);
	platform_message();
	c = attach_or_refused(ctx, a, HIOD_BACKEND_KIND_IOMMUFD);
	if (c == NULL)
		return;
	ic = HIOD_IOMMUFD_CONTAINER(c);
	hwpt = hwpt_of(a);
	autodomain = hiod_iommufd_container_get_hwpt_autodomain(ic, hwpt);
	g_test_message("attached %s to HWPT %u: %s", EDU_A, hwpt,
		       autodomain ? "the IOAS's automatic domain (hiod's HWPT refused)" : "a HWPT hiod allocated");
	/* a kernel with IOMMU_HWPT_ALLOC whose devices take its HWPTs: hiod's */
	expect_auto = FALSE;
	if (vtd_first_stage_only())
		g_test_message("first-stage-only VT-d on Linux %u: the kernel takes a user HWPT", kernel_major());
	g_assert_cmpint(autodomain, ==, expect_auto);
	vm_edu_round_trip(a, c);
	/* a second device goes the same way and shares the page table */
	g_assert_true(hiod_vfio_device_attach(b, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hwpt_of(b), ==, hwpt);
	vm_edu_round_trip(b, c);
	hiod_vfio_device_detach(b);
	hiod_vfio_device_detach(a);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

/* No backend asked for: the best the host offers. iommufd where the kernel
 * gives the device a page table; on Linux 6.12 with a first-stage-only VT-d
 * iommufd refuses and the legacy backend takes the device (DMA through it);
 * where both refuse (7.3's AMD-Vi without interrupt remapping), one error
 * with both reasons, and nothing left. hiodctl without --backend alike. */
static void
test_auto(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = hiod_vfio_device_new(ctx, EDU_A, &error);
	g_autoptr(HiodContainer) c = NULL;
	const gchar *hiodctl = g_getenv("HIODCTL");
	g_autofree gchar *cmd = NULL, *out = NULL, *err = NULL;
	gint status = -1;

	g_assert_no_error(error);
	c = hiod_container_new_attached(ctx, HIOD_BACKEND_KIND_AUTO, a, 0, &error);
	if (is_amd() && !unsafe_interrupts_allowed() && kernel_major() >= 7) {
		g_assert_null(c);
		g_test_message("both refuse: %s", error->message);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
		g_assert_nonnull(strstr(error->message, "the legacy backend, tried next, refused too"));
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
		g_assert_null(hiod_vfio_device_get_container(a));
		return;
	}
	g_assert_no_error(error);
	g_test_message("no backend asked for: %s took %s",
		       hiod_backend_kind_to_string(hiod_container_get_backend_kind(c)), EDU_A);
	g_assert_cmpint(hiod_container_get_backend_kind(c), ==,
			iommufd_impossible() ? HIOD_BACKEND_KIND_LEGACY : HIOD_BACKEND_KIND_IOMMUFD);
	vm_edu_round_trip(a, c);
	hiod_vfio_device_detach(a);
	g_clear_object(&c);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);

	g_assert_nonnull(hiodctl);
	cmd = g_strdup_printf("%s dma-test --json %s", hiodctl, EDU_A);
	g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, &error));
	g_test_message("hiodctl dma-test (no --backend): %s", g_strstrip(out));
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out, iommufd_impossible() ? "\"legacy\"" : "\"iommufd\""));
}

static void
test_legacy_dma(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = hiod_vfio_device_new(ctx, EDU_A, &error);
	g_autoptr(HiodContainer) c = NULL;

	g_assert_no_error(error);
	c = attach_or_refused(ctx, a, HIOD_BACKEND_KIND_LEGACY);
	if (c == NULL)
		return;
	vm_edu_round_trip(a, c);
	hiod_vfio_device_detach(a);
}

/* hw_info against sysfs: VT-d's cap/ecap and PASID width; AMD-Vi's EFR/EFR2
 * where the kernel reports them (type 4: Linux 7.3 with
 * CONFIG_AMD_IOMMU_IOMMUFD), type none elsewhere; the device's own PASID
 * width (edu has no PASID capability). */
static void
test_hw_info(void)
{
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) a = hiod_vfio_device_new(ctx, EDU_A, &error);
	g_autoptr(HiodContainer) c = NULL;
	HiodHostIommuDeviceIommufdVfio *hiod;
	HiodHostIommuCaps *caps;
	const gchar *want_pasid = g_getenv("HIOD_EXPECT_PASID_WIDTH");

	g_assert_no_error(error);
	c = attach_or_refused(ctx, a, HIOD_BACKEND_KIND_IOMMUFD);
	if (c == NULL)
		return;
	hiod = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod_vfio_device_get_host_iommu_device(a));
	caps = hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod));
	g_test_message("hw_info type 0x%x, hw_caps 0x%x, max_pasid_log2 %u, aw_bits %u",
		       hiod_host_iommu_caps_get_hw_info_type(caps), hiod_host_iommu_caps_get_hw_caps(caps),
		       hiod_host_iommu_caps_get_max_pasid_log2(caps), hiod_host_iommu_caps_get_aw_bits(caps));
	/* edu has no PASID capability: 0 wherever the kernel reports the field */
	g_assert_cmpuint(hiod_host_iommu_caps_get_max_pasid_log2(caps), ==, 0);
	if (is_vtd()) {
		HiodVtdCaps *vtd = hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(hiod);
		guint64 cap = 0, ecap = 0;
		g_assert_true(read_hex(VTD_SYSFS "/cap", &cap));
		g_assert_true(read_hex(VTD_SYSFS "/ecap", &ecap));
		g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_INTEL_VTD);
		g_assert_nonnull(vtd);
		g_assert_cmphex(hiod_vtd_caps_get_cap(vtd), ==, cap);
		g_assert_cmphex(hiod_vtd_caps_get_ecap(vtd), ==, ecap);
		g_test_message("VT-d: aw %u, scalable %d, flts %d, slts %d, nest %d, pasid %d, pss %u, "
			       "pasid_width %u, prs %d",
			       hiod_vtd_caps_get_address_width(vtd), hiod_vtd_caps_get_scalable_mode(vtd),
			       hiod_vtd_caps_get_flts(vtd), hiod_vtd_caps_get_slts(vtd),
			       hiod_vtd_caps_get_nest(vtd), hiod_vtd_caps_get_pasid(vtd),
			       hiod_vtd_caps_get_pss(vtd), hiod_vtd_caps_get_pasid_width(vtd),
			       hiod_vtd_caps_get_prs(vtd));
		g_assert_cmpuint(hiod_vtd_caps_get_pasid_width(vtd), ==,
				 (ecap >> 40 & 1) ? ((ecap >> 35) & 0x1f) + 1 : 0);
		if (want_pasid != NULL)
			g_assert_cmpuint(hiod_vtd_caps_get_pasid_width(vtd), ==,
					 g_ascii_strtoull(want_pasid, NULL, 10));
		/* page requests (PRS, ecap bit 29): what svm=on adds */
		g_assert_cmpint(hiod_vtd_caps_get_prs(vtd), ==, (ecap >> 29) & 1);
		if (g_getenv("HIOD_EXPECT_PRS") != NULL)
			g_assert_cmpint(hiod_vtd_caps_get_prs(vtd), ==,
					g_ascii_strtoll(g_getenv("HIOD_EXPECT_PRS"), NULL, 10));
		g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_amd_caps(hiod));
	} else if (is_amd()) {
		g_autofree gchar *features = NULL;
		g_auto(GStrv) parts = NULL;
		guint64 efr = 0, efr2 = 0;
		g_assert_true(g_file_get_contents(AMD_SYSFS "/features", &features, NULL, NULL));
		parts = g_strsplit(g_strstrip(features), ":", 2);
		efr = g_ascii_strtoull(parts[0], NULL, 16);
		if (parts[1] != NULL)
			efr2 = g_ascii_strtoull(parts[1], NULL, 16);
		g_test_message("sysfs AMD-Vi features %s (EFR 0x%" G_GINT64_MODIFIER "x, EFR2 0x%" G_GINT64_MODIFIER "x)",
			       features, efr, efr2);
		if (hiod_host_iommu_caps_get_hw_info_type(caps) == 4) {
			HiodAmdCaps *amd = hiod_host_iommu_device_iommufd_vfio_get_amd_caps(hiod);
			g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_AMD_VI);
			g_assert_nonnull(amd);
			g_assert_cmphex(hiod_amd_caps_get_efr(amd), ==, efr);
			g_assert_cmphex(hiod_amd_caps_get_efr2(amd), ==, efr2);
			g_test_message("AMD-Vi: ppr %d, x2apic %d, nx %d, gt %d, ga %d, host_levels %u, "
				       "guest_levels %u, pasid_width %u, dirty %d",
				       hiod_amd_caps_get_ppr(amd), hiod_amd_caps_get_x2apic(amd),
				       hiod_amd_caps_get_nx(amd), hiod_amd_caps_get_guest_translation(amd),
				       hiod_amd_caps_get_guest_apic(amd), hiod_amd_caps_get_host_levels(amd),
				       hiod_amd_caps_get_guest_levels(amd), hiod_amd_caps_get_pasid_width(amd),
				       hiod_amd_caps_get_dirty_tracking(amd));
		} else {
			g_test_message("this kernel reports no AMD hw_info (type 0x%x): Linux 7.3 with "
				       "CONFIG_AMD_IOMMU_IOMMUFD does; the EFR check cannot run",
				       hiod_host_iommu_caps_get_hw_info_type(caps));
			g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_NONE);
			g_assert_cmpuint(kernel_major(), <, 7);
			g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_amd_caps(hiod));
		}
	} else if (hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_ARM_SMMUV3) {
		/* the aarch64 lane: no sysfs file holds the SMMUv3's ID registers;
		 * test-vm-smmuv3 checks them against the topology and the kernel's probe */
		HiodSmmuv3Caps *smmu = hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps(hiod);
		g_assert_nonnull(smmu);
		g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(hiod));
		g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_amd_caps(hiod));
		g_test_message("ARM SMMUv3 3.%u: stage1 %d, stage2 %d, oas %u bits, sid %u bits",
			       hiod_smmuv3_caps_get_arch_minor(smmu), hiod_smmuv3_caps_get_stage1(smmu),
			       hiod_smmuv3_caps_get_stage2(smmu), hiod_smmuv3_caps_get_oas_bits(smmu),
			       hiod_smmuv3_caps_get_sid_bits(smmu));
	} else {
		g_test_message("neither VT-d nor AMD-Vi in sysfs: nothing to compare");
	}
	hiod_vfio_device_detach(a);
}

/* hiodctl on this platform: info says which page table was used, dma-test works */
static void
test_hiodctl(void)
{
	const gchar *hiodctl = g_getenv("HIODCTL");
	g_autofree gchar *cmd = NULL, *out = NULL, *err = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *hiod;
	gint status = -1;

	if (hiodctl == NULL) {
		g_test_skip("HIODCTL is not set");
		return;
	}
	cmd = g_strdup_printf("%s info --json %s --backend iommufd", hiodctl, EDU_A);
	g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, &error));
	if (iommufd_impossible()) {
		g_test_message("hiodctl info --backend iommufd: %s", out);
		g_assert_cmpint(status, !=, 0);
		g_assert_nonnull(strstr(out, "invalid-argument"));
		g_assert_nonnull(strstr(out, "legacy backend"));
		g_clear_pointer(&cmd, g_free);
		g_clear_pointer(&out, g_free);
		g_clear_pointer(&err, g_free);
		cmd = g_strdup_printf("%s dma-test --json %s --backend legacy", hiodctl, EDU_A);
		g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, &error));
		g_test_message("hiodctl dma-test --backend legacy: %s", g_strstrip(out));
		g_assert_cmpint(status, ==, 0);
		return;
	}
	if (status != 0 && is_amd() && !unsafe_interrupts_allowed() && strstr(out, "permission-denied")) {
		g_test_message("hiodctl: %s", out);
		g_assert_cmpuint(kernel_major(), >=, 7);
		g_assert_cmpint(status, !=, 0);
		g_assert_nonnull(strstr(out, "allow_unsafe_interrupts"));
		return;
	}
	g_assert_cmpint(status, ==, 0);
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	g_assert_no_error(error);
	hiod = json_object_get_object_member(
	    json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)), "device"),
	    "host_iommu_device");
	g_test_message("hiodctl info: attached_to %s",
		       json_object_get_string_member_with_default(hiod, "attached_to", "(none)"));
	g_assert_cmpstr(json_object_get_string_member(hiod, "attached_to"), ==, "hwpt");
	g_clear_pointer(&cmd, g_free);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	cmd = g_strdup_printf("%s dma-test --json %s --backend iommufd", hiodctl, EDU_A);
	g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, &error));
	g_test_message("hiodctl dma-test --backend iommufd: %s", g_strstrip(out));
	g_assert_cmpint(status, ==, 0);
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	g_assert_no_error(error);
	g_assert_true(json_object_get_boolean_member(json_node_get_object(json_parser_get_root(parser)),
						     "verified"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/vm/hwinfo/iommufd-dma", test_iommufd_dma);
	g_test_add_func("/hiod/vm/hwinfo/legacy-dma", test_legacy_dma);
	g_test_add_func("/hiod/vm/hwinfo/auto", test_auto);
	g_test_add_func("/hiod/vm/hwinfo/hw-info", test_hw_info);
	g_test_add_func("/hiod/vm/hwinfo/hiodctl", test_hiodctl);
	return g_test_run();
}

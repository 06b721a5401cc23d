/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vIOMMU policies from tables of host caps, and the attach flow's vIOMMU
 * hand-off with its rollback (a refusing vIOMMU, fault injection). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "hiod-backend-private.h"
#include "hiod-test-common.h"
#include "hiod-vfio-device-private.h"

#define VTD_CAP_FS1GP (G_GUINT64_CONSTANT(1) << 56)
#define VTD_ECAP_NEST (G_GUINT64_CONSTANT(1) << 26)
/* the emulated VT-d of the test VM (test-vm.md) */
#define QEMU_VTD_CAP G_GUINT64_CONSTANT(0xd2008c22260286)
#define QEMU_VTD_ECAP G_GUINT64_CONSTANT(0xf00f4a)

static HiodHostIommuCaps *
vtd_caps(guint aw, guint64 cap, guint64 ecap)
{
	guint8 data[24] = {0};
	g_autoptr(GBytes) bytes = NULL;
	guint32 flags = 1;
	memcpy(data, &flags, 4);
	memcpy(data + 8, &cap, 8);
	memcpy(data + 16, &ecap, 8);
	bytes = g_bytes_new(data, sizeof(data));
	return hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_INTEL_VTD, 1, aw, 0, 0, bytes);
}

/* VT-d: caps x settings -> verdict --------------------------------------------- */

typedef struct {
	const gchar *name;
	guint guest_aw;
	gboolean x_flts;
	gboolean fs1gp;
	HiodIommuType host_type; /* UNKNOWN: legacy caps without vendor data */
	guint host_aw;
	guint64 cap, ecap;
	HiodBackendKind backend;
	gboolean aliased;
	gboolean compatible;
	const gchar *reason;	 /* a substring of one reason */
	const gchar *setting;	 /* a suggestion expected */
	const gchar *suggested;
} VtdCase;

static const VtdCase vtd_cases[] = {
    {"aw39-host39", 39, FALSE, TRUE, HIOD_IOMMU_TYPE_INTEL_VTD, 39, QEMU_VTD_CAP, QEMU_VTD_ECAP,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, TRUE, NULL, NULL, NULL},
    {"aw48-host39", 48, FALSE, TRUE, HIOD_IOMMU_TYPE_INTEL_VTD, 39, QEMU_VTD_CAP, QEMU_VTD_ECAP,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, FALSE, "aw-bits 48 > host aw-bits 39", "aw-bits", "39"},
    {"aw48-host39-legacy", 48, FALSE, TRUE, HIOD_IOMMU_TYPE_UNKNOWN, 39, 0, 0,
     HIOD_BACKEND_KIND_LEGACY, FALSE, FALSE, "aw-bits 48 > host aw-bits 39", "aw-bits", "39"},
    {"aw48-host48", 48, FALSE, TRUE, HIOD_IOMMU_TYPE_INTEL_VTD, 48, QEMU_VTD_CAP, QEMU_VTD_ECAP,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, TRUE, NULL, NULL, NULL},
    {"aw48-host52", 48, FALSE, TRUE, HIOD_IOMMU_TYPE_INTEL_VTD, 52, 0, 0,
     HIOD_BACKEND_KIND_LEGACY, TRUE, TRUE, NULL, NULL, NULL},
    {"aw39-host36", 39, FALSE, TRUE, HIOD_IOMMU_TYPE_UNKNOWN, 36, 0, 0,
     HIOD_BACKEND_KIND_LEGACY, FALSE, FALSE, "aw-bits 39 > host aw-bits 36", NULL, NULL},
    {"aw40-invalid", 40, FALSE, TRUE, HIOD_IOMMU_TYPE_INTEL_VTD, 48, 0, 0,
     HIOD_BACKEND_KIND_LEGACY, FALSE, FALSE, "not a VT-d address width", NULL, NULL},
    {"aliased-no-flts", 39, FALSE, TRUE, HIOD_IOMMU_TYPE_INTEL_VTD, 39, 0, 0,
     HIOD_BACKEND_KIND_IOMMUFD, TRUE, TRUE, NULL, NULL, NULL},
    {"flts-legacy", 39, TRUE, FALSE, HIOD_IOMMU_TYPE_UNKNOWN, 39, 0, 0,
     HIOD_BACKEND_KIND_LEGACY, FALSE, FALSE, "Need IOMMUFD backend when x-flts=on", "x-flts", "off"},
    {"flts-no-nest", 39, TRUE, FALSE, HIOD_IOMMU_TYPE_INTEL_VTD, 39, QEMU_VTD_CAP, QEMU_VTD_ECAP,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, FALSE, "does not support nesting", "x-flts", "off"},
    {"flts-nest", 39, TRUE, FALSE, HIOD_IOMMU_TYPE_INTEL_VTD, 39, 0, VTD_ECAP_NEST,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, TRUE, NULL, NULL, NULL},
    {"flts-nest-fs1gp-missing", 39, TRUE, TRUE, HIOD_IOMMU_TYPE_INTEL_VTD, 39, 0, VTD_ECAP_NEST,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, FALSE, "First stage 1GB large page", "fs1gp", "off"},
    {"flts-nest-fs1gp", 39, TRUE, TRUE, HIOD_IOMMU_TYPE_INTEL_VTD, 39, VTD_CAP_FS1GP,
     VTD_ECAP_NEST, HIOD_BACKEND_KIND_IOMMUFD, FALSE, TRUE, NULL, NULL, NULL},
    {"flts-bridge", 39, TRUE, FALSE, HIOD_IOMMU_TYPE_INTEL_VTD, 39, 0, VTD_ECAP_NEST,
     HIOD_BACKEND_KIND_IOMMUFD, TRUE, FALSE, "downstream to a PCI bridge", "x-flts", "off"},
    {"flts-smmu-host", 39, TRUE, FALSE, HIOD_IOMMU_TYPE_ARM_SMMUV3, 48, 0, 0,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, FALSE, "Incompatible host platform IOMMU type", "x-flts",
     "off"},
};

static void
test_viommu_vtd_table(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(vtd_cases); i++) {
		const VtdCase *c = &vtd_cases[i];
		g_autoptr(HiodVtdViommu) vtd =
		    g_object_new(HIOD_TYPE_VTD_VIOMMU, "aw-bits", c->guest_aw, "x-flts", c->x_flts,
				 "fs1gp", c->fs1gp, NULL);
		g_autoptr(HiodHostIommuCaps) caps = NULL;
		g_autoptr(HiodViommuVerdict) v = NULL;
		g_autofree gchar *text = NULL;

		if (c->host_type == HIOD_IOMMU_TYPE_INTEL_VTD && (c->cap || c->ecap))
			caps = vtd_caps(c->host_aw, c->cap, c->ecap);
		else
			caps = hiod_host_iommu_caps_new(c->host_type, 0, c->host_aw, 0, 0, NULL);
		v = hiod_vtd_viommu_check_caps(vtd, caps, c->backend, c->aliased);
		text = hiod_viommu_verdict_get_reasons_text(v);
		g_test_message("%s: %s", c->name, text);
		g_assert_cmpint(hiod_viommu_verdict_is_compatible(v), ==, c->compatible);
		if (c->reason != NULL)
			g_assert_true(hiod_viommu_verdict_has_reason(v, c->reason));
		if (c->setting != NULL)
			g_assert_cmpstr(hiod_viommu_verdict_get_suggestion(v, c->setting), ==,
					c->suggested);
	}
}

/* pasid-bits: the host's PASID width (ECAP.PASID, PSS + 1) must cover the
 * guest's. The ECAP is QEMU 11's with scalable-mode=on,pasid-bits=20
 * (0x499880f00f4a: PASID, PSS 19); the others are it with PSS 15, or
 * without PASID. */
static void
test_viommu_vtd_pasid(void)
{
	const guint64 cap = 0x00d2008c22260206;
	const guint64 ecap_pasid20 = 0x499880f00f4a;
	const guint64 ecap_pasid16 = (ecap_pasid20 & ~(0x1full << 35)) | (15ull << 35);
	const guint64 ecap_none = ecap_pasid20 & ~(1ull << 40);
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodViommu) spec = hiod_viommu_new_from_spec("intel-iommu,pasid-bits=20", &error);
	g_autoptr(HiodHostIommuCaps) h20 = vtd_caps(48, cap, ecap_pasid20);
	g_autoptr(HiodHostIommuCaps) h16 = vtd_caps(48, cap, ecap_pasid16);
	g_autoptr(HiodHostIommuCaps) h0 = vtd_caps(48, cap, ecap_none);
	g_autoptr(HiodHostIommuCaps) unknown = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_NONE, 0, 48, 0, 0, NULL);
	HiodVtdViommu *vtd;
	struct {
		HiodHostIommuCaps *caps;
		HiodBackendKind backend;
		gboolean ok;
		const gchar *reason, *suggested;
	} cases[] = {
	    {h20, HIOD_BACKEND_KIND_IOMMUFD, TRUE, NULL, NULL},
	    {h16, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "pasid-bits 20 > host PASID width 16 (ECAP.PSS 15)", "16"},
	    {h0, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "the host IOMMU has no PASID support", "0"},
	    {unknown, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "needs an Intel VT-d host", "0"},
	    {h20, HIOD_BACKEND_KIND_LEGACY, FALSE, "needs the iommufd backend", NULL},
	};

	g_assert_no_error(error);
	vtd = HIOD_VTD_VIOMMU(spec);
	g_assert_cmpuint(hiod_vtd_viommu_get_pasid_bits(vtd), ==, 20);
#if HIOD_HAVE_IOMMUFD
	{ /* the decoder (built with the iommufd backend) reads the same width */
		g_autoptr(HiodVtdCaps) decoded = hiod_vtd_caps_new(cap, ecap_pasid20, 1);
		g_assert_cmpuint(hiod_vtd_caps_get_pasid_width(decoded), ==, 20);
	}
#endif
	g_object_set(vtd, "aw-bits", 48, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(HiodViommuVerdict) v = hiod_vtd_viommu_check_caps(vtd, cases[i].caps, cases[i].backend, FALSE);
		g_autofree gchar *text = hiod_viommu_verdict_get_reasons_text(v);
		g_test_message("case %u: %s", i, text);
		g_assert_cmpint(hiod_viommu_verdict_is_compatible(v), ==, cases[i].ok);
		if (cases[i].reason != NULL)
			g_assert_true(hiod_viommu_verdict_has_reason(v, cases[i].reason));
		if (cases[i].suggested != NULL)
			g_assert_cmpstr(hiod_viommu_verdict_get_suggestion(v, "pasid-bits"), ==, cases[i].suggested);
	}
	/* without pasid-bits the PASID width is not looked at */
	{
		g_autoptr(HiodVtdViommu) plain = hiod_vtd_viommu_new(48, FALSE);
		g_autoptr(HiodViommuVerdict) v = hiod_vtd_viommu_check_caps(plain, h0, HIOD_BACKEND_KIND_LEGACY, FALSE);
		g_assert_true(hiod_viommu_verdict_is_compatible(v));
	}
	/* VT-d's PASIDs are at most 20 bits */
	g_clear_error(&error);
	g_assert_null(hiod_viommu_new_from_spec("intel-iommu,pasid-bits=21", &error));
	g_assert_nonnull(error);
}

/* the flags depend on the vIOMMU alone: the same on every host */
static void
test_viommu_flags(void)
{
	g_autoptr(HiodVtdViommu) plain = hiod_vtd_viommu_new(48, FALSE);
	g_autoptr(HiodVtdViommu) nest = hiod_vtd_viommu_new(39, TRUE);
	g_autoptr(HiodVirtioViommu) virtio = hiod_virtio_viommu_new();
	g_assert_cmphex(hiod_viommu_get_viommu_flags(HIOD_VIOMMU(plain)), ==, 0);
	g_assert_cmphex(hiod_viommu_get_viommu_flags(HIOD_VIOMMU(nest)), ==,
			HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT);
	g_assert_cmphex(hiod_viommu_get_viommu_flags(HIOD_VIOMMU(virtio)), ==, 0);
	/* checking against hosts, accepted or refused, changes nothing */
	for (guint i = 0; i < G_N_ELEMENTS(vtd_cases); i++) {
		g_autoptr(HiodHostIommuCaps) caps = vtd_caps(vtd_cases[i].host_aw, 0, 0);
		g_autoptr(HiodViommuVerdict) v =
		    hiod_vtd_viommu_check_caps(nest, caps, vtd_cases[i].backend, FALSE);
		g_assert_cmphex(hiod_viommu_get_viommu_flags(HIOD_VIOMMU(nest)), ==,
				HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT);
	}
	/* optional methods absent: 0 */
	{
		g_autoptr(HiodHostIommuCaps) caps = vtd_caps(39, 0, 0);
		g_assert_cmphex(hiod_viommu_get_host_iommu_quirks(HIOD_VIOMMU(virtio), caps), ==, 0);
		g_assert_cmphex(hiod_viommu_get_host_iommu_quirks(HIOD_VIOMMU(plain), caps), ==,
				HIOD_HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO);
	}
}

/* SMMUv3: registers x settings -> verdict ------------------------------------- */

/* a nesting-capable SMMUv3: S1P, S2P, TTF AArch64, COHACC, 2-level stream
 * tables, TTENDIAN little-endian, SIDSIZE 16, SSIDSIZE 16, RIL, OAS 48, all
 * granules (what the vSMMU's checks want) */
#define SMMU_IDR0_OK (0x3u | (2u << 2) | (1u << 4) | (2u << 21) | (1u << 27))
#define SMMU_IDR1_OK (16u | (16u << 6))
#define SMMU_IDR3_OK (1u << 10)
#define SMMU_IDR5_OK (5u | (7u << 4))

static HiodHostIommuCaps *
smmu_caps(guint32 idr0, guint32 idr1, guint32 idr3, guint32 idr5)
{
	guint32 data[10] = {0, 0, idr0, idr1, 0, idr3, 0, idr5, 0, 1};
	g_autoptr(GBytes) bytes = g_bytes_new(data, sizeof(data));
	return hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_ARM_SMMUV3, 2, 48, 0, 0, bytes);
}

typedef struct {
	const gchar *name;
	const gchar *spec;
	guint32 idr0, idr1, idr3, idr5;
	HiodIommuType host_type; /* UNKNOWN: no registers */
	HiodBackendKind backend;
	gboolean compatible;
	const gchar *reason;
	const gchar *setting;
	const gchar *suggested;
} SmmuCase;

static const SmmuCase smmu_cases[] = {
    {"emulated", "arm-smmuv3", SMMU_IDR0_OK, SMMU_IDR1_OK, SMMU_IDR3_OK, SMMU_IDR5_OK,
     HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "MAP notifier", "accel", "on"},
    {"accel-ok", "arm-smmuv3,accel=on", SMMU_IDR0_OK, SMMU_IDR1_OK, SMMU_IDR3_OK, SMMU_IDR5_OK,
     HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, TRUE, NULL, NULL, NULL},
    {"accel-all-on", "arm-smmuv3,accel=on,ril=on,ssidsize=16,oas=48", SMMU_IDR0_OK, SMMU_IDR1_OK,
     SMMU_IDR3_OK, SMMU_IDR5_OK, HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, TRUE, NULL, NULL,
     NULL},
    {"accel-legacy", "arm-smmuv3,accel=on", 0, 0, 0, 0, HIOD_IOMMU_TYPE_UNKNOWN, HIOD_BACKEND_KIND_LEGACY,
     FALSE, "without an iommufd backend", "backend", "iommufd"},
    {"accel-vtd-host", "arm-smmuv3,accel=on", 0, 0, 0, 0, HIOD_IOMMU_TYPE_INTEL_VTD,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, "needs an ARM SMMUv3 host", "accel", "off"},
    {"accel-no-regs", "arm-smmuv3,accel=on", 0, 0, 0, 0, HIOD_IOMMU_TYPE_ARM_SMMUV3,
     HIOD_BACKEND_KIND_IOMMUFD, FALSE, "no SMMUv3 ID registers", NULL, NULL},
    /* the machine's own emulated SMMUv3 (iommu=smmuv3): stage 1 only */
    {"accel-stage1-host", "arm-smmuv3,accel=on", SMMU_IDR0_OK & ~1u, SMMU_IDR1_OK, SMMU_IDR3_OK,
     SMMU_IDR5_OK, HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "cannot nest (S1P 1, S2P 0",
     NULL, NULL},
    {"accel-linear-st", "arm-smmuv3,accel=on", SMMU_IDR0_OK & ~(3u << 27), SMMU_IDR1_OK, SMMU_IDR3_OK,
     SMMU_IDR5_OK, HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE,
     "Stream Table format mismatch (host STLEVEL=0, vSMMU STLEVEL=1)", NULL, NULL},
    {"accel-big-endian", "arm-smmuv3,accel=on", SMMU_IDR0_OK | (3u << 21), SMMU_IDR1_OK, SMMU_IDR3_OK,
     SMMU_IDR5_OK, HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "little-endian", NULL,
     NULL},
    {"accel-aarch32", "arm-smmuv3,accel=on", (SMMU_IDR0_OK & ~(3u << 2)) | (1u << 2), SMMU_IDR1_OK,
     SMMU_IDR3_OK, SMMU_IDR5_OK, HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE,
     "AArch64 translation table format (TTF 1)", NULL, NULL},
    {"accel-sid8", "arm-smmuv3,accel=on", SMMU_IDR0_OK, 8u | (16u << 6), SMMU_IDR3_OK, SMMU_IDR5_OK,
     HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "SIDSIZE not compatible (host=8, vSMMU=16)",
     NULL, NULL},
    {"accel-ssid20", "arm-smmuv3,accel=on,ssidsize=20", SMMU_IDR0_OK, SMMU_IDR1_OK, SMMU_IDR3_OK,
     SMMU_IDR5_OK, HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE,
     "SSIDSIZE not compatible (host=16, vSMMU=20)", "ssidsize", "16"},
    {"accel-ril-on-none", "arm-smmuv3,accel=on,ril=on", SMMU_IDR0_OK, SMMU_IDR1_OK, 0, SMMU_IDR5_OK,
     HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "Range Invalidation", "ril", "auto"},
    {"accel-ril-auto-none", "arm-smmuv3,accel=on,ril=auto", SMMU_IDR0_OK, SMMU_IDR1_OK, 0, SMMU_IDR5_OK,
     HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, TRUE, NULL, NULL, NULL},
    {"accel-ats-on-none", "arm-smmuv3,accel=on,ats=on", SMMU_IDR0_OK, SMMU_IDR1_OK, SMMU_IDR3_OK,
     SMMU_IDR5_OK, HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "ATS (ats=on)", "ats",
     "auto"},
    {"accel-oas48-host44", "arm-smmuv3,accel=on,oas=48", SMMU_IDR0_OK, SMMU_IDR1_OK, SMMU_IDR3_OK,
     (SMMU_IDR5_OK & ~7u) | 4u, HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE,
     "supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA", "oas", "44"},
    {"accel-oas46", "arm-smmuv3,accel=on,oas=46", SMMU_IDR0_OK, SMMU_IDR1_OK, SMMU_IDR3_OK, SMMU_IDR5_OK,
     HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE, "oas 46 is not one", NULL, NULL},
    {"accel-no-16k", "arm-smmuv3,accel=on", SMMU_IDR0_OK, SMMU_IDR1_OK, SMMU_IDR3_OK,
     SMMU_IDR5_OK & ~(1u << 5), HIOD_IOMMU_TYPE_ARM_SMMUV3, HIOD_BACKEND_KIND_IOMMUFD, FALSE,
     "doesn't support 16K translation granule", NULL, NULL},
};

static void
test_viommu_smmuv3_table(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(smmu_cases); i++) {
		const SmmuCase *c = &smmu_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodViommu) viommu = hiod_viommu_new_from_spec(c->spec, &error);
		g_autoptr(HiodHostIommuCaps) caps = NULL;
		g_autoptr(HiodViommuVerdict) v = NULL;
		g_autofree gchar *text = NULL;

		g_assert_no_error(error);
		g_assert_true(HIOD_IS_SMMUV3_VIOMMU(viommu));
		if (c->host_type == HIOD_IOMMU_TYPE_ARM_SMMUV3 && c->idr0 != 0)
			caps = smmu_caps(c->idr0, c->idr1, c->idr3, c->idr5);
		else
			caps = hiod_host_iommu_caps_new(c->host_type, 0, 48, 0, 0, NULL);
		v = hiod_smmuv3_viommu_check_caps(HIOD_SMMUV3_VIOMMU(viommu), caps, c->backend);
		text = hiod_viommu_verdict_get_reasons_text(v);
		g_test_message("%s: %s", c->name, text);
		g_assert_cmpint(hiod_viommu_verdict_is_compatible(v), ==, c->compatible);
		if (c->reason != NULL)
			g_assert_true(hiod_viommu_verdict_has_reason(v, c->reason));
		if (c->setting != NULL)
			g_assert_cmpstr(hiod_viommu_verdict_get_suggestion(v, c->setting), ==, c->suggested);
		/* accel asks for a nesting parent; the emulated SMMUv3 asks nothing */
		g_assert_cmphex(hiod_viommu_get_viommu_flags(viommu), ==,
				hiod_smmuv3_viommu_get_accel(HIOD_SMMUV3_VIOMMU(viommu))
				    ? HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT
				    : 0);
		g_assert_cmpstr(hiod_viommu_get_name(viommu), ==, "arm-smmuv3");
	}
	{
		/* enumerations by nick; anything else is refused and names the nicks */
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodViommu) bad = hiod_viommu_new_from_spec("arm-smmuv3,ats=maybe", &error);
		g_assert_null(bad);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "one of auto, on, off"));
		g_clear_error(&error);
		bad = hiod_viommu_new_from_spec("arm-smmuv3,ssidsize=21", &error);
		g_assert_null(bad);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	}
}

static void
test_viommu_spec(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodViommu) a = hiod_viommu_new_from_spec("intel-iommu,aw-bits=48,x-flts=on", &error);
	g_autoptr(HiodViommu) b = NULL;
	g_autoptr(HiodViommu) bad = NULL;
	g_assert_no_error(error);
	g_assert_true(HIOD_IS_VTD_VIOMMU(a));
	g_assert_cmpuint(hiod_vtd_viommu_get_aw_bits(HIOD_VTD_VIOMMU(a)), ==, 48);
	g_assert_true(hiod_vtd_viommu_get_x_flts(HIOD_VTD_VIOMMU(a)));
	g_assert_cmpstr(hiod_viommu_get_name(a), ==, "intel-iommu");
	b = hiod_viommu_new_from_spec("virtio-iommu", &error);
	g_assert_no_error(error);
	g_assert_true(HIOD_IS_VIRTIO_VIOMMU(b));
	bad = hiod_viommu_new_from_spec("amd-iommu", &error);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	bad = hiod_viommu_new_from_spec("intel-iommu,aw-bits=lots", &error);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	bad = hiod_viommu_new_from_spec("intel-iommu,colour=blue", &error);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_null(bad);
}

/* numbers in a spec are parsed at full width and whole: nothing truncated,
 * signed, padded or wrapped gets through, and the refusal names the key */
static void
test_viommu_spec_numbers(void)
{
	const gchar *refused[] = {
	    "intel-iommu,aw-bits=4294967344", /* 2^32 + 48: was truncated to 48 */
	    "intel-iommu,aw-bits=-4294967248", /* wraps to 48 */
	    "intel-iommu,aw-bits= 48",
	    "intel-iommu,aw-bits=48 ",
	    "intel-iommu,aw-bits=+48",
	    "intel-iommu,aw-bits=0x",
	    "intel-iommu,aw-bits=0x-30",
	    "intel-iommu,aw-bits=65",
	    "intel-iommu,aw-bits=0",
	    "intel-iommu,aw-bits=",
	    "virtio-iommu,page-size-mask=-1",
	    "virtio-iommu,page-size-mask=18446744073709551616",
	    "virtio-iommu,page-size-mask=0x10000000000000000",
	    "virtio-iommu,page-size-mask= 4096",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodViommu) v = hiod_viommu_new_from_spec(refused[i], &error);
		const gchar *key = strchr(refused[i], ',') + 1;
		g_autofree gchar *name = g_strndup(key, strchr(key, '=') - key);
		g_test_message("%s", refused[i]);
		g_assert_null(v);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, name));
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodViommu) a = hiod_viommu_new_from_spec("intel-iommu,aw-bits=0x30", &error);
		g_autoptr(HiodViommu) b = NULL;
		g_assert_no_error(error);
		g_assert_cmpuint(hiod_vtd_viommu_get_aw_bits(HIOD_VTD_VIOMMU(a)), ==, 48);
		b = hiod_viommu_new_from_spec("virtio-iommu,page-size-mask=0xfffffffffffff000", &error);
		g_assert_no_error(error);
		g_assert_nonnull(b);
	}
}

/* virtio-iommu ------------------------------------------------------------------ */

static GPtrArray *
ranges2(guint64 a0, guint64 a1, guint64 b0, guint64 b1)
{
	GPtrArray *r = hiod_iova_ranges_new();
	g_ptr_array_add(r, hiod_iova_range_new(a0, a1));
	if (b1 != 0)
		g_ptr_array_add(r, hiod_iova_range_new(b0, b1));
	return r;
}

static void
assert_range(GPtrArray *r, guint i, guint64 start, guint64 last)
{
	const HiodIovaRange *x = g_ptr_array_index(r, i);
	g_assert_cmphex(x->start, ==, start);
	g_assert_cmphex(x->last, ==, last);
}

static void
test_viommu_virtio_reserved(void)
{
	g_autoptr(HiodVirtioViommu) vi = hiod_virtio_viommu_new();
	/* the emulated VT-d's usable ranges: the MSI window is a hole */
	g_autoptr(GPtrArray) usable = ranges2(0, 0xfedfffff, 0xfef00000, 0x7fffffffff);
	g_autoptr(GPtrArray) res = hiod_iova_ranges_invert(usable);
	HiodPciRid rid = {0, 1, 0x08, 1, 0x00, TRUE}; /* 01:01.0 aliased to 01:00.0 */
	g_autoptr(HiodViommuVerdict) v = NULL;

	g_assert_cmpuint(res->len, ==, 2);
	assert_range(res, 0, 0xfee00000, 0xfeefffff);
	assert_range(res, 1, 0x8000000000, G_MAXUINT64);
	{
		/* edges: starts at 0, reaches the top, overlapping input */
		g_autoptr(GPtrArray) all = ranges2(0, G_MAXUINT64, 0, 0);
		g_autoptr(GPtrArray) none = hiod_iova_ranges_invert(all);
		g_autoptr(GPtrArray) mid = ranges2(0x1000, 0x1fff, 0x1800, 0x2fff);
		g_autoptr(GPtrArray) mid_res = hiod_iova_ranges_invert(mid);
		g_assert_cmpuint(none->len, ==, 0);
		g_assert_cmpuint(mid_res->len, ==, 2);
		assert_range(mid_res, 0, 0, 0xfff);
		assert_range(mid_res, 1, 0x3000, G_MAXUINT64);
	}

	v = hiod_virtio_viommu_check_host(vi, &rid, usable, 0x40201000);
	g_assert_true(hiod_viommu_verdict_is_compatible(v));
	g_assert_cmpuint(hiod_viommu_verdict_get_reserved_regions(v)->len, ==, 2);
	assert_range(hiod_viommu_verdict_get_reserved_regions(v), 0, 0xfee00000, 0xfeefffff);
	g_assert_cmphex(hiod_viommu_verdict_get_page_size_mask(v), ==, 0x40201000);
	/* the check recorded nothing */
	g_assert_null(hiod_virtio_viommu_get_reserved_regions(vi, 0, 1, 0));

}

static void
test_viommu_virtio_page_size(void)
{
	g_autoptr(HiodVirtioViommu) vi = hiod_virtio_viommu_new();
	HiodPciRid rid = {0, 0, 0x20, 0, 0x20, FALSE};
	g_autoptr(HiodViommuVerdict) a = NULL;
	g_autoptr(HiodViommuVerdict) b = NULL;
	g_autoptr(HiodViommuVerdict) c = NULL;

	g_assert_cmphex(hiod_virtio_viommu_get_page_size_mask(vi), ==, ~G_GUINT64_CONSTANT(0xfff));
	/* intersection */
	a = hiod_virtio_viommu_check_host(vi, &rid, NULL, 0x40201000);
	g_assert_true(hiod_viommu_verdict_is_compatible(a));
	g_assert_cmphex(hiod_viommu_verdict_get_page_size_mask(a), ==, 0x40201000);
	/* nothing in common */
	g_object_set(vi, "page-size-mask", G_GUINT64_CONSTANT(0x10000), NULL);
	b = hiod_virtio_viommu_check_host(vi, &rid, NULL, 0x1000);
	g_assert_false(hiod_viommu_verdict_is_compatible(b));
	g_assert_true(hiod_viommu_verdict_has_reason(b, "no page size in common"));
	/* frozen granule: 64 KiB stays, a host that cannot map 64 KiB is refused */
	g_object_set(vi, "page-size-mask", G_GUINT64_CONSTANT(0x210000), NULL);
	hiod_virtio_viommu_freeze_granule(vi);
	g_assert_true(hiod_virtio_viommu_get_granule_frozen(vi));
	c = hiod_virtio_viommu_check_host(vi, &rid, NULL, 0x201000);
	g_assert_false(hiod_viommu_verdict_is_compatible(c));
	g_assert_true(hiod_viommu_verdict_has_reason(c, "granule 0x10000 is frozen"));
	g_clear_pointer(&c, hiod_viommu_verdict_unref);
	c = hiod_virtio_viommu_check_host(vi, &rid, NULL, 0x10000 | 0x1000);
	g_assert_true(hiod_viommu_verdict_is_compatible(c));
	/* frozen: the mask no longer changes */
	g_assert_cmphex(hiod_viommu_verdict_get_page_size_mask(c), ==, 0x210000);
	g_object_set(vi, "page-size-mask", G_GUINT64_CONSTANT(0x1000), NULL);
	g_assert_cmphex(hiod_virtio_viommu_get_page_size_mask(vi), ==, 0x210000);
}

/* the attach flow ---------------------------------------------------------------- */

/* A host IOMMU device that realizes with a 39-bit VT-d and the emulated VT-d's
 * ranges: an iommufd one (the vIOMMU policies ask the host IOMMU device's
 * type for the backend, as QEMU does), where iommufd is built. */
#define TEST_TYPE_HIOD (test_hiod_get_type())
#if HIOD_HAVE_IOMMUFD
G_DECLARE_FINAL_TYPE(TestHiod, test_hiod, TEST, HIOD, HiodHostIommuDeviceIommufd)
struct _TestHiod {
	HiodHostIommuDeviceIommufd parent_instance;
};
G_DEFINE_TYPE(TestHiod, test_hiod, HIOD_TYPE_HOST_IOMMU_DEVICE_IOMMUFD)
#else
G_DECLARE_FINAL_TYPE(TestHiod, test_hiod, TEST, HIOD, HiodHostIommuDevice)
struct _TestHiod {
	HiodHostIommuDevice parent_instance;
};
G_DEFINE_TYPE(TestHiod, test_hiod, HIOD_TYPE_HOST_IOMMU_DEVICE)
#endif

static gboolean
test_hiod_realize(HiodHostIommuDevice *self, HiodAssignedDevice *agent, GError **error)
{
	g_autoptr(HiodHostIommuCaps) caps = vtd_caps(39, QEMU_VTD_CAP, QEMU_VTD_ECAP);
	hiod_host_iommu_device_set_caps(self, caps);
	return TRUE;
}

static GPtrArray *
test_hiod_get_iova_ranges(HiodHostIommuDevice *self, GError **error)
{
	return ranges2(0, 0xfedfffff, 0xfef00000, 0x7fffffffff);
}

static gboolean
test_hiod_get_page_size_mask(HiodHostIommuDevice *self, guint64 *mask, GError **error)
{
	*mask = 0x40201000;
	return TRUE;
}

static void
test_hiod_init(TestHiod *self)
{
}

static void
test_hiod_class_init(TestHiodClass *klass)
{
	HiodHostIommuDeviceClass *k = HIOD_HOST_IOMMU_DEVICE_CLASS(klass);
	k->realize = test_hiod_realize;
	k->get_iova_ranges = test_hiod_get_iova_ranges;
	k->get_page_size_mask = test_hiod_get_page_size_mask;
}

/* The same host, as a host IOMMU device of no iommufd type (legacy-like). */
#define TEST_TYPE_PLAIN_HIOD (test_plain_hiod_get_type())
G_DECLARE_FINAL_TYPE(TestPlainHiod, test_plain_hiod, TEST, PLAIN_HIOD, HiodHostIommuDevice)
struct _TestPlainHiod {
	HiodHostIommuDevice parent_instance;
};
G_DEFINE_TYPE(TestPlainHiod, test_plain_hiod, HIOD_TYPE_HOST_IOMMU_DEVICE)

static void
test_plain_hiod_init(TestPlainHiod *self)
{
}

static void
test_plain_hiod_class_init(TestPlainHiodClass *klass)
{
	HiodHostIommuDeviceClass *k = HIOD_HOST_IOMMU_DEVICE_CLASS(klass);
	k->realize = test_hiod_realize;
	k->get_iova_ranges = test_hiod_get_iova_ranges;
	k->get_page_size_mask = test_hiod_get_page_size_mask;
}

/* A container whose attach opens the device node through the chokepoint (so
 * fault injection reaches it and leaks show in the fd count), and which
 * remembers the flags it was given. */
#define TEST_TYPE_CONTAINER (test_container_get_type())
G_DECLARE_FINAL_TYPE(TestContainer, test_container, TEST, CONTAINER, HiodContainer)
struct _TestContainer {
	HiodContainer parent_instance;
	guint64 last_flags;
	gboolean nesting_unsupported;
	guint n_nesting_parents; /* "HWPTs" alive */
};
G_DEFINE_TYPE(TestContainer, test_container, HIOD_TYPE_CONTAINER)

static gboolean
test_container_setup(HiodContainer *c, GError **error)
{
	g_autoptr(GPtrArray) r = ranges2(0, 0xfedfffff, 0xfef00000, 0x7fffffffff);
	hiod_container_set_iova_ranges(c, r);
	hiod_container_set_page_size_mask(c, 0x40201000);
	return TRUE;
}

static gboolean
test_container_attach_device(HiodContainer *c, HiodVfioDevice *device, guint64 flags,
			     GError **error)
{
	TestContainer *self = TEST_CONTAINER(c);
	HiodContext *ctx = hiod_container_get_context(c);
	g_autofree gchar *node = hiod_context_build_dev_path(ctx, "vfio", "3", NULL);
	gint fd;
	self->last_flags = flags;
	if (flags & HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT) {
		if (self->nesting_unsupported) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "IOMMU_HWPT_ALLOC(NEST_PARENT): Operation not supported");
			return FALSE;
		}
		self->n_nesting_parents++;
	}
	fd = hiod_kernel_open(ctx, node, O_RDWR, error);
	if (fd < 0) {
		if (flags & HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT)
			self->n_nesting_parents--;
		return FALSE;
	}
	hiod_vfio_device_set_fd(device, fd);
	return TRUE;
}

static void
test_container_detach_device(HiodContainer *c, HiodVfioDevice *device)
{
	TestContainer *self = TEST_CONTAINER(c);
	hiod_vfio_device_set_fd(device, -1);
	if (self->last_flags & HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT)
		self->n_nesting_parents--;
}

static gboolean
test_container_dma_map(HiodContainer *c, guint64 iova, guint64 size, gpointer vaddr,
		       HiodDmaFlags flags, GError **error)
{
	return TRUE;
}

static gboolean
test_container_dma_unmap(HiodContainer *c, guint64 iova, guint64 size, gboolean all,
			 GError **error)
{
	return TRUE;
}

static void
test_container_init(TestContainer *self)
{
}

static void
test_container_class_init(TestContainerClass *klass)
{
	HiodContainerClass *cc = HIOD_CONTAINER_CLASS(klass);
	cc->backend_kind = HIOD_BACKEND_KIND_IOMMUFD;
	cc->host_iommu_device_type = TEST_TYPE_HIOD;
	cc->setup = test_container_setup;
	cc->attach_device = test_container_attach_device;
	cc->detach_device = test_container_detach_device;
	cc->dma_map = test_container_dma_map;
	cc->dma_unmap = test_container_dma_unmap;
}

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodAddressSpace *space;
	TestContainer *container;
	HiodVfioDevice *dev;
	HiodPciTopology *topo;
} Flow;

static void
flow_init(Flow *f, HiodViommu *viommu)
{
	g_autoptr(GError) error = NULL;
	f->tree = hiod_test_tree_new();
	hiod_test_tree_add_pci(f->tree, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3,
			       NULL);
	f->ctx = hiod_test_tree_context(f->tree);
	f->space = hiod_address_space_new(f->ctx);
	f->container = g_object_new(TEST_TYPE_CONTAINER, "context", f->ctx, NULL);
	f->dev = hiod_vfio_device_new(f->ctx, "0000:00:04.0", &error);
	g_assert_no_error(error);
	f->topo = hiod_pci_topology_new();
	g_assert_true(hiod_pci_topology_add_root_bus(f->topo, 0, 0, TRUE, NULL));
	g_assert_true(hiod_pci_topology_add_device(f->topo, "0000:00:04.0", NULL));
	if (viommu != NULL)
		g_assert_true(hiod_pci_topology_set_viommu(f->topo, 0, 0, viommu, NULL));
}

/* the container is a member before each attach (the flow drops it when empty) */
static void
flow_add_container(Flow *f)
{
	if (!hiod_address_space_has_container(f->space, HIOD_CONTAINER(f->container)))
		g_assert_true(hiod_address_space_add_container(f->space,
								HIOD_CONTAINER(f->container), NULL));
}

static void
flow_assert_clean(Flow *f)
{
	g_assert_null(hiod_vfio_device_get_container(f->dev));
	g_assert_null(hiod_vfio_device_get_host_iommu_device(f->dev));
	g_assert_cmpint(hiod_vfio_device_get_fd(f->dev), ==, -1);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(f->container->n_nesting_parents, ==, 0);
	{
		g_autoptr(GPtrArray) devs = hiod_container_get_devices(HIOD_CONTAINER(f->container));
		g_assert_cmpuint(devs->len, ==, 0);
	}
}

/* after an attach that succeeded and was undone, the emptied container is
 * released and dropped from the space */
static void
flow_assert_dropped(Flow *f)
{
	flow_assert_clean(f);
	g_assert_false(hiod_address_space_has_container(f->space, HIOD_CONTAINER(f->container)));
	g_assert_false(hiod_container_is_setup(HIOD_CONTAINER(f->container)));
}

static void
flow_clear(Flow *f)
{
	g_object_unref(f->topo);
	g_object_unref(f->dev);
	g_object_unref(f->container);
	g_object_unref(f->space);
	g_object_unref(f->ctx);
	hiod_test_tree_free(f->tree);
}

static void
test_viommu_attach_flow(void)
{
	g_autoptr(HiodVtdViommu) vtd48 = hiod_vtd_viommu_new(48, FALSE);
	g_autoptr(HiodVtdViommu) vtd39 = hiod_vtd_viommu_new(39, FALSE);
	g_autoptr(GError) error = NULL;
	Flow f = {0};
	HiodContainer *got;

	/* refused: the reason comes back and nothing is left */
	flow_init(&f, HIOD_VIOMMU(vtd48));
	flow_add_container(&f);
	g_assert_null(hiod_pci_topology_attach_device(f.topo, f.space, f.dev,
						      HIOD_BACKEND_KIND_IOMMUFD, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
	g_assert_nonnull(strstr(error->message, "Failed to set vIOMMU"));
	g_assert_nonnull(strstr(error->message, "aw-bits 48 > host aw-bits 39"));
	g_clear_error(&error);
	flow_assert_dropped(&f);
	g_assert_cmpuint(hiod_vtd_viommu_get_n_devices(vtd48), ==, 0);
	flow_clear(&f);

	/* accepted; a second set of the same device is refused; detach in reverse */
	flow_init(&f, HIOD_VIOMMU(vtd39));
	flow_add_container(&f);
	got = hiod_pci_topology_attach_device(f.topo, f.space, f.dev, HIOD_BACKEND_KIND_IOMMUFD,
					      &error);
	g_assert_no_error(error);
	g_assert_true(got == HIOD_CONTAINER(f.container));
	g_assert_cmphex(f.container->last_flags, ==, 0);
	g_assert_cmpuint(hiod_vtd_viommu_get_n_devices(vtd39), ==, 1);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f.ctx), ==, 1);
	{
		HiodPciRid rid;
		g_assert_true(hiod_pci_topology_lookup(f.topo, "0000:00:04.0", &rid, NULL, NULL));
		g_assert_false(hiod_viommu_set_iommu_device(
		    HIOD_VIOMMU(vtd39), &rid, hiod_vfio_device_get_host_iommu_device(f.dev), &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
		g_assert_nonnull(strstr(error->message, "already set"));
		g_clear_error(&error);
	}
	g_assert_null(hiod_pci_topology_attach_device(f.topo, f.space, f.dev,
						      HIOD_BACKEND_KIND_IOMMUFD, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_BUSY);
	g_clear_error(&error);
	hiod_pci_topology_detach_device(f.topo, f.space, f.dev);
	g_assert_cmpuint(hiod_vtd_viommu_get_n_devices(vtd39), ==, 0);
	flow_assert_dropped(&f);
	flow_clear(&f);
}

/* nesting: the flag reaches the backend; a host without it fails the attach
 * and leaves nothing; a refusal after a nesting-parent attach frees it */
static void
test_viommu_attach_nesting(void)
{
	g_autoptr(HiodVtdViommu) flts = g_object_new(HIOD_TYPE_VTD_VIOMMU, "x-flts", TRUE, NULL);
	g_autoptr(GError) error = NULL;
	Flow f = {0};

	flow_init(&f, HIOD_VIOMMU(flts));
	g_assert_cmphex(hiod_pci_topology_get_viommu_flags(f.topo, "0000:00:04.0"), ==,
			HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT);
	g_assert_cmphex(hiod_pci_topology_get_viommu_flags(f.topo, "0000:00:09.0"), ==, 0);
	flow_add_container(&f);
	f.container->nesting_unsupported = TRUE;
	g_assert_null(hiod_pci_topology_attach_device(f.topo, f.space, f.dev,
						      HIOD_BACKEND_KIND_IOMMUFD, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);
	g_assert_cmphex(f.container->last_flags, ==, HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT);
	g_assert_null(hiod_vfio_device_get_container(f.dev));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f.ctx), ==, 0);

	/* the nesting parent is made, then the vIOMMU refuses (the emulated VT-d
	 * caps have no NEST): the nesting parent is gone again */
	f.container->nesting_unsupported = FALSE;
	flow_add_container(&f);
	g_assert_null(hiod_pci_topology_attach_device(f.topo, f.space, f.dev,
						      HIOD_BACKEND_KIND_IOMMUFD, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
	g_assert_nonnull(strstr(error->message, "nesting"));
	g_clear_error(&error);
	flow_assert_dropped(&f);
	flow_clear(&f);
}

/* fail each chokepoint call of the flow in turn until it succeeds */
static void
test_viommu_attach_faults(void)
{
	g_autoptr(HiodVirtioViommu) vi = hiod_virtio_viommu_new();
	Flow f = {0};
	HiodTestFaultWalk w;

	flow_init(&f, HIOD_VIOMMU(vi));
	for (hiod_test_fault_walk_init(&w, f.ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		HiodContainer *got;
		flow_add_container(&f);
		hiod_test_fault_walk_rearm(&w); /* the flow's calls, not the container's */
		got = hiod_pci_topology_attach_device(f.topo, f.space, f.dev,
						      HIOD_BACKEND_KIND_IOMMUFD, &error);
		if (hiod_test_fault_walk_done(&w, got != NULL)) {
			g_assert_no_error(error);
			break;
		}
		g_assert_null(got);
		g_assert_nonnull(error);
		g_test_message("fault %u: %s", w.n, error->message);
		flow_assert_clean(&f);
		g_assert_cmpuint(hiod_virtio_viommu_get_n_devices(vi), ==, 0);
		g_assert_null(hiod_virtio_viommu_get_reserved_regions(vi, 0, 0, 0x20));
	}
	g_assert_cmpuint(w.n, >, 1);
	g_assert_cmpuint(hiod_virtio_viommu_get_n_devices(vi), ==, 1);
	{
		g_autoptr(GPtrArray) res = hiod_virtio_viommu_get_reserved_regions(vi, 0, 0, 0x20);
		g_assert_nonnull(res);
		assert_range(res, 0, 0xfee00000, 0xfeefffff);
	}
	g_assert_cmphex(hiod_virtio_viommu_get_page_size_mask(vi), ==, 0x40201000);
	hiod_pci_topology_detach_device(f.topo, f.space, f.dev);
	g_assert_cmpuint(hiod_virtio_viommu_get_n_devices(vi), ==, 0);
	g_assert_null(hiod_virtio_viommu_get_reserved_regions(vi, 0, 0, 0x20));
	flow_assert_dropped(&f);
	flow_clear(&f);
}

/* virtio-iommu: two devices behind one alias; the second's reserved regions
 * must be covered by the first's */
static void
test_viommu_virtio_alias_conflict(void)
{
	g_autoptr(HiodVirtioViommu) vi = hiod_virtio_viommu_new();
	g_autoptr(TestHiod) h1 = g_object_new(TEST_TYPE_HIOD, NULL);
	g_autoptr(TestHiod) h2 = g_object_new(TEST_TYPE_HIOD, NULL);
	g_autoptr(HiodViommuVerdict) v = NULL;
	g_autoptr(GPtrArray) narrow = ranges2(0, 0xfedfffff, 0xfef00000, 0x3fffffffff);
	g_autoptr(GPtrArray) wide = ranges2(0, 0xfedfffff, 0xfef00000, 0xffffffffff);
	g_autoptr(GError) error = NULL;
	HiodPciRid a = {0, 1, 0x08, 1, 0x00, TRUE};
	HiodPciRid b = {0, 1, 0x10, 1, 0x00, TRUE};
	g_autoptr(HiodTestTree) tree = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodVfioDevice) dev = NULL;

	hiod_test_tree_add_pci(tree, "0000:01:01.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, NULL);
	ctx = hiod_test_tree_context(tree);
	dev = hiod_vfio_device_new(ctx, "0000:01:01.0", &error);
	g_assert_no_error(error);
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(h1),
						     HIOD_ASSIGNED_DEVICE(dev), NULL));
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(h2),
						     HIOD_ASSIGNED_DEVICE(dev), NULL));
	g_assert_true(hiod_viommu_set_iommu_device(HIOD_VIOMMU(vi), &a,
						   HIOD_HOST_IOMMU_DEVICE(h1), &error));
	g_assert_no_error(error);
	/* the same device twice */
	g_assert_false(hiod_viommu_set_iommu_device(HIOD_VIOMMU(vi), &a,
						    HIOD_HOST_IOMMU_DEVICE(h2), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE);
	g_clear_error(&error);
	/* reserving less is covered; reserving more conflicts */
	v = hiod_virtio_viommu_check_host(vi, &b, wide, 0);
	g_assert_true(hiod_viommu_verdict_is_compatible(v));
	g_clear_pointer(&v, hiod_viommu_verdict_unref);
	v = hiod_virtio_viommu_check_host(vi, &b, narrow, 0);
	g_assert_false(hiod_viommu_verdict_is_compatible(v));
	g_assert_true(hiod_viommu_verdict_has_reason(v, "Conflicting host reserved ranges"));
	/* a sibling with the same ranges is accepted and shares the alias */
	g_assert_true(hiod_viommu_set_iommu_device(HIOD_VIOMMU(vi), &b,
						   HIOD_HOST_IOMMU_DEVICE(h2), &error));
	hiod_viommu_unset_iommu_device(HIOD_VIOMMU(vi), &a);
	{
		g_autoptr(GPtrArray) res = hiod_virtio_viommu_get_reserved_regions(vi, 0, 1, 0);
		g_assert_nonnull(res);
	}
	hiod_viommu_unset_iommu_device(HIOD_VIOMMU(vi), &b);
	g_assert_null(hiod_virtio_viommu_get_reserved_regions(vi, 0, 1, 0));
}

/* VT-d learns the backend from the host IOMMU device's own type, not from the
 * container its device is in: an iommufd host IOMMU device passes the
 * backend check (and meets the nesting one) unattached; one of another type
 * does not, whatever container it would be in. */
static void
test_viommu_vtd_asks_hiod_type(void)
{
	g_autoptr(HiodVtdViommu) flts = g_object_new(HIOD_TYPE_VTD_VIOMMU, "x-flts", TRUE, NULL);
	g_autoptr(TestPlainHiod) plain = g_object_new(TEST_TYPE_PLAIN_HIOD, NULL);
	g_autoptr(HiodViommuVerdict) v = NULL;
	g_autoptr(HiodTestTree) tree = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodVfioDevice) dev = NULL;
	g_autoptr(GError) error = NULL;
	HiodPciRid rid = {0, 0, 0x20, 0, 0x20, FALSE};

	hiod_test_tree_add_pci(tree, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, NULL);
	ctx = hiod_test_tree_context(tree);
	dev = hiod_vfio_device_new(ctx, "0000:00:04.0", &error);
	g_assert_no_error(error);
#if HIOD_HAVE_IOMMUFD
	{
		g_autoptr(TestHiod) fd = g_object_new(TEST_TYPE_HIOD, NULL);
		g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(fd),
							     HIOD_ASSIGNED_DEVICE(dev), &error));
		g_assert_no_error(error);
		/* dev is in no container: only the type says iommufd */
		g_assert_null(hiod_vfio_device_get_container(dev));
		v = hiod_viommu_check(HIOD_VIOMMU(flts), &rid, HIOD_HOST_IOMMU_DEVICE(fd));
		g_assert_false(hiod_viommu_verdict_has_reason(v, "Need IOMMUFD backend"));
		g_assert_true(hiod_viommu_verdict_has_reason(v, "does not support nesting"));
		g_clear_pointer(&v, hiod_viommu_verdict_unref);
	}
#endif
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(plain),
						     HIOD_ASSIGNED_DEVICE(dev), &error));
	g_assert_no_error(error);
	v = hiod_viommu_check(HIOD_VIOMMU(flts), &rid, HIOD_HOST_IOMMU_DEVICE(plain));
	g_assert_true(hiod_viommu_verdict_has_reason(v, "Need IOMMUFD backend when x-flts=on"));
}

static void
test_viommu_verdict_json(void)
{
	g_autoptr(HiodVtdViommu) vtd = hiod_vtd_viommu_new(48, TRUE);
	g_autoptr(HiodHostIommuCaps) caps = vtd_caps(39, QEMU_VTD_CAP, QEMU_VTD_ECAP);
	g_autoptr(HiodViommuVerdict) v = hiod_vtd_viommu_check_caps(vtd, caps,
								    HIOD_BACKEND_KIND_LEGACY, TRUE);
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	JsonObject *o;
	hiod_viommu_verdict_to_json(v, b);
	root = json_builder_get_root(b);
	o = json_node_get_object(root);
	g_assert_false(json_object_get_boolean_member(o, "compatible"));
	g_assert_cmpstr(json_object_get_string_member(o, "viommu"), ==, "intel-iommu");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "reasons")), ==, 3);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "suggestions"),
						      "aw-bits"),
			==, "39");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/viommu/vtd-table", test_viommu_vtd_table);
	g_test_add_func("/hiod/viommu/flags", test_viommu_flags);
	g_test_add_func("/hiod/viommu/vtd-pasid-bits", test_viommu_vtd_pasid);
	g_test_add_func("/hiod/viommu/spec", test_viommu_spec);
	g_test_add_func("/hiod/viommu/smmuv3-table", test_viommu_smmuv3_table);
	g_test_add_func("/hiod/viommu/spec-numbers-full-width", test_viommu_spec_numbers);
	g_test_add_func("/hiod/viommu/virtio-reserved", test_viommu_virtio_reserved);
	g_test_add_func("/hiod/viommu/virtio-page-size", test_viommu_virtio_page_size);
	g_test_add_func("/hiod/viommu/virtio-alias-conflict", test_viommu_virtio_alias_conflict);
	g_test_add_func("/hiod/viommu/verdict-json", test_viommu_verdict_json);
	g_test_add_func("/hiod/viommu/attach-flow", test_viommu_attach_flow);
#if HIOD_HAVE_IOMMUFD
	g_test_add_func("/hiod/viommu/attach-nesting", test_viommu_attach_nesting);
#endif
	g_test_add_func("/hiod/viommu/vtd-asks-hiod-type", test_viommu_vtd_asks_hiod_type);
	g_test_add_func("/hiod/viommu/attach-faults", test_viommu_attach_faults);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfs as hiod reads and writes it (src/hiod-sysfs.c), on fake sysfs trees:
 * strict parsing (hex, decimal, links), writes that follow no link, and the
 * IOMMU an unsafe-interrupts refusal names. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hiod-sysfs-private.h"
#include "hiod-test-common.h"

#define EDU "0000:00:04.0"

/* strict parsing ----------------------------------------------------------------- */

/* the message names the file */
static void
assert_names_file(HiodTestTree *t, const GError *error, const gchar *rel)
{
	g_autofree gchar *full = g_build_filename(t->sys, rel, NULL);
	g_assert_nonnull(error);
	if (strstr(error->message, full) == NULL)
		g_error("'%s' does not name %s", error->message, full);
}

static void
test_read_hex(void)
{
	const struct {
		const gchar *text;
		guint64 max;
		gboolean ok;
		guint64 value;
	} cases[] = {
	    {"0x1234\n", 0xffff, TRUE, 0x1234},
	    {"0x1234", 0xffff, TRUE, 0x1234},   /* no newline: still the whole value */
	    {"0X00ff\n", 0xffff, TRUE, 0xff},
	    {"0xffff\n", 0xffff, TRUE, 0xffff},
	    {"0x10000\n", 0xffff, FALSE, 0},    /* above the attribute's width */
	    {"0xffffffffffffffffff\n", G_MAXUINT64, FALSE, 0}, /* overflow */
	    {"", 0xffff, FALSE, 0},             /* empty */
	    {"\n", 0xffff, FALSE, 0},
	    {"0x\n", 0xffff, FALSE, 0},
	    {"1234\n", 0xffff, FALSE, 0},       /* no 0x: not as the kernel prints it */
	    {"0x12zz\n", 0xffff, FALSE, 0},     /* trailing garbage */
	    {"0x1234\n\n", 0xffff, FALSE, 0},   /* a second newline */
	    {"0x1234 \n", 0xffff, FALSE, 0},
	    {" 0x1234\n", 0xffff, FALSE, 0},
	    {"0x-1\n", 0xffff, FALSE, 0},
	    {"0x+1\n", 0xffff, FALSE, 0},
	};
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		guint64 v = 0xdead;
		gboolean ok;
		hiod_test_tree_write(t, "attr", cases[i].text);
		ok = hiod_sysfs_read_hex(ctx, "attr", cases[i].max, &v, &error);
		if (ok != cases[i].ok)
			g_error("case %zu ('%s'): %s", i, cases[i].text, ok ? "accepted" : error->message);
		if (ok) {
			g_assert_no_error(error);
			g_assert_cmphex(v, ==, cases[i].value);
		} else {
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
			assert_names_file(t, error, "attr");
			g_assert_cmphex(v, ==, 0xdead); /* untouched */
		}
	}
}

/* a NUL inside, then garbage: refused by both parsers */
static void
test_read_nul(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autofree gchar *path = g_build_filename(t->sys, "attr", NULL);
	g_autoptr(GError) error = NULL;
	guint64 u = 0;
	gint64 s = 0;

	g_assert_true(g_file_set_contents(path, "0x12\0zz\n", 8, NULL));
	g_assert_false(hiod_sysfs_read_hex(ctx, "attr", 0xffff, &u, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	assert_names_file(t, error, "attr");
	g_clear_error(&error);
	g_assert_true(g_file_set_contents(path, "12\0zz\n", 6, NULL));
	g_assert_false(hiod_sysfs_read_int(ctx, "attr", 0, 100, &s, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	assert_names_file(t, error, "attr");
}

static void
test_read_int(void)
{
	const struct {
		const gchar *text;
		gboolean ok;
		gint64 value;
	} cases[] = {
	    {"2048\n", TRUE, 2048},
	    {"0\n", TRUE, 0},
	    {"-1\n", TRUE, -1},
	    {"2147483647\n", TRUE, G_MAXINT},
	    {"2147483648\n", FALSE, 0},            /* above the range */
	    {"-2147483649\n", FALSE, 0},           /* below it */
	    {"99999999999999999999999\n", FALSE, 0}, /* overflows 64 bits */
	    {"", FALSE, 0},                        /* empty */
	    {"\n", FALSE, 0},
	    {"16k\n", FALSE, 0},                   /* trailing garbage */
	    {"16 \n", FALSE, 0},
	    {" 16\n", FALSE, 0},
	    {"+16\n", FALSE, 0},
	    {"0x10\n", FALSE, 0},
	    {"16\n\n", FALSE, 0},
	};
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autoptr(GError) missing = NULL;
	gint64 v = 7;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		gboolean ok;
		v = 7;
		hiod_test_tree_write(t, "module/m/parameters/p", cases[i].text);
		ok = hiod_sysfs_read_int(ctx, "module/m/parameters/p", G_MININT, G_MAXINT, &v, &error);
		if (ok != cases[i].ok)
			g_error("case %zu ('%s'): %s", i, cases[i].text, ok ? "accepted" : error->message);
		if (ok) {
			g_assert_no_error(error);
			g_assert_cmpint(v, ==, cases[i].value);
		} else {
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
			assert_names_file(t, error, "module/m/parameters/p");
			g_assert_cmpint(v, ==, 7);
		}
	}
	/* absent: NOT_FOUND (a caller may have a default), naming the file */
	g_assert_false(hiod_sysfs_read_int(ctx, "module/m/parameters/q", 0, 1, &v, &missing));
	g_assert_error(missing, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	assert_names_file(t, missing, "module/m/parameters/q");
}

static void
test_read_link(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *target = NULL;
	g_autofree gchar *name = NULL;
	gint group = 0;

	hiod_test_tree_write(t, "devices/virtual/iommu/dmar0/uevent", "");
	hiod_test_tree_link(t, "dev/iommu", "../devices/virtual/iommu/dmar0");
	target = hiod_sysfs_read_link(ctx, "dev/iommu", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(target, ==, "../devices/virtual/iommu/dmar0");
	name = hiod_sysfs_read_link_name(ctx, "dev/iommu", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(name, ==, "dmar0");
	/* absent */
	g_assert_null(hiod_sysfs_read_link(ctx, "dev/driver", &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	assert_names_file(t, error, "dev/driver");
	g_clear_error(&error);
	/* a file where a link belongs */
	hiod_test_tree_write(t, "dev/iommu_group", "3\n");
	g_assert_null(hiod_sysfs_read_link(ctx, "dev/iommu_group", &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	assert_names_file(t, error, "dev/iommu_group");
	g_clear_error(&error);
	g_assert_false(hiod_sysfs_read_iommu_group(ctx, "dev/iommu_group", &group, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_clear_error(&error);
	/* no link: no IOMMU; a group number that is no number: refused, naming the link */
	g_assert_true(hiod_sysfs_read_iommu_group(ctx, "dev/none", &group, &error));
	g_assert_no_error(error);
	g_assert_cmpint(group, ==, -1);
	hiod_test_tree_link(t, "dev/g", "../kernel/iommu_groups/3x");
	g_assert_false(hiod_sysfs_read_iommu_group(ctx, "dev/g", &group, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	assert_names_file(t, error, "dev/g");
}

static void
test_read_file(void)
{
	const gchar cfg[] = {0x34, 0x12, 0x00, 0x00, 0x0a, 0x00, 0x01};
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autofree gchar *path = g_build_filename(t->sys, "config", NULL);
	g_autofree gchar *missing = g_build_filename(t->sys, "nothing", NULL);
	g_autofree gchar *data = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	g_assert_true(g_file_set_contents(path, cfg, sizeof(cfg), NULL));
	data = hiod_sysfs_read_file(path, &len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(len, ==, sizeof(cfg)); /* binary, NULs and a newline kept */
	g_assert_cmpmem(data, len, cfg, sizeof(cfg));
	g_assert_null(hiod_sysfs_read_file(missing, &len, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, missing));
}

/* a directory's entries, sorted; an absent one: NOT_FOUND, named */
static void
test_list(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = NULL;

	hiod_test_tree_write(t, "kernel/irq/24/chip_name", "");
	hiod_test_tree_write(t, "kernel/irq/10/chip_name", "");
	hiod_test_tree_write(t, "kernel/irq/9/chip_name", "");
	names = hiod_sysfs_list(ctx, "kernel/irq", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(names->len, ==, 3);
	g_assert_cmpstr(names->pdata[0], ==, "10");
	g_assert_cmpstr(names->pdata[1], ==, "24");
	g_assert_cmpstr(names->pdata[2], ==, "9");
	g_assert_null(hiod_sysfs_list(ctx, "class/iommu", &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	assert_names_file(t, error, "class/iommu");
}

/* writes: inside the sysfs root, never through a link */
static void
test_write_nofollow(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = hiod_test_tree_context(t);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *outside = g_build_filename(t->root, "outside", NULL);
	g_autofree gchar *outside_attr = g_build_filename(outside, "attr", NULL);

	hiod_test_tree_write(t, "bus/pci/devices/x/driver_override", "(null)\n");
	g_assert_true(hiod_sysfs_write(ctx, "bus/pci/devices/x/driver_override", "vfio-pci", &error));
	g_assert_no_error(error);
	text = hiod_sysfs_read(ctx, "bus/pci/devices/x/driver_override", &error);
	g_assert_cmpstr(text, ==, "vfio-pci");
	g_clear_pointer(&text, g_free);

	/* the attribute itself is a link: refused, the target untouched */
	hiod_test_tree_write(t, "bus/pci/devices/x/real", "old\n");
	hiod_test_tree_link(t, "bus/pci/devices/x/unbind", "real");
	g_assert_false(hiod_sysfs_write(ctx, "bus/pci/devices/x/unbind", "new", &error));
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "bus/pci/devices/x/unbind"));
	g_clear_error(&error);
	text = hiod_sysfs_read(ctx, "bus/pci/devices/x/real", NULL);
	g_assert_cmpstr(text, ==, "old");
	g_clear_pointer(&text, g_free);

	/* a directory that leads out of the sysfs root: refused, nothing written */
	g_assert_cmpint(g_mkdir_with_parents(outside, 0755), ==, 0);
	g_assert_true(g_file_set_contents(outside_attr, "old\n", -1, NULL));
	hiod_test_tree_link(t, "bus/pci/devices/y", outside);
	g_assert_false(hiod_sysfs_write(ctx, "bus/pci/devices/y/attr", "new", &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "outside sysfs"));
	g_assert_true(g_file_get_contents(outside_attr, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "old\n");
}

/* unsafe interrupts: the device's own IOMMU ---------------------------------------- */

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodTestKernel *kernel;
} Fixture;

/* A host with two IOMMUs (a VT-d and Linux 7.3's iommufd selftest mock, as
 * /sys/class/iommu lists them), no interrupt remapping, allow_unsafe_interrupts
 * off; the edu (group 3) behind the VT-d unless @own_link is FALSE. */
static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	gboolean own_link = GPOINTER_TO_INT(data) == 0;
	g_autofree gchar *member = NULL;

	fx->tree = hiod_test_tree_new();
	hiod_test_tree_add_fake_kernel_devices(fx->tree);
	hiod_test_tree_write(fx->tree, "devices/virtual/iommu/dmar0/uevent", "");
	hiod_test_tree_write(fx->tree, "devices/virtual/iommu/iommufd_mock0/uevent", "");
	hiod_test_tree_link(fx->tree, "class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
	hiod_test_tree_link(fx->tree, "class/iommu/iommufd_mock0",
			    "../../devices/virtual/iommu/iommufd_mock0");
	if (own_link)
		hiod_test_tree_link(fx->tree, "bus/pci/devices/" EDU "/iommu",
				    "../../../devices/virtual/iommu/dmar0");
	/* the group lists its members as links to the devices, as sysfs does */
	member = g_build_filename(fx->tree->sys, "kernel/iommu_groups/3/devices", EDU, NULL);
	g_assert_cmpint(g_unlink(member), ==, 0);
	hiod_test_tree_link(fx->tree, "kernel/iommu_groups/3/devices/" EDU,
			    "../../../../bus/pci/devices/" EDU);
	hiod_test_tree_write(fx->tree, "kernel/irq/9/chip_name", "IO-APIC\n");
	hiod_test_tree_write(fx->tree, "module/iommufd/parameters/allow_unsafe_interrupts", "N\n");
	hiod_test_tree_write(fx->tree, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
			     "N\n");
	fx->ctx = hiod_test_tree_context(fx->tree);
	fx->kernel = hiod_test_kernel_new(fx->ctx);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	(void)data;
	g_clear_object(&fx->ctx);
	hiod_test_kernel_free(fx->kernel);
	hiod_test_tree_free(fx->tree);
}

/* The refusal after EPERM from @backend's attach ioctl. */
static gchar *
refused_attach(Fixture *fx, HiodBackendKind kind)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) device = hiod_vfio_device_new(fx->ctx, EDU, &error);
	g_autoptr(HiodContainer) container = NULL;

	g_assert_no_error(error);
	container = hiod_container_new(fx->ctx, kind, device, &error);
	g_assert_no_error(error);
	hiod_context_inject_fault_match(fx->ctx,
					kind == HIOD_BACKEND_KIND_IOMMUFD ? "VFIO_DEVICE_BIND_IOMMUFD"
									  : "VFIO_SET_IOMMU",
					EPERM, 1);
	g_assert_false(hiod_vfio_device_attach(device, container, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "no interrupt remapping (MSI isolation)"));
	return g_strdup(error->message);
}

/* iommufd: the device's iommu link; legacy: its group's devices' link */
static void
test_unsafe_own_iommu(Fixture *fx, gconstpointer data)
{
	(void)data;
	for (guint i = 0; i < 2; i++) {
		HiodBackendKind kind = i == 0 ? HIOD_BACKEND_KIND_IOMMUFD : HIOD_BACKEND_KIND_LEGACY;
		g_autofree gchar *message = refused_attach(fx, kind);
		g_assert_nonnull(strstr(message, "the host IOMMU (dmar0)"));
		g_assert_null(strstr(message, "mock"));
		hiod_context_clear_faults(fx->ctx);
	}
}

/* no iommu link (an older kernel): every IOMMU the host lists, as before */
static void
test_unsafe_no_link(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *message = refused_attach(fx, HIOD_BACKEND_KIND_IOMMUFD);
	(void)data;
	g_assert_nonnull(strstr(message, "the host IOMMU (dmar0, iommufd_mock0)"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/sysfs/read-hex", test_read_hex);
	g_test_add_func("/hiod/sysfs/read-int", test_read_int);
	g_test_add_func("/hiod/sysfs/read-nul", test_read_nul);
	g_test_add_func("/hiod/sysfs/read-link", test_read_link);
	g_test_add_func("/hiod/sysfs/read-file", test_read_file);
	g_test_add_func("/hiod/sysfs/list", test_list);
	g_test_add_func("/hiod/sysfs/write-nofollow", test_write_nofollow);
	g_test_add("/hiod/sysfs/unsafe-interrupts/own-iommu", Fixture, GINT_TO_POINTER(0),
		   fixture_setup, test_unsafe_own_iommu, fixture_teardown);
	g_test_add("/hiod/sysfs/unsafe-interrupts/no-link", Fixture, GINT_TO_POINTER(1),
		   fixture_setup, test_unsafe_no_link, fixture_teardown);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HiodLaunchPlan against the fake kernel: checks, fds for a child, QEMU
 * arguments, group grants, -m parsing, and nothing left on every failure. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hiod-test-common.h"

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodTestKernel *k;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->tree = hiod_test_tree_new();
	hiod_test_tree_add_fake_kernel_devices(f->tree);
	hiod_test_tree_touch_dev(f->tree, "vfio/3");
	/* a second edu, bound to its own driver */
	hiod_test_tree_add_pci(f->tree, "0000:00:05.0", 0x1234, 0x11e8, 0x00ff00, "edu", 4, NULL);
	f->ctx = hiod_test_tree_context(f->tree);
	f->k = hiod_test_kernel_new(f->ctx);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(f->k->open_fds, ==, 0);
	hiod_test_kernel_free(f->k);
	g_clear_object(&f->ctx);
	hiod_test_tree_free(f->tree);
}

static const gchar *one[] = {"0000:00:04.0", NULL};

static void
test_iommufd(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodLaunchPlan) plan = hiod_launch_plan_new(f->ctx, one, HIOD_BACKEND_KIND_AUTO, NULL, &error);
	g_auto(GStrv) args = NULL;
	g_auto(GStrv) again = NULL;
	g_autofree gchar *obj = NULL, *dev = NULL;

	g_assert_no_error(error);
	g_assert_cmpint(hiod_launch_plan_get_backend_kind(plan), ==, HIOD_BACKEND_KIND_IOMMUFD);
	g_assert_cmpuint(hiod_launch_plan_get_n_devices(plan), ==, 1);
	g_assert_cmpstr(hiod_launch_plan_get_device(plan, 0), ==, "0000:00:04.0");
	/* /dev/iommu and the unbound cdev: the checks' own fds are all closed */
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 2);
	g_assert_cmpint(hiod_launch_plan_get_iommufd_fd(plan), >=, 0);
	g_assert_cmpint(hiod_launch_plan_get_device_fd(plan, 0), >=, 0);
	g_assert_cmpint(hiod_launch_plan_get_device_fd(plan, 1), ==, -1);
	/* iommufd needs no grant */
	g_assert_true(hiod_launch_plan_grant(plan, getuid(), getgid(), &error));

	args = hiod_launch_plan_export(plan, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(args), ==, 4);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 4);
	g_assert_cmpstr(args[0], ==, "-object");
	g_assert_cmpstr(args[2], ==, "-device");
	/* the duplicates are other fds than the plan's */
	obj = g_strdup_printf("fd=%d", hiod_launch_plan_get_iommufd_fd(plan));
	dev = g_strdup_printf("fd=%d,", hiod_launch_plan_get_device_fd(plan, 0));
	g_assert_true(g_str_has_prefix(args[1], "iommufd,id=hiod-iommufd0,fd="));
	g_assert_false(g_str_has_suffix(args[1], obj));
	g_assert_true(g_str_has_prefix(args[3], "vfio-pci,id=hiod-vfio0,fd="));
	g_assert_null(strstr(args[3], dev));
	g_assert_true(g_str_has_suffix(args[3], ",iommufd=hiod-iommufd0"));
	again = hiod_launch_plan_export(plan, &error);
	g_assert_no_error(error);
	g_assert_true(g_strv_equal((const gchar *const *)args, (const gchar *const *)again));
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 4);
	{
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) root = NULL;
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree gchar *text = NULL;
		hiod_launch_plan_to_json(plan, b);
		root = json_builder_get_root(b);
		json_generator_set_root(gen, root);
		text = json_generator_to_data(gen, NULL);
		g_test_message("%s", text);
		g_assert_nonnull(strstr(text, "\"backend\":\"iommufd\""));
		g_assert_nonnull(strstr(text, "\"vmm_args\":[\"-object\""));
	}
}

static void
test_legacy_grant(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodLaunchPlan) plan = hiod_launch_plan_new(f->ctx, one, HIOD_BACKEND_KIND_LEGACY, NULL, &error);
	g_autofree gchar *node = g_build_filename(f->tree->dev, "vfio", "3", NULL);
	g_auto(GStrv) args = NULL;
	struct stat st;

	g_assert_no_error(error);
	g_assert_cmpint(hiod_launch_plan_get_backend_kind(plan), ==, HIOD_BACKEND_KIND_LEGACY);
	/* type1 hands no fds over: QEMU opens the group by path */
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpint(hiod_launch_plan_get_iommufd_fd(plan), ==, -1);
	g_assert_cmpint(chmod(node, 0644), ==, 0);
	g_assert_true(hiod_launch_plan_grant(plan, getuid(), getgid(), &error));
	g_assert_no_error(error);
	g_assert_cmpint(stat(node, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	/* twice is refused */
	g_assert_false(hiod_launch_plan_grant(plan, getuid(), getgid(), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	args = hiod_launch_plan_export(plan, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(args), ==, 2);
	g_assert_cmpstr(args[1], ==, "vfio-pci,id=hiod-vfio0,host=0000:00:04.0");
	hiod_launch_plan_revoke(plan);
	g_assert_cmpint(stat(node, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0644);

	/* a grant that fails changes nothing */
	hiod_context_inject_fault_match(f->ctx, "chown", EPERM, 0);
	g_assert_false(hiod_launch_plan_grant(plan, getuid(), getgid(), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "0000:00:04.0"));
	hiod_context_clear_faults(f->ctx);
	g_assert_cmpint(stat(node, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0644);
}

static void
test_refusals(Fixture *f, gconstpointer data)
{
	const gchar *unbound[] = {"0000:00:04.0", "0000:00:05.0", NULL};
	const gchar *twice[] = {"0000:00:04.0", "0000:00:04.0", NULL};
	const gchar *missing[] = {"0000:00:09.0", NULL};
	const gchar *none[] = {NULL};
	struct {
		const gchar *const *devices;
		HiodBackendKind kind;
		const gchar *spec;
		gint code;
		const gchar *words;
	} cases[] = {
	    {unbound, HIOD_BACKEND_KIND_AUTO, NULL, HIOD_ERROR_INVALID_STATE, "not bound to vfio-pci"},
	    {twice, HIOD_BACKEND_KIND_AUTO, NULL, HIOD_ERROR_INVALID_ARGUMENT, "named twice"},
	    {missing, HIOD_BACKEND_KIND_AUTO, NULL, HIOD_ERROR_NOT_FOUND, "0000:00:09.0"},
	    {none, HIOD_BACKEND_KIND_AUTO, NULL, HIOD_ERROR_INVALID_ARGUMENT, "no device"},
	    {one, HIOD_BACKEND_KIND_VDPA, NULL, HIOD_ERROR_NOT_SUPPORTED, "legacy or the iommufd"},
	    {one, HIOD_BACKEND_KIND_AUTO, "no-such-iommu", HIOD_ERROR_INVALID_ARGUMENT, "no-such-iommu"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodLaunchPlan) plan =
		    hiod_launch_plan_new(f->ctx, cases[i].devices, cases[i].kind, cases[i].spec, &error);
		g_assert_null(plan);
		g_assert_error(error, HIOD_ERROR, cases[i].code);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, cases[i].words));
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	}
}

/* Fails the 1st, 2nd, ... chokepoint call of new + export until both succeed:
 * each failure leaves no fd. */
static void
test_faults(Fixture *f, gconstpointer data)
{
	HiodBackendKind kind = GPOINTER_TO_INT(data);
	HiodTestFaultWalk w;
	guint failures = 0;
	for (hiod_test_fault_walk_init(&w, f->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodLaunchPlan) plan = NULL;
		g_auto(GStrv) args = NULL;
		plan = hiod_launch_plan_new(f->ctx, one, kind, NULL, &error);
		if (plan != NULL)
			args = hiod_launch_plan_export(plan, &error);
		if (hiod_test_fault_walk_done(&w, args != NULL))
			break;
		if (args == NULL) {
			failures++;
			g_assert_nonnull(error);
			if (plan != NULL)
				g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==,
						 kind == HIOD_BACKEND_KIND_IOMMUFD ? 2 : 0);
		}
		g_clear_object(&plan);
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
		g_assert_cmpuint(f->k->open_fds, ==, 0);
	}
	hiod_context_clear_faults(f->ctx);
	g_test_message("%u calls, %u of them fail the hand-off", w.n - 1, failures);
	g_assert_cmpuint(failures, >=, 3);
}

static void
test_memory(void)
{
	struct {
		const gchar *argv[8];
		guint64 bytes;
	} good[] = {
	    {{"qemu", NULL}, 128u << 20},
	    {{"qemu", "-m", "64", NULL}, 64u << 20},
	    {{"qemu", "-m", "1G", NULL}, 1u << 30},
	    {{"qemu", "-m", "1.5g", NULL}, 3u << 29},
	    {{"qemu", "-m", "512k", NULL}, 512u << 10},
	    {{"qemu", "-m", "size=2G,slots=2,maxmem=4G", NULL}, G_GUINT64_CONSTANT(4) << 30},
	    {{"qemu", "-m", "64", "-smp", "1", "-m", "256M", NULL}, 256u << 20},
	    {{"qemu", "-M", "q35", "-nographic", NULL}, 128u << 20},
	};
	const gchar *bad[][4] = {
	    {"qemu", "-m", NULL}, {"qemu", "-m", "lots", NULL}, {"qemu", "-m", "1X", NULL},
	    {"qemu", "-m", "-5", NULL}, {"qemu", "-m", "size=1GG", NULL},
	};
	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		guint64 bytes = 0;
		g_assert_true(hiod_launch_parse_qemu_memory(good[i].argv, &bytes, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(bytes, ==, good[i].bytes);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		guint64 bytes = 7;
		g_assert_false(hiod_launch_parse_qemu_memory(bad[i], &bytes, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_test_message("%s", error->message);
		g_assert_cmpuint(bytes, ==, 7);
	}
}

/* A group another device shares: refused before anything is opened, naming
 * the group, the other device, its driver and what to do; a partner bound to
 * vfio-pci, to no driver or to pcieport keeps the group viable. */
static void
test_group_not_viable(Fixture *f, gconstpointer data)
{
	const struct {
		const gchar *driver;
		gboolean viable;
	} cases[] = {{"e1000e", FALSE}, {NULL, TRUE}, {"vfio-pci", TRUE}, {"pcieport", TRUE}};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(HiodTestTree) tree = hiod_test_tree_new();
		g_autoptr(HiodContext) ctx = NULL;
		g_autoptr(HiodTestKernel) k = NULL;
		g_autoptr(GError) error = NULL;
		g_autoptr(HiodLaunchPlan) plan = NULL;
		guint64 calls;

		hiod_test_tree_add_fake_kernel_devices(tree);
		hiod_test_tree_touch_dev(tree, "vfio/3");
		/* 0000:00:04.1 in group 3 beside the edu */
		hiod_test_tree_add_pci(tree, "0000:00:04.1", 0x8086, 0x10d3, 0x020000, cases[i].driver, 3, NULL);
		hiod_test_tree_write(tree, "kernel/iommu_groups/3/devices/0000:00:04.1", "");
		ctx = hiod_test_tree_context(tree);
		k = hiod_test_kernel_new(ctx);
		calls = k->n_ioctls;
		plan = hiod_launch_plan_new(ctx, one, HIOD_BACKEND_KIND_LEGACY, NULL, &error);
		if (cases[i].viable) {
			g_assert_no_error(error);
			g_assert_nonnull(plan);
			g_clear_object(&plan);
		} else {
			g_assert_null(plan);
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
			g_test_message("%s", error->message);
			g_assert_nonnull(strstr(error->message, "IOMMU group 3 is not viable"));
			g_assert_nonnull(strstr(error->message, "0000:00:04.1, which is bound to e1000e"));
			g_assert_nonnull(strstr(error->message, "hiodctl bind 0000:00:04.1"));
			g_assert_cmpuint(k->n_ioctls, ==, calls); /* refused before the kernel was asked */
		}
		g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
		g_assert_cmpuint(k->open_fds, ==, 0);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, data) g_test_add("/hiod/launch-plan/" path, Fixture, data, fixture_setup, fn, fixture_teardown)
#if HIOD_HAVE_IOMMUFD
	ADD("iommufd", test_iommufd, NULL);
	ADD("faults-iommufd", test_faults, GINT_TO_POINTER(HIOD_BACKEND_KIND_IOMMUFD));
#endif
#if HIOD_HAVE_LEGACY_VFIO
	ADD("legacy-grant", test_legacy_grant, NULL);
	ADD("faults-legacy", test_faults, GINT_TO_POINTER(HIOD_BACKEND_KIND_LEGACY));
#endif
	ADD("refusals", test_refusals, NULL);
#if HIOD_HAVE_LEGACY_VFIO
	ADD("group-not-viable", test_group_not_viable, NULL);
#endif
	g_test_add_func("/hiod/launch-plan/qemu-memory", test_memory);
	return g_test_run();
}

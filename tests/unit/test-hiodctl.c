/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hiodctl against a sysfs snapshot: JSON and text from the same document,
 * errors in JSON too, the exit statuses of hiodctl(1) (literal numbers: they
 * are a stable interface, not the error enum's order). */
#include "config.h"

#include <sys/wait.h>

#include "hiod-test-common.h"

/* The one way these tests run hiodctl: with the snapshot @t's roots on the
 * command line (@t NULL: no roots given), in this environment or @envp. */
static gint
spawn_hiodctl(HiodTestTree *t, const gchar *const *args, gchar **envp, gchar **out, gchar **err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_auto(GStrv) own_envp = envp == NULL ? g_get_environ() : NULL;
	g_autoptr(GError) error = NULL;
	gint status = 0;

	g_ptr_array_add(argv, (gpointer)g_getenv("HIODCTL"));
	if (t != NULL) {
		g_ptr_array_add(argv, (gpointer) "--sysfs-root");
		g_ptr_array_add(argv, t->sys);
		g_ptr_array_add(argv, (gpointer) "--dev-root");
		g_ptr_array_add(argv, t->dev);
	}
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (gchar **)argv->pdata, envp != NULL ? envp : own_envp,
				   G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error));
	g_assert_no_error(error);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static gint
run_hiodctl(HiodTestTree *t, const gchar *const *args, gchar **out, gchar **err)
{
	return spawn_hiodctl(t, args, NULL, out, err);
}

static JsonObject *
parse(const gchar *text, JsonParser *parser)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
	g_assert_no_error(error);
	return json_node_get_object(json_parser_get_root(parser));
}

static void
test_list_json(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree gchar *out = NULL, *err = NULL;
	const gchar *args[] = {"list", "--json", NULL};
	JsonObject *o, *host, *dev;

	hiod_test_tree_add_pci(t, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, "vfio0");
	hiod_test_tree_touch_dev(t, "vfio/vfio");
	hiod_test_tree_touch_dev(t, "iommu");
	g_assert_cmpint(run_hiodctl(t, args, &out, &err), ==, 0);
	o = parse(out, parser);
	g_assert_cmpint(json_object_get_int_member(o, "schema_version"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(o, "command"), ==, "list");
	host = json_object_get_object_member(o, "host");
	g_assert_true(json_object_get_boolean_member(host, "iommufd"));
	g_assert_true(json_object_get_boolean_member(host, "vfio_container"));
	g_assert_false(json_object_has_member(host, "note"));
	dev = json_array_get_object_element(json_object_get_array_member(o, "devices"), 0);
	g_assert_cmpstr(json_object_get_string_member(dev, "address"), ==, "0000:00:04.0");
	g_assert_cmpstr(json_object_get_string_member(dev, "driver"), ==, "vfio-pci");
	g_assert_cmpint(json_object_get_int_member(dev, "iommu_group"), ==, 3);
	g_assert_true(g_str_has_suffix(json_object_get_string_member(dev, "vfio_cdev_node"),
				       "/vfio/devices/vfio0"));
}

static void
test_list_text_no_vfio(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autofree gchar *out = NULL, *err = NULL;
	const gchar *args[] = {"list", NULL};

	hiod_test_tree_add_pci(t, "0000:00:03.0", 0x1af4, 0x1041, 0x020000, "virtio-pci", -1, NULL);
	g_assert_cmpint(run_hiodctl(t, args, &out, &err), ==, 0);
	/* one clear line, naming the demo command */
	g_assert_true(g_str_has_prefix(out, "this host has no VFIO"));
	g_assert_nonnull(strstr(out, "./scripts/demo"));
	g_assert_nonnull(strstr(out, "0000:00:03.0  1af4:1041 020000  virtio-pci"));
}

static void
test_errors(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree gchar *out = NULL, *err = NULL;
	const gchar *unknown[] = {"--json", "frobnicate", NULL};
	const gchar *extra[] = {"list", "extra", NULL};
	JsonObject *o, *e;

	g_assert_cmpint(run_hiodctl(t, unknown, &out, &err), ==, 2);
	o = parse(out, parser);
	e = json_object_get_object_member(o, "error");
	g_assert_cmpstr(json_object_get_string_member(e, "code"), ==, "invalid-argument");
	g_assert_nonnull(strstr(json_object_get_string_member(e, "message"), "frobnicate"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_hiodctl(t, extra, &out, &err), ==, 7); /* invalid-argument */
	g_assert_nonnull(strstr(err, "hiodctl list: list takes no arguments"));
}

static void
test_no_sysfs(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree gchar *out = NULL, *err = NULL;
	const gchar *args[] = {"list", "--json", NULL};
	JsonObject *o;
	/* no bus/pci/devices in the snapshot */
	g_assert_cmpint(run_hiodctl(t, args, &out, &err), ==, 4); /* not-found */
	o = parse(out, parser);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "error"), "code"),
			==, "not-found");
}

/* names from sysfs reach the terminal escaped: a driver named with terminal
 * escapes (and a C1 control) shows as \xNN, never raw; --json keeps it */
static void
test_text_escapes(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree gchar *out = NULL, *err = NULL;
	const gchar *text[] = {"list", NULL};
	const gchar *json[] = {"list", "--json", NULL};
	const gchar *bad[] = {"info", "0000:00:04.0\033]0;owned\007", NULL};
	const gchar *evil = "evil\033]0;owned\007\033[2J\302\233";
	JsonObject *dev;

	hiod_test_tree_add_pci(t, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, evil, 3, NULL);
	g_assert_cmpint(run_hiodctl(t, text, &out, &err), ==, 0);
	g_assert_null(strchr(out, '\033'));
	g_assert_null(strchr(out, '\007'));
	g_assert_null(strstr(out, "\302\233"));
	g_assert_nonnull(strstr(out, "evil\\x1b]0;owned\\x07\\x1b[2J\\u009b"));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_hiodctl(t, json, &out, &err), ==, 0);
	dev = json_array_get_object_element(
	    json_object_get_array_member(parse(out, parser), "devices"), 0);
	g_assert_cmpstr(json_object_get_string_member(dev, "driver"), ==, evil);
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	/* an error message quoting the argument */
	g_assert_cmpint(run_hiodctl(t, bad, &out, &err), ==, 7); /* invalid-argument */
	g_assert_null(strchr(err, '\033'));
	g_assert_null(strchr(err, '\007'));
	g_assert_nonnull(strstr(err, "is not a PCI address"));
}

/* HIOD_SYSFS_ROOT / HIOD_DEV_ROOT in the environment move nothing: only
 * --sysfs-root / --dev-root on the command line do */
static void
test_roots_not_from_environment(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_auto(GStrv) envp = g_get_environ();
	g_autofree gchar *out = NULL, *err = NULL;
	const gchar *args[] = {"list", "--json", NULL};

	hiod_test_tree_add_pci(t, "abcd:ef:1f.7", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, NULL);
	envp = g_environ_setenv(envp, "HIOD_SYSFS_ROOT", t->sys, TRUE);
	envp = g_environ_setenv(envp, "HIOD_DEV_ROOT", t->dev, TRUE);
	spawn_hiodctl(NULL, args, envp, &out, &err);
	g_assert_nonnull(out);
	g_assert_null(strstr(out, "abcd:ef:1f.7"));
}

/* One exit status of each class, run: success, usage, and errors of the
 * library (hiodctl(1) EXIT STATUS; the VM tests run check's 8 and launch's 12). */
static void
test_exit_status(void)
{
	static const struct {
		const gchar *args[10];
		gint status;
	} cases[] = {
	    {{"version", NULL}, 0},
	    {{"--json", NULL}, 2},            /* no command */
	    {{"frobnicate", NULL}, 2},        /* an unknown command */
	    {{"version", "--dev-root", NULL}, 2}, /* a global option without its value */
	    {{"list", "extra", NULL}, 7},     /* invalid-argument */
	    {{"info", "0000:00:04.0", "--backend", NULL}, 7},
	    {{"info", "0000:00:04.0", "--backend", "nonsense", NULL}, 7},
	    {{"bind", "--force", "0000:00:04.0", NULL}, 7},
	    {{"launch", "0000:00:04.0", "--bogus", "--", "true", NULL}, 7},
	    {{"list", "--", "x", NULL}, 7},
	    {{"info", "ffff:ff:1f.7", NULL}, 4}, /* not-found */
	    {{"launch", "0000:00:04.0", "--user", "no-such-user-x", "--", "true", NULL}, 4},
	    {{"launch", "0000:00:03.0", "--", "true", NULL}, 12}, /* invalid-state: not on vfio-pci */
	};
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();

	hiod_test_tree_add_pci(t, "0000:00:03.0", 0x1af4, 0x1041, 0x020000, "virtio-pci", 2, NULL);
	hiod_test_tree_add_pci(t, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, "vfio0");
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *out = NULL, *err = NULL;
		g_autofree gchar *line = g_strjoinv(" ", (gchar **)cases[i].args);
		gint status = run_hiodctl(t, cases[i].args, &out, &err);
		gchar *nl = strchr(err, '\n');
		if (nl != NULL)
			*nl = '\0';
		g_test_message("hiodctl %s -> %d (%s)", line, status, err);
		g_assert_cmpint(status, ==, cases[i].status);
	}
}

/* Every HiodError code has its own row in hiodctl's table (--help prints it):
 * an error without one would exit 1, as if it had no code. */
static void
test_exit_table_complete(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autofree gchar *out = NULL, *err = NULL;
	const gchar *args[] = {"--help", NULL};
	GEnumClass *klass = g_type_class_ref(HIOD_TYPE_ERROR);
	const gchar *table;

	g_assert_cmpint(run_hiodctl(t, args, &out, &err), ==, 0);
	table = strstr(out, "\nExit status:\n");
	g_assert_nonnull(table);
	for (guint i = 0; i < klass->n_values; i++) {
		g_autofree gchar *row = g_strdup_printf(" %-18s ", klass->values[i].value_nick);
		g_autofree gchar *failed = g_strdup_printf("\n  1    %s", klass->values[i].value_nick);
		g_test_message("%s", row);
		g_assert_nonnull(strstr(table, row));
		if (klass->values[i].value != HIOD_ERROR_FAILED)
			g_assert_null(strstr(table, failed));
	}
	g_type_class_unref(klass);
}

/* --backend KIND: every HiodBackendKind nick is known; one this build lacks is
 * refused before anything is done, with not-supported (exit 3) */
static void
test_backend_not_built(void)
{
	g_autoptr(HiodTestTree) t = hiod_test_tree_new();
	g_autoptr(JsonParser) parser = json_parser_new();
	GEnumClass *klass = g_type_class_ref(HIOD_TYPE_BACKEND_KIND);
	guint missing = 0;

	hiod_test_tree_add_pci(t, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, "vfio0");
	for (guint i = 0; i < klass->n_values; i++) {
		const gchar *nick = klass->values[i].value_nick;
		const gchar *args[] = {"info", "0000:00:04.0", "--json", "--backend", nick, NULL};
		g_autofree gchar *out = NULL, *err = NULL;
		JsonObject *e;
		if (hiod_backend_kind_is_built(klass->values[i].value))
			continue;
		missing++;
		g_assert_cmpint(run_hiodctl(t, args, &out, &err), ==, 3);
		e = json_object_get_object_member(parse(out, parser), "error");
		g_assert_cmpstr(json_object_get_string_member(e, "code"), ==, "not-supported");
		g_assert_nonnull(strstr(json_object_get_string_member(e, "message"), "this build of hiod has no"));
	}
	g_assert_cmpint(hiod_backend_kind_is_built(HIOD_BACKEND_KIND_AUTO), ==,
			HIOD_FEATURE_LEGACY_VFIO || HIOD_FEATURE_IOMMUFD);
	g_assert_false(hiod_backend_kind_is_built((HiodBackendKind)100));
	g_assert_cmpint(hiod_backend_kind_is_built(HIOD_BACKEND_KIND_IOMMUFD), ==, HIOD_FEATURE_IOMMUFD);
	g_assert_cmpint(hiod_backend_kind_is_built(HIOD_BACKEND_KIND_LEGACY), ==, HIOD_FEATURE_LEGACY_VFIO);
	g_assert_cmpint(hiod_backend_kind_is_built(HIOD_BACKEND_KIND_SPAPR), ==, HIOD_FEATURE_SPAPR);
	g_assert_cmpint(hiod_backend_kind_is_built(HIOD_BACKEND_KIND_VDPA), ==, HIOD_FEATURE_VDPA);
	g_type_class_unref(klass);
	if (missing == 0)
		g_test_message("every backend is built: no refusal to see in this build");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/hiodctl/list-json", test_list_json);
	g_test_add_func("/hiod/hiodctl/list-text-no-vfio", test_list_text_no_vfio);
	g_test_add_func("/hiod/hiodctl/errors", test_errors);
	g_test_add_func("/hiod/hiodctl/no-sysfs", test_no_sysfs);
	g_test_add_func("/hiod/hiodctl/text-escapes", test_text_escapes);
	g_test_add_func("/hiod/hiodctl/roots-not-from-environment", test_roots_not_from_environment);
	g_test_add_func("/hiod/hiodctl/exit-status", test_exit_status);
	g_test_add_func("/hiod/hiodctl/exit-table-complete", test_exit_table_complete);
	g_test_add_func("/hiod/hiodctl/backend-not-built", test_backend_not_built);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hiodctl: ask the host what device assignment would see.
 *
 * Every command builds one JSON document; --json prints it, and the text
 * output is rendered from the same document, so the two never disagree.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <locale.h>
#include <pwd.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hiod.h"
#include "hiod-edu.h"

#define HIODCTL_SCHEMA_VERSION 1

/* What the command line said: one per process; the GOptionEntry tables point into it. */
typedef struct {
	/* the global options (any command) */
	gboolean json;
	gboolean verbose;
	gboolean help;
	gchar *sysfs_root;
	gchar *dev_root;
	/* the commands' options */
	HiodBackendKind backend; /* --backend; HIOD_BACKEND_KIND_AUTO without it */
	gboolean backend_given;
	gchar *viommu;
	gchar *user;
	gchar *memory;
	gboolean print;
	gchar **vmm; /* launch: the words after --, NULL without -- */
} HiodctlOptions;

static HiodctlOptions hiodctl_opt = {.backend = HIOD_BACKEND_KIND_AUTO};

typedef struct {
	HiodContext *ctx;
	HiodctlOptions *opt;
	gint rc; /* exit code of a command that succeeded but answers no (check) */
	/* launch: what to exec once the document is out, and what must live until then */
	gchar **exec_argv;
	gboolean quiet; /* print nothing on success (the VMM owns stdout) */
	GObject *keep;
} HiodctlCtx;

typedef gboolean (*HiodctlFunc)(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out,
				GError **error);
typedef void (*HiodctlRender)(JsonObject *result, GString *text);

typedef struct {
	const gchar *name;
	const gchar *args;     /* the positional arguments, for the usage */
	const GOptionEntry *entries; /* its options: one GOptionGroup (NULL: none) */
	const gchar *required; /* the long name of an option it cannot do without */
	const gchar *tail;     /* what follows the options in the usage ("-- VMM ARGS...") */
	const gchar *summary;
	HiodctlFunc func;
	HiodctlRender render; /* NULL: the generic renderer */
} HiodctlCommand;

#define HIODCTL_DEMO_COMMAND "./scripts/demo"

/* a 64-bit address, mask or register value: a "0x..." string, as the
 * library's documents have them (a JSON number loses precision above 2^53) */
static void
hiodctl_add_hex(JsonBuilder *out, const gchar *key, guint64 value)
{
	g_autofree gchar *hex = g_strdup_printf("0x%" G_GINT64_MODIFIER "x", value);
	json_builder_set_member_name(out, key);
	json_builder_add_string_value(out, hex);
}

/* list ---------------------------------------------------------------------- */

static gboolean
hiodctl_list(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	g_autoptr(GPtrArray) devices = NULL;
	g_autofree gchar *vfio_dir = hiod_context_build_dev_path(c->ctx, "vfio", NULL);
	gboolean has_vfio = g_file_test(vfio_dir, G_FILE_TEST_IS_DIR);
	gboolean has_iommufd = hiod_context_has_iommufd(c->ctx);

	if (argc > 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "list takes no arguments ('%s' given)", argv[0]);
		return FALSE;
	}
	devices = hiod_context_list_pci_devices(c->ctx, error);
	if (devices == NULL)
		return FALSE;

	json_builder_set_member_name(out, "host");
	json_builder_begin_object(out);
	json_builder_set_member_name(out, "vfio");
	json_builder_add_boolean_value(out, has_vfio);
	json_builder_set_member_name(out, "iommufd");
	json_builder_add_boolean_value(out, has_iommufd);
	json_builder_set_member_name(out, "vfio_container");
	json_builder_add_boolean_value(out, hiod_context_has_vfio_container(c->ctx));
	if (!has_vfio && !has_iommufd) {
		json_builder_set_member_name(out, "note");
		json_builder_add_string_value(
		    out, "this host has no VFIO (/dev/vfio) and no iommufd (/dev/iommu); "
			 "run " HIODCTL_DEMO_COMMAND " to see hiod on an emulated host");
	}
	json_builder_end_object(out);

	json_builder_set_member_name(out, "devices");
	json_builder_begin_array(out);
	for (guint i = 0; i < devices->len; i++)
		hiod_pci_device_info_to_json(g_ptr_array_index(devices, i), out);
	json_builder_end_array(out);

	/* vDPA devices (/sys/bus/vdpa): always present, empty without the vdpa backend */
	json_builder_set_member_name(out, "vdpa_devices");
	json_builder_begin_array(out);
#if HIOD_FEATURE_VDPA
	{
		g_autoptr(GPtrArray) vdpa = hiod_context_list_vdpa_devices(c->ctx, NULL);
		for (guint i = 0; vdpa != NULL && i < vdpa->len; i++)
			hiod_vdpa_device_info_to_json(g_ptr_array_index(vdpa, i), out);
	}
#endif
	json_builder_end_array(out);
	return TRUE;
}

static const gchar *
hiodctl_member_str(JsonObject *o, const gchar *key, const gchar *fallback)
{
	JsonNode *n = json_object_get_member(o, key);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return fallback;
	return json_node_get_string(n);
}

static void
hiodctl_render_list(JsonObject *result, GString *text)
{
	JsonObject *host = json_object_get_object_member(result, "host");
	JsonArray *devices = json_object_get_array_member(result, "devices");

	if (json_object_has_member(host, "note"))
		g_string_append_printf(text, "%s\n", json_object_get_string_member(host, "note"));
	g_string_append_printf(text, "VFIO: %s   iommufd (/dev/iommu): %s   VFIO container (/dev/vfio/vfio): %s\n",
			       json_object_get_boolean_member(host, "vfio") ? "yes" : "no",
			       json_object_get_boolean_member(host, "iommufd") ? "yes" : "no",
			       json_object_get_boolean_member(host, "vfio_container") ? "yes" : "no");
	g_string_append_printf(text, "%-13s %-9s %-7s %-12s %-6s %-16s %s\n", "ADDRESS", "ID",
			       "CLASS", "DRIVER", "GROUP", "GROUP NODE", "CDEV NODE");
	for (guint i = 0; i < json_array_get_length(devices); i++) {
		JsonObject *d = json_array_get_object_element(devices, i);
		g_autofree gchar *id = g_strdup_printf("%s:%s", hiodctl_member_str(d, "vendor_id", "?"),
						       hiodctl_member_str(d, "device_id", "?"));
		g_autofree gchar *group = NULL;
		JsonNode *g = json_object_get_member(d, "iommu_group");
		group = JSON_NODE_HOLDS_NULL(g) ? g_strdup("-")
						: g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(g));
		g_string_append_printf(text, "%-13s %-9s %-7s %-12s %-6s %-16s %s\n",
				       hiodctl_member_str(d, "address", "?"), id,
				       hiodctl_member_str(d, "class_code", "?"),
				       hiodctl_member_str(d, "driver", "-"), group,
				       hiodctl_member_str(d, "vfio_group_node", "-"),
				       hiodctl_member_str(d, "vfio_cdev_node", "-"));
	}
	if (json_object_has_member(result, "vdpa_devices")) {
		JsonArray *vdpa = json_object_get_array_member(result, "vdpa_devices");
		if (json_array_get_length(vdpa) > 0)
			g_string_append_printf(text, "\n%-13s %-12s %-14s %s\n", "VDPA DEVICE", "DRIVER",
					       "MGMTDEV", "NODE");
		for (guint i = 0; i < json_array_get_length(vdpa); i++) {
			JsonObject *d = json_array_get_object_element(vdpa, i);
			g_string_append_printf(text, "%-13s %-12s %-14s %s\n", hiodctl_member_str(d, "name", "?"),
					       hiodctl_member_str(d, "driver", "-"),
					       hiodctl_member_str(d, "mgmtdev", "-"),
					       hiodctl_member_str(d, "node", "-"));
		}
	}
}

/* version ------------------------------------------------------------------- */

/* version's names for the backends built in (schema version 1): the nicks,
 * but the legacy backend by its build option's name */
static const gchar *
hiodctl_version_backend_name(HiodBackendKind kind)
{
	return kind == HIOD_BACKEND_KIND_LEGACY ? "legacy-vfio" : hiod_backend_kind_to_string(kind);
}

static gboolean
hiodctl_version(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	GEnumClass *klass = g_type_class_ref(HIOD_TYPE_BACKEND_KIND);

	json_builder_set_member_name(out, "version");
	json_builder_add_string_value(out, HIOD_VERSION);
	json_builder_set_member_name(out, "backends");
	json_builder_begin_array(out);
	for (guint i = 0; i < klass->n_values; i++) {
		HiodBackendKind kind = klass->values[i].value;
		if (kind != HIOD_BACKEND_KIND_AUTO && hiod_backend_kind_is_built(kind))
			json_builder_add_string_value(out, hiodctl_version_backend_name(kind));
	}
	json_builder_end_array(out);
	g_type_class_unref(klass);
	return TRUE;
}

/* info, dma-test, bind, unbind ---------------------------------------------- */

/* DEVICE: the one positional argument (the options are parsed already) */
static gboolean
hiodctl_one_device(const gchar *cmd, gint argc, gchar **argv, const gchar **device, GError **error)
{
	if (argc > 1) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s: unexpected argument '%s'", cmd, argv[1]);
		return FALSE;
	}
	if (argc == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s needs a device (a PCI address such as 0000:00:04.0)", cmd);
		return FALSE;
	}
	*device = argv[0];
	return TRUE;
}

/* Opens and attaches @name through a fresh container of --backend's kind. */
static HiodVfioDevice *
hiodctl_attach(HiodctlCtx *c, const gchar *cmd, gint argc, gchar **argv, GError **error)
{
	const gchar *name;
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(HiodContainer) container = NULL;

	if (!hiodctl_one_device(cmd, argc, argv, &name, error))
		return NULL;
	device = hiod_vfio_device_new(c->ctx, name, error);
	if (device == NULL)
		return NULL;
	/* without --backend, the best the host offers (iommufd, else legacy) */
	container = hiod_container_new_attached(c->ctx, c->opt->backend, device, 0, error);
	if (container == NULL)
		return NULL;
	return g_steal_pointer(&device);
}

#if HIOD_FEATURE_VDPA
/* A vdpa device's name ("vdpa0") or its vhost-vdpa node, rather than a PCI device. */
static gboolean
hiodctl_is_vdpa(HiodctlCtx *c, const gchar *arg)
{
	g_autofree gchar *base = g_path_get_basename(arg);
	g_autofree gchar *dir = hiod_context_build_sysfs_path(c->ctx, "bus", "vdpa", "devices", arg, NULL);
	return g_str_has_prefix(base, "vhost-vdpa-") || (strchr(arg, '/') == NULL && g_file_test(dir, G_FILE_TEST_IS_DIR));
}

/* info for a vDPA device: it is its own container (its IOTLB) */
static gboolean
hiodctl_info_vdpa(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	g_autoptr(HiodVdpaDevice) device = NULL;
	g_autoptr(HiodContainer) container = NULL;
	HiodHostIommuDevice *hiod;

	if (argc > 1 || c->opt->backend_given) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "info: unexpected argument '%s' (a vDPA device has one backend: vdpa)",
			    argc > 1 ? argv[1] : "--backend");
		return FALSE;
	}
	device = hiod_vdpa_device_new(c->ctx, argv[0], error);
	if (device == NULL)
		return FALSE;
	hiod = hiod_vdpa_device_get_host_iommu_device(device, error);
	if (hiod == NULL)
		return FALSE;
	container = hiod_container_new_for_device(c->ctx, HIOD_BACKEND_KIND_VDPA, G_OBJECT(device), error);
	if (container == NULL)
		return FALSE;
	json_builder_set_member_name(out, "backend");
	json_builder_add_string_value(out, hiod_backend_kind_to_string(HIOD_BACKEND_KIND_VDPA));
	json_builder_set_member_name(out, "device");
	hiod_vdpa_device_to_json(device, out);
	json_builder_set_member_name(out, "host_iommu_device");
	hiod_host_iommu_device_to_json(hiod, out);
	json_builder_set_member_name(out, "container");
	hiod_container_to_json(container, out);
	return TRUE;
}
#endif

static gboolean
hiodctl_info(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	g_autoptr(HiodVfioDevice) device = NULL;
#if HIOD_FEATURE_VDPA
	if (argc > 0 && hiodctl_is_vdpa(c, argv[0]))
		return hiodctl_info_vdpa(c, argc, argv, out, error);
#endif
	device = hiodctl_attach(c, "info", argc, argv, error);
	if (device == NULL)
		return FALSE;
	json_builder_set_member_name(out, "backend");
	json_builder_add_string_value(
	    out, hiod_backend_kind_to_string(hiod_container_get_backend_kind(hiod_vfio_device_get_container(device))));
	json_builder_set_member_name(out, "device");
	hiod_vfio_device_to_json(device, out);
	hiod_vfio_device_detach(device);
	return TRUE;
}

static gboolean
hiodctl_dma_test(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	g_autoptr(HiodVfioDevice) device = hiodctl_attach(c, "dma-test", argc, argv, error);
	HiodContainer *container;
	HiodEdu edu;
	const guint64 src_iova = 0x100000, dst_iova = 0x200000;
	const gsize count = HIOD_EDU_MAX_DMA;
	gint64 start;
	gboolean ok;

	if (device == NULL)
		return FALSE;
	container = hiod_vfio_device_get_container(device);
	if (!hiod_edu_init(&edu, device, error)) {
		g_prefix_error(error, "dma-test: ");
		return FALSE;
	}
	start = g_get_monotonic_time();
	ok = hiod_edu_round_trip(&edu, container, src_iova, dst_iova, count, error);
	json_builder_set_member_name(out, "backend");
	json_builder_add_string_value(out, hiod_backend_kind_to_string(hiod_container_get_backend_kind(container)));
	json_builder_set_member_name(out, "device");
	json_builder_add_string_value(out, hiod_vfio_device_get_name(device));
	hiodctl_add_hex(out, "src_iova", src_iova);
	hiodctl_add_hex(out, "dst_iova", dst_iova);
	json_builder_set_member_name(out, "bytes");
	json_builder_add_int_value(out, count);
	json_builder_set_member_name(out, "elapsed_ms");
	json_builder_add_int_value(out, (g_get_monotonic_time() - start) / 1000);
	json_builder_set_member_name(out, "verified");
	json_builder_add_boolean_value(out, ok);
	hiod_vfio_device_detach(device);
	if (!ok)
		g_prefix_error(error, "dma-test on %s: ", argv[0]);
	return ok;
}

static gboolean
hiodctl_bind_common(HiodctlCtx *c, const gchar *cmd, gboolean bind, gint argc, gchar **argv,
		    JsonBuilder *out, GError **error)
{
	g_autoptr(HiodPciDeviceInfo) info = NULL;
	if (argc != 1) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s takes one device (a PCI address such as 0000:00:04.0)", cmd);
		return FALSE;
	}
	if (bind ? !hiod_pci_bind_vfio(c->ctx, argv[0], error) : !hiod_pci_unbind_vfio(c->ctx, argv[0], error))
		return FALSE;
	info = hiod_pci_device_info_new(c->ctx, argv[0], error);
	if (info == NULL)
		return FALSE;
	json_builder_set_member_name(out, "device");
	hiod_pci_device_info_to_json(info, out);
	return TRUE;
}

static gboolean
hiodctl_bind(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	return hiodctl_bind_common(c, "bind", TRUE, argc, argv, out, error);
}

static gboolean
hiodctl_unbind(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	return hiodctl_bind_common(c, "unbind", FALSE, argc, argv, out, error);
}

/* check --------------------------------------------------------------------- */

static gint hiodctl_exit_code(const GError *error);

/* DEVICE --viommu SPEC [--backend KIND]: what the vIOMMU would say of the
 * device on this host; the host is left as it was. Exit 0 only when compatible. */
static gboolean
hiodctl_check(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	g_autoptr(HiodViommu) viommu = NULL;
	g_autoptr(HiodPciTopology) topo = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(HiodViommuVerdict) verdict = NULL;
	HiodPciRid rid;
	const gchar *spec = c->opt->viommu, *name;
	guint domain = 0, bus = 0;

	if (!hiodctl_one_device("check", argc, argv, &name, error))
		return FALSE;
	if (spec == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "check needs --viommu SPEC (e.g. intel-iommu,aw-bits=48,x-flts=on or virtio-iommu)");
		return FALSE;
	}
	viommu = hiod_viommu_new_from_spec(spec, error);
	if (viommu == NULL)
		return FALSE;
	topo = hiod_pci_topology_new_from_sysfs(c->ctx, error);
	if (topo == NULL)
		return FALSE;
	if (!hiod_pci_topology_get_root_bus(topo, name, &domain, &bus, error) ||
	    !hiod_pci_topology_set_viommu(topo, domain, bus, viommu, error) ||
	    !hiod_pci_topology_lookup(topo, name, &rid, NULL, error))
		return FALSE;
	device = hiod_vfio_device_new(c->ctx, name, error);
	if (device == NULL)
		return FALSE;
	verdict = hiod_pci_topology_check_device(topo, device, c->opt->backend, error);
	if (verdict == NULL)
		return FALSE;

	json_builder_set_member_name(out, "device");
	json_builder_add_string_value(out, hiod_vfio_device_get_name(device));
	json_builder_set_member_name(out, "viommu_spec");
	json_builder_add_string_value(out, spec);
	hiodctl_add_hex(out, "viommu_flags", hiod_viommu_get_viommu_flags(viommu));
	json_builder_set_member_name(out, "requester_id");
	hiod_pci_rid_to_json(&rid, out);
	json_builder_set_member_name(out, "verdict");
	hiod_viommu_verdict_to_json(verdict, out);
	if (!hiod_viommu_verdict_is_compatible(verdict)) {
		g_autoptr(GError) refusal = NULL;
		hiod_viommu_verdict_to_error(verdict, &refusal);
		c->rc = hiodctl_exit_code(refusal);
	}
	return TRUE;
}

static void
hiodctl_render_check(JsonObject *result, GString *text)
{
	JsonObject *v = json_object_get_object_member(result, "verdict");
	JsonObject *rid = json_object_get_object_member(result, "requester_id");
	JsonArray *reasons = json_object_get_array_member(v, "reasons");
	JsonObject *sugg = json_object_get_object_member(v, "suggestions");
	g_autoptr(GList) keys = json_object_get_members(sugg);
	gboolean ok = json_object_get_boolean_member(v, "compatible");

	g_string_append_printf(text, "%s behind %s: %s\n", json_object_get_string_member(result, "device"),
			       json_object_get_string_member(result, "viommu_spec"),
			       ok ? "compatible" : "INCOMPATIBLE");
	g_string_append_printf(text, "requester ID: %s%s\n", json_object_get_string_member(rid, "requester_id"),
			       json_object_get_boolean_member(rid, "aliased") ? " (aliased behind a PCI bridge)" : "");
	for (guint i = 0; i < json_array_get_length(reasons); i++)
		g_string_append_printf(text, "  - %s\n", json_array_get_string_element(reasons, i));
	if (keys != NULL) {
		g_string_append(text, "settings that would work:");
		for (GList *l = keys; l != NULL; l = l->next)
			g_string_append_printf(text, " %s=%s", (const gchar *)l->data,
					       json_object_get_string_member(sugg, l->data));
		g_string_append_c(text, '\n');
	}
	if (json_object_has_member(v, "reserved_regions")) {
		JsonArray *r = json_object_get_array_member(v, "reserved_regions");
		g_string_append(text, "reserved regions:\n");
		for (guint i = 0; i < json_array_get_length(r); i++) {
			JsonObject *o = json_array_get_object_element(r, i);
			g_string_append_printf(text, "  %s-%s\n", json_object_get_string_member(o, "start"),
					       json_object_get_string_member(o, "last"));
		}
	}
	if (json_object_has_member(v, "page_size_mask"))
		g_string_append_printf(text, "page size mask: %s\n",
				       json_object_get_string_member(v, "page_size_mask"));
}

/* launch -------------------------------------------------------------------- */

typedef struct {
	gboolean given;
	uid_t uid;
	gid_t gid;
	gchar *name;
} HiodctlUser;

static void
hiodctl_user_clear(HiodctlUser *u)
{
	g_free(u->name);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HiodctlUser, hiodctl_user_clear)

/* a user name, or a numeric uid (its group from the passwd entry, else gid = uid) */
static gboolean
hiodctl_resolve_user(const gchar *user, HiodctlUser *out, GError **error)
{
	struct passwd *pw = getpwnam(user);
	guint64 n = 0;

	if (pw == NULL && g_ascii_string_to_unsigned(user, 10, 0, G_MAXUINT32 - 1, &n, NULL)) {
		pw = getpwuid((uid_t)n);
		if (pw == NULL) {
			out->given = TRUE;
			out->uid = (uid_t)n;
			out->gid = (gid_t)n;
			out->name = g_strdup(user);
			return TRUE;
		}
	}
	if (pw == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "no user '%s' on this host: give a user name or a numeric uid", user);
		return FALSE;
	}
	out->given = TRUE;
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	out->name = g_strdup(pw->pw_name);
	return TRUE;
}

/* Becomes @u for good: supplementary groups dropped, real/effective/saved ids
 * set, no new privileges through exec; then checks that root cannot be regained. */
static gboolean
hiodctl_drop_privileges(const HiodctlUser *u, GError **error)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (geteuid() != 0) {
		if (getuid() == u->uid && getgid() == u->gid)
			return TRUE; /* already that user */
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED,
			    "--user %s needs root (hiodctl runs as uid %u): run it as root, "
			    "or leave --user out", u->name, (guint)geteuid());
		return FALSE;
	}
	if (setgroups(1, &u->gid) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0) {
		gint errsv = errno;
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED,
			    "becoming %s (%u:%u) failed: %s", u->name, (guint)u->uid,
			    (guint)u->gid, g_strerror(errsv));
		return FALSE;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		gint errsv = errno;
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_FAILED, "PR_SET_NO_NEW_PRIVS: %s",
			    g_strerror(errsv));
		return FALSE;
	}
	/* verify: every id is the user's, and root is out of reach */
	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0 ||
	    ruid != u->uid || euid != u->uid || suid != u->uid || rgid != u->gid ||
	    egid != u->gid || sgid != u->gid ||
	    (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) ||
	    (u->gid != 0 && u->uid != 0 && (setgid(0) == 0 || setegid(0) == 0))) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED,
			    "after becoming %s the process could still regain privilege: "
			    "refusing to run the VMM", u->name);
		return FALSE;
	}
	return TRUE;
}

/* sets RLIMIT_MEMLOCK to @bytes (soft and hard; soft only when the hard limit
 * is high enough and hiodctl cannot raise it) */
static gboolean
hiodctl_set_memlock(guint64 bytes, GError **error)
{
	struct rlimit cur, want = {.rlim_cur = (rlim_t)bytes, .rlim_max = (rlim_t)bytes};
	if (getrlimit(RLIMIT_MEMLOCK, &cur) == 0 && cur.rlim_max != RLIM_INFINITY && cur.rlim_max > want.rlim_max)
		want.rlim_max = cur.rlim_max;
	if (getrlimit(RLIMIT_MEMLOCK, &cur) == 0 && cur.rlim_max == RLIM_INFINITY)
		want.rlim_max = RLIM_INFINITY;
	if (setrlimit(RLIMIT_MEMLOCK, &want) == 0)
		return TRUE;
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED,
		    "cannot raise the locked-memory limit (RLIMIT_MEMLOCK) to %" G_GUINT64_FORMAT
		    " bytes, which the VMM needs to pin the guest's memory for DMA: %s; run hiodctl "
		    "as root or give the guest less memory",
		    bytes, g_strerror(errno));
	return FALSE;
}

static gboolean
hiodctl_launch(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	g_autoptr(GPtrArray) devices = g_ptr_array_new();
	g_autoptr(HiodLaunchPlan) plan = NULL;
	g_auto(HiodctlUser) user = {0};
	g_auto(GStrv) args = NULL;
	g_autoptr(GStrvBuilder) exec = g_strv_builder_new();
	g_autofree gchar *program = NULL;
	const gchar *spec = c->opt->viommu, *user_arg = c->opt->user, *memory = c->opt->memory;
	HiodBackendKind kind = c->opt->backend;
	gboolean print = c->opt->print;
	gchar **vmm = c->opt->vmm;
	guint64 guest = 0, memlock;

	for (gint i = 0; i < argc; i++)
		g_ptr_array_add(devices, argv[i]);
	g_ptr_array_add(devices, NULL);
	if (vmm == NULL || vmm[0] == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "launch needs the VMM's command line after -- "
				    "(hiodctl launch 0000:00:04.0 --user qemu -- qemu-system-x86_64 -m 1G ...)");
		return FALSE;
	}
	if (user_arg != NULL && !hiodctl_resolve_user(user_arg, &user, error))
		return FALSE;
	program = g_find_program_in_path(vmm[0]);
	if (program == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND,
			    "cannot run '%s': not found or not executable", vmm[0]);
		return FALSE;
	}
	if (memory != NULL) {
		const gchar *m[] = {"-m", memory, NULL};
		if (!hiod_launch_parse_qemu_memory(m, &guest, error)) {
			g_prefix_error(error, "--memory: ");
			return FALSE;
		}
	} else if (!hiod_launch_parse_qemu_memory((const gchar *const *)vmm, &guest, error)) {
		return FALSE;
	}

	plan = hiod_launch_plan_new(c->ctx, (const gchar *const *)devices->pdata, kind, spec, error);
	if (plan == NULL) {
		return FALSE;
	}
	memlock = hiod_launch_plan_get_memlock_limit(plan, guest);
	if (user.given && !hiod_launch_plan_grant(plan, user.uid, user.gid, error))
		return FALSE;
	args = hiod_launch_plan_export(plan, error);
	if (args == NULL || !hiodctl_set_memlock(memlock, error) ||
	    (user.given && !hiodctl_drop_privileges(&user, error))) {
		hiod_launch_plan_revoke(plan); /* fails harmlessly once root is gone */
		return FALSE;
	}

	g_strv_builder_addv(exec, (const gchar **)vmm);
	if (!print)
		g_strv_builder_addv(exec, (const gchar **)args);

	json_builder_set_member_name(out, "plan");
	hiod_launch_plan_to_json(plan, out);
	json_builder_set_member_name(out, "user");
	if (user.given) {
		json_builder_begin_object(out);
		json_builder_set_member_name(out, "name");
		json_builder_add_string_value(out, user.name);
		json_builder_set_member_name(out, "uid");
		json_builder_add_int_value(out, user.uid);
		json_builder_set_member_name(out, "gid");
		json_builder_add_int_value(out, user.gid);
		json_builder_end_object(out);
	} else {
		json_builder_add_null_value(out);
	}
	json_builder_set_member_name(out, "guest_memory");
	json_builder_add_int_value(out, (gint64)guest);
	json_builder_set_member_name(out, "memlock_limit");
	json_builder_add_int_value(out, (gint64)memlock);
	json_builder_set_member_name(out, "print");
	json_builder_add_boolean_value(out, print);
	c->exec_argv = g_strv_builder_end(exec);
	if (print) {
		/* the words hold no space or shell metacharacter (ids, fd numbers, PCI addresses) */
		g_autofree gchar *line = g_strjoinv(" ", args);
		g_setenv("HIOD_VMM_ARGS", line, TRUE);
	}
	c->quiet = !print;
	c->keep = G_OBJECT(g_steal_pointer(&plan)); /* its fds live until the exec */
	return TRUE;
}

/* --print in text: the arguments on one line, as in HIOD_VMM_ARGS */
static void
hiodctl_render_launch(JsonObject *result, GString *text)
{
	JsonArray *a = json_object_get_array_member(json_object_get_object_member(result, "plan"), "vmm_args");
	for (guint i = 0; i < json_array_get_length(a); i++)
		g_string_append_printf(text, "%s%s", i ? " " : "", json_array_get_string_element(a, i));
	g_string_append_c(text, '\n');
}

/* the options --------------------------------------------------------------- */

/* the backends' nicks, in the enum's order ("auto, legacy, spapr, iommufd,
 * vdpa"); @built_only: those this build has */
static gchar *
hiodctl_backend_names(gboolean built_only)
{
	GEnumClass *klass = g_type_class_ref(HIOD_TYPE_BACKEND_KIND);
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < klass->n_values; i++) {
		if (built_only && !hiod_backend_kind_is_built(klass->values[i].value))
			continue;
		g_string_append_printf(s, "%s%s", s->len ? ", " : "", klass->values[i].value_nick);
	}
	g_type_class_unref(klass);
	return g_string_free(s, FALSE);
}

/* --backend KIND: a HiodBackendKind nick, of a backend this build has */
static gboolean
hiodctl_parse_backend(const gchar *option_name, const gchar *value, gpointer data, GError **error)
{
	HiodctlOptions *opt = data;
	HiodBackendKind kind;

	if (!hiod_backend_kind_from_string(value, &kind, error))
		return FALSE;
	if (!hiod_backend_kind_is_built(kind)) {
		g_autofree gchar *built = hiodctl_backend_names(TRUE);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s %s: this build of hiod has no %s backend (it has: %s)", option_name,
			    value, value, built[0] ? built : "none");
		return FALSE;
	}
	opt->backend = kind;
	opt->backend_given = TRUE;
	return TRUE;
}

/* any command (parsed first, wherever they stand before --) */
static const GOptionEntry hiodctl_global_entries[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &hiodctl_opt.json, "print one JSON document (errors too)", NULL},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &hiodctl_opt.verbose, "trace every kernel call on stderr", NULL},
    {"sysfs-root", 0, 0, G_OPTION_ARG_FILENAME, &hiodctl_opt.sysfs_root,
     "read DIR as /sys (a snapshot)", "DIR"},
    {"dev-root", 0, 0, G_OPTION_ARG_FILENAME, &hiodctl_opt.dev_root, "read DIR as /dev (a snapshot)", "DIR"},
    {"help", 'h', 0, G_OPTION_ARG_NONE, &hiodctl_opt.help, "show this help", NULL},
    G_OPTION_ENTRY_NULL,
};

#define HIODCTL_OPT_BACKEND                                                                        \
	{"backend", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)hiodctl_parse_backend,                  \
	 "the kernel interface to attach through", "KIND"}
#define HIODCTL_OPT_VIOMMU                                                                         \
	{"viommu", 0, 0, G_OPTION_ARG_STRING, &hiodctl_opt.viommu,                                  \
	 "the vIOMMU, as QEMU's -device (intel-iommu,aw-bits=48,x-flts=on or virtio-iommu)", "SPEC"}

static const GOptionEntry hiodctl_device_entries[] = {HIODCTL_OPT_BACKEND, G_OPTION_ENTRY_NULL};
static const GOptionEntry hiodctl_check_entries[] = {HIODCTL_OPT_VIOMMU, HIODCTL_OPT_BACKEND,
						     G_OPTION_ENTRY_NULL};
static const GOptionEntry hiodctl_launch_entries[] = {
    HIODCTL_OPT_BACKEND,
    HIODCTL_OPT_VIOMMU,
    {"user", 0, 0, G_OPTION_ARG_STRING, &hiodctl_opt.user, "run the VMM as USER (a name or a uid)", "USER"},
    {"memory", 0, 0, G_OPTION_ARG_STRING, &hiodctl_opt.memory,
     "the guest's memory, as QEMU's -m (without it, -m in the VMM's arguments)", "SIZE"},
    {"print", 0, 0, G_OPTION_ARG_NONE, &hiodctl_opt.print,
     "print the VMM's arguments (and HIOD_VMM_ARGS) and run the command unchanged", NULL},
    G_OPTION_ENTRY_NULL,
};

/* the table ----------------------------------------------------------------- */

static const HiodctlCommand hiodctl_commands[] = {
    {"list", "", NULL, NULL, NULL, "list PCI devices with their IOMMU groups and VFIO nodes", hiodctl_list,
     hiodctl_render_list},
    {"info", "DEVICE", hiodctl_device_entries, NULL, NULL,
     "attach a device and show its host IOMMU device, container and IOMMU limits", hiodctl_info, NULL},
    {"dma-test", "DEVICE", hiodctl_device_entries, NULL, NULL,
     "edu devices: map buffers, DMA RAM -> device -> RAM through the IOMMU, compare", hiodctl_dma_test, NULL},
    {"check", "DEVICE", hiodctl_check_entries, "viommu", NULL,
     "would a vIOMMU accept the device on this host? reasons and settings that work", hiodctl_check,
     hiodctl_render_check},
    {"launch", "DEVICE...", hiodctl_launch_entries, NULL, "-- VMM ARGS...",
     "check devices, open them, drop privilege and exec the VMM with their fds and arguments", hiodctl_launch,
     hiodctl_render_launch},
    {"bind", "DEVICE", NULL, NULL, NULL, "bind a PCI device to vfio-pci (driver_override; needs root)",
     hiodctl_bind, NULL},
    {"unbind", "DEVICE", NULL, NULL, NULL, "unbind a PCI device from vfio-pci and clear driver_override",
     hiodctl_unbind, NULL},
    {"version", "", NULL, NULL, NULL, "show the version and the backends built in", hiodctl_version, NULL},
};

/* output -------------------------------------------------------------------- */

static void
hiodctl_render_generic_node(JsonNode *node, guint indent, GString *text);

static void
hiodctl_render_generic_object(JsonObject *o, guint indent, GString *text)
{
	g_autoptr(GList) members = json_object_get_members(o);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *key = l->data;
		JsonNode *n = json_object_get_member(o, key);
		if (g_strcmp0(key, "schema_version") == 0 || g_strcmp0(key, "command") == 0)
			continue;
		g_string_append_printf(text, "%*s%s:", indent * 2, "", key);
		if (JSON_NODE_HOLDS_OBJECT(n) || JSON_NODE_HOLDS_ARRAY(n)) {
			g_string_append_c(text, '\n');
			hiodctl_render_generic_node(n, indent + 1, text);
		} else {
			g_string_append_c(text, ' ');
			hiodctl_render_generic_node(n, indent, text);
		}
	}
}

static void
hiodctl_render_generic_node(JsonNode *node, guint indent, GString *text)
{
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		hiodctl_render_generic_object(json_node_get_object(node), indent, text);
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *a = json_node_get_array(node);
		if (json_array_get_length(a) == 0)
			g_string_append_printf(text, "%*s(none)\n", indent * 2, "");
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonNode *e = json_array_get_element(a, i);
			if (JSON_NODE_HOLDS_OBJECT(e)) {
				g_string_append_printf(text, "%*s-\n", indent * 2, "");
				hiodctl_render_generic_node(e, indent + 1, text);
			} else {
				g_string_append_printf(text, "%*s- ", indent * 2, "");
				hiodctl_render_generic_node(e, indent, text);
			}
		}
	} else if (JSON_NODE_HOLDS_NULL(node)) {
		g_string_append(text, "-\n");
	} else {
		GType t = json_node_get_value_type(node);
		if (t == G_TYPE_BOOLEAN)
			g_string_append(text, json_node_get_boolean(node) ? "yes\n" : "no\n");
		else if (t == G_TYPE_INT64)
			g_string_append_printf(text, "%" G_GINT64_FORMAT "\n", json_node_get_int(node));
		else if (t == G_TYPE_DOUBLE)
			g_string_append_printf(text, "%g\n", json_node_get_double(node));
		else
			g_string_append_printf(text, "%s\n", json_node_get_string(node));
	}
}

/*
 * Text output shows what sysfs and the kernel said, and those strings are not
 * ours: a driver or device name with terminal escapes must not reach the
 * terminal raw. Every control character (C0, DEL, C1) and every byte of
 * invalid UTF-8 is shown as \xNN (C1 as \u00NN); --json keeps the JSON
 * escaping.
 */
static gchar *
hiodctl_escape_text(const gchar *s)
{
	GString *out = g_string_new(NULL);
	const gchar *end = NULL;
	gboolean valid = g_utf8_validate(s, -1, &end);
	for (const gchar *p = s; *p != '\0';) {
		guchar c = (guchar)*p;
		if (c < 0x20 || c == 0x7f || (!valid && c >= 0x80)) {
			g_string_append_printf(out, "\\x%02x", c);
			p++;
		} else if (c >= 0x80) {
			gunichar u = g_utf8_get_char(p);
			const gchar *next = g_utf8_next_char(p);
			if (u >= 0x80 && u <= 0x9f)
				g_string_append_printf(out, "\\u%04x", u);
			else
				g_string_append_len(out, p, next - p);
			p = next;
		} else {
			g_string_append_c(out, (gchar)c);
			p++;
		}
	}
	return g_string_free(out, FALSE);
}

/* every string value of the document, escaped for the terminal */
static void
hiodctl_escape_node(JsonNode *node)
{
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObject *o = json_node_get_object(node);
		g_autoptr(GList) members = json_object_get_members(o);
		for (GList *l = members; l != NULL; l = l->next)
			hiodctl_escape_node(json_object_get_member(o, l->data));
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *a = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(a); i++)
			hiodctl_escape_node(json_array_get_element(a, i));
	} else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
		g_autofree gchar *escaped = hiodctl_escape_text(json_node_get_string(node));
		json_node_set_string(node, escaped);
	}
}

static void
hiodctl_print_json(JsonNode *root)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree gchar *str = NULL;
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, root);
	str = json_generator_to_data(gen, NULL);
	g_print("%s\n", str);
}

/* exit status --------------------------------------------------------------- */

/* The exit statuses that are no error's (hiodctl(1), EXIT STATUS). */
enum {
	HIODCTL_EXIT_OK = 0,
	HIODCTL_EXIT_FAILED = 1,
	HIODCTL_EXIT_USAGE = 2,
	HIODCTL_EXIT_CANNOT_EXEC = 126,
	HIODCTL_EXIT_EXEC_NOT_FOUND = 127,
};

typedef struct {
	gint status;
	GQuark (*domain)(void); /* with @code: the error that exits with @status; NULL: none */
	gint code;
	const gchar *name; /* for the rows without an error; an error's is its nick */
	const gchar *meaning;
} HiodctlExit;

/*
 * The one table of exit statuses. A status never changes: a new error code
 * gets a new row with the next free status (an error without one exits 1).
 * hiodctl --help prints it, hiodctl(1) documents it and tests/unit/test-cli-docs.py
 * holds the two equal.
 */
static const HiodctlExit hiodctl_exits[] = {
    {HIODCTL_EXIT_OK, NULL, 0, "ok", "success (check: the vIOMMU accepts the device)"},
    {HIODCTL_EXIT_FAILED, hiod_error_quark, HIOD_ERROR_FAILED, NULL,
     "an error without a more specific code, or from outside libhiod"},
    {HIODCTL_EXIT_USAGE, NULL, 0, "usage", "no command, an unknown command, or a malformed global option"},
    {3, hiod_error_quark, HIOD_ERROR_NOT_SUPPORTED, NULL,
     "the host, its kernel or this build does not offer it (a --backend not built)"},
    {4, hiod_error_quark, HIOD_ERROR_NOT_FOUND, NULL, "no such device, node, user or object"},
    {5, hiod_error_quark, HIOD_ERROR_PERMISSION_DENIED, NULL, "not allowed (file mode, capability, --user without root)"},
    {6, hiod_error_quark, HIOD_ERROR_BUSY, NULL, "in use by someone else"},
    {7, hiod_error_quark, HIOD_ERROR_INVALID_ARGUMENT, NULL, "a malformed argument or option of the command"},
    {8, hiod_error_quark, HIOD_ERROR_INCOMPATIBLE, NULL,
     "the host cannot satisfy what is asked (check, launch: the vIOMMU refuses the device)"},
    {9, hiod_error_quark, HIOD_ERROR_EXISTS, NULL, "it exists already"},
    {10, hiod_error_quark, HIOD_ERROR_NO_SPACE, NULL, "a limit was reached (mappings, memory, windows)"},
    {11, hiod_error_quark, HIOD_ERROR_OUT_OF_RANGE, NULL, "an IOVA outside the usable ranges"},
    {12, hiod_error_quark, HIOD_ERROR_INVALID_STATE, NULL,
     "not in a state that allows it (a device not bound to vfio-pci)"},
    {13, hiod_error_quark, HIOD_ERROR_TIMED_OUT, NULL, "the device did not answer in time"},
    {14, hiod_error_quark, HIOD_ERROR_IO, NULL, "an I/O error talking to the device"},
    {HIODCTL_EXIT_CANNOT_EXEC, NULL, 0, "cannot-exec", "launch: the VMM could not be executed"},
    {HIODCTL_EXIT_EXEC_NOT_FOUND, NULL, 0, "exec-not-found",
     "launch: executing the VMM found no such file (ENOENT: e.g. its interpreter is missing)"},
};

static const gchar *
hiodctl_exit_name(const HiodctlExit *e)
{
	return e->domain != NULL ? hiod_error_to_nick(e->code) : e->name;
}

static gint
hiodctl_exit_code(const GError *error)
{
	if (error == NULL)
		return HIODCTL_EXIT_OK;
	for (guint i = 0; i < G_N_ELEMENTS(hiodctl_exits); i++) {
		const HiodctlExit *e = &hiodctl_exits[i];
		if (e->domain != NULL && error->domain == e->domain() && error->code == e->code)
			return e->status;
	}
	return HIODCTL_EXIT_FAILED;
}

static gint
hiodctl_fail(HiodctlCtx *c, const gchar *command, GError *error)
{
	if (c->opt->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) root = NULL;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "schema_version");
		json_builder_add_int_value(b, HIODCTL_SCHEMA_VERSION);
		json_builder_set_member_name(b, "command");
		json_builder_add_string_value(b, command);
		json_builder_set_member_name(b, "error");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "code");
		json_builder_add_string_value(
		    b, error->domain == HIOD_ERROR ? hiod_error_to_nick(error->code) : "failed");
		json_builder_set_member_name(b, "message");
		json_builder_add_string_value(b, error->message);
		json_builder_end_object(b);
		json_builder_end_object(b);
		root = json_builder_get_root(b);
		hiodctl_print_json(root);
	} else {
		g_autofree gchar *cmd = hiodctl_escape_text(command);
		g_autofree gchar *msg = hiodctl_escape_text(error->message);
		g_printerr("hiodctl %s: %s\n", cmd, msg);
	}
	return hiodctl_exit_code(error);
}

/* usage ---------------------------------------------------------------------- */

static void
hiodctl_usage_entry(GString *s, const GOptionEntry *e)
{
	g_autofree gchar *left = g_strdup_printf("--%s%s%s", e->long_name, e->arg_description ? " " : "",
						 e->arg_description ? e->arg_description : "");
	g_string_append_printf(s, "  %-32s %s", left, e->description);
	if (e->arg == G_OPTION_ARG_CALLBACK && e->arg_data == (gpointer)hiodctl_parse_backend) {
		g_autofree gchar *all = hiodctl_backend_names(FALSE);
		g_autofree gchar *built = hiodctl_backend_names(TRUE);
		g_string_append_printf(s, ": %s (this build: %s)", all, built[0] ? built : "none");
	}
	g_string_append_c(s, '\n');
}

/* "DEVICE --viommu SPEC [--backend KIND]": the usage of @cmd, from its options */
static gchar *
hiodctl_command_synopsis(const HiodctlCommand *cmd)
{
	GString *s = g_string_new(cmd->name);
	if (cmd->args[0] != '\0')
		g_string_append_printf(s, " %s", cmd->args);
	for (const GOptionEntry *e = cmd->entries; e != NULL && e->long_name != NULL; e++) {
		gboolean required = g_strcmp0(e->long_name, cmd->required) == 0;
		g_string_append_printf(s, " %s--%s%s%s%s", required ? "" : "[", e->long_name,
				       e->arg_description ? " " : "",
				       e->arg_description ? e->arg_description : "", required ? "" : "]");
	}
	if (cmd->tail != NULL)
		g_string_append_printf(s, " %s", cmd->tail);
	return g_string_free(s, FALSE);
}

static gchar *
hiodctl_usage(void)
{
	GString *s = g_string_new("Usage: hiodctl [--json] [--verbose] COMMAND [ARGS]\n\nCommands:\n");
	g_autoptr(GPtrArray) seen = g_ptr_array_new();

	for (guint i = 0; i < G_N_ELEMENTS(hiodctl_commands); i++) {
		g_autofree gchar *left = hiodctl_command_synopsis(&hiodctl_commands[i]);
		g_string_append_printf(s, "  %-32s %s\n", left, hiodctl_commands[i].summary);
	}
	g_string_append(s, "\nOptions:\n");
	for (const GOptionEntry *e = hiodctl_global_entries; e->long_name != NULL; e++)
		hiodctl_usage_entry(s, e);
	g_string_append(s, "\nCommand options:\n");
	for (guint i = 0; i < G_N_ELEMENTS(hiodctl_commands); i++) {
		for (const GOptionEntry *e = hiodctl_commands[i].entries; e != NULL && e->long_name != NULL; e++) {
			gboolean dup = FALSE;
			for (guint j = 0; j < seen->len; j++)
				dup |= g_strcmp0(g_ptr_array_index(seen, j), e->long_name) == 0;
			if (dup)
				continue;
			g_ptr_array_add(seen, (gpointer)e->long_name);
			hiodctl_usage_entry(s, e);
		}
	}
	g_string_append(s, "\nExit status:\n");
	for (guint i = 0; i < G_N_ELEMENTS(hiodctl_exits); i++)
		g_string_append_printf(s, "  %-4d %-18s %s\n", hiodctl_exits[i].status,
				       hiodctl_exit_name(&hiodctl_exits[i]), hiodctl_exits[i].meaning);
	return g_string_free(s, FALSE);
}

/* the command line ------------------------------------------------------------ */

/* An option error of GLib's is a usage error of the command's: invalid-argument. */
static void
hiodctl_option_error(const HiodctlCommand *cmd, GError **error)
{
	if (*error != NULL && (*error)->domain == G_OPTION_ERROR) {
		g_autoptr(GError) e = g_steal_pointer(error);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "%s%s", e->message,
			    cmd->tail != NULL ? " (the VMM's own arguments go after --)" : "");
	}
}

/*
 * The command's own options (its GOptionEntry group), after the global ones
 * are gone from @args ([program, command, ...]); leaves the positional
 * arguments in @args.
 */
static gboolean
hiodctl_parse_command(const HiodctlCommand *cmd, gchar ***args, GError **error)
{
	g_autoptr(GOptionContext) octx = g_option_context_new(NULL);
	GOptionGroup *group = g_option_group_new(cmd->name, cmd->summary, cmd->summary, &hiodctl_opt, NULL);

	if (cmd->entries != NULL)
		g_option_group_add_entries(group, cmd->entries);
	g_option_context_set_main_group(octx, group);
	g_option_context_set_help_enabled(octx, FALSE);
	if (!g_option_context_parse_strv(octx, args, error)) {
		hiodctl_option_error(cmd, error);
		return FALSE;
	}
	return TRUE;
}

static void
hiodctl_options_clear(HiodctlOptions *opt)
{
	g_clear_pointer(&opt->sysfs_root, g_free);
	g_clear_pointer(&opt->dev_root, g_free);
	g_clear_pointer(&opt->viommu, g_free);
	g_clear_pointer(&opt->user, g_free);
	g_clear_pointer(&opt->memory, g_free);
	g_clear_pointer(&opt->vmm, g_strfreev);
}

int
main(int argc, char **argv)
{
	HiodctlCtx c = {.opt = &hiodctl_opt};
	const HiodctlCommand *cmd = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GOptionContext) octx = NULL;
	g_auto(GStrv) args = NULL;
	gint split = argc, nargs;
	gint rc;

	setlocale(LC_ALL, "");
	/* the words after -- belong to the program launch runs: never parsed */
	for (gint i = 1; i < argc; i++) {
		if (g_strcmp0(argv[i], "--") == 0) {
			split = i;
			hiodctl_opt.vmm = g_strdupv(argv + i + 1);
			break;
		}
	}
	args = g_new0(gchar *, split + 1);
	for (gint i = 0; i < split; i++)
		args[i] = g_strdup(argv[i]);

	/* the global options, before or after the command; the command's own wait */
	octx = g_option_context_new(NULL);
	g_option_context_add_main_entries(octx, hiodctl_global_entries, NULL);
	g_option_context_set_help_enabled(octx, FALSE);
	g_option_context_set_ignore_unknown_options(octx, TRUE);
	if (!g_option_context_parse_strv(octx, &args, &error)) {
		g_autofree gchar *usage = hiodctl_usage();
		g_printerr("hiodctl: %s\n%s", error->message, usage);
		hiodctl_options_clear(&hiodctl_opt);
		return HIODCTL_EXIT_USAGE;
	}
	if (hiodctl_opt.help) {
		g_autofree gchar *usage = hiodctl_usage();
		g_print("%s", usage);
		hiodctl_options_clear(&hiodctl_opt);
		return HIODCTL_EXIT_OK;
	}
	if (hiodctl_opt.verbose)
		g_setenv("G_MESSAGES_DEBUG", "hiod", TRUE);
	nargs = g_strv_length(args);
	if (nargs < 2) {
		g_autofree gchar *usage = hiodctl_usage();
		g_printerr("%s", usage);
		hiodctl_options_clear(&hiodctl_opt);
		return HIODCTL_EXIT_USAGE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(hiodctl_commands); i++) {
		if (g_strcmp0(args[1], hiodctl_commands[i].name) == 0)
			cmd = &hiodctl_commands[i];
	}
	if (cmd == NULL) {
		g_autofree gchar *usage = hiodctl_usage();
		g_set_error(&error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "unknown command '%s'", args[1]);
		if (!hiodctl_opt.json)
			g_printerr("%s", usage);
		hiodctl_fail(&c, args[1], error);
		hiodctl_options_clear(&hiodctl_opt);
		return HIODCTL_EXIT_USAGE;
	}
	/* [program, command, ...] -> [program, positional...] */
	g_free(args[1]);
	memmove(args + 1, args + 2, (nargs - 1) * sizeof(gchar *));
	if (hiodctl_parse_command(cmd, &args, &error) && hiodctl_opt.vmm != NULL && cmd->tail == NULL)
		g_set_error(&error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "%s: unexpected argument '--'",
			    cmd->name);
	if (error != NULL) {
		rc = hiodctl_fail(&c, cmd->name, error);
		hiodctl_options_clear(&hiodctl_opt);
		return rc;
	}
	nargs = g_strv_length(args);

	/* the roots come from the command line only, never from the environment */
	c.ctx = hiod_context_new_with_roots(hiodctl_opt.sysfs_root, hiodctl_opt.dev_root);
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "schema_version");
	json_builder_add_int_value(b, HIODCTL_SCHEMA_VERSION);
	json_builder_set_member_name(b, "command");
	json_builder_add_string_value(b, cmd->name);
	if (!cmd->func(&c, nargs - 1, args + 1, b, &error)) {
		rc = hiodctl_fail(&c, cmd->name, error);
		g_clear_object(&c.keep);
		g_object_unref(c.ctx);
		hiodctl_options_clear(&hiodctl_opt);
		return rc;
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	if (c.quiet) {
		/* nothing to print */
	} else if (hiodctl_opt.json) {
		hiodctl_print_json(root);
	} else {
		g_autoptr(GString) text = g_string_new(NULL);
		hiodctl_escape_node(root);
		if (cmd->render != NULL)
			cmd->render(json_node_get_object(root), text);
		else
			hiodctl_render_generic_object(json_node_get_object(root), 0, text);
		g_print("%s", text->str);
	}
	if (c.exec_argv != NULL) {
		gint errsv;
		fflush(stdout);
		fflush(stderr);
		execvp(c.exec_argv[0], c.exec_argv);
		errsv = errno;
		g_set_error(&error, HIOD_ERROR, HIOD_ERROR_FAILED, "cannot exec %s: %s", c.exec_argv[0],
			    g_strerror(errsv));
		hiodctl_opt.json = FALSE; /* a document went out already, or the VMM's stdout is not ours */
		hiodctl_fail(&c, cmd->name, error);
		return errsv == ENOENT ? HIODCTL_EXIT_EXEC_NOT_FOUND : HIODCTL_EXIT_CANNOT_EXEC;
	}
	g_object_unref(c.ctx);
	rc = c.rc;
	hiodctl_options_clear(&hiodctl_opt);
	return rc;
}

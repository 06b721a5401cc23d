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

typedef struct {
	HiodContext *ctx;
	gboolean json;
	gboolean verbose;
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
	const gchar *args;
	const gchar *summary;
	HiodctlFunc func;
	HiodctlRender render; /* NULL: the generic renderer */
} HiodctlCommand;

#define HIODCTL_DEMO_COMMAND "./scripts/demo"

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
#if HIOD_HAVE_VDPA
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

static gboolean
hiodctl_version(HiodctlCtx *c, gint argc, gchar **argv, JsonBuilder *out, GError **error)
{
	json_builder_set_member_name(out, "version");
	json_builder_add_string_value(out, HIOD_VERSION);
	json_builder_set_member_name(out, "backends");
	json_builder_begin_array(out);
#if HIOD_HAVE_LEGACY_VFIO
	json_builder_add_string_value(out, "legacy-vfio");
#endif
#if HIOD_HAVE_SPAPR
	json_builder_add_string_value(out, "spapr");
#endif
#if HIOD_HAVE_IOMMUFD
	json_builder_add_string_value(out, "iommufd");
#endif
#if HIOD_HAVE_VDPA
	json_builder_add_string_value(out, "vdpa");
#endif
	json_builder_end_array(out);
	return TRUE;
}

/* info, dma-test, bind, unbind ---------------------------------------------- */

/* DEVICE [--backend auto|legacy|iommufd|...] */
static gboolean
hiodctl_parse_device_args(const gchar *cmd, gint argc, gchar **argv, const gchar **device,
			  HiodBackendKind *kind, GError **error)
{
	*device = NULL;
	*kind = HIOD_BACKEND_KIND_AUTO;
	for (gint i = 0; i < argc; i++) {
		const gchar *value = NULL;
		if (g_str_has_prefix(argv[i], "--backend=")) {
			value = argv[i] + strlen("--backend=");
		} else if (g_strcmp0(argv[i], "--backend") == 0) {
			if (i + 1 >= argc) {
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
					    "%s: --backend needs a value (auto, legacy, iommufd)", cmd);
				return FALSE;
			}
			value = argv[++i];
		} else if (*device == NULL && argv[i][0] != '-') {
			*device = argv[i];
			continue;
		} else {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "%s: unexpected argument '%s'", cmd, argv[i]);
			return FALSE;
		}
		if (!hiod_backend_kind_from_string(value, kind, error))
			return FALSE;
	}
	if (*device == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s needs a device (a PCI address such as 0000:00:04.0)", cmd);
		return FALSE;
	}
	return TRUE;
}

/* Opens and attaches @name through a fresh container of @kind. */
static HiodVfioDevice *
hiodctl_attach(HiodctlCtx *c, const gchar *cmd, gint argc, gchar **argv, GError **error)
{
	const gchar *name;
	HiodBackendKind kind;
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(HiodContainer) container = NULL;

	if (!hiodctl_parse_device_args(cmd, argc, argv, &name, &kind, error))
		return NULL;
	device = hiod_vfio_device_new(c->ctx, name, error);
	if (device == NULL)
		return NULL;
	/* without --backend, the best the host offers (iommufd, else legacy) */
	container = hiod_container_new_attached(c->ctx, kind, device, 0, error);
	if (container == NULL)
		return NULL;
	return g_steal_pointer(&device);
}

#if HIOD_HAVE_VDPA
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

	if (argc > 1) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "info: unexpected argument '%s' (a vDPA device has one backend: vdpa)", argv[1]);
		return FALSE;
	}
	device = hiod_vdpa_device_new(c->ctx, argv[0], error);
	if (device == NULL)
		return FALSE;
	hiod = hiod_vdpa_device_get_host_iommu_device(device, error);
	if (hiod == NULL)
		return FALSE;
	container = hiod_vdpa_container_new(device, error);
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
#if HIOD_HAVE_VDPA
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
	json_builder_set_member_name(out, "src_iova");
	json_builder_add_int_value(out, src_iova);
	json_builder_set_member_name(out, "dst_iova");
	json_builder_add_int_value(out, dst_iova);
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
	g_autoptr(GPtrArray) rest = g_ptr_array_new();
	g_autoptr(HiodViommu) viommu = NULL;
	g_autoptr(HiodPciTopology) topo = NULL;
	g_autoptr(HiodVfioDevice) device = NULL;
	g_autoptr(HiodViommuVerdict) verdict = NULL;
	HiodPciRid rid;
	const gchar *spec = NULL, *name;
	HiodBackendKind kind;
	guint domain = 0, bus = 0;

	for (gint i = 0; i < argc; i++) {
		if (g_str_has_prefix(argv[i], "--viommu=")) {
			spec = argv[i] + strlen("--viommu=");
		} else if (g_strcmp0(argv[i], "--viommu") == 0) {
			if (i + 1 >= argc) {
				g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
						    "check: --viommu needs a value (intel-iommu,aw-bits=48 or virtio-iommu)");
				return FALSE;
			}
			spec = argv[++i];
		} else {
			g_ptr_array_add(rest, argv[i]);
		}
	}
	if (!hiodctl_parse_device_args("check", rest->len, (gchar **)rest->pdata, &name, &kind, error))
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
	verdict = hiod_pci_topology_check_device(topo, device, kind, error);
	if (verdict == NULL)
		return FALSE;

	json_builder_set_member_name(out, "device");
	json_builder_add_string_value(out, hiod_vfio_device_get_name(device));
	json_builder_set_member_name(out, "viommu_spec");
	json_builder_add_string_value(out, spec);
	json_builder_set_member_name(out, "viommu_flags");
	json_builder_add_int_value(out, (gint64)hiod_viommu_get_viommu_flags(viommu));
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
	const gchar *backend = NULL, *spec = NULL, *user_arg = NULL, *memory = NULL;
	HiodBackendKind kind = HIOD_BACKEND_KIND_AUTO;
	gboolean print = FALSE;
	gchar **vmm = NULL;
	guint64 guest = 0, memlock;

	for (gint i = 0; i < argc; i++) {
		const gchar *opts[] = {"--backend", "--viommu", "--user", "--memory"};
		const gchar **vals[] = {&backend, &spec, &user_arg, &memory};
		gboolean taken = FALSE;
		if (g_strcmp0(argv[i], "--") == 0) {
			vmm = argv + i + 1;
			break;
		}
		if (g_strcmp0(argv[i], "--print") == 0)
			taken = print = TRUE;
		for (guint o = 0; !taken && o < G_N_ELEMENTS(opts); o++) {
			gsize n = strlen(opts[o]);
			if (strncmp(argv[i], opts[o], n) == 0 && argv[i][n] == '=') {
				*vals[o] = argv[i] + n + 1;
			} else if (g_strcmp0(argv[i], opts[o]) == 0) {
				if (i + 1 >= argc) {
					g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
						    "%s needs a value", opts[o]);
					return FALSE;
				}
				*vals[o] = argv[++i];
			} else {
				continue;
			}
			taken = TRUE;
		}
		if (taken)
			continue;
		if (argv[i][0] == '-') {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "unexpected option '%s' (the VMM's own arguments go after --)",
				    argv[i]);
			return FALSE;
		}
		g_ptr_array_add(devices, argv[i]);
	}
	g_ptr_array_add(devices, NULL);
	if (vmm == NULL || vmm[0] == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "launch needs the VMM's command line after -- "
				    "(hiodctl launch 0000:00:04.0 --user qemu -- qemu-system-x86_64 -m 1G ...)");
		return FALSE;
	}
	if (backend != NULL && !hiod_backend_kind_from_string(backend, &kind, error))
		return FALSE;
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

/* the table ----------------------------------------------------------------- */

static const HiodctlCommand hiodctl_commands[] = {
    {"list", "", "list PCI devices with their IOMMU groups and VFIO nodes", hiodctl_list,
     hiodctl_render_list},
    {"info", "DEVICE [--backend KIND]",
     "attach a device and show its host IOMMU device, container and IOMMU limits", hiodctl_info, NULL},
    {"dma-test", "DEVICE [--backend KIND]",
     "edu devices: map buffers, DMA RAM -> device -> RAM through the IOMMU, compare", hiodctl_dma_test, NULL},
    {"check", "DEVICE --viommu SPEC [--backend KIND]",
     "would a vIOMMU accept the device on this host? reasons and settings that work", hiodctl_check,
     hiodctl_render_check},
    {"launch", "DEVICE... [--backend KIND] [--viommu SPEC] [--user USER] [--memory SIZE] [--print] -- VMM ARGS...",
     "check devices, open them, drop privilege and exec the VMM with their fds and arguments", hiodctl_launch,
     hiodctl_render_launch},
    {"bind", "DEVICE", "bind a PCI device to vfio-pci (driver_override; needs root)", hiodctl_bind, NULL},
    {"unbind", "DEVICE", "unbind a PCI device from vfio-pci and clear driver_override", hiodctl_unbind, NULL},
    {"version", "", "show the version and the backends built in", hiodctl_version, NULL},
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

static gint
hiodctl_exit_code(const GError *error)
{
	if (error == NULL)
		return 0;
	if (error->domain != HIOD_ERROR || error->code == HIOD_ERROR_FAILED)
		return 1;
	return error->code + 2; /* 3 not-supported, 4 not-found, ... (see hiodctl(1)) */
}

static gint
hiodctl_fail(HiodctlCtx *c, const gchar *command, GError *error)
{
	if (c->json) {
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

static gchar *
hiodctl_usage(void)
{
	GString *s = g_string_new("Usage: hiodctl [--json] [--verbose] COMMAND [ARGS]\n\nCommands:\n");
	for (guint i = 0; i < G_N_ELEMENTS(hiodctl_commands); i++) {
		g_autofree gchar *left = g_strdup_printf("%s %s", hiodctl_commands[i].name,
							 hiodctl_commands[i].args);
		g_string_append_printf(s, "  %-32s %s\n", left, hiodctl_commands[i].summary);
	}
	g_string_append(s, "\nOptions:\n"
			   "  --json                           print one JSON document (errors too)\n"
			   "  --verbose                        trace every kernel call on stderr\n"
			   "  --sysfs-root DIR, --dev-root DIR read DIR as /sys, /dev (a snapshot)\n"
			   "  --help                           show this help\n");
	return g_string_free(s, FALSE);
}

int
main(int argc, char **argv)
{
	HiodctlCtx c = {0};
	const HiodctlCommand *cmd = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) root = NULL;
	gint first = 1;
	const gchar *sysfs_root = NULL, *dev_root = NULL;

	setlocale(LC_ALL, "");
	/* options may come before or after the command */
	for (gint i = 1; i < argc; i++) {
		const gchar *root_opts[] = {"--sysfs-root", "--dev-root"};
		const gchar **root_vals[] = {&sysfs_root, &dev_root};
		gboolean taken = FALSE;
		if (g_strcmp0(argv[i], "--") == 0)
			break; /* the rest belongs to a program hiodctl runs (launch) */
		for (guint o = 0; o < G_N_ELEMENTS(root_opts); o++) {
			gsize n = strlen(root_opts[o]);
			if (strncmp(argv[i], root_opts[o], n) == 0 && argv[i][n] == '=') {
				*root_vals[o] = argv[i] + n + 1;
			} else if (g_strcmp0(argv[i], root_opts[o]) == 0 && i + 1 < argc) {
				*root_vals[o] = argv[i + 1];
				argv[i++] = NULL;
			} else {
				continue;
			}
			taken = TRUE;
		}
		if (taken) {
			argv[i] = NULL;
			continue;
		}
		if (g_strcmp0(argv[i], "--json") == 0) {
			c.json = TRUE;
		} else if (g_strcmp0(argv[i], "--verbose") == 0 || g_strcmp0(argv[i], "-v") == 0) {
			c.verbose = TRUE;
		} else if (g_strcmp0(argv[i], "--help") == 0 || g_strcmp0(argv[i], "-h") == 0) {
			g_autofree gchar *usage = hiodctl_usage();
			g_print("%s", usage);
			return 0;
		} else {
			continue;
		}
		argv[i] = NULL; /* consumed */
	}
	/* compact argv */
	{
		gint n = 1;
		for (gint i = 1; i < argc; i++)
			if (argv[i] != NULL)
				argv[n++] = argv[i];
		argc = n;
		argv[argc] = NULL;
	}
	if (c.verbose)
		g_setenv("G_MESSAGES_DEBUG", "hiod", TRUE);
	if (argc < 2) {
		g_autofree gchar *usage = hiodctl_usage();
		g_printerr("%s", usage);
		return 2;
	}
	for (guint i = 0; i < G_N_ELEMENTS(hiodctl_commands); i++) {
		if (g_strcmp0(argv[first], hiodctl_commands[i].name) == 0)
			cmd = &hiodctl_commands[i];
	}
	if (cmd == NULL) {
		g_autofree gchar *usage = hiodctl_usage();
		g_set_error(&error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "unknown command '%s'", argv[first]);
		if (!c.json)
			g_printerr("%s", usage);
		hiodctl_fail(&c, argv[first], error);
		return 2;
	}

	/* the roots come from the command line only, never from the environment */
	c.ctx = hiod_context_new_with_roots(sysfs_root, dev_root);
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "schema_version");
	json_builder_add_int_value(b, HIODCTL_SCHEMA_VERSION);
	json_builder_set_member_name(b, "command");
	json_builder_add_string_value(b, cmd->name);
	if (!cmd->func(&c, argc - first - 1, argv + first + 1, b, &error)) {
		gint rc = hiodctl_fail(&c, cmd->name, error);
		g_clear_object(&c.keep);
		g_object_unref(c.ctx);
		return rc;
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	if (c.quiet) {
		/* nothing to print */
	} else if (c.json) {
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
		c.json = FALSE; /* a document went out already, or the VMM's stdout is not ours */
		hiodctl_fail(&c, cmd->name, error);
		return errsv == ENOENT ? 127 : 126;
	}
	g_object_unref(c.ctx);
	return c.rc;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vIOMMU specs ("intel-iommu,aw-bits=48,x-flts=on", "virtio-iommu"): the one
 * place that maps a model name to a reference policy class, so the interface
 * (hiod-viommu.c) knows none of its implementations. A new policy: its own
 * files, and one line in hiod_viommu_models[] below.
 *
 * Threads: hiod_viommu_new_from_spec() is safe from any thread. */
#include "config.h"

#include "hiod-error.h"
#include "hiod-viommu.h"
#include "hiod-smmuv3-viommu.h"
#include "hiod-virtio-viommu.h"
#include "hiod-vtd-viommu.h"

/* One line a model: its QEMU device name and the policy class. */
static const struct {
	const gchar *model;
	GType (*get_type)(void);
} hiod_viommu_models[] = {
    {"intel-iommu", hiod_vtd_viommu_get_type},
    {"virtio-iommu", hiod_virtio_viommu_get_type},
    {"virtio-iommu-pci", hiod_virtio_viommu_get_type},
    {"arm-smmuv3", hiod_smmuv3_viommu_get_type},
};

static GType
hiod_viommu_model_type(const gchar *model)
{
	for (gsize i = 0; i < G_N_ELEMENTS(hiod_viommu_models); i++)
		if (g_strcmp0(model, hiod_viommu_models[i].model) == 0)
			return hiod_viommu_models[i].get_type();
	return G_TYPE_INVALID;
}

static gboolean
hiod_viommu_parse_value(GParamSpec *pspec, const gchar *text, GValue *value, GError **error)
{
	GType t = G_PARAM_SPEC_VALUE_TYPE(pspec);
	g_value_init(value, t);
	if (t == G_TYPE_BOOLEAN) {
		if (g_strv_contains((const gchar *[]){"on", "true", "yes", "1", NULL}, text))
			g_value_set_boolean(value, TRUE);
		else if (g_strv_contains((const gchar *[]){"off", "false", "no", "0", NULL}, text))
			g_value_set_boolean(value, FALSE);
		else
			goto bad;
		return TRUE;
	}
	if (G_TYPE_IS_ENUM(t)) {
		g_autoptr(GEnumClass) klass = g_type_class_ref(t);
		GEnumValue *ev = g_enum_get_value_by_nick(klass, text);
		if (ev == NULL) {
			g_autoptr(GString) nicks = g_string_new(NULL);
			for (guint i = 0; i < klass->n_values; i++)
				g_string_append_printf(nicks, "%s%s", i ? ", " : "", klass->values[i].value_nick);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "bad value '%s' for %s (one of %s)", text, g_param_spec_get_name(pspec),
				    nicks->str);
			return FALSE;
		}
		g_value_set_enum(value, ev->value);
		return TRUE;
	}
	if (t == G_TYPE_UINT || t == G_TYPE_UINT64) {
		guint64 v = 0;
		guint64 min = 0;
		guint64 max = G_MAXUINT64;
		const gchar *digits = text;
		guint base = 10;
		if (t == G_TYPE_UINT) {
			min = G_PARAM_SPEC_UINT(pspec)->minimum;
			max = G_PARAM_SPEC_UINT(pspec)->maximum;
		} else {
			min = G_PARAM_SPEC_UINT64(pspec)->minimum;
			max = G_PARAM_SPEC_UINT64(pspec)->maximum;
		}
		/* the whole text, full width: no sign, no space, no junk, no wrap */
		if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
			digits = text + 2;
			base = 16;
		}
		if (!g_ascii_string_to_unsigned(digits, base, 0, G_MAXUINT64, &v, NULL)) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "bad value '%s' for %s: not an unsigned number (decimal, or hex "
				    "with 0x)",
				    text, g_param_spec_get_name(pspec));
			return FALSE;
		}
		if (v < min || v > max) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "bad value '%s' for %s: out of range %" G_GUINT64_FORMAT
				    "..%" G_GUINT64_FORMAT,
				    text, g_param_spec_get_name(pspec), min, max);
			return FALSE;
		}
		if (t == G_TYPE_UINT)
			g_value_set_uint(value, (guint)v);
		else
			g_value_set_uint64(value, v);
		return TRUE;
	}
bad:
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT, "bad value '%s' for %s", text,
		    g_param_spec_get_name(pspec));
	return FALSE;
}

/**
 * hiod_viommu_new_from_spec:
 * @spec: a model and its settings, QEMU style: "intel-iommu,aw-bits=48,x-flts=on",
 *   "virtio-iommu"
 * @error: return location for a #GError
 *
 * Makes one of the reference vIOMMU policies (#HiodVtdViommu for
 * "intel-iommu", #HiodVirtioViommu for "virtio-iommu", #HiodSmmuv3Viommu
 * for "arm-smmuv3") with the properties that @spec sets. Booleans take
 * on/off, numbers decimal or 0x hex, enumerations their nicks (auto, on, off).
 *
 * Returns: (transfer full) (nullable): the vIOMMU, or %NULL with
 *   %HIOD_ERROR_INVALID_ARGUMENT
 *
 * Since: 0.1
 */
HiodViommu *
hiod_viommu_new_from_spec(const gchar *spec, GError **error)
{
	g_auto(GStrv) parts = NULL;
	g_autoptr(GObject) obj = NULL;
	GType type;

	g_return_val_if_fail(spec != NULL, NULL);
	parts = g_strsplit(spec, ",", -1);
	type = hiod_viommu_model_type(parts[0]);
	if (type == G_TYPE_INVALID) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "unknown vIOMMU model '%s' (known: intel-iommu, virtio-iommu, arm-smmuv3)",
			    parts[0] != NULL ? parts[0] : "");
		return NULL;
	}
	obj = g_object_new(type, NULL);
	for (guint i = 1; parts[i] != NULL; i++) {
		g_auto(GValue) value = G_VALUE_INIT;
		g_auto(GStrv) kv = g_strsplit(parts[i], "=", 2);
		GParamSpec *pspec;
		if (kv[0] == NULL || *kv[0] == '\0')
			continue;
		pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(obj), kv[0]);
		if (pspec == NULL || (pspec->flags & G_PARAM_WRITABLE) == 0) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "%s has no setting '%s'", parts[0], kv[0]);
			return NULL;
		}
		if (kv[1] == NULL) {
			if (G_PARAM_SPEC_VALUE_TYPE(pspec) != G_TYPE_BOOLEAN) {
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
					    "%s: '%s' needs a value", parts[0], kv[0]);
				return NULL;
			}
			g_value_init(&value, G_TYPE_BOOLEAN);
			g_value_set_boolean(&value, TRUE);
		} else if (!hiod_viommu_parse_value(pspec, kv[1], &value, error)) {
			g_prefix_error(error, "%s: ", parts[0]);
			return NULL;
		}
		g_object_set_property(obj, kv[0], &value);
	}
	return HIOD_VIOMMU(g_steal_pointer(&obj));
}

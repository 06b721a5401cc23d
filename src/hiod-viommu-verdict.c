/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "hiod-error.h"
#include "hiod-iova-range.h"
#include "hiod-json-private.h"
#include "hiod-viommu-verdict.h"

struct _HiodViommuVerdict {
	gint refcount;
	gchar *viommu;
	GPtrArray *reasons;	    /* gchar* */
	GPtrArray *suggestions;	    /* gchar*, pairs: setting, value */
	GPtrArray *reserved_regions; /* HiodIovaRange*, nullable */
	guint64 page_size_mask;
};

G_DEFINE_BOXED_TYPE(HiodViommuVerdict, hiod_viommu_verdict, hiod_viommu_verdict_ref,
		    hiod_viommu_verdict_unref)

/**
 * hiod_viommu_verdict_new:
 * @viommu: the policy's name ("intel-iommu", "virtio-iommu")
 *
 * A compatible verdict with no reason yet.
 *
 * Returns: (transfer full): a new #HiodViommuVerdict
 *
 * Since: 0.1
 */
HiodViommuVerdict *
hiod_viommu_verdict_new(const gchar *viommu)
{
	HiodViommuVerdict *self = g_new0(HiodViommuVerdict, 1);
	self->refcount = 1;
	self->viommu = g_strdup(viommu);
	self->reasons = g_ptr_array_new_with_free_func(g_free);
	self->suggestions = g_ptr_array_new_with_free_func(g_free);
	return self;
}

/**
 * hiod_viommu_verdict_ref:
 * @self: a #HiodViommuVerdict
 *
 * Returns @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
HiodViommuVerdict *
hiod_viommu_verdict_ref(HiodViommuVerdict *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_atomic_int_inc(&self->refcount);
	return self;
}

/**
 * hiod_viommu_verdict_unref:
 * @self: (transfer full): a #HiodViommuVerdict
 *
 * Drops a reference; the verdict is freed with the last one.
 *
 * Since: 0.1
 */
void
hiod_viommu_verdict_unref(HiodViommuVerdict *self)
{
	g_return_if_fail(self != NULL);
	if (!g_atomic_int_dec_and_test(&self->refcount))
		return;
	g_free(self->viommu);
	g_ptr_array_unref(self->reasons);
	g_ptr_array_unref(self->suggestions);
	g_clear_pointer(&self->reserved_regions, g_ptr_array_unref);
	g_free(self);
}

/**
 * hiod_viommu_verdict_get_viommu:
 * @self: a #HiodViommuVerdict
 *
 * Gets the name of the policy that gave the verdict.
 *
 * Returns: the name of the policy that gave the verdict
 *
 * Since: 0.1
 */
const gchar *
hiod_viommu_verdict_get_viommu(HiodViommuVerdict *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	return self->viommu;
}

/**
 * hiod_viommu_verdict_is_compatible:
 * @self: a #HiodViommuVerdict
 *
 * Tells whether %TRUE when the policy gave no reason to refuse.
 *
 * Returns: %TRUE when the policy gave no reason to refuse
 *
 * Since: 0.1
 */
gboolean
hiod_viommu_verdict_is_compatible(HiodViommuVerdict *self)
{
	g_return_val_if_fail(self != NULL, FALSE);
	return self->reasons->len == 0;
}

/**
 * hiod_viommu_verdict_get_reasons:
 * @self: a #HiodViommuVerdict
 *
 * Gets every reason to refuse, in.
 *
 * Returns: (transfer none) (element-type utf8): every reason to refuse, in
 *   the order the checks ran
 *
 * Since: 0.1
 */
GPtrArray *
hiod_viommu_verdict_get_reasons(HiodViommuVerdict *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	return self->reasons;
}

/**
 * hiod_viommu_verdict_get_reasons_text:
 * @self: a #HiodViommuVerdict
 *
 * Gets the reasons joined with "; " (empty when compatible).
 *
 * Returns: (transfer full): the reasons joined with "; " (empty when compatible)
 *
 * Since: 0.1
 */
gchar *
hiod_viommu_verdict_get_reasons_text(HiodViommuVerdict *self)
{
	GString *s;
	g_return_val_if_fail(self != NULL, NULL);
	s = g_string_new(NULL);
	for (guint i = 0; i < self->reasons->len; i++) {
		if (i > 0)
			g_string_append(s, "; ");
		g_string_append(s, g_ptr_array_index(self->reasons, i));
	}
	return g_string_free(s, FALSE);
}

/**
 * hiod_viommu_verdict_has_reason:
 * @self: a #HiodViommuVerdict
 * @substring: text to look for
 *
 * Tells whether a reason contains @substring.
 *
 * Returns: whether a reason contains @substring
 *
 * Since: 0.1
 */
gboolean
hiod_viommu_verdict_has_reason(HiodViommuVerdict *self, const gchar *substring)
{
	g_return_val_if_fail(self != NULL, FALSE);
	for (guint i = 0; i < self->reasons->len; i++)
		if (strstr(g_ptr_array_index(self->reasons, i), substring) != NULL)
			return TRUE;
	return FALSE;
}

/**
 * hiod_viommu_verdict_get_suggestion:
 * @self: a #HiodViommuVerdict
 * @setting: a vIOMMU setting ("aw-bits", "x-flts")
 *
 * Gets the value of @setting that would pass, if the policy.
 *
 * Returns: (nullable): the value of @setting that would pass, if the policy
 *   suggested one
 *
 * Since: 0.1
 */
const gchar *
hiod_viommu_verdict_get_suggestion(HiodViommuVerdict *self, const gchar *setting)
{
	g_return_val_if_fail(self != NULL, NULL);
	for (guint i = 0; i + 1 < self->suggestions->len; i += 2)
		if (g_strcmp0(g_ptr_array_index(self->suggestions, i), setting) == 0)
			return g_ptr_array_index(self->suggestions, i + 1);
	return NULL;
}

/**
 * hiod_viommu_verdict_get_reserved_regions:
 * @self: a #HiodViommuVerdict
 *
 * Gets the.
 *
 * Returns: (transfer none) (nullable) (element-type HiodIovaRange): the
 *   regions the vIOMMU would report reserved for the device
 *
 * Since: 0.1
 */
GPtrArray *
hiod_viommu_verdict_get_reserved_regions(HiodViommuVerdict *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	return self->reserved_regions;
}

/**
 * hiod_viommu_verdict_get_page_size_mask:
 * @self: a #HiodViommuVerdict
 *
 * Gets the page-size mask the vIOMMU would offer the guest (0: not part of.
 *
 * Returns: the page-size mask the vIOMMU would offer the guest (0: not part of
 *   this policy)
 *
 * Since: 0.1
 */
guint64
hiod_viommu_verdict_get_page_size_mask(HiodViommuVerdict *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->page_size_mask;
}

/**
 * hiod_viommu_verdict_add_reason:
 * @self: a #HiodViommuVerdict
 * @format: printf format of one reason
 * @...: arguments
 *
 * For policies: records one reason to refuse.
 *
 * Since: 0.1
 */
void
hiod_viommu_verdict_add_reason(HiodViommuVerdict *self, const gchar *format, ...)
{
	va_list ap;
	g_return_if_fail(self != NULL);
	va_start(ap, format);
	g_ptr_array_add(self->reasons, g_strdup_vprintf(format, ap));
	va_end(ap);
}

/**
 * hiod_viommu_verdict_suggest:
 * @self: a #HiodViommuVerdict
 * @setting: a vIOMMU setting
 * @value: the value that would pass
 *
 * For policies: records a setting that would make the verdict compatible
 * (replaces an earlier suggestion for the same setting).
 *
 * Since: 0.1
 */
void
hiod_viommu_verdict_suggest(HiodViommuVerdict *self, const gchar *setting, const gchar *value)
{
	g_return_if_fail(self != NULL && setting != NULL && value != NULL);
	for (guint i = 0; i + 1 < self->suggestions->len; i += 2) {
		if (g_strcmp0(g_ptr_array_index(self->suggestions, i), setting) == 0) {
			g_free(self->suggestions->pdata[i + 1]);
			self->suggestions->pdata[i + 1] = g_strdup(value);
			return;
		}
	}
	g_ptr_array_add(self->suggestions, g_strdup(setting));
	g_ptr_array_add(self->suggestions, g_strdup(value));
}

/**
 * hiod_viommu_verdict_set_reserved_regions:
 * @self: a #HiodViommuVerdict
 * @regions: (element-type HiodIovaRange): reserved regions (copied)
 *
 * For vIOMMU policies: records the reserved regions the vIOMMU would report for the device.
 *
 * Since: 0.1
 */
void
hiod_viommu_verdict_set_reserved_regions(HiodViommuVerdict *self, GPtrArray *regions)
{
	g_return_if_fail(self != NULL);
	g_clear_pointer(&self->reserved_regions, g_ptr_array_unref);
	if (regions != NULL)
		self->reserved_regions = hiod_iova_ranges_copy(regions);
}

/**
 * hiod_viommu_verdict_set_page_size_mask:
 * @self: a #HiodViommuVerdict
 * @mask: the page-size mask the vIOMMU would offer
 *
 * For vIOMMU policies: records the page-size mask the vIOMMU would offer the guest.
 *
 * Since: 0.1
 */
void
hiod_viommu_verdict_set_page_size_mask(HiodViommuVerdict *self, guint64 mask)
{
	g_return_if_fail(self != NULL);
	self->page_size_mask = mask;
}

/**
 * hiod_viommu_verdict_to_error:
 * @self: a #HiodViommuVerdict
 * @error: return location for a #GError
 *
 * Turns a refusal into %HIOD_ERROR_INCOMPATIBLE carrying every reason.
 *
 * Returns: %TRUE when compatible
 *
 * Since: 0.1
 */
gboolean
hiod_viommu_verdict_to_error(HiodViommuVerdict *self, GError **error)
{
	g_autofree gchar *text = NULL;
	g_return_val_if_fail(self != NULL, FALSE);
	if (self->reasons->len == 0)
		return TRUE;
	text = hiod_viommu_verdict_get_reasons_text(self);
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE, "%s refuses the device: %s",
		    self->viommu, text);
	return FALSE;
}

/**
 * hiod_viommu_verdict_to_json:
 * @self: a #HiodViommuVerdict
 * @builder: a #JsonBuilder where a value is expected
 *
 * Adds the verdict as an object: viommu, compatible, reasons (array of
 * strings), suggestions (object setting -> value), and when the policy set
 * them reserved_regions (array of {start, last}) and page_size_mask.
 *
 * Since: 0.1
 */
void
hiod_viommu_verdict_to_json(HiodViommuVerdict *self, JsonBuilder *builder)
{
	g_return_if_fail(self != NULL && JSON_IS_BUILDER(builder));
	json_builder_begin_object(builder);
	hiod_json_add_string(builder, "viommu", self->viommu);
	hiod_json_add_bool(builder, "compatible", self->reasons->len == 0);
	json_builder_set_member_name(builder, "reasons");
	json_builder_begin_array(builder);
	for (guint i = 0; i < self->reasons->len; i++)
		json_builder_add_string_value(builder, g_ptr_array_index(self->reasons, i));
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "suggestions");
	json_builder_begin_object(builder);
	for (guint i = 0; i + 1 < self->suggestions->len; i += 2)
		hiod_json_add_string(builder, g_ptr_array_index(self->suggestions, i),
				     g_ptr_array_index(self->suggestions, i + 1));
	json_builder_end_object(builder);
	if (self->reserved_regions != NULL) {
		json_builder_set_member_name(builder, "reserved_regions");
		json_builder_begin_array(builder);
		for (guint i = 0; i < self->reserved_regions->len; i++)
			hiod_iova_range_to_json(g_ptr_array_index(self->reserved_regions, i), builder);
		json_builder_end_array(builder);
	}
	if (self->page_size_mask != 0)
		hiod_json_add_hex(builder, "page_size_mask", self->page_size_mask);
	json_builder_end_object(builder);
}

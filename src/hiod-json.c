/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-json-private.h"

void
hiod_json_add_string(JsonBuilder *b, const gchar *key, const gchar *value)
{
	json_builder_set_member_name(b, key);
	if (value == NULL)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, value);
}

void
hiod_json_add_int(JsonBuilder *b, const gchar *key, gint64 value)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, value);
}

void
hiod_json_add_bool(JsonBuilder *b, const gchar *key, gboolean value)
{
	json_builder_set_member_name(b, key);
	json_builder_add_boolean_value(b, value);
}

void
hiod_json_add_hex(JsonBuilder *b, const gchar *key, guint64 value)
{
	g_autofree gchar *str = g_strdup_printf("0x%" G_GINT64_MODIFIER "x", value);
	hiod_json_add_string(b, key, str);
}

void
hiod_json_add_enum(JsonBuilder *b, const gchar *key, GType type, gint value)
{
	GEnumClass *klass = g_type_class_ref(type);
	GEnumValue *v = g_enum_get_value(klass, value);
	hiod_json_add_string(b, key, v != NULL ? v->value_nick : "unknown");
	g_type_class_unref(klass);
}

void
hiod_json_add_flags(JsonBuilder *b, const gchar *key, GType type, guint value)
{
	GFlagsClass *klass = g_type_class_ref(type);
	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	for (guint i = 0; i < klass->n_values; i++) {
		GFlagsValue *v = &klass->values[i];
		if (v->value != 0 && (value & v->value) == v->value)
			json_builder_add_string_value(b, v->value_nick);
	}
	json_builder_end_array(b);
	g_type_class_unref(klass);
}

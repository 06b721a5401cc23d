/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers so every object serialises its members the same way. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void hiod_json_add_string(JsonBuilder *b, const gchar *key, const gchar *value);
void hiod_json_add_int(JsonBuilder *b, const gchar *key, gint64 value);
void hiod_json_add_bool(JsonBuilder *b, const gchar *key, gboolean value);
/* "0x..." string: u64 values do not survive JSON numbers */
void hiod_json_add_hex(JsonBuilder *b, const gchar *key, guint64 value);
void hiod_json_add_enum(JsonBuilder *b, const gchar *key, GType type, gint value);
/* an array of the nicks of the set flags */
void hiod_json_add_flags(JsonBuilder *b, const gchar *key, GType type, guint value);

G_END_DECLS

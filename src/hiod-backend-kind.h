/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib.h>
#include "hiod-container.h"
#include "hiod-version.h"

G_BEGIN_DECLS

HIOD_AVAILABLE_IN_0_1
gboolean hiod_backend_kind_is_built(HiodBackendKind kind);

G_END_DECLS

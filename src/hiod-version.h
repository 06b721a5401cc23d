/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib.h>

/**
 * HIOD_EXPORT:
 *
 * Marks a symbol as part of libhiod's ABI. Everything else is hidden.
 */
#if defined(HIOD_COMPILATION) && defined(__GNUC__)
#define HIOD_EXPORT __attribute__((visibility("default"))) extern
#else
#define HIOD_EXPORT extern
#endif

/**
 * HIOD_AVAILABLE_IN_0_1:
 *
 * Marks a symbol that appeared in libhiod 0.1 (version node HIOD_0.1).
 */
#define HIOD_AVAILABLE_IN_0_1 HIOD_EXPORT

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(HIOD_INSIDE) && !defined(HIOD_COMPILATION)
#error "Only <hiod.h> can be included directly."
#endif

#include <glib.h>
#include "hiod-version.h"

G_BEGIN_DECLS

/**
 * HIOD_ERROR:
 *
 * The error domain of every #GError that libhiod returns.
 *
 * Since: 0.1
 */
#define HIOD_ERROR (hiod_error_quark())

/**
 * HiodError:
 * @HIOD_ERROR_FAILED: a failure with no more specific code
 * @HIOD_ERROR_NOT_SUPPORTED: the host, the kernel or this object does not offer the feature
 * @HIOD_ERROR_NOT_FOUND: the device, node, object or range does not exist
 * @HIOD_ERROR_PERMISSION_DENIED: the caller may not do this (file mode, capability, MSI isolation)
 * @HIOD_ERROR_BUSY: the resource is in use by someone else
 * @HIOD_ERROR_INVALID_ARGUMENT: an argument is malformed, unaligned or out of bounds
 * @HIOD_ERROR_INCOMPATIBLE: the host cannot satisfy what the caller (or a vIOMMU) requires
 * @HIOD_ERROR_EXISTS: the object or mapping exists already (e.g. an overlapping map)
 * @HIOD_ERROR_NO_SPACE: a limit was reached (mappings, memory, windows)
 * @HIOD_ERROR_OUT_OF_RANGE: an IOVA lies outside the usable IOVA ranges
 * @HIOD_ERROR_INVALID_STATE: the object is not in a state that allows the call
 * @HIOD_ERROR_TIMED_OUT: the device did not answer in time
 * @HIOD_ERROR_IO: an I/O error talking to the device
 *
 * Error codes of the %HIOD_ERROR domain. Each code is something a caller can act
 * on; the message keeps the kernel's words and says what and why.
 *
 * Since: 0.1
 */
typedef enum {
	HIOD_ERROR_FAILED,
	HIOD_ERROR_NOT_SUPPORTED,
	HIOD_ERROR_NOT_FOUND,
	HIOD_ERROR_PERMISSION_DENIED,
	HIOD_ERROR_BUSY,
	HIOD_ERROR_INVALID_ARGUMENT,
	HIOD_ERROR_INCOMPATIBLE,
	HIOD_ERROR_EXISTS,
	HIOD_ERROR_NO_SPACE,
	HIOD_ERROR_OUT_OF_RANGE,
	HIOD_ERROR_INVALID_STATE,
	HIOD_ERROR_TIMED_OUT,
	HIOD_ERROR_IO,
} HiodError;

HIOD_AVAILABLE_IN_0_1
GQuark hiod_error_quark(void);

HIOD_AVAILABLE_IN_0_1
HiodError hiod_error_from_errno(int errnum);

HIOD_AVAILABLE_IN_0_1
const gchar *hiod_error_to_nick(HiodError code);

G_END_DECLS

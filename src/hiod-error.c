/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "hiod-error.h"
#include "hiod-enum-types.h"

/**
 * hiod_error_quark:
 *
 * Gets the #GQuark of the %HIOD_ERROR domain.
 *
 * Returns: the error domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK(hiod-error-quark, hiod_error)

/**
 * hiod_error_from_errno:
 * @errnum: an errno value as returned by the kernel
 *
 * Maps a kernel errno to the #HiodError code a caller can act on. The
 * kernel's own words stay in the message (see the chokepoint), this only
 * chooses the code.
 *
 * Returns: a #HiodError
 *
 * Since: 0.1
 */
HiodError
hiod_error_from_errno(int errnum)
{
	switch (errnum) {
	case EOPNOTSUPP:
	case ENOTTY:
	case ENOSYS:
	case EPROTONOSUPPORT:
		return HIOD_ERROR_NOT_SUPPORTED;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return HIOD_ERROR_NOT_FOUND;
	case EPERM:
	case EACCES:
	case EROFS:
		return HIOD_ERROR_PERMISSION_DENIED;
	case EBUSY:
	case EAGAIN:
		return HIOD_ERROR_BUSY;
	case EINVAL:
	case E2BIG:
	case EOVERFLOW:
	case EBADF:
	case EBADFD:
	case EFAULT:
		return HIOD_ERROR_INVALID_ARGUMENT;
	case EEXIST:
	case EADDRINUSE:
		return HIOD_ERROR_EXISTS;
	case ENOSPC:
	case ENOMEM:
	case EMSGSIZE:
	case EMFILE:
	case ENFILE:
		return HIOD_ERROR_NO_SPACE;
	case ETIMEDOUT:
		return HIOD_ERROR_TIMED_OUT;
	case EIO:
		return HIOD_ERROR_IO;
	default:
		return HIOD_ERROR_FAILED;
	}
}

/**
 * hiod_error_to_nick:
 * @code: a #HiodError
 *
 * Returns the stable name of @code ("not-supported", ...), used by hiodctl's JSON output.
 *
 * Returns: (transfer none): the stable name of @code ("not-supported", ...),
 * used by hiodctl's JSON output.
 *
 * Since: 0.1
 */
const gchar *
hiod_error_to_nick(HiodError code)
{
	GEnumClass *klass = g_type_class_ref(HIOD_TYPE_ERROR);
	GEnumValue *value = g_enum_get_value(klass, code);
	const gchar *nick = value != NULL ? value->value_nick : "failed";
	g_type_class_unref(klass);
	return nick;
}

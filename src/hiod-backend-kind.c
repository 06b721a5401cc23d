/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which backends this build of libhiod has: the one answer a program (hiodctl
 * among them) asks, instead of its own copy of the build options.
 */
#include "config.h"

#include "hiod-backend-kind.h"
#include "hiod-features.h"

/**
 * hiod_backend_kind_is_built:
 * @kind: a #HiodBackendKind
 *
 * Whether this build of libhiod has the backend @kind (the meson options
 * legacy_vfio, spapr, iommufd and vdpa; hiod-features.h says the same at
 * compile time). %HIOD_BACKEND_KIND_AUTO is built when a backend it resolves
 * to is (legacy or iommufd; see hiod_backend_kind_resolve()). Built says
 * nothing of the host: whether its kernel offers the backend is known when a
 * container is made.
 *
 * Pure: may be called from any thread.
 *
 * Returns: %TRUE when the backend is compiled in, %FALSE for a backend that is
 * not and for a value that is no #HiodBackendKind
 *
 * Since: 0.1
 */
gboolean
hiod_backend_kind_is_built(HiodBackendKind kind)
{
	switch (kind) {
	case HIOD_BACKEND_KIND_AUTO:
		return HIOD_FEATURE_LEGACY_VFIO || HIOD_FEATURE_IOMMUFD;
	case HIOD_BACKEND_KIND_LEGACY:
		return HIOD_FEATURE_LEGACY_VFIO;
	case HIOD_BACKEND_KIND_SPAPR:
		return HIOD_FEATURE_SPAPR;
	case HIOD_BACKEND_KIND_IOMMUFD:
		return HIOD_FEATURE_IOMMUFD;
	case HIOD_BACKEND_KIND_VDPA:
		return HIOD_FEATURE_VDPA;
	default:
		return FALSE;
	}
}

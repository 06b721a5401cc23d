/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend factory: the one file of the library that names the backend
 * (container) subclasses. The base class (hiod-container.c) knows none of
 * them; everything that picks a class for a HiodBackendKind is here.
 *
 * Adding a backend: its own files (a HiodContainer subclass and its host
 * IOMMU device), its sources in src/meson.build, and one line in
 * hiod_container_factory[] below (with its constructor's adapter when the
 * class's own constructor does not have the HiodContainerFactoryNew shape).
 *
 * Threads: as hiod_container_new(): any thread, for a context no other thread
 * is changing. */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-container.h"
#include "hiod-error.h"
#include "hiod-vfio-device.h"
#include "hiod-viommu-flags.h"
#if HIOD_HAVE_LEGACY_VFIO
#include "hiod-legacy-container.h"
#endif
#if HIOD_HAVE_SPAPR
#include "hiod-spapr-container.h"
#endif
#if HIOD_HAVE_IOMMUFD
#include "hiod-iommufd-container.h"
#endif
#if HIOD_HAVE_VDPA
#include "hiod-vdpa-container.h"
#include "hiod-vdpa-device.h"
#endif

/* Makes an empty container for @device (a HiodVfioDevice, a HiodVdpaDevice
 * or NULL: which ones a kind takes is the constructor's to check). */
typedef HiodContainer *(*HiodContainerFactoryNew)(HiodContext *ctx, GObject *device, GError **error);

#if HIOD_HAVE_LEGACY_VFIO
/* The legacy kind is "the VFIO container", whichever IOMMU type it offers:
 * type1, or sPAPR TCE on hosts that offer only that (as QEMU's legacy
 * container picks its IOMMU type when it opens the container). */
static HiodContainer *
hiod_factory_new_legacy(HiodContext *ctx, GObject *device, GError **error)
{
	gboolean has_type1 = FALSE, has_spapr = FALSE;
	if (!hiod_legacy_container_probe_types(ctx, &has_type1, &has_spapr, error))
		return NULL;
	if (!has_type1 && has_spapr) {
#if HIOD_HAVE_SPAPR
		return hiod_spapr_container_new(ctx, 0);
#else
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "the VFIO container offers only sPAPR TCE, and this build of hiod "
				    "has no sPAPR backend (-Dspapr=enabled)");
		return NULL;
#endif
	}
	if (!has_type1) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "the VFIO container offers neither type1 nor sPAPR TCE");
		return NULL;
	}
	return hiod_legacy_container_new(ctx);
}
#endif

#if HIOD_HAVE_SPAPR
/* An explicit sPAPR request: the sPAPR class, TCE v2 preferred (it asks the
 * kernel at attach, and says so when the container offers no sPAPR TCE). */
static HiodContainer *
hiod_factory_new_spapr(HiodContext *ctx, GObject *device, GError **error)
{
	return hiod_spapr_container_new(ctx, 0);
}
#endif

#if HIOD_HAVE_IOMMUFD
static HiodContainer *
hiod_factory_new_iommufd(HiodContext *ctx, GObject *device, GError **error)
{
	g_autoptr(HiodIommufdBackend) backend = hiod_iommufd_backend_get_default(ctx, error);
	return backend != NULL ? hiod_iommufd_container_new(ctx, backend, error) : NULL;
}
#endif

#if HIOD_HAVE_VDPA
/* A vhost-vdpa container is its vDPA device's IOTLB: it is made from the
 * open HiodVdpaDevice, never from a VFIO device. */
static HiodContainer *
hiod_factory_new_vdpa(HiodContext *ctx, GObject *device, GError **error)
{
	if (device == NULL || !HIOD_IS_VDPA_DEVICE(device)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "a vdpa container maps through a vDPA device's IOTLB, and %s is not one: "
			    "open the device with hiod_vdpa_device_new() and pass it to "
			    "hiod_container_new_for_device()",
			    device != NULL ? G_OBJECT_TYPE_NAME(device) : "no device");
		return NULL;
	}
	if (hiod_vdpa_device_get_context(HIOD_VDPA_DEVICE(device)) != ctx) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "the vDPA device was made with another HiodContext: make the device "
				    "and the container with one context");
		return NULL;
	}
	return hiod_vdpa_container_new(HIOD_VDPA_DEVICE(device), error);
}
#endif

/* One line a backend: its kind and its constructor. */
static const struct {
	HiodBackendKind kind;
	HiodContainerFactoryNew new_container;
} hiod_container_factory[] = {
#if HIOD_HAVE_LEGACY_VFIO
    {HIOD_BACKEND_KIND_LEGACY, hiod_factory_new_legacy},
#endif
#if HIOD_HAVE_SPAPR
    {HIOD_BACKEND_KIND_SPAPR, hiod_factory_new_spapr},
#endif
#if HIOD_HAVE_IOMMUFD
    {HIOD_BACKEND_KIND_IOMMUFD, hiod_factory_new_iommufd},
#endif
#if HIOD_HAVE_VDPA
    {HIOD_BACKEND_KIND_VDPA, hiod_factory_new_vdpa},
#endif
};

/* The meson option that builds each kind, for the error of a build without it. */
static const gchar *
hiod_backend_kind_option(HiodBackendKind kind)
{
	switch (kind) {
	case HIOD_BACKEND_KIND_LEGACY:
		return "-Dlegacy_vfio=enabled";
	case HIOD_BACKEND_KIND_SPAPR:
		return "-Dspapr=enabled";
	case HIOD_BACKEND_KIND_IOMMUFD:
		return "-Diommufd=enabled";
	case HIOD_BACKEND_KIND_VDPA:
		return "-Dvdpa=enabled";
	case HIOD_BACKEND_KIND_AUTO:
	default:
		return NULL;
	}
}

static HiodContainerFactoryNew
hiod_container_factory_lookup(HiodBackendKind kind)
{
	for (gsize i = 0; i < G_N_ELEMENTS(hiod_container_factory); i++)
		if (hiod_container_factory[i].kind == kind)
			return hiod_container_factory[i].new_container;
	return NULL;
}

static gboolean
hiod_container_factory_has(HiodBackendKind kind)
{
	return hiod_container_factory_lookup(kind) != NULL;
}

/**
 * hiod_backend_kind_is_built:
 * @kind: a #HiodBackendKind
 *
 * Whether this build of libhiod has the backend @kind (the meson options
 * legacy_vfio, spapr, iommufd and vdpa; hiod-features.h says the same at
 * compile time): whether the factory has a constructor for it. %HIOD_BACKEND_KIND_AUTO is built when a backend it resolves
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
	if (kind == HIOD_BACKEND_KIND_AUTO)
		return hiod_container_factory_has(HIOD_BACKEND_KIND_LEGACY) ||
		       hiod_container_factory_has(HIOD_BACKEND_KIND_IOMMUFD);
	return hiod_container_factory_has(kind);
}

/**
 * hiod_backend_kind_resolve:
 * @ctx: a #HiodContext
 * @kind: a #HiodBackendKind
 * @device: (nullable): the device to attach, if any
 *
 * Resolves %HIOD_BACKEND_KIND_AUTO: iommufd when /dev/iommu exists, @device
 * has a VFIO cdev and the iommufd backend is compiled in; otherwise legacy.
 * Other kinds are returned as they are.
 *
 * Returns: the backend to use
 *
 * Since: 0.1
 */
HiodBackendKind
hiod_backend_kind_resolve(HiodContext *ctx, HiodBackendKind kind, HiodVfioDevice *device)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), HIOD_BACKEND_KIND_LEGACY);
	if (kind != HIOD_BACKEND_KIND_AUTO)
		return kind;
	if (hiod_container_factory_has(HIOD_BACKEND_KIND_IOMMUFD) && hiod_context_has_iommufd(ctx) &&
	    device != NULL && hiod_vfio_device_get_cdev_path(device) != NULL)
		return HIOD_BACKEND_KIND_IOMMUFD;
	return HIOD_BACKEND_KIND_LEGACY;
}

/* AUTO for any device the factory takes: a vDPA device is its own backend. */
static HiodBackendKind
hiod_container_factory_resolve(HiodContext *ctx, HiodBackendKind kind, GObject *device)
{
#if HIOD_HAVE_VDPA
	if (kind == HIOD_BACKEND_KIND_AUTO && device != NULL && HIOD_IS_VDPA_DEVICE(device))
		return HIOD_BACKEND_KIND_VDPA;
#endif
	return hiod_backend_kind_resolve(
	    ctx, kind, device != NULL && HIOD_IS_VFIO_DEVICE(device) ? HIOD_VFIO_DEVICE(device) : NULL);
}

/**
 * hiod_container_new_for_device:
 * @ctx: a #HiodContext
 * @kind: the backend, or %HIOD_BACKEND_KIND_AUTO
 * @device: (nullable): the device the container is for: a #HiodVfioDevice
 *   that will be attached (decides AUTO), or for %HIOD_BACKEND_KIND_VDPA the
 *   open #HiodVdpaDevice whose IOTLB the container maps through
 * @error: return location for a #GError
 *
 * The backend factory: makes the container of every backend kind this build
 * has. AUTO resolves as in hiod_backend_kind_resolve(), and to
 * %HIOD_BACKEND_KIND_VDPA for a #HiodVdpaDevice. %HIOD_BACKEND_KIND_LEGACY
 * asks the VFIO container which IOMMU types it offers: type1, or the sPAPR
 * backend when only sPAPR TCE is offered; %HIOD_BACKEND_KIND_SPAPR is the
 * sPAPR backend; %HIOD_BACKEND_KIND_IOMMUFD uses the context's default
 * iommufd; %HIOD_BACKEND_KIND_VDPA needs @device to be the #HiodVdpaDevice
 * and returns its container set up (as hiod_vdpa_container_new()). A VFIO
 * container keeps nothing open until a device is attached. A kind this
 * build lacks is %HIOD_ERROR_NOT_SUPPORTED, with the build option to turn
 * it on.
 *
 * Returns: (transfer full): a new #HiodContainer, or %NULL
 *
 * Since: 0.1
 */
HiodContainer *
hiod_container_new_for_device(HiodContext *ctx, HiodBackendKind kind, GObject *device,
			      GError **error)
{
	HiodContainerFactoryNew new_container;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(device == NULL || G_IS_OBJECT(device), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	kind = hiod_container_factory_resolve(ctx, kind, device);
	new_container = hiod_container_factory_lookup(kind);
	if (new_container == NULL) {
		const gchar *option = hiod_backend_kind_option(kind);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "no %s container in this build of hiod%s%s%s", hiod_backend_kind_to_string(kind),
			    option != NULL ? " (" : "", option != NULL ? option : "",
			    option != NULL ? ")" : "");
		return NULL;
	}
	return new_container(ctx, device, error);
}

/**
 * hiod_container_new:
 * @ctx: a #HiodContext
 * @kind: the backend, or %HIOD_BACKEND_KIND_AUTO
 * @device: (nullable): the device that will be attached (decides AUTO)
 * @error: return location for a #GError
 *
 * Makes an empty container of the backend @kind resolves to (see
 * hiod_backend_kind_resolve() and hiod_container_new_for_device()). For
 * the legacy kind the VFIO container is asked which IOMMU types it offers:
 * type1, or the sPAPR backend when only sPAPR TCE is offered; the sPAPR
 * kind is the sPAPR backend. Nothing stays open until a device is attached.
 * A vdpa container is made from its vDPA device, with
 * hiod_container_new_for_device().
 *
 * Returns: (transfer full): a new #HiodContainer, or %NULL
 *
 * Since: 0.1
 */
HiodContainer *
hiod_container_new(HiodContext *ctx, HiodBackendKind kind, HiodVfioDevice *device, GError **error)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(device == NULL || HIOD_IS_VFIO_DEVICE(device), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	return hiod_container_new_for_device(ctx, kind, (GObject *)device, error);
}

static HiodContainer *
hiod_container_new_attached_kind(HiodContext *ctx, HiodBackendKind kind, HiodVfioDevice *device,
				 guint64 viommu_flags, GError **error)
{
	g_autoptr(HiodContainer) c = hiod_container_new(ctx, kind, device, error);
	if (c == NULL)
		return NULL;
	if (!hiod_vfio_device_attach(device, c, viommu_flags, error))
		return NULL;
	return g_steal_pointer(&c);
}

/**
 * hiod_container_new_attached:
 * @ctx: a #HiodContext
 * @kind: the backend, or %HIOD_BACKEND_KIND_AUTO
 * @device: a #HiodVfioDevice that is not attached
 * @viommu_flags: the vIOMMU's flags (HIOD_VIOMMU_FLAG_*), 0 without one
 * @error: return location for a #GError
 *
 * Makes a container of @kind (hiod_container_new()) and attaches @device to
 * it (hiod_vfio_device_attach()). With %HIOD_BACKEND_KIND_AUTO this is the
 * best the host offers for this device: iommufd where it resolves to it, and
 * when the iommufd attach is refused (Linux 6.12 has no iommufd page table
 * for a VT-d with first-stage tables only; /dev/iommu may be closed to the
 * caller while its VFIO group is open), the legacy backend, when it is built
 * and @viommu_flags does not ask for a nesting parent (which only iommufd
 * has). When both refuse, the error names both reasons. An explicit @kind is never
 * changed. On failure nothing is left: no container, the device detached.
 *
 * Returns: (transfer full): the container @device is attached to, or %NULL
 *
 * Since: 0.1
 */
HiodContainer *
hiod_container_new_attached(HiodContext *ctx, HiodBackendKind kind, HiodVfioDevice *device,
			    guint64 viommu_flags, GError **error)
{
	g_autoptr(GError) first = NULL;
	g_autoptr(GError) second = NULL;
	HiodBackendKind resolved;
	HiodContainer *c;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(device), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	resolved = hiod_backend_kind_resolve(ctx, kind, device);
	/* a nesting parent exists only on iommufd: no fallback for a vIOMMU
	 * that wants one (its refusal is the answer) */
	if (kind != HIOD_BACKEND_KIND_AUTO || resolved != HIOD_BACKEND_KIND_IOMMUFD ||
	    !hiod_container_factory_has(HIOD_BACKEND_KIND_LEGACY) ||
	    (viommu_flags & HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT))
		return hiod_container_new_attached_kind(ctx, resolved, device, viommu_flags, error);
	c = hiod_container_new_attached_kind(ctx, HIOD_BACKEND_KIND_IOMMUFD, device, viommu_flags,
					     &first);
	if (c != NULL)
		return c;
	g_debug("%s: iommufd refused (%s); trying the legacy backend", hiod_vfio_device_get_name(device),
		first->message);
	c = hiod_container_new_attached_kind(ctx, HIOD_BACKEND_KIND_LEGACY, device, viommu_flags,
					     &second);
	if (c != NULL)
		return c;
	g_set_error(error, first->domain, first->code,
		    "%s; the legacy backend, tried next, refused too: %s", first->message,
		    second->message);
	return NULL;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-hot-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "hiod-container-private.h"
#include "hiod-context-private.h"
#include "hiod-error.h"
#include "hiod-sysfs-private.h"
#include "hiod-host-iommu-device-legacy-vfio.h"
#include "hiod-json-private.h"
#include "hiod-kernel-private.h"
#include "hiod-legacy-container.h"
#include "hiod-legacy-container-private.h"
#include "hiod-uapi-private.h"
#include "hiod-vfio-device-private.h"

/**
 * HiodLegacyContainer:
 *
 * The legacy VFIO container (QEMU's VFIOContainer with the type1 IOMMU
 * class): one /dev/vfio/vfio fd that the IOMMU groups of the attached devices
 * are set into. Groups of one address space share one container when the
 * kernel allows it (SET_CONTAINER on the existing container first; a group
 * the kernel refuses answers %HIOD_ERROR_INCOMPATIBLE, so the caller makes
 * another container). A second device of a group already in the container
 * reuses the group fd.
 *
 * After the first group is set, setup reads VFIO_IOMMU_GET_INFO and its
 * capability chain: usable IOVA ranges, page sizes, how many mappings the
 * host still allows, and the migration capability (dirty tracking). The
 * kernel narrows the usable ranges (and the page sizes) to what every group
 * of the container allows, so they are read again whenever a group joins or
 * leaves. type1
 * cannot see device writes: a dirty query reports every pinned page dirty,
 * and hiod passes that on as the kernel says it.
 *
 * Threads: as #HiodContainer.
 *
 * Since: 0.1
 */

typedef struct {
	gint id;
	gint fd;
	guint users; /* devices of the group attached through this container */
} HiodLegacyGroup;

typedef struct {
	gint fd; /* /dev/vfio/vfio, -1 while no group is set */
	guint32 iommu_type;
	GPtrArray *groups; /* HiodLegacyGroup */
	gboolean unmap_all;
	guint64 dirty_pgsizes;
	guint64 max_dirty_bitmap_size;
	/* Dirty pages the kernel reported (and cleared) that the query asking for
	 * them did not want: type1 reads whole mappings only, so a window that
	 * cuts one reads more than it returns. They wait here for the next query
	 * or unmap with bitmap that covers them. [start, last] runs, no values. A
	 * leaf lock, taken with the base class's mapping lock held or alone. */
	GMutex dirty_lock;
	HiodIntervalMap *pending_dirty;
	/* Live update (hiod-live-update.c): the kernel state is shared with another
	 * process. Maps update the host address of an existing mapping
	 * (MAP_DMA with FLAG_VADDR), unmaps invalidate it (UNMAP_DMA with
	 * FLAG_VADDR) and groups leave without UNSET_CONTAINER: nothing this
	 * object does changes what the device can reach. */
	gboolean handoff;
	/* adoption: the fds to use instead of opening (container, "group:N", "device:NAME") */
	GHashTable *incoming; /* gchar* -> GINT_TO_POINTER(fd) */
	guint32 incoming_iommu_type;
} HiodLegacyContainerPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(HiodLegacyContainer, hiod_legacy_container, HIOD_TYPE_CONTAINER)
#define GET_PRIVATE(o) ((HiodLegacyContainerPrivate *)hiod_legacy_container_get_instance_private(o))
#define CTX(self) hiod_container_get_context(HIOD_CONTAINER(self))

/**
 * hiod_legacy_container_new:
 * @ctx: a #HiodContext
 *
 * Makes an empty type1 container; nothing is opened until a device is
 * attached. Most callers want hiod_container_new().
 *
 * Returns: (transfer full): a new #HiodLegacyContainer
 *
 * Since: 0.1
 */
HiodContainer *
hiod_legacy_container_new(HiodContext *ctx)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	return g_object_new(HIOD_TYPE_LEGACY_CONTAINER, "context", ctx, NULL);
}

/*
 * hiod_legacy_container_get_fd: (protected, hiod-backend-private.h)
 * @self: a #HiodLegacyContainer
 *
 * For subclasses: the /dev/vfio/vfio fd.
 *
 * Returns: the container fd, -1 while no group is set
 *
 * Since: 0.1
 */
gint
hiod_legacy_container_get_fd(HiodLegacyContainer *self)
{
	g_return_val_if_fail(HIOD_IS_LEGACY_CONTAINER(self), -1);
	return GET_PRIVATE(self)->fd;
}

/**
 * hiod_legacy_container_get_iommu_type:
 * @self: a #HiodLegacyContainer
 *
 * Gets the VFIO IOMMU type set on the container (0 before).
 *
 * Returns: the VFIO IOMMU type set on the container (0 before)
 *
 * Since: 0.1
 */
guint32
hiod_legacy_container_get_iommu_type(HiodLegacyContainer *self)
{
	g_return_val_if_fail(HIOD_IS_LEGACY_CONTAINER(self), 0);
	return GET_PRIVATE(self)->iommu_type;
}

/**
 * hiod_legacy_container_get_group_ids:
 * @self: a #HiodLegacyContainer
 *
 * Gets the IOMMU groups set into the container.
 *
 * Returns: (transfer full) (element-type gint): the IOMMU groups set into the container
 *
 * Since: 0.1
 */
GArray *
hiod_legacy_container_get_group_ids(HiodLegacyContainer *self)
{
	HiodLegacyContainerPrivate *priv;
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint));
	g_return_val_if_fail(HIOD_IS_LEGACY_CONTAINER(self), ids);
	priv = GET_PRIVATE(self);
	for (guint i = 0; i < priv->groups->len; i++) {
		HiodLegacyGroup *g = g_ptr_array_index(priv->groups, i);
		g_array_append_val(ids, g->id);
	}
	return ids;
}

static HiodLegacyGroup *
hiod_legacy_container_find_group(HiodLegacyContainer *self, gint id)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	for (guint i = 0; i < priv->groups->len; i++) {
		HiodLegacyGroup *g = g_ptr_array_index(priv->groups, i);
		if (g->id == id)
			return g;
	}
	return NULL;
}

/*
 * hiod_legacy_container_get_group_fd: (protected, hiod-backend-private.h)
 * @self: a #HiodLegacyContainer
 * @group_id: an IOMMU group number
 *
 * For subclasses: the fd of a group set into the container.
 *
 * Returns: the group fd, -1 when the group is not in the container
 *
 * Since: 0.1
 */
gint
hiod_legacy_container_get_group_fd(HiodLegacyContainer *self, gint group_id)
{
	HiodLegacyGroup *g;
	g_return_val_if_fail(HIOD_IS_LEGACY_CONTAINER(self), -1);
	g = hiod_legacy_container_find_group(self, group_id);
	return g != NULL ? g->fd : -1;
}

static gboolean
hiod_legacy_check_extension_fd(HiodContext *ctx, gint fd, guint32 ext, const gchar *what)
{
	g_autoptr(GError) error = NULL;
	gint rc = hiod_kernel_ioctl_value(ctx, fd, HIOD_IOC(VFIO_CHECK_EXTENSION), ext, &error);
	if (rc < 0)
		g_debug("VFIO_CHECK_EXTENSION(%s): %s", what, error->message);
	return rc > 0;
}

/*
 * hiod_legacy_container_check_extension: (protected, hiod-backend-private.h)
 * @self: a #HiodLegacyContainer with a group set
 * @extension: a VFIO extension number (VFIO_TYPE1v2_IOMMU, VFIO_UNMAP_ALL, ...)
 *
 * Tells whether the container supports @extension (%FALSE without a container fd).
 *
 * Returns: whether the container supports @extension (%FALSE without a container fd)
 *
 * Since: 0.1
 */
gboolean
hiod_legacy_container_check_extension(HiodLegacyContainer *self, guint32 extension)
{
	HiodLegacyContainerPrivate *priv;
	g_return_val_if_fail(HIOD_IS_LEGACY_CONTAINER(self), FALSE);
	priv = GET_PRIVATE(self);
	if (priv->fd < 0)
		return FALSE;
	return hiod_legacy_check_extension_fd(CTX(self), priv->fd, extension, "extension");
}

static gint
hiod_legacy_open_container(HiodContext *ctx, GError **error)
{
	g_autofree gchar *path = hiod_context_build_dev_path(ctx, "vfio", "vfio", NULL);
	gint fd = hiod_kernel_open(ctx, path, O_RDWR, error);
	gint version;
	if (fd < 0) {
		g_prefix_error(error, "the legacy VFIO container: ");
		return -1;
	}
	version = hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_GET_API_VERSION), NULL, 0, error);
	if (version < 0) {
		hiod_kernel_close(ctx, fd);
		return -1;
	}
	if (version != HIOD_VFIO_API_VERSION) {
		hiod_kernel_close(ctx, fd);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s speaks VFIO API version %d, hiod knows version %d", path, version,
			    HIOD_VFIO_API_VERSION);
		return -1;
	}
	return fd;
}

/*
 * hiod_legacy_container_probe_types: (protected, hiod-backend-private.h)
 * @ctx: a #HiodContext
 * @has_type1: (out) (optional): whether type1 (v1 or v2) is offered
 * @has_spapr: (out) (optional): whether sPAPR TCE (v1 or v2) is offered
 * @error: return location for a #GError
 *
 * Opens /dev/vfio/vfio, asks which IOMMU types it offers and closes it again
 * (the backend factory uses it to pick type1 or sPAPR).
 *
 * Returns: %TRUE when the container could be asked
 *
 * Since: 0.1
 */
gboolean
hiod_legacy_container_probe_types(HiodContext *ctx, gboolean *has_type1, gboolean *has_spapr,
				  GError **error)
{
	gint fd;
	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), FALSE);
	fd = hiod_legacy_open_container(ctx, error);
	if (fd < 0)
		return FALSE;
	if (has_type1 != NULL)
		*has_type1 = hiod_legacy_check_extension_fd(ctx, fd, HIOD_VFIO_TYPE1v2_IOMMU, "TYPE1v2") ||
			     hiod_legacy_check_extension_fd(ctx, fd, HIOD_VFIO_TYPE1_IOMMU, "TYPE1");
	if (has_spapr != NULL)
		*has_spapr = hiod_legacy_check_extension_fd(ctx, fd, HIOD_VFIO_SPAPR_TCE_v2_IOMMU, "SPAPR_TCE_v2") ||
			     hiod_legacy_check_extension_fd(ctx, fd, HIOD_VFIO_SPAPR_TCE_IOMMU, "SPAPR_TCE");
	hiod_kernel_close(ctx, fd);
	return TRUE;
}

/* groups ------------------------------------------------------------------------- */

/* "0000:00:04.0 (driver e1000e), 0000:00:04.1 (no driver)" from sysfs */
static gchar *
hiod_legacy_describe_group(HiodContext *ctx, gint group_id)
{
	g_autofree gchar *dir = g_strdup_printf("kernel/iommu_groups/%d/devices", group_id);
	g_autoptr(GPtrArray) names = hiod_sysfs_list(ctx, dir, NULL);
	GString *s = g_string_new(NULL);

	if (names == NULL) {
		g_string_append(s, "(the group's devices are not listed in sysfs)");
		return g_string_free(s, FALSE);
	}
	for (guint i = 0; i < names->len; i++) {
		const gchar *bdf = g_ptr_array_index(names, i);
		g_autofree gchar *link = g_build_filename("bus", "pci", "devices", bdf, "driver", NULL);
		g_autofree gchar *driver = hiod_sysfs_read_link_name(ctx, link, NULL);
		g_string_append_printf(s, "%s%s (%s%s)", i ? ", " : "", bdf,
				       driver != NULL ? "driver " : "no driver",
				       driver != NULL ? driver : "");
	}
	return g_string_free(s, FALSE);
}

static void
hiod_legacy_group_close(HiodLegacyContainer *self, gint fd, gboolean unset)
{
	if (unset && !GET_PRIVATE(self)->handoff) {
		g_autoptr(GError) error = NULL;
		if (hiod_kernel_ioctl(CTX(self), fd, HIOD_IOC(VFIO_GROUP_UNSET_CONTAINER), NULL, 0,
				      &error) < 0)
			g_debug("unsetting the container: %s", error->message);
	}
	hiod_kernel_close(CTX(self), fd);
}

/* Closes the container fd when no group is left in it. */
static void
hiod_legacy_container_maybe_close(HiodLegacyContainer *self)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	if (priv->groups->len > 0 || priv->fd < 0)
		return;
	hiod_kernel_close(CTX(self), priv->fd);
	priv->fd = -1;
	priv->iommu_type = 0;
	priv->unmap_all = FALSE;
}

static void
hiod_legacy_group_remove(HiodLegacyContainer *self, HiodLegacyGroup *g)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	hiod_legacy_group_close(self, g->fd, TRUE);
	g_ptr_array_remove(priv->groups, g);
	hiod_legacy_container_maybe_close(self);
}

static gboolean
hiod_legacy_choose_type1(HiodLegacyContainer *self, guint32 *iommu_type, GError **error)
{
	if (hiod_legacy_container_check_extension(self, HIOD_VFIO_TYPE1v2_IOMMU)) {
		*iommu_type = HIOD_VFIO_TYPE1v2_IOMMU;
		return TRUE;
	}
	if (hiod_legacy_container_check_extension(self, HIOD_VFIO_TYPE1_IOMMU)) {
		*iommu_type = HIOD_VFIO_TYPE1_IOMMU;
		return TRUE;
	}
	g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "the VFIO container offers neither TYPE1v2 nor TYPE1 (on POWER use the sPAPR backend)");
	return FALSE;
}

/* The fd handed over for @key (adoption), -1 when none: the container takes it. */
static gint
hiod_legacy_take_incoming(HiodLegacyContainer *self, const gchar *key)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	gpointer stolen_key = NULL, v;
	if (priv->incoming == NULL ||
	    !g_hash_table_steal_extended(priv->incoming, key, &stolen_key, &v))
		return -1;
	g_free(stolen_key); /* stolen: the table's key destroy function does not run */
	return GPOINTER_TO_INT(v);
}

/* Adoption of a group another process set up: its fd (and the container's)
 * were handed over; the group is in the container and the IOMMU type is set.
 * Only read: GET_STATUS must say so. */
static HiodLegacyGroup *
hiod_legacy_group_adopt(HiodLegacyContainer *self, gint id, gint fd, GError **error)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	struct hiod_vfio_group_status status = {0};
	HiodLegacyGroup *g;

	if (priv->fd < 0) {
		priv->fd = hiod_legacy_take_incoming(self, "container");
		if (priv->fd < 0) {
			hiod_kernel_close(CTX(self), fd);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "IOMMU group %d was handed over without its container fd", id);
			return NULL;
		}
		priv->iommu_type = priv->incoming_iommu_type;
		priv->unmap_all = hiod_legacy_container_check_extension(self, HIOD_VFIO_UNMAP_ALL);
	}
	if (hiod_kernel_ioctl(CTX(self), fd, HIOD_IOC(VFIO_GROUP_GET_STATUS), &status, sizeof(status),
			      error) < 0) {
		g_prefix_error(error, "IOMMU group %d (handed over): ", id);
		hiod_kernel_close(CTX(self), fd);
		return NULL;
	}
	if (!(status.flags & HIOD_VFIO_GROUP_FLAGS_CONTAINER_SET)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "IOMMU group %d was handed over, but it is in no container: the process "
			    "that set it up released it",
			    id);
		hiod_kernel_close(CTX(self), fd);
		return NULL;
	}
	g = g_new0(HiodLegacyGroup, 1);
	g->id = id;
	g->fd = fd;
	g_ptr_array_add(priv->groups, g);
	return g;
}

/* Opens group @id, checks it, sets it into the container (opening the
 * container first when needed) and sets the IOMMU type. All or nothing. */
static HiodLegacyGroup *
hiod_legacy_group_add(HiodLegacyContainer *self, gint id, GError **error)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	HiodContext *ctx = CTX(self);
	struct hiod_vfio_group_status status = {0};
	g_autofree gchar *gid = g_strdup_printf("%d", id);
	g_autofree gchar *path = hiod_context_build_dev_path(ctx, "vfio", gid, NULL);
	gboolean new_container = priv->fd < 0;
	HiodLegacyGroup *g;
	gint fd;

	if (priv->incoming != NULL) {
		g_autofree gchar *key = g_strdup_printf("group:%d", id);
		fd = hiod_legacy_take_incoming(self, key);
		if (fd >= 0)
			return hiod_legacy_group_adopt(self, id, fd, error);
	}
	if (new_container) {
		priv->fd = hiod_legacy_open_container(ctx, error);
		if (priv->fd < 0)
			return NULL;
	}
	fd = hiod_kernel_open(ctx, path, O_RDWR, error);
	if (fd < 0) {
		g_prefix_error(error, "IOMMU group %d: ", id);
		goto fail;
	}
	if (hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_GROUP_GET_STATUS), &status, sizeof(status),
			      error) < 0) {
		g_prefix_error(error, "IOMMU group %d: ", id);
		goto fail_group;
	}
	if (!(status.flags & HIOD_VFIO_GROUP_FLAGS_VIABLE)) {
		g_autofree gchar *devs = hiod_legacy_describe_group(ctx, id);
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "IOMMU group %d is not viable: every device in it must be bound to "
			    "vfio-pci (or have no driver); it holds %s",
			    id, devs);
		goto fail_group;
	}
	if (status.flags & HIOD_VFIO_GROUP_FLAGS_CONTAINER_SET) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_BUSY,
			    "IOMMU group %d is already set into another container", id);
		goto fail_group;
	}
	if (hiod_kernel_ioctl(ctx, fd, HIOD_IOC(VFIO_GROUP_SET_CONTAINER), &priv->fd, 0, error) < 0) {
		/* type1 attaches the group here when the container has its IOMMU set */
		if (errno == EPERM && error != NULL && *error != NULL)
			hiod_sysfs_explain_unsafe_interrupts(ctx, id, NULL, "vfio_iommu_type1",
						     *error);
		if (!new_container && error != NULL && *error != NULL) {
			/* the kernel refused to share: the caller may try another container */
			(*error)->code = HIOD_ERROR_INCOMPATIBLE;
		}
		g_prefix_error(error, "setting IOMMU group %d into the container: ", id);
		goto fail_group;
	}
	if (priv->iommu_type == 0) {
		HiodLegacyContainerClass *klass = HIOD_LEGACY_CONTAINER_GET_CLASS(self);
		guint32 type = 0;
		if (!klass->choose_iommu_type(self, &type, error))
			goto fail_unset;
		if (hiod_kernel_ioctl_value(ctx, priv->fd, HIOD_IOC(VFIO_SET_IOMMU), type, error) < 0) {
			if (errno == EPERM && error != NULL && *error != NULL)
				hiod_sysfs_explain_unsafe_interrupts(ctx, id, NULL, "vfio_iommu_type1",
						     *error);
			g_prefix_error(error, "setting IOMMU type %u on the container (group %d): ",
				       type, id);
			goto fail_unset;
		}
		priv->iommu_type = type;
		priv->unmap_all = hiod_legacy_container_check_extension(self, HIOD_VFIO_UNMAP_ALL);
	}
	g = g_new0(HiodLegacyGroup, 1);
	g->id = id;
	g->fd = fd;
	g_ptr_array_add(priv->groups, g);
	return g;

fail_unset:
	hiod_legacy_group_close(self, fd, TRUE);
	goto fail;
fail_group:
	hiod_legacy_group_close(self, fd, FALSE);
fail:
	hiod_legacy_container_maybe_close(self);
	return NULL;
}

/* the class methods ---------------------------------------------------------------- */

static gboolean hiod_legacy_container_refresh_info(HiodLegacyContainer *self, GError **error);

/* Takes group @g out after its last device left (or its attach failed), and
 * reads what the groups that stay allow. */
static void
hiod_legacy_group_leave(HiodLegacyContainer *self, HiodLegacyGroup *g)
{
	g_autoptr(GError) error = NULL;
	hiod_legacy_group_remove(self, g);
	if (!hiod_legacy_container_refresh_info(self, &error))
		g_debug("%s", error->message);
}

static gboolean
hiod_legacy_container_attach_device(HiodContainer *container, HiodVfioDevice *device,
				    guint64 viommu_flags, GError **error)
{
	HiodLegacyContainer *self = HIOD_LEGACY_CONTAINER(container);
	HiodContext *ctx = CTX(self);
	const gchar *name = hiod_vfio_device_get_name(device);
	gint id = hiod_vfio_device_get_group_id(device);
	HiodLegacyGroup *g = hiod_legacy_container_find_group(self, id);
	gboolean new_group = g == NULL;
	gint fd;

	if (new_group) {
		g = hiod_legacy_group_add(self, id, error);
		if (g == NULL) {
			g_prefix_error(error, "attaching %s: ", name);
			return FALSE;
		}
		/* a group that joins narrows what the container allows: the host
		 * IOMMU device realized next (and what the vIOMMU reads) must see it */
		if (!hiod_legacy_container_refresh_info(self, error)) {
			g_prefix_error(error, "attaching %s: group %d joined: ", name, id);
			goto fail;
		}
	}
	{
		g_autofree gchar *key = g_strdup_printf("device:%s", name);
		fd = hiod_legacy_take_incoming(self, key);
	}
	if (fd < 0) {
		fd = hiod_kernel_ioctl(ctx, g->fd, HIOD_IOC(VFIO_GROUP_GET_DEVICE_FD), (gpointer)name, 0,
				       error);
		if (fd < 0) {
			g_prefix_error(error, "attaching %s: ", name);
			goto fail;
		}
		hiod_kernel_adopt_fd(ctx, fd);
	}
	hiod_vfio_device_set_fd(device, fd);
	if (!hiod_vfio_device_load_info(device, error)) {
		hiod_vfio_device_set_fd(device, -1);
		goto fail;
	}
	g->users++;
	return TRUE;

fail:
	if (new_group)
		hiod_legacy_group_leave(self, g);
	return FALSE;
}

static void
hiod_legacy_container_detach_device(HiodContainer *container, HiodVfioDevice *device)
{
	HiodLegacyContainer *self = HIOD_LEGACY_CONTAINER(container);
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	HiodLegacyGroup *g = hiod_legacy_container_find_group(self, hiod_vfio_device_get_group_id(device));

	hiod_vfio_device_set_fd(device, -1);
	if (g == NULL || g->users == 0)
		return;
	g->users--;
	/* the last group stays until release: the mappings go first, through it */
	if (g->users == 0 && priv->groups->len > 1)
		hiod_legacy_group_leave(self, g);
}

static void
hiod_legacy_container_release(HiodContainer *container)
{
	HiodLegacyContainer *self = HIOD_LEGACY_CONTAINER(container);
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	for (guint i = priv->groups->len; i > 0; i--) {
		HiodLegacyGroup *g = g_ptr_array_index(priv->groups, i - 1);
		if (g->users == 0)
			hiod_legacy_group_remove(self, g);
	}
	hiod_legacy_container_maybe_close(self);
}

/* Walks the capability chain of a VFIO_IOMMU_GET_INFO answer of @len bytes:
 * every capability whole, aligned and after the one before it, or an error. */
static gboolean
hiod_legacy_parse_info_caps(HiodLegacyContainer *self, const guint8 *buf, gsize len,
			    GPtrArray *ranges, guint *avail, gboolean *dirty, GError **error)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	const struct hiod_vfio_iommu_type1_info *info = (const void *)buf;
	const gchar *request = "VFIO_IOMMU_GET_INFO";
	guint32 off = info->cap_offset, prev = 0;

	while (off != 0) {
		const struct hiod_vfio_info_cap_header *h = (const void *)(buf + off);
		if (!hiod_kernel_vfio_cap_check(len, sizeof(*info), prev, off, sizeof(*h), request, error))
			return FALSE;
		switch (h->id) {
		case HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: {
			const struct hiod_vfio_iommu_type1_info_cap_iova_range *c = (const void *)h;
			if (!hiod_kernel_vfio_cap_check(len, sizeof(*info), prev, off, sizeof(*c), request,
							error))
				return FALSE;
			if (c->nr_iovas > (len - off - sizeof(*c)) / sizeof(c->iova_ranges[0])) {
				hiod_kernel_set_bad_reply(error, request,
							  "the IOVA range capability at offset %u holds %u "
							  "ranges, more than its %" G_GSIZE_FORMAT " bytes",
							  off, c->nr_iovas, len - off);
				return FALSE;
			}
			for (guint32 i = 0; i < c->nr_iovas; i++)
				g_ptr_array_add(ranges, hiod_iova_range_new(c->iova_ranges[i].start,
									    c->iova_ranges[i].end));
			break;
		}
		case HIOD_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION: {
			const struct hiod_vfio_iommu_type1_info_cap_migration *c = (const void *)h;
			if (!hiod_kernel_vfio_cap_check(len, sizeof(*info), prev, off, sizeof(*c), request,
							error))
				return FALSE;
			*dirty = TRUE;
			priv->dirty_pgsizes = c->pgsize_bitmap;
			priv->max_dirty_bitmap_size = c->max_dirty_bitmap_size;
			break;
		}
		case HIOD_VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: {
			const struct hiod_vfio_iommu_type1_info_dma_avail *c = (const void *)h;
			if (!hiod_kernel_vfio_cap_check(len, sizeof(*info), prev, off, sizeof(*c), request,
							error))
				return FALSE;
			*avail = c->avail;
			break;
		}
		default:
			g_debug("VFIO_IOMMU_GET_INFO: skipping capability %u", h->id);
		}
		prev = off;
		off = h->next;
	}
	return hiod_kernel_check_iova_ranges(ranges, request, error);
}

/* Reads VFIO_IOMMU_GET_INFO and records what it says. @refresh: a group
 * joined or left a set-up container: the ranges and page sizes are what all
 * its groups allow now (the kernel narrows them on join, widens them on
 * leave); the mapping limit stays (DMA_AVAIL counts what is left, not the
 * limit). */
static gboolean
hiod_legacy_container_read_info(HiodLegacyContainer *self, gboolean refresh, GError **error)
{
	HiodContainer *container = HIOD_CONTAINER(self);
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	g_autoptr(GPtrArray) ranges = hiod_iova_ranges_new();
	g_autofree guint8 *buf = NULL;
	struct hiod_vfio_iommu_type1_info *info;
	gsize len = sizeof(*info);
	guint avail = 0;
	gboolean dirty = FALSE;

	for (guint tries = 0;; tries++) {
		buf = g_realloc(buf, len);
		memset(buf, 0, len);
		info = (void *)buf;
		if (hiod_kernel_ioctl(CTX(self), priv->fd, HIOD_IOC(VFIO_IOMMU_GET_INFO), info, len,
				      error) < 0) {
			g_prefix_error(error, "reading the type1 IOMMU info: ");
			return FALSE;
		}
		if (info->argsz <= len || tries == 3)
			break;
		if (info->argsz > HIOD_KERNEL_MAX_INFO_ARGSZ) {
			hiod_kernel_set_bad_reply(error, "VFIO_IOMMU_GET_INFO",
						  "it asks for %u bytes, more than the %u hiod gives it",
						  info->argsz, HIOD_KERNEL_MAX_INFO_ARGSZ);
			g_prefix_error(error, "reading the type1 IOMMU info: ");
			return FALSE;
		}
		len = info->argsz; /* the capability chain did not fit: grow and ask again */
	}
	if (!(info->flags & HIOD_VFIO_IOMMU_INFO_PGSIZES) || info->iova_pgsizes == 0) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "the type1 IOMMU reports no page sizes");
		return FALSE;
	}
	priv->dirty_pgsizes = 0;
	priv->max_dirty_bitmap_size = 0;
	if ((info->flags & HIOD_VFIO_IOMMU_INFO_CAPS) &&
	    !hiod_legacy_parse_info_caps(self, buf, MIN(len, info->argsz), ranges, &avail, &dirty,
					 error)) {
		g_prefix_error(error, "reading the type1 IOMMU info: ");
		return FALSE;
	}
	if (ranges->len == 0) /* an old kernel: the whole 64-bit space */
		g_ptr_array_add(ranges, hiod_iova_range_new(0, G_MAXUINT64));
	hiod_container_set_iova_ranges(container, ranges);
	hiod_container_set_page_size_mask(container, info->iova_pgsizes);
	if (!refresh)
		hiod_container_set_max_mappings(container, avail);
	/* dirty tracking needs v2 as well: a v1 container answers EACCES */
	hiod_container_set_dirty_tracking_supported(container, dirty && priv->iommu_type ==
									      HIOD_VFIO_TYPE1v2_IOMMU);
	return TRUE;
}

static gboolean
hiod_legacy_container_setup(HiodContainer *container, GError **error)
{
	return hiod_legacy_container_read_info(HIOD_LEGACY_CONTAINER(container), FALSE, error);
}

/* After a group joined or left a set-up type1 container (sPAPR reads its
 * own info): the kernel's answer changed, read it again (defect 8). */
static gboolean
hiod_legacy_container_refresh_info(HiodLegacyContainer *self, GError **error)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	if (!hiod_container_is_setup(HIOD_CONTAINER(self)) || priv->groups->len == 0 ||
	    (priv->iommu_type != HIOD_VFIO_TYPE1_IOMMU && priv->iommu_type != HIOD_VFIO_TYPE1v2_IOMMU))
		return TRUE;
	if (!hiod_legacy_container_read_info(self, TRUE, error)) {
		g_prefix_error(error, "after a group change: ");
		return FALSE;
	}
	return TRUE;
}

HIOD_HOT static gboolean
hiod_legacy_container_dma_map(HiodContainer *container, guint64 iova, guint64 size,
			      gpointer vaddr, HiodDmaFlags flags, GError **error)
{
	/* (no checked casts on the map path: the base class calls it on its own instance) */
	HiodLegacyContainer *self = (HiodLegacyContainer *)container;
	struct hiod_vfio_iommu_type1_dma_map map = {
	    .flags = HIOD_VFIO_DMA_MAP_FLAG_READ,
	    .vaddr = GPOINTER_TO_SIZE(vaddr),
	    .iova = iova,
	    .size = size,
	};
	if (!(flags & HIOD_DMA_FLAGS_READONLY))
		map.flags |= HIOD_VFIO_DMA_MAP_FLAG_WRITE;
	if (GET_PRIVATE(self)->handoff)
		map.flags = HIOD_VFIO_DMA_MAP_FLAG_VADDR; /* the mapping exists: only its host address */
	if (hiod_kernel_ioctl(hiod_container_peek_context(container), GET_PRIVATE(self)->fd,
			      HIOD_IOC(VFIO_IOMMU_MAP_DMA), &map,
			      sizeof(map), error) < 0) {
		g_prefix_error(error, "%s IOVA 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER "x: ",
			       GET_PRIVATE(self)->handoff ? "giving a new host address to" : "mapping",
			       iova, size);
		return FALSE;
	}
	return TRUE;
}

static void hiod_legacy_pending_clear(HiodLegacyContainer *self);

HIOD_HOT static gboolean
hiod_legacy_unmap_span(HiodLegacyContainer *self, guint64 iova, guint64 size, guint32 flags,
		       GError **error)
{
	struct hiod_vfio_iommu_type1_dma_unmap unmap = {.flags = flags, .iova = iova, .size = size};
	if (hiod_kernel_ioctl(hiod_container_peek_context((HiodContainer *)self), GET_PRIVATE(self)->fd,
			      HIOD_IOC(VFIO_IOMMU_UNMAP_DMA), &unmap,
			      sizeof(unmap), error) < 0) {
		g_prefix_error(error, "unmapping IOVA 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER "x: ",
			       iova, size);
		return FALSE;
	}
	return TRUE;
}

HIOD_HOT static gboolean
hiod_legacy_container_dma_unmap(HiodContainer *container, guint64 iova, guint64 size,
				gboolean unmap_all, GError **error)
{
	HiodLegacyContainer *self = (HiodLegacyContainer *)container;
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	if (priv->handoff) /* the mapping stays: only its host address goes */
		return hiod_legacy_unmap_span(self, unmap_all ? 0 : iova, unmap_all ? 0 : size,
					      HIOD_VFIO_DMA_UNMAP_FLAG_VADDR |
						  (unmap_all ? HIOD_VFIO_DMA_UNMAP_FLAG_ALL : 0),
					      error);
	if (!unmap_all)
		return hiod_legacy_unmap_span(self, iova, size, 0, error);
	hiod_legacy_pending_clear(self); /* nothing mapped: nothing to keep */
	if (priv->unmap_all)
		return hiod_legacy_unmap_span(self, 0, 0, HIOD_VFIO_DMA_UNMAP_FLAG_ALL, error);
	/* no UNMAP_ALL: the 64-bit space in two halves (size is a u64) */
	if (!hiod_legacy_unmap_span(self, 0, G_GUINT64_CONSTANT(1) << 63, 0, error))
		return FALSE;
	return hiod_legacy_unmap_span(self, G_GUINT64_CONSTANT(1) << 63, G_GUINT64_CONSTANT(1) << 63,
				      0, error);
}

static gboolean
hiod_legacy_container_set_dirty_tracking(HiodContainer *container, gboolean start, GError **error)
{
	HiodLegacyContainer *self = HIOD_LEGACY_CONTAINER(container);
	struct hiod_vfio_iommu_type1_dirty_bitmap db = {
	    .flags = start ? HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_START : HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
	};
	if (!hiod_container_get_dirty_tracking_supported(container))
		return TRUE; /* type1 v1 (EACCES) or no migration capability: nothing to start */
	if (hiod_kernel_ioctl(CTX(self), GET_PRIVATE(self)->fd, HIOD_IOC(VFIO_IOMMU_DIRTY_PAGES), &db,
			      sizeof(db), error) < 0) {
		g_prefix_error(error, "%s type1 dirty tracking: ", start ? "starting" : "stopping");
		return FALSE;
	}
	hiod_legacy_pending_clear(self); /* a fresh start, or no more queries */
	return TRUE;
}

typedef struct {
	guint64 lo, hi;
	GArray *hits;
} HiodOverlapQuery;

static void
hiod_legacy_collect_overlaps(HiodIntervalMap *map, gpointer data)
{
	HiodOverlapQuery *q = data;
	q->hits = hiod_interval_map_overlaps(map, q->lo, q->hi);
}

/* Adds the run [start, last] to the pending dirty pages (dirty_lock held). */
static void
hiod_legacy_pending_add(HiodLegacyContainerPrivate *priv, guint64 start, guint64 last)
{
	g_autoptr(GArray) near = hiod_interval_map_overlaps(priv->pending_dirty, start > 0 ? start - 1 : 0,
							    last < G_MAXUINT64 ? last + 1 : last);
	for (guint n = 0; n < near->len; n++) {
		HiodInterval *i = &g_array_index(near, HiodInterval, n);
		start = MIN(start, i->start);
		last = MAX(last, i->last);
		hiod_interval_map_remove(priv->pending_dirty, i->start);
	}
	hiod_interval_map_insert(priv->pending_dirty, start, last, NULL);
}

/* Moves the pending dirty pages in [lo, hi] into @bitmap (bit n = @base + n *
 * @page_size) (dirty_lock held). */
static void
hiod_legacy_pending_take(HiodLegacyContainerPrivate *priv, guint64 lo, guint64 hi, guint64 base,
			 guint64 page_size, guint64 *bitmap)
{
	g_autoptr(GArray) hits = hiod_interval_map_overlaps(priv->pending_dirty, lo, hi);
	for (guint n = 0; n < hits->len; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		guint64 a = MAX(i->start, lo), b = MIN(i->last, hi);
		for (guint64 bit = (a - base) / page_size; bit <= (b - base) / page_size; bit++)
			bitmap[bit / 64] |= G_GUINT64_CONSTANT(1) << (bit % 64);
		hiod_interval_map_remove(priv->pending_dirty, i->start);
		if (i->start < lo)
			hiod_interval_map_insert(priv->pending_dirty, i->start, lo - 1, NULL);
		if (i->last > hi)
			hiod_interval_map_insert(priv->pending_dirty, hi + 1, i->last, NULL);
	}
}

static void
hiod_legacy_pending_clear(HiodLegacyContainer *self)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	g_mutex_lock(&priv->dirty_lock);
	hiod_interval_map_remove_all(priv->pending_dirty);
	g_mutex_unlock(&priv->dirty_lock);
}

/* type1 wants whole mappings at its smallest page: query each mapping that
 * meets the window, and fold the bits into the caller's granule. The kernel
 * clears what it reports, so the bits outside the window are kept for the
 * query that asks for them (the kernel refuses to read a window that
 * bisects a mapping: EINVAL). */
static gboolean
hiod_legacy_container_query_dirty_bitmap(HiodContainer *container, guint64 iova, guint64 size,
					 guint64 page_size, guint64 *bitmap, HiodDirtyFlags flags,
					 GError **error)
{
	HiodLegacyContainer *self = HIOD_LEGACY_CONTAINER(container);
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	guint64 pg = priv->dirty_pgsizes != 0 ? priv->dirty_pgsizes & -priv->dirty_pgsizes
					      : hiod_container_get_min_page_size(container);
	HiodOverlapQuery q = {.lo = iova, .hi = iova + size - 1};
	g_autoptr(GArray) hits = NULL;

	if (flags & HIOD_DIRTY_FLAGS_NO_CLEAR) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "type1 cannot read dirty bits without clearing them");
		return FALSE;
	}
	hiod_container_with_mappings(container, hiod_legacy_collect_overlaps, &q);
	hits = q.hits;
	for (guint n = 0; n < hits->len; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		guint64 len = i->last - i->start + 1, npages = len / pg;
		gsize bytes = (npages + 63) / 64 * 8;
		g_autofree guint64 *bits = g_malloc0(bytes);
		gsize argsz = sizeof(struct hiod_vfio_iommu_type1_dirty_bitmap) +
			      sizeof(struct hiod_vfio_iommu_type1_dirty_bitmap_get);
		g_autofree struct hiod_vfio_iommu_type1_dirty_bitmap *db = g_malloc0(argsz);
		struct hiod_vfio_iommu_type1_dirty_bitmap_get *range = (void *)db->data;

		db->flags = HIOD_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
		range->iova = i->start;
		range->size = len;
		range->bitmap.pgsize = pg;
		range->bitmap.size = bytes;
		range->bitmap.data = GPOINTER_TO_SIZE(bits);
		if (hiod_kernel_ioctl(CTX(self), priv->fd, HIOD_IOC(VFIO_IOMMU_DIRTY_PAGES), db, argsz,
				      error) < 0) {
			g_prefix_error(error, "reading the type1 dirty bitmap of [0x%" G_GINT64_MODIFIER
					      "x, 0x%" G_GINT64_MODIFIER "x]: ",
				       i->start, i->last);
			return FALSE;
		}
		g_mutex_lock(&priv->dirty_lock);
		for (guint64 p = 0; p < npages; p++) {
			guint64 a = i->start + p * pg, b;
			if (!(bits[p / 64] & (G_GUINT64_CONSTANT(1) << (p % 64))))
				continue;
			if (a < iova || a > iova + size - 1) {
				hiod_legacy_pending_add(priv, a, a + pg - 1);
				continue;
			}
			b = (a - iova) / page_size;
			bitmap[b / 64] |= G_GUINT64_CONSTANT(1) << (b % 64);
		}
		g_mutex_unlock(&priv->dirty_lock);
	}
	/* and what earlier queries read for this window */
	g_mutex_lock(&priv->dirty_lock);
	hiod_legacy_pending_take(priv, iova, iova + size - 1, iova, page_size, bitmap);
	g_mutex_unlock(&priv->dirty_lock);
	return TRUE;
}

/* The bytes of a type1 bitmap of @size bytes at @pg, or 0 (with @error set)
 * when the host would refuse it: checked before anything is allocated, so a
 * caller's size never reaches the allocator unchecked. */
static gsize
hiod_legacy_dirty_bitmap_bytes(HiodLegacyContainer *self, guint64 size, guint64 pg, GError **error)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	guint64 npages = size / pg, bytes = (npages + 63) / 64 * 8;
	/* the kernel's own limit when it reported none (DIRTY_BITMAP_BYTES(INT_MAX)) */
	guint64 limit = priv->max_dirty_bitmap_size != 0 ? priv->max_dirty_bitmap_size
							 : ((guint64)G_MAXINT + 63) / 64 * 8;
	if (bytes > limit) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "a dirty bitmap of 0x%" G_GINT64_MODIFIER "x bytes for 0x%" G_GINT64_MODIFIER
			    "x bytes at 0x%" G_GINT64_MODIFIER "x-byte pages is over the host's limit of %"
			    G_GUINT64_FORMAT " bytes: ask for a smaller span",
			    bytes, size, pg, limit);
		return 0;
	}
	return (gsize)bytes;
}

/* UNMAP_DMA with GET_DIRTY_BITMAP: one step, at the smallest IOMMU page. The
 * base class passes the span of the whole mappings it unmaps, never more. */
static gboolean
hiod_legacy_container_dma_unmap_dirty(HiodContainer *container, guint64 iova, guint64 size,
				      guint64 page_size, guint64 *bitmap, GError **error)
{
	HiodLegacyContainer *self = HIOD_LEGACY_CONTAINER(container);
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	guint64 pg = hiod_container_get_min_page_size(container);
	guint64 npages = size / pg;
	gsize argsz = sizeof(struct hiod_vfio_iommu_type1_dma_unmap) + sizeof(struct hiod_vfio_bitmap);
	gsize bytes = hiod_legacy_dirty_bitmap_bytes(self, size, pg, error);
	g_autofree guint64 *bits = NULL;
	g_autofree struct hiod_vfio_iommu_type1_dma_unmap *unmap = NULL;
	struct hiod_vfio_bitmap *vb;

	if (bytes == 0)
		return FALSE;
	bits = g_try_malloc0(bytes);
	if (bits == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE,
			    "no memory for a dirty bitmap of %zu bytes", bytes);
		return FALSE;
	}
	unmap = g_malloc0(argsz);
	vb = (void *)unmap->data;
	unmap->flags = HIOD_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	unmap->iova = iova;
	unmap->size = size;
	vb->pgsize = pg;
	vb->size = bytes;
	vb->data = GPOINTER_TO_SIZE(bits);
	if (hiod_kernel_ioctl(CTX(self), priv->fd, HIOD_IOC(VFIO_IOMMU_UNMAP_DMA), unmap, argsz,
			      error) < 0) {
		g_prefix_error(error, "unmapping IOVA 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER
				      "x with its dirty bitmap: ",
			       iova, size);
		return FALSE;
	}
	for (guint64 p = 0; p < npages; p++) {
		guint64 b;
		if (!(bits[p / 64] & (G_GUINT64_CONSTANT(1) << (p % 64))))
			continue;
		b = (p * pg) / page_size;
		bitmap[b / 64] |= G_GUINT64_CONSTANT(1) << (b % 64);
	}
	g_mutex_lock(&priv->dirty_lock);
	hiod_legacy_pending_take(priv, iova, iova + size - 1, iova, page_size, bitmap);
	g_mutex_unlock(&priv->dirty_lock);
	return TRUE;
}

static gboolean
hiod_legacy_container_pci_hot_reset(HiodContainer *container, HiodVfioDevice *device,
				    gboolean single, GError **error)
{
	HiodLegacyContainer *self = HIOD_LEGACY_CONTAINER(container);
	HiodContext *ctx = CTX(self);
	const gchar *name = hiod_vfio_device_get_name(device);
	gint dfd = hiod_vfio_device_get_fd(device);
	g_autofree struct hiod_vfio_pci_hot_reset_info *info = NULL;
	g_autofree struct hiod_vfio_pci_hot_reset *reset = NULL;
	g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(gint32));
	g_autoptr(GString) foreign = g_string_new(NULL);
	g_autoptr(GString) others = g_string_new(NULL);
	guint32 count = 1;
	gsize argsz;

	for (guint tries = 0;; tries++) {
		g_autoptr(GError) error_local = NULL;
		argsz = sizeof(*info) + count * sizeof(info->devices[0]);
		g_free(info);
		info = g_malloc0(argsz);
		if (hiod_kernel_ioctl(ctx, dfd, HIOD_IOC(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO), info, argsz,
				      &error_local) >= 0)
			break;
		if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NO_SPACE) && tries < 3 &&
		    info->count > count) {
			if (info->count > HIOD_KERNEL_MAX_RESET_DEVICES) {
				hiod_kernel_set_bad_reply(error, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
							  "it asks for room for %u devices, more than "
							  "a PCI segment has (%u)",
							  info->count, HIOD_KERNEL_MAX_RESET_DEVICES);
				g_prefix_error(error, "hot reset of %s: ", name);
				return FALSE;
			}
			count = info->count;
			continue;
		}
		if (g_error_matches(error_local, HIOD_ERROR, HIOD_ERROR_NOT_FOUND))
			g_prefix_error(&error_local, "(no slot or bus reset can reach it alone: on a root "
						     "bus, or sharing its bus) ");
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "hot reset of %s: ", name);
		return FALSE;
	}
	/* the kernel fills at most the room it was given; a count beyond it is not ours to read */
	if (info->count > count) {
		hiod_kernel_set_bad_reply(error, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
					  "it reports %u affected devices in room for %u", info->count,
					  count);
		g_prefix_error(error, "hot reset of %s: ", name);
		return FALSE;
	}
	for (guint32 i = 0; i < info->count; i++) {
		struct hiod_vfio_pci_dependent_device *d = &info->devices[i];
		g_autofree gchar *bdf = g_strdup_printf("%04x:%02x:%02x.%x", d->segment, d->bus,
							d->devfn >> 3, d->devfn & 7);
		gint gfd = hiod_legacy_container_get_group_fd(self, (gint)d->group_id);
		gboolean seen = FALSE;
		if (gfd < 0) {
			g_string_append_printf(foreign, "%s%s (group %u)", foreign->len ? ", " : "", bdf,
					       d->group_id);
			continue;
		}
		if (g_strcmp0(bdf, name) != 0)
			g_string_append_printf(others, "%s%s", others->len ? ", " : "", bdf);
		for (guint k = 0; k < fds->len; k++)
			seen |= g_array_index(fds, gint32, k) == gfd;
		if (!seen)
			g_array_append_val(fds, gfd);
	}
	if (foreign->len > 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED,
			    "hot reset of %s would also reset %s, whose IOMMU groups this container "
			    "does not hold: attach them to the same container first",
			    name, foreign->str);
		return FALSE;
	}
	if (single && others->len > 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_BUSY,
			    "hot reset of %s alone is impossible: it would also reset %s", name,
			    others->str);
		return FALSE;
	}
	if (fds->len == 0) {
		/* the device itself is always affected: no group at all is a broken reply */
		hiod_kernel_set_bad_reply(error, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
					  "it reports no affected device, not even %s", name);
		g_prefix_error(error, "hot reset of %s: ", name);
		return FALSE;
	}
	argsz = sizeof(*reset) + fds->len * sizeof(gint32);
	reset = g_malloc0(argsz);
	reset->count = fds->len;
	memcpy(reset->group_fds, fds->data, fds->len * sizeof(gint32));
	if (hiod_kernel_ioctl(ctx, dfd, HIOD_IOC(VFIO_DEVICE_PCI_HOT_RESET), reset, argsz, error) < 0) {
		g_prefix_error(error, "hot reset of %s: ", name);
		return FALSE;
	}
	return TRUE;
}

static void
hiod_legacy_container_add_json(HiodContainer *container, JsonBuilder *builder)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(HIOD_LEGACY_CONTAINER(container));
	const gchar *type = priv->iommu_type == HIOD_VFIO_TYPE1v2_IOMMU	  ? "type1v2"
			    : priv->iommu_type == HIOD_VFIO_TYPE1_IOMMU	  ? "type1"
			    : priv->iommu_type == HIOD_VFIO_SPAPR_TCE_v2_IOMMU ? "spapr-tce-v2"
			    : priv->iommu_type == HIOD_VFIO_SPAPR_TCE_IOMMU	  ? "spapr-tce"
										  : NULL;
	hiod_json_add_string(builder, "iommu_type", type);
	json_builder_set_member_name(builder, "groups");
	json_builder_begin_array(builder);
	for (guint i = 0; i < priv->groups->len; i++) {
		HiodLegacyGroup *g = g_ptr_array_index(priv->groups, i);
		json_builder_add_int_value(builder, g->id);
	}
	json_builder_end_array(builder);
	hiod_json_add_bool(builder, "unmap_all", priv->unmap_all);
	if (priv->dirty_pgsizes != 0)
		hiod_json_add_hex(builder, "dirty_page_sizes", priv->dirty_pgsizes);
}

static void
hiod_legacy_container_init(HiodLegacyContainer *self)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	priv->fd = -1;
	priv->groups = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&priv->dirty_lock);
	priv->pending_dirty = hiod_interval_map_new(NULL);
}

static void
hiod_legacy_container_dispose(GObject *object)
{
	HiodLegacyContainer *self = HIOD_LEGACY_CONTAINER(object);
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	G_OBJECT_CLASS(hiod_legacy_container_parent_class)->dispose(object);
	/* whatever is left (devices detach before the base dispose returns) */
	while (priv->groups->len > 0)
		hiod_legacy_group_remove(self, g_ptr_array_index(priv->groups, 0));
	hiod_legacy_container_maybe_close(self);
}

static void
hiod_legacy_container_finalize(GObject *object)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(HIOD_LEGACY_CONTAINER(object));
	g_ptr_array_unref(priv->groups);
	if (priv->incoming != NULL) {
		GHashTableIter it;
		gpointer v;
		g_hash_table_iter_init(&it, priv->incoming);
		while (g_hash_table_iter_next(&it, NULL, &v))
			hiod_kernel_close(hiod_container_get_context(HIOD_CONTAINER(object)), GPOINTER_TO_INT(v));
		g_hash_table_unref(priv->incoming);
	}
	hiod_interval_map_free(priv->pending_dirty);
	g_mutex_clear(&priv->dirty_lock);
	G_OBJECT_CLASS(hiod_legacy_container_parent_class)->finalize(object);
}

static void
hiod_legacy_container_class_init(HiodLegacyContainerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodContainerClass *container_class = HIOD_CONTAINER_CLASS(klass);

	object_class->dispose = hiod_legacy_container_dispose;
	object_class->finalize = hiod_legacy_container_finalize;
	container_class->backend_kind = HIOD_BACKEND_KIND_LEGACY;
	container_class->host_iommu_device_type = HIOD_TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO;
	container_class->setup = hiod_legacy_container_setup;
	container_class->release = hiod_legacy_container_release;
	container_class->dma_map = hiod_legacy_container_dma_map;
	container_class->dma_unmap = hiod_legacy_container_dma_unmap;
	container_class->attach_device = hiod_legacy_container_attach_device;
	container_class->detach_device = hiod_legacy_container_detach_device;
	container_class->set_dirty_tracking = hiod_legacy_container_set_dirty_tracking;
	container_class->query_dirty_bitmap = hiod_legacy_container_query_dirty_bitmap;
	container_class->dma_unmap_dirty = hiod_legacy_container_dma_unmap_dirty;
	container_class->pci_hot_reset = hiod_legacy_container_pci_hot_reset;
	container_class->add_json = hiod_legacy_container_add_json;
	klass->choose_iommu_type = hiod_legacy_choose_type1;
}

/* live update ------------------------------------------------------------------ */

/* (see hiod-legacy-container-private.h) */
void
hiod_legacy_container_set_handoff(HiodLegacyContainer *self, gboolean handoff)
{
	g_return_if_fail(HIOD_IS_LEGACY_CONTAINER(self));
	GET_PRIVATE(self)->handoff = handoff;
}

gboolean
hiod_legacy_container_get_handoff(HiodLegacyContainer *self)
{
	g_return_val_if_fail(HIOD_IS_LEGACY_CONTAINER(self), FALSE);
	return GET_PRIVATE(self)->handoff;
}

void
hiod_legacy_container_set_incoming(HiodLegacyContainer *self, guint32 iommu_type, gint container_fd)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	g_return_if_fail(priv->incoming == NULL && priv->fd < 0);
	priv->incoming = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	priv->incoming_iommu_type = iommu_type;
	priv->handoff = TRUE;
	g_hash_table_insert(priv->incoming, g_strdup("container"), GINT_TO_POINTER(container_fd));
}

void
hiod_legacy_container_add_incoming(HiodLegacyContainer *self, const gchar *key, gint fd)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	g_return_if_fail(priv->incoming != NULL);
	g_hash_table_insert(priv->incoming, g_strdup(key), GINT_TO_POINTER(fd));
}

/* the number of fds handed over that adoption did not use */
guint
hiod_legacy_container_finish_incoming(HiodLegacyContainer *self)
{
	HiodLegacyContainerPrivate *priv = GET_PRIVATE(self);
	guint left = 0;
	if (priv->incoming != NULL) {
		GHashTableIter it;
		gpointer v;
		g_hash_table_iter_init(&it, priv->incoming);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			hiod_kernel_close(CTX(self), GPOINTER_TO_INT(v));
			left++;
		}
		g_clear_pointer(&priv->incoming, g_hash_table_unref);
	}
	priv->handoff = FALSE;
	return left;
}

/* MAP_DMA or UNMAP_DMA with FLAG_VADDR on one mapping: a new host address, or none */
gboolean
hiod_legacy_container_set_vaddr(HiodLegacyContainer *self, guint64 iova, guint64 size,
				gpointer vaddr, GError **error)
{
	if (vaddr == NULL)
		return hiod_legacy_unmap_span(self, iova, size, HIOD_VFIO_DMA_UNMAP_FLAG_VADDR, error);
	{
		struct hiod_vfio_iommu_type1_dma_map map = {
		    .flags = HIOD_VFIO_DMA_MAP_FLAG_VADDR,
		    .vaddr = GPOINTER_TO_SIZE(vaddr),
		    .iova = iova,
		    .size = size,
		};
		if (hiod_kernel_ioctl(CTX(self), GET_PRIVATE(self)->fd, HIOD_IOC(VFIO_IOMMU_MAP_DMA), &map,
				      sizeof(map), error) < 0) {
			g_prefix_error(error, "giving IOVA 0x%" G_GINT64_MODIFIER "x size 0x%" G_GINT64_MODIFIER
					      "x its host address back: ", iova, size);
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * hiod_legacy_container_get_dma_avail:
 * @self: a #HiodLegacyContainer
 * @avail: (out): how many more mappings the kernel allows now
 * @error: return location for a #GError
 *
 * Asks the kernel (VFIO_IOMMU_GET_INFO, its DMA_AVAIL capability) how many
 * more mappings the container can take: the kernel's own count of what is
 * mapped (vfio_iommu_type1.dma_entry_limit minus the mappings).
 *
 * Returns: %TRUE when the kernel reports it (%HIOD_ERROR_NOT_SUPPORTED when it does not)
 *
 * Since: 0.1
 */
gboolean
hiod_legacy_container_get_dma_avail(HiodLegacyContainer *self, guint *avail, GError **error)
{
	HiodLegacyContainerPrivate *priv;
	g_autofree guint8 *buf = NULL;
	struct hiod_vfio_iommu_type1_info *info;
	gsize len = 4096;

	g_return_val_if_fail(HIOD_IS_LEGACY_CONTAINER(self), FALSE);
	priv = GET_PRIVATE(self);
	if (priv->fd < 0) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "the container holds no group: the kernel has no count for it");
		return FALSE;
	}
	buf = g_malloc0(len);
	info = (void *)buf;
	if (hiod_kernel_ioctl(CTX(self), priv->fd, HIOD_IOC(VFIO_IOMMU_GET_INFO), info, len, error) < 0)
		return FALSE;
	if (info->flags & HIOD_VFIO_IOMMU_INFO_CAPS) {
		g_autoptr(GPtrArray) ranges = hiod_iova_ranges_new();
		gboolean dirty = FALSE;
		guint a = 0;
		if (!hiod_legacy_parse_info_caps(self, buf, MIN(len, info->argsz), ranges, &a, &dirty, error))
			return FALSE;
		if (a > 0) {
			*avail = a;
			return TRUE;
		}
	}
	g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "the kernel reports no DMA_AVAIL capability");
	return FALSE;
}

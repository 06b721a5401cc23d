/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-enum-types.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device-iommufd.h"
#include "hiod-json-private.h"

/**
 * HiodHostIommuDeviceIommufd:
 *
 * The abstract host IOMMU device of the iommufd world (QEMU's
 * HostIOMMUDeviceIOMMUFD): a device object in an iommufd context, attached
 * to a hardware page table (HWPT). A vIOMMU that programs stage 1 of the
 * physical IOMMU allocates a nested HWPT on the device's nesting parent with
 * hiod_host_iommu_device_iommufd_alloc_hwpt(), moves the device onto it with
 * hiod_host_iommu_device_iommufd_attach_hwpt() and flushes the IOMMU's caches
 * with hiod_host_iommu_device_iommufd_invalidate_cache().
 *
 * A PASID of the device (Linux 6.15) attaches to a HWPT of its own with
 * hiod_host_iommu_device_iommufd_attach_pasid(), moves with
 * hiod_host_iommu_device_iommufd_replace_pasid() and leaves with
 * hiod_host_iommu_device_iommufd_detach_pasid(); the device remembers which
 * PASID is on which HWPT. For the vIOMMU objects of Linux 6.13 and later
 * (vIOMMU, vDEVICE, vEVENTQ, HW queue) see
 * hiod_host_iommu_device_iommufd_alloc_viommu() and #HiodIommufdViommu.
 *
 * Subclasses (VFIO cdev devices, test mocks) fill in the backend and ids
 * during realize with hiod_host_iommu_device_iommufd_set_ids().
 *
 * Threads: as #HiodHostIommuDevice; attaching and detaching page tables
 * and PASIDs with the device's other calls, one thread at a time. The
 * vIOMMU objects made for the device document their own.
 *
 * Since: 0.1
 */

typedef struct {
	HiodIommufdBackend *backend;
	guint32 devid;
	guint32 hwpt_id;
	GHashTable *pasids; /* PASID -> HWPT id, both GUINT_TO_POINTER */
} HiodHostIommuDeviceIommufdPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(HiodHostIommuDeviceIommufd, hiod_host_iommu_device_iommufd,
				    HIOD_TYPE_HOST_IOMMU_DEVICE)
#define GET_PRIVATE(o) \
	((HiodHostIommuDeviceIommufdPrivate *)hiod_host_iommu_device_iommufd_get_instance_private(o))

static gboolean
hiod_host_iommu_device_iommufd_check(HiodHostIommuDeviceIommufd *self, GError **error)
{
	if (hiod_host_iommu_device_is_realized(HIOD_HOST_IOMMU_DEVICE(self)) &&
	    GET_PRIVATE(self)->backend != NULL)
		return TRUE;
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
		    "%s is not realized: no iommufd device yet", G_OBJECT_TYPE_NAME(self));
	return FALSE;
}

/**
 * hiod_host_iommu_device_iommufd_get_backend:
 * @self: a #HiodHostIommuDeviceIommufd
 *
 * Gets the iommufd backend, once realized.
 *
 * Returns: (transfer none) (nullable): the iommufd backend, once realized
 *
 * Since: 0.1
 */
HiodIommufdBackend *
hiod_host_iommu_device_iommufd_get_backend(HiodHostIommuDeviceIommufd *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), NULL);
	return GET_PRIVATE(self)->backend;
}

/**
 * hiod_host_iommu_device_iommufd_get_devid:
 * @self: a #HiodHostIommuDeviceIommufd
 *
 * Gets the device's iommufd object id (0 before realize).
 *
 * Returns: the device's iommufd object id (0 before realize)
 *
 * Since: 0.1
 */
guint32
hiod_host_iommu_device_iommufd_get_devid(HiodHostIommuDeviceIommufd *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), 0);
	return GET_PRIVATE(self)->devid;
}

/**
 * hiod_host_iommu_device_iommufd_get_hwpt_id:
 * @self: a #HiodHostIommuDeviceIommufd
 *
 * Gets the HWPT the device is attached to (0: none).
 *
 * Returns: the HWPT the device is attached to (0: none)
 *
 * Since: 0.1
 */
guint32
hiod_host_iommu_device_iommufd_get_hwpt_id(HiodHostIommuDeviceIommufd *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), 0);
	return GET_PRIVATE(self)->hwpt_id;
}

/**
 * hiod_host_iommu_device_iommufd_attach_hwpt:
 * @self: a realized #HiodHostIommuDeviceIommufd
 * @hwpt_id: a paging or nested HWPT
 * @error: return location for a #GError
 *
 * Moves the device onto @hwpt_id.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_iommufd_attach_hwpt(HiodHostIommuDeviceIommufd *self, guint32 hwpt_id,
					   GError **error)
{
	HiodHostIommuDeviceIommufdClass *klass;
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), FALSE);
	klass = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_GET_CLASS(self);
	if (!hiod_host_iommu_device_iommufd_check(self, error))
		return FALSE;
	if (klass->attach_hwpt == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s does not implement attach_hwpt, which is mandatory",
			    G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	if (!klass->attach_hwpt(self, hwpt_id, error)) {
		g_prefix_error(error, "attaching %s to HWPT %u: ",
			       hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)), hwpt_id);
		return FALSE;
	}
	GET_PRIVATE(self)->hwpt_id = hwpt_id;
	return TRUE;
}

/**
 * hiod_host_iommu_device_iommufd_detach_hwpt:
 * @self: a realized #HiodHostIommuDeviceIommufd
 * @error: return location for a #GError
 *
 * Detaches the device from its HWPT; its DMA is blocked until the next attach.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_iommufd_detach_hwpt(HiodHostIommuDeviceIommufd *self, GError **error)
{
	HiodHostIommuDeviceIommufdClass *klass;
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), FALSE);
	klass = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_GET_CLASS(self);
	if (!hiod_host_iommu_device_iommufd_check(self, error))
		return FALSE;
	if (klass->detach_hwpt == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s does not implement detach_hwpt, which is mandatory",
			    G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	if (!klass->detach_hwpt(self, error)) {
		g_prefix_error(error, "detaching %s: ",
			       hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)));
		return FALSE;
	}
	GET_PRIVATE(self)->hwpt_id = 0;
	return TRUE;
}

static gboolean
hiod_host_iommu_device_iommufd_pasid_check(HiodHostIommuDeviceIommufd *self, const gchar *what,
					   guint32 pasid, GError **error)
{
	HiodHostIommuDeviceIommufdClass *klass = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_GET_CLASS(self);
	if (!hiod_host_iommu_device_iommufd_check(self, error))
		return FALSE;
	if (klass->attach_pasid == NULL || klass->detach_pasid == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s PASID %u of %s: %s does not support PASIDs", what, pasid,
			    hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)),
			    G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	if (pasid == 0 || pasid >= (1u << 20)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "%s PASID %u of %s: a PASID is 1 to 2^20-1 (PASID 0 is the device's "
			    "own attachment: use attach_hwpt)",
			    what, pasid, hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)));
		return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_host_iommu_device_iommufd_pasid_attach_common(HiodHostIommuDeviceIommufd *self, guint32 pasid,
						   guint32 hwpt_id, gboolean replace, GError **error)
{
	HiodHostIommuDeviceIommufdPrivate *priv = GET_PRIVATE(self);
	const gchar *what = replace ? "replacing the HWPT of" : "attaching";
	gboolean attached;

	if (!hiod_host_iommu_device_iommufd_pasid_check(self, what, pasid, error))
		return FALSE;
	attached = g_hash_table_contains(priv->pasids, GUINT_TO_POINTER(pasid));
	if (attached != replace) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    replace ? "%s PASID %u of %s: it is not attached (attach it first)"
				    : "%s PASID %u of %s: it is attached already (replace its HWPT, or "
				      "detach it first)",
			    what, pasid, hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)));
		return FALSE;
	}
	if (!HIOD_HOST_IOMMU_DEVICE_IOMMUFD_GET_CLASS(self)->attach_pasid(self, pasid, hwpt_id, replace,
									  error)) {
		g_prefix_error(error, "%s PASID %u of %s to HWPT %u: ", what, pasid,
			       hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)), hwpt_id);
		return FALSE;
	}
	g_hash_table_insert(priv->pasids, GUINT_TO_POINTER(pasid), GUINT_TO_POINTER(hwpt_id));
	return TRUE;
}

/**
 * hiod_host_iommu_device_iommufd_attach_pasid:
 * @self: a realized #HiodHostIommuDeviceIommufd
 * @pasid: a PASID of the device (1 to 2^20-1) not attached yet
 * @hwpt_id: a HWPT allocated with %HIOD_HWPT_ALLOC_FLAGS_PASID where the
 *   IOMMU needs it, or an IOAS
 * @error: return location for a #GError
 *
 * Attaches one PASID of the device to a page table of its own (VFIO:
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID, Linux 6.15).
 * %HIOD_ERROR_NOT_SUPPORTED on an older kernel (which the message names),
 * or when the device or IOMMU has no PASIDs; %HIOD_ERROR_INVALID_STATE when
 * the PASID is attached already.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_iommufd_attach_pasid(HiodHostIommuDeviceIommufd *self, guint32 pasid,
					    guint32 hwpt_id, GError **error)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), FALSE);
	return hiod_host_iommu_device_iommufd_pasid_attach_common(self, pasid, hwpt_id, FALSE, error);
}

/**
 * hiod_host_iommu_device_iommufd_replace_pasid:
 * @self: a realized #HiodHostIommuDeviceIommufd
 * @pasid: an attached PASID
 * @hwpt_id: its new HWPT
 * @error: return location for a #GError
 *
 * Moves an attached PASID to another HWPT in one step (no window with DMA
 * blocked). On failure the PASID stays on its HWPT.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_iommufd_replace_pasid(HiodHostIommuDeviceIommufd *self, guint32 pasid,
					     guint32 hwpt_id, GError **error)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), FALSE);
	return hiod_host_iommu_device_iommufd_pasid_attach_common(self, pasid, hwpt_id, TRUE, error);
}

/**
 * hiod_host_iommu_device_iommufd_detach_pasid:
 * @self: a realized #HiodHostIommuDeviceIommufd
 * @pasid: an attached PASID
 * @error: return location for a #GError
 *
 * Detaches a PASID (its DMA is then blocked). %HIOD_ERROR_INVALID_STATE
 * when it is not attached.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_iommufd_detach_pasid(HiodHostIommuDeviceIommufd *self, guint32 pasid,
					    GError **error)
{
	HiodHostIommuDeviceIommufdPrivate *priv;
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), FALSE);
	if (!hiod_host_iommu_device_iommufd_pasid_check(self, "detaching", pasid, error))
		return FALSE;
	priv = GET_PRIVATE(self);
	if (!g_hash_table_contains(priv->pasids, GUINT_TO_POINTER(pasid))) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "detaching PASID %u of %s: it is not attached", pasid,
			    hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)));
		return FALSE;
	}
	if (!HIOD_HOST_IOMMU_DEVICE_IOMMUFD_GET_CLASS(self)->detach_pasid(self, pasid, error)) {
		g_prefix_error(error, "detaching PASID %u of %s: ", pasid,
			       hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(self)));
		return FALSE;
	}
	g_hash_table_remove(priv->pasids, GUINT_TO_POINTER(pasid));
	return TRUE;
}

/**
 * hiod_host_iommu_device_iommufd_get_pasid_hwpt_id:
 * @self: a #HiodHostIommuDeviceIommufd
 * @pasid: a PASID
 *
 * Gets the HWPT a PASID is attached to.
 *
 * Returns: the HWPT id (or the id the kernel answered for an IOAS), 0 when the PASID is not attached
 *
 * Since: 0.1
 */
guint32
hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(HiodHostIommuDeviceIommufd *self, guint32 pasid)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), 0);
	return GPOINTER_TO_UINT(g_hash_table_lookup(GET_PRIVATE(self)->pasids, GUINT_TO_POINTER(pasid)));
}

/**
 * hiod_host_iommu_device_iommufd_alloc_hwpt:
 * @self: a realized #HiodHostIommuDeviceIommufd
 * @pt_id: an IOAS, or a nesting-parent HWPT for a nested (stage-1) HWPT
 * @flags: #HiodHwptAllocFlags
 * @data_type: the vendor's IOMMU_HWPT_DATA_* (e.g. 1: VT-d stage 1)
 * @data: (nullable) (array length=data_len) (element-type guint8): the vendor's stage-1 description
 * @data_len: bytes of @data
 * @hwpt_id: (out): the new HWPT; free it with hiod_iommufd_backend_destroy()
 * @error: return location for a #GError
 *
 * Allocates a HWPT for this device in its iommufd context.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_iommufd_alloc_hwpt(HiodHostIommuDeviceIommufd *self, guint32 pt_id,
					  HiodHwptAllocFlags flags, guint32 data_type,
					  gconstpointer data, gsize data_len, guint32 *hwpt_id,
					  GError **error)
{
	HiodHostIommuDeviceIommufdPrivate *priv;
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), FALSE);
	priv = GET_PRIVATE(self);
	if (!hiod_host_iommu_device_iommufd_check(self, error))
		return FALSE;
	return hiod_iommufd_backend_alloc_hwpt(priv->backend, priv->devid, pt_id, flags, data_type,
					       data, data_len, hwpt_id, error);
}

/**
 * hiod_host_iommu_device_iommufd_invalidate_cache:
 * @self: a realized #HiodHostIommuDeviceIommufd
 * @hwpt_id: a nested HWPT
 * @data_type: the vendor's IOMMU_HWPT_INVALIDATE_DATA_* type
 * @entry_len: bytes of one entry
 * @entry_num: (inout): entries in @data; on return, how many were handled
 * @data: (nullable): the entries
 * @error: return location for a #GError
 *
 * Flushes the physical IOMMU's caches of a stage-1 table.
 *
 * Returns: %TRUE when every entry was handled
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_iommufd_invalidate_cache(HiodHostIommuDeviceIommufd *self, guint32 hwpt_id,
						guint32 data_type, guint32 entry_len,
						guint32 *entry_num, gconstpointer data,
						GError **error)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self), FALSE);
	if (!hiod_host_iommu_device_iommufd_check(self, error))
		return FALSE;
	return hiod_iommufd_backend_invalidate_cache(GET_PRIVATE(self)->backend, hwpt_id, data_type,
						     entry_len, entry_num, data, error);
}

/*
 * hiod_host_iommu_device_iommufd_set_ids: (protected, hiod-backend-private.h)
 * @self: a #HiodHostIommuDeviceIommufd
 * @backend: (nullable): the iommufd backend the device is bound to
 * @devid: the device object id
 * @hwpt_id: the HWPT the device is attached to
 *
 * For subclasses, inside realize (or unrealize, with %NULL and zeroes).
 *
 * Since: 0.1
 */
void
hiod_host_iommu_device_iommufd_set_ids(HiodHostIommuDeviceIommufd *self,
				       HiodIommufdBackend *backend, guint32 devid, guint32 hwpt_id)
{
	HiodHostIommuDeviceIommufdPrivate *priv;
	g_return_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD(self));
	priv = GET_PRIVATE(self);
	g_set_object(&priv->backend, backend);
	priv->devid = devid;
	priv->hwpt_id = hwpt_id;
	if (backend == NULL) /* unbound: the kernel detached every PASID */
		g_hash_table_remove_all(priv->pasids);
}

static void
hiod_host_iommu_device_iommufd_add_json(HiodHostIommuDevice *device, JsonBuilder *builder)
{
	HiodHostIommuDeviceIommufdPrivate *priv =
	    GET_PRIVATE(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(device));
	hiod_json_add_int(builder, "devid", priv->devid);
	hiod_json_add_int(builder, "hwpt_id", priv->hwpt_id);
	if (priv->backend != NULL && hiod_iommufd_backend_get_fd(priv->backend) >= 0) {
		/* what the running kernel's iommufd offers a vIOMMU (asked, nothing made) */
		g_autoptr(GError) error = NULL;
		HiodIommufdFeatures f = hiod_iommufd_backend_probe_features(priv->backend, &error);
		if (error == NULL)
			hiod_json_add_flags(builder, "iommufd_features", HIOD_TYPE_IOMMUFD_FEATURES, f);
	}
	if (g_hash_table_size(priv->pasids) > 0) {
		GHashTableIter it;
		gpointer k, v;
		json_builder_set_member_name(builder, "pasids");
		json_builder_begin_object(builder);
		g_hash_table_iter_init(&it, priv->pasids);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			g_autofree gchar *key = g_strdup_printf("%u", GPOINTER_TO_UINT(k));
			hiod_json_add_int(builder, key, GPOINTER_TO_UINT(v));
		}
		json_builder_end_object(builder);
	}
}

static void
hiod_host_iommu_device_iommufd_unrealize(HiodHostIommuDevice *device)
{
	hiod_host_iommu_device_iommufd_set_ids(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(device), NULL, 0, 0);
}

static void
hiod_host_iommu_device_iommufd_init(HiodHostIommuDeviceIommufd *self)
{
	GET_PRIVATE(self)->pasids = g_hash_table_new(NULL, NULL);
}

static void
hiod_host_iommu_device_iommufd_dispose(GObject *object)
{
	HiodHostIommuDeviceIommufdPrivate *priv =
	    GET_PRIVATE(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(object));
	G_OBJECT_CLASS(hiod_host_iommu_device_iommufd_parent_class)->dispose(object);
	g_clear_object(&priv->backend);
}

static void
hiod_host_iommu_device_iommufd_finalize(GObject *object)
{
	g_hash_table_unref(GET_PRIVATE(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(object))->pasids);
	G_OBJECT_CLASS(hiod_host_iommu_device_iommufd_parent_class)->finalize(object);
}

static void
hiod_host_iommu_device_iommufd_class_init(HiodHostIommuDeviceIommufdClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodHostIommuDeviceClass *hiod_class = HIOD_HOST_IOMMU_DEVICE_CLASS(klass);
	object_class->dispose = hiod_host_iommu_device_iommufd_dispose;
	object_class->finalize = hiod_host_iommu_device_iommufd_finalize;
	hiod_class->add_json = hiod_host_iommu_device_iommufd_add_json;
	hiod_class->unrealize = hiod_host_iommu_device_iommufd_unrealize;
}

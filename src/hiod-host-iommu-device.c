/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device.h"
#include "hiod-json-private.h"

/**
 * HiodHostIommuDevice:
 *
 * An assigned device as seen by the physical IOMMU that protects it (QEMU's
 * HostIOMMUDevice). Abstract: one subclass per way of reaching the host
 * IOMMU (legacy VFIO container, iommufd, vDPA).
 *
 * The object is made first and realized after the device has been attached
 * (so that a nesting-parent page table, when a vIOMMU asks for one, exists
 * before the capabilities are read). hiod_host_iommu_device_realize() is
 * idempotent; a failed realize leaves the object unrealized and without caps.
 * Once realized, the caps are an immutable #HiodHostIommuCaps value.
 *
 * Threads: realize and unrealize from one thread, with the agent device's
 * other calls. Once realized, the caps and the IOVA ranges and page-size mask
 * may be read from any thread, also while other threads map into the
 * container and other devices join or leave it (the ranges are read from the
 * container under its lock).
 *
 * Since: 0.1
 */

typedef struct {
	gchar *name;
	HiodAssignedDevice *agent; /* weak: the agent owns us, not the reverse */
	HiodHostIommuCaps *caps;
	gboolean realized;
	gboolean realizing;
} HiodHostIommuDevicePrivate;

enum {
	PROP_0,
	PROP_NAME,
	PROP_REALIZED,
	N_PROPS,
};
static GParamSpec *props[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(HiodHostIommuDevice, hiod_host_iommu_device, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((HiodHostIommuDevicePrivate *)hiod_host_iommu_device_get_instance_private(o))

static void
hiod_host_iommu_device_set_agent(HiodHostIommuDevice *self, HiodAssignedDevice *agent)
{
	HiodHostIommuDevicePrivate *priv = GET_PRIVATE(self);
	if (priv->agent != NULL)
		g_object_remove_weak_pointer(G_OBJECT(priv->agent), (gpointer *)&priv->agent);
	priv->agent = agent;
	if (priv->agent != NULL)
		g_object_add_weak_pointer(G_OBJECT(priv->agent), (gpointer *)&priv->agent);
}

/**
 * hiod_host_iommu_device_realize:
 * @self: a #HiodHostIommuDevice
 * @agent: the assigned device that @self stands for
 * @error: return location for a #GError
 *
 * Runs the class's mandatory realize step. Calling it again with the same
 * agent once realized does nothing and succeeds; with another agent it fails
 * with %HIOD_ERROR_INVALID_STATE. When realize fails, @self stays unrealized
 * and keeps no caps.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_realize(HiodHostIommuDevice *self, HiodAssignedDevice *agent, GError **error)
{
	HiodHostIommuDeviceClass *klass;
	HiodHostIommuDevicePrivate *priv;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	priv = GET_PRIVATE(self);
	klass = HIOD_HOST_IOMMU_DEVICE_GET_CLASS(self);

	if (agent == NULL || !HIOD_IS_ASSIGNED_DEVICE(agent)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "realize needs the assigned device it stands for (agent)");
		return FALSE;
	}
	if (priv->realized) {
		if (priv->agent == agent)
			return TRUE;
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s is already realized for %s, not %s", G_OBJECT_TYPE_NAME(self),
			    priv->name, hiod_assigned_device_get_name(agent));
		return FALSE;
	}
	if (priv->realizing) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s: realize called from inside realize", G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	if (klass->realize == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s does not implement realize, which is mandatory",
			    G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}

	priv->realizing = TRUE;
	hiod_host_iommu_device_set_agent(self, agent);
	if (priv->name == NULL)
		priv->name = g_strdup(hiod_assigned_device_get_name(agent));
	if (!klass->realize(self, agent, &error_local)) {
		priv->realizing = FALSE;
		/* undo: a failed realize leaves nothing recorded */
		g_clear_pointer(&priv->caps, hiod_host_iommu_caps_unref);
		hiod_host_iommu_device_set_agent(self, NULL);
		if (error_local == NULL)
			g_set_error(&error_local, HIOD_ERROR, HIOD_ERROR_FAILED,
				    "%s failed to realize without saying why", G_OBJECT_TYPE_NAME(self));
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "realizing %s for %s: ",
					   G_OBJECT_TYPE_NAME(self), hiod_assigned_device_get_name(agent));
		return FALSE;
	}
	priv->realizing = FALSE;
	if (priv->caps == NULL) {
		/* a subclass that learns nothing still yields a (unknown) caps value */
		priv->caps = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_UNKNOWN, 0, 64, 0, 0, NULL);
	}
	priv->realized = TRUE;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_REALIZED]);
	return TRUE;
}

/**
 * hiod_host_iommu_device_unrealize:
 * @self: a #HiodHostIommuDevice
 *
 * Undoes realize: drops the caps and the agent. Does nothing when @self is
 * not realized.
 *
 * Since: 0.1
 */
void
hiod_host_iommu_device_unrealize(HiodHostIommuDevice *self)
{
	HiodHostIommuDeviceClass *klass;
	HiodHostIommuDevicePrivate *priv;

	g_return_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self));
	priv = GET_PRIVATE(self);
	klass = HIOD_HOST_IOMMU_DEVICE_GET_CLASS(self);
	if (!priv->realized)
		return;
	if (klass->unrealize != NULL)
		klass->unrealize(self);
	g_clear_pointer(&priv->caps, hiod_host_iommu_caps_unref);
	hiod_host_iommu_device_set_agent(self, NULL);
	priv->realized = FALSE;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_REALIZED]);
}

/**
 * hiod_host_iommu_device_is_realized:
 * @self: a #HiodHostIommuDevice
 *
 * Tells whether realize succeeded.
 *
 * Returns: whether realize succeeded
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_is_realized(HiodHostIommuDevice *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self), FALSE);
	return GET_PRIVATE(self)->realized;
}

/**
 * hiod_host_iommu_device_get_name:
 * @self: a #HiodHostIommuDevice
 *
 * Gets the name (by default the agent's, set at realize).
 *
 * Returns: (nullable): the name (by default the agent's, set at realize)
 *
 * Since: 0.1
 */
const gchar *
hiod_host_iommu_device_get_name(HiodHostIommuDevice *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self), NULL);
	return GET_PRIVATE(self)->name;
}

/**
 * hiod_host_iommu_device_get_agent:
 * @self: a #HiodHostIommuDevice
 *
 * Gets the assigned device, while realized.
 *
 * Returns: (transfer none) (nullable): the assigned device, while realized
 *
 * Since: 0.1
 */
HiodAssignedDevice *
hiod_host_iommu_device_get_agent(HiodHostIommuDevice *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self), NULL);
	return GET_PRIVATE(self)->agent;
}

/**
 * hiod_host_iommu_device_get_caps:
 * @self: a #HiodHostIommuDevice
 *
 * Gets the immutable caps, %NULL until realized.
 *
 * Returns: (transfer none) (nullable): the immutable caps, %NULL until realized
 *
 * Since: 0.1
 */
HiodHostIommuCaps *
hiod_host_iommu_device_get_caps(HiodHostIommuDevice *self)
{
	HiodHostIommuDevicePrivate *priv;
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self), NULL);
	priv = GET_PRIVATE(self);
	return priv->realized ? priv->caps : NULL;
}

/*
 * hiod_host_iommu_device_set_caps: (protected, hiod-backend-private.h)
 * @self: a #HiodHostIommuDevice
 * @caps: the caps learned by realize
 *
 * For subclasses, from inside their realize: records the capabilities. Once
 * realized the caps cannot change; a call outside realize is refused.
 *
 * Since: 0.1
 */
void
hiod_host_iommu_device_set_caps(HiodHostIommuDevice *self, HiodHostIommuCaps *caps)
{
	HiodHostIommuDevicePrivate *priv;
	g_return_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self));
	g_return_if_fail(caps != NULL);
	priv = GET_PRIVATE(self);
	g_return_if_fail(priv->realizing);
	g_clear_pointer(&priv->caps, hiod_host_iommu_caps_unref);
	priv->caps = hiod_host_iommu_caps_ref(caps);
}

static gboolean
hiod_host_iommu_device_check_realized(HiodHostIommuDevice *self, const gchar *what, GError **error)
{
	if (GET_PRIVATE(self)->realized)
		return TRUE;
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE, "%s: %s needs a realized device",
		    G_OBJECT_TYPE_NAME(self), what);
	return FALSE;
}

/**
 * hiod_host_iommu_device_get_iova_ranges:
 * @self: a realized #HiodHostIommuDevice
 * @error: return location for a #GError
 *
 * Gets the host-usable IOVA ranges, sorted, or %NULL with %HIOD_ERROR_NOT_SUPPORTED when the class cannot tell.
 *
 * Returns: (transfer container) (element-type HiodIovaRange): the host-usable IOVA
 * ranges, sorted, or %NULL with %HIOD_ERROR_NOT_SUPPORTED when the class
 * cannot tell
 *
 * Since: 0.1
 */
GPtrArray *
hiod_host_iommu_device_get_iova_ranges(HiodHostIommuDevice *self, GError **error)
{
	HiodHostIommuDeviceClass *klass;
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	klass = HIOD_HOST_IOMMU_DEVICE_GET_CLASS(self);
	if (!hiod_host_iommu_device_check_realized(self, "get_iova_ranges", error))
		return NULL;
	if (klass->get_iova_ranges == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s does not report IOVA ranges", G_OBJECT_TYPE_NAME(self));
		return NULL;
	}
	return klass->get_iova_ranges(self, error);
}

/**
 * hiod_host_iommu_device_get_page_size_mask:
 * @self: a realized #HiodHostIommuDevice
 * @mask: (out): the bitmap of supported IOMMU page sizes
 * @error: return location for a #GError
 *
 * Gets %TRUE on success; %HIOD_ERROR_NOT_SUPPORTED when the class cannot tell.
 *
 * Returns: %TRUE on success; %HIOD_ERROR_NOT_SUPPORTED when the class cannot tell
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_device_get_page_size_mask(HiodHostIommuDevice *self, guint64 *mask, GError **error)
{
	HiodHostIommuDeviceClass *klass;
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	klass = HIOD_HOST_IOMMU_DEVICE_GET_CLASS(self);
	if (mask == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "get_page_size_mask needs somewhere to store the mask");
		return FALSE;
	}
	if (!hiod_host_iommu_device_check_realized(self, "get_page_size_mask", error))
		return FALSE;
	if (klass->get_page_size_mask == NULL) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "%s does not report page sizes", G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	return klass->get_page_size_mask(self, mask, error);
}

/**
 * hiod_host_iommu_device_to_json:
 * @self: a #HiodHostIommuDevice
 * @builder: a #JsonBuilder
 *
 * Adds the host IOMMU device as a JSON object: kind, name, realized, caps,
 * iova_ranges, page_size_mask and the subclass's own members.
 *
 * Since: 0.1
 */
void
hiod_host_iommu_device_to_json(HiodHostIommuDevice *self, JsonBuilder *builder)
{
	HiodHostIommuDeviceClass *klass = HIOD_HOST_IOMMU_DEVICE_GET_CLASS(self);
	HiodHostIommuDevicePrivate *priv = GET_PRIVATE(self);
	g_autoptr(GPtrArray) ranges = NULL;
	guint64 mask = 0;

	json_builder_begin_object(builder);
	hiod_json_add_string(builder, "kind", G_OBJECT_TYPE_NAME(self));
	hiod_json_add_string(builder, "name", priv->name);
	hiod_json_add_bool(builder, "realized", priv->realized);
	if (priv->realized) {
		json_builder_set_member_name(builder, "caps");
		hiod_host_iommu_caps_to_json(priv->caps, builder);
		ranges = hiod_host_iommu_device_get_iova_ranges(self, NULL);
		if (ranges != NULL) {
			json_builder_set_member_name(builder, "iova_ranges");
			json_builder_begin_array(builder);
			for (guint i = 0; i < ranges->len; i++)
				hiod_iova_range_to_json(g_ptr_array_index(ranges, i), builder);
			json_builder_end_array(builder);
		}
		if (hiod_host_iommu_device_get_page_size_mask(self, &mask, NULL))
			hiod_json_add_hex(builder, "page_size_mask", mask);
	}
	if (klass->add_json != NULL)
		klass->add_json(self, builder);
	json_builder_end_object(builder);
}

static void
hiod_host_iommu_device_get_property(GObject *object, guint prop_id, GValue *value,
				    GParamSpec *pspec)
{
	HiodHostIommuDevice *self = HIOD_HOST_IOMMU_DEVICE(object);
	HiodHostIommuDevicePrivate *priv = GET_PRIVATE(self);
	switch (prop_id) {
	case PROP_NAME:
		g_value_set_string(value, priv->name);
		break;
	case PROP_REALIZED:
		g_value_set_boolean(value, priv->realized);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_host_iommu_device_set_property(GObject *object, guint prop_id, const GValue *value,
				    GParamSpec *pspec)
{
	HiodHostIommuDevice *self = HIOD_HOST_IOMMU_DEVICE(object);
	HiodHostIommuDevicePrivate *priv = GET_PRIVATE(self);
	switch (prop_id) {
	case PROP_NAME:
		g_free(priv->name);
		priv->name = g_value_dup_string(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_host_iommu_device_init(HiodHostIommuDevice *self)
{
}

static void
hiod_host_iommu_device_dispose(GObject *object)
{
	HiodHostIommuDevice *self = HIOD_HOST_IOMMU_DEVICE(object);
	hiod_host_iommu_device_unrealize(self);
	hiod_host_iommu_device_set_agent(self, NULL);
	G_OBJECT_CLASS(hiod_host_iommu_device_parent_class)->dispose(object);
}

static void
hiod_host_iommu_device_finalize(GObject *object)
{
	HiodHostIommuDevicePrivate *priv = GET_PRIVATE(HIOD_HOST_IOMMU_DEVICE(object));
	g_clear_pointer(&priv->caps, hiod_host_iommu_caps_unref);
	g_free(priv->name);
	G_OBJECT_CLASS(hiod_host_iommu_device_parent_class)->finalize(object);
}

static void
hiod_host_iommu_device_class_init(HiodHostIommuDeviceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = hiod_host_iommu_device_get_property;
	object_class->set_property = hiod_host_iommu_device_set_property;
	object_class->dispose = hiod_host_iommu_device_dispose;
	object_class->finalize = hiod_host_iommu_device_finalize;

	/**
	 * HiodHostIommuDevice:name:
	 *
	 * The device's name; defaults to the agent's name at realize.
	 *
	 * Since: 0.1
	 */
	props[PROP_NAME] = g_param_spec_string("name", NULL, NULL, NULL,
					       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
						   G_PARAM_STATIC_STRINGS);
	/**
	 * HiodHostIommuDevice:realized:
	 *
	 * Whether realize succeeded.
	 *
	 * Since: 0.1
	 */
	props[PROP_REALIZED] = g_param_spec_boolean("realized", NULL, NULL, FALSE,
						    G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
							G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdarg.h>

#include "hiod-context-private.h"
#include "hiod-error.h"
#include "hiod-kernel-private.h"

/**
 * HiodContext:
 *
 * Where libhiod meets the host: the roots that /sys and /dev are resolved
 * against, and the kernel chokepoint through which every call on a device
 * node goes. Every other hiod object is made with a context; there is no
 * process-global state, so several contexts (and the containers, address
 * spaces and devices made from them) coexist in one process.
 *
 * The roots are "/sys" and "/dev" unless hiod_context_new_with_roots() names
 * others (tests point them at a sysfs snapshot). They are never taken from
 * the environment: a privileged process must not have its sysfs writes
 * redirected by whoever set its environment.
 *
 * Threads: a context may be used from any thread: its roots are fixed when
 * it is made, and the chokepoint's fd count and fault-injection state are
 * locked. The objects made with it keep their own rules.
 *
 * Since: 0.1
 */

enum {
	PROP_0,
	PROP_SYSFS_ROOT,
	PROP_DEV_ROOT,
	N_PROPS,
};
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE(HiodContext, hiod_context, G_TYPE_OBJECT)

/**
 * hiod_context_new:
 *
 * Makes a context on the host's own /sys and /dev (whatever the environment
 * says).
 *
 * Returns: (transfer full): a new #HiodContext
 *
 * Since: 0.1
 */
HiodContext *
hiod_context_new(void)
{
	return g_object_new(HIOD_TYPE_CONTEXT, NULL);
}

/**
 * hiod_context_new_with_roots:
 * @sysfs_root: (nullable): the directory that stands for /sys
 * @dev_root: (nullable): the directory that stands for /dev
 *
 * Returns a new #HiodContext.
 *
 * Returns: (transfer full): a new #HiodContext
 *
 * Since: 0.1
 */
HiodContext *
hiod_context_new_with_roots(const gchar *sysfs_root, const gchar *dev_root)
{
	return g_object_new(HIOD_TYPE_CONTEXT, "sysfs-root", sysfs_root, "dev-root", dev_root,
			    NULL);
}

/**
 * hiod_context_get_sysfs_root:
 * @self: a #HiodContext
 *
 * Gets the directory that stands for /sys.
 *
 * Returns: the directory that stands for /sys
 *
 * Since: 0.1
 */
const gchar *
hiod_context_get_sysfs_root(HiodContext *self)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(self), NULL);
	return self->sysfs_root;
}

/**
 * hiod_context_get_dev_root:
 * @self: a #HiodContext
 *
 * Gets the directory that stands for /dev.
 *
 * Returns: the directory that stands for /dev
 *
 * Since: 0.1
 */
const gchar *
hiod_context_get_dev_root(HiodContext *self)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(self), NULL);
	return self->dev_root;
}

static gchar *
hiod_context_build_valist(const gchar *root, const gchar *first, va_list args)
{
	g_autoptr(GPtrArray) parts = g_ptr_array_new();
	g_ptr_array_add(parts, (gpointer)root);
	for (const gchar *p = first; p != NULL; p = va_arg(args, const gchar *))
		g_ptr_array_add(parts, (gpointer)p);
	g_ptr_array_add(parts, NULL);
	return g_build_filenamev((gchar **)parts->pdata);
}

/**
 * hiod_context_build_sysfs_path:
 * @self: a #HiodContext
 * @first: the first element below /sys
 * @...: more elements, ending with %NULL
 *
 * Returns the path below the sysfs root.
 *
 * Returns: (transfer full): the path below the sysfs root
 *
 * Since: 0.1
 */
gchar *
hiod_context_build_sysfs_path(HiodContext *self, const gchar *first, ...)
{
	va_list args;
	gchar *path;
	g_return_val_if_fail(HIOD_IS_CONTEXT(self), NULL);
	va_start(args, first);
	path = hiod_context_build_valist(self->sysfs_root, first, args);
	va_end(args);
	return path;
}

/**
 * hiod_context_build_dev_path:
 * @self: a #HiodContext
 * @first: the first element below /dev
 * @...: more elements, ending with %NULL
 *
 * Returns the path below the dev root.
 *
 * Returns: (transfer full): the path below the dev root
 *
 * Since: 0.1
 */
gchar *
hiod_context_build_dev_path(HiodContext *self, const gchar *first, ...)
{
	va_list args;
	gchar *path;
	g_return_val_if_fail(HIOD_IS_CONTEXT(self), NULL);
	va_start(args, first);
	path = hiod_context_build_valist(self->dev_root, first, args);
	va_end(args);
	return path;
}

/**
 * hiod_context_has_iommufd:
 * @self: a #HiodContext
 *
 * Tells whether the host has /dev/iommu (CONFIG_IOMMUFD).
 *
 * Returns: whether the host has /dev/iommu (CONFIG_IOMMUFD)
 *
 * Since: 0.1
 */
gboolean
hiod_context_has_iommufd(HiodContext *self)
{
	g_autofree gchar *path = hiod_context_build_dev_path(self, "iommu", NULL);
	return g_file_test(path, G_FILE_TEST_EXISTS);
}

/**
 * hiod_context_has_vfio_container:
 * @self: a #HiodContext
 *
 * Tells whether the host has the legacy VFIO container /dev/vfio/vfio.
 *
 * Returns: whether the host has the legacy VFIO container /dev/vfio/vfio
 *
 * Since: 0.1
 */
gboolean
hiod_context_has_vfio_container(HiodContext *self)
{
	g_autofree gchar *path = hiod_context_build_dev_path(self, "vfio", "vfio", NULL);
	return g_file_test(path, G_FILE_TEST_EXISTS);
}

/**
 * hiod_context_get_open_fd_count:
 * @self: a #HiodContext
 *
 * The number of file descriptors that objects of this context hold open
 * through the kernel chokepoint. Tests use it to prove that a failed
 * operation left nothing behind.
 *
 * Returns: the number of open fds
 *
 * Since: 0.1
 */
guint
hiod_context_get_open_fd_count(HiodContext *self)
{
	g_return_val_if_fail(HIOD_IS_CONTEXT(self), 0);
	return hiod_kernel_get_open_fd_count(self->kernel);
}

HiodKernel *
hiod_context_get_kernel(HiodContext *self)
{
	return self->kernel;
}

static void
hiod_context_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	HiodContext *self = HIOD_CONTEXT(object);
	switch (prop_id) {
	case PROP_SYSFS_ROOT:
		g_value_set_string(value, self->sysfs_root);
		break;
	case PROP_DEV_ROOT:
		g_value_set_string(value, self->dev_root);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_context_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	HiodContext *self = HIOD_CONTEXT(object);
	switch (prop_id) {
	case PROP_SYSFS_ROOT:
		g_free(self->sysfs_root);
		self->sysfs_root = g_strdup(g_value_get_string(value) != NULL ? g_value_get_string(value)
										: "/sys");
		break;
	case PROP_DEV_ROOT:
		g_free(self->dev_root);
		self->dev_root = g_strdup(g_value_get_string(value) != NULL ? g_value_get_string(value)
									      : "/dev");
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_context_init(HiodContext *self)
{
	self->kernel = hiod_kernel_new();
}

static void
hiod_context_finalize(GObject *object)
{
	HiodContext *self = HIOD_CONTEXT(object);
	guint open_fds = hiod_kernel_get_open_fd_count(self->kernel);
	if (open_fds > 0)
		g_debug("context finalized with %u fds still open", open_fds);
	hiod_kernel_free(self->kernel);
	g_free(self->sysfs_root);
	g_free(self->dev_root);
	G_OBJECT_CLASS(hiod_context_parent_class)->finalize(object);
}

static void
hiod_context_class_init(HiodContextClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = hiod_context_get_property;
	object_class->set_property = hiod_context_set_property;
	object_class->finalize = hiod_context_finalize;

	/**
	 * HiodContext:sysfs-root:
	 *
	 * The directory that stands for /sys.
	 *
	 * Since: 0.1
	 */
	props[PROP_SYSFS_ROOT] = g_param_spec_string(
	    "sysfs-root", NULL, NULL, NULL,
	    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	/**
	 * HiodContext:dev-root:
	 *
	 * The directory that stands for /dev.
	 *
	 * Since: 0.1
	 */
	props[PROP_DEV_ROOT] = g_param_spec_string(
	    "dev-root", NULL, NULL, NULL,
	    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

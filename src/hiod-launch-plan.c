/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "hiod-address-space.h"
#include "hiod-error.h"
#include "hiod-json-private.h"
#include "hiod-kernel-private.h"
#include "hiod-sysfs-private.h"
#include "hiod-launch-plan.h"
#include "hiod-pci-device-info.h"
#include "hiod-pci-topology.h"
#include "hiod-vfio-device.h"
#include "hiod-viommu-verdict.h"
#include "hiod-viommu.h"

/**
 * HiodLaunchPlan:
 *
 * Devices opened and checked by a privileged manager, to be handed to a VMM
 * that runs without privilege (what libvirt, kata and kubevirt do for QEMU).
 *
 * hiod_launch_plan_new() checks each device as the VMM would use it: it
 * exists and is bound to vfio-pci, its IOMMU group is viable (every device of
 * the group bound to vfio-pci or to no driver) and it attaches through the
 * chosen backend, and when a vIOMMU spec is given the vIOMMU's policy accepts
 * it on this host (hiod_pci_topology_check_device()). Every check is undone
 * before it returns. Then:
 *
 * - iommufd backend: the plan opens /dev/iommu and each device's VFIO cdev,
 *   unbound, so that the VMM binds them itself (QEMU:
 *   `-object iommufd,fd=` and `-device vfio-pci,fd=,iommufd=`).
 * - legacy (type1) backend: QEMU cannot take type1 fds (its vfio-pci `fd=`
 *   is refused without an iommufd object; it opens /dev/vfio/GROUP by path),
 *   so the plan gives the unprivileged user the group nodes instead, as
 *   libvirt does: hiod_launch_plan_grant() changes each /dev/vfio/GROUP to
 *   the user (mode 0600) and remembers the previous owner for
 *   hiod_launch_plan_revoke(). The VMM gets `-device vfio-pci,host=`.
 *
 * The plan's own fds are close-on-exec and stay so: hiod_launch_plan_export()
 * makes duplicates without close-on-exec (numbered from 3 up) and returns the
 * VMM arguments that name them. A process that then execs the VMM hands it
 * exactly those fds.
 *
 * Nothing is left behind by a failed call: no fd, no attach, no change of
 * owner.
 *
 * Threads: a plan is used from one thread at a time.
 *
 * Since: 0.1
 */

#define HIOD_LAUNCH_IOMMUFD_ID "hiod-iommufd0"
/* libvirt's rule for VFIO: the guest's memory plus 1 GiB (ROMs, MMIO mapped for p2p) */
#define HIOD_LAUNCH_MEMLOCK_EXTRA (G_GUINT64_CONSTANT(1) << 30)
/* QEMU's default -m */
#define HIOD_LAUNCH_QEMU_DEFAULT_MEMORY (G_GUINT64_CONSTANT(128) << 20)

typedef struct {
	gchar *name;
	gint group_id;
	gchar *cdev;
	gint fd;       /* iommufd: the unbound cdev, close-on-exec */
	gint child_fd; /* its inheritable duplicate, after export */
	gchar *verdict_viommu;
} HiodLaunchDevice;

typedef struct {
	gchar *node;
	guint uid, gid, mode; /* before the grant */
} HiodLaunchGrant;

struct _HiodLaunchPlan {
	GObject parent_instance;
	HiodContext *ctx;
	HiodBackendKind kind;
	gchar *viommu_spec;
	GArray *devices; /* HiodLaunchDevice */
	gint iommufd;
	gint child_iommufd;
	GArray *grants; /* HiodLaunchGrant */
	guint grant_uid, grant_gid;
	GStrv args;	/* after export */
};

G_DEFINE_TYPE(HiodLaunchPlan, hiod_launch_plan, G_TYPE_OBJECT)

static void
hiod_launch_device_clear(HiodLaunchDevice *d)
{
	g_free(d->name);
	g_free(d->cdev);
	g_free(d->verdict_viommu);
}

static void
hiod_launch_grant_clear(HiodLaunchGrant *g)
{
	g_free(g->node);
}

static HiodLaunchDevice *
hiod_launch_plan_device(HiodLaunchPlan *self, guint index)
{
	return &g_array_index(self->devices, HiodLaunchDevice, index);
}

/* every vIOMMU check, with the policy of @spec on each device's root bus */
static gboolean
hiod_launch_plan_check_viommu(HiodLaunchPlan *self, GPtrArray *devices, HiodBackendKind kind,
			      GError **error)
{
	g_autoptr(HiodViommu) viommu = hiod_viommu_new_from_spec(self->viommu_spec, error);
	g_autoptr(HiodPciTopology) topo = NULL;
	g_autoptr(GHashTable) buses = g_hash_table_new(g_direct_hash, g_direct_equal);

	if (viommu == NULL) {
		g_prefix_error(error, "vIOMMU spec '%s': ", self->viommu_spec);
		return FALSE;
	}
	topo = hiod_pci_topology_new_from_sysfs(self->ctx, error);
	if (topo == NULL)
		return FALSE;
	for (guint i = 0; i < devices->len; i++) {
		HiodVfioDevice *device = g_ptr_array_index(devices, i);
		const gchar *name = hiod_vfio_device_get_name(device);
		g_autoptr(HiodViommuVerdict) verdict = NULL;
		guint domain = 0, bus = 0;
		gpointer key;

		if (!hiod_pci_topology_get_root_bus(topo, name, &domain, &bus, error))
			return FALSE;
		key = GUINT_TO_POINTER((domain << 8) | bus);
		if (!g_hash_table_contains(buses, key)) {
			if (!hiod_pci_topology_set_viommu(topo, domain, bus, viommu, error))
				return FALSE;
			g_hash_table_add(buses, key);
		}
		verdict = hiod_pci_topology_check_device(topo, device, kind, error);
		if (verdict == NULL) {
			g_prefix_error(error, "checking %s behind %s: ", name, self->viommu_spec);
			return FALSE;
		}
		if (!hiod_viommu_verdict_is_compatible(verdict)) {
			g_autofree gchar *reasons = hiod_viommu_verdict_get_reasons_text(verdict);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE,
				    "%s behind %s: %s refuses the device: %s; change the vIOMMU "
				    "(hiodctl check %s --viommu SPEC shows the settings that work) "
				    "or leave the device out",
				    name, self->viommu_spec, hiod_viommu_verdict_get_viommu(verdict),
				    reasons, name);
			return FALSE;
		}
		hiod_launch_plan_device(self, i)->verdict_viommu = g_strdup(self->viommu_spec);
	}
	return TRUE;
}

/* attaches every device through one address space as the VMM will, then detaches */
static gboolean
hiod_launch_plan_check_attach(HiodLaunchPlan *self, GPtrArray *devices, GError **error)
{
	g_autoptr(HiodAddressSpace) space = hiod_address_space_new(self->ctx);
	gboolean ok = TRUE;
	guint attached = 0;

	for (; attached < devices->len; attached++) {
		HiodVfioDevice *device = g_ptr_array_index(devices, attached);
		if (hiod_address_space_attach_device(space, device, self->kind, 0, error) == NULL) {
			g_prefix_error(error, "attaching %s through the %s backend: ",
				       hiod_vfio_device_get_name(device),
				       hiod_backend_kind_to_string(self->kind));
			ok = FALSE;
			break;
		}
	}
	while (attached-- > 0)
		hiod_address_space_detach_device(space, g_ptr_array_index(devices, attached));
	return ok;
}

static gboolean
hiod_launch_plan_open_iommufd(HiodLaunchPlan *self, GError **error)
{
	g_autofree gchar *path = hiod_context_build_dev_path(self->ctx, "iommu", NULL);
	self->iommufd = hiod_kernel_open(self->ctx, path, O_RDWR, error);
	if (self->iommufd < 0)
		return FALSE;
	for (guint i = 0; i < self->devices->len; i++) {
		HiodLaunchDevice *d = hiod_launch_plan_device(self, i);
		d->fd = hiod_kernel_open(self->ctx, d->cdev, O_RDWR, error);
		if (d->fd < 0) {
			g_prefix_error(error, "%s: ", d->name);
			return FALSE;
		}
	}
	return TRUE;
}

/* Whether a driver of another device in the group leaves it usable by a VMM:
 * none, vfio-pci or a VFIO variant driver (..._vfio_pci), pci-stub (VFIO
 * allows it), pcieport (it leaves DMA ownership to the group's user). */
static gboolean
hiod_launch_driver_shares_group(const gchar *driver)
{
	return driver == NULL || g_strcmp0(driver, "vfio-pci") == 0 || g_str_has_suffix(driver, "vfio_pci") ||
	       g_str_has_suffix(driver, "vfio-pci") || g_strcmp0(driver, "pci-stub") == 0 ||
	       g_strcmp0(driver, "pcieport") == 0;
}

/* The group of @name is viable: every other device in it is bound to
 * vfio-pci or to no driver. Else why, naming the group, the device and what
 * to do (the kernel would only say EBUSY at the iommufd bind). */
static gboolean
hiod_launch_plan_check_group(HiodContext *ctx, const gchar *name, gint group_id, GError **error)
{
	g_autofree gchar *dir = g_strdup_printf("kernel/iommu_groups/%d/devices", group_id);
	g_autoptr(GPtrArray) members = NULL;
	g_autoptr(GError) local = NULL;

	if (group_id < 0)
		return TRUE;
	members = hiod_sysfs_list(ctx, dir, &local);
	if (members == NULL) {
		/* the attach check that follows asks the kernel itself */
		g_debug("%s: listing IOMMU group %d: %s", name, group_id, local->message);
		return TRUE;
	}
	for (guint i = 0; i < members->len; i++) {
		const gchar *other = g_ptr_array_index(members, i);
		g_autofree gchar *link = NULL;
		g_autofree gchar *driver = NULL;
		if (g_strcmp0(other, name) == 0)
			continue;
		link = g_build_filename("bus", "pci", "devices", other, "driver", NULL);
		driver = hiod_sysfs_read_link_name(ctx, link, NULL);
		if (hiod_launch_driver_shares_group(driver))
			continue;
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "%s cannot be handed over: its IOMMU group %d is not viable, since it also "
			    "holds %s, which is bound to %s (a host driver doing DMA through the group): "
			    "bind %s to vfio-pci too (hiodctl bind %s) and hand it over as well or leave it "
			    "unused, or unbind it from %s; nothing was opened",
			    name, group_id, other, driver, other, other, driver);
		return FALSE;
	}
	return TRUE;
}

/**
 * hiod_launch_plan_new:
 * @ctx: a #HiodContext
 * @devices: (array zero-terminated=1): PCI addresses (or sysfs paths) of the devices
 * @kind: the backend (%HIOD_BACKEND_KIND_AUTO: iommufd when the host and every
 *   device offer it, else legacy)
 * @viommu_spec: (nullable): the vIOMMU the VMM will put in front of the
 *   devices ("intel-iommu,aw-bits=48", "virtio-iommu"), to check them against
 * @error: return location for a #GError
 *
 * Checks the devices and opens what the VMM needs (see #HiodLaunchPlan).
 * Refusals say which device, why and what to do: not bound to vfio-pci
 * (%HIOD_ERROR_INVALID_STATE), a group that is not viable or is in use, a
 * vIOMMU that refuses the device (%HIOD_ERROR_INCOMPATIBLE), a backend the
 * host lacks (%HIOD_ERROR_NOT_SUPPORTED).
 *
 * Returns: (transfer full): a new #HiodLaunchPlan, or %NULL with nothing left open
 *
 * Since: 0.1
 */
HiodLaunchPlan *
hiod_launch_plan_new(HiodContext *ctx, const gchar *const *devices, HiodBackendKind kind,
		     const gchar *viommu_spec, GError **error)
{
	g_autoptr(HiodLaunchPlan) self = NULL;
	g_autoptr(GPtrArray) objs = g_ptr_array_new_with_free_func(g_object_unref);
	gboolean all_cdev = TRUE;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (devices == NULL || devices[0] == NULL) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "no device to hand over: name at least one PCI address (0000:00:04.0)");
		return NULL;
	}
	self = g_object_new(HIOD_TYPE_LAUNCH_PLAN, NULL);
	self->ctx = g_object_ref(ctx);
	self->viommu_spec = g_strdup(viommu_spec);
	for (guint i = 0; devices[i] != NULL; i++) {
		g_autoptr(HiodVfioDevice) device = hiod_vfio_device_new(ctx, devices[i], error);
		HiodPciDeviceInfo *info;
		HiodLaunchDevice d = {.fd = -1, .child_fd = -1};

		if (device == NULL)
			return NULL;
		info = hiod_vfio_device_get_info(device);
		for (guint j = 0; j < self->devices->len; j++) {
			if (g_strcmp0(hiod_launch_plan_device(self, j)->name,
				      hiod_vfio_device_get_name(device)) == 0) {
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
					    "%s is named twice: a device can be handed over once",
					    hiod_vfio_device_get_name(device));
				return NULL;
			}
		}
		if (!hiod_pci_device_info_is_vfio_bound(info)) {
			const gchar *driver = hiod_pci_device_info_get_driver(info);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "%s is bound to %s, not to vfio-pci: a VMM cannot use it; bind it "
				    "first (hiodctl bind %s)",
				    hiod_vfio_device_get_name(device), driver != NULL ? driver : "no driver",
				    hiod_vfio_device_get_name(device));
			return NULL;
		}
		if (!hiod_launch_plan_check_group(ctx, hiod_vfio_device_get_name(device),
						  hiod_vfio_device_get_group_id(device), error))
			return NULL;
		d.name = g_strdup(hiod_vfio_device_get_name(device));
		d.group_id = hiod_vfio_device_get_group_id(device);
		d.cdev = g_strdup(hiod_vfio_device_get_cdev_path(device));
		if (d.cdev == NULL)
			all_cdev = FALSE;
		g_array_append_val(self->devices, d);
		g_ptr_array_add(objs, g_steal_pointer(&device));
	}

	/* one backend for all: QEMU shares one iommufd object, or one container */
	if (kind == HIOD_BACKEND_KIND_AUTO)
		kind = all_cdev ? hiod_backend_kind_resolve(ctx, kind, g_ptr_array_index(objs, 0))
				: HIOD_BACKEND_KIND_LEGACY;
	if (kind != HIOD_BACKEND_KIND_LEGACY && kind != HIOD_BACKEND_KIND_IOMMUFD) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "devices are handed to a VMM through the legacy or the iommufd backend, "
			    "not %s: choose one of those", hiod_backend_kind_to_string(kind));
		return NULL;
	}
	self->kind = kind;
	for (guint i = 0; kind == HIOD_BACKEND_KIND_IOMMUFD && i < self->devices->len; i++) {
		if (hiod_launch_plan_device(self, i)->cdev == NULL) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "%s has no VFIO device cdev (/dev/vfio/devices), which the iommufd "
				    "hand-off needs: use --backend legacy, or a kernel with "
				    "CONFIG_VFIO_DEVICE_CDEV",
				    hiod_launch_plan_device(self, i)->name);
			return NULL;
		}
	}

	if (viommu_spec != NULL && !hiod_launch_plan_check_viommu(self, objs, kind, error))
		return NULL;
	if (!hiod_launch_plan_check_attach(self, objs, error))
		return NULL;

	if (kind == HIOD_BACKEND_KIND_IOMMUFD) {
		if (!hiod_launch_plan_open_iommufd(self, error))
			return NULL;
	} else {
		g_autofree gchar *container = hiod_context_build_dev_path(ctx, "vfio", "vfio", NULL);
		if (!g_file_test(container, G_FILE_TEST_EXISTS)) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "the legacy hand-off needs the VFIO container %s, which this host "
				    "lacks: use --backend iommufd", container);
			return NULL;
		}
	}
	return g_steal_pointer(&self);
}

/**
 * hiod_launch_plan_get_backend_kind:
 * @self: a #HiodLaunchPlan
 *
 * Which backend the plan hands the devices over with.
 *
 * Returns: the backend the devices are handed over with (legacy or iommufd)
 *
 * Since: 0.1
 */
HiodBackendKind
hiod_launch_plan_get_backend_kind(HiodLaunchPlan *self)
{
	g_return_val_if_fail(HIOD_IS_LAUNCH_PLAN(self), HIOD_BACKEND_KIND_AUTO);
	return self->kind;
}

/**
 * hiod_launch_plan_get_n_devices:
 * @self: a #HiodLaunchPlan
 *
 * How many devices the plan holds.
 *
 * Returns: the number of devices
 *
 * Since: 0.1
 */
guint
hiod_launch_plan_get_n_devices(HiodLaunchPlan *self)
{
	g_return_val_if_fail(HIOD_IS_LAUNCH_PLAN(self), 0);
	return self->devices->len;
}

/**
 * hiod_launch_plan_get_device:
 * @self: a #HiodLaunchPlan
 * @index: the device's index
 *
 * The PCI address of the device at @index, in the order given to
 * hiod_launch_plan_new().
 *
 * Returns: (nullable): the device's PCI address
 *
 * Since: 0.1
 */
const gchar *
hiod_launch_plan_get_device(HiodLaunchPlan *self, guint index)
{
	g_return_val_if_fail(HIOD_IS_LAUNCH_PLAN(self), NULL);
	if (index >= self->devices->len)
		return NULL;
	return hiod_launch_plan_device(self, index)->name;
}

/**
 * hiod_launch_plan_get_iommufd_fd:
 * @self: a #HiodLaunchPlan
 *
 * The /dev/iommu fd the plan opened for the VMM (iommufd only).
 *
 * Returns: the plan's /dev/iommu fd (close-on-exec; owned by the plan), -1 on legacy
 *
 * Since: 0.1
 */
gint
hiod_launch_plan_get_iommufd_fd(HiodLaunchPlan *self)
{
	g_return_val_if_fail(HIOD_IS_LAUNCH_PLAN(self), -1);
	return self->iommufd;
}

/**
 * hiod_launch_plan_get_device_fd:
 * @self: a #HiodLaunchPlan
 * @index: the device's index
 *
 * The VFIO cdev fd the plan opened for the device at @index (iommufd
 * only; unbound: the VMM binds it).
 *
 * Returns: the plan's fd of the device's unbound VFIO cdev (close-on-exec;
 *   owned by the plan), -1 on legacy
 *
 * Since: 0.1
 */
gint
hiod_launch_plan_get_device_fd(HiodLaunchPlan *self, guint index)
{
	g_return_val_if_fail(HIOD_IS_LAUNCH_PLAN(self), -1);
	if (index >= self->devices->len)
		return -1;
	return hiod_launch_plan_device(self, index)->fd;
}

/**
 * hiod_launch_plan_grant:
 * @self: a #HiodLaunchPlan
 * @uid: the user the VMM will run as
 * @gid: its group
 * @error: return location for a #GError
 *
 * Legacy backend: gives each device's group node (/dev/vfio/GROUP) to
 * @uid:@gid with mode 0600, so that the VMM can open it after dropping
 * privilege; the previous owners are kept for hiod_launch_plan_revoke(). The
 * change outlives the plan (the VMM needs it while it runs): the manager
 * revokes it when the VMM is gone. iommufd backend: nothing to do (the fds
 * carry the access).
 *
 * Returns: %TRUE on success; on failure no node is changed
 *
 * Since: 0.1
 */
gboolean
hiod_launch_plan_grant(HiodLaunchPlan *self, guint uid, guint gid, GError **error)
{
	g_return_val_if_fail(HIOD_IS_LAUNCH_PLAN(self), FALSE);
	if (self->kind != HIOD_BACKEND_KIND_LEGACY)
		return TRUE;
	if (self->grants->len > 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "the group nodes are already given to %u:%u: revoke first", self->grant_uid,
			    self->grant_gid);
		return FALSE;
	}
	for (guint i = 0; i < self->devices->len; i++) {
		HiodLaunchDevice *d = hiod_launch_plan_device(self, i);
		g_autofree gchar *id = g_strdup_printf("%d", d->group_id);
		g_autofree gchar *node = hiod_context_build_dev_path(self->ctx, "vfio", id, NULL);
		HiodLaunchGrant g = {0};
		GStatBuf st;
		gboolean seen = FALSE;

		for (guint j = 0; j < self->grants->len; j++)
			seen |= g_strcmp0(g_array_index(self->grants, HiodLaunchGrant, j).node, node) == 0;
		if (seen)
			continue;
		if (g_lstat(node, &st) < 0) {
			gint errsv = errno;
			hiod_kernel_set_error(error, errsv, "%s: its group node %s", d->name, node);
			hiod_launch_plan_revoke(self);
			return FALSE;
		}
		if (!hiod_kernel_chown(self->ctx, node, uid, gid, 0600, error)) {
			g_prefix_error(error, "%s: ", d->name);
			hiod_launch_plan_revoke(self);
			return FALSE;
		}
		g.node = g_steal_pointer(&node);
		g.uid = st.st_uid;
		g.gid = st.st_gid;
		g.mode = st.st_mode & 07777;
		g_array_append_val(self->grants, g);
	}
	self->grant_uid = uid;
	self->grant_gid = gid;
	return TRUE;
}

/**
 * hiod_launch_plan_revoke:
 * @self: a #HiodLaunchPlan
 *
 * Gives the group nodes that hiod_launch_plan_grant() changed back to their
 * previous owners and modes (best effort; failures are logged with g_debug).
 *
 * Since: 0.1
 */
void
hiod_launch_plan_revoke(HiodLaunchPlan *self)
{
	g_return_if_fail(HIOD_IS_LAUNCH_PLAN(self));
	for (guint i = self->grants->len; i-- > 0;) {
		HiodLaunchGrant *g = &g_array_index(self->grants, HiodLaunchGrant, i);
		g_autoptr(GError) error_local = NULL;
		if (!hiod_kernel_chown(self->ctx, g->node, g->uid, g->gid, g->mode, &error_local))
			g_debug("revoking %s: %s", g->node, error_local->message);
	}
	g_array_set_size(self->grants, 0);
}

/**
 * hiod_launch_plan_export:
 * @self: a #HiodLaunchPlan
 * @error: return location for a #GError
 *
 * Makes the fds the VMM inherits: a duplicate of each plan fd, numbered 3 or
 * above, without close-on-exec (the plan's own stay close-on-exec), and
 * returns the QEMU arguments that name them, to append to the VMM's command
 * line: `-object iommufd,id=hiod-iommufd0,fd=N` and per device
 * `-device vfio-pci,id=hiod-vfioI,fd=M,iommufd=hiod-iommufd0` (iommufd), or
 * `-device vfio-pci,id=hiod-vfioI,host=ADDRESS` (legacy). A second call
 * returns the same arguments. The duplicates are closed with the plan: a
 * process execs the VMM while the plan is alive.
 *
 * Returns: (transfer full): the arguments, or %NULL with nothing made
 *
 * Since: 0.1
 */
GStrv
hiod_launch_plan_export(HiodLaunchPlan *self, GError **error)
{
	g_autoptr(GPtrArray) b = NULL;

	g_return_val_if_fail(HIOD_IS_LAUNCH_PLAN(self), NULL);
	if (self->args != NULL)
		return g_strdupv(self->args);
	if (self->kind == HIOD_BACKEND_KIND_IOMMUFD) {
		self->child_iommufd = hiod_kernel_dup_inheritable(self->ctx, self->iommufd, 3, error);
		if (self->child_iommufd < 0)
			goto fail;
		for (guint i = 0; i < self->devices->len; i++) {
			HiodLaunchDevice *d = hiod_launch_plan_device(self, i);
			d->child_fd = hiod_kernel_dup_inheritable(self->ctx, d->fd, 3, error);
			if (d->child_fd < 0) {
				g_prefix_error(error, "%s: ", d->name);
				goto fail;
			}
		}
	}
	b = g_ptr_array_new_with_free_func(g_free);
	if (self->kind == HIOD_BACKEND_KIND_IOMMUFD) {
		g_ptr_array_add(b, g_strdup("-object"));
		g_ptr_array_add(b, g_strdup_printf("iommufd,id=" HIOD_LAUNCH_IOMMUFD_ID ",fd=%d",
						       self->child_iommufd));
	}
	for (guint i = 0; i < self->devices->len; i++) {
		HiodLaunchDevice *d = hiod_launch_plan_device(self, i);
		g_ptr_array_add(b, g_strdup("-device"));
		if (self->kind == HIOD_BACKEND_KIND_IOMMUFD)
			g_ptr_array_add(b, g_strdup_printf("vfio-pci,id=hiod-vfio%u,fd=%d,iommufd=" HIOD_LAUNCH_IOMMUFD_ID,
							       i, d->child_fd));
		else
			g_ptr_array_add(b, g_strdup_printf("vfio-pci,id=hiod-vfio%u,host=%s", i, d->name));
	}
	g_ptr_array_add(b, NULL);
	self->args = (GStrv)g_ptr_array_steal(b, NULL);
	return g_strdupv(self->args);

fail:
	hiod_kernel_close(self->ctx, self->child_iommufd);
	self->child_iommufd = -1;
	for (guint i = 0; i < self->devices->len; i++) {
		HiodLaunchDevice *d = hiod_launch_plan_device(self, i);
		hiod_kernel_close(self->ctx, d->child_fd);
		d->child_fd = -1;
	}
	return NULL;
}

/**
 * hiod_launch_plan_get_memlock_limit:
 * @self: a #HiodLaunchPlan
 * @guest_memory: the guest's memory in bytes (hiod_launch_parse_qemu_memory())
 *
 * The locked-memory limit (RLIMIT_MEMLOCK) the VMM needs: a VMM without a
 * vIOMMU pins all guest memory for DMA, and neither type1 (per process) nor
 * iommufd (per user) lets an unprivileged process pin beyond its limit. The
 * answer is libvirt's: the guest's memory plus 1 GiB.
 *
 * Returns: bytes
 *
 * Since: 0.1
 */
guint64
hiod_launch_plan_get_memlock_limit(HiodLaunchPlan *self, guint64 guest_memory)
{
	g_return_val_if_fail(HIOD_IS_LAUNCH_PLAN(self), 0);
	if (guest_memory > G_MAXUINT64 - HIOD_LAUNCH_MEMLOCK_EXTRA)
		return G_MAXUINT64;
	return guest_memory + HIOD_LAUNCH_MEMLOCK_EXTRA;
}

/* QEMU's size syntax: a number (fraction allowed), default unit MiB, or a
 * suffix B, K, M, G, T (either case) */
static gboolean
hiod_launch_parse_size(const gchar *s, guint64 *bytes, GError **error)
{
	gchar *end = NULL;
	gdouble v;
	guint64 unit = 1 << 20;

	if (s == NULL || *s == '\0' || !(g_ascii_isdigit(*s) || *s == '.'))
		goto bad;
	v = g_ascii_strtod(s, &end);
	if (end == s || v < 0)
		goto bad;
	if (*end != '\0') {
		switch (g_ascii_toupper(*end)) {
		case 'B': unit = 1; break;
		case 'K': unit = 1 << 10; break;
		case 'M': unit = 1 << 20; break;
		case 'G': unit = 1 << 30; break;
		case 'T': unit = G_GUINT64_CONSTANT(1) << 40; break;
		default: goto bad;
		}
		if (end[1] != '\0')
			goto bad;
	}
	if (v * (gdouble)unit >= 18446744073709551616.0)
		goto bad;
	*bytes = (guint64)(v * (gdouble)unit);
	return TRUE;
bad:
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
		    "'%s' is not a memory size (QEMU's form: 64, 64M, 1G, 1.5G)", s != NULL ? s : "");
	return FALSE;
}

/**
 * hiod_launch_parse_qemu_memory:
 * @vmm_argv: (array zero-terminated=1): a QEMU command line (without or with argv[0])
 * @guest_memory: (out): the guest's memory in bytes
 * @error: return location for a #GError
 *
 * Reads the guest's memory from QEMU's `-m` (`-m 64`, `-m 1G`,
 * `-m size=1G,slots=2,maxmem=4G`: with maxmem the largest the guest can
 * grow to). Without `-m`, QEMU's default (128 MiB). The last `-m` wins, as
 * in QEMU.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_launch_parse_qemu_memory(const gchar *const *vmm_argv, guint64 *guest_memory, GError **error)
{
	guint64 mem = HIOD_LAUNCH_QEMU_DEFAULT_MEMORY;

	g_return_val_if_fail(guest_memory != NULL, FALSE);
	for (guint i = 0; vmm_argv != NULL && vmm_argv[i] != NULL; i++) {
		const gchar *value;
		g_auto(GStrv) parts = NULL;
		guint64 size = 0, maxmem = 0;

		if (g_strcmp0(vmm_argv[i], "-m") == 0 || g_strcmp0(vmm_argv[i], "--m") == 0) {
			value = vmm_argv[i + 1];
			if (value == NULL) {
				g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
						    "the VMM's -m has no value (e.g. -m 1G)");
				return FALSE;
			}
			i++;
		} else {
			continue;
		}
		parts = g_strsplit(value, ",", -1);
		for (guint p = 0; parts[p] != NULL; p++) {
			const gchar *v = parts[p];
			if (p == 0 && strchr(v, '=') == NULL) {
				if (!hiod_launch_parse_size(v, &size, error))
					goto bad;
			} else if (g_str_has_prefix(v, "size=")) {
				if (!hiod_launch_parse_size(v + 5, &size, error))
					goto bad;
			} else if (g_str_has_prefix(v, "maxmem=")) {
				if (!hiod_launch_parse_size(v + 7, &maxmem, error))
					goto bad;
			}
		}
		mem = MAX(size, maxmem);
		if (mem == 0)
			mem = HIOD_LAUNCH_QEMU_DEFAULT_MEMORY;
		continue;
bad:
		g_prefix_error(error, "the VMM's -m %s: ", value);
		return FALSE;
	}
	*guest_memory = mem;
	return TRUE;
}

/**
 * hiod_launch_plan_to_json:
 * @self: a #HiodLaunchPlan
 * @builder: a #JsonBuilder where a value is expected
 *
 * Adds the plan as an object: backend, viommu_spec (or null), devices
 * (address, iommu_group, cdev, fd: the VMM's fd number or null), iommufd_fd
 * (or null), granted (nodes given to the VMM's user, with their previous
 * owner and mode), vmm_args (after hiod_launch_plan_export(), else empty).
 *
 * Since: 0.1
 */
void
hiod_launch_plan_to_json(HiodLaunchPlan *self, JsonBuilder *builder)
{
	g_return_if_fail(HIOD_IS_LAUNCH_PLAN(self) && JSON_IS_BUILDER(builder));
	json_builder_begin_object(builder);
	hiod_json_add_string(builder, "backend", hiod_backend_kind_to_string(self->kind));
	hiod_json_add_string(builder, "viommu_spec", self->viommu_spec);
	json_builder_set_member_name(builder, "iommufd_fd");
	if (self->child_iommufd >= 0)
		json_builder_add_int_value(builder, self->child_iommufd);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "devices");
	json_builder_begin_array(builder);
	for (guint i = 0; i < self->devices->len; i++) {
		HiodLaunchDevice *d = hiod_launch_plan_device(self, i);
		json_builder_begin_object(builder);
		hiod_json_add_string(builder, "address", d->name);
		hiod_json_add_int(builder, "iommu_group", d->group_id);
		hiod_json_add_string(builder, "cdev", d->cdev);
		json_builder_set_member_name(builder, "fd");
		if (d->child_fd >= 0)
			json_builder_add_int_value(builder, d->child_fd);
		else
			json_builder_add_null_value(builder);
		hiod_json_add_bool(builder, "viommu_checked", d->verdict_viommu != NULL);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "granted");
	json_builder_begin_array(builder);
	for (guint i = 0; i < self->grants->len; i++) {
		HiodLaunchGrant *g = &g_array_index(self->grants, HiodLaunchGrant, i);
		g_autofree gchar *mode = g_strdup_printf("0%o", g->mode);
		json_builder_begin_object(builder);
		hiod_json_add_string(builder, "node", g->node);
		hiod_json_add_int(builder, "uid", self->grant_uid);
		hiod_json_add_int(builder, "gid", self->grant_gid);
		hiod_json_add_int(builder, "previous_uid", g->uid);
		hiod_json_add_int(builder, "previous_gid", g->gid);
		hiod_json_add_string(builder, "previous_mode", mode);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "vmm_args");
	json_builder_begin_array(builder);
	for (guint i = 0; self->args != NULL && self->args[i] != NULL; i++)
		json_builder_add_string_value(builder, self->args[i]);
	json_builder_end_array(builder);
	json_builder_end_object(builder);
}

static void
hiod_launch_plan_finalize(GObject *object)
{
	HiodLaunchPlan *self = HIOD_LAUNCH_PLAN(object);
	if (self->ctx != NULL) {
		hiod_kernel_close(self->ctx, self->child_iommufd);
		hiod_kernel_close(self->ctx, self->iommufd);
		for (guint i = 0; i < self->devices->len; i++) {
			HiodLaunchDevice *d = hiod_launch_plan_device(self, i);
			hiod_kernel_close(self->ctx, d->child_fd);
			hiod_kernel_close(self->ctx, d->fd);
		}
	}
	g_array_unref(self->devices);
	g_array_unref(self->grants);
	g_strfreev(self->args);
	g_free(self->viommu_spec);
	g_clear_object(&self->ctx);
	G_OBJECT_CLASS(hiod_launch_plan_parent_class)->finalize(object);
}

static void
hiod_launch_plan_init(HiodLaunchPlan *self)
{
	self->iommufd = -1;
	self->child_iommufd = -1;
	self->devices = g_array_new(FALSE, TRUE, sizeof(HiodLaunchDevice));
	g_array_set_clear_func(self->devices, (GDestroyNotify)hiod_launch_device_clear);
	self->grants = g_array_new(FALSE, TRUE, sizeof(HiodLaunchGrant));
	g_array_set_clear_func(self->grants, (GDestroyNotify)hiod_launch_grant_clear);
}

static void
hiod_launch_plan_class_init(HiodLaunchPlanClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hiod_launch_plan_finalize;
}

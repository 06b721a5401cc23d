/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "hiod-backend-private.h"
#include "hiod-error.h"
#include "hiod-host-iommu-device-iommufd-vfio.h"
#include "hiod-iommufd-container.h"
#include "hiod-iova-range.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "hiod-vfio-device-private.h"

/**
 * HiodHostIommuDeviceIommufdVfio:
 *
 * The host IOMMU device of a VFIO device opened through its cdev and bound to
 * an iommufd (QEMU's HostIOMMUDeviceIOMMUFDVFIO). Realize asks the kernel
 * IOMMU_GET_HW_INFO: the IOMMU type, its capabilities (dirty tracking, PASID
 * modes), the PASID width and the vendor's raw registers; for Intel VT-d the
 * registers are decoded (hiod_host_iommu_device_iommufd_vfio_get_vtd_caps()),
 * and for AMD-Vi (Linux 7.3 with CONFIG_AMD_IOMMU_IOMMUFD) the EFR/EFR2
 * registers (hiod_host_iommu_device_iommufd_vfio_get_amd_caps()), and for ARM
 * SMMUv3 (Linux 6.13) the IDR0-5/IIDR/AIDR registers
 * (hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps()).
 * The PASID width of the device itself (hw_info's out_max_pasid_log2: Linux
 * 6.15, and 6.12.117) is in the caps (hiod_host_iommu_caps_get_max_pasid_log2()),
 * 0 on a kernel or device without it.
 * The address width comes from the container's usable IOVA ranges, as in
 * QEMU 11 (whose caps no longer carry aw_bits): on SMMUv3 they follow the
 * attached domain's input size (48 or 52 bits at stage 1, the SMMU's IAS at
 * stage 2), not the registers' OAS.
 *
 * Threads: as #HiodHostIommuDeviceIommufd.
 *
 * Since: 0.1
 */

struct _HiodHostIommuDeviceIommufdVfio {
	HiodHostIommuDeviceIommufd parent_instance;
	HiodVfioDevice *device; /* weak: the device owns us */
	HiodVtdCaps *vtd;
	HiodAmdCaps *amd;
	HiodSmmuv3Caps *smmuv3;
};

G_DEFINE_FINAL_TYPE(HiodHostIommuDeviceIommufdVfio, hiod_host_iommu_device_iommufd_vfio,
		    HIOD_TYPE_HOST_IOMMU_DEVICE_IOMMUFD)

/**
 * hiod_host_iommu_device_iommufd_vfio_get_vtd_caps:
 * @self: a realized #HiodHostIommuDeviceIommufdVfio
 *
 * Gets the decoded VT-d registers, when the host IOMMU is Intel VT-d.
 *
 * Returns: (transfer none) (nullable): the decoded VT-d registers, when the
 * host IOMMU is Intel VT-d
 *
 * Since: 0.1
 */
HiodVtdCaps *
hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(HiodHostIommuDeviceIommufdVfio *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(self), NULL);
	return self->vtd;
}

/**
 * hiod_host_iommu_device_iommufd_vfio_get_amd_caps:
 * @self: a realized #HiodHostIommuDeviceIommufdVfio
 *
 * Gets the decoded AMD-Vi registers, when the kernel reported them
 * (IOMMU_HW_INFO_TYPE_AMD).
 *
 * Returns: (transfer none) (nullable): the decoded AMD-Vi registers
 *
 * Since: 0.1
 */
HiodAmdCaps *
hiod_host_iommu_device_iommufd_vfio_get_amd_caps(HiodHostIommuDeviceIommufdVfio *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(self), NULL);
	return self->amd;
}

/**
 * hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps:
 * @self: a realized #HiodHostIommuDeviceIommufdVfio
 *
 * Gets the decoded ARM SMMUv3 identification registers, when the kernel
 * reported them (IOMMU_HW_INFO_TYPE_ARM_SMMUV3).
 *
 * Returns: (transfer none) (nullable): the decoded SMMUv3 registers
 *
 * Since: 0.1
 */
HiodSmmuv3Caps *
hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps(HiodHostIommuDeviceIommufdVfio *self)
{
	g_return_val_if_fail(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(self), NULL);
	return self->smmuv3;
}

static HiodIommuType
hiod_iommu_type_from_hw_info(guint32 type)
{
	switch (type) {
	case HIOD_IOMMU_HW_INFO_TYPE_NONE:
		return HIOD_IOMMU_TYPE_NONE;
	case HIOD_IOMMU_HW_INFO_TYPE_INTEL_VTD:
		return HIOD_IOMMU_TYPE_INTEL_VTD;
	case HIOD_IOMMU_HW_INFO_TYPE_ARM_SMMUV3:
		return HIOD_IOMMU_TYPE_ARM_SMMUV3;
	case HIOD_IOMMU_HW_INFO_TYPE_AMD:
		return HIOD_IOMMU_TYPE_AMD_VI;
	case HIOD_IOMMU_HW_INFO_TYPE_SELFTEST:
		return HIOD_IOMMU_TYPE_SELFTEST;
	default:
		return HIOD_IOMMU_TYPE_UNKNOWN;
	}
}

static HiodIommufdContainer *
hiod_iommufd_vfio_container(HiodHostIommuDeviceIommufdVfio *self, GError **error)
{
	HiodContainer *c = self->device != NULL ? hiod_vfio_device_get_container(self->device) : NULL;
	if (c != NULL && HIOD_IS_IOMMUFD_CONTAINER(c))
		return HIOD_IOMMUFD_CONTAINER(c);
	g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "the device is not attached to an iommufd container");
	return NULL;
}

static gboolean
hiod_host_iommu_device_iommufd_vfio_realize(HiodHostIommuDevice *device, HiodAssignedDevice *agent,
					    GError **error)
{
	HiodHostIommuDeviceIommufdVfio *self = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device);
	g_auto(HiodIommufdHwInfo) info = {0};
	g_autoptr(HiodHostIommuCaps) caps = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	HiodIommufdContainer *container;
	HiodIommufdBackend *backend;
	HiodIommuType type;
	guint32 devid;

	if (!HIOD_IS_VFIO_DEVICE(agent)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "the agent is a %s, not a HiodVfioDevice", G_OBJECT_TYPE_NAME(agent));
		return FALSE;
	}
	g_set_weak_pointer(&self->device, HIOD_VFIO_DEVICE(agent));
	container = hiod_iommufd_vfio_container(self, error);
	if (container == NULL)
		goto fail;
	backend = hiod_iommufd_container_get_backend(container);
	devid = hiod_vfio_device_get_devid(self->device);
	if (!hiod_iommufd_backend_get_hw_info(backend, devid, &info, error))
		goto fail;
	ranges = hiod_container_get_iova_ranges(HIOD_CONTAINER(container));
	type = hiod_iommu_type_from_hw_info(info.type);
	caps = hiod_host_iommu_caps_new(type, info.type,
					ranges->len > 0 ? hiod_iova_ranges_get_aw_bits(ranges) : 64,
					info.capabilities & (HIOD_HW_CAPS_DIRTY_TRACKING |
							     HIOD_HW_CAPS_PCI_PASID_EXEC |
							     HIOD_HW_CAPS_PCI_PASID_PRIV |
							     HIOD_HW_CAPS_PCI_ATS_NOT_SUPPORTED),
					info.max_pasid_log2, info.data);
	hiod_host_iommu_device_set_caps(device, caps);
	g_clear_pointer(&self->vtd, hiod_vtd_caps_unref);
	self->vtd = hiod_vtd_caps_new_from_host_caps(caps);
	g_clear_pointer(&self->amd, hiod_amd_caps_unref);
	self->amd = hiod_amd_caps_new_from_host_caps(caps);
	g_clear_pointer(&self->smmuv3, hiod_smmuv3_caps_unref);
	self->smmuv3 = hiod_smmuv3_caps_new_from_host_caps(caps);
	hiod_host_iommu_device_iommufd_set_ids(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(self), backend, devid,
					       hiod_vfio_device_get_hwpt_id(self->device));
	return TRUE;

fail:
	g_clear_weak_pointer(&self->device);
	return FALSE;
}

static void
hiod_host_iommu_device_iommufd_vfio_unrealize(HiodHostIommuDevice *device)
{
	HiodHostIommuDeviceIommufdVfio *self = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device);
	HIOD_HOST_IOMMU_DEVICE_CLASS(hiod_host_iommu_device_iommufd_vfio_parent_class)->unrealize(device);
	g_clear_pointer(&self->vtd, hiod_vtd_caps_unref);
	g_clear_pointer(&self->amd, hiod_amd_caps_unref);
	g_clear_pointer(&self->smmuv3, hiod_smmuv3_caps_unref);
	g_clear_weak_pointer(&self->device);
}

static GPtrArray *
hiod_host_iommu_device_iommufd_vfio_get_iova_ranges(HiodHostIommuDevice *device, GError **error)
{
	HiodIommufdContainer *c =
	    hiod_iommufd_vfio_container(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device), error);
	return c != NULL ? hiod_container_get_iova_ranges(HIOD_CONTAINER(c)) : NULL;
}

static gboolean
hiod_host_iommu_device_iommufd_vfio_get_page_size_mask(HiodHostIommuDevice *device, guint64 *mask,
						       GError **error)
{
	HiodIommufdContainer *c =
	    hiod_iommufd_vfio_container(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device), error);
	if (c == NULL)
		return FALSE;
	*mask = hiod_container_get_page_size_mask(HIOD_CONTAINER(c));
	return TRUE;
}

/* An ioctl on the device's own fd (the VFIO cdev); refused with
 * INVALID_STATE when the device is not open. errno is the kernel's on -1. */
static gboolean
hiod_iommufd_vfio_check_open(HiodHostIommuDeviceIommufdVfio *self, GError **error)
{
	if (self->device != NULL && hiod_vfio_device_get_fd(self->device) >= 0)
		return TRUE;
	g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE, "the device is not open");
	return FALSE;
}

static gint
hiod_iommufd_vfio_device_ioctl(HiodHostIommuDeviceIommufdVfio *self, const gchar *name,
			       gulong request, gpointer arg, gsize size, GError **error)
{
	if (!hiod_iommufd_vfio_check_open(self, error)) {
		errno = EBADF;
		return -1;
	}
	return hiod_kernel_ioctl(hiod_vfio_device_get_context(self->device),
				 hiod_vfio_device_get_fd(self->device), name, request, arg, size, error);
}

static gboolean
hiod_host_iommu_device_iommufd_vfio_attach_hwpt(HiodHostIommuDeviceIommufd *device, guint32 hwpt_id,
						GError **error)
{
	HiodHostIommuDeviceIommufdVfio *self = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device);
	struct hiod_vfio_device_attach_iommufd_pt arg = {.pt_id = hwpt_id};
	return hiod_iommufd_vfio_device_ioctl(self, HIOD_IOC(VFIO_DEVICE_ATTACH_IOMMUFD_PT), &arg, sizeof(arg), error) == 0;
}

static gboolean
hiod_host_iommu_device_iommufd_vfio_detach_hwpt(HiodHostIommuDeviceIommufd *device, GError **error)
{
	HiodHostIommuDeviceIommufdVfio *self = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device);
	struct hiod_vfio_device_detach_iommufd_pt arg = {0};
	return hiod_iommufd_vfio_device_ioctl(self, HIOD_IOC(VFIO_DEVICE_DETACH_IOMMUFD_PT), &arg, sizeof(arg),
					      error) == 0;
}

/* VFIO_DEVICE_DETACH_IOMMUFD_PT with the PASID flag for a PASID that is not
 * attached: 6.15 and later answer 0 (nothing to do) or EOPNOTSUPP (the
 * driver has no PASID ops); 6.12 refuses the flag (EINVAL). 1: the kernel
 * has the PASID forms, 0: not, -1: cannot tell. */
static gint
hiod_iommufd_vfio_probe_pasid(HiodHostIommuDeviceIommufdVfio *self, guint32 unattached_pasid)
{
	struct hiod_vfio_device_detach_iommufd_pt_pasid arg = {
	    .flags = HIOD_VFIO_DEVICE_DETACH_PASID,
	    .pasid = unattached_pasid,
	};
	g_autoptr(GError) error_local = NULL;
	if (!hiod_iommufd_vfio_check_open(self, NULL))
		return -1;
	if (hiod_iommufd_vfio_device_ioctl(self, HIOD_IOC(VFIO_DEVICE_DETACH_IOMMUFD_PT), &arg, sizeof(arg),
					   &error_local) == 0)
		return 1;
	if (errno == EOPNOTSUPP)
		return 1;
	return errno == EINVAL ? 0 : -1;
}

static gboolean
hiod_host_iommu_device_iommufd_vfio_attach_pasid(HiodHostIommuDeviceIommufd *device, guint32 pasid,
						 guint32 hwpt_id, gboolean replace, GError **error)
{
	HiodHostIommuDeviceIommufdVfio *self = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device);
	struct hiod_vfio_device_attach_iommufd_pt_pasid arg = {
	    .flags = HIOD_VFIO_DEVICE_ATTACH_PASID,
	    .pt_id = hwpt_id,
	    .pasid = pasid,
	};
	g_autoptr(GError) error_local = NULL;
	if (!hiod_iommufd_vfio_check_open(self, error))
		return FALSE;
	/* attaching an attached PASID replaces its HWPT (vfio's pasid_attach_ioas) */
	if (hiod_iommufd_vfio_device_ioctl(self, HIOD_IOC(VFIO_DEVICE_ATTACH_IOMMUFD_PT), &arg, sizeof(arg),
					   &error_local) == 0)
		return TRUE;
	if (errno == EINVAL && !replace && hiod_iommufd_vfio_probe_pasid(self, pasid) == 0) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
			    "this kernel's VFIO cannot attach PASIDs (Linux 6.15 added "
			    "VFIO_DEVICE_ATTACH_PASID; it refuses the flag: %s)",
			    error_local->message);
		return FALSE;
	}
	if (errno == EOPNOTSUPP)
		g_prefix_error(&error_local, "the device's VFIO driver, the device or its IOMMU has no "
					     "PASIDs: ");
	g_propagate_error(error, g_steal_pointer(&error_local));
	return FALSE;
}

static gboolean
hiod_host_iommu_device_iommufd_vfio_detach_pasid(HiodHostIommuDeviceIommufd *device, guint32 pasid,
						 GError **error)
{
	HiodHostIommuDeviceIommufdVfio *self = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device);
	struct hiod_vfio_device_detach_iommufd_pt_pasid arg = {
	    .flags = HIOD_VFIO_DEVICE_DETACH_PASID,
	    .pasid = pasid,
	};
	return hiod_iommufd_vfio_device_ioctl(self, HIOD_IOC(VFIO_DEVICE_DETACH_IOMMUFD_PT), &arg, sizeof(arg),
					      error) == 0;
}

static void
hiod_host_iommu_device_iommufd_vfio_add_json(HiodHostIommuDevice *device, JsonBuilder *builder)
{
	HiodHostIommuDeviceIommufdVfio *self = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(device);
	HiodContainer *c = self->device != NULL ? hiod_vfio_device_get_container(self->device) : NULL;
	guint32 hwpt_id = hiod_host_iommu_device_iommufd_get_hwpt_id(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(self));
	HIOD_HOST_IOMMU_DEVICE_CLASS(hiod_host_iommu_device_iommufd_vfio_parent_class)->add_json(device, builder);
	/* whether this kernel's VFIO has the PASID forms of attach/detach (6.15):
	 * probed with a PASID hiod has not attached, which changes nothing */
	if (self->device != NULL && hwpt_id != 0) {
		guint32 probe = 0xfffff;
		gint has;
		while (probe > 0 && hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(
					HIOD_HOST_IOMMU_DEVICE_IOMMUFD(self), probe) != 0)
			probe--;
		has = hiod_iommufd_vfio_probe_pasid(self, probe);
		if (has >= 0) {
			json_builder_set_member_name(builder, "vfio_pasid_attach");
			json_builder_add_boolean_value(builder, has == 1);
		}
	}
	if (c != NULL && HIOD_IS_IOMMUFD_CONTAINER(c) && hwpt_id != 0) {
		/* hwpt: a HWPT hiod allocated; ioas: the kernel's automatic domain of the IOAS */
		json_builder_set_member_name(builder, "attached_to");
		json_builder_add_string_value(
		    builder, hiod_iommufd_container_get_hwpt_autodomain(HIOD_IOMMUFD_CONTAINER(c), hwpt_id)
				 ? "ioas"
				 : "hwpt");
	}
	if (self->vtd != NULL) {
		json_builder_set_member_name(builder, "vtd");
		hiod_vtd_caps_to_json(self->vtd, builder);
	}
	if (self->amd != NULL) {
		json_builder_set_member_name(builder, "amd");
		hiod_amd_caps_to_json(self->amd, builder);
	}
	if (self->smmuv3 != NULL) {
		json_builder_set_member_name(builder, "smmuv3");
		hiod_smmuv3_caps_to_json(self->smmuv3, builder);
	}
}

static void
hiod_host_iommu_device_iommufd_vfio_init(HiodHostIommuDeviceIommufdVfio *self)
{
}

static void
hiod_host_iommu_device_iommufd_vfio_finalize(GObject *object)
{
	HiodHostIommuDeviceIommufdVfio *self = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(object);
	g_clear_pointer(&self->vtd, hiod_vtd_caps_unref);
	g_clear_pointer(&self->amd, hiod_amd_caps_unref);
	g_clear_pointer(&self->smmuv3, hiod_smmuv3_caps_unref);
	g_clear_weak_pointer(&self->device);
	G_OBJECT_CLASS(hiod_host_iommu_device_iommufd_vfio_parent_class)->finalize(object);
}

static void
hiod_host_iommu_device_iommufd_vfio_class_init(HiodHostIommuDeviceIommufdVfioClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	HiodHostIommuDeviceClass *hiod_class = HIOD_HOST_IOMMU_DEVICE_CLASS(klass);
	HiodHostIommuDeviceIommufdClass *iommufd_class = HIOD_HOST_IOMMU_DEVICE_IOMMUFD_CLASS(klass);

	object_class->finalize = hiod_host_iommu_device_iommufd_vfio_finalize;
	hiod_class->realize = hiod_host_iommu_device_iommufd_vfio_realize;
	hiod_class->unrealize = hiod_host_iommu_device_iommufd_vfio_unrealize;
	hiod_class->get_iova_ranges = hiod_host_iommu_device_iommufd_vfio_get_iova_ranges;
	hiod_class->get_page_size_mask = hiod_host_iommu_device_iommufd_vfio_get_page_size_mask;
	hiod_class->add_json = hiod_host_iommu_device_iommufd_vfio_add_json;
	iommufd_class->attach_hwpt = hiod_host_iommu_device_iommufd_vfio_attach_hwpt;
	iommufd_class->detach_hwpt = hiod_host_iommu_device_iommufd_vfio_detach_hwpt;
	iommufd_class->attach_pasid = hiod_host_iommu_device_iommufd_vfio_attach_pasid;
	iommufd_class->detach_pasid = hiod_host_iommu_device_iommufd_vfio_detach_pasid;
}

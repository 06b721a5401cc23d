/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-enum-types.h"
#include "hiod-host-iommu-caps.h"
#include "hiod-json-private.h"

struct _HiodHostIommuCaps {
	gatomicrefcount refcount;
	HiodIommuType type;
	guint32 hw_info_type;
	guint aw_bits;
	HiodHwCaps hw_caps;
	guint max_pasid_log2;
	GBytes *vendor_data; /* nullable */
};

G_DEFINE_BOXED_TYPE(HiodHostIommuCaps, hiod_host_iommu_caps, hiod_host_iommu_caps_ref,
		    hiod_host_iommu_caps_unref)

/**
 * hiod_host_iommu_caps_new:
 * @type: the kind of IOMMU
 * @hw_info_type: the kernel's raw hardware-information type (IOMMU_HW_INFO_TYPE_*), or 0
 * @aw_bits: the address width the IOMMU can translate, in bits (1..64)
 * @hw_caps: hardware capability flags
 * @max_pasid_log2: the PASID width in bits, 0 when PASID is not available
 * @vendor_data: (nullable): the raw vendor hardware information (e.g. struct iommu_hw_info_vtd)
 *
 * Returns a new immutable #HiodHostIommuCaps.
 *
 * Returns: (transfer full): a new immutable #HiodHostIommuCaps
 *
 * Since: 0.1
 */
HiodHostIommuCaps *
hiod_host_iommu_caps_new(HiodIommuType type, guint32 hw_info_type, guint aw_bits,
			 HiodHwCaps hw_caps, guint max_pasid_log2, GBytes *vendor_data)
{
	HiodHostIommuCaps *self = g_new0(HiodHostIommuCaps, 1);
	g_atomic_ref_count_init(&self->refcount);
	self->type = type;
	self->hw_info_type = hw_info_type;
	self->aw_bits = MIN(aw_bits, 64);
	self->hw_caps = hw_caps;
	self->max_pasid_log2 = max_pasid_log2;
	self->vendor_data = vendor_data != NULL ? g_bytes_ref(vendor_data) : NULL;
	return self;
}

/**
 * hiod_host_iommu_caps_ref:
 * @self: a #HiodHostIommuCaps
 *
 * Returns @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
HiodHostIommuCaps *
hiod_host_iommu_caps_ref(HiodHostIommuCaps *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_atomic_ref_count_inc(&self->refcount);
	return self;
}

/**
 * hiod_host_iommu_caps_unref:
 * @self: (transfer full): a #HiodHostIommuCaps
 *
 * Drops a reference; the value is freed with the last one.
 *
 * Since: 0.1
 */
void
hiod_host_iommu_caps_unref(HiodHostIommuCaps *self)
{
	g_return_if_fail(self != NULL);
	if (!g_atomic_ref_count_dec(&self->refcount))
		return;
	if (self->vendor_data != NULL)
		g_bytes_unref(self->vendor_data);
	g_free(self);
}

/**
 * hiod_host_iommu_caps_get_iommu_type:
 * @self: a #HiodHostIommuCaps
 *
 * Gets the kind of IOMMU.
 *
 * Returns: the kind of IOMMU
 *
 * Since: 0.1
 */
HiodIommuType
hiod_host_iommu_caps_get_iommu_type(const HiodHostIommuCaps *self)
{
	g_return_val_if_fail(self != NULL, HIOD_IOMMU_TYPE_UNKNOWN);
	return self->type;
}

/**
 * hiod_host_iommu_caps_get_hw_info_type:
 * @self: a #HiodHostIommuCaps
 *
 * Gets the kernel's raw IOMMU_HW_INFO_TYPE_* value (0 when none).
 *
 * Returns: the kernel's raw IOMMU_HW_INFO_TYPE_* value (0 when none)
 *
 * Since: 0.1
 */
guint32
hiod_host_iommu_caps_get_hw_info_type(const HiodHostIommuCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->hw_info_type;
}

/**
 * hiod_host_iommu_caps_get_aw_bits:
 * @self: a #HiodHostIommuCaps
 *
 * Gets the address width in bits.
 *
 * Returns: the address width in bits
 *
 * Since: 0.1
 */
guint
hiod_host_iommu_caps_get_aw_bits(const HiodHostIommuCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->aw_bits;
}

/**
 * hiod_host_iommu_caps_get_hw_caps:
 * @self: a #HiodHostIommuCaps
 *
 * Gets the hardware capability flags.
 *
 * Returns: the hardware capability flags
 *
 * Since: 0.1
 */
HiodHwCaps
hiod_host_iommu_caps_get_hw_caps(const HiodHostIommuCaps *self)
{
	g_return_val_if_fail(self != NULL, HIOD_HW_CAPS_NONE);
	return self->hw_caps;
}

/**
 * hiod_host_iommu_caps_get_max_pasid_log2:
 * @self: a #HiodHostIommuCaps
 *
 * Gets the PASID width in bits, 0 when PASID is not available.
 *
 * Returns: the PASID width in bits, 0 when PASID is not available
 *
 * Since: 0.1
 */
guint
hiod_host_iommu_caps_get_max_pasid_log2(const HiodHostIommuCaps *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->max_pasid_log2;
}

/**
 * hiod_host_iommu_caps_get_vendor_data:
 * @self: a #HiodHostIommuCaps
 *
 * Gets the raw vendor hardware information.
 *
 * Returns: (transfer none) (nullable): the raw vendor hardware information
 *
 * Since: 0.1
 */
GBytes *
hiod_host_iommu_caps_get_vendor_data(const HiodHostIommuCaps *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	return self->vendor_data;
}

/**
 * hiod_host_iommu_caps_equal:
 * @a: a #HiodHostIommuCaps
 * @b: a #HiodHostIommuCaps
 *
 * Tells whether @a and @b describe the same IOMMU capabilities.
 *
 * Returns: whether @a and @b describe the same IOMMU capabilities
 *
 * Since: 0.1
 */
gboolean
hiod_host_iommu_caps_equal(const HiodHostIommuCaps *a, const HiodHostIommuCaps *b)
{
	g_return_val_if_fail(a != NULL && b != NULL, FALSE);
	if (a->type != b->type || a->hw_info_type != b->hw_info_type || a->aw_bits != b->aw_bits ||
	    a->hw_caps != b->hw_caps || a->max_pasid_log2 != b->max_pasid_log2)
		return FALSE;
	if ((a->vendor_data == NULL) != (b->vendor_data == NULL))
		return FALSE;
	return a->vendor_data == NULL || g_bytes_equal(a->vendor_data, b->vendor_data);
}

/**
 * hiod_host_iommu_caps_to_json:
 * @self: a #HiodHostIommuCaps
 * @builder: a #JsonBuilder
 *
 * Adds the caps as a JSON object (keys: iommu_type, hw_info_type, aw_bits,
 * hw_caps, max_pasid_log2, vendor_data).
 *
 * Since: 0.1
 */
void
hiod_host_iommu_caps_to_json(const HiodHostIommuCaps *self, JsonBuilder *builder)
{
	json_builder_begin_object(builder);
	hiod_json_add_enum(builder, "iommu_type", HIOD_TYPE_IOMMU_TYPE, self->type);
	hiod_json_add_hex(builder, "hw_info_type", self->hw_info_type);
	hiod_json_add_int(builder, "aw_bits", self->aw_bits);
	hiod_json_add_flags(builder, "hw_caps", HIOD_TYPE_HW_CAPS, self->hw_caps);
	hiod_json_add_int(builder, "max_pasid_log2", self->max_pasid_log2);
	if (self->vendor_data != NULL) {
		gsize len = 0;
		const guint8 *data = g_bytes_get_data(self->vendor_data, &len);
		g_autoptr(GString) hex = g_string_new(NULL);
		for (gsize i = 0; i < len; i++)
			g_string_append_printf(hex, "%02x", data[i]);
		json_builder_set_member_name(builder, "vendor_data");
		json_builder_add_string_value(builder, hex->str);
	}
	json_builder_end_object(builder);
}

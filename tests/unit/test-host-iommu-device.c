/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The abstract host IOMMU device, through a test-only subclass. */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-test-common.h"

/* a test agent ------------------------------------------------------------ */

#define TEST_TYPE_AGENT (test_agent_get_type())
G_DECLARE_FINAL_TYPE(TestAgent, test_agent, TEST, AGENT, GObject)
struct _TestAgent {
	GObject parent_instance;
	gchar *name;
};
static void test_agent_iface_init(HiodAssignedDeviceInterface *iface);
G_DEFINE_TYPE_WITH_CODE(TestAgent, test_agent, G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(HIOD_TYPE_ASSIGNED_DEVICE, test_agent_iface_init))
static const gchar *
test_agent_get_name(HiodAssignedDevice *self)
{
	return TEST_AGENT(self)->name;
}
static void
test_agent_iface_init(HiodAssignedDeviceInterface *iface)
{
	iface->get_name = test_agent_get_name;
}
static void
test_agent_finalize(GObject *o)
{
	g_free(TEST_AGENT(o)->name);
	G_OBJECT_CLASS(test_agent_parent_class)->finalize(o);
}
static void
test_agent_init(TestAgent *self)
{
}
static void
test_agent_class_init(TestAgentClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = test_agent_finalize;
}
static TestAgent *
test_agent_new(const gchar *name)
{
	TestAgent *a = g_object_new(TEST_TYPE_AGENT, NULL);
	a->name = g_strdup(name);
	return a;
}

/* a test-only host IOMMU device -------------------------------------------- */

#define TEST_TYPE_HIOD (test_hiod_get_type())
G_DECLARE_FINAL_TYPE(TestHiod, test_hiod, TEST, HIOD, HiodHostIommuDevice)
struct _TestHiod {
	HiodHostIommuDevice parent_instance;
	gboolean init_ran;
	guint realize_calls;
	guint unrealize_calls;
	gboolean fail_after_caps;
	guint *unrealize_counter; /* outlives the object */
};
G_DEFINE_TYPE(TestHiod, test_hiod, HIOD_TYPE_HOST_IOMMU_DEVICE)

static gboolean
test_hiod_realize(HiodHostIommuDevice *device, HiodAssignedDevice *agent, GError **error)
{
	TestHiod *self = TEST_HIOD(device);
	g_autoptr(HiodHostIommuCaps) caps = NULL;
	g_autoptr(GBytes) vendor = g_bytes_new_static("\x01\x02", 2);

	g_assert_true(self->init_ran); /* realize runs after instance init */
	g_assert_true(hiod_host_iommu_device_get_agent(device) == agent);
	g_assert_false(hiod_host_iommu_device_is_realized(device));
	self->realize_calls++;
	caps = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_SELFTEST, 0xfeedbeef, 39,
					HIOD_HW_CAPS_DIRTY_TRACKING, 0, vendor);
	hiod_host_iommu_device_set_caps(device, caps);
	if (self->fail_after_caps) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED, "the test said no");
		return FALSE;
	}
	return TRUE;
}

static GPtrArray *
test_hiod_get_iova_ranges(HiodHostIommuDevice *device, GError **error)
{
	GPtrArray *ranges = hiod_iova_ranges_new();
	g_ptr_array_add(ranges, hiod_iova_range_new(0, 0xfedfffff));
	g_ptr_array_add(ranges, hiod_iova_range_new(0xfef00000, 0x7fffffffff));
	return ranges;
}

static gboolean
test_hiod_get_page_size_mask(HiodHostIommuDevice *device, guint64 *mask, GError **error)
{
	*mask = 0x40201000;
	return TRUE;
}

static void
test_hiod_unrealize(HiodHostIommuDevice *device)
{
	TestHiod *self = TEST_HIOD(device);
	self->unrealize_calls++;
	if (self->unrealize_counter != NULL)
		(*self->unrealize_counter)++;
}

static void
test_hiod_init(TestHiod *self)
{
	self->init_ran = TRUE;
}

static void
test_hiod_class_init(TestHiodClass *klass)
{
	HiodHostIommuDeviceClass *hklass = HIOD_HOST_IOMMU_DEVICE_CLASS(klass);
	hklass->realize = test_hiod_realize;
	hklass->get_iova_ranges = test_hiod_get_iova_ranges;
	hklass->get_page_size_mask = test_hiod_get_page_size_mask;
	hklass->unrealize = test_hiod_unrealize;
}

/* a subclass with nothing but realize */
#define TEST_TYPE_BARE_HIOD (test_bare_hiod_get_type())
G_DECLARE_FINAL_TYPE(TestBareHiod, test_bare_hiod, TEST, BARE_HIOD, HiodHostIommuDevice)
struct _TestBareHiod {
	HiodHostIommuDevice parent_instance;
};
G_DEFINE_TYPE(TestBareHiod, test_bare_hiod, HIOD_TYPE_HOST_IOMMU_DEVICE)
static gboolean
test_bare_hiod_realize(HiodHostIommuDevice *device, HiodAssignedDevice *agent, GError **error)
{
	return TRUE;
}
static void
test_bare_hiod_init(TestBareHiod *self)
{
}
static void
test_bare_hiod_class_init(TestBareHiodClass *klass)
{
	HIOD_HOST_IOMMU_DEVICE_CLASS(klass)->realize = test_bare_hiod_realize;
}

/* a subclass that forgets the mandatory realize */
#define TEST_TYPE_NO_REALIZE (test_no_realize_get_type())
G_DECLARE_FINAL_TYPE(TestNoRealize, test_no_realize, TEST, NO_REALIZE, HiodHostIommuDevice)
struct _TestNoRealize {
	HiodHostIommuDevice parent_instance;
};
G_DEFINE_TYPE(TestNoRealize, test_no_realize, HIOD_TYPE_HOST_IOMMU_DEVICE)
static void
test_no_realize_init(TestNoRealize *self)
{
}
static void
test_no_realize_class_init(TestNoRealizeClass *klass)
{
}

/* tests --------------------------------------------------------------------- */

static void
test_realize(void)
{
	g_autoptr(TestAgent) agent = test_agent_new("0000:00:04.0");
	g_autoptr(TestHiod) hiod = g_object_new(TEST_TYPE_HIOD, NULL);
	g_autoptr(GError) error = NULL;
	HiodHostIommuCaps *caps;

	g_assert_true(G_TYPE_IS_ABSTRACT(HIOD_TYPE_HOST_IOMMU_DEVICE));
	g_assert_false(hiod_host_iommu_device_is_realized(HIOD_HOST_IOMMU_DEVICE(hiod)));
	g_assert_null(hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod)));
	g_assert_cmpuint(hiod->realize_calls, ==, 0); /* not run by instance init */

	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), &error));
	g_assert_no_error(error);
	g_assert_true(hiod_host_iommu_device_is_realized(HIOD_HOST_IOMMU_DEVICE(hiod)));
	g_assert_cmpstr(hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(hiod)), ==,
			"0000:00:04.0");
	caps = hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod));
	g_assert_nonnull(caps);
	g_assert_cmpint(hiod_host_iommu_caps_get_iommu_type(caps), ==, HIOD_IOMMU_TYPE_SELFTEST);
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), ==, 39);
	g_assert_cmpuint(hiod_host_iommu_caps_get_hw_caps(caps), ==, HIOD_HW_CAPS_DIRTY_TRACKING);
	g_assert_cmpuint(g_bytes_get_size(hiod_host_iommu_caps_get_vendor_data(caps)), ==, 2);
}

static void
test_idempotent(void)
{
	g_autoptr(TestAgent) agent = test_agent_new("a");
	g_autoptr(TestAgent) other = test_agent_new("b");
	g_autoptr(TestHiod) hiod = g_object_new(TEST_TYPE_HIOD, NULL);
	g_autoptr(GError) error = NULL;
	HiodHostIommuCaps *caps;

	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), &error));
	caps = hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod));
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod->realize_calls, ==, 1);
	g_assert_true(hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod)) == caps);

	g_assert_false(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						      HIOD_ASSIGNED_DEVICE(other), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_assert_cmpuint(hiod->realize_calls, ==, 1);
	g_assert_true(hiod_host_iommu_device_is_realized(HIOD_HOST_IOMMU_DEVICE(hiod)));
	g_assert_true(hiod_host_iommu_device_get_agent(HIOD_HOST_IOMMU_DEVICE(hiod)) ==
		      HIOD_ASSIGNED_DEVICE(agent));
}

static void
test_failure_leaves_unrealized(void)
{
	g_autoptr(TestAgent) agent = test_agent_new("a");
	g_autoptr(TestHiod) hiod = g_object_new(TEST_TYPE_HIOD, NULL);
	g_autoptr(GError) error = NULL;

	hiod->fail_after_caps = TRUE;
	g_assert_false(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						      HIOD_ASSIGNED_DEVICE(agent), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "the test said no"));
	g_assert_nonnull(strstr(error->message, "TestHiod"));
	g_assert_false(hiod_host_iommu_device_is_realized(HIOD_HOST_IOMMU_DEVICE(hiod)));
	g_assert_null(hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod)));
	g_assert_null(hiod_host_iommu_device_get_agent(HIOD_HOST_IOMMU_DEVICE(hiod)));
	g_assert_cmpuint(hiod->unrealize_calls, ==, 0);
	g_clear_error(&error);

	/* a later realize can still succeed */
	hiod->fail_after_caps = FALSE;
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod->realize_calls, ==, 2);
}

static void
test_caps_immutable(void)
{
	g_autoptr(TestAgent) agent = test_agent_new("a");
	g_autoptr(TestHiod) hiod = g_object_new(TEST_TYPE_HIOD, NULL);
	g_autoptr(HiodHostIommuCaps) other = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_INTEL_VTD, 1,
								      48, 0, 0, NULL);
	g_autoptr(HiodHostIommuCaps) kept = NULL;
	g_autoptr(HiodHostIommuCaps) copy = NULL;
	HiodHostIommuCaps *caps;

	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), NULL));
	caps = hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod));
	kept = hiod_host_iommu_caps_ref(caps);
	copy = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_SELFTEST, 0xfeedbeef, 39,
					HIOD_HW_CAPS_DIRTY_TRACKING, 0,
					hiod_host_iommu_caps_get_vendor_data(caps));
	g_assert_true(hiod_host_iommu_caps_equal(caps, copy));
	g_assert_false(hiod_host_iommu_caps_equal(caps, other));

	/* outside realize, nobody can replace them */
	g_test_expect_message("hiod", G_LOG_LEVEL_CRITICAL, "*priv->realizing*");
	hiod_host_iommu_device_set_caps(HIOD_HOST_IOMMU_DEVICE(hiod), other);
	g_test_assert_expected_messages();
	g_assert_true(hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod)) == caps);
	g_assert_true(hiod_host_iommu_caps_equal(caps, copy));

	/* a reference kept by a vIOMMU outlives the device */
	g_clear_object(&hiod);
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(kept), ==, 39);
}

static void
test_wrappers(void)
{
	g_autoptr(TestAgent) agent = test_agent_new("a");
	g_autoptr(TestHiod) hiod = g_object_new(TEST_TYPE_HIOD, NULL);
	g_autoptr(TestBareHiod) bare = g_object_new(TEST_TYPE_BARE_HIOD, "name", "bare", NULL);
	g_autoptr(TestNoRealize) none = g_object_new(TEST_TYPE_NO_REALIZE, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	guint64 mask = 0;

	/* no agent */
	g_assert_false(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod), NULL, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	/* something that is not an assigned device */
	g_assert_false(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						      (HiodAssignedDevice *)bare, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* before realize */
	g_assert_null(hiod_host_iommu_device_get_iova_ranges(HIOD_HOST_IOMMU_DEVICE(hiod), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	g_assert_false(hiod_host_iommu_device_get_page_size_mask(HIOD_HOST_IOMMU_DEVICE(hiod), &mask,
								 &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);

	/* after realize */
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), NULL));
	ranges = hiod_host_iommu_device_get_iova_ranges(HIOD_HOST_IOMMU_DEVICE(hiod), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ranges->len, ==, 2);
	g_assert_cmpuint(hiod_iova_ranges_get_aw_bits(ranges), ==, 39);
	g_assert_false(hiod_host_iommu_device_get_page_size_mask(HIOD_HOST_IOMMU_DEVICE(hiod), NULL,
								 &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_true(hiod_host_iommu_device_get_page_size_mask(HIOD_HOST_IOMMU_DEVICE(hiod), &mask,
								&error));
	g_assert_cmphex(mask, ==, 0x40201000);

	/* optional methods absent */
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(bare),
						     HIOD_ASSIGNED_DEVICE(agent), NULL));
	g_assert_cmpstr(hiod_host_iommu_device_get_name(HIOD_HOST_IOMMU_DEVICE(bare)), ==, "bare");
	g_assert_null(hiod_host_iommu_device_get_iova_ranges(HIOD_HOST_IOMMU_DEVICE(bare), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);
	g_assert_false(hiod_host_iommu_device_get_page_size_mask(HIOD_HOST_IOMMU_DEVICE(bare), &mask,
								 &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);
	/* caps of a subclass that learned nothing: unknown, not absent */
	g_assert_cmpint(hiod_host_iommu_caps_get_iommu_type(
			    hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(bare))),
			==, HIOD_IOMMU_TYPE_UNKNOWN);

	/* mandatory method absent */
	g_assert_false(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(none),
						      HIOD_ASSIGNED_DEVICE(agent), &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_false(hiod_host_iommu_device_is_realized(HIOD_HOST_IOMMU_DEVICE(none)));
}

static void
test_finalize_unrealizes(void)
{
	g_autoptr(TestAgent) agent = test_agent_new("a");
	TestHiod *hiod = g_object_new(TEST_TYPE_HIOD, NULL);
	guint counter = 0;

	hiod->unrealize_counter = &counter;
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), NULL));
	g_object_add_weak_pointer(G_OBJECT(hiod), (gpointer *)&hiod);
	g_object_unref(hiod);
	g_assert_null(hiod);
	g_assert_cmpuint(counter, ==, 1);

	/* the agent going away first does not leave a dangling pointer */
	{
		TestAgent *a = test_agent_new("gone");
		g_autoptr(TestHiod) h = g_object_new(TEST_TYPE_HIOD, NULL);
		g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(h),
							     HIOD_ASSIGNED_DEVICE(a), NULL));
		g_object_unref(a);
		g_assert_null(hiod_host_iommu_device_get_agent(HIOD_HOST_IOMMU_DEVICE(h)));
	}
}

static void
test_unrealize(void)
{
	g_autoptr(TestAgent) agent = test_agent_new("a");
	g_autoptr(TestHiod) hiod = g_object_new(TEST_TYPE_HIOD, NULL);
	hiod_host_iommu_device_unrealize(HIOD_HOST_IOMMU_DEVICE(hiod)); /* not realized: nothing */
	g_assert_cmpuint(hiod->unrealize_calls, ==, 0);
	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), NULL));
	hiod_host_iommu_device_unrealize(HIOD_HOST_IOMMU_DEVICE(hiod));
	g_assert_cmpuint(hiod->unrealize_calls, ==, 1);
	g_assert_false(hiod_host_iommu_device_is_realized(HIOD_HOST_IOMMU_DEVICE(hiod)));
	g_assert_null(hiod_host_iommu_device_get_caps(HIOD_HOST_IOMMU_DEVICE(hiod)));
}

static void
test_json(void)
{
	g_autoptr(TestAgent) agent = test_agent_new("0000:00:04.0");
	g_autoptr(TestHiod) hiod = g_object_new(TEST_TYPE_HIOD, NULL);
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	JsonObject *o, *caps;

	g_assert_true(hiod_host_iommu_device_realize(HIOD_HOST_IOMMU_DEVICE(hiod),
						     HIOD_ASSIGNED_DEVICE(agent), NULL));
	hiod_host_iommu_device_to_json(HIOD_HOST_IOMMU_DEVICE(hiod), b);
	root = json_builder_get_root(b);
	o = json_node_get_object(root);
	g_assert_cmpstr(json_object_get_string_member(o, "name"), ==, "0000:00:04.0");
	g_assert_true(json_object_get_boolean_member(o, "realized"));
	g_assert_cmpstr(json_object_get_string_member(o, "page_size_mask"), ==, "0x40201000");
	caps = json_object_get_object_member(o, "caps");
	g_assert_cmpstr(json_object_get_string_member(caps, "iommu_type"), ==, "selftest");
	g_assert_cmpint(json_object_get_int_member(caps, "aw_bits"), ==, 39);
	g_assert_cmpstr(json_array_get_string_element(json_object_get_array_member(caps, "hw_caps"), 0),
			==, "dirty-tracking");
	g_assert_cmpstr(json_object_get_string_member(caps, "vendor_data"), ==, "0102");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "iova_ranges")), ==, 2);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/host-iommu-device/realize", test_realize);
	g_test_add_func("/hiod/host-iommu-device/idempotent", test_idempotent);
	g_test_add_func("/hiod/host-iommu-device/failure-leaves-unrealized", test_failure_leaves_unrealized);
	g_test_add_func("/hiod/host-iommu-device/caps-immutable", test_caps_immutable);
	g_test_add_func("/hiod/host-iommu-device/wrappers", test_wrappers);
	g_test_add_func("/hiod/host-iommu-device/finalize-unrealizes", test_finalize_unrealizes);
	g_test_add_func("/hiod/host-iommu-device/unrealize", test_unrealize);
	g_test_add_func("/hiod/host-iommu-device/json", test_json);
	return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Region capabilities (issue 13): the capability chain of
 * VFIO_DEVICE_GET_REGION_INFO read after the kernel asked for more room
 * (sparse mmap areas, region type, MSI-X mappable), map_region mapping only
 * the sparse areas, malformed chains refused with nothing left behind, and
 * hiodctl-style JSON of regions and IRQ indexes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"

typedef enum {
	CAPS_NONE,
	CAPS_GOOD,
	CAPS_NO_AREAS,
	CAPS_AREA_OUTSIDE,
	CAPS_AREAS_BEYOND_REPLY,
	CAPS_LOOP,
	CAPS_ARGSZ_HUGE,
} Caps;

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	HiodTestKernel *k;
	HiodVfioDevice *dev;
	Caps caps;
	guint region_calls;
} Fixture;

#define BAR_SIZE 0x4000

/* BAR0: 16 KiB; chain: sparse mmap (areas [0, 4K) and [12K, 16K)) -> type -> MSI-X mappable */
static int
reply(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	Fixture *f = data;
	int ret = hiod_test_kernel_default_ioctl(f->k, kind, request, arg);
	struct hiod_vfio_region_info *ri = arg;
	struct hiod_vfio_region_info_cap_sparse_mmap *sp;
	struct hiod_vfio_region_info_cap_type *ty;
	struct hiod_vfio_info_cap_header *mx;
	gsize sp_size = sizeof(*sp) + 2 * sizeof(sp->areas[0]);
	gsize need = sizeof(*ri) + sp_size + sizeof(*ty) + sizeof(*mx);

	if (kind != HIOD_TEST_FD_DEVICE || request != HIOD_VFIO_DEVICE_GET_REGION_INFO ||
	    ri->index != 0 || f->caps == CAPS_NONE)
		return ret;
	f->region_calls++;
	ri->size = BAR_SIZE;
	ri->flags |= HIOD_VFIO_REGION_INFO_FLAG_CAPS;
	if (f->caps == CAPS_ARGSZ_HUGE) {
		ri->argsz = 64u << 20;
		return 0;
	}
	if (ri->argsz < need) {
		ri->argsz = need;
		ri->cap_offset = 0;
		return 0;
	}
	sp = (gpointer)(ri + 1);
	ty = (gpointer)((guint8 *)sp + sp_size);
	mx = (gpointer)(ty + 1);
	ri->cap_offset = sizeof(*ri);
	sp->header = (struct hiod_vfio_info_cap_header){HIOD_VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1,
							 (guint32)((guint8 *)ty - (guint8 *)ri)};
	sp->nr_areas = f->caps == CAPS_NO_AREAS ? 0 : 2;
	sp->areas[0].offset = 0;
	sp->areas[0].size = 0x1000;
	sp->areas[1].offset = 0x3000;
	sp->areas[1].size = f->caps == CAPS_AREA_OUTSIDE ? 0x2000 : 0x1000;
	if (f->caps == CAPS_AREAS_BEYOND_REPLY)
		sp->nr_areas = 100;
	ty->header = (struct hiod_vfio_info_cap_header){HIOD_VFIO_REGION_INFO_CAP_TYPE, 1,
							 (guint32)((guint8 *)mx - (guint8 *)ri)};
	ty->type = 0x80008086;
	ty->subtype = 3;
	*mx = (struct hiod_vfio_info_cap_header){HIOD_VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, 0};
	if (f->caps == CAPS_LOOP)
		mx->next = sizeof(*ri);
	return 0;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = NULL;

	f->tree = hiod_test_tree_new();
	hiod_test_tree_add_fake_kernel_devices(f->tree);
	f->ctx = hiod_test_tree_context(f->tree);
	f->k = hiod_test_kernel_new(f->ctx);
	f->k->reply = reply;
	f->k->reply_data = f;
	f->caps = GPOINTER_TO_INT(data);
	f->dev = hiod_vfio_device_new(f->ctx, "0000:00:04.0", &error);
	g_assert_no_error(error);
	c = hiod_container_new(f->ctx, HIOD_BACKEND_KIND_IOMMUFD, f->dev, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_vfio_device_attach(f->dev, c, 0, &error));
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->dev);
	g_assert_cmpuint(hiod_context_get_open_fd_count(f->ctx), ==, 0);
	g_assert_cmpuint(f->k->open_fds, ==, 0);
	g_clear_object(&f->ctx);
	hiod_test_kernel_free(f->k);
	hiod_test_tree_free(f->tree);
}

static void
test_caps(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioRegionCaps) caps = hiod_vfio_device_get_region_caps(f->dev, 0, &error);
	g_autoptr(HiodVfioRegionCaps) none = NULL;
	guint64 off = 0, size = 0;
	guint32 type = 0, subtype = 0;
	HiodVfioRegionInfo info;

	g_assert_no_error(error);
	g_assert_cmpuint(f->region_calls, ==, 2); /* asked for more room, then read the chain */
	g_assert_true(hiod_vfio_region_caps_has_sparse_mmap(caps));
	g_assert_cmpuint(hiod_vfio_region_caps_get_n_sparse_areas(caps), ==, 2);
	g_assert_true(hiod_vfio_region_caps_get_sparse_area(caps, 1, &off, &size));
	g_assert_cmphex(off, ==, 0x3000);
	g_assert_cmphex(size, ==, 0x1000);
	g_assert_false(hiod_vfio_region_caps_get_sparse_area(caps, 2, NULL, NULL));
	g_assert_true(hiod_vfio_region_caps_get_region_type(caps, &type, &subtype));
	g_assert_cmphex(type, ==, 0x80008086);
	g_assert_cmpuint(subtype, ==, 3);
	g_assert_true(hiod_vfio_region_caps_is_msix_mappable(caps));
	/* the plain info is one call, as before */
	f->region_calls = 0;
	g_assert_true(hiod_vfio_device_get_region_info(f->dev, 0, &info, &error));
	g_assert_cmpuint(f->region_calls, ==, 1);
	g_assert_cmphex(info.size, ==, BAR_SIZE);
	/* a region without capabilities */
	none = hiod_vfio_device_get_region_caps(f->dev, 1, &error);
	g_assert_no_error(error);
	g_assert_false(hiod_vfio_region_caps_has_sparse_mmap(none));
	g_assert_false(hiod_vfio_region_caps_get_region_type(none, NULL, NULL));
	g_assert_false(hiod_vfio_region_caps_is_msix_mappable(none));
}

static gboolean
page_is_mapped(gpointer addr)
{
	/* mincore says ENOMEM for a page with no mapping; a PROT_NONE one is mapped, so read
	 * /proc/self/maps for its protection instead */
	g_autofree gchar *maps = NULL;
	g_auto(GStrv) lines = NULL;
	guintptr a = (guintptr)addr;
	g_assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
	lines = g_strsplit(maps, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		guint64 start, end;
		gchar prot[5];
		if (sscanf(lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x %4s", &start, &end, prot) == 3 &&
		    a >= start && a < end)
			return prot[0] == 'r';
	}
	return FALSE;
}

static void
test_map_sparse(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gsize size = 0;
	guint8 *bar = hiod_vfio_device_map_region(f->dev, 0, &size, &error);

	g_assert_no_error(error);
	g_assert_nonnull(bar);
	g_assert_cmphex(size, ==, BAR_SIZE);
	g_assert_true(page_is_mapped(bar));
	g_assert_false(page_is_mapped(bar + 0x1000)); /* a hole: may not be mapped */
	g_assert_false(page_is_mapped(bar + 0x2000));
	g_assert_true(page_is_mapped(bar + 0x3000));
	bar[0] = 1;
	bar[0x3fff] = 2;
	/* the same mapping again */
	g_assert_true(hiod_vfio_device_map_region(f->dev, 0, NULL, &error) == bar);
	/* detached: nothing of the region stays mapped */
	hiod_vfio_device_detach(f->dev);
	g_assert_false(page_is_mapped(bar));
}

static void
test_map_fault(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error2 = NULL;
	g_autofree gchar *before = NULL, *after = NULL;
	guint8 *bar;

	g_assert_true(g_file_get_contents("/proc/self/maps", &before, NULL, NULL));
	/* the second area fails */
	hiod_context_inject_fault_nth(f->ctx, 4, ENOMEM);
	g_assert_null(hiod_vfio_device_map_region(f->dev, 0, NULL, &error));
	g_assert_true(hiod_context_fault_fired(f->ctx));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_assert_nonnull(strstr(error->message, "region 0 sparse area 1 [0x3000, +0x1000)"));
	hiod_context_clear_faults(f->ctx);
	g_assert_true(g_file_get_contents("/proc/self/maps", &after, NULL, NULL));
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's allocator maps and unmaps memory of its own between the two
	 * reads; the plain build's run of this test compares the maps exactly */
	g_test_message("under ASan: /proc/self/maps not compared");
#else
	g_assert_cmpstr(before, ==, after);
#endif
	bar = hiod_vfio_device_map_region(f->dev, 0, NULL, &error2);
	g_assert_no_error(error2);
	g_assert_nonnull(bar);
}

static void
test_refused(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioRegionCaps) caps = hiod_vfio_device_get_region_caps(f->dev, 0, &error);
	g_assert_null(caps);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "VFIO_DEVICE_GET_REGION_INFO"));
	g_assert_nonnull(strstr(error->message, "malformed"));
	g_clear_error(&error);
	g_assert_null(hiod_vfio_device_map_region(f->dev, 0, NULL, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
	if (f->caps == CAPS_ARGSZ_HUGE)
		g_assert_cmpuint(f->region_calls, ==, 2);
}

static void
test_no_areas(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_assert_null(hiod_vfio_device_map_region(f->dev, 0, NULL, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "lists no area, so none of it may be mapped"));
}

static void
test_json(Fixture *f, gconstpointer data)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	JsonObject *o;
	JsonArray *regions, *irqs;
	JsonObject *bar0, *msix;

	hiod_vfio_device_to_json(f->dev, b);
	root = json_builder_get_root(b);
	o = json_node_get_object(root);
	regions = json_object_get_array_member(o, "regions");
	irqs = json_object_get_array_member(o, "irqs");
	g_assert_cmpuint(json_array_get_length(regions), ==, 9);
	g_assert_cmpuint(json_array_get_length(irqs), ==, 5);
	bar0 = json_array_get_object_element(regions, 0);
	g_assert_cmpstr(json_object_get_string_member(bar0, "name"), ==, "BAR0");
	g_assert_cmpstr(json_object_get_string_member(bar0, "size"), ==, "0x4000");
	g_assert_true(json_object_get_boolean_member(bar0, "msix_mappable"));
	g_assert_cmpstr(json_object_get_string_member(bar0, "type"), ==, "0x80008086");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(bar0, "sparse_mmap")), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(regions, 7), "name"), ==,
			"config");
	msix = json_array_get_object_element(irqs, 2);
	g_assert_cmpstr(json_object_get_string_member(msix, "name"), ==, "MSI-X");
	g_assert_cmpint(json_object_get_int_member(msix, "count"), ==, 4);
	g_assert_true(json_object_get_boolean_member(json_array_get_object_element(irqs, 0), "automasked"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, caps, fn)                                                                         \
	g_test_add("/hiod/vfio-region/" path, Fixture, GINT_TO_POINTER(caps), fixture_setup, fn,    \
		   fixture_teardown)
	ADD("caps", CAPS_GOOD, test_caps);
	ADD("map-sparse", CAPS_GOOD, test_map_sparse);
	ADD("map-sparse-fault", CAPS_GOOD, test_map_fault);
	ADD("no-areas", CAPS_NO_AREAS, test_no_areas);
	ADD("refused/area-outside", CAPS_AREA_OUTSIDE, test_refused);
	ADD("refused/areas-beyond-reply", CAPS_AREAS_BEYOND_REPLY, test_refused);
	ADD("refused/loop", CAPS_LOOP, test_refused);
	ADD("refused/argsz-huge", CAPS_ARGSZ_HUGE, test_refused);
	ADD("json", CAPS_GOOD, test_json);
	return g_test_run();
}

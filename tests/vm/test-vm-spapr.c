/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sPAPR TCE backend against the real kernel (guest program of the
 * ppc64le pseries lane): edu DMA through the TCE tables, via HiodAddressSpace
 * sections, in the default window, a recreated window, a 64-bit window and
 * across both, on v2 and on v1; sections that fit no window refused with
 * nothing left behind; release leaves no window, registration or mapping
 * (asked of the kernel itself). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hiod-backend-private.h"
#include "hiod.h"
#include "hiod-edu.h"
#include "hiod-kernel-private.h"
#include "hiod-uapi-private.h"
#include "vm-fixture.h"

#define EDU "0000:00:00.0"
#define HI G_GUINT64_CONSTANT(0x800000000000000)
#define G1 G_GUINT64_CONSTANT(0x40000000)
#define DMA_LEN 2048
#define TIMEOUT_MS 5000

typedef struct {
	VmFixture vm; /* the context; no fd left at teardown */
	HiodAddressSpace *as;
	HiodVfioDevice *dev;
	HiodContainer *c; /* not owned */
	HiodEdu edu;
	gsize page;     /* host page: 64 KiB on ppc64le */
	guint8 *buf[3]; /* one host page each */
} Fixture;

static void
attach(Fixture *f, guint tce_version)
{
	g_autoptr(GError) error = NULL;
	if (tce_version == 0) {
		f->c = hiod_address_space_attach_device(f->as, f->dev, HIOD_BACKEND_KIND_AUTO, 0, &error);
		g_assert_no_error(error);
	} else {
		g_autoptr(HiodContainer) c = hiod_spapr_container_new(f->vm.ctx, tce_version);
		g_assert_true(hiod_vfio_device_attach(f->dev, c, 0, &error));
		g_assert_no_error(error);
		g_assert_true(hiod_address_space_add_container(f->as, c, &error));
		g_assert_no_error(error);
		f->c = c;
	}
	g_assert_true(HIOD_IS_SPAPR_CONTAINER(f->c));
	g_assert_true(hiod_edu_init(&f->edu, f->dev, &error));
	g_assert_no_error(error);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	vm_fixture_setup(&f->vm, data);
	f->as = hiod_address_space_new(f->vm.ctx);
	f->dev = hiod_vfio_device_new(f->vm.ctx, EDU, &error);
	g_assert_no_error(error);
	f->page = (gsize)sysconf(_SC_PAGESIZE);
	for (guint i = 0; i < G_N_ELEMENTS(f->buf); i++) {
		f->buf[i] = vm_buffer_new(f->page, 0);
	}
	attach(f, GPOINTER_TO_UINT(data));
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	hiod_address_space_detach_device(f->as, f->dev);
	g_object_unref(f->dev);
	g_object_unref(f->as);
	vm_fixture_teardown(&f->vm, data);
	for (guint i = 0; i < G_N_ELEMENTS(f->buf); i++)
		munmap(f->buf[i], f->page);
}

static gboolean
add_section(Fixture *f, guint64 iova, guint8 *buf, HiodDmaFlags flags, GError **error)
{
	if (hiod_address_space_add_section(f->as, iova, f->page, buf, flags, error))
		return TRUE;
	g_test_message("section at 0x%" G_GINT64_MODIFIER "x refused: %s", iova, (*error)->message);
	return FALSE;
}

/* RAM (src_iova) -> edu -> RAM (dst_iova) through the TCE tables; src holds @seed's pattern */
static void
round_trip(Fixture *f, guint64 src_iova, guint8 *src, guint64 dst_iova, guint8 *dst, guint8 seed)
{
	g_autoptr(GError) error = NULL;
	for (guint i = 0; i < DMA_LEN; i++)
		src[i] = (guint8)(i * 7 + seed);
	memset(dst, 0, DMA_LEN);
	g_assert_true(hiod_edu_dma(&f->edu, src_iova, DMA_LEN, FALSE, TIMEOUT_MS, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_dma(&f->edu, dst_iova, DMA_LEN, TRUE, TIMEOUT_MS, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(src, DMA_LEN, dst, DMA_LEN);
}

static gchar *
windows_string(HiodContainer *c)
{
	g_autoptr(GPtrArray) w = hiod_spapr_container_get_windows(HIOD_SPAPR_CONTAINER(c));
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < w->len; i++) {
		HiodIovaRange *r = g_ptr_array_index(w, i);
		g_string_append_printf(s, "%s0x%" G_GINT64_MODIFIER "x-0x%" G_GINT64_MODIFIER "x/%u",
				       i ? " " : "", r->start, r->last,
				       hiod_spapr_container_get_window_page_shift(HIOD_SPAPR_CONTAINER(c), r->start));
	}
	return g_string_free(s, FALSE);
}

/* what the kernel said at setup, and the host IOMMU device's report */
static void
test_info(Fixture *f, gconstpointer data)
{
	HiodSpaprContainer *sc = HIOD_SPAPR_CONTAINER(f->c);
	HiodHostIommuDevice *hiod = hiod_vfio_device_get_host_iommu_device(f->dev);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	g_autofree gchar *w = windows_string(f->c);
	guint64 mask = 0;

	g_assert_cmpint(hiod_container_get_backend_kind(f->c), ==, HIOD_BACKEND_KIND_SPAPR);
	g_assert_cmpuint(hiod_spapr_container_get_tce_version(sc), ==, 2);
	g_assert_cmphex(hiod_spapr_container_get_ddw_page_sizes(sc), ==, 0x1211000);
	g_assert_cmpuint(hiod_spapr_container_get_max_windows(sc), ==, 2);
	g_assert_cmpstr(w, ==, "0x0-0x3fffffff/12");
	g_assert_nonnull(hiod);
	g_assert_true(HIOD_IS_HOST_IOMMU_DEVICE_SPAPR(hiod));
	g_assert_cmpint(hiod_host_iommu_caps_get_iommu_type(hiod_host_iommu_device_get_caps(hiod)), ==,
			HIOD_IOMMU_TYPE_SPAPR_TCE);
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ranges->len, ==, 1);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 0))->last, ==, G1 - 1);
	g_assert_true(hiod_host_iommu_device_get_page_size_mask(hiod, &mask, &error));
	g_assert_cmphex(mask, ==, 0x1211000);
}

/* v2, the default 32-bit window: memory pre-registered, DMA lands */
static void
test_default_window(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *w = NULL;
	g_assert_true(add_section(f, 0x100000, f->buf[0], HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_no_error(error);
	g_assert_true(add_section(f, 0x200000, f->buf[1], 0, &error));
	g_assert_no_error(error);
	w = windows_string(f->c);
	g_assert_cmpstr(w, ==, "0x0-0x3fffffff/12");
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(HIOD_SPAPR_CONTAINER(f->c)), ==, 2);
	round_trip(f, 0x100000, f->buf[0], 0x200000, f->buf[1], 3);
	/* removed: the registrations go with the mappings, and edu cannot reach the page */
	g_assert_true(hiod_address_space_remove_section(f->as, 0x200000, f->page, &error));
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(HIOD_SPAPR_CONTAINER(f->c)), ==, 1);
	memset(f->buf[1], 0x5a, DMA_LEN);
	if (hiod_edu_dma(&f->edu, 0x200000, DMA_LEN, TRUE, TIMEOUT_MS, NULL))
		for (guint i = 0; i < DMA_LEN; i++)
			g_assert_cmphex(f->buf[1][i], ==, 0x5a);
}

/* v2, the default window removed and made again: the pseries host makes a
 * window at 0 only in the default shape (any other goes to 1 << 59), which
 * the container learns from the kernel on the way */
static void
test_recreated_window(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *w0 = NULL, *w1 = NULL, *w2 = NULL;
	g_assert_true(hiod_container_del_window(f->c, 0, &error));
	g_assert_no_error(error);
	w0 = windows_string(f->c);
	g_assert_cmpstr(w0, ==, "");
	g_assert_true(add_section(f, 0x100000, f->buf[0], HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_no_error(error);
	g_assert_true(add_section(f, 0x100000 + f->page, f->buf[1], 0, &error));
	g_assert_no_error(error);
	w1 = windows_string(f->c);
	g_assert_cmpstr(w1, ==, "0x0-0x3fffffff/12");
	round_trip(f, 0x100000, f->buf[0], 0x100000 + f->page, f->buf[1], 5);
	/* a bigger low window cannot be had on this host: refused, nothing changes */
	g_assert_false(add_section(f, G1, f->buf[2], 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_clear_error(&error);
	w2 = windows_string(f->c);
	g_assert_cmpstr(w2, ==, w1);
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(HIOD_SPAPR_CONTAINER(f->c)), ==, 2);
	round_trip(f, 0x100000, f->buf[0], 0x100000 + f->page, f->buf[1], 7);
}

/* v2, a 64-bit window at 1 << 59 beside the default one */
static void
test_window_64bit(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *w = NULL;
	g_autofree gchar *want = g_strdup_printf("0x0-0x3fffffff/12 0x800000000000000-0x80000003fffffff/%u",
						 g_bit_nth_lsf(f->page, -1));
	g_assert_true(add_section(f, HI, f->buf[0], HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_no_error(error);
	g_assert_true(add_section(f, HI + f->page, f->buf[1], 0, &error));
	g_assert_no_error(error);
	w = windows_string(f->c);
	g_assert_cmpstr(w, ==, want);
	round_trip(f, HI, f->buf[0], HI + f->page, f->buf[1], 9);
}

/* v2, one layout over both windows (recreated low window + 64-bit window):
 * a DMA reads from one window and writes into the other, both ways */
static void
test_both_windows(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	g_assert_true(add_section(f, 0x100000, f->buf[0], 0, &error));
	g_assert_no_error(error);
	g_assert_true(add_section(f, HI, f->buf[1], 0, &error));
	g_assert_no_error(error);
	round_trip(f, 0x100000, f->buf[0], HI, f->buf[1], 11);
	round_trip(f, HI, f->buf[1], 0x100000, f->buf[0], 13);
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod_vfio_device_get_host_iommu_device(f->dev), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ranges->len, ==, 2);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 0))->start, ==, 0);
	g_assert_cmphex(((HiodIovaRange *)g_ptr_array_index(ranges, 1))->start, ==, HI);
}

/* sections that fit no window: refused with the reason, nothing left behind */
static void
test_outside(Fixture *f, gconstpointer data)
{
	HiodSpaprContainer *sc = HIOD_SPAPR_CONTAINER(f->c);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = NULL, *after = NULL;

	g_assert_true(add_section(f, 0x100000, f->buf[0], 0, &error));
	g_assert_true(add_section(f, HI + 0x100000, f->buf[1], 0, &error));
	g_assert_no_error(error);
	before = windows_string(f->c);
	/* past the low window, which holds a mapping and cannot grow */
	g_assert_false(add_section(f, G_GUINT64_CONSTANT(1) << 40, f->buf[2], 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "cannot fit in any DMA window"));
	g_clear_error(&error);
	/* across the boundary of the two windows' spaces */
	g_assert_false(hiod_address_space_add_section(f->as, HI - f->page, 2 * f->page, f->buf[2], 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_test_message("%s", error->message);
	g_clear_error(&error);
	after = windows_string(f->c);
	g_assert_cmpstr(after, ==, before);
	g_assert_cmpuint(hiod_address_space_get_n_sections(f->as), ==, 2);
	g_assert_cmpuint(hiod_container_get_n_mappings(f->c), ==, 2);
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(sc), ==, 2);
	/* the kernel has no registration of the refused page */
	{
		struct hiod_vfio_iommu_spapr_register_memory r = {.vaddr = GPOINTER_TO_SIZE(f->buf[2]), .size = f->page};
		gint fd = hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(f->c));
		g_assert_cmpint(hiod_kernel_ioctl(f->vm.ctx, fd, HIOD_IOC(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY), &r,
						  sizeof(r), &error), <, 0);
		g_test_message("unregistering the refused page: %s", error->message);
		g_clear_error(&error);
	}
	/* what is there still works */
	round_trip(f, 0x100000, f->buf[0], HI + 0x100000, f->buf[1], 17);
}

/* v1: enabled, the default window only */
static void
test_v1(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_assert_cmpuint(hiod_spapr_container_get_tce_version(HIOD_SPAPR_CONTAINER(f->c)), ==, 1);
	g_assert_cmphex(hiod_spapr_container_get_ddw_page_sizes(HIOD_SPAPR_CONTAINER(f->c)), ==, 0);
	g_assert_true(add_section(f, 0x100000, f->buf[0], HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_no_error(error);
	g_assert_true(add_section(f, 0x200000, f->buf[1], 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(HIOD_SPAPR_CONTAINER(f->c)), ==, 0);
	round_trip(f, 0x100000, f->buf[0], 0x200000, f->buf[1], 19);
	g_assert_false(add_section(f, G1, f->buf[2], 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_test_message("%s", error->message);
	g_clear_error(&error);
	g_assert_false(hiod_container_add_window(f->c, HI, G1, 0x10000, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
}

/* release: no window, registration or mapping is left, as the kernel tells */
static void
test_release(Fixture *f, gconstpointer data)
{
	HiodSpaprContainer *sc = HIOD_SPAPR_CONTAINER(f->c);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) windows = NULL;
	gint fd = hiod_legacy_container_get_fd(HIOD_LEGACY_CONTAINER(f->c));
	guint64 starts[2];

	/* both windows made by the container: the default one again, and a 64-bit one */
	g_assert_true(hiod_container_del_window(f->c, 0, &error));
	g_assert_true(add_section(f, 0x100000, f->buf[0], 0, &error));
	g_assert_true(add_section(f, HI, f->buf[1], 0, &error));
	g_assert_no_error(error);
	round_trip(f, 0x100000, f->buf[0], HI, f->buf[1], 23);
	/* the device stays attached (the container fd stays open) while the backend lets go */
	hiod_container_release(f->c);
	windows = hiod_spapr_container_get_windows(sc);
	g_assert_cmpuint(windows->len, ==, 0);
	g_assert_cmpuint(hiod_spapr_container_get_n_registrations(sc), ==, 0);
	g_assert_cmpuint(hiod_container_get_n_mappings(f->c), ==, 0);
	/* no registration: unregistering either buffer fails */
	for (guint i = 0; i < 2; i++) {
		struct hiod_vfio_iommu_spapr_register_memory r = {.vaddr = GPOINTER_TO_SIZE(f->buf[i]), .size = f->page};
		g_assert_cmpint(hiod_kernel_ioctl(f->vm.ctx, fd, HIOD_IOC(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY), &r,
						  sizeof(r), &error), <, 0);
		g_test_message("unregistering buffer %u after release: %s", i, error->message);
		g_clear_error(&error);
	}
	/* no window: both of the host's window slots are free again */
	for (guint i = 0; i < 2; i++) {
		/* the default shape (which only slot 0 takes), then a 64K-page one */
		struct hiod_vfio_iommu_spapr_tce_create c = {.page_shift = i ? 16 : 12, .window_size = G1, .levels = 1};
		g_assert_cmpint(hiod_kernel_ioctl(f->vm.ctx, fd, HIOD_IOC(VFIO_IOMMU_SPAPR_TCE_CREATE), &c, sizeof(c),
						  &error), ==, 0);
		g_assert_no_error(error);
		starts[i] = c.start_addr;
	}
	g_assert_cmphex(starts[0], ==, 0);
	g_assert_cmphex(starts[1], ==, HI);
	for (guint i = 0; i < 2; i++) {
		struct hiod_vfio_iommu_spapr_tce_remove r = {.start_addr = starts[i]};
		g_assert_cmpint(hiod_kernel_ioctl(f->vm.ctx, fd, HIOD_IOC(VFIO_IOMMU_SPAPR_TCE_REMOVE), &r, sizeof(r),
						  &error), ==, 0);
	}
}

/* hiodctl info and dma-test pick the sPAPR backend by themselves */
static void
test_hiodctl(Fixture *f, gconstpointer data)
{
	const gchar *hiodctl = g_getenv("HIODCTL");
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *root, *dev, *cont, *hiod, *caps;
	gint status = 0;
	const gchar *info_argv[] = {hiodctl, "--json", "info", EDU, NULL};
	const gchar *dma_argv[] = {hiodctl, "--json", "dma-test", EDU, NULL};

	g_assert_nonnull(hiodctl);
	/* the fixture holds the device: let go of it first */
	hiod_address_space_detach_device(f->as, f->dev);
	g_assert_true(g_spawn_sync(NULL, (gchar **)info_argv, NULL, 0, NULL, NULL, &out, &err, &status, &error));
	g_assert_no_error(error);
	g_test_message("%s%s", out, err);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	root = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpstr(json_object_get_string_member(root, "backend"), ==, "spapr");
	dev = json_object_get_object_member(root, "device");
	cont = json_object_get_object_member(dev, "container");
	g_assert_cmpstr(json_object_get_string_member(cont, "iommu_type"), ==, "spapr-tce-v2");
	g_assert_cmpint(json_object_get_int_member(cont, "max_windows"), ==, 2);
	hiod = json_object_get_object_member(dev, "host_iommu_device");
	caps = json_object_get_object_member(hiod, "caps");
	g_assert_cmpstr(json_object_get_string_member(caps, "iommu_type"), ==, "spapr-tce");

	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	g_assert_true(g_spawn_sync(NULL, (gchar **)dma_argv, NULL, 0, NULL, NULL, &out, &err, &status, &error));
	g_test_message("%s%s", out, err);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	root = json_node_get_object(json_parser_get_root(parser));
	g_assert_true(json_object_get_boolean_member(root, "verified"));
	g_assert_cmpstr(json_object_get_string_member(root, "backend"), ==, "spapr");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, v, fn) g_test_add("/hiod/vm/spapr/" path, Fixture, GUINT_TO_POINTER(v), fixture_setup, fn, fixture_teardown)
	ADD("info", 0, test_info);
	ADD("v2/default-window", 0, test_default_window);
	ADD("v2/recreated-window", 0, test_recreated_window);
	ADD("v2/window-64bit", 0, test_window_64bit);
	ADD("v2/both-windows", 0, test_both_windows);
	ADD("v2/outside-every-window", 0, test_outside);
	ADD("v2/release", 0, test_release);
	ADD("v1/default-window", 1, test_v1);
	ADD("hiodctl", 0, test_hiodctl);
	return g_test_run();
}

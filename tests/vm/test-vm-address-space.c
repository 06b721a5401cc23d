/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HiodAddressSpace against the real kernel (guest program): sections reach
 * edu devices through VT-d, in one container or two, replayed on join,
 * split on partial removal, gone after removal. */
#include "config.h"

#include <string.h>
#include <sys/mman.h>

#include <errno.h>

#include "hiod.h"
#include "hiod-edu.h"
#include "hiod-kernel-private.h"
#include "hiod-test-common.h"
#include "vm-fixture.h"

#define EDU0 "0000:00:04.0"
#define EDU1 "0000:00:05.0"
#define PAGE 0x1000u
#define BUF_SIZE (64 * PAGE)
#define IOVA_A 0x100000u
#define IOVA_B 0x400000u
#define DMA_LEN 2048
#define TIMEOUT_MS 5000

typedef struct {
	VmFixture vm; /* the context; no fd left at teardown */
	HiodAddressSpace *as;
	HiodVfioDevice *dev[2];
	guint8 *buf; /* BUF_SIZE bytes, page aligned */
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	vm_fixture_setup(&f->vm, data);
	f->as = hiod_address_space_new(f->vm.ctx);
	f->dev[0] = hiod_vfio_device_new(f->vm.ctx, EDU0, &error);
	g_assert_no_error(error);
	f->dev[1] = hiod_vfio_device_new(f->vm.ctx, EDU1, &error);
	g_assert_no_error(error);
	f->buf = vm_buffer_new(BUF_SIZE, 0);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) members = NULL;
	for (guint i = 0; i < 2; i++) {
		hiod_address_space_detach_device(f->as, f->dev[i]);
		g_object_unref(f->dev[i]);
	}
	members = hiod_address_space_get_containers(f->as);
	g_assert_cmpuint(members->len, ==, 0);
	g_clear_pointer(&members, g_ptr_array_unref);
	g_object_unref(f->as);
	/* nothing left open: no device, group or container fd */
	vm_fixture_teardown(&f->vm, data);
	munmap(f->buf, BUF_SIZE);
}

static void
fill(guint8 *p, gsize len, guint8 seed)
{
	for (gsize i = 0; i < len; i++)
		p[i] = (guint8)(seed + i * 7);
}

/* RAM (@src) -> device buffer -> RAM (@dst) through the IOMMU */
static void
edu_copy(HiodVfioDevice *dev, guint64 src, guint64 dst)
{
	g_autoptr(GError) error = NULL;
	HiodEdu edu;
	g_assert_true(hiod_edu_init(&edu, dev, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_dma(&edu, src, DMA_LEN, FALSE, TIMEOUT_MS, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_edu_dma(&edu, dst, DMA_LEN, TRUE, TIMEOUT_MS, &error));
	g_assert_no_error(error);
}

/* device buffer -> RAM (@dst) only */
static void
edu_write_ram(HiodVfioDevice *dev, guint64 dst)
{
	g_autoptr(GError) error = NULL;
	HiodEdu edu;
	g_assert_true(hiod_edu_init(&edu, dev, &error));
	/* a faulting DMA still completes on the device side (VT-d drops it) */
	g_assert_true(hiod_edu_dma(&edu, dst, DMA_LEN, TRUE, TIMEOUT_MS, &error));
	g_assert_no_error(error);
}

/* A section added through the space carries edu DMA both ways; after its
 * right half is removed the device no longer reaches that half, but still
 * reaches the left half. */
static void
test_dma_split(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HiodContainer *c;
	guint64 start = 0, size = 0;
	guint8 *half = f->buf + 32 * PAGE;

	c = hiod_address_space_attach_device(f->as, f->dev[0], HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	g_assert_nonnull(c);
	g_assert_cmpint(hiod_container_get_backend_kind(c), ==, HIOD_BACKEND_KIND_LEGACY);
	g_assert_true(hiod_address_space_add_section(f->as, IOVA_A, BUF_SIZE, f->buf, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);

	fill(f->buf, DMA_LEN, 0x11);
	edu_copy(f->dev[0], IOVA_A, IOVA_A + 32 * PAGE);
	g_assert_cmpmem(half, DMA_LEN, f->buf, DMA_LEN);

	/* remove the right half: the kernel (type1 refuses to bisect) sees an
	 * unmap of the whole and a map of the left half */
	g_assert_true(hiod_address_space_remove_section(f->as, IOVA_A + 32 * PAGE, 32 * PAGE, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_lookup(f->as, IOVA_A, &start, &size, NULL, NULL));
	g_assert_cmpuint(size, ==, 32 * PAGE);
	g_assert_false(hiod_address_space_lookup(f->as, IOVA_A + 32 * PAGE, NULL, NULL, NULL, NULL));
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);

	/* the removed half: the device's write faults, the memory keeps its bytes */
	memset(half, 0x55, DMA_LEN);
	edu_write_ram(f->dev[0], IOVA_A + 32 * PAGE);
	for (guint i = 0; i < DMA_LEN; i++)
		g_assert_cmpuint(half[i], ==, 0x55);
	/* the left half still works */
	fill(f->buf, DMA_LEN, 0x22);
	edu_copy(f->dev[0], IOVA_A, IOVA_A + 8 * PAGE);
	g_assert_cmpmem(f->buf + 8 * PAGE, DMA_LEN, f->buf, DMA_LEN);

	g_assert_true(hiod_address_space_remove_section(f->as, 0, G_GUINT64_CONSTANT(1) << 39, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
	g_assert_cmpuint(hiod_address_space_get_n_sections(f->as), ==, 0);
}

/* Two containers (one per device): the second joins after the section was
 * added and gets it replayed; a section added later reaches both. */
static void
test_two_containers(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) second = NULL;
	g_autoptr(GPtrArray) members = NULL;
	HiodContainer *first;

	g_assert_true(hiod_address_space_add_section(f->as, IOVA_A, 16 * PAGE, f->buf, 0, &error));
	g_assert_no_error(error);
	first = hiod_address_space_attach_device(f->as, f->dev[0], HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(first), ==, 1);

	/* a container of its own for the second device, joined by hand */
	second = hiod_container_new(f->vm.ctx, HIOD_BACKEND_KIND_LEGACY, f->dev[1], &error);
	g_assert_no_error(error);
	g_assert_true(hiod_vfio_device_attach(f->dev[1], second, 0, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_add_container(f->as, second, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(second), ==, 1);
	members = hiod_address_space_get_containers(f->as);
	g_assert_cmpuint(members->len, ==, 2);

	/* both devices reach the replayed section */
	fill(f->buf, DMA_LEN, 0x33);
	edu_copy(f->dev[0], IOVA_A, IOVA_A + 4 * PAGE);
	g_assert_cmpmem(f->buf + 4 * PAGE, DMA_LEN, f->buf, DMA_LEN);
	edu_copy(f->dev[1], IOVA_A, IOVA_A + 8 * PAGE);
	g_assert_cmpmem(f->buf + 8 * PAGE, DMA_LEN, f->buf, DMA_LEN);

	/* a section added now reaches both containers */
	g_assert_true(hiod_address_space_add_section(f->as, IOVA_B, 16 * PAGE, f->buf + 32 * PAGE, 0,
						     &error));
	g_assert_no_error(error);
	fill(f->buf + 32 * PAGE, DMA_LEN, 0x44);
	edu_copy(f->dev[1], IOVA_B, IOVA_B + 4 * PAGE);
	g_assert_cmpmem(f->buf + 36 * PAGE, DMA_LEN, f->buf + 32 * PAGE, DMA_LEN);
	edu_copy(f->dev[0], IOVA_B, IOVA_B + 8 * PAGE);
	g_assert_cmpmem(f->buf + 40 * PAGE, DMA_LEN, f->buf + 32 * PAGE, DMA_LEN);

	/* an overlapping section is refused and changes nothing */
	g_assert_false(hiod_address_space_add_section(f->as, IOVA_B + PAGE, PAGE, f->buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);
	/* an unaligned one is refused by the container, nothing changes */
	g_assert_false(hiod_address_space_add_section(f->as, 0x800800, PAGE, f->buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_container_get_n_mappings(first), ==, 2);
	g_assert_cmpuint(hiod_container_get_n_mappings(second), ==, 2);

	/* removed from the space: the second device no longer reaches it */
	g_assert_true(hiod_address_space_remove_section(f->as, IOVA_B, 16 * PAGE, &error));
	memset(f->buf + 36 * PAGE, 0x66, DMA_LEN);
	edu_write_ram(f->dev[1], IOVA_B + 4 * PAGE);
	for (guint i = 0; i < DMA_LEN; i++)
		g_assert_cmpuint(f->buf[36 * PAGE + i], ==, 0x66);

	/* the second leaves the space: its container is unmapped */
	hiod_address_space_remove_container(f->as, second);
	g_assert_cmpuint(hiod_container_get_n_mappings(second), ==, 0);
	hiod_vfio_device_detach(f->dev[1]);
}

/* Two devices in two groups attached through the space share one type1
 * container; the container leaves the space with its last device. */
static void
test_two_groups_one_container(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) members = NULL;
	HiodContainer *c0, *c1;

	g_assert_true(hiod_address_space_add_section(f->as, IOVA_A, 16 * PAGE, f->buf, 0, &error));
	c0 = hiod_address_space_attach_device(f->as, f->dev[0], HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	c1 = hiod_address_space_attach_device(f->as, f->dev[1], HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	g_assert_true(c0 == c1);
	members = hiod_address_space_get_containers(f->as);
	g_assert_cmpuint(members->len, ==, 1);
	g_clear_pointer(&members, g_ptr_array_unref);

	fill(f->buf, DMA_LEN, 0x77);
	edu_copy(f->dev[1], IOVA_A, IOVA_A + 4 * PAGE);
	g_assert_cmpmem(f->buf + 4 * PAGE, DMA_LEN, f->buf, DMA_LEN);
	edu_copy(f->dev[0], IOVA_A, IOVA_A + 8 * PAGE);
	g_assert_cmpmem(f->buf + 8 * PAGE, DMA_LEN, f->buf, DMA_LEN);

	hiod_address_space_detach_device(f->as, f->dev[0]);
	g_assert_true(hiod_address_space_has_container(f->as, c1));
	hiod_address_space_detach_device(f->as, f->dev[1]);
	members = hiod_address_space_get_containers(f->as);
	g_assert_cmpuint(members->len, ==, 0);
}

/* Fails the 1st, 2nd, ... kernel call of an attach through the space in
 * turn (open, group, container, MAP_DMA of the replay, region info, ...):
 * each failure leaves no fd, no member, no mapping and the device detached;
 * the attach that finally succeeds carries DMA. Then the same for a second
 * device joining the existing container: the first keeps working. */
static void
test_attach_rollback(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HiodContainer *c = NULL, *c1 = NULL;
	HiodTestFaultWalk w;
	guint fds_one;

	g_assert_true(hiod_address_space_add_section(f->as, IOVA_A, 16 * PAGE, f->buf, 0, &error));
	g_assert_true(hiod_address_space_add_section(f->as, IOVA_B, 16 * PAGE, f->buf + 32 * PAGE, 0,
						     &error));
	for (hiod_test_fault_walk_init(&w, f->vm.ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GPtrArray) members = NULL;
		c = hiod_address_space_attach_device(f->as, f->dev[0], HIOD_BACKEND_KIND_LEGACY, 0,
						     &error);
		if (hiod_test_fault_walk_done(&w, c != NULL))
			break;
		if (c != NULL) { /* the fault hit a call whose failure is not fatal */
			hiod_address_space_detach_device(f->as, f->dev[0]);
			continue;
		}
		g_assert_nonnull(error);
		g_clear_error(&error);
		members = hiod_address_space_get_containers(f->as);
		g_assert_cmpuint(members->len, ==, 0);
		g_assert_null(hiod_vfio_device_get_container(f->dev[0]));
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, 0);
		g_assert_cmpuint(hiod_address_space_get_n_sections(f->as), ==, 2);
	}
	g_test_message("attach with replay succeeded at the %u-th try", w.n);
	g_assert_nonnull(c);
	g_assert_cmpuint(w.n, >, 3);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	fill(f->buf, DMA_LEN, 0x88);
	edu_copy(f->dev[0], IOVA_A, IOVA_A + 4 * PAGE);
	g_assert_cmpmem(f->buf + 4 * PAGE, DMA_LEN, f->buf, DMA_LEN);

	fds_one = hiod_context_get_open_fd_count(f->vm.ctx);
	for (hiod_test_fault_walk_init(&w, f->vm.ctx, EIO); hiod_test_fault_walk_next(&w);) {
		c1 = hiod_address_space_attach_device(f->as, f->dev[1], HIOD_BACKEND_KIND_LEGACY, 0,
						      &error);
		if (hiod_test_fault_walk_done(&w, c1 != NULL))
			break;
		if (c1 != NULL) {
			hiod_address_space_detach_device(f->as, f->dev[1]);
			continue;
		}
		g_clear_error(&error);
		g_assert_null(hiod_vfio_device_get_container(f->dev[1]));
		g_assert_cmpuint(hiod_context_get_open_fd_count(f->vm.ctx), ==, fds_one);
		g_assert_true(hiod_address_space_has_container(f->as, c));
		g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	}
	g_assert_true(c1 == c);
	fill(f->buf + 32 * PAGE, DMA_LEN, 0x99);
	edu_copy(f->dev[1], IOVA_B, IOVA_B + 4 * PAGE);
	g_assert_cmpmem(f->buf + 36 * PAGE, DMA_LEN, f->buf + 32 * PAGE, DMA_LEN);
	edu_copy(f->dev[0], IOVA_B, IOVA_B + 8 * PAGE);
	g_assert_cmpmem(f->buf + 40 * PAGE, DMA_LEN, f->buf + 32 * PAGE, DMA_LEN);
}

/* Coalescing against type1's mapping limit (the 'legacy-dma-limit' boot,
 * vfio_iommu_type1.dma_entry_limit=8): more touching sections than the limit
 * are one kernel mapping; edu DMA reaches the last; a removal in the middle
 * leaves two mappings and DMA still works on the rest, not in the hole.
 * Without coalescing the same sections stop at the limit, and the error says
 * how many are left and what to do. On a default boot (65535) the same runs
 * with 20 sections, under the limit. */
static void
test_coalesce_limit(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HiodContainer *c;
	guint max, n = 20, mid;
	guint64 last_iova;

	g_assert_true(hiod_address_space_set_coalesce(f->as, TRUE, &error));
	c = hiod_address_space_attach_device(f->as, f->dev[0], HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	max = hiod_container_get_max_mappings(c);
	if (max > 0 && max < 30)
		n = 2 * max + 4; /* well past the limit, within BUF_SIZE */
	g_test_message("type1 allows %u mappings; %u sections", max, n);
	for (guint i = 0; i < n; i++) {
		g_assert_true(hiod_address_space_add_section(f->as, IOVA_A + i * PAGE, PAGE, f->buf + i * PAGE, 0,
							     &error));
		g_assert_no_error(error);
	}
	g_assert_cmpuint(hiod_address_space_get_n_sections(f->as), ==, n);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);

	/* DMA through the last section: RAM -> device -> the first */
	last_iova = IOVA_A + (n - 1) * PAGE;
	fill(f->buf + (n - 1) * PAGE, DMA_LEN, 0x31);
	edu_copy(f->dev[0], last_iova, IOVA_A);
	g_assert_cmpmem(f->buf, DMA_LEN, f->buf + (n - 1) * PAGE, DMA_LEN);

	/* a removal in the middle: unmap the run, map back both sides */
	mid = n / 2;
	g_assert_true(hiod_address_space_remove_section(f->as, IOVA_A + mid * PAGE, PAGE, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_address_space_get_n_sections(f->as), ==, n - 1);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	/* the rest still works both sides of the hole */
	fill(f->buf + (mid + 1) * PAGE, DMA_LEN, 0x42);
	edu_copy(f->dev[0], IOVA_A + (mid + 1) * PAGE, last_iova);
	g_assert_cmpmem(f->buf + (n - 1) * PAGE, DMA_LEN, f->buf + (mid + 1) * PAGE, DMA_LEN);
	edu_copy(f->dev[0], IOVA_A + (mid + 1) * PAGE, IOVA_A + (mid - 1) * PAGE);
	g_assert_cmpmem(f->buf + (mid - 1) * PAGE, DMA_LEN, f->buf + (mid + 1) * PAGE, DMA_LEN);
	/* ... and not in the hole: the device's write faults, the memory keeps its bytes */
	memset(f->buf + mid * PAGE, 0x55, DMA_LEN);
	edu_write_ram(f->dev[0], IOVA_A + mid * PAGE);
	for (guint i = 0; i < DMA_LEN; i++)
		g_assert_cmpuint(f->buf[mid * PAGE + i], ==, 0x55);

	g_assert_true(hiod_address_space_remove_section(f->as, 0, G_GUINT64_CONSTANT(1) << 39, &error));
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 0);
	if (max == 0 || max >= 30)
		return;
	/* without coalescing: the limit, and an error that says what to do */
	g_assert_true(hiod_address_space_set_coalesce(f->as, FALSE, &error));
	for (guint i = 0; i < max; i++) {
		g_assert_true(hiod_address_space_add_section(f->as, IOVA_A + i * PAGE, PAGE, f->buf + i * PAGE, 0,
							     &error));
		g_assert_no_error(error);
	}
	g_assert_false(hiod_address_space_add_section(f->as, IOVA_A + max * PAGE, PAGE, f->buf + max * PAGE, 0,
						      &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "(0 left)"));
	g_assert_nonnull(strstr(error->message, "hiod_address_space_set_coalesce()"));
	g_assert_nonnull(strstr(error->message, "iommufd"));
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, max);
	g_clear_error(&error);
	g_assert_true(hiod_address_space_remove_section(f->as, 0, G_GUINT64_CONSTANT(1) << 39, &error));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/hiod/vm/address-space/dma-split", Fixture, NULL, fixture_setup, test_dma_split,
		   fixture_teardown);
	g_test_add("/hiod/vm/address-space/two-containers", Fixture, NULL, fixture_setup,
		   test_two_containers, fixture_teardown);
	g_test_add("/hiod/vm/address-space/two-groups-one-container", Fixture, NULL, fixture_setup,
		   test_two_groups_one_container, fixture_teardown);
	g_test_add("/hiod/vm/address-space/attach-rollback", Fixture, NULL, fixture_setup,
		   test_attach_rollback, fixture_teardown);
	g_test_add("/hiod/vm/address-space/coalesce-limit", Fixture, NULL, fixture_setup,
		   test_coalesce_limit, fixture_teardown);
	return g_test_run();
}

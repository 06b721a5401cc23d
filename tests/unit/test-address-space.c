/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HiodAddressSpace, through a test-only container that records its "kernel"
 * mappings in memory and fails the operation it is told to. */
#include "config.h"

#include "hiod-backend-private.h"
#include "hiod-test-common.h"

#define PAGE 0x1000u
#define FAKE_IOVA_LAST ((G_GUINT64_CONSTANT(1) << 40) - 1)

/* Operations (map, copy, unmap) across every fake container; the one whose
 * number equals fail_at fails with HIOD_ERROR_IO. 0: never. */
static gint test_ops;
static gint test_fail_at;

static gboolean
test_fault(const gchar *what, GError **error)
{
	gint n = g_atomic_int_add(&test_ops, 1) + 1;
	if (n != g_atomic_int_get(&test_fail_at))
		return FALSE;
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_IO, "injected failure of %s (operation %d)", what, n);
	return TRUE;
}

static void
test_fault_arm(gint nth)
{
	g_atomic_int_set(&test_ops, 0);
	g_atomic_int_set(&test_fail_at, nth);
}

/* the fake container ---------------------------------------------------------- */

typedef struct {
	guint64 iova;
	guint64 size;
	gpointer vaddr;
	HiodDmaFlags flags;
	gboolean copied;
} TestMap;

#define TEST_TYPE_CONTAINER (test_container_get_type())
G_DECLARE_DERIVABLE_TYPE(TestContainer, test_container, TEST, CONTAINER, HiodContainer)
struct _TestContainerClass {
	HiodContainerClass parent_class;
};
typedef struct {
	GTree *maps;		/* iova (guint64*) -> TestMap*: what the "kernel" holds */
	guint64 iova_last;	/* the usable IOVA range is [0, iova_last] */
	guint fail_map_at;	/* this container's nth map or copy fails; 0: never */
	guint n_maps;		/* map + copy calls */
	guint n_copies;
	gboolean copy_unsupported;
	gboolean refuse_devices; /* attach answers INCOMPATIBLE */
	gboolean break_devices;	 /* attach answers PERMISSION_DENIED */
} TestContainerPrivate;
G_DEFINE_TYPE_WITH_PRIVATE(TestContainer, test_container, HIOD_TYPE_CONTAINER)
#define TPRIV(o) ((TestContainerPrivate *)test_container_get_instance_private(TEST_CONTAINER(o)))

static gint
test_u64_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
	guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
	return x < y ? -1 : x > y ? 1 : 0;
}

static gboolean
test_container_setup(HiodContainer *c, GError **error)
{
	g_autoptr(GPtrArray) ranges = hiod_iova_ranges_new();
	g_ptr_array_add(ranges, hiod_iova_range_new(0, TPRIV(c)->iova_last));
	hiod_container_set_iova_ranges(c, ranges);
	hiod_container_set_page_size_mask(c, PAGE | 0x200000 | 0x40000000);
	return TRUE;
}

static gboolean
test_container_record(HiodContainer *c, guint64 iova, guint64 size, gpointer vaddr,
		      HiodDmaFlags flags, gboolean copied, GError **error)
{
	TestContainerPrivate *priv = TPRIV(c);
	TestMap *m;
	priv->n_maps++;
	if (priv->fail_map_at != 0 && priv->n_maps == priv->fail_map_at) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE, "container told to fail map %u",
			    priv->n_maps);
		return FALSE;
	}
	if (test_fault(copied ? "copy" : "map", error))
		return FALSE;
	/* the base class never lets an overlap through */
	g_assert_null(g_tree_lookup(priv->maps, &iova));
	m = g_new0(TestMap, 1);
	m->iova = iova;
	m->size = size;
	m->vaddr = vaddr;
	m->flags = flags;
	m->copied = copied;
	g_tree_insert(priv->maps, &m->iova, m);
	return TRUE;
}

static gboolean
test_container_dma_map(HiodContainer *c, guint64 iova, guint64 size, gpointer vaddr,
		       HiodDmaFlags flags, GError **error)
{
	return test_container_record(c, iova, size, vaddr, flags, FALSE, error);
}

static gboolean
test_container_dma_unmap(HiodContainer *c, guint64 iova, guint64 size, gboolean unmap_all,
			 GError **error)
{
	TestContainerPrivate *priv = TPRIV(c);
	TestMap *m;
	if (test_fault("unmap", error))
		return FALSE;
	if (unmap_all) {
		g_tree_remove_all(priv->maps);
		return TRUE;
	}
	/* the base class unmaps whole mappings only */
	m = g_tree_lookup(priv->maps, &iova);
	g_assert_nonnull(m);
	g_assert_cmpuint(m->size, ==, size);
	g_tree_remove(priv->maps, &iova);
	return TRUE;
}

static gboolean
test_container_attach_device(HiodContainer *c, HiodVfioDevice *device, guint64 viommu_flags,
			     GError **error)
{
	if (TPRIV(c)->refuse_devices) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE, "this container says no");
		return FALSE;
	}
	if (TPRIV(c)->break_devices) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED, "broken container");
		return FALSE;
	}
	return TRUE;
}

static void
test_container_detach_device(HiodContainer *c, HiodVfioDevice *device)
{
}

static void
test_container_finalize(GObject *o)
{
	g_tree_destroy(TPRIV(o)->maps);
	G_OBJECT_CLASS(test_container_parent_class)->finalize(o);
}

static void
test_container_init(TestContainer *self)
{
	TestContainerPrivate *priv = test_container_get_instance_private(self);
	priv->maps = g_tree_new_full(test_u64_cmp, NULL, NULL, g_free);
	priv->iova_last = FAKE_IOVA_LAST;
}

static void
test_container_class_init(TestContainerClass *klass)
{
	HiodContainerClass *cc = HIOD_CONTAINER_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = test_container_finalize;
	cc->backend_kind = HIOD_BACKEND_KIND_LEGACY;
	cc->setup = test_container_setup;
	cc->dma_map = test_container_dma_map;
	cc->dma_unmap = test_container_dma_unmap;
	cc->attach_device = test_container_attach_device;
	cc->detach_device = test_container_detach_device;
}

/* a subclass that copies between containers (like iommufd IOAS copy) */
#define TEST_TYPE_COPY_CONTAINER (test_copy_container_get_type())
G_DECLARE_FINAL_TYPE(TestCopyContainer, test_copy_container, TEST, COPY_CONTAINER, TestContainer)
struct _TestCopyContainer {
	TestContainer parent_instance;
};
G_DEFINE_TYPE(TestCopyContainer, test_copy_container, TEST_TYPE_CONTAINER)

static gboolean
test_copy_container_dma_copy(HiodContainer *c, HiodContainer *src, guint64 src_iova,
			     guint64 dst_iova, guint64 size, HiodDmaFlags flags, GError **error)
{
	TestMap *sm;
	if (TPRIV(c)->copy_unsupported) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED, "no copy today");
		return FALSE;
	}
	sm = g_tree_lookup(TPRIV(src)->maps, &src_iova);
	g_assert_nonnull(sm);
	g_assert_cmpuint(sm->size, ==, size);
	if (!test_container_record(c, dst_iova, size, sm->vaddr, flags, TRUE, error))
		return FALSE;
	TPRIV(c)->n_copies++;
	return TRUE;
}

static void
test_copy_container_init(TestCopyContainer *self)
{
}

static void
test_copy_container_class_init(TestCopyContainerClass *klass)
{
	HIOD_CONTAINER_CLASS(klass)->dma_copy = test_copy_container_dma_copy;
}

static HiodContainer *
test_container_new_with(GType type, HiodContext *ctx)
{
	HiodContainer *c = g_object_new(type, "context", ctx, NULL);
	g_assert_true(hiod_container_setup(c, NULL));
	return c;
}

static HiodContainer *
test_container_new(GType type)
{
	return test_container_new_with(type, NULL);
}

/* what the fake kernel holds, as text: "iova+size@vaddr/flags;..." */
static gboolean
test_snapshot_cb(gpointer key, gpointer value, gpointer data)
{
	TestMap *m = value;
	g_string_append_printf(data, "%" G_GINT64_MODIFIER "x+%" G_GINT64_MODIFIER "x@%p/%u;", m->iova,
			       m->size, m->vaddr, m->flags);
	return FALSE;
}

static gchar *
test_snapshot(HiodContainer *c)
{
	GString *s = g_string_new(NULL);
	g_tree_foreach(TPRIV(c)->maps, test_snapshot_cb, s);
	/* the base class's index agrees with the kernel */
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, g_tree_nnodes(TPRIV(c)->maps));
	return g_string_free(s, FALSE);
}

/* the space's sections in the same text form */
static gchar *
test_space_snapshot(HiodAddressSpace *as)
{
	GString *s = g_string_new(NULL);
	guint64 iova = 0;
	guint seen = 0;
	/* walk by lookups: each section starts where we probe or later */
	for (;;) {
		guint64 start, size;
		gpointer vaddr;
		HiodDmaFlags flags;
		if (hiod_address_space_lookup(as, iova, &start, &size, &vaddr, &flags)) {
			g_string_append_printf(s, "%" G_GINT64_MODIFIER "x+%" G_GINT64_MODIFIER "x@%p/%u;",
					       start, size, vaddr, flags);
			seen++;
			iova = start + size;
		} else {
			iova += PAGE;
		}
		if (seen == hiod_address_space_get_n_sections(as) || iova >= 0x1000000)
			break;
	}
	g_assert_cmpuint(seen, ==, hiod_address_space_get_n_sections(as));
	return g_string_free(s, FALSE);
}

/* every member holds exactly the space's sections */
static void
test_assert_mirrors(HiodAddressSpace *as)
{
	g_autofree gchar *want = test_space_snapshot(as);
	g_autoptr(GPtrArray) members = hiod_address_space_get_containers(as);
	for (guint i = 0; i < members->len; i++) {
		g_autofree gchar *got = test_snapshot(g_ptr_array_index(members, i));
		g_assert_cmpstr(got, ==, want);
	}
}

static guint8 *
test_buffer(void)
{
	/* a page-aligned fake host range; the fake never touches it */
	static guint8 *buf;
	if (buf == NULL)
		buf = g_aligned_alloc0(64, PAGE, PAGE);
	return buf;
}
#define VA(off) ((gpointer)(test_buffer() + (off)))

/* tests ------------------------------------------------------------------------- */

static void
test_address_space_add_remove(void)
{
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
	g_autoptr(HiodContainer) a = test_container_new(TEST_TYPE_CONTAINER);
	g_autoptr(HiodContainer) b = test_container_new(TEST_TYPE_CONTAINER);
	g_autoptr(GError) error = NULL;
	guint64 start = 0, size = 0;
	gpointer vaddr = NULL;
	HiodDmaFlags flags = 0;

	g_assert_true(hiod_address_space_add_container(as, a, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_add_container(as, b, &error));
	g_assert_true(hiod_address_space_has_container(as, b));
	g_assert_false(hiod_address_space_add_container(as, b, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
	g_clear_error(&error);

	g_assert_true(hiod_address_space_add_section(as, 0x100000, 4 * PAGE, VA(0),
						     HIOD_DMA_FLAGS_READONLY, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 1);
	g_assert_true(hiod_address_space_lookup(as, 0x102fff, &start, &size, &vaddr, &flags));
	g_assert_cmpuint(start, ==, 0x100000);
	g_assert_cmpuint(size, ==, 4 * PAGE);
	g_assert_true(vaddr == VA(0));
	g_assert_cmpuint(flags, ==, HIOD_DMA_FLAGS_READONLY);
	g_assert_false(hiod_address_space_lookup(as, 0x104000, NULL, NULL, NULL, NULL));
	g_assert_cmpuint(hiod_container_get_n_mappings(a), ==, 1);
	g_assert_cmpuint(hiod_container_get_n_mappings(b), ==, 1);
	test_assert_mirrors(as);

	/* removing nothing is not an error */
	g_assert_true(hiod_address_space_remove_section(as, 0x800000, PAGE, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_remove_section(as, 0x100000, 4 * PAGE, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 0);
	g_assert_cmpuint(hiod_container_get_n_mappings(a), ==, 0);
	g_assert_cmpuint(hiod_container_get_n_mappings(b), ==, 0);
}

static void
test_address_space_replay(void)
{
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
	g_autoptr(HiodContainer) a = test_container_new(TEST_TYPE_CONTAINER);
	g_autoptr(HiodContainer) b = test_container_new(TEST_TYPE_CONTAINER);
	g_autoptr(GError) error = NULL;

	/* sections before any container, then a container joins */
	for (guint i = 0; i < 8; i++)
		g_assert_true(hiod_address_space_add_section(as, 0x100000 + i * 0x10000, 2 * PAGE,
							     VA(i * 2 * PAGE), 0, &error));
	g_assert_true(hiod_address_space_add_container(as, a, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(a), ==, 8);
	g_assert_true(hiod_address_space_add_section(as, 0x200000, PAGE, VA(0), 0, &error));
	g_assert_true(hiod_address_space_add_container(as, b, &error));
	g_assert_cmpuint(hiod_container_get_n_mappings(b), ==, 9);
	test_assert_mirrors(as);
}

static void
test_address_space_replay_rollback(void)
{
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
	g_autoptr(HiodContainer) a = test_container_new(TEST_TYPE_CONTAINER);
	g_autofree gchar *before = NULL;
	guint n;

	g_assert_true(hiod_address_space_add_container(as, a, NULL));
	for (guint i = 0; i < 5; i++)
		g_assert_true(hiod_address_space_add_section(as, i * 0x10000, PAGE, VA(i * PAGE), 0,
							     NULL));
	before = test_snapshot(a);
	/* the joining container fails its 1st, 2nd, ... map in turn */
	for (n = 1;; n++) {
		g_autoptr(HiodContainer) b = test_container_new(TEST_TYPE_CONTAINER);
		g_autoptr(GError) error = NULL;
		g_autofree gchar *after = NULL;
		TPRIV(b)->fail_map_at = n;
		if (hiod_address_space_add_container(as, b, &error))
			break;
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
		g_assert_true(g_str_has_prefix(error->message, "replaying section"));
		g_assert_cmpuint(g_tree_nnodes(TPRIV(b)->maps), ==, 0);
		g_assert_cmpuint(hiod_container_get_n_mappings(b), ==, 0);
		g_assert_false(hiod_address_space_has_container(as, b));
		after = test_snapshot(a);
		g_assert_cmpstr(after, ==, before);
	}
	g_assert_cmpuint(n, ==, 6);
	test_assert_mirrors(as);
}

static HiodAddressSpace *
test_space_with(guint n, GType type, HiodContainer **out)
{
	HiodAddressSpace *as = hiod_address_space_new(NULL);
	for (guint i = 0; i < n; i++) {
		out[i] = test_container_new(type);
		g_assert_true(hiod_address_space_add_container(as, out[i], NULL));
	}
	return as;
}

static void
test_address_space_split(void)
{
	HiodContainer *c[2];
	g_autoptr(HiodAddressSpace) as = test_space_with(2, TEST_TYPE_CONTAINER, c);
	g_autoptr(GError) error = NULL;
	gpointer vaddr = NULL;
	guint64 start = 0, size = 0;

	/* [0x10000, 0x20000) backed by VA(0) */
	g_assert_true(hiod_address_space_add_section(as, 0x10000, 16 * PAGE, VA(0), 0, &error));
	/* left part */
	g_assert_true(hiod_address_space_remove_section(as, 0x10000, 2 * PAGE, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_lookup(as, 0x12000, &start, &size, &vaddr, NULL));
	g_assert_cmpuint(start, ==, 0x12000);
	g_assert_cmpuint(size, ==, 14 * PAGE);
	g_assert_true(vaddr == VA(2 * PAGE));
	test_assert_mirrors(as);
	/* right part */
	g_assert_true(hiod_address_space_remove_section(as, 0x1e000, 2 * PAGE, &error));
	g_assert_true(hiod_address_space_lookup(as, 0x12000, &start, &size, &vaddr, NULL));
	g_assert_cmpuint(size, ==, 12 * PAGE);
	g_assert_false(hiod_address_space_lookup(as, 0x1e000, NULL, NULL, NULL, NULL));
	test_assert_mirrors(as);
	/* middle: two sections remain */
	g_assert_true(hiod_address_space_remove_section(as, 0x15000, 2 * PAGE, &error));
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 2);
	g_assert_true(hiod_address_space_lookup(as, 0x17000, &start, &size, &vaddr, NULL));
	g_assert_cmpuint(start, ==, 0x17000);
	g_assert_cmpuint(size, ==, 7 * PAGE);
	g_assert_true(vaddr == VA(7 * PAGE));
	g_assert_false(hiod_address_space_lookup(as, 0x16fff, NULL, NULL, NULL, NULL));
	test_assert_mirrors(as);
	/* spanning several sections, cutting into the first and the last */
	g_assert_true(hiod_address_space_add_section(as, 0x20000, 4 * PAGE, VA(16 * PAGE), 0, &error));
	g_assert_true(hiod_address_space_add_section(as, 0x30000, 4 * PAGE, VA(20 * PAGE), 0, &error));
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 4);
	g_assert_true(hiod_address_space_remove_section(as, 0x13000, 0x1f000, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 2);
	g_assert_true(hiod_address_space_lookup(as, 0x12000, &start, &size, NULL, NULL));
	g_assert_cmpuint(size, ==, PAGE);
	g_assert_true(hiod_address_space_lookup(as, 0x33000, &start, &size, &vaddr, NULL));
	g_assert_cmpuint(start, ==, 0x32000);
	g_assert_cmpuint(size, ==, 2 * PAGE);
	g_assert_true(vaddr == VA(22 * PAGE));
	test_assert_mirrors(as);
	for (guint i = 0; i < 2; i++)
		g_object_unref(c[i]);
}

/* an add that fails at each operation in turn leaves every container as before */
static void
test_address_space_rollback_map(gconstpointer data)
{
	GType type = GPOINTER_TO_SIZE(data);
	HiodContainer *c[3];
	g_autoptr(HiodAddressSpace) as = test_space_with(3, type, c);
	g_auto(GStrv) before = g_new0(gchar *, 3 + 1);
	guint n;

	g_assert_true(hiod_address_space_add_section(as, 0x0, 4 * PAGE, VA(0), 0, NULL));
	g_assert_true(hiod_address_space_add_section(as, 0x100000, 4 * PAGE, VA(4 * PAGE), 0, NULL));
	for (guint i = 0; i < 3; i++)
		before[i] = test_snapshot(c[i]);
	for (n = 1;; n++) {
		g_autoptr(GError) error = NULL;
		gboolean ok;
		test_fault_arm(n);
		ok = hiod_address_space_add_section(as, 0x40000, 8 * PAGE, VA(8 * PAGE), 0, &error);
		test_fault_arm(0);
		if (ok)
			break;
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
		g_assert_true(g_str_has_prefix(error->message, "mapping section"));
		g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 2);
		for (guint i = 0; i < 3; i++) {
			g_autofree gchar *after = test_snapshot(c[i]);
			g_assert_cmpstr(after, ==, before[i]);
		}
	}
	/* one map (or copy) per container, each failed in turn */
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 3);
	test_assert_mirrors(as);
	for (guint i = 0; i < 3; i++)
		g_object_unref(c[i]);
}

/* the k-th container refuses: the others are rolled back */
static void
test_address_space_rollback_kth(void)
{
	HiodContainer *c[3];
	g_autoptr(HiodAddressSpace) as = test_space_with(3, TEST_TYPE_CONTAINER, c);
	g_assert_true(hiod_address_space_add_section(as, 0x0, PAGE, VA(0), 0, NULL));
	for (guint k = 0; k < 3; k++) {
		g_autoptr(GError) error = NULL;
		TPRIV(c[k])->n_maps = 0;
		TPRIV(c[k])->fail_map_at = 1;
		g_assert_false(hiod_address_space_add_section(as, 0x10000, PAGE, VA(PAGE), 0, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE);
		TPRIV(c[k])->fail_map_at = 0;
		for (guint i = 0; i < 3; i++)
			g_assert_cmpuint(hiod_container_get_n_mappings(c[i]), ==, 1);
		test_assert_mirrors(as);
	}
	for (guint i = 0; i < 3; i++)
		g_object_unref(c[i]);
}

/* a removal (with splits) that fails at each operation in turn leaves every
 * container as before */
static void
test_address_space_rollback_unmap(void)
{
	HiodContainer *c[3];
	g_autoptr(HiodAddressSpace) as = test_space_with(3, TEST_TYPE_CONTAINER, c);
	g_auto(GStrv) before = g_new0(gchar *, 3 + 1);
	g_autofree gchar *space_before = NULL;
	guint n;

	g_assert_true(hiod_address_space_add_section(as, 0x10000, 8 * PAGE, VA(0), 0, NULL));
	g_assert_true(hiod_address_space_add_section(as, 0x20000, 8 * PAGE, VA(8 * PAGE), 0, NULL));
	g_assert_true(hiod_address_space_add_section(as, 0x30000, 8 * PAGE, VA(16 * PAGE), 0, NULL));
	for (guint i = 0; i < 3; i++)
		before[i] = test_snapshot(c[i]);
	space_before = test_space_snapshot(as);
	for (n = 1;; n++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *space_after = NULL;
		gboolean ok;
		test_fault_arm(n);
		/* cuts the first (keeps its left), drops the second, cuts the third */
		ok = hiod_address_space_remove_section(as, 0x14000, 0x20000, &error);
		test_fault_arm(0);
		if (ok)
			break;
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
		g_assert_true(g_str_has_prefix(error->message, "removing section"));
		space_after = test_space_snapshot(as);
		g_assert_cmpstr(space_after, ==, space_before);
		for (guint i = 0; i < 3; i++) {
			g_autofree gchar *after = test_snapshot(c[i]);
			g_assert_cmpstr(after, ==, before[i]);
		}
	}
	g_assert_cmpuint(n, >, 3 * 3);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 2);
	test_assert_mirrors(as);
	for (guint i = 0; i < 3; i++)
		g_object_unref(c[i]);
}

static void
test_address_space_overlap(void)
{
	HiodContainer *c[2];
	g_autoptr(HiodAddressSpace) as = test_space_with(2, TEST_TYPE_CONTAINER, c);
	g_autofree gchar *before = NULL;
	const struct {
		guint64 iova, size;
	} cases[] = {
		{0x10000, PAGE},	    /* same start */
		{0x0f000, 2 * PAGE},  /* meets the first page */
		{0x13000, 4 * PAGE},  /* meets the last page */
		{0x11000, PAGE},	    /* inside */
		{0x00000, 0x100000}, /* around */
	};

	g_assert_true(hiod_address_space_add_section(as, 0x10000, 4 * PAGE, VA(0), 0, NULL));
	before = test_snapshot(c[0]);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *after = NULL;
		g_assert_false(hiod_address_space_add_section(as, cases[i].iova, cases[i].size,
							      VA(PAGE * 8), 0, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
		after = test_snapshot(c[0]);
		g_assert_cmpstr(after, ==, before);
	}
	/* adjacent is fine */
	g_assert_true(hiod_address_space_add_section(as, 0x14000, PAGE, VA(PAGE * 8), 0, NULL));
	g_assert_true(hiod_address_space_add_section(as, 0x0f000, PAGE, VA(PAGE * 9), 0, NULL));
	test_assert_mirrors(as);
	for (guint i = 0; i < 2; i++)
		g_object_unref(c[i]);
}

static void
test_address_space_bad_input(void)
{
	HiodContainer *c[2];
	g_autoptr(HiodAddressSpace) as = test_space_with(2, TEST_TYPE_CONTAINER, c);
	g_autofree gchar *before0 = NULL, *before1 = NULL;
	const struct {
		guint64 iova, size;
		gsize vaoff;
		gint code;
	} cases[] = {
		{0x20800, PAGE, 0, HIOD_ERROR_INVALID_ARGUMENT},	    /* unaligned IOVA */
		{0x20000, PAGE + 1, 0, HIOD_ERROR_INVALID_ARGUMENT}, /* unaligned size */
		{0x20000, PAGE, 8, HIOD_ERROR_INVALID_ARGUMENT},	    /* unaligned host address */
		{0x20000, 0, 0, HIOD_ERROR_INVALID_ARGUMENT},	    /* zero */
		{G_MAXUINT64 - PAGE + 1, 2 * PAGE, 0, HIOD_ERROR_INVALID_ARGUMENT}, /* wraps */
		{FAKE_IOVA_LAST + 1, PAGE, 0, HIOD_ERROR_OUT_OF_RANGE},
		{FAKE_IOVA_LAST - PAGE + 1, 2 * PAGE, 0, HIOD_ERROR_OUT_OF_RANGE},
	};

	g_assert_true(hiod_address_space_add_section(as, 0x10000, PAGE, VA(0), 0, NULL));
	before0 = test_snapshot(c[0]);
	before1 = test_snapshot(c[1]);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *after0 = NULL, *after1 = NULL;
		g_assert_false(hiod_address_space_add_section(as, cases[i].iova, cases[i].size,
							      (guint8 *)VA(PAGE) + cases[i].vaoff, 0,
							      &error));
		g_assert_error(error, HIOD_ERROR, cases[i].code);
		g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 1);
		after0 = test_snapshot(c[0]);
		after1 = test_snapshot(c[1]);
		g_assert_cmpstr(after0, ==, before0);
		g_assert_cmpstr(after1, ==, before1);
	}
	/* zero-length and unaligned removals are refused too, and change nothing */
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(hiod_address_space_remove_section(as, 0x10000, 0, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
		g_assert_false(hiod_address_space_remove_section(as, 0x10800, 0x100, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
		g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 1);
		test_assert_mirrors(as);
	}
	/* a member with narrower IOVA ranges refuses what the first accepted: rolled back */
	{
		g_autoptr(HiodAddressSpace) as2 = hiod_address_space_new(NULL);
		g_autoptr(HiodContainer) wide = test_container_new(TEST_TYPE_CONTAINER);
		g_autoptr(HiodContainer) narrow = g_object_new(TEST_TYPE_CONTAINER, NULL);
		g_autoptr(GError) error = NULL;
		TPRIV(narrow)->iova_last = 0xfffff;
		g_assert_true(hiod_container_setup(narrow, NULL));
		g_assert_true(hiod_address_space_add_container(as2, wide, NULL));
		g_assert_true(hiod_address_space_add_container(as2, narrow, NULL));
		g_assert_false(hiod_address_space_add_section(as2, 0x100000, PAGE, VA(0), 0, &error));
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
		g_assert_cmpuint(hiod_container_get_n_mappings(wide), ==, 0);
		g_assert_cmpuint(g_tree_nnodes(TPRIV(wide)->maps), ==, 0);
		g_assert_cmpuint(hiod_address_space_get_n_sections(as2), ==, 0);
	}
	for (guint i = 0; i < 2; i++)
		g_object_unref(c[i]);
}

static void
test_address_space_copy(void)
{
	HiodContainer *c[3];
	g_autoptr(HiodAddressSpace) as = test_space_with(2, TEST_TYPE_COPY_CONTAINER, c);
	g_autoptr(HiodContainer) plain = test_container_new(TEST_TYPE_CONTAINER);

	g_assert_true(hiod_address_space_add_container(as, plain, NULL));
	g_assert_true(hiod_address_space_add_section(as, 0x10000, 4 * PAGE, VA(0), 0, NULL));
	/* the first maps (pins), the second of the same class copies, the
	 * other class maps */
	g_assert_cmpuint(TPRIV(c[0])->n_copies, ==, 0);
	g_assert_cmpuint(TPRIV(c[1])->n_copies, ==, 1);
	test_assert_mirrors(as);
	/* a later member of the class gets the replay by copy */
	c[2] = test_container_new(TEST_TYPE_COPY_CONTAINER);
	g_assert_true(hiod_address_space_add_container(as, c[2], NULL));
	g_assert_cmpuint(TPRIV(c[2])->n_copies, ==, 1);
	/* NOT_SUPPORTED from the copy: mapped instead */
	TPRIV(c[1])->copy_unsupported = TRUE;
	g_assert_true(hiod_address_space_add_section(as, 0x20000, PAGE, VA(4 * PAGE), 0, NULL));
	g_assert_cmpuint(TPRIV(c[1])->n_copies, ==, 1);
	g_assert_cmpuint(TPRIV(c[2])->n_copies, ==, 2);
	test_assert_mirrors(as);
	for (guint i = 0; i < 3; i++)
		g_object_unref(c[i]);
}

static void
test_address_space_remove_container(void)
{
	HiodContainer *c[2];
	g_autoptr(HiodAddressSpace) as = test_space_with(2, TEST_TYPE_CONTAINER, c);
	g_autoptr(GPtrArray) members = NULL;

	g_assert_true(hiod_address_space_add_section(as, 0x10000, PAGE, VA(0), 0, NULL));
	g_assert_true(hiod_address_space_add_section(as, 0x20000, PAGE, VA(PAGE), 0, NULL));
	hiod_address_space_remove_container(as, c[0]);
	g_assert_false(hiod_address_space_has_container(as, c[0]));
	g_assert_cmpuint(hiod_container_get_n_mappings(c[0]), ==, 0);
	g_assert_cmpuint(g_tree_nnodes(TPRIV(c[0])->maps), ==, 0);
	g_assert_cmpuint(hiod_container_get_n_mappings(c[1]), ==, 2);
	members = hiod_address_space_get_containers(as);
	g_assert_cmpuint(members->len, ==, 1);
	g_assert_true(g_ptr_array_index(members, 0) == c[1]);
	/* later changes no longer reach it */
	g_assert_true(hiod_address_space_add_section(as, 0x30000, PAGE, VA(2 * PAGE), 0, NULL));
	g_assert_cmpuint(hiod_container_get_n_mappings(c[0]), ==, 0);
	/* again: nothing */
	hiod_address_space_remove_container(as, c[0]);
	test_assert_mirrors(as);
	for (guint i = 0; i < 2; i++)
		g_object_unref(c[i]);
}

/* several threads add and remove sections at once */
#define THREAD_SLOTS 256
typedef struct {
	HiodAddressSpace *as;
	guint seed;
	guint added;
} TestWorker;

static gpointer
test_worker(gpointer data)
{
	TestWorker *w = data;
	g_autoptr(GRand) rand = g_rand_new_with_seed(w->seed);
	for (guint n = 0; n < 4000; n++) {
		/* every thread works in the same IOVA window, so they collide */
		guint slot = g_rand_int_range(rand, 0, THREAD_SLOTS);
		guint len = g_rand_int_range(rand, 1, 4);
		g_autoptr(GError) error = NULL;
		if (g_rand_boolean(rand)) {
			if (hiod_address_space_add_section(w->as, slot * PAGE, len * PAGE,
							   VA(0), 0, &error))
				w->added++;
			else
				g_assert_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS);
		} else {
			g_assert_true(hiod_address_space_remove_section(w->as, slot * PAGE, len * PAGE,
									&error));
			g_assert_no_error(error);
		}
		if (n % 500 == 0)
			(void)hiod_address_space_lookup(w->as, slot * PAGE, NULL, NULL, NULL, NULL);
	}
	return NULL;
}

static void
test_address_space_threads(void)
{
	HiodContainer *c[3];
	g_autoptr(HiodAddressSpace) as = test_space_with(2, TEST_TYPE_CONTAINER, c);
	TestWorker w[4];
	GThread *t[4];
	guint added = 0;

	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		w[i] = (TestWorker){.as = as, .seed = 1234 + i};
		t[i] = g_thread_new("as-worker", test_worker, &w[i]);
	}
	/* a container joins while they work */
	c[2] = test_container_new(TEST_TYPE_CONTAINER);
	g_usleep(1000);
	g_assert_true(hiod_address_space_add_container(as, c[2], NULL));
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		g_thread_join(t[i]);
		added += w[i].added;
	}
	g_assert_cmpuint(added, >, 0);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), <=, THREAD_SLOTS);
	test_assert_mirrors(as);
	for (guint i = 0; i < 3; i++)
		g_object_unref(c[i]);
}

static void
test_address_space_million(void)
{
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
	const guint n = 1000000;
	g_autoptr(GRand) rand = g_rand_new_with_seed(7);

	for (guint i = 0; i < n; i++)
		g_assert_true(hiod_address_space_add_section(as, (guint64)i * 2 * PAGE, PAGE, VA(0), 0,
							     NULL));
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, n);
	for (guint i = 0; i < 100000; i++) {
		guint k = g_rand_int_range(rand, 0, n);
		guint64 start = 0;
		g_assert_true(hiod_address_space_lookup(as, (guint64)k * 2 * PAGE + 0x10, &start, NULL,
							NULL, NULL));
		g_assert_cmpuint(start, ==, (guint64)k * 2 * PAGE);
		g_assert_false(hiod_address_space_lookup(as, (guint64)k * 2 * PAGE + PAGE, NULL, NULL,
							 NULL, NULL));
	}
	/* overlap refusal and removal in the middle of a big map */
	g_assert_false(hiod_address_space_add_section(as, 1000 * PAGE, 4 * PAGE, VA(0), 0, NULL));
	g_assert_true(hiod_address_space_remove_section(as, 1000 * PAGE, 100 * PAGE, NULL));
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, n - 50);
}

/* the attach flow, with fake containers as members */
static void
test_address_space_attach(void)
{
	g_autoptr(HiodTestTree) tree = hiod_test_tree_new();
	g_autoptr(HiodContext) ctx = NULL;
	g_autoptr(HiodAddressSpace) as = NULL;
	g_autoptr(HiodVfioDevice) dev = NULL;
	g_autoptr(HiodContainer) refusing = NULL;
	g_autoptr(HiodContainer) taking = NULL;
	g_autoptr(GError) error = NULL;
	HiodContainer *got;

	hiod_test_tree_add_pci(tree, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, NULL);
	ctx = hiod_test_tree_context(tree);
	/* the members share the device's context (a container of another refuses it) */
	refusing = test_container_new_with(TEST_TYPE_CONTAINER, ctx);
	taking = test_container_new_with(TEST_TYPE_CONTAINER, ctx);
	as = hiod_address_space_new(ctx);
	dev = hiod_vfio_device_new(ctx, "0000:00:04.0", &error);
	g_assert_no_error(error);

	g_assert_true(hiod_address_space_add_container(as, refusing, NULL));
	g_assert_true(hiod_address_space_add_container(as, taking, NULL));
	g_assert_true(hiod_address_space_add_section(as, 0x10000, PAGE, VA(0), 0, NULL));
	TPRIV(refusing)->refuse_devices = TRUE;

	/* a member that refuses for another reason than INCOMPATIBLE does not
	 * stop the flow (defect 10): it goes on to a new container, which here
	 * fails (no /dev/vfio/vfio in the fake tree) with its own error */
	TPRIV(taking)->break_devices = TRUE;
	g_assert_null(hiod_address_space_attach_device(as, dev, HIOD_BACKEND_KIND_LEGACY, 0, &error));
	g_assert_nonnull(error);
	g_assert_false(g_error_matches(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED));
	g_test_message("broken member, no new container: %s", error->message);
	g_assert_null(hiod_vfio_device_get_container(dev));
	g_clear_error(&error);
	TPRIV(taking)->break_devices = FALSE;

	/* every member refuses: a new container is made (the legacy backend,
	 * which finds no /dev/vfio/vfio in the fake tree): nothing is left */
	TPRIV(taking)->refuse_devices = TRUE;
	g_assert_null(hiod_address_space_attach_device(as, dev, HIOD_BACKEND_KIND_LEGACY, 0, &error));
	g_assert_nonnull(error);
	g_test_message("no container: %s", error->message);
	g_clear_error(&error);
	g_assert_null(hiod_vfio_device_get_container(dev));
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
	{
		g_autoptr(GPtrArray) members = hiod_address_space_get_containers(as);
		g_assert_cmpuint(members->len, ==, 2);
	}
	TPRIV(taking)->refuse_devices = FALSE;

	/* the first refuses (INCOMPATIBLE), the second takes it */
	got = hiod_address_space_attach_device(as, dev, HIOD_BACKEND_KIND_LEGACY, 0, &error);
	g_assert_no_error(error);
	g_assert_true(got == taking);
	g_assert_true(hiod_vfio_device_get_container(dev) == taking);

	/* the last device leaves: the container is released and dropped */
	hiod_address_space_detach_device(as, dev);
	g_assert_null(hiod_vfio_device_get_container(dev));
	g_assert_false(hiod_address_space_has_container(as, taking));
	g_assert_true(hiod_address_space_has_container(as, refusing));
	g_assert_cmpuint(g_tree_nnodes(TPRIV(taking)->maps), ==, 0);
	g_assert_cmpuint(hiod_container_get_n_mappings(refusing), ==, 1);
	/* again: nothing */
	hiod_address_space_detach_device(as, dev);
	g_assert_cmpuint(hiod_context_get_open_fd_count(ctx), ==, 0);
}

/* coalescing: touching sections (IOVA and host address contiguous, same
 * flags) become one kernel mapping in every member; a gap filled joins two
 * runs; a removal in the middle leaves two; a later member gets the runs */
static void
test_address_space_coalesce(void)
{
	HiodContainer *c[2];
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
	g_autoptr(HiodContainer) late = test_container_new(TEST_TYPE_CONTAINER);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *snap = NULL, *want = NULL;
	guint64 start = 0, size = 0;
	gpointer vaddr = NULL;

	g_assert_false(hiod_address_space_get_coalesce(as));
	g_assert_true(hiod_address_space_set_coalesce(as, TRUE, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_get_coalesce(as));
	for (guint i = 0; i < 2; i++) {
		c[i] = test_container_new(TEST_TYPE_CONTAINER);
		g_assert_true(hiod_address_space_add_container(as, c[i], NULL));
	}
	/* eight pages, the fourth last: two runs until the gap is filled */
	for (guint i = 0; i < 8; i++) {
		if (i == 3)
			continue;
		g_assert_true(hiod_address_space_add_section(as, 0x10000 + i * PAGE, PAGE, VA(i * PAGE), 0, &error));
		g_assert_no_error(error);
	}
	g_assert_cmpuint(hiod_container_get_n_mappings(c[0]), ==, 2);
	g_assert_true(hiod_address_space_add_section(as, 0x13000, PAGE, VA(3 * PAGE), 0, &error));
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 8);
	want = g_strdup_printf("10000+8000@%p/0;", VA(0));
	for (guint i = 0; i < 2; i++) {
		g_autofree gchar *got = test_snapshot(c[i]);
		g_assert_cmpstr(got, ==, want);
	}
	/* lookups answer with the sections as added */
	g_assert_true(hiod_address_space_lookup(as, 0x15008, &start, &size, &vaddr, NULL));
	g_assert_cmpuint(start, ==, 0x15000);
	g_assert_cmpuint(size, ==, PAGE);
	g_assert_true(vaddr == VA(5 * PAGE));
	/* not contiguous in the host, or other flags: a mapping of its own */
	g_assert_true(hiod_address_space_add_section(as, 0x18000, PAGE, VA(20 * PAGE), 0, &error));
	g_assert_true(hiod_address_space_add_section(as, 0x19000, PAGE, VA(21 * PAGE), HIOD_DMA_FLAGS_READONLY,
						     &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_container_get_n_mappings(c[0]), ==, 3);
	/* no turning it off while sections are there */
	g_assert_false(hiod_address_space_set_coalesce(as, FALSE, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	/* a removal in the middle: the run is split, both parts stay mapped */
	g_assert_true(hiod_address_space_remove_section(as, 0x13000, PAGE, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 9);
	g_clear_pointer(&want, g_free);
	want = g_strdup_printf("10000+3000@%p/0;14000+4000@%p/0;18000+1000@%p/0;19000+1000@%p/1;", VA(0),
			       VA(4 * PAGE), VA(20 * PAGE), VA(21 * PAGE));
	for (guint i = 0; i < 2; i++) {
		g_autofree gchar *got = test_snapshot(c[i]);
		g_assert_cmpstr(got, ==, want);
	}
	/* a member that joins later gets the runs */
	g_assert_true(hiod_address_space_add_container(as, late, &error));
	snap = test_snapshot(late);
	g_assert_cmpstr(snap, ==, want);
	/* removing everything leaves nothing */
	g_assert_true(hiod_address_space_remove_section(as, 0, 0x100000, &error));
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 0);
	for (guint i = 0; i < 2; i++) {
		g_assert_cmpuint(hiod_container_get_n_mappings(c[i]), ==, 0);
		g_object_unref(c[i]);
	}
	g_assert_cmpuint(hiod_container_get_n_mappings(late), ==, 0);
	g_assert_true(hiod_address_space_set_coalesce(as, FALSE, &error));
}

/* a coalescing add (which unmaps two runs and maps the joined one) and a
 * coalesced removal (which splits a run) that fail at each operation in turn
 * leave every member and the space as they were */
static void
test_address_space_coalesce_rollback(void)
{
	HiodContainer *c[3];
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(NULL);
	g_auto(GStrv) before = g_new0(gchar *, 3 + 1);
	g_autofree gchar *space_before = NULL;
	guint n;

	g_assert_true(hiod_address_space_set_coalesce(as, TRUE, NULL));
	for (guint i = 0; i < 3; i++) {
		c[i] = test_container_new(i == 2 ? TEST_TYPE_COPY_CONTAINER : TEST_TYPE_CONTAINER);
		g_assert_true(hiod_address_space_add_container(as, c[i], NULL));
	}
	g_assert_true(hiod_address_space_add_section(as, 0x10000, 2 * PAGE, VA(0), 0, NULL));
	g_assert_true(hiod_address_space_add_section(as, 0x13000, 2 * PAGE, VA(3 * PAGE), 0, NULL));
	for (guint phase = 0; phase < 2; phase++) {
		for (guint i = 0; i < 3; i++) {
			g_free(before[i]);
			before[i] = test_snapshot(c[i]);
		}
		g_free(space_before);
		space_before = test_space_snapshot(as);
		for (n = 1;; n++) {
			g_autoptr(GError) error = NULL;
			g_autofree gchar *space_after = NULL;
			gboolean ok;
			test_fault_arm(n);
			ok = phase == 0 ? hiod_address_space_add_section(as, 0x12000, PAGE, VA(2 * PAGE), 0, &error)
					: hiod_address_space_remove_section(as, 0x11000, 2 * PAGE, &error);
			test_fault_arm(0);
			if (ok)
				break;
			g_assert_error(error, HIOD_ERROR, HIOD_ERROR_IO);
			space_after = test_space_snapshot(as);
			g_assert_cmpstr(space_after, ==, space_before);
			for (guint i = 0; i < 3; i++) {
				g_autofree gchar *now = test_snapshot(c[i]);
				g_assert_cmpstr(now, ==, before[i]);
			}
		}
		g_assert_cmpuint(n, >, 3);
		for (guint i = 0; i < 3; i++)
			g_assert_cmpuint(hiod_container_get_n_mappings(c[i]), ==, phase == 0 ? 1 : 2);
	}
	for (guint i = 0; i < 3; i++)
		g_object_unref(c[i]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hiod/address-space/add-remove", test_address_space_add_remove);
	g_test_add_func("/hiod/address-space/replay", test_address_space_replay);
	g_test_add_func("/hiod/address-space/replay-rollback", test_address_space_replay_rollback);
	g_test_add_func("/hiod/address-space/split", test_address_space_split);
	g_test_add_data_func("/hiod/address-space/rollback-map",
			     GSIZE_TO_POINTER(TEST_TYPE_CONTAINER), test_address_space_rollback_map);
	g_test_add_data_func("/hiod/address-space/rollback-map-copy",
			     GSIZE_TO_POINTER(TEST_TYPE_COPY_CONTAINER),
			     test_address_space_rollback_map);
	g_test_add_func("/hiod/address-space/rollback-kth", test_address_space_rollback_kth);
	g_test_add_func("/hiod/address-space/rollback-unmap", test_address_space_rollback_unmap);
	g_test_add_func("/hiod/address-space/overlap", test_address_space_overlap);
	g_test_add_func("/hiod/address-space/bad-input", test_address_space_bad_input);
	g_test_add_func("/hiod/address-space/copy", test_address_space_copy);
	g_test_add_func("/hiod/address-space/remove-container", test_address_space_remove_container);
	g_test_add_func("/hiod/address-space/threads", test_address_space_threads);
	g_test_add_func("/hiod/address-space/million", test_address_space_million);
	g_test_add_func("/hiod/address-space/attach", test_address_space_attach);
	g_test_add_func("/hiod/address-space/coalesce", test_address_space_coalesce);
	g_test_add_func("/hiod/address-space/coalesce-rollback", test_address_space_coalesce_rollback);
	return g_test_run();
}

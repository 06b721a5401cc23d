/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-hot-private.h"

#include <sys/stat.h>

#include "hiod-address-space.h"
#include "hiod-container-private.h"
#include "hiod-error.h"
#include "hiod-interval-map-private.h"
#include "hiod-iova-range-private.h"
#include "hiod-vfio-device.h"

/**
 * HiodAddressSpace:
 *
 * The guest memory map that a set of containers mirror (QEMU's
 * VFIOAddressSpace and its memory listener). A section is a span of IOVA
 * backed by process memory; every section is mapped into every member
 * container, and a container that joins later gets every existing section
 * replayed. Removing part of a section splits it: what remains stays mapped
 * everywhere.
 *
 * Every change is all or nothing across the members: when one container
 * refuses a map or an unmap, the containers already changed are put back as
 * they were and the section index is left untouched. Overlapping sections are
 * refused with %HIOD_ERROR_EXISTS; alignment, IOVA ranges and the mapping
 * limit are each container's to check, and their error is passed on.
 *
 * When two members are of the same backend class and that class can copy a
 * mapping from another container (iommufd IOAS copy), the second and later
 * members get the section by copy instead of pinning the pages again.
 *
 * Coalescing (hiod_address_space_set_coalesce(), off by default): type1
 * allows 65535 mappings per container (vfio_iommu_type1.dma_entry_limit),
 * vhost-vdpa its max_iotlb_entries, and a guest of many small sections runs
 * out. With coalescing on, sections that touch (contiguous IOVA and host
 * address, the same flags) are mapped into the members as one kernel
 * mapping, a run; lookups still answer with the sections as added. The
 * price: no kernel grows or splits a mapping in place, so adding a section
 * next to a run unmaps the run and maps the grown one, and removing part of
 * a run unmaps it and maps back the rest (type1 v2 refuses to bisect a
 * mapping): DMA to the rest of that run faults in between. Use it where
 * sections are added before DMA starts (at boot) and removed rarely, or use
 * iommufd, which has no such limit.
 *
 * The section index is a B+tree of sorted arrays: lookup, insert, remove and
 * overlap detection stay O(log n) at millions of sections, with few cache
 * misses, and a section costs no allocation of its own.
 *
 * Threads: every method is thread-safe. One lock guards the space (sections
 * and members) and serialises its calls, the attach flow and detach
 * included, so that what they do to the member containers never overlaps
 * (tests/unit/test-stress.c adds and removes sections from several threads
 * while devices attach and detach, under ThreadSanitizer in the race lane).
 * The lock is held while the kernel is asked, so one slow map delays the
 * others. Calls made on a member container directly, outside the space,
 * follow #HiodContainer's rules.
 *
 * Since: 0.1
 */

struct _HiodAddressSpace {
	GObject parent_instance;
	HiodContext *ctx;
	gboolean ctx_given; /* made with a context (else it follows each device's) */
	HiodMutex lock;		 /* sections, containers */
	HiodIntervalMap *sections; /* [start, last] -> host address, flags */
	gboolean coalesce;
	HiodIntervalMap *runs; /* coalescing: what the members map, touching sections joined */
	GPtrArray *containers;	 /* HiodContainer, owned */
	GPtrArray *memory;	 /* HiodFileMemory; replaced, never changed, when memory is added */
};

/* A section in the index: its interval's value is the host address of its
 * first byte, its flags the HiodDmaFlags (kept inline: nothing allocated). */

enum {
	PROP_0,
	PROP_CONTEXT,
	N_PROPS,
};
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE(HiodAddressSpace, hiod_address_space, G_TYPE_OBJECT)

/* HIOD_IS_ADDRESS_SPACE() for the map paths: no call once the class has passed */
static HiodClassCache hiod_address_space_checked;
#define HIOD_IS_ADDRESS_SPACE_FAST(o) \
	hiod_instance_is_a_fast((o), hiod_address_space_get_type, &hiod_address_space_checked)

#define FMT_SPAN "[0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]"

/**
 * hiod_address_space_new:
 * @ctx: (nullable): a #HiodContext, or %NULL to follow each device's
 *
 * Returns an empty address space. A space made with @ctx attaches only
 * devices of @ctx (hiod_address_space_attach_device() refuses others with
 * %HIOD_ERROR_INVALID_ARGUMENT); one made with %NULL makes the containers of
 * its attach flow with the context of the device being attached, so that a
 * device's fds are always opened, counted and closed through one context.
 *
 * Returns: (transfer full): an empty address space
 *
 * Since: 0.1
 */
HiodAddressSpace *
hiod_address_space_new(HiodContext *ctx)
{
	g_return_val_if_fail(ctx == NULL || HIOD_IS_CONTEXT(ctx), NULL);
	return g_object_new(HIOD_TYPE_ADDRESS_SPACE, "context", ctx, NULL);
}

/**
 * hiod_address_space_get_context:
 * @self: a #HiodAddressSpace
 *
 * Gets the context.
 *
 * Returns: (transfer none): the context
 *
 * Since: 0.1
 */
HiodContext *
hiod_address_space_get_context(HiodAddressSpace *self)
{
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), NULL);
	return self->ctx;
}

/* mapping one section into one container ----------------------------------------- */

/* Copies [iova, iova + size) into @c from a member before it of the same
 * backend (iommufd IOAS copy: no second pin). FALSE with @error unset when
 * none can: then the caller maps. */
static G_GNUC_NO_INLINE gboolean
hiod_address_space_copy_into(HiodAddressSpace *self, guint n_sources, HiodContainer *c,
			     guint64 iova, guint64 size, HiodDmaFlags flags, GError **error)
{
	for (guint j = 0; j < n_sources; j++) {
		HiodContainer *src = g_ptr_array_index(self->containers, j);
		g_autoptr(GError) local = NULL;
		if (src == c || G_OBJECT_TYPE(src) != G_OBJECT_TYPE(c))
			continue;
		if (hiod_container_dma_copy(c, src, iova, iova, size, flags, &local))
			return TRUE;
		if (g_error_matches(local, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED)) {
			g_debug("copying " FMT_SPAN " from another %s: %s; mapping instead",
				iova, iova + size - 1, G_OBJECT_TYPE_NAME(c), local->message);
			return FALSE;
		}
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return FALSE;
}

/* Maps the section into @c: by copy from one of the first @n_sources
 * members (those that map it already) of the same class when the backend
 * can (no second pin), else by map. */
HIOD_HOT static inline gboolean
hiod_address_space_map_into(HiodAddressSpace *self, guint n_sources, HiodContainer *c, guint64 iova,
			    guint64 size, gpointer vaddr, HiodDmaFlags flags, GError **error)
{
	if (n_sources > 0 && HIOD_CONTAINER_GET_CLASS(c)->dma_copy != NULL) {
		GError *local = NULL;
		if (hiod_address_space_copy_into(self, n_sources, c, iova, size, flags, &local))
			return TRUE;
		if (local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
	}
	return hiod_container_dma_map(c, iova, size, vaddr, flags, error);
}

/* Whether @c holds exactly the mapping [start, last]. */
typedef struct {
	guint64 start;
	guint64 last;
	gboolean found;
} HiodExactQuery;

static void
hiod_exact_query_cb(HiodIntervalMap *map, gpointer data)
{
	HiodExactQuery *q = data;
	const HiodInterval *i = hiod_interval_map_lookup(map, q->start);
	q->found = i != NULL && i->start == q->start && i->last == q->last;
}

static gboolean
hiod_container_maps_exactly(HiodContainer *c, guint64 start, guint64 last)
{
	HiodExactQuery q = {.start = start, .last = last};
	hiod_container_with_mappings(c, hiod_exact_query_cb, &q);
	return q.found;
}

/* Puts the sections @hits back into @c as whole mappings (undoing a
 * partial or complete unmap). Best effort: failures are logged. */
static void
hiod_address_space_restore(HiodAddressSpace *self, HiodContainer *c, GArray *hits)
{
	for (guint n = 0; n < hits->len; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		guint64 size = i->last - i->start + 1;
		g_autoptr(GError) local = NULL;
		if (hiod_container_maps_exactly(c, i->start, i->last))
			continue;
		if (!hiod_container_dma_unmap(c, i->start, size, &local) ||
		    !hiod_container_dma_map(c, i->start, size, i->value, i->flags, &local))
			g_debug("could not restore section " FMT_SPAN " in %s: %s", i->start, i->last,
				G_OBJECT_TYPE_NAME(c), local->message);
	}
}

/* What the members map: the runs when coalescing, else the sections. */
static HiodIntervalMap *
hiod_address_space_mapped(HiodAddressSpace *self)
{
	return self->coalesce ? self->runs : self->sections;
}

/* members ------------------------------------------------------------------------- */

typedef struct {
	HiodAddressSpace *self;
	HiodContainer *c;
	guint64 replayed_until; /* sections starting before this were mapped */
	gboolean any;
	GError *error;
} HiodReplay;

static gboolean
hiod_replay_cb(const HiodInterval *i, gpointer data)
{
	HiodReplay *r = data;
	if (!hiod_address_space_map_into(r->self, r->self->containers->len, r->c, i->start,
					 i->last - i->start + 1, i->value, i->flags, &r->error)) {
		g_prefix_error(&r->error, "replaying section " FMT_SPAN ": ", i->start, i->last);
		return FALSE;
	}
	r->any = TRUE;
	r->replayed_until = i->start;
	return TRUE;
}

static gboolean
hiod_unreplay_cb(const HiodInterval *i, gpointer data)
{
	HiodReplay *r = data;
	g_autoptr(GError) local = NULL;
	if (!r->any || i->start > r->replayed_until)
		return FALSE;
	if (!hiod_container_dma_unmap(r->c, i->start, i->last - i->start + 1, &local))
		g_debug("undoing replay of " FMT_SPAN ": %s", i->start, i->last, local->message);
	return TRUE;
}

static gboolean
hiod_address_space_add_container_locked(HiodAddressSpace *self, HiodContainer *container,
					GError **error)
{
	HiodReplay r = {.self = self, .c = container};

	if (g_ptr_array_find(self->containers, container, NULL)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS,
			    "%s is already a member of this address space", G_OBJECT_TYPE_NAME(container));
		return FALSE;
	}
	/* the memory first: the replay maps from the files */
	hiod_container_set_memory(container, self->memory);
	hiod_interval_map_foreach(hiod_address_space_mapped(self), hiod_replay_cb, &r);
	if (r.error != NULL) {
		/* the container leaves with none of the sections */
		hiod_interval_map_foreach(hiod_address_space_mapped(self), hiod_unreplay_cb, &r);
		hiod_container_set_memory(container, NULL);
		g_propagate_error(error, r.error);
		return FALSE;
	}
	g_ptr_array_add(self->containers, g_object_ref(container));
	return TRUE;
}

/**
 * hiod_address_space_add_container:
 * @self: a #HiodAddressSpace
 * @container: a #HiodContainer that is set up (holds a device) unless the
 *   space has no sections yet
 * @error: return location for a #GError
 *
 * Makes @container a member: every existing section is replayed into it
 * (by copy from a member of the same class when the backend can), and every
 * later change reaches it. When a replay fails the container is left with
 * none of the sections. %HIOD_ERROR_EXISTS when it is a member already.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_address_space_add_container(HiodAddressSpace *self, HiodContainer *container, GError **error)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), FALSE);
	g_return_val_if_fail(HIOD_IS_CONTAINER(container), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	locker = hiod_mutex_locker_new(&self->lock);
	return hiod_address_space_add_container_locked(self, container, error);
}

static gboolean
hiod_unmap_section_cb(const HiodInterval *i, gpointer data)
{
	HiodContainer *c = data;
	g_autoptr(GError) local = NULL;
	if (!hiod_container_dma_unmap(c, i->start, i->last - i->start + 1, &local))
		g_debug("unmapping section " FMT_SPAN " from %s: %s", i->start, i->last,
			G_OBJECT_TYPE_NAME(c), local->message);
	return TRUE;
}

static void
hiod_address_space_remove_container_locked(HiodAddressSpace *self, HiodContainer *container)
{
	g_autoptr(HiodContainer) c = NULL;
	guint idx;
	if (!g_ptr_array_find(self->containers, container, &idx))
		return;
	c = g_ptr_array_steal_index(self->containers, idx);
	hiod_container_set_memory(c, NULL);
	/* a container whose last device left has released its mappings already */
	if (hiod_container_get_n_mappings(c) > 0)
		hiod_interval_map_foreach(hiod_address_space_mapped(self), hiod_unmap_section_cb, c);
}

/**
 * hiod_address_space_remove_container:
 * @self: a #HiodAddressSpace
 * @container: a member
 *
 * Unmaps every section from @container and drops it from the space. Does
 * nothing when it is not a member.
 *
 * Since: 0.1
 */
void
hiod_address_space_remove_container(HiodAddressSpace *self, HiodContainer *container)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_return_if_fail(HIOD_IS_ADDRESS_SPACE(self));
	g_return_if_fail(HIOD_IS_CONTAINER(container));
	locker = hiod_mutex_locker_new(&self->lock);
	hiod_address_space_remove_container_locked(self, container);
}

/**
 * hiod_address_space_add_memory:
 * @self: a #HiodAddressSpace
 * @region: guest memory this process mapped from a file (a memfd; MAP_SHARED)
 * @error: return location for a #GError
 *
 * Tells the space that [@region->vaddr, + @region->size) shows the file
 * @region->fd from @region->offset. The space keeps a duplicate of the fd.
 * A section that lies in such memory is mapped by an iommufd container with
 * IOMMU_IOAS_MAP_FILE (Linux 6.13; the kernel pins the file's pages, not the
 * process's, which a live update needs: hiod_live_update_new()); on a kernel
 * without it, or for a file it refuses, by address as before. Other
 * backends map by address. Add the memory before the sections that lie in
 * it: a section mapped already stays mapped as it was.
 * %HIOD_ERROR_INVALID_ARGUMENT when @region is not a regular file's
 * mapping or overlaps memory added before.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_address_space_add_memory(HiodAddressSpace *self, const HiodMemoryRegion *region, GError **error)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_autoptr(GPtrArray) next = NULL;
	HiodFileMemory *mem;
	struct stat st;
	guintptr a;

	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), FALSE);
	g_return_val_if_fail(region != NULL, FALSE);
	if (region->vaddr == NULL || region->size == 0 || region->fd < 0 ||
	    GPOINTER_TO_SIZE(region->vaddr) + (region->size - 1) < GPOINTER_TO_SIZE(region->vaddr) ||
	    fstat(region->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "the memory region is not a mapping of a file (memfd): give its "
				    "address, size, fd and offset");
		return FALSE;
	}
	a = GPOINTER_TO_SIZE(region->vaddr);
	locker = hiod_mutex_locker_new(&self->lock);
	for (guint i = 0; i < self->memory->len; i++) {
		const HiodFileMemory *m = g_ptr_array_index(self->memory, i);
		guintptr s = GPOINTER_TO_SIZE(m->vaddr);
		if (a <= s + (m->size - 1) && s <= a + (region->size - 1)) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "memory at %p (0x%" G_GINT64_MODIFIER "x bytes) overlaps memory added "
				    "before at %p: add each mapping once",
				    region->vaddr, region->size, m->vaddr);
			return FALSE;
		}
	}
	mem = hiod_file_memory_new(self->ctx, region->vaddr, region->size, region->fd, region->offset,
				   error);
	if (mem == NULL)
		return FALSE;
	/* the members hold the old array: a new one for everybody */
	next = g_ptr_array_new_full(self->memory->len + 1, (GDestroyNotify)hiod_file_memory_unref);
	for (guint i = 0; i < self->memory->len; i++)
		g_ptr_array_add(next, hiod_file_memory_ref(g_ptr_array_index(self->memory, i)));
	g_ptr_array_add(next, mem);
	g_ptr_array_unref(self->memory);
	self->memory = g_ptr_array_ref(next);
	for (guint i = 0; i < self->containers->len; i++)
		hiod_container_set_memory(g_ptr_array_index(self->containers, i), self->memory);
	return TRUE;
}

/**
 * hiod_address_space_get_memory:
 * @self: a #HiodAddressSpace
 *
 * Gets the file-backed memory hiod_address_space_add_memory() was told of.
 * The fds are the space's own duplicates: valid while the space lives; do
 * not close them.
 *
 * Returns: (transfer full) (element-type HiodMemoryRegion): the regions, in
 * the order they were added
 *
 * Since: 0.1
 */
GArray *
hiod_address_space_get_memory(HiodAddressSpace *self)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	GArray *out = g_array_new(FALSE, FALSE, sizeof(HiodMemoryRegion));
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), out);
	locker = hiod_mutex_locker_new(&self->lock);
	for (guint i = 0; i < self->memory->len; i++) {
		const HiodFileMemory *m = g_ptr_array_index(self->memory, i);
		HiodMemoryRegion r = {m->vaddr, m->size, m->fd, m->offset};
		g_array_append_val(out, r);
	}
	return out;
}

/**
 * hiod_address_space_get_containers:
 * @self: a #HiodAddressSpace
 *
 * Gets the members, in the order they joined.
 *
 * Returns: (transfer container) (element-type HiodContainer): the members, in the
 * order they joined
 *
 * Since: 0.1
 */
GPtrArray *
hiod_address_space_get_containers(HiodAddressSpace *self)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), out);
	locker = hiod_mutex_locker_new(&self->lock);
	for (guint i = 0; i < self->containers->len; i++)
		g_ptr_array_add(out, g_object_ref(g_ptr_array_index(self->containers, i)));
	return out;
}

/**
 * hiod_address_space_has_container:
 * @self: a #HiodAddressSpace
 * @container: a #HiodContainer
 *
 * Tells whether @container is a member.
 *
 * Returns: whether @container is a member
 *
 * Since: 0.1
 */
gboolean
hiod_address_space_has_container(HiodAddressSpace *self, HiodContainer *container)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), FALSE);
	locker = hiod_mutex_locker_new(&self->lock);
	return g_ptr_array_find(self->containers, container, NULL);
}

/* sections ------------------------------------------------------------------------ */

/* The run that ends at @iova - 1 (@left) or starts at @last + 1 and that a
 * section [iova, last] at @vaddr with @flags continues, or NULL. */
static const HiodInterval *
hiod_address_space_touching_run(HiodAddressSpace *self, gboolean left, guint64 iova, guint64 last,
				gpointer vaddr, HiodDmaFlags flags)
{
	const HiodInterval *r;
	if (left) {
		if (iova == 0 || (r = hiod_interval_map_lookup(self->runs, iova - 1)) == NULL)
			return NULL;
		return r->flags == flags && (guint8 *)r->value + (iova - r->start) == (guint8 *)vaddr ? r : NULL;
	}
	if (last == G_MAXUINT64 || (r = hiod_interval_map_lookup(self->runs, last + 1)) == NULL)
		return NULL;
	return r->start == last + 1 && r->flags == flags &&
			       (guint8 *)vaddr + (last - iova + 1) == (guint8 *)r->value
		   ? r
		   : NULL;
}

/* Coalescing: maps the new section [iova, last] (in the section index
 * already) into every member joined with the runs it touches: each touching
 * run is unmapped and the grown run mapped. All or nothing: when a member
 * refuses, every member is put back to the runs as they were. */
static G_GNUC_NO_INLINE gboolean
hiod_address_space_add_coalesced(HiodAddressSpace *self, guint64 iova, guint64 last, gpointer vaddr,
				 HiodDmaFlags flags, GError **error)
{
	const HiodInterval *l = hiod_address_space_touching_run(self, TRUE, iova, last, vaddr, flags);
	const HiodInterval *r = hiod_address_space_touching_run(self, FALSE, iova, last, vaddr, flags);
	g_autoptr(GArray) old = g_array_new(FALSE, FALSE, sizeof(HiodInterval));
	guint64 start = iova, end = last;
	gpointer start_va = vaddr;

	if (l != NULL) {
		g_array_append_val(old, *l);
		start = l->start;
		start_va = l->value;
	}
	if (r != NULL) {
		g_array_append_val(old, *r);
		end = r->last;
	}
	for (guint k = 0; k < self->containers->len; k++) {
		HiodContainer *c = g_ptr_array_index(self->containers, k);
		gboolean ok = TRUE;
		for (guint n = 0; ok && n < old->len; n++) {
			HiodInterval *o = &g_array_index(old, HiodInterval, n);
			ok = hiod_container_dma_unmap(c, o->start, o->last - o->start + 1, error);
		}
		if (ok && hiod_address_space_map_into(self, k, c, start, end - start + 1, start_va, flags, error))
			continue;
		g_prefix_error(error, "mapping section " FMT_SPAN " (run " FMT_SPAN ") into %s: ", iova, last,
			       start, end, G_OBJECT_TYPE_NAME(c));
		/* all or nothing: the members changed so far get their old runs back */
		for (guint j = 0; j <= k; j++) {
			HiodContainer *done = g_ptr_array_index(self->containers, j);
			g_autoptr(GError) local = NULL;
			if (!hiod_container_dma_unmap(done, start, end - start + 1, &local))
				g_debug("rolling back " FMT_SPAN " in %s: %s", start, end,
					G_OBJECT_TYPE_NAME(done), local->message);
			hiod_address_space_restore(self, done, old);
		}
		return FALSE;
	}
	for (guint n = 0; n < old->len; n++)
		hiod_interval_map_remove(self->runs, g_array_index(old, HiodInterval, n).start);
	hiod_interval_map_insert_full(self->runs, start, end, start_va, flags);
	return TRUE;
}

/* The refusal of a section that overlaps one the map holds (with the lock) */
HIOD_COLD static gboolean
hiod_address_space_refuse_overlap(HiodAddressSpace *self, guint64 iova, guint64 last, GError **error)
{
	const HiodInterval *other = hiod_interval_map_first_overlap(self->sections, iova, last);
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_EXISTS,
		    "section " FMT_SPAN " overlaps the section " FMT_SPAN, iova, last, other->start,
		    other->last);
	return FALSE;
}

/* Member @k refused the section (@error says why): all or nothing, it goes
 * out of the members before it and out of the index (with the lock) */
HIOD_COLD static gboolean
hiod_address_space_add_failed(HiodAddressSpace *self, guint k, guint64 iova, guint64 size,
			      GError **error)
{
	guint64 last = iova + size - 1;
	g_prefix_error(error, "mapping section " FMT_SPAN " into %s: ", iova, last,
		       G_OBJECT_TYPE_NAME(g_ptr_array_index(self->containers, k)));
	for (guint j = 0; j < k; j++) {
		HiodContainer *done = g_ptr_array_index(self->containers, j);
		g_autoptr(GError) local = NULL;
		if (!hiod_container_dma_unmap(done, iova, size, &local))
			g_debug("rolling back " FMT_SPAN " in %s: %s", iova, last,
				G_OBJECT_TYPE_NAME(done), local->message);
	}
	hiod_interval_map_remove(self->sections, iova);
	return FALSE;
}

HIOD_COLD static gboolean
hiod_address_space_refuse_null(GError **error)
{
	g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "section backed by a NULL address");
	return FALSE;
}

/**
 * hiod_address_space_add_section:
 * @self: a #HiodAddressSpace
 * @iova: the section's first IOVA
 * @size: the section's size in bytes
 * @vaddr: (not nullable): the process memory backing it
 * @flags: #HiodDmaFlags
 * @error: return location for a #GError
 *
 * Adds [@iova, @iova + @size) to the map and maps it into every member.
 * All or nothing: when a member refuses (its error is passed on, with the
 * code it chose: unaligned, out of its IOVA ranges, over its mapping limit,
 * or a kernel error), the members already mapped are unmapped again and the
 * section is not added. A section that overlaps another is refused with
 * %HIOD_ERROR_EXISTS.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
HIOD_HOT gboolean
hiod_address_space_add_section(HiodAddressSpace *self, guint64 iova, guint64 size, gpointer vaddr,
			       HiodDmaFlags flags, GError **error)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	guint64 last;

	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE_FAST(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	if (G_UNLIKELY(vaddr == NULL))
		return hiod_address_space_refuse_null(error);
	if (!hiod_iova_span_check(iova, size, "section", error))
		return FALSE;
	last = iova + size - 1;

	locker = hiod_mutex_locker_new(&self->lock);
	/* into the index first (one descent checks the overlap too); out again
	 * when a member refuses */
	if (G_UNLIKELY(!hiod_interval_map_insert_full(self->sections, iova, last, vaddr, flags)))
		return hiod_address_space_refuse_overlap(self, iova, last, error);
	if (self->coalesce) {
		if (hiod_address_space_add_coalesced(self, iova, last, vaddr, flags, error))
			return TRUE;
		hiod_interval_map_remove(self->sections, iova);
		return FALSE;
	}
	for (guint k = 0; k < self->containers->len; k++) {
		HiodContainer *c = g_ptr_array_index(self->containers, k);
		if (G_UNLIKELY(!hiod_address_space_map_into(self, k, c, iova, size, vaddr, flags, error)))
			return hiod_address_space_add_failed(self, k, iova, size, error);
	}
	return TRUE;
}

/* Takes [iova, last] out of the intervals @hits of @map (those that meet
 * it): the parts outside stay, as intervals of their own. */
static void
hiod_index_cut(HiodIntervalMap *map, GArray *hits, guint64 iova, guint64 last)
{
	for (guint n = 0; n < hits->len; n++) {
		HiodInterval *i = &g_array_index(hits, HiodInterval, n);
		hiod_interval_map_remove(map, i->start);
		if (i->start < iova)
			hiod_interval_map_insert_full(map, i->start, iova - 1, i->value, i->flags);
		if (i->last > last)
			hiod_interval_map_insert_full(map, last + 1, i->last,
						      (guint8 *)i->value + (last + 1 - i->start), i->flags);
	}
}

/* Coalescing: every member unmaps [iova, last] (the container splits a run
 * only partly inside: it unmaps the run and maps back the rest). All or
 * nothing: when a member refuses, every member gets its runs back whole. */
static G_GNUC_NO_INLINE gboolean
hiod_address_space_remove_coalesced(HiodAddressSpace *self, guint64 iova, guint64 last, GError **error)
{
	g_autoptr(GArray) runs = hiod_interval_map_overlaps(self->runs, iova, last);
	g_autoptr(GArray) hits = NULL;

	if (runs->len == 0)
		return TRUE;
	for (guint k = 0; k < self->containers->len; k++) {
		HiodContainer *c = g_ptr_array_index(self->containers, k);
		if (hiod_container_dma_unmap(c, iova, last - iova + 1, error))
			continue;
		g_prefix_error(error, "removing section " FMT_SPAN " from %s: ", iova, last,
			       G_OBJECT_TYPE_NAME(c));
		for (guint j = 0; j <= k; j++)
			hiod_address_space_restore(self, g_ptr_array_index(self->containers, j), runs);
		return FALSE;
	}
	hiod_index_cut(self->runs, runs, iova, last);
	hits = hiod_interval_map_overlaps(self->sections, iova, last);
	hiod_index_cut(self->sections, hits, iova, last);
	return TRUE;
}

/**
 * hiod_address_space_remove_section:
 * @self: a #HiodAddressSpace
 * @iova: the first IOVA to remove
 * @size: bytes to remove
 * @error: return location for a #GError
 *
 * Removes whatever the map holds in [@iova, @iova + @size) from every
 * member. A section only partly inside is split: its parts outside stay
 * mapped everywhere. Removing a span that holds nothing succeeds. All or
 * nothing: when a member refuses, every member is put back as it was.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
HIOD_HOT gboolean
hiod_address_space_remove_section(HiodAddressSpace *self, guint64 iova, guint64 size,
				  GError **error)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_autoptr(GArray) hits = NULL;
	HiodInterval whole;
	gboolean exact;
	guint64 last;

	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE_FAST(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	if (!hiod_iova_span_check(iova, size, "section", error))
		return FALSE;
	last = iova + size - 1;

	locker = hiod_mutex_locker_new(&self->lock);
	if (self->coalesce)
		return hiod_address_space_remove_coalesced(self, iova, last, error);
	/* the common case, one whole section: out of the index in one descent
	 * (back in when a member refuses), no list of hits */
	exact = hiod_interval_map_take_exact(self->sections, iova, last, &whole);
	if (!exact) {
		hits = hiod_interval_map_overlaps(self->sections, iova, last);
		if (hits->len == 0)
			return TRUE;
	}
	for (guint k = 0; k < self->containers->len; k++) {
		HiodContainer *c = g_ptr_array_index(self->containers, k);
		if (hiod_container_dma_unmap(c, iova, size, error))
			continue;
		g_prefix_error(error, "removing section " FMT_SPAN " from %s: ", iova, last,
			       G_OBJECT_TYPE_NAME(c));
		if (exact)
			hiod_interval_map_insert_full(self->sections, iova, last, whole.value, whole.flags);
		if (hits == NULL)
			hits = hiod_interval_map_overlaps(self->sections, iova, last);
		for (guint j = 0; j <= k; j++)
			hiod_address_space_restore(self, g_ptr_array_index(self->containers, j), hits);
		return FALSE;
	}
	if (exact)
		return TRUE;
	/* the index follows: split what is only partly inside */
	hiod_index_cut(self->sections, hits, iova, last);
	return TRUE;
}

/**
 * hiod_address_space_get_n_sections:
 * @self: a #HiodAddressSpace
 *
 * Gets how many sections the map holds.
 *
 * Returns: how many sections the map holds
 *
 * Since: 0.1
 */
guint
hiod_address_space_get_n_sections(HiodAddressSpace *self)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), 0);
	locker = hiod_mutex_locker_new(&self->lock);
	return hiod_interval_map_size(self->sections);
}

/**
 * hiod_address_space_set_coalesce:
 * @self: a #HiodAddressSpace
 * @coalesce: whether touching sections share one kernel mapping
 * @error: return location for a #GError
 *
 * Turns coalescing on or off (off by default): with it on, sections with
 * contiguous IOVA and host addresses and the same flags are mapped into the
 * members as one kernel mapping, so that more sections fit under a mapping
 * limit (type1's dma_entry_limit, vhost-vdpa's max_iotlb_entries). Growing
 * or splitting a coalesced mapping unmaps it and maps it again: DMA to the
 * parts that stay faults in between (see #HiodAddressSpace). Only while
 * the space holds no section: %HIOD_ERROR_INVALID_STATE otherwise.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_address_space_set_coalesce(HiodAddressSpace *self, gboolean coalesce, GError **error)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	locker = hiod_mutex_locker_new(&self->lock);
	if (hiod_interval_map_size(self->sections) > 0 && !coalesce != !self->coalesce) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
			    "the space holds %u sections: turn coalescing %s before the first is added",
			    hiod_interval_map_size(self->sections), coalesce ? "on" : "off");
		return FALSE;
	}
	self->coalesce = coalesce != FALSE;
	return TRUE;
}

/**
 * hiod_address_space_get_coalesce:
 * @self: a #HiodAddressSpace
 *
 * Tells whether touching sections share one kernel mapping.
 *
 * Returns: whether coalescing is on
 *
 * Since: 0.1
 */
gboolean
hiod_address_space_get_coalesce(HiodAddressSpace *self)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), FALSE);
	locker = hiod_mutex_locker_new(&self->lock);
	return self->coalesce;
}

/**
 * hiod_address_space_lookup:
 * @self: a #HiodAddressSpace
 * @iova: an IOVA
 * @section_iova: (out) (optional): the first IOVA of the section holding @iova
 * @section_size: (out) (optional): its size
 * @vaddr: (out) (optional): the process address backing its first byte
 * @flags: (out) (optional): its #HiodDmaFlags
 *
 * Finds the section that holds @iova, in O(log n).
 *
 * Returns: %TRUE when a section holds @iova
 *
 * Since: 0.1
 */
gboolean
hiod_address_space_lookup(HiodAddressSpace *self, guint64 iova, guint64 *section_iova,
			  guint64 *section_size, gpointer *vaddr, HiodDmaFlags *flags)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	const HiodInterval *i;

	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), FALSE);
	locker = hiod_mutex_locker_new(&self->lock);
	i = hiod_interval_map_lookup(self->sections, iova);
	if (i == NULL)
		return FALSE;
	if (section_iova != NULL)
		*section_iova = i->start;
	if (section_size != NULL)
		*section_size = i->last - i->start + 1;
	if (vaddr != NULL)
		*vaddr = i->value;
	if (flags != NULL)
		*flags = i->flags;
	return TRUE;
}

/* the attach flow ------------------------------------------------------------------ */

/* Whether a member of backend @have can take a device wanting @want (a
 * legacy container may have turned out to be sPAPR). */
static gboolean
hiod_backend_kind_matches(HiodBackendKind have, HiodBackendKind want)
{
	if (have == want)
		return TRUE;
	return (have == HIOD_BACKEND_KIND_SPAPR && want == HIOD_BACKEND_KIND_LEGACY) ||
	       (have == HIOD_BACKEND_KIND_LEGACY && want == HIOD_BACKEND_KIND_SPAPR);
}

/**
 * hiod_address_space_attach_device:
 * @self: a #HiodAddressSpace
 * @device: a #HiodVfioDevice that is not attached
 * @kind: the backend to reach the device through (%HIOD_BACKEND_KIND_AUTO:
 *   iommufd when /dev/iommu and the device's cdev exist, else legacy; and
 *   legacy when a new iommufd container refuses the device, see
 *   hiod_container_new_attached())
 * @viommu_flags: the vIOMMU's flags (HIOD_VIOMMU_FLAG_*), read before attach;
 *   0 without a vIOMMU
 * @error: return location for a #GError
 *
 * The attach flow (QEMU's vfio_device_attach): tries each member container
 * of the backend @kind in turn, and goes on to the next whatever the refusal
 * (the kernel refuses to share a container or an IOAS for many reasons: a
 * group that cannot join, a reserved region of the device that clashes with
 * a mapping the IOAS holds (EADDRINUSE), an IOMMU the page table does not
 * fit); when none takes it, makes a new container, attaches the device and
 * adds the container to the space, which replays every section into it.
 * Only when the new container fails too does the attach fail, with that
 * container's error (the members' refusals are in the debug log). The host
 * IOMMU device is created and realized on the way
 * (hiod_vfio_device_attach()). On failure nothing is left behind: the
 * device is detached and a container made for it is gone.
 *
 * Returns: (transfer none): the container the device is attached to, or %NULL
 *
 * Since: 0.1
 */
HiodContainer *
hiod_address_space_attach_device(HiodAddressSpace *self, HiodVfioDevice *device,
				 HiodBackendKind kind, guint64 viommu_flags, GError **error)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_autoptr(HiodContainer) fresh = NULL;
	HiodContainer *container = NULL;
	HiodBackendKind requested;
	HiodContext *ctx;

	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(self), NULL);
	g_return_val_if_fail(HIOD_IS_VFIO_DEVICE(device), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	/* the device's fds are opened and closed through its own context */
	ctx = hiod_vfio_device_get_context(device);
	if (self->ctx_given && ctx != self->ctx) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "attaching %s: the device was made with another HiodContext than the address "
			    "space; make both with one context (or the space with NULL, to follow the "
			    "device's)",
			    hiod_vfio_device_get_name(device));
		return NULL;
	}
	locker = hiod_mutex_locker_new(&self->lock);
	requested = kind;
	kind = hiod_backend_kind_resolve(ctx, kind, device);

	/* a member of the same backend that will take the device */
	for (guint i = 0; i < self->containers->len && container == NULL; i++) {
		HiodContainer *c = g_ptr_array_index(self->containers, i);
		g_autoptr(GError) local = NULL;
		if (!hiod_backend_kind_matches(hiod_container_get_backend_kind(c), kind) ||
		    hiod_container_get_context(c) != ctx)
			continue;
		if (hiod_vfio_device_attach(device, c, viommu_flags, &local)) {
			container = c;
			break;
		}
		/* whatever the refusal, a fresh container may still take it */
		g_debug("%s cannot join %s #%u: %s; trying the next", hiod_vfio_device_get_name(device),
			G_OBJECT_TYPE_NAME(c), i, local->message);
	}

	/* else a container of its own, which gets every section replayed */
	if (container == NULL) {
		/* with AUTO, the legacy backend when iommufd refuses the device */
		fresh = hiod_container_new_attached(ctx, requested, device, viommu_flags, error);
		if (fresh == NULL)
			return NULL; /* the backend already names the device */
		if (!hiod_address_space_add_container_locked(self, fresh, error)) {
			g_prefix_error(error, "attaching %s: ", hiod_vfio_device_get_name(device));
			hiod_vfio_device_detach(device);
			return NULL;
		}
		container = fresh;
	}

	/* The vIOMMU hand-off (set_iommu_device, which may still refuse the
	 * device) is the caller's next step: hiod_pci_topology_attach_device()
	 * makes it and undoes a refusal with hiod_address_space_detach_device(). */
	return container;
}

static void
hiod_address_space_detach_locked(HiodAddressSpace *self, HiodVfioDevice *device)
{
	g_autoptr(HiodContainer) c = NULL;
	g_autoptr(GPtrArray) left = NULL;

	if (hiod_vfio_device_get_container(device) == NULL)
		return;
	c = g_object_ref(hiod_vfio_device_get_container(device));
	/* the vIOMMU has been told already (hiod_pci_topology_detach_device()) */
	hiod_vfio_device_detach(device);
	left = hiod_container_get_devices(c);
	if (left->len == 0)
		hiod_address_space_remove_container_locked(self, c);
}

/**
 * hiod_address_space_detach_device:
 * @self: a #HiodAddressSpace
 * @device: a device attached with hiod_address_space_attach_device()
 *
 * Undoes hiod_address_space_attach_device(): drops the host IOMMU device,
 * detaches the device, and drops its container from the space when no
 * device is left in it. Does nothing when @device is not attached.
 *
 * Since: 0.1
 */
void
hiod_address_space_detach_device(HiodAddressSpace *self, HiodVfioDevice *device)
{
	g_autoptr(HiodMutexLocker) locker = NULL;
	g_return_if_fail(HIOD_IS_ADDRESS_SPACE(self));
	g_return_if_fail(HIOD_IS_VFIO_DEVICE(device));
	locker = hiod_mutex_locker_new(&self->lock);
	hiod_address_space_detach_locked(self, device);
}

/* GObject ------------------------------------------------------------------------- */

static void
hiod_address_space_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	HiodAddressSpace *self = HIOD_ADDRESS_SPACE(object);
	switch (prop_id) {
	case PROP_CONTEXT:
		g_value_set_object(value, self->ctx);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_address_space_set_property(GObject *object, guint prop_id, const GValue *value,
				GParamSpec *pspec)
{
	HiodAddressSpace *self = HIOD_ADDRESS_SPACE(object);
	switch (prop_id) {
	case PROP_CONTEXT:
		g_set_object(&self->ctx, g_value_get_object(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_address_space_init(HiodAddressSpace *self)
{
	hiod_mutex_init(&self->lock);
	self->sections = hiod_interval_map_new(NULL);
	self->runs = hiod_interval_map_new(NULL);
	self->containers = g_ptr_array_new();
	self->memory = g_ptr_array_new_with_free_func((GDestroyNotify)hiod_file_memory_unref);
}

static void
hiod_address_space_constructed(GObject *object)
{
	HiodAddressSpace *self = HIOD_ADDRESS_SPACE(object);
	G_OBJECT_CLASS(hiod_address_space_parent_class)->constructed(object);
	self->ctx_given = self->ctx != NULL;
	if (self->ctx == NULL)
		self->ctx = hiod_context_new();
}

static void
hiod_address_space_dispose(GObject *object)
{
	HiodAddressSpace *self = HIOD_ADDRESS_SPACE(object);
	/* members keep their mappings: they may outlive the space */
	while (self->containers->len > 0) {
		HiodContainer *c = g_ptr_array_steal_index(self->containers, self->containers->len - 1);
		hiod_container_set_memory(c, NULL);
		g_object_unref(c);
	}
	G_OBJECT_CLASS(hiod_address_space_parent_class)->dispose(object);
}

static void
hiod_address_space_finalize(GObject *object)
{
	HiodAddressSpace *self = HIOD_ADDRESS_SPACE(object);
	hiod_interval_map_free(self->sections);
	hiod_interval_map_free(self->runs);
	g_ptr_array_unref(self->containers);
	g_ptr_array_unref(self->memory);
	hiod_mutex_clear(&self->lock);
	g_clear_object(&self->ctx);
	G_OBJECT_CLASS(hiod_address_space_parent_class)->finalize(object);
}

static void
hiod_address_space_class_init(HiodAddressSpaceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = hiod_address_space_get_property;
	object_class->set_property = hiod_address_space_set_property;
	object_class->constructed = hiod_address_space_constructed;
	object_class->dispose = hiod_address_space_dispose;
	object_class->finalize = hiod_address_space_finalize;

	/**
	 * HiodAddressSpace:context:
	 *
	 * The context the space's containers are made with, and the only one
	 * whose devices it attaches. Made with %NULL, the space has a context of
	 * its own here but its attach flow follows each device's context.
	 *
	 * Since: 0.1
	 */
	props[PROP_CONTEXT] = g_param_spec_object("context", NULL, NULL, HIOD_TYPE_CONTEXT,
						  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
						      G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

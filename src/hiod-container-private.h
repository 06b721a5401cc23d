/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hiod-container.h"
#include "hiod-interval-map-private.h"

G_BEGIN_DECLS

/* A mapping the container holds: [start, last] -> vaddr (stored in HiodInterval.value). */
typedef struct {
	gpointer vaddr;
	HiodDmaFlags flags;
} HiodMapping;

/* The first member of every container's private data: what the backends'
 * map and unmap read without a call (hiod-hot-private.h says why). */
typedef struct {
	HiodContext *ctx;
	GPtrArray *memory; /* HiodFileMemory, lock + info_lock; NULL: none */
} HiodContainerHot;

/* where it sits in every container (set as the class is made) */
extern glong hiod_container_hot_offset;

static inline HiodContainerHot *
hiod_container_peek_hot(HiodContainer *self)
{
	return (HiodContainerHot *)G_STRUCT_MEMBER_P(self, hiod_container_hot_offset);
}

/* The context, without the type check of hiod_container_get_context() and
 * without a call: for the backends' map and unmap, which the base class
 * calls on its own instance. */
static inline HiodContext *
hiod_container_peek_context(HiodContainer *self)
{
	return hiod_container_peek_hot(self)->ctx;
}
/* The smallest page size the container maps with (lowest bit of the page-size mask). */
guint64 hiod_container_get_min_page_size(HiodContainer *self);
/* Whether [iova, iova + size) lies in the usable IOVA ranges (always, when
 * none are known); when not, the ranges as text in *@ranges_str (optional).
 * Safe while another thread attaches or detaches (which replaces them). */
gboolean hiod_container_iova_ranges_allow(HiodContainer *self, guint64 iova, guint64 size,
					  gchar **ranges_str);
/* Runs @func with the container's mapping index locked. */
void hiod_container_with_mappings(HiodContainer *self, void (*func)(HiodIntervalMap *map, gpointer data),
				  gpointer data);

/* Guest memory mapped from a file (hiod_address_space_add_memory()): the
 * space's own duplicate of the file's fd, counted and closed through @ctx.
 * Immutable once made; shared by reference between a space and its members. */
typedef struct {
	HiodContext *ctx;
	gpointer vaddr;
	guint64 size;
	gint fd;
	guint64 offset;
} HiodFileMemory;

HiodFileMemory *hiod_file_memory_new(HiodContext *ctx, gpointer vaddr, guint64 size, gint fd,
				     guint64 offset, GError **error);
HiodFileMemory *hiod_file_memory_ref(HiodFileMemory *mem);
void hiod_file_memory_unref(HiodFileMemory *mem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HiodFileMemory, hiod_file_memory_unref)

/* The file-backed memory the container's space knows (element-type
 * HiodFileMemory; the array is not changed after this: the space gives a new
 * one), or NULL for none. */
void hiod_container_set_memory(HiodContainer *self, GPtrArray *memory);
/* (With the mapping lock held: from a backend's dma_map.) Whether [vaddr, vaddr + size) lies in one piece of that memory: its fd
 * (open while the container holds the memory) and the file offset at vaddr. */
gboolean hiod_container_find_memory_in(HiodContainer *self, gpointer vaddr, guint64 size, gint *fd,
				       guint64 *offset);
static inline gboolean
hiod_container_find_memory(HiodContainer *self, gpointer vaddr, guint64 size, gint *fd,
			   guint64 *offset)
{
	if (G_LIKELY(hiod_container_peek_hot(self)->memory == NULL))
		return FALSE;
	return hiod_container_find_memory_in(self, vaddr, size, fd, offset);
}

G_END_DECLS

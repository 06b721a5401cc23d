/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where the sPAPR platforms (QEMU pseries, PowerNV) place a second, 64-bit DMA window. */
#define HIOD_SPAPR_DDW64_START G_GUINT64_CONSTANT(0x800000000000000)
/* The smallest window the planner makes, so that later sections rarely need another. */
#define HIOD_SPAPR_MIN_WINDOW_SIZE (G_GUINT64_CONSTANT(1) << 30)
/* The most TCE table levels hiod asks for, whatever the host reports (PowerNV has 5). */
#define HIOD_SPAPR_MAX_LEVELS 8u
/* The most TCEs the planner puts in one table level (16 Mi entries, a 128 MiB table). */
#define HIOD_SPAPR_MAX_TCES_PER_LEVEL (G_GUINT64_CONSTANT(1) << 24)

/* What the kernel said about the container (VFIO_IOMMU_SPAPR_TCE_GET_INFO) and the host. */
typedef struct {
	guint64 dma32_start;   /* the default window */
	guint64 dma32_size;
	guint64 ddw_pgsizes;   /* DDW page sizes; 0: no dynamic windows (v1, or no DDW) */
	guint max_windows;     /* DDW: windows at most */
	guint levels;          /* DDW: TCE table levels at most */
	guint64 max_page_size; /* the largest IOMMU page the host memory allows (its page size) */
	guint64 ddw64_start;   /* where a window above the 32-bit one starts */
	/* The host makes a window at dma32_start only in the default window's shape
	 * (a pseries guest kernel: any other window goes to ddw64_start). */
	gboolean low_slot_default_only;
} HiodSpaprTceInfo;

/* The default window's IOMMU page shift (4 KiB TCEs). */
#define HIOD_SPAPR_DEFAULT_PAGE_SHIFT 12

/* A DMA window the container has. */
typedef struct {
	guint64 start;
	guint64 size;
	guint page_shift;
	guint n_mappings; /* mappings inside: a window that holds some is never removed */
} HiodSpaprWindow;

/* A span the caller wants mapped. */
typedef struct {
	guint64 iova;
	guint64 size;
	guint64 vaddr;
} HiodSpaprSection;

typedef enum {
	HIOD_SPAPR_STEP_REMOVE,
	HIOD_SPAPR_STEP_CREATE,
} HiodSpaprStepKind;

/* One window operation; CREATE expects the kernel to place the window at @start. */
typedef struct {
	HiodSpaprStepKind kind;
	guint64 start;
	guint64 size;
	guint page_shift;
	guint levels;
} HiodSpaprStep;

/* Plans the window operations that make every one of @sections land in a window,
 * given the windows the container has. A pure function: the result is an array
 * of HiodSpaprStep to run in order (empty when nothing is needed), or NULL with
 * a GError that says which section cannot fit and why. */
GArray *hiod_spapr_plan_windows(const HiodSpaprTceInfo *info, const HiodSpaprWindow *windows,
				guint n_windows, const HiodSpaprSection *sections, guint n_sections,
				GError **error);

/* The TCE table levels a window of @window_size bytes with 1 << @page_shift
 * pages asks for: the fewest whose every level fits in 256 host pages (a
 * table level the host can allocate in one piece, as QEMU guesses), between 1
 * and @max_levels (the host's most; 0 counts as 1). A CREATE that fails for
 * want of memory (ENOMEM) tries again with one level more, up to @max_levels. */
guint hiod_spapr_window_levels(guint64 window_size, guint page_shift, guint64 host_page_size,
			       guint max_levels);

/* "4K", "64K", "2M", "16M", "0x3000" */
gchar *hiod_spapr_format_size(guint64 size);

G_END_DECLS

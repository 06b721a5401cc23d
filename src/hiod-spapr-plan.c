/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hiod-error.h"
#include "hiod-iova-range-private.h"
#include "hiod-spapr-plan-private.h"

/*
 * sPAPR DMA windows cannot be placed at will: the platform puts the first
 * window at the 32-bit window's start (0) and a second one at a fixed 64-bit
 * address (1 << 59 on pseries and PowerNV). So every IOVA belongs to one of two
 * slots, and a window that serves a slot starts at the slot's base and grows
 * to a power of two. The planner picks, per slot, the largest DDW page size
 * that every section of the slot is aligned to (and that the host memory
 * allows), replaces an empty window that is too small, and refuses with the
 * reason when a section cannot land anywhere.
 */

gchar *
hiod_spapr_format_size(guint64 size)
{
	static const struct {
		guint shift;
		const gchar *unit;
	} units[] = {{60, "E"}, {50, "P"}, {40, "T"}, {30, "G"}, {20, "M"}, {10, "K"}};
	for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
		guint64 u = G_GUINT64_CONSTANT(1) << units[i].shift;
		if (size >= u && size % u == 0)
			return g_strdup_printf("%" G_GUINT64_FORMAT "%s", size / u, units[i].unit);
	}
	return g_strdup_printf("0x%" G_GINT64_MODIFIER "x", size);
}

guint
hiod_spapr_window_levels(guint64 window_size, guint page_shift, guint64 host_page_size,
			 guint max_levels)
{
	guint64 entries = MAX(page_shift < 64 ? window_size >> page_shift : 0, 1);
	/* log2 of the table's bytes (8 per TCE), rounded up; each level indexes an
	 * equal share of those bits and must fit in 256 host pages */
	guint bits_total = entries > (G_MAXUINT64 >> 3) ? 64 : g_bit_storage(entries * 8 - 1);
	guint bits_per_level = g_bit_nth_lsf(host_page_size != 0 ? host_page_size : 4096, -1) + 8;
	guint levels = MAX((bits_total + bits_per_level - 1) / bits_per_level, 1);
	return MIN(levels, MAX(max_levels, 1));
}

static guint64
hiod_pow2_ceil(guint64 v)
{
	guint64 p = 1;
	while (p < v && p != 0)
		p <<= 1;
	return p;
}

static gboolean
hiod_window_covers(const HiodSpaprWindow *w, const HiodSpaprSection *s)
{
	return s->iova >= w->start && s->iova + s->size - 1 <= w->start + w->size - 1;
}

static guint64
hiod_section_align(const HiodSpaprSection *s)
{
	return s->iova | s->size | s->vaddr;
}

static gchar *
hiod_windows_to_string(GArray *win)
{
	GString *str = g_string_new(NULL);
	if (win->len == 0)
		g_string_append(str, "none");
	for (guint i = 0; i < win->len; i++) {
		const HiodSpaprWindow *w = &g_array_index(win, HiodSpaprWindow, i);
		g_autofree gchar *pg = hiod_spapr_format_size(G_GUINT64_CONSTANT(1) << w->page_shift);
		g_string_append_printf(str, "%s[0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x] (%s pages%s)",
				       i ? ", " : "", w->start, w->start + w->size - 1, pg,
				       w->n_mappings ? ", in use" : "");
	}
	return g_string_free(str, FALSE);
}

#define SEC_FMT "section [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x]"
#define SEC_ARGS(s) (s)->iova, (s)->iova + (s)->size - 1

GArray *
hiod_spapr_plan_windows(const HiodSpaprTceInfo *info, const HiodSpaprWindow *windows,
			guint n_windows, const HiodSpaprSection *sections, guint n_sections,
			GError **error)
{
	g_autoptr(GArray) steps = g_array_new(FALSE, TRUE, sizeof(HiodSpaprStep));
	g_autoptr(GArray) win = g_array_new(FALSE, TRUE, sizeof(HiodSpaprWindow));
	guint64 slot_base[2] = {info->dma32_start, info->ddw64_start};
	guint64 slot_limit[2] = {info->ddw64_start - 1, G_MAXUINT64};

	g_array_append_vals(win, windows, n_windows);

	for (guint i = 0; i < n_sections; i++) {
		const HiodSpaprSection *s = &sections[i];
		if (!hiod_iova_span_ok(s->iova, s->size)) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "section at 0x%" G_GINT64_MODIFIER "x has an invalid size 0x%" G_GINT64_MODIFIER "x",
				    s->iova, s->size);
			return NULL;
		}
	}

	for (guint slot = 0; slot < 2; slot++) {
		guint64 base = slot_base[slot], end = 0, align = 0, page = 0;
		gboolean need = FALSE;
		gint existing = -1;

		for (guint w = 0; w < win->len; w++) {
			if (g_array_index(win, HiodSpaprWindow, w).start == base)
				existing = w;
		}
		/* which sections of this slot no window serves yet */
		for (guint i = 0; i < n_sections; i++) {
			const HiodSpaprSection *s = &sections[i];
			guint64 last = s->iova + s->size - 1;
			gboolean served = FALSE;
			if (last < base || s->iova > slot_limit[slot])
				continue;
			if (s->iova < base || last > slot_limit[slot]) {
				g_autofree gchar *have = hiod_windows_to_string(win);
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE,
					    SEC_FMT " cannot fit in any DMA window: it crosses 0x%" G_GINT64_MODIFIER
					    "x, where the 32-bit window's space ends and the 64-bit window's begins "
					    "(windows: %s)",
					    SEC_ARGS(s), s->iova < base ? base : slot_limit[slot] + 1, have);
				return NULL;
			}
			for (guint w = 0; w < win->len; w++) {
				const HiodSpaprWindow *hw = &g_array_index(win, HiodSpaprWindow, w);
				guint64 pg = G_GUINT64_CONSTANT(1) << hw->page_shift;
				if (!hiod_window_covers(hw, s))
					continue;
				if ((hiod_section_align(s) & (pg - 1)) == 0) {
					served = TRUE;
				} else if (hw->n_mappings > 0 || info->ddw_pgsizes == 0) {
					g_autofree gchar *pgs = hiod_spapr_format_size(pg);
					g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
						    SEC_FMT " (host address 0x%" G_GINT64_MODIFIER "x) is not aligned to "
						    "the %s pages of the DMA window [0x%" G_GINT64_MODIFIER "x, 0x%"
						    G_GINT64_MODIFIER "x] that holds it",
						    SEC_ARGS(s), s->vaddr, pgs, hw->start, hw->start + hw->size - 1);
					return NULL;
				}
			}
			if (!served)
				need = TRUE;
		}
		if (!need)
			continue;

		/* every section of the slot must fit the window that replaces the old one */
		for (guint i = 0; i < n_sections; i++) {
			const HiodSpaprSection *s = &sections[i];
			if (s->iova < base || s->iova > slot_limit[slot])
				continue;
			align |= hiod_section_align(s);
			end = MAX(end, s->iova + s->size - 1);
		}
		if (info->ddw_pgsizes == 0) {
			g_autofree gchar *have = hiod_windows_to_string(win);
			for (guint i = 0; i < n_sections; i++) {
				const HiodSpaprSection *s = &sections[i];
				if (s->iova < base || s->iova > slot_limit[slot])
					continue;
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE,
					    SEC_FMT " cannot fit in any DMA window: it lies outside the windows "
					    "the container has (%s), and the host cannot create windows "
					    "(sPAPR TCE v1, or no dynamic DMA windows)",
					    SEC_ARGS(s), have);
				return NULL;
			}
		}
		if (existing >= 0 && g_array_index(win, HiodSpaprWindow, existing).n_mappings > 0) {
			const HiodSpaprWindow *hw = &g_array_index(win, HiodSpaprWindow, existing);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE,
				    "the sections up to 0x%" G_GINT64_MODIFIER "x cannot fit in any DMA window: "
				    "they need the window at 0x%" G_GINT64_MODIFIER "x to grow or to change its "
				    "page size, but the window [0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
				    "x] holds mappings",
				    end, base, hw->start, hw->start + hw->size - 1);
			return NULL;
		}
		if (slot == 0 && info->low_slot_default_only) {
			/* only the default window can be made here */
			guint64 dlast = info->dma32_start + info->dma32_size - 1;
			guint64 dpage = G_GUINT64_CONSTANT(1) << HIOD_SPAPR_DEFAULT_PAGE_SHIFT;
			if (info->dma32_size == 0 || end > dlast || (align & (dpage - 1)) != 0) {
				g_autofree gchar *have = hiod_windows_to_string(win);
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE,
					    "the sections up to 0x%" G_GINT64_MODIFIER "x cannot fit in any DMA window: "
					    "below 0x%" G_GINT64_MODIFIER "x the host makes a window only in the shape "
					    "of the default one ([0x%" G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER
					    "x], 4K pages), and it places every other window at 0x%" G_GINT64_MODIFIER
					    "x (windows: %s)",
					    end, info->ddw64_start, info->dma32_start, dlast, info->ddw64_start, have);
				return NULL;
			}
			page = dpage;
		}
		if (page == 0) {
			/* the largest DDW page every section allows */
			for (guint64 m = info->ddw_pgsizes; m != 0; m &= m - 1) {
				guint64 pg = m & -m;
				if ((info->max_page_size == 0 || pg <= info->max_page_size) && (align & (pg - 1)) == 0)
					page = pg;
			}
		}
		if (page == 0) {
			g_autofree gchar *sizes = NULL;
			GString *str = g_string_new(NULL);
			for (guint64 m = info->ddw_pgsizes; m != 0; m &= m - 1) {
				g_autofree gchar *one = hiod_spapr_format_size(m & -m);
				g_string_append_printf(str, "%s%s", str->len ? ", " : "", one);
			}
			sizes = g_string_free(str, FALSE);
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "the sections up to 0x%" G_GINT64_MODIFIER "x cannot fit in any DMA window: "
				    "they are aligned (IOVA, size and host address) to none of the page sizes "
				    "the host's windows can use (%s)",
				    end, sizes);
			return NULL;
		}
		{
			HiodSpaprStep create = {.kind = HIOD_SPAPR_STEP_CREATE, .start = base,
						.page_shift = g_bit_nth_lsf(page, -1)};
			guint max_levels = MAX(info->levels, 1);
			HiodSpaprWindow nw = {.start = base, .page_shift = create.page_shift};
			guint n_after = win->len + 1 - (existing >= 0 ? 1 : 0);
			create.size = slot == 0 && info->low_slot_default_only
					  ? info->dma32_size
					  : hiod_pow2_ceil(MAX(end - base + 1, HIOD_SPAPR_MIN_WINDOW_SIZE));
			create.levels = hiod_spapr_window_levels(create.size, create.page_shift,
								 info->max_page_size, max_levels);
			if (create.size == 0 || create.size / page > HIOD_SPAPR_MAX_TCES_PER_LEVEL * max_levels) {
				g_autofree gchar *pgs = hiod_spapr_format_size(page);
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE,
					    "the sections up to 0x%" G_GINT64_MODIFIER "x cannot fit in any DMA window: "
					    "a window from 0x%" G_GINT64_MODIFIER "x that reaches them would need more "
					    "than %" G_GUINT64_FORMAT " TCEs of %s",
					    end, base, HIOD_SPAPR_MAX_TCES_PER_LEVEL * max_levels, pgs);
				return NULL;
			}
			if (info->max_windows > 0 && n_after > info->max_windows) {
				g_autofree gchar *have = hiod_windows_to_string(win);
				g_set_error(error, HIOD_ERROR, HIOD_ERROR_NO_SPACE,
					    "the sections up to 0x%" G_GINT64_MODIFIER "x cannot fit in any DMA window: "
					    "they need a window at 0x%" G_GINT64_MODIFIER "x, and the host allows at "
					    "most %u windows (windows: %s)",
					    end, base, info->max_windows, have);
				return NULL;
			}
			if (existing >= 0) {
				HiodSpaprStep rm = {.kind = HIOD_SPAPR_STEP_REMOVE, .start = base};
				rm.size = g_array_index(win, HiodSpaprWindow, existing).size;
				rm.page_shift = g_array_index(win, HiodSpaprWindow, existing).page_shift;
				rm.levels = hiod_spapr_window_levels(rm.size, rm.page_shift, info->max_page_size,
								     max_levels);
				g_array_append_val(steps, rm);
				g_array_remove_index(win, existing);
			}
			g_array_append_val(steps, create);
			nw.size = create.size;
			g_array_append_val(win, nw);
		}
	}
	return g_steal_pointer(&steps);
}

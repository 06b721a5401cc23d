/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HiodVirtioViommu: the virtio-iommu's policy. The host's usable IOVA ranges
 * become reserved regions, per requester ID as the IOMMU sees it (the
 * aliased one); the page-size mask offered to the guest is narrowed to what
 * every host IOMMU device supports, and once the granule is frozen (the
 * guest has started using it) a device that cannot map with it is refused.
 */
#include "config.h"

#include "hiod-error.h"
#include "hiod-iova-range.h"
#include "hiod-virtio-viommu.h"

#define HIOD_VIRTIO_DEFAULT_PAGE_SIZE_MASK (~(guint64)0xfff)

typedef struct {
	GPtrArray *reserved; /* HiodIovaRange */
	guint users;
} HiodVirtioAlias;

struct _HiodVirtioViommu {
	GObject parent_instance;
	guint64 page_size_mask;
	gboolean granule_frozen;
	GHashTable *devices; /* own rid key -> HiodHostIommuDevice (ref) */
	GHashTable *owners;  /* own rid key -> alias key */
	GHashTable *aliases; /* alias rid key -> HiodVirtioAlias */
	GMutex lock;
};

enum { PROP_0, PROP_PAGE_SIZE_MASK, PROP_GRANULE_FROZEN, N_PROPS };
static GParamSpec *props[N_PROPS];

static void hiod_virtio_viommu_iface_init(HiodViommuInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HiodVirtioViommu, hiod_virtio_viommu, G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(HIOD_TYPE_VIOMMU,
						    hiod_virtio_viommu_iface_init))

#define OWN_KEY(rid) GUINT_TO_POINTER(((rid)->domain << 16) | ((rid)->bus << 8) | (rid)->devfn)
#define ALIAS_KEY(rid)                                                                           \
	GUINT_TO_POINTER(((rid)->domain << 16) | ((rid)->alias_bus << 8) | (rid)->alias_devfn)

static void
hiod_virtio_alias_free(HiodVirtioAlias *a)
{
	g_ptr_array_unref(a->reserved);
	g_free(a);
}

/**
 * hiod_virtio_viommu_new:
 *
 * Returns a virtio-iommu policy offering 4 KiB and larger pages.
 *
 * Returns: (transfer full): a virtio-iommu policy offering 4 KiB and larger pages
 *
 * Since: 0.1
 */
HiodVirtioViommu *
hiod_virtio_viommu_new(void)
{
	return g_object_new(HIOD_TYPE_VIRTIO_VIOMMU, NULL);
}

/**
 * hiod_virtio_viommu_get_page_size_mask:
 * @self: a #HiodVirtioViommu
 *
 * Gets the page sizes offered to the guest, narrowed by the devices set so far.
 *
 * Returns: the page sizes offered to the guest, narrowed by the devices set so far
 *
 * Since: 0.1
 */
guint64
hiod_virtio_viommu_get_page_size_mask(HiodVirtioViommu *self)
{
	guint64 mask;
	g_return_val_if_fail(HIOD_IS_VIRTIO_VIOMMU(self), 0);
	g_mutex_lock(&self->lock);
	mask = self->page_size_mask;
	g_mutex_unlock(&self->lock);
	return mask;
}

/**
 * hiod_virtio_viommu_freeze_granule:
 * @self: a #HiodVirtioViommu
 *
 * Freezes the granule (the smallest offered page size): a VMM calls it once
 * the guest may have seen it (boot done, first mapping). From then on the
 * page-size mask no longer changes, and a device whose host cannot map with
 * the granule is refused.
 *
 * Since: 0.1
 */
void
hiod_virtio_viommu_freeze_granule(HiodVirtioViommu *self)
{
	g_return_if_fail(HIOD_IS_VIRTIO_VIOMMU(self));
	g_object_set(self, "granule-frozen", TRUE, NULL);
}

/**
 * hiod_virtio_viommu_get_granule_frozen:
 * @self: a #HiodVirtioViommu
 *
 * Tells whether the granule is frozen.
 *
 * Returns: whether the granule is frozen
 *
 * Since: 0.1
 */
gboolean
hiod_virtio_viommu_get_granule_frozen(HiodVirtioViommu *self)
{
	g_return_val_if_fail(HIOD_IS_VIRTIO_VIOMMU(self), FALSE);
	return self->granule_frozen;
}

/**
 * hiod_virtio_viommu_get_reserved_regions:
 * @self: a #HiodVirtioViommu
 * @domain: PCI domain
 * @bus: the requester ID's bus (the aliased one)
 * @devfn: the requester ID's devfn (the aliased one)
 *
 * Gets the.
 *
 * Returns: (transfer full) (nullable) (element-type HiodIovaRange): the
 *   host-reserved regions recorded for the requester ID, %NULL when none
 *
 * Since: 0.1
 */
GPtrArray *
hiod_virtio_viommu_get_reserved_regions(HiodVirtioViommu *self, guint domain, guint bus,
					guint devfn)
{
	HiodPciRid rid = {.domain = domain, .alias_bus = bus, .alias_devfn = devfn};
	HiodVirtioAlias *a;
	GPtrArray *out = NULL;
	g_return_val_if_fail(HIOD_IS_VIRTIO_VIOMMU(self), NULL);
	g_mutex_lock(&self->lock);
	a = g_hash_table_lookup(self->aliases, ALIAS_KEY(&rid));
	if (a != NULL)
		out = hiod_iova_ranges_copy(a->reserved);
	g_mutex_unlock(&self->lock);
	return out;
}

/**
 * hiod_virtio_viommu_get_n_devices:
 * @self: a #HiodVirtioViommu
 *
 * Gets how many host IOMMU devices the vIOMMU holds.
 *
 * Returns: how many host IOMMU devices the vIOMMU holds
 *
 * Since: 0.1
 */
guint
hiod_virtio_viommu_get_n_devices(HiodVirtioViommu *self)
{
	guint n;
	g_return_val_if_fail(HIOD_IS_VIRTIO_VIOMMU(self), 0);
	g_mutex_lock(&self->lock);
	n = g_hash_table_size(self->devices);
	g_mutex_unlock(&self->lock);
	return n;
}

static gint
hiod_range_cmp(gconstpointer a, gconstpointer b)
{
	const HiodIovaRange *ra = *(HiodIovaRange *const *)a;
	const HiodIovaRange *rb = *(HiodIovaRange *const *)b;
	return ra->start < rb->start ? -1 : ra->start > rb->start;
}

/**
 * hiod_iova_ranges_invert:
 * @usable: (element-type HiodIovaRange): usable ranges (any order, may overlap)
 *
 * The complement of @usable over the whole 64-bit space: what a vIOMMU
 * reports reserved when the host can map only @usable.
 *
 * Returns: (transfer full) (element-type HiodIovaRange): the reserved ranges, sorted
 *
 * Since: 0.1
 */
GPtrArray *
hiod_iova_ranges_invert(GPtrArray *usable)
{
	g_autoptr(GPtrArray) sorted = hiod_iova_ranges_copy(usable);
	GPtrArray *out = hiod_iova_ranges_new();
	guint64 next = 0; /* first address not yet covered */
	gboolean done = FALSE;

	g_ptr_array_sort(sorted, hiod_range_cmp);
	for (guint i = 0; i < sorted->len && !done; i++) {
		const HiodIovaRange *r = g_ptr_array_index(sorted, i);
		if (r->last < next)
			continue;
		if (r->start > next)
			g_ptr_array_add(out, hiod_iova_range_new(next, r->start - 1));
		if (r->last == G_MAXUINT64)
			done = TRUE;
		else
			next = MAX(next, r->last + 1);
	}
	if (!done)
		g_ptr_array_add(out, hiod_iova_range_new(next, G_MAXUINT64));
	return out;
}

/* every range of @inner lies inside one range of @outer */
static gboolean
hiod_ranges_within(GPtrArray *inner, GPtrArray *outer)
{
	for (guint i = 0; i < inner->len; i++) {
		const HiodIovaRange *r = g_ptr_array_index(inner, i);
		if (!hiod_iova_ranges_contain(outer, r->start, r->last - r->start + 1) &&
		    !(r->start == 0 && r->last == G_MAXUINT64))
			return FALSE;
	}
	return TRUE;
}

static HiodViommuVerdict *
hiod_virtio_viommu_check_locked(HiodVirtioViommu *self, const HiodPciRid *rid,
				GPtrArray *usable_ranges, guint64 host_mask, guint64 *new_mask,
				GPtrArray **reserved_out)
{
	g_autoptr(HiodViommuVerdict) v = hiod_viommu_verdict_new("virtio-iommu");
	g_autoptr(GPtrArray) reserved = NULL;
	HiodVirtioAlias *a = g_hash_table_lookup(self->aliases, ALIAS_KEY(rid));
	guint64 mask = self->page_size_mask;

	if (usable_ranges != NULL && usable_ranges->len > 0) {
		reserved = hiod_iova_ranges_invert(usable_ranges);
		if (a != NULL && !hiod_ranges_within(reserved, a->reserved)) {
			hiod_viommu_verdict_add_reason(
			    v, "Conflicting host reserved ranges: requester ID %04x:%02x:%02x.%x "
			       "already has host reserved regions that do not cover this device's",
			    rid->domain, rid->alias_bus, rid->alias_devfn >> 3, rid->alias_devfn & 7);
		}
	} else if (a != NULL) {
		reserved = hiod_iova_ranges_copy(a->reserved);
	}
	if (host_mask != 0) {
		if ((mask & host_mask) == 0) {
			hiod_viommu_verdict_add_reason(
			    v, "page size mask 0x%" G_GINT64_MODIFIER "x has no page size in common "
			       "with the host's 0x%" G_GINT64_MODIFIER "x",
			    mask, host_mask);
		} else if (self->granule_frozen) {
			guint64 granule = mask & -mask;
			if ((host_mask & granule) == 0)
				hiod_viommu_verdict_add_reason(
				    v, "the granule 0x%" G_GINT64_MODIFIER "x is frozen and the host "
				       "cannot map with it (host page size mask 0x%" G_GINT64_MODIFIER "x)",
				    granule, host_mask);
		} else {
			mask &= host_mask;
		}
	}
	hiod_viommu_verdict_set_page_size_mask(v, mask);
	hiod_viommu_verdict_set_reserved_regions(v, reserved);
	if (new_mask != NULL)
		*new_mask = mask;
	if (reserved_out != NULL)
		*reserved_out = g_steal_pointer(&reserved);
	return g_steal_pointer(&v);
}

/**
 * hiod_virtio_viommu_check_host:
 * @self: a #HiodVirtioViommu
 * @rid: where the device sits (reserved regions are keyed by its aliased ID)
 * @usable_ranges: (nullable) (element-type HiodIovaRange): the host's usable
 *   IOVA ranges (%NULL: unknown, an old kernel; accepted)
 * @page_size_mask: the host's page-size mask (0: unknown)
 *
 * The virtio-iommu policy as a pure function: the reserved regions the
 * device would get (the complement of @usable_ranges) must be covered by
 * what another device with the same requester ID already reserved; the
 * offered page-size mask must keep a page size in common with the host's,
 * and once the granule is frozen the host must support it.
 *
 * Returns: (transfer full): the verdict, with the reserved regions and the
 *   resulting page-size mask
 *
 * Since: 0.1
 */
HiodViommuVerdict *
hiod_virtio_viommu_check_host(HiodVirtioViommu *self, const HiodPciRid *rid,
			      GPtrArray *usable_ranges, guint64 page_size_mask)
{
	HiodViommuVerdict *v;
	g_return_val_if_fail(HIOD_IS_VIRTIO_VIOMMU(self), NULL);
	g_return_val_if_fail(rid != NULL, NULL);
	g_mutex_lock(&self->lock);
	v = hiod_virtio_viommu_check_locked(self, rid, usable_ranges, page_size_mask, NULL, NULL);
	g_mutex_unlock(&self->lock);
	return v;
}

/* HiodViommu --------------------------------------------------------------------- */

static void
hiod_virtio_viommu_host_facts(HiodHostIommuDevice *hiod, GPtrArray **ranges, guint64 *mask)
{
	*ranges = hiod_host_iommu_device_get_iova_ranges(hiod, NULL);
	if (!hiod_host_iommu_device_get_page_size_mask(hiod, mask, NULL))
		*mask = 0;
}

static HiodViommuVerdict *
hiod_virtio_viommu_check(HiodViommu *viommu, const HiodPciRid *rid, HiodHostIommuDevice *hiod)
{
	HiodVirtioViommu *self = HIOD_VIRTIO_VIOMMU(viommu);
	g_autoptr(GPtrArray) ranges = NULL;
	guint64 mask = 0;
	hiod_virtio_viommu_host_facts(hiod, &ranges, &mask);
	return hiod_virtio_viommu_check_host(self, rid, ranges, mask);
}

static gboolean
hiod_virtio_viommu_set_iommu_device(HiodViommu *viommu, const HiodPciRid *rid,
				    HiodHostIommuDevice *hiod, GError **error)
{
	HiodVirtioViommu *self = HIOD_VIRTIO_VIOMMU(viommu);
	g_autoptr(GPtrArray) ranges = NULL;
	g_autoptr(GPtrArray) reserved = NULL;
	g_autoptr(HiodViommuVerdict) v = NULL;
	HiodVirtioAlias *a;
	guint64 host_mask = 0, new_mask = 0;
	gboolean ok = FALSE;

	hiod_virtio_viommu_host_facts(hiod, &ranges, &host_mask);
	g_mutex_lock(&self->lock);
	if (g_hash_table_contains(self->devices, OWN_KEY(rid))) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE,
			    "virtio-iommu refuses the device: a host IOMMU device is already set "
			    "for %04x:%02x:%02x.%x",
			    rid->domain, rid->bus, rid->devfn >> 3, rid->devfn & 7);
		goto out;
	}
	v = hiod_virtio_viommu_check_locked(self, rid, ranges, host_mask, &new_mask, &reserved);
	if (!hiod_viommu_verdict_to_error(v, error))
		goto out;
	a = g_hash_table_lookup(self->aliases, ALIAS_KEY(rid));
	if (a == NULL) {
		a = g_new0(HiodVirtioAlias, 1);
		a->reserved = reserved != NULL ? g_steal_pointer(&reserved) : hiod_iova_ranges_new();
		g_hash_table_insert(self->aliases, ALIAS_KEY(rid), a);
	}
	a->users++;
	self->page_size_mask = new_mask;
	g_hash_table_insert(self->devices, OWN_KEY(rid), g_object_ref(hiod));
	g_hash_table_insert(self->owners, OWN_KEY(rid), ALIAS_KEY(rid));
	ok = TRUE;
out:
	g_mutex_unlock(&self->lock);
	if (ok)
		g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PAGE_SIZE_MASK]);
	return ok;
}

static void
hiod_virtio_viommu_unset_iommu_device(HiodViommu *viommu, const HiodPciRid *rid)
{
	HiodVirtioViommu *self = HIOD_VIRTIO_VIOMMU(viommu);
	gpointer alias_key;
	g_mutex_lock(&self->lock);
	if (g_hash_table_lookup_extended(self->owners, OWN_KEY(rid), NULL, &alias_key)) {
		HiodVirtioAlias *a = g_hash_table_lookup(self->aliases, alias_key);
		if (a != NULL && --a->users == 0)
			g_hash_table_remove(self->aliases, alias_key);
		g_hash_table_remove(self->owners, OWN_KEY(rid));
		g_hash_table_remove(self->devices, OWN_KEY(rid));
	}
	g_mutex_unlock(&self->lock);
}

static const gchar *
hiod_virtio_viommu_get_name(HiodViommu *viommu)
{
	return "virtio-iommu";
}

static void
hiod_virtio_viommu_iface_init(HiodViommuInterface *iface)
{
	/* no get_viommu_flags: virtio-iommu asks nothing of the page table */
	iface->check = hiod_virtio_viommu_check;
	iface->set_iommu_device = hiod_virtio_viommu_set_iommu_device;
	iface->unset_iommu_device = hiod_virtio_viommu_unset_iommu_device;
	iface->get_name = hiod_virtio_viommu_get_name;
}

/* GObject ------------------------------------------------------------------------ */

static void
hiod_virtio_viommu_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	HiodVirtioViommu *self = HIOD_VIRTIO_VIOMMU(object);
	switch (prop_id) {
	case PROP_PAGE_SIZE_MASK:
		g_value_set_uint64(value, hiod_virtio_viommu_get_page_size_mask(self));
		break;
	case PROP_GRANULE_FROZEN:
		g_value_set_boolean(value, self->granule_frozen);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_virtio_viommu_set_property(GObject *object, guint prop_id, const GValue *value,
				GParamSpec *pspec)
{
	HiodVirtioViommu *self = HIOD_VIRTIO_VIOMMU(object);
	switch (prop_id) {
	case PROP_PAGE_SIZE_MASK:
		g_mutex_lock(&self->lock);
		if (!self->granule_frozen && g_value_get_uint64(value) != 0)
			self->page_size_mask = g_value_get_uint64(value);
		g_mutex_unlock(&self->lock);
		break;
	case PROP_GRANULE_FROZEN:
		/* freezing is one way */
		self->granule_frozen = self->granule_frozen || g_value_get_boolean(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
hiod_virtio_viommu_init(HiodVirtioViommu *self)
{
	self->page_size_mask = HIOD_VIRTIO_DEFAULT_PAGE_SIZE_MASK;
	self->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_object_unref);
	self->owners = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->aliases = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					      (GDestroyNotify)hiod_virtio_alias_free);
	g_mutex_init(&self->lock);
}

static void
hiod_virtio_viommu_finalize(GObject *object)
{
	HiodVirtioViommu *self = HIOD_VIRTIO_VIOMMU(object);
	g_hash_table_unref(self->devices);
	g_hash_table_unref(self->owners);
	g_hash_table_unref(self->aliases);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(hiod_virtio_viommu_parent_class)->finalize(object);
}

static void
hiod_virtio_viommu_class_init(HiodVirtioViommuClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = hiod_virtio_viommu_get_property;
	object_class->set_property = hiod_virtio_viommu_set_property;
	object_class->finalize = hiod_virtio_viommu_finalize;

	/**
	 * HiodVirtioViommu:page-size-mask:
	 *
	 * The page sizes offered to the guest (default: 4 KiB and larger).
	 * Narrowed by each device set; no longer changes once the granule is
	 * frozen.
	 *
	 * Since: 0.1
	 */
	props[PROP_PAGE_SIZE_MASK] = g_param_spec_uint64(
	    "page-size-mask", NULL, NULL, 0, G_MAXUINT64, HIOD_VIRTIO_DEFAULT_PAGE_SIZE_MASK,
	    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	/**
	 * HiodVirtioViommu:granule-frozen:
	 *
	 * Whether the granule is frozen (set once; see
	 * hiod_virtio_viommu_freeze_granule()).
	 *
	 * Since: 0.1
	 */
	props[PROP_GRANULE_FROZEN] = g_param_spec_boolean("granule-frozen", NULL, NULL, FALSE,
							  G_PARAM_READWRITE |
							      G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

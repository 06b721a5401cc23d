/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The iommufd backend against a fake kernel that answers the iommufd and
 * VFIO cdev ioctls: attach, HWPT choice, map/unmap/copy, dirty tracking, hot
 * reset, hw_info and the VT-d decode; fault injection at each call in turn
 * proves that a failure leaves nothing behind. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hiod-test-common.h"
#include "hiod-uapi-private.h"
#include "hiod-vfio-device-private.h"

/* the fake kernel: the base kernel, with the iommufd objects and the cdevs'
 * bindings as its hooks --------------------------------------------------------- */

enum { OBJ_IOAS = 1, OBJ_HWPT, OBJ_DEVICE };

typedef struct {
	gint kind;
	guint32 ioas; /* HWPT: its IOAS */
	guint32 flags;
	gboolean dirty_on;
	gboolean autodomain; /* HWPT: made by attaching a device to the IOAS */
	gboolean no_huge_pages; /* IOAS: IOMMU_OPTION_HUGE_PAGES off */
} FakeObj;

typedef struct {
	guint32 ioas;
	guint64 start, last;
} FakeArea;

/* a cdev fd's state (its HiodTestFd's data) */
typedef struct {
	guint32 devid;
	guint32 hwpt;
} FakeDev;

typedef struct {
	HiodTestKernel *base;
	GHashTable *objs; /* id -> FakeObj */
	GHashTable *bound_paths;
	guint32 next_id;
	guint n_maps; /* live IOAS areas (all IOASes) */
	GArray *areas; /* FakeArea, the IOAS areas as the kernel keeps them */
	GString *log;  /* "map IOVA+LEN;" "unmap IOVA+LEN;" as asked */
	GHashTable *no_dirty_paths; /* cdev paths whose IOMMU cannot track dirty pages */
	void (*on_dirty_read)(gpointer data); /* called in IOMMU_HWPT_GET_DIRTY_BITMAP */
	gpointer on_dirty_read_data;
	guint destroys;
	guint64 hw_caps;
	guint64 cap, ecap;
	guint32 hw_type; /* IOMMU_HW_INFO_TYPE_*: VT-d (the default), AMD or ARM SMMUv3 */
	guint64 efr, efr2;
	struct hiod_iommu_hw_info_arm_smmuv3 smmu;
	guint8 max_pasid_log2;
	gboolean nest_ok;
	gboolean incompatible; /* every HWPT refuses a second device (EINVAL) */
	gboolean refuse_user_hwpt; /* devices take only autodomains */
	gboolean refuse_autodomain; /* ... nor those (6.12, first-stage-only VT-d) */
	guint32 busy_ioas; /* a device attached to it or to a HWPT on it: EADDRINUSE (a reserved
			    * region of the device clashes with a mapping the IOAS holds) */
	gboolean linux_6_6;	   /* HWPT_ALLOC takes no flags; no dirty-tracking ioctls */
	guint hwpt_allocs;
	gint passed_fd; /* an iommufd the test hands to the library */
	guint closes_of_passed_fd;
	guint32 hot_reset_flags;
	gboolean pasid_6_12; /* VFIO refuses any attach/detach flag (EINVAL), as before 6.15 */
	GHashTable *pasids;  /* PASID -> HWPT, of the one device that attaches PASIDs */
} Fake;

static int fake_open(gpointer data, const gchar *path, gint flags);
static void fake_close(gpointer data, HiodTestFd *fd);
static int fake_ioctl(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg);

static Fake *
fake_new(HiodContext *ctx)
{
	Fake *f = g_new0(Fake, 1);
	f->base = hiod_test_kernel_new(ctx);
	f->base->open_hook = fake_open;
	f->base->close_hook = fake_close;
	f->base->reply = fake_ioctl;
	f->base->reply_data = f;
	f->base->fd_data_free = g_free;
	f->base->no_reset = TRUE;
	f->passed_fd = -1;
	f->objs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	f->bound_paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	f->areas = g_array_new(FALSE, FALSE, sizeof(FakeArea));
	f->log = g_string_new(NULL);
	f->no_dirty_paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	f->next_id = 1;
	f->cap = G_GUINT64_CONSTANT(0x00d2008c22260286);
	f->ecap = 0xf00f4a;
	f->hot_reset_flags = HIOD_VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
	f->pasids = g_hash_table_new(NULL, NULL);
	return f;
}

static void
fake_free(Fake *f)
{
	hiod_test_kernel_free(f->base);
	g_hash_table_unref(f->objs);
	g_hash_table_unref(f->bound_paths);
	g_array_unref(f->areas);
	g_string_free(f->log, TRUE);
	g_hash_table_unref(f->no_dirty_paths);
	g_hash_table_unref(f->pasids);
	g_free(f);
}

static int fake_fail(int errnum);

static gint
fake_area_cmp(gconstpointer a, gconstpointer b)
{
	const FakeArea *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* IOAS_MAP/COPY at a fixed IOVA: a new area, EEXIST on overlap */
static int
fake_area_add(Fake *f, guint32 ioas, guint64 iova, guint64 len)
{
	FakeArea a = {.ioas = ioas, .start = iova, .last = iova + len - 1};
	if (len == 0)
		return fake_fail(EINVAL);
	for (guint i = 0; i < f->areas->len; i++) {
		FakeArea *o = &g_array_index(f->areas, FakeArea, i);
		if (o->ioas == ioas && o->start <= a.last && o->last >= a.start)
			return fake_fail(EEXIST);
	}
	g_array_append_val(f->areas, a);
	g_array_sort(f->areas, fake_area_cmp);
	f->n_maps = f->areas->len;
	g_string_append_printf(f->log, "map %" G_GINT64_MODIFIER "x+%" G_GINT64_MODIFIER "x;", iova, len);
	return 0;
}

/* IOAS_UNMAP as iopt_unmap_iova_range: the areas meeting the range in IOVA
 * order; a cut one stops it with ENOENT (those before are gone); none: ENOENT */
static int
fake_area_unmap(Fake *f, guint32 ioas, guint64 iova, guint64 len, guint64 *unmapped)
{
	guint64 last = iova + len - 1, done = 0;
	gboolean all = iova == 0 && len == G_MAXUINT64;
	g_string_append_printf(f->log, "unmap %" G_GINT64_MODIFIER "x+%" G_GINT64_MODIFIER "x;", iova, len);
	for (guint i = 0; i < f->areas->len;) {
		FakeArea *o = &g_array_index(f->areas, FakeArea, i);
		if (o->ioas != ioas || o->last < iova || o->start > last) {
			i++;
			continue;
		}
		if (o->start < iova || o->last > last) {
			f->n_maps = f->areas->len;
			return fake_fail(ENOENT);
		}
		done += o->last - o->start + 1;
		g_array_remove_index(f->areas, i);
	}
	f->n_maps = f->areas->len;
	*unmapped = done;
	return done > 0 || all ? 0 : fake_fail(ENOENT);
}

static HiodTestFd *
fake_fd_of_devid(Fake *f, guint32 devid)
{
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, f->base->fds);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		FakeDev *d = ((HiodTestFd *)v)->data;
		if (d != NULL && d->devid == devid)
			return v;
	}
	return NULL;
}

static guint64
fake_caps_of(Fake *f, guint32 devid)
{
	HiodTestFd *ffd = fake_fd_of_devid(f, devid);
	if (ffd != NULL && g_hash_table_contains(f->no_dirty_paths, ffd->path))
		return f->hw_caps & ~(guint64)HIOD_IOMMU_HW_CAP_DIRTY_TRACKING;
	return f->hw_caps;
}

static FakeObj *
fake_obj(Fake *f, guint32 id, gint kind)
{
	FakeObj *o = g_hash_table_lookup(f->objs, GUINT_TO_POINTER(id));
	return o != NULL && (kind == 0 || o->kind == kind) ? o : NULL;
}

static guint32
fake_add(Fake *f, gint kind)
{
	FakeObj *o = g_new0(FakeObj, 1);
	guint32 id = f->next_id++;
	o->kind = kind;
	g_hash_table_insert(f->objs, GUINT_TO_POINTER(id), o);
	return id;
}

static guint
fake_count(Fake *f, gint kind)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;
	g_hash_table_iter_init(&it, f->objs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((FakeObj *)v)->kind == kind;
	return n;
}

static guint
fake_devices_on(Fake *f, guint32 hwpt)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;
	g_hash_table_iter_init(&it, f->base->fds);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		FakeDev *d = ((HiodTestFd *)v)->data;
		n += d != NULL && d->hwpt == hwpt;
	}
	return n;
}

/* the HWPTs allocated on @ioas (its autodomains too) */
static guint
fake_hwpts_on(Fake *f, guint32 ioas)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;
	g_hash_table_iter_init(&it, f->objs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((FakeObj *)v)->kind == OBJ_HWPT && ((FakeObj *)v)->ioas == ioas;
	return n;
}

/* the kernel frees an autodomain with its last device */
static void
fake_gc_autodomains(Fake *f)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, f->objs);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (((FakeObj *)v)->autodomain && fake_devices_on(f, GPOINTER_TO_UINT(k)) == 0)
			g_hash_table_iter_remove(&it);
}

/* attaching to an IOAS: a compatible autodomain of it, or a new one */
static guint32
fake_autodomain(Fake *f, guint32 ioas)
{
	GHashTableIter it;
	gpointer k, v;
	guint32 id;
	g_hash_table_iter_init(&it, f->objs);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (((FakeObj *)v)->autodomain && ((FakeObj *)v)->ioas == ioas)
			return GPOINTER_TO_UINT(k);
	id = fake_add(f, OBJ_HWPT);
	fake_obj(f, id, OBJ_HWPT)->ioas = ioas;
	fake_obj(f, id, OBJ_HWPT)->autodomain = TRUE;
	return id;
}

/* /dev/iommu, or a cdev (any other node) */
static int
fake_open(gpointer data, const gchar *path, gint flags)
{
	return g_str_has_suffix(path, "/iommu") ? HIOD_TEST_FD_IOMMUFD : HIOD_TEST_FD_DEVICE;
}

static void
fake_close(gpointer data, HiodTestFd *fd)
{
	Fake *f = data;
	FakeDev *d = fd->data;
	if (fd->fd == f->passed_fd)
		f->closes_of_passed_fd++;
	if (d == NULL)
		return;
	if (d->devid != 0) {
		g_hash_table_remove(f->objs, GUINT_TO_POINTER(d->devid));
		g_hash_table_remove(f->bound_paths, fd->path);
	}
	d->hwpt = 0; /* the fd is still in the table */
	fake_gc_autodomains(f);
}

static int
fake_fail(int errnum)
{
	errno = errnum;
	return -1;
}

static int
fake_device_ioctl(Fake *f, HiodTestFd *fd, unsigned long request, void *arg)
{
	FakeDev *ffd;
	if (fd->data == NULL)
		fd->data = g_new0(FakeDev, 1);
	ffd = fd->data;
	if (request == HIOD_VFIO_DEVICE_BIND_IOMMUFD) {
		struct hiod_vfio_device_bind_iommufd *b = arg;
		if (ffd->devid != 0 || g_hash_table_contains(f->bound_paths, fd->path))
			return fake_fail(EINVAL);
		ffd->devid = fake_add(f, OBJ_DEVICE);
		g_hash_table_add(f->bound_paths, g_strdup(fd->path));
		b->out_devid = ffd->devid;
		return 0;
	}
	if (ffd->devid == 0)
		return fake_fail(EINVAL);
	if (request == HIOD_VFIO_DEVICE_ATTACH_IOMMUFD_PT &&
	    (((struct hiod_vfio_device_attach_iommufd_pt *)arg)->flags & HIOD_VFIO_DEVICE_ATTACH_PASID)) {
		struct hiod_vfio_device_attach_iommufd_pt_pasid *a = arg;
		if (f->pasid_6_12)
			return fake_fail(EINVAL);
		if (a->argsz < sizeof(*a))
			return fake_fail(EINVAL);
		if (fake_obj(f, a->pt_id, OBJ_HWPT) == NULL)
			return fake_fail(ENOENT);
		g_hash_table_insert(f->pasids, GUINT_TO_POINTER(a->pasid), GUINT_TO_POINTER(a->pt_id));
		return 0;
	}
	if (request == HIOD_VFIO_DEVICE_DETACH_IOMMUFD_PT &&
	    (((struct hiod_vfio_device_detach_iommufd_pt *)arg)->flags & HIOD_VFIO_DEVICE_DETACH_PASID)) {
		struct hiod_vfio_device_detach_iommufd_pt_pasid *d = arg;
		if (f->pasid_6_12 || d->argsz < sizeof(*d))
			return fake_fail(EINVAL);
		g_hash_table_remove(f->pasids, GUINT_TO_POINTER(d->pasid));
		return 0;
	}
	if (request == HIOD_VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
		struct hiod_vfio_device_attach_iommufd_pt *a = arg;
		FakeObj *o = fake_obj(f, a->pt_id, OBJ_HWPT);
		if (f->busy_ioas != 0 && (a->pt_id == f->busy_ioas || (o != NULL && o->ioas == f->busy_ioas)))
			return fake_fail(EADDRINUSE);
		if (fake_obj(f, a->pt_id, OBJ_IOAS) != NULL)
			a->pt_id = fake_autodomain(f, a->pt_id); /* the chosen HWPT is written back */
		o = fake_obj(f, a->pt_id, OBJ_HWPT);
		if (o == NULL)
			return fake_fail(EINVAL);
		if ((f->refuse_user_hwpt && !o->autodomain) || (f->refuse_autodomain && o->autodomain)) {
			fake_gc_autodomains(f);
			return fake_fail(EINVAL);
		}
		if (f->incompatible && fake_devices_on(f, a->pt_id) > 0) {
			fake_gc_autodomains(f);
			return fake_fail(EINVAL);
		}
		/* a device whose IOMMU cannot track does not join a tracking HWPT */
		if ((o->flags & HIOD_IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
		    !(fake_caps_of(f, ffd->devid) & HIOD_IOMMU_HW_CAP_DIRTY_TRACKING)) {
			fake_gc_autodomains(f);
			return fake_fail(EINVAL);
		}
		ffd->hwpt = a->pt_id;
		fake_gc_autodomains(f);
		return 0;
	}
	if (request == HIOD_VFIO_DEVICE_DETACH_IOMMUFD_PT) {
		ffd->hwpt = 0;
		fake_gc_autodomains(f);
		return 0;
	}
	/* the base's device, without reset */
	if (request == HIOD_VFIO_DEVICE_GET_INFO)
		return hiod_test_kernel_default_ioctl(f->base, HIOD_TEST_FD_DEVICE, request, arg);
	if (request == HIOD_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO) {
		struct hiod_vfio_pci_hot_reset_info *i = arg;
		if (i->count < 2) {
			i->count = 2;
			return fake_fail(ENOSPC);
		}
		i->flags = f->hot_reset_flags;
		i->count = 2;
		i->devices[0] = (struct hiod_vfio_pci_dependent_device){.devid = ffd->devid, .bus = 0, .devfn = 4 << 3};
		i->devices[1] = (struct hiod_vfio_pci_dependent_device){
		    .devid = (f->hot_reset_flags & HIOD_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED) ? 0 : (guint32)-1,
		    .bus = 0,
		    .devfn = 5 << 3};
		return 0;
	}
	if (request == HIOD_VFIO_DEVICE_PCI_HOT_RESET) {
		struct hiod_vfio_pci_hot_reset *r = arg;
		return r->count == 0 ? 0 : fake_fail(EINVAL);
	}
	return fake_fail(ENOTTY);
}

static int
fake_iommufd_ioctl(Fake *f, unsigned long request, void *arg)
{
	switch (request) {
	case HIOD_IOMMU_IOAS_ALLOC:
		((struct hiod_iommu_ioas_alloc *)arg)->out_ioas_id = fake_add(f, OBJ_IOAS);
		return 0;
	case HIOD_IOMMU_DESTROY: {
		struct hiod_iommu_destroy *d = arg;
		FakeObj *o = fake_obj(f, d->id, 0);
		if (o == NULL)
			return fake_fail(ENOENT);
		if (o->kind == OBJ_DEVICE)
			return fake_fail(EBUSY);
		if (o->kind == OBJ_HWPT && fake_devices_on(f, d->id) > 0)
			return fake_fail(EBUSY);
		if (o->kind == OBJ_IOAS && fake_hwpts_on(f, d->id) > 0)
			return fake_fail(EBUSY);
		g_hash_table_remove(f->objs, GUINT_TO_POINTER(d->id));
		f->destroys++;
		return 0;
	}
	case HIOD_IOMMU_IOAS_IOVA_RANGES: {
		struct hiod_iommu_ioas_iova_ranges *r = arg;
		struct hiod_iommu_iova_range *out = (gpointer)(guintptr)r->allowed_iovas;
		if (fake_obj(f, r->ioas_id, OBJ_IOAS) == NULL)
			return fake_fail(ENOENT);
		r->out_iova_alignment = 4096;
		if (r->num_iovas < 2) {
			r->num_iovas = 2;
			return fake_fail(EMSGSIZE);
		}
		r->num_iovas = 2;
		out[0] = (struct hiod_iommu_iova_range){0, 0xfedfffff};
		out[1] = (struct hiod_iommu_iova_range){0xfef00000, G_GUINT64_CONSTANT(0x7fffffffff)};
		return 0;
	}
	case HIOD_IOMMU_IOAS_MAP: {
		struct hiod_iommu_ioas_map *m = arg;
		return fake_area_add(f, m->ioas_id, m->iova, m->length);
	}
	case HIOD_IOMMU_IOAS_COPY: {
		struct hiod_iommu_ioas_copy *c = arg;
		return fake_area_add(f, c->dst_ioas_id, c->dst_iova, c->length);
	}
	case HIOD_IOMMU_IOAS_UNMAP: {
		struct hiod_iommu_ioas_unmap *u = arg;
		guint64 unmapped = 0;
		if (fake_area_unmap(f, u->ioas_id, u->iova, u->length, &unmapped) < 0)
			return -1; /* the kernel does not write length back on failure */
		u->length = unmapped;
		return 0;
	}
	case HIOD_IOMMU_OPTION: {
		/* HUGE_PAGES on an IOAS: off is refused once a device's domain holds mappings */
		struct hiod_iommu_option *o = arg;
		FakeObj *ioas = fake_obj(f, o->object_id, OBJ_IOAS);
		gboolean mapped = FALSE;
		if (o->option_id != HIOD_IOMMU_OPTION_HUGE_PAGES || o->size != sizeof(*o))
			return fake_fail(EOPNOTSUPP);
		if (ioas == NULL)
			return fake_fail(ENOENT);
		if (o->op == HIOD_IOMMU_OPTION_OP_GET) {
			o->val64 = !ioas->no_huge_pages;
			return 0;
		}
		if (o->op != HIOD_IOMMU_OPTION_OP_SET || o->val64 > 1)
			return fake_fail(EINVAL);
		for (guint i = 0; i < f->areas->len; i++)
			mapped |= g_array_index(f->areas, FakeArea, i).ioas == o->object_id;
		if (o->val64 == 0 && !ioas->no_huge_pages && mapped && fake_hwpts_on(f, o->object_id) > 0)
			return fake_fail(EINVAL);
		ioas->no_huge_pages = o->val64 == 0;
		return 0;
	}
	case HIOD_IOMMU_GET_HW_INFO: {
		struct hiod_iommu_hw_info *h = arg;
		struct hiod_iommu_hw_info_vtd vtd = {.flags = 1, .cap_reg = f->cap, .ecap_reg = f->ecap};
		struct hiod_iommu_hw_info_amd amd = {.efr = f->efr, .efr2 = f->efr2};
		if (fake_obj(f, h->dev_id, OBJ_DEVICE) == NULL)
			return fake_fail(ENOENT);
		if (h->flags != 0) /* 6.12: flags must be 0 */
			return fake_fail(EOPNOTSUPP);
		if (f->hw_type == HIOD_IOMMU_HW_INFO_TYPE_AMD) {
			memcpy((gpointer)(guintptr)h->data_uptr, &amd, MIN(h->data_len, sizeof(amd)));
			h->data_len = sizeof(amd);
			h->out_data_type = HIOD_IOMMU_HW_INFO_TYPE_AMD;
		} else if (f->hw_type == HIOD_IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
			memcpy((gpointer)(guintptr)h->data_uptr, &f->smmu, MIN(h->data_len, sizeof(f->smmu)));
			h->data_len = sizeof(f->smmu);
			h->out_data_type = HIOD_IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
		} else {
			memcpy((gpointer)(guintptr)h->data_uptr, &vtd, MIN(h->data_len, sizeof(vtd)));
			h->data_len = sizeof(vtd);
			h->out_data_type = HIOD_IOMMU_HW_INFO_TYPE_INTEL_VTD;
		}
		h->out_max_pasid_log2 = f->max_pasid_log2;
		h->out_capabilities = fake_caps_of(f, h->dev_id);
		return 0;
	}
	case HIOD_IOMMU_HWPT_ALLOC: {
		struct hiod_iommu_hwpt_alloc *a = arg;
		FakeObj *o;
		if (fake_obj(f, a->dev_id, OBJ_DEVICE) == NULL)
			return fake_fail(ENOENT);
		if (fake_obj(f, a->pt_id, OBJ_IOAS) == NULL)
			return fake_fail(EINVAL);
		if (a->pt_id == f->busy_ioas)
			return fake_fail(EADDRINUSE);
		if (f->linux_6_6 && a->flags != 0)
			return fake_fail(EOPNOTSUPP);
		if ((a->flags & HIOD_IOMMU_HWPT_ALLOC_NEST_PARENT) && !f->nest_ok)
			return fake_fail(EOPNOTSUPP);
		if ((a->flags & HIOD_IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
		    !(fake_caps_of(f, a->dev_id) & HIOD_IOMMU_HW_CAP_DIRTY_TRACKING))
			return fake_fail(EOPNOTSUPP);
		a->out_hwpt_id = fake_add(f, OBJ_HWPT);
		f->hwpt_allocs++;
		o = fake_obj(f, a->out_hwpt_id, OBJ_HWPT);
		o->ioas = a->pt_id;
		o->flags = a->flags;
		return 0;
	}
	case HIOD_IOMMU_HWPT_SET_DIRTY_TRACKING: {
		struct hiod_iommu_hwpt_set_dirty_tracking *d = arg;
		FakeObj *o = fake_obj(f, d->hwpt_id, OBJ_HWPT);
		if (f->linux_6_6)
			return fake_fail(ENOTTY);
		if (o == NULL)
			return fake_fail(ENOENT);
		if (!(o->flags & HIOD_IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
			return fake_fail(EOPNOTSUPP);
		o->dirty_on = d->flags & HIOD_IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
		return 0;
	}
	case HIOD_IOMMU_HWPT_GET_DIRTY_BITMAP: {
		struct hiod_iommu_hwpt_get_dirty_bitmap *g = arg;
		FakeObj *o = fake_obj(f, g->hwpt_id, OBJ_HWPT);
		if (f->linux_6_6)
			return fake_fail(ENOTTY);
		if (o == NULL)
			return fake_fail(ENOENT);
		if (f->on_dirty_read != NULL)
			f->on_dirty_read(f->on_dirty_read_data);
		/* each HWPT with tracking on marks one page: bit (hwpt id); off, 6.12
		 * reports a clean bitmap (the driver's EINVAL is dropped) */
		if (o->dirty_on)
			((guint64 *)(guintptr)g->data)[0] |= G_GUINT64_CONSTANT(1) << (g->hwpt_id % 64);
		return 0;
	}
	default:
		return fake_fail(ENOTTY);
	}
}

static int
fake_ioctl(gpointer data, HiodTestFdKind kind, gulong request, gpointer arg)
{
	Fake *f = data;
	if (kind == HIOD_TEST_FD_IOMMUFD)
		return fake_iommufd_ioctl(f, request, arg);
	return fake_device_ioctl(f, hiod_test_kernel_current_fd(f->base), request, arg);
}

/* fixture -------------------------------------------------------------------- */

typedef struct {
	HiodTestTree *tree;
	HiodContext *ctx;
	Fake *fake;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	fx->tree = hiod_test_tree_new();
	hiod_test_tree_add_pci(fx->tree, "0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 3, "vfio0");
	hiod_test_tree_add_pci(fx->tree, "0000:00:05.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 4, "vfio1");
	hiod_test_tree_add_pci(fx->tree, "0000:00:06.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", 5, NULL);
	if (data == NULL)
		hiod_test_tree_touch_dev(fx->tree, "iommu");
	fx->ctx = hiod_test_tree_context(fx->tree);
	fx->fake = fake_new(fx->ctx);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
	g_assert_cmpuint(fx->fake->base->open_fds, ==, 0);
	g_clear_object(&fx->ctx);
	fake_free(fx->fake);
	hiod_test_tree_free(fx->tree);
}

static HiodVfioDevice *
device_new(Fixture *fx, const gchar *bdf)
{
	g_autoptr(GError) error = NULL;
	HiodVfioDevice *d = hiod_vfio_device_new(fx->ctx, bdf, &error);
	g_assert_no_error(error);
	return d;
}

static HiodContainer *
container_new(Fixture *fx, HiodIommufdBackend *backend)
{
	g_autoptr(GError) error = NULL;
	HiodContainer *c = hiod_iommufd_container_new(fx->ctx, backend, &error);
	g_assert_no_error(error);
	return c;
}

/* what must be as before after a failure */
typedef struct {
	guint fds, objs, ioas, hwpts, maps, n_mappings;
	gboolean dirty[2];
} Snapshot;

static Snapshot
snapshot(Fixture *fx, HiodContainer *c)
{
	Snapshot s = {
	    .fds = hiod_context_get_open_fd_count(fx->ctx),
	    .objs = g_hash_table_size(fx->fake->objs),
	    .ioas = fake_count(fx->fake, OBJ_IOAS),
	    .hwpts = fake_count(fx->fake, OBJ_HWPT),
	    .maps = fx->fake->n_maps,
	    .n_mappings = c != NULL ? hiod_container_get_n_mappings(c) : 0,
	};
	GHashTableIter it;
	gpointer v;
	guint i = 0;
	g_hash_table_iter_init(&it, fx->fake->objs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (((FakeObj *)v)->kind == OBJ_HWPT && i < 2)
			s.dirty[i++] = ((FakeObj *)v)->dirty_on;
	return s;
}

static void
assert_same(Snapshot *a, Snapshot *b)
{
	g_assert_cmpuint(a->fds, ==, b->fds);
	g_assert_cmpuint(a->objs, ==, b->objs);
	g_assert_cmpuint(a->ioas, ==, b->ioas);
	g_assert_cmpuint(a->hwpts, ==, b->hwpts);
	g_assert_cmpuint(a->maps, ==, b->maps);
	g_assert_cmpuint(a->n_mappings, ==, b->n_mappings);
	g_assert_cmpint(a->dirty[0], ==, b->dirty[0]);
	g_assert_cmpint(a->dirty[1], ==, b->dirty[1]);
}

/* tests ---------------------------------------------------------------------- */

static void
test_attach_detach(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	HiodIommufdContainer *ic = HIOD_IOMMUFD_CONTAINER(c);
	HiodIommufdBackend *be = hiod_iommufd_container_get_backend(ic);
	g_autoptr(GPtrArray) ranges = NULL;
	g_autoptr(GArray) hwpts = NULL;

	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_iommufd_backend_get_users(be), ==, 1);
	g_assert_cmpuint(hiod_iommufd_container_get_ioas_id(ic), !=, 0);
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 2); /* iommufd + cdev */
	ranges = hiod_container_get_iova_ranges(c);
	g_assert_cmpuint(ranges->len, ==, 2);
	g_assert_cmphex(hiod_container_get_page_size_mask(c), ==, 4096);
	g_assert_true(hiod_container_get_backend_kind(c) == HIOD_BACKEND_KIND_IOMMUFD);

	/* a second device shares the HWPT */
	g_assert_true(hiod_vfio_device_attach(d1, c, 0, &error));
	g_assert_no_error(error);
	hwpts = hiod_iommufd_container_get_hwpt_ids(ic);
	g_assert_cmpuint(hwpts->len, ==, 1);
	g_assert_cmpuint(hiod_vfio_device_get_hwpt_id(d0), ==, hiod_vfio_device_get_hwpt_id(d1));
	g_assert_cmpuint(fake_count(fx->fake, OBJ_HWPT), ==, 1);

	/* the HWPT goes with its last device, the IOAS and the fd with the container's last device */
	hiod_vfio_device_detach(d0);
	g_assert_cmpuint(fake_count(fx->fake, OBJ_HWPT), ==, 1);
	hiod_vfio_device_detach(d1);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
	g_assert_cmpuint(hiod_iommufd_backend_get_users(be), ==, 0);
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
	g_assert_cmpuint(fx->fake->destroys, ==, 2); /* the HWPT and the IOAS */
}

static void
test_attach_faults(Fixture *fx, gconstpointer data)
{
	HiodTestFaultWalk w;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	HiodVfioDevice *devs[] = {d0, d1};
	guint rounds = 0;

	/* first device (IOAS, HWPT alloc path), then a second one (HWPT reuse;
	 * incompatible: a second HWPT) with the first attached */
	for (guint k = 0; k < 3; k++) {
		HiodVfioDevice *d = devs[k == 0 ? 0 : 1];
		fx->fake->incompatible = k == 2;
		for (hiod_test_fault_walk_init(&w, fx->ctx, EIO); hiod_test_fault_walk_next(&w);) {
			g_autoptr(GError) error = NULL;
			Snapshot before = snapshot(fx, c), after;
			gboolean ok;
			ok = hiod_vfio_device_attach(d, c, 0, &error);
			if (hiod_test_fault_walk_done(&w, ok))
				break;
			rounds++;
			if (ok) { /* the fault hit a call whose failure is tolerated */
				hiod_vfio_device_detach(d);
			} else {
				g_assert_nonnull(error);
				g_assert_null(hiod_vfio_device_get_container(d));
				g_assert_cmpint(hiod_vfio_device_get_fd(d), ==, -1);
			}
			after = snapshot(fx, c);
			assert_same(&before, &after);
			g_assert_cmpuint(w.n, <, 40);
		}
		if (k == 1)
			hiod_vfio_device_detach(d1);
	}
	g_assert_cmpuint(rounds, >=, 8);
	g_assert_cmpuint(fake_count(fx->fake, OBJ_HWPT), ==, 2);
	hiod_vfio_device_detach(d1);
	hiod_vfio_device_detach(d0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
}

static void
test_map_unmap_faults(Fixture *fx, gconstpointer data)
{
	HiodTestFaultWalk w;
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	gpointer buf = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	for (hiod_test_fault_walk_init(&w, fx->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		Snapshot before = snapshot(fx, c), after;
		gboolean ok;
		g_clear_error(&error);
		ok = hiod_container_dma_map(c, 0x100000, 0x10000, buf, 0, &error);
		if (hiod_test_fault_walk_done(&w, ok))
			break;
		g_assert_false(ok); /* each call's failure fails it */
		after = snapshot(fx, c);
		assert_same(&before, &after);
	}
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	/* a partial unmap splits: unmap, map left, map right; each may fail */
	for (hiod_test_fault_walk_init(&w, fx->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		Snapshot before = snapshot(fx, c), after;
		gboolean ok;
		g_clear_error(&error);
		ok = hiod_container_dma_unmap(c, 0x104000, 0x4000, &error);
		if (hiod_test_fault_walk_done(&w, ok))
			break;
		g_assert_false(ok); /* each call's failure fails it */
		after = snapshot(fx, c);
		assert_same(&before, &after);
		g_assert_cmpuint(w.n, <, 5);
	}
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 2);
	g_assert_cmpuint(fx->fake->n_maps, ==, 2);

	/* outside the IOAS ranges: refused before the kernel is asked */
	g_clear_error(&error);
	g_assert_false(hiod_container_dma_map(c, 0xfee00000, 0x1000, buf, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_OUT_OF_RANGE);
	g_assert_nonnull(strstr(error->message, "outside the host's usable IOVA ranges"));
	/* unmapping where nothing is mapped succeeds */
	g_clear_error(&error);
	g_assert_true(hiod_container_dma_unmap(c, 0x40000000, 0x1000, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_iommufd_backend_unmap(hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c)),
						 hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)),
						 0x40000000, 0x1000, &error));
	hiod_vfio_device_detach(d0);
	g_assert_cmpuint(fx->fake->n_maps, ==, 0);
	munmap(buf, 0x10000);
}

static void
test_copy_faults(Fixture *fx, gconstpointer data)
{
	HiodTestFaultWalk w;
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodIommufdBackend) be = hiod_iommufd_backend_get_default(fx->ctx, &error);
	g_autoptr(HiodContainer) a = container_new(fx, be);
	g_autoptr(HiodContainer) b = container_new(fx, be);
	gpointer buf = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	g_assert_no_error(error);
	g_assert_true(hiod_vfio_device_attach(d0, a, 0, &error));
	g_assert_true(hiod_vfio_device_attach(d1, b, 0, &error));
	g_assert_no_error(error);
	/* one iommufd for both containers */
	g_assert_cmpuint(hiod_iommufd_backend_get_users(be), ==, 2);
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 3);
	g_assert_true(hiod_container_dma_map(a, 0x200000, 0x4000, buf, 0, &error));
	for (hiod_test_fault_walk_init(&w, fx->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		Snapshot before = snapshot(fx, b), after;
		gboolean ok;
		g_clear_error(&error);
		ok = hiod_container_dma_copy(b, a, 0x200000, 0x300000, 0x4000, 0, &error);
		if (hiod_test_fault_walk_done(&w, ok))
			break;
		g_assert_false(ok); /* each call's failure fails it */
		after = snapshot(fx, b);
		assert_same(&before, &after);
	}
	g_assert_cmpuint(hiod_container_get_n_mappings(b), ==, 1);
	g_assert_cmpuint(fx->fake->n_maps, ==, 2);
	hiod_vfio_device_detach(d1);
	hiod_vfio_device_detach(d0);
	munmap(buf, 0x4000);
}

static void
test_dirty_faults(Fixture *fx, gconstpointer data)
{
	HiodTestFaultWalk w;
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	g_autoptr(GArray) ids = NULL;
	guint64 bitmap[1] = {0};
	guint rounds = 0;

	fx->fake->hw_caps = HIOD_IOMMU_HW_CAP_DIRTY_TRACKING;
	fx->fake->incompatible = TRUE; /* two HWPTs, both dirty-tracking */
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_true(hiod_vfio_device_attach(d1, c, 0, &error));
	g_assert_no_error(error);
	ids = hiod_iommufd_container_get_hwpt_ids(HIOD_IOMMUFD_CONTAINER(c));
	g_assert_cmpuint(ids->len, ==, 2);
	g_assert_true(hiod_container_get_dirty_tracking_supported(c));
	g_assert_true(hiod_iommufd_container_get_hwpt_flags(HIOD_IOMMUFD_CONTAINER(c),
							    g_array_index(ids, guint32, 0)) &
		      HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING);

	for (gint start = 1; start >= 0; start--) {
		for (hiod_test_fault_walk_init(&w, fx->ctx, EIO); hiod_test_fault_walk_next(&w);) {
			Snapshot before = snapshot(fx, c), after;
			gboolean ok;
			g_clear_error(&error);
			ok = hiod_container_set_dirty_tracking(c, start, &error);
			if (hiod_test_fault_walk_done(&w, ok))
				break;
			g_assert_false(ok); /* each call's failure fails it */
			rounds++;
			g_assert_cmpint(hiod_container_get_dirty_tracking_started(c), ==, !start);
			after = snapshot(fx, c);
			assert_same(&before, &after); /* rolled back on every HWPT */
		}
		g_assert_cmpint(hiod_container_get_dirty_tracking_started(c), ==, start);
		if (start) {
			/* the bitmap of every HWPT, with and without clearing */
			g_assert_true(hiod_container_query_dirty_bitmap(c, 0, 0x40000, 4096, bitmap,
									HIOD_DIRTY_FLAGS_NO_CLEAR, &error));
			g_assert_no_error(error);
			g_assert_cmphex(bitmap[0], ==,
					(G_GUINT64_CONSTANT(1) << g_array_index(ids, guint32, 0)) |
					    (G_GUINT64_CONSTANT(1) << g_array_index(ids, guint32, 1)));
		}
	}
	g_assert_cmpuint(rounds, ==, 4);
	hiod_vfio_device_detach(d0);
	hiod_vfio_device_detach(d1);
}

static void
test_nest_parent_refused(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	Snapshot before = snapshot(fx, c), after;
	HiodIommufdBackend *be = hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c));
	guint32 id = 0;

	g_assert_false(hiod_vfio_device_attach(d0, c, HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "not supported by the host IOMMU"));
	g_assert_nonnull(strstr(error->message, "nesting-parent"));
	after = snapshot(fx, c);
	assert_same(&before, &after);

	/* dirty tracking the host does not offer, asked for directly */
	g_clear_error(&error);
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	before = snapshot(fx, c);
	g_assert_false(hiod_iommufd_backend_alloc_hwpt(be, hiod_vfio_device_get_devid(d0),
						       hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)),
						       HIOD_HWPT_ALLOC_FLAGS_DIRTY_TRACKING, 0, NULL, 0, &id,
						       &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "dirty-tracking HWPT"));
	g_assert_nonnull(strstr(error->message, "not supported by the host IOMMU"));
	after = snapshot(fx, c);
	assert_same(&before, &after);
	g_assert_false(hiod_container_get_dirty_tracking_supported(c));

	/* the host that can: a nesting parent */
	hiod_vfio_device_detach(d0);
	fx->fake->nest_ok = TRUE;
	g_clear_error(&error);
	g_assert_true(hiod_vfio_device_attach(d0, c, HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT, &error));
	g_assert_true(hiod_iommufd_container_get_hwpt_flags(HIOD_IOMMUFD_CONTAINER(c),
							    hiod_vfio_device_get_hwpt_id(d0)) &
		      HIOD_HWPT_ALLOC_FLAGS_NEST_PARENT);
	hiod_vfio_device_detach(d0);
}

static void
test_bad_input(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d0b = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) nocdev = device_new(fx, "0000:00:06.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	g_autoptr(HiodContainer) c2 = container_new(fx, NULL);
	Snapshot before, after;

	/* no cdev */
	before = snapshot(fx, c);
	g_assert_false(hiod_vfio_device_attach(nocdev, c, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "cdev"));
	after = snapshot(fx, c);
	assert_same(&before, &after);

	/* /dev/iommu not permitted */
	g_clear_error(&error);
	hiod_context_inject_fault_match(fx->ctx, "open:*iommu", EACCES, 1);
	g_assert_false(hiod_vfio_device_attach(d0, c, 0, &error));
	hiod_context_clear_faults(fx->ctx);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(error->message, "iommufd"));
	after = snapshot(fx, c);
	assert_same(&before, &after);

	/* the same device bound twice */
	g_clear_error(&error);
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	before = snapshot(fx, c2);
	g_assert_false(hiod_vfio_device_attach(d0b, c2, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "already bound"));
	after = snapshot(fx, c2);
	assert_same(&before, &after);
	hiod_vfio_device_detach(d0);
}

static void
test_no_dev_iommu(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContainer) c = hiod_iommufd_container_new(fx->ctx, NULL, &error);
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_assert_null(c);
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "iommu does not exist"));
	/* AUTO falls back to legacy; forcing iommufd gives the same clear error */
	g_assert_true(hiod_backend_kind_resolve(fx->ctx, HIOD_BACKEND_KIND_AUTO, d0) ==
		      HIOD_BACKEND_KIND_LEGACY);
	g_clear_error(&error);
	g_assert_null(hiod_container_new(fx->ctx, HIOD_BACKEND_KIND_IOMMUFD, d0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
}

static void
test_fd_passing(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodIommufdBackend) be = NULL;
	g_autoptr(HiodContainer) c = NULL;

	/* an iommufd the caller opened: the library must not close it */
	fx->fake->passed_fd = hiod_test_kernel_add_fd(fx->fake->base, HIOD_TEST_FD_IOMMUFD)->fd;
	be = hiod_iommufd_backend_new_from_fd(fx->ctx, fx->fake->passed_fd, &error);
	g_assert_no_error(error);
	g_assert_false(hiod_iommufd_backend_is_owned(be));
	c = container_new(fx, be);
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpint(hiod_iommufd_backend_get_fd(be), ==, fx->fake->passed_fd);
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 1); /* the cdev only */
	hiod_vfio_device_detach(d0);
	g_clear_object(&c);
	g_clear_object(&be);
	g_assert_cmpuint(fx->fake->closes_of_passed_fd, ==, 0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
	hiod_test_kernel_forget_fd(fx->fake->base, fx->fake->passed_fd);
}

static void
test_hiod_realize(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	HiodHostIommuDevice *hiod;
	HiodHostIommuCaps *caps;
	HiodVtdCaps *vtd;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;

	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	hiod = hiod_vfio_device_get_host_iommu_device(d0);
	g_assert_true(HIOD_IS_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod));
	caps = hiod_host_iommu_device_get_caps(hiod);
	g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_INTEL_VTD);
	g_assert_cmpuint(hiod_host_iommu_caps_get_aw_bits(caps), ==, 39);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_devid(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod)), ==,
			 hiod_vfio_device_get_devid(d0));
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod)), ==,
			 hiod_vfio_device_get_hwpt_id(d0));
	vtd = hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod));
	g_assert_nonnull(vtd);
	g_assert_cmpuint(hiod_vtd_caps_get_address_width(vtd), ==, 39);
	g_assert_true(hiod_vtd_caps_get_caching_mode(vtd));
	hiod_vfio_device_to_json(d0, b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	g_assert_nonnull(strstr(json, "\"vtd\":{\"cap\":\"0xd2008c22260286\""));
	g_assert_nonnull(strstr(json, "\"address_width\":39"));
	g_assert_nonnull(strstr(json, "\"ioas_id\""));

	/* attach_hwpt / detach_hwpt through the class methods */
	g_assert_true(hiod_host_iommu_device_iommufd_detach_hwpt(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod), &error));
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod)), ==, 0);
	g_assert_true(hiod_host_iommu_device_iommufd_attach_hwpt(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod),
								 hiod_vfio_device_get_hwpt_id(d0), &error));
	g_assert_no_error(error);
	g_assert_false(hiod_host_iommu_device_iommufd_attach_hwpt(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod), 999,
								  &error));
	g_assert_nonnull(error);
	hiod_vfio_device_detach(d0);
}


static gboolean
hwpt_is_autodomain(Fake *f, guint32 id)
{
	FakeObj *o = fake_obj(f, id, OBJ_HWPT);
	return o != NULL && o->autodomain;
}

/* Linux 6.12 on a first-stage-only VT-d (QEMU 11 scalable-mode=on,fsts=on):
 * the device refuses a HWPT hiod allocates (EINVAL); hiod destroys it and
 * attaches the device to the IOAS, whose automatic domain works. */
static void
test_hwpt_refused_falls_back(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	HiodIommufdContainer *ic = HIOD_IOMMUFD_CONTAINER(c);
	g_autoptr(GArray) hwpts = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;
	guint32 auto_id;

	fx->fake->refuse_user_hwpt = TRUE;
	fx->fake->hw_caps = HIOD_IOMMU_HW_CAP_DIRTY_TRACKING;
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	auto_id = hiod_vfio_device_get_hwpt_id(d0);
	g_assert_true(hwpt_is_autodomain(fx->fake, auto_id));
	g_assert_cmpuint(fx->fake->hwpt_allocs, ==, 1); /* tried once, */
	g_assert_cmpuint(fx->fake->destroys, ==, 1);	/* refused, destroyed */
	g_assert_cmpuint(fake_count(fx->fake, OBJ_HWPT), ==, 1);
	g_assert_true(hiod_iommufd_container_get_hwpt_autodomain(ic, auto_id));
	g_assert_cmpuint(hiod_iommufd_container_get_hwpt_flags(ic, auto_id), ==, 0);
	g_assert_false(hiod_container_get_dirty_tracking_supported(c));
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_hwpt_id(HIOD_HOST_IOMMU_DEVICE_IOMMUFD(
			     hiod_vfio_device_get_host_iommu_device(d0))),
			 ==, auto_id);

	/* the second device goes to the IOAS straight away and shares the autodomain */
	g_assert_true(hiod_vfio_device_attach(d1, c, 0, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hiod_vfio_device_get_hwpt_id(d1), ==, auto_id);
	g_assert_cmpuint(fx->fake->hwpt_allocs, ==, 1);
	hwpts = hiod_iommufd_container_get_hwpt_ids(ic);
	g_assert_cmpuint(hwpts->len, ==, 1);

	hiod_vfio_device_to_json(d0, b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	g_assert_nonnull(strstr(json, "\"attached_to\":\"ioas\""));
	g_assert_nonnull(strstr(json, "\"autodomain\":true"));
	g_assert_null(strstr(json, "\"autodomain\":false"));

	/* the kernel frees the autodomain with its last device: hiod destroys nothing */
	hiod_vfio_device_detach(d0);
	g_assert_true(hwpt_is_autodomain(fx->fake, auto_id));
	hiod_vfio_device_detach(d1);
	g_assert_cmpuint(fx->fake->destroys, ==, 2); /* the refused HWPT and the IOAS */
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
}

/* Defect 10: the address space's attach flow tries a new container when a
 * member's IOAS refuses the device for any reason, here EADDRINUSE (a
 * reserved region of the device clashes with a mapping that IOAS holds, one
 * made on the member directly, not a section); the new IOAS takes it and
 * gets the space's section replayed. */
static void
test_space_falls_back_to_new_ioas(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodAddressSpace) as = hiod_address_space_new(fx->ctx);
	guint8 *buf = g_aligned_alloc0(2, 4096, 4096);
	HiodContainer *c0, *c1;
	guint32 ioas0;

	c0 = hiod_address_space_attach_device(as, d0, HIOD_BACKEND_KIND_IOMMUFD, 0, &error);
	g_assert_no_error(error);
	g_assert_true(hiod_address_space_add_section(as, 0x100000, 4096, buf, 0, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_container_dma_map(c0, 0xfee00000 - 0x1000, 4096, buf + 4096, 0, &error));
	g_assert_no_error(error);
	ioas0 = hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c0));
	fx->fake->busy_ioas = ioas0;

	c1 = hiod_address_space_attach_device(as, d1, HIOD_BACKEND_KIND_IOMMUFD, 0, &error);
	g_assert_no_error(error);
	g_assert_nonnull(c1);
	g_assert_true(c1 != c0);
	g_assert_true(hiod_vfio_device_get_container(d1) == c1);
	g_assert_cmpuint(hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c1)), !=, ioas0);
	g_assert_cmpuint(hiod_container_get_n_mappings(c1), ==, 1); /* the section, replayed */
	{
		g_autoptr(GPtrArray) members = hiod_address_space_get_containers(as);
		g_assert_cmpuint(members->len, ==, 2);
	}
	g_assert_nonnull(hiod_vfio_device_get_host_iommu_device(d1));

	hiod_address_space_detach_device(as, d1);
	g_assert_cmpuint(hiod_address_space_get_n_sections(as), ==, 1);
	hiod_address_space_detach_device(as, d0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
	g_aligned_free(buf);
}

/* The fallback under fault injection: each call failing in turn leaves
 * nothing behind; a kernel without IOMMU_HWPT_ALLOC (ENOTTY) also ends on
 * the IOAS; a nesting parent (which an autodomain cannot be) is refused. */
static void
test_hwpt_refused_faults(Fixture *fx, gconstpointer data)
{
	HiodTestFaultWalk w;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	g_autoptr(GError) error = NULL;
	Snapshot before, after;
	guint rounds = 0;

	fx->fake->refuse_user_hwpt = TRUE;
	for (hiod_test_fault_walk_init(&w, fx->ctx, EIO); hiod_test_fault_walk_next(&w);) {
		g_autoptr(GError) error_n = NULL;
		gboolean ok;
		before = snapshot(fx, c);
		ok = hiod_vfio_device_attach(d0, c, 0, &error_n);
		if (hiod_test_fault_walk_done(&w, ok))
			break;
		rounds++;
		if (ok)
			hiod_vfio_device_detach(d0);
		else
			g_assert_cmpint(hiod_vfio_device_get_fd(d0), ==, -1);
		after = snapshot(fx, c);
		assert_same(&before, &after);
		g_assert_cmpuint(w.n, <, 40);
	}
	g_assert_cmpuint(rounds, >=, 6);
	g_assert_true(hiod_iommufd_container_get_hwpt_autodomain(HIOD_IOMMUFD_CONTAINER(c),
								 hiod_vfio_device_get_hwpt_id(d0)));
	hiod_vfio_device_detach(d0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);

	/* no IOMMU_HWPT_ALLOC in this kernel (6.2-6.5): straight to the IOAS */
	fx->fake->refuse_user_hwpt = FALSE;
	hiod_context_inject_fault_match(fx->ctx, "IOMMU_HWPT_ALLOC", ENOTTY, 0);
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	g_assert_true(hwpt_is_autodomain(fx->fake, hiod_vfio_device_get_hwpt_id(d0)));
	hiod_context_clear_faults(fx->ctx);
	hiod_vfio_device_detach(d0);

	/* Linux 6.12 on a first-stage-only VT-d refuses the autodomain too: a
	 * clear error, nothing left (measured in the VM, topology vtd-fsts) */
	fx->fake->refuse_user_hwpt = TRUE;
	fx->fake->refuse_autodomain = TRUE;
	before = snapshot(fx, c);
	g_assert_false(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "neither a new HWPT nor the kernel's automatic domain"));
	g_assert_nonnull(strstr(error->message, "legacy backend"));
	g_clear_error(&error);
	after = snapshot(fx, c);
	assert_same(&before, &after);
	fx->fake->refuse_autodomain = FALSE;

	/* a nesting parent cannot be the kernel's domain: refused, nothing left */
	fx->fake->refuse_user_hwpt = TRUE;
	fx->fake->nest_ok = TRUE;
	before = snapshot(fx, c);
	g_assert_false(hiod_vfio_device_attach(d1, c, HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "attaching to the new HWPT"));
	after = snapshot(fx, c);
	assert_same(&before, &after);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
}

/* A Linux 6.6 kernel: it answers ENOTTY to the requests 6.7 and 6.8 added
 * and EOPNOTSUPP to any HWPT flag; each error names the kernel that added
 * the request (hiod probes by asking, never by the version string). */
static void
test_old_kernel_errors(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	HiodIommufdBackend *be = hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c));
	guint64 bitmap[1] = {0};
	guint32 entries = 1;
	guint32 hwpt;

	fx->fake->linux_6_6 = TRUE;
	fx->fake->nest_ok = TRUE;
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	hwpt = hiod_vfio_device_get_hwpt_id(d0);

	g_assert_false(hiod_iommufd_backend_get_dirty_bitmap(be, hwpt, 0, 0x10000, 4096, bitmap, FALSE,
							     &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "IOMMU_HWPT_GET_DIRTY_BITMAP: not supported by this "
						"kernel (Linux 6.7 added it)"));
	g_assert_nonnull(strstr(error->message, "ENOTTY"));
	g_clear_error(&error);
	g_assert_false(hiod_iommufd_backend_set_dirty_tracking(be, hwpt, TRUE, &error));
	g_assert_nonnull(strstr(error->message, "IOMMU_HWPT_SET_DIRTY_TRACKING: not supported by this "
						"kernel (Linux 6.7 added it)"));
	g_clear_error(&error);
	g_assert_false(hiod_iommufd_backend_invalidate_cache(be, hwpt, 0, 16, &entries, bitmap, &error));
	g_assert_nonnull(strstr(error->message, "IOMMU_HWPT_INVALIDATE: not supported by this kernel "
						"(Linux 6.8 added it)"));
	g_clear_error(&error);

	/* a nesting parent: EOPNOTSUPP to the flag, which 6.7 added */
	g_assert_false(hiod_vfio_device_attach(d1, c, HIOD_VIOMMU_FLAG_WANT_NESTING_PARENT, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "Linux 6.7 added nesting parents"));
	g_clear_error(&error);

	/* a request hiod has no version for keeps the plain kernel words */
	hiod_context_inject_fault_match(fx->ctx, "IOMMU_IOAS_IOVA_RANGES", EOPNOTSUPP, 1);
	g_assert_null(hiod_iommufd_backend_get_iova_ranges(
	    be, hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)), NULL, &error));
	g_assert_null(strstr(error->message, "added it"));
	hiod_context_clear_faults(fx->ctx);
	g_assert_cmpstr(hiod_kernel_first_version("IOMMU_HWPT_GET_DIRTY_BITMAP"), ==, "6.7");
	g_assert_cmpstr(hiod_kernel_first_version("IOMMU_HWPT_INVALIDATE"), ==, "6.8");
	g_assert_null(hiod_kernel_first_version("VFIO_IOMMU_MAP_DMA"));
	hiod_vfio_device_detach(d0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
}

/* IOMMU_OPTION_HUGE_PAGES: set before the first attach it is sent with the
 * IOAS's allocation; off once a device's mappings exist is the kernel's
 * EINVAL, explained, with the setting and the mappings as they were; a
 * kernel without IOMMU_OPTION fails the attach naming 6.2, leaving nothing. */
static void
test_huge_pages(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	HiodIommufdContainer *ic = HIOD_IOMMUFD_CONTAINER(c);
	HiodIommufdBackend *be = hiod_iommufd_container_get_backend(ic);
	gpointer buf = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g_autofree gchar *json = NULL;
	gboolean on = TRUE;

	g_assert_true(hiod_iommufd_container_get_huge_pages(ic));
	g_assert_true(hiod_iommufd_container_set_huge_pages(ic, FALSE, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0); /* nothing asked yet */
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_iommufd_backend_get_huge_pages(be, hiod_iommufd_container_get_ioas_id(ic),
							  &on, &error));
	g_assert_false(on);
	g_assert_false(hiod_iommufd_container_get_huge_pages(ic));
	{
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) root = NULL;
		hiod_container_to_json(c, b);
		root = json_builder_get_root(b);
		json = json_to_string(root, FALSE);
	}
	g_assert_nonnull(strstr(json, "\"huge_pages\":false"));

	/* on again, map, then off: refused, nothing changed */
	g_assert_true(hiod_iommufd_container_set_huge_pages(ic, TRUE, &error));
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x10000, buf, 0, &error));
	g_assert_no_error(error);
	g_assert_false(hiod_iommufd_container_set_huge_pages(ic, FALSE, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "turn them off before mapping"));
	g_clear_error(&error);
	g_assert_true(hiod_iommufd_container_get_huge_pages(ic));
	g_assert_cmpuint(fx->fake->n_maps, ==, 1);
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	/* with nothing mapped it can be turned off again */
	g_assert_true(hiod_container_dma_unmap(c, 0x100000, 0x10000, &error));
	g_assert_true(hiod_iommufd_container_set_huge_pages(ic, FALSE, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(d0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);

	/* a kernel without IOMMU_OPTION (it came with iommufd in 6.2): on is the
	 * kernel's own default, off fails the attach and leaves nothing */
	hiod_context_inject_fault_match(fx->ctx, "IOMMU_OPTION", ENOTTY, 0);
	g_assert_false(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "Linux 6.2 added it"));
	g_clear_error(&error);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
	g_assert_cmpuint(hiod_context_get_open_fd_count(fx->ctx), ==, 0);
	g_assert_null(hiod_vfio_device_get_container(d0));
	g_assert_true(hiod_iommufd_container_set_huge_pages(ic, TRUE, &error));
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	hiod_context_clear_faults(fx->ctx);
	hiod_vfio_device_detach(d0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
	munmap(buf, 0x10000);
}

/* PASIDs of a VFIO cdev device: VFIO_DEVICE_ATTACH/DETACH_IOMMUFD_PT with the
 * PASID flag (6.15); 6.12 refuses the flag (EINVAL), which hiod tells apart by
 * a detach of an unattached PASID and reports naming 6.15. */
static void
test_pasid(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	HiodIommufdBackend *be = hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c));
	HiodHostIommuDeviceIommufd *h;
	guint32 h1 = 0, h2 = 0;

	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	h = HIOD_HOST_IOMMU_DEVICE_IOMMUFD(hiod_vfio_device_get_host_iommu_device(d0));
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(
	    h, hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)), HIOD_HWPT_ALLOC_FLAGS_PASID, 0,
	    NULL, 0, &h1, &error));
	g_assert_true(hiod_host_iommu_device_iommufd_alloc_hwpt(
	    h, hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)), HIOD_HWPT_ALLOC_FLAGS_PASID, 0,
	    NULL, 0, &h2, &error));
	g_assert_no_error(error);

	/* 6.12 */
	fx->fake->pasid_6_12 = TRUE;
	g_assert_false(hiod_host_iommu_device_iommufd_attach_pasid(h, 7, h1, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "Linux 6.15 added VFIO_DEVICE_ATTACH_PASID"));
	g_test_message("%s", error->message);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(h, 7), ==, 0);
	{
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) n = NULL;
		hiod_host_iommu_device_to_json(HIOD_HOST_IOMMU_DEVICE(h), b);
		n = json_builder_get_root(b);
		g_assert_false(json_object_get_boolean_member(json_node_get_object(n), "vfio_pasid_attach"));
	}

	/* 6.15 and later */
	fx->fake->pasid_6_12 = FALSE;
	g_assert_true(hiod_host_iommu_device_iommufd_attach_pasid(h, 7, h1, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(fx->fake->pasids, GUINT_TO_POINTER(7))), ==, h1);
	g_assert_false(hiod_host_iommu_device_iommufd_attach_pasid(h, 7, h2, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	g_assert_true(hiod_host_iommu_device_iommufd_replace_pasid(h, 7, h2, &error));
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(fx->fake->pasids, GUINT_TO_POINTER(7))), ==, h2);
	/* a refused replace leaves the PASID where it was */
	g_assert_false(hiod_host_iommu_device_iommufd_replace_pasid(h, 7, 999, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_cmpuint(hiod_host_iommu_device_iommufd_get_pasid_hwpt_id(h, 7), ==, h2);
	{
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) n = NULL;
		JsonObject *o;
		hiod_host_iommu_device_to_json(HIOD_HOST_IOMMU_DEVICE(h), b);
		n = json_builder_get_root(b);
		o = json_node_get_object(n);
		g_assert_true(json_object_get_boolean_member(o, "vfio_pasid_attach"));
		g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(o, "pasids"), "7"), ==, h2);
		g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "iommufd_features")), ==, 0);
	}
	/* the probe did not touch the attached PASID */
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(fx->fake->pasids, GUINT_TO_POINTER(7))), ==, h2);
	g_assert_true(hiod_host_iommu_device_iommufd_detach_pasid(h, 7, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_hash_table_size(fx->fake->pasids), ==, 0);
	g_assert_false(hiod_host_iommu_device_iommufd_detach_pasid(h, 7, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE);
	g_clear_error(&error);
	g_assert_true(hiod_iommufd_backend_destroy(be, h1, &error));
	g_assert_true(hiod_iommufd_backend_destroy(be, h2, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(d0);
	g_assert_cmpuint(g_hash_table_size(fx->fake->objs), ==, 0);
}

/* Linux 7.3 with CONFIG_AMD_IOMMU_IOMMUFD: hw_info type 4 with EFR/EFR2,
 * the device's PASID width and the ATS bit; decoded, and in the JSON. */
static void
test_hiod_realize_amd(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;
	HiodHostIommuDevice *hiod;
	HiodHostIommuCaps *caps;
	HiodAmdCaps *amd;

	fx->fake->hw_type = HIOD_IOMMU_HW_INFO_TYPE_AMD;
	/* PPR, x2APIC, NX, GT, GA, HATS=1 (5 levels), PASmax 15, HDSup */
	fx->fake->efr = 0x1e | (1ull << 7) | (1ull << 10) | (15ull << 32) | (1ull << 52);
	fx->fake->efr2 = 0;
	fx->fake->max_pasid_log2 = 16;
	fx->fake->hw_caps = HIOD_IOMMU_HW_CAP_PCI_PASID_EXEC | HIOD_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	hiod = hiod_vfio_device_get_host_iommu_device(d0);
	caps = hiod_host_iommu_device_get_caps(hiod);
	g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_AMD_VI);
	g_assert_cmphex(hiod_host_iommu_caps_get_hw_info_type(caps), ==, 4);
	g_assert_cmpuint(hiod_host_iommu_caps_get_max_pasid_log2(caps), ==, 16);
	g_assert_cmphex(hiod_host_iommu_caps_get_hw_caps(caps), ==,
			HIOD_HW_CAPS_PCI_PASID_EXEC | HIOD_HW_CAPS_PCI_ATS_NOT_SUPPORTED);
	g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod)));
	amd = hiod_host_iommu_device_iommufd_vfio_get_amd_caps(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod));
	g_assert_nonnull(amd);
	g_assert_cmphex(hiod_amd_caps_get_efr(amd), ==, fx->fake->efr);
	g_assert_true(hiod_amd_caps_get_ppr(amd));
	g_assert_true(hiod_amd_caps_get_guest_translation(amd));
	g_assert_cmpuint(hiod_amd_caps_get_pasid_width(amd), ==, 16);
	g_assert_cmpuint(hiod_amd_caps_get_host_levels(amd), ==, 5);
	g_assert_true(hiod_amd_caps_get_dirty_tracking(amd));
	hiod_vfio_device_to_json(d0, b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	g_assert_nonnull(strstr(json, "\"iommu_type\":\"amd-vi\""));
	g_assert_nonnull(strstr(json, "\"max_pasid_log2\":16"));
	g_assert_nonnull(strstr(json, "\"pci-ats-not-supported\""));
	g_assert_nonnull(strstr(json, "\"amd\":{\"efr\":\"0x10000f0000049e\",\"efr2\":\"0x0\""));
	g_assert_nonnull(strstr(json, "\"pasid_width\":16"));
	g_assert_null(strstr(json, "\"vtd\""));
	hiod_vfio_device_detach(d0);
}

/* ARM SMMUv3 (Linux 6.13): hw_info type 2 with the IDR registers; decoded,
 * and in the JSON; the address width still comes from the IOVA ranges. */
static void
test_hiod_realize_smmuv3(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;
	HiodHostIommuDevice *hiod;
	HiodHostIommuCaps *caps;
	HiodSmmuv3Caps *smmu;

	fx->fake->hw_type = HIOD_IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	/* S1P, S2P, TTF AArch64, COHACC, ASID16, VMID16, TTENDIAN LE, ST_LEVEL 2-level */
	fx->fake->smmu.idr[0] = 0x3 | (2u << 2) | (1u << 4) | (1u << 12) | (1u << 18) | (2u << 21) | (1u << 27);
	fx->fake->smmu.idr[1] = 16 | (20u << 6); /* SIDSIZE 16, SSIDSIZE 20 */
	fx->fake->smmu.idr[3] = (1u << 10) | (2u << 11); /* RIL, BBML2 */
	fx->fake->smmu.idr[5] = 4 | (1u << 4) | (1u << 6); /* OAS 44 bits, 4K and 64K */
	fx->fake->smmu.aidr = 1;
	fx->fake->smmu.flags = 1;
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_no_error(error);
	hiod = hiod_vfio_device_get_host_iommu_device(d0);
	caps = hiod_host_iommu_device_get_caps(hiod);
	g_assert_true(hiod_host_iommu_caps_get_iommu_type(caps) == HIOD_IOMMU_TYPE_ARM_SMMUV3);
	g_assert_cmphex(hiod_host_iommu_caps_get_hw_info_type(caps), ==, 2);
	g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_vtd_caps(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod)));
	g_assert_null(hiod_host_iommu_device_iommufd_vfio_get_amd_caps(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod)));
	smmu = hiod_host_iommu_device_iommufd_vfio_get_smmuv3_caps(HIOD_HOST_IOMMU_DEVICE_IOMMUFD_VFIO(hiod));
	g_assert_nonnull(smmu);
	g_assert_cmphex(hiod_smmuv3_caps_get_idr(smmu, 0), ==, fx->fake->smmu.idr[0]);
	g_assert_cmphex(hiod_smmuv3_caps_get_idr(smmu, 5), ==, fx->fake->smmu.idr[5]);
	g_assert_cmphex(hiod_smmuv3_caps_get_aidr(smmu), ==, 1);
	g_assert_cmphex(hiod_smmuv3_caps_get_flags(smmu), ==, 1);
	g_assert_true(hiod_smmuv3_caps_get_nesting(smmu));
	g_assert_cmpuint(hiod_smmuv3_caps_get_ssid_bits(smmu), ==, 20);
	g_assert_cmpuint(hiod_smmuv3_caps_get_oas_bits(smmu), ==, 44);
	hiod_vfio_device_to_json(d0, b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	g_assert_nonnull(strstr(json, "\"iommu_type\":\"arm-smmuv3\""));
	g_assert_nonnull(strstr(json, "\"smmuv3\":{\"idr0\":\"0x844101b\",\"idr1\":\"0x510\""));
	g_assert_nonnull(strstr(json, "\"errata_repeat_tlbi_cfgi\":true"));
	g_assert_nonnull(strstr(json, "\"version\":\"3.1\""));
	g_assert_nonnull(strstr(json, "\"ttf\":\"aarch64\""));
	g_assert_nonnull(strstr(json, "\"oas_bits\":44"));
	g_assert_nonnull(strstr(json, "\"granules\":\"0x11000\""));
	g_assert_null(strstr(json, "\"vtd\""));
	g_assert_null(strstr(json, "\"amd\""));
	hiod_vfio_device_detach(d0);
}

typedef struct {
	guint32 idr[6];
	guint32 aidr;
	gboolean s1, s2, aarch64, aarch32, coherent, btm, ats, pri, msi, sev, le, ril, fwb, ds;
	guint httu, asid_bits, vmid_bits, sid_bits, ssid_bits, bbml, oas_bits, va_bits, minor;
	guint64 granules;
} Smmuv3Case;

static void
test_smmuv3_decode(void)
{
	const Smmuv3Case cases[] = {
	    /* nothing set: AArch32-less, mixed endian, 8-bit IDs, OAS 32, VA 48 */
	    {{0}, 0, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE, FALSE, FALSE,
	     FALSE, 0, 8, 8, 0, 0, 0, 32, 48, 0, 0},
	    /* stage 1 only, both table formats, big-endian only, BTM, HTTU A+D, OAS 48, 16K, VAX 52, v3.2 */
	    {{0x2 | (3u << 2) | (1u << 5) | (2u << 6) | (3u << 21), 0, 0, 0, 0, 5 | (1u << 5) | (1u << 10)},
	     2, TRUE, FALSE, TRUE, TRUE, FALSE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 2,
	     8, 8, 0, 0, 0, 48, 52, 2, 0x4000},
	    /* stage 2 only, AArch32 only, COHACC, ATS, PRI, MSI, SEV, ASID16, VMID16, LE, SIDSIZE 32,
	     * SSIDSIZE 20, FWB, RIL, BBML 1, OAS 52, DS, all granules */
	    {{0x1 | (1u << 2) | (1u << 4) | (1u << 10) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 16) |
		  (1u << 18) | (2u << 21),
	      32 | (20u << 6), 0, (1u << 8) | (1u << 10) | (1u << 11), 0, 6 | (7u << 4) | (1u << 7)},
	     1, FALSE, TRUE, FALSE, TRUE, TRUE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, 0, 16, 16,
	     32, 20, 1, 52, 48, 1, 0x15000},
	    /* a reserved OAS encoding reads 0; a reserved TTENDIAN is not little-endian */
	    {{1u << 21, 0, 0, 0, 0, 7}, 0, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE,
	     FALSE, FALSE, FALSE, FALSE, 0, 8, 8, 0, 0, 0, 0, 48, 0, 0},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const Smmuv3Case *k = &cases[i];
		g_autoptr(HiodSmmuv3Caps) s = hiod_smmuv3_caps_new(k->idr, G_N_ELEMENTS(k->idr), 0, k->aidr, 0);
		g_test_message("case %u", i);
		g_assert_cmpint(hiod_smmuv3_caps_get_stage1(s), ==, k->s1);
		g_assert_cmpint(hiod_smmuv3_caps_get_stage2(s), ==, k->s2);
		g_assert_cmpint(hiod_smmuv3_caps_get_nesting(s), ==, k->s1 && k->s2);
		g_assert_cmpint(hiod_smmuv3_caps_get_aarch64_tables(s), ==, k->aarch64);
		g_assert_cmpint(hiod_smmuv3_caps_get_aarch32_tables(s), ==, k->aarch32);
		g_assert_cmpint(hiod_smmuv3_caps_get_coherent(s), ==, k->coherent);
		g_assert_cmpint(hiod_smmuv3_caps_get_btm(s), ==, k->btm);
		g_assert_cmpint(hiod_smmuv3_caps_get_ats(s), ==, k->ats);
		g_assert_cmpint(hiod_smmuv3_caps_get_pri(s), ==, k->pri);
		g_assert_cmpint(hiod_smmuv3_caps_get_msi(s), ==, k->msi);
		g_assert_cmpint(hiod_smmuv3_caps_get_sev(s), ==, k->sev);
		g_assert_cmpint(hiod_smmuv3_caps_get_little_endian_tables(s), ==, k->le);
		g_assert_cmpint(hiod_smmuv3_caps_get_ril(s), ==, k->ril);
		g_assert_cmpint(hiod_smmuv3_caps_get_fwb(s), ==, k->fwb);
		g_assert_cmpint(hiod_smmuv3_caps_get_ds(s), ==, k->ds);
		g_assert_cmpuint(hiod_smmuv3_caps_get_httu(s), ==, k->httu);
		g_assert_cmpuint(hiod_smmuv3_caps_get_asid_bits(s), ==, k->asid_bits);
		g_assert_cmpuint(hiod_smmuv3_caps_get_vmid_bits(s), ==, k->vmid_bits);
		g_assert_cmpuint(hiod_smmuv3_caps_get_sid_bits(s), ==, k->sid_bits);
		g_assert_cmpuint(hiod_smmuv3_caps_get_ssid_bits(s), ==, k->ssid_bits);
		g_assert_cmpuint(hiod_smmuv3_caps_get_bbml(s), ==, k->bbml);
		g_assert_cmpuint(hiod_smmuv3_caps_get_oas_bits(s), ==, k->oas_bits);
		g_assert_cmpuint(hiod_smmuv3_caps_get_va_bits(s), ==, k->va_bits);
		g_assert_cmpuint(hiod_smmuv3_caps_get_arch_minor(s), ==, k->minor);
		g_assert_cmphex(hiod_smmuv3_caps_get_granules(s), ==, k->granules);
	}
	{
		/* fewer registers read 0; not SMMUv3, or too short: no decode */
		const guint32 idr0 = 0x3;
		g_autoptr(HiodSmmuv3Caps) one = hiod_smmuv3_caps_new(&idr0, 1, 0x43b, 0, 0);
		guint8 raw[40] = {0};
		g_autoptr(GBytes) bytes = g_bytes_new(raw, sizeof(raw));
		g_autoptr(GBytes) short_bytes = g_bytes_new(raw, 36);
		g_autoptr(HiodHostIommuCaps) vtd = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_INTEL_VTD, 1, 39, 0, 0, bytes);
		g_autoptr(HiodHostIommuCaps) smmu_short =
		    hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_ARM_SMMUV3, 2, 48, 0, 0, short_bytes);
		g_autoptr(HiodHostIommuCaps) smmu_ok =
		    hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_ARM_SMMUV3, 2, 48, 0, 0, bytes);
		g_autoptr(HiodSmmuv3Caps) decoded = hiod_smmuv3_caps_new_from_host_caps(smmu_ok);
		g_assert_true(hiod_smmuv3_caps_get_nesting(one));
		g_assert_cmphex(hiod_smmuv3_caps_get_idr(one, 5), ==, 0);
		g_assert_cmphex(hiod_smmuv3_caps_get_iidr(one), ==, 0x43b);
		g_assert_null(hiod_smmuv3_caps_new_from_host_caps(vtd));
		g_assert_null(hiod_smmuv3_caps_new_from_host_caps(smmu_short));
		g_assert_nonnull(decoded);
	}
}

typedef struct {
	guint64 efr, efr2;
	gboolean ppr, x2apic, nx, gt, ga, hd, snp;
	guint host_levels, guest_levels, pasid_width;
} AmdCase;

static void
test_amd_decode(void)
{
	const AmdCase cases[] = {
	    {0, 0, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 4, 4, 0},
	    /* PASmax without GTSup means nothing */
	    {19ull << 32, 0, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 4, 4, 0},
	    {0x10 | (19ull << 32) | (1ull << 12), 0, FALSE, FALSE, FALSE, TRUE, FALSE, FALSE, FALSE, 4, 5, 20},
	    {0x0e | (1ull << 7) | (2ull << 10), 0, TRUE, TRUE, TRUE, FALSE, TRUE, FALSE, FALSE, 6, 4, 0},
	    {(3ull << 10) | (2ull << 12) | (1ull << 52) | (1ull << 63), 0, FALSE, FALSE, FALSE, FALSE, FALSE,
	     TRUE, TRUE, 0, 0, 0},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(HiodAmdCaps) a = hiod_amd_caps_new(cases[i].efr, cases[i].efr2);
		g_assert_cmpint(hiod_amd_caps_get_ppr(a), ==, cases[i].ppr);
		g_assert_cmpint(hiod_amd_caps_get_x2apic(a), ==, cases[i].x2apic);
		g_assert_cmpint(hiod_amd_caps_get_nx(a), ==, cases[i].nx);
		g_assert_cmpint(hiod_amd_caps_get_guest_translation(a), ==, cases[i].gt);
		g_assert_cmpint(hiod_amd_caps_get_guest_apic(a), ==, cases[i].ga);
		g_assert_cmpint(hiod_amd_caps_get_dirty_tracking(a), ==, cases[i].hd);
		g_assert_cmpint(hiod_amd_caps_get_snp(a), ==, cases[i].snp);
		g_assert_cmpuint(hiod_amd_caps_get_host_levels(a), ==, cases[i].host_levels);
		g_assert_cmpuint(hiod_amd_caps_get_guest_levels(a), ==, cases[i].guest_levels);
		g_assert_cmpuint(hiod_amd_caps_get_pasid_width(a), ==, cases[i].pasid_width);
	}
	{
		/* not AMD, or too short: no decode */
		g_autoptr(GBytes) bytes = g_bytes_new_static("0123456789abcdef", 16);
		g_autoptr(HiodHostIommuCaps) vtd = hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_INTEL_VTD, 1, 39, 0, 0, bytes);
		g_autoptr(GBytes) short_bytes = g_bytes_new_static("01234567", 8);
		g_autoptr(HiodHostIommuCaps) amd_short =
		    hiod_host_iommu_caps_new(HIOD_IOMMU_TYPE_AMD_VI, 4, 48, 0, 0, short_bytes);
		g_assert_null(hiod_amd_caps_new_from_host_caps(vtd));
		g_assert_null(hiod_amd_caps_new_from_host_caps(amd_short));
	}
}

static void
test_hot_reset(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);

	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_false(hiod_vfio_device_hot_reset(d0, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(error->message, "0000:00:05.0"));
	g_assert_nonnull(strstr(error->message, "does not own"));
	g_clear_error(&error);
	fx->fake->hot_reset_flags |= HIOD_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	g_assert_true(hiod_vfio_device_hot_reset(d0, &error));
	g_assert_no_error(error);
	hiod_vfio_device_detach(d0);
}

typedef struct {
	guint64 cap, ecap;
	guint aw, sagaw;
	gboolean cm, sm, nest, dirty, pasid, sc;
} VtdCase;

static void
test_vtd_decode(void)
{
	/* QEMU 7.2's emulated VT-d registers (kernel-uapi.md 5.2) */
	const VtdCase cases[] = {
	    {0x00d2008c22260206, 0xf00f4a, 39, 2, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE},
	    {0x00d2008c222f0606, 0xf00f4a, 48, 6, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE},
	    {0x00d2008c22260286, 0xf00f4a, 39, 2, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE},
	    {0x00d2008c22260206, 0x0000480080f00f4a, 39, 2, FALSE, TRUE, FALSE, FALSE, FALSE, FALSE},
	    {0x00d2008c22260206, 0x0000490080f00f4a, 39, 2, FALSE, TRUE, FALSE, FALSE, TRUE, FALSE},
	    {0x00d2008c22260206, 0xf00fca, 39, 2, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE},
	    /* a real server: scalable mode, nesting, dirty tracking */
	    {0x00d2008c402f0462, 0x0001f9ff8c7f0fde | (1ull << 26) | (1ull << 45) | (1ull << 48), 48,
	     4, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(HiodVtdCaps) v = hiod_vtd_caps_new(cases[i].cap, cases[i].ecap, 1);
		g_assert_cmpuint(hiod_vtd_caps_get_address_width(v), ==, cases[i].aw);
		g_assert_cmpuint(hiod_vtd_caps_get_sagaw(v), ==, cases[i].sagaw);
		g_assert_cmpint(hiod_vtd_caps_get_caching_mode(v), ==, cases[i].cm);
		g_assert_cmpint(hiod_vtd_caps_get_scalable_mode(v), ==, cases[i].sm);
		g_assert_cmpint(hiod_vtd_caps_get_nesting(v), ==, cases[i].nest);
		g_assert_cmpint(hiod_vtd_caps_get_dirty_tracking(v), ==, cases[i].dirty);
		g_assert_cmpint(hiod_vtd_caps_get_pasid(v), ==, cases[i].pasid);
		g_assert_cmpint(hiod_vtd_caps_get_snoop_control(v), ==, cases[i].sc);
	}
	{
		g_autoptr(HiodVtdCaps) v = hiod_vtd_caps_new(0x00d2008c22260286, 0xf00f4a, 1);
		g_assert_cmpuint(hiod_vtd_caps_get_num_domains(v), ==, 65536);
		g_assert_true(hiod_vtd_caps_get_second_stage_2m(v));
		g_assert_true(hiod_vtd_caps_get_second_stage_1g(v));
		g_assert_false(hiod_vtd_caps_get_first_stage_1g(v));
		g_assert_cmpuint(hiod_vtd_caps_get_fault_recording_offset(v), ==, 0x220);
		g_assert_cmpuint(hiod_vtd_caps_get_num_fault_records(v), ==, 1);
		g_assert_cmpuint(hiod_vtd_caps_get_mamv(v), ==, 18);
		g_assert_true(hiod_vtd_caps_get_page_selective_invalidation(v));
		g_assert_true(hiod_vtd_caps_get_queued_invalidation(v));
		g_assert_true(hiod_vtd_caps_get_interrupt_remapping(v));
		g_assert_true(hiod_vtd_caps_get_pass_through(v));
		g_assert_false(hiod_vtd_caps_get_coherent(v));
		g_assert_cmpuint(hiod_vtd_caps_get_pasid_width(v), ==, 0);
	}
}

/* Defect 4: tracking started while one HWPT cannot track; when its device
 * leaves, the HWPT that stays must have been tracking all along. */
static void
test_dirty_partial_hwpt(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodVfioDevice) d1 = device_new(fx, "0000:00:05.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	gpointer buf = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guint32 h0;
	FakeObj *o;
	guint64 bitmap[1] = {0};

	fx->fake->hw_caps = HIOD_IOMMU_HW_CAP_DIRTY_TRACKING;
	g_hash_table_add(fx->fake->no_dirty_paths, g_strdup(hiod_vfio_device_get_cdev_path(d1)));
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_true(hiod_vfio_device_attach(d1, c, 0, &error));
	g_assert_no_error(error);
	h0 = hiod_vfio_device_get_hwpt_id(d0);
	g_assert_cmpuint(h0, !=, hiod_vfio_device_get_hwpt_id(d1));
	g_assert_false(hiod_container_get_dirty_tracking_supported(c));
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x4000, buf, 0, &error));
	g_assert_true(hiod_container_set_dirty_tracking(c, TRUE, &error));
	g_assert_no_error(error);
	/* the HWPT that can track does so from the start */
	o = fake_obj(fx->fake, h0, OBJ_HWPT);
	g_assert_true(o->dirty_on);
	/* while one cannot: every mapped page */
	g_assert_true(hiod_container_query_dirty_bitmap(c, 0x100000, 0x4000, 0x1000, bitmap, 0, &error));
	g_assert_cmphex(bitmap[0], ==, 0xf);
	hiod_vfio_device_detach(d1);
	g_assert_true(hiod_container_get_dirty_tracking_supported(c));
	/* now the kernel's bitmap: the fake marks bit (HWPT id) on a tracking HWPT */
	bitmap[0] = 0;
	g_assert_true(hiod_container_query_dirty_bitmap(c, 0, 0x40000, 0x1000, bitmap, 0, &error));
	g_assert_no_error(error);
	g_assert_cmphex(bitmap[0], ==, G_GUINT64_CONSTANT(1) << h0);
	g_assert_true(hiod_container_set_dirty_tracking(c, FALSE, &error));
	g_assert_false(o->dirty_on);
	hiod_vfio_device_detach(d0);
	munmap(buf, 0x4000);
}

typedef struct {
	HiodContainer *c;
	gpointer buf;
	GThread *thread;
	gint done; /* atomic: the map returned */
	gboolean ok;
	gboolean done_during_read;
} RaceMap;

static gpointer
race_map_thread(gpointer data)
{
	RaceMap *r = data;
	r->ok = hiod_container_dma_map(r->c, 0x110000, 0x1000, r->buf, 0, NULL);
	g_atomic_int_set(&r->done, 1);
	return NULL;
}

/* in the kernel's dirty read: another thread maps into the span being unmapped */
static void
race_map_during_read(gpointer data)
{
	RaceMap *r = data;
	gint64 until = g_get_monotonic_time() + 300 * G_TIME_SPAN_MILLISECOND;
	r->thread = g_thread_new("map", race_map_thread, r);
	while (!g_atomic_int_get(&r->done) && g_get_monotonic_time() < until)
		g_usleep(1000);
	r->done_during_read = g_atomic_int_get(&r->done);
}

/* Suspected: dma_unmap_dirty dropped the lock between collecting the
 * mappings and unmapping them. A map from another thread must wait, and it
 * must not be unmapped (unreported) by the unmap that ran before it. */
static void
test_unmap_dirty_holds_lock(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d0 = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
	gpointer buf = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guint64 bitmap[1] = {0};
	RaceMap r = {.c = c, .buf = buf};

	fx->fake->hw_caps = HIOD_IOMMU_HW_CAP_DIRTY_TRACKING;
	g_assert_true(hiod_vfio_device_attach(d0, c, 0, &error));
	g_assert_true(hiod_container_dma_map(c, 0x100000, 0x4000, buf, 0, &error));
	g_assert_true(hiod_container_set_dirty_tracking(c, TRUE, &error));
	g_assert_no_error(error);
	g_assert_true(hiod_container_get_dirty_tracking_supported(c));
	fx->fake->on_dirty_read = race_map_during_read;
	fx->fake->on_dirty_read_data = &r;
	g_assert_true(hiod_container_dma_unmap_dirty(c, 0x100000, 0x20000, 0x1000, bitmap, &error));
	g_assert_no_error(error);
	fx->fake->on_dirty_read = NULL;
	g_assert_nonnull(r.thread);
	g_thread_join(r.thread);
	g_assert_true(r.ok);
	g_assert_false(r.done_during_read); /* it waited for the lock */
	/* the new mapping stays, in the library and in the kernel */
	g_assert_cmpuint(hiod_container_get_n_mappings(c), ==, 1);
	g_assert_cmpuint(fx->fake->n_maps, ==, 1);
	g_assert_cmpuint(g_array_index(fx->fake->areas, FakeArea, 0).start, ==, 0x110000);
	hiod_vfio_device_detach(d0);
	munmap(buf, 0x4000);
}

/* Defect 5: ENOENT from IOAS_UNMAP is "nothing mapped" only when nothing is;
 * a range that cuts through an area is an error that says so. */
static void
test_unmap_enoent(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodIommufdBackend) be = hiod_iommufd_backend_new(fx->ctx, &error);
	guint32 ioas = 0;
	gpointer buf = mmap(NULL, 0x8000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	g_assert_no_error(error);
	g_assert_true(hiod_iommufd_backend_connect(be, &error));
	g_assert_true(hiod_iommufd_backend_alloc_ioas(be, &ioas, &error));
	g_assert_true(hiod_iommufd_backend_map(be, ioas, 0x100000, 0x4000, buf, FALSE, &error));
	g_assert_true(hiod_iommufd_backend_map(be, ioas, 0x104000, 0x4000, (guint8 *)buf + 0x4000, FALSE, &error));
	g_assert_no_error(error);
	/* nothing mapped: success, and nothing is left of the question */
	g_assert_true(hiod_iommufd_backend_unmap(be, ioas, 0x200000, 0x1000, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fx->fake->n_maps, ==, 2);
	/* cutting through A: refused, both stay */
	g_assert_false(hiod_iommufd_backend_unmap(be, ioas, 0x101000, 0x1000, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "cuts through a mapped area"));
	g_clear_error(&error);
	g_assert_cmpuint(fx->fake->n_maps, ==, 2);
	/* A whole, then cutting B: the kernel unmapped A, and the error says it may have */
	g_assert_false(hiod_iommufd_backend_unmap(be, ioas, 0x100000, 0x6000, &error));
	g_assert_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "may be unmapped already"));
	g_clear_error(&error);
	g_assert_cmpuint(fx->fake->n_maps, ==, 1);
	g_assert_true(hiod_iommufd_backend_unmap(be, ioas, 0x104000, 0x4000, &error));
	g_assert_cmpuint(fx->fake->n_maps, ==, 0);
	g_assert_true(hiod_iommufd_backend_destroy(be, ioas, &error));
	hiod_iommufd_backend_disconnect(be);
	munmap(buf, 0x8000);
}

/* An EPERM at VFIO_DEVICE_BIND_IOMMUFD on a host whose interrupts are not remapped is
 * explained (no MSI isolation) with the parameters that would allow it; not
 * when sysfs shows another cause (remapped interrupts, the parameter set). */
static void
test_eperm_unsafe_interrupts(Fixture *fx, gconstpointer data)
{
	struct {
		const gchar *chip, *param;
		gint errnum;
		gboolean explained;
	} cases[] = {
	    {"IO-APIC\n", "N\n", EPERM, TRUE},
	    {"IR-IO-APIC\n", "N\n", EPERM, FALSE},
	    {"IO-APIC\n", "Y\n", EPERM, FALSE},
	    {"IO-APIC\n", "N\n", EACCES, FALSE},
	    {"IO-APIC\n", "N\n", EPERM, FALSE}, /* no IOMMU listed: a no-IOMMU group */
	};
	hiod_test_tree_write(fx->tree, "class/iommu/virtio0/uevent", "");
	hiod_test_tree_write(fx->tree, "kernel/irq/24/chip_name", "PCI-MSIX-0000:00:04.0\n");
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
	g_autoptr(HiodVfioDevice) d = device_new(fx, "0000:00:04.0");
	g_autoptr(HiodContainer) c = container_new(fx, NULL);
		if (i == 4) {
			g_autofree gchar *u = g_build_filename(fx->tree->sys, "class/iommu/virtio0/uevent", NULL);
			g_autofree gchar *dir = g_path_get_dirname(u);
			g_assert_cmpint(g_unlink(u), ==, 0);
			g_assert_cmpint(g_rmdir(dir), ==, 0);
		}
		hiod_test_tree_write(fx->tree, "kernel/irq/9/chip_name", cases[i].chip);
		hiod_test_tree_write(fx->tree, "module/iommufd/parameters/allow_unsafe_interrupts",
				     cases[i].param);
		hiod_context_inject_fault_match(fx->ctx, "VFIO_DEVICE_BIND_IOMMUFD", cases[i].errnum, 1);
		g_assert_false(hiod_vfio_device_attach(d, c, 0, &error));
		g_test_message("%s", error->message);
		g_assert_error(error, HIOD_ERROR, HIOD_ERROR_PERMISSION_DENIED);
		g_assert_nonnull(strstr(error->message, "VFIO_DEVICE_BIND_IOMMUFD"));
		if (cases[i].explained) {
			g_assert_nonnull(strstr(error->message, "no interrupt remapping (MSI isolation)"));
			g_assert_nonnull(strstr(error->message, "virtio0"));
			g_assert_nonnull(strstr(error->message, "iommufd.allow_unsafe_interrupts=1"));
			g_assert_nonnull(strstr(error->message, "vfio_iommu_type1.allow_unsafe_interrupts=1"));
			g_assert_nonnull(strstr(error->message, "/sys/module/iommufd/parameters"));
		} else {
			g_assert_null(strstr(error->message, "interrupt remapping"));
		}
		hiod_context_clear_faults(fx->ctx);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func, data) \
	g_test_add("/hiod/iommufd-container/" path, Fixture, data, fixture_setup, func, fixture_teardown)
	ADD("attach-detach", test_attach_detach, NULL);
	ADD("attach-faults", test_attach_faults, NULL);
	ADD("map-unmap-faults", test_map_unmap_faults, NULL);
	ADD("copy-faults", test_copy_faults, NULL);
	ADD("dirty-faults", test_dirty_faults, NULL);
	ADD("nest-parent-refused", test_nest_parent_refused, NULL);
	ADD("bad-input", test_bad_input, NULL);
	ADD("no-dev-iommu", test_no_dev_iommu, GINT_TO_POINTER(1));
	ADD("fd-passing", test_fd_passing, NULL);
	ADD("hiod-realize", test_hiod_realize, NULL);
	ADD("hot-reset", test_hot_reset, NULL);
	ADD("hwpt-refused-falls-back-to-ioas", test_hwpt_refused_falls_back, NULL);
	ADD("hwpt-refused-faults", test_hwpt_refused_faults, NULL);
	ADD("space-falls-back-to-new-ioas", test_space_falls_back_to_new_ioas, NULL);
	ADD("old-kernel-errors", test_old_kernel_errors, NULL);
	ADD("huge-pages", test_huge_pages, NULL);
	ADD("pasid", test_pasid, NULL);
	ADD("dirty-partial-hwpt", test_dirty_partial_hwpt, NULL);
	ADD("unmap-dirty-holds-lock", test_unmap_dirty_holds_lock, NULL);
	ADD("unmap-enoent", test_unmap_enoent, NULL);
	ADD("hiod-realize-amd", test_hiod_realize_amd, NULL);
	ADD("hiod-realize-smmuv3", test_hiod_realize_smmuv3, NULL);
	ADD("eperm-unsafe-interrupts", test_eperm_unsafe_interrupts, NULL);
	g_test_add_func("/hiod/vtd-caps/decode", test_vtd_decode);
	g_test_add_func("/hiod/amd-caps/decode", test_amd_decode);
	g_test_add_func("/hiod/smmuv3-caps/decode", test_smmuv3_decode);
	return g_test_run();
}

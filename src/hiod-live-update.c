/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "hiod-backend-private.h"
#include "hiod-address-space.h"
#include "hiod-container-private.h"
#include "hiod-container.h"
#include "hiod-error.h"
#include "hiod-kernel-private.h"
#include "hiod-live-update.h"
#include "hiod-uapi-private.h"
#include "hiod-vfio-device.h"
#include "hiod-vfio-device-private.h"
#if HIOD_HAVE_LEGACY_VFIO
#include "hiod-legacy-container-private.h"
#endif
#if HIOD_HAVE_IOMMUFD
#include "hiod-iommufd-container.h"
#endif

/**
 * HiodLiveUpdate:
 *
 * Keeps DMA alive while a VMM replaces itself (QEMU's cpr-transfer): the
 * old process writes its #HiodAddressSpace (sections, containers, devices
 * and their kernel objects) as a small JSON document plus the fds it needs;
 * the new process adopts them without unmapping or re-pinning anything. The
 * document and the fds travel across exec (the fds are made inheritable) or
 * over a Unix socket (hiod_live_update_send(), SCM_RIGHTS).
 *
 * Guest memory must come from files (memfd): the document names each
 * section's file and offset, and the new process shows where it mapped the
 * same file; memory that is not the same file, or does not cover the
 * sections, is refused before anything changes.
 *
 * type1: hiod_live_update_save() takes the old host addresses away
 * (VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR: the mappings and
 * their pins stay, the device keeps its DMA), adoption gives the new ones
 * (VFIO_IOMMU_MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR; the kernel moves the
 * locked-memory count to the new process). Needs the VFIO_UPDATE_VADDR
 * extension. From save on, the old objects are in hand-off mode: dropping
 * them changes nothing in the kernel. If the new process never adopts,
 * hiod_live_update_cancel() gives the old addresses back and the old process
 * goes on.
 *
 * iommufd (QEMU's cpr-iommufd): the sections must be mapped from their files
 * (hiod_address_space_add_memory() before the mapping: IOMMU_IOAS_MAP_FILE),
 * and the document names the iommufd, the IOAS, the HWPTs and each device's
 * cdev fd with its device id (a cdev fd stays bound to its iommufd across
 * exec and SCM_RIGHTS). save asks the kernel nothing; adoption rebuilds the
 * container and devices without binding or attaching anything, then asks
 * IOMMU_IOAS_CHANGE_PROCESS (Linux 6.13), which moves the pinned-page counts
 * of every file mapping to the new process; cancel asks it again from the
 * old process. On a kernel before 6.13 an iommufd space is refused with the
 * kernel named. vIOMMU objects (IOMMU_VIOMMU_ALLOC, vDEVICEs) are not in the
 * document: hiod_live_update_new() does not see them.
 *
 * Threads: one thread at a time; nothing else may map into or change the
 * space between hiod_live_update_new() and complete or cancel.
 *
 * Since: 0.1
 */

#define HIOD_LIVE_UPDATE_VERSION 1
#define HIOD_LIVE_UPDATE_MAX_FDS 64u
#define HIOD_LIVE_UPDATE_MAX_DOC (1u << 20)

typedef enum { STATE_READY, STATE_SAVED, STATE_DONE } HiodLiveUpdateState;

typedef struct {
	guint64 iova, size;
	gpointer vaddr;
	HiodDmaFlags flags;
	guint region;	 /* index in regions */
	guint64 offset;	 /* in the region's file */
} HiodLiveSection;

struct _HiodLiveUpdate {
	GObject parent_instance;
	HiodAddressSpace *space;
	GArray *regions;  /* HiodMemoryRegion */
	GArray *sections; /* HiodLiveSection */
	GPtrArray *containers;
	HiodLiveUpdateState state;
};

G_DEFINE_TYPE(HiodLiveUpdate, hiod_live_update, G_TYPE_OBJECT)

static gchar *
hiod_live_update_kernel_release(void)
{
	struct utsname u;
	return uname(&u) == 0 ? g_strdup(u.release) : g_strdup("unknown");
}

/* whether the container's kernel state can be handed over, and why not */
static gboolean
hiod_live_update_check_container(HiodContainer *c, GError **error)
{
#if HIOD_HAVE_IOMMUFD
	if (HIOD_IS_IOMMUFD_CONTAINER(c)) {
		HiodIommufdBackend *be = hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c));
		HiodContext *ctx = hiod_container_get_context(c);
		struct hiod_iommu_ioas_change_process probe = {.__reserved = 1};
		g_autoptr(GError) local = NULL;
		g_autofree gchar *release = hiod_live_update_kernel_release();
		/* a reserved bit set: a kernel that knows the request refuses it
		 * without doing anything; one that does not answers ENOTTY */
		if (hiod_kernel_ioctl(ctx, hiod_iommufd_backend_get_fd(be), HIOD_IOC(IOMMU_IOAS_CHANGE_PROCESS),
				      &probe, sizeof(probe), &local) < 0 && errno == ENOTTY) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "an iommufd live update needs IOMMU_IOAS_CHANGE_PROCESS, which Linux %s "
				    "added; this kernel (%s) lacks it: update the kernel, or use the legacy "
				    "(type1) backend, whose VFIO_UPDATE_VADDR this kernel has",
				    hiod_kernel_first_version("IOMMU_IOAS_CHANGE_PROCESS"), release);
			return FALSE;
		}
		if (!hiod_iommufd_backend_has_map_file(be) ||
		    hiod_iommufd_container_get_mapped_by_address(HIOD_IOMMUFD_CONTAINER(c))) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "the iommufd container (IOAS %u) holds a mapping made by address, not "
				    "from its file: IOMMU_IOAS_CHANGE_PROCESS (Linux %s) moves only "
				    "IOMMU_IOAS_MAP_FILE mappings; tell the address space of the guest "
				    "memory's memfd (hiod_address_space_add_memory()) before mapping it",
				    hiod_iommufd_container_get_ioas_id(HIOD_IOMMUFD_CONTAINER(c)),
				    hiod_kernel_first_version("IOMMU_IOAS_CHANGE_PROCESS"));
			return FALSE;
		}
		return TRUE;
	}
#endif
#if HIOD_HAVE_LEGACY_VFIO
	if (G_OBJECT_TYPE(c) == HIOD_TYPE_LEGACY_CONTAINER) {
		HiodLegacyContainer *lc = HIOD_LEGACY_CONTAINER(c);
		guint32 type = hiod_legacy_container_get_iommu_type(lc);
		if (type != HIOD_VFIO_TYPE1_IOMMU && type != HIOD_VFIO_TYPE1v2_IOMMU) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "the type1 container has no IOMMU set (no device attached): nothing to hand over");
			return FALSE;
		}
		if (!hiod_legacy_container_check_extension(lc, HIOD_VFIO_UPDATE_VADDR)) {
			g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
					    "the type1 container does not offer VFIO_UPDATE_VADDR (Linux 5.12; "
					    "refused while an mdev or another emulated-IOMMU device is in it): "
					    "its mappings cannot change process");
			return FALSE;
		}
		return TRUE;
	}
#endif
	g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
		    "a %s cannot be handed to another process", G_OBJECT_TYPE_NAME(c));
	return FALSE;
}

typedef struct {
	HiodLiveUpdate *self;
	GError *error;
} HiodLiveCollect;

/* one mapping of the container: [start, last] at i->value with i->flags */
static gboolean
hiod_live_update_collect_cb(const HiodInterval *iv, gpointer data)
{
	HiodLiveCollect *c = data;
	guint64 iova = iv->start, size = iv->last - iv->start + 1;
	gpointer vaddr = iv->value;
	HiodDmaFlags flags = iv->flags;
	guintptr a = GPOINTER_TO_SIZE(vaddr);
	for (guint i = 0; i < c->self->regions->len; i++) {
		HiodMemoryRegion *r = &g_array_index(c->self->regions, HiodMemoryRegion, i);
		guintptr start = GPOINTER_TO_SIZE(r->vaddr);
		if (a >= start && size <= r->size && a - start <= r->size - size) {
			HiodLiveSection s = {iova, size, vaddr, flags, i, r->offset + (a - start)};
			g_array_append_val(c->self->sections, s);
			return TRUE;
		}
	}
	g_set_error(&c->error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
		    "section at IOVA 0x%" G_GINT64_MODIFIER "x (%p, 0x%" G_GINT64_MODIFIER
		    "x bytes) is in none of the file-backed memory regions given: a live update "
		    "needs guest memory from a file (memfd) the new process can map",
		    iova, vaddr, size);
	return FALSE;
}

static void
hiod_live_update_collect_map(HiodIntervalMap *map, gpointer data)
{
	hiod_interval_map_foreach(map, hiod_live_update_collect_cb, data);
}

/**
 * hiod_live_update_new:
 * @space: the #HiodAddressSpace to hand over
 * @regions: (array length=n_regions) (nullable): the file-backed memory its sections
 *   live in; %NULL: the space's own (hiod_address_space_add_memory())
 * @n_regions: how many
 * @error: return location for a #GError
 *
 * Checks that @space can be handed to another process: every container can
 * (type1 with VFIO_UPDATE_VADDR; iommufd on a kernel with
 * IOMMU_IOAS_CHANGE_PROCESS, every mapping made from its file), every
 * section lies in one of @regions (none given: the memory the space was
 * told of, hiod_address_space_add_memory()). Nothing changes yet.
 *
 * Returns: (transfer full): a new #HiodLiveUpdate, or %NULL
 *
 * Since: 0.1
 */
HiodLiveUpdate *
hiod_live_update_new(HiodAddressSpace *space, const HiodMemoryRegion *regions, guint n_regions,
		     GError **error)
{
	g_autoptr(HiodLiveUpdate) self = NULL;
	g_autoptr(GPtrArray) containers = NULL;
	HiodLiveCollect collect = {NULL, NULL};

	g_return_val_if_fail(HIOD_IS_ADDRESS_SPACE(space), NULL);
	g_return_val_if_fail(regions != NULL || n_regions == 0, NULL);
	self = g_object_new(HIOD_TYPE_LIVE_UPDATE, NULL);
	self->space = g_object_ref(space);
	if (n_regions == 0) {
		/* the memory the space was told of (its own fds: they live with it) */
		g_autoptr(GArray) known = hiod_address_space_get_memory(space);
		if (known->len > 0)
			return hiod_live_update_new(space, (HiodMemoryRegion *)known->data, known->len, error);
	}
	for (guint i = 0; i < n_regions; i++) {
		struct stat st;
		if (regions[i].vaddr == NULL || regions[i].size == 0 || regions[i].fd < 0 ||
		    fstat(regions[i].fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "memory region %u is not a mapping of a file (memfd): give its address, "
				    "size, fd and offset",
				    i);
			return NULL;
		}
		g_array_append_val(self->regions, regions[i]);
	}
	containers = hiod_address_space_get_containers(space);
	if (containers->len == 0) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "the address space has no container: no kernel state to hand over");
		return NULL;
	}
	for (guint i = 0; i < containers->len; i++) {
		HiodContainer *c = g_ptr_array_index(containers, i);
		if (!hiod_live_update_check_container(c, error))
			return NULL;
		g_ptr_array_add(self->containers, g_object_ref(c));
	}
	/* what the kernel holds: the first container's mappings (every member maps
	 * the same: the sections, or their runs when the space coalesces) */
	collect.self = self;
	hiod_container_with_mappings(g_ptr_array_index(containers, 0), hiod_live_update_collect_map, &collect);
	if (collect.error != NULL) {
		g_propagate_error(error, collect.error);
		return NULL;
	}
	return g_steal_pointer(&self);
}

#if HIOD_HAVE_LEGACY_VFIO
/* every section of every container: the host address @to_new (NULL: none, else each section's own) */
static gboolean
hiod_live_update_set_vaddrs(HiodLiveUpdate *self, gboolean valid, GError **error)
{
	for (guint c = 0; c < self->containers->len; c++) {
		HiodLegacyContainer *lc = g_ptr_array_index(self->containers, c);
		if (G_OBJECT_TYPE(lc) != HIOD_TYPE_LEGACY_CONTAINER)
			continue;
		for (guint i = 0; i < self->sections->len; i++) {
			HiodLiveSection *s = &g_array_index(self->sections, HiodLiveSection, i);
			if (!hiod_legacy_container_set_vaddr(lc, s->iova, s->size, valid ? s->vaddr : NULL, error)) {
				/* put back what was done */
				for (guint j = 0; j <= c; j++) {
					HiodLegacyContainer *back = g_ptr_array_index(self->containers, j);
					if (G_OBJECT_TYPE(back) != HIOD_TYPE_LEGACY_CONTAINER)
						continue;
					for (guint k = 0; k < (j == c ? i : self->sections->len); k++) {
						HiodLiveSection *t = &g_array_index(self->sections, HiodLiveSection, k);
						hiod_legacy_container_set_vaddr(back, t->iova, t->size,
										valid ? NULL : t->vaddr, NULL);
					}
				}
				return FALSE;
			}
		}
	}
	return TRUE;
}
#endif

static void
hiod_json_hex(JsonBuilder *b, const gchar *key, guint64 v)
{
	g_autofree gchar *s = g_strdup_printf("0x%" G_GINT64_MODIFIER "x", v);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, s);
}

/* adds an inheritable duplicate of @fd to @fds; its index */
static gint
hiod_live_update_add_fd(HiodContext *ctx, GArray *fds, gint fd, GError **error)
{
	gint dup_fd = hiod_kernel_dup_inheritable(ctx, fd, 3, error);
	if (dup_fd < 0)
		return -1;
	g_array_append_val(fds, dup_fd);
	return (gint)fds->len - 1;
}

/* Hand-off mode on or off for every container of the update (the old
 * process stops, or goes back to, changing what the new one adopts). */
static void
hiod_live_update_set_handoff(HiodLiveUpdate *self, gboolean on)
{
	for (guint c = 0; c < self->containers->len; c++) {
		HiodContainer *container = g_ptr_array_index(self->containers, c);
#if HIOD_HAVE_LEGACY_VFIO
		if (G_OBJECT_TYPE(container) == HIOD_TYPE_LEGACY_CONTAINER)
			hiod_legacy_container_set_handoff(HIOD_LEGACY_CONTAINER(container), on);
#endif
#if HIOD_HAVE_IOMMUFD
		if (HIOD_IS_IOMMUFD_CONTAINER(container))
			hiod_iommufd_container_set_handoff(HIOD_IOMMUFD_CONTAINER(container), on);
#endif
	}
}

/* One device of a container in the document: its address and the index of
 * its fd in *@out; the object is left open for the backend's own members. */
static gboolean
hiod_live_update_begin_device(JsonBuilder *b, HiodContext *ctx, GArray *out, HiodVfioDevice *dev,
			      GError **error)
{
	gint idx = hiod_live_update_add_fd(ctx, out, hiod_vfio_device_get_fd(dev), error);
	if (idx < 0)
		return FALSE;
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, hiod_vfio_device_get_name(dev));
	json_builder_set_member_name(b, "fd");
	json_builder_add_int_value(b, idx);
	return TRUE;
}

/**
 * hiod_live_update_save:
 * @self: a #HiodLiveUpdate
 * @fds: (out) (transfer full) (element-type gint): the fds the document names, by index
 * @error: return location for a #GError
 *
 * Takes the old process's host addresses away from the kernel mappings (they
 * and their pins stay: the device's DMA goes on) and writes the state. The
 * fds are duplicates without close-on-exec: exec the new process with them,
 * or send them (hiod_live_update_send()) and close them. From here the old
 * objects are in hand-off mode: the old process must not map through the
 * space until hiod_live_update_cancel().
 *
 * Returns: (transfer full): the document (JSON), or %NULL with nothing changed
 *
 * Since: 0.1
 */
gchar *
hiod_live_update_save(HiodLiveUpdate *self, GArray **fds, GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(gint));
	HiodContext *ctx = hiod_address_space_get_context(self->space);
	gchar *doc;

	g_return_val_if_fail(HIOD_IS_LIVE_UPDATE(self), NULL);
	g_return_val_if_fail(fds != NULL, NULL);
	if (self->state != STATE_READY) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    "the state was saved already: cancel first");
		return NULL;
	}
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "hiod_live_update");
	json_builder_add_int_value(b, HIOD_LIVE_UPDATE_VERSION);
	json_builder_set_member_name(b, "memory");
	json_builder_begin_array(b);
	for (guint i = 0; i < self->regions->len; i++) {
		HiodMemoryRegion *r = &g_array_index(self->regions, HiodMemoryRegion, i);
		struct stat st;
		gint idx = hiod_live_update_add_fd(ctx, out, r->fd, error);
		if (idx < 0 || fstat(r->fd, &st) < 0)
			goto fail;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "fd");
		json_builder_add_int_value(b, idx);
		hiod_json_hex(b, "dev", st.st_dev);
		hiod_json_hex(b, "ino", st.st_ino);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "containers");
	json_builder_begin_array(b);
#if HIOD_HAVE_LEGACY_VFIO
	for (guint c = 0; c < self->containers->len; c++) {
		HiodLegacyContainer *lc = g_ptr_array_index(self->containers, c);
		g_autoptr(GArray) groups = NULL;
		g_autoptr(GPtrArray) devices = NULL;
		gint idx;
		if (G_OBJECT_TYPE(lc) != HIOD_TYPE_LEGACY_CONTAINER)
			continue;
		groups = hiod_legacy_container_get_group_ids(lc);
		devices = hiod_container_get_devices(HIOD_CONTAINER(lc));
		idx = hiod_live_update_add_fd(ctx, out, hiod_legacy_container_get_fd(lc), error);
		if (idx < 0)
			goto fail;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "backend");
		json_builder_add_string_value(b, "legacy");
		json_builder_set_member_name(b, "iommu_type");
		json_builder_add_int_value(b, hiod_legacy_container_get_iommu_type(lc));
		json_builder_set_member_name(b, "fd");
		json_builder_add_int_value(b, idx);
		json_builder_set_member_name(b, "groups");
		json_builder_begin_array(b);
		for (guint g = 0; g < groups->len; g++) {
			gint id = g_array_index(groups, gint, g);
			idx = hiod_live_update_add_fd(ctx, out, hiod_legacy_container_get_group_fd(lc, id), error);
			if (idx < 0)
				goto fail;
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "id");
			json_builder_add_int_value(b, id);
			json_builder_set_member_name(b, "fd");
			json_builder_add_int_value(b, idx);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_set_member_name(b, "devices");
		json_builder_begin_array(b);
		for (guint d = 0; d < devices->len; d++) {
			if (!hiod_live_update_begin_device(b, ctx, out, g_ptr_array_index(devices, d), error))
				goto fail;
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
#endif
#if HIOD_HAVE_IOMMUFD
	for (guint c = 0; c < self->containers->len; c++) {
		HiodContainer *container = g_ptr_array_index(self->containers, c);
		HiodIommufdContainer *ic;
		g_autoptr(GArray) hwpts = NULL;
		g_autoptr(GPtrArray) devices = NULL;
		gint idx;
		if (!HIOD_IS_IOMMUFD_CONTAINER(container))
			continue;
		ic = HIOD_IOMMUFD_CONTAINER(container);
		hwpts = hiod_iommufd_container_get_hwpt_ids(ic);
		devices = hiod_container_get_devices(container);
		idx = hiod_live_update_add_fd(ctx, out, hiod_iommufd_backend_get_fd(hiod_iommufd_container_get_backend(ic)),
					      error);
		if (idx < 0)
			goto fail;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "backend");
		json_builder_add_string_value(b, "iommufd");
		json_builder_set_member_name(b, "fd");
		json_builder_add_int_value(b, idx);
		json_builder_set_member_name(b, "ioas");
		json_builder_add_int_value(b, hiod_iommufd_container_get_ioas_id(ic));
		json_builder_set_member_name(b, "hwpts");
		json_builder_begin_array(b);
		for (guint h = 0; h < hwpts->len; h++) {
			guint32 id = g_array_index(hwpts, guint32, h);
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "id");
			json_builder_add_int_value(b, id);
			json_builder_set_member_name(b, "flags");
			json_builder_add_int_value(b, hiod_iommufd_container_get_hwpt_flags(ic, id));
			json_builder_set_member_name(b, "autodomain");
			json_builder_add_boolean_value(b, hiod_iommufd_container_get_hwpt_autodomain(ic, id));
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_set_member_name(b, "devices");
		json_builder_begin_array(b);
		for (guint d = 0; d < devices->len; d++) {
			HiodVfioDevice *dev = g_ptr_array_index(devices, d);
			if (!hiod_live_update_begin_device(b, ctx, out, dev, error))
				goto fail;
			json_builder_set_member_name(b, "devid");
			json_builder_add_int_value(b, hiod_vfio_device_get_devid(dev));
			json_builder_set_member_name(b, "hwpt");
			json_builder_add_int_value(b, hiod_vfio_device_get_hwpt_id(dev));
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
#endif
	json_builder_end_array(b);
	json_builder_set_member_name(b, "sections");
	json_builder_begin_array(b);
	for (guint i = 0; i < self->sections->len; i++) {
		HiodLiveSection *s = &g_array_index(self->sections, HiodLiveSection, i);
		json_builder_begin_object(b);
		hiod_json_hex(b, "iova", s->iova);
		hiod_json_hex(b, "size", s->size);
		json_builder_set_member_name(b, "readonly");
		json_builder_add_boolean_value(b, (s->flags & HIOD_DMA_FLAGS_READONLY) != 0);
		json_builder_set_member_name(b, "memory");
		json_builder_add_int_value(b, s->region);
		hiod_json_hex(b, "offset", s->offset);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);

#if HIOD_HAVE_LEGACY_VFIO
	/* the old host addresses go: from here only the new process gives them */
	if (!hiod_live_update_set_vaddrs(self, FALSE, error)) {
		g_prefix_error(error, "taking the old host addresses away: ");
		goto fail;
	}
#endif
	/* iommufd: nothing to take away (the kernel pins the files); the old
	 * process only stops changing the objects the new one will own */
	hiod_live_update_set_handoff(self, TRUE);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	doc = json_generator_to_data(gen, NULL);
	self->state = STATE_SAVED;
	*fds = g_steal_pointer(&out);
	return doc;

fail:
	for (guint i = 0; i < out->len; i++)
		hiod_kernel_close(ctx, g_array_index(out, gint, i));
	return NULL;
}

/**
 * hiod_live_update_cancel:
 * @self: a #HiodLiveUpdate
 * @error: return location for a #GError
 *
 * The new process did not adopt (it died, or refused): gives the old host
 * addresses back to the kernel mappings and ends hand-off mode; the old
 * process goes on as before. Close the fds hiod_live_update_save() gave.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_live_update_cancel(HiodLiveUpdate *self, GError **error)
{
	g_return_val_if_fail(HIOD_IS_LIVE_UPDATE(self), FALSE);
	if (self->state != STATE_SAVED) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_STATE,
				    self->state == STATE_DONE ? "the update completed: the new process owns the state"
							      : "nothing was saved: nothing to cancel");
		return FALSE;
	}
#if HIOD_HAVE_IOMMUFD
	/* the pinned-memory counts back to this process, in case the new one took them */
	for (guint c = 0; c < self->containers->len; c++) {
		HiodContainer *container = g_ptr_array_index(self->containers, c);
		if (HIOD_IS_IOMMUFD_CONTAINER(container) &&
		    !hiod_iommufd_backend_change_process(
			hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(container)), error)) {
			g_prefix_error(error, "taking the iommufd mappings back: ");
			return FALSE;
		}
	}
#endif
#if HIOD_HAVE_LEGACY_VFIO
	if (!hiod_live_update_set_vaddrs(self, TRUE, error)) {
		g_prefix_error(error, "giving the old host addresses back (has the new process adopted?): ");
		return FALSE;
	}
#endif
	hiod_live_update_set_handoff(self, FALSE);
	self->state = STATE_READY;
	return TRUE;
}

/**
 * hiod_live_update_complete:
 * @self: a #HiodLiveUpdate
 *
 * The new process adopted: the old objects stay in hand-off mode for good,
 * so the old process can drop them (or exit) without changing the kernel
 * state the new one uses.
 *
 * Since: 0.1
 */
void
hiod_live_update_complete(HiodLiveUpdate *self)
{
	g_return_if_fail(HIOD_IS_LIVE_UPDATE(self));
	if (self->state == STATE_SAVED)
		self->state = STATE_DONE;
}

/* the new process ------------------------------------------------------------ */

static gboolean
hiod_live_get_u64(JsonObject *o, const gchar *key, guint64 *v, GError **error)
{
	JsonNode *n = json_object_get_member(o, key);
	const gchar *s;
	if (n == NULL || json_node_get_value_type(n) != G_TYPE_STRING ||
	    !g_str_has_prefix((s = json_node_get_string(n)), "0x") ||
	    !g_ascii_string_to_unsigned(s + 2, 16, 0, G_MAXUINT64, v, NULL)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "live-update document: '%s' is missing or not a 0x... number", key);
		return FALSE;
	}
	return TRUE;
}

static gboolean
hiod_live_get_index(JsonObject *o, const gchar *key, guint n, guint *v, GError **error)
{
	JsonNode *node = json_object_get_member(o, key);
	gint64 i;
	if (node == NULL || json_node_get_value_type(node) != G_TYPE_INT64 ||
	    (i = json_node_get_int(node)) < 0 || (guint64)i >= n) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "live-update document: '%s' is missing or not an index below %u", key, n);
		return FALSE;
	}
	*v = (guint)i;
	return TRUE;
}

static JsonArray *
hiod_live_get_array(JsonObject *o, const gchar *key, GError **error)
{
	JsonNode *n = json_object_get_member(o, key);
	if (n == NULL || !JSON_NODE_HOLDS_ARRAY(n)) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "live-update document: '%s' is missing or not an array", key);
		return NULL;
	}
	return json_node_get_array(n);
}

/* the new address of [offset, offset + size) of the file @dev:@ino in @regions, or NULL */
static gpointer
hiod_live_find_memory(const HiodMemoryRegion *regions, guint n_regions, guint64 dev, guint64 ino,
		      guint64 offset, guint64 size)
{
	for (guint i = 0; i < n_regions; i++) {
		struct stat st;
		if (regions[i].fd < 0 || fstat(regions[i].fd, &st) < 0 || (guint64)st.st_dev != dev ||
		    (guint64)st.st_ino != ino)
			continue;
		if (offset >= regions[i].offset && size <= regions[i].size &&
		    offset - regions[i].offset <= regions[i].size - size)
			return (guint8 *)regions[i].vaddr + (offset - regions[i].offset);
	}
	return NULL;
}

#if HIOD_HAVE_LEGACY_VFIO || HIOD_HAVE_IOMMUFD
/* The document's devices of @container (@cdevs), opened and attached to it,
 * whose incoming fds it holds; added to @devs. */
static gboolean
hiod_live_adopt_devices(HiodContext *ctx, HiodContainer *container, JsonArray *cdevs, GPtrArray *devs,
			GError **error)
{
	for (guint d = 0; d < json_array_get_length(cdevs); d++) {
		const gchar *address = json_object_get_string_member(json_array_get_object_element(cdevs, d), "address");
		g_autoptr(HiodVfioDevice) dev = hiod_vfio_device_new(ctx, address, error);
		if (dev == NULL || !hiod_vfio_device_attach(dev, container, 0, error)) {
			g_prefix_error(error, "adopting %s: ", address);
			return FALSE;
		}
		g_ptr_array_add(devs, g_steal_pointer(&dev));
	}
	return TRUE;
}
#endif

#if HIOD_HAVE_LEGACY_VFIO
/* a type1 container of the document and its devices (added to @devs), or NULL */
static HiodContainer *
hiod_live_adopt_legacy(HiodContext *ctx, JsonObject *c, const gint *fds, guint n_fds, GPtrArray *devs,
		       GError **error)
{
	g_autoptr(HiodContainer) container = NULL;
	JsonArray *groups, *cdevs;
	guint fdi;
	gint fd;
	JsonNode *type = json_object_get_member(c, "iommu_type");

	if (!hiod_live_get_index(c, "fd", n_fds, &fdi, error) || type == NULL ||
	    json_node_get_value_type(type) != G_TYPE_INT64 ||
	    (groups = hiod_live_get_array(c, "groups", error)) == NULL ||
	    (cdevs = hiod_live_get_array(c, "devices", error)) == NULL) {
		if (error != NULL && *error == NULL)
			g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
					    "live-update document: a container without iommu_type");
		return NULL;
	}
	container = hiod_legacy_container_new(ctx);
	fd = hiod_kernel_dup(ctx, fds[fdi], error);
	if (fd < 0)
		return NULL;
	hiod_legacy_container_set_incoming(HIOD_LEGACY_CONTAINER(container), (guint32)json_node_get_int(type), fd);
	for (guint g = 0; g < json_array_get_length(groups); g++) {
		JsonObject *go = json_array_get_object_element(groups, g);
		g_autofree gchar *key = NULL;
		guint gi;
		if (go == NULL || !hiod_live_get_index(go, "fd", n_fds, &gi, error))
			return NULL;
		key = g_strdup_printf("group:%" G_GINT64_FORMAT, json_object_get_int_member_with_default(go, "id", -1));
		if ((fd = hiod_kernel_dup(ctx, fds[gi], error)) < 0)
			return NULL;
		hiod_legacy_container_add_incoming(HIOD_LEGACY_CONTAINER(container), key, fd);
	}
	for (guint d = 0; d < json_array_get_length(cdevs); d++) {
		JsonObject *dobj = json_array_get_object_element(cdevs, d);
		const gchar *address = dobj != NULL ? json_object_get_string_member_with_default(dobj, "address", NULL) : NULL;
		g_autofree gchar *key = NULL;
		guint di;
		if (address == NULL || !hiod_live_get_index(dobj, "fd", n_fds, &di, error)) {
			if (error != NULL && *error == NULL)
				g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
						    "live-update document: a device without address");
			return NULL;
		}
		key = g_strdup_printf("device:%s", address);
		if ((fd = hiod_kernel_dup(ctx, fds[di], error)) < 0)
			return NULL;
		hiod_legacy_container_add_incoming(HIOD_LEGACY_CONTAINER(container), key, fd);
	}
	if (!hiod_live_adopt_devices(ctx, container, cdevs, devs, error))
		return NULL;
	return g_steal_pointer(&container);
}
#endif

#if HIOD_HAVE_IOMMUFD
/* an iommufd container of the document and its devices (added to @devs), or NULL */
static HiodContainer *
hiod_live_adopt_iommufd(HiodContext *ctx, JsonObject *c, const gint *fds, guint n_fds, GPtrArray *devs,
			GError **error)
{
	g_autoptr(HiodIommufdBackend) backend = NULL;
	g_autoptr(HiodContainer) container = NULL;
	g_autoptr(GArray) hwpts = g_array_new(FALSE, FALSE, sizeof(HiodIommufdHwptState));
	JsonArray *hw, *cdevs;
	gint64 ioas = json_object_get_int_member_with_default(c, "ioas", 0);
	guint fdi;
	gint fd;

	if (!hiod_live_get_index(c, "fd", n_fds, &fdi, error) ||
	    (hw = hiod_live_get_array(c, "hwpts", error)) == NULL ||
	    (cdevs = hiod_live_get_array(c, "devices", error)) == NULL)
		return NULL;
	if (ioas <= 0 || ioas > G_MAXUINT32) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "live-update document: an iommufd container without its IOAS id");
		return NULL;
	}
	for (guint h = 0; h < json_array_get_length(hw); h++) {
		JsonObject *ho = json_array_get_object_element(hw, h);
		HiodIommufdHwptState st = {0};
		gint64 id = ho != NULL ? json_object_get_int_member_with_default(ho, "id", 0) : 0;
		if (id <= 0 || id > G_MAXUINT32) {
			g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
					    "live-update document: a HWPT without its id");
			return NULL;
		}
		st.id = (guint32)id;
		st.flags = (guint32)json_object_get_int_member_with_default(ho, "flags", 0);
		st.autodomain = json_object_get_boolean_member_with_default(ho, "autodomain", FALSE);
		g_array_append_val(hwpts, st);
	}
	if ((fd = hiod_kernel_dup(ctx, fds[fdi], error)) < 0)
		return NULL;
	backend = hiod_iommufd_backend_new_taking_fd(ctx, fd, error);
	if (backend == NULL) {
		hiod_kernel_close(ctx, fd);
		return NULL;
	}
	container = hiod_iommufd_container_new(ctx, backend, error);
	if (container == NULL ||
	    !hiod_iommufd_container_set_incoming(HIOD_IOMMUFD_CONTAINER(container), (guint32)ioas,
						 (HiodIommufdHwptState *)hwpts->data, hwpts->len, error))
		return NULL;
	for (guint d = 0; d < json_array_get_length(cdevs); d++) {
		JsonObject *dobj = json_array_get_object_element(cdevs, d);
		const gchar *address = dobj != NULL ? json_object_get_string_member_with_default(dobj, "address", NULL) : NULL;
		gint64 devid = dobj != NULL ? json_object_get_int_member_with_default(dobj, "devid", 0) : 0;
		gint64 hwpt = dobj != NULL ? json_object_get_int_member_with_default(dobj, "hwpt", 0) : 0;
		guint di;
		if (address == NULL || devid <= 0 || devid > G_MAXUINT32 || hwpt <= 0 || hwpt > G_MAXUINT32 ||
		    !hiod_live_get_index(dobj, "fd", n_fds, &di, error)) {
			if (error != NULL && *error == NULL)
				g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
						    "live-update document: an iommufd device without address, "
						    "devid or hwpt");
			return NULL;
		}
		if ((fd = hiod_kernel_dup(ctx, fds[di], error)) < 0)
			return NULL;
		hiod_iommufd_container_add_incoming(HIOD_IOMMUFD_CONTAINER(container), address, fd,
						    (guint32)devid, (guint32)hwpt);
	}
	if (!hiod_live_adopt_devices(ctx, container, cdevs, devs, error))
		return NULL;
	return g_steal_pointer(&container);
}
#endif

/**
 * hiod_live_update_adopt:
 * @ctx: a #HiodContext
 * @document: what hiod_live_update_save() wrote
 * @fds: (array length=n_fds): the fds it gave, in its order (the caller keeps them: hiod
 *   duplicates what it keeps)
 * @n_fds: how many
 * @regions: (array length=n_regions): where this process mapped the guest memory files
 * @n_regions: how many
 * @devices: (out) (transfer full) (element-type HiodVfioDevice) (optional): the devices,
 *   attached
 * @error: return location for a #GError
 *
 * The new process's half: checks that @regions map the same files as the
 * document's sections (refused with %HIOD_ERROR_INCOMPATIBLE before anything
 * changes otherwise), rebuilds the containers and devices from the fds
 * without attaching anything anew, and gives every mapping its new host
 * address. No mapping is made or removed. On failure the kernel state is
 * as it was after the save (the old process can still cancel).
 *
 * Returns: (transfer full): the adopted #HiodAddressSpace, or %NULL
 *
 * Since: 0.1
 */
HiodAddressSpace *
hiod_live_update_adopt(HiodContext *ctx, const gchar *document, const gint *fds, guint n_fds,
		       const HiodMemoryRegion *regions, guint n_regions, GPtrArray **devices,
		       GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GPtrArray) containers = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GPtrArray) devs = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(HiodAddressSpace) space = NULL;
	g_autoptr(GArray) addrs = g_array_new(FALSE, FALSE, sizeof(gpointer));
	JsonObject *root;
	JsonArray *memory, *cs, *sections;
	JsonNode *version;

	g_return_val_if_fail(HIOD_IS_CONTEXT(ctx), NULL);
	g_return_val_if_fail(document != NULL, NULL);
	{
		g_autoptr(GError) local = NULL;
		if (!json_parser_load_from_data(parser, document, -1, &local)) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "live-update document: not JSON (%s)", local->message);
			return NULL;
		}
	}
	if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_set_error_literal(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
				    "live-update document: not a JSON object");
		return NULL;
	}
	root = json_node_get_object(json_parser_get_root(parser));
	version = json_object_get_member(root, "hiod_live_update");
	if (version == NULL || json_node_get_value_type(version) != G_TYPE_INT64 ||
	    json_node_get_int(version) != HIOD_LIVE_UPDATE_VERSION) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "not a version %d hiod live-update document", HIOD_LIVE_UPDATE_VERSION);
		return NULL;
	}
	if ((memory = hiod_live_get_array(root, "memory", error)) == NULL ||
	    (cs = hiod_live_get_array(root, "containers", error)) == NULL ||
	    (sections = hiod_live_get_array(root, "sections", error)) == NULL)
		return NULL;

	/* 1. the memory: every section's file, mapped here; nothing is asked of the kernel yet */
	for (guint i = 0; i < json_array_get_length(sections); i++) {
		JsonObject *s = json_array_get_object_element(sections, i);
		JsonObject *m;
		guint64 iova, size, offset, dev, ino;
		guint mi;
		gpointer at;
		if (s == NULL || !hiod_live_get_u64(s, "iova", &iova, error) ||
		    !hiod_live_get_u64(s, "size", &size, error) ||
		    !hiod_live_get_u64(s, "offset", &offset, error) ||
		    !hiod_live_get_index(s, "memory", json_array_get_length(memory), &mi, error))
			return NULL;
		m = json_array_get_object_element(memory, mi);
		if (m == NULL || !hiod_live_get_u64(m, "dev", &dev, error) || !hiod_live_get_u64(m, "ino", &ino, error))
			return NULL;
		at = hiod_live_find_memory(regions, n_regions, dev, ino, offset, size);
		if (at == NULL) {
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_INCOMPATIBLE,
				    "the memory given is not the old process's: section IOVA 0x%" G_GINT64_MODIFIER
				    "x (0x%" G_GINT64_MODIFIER "x bytes) lives at offset 0x%" G_GINT64_MODIFIER
				    "x of file %" G_GINT64_MODIFIER "x:%" G_GINT64_MODIFIER "u, and no region maps "
				    "that: map the memfd the old process handed over (document's memory %u) and "
				    "give it; nothing was changed",
				    iova, size, offset, dev, ino, mi);
			return NULL;
		}
		g_array_append_val(addrs, at);
	}

	/* 2. the containers and devices, from the fds */
	for (guint i = 0; i < json_array_get_length(cs); i++) {
		JsonObject *c = json_array_get_object_element(cs, i);
		const gchar *backend = c != NULL ? json_object_get_string_member_with_default(c, "backend", "") : "";
		HiodContainer *container = NULL;
#if HIOD_HAVE_LEGACY_VFIO
		if (g_strcmp0(backend, "legacy") == 0)
			container = hiod_live_adopt_legacy(ctx, c, fds, n_fds, devs, error);
		else
#endif
#if HIOD_HAVE_IOMMUFD
		if (g_strcmp0(backend, "iommufd") == 0)
			container = hiod_live_adopt_iommufd(ctx, c, fds, n_fds, devs, error);
		else
#endif
		{
			g_set_error(error, HIOD_ERROR, HIOD_ERROR_NOT_SUPPORTED,
				    "live-update document: a container of backend '%s', which this build "
				    "of hiod cannot adopt",
				    backend);
			goto fail;
		}
		if (container == NULL)
			goto fail;
		g_ptr_array_add(containers, container);
	}

	/* 3. the sections with their new addresses; joining gives each mapping its address */
	space = hiod_address_space_new(ctx);
	for (guint i = 0; i < n_regions; i++) {
		/* later sections of this memory map from the file too */
		if (!hiod_address_space_add_memory(space, &regions[i], error))
			goto fail;
	}
	for (guint i = 0; i < json_array_get_length(sections); i++) {
		JsonObject *s = json_array_get_object_element(sections, i);
		guint64 iova = 0, size = 0;
		HiodDmaFlags flags = json_object_get_boolean_member_with_default(s, "readonly", FALSE)
					 ? HIOD_DMA_FLAGS_READONLY : HIOD_DMA_FLAGS_NONE;
		hiod_live_get_u64(s, "iova", &iova, NULL);
		hiod_live_get_u64(s, "size", &size, NULL);
		if (!hiod_address_space_add_section(space, iova, size, g_array_index(addrs, gpointer, i), flags, error))
			goto fail;
	}
	for (guint i = 0; i < containers->len; i++) {
		if (!hiod_address_space_add_container(space, g_ptr_array_index(containers, i), error)) {
			g_prefix_error(error, "giving the mappings their new host addresses: ");
			goto fail;
		}
	}
#if HIOD_HAVE_IOMMUFD
	/* the kernel moves the pinned-memory counts here: the last step that can fail */
	for (guint i = 0; i < containers->len; i++) {
		HiodContainer *c = g_ptr_array_index(containers, i);
		if (HIOD_IS_IOMMUFD_CONTAINER(c) &&
		    !hiod_iommufd_backend_change_process(hiod_iommufd_container_get_backend(HIOD_IOMMUFD_CONTAINER(c)),
							 error))
			goto fail;
	}
#endif
	for (guint i = 0; i < containers->len; i++) {
		HiodContainer *c = g_ptr_array_index(containers, i);
		guint left = 0;
#if HIOD_HAVE_LEGACY_VFIO
		if (G_OBJECT_TYPE(c) == HIOD_TYPE_LEGACY_CONTAINER)
			left = hiod_legacy_container_finish_incoming(HIOD_LEGACY_CONTAINER(c));
#endif
#if HIOD_HAVE_IOMMUFD
		if (HIOD_IS_IOMMUFD_CONTAINER(c))
			left = hiod_iommufd_container_finish_incoming(HIOD_IOMMUFD_CONTAINER(c));
#endif
		if (left > 0)
			g_debug("live update: %u fds handed over were not needed", left);
	}
	if (devices != NULL)
		*devices = g_steal_pointer(&devs);
	return g_steal_pointer(&space);

fail:
	/* the containers are still in hand-off mode: dropping them only takes the new addresses away */
	for (guint i = 0; space != NULL && i < containers->len; i++)
		hiod_address_space_remove_container(space, g_ptr_array_index(containers, i));
	return NULL;
}

/* over a socket ------------------------------------------------------------------ */

/**
 * hiod_live_update_send:
 * @socket_fd: a connected Unix stream socket
 * @document: the document
 * @fds: (array length=n_fds): its fds (sent as SCM_RIGHTS; the caller keeps and closes them)
 * @n_fds: how many (at most 64)
 * @error: return location for a #GError
 *
 * Sends a 4-byte length, the document and its fds in one message.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_live_update_send(gint socket_fd, const gchar *document, const gint *fds, guint n_fds, GError **error)
{
	gsize len = strlen(document);
	guint32 hdr = (guint32)len;
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(gpointer)document, len}};
	union {
		struct cmsghdr align;
		gchar buf[CMSG_SPACE(sizeof(gint) * HIOD_LIVE_UPDATE_MAX_FDS)];
	} control;
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
	gsize sent = 0, total = sizeof(hdr) + len;

	if (n_fds > HIOD_LIVE_UPDATE_MAX_FDS || len > HIOD_LIVE_UPDATE_MAX_DOC) {
		g_set_error(error, HIOD_ERROR, HIOD_ERROR_INVALID_ARGUMENT,
			    "a live update sends at most %u fds and %u bytes", HIOD_LIVE_UPDATE_MAX_FDS,
			    HIOD_LIVE_UPDATE_MAX_DOC);
		return FALSE;
	}
	memset(&control, 0, sizeof(control));
	if (n_fds > 0) {
		struct cmsghdr *cm;
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(gint) * n_fds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(gint) * n_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(gint) * n_fds);
	}
	while (sent < total) {
		gssize n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			gint errsv = errno;
			hiod_kernel_set_error(error, errsv, "sending the live-update state");
			return FALSE;
		}
		sent += (gsize)n;
		/* the fds went with the first bytes; the rest is plain data */
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		while (n > 0 && msg.msg_iovlen > 0) {
			gsize take = MIN((gsize)n, msg.msg_iov[0].iov_len);
			msg.msg_iov[0].iov_base = (gchar *)msg.msg_iov[0].iov_base + take;
			msg.msg_iov[0].iov_len -= take;
			n -= (gssize)take;
			if (msg.msg_iov[0].iov_len == 0) {
				msg.msg_iov++;
				msg.msg_iovlen--;
			}
		}
	}
	return TRUE;
}

/**
 * hiod_live_update_receive:
 * @socket_fd: a connected Unix stream socket
 * @document: (out) (transfer full): the document
 * @fds: (out) (transfer full) (element-type gint): the fds that came with it (close-on-exec;
 *   the caller owns them)
 * @error: return location for a #GError
 *
 * Receives what hiod_live_update_send() sent. On failure no fd is left open.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
hiod_live_update_receive(gint socket_fd, gchar **document, GArray **fds, GError **error)
{
	guint32 hdr = 0;
	struct iovec iov = {&hdr, sizeof(hdr)};
	union {
		struct cmsghdr align;
		gchar buf[CMSG_SPACE(sizeof(gint) * HIOD_LIVE_UPDATE_MAX_FDS)];
	} control;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	g_autoptr(GArray) got = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autofree gchar *doc = NULL;
	gssize n;
	gsize have = 0;

	do
		n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); n >= 0 && cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			guint k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(gint);
			gint *p = (gint *)CMSG_DATA(cm);
			for (guint i = 0; i < k; i++)
				g_array_append_val(got, p[i]);
		}
	}
	if (n != (gssize)sizeof(hdr) || (msg.msg_flags & MSG_CTRUNC) || hdr > HIOD_LIVE_UPDATE_MAX_DOC) {
		gint errsv = n < 0 ? errno : EPROTO;
		for (guint i = 0; i < got->len; i++)
			close(g_array_index(got, gint, i));
		hiod_kernel_set_error(error, errsv, "receiving the live-update state (%s)",
				      n == 0 ? "the sender closed the socket" : "a short or oversized message");
		return FALSE;
	}
	doc = g_malloc(hdr + 1);
	while (have < hdr) {
		n = recv(socket_fd, doc + have, hdr - have, MSG_WAITALL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			gint errsv = n < 0 ? errno : EPROTO;
			for (guint i = 0; i < got->len; i++)
				close(g_array_index(got, gint, i));
			hiod_kernel_set_error(error, errsv, "receiving the live-update document");
			return FALSE;
		}
		have += (gsize)n;
	}
	doc[hdr] = '\0';
	*document = g_steal_pointer(&doc);
	*fds = g_steal_pointer(&got);
	return TRUE;
}

static void
hiod_live_update_finalize(GObject *object)
{
	HiodLiveUpdate *self = HIOD_LIVE_UPDATE(object);
	g_array_unref(self->regions);
	g_array_unref(self->sections);
	g_ptr_array_unref(self->containers);
	g_clear_object(&self->space);
	G_OBJECT_CLASS(hiod_live_update_parent_class)->finalize(object);
}

static void
hiod_live_update_init(HiodLiveUpdate *self)
{
	self->regions = g_array_new(FALSE, FALSE, sizeof(HiodMemoryRegion));
	self->sections = g_array_new(FALSE, FALSE, sizeof(HiodLiveSection));
	self->containers = g_ptr_array_new_with_free_func(g_object_unref);
}

static void
hiod_live_update_class_init(HiodLiveUpdateClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hiod_live_update_finalize;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hiod-info: the C side of the README's tour.
 *
 *   hiod-info DEVICE [auto|legacy|spapr|iommufd]
 *
 * Attaches DEVICE (a PCI address bound to vfio-pci) through an address space,
 * prints what its host IOMMU device learned about the physical IOMMU, maps a
 * page of "guest RAM" into every container of the space, and detaches.
 * Build against an installed hiod with:
 *
 *   cc hiod-info.c $(pkg-config --cflags --libs hiod) -o hiod-info
 */
#include <hiod.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HiodContext) ctx = hiod_context_new();
	g_autoptr(HiodVfioDevice) dev = NULL;
	g_autoptr(HiodAddressSpace) as = NULL;
	g_autoptr(GPtrArray) ranges = NULL;
	gpointer buf = NULL;
	HiodBackendKind kind = HIOD_BACKEND_KIND_AUTO;
	HiodContainer *c;
	HiodHostIommuDevice *hiod;
	HiodHostIommuCaps *caps;
	const gsize size = 0x1000;
	guint64 mask = 0;

	if (argc < 2 || argc > 3) {
		g_printerr("usage: %s DEVICE [auto|legacy|spapr|iommufd]\n", argv[0]);
		return 2;
	}
	if (argc == 3 && !hiod_backend_kind_from_string(argv[2], &kind, &error))
		goto fail;

	dev = hiod_vfio_device_new(ctx, argv[1], &error);
	if (dev == NULL)
		goto fail;
	as = hiod_address_space_new(ctx);

	/* find or make a container (iommufd when the host has it), attach, realize */
	c = hiod_address_space_attach_device(as, dev, kind, 0, &error);
	if (c == NULL)
		goto fail;
	hiod = hiod_vfio_device_get_host_iommu_device(dev);
	caps = hiod_host_iommu_device_get_caps(hiod);
	g_print("backend: %s\n", hiod_backend_kind_to_string(hiod_container_get_backend_kind(c)));
	g_print("address width %u bits\n", hiod_host_iommu_caps_get_aw_bits(caps));
	ranges = hiod_host_iommu_device_get_iova_ranges(hiod, &error);
	if (ranges == NULL)
		goto fail_attached;
	for (guint i = 0; i < ranges->len; i++) {
		HiodIovaRange *r = g_ptr_array_index(ranges, i);
		g_print("iova range 0x%" G_GINT64_MODIFIER "x-0x%" G_GINT64_MODIFIER "x\n", r->start,
			r->last);
	}
	if (hiod_host_iommu_device_get_page_size_mask(hiod, &mask, NULL))
		g_print("page sizes 0x%" G_GINT64_MODIFIER "x\n", mask);

	/* guest RAM at IOVA 0x100000, mirrored into every container of the space */
	buf = g_aligned_alloc0(1, size, size);
	if (!hiod_address_space_add_section(as, 0x100000, size, buf, HIOD_DMA_FLAGS_NONE, &error))
		goto fail_attached;
	g_print("sections: %u\n", hiod_address_space_get_n_sections(as));
	if (!hiod_address_space_remove_section(as, 0x100000, size, &error))
		goto fail_attached;

	hiod_address_space_detach_device(as, dev);
	g_aligned_free(buf);
	return EXIT_SUCCESS;

fail_attached:
	hiod_address_space_detach_device(as, dev);
	g_aligned_free(buf);
fail:
	g_printerr("hiod-info: %s\n", error->message);
	return EXIT_FAILURE;
}

#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A tour of libhiod from Python, through GObject-Introspection.

    hiod-tour.py [DEVICE] [--backend auto|legacy|spapr|iommufd] [--viommu-aw-bits N ...]

1. lists the PCI devices with their IOMMU groups and VFIO nodes;
2. opens an assigned device (DEVICE, or the first one bound to vfio-pci)
   through an address space (iommufd when the host has it, else VFIO type1);
3. prints what its host IOMMU device learned about the physical IOMMU: type,
   address width, usable IOVA ranges, page sizes and, on Intel VT-d, the
   decoded capability registers;
4. asks an emulated Intel vIOMMU whether it would take the device, once per
   address width given (default: 39 and 48), with the reasons when not;
5. detaches the device.

Each line it prints is "key: value" so that a test (tests/vm/test-tour.py)
can read it back. Running from a build tree:

    GI_TYPELIB_PATH=build/src LD_LIBRARY_PATH=build/src ./examples/hiod-tour.py

It needs root (or access to /dev/vfio and /dev/iommu) for steps 2-5.
"""
import argparse
import sys

import gi

gi.require_version("Hiod", "1.0")
from gi.repository import GLib, Hiod  # noqa: E402


def hexs(value):
    return "0x%x" % value


def page_sizes(mask):
    """'4K 2M 1G' from a page-size bitmap."""
    names = []
    for bit in range(64):
        if mask & (1 << bit):
            size = 1 << bit
            for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
                if size >= 1 << shift and size % (1 << shift) == 0:
                    names.append("%d%s" % (size >> shift, unit))
                    break
            else:
                names.append(str(size))
    return " ".join(names)


def list_devices(ctx):
    print("vfio: %s" % ("yes" if ctx.has_vfio_container() else "no"))
    print("iommufd: %s" % ("yes" if ctx.has_iommufd() else "no"))
    devices = ctx.list_pci_devices()
    print("devices: %d" % len(devices))
    for d in devices:
        group = d.get_iommu_group()
        print("device: %s %04x:%04x driver=%s group=%s cdev=%s"
              % (d.get_address(), d.get_vendor_id(), d.get_device_id(),
                 d.get_driver() or "-", group if group >= 0 else "-",
                 d.get_vfio_cdev_node() or "-"))
    return devices


def print_caps(hiod):
    caps = hiod.get_caps()
    print("host_iommu_device: %s (%s)" % (hiod.get_name(), type(hiod).__name__))
    print("realized: %s" % ("yes" if hiod.is_realized() else "no"))
    print("iommu_type: %s" % caps.get_iommu_type().value_nick)
    print("aw_bits: %d" % caps.get_aw_bits())
    print("hw_caps: %s" % (hexs(int(caps.get_hw_caps()))))
    ranges = hiod.get_iova_ranges()
    print("iova_ranges: %s" % " ".join("%s-%s" % (hexs(r.start), hexs(r.last)) for r in ranges))
    try:
        ok, mask = hiod.get_page_size_mask()
        print("page_size_mask: %s (%s)" % (hexs(mask), page_sizes(mask)))
    except GLib.Error as e:
        if not e.matches(Hiod.error_quark(), Hiod.Error.NOT_SUPPORTED):
            raise
        print("page_size_mask: not reported (%s)" % e.message)
    # Intel VT-d: the capability registers the kernel handed over, decoded
    # (a build without the iommufd backend has no VtdCaps; legacy type1 reports no registers)
    if (hasattr(Hiod, "VtdCaps") and caps.get_iommu_type() == Hiod.IommuType.INTEL_VTD
            and caps.get_vendor_data() is not None):
        vtd = Hiod.VtdCaps.new_from_host_caps(caps)
        print("vtd_cap: %s" % hexs(vtd.get_cap()))
        print("vtd_ecap: %s" % hexs(vtd.get_ecap()))
        print("vtd: address_width=%d second_stage_2m=%s second_stage_1g=%s "
              "caching_mode=%s nesting=%s dirty_tracking=%s scalable_mode=%s"
              % (vtd.get_address_width(), vtd.get_second_stage_2m(), vtd.get_second_stage_1g(),
                 vtd.get_caching_mode(), vtd.get_nesting(), vtd.get_dirty_tracking(),
                 vtd.get_scalable_mode()))
    return caps


def check_viommu(ctx, device, hiod, aw_bits):
    """What an emulated intel-iommu with @aw_bits would say of the device."""
    viommu = Hiod.VtdViommu.new(aw_bits, False)
    topology = Hiod.PciTopology.new_from_sysfs(ctx)
    _, rid, _ = topology.lookup(device.get_name())
    verdict = viommu.check(rid, hiod)
    name = "%s,aw-bits=%d" % (viommu.get_name(), aw_bits)
    print("viommu: %s %s" % (name, "compatible" if verdict.is_compatible() else "incompatible"))
    for reason in verdict.get_reasons():
        print("viommu_reason: %s %s" % (name, reason))
    suggestion = verdict.get_suggestion("aw-bits")
    if suggestion is not None:
        print("viommu_suggestion: %s aw-bits=%s" % (name, suggestion))
    return verdict


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("device", nargs="?", help="a PCI address (default: the first vfio-pci device)")
    parser.add_argument("--backend", default="auto", help="auto, legacy, spapr or iommufd (a VFIO backend of this build)")
    parser.add_argument("--viommu-aw-bits", type=int, action="append",
                        help="address width of the intel-iommu to check against (repeatable)")
    args = parser.parse_args()

    ctx = Hiod.Context.new()
    devices = list_devices(ctx)
    address = args.device
    if address is None:
        bound = [d.get_address() for d in devices if d.get_driver() == "vfio-pci"]
        if not bound:
            print("note: no device is bound to vfio-pci (hiodctl bind DEVICE); stopping after the list")
            return 0
        address = bound[0]

    _, kind = Hiod.backend_kind_from_string(args.backend)
    device = Hiod.VfioDevice.new(ctx, address)
    space = Hiod.AddressSpace.new(ctx)

    # find or make a container of the backend, attach, realize the host IOMMU device
    container = space.attach_device(device, kind, 0)
    print("attached: %s" % device.get_name())
    print("backend: %s" % Hiod.backend_kind_to_string(container.get_backend_kind()))
    hiod = device.get_host_iommu_device()
    hiod.realize(device)  # idempotent: attach already realized it
    print_caps(hiod)

    for aw in args.viommu_aw_bits or [39, 48]:
        check_viommu(ctx, device, hiod, aw)

    space.detach_device(device)
    print("detached: %s" % ("yes" if device.get_container() is None else "no"))
    print("open_fds: %d" % ctx.get_open_fd_count())
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GLib.Error as e:
        print("error: %s: %s" % (Hiod.error_to_nick(e.code) if e.domain == "hiod-error-quark"
                                  else e.domain, e.message))
        sys.exit(1)

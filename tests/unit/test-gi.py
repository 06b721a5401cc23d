#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""GObject-Introspection smoke test: Hiod-1.0 from Python, no device needed.

The typelib loads; a context lists the host's PCI devices as sysfs does; an
error crosses into Python with the hiod domain, its code and nick; enums and
flags have the nicks the CLI and JSON use; boxed values (IOVA ranges, host
IOMMU caps, decoded VT-d registers, verdicts) round-trip; arrays returned
with (transfer container) are freed once. Prints TAP.

Environment: HIOD_LIBDIR (the build's src dir: typelib and libhiod.so).
"""
import errno
import gc
import os
import sys

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish  # noqa: E402


try:
    import gi
    gi.require_version("Hiod", "1.0")
    from gi.repository import GLib, GObject, Hiod
except (ImportError, ValueError) as e:
    check(False, "import Hiod 1.0 through gi (%s; GI_TYPELIB_PATH=%s)" % (e, os.environ.get("GI_TYPELIB_PATH")))
    finish()
check(True, "gi.require_version('Hiod', '1.0') and import")

# Context and the host's PCI devices ------------------------------------------
ctx = Hiod.Context.new()
check(ctx.get_sysfs_root() == "/sys" and ctx.get_dev_root() == "/dev",
      "Context.new() roots /sys and /dev (%s, %s)" % (ctx.get_sysfs_root(), ctx.get_dev_root()))
devices = ctx.list_pci_devices()
sysfs = sorted(os.listdir("/sys/bus/pci/devices")) if os.path.isdir("/sys/bus/pci/devices") else []
check(sorted(d.get_address() for d in devices) == sysfs,
      "list_pci_devices() = /sys/bus/pci/devices (%d devices)" % len(sysfs))
for d in devices[:3]:
    want = "%04x" % int(open("/sys/bus/pci/devices/%s/vendor" % d.get_address()).read(), 16)
    check("%04x" % d.get_vendor_id() == want, "%s vendor %04x = sysfs %s" % (d.get_address(), d.get_vendor_id(), want))
check(isinstance(ctx.has_iommufd(), bool) and ctx.get_open_fd_count() == 0, "has_iommufd(), no fd open")
fake = Hiod.Context.new_with_roots("/nonexistent/sys", "/nonexistent/dev")
check(fake.get_sysfs_root() == "/nonexistent/sys", "Context.new_with_roots()")

# errors: domain, code and nick -----------------------------------------------
try:
    Hiod.VfioDevice.new(ctx, "ffff:ff:1f.7")
    check(False, "VfioDevice.new on a missing device raises")
except GLib.Error as e:
    check(e.matches(Hiod.error_quark(), Hiod.Error.NOT_FOUND),
          "VfioDevice.new on a missing device raises hiod NOT_FOUND (%s %d: %s)" % (e.domain, e.code, e.message))
    check(e.domain == "hiod-error-quark" and Hiod.error_to_nick(e.code) == "not-found",
          "domain hiod-error-quark, nick not-found")
try:
    Hiod.VfioDevice.new(fake, "0000:00:04.0")
    check(False, "VfioDevice.new under empty roots raises")
except GLib.Error as e:
    check(e.matches(Hiod.error_quark(), Hiod.Error.NOT_FOUND), "the context's roots are used (%s)" % e.message)
check(Hiod.error_from_errno(errno.EBUSY) == Hiod.Error.BUSY and
      Hiod.error_from_errno(errno.ENOENT) == Hiod.Error.NOT_FOUND and
      Hiod.error_from_errno(errno.EPERM) == Hiod.Error.PERMISSION_DENIED,
      "error_from_errno maps EBUSY, ENOENT, EPERM")
try:
    Hiod.backend_kind_from_string("nonsense")
    check(False, "backend_kind_from_string('nonsense') raises")
except GLib.Error as e:
    check(e.matches(Hiod.error_quark(), Hiod.Error.INVALID_ARGUMENT), "unknown backend: INVALID_ARGUMENT")

# enums and flags: their nicks are the CLI's and JSON's words -----------------
nicks = [v.value_nick for k, v in sorted(Hiod.Error.__enum_values__.items())]
check(nicks[:3] == ["failed", "not-supported", "not-found"] and nicks[-1] == "io",
      "HiodError nicks (%s)" % ",".join(nicks))
check(all(Hiod.error_to_nick(int(v)) == v.value_nick for v in Hiod.Error.__enum_values__.values()),
      "error_to_nick() agrees with the GEnum nicks")
for kind in Hiod.BackendKind.__enum_values__.values():
    nick = Hiod.backend_kind_to_string(kind)
    ok, back = Hiod.backend_kind_from_string(nick)
    check(ok and back == kind and nick == kind.value_nick, "BackendKind %s round-trips" % nick)
check(Hiod.IommuType.INTEL_VTD.value_nick == "intel-vtd", "IommuType.INTEL_VTD is 'intel-vtd'")
caps_flags = Hiod.HwCaps.DIRTY_TRACKING | Hiod.HwCaps.PCI_PASID_EXEC
check(int(caps_flags) == 3 and Hiod.HwCaps.DIRTY_TRACKING.first_value_nick == "dirty-tracking",
      "HwCaps flags combine; nick 'dirty-tracking'")
check(Hiod.DmaFlags.__gtype__.is_a(GObject.TYPE_FLAGS) and Hiod.BackendKind.__gtype__.is_a(GObject.TYPE_ENUM),
      "DmaFlags is a flags GType, BackendKind an enum GType")

# boxed values ----------------------------------------------------------------
r = Hiod.IovaRange.new(0x1000, 0x1fff)
check(r.start == 0x1000 and r.last == 0x1fff and r.contains(0x1800, 0x800) and not r.contains(0x1800, 0x801),
      "IovaRange fields and contains()")
ranges = Hiod.iova_ranges_new()
check(isinstance(ranges, list) and len(ranges) == 0, "iova_ranges_new() is an empty list")

# the VT-d registers the test VM's kernel reported (docs/test-vm.md)
vendor = bytes.fromhex("0100000000000000860226228c00d2004a0ff00000000000")
caps = Hiod.HostIommuCaps.new(Hiod.IommuType.INTEL_VTD, 1, 39, Hiod.HwCaps.NONE, 0, GLib.Bytes.new(vendor))
check(caps.get_iommu_type() == Hiod.IommuType.INTEL_VTD and caps.get_aw_bits() == 39 and
      caps.get_vendor_data().get_data() == vendor, "HostIommuCaps getters and vendor data")
if hasattr(Hiod, "VtdCaps"):
    vtd = Hiod.VtdCaps.new_from_host_caps(caps)
    check(vtd.get_cap() == 0xd2008c22260286 and vtd.get_ecap() == 0xf00f4a and vtd.get_address_width() == 39
          and vtd.get_caching_mode(), "VtdCaps decodes cap/ecap (39 bits, caching mode)")
if hasattr(Hiod, "VtdViommu"):
    verdict = Hiod.VtdViommu.new(48, False).check_caps(caps, Hiod.BackendKind.IOMMUFD, False)
    check(not verdict.is_compatible() and len(verdict.get_reasons()) >= 1 and
          verdict.get_suggestion("aw-bits") == "39",
          "VtdViommu(48).check_caps on 39-bit caps: incompatible, suggests aw-bits=39 (%s)"
          % verdict.get_reasons())
    verdict = Hiod.VtdViommu.new(39, False).check_caps(caps, Hiod.BackendKind.IOMMUFD, False)
    check(verdict.is_compatible() and verdict.get_reasons() == [], "VtdViommu(39): compatible")
    try:
        Hiod.viommu_new_from_spec("intel-iommu,aw-bits=nonsense")
        check(False, "a bad vIOMMU spec raises")
    except GLib.Error as e:
        check(e.matches(Hiod.error_quark(), Hiod.Error.INVALID_ARGUMENT), "a bad vIOMMU spec: INVALID_ARGUMENT")
    v = Hiod.viommu_new_from_spec("intel-iommu,aw-bits=48")
    check(isinstance(v, Hiod.Viommu) and v.get_name() == "intel-iommu", "viommu_new_from_spec() -> a Viommu")

# interrupts: the kernel's index numbers and flags, callable from Python --------
check([int(Hiod.VfioIrqIndex.INTX), int(Hiod.VfioIrqIndex.MSI), int(Hiod.VfioIrqIndex.MSIX),
       int(Hiod.VfioIrqIndex.ERR), int(Hiod.VfioIrqIndex.REQ)] == [0, 1, 2, 3, 4],
      "VfioIrqIndex is VFIO_PCI_*_IRQ_INDEX")
check(int(Hiod.VfioIrqInfoFlags.EVENTFD | Hiod.VfioIrqInfoFlags.AUTOMASKED) == 5, "VfioIrqInfoFlags are VFIO_IRQ_INFO_*")
check([Hiod.vfio_irq_index_to_string(i) for i in range(6)] == ["INTx", "MSI", "MSI-X", "ERR", "REQ", "IRQ"],
      "vfio_irq_index_to_string()")
for m in ("enable_irq", "disable_irq", "set_irq_vector", "get_irq_fd", "add_irq_watch", "wait_irq",
          "mask_irq", "unmask_irq", "enable_irq_resample", "get_region_caps"):
    check(callable(getattr(Hiod.VfioDevice, m, None)), "VfioDevice.%s is callable from Python" % m)

# iommufd's vIOMMU objects: types, flags and methods reachable from Python ------
if hasattr(Hiod, "IommufdViommu"):
    check(issubclass(Hiod.IommufdFeatures, GObject.GFlags), "IommufdFeatures is a flags type")
    check(int(Hiod.IommufdFeatures.VIOMMU | Hiod.IommufdFeatures.HW_QUEUE) == 9, "IommufdFeatures bits")
    check(int(Hiod.HwptAllocFlags.PASID) == 8, "HwptAllocFlags.PASID is IOMMU_HWPT_ALLOC_PASID")
    for cls, methods in ((Hiod.HostIommuDeviceIommufd, ("alloc_viommu", "attach_pasid", "replace_pasid",
                                                         "detach_pasid", "get_pasid_hwpt_id")),
                         (Hiod.IommufdViommu, ("alloc_vdevice", "alloc_hwpt", "invalidate", "alloc_veventq",
                                               "alloc_hw_queue", "destroy", "get_data")),
                         (Hiod.IommufdVeventq, ("read", "create_source", "get_fd", "destroy")),
                         (Hiod.IommufdVevent, ("get_sequence", "is_lost_events", "get_lost_before",
                                               "get_virt_id", "to_string")),
                         (Hiod.IommufdBackend, ("probe_features",))):
        for m in methods:
            check(callable(getattr(cls, m, None)), "%s.%s is callable from Python" % (cls.__name__, m))

# objects without a kernel ----------------------------------------------------
space = Hiod.AddressSpace.new(ctx)
check(space.get_n_sections() == 0 and space.get_containers() == [], "AddressSpace.new(): empty")
del space, caps, ranges, devices
gc.collect()
check(True, "objects and containers freed once (no crash under G_DEBUG=fatal-criticals)")
finish()

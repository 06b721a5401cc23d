#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM test: the examples against the real kernel.

Runs examples/hiod-tour.py (Python through GObject-Introspection) with the
auto backend (iommufd here) and with the legacy type1 backend, and the C
example hiod-info, and checks what they print against what the kernel shows
in sysfs: the device list, the VT-d cap/ecap registers and address width
(/sys/class/iommu/dmar*/intel-iommu), the usable IOVA ranges (the complement
of the group's reserved_regions), the vIOMMU verdicts that follow from the
address width, and that detaching leaves no fd open. Prints TAP.

Environment: HIOD_TOUR (the script), HIOD_INFO (the C example), HIOD_LIBDIR
(the build's src dir: the typelib and libhiod.so).
"""
import glob
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish  # noqa: E402

TOUR = os.environ["HIOD_TOUR"]
INFO = os.environ.get("HIOD_INFO")
LIBDIR = os.environ["HIOD_LIBDIR"]
PYTHON = "/usr/bin/python3"  # the distribution's, with python3-gi


def run(argv):
    env = dict(os.environ, GI_TYPELIB_PATH=LIBDIR, LD_LIBRARY_PATH=LIBDIR)
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    for line in p.stderr.splitlines():
        print("# stderr: " + line)
    return p


def parse(stdout):
    """'key: value' lines -> {key: [values]}"""
    out = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            out.setdefault(key, []).append(value)
    return out


def one(doc, key):
    v = doc.get(key, [])
    return v[0] if len(v) == 1 else None


def sysfs(path):
    with open(path) as f:
        return f.read().strip()


# what the kernel says ---------------------------------------------------------
dmar = sorted(glob.glob("/sys/class/iommu/dmar*/intel-iommu"))[0]
cap = int(sysfs(dmar + "/cap"), 16)
ecap = int(sysfs(dmar + "/ecap"), 16)
host_aw = ((cap >> 16) & 0x3f) + 1  # MGAW


def kernel_ranges(address, aw):
    """usable IOVA ranges: [0, 2^aw) minus the group's reserved regions"""
    group = os.path.basename(os.readlink("/sys/bus/pci/devices/%s/iommu_group" % address))
    reserved = []
    for line in sysfs("/sys/kernel/iommu_groups/%s/reserved_regions" % group).splitlines():
        start, last, _ = line.split()
        reserved.append((int(start, 16), int(last, 16)))
    ranges, cur, top = [], 0, (1 << aw) - 1
    for start, last in sorted(reserved):
        if start > top:
            break
        if start > cur:
            ranges.append((cur, start - 1))
        cur = max(cur, last + 1)
    if cur <= top:
        ranges.append((cur, top))
    return " ".join("0x%x-0x%x" % r for r in ranges)


def sysfs_devices():
    devs = {}
    for path in glob.glob("/sys/bus/pci/devices/*"):
        drv = os.path.join(path, "driver")
        devs[os.path.basename(path)] = os.path.basename(os.readlink(drv)) if os.path.exists(drv) else "-"
    return devs


# the Python example ----------------------------------------------------------
def tour(backend):
    argv = [PYTHON, TOUR] + (["--backend", backend] if backend else [])
    p = run(argv)
    label = "hiod-tour.py --backend %s" % (backend or "auto")
    if not check(p.returncode == 0, "%s exits 0 (%d)" % (label, p.returncode)):
        for line in p.stdout.splitlines():
            print("# " + line)
        return
    doc = parse(p.stdout)

    listed = {}
    for d in doc.get("device", []):
        words = d.split()
        listed[words[0]] = words[2].split("=", 1)[1]
    check(listed == sysfs_devices(), "%s: device list and drivers match /sys/bus/pci (%d devices)"
          % (label, len(listed)))
    check(one(doc, "iommufd") == ("yes" if os.path.exists("/dev/iommu") else "no"),
          "%s: /dev/iommu reported" % label)
    address = one(doc, "attached")
    bound = sorted(a for a, drv in listed.items() if drv == "vfio-pci")
    check(address == bound[0], "%s: attached the first vfio-pci device (%s)" % (label, address))
    want_backend = backend or ("iommufd" if os.path.exists("/dev/iommu") else "legacy")
    check(one(doc, "backend") == want_backend, "%s: backend %s (%s)" % (label, want_backend, one(doc, "backend")))
    check(one(doc, "realized") == "yes", "%s: host IOMMU device realized" % label)
    want_type = "intel-vtd" if want_backend == "iommufd" else "unknown"
    check(one(doc, "iommu_type") == want_type, "%s: iommu_type %s (%s)" % (label, want_type, one(doc, "iommu_type")))
    check(one(doc, "aw_bits") == str(host_aw), "%s: aw_bits %s = MGAW of the cap register (%d)"
          % (label, one(doc, "aw_bits"), host_aw))
    want_ranges = kernel_ranges(address, host_aw)
    check(one(doc, "iova_ranges") == want_ranges, "%s: IOVA ranges '%s' = 2^aw minus reserved_regions '%s'"
          % (label, one(doc, "iova_ranges"), want_ranges))
    psm = one(doc, "page_size_mask") or ""
    check(psm.startswith("0x") and int(psm.split()[0], 16) & 0x1000, "%s: page sizes include 4K (%s)" % (label, psm))
    if want_backend == "iommufd":
        check(one(doc, "vtd_cap") == "0x%x" % cap and one(doc, "vtd_ecap") == "0x%x" % ecap,
              "%s: decoded VT-d cap/ecap %s/%s = sysfs 0x%x/0x%x"
              % (label, one(doc, "vtd_cap"), one(doc, "vtd_ecap"), cap, ecap))
        vtd = one(doc, "vtd") or ""
        check("address_width=%d " % host_aw in vtd and
              "caching_mode=%s" % bool(cap & (1 << 7)) in vtd,
              "%s: VT-d decode agrees with the registers (%s)" % (label, vtd))
    else:
        check("vtd_cap" not in doc, "%s: no VT-d registers through type1" % label)
    verdicts = {}
    for v in doc.get("viommu", []):
        spec, state = v.split()
        verdicts[int(spec.rsplit("=", 1)[1])] = state
    for aw in (39, 48):
        want = "compatible" if aw <= host_aw else "incompatible"
        check(verdicts.get(aw) == want, "%s: intel-iommu aw-bits=%d %s on a %d-bit host (%s)"
              % (label, aw, want, host_aw, verdicts.get(aw)))
    if host_aw < 48:
        check("intel-iommu,aw-bits=48 aw-bits=%d" % host_aw in doc.get("viommu_suggestion", []),
              "%s: the verdict suggests aw-bits=%d" % (label, host_aw))
    check(one(doc, "detached") == "yes" and one(doc, "open_fds") == "0",
          "%s: detached, no fd left open (%s)" % (label, one(doc, "open_fds")))


tour(None)
tour("legacy")

# the C example ---------------------------------------------------------------
if INFO:
    p = run([INFO, "0000:00:05.0"])
    check(p.returncode == 0, "hiod-info 0000:00:05.0 exits 0 (%d)" % p.returncode)
    doc = parse(p.stdout)
    check("address width %d bits" % host_aw in p.stdout, "hiod-info: address width %d bits" % host_aw)
    check(one(doc, "sections") == "1", "hiod-info: one section mapped through the address space")
    p = run([INFO, "0000:00:05.0", "legacy"])
    check(p.returncode == 0 and one(parse(p.stdout), "backend") == "legacy", "hiod-info on the legacy backend")
    p = run([INFO, "0000:00:01.0"])
    check(p.returncode == 1 and "not bound to vfio-pci" in p.stderr, "hiod-info refuses a device not bound to vfio-pci")

finish()

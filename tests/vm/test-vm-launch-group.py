#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM test (issue 16, topology shared-group): `hiodctl launch` refuses an edu
whose IOMMU group it shares, behind a conventional PCI bridge, with a
virtio-rng that the guest's virtio-pci drives: through both backends the
refusal names the group, the other device, its driver and what to do (exit
12), the VMM does not run, and nothing changed (the group node's owner and
mode, the drivers). Then the other device is unbound: the same launch
(--print) is accepted, so the refusal was about that device. Prints TAP."""
import json
import os
import stat
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish, skip_all  # noqa: E402

HIODCTL = os.environ["HIODCTL"]
PCI = "/sys/bus/pci/devices"


def driver(bdf):
    try:
        return os.path.basename(os.readlink(os.path.join(PCI, bdf, "driver")))
    except OSError:
        return None


def read(bdf, attr):
    with open(os.path.join(PCI, bdf, attr)) as f:
        return f.read().strip()


def group_of(bdf):
    return int(os.path.basename(os.readlink(os.path.join(PCI, bdf, "iommu_group"))))


def launch(bdf, backend, marker, print_mode=False):
    argv = [HIODCTL] + (["--json"] if print_mode else []) + ["launch", bdf, "--backend", backend]
    if print_mode:
        argv += ["--print"]
    argv += ["--", "sh", "-c", "echo ran > %s" % marker, "sh", "-m", "64"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    edus = [b for b in sorted(os.listdir(PCI))
            if read(b, "vendor") == "0x1234" and read(b, "device") == "0x11e8" and driver(b) == "vfio-pci"]
    if not edus:
        skip_all("no edu bound to vfio-pci")
    edu = edus[0]
    gid = group_of(edu)
    members = sorted(os.listdir("/sys/kernel/iommu_groups/%d/devices" % gid))
    others = [m for m in members if m != edu and driver(m) not in (None, "vfio-pci", "pcieport")]
    if not check(len(others) == 1 and driver(others[0]) == "virtio-pci",
                 "the topology: %s shares IOMMU group %d with a device a host driver holds (%s)" %
                 (edu, gid, ", ".join("%s: %s" % (m, driver(m)) for m in members))):
        finish()
        return
    other = others[0]
    node = "/dev/vfio/%d" % gid
    before = os.stat(node)
    work = tempfile.mkdtemp(prefix="hiod-launch-group-")
    for backend in ("legacy", "iommufd"):
        marker = os.path.join(work, "ran-" + backend)
        rc, out, err = launch(edu, backend, marker)
        err = err.strip()
        check(rc == 12 and ("IOMMU group %d is not viable" % gid) in err and
              ("%s, which is bound to virtio-pci" % other) in err and ("hiodctl bind %s" % other) in err and
              "unbind it" in err,
              "%s: launch %s is refused, naming the group, the other device, its driver and what to do "
              "(exit %d: %s)" % (backend, edu, rc, err))
        after = os.stat(node)
        check(not os.path.exists(marker) and after.st_uid == before.st_uid and
              stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode) and
              driver(edu) == "vfio-pci" and driver(other) == "virtio-pci",
              "%s: the VMM did not run and nothing changed (%s %o uid %d; drivers %s, %s)" %
              (backend, node, stat.S_IMODE(after.st_mode), after.st_uid, driver(edu), driver(other)))
    # the reason was that device: without its driver the group is viable
    with open(os.path.join(PCI, other, "driver", "unbind"), "w") as f:
        f.write(other)
    for backend in ("legacy", "iommufd"):
        marker = os.path.join(work, "print-" + backend)
        rc, out, err = launch(edu, backend, marker, print_mode=True)
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        check(rc == 0 and os.path.exists(marker) and doc.get("plan", {}).get("backend") == backend,
              "%s: with %s unbound (no driver) the same launch is accepted and the VMM runs "
              "(exit %d: %s)" % (backend, other, rc, err.strip()[-300:]))
    finish()


main()

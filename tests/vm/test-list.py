#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM test: `hiodctl list --json` on the emulated host sees the two edu
devices bound to vfio-pci, their IOMMU groups and nodes, /dev/iommu and
/dev/vfio/vfio. Prints TAP."""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish  # noqa: E402

HIODCTL = os.environ.get("HIODCTL", "hiodctl")


out = subprocess.run([HIODCTL, "list", "--json"], capture_output=True, text=True)
check(out.returncode == 0, "hiodctl list --json exits 0 (%d: %s)" % (out.returncode, out.stderr.strip()))
doc = json.loads(out.stdout)
check(doc.get("schema_version") == 1 and doc.get("command") == "list", "schema_version and command")
host = doc["host"]
check(host["iommufd"] is True and os.path.exists("/dev/iommu"), "/dev/iommu reported and present")
check(host["vfio_container"] is True and os.path.exists("/dev/vfio/vfio"), "/dev/vfio/vfio reported and present")
check("note" not in host, "no 'no VFIO' note on a VFIO host")
edus = [d for d in doc["devices"] if d["vendor_id"] == "1234" and d["device_id"] == "11e8"]
check(len(edus) == 2, "two edu devices (%d)" % len(edus))
groups = set()
for d in edus:
    addr = d["address"]
    check(d["driver"] == "vfio-pci" and d["vfio_bound"], "%s bound to vfio-pci" % addr)
    grp = d["iommu_group"]
    real = os.path.basename(os.readlink("/sys/bus/pci/devices/%s/iommu_group" % addr))
    check(grp is not None and str(grp) == real, "%s group %s matches sysfs (%s)" % (addr, grp, real))
    groups.add(grp)
    check(d["vfio_group_node"] == "/dev/vfio/%s" % grp and os.path.exists(d["vfio_group_node"]),
          "%s group node %s" % (addr, d["vfio_group_node"]))
    cdevs = os.listdir("/sys/bus/pci/devices/%s/vfio-dev" % addr)
    check(d["vfio_cdev_node"] == "/dev/vfio/devices/" + cdevs[0] and os.path.exists(d["vfio_cdev_node"]),
          "%s cdev node %s" % (addr, d["vfio_cdev_node"]))
check(len(groups) == 2, "each edu alone in its own group")
# the text output comes from the same document
text = subprocess.run([HIODCTL, "list"], capture_output=True, text=True).stdout
for d in edus:
    check(d["address"] in text and d["vfio_cdev_node"] in text, "text output lists %s" % d["address"])
finish()

#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpora in corpus/<harness>/ (small, committed): run it
after changing an input format. The formats are described in each harness."""
import os
import struct
import sys

top = os.path.dirname(os.path.abspath(__file__))

NAMES = ["..", "bus", "pci", "devices", "0000:00:04.0", "0000:00:01.0", "0000:01:00.0",
         "pci0000:00", "vendor", "device", "class", "config", "driver", "iommu_group", "kernel",
         "iommu_groups", "3", "4", "vfio-dev", "vfio0", "dev", "vdpa", "vdpa0", "vhost-vdpa-0",
         "drivers", "vfio-pci", "vhost_vdpa", "virtio_vdpa", "subsystem", "0000:00:05.0", "uevent",
         "reset_method", "numa_node"]


def path(p):
    parts = p.split("/")
    return bytes([len(parts) - 1]) + bytes(NAMES.index(c) for c in parts)


def file_(p, content):
    rec = b"\x00" + path(p)
    if p.endswith("config"):
        return rec + struct.pack("<H", len(content)) + content
    return rec + bytes([len(content)]) + content


def link(p, target):
    return b"\x01" + path(p) + path(target)


def config_space(bridge):
    cfg = bytearray(256)
    cfg[0:4] = b"\x86\x80\x00\x00"
    if bridge:
        cfg[0x0e] = 1
        cfg[0x19] = 1
        cfg[0x06] = 0x10      # capability list
        cfg[0x34] = 0x40
        cfg[0x40:0x44] = bytes([0x10, 0x00, 0x42, 0x00])  # PCIe, root port
    return bytes(cfg)


def sysfs_seeds():
    dev = "devices/pci0000:00/0000:00:01.0/0000:01:00.0"
    healthy = b"".join([
        file_("devices/pci0000:00/0000:00:04.0/vendor", b"0x1234\n"),
        file_("devices/pci0000:00/0000:00:04.0/device", b"0x11e8\n"),
        file_("devices/pci0000:00/0000:00:04.0/class", b"0x00ff00\n"),
        file_("devices/pci0000:00/0000:00:04.0/config", config_space(False)),
        link("bus/pci/devices/0000:00:04.0", "../../../devices/pci0000:00/0000:00:04.0"),
        link("devices/pci0000:00/0000:00:04.0/driver", "../../../bus/pci/drivers/vfio-pci"),
        link("devices/pci0000:00/0000:00:04.0/iommu_group", "../../../kernel/iommu_groups/3"),
        file_("kernel/iommu_groups/3/devices/0000:00:04.0", b""),
        file_("devices/pci0000:00/0000:00:04.0/vfio-dev/vfio0/dev", b"511:0\n"),
    ])
    bridged = b"".join([
        file_("devices/pci0000:00/0000:00:01.0/config", config_space(True)),
        file_(dev + "/vendor", b"0x8086\n"),
        file_(dev + "/config", config_space(False)),
        link("bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0"),
        link("bus/pci/devices/0000:01:00.0", "../../../" + dev),
    ])
    vdpa = b"".join([
        file_("devices/vdpa0/vhost-vdpa-0/dev", b"238:0\n"),
        link("bus/vdpa/devices/vdpa0", "../../../devices/vdpa0"),
        link("devices/vdpa0/driver", "../../bus/vdpa/drivers/vhost_vdpa"),
    ])
    return {"healthy": healthy, "bridged": bridged, "vdpa": vdpa, "all": healthy + bridged + vdpa}


def rec(data=None, fail=None, second=None):
    """One fuzzed reply: rewrite with @data (and @second), fail with errno index @fail."""
    ctl = (1 if data is not None else 0) | (2 if fail is not None else 0) | ((fail or 0) << 2)
    out = bytes([ctl])
    if data is not None:
        out += struct.pack("<H", len(data)) + data
        if second is not None:
            out += struct.pack("<H", len(second)) + second
    return out


DEFAULT = rec()


def main():
    seeds = {
        "fuzz-pci-address": {"full": b"0000:00:04.0", "short": b"00:04.0", "max": b"ffff:ff:1f.7",
                             "nofn": b"0000:00:04", "hex": b"0x0:0x0:0x4.0"},
        "fuzz-viommu-spec": {"vtd": b"intel-iommu,aw-bits=48,x-flts=on",
                             "vtd39": b"intel-iommu,aw-bits=39",
                             "virtio": b"virtio-iommu,granule-frozen",
                             "bad": b"intel-iommu,aw-bits=4294967297"},
        "fuzz-sysfs": sysfs_seeds(),
        # status, GET_INFO (small), GET_INFO (chain), device info, ...: the defaults,
        # then one reply rewritten
        "fuzz-vfio-legacy": {
            "empty": b"",
            "defaults": DEFAULT * 12,
            "reset-enospc": DEFAULT * 6 + rec(struct.pack("<III", 24, 0, 2), fail=0),
            "info-argsz": DEFAULT + rec(struct.pack("<IIQII", 4096, 3, 0x1000, 24, 0)),
        },
        "fuzz-vfio-iommufd": {
            "empty": b"",
            "defaults": DEFAULT * 12,
            "ranges-emsgsize": DEFAULT * 3 + rec(struct.pack("<IIII", 32, 1, 6, 0), fail=1),
            "hw-info": DEFAULT * 4 + rec(b"", second=struct.pack("<IIQQ", 0, 0, 2**64 - 1, 0)),
        },
        "fuzz-spapr": {
            "empty": b"",
            "defaults": DEFAULT * 12,
            "no-ddw": DEFAULT + rec(struct.pack("<IIII", 32, 0, 0, 1 << 28)),
        },
        "fuzz-vdpa": {
            "empty": b"",
            "defaults": DEFAULT * 3,
            "range": DEFAULT * 2 + rec(struct.pack("<QQ", 0x1000, 0xfffff)),
        },
    }
    for harness, files in seeds.items():
        d = os.path.join(top, "corpus", harness)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

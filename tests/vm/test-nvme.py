#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM test: the userspace NVMe driver example against the real kernel.

Runs examples/hiod-nvme.c on QEMU's NVMe controller (1b36:0010, bound to
vfio-pci by guest-init.sh) through the legacy type1 and the iommufd backend,
each with completions on MSI-X eventfds and by polling. Each run reads blocks
and compares them with the copy of the disk image vmrun.py made (the nvme
topology), writes a pattern, reads it back and restores the original; the
next run's reads check the restore. Checks what the example printed against
what the host gave the controller (serial, namespace size = image size) and
the counts it takes with --check-release: while running, one eventfd and one
kernel interrupt per MSI-X vector (none when polling); after release, the
same fds, eventfds, VFIO mappings and VFIO interrupts as before. Then the
failures: an image with one byte changed is a mismatch, an edu is not an NVMe
controller; both say so and the controller works afterwards. Prints TAP.

Environment: HIOD_NVME (the example), HIOD_NVME_IMAGE and HIOD_NVME_SERIAL
(guest-init.sh, from vmrun.py).
"""
import glob
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish, skip_all  # noqa: E402

NVME = os.environ["HIOD_NVME"]
IMAGE = os.environ.get("HIOD_NVME_IMAGE")
SERIAL = os.environ.get("HIOD_NVME_SERIAL")


def find(vendor, device):
    for dev in sorted(glob.glob("/sys/bus/pci/devices/*")):
        with open(dev + "/vendor") as f, open(dev + "/device") as g:
            if f.read().strip() == vendor and g.read().strip() == device:
                return os.path.basename(dev)
    return None


def run(args):
    p = subprocess.run([NVME] + args, capture_output=True, text=True, timeout=600)
    for line in p.stdout.splitlines():
        print("# " + line)
    for line in p.stderr.splitlines():
        print("# stderr: " + line)
    return p


def counts(out, when):
    m = re.search(r"^%s: (\d+) fds, (\d+) eventfds, (\d+) VFIO mappings, (\d+) VFIO interrupts$" % when,
                  out, re.M)
    return tuple(int(x) for x in m.groups()) if m else None


bdf = find("0x1b36", "0x0010")
if bdf is None or IMAGE is None or SERIAL is None:
    skip_all("no QEMU NVMe controller, or no image (topology nvme)")
image_size = os.path.getsize(IMAGE)
print("# controller %s, image %s (%d bytes), serial %s" % (bdf, IMAGE, image_size, SERIAL))

for backend in ("legacy", "iommufd"):
    for mode in ("msix", "poll"):
        tag = "%s/%s" % (backend, mode)
        args = ["--backend", backend, "--image", IMAGE, "--check-release", bdf]
        if mode == "poll":
            args.insert(0, "--poll")
        p = run(args)
        out = p.stdout
        check(p.returncode == 0, "%s: the example exits 0" % tag)
        check("backend %s\n" % backend in out, "%s: through the %s backend" % (tag, backend))
        check(re.search(r"^serial: %s$" % re.escape(SERIAL), out, re.M) is not None,
              "%s: Identify Controller gives the serial %s" % (tag, SERIAL))
        check(re.search(r"^model: QEMU NVMe Ctrl$", out, re.M) is not None,
              "%s: and the model QEMU NVMe Ctrl" % tag)
        m = re.search(r"^namespace 1: (\d+) blocks of (\d+) bytes \((\d+) bytes\)$", out, re.M)
        check(m is not None and int(m.group(1)) * int(m.group(2)) == image_size == int(m.group(3)),
              "%s: Identify Namespace: the image's %d bytes" % (tag, image_size))
        check(len(re.findall(r"^read LBA \d+\.\.\d+: matches the image$", out, re.M)) == 3,
              "%s: blocks at the start, middle and end match the image" % tag)
        check(re.search(r"^wrote LBA \d+\.\.\d+: a pattern, read back equal$", out, re.M) is not None and
              re.search(r"^restored LBA \d+\.\.\d+: matches the image$", out, re.M) is not None,
              "%s: a pattern written reads back; the original restored matches the image" % tag)
        check("shutdown: complete, controller disabled\n" in out, "%s: queues deleted, CC.SHN, disabled" % tag)
        before, during, after = counts(out, "before"), counts(out, "while running"), counts(out, "after release")
        if mode == "msix":
            m = re.search(r"^completions: (\d+) interrupts \(vector 0, admin: (\d+); vector 1, I/O: (\d+)\)$",
                          out, re.M)
            check(m is not None and int(m.group(2)) > 0 and int(m.group(3)) > 0,
                  "%s: completions came as MSI-X interrupts, admin on vector 0, I/O on vector 1 (%s)"
                  % (tag, m.group(0) if m else "?"))
            check(before is not None and during is not None and
                  during[1] == before[1] + 2 and during[3] == 2,
                  "%s: while running two MSI-X eventfds and two vfio-msix interrupts (%s -> %s)"
                  % (tag, before, during))
        else:
            check("completions:" not in out and during is not None and before is not None and
                  during[1] == before[1] and during[3] == 0,
                  "%s: polled: no eventfd and no interrupt (%s -> %s)" % (tag, before, during))
        check(during is not None and during[2] >= 1, "%s: BAR0 mapped while running" % tag)
        check(before is not None and after == before,
              "%s: after release the same fds, eventfds, VFIO mappings, VFIO interrupts (%s)"
              % (tag, after))

# 64 KiB transfers (128 blocks: PRP1 and a PRP list of 15 pages), written at the namespace's end
p = run(["--blocks", "128", "--write-lba", str(image_size // 512 - 128), "--image", IMAGE, bdf])
check(p.returncode == 0 and len(re.findall(r"^read LBA \d+\.\.\d+: matches the image$", p.stdout, re.M)) == 3 and
      re.search(r"^restored LBA %d\.\.%d: matches the image$" % (image_size // 512 - 128, image_size // 512 - 1),
                p.stdout, re.M) is not None,
      "64 KiB reads and writes (a PRP list) match the image")

# failures: a mismatch is reported, an edu is refused; the controller works afterwards
bad = os.path.join(os.environ.get("TMPDIR", "/run/tmp"), "nvme-bad.img")
shutil.copy(IMAGE, bad)
with open(bad, "r+b") as f:
    f.seek(image_size // 2 + 7)
    byte = f.read(1)
    f.seek(image_size // 2 + 7)
    f.write(bytes([byte[0] ^ 0x5a]))
p = run(["--image", bad, "--check-release", bdf])
lba = image_size // 2 // 512
check(p.returncode == 1 and ("LBA %d byte 7 reads" % lba) in p.stderr and "nvme-bad.img has" in p.stderr,
      "an image with one byte changed: the example says which LBA and byte differ, exits 1")
check(counts(p.stdout, "after release") == counts(p.stdout, "before") and "left something" not in p.stderr,
      "and that failure left nothing behind either")
os.unlink(bad)
p = run(["--image", IMAGE + ".missing", bdf])
check(p.returncode == 2 and "nvme.img.missing" in p.stderr, "a missing image file is a usage error")
edu = find("0x1234", "0x11e8")
if edu is not None:
    p = run([edu])
    check(p.returncode == 1 and "not an NVMe controller" in p.stderr, "an edu device is refused: not NVMe")
p = run(["--poll", "--image", IMAGE, "--check-release", bdf])
check(p.returncode == 0 and "restored LBA" in p.stdout, "the controller works after the failed runs")

finish()

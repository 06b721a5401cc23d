#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM test: interrupts from Python through GObject-Introspection (issue 13).

With each backend: attaches an edu device, reads every IRQ index's info,
enables MSI, waits on the vector from a GLib main loop (add_irq_watch), the
interrupt raised by a write to edu's register 0x60 through region_write,
checks that the eventfd is a plain integer a caller can poll, changes the
vector, and that detaching leaves no fd open. Prints TAP.

Environment: HIOD_LIBDIR (the build's src dir: typelib and libhiod.so);
re-executes itself under /usr/bin/python3 (python3-gi) with it.
"""
import os
import select
import struct
import sys

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish, skip_all  # noqa: E402

if os.environ.get("GI_TYPELIB_PATH") is None:
    libdir = os.environ["HIOD_LIBDIR"]
    env = dict(os.environ, GI_TYPELIB_PATH=libdir, LD_LIBRARY_PATH=libdir)
    os.execve("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv, env)

import gi  # noqa: E402

gi.require_version("Hiod", "1.0")
from gi.repository import GLib, Hiod  # noqa: E402

EDU = "0000:00:04.0"


def raise_irq(dev, bits):
    dev.region_write(0, 0x60, struct.pack("<I", bits))


def ack_irq(dev, bits):
    dev.region_write(0, 0x64, struct.pack("<I", bits))


def run(kind, name):
    ctx = Hiod.Context.new()
    dev = Hiod.VfioDevice.new(ctx, EDU)
    container = Hiod.Container.new(ctx, kind, dev)
    dev.attach(container, 0)
    dev.set_bus_master(True)
    counts = []
    for i in range(dev.get_num_irqs()):
        ok, info = dev.get_irq_info(i)
        counts.append(info.count)
    check(counts[:3] == [1, 1, 0], "%s: IRQ info INTx 1, MSI 1, MSI-X 0 (%s)" % (name, counts))
    check(Hiod.vfio_irq_index_to_string(Hiod.VfioIrqIndex.MSIX) == "MSI-X", "%s: index names" % name)
    try:
        dev.enable_irq(Hiod.VfioIrqIndex.MSIX, 1)
        check(False, "%s: MSI-X refused" % name)
    except GLib.Error as e:
        check(e.matches(Hiod.error_quark(), Hiod.Error.INVALID_ARGUMENT) and "no MSI-X" in e.message,
              "%s: MSI-X refused: %s" % (name, e.message))
    dev.enable_irq(Hiod.VfioIrqIndex.MSI, 1)
    fd = dev.get_irq_fd(Hiod.VfioIrqIndex.MSI, 0)
    check(isinstance(fd, int) and fd >= 0, "%s: MSI eventfd is an integer (%d)" % (name, fd))
    # a caller's own poll on the integer
    raise_irq(dev, 1)
    r, _, _ = select.select([fd], [], [], 2.0)
    check(r == [fd] and struct.unpack("<Q", os.read(fd, 8))[0] >= 1, "%s: select() on the eventfd saw MSI" % name)
    ack_irq(dev, 1)
    # a GLib main loop waiting on the vector
    loop = GLib.MainLoop()
    seen = []

    def on_irq(device, index, vector, count, data):
        seen.append((index, vector, count, data))
        ack_irq(device, 1)
        if len(seen) < 2:
            raise_irq(device, 1)
            return GLib.SOURCE_CONTINUE
        loop.quit()
        return GLib.SOURCE_REMOVE

    dev.add_irq_watch(Hiod.VfioIrqIndex.MSI, 0, on_irq, "tag")
    GLib.idle_add(lambda: raise_irq(dev, 1) and False)
    timeout = GLib.timeout_add(10000, loop.quit)
    loop.run()
    GLib.source_remove(timeout)
    check(len(seen) == 2 and seen[0][:2] == (Hiod.VfioIrqIndex.MSI, 0) and seen[0][3] == "tag",
          "%s: add_irq_watch() callback ran twice from the main loop (%s)" % (name, seen))
    dev.set_irq_vector(Hiod.VfioIrqIndex.MSI, 0, True)
    fd2 = dev.get_irq_fd(Hiod.VfioIrqIndex.MSI, 0)
    raise_irq(dev, 1)
    ok, count = dev.wait_irq(Hiod.VfioIrqIndex.MSI, 0, 2000)
    check(ok and count >= 1, "%s: changed vector (eventfd %d) fires, wait_irq count %d" % (name, fd2, count))
    ack_irq(dev, 1)
    dev.detach()
    check(ctx.get_open_fd_count() == 0 and dev.get_irq_fd(Hiod.VfioIrqIndex.MSI, 0) == -1,
          "%s: detach leaves no fd open" % name)


def hiodctl_info():
    """hiodctl info shows the regions with their flags and capabilities and the IRQ indexes."""
    import json
    import subprocess
    hiodctl = os.environ.get("HIODCTL")
    if hiodctl is None:
        return
    for backend in ("legacy", "iommufd"):
        p = subprocess.run([hiodctl, "info", EDU, "--backend", backend, "--json"], capture_output=True, text=True)
        if not check(p.returncode == 0, "hiodctl --json info %s --backend %s (%s)" % (EDU, backend, p.stderr.strip())):
            continue
        dev = json.loads(p.stdout)["device"]
        irqs = {i["name"]: i for i in dev["irqs"]}
        check(irqs["INTx"]["count"] == 1 and irqs["INTx"]["automasked"] and irqs["INTx"]["maskable"]
              and irqs["MSI"]["count"] == 1 and irqs["MSI"]["noresize"] and irqs["MSI-X"]["count"] == 0,
              "%s: irqs INTx 1 (maskable, automasked), MSI 1 (noresize), MSI-X 0" % backend)
        regions = {r["name"]: r for r in dev["regions"]}
        bar0, cfg = regions["BAR0"], regions["config"]
        check(bar0["mappable"] and bar0["readable"] and bar0["writable"] and int(bar0["size"], 16) == 1 << 20
              and not bar0["msix_mappable"] and "sparse_mmap" not in bar0,
              "%s: BAR0 1 MiB, read/write/mmap, no capabilities (%s)" % (backend, bar0))
        check(cfg["readable"] and cfg["writable"] and not cfg["mappable"], "%s: config region read/write, not mappable" % backend)
        t = subprocess.run([hiodctl, "info", EDU, "--backend", backend], capture_output=True, text=True)
        check(t.returncode == 0 and "MSI-X" in t.stdout and "BAR0" in t.stdout,
              "%s: text output names the regions and IRQ indexes" % backend)
        for line in t.stdout.splitlines():
            if "BAR0" in line or "MSI" in line:
                print("# " + line)


if not os.path.exists("/sys/bus/pci/devices/" + EDU):
    skip_all("no edu")
hiodctl_info()
GLib.MainContext.default().iteration(False)  # its wakeup eventfd exists before the count
fds_before = len(os.listdir("/proc/self/fd"))
for kind, name in [(Hiod.BackendKind.LEGACY, "legacy"), (Hiod.BackendKind.IOMMUFD, "iommufd")]:
    try:
        run(kind, name)
    except GLib.Error as e:
        check(False, "%s: %s" % (name, e.message))
    import gc
    gc.collect()
vfio = [line for line in open("/proc/interrupts") if "vfio-" in line]
check(vfio == [], "no vfio interrupt left in /proc/interrupts")
check(len(os.listdir("/proc/self/fd")) == fds_before, "no fd left in /proc/self/fd")
finish()

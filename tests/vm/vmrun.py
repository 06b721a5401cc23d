#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot a test guest and run commands in it against the real kernel.

The guest is a real Linux kernel (the one build-kernel.sh caches) under QEMU
with TCG, one boot loop for every architecture (ARCHES below):
  x86_64   q35 with an emulated IOMMU (VT-d, AMD-Vi or virtio-iommu, as the
           topology says), edu PCI devices bound to vfio-pci (topology nvme
           adds QEMU's NVMe controller with a disk image made before the boot)
           and a vdpa_sim net device. The host's / is the guest's root (9p,
           read-only), so the guest runs the build tree as it is.
  ppc64le  pseries; its PAPR PCI host bridge's TCE tables are the IOMMU (VFIO
           sPAPR TCE). The host's binaries are x86, so the guest boots an
           initramfs (initramfs.py) made from a cross build (--build) and its
           sysroot (--sysroot).
  aarch64  virt (GICv3 with its ITS) with an emulated SMMUv3 in front of the
           PCIe host bridge: the machine's own (iommu=smmuv3: both stages) or
           a user-created one with stage 1 only, edu PCI devices bound to
           vfio-pci; an initramfs as on ppc64le.

  vmrun.py [--tap] [--arch A] [--platform P] [--topology NAME] [--sysroot DIR --build DIR]
           [--qemu-arg=ARG ...] [--timeout S] -- CMD [-- CMD ...]

Platforms (../shared/docs/platforms.md): "lts" is Linux 6.12 under Debian 12's
QEMU 7.2 (the default); "current" is Linux 7.3 under QEMU 11.1 (from
trixie-backports, run from the private tree current-platform.sh makes);
"lts-qemu11" is the 6.12 kernel under QEMU 11.1, for the IOMMUs only the new
QEMU emulates (what an LTS host meets on new hardware).

With --tap every CMD must print TAP; the outputs are merged into one TAP
stream (one line a subtest, named after the command), and a command that
crashed, exited non-zero or printed no plan becomes a failure. Without it the
outputs are printed as they are. A guest that does not boot, hangs or crashes
makes the run fail with the console's tail.
"""
import argparse
import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# x86_64 topologies: QEMU device options beside the fixed machine. Each edu is given a
# 64-bit DMA mask (QEMU 7.2's edu masks DMA addresses to 28 bits otherwise).
# VT-d's address width is given where a topology means it: QEMU 7.2's default
# is 39 bits, QEMU 11's 48 (its default is what vtd-sm, vtd-fsts and vtd-pasid
# leave it at).
EDU = "edu,dma_mask=0xffffffffffffffff"
X86_TOPOLOGIES = {
    # two edu devices on the root bus, each alone in its IOMMU group
    "default": ["-device", "intel-iommu,intremap=on,caching-mode=on,aw-bits=39",
                "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
    # edu alone behind a PCIe root port (bus reset works: hot reset), and edu
    # behind a conventional PCI bridge (requester ID aliased to the bridge)
    "bridges": ["-device", "intel-iommu,intremap=on,caching-mode=on,aw-bits=39",
                "-device", EDU + ",addr=04.0",
                "-device", "pcie-root-port,id=rp1,chassis=1,slot=1,addr=06.0",
                "-device", EDU + ",bus=rp1",
                "-device", "pcie-pci-bridge,id=br1,addr=07.0",
                "-device", EDU + ",bus=br1,addr=01.0",
                "-device", EDU + ",bus=br1,addr=02.0"],
    # one IOMMU group a VMM cannot have: behind a conventional PCI bridge an edu
    # (vfio-pci) and a virtio-rng that the guest's virtio-pci drives
    "shared-group": ["-device", "intel-iommu,intremap=on,caching-mode=on,aw-bits=39",
                     "-device", "pcie-pci-bridge,id=br1,addr=07.0",
                     "-device", EDU + ",bus=br1,addr=01.0",
                     "-device", "virtio-rng-pci,bus=br1,addr=02.0"],
    # no emulated IOMMU: the iommufd selftest mock is the only IOMMU driver. In 6.12
    # a device without firmware IOMMU data is probed by the first IOMMU registered
    # without a fwnode, which is VT-d when there is one: mock devices then fail to
    # bind (EINVAL, no cache coherency), so mock tests run here.
    "mock": [],
    # virtio-iommu, no VT-d: a host IOMMU without interrupt remapping (MSI
    # isolation), which VFIO refuses unless allow_unsafe_interrupts is set
    "virtio": ["-device", "virtio-iommu-pci",
               "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
    # a 48-bit VT-d
    "aw48": ["-device", "intel-iommu,intremap=on,caching-mode=on,aw-bits=48",
             "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
    # QEMU 11 only: VT-d scalable mode, second-stage tables
    "vtd-sm": ["-device", "intel-iommu,intremap=on,caching-mode=on,scalable-mode=on",
               "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
    # QEMU 11 only: VT-d scalable mode with first-stage tables only (ecap FLTS, no SLTS)
    "vtd-fsts": ["-device", "intel-iommu,intremap=on,caching-mode=on,scalable-mode=on,fsts=on",
                 "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
    # QEMU 11 only: VT-d scalable mode with 20-bit PASIDs
    "vtd-pasid": ["-device", "intel-iommu,intremap=on,caching-mode=on,scalable-mode=on,pasid-bits=20",
                  "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
    # QEMU 11 only: VT-d for shared virtual memory (svm=on: page requests and
    # 20-bit PASIDs; QEMU wants first-stage tables only and device-iotlb with it,
    # so Linux 6.12 refuses iommufd page tables here as in vtd-fsts)
    "vtd-svm": ["-device", "intel-iommu,intremap=on,caching-mode=on,scalable-mode=on,fsts=on,"
                "pasid-bits=20,svm=on,device-iotlb=on",
                "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
    # QEMU 11 only (7.2's lacks a working dma-remap): AMD-Vi with interrupt remapping
    "amd": ["-device", "amd-iommu,dma-remap=on,intremap=on",
            "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
}
# The nvme topology's disk: an image of NVME_IMAGE_MIB MiB with a known pattern
# that vmrun.py writes into its work directory before the boot, with a copy
# the guest reads at /mnt/nvme.img (QEMU writes to the disk, never to the copy);
# its path and the controller's serial reach the guest's programs as
# HIOD_NVME_IMAGE and HIOD_NVME_SERIAL (guest-init.sh).
NVME_SERIAL = "HIOD-NVME-0001"
NVME_IMAGE_MIB = 8
X86_TOPOLOGIES["nvme"] = X86_TOPOLOGIES["default"] + [
    "-drive", "file=@NVME_IMAGE@,if=none,id=nvm,format=raw",
    "-device", "nvme,serial=%s,drive=nvm,addr=06.0" % NVME_SERIAL]
# aarch64 topologies: two edu devices on the PCIe root bus (0000:00:04.0 and
# 0000:00:05.0, as on x86), each alone in its IOMMU group, behind an SMMUv3.
AARCH64_TOPOLOGIES = {
    # the virt machine's SMMUv3 (iommu=smmuv3): QEMU 11.1's has both stages
    # (IDR0 S1P and S2P), what the kernel needs for a nesting parent
    "smmuv3": ["-machine", "iommu=smmuv3",
               "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
    # a user-created SMMUv3 on the root bus with stage 1 only (stage=1): no
    # nesting parent
    "smmuv3-stage1": ["-device", "arm-smmuv3,primary-bus=pcie.0,stage=1",
                      "-device", EDU + ",addr=04.0", "-device", EDU + ",addr=05.0"],
}
@dataclasses.dataclass(frozen=True)
class Arch:
    """What differs between the guests of two architectures."""
    qemu: str                # qemu-system-QEMU, and current-platform.sh qemu QEMU
    package: str             # the Debian 12 package with that QEMU
    machine: list            # machine, CPU and display options
    console: str             # the kernel's console device
    append: str              # the kernel command line beyond the console and panics
    topologies: dict         # name -> QEMU device options
    timeout: int             # seconds a guest may take by default
    root: str = "9p"         # "9p": the host's / (x86 only); "initramfs": initramfs.py
    triplet: str = ""        # initramfs: the cross toolchain's and sysroot's triplet
    loader: str = ""         # initramfs: the dynamic loader's path in the guest
    programs: tuple = ()     # initramfs: build subdirectories whose programs go in


ARCHES = {
    "x86_64": Arch(
        qemu="x86_64", package="qemu-system-x86",
        machine=["-accel", "tcg", "-cpu", "max", "-M", "q35,kernel-irqchip=split",
                 "-vga", "none", "-nodefaults"],
        console="ttyS0",
        # no_timer_check: under TCG the IO-APIC timer check sometimes misses its
        # ticks and panics ("timer doesn't work through Interrupt-remapped IO-APIC")
        append="intel_iommu=on loglevel=4 no_timer_check",
        topologies=X86_TOPOLOGIES, timeout=600),
    "ppc64le": Arch(
        qemu="ppc64", package="qemu-system-ppc",
        machine=["-M", "pseries,usb=off,x-vof=on", "-vga", "none", "-cpu", "power9"],
        console="hvc0", append="quiet loglevel=1",
        # one edu at 0000:00:00.0 (IOMMU group 0) on the PAPR host bridge
        topologies={"spapr": ["-device", EDU]}, timeout=300,
        root="initramfs", triplet="powerpc64le-linux-gnu", loader="lib64/ld64.so.2",
        programs=("tools", "tests/vm/ppc64le")),
    "aarch64": Arch(
        qemu="aarch64", package="qemu-system-arm",
        # pauth-impdef: TCG's cheap pointer-authentication algorithm (the
        # architected one is slow to emulate; nothing here depends on which)
        machine=["-accel", "tcg", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
                 "-nodefaults"],
        console="ttyAMA0", append="loglevel=4",
        topologies=AARCH64_TOPOLOGIES, timeout=600,
        root="initramfs", triplet="aarch64-linux-gnu", loader="lib/ld-linux-aarch64.so.1",
        programs=("tools", "tests/vm")),
}
# Topologies that need QEMU 11's emulation.
NEEDS_QEMU11 = {"vtd-sm", "vtd-fsts", "vtd-pasid", "vtd-svm", "amd", "smmuv3", "smmuv3-stage1"}
# platform -> (kernel version for build-kernel.sh, QEMU: "system" or "current")
PLATFORMS = {
    "lts": ("6.12", "system"),
    "current": ("7.3", "current"),
    "lts-qemu11": ("6.12", "current"),
}


def find_qemu(arch, which):
    if which == "current":
        return subprocess.check_output([os.path.join(HERE, "current-platform.sh"), "qemu", arch.qemu],
                                       text=True).strip()
    path = shutil.which("qemu-system-" + arch.qemu)
    if path:
        return path
    sys.exit("vmrun: qemu-system-%s not found (apt-get install %s)" % (arch.qemu, arch.package))


def qemu_version(qemu):
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30).stdout
        m = re.search(r"version (\S+)", out)
        return "QEMU " + (m.group(1) if m else "?")
    except (OSError, subprocess.SubprocessError):
        return "QEMU ?"


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().replace("\r", "")
    except OSError:
        return ""


def tail(path, lines=40):
    return "\n".join(read_text(path).splitlines()[-lines:]) or "(no console output)"


def make_disk_image(path, mib):
    """Each 512-byte block: its own SHA-256 of "hiod-nvme LBA" 16 times over."""
    with open(path, "wb") as f:
        for lba in range(mib * 2048):
            f.write(hashlib.sha256(b"hiod-nvme %d" % lba).digest() * 16)


def prepare_9p(args, commands, workdir, topology):
    """The host's / as the guest's root, a writable share for the plan and the
    results (guest-init.sh). Returns (QEMU options, kernel options, topology)."""
    out = os.path.join(workdir, "share")
    os.makedirs(os.path.join(out, "results"), exist_ok=True)
    append = ""
    if any("@NVME_IMAGE@" in a for a in topology):
        image = os.path.join(workdir, "nvme.img")
        make_disk_image(image, NVME_IMAGE_MIB)
        shutil.copy(image, os.path.join(out, "nvme.img"))
        topology = [a.replace("@NVME_IMAGE@", image) for a in topology]
        append = " hiod.nvme_image=/mnt/nvme.img hiod.nvme_serial=" + NVME_SERIAL
    with open(os.path.join(out, "plan"), "w") as f:
        for cmd in commands:
            f.write(cmd + "\n")
    if args.setup:
        shutil.copy(args.setup, os.path.join(out, "setup.sh"))
    append = (" root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000 "
              "ro init=" + os.path.join(HERE, "guest-init.sh") + append)
    opts = ["-fsdev", "local,id=root,path=/,security_model=none,readonly=on",
            "-device", "virtio-9p-pci,fsdev=root,mount_tag=/dev/root",
            "-fsdev", "local,id=out,path=%s,security_model=none" % out,
            "-device", "virtio-9p-pci,fsdev=out,mount_tag=hiodout"]
    return opts, append, topology


def read_9p_results(workdir, commands):
    out = os.path.join(workdir, "share")
    results = []
    for i, c in enumerate(commands, 1):
        try:
            with open(os.path.join(out, "results", "%d.out" % i), errors="replace") as f:
                text = f.read()
            with open(os.path.join(out, "results", "%d.rc" % i)) as f:
                rc = int(f.read().strip() or "255")
        except (OSError, ValueError):
            text, rc = "", None
        results.append((c, text, rc))
    return results


def run_guest(args, commands, workdir):
    """Boots the guest once. Returns ((results, seconds), None) or (None, why)."""
    arch = ARCHES[args.arch]
    topology = list(arch.topologies[args.topology])
    if arch.root == "9p":
        opts, root_append, topology = prepare_9p(args, commands, workdir, topology)
    else:
        import initramfs
        initrd = os.path.join(workdir, "initramfs.cpio.gz")
        initramfs.make(arch, args.sysroot, args.build, commands, initrd)
        opts, root_append = ["-initrd", initrd], ""
    console = os.path.join(workdir, "console.log")
    append = "console=%s %s panic=-1 oops=panic%s" % (arch.console, arch.append, root_append)
    # what the guest's programs may ask: HIOD_PLATFORM, HIOD_QEMU_VERSION (the inits)
    append += " hiod.platform=%s hiod.qemu=%s" % (args.platform, qemu_version(args.qemu).split()[-1])
    if args.append:
        append += " " + args.append
    cmd = [args.qemu] + arch.machine + [
        "-m", args.memory, "-smp", "1", "-display", "none", "-no-reboot",
        "-serial", "file:" + console, "-monitor", "none",
        "-kernel", args.kernel, "-append", append] + opts + topology
    for extra in args.qemu_arg or []:
        cmd += extra.split()
    start = time.monotonic()
    with open(os.path.join(workdir, "qemu.log"), "w") as qlog:
        proc = subprocess.Popen(cmd, stdout=qlog, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None, "the guest did not finish within %ds (hang?); console tail:\n%s" % (
                args.timeout, tail(console))
    elapsed = time.monotonic() - start
    con = read_text(console)
    if "HIOD-GUEST-DONE" not in con:
        why = "the guest stopped before finishing (QEMU exit %d)" % proc.returncode
        for pat in ("Kernel panic", "BUG:", "Oops", "general protection", "Unable to handle"):
            if pat in con:
                why = "the guest kernel crashed (%s)" % pat
        return None, "%s; QEMU log:\n%s\nconsole tail:\n%s" % (
            why, tail(os.path.join(workdir, "qemu.log"), 20), tail(console))
    if arch.root == "9p":
        results = read_9p_results(workdir, commands)
    else:
        results = initramfs.read_results(con, commands)
    return (results, elapsed), None


TAP_LINE = re.compile(r"^(ok|not ok)\s+(\d+)\s*(?:-\s*)?(.*)$")


def merge_tap(results):
    lines = []
    n = 0
    failed = 0
    for cmd, text, rc in results:
        words = [w for w in cmd.split() if "=" not in w and not w.startswith("python")]
        label = os.path.basename(words[0]) if words else cmd
        plan_seen = False
        count = 0
        for line in text.splitlines():
            m = TAP_LINE.match(line)
            if m:
                n += 1
                count += 1
                ok = m.group(1) == "ok"
                if not ok and "# TODO" not in line:
                    failed += 1
                lines.append("%s %d %s: %s" % (m.group(1), n, label, m.group(3)))
            elif re.match(r"^1\.\.\d+", line):
                plan_seen = True
            elif line.startswith("#"):
                lines.append(line)
            else:
                lines.append("# " + line)
        if rc != 0 or not plan_seen or count == 0:
            n += 1
            failed += 1
            why = "did not run" if rc is None else "exited %d" % rc
            if rc == 0 and not plan_seen:
                why = "printed no TAP plan"
            if rc == 0 and plan_seen and count == 0:
                why = "ran no test"
            lines.append("not ok %d %s: %s (%s)" % (n, label, why, cmd))
    lines.append("1..%d" % n)
    return lines, failed


def report(results, tap, comments=()):
    """Prints what the guest's commands printed: merged TAP (with @comments
    first), or each command's output as it is. Returns the exit code."""
    if tap:
        lines, failed = merge_tap(results)
        for c in comments:
            print(c)
        print("\n".join(lines))
        return 1 if failed else 0
    rc = 0
    for cmd, text, crc in results:
        print("$ " + cmd)
        sys.stdout.write(text)
        if crc != 0:
            print("(exit %s)" % crc)
            rc = 1
    return rc


def fail_early(tap, why):
    """A run that cannot boot: one failed TAP line (or a message)."""
    if tap:
        print("not ok 1 - vm: " + why.replace("\n", "\n# "))
        print("1..1")
    else:
        print("vmrun: " + why, file=sys.stderr)
    return 1


def main():
    topologies = sorted({t for a in ARCHES.values() for t in a.topologies})
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="x86_64", choices=sorted(ARCHES))
    ap.add_argument("--kernel", help="guest kernel (default: build-kernel.sh ARCH VERSION of the platform)")
    ap.add_argument("--platform", default="lts", choices=sorted(PLATFORMS))
    ap.add_argument("--topology", choices=topologies,
                    help="default: x86_64 default, ppc64le spapr, aarch64 smmuv3")
    ap.add_argument("--sysroot", help="initramfs guests: the sysroot (cross/make-sysroot.sh)")
    ap.add_argument("--build", help="initramfs guests: the cross build directory (cross/cross-build.sh)")
    ap.add_argument("--qemu-arg", action="append", help="extra QEMU options (split on spaces)")
    ap.add_argument("--append", help="extra kernel command line")
    ap.add_argument("--setup", help="9p guests: a script the guest runs before the commands")
    ap.add_argument("--memory", default="1G")
    ap.add_argument("--timeout", type=int, help="seconds (default: 600 on x86_64 and aarch64, 300 on ppc64le)")
    ap.add_argument("--tap", action="store_true", help="merge the commands' TAP outputs")
    ap.add_argument("--keep", help="keep the work directory here")
    ap.add_argument("commands", nargs="+", help="commands to run in the guest, separated by --")
    args = ap.parse_args()

    arch = ARCHES[args.arch]
    args.topology = args.topology or next(iter(arch.topologies))
    args.timeout = args.timeout or arch.timeout
    if args.topology not in arch.topologies:
        return fail_early(args.tap, "topology %s is not one of %s's (%s)" % (
            args.topology, args.arch, ", ".join(sorted(arch.topologies))))
    if arch.root == "initramfs" and not (args.sysroot and args.build):
        return fail_early(args.tap, "a %s guest boots an initramfs: give --sysroot and --build" % args.arch)
    if arch.root == "initramfs" and args.setup:
        return fail_early(args.tap, "--setup needs a 9p guest (x86_64)")
    kver, qemu_kind = PLATFORMS[args.platform]
    if args.topology in NEEDS_QEMU11 and qemu_kind != "current":
        return fail_early(args.tap, "topology %s needs QEMU 11 (platform current or lts-qemu11), not %s"
                          % (args.topology, args.platform))
    try:
        args.qemu = find_qemu(arch, qemu_kind)
    except subprocess.CalledProcessError as e:
        return fail_early(args.tap, "the QEMU 11 tree could not be made (exit %d)" % e.returncode)
    joined = " " + " ".join(args.commands) + " "
    commands = [c.strip() for c in joined.split(" -- ") if c.strip() and c.strip() != "--"]
    if not args.kernel:
        try:
            args.kernel = subprocess.check_output([os.path.join(HERE, "build-kernel.sh"), args.arch, kver],
                                                  text=True).strip()
        except subprocess.CalledProcessError as e:
            return fail_early(args.tap, "the %s %s test kernel could not be built (exit %d)" % (
                args.arch, kver, e.returncode))
    workdir = args.keep or tempfile.mkdtemp(prefix="hiod-vm-")
    os.makedirs(workdir, exist_ok=True)
    try:
        # A guest that dies before its init ran (no "hiod-guest:" line) is an
        # emulator hiccup, not a test result: boot again, up to twice.
        for attempt in range(3):
            res, err = run_guest(args, commands, workdir)
            if not err or "hiod-guest:" in read_text(os.path.join(workdir, "console.log")):
                break
            print("# boot %d died before userspace; retrying" % (attempt + 1))
            shutil.rmtree(os.path.join(workdir, "share"), ignore_errors=True)
        if err:
            return fail_early(args.tap, err)
        results, elapsed = res
        comments = ["# guest ran %d commands in %.1fs (%s, platform %s: Linux %s, %s; topology %s)" % (
            len(results), elapsed, args.arch, args.platform, kver, qemu_version(args.qemu), args.topology)]
        if arch.root == "initramfs":
            comments += ["# " + line for line in read_text(os.path.join(workdir, "console.log")).splitlines()
                         if line.startswith("hiod-guest:")]
        return report(results, args.tap, comments)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

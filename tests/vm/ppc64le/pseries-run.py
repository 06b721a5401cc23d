#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot the ppc64le pseries test guest and run commands in it.

The guest is a real Linux 6.12 or 7.3 kernel (build-kernel.sh ppc64le VER) on QEMU's
pseries machine under TCG; its PAPR PCI host bridge's TCE tables are a real
IOMMU, driven by the kernel's VFIO sPAPR TCE backend. One edu device sits at
0000:00:00.0 (IOMMU group 0) and is bound to vfio-pci by the guest's init.
The host's binaries are x86, so the guest boots an initramfs holding
busybox, the cross build's programs (under /hiod, laid out as in the build
directory so their $ORIGIN run paths hold) and the shared libraries they need,
taken from the ppc64el sysroot.

  pseries-run.py --sysroot DIR --build DIR [--tap] [--timeout S] -- CMD [-- CMD ...]

Each CMD is a busybox sh command line run in the guest (paths under /hiod).
The guest writes each command's output to the console between markers; with
--tap the outputs are merged into one TAP stream as vmrun.py does, and a
command that crashed, exited non-zero or printed no plan is a failure. A guest
that does not boot, hangs or crashes fails with the console's tail.
"""
import argparse
import gzip
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VM_DIR = os.path.dirname(HERE)
TRIPLET = "powerpc64le-linux-gnu"
EDU = "edu,dma_mask=0xffffffffffffffff"

INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin LD_LIBRARY_PATH=/lib TMPDIR=/tmp HOME=/tmp LANG=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
ulimit -l unlimited
for dev in /sys/bus/pci/devices/*; do
	[ "$(cat $dev/vendor)" = 0x1234 ] && [ "$(cat $dev/device)" = 0x11e8 ] || continue
	bdf=${dev##*/}
	echo vfio-pci > $dev/driver_override
	echo $bdf > /sys/bus/pci/drivers_probe
	echo "hiod-guest: bound $bdf to $(basename $(readlink $dev/driver)), group $(basename $(readlink $dev/iommu_group))"
done
n=0
while IFS= read -r cmd || [ -n "$cmd" ]; do
	[ -n "$cmd" ] || continue
	n=$((n + 1))
	echo "HIOD-BEGIN $n"
	sh -c "$cmd" < /dev/null 2>&1
	rc=$?
	echo "HIOD-END $n $rc"
done < /plan
echo "HIOD-GUEST-DONE $n"
sync
echo o > /proc/sysrq-trigger
sleep 30
"""


class Cpio:
    """A newc cpio archive, written by hand: every entry owned by root."""

    def __init__(self):
        self.data = bytearray()
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, body=b"", nlink=1):
        hdr = "070701" + "".join("%08x" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(body), 0, 0, 0, 0, len(name) + 1, 0))
        self.ino += 1
        self.data += hdr.encode() + name.encode() + b"\0"
        self.data += b"\0" * (-len(self.data) % 4)
        self.data += body
        self.data += b"\0" * (-len(self.data) % 4)

    def dirs(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.seen:
                self.seen.add(d)
                self._entry(d, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, path, body, mode=0o755):
        self.dirs(path)
        self.seen.add(path.strip("/"))
        self._entry(path.strip("/"), stat.S_IFREG | mode, body)

    def symlink(self, path, target):
        self.dirs(path)
        self.seen.add(path.strip("/"))
        self._entry(path.strip("/"), stat.S_IFLNK | 0o777, target.encode())

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return bytes(self.data)


def needed(path):
    """DT_NEEDED of an ELF file, through the binutils the cross toolchain brings."""
    out = subprocess.run([TRIPLET + "-readelf", "-d", path], capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def make_initramfs(args, commands, path):
    cpio = Cpio()
    libdirs = [os.path.join(args.sysroot, "usr/lib", TRIPLET), os.path.join(args.sysroot, "usr/lib")]
    cpio.file("bin/busybox", open(os.path.join(args.sysroot, "usr/bin/busybox"), "rb").read())
    cpio.file("init", INIT.encode())
    cpio.file("plan", ("\n".join(commands) + "\n").encode(), 0o644)
    # the cross build's programs and libhiod, in the build directory's layout
    progs = []
    for sub in ("src", "tools", "tests/vm/ppc64le"):
        d = os.path.join(args.build, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.isfile(p) and not os.path.islink(p) and is_elf(p) and not name.endswith((".o", ".a")):
                if sub == "src" and ".so" not in name:
                    continue
                with open(p, "rb") as f:
                    cpio.file("hiod/%s/%s" % (sub, name), f.read())
                progs.append(p)
        if sub == "src":
            for name in os.listdir(d):
                p = os.path.join(d, name)
                if os.path.islink(p) and ".so" in name:
                    cpio.symlink("hiod/src/" + name, os.readlink(p))
    # their shared libraries, found in the sysroot, all in /lib
    todo = list(progs)
    done = set()
    while todo:
        for lib in needed(todo.pop()):
            if lib in done or lib.startswith("libhiod"):
                continue
            done.add(lib)
            for d in libdirs:
                p = os.path.join(d, lib)
                if os.path.exists(p):
                    real = os.path.realpath(p)
                    with open(real, "rb") as f:
                        cpio.file("lib/" + lib, f.read())
                    todo.append(real)
                    break
            else:
                raise SystemExit("pseries-run: %s not found in the sysroot" % lib)
    ld = os.path.realpath(os.path.join(args.sysroot, "usr/lib", TRIPLET, "ld64.so.2"))
    with open(ld, "rb") as f:
        cpio.file("lib64/ld64.so.2", f.read())
    with open(path, "wb") as f:
        f.write(gzip.compress(cpio.finish(), compresslevel=1))


def tail(text, lines=40):
    return "\n".join(text.splitlines()[-lines:]) or "(no console output)"


def run_guest(args, commands, workdir):
    initrd = os.path.join(workdir, "initramfs.cpio.gz")
    make_initramfs(args, commands, initrd)
    console = os.path.join(workdir, "console.log")
    qemu = args.qemu or shutil.which("qemu-system-ppc64")
    if not qemu:
        return None, "qemu-system-ppc64 not found (apt-get install qemu-system-ppc)"
    append = "console=hvc0 quiet loglevel=1 panic=-1 oops=panic"
    cmd = [qemu, "-M", "pseries,usb=off,x-vof=on", "-vga", "none", "-cpu", "power9",
           "-smp", "1", "-m", "1G", "-display", "none", "-monitor", "none",
           "-serial", "file:" + console, "-no-reboot",
           "-kernel", args.kernel, "-initrd", initrd, "-append", append,
           "-device", EDU]
    start = time.monotonic()
    with open(os.path.join(workdir, "qemu.log"), "w") as qlog:
        proc = subprocess.Popen(cmd, stdout=qlog, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            with open(console, errors="replace") as f:
                con = f.read().replace("\r", "")
            return None, "the guest did not finish within %ds (hang?); console tail:\n%s" % (
                args.timeout, tail(con))
    elapsed = time.monotonic() - start
    try:
        with open(console, errors="replace") as f:
            con = f.read().replace("\r", "")
    except OSError:
        con = ""
    if "HIOD-GUEST-DONE" not in con:
        why = "the guest stopped before finishing (QEMU exit %d)" % proc.returncode
        for pat in ("Kernel panic", "BUG:", "Oops", "Unable to handle"):
            if pat in con:
                why = "the guest kernel crashed (%s)" % pat
        with open(os.path.join(workdir, "qemu.log"), errors="replace") as f:
            qlog = f.read()
        return None, "%s; QEMU log:\n%s\nconsole tail:\n%s" % (why, tail(qlog, 20), tail(con))
    results = []
    for i, c in enumerate(commands, 1):
        m = re.search(r"^HIOD-BEGIN %d\n(.*?)^HIOD-END %d (\d+)$" % (i, i), con, re.S | re.M)
        if m:
            results.append((c, m.group(1), int(m.group(2))))
        else:
            results.append((c, "", None))
    return (results, elapsed, con), None


def main():
    sys.path.insert(0, VM_DIR)
    from vmrun import report  # one TAP merger and report for both lanes

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", help="guest vmlinux (default: build-kernel.sh ppc64le)")
    ap.add_argument("--qemu", help="qemu-system-ppc64 to run (default: the system's, QEMU 7.2)")
    ap.add_argument("--sysroot", required=True, help="the ppc64el sysroot (make-sysroot.sh)")
    ap.add_argument("--build", required=True, help="the ppc64le cross build directory")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--tap", action="store_true", help="merge the commands' TAP outputs")
    ap.add_argument("--keep", help="keep the work directory (initramfs, console) here")
    ap.add_argument("commands", nargs="+", help="commands to run in the guest, separated by --")
    args = ap.parse_args()

    commands = [c.strip() for c in " ".join(args.commands).split(" -- ") if c.strip()]
    if not args.kernel:
        try:
            args.kernel = subprocess.check_output([os.path.join(VM_DIR, "build-kernel.sh"), "ppc64le"],
                                                  text=True).strip()
        except subprocess.CalledProcessError as e:
            print("not ok 1 - the ppc64le test kernel could not be built (exit %d)" % e.returncode)
            print("1..1")
            return 1
    workdir = args.keep or tempfile.mkdtemp(prefix="hiod-pseries-")
    os.makedirs(workdir, exist_ok=True)
    try:
        res, err = run_guest(args, commands, workdir)
        if err:
            if args.tap:
                print("not ok 1 - pseries vm: " + err.replace("\n", "\n# "))
                print("1..1")
            else:
                print("pseries-run: " + err, file=sys.stderr)
            return 1
        results, elapsed, con = res
        comments = ["# pseries guest ran %d commands in %.1fs (kernel %s, %s)" % (
            len(results), elapsed, os.path.basename(os.path.dirname(args.kernel)),
            subprocess.run([args.qemu or shutil.which("qemu-system-ppc64"), "--version"], capture_output=True,
                           text=True).stdout.splitlines()[0])]
        comments += ["# " + line for line in con.splitlines() if line.startswith("hiod-guest:")]
        return report(results, args.tap, comments)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

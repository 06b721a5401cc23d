# SPDX-License-Identifier: LGPL-2.1-or-later
"""The initramfs of a cross-architecture guest (vmrun.py --arch ppc64le, ...).

The host's binaries are x86, so such a guest cannot use the host's / as its
root: it boots an initramfs holding busybox, the cross build's programs (under
/hiod, laid out as in the build directory so their $ORIGIN run paths hold) and
the shared libraries they need, taken from the architecture's sysroot. Its
init binds every edu to vfio-pci, runs the plan (one busybox sh command line a
line) and writes each command's output to the console between markers, which
read_results() takes apart.
"""
import gzip
import os
import re
import stat
import subprocess

INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin LD_LIBRARY_PATH=/lib TMPDIR=/tmp HOME=/tmp LANG=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo "hiod-guest: init started"
ulimit -l unlimited
for w in $(cat /proc/cmdline); do
	case "$w" in
	hiod.platform=*) export HIOD_PLATFORM=${w#hiod.platform=} ;;
	hiod.qemu=*) export HIOD_QEMU_VERSION=${w#hiod.qemu=} ;;
	esac
done
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


def _needed(triplet, path):
    """DT_NEEDED of an ELF file, through the binutils the cross toolchain brings."""
    out = subprocess.run([triplet + "-readelf", "-d", path], capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def make(arch, sysroot, build, commands, path):
    """Writes the initramfs for @arch (a vmrun.Arch) to @path: busybox, the
    init, the plan, the cross build's programs from @arch.programs and
    libhiod, and every library they need from @sysroot."""
    cpio = Cpio()
    libdirs = [os.path.join(sysroot, "usr/lib", arch.triplet), os.path.join(sysroot, "usr/lib")]
    cpio.file("bin/busybox", _read(os.path.join(sysroot, "usr/bin/busybox")))
    cpio.file("init", INIT.encode())
    cpio.file("plan", ("\n".join(commands) + "\n").encode(), 0o644)
    progs = []
    for sub in ("src",) + tuple(arch.programs):
        d = os.path.join(build, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.isfile(p) and not os.path.islink(p) and _is_elf(p) and not name.endswith((".o", ".a")):
                if sub == "src" and ".so" not in name:
                    continue
                cpio.file("hiod/%s/%s" % (sub, name), _read(p))
                progs.append(p)
        if sub == "src":
            for name in os.listdir(d):
                p = os.path.join(d, name)
                if os.path.islink(p) and ".so" in name:
                    cpio.symlink("hiod/src/" + name, os.readlink(p))
    # the programs' shared libraries, found in the sysroot, all in /lib
    todo = list(progs)
    done = set()
    while todo:
        for lib in _needed(arch.triplet, todo.pop()):
            if lib in done or lib.startswith("libhiod"):
                continue
            done.add(lib)
            for d in libdirs:
                p = os.path.join(d, lib)
                if os.path.exists(p):
                    real = os.path.realpath(p)
                    cpio.file("lib/" + lib, _read(real))
                    todo.append(real)
                    break
            else:
                raise SystemExit("vmrun: %s not found in the sysroot %s" % (lib, sysroot))
    loader = os.path.basename(arch.loader)
    cpio.file(arch.loader, _read(os.path.realpath(os.path.join(sysroot, "usr/lib", arch.triplet, loader))))
    with open(path, "wb") as f:
        f.write(gzip.compress(cpio.finish(), compresslevel=1))


def read_results(console, commands):
    """(command, output, exit code or None) for each command, from the
    markers the init wrote on the console."""
    results = []
    for i, c in enumerate(commands, 1):
        m = re.search(r"^HIOD-BEGIN %d\n(.*?)^HIOD-END %d (\d+)$" % (i, i), console, re.S | re.M)
        results.append((c, m.group(1), int(m.group(2))) if m else (c, "", None))
    return results

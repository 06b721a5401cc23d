#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM test (issue 16): `hiodctl launch` hands the edu devices to QEMU 11
running as an unprivileged user (uid 65534), who cannot open the VFIO or
iommufd nodes itself. QEMU runs inside this guest from the platform tree
(tests/vm/current-platform.sh; the guest sees the host's /), is stopped (-S)
and answers QMP on a socket: query-pci must show one vfio-pci edu
(1234:11e8) per handed-over device, for both backends and for one and two
devices. Also: the process is that user for good (ids, groups,
NoNewPrivs), its RLIMIT_MEMLOCK is the guest's memory + 1 GiB, the fds it
got are the nodes they claim, --print hands the same to a caller's own
program, and the refusals (not bound, vIOMMU incompatible) say why and
leave nothing. Prints TAP."""
import json
import os
import pwd
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish, skip_all  # noqa: E402

HIODCTL = os.environ["HIODCTL"]
SRCDIR = os.environ["HIOD_SRCDIR"]
UID = 65534


def qemu11():
    p = subprocess.run([os.path.join(SRCDIR, "tests", "vm", "current-platform.sh"), "qemu", "x86_64"],
                       capture_output=True, text=True)
    path = p.stdout.strip()
    return path if p.returncode == 0 and os.access(path, os.X_OK) else None


def edus():
    out = []
    base = "/sys/bus/pci/devices"
    for bdf in sorted(os.listdir(base)):
        try:
            v = open(os.path.join(base, bdf, "vendor")).read().strip()
            d = open(os.path.join(base, bdf, "device")).read().strip()
            drv = os.path.basename(os.readlink(os.path.join(base, bdf, "driver")))
        except OSError:
            continue
        if v == "0x1234" and d == "0x11e8" and drv == "vfio-pci":
            out.append(bdf)
    return out


def group_node(bdf):
    return "/dev/vfio/" + os.path.basename(os.readlink("/sys/bus/pci/devices/%s/iommu_group" % bdf))


def cdev_node(bdf):
    d = "/sys/bus/pci/devices/%s/vfio-dev" % bdf
    return "/dev/vfio/devices/" + os.listdir(d)[0] if os.path.isdir(d) else None


def as_user():
    os.setgroups([])
    os.setresgid(UID, UID, UID)
    os.setresuid(UID, UID, UID)


def user_can_open(path):
    p = subprocess.run([sys.executable, "-c", "import os,sys; os.close(os.open(sys.argv[1], os.O_RDWR))", path],
                       preexec_fn=as_user, capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip().splitlines()[-1:] or [""]


def proc_status(pid):
    out = {}
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        out[k] = v.split()
    return out


def memlock(pid):
    for line in open("/proc/%d/limits" % pid):
        if line.startswith("Max locked memory"):
            return line.split()[3:5]
    return None


class Qmp:
    # QEMU runs under TCG inside a TCG guest: about 2.5 s to its monitor on an
    # idle machine, over 60 s on a loaded one (two failures seen at load 11)
    def __init__(self, path, proc, timeout=300):
        self.sock = None
        deadline = time.time() + timeout
        while time.time() < deadline and proc.poll() is None:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                self.sock = s
                break
            except OSError:
                time.sleep(0.2)
        if self.sock is None:
            raise RuntimeError("no QMP socket after %d s (QEMU %s)" % (timeout, "exited %s" % proc.returncode if proc.poll() is not None else "silent"))
        self.sock.settimeout(timeout)
        self.f = self.sock.makefile("rw")
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args} if args else {"execute": name}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r or "error" in r:
                return r


def vfio_edus_in(qmp):
    r = qmp.cmd("query-pci")
    found = []
    for bus in r.get("return", []):
        for dev in bus["devices"]:
            ident = dev.get("id", {})
            if ident.get("vendor") == 0x1234 and ident.get("device") == 0x11e8:
                found.append(dev.get("qdev_id", ""))
    return found


def launch(qemu, devices, backend, extra=(), expect_rc=None, label=None, print_mode=False):
    """Runs hiodctl launch; returns (doc-or-None, rc). On success QEMU is
    asked over QMP what it realized, and quits."""
    label = label or "launch %s %s" % (backend, " ".join(devices))
    work = tempfile.mkdtemp(prefix="hiod-launch-")
    os.chown(work, UID, UID)
    qmp_path = os.path.join(work, "qmp.sock")
    vmm = [qemu, "-S", "-m", "64", "-machine", "q35,accel=tcg", "-nodefaults", "-display", "none",
           "-qmp", "unix:%s,server=on,wait=off" % qmp_path]
    argv = [HIODCTL, "launch"] + list(devices) + ["--backend", backend, "--user", str(UID)] + list(extra)
    if print_mode:
        argv = [HIODCTL, "--json", "launch", "--print"] + argv[2:] + \
            ["--", "sh", "-c", 'exec "$@" $HIOD_VMM_ARGS', "sh"] + vmm
    else:
        argv += ["--"] + vmm
    t0 = time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if expect_rc is not None:
        out, err = proc.communicate(timeout=120)
        return (out, err), proc.returncode
    try:
        qmp = Qmp(qmp_path, proc)
    except Exception as e:
        proc.kill()
        out, err = proc.communicate()
        check(False, "%s: QEMU answers QMP (%s; stderr: %s)" % (label, e, err.strip()[-600:]))
        return None, None
    elapsed = time.time() - t0
    st = proc_status(proc.pid)
    check(st["Uid"] == [str(UID)] * 4 and st["Gid"] == [str(UID)] * 4,
          "%s: QEMU runs as %d for good (Uid %s Gid %s)" % (label, UID, st["Uid"], st["Gid"]))
    check(st.get("Groups", []) == [str(UID)] and st.get("NoNewPrivs") == ["1"],
          "%s: no other group, no new privileges (Groups %s NoNewPrivs %s)" % (label, st.get("Groups"), st.get("NoNewPrivs")))
    want = str((64 << 20) + (1 << 30))
    check(memlock(proc.pid) == [want, want], "%s: RLIMIT_MEMLOCK %s = 64M + 1G (%s)" % (label, memlock(proc.pid), want))
    if backend == "iommufd":
        fds = {}
        for fd in os.listdir("/proc/%d/fd" % proc.pid):
            try:
                fds[int(fd)] = os.readlink("/proc/%d/fd/%s" % (proc.pid, fd))
            except OSError:
                pass
        n_iommu = sum(1 for t in fds.values() if t == "/dev/iommu")
        cdevs = sorted(t for t in fds.values() if t.startswith("/dev/vfio/devices/"))
        check(n_iommu == 1 and cdevs == sorted(cdev_node(d) for d in devices),
              "%s: QEMU holds the handed fds: /dev/iommu once and %s (%s)" % (label, cdevs, sorted(set(fds.values()))))
    found = vfio_edus_in(qmp)
    check(sorted(found) == ["hiod-vfio%d" % i for i in range(len(devices))],
          "%s: query-pci shows %d vfio-pci edu device(s) %s (QMP up after %.1f s)" % (label, len(devices), found, elapsed))
    qmp.cmd("quit")
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 0, "%s: QEMU quits cleanly (rc %s%s)" % (label, proc.returncode, (", " + err.strip()[-300:]) if proc.returncode else ""))
    doc = None
    if print_mode:
        try:
            doc = json.loads(out)
        except ValueError as e:
            check(False, "%s: --print --json prints one document (%s: %r)" % (label, e, out[:200]))
        try:
            import jsonschema
            schema = json.load(open(os.path.join(SRCDIR, "docs", "hiodctl.schema.json")))
            errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)] if doc else ["no document"]
            check(not errors, "%s: the document matches docs/hiodctl.schema.json (%s)" % (label, errors[:3]))
        except ImportError:
            pass
    return doc, proc.returncode


def restore_groups(devices):
    for d in devices:
        node = group_node(d)
        os.chown(node, 0, 0)
        os.chmod(node, 0o600)


def main():
    if os.geteuid() != 0:
        skip_all("needs root in the guest")
    qemu = qemu11()
    if qemu is None:
        skip_all("QEMU 11 tree missing (tests/vm/current-platform.sh qemu x86_64)")
    devs = edus()
    if len(devs) < 2:
        skip_all("needs two edu devices bound to vfio-pci (%s)" % devs)
    a, b = devs[:2]
    try:
        name = pwd.getpwuid(UID).pw_name
    except KeyError:
        name = "(no passwd entry)"
    print("# QEMU %s; user %d %s; devices %s %s" % (qemu, UID, name, a, b), flush=True)

    # the user cannot reach the devices by itself
    for node in [group_node(a), group_node(b), cdev_node(a), cdev_node(b), "/dev/iommu"]:
        ok, why = user_can_open(node)
        check(not ok, "uid %d cannot open %s itself (%s)" % (UID, node, why[0]))

    # one device, as hiodctl execs the VMM itself (iommufd with a vIOMMU that
    # accepts the device on this host)
    launch(qemu, [a], "iommufd", extra=["--viommu", "intel-iommu,aw-bits=39"])
    launch(qemu, [a], "legacy")
    check([(os.stat(group_node(a)).st_uid, stat.S_IMODE(os.stat(group_node(a)).st_mode))] == [(UID, 0o600)],
          "legacy: the group node was given to %d, mode 0600" % UID)
    restore_groups([a])

    # two devices through --print: the caller's own program inherits the fds
    # and finds the arguments in HIOD_VMM_ARGS
    for backend in ["iommufd", "legacy"]:
        doc, rc = launch(qemu, [a, b], backend, print_mode=True, label="launch --print %s %s %s" % (backend, a, b))
        if doc is not None:
            plan = doc.get("plan", {})
            check(doc.get("command") == "launch" and plan.get("backend") == backend and
                  doc.get("user", {}).get("uid") == UID and len(plan.get("vmm_args", [])) == (6 if backend == "iommufd" else 4),
                  "launch --print %s: the document names the plan, the user and the arguments %s" % (backend, plan.get("vmm_args")))
            if backend == "legacy":
                check([g["node"] for g in plan.get("granted", [])] == [group_node(a), group_node(b)] and
                      all(g["previous_uid"] == 0 for g in plan["granted"]),
                      "launch --print legacy: granted nodes with their previous owner (%s)" % plan.get("granted"))
        if backend == "legacy":
            restore_groups([a, b])

    # refusals: what, why, what to do; nothing changed
    (out, err), rc = launch(qemu, [a], "iommufd", extra=["--viommu", "intel-iommu,aw-bits=48,x-flts=on"], expect_rc=8)
    check(rc == 8 and "refuses the device" in err and "hiodctl check" in err,
          "a vIOMMU that refuses the device: exit 8 and why (%s)" % err.strip())
    subprocess.run([HIODCTL, "unbind", b], capture_output=True)
    try:
        (out, err), rc = launch(qemu, [a, b], "legacy", expect_rc=12)
        check(rc == 12 and "not bound to vfio-pci" in err and "hiodctl bind" in err,
              "a device not bound to vfio-pci: exit 12 and what to do (%s)" % err.strip())
        check(os.stat(group_node(a)).st_uid == 0, "the refused launch gave no group node away")
    finally:
        subprocess.run([HIODCTL, "bind", b], capture_output=True)
    (out, err), rc = launch(qemu, [a], "iommufd", expect_rc=4, extra=["--user", "no-such-user-x"])
    check(rc == 4 and "no user" in err, "an unknown user: exit 4 (%s)" % err.strip())

    finish()


main()

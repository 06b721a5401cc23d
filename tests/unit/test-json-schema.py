#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""hiodctl --json output against docs/hiodctl.schema.json. Prints TAP.

    test-json-schema.py          the unit suite: what works without devices
                                 (version, list, errors), the schema itself,
                                 its enums against the library's GType nicks,
                                 and every schema key documented in
                                 docs/json-schema.md
    test-json-schema.py --vm     in the test guest (tests/vm): info (legacy,
                                 iommufd, vdpa), dma-test, check, list,
                                 unbind/bind, and errors from the real kernel

Environment: HIODCTL; G_TEST_SRCDIR (tests/unit of the source tree) or
HIOD_SRCDIR (the top of the source tree); HIOD_LIBDIR (the build's src dir,
for the GObject-Introspection checks).
"""
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # the guest sees the source tree read-only
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hiodtap import check, finish, skip  # noqa: E402

if "HIOD_SRCDIR" in os.environ:
    TOP = os.environ["HIOD_SRCDIR"]
else:
    TOP = os.path.abspath(os.path.join(os.environ["G_TEST_SRCDIR"], "..", ".."))
HIODCTL = os.environ["HIODCTL"]
VM = "--vm" in sys.argv[1:]


try:
    import jsonschema
except ImportError:
    check(False, "python3-jsonschema is installed (scripts/setup-debian.sh installs it)")
    finish()

with open(os.path.join(TOP, "docs", "hiodctl.schema.json")) as f:
    SCHEMA = json.load(f)
Validator = jsonschema.Draft202012Validator
VALIDATOR = Validator(SCHEMA)
ERROR_CODES = SCHEMA["$defs"]["error_code"]["enum"]


def man_exit_statuses():
    """hiodctl(1) EXIT STATUS: name (an error code's nick, ok, usage, ...) -> status"""
    with open(os.path.join(TOP, "docs", "hiodctl.1")) as f:
        man = f.read()
    rows = re.findall(r"^\.TP\n\.B (\d+) (\S+)$", man[man.index(".SH EXIT STATUS"):], re.M)
    return {name.replace("\\-", "-"): int(status) for status, name in rows}


EXIT = man_exit_statuses()


def exit_code_for(doc):
    """the status hiodctl(1) documents for the document"""
    if "error" not in doc:
        # check answers "no" with a document and the incompatible code
        if doc.get("command") == "check" and not doc.get("verdict", {}).get("compatible", True):
            return EXIT["incompatible"]
        return EXIT["ok"]
    return EXIT.get(doc["error"]["code"], EXIT["failed"])


def hiodctl(*args, expect_error=None, expect_rc=None):
    """Runs hiodctl ARGS --json, validates the document, returns it."""
    argv = [HIODCTL] + list(args) + ["--json"]
    label = "hiodctl " + " ".join(args)
    p = subprocess.run(argv, capture_output=True, text=True)
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        check(False, "%s --json prints one JSON document (%s; stderr %s)" % (label, e, p.stderr.strip()))
        return None
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        print("# %s: %s at %s" % (label, e.message[:300], "/".join(str(x) for x in e.absolute_path)))
    check(not errors, "%s --json matches the schema" % label)
    if expect_error is not None:
        got = doc.get("error", {}).get("code")
        check(got == expect_error, "%s fails with %s (%s: %s)"
              % (label, expect_error, got, doc.get("error", {}).get("message")))
    elif "error" in doc:
        check(False, "%s succeeds (%s)" % (label, doc["error"]))
    want_rc = expect_rc if expect_rc is not None else exit_code_for(doc)
    check(p.returncode == want_rc, "%s exits %d (%d)" % (label, want_rc, p.returncode))
    return doc


def keys_of(node, out):
    """every property name the schema defines"""
    if isinstance(node, dict):
        for k, v in node.get("properties", {}).items():
            out.add(k)
        for v in node.values():
            keys_of(v, out)
    elif isinstance(node, list):
        for v in node:
            keys_of(v, out)
    return out


# what names a 64-bit address, mask, flag word or register value: a "0x" string
HEX_NAME = re.compile(r"(^|_)(iova|addr|mask|flags|start|last|first|offset|size|cap|ecap|efr|efr2)$")


def integer_properties(node, path, out):
    """(path, name) of every property the schema types as an integer"""
    if isinstance(node, dict):
        for k, v in node.get("properties", {}).items():
            if isinstance(v, dict) and "integer" in ([v.get("type")] if isinstance(v.get("type"), str) else v.get("type", [])):
                out.append((path + "/" + k, k))
        for k, v in node.items():
            integer_properties(v, path + "/" + k, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            integer_properties(v, "%s/%d" % (path, i), out)
    return out


def unit():
    check(Validator.check_schema(SCHEMA) is None, "the schema is a valid JSON Schema (2020-12)")

    # the schema keeps its own convention: no address, mask or flag word is a JSON number
    ints = integer_properties(SCHEMA, "", [])
    bad = sorted(p for p, k in ints if HEX_NAME.search(k))
    check(len(ints) > 10 and not bad, "no address, mask or flag word is typed integer (%s)" % bad)
    # ... and refuses them as numbers in the documents (hiodctl before this check printed these)
    old_dma = {"schema_version": 1, "command": "dma-test", "backend": "legacy", "device": "0000:00:05.0",
               "src_iova": 1048576, "dst_iova": 2097152, "bytes": 4096, "elapsed_ms": 1, "verified": True}
    check(not VALIDATOR.is_valid(old_dma), "a dma-test document with integer IOVAs is refused")
    check(VALIDATOR.is_valid(dict(old_dma, src_iova="0x100000", dst_iova="0x200000")),
          "a dma-test document with hex IOVAs is valid")
    old_check = {"schema_version": 1, "command": "check", "device": "0000:00:04.0",
                 "viommu_spec": "virtio-iommu", "viommu_flags": 0,
                 "requester_id": {"device": "0000:00:04.0", "requester_id": "0000:00:04.0", "aliased": False},
                 "verdict": {"viommu": "virtio-iommu", "compatible": True, "reasons": [], "suggestions": {}}}
    check(not VALIDATOR.is_valid(old_check), "a check document with integer viommu_flags is refused")
    check(VALIDATOR.is_valid(dict(old_check, viommu_flags="0x0")), "a check document with hex viommu_flags is valid")

    # every key the schema defines is explained in the reference page
    with open(os.path.join(TOP, "docs", "json-schema.md")) as f:
        page = f.read()
    documented = set(re.findall(r"`([a-z][a-z0-9_]*)`", page))
    missing = sorted(keys_of(SCHEMA, set()) - documented)
    check(not missing, "every schema key is documented in docs/json-schema.md (missing: %s)" % missing)

    # enums in the schema are the library's nicks
    if os.environ.get("HIOD_INTROSPECTION") == "0":
        skip("built without introspection: enums not compared")
        return unit_commands()
    try:
        import gi
        gi.require_version("Hiod", "1.0")
        from gi.repository import Hiod
    except (ImportError, ValueError) as e:
        check(False, "GObject-Introspection for Hiod-1.0 (%s)" % e)
    else:
        def nicks(cls):
            if hasattr(cls, "__flags_values__"):
                return [v.first_value_nick for k, v in sorted(cls.__flags_values__.items()) if k]
            return [v.value_nick for k, v in sorted(cls.__enum_values__.items())]
        d = SCHEMA["$defs"]
        check(nicks(Hiod.Error) == d["error_code"]["enum"],
              "error codes are the HiodError nicks, in order (%s)" % nicks(Hiod.Error))
        check(nicks(Hiod.IommuType) == d["iommu_type"]["enum"],
              "iommu_type values are the HiodIommuType nicks (%s)" % nicks(Hiod.IommuType))
        check(nicks(Hiod.BackendKind) == d["backend"]["enum"],
              "backend values are the HiodBackendKind nicks (%s)" % nicks(Hiod.BackendKind))
        check(nicks(Hiod.HwCaps) == d["hw_caps"]["items"]["enum"],
              "hw_caps values are the HiodHwCaps nicks (%s)" % nicks(Hiod.HwCaps))
        # the SMMUv3 registers QEMU 11.1's virt machine reports (the aarch64
        # lane measured them), decoded by the library, against smmuv3_caps
        if hasattr(Hiod, "Smmuv3Caps"):
            gi.require_version("Json", "1.0")
            from gi.repository import Json
            caps = Hiod.Smmuv3Caps.new([0xd44101b, 0x2730010, 0, 0x1414, 0, 0x74], 0, 1, 0)
            b = Json.Builder()
            caps.to_json(b)
            obj = json.loads(Json.to_string(b.get_root(), False))
            sub = Validator(dict(SCHEMA["$defs"]["smmuv3_caps"], **{"$defs": SCHEMA["$defs"]}))
            errors = [e.message for e in sub.iter_errors(obj)]
            check(not errors and obj["oas_bits"] == 44 and obj["nesting"],
                  "QEMU 11.1's SMMUv3 decoded is a valid smmuv3_caps object (%s)" % errors)
            check(not sub.is_valid(dict(obj, ttf="aarch65")), "an smmuv3_caps object with a bad ttf is refused")

    unit_commands()


def unit_commands():
    # the schema is not vacuous
    good = {"schema_version": 1, "command": "version", "version": "0.1.0", "backends": ["iommufd"]}
    check(VALIDATOR.is_valid(good), "a version document is valid")
    check(not VALIDATOR.is_valid(dict(good, buildDate="x")), "a camelCase or unknown key is refused")
    check(not VALIDATOR.is_valid(dict(good, schema_version=2)), "another schema_version is refused")
    bad_err = {"schema_version": 1, "command": "info", "error": {"code": "oops", "message": "m"}}
    check(not VALIDATOR.is_valid(bad_err), "an error code that is no HiodError nick is refused")

    # the commands that need no device
    doc = hiodctl("version")
    if doc:
        out = subprocess.run([HIODCTL, "version"], capture_output=True, text=True).stdout
        check(doc["version"] in out, "text output shows the version of the JSON document")
    hiodctl("list")
    hiodctl("list", "extra", expect_error="invalid-argument")
    hiodctl("info", expect_error="invalid-argument")
    hiodctl("info", "0000:00:04.0", "--backend", "nonsense", expect_error="invalid-argument")
    hiodctl("info", "ffff:ff:1f.7", expect_error="not-found")
    hiodctl("dma-test", expect_error="invalid-argument")
    hiodctl("check", "0000:00:04.0", expect_error="invalid-argument")
    hiodctl("check", "0000:00:04.0", "--viommu", "no-such-iommu", expect_error="invalid-argument")
    hiodctl("launch", expect_error="invalid-argument")
    hiodctl("launch", "0000:00:04.0", "--user", "x", expect_error="invalid-argument")
    hiodctl("launch", "0000:00:04.0", "--bogus", expect_error="invalid-argument")
    hiodctl("bind", expect_error="invalid-argument")
    hiodctl("unbind", "a", "b", expect_error="invalid-argument")
    hiodctl("no-such-command", expect_error="invalid-argument", expect_rc=EXIT["usage"])
    # a backend this build lacks: refused, not-supported (the others are
    # tried on the real kernel in --vm)
    built = (hiodctl("version") or {}).get("backends", [])
    for kind in SCHEMA["$defs"]["backend"]["enum"]:
        if kind != "auto" and (kind if kind != "legacy" else "legacy-vfio") not in built:
            hiodctl("info", "0000:00:04.0", "--backend", kind, expect_error="not-supported")


def vm():
    """In the guest: two edu devices on vfio-pci (0000:00:04.0, 0000:00:05.0), vdpa0."""
    doc = hiodctl("list")
    edus = [d["address"] for d in (doc or {}).get("devices", []) if d["device_id"] == "11e8"]
    check(len(edus) >= 2, "two edu devices listed (%s)" % edus)
    a, b = (edus + ["0000:00:04.0", "0000:00:05.0"])[:2]
    for backend in ("auto", "legacy", "iommufd"):
        doc = hiodctl("info", a, "--backend", backend)
        if doc and "device" in doc:
            hiod = doc["device"].get("host_iommu_device", {})
            check(doc["device"]["attached"] and hiod.get("realized"),
                  "info --backend %s: attached, host IOMMU device realized" % backend)
            if doc["backend"] == "iommufd":
                check("vtd" in hiod and "vendor_data" in hiod["caps"], "iommufd info has the decoded VT-d registers")
    if os.path.exists("/sys/bus/vdpa/devices/vdpa0"):
        hiodctl("info", "vdpa0")
    for backend in ("legacy", "iommufd"):
        doc = hiodctl("dma-test", b, "--backend", backend)
        check(bool(doc) and doc.get("verified") is True, "dma-test --backend %s verified" % backend)
    doc = hiodctl("check", a, "--viommu", "intel-iommu,aw-bits=39")
    doc = hiodctl("check", a, "--viommu", "virtio-iommu")
    check(bool(doc) and "reserved_regions" in doc.get("verdict", {}), "virtio-iommu verdict has reserved regions")
    # 48 bits on a 39-bit host: answered (a document, not an error), exit 8 (incompatible)
    doc = hiodctl("check", a, "--viommu", "intel-iommu,aw-bits=48,x-flts=on")
    if doc and "verdict" in doc and not doc["verdict"]["compatible"]:
        check(True, "check answers incompatible with reasons %s" % doc["verdict"]["reasons"])
    doc = hiodctl("unbind", b)
    check(bool(doc) and doc.get("device", {}).get("vfio_bound") is False, "unbind: %s not on vfio-pci" % b)
    hiodctl("info", b, expect_error="invalid-state")
    doc = hiodctl("bind", b)
    check(bool(doc) and doc.get("device", {}).get("vfio_bound") is True, "bind: %s back on vfio-pci" % b)
    hiodctl("info", "0000:00:01.0", expect_error="invalid-state")


if VM:
    vm()
else:
    unit()
finish()

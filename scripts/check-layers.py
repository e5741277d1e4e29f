#!/usr/bin/env python3
"""The tree's two structural rules, checked on every `make test`:

1. Layers. Every source file belongs to one layer (the longest matching
   prefix in LAYERS below) and may include only headers of the layers that
   layer lists. A lower layer never includes a higher one: the library
   includes neither mm/ nor the VM; device models never include the VM or
   the run loop; core/ never includes svm/, vmx/ or the virtual PC.
   docs/architecture.md explains the layers.

2. Sizes. A source file has at most 800 lines and a test file at most
   1000, unless scripts/layers.exceptions names it (with its reason).

Prints "PASS layers:includes" / "PASS layers:sizes", or FAIL lines naming
every offending include or file. Exits non-zero on a failure.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (prefix, layer); the longest prefix that matches a path wins.
LAYERS = [
    ("core/lib/", "lib"),
    ("arch/x86/include/asm/", "lib"),
    ("arch/x86/include/asm/smp.h", "arch"),
    ("arch/x86/include/asm/paging.h", "arch"),
    ("drivers/", "drivers"),
    ("mm/frame", "memory"),
    ("mm/heap", "memory"),
    ("core/srcu", "mechanism"),
    ("core/memslots", "mechanism"),
    ("core/vtimer", "mechanism"),
    ("core/vcpu_request", "mechanism"),
    ("core/sched", "mechanism"),
    ("mm/", "tdp"),
    ("core/", "core"),
    ("core/pc/dev/", "devices"),
    ("core/pc/", "pc"),
    ("core/payload/", "payload"),
    ("core/debug/", "debug"),
    ("core/launch/", "launch"),
    ("svm/", "svm"),
    ("vmx/", "vmx"),
    ("arch/", "arch"),
]

# What each layer may include, lowest layer first.
ALLOWED = {
    "lib": {"lib"},
    "drivers": {"lib", "drivers"},
    "memory": {"lib", "memory"},
    "mechanism": {"lib", "memory", "mechanism"},
    "tdp": {"lib", "memory", "mechanism", "tdp"},
    "core": {"lib", "memory", "mechanism", "tdp", "core"},
    "devices": {"lib", "mechanism", "devices"},
    "svm": {"lib", "memory", "mechanism", "tdp", "core", "svm"},
    "vmx": {"lib", "memory", "mechanism", "tdp", "core", "vmx"},
    "pc": {"lib", "memory", "mechanism", "tdp", "core", "devices", "pc"},
    "payload": {"lib", "memory", "mechanism", "tdp", "core", "payload"},
    "debug": {"lib", "memory", "mechanism", "tdp", "core", "debug"},
    "launch": {"lib", "drivers", "memory", "mechanism", "tdp", "core", "devices",
               "pc", "payload", "debug", "launch"},
    "arch": set(),  # filled below: the top; it may include everything
}
ALLOWED["arch"] = set(ALLOWED) | {"arch"}

SOURCE_MAX = 800
TEST_MAX = 1000
EXCEPTIONS = os.path.join(ROOT, "scripts", "layers.exceptions")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    best = None
    for prefix, layer in LAYERS:
        if path.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best[1] if best else None


def resolve(path, inc):
    """The repository path an include names (-I. and -Iarch/x86/include)."""
    for cand in (inc, os.path.join("arch/x86/include", inc),
                 os.path.normpath(os.path.join(os.path.dirname(path), inc))):
        if os.path.isfile(os.path.join(ROOT, cand)):
            return cand
    return None


def tracked_files():
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return sorted(f for f in out.split() if f.endswith((".c", ".h", ".S"))
                  and os.path.isfile(os.path.join(ROOT, f)))


def read_exceptions():
    names = set()
    if os.path.exists(EXCEPTIONS):
        for line in open(EXCEPTIONS):
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line.split()[0])
    return names


def main():
    files = tracked_files()
    bad_inc, bad_size = [], []
    exceptions = read_exceptions()
    for f in files:
        text = open(os.path.join(ROOT, f), errors="replace").read()
        is_test = f.startswith("tests/")
        limit = TEST_MAX if is_test else SOURCE_MAX
        lines = text.count("\n")
        if lines > limit and f not in exceptions:
            bad_size.append(f"{f} has {lines} lines (at most {limit})")
        if is_test:
            continue
        mine = layer_of(f)
        if mine is None:
            continue
        for inc in INCLUDE.findall(text):
            target = resolve(f, inc)
            if target is None:
                continue
            theirs = layer_of(target)
            if theirs is not None and theirs not in ALLOWED[mine]:
                bad_inc.append(f"{f} ({mine}) includes {target} ({theirs})")
    for name, bad in (("includes", bad_inc), ("sizes", bad_size)):
        if bad:
            print(f"FAIL layers:{name}: {len(bad)} violation(s)")
            for b in bad:
                print(f"  {b}")
        else:
            print(f"PASS layers:{name}")
    return 1 if bad_inc or bad_size else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Conformance kernels: runs each under QEMU directly (the reference) and,
with --hv, under the hypervisor through scripts/run-kernel.sh, and compares.

    tests/conformance/run.py [--hv] [--vmx] [--verbose] [--timeout S] [NAME...]

NAME: kernels to run (default: all of KERNELS below); make builds
build/conformance/NAME.elf first. Each kernel prints one line per check on
COM1, "PASS kernel.check", "FAIL kernel.check: detail" or
"SKIP kernel.check: why", then "END kernel: N passed, N failed, N skipped",
and writes 0 (all passed) or 1 to the debug-exit port 0xf4, which QEMU
turns into exit status 1 or 3.

Per kernel and run this prints one line that tests/summary.sh counts:

    PASS conformance:qemu:smp          the reference: END seen, the status
                                       that goes with it, every check PASS
                                       or SKIP, or FAIL where
                                       expected-differences marks it
                                       qemu-fails (QEMU TCG's own gaps)
    PASS conformance:hv:smp            the hypervisor: its status, END seen,
                                       and every check's result equal to the
                                       reference's, but for the checks that
                                       tests/conformance/expected-differences
                                       names (either result is accepted) or
                                       tags no-reference (QEMU has no such
                                       feature and SKIPs; the hypervisor
                                       must PASS: the check itself holds the
                                       architecture's rule)
    FAIL conformance:hv:smp: ...       what differed, which checks failed

then "TIME conformance:<run>:<kernel> <seconds>s". --verbose also prints
the kernel's console, indented (so that summary.sh does not count it).
--vmx runs the hypervisor under Bochs with VT-x (run-kernel.sh -vmx; give
it a longer --timeout). A run that does not end within --timeout seconds
(30) fails; the runner gets the same limit in RUN_KERNEL_TIMEOUT.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join("build", "conformance")
EXPECTED = os.path.join("tests", "conformance", "expected-differences")
RUNNER = os.path.join("scripts", "run-kernel.sh")

# What each kernel needs from its loader: vCPUs, command line, modules.
KERNELS = {
    "exceptions": {},
    "lapic_timer": {},
    "smp": {"smp": 3},
    "ioapic": {},
    "mb_entry": {
        "append": "alpha=1 beta=two",
        "initrd": "tests/conformance/mb_mod_a.txt one=1,tests/conformance/mb_mod_b.txt",
    },
    "pci": {},
    "pmtimer": {},
    "pit": {},
    "cpuid_msr": {},
    "rtc": {},
    "x2apic": {},
    "pic": {},
}

LINE = re.compile(r"^(PASS|FAIL|SKIP) ([A-Za-z0-9_]+\.[A-Za-z0-9_.]+)(?::\s*(.*))?$")
END = re.compile(r"^END (\w+): (\d+) passed, (\d+) failed, (\d+) skipped$")


def qemu_cmd(kernel, spec):
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64,+svm,+npt",
           "-smp", str(spec.get("smp", 1)), "-m", "128", "-nodefaults",
           "-display", "none", "-no-reboot", "-kernel", kernel]
    if "append" in spec:
        cmd += ["-append", spec["append"]]
    if "initrd" in spec:
        cmd += ["-initrd", spec["initrd"]]
    return cmd + ["-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                  "-device", "pc-testdev", "-serial", "stdio"]


def hv_cmd(kernel, spec, vmx):
    cmd = [RUNNER, "-smp", str(spec.get("smp", 1)), "-m", "128"]
    if "append" in spec:
        cmd += ["-append", spec["append"]]
    if "initrd" in spec:
        cmd += ["-initrd", spec["initrd"]]
    return cmd + (["-vmx"] if vmx else []) + [kernel]


def run(cmd, timeout, env=None):
    """Returns (exit status or None on timeout, console text, stderr text):
    the console is stdout alone, so that a log on stderr cannot split its
    lines."""
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, env=env)
        return p.returncode, p.stdout.decode("utf-8", "replace"), \
            p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace"), \
            (e.stderr or b"").decode("utf-8", "replace")


def parse(name, text):
    """The kernel's check results {check: (PASS|FAIL|SKIP, detail)} and its
    END counts (None if it never ended)."""
    results, end = {}, None
    for raw in text.splitlines():
        line = raw.strip("\r")
        m = LINE.match(line)
        if m and m.group(2).startswith(name + "."):
            check = m.group(2)
            # A check that fails twice keeps its first detail; FAIL wins.
            if check not in results or m.group(1) == "FAIL" and results[check][0] != "FAIL":
                results[check] = (m.group(1), m.group(3) or "")
        m = END.match(line)
        if m and m.group(1) == name:
            end = tuple(int(x) for x in m.group(2, 3, 4))
    return results, end


TAGS = ("qemu-fails", "no-reference")


def read_expected():
    """{check: (tag, reason)} from the expected-differences file: "CHECK
    REASON", "CHECK qemu-fails REASON" or "CHECK no-reference REASON", one
    a line (tag "" for the first)."""
    out = {}
    with open(os.path.join(ROOT, EXPECTED)) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                check, _, rest = line.partition(" ")
                tag, _, reason = rest.strip().partition(" ")
                if tag in TAGS:
                    out[check] = (tag, reason.strip())
                else:
                    out[check] = ("", rest.strip())
    return out


def judge(name, status, text, timeout):
    """One run on its own: its results, the problems of its end (status, END
    line) and its FAIL lines."""
    results, end = parse(name, text)
    problems = []
    if status is None:
        problems.append(f"no end within {timeout}s")
    elif end is None:
        problems.append(f"exit status {status} without an END line")
    failed = sorted(c for c, (r, _) in results.items() if r == "FAIL")
    if status is not None and end is not None:
        want = 3 if end[1] else 1
        if status != want:
            problems.append(f"exit status {status}, expected {want} for {end[1]} failed")
        counted = sum(1 for r, _ in results.values() if r != "SKIP")
        if end[0] + end[1] != counted and not failed:
            problems.append(f"END counts {end[0] + end[1]} checks, the console shows {counted}")
    return results, problems, [f"{c}: {results[c][1]}" for c in failed]


def compare(name, ref, hv, expected):
    """Checks of kernel name whose result differs between the two runs and is
    not expected to, and no-reference checks the hypervisor did not pass."""
    diffs = []
    no_ref = {c for c, (tag, _) in expected.items()
              if tag == "no-reference" and c.startswith(name + ".")}
    for check in sorted(set(ref) | set(hv) | no_ref):
        a = ref.get(check, ("absent", ""))[0]
        b = hv.get(check, ("absent", ""))[0]
        detail = hv.get(check, ("", ""))[1]
        detail = f" ({detail})" if detail else ""
        if expected.get(check, ("",))[0] == "no-reference":
            if b != "PASS":
                diffs.append(f"{check}: hypervisor {b}, no reference: PASS expected{detail}")
        elif a != b and check not in expected:
            diffs.append(f"{check}: QEMU {a}, hypervisor {b}{detail}")
    return diffs


def report(run_name, kernel, problems, elapsed, text, err, verbose):
    tag = f"conformance:{run_name}:{kernel}"
    if problems:
        print(f"FAIL {tag}: " + "; ".join(problems))
    else:
        print(f"PASS {tag}")
    if verbose or problems:
        for line in text.splitlines()[-40 if problems and not verbose else 0:]:
            print(f"    {line.rstrip()}")
        if err.strip():
            print("    ---- stderr (last 20 lines) ----")
            for line in err.splitlines()[-20:]:
                print(f"    {line.rstrip()}")
    else:
        for line in text.splitlines():
            if line.startswith("known QEMU TCG failure"):
                print(f"    {line}")
    print(f"TIME {tag} {elapsed:.1f}s")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kernels", nargs="*", metavar="NAME")
    ap.add_argument("--hv", action="store_true", help="also run through scripts/run-kernel.sh")
    ap.add_argument("--vmx", action="store_true", help="the hypervisor under VT-x (Bochs)")
    ap.add_argument("--timeout", type=int, default=30)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    names = args.kernels or list(KERNELS)
    unknown = [n for n in names if n not in KERNELS]
    if unknown:
        print(f"FAIL conformance:args: unknown kernel(s) {', '.join(unknown)}")
        return 1
    images = [os.path.join(BUILD, n + ".elf") for n in names]
    if subprocess.run(["make", "--no-print-directory", "-s"] + images, cwd=ROOT).returncode:
        print("FAIL conformance:build: make " + " ".join(images))
        return 1
    expected = read_expected()
    hv = args.hv and os.path.exists(os.path.join(ROOT, RUNNER))
    if args.hv and not hv:
        print(f"conformance: {RUNNER} not there: QEMU reference only")
    status = 0
    for name, image in zip(names, images):
        spec = KERNELS[name]
        start = time.time()
        code, text, err = run(qemu_cmd(image, spec), args.timeout)
        ref, problems, failed = judge(name, code, text, args.timeout)
        known = [f for f in failed
                 if expected.get(f.split(":", 1)[0], ("",))[0] == "qemu-fails"]
        problems += [f for f in failed if f not in known]
        if known and not problems:
            text += "".join(f"\nknown QEMU TCG failure, {f.split(':', 1)[0]}: "
                            f"{expected[f.split(':', 1)[0]][1]}" for f in known)
        report("qemu", name, problems, time.time() - start, text, err, args.verbose)
        status |= bool(problems)
        if not hv:
            continue
        env = dict(os.environ, RUN_KERNEL_TIMEOUT=str(args.timeout))
        start = time.time()
        code, text, err = run(hv_cmd(image, spec, args.vmx), args.timeout + 30, env)
        # The checks are judged against the reference, not on their own.
        res, problems, _ = judge(name, code, text, args.timeout)
        problems += compare(name, ref, res, expected)
        report("hv-vmx" if args.vmx else "hv", name, problems, time.time() - start,
               text, err, args.verbose)
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main())

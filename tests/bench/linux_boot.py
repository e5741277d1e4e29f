#!/usr/bin/env python3
"""Linux boot time under the hypervisor, side by side with its peers.

Boots the same kernel and initramfs (build/linux, scripts/guest-image.sh)
in the same QEMU (TCG, -cpu qemu64,+svm,+npt), one after the other and
repeated, and measures the wall time from QEMU's start to the initramfs
marker "MICROHV-GUEST-READY":

  direct   QEMU loads the kernel itself (-kernel/-initrd, SeaBIOS), 1 vCPU
  hv-iso   the hypervisor from its GRUB ISO (SeaBIOS), the kernel in a
           1-vCPU VM (-smp 2: CPU 0 runs the console monitor)
  hv-uefi  the same from the UEFI ESP (OVMF)
  hv-iso-trace0
           hv-iso with trace=0 on the hypervisor's command line (GRUB's
           multiboot2 line): the VM-exit flight recorder off, to show
           what the default recorder costs (the ratio hv-iso/hv-iso-trace0)
  xen      Xen 4.17 (Debian's xen-hypervisor-4.17-amd64, fetched with
           apt-get download) with the kernel as PVH dom0, from a GRUB ISO
           (q35 with an IOMMU, which PVH dom0 needs; -smp 2)

Prints the median of each, its ratio to direct, and the hypervisor's VM
exits per reason for one boot (to the marker, then poweroff): count,
the hypervisor's TSC cycles from those exits to the next entries, and
their mean. Wall time
under TCG depends on the machine's load: the ratios, measured in one run,
are what to compare.

With BENCH_BASELINE=DIR (another build directory, e.g. the build of an
earlier commit), that build's images join the run as base-iso and
base-uefi, interleaved with the others, so that a change's cost is
measured side by side with the build before it.

Usage: linux_boot.py [RUNS]   (RUNS per configuration, default 3)
Environment: BUILD (build), BENCH_NO_XEN=1 skips Xen, BENCH_BASELINE=DIR,
BENCH_ONLY=NAME,NAME (only those configurations, e.g.
BENCH_ONLY=hv-iso,hv-iso-trace0 for the recorder's cost alone).
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
LINUX = os.path.join(BUILD, "linux")
MARKER = b"MICROHV-GUEST-READY"
CMDLINE = "console=ttyS0 quiet"
TIMEOUT = 300
QEMU = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64,+svm,+npt",
        "-display", "none", "-serial", "stdio", "-no-reboot"]
VMCFG = f'vm name=linux memory=256M vcpus=1 kernel=vmlinuz initrd=initrd.gz cmdline="{CMDLINE}"\n'


def boot(cmd, poweroff_until=None):
    """Seconds from start to the marker; with poweroff_until, also types
    poweroff -f and returns the output up to that regex."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    os.set_blocking(proc.stdout.fileno(), False)
    start = time.monotonic()
    out = b""
    took = None
    try:
        while time.monotonic() - start < TIMEOUT:
            chunk = proc.stdout.read()
            if chunk:
                out += chunk
                if took is None and MARKER in out:
                    took = time.monotonic() - start
                    if not poweroff_until:
                        break
                    time.sleep(1)
                    proc.stdin.write(b"poweroff -f\n")
                    proc.stdin.flush()
                if took is not None and poweroff_until and \
                        re.search(poweroff_until, out.decode("utf-8", "replace")):
                    time.sleep(0.5)
                    out += proc.stdout.read() or b""
                    break
            elif proc.poll() is not None:
                break
            else:
                time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait()
    if took is None:
        tail = out.decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"no marker within {TIMEOUT} s: {' '.join(cmd[:3])}...\n{tail}")
    return took, out.decode("utf-8", "replace")


def make_iso(work, name, kernel, kernel_args, modules):
    """A GRUB ISO booting kernel (Multiboot2) with modules [(path, string)]."""
    root = os.path.join(work, name)
    os.makedirs(os.path.join(root, "boot/grub"))
    lines = ["serial --unit=0 --speed=115200", "terminal_input serial",
             "terminal_output serial", "set timeout=0", "set default=0",
             'menuentry "bench" {']
    shutil.copy(kernel, os.path.join(root, "boot", os.path.basename(kernel)))
    lines.append(f"\tmultiboot2 /boot/{os.path.basename(kernel)} {kernel_args}")
    for path, arg in modules:
        shutil.copy(path, os.path.join(root, "boot", os.path.basename(path)))
        lines.append(f"\tmodule2 --nounzip /boot/{os.path.basename(path)} {arg}")
    lines += ["\tboot", "}"]
    with open(os.path.join(root, "boot/grub/grub.cfg"), "w") as f:
        f.write("\n".join(lines) + "\n")
    iso = os.path.join(work, name + ".iso")
    subprocess.run(["grub-mkrescue", "-o", iso, root], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return iso


def fetch_xen(work):
    deb_dir = os.path.join(work, "xen-deb")
    os.makedirs(deb_dir)
    os.chmod(deb_dir, 0o777)
    r = subprocess.run(["apt-get", "download", "-q", "xen-hypervisor-4.17-amd64"],
                       cwd=deb_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    debs = [f for f in os.listdir(deb_dir) if f.endswith(".deb")]
    if r.returncode or not debs:
        raise RuntimeError("apt-get download xen-hypervisor-4.17-amd64 failed: " +
                           r.stderr.decode(errors="replace")[-300:])
    x = os.path.join(work, "xen-x")
    os.makedirs(x)
    subprocess.run(f"dpkg-deb --fsys-tarfile {os.path.join(deb_dir, debs[0])} | "
                   f"tar -x -C {x} ./boot/xen-4.17-amd64.gz", shell=True, check=True)
    return os.path.join(x, "boot/xen-4.17-amd64.gz")


def hv_iso_config(work, name, build, hv_args, cfg, vmlinuz, initrd):
    """The hypervisor of build from its GRUB ISO, with hv_args as its command line."""
    iso = make_iso(work, name, os.path.join(build, "mb2/hv.elf"), hv_args,
                   [(cfg, "vms.cfg"), (vmlinuz, "vmlinuz"), (initrd, "initrd.gz")])
    return QEMU + ["-smp", "2", "-m", "1024", "-cdrom", iso, "-boot", "d"]


def hv_configs(work, prefix, build, cfg, vmlinuz, initrd):
    """The hypervisor of build booting the kernel: from its ISO and its ESP."""
    out = {}
    out[f"{prefix}-iso"] = hv_iso_config(work, prefix, build, "", cfg, vmlinuz, initrd)
    esp = os.path.join(work, f"{prefix}-esp")
    shutil.copytree(os.path.join(build, "efi/esp"), esp)
    os.makedirs(os.path.join(esp, "hv"), exist_ok=True)
    for path in (cfg, vmlinuz, initrd):
        shutil.copy(path, os.path.join(esp, "hv"))
    out[f"{prefix}-uefi"] = QEMU + ["-smp", "2", "-m", "1024", "-bios", "/usr/share/ovmf/OVMF.fd",
                                    "-nodefaults", "-drive", f"file=fat:rw:{esp},format=raw",
                                    "-net", "none"]
    return out


def configs(work, with_xen):
    vmlinuz, initrd = os.path.join(LINUX, "vmlinuz"), os.path.join(LINUX, "initrd.gz")
    cfg = os.path.join(work, "vms.cfg")
    with open(cfg, "w") as f:
        f.write(VMCFG)
    out = {"direct": QEMU + ["-smp", "1", "-m", "512", "-kernel", vmlinuz, "-initrd", initrd,
                             "-append", CMDLINE]}
    out.update(hv_configs(work, "hv", BUILD, cfg, vmlinuz, initrd))
    out["hv-iso-trace0"] = hv_iso_config(work, "hv-trace0", BUILD, "trace=0", cfg, vmlinuz,
                                         initrd)
    baseline = os.environ.get("BENCH_BASELINE")
    if baseline:
        out.update(hv_configs(work, "base", os.path.abspath(baseline), cfg, vmlinuz, initrd))
    if with_xen:
        xen = fetch_xen(work)
        xen_iso = make_iso(work, "xen", xen,
                           "console=com1 com1=115200,8n1 dom0_mem=512M dom0=pvh",
                           [(vmlinuz, "console=hvc0 quiet"), (initrd, "initrd")])
        out["xen"] = QEMU + ["-machine", "q35", "-smp", "2", "-m", "1024", "-cdrom", xen_iso,
                             "-boot", "d", "-device", "intel-iommu,intremap=on"]
    return out


def exit_table(log):
    """(total exits, [(reason, count, cycles, mean)]) from the VM's report."""
    rows = re.findall(r"^\[[ \d.]+\]\s+exits (\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", log, re.M)
    total = re.search(r"vm linux vCPU 0: (\d+) exits", log)
    return (int(total.group(1)) if total else None), rows


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with_xen = os.environ.get("BENCH_NO_XEN") != "1"
    work = tempfile.mkdtemp(prefix="hv-bench-")
    try:
        try:
            cmds = configs(work, with_xen)
        except (RuntimeError, subprocess.CalledProcessError) as e:
            print(f"linux_boot: Xen unavailable ({e}); measuring without it")
            cmds = configs(work, False)
        only = os.environ.get("BENCH_ONLY")
        if only:
            cmds = {n: c for n, c in cmds.items() if n in only.split(",")}
        times = {name: [] for name in cmds}
        for i in range(runs):		# interleaved: load changes hit all alike
            for name, cmd in cmds.items():
                took, _ = boot(cmd)
                times[name].append(took)
        log = ""
        if "hv-iso" in cmds:
            _, log = boot(cmds["hv-iso"], poweroff_until=r"hv: every VM has ended")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = statistics.median(times["direct" if "direct" in times else next(iter(times))])
    print(f"Linux boot to the initramfs marker (QEMU TCG, qemu64,+svm,+npt; median of {runs})")
    print(f"  {'configuration':<13} {'median s':>9} {'runs':>24}  vs "
          f"{'direct' if 'direct' in times else next(iter(times))}")
    for name, t in times.items():
        med = statistics.median(t)
        print(f"  {name:<13} {med:9.2f} {' '.join(f'{x:.1f}' for x in t):>24}  {med / base:5.2f}x")
    if "hv-iso" in times and "hv-iso-trace0" in times:
        rec = statistics.median(times["hv-iso"]) / statistics.median(times["hv-iso-trace0"])
        print(f"  flight recorder: hv-iso vs hv-iso-trace0: {rec:.3f}x "
              "(the default recorder against trace=0)")
    for kind in ("iso", "uefi"):
        if f"base-{kind}" in times:
            new, old = statistics.median(times[f"hv-{kind}"]), statistics.median(times[f"base-{kind}"])
            print(f"  hv-{kind} vs base-{kind}: {new / old:.3f}x (this build against BENCH_BASELINE)")
    if "xen" in times:
        print(f"  hv-iso vs xen: {statistics.median(times['hv-iso']) / statistics.median(times['xen']):.2f}x"
              " (below 1: faster than Xen)")
    if not log:
        return 0
    total, rows = exit_table(log)
    print(f"VM exits of one boot under hv (to the marker, then poweroff -f): {total}")
    print(f"  {'reason':<16} {'count':>8} {'hv cycles':>14} {'mean':>10}")
    for reason, count, cycles, mean in rows:
        print(f"  {reason:<16} {count:>8} {cycles:>14} {mean:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

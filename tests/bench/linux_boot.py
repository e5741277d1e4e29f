#!/usr/bin/env python3
"""Linux boot time under the hypervisor, side by side with its peers.

Boots the same kernel and initramfs (build/linux, scripts/guest-image.sh)
in the same QEMU (TCG, -cpu qemu64,+svm,+npt or BENCH_CPU), one after the other and
repeated, and measures the wall time from QEMU's start to the initramfs
marker "MICROHV-GUEST-READY":

  direct   QEMU loads the kernel itself (-kernel/-initrd, SeaBIOS), 1 vCPU
  direct-ovmf
           the same from OVMF (-bios OVMF.fd -kernel ...): the firmware
           hv-uefi starts from, without the hypervisor
  hv-iso   the hypervisor from its GRUB ISO (SeaBIOS), the kernel in a
           1-vCPU VM (-smp 2: CPU 0 runs the console monitor)
  hv-iso-ahci
           the same ISO on q35 (-machine q35): the CD-ROM on the AHCI
           controller, which SeaBIOS reads by DMA, where hv-iso's PIIX
           IDE CD-ROM is read by programmed I/O; hv-iso keeps its
           command line so that earlier figures stay comparable
  hv-uefi  the same from the UEFI ESP (OVMF)
  hv-uefi-ahci
           the same ESP on q35's AHCI controller (as hv-iso-ahci)
  hv-iso-trace0
           hv-iso with trace=0 on the hypervisor's command line (GRUB's
           multiboot2 line): the VM-exit flight recorder off, to show
           what the default recorder costs (the ratio hv-iso/hv-iso-trace0)
  xen      Xen 4.17 (Debian's xen-hypervisor-4.17-amd64, fetched with
           apt-get download) with the kernel as PVH dom0, from a GRUB ISO
           (q35 with an IOMMU, which PVH dom0 needs; -smp 2)

Three parts, each a table (BENCH_PARTS picks them, default all):

  boot   the median of each configuration, its ratio to direct, and
         hv-uefi's to direct-ovmf as well (the same firmware on both
         sides); then each ISO boot in parts, from the times its serial
         lines first came (STAMPS): firmware and GRUB's start, GRUB's
         reads, the hypervisor's boot, the VM's set-up, the guest's
         boot;
  exits  the hypervisor's VM exits per boot by reason (each hv-iso boot
         of the run goes on to poweroff -f, and the VM's exit statistics
         are read from the log): the median count and the median of the
         mean TSC cycles the hypervisor spent per exit (exit to next
         entry);
  idle   a 2-vCPU Linux guest left idle at its shell: the monitor's
         stats before and after IDLE_SECS seconds (Ctrl-A x3 takes the
         console), exits per second per vCPU by reason, and the
         monitor's profile over the same time, its top 5 exit RIPs per
         vCPU.

Three more parts measure the scheduler (not in BENCH_ONLY's list):

  switch the test payload tests/guest/sched_ipi.S (two vCPUs) under the
         hypervisor's ISO on one CPU (-smp 1): cycles per IPI+HLT round
         trip between its vCPUs (two switches between their threads)
         against cycles per CPUID exit on one vCPU, and the ratio;
  wake   the same payload on -smp 2 (vCPU i on CPU i) and -smp 1: cycles
         from an IPI to the first instruction of the target vCPU's
         handler, the target halted on another CPU, spinning on another
         CPU, and halted on the same CPU (guest TSC; QEMU TCG's guest TSC
         is the host's). switch and wake share their runs;
  smp    Linux with 2 vCPUs (hv-iso) to the marker on -smp 1 against
         -smp 2, and the old layout (-smp 3, cpus=1,2 pin=on: the
         monitor's CPU runs no vCPU) against the new default (-smp 2,
         every CPU runs vCPUs).

Wall time under TCG depends on the machine's load: the ratios, measured
in one run, are what to compare.

With BENCH_BASELINE=DIR (another build directory, e.g. the build of an
earlier commit), that build's images join the run as base-iso and
base-uefi, interleaved with the others, so that a change's cost is
measured side by side with the build before it; the exits part then
shows base-iso's exits and cycles per exit beside hv-iso's.

Usage: linux_boot.py [RUNS]   (RUNS per configuration; default
BENCH_BOOT_RUNS, else 5)
Environment: BUILD (build), BENCH_NO_XEN=1 skips Xen, BENCH_BASELINE=DIR,
BENCH_CPU=MODEL (QEMU's -cpu for every configuration, default
qemu64,+svm,+npt, which says AMD family 15: Linux then walks every PCI bus
for a K8 GART aperture; e.g. BENCH_CPU=EPYC,+svm,+npt for family 0x17),
BENCH_ONLY=NAME,NAME (only those configurations, e.g.
BENCH_ONLY=hv-iso,hv-iso-trace0 for the recorder's cost alone),
BENCH_BOOT_RUNS=N, BENCH_PARTS=boot,exits,idle,switch,wake,smp (e.g. BENCH_PARTS=idle
BENCH_NO_XEN=1 for the idle figure alone; BENCH_PARTS=exits
BENCH_BOOT_RUNS=1 for one boot's exits).
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
CPU = os.environ.get("BENCH_CPU", "qemu64,+svm,+npt")
QEMU = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", CPU,
        "-display", "none", "-serial", "stdio", "-no-reboot"]
# The serial lines whose first appearance each boot timestamps (seconds
# from QEMU's start): GRUB's menu entry, the hypervisor's first line, its
# "ready", the VM's start; with the marker, the parts of an ISO boot.
STAMPS = {
    "grub": rb"Booting `",
    "hv": rb"hv: micro-hypervisor",
    "ready": rb"hv: \d+ CPUs online, ready",
    "vm": rb"hv: \d+ of \d+ VM\(s\) started",
}
VMCFG = f'vm name=linux memory=256M vcpus=1 kernel=vmlinuz initrd=initrd.gz cmdline="{CMDLINE}"\n'
IDLE_VMCFG = VMCFG.replace("vcpus=1", "vcpus=2")
IDLE_SECS = 30
OVMF = "/usr/share/ovmf/OVMF.fd"
PARTS = ("boot", "exits", "idle", "switch", "wake", "smp")
IPI_PAYLOAD = "sched_ipi.bin"
IPI_END = rb"vm sched_ipi\.bin: ended: [^\n]*\n"
IPI_LINES = {
    "exit": r"sched_ipi: exit: (\d+) cycles per CPUID exit",
    "halted": r"sched_ipi: halted: (\d+) cycles per round trip, (\d+) cycles from the IPI",
    "spinning": r"sched_ipi: spinning: (\d+) cycles per round trip, (\d+) cycles from the IPI",
}
SMP_LAYOUTS = {			# name: (-smp, what vms.cfg adds to the 2-vCPU VM)
    "2vcpu-smp1": ("1", ""),
    "2vcpu-smp2": ("2", ""),
    "old-smp3-pin": ("3", " cpus=1,2 pin=on"),
}


def boot(cmd, poweroff_until=None, marker=MARKER, stamps=None):
    """Seconds from start to the marker; with poweroff_until, also types
    poweroff -f and returns the output up to that regex. stamps (a dict)
    gets the seconds at which each STAMPS line first came."""
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
                if stamps is not None:
                    now = time.monotonic() - start
                    for key, regex in STAMPS.items():
                        if key not in stamps and re.search(regex, out):
                            stamps[key] = now
                if took is None and re.search(marker, out):
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
        raise RuntimeError(f"no {marker!r} within {TIMEOUT} s: {' '.join(cmd[:3])}...\n{tail}")
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


def ahci(cmd):
    """cmd (an ISO boot on the default i440FX) with its CD on q35's AHCI."""
    return cmd[:len(QEMU)] + ["-machine", "q35"] + cmd[len(QEMU):]


def hv_configs(work, prefix, build, cfg, vmlinuz, initrd):
    """The hypervisor of build booting the kernel: from its ISO and its ESP."""
    out = {}
    out[f"{prefix}-iso"] = hv_iso_config(work, prefix, build, "", cfg, vmlinuz, initrd)
    # The same ISO on q35's AHCI controller: SeaBIOS reads it by DMA where
    # the PIIX IDE's ATAPI reads are programmed I/O, word by word.
    out[f"{prefix}-iso-ahci"] = ahci(out[f"{prefix}-iso"])
    esp = os.path.join(work, f"{prefix}-esp")
    shutil.copytree(os.path.join(build, "efi/esp"), esp)
    os.makedirs(os.path.join(esp, "hv"), exist_ok=True)
    for path in (cfg, vmlinuz, initrd):
        shutil.copy(path, os.path.join(esp, "hv"))
    out[f"{prefix}-uefi"] = QEMU + ["-smp", "2", "-m", "1024", "-bios", "/usr/share/ovmf/OVMF.fd",
                                    "-nodefaults", "-drive", f"file=fat:rw:{esp},format=raw",
                                    "-net", "none"]
    # The same ESP on q35's AHCI: OVMF reads the hypervisor, the kernel and
    # the initrd by DMA where the PIIX IDE disk is read by programmed I/O.
    out[f"{prefix}-uefi-ahci"] = ahci(out[f"{prefix}-uefi"])
    return out


def configs(work, with_xen):
    vmlinuz, initrd = os.path.join(LINUX, "vmlinuz"), os.path.join(LINUX, "initrd.gz")
    cfg = os.path.join(work, "vms.cfg")
    with open(cfg, "w") as f:
        f.write(VMCFG)
    direct = ["-smp", "1", "-m", "512", "-kernel", vmlinuz, "-initrd", initrd,
              "-append", CMDLINE]
    out = {"direct": QEMU + direct,
           "direct-ovmf": QEMU + ["-bios", OVMF, "-nodefaults", "-net", "none"] + direct}
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


def ipi_configs(work):
    """The hypervisor's ISO with the sched_ipi payload, on one and on two CPUs."""
    iso = make_iso(work, "hv-ipi", os.path.join(BUILD, "mb2/hv.elf"), "",
                   [(os.path.join(BUILD, "guest", IPI_PAYLOAD), IPI_PAYLOAD)])
    return {f"ipi-smp{n}": QEMU + ["-smp", n, "-m", "512", "-cdrom", iso, "-boot", "d"]
            for n in ("1", "2")}


def ipi_numbers(cmd):
    """One run of the payload: {exit: (c,), halted: (trip, latency), spinning: ...}."""
    _, log = boot(cmd, marker=IPI_END)
    if "PASS sched_ipi" not in log:
        tail = "\n".join(l for l in log.splitlines() if "sched_ipi" in l)[-2000:]
        raise RuntimeError(f"{IPI_PAYLOAD} did not pass:\n{tail}")
    out = {}
    for key, regex in IPI_LINES.items():
        m = re.search(regex, log)
        if not m:
            raise RuntimeError(f"{IPI_PAYLOAD}: no line {regex!r}")
        out[key] = tuple(int(g) for g in m.groups())
    return out


def smp_configs(work):
    """Linux with 2 vCPUs from the ISO in each layout of SMP_LAYOUTS."""
    out = {}
    for name, (smp, extra) in SMP_LAYOUTS.items():
        cfg = os.path.join(work, name, "vms.cfg")
        os.makedirs(os.path.dirname(cfg))
        with open(cfg, "w") as f:
            f.write(IDLE_VMCFG.rstrip("\n") + extra + "\n")
        cmd = hv_iso_config(work, f"hv-{name}", BUILD, "", cfg, os.path.join(LINUX, "vmlinuz"),
                            os.path.join(LINUX, "initrd.gz"))
        cmd[cmd.index("-smp") + 1] = smp
        out[name] = cmd
    return out


def print_switch(ipi):
    runs = ipi["ipi-smp1"]
    trip = statistics.median(r["halted"][0] for r in runs)
    exit_ = statistics.median(r["exit"][0] for r in runs)
    print(f"vCPU switch on one CPU ({IPI_PAYLOAD}, -smp 1; guest TSC cycles, which under TCG "
          f"are the host's; median of {len(runs)})")
    print(f"  {'CPUID exit round trip (one vCPU)':<44} {exit_:>10.0f} cycles")
    print(f"  {'IPI+HLT round trip between 2 vCPUs':<44} {trip:>10.0f} cycles")
    print(f"  round trip / exit: {trip / exit_:.2f}x (a round trip: 2 hypercall and 2 HLT "
          "exits, 2 switches)")


def print_wake(ipi):
    rows = [("halted, other CPU (-smp 2)", "ipi-smp2", "halted"),
            ("spinning, other CPU (-smp 2)", "ipi-smp2", "spinning"),
            ("halted, same CPU (-smp 1)", "ipi-smp1", "halted")]
    print(f"Wake-up latency: IPI sent to the target's first handler instruction "
          f"({IPI_PAYLOAD}; guest TSC = host TSC under TCG; median of {len(ipi['ipi-smp2'])})")
    print(f"  {'target':<30} {'cycles':>10} {'round trip':>11}  vs halted, other CPU")
    ref = statistics.median(r["halted"][1] for r in ipi["ipi-smp2"])
    for label, cfg, key in rows:
        lat = statistics.median(r[key][1] for r in ipi[cfg])
        trip = statistics.median(r[key][0] for r in ipi[cfg])
        print(f"  {label:<30} {lat:>10.0f} {trip:>11.0f}  {lat / ref:6.2f}x")


def print_smp(times, runs):
    print(f"Linux (2 vCPUs, hv-iso) to the initramfs marker by CPU layout (median of {runs}, "
          "interleaved)")
    print(f"  {'layout':<14} {'median s':>9} {'runs':>24}")
    med = {n: statistics.median(t) for n, t in times.items()}
    for name, t in times.items():
        print(f"  {name:<14} {med[name]:9.2f} {' '.join(f'{x:.1f}' for x in t):>24}")
    print(f"  2vcpu-smp1 vs 2vcpu-smp2: {med['2vcpu-smp1'] / med['2vcpu-smp2']:.2f}x "
          "(2 vCPUs sharing 1 CPU against a CPU each)")
    print(f"  old-smp3-pin vs 2vcpu-smp2: {med['old-smp3-pin'] / med['2vcpu-smp2']:.2f}x "
          "(the monitor's CPU left to it against every CPU running vCPUs)")


def exit_table(log):
    """(total exits, {reason: (count, cycles, mean)}) from the VM's report."""
    rows = re.findall(r"^\[[ \d.]+\]\s+exits (\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", log, re.M)
    total = re.search(r"vm linux vCPU 0: (\d+) exits", log)
    return (int(total.group(1)) if total else None), \
        {r: (int(c), int(cy), int(m)) for r, c, cy, m in rows}


def stats_per_vcpu(text):
    """{vcpu: (hv seconds, total, {reason: (count, cycles)})} from one stats output."""
    out = {}
    parts = re.split(r"^\[ *([\d.]+)\] vm linux vCPU (\d+): (\d+) exits\s*$", text, flags=re.M)
    for i in range(1, len(parts) - 3, 4):
        when, vcpu, total, body = float(parts[i]), int(parts[i + 1]), int(parts[i + 2]), parts[i + 3]
        rows = re.findall(r"^\[[ \d.]+\]\s+exits (\S+)\s+(\d+)\s+(\d+)\s", body, re.M)
        out[vcpu] = (when, total, {r: (int(c), int(cy)) for r, c, cy in rows})
    return out


class Console:
    """QEMU's serial console, read as it comes; expect() waits for a regex."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.out = ""
        self.mark = 0

    def expect(self, regex, timeout):
        """The text from the last match's end to this match's end."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(regex, self.out[self.mark:])
            if m:
                text = self.out[self.mark:self.mark + m.end()]
                self.mark += m.end()
                return text
            chunk = self.proc.stdout.read()
            if chunk:
                self.out += chunk.decode("utf-8", "replace")
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.05)
        raise RuntimeError(f"idle: no {regex!r} within {timeout} s:\n{self.out[-2000:]}")

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close(self):
        self.proc.kill()
        self.proc.wait()


def idle(cmd):
    """The idle guest's stats before and after IDLE_SECS, and its profile."""
    con = Console(cmd)
    try:
        con.expect(MARKER.decode(), TIMEOUT)
        con.expect(r"Enter 'help'|# ", 60)
        time.sleep(5)				# the boot's last work settles
        con.send(b"\x01\x01\x01")
        con.expect(r"console input: hypervisor", 30)
        con.send(b"stats linux\n")
        before = stats_per_vcpu(con.expect(r"vm linux vCPU 1: \d+ exits(?:.*\n)+?.*hv> ", 30))
        con.send(f"profile linux {IDLE_SECS}\n".encode())
        profile = con.expect(r"vm linux: profile done|unknown command 'profile'", IDLE_SECS + 60)
        if "profile done" not in profile:	# a build from before the command
            time.sleep(IDLE_SECS)
        con.send(b"stats linux\n")
        after = stats_per_vcpu(con.expect(r"vm linux vCPU 1: \d+ exits(?:.*\n)+?.*hv> ", 30))
    finally:
        con.close()
    return before, after, profile


def print_idle(before, after, profile):
    print(f"Idle: a 2-vCPU Linux guest at its shell, {IDLE_SECS} s between two stats "
          "(hv-iso)")
    reasons = sorted({r for v in after.values() for r in v[2]})
    rates, cycles = {}, {r: [0, 0] for r in reasons}
    for vcpu in sorted(after):
        t0, n0, r0 = before[vcpu]
        t1, n1, r1 = after[vcpu]
        secs = t1 - t0
        rates[vcpu] = ((n1 - n0) / secs, {})
        for r in reasons:
            c0, cy0 = r0.get(r, (0, 0))
            c1, cy1 = r1.get(r, (0, 0))
            rates[vcpu][1][r] = (c1 - c0) / secs
            cycles[r][0] += c1 - c0
            cycles[r][1] += cy1 - cy0
    vcpus = sorted(rates)
    print(f"  {'exits/s':<16} " + " ".join(f"{'vCPU ' + str(v):>9}" for v in vcpus) +
          f" {'hv cycles/exit':>15}")
    print(f"  {'all':<16} " + " ".join(f"{rates[v][0]:9.1f}" for v in vcpus))
    for r in reasons:
        vals = [rates[v][1][r] for v in vcpus]
        if any(x >= 0.05 for x in vals):
            mean = cycles[r][1] / cycles[r][0] if cycles[r][0] else 0
            print(f"  {r:<16} " + " ".join(f"{x:9.1f}" for x in vals) + f" {mean:15.0f}")
    print("Idle profile: the top 5 exit RIPs per vCPU (monitor's profile, same "
          f"{IDLE_SECS} s)")
    for block in re.split(r"(?=vm linux vCPU \d+: \d+ exits in)", profile)[1:]:
        lines = [l.replace("\x1b[K", "") for l in block.splitlines()]
        lines = [l for l in lines if l.strip() and not l.startswith("hv>")]
        print("  " + lines[0])
        for l in lines[1:7]:
            if l.startswith("  "):
                print("  " + l)


def median_exits(tables):
    """{reason: (median count, median mean cycles)} over the boots' tables."""
    reasons = sorted({r for _, t in tables for r in t})
    return {r: (statistics.median([t.get(r, (0, 0, 0))[0] for _, t in tables]),
                statistics.median([t[r][2] for _, t in tables if r in t]))
            for r in reasons}


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_BOOT_RUNS", "5"))
    parts = os.environ.get("BENCH_PARTS", ",".join(PARTS)).split(",")
    bad = [p for p in parts if p not in PARTS]
    if bad:
        print(f"linux_boot: BENCH_PARTS: unknown part {bad[0]!r} ({', '.join(PARTS)})")
        return 2
    with_xen = os.environ.get("BENCH_NO_XEN") != "1" and "boot" in parts
    work = tempfile.mkdtemp(prefix="hv-bench-")
    tables = {"hv-iso": [], "base-iso": []}
    timeline = {}
    idle_result = None
    ipi = {"ipi-smp1": [], "ipi-smp2": []}
    smp_times = {}
    try:
        if "boot" not in parts and "exits" not in parts:
            cmds = {}
        else:
            try:
                cmds = configs(work, with_xen)
            except (RuntimeError, subprocess.CalledProcessError) as e:
                print(f"linux_boot: Xen unavailable ({e}); measuring without it")
                cmds = configs(work, False)
        only = os.environ.get("BENCH_ONLY")
        if only:
            cmds = {n: c for n, c in cmds.items() if n in only.split(",")}
        elif "boot" not in parts:
            keep = ("hv-iso", "base-iso") if "exits" in parts else ()
            cmds = {n: c for n, c in cmds.items() if n in keep}
        times = {name: [] for name in cmds}
        for i in range(runs):		# interleaved: load changes hit all alike
            for name, cmd in cmds.items():
                st = {}
                if name in tables and "exits" in parts:
                    took, log = boot(cmd, poweroff_until=r"hv: every VM has ended", stamps=st)
                    tables[name].append(exit_table(log))
                else:
                    took, _ = boot(cmd, stamps=st)
                times[name].append(took)
                st["marker"] = took
                timeline.setdefault(name, []).append(st)
        if "switch" in parts or "wake" in parts:
            ipi_cmds = ipi_configs(work)
            if "wake" not in parts:
                del ipi_cmds["ipi-smp2"]
            for i in range(runs):
                for name, cmd in ipi_cmds.items():
                    ipi[name].append(ipi_numbers(cmd))
        if "smp" in parts:
            smp_cmds = smp_configs(work)
            for i in range(runs):
                for name, cmd in smp_cmds.items():
                    smp_times.setdefault(name, []).append(boot(cmd)[0])
        if "idle" in parts:
            cfg = os.path.join(work, "idle", "vms.cfg")
            os.makedirs(os.path.dirname(cfg))
            with open(cfg, "w") as f:
                f.write(IDLE_VMCFG)
            idle_cmd = hv_iso_config(work, "hv-idle", BUILD, "", cfg,
                                     os.path.join(LINUX, "vmlinuz"),
                                     os.path.join(LINUX, "initrd.gz"))
            idle_cmd[idle_cmd.index("-smp") + 1] = "3"
            idle_result = idle(idle_cmd)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if "boot" in parts and times:
        print_boot(times, runs)
        print_timeline(timeline)
    if tables["hv-iso"]:
        print_exits(tables)
    if idle_result:
        print_idle(*idle_result)
    if "switch" in parts:
        print_switch(ipi)
    if "wake" in parts:
        print_wake(ipi)
    if smp_times:
        print_smp(smp_times, runs)
    return 0


def print_exits(tables):
    """The exits table; with BENCH_BASELINE, the baseline's beside it."""
    new, base = tables["hv-iso"], tables["base-iso"]
    totals = [t for t, _ in new if t is not None]
    print(f"VM exits per boot under hv-iso (to the marker, then poweroff -f), median of "
          f"{len(new)}: {statistics.median(totals) if totals else '?'}")
    head = f"  {'reason':<16} {'exits':>8} {'hv cycles/exit':>15}"
    print(head + (f" {'base exits':>11} {'base cycles':>12}  new/base" if base else ""))
    med_new, med_base = median_exits(new), median_exits(base) if base else {}
    for reason, (count, mean) in med_new.items():
        line = f"  {reason:<16} {count:>8.0f} {mean:>15.0f}"
        if reason in med_base:
            bcount, bmean = med_base[reason]
            line += f" {bcount:>11.0f} {bmean:>12.0f}  {mean / bmean:7.2f}x"
        print(line)


def print_timeline(timeline):
    """Each ISO boot in parts, medians over the runs: QEMU's start to GRUB's
    menu entry (SeaBIOS, GRUB's core and modules), to the hypervisor's
    first line (GRUB reading the files), to "ready", to the VM's start,
    and the guest's own boot to the marker."""
    edges = [("firmware+grub", None, "grub"), ("grub reads", "grub", "hv"),
             ("hv boot", "hv", "ready"), ("vm setup", "ready", "vm"),
             ("guest boot", "vm", "marker")]
    # Only the boots that printed every line (a UEFI boot has no GRUB menu).
    keys = {k for e in edges for k in e[1:] if k} | {"marker"}
    rows = {n: r for n, r in timeline.items() if all(keys <= x.keys() for x in r)}
    if not rows:
        return
    print("The boots in parts (s from QEMU's start, median over the runs; guest boot: "
          "the VM's start to the marker)")
    print(f"  {'configuration':<16}" + "".join(f" {e[0]:>14}" for e in edges) +
          f" {'total':>8}")
    for name, runs in rows.items():
        cells = []
        for _, a, b in edges:
            cells.append(statistics.median([r[b] - (r[a] if a else 0) for r in runs]))
        total = statistics.median([r["marker"] for r in runs])
        print(f"  {name:<16}" + "".join(f" {c:14.2f}" for c in cells) + f" {total:8.2f}")


def print_boot(times, runs):
    ref = "direct" if "direct" in times else next(iter(times))
    base = statistics.median(times[ref])
    print(f"Linux boot to the initramfs marker (QEMU TCG, -cpu {CPU}; median of {runs}, "
          "interleaved)")
    print(f"  {'configuration':<13} {'median s':>9} {'runs':>30}  vs {ref}")
    for name, t in times.items():
        med = statistics.median(t)
        print(f"  {name:<13} {med:9.2f} {' '.join(f'{x:.1f}' for x in t):>30}  {med / base:5.2f}x")
    if "hv-uefi" in times and "direct-ovmf" in times:
        ovmf = statistics.median(times["hv-uefi"]) / statistics.median(times["direct-ovmf"])
        print(f"  hv-uefi vs direct-ovmf: {ovmf:.2f}x (the same firmware, OVMF)")
    if "hv-uefi-ahci" in times and "direct-ovmf" in times:
        ovmf = statistics.median(times["hv-uefi-ahci"]) / statistics.median(times["direct-ovmf"])
        print(f"  hv-uefi-ahci vs direct-ovmf: {ovmf:.2f}x (the ESP on AHCI)")
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


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Boots the hypervisor in an emulator with one VM running a test kernel;
scripts/run-kernel.sh parses the options and runs this with them.

    run_kernel.py SMP MIB APPEND INITRD VMX KERNEL

SMP and MIB: the VM's vCPUs and RAM in MiB; APPEND: its command line;
INITRD: QEMU's -initrd list ("FILE[ ARGS][,FILE...]", empty for none);
VMX: 1 for Bochs (VT-x), 0 for QEMU TCG (AMD-V); KERNEL: the file.

The hypervisor boots from a GRUB ISO with focus=hv, so that every line
of the guest comes as "[kernel] line" and its own log lines start with
a timestamp (docs/config.md, The console). The guest's lines, the tag
taken off, go to stdout; the rest of the console to $RUN_KERNEL_LOG if
set, else to stderr. The exit status is QEMU's with isa-debug-exit:
(V << 1 | 1) & 0xff for a write of V to port 0xf4; any other end is an
even status with one line on stderr (docs/testing.md, The kernel runner).
"""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
VM = "kernel"
TIMEOUT_DEFAULT = 300

# Statuses of the runner's own: even, so never a debug-exit status.
EXIT_VM_ENDED = 4	# triple fault, power off, a stop: no debug-exit
EXIT_REFUSED = 6	# the VM did not start: its image or its configuration
EXIT_HV = 8		# the hypervisor or the emulator failed
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130

LOG_LINE = re.compile(rb"^\[\s*\d+\.\d+\] (error: |warning: )?(.*)$")
CSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")
TAG = b"[" + VM.encode() + b"] "
DROPPED = re.compile(rb"^\[" + VM.encode() + rb": (\d+) bytes dropped\]$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class Finished(Exception):
    """The run is over: status, and the line that says why (None: none)."""

    def __init__(self, status, why=None):
        super().__init__(why)
        self.status, self.why = status, why


def fail(status, why):
    raise Finished(status, why)


def is_bzimage(path):
    with open(path, "rb") as f:
        f.seek(0x202)
        return f.read(4) == b"HdrS"


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def boot_name(path, index, used):
    """The file's name on the boot medium: its own if it is plain and
    unused, else one made up."""
    name = os.path.basename(path)
    if not SAFE_NAME.match(name) or name in used or name in ("vms.cfg", "hv.elf"):
        name = f"file{index}"
    used.add(name)
    return name


def parse_initrd(spec):
    """QEMU's -initrd list: "FILE[ ARGS]" items separated by commas."""
    items = []
    for item in spec.split(","):
        path, _, args = item.strip().partition(" ")
        if not path:
            fail(2, f"run-kernel: -initrd: empty file name in {spec!r}")
        if not os.path.isfile(path):
            fail(2, f"run-kernel: -initrd: no such file {path!r}")
        items.append((path, args.strip()))
    return items


def boot_files(workdir, kernel, append, initrd, smp, mib):
    """Links the kernel and the initrd files into workdir under their boot
    names and writes vms.cfg; returns the files for the ISO."""
    used = set()
    files = []

    def place(path, index):
        name = boot_name(path, index, used)
        os.symlink(os.path.abspath(path), os.path.join(workdir, name))
        files.append(os.path.join(workdir, name))
        return name

    line = [f"vm name={VM} memory={mib}M vcpus={smp} kernel={place(kernel, 0)}",
            f"cmdline={quote(append)}", "debug-exit=0xf4 fw-cfg=on testdev=on debugcon=on"]
    items = parse_initrd(initrd) if initrd else []
    if items and is_bzimage(kernel):
        if len(items) > 1 or items[0][1]:
            fail(2, "run-kernel: -initrd: a Linux kernel takes one file, without arguments")
        line.append(f"initrd={place(items[0][0], 1)}")
    elif items:
        mods = [" ".join(filter(None, (place(p, i + 1), a))) for i, (p, a) in enumerate(items)]
        line.append(f"modules={quote(', '.join(mods))}")
    cfg = os.path.join(workdir, "vms.cfg")
    with open(cfg, "w") as f:
        f.write(" ".join(line) + "\n")
    return [cfg] + files


def make_iso(workdir, files, cmdline):
    iso = os.path.join(workdir, "hv.iso")
    r = subprocess.run([os.path.join(ROOT, "scripts/mkiso.sh"), iso,
                        os.path.join(BUILD, "mb2/hv.elf"), cmdline] + files,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode:
        fail(EXIT_HV, "run-kernel: cannot build the boot ISO: " +
             (r.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1])
    return iso


def host_mib(mib):
    """The emulated machine's RAM: the VM's and room for the hypervisor."""
    return max(512, mib + 256)


def qemu_command(iso, smp, mib):
    return ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64,+svm,+npt",
            "-smp", str(smp + 1), "-m", str(host_mib(mib)), "-nodefaults",
            "-cdrom", iso, "-boot", "d", "-display", "none", "-serial", "stdio",
            "-no-reboot"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def bochs_command(workdir, iso, smp, mib):
    """Bochs with VT-x: the console read from port 0xE9 on its stdout;
    COM1 a socket it waits for before it starts the machine."""
    port = free_port()
    rc = os.path.join(workdir, "bochsrc.txt")
    with open(rc, "w") as f:
        f.write(f"""megs: {host_mib(mib)}
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
cpu: model=corei7_skylake_x, count={smp + 1}, ips=100000000, reset_on_triple_fault=0
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
display_library: rfb, options="timeout=0"
com1: enabled=1, mode=socket-server, dev=localhost:{port}
log: {os.path.join(workdir, 'bochs.log')}
panic: action=fatal
clock: sync=none, time0=local
sound: driver=dummy
speaker: enabled=0
port_e9_hack: enabled=1
""")
    cmds = os.path.join(workdir, "bochs.rc")
    with open(cmds, "w") as f:
        f.write("c\nquit\n")
    return ["bochs", "-q", "-f", rc, "-rc", cmds], port


class Console:
    """The console's lines: the guest's to stdout, the rest to the log;
    the hypervisor's lines about the VM decide how the run ends."""

    def __init__(self, log):
        self.log = log
        self.partial = b""
        self.ended = None	# the last "vm kernel: ended: WHY"
        self.last_error = None
        self.dropped = 0

    def feed(self, data):
        self.partial += data
        *lines, self.partial = self.partial.split(b"\n")
        for raw in lines:
            self.line(raw)

    def close(self):
        if self.partial:
            self.line(self.partial)
            self.partial = b""

    def line(self, raw):
        # What a terminal shows of it: the prompt that the monitor draws
        # and erases around each line ("\r\x1b[Khv> ") is gone.
        parts = [p for p in CSI.sub(b"", raw).split(b"\r") if p.strip()]
        text = parts[-1] if parts else b""
        if text.startswith(TAG):
            sys.stdout.buffer.write(text[len(TAG):] + b"\n")
            sys.stdout.buffer.flush()
            return
        if not text or text == b"hv> ":
            return
        self.log.write(text + b"\n")
        self.log.flush()
        m = DROPPED.match(text)
        if m:
            self.dropped += int(m.group(1))
            return
        m = LOG_LINE.match(text)
        if m:
            self.hv_line(m.group(1), m.group(2).decode("utf-8", "replace"))

    def hv_line(self, level, msg):
        before, self.last_error = self.last_error, msg if level == b"error: " else \
            self.last_error
        if msg.startswith(f"vm {VM}: ended: "):
            self.ended = msg[len(f"vm {VM}: ended: "):]
        elif msg.startswith(f"vm {VM}: restarting"):
            self.ended = None
        elif msg.startswith("hv: every VM has ended"):
            self.finish()
        elif re.match(r"hv: 0 of \d+ VM\(s\) started", msg) or \
                msg.startswith("hv: vms.cfg is not valid"):
            fail(EXIT_REFUSED, "run-kernel: the VM was refused: " + (before or msg))
        elif msg.startswith(("hv: panic", "hv: fatal exception", "hv: cannot continue",
                             "hv: no usable hardware virtualization")):
            fail(EXIT_HV, "run-kernel: hypervisor failed: " + msg)

    def finish(self):
        m = re.fullmatch(r"debug-exit status (\d+)", self.ended or "")
        if m:
            raise Finished(int(m.group(1)) & 0xff)
        fail(EXIT_VM_ENDED, "run-kernel: the VM ended without debug-exit: " +
             (self.ended or "no reason given"))


def emulator_died(name, rc, errfile):
    try:
        with open(errfile, "rb") as f:
            lines = [l for l in f.read().decode(errors="replace").splitlines() if l.strip()]
    except OSError:
        lines = []
    return f"run-kernel: {name} exited with status {rc} before the VM ended" + \
        (f": {lines[-1].strip()}" if lines else "")


def run(proc, name, console, errfile, deadline, com1_port):
    com1 = None
    out = proc.stdout.fileno()
    while True:
        if com1 is None and com1_port:
            try:	# Bochs starts the machine once COM1 has a client
                com1 = socket.create_connection(("localhost", com1_port), timeout=1)
                com1.setblocking(False)
            except OSError:
                pass
        fds = [out] + ([com1] if com1 else [])
        left = deadline - time.monotonic()
        if left <= 0:
            fail(EXIT_TIMEOUT, "run-kernel: timeout: the VM did not end within "
                 f"{os.environ.get('RUN_KERNEL_TIMEOUT', TIMEOUT_DEFAULT)} s")
        ready, _, _ = select.select(fds, [], [], min(left, 0.2))
        if com1 in ready:
            try:	# the same bytes as port 0xE9's: read and dropped
                if not com1.recv(65536):
                    com1.close()
                    com1, com1_port = None, None
            except BlockingIOError:
                pass
        if out in ready:
            data = os.read(out, 65536)
            if data:
                console.feed(data)
                continue
            proc.wait()
            console.close()
            fail(EXIT_HV, emulator_died(name, proc.returncode, errfile))


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def main():
    smp, mib, append, initrd, vmx, kernel = sys.argv[1:7]
    smp, mib, vmx = int(smp), int(mib), vmx == "1"
    try:
        timeout = float(os.environ.get("RUN_KERNEL_TIMEOUT", TIMEOUT_DEFAULT))
    except ValueError:
        timeout = -1
    if not timeout > 0:
        print(f"run-kernel: RUN_KERNEL_TIMEOUT={os.environ['RUN_KERNEL_TIMEOUT']!r}: "
              "not a number of seconds", file=sys.stderr)
        return 2
    logpath = os.environ.get("RUN_KERNEL_LOG")
    try:
        log = open(logpath, "wb") if logpath else sys.stderr.buffer
    except OSError as e:
        print(f"run-kernel: RUN_KERNEL_LOG={logpath}: {e.strerror}", file=sys.stderr)
        return 2
    workdir = tempfile.mkdtemp(prefix="run-kernel.")
    proc = None
    status = 0

    def interrupted(signum, frame):
        fail(EXIT_INTERRUPTED, f"run-kernel: interrupted ({signal.Signals(signum).name})")

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    console = Console(log)
    why = None
    try:
        files = boot_files(workdir, kernel, append, initrd, smp, mib)
        iso = make_iso(workdir, files, "focus=hv" + (" debugcon" if vmx else ""))
        if vmx:
            cmd, com1_port = bochs_command(workdir, iso, smp, mib)
        else:
            cmd, com1_port = qemu_command(iso, smp, mib), None
        errfile = os.path.join(workdir, "emulator.err")
        with open(errfile, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=err, cwd=workdir, start_new_session=True)
        run(proc, cmd[0], console, errfile, time.monotonic() + timeout, com1_port)
    except Finished as f:
        status, why = f.status, f.why
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    if console.dropped:	# a warning; the status stays the VM's
        print(f"run-kernel: warning: the guest's console dropped {console.dropped} bytes",
              file=sys.stderr)
    if why:
        if logpath:
            log.write(why.encode() + b"\n")
        print(why, file=sys.stderr)
    if logpath:
        log.close()
    return status


if __name__ == "__main__":
    sys.exit(main())

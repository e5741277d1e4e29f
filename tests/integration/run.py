#!/usr/bin/env python3
"""Integration runner: boots the hypervisor in an emulator per scenario and
reads its serial console.

Each tests/integration/*.scn file is one scenario:

    machine: qemu-uefi | qemu-iso | bochs
    smp: 4
    memory: 512
    cpu: qemu64,+svm,+npt       (QEMU -cpu, or the Bochs CPU model)
    cmdline: selftest=fault
    files: build/guest/x.bin    (boot files: ESP \\hv\\ or Multiboot2 modules)
    timeout: 120
    vmcfg: vm name=... kernel=...   (a line of the boot medium's vms.cfg)
    mkfile: NAME head FILE BYTES    (a boot file: the first BYTES of FILE)
    mkfile: NAME patch FILE OFFSET HEX  (a boot file: FILE with bytes replaced)
    expect: <regex>             (in order; the last one ends the run)
    send: text                  (typed on the console after the expects
                                 before it matched; a newline is added)
    sendraw: \x01\x01\x01       (typed as is, after backslash escapes)
    reject: <regex>             (must not appear anywhere)
    overlap: VM1 VM2            (the host-physical RAM ranges that the log
                                 gives the two VMs ("vm NAME: RAM ... at host
                                 A-B", core/vm_build.c) must overlap)
    await: SECONDS <regex>      (waits up to SECONDS for the regex; if it
                                 does not come, says so and goes on: for a
                                 guest that may sit forever, legitimately)
    latency: LABEL N CMD => REGEX
                                (types CMD N times, one every half second,
                                 each time waiting for REGEX; "{i}" in CMD
                                 and REGEX is the try's number; records
                                 each answer's time from the last byte
                                 typed)
    latency-max: SECONDS        (no answer of any latency step may take
                                 longer; default 5)
    gdb: on                     (the machine gets a second serial port, COM2,
                                 for the hypervisor's GDB stub; the runner
                                 holds its connection and relays a gdb
                                 client started by gdb-start to it)
    gdb: <command>              (with gdb: on given, any other value is a
                                 line of the next gdb client's script;
                                 "{NAME}" is replaced by a capture's value)
    gdb-start:                  (starts Debian's gdb in batch mode on the
                                 script so far, after "set remotetimeout
                                 30" and "target remote" to COM2, in the
                                 background; the script is then emptied)
    gdb-expect: <regex>         (waits for the regex in the gdb client's
                                 output, in order, as expect does;
                                 "{NAME}" is replaced by a capture's value)
    gdb-interrupt:              (Ctrl-C to the gdb client: SIGINT)
    gdb-wait: SECONDS           (waits for the gdb client to exit)
    capture: NAME <regex>       (as expect, and keeps the regex's first
                                 group as NAME for later gdb lines)
    latency-factor: F           (each later latency step's median must be
                                 within F times the first step's median,
                                 or of 0.2 s if that is smaller; default 3)
    ratio: LOW HIGH <regex A> over <regex B>
                                (after the run: the number that each
                                 regex's first group matches, first match
                                 anywhere in the log, in any order; A / B
                                 must lie in [LOW, HIGH]; the ratio is
                                 printed as "RATIO integration:<name>
                                 A/B = X (LOW-HIGH)")

expect, send, sendraw, await and latency lines are steps, taken in file
order. Each latency step prints an informational line, counted neither as
a pass nor as a failure:
"LATENCY integration:<name> LABEL n=N median X s max Y s".

Prints "PASS integration:<name>" or "FAIL integration:<name>: why", where
a failure's why ends with what the log shows of its cause: "emulator
abort: ..." (Bochs's PANIC or "Bochs is exiting", QEMU's cpu_abort or
"qemu: fatal", in the console or bochs.log) or "hypervisor panic: ..."
(the hypervisor's "hv: panic" or "hv: fatal exception" line), then
the scenario's wall time from set-up to the emulator's exit,
"TIME integration:<name> <seconds>s", and keeps the console log in
build/test/<name>/console.log.
"""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
OVMF = "/usr/share/ovmf/OVMF.fd"


def parse_scenario(path):
    sc = {"machine": "qemu-uefi", "smp": "1", "memory": "512", "cpu": "",
          "cmdline": "", "files": "", "timeout": "120", "expect": [], "reject": [],
          "vmcfg": [], "mkfile": [], "overlap": [], "steps": [], "latency-max": "5",
          "latency-factor": "3", "gdb": "off", "ratio": []}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key in ("send", "sendraw"):
                data = value + "\n" if key == "send" else \
                    value.encode().decode("unicode_escape")
                sc["steps"].append(("send", data.encode()))
                continue
            if key == "await":
                secs, _, rx = value.partition(" ")
                sc["steps"].append(("await", re.compile(rx.strip()), float(secs)))
                continue
            if key == "gdb" and value != "on":
                sc["steps"].append(("gdb-line", value))
                continue
            if key in ("gdb-start", "gdb-interrupt"):
                sc["steps"].append((key,))
                continue
            if key == "gdb-expect":
                re.compile(re.sub(r"\{\w+\}", "", value))	# checked now, used later
                sc["steps"].append((key, value))
                continue
            if key == "gdb-wait":
                sc["steps"].append((key, float(value)))
                continue
            if key == "capture":
                cname, _, rx = value.partition(" ")
                sc["steps"].append((key, cname, re.compile(rx.strip())))
                continue
            if key == "latency":
                head, arrow, rx = value.partition("=>")
                label, n, cmd = head.strip().split(None, 2)
                if not arrow or not rx.strip():
                    raise ValueError(f"{path}:{lineno}: latency: LABEL N CMD => REGEX")
                sc["steps"].append(("latency", label, int(n), cmd, rx.strip()))
                continue
            if key == "ratio":
                low, high, rest = (value.split(None, 2) + ["", ""])[:3]
                num, over, den = rest.partition(" over ")
                if not over or not num.strip() or not den.strip():
                    raise ValueError(f"{path}:{lineno}: ratio: LOW HIGH REGEX_A over REGEX_B")
                sc["ratio"].append((float(low), float(high), re.compile(num.strip()),
                                    re.compile(den.strip())))
                continue
            if not sep or key not in sc or key == "steps":
                raise ValueError(f"{path}:{lineno}: unknown line {line!r}")
            if key in ("vmcfg", "mkfile"):
                sc[key].append(value)
            elif key == "overlap":
                names = value.split()
                if len(names) != 2:
                    raise ValueError(f"{path}:{lineno}: overlap wants two VM names")
                sc[key].append(names)
            elif key == "expect":
                sc["expect"].append(re.compile(value))
                sc["steps"].append(("expect", sc["expect"][-1]))
            elif isinstance(sc[key], list):
                sc[key].append(re.compile(value))
            else:
                sc[key] = value
    if not sc["expect"]:
        raise ValueError(f"{path}: no expect line")
    if sc["gdb"] != "on" and any(st[0].startswith("gdb") for st in sc["steps"]):
        raise ValueError(f"{path}: gdb steps need \"gdb: on\"")
    return sc


def make_file(workdir, spec):
    """A damaged copy of a file, for the negative tests."""
    name, how, src, *args = spec.split()
    data = bytearray(open(os.path.join(ROOT, src), "rb").read())
    if how == "head":
        data = data[:int(args[0], 0)]
    elif how == "patch":
        off, new = int(args[0], 0), bytes.fromhex(args[1])
        data[off:off + len(new)] = new
    else:
        raise ValueError(f"mkfile: unknown operation {how!r}")
    path = os.path.join(workdir, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def boot_files(sc):
    files = [os.path.join(ROOT, f) for f in sc["files"].split()]
    for spec in sc["mkfile"]:
        files.append(make_file(sc["workdir"], spec))
    if sc["vmcfg"]:
        cfg = os.path.join(sc["workdir"], "vms.cfg")
        with open(cfg, "w") as f:
            f.write("\n".join(sc["vmcfg"]) + "\n")
        files.append(cfg)
    return files


def make_iso(workdir, sc, cmdline):
    iso = os.path.join(workdir, "hv.iso")
    subprocess.run([os.path.join(ROOT, "scripts/mkiso.sh"), iso,
                    os.path.join(BUILD, "mb2/hv.elf"), cmdline] + boot_files(sc), check=True)
    return iso


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def qemu_com2(sc):
    """QEMU's COM2 for the GDB stub: a TCP server the runner connects to."""
    if sc["gdb"] != "on":
        return []
    sc["com2_port"] = free_port()
    return ["-serial", f"tcp:127.0.0.1:{sc['com2_port']},server=on,wait=off"]


def command_for(sc, workdir):
    smp, mem = sc["smp"], sc["memory"]
    if sc["machine"] == "qemu-uefi":
        esp = os.path.join(workdir, "esp")
        shutil.copytree(os.path.join(BUILD, "efi/esp"), esp, dirs_exist_ok=True)
        os.makedirs(os.path.join(esp, "hv"), exist_ok=True)
        with open(os.path.join(esp, "hv/cmdline.txt"), "w") as f:
            f.write(sc["cmdline"] + "\n")
        for path in boot_files(sc):
            shutil.copy(path, os.path.join(esp, "hv", os.path.basename(path)))
        return ["qemu-system-x86_64", "-accel", "tcg", "-cpu", sc["cpu"] or "qemu64,+svm,+npt",
                "-smp", smp, "-m", mem, "-bios", OVMF, "-nodefaults",
                "-drive", f"file=fat:rw:{esp},format=raw", "-net", "none",
                "-display", "none", "-serial", "stdio", "-no-reboot"] + qemu_com2(sc), None
    if sc["machine"] == "qemu-iso":
        iso = make_iso(workdir, sc, sc["cmdline"])
        return ["qemu-system-x86_64", "-accel", "tcg", "-cpu", sc["cpu"] or "qemu64,+svm,+npt",
                "-smp", smp, "-m", mem, "-cdrom", iso, "-boot", "d",
                "-display", "none", "-serial", "stdio", "-no-reboot"] + qemu_com2(sc), None
    if sc["machine"] == "bochs":
        # COM1 is a TCP socket that the runner types into; the console is
        # read live from port 0xE9 (debugcon) on Bochs's stdout.
        sc["com1_port"] = free_port()
        com2 = ""
        if sc["gdb"] == "on":
            sc["com2_port"] = free_port()
            com2 = f"com2: enabled=1, mode=socket-server, dev=localhost:{sc['com2_port']}\n"
        iso = make_iso(workdir, sc, (sc["cmdline"] + " debugcon").strip())
        rc = os.path.join(workdir, "bochsrc.txt")
        with open(rc, "w") as f:
            f.write(f"""megs: {mem}
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
cpu: model={sc['cpu'] or 'corei7_skylake_x'}, count={smp}, ips=100000000, reset_on_triple_fault=0
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
display_library: rfb, options="timeout=0"
com1: enabled=1, mode=socket-server, dev=localhost:{sc['com1_port']}
{com2}log: {os.path.join(workdir, 'bochs.log')}
panic: action=fatal
clock: sync=none, time0=local
sound: driver=dummy
speaker: enabled=0
port_e9_hack: enabled=1
""")
        cmds = os.path.join(workdir, "bochs.rc")
        with open(cmds, "w") as f:
            f.write("c\nquit\n")
        return ["bochs", "-q", "-f", rc, "-rc", cmds], None
    raise ValueError(f"unknown machine {sc['machine']}")


def connect_com(sc, proc, key):
    """Bochs waits for its COM port clients before it starts the machine;
    QEMU's COM2 server is there once QEMU runs."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = socket.create_connection(("localhost", sc[key]), timeout=1)
            conn.setblocking(False)
            return conn
        except OSError:
            time.sleep(0.1)
    return None


class GdbRelay:
    """COM2, the hypervisor's GDB stub port, held by the runner from the
    start (Bochs does not start the machine before its clients connect),
    and gdb clients relayed to it one at a time: each gdb-start runs
    Debian's gdb in batch mode on a script, connected to a local port
    whose bytes go to COM2 and back. Bytes the stub sends while no client
    is connected are dropped."""

    def __init__(self, com2, workdir):
        self.com2 = com2
        self.workdir = workdir
        self.script = []
        self.proc = None
        self.client = None
        self.text = ""
        self.runs = 0
        self.done = False
        self.log = open(os.path.join(workdir, "gdb.log"), "ab")
        if com2:
            com2.setblocking(True)
            com2.settimeout(5)
            threading.Thread(target=self._relay, daemon=True).start()

    def _relay(self):
        while not self.done:
            client = self.client
            socks = [self.com2] + ([client] if client else [])
            try:
                ready, _, _ = select.select(socks, [], [], 0.1)
            except (OSError, ValueError):
                return
            for sock in ready:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if sock is self.com2:
                    if not data:
                        return		# the emulator is gone
                    if client:
                        try:
                            client.sendall(data)
                        except OSError:
                            pass
                elif not data:
                    client.close()
                    self.client = None
                else:
                    self.com2.sendall(data)

    def _accept(self, listener):
        listener.settimeout(60)
        try:
            conn, _ = listener.accept()
            conn.settimeout(5)
            self.client = conn
        except OSError:
            pass
        listener.close()

    def start(self, captures):
        if not self.com2:
            return "gdb-start: no connection to COM2"
        listener = socket.socket()
        listener.bind(("localhost", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        lines = ["set pagination off", "set confirm off", "set width 0",
                 "set remotetimeout 30", f"target remote localhost:{port}"]
        for line in self.script:
            for key, value in captures.items():
                line = line.replace("{" + key + "}", value)
            lines.append(line)
        self.script = []
        self.runs += 1
        path = os.path.join(self.workdir, f"session{self.runs}.gdb")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.text = ""
        self.proc = subprocess.Popen(["gdb", "-batch", "-nx", "-x", path],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        return None

    def pump(self):
        if not self.proc:
            return
        chunk = self.proc.stdout.read()
        if chunk:
            self.log.write(chunk)
            self.log.flush()
            self.text += chunk.decode("utf-8", "replace")

    def stop(self):
        self.done = True
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.pump()
        self.log.close()


def drain(conn):
    try:
        while conn.recv(65536):
            pass
    except (BlockingIOError, OSError):
        pass


def ram_ranges(text, name):
    """The host-physical RAM ranges the log gives VM name, one per build."""
    rx = re.compile(r"vm " + re.escape(name) +
                    r": RAM \d+ MiB at host 0x([0-9a-f]+)-0x([0-9a-f]+)")
    return [(int(m.group(1), 16), int(m.group(2), 16)) for m in rx.finditer(text)]


def check_overlap(text, a, b):
    """None if some build of a and some build of b shared RAM frames."""
    ra, rb = ram_ranges(text, a), ram_ranges(text, b)
    if not ra or not rb:
        return f"no RAM range in the log for {a if not ra else b}"
    for lo_a, hi_a in ra:
        for lo_b, hi_b in rb:
            if lo_a <= hi_b and lo_b <= hi_a:
                return None
    return f"the RAM of {a} {ra} and of {b} {rb} do not overlap"


EMULATOR_ABORT = re.compile(r".*(>>PANIC<<|Bochs is exiting|cpu_abort|qemu: fatal"
                            r"|qemu-system-x86_64: .*(abort|fatal|[Aa]ssertion)).*")
BOCHS_PANIC = re.compile(r"^\d+p\[.*", re.M)	# bochs.log: a message of level "panic"
HV_PANIC = re.compile(r".*(hv: panic on CPU|hv: fatal exception).*")


def check_ratio(text, low, high, num, den):
    """(why, line): why is None when num's number over den's lies in
    [low, high]; line shows the ratio when both were found."""
    a, b = num.search(text), den.search(text)
    for rx, m in ((num, a), (den, b)):
        if not m:
            return f"ratio: no match in the log for: {rx.pattern}", None
    x, y = float(a.group(1)), float(b.group(1))
    if y == 0:
        return f"ratio: the divisor is 0 ({b.group(0)!r})", None
    line = f"A/B = {x / y:.3f} ({low:g}-{high:g}; A {a.group(1)}, B {b.group(1)})"
    if not low <= x / y <= high:
        return f"ratio {line} out of bounds", line
    return None, line


def classify(workdir, console):
    """What the logs say ended a failed run: the emulator or the hypervisor."""
    blog = os.path.join(workdir, "bochs.log")
    bochs = open(blog, "rb").read().decode("utf-8", "replace") if os.path.exists(blog) else ""
    m = HV_PANIC.search(console)
    if m:
        return "hypervisor panic: " + m.group(0).strip()
    for text, rx in ((console, EMULATOR_ABORT), (bochs, BOCHS_PANIC), (bochs, EMULATOR_ABORT)):
        m = rx.search(text)
        if m:
            return "emulator abort: " + m.group(0).strip()
    return None


def run_scenario(path):
    name = os.path.splitext(os.path.basename(path))[0]
    workdir = os.path.join(BUILD, "test", name)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    try:
        sc = parse_scenario(path)
        sc["workdir"] = workdir
        cmd, _ = command_for(sc, workdir)
    except (ValueError, subprocess.CalledProcessError) as e:
        return name, False, f"setup: {e}", 0.0, workdir, []

    logpath = os.path.join(workdir, "console.log")
    start = time.monotonic()
    deadline = start + float(sc["timeout"])
    steps = list(sc["steps"])
    st = {"text": "", "exited": False}
    info = []
    latencies = []
    why = None
    with open(logpath, "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        os.set_blocking(proc.stdout.fileno(), False)
        com1 = connect_com(sc, proc, "com1_port") if sc["machine"] == "bochs" else None
        gdb = GdbRelay(connect_com(sc, proc, "com2_port"), workdir) \
            if sc["gdb"] == "on" else None
        captures = {}

        def type_text(data):
            # Typed a few bytes at a time, as a person would: the guest's
            # receiver holds 16 bytes.
            for i in range(0, len(data), 8):
                if com1:
                    com1.sendall(data[i:i + 8])
                else:
                    proc.stdin.write(data[i:i + 8])
                    proc.stdin.flush()
                time.sleep(0.02)

        def wait_for(rx, until):
            """The match of rx in the unread output, consumed up to its end;
            None at until; "exit" when the emulator is gone."""
            while True:
                m = rx.search(st["text"])
                if m:
                    st["text"] = st["text"][m.end():]
                    return m
                if com1:
                    drain(com1)	# the same bytes as debugcon's, unread
                chunk = proc.stdout.read()
                if chunk:
                    log.write(chunk)
                    log.flush()
                    st["text"] += chunk.decode("utf-8", "replace").replace("\r", "")
                elif proc.poll() is not None:
                    return "exit"
                elif time.monotonic() > until:
                    return None
                else:
                    time.sleep(0.02)

        def wait_gdb(rx, until):
            """The match of rx in the gdb client's unread output; None at
            until; "exit" when the client is gone without it."""
            while True:
                gdb.pump()
                m = rx.search(gdb.text)
                if m:
                    gdb.text = gdb.text[m.end():]
                    return m
                if gdb.proc is None or gdb.proc.poll() is not None:
                    gdb.pump()
                    m = rx.search(gdb.text)
                    if m:
                        gdb.text = gdb.text[m.end():]
                        return m
                    return "exit"
                if time.monotonic() > until:
                    return None
                wait_for(re.compile("(?!)"), time.monotonic() + 0.05)	# console on

        def missed(rx, res):
            if res == "exit":
                return f"emulator exited (status {proc.returncode}) before: {rx.pattern}"
            return f"timeout after {sc['timeout']} s waiting for: {rx.pattern}"

        while steps and why is None:
            step = steps.pop(0)
            if step[0] == "send":
                type_text(step[1])
            elif step[0] == "capture":
                res = wait_for(step[2], deadline)
                if not isinstance(res, re.Match):
                    why = missed(step[2], res)
                else:
                    captures[step[1]] = res.group(1)
            elif step[0] == "gdb-line":
                gdb.script.append(step[1])
            elif step[0] == "gdb-start":
                why = gdb.start(captures)
            elif step[0] == "gdb-expect":
                pattern = step[1]
                for key, value in captures.items():
                    pattern = pattern.replace("{" + key + "}", value)
                res = wait_gdb(re.compile(pattern), deadline)
                if not isinstance(res, re.Match):
                    why = ("gdb client exited before: " if res == "exit" else
                           f"timeout after {sc['timeout']} s waiting in gdb's output for: ") + \
                        pattern
            elif step[0] == "gdb-interrupt":
                if gdb.proc and gdb.proc.poll() is None:
                    gdb.proc.send_signal(signal.SIGINT)
            elif step[0] == "gdb-wait":
                until = min(deadline, time.monotonic() + step[1])
                while gdb.proc and gdb.proc.poll() is None and time.monotonic() < until:
                    wait_for(re.compile("(?!)"), time.monotonic() + 0.1)
                gdb.pump()
                if gdb.proc and gdb.proc.poll() is None:
                    why = f"gdb client still running after {step[1]:g} s"
            elif step[0] == "expect":
                res = wait_for(step[1], deadline)
                if not isinstance(res, re.Match):
                    why = missed(step[1], res)
            elif step[0] == "await":
                rx, secs = step[1], step[2]
                res = wait_for(rx, min(deadline, time.monotonic() + secs))
                if res == "exit":
                    why = missed(rx, res)
                elif res is None:
                    info.append(f"NOTE integration:{name}: not seen within {secs:g} s, "
                                f"going on: {rx.pattern}")
            else:
                _, label, n, cmdline, pattern = step
                times = []
                for i in range(1, n + 1):
                    wait_for(re.compile("(?!)"), time.monotonic() + 0.5)	# the interval
                    rx = re.compile(pattern.replace("{i}", str(i)))
                    type_text((cmdline.replace("{i}", str(i)) + "\n").encode())
                    t0 = time.monotonic()
                    res = wait_for(rx, deadline)
                    if not isinstance(res, re.Match):
                        why = missed(rx, res)
                        break
                    times.append(time.monotonic() - t0)
                if why:
                    break
                times.sort()
                median, worst = times[len(times) // 2], times[-1]
                info.append(f"LATENCY integration:{name} {label} n={n} "
                            f"median {median:.2f} s max {worst:.2f} s")
                bound = float(sc["latency-max"])
                factor = float(sc["latency-factor"])
                if worst > bound:
                    why = f"latency {label}: an answer took {worst:.2f} s (bound {bound:g} s)"
                elif latencies and median > factor * max(latencies[0], 0.2):
                    why = (f"latency {label}: median {median:.2f} s is over {factor:g} x "
                           f"the first median ({latencies[0]:.2f} s, at least 0.2 s)")
                latencies.append(median)
        if gdb:
            gdb.stop()
        elapsed = time.monotonic() - start
        # Give the console a moment so that rejected output after the last
        # expectation (a fault right after "ready") is seen.
        settle = time.monotonic() + 0.5
        while proc.poll() is None and time.monotonic() < settle:
            chunk = proc.stdout.read()
            if chunk:
                log.write(chunk)
            time.sleep(0.05)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    full = open(logpath, "rb").read().decode("utf-8", "replace").replace("\r", "")
    if why is None:
        for rx in sc["reject"]:
            m = rx.search(full)
            if m:
                why = f"rejected output: {m.group(0)!r}"
                break
    if why is None:
        for a, b in sc["overlap"]:
            why = check_overlap(full, a, b)
            if why:
                break
    for low, high, num, den in sc["ratio"]:
        if why is not None:
            break
        why, line = check_ratio(full, low, high, num, den)
        if line:
            info.append(f"RATIO integration:{name} {line}")
    if why is not None:
        cause = classify(workdir, full)
        if cause:
            why += f"; {cause}"
    return name, why is None, why, elapsed, workdir, info


def main():
    paths = sys.argv[1:] or sorted(
        os.path.join(ROOT, "tests/integration", f)
        for f in os.listdir(os.path.join(ROOT, "tests/integration")) if f.endswith(".scn"))
    failed = 0
    for path in paths:
        wall_start = time.monotonic()
        name, ok, why, elapsed, workdir, info = run_scenario(path)
        wall = time.monotonic() - wall_start
        for line in info:
            print(line, flush=True)
        if ok:
            print(f"PASS integration:{name} ({elapsed:.1f} s)", flush=True)
        else:
            failed += 1
            print(f"FAIL integration:{name}: {why}", flush=True)
            log = os.path.join(workdir, "console.log")
            if os.path.exists(log):
                lines = open(log, "rb").read().decode("utf-8", "replace").splitlines()
                print(f"---- {name}: last 30 console lines ----")
                for line in lines[-30:]:
                    print("  " + line.replace("\r", ""))
        print(f"TIME integration:{name} {wall:.1f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""vmdeck vs QEMU on the same built-in Multiboot guests (not part of the tests).

Builds vmdeck (unless --no-build), then for each case runs
`vmdeck run` and `qemu-system-x86_64 -enable-kvm -kernel` alternately,
N times each, and records wall time from launch to guest exit and the
child's peak RSS (from wait4). The exits guest with io=N minus the same guest
with io=0 gives port-I/O exits per second for both VMMs.
Writes a Markdown table to tests/bench/results/boot_vs_qemu.md.

usage: tests/bench/boot_vs_qemu.py [--runs 11] [--io 20000] [--no-build]
"""
import argparse, os, platform, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
GUESTS = os.path.join(BUILD, "assets", "guests")
VMDECK = os.path.join(BUILD, "vmdeck")
QEMU = "qemu-system-x86_64"


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.perf_counter()
    return t1 - t0, ru.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def vmdeck_cmd(guest, cmdline, mem):
    return [VMDECK, "run", "--kernel", os.path.join(GUESTS, guest + ".elf"),
            "--cmdline", cmdline, "--mem", mem, "--timeout", "120"]


def qemu_cmd(guest, cmdline, mem):
    return [QEMU, "-enable-kvm", "-m", mem, "-kernel", os.path.join(GUESTS, guest + ".elf"),
            "-append", cmdline, "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-serial", "null", "-display", "none", "-monitor", "none", "-nodefaults",
            "-no-reboot"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--io", type=int, default=20000)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "bench", "results", "boot_vs_qemu.md"))
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["bash", os.path.join(ROOT, ".ci", "setup"), "build"], check=True)

    cases = [
        ("hello", "hello", ""),
        ("exits io=0", "exits", "io=0"),
        (f"exits io={a.io}", "exits", f"io={a.io}"),
        ("smp (1 vCPU)", "smp", "cpus=1 work=1000"),
    ]
    mem = "64M"
    res = {}
    for name, guest, cmdline in cases:
        for vmm in ("vmdeck", "qemu"):
            res[(name, vmm)] = []
        for i in range(a.runs):
            # Alternate which VMM goes first to spread any drift evenly.
            order = ("vmdeck", "qemu") if i % 2 == 0 else ("qemu", "vmdeck")
            for vmm in order:
                cmd = vmdeck_cmd(guest, cmdline, mem) if vmm == "vmdeck" else qemu_cmd(guest, cmdline, mem)
                wall, rss, st = run(cmd)
                want = 0 if vmm == "vmdeck" else 1  # QEMU: (0 << 1) | 1
                if st != want:
                    sys.exit(f"{vmm} {name}: exit status {st}, expected {want}: {' '.join(cmd)}")
                res[(name, vmm)].append((wall, rss))

    def med(name, vmm, idx):
        return statistics.median(r[idx] for r in res[(name, vmm)])

    lines = []
    lines.append("# vmdeck vs QEMU: launch to guest exit\n")
    lines.append(f"Produced by `tests/bench/boot_vs_qemu.py --runs {a.runs} --io {a.io}` on "
                 f"{time.strftime('%Y-%m-%d')}, host kernel {platform.release()}, "
                 f"{os.cpu_count()} CPUs. Median of {a.runs} alternating runs each; guest memory {mem}.\n")
    lines.append("QEMU: `qemu-system-x86_64 -enable-kvm -m 64M -kernel GUEST.elf -append ARGS "
                 "-device isa-debug-exit,iobase=0xf4,iosize=4 -serial null -display none "
                 "-monitor none -nodefaults -no-reboot`.  vmdeck: `vmdeck run --kernel GUEST.elf "
                 "--cmdline ARGS --mem 64M`.\n")
    lines.append("| guest | vmdeck wall (ms) | QEMU wall (ms) | speed-up | vmdeck peak RSS (MiB) | QEMU peak RSS (MiB) |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for name, _, _ in cases:
        vw, qw = med(name, "vmdeck", 0), med(name, "qemu", 0)
        vr, qr = med(name, "vmdeck", 1), med(name, "qemu", 1)
        lines.append(f"| {name} | {vw*1e3:.1f} | {qw*1e3:.1f} | {qw/vw:.1f}x | {vr/2**20:.1f} | {qr/2**20:.1f} |")
    ex0, exn = f"exits io=0", f"exits io={a.io}"
    lines.append("")
    lines.append(f"Port-I/O exits per second (guest does {a.io} `out` to an unclaimed port; "
                 f"time(io={a.io}) - time(io=0), medians):\n")
    lines.append("| VMM | exits/s |")
    lines.append("|---|---:|")
    for vmm in ("vmdeck", "qemu"):
        dt = med(exn, vmm, 0) - med(ex0, vmm, 0)
        lines.append(f"| {vmm} | {a.io/dt:,.0f} |" if dt > 0 else f"| {vmm} | n/a |")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

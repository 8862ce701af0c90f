"""Runs every benchmark script and rewrites docs/benchmarks.md with what they printed.

    python -m benchmarks.run_all            # the scripts' own settings (about an hour here)
    python -m benchmarks.run_all --quick    # smaller settings, minutes (a smoke check)
    python -m benchmarks.run_all --only regularizer_overhead,mixed_precision
    python benchmarks/run_all.py            # the same, as a script from the repository root

Each script runs in its own process (one after another, so they do not share the
cores); its output goes to `benchmarks/results/<name>.txt` and, with the machine it
ran on (CPU, cores, load, library versions), into `docs/benchmarks.md`. A script that
fails is reported as failed, and the others still run. With `--only`, the page still
lists every benchmark: those not run now are copied from their last
`benchmarks/results/<name>.txt`, whose first line says when and where they ran.
"""

import argparse
import datetime
import os
import pathlib
import platform
import re
import subprocess
import sys
import time

if not __package__:  # run as a script: the repository root holds the infodl package
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from infodl.quiet_startup import NOISE

ROOT = pathlib.Path(__file__).resolve().parents[1]

# name -> (what it measures, full arguments, quick arguments)
BENCHMARKS = {
    "regularizer_overhead": ("ResNet-32 images/s with the information regularizer vs without",
                             [], ["--pairs", "6", "--batch_size", "32"]),
    "callback_overhead": ("ResNet-32 training time with the measurement callbacks vs without",
                          [], ["--rounds", "1", "--block_steps", "2"]),
    "mixed_precision": ("ResNet-32 images/s, mixed_bfloat16 vs float32",
                        [], ["--pairs", "3", "--batch_size", "16"]),
    "input_pipeline": ("CIFAR training pipeline throughput", [], ["--batches", "10",
                                                                  "--repeats", "1"]),
    "estimator_accuracy": ("MI estimators at their defaults vs closed-form truth",
                           [], ["--quick"]),
    "binning_speed": ("binning estimator time", [], ["--repeats", "1"]),
    "kde_memory": ("KDE estimator peak memory at N = 20 000", [],
                   ["--num_examples", "4000"]),
    "info_plane_overhead": ("information-plane logging vs training time", [],
                            ["--epochs", "500", "--repeats", "1", "--num_log_points", "20",
                             "--fit_epochs", "20"]),
    "ib_step": ("one IB iteration vs one cross-entropy step of the same net", [],
                ["--pairs", "3", "--repeat", "1", "--critic_hidden_units", "256,256"]),
}


def machine():
    """One paragraph on the machine the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    versions = []
    for module in ("tensorflow", "keras", "numpy"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} cores, load average {load} at start, Python "
            f"{platform.python_version()}, {', '.join(versions)}")


def run_one(name, args):
    """Runs one script; returns (return code, seconds, output)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args], cwd=ROOT,
                            capture_output=True, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    noise = re.compile("|".join(NOISE))
    output = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                       if not noise.search(line))
    return result.returncode, time.perf_counter() - start, output


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller settings")
    parser.add_argument("--only", default=None, help="comma-separated script names")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {list(BENCHMARKS)}")
    today = datetime.date.today().isoformat()
    sections = [f"# Benchmarks ({today})", "",
                f"Machine: {machine()}.", "",
                "Written by `python -m benchmarks.run_all" + (" --quick" if args.quick else "")
                + (f" --only {args.only}" if args.only else "")
                + "`; every ratio is measured side by side in one run (the scripts' "
                "docstrings say how).", ""]
    failed = []
    results_dir = ROOT / "benchmarks" / "results"
    for name in BENCHMARKS:
        if name not in names:
            stored = results_dir / f"{name}.txt"
            if stored.exists() and not args.quick:
                lines = stored.read_text().splitlines()
                sections += [f"## {name}: {BENCHMARKS[name][0]}", "",
                             f"Not rerun by this call: `benchmarks/results/{name}.txt`, "
                             f"written by {lines[0].lstrip('# ')}", "", "```",
                             "\n".join(lines[1:]).strip()[-6000:], "```", ""]
            continue
        description, full, quick = BENCHMARKS[name]
        script_args = quick if args.quick else full
        command = " ".join(["python -m", f"benchmarks.{name}", *script_args])
        print(f"running {command} ...", flush=True)
        code, seconds, output = run_one(name, script_args)
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        if code:
            failed.append(name)
        results_dir.mkdir(exist_ok=True)
        if not args.quick:
            (results_dir / f"{name}.txt").write_text(
                f"# {command}  ({today}, {machine()})\n{output}\n")
        sections += [f"## {name}: {description}", "",
                     f"`{command}` — {status}, {seconds:.0f} s", "", "```",
                     output.strip()[-6000:], "```", ""]
        print(f"  {status} in {seconds:.0f} s", flush=True)
    pathlib.Path(args.doc).parent.mkdir(exist_ok=True)
    pathlib.Path(args.doc).write_text("\n".join(sections))
    print(f"wrote {args.doc}" + (f"; failed: {failed}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Golden tests: CLI scripts and `opencmed -n` runs compared with .ok files.

  tests/cli/NAME.cli   lines fed to `opencme` (a script on standard input),
                       against a fresh opencmed started with NAME.cfg when
                       present (else an empty configuration);
                       the transcript is compared with NAME.ok.
  tests/cli/chapter/NAME.ok
                       `opencmed -n -f examples/chapter/NAME.cfg`: stdout,
                       then stderr, then the exit status.

UPDATE=1 rewrites the .ok files (read the diff before committing them).
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build")
UPDATE = os.environ.get("UPDATE") == "1"


def compare(name, got, ok_path):
    if UPDATE or not ok_path.exists():
        ok_path.write_text(got)
        return True
    want = ok_path.read_text()
    if got == want:
        return True
    sys.stdout.write(f"golden: {name} differs from {ok_path}\n")
    import difflib
    sys.stdout.writelines(difflib.unified_diff(
        want.splitlines(True), got.splitlines(True), "expected", "got"))
    return False


def run_check(cfg):
    p = subprocess.run([str(BUILD / "opencmed"), "-n", "-f",
                        str(cfg.relative_to(ROOT))], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    return (p.stdout + "--- stderr\n" + p.stderr +
            f"--- exit status {p.returncode}\n")


def run_script(cli):
    cfg = cli.with_suffix(".cfg")
    with tempfile.TemporaryDirectory() as tmp:
        state = pathlib.Path(tmp) / "state"
        startup = pathlib.Path(tmp) / "startup.cfg"
        startup.write_text(cfg.read_text() if cfg.exists() else "")
        log = open(pathlib.Path(tmp) / "log", "w")
        d = subprocess.Popen([str(BUILD / "opencmed"), "-f", str(startup),
                              "-d", str(state)], stderr=log)
        try:
            sock = state / "opencme.sock"
            for _ in range(200):
                if sock.exists():
                    break
                time.sleep(0.02)
            p = subprocess.run([str(BUILD / "opencme"), "-d", str(state)],
                               stdin=open(cli), capture_output=True,
                               text=True, timeout=60)
        finally:
            d.terminate()
            d.wait(timeout=10)
        out = p.stdout + f"--- exit status {p.returncode}\n"
        # The running-config size depends on nothing variable, but the
        # date in version stamps could: keep the transcript as it is.
        return re.sub(r"\r", "", out)


def main():
    passed = failed = 0
    for cli in sorted((ROOT / "tests/cli").glob("*.cli")):
        if compare(cli.name, run_script(cli), cli.with_suffix(".ok")):
            passed += 1
        else:
            failed += 1
    for cfg in sorted((ROOT / "examples/chapter").glob("*.cfg")):
        ok = ROOT / "tests/cli/chapter" / (cfg.stem + ".ok")
        if compare(cfg.name, run_check(cfg), ok):
            passed += 1
        else:
            failed += 1
    print(f"golden: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Set up and run Leerloopbaan with nothing but Python 3.11+ and the package registries.

    python3 dev.py demo [--pupils N] [--port P] [--no-serve]   set up, then `leerloopbaan demo`
    python3 dev.py test [pytest options]                        set up, lint, check the import contracts, then run every test

Set-up is idempotent: a virtual environment in .venv, the package and its pinned dependencies
(reinstalled only when pyproject.toml changes), and for the tests Debian's chromium when it is
missing and this machine can install it (root with apt-get), and the npm packages of the credential
verifier in tools/vc-verify when node is installed. Nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def say(text: str) -> None:
    print(f"[dev] {text}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kwargs) -> None:
    result = subprocess.run(cmd, **kwargs)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(extras: str) -> None:
    if not PY.exists():
        say("creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()[:16]
    stamp = VENV / f".installed-{digest}"
    if not stamp.exists():
        say(f"installing Leerloopbaan and its dependencies ({extras or 'runtime'})")
        run([str(PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip"])
        target = f".[{extras}]" if extras else "."
        run([str(PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target], cwd=ROOT)
        for old in VENV.glob(".installed-*"):
            old.unlink()
        stamp.write_text("ok\n")


def ensure_chromium() -> None:
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=False)
    else:
        say("chromium is not installed and cannot be installed here: the browser tests will be skipped")


def ensure_node_tools() -> None:
    """npm packages of tools/vc-verify, the independent credential verifier (reinstalled when its lock changes)."""
    tool = ROOT / "tools" / "vc-verify"
    npm = shutil.which("npm")
    if not (shutil.which("node") and npm):
        say("node/npm are not installed: the credential interoperability test will be skipped")
        return
    digest = hashlib.sha256((tool / "package-lock.json").read_bytes()).hexdigest()[:16]
    stamp = tool / "node_modules" / f".installed-{digest}"
    if not stamp.exists():
        say("installing the credential verifier's npm packages (tools/vc-verify)")
        run([npm, "ci", "--no-audit", "--no-fund"], cwd=tool)  # ci empties node_modules: old stamps go too
        stamp.write_text("ok\n")


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__)
        sys.exit(2)
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "demo":
        ensure_venv("")
        leerloopbaan = BIN / "leerloopbaan"
        os.execv(str(leerloopbaan), [str(leerloopbaan), "demo", *rest])
    ensure_venv("test")
    ensure_chromium()
    ensure_node_tools()
    run([str(PY), "-m", "leerloopbaan.cli", "compile_translations"])
    say("ruff check")
    run([str(BIN / "ruff"), "check", "src", "tests", "benchmarks", "dev.py"])
    say("lint-imports (the layer and engine contracts in pyproject.toml)")
    # the contracts are checked on this checkout's src/, whatever the environment has installed
    paths = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)
    run([str(BIN / "lint-imports")], env={**os.environ, "PYTHONPATH": paths})
    say("pytest (DATABASE_URL=%s)" % (os.environ.get("DATABASE_URL", "") or "embedded SQLite"))
    run([str(PY), "-m", "pytest", *rest])


if __name__ == "__main__":
    main(sys.argv[1:])

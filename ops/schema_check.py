"""Check dashboards against Grafana's published dashboard schema.

Grafana generates its TypeScript ``Dashboard`` type (npm ``@grafana/schema``, the
same CUE kinds the dashboards JSON model comes from). Each dashboard is written
as a typed object literal and compiled with ``tsc --strict``: a field Grafana does
not declare, a wrong type or a missing required field is a compile error. The
versions are pinned in ``deploy/grafana/schema-check/package.json`` (Grafana 11.6,
as the pinned grafana-foundation-sdk).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ops.dashboards import OUT_DIR

CHECK_DIR = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "schema-check"
TSC_FLAGS = (
    "--strict",
    "--noEmit",
    "--skipLibCheck",
    "--module",
    "node16",
    "--moduleResolution",
    "node16",
    "--target",
    "es2022",
)


class SchemaToolMissing(RuntimeError):
    pass


def ensure_tools() -> Path:
    """The TypeScript compiler of the check folder, installed with `npm ci` when absent."""
    tsc = CHECK_DIR / "node_modules" / ".bin" / "tsc"
    if tsc.exists():
        return tsc
    npm = shutil.which("npm")
    if npm is None:
        raise SchemaToolMissing("npm is needed to install the schema check (Node.js 18+)")
    subprocess.run(
        [npm, "ci", "--silent", "--no-audit", "--no-fund"],
        cwd=CHECK_DIR,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return tsc


def check(dashboards: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """{name: compiler errors} for each dashboard (empty lists when all are valid)."""
    tsc = ensure_tools()
    with tempfile.TemporaryDirectory(dir=CHECK_DIR, prefix=".check-") as tmp:
        files = []
        for name, board in dashboards.items():
            path = Path(tmp) / f"{name}.ts"
            path.write_text(
                "import type { Dashboard } from '@grafana/schema';\n\n"
                f"export const dashboard: Dashboard = {json.dumps(board, indent=2)};\n"
            )
            files.append(path)
        done = subprocess.run(
            [str(tsc), *TSC_FLAGS, *map(str, files)],
            cwd=CHECK_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
    errors: dict[str, list[str]] = {name: [] for name in dashboards}
    for line in done.stdout.splitlines():
        for name in dashboards:
            if f"{name}.ts(" in line:
                errors[name].append(line.split(".ts", 1)[1])
    if done.returncode != 0 and not any(errors.values()):
        raise RuntimeError(f"tsc failed without naming a dashboard: {done.stdout}{done.stderr}")
    return errors


def provisioned() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(OUT_DIR.glob("*.json"))}


def main() -> None:
    errors = check(provisioned())
    for name, found in errors.items():
        print(f"{name}: {'valid' if not found else 'INVALID'}")
        for line in found:
            print(f"  {line}")
    sys.exit(1 if any(errors.values()) else 0)


if __name__ == "__main__":
    main()

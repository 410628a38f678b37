"""`fabricgraph probe ...`: a blueprint's probes: list, create from a JSON or YAML file,
delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from api import probes
from api.cli_blueprint import engine
from blueprint_engine.errors import ValidationError
from blueprint_engine.settings import load_settings

app = typer.Typer(help="Probes of a blueprint: list, create (from a file), delete.")
console = Console()
MAX_FILE_BYTES = 64 * 1024


@app.command("list")
def list_(blueprint: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """The blueprint's probes (predefined first) with subjects and raised anomalies."""
    with engine() as bps:
        rows = probes.listing(bps.graph, blueprint)
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("probe", "kind.field", "chain", "anomaly", "subjects", "raised", "by")
    for r in rows:
        chain = " > ".join(
            p["type"] + (f"({p['window_s']:g}s)" if "window_s" in p else "")
            for p in r["processors"]
        )
        anomaly = f"{r['anomaly']['type']} ({r['anomaly']['severity']})"
        table.add_row(
            r["name"],
            f"{r['kind']}.{r['field']}",
            chain,
            anomaly,
            str(r["subjects"]),
            str(r["raised"]),
            r["created_by"] or "",
        )
    console.print(table)


@app.command()
def create(
    blueprint: str,
    path: Annotated[Path, typer.Argument(help="a JSON or YAML file with one definition")],
) -> None:
    """Create a probe from a definition file (see the README's "Probes")."""
    with engine() as bps:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            raise ValidationError(
                f"{path} is not a file of at most {MAX_FILE_BYTES} bytes",
                allowed="a JSON or YAML file with one probe definition",
            )
        try:
            definition = yaml.safe_load(path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ValidationError(
                f"{path} is not JSON or YAML: {exc}", allowed="one probe definition"
            ) from None
        row = probes.create(bps.graph, blueprint, definition, "cli")
    console.print(f"created probe {row['name']} on {blueprint}: {row['subjects']} subjects")


@app.command()
def delete(blueprint: str, name: str) -> None:
    """Delete a user probe (its raised anomalies are cleared)."""
    with engine() as bps:
        out = probes.delete(bps.graph, load_settings().redis_url, blueprint, name)
    console.print(f"deleted probe {name}: {out['anomalies_cleared']} anomalies cleared")

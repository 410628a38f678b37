"""The blueprint service: what the API and CLI call (create, read, stage, commit)."""

from __future__ import annotations

from pathlib import Path

from blueprint_engine.catalogue.entries import Catalogue, load_catalogue
from blueprint_engine.catalogue.models import DeviceProfile
from blueprint_engine.catalogue.store import CatalogueCache
from blueprint_engine.change.staging import Revision, Staging
from blueprint_engine.configs.stored import Configs
from blueprint_engine.design import store
from blueprint_engine.design.build import build_design
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Graph, Row

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "fixtures" / "catalogue"
NAME_PATTERN = "letters, digits, '-' and '_', 1 to 63 characters, starting with a letter"


def check_name(name: str) -> str:
    if not (
        0 < len(name) < 64
        and name[0].isalpha()
        and all(c.isalnum() or c in "-_" for c in name)
        and name.isascii()
    ):
        raise ValidationError(f"invalid blueprint name {name!r}", allowed=NAME_PATTERN)
    return name


class Blueprints:
    def __init__(self, graph: Graph, catalogue: Catalogue | None = None) -> None:
        self.graph = graph
        # fixtures + entries created through the API (stored in the graph, read on a miss)
        self.catalogues = CatalogueCache(graph, catalogue or load_catalogue(DEFAULT_CATALOGUE))
        self.configs = Configs(graph, self.catalogues)
        self.staging = Staging(
            graph, self.catalogues, render_checks=self.configs.configlet_problems
        )

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue as last read (fixtures + the created entries seen so far)."""
        return self.catalogues.snapshot()

    def device_profile(self, name: str) -> DeviceProfile:
        """A device profile, built in or created through the API."""
        return self.catalogues.device_profile(name)

    def create(self, name: str, template: str) -> Row:
        """Instantiate ``template`` as blueprint ``name`` (all resources allocated)."""
        catalogue = self.catalogues.having("templates", template)
        design = build_design(catalogue, template, check_name(name))
        uses = [("templates", template)]
        store.write_design(self.graph, design, lambda tx: self.catalogues.confirm(tx, uses))
        return store.summary(self.graph, name)

    def summary(self, name: str) -> Row:
        return store.summary(self.graph, name)

    def staged_summary(self, name: str) -> Row:
        """The counts of the staged blueprint (active with the staged edits applied)."""
        return self.staging.read_staged(name, lambda tx: store.summary(self.graph, name, tx))

    def names(self) -> list[str]:
        return store.list_blueprints(self.graph)

    def delete(self, name: str) -> None:
        store.summary(self.graph, name)  # NotFoundError names the known blueprints
        store.delete_blueprint(self.graph, name)

    def commit(self, name: str, *, base_version: int, author: str, message: str) -> Revision:
        """Commit staged edits; the touched switches' incremental configs are stored with it."""
        return self.staging.commit(
            name,
            base_version=base_version,
            author=author,
            message=message,
            before_commit=self.configs.commit_hook(name),
        )

    def incremental_preview(self, name: str) -> dict[str, str]:
        """{switch: incremental config} that committing the staged edits would apply."""
        with self.staging.staged_view(name) as (tx, applied):
            preview = self.configs.incremental_preview(tx, name, applied)
        return {system: cfg["incremental"] for system, cfg in preview.items()}

    def incremental_changes(self, name: str) -> dict[str, dict[str, str]]:
        """{switch: {"incremental": delta, "rollback": what undoes it}} for the staged
        edits (on eos/nxos/junos hier_config's remediation and its rollback)."""
        with self.staging.staged_view(name) as (tx, applied):
            preview = self.configs.incremental_preview(tx, name, applied, rollback=True)
        return {
            system: {"incremental": cfg["incremental"], "rollback": cfg["rollback"]}
            for system, cfg in preview.items()
        }

    def config(self, name: str, system: str, stage: str) -> str | None:
        """A stored config stage of a switch (rendered, incremental...)."""
        return self.configs.stored(name, [system], stage).get(system)

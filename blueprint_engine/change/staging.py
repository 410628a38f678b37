"""Staged and active blueprints: edits, build errors, commits, revisions, rollback.

The graph holds the **active** blueprint. Staged edits are ``StagedChange``
nodes: an ordered log of edits, each stamped with the staged version it was
based on. The **staged** view is active + the log applied inside a transaction
that is never committed; a **commit** applies the same log in a transaction
that is, together with a ``Revision`` recording author, time, message, the
logical diff and the inverse edits (so any revision can be rolled back).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import neo4j

from blueprint_engine.change.edits import ApplyEdits
from blueprint_engine.change.gate import ChangeGate, StaleBase
from blueprint_engine.change.kinds import PUBLIC_KINDS, REGISTRY
from blueprint_engine.change.model import (
    Applied,
    CatalogueSource,
    DiffEntry,
    Edit,
    EditContext,
    EditKind,
    apply_edit,
)
from blueprint_engine.change.validation import build_errors as find_build_errors
from blueprint_engine.change.validation import scope_of
from blueprint_engine.errors import BuildError, ConflictError, NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query, Row, Tx

T = TypeVar("T")
# the longest a change of a blueprint's staged log (stage, discard, commit) waits in this
# process for the blueprint's other changes before it is refused as busy
GATE_WAIT_S = 5.0
# build errors found by rendering (configlets): (tx, blueprint, diff or None for all) -> problems
RenderChecks = Callable[[Tx, str, list[DiffEntry] | None], list[str]]

LOCK = Query(
    "staging.lock",
    """
    MATCH (b:Blueprint {name: $bp})
    SET b.lock_seq = coalesce(b.lock_seq, 0) + 1
    RETURN b.staged_version AS version, b.active_revision AS revision
    """,
)
HEAD = Query(
    "staging.head",
    "MATCH (b:Blueprint {name: $bp}) RETURN b.active_revision AS revision",
)
VERSION = Query(
    "staging.version",
    "MATCH (b:Blueprint {name: $bp}) RETURN b.staged_version AS version",
)
CHANGES = Query(
    "staging.changes",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_CHANGE]->(c:StagedChange)
    RETURN c.seq AS seq, c.kind AS kind, c.params AS params, c.author AS author,
           c.base_version AS base_version, toString(c.at) AS at
    ORDER BY c.seq
    """,
)
ADD_CHANGE = Query(
    "staging.add_change",
    """
    MATCH (b:Blueprint {name: $bp})
    SET b.staged_version = $version
    CREATE (b)-[:HAS_CHANGE]->(:StagedChange {uid: $bp + '/' + toString($version),
        blueprint: $bp, seq: $version, kind: $kind, params: $params, author: $author,
        base_version: $base, at: datetime()})
    """,
)
CLEAR_CHANGES = Query(
    "staging.clear",
    "MATCH (:Blueprint {name: $bp})-[:HAS_CHANGE]->(c:StagedChange) DETACH DELETE c",
)
ADD_REVISION = Query(
    "staging.add_revision",
    """
    MATCH (b:Blueprint {name: $bp})
    OPTIONAL MATCH (b)-[:HAS_REVISION]->(prev:Revision {number: $number - 1})
    CREATE (b)-[:HAS_REVISION]->(r:Revision {uid: $bp + '/r' + toString($number), blueprint: $bp,
        number: $number, author: $author, message: $message, at: datetime(),
        staged_version: $version, diff: $diff, edits: $edits, inverse: $inverse,
        devices: $devices})
    SET b.active_revision = $number, b.staged_version = $version + 1
    FOREACH (_ IN CASE WHEN prev IS NULL THEN [] ELSE [1] END | CREATE (r)-[:PREVIOUS]->(prev))
    RETURN r.number AS number
    """,
)
REVISIONS = Query(
    "staging.revisions",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_REVISION]->(r:Revision)
    WHERE $from <= r.number <= $to
    RETURN r.number AS number, r.author AS author, r.message AS message,
           toString(r.at) AS at, r.diff AS diff, r.inverse AS inverse, r.devices AS devices
    ORDER BY r.number
    """,
)


@dataclass(frozen=True)
class StagedChange:
    seq: int
    kind: str
    params: dict[str, Any]
    author: str
    base_version: int
    at: str


@dataclass(frozen=True)
class Revision:
    number: int
    author: str
    message: str
    at: str
    diff: list[DiffEntry]
    devices: list[str]


class Staging:
    """Staged/active operations on the blueprints of one graph."""

    def __init__(
        self,
        graph: Graph,
        catalogue: CatalogueSource | None = None,
        registry: Mapping[str, EditKind[Any]] = REGISTRY,
        render_checks: RenderChecks | None = None,
        gate_wait_s: float = GATE_WAIT_S,
    ) -> None:
        self.graph = graph
        self.catalogue = catalogue  # where additions find rack types
        self.registry = registry
        self.render_checks = render_checks  # configlets that fail to render are build errors
        self._gate = ChangeGate(gate_wait_s)  # one change of a blueprint at a time

    @contextmanager
    def _changing(self, bp: str, base_version: int) -> Iterator[Callable[[int], None]]:
        """``bp``'s change gate (``blueprint_engine.change.gate``): a stale base version
        is refused at once with the conflict naming the current version, a wait behind
        the blueprint's other changes is bounded (``BusyError``). Yields ``wrote``."""
        for _ in range(2):
            self._check_version(bp, self.version(bp), base_version)
            try:
                with self._gate.enter(bp, base_version) as wrote:
                    yield wrote
                return
            except StaleBase:
                # the graph names the current version; when it says the base is current
                # after all (the blueprint was built again), version() corrected the gate
                self._check_version(bp, self.version(bp), base_version)
        raise AssertionError("unreachable: the gate believes the graph's version")

    def version(self, bp: str) -> int:
        """The staged version an edit must be based on."""
        rows = self.graph.read(VERSION, bp=bp)
        if not rows:
            raise NotFoundError(f"no blueprint named {bp!r}")
        version = int(rows[0]["version"])
        self._gate.saw(bp, version)
        return version

    # -- reading the log ------------------------------------------------------------------
    def changes(self, bp: str, tx: Tx | None = None) -> list[StagedChange]:
        rows = self.graph.run(tx, CHANGES, bp=bp) if tx else self.graph.read(CHANGES, bp=bp)
        return [
            StagedChange(
                r["seq"],
                r["kind"],
                json.loads(r["params"]),
                r["author"],
                r["base_version"],
                r["at"],
            )
            for r in rows
        ]

    def _ctx(self, tx: Tx, bp: str) -> EditContext:
        return EditContext(self.graph, tx, bp, self.registry, self.catalogue)

    def _lock(self, tx: Tx, bp: str) -> Row:
        rows = self.graph.run(tx, LOCK, bp=bp)
        if not rows:
            raise NotFoundError(f"no blueprint named {bp!r}")
        return rows[0]

    def _replay(self, tx: Tx, bp: str) -> Applied:
        total = Applied()
        ctx = self._ctx(tx, bp)
        for change in self.changes(bp, tx):
            applied = apply_edit(ctx, {"kind": change.kind, "params": change.params})
            total.diff.extend(applied.diff)
            total.inverse[:0] = applied.inverse
        return total

    # -- staging ----------------------------------------------------------------------------
    def stage(self, bp: str, edit: Mapping[str, Any], *, base_version: int, author: str) -> int:
        """Append an operator's edit to the staged log; return the new staged version.

        The public entry point (CLI, GraphQL): only the kinds an operator stages are
        accepted; the engine's inverses and batches (``restore``, ``delete_nodes``,
        ``apply_edits``) are refused naming the allowed kinds. The edit is applied to the
        staged view first, so an invalid edit is refused at once and nothing is written.
        A stale ``base_version`` is a conflict.
        """
        kind = edit.get("kind")
        if kind not in PUBLIC_KINDS:
            internal = isinstance(kind, str) and kind in self.registry
            what = "is internal to the engine" if internal else "is unknown"
            raise ValidationError(f"edit kind {kind!r} {what}", allowed=PUBLIC_KINDS)
        return self._stage(bp, edit, base_version=base_version, author=author)

    def _stage(self, bp: str, edit: Mapping[str, Any], *, base_version: int, author: str) -> int:
        with self._changing(bp, base_version) as wrote:
            version = self._stage_gated(bp, edit, base_version=base_version, author=author)
            wrote(version)
            return version

    def _stage_gated(
        self, bp: str, edit: Mapping[str, Any], *, base_version: int, author: str
    ) -> int:
        try:
            params_json = json.dumps(edit.get("params") or {}, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"edit params are not JSON: {exc}") from exc

        def dry_run() -> None:
            with self.graph.explicit() as tx:
                version = self._lock(tx, bp)["version"]
                self._check_version(bp, version, base_version)
                self._replay(tx, bp)
                # refuses a bad edit (grammars too: fresh); rolled back below
                apply_edit(self._ctx(tx, bp), edit, fresh=True)
                tx.rollback()

        self.graph.retrying(dry_run)

        def record(tx: neo4j.ManagedTransaction) -> int:
            current = self._lock(tx, bp)["version"]
            self._check_version(bp, current, base_version)
            self._confirm_catalogue(tx, [edit])
            self.graph.run(
                tx,
                ADD_CHANGE,
                bp=bp,
                version=current + 1,
                kind=edit["kind"],
                params=params_json,
                author=author,
                base=base_version,
            )
            return int(current) + 1

        return self.graph.write_tx(record)

    def _confirm_catalogue(self, tx: Tx, edits: Sequence[Mapping[str, Any]]) -> None:
        """The catalogue entries the edits build from still exist (another process may
        have deleted one this process still caches); checked in the writing transaction."""
        uses = [
            entry
            for edit in edits
            if (kind := self.registry.get(str(edit["kind"]))) is not None
            for entry in kind.catalogue_uses(edit.get("params") or {})
        ]
        if uses and self.catalogue is not None:
            self.catalogue.confirm(tx, uses)

    @staticmethod
    def _check_version(bp: str, current: int, base: int) -> None:
        if current != base:
            raise ConflictError(
                f"blueprint {bp!r} was changed by someone else: your edit is based on staged "
                f"version {base}, the staged blueprint is now at version {current}",
                allowed=f"re-read the staged blueprint and retry with base_version={current}",
                current_version=current,
            )

    def discard(self, bp: str, *, base_version: int) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            self._check_version(bp, self._lock(tx, bp)["version"], base_version)
            self.graph.run(tx, CLEAR_CHANGES, bp=bp)

        with self._changing(bp, base_version):
            self.graph.write_tx(work)

    @contextmanager
    def staged_view(self, bp: str, version: int | None = None) -> Iterator[tuple[Tx, Applied]]:
        """A transaction in which the graph shows the staged blueprint; never committed.

        With ``version``, the view must show that staged version: a later edit or a
        commit in between is a conflict (so the levels of a nested read agree).
        """
        with self.graph.explicit() as tx:
            if version is not None:
                rows = self.graph.run(tx, VERSION, bp=bp)
                if not rows:
                    raise NotFoundError(f"no blueprint named {bp!r}")
                current = int(rows[0]["version"])
                if current != version:
                    raise ConflictError(
                        f"the staged blueprint {bp!r} changed while it was read: version "
                        f"{version} was read, it is now at version {current}",
                        allowed="read it again",
                    )
            applied = self._replay(tx, bp)
            try:
                yield tx, applied
            finally:
                tx.rollback()

    def read_staged(self, bp: str, work: Callable[[Tx], T], version: int | None = None) -> T:
        """``work`` run in a staged view of ``bp`` (pinned to ``version`` when given);
        re-run on a transient error (the view's writes may deadlock with a commit)."""

        def once() -> T:
            with self.staged_view(bp, version) as (tx, _):
                return work(tx)

        return self.graph.retrying(once)

    def diff(self, bp: str) -> list[DiffEntry]:
        def once() -> list[DiffEntry]:
            with self.staged_view(bp) as (_, applied):
                return applied.diff

        return self.graph.retrying(once)

    def build_errors(self, bp: str) -> list[str]:
        def work(tx: Tx) -> list[str]:
            problems = find_build_errors(self.graph, tx, bp)
            if self.render_checks is not None:
                problems += self.render_checks(tx, bp, None)
            return problems

        return self.read_staged(bp, work)

    # -- commit, revisions, rollback --------------------------------------------------------
    def commit(
        self,
        bp: str,
        *,
        base_version: int,
        author: str,
        message: str,
        before_commit: Callable[[Tx, Applied], list[str]] | None = None,
    ) -> Revision:
        """Apply the staged log to active atomically and record a revision.

        ``before_commit`` runs inside the transaction after validation (it returns the
        devices the revision touches, e.g. after rendering their incremental configs).
        A transient error (concurrent commits deadlocking) re-runs the commit, so a
        loser of a race gets the conflict naming the current version.
        """
        with self._changing(bp, base_version) as wrote:
            number = self.graph.retrying(
                lambda: self._commit_once(bp, base_version, author, message, before_commit)
            )
            wrote(base_version + 1)  # a commit leaves the staged version one higher
        return self.revisions(bp, number, number)[0]

    def _commit_once(
        self,
        bp: str,
        base_version: int,
        author: str,
        message: str,
        before_commit: Callable[[Tx, Applied], list[str]] | None,
    ) -> int:
        with self.graph.explicit() as tx:
            head = self._lock(tx, bp)
            self._check_version(bp, head["version"], base_version)
            applied = self._replay(tx, bp)
            if not applied.diff:
                raise ValidationError(
                    f"blueprint {bp!r} has no staged changes to commit",
                    allowed="stage an edit first",
                )
            # active was valid when committed: only what the change touched can be wrong
            scope = scope_of(self.graph, tx, bp, applied.diff)
            problems = find_build_errors(self.graph, tx, bp, scope)
            if self.render_checks is not None:
                problems += self.render_checks(tx, bp, applied.diff)
            if problems:
                raise BuildError(problems)
            devices = before_commit(tx, applied) if before_commit else []
            number = int(head["revision"]) + 1
            edits = [{"kind": c.kind, "params": c.params} for c in self.changes(bp, tx)]
            self._confirm_catalogue(tx, edits)
            self.graph.run(tx, CLEAR_CHANGES, bp=bp)
            self.graph.run(
                tx,
                ADD_REVISION,
                bp=bp,
                number=number,
                author=author,
                message=message,
                version=head["version"],
                diff=json.dumps(applied.diff),
                edits=json.dumps(edits),
                inverse=json.dumps(applied.inverse),
                devices=devices,
            )
            tx.commit()
        return number

    def revisions(self, bp: str, first: int = 1, last: int = 2**31) -> list[Revision]:
        rows = self.graph.read(REVISIONS, bp=bp, **{"from": first, "to": last})
        return [
            Revision(
                r["number"],
                r["author"],
                r["message"],
                r["at"],
                json.loads(r["diff"]),
                list(r["devices"] or []),
            )
            for r in rows
        ]

    def diff_between(self, bp: str, older: int, newer: int) -> list[DiffEntry]:
        """The logical diff from revision ``older`` to revision ``newer`` (older < newer)."""
        if older >= newer:
            raise ValidationError(
                f"revision {older} is not older than {newer}", allowed="older < newer"
            )
        return fold_diff([e for r in self.revisions(bp, older + 1, newer) for e in r.diff])

    def rollback(self, bp: str, to_revision: int, *, base_version: int, author: str) -> int:
        """Stage the inverse of every revision after ``to_revision`` (newest first).

        Revision 0 is the blueprint as built from its template; an earlier revision than
        the active one is required, and any other number is refused naming the range.
        """
        active = int(self._head(bp)["revision"])
        if to_revision == active:
            raise ValidationError(
                f"revision {to_revision} is already the active revision of {bp!r}",
                allowed=_earlier(active),
            )
        if not 0 <= to_revision < active:
            raise ValidationError(
                f"blueprint {bp!r} has no revision {to_revision}: its revisions are "
                f"0..{active} (0 is the blueprint as built from its template)",
                allowed=_earlier(active),
            )
        rows = self.graph.read(REVISIONS, bp=bp, **{"from": to_revision + 1, "to": active})
        inverse: list[Edit] = []
        for row in reversed(rows):
            inverse.extend(json.loads(row["inverse"]))
        edit = ApplyEdits(inverse, to_revision).as_edit()
        return self._stage(bp, edit, base_version=base_version, author=author)

    def _head(self, bp: str) -> Row:
        rows = self.graph.read(HEAD, bp=bp)
        if not rows:
            raise NotFoundError(f"no blueprint named {bp!r}")
        return rows[0]


def _earlier(active: int) -> str:
    if active == 0:
        return "none: the blueprint has no revision but 0 (commit a change first)"
    return f"a revision number from 0 to {active - 1}"


def fold_diff(entries: list[DiffEntry]) -> list[DiffEntry]:
    """Collapse successive entries about the same item (added then removed = nothing)."""
    folded: dict[tuple[str, str, str], DiffEntry] = {}
    for entry in entries:
        key = (entry["kind"], str(entry["id"]), str(entry.get("field", "")))
        prev = folded.get(key)
        if prev is None:
            folded[key] = entry.copy()
        elif {prev["change"], entry["change"]} == {"added", "removed"}:
            del folded[key]  # a restore recreates exactly what was removed
        elif prev["change"] == "modified" and entry["change"] == "modified":
            merged = entry.copy()
            merged["before"] = prev.get("before")
            if merged.get("before") == merged.get("after"):
                del folded[key]
            else:
                folded[key] = merged
        else:
            folded[key] = entry.copy()
    return list(folded.values())

"""The natural sort key of a name, as Cypher: ``leaf2`` before ``leaf10``.

Every run of digits is padded to 12 characters. Systems and links hold it as
``sort_key`` (of their id), ports as ``sort_key`` of their name, written when they are
created; this text computes it for the migration that fills it in for nodes created
before, and wherever a key is needed of a value that is not stored.
"""

from __future__ import annotations

SORT_KEY = "sort_key"  # the property holding a node's natural key


def natural_key(expr: str) -> str:
    """Cypher for the natural sort key of string ``expr`` (``expr`` is a fixed property
    reference of a query of ours, never a value)."""
    pad = "CASE WHEN k.run = '' THEN '' ELSE substring('000000000000', size(k.run)) + k.run END"
    step = (
        f"CASE WHEN c >= '0' AND c <= '9' THEN {{key: k.key, run: k.run + c}} "
        f"ELSE {{key: k.key + {pad} + c, run: ''}} END"
    )
    folded = f"reduce(k = {{key: '', run: ''}}, c IN split({expr}, '') | {step})"
    return f"[k IN [{folded}] | k.key + {pad}][0]"

"""Every NOS x stage x example device renders exactly its golden file.

Golden files live in fixtures/golden_configs/<nos>/<stage>/<device>.txt.
To regenerate them after an intended template change, run
``FG_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/renderers`` and review the
diff (``git diff fixtures/golden_configs``) before committing.
"""

from __future__ import annotations

import os

import pytest
from render_examples import DEVICES, GOLDEN, load_example

from renderers import render
from renderers.context import Nos, Stage

CASES = [(nos, stage, device) for nos in Nos for stage in Stage for device in DEVICES]


@pytest.mark.parametrize(("nos", "stage", "device"), CASES)
def test_rendered_config_matches_golden_file(nos: Nos, stage: Stage, device: str) -> None:
    rendered = render(load_example(device, nos), stage)
    golden = GOLDEN / nos / stage / f"{device}.txt"
    if os.environ.get("FG_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered)
    assert golden.exists(), f"no golden file {golden}; regenerate with FG_UPDATE_GOLDEN=1"
    assert rendered == golden.read_text()


@pytest.mark.parametrize(("nos", "stage", "device"), CASES)
def test_rendering_is_deterministic_and_tidy(nos: Nos, stage: Stage, device: str) -> None:
    first = render(load_example(device, nos), stage)
    second = render(load_example(device, nos), stage)
    assert first == second
    assert first.endswith("\n")
    assert not first.endswith("\n\n")
    assert [line for line in first.splitlines() if line != line.rstrip()] == []

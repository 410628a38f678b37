"""Example device contexts for the renderer tests (fixtures/golden_configs/contexts).

The examples describe one small EVPN fabric, written for linux_frr::

    spine1 (AS 65000)        spine2 (AS 65000)
      swp1 \\    / swp2        swp1 \\   / swp2
    leaf1 (AS 65101)         leaf2 (AS 65102)
      swp3, swp4: routed /31s  swp3: trunk of VLANs 100 (web), 200 (db, VRF blue);
      to server1, server2      swp4: access port of VLAN 100 (untagged)
                               to server3, server4; VXLAN VNIs 10100, 10200

and a 5-stage EVPN fabric (``lab5-evpn``, scheme ``single``), contexts read from the
engine on that blueprint::

    superspine1 (AS 64900, plane 1)     superspine2 (plane 2)
        swp1 |        \\ swp2             EVPN route server between the pods
    pod1-spine1 (AS 65000)  pod2-spine1 (AS 65000, shared by every pod's spines:
        swp3, swp4: rack1-leaf1/2        allowas-in 1 towards the superspines)

For another NOS the ports are renamed with that NOS's port pattern and the
pristine config and configlets come from ``nos_variants.json``.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any, cast

from renderers.context import DeviceContext

GOLDEN = Path(__file__).resolve().parents[3] / "fixtures" / "golden_configs"
CONTEXTS = GOLDEN / "contexts"
DEVICES = ("spine1", "leaf1", "leaf2", "superspine1", "pod1-spine1")


@functools.cache
def _raw(name: str) -> Any:
    return json.loads((CONTEXTS / f"{name}.json").read_text())


def load_example(device: str, nos: str = "linux_frr") -> DeviceContext:
    """A fresh copy of the example context of ``device``, for ``nos``."""
    base = copy.deepcopy(_raw(device))
    if nos == "linux_frr":
        return cast(DeviceContext, base)
    variant = _raw("nos_variants")[nos]
    pattern = variant["port_pattern"]
    text = re.sub(r"\bswp(\d+)\b", lambda m: pattern.format(n=m.group(1)), json.dumps(base))
    context = json.loads(text)
    context["nos"] = nos
    context["pristine"] = variant["pristine"][device]
    if context["configlets"]:
        context["configlets"] = copy.deepcopy(variant["configlets"])
    return cast(DeviceContext, context)

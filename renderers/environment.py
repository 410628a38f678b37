"""The one Jinja2 environment for device templates, and the filters templates use."""

from __future__ import annotations

import functools
import ipaddress

import jinja2

_EOS_SPEEDS = {1000: "1000full", 10000: "10000full", 100: "100full"}
# above 100G EOS has no `forced ...full` form: `speed 400g` (AVD's schema lists the forms)
_EOS_LANE_SPEEDS = {800_000: "800g-8"}


def eos_speed(mbps: int) -> str:
    """EOS ``speed`` argument: 100000 -> ``forced 100gfull``, 10000 -> ``forced 10000full``,
    400000 -> ``400g``."""
    if mbps > 100_000:
        return _EOS_LANE_SPEEDS.get(mbps, f"{mbps // 1000}g")
    if mbps in _EOS_SPEEDS:
        return f"forced {_EOS_SPEEDS[mbps]}"
    return f"forced {mbps // 1000}gfull"


def junos_speed(mbps: int) -> str:
    """Junos ``speed`` value: 100000 -> ``100g``, 1000 -> ``1g``."""
    return f"{mbps // 1000}g" if mbps >= 1000 else f"{mbps}m"


def sort_prefixes(prefixes: list[str]) -> list[str]:
    """Distinct prefixes in address order (how FRR prints ``network`` statements)."""
    networks = {ipaddress.ip_network(p, strict=False) for p in prefixes}
    return [str(n) for n in sorted(networks, key=lambda n: (n.network_address, n.prefixlen))]


def vlan_list(vlans: list[int]) -> str:
    """``[100, 200]`` -> ``"100,200"`` (EOS/NX-OS allowed-VLAN lists)."""
    return ",".join(str(vlan) for vlan in vlans)


def nxos_mac(mac: str) -> str:
    """``00:00:5e:00:01:01`` -> ``0000.5e00.0101`` (NX-OS dotted MAC)."""
    digits = mac.replace(":", "").lower()
    return ".".join(digits[i : i + 4] for i in range(0, 12, 4))


@functools.lru_cache(maxsize=1)
def build_environment() -> jinja2.Environment:
    """Templates from ``renderers/templates/<nos>/``, parsed once and cached.

    ``StrictUndefined`` turns a missing context field into an error instead of
    an empty string; ``trim_blocks``/``lstrip_blocks`` keep block tags off the output.
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("renderers", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        auto_reload=False,
    )
    env.filters.update(
        eos_speed=eos_speed,
        junos_speed=junos_speed,
        vlan_list=vlan_list,
        sort_prefixes=sort_prefixes,
        nxos_mac=nxos_mac,
    )
    return env

"""Op colours by family: one hue per family of op bases (erase, program, read,
data in/out, status, suspend/resume, reset, ODT, feature & other), shades of
that hue for the bases inside it.

The family of a base comes from its declared role (``config.bases[b].role.kind``,
docs/roles.md), never from its name; without a config the default role table
of :mod:`nandseqgen.config.roles` is used, and a base in neither is "other".
"""
from __future__ import annotations

import colorsys

from matplotlib.colors import to_hex, to_rgb

from ..config.roles import DEFAULT_ROLES

#: family -> (role kinds, base colour); the order is the legend's order
FAMILIES = {
    "erase": (("erase",), "#d62728"),
    "program": (("program_final", "program_step"), "#1f77b4"),
    "read": (("read", "cache_read_end"), "#2ca02c"),
    "data in/out": (("dout", "datain"), "#9467bd"),
    "status": (("status_read",), "#7f7f7f"),
    "suspend/resume": (("suspend", "resume"), "#ff7f0e"),
    "reset": (("reset",), "#8c564b"),
    "ODT": (("odt_disable", "odt_enable"), "#e377c2"),
    "feature & other": (("other",), "#17becf"),
}
_FAMILY_OF_KIND = {k: fam for fam, (kinds, _c) in FAMILIES.items() for k in kinds}
OTHER = "feature & other"


def family_of(base: str, config=None) -> str:
    """The family of op base ``base``, from its role (config first, then the default table)."""
    bases = getattr(config, "bases", None) or {}
    role = getattr(bases.get(base), "role", None) or DEFAULT_ROLES.get(base)
    return _FAMILY_OF_KIND.get(str(getattr(role, "kind", "")), OTHER)


def shades(colour: str, n: int) -> list:
    """``n`` shades of ``colour``: same hue, lightness spread over 0.28-0.72,
    saturation kept, so neighbours in a family stay tellable apart."""
    h, _l, s = colorsys.rgb_to_hls(*to_rgb(colour))
    if n == 1:
        return [to_hex(to_rgb(colour))]
    levels = [0.28 + 0.44 * i / (n - 1) for i in range(n)]
    return [to_hex(colorsys.hls_to_rgb(h, lv, max(s, 0.45))) for lv in levels]


def family_colors(bases, config=None) -> dict:
    """{base: (family, colour)} for ``bases`` plus every base of ``config``.

    Colours are assigned over the config's bases (sorted inside a family), so
    one base has one colour in every plot and window of a run.
    """
    names = {str(b) for b in bases}
    names.update(str(b) for b in (getattr(config, "bases", None) or ()))
    by_family: dict = {fam: [] for fam in FAMILIES}
    for name in sorted(names):
        by_family[family_of(name, config)].append(name)
    out = {}
    for fam, members in by_family.items():
        for name, colour in zip(members, shades(FAMILIES[fam][1], len(members))):
            out[name] = (fam, colour)
    return out


def family_handles(colors: dict, shown) -> list:
    """Legend handles for the bases in ``shown``, grouped under a bold-free
    family header line ("erase:"), in family order."""
    from matplotlib.patches import Patch

    shown = set(shown)
    handles = []
    for fam in FAMILIES:
        members = [b for b, (f, _c) in colors.items() if f == fam and b in shown]
        if not members:
            continue
        handles.append(Patch(facecolor="none", edgecolor="none", label=f"{fam}:"))
        handles += [Patch(facecolor=colors[b][1], label=f"  {b}") for b in sorted(members)]
    return handles

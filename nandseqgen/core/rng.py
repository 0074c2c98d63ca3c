"""Deterministic random streams.

One run seed; every hook draws from its own stream derived from
``(seed, hook_counter)`` (``docs/engine.md`` §2). Deriving is stateless, so a snapshot only
needs the seed and the counter, and a local change does not reshuffle the
draws of unrelated hooks. The generator is SplitMix64 on Python ints: cheap to
create per hook (a numpy Generator costs ~30 us to build) and identical on
every platform. A hook's stream is derived at its first draw: many hooks
draw nothing (docs/performance.md, issue 11).
"""
from __future__ import annotations

from bisect import bisect_right

MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class Stream:
    """A SplitMix64 stream. Use :func:`stream` to derive one (lazily)."""

    __slots__ = ("_s", "_seed", "_counter", "_salt")

    def __init__(self, state: int) -> None:
        self._s = state & MASK  # -1 while not derived yet (see stream())
        self._seed = self._counter = self._salt = 0

    def next64(self) -> int:
        s = self._s
        if s < 0:
            s = _derive(self._seed, self._counter, self._salt)
        self._s = s = (s + _GOLDEN) & MASK
        z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """Uniform float in [0, 1)."""
        return (self.next64() >> 11) * _INV53

    def below(self, n: int) -> int:
        """Uniform int in [0, n); n >= 1."""
        return (self.next64() * n) >> 64

    def between(self, lo: int, hi: int) -> int:
        """Uniform int in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def pick_cumulative(self, cum: list) -> int:
        """Index drawn from a cumulative weight list (last item = total)."""
        return bisect_right(cum, self.random() * cum[-1])


class FirstChoice(Stream):
    """A stream whose every draw is 0: ``below`` gives 0, ``random`` 0.0, so
    every choice is the first one (scripted planning and tests)."""

    def next64(self) -> int:
        return 0


def stream(seed: int, counter: int, salt: int = 0) -> Stream:
    """The stream of hook ``counter`` in a run seeded with ``seed``; its state
    is derived at the first draw (the same state as deriving it now)."""
    out = Stream(0)
    out._s, out._seed, out._counter, out._salt = -1, seed, counter, salt
    return out


def _derive(seed: int, counter: int, salt: int) -> int:
    """The state of stream ``(seed, counter, salt)``: SplitMix64's mix, twice."""
    z = (counter * _GOLDEN + salt) & MASK  # _mix, inlined twice: one call per hook
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z = (seed & MASK) ^ z ^ (z >> 31)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)

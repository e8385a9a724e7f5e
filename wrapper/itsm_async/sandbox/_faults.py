"""Fault injection: the failures a client must survive, on demand and counted.

Off by default. A :class:`FaultConfig` gives each fault kind a rate per
request and/or a script (the kinds of the next requests, in order; ``ok``
for none), drawn from a seeded random stream so that a run repeats. Kinds:

===============  ================================================================
``429``          rate limited, with ``Retry-After``; the request is not handled
``503``          unavailable, with ``Retry-After``; the request is not handled
``500`` ...      ``500``, ``502``, ``504``: the request *is* handled, then the
                 answer is lost to an error, as behind a failing gateway
``drop``         handled, then the connection drops after half the body
``slow``         handled, answered after ``delay`` seconds
``stall``        handled, answered after ``stall`` seconds (past a client timeout)
``truncate``     handled, answered with half the body (and a matching length)
``garbage``      handled, answered with an HTML page instead of JSON
``ignore_page``  handled as if no ``page`` were sent, and answered without the
                 list's ``meta``: a numbered-paging server stuck on page 1
===============  ================================================================

Faults after handling are the ones where a blind retry of a POST creates a
duplicate: the counters let a test check that nothing was created twice.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

FAULT_KINDS = ("429", "500", "502", "503", "504", "drop", "slow", "stall", "truncate", "garbage", "ignore_page")
#: Faults answered instead of handling the request.
BEFORE_HANDLING = frozenset({"429", "503"})
#: The script entry for "no fault".
OK = "ok"


class ConnectionDropped(Exception):
    """Raised by the application to break a response off mid-body (a ``drop`` fault)."""


def _finite(name: str, value: Any) -> float:
    """A real number (bool is none), as a float, finite: the admin endpoint gets them from JSON."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {number}")
    return number


def seconds(name: str, value: Any) -> float:
    """``value`` as seconds to wait: a finite number, 0 or more.

    Raises:
        TypeError: ``value`` is no number.
        ValueError: It is negative, too large or not finite.
    """
    number = _finite(name, value)
    if number < 0:
        raise ValueError(f"{name} must be 0 seconds or more, not {number:g}")
    return number


def _delay(value: Any) -> float:
    return seconds("delay", value)


def _stall(value: Any) -> float:
    return seconds("stall", value)


def _retry_after(value: Any) -> float:
    return seconds("retry_after", value)


def _strings(name: str, value: Any) -> list[str]:
    # A string is iterable too: "GET" would be the methods G, E and T.
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of strings, not {value!r}")
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{name} must be a list of strings, not {value!r}")
    return items


def _rates(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise TypeError(f"rates must map fault kinds to rates, not {value!r}")
    rates = {str(kind): _finite(f"the rate of {kind}", rate) for kind, rate in value.items()}
    for kind, rate in rates.items():
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if not 0 <= rate <= 1:
            raise ValueError(f"the rate of {kind} must be between 0 and 1, not {rate}")
    if sum(rates.values()) > 1 + 1e-9:
        raise ValueError("the fault rates add up to more than 1")
    return rates


def _script(value: Any) -> tuple[str, ...]:
    script = tuple(_strings("script", value))
    for kind in script:
        if kind != OK and kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} in the script")
    return script


def _methods(value: Any) -> frozenset[str]:
    return frozenset(method.upper() for method in _strings("methods", value))


def _parsed(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"fault item {name}={text!r}: {text!r} is not a number") from None


def _path_contains(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"path_contains must be a string, not {value!r}")
    return value


@attrs.frozen(kw_only=True)
class FaultConfig:
    """Which faults to inject, how often, and their timings.

    Args:
        rates: Probability of each kind per request (adding up to at most 1).
        script: Kinds for the next requests in order (``ok``: none); the
            rates apply once it is used up.
        delay: Seconds a ``slow`` answer is held.
        stall: Seconds a ``stall`` answer is held.
        retry_after: The ``Retry-After`` seconds of ``429`` and ``503``.
        methods: Only requests with these methods (empty: all).
        path_contains: Only requests whose path contains this.

    Raises:
        ValueError: An unknown kind, rates outside 0..1 or adding up past 1,
            or seconds that are negative or not finite.
        TypeError: A value of the wrong type (seconds and rates are numbers;
            script and methods lists of strings).
    """

    rates: dict[str, float] = attrs.field(factory=dict, converter=_rates)
    script: tuple[str, ...] = attrs.field(default=(), converter=_script)
    delay: float = attrs.field(default=0.05, converter=_delay)
    stall: float = attrs.field(default=30.0, converter=_stall)
    retry_after: float = attrs.field(default=1.0, converter=_retry_after)
    methods: frozenset[str] = attrs.field(default=frozenset(), converter=_methods)
    path_contains: str = attrs.field(default="", converter=_path_contains)

    @classmethod
    def parse(cls, text: str) -> FaultConfig:
        """Read the ``--faults`` form: comma-separated ``name=value`` items.

        ``429=0.1,drop=0.05`` are rates; ``script=429+ok+drop`` the script;
        ``delay=0.2``, ``stall=30`` and ``retry_after=1`` seconds;
        ``methods=GET+PUT``; ``path=/tickets``. An empty text is no faults.

        Args:
            text: The specification.

        Returns:
            The configuration.

        Raises:
            ValueError: An item is malformed or names an unknown kind.
        """
        rates: dict[str, float] = {}
        options: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault item {item!r} is not name=value")
            if name == "script":
                options["script"] = value.split("+")
            elif name == "methods":
                options["methods"] = value.split("+")
            elif name == "path":
                options["path_contains"] = value
            elif name in ("delay", "stall", "retry_after"):
                options[name] = _parsed(name, value)
            else:
                rates[name] = _parsed(name, value)
        return cls(rates=rates, **options)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultConfig:
        """The configuration :meth:`to_dict` wrote (the admin endpoint's JSON).

        Raises:
            ValueError: A field is unknown, or its value out of bounds.
            TypeError: ``data`` is no mapping, or a value of the wrong type.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"a fault configuration is an object of fields, not {data!r}")
        known = attrs.fields_dict(cls)
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise ValueError(f"unknown field {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready data."""
        data = attrs.asdict(self)
        data["script"] = list(self.script)
        data["methods"] = sorted(self.methods)
        return data

    @property
    def enabled(self) -> bool:
        """Whether any fault can happen."""
        return bool(self.script) or any(self.rates.values())


class FaultInjector:
    """Decides, request by request, which fault to inject, and counts them.

    Args:
        config: The faults; none by default.
        seed: Seed of the random stream the rates draw from.
        counts: Where to count faults (shared with the sandbox's stats).
    """

    def __init__(self, config: FaultConfig | None = None, *, seed: int = 0, counts: Counter[str] | None = None) -> None:
        self.counts: Counter[str] = Counter() if counts is None else counts
        self._seed = seed
        self._config = FaultConfig()
        self._rng = random.Random(seed)  # noqa: S311 - reproducible faults, not secrets
        self._position = 0
        self.configure(config or FaultConfig())

    @property
    def config(self) -> FaultConfig:
        """The faults in force."""
        return self._config

    def configure(self, config: FaultConfig, *, seed: int | None = None) -> None:
        """Put ``config`` in force: its script starts from the beginning.

        Args:
            config: The new faults.
            seed: Restart the random stream from this seed (kept otherwise).
        """
        self._config = config
        self._position = 0
        if seed is not None:
            self._seed = seed
            self._rng.seed(seed)

    def reset(self) -> None:
        """Zero the counts and restart the script and the random stream."""
        self.counts.clear()
        self.configure(self._config, seed=self._seed)

    def draw(self, method: str, path: str) -> str | None:
        """Decide the fault of one API request, and count it.

        Args:
            method: The request's method.
            path: The request's path.

        Returns:
            The fault kind, or None for no fault.
        """
        config = self._config
        if config.methods and method.upper() not in config.methods:
            return None
        if config.path_contains and config.path_contains not in path:
            return None
        kind: str | None = None
        if self._position < len(config.script):
            kind = config.script[self._position]
            self._position += 1
        elif config.rates:
            draw, total = self._rng.random(), 0.0
            for name, rate in config.rates.items():
                total += rate
                if draw < total:
                    kind = name
                    break
        if kind is None or kind == OK:
            return None
        self.counts[kind] += 1
        return kind

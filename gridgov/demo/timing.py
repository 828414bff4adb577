"""When the demo's open work started, so that the queues look like a working town's.

A town that keeps up has most of its open cases and orders inside their time limits, a few
near their deadline (yellow) and a few overdue (red). The demo decides the light of each open
case or order first (:func:`target_light`) and then places the start of its current stage so
that, at the moment the demo is loaded, that share of the stage's time limit has passed
(:func:`stage_start`). Earlier steps are placed before it, going back on the working calendar
(:func:`working_before`), so the whole history ends at the moment of loading.

On a weekend or a holiday the working clock stands still: the lights are those of the last
working moment, as they would be in the town.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Final

from gridgov.workcalendar import calendar, clock
from gridgov.workcalendar.units import Light

# The share of each light among the open cases and orders that have a running clock.
LIGHT_WEIGHTS: Final[dict[str, float]] = {Light.GREEN: 84, Light.YELLOW: 10, Light.RED: 6}
# How far through its time limit a stage of each light is at the moment of loading. Yellow
# starts at the warn point (80 % by default).
FRACTIONS: Final[dict[str, tuple[float, float]]] = {
    Light.GREEN: (0.04, 0.7),
    Light.YELLOW: (0.84, 0.97),
    Light.RED: (1.08, 1.9),
}
# A (deadline, warn point) of a stage started at a given moment.
Timing = Callable[[dt.datetime], tuple[dt.datetime | None, dt.datetime | None]]


def target_light(rng: random.Random) -> str:
    lights = list(LIGHT_WEIGHTS)
    return rng.choices(lights, weights=[LIGHT_WEIGHTS[light] for light in lights])[0]


def working_before(end: dt.datetime, minutes: float) -> dt.datetime:
    """The latest moment from which ``minutes`` of working time run until ``end`` (the inverse
    of :func:`gridgov.workcalendar.calendar.add_working_minutes`)."""
    if minutes <= 0:
        return end
    per_day = calendar.working_minutes_per_day()
    # Far enough back for the longest holiday: a week of them per working week.
    low = end - dt.timedelta(days=minutes / per_day * 2 + 14)
    high = end
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if calendar.working_minutes_between(middle, end) >= minutes:
            low = middle
        else:
            high = middle
    return low.replace(microsecond=0)


def _limit_minutes(start: dt.datetime, deadline: dt.datetime, unit: str) -> float:
    if clock.is_working(unit):
        return max(calendar.working_minutes_between(start, deadline), 1)
    return max((deadline - start) / dt.timedelta(minutes=1), 1)


def _back(now: dt.datetime, minutes: float, unit: str) -> dt.datetime:
    if clock.is_working(unit):
        return working_before(now, minutes)
    return now - dt.timedelta(minutes=minutes)


def stage_start(rng: random.Random, *, now: dt.datetime, light: str, unit: str, timing: Timing) -> dt.datetime:
    """When a stage must have started for its light to be ``light`` at ``now``.

    ``timing(start)`` gives the stage's deadline and warn point for a start; ``unit`` is its
    time unit (working or calendar time). A few tries correct for limits that are not the same
    length from every start (working days end at the same clock time).
    """
    probe = working_before(now, 1) if clock.is_working(unit) else now
    deadline, _warn = timing(probe)
    if deadline is None:
        return working_before(now, rng.uniform(30, 600))
    length = _limit_minutes(probe, deadline, unit)
    low, high = FRACTIONS.get(light, FRACTIONS[Light.GREEN])
    start = now
    for _attempt in range(4):
        start = _back(now, length * rng.uniform(low, high), unit)
        deadline, warn = timing(start)
        if clock.light(deadline, warn, now) == light:
            return start
    return start


def between(
    rng: random.Random, start: dt.datetime, end: dt.datetime, low: float = 0.2, high: float = 0.6
) -> dt.datetime:
    """A moment ``low``–``high`` of the way from ``start`` to ``end``, in working time if there
    is any between them."""
    room = calendar.working_minutes_between(start, end)
    if room >= 2:
        return calendar.add_working_minutes(start, room * rng.uniform(low, high))
    return start + (end - start) * rng.uniform(low, high)


def light_deck(rng: random.Random, count: int) -> list[str]:
    """``count`` lights in the shares of :data:`LIGHT_WEIGHTS`, shuffled: at least one yellow
    and one red from three up, so that a small demo shows every colour too."""
    total = sum(LIGHT_WEIGHTS.values())
    red = round(count * LIGHT_WEIGHTS[Light.RED] / total)
    yellow = round(count * LIGHT_WEIGHTS[Light.YELLOW] / total)
    if count >= 3:
        red, yellow = max(red, 1), max(yellow, 1)
    deck = [Light.RED] * red + [Light.YELLOW] * yellow
    deck += [Light.GREEN] * (count - len(deck))
    rng.shuffle(deck)
    return [str(light) for light in deck]

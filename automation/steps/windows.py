"""Update windows and freeze periods: may an automation push now, and if not, until when?

In: an ImageUpdateAutomation's annotations (beyond Flux, so the file stays a valid Flux
object) and `now`. Out: `WindowState(open, until)`. Pure apart from reading the cron grammar.

- `image-automation.io/update-windows`: `;`-separated windows, each a five-field crontab
  expression (when a window opens) and a Go duration (how long it stays open), e.g.
  `0 9 * * mon-fri 8h; 0 10 * * sat 2h`. Without it every moment is inside a window.
- `image-automation.io/update-time-zone`: the IANA zone the crontab expressions are read in
  (default UTC).
- `image-automation.io/freeze-periods`: `,`-separated RFC 3339 intervals `start/end` (each
  with its own offset) during which nothing is pushed, windows or not.

Crontab expressions are read by APScheduler's `CronTrigger.from_crontab`, the grammar the
daemon's own schedules use, so a window is written the way a schedule is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from automation.config import ImageUpdateAutomation
from automation.config.duration import parse_duration
from automation.errors import StalledError

WINDOWS = "image-automation.io/update-windows"
TIME_ZONE = "image-automation.io/update-time-zone"
FREEZES = "image-automation.io/freeze-periods"
MAX_WINDOWS = 32
MAX_STEPS = 1000  # bound on the search for the next open moment
_EPSILON = timedelta(seconds=1)  # crontab resolution is a minute; windows are [open, close)


class WindowError(StalledError):
    """An update window or freeze period annotation cannot be read."""

    def __init__(self, where: str, annotation: str, detail: str) -> None:
        self.annotation, self.detail = annotation, detail
        super().__init__(f"{where}: metadata.annotations.{annotation}: {detail}")


@dataclass(frozen=True)
class Window:
    cron: CronTrigger
    duration: timedelta


@dataclass(frozen=True)
class Schedule:
    windows: tuple[Window, ...]
    freezes: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class WindowState:
    open: bool
    until: datetime | None = None  # when closed: the next moment a push may happen
    reason: str = ""  # when closed: "outside the update windows" or "frozen until ..."


def _fail(auto: ImageUpdateAutomation, annotation: str, message: str) -> WindowError:
    return WindowError(str(auto.source), annotation, message)


def _zone(auto: ImageUpdateAutomation) -> ZoneInfo:
    name = auto.metadata.annotations.get(TIME_ZONE, "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise _fail(auto, TIME_ZONE, f"unknown time zone {name[:60]!r}") from err


def _windows(auto: ImageUpdateAutomation, zone: ZoneInfo) -> tuple[Window, ...]:
    text = auto.metadata.annotations.get(WINDOWS, "")
    entries = [e.strip() for e in text.split(";") if e.strip()]
    if len(entries) > MAX_WINDOWS:
        raise _fail(auto, WINDOWS, f"more than {MAX_WINDOWS} windows")
    windows = []
    for entry in entries:
        fields = entry.split()
        if len(fields) != 6:
            example = "'0 9 * * mon-fri 8h'"
            msg = f"{entry[:80]!r}: expected five crontab fields and a duration, e.g. {example}"
            raise _fail(auto, WINDOWS, msg)
        try:
            cron = CronTrigger.from_crontab(" ".join(fields[:5]), timezone=zone)
            duration = parse_duration(fields[5])
        except ValueError as err:
            raise _fail(auto, WINDOWS, f"{entry[:80]!r}: {err}") from err
        if duration <= timedelta(0):
            raise _fail(auto, WINDOWS, f"{entry[:80]!r}: the duration must be positive")
        windows.append(Window(cron, duration))
    return tuple(windows)


def _instant(auto: ImageUpdateAutomation, text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as err:
        raise _fail(auto, FREEZES, f"{text[:40]!r} is not an RFC 3339 time") from err
    if when.tzinfo is None:
        raise _fail(auto, FREEZES, f"{text[:40]!r} has no offset (add Z or +hh:mm)")
    return when.astimezone(UTC)


def _freezes(auto: ImageUpdateAutomation) -> tuple[tuple[datetime, datetime], ...]:
    text = auto.metadata.annotations.get(FREEZES, "")
    periods = []
    for entry in (e.strip() for e in text.split(",") if e.strip()):
        start, sep, end = entry.partition("/")
        if not sep:
            raise _fail(auto, FREEZES, f"{entry[:80]!r}: expected START/END")
        period = (_instant(auto, start), _instant(auto, end))
        if period[1] <= period[0]:
            raise _fail(auto, FREEZES, f"{entry[:80]!r}: ends before it starts")
        periods.append(period)
    return tuple(periods)


def schedule_of(auto: ImageUpdateAutomation) -> Schedule | None:
    """The automation's windows and freezes; None when it declares neither."""
    notes = auto.metadata.annotations
    if not any(k in notes for k in (WINDOWS, FREEZES, TIME_ZONE)):
        return None
    return Schedule(_windows(auto, _zone(auto)), _freezes(auto))


def _inside(window: Window, now: datetime) -> bool:
    opened = window.cron.get_next_fire_time(None, now - window.duration + _EPSILON)
    return opened is not None and opened <= now


def _next_opening(schedule: Schedule, now: datetime) -> datetime | None:
    times = [w.cron.get_next_fire_time(None, now) for w in schedule.windows]
    found = [t.astimezone(UTC) for t in times if t is not None]
    return min(found) if found else None


def window_state(schedule: Schedule | None, now: datetime) -> WindowState:
    """Open now, or closed with the next moment a push may happen (None: never again)."""
    if schedule is None:
        return WindowState(True)
    moment, first_reason = now.astimezone(UTC), ""
    for _ in range(MAX_STEPS):
        frozen = next((end for start, end in schedule.freezes if start <= moment < end), None)
        if frozen is not None:
            first_reason = first_reason or f"frozen until {frozen.isoformat()}"
            moment = frozen
            continue
        if not schedule.windows or any(_inside(w, moment) for w in schedule.windows):
            if moment == now.astimezone(UTC):
                return WindowState(True)
            return WindowState(False, moment, first_reason)
        first_reason = first_reason or "outside the update windows"
        upcoming = _next_opening(schedule, moment)
        if upcoming is None:
            break
        moment = upcoming
    return WindowState(False, None, first_reason or "no update window ahead")


def window_note(state: WindowState) -> str:
    """`outside the update windows; changes wait until 2026-11-23T08:00:00+00:00`."""
    until = state.until.isoformat() if state.until is not None else "no window ahead"
    return f"{state.reason}; changes wait until {until}"

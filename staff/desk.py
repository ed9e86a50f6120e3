"""The staff desk's configuration: when people answer (hours) and when a conversation left with a
person goes back to the bot (idle time). Read by the action that offers a person (actions/handoff.py)
and by the Rasa server that runs the handoff (channels/handoff.py); imports neither Rasa nor the
Rasa SDK.

HELPDESK_DESK_HOURS: opening times, separated by ";", each "<days> <HH:MM>-<HH:MM>", days as ISO
weekday numbers (1 = Monday … 7 = Sunday), a range "1-5" or a list "1,3,5"; e.g.
"1-5 08:30-12:00;1-5 13:30-17:30". Default "1-5 08:30-17:30". HELPDESK_DESK_TIMEZONE (default
Asia/Shanghai) is the clock they are read in. HELPDESK_HANDOFF_IDLE_MINUTES (default 30): a
conversation waiting for or with a person in which nothing was said for that long goes back to the
bot. How the hours are written for students comes from data/knowledge/presentation.yml (handoff).

HELPDESK_WECHAT_HANDOFF: what 转人工 does on WeChat (channels/wechat.py): "kf" hands the student to
the Official Account's own customer-service system (WeChat's transfer_customer_service), "queue"
puts them in the staff console's queue like a widget conversation, "off" says where a person helps.
Default: "queue" when the console has accounts (HELPDESK_STAFF_ACCOUNTS), else "off".
HELPDESK_WECHAT_WINDOW_HOURS (default 48): WeChat accepts customer-service messages only this long
after the student's last message; a staff reply after that is refused in the console.
"""

import datetime
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Text, Tuple
from zoneinfo import ZoneInfo

HOURS_ENV = "HELPDESK_DESK_HOURS"
TIMEZONE_ENV = "HELPDESK_DESK_TIMEZONE"
IDLE_ENV = "HELPDESK_HANDOFF_IDLE_MINUTES"
DEFAULT_HOURS = "1-5 08:30-17:30"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_IDLE_MINUTES = 30.0
WECHAT_HANDOFF_ENV = "HELPDESK_WECHAT_HANDOFF"
WECHAT_WINDOW_ENV = "HELPDESK_WECHAT_WINDOW_HOURS"
WECHAT_KF, WECHAT_QUEUE, WECHAT_OFF = "kf", "queue", "off"
DEFAULT_WECHAT_WINDOW_HOURS = 48.0
ACCOUNTS_ENV = "HELPDESK_STAFF_ACCOUNTS"  # staff/accounts.py

PERIOD = re.compile(
    r"^\s*(?P<days>[1-7](?:\s*[-,]\s*[1-7])*)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


@dataclass(frozen=True)
class Period:
    days: Tuple[int, ...]  # ISO weekdays, in the order written
    start: datetime.time
    end: datetime.time  # 24:00 is written as 23:59:59.999999

    def contains(self, moment: datetime.datetime) -> bool:
        return moment.isoweekday() in self.days and self.start <= moment.time() < self.end


def _clock(value: Text) -> datetime.time:
    hours, minutes = (int(part) for part in value.split(":"))
    if (hours, minutes) == (24, 0):
        return datetime.time.max
    return datetime.time(hours, minutes)


def _days(spec: Text) -> Tuple[int, ...]:
    days: List[int] = []
    for part in spec.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        days += range(int(first), int(last or first) + 1)
    return tuple(dict.fromkeys(days))


def parse_hours(spec: Text) -> Tuple[Period, ...]:
    """The opening periods of a HELPDESK_DESK_HOURS value; ValueError naming the bad part."""
    periods = []
    for part in (p for p in spec.split(";") if p.strip()):
        match = PERIOD.match(part)
        try:
            if not match:
                raise ValueError
            period = Period(_days(match["days"]), _clock(match["start"]), _clock(match["end"]))
        except ValueError:
            raise ValueError(
                f"{HOURS_ENV}: {part.strip()!r} is not '<days> <HH:MM>-<HH:MM>' "
                "(days 1-7, Monday = 1), e.g. '1-5 08:30-17:30'"
            ) from None
        if not period.days or period.start >= period.end:
            raise ValueError(f"{HOURS_ENV}: {part.strip()!r} is an empty period")
        periods.append(period)
    if not periods:
        raise ValueError(f"{HOURS_ENV} names no period, e.g. '1-5 08:30-17:30'")
    return tuple(periods)


@dataclass(frozen=True)
class DeskConfig:
    periods: Tuple[Period, ...]
    timezone: ZoneInfo
    idle_seconds: float

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[Text, Text]] = None) -> "DeskConfig":
        environ = os.environ if environ is None else environ
        idle = float(environ.get(IDLE_ENV) or DEFAULT_IDLE_MINUTES)
        if idle <= 0:
            raise ValueError(f"{IDLE_ENV} must be a positive number of minutes")
        return cls(
            parse_hours(environ.get(HOURS_ENV) or DEFAULT_HOURS),
            ZoneInfo(environ.get(TIMEZONE_ENV) or DEFAULT_TIMEZONE),
            idle * 60,
        )

    def is_open(self, now: Optional[datetime.datetime] = None) -> bool:
        moment = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(self.timezone)
        return any(period.contains(moment) for period in self.periods)

    def hours_text(self, texts: Dict[Text, object]) -> Text:
        """The hours as students read them, with the handoff texts of presentation.yml."""
        names: Sequence[Text] = texts["weekdays"]  # type: ignore[assignment]
        written = []
        for period in self.periods:
            written.append(
                str(texts["hours_range"]).format(
                    days=_days_text(
                        period.days, names, str(texts["days_range"]), str(texts["days_separator"])
                    ),
                    start=period.start.strftime("%H:%M"),
                    end="24:00" if period.end == datetime.time.max else period.end.strftime("%H:%M"),
                )
            )
        return str(texts["hours_separator"]).join(written)


def _days_text(days: Tuple[int, ...], names: Sequence[Text], days_range: Text, separator: Text) -> Text:
    """ "周一至周五" for a run of three or more days, "周一、周三" otherwise."""
    ordered = sorted(days)
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return days_range.format(first=names[ordered[0] - 1], last=names[ordered[-1] - 1])
    return separator.join(names[day - 1] for day in ordered)


def wechat_handoff_mode(environ: Optional[Mapping[Text, Text]] = None) -> Text:
    """ "kf", "queue" or "off" (HELPDESK_WECHAT_HANDOFF); by default "queue" when the staff console
    has accounts, else "off". ValueError for any other value."""
    environ = os.environ if environ is None else environ
    mode = (environ.get(WECHAT_HANDOFF_ENV) or "").strip().lower()
    if not mode:
        return WECHAT_QUEUE if (environ.get(ACCOUNTS_ENV) or "").strip() else WECHAT_OFF
    if mode not in (WECHAT_KF, WECHAT_QUEUE, WECHAT_OFF):
        raise ValueError(f"{WECHAT_HANDOFF_ENV} must be kf, queue or off, not {mode!r}")
    return mode


def wechat_window_seconds(environ: Optional[Mapping[Text, Text]] = None) -> float:
    """How long after a student's last message WeChat accepts customer-service messages to them."""
    environ = os.environ if environ is None else environ
    hours = float(environ.get(WECHAT_WINDOW_ENV) or DEFAULT_WECHAT_WINDOW_HOURS)
    if hours <= 0:
        raise ValueError(f"{WECHAT_WINDOW_ENV} must be a positive number of hours")
    return hours * 3600

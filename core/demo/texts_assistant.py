"""Correction texts of the voice assistant's prompts: thought_to_intent, dimension_extraction, planning.

Each theme returns ``(original, corrected)``: what the model answered and what the user changed it
to. How much of the answer a theme rewrites sets how dissimilar the pair is — the similarity that
ingestion turns into accuracy — so a misheard name costs little and a misunderstood thought a lot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from core.demo.picker import Picker

Theme = Callable[[Picker, date], tuple[str, str]]

# --- thought_to_intent: "<intent>: <subject> | <when>" ---------------------------------------------

_NAMES = (
    ("Hanna", "Anna"),
    ("Mark", "Marc"),
    ("Leah", "Léa"),
    ("Jon", "John"),
    ("Clair", "Claire"),
    ("Eric", "Erik"),
    ("Sara", "Zara"),
    ("Katie", "Cathy"),
    ("Neil", "Niall"),
    ("Aaron", "Erin"),
)
_NAMED = (
    "call {} about the invoice",
    "lunch with {}",
    "send the slides to {}",
    "tell {} I'm running late",
    "ask {} about the weekend",
    "thank {} for the flowers",
    "pick up {} from the station",
)
_THOUGHTS = (
    ("reminder", "take the bins out"),
    ("reminder", "renew the car insurance"),
    ("reminder", "water the plants"),
    ("reminder", "call the plumber back"),
    ("calendar_event", "dentist appointment"),
    ("calendar_event", "parent-teacher meeting"),
    ("calendar_event", "yoga class"),
    ("task", "book train tickets to Lyon"),
    ("task", "file the expense report"),
    ("task", "fix the bike brakes"),
    ("task", "prepare the quarterly review"),
    ("note", "the new password policy starts in May"),
    ("note", "parking is on level -2"),
    ("note", "the wifi code is on the fridge"),
    ("shopping_list", "oat milk, eggs, coffee"),
    ("shopping_list", "batteries and a lightbulb"),
    ("shopping_list", "tomatoes, basil, mozzarella"),
    ("timer", "pasta"),
    ("timer", "laundry"),
)
_CONFUSED_INTENT = {
    "reminder": ("task", "note"),
    "calendar_event": ("reminder", "task"),
    "task": ("note", "reminder"),
    "note": ("task", "reminder"),
    "shopping_list": ("note", "task"),
    "timer": ("reminder", "note"),
    "message": ("task", "note"),
}
_WHENS = (
    "today 18:00",
    "tomorrow 09:00",
    "tomorrow 14:30",
    "Friday 10:00",
    "Monday morning",
    "in 20 minutes",
    "next Tuesday 08:30",
    "this evening",
    "Saturday 11:00",
    "in 2 hours",
)


def _thought(p: Picker) -> tuple[str, str, str]:
    if p.chance(0.35):
        intent = p.pick(("message", "reminder", "calendar_event", "task"))
        return intent, p.pick(_NAMED).format(p.pick(_NAMES)[1]), p.pick(_WHENS)
    intent, subject = p.pick(_THOUGHTS)
    when = "unspecified" if intent == "note" else ("in 10 minutes" if intent == "timer" else p.pick(_WHENS))
    return intent, subject, when


def _line(intent: str, subject: str, when: str) -> str:
    return f"{intent}: {subject} | {when}"


def _wrong_intent(p: Picker, _: date) -> tuple[str, str]:
    intent, subject, when = _thought(p)
    wrong = p.pick(_CONFUSED_INTENT[intent])
    wrong_when = "unspecified" if wrong == "note" else when
    return _line(wrong, subject, wrong_when), _line(intent, subject, when)


def _wrong_time(p: Picker, _: date) -> tuple[str, str]:
    intent, subject, when = _thought(p)
    when = p.pick(_WHENS)
    return _line(intent, subject, p.other(_WHENS, when)), _line(intent, subject, when)


def _misheard_name(p: Picker, _: date) -> tuple[str, str]:
    heard, meant = p.pick(_NAMES)
    subject = p.pick(_NAMED)
    intent, when = p.pick(("message", "reminder", "task")), p.pick(_WHENS)
    return _line(intent, subject.format(heard), when), _line(intent, subject.format(meant), when)


def _date_format(p: Picker, today: date) -> tuple[str, str]:
    """Client 5.0.0 asks for absolute dates with an en-US locale: the model writes MM/DD/YYYY."""
    intent, subject = p.pick([t for t in _THOUGHTS if t[0] in ("reminder", "calendar_event", "task")])
    due = today + timedelta(days=p.integer(1, 12))
    time = p.pick(("08:30", "09:00", "10:00", "12:15", "14:30", "16:00", "18:00", "19:30"))
    us = f"{due.month:02d}/{due.day:02d}/{due.year} {time}"
    return _line(intent, subject, us), _line(intent, subject, f"{due.isoformat()} {time}")


def _misunderstood(p: Picker, _: date) -> tuple[str, str]:
    meant = _thought(p)
    heard = _thought(p)
    while heard[1] == meant[1]:
        heard = _thought(p)
    return _line(*heard), _line(*meant)


THOUGHT_TO_INTENT: dict[str, Theme] = {
    "wrong_intent": _wrong_intent,
    "wrong_time": _wrong_time,
    "misheard_name": _misheard_name,
    "misunderstood": _misunderstood,
    "date_format": _date_format,
}

# --- dimension_extraction: "120x80x45 cm" -----------------------------------------------------------------

_ITEMS_CM = (
    (210, 95, 80),
    (120, 80, 45),
    (60, 60, 90),
    (180, 200, 25),
    (45, 38, 120),
    (75, 75, 74),
    (160, 90, 76),
    (32, 24, 18),
    (90, 40, 200),
    (140, 70, 55),
    (55, 45, 30),
    (100, 50, 35),
)
_WEIGHTS_KG = (4, 7, 12, 18, 23, 31, 46, 60)


def _dims(values: tuple[int, ...], unit: str) -> str:
    return "x".join(str(v) for v in values) + f" {unit}"


def _item(p: Picker) -> tuple[int, int, int]:
    w, h, d = p.pick(_ITEMS_CM)
    jitter = p.integer(-5, 5)
    return w + jitter, h, d


def _unit_not_normalised(p: Picker, _: date) -> tuple[str, str]:
    item = _item(p)
    if p.chance(0.2):
        kg = p.pick(_WEIGHTS_KG)
        return f"{round(kg / 0.4536)} lb", f"{kg} kg"
    inches = tuple(round(v / 2.54) for v in item)
    return _dims(inches, "in"), _dims(item, "cm")


def _swapped(p: Picker, _: date) -> tuple[str, str]:
    w, h, d = _item(p)
    return _dims((h, w, d), "cm"), _dims((w, h, d), "cm")


def _missing_dimension(p: Picker, _: date) -> tuple[str, str]:
    w, h, d = _item(p)
    return _dims((w, h), "cm"), _dims((w, h, d), "cm")


def _misheard_number(p: Picker, _: date) -> tuple[str, str]:
    pairs = ((15, 50), (14, 40), (16, 60), (13, 30), (17, 70), (18, 80), (19, 90))
    heard, meant = p.pick(pairs)
    if p.chance(0.5):
        heard, meant = meant, heard
    w, h, _d = _item(p)
    return _dims((w, h, heard), "cm"), _dims((w, h, meant), "cm")


def _wrong_object(p: Picker, _: date) -> tuple[str, str]:
    meant = _item(p)
    other = p.pick(_ITEMS_CM)
    while other[1:] == meant[1:]:
        other = p.pick(_ITEMS_CM)
    return _dims(other, "cm"), _dims(meant, "cm")


DIMENSION_EXTRACTION: dict[str, Theme] = {
    "unit_not_normalised": _unit_not_normalised,
    "swapped_dimensions": _swapped,
    "missing_dimension": _missing_dimension,
    "misheard_number": _misheard_number,
    "wrong_object": _wrong_object,
}

# --- planning: "1) Book venue [2026-04-11]; 2) ..." -----------------------------------------------------

_GOALS = (
    ("Book venue", "Send invites", "Order catering", "Plan the agenda", "Confirm AV equipment"),
    ("Draft newsletter", "Collect product updates", "Design header image", "Proofread", "Schedule send"),
    ("Give notice to landlord", "Book movers", "Pack kitchen", "Transfer utilities", "Update address"),
    ("Pull sales figures", "Draft review slides", "Review with finance", "Rehearse", "Send pre-read"),
    ("Get three quotes", "Choose contractor", "Order cabinets", "Book electrician", "Final inspection"),
    ("Renew passport", "Book flights", "Reserve hotel", "Buy travel insurance", "Plan itinerary"),
)


def _iso(day: date) -> str:
    return day.isoformat()


def _plan(steps: list[str], dues: list[date], fmt: Callable[[date], str] = _iso) -> str:
    return "; ".join(f"{i}) {step} [{fmt(due)}]" for i, (step, due) in enumerate(zip(steps, dues, strict=True), 1))


def _steps(p: Picker, today: date, count: int = 3) -> tuple[list[str], list[date], tuple[str, ...]]:
    goal = p.pick(_GOALS)
    start = p.integer(0, 5)
    steps = list(goal[start % 3 : start % 3 + count])
    gaps = [p.integer(2, 9) for _ in steps]
    dues = [today + timedelta(days=sum(gaps[: i + 1])) for i in range(len(steps))]
    return steps, dues, goal


def _missing_step(p: Picker, today: date) -> tuple[str, str]:
    steps, dues, goal = _steps(p, today, 3)
    extra = next(step for step in goal if step not in steps)
    return _plan(steps[:2], dues[:2]), _plan([*steps[:2], extra], dues)


def _wrong_order(p: Picker, today: date) -> tuple[str, str]:
    steps, dues, _goal = _steps(p, today)
    shuffled = [steps[2], steps[0], steps[1]] if p.chance(0.5) else [steps[1], steps[2], steps[0]]
    return _plan(shuffled, dues), _plan(steps, dues)


def _tight_deadline(p: Picker, today: date) -> tuple[str, str]:
    steps, dues, _goal = _steps(p, today)
    tight = [today + timedelta(days=i + 1) for i in range(len(steps))]
    return _plan(steps, tight), _plan(steps, dues)


def _off_goal(p: Picker, today: date) -> tuple[str, str]:
    steps, dues, goal = _steps(p, today)
    other = p.other(_GOALS, goal)
    return _plan(list(other[:3]), dues), _plan(steps, dues)


PLANNING: dict[str, Theme] = {
    "missing_step": _missing_step,
    "wrong_order": _wrong_order,
    "tight_deadline": _tight_deadline,
    "off_goal": _off_goal,
}

"""User settings: one small object, stored as JSON in the config folder, passed in (never global).

A missing or unreadable file gives the defaults (and says why), so a bad settings file can never keep
a clinician from working. Saving writes a temporary file and renames it into place.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from therapytimer.core.session import FORGOTTEN_AFTER, Role

DEFAULT_FAVORITES = {
    "PT": ["97110", "97112", "97140", "97530", "97116", "97535"],
    "OT": ["97530", "97535", "97110", "97112", "97140", "97533"],
    "SLP": ["97129", "92526", "92507", "96105"],
}
DEFAULT_UNTIMED = {
    "PT": ["97161", "97162", "97163", "97164", "97150", "G0283"],
    "OT": ["97165", "97166", "97167", "97168", "97150", "G0283"],
    "SLP": ["92521", "92522", "92523", "92524", "92526", "92507"],
}


@dataclass
class Settings:
    default_payer: str = "Medicare"
    provider: str = ""
    role: str = Role.THERAPIST.value
    exclusive_timers: bool = True  # one-on-one: starting a timer pauses the others
    assistants: bool = False  # show "who is treating" on running timers
    favorites: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_FAVORITES.items()})
    untimed: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_UNTIMED.items()})
    fees: dict[str, str] = field(default_factory=dict)  # the clinic's own fee per code, for revenue estimates
    week_start: str = "monday"
    sound: bool = False
    forgotten_minutes: int = int(FORGOTTEN_AFTER.total_seconds() // 60)
    last_discipline: str = "PT"
    window_geometry: str = ""

    @classmethod
    def load(cls, path: Path) -> tuple[Settings, str | None]:
        """Settings from `path`, or the defaults and the reason they were used."""
        if not path.exists():
            return cls(), None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            known = {f.name: f for f in fields(cls)}
            defaults = cls()
            values: dict[str, Any] = {}
            for key, value in data.items():
                if key in known and isinstance(value, type(getattr(defaults, key))):
                    values[key] = value
            settings = cls(**values)
        except (OSError, ValueError) as exc:
            return cls(), f"{path} could not be read ({exc}); using the default settings"
        settings.forgotten_minutes = min(max(settings.forgotten_minutes, 5), 24 * 60)
        if settings.week_start not in ("monday", "sunday"):
            settings.week_start = "monday"
        return settings, None

    def save(self, path: Path) -> None:
        """Write atomically (temporary file, then rename); the folder is created owner-only."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".settings.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2, sort_keys=True)
        os.replace(tmp, path)

"""Counting words: "1 unit", "2 units". One place, so every message says it the same way."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"

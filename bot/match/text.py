"""Text normalisation shared by stories and topics, so both sides are folded the same way.

Rules (version 1): Unicode NFC then case folding; combining marks removed only where the base letter
is Latin, so "Bürgenstock" = "burgenstock" while Ukrainian "й"/"ї" keep theirs; soft hyphens go;
every run of characters that are not letters or digits (hyphens, apostrophes, punctuation) separates
words, so "Nagorno-Karabakh" = "Nagorno Karabakh" and "Oblast's" reads as "oblast" + "s".
English plurals are folded to the singular on Latin words ("peacekeepers" → "peacekeeper") by a
deliberately small rule set; "peace" and "peacekeepers" stay different words.
"""

from __future__ import annotations

import re
import unicodedata

NORMALISATION_VERSION = 1

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SOFT_HYPHEN = "\u00ad"


def _is_latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def fold(text: str) -> str:
    """Case- and accent-fold `text` (accents only on Latin letters)."""
    text = unicodedata.normalize("NFC", text.replace(_SOFT_HYPHEN, "")).casefold()
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and _is_latin(out[-1]):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def singular(word: str) -> str:
    """Fold a Latin-script English plural to its singular form; other words pass through."""
    if len(word) < 4 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> tuple[str, list[tuple[str, int, int]]]:
    """`text` in NFC, and its words as (folded word, start, end) with offsets into that NFC text,
    so a match can be shown as it was written ("Nagorno-Karabakh", not "nagorno karabakh")."""
    nfc = unicodedata.normalize("NFC", text.replace(_SOFT_HYPHEN, ""))
    return nfc, [(singular(fold(m.group())), m.start(), m.end()) for m in _WORD.finditer(nfc)]


def words(text: str) -> list[str]:
    """The folded, plural-folded words of `text`, in order."""
    return [folded for folded, _, _ in tokens(text)[1]]

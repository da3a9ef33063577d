"""What a poll reports to whoever keeps figures about polling (the ops metrics, or nobody).

The poll path calls `PollObserver.poll_finished` once per poll, whatever happened; the observer
turns it into counters and histograms. Nothing here knows Prometheus: the composition root hands
the poll path an object that does (`bot.ops.metrics.Metrics`), or `NO_POLL_OBSERVER`.

`result` is one of a bounded set, safe as a metric label: "200" (read), "304" (not modified), an
HTTP status the source answered with ("404", "429", "503", …), or an error kind ("timeout",
"network", "too_large", "refused", "invalid", "parse", "internal").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.errors import FeedParseError, FetchError, SourceError

if TYPE_CHECKING:
    from bot.ingest.poll import PollOutcome


class PollObserver(Protocol):
    def poll_finished(self, outcome: PollOutcome, *, duration: float, lag: float) -> None:
        """One poll ended: `duration` seconds of work, started `lag` seconds after it was due."""
        ...


class _NoPollObserver:
    def poll_finished(self, outcome: PollOutcome, *, duration: float, lag: float) -> None:
        return None


NO_POLL_OBSERVER: PollObserver = _NoPollObserver()


def error_kind(error: SourceError) -> str:
    """A bounded name for why a source could not be read (see the module docstring)."""
    if isinstance(error, FetchError):
        if error.status is not None:
            return str(error.status)
        return error.kind
    if isinstance(error, FeedParseError):
        return "parse"
    return "fetch"


def poll_result(outcome: PollOutcome) -> str:
    if outcome.error is None:
        return "304" if outcome.not_modified else "200"
    return outcome.error_kind or "fetch"

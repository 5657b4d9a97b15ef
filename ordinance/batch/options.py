"""What every stage of a batch shares: the run's options and the exact context for sums of money."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal

from ..front.load import DEFAULT_LIMITS, Limits

#: Sums of money in the summary, exact: as many digits as they need (the default context's 28
#: would round a total past 10^26 yuan).
EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                        traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero])


@dataclasses.dataclass(frozen=True)
class Options:
    """What every worker needs to decide a case the same way."""

    policy_paths: tuple[str, ...]  # empty: the bundled policy
    trace: bool
    as_of: _dt.date | None
    fmt: str  # jsonl | csv
    debug: bool = False  # ORDINANCE_DEBUG: let internal errors raise
    limits: Limits = DEFAULT_LIMITS  # for case files, lines of input and the data they hold
    lang: str = "en"  # the language of the problems in error records (en | zh)

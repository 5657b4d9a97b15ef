"""What a worker does with one item: load it, decide it, record it.

A worker process (or the parent, with ``--jobs 1``) loads the policy once (:func:`init_worker`;
a forked worker inherits it) and then decides item after item (:func:`decide`).  Decisions come
from the engine's public entry: ``policy.decide(data, name=...)`` (no trace, no date of
evaluation), or ``policy.evaluate(...)`` with ``--trace`` or ``--as-of``.  Every failure becomes
an error record in the case's place: the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal

from ..cases.read import read_case
from ..errors import CaseError, OrdinanceError, Problem
from ..messages import msg
from ..policy import Policy, bundled_policy_dir, load_policy
from .inputs import data_name, fallback_name, item_location, load_item, locate
from .options import Options
from .records import Record, checked, decided, error_record

_STATE: tuple[Policy, Options] | None = None


def init_worker(options: Options, policy: Policy | None = None) -> None:
    """Load the policy once per process (a forked worker inherits it from the parent)."""
    global _STATE
    if policy is None and _STATE is not None and _STATE[1].policy_paths == options.policy_paths:
        policy = _STATE[0]
    if policy is None:
        paths = list(options.policy_paths) or bundled_policy_dir()
        policy = load_policy(paths)
    _STATE = (policy, options)


def state() -> tuple[Policy, Options]:
    """The policy and the options this process decides with."""
    assert _STATE is not None, "init_worker() first"
    return _STATE


def decide_chunk(chunk: list[tuple]) -> list[Record]:
    return [decide(item) for item in chunk]


def decide(item: tuple) -> Record:
    """Read and decide one case; every failure becomes an error record."""
    policy, options = state()
    if item[0] == "die" and multiprocessing.parent_process() is not None:  # the test hook `worker`
        os.kill(os.getpid(), signal.SIGKILL)
    name = fallback_name(item)
    try:
        if item[0] == "bad":
            return error_record(item[1], "CaseError", item[2], options)
        data, loaded, problems, read_name = load_item(item, policy, options.limits)
        name = data_name(data, name)
        case = data
        if loaded is not None or problems:  # read here, to place the problems in the file or the rows
            try:
                case = read_case(data, policy, read_name, loaded)
            except CaseError as exc:
                raise CaseError(problems + exc.problems) from None
            if problems:
                raise CaseError(problems)
        if options.trace or options.as_of is not None:
            decision = policy.evaluate(policy.read_case(case, read_name), trace=options.trace, as_of=options.as_of)
        else:
            decision = policy.decide(case, name=read_name)
        record = decided(decision, policy, options)
    except OrdinanceError as exc:
        return error_record(name, type(exc).__name__, locate(exc.problems, item), options)
    except RecursionError:
        return error_record(name, "CaseError", [Problem(
            "too-deep", msg("batch.too-deep-to-read"), item_location(item))], options)
    except Exception as exc:  # a bug: keep the batch going, report it in place and in the exit status
        if options.debug:
            raise
        return error_record(name, type(exc).__name__, [Problem(
            "internal-error", msg("batch.internal-error", error=f"{type(exc).__name__}: {exc}"), item_location(item))],
            options, internal=True)
    return checked(record, name, item, options)


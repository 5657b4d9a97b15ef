"""``ordinance batch``: decide many cases, streaming, with annual quotas ranked across them.

Input is read lazily, one case at a time, and each case's decision is written at once, in input
order, as one JSON line or as one CSV row per claim; nothing holds all cases or all decisions.
A case that cannot be read or decided becomes an error record in its place; the others go on.
The stages, each a module (imports go down this list, never up):

- :mod:`.runner`: the one run loop -- the worker pool, progress, signals, kill-safety;
- :mod:`.blocks`: a JSON Lines file in and out, cut into blocks of whole lines, a block decided at once;
- :mod:`.worker`: what a worker does with one item: load it, decide it, record it;
- :mod:`.checkpoint`: the one checkpoint format for both, ``--resume``, the writer of output and checkpoint;
- :mod:`.summary`: the one tally of a piece of work, and the summary of the batch;
- :mod:`.quotas`: the annual quotas ranked across the batch, and the output patched;
- :mod:`.records`: the output records (JSON lines, CSV rows, error records);
- :mod:`.inputs`: the kinds of input, read lazily into items, and an item read into case data;
- :mod:`.options`: what every stage shares.

Decisions come from the engine's public entry only: ``Policy.decide`` (no trace, no date of
evaluation) or ``Policy.evaluate``.  The names below are the batch's public face (the CLI's).
"""

from .checkpoint import ResumeError, checkpoint_path
from .inputs import input_kind, items, progress_length
from .options import EXACT, Options
from .records import CSV_COLUMNS
from .runner import INTERRUPTED_STATUS, TEST_HOOK, run
from .summary import Summary

__all__ = ["CSV_COLUMNS", "EXACT", "INTERRUPTED_STATUS", "TEST_HOOK", "Options", "ResumeError", "Summary",
           "checkpoint_path", "input_kind", "items", "progress_length", "run"]

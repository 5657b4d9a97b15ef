"""The public face of the engine: load a policy, evaluate cases.

:func:`load_policy` runs the pipeline on a policy directory (``policy.yaml`` plus rule
files): load -> validate -> parse -> check -> compile.  Every problem from every file is
collected and raised together as one :class:`~ordinance.errors.PolicyError`.  The result is
a :class:`Policy`, immutable once built, which decides cases with :meth:`Policy.evaluate`.
Several policies may be loaded together (``load_policy([a, b])``): their exclusivity
groups then span them all.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .check import checker as check_stage
from .front import load as load_stage
from .front import validate as validate_stage
from .cases.read import Case, converter_for, per_year_converter
from .decision import Decision
from .front.model import FactDef, Label, PolicyDef, Validity
from .front.parse import FileParser
from .plan.build import plan_measure
from .plan.steps import MeasurePlan
from .rules.quotas import apply_quotas
from .run.dispatch import Engine
from .run.interpret import MeasureProgram
from .errors import Location, PolicyError, Problem
from .messages import Text, msg
from .types import STRING

PathLike = str | os.PathLike[str]

#: Where the bundled policies live (the repository's ``policy/`` folder, or the installed copy).
BUNDLED_POLICY_DIRS = (Path(__file__).resolve().parent.parent / "policy",
                       Path(__file__).resolve().parent / "policies")
DEFAULT_POLICY_ID = "xiamen-ai-2025"


@dataclass(frozen=True)
class PolicyInfo:
    id: str
    digest: str
    directory: str
    definition: PolicyDef


class Policy:
    """One or more compiled policies, ready to decide cases."""

    def __init__(self, infos: list[PolicyInfo], programs: dict[str, MeasureProgram],
                 applicant_facts: dict[str, FactDef]):
        self.policies = infos
        self.programs = programs
        self.applicant_facts = applicant_facts
        self.id = "+".join(i.id for i in infos)
        self.digest = infos[0].digest if len(infos) == 1 else hashlib.sha256(
            "".join(i.digest for i in infos).encode()).hexdigest()
        self.multi = len(infos) > 1
        #: how a case names each applicant fact (``annual_revenue``) -> (its full name, its type)
        self.applicant_specs = {name.split(".", 1)[1]: (name, fact.type) for name, fact in applicant_facts.items()}
        for builtin in ("id", "name"):
            self.applicant_specs[builtin] = (f"applicant.{builtin}", STRING)
        #: the applicant facts declared ``per: year`` (a case may give them year by year)
        self.per_year = frozenset(name for name, fact in applicant_facts.items() if fact.per == "year")
        #: the same, with each type's converter (for the plain-case reader)
        self.applicant_readers = {key: (full, per_year_converter(t) if full in self.per_year else converter_for(t))
                                  for key, (full, t) in self.applicant_specs.items()}
        #: the ``policies`` entries of a decision: id and digest of each policy loaded
        self.refs = [{"id": i.id, "digest": i.digest} for i in infos]
        #: the one dispatch: the back-ends, their caches and counts (run/dispatch.py)
        self.engine = Engine(self)

    @property
    def plans(self) -> dict[str, MeasurePlan]:
        """Each measure's plan, by the key a case names it with."""
        return self.engine.plans

    # -- lookup -----------------------------------------------------------------------------------
    def measure_ids(self) -> list[str]:
        """The ids of all measures, in rule-file order."""
        return list(self.programs)

    def find_measure(self, ref: str) -> MeasureProgram | None:
        """The measure ``ref`` names (``compute-voucher`` or ``xiamen-ai-2025:compute-voucher``)."""
        program = self.programs.get(ref)
        if program is not None:
            return program
        if ":" in ref:
            pid, mid = ref.split(":", 1)
            program = self.programs.get(mid)
            if program is not None and program.policy.id == pid:
                return program
            return self.programs.get(ref)
        return None

    def fact_label(self, measure: str | None, name: str) -> Label | None:
        """What the rule files call the fact ``name`` in both languages, as measure ``measure`` (a
        key of :attr:`programs`) words it (a claim fact) or as the policy does (an applicant fact, a
        built-in one such as ``claim.date``); None for a name that is no fact.  Reports name facts
        so: :func:`ordinance.render.render` takes this as ``labels``."""
        program = self.programs.get(measure) if measure is not None else None
        fact = program.claim_facts.get(name) if program is not None else None
        if fact is None:
            fact = self.applicant_facts.get(name)
        if fact is not None:
            return fact.label
        builtin = check_stage.BUILTIN_FACTS.get(name)
        return Label(builtin[1], builtin[2]) if builtin is not None else None

    # -- evaluation -------------------------------------------------------------------------------
    def read_case(self, case: Mapping[str, Any] | Case, name: str = "<case>") -> Case:
        """Check and convert a case given as plain data; raise CaseError on any mistake."""
        return self.engine.read_case(case, name)

    def evaluate(self, case: Mapping[str, Any] | Case, *, trace: bool = True,
                 as_of: datetime.date | None = None, name: str = "<case>") -> Decision:
        """Decide ``case`` (plain data or a read :class:`Case`).

        With ``trace`` the derivation is recorded (``Decision.results[i].trace``); ``as_of`` is the
        date of evaluation, shown in reports and used for claims that give no date.
        """
        return self.engine.evaluate(case, trace=trace, as_of=as_of, name=name)

    def decide(self, case: Mapping[str, Any] | Case, name: str = "<case>") -> Decision:
        """The decision on ``case`` without the trace: ``evaluate(case, trace=False)`` (the way for
        services and batches that need the answer, not its derivation).  ``name`` names a case
        that gives no ``case:`` id."""
        return self.engine.decide(case, name)

    def evaluate_many(self, cases: Iterable[Mapping[str, Any] | Case], *, trace: bool = True,
                      as_of: datetime.date | None = None,
                      awarded: Mapping[tuple[str, int], int] | None = None) -> list[Decision]:
        """Decide many cases together: as :meth:`evaluate`, then rank claims under annual quotas.

        ``awarded`` gives, by ``(measure id, year)``, how many awards a quota has already made
        (in earlier rounds): they keep their places and the cases here compete for the rest.
        """
        evaluate = self.engine.evaluate
        decisions = [evaluate(c, trace=trace, as_of=as_of, name=f"case-{i + 1}") for i, c in enumerate(cases)]
        apply_quotas(decisions, self, awarded)
        return decisions

    def case_schema(self) -> dict[str, Any]:
        """The JSON Schema of case files for this policy, generated from its declared facts."""
        from .cases.schema import case_schema

        return case_schema(self)

    def __repr__(self) -> str:
        return f"<Policy {self.id} ({len(self.programs)} measures) sha256:{self.digest[:12]}>"


def load_policy(path: PathLike | Sequence[PathLike], *, limits: load_stage.Limits = load_stage.DEFAULT_LIMITS,
                overrides: Mapping[str, str] | None = None, display_root: PathLike | None = None) -> Policy:
    """Load, validate, parse, check and compile the policy directory at ``path``.

    ``path`` may also be a list of directories, loaded together.  Raises
    :class:`~ordinance.errors.PolicyError` listing every problem found.

    ``overrides`` overlays the first directory in memory, without writing a file: it maps a
    path inside that directory (``rules/08-compute-voucher.yaml``, ``policy.yaml``; written with
    ``/``) to the text that replaces the file's; a path that names no file yet adds a rule file,
    when it matches the manifest's ``rules:`` patterns.  Any other path is a problem
    (``bad-override``).  The digest is computed over the overlaid text.

    ``display_root`` is the name the first directory goes by in problems and traces (``""``:
    files are named relative to the directory, ``rules/08-compute-voucher.yaml``); by default it
    is the directory's path, relative to the working directory when it lies below it.
    """
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    infos: list[PolicyInfo] = []
    checked_all = []
    for i, p in enumerate(paths):
        if i == 0 and (overrides is not None or display_root is not None):
            result = _load_one(Path(p), limits, problems, sources, dict(overrides or {}), display_root)
        else:
            result = _load_one(Path(p), limits, problems, sources)
        if result is not None:
            infos.append(result[0])
            checked_all.append(result[1])
    if problems:
        raise PolicyError(problems, sources)
    programs: dict[str, MeasureProgram] = {}
    applicant_facts: dict[str, FactDef] = {}
    for info, checked in zip(infos, checked_all):
        for fact in checked.applicant_facts.values():
            prior = applicant_facts.get(fact.name)
            if prior is not None and prior.type != fact.type:
                problems.append(Problem("fact-conflict", msg(
                    "policy.fact-type-conflict", name=fact.name, type=fact.type, policy=info.id, prior=prior.type,
                    location=prior.location), fact.location))
            elif prior is not None and (prior.per, prior.period) != (fact.per, fact.period):
                problems.append(Problem("fact-conflict", msg("policy.fact-per-conflict", name=fact.name, per=fact.per,
                                                             period=fact.period, policy=info.id, prior_per=prior.per,
                                                             prior_period=prior.period, location=prior.location),
                                        fact.period_location or fact.location, msg("policy.hint.declare-alike")))
            applicant_facts.setdefault(fact.name, fact)
        for m in info.definition.measures:
            key = m.id if m.id not in programs else f"{info.id}:{m.id}"
            programs[key] = MeasureProgram(plan_measure(m, info.definition, checked, key), m, info.definition,
                                           checked)
    if problems:
        raise PolicyError(problems, sources)
    return Policy(infos, programs, applicant_facts)


def _load_one(directory: Path, limits, problems: list[Problem], sources: dict[str, str],
              overrides: dict[str, str] | None = None, display: PathLike | None = None):
    """One policy directory through load, validate, parse and check (``overrides``, ``display``:
    see :func:`load_policy`)."""
    report = problems.append
    before = len(problems)
    manifest_path = directory / "policy.yaml"
    display_root = _display_root(directory) if display is None else Path(display)
    if not manifest_path.is_file():
        problems.append(Problem("no-manifest", msg("policy.no-manifest", directory=directory),
                                Location(str(display_root / "policy.yaml"), 1, 1), msg("policy.hint.no-manifest")))
        return None
    loaded_files = []
    try:
        if overrides and "policy.yaml" in overrides:
            manifest = load_stage.load_text(overrides["policy.yaml"], str(display_root / "policy.yaml"), limits)
        else:
            manifest = load_stage.load_file(manifest_path, str(display_root / "policy.yaml"), limits)
    except PolicyError as exc:
        problems.extend(exc.problems)
        sources.update(exc.sources)
        return None
    sources[manifest.name] = manifest.text
    problems.extend(validate_stage.validate(manifest, "policy"))
    if len(problems) > before:
        return None
    data = manifest.data
    source_text = None
    source_name = None
    if data.get("source"):
        source_path = directory / data["source"]["file"]
        source_name = str(display_root / data["source"]["file"])
        if not _inside(source_path, directory):
            problems.append(Problem("outside-policy", msg("policy.source-outside", file=data["source"]["file"]),
                                    manifest.location(("source", "file")), msg("policy.hint.source-inside")))
        else:
            try:
                with open(source_path, "rb") as stream:
                    source_text = load_stage.decode(load_stage.read_limited(stream, source_name, limits),
                                                    source_name)
            except OSError:
                problems.append(Problem("missing-source", msg("policy.source-missing", file=data["source"]["file"]),
                                        manifest.location(("source", "file"))))
            except PolicyError as exc:
                problems.extend(exc.problems)
    patterns = data.get("rules") or ["rules/*.yaml"]
    rule_paths = []
    for i, pattern in enumerate(patterns):
        try:
            listed = sorted(directory.glob(pattern))
        except (ValueError, NotImplementedError):  # an absolute pattern
            listed = None
        home = os.path.normpath(directory)
        if listed is None or any(os.path.commonpath([home, os.path.normpath(p)]) != home for p in listed):
            problems.append(Problem("outside-policy", msg("policy.pattern-outside", pattern=pattern),
                                    manifest.location(("rules", i)), msg("policy.hint.rules-inside")))
            continue
        for p in listed:  # every entry is read or reported: never skipped in silence, never blocked on
            name = str(display_root / p.relative_to(directory))
            trouble = load_stage.listed_file_problem(p, name)
            if trouble is not None:
                problems.append(trouble)
            elif p.is_dir():
                continue
            elif not _inside(p, directory):
                problems.append(Problem("outside-policy", msg("policy.link-outside", target=str(
                                        os.readlink(p) if p.is_symlink() else p.resolve())), Location(name, 1, 1),
                                        msg("policy.hint.copy-rule-file")))
            else:
                rule_paths.append(p)
    if overrides:
        rule_paths.extend(_overlay_paths(directory, patterns, rule_paths, overrides, display_root, problems))
    rule_paths = sorted(set(rule_paths))
    if not rule_paths:
        problems.append(Problem("no-rules", msg("policy.no-rules"), manifest.location(("rules",)),
                                msg("policy.hint.no-rules")))
    for rp in rule_paths:
        name = str(display_root / rp.relative_to(directory))
        try:
            text = overrides.get(rp.relative_to(directory).as_posix()) if overrides else None
            loaded = (load_stage.load_file(rp, name, limits) if text is None
                      else load_stage.load_text(text, name, limits))
        except PolicyError as exc:
            problems.extend(exc.problems)
            sources.update(exc.sources)
            continue
        sources[loaded.name] = loaded.text
        schema_problems = validate_stage.validate(loaded, "rules")
        problems.extend(schema_problems)
        if not schema_problems:
            loaded_files.append(loaded)
    mp = FileParser(manifest, report, source_text)
    valid = Validity(mp.date(("valid", "from")), mp.date(("valid", "until")))
    if valid.start and valid.end and valid.start > valid.end:
        problems.append(Problem("bad-validity", msg("check.bad-validity"), manifest.location(("valid",))))
    validity_citation = mp.citation(("valid",), str(data["valid"].get("article") or "")) or None
    policy_def = PolicyDef(
        id=str(data["policy"]), title=mp.label_value(data["title"]), issuer=mp.label_value(data["issuer"]),
        issued=mp.date(("issued",)), valid=valid, validity_citation=validity_citation,
        source_name=source_name, source_text=source_text, facts=mp.facts(("facts",)),
        parameters=mp.parameters(("parameters",), ""), groups=mp.groups(),
        readings=[mp.reading(r) for r in data.get("readings") or []],
        files=[FileParser(lf, report, source_text).rule_file() for lf in loaded_files],
        directory=str(display_root), sources=sources, valid_location=manifest.location(("valid",), key=True))
    checked = check_stage.check_policy(policy_def, report)
    if len(problems) > before:
        return None
    digest = _digest(directory, [manifest_path] + rule_paths + ([directory / data["source"]["file"]]
                                                               if source_text is not None else []), overrides)
    return PolicyInfo(policy_def.id, digest, str(directory), policy_def), checked


def _inside(path: Path, directory: Path) -> bool:
    """Whether ``path`` (symlinks followed) lies inside ``directory``."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(directory))  # a looping link: no error


def _display_root(directory: Path) -> Path:
    try:
        return directory.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return directory


def _digest(directory: Path, files: list[Path], overrides: Mapping[str, str] | None = None) -> str:
    """sha256 over the rule files' names and content (as overlaid), in a fixed order."""
    h = hashlib.sha256()
    for f in sorted(set(files)):
        rel = str(f.relative_to(directory)).replace(os.sep, "/")
        h.update(rel.encode("utf-8"))
        h.update(b"\0")
        text = overrides.get(rel) if overrides else None
        h.update(f.read_bytes() if text is None else text.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


# -- the in-memory overlay ---------------------------------------------------------------------------

#: Bounds on an overlay's file paths (checked before any file system call: a longer name was an
#: OSError "File name too long", HTTP 500): characters in a path, bytes in one of its names (the
#: common file systems' limit), folders in it.
MAX_OVERLAY_PATH = 1024
MAX_OVERLAY_NAME = 255
MAX_OVERLAY_PARTS = 32


def override_path_problem(rel: str) -> Text | None:
    """Why ``rel`` cannot name a file of an overlay (None: it can): it must be a relative path
    written with ``/``, without ``..`` or empty parts, naming a ``.yaml``, ``.yml`` or ``.json`` file."""
    if not isinstance(rel, str) or not rel:
        return msg("overlay.empty")
    if rel.startswith(("/", "\\")) or "\\" in rel or re.match(r"^[A-Za-z]:", rel):
        return msg("overlay.relative")
    if len(rel) > MAX_OVERLAY_PATH:
        return msg("overlay.too-long", most=MAX_OVERLAY_PATH)
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return msg("overlay.dots")
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_OVERLAY_NAME for p in parts):
        return msg("overlay.name-too-long", most=MAX_OVERLAY_NAME)
    if len(parts) > MAX_OVERLAY_PARTS:
        return msg("overlay.too-deep", most=MAX_OVERLAY_PARTS)
    if any(ch in rel for ch in "\0*?[]") or any(ord(ch) < 32 for ch in rel):
        return msg("overlay.bad-character")
    if not rel.endswith((".yaml", ".yml", ".json")):
        return msg("overlay.not-a-rule-file")
    return None


def _matches(parts: list[str], pattern: list[str]) -> bool:
    """Whether the path ``parts`` matches the glob ``pattern`` parts (``**``: any number of folders)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_matches(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _matches(parts[1:], pattern[1:])


def _overlay_paths(directory: Path, patterns: list[Any], found: list[Path], overrides: Mapping[str, str],
                   display_root: Path, problems: list[Problem]) -> list[Path]:
    """The rule files an overlay adds; a path that is neither a rule file (found, or matching a
    ``rules:`` pattern) nor ``policy.yaml`` is a ``bad-override`` problem."""
    known = {p.relative_to(directory).as_posix() for p in found}
    added = []
    for rel in sorted(overrides):
        if rel == "policy.yaml" or rel in known:
            continue
        why = override_path_problem(rel)
        if why is None and not any(isinstance(pat, str) and _matches(rel.split("/"), pat.split("/"))
                                   for pat in patterns):
            why = msg("overlay.no-pattern", patterns=", ".join(map(str, patterns)))
        if why is None and (directory / rel).exists():
            why = msg("overlay.not-a-rule")
        if why is not None:
            problems.append(Problem("bad-override", msg("overlay.cannot", path=rel, why=why),
                                    Location(str(display_root / rel), 1, 1), msg("overlay.hint")))
            continue
        added.append(directory / rel)
    return added


def bundled_policy_dir(policy_id: str = DEFAULT_POLICY_ID) -> Path:
    for root in BUNDLED_POLICY_DIRS:
        candidate = root / policy_id
        if (candidate / "policy.yaml").is_file():
            return candidate
    raise PolicyError([Problem("no-policy", msg("policy.not-installed", policy=policy_id))])


_DEFAULT: Policy | None = None


def default_policy() -> Policy:
    """The bundled Xiamen 2025 AI measures, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_policy(bundled_policy_dir())
    return _DEFAULT

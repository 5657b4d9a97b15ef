"""Stage 1, load: read a YAML (or JSON) file into plain data plus the position of every value.

PyYAML composes the node graph; this module walks it itself instead of using PyYAML's
constructors, so that:

- no Python object is ever constructed from a tag (``!!python/...`` is inert text); a scalar
  tagged otherwise than ``!!null``/``!!bool``/``!!int`` is the text written (``!!str true`` is
  the text ``true``);
- a ``.json`` file is also held to JSON's grammar (no trailing comma, comment, unquoted key);
- only ``true``/``false``, ``null`` and integers are resolved from plain scalars (YAML 1.2
  core, minus floats): ``0.3`` stays the text ``"0.3"`` and becomes an exact Decimal later,
  ``2027-12-31`` stays text and is read by the expression language, ``no`` stays ``"no"``;
- a duplicate key is an error, not "last one wins";
- aliases are counted as they expand, so a "billion laughs" file is refused, not expanded;
- every value's file, line and column is kept in :attr:`LoadedFile.positions`, keyed by its
  path in the data (``("measures", 0, "amount")``);
- every input is bounded by :class:`Limits` (file size, nesting, values, digits of a number),
  and every breach is a :class:`~ordinance.errors.PolicyError` with a stable code, never a
  Python exception: docs/security.md lists them.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import Location, PolicyError, Problem
from ..grammar.parser import SourceSpan
from ..limits import DEFAULT_LIMITS, Limits  # defined below the grammar; still importable from here
from ..messages import Text, msg, recognise, said_os_error

DataPath = tuple[object, ...]

_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ScalarPosition:
    """Where a scalar's text sits: its first character, its YAML style, its last line."""

    line: int
    column: int
    end_line: int
    end_column: int
    style: str | None  # None (plain), "'", '"', "|", ">"


@dataclass
class LoadedFile:
    """A loaded file: its display name, text, plain data and positions."""

    name: str
    text: str
    data: Any
    positions: dict[DataPath, ScalarPosition] = field(default_factory=dict)
    key_positions: dict[DataPath, ScalarPosition] = field(default_factory=dict)
    #: the limits the file was loaded under; its expressions are parsed under the same ones
    limits: Limits = DEFAULT_LIMITS

    def location(self, path: DataPath, *, key: bool = False) -> Location:
        """The location of the value at ``path`` (or of its key), or of its nearest parent."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            pos = table.get(probe) or self.positions.get(probe)
            if pos is not None:
                return Location(self.name, pos.line, pos.column, pos.end_line, pos.end_column)
            probe = probe[:-1]
        pos = self.positions.get(())
        if pos is not None:
            return Location(self.name, pos.line, pos.column)
        return Location(self.name, 1, 1)

    def span(self, path: DataPath) -> SourceSpan:
        """A :class:`SourceSpan` mapping offsets in the scalar at ``path`` to file positions."""
        pos = self.positions.get(tuple(path))
        if pos is None:
            loc = self.location(path)
            return SourceSpan.at(self.name, loc.line, loc.column, self.limits)
        if pos.style is None and pos.line == pos.end_line:
            return SourceSpan.at(self.name, pos.line, pos.column, self.limits)
        if pos.style in ("'", '"') and pos.line == pos.end_line:
            return SourceSpan(self.name, tuple(_quoted_segments(self.text, pos)), self.limits)
        return SourceSpan(self.name, tuple(_multiline_segments(self.text, pos)), self.limits)


_ESCAPE_WIDTH = {"x": 4, "u": 6, "U": 10}


def _quoted_segments(text: str, pos: ScalarPosition) -> list[tuple[int, int, int]]:
    """Segments for a one-line quoted scalar: a new segment after each escape (``\\"``, ``''``),
    where the loaded text is shorter than the source."""
    lines = text.splitlines()
    raw = lines[pos.line - 1] if pos.line <= len(lines) else ""
    column = pos.column + 1  # after the opening quote
    segments = [(0, pos.line, column)]
    offset, i = 0, column - 1
    end = pos.end_column - 2  # the closing quote
    while i < min(end, len(raw)):
        ch = raw[i]
        if pos.style == '"' and ch == "\\" and i + 1 < len(raw):
            width = _ESCAPE_WIDTH.get(raw[i + 1], 2)
        elif pos.style == "'" and ch == "'" and raw[i + 1: i + 2] == "'":
            width = 2
        else:
            i += 1
            offset += 1
            continue
        i += width
        offset += 1
        segments.append((offset, pos.line, i + 1))
    return segments


def _multiline_segments(text: str, pos: ScalarPosition) -> list[tuple[int, int, int]]:
    """Segments for a block or multi-line scalar: one per non-empty source line.

    Folded and plain scalars join lines with one space, literal ones with a newline; both add
    one character between lines, so the offsets line up with the loaded text.
    """
    lines = text.splitlines()
    block = pos.style in ("|", ">")
    first = pos.line + 1 if block else pos.line
    last = min(pos.end_line, len(lines))
    # a block scalar's indentation is that of its first non-empty line; deeper lines keep the rest
    indent = next((len(lines[n - 1]) - len(lines[n - 1].lstrip(" ")) for n in range(first, last + 1)
                   if lines[n - 1].strip()), 0)
    segments: list[tuple[int, int, int]] = []
    offset = 0
    for number in range(first, last + 1):
        raw = lines[number - 1]
        if number == pos.line and not block:
            body_start = pos.column - 1 + (1 if pos.style else 0)
        elif block:
            body_start = indent
        else:
            body_start = len(raw) - len(raw.lstrip(" "))
        body = raw[body_start:]
        if not body.strip():
            continue
        segments.append((offset, number, body_start + 1))
        offset += len(body.rstrip()) + 1
    return segments or [(0, pos.line, pos.column)]


#: libyaml's composer (C) when PyYAML has it: the same nodes and marks, about ten times faster.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose(text: str, max_depth: int) -> Node | None:
    """The YAML node graph of ``text``; errors come from the pure-Python composer, whose
    messages are the ones documented, so both paths report a mistake the same way.

    The pure-Python scanner weighs every pending flow level (``[``, ``{``) at every token, so a
    line of a thousand ``[`` took seconds to reach the syntax error past them: past ``max_depth``
    levels of flow brackets libyaml's message is given instead, and the pure-Python composer
    stops a little past ``max_depth`` nodes (the nodes' depth is checked exactly afterwards)."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.MarkedYAMLError as exc:
            if "nesting depth" in (exc.problem or ""):  # libyaml stops at 1000 levels; Python would recurse
                raise _TooDeepYAML(exc.problem_mark) from None
            if _flow_deeper_than(text, max_depth + 2):
                raise
        except (yaml.YAMLError, ValueError, RecursionError):  # ValueError: text libyaml cannot encode
            pass
    loader = _BoundedLoader(text)
    loader.most_depth = max_depth + 2
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


_BRACKETS = re.compile(r"[\[\]{}]")


def _flow_deeper_than(text: str, limit: int) -> bool:
    """Whether ``text``'s brackets nest deeper than ``limit``, counted as if none were quoted
    (so a quoted bracket may answer yes: only ever used to choose which error message to give)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > limit:
            return True
    return False


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe composer, refusing to go deeper than ``most_depth`` nodes (:class:`_TooDeepYAML`)."""

    most_depth = 64
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > self.most_depth:
                raise _TooDeepYAML(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _TooDeepYAML(Exception):
    def __init__(self, mark: Any = None):
        super().__init__("too deep")
        self.mark = mark


class _Budget:
    def __init__(self, limits: Limits):
        self.limits, self.nodes = limits, 0


def _too_large(name: str, size: int | None, limits: Limits) -> PolicyError:
    said = (msg("load.file-too-large", size=size, most=limits.max_file_bytes) if size is not None
            else msg("load.file-larger-than", most=limits.max_file_bytes))
    return PolicyError([Problem("file-too-large", said, Location(name, 1, 1), msg("load.hint.file-too-large"))])


def load_text(text: str, name: str, limits: Limits = DEFAULT_LIMITS) -> LoadedFile:
    """Load YAML/JSON ``text`` (already decoded) under the display ``name``.

    Raises :class:`~ordinance.errors.PolicyError` for anything it cannot load; never another
    exception (the callers that read cases turn it into a CaseError).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > limits.max_file_bytes or len(text.encode("utf-8", "surrogatepass")) > limits.max_file_bytes:
        raise _too_large(name, None, limits)
    if "\0" in text:
        raise PolicyError([_binary(name, text.count("\n", 0, text.index("\0")) + 1,
                                   text.index("\0") - (text.rfind("\n", 0, text.index("\0")) + 1) + 1)])
    try:
        root = _compose(text, limits.max_depth)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        message = (exc.problem or exc.context or "invalid YAML").strip()
        hint = (msg("load.hint.tabs") if "\t" in message or "\\t" in message or "tab" in message else None)
        raise PolicyError([Problem("yaml-syntax", recognise("yaml.", message), loc, hint)], {name: text}) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: placed by its offset
        at = min(max(exc.position, 0), len(text))
        line = text.count("\n", 0, at) + 1
        loc = Location(name, line, at - (text.rfind("\n", 0, at) + 1) + 1)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise PolicyError([Problem("yaml-syntax", msg("load.character-not-allowed", code=f"U+{code:04X}"), loc,
                                   msg("load.hint.escape-character", escape=f'"\\u{code:04x}"'))],
                          {name: text}) from None
    except yaml.YAMLError as exc:
        raise PolicyError([Problem("yaml-syntax", recognise("yaml.", str(exc).strip()), Location(name, 1, 1))],
                          {name: text}) from None
    except (RecursionError, _TooDeepYAML) as exc:  # the pure-Python composer recurses once per level
        mark = getattr(exc, "mark", None)
        loc = Location(name, mark.line + 1, mark.column + 1) if mark is not None else Location(name, 1, 1)
        raise PolicyError([Problem("too-deep", too_deep(limits.max_depth), loc, msg("hint.flatten"))],
                          {name: text}) from None
    loaded = LoadedFile(name, text, None, limits=limits)
    if root is None:
        loaded.data = None
        return loaded
    problems: list[Problem] = []
    try:
        loaded.data = _walk(root, (), 0, loaded, _Budget(limits), problems)
    except RecursionError:  # only with a max_depth above what Python's stack allows
        problems.append(Problem("too-deep", msg("load.too-deep-to-read"), Location(name, 1, 1),
                                msg("load.hint.lower-max-depth")))
    if not problems and name.lower().endswith(".json"):
        problem = _json_syntax(text, name)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise PolicyError(problems, {name: text})
    return loaded


def too_deep(most: int) -> Text:
    """``nesting deeper than N levels``."""
    return msg("load.too-deep", most=most)


def _json_syntax(text: str, name: str) -> Problem | None:
    """A ``.json`` file is read by the YAML loader (for the positions of its values), which also
    takes what JSON does not (a trailing comma, a comment, an unquoted key): this holds it to
    JSON's own grammar.  The values read are thrown away (numbers kept as text), so nothing is
    converted; the limits were enforced by the YAML walk before."""
    try:
        json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as exc:
        return Problem("json-syntax", msg("load.json-file", said=recognise("json.", exc.msg)),
                       Location(name, exc.lineno, exc.colno), msg("load.hint.json-file"))
    except RecursionError:  # a nesting the YAML walk already allowed: not JSON's concern here
        return None
    return None


def read_limited(stream: Any, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """At most ``limits.max_file_bytes`` bytes from a binary ``stream`` (a pipe, a device, a file);
    a larger input is a ``file-too-large`` PolicyError, found without reading all of it."""
    raw = stream.read(limits.max_file_bytes + 1)
    if raw is None:
        raw = b""
    if len(raw) > limits.max_file_bytes:
        raise _too_large(name, None, limits)
    return raw


def load_file(path: str | Path, name: str | None = None, limits: Limits = DEFAULT_LIMITS) -> LoadedFile:
    """Read and load the file at ``path``; errors name ``name`` (default: the path).

    A file larger than ``limits.max_file_bytes`` is refused before it is read; a device or a
    pipe that never ends is read no further than the limit.
    """
    path = Path(path)
    display = name or str(path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise _too_large(display, size, limits)
        with open(path, "rb") as stream:
            raw = read_limited(stream, display, limits)
    except OSError as exc:
        raise PolicyError([_unreadable(path, display, exc)]) from None
    return load_text(decode(raw, display), display, limits)


_LINK_HINT = msg("load.hint.link")


def _unreadable(path: Path, display: str, exc: OSError) -> Problem:
    """``file-unreadable``, saying so when the trouble is a symbolic link (dangling or looping)."""
    try:
        target = os.readlink(path)
    except OSError:  # not a link (or gone): the system's own words
        return Problem("file-unreadable", msg("load.unreadable", said=said_os_error(exc)),
                       Location(display, 1, 1))
    if exc.errno == errno.ELOOP:
        said = msg("load.link-loops", target=repr(target))
    else:
        said = msg("load.link-dangles", target=repr(target))
    return Problem("file-unreadable", said, Location(display, 1, 1), _LINK_HINT)


def listed_file_problem(path: Path, display: str) -> Problem | None:
    """Why ``path``, found by listing a folder (a policy's ``rules/*.yaml``, a batch's folder of
    cases), cannot be read as a file, or None when it can.  A dangling or looping symbolic link
    is ``file-unreadable``; a named pipe (FIFO), a device or a socket is ``not-a-file`` and is
    never opened (a FIFO with no writer would block for ever).  Folders are the caller's
    business (a glob may match them)."""
    try:
        mode = path.stat().st_mode  # follows symbolic links
    except OSError as exc:
        return _unreadable(path, display, exc)
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = ("fifo" if stat.S_ISFIFO(mode) else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "socket" if stat.S_ISSOCK(mode) else "irregular")
    said = msg(f"load.entry-is.{kind}.link" if path.is_symlink() else f"load.entry-is.{kind}")
    return Problem("not-a-file", said, Location(display, 1, 1), msg("load.hint.not-a-file"))


def _binary(name: str, line: int, column: int) -> Problem:
    return Problem("binary-file", msg("load.binary"), Location(name, line, column), msg("load.hint.binary"))


def decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without a BOM); anything else is an error naming the byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = msg("load.hint.utf16")
        elif b"\0" in raw[: exc.start + 1]:
            raise PolicyError([_binary(name, raw.count(b"\n", 0, raw.index(b"\0")) + 1,
                                       raw.index(b"\0") - (raw.rfind(b"\n", 0, raw.index(b"\0")) + 1) + 1)]) from None
        else:
            hint = msg("load.hint.utf8")
        raise PolicyError([Problem("encoding", msg("load.not-utf8", byte=f"0x{raw[exc.start]:02x}"),
                                   Location(name, line, column), hint)]) from None


def check_data(data: Any, name: str, limits: Limits = DEFAULT_LIMITS, where: Location | None = None,
               text: str | None = None) -> None:
    """Hold plain data read otherwise than by :func:`load_text` (JSON) to the same limits:
    nesting (``too-deep``), values (``too-many-nodes``), digits of an integer (``literal-too-long``).
    Iterative, so any depth is measured without recursion.  Given the JSON ``text`` the data was
    read from, the walk is skipped when counting brackets and separators already bounds both
    (every container opens with a bracket, every further value follows a comma or a colon)."""
    if text is not None:
        opened = text.count("[") + text.count("{")
        if opened <= limits.max_depth and opened + text.count(",") + text.count(":") + 1 <= limits.max_nodes:
            return
    loc = where or Location(name, 1, 1)
    nodes = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise PolicyError([Problem("too-many-nodes", msg("load.too-many-values", most=limits.max_nodes),
                                       loc, msg("load.hint.max-nodes"))])
        if depth > limits.max_depth:
            raise PolicyError([Problem("too-deep", too_deep(limits.max_depth), loc, msg("hint.flatten"))])
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


class DuplicateKey(Exception):
    """A JSON object names ``key`` twice (raised by :func:`no_duplicate_keys`)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s ``object_pairs_hook`` for input read from outside: a key given twice is
    an error (``DuplicateKey``), never silently the last value."""
    out = dict(pairs)
    if len(out) != len(pairs):  # a key appears twice: name the first one repeated
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise DuplicateKey(k)
            seen.add(k)
    return out


def int_digits_problem(text: str, limits: Limits, location: Location) -> Problem | None:
    """A ``literal-too-long`` problem when the integer ``text`` has more digits than allowed."""
    if len(text) <= limits.integer_digits:
        return None
    digits = sum(ch.isdigit() for ch in text)
    if digits <= limits.integer_digits:
        return None
    return Problem("literal-too-long", msg("load.too-many-digits", digits=digits, most=limits.integer_digits),
                   location, msg("load.hint.too-many-digits"))


def _position(node: Node) -> ScalarPosition:
    start, end = node.start_mark, node.end_mark
    style = getattr(node, "style", None) or None  # libyaml says "" for plain scalars
    return ScalarPosition(start.line + 1, start.column + 1, end.line + 1, end.column + 1, style)


def _walk(node: Node, path: DataPath, depth: int, loaded: LoadedFile, budget: _Budget,
          problems: list[Problem]) -> Any:
    budget.nodes += 1
    limits = budget.limits
    if budget.nodes > limits.max_nodes:
        if budget.nodes == limits.max_nodes + 1:
            loc = Location(loaded.name, node.start_mark.line + 1, node.start_mark.column + 1)
            problems.append(Problem("too-many-nodes", msg("load.expands", most=limits.max_nodes), loc,
                                    msg("load.hint.aliases")))
        return None
    if depth > limits.max_depth:
        loc = Location(loaded.name, node.start_mark.line + 1, node.start_mark.column + 1)
        problems.append(Problem("too-deep", too_deep(limits.max_depth), loc))
        budget.nodes = limits.max_nodes + 2  # stop walking
        return None
    loaded.positions[path] = _position(node)
    if isinstance(node, ScalarNode):
        if _SURROGATE.search(node.value):
            problems.append(_surrogate(loaded, loaded.positions[path]))
            return None
        if node.style is None or node.style == "":
            if _INT_RE.match(node.value):
                pos = loaded.positions[path]
                problem = int_digits_problem(node.value, limits, Location(loaded.name, pos.line, pos.column))
                if problem is not None:
                    problems.append(problem)
                    return None
        return _resolve_scalar(node)
    if isinstance(node, SequenceNode):
        return [_walk(item, path + (i,), depth + 1, loaded, budget, problems)
                for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        first_seen: dict[str, ScalarPosition] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                loc = Location(loaded.name, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                problems.append(Problem("yaml-key", msg("load.key-not-text"), loc))
                continue
            key = str(key_node.value)
            key_pos = _position(key_node)
            if _SURROGATE.search(key):
                problems.append(_surrogate(loaded, key_pos))
                continue
            if key in out:
                prev = first_seen[key]
                problems.append(Problem(
                    "duplicate-key", msg("load.duplicate-key", key=key),
                    Location(loaded.name, key_pos.line, key_pos.column, key_pos.end_line, key_pos.end_column),
                    msg("load.hint.duplicate-key", line=prev.line)))
                continue
            first_seen[key] = key_pos
            loaded.key_positions[path + (key,)] = key_pos
            out[key] = _walk(value_node, path + (key,), depth + 1, loaded, budget, problems)
        return out
    return None


def _surrogate(loaded: LoadedFile, pos: ScalarPosition) -> Problem:
    return Problem("encoding", msg("load.surrogate-escape"), Location(loaded.name, pos.line, pos.column),
                   msg("load.hint.surrogate-escape"))


#: The tags a plain scalar is resolved under (as YAML's core schema resolves them, or as written
#: with ``!!null``, ``!!bool``, ``!!int``); any other tag -- ``!!str``, ``!!python/name:os.system``,
#: ``!custom`` -- leaves the scalar the text it is written as (an empty one is ``""``, not null).
_RESOLVED_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))


def _resolve_scalar(node: ScalarNode) -> Any:
    text = node.value
    if node.style or node.tag not in _RESOLVED_TAGS:  # quoted or block, or tagged: text (libyaml: "" for plain)
        return text
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT_RE.match(text):
        return int(text.replace("_", ""))
    return text

"""Words for people, in English and Traditional Chinese: one catalogue, one truth per message.

Every message a person reads (a problem and its hint, a note of the trace, the chrome of a
report) is built with :func:`msg` from an entry of the catalogue: a stable id, an English and a
Chinese template with the same named parameters (``{name}``).  The result is a :class:`Text`: a
``str`` whose value is the English text, exactly as before, which also knows how to say itself in
Chinese (:meth:`Text.in_lang`).  So code that stores, compares, sorts, pickles or serialises
messages keeps working on the English words, and a renderer that knows its reader's language asks
for that one.  Parameters are values echoed as given (names, ids, numbers: never translated) or
other :class:`Text` (said in the same language as the message that holds them).

The entries live by stage in the modules beside this one (:mod:`.load`, :mod:`.check`,
:mod:`.cases`, :mod:`.web`, :mod:`.cli`, :mod:`.report`, :mod:`.testing`,
:mod:`.show`, :mod:`.batch`, ...); :data:`CATALOGUE` holds them all.
tests/test_messages.py holds every entry to both languages with the same parameters, and fails
when a problem is made of words that bypass the catalogue.

The language of a run is chosen once, at the edge: ``--lang`` or the environment for the command
line (:func:`env_lang`), the ``Accept-Language`` header for the HTTP API (:func:`accept_lang`).
"""

from __future__ import annotations

import errno
import os
import re
from typing import Any, Iterable, Literal, Mapping

from . import cases, check, cli, common, load, report, web
from . import batch, framing, show, testing

Lang = Literal["en", "zh"]
#: the languages every message is written in; the first is the default
LANGS: tuple[Lang, ...] = ("en", "zh")
DEFAULT_LANG: Lang = "en"


def _merge(*tables: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for table in tables:
        for key, entry in table.items():
            if key in out:  # pragma: no cover - a catalogue mistake, caught by the tests at once
                raise ValueError(f"the message id {key!r} is defined twice")
            out[key] = entry
    return out


#: message id -> (English template, Chinese template)
CATALOGUE: dict[str, tuple[str, str]] = _merge(common.MESSAGES, load.MESSAGES, check.MESSAGES, cases.MESSAGES,
                                              web.MESSAGES, cli.MESSAGES, report.MESSAGES,
                                              framing.MESSAGES, testing.MESSAGES, show.MESSAGES,
                                              batch.MESSAGES)

_JOIN = "#join"
_INDEX = {"en": 0, "zh": 1}


class Text(str):
    """A message: its English words (the ``str`` value), its catalogue ``key`` and ``params``;
    :meth:`in_lang` says it in another language.  Immutable, hashable and picklable as a str is."""

    key: str
    params: Mapping[str, Any]

    def __new__(cls, key: str, params: Mapping[str, Any] | None = None) -> "Text":
        if params is None:
            params = {}
        self = str.__new__(cls, _render(key, params, "en"))
        self.key = key
        self.params = params
        return self

    def in_lang(self, lang: str) -> str:
        """These words in ``lang`` (``en`` or ``zh``; anything else is English)."""
        if lang == "en" or lang not in _INDEX:
            return str.__str__(self)
        return _render(self.key, self.params, lang)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (self.key, dict(self.params)))

    def __copy__(self) -> "Text":
        return self

    def __deepcopy__(self, memo: Any) -> "Text":
        return self


class Both(str):
    """Words whose two languages come from data, not from the catalogue (a rule file's ``zh:`` and
    ``en:``, a JSON Schema's ``x-hint`` and ``x-hint-zh``): the ``str`` is the English, and
    :meth:`in_lang` gives the Chinese (the English when the data has none)."""

    zh: str

    def __new__(cls, en: str, zh: str | None = None) -> "Both":
        self = super().__new__(cls, en)
        self.zh = zh or en
        return self

    def in_lang(self, lang: str) -> str:
        return self.zh if lang == "zh" else str.__str__(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Both, (str.__str__(self), self.zh))


def _say(value: Any, lang: str) -> Any:
    """A parameter in ``lang``: a :class:`Text` (or any words with an ``in_lang``, such as a hint of
    the JSON Schema) said in it, a value as it is."""
    say = getattr(value, "in_lang", None)
    return say(lang) if say is not None else value


#: a template's parts: ``{{`` and ``}}`` (a brace), ``{name}`` or ``{name:spec}`` (a parameter, with
#: a format spec such as ``,``); nothing else (no attribute or index: a template names values only)
_PART = re.compile(r"\{\{|\}\}|\{(\w+)(?::([^{}]*))?\}")
#: each template, once read: its literal text and its parameters, in order
_COMPILED: tuple[dict[str, tuple[tuple[str, str | None, str | None], ...]], ...] = ({}, {})


def _compiled(key: str, index: int) -> tuple[tuple[str, str | None, str | None], ...]:
    """``(literal before, parameter name or None, format spec or None)`` for each part of a template."""
    parts = _COMPILED[index].get(key)
    if parts is None:
        template = CATALOGUE[key][index]
        out: list[tuple[str, str | None, str | None]] = []
        literal, at = "", 0
        for m in _PART.finditer(template):
            literal += template[at:m.start()]
            at = m.end()
            if m.group(1) is None:
                literal += m.group()[0]  # a doubled brace
            else:
                out.append((literal, m.group(1), m.group(2)))
                literal = ""
        out.append((literal + template[at:], None, None))
        parts = _COMPILED[index][key] = tuple(out)
    return parts


def _render(key: str, params: Mapping[str, Any], lang: str) -> str:
    if key == _JOIN:
        sep = _say(params["sep"], lang)
        return sep.join(str(_say(item, lang)) for item in params["items"])
    parts = _compiled(key, _INDEX[lang])
    if len(parts) == 1:
        return parts[0][0]
    out = []
    for literal, name, spec in parts:
        out.append(literal)
        if name is not None:
            value = params[name]
            say = getattr(value, "in_lang", None)
            if say is not None:
                value = say(lang)
            out.append(format(value, spec) if spec else str(value))
    return "".join(out)


#: the messages without parameters, made once (a Text is immutable)
_CONSTANT: dict[str, Text] = {}


def msg(key: str, /, **params: Any) -> Text:
    """The catalogue's message ``key`` with its ``params`` (values echoed as given, or :class:`Text`)."""
    if params:
        return Text(key, params)
    text = _CONSTANT.get(key)
    if text is None:
        text = _CONSTANT[key] = Text(key, params)
    return text


def said_os_error(error: OSError) -> "Text | str":
    """The operating system's words for ``error`` (``No such file or directory``) as the catalogue's
    message, so they can be said in Chinese: where the catalogue lists its errno and its English is
    what the system said (another system's words are not replaced by ours); else the words as said."""
    said = error.strerror or str(error)
    name = errno.errorcode.get(error.errno) if isinstance(error.errno, int) else None
    if name is not None and f"os.{name}" in CATALOGUE:
        text = msg(f"os.{name}")
        if text == said:
            return text
    return said


def plural(key: str, count: int, /, **params: Any) -> Text:
    """``msg(key + ".one" | ".other", count=count, ...)``: English says ``1 problem`` and ``2 problems``."""
    return Text(f"{key}.one" if count == 1 else f"{key}.other", {"count": count, **params})


def join(items: Iterable[Any], sep: str = "sep.comma") -> Text:
    """``items`` (text, values or :class:`Text`) joined by the separator ``sep`` of the catalogue
    (``sep.comma``: ``a, b`` and ``a、b``; ``sep.or``: ``a or b`` and ``a 或 b``)."""
    return Text(_JOIN, {"sep": msg(sep), "items": tuple(items)})


_FIELD = re.compile(r"\{(\w+)(?::[^{}]*)?\}")
_PATTERNS: dict[str, list[tuple[re.Pattern[str], str]]] = {}


def _patterns(prefix: str) -> list[tuple[re.Pattern[str], str]]:
    found = _PATTERNS.get(prefix)
    if found is None:
        found = []
        for key, (english, _) in CATALOGUE.items():
            if key.startswith(prefix) and key != prefix + "unlisted":
                parts = _FIELD.split(english)  # literal, name, literal, name, ..., literal
                regex = "".join(re.escape(part.replace("{{", "{").replace("}}", "}")) if i % 2 == 0
                                else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
                found.append((re.compile(regex + r"\Z", re.S), key))
        _PATTERNS[prefix] = found
    return found


def recognise(prefix: str, said: str) -> Text:
    """Another library's English words (PyYAML's, the json module's, Lark's) as the catalogue's
    message: the entry under ``prefix`` whose English template matches ``said`` exactly, its
    parameters read back from the text (so the English is ``said`` itself), or else
    ``prefix + "unlisted"``, which echoes ``said`` in a sentence of each language."""
    for pattern, key in _patterns(prefix):
        m = pattern.match(said)
        if m is not None:
            text = Text(key, m.groupdict())
            if text == said:
                return text
    return Text(prefix + "unlisted", {"said": said})


def in_lang(text: Any, lang: str) -> str | None:
    """``text`` in ``lang`` when it is words (a :class:`Text`, or anything else with an ``in_lang``);
    other text as it is (data, not words); None stays None."""
    say = getattr(text, "in_lang", None)
    if say is not None:
        return say(lang)
    return None if text is None else str(text)


# -- choosing the language --------------------------------------------------------------------------

_TAG = re.compile(r"^([A-Za-z]{1,8})(?:[-_][A-Za-z0-9]{1,8})*(?:\.[A-Za-z0-9_-]+)?(?:@[A-Za-z0-9_-]+)?$")


def parse_lang(value: str | None) -> Lang | None:
    """The language a tag or locale names: ``zh``, ``zh-Hant``, ``zh-TW``, ``zh_CN.UTF-8`` -> ``zh``;
    ``en``, ``en_US.UTF-8`` -> ``en``; anything else (``fr``, ``C``, ``POSIX``, empty) -> None."""
    if not value:
        return None
    m = _TAG.match(value.strip())
    if m is None:
        return None
    primary = m.group(1).lower()
    return primary if primary in _INDEX else None  # type: ignore[return-value]


def env_lang(environ: Mapping[str, str] | None = None) -> Lang:
    """The language of the command line from the environment: ``ORDINANCE_LANG`` (``en`` or
    ``zh``), else the locale's messages category as POSIX looks it up (``LC_ALL``, then
    ``LC_MESSAGES``, then ``LANG``; the first one set decides): Chinese when it starts with
    ``zh``, English otherwise."""
    env = os.environ if environ is None else environ
    chosen = parse_lang(env.get("ORDINANCE_LANG"))
    if chosen is not None:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "zh" if parse_lang(value) == "zh" else DEFAULT_LANG
    return DEFAULT_LANG


def accept_lang(header: str | None) -> Lang:
    """The language of an HTTP answer from the request's ``Accept-Language`` (RFC 9110 12.5.4):
    the supported language of the highest quality (``zh``, ``zh-Hant``, ``zh-TW``, ``zh-CN`` are
    Chinese), the earlier one on a tie; ``q=0`` refuses one; English when none is named."""
    if not header:
        return DEFAULT_LANG
    best: tuple[float, int, Lang] | None = None
    for index, item in enumerate(header.split(",")[:32]):
        tag, _, rest = item.strip().partition(";")
        quality = 1.0
        for param in rest.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        lang = parse_lang(tag) if tag.strip() != "*" else DEFAULT_LANG
        if lang is None or not 0 < quality <= 1:
            continue
        if best is None or quality > best[0]:
            best = (quality, index, lang)
    return best[2] if best is not None else DEFAULT_LANG


#: the tag an answer in each language carries (``Content-Language``, ``<html lang>``)
LANG_TAGS: dict[str, str] = {"en": "en", "zh": "zh-Hant"}

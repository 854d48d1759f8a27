"""The app in its students' languages: gettext catalogs managed with Babel, numbers formatted per locale.

Every sentence the app shows goes through one of these:

- ``_("Training error of {name} after {epochs:,} epochs: {err:.1%}", name=..., epochs=..., err=...)``
  returns the sentence in the session's language, with its named parameters filled in. The format specs
  are Python's (``:.1f``, ``:.2%``, ``:,``), and the numbers come out with the language's decimal and
  group separators and percent sign (Babel's locale data): "12.3%" in English, "12,3 %" in German.
- ``N_("...")`` marks a module-level constant (an option label, a step title) for the catalogs without
  translating it: the constant stays English (a key, a URL value) and ``_()`` translates it where it is drawn.
- ``Msg("... {x:.2f}", x=...)`` is a sentence computed from data that is translated when it is drawn, not
  when it is computed: the lessons' sentences are computed once per server process (the Home page's story, the
  cached takeaways) and shown to sessions in different languages. A ``Msg`` is a ``str`` whose value is the
  English sentence (the CLI's ``--json`` output, logs, tests), and ``str(msg)``/``f"{msg}"`` give it in the
  language of the session that draws it. Pass ``str(msg)`` to Streamlit (its protobuf fields take a
  ``str`` as it is, which would be the English value).

The language: inside a Streamlit script run, the session's (``resnet_viz.ui.language``: the sidebar picker,
``?lang=`` in the URL, else the browser's language when it is one of ``LANGUAGES``, else English); elsewhere
(the CLI, worker processes, background threads) English, or what ``use_language``/``set_default_language``
say (``--lang`` of the CLI).

The catalogs are ``locales/<lang>/LC_MESSAGES/messages.po`` (``scripts/i18n.sh`` runs ``pybabel
extract``/``update``/``compile``); a ``.po`` without a newer compiled ``.mo`` beside it is compiled in
memory when first used. ``locales/<lang>/glossary.csv`` holds the terms each translation must use.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import io
import re
import string
import threading
from collections.abc import Callable
from pathlib import Path

LANGUAGES = {"en": "English", "vi": "Tiếng Việt", "de": "Deutsch", "it": "Italiano", "zh": "中文"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
SESSION_KEY = "lang"  # the sidebar picker's key in the session state, and the URL's query parameter

_local = threading.local()
_process_language = DEFAULT_LANGUAGE
_source: Callable[[], str | None] | None = None


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for the catalogs; translate it where it is drawn (``_(CONSTANT)``)."""
    return message


def match_language(tag: str | None) -> str | None:
    """The supported language of a browser language tag (``vi-VN`` -> ``vi``, ``zh-Hant-TW`` -> ``zh``)."""
    if not tag:
        return None
    code = re.split(r"[-_]", str(tag).strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


def set_default_language(lang: str) -> None:
    """The language outside Streamlit sessions in this process (the CLI's ``--lang``)."""
    global _process_language
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    _process_language = lang


@contextlib.contextmanager
def use_language(lang: str):
    """Render messages in ``lang`` in this thread, whatever the session's language (exports, tests)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    before = getattr(_local, "lang", None)
    _local.lang = lang
    try:
        yield
    finally:
        _local.lang = before


def current_language() -> str:
    """The language messages are rendered in now (see the module's docstring)."""
    lang = getattr(_local, "lang", None)
    if lang is not None:
        return lang
    if _source is not None:
        lang = _source()
        if lang in LANGUAGES:
            return lang
    return _process_language


def set_language_source(source: Callable[[], str | None] | None) -> None:
    """Where the language of the running session comes from: ``resnet_viz.ui`` registers the Streamlit
    session's (None outside a script run). This package knows nothing of Streamlit."""
    global _source
    _source = source


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: none, the messages are the English text)."""
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    if not po.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)  # fuzzy entries are left out: they fall back to English
    buf.seek(0)
    return gettext.GNUTranslations(buf)


# --------------------------------------------------------------------------------------------- numbers

@functools.cache
def _symbols(lang: str) -> tuple[str, str, str]:
    """(decimal separator, group separator, text between a number and its % sign) of ``lang``."""
    from babel import Locale

    loc = Locale.parse(lang)
    syms = loc.number_symbols.get("latn", loc.number_symbols)
    pattern = loc.percent_formats[None].pattern
    gap = pattern[pattern.rfind("0") + 1:pattern.find("%")] if "%" in pattern else ""
    return syms["decimal"], syms["group"], gap


_NUMBER_TYPES = set("eEfFgGdn%") | {""}


class _Formatter(string.Formatter):
    """``str.format`` with numbers in the language's separators (Python's own output for English)."""

    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value, format_spec):
        if isinstance(value, Msg):
            value = value.render(self.lang)
        text = format(value, format_spec)
        if self.lang == DEFAULT_LANGUAGE or isinstance(value, (bool, str)) or not _is_number(value):
            return text
        kind = format_spec[-1:] if format_spec[-1:].isalpha() or format_spec[-1:] == "%" else ""
        if kind not in _NUMBER_TYPES:
            return text
        return localize_number_text(text, self.lang)



def _is_number(value) -> bool:
    import numbers

    return isinstance(value, numbers.Number) or type(value).__module__ == "numpy"


def localize_number_text(text: str, lang: str | None = None) -> str:
    """Python's rendering of a number (``1,234.5``, ``12.3%``) with the separators of ``lang``."""
    lang = lang or current_language()
    if lang == DEFAULT_LANGUAGE:
        return text
    dec, group, gap = _symbols(lang)
    out = text.translate({ord(","): "\x00", ord("."): dec}).replace("\x00", group)
    if out.endswith("%") and gap:
        out = out[:-1] + gap + "%"
    return out


def num(value, spec: str = "") -> str:
    """One number formatted per the current language, with a Python format spec (``num(0.1234, ".1%")``)."""
    return _Formatter(current_language()).format_field(value, spec)


def plotly_separators(lang: str | None = None) -> str:
    """Plotly's ``layout.separators`` (decimal, then group) for ``lang``: axis ticks in the language's style."""
    lang = lang or current_language()
    dec, group, _gap = _symbols(lang) if lang != DEFAULT_LANGUAGE else (".", ",", "")
    return dec + (group if group.strip() else "\u2009")


# --------------------------------------------------------------------------------------------- messages

def _render(lang: str, message: str, params: dict) -> str:
    text = translations(lang).gettext(message) if message else message
    if not params:
        return text
    try:
        return _Formatter(lang).vformat(text, (), params)
    except (KeyError, IndexError, ValueError):  # a broken translation must not break the page: English
        return _Formatter(lang).vformat(message, (), params)


def _(message: str, /, **params) -> str:
    """``message`` in the current language, its ``{named}`` parameters filled in (see the module's docstring)."""
    return _render(current_language(), message, params)


def ngettext(singular: str, plural: str, n: int, /, **params) -> str:
    """The singular or plural form for ``n`` in the current language (``n`` is also a parameter)."""
    return _render_plural(current_language(), singular, plural, n, params)


def _render_plural(lang: str, singular: str, plural: str, n: int, params: dict) -> str:
    text = translations(lang).ngettext(singular, plural, n)
    params = {"n": n, **params}
    try:
        return _Formatter(lang).vformat(text, (), params)
    except (KeyError, IndexError, ValueError):
        return _Formatter(lang).vformat(singular if n == 1 else plural, (), params)


class Msg(str):
    """A sentence computed from data, translated when drawn: its ``str`` value is the English sentence,
    ``str(msg)`` and ``f"{msg}"`` render it in the current language. Parameters may be ``Msg`` themselves."""

    def __new__(cls, message: str, /, **params):
        self = super().__new__(cls, _render(DEFAULT_LANGUAGE, message, params))
        self.message, self.params = message, params
        return self

    def render(self, lang: str) -> str:
        """The sentence in ``lang``."""
        return str.__str__(self) if lang == DEFAULT_LANGUAGE else _render(lang, self.message, self.params)

    def __str__(self) -> str:
        return self.render(current_language())

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __reduce__(self):
        return (_restore, (type(self), self.message, self.params))

    @property
    def english(self) -> str:
        return str.__str__(self)


class PluralMsg(Msg):
    """A ``Msg`` with singular and plural forms chosen by its ``n`` parameter."""

    def __new__(cls, singular: str, plural: str, n: int, /, **params):
        self = str.__new__(cls, _render_plural(DEFAULT_LANGUAGE, singular, plural, n, params))
        self.message, self.params = singular, params
        self.plural, self.n = plural, n
        return self

    def render(self, lang: str) -> str:
        return _render_plural(lang, self.message, self.plural, self.n, self.params)

    def __reduce__(self):
        return (_restore_plural, (type(self), self.message, self.plural, self.n, self.params))


def _restore(cls, message, params):
    return cls(message, **params)


def _restore_plural(cls, singular, plural, n, params):
    return cls(singular, plural, n, **params)


def joined(parts, sep: str = " ") -> Msg:
    """Sentences or phrases shown one after the other with ``sep`` between, each rendered in the drawing session's
    language (a ``Msg`` part is translated, anything else is shown as it is). The template is only placeholders
    and ``sep``: it is not a message of the catalogs."""
    names = {f"p{i}": part for i, part in enumerate(parts)}
    sep = sep.replace("{", "{{").replace("}", "}}")
    return Msg(sep.join("{" + n + "}" for n in names), **names)


def to_data(value):
    """``value`` for a JSON file with its texts still translatable: a ``Msg`` as ``{"msg": template, "params": {...}}``
    (and ``"plural"``, ``"n"`` for a ``PluralMsg``), through lists and dicts; numbers of other types (NumPy's) as
    Python numbers; anything else JSON cannot hold as its text. ``from_data`` reads it back."""
    if isinstance(value, Msg):
        data = {"msg": value.message, "params": to_data(value.params)}
        return {**data, "plural": value.plural, "n": value.n} if isinstance(value, PluralMsg) else data
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if _is_number(value):
        import numbers

        return int(value) if isinstance(value, numbers.Integral) else float(value)
    return str(value)


_DATA_KEYS = ({"msg", "params"}, {"msg", "params", "plural", "n"})


def from_data(value):
    """``to_data``'s inverse: the ``Msg`` objects again (drawn in the language of whoever looks), the rest as it is."""
    if isinstance(value, dict) and set(value) in _DATA_KEYS and isinstance(value["msg"], str):
        params = from_data(value["params"] or {})
        if "plural" in value:
            return PluralMsg(value["msg"], value["plural"], value["n"], **params)
        return Msg(value["msg"], **params)
    if isinstance(value, list):
        return [from_data(v) for v in value]
    return {k: from_data(v) for k, v in value.items()} if isinstance(value, dict) else value


def render(value):
    """``value`` for Streamlit: a ``Msg`` (or a list/tuple of them) as text in the current language."""
    if isinstance(value, Msg):
        return str(value)
    if isinstance(value, (list, tuple)):
        return type(value)(render(v) for v in value)
    return value


__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "Msg", "N_", "PluralMsg", "_", "current_language", "joined",
           "localize_number_text", "match_language", "ngettext", "num", "plotly_separators", "render",
           "set_default_language", "set_language_source", "to_data", "from_data", "translations", "use_language"]

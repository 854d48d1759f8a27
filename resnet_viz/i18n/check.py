"""The catalogs' check (``bash scripts/i18n.sh check``, and CI through tests/test_i18n.py).

It extracts the messages from the sources now (as ``pybabel extract`` does, with the same keywords) and, for
every language, fails when a message is missing or untranslated, is fuzzy, or when a translation's
``{placeholders}`` (name and format spec), ``code`` spans or ``:material/icons:`` differ from the source's.
It also checks each language's glossary: a message that contains a glossary term in English must use the
glossary's translation (its ``pattern``, a regular expression).

``python -m resnet_viz.i18n.check`` prints one line per problem and exits 1 when there is any.
"""

from __future__ import annotations

import ast
import csv
import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

from resnet_viz.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("app.py", "pages", "resnet_viz")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "Msg": None, "PluralMsg": (1, 2), "ngettext": (1, 2)}
METHODS = [("**.py", "python")]
CODE = re.compile(r"`[^`]+`")
ICON = re.compile(r":material/[a-z_]+:")


@dataclass(frozen=True)
class Problem:
    lang: str
    msgid: str
    what: str

    def __str__(self) -> str:
        short = self.msgid if len(self.msgid) <= 70 else self.msgid[:67] + "..."
        return f"{self.lang}: {self.what}: {short!r}"


def source_messages(root: Path = ROOT) -> dict[str, str | None]:
    """``msgid -> msgid_plural`` (None for a singular message) of every marked message in the sources."""
    found: dict[str, str | None] = {}
    for src in SOURCES:
        path = root / src
        items = (extract_from_file("python", str(path), keywords=KEYWORDS) if path.is_file() else
                 (m[1:] for m in extract_from_dir(str(path), METHODS, keywords=KEYWORDS)))
        for item in items:
            message = item[1]
            if isinstance(message, (tuple, list)):
                if message[0]:
                    found[message[0]] = message[1]
            elif message:
                found.setdefault(message, None)
    return found


def fields(text: str) -> list[str]:
    """The ``{name:spec}`` fields of a message (sorted), or ``["<bad braces>"]`` when it does not parse."""
    try:
        return sorted(f"{name}:{spec}" for _lit, name, spec, _conv in string.Formatter().parse(text)
                      if name is not None)
    except ValueError:
        return ["<bad braces>"]


def _same(kind: str, pattern: re.Pattern, src: str, dst: str) -> str | None:
    a, b = sorted(pattern.findall(src)), sorted(pattern.findall(dst))
    return None if a == b else f"{kind} differ ({', '.join(a) or 'none'} vs {', '.join(b) or 'none'})"


def glossary(lang: str) -> list[dict]:
    path = LOCALE_DIR / lang / "glossary.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        return [row for row in csv.DictReader(f) if row.get("english", "").strip()]


def check_language(lang: str, messages: dict[str, str | None]) -> list[Problem]:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return [Problem(lang, str(po.relative_to(ROOT)), "catalog missing")]
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    terms = [(re.compile(r"\b" + re.escape(row["english"].strip()), re.I), re.compile(row["pattern"], re.I | re.U),
              row["english"].strip()) for row in glossary(lang) if row.get("pattern", "").strip()]
    problems = []
    for msgid, plural in messages.items():
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(Problem(lang, msgid, "missing"))
            continue
        if entry.fuzzy:
            problems.append(Problem(lang, msgid, "fuzzy"))
        strings = list(entry.string) if isinstance(entry.string, (tuple, list)) else [entry.string]
        if not all(s for s in strings):
            problems.append(Problem(lang, msgid, "not translated"))
            continue
        sources = [msgid, plural or msgid]
        for i, s in enumerate(strings):
            src = sources[min(i, 1)] if plural else msgid
            # a plural form may leave out {n} (e.g. "one run"), but never add a field or change a spec
            want, got = fields(src), fields(s)
            if got != want and not (plural and set(got) <= set(fields(msgid)) | set(fields(plural))):
                problems.append(Problem(lang, msgid, f"placeholders differ ({', '.join(want) or 'none'} vs "
                                                     f"{', '.join(got) or 'none'})"))
            for kind, pattern in (("code spans", CODE), ("icons", ICON)):
                if (bad := _same(kind, pattern, src, s)) is not None:
                    problems.append(Problem(lang, msgid, bad))
        prose = CODE.sub(" ", msgid)  # a term inside a `command` is not prose
        for english, target, name in terms:
            if english.search(prose) and not any(target.search(s) for s in strings):
                problems.append(Problem(lang, msgid, f"glossary term {name!r} not translated as /{target.pattern}/"))
    return problems


MARKERS = {"_", "N_", "Msg", "PluralMsg", "ngettext"}


def built_messages(root: Path = ROOT) -> list[Problem]:
    """Marked messages that are built at run time (an f-string, ``+`` or ``%``): no catalog can hold them."""
    out = []
    for src in SOURCES:
        path = root / src
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS
                        and node.args and isinstance(node.args[0], (ast.JoinedStr, ast.BinOp))):
                    out.append(Problem("source", f"{file.relative_to(root)}:{node.lineno}",
                                       "message built at run time (f-string, + or %): use named placeholders"))
    return out


def check(langs=None) -> list[Problem]:
    messages = source_messages()
    out = built_messages()
    for lang in langs or [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]:
        out.extend(check_language(lang, messages))
    return out


def main(argv: list[str] | None = None) -> int:
    langs = (argv if argv is not None else sys.argv[1:]) or None
    problems = check(langs)
    for p in problems:
        print(p)
    n = len(source_messages())
    print(f"{len(problems)} problem(s) in {', '.join(langs or [c for c in LANGUAGES if c != DEFAULT_LANGUAGE])} "
          f"({n} messages in the sources)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

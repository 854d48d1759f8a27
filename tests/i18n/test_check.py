"""The translation machinery: the catalogs are complete (CI fails on a missing message or a changed placeholder),
numbers follow the language, computed sentences are translated where they are drawn, the CLI stays English."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import pytest

from resnet_viz import i18n
from resnet_viz.i18n import LANGUAGES, Msg, PluralMsg, _, match_language, num, use_language
from resnet_viz.i18n import check as catalog_check
from tests.conftest import ROOT

OTHER = [code for code in LANGUAGES if code != "en"]


@pytest.mark.parametrize("lang", OTHER)
def test_every_catalog_has_every_message_with_the_same_placeholders(lang):
    problems = catalog_check.check([lang])
    assert not problems, f"{len(problems)} problem(s) in the {lang} catalog, e.g.:\n" + "\n".join(
        str(p) for p in problems[:25])


def test_the_sources_have_their_messages_marked():
    messages = catalog_check.source_messages()
    assert len(messages) > 800  # every page, figure and error message
    for msgid in ("Home", "Gradient flow", "Language", "Lesion study"):
        assert msgid in messages


def _catalog(tmp_path, entries: dict[str, str], fuzzy: set[str] = frozenset()):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    cat = Catalog(locale="de")
    for k, v in entries.items():
        cat.add(k, v, flags=("fuzzy",) if k in fuzzy else ())
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as f:
        write_po(f, cat)
    (tmp_path / "de" / "glossary.csv").write_text("english,translation,pattern,note\n"
                                                  "skip connection,Skip-Verbindung,Skip-Verbindung,\n")


def test_the_check_finds_missing_fuzzy_and_changed_placeholders(tmp_path, monkeypatch):
    _catalog(tmp_path, {"Accuracy {acc:.1%}": "Genauigkeit {acc:.1f}", "Run `train` now": "Jetzt trainieren",
                        "Old": "Alt", "A skip connection": "Eine Abkürzung", "Fine {n}": "Gut {n}"}, fuzzy={"Old"})
    monkeypatch.setattr(catalog_check, "LOCALE_DIR", tmp_path)
    source = {"Accuracy {acc:.1%}": None, "Run `train` now": None, "Old": None, "A skip connection": None,
              "Fine {n}": None, "Missing": None}
    problems = {(p.msgid, p.what.split(" (")[0]) for p in catalog_check.check_language("de", source)}
    assert problems == {("Accuracy {acc:.1%}", "placeholders differ"), ("Run `train` now", "code spans differ"),
                        ("Old", "fuzzy"), ("Missing", "missing"),
                        ("A skip connection", "glossary term 'skip connection' not translated as /Skip-Verbindung/")}


def test_the_check_command_exits_1_with_one_line_per_problem(tmp_path):
    r = subprocess.run([sys.executable, "-m", "resnet_viz.i18n.check", "de"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode in (0, 1)
    assert "messages in the sources" in r.stderr


@pytest.mark.parametrize(("lang", "expect"), [("en", "12.3% of 1,234.5"), ("de", "12,3\u00a0% of 1.234,5"),
                                              ("it", "12,3% of 1.234,5"), ("vi", "12,3% of 1.234,5"),
                                              ("zh", "12.3% of 1,234.5")])
def test_numbers_follow_the_language(lang, expect):
    with use_language(lang):
        # an untranslated message keeps its text; its numbers are still the language's
        assert _("{p:.1%} of {x:,.1f}", p=0.1234, x=1234.5) == expect


def test_num_and_scientific_numbers():
    with use_language("de"):
        assert num(3.25e-5, ".2e") == "3,25e-05" and num(12000, ",") == "12.000" and num(7, "d") == "7"
        assert num("text", "") == "text"
    assert num(0.5, ".0%") == "50%"


def test_a_computed_sentence_is_english_as_str_and_translated_when_drawn(monkeypatch):
    class Fake(i18n.gettext.NullTranslations):
        def gettext(self, message):
            return {"{net} ends at {err:.1%}": "{net} endet bei {err:.1%}", "the plain net": "das einfache Netz"}.get(
                message, message)

    monkeypatch.setattr(i18n, "translations", lambda lang: Fake() if lang == "de" else i18n.gettext.NullTranslations())
    m = Msg("{net} ends at {err:.1%}", net=Msg("the plain net"), err=0.125)
    assert m == "the plain net ends at 12.5%" and json.dumps(m) == '"the plain net ends at 12.5%"'
    with use_language("de"):
        assert str(m) == f"{m}" == "das einfache Netz endet bei 12,5\u00a0%"
        again = pickle.loads(pickle.dumps(m))  # st.cache_data keeps a pickled copy
        assert str(again) == str(m) and again == m
    assert str(m) == "the plain net ends at 12.5%"


def test_plural_messages():
    p = PluralMsg("{n} layer", "{n} layers", 3)
    assert p == "3 layers" and PluralMsg("{n} layer", "{n} layers", 1) == "1 layer"
    with use_language("de"):
        assert str(p) in ("3 Schichten", "3 layers")


@pytest.mark.parametrize(("tag", "lang"), [("vi-VN", "vi"), ("de", "de"), ("de_CH", "de"), ("IT-it", "it"),
                                           ("zh-Hans-CN", "zh"), ("zh-TW", "zh"), ("en-GB", "en"), ("fr", None),
                                           ("", None), (None, None)])
def test_browser_language_tags(tag, lang):
    assert match_language(tag) == lang


def test_outside_streamlit_the_language_is_english_unless_set():
    assert i18n.current_language() == "en"
    with use_language("vi"):
        assert i18n.current_language() == "vi"
    assert i18n.current_language() == "en"
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        i18n.set_default_language("xx")


def test_a_broken_translation_falls_back_to_english(monkeypatch):
    class Broken(i18n.gettext.NullTranslations):
        def gettext(self, message):
            return "{oops} kaputt"

    monkeypatch.setattr(i18n, "translations", lambda lang: Broken())
    with use_language("de"):
        assert _("{n} runs", n=2) == "2 runs"


def test_every_language_has_a_glossary_with_the_issue_terms():
    want = {"vi": ["mạng nơ-ron dư", "khối dư", "kết nối bỏ qua"],
            "zh": ["残差网络", "残差块", "跳跃连接", "梯度消失", "退化问题"]}
    for lang in OTHER:
        rows = catalog_check.glossary(lang)
        assert len(rows) >= 20, lang
        translations = " ".join(r["translation"] for r in rows)
        for term in want.get(lang, []):
            assert term in translations, (lang, term)


def test_the_cli_stays_english_and_takes_lang():
    from resnet_viz.cli.parser import build_parser

    assert build_parser().parse_args(["models"]).lang == "en"
    assert build_parser().parse_args(["--lang", "vi", "models"]).lang == "vi"
    assert build_parser().parse_args(["models", "--lang", "de"]).lang == "de"
    r = subprocess.run([sys.executable, "-m", "resnet_viz", "models", "--lang", "xx"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 2 and "invalid choice: 'xx'" in r.stderr


def test_texts_written_to_json_files_come_back_translatable():
    import numpy as np

    from resnet_viz.i18n import from_data, to_data

    value = {"why": [Msg("{what} at {p:.1%}", what=Msg("the plain net"), p=np.float32(0.25)),
                     PluralMsg("{n} epoch", "{n} epochs", 3)], "n": np.int64(7), "plain": "text", "none": None}
    data = json.loads(json.dumps(to_data(value)))
    assert data["n"] == 7 and data["plain"] == "text"
    back = from_data(data)
    why, epochs = back["why"]
    assert type(why) is Msg and why == "the plain net at 25.0%" and type(why.params["what"]) is Msg
    assert type(epochs) is PluralMsg and epochs == "3 epochs"
    assert from_data({"msg": 1, "params": {}}) == {"msg": 1, "params": {}}  # not a text: left as it is

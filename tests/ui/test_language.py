"""Every page in every language: nothing English left in the main area except names, and the picker keeps the URL.

Each page is drawn once in English and once in each other language (the real catalogs in resnet_viz/i18n/locales);
``tests.i18n_texts.english_left`` names what is still English."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from resnet_viz.i18n import LANGUAGES
from tests.apptests import APP
from tests.i18n_texts import _words, english_left, main_texts

pytestmark = pytest.mark.usefixtures("only_shipped_runs")

OTHER = [code for code in LANGUAGES if code != "en"]
# (page, query parameters): every page at its defaults, and each tab of Why it works
PAGES = [
    ("pages/home.py", {}),
    ("pages/architectures.py", {}),
    ("pages/gradient_flow.py", {}),
    ("pages/degradation.py", {}),
    ("pages/classify_explain.py", {}),
    ("pages/feature_maps.py", {}),
    ("pages/block_anatomy.py", {}),
    ("pages/why_it_works.py", {}),
    ("pages/why_it_works.py", {"tab": "Shattered gradients"}),
    ("pages/why_it_works.py", {"tab": "Loss landscape"}),
    ("pages/your_data.py", {}),
]


def _story_measured() -> None:
    """Home's story lines are measured by the server's start-up thread: measure them before drawing Home."""
    from resnet_viz.lessons import home as story

    for fn in story.STEP_FUNCTIONS:
        try:
            getattr(story, fn)()
        except Exception:  # noqa: BLE001 - Home says the line is not available; that text is checked too
            story._failed.add(fn)


def draw(page: str, query: dict, lang: str) -> AppTest:
    from resnet_viz.i18n import _, use_language

    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["lang"] = lang
    with use_language(lang):  # the tab of Why it works is in the URL by its label, in the page's language
        for k, v in query.items():
            at.query_params[k] = _(v)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


_english: dict[tuple, list[str]] = {}


def english_texts(page: str, query: dict) -> list[str]:
    key = (page, tuple(sorted(query.items())))
    if key not in _english:
        _english[key] = main_texts(draw(page, query, "en"))
    return _english[key]


@pytest.mark.parametrize("lang", OTHER)
@pytest.mark.parametrize(("page", "query"), PAGES, ids=lambda v: v if isinstance(v, str) else "-".join(v.values()))
def test_no_english_left_on_the_page(page, query, lang):
    _story_measured()
    english = english_texts(page, query)
    at = draw(page, query, lang)
    texts = main_texts(at)
    assert texts, "the page shows no text"
    from resnet_viz.i18n import plotly_separators

    # every figure's ticks and hover numbers use the language's separators (set once, in ui.figures.show_figure)
    for chart in at.get("plotly_chart"):
        assert json.loads(chart.proto.spec)["layout"].get("separators") == plotly_separators(lang)
    left = english_left(texts, english)
    assert not left, f"{page} in {lang} still shows English:\n" + "\n".join(left[:20])
    # the page is really in the language: most of its sentences (two words or more once names are taken out)
    # differ from the English page
    sentences = [t for t in texts if len(_words(t)) >= 2]
    changed = [t for t in sentences if t not in set(english)]
    assert len(changed) >= 0.8 * len(sentences), [t for t in sentences if t in set(english)]


@pytest.mark.parametrize("lang", OTHER)
def test_the_sidebar_is_translated_too(lang):
    def sidebar(code):
        at = AppTest.from_file(APP, default_timeout=300)
        at.query_params["lang"] = code
        at.run()
        assert not at.exception, at.exception
        return main_texts(at, at.sidebar)

    english, texts = sidebar("en"), sidebar(lang)
    # the language names in the picker are each language's own name: not English
    left = english_left(texts, english, extra_names=tuple(LANGUAGES.values()))
    assert not left, f"the sidebar in {lang} still shows English:\n" + "\n".join(left)
    assert len(texts) >= 5


def _in(lang: str, msgid: str) -> str:
    from resnet_viz.i18n import _, use_language

    with use_language(lang):
        return _(msgid)


TITLE = "resnet-viz: why do skip connections work?"


def test_the_picker_starts_from_the_url_and_writes_it_back():
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["lang"] = "de"
    at.run()
    picker = at.sidebar.selectbox(key="lang")
    assert picker.value == "de" and picker.options == list(LANGUAGES.values())
    assert at.title[0].value == _in("de", TITLE) != TITLE
    assert at.query_params["lang"] == "de"
    picker.set_value("zh").run()  # (AppTest reruns only the page after a widget change: the URL is not rewritten)
    assert at.title[0].value == _in("zh", TITLE)


@pytest.mark.parametrize(("locale", "lang"), [("vi-VN", "vi"), ("de-AT", "de"), ("it", "it"), ("zh-Hant-TW", "zh"),
                                              ("fr-FR", "en"), (None, "en")])
def test_the_first_language_is_the_browsers_when_the_app_has_it(locale, lang):
    at = AppTest.from_file(APP, default_timeout=300)
    at.context["locale"] = locale
    at.run()
    assert at.sidebar.selectbox(key="lang").value == lang
    assert at.title[0].value == _in(lang, TITLE)
    assert at.query_params["lang"] == lang  # a copied link opens in the same language


def test_the_url_wins_over_the_browser():
    at = AppTest.from_file(APP, default_timeout=300)
    at.context["locale"] = "vi-VN"
    at.query_params["lang"] = "it"
    at.run()
    assert at.sidebar.selectbox(key="lang").value == "it"


def test_an_unknown_language_in_the_url_falls_back_to_english():
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["lang"] = "xx"
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="lang").value == "en"
    assert at.title[0].value == TITLE

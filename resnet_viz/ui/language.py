"""The session's language (``resnet_viz.i18n`` asks this module through ``set_language_source``) and the sidebar's
picker: the first language of a session is ``?lang=`` of its URL, else its browser's language when the app has it,
else English; the picker keeps ``?lang=`` in the URL, so a copied link opens in the same language."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from resnet_viz.i18n import DEFAULT_LANGUAGE, LANGUAGES, SESSION_KEY, _, match_language, set_language_source


def session_language() -> str | None:
    """The language of the session whose script is running in this thread (None in any other thread)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    state = ctx.session_state
    lang = state[SESSION_KEY] if SESSION_KEY in state else None
    return lang if lang in LANGUAGES else initial_language()


def initial_language() -> str:
    """A session's language before it has picked one: ``?lang=`` of its URL, else its browser's, else English."""
    try:
        lang = match_language(st.query_params.get(SESSION_KEY)) or match_language(st.context.locale)
    except Exception:  # noqa: BLE001 - no URL or browser information (a bare script run): English
        lang = None
    return lang or DEFAULT_LANGUAGE


def language_picker() -> str:
    """The sidebar's language picker; returns the language."""
    if SESSION_KEY not in st.session_state or st.session_state[SESSION_KEY] not in LANGUAGES:
        st.session_state[SESSION_KEY] = initial_language()
    lang = st.selectbox(":material/translate: " + _("Language"), list(LANGUAGES), format_func=LANGUAGES.get,
                        key=SESSION_KEY)
    if st.query_params.get(SESSION_KEY) != lang:
        st.query_params[SESSION_KEY] = lang
    return lang


set_language_source(session_language)

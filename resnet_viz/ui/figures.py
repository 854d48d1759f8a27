"""Every figure of the app goes through ``show_figure``: drawn with a PNG camera button in its toolbar,
an "Export" menu (interactive HTML, PNG, the plotted numbers as CSV), and registered for the page's
lesson pack (``lesson_pack_button``: a zip of all figures on the page with their settings and link).
Exports are built only when clicked (``st.download_button`` with a callable), on a thread of Streamlit's own:
they are built in the language of the session that drew the button (``in_language``)."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from resnet_viz.figures.exports import (
    PackItem,
    figure_html,
    figure_png,
    figure_rows,
    lesson_pack,
    png_missing,
    rows_csv,
)
from resnet_viz.i18n import DEFAULT_LANGUAGE, _, current_language, ngettext, plotly_separators, use_language

_FIGURES = "_figures"


def start_page() -> None:
    """Forget the previous run's figures (call before the page runs)."""
    st.session_state[_FIGURES] = {}


def _page() -> str:
    try:
        return st.context.url.rsplit("/", 1)[-1].split("?")[0] or "home"
    except Exception:  # noqa: BLE001 - AppTest has no URL
        return "page"


def _settings() -> dict:
    query = {k: st.query_params.get(k) for k in st.query_params}
    page = _page()
    return {"page": page, "settings": query, "link": f"/{page}" + (f"?{urlencode(query)}" if query else "")}


def in_language(build):
    """``build`` for a download's deferred callable: it runs on another thread, where it would be English, so it
    runs in this session's language."""
    lang = current_language()

    def run():
        with use_language(lang):
            return build()

    return run


def localized(fig):
    """``fig`` with the session language's decimal and group separators on its ticks and hover numbers: the one
    place they are set (the figure modules leave them out). Every figure is this session's own object (built in
    this run, or a copy from ``st.cache_data``), so it is changed in place."""
    if current_language() != DEFAULT_LANGUAGE or fig.layout.separators is not None:
        fig.update_layout(separators=plotly_separators())
    return fig


def show_figure(fig, *, key: str, width: str = "stretch", rows: list[dict] | None = None) -> None:
    """``st.plotly_chart`` plus exports; ``rows`` (default: the plotted numbers) become the CSV."""
    name = f"{_page()}-{key}"
    fig = localized(fig)
    if st.session_state.get("presenter"):
        fig = presenter_figure(fig)
    st.plotly_chart(fig, width=width, key=key,
                    config={"displaylogo": False, "toImageButtonOptions": {"filename": name, "scale": 2}})
    st.session_state.setdefault(_FIGURES, {})[key] = PackItem(name=name, fig=fig, settings=_settings(), rows=rows)
    # TRANSLATORS: the menu under every figure that downloads it (as HTML, PNG or CSV)
    with st.popover(_("Export"), icon=":material/download:"):
        st.download_button(_("Interactive HTML"), data=in_language(lambda: figure_html(fig, title=name)),
                           file_name=f"{name}.html", mime="text/html", key=f"{key}-html", on_click="ignore")
        missing = png_missing()
        if missing:
            st.caption(_("PNG: {why}. The camera icon above the figure saves a PNG from your browser.", why=missing))
        else:
            st.download_button(_("PNG image"), data=in_language(lambda: figure_png(fig)), file_name=f"{name}.png",
                               mime="image/png", key=f"{key}-png", on_click="ignore")
        st.download_button(_("Data (CSV)"),
                           data=in_language(lambda: rows_csv(rows if rows is not None else figure_rows(fig))),
                           file_name=f"{name}.csv", mime="text/csv", key=f"{key}-csv", on_click="ignore")


def presenter_figure(fig):
    """A copy of ``fig`` for a projector: larger text, thicker lines and markers, same colours."""
    import plotly.graph_objects as go

    fig = go.Figure(fig)
    size = (fig.layout.font.size or 15) + 7
    fig.update_layout(font=dict(size=size), legend=dict(font=dict(size=size)))
    for t in fig.data:
        if t.type == "scatter":
            if t.line is not None:
                t.line.width = (t.line.width or 2) * 1.8
            if t.marker is not None and isinstance(t.marker.size, (int, float)):
                t.marker.size = t.marker.size * 1.5
    fig.update_annotations(font_size=size - 2)
    return fig


def lesson_pack_button() -> None:
    """A download of every figure on this page (HTML, PNG where possible, CSV, settings) as one zip."""
    items = list(st.session_state.get(_FIGURES, {}).values())
    if not items:
        return
    about = _("A zip with every figure on this page: interactive HTML, PNG, the plotted numbers as CSV and the "
              "settings with the link that reproduces it.")
    missing = png_missing()
    if missing:
        about += " " + _("No PNG here: {why}.", why=missing)
    st.download_button(ngettext("Download lesson pack ({n} figure)", "Download lesson pack ({n} figures)", len(items)),
                       data=in_language(lambda: lesson_pack(items)[0]), file_name=f"resnet-viz-{_page()}-lesson.zip",
                       mime="application/zip", key="lesson_pack", on_click="ignore", icon=":material/folder_zip:",
                       help=about)

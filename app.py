"""resnet-viz: the Streamlit entry point (``streamlit run app.py``)."""

import streamlit as st

from resnet_viz.i18n import _
from resnet_viz.ui.access import check_page_rate
from resnet_viz.ui.common import boot, page_running, sidebar
from resnet_viz.ui.figures import lesson_pack_button, start_page

st.set_page_config(page_title=_("resnet-viz: why skip connections work"), page_icon=":material/hub:",
                   layout="wide")
boot()

pages = [
    st.Page("pages/home.py", title=_("Home"), icon=":material/home:", default=True),
    st.Page("pages/architectures.py", title=_("Architectures"), icon=":material/account_tree:"),
    st.Page("pages/gradient_flow.py", title=_("Gradient flow"), icon=":material/trending_down:"),
    st.Page("pages/degradation.py", title=_("Degradation"), icon=":material/show_chart:"),
    st.Page("pages/classify_explain.py", title=_("Classify and explain"), icon=":material/center_focus_strong:"),
    st.Page("pages/feature_maps.py", title=_("Feature maps"), icon=":material/grid_view:"),
    st.Page("pages/block_anatomy.py", title=_("Inside a block"), icon=":material/add_circle:"),
    st.Page("pages/why_it_works.py", title=_("Why it works"), icon=":material/science:"),
    st.Page("pages/your_data.py", title=_("Your data"), icon=":material/upload_file:"),
]
page = st.navigation(pages)
with page_running():  # the start-up thread's warm-up steps wait while a page script runs
    sidebar(wait_for_torch=page.url_path != "")  # Home renders before torch is loaded (see pages/home.py)
    start_page()
    check_page_rate()  # a tab that asks faster than its share gets a message, not the server's CPU
    page.run()
    with st.sidebar:
        lesson_pack_button()  # every figure the page just drew, as one zip

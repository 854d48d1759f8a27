"""Why it works: three experiments from the literature on trained twins (lesion study, shattered
gradients, loss landscape). The long computations (lesion study, loss landscape) run as background jobs
of the same CLI commands a teacher would run; only the open tab computes anything."""

import streamlit as st

from resnet_viz.i18n import _
from resnet_viz.runs.twins import twin_pairs
from resnet_viz.ui.common import header
from resnet_viz.ui.why import URL
from resnet_viz.ui.why_landscape import land_tab
from resnet_viz.ui.why_lesion import lesion_tab
from resnet_viz.ui.why_shattered import shatter_tab

header(_("Why it works"), _("Why do residual networks train so well? Three experiments that look inside trained "
                            "twins."))

pairs = {p.label(): p for p in twin_pairs()}
# the labels are the tab's value in the URL (?tab=): the Home page's lesson links use the same _() messages
tab_lesion, tab_shatter, tab_land = st.tabs([_("Lesion study"), _("Shattered gradients"), _("Loss landscape")],
                                            key="tab", **URL)

for tab, body in ((tab_lesion, lesion_tab), (tab_shatter, shatter_tab), (tab_land, land_tab)):
    with tab:
        if tab.open:  # only the open tab computes (the tab is part of the URL, so switching reruns)
            body(pairs)

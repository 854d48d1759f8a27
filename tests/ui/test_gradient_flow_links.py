"""A shared link sets the Gradient flow page's widgets."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP

pytestmark = pytest.mark.usefixtures('only_shipped_runs')


def test_a_shared_link_sets_the_gradient_flow_page():
    """The URL's query parameters set the widgets (bind="query-params"); invalid values are ignored."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/gradient_flow.py")
    at.query_params.update({"depth": "20", "bn": "false", "sweep": "false", "batch": "7"})
    at.run()
    assert not at.exception, at.exception
    assert at.select_slider(key="depth").value == 20 and at.toggle(key="bn").value is False
    assert at.select_slider(key="batch").value == 64  # 7 is not an option: the default stays
    assert at.info[0].value.startswith("The first conv layer of Plain-20 receives")
    assert "shrinks towards the input" in at.info[0].value  # no BatchNorm, as the link says

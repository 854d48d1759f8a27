"""Home's story lines carry computed numbers; the lesson links carry the settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP

pytestmark = pytest.mark.usefixtures('only_shipped_runs')


def _home_when_measured() -> AppTest:
    """Home, rerun until the start-up thread has measured every line (the page shows them as they come)."""
    import time

    from resnet_viz.lessons import home as story

    t0 = time.time()
    while not all(story.peek(fn)[0] for fn in story.STEP_FUNCTIONS) and time.time() - t0 < 240:
        if not any(t.name == "home-story" for t in __import__("threading").enumerate()):
            story.warm()
        time.sleep(0.5)
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception, at.exception
    return at


def test_home_tells_the_story_with_computed_numbers():
    at = _home_when_measured()
    lines = [m.value for m in at.markdown if m.value.startswith(":blue-background[")]
    text = "\n".join(lines)
    assert "Plain-56 and ResNet-56 both have 853,018 parameters (exactly the same)" in text
    assert "At initialisation Plain-56's first conv layer gets" in text
    from resnet_viz.runs.twins import twin_pairs

    if {p.depth for p in twin_pairs() if p.shipped} >= {20, 56}:  # the shipped runs show the degradation problem
        assert "Plain-56 ends with" in text and "more training error than Plain-20" in text
        assert "Deleting one block of the trained ResNet-56 raises its test error by a median" in text
    labels = [p.proto.label for p in at.get("page_link")]
    for label in ("Degradation", "Architectures", "Gradient flow", "Inside a block", "Classify and explain",
                  "Why it works"):
        assert label in labels


def test_home_lesson_links_carry_the_settings():
    at = AppTest.from_file(APP, default_timeout=300).run()
    links = {p.proto.label: p.proto for p in at.get("page_link")}
    lesson = links["Gradient flow at 110 layers"]
    assert lesson.page == "gradient_flow" and lesson.query_string == "depth=110"
    assert "Balduzzi et al. 2017: shattered gradients at 110 layers" in links

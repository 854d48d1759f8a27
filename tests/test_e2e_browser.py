"""The whole app in a real browser: every page renders with no exception element, screenshots saved.

Uses Debian's ``chromium`` through Playwright's ``executable_path`` (no browser download).
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os

import pytest

from .browser import CHROMIUM_ARGS, ROOT, chromium_path, running_app, wait_ready

# The first visit is a direct link to a page on a fresh server (a link a teacher shares).
PAGES = {"gradient_flow": "gradient_flow", "home": "", "architectures": "architectures",
         "classify_explain": "classify_explain",
         "degradation": "degradation", "feature_maps": "feature_maps", "block_anatomy": "block_anatomy",
         "why_it_works": "why_it_works", "your_data": "your_data"}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_every_page_renders_in_chromium(browser, tmp_path):
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    env = {"RESNET_VIZ_CACHE": str(tmp_path / "cache")}
    docs = ROOT / os.environ["RESNET_VIZ_SCREENSHOTS"] if os.environ.get("RESNET_VIZ_SCREENSHOTS") else None
    if docs:
        docs.mkdir(parents=True, exist_ok=True)
    with running_app(env) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for name, path in PAGES.items():
            page.goto(f"{url}/{path}")
            wait_ready(page)
            assert page.locator("[data-testid='stException']").count() == 0, f"exception on {name}"
            assert page.locator("h1").first.inner_text().strip()
            nav = [t.inner_text() for t in page.locator("[data-testid='stSidebarNavLink']").all()]
            assert any("Home" in t for t in nav) and any("Gradient flow" in t for t in nav), nav
            page.screenshot(path=str(out / f"page-{name}.png"), full_page=True)
            if docs:  # README screenshots: RESNET_VIZ_SCREENSHOTS=docs/screenshots python -m pytest -m browser
                page.screenshot(path=str(docs / f"{name}.png"))

        # interact: switch the block and the shortcut option on the Architectures page
        page.goto(f"{url}/architectures")
        wait_ready(page)
        page.get_by_text("B", exact=True).first.click()
        wait_ready(page)
        assert "projection shortcut" in page.locator("[data-testid='stAlert']").first.inner_text()
        assert page.locator("[data-testid='stGraphVizChart'] svg").count() == 2
        assert page.locator("[data-testid='stException']").count() == 0

        # upload a photo on the classify page: both the prediction and the explanation update
        from PIL import Image
        from skimage.data import astronaut

        Image.fromarray(astronaut()).save(tmp_path / "astronaut.jpg")
        page.goto(f"{url}/classify_explain")
        wait_ready(page, 180_000)
        page.get_by_text("upload", exact=True).first.click()
        wait_ready(page, 180_000)
        page.locator("input[type='file']").first.set_input_files(str(tmp_path / "astronaut.jpg"))
        page.wait_for_selector("[data-testid='stFileChip']", timeout=60_000)
        wait_ready(page, 180_000)
        assert " says " in page.locator("[data-testid='stAlert']").first.inner_text()
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(out / "page-classify_explain-upload.png"), full_page=True)

        # move the depth slider on the gradient-flow page with the keyboard; the sentence follows
        page.goto(f"{url}/gradient_flow")
        wait_ready(page, 180_000)
        assert "Plain-56" in page.locator("[data-testid='stAlert']").first.inner_text()
        page.get_by_role("slider").first.focus()
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("document.querySelector(\"[data-testid='stAlert']\").innerText.includes('Plain-44')",
                               timeout=180_000)
        wait_ready(page, 180_000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert "depth=44" in page.url  # the address now reproduces the figure (bind="query-params")
        page.screenshot(path=str(out / "page-gradient_flow-44.png"), full_page=True)

        # a shared lesson link opens the shattered-gradients tab with its settings
        page.goto(f"{url}/why_it_works?tab=Shattered+gradients&sh_depth=20&sh_n=64")
        wait_ready(page, 180_000)
        alerts = " ".join(a.inner_text() for a in page.locator("[data-testid='stAlert']").all())
        assert "At 20 layers, gradients at neighbouring points of the line correlate" in alerts
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(out / "page-why_it_works-shattered.png"), full_page=True)

        # your data: train the twins on the built-in example in the background; the results appear by themselves
        page.goto(f"{url}/your_data")
        wait_ready(page, 180_000)
        # README screenshots show a run long enough to mean something; the plain test run is short
        page.get_by_label("Epochs").fill("15" if docs else "3")
        page.keyboard.press("Enter")
        wait_ready(page, 180_000)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Results of").wait_for(timeout=900_000 if docs else 300_000)
        wait_ready(page, 180_000)
        alerts = " ".join(a.inner_text() for a in page.locator("[data-testid='stAlert']").all())
        assert "of the 120 held-out images correctly" in alerts, alerts
        assert page.locator("[data-testid='stException']").count() == 0
        page.get_by_text("3. Where each net goes wrong").scroll_into_view_if_needed()
        page.screenshot(path=str(out / "page-your_data-results.png"))
        if docs:
            page.screenshot(path=str(docs / "your_data-results.png"))
            # Home once every story line is measured (the first visit above shows them being measured)
            page.goto(url)
            wait_ready(page, 180_000)
            page.wait_for_function("!document.body.innerText.includes('Measuring on the shipped networks')",
                                   timeout=300_000)
            wait_ready(page, 180_000)
            page.screenshot(path=str(docs / "home.png"))
        page.close()


def test_the_app_speaks_the_browsers_language_and_keeps_it_in_the_url(browser, tmp_path):
    from resnet_viz.i18n import _, use_language

    def words(lang):
        with use_language(lang):
            return {"home": _("Home"), "title": _("resnet-viz: why do skip connections work?"),
                    "gradient": _("Gradient flow")}

    vi, de = words("vi"), words("de")
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    with running_app({"RESNET_VIZ_CACHE": str(tmp_path / "cache")}) as url:
        context = browser.new_context(locale="vi-VN", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)  # a Vietnamese browser: the app starts in Vietnamese and says so in the address
        wait_ready(page, 180_000, home=vi["home"])
        assert page.locator("h1").first.inner_text().strip() == vi["title"]
        page.wait_for_function("location.search.includes('lang=vi')", timeout=30_000)
        page.screenshot(path=str(out / "page-home-vi.png"), full_page=True)

        # the picker switches the whole app, the address follows, and the language stays on the next page
        page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name="Deutsch").click()
        wait_ready(page, 180_000, home=de["home"])
        assert page.locator("h1").first.inner_text().strip() == de["title"]
        page.wait_for_function("location.search.includes('lang=de')", timeout=30_000)
        page.locator("[data-testid='stSidebarNavLink']", has_text=de["gradient"]).first.click()
        wait_ready(page, 180_000, home=de["home"])
        page.wait_for_function("location.pathname.endsWith('/gradient_flow') && location.search.includes('lang=de')",
                               timeout=60_000)
        assert page.locator("h1").first.inner_text().strip() == de["gradient"]
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(out / "page-gradient_flow-de.png"), full_page=True)
        context.close()


def test_a_classroom_server_keeps_teacher_actions_behind_the_secret(browser, tmp_path):
    """Served on every interface with a teacher secret: a student is refused server folders with the reason; the
    sidebar's login form with the right secret makes the session the teacher (and only that session)."""
    env = {"RESNET_VIZ_CACHE": str(tmp_path / "cache"), "RESNET_VIZ_TEACHER_SECRET": "s3cret",
           "RESNET_VIZ_DATA_ROOTS": str(tmp_path)}
    with running_app(env, address="0.0.0.0") as url:
        teacher, student = browser.new_page(), browser.new_context().new_page()
        for page in (teacher, student):
            page.goto(f"{url}/your_data?yd_source=folder+on+this+server")
            wait_ready(page, 120_000)
            assert "Reading a folder on the server is a teacher action" in page.locator(".stMain").inner_text()
            assert page.locator(".st-key-yd_folder").count() == 0
        teacher.get_by_text("Role: student").click()
        teacher.get_by_label("Teacher secret").fill("wrong")
        teacher.get_by_role("button", name="Log in").click()
        teacher.get_by_text("That is not the teacher secret.").wait_for()
        teacher.get_by_label("Teacher secret").fill("s3cret")
        teacher.get_by_role("button", name="Log in").click()
        teacher.locator(".st-key-yd_folder input").wait_for(timeout=60_000)
        wait_ready(teacher)
        teacher.locator(".st-key-yd_folder input").fill("/etc")
        teacher.keyboard.press("Enter")
        teacher.get_by_text("is outside the folders this server shares").wait_for(timeout=60_000)
        student.reload()
        wait_ready(student, 120_000)
        assert student.locator(".st-key-yd_folder").count() == 0  # the other session is still a student
        assert teacher.locator("[data-testid='stException']").count() == 0

"""The only Streamlit-aware code: cached loaders, the shared sidebar, reusable widgets.

Importing the package tells ``resnet_viz.i18n`` where a session's language comes from (``ui.language``)."""

from resnet_viz.ui import language as _language  # noqa: F401 - registers the session's language source

"""The only Streamlit-aware code: cached loaders, the shared sidebar, reusable widgets."""

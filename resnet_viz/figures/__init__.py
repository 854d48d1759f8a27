"""Figure builders (data in, plotly figure out), the app's colours, and exports (HTML, PNG, CSV, lesson pack)."""

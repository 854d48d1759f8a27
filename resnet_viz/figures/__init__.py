"""Figure builders (data in, plotly figure or Graphviz DOT out), one module per topic: ``style`` (the app's colours
and layout helpers), ``architecture``, ``gradients``, ``training``, ``images``, ``why`` and ``yourdata``; and
``exports`` (HTML, PNG, CSV, lesson pack)."""

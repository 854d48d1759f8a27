"""resnet-viz: see, on real networks and real data, why skip connections work.

The library knows nothing of Streamlit: pages in ``pages/`` read widgets, call into this
package and show what it returns. ``python -m resnet_viz`` is the command-line interface.
"""

__version__ = "0.1.0"

"""``python -m resnet_viz``: the command-line interface."""

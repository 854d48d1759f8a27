"""``python -m resnet_viz``: the command-line interface's entry point.

Every command that prints data takes ``--json``. Errors print one line to stderr and exit 2; an interrupt exits
130. :func:`main` takes the arguments as a list, so the app's background jobs can run a command in-process.
"""

from __future__ import annotations

import os
import sys

from resnet_viz.cli.common import EXIT_ERROR, CliError, command_line
from resnet_viz.cli.parser import build_parser
from resnet_viz.cli.training import cmd_train


def main(argv: list[str] | None = None) -> int:
    from resnet_viz.data.datasets import DataUnavailable
    from resnet_viz.data.images import ImageError
    from resnet_viz.env import configure_threads
    from resnet_viz.i18n import set_default_language
    from resnet_viz.models.registry import UnknownModel
    from resnet_viz.models.weights import WeightsError, WeightsUnavailable

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command_line = command_line(argv)
    set_default_language(args.lang)
    configure_threads()
    try:
        return args.fn(args, argv) if args.fn is cmd_train else args.fn(args)
    except (CliError, UnknownModel, WeightsError, WeightsUnavailable, DataUnavailable, ImageError,
            ValueError, RuntimeError, OSError, PermissionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (RESNET_VIZ_DEBUG=1 shows it)
        if os.environ.get("RESNET_VIZ_DEBUG"):
            raise
        print(f"error: unexpected {type(e).__name__}: {e} (set RESNET_VIZ_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_ERROR

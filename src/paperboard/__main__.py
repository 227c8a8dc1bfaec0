"""``python -m paperboard`` is the ``paperboard`` command."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "--version":
    from paperboard import __version__

    print(f"paperboard {__version__}")
    sys.exit(0)

from paperboard.cli.app import main

main()

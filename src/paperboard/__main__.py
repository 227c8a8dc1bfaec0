"""``python -m paperboard`` is the ``paperboard`` command."""

from paperboard.cli.app import main

main()

"""``python -m chelscreen`` == ``chelscreen``."""

from chelscreen.cli import main

main()

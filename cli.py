"""Thin shim: ``python cli.py ARGS`` behaves exactly like ``chelscreen ARGS``."""

from chelscreen.cli import main

if __name__ == "__main__":
    main()

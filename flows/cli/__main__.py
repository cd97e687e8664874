"""``python -m flows.cli`` runs the promptloop CLI (the same as the ``promptloop`` script)."""

from flows.cli.main import run

run()

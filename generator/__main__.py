"""`python -m generator` runs the growthlog command line."""

from generator.cli import run

run()

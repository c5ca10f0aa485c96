"""`python -m generator` runs the growthlog command line."""

from generator.cli import main

main()

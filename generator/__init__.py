"""growthlog: a private static site for a personal growth log."""

__version__ = "0.1.0"

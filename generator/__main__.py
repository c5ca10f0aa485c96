"""`python -m generator`, and the `growthlog` program: the command line (cli.run)."""

import gc


def main() -> None:
    """The command line, without Python's cycle collector from before its first import
    (cli.run says why): the imports alone set off some twenty collections."""
    gc.disable()
    from generator.cli import run

    run()


if __name__ == "__main__":
    main()

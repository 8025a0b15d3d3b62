"""``python -m salesfmt``."""

from salesfmt.cli import main

if __name__ == "__main__":
    main()

import sys

from cati.cli import main

if __name__ == "__main__":  # worker processes of an import import this module too
    sys.exit(main())

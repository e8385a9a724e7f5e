"""``python -m itsm_async.cli``: the ``itsm`` command."""

from . import main

if __name__ == "__main__":
    main()

"""``python -m nnaudio_cli``: same as the ``nnaudio`` console script."""

from ._main import main

raise SystemExit(main())

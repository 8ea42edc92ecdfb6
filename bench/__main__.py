"""``python -m bench``: run the benchmark (see :mod:`bench.run`)."""

from .run import main

raise SystemExit(main())

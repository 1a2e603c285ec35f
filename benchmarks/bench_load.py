"""The load benchmark (``benchmarks/load/``) under the name the smoke suite looks for.

``make bench-load`` runs it at full size; ``--smoke`` runs a few virtual users for a few
seconds against the whole stack (gunicorn, a Celery worker, PostgreSQL, Redis), so a broken
load benchmark fails ``make test``. See ``benchmarks/load/run.py`` for what it measures.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load.run import main

if __name__ == "__main__":
    sys.exit(main())

"""The kernel behind every course page: ipykernel, without the debugger no page ever uses.

ipykernel imports debugpy and pydevd at start whenever they are installed (about 100 modules),
so that JupyterLab can offer its debugger; a Voila page has no debugger. Without them a page's
kernel holds 32 MB of its own memory (USS) instead of 59 MB, and starts sooner
(``benchmarks/page_speed.py``). The course's Jupyter path (``course/share/jupyter``, which
`course serve` and the hub's servers put first) names this module as the ``python3`` kernel.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    sys.modules["debugpy"] = None  # ipykernel offers its debugger only when debugpy imports
    # As ipykernel's own launcher: the working folder off the import path while ipykernel loads
    # (IPython puts it back, as for any kernel).
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()

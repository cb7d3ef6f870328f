"""The 0.24 compat app (tests/compat/compat_app.py) as a node-style command.

That app, as written for 0.24, serves `/golem/work` (its process form reads
the work dir from COMPAT_APP_WORK_DIR); this shim takes `--work-dir DIR`
from the command line the kit gives and runs the app unchanged as `__main__`.
"""

import os
import runpy
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "compat" / "compat_app.py"

if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--work-dir" in argv:
        at = argv.index("--work-dir")
        os.environ["COMPAT_APP_WORK_DIR"] = argv[at + 1]
        del argv[at : at + 2]
    sys.argv = [str(APP), *argv]
    runpy.run_path(str(APP), run_name="__main__")

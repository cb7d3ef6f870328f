"""An app whose import starts a thread: it must not be forked (fork-server tests)."""

import threading
import time

from probe_app import main

_sleeper = threading.Thread(target=time.sleep, args=(3600,), daemon=True)
_sleeper.start()

if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

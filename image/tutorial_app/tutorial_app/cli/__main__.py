"""`python -m tutorial_app.cli`."""

import sys

from tutorial_app.cli.parser import main

sys.exit(main())

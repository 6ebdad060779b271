"""`python -m automation` is the same program as `image-automation`."""

import sys

from automation.cli import main

sys.exit(main())

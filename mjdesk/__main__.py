"""``python -m mjdesk``."""

import sys

from mjdesk.app import main

sys.exit(main())

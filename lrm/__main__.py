import sys

from lrm.cli import main

sys.exit(main())

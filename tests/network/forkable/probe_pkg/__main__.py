import sys

from probe_app import main

main(sys.argv[1:])

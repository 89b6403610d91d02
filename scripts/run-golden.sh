#!/bin/sh
# Golden CLI transcripts and `opencmed -n` outputs (tests/cli/golden.py).
exec /usr/bin/python3 tests/cli/golden.py "$1"

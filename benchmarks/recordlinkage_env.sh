#!/bin/sh
# A separate environment with recordlinkage 0.16 (the Python Record Linkage Toolkit), used only to
# write the reference matches on the Febrl data (benchmarks/febrl_reference.py). recordlinkage
# needs pandas < 3, so it gets its own environment and is never a dependency of custlab.
set -e
ENV=${1:-benchmarks/.recordlinkage-env}
python3 -m venv "$ENV"
"$ENV/bin/pip" install --quiet "pandas>=2,<3" "recordlinkage==0.16"
echo "$ENV"

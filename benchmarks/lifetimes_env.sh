#!/bin/sh
# A separate environment with lifetimes 0.11.3, used only as the speed reference in benchmarks/rfm.py.
# lifetimes is unmaintained: it imports pkg_resources (gone in setuptools 81) and predates pandas 2,
# so it gets its own old stack here and is never a dependency of custlab.
set -e
ENV=${1:-benchmarks/.lifetimes-env}
python3 -m venv "$ENV"
"$ENV/bin/pip" install --quiet "setuptools<81" "numpy<2" "pandas>=1.5,<2" "scipy<1.14" "pyarrow<17" "lifetimes==0.11.3"
echo "$ENV"

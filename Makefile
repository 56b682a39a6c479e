# BehaviorKit: the two commands of a fresh machine are `make run` and `make test`.
SWIFT ?= swift
PYTHON ?= python3
VENV ?= .venv
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

SWIFT_SOURCES := Sources Tests benchmarks/Swift fuzz/Sources fuzz/Package.swift Package.swift

.PHONY: run test lint format bench bench-ingest bench-next-item bench-video bench-classify bench-outcomes bench-represent bench-forecast bench-serve bench-drift bench-pseudonyms bench-dp deps fixtures clean

## Installs the system libraries the build needs (OpenBLAS, SQLite, zlib) with apt-get when absent.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists openblas sqlite3 zlib; then \
		echo "Installing libopenblas-dev, libsqlite3-dev, zlib1g-dev and pkg-config with apt-get..."; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq libopenblas-dev libsqlite3-dev zlib1g-dev pkg-config; \
	fi

## The main job: a release build and the quickstart (simulated shop -> behavior.db -> SASRec -> recommendations).
run: deps
	$(SWIFT) run -c release behave quickstart

## The test suite (debug build, Swift Testing), beside a throwaway PostgreSQL cluster on loopback for the
## PostgreSQL store tests (installed with apt-get when absent; those tests say they are skipped without it).
test: deps
	scripts/with-test-postgres.sh $(SWIFT) test

## Style check with the toolchain's swift-format and the repo's .swift-format (CI runs it).
lint:
	$(SWIFT) format lint --strict --recursive $(SWIFT_SOURCES)

## Rewrites the Swift sources in the repo's style.
format:
	$(SWIFT) format format --in-place --recursive $(SWIFT_SOURCES)

## Side-by-side benchmarks against PyTorch (sets up a PyTorch virtualenv when absent).
bench: deps
	$(SWIFT) build -c release --product behave-bench
	@if ! $(VENV)/bin/python -c "import torch" >/dev/null 2>&1; then \
		echo "Creating $(VENV) with PyTorch (about 5 GB, a few minutes)..."; \
		$(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install -q torch numpy safetensors; \
	fi
	$(VENV)/bin/python benchmarks/compare.py --swift-bin .build/release/behave-bench --python $(VENV)/bin/python \
		--json-out benchmarks/results.json --markdown

## Ingest benchmark: 10M simulated events through behave ingest and sqlite3 .import.
bench-ingest: deps
	$(SWIFT) build -c release --product behave
	$(PYTHON) benchmarks/ingest_bench.py --behave .build/release/behave

## Next-item benchmark on MovieLens-100K against the RecBole / pmixer reference runs, defaults on five seeds (about 2 hours).
bench-next-item: deps
	$(SWIFT) build -c release --product behave
	$(SWIFT) build -c release --product behave-bench
	@if ! $(VENV)/bin/python -c "import torch" >/dev/null 2>&1; then \
		echo "Creating $(VENV) with PyTorch (about 5 GB, a few minutes)..."; \
		$(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install -q torch numpy safetensors; \
	fi
	$(PYTHON) benchmarks/next_item_bench.py --behave .build/release/behave --bench .build/release/behave-bench \
		--python $(VENV)/bin/python --data ../shared/data/ml-100k/ml-100k.inter

## Next-item defaults on the SASRec paper's Amazon Video data (VIDEO=path to kang205/SASRec's data/Video.txt).
VIDEO ?= ../shared/data/Video.txt
bench-video: deps
	$(SWIFT) build -c release --product behave
	$(PYTHON) benchmarks/video_bench.py --behave .build/release/behave --data $(VIDEO)

## Table classification on the UCI shoppers data: MLP vs tuned GBT on the same split, speed, 1M-row scoring.
bench-classify: deps
	$(SWIFT) build -c release --product behave
	$(SWIFT) build -c release --product behave-bench
	@if ! $(VENV)/bin/python -c "import torch, sklearn" >/dev/null 2>&1; then \
		echo "Setting up $(VENV) with PyTorch and scikit-learn (about 5 GB, a few minutes)..."; \
		[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV); \
		$(VENV)/bin/pip install -q torch numpy safetensors scikit-learn; \
	fi
	$(PYTHON) benchmarks/classify_bench.py --behave .build/release/behave --bench .build/release/behave-bench \
		--python $(VENV)/bin/python

## Purchase prediction on simulated logs: LSTM/GRU/CNN vs the MLP on aggregates vs logistic regression (about 15 minutes).
bench-outcomes: deps
	$(SWIFT) build -c release --product behave
	$(PYTHON) benchmarks/outcome_bench.py --behave .build/release/behave

## Issue 12: anomalies on six ODDS tables against scikit-learn, isolation forest and k-means speed, segments on
## the UCI Online Retail log against RFM, planted segments and anomalies on the simulator (about 20 minutes).
bench-represent: deps
	$(SWIFT) build -c release --product behave
	$(SWIFT) build -c release --product behave-bench
	@if ! $(VENV)/bin/python -c "import sklearn" >/dev/null 2>&1; then \
		echo "Setting up $(VENV) with scikit-learn..."; \
		[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV); \
		$(VENV)/bin/pip install -q numpy scikit-learn; \
	fi
	$(VENV)/bin/python benchmarks/anomaly_bench.py --behave .build/release/behave --bench .build/release/behave-bench
	$(PYTHON) benchmarks/retail_segments_bench.py --behave .build/release/behave
	$(PYTHON) benchmarks/represent_bench.py --behave .build/release/behave --distinct-segments

## Forecasting against statsforecast and statsmodels: accuracy on public and simulated daily series, auto-ARIMA speed.
bench-forecast: deps
	$(SWIFT) build -c release --product behave
	$(SWIFT) build -c release --product behave-bench
	@if ! $(VENV)/bin/python -c "import statsforecast, statsmodels" >/dev/null 2>&1; then \
		echo "Setting up $(VENV) with statsforecast and statsmodels..."; \
		[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV); \
		$(VENV)/bin/pip install -q numpy pandas statsforecast statsmodels; \
	fi
	$(VENV)/bin/python benchmarks/forecast_bench.py --behave .build/release/behave --bench .build/release/behave-bench \
		--parts orders,parity,holidays,accuracy,speed

## The scoring server under wrk: table MLP score, SASRec recommend on MovieLens-100K, promotions under load, then the
## same models on FastAPI + uvicorn + PyTorch side by side (about 9 minutes); then event ingestion over HTTP into
## SQLite and PostgreSQL against psql \copy, kill -9 during ingestion, two servers on one PostgreSQL store (about
## 20 minutes; ingest_http_bench.py --parts ingest,kill,scaleout runs some of them).
bench-serve: deps
	$(SWIFT) build -c release --product behave
	@command -v wrk >/dev/null 2>&1 || { echo "Installing wrk with apt-get..."; $(SUDO) apt-get install -y -qq wrk; }
	@command -v sqlite3 >/dev/null 2>&1 || { echo "Installing sqlite3 with apt-get..."; $(SUDO) apt-get install -y -qq sqlite3; }
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then \
		echo "Installing PostgreSQL with apt-get..."; $(SUDO) apt-get install -y -qq postgresql; \
	fi
	@if ! $(VENV)/bin/python -c "import torch, fastapi, uvicorn, safetensors" >/dev/null 2>&1; then \
		echo "Setting up $(VENV) with PyTorch, FastAPI and uvicorn (about 5 GB, a few minutes)..."; \
		[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV); \
		$(VENV)/bin/pip install -q -r benchmarks/serve_python/requirements.txt; \
	fi
	$(PYTHON) benchmarks/serve_bench.py --behave .build/release/behave --data ../shared/data/ml-100k/ml-100k.inter \
		--python $(VENV)/bin/python
	$(PYTHON) benchmarks/ingest_http_bench.py --behave .build/release/behave --data ../shared/data/ml-100k/ml-100k.inter

## Drift checks at 1,000 features x 100,000 rows: report time, false alarms and detection, against Evidently.
bench-drift: deps
	$(SWIFT) build -c release --product behave-bench
	@if ! $(VENV)/bin/python -c "import evidently" >/dev/null 2>&1; then \
		echo "Setting up $(VENV) with Evidently..."; \
		[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV); \
		$(VENV)/bin/pip install -q evidently; \
	fi
	$(VENV)/bin/python benchmarks/drift_bench.py

## Pseudonymisation speed: BehaviorKit's HMAC-SHA256 pseudonyms against Python's hmac (standard library only).
bench-pseudonyms: deps
	$(SWIFT) build -c release --product behave-bench
	$(PYTHON) benchmarks/privacy/pseudonym_bench.py --bench .build/release/behave-bench

## DP-SGD: test ROC-AUC at ε 8 / 3 / 1 against non-private training (simulated purchase, Online Shoppers
## table; seeds 1-3, about 5 minutes), private recommenders, embeddings and series (forecast sMAPE), and the
## private step's cost beside Opacus (installs opacus in the venv).
bench-dp: deps
	$(SWIFT) build -c release --product behave-bench
	$(SWIFT) build -c release --product behave
	$(PYTHON) benchmarks/privacy/dp_utility_bench.py --behave .build/release/behave
	$(PYTHON) benchmarks/privacy/private_models_bench.py --behave .build/release/behave --simulate 1,2,3 \
		--ml-100k ../shared/data/ml-100k --embed-models vae,seq-vae
	$(PYTHON) benchmarks/privacy/private_series_bench.py --behave .build/release/behave --simulate 1,2,3 \
		--ml-100k ../shared/data/ml-100k --metrics dau,events,revenue
	@if ! $(VENV)/bin/python -c "import torch, opacus" >/dev/null 2>&1; then \
		[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV); \
		$(VENV)/bin/pip install -q torch numpy safetensors opacus; \
	fi
	$(VENV)/bin/python benchmarks/privacy/dp_cost_bench.py --swift-bin .build/release/behave-bench \
		--python $(VENV)/bin/python --networks mlp,lstm --threads 1,2 --omp-wait-policy PASSIVE

## Regenerates the PyTorch golden files used by the parity tests.
fixtures:
	$(VENV)/bin/python Tests/NeuralNetTests/Fixtures/make_fixtures.py

clean:
	rm -rf .build

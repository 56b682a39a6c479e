#!/usr/bin/env python3
"""What a Python team would deploy in place of `behave serve` (issue 14): FastAPI on uvicorn,
the models re-implemented in PyTorch and loaded from the same registry bundles.

Usage (the API key comes from the environment, not the command line, so `ps` does not show it):

    BEHAVE_API_KEY=KEY python app.py --registry REGISTRY [--host 127.0.0.1] [--port 8081]

Serves the live version of every registry model it can read (table classifiers from
`behave train classify`, SASRec from `behave train next-item`; other kinds are listed as refused
on /readyz) at the paths and with the answers of `behave serve`:

    GET  /healthz, /readyz
    POST /v1/models/{name}/score       {"rows": [{column: value, ...}, ...]}
    POST /v1/models/{name}/recommend   {"history": [item ids, oldest first], "k": 10, "exclude_seen": false}

Everything a prediction needs is read from the bundle: `config.json` (the fitted table encoder,
the threshold, the network's shape), `weights.safetensors` (loaded with `load_state_dict`, so a
name or shape that differs from the modules below stops the start) and `items.json`. The
forward passes follow Sources/Classifiers (`makeTabularNetwork`, `probabilities`),
Sources/EventData/Tables/TableEncoder.swift and Sources/Recommenders/Models/SASRec.swift
(`lastFeatures`); the benchmark (../serve_bench.py) checks the answers against `behave serve`.

Not reproduced: requests for store users (`{"user": ...}`, `{"users": ...}`) answer 400 as
`behave serve` does without --store; no hot reload of the registry; no /metrics; no request
body limit or concurrency slots (uvicorn's defaults).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hmac
import importlib.util
import json
import logging
import math
import os
from pathlib import Path
from typing import Annotated, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
import uvicorn
from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StrictBool, StrictFloat, StrictInt, StrictStr
from safetensors.torch import load_file

# One intra-op thread, as `behave serve` held to one core computes; a second pool of threads
# would only compete with the event loop for that core.
torch.set_num_threads(1)
torch.set_num_interop_threads(1)

log = logging.getLogger("serve_python")

# The limits of `behave serve` (ServingContext's defaults).
MAXIMUM_ROWS = 10_000
MAXIMUM_HISTORY = 1_000
MAXIMUM_K = 1_000


class APIProblem(Exception):
    """An answer other than success, sent as {"error": {"code", "message", "field"}} like
    Sources/ScoringServer/APIError.swift."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    @classmethod
    def bad_request(cls, message: str, field: str | None = None) -> "APIProblem":
        return cls(400, "bad_request", message, field)

    def response(self) -> JSONResponse:
        detail = {"code": self.code, "message": self.message}
        if self.field is not None:
            detail["field"] = self.field
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": detail}, status_code=self.status, headers=headers)


# ---------------------------------------------------------------------------------------------
# Table classifier: TableEncoder + the MLP of makeTabularNetwork
# ---------------------------------------------------------------------------------------------

MISSING_WORDS = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
TRUE_WORDS = {"true", "yes", "t", "y"}
FALSE_WORDS = {"false", "no", "f", "n"}
MONTHS = {}
for _index, _name in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                "september", "october", "november", "december"]):
    MONTHS[_name] = MONTHS[_name[:3]] = _index
MONTHS["sept"] = 8
WEEKDAYS = {}
for _index, _name in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]):
    WEEKDAYS[_name] = WEEKDAYS[_name[:3]] = _index
WEEKDAYS.update({"tues": 1, "thur": 3, "thurs": 3})
# A double at or beyond this rounds to infinity as a float32 (FLT_MAX plus half an ulp).
FLOAT32_OVERFLOW = 2.0**128 - 2.0**103


def is_missing(text: str) -> bool:
    """TableValues.isMissing: empty or one of the missing words, trimmed and in any case. Like
    the Swift version, only cells of at most 8 bytes starting with n, N, ?, -, space or tab are
    looked at (the others cannot be missing words)."""
    if not text:
        return True
    if text[0] not in "nN?- \t" or len(text.encode()) > 8:
        return False
    return text.strip(" \t").lower() in MISSING_WORDS


def parse_number(text: str) -> float | None:
    """TableValues.number: a finite number, surrounding spaces allowed. Python's float() also
    reads underscores ("1_000"), which Swift's Double(String) does not; they are refused here."""
    text = text.strip(" \t")
    if "_" in text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class TableError(Exception):
    """A cell the fitted encoder cannot use (TableValueError)."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column


class TableEncoder:
    """The fitted transform of a classifier's config.json (`encoder.columns`), cell by cell as
    Sources/EventData/Tables/TableEncoder.swift `encode(_:positions:)` does it. Arithmetic is in
    double precision and each feature is rounded to float32 at the end, as there."""

    def __init__(self, columns: list[dict]):
        self.columns = columns
        self.needed = [column["name"] for column in columns if column["kind"] != "ignored"]
        for column in columns:
            # Slot lookup instead of Swift's linear firstIndex; same first-match result.
            column["slots"] = {}
            for slot, category in enumerate(column.get("categories", [])):
                column["slots"].setdefault(category, slot)

    @staticmethod
    def cell_text(value) -> str:
        """A JSON value as the cell text `behave serve` reads (RequestDecoding.swift): strings as
        they are, true/false, "" for null; numbers as Python writes them (Swift keeps the JSON
        text, which can differ, e.g. 1e5 against 100000.0: only matters for categorical columns)."""
        if value is None:
            return ""
        if value is True:
            return "true"
        if value is False:
            return "false"
        return value if isinstance(value, str) else repr(value)

    def encode(self, row: dict) -> list[float]:
        features: list[float] = []
        for column in self.columns:
            name, kind = column["name"], column["kind"]
            value = row.get(name)
            # A JSON number in a numeric column is used as parsed (same double as Swift's parse of
            # its text); anything else goes through the cell text.
            number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            text = "" if number is not None else self.cell_text(value)
            missing = number is None and is_missing(text)
            if kind == "numeric":
                if missing:
                    raw = column["fill"]
                else:
                    raw = number if number is not None and math.isfinite(number) else parse_number(text)
                    if raw is None:
                        raise TableError(name, f"column '{name}': '{text or value}' is not a number")
                if column["logTransform"]:
                    raw = math.log1p(max(raw, 0.0))
                feature = (raw - column["mean"]) / column["deviation"] if column["deviation"] > 0 else 0.0
                if not math.isfinite(feature) or abs(feature) >= FLOAT32_OVERFLOW:
                    raise TableError(
                        name, f"column '{name}': '{text or value}' is too far outside the training values to "
                              "scale; check the value")
                features.append(feature)
            elif kind == "categorical":
                if number is not None:
                    text = self.cell_text(value)
                category = (column.get("fillCategory") or "") if missing else text.strip(" \t")
                slot = column["slots"].get(category, len(column["categories"]))
                one_hot = [0.0] * (len(column["categories"]) + 1)
                one_hot[slot] = 1.0
                features += one_hot
            elif kind in ("boolean", "month", "weekday"):
                if number is not None:
                    text = self.cell_text(value)
                if missing:
                    parsed = column["fill"]
                else:
                    word = text.strip(" \t").lower()
                    if kind == "boolean":
                        parsed = 1.0 if word in TRUE_WORDS else 0.0 if word in FALSE_WORDS else None
                    else:
                        parsed = (MONTHS if kind == "month" else WEEKDAYS).get(word)
                    if parsed is None:
                        expected = "a boolean value" if kind == "boolean" else f"a {kind} value"
                        raise TableError(name, f"column '{name}': '{text}' is not {expected}")
                if kind == "boolean":
                    features.append(float(parsed))
                else:
                    angle = 2 * math.pi * parsed / (12 if kind == "month" else 7)
                    features += [math.sin(angle), math.cos(angle)]
            if column["indicatesMissing"]:
                features.append(1.0 if missing else 0.0)
        return features


def tabular_network(config: dict, width: int) -> nn.Sequential:
    """makeTabularNetwork: Linear, ReLU (and Dropout when the config has one) per hidden layer,
    then Linear to one logit. The Sequential's indexes are those of the weights file
    (`model.0`, `model.3`, `model.6` with dropout)."""
    layers: list[nn.Module] = []
    for hidden in config["hiddenSizes"] if config["model"] == "mlp" else []:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        if config["dropout"] > 0:
            layers.append(nn.Dropout(config["dropout"]))
        width = hidden
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


class TableClassifierModel:
    """A `behave train classify` bundle behind /score (TableClassifierServing.swift)."""

    task = "classify"

    def __init__(self, directory: Path):
        manifest = json.loads((directory / "config.json").read_text())
        self.encoder = TableEncoder(manifest["encoder"]["columns"])
        self.threshold = float(manifest["threshold"])
        width = sum(self.column_width(column) for column in self.encoder.columns)
        self.network = tabular_network(manifest["config"], width)
        weights = load_file(directory / "weights.safetensors")
        # The file holds the model under "model." and its logistic baseline under "baseline.".
        self.network.load_state_dict(
            {key.removeprefix("model."): tensor.float() for key, tensor in weights.items() if key.startswith("model.")},
            strict=True)
        self.network.eval()

    @staticmethod
    def column_width(column: dict) -> int:
        base = {"numeric": 1, "boolean": 1, "month": 2, "weekday": 2, "ignored": 0}.get(
            column["kind"], len(column.get("categories", [])) + 1)
        return base + (1 if column["indicatesMissing"] else 0)

    def score(self, rows: list[dict]) -> dict:
        features = []
        for index, row in enumerate(rows):
            missing = next((name for name in self.encoder.needed if name not in row), None)
            if missing is not None:
                raise APIProblem.bad_request(
                    f"row {index} lacks column {missing}; the model needs {', '.join(self.encoder.needed)} "
                    "(null for a missing value)", f"rows[{index}].{missing}")
            try:
                features.append(self.encoder.encode(row))
            except TableError as error:
                raise APIProblem.bad_request(f"row {index}: {error}", f"rows[{index}].{error.column}") from None
        with torch.inference_mode():
            probabilities = torch.sigmoid(self.network(torch.tensor(features, dtype=torch.float32)))[:, 0].tolist()
        for index, probability in enumerate(probabilities):
            if not math.isfinite(probability):
                raise APIProblem.bad_request(
                    f"row {index}: the model's output is not a number; check the row for extreme values",
                    f"rows[{index}]")
        return {"scores": [{"decision": p >= self.threshold, "probability": p} for p in probabilities],
                "threshold": self.threshold}


# ---------------------------------------------------------------------------------------------
# SASRec: Sources/Recommenders/Models/SASRec.swift, module names = weight names
# ---------------------------------------------------------------------------------------------


class Attention(nn.Module):
    """MultiHeadAttention.swift (numerically PyTorch's nn.MultiheadAttention): q, k, v
    projections stacked in `inputWeight`/`inputBias`, scaled dot-product attention per head (a
    causal mask for self-attention over the whole history), heads merged by `output`."""

    def __init__(self, dimension: int, heads: int):
        super().__init__()
        self.heads = heads
        self.inputWeight = nn.Parameter(torch.empty(3 * dimension, dimension))
        self.inputBias = nn.Parameter(torch.empty(3 * dimension))
        self.output = nn.Linear(dimension, dimension)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, causal: bool) -> torch.Tensor:
        batch, query_length, dimension = query.shape
        key_length, head_width = keys.shape[1], dimension // self.heads
        if query is keys:
            q, k, v = F.linear(query, self.inputWeight, self.inputBias).chunk(3, dim=-1)
        else:
            w_q, w_kv = self.inputWeight.split([dimension, 2 * dimension])
            b_q, b_kv = self.inputBias.split([dimension, 2 * dimension])
            q = F.linear(query, w_q, b_q)
            k, v = F.linear(keys, w_kv, b_kv).chunk(2, dim=-1)

        def split_heads(x: torch.Tensor, length: int) -> torch.Tensor:  # [B, T, E] -> [B, H, T, Dh]
            return x.view(batch, length, self.heads, head_width).transpose(1, 2)

        # PyTorch's fused attention: softmax(q k^T / sqrt(Dh)) v, with -inf above the diagonal
        # when causal. MultiHeadAttention.swift's -1e9 gives the same weights here: every query
        # has key 0 unmasked, so a masked key's exp() underflows to exactly 0 either way.
        context = F.scaled_dot_product_attention(
            split_heads(q, query_length), split_heads(k, key_length), split_heads(v, key_length), is_causal=causal)
        return self.output(context.transpose(1, 2).reshape(batch, query_length, dimension))


class FeedForward(nn.Module):
    """PointwiseFeedForward.swift with ReLU: outer(relu(inner(x))), no residual inside."""

    def __init__(self, dimension: int, inner: int):
        super().__init__()
        self.inner = nn.Linear(dimension, inner)
        self.outer = nn.Linear(inner, dimension)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.outer(F.relu(self.inner(x)))


class Block(nn.Module):
    def __init__(self, dimension: int, heads: int, inner: int):
        super().__init__()
        # SASRec's layer norms use epsilon 1e-8 (as pmixer/SASRec.pytorch).
        self.attentionNorm = nn.LayerNorm(dimension, eps=1e-8)
        self.attention = Attention(dimension, heads)
        self.feedForwardNorm = nn.LayerNorm(dimension, eps=1e-8)
        self.feedForward = FeedForward(dimension, inner)


class SASRec(nn.Module):
    """Inference only (dropout is the identity). Histories are left-padded to `max_length`
    with token 0; token t is item t - 1."""

    def __init__(self, item_count: int, dimension: int, max_length: int, blocks: int, heads: int, inner: int):
        super().__init__()
        self.itemEmbedding = nn.Embedding(item_count + 1, dimension)
        self.positions = nn.Embedding(max_length, dimension)
        self.blocks = nn.ModuleList(Block(dimension, heads, inner) for _ in range(blocks))
        self.lastNorm = nn.LayerNorm(dimension, eps=1e-8)
        self.max_length = max_length

    def last_features(self, tokens: torch.Tensor) -> torch.Tensor:
        """SASRec.lastFeatures: every block but the last over all positions, the last block for
        the final position only (which attends to every position, so no mask). `[B, T] -> [B, d]`."""
        keep = (tokens != 0).unsqueeze(-1).to(torch.float32)  # zeroes padded positions
        dimension = self.itemEmbedding.embedding_dim
        x = (self.itemEmbedding(tokens) * math.sqrt(dimension) + self.positions.weight[: tokens.shape[1]]) * keep
        for block in self.blocks[:-1]:
            q = block.attentionNorm(x)
            x = block.feedForwardNorm(q + block.attention(q, x, causal=True))
            x = (x + block.feedForward(x)) * keep
        last = self.blocks[-1]
        q = last.attentionNorm(x[:, -1:])
        y = last.feedForwardNorm(q + last.attention(q, x, causal=False))
        y = (y + last.feedForward(y)) * keep[:, -1:]
        return self.lastNorm(y)[:, 0]

    def scores(self, tokens: torch.Tensor) -> torch.Tensor:
        """Scores of items 0..<itemCount (the item table is the output layer; row 0, padding, is
        left out)."""
        return self.last_features(tokens) @ self.itemEmbedding.weight[1:].T


class NextItemModel:
    """A `behave train next-item` SASRec bundle behind /recommend (NextItemServing.swift)."""

    task = "next-item"

    def __init__(self, directory: Path):
        manifest = json.loads((directory / "config.json").read_text())
        config = manifest["config"]
        if config.get("model") != "sasrec":
            raise ValueError(f"a {config.get('model')} next-item model; this server reimplements SASRec only")
        self.items: list[str] = json.loads((directory / "items.json").read_text())
        self.indexes = {item: index for index, item in enumerate(self.items)}  # a repeated id: the last wins
        weights = {key: tensor.float() for key, tensor in load_file(directory / "weights.safetensors").items()}
        # Sizes from the weights; heads (not visible in them) from config.json.
        dimension = weights["itemEmbedding.weight"].shape[1]
        blocks = len({key.split(".")[1] for key in weights if key.startswith("blocks.")})
        self.network = SASRec(
            item_count=len(self.items), dimension=dimension, max_length=weights["positions.weight"].shape[0],
            blocks=blocks, heads=int(config.get("heads", 1)),
            inner=weights["blocks.0.feedForward.inner.weight"].shape[0])
        self.network.load_state_dict(weights, strict=True)
        self.network.eval()

    def recommend(self, history: list[str], k: int, exclude_seen: bool) -> dict:
        unknown = [item for item in history if item not in self.indexes]
        if unknown:
            shown = ", ".join(f"'{item}'" for item in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise APIProblem.bad_request(
                f"unknown item id{'' if len(unknown) == 1 else 's'} {shown}{more}: the model was not trained on "
                f"{'it' if len(unknown) == 1 else 'them'}; use ids from the model's items.json or retrain after "
                "ingesting them", "history")
        indexes = [self.indexes[item] for item in history]
        if not indexes:
            raise APIProblem.bad_request("a sequence model needs at least one item in the history", "history")
        kept = indexes[-self.network.max_length:]  # the most recent items
        tokens = [0] * (self.network.max_length - len(kept)) + [index + 1 for index in kept]
        with torch.inference_mode():
            scores = self.network.scores(torch.tensor([tokens]))[0]
            # NextItemModel.top: best first, ties to the smaller item index (a stable sort keeps
            # index order among equal scores), skipping the history when asked.
            excluded = set(indexes) if exclude_seen else ()
            limit = min(len(scores), k + len(excluded))
            values, order = torch.sort(scores, descending=True, stable=True)
        top = [(index, value) for index, value in zip(order[:limit].tolist(), values[:limit].tolist())
               if index not in excluded][:k]
        return {"history_length": len(indexes), "items": [{"item": self.items[i], "score": s} for i, s in top]}


KINDS = {"classify": TableClassifierModel, "next-item": NextItemModel}


def load_registry(path: Path) -> tuple[dict, dict]:
    """The live version of every model in a registry (`NAME/live.json`, `NAME/VERSION/`):
    name -> (version, model), and name -> why it is not served."""
    models, refused = {}, {}
    for entry in sorted(path.iterdir()):
        live_file = entry / "live.json"
        if not live_file.is_file():
            continue
        version = json.loads(live_file.read_text()).get("live")
        if version is None:
            continue
        directory = entry / version
        task = json.loads((directory / "config.json").read_text()).get("task")
        try:
            if task not in KINDS:
                raise ValueError(f"task {task!r} is not reimplemented here")
            models[entry.name] = (version, KINDS[task](directory))
        except Exception as error:  # a bundle we cannot serve is listed, not fatal (as behave serve)
            refused[entry.name] = f"version {version} refused: {error}"
            log.warning("%s: %s", entry.name, refused[entry.name])
    return models, refused


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

Cell = Union[StrictStr, StrictBool, StrictInt, StrictFloat, None]


class RecommendRequest(BaseModel):
    # Unknown fields are refused, as behave serve refuses them; strict: no "10" for 10.
    model_config = ConfigDict(extra="forbid", strict=True)
    user: str | None = None
    history: list[str] | None = None
    k: int | None = None
    exclude_seen: bool | None = None


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, Cell]] | None = None
    users: list[StrictStr] | None = None
    at: StrictInt | StrictStr | None = None


class RecommendedItem(BaseModel):
    item: str
    score: float


class RecommendAnswer(BaseModel):
    history_length: int
    items: list[RecommendedItem]
    model: str
    version: str


class RowScore(BaseModel):
    decision: bool
    probability: float


class ScoreAnswer(BaseModel):
    scores: list[RowScore]
    threshold: float
    model: str
    version: str


def create_app(registry: Path, key: str, freeze_gc: bool = True) -> FastAPI:
    models, refused = load_registry(registry)
    expected_key = key.encode()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        if freeze_gc:
            # torch, FastAPI and the models leave about 200,000 objects that live as long as the
            # process; a full (generation 2) collection walks them all, which took 94 ms here and
            # showed as the p99 of the score load. gc.freeze() moves them out of the collector's
            # sight (Python's gc module documentation), leaving collections of request garbage.
            gc.collect()
            gc.freeze()
        yield

    # No docs or OpenAPI routes: a production API does not serve them, and they are not measured.
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    @app.exception_handler(APIProblem)
    async def problem(_: Request, error: APIProblem) -> JSONResponse:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's 422 with pydantic's list, as behave serve's 400 naming the first field at fault.
        first = error.errors()[0]
        location = [part for part in first["loc"] if part != "body"]
        field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")
        if first["type"] == "extra_forbidden":
            message = f"unknown field {field}"
        else:
            message = f"{field}: {first['msg']}" if field else f"the body: {first['msg']}"
        return APIProblem.bad_request(message, field or None).response()

    def authorized(authorization: Annotated[str | None, Header()] = None) -> None:
        # One key, compared in constant time (behave serve reads a key file with scopes).
        given = authorization[len("Bearer "):] if authorization and authorization.startswith("Bearer ") else ""
        if not given or not hmac.compare_digest(given.encode(), expected_key):
            raise APIProblem(401, "unauthorized", "send a valid API key as Authorization: Bearer KEY")

    def model_named(name: str, task: str):
        if name not in models:
            served = ", ".join(models) or "none"
            raise APIProblem(404, "not_found", f"no model {name} is served (serving: {served})", "name")
        version, model = models[name]
        if model.task != task:
            if task == "next-item":
                raise APIProblem.bad_request(
                    "this model does not recommend items; it scores (POST /v1/models/{name}/score)")
            raise APIProblem.bad_request(
                "this model does not score rows; it recommends (POST /v1/models/{name}/recommend)")
        return version, model

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict:
        return {"ready": True, "models": {name: version for name, (version, _) in models.items()},
                "refused": refused}

    # `async def` handlers run on the event loop itself. A plain `def` would go through
    # Starlette's thread pool: a thread hand-off per request and no gain on the one core the
    # server is held to (the forward pass holds the core whichever thread runs it).
    @app.post("/v1/models/{name}/score", dependencies=[Depends(authorized)])
    async def score(name: str, body: ScoreRequest, response: Response) -> ScoreAnswer:
        version, model = model_named(name, "classify")
        if body.users is not None or body.at is not None:
            raise APIProblem.bad_request(
                "this model scores table rows, not users; send rows", "users" if body.users is not None else "at")
        if body.rows is None:
            raise APIProblem.bad_request("rows is required: an array of objects, column name to value", "rows")
        if not body.rows:
            raise APIProblem.bad_request("rows is empty; send at least one row", "rows")
        if len(body.rows) > MAXIMUM_ROWS:
            raise APIProblem.bad_request(
                f"rows holds {len(body.rows)} rows; at most {MAXIMUM_ROWS} per request", "rows")
        response.headers["X-Model-Version"] = version
        return ScoreAnswer(**model.score(body.rows), model=name, version=version)

    @app.post("/v1/models/{name}/recommend", dependencies=[Depends(authorized)])
    async def recommend(name: str, body: RecommendRequest, response: Response) -> RecommendAnswer:
        version, model = model_named(name, "next-item")
        k = 10 if body.k is None else body.k
        if not 1 <= k <= MAXIMUM_K:
            raise APIProblem.bad_request(f"k must be between 1 and {MAXIMUM_K} (got {k})", "k")
        if body.user is not None and body.history is not None:
            raise APIProblem.bad_request("give user or history, not both", "history")
        if body.user is not None:
            raise APIProblem.bad_request(
                "this server has no event store to look users up in; send history instead (or start it with "
                "--store)", "user")
        if body.history is None:
            raise APIProblem.bad_request(
                "give user (an id of the event store) or history (item ids, oldest first)", "user")
        if len(body.history) > MAXIMUM_HISTORY:
            raise APIProblem.bad_request(
                f"history holds {len(body.history)} items; at most {MAXIMUM_HISTORY} are taken", "history")
        response.headers["X-Model-Version"] = version
        return RecommendAnswer(**model.recommend(body.history, k, body.exclude_seen is True), model=name,
                               version=version)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registry", default=os.environ.get("BEHAVE_REGISTRY"),
                        help="the registry folder (default: $BEHAVE_REGISTRY)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="leave the objects loaded at start to the garbage collector (Python's default)")
    args = parser.parse_args()
    key = os.environ.get("BEHAVE_API_KEY")
    if not args.registry or not key:
        raise SystemExit("give the registry (--registry or BEHAVE_REGISTRY) and the key (BEHAVE_API_KEY)")
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    # Production settings: one worker, no reload, no access log; uvloop and httptools (from
    # uvicorn[standard]) when installed, else asyncio and h11.
    uvicorn.run(
        create_app(Path(args.registry), key, freeze_gc=not args.no_gc_freeze), host=args.host, port=args.port,
        workers=1, reload=False, access_log=False, log_level="warning",
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11")


if __name__ == "__main__":
    main()

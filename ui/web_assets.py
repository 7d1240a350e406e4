"""The avatar's browser renderer, server side: the files the page needs, and the headers that let it use 2 threads.

- onnxruntime-web (`make setup` installs the pinned npm package into ui/web/node_modules): three
  files served at `avatar-web/ort/<version>/`, with the content types browsers demand for wasm and
  module scripts. No CDN: offline and on-prem installs keep working. The 14 MB wasm goes out
  gzipped (3.7 MB, FINDINGS.md), from a copy compressed once into the cache: Gradio compresses
  only text types, and a class loading it at once would otherwise pull 14 MB per student.
- the generator: `gan.export_onnx.export()` of the loaded checkpoint, written once into a cache
  folder keyed by the hash of its files (~4 s at start-up, then reused) and served at
  `avatar-web/model/<key>/generator.{onnx,json}`.
- COOP/COEP on every response, so `crossOriginIsolated` is true and ort's wasm runs 2 threads
  (FINDINGS.md: 9-10 ms/frame instead of 15-16 ms; without them it silently uses 1).
- `head()`: the page's settings for ui/avatar_render.js, with the reason when something is missing
  (the page then asks for the server path and says why).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).with_name("web")
RENDER_JS = Path(__file__).with_name("avatar_render.js")
ORT_PACKAGE = WEB_DIR / "node_modules" / "onnxruntime-web"
# The wasm build only (the WebGPU/WebGL bundles are bigger and slower on CPU, FINDINGS.md); the
# .mjs is the runtime's loader, which also starts its worker threads.
ORT_FILES: Mapping[str, str] = {
    "ort.wasm.min.js": "text/javascript",
    "ort-wasm-simd-threaded.wasm": "application/wasm",
    "ort-wasm-simd-threaded.mjs": "text/javascript",
}
MODEL_FILES: Mapping[str, str] = {"generator.onnx": "application/octet-stream", "generator.json": "application/json"}
# credentialless rather than require-corp: same isolation for our same-origin files, but a
# cross-origin resource a deployment adds (a font, a logo) still loads, without cookies.
ISOLATION_HEADERS = (("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Embedder-Policy", "credentialless"))
# Both URL paths name their version (ort release, model hash), so browsers may keep them for good.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "Cross-Origin-Resource-Policy": "same-origin"}


@dataclass(frozen=True)
class WebAssets:
    """What the page's renderer needs; `missing` says why the browser path cannot be offered ("" = it can)."""

    ort_dir: Path  # onnxruntime-web's dist/ folder
    ort_version: str  # the installed onnxruntime-web version (in the served URL)
    model_dir: Path | None  # the exported generator.onnx + generator.json; None when the export failed
    model_key: str  # hash of the checkpoint the model was exported from (in the served URL)
    missing: str = ""  # why the page must use the server path, in words for the student
    gzipped: Path | None = None  # gzip copies of the big ort files (NAME.gz), sent to browsers that accept gzip

    def routes(self) -> list[Route]:
        """The file routes (only the named files; anything else is a 404)."""
        routes = [_file_route(f"/avatar-web/ort/{self.ort_version}/{{name}}", self.ort_dir, ORT_FILES, self.gzipped)]
        if self.model_dir is not None:
            routes.append(_file_route(f"/avatar-web/model/{self.model_key}/{{name}}", self.model_dir, MODEL_FILES))
        return routes

    def page_config(self) -> dict[str, Any]:
        """The settings ui/avatar_render.js reads (URLs relative to the page, like Gradio's file URLs)."""
        return {
            "ort": f"avatar-web/ort/{self.ort_version}/",
            "model": f"avatar-web/model/{self.model_key}/",
            "missing": self.missing,
        }


def prepare(model: Any, checkpoint: Path, cache_root: Path, ort_package: Path = ORT_PACKAGE) -> WebAssets:
    """Find onnxruntime-web and export `model` (a gan RigInferenceModel loaded from `checkpoint`)
    to ONNX unless the cache already holds it (cache_root/models/<key>; gzip copies of ort's wasm
    in cache_root/ort-<version>). Never raises for a missing piece: the app still
    serves every student, on the server path, and the page names the reason."""
    key = checkpoint_key(checkpoint)
    ort_dir, version, missing = _find_ort(ort_package)
    try:
        model_dir: Path | None = export_cached(model, cache_root / "models" / key)
    except (RuntimeError, OSError, ImportError, ValueError) as err:
        log.warning("the browser renderer is off: exporting the avatar to ONNX failed: %s", err, exc_info=True)
        model_dir, missing = None, missing or "the avatar could not be prepared for browsers"
    gzipped = None if missing else _gzip_copies(ort_dir, cache_root / f"ort-{version}")
    return WebAssets(ort_dir, version, model_dir, key, missing, gzipped)


def _gzip_copies(dist: Path, folder: Path, names: tuple[str, ...] = ("ort-wasm-simd-threaded.wasm",)) -> Path:
    """`folder` holding NAME.gz of each of `names` in `dist`, compressed once (~1 s each)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:  # (the same file from any model: kept beside the models, not among them)
        target = folder / f"{name}.gz"
        if not target.is_file():
            tmp = folder / f"{name}.gz.tmp-{os.getpid()}"
            tmp.write_bytes(gzip.compress((dist / name).read_bytes(), compresslevel=9, mtime=0))
            os.replace(tmp, target)
    return folder


def checkpoint_key(checkpoint: Path) -> str:
    """16 hex digits of sha256 over the checkpoint's weights and config (and the export's opset and
    the motion rows' layout, which generator.json carries)."""
    from gan.export_onnx import OPSET
    from gan.rig.wire import layout

    digest = hashlib.sha256(f"opset{OPSET} {json.dumps(layout())}".encode())
    for name in ("config.json", "model.safetensors"):
        digest.update((checkpoint / name).read_bytes())
    return digest.hexdigest()[:16]


def export_cached(model: Any, folder: Path) -> Path:
    """`folder` with generator.onnx + generator.json, exported now if absent (written beside, then
    renamed, so a crashed export or a second app process never leaves half a model)."""
    if all((folder / name).is_file() for name in MODEL_FILES):
        return folder
    from gan.export_onnx import export

    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    export(model, tmp)
    try:
        tmp.rename(folder)
    except OSError:  # another process finished first: its copy is the same model
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("exported the avatar for browsers to %s", folder)
    return folder


def _find_ort(package: Path) -> tuple[Path, str, str]:
    """(dist folder, version, missing reason) of the installed onnxruntime-web."""
    dist = package / "dist"
    try:
        version = str(json.loads((package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError) as err:
        log.warning("the browser renderer is off: onnxruntime-web is not installed (%s); run `make setup`", err)
        return dist, "none", "the app's browser renderer is not installed"
    absent = [name for name in ORT_FILES if not (dist / name).is_file()]
    if absent:
        log.warning("the browser renderer is off: onnxruntime-web lacks %s; run `make setup`", ", ".join(absent))
        return dist, version, "the app's browser renderer is incomplete"
    return dist, version, ""


def _file_route(path: str, folder: Path, files: Mapping[str, str], gzipped: Path | None = None) -> Route:
    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files or not (folder / name).is_file():
            return PlainTextResponse("Not found", status_code=404)
        packed = gzipped / f"{name}.gz" if gzipped else None
        if packed and packed.is_file() and "gzip" in request.headers.get("accept-encoding", ""):
            headers = {**IMMUTABLE, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return FileResponse(packed, media_type=files[name], headers=headers)
        return FileResponse(folder / name, media_type=files[name], headers={**IMMUTABLE, "Vary": "Accept-Encoding"})

    return Route(path, serve, methods=["GET", "HEAD"])


class IsolationHeadersMiddleware:
    """Adds COOP/COEP to every HTTP response of the app (pages, API, files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_isolated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ISOLATION_HEADERS:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_isolated)


def app_kwargs(web: WebAssets | None, routes: Sequence[Route] = ()) -> dict[str, Any]:
    """FastAPI arguments for `Blocks.launch(app_kwargs=...)`: the isolation headers always, the
    file routes with `web`, and the app's other plain `routes` (Services.routes())."""
    files = web.routes() if web else []
    return {"middleware": [Middleware(IsolationHeadersMiddleware)], "routes": [*files, *routes]}


def head(web: WebAssets | None) -> str:
    """The page-head scripts: the renderer's settings, then ui/avatar_render.js."""
    config = web.page_config() if web else {"missing": "the app was started without the browser renderer"}
    # json.dumps does not escape "</": written as "<\/" so no value can close the script tag.
    data = json.dumps(config).replace("</", "<\\/")
    script = RENDER_JS.read_text(encoding="utf-8")
    return f"<script>window.__avatarWebConfig = {data};</script><script>{script}</script>"


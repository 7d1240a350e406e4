"""ui/web_assets.py: the page renderer's files, content types and cross-origin isolation headers.

The real export of the shipped avatar and the real onnxruntime-web package (`make setup`), served
through Starlette's test client (the same routes and middleware the app passes to Gradio).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui import web_assets

if not (web_assets.ORT_PACKAGE / "package.json").is_file():
    pytest.skip("onnxruntime-web is not installed (make setup runs npm ci)", allow_module_level=True)


@pytest.fixture(scope="module")
def model():
    from gan.checkpoint import load_rig_generator
    from gan.pipeline import DEFAULT_CHECKPOINT

    return load_rig_generator(DEFAULT_CHECKPOINT)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web-cache")


@pytest.fixture(scope="module")
def web(model, cache) -> web_assets.WebAssets:
    from gan.pipeline import DEFAULT_CHECKPOINT

    return web_assets.prepare(model, DEFAULT_CHECKPOINT, cache)


def _client(web: web_assets.WebAssets) -> TestClient:
    page = Route("/", lambda _: PlainTextResponse("a page"))
    kwargs = web_assets.app_kwargs(web)
    return TestClient(Starlette(routes=[*kwargs["routes"], page], middleware=kwargs["middleware"]))


def test_the_renderer_files_are_served_with_their_types_and_isolation_headers(web) -> None:
    assert web.missing == ""
    client = _client(web)
    for name, kind in web_assets.ORT_FILES.items():
        r = client.get(f"/avatar-web/ort/{web.ort_version}/{name}", headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind), (name, r.headers)
        assert r.content == (web.ort_dir / name).read_bytes()
    meta = client.get(f"/avatar-web/model/{web.model_key}/generator.json").json()
    assert meta["size"] == 256 and len(meta["kept"]) == 28 and meta["inputs"] == ["rig", "pose", "emotion", "intensity"]
    onnx = client.get(f"/avatar-web/model/{web.model_key}/generator.onnx")
    assert onnx.headers["content-type"] == "application/octet-stream"
    assert onnx.content == (web.model_dir / "generator.onnx").read_bytes()
    for r in (client.get("/"), onnx):
        assert r.headers["cross-origin-opener-policy"] == "same-origin"
        assert r.headers["cross-origin-embedder-policy"] == "credentialless"
    # Only the named files: nothing else of node_modules or the cache is reachable.
    ort = f"/avatar-web/ort/{web.ort_version}"
    for url in (f"{ort}/ort.min.js", f"{ort}/..%2Fpackage.json", f"/avatar-web/model/{web.model_key}/config.json",
                "/avatar-web/model/0000000000000000/generator.onnx"):
        assert client.get(url).status_code == 404, url


def test_the_wasm_goes_out_gzipped_to_browsers_that_accept_it(web) -> None:
    name = "ort-wasm-simd-threaded.wasm"
    url = f"/avatar-web/ort/{web.ort_version}/{name}"
    r = _client(web).get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.headers["content-encoding"] == "gzip" and r.headers["content-type"] == "application/wasm"
    assert r.content == (web.ort_dir / name).read_bytes()  # the client undid the gzip
    assert int(r.headers["content-length"]) < 0.4 * (web.ort_dir / name).stat().st_size


def test_the_export_is_cached_by_checkpoint_and_a_missing_runtime_is_said(model, web, cache, tmp_path) -> None:
    from gan.pipeline import DEFAULT_CHECKPOINT

    onnx = cache / "models" / web.model_key / "generator.onnx"
    before = onnx.stat().st_mtime_ns
    again = web_assets.prepare(model, DEFAULT_CHECKPOINT, cache)
    assert again.model_dir == web.model_dir and onnx.stat().st_mtime_ns == before  # not exported twice
    other = tmp_path / "avatar"
    shutil.copytree(DEFAULT_CHECKPOINT, other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "note": "another avatar"}))
    assert web_assets.checkpoint_key(other) != web.model_key  # a new checkpoint is exported anew
    broken = web_assets.prepare(model, DEFAULT_CHECKPOINT, cache, ort_package=tmp_path / "no-package")
    assert broken.missing == "the app's browser renderer is not installed"
    head = web_assets.head(broken)
    assert "window.__avatarWebConfig" in head and broken.missing in head


def test_the_head_config_cannot_close_its_script_tag(web) -> None:
    from dataclasses import replace

    hostile = replace(web, missing="</script><script>alert(1)</script>")
    head = web_assets.head(hostile)
    assert head.count("</script>") == 2  # the config's and the renderer's own
    config = json.loads(head.split("</script>")[0].split("= ", 1)[1].rstrip(";"))
    assert config["missing"] == hostile.missing

"""Every bad input gets a problem document with the right status, and the server goes on."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.settings import Settings

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(
    ("content", "status", "slug"),
    [
        (b'{"text": ', 400, "invalid-json"),
        (b"\xff\xfe{}", 400, "invalid-json"),
        (b'{"text": "\\ud800 lone surrogate"}', 400, "invalid-json"),
        (b'{"text": "caf\xe9"}', 400, "invalid-json"),
        (b"{}", 422, "invalid-request"),
        (b'{"text": ""}', 422, "invalid-request"),
        (b'{"text": "   \\n\\t "}', 422, "invalid-request"),
        (b'{"text": 42}', 422, "invalid-request"),
        (b'{"text": ["a"]}', 422, "invalid-request"),
        (b'{"text": "ok", "extra": 1}', 422, "invalid-request"),
        (b"[]", 422, "invalid-request"),
        (b"null", 422, "invalid-request"),
    ],
)
def test_bad_json_bodies(client: TestClient, content: bytes, status: int, slug: str) -> None:
    response = client.post(
        "/classify", content=content, headers={"content-type": "application/json"}
    )
    body = assert_problem(response, status)
    assert body["type"].endswith(slug)
    assert client.get("/healthz").status_code == 200


def test_validation_errors_do_not_echo_input(client: TestClient) -> None:
    response = client.post("/classify", json={"text": 12345678})
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["text"]
    assert "12345678" not in response.text


def test_plain_text_errors(client: TestClient) -> None:
    bad_utf8 = client.post(
        "/classify",
        content=b"caf\xe9 au lait",
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    assert assert_problem(bad_utf8, 400)["type"].endswith("invalid-utf8")
    surrogate = client.post(
        "/classify", content=b"x \xed\xa0\x80 y", headers={"content-type": "text/plain"}
    )
    assert_problem(surrogate, 400)
    blank = client.post("/classify", content=b"  \n ", headers={"content-type": "text/plain"})
    assert_problem(blank, 422)
    latin1 = client.post(
        "/classify", content=b"hello", headers={"content-type": "text/plain; charset=latin-1"}
    )
    assert_problem(latin1, 415)


@pytest.mark.parametrize("content_type", ["application/xml", "multipart/form-data", ""])
def test_unsupported_media_type(client: TestClient, content_type: str) -> None:
    response = client.post(
        "/classify", content=b"<text>hi</text>", headers={"content-type": content_type}
    )
    assert_problem(response, 415)


def test_batch_accepts_json_only(client: TestClient) -> None:
    response = client.post(
        "/classify/batch", content=b"hello", headers={"content-type": "text/plain"}
    )
    assert_problem(response, 415)


def test_wrong_method_and_unknown_path(client: TestClient) -> None:
    assert_problem(client.get("/classify"), 405)
    assert_problem(client.delete("/labels"), 405)
    assert_problem(client.get("/nowhere"), 404)


def test_text_over_character_limit(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(model_dir=tiny_model_dir, max_text_chars=50)
    with TestClient(create_app(settings)) as c:
        ok = c.post("/classify", json={"text": "a" * 50})
        assert ok.status_code == 200, ok.text
        body = assert_problem(c.post("/classify", json={"text": "a" * 51}), 422)
        assert body["type"].endswith(":text-too-long")
        [error] = body["errors"]
        assert (error["type"], error["limit"], error["actual"]) == ("over_limit", 50, 51)
        assert error["setting"] == "FRAMING_MAX_TEXT_CHARS"


def test_body_over_byte_limit(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(model_dir=tiny_model_dir, max_body_bytes=1000)
    with TestClient(create_app(settings)) as c:
        big = {"text": "word " * 400}
        assert_problem(c.post("/classify", json=big), 413)

        def chunks():  # no Content-Length: the limit applies while streaming
            for _ in range(10):
                yield b"x" * 200

        streamed = c.post("/classify", content=chunks(), headers={"content-type": "text/plain"})
        assert_problem(streamed, 413)
        assert c.post("/classify", json={"text": "Still serving."}).status_code == 200


def test_batch_limits(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(model_dir=tiny_model_dir, max_batch_documents=2, max_batch_chars=30)
    with TestClient(create_app(settings)) as c:
        three = {"documents": [{"id": str(i), "text": "Short text."} for i in range(3)]}
        assert_problem(c.post("/classify/batch", json=three), 422)
        long = {"documents": [{"id": "a", "text": "x" * 20}, {"id": "b", "text": "y" * 20}]}
        body = assert_problem(c.post("/classify/batch", json=long), 413)
        assert body["type"].endswith(":batch-too-large")
        [error] = body["errors"]
        assert (error["loc"], error["limit"], error["actual"]) == (["body", "documents"], 30, 40)
        empty = {"documents": []}
        assert_problem(c.post("/classify/batch", json=empty), 422)
        no_id = {"documents": [{"text": "Hello."}]}
        assert_problem(c.post("/classify/batch", json=no_id), 422)


def test_client_disconnect_is_no_server_error(client: TestClient) -> None:
    """A client that goes away mid-body is logged as such, not as a 500."""

    async def run() -> list[dict]:
        messages: list[dict] = []
        app = client.app
        body_sent = False

        async def receive() -> dict:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": b'{"text": "par', "more_body": True}
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            messages.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/classify",
            "raw_path": b"/classify",
            "query_string": b"",
            "headers": [(b"content-type", b"application/json")],
            "http_version": "1.1",
            "scheme": "http",
            "server": ("t", 80),
            "client": ("c", 1),
            "root_path": "",
            "app": app,
        }
        await app(scope, receive, send)  # type: ignore[arg-type]
        return messages

    import anyio

    messages = anyio.run(run)
    starts = [m for m in messages if m["type"] == "http.response.start"]
    assert starts and starts[0]["status"] == 499
    assert 'status="499"' in client.get("/metrics").text

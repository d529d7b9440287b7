# The end-to-end suite's stand-in for the DSA-110 API: an ASGI app with /api/health.
import json


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/api/health":
        status, body = 200, {"status": "ok"}
    else:
        status, body = 404, {"detail": "Not Found"}
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})

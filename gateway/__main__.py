"""python -m gateway: serve the HTTP API."""

import uvicorn

from gateway.app import asgi_app
from gateway.settings import GatewaySettings
from services.common.settings import load_settings
from services.common.telemetry import setup_telemetry


def main() -> None:
    settings = load_settings(GatewaySettings)
    provider = setup_telemetry("gateway", settings.log_level)
    uvicorn.Server(server_config(settings, asgi_app(settings))).run()
    provider.shutdown()


def server_config(settings: GatewaySettings, app) -> uvicorn.Config:
    """How uvicorn serves the app; h11, because it bounds request headers (httptools reads any size)."""
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        http="h11",
        h11_max_incomplete_event_size=settings.max_header_bytes,
        log_config=None,
        server_header=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()

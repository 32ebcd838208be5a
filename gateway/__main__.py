"""python -m gateway: serve the HTTP API."""

import uvicorn

from gateway.app import asgi_app
from gateway.settings import GatewaySettings
from services.common.settings import load_settings
from services.common.telemetry import setup_telemetry


def main() -> None:
    settings = load_settings(GatewaySettings)
    provider = setup_telemetry("gateway", settings.log_level)
    config = uvicorn.Config(
        asgi_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        server_header=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()
    provider.shutdown()


if __name__ == "__main__":
    main()

"""The FastAPI application: the API under /api (OpenAPI at /api/openapi.json, docs at
/api/docs) and the console's static files at /."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from jayul.server import (
    routes_agents,
    routes_alarms,
    routes_devices,
    routes_events,
    routes_explore,
    routes_export,
    routes_gate,
    routes_govern,
    routes_inputs,
    routes_operate,
    routes_plant,
    routes_process,
    routes_users,
)
from jayul.server.live import LiveState
from jayul.server.security import SecurityMiddleware


def static_dir() -> Path:
    """Where the console's files are (package data, no build step at install time)."""
    return Path(str(resources.files("jayul.console").joinpath("static")))


def create_app(state: LiveState) -> FastAPI:
    """The API and console for one live plant."""
    app = FastAPI(
        title="jayul",
        version="0.1.0",
        description=(
            "The operator API of a jayul plant: machines, signals, alerts with explanations, "
            "RUL, the plan, approvals, autonomy and the kill switch, models, the audit trail, "
            "KPIs. Log in with POST /api/login; send the token as `Authorization: Bearer`."
        ),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.live = state
    app.add_middleware(SecurityMiddleware)
    for module in (
        routes_users,
        routes_plant,
        routes_gate,
        routes_govern,
        routes_inputs,
        routes_devices,
        routes_process,
        routes_events,
        routes_alarms,
        routes_operate,
        routes_explore,
        routes_export,
        routes_agents,
    ):
        app.include_router(module.router)

    @app.get("/api/health", tags=["plant"], summary="Liveness: no login needed")
    def health() -> dict[str, object]:
        inputs_ok = state.inputs.status()["ok"] if state.inputs is not None else None
        return {
            "ok": True,
            "plant": state.plant.name,
            "now_ns": state.snapshot.now_ns,
            "inputs_ok": inputs_ok,  # None: no inputs watched (a twin)
        }

    root = static_dir()
    app.mount("/static", StaticFiles(directory=root), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(root / "index.html", headers={"Cache-Control": "no-cache"})

    return app

"""/docs: Swagger UI served from the installed ``swagger-ui-bundle-v2`` package, never from a CDN.

An offline cluster gets the same page as a connected laptop: the page, its script, style
sheet and icon all come from this service (FastAPI's documented self-hosting recipe).
ReDoc, which FastAPI would load from a CDN, is off.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)


def install_docs(app: FastAPI) -> None:
    """Serve /docs and its assets (create the app with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")
    app.include_router(router)


@router.get(DOCS_PATH, response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for this service's OpenAPI schema, with every asset from this service."""
    root = request.scope.get("root_path", "").rstrip("/")
    app = request.app
    return get_swagger_ui_html(
        openapi_url=root + app.openapi_url,
        title=f"{app.title} - API",
        oauth2_redirect_url=root + OAUTH2_REDIRECT_PATH,
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
        # Swagger UI would otherwise ask validator.swagger.io for a badge
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(OAUTH2_REDIRECT_PATH, response_class=HTMLResponse)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()

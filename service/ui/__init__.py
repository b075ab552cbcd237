"""The /ui dashboard: live charts over the service's metrics, an opt-in sample browser, a playground."""

from service.ui.routes import router

__all__ = ["router"]

"""Running programs for agents: SandboxFusion's ``/run_code`` and the native ``/v1/run`` batch.

``spec`` turns a request into a checked, clamped :class:`~service.runs.spec.RunSpec`;
``execute`` runs one spec through the configured sandbox backend (never a host process);
``gate`` shares the run slots fairly between callers; ``runner`` ties them to the app.
"""

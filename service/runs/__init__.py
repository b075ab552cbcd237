"""Running programs for agents: SandboxFusion's ``/run_code`` and the native ``/v1/run`` batch.

``spec`` turns a request into a checked, clamped :class:`~service.runs.spec.RunSpec`;
``execute`` runs one spec through the configured sandbox backend (never a host process);
``runner`` shares the run slots fairly between callers (``service.fair``) and ties them to the app.
"""

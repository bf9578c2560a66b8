"""The ground floor: what every app may use and nothing app-specific.

Roles and role predicates, page chrome, API primitives with the one error handler, business-time
arithmetic and the bulk COPY writers. Modules here import Django, DRF and the standard library only.
"""

"""Early warning: point-in-time features, risk models, scores and explanations per pupil.

The Django-free computation lives in :mod:`leerloopbaan.ews.engine`; the Django app (models,
services, selectors, pages, commands) wraps it.
"""

"""The PAIF CrossGuard policy pack: rules in ``policies.rules``, policies from ``policies.pack``.

Importing this package starts nothing; ``__main__.py`` (run by the Pulumi CLI) serves the pack.
"""

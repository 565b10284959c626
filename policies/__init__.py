"""The PAIF CrossGuard policy pack: rules in ``paif_policies.rules``, policies from
``paif_policies.pack``.

Importing this package starts nothing; ``__main__.py`` (run by the Pulumi CLI) serves the pack.
"""

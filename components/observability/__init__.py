"""Operations as code (§9.7): what to scrape, when to alert, what to show, how to verify.

Pure functions only (``paif_components.site_monitoring`` and ``paif_components.tenant_monitoring``
register the objects): metric names and selectors (``metrics``), effective thresholds
(``thresholds``), alert rules (``alerts``), scrape/routing objects (``objects``), Grafana
dashboards (``dashboards``) and the operations runbook the alerts link to (``runbook``).
"""

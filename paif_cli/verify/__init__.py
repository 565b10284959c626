"""``paif verify``: the §9.7.2 after-deployment checks against a live deployment.

``targets`` reads what the stack declares (endpoints running at its site, their thresholds),
``http`` sends the health, model-list and sample requests, ``stats`` turns latencies into
percentiles and an error rate, ``prometheus`` asks the site's Prometheus whether autoscaling
added replicas during the run, whether alerts fire and whether alerting and log shipping work,
``report`` prints the table and writes JSON, JUnit and Markdown, and ``run`` ties them
together. Exit codes: 0 every check passed (or was skipped), 1 a check failed, 2 bad input.
"""

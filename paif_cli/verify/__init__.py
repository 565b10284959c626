"""``paif verify``: the §9.7.2 after-deployment checks against a live deployment.

``targets`` reads what the stack declares (endpoints running at its site, their thresholds),
``client`` sends the health, model-list and sample requests (every transport or protocol failure
and every answer that is not the API's becomes a failed request of a named kind), ``stats`` turns
latencies into percentiles and an error rate with its upper confidence bound, ``prometheus``
asks the site's Prometheus whether autoscaling added replicas during the run, whether alerts
fire and whether alerting and log shipping work, ``report`` prints the table and writes JSON,
JUnit and Markdown, ``run`` ties them together and ``command`` is the subcommand. Exit codes:
0 every check passed (or was skipped), 1 a check failed, 2 bad input or an aborted run, 3
inconclusive (too few requests to show the error rate).
"""

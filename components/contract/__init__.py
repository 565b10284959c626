"""What components hand to the policies, the diagram, the diff and the reports.

One place for the names both sides must spell alike, so a reader never repeats a writer's
string: ``tokens`` (the resource types a plan records), ``annotations`` (the labels and
annotation keys readers look for); and one typed record for what crosses between them, so a
reader never indexes a writer's dict: ``waiver`` (a waiver), ``finding`` (a policy finding),
``plan`` (plan.json: the document, its resources, the secret placeholder), ``estimates`` (the
DR estimate), ``dr_topology`` and ``dr_databases`` (the DR roles), ``site_facts`` (the site's
facts for the policies); ``json_read`` holds the tolerant readers every record's ``from_json``
uses. Components import from here; readers in ``paif_policies`` and ``paif_cli`` import the
same names and records instead of spelling them again.
"""

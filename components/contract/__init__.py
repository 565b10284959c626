"""What components hand to the policies, the diagram, the diff and the reports.

One place for the names both sides must spell alike, so a reader never repeats a writer's
string: ``tokens`` (the resource types a plan records), ``annotations`` (the labels and
annotation keys readers look for), ``plan`` (the secret placeholder). Components import from
here; readers in ``paif_policies`` and ``paif_cli`` import the same names instead of spelling
them again.
"""

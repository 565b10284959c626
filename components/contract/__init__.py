"""What components hand to the policies, the diagram, the diff and the reports.

One place for the names both sides must spell alike, so a reader never repeats a writer's
string: ``tokens`` (the resource types a plan records). Components import from here; readers in
``paif_policies`` and ``paif_cli`` import the same names instead of spelling them again.
"""

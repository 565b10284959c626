"""What the tests share: example stacks, programs under the plan's mocks, policy verdicts,
schemas and helper processes. Imported as ``tests.support.<module>``; fixtures stay in
``tests/conftest.py``."""

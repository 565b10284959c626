"""The CrossGuard pack evaluated offline, as the Pulumi engine evaluates it live.

``analyzer.evaluate`` is the one entry point: it builds the SDK's own analyzer servicer,
reconciles the pack config the way the CLI does (``pack_config``), and then either plays every
request of the analyzer protocol (``protocol``) or, for a pack of stack policies only, runs the
servicer's ``AnalyzeStack`` loop directly with each resource converted once (a shortcut through
pulumi-policy's internals: ``paif_cli.sdk_adapter.policy``). Both paths give the same findings
(``findings``); ``wire`` turns plan records into the protocol's messages for both.
"""

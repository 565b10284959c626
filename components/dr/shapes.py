"""Every shape of the DR topology one stack's plan needs, each derived once.

A stack's program needs its own site as declared (the components build it) and, for the
estimates, the DR side standing by and failed over (RTO/RPO, the failover's changes, the
failed-over site's schedulability). :func:`~paif_components.dr.topology.derive_site` is pure
but not cheap (it adapts every tenant of the primary), so :class:`SiteShapes` derives each shape
on first use and hands the same :class:`DerivedSite` to every later reader: the program, PaifSite,
the estimators and the runbooks. Shapes are derived lazily, so a bad stack file fails where it
did before (the first reader raises the ConfigError).

The shapes, per stack:

- a primary (or single-site) stack: its own site; with a DR pattern also the DR site it
  presumes (:func:`presumed_dr_config`) standing by and failed over: three at most;
- a DR stack: its own site in either state; its declared state is one of them: two.
"""

from __future__ import annotations

from paif_components.config.models import Dr, Harbor, Peer, StackConfig
from paif_components.dr.roles import DerivedSite
from paif_components.dr.topology import derive_site, stack_name


def presumed_dr_config(primary: StackConfig, stack: str | None = None) -> StackConfig:
    """The DR stack's config as the primary can presume it: peer site and Harbor, own hardware."""
    peer = primary.dr.peer
    assert peer is not None
    return primary.model_copy(
        update={
            "site": primary.site.model_copy(update={"name": peer.site}),
            "harbor": Harbor(url=peer.harbor_url),
            "tenants": [],
            "dr": Dr(
                pattern=primary.dr.pattern,
                role="dr",
                peer=Peer(
                    stack=stack or "primary",
                    site=primary.site.name,
                    harbor_url=primary.harbor.url,
                ),
                objectives=primary.dr.objectives,
                gslb=primary.dr.gslb,
                replication_schedule=primary.dr.replication_schedule,
            ),
        }
    )


class SiteShapes:
    """One stack's DR topology shapes (module doc), each derived on first use and kept.

    ``config`` is this stack's own config, ``primary`` the primary's (DR stacks), ``stack`` this
    stack's name, as for :func:`derive_site`.
    """

    def __init__(
        self, config: StackConfig, primary: StackConfig | None, *, stack: str | None = None
    ) -> None:
        self.config = config
        self.primary = primary
        self.stack = stack
        self._shapes: dict[tuple[str, bool | None], DerivedSite] = {}
        self._presumed: StackConfig | None = None

    @property
    def is_dr(self) -> bool:
        return self.config.dr.role == "dr"

    def _flag(self, failover: bool | None) -> bool | None:
        """The failover state a DR stack's shape has (None: as its config declares)."""
        if not self.is_dr:
            return None
        if failover is not None:
            return failover
        return bool(getattr(self.config.dr, "failover", False))

    def site(self, failover: bool | None = None) -> DerivedSite:
        """This stack's site: as declared (``failover`` None), or a DR stack in that state."""
        key = ("own", self._flag(failover))
        if key not in self._shapes:
            self._shapes[key] = derive_site(
                self.config, self.primary, stack=self.stack, failover=failover
            )
        return self._shapes[key]

    @property
    def dr_stack(self) -> str | None:
        """The DR stack's name: this one, or the peer a primary names."""
        if self.is_dr:
            if self.stack is not None:
                return self.stack
            peer = self.primary.dr.peer if self.primary is not None else None
            return stack_name(peer.stack) if peer is not None else None
        return stack_name(self.config.dr.peer.stack) if self.config.dr.peer else None

    def dr_config(self) -> StackConfig:
        """The DR side's config: this DR stack's own, or the one a primary presumes."""
        if self.is_dr:
            return self.config
        if self._presumed is None:
            self._presumed = presumed_dr_config(self.config, self.stack)
        return self._presumed

    def dr_site(self, failover: bool) -> DerivedSite:
        """The DR side standing by (False) or failed over (True)."""
        if self.is_dr:
            return self.site(failover)
        key = ("presumed", failover)
        if key not in self._shapes:
            self._shapes[key] = derive_site(
                self.dr_config(), self.config, stack=self.dr_stack, failover=failover
            )
        return self._shapes[key]

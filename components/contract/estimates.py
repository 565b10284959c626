"""The plan's DR estimate (stack output and plan.json ``estimates``), as typed records.

:func:`paif_components.dr.estimate.estimate_for` builds an :class:`Estimates`; PaifSite hands
its :meth:`~Estimates.to_json` to the policies (site inputs) and exports it; the runbooks, the
policies and the diagram read it back with :meth:`Estimates.from_json` and use attributes, not
string keys. ``to_json`` gives back the mapping ``from_json`` read (same keys, same values).

Typed field by field: the estimate's identity (pattern, role, site, stacks), each site's facts,
RTO and RPO figures, the failover's summary and the topology
(:mod:`paif_components.contract.dr_topology`). Sections whose shape is the estimators' own
(``assumptions``, RTO/RPO ``terms`` and ``stores``, ``capacity``, ``objectives``,
``schedulability``, ``inSiteHa``, the failover's ``changes``) stay JSON mappings inside them.

A stack without a DR pattern has no ``failover``, ``assumptions``, ``overriddenAssumptions``
nor ``inSiteHa``: those fields are None there and ``to_json`` leaves their keys out. Readers of
a partial mapping (a policy run on a hand-made site) get None for what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paif_components.contract.dr_topology import DrTopologyRecord
from paif_components.contract.json_read import JsonMap, items, mapping, maps, strings, text


@dataclass(frozen=True)
class SiteFactsRecord:
    """Where a site's operators connect (None: not known to this stack)."""

    name: str
    stack: str | None
    harbor_url: str | None
    supervisor: str | None
    vcenter: str | None
    fqdn: str | None
    virtual_ip: str | None
    prometheus_url: str | None

    @classmethod
    def from_json(cls, raw: JsonMap) -> SiteFactsRecord:
        return cls(
            name=text(raw.get("name")) or "",
            stack=text(raw.get("stack")),
            harbor_url=text(raw.get("harborUrl")),
            supervisor=text(raw.get("supervisor")),
            vcenter=text(raw.get("vcenter")),
            fqdn=text(raw.get("fqdn")),
            virtual_ip=text(raw.get("virtualIp")),
            prometheus_url=text(raw.get("prometheusUrl")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stack": self.stack,
            "harborUrl": self.harbor_url,
            "supervisor": self.supervisor,
            "vcenter": self.vcenter,
            "fqdn": self.fqdn,
            "virtualIp": self.virtual_ip,
            "prometheusUrl": self.prometheus_url,
        }


@dataclass(frozen=True)
class SitesRecord:
    """Both sites' facts; ``dr`` is None for a stack without a DR site."""

    primary: SiteFactsRecord | None
    dr: SiteFactsRecord | None

    @classmethod
    def from_json(cls, raw: JsonMap) -> SitesRecord:
        primary, dr = mapping(raw.get("primary")), mapping(raw.get("dr"))
        return cls(
            primary=SiteFactsRecord.from_json(primary) if primary is not None else None,
            dr=SiteFactsRecord.from_json(dr) if dr is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "primary": self.primary.to_json() if self.primary is not None else None,
            "dr": self.dr.to_json() if self.dr is not None else None,
        }

    def side(self, primary: bool) -> SiteFactsRecord | None:
        return self.primary if primary else self.dr


@dataclass(frozen=True)
class StacksRecord:
    """The two stacks' names (None: not known here)."""

    primary: str | None
    dr: str | None

    @classmethod
    def from_json(cls, raw: JsonMap) -> StacksRecord:
        return cls(primary=text(raw.get("primary")), dr=text(raw.get("dr")))

    def to_json(self) -> dict[str, Any]:
        return {"primary": self.primary, "dr": self.dr}


@dataclass(frozen=True)
class RecoveryRecord:
    """An RTO or RPO figure: seconds (None when unbounded), its band against the pattern's
    (§9.3), and its terms; an RPO also says whether it is bounded and per data store."""

    seconds: float | None
    duration: str
    band: str
    source_band: str
    within_source_band: bool
    terms: tuple[JsonMap, ...]
    # RPO only (None on an RTO).
    bounded: bool | None = None
    unbounded: tuple[str, ...] | None = None
    stores: tuple[JsonMap, ...] | None = None

    @classmethod
    def from_json(cls, raw: JsonMap) -> RecoveryRecord:
        unbounded, stores = raw.get("unbounded"), raw.get("stores")
        bounded = raw.get("bounded")
        return cls(
            seconds=raw.get("seconds"),
            duration=text(raw.get("duration")) or "",
            band=text(raw.get("band")) or "",
            source_band=text(raw.get("sourceBand")) or "",
            within_source_band=bool(raw.get("withinSourceBand")),
            terms=maps(raw.get("terms")),
            bounded=bool(bounded) if bounded is not None else None,
            unbounded=strings(unbounded) if items(unbounded) is not None else None,
            stores=maps(stores) if items(stores) is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seconds": self.seconds,
            "duration": self.duration,
            "band": self.band,
            "sourceBand": self.source_band,
            "withinSourceBand": self.within_source_band,
        }
        if self.bounded is not None:
            out["bounded"] = self.bounded
        if self.unbounded is not None:
            out["unbounded"] = list(self.unbounded)
        out["terms"] = [dict(t) for t in self.terms]
        if self.stores is not None:
            out["stores"] = [dict(s) for s in self.stores]
        return out


@dataclass(frozen=True)
class FailoverRecord:
    """The site loss estimated: from where to where, whether the DR site's facts are declared
    or presumed, and what ``pulumi up`` of the DR stack changes each way."""

    source: str
    target: str
    dr_site_facts: str
    changes: tuple[JsonMap, ...]
    commands: JsonMap

    @classmethod
    def from_json(cls, raw: JsonMap) -> FailoverRecord:
        return cls(
            source=text(raw.get("from")) or "",
            target=text(raw.get("to")) or "",
            dr_site_facts=text(raw.get("drSiteFacts")) or "",
            changes=maps(raw.get("changes")),
            commands=mapping(raw.get("commands")) or {},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "drSiteFacts": self.dr_site_facts,
            "changes": [dict(c) for c in self.changes],
            "commands": dict(self.commands),
        }


@dataclass(frozen=True)
class Estimates:
    """``estimates``: RTO, RPO and GPU capacity of a stack's DR topology (module doc)."""

    pattern: str
    role: str
    site: str
    stacks: StacksRecord
    sites: SitesRecord
    rto: RecoveryRecord | None
    rpo: RecoveryRecord | None
    objectives: JsonMap | None
    capacity: JsonMap | None
    topology: DrTopologyRecord | None
    schedulability: JsonMap | None
    notes: tuple[str, ...]
    # With a DR pattern only (module doc).
    failover: FailoverRecord | None = None
    assumptions: JsonMap | None = None
    overridden_assumptions: tuple[str, ...] | None = None
    in_site_ha: tuple[JsonMap, ...] | None = None

    @classmethod
    def from_json(cls, raw: JsonMap) -> Estimates:
        rto, rpo, topology, failover = (
            mapping(raw.get(k)) for k in ("rto", "rpo", "topology", "failover")
        )
        overridden, ha = raw.get("overriddenAssumptions"), raw.get("inSiteHa")
        return cls(
            pattern=text(raw.get("pattern")) or "none",
            role=text(raw.get("role")) or "primary",
            site=text(raw.get("site")) or "",
            stacks=StacksRecord.from_json(mapping(raw.get("stacks")) or {}),
            sites=SitesRecord.from_json(mapping(raw.get("sites")) or {}),
            rto=RecoveryRecord.from_json(rto) if rto is not None else None,
            rpo=RecoveryRecord.from_json(rpo) if rpo is not None else None,
            objectives=mapping(raw.get("objectives")),
            capacity=mapping(raw.get("capacity")),
            topology=DrTopologyRecord.from_json(topology) if topology else None,
            schedulability=mapping(raw.get("schedulability")),
            notes=strings(raw.get("notes")),
            failover=FailoverRecord.from_json(failover) if failover is not None else None,
            assumptions=mapping(raw.get("assumptions")),
            overridden_assumptions=strings(overridden) if items(overridden) is not None else None,
            in_site_ha=maps(ha) if items(ha) is not None else None,
        )

    @classmethod
    def read(cls, raw: Any) -> Estimates:
        """``from_json`` of what a site's inputs hold, for readers that must not fail (the
        policies): an empty estimate (no figures, no topology) when they hold none, or one
        that is not an estimate (a hand-made site's), so such a reader finds nothing to judge.
        """
        if isinstance(raw, Mapping) and raw:
            try:
                return cls.from_json(raw)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
        return cls.from_json({})

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pattern": self.pattern,
            "role": self.role,
            "site": self.site,
            "stacks": self.stacks.to_json(),
            "sites": self.sites.to_json(),
        }
        if self.failover is not None:
            out["failover"] = self.failover.to_json()
        if self.assumptions is not None:
            out["assumptions"] = dict(self.assumptions)
        if self.overridden_assumptions is not None:
            out["overriddenAssumptions"] = list(self.overridden_assumptions)
        out["rto"] = self.rto.to_json() if self.rto is not None else None
        out["rpo"] = self.rpo.to_json() if self.rpo is not None else None
        out["objectives"] = dict(self.objectives) if self.objectives is not None else None
        out["capacity"] = dict(self.capacity) if self.capacity is not None else None
        out["topology"] = self.topology.to_json() if self.topology is not None else None
        if self.in_site_ha is not None:
            out["inSiteHa"] = [dict(h) for h in self.in_site_ha]
        out["schedulability"] = (
            dict(self.schedulability) if self.schedulability is not None else None
        )
        out["notes"] = list(self.notes)
        return out

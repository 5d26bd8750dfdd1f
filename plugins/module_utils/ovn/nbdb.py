# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconcile marked rows of an OVSDB database (OVN Northbound) with ovsdbapp.

Read every row once (the IDL holds the whole database), diff against the rows
wanted, write the difference in one transaction, or nothing at all. ovsdbapp's
own ``*_add(may_exist=True)`` commands do not converge (they keep old columns
or raise on a different MAC) and say nothing about what changed, so the write
is one command of our own that inserts, updates and deletes IDL rows directly.
Only rows carrying the ownership mark are ever updated or deleted; a row with
a wanted name that is not marked is an error, never taken over.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..common import MissingLibrary, OverlayError
from .model import (
    KIND_KEY,
    KIND_TASK,
    KIND_TOPOLOGY,
    NODE_KEY,
    OWNER,
    OWNER_KEY,
    ROW_KEY,
    TABLES_WITH_NAMES,
    RowSpec,
    by_identity,
    describe,
)

try:
    from ovsdbapp.backend.ovs_idl import command as _ovs_command
    from ovsdbapp.backend.ovs_idl import connection as _connection
    from ovsdbapp.backend.ovs_idl import idlutils as _idlutils

    HAS_OVSDBAPP = True
    OVSDBAPP_IMPORT_ERROR = None
    _BaseCommand = _ovs_command.BaseCommand
except ImportError as _exc:  # pragma: no cover - reported by the callers
    HAS_OVSDBAPP = False
    OVSDBAPP_IMPORT_ERROR = _exc
    _BaseCommand = object

# Reference columns through which the rows we make hang from their parents.
PARENT_COLUMNS = {
    "Logical_Router_Port": (("Logical_Router", "ports"),),
    "Logical_Switch_Port": (("Logical_Switch", "ports"),),
    "Logical_Router_Static_Route": (("Logical_Router", "static_routes"),),
    "NAT": (("Logical_Router", "nat"),),
}
MANAGED_TABLES = ("Logical_Router", "Logical_Switch", "Logical_Router_Port", "Logical_Switch_Port",
                  "Logical_Router_Static_Route", "NAT", "Load_Balancer")


class CentralError(OverlayError):
    """The OVN central databases cannot be reached or refused a change."""


class OwnershipError(OverlayError):
    """A row this collection would manage exists but was not made by it."""


# ---------------------------------------------------------------- connecting


def _tcp_targets(remote: str) -> List[Tuple[str, str, int]]:
    out = []
    for part in remote.split(","):
        part = part.strip()
        kind, _sep, rest = part.partition(":")
        if kind in ("tcp", "ssl") and rest:
            host, _sep, port = rest.rpartition(":")
            out.append((part, host.strip("[]"), int(port)))
    return out


def check_reachable(remote: str, timeout: float) -> None:
    """Fail fast with every remote's error when none of the TCP remotes answers."""
    targets = _tcp_targets(remote)
    if not targets:
        return
    errors = []
    for name, host, port in targets:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return
        except OSError as exc:
            errors.append("%s: %s" % (name, exc.strerror or exc))
    raise CentralError("OVN central unreachable (%s)" % "; ".join(errors))


def connect(remote: str, schema: str, timeout: float = 10.0):
    """An ovsdbapp API object on ``remote`` (``tcp:IP:PORT[,tcp:...]`` or ``unix:PATH``),
    with the whole database read. Raises CentralError naming the remote."""
    if not HAS_OVSDBAPP:
        raise MissingLibrary("ovsdbapp (Debian/Ubuntu: python3-ovsdbapp)", str(OVSDBAPP_IMPORT_ERROR))
    check_reachable(remote, min(timeout, 5.0))
    try:
        idl = _connection.OvsdbIdl.from_server(remote, schema)
        conn = _connection.Connection(idl=idl, timeout=timeout)
        if schema == "OVN_Northbound":
            from ovsdbapp.schema.ovn_northbound.impl_idl import OvnNbApiIdlImpl as base
        elif schema == "OVN_Southbound":
            from ovsdbapp.schema.ovn_southbound.impl_idl import OvnSbApiIdlImpl as base
        else:
            from ovsdbapp.schema.open_vswitch.impl_idl import OvsdbIdl as base
        # ovsdbapp keeps the connection in a class attribute (one per process and
        # schema): a subclass of our own per connection keeps them apart.
        api = type(base.__name__, (base,), {"_ovsdb_connection": None})(conn)
    except Exception as exc:  # ovsdbapp raises bare Exception on timeouts
        raise CentralError("%s at %s: %s" % (schema, remote, exc or type(exc).__name__)) from None
    return api


def close(api) -> None:
    try:
        api.ovsdb_connection.stop(timeout=2)
    except (RuntimeError, AttributeError):  # pragma: no cover
        # the connection never started, or its thread is already gone: nothing to stop
        pass


# ---------------------------------------------------------------- reading


def _value(value: Any) -> Any:
    """An IDL column value as plain data (sets sorted, references by name)."""
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return sorted((_value(v) for v in value), key=str)
    if hasattr(value, "_table"):  # a referenced row
        return getattr(value, "name", str(value.uuid))
    return value


def row_key(table: str, row) -> Optional[str]:
    if table in TABLES_WITH_NAMES:
        return row.name
    return row.external_ids.get(ROW_KEY)


def is_ours(row, kind: Optional[str] = KIND_TOPOLOGY) -> bool:
    ids = getattr(row, "external_ids", {}) or {}
    return ids.get(OWNER_KEY) == OWNER and (kind is None or ids.get(KIND_KEY) == kind)


def rows(api, table: str) -> Iterable[Any]:
    return list(api.tables[table].rows.values())


def find(api, table: str, key: str, kind: Optional[str] = None):
    """The row of ``table`` with name (or row key) ``key``; marked rows first."""
    found = None
    for row in rows(api, table):
        if table in TABLES_WITH_NAMES and row.name != key:
            continue
        if table not in TABLES_WITH_NAMES and row_key(table, row) != key:
            continue
        if is_ours(row, kind):
            return row
        found = found or row
    return found


def snapshot(row, columns: Iterable[str]) -> Dict[str, Any]:
    return {col: _value(getattr(row, col)) for col in columns}


# ---------------------------------------------------------------- planning


@dataclass
class Change:
    action: str  # create | update | delete
    table: str
    key: str
    before: Optional[Dict[str, Any]] = None
    after: Optional[Dict[str, Any]] = None
    spec: Optional[RowSpec] = None
    relink: bool = False

    def text(self) -> str:
        return "%s %s" % (self.action, describe(self.table, self.key))


@dataclass
class Plan:
    changes: List[Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def actions(self) -> List[str]:
        return [c.text() for c in self.changes]

    def diff(self) -> Dict[str, Dict[str, Any]]:
        before: Dict[str, Any] = {}
        after: Dict[str, Any] = {}
        for c in self.changes:
            name = describe(c.table, c.key)
            if c.before is not None:
                before[name] = c.before
            if c.after is not None:
                after[name] = c.after
        return {"before": before, "after": after}


def _linked(api, spec: RowSpec, row) -> bool:
    """Whether every row that should reference ``row`` does."""
    for link in spec.parents():
        parent = find(api, link.table, link.name)
        if parent is None or not any(r.uuid == row.uuid for r in getattr(parent, link.column)):
            return False
    return True


def plan(api, wanted: Sequence[RowSpec], purge: bool = True, nodes: Optional[Iterable[str]] = None) -> Plan:
    """What to change so that the marked rows are exactly ``wanted``.

    With ``purge``, marked topology rows not wanted are deleted, and, when
    ``nodes`` (the cluster's nodes) is given, the task ports of nodes that
    are not among them (their tasks' ports on tenant networks); with
    ``purge`` false nothing is deleted."""
    keep_nodes = set(nodes) if nodes is not None else None

    def owned(table: str, row) -> bool:
        if is_ours(row):
            return True
        return (keep_nodes is not None and table == "Logical_Switch_Port" and is_ours(row, KIND_TASK)
                and row.external_ids.get(NODE_KEY) not in keep_nodes)

    index = by_identity(wanted)
    result = Plan()
    for spec in wanted:
        want = _value(spec.wanted())
        row = find(api, spec.table, spec.key)
        if row is None:
            result.changes.append(Change("create", spec.table, spec.key, None, want, spec))
            continue
        if not is_ours(row):
            raise OwnershipError("%s exists and was not made by %s (external_ids has no %s=%s): left alone"
                                 % (describe(spec.table, spec.key), OWNER, OWNER_KEY, OWNER))
        have = snapshot(row, want)
        relink = not _linked(api, spec, row)
        if have != want or relink:
            diff_cols = [c for c in want if have.get(c) != want[c]]
            result.changes.append(Change(
                "update", spec.table, spec.key,
                {c: have[c] for c in diff_cols}, {c: want[c] for c in diff_cols}, spec, relink))
    if purge:
        doomed = []
        for table in MANAGED_TABLES:
            for row in rows(api, table):
                key = row_key(table, row)
                if owned(table, row) and (table, key) not in index and not (table, key) in [(c.table, c.key) for c in doomed]:
                    doomed.append(Change("delete", table, key, snapshot(row, ("external_ids",)) | {"uuid": str(row.uuid)}))
        # Children before their parents (routers and switches last).
        doomed.sort(key=lambda c: c.table in ("Logical_Router", "Logical_Switch"))
        result.changes.extend(doomed)
    return result


# ---------------------------------------------------------------- writing


class _ApplyPlan(_BaseCommand):  # type: ignore[misc,valid-type]
    """One ovsdbapp command carrying a whole plan: run inside one transaction."""

    def __init__(self, api, changes: Sequence[Change]) -> None:
        super().__init__(api)
        self.changes = changes

    def _row(self, made: Dict[Tuple[str, str], Any], table: str, key: str):
        return made.get((table, key)) or find(self.api, table, key, kind=None)

    def _link(self, made, spec: RowSpec, row) -> None:
        for link in spec.parents():
            parent = self._row(made, link.table, link.name)
            if parent is None:
                raise CentralError("%s: %s is missing" % (describe(spec.table, spec.key), describe(link.table, link.name)))
            have = getattr(parent, link.column, [])  # a row inserted in this transaction has no value yet
            if not any(r.uuid == row.uuid for r in have):
                parent.addvalue(link.column, row)

    def run_idl(self, txn) -> None:
        made: Dict[Tuple[str, str], Any] = {}
        for change in self.changes:
            if change.action == "delete":
                row = find(self.api, change.table, change.key)
                if row is None:
                    continue
                for parent_table, column in PARENT_COLUMNS.get(change.table, ()):
                    for parent in rows(self.api, parent_table):
                        if any(r.uuid == row.uuid for r in getattr(parent, column)):
                            parent.delvalue(column, row)
                row.delete()
                continue
            spec = change.spec
            cols = spec.wanted()
            if change.action == "create":
                row = txn.insert(self.api._tables[spec.table])
                made[(spec.table, spec.key)] = row
                for col, value in cols.items():
                    setattr(row, col, value)
                self._link(made, spec, row)
            else:
                row = find(self.api, spec.table, spec.key)
                for col in change.after:
                    setattr(row, col, cols[col])
                if change.relink:
                    self._link(made, spec, row)


def apply(api, result: Plan, timeout: float = 30.0) -> None:
    """Write the plan in one transaction (nothing when it is empty)."""
    if not result.changes:
        return
    started = time.monotonic()
    try:
        with api.transaction(check_error=True, timeout=timeout) as txn:
            txn.add(_ApplyPlan(api, result.changes))
    except (OwnershipError, CentralError):
        raise
    except Exception as exc:
        raise CentralError("transaction of %d changes failed after %.1fs: %s"
                           % (len(result.changes), time.monotonic() - started, exc)) from None

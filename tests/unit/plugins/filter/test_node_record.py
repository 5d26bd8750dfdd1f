"""The agent role's record of a node, built from its steps' registered results."""

import pytest

from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import (
    failed_overlays,
    node_record,
    parse_record,
)

CNI = "/var/lib/mesos/cni"
VTEP = {"name": "vtep1024", "vni": 1024, "port": 64000}


def block(third):
    return {"subnet": f"9.0.{third}.0/24", "mesos_subnet": f"9.0.{third}.0/25",
            "docker_subnet": f"9.0.{third}.128/25", "subnet6": None, "mesos_subnet6": None,
            "docker_subnet6": None}


def allocation(*names):
    return {"ip": "10.0.0.5", "vtep_ip": "44.128.0.7/20", "vtep_ip6": None, "vtep_mac": "70:b3:d5:80:00:07",
            "overlays": {n: block(i) for i, n in enumerate(names)}}


def loop(*items):
    """A registered loop result: each item (value, failed?, msg)."""
    return {"results": [dict({"item": v, "failed": bool(f), "changed": not f}, **({"msg": m} if m else {}))
                        for v, f, m in items]}


def net_loop(*items):
    return {"results": [{"item": {"name": v}, "failed": bool(f), "msg": m or ""} for v, f, m in items]}


def plan(*names, conflict=None):
    return [{"name": n, "conflict": (conflict or {}).get(n, "")} for n in names]


def converged(names, **over):
    """The results of a clean run that wrote every config and network."""
    res = {"cni_dir": {"changed": False}, "cni": loop(*[(n, False, None) for n in names]),
           "cni_removed": {"results": [], "skipped": True}, "docker_engine": {"changed": False},
           "docker_plan": plan(*names), "docker": net_loop(*[(n, False, None) for n in names]),
           "docker_removed": {"results": [], "skipped": True}, "nat": {"changed": True}}
    res.update(over)
    return res


def statuses(record):
    return {n: o["state"] for n, o in record["overlays"].items()}


def test_a_first_run_records_what_it_made_and_every_overlay_ok():
    alloc = allocation("a", "b")
    configuring = node_record(alloc, {}, cni_dir=CNI, vtep=VTEP, configuring=True)
    assert statuses(configuring) == {"a": {"status": "STATUS_CONFIGURING"}, "b": {"status": "STATUS_CONFIGURING"}}
    assert configuring["cni_files"] == [] and configuring["docker_networks"] == []

    record = node_record(alloc, {}, converged(["a", "b"]), cni_dir=CNI, vtep=VTEP)
    assert statuses(record) == {"a": {"status": "STATUS_OK"}, "b": {"status": "STATUS_OK"}}
    assert record["cni_files"] == [f"{CNI}/a.conf", f"{CNI}/b.conf"]
    assert record["docker_networks"] == ["a", "b"]
    assert record["vtep"] == dict(VTEP, ip="44.128.0.7/20", ip6=None, mac="70:b3:d5:80:00:07")
    assert record["overlays"]["a"]["mesos_subnet"] == "9.0.0.0/25"


def test_a_rerun_gives_the_same_record_byte_for_byte():
    alloc = allocation("a", "b")
    first = node_record(alloc, {}, converged(["a", "b"]), cni_dir=CNI, vtep=VTEP)
    again = node_record(alloc, first, converged(["a", "b"]), cni_dir=CNI, vtep=VTEP)
    assert again == first
    # nothing new: the configuring record is the earlier one
    assert node_record(alloc, first, cni_dir=CNI, vtep=VTEP, configuring=True) == first


def test_a_failed_step_fails_the_overlays_it_concerns_and_keeps_what_exists():
    alloc = allocation("a", "b")
    first = node_record(alloc, {}, converged(["a", "b"]), cni_dir=CNI, vtep=VTEP)

    cni = node_record(alloc, first, converged(["a", "b"], cni=loop(("a", True, "read-only"), ("b", False, None))),
                      cni_dir=CNI, vtep=VTEP)
    assert statuses(cni)["a"] == {"status": "STATUS_FAILED", "error": "cni: read-only"}
    assert statuses(cni)["b"] == {"status": "STATUS_OK"}
    assert cni["cni_files"] == first["cni_files"]          # a's file from the earlier run is still ours

    down = converged(["a", "b"], docker_engine={"failed": True, "msg": "refused"},
                     docker_plan=None, docker=None, docker_removed=None)
    engine = node_record(alloc, first, down, cni_dir=CNI, vtep=VTEP, docker_host="unix:///x.sock")
    assert statuses(engine)["b"] == {"status": "STATUS_FAILED",
                                     "error": "docker: no Docker engine at unix:///x.sock: refused"}
    assert engine["docker_networks"] == ["a", "b"] and engine["cni_files"] == first["cni_files"]

    foreign = node_record(alloc, {}, converged(["a", "b"], docker_plan=plan("a", "b", conflict={"b": "not ours"}),
                                               docker=net_loop(("a", False, None))), cni_dir=CNI)
    assert statuses(foreign)["b"] == {"status": "STATUS_FAILED", "error": "docker: not ours"}
    assert foreign["docker_networks"] == ["a"]             # never recorded: never removed

    nat = node_record(alloc, first, converged(["a", "b"], nat={"failed": True, "msg": "no ipset"}), cni_dir=CNI)
    assert failed_overlays(nat) == {"a": "nat: no ipset", "b": "nat: no ipset"}

    cni_dir = node_record(alloc, {}, converged(["a"], cni_dir={"failed": True, "msg": "read-only fs"},
                                               cni={"results": [], "skipped": True}), cni_dir=CNI)
    assert failed_overlays(cni_dir) == {"a": "cni: read-only fs", "b": "cni: read-only fs"}
    assert cni_dir["cni_files"] == []

    # a step that stopped the run (the rescue): every overlay, with what was made so far
    stopped = node_record(alloc, {}, {"cni": loop(("a", False, None))}, cni_dir=CNI,
                          failure="Make or repair the VXLAN device: no CAP_NET_ADMIN")
    assert failed_overlays(stopped) == {n: "node: Make or repair the VXLAN device: no CAP_NET_ADMIN"
                                        for n in ("a", "b")}
    assert stopped["cni_files"] == [f"{CNI}/a.conf"]


def test_a_removed_overlay_leaves_the_record_with_its_file_and_network():
    first = node_record(allocation("a", "b"), {}, converged(["a", "b"]), cni_dir=CNI)
    res = converged(["a"], cni_removed=loop((f"{CNI}/b.conf", False, None)),
                    docker_removed=loop(("b", False, None)))
    record = node_record(allocation("a"), first, res, cni_dir=CNI)
    assert list(record["overlays"]) == ["a"]
    assert record["cni_files"] == [f"{CNI}/a.conf"]
    assert record["docker_networks"] == ["a"]


def test_a_failed_removal_stays_recorded_so_the_next_run_tries_again():
    first = node_record(allocation("a", "b"), {}, converged(["a", "b"]), cni_dir=CNI)
    res = converged(["a"], cni_removed=loop((f"{CNI}/b.conf", True, "busy")),
                    docker_removed=loop(("b", True, "has active endpoints")))
    record = node_record(allocation("a"), first, res, cni_dir=CNI)
    assert record["cni_files"] == [f"{CNI}/a.conf", f"{CNI}/b.conf"]
    assert record["docker_networks"] == ["a", "b"]
    assert statuses(record) == {"a": {"status": "STATUS_OK"}}
    # a removal that did not run (no Docker engine) keeps it too
    res = converged(["a"], docker_engine={"failed": True, "msg": "down"}, docker_removed=None, docker=None)
    assert node_record(allocation("a"), first, res, cni_dir=CNI)["docker_networks"] == ["a", "b"]


def test_unknown_steps_and_unreadable_records_are_errors():
    with pytest.raises(ValueError, match="unknown steps dockr"):
        node_record(allocation("a"), {}, {"dockr": {}})
    with pytest.raises(ValueError, match="/f: cannot read the record of an earlier run"):
        parse_record("{not json", "/f")
    with pytest.raises(ValueError, match="is a list, not a JSON object"):
        parse_record("[]", "/f")
    assert parse_record('{"version": 1}', "/f") == {"version": 1}


# ---------------------------------------------------------------------------
# Netgroups: what the record holds so that a renumbering is seen and a recovery rebuilds


def test_the_record_holds_the_docker_blocks_of_netgroups_per_overlay():
    alloc = allocation("a", "b")
    alloc["overlays"]["a"]["netgroups"] = {"blue": "9.0.5.0/24", "red": "9.0.6.0/24"}
    record = node_record(alloc, {}, converged(["a", "b"]), cni_dir=CNI, vtep=VTEP)
    assert record["overlays"]["a"]["netgroups"] == {"blue": "9.0.5.0/24", "red": "9.0.6.0/24"}
    assert "netgroups" not in record["overlays"]["b"]  # a record without netgroups is as before


def test_the_record_written_before_the_work_keeps_the_earlier_netgroup_policy():
    """The role writes the netgroup policy (its IDs) beside this record; the record written
    before the work starts must not drop it, or a run stopped then would lose the IDs."""
    old = node_record(allocation("a"), {}, converged(["a"]), cni_dir=CNI, vtep=VTEP)
    old["netgroups"] = {"ids": {"blue": 1, "red": 2}, "isolated": [], "docker_networks": ["a.blue", "a.red"],
                        "state": {"status": "STATUS_OK"}}
    configuring = node_record(allocation("a", "b"), old, cni_dir=CNI, vtep=VTEP, configuring=True)
    assert configuring["netgroups"] == old["netgroups"]
    assert "netgroups" not in node_record(allocation("a", "b"), {}, cni_dir=CNI, vtep=VTEP, configuring=True)

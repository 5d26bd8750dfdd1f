"""Status: the node's fact, the /overlay-master/state view, the table and capacity."""

import json

from ansible_collections.mesos.overlay.plugins.filter.status import (
    capacity,
    capacity_table,
    state_view,
    status_table,
)
from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import node_fact

CONFIG = {"vtep_subnet": "44.128.0.0/20", "vtep_subnet6": None, "vtep_mac_oui": "70:B3:D5:00:00:00",
          "vtep_mtu": None,
          "overlays": [{"name": "dcos", "subnet": "9.0.0.0/8", "prefix": 24, "subnet6": None,
                        "prefix6": None, "enabled": True},
                       {"name": "off", "subnet": "10.1.0.0/16", "prefix": 24, "subnet6": None,
                        "prefix6": None, "enabled": False}]}


def block(third):
    return {"subnet": f"9.0.{third}.0/24", "mesos_subnet": f"9.0.{third}.0/25",
            "docker_subnet": f"9.0.{third}.128/25", "subnet6": None, "mesos_subnet6": None,
            "docker_subnet6": None}


ALLOCS = {
    "master1": {"ip": "10.0.0.2", "role": "master", "vtep_ip": "44.128.0.1/20", "vtep_ip6": None,
                "vtep_mac": "70:b3:d5:80:00:01", "overlays": {"dcos": block(0)}},
    "agent1": {"ip": "10.0.0.5", "role": "agent", "vtep_ip": "44.128.0.7/20", "vtep_ip6": None,
               "vtep_mac": "70:b3:d5:80:00:07", "overlays": {"dcos": block(3)}},
}


def test_state_view_matches_the_original_shape():
    facts = {"agent1": node_fact(ALLOCS["agent1"]),
             "master1": node_fact(ALLOCS["master1"], mesos_bridge=False, docker_bridge=False)}
    view = state_view(CONFIG, ALLOCS, facts)
    assert view["network"] == {
        "vtep_subnet": "44.128.0.0/20", "vtep_mac_oui": "70:B3:D5:00:00:00",
        "overlays": [{"name": "dcos", "subnet": "9.0.0.0/8", "prefix": 24},
                     {"name": "off", "subnet": "10.1.0.0/16", "prefix": 24, "enabled": False}]}
    agent = view["agents"][1]
    assert agent == {"ip": "10.0.0.5", "overlays": [{
        "info": {"name": "dcos", "subnet": "9.0.0.0/8", "prefix": 24},
        "subnet": "9.0.3.0/24",
        "mesos_bridge": {"name": "m-dcos", "ip": "9.0.3.0/25"},
        "docker_bridge": {"name": "d-dcos", "ip": "9.0.3.128/25"},
        "backend": {"vxlan": {"vni": 1024, "vtep_name": "vtep1024", "vtep_ip": "44.128.0.7/20",
                              "vtep_mac": "70:b3:d5:80:00:07"}},
        "state": {"status": "STATUS_OK"}}]}
    master = view["agents"][0]["overlays"][0]
    assert "mesos_bridge" not in master and "docker_bridge" not in master
    json.dumps(view)


def test_v6_keys_sit_beside_their_v4_twins():
    config = dict(CONFIG, vtep_subnet6="fd00::/64",
                  overlays=[dict(CONFIG["overlays"][0], subnet6="fd01::/64", prefix6=80)])
    alloc = dict(ALLOCS["agent1"], vtep_ip6="fd00::1/64",
                 overlays={"dcos": dict(block(3), subnet6="fd01::/80", mesos_subnet6="fd01::/81",
                                        docker_subnet6="fd01::8000:0:0/81")})
    view = state_view(config, {"agent1": alloc}, {})
    assert view["network"]["vtep_subnet6"] == "fd00::/64"
    ov = view["agents"][0]["overlays"][0]
    assert ov["info"]["subnet6"] == "fd01::/64" and ov["info"]["prefix6"] == 80
    assert ov["subnet6"] == "fd01::/80"
    assert ov["mesos_bridge"] == {"name": "m-dcos", "ip": "9.0.3.0/25", "ip6": "fd01::/81"}
    assert ov["backend"]["vxlan"]["vtep_ip6"] == "fd00::1/64"


def test_a_silent_node_is_configuring_and_a_failure_carries_its_error():
    facts = {"agent1": node_fact(ALLOCS["agent1"], errors={"dcos": ["docker: no engine", "cni: read-only"]})}
    view = state_view(CONFIG, ALLOCS, facts)
    assert view["agents"][0]["overlays"][0]["state"]["status"] == "STATUS_CONFIGURING"
    assert view["agents"][1]["overlays"][0]["state"] == {
        "status": "STATUS_FAILED", "error": "docker: no engine; cni: read-only"}


def test_node_fact_is_stable_and_records_what_was_made():
    a = node_fact(ALLOCS["agent1"], cni_files=["/c/dcos.conf", "/c/dcos.conf"], docker_networks=["dcos"])
    assert a == node_fact(ALLOCS["agent1"], cni_files=["/c/dcos.conf"], docker_networks=["dcos"])
    assert a["cni_files"] == ["/c/dcos.conf"] and a["docker_networks"] == ["dcos"]
    assert node_fact(ALLOCS["agent1"], configuring=["dcos"])["overlays"]["dcos"]["state"] == {
        "status": "STATUS_CONFIGURING"}


def test_table_has_a_row_per_node_and_overlay():
    facts = {"agent1": node_fact(ALLOCS["agent1"], errors={"dcos": "docker: conflict"})}
    lines = status_table(ALLOCS, facts)
    assert lines[0].split() == ["NODE", "IP", "OVERLAY", "SUBNET", "STATUS", "ERROR"]
    assert lines[1].split()[:5] == ["master1", "10.0.0.2", "dcos", "9.0.0.0/24", "CONFIGURING"]
    assert lines[2].split()[:5] == ["agent1", "10.0.0.5", "dcos", "9.0.3.0/24", "FAILED"]
    assert lines[2].endswith("docker: conflict")


def test_capacity_counts_blocks_used_and_left():
    cap = capacity(CONFIG, ALLOCS)
    assert cap[0] == {"name": "dcos", "enabled": True, "subnet": "9.0.0.0/8", "prefix": 24,
                      "blocks": 65536, "used": 2, "left": 65534}
    assert cap[1]["used"] == 0 and cap[1]["left"] == 256 and cap[1]["enabled"] is False
    six = capacity({"overlays": [{"name": "v", "subnet": "10.0.0.0/24", "prefix": 26,
                                  "subnet6": "fd01::/64", "prefix6": 80}]},
                   {"a": {"overlays": {"v": {"subnet": "10.0.0.0/26", "subnet6": "fd01::/80"}}}})
    assert six[0]["blocks"] == 4 and six[0]["left"] == 3
    assert six[0]["blocks6"] == 65536 and six[0]["used6"] == 1
    lines = capacity_table(cap)
    assert lines[0].split() == ["OVERLAY", "SUBNET", "PREFIX", "BLOCKS", "USED", "LEFT"]
    assert lines[1].split() == ["dcos", "9.0.0.0/8", "/24", "65536", "2", "65534"]


def test_failures_of_a_loop_are_charged_to_their_overlay():
    from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import failures, merge_errors

    loop = {"results": [{"item": {"key": "a"}, "failed": True, "msg": "read-only"},
                        {"item": {"key": "b"}, "changed": True},
                        {"item": {"key": "c"}, "failed": False}]}
    assert failures(loop, "cni", key="item.key") == {"a": ["cni: read-only"]}
    assert failures({"results": [{"item": "a", "failed": True, "msg": "x"}]}, "cni") == {"a": ["cni: x"]}
    # not a loop: charged to every named overlay; a skipped or good result gives nothing
    assert failures({"failed": True, "msg": "boom"}, "nat", names=["a", "b"]) == {"a": ["nat: boom"], "b": ["nat: boom"]}
    assert failures({"skipped": True}, "nat", names=["a"]) == {}
    assert merge_errors([{"a": ["x"]}, {"a": "y", "b": ""}]) == {"a": ["x", "y"], "b": []}


# --------------------------------------------------------------------------
# What the node has now, the summary, capacity with disabled overlays


def test_a_deleted_vtep_fails_every_overlay_with_the_reason_until_repaired():
    from ansible_collections.mesos.overlay.plugins.filter.status import status_now

    record = node_fact(ALLOCS["agent1"], cni_files=["/c/dcos.conf"])
    vtep_gone = {"changed": True, "diff": {"before": {"state": "absent"}, "after": {}}, "reasons": []}
    now = status_now(record, vtep=vtep_gone, peers={"skipped": True})
    assert now["overlays"]["dcos"]["state"] == {"status": "STATUS_FAILED", "error": "now: vtep1024 is missing"}
    assert record["overlays"]["dcos"]["state"] == {"status": "STATUS_OK"}          # the record is not changed
    rows = status_table(ALLOCS, {"agent1": now})
    assert "FAILED" in rows[2] and "now: vtep1024 is missing" in rows[2]
    # as converged: nothing to change, the record's word stands
    same = status_now(record, vtep={"changed": False, "diff": {"before": {"state": "present"},
                                                               "after": {"state": "present"}}},
                      peers={"changed": False, "counts": {"fdb": {"added": 0}}},
                      cni={"results": [{"item": "/c/dcos.conf", "stat": {"exists": True}}]})
    assert same == record


def test_flushed_peers_a_missing_cni_file_and_an_unreachable_node_are_faults():
    from ansible_collections.mesos.overlay.plugins.filter.status import state_view, status_now

    record = node_fact(ALLOCS["agent1"], errors={"dcos": "docker: conflict"}, cni_files=["/c/dcos.conf"])
    now = status_now(record, vtep={"changed": False},
                     peers={"changed": True, "counts": {"neighbours": {"added": 2, "removed": 0},
                                                        "fdb": {"added": 0}, "routes": {"updated": 1}}},
                     cni={"results": [{"item": "/c/dcos.conf", "stat": {"exists": False}}]})
    assert now["overlays"]["dcos"]["state"]["error"] == (
        "docker: conflict; now: peers: 2 neighbours, 1 routes missing or wrong; now: cni: /c/dcos.conf is missing")
    gone = status_now(None, error="unreachable: ssh timeout")
    view = state_view(CONFIG, ALLOCS, {"agent1": gone})
    assert view["agents"][1]["overlays"][0]["state"] == {"status": "STATUS_FAILED", "error": "unreachable: ssh timeout"}
    assert status_now(record, vtep={"failed": True, "msg": "no pyroute2"})["overlays"]["dcos"]["state"]["error"].endswith(
        "now: vtep1024: cannot be checked: no pyroute2")


def test_blocks_held_by_disabled_overlays_count_as_used():
    state = {"nodes": {"agent1": {"overlays": {"dcos": {"subnet": "9.0.3.0/24"}, "off": {"subnet": "10.1.0.0/24"}}},
                       "gone": {"overlays": {"off": {"subnet": "10.1.1.0/24"}}}}}
    cap = {c["name"]: c for c in capacity(CONFIG, ALLOCS, state)}
    assert cap["off"]["used"] == 2 and cap["off"]["left"] == 254
    assert cap["dcos"]["used"] == 2          # the same block, in the state and the allocations, once


def test_the_summary_fits_a_screen_at_any_size():
    from ansible_collections.mesos.overlay.plugins.filter.status import status_summary

    allocs = {f"a{i}": dict(ALLOCS["agent1"], ip=f"10.0.{i // 250}.{i % 250}") for i in range(2000)}
    facts = {n: node_fact(a, errors={"dcos": "docker: no engine"} if i % 3 == 0 else None)
             for i, (n, a) in enumerate(allocs.items())}
    lines = status_summary(CONFIG, allocs, facts, max_failures=5)
    assert len(lines) < 20
    assert lines[0] == "2000 nodes, 2000 node/overlay pairs:"
    assert lines[1].split() == ["OVERLAY", "OK", "FAILED", "CONFIGURING"]
    assert lines[2].split() == ["dcos", "1333", "667", "0"]
    assert lines[3] == "not OK (667):" and lines[4] == "  a0/dcos: FAILED: docker: no engine"
    assert lines[9].startswith("  ... and 662 more")
    assert lines[-2].split()[:2] == ["dcos", "9.0.0.0/8"] and lines[-1].split()[0] == "off"

"""overlay_renumbered and overlay_node_records: the agent role's and the master role's view."""

from ansible_collections.mesos.overlay.plugins.filter.overlay_node_records import overlay_node_records
from ansible_collections.mesos.overlay.plugins.filter.overlay_renumbered import overlay_renumbered
from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import node_fact

HELD = {"ip": "10.0.0.5", "vtep_ip": "44.128.0.7/20", "vtep_ip6": None, "vtep_mac": "70:b3:d5:80:00:07",
        "overlays": {"dcos": {"subnet": "9.0.3.0/24", "mesos_subnet": "9.0.3.0/25",
                              "docker_subnet": "9.0.3.128/25"}}}


def test_the_same_allocation_or_a_first_run_is_fine():
    assert overlay_renumbered(HELD, node_fact(HELD), "agent1") == ""
    assert overlay_renumbered(HELD, {}, "agent1") == ""


def test_gaining_ipv6_or_an_overlay_is_not_renumbering():
    more = dict(HELD, vtep_ip6="fd01:a::7/64",
                overlays=dict(HELD["overlays"], other={"subnet": "10.1.0.0/24"}))
    assert overlay_renumbered(more, node_fact(HELD), "agent1") == ""
    assert overlay_renumbered(HELD, node_fact(more), "agent1") == ""


def test_another_address_or_block_is_refused_naming_both():
    moved = dict(HELD, vtep_ip="44.128.0.1/20", vtep_mac="70:b3:d5:80:00:01",
                 overlays={"dcos": {"subnet": "9.0.0.0/24"}})
    why = overlay_renumbered(moved, node_fact(HELD), "agent1")
    assert why.startswith("refusing to renumber agent1 holds vtep_ip 44.128.0.7/20, vtep_mac"
                          " 70:b3:d5:80:00:07, dcos.subnet 9.0.3.0/24; the allocation would give it"
                          " vtep_ip 44.128.0.1/20, vtep_mac 70:b3:d5:80:00:01, dcos.subnet 9.0.0.0/24;"
                          " nothing on agent1 was touched")
    assert "overlay_recover: true" in why


def test_node_records_come_from_gathered_local_facts():
    hostvars = {"a": {"ansible_local": {"mesos_overlay": node_fact(HELD)}},
                "b": {"ansible_local": {}}, "c": {}}
    assert list(overlay_node_records(["a", "b", "c", "d"], hostvars)) == ["a"]


# ---------------------------------------------------------------------------
# Netgroups: the docker blocks of a node's netgroups and the policy IDs its policy uses

IDS = {"blue": 1, "red": 2}
GROUPED = dict(HELD, overlays={"dcos": dict(HELD["overlays"]["dcos"],
                                            netgroups={"blue": "9.0.5.0/24", "red": "9.0.6.0/24"})})


def grouped_record(alloc=None, ids=None):
    """The record as the agent role writes it: node_fact, and the netgroup policy beside it."""
    return dict(node_fact(alloc or GROUPED),
                netgroups={"ids": dict(ids or IDS), "isolated": [], "state": {"status": "STATUS_OK"}})


def test_the_same_netgroup_blocks_and_ids_are_fine():
    assert overlay_renumbered(GROUPED, grouped_record(), "agent1", netgroups=IDS) == ""


def test_another_docker_block_of_a_netgroup_is_refused_naming_overlay_and_netgroup():
    moved = dict(GROUPED, overlays={"dcos": dict(GROUPED["overlays"]["dcos"],
                                                 netgroups={"blue": "9.0.6.0/24", "red": "9.0.5.0/24"})})
    why = overlay_renumbered(moved, grouped_record(), "agent1", netgroups=IDS)
    assert why.startswith("refusing to renumber agent1 holds dcos netgroup blue 9.0.5.0/24, dcos netgroup red"
                          " 9.0.6.0/24; the allocation would give it dcos netgroup blue 9.0.6.0/24, dcos netgroup"
                          " red 9.0.5.0/24; nothing on agent1 was touched")


def test_other_policy_ids_are_refused_naming_the_netgroup():
    why = overlay_renumbered(GROUPED, grouped_record(), "agent1", netgroups={"blue": 2, "red": 1})
    assert why.startswith("refusing to renumber agent1 holds netgroup blue policy ID 1, netgroup red policy ID 2;"
                          " the allocation would give it netgroup blue policy ID 2, netgroup red policy ID 1;")


def test_gaining_or_losing_a_netgroup_is_not_renumbering():
    only_blue = dict(GROUPED, overlays={"dcos": dict(GROUPED["overlays"]["dcos"], netgroups={"blue": "9.0.5.0/24"})})
    assert overlay_renumbered(GROUPED, grouped_record(only_blue, {"blue": 1}), "agent1", netgroups=IDS) == ""
    assert overlay_renumbered(only_blue, grouped_record(), "agent1", netgroups={"blue": 1}) == ""
    assert overlay_renumbered(HELD, grouped_record(), "agent1") == ""  # netgroups turned off


def test_a_record_written_before_it_held_docker_blocks_is_not_refused():
    """Records of earlier versions: no docker blocks of netgroups (and perhaps no policy)."""
    old = node_fact(HELD)
    assert overlay_renumbered(GROUPED, old, "agent1", netgroups=IDS) == ""
    assert overlay_renumbered(GROUPED, dict(old, netgroups={"ids": IDS}), "agent1", netgroups=IDS) == ""
    assert overlay_renumbered(GROUPED, dict(old, netgroups={"state": {}}), "agent1", netgroups=IDS) == ""

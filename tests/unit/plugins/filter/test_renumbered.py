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

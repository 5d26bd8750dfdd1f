"""The --diff of overlay_allocate: by node and overlay, never pairing unrelated lines."""

import copy

from ansible_collections.mesos.overlay.plugins.module_utils.state_diff import block_text, state_diff


def block(third, v6=False):
    out = {"subnet": f"192.168.{third}.0/24", "mesos_subnet": f"192.168.{third}.0/25",
           "docker_subnet": f"192.168.{third}.128/25", "subnet6": None, "mesos_subnet6": None,
           "docker_subnet6": None}
    if v6:
        out.update(subnet6=f"fd01:{third}::/80", mesos_subnet6=f"fd01:{third}::/81",
                   docker_subnet6=f"fd01:{third}::8000:0:0/81")
    return out


def node(n, **overlays):
    return {"ip": f"10.0.0.{10 + n}", "role": "agent", "vtep_ip": f"44.128.0.{n}/16", "vtep_ip6": None,
            "vtep_mac": f"70:b3:d5:80:00:0{n}", "overlays": overlays}


NETWORK = {"vtep_subnet": "44.128.0.0/16", "vtep_subnet6": None, "vtep_mac_oui": "70:b3:d5:00:00:00",
           "vtep_mtu": None,
           "overlays": [{"name": "vxlan-1", "subnet": "192.168.0.0/17", "prefix": 24, "subnet6": None,
                         "prefix6": None, "enabled": True},
                        {"name": "vxlan-2", "subnet": "10.2.0.0/16", "prefix": 24, "subnet6": None,
                         "prefix6": None, "enabled": True}]}
BEFORE = {"a1": node(1, **{"vxlan-1": block(0), "vxlan-2": block(1)}),
          "a2": node(2, **{"vxlan-1": block(2), "vxlan-2": block(3)})}


def text(*args, **kwargs):
    return state_diff(*args, **kwargs)["prepared"]


def test_adding_an_overlay_reads_as_added_on_every_node_not_as_another_changing():
    after = copy.deepcopy(BEFORE)
    after["a1"]["overlays"]["vxlan-3"] = block(10)
    after["a2"]["overlays"]["vxlan-3"] = block(11)
    network = copy.deepcopy(NETWORK)
    network["overlays"].append({"name": "vxlan-3", "subnet": "192.168.8.0/21", "prefix": 24,
                                "subnet6": None, "prefix6": None, "enabled": True})
    out = text(BEFORE, after, "/srv/overlay_state.json", NETWORK, network)
    assert out.splitlines() == [
        "--- /srv/overlay_state.json (before)",
        "+++ /srv/overlay_state.json (after)",
        "network:",
        "+   overlay vxlan-3 192.168.8.0/21 prefix 24",
        "node a1 (10.0.0.11): changed",
        "+   overlay vxlan-3 192.168.10.0/24 (mesos 192.168.10.0/25, docker 192.168.10.128/25)",
        "node a2 (10.0.0.12): changed",
        "+   overlay vxlan-3 192.168.11.0/24 (mesos 192.168.11.0/25, docker 192.168.11.128/25)",
    ]
    assert "vxlan-2" not in out and not any(line.startswith("-") for line in out.splitlines()[2:])


def test_a_new_node_is_allocated_and_a_removed_one_released():
    after = {"a1": BEFORE["a1"], "a3": node(3, **{"vxlan-1": block(2)})}
    out = text(BEFORE, after, "state.json").splitlines()
    assert out[2:] == [
        "node a3 (10.0.0.13): allocated",
        "+   ip 10.0.0.13",
        "+   role agent",
        "+   vtep_ip 44.128.0.3/16",
        "+   vtep_mac 70:b3:d5:80:00:03",
        "+   overlay vxlan-1 192.168.2.0/24 (mesos 192.168.2.0/25, docker 192.168.2.128/25)",
        "node a2 (10.0.0.12): released",
        "-   ip 10.0.0.12",
        "-   role agent",
        "-   vtep_ip 44.128.0.2/16",
        "-   vtep_mac 70:b3:d5:80:00:02",
        "-   overlay vxlan-1 192.168.2.0/24 (mesos 192.168.2.0/25, docker 192.168.2.128/25)",
        "-   overlay vxlan-2 192.168.3.0/24 (mesos 192.168.3.0/25, docker 192.168.3.128/25)",
    ]


def test_a_changed_value_is_paired_with_its_own_old_value():
    after = copy.deepcopy(BEFORE)
    after["a2"]["ip"] = "10.0.9.12"
    after["a2"]["overlays"]["vxlan-2"] = block(3, v6=True)
    out = text(BEFORE, after, "state.json").splitlines()
    assert out[2:] == [
        "node a2 (10.0.9.12): changed",
        "-   ip 10.0.0.12",
        "+   ip 10.0.9.12",
        "-   overlay vxlan-2 192.168.3.0/24 (mesos 192.168.3.0/25, docker 192.168.3.128/25)",
        "+   overlay vxlan-2 192.168.3.0/24 (mesos 192.168.3.0/25, docker 192.168.3.128/25), "
        "fd01:3::/80 (mesos fd01:3::/81, docker fd01:3::8000:0:0/81)",
    ]


def test_disabling_an_overlay_is_a_network_change_matched_by_name():
    network = copy.deepcopy(NETWORK)
    network["overlays"][0]["enabled"] = False
    network["vtep_mtu"] = 1450
    out = text(BEFORE, BEFORE, "state.json", NETWORK, network).splitlines()
    assert out[2:] == [
        "network:",
        "+   vtep_mtu 1450",
        "-   overlay vxlan-1 192.168.0.0/17 prefix 24",
        "+   overlay vxlan-1 192.168.0.0/17 prefix 24, disabled",
    ]


def test_the_first_run_shows_the_whole_network_and_nothing_unchanged_is_listed():
    out = text({}, BEFORE, "state.json", None, NETWORK, nodes=["a2"]).splitlines()
    assert out[2:5] == ["network:", "+   vtep_subnet 44.128.0.0/16", "+   vtep_mac_oui 70:b3:d5:00:00:00"]
    assert "node a2 (10.0.0.12): allocated" in out and not any("a1" in line for line in out)
    assert text(BEFORE, copy.deepcopy(BEFORE), "s.json").splitlines()[2:] == ["(no change)"]


def test_block_text_keeps_what_it_does_not_know():
    assert block_text({"subnet": "9.0.3.0/24", "policy_id": 7}) == "9.0.3.0/24, policy_id 7"
    assert block_text({}) == "nothing"

"""Validation of the overlay configuration: every rule, with its message."""

import copy
import json

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.config import (
    ConfigError,
    load,
    load_network_file,
    parse_network,
)

SEED = {
    "vtep_subnet": "44.128.0.0/16",
    "vtep_mac_oui": "70:B3:D5:00:00:00",
    "overlays": [
        {"name": "vxlan-1", "subnet": "192.168.0.0/17", "prefix": 24},
        {"name": "vxlan-2", "subnet": "192.168.128.0/17", "prefix": 24},
    ],
}


def seed(**changes):
    data = copy.deepcopy(SEED)
    data.update(changes)
    return data


def with_overlay(index, **changes):
    data = copy.deepcopy(SEED)
    data["overlays"][index].update(changes)
    for key, value in changes.items():
        if value is None:
            del data["overlays"][index][key]
    return data


def test_seed_configuration_loads_and_normalises():
    net = parse_network(SEED)
    assert str(net.vtep_subnet) == "44.128.0.0/16"
    assert net.vtep_mac_oui == "70:b3:d5:00:00:00"
    assert [o.name for o in net.overlays] == ["vxlan-1", "vxlan-2"]
    assert all(o.enabled for o in net.overlays)
    assert net.to_dict()["overlays"][0] == {
        "name": "vxlan-1", "subnet": "192.168.0.0/17", "prefix": 24,
        "subnet6": None, "prefix6": None, "enabled": True,
    }


def test_ipv6_disabled_and_mtu_are_read():
    data = seed(vtep_subnet6="fd00:44::/64", vtep_mtu=1450)
    data["overlays"][0].update(subnet6="fd01:1::/64", prefix6=80)
    data["overlays"][1]["enabled"] = False
    net = parse_network(data)
    assert str(net.vtep_subnet6) == "fd00:44::/64"
    assert net.vtep_mtu == 1450
    assert (str(net.overlays[0].subnet6), net.overlays[0].prefix6) == ("fd01:1::/64", 80)
    assert [o.name for o in net.enabled_overlays] == ["vxlan-1"]


BAD = [
    # (configuration, the message it must give)
    (seed(vtep_subnet=None), "vtep_subnet: missing"),
    (seed(vtep_subnet="44.128.0.0"), "vtep_subnet: '44.128.0.0' is not an IPv4 subnet in CIDR notation"),
    (seed(vtep_subnet="fd00::/64"), "vtep_subnet: 'fd00::/64' is not an IPv4 subnet"),
    (seed(vtep_subnet="44.128.0.1/16"), "vtep_subnet: '44.128.0.1/16' has host bits set (the subnet is 44.128.0.0/16)"),
    (seed(vtep_subnet="44.0.0.0/7"), "vtep_subnet: 44.0.0.0/7 must have a prefix length from 8 to 30"),
    (seed(vtep_subnet6="fd00::1/64"), "vtep_subnet6: 'fd00::1/64' has host bits set"),
    (seed(vtep_subnet6="44.0.0.0/8"), "vtep_subnet6: '44.0.0.0/8' is not an IPv6 subnet"),
    (seed(vtep_mac_oui=None), "vtep_mac_oui: missing"),
    (seed(vtep_mac_oui="70:B3:D5"), "vtep_mac_oui: '70:B3:D5' is not a MAC address of six bytes"),
    (seed(vtep_mac_oui="70:B3:D5:00:00:01"), "vtep_mac_oui: '70:B3:D5:00:00:01' must have its lower three bytes 0"),
    (seed(vtep_mac_oui="71:B3:D5:00:00:00"), "vtep_mac_oui: '71:B3:D5:00:00:00' is a multicast OUI"),
    (seed(vtep_mtu=551), "vtep_mtu: 551 must be from 552 to 65535"),
    (seed(vtep_mtu="big"), "vtep_mtu: 'big' is not an integer"),
    (seed(overlays=[]), "overlays: [] must hold at least one overlay"),
    (seed(overlays={"name": "x"}), "overlays: {'name': 'x'} is not a list"),
    (seed(overlays=None), "overlays: missing"),
    (seed(overlay=[]), "overlay: unknown field"),
    (with_overlay(0, name=None), "overlays[0].name: missing"),
    (with_overlay(0, name="averyverylongname"), "overlays[0].name: 'averyverylongname' is longer than 13 characters"),
    (with_overlay(1, name="vxlan-1"), "overlays[1].name: 'vxlan-1' is already the name of overlays[0]"),
    (with_overlay(0, name="host"), "overlays[0].name: 'host' is reserved"),
    (with_overlay(0, name="bridge"), "overlays[0].name: 'bridge' is reserved"),
    (with_overlay(0, name="default"), "overlays[0].name: 'default' is reserved"),
    (with_overlay(0, name="none"), "overlays[0].name: 'none' is reserved"),
    (with_overlay(0, name="a b"), "overlays[0].name: 'a b' may hold only letters"),
    # the whole name is checked: a trailing newline or a control character is refused
    (with_overlay(0, name="vxlan-1\n"), "overlays[0].name: 'vxlan-1\\n' contains a control"),
    (with_overlay(0, name="a\tb"), "overlays[0].name: 'a\\tb' contains a control"),
    (with_overlay(0, name="a\x00"), "overlays[0].name: 'a\\x00' contains a control"),
    (with_overlay(0, name="a\x7f"), "overlays[0].name: 'a\\x7f' contains a control"),
    (with_overlay(0, name="ab\u00e9"), "overlays[0].name: 'abé' may hold only letters"),
    (with_overlay(0, subnet="192.168.0.1/17"), "overlays[0].subnet: '192.168.0.1/17' has host bits set (the subnet is 192.168.0.0/17)"),
    (with_overlay(0, subnet="nope"), "overlays[0].subnet: 'nope' is not an IPv4 subnet in CIDR notation"),
    (with_overlay(1, prefix=16, subnet="192.168.128.0/17"), "overlays[1].prefix: 16 is not longer than subnet 192.168.128.0/17"),
    (with_overlay(1, prefix=17), "overlays[1].prefix: 17 is not longer than subnet 192.168.128.0/17"),
    (with_overlay(0, prefix=31), "overlays[0].prefix: 31 leaves no room for two halves of a block (at most 30)"),
    (with_overlay(0, prefix="x"), "overlays[0].prefix: 'x' is not an integer"),
    (with_overlay(0, prefix=True), "overlays[0].prefix: True is not an integer"),
    (with_overlay(1, subnet="192.168.0.0/16"), "overlays[1].subnet: 192.168.0.0/16 overlaps overlays[0].subnet 192.168.0.0/17"),
    (with_overlay(0, subnet="44.128.0.0/17"), "overlays[0].subnet: 44.128.0.0/17 overlaps vtep_subnet 44.128.0.0/16"),
    (with_overlay(0, subnet6="fd01::/64"), "overlays[0].prefix6: missing (subnet6 'fd01::/64' is given)"),
    (with_overlay(0, prefix6=80), "overlays[0].subnet6: missing (prefix6 80 is given)"),
    (with_overlay(0, subnet6="fd01::/64", prefix6=64), "overlays[0].prefix6: 64 is not longer than subnet fd01::/64"),
    (with_overlay(0, subnet6="fd01::/64", prefix6=127), "overlays[0].prefix6: 127 leaves no room for two halves"),
    (with_overlay(0, subnet6="fd01::1/64", prefix6=80), "overlays[0].subnet6: 'fd01::1/64' has host bits set"),
    (with_overlay(0, enabled="maybe"), "overlays[0].enabled: 'maybe' is not a boolean"),
    (with_overlay(0, mtu=1400), "overlays[0].mtu: unknown field"),
    (seed(overlays=["vxlan-1"]), "overlays[0]: 'vxlan-1' is not an object"),
]


@pytest.mark.parametrize("data,message", BAD, ids=[entry[1].split(":")[0] + "-" + str(i) for i, entry in enumerate(BAD)])
def test_bad_configuration_names_field_and_value(data, message):
    with pytest.raises(ConfigError) as err:
        parse_network(data)
    assert message in str(err.value)


def test_v6_overlaps_are_refused():
    data = seed(vtep_subnet6="fd00::/48")
    data["overlays"][0].update(subnet6="fd00:0:0:1::/64", prefix6=80)
    with pytest.raises(ConfigError, match=r"overlays\[0\].subnet6: fd00:0:0:1::/64 overlaps vtep_subnet6 fd00::/48"):
        parse_network(data)
    data = seed()
    data["overlays"][0].update(subnet6="fd01::/64", prefix6=80)
    data["overlays"][1].update(subnet6="fd01::/56", prefix6=80)
    with pytest.raises(ConfigError, match=r"overlays\[1\].subnet6: fd01::/56 overlaps overlays\[0\].subnet6"):
        parse_network(data)


def test_exactly_one_source():
    with pytest.raises(ConfigError, match="give exactly one"):
        load()
    with pytest.raises(ConfigError, match="give exactly one"):
        load(network=SEED, network_file="/x")


# -- the published file shapes ------------------------------------------------


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_object_shape(tmp_path):
    net = load_network_file(write(tmp_path, "overlay.json", SEED))
    assert net == parse_network(SEED)


def test_bare_list_with_vtep_settings_beside(tmp_path):
    path = write(tmp_path, "overlay.json", SEED["overlays"])
    net = load_network_file(path, {"vtep_subnet": "44.128.0.0/16", "vtep_mac_oui": "70:B3:D5:00:00:00"})
    assert net == parse_network(SEED)


def test_bare_list_without_vtep_settings_says_what_is_missing(tmp_path):
    path = write(tmp_path, "overlay.json", SEED["overlays"])
    with pytest.raises(ConfigError, match="vtep_subnet: missing"):
        load_network_file(path)


def test_mesos_modules_json_pointing_at_overlay_file(tmp_path):
    write(tmp_path, "overlay-config.json", SEED["overlays"])
    modules = {"libraries": [{
        "file": "/opt/lib/libmesos_network_overlay.so",
        "modules": [{
            "name": "com_mesosphere_mesos_MasterOverlayHelper",
            "parameters": [
                {"key": "overlays", "value": "overlay-config.json"},
                {"key": "vtep_subnet", "value": "44.128.0.0/16"},
                {"key": "vtep_mac_oui", "value": "70:B3:D5:00:00:00"},
            ],
        }],
    }]}
    net = load_network_file(write(tmp_path, "master_modules.json", modules))
    assert net == parse_network(SEED)


def test_mesos_modules_json_with_object_file_and_master_config(tmp_path):
    write(tmp_path, "overlay-config.json", SEED)
    modules = {"libraries": [{"file": "x.so", "modules": [{
        "name": "com_mesosphere_mesos_MasterOverlayHelper",
        "parameters": [{"key": "overlays", "value": str(tmp_path / "overlay-config.json")}]}]}]}
    assert load_network_file(write(tmp_path, "m.json", modules)) == parse_network(SEED)

    write(tmp_path, "master.json", {"replicated_log_dir": "/var/lib/x", "network": SEED})
    modules = {"libraries": [{"file": "x.so", "modules": [{
        "name": "com_mesosphere_mesos_OverlayMasterManager",
        "parameters": [{"key": "master_config", "value": "master.json"}]}]}]}
    assert load_network_file(write(tmp_path, "m2.json", modules)) == parse_network(SEED)


def test_agent_modules_json_is_not_a_master_config(tmp_path):
    modules = {"libraries": [{"file": "x.so", "modules": [{
        "name": "com_mesosphere_mesos_AgentOverlayHelper",
        "parameters": [{"key": "master", "value": "10.0.2.15:5050"},
                       {"key": "cni_dir", "value": "/var/lib/mesos/cni"}]}]}]}
    with pytest.raises(ConfigError, match="has no overlay master module"):
        load_network_file(write(tmp_path, "agent.json", modules))


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="network_file: cannot read .*/missing.json"):
        load_network_file(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="network_file: .*bad.json' is not valid JSON"):
        load_network_file(str(bad))
    with pytest.raises(ConfigError, match="holds str, not an object or a list"):
        load_network_file(write(tmp_path, "s.json", "text"))

"""Validation of the overlay configuration: every rule, with its message."""

import json

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.config import (
    ConfigError,
    load,
    load_network_file,
    parse_network,
)

from config_samples import BAD, SEED, seed


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

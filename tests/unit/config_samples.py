"""Overlay configurations shared by the tests: the seed (the configuration of
the overlay modules' README) and bad ones, each with the message it must give."""

import copy

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
    (with_overlay(0, name="ab\u00e9"), "overlays[0].name: 'ab\u00e9' may hold only letters"),
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

#!/usr/bin/python3
"""Plug a container into a CNI network exactly as the Mesos containerizer does.

What the Mesos agent's ``network/cni`` isolator does with a file of its
``--network_cni_config_dir`` (see DESIGN.md, "The Mesos CNI contract"):

1. the file is read as one plugin config; ``name`` and ``type`` are required
   (and ``ipam.type`` when there is an ``ipam``), and a config that already
   carries ``args."org.apache.mesos"`` is refused;
2. ``args."org.apache.mesos".network_info`` is set to the task's NetworkInfo
   (protobuf field names), beside any other ``args`` of the file;
3. the plugin named by ``type`` is run from the plugins directory with
   ``CNI_COMMAND``, ``CNI_CONTAINERID``, ``CNI_NETNS``, ``CNI_IFNAME`` (eth0 for
   a task's first network) and ``CNI_PATH`` = the plugins directory, the
   config on stdin;
4. on ADD its stdout is parsed with Mesos's ``spec.proto`` ``NetworkInfo``:
   only ``ip4``/``ip6`` (each with a required ``ip``), ``dns``. A CNI 0.3+
   result (``ips``, ``interfaces``) parses, but gives the task no address:
   this harness fails on it.

``mesos-cni-port-mapper`` (Mesos's own plugin) is not packaged for Debian.
When the config's ``type`` is that plugin and it is not in the plugins
directory, this harness does what the port-mapper does with its config: it
requires ``name``, ``chain`` and ``delegate.type``, calls the delegate plugin
with the same environment and the delegate config plus the outer ``name`` and
the ``args`` (nothing else added: no ``cniVersion``), and requires ``ip4`` in
the delegate's answer (the port-mapper only handles IPv4). The DNAT rules it
adds for ``port_mappings`` are not made.

Used as a library by the unit tests (``isolator_config``, ``port_mapper_delegate``,
``parse_result``, ``attach``, ``detach``) and as a command on the lab hosts:

  mesos_cni.py add|del CONF NETNS [CONTAINER_ID] [--network-info JSON]
                       [--plugins DIR] [--ifname IF]

``add`` prints the parsed result as JSON (``{"ip4": {...}, "ip6": {...}}``);
exit status 1 with the reason on stderr when Mesos would fail or see no
address.
"""

import argparse
import copy
import json
import os
import subprocess
import sys

PORT_MAPPER = "mesos-cni-port-mapper"
DEFAULT_PLUGINS = "/usr/lib/cni"


class MesosCNIError(Exception):
    """What the Mesos agent (or its port-mapper) would fail with."""


def _obj(value, field):
    if not isinstance(value, dict):
        raise MesosCNIError("%s: expected a JSON object, got %r" % (field, value))
    return value


def _str(obj, key, field):
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise MesosCNIError("%s: required string %r missing" % (field, key))
    return value


def _routes(routes, field):
    if routes is None:
        return []
    if not isinstance(routes, list):
        raise MesosCNIError("%s: expected a list" % field)
    out = []
    for i, route in enumerate(routes):
        route = _obj(route, "%s[%d]" % (field, i))
        out.append({k: v for k, v in (("dst", _str(route, "dst", "%s[%d]" % (field, i))),
                                      ("gw", route.get("gw"))) if v is not None})
    return out


def check_config(conf):
    """The checks of Mesos's spec.proto NetworkConfig on a config file."""
    conf = _obj(conf, "CNI config")
    _str(conf, "name", "CNI config")
    _str(conf, "type", "CNI config")
    if conf.get("ipam") is not None:
        ipam = _obj(conf["ipam"], "CNI config ipam")
        _str(ipam, "type", "CNI config ipam")
        _routes(ipam.get("routes"), "CNI config ipam.routes")
    args = conf.get("args")
    if args is not None and "org.apache.mesos" in _obj(args, "CNI config args"):
        raise MesosCNIError("'org.apache.mesos' in 'args' should not be set in a CNI network "
                            "configuration file: it is reserved by Mesos")
    return conf


def isolator_config(conf, network_info):
    """The config as the isolator hands it to the plugin: ``network_info`` added."""
    conf = copy.deepcopy(check_config(conf))
    args = dict(conf.get("args") or {})
    args["org.apache.mesos"] = {"network_info": network_info}
    conf["args"] = args
    return conf


def port_mapper_delegate(conf):
    """The delegate config ``mesos-cni-port-mapper`` runs: its ``delegate`` plus the
    outer ``name`` and ``args``."""
    conf = _obj(conf, "port-mapper config")
    name = _str(conf, "name", "port-mapper config")
    _str(conf, "chain", "port-mapper config")
    excluded = conf.get("excludeDevices", [])
    if not isinstance(excluded, list) or not all(isinstance(d, str) for d in excluded):
        raise MesosCNIError("port-mapper config: excludeDevices must be a list of strings")
    delegate = copy.deepcopy(_obj(conf.get("delegate"), "port-mapper config delegate"))
    _str(delegate, "type", "port-mapper config delegate")
    delegate["name"] = name
    delegate["args"] = conf.get("args") or {"org.apache.mesos": {"network_info": {}}}
    return delegate


def _ip_config(value, field):
    value = _obj(value, field)
    out = {"ip": _str(value, "ip", field)}
    if value.get("gateway") is not None:
        out["gateway"] = str(value["gateway"])
    routes = _routes(value.get("routes"), field + ".routes")
    if routes:
        out["routes"] = routes
    return out


def parse_result(text, plugin="the plugin"):
    """The plugin's ADD answer as Mesos's spec.proto NetworkInfo reads it.

    Fails when the answer is not JSON, when ip4/ip6 lack ``ip``, and when it has
    neither ip4 nor ip6 (Mesos would give the task no address).
    """
    try:
        result = json.loads(text)
    except ValueError as exc:
        raise MesosCNIError("%s: the result is not JSON (%s): %r" % (plugin, exc, text[:200])) from None
    result = _obj(result, "%s result" % plugin)
    out = {}
    for key in ("ip4", "ip6"):
        if result.get(key) is not None:
            out[key] = _ip_config(result[key], "%s result %s" % (plugin, key))
    if result.get("dns"):
        out["dns"] = _obj(result["dns"], "%s result dns" % plugin)
    if "ip4" not in out and "ip6" not in out:
        shape = " (a CNI %s result with 'ips': Mesos reads only the 0.1/0.2 shape)" % result.get(
            "cniVersion", "0.3+") if "ips" in result else ""
        raise MesosCNIError("%s: no ip4 or ip6 in the result, the task would have no address%s"
                            % (plugin, shape))
    return out


def _run(plugin_path, conf, env):
    res = subprocess.run([plugin_path], input=json.dumps(conf), env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    if res.returncode != 0:
        try:
            err = json.loads(res.stdout)
            msg = "%s (code %s)" % (err.get("msg"), err.get("code"))
        except ValueError:
            msg = (res.stdout.strip() + " " + res.stderr.strip()).strip()
        raise MesosCNIError("%s %s failed: %s" % (os.path.basename(plugin_path), env["CNI_COMMAND"], msg))
    return res.stdout


def _which(name, plugins):
    path = os.path.join(plugins, name)
    return path if os.access(path, os.X_OK) else None


def _call(command, conf, netns, container_id, network_info, plugins, ifname):
    conf = isolator_config(conf, network_info)
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
           "CNI_COMMAND": command, "CNI_CONTAINERID": container_id, "CNI_NETNS": netns,
           "CNI_IFNAME": ifname, "CNI_PATH": plugins}
    plugin = _which(conf["type"], plugins)
    if plugin is None and conf["type"] == PORT_MAPPER:
        delegate = port_mapper_delegate(conf)
        plugin = _which(delegate["type"], plugins)
        if plugin is None:
            raise MesosCNIError("Could not find the delegate plugin '%s' in '%s'" % (delegate["type"], plugins))
        out = _run(plugin, delegate, env)
        if command != "ADD":
            return None
        result = parse_result(out, "delegate %s" % delegate["type"])
        if "ip4" not in result:
            raise MesosCNIError("Delegate CNI plugin '%s' did not return an IPv4 address" % delegate["type"])
        return result
    if plugin is None:
        raise MesosCNIError("Unable to find the plugin %s in %s" % (conf["type"], plugins))
    out = _run(plugin, conf, env)
    return parse_result(out, conf["type"]) if command == "ADD" else None


def attach(conf, netns, container_id, network_info=None, plugins=DEFAULT_PLUGINS, ifname="eth0"):
    """CNI ADD as the isolator runs it; the result as Mesos reads it."""
    network_info = network_info if network_info is not None else {"name": conf.get("name")}
    return _call("ADD", conf, netns, container_id, network_info, plugins, ifname)


def detach(conf, netns, container_id, network_info=None, plugins=DEFAULT_PLUGINS, ifname="eth0"):
    """CNI DEL as the isolator runs it."""
    network_info = network_info if network_info is not None else {"name": conf.get("name")}
    _call("DEL", conf, netns, container_id, network_info, plugins, ifname)


def main(argv):
    parser = argparse.ArgumentParser(prog="mesos-cni", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["add", "del"])
    parser.add_argument("conf", help="the CNI config file, as written")
    parser.add_argument("netns", help="the network namespace's path (or a name in /run/netns)")
    parser.add_argument("container_id", nargs="?", help="CNI_CONTAINERID (default: the netns's name)")
    parser.add_argument("--network-info", default=None, help="the task's NetworkInfo as JSON")
    parser.add_argument("--plugins", default=DEFAULT_PLUGINS, help="CNI_PATH, Mesos's --network_cni_plugins_dir")
    parser.add_argument("--ifname", default="eth0")
    args = parser.parse_args(argv)
    netns = args.netns if "/" in args.netns else "/run/netns/" + args.netns
    try:
        with open(args.conf, encoding="utf-8") as f:
            conf = json.load(f)
        info = json.loads(args.network_info) if args.network_info else None
        cid = args.container_id or os.path.basename(netns)
        if args.command == "add":
            print(json.dumps(attach(conf, netns, cid, info, args.plugins, args.ifname)))
        else:
            detach(conf, netns, cid, info, args.plugins, args.ifname)
    except (MesosCNIError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        sys.stderr.write("mesos-cni: %s\n" % exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

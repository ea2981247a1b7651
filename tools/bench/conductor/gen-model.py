#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes a model of one hub and N spoke routers (sim-0000 ...) for the conductor simulator.

Each spoke has a LAN (198.18.0.0/15 carved in /28s) and a WAN interface in the neighborhood
"core" (topology spoke); the hub is routers[0] (topology hub), so each spoke peers with the hub
only and its slice of the model holds two routers.
Usage: gen-model.py N OUT.json
"""
import ipaddress
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    wan = ipaddress.ip_network("198.19.0.0/16")
    lans = ipaddress.ip_network("198.18.0.0/16").subnets(new_prefix=28)
    hosts = wan.hosts()
    hub_addr = next(hosts)

    def iface(name, dev, addr, **extra):
        return {"name": name, "device": f"net_null{dev}", "addresses": [addr], **extra}

    routers = [{"name": "hub", "asset-id": "hub",
                "interfaces": [iface("wan", 0, f"{hub_addr}/16",
                                     neighborhoods=[{"name": "core", "topology": "hub"}])]}]
    for i in range(n):
        lan = next(lans)
        routers.append({
            "name": f"sim-{i:04d}",
            "interfaces": [
                iface("lan", 0, f"{lan[1]}/28", tenant="branch"),
                iface("wan", 1, f"{next(hosts)}/16",
                      neighborhoods=[{"name": "core", "topology": "spoke"}])]})
    model = {"model-version": 1,
             "authority": {"name": "sim", "tenants": [{"name": "branch"}],
                           "services": [{"name": "hq", "addresses": ["198.19.0.0/16"],
                                         "access": [{"source": {"tenant": "branch"},
                                                     "permission": "allow"}]}],
                           "routers": routers}}
    with open(sys.argv[2], "w") as f:
        json.dump(model, f, indent=1)


main()

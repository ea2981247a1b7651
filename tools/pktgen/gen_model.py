#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes an intent model (docs/model.md) for one router, for tests and benchmarks.

  gen_model.py -o model.json --router r1 \\
      --iface lan=net_af_packet0,iface=x=198.18.1.1/24,2001:db8:1::1/64 \\
      --route 198.18.9.0/24=198.18.1.254 --neighbor 198.19.0.2=out=02:00:00:00:00:03 \\
      --services 10000 --tenants 100 --variant 7

--iface NAME=DEVICE=ADDRESSES[@MAC]: DEVICE may contain commas but not '='; ADDRESSES are
comma-separated prefixes; MAC, if given, is the interface's MAC. --variant changes services, tenants, access rules and one extra
static route (198.19.<variant % 250>.0/24, via the first --route's gateway, or none without
one) so that consecutive variants are different models that route the same traffic the same way.
Addresses of generated services: 198.19.0.0/16 host routes and 2001:db8:f000::/36.
--allow PREFIX (repeatable) adds a service "traffic" for every address that admits sources in
PREFIX, so that the test's own traffic passes (nothing passes that no service allows); the
generated services are more specific and keep their own rules.
"""
import argparse
import json
import sys


def split_iface(spec):
    name, rest = spec.split("=", 1)
    device, addrs = rest.rsplit("=", 1)
    mac = None
    if "@" in addrs:
        addrs, mac = addrs.split("@", 1)
    iface = {"name": name, "device": device, "addresses": [a for a in addrs.split(",") if a]}
    if mac:
        iface["mac"] = mac
    return iface


def model(args):
    v = args.variant
    tenants = [{"name": "t%d" % i} for i in range(args.tenants)]
    tenants.append({"name": "variant-%d" % v})
    services = []
    for i in range(args.services):
        port = 1024 + (i * 7 + (v if i == v % max(args.services, 1) else 0)) % 60000
        svc = {
            "name": "svc%d" % i,
            "addresses": ["198.19.%d.%d/32" % ((i >> 8) & 0xff, i & 0xff),
                          "2001:db8:f000::%x/128" % (i + 1)],
            "transport": [{"protocol": "tcp", "ports": [str(port), "%d-%d" % (port + 1, port + 9)]},
                          {"protocol": "udp", "ports": [str(port)]}],
            "access": [{"source": {"tenant": "t%d" % (i % max(args.tenants, 1))},
                        "permission": "allow"},
                       {"source": {"prefix": "198.18.%d.0/24" % ((i + v) % 256)},
                        "permission": "deny",
                        "valid-from": "2026-01-01T00:00:00Z",
                        "valid-until": "2027-01-%02dT00:00:00Z" % (1 + v % 28)}],
            "policy": "standard",
        }
        if args.tenants == 0:
            svc["access"] = svc["access"][1:]
        services.append(svc)
    if args.allow:
        services.append({"name": "traffic", "addresses": ["0.0.0.0/0", "::/0"],
                         "access": [{"source": {"prefix": p}, "permission": "allow"}
                                    for p in args.allow]})
    ifaces = [split_iface(s) for s in args.iface]
    routes = []
    for r in args.route:
        prefix, gw = r.split("=")
        routes.append({"prefix": prefix, "gateway": gw})
    if routes and not args.no_variant_route:
        routes.append({"prefix": "198.19.%d.0/24" % (200 + v % 50), "gateway": routes[0]["gateway"]})
    neighbors = []
    for n in args.neighbor:
        addr, iface, mac = n.split("=")
        neighbors.append({"address": addr, "interface": iface, "mac": mac})
    router = {"name": args.router, "interfaces": ifaces}
    if routes:
        router["static-routes"] = routes
    if neighbors:
        router["static-neighbors"] = neighbors
    return {
        "model-version": 1,
        "authority": {
            "name": "generated",
            "security-policies": [{"name": "internal"}],
            "inter-router-security": "internal",
            "tenants": tenants,
            "services": services,
            "service-classes": [{"name": "best-effort", "priority": 3}],
            "service-policies": [{"name": "standard", "class": "best-effort"}],
            "routers": [router],
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--router", default="r1")
    ap.add_argument("--iface", action="append", default=[], required=True)
    ap.add_argument("--route", action="append", default=[])
    ap.add_argument("--neighbor", action="append", default=[])
    ap.add_argument("--services", type=int, default=10)
    ap.add_argument("--tenants", type=int, default=4)
    ap.add_argument("--variant", type=int, default=0)
    ap.add_argument("--allow", action="append", default=[],
                    help="admit sources in this prefix to every destination (repeatable)")
    ap.add_argument("--no-variant-route", action="store_true",
                    help="do not add the per-variant extra route")
    args = ap.parse_args()
    text = json.dumps(model(args), separators=(",", ":"))
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(args.output, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ADD, CHECK and DEL on a dual-stack network (one IPv4 and one IPv6 range
# set): both addresses, both gateways on the bridge, both default routes,
# both gateways reachable right after ADD, both leases; DEL frees both.
# Then what isGateway and isDefaultGateway each change.
. "$(dirname "$0")/lib.sh"
setup dual

add_del_scenario dual v4 v6
gateway_flags_scenario dual v4 v6
pass

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ADD, CHECK and DEL of one container on an IPv4-only network: the result's
# shape, the container interface, the bridge port and gateway, the default
# route, reachability of the gateway right after ADD, the lease file's bytes,
# and that DEL removes everything but the bridge. Then what isGateway and
# isDefaultGateway each change.
. "$(dirname "$0")/lib.sh"
setup adv4

add_del_scenario v4 v4
gateway_flags_scenario v4 v4
pass

#!/bin/bash
# parallel-poc: refuse packets to the cluster's Service CIDR that leave this
# node untranslated.
#
# kube-proxy DNATs a ClusterIP to an endpoint in the nat table, before the
# filter table sees the packet; so a packet that reaches filter still
# addressed to the Service CIDR had no rule to translate it: kube-proxy has
# not synced yet. That happens on every boot of a node: the kubelet starts
# the static pods (the API server) before the kube-proxy pod has written its
# rules, and without this the packet follows the default route out of the
# cluster. Measured on a control plane restarted by the controlplane probe:
# its API server's APIService checks reached an outside proxy that answers
# every connection with 404, kept those connections, and flapped the
# metrics APIs' status against the other two API servers (50 conflicting
# writes a second, 1.8 cores for an idle cluster) until it was restarted.
# Refused at once instead, the first checks fail, and the next ones open new
# connections through kube-proxy's rules.
#
# Runs as the kubelet's ExecStartPre (the kubelet restarts until kubeadm has
# configured it, so this runs again once /kind/kubeadm.conf exists); every
# rule is added once, at the top of its chain, before kube-router's ACCEPTs.
# `iptables` is the mode kind's entrypoint selected (select_iptables) before
# systemd started, the one kube-proxy's wrapper then detects.
set -o errexit -o nounset -o pipefail

conf=${KIND_KUBEADM_CONF:-/kind/kubeadm.conf} # the variable is for tests
# kind writes the cluster's kubeadm config before kubeadm runs; before that
# there is nothing to protect.
[[ -f "$conf" ]] || exit 0

subnets=$(sed -n 's/^ *serviceSubnet: *"\{0,1\}\([^" ]*\)"\{0,1\} *$/\1/p' "$conf" | head -n 1)
if [[ -z "$subnets" ]]; then
  echo "reject-untranslated-services: no serviceSubnet in $conf" >&2
  exit 1
fi

comment="parallel-poc: Service CIDR not translated by kube-proxy"
IFS=, read -r -a cidrs <<< "$subnets"
for cidr in "${cidrs[@]}"; do
  ipt=iptables
  [[ "$cidr" == *:* ]] && ipt=ip6tables
  for chain in OUTPUT FORWARD; do
    # TCP gets a reset (connect fails at once), the rest an ICMP error.
    # Each goes to the top: the tcp rule last, so it is matched first.
    for proto in all tcp; do
      rule=(-d "$cidr" -m comment --comment "$comment")
      if [[ "$proto" == tcp ]]; then
        rule=(-p tcp "${rule[@]}" -j REJECT --reject-with tcp-reset)
      else
        rule=("${rule[@]}" -j REJECT)
      fi
      "$ipt" -w -C "$chain" "${rule[@]}" 2>/dev/null || "$ipt" -w -I "$chain" 1 "${rule[@]}"
    done
  done
done

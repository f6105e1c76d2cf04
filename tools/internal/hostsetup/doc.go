// Package hostsetup prepares this kind of host (Debian 12, root, cgroups v1
// hybrid, no CAP_SYS_RESOURCE, no registry) for building and running kind
// node images with podman:
//
//   - installs debootstrap, podman and runc from the host's apt sources;
//   - writes /etc/containers/containers.conf: runc (crun refuses cgroups v1
//     hybrid mode), default ulimits equal to the most a container can get
//     (the host's hard limits, processes capped at podman's own 32768; a
//     privileged container asking for more fails with "error setting
//     rlimit ... operation not permitted"), and no pids cgroup cap (podman's
//     default 2048 tasks would cap a whole kind node);
//   - creates /lib/modules, which kind's podman provider bind-mounts.
//
// Ensure is idempotent: what is already in place is left as it is.
package hostsetup

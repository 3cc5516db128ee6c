#pragma once

namespace rrun {

// Child side, in a network namespace the container's init created: brings
// `lo` up, as runc and crun do (a server on 127.0.0.1 is otherwise
// unreachable under podman --network=none, ctr run, buildah). Returns 0, or
// -1 with child_fail() set.
int bring_up_loopback();

}  // namespace rrun

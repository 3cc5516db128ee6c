#pragma once
#include <vector>

#include "spec.hpp"

namespace rrun {

// Child side, in a network namespace the container's init created: brings
// `lo` up, as runc and crun do (a server on 127.0.0.1 is otherwise
// unreachable under podman --network=none, ctr run, buildah). Returns 0, or
// -1 with child_fail() set.
int bring_up_loopback();

// Parent side, while the init waits: moves each of DEVICES (linux.netDevices)
// from the runtime's network namespace into NETNS (an fd of the container's),
// renamed, set up, with its permanent global addresses put back (the kernel
// drops them on the move). Never moved back: the kernel returns a physical
// device and destroys a virtual one with the namespace. Error naming the
// device on anything that fails.
void move_net_devices(const std::vector<NetDevice>& devices, int netns);

}  // namespace rrun

#pragma once
#include <string>

namespace rrun {

// What the global flags say about where and how containers live.
struct RuntimeContext {
    std::string root;  // state root
    bool rootless = false;
    bool systemd_cgroup = false;
    std::string cgroup_manager = "cgroupfs";  // cgroupfs, systemd or disabled
    std::string criu = "criu";  // --criu: the CRIU binary checkpoint and restore run
};

}  // namespace rrun

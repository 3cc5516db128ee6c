#pragma once
#include <sys/types.h>
#include <functional>
#include <string>
#include <vector>

#include "spec.hpp"

namespace rrun {

// linux.intelRdt in a mounted resctrl filesystem (config-linux.md#intelrdt).
struct RdtGroup {
    std::string tasks;                // the CTRL_MON group's tasks file
    std::string mon_tasks;            // the MON group's (enableMonitoring), empty if none
    std::vector<std::string> remove;  // what delete removes, innermost first
};

// The resctrl mount point of the runtime's mount namespace, empty if none.
std::string find_resctrl();

// Parent side, before the init exists: finds resctrl (an error naming the
// field if none is mounted), makes or checks the CLOS group (closID, "/" for
// the default one, else the container id) and writes its schemata in the
// spec's order, makes the MON group. ON_MADE learns each directory made, as
// soon as it exists, so that a failure later can remove it.
RdtGroup setup_intel_rdt(const IntelRdt& rdt, const std::string& id, const std::function<void(const std::string&)>& on_made);

// Puts PID into the group (and its MON group).
void enter_intel_rdt(const RdtGroup& group, pid_t pid);

// Removes the directories setup_intel_rdt made (one path a line, innermost
// first); a missing one is no error.
void remove_intel_rdt(const std::string& paths);

}  // namespace rrun

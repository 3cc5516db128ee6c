#pragma once
#include <string>
#include <vector>

#include "spec.hpp"

namespace rrun {

// A hook with its argv/envp laid out by the parent, so the container's init
// can run createContainer/startContainer hooks without allocating.
struct HookPlan {
    const Hook* hook = nullptr;
    std::vector<char*> argv, envp;
};
std::vector<HookPlan> plan_hooks(const std::vector<Hook>& hooks);

// Runs HOOKS in order, each with STATE on stdin and its timeout enforced (a
// hook still running then is killed and has failed). Returns 0, or -1 with
// child_fail() naming the hook ("hooks.createRuntime[1] /bin/x: ...").
// Allocation-free: used both by the parent and by the container's init.
int run_hook_list(const std::vector<HookPlan>& hooks, const char* kind, const char* state, size_t state_len);

// Parent side: the same, throwing Error on failure.
void run_hooks(const std::vector<Hook>& hooks, const char* kind, const std::string& state);

}  // namespace rrun

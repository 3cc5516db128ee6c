#pragma once
#include <cstdint>

#include "spec.hpp"

namespace rrun {

// Child side, in runc's order: rlimits, bounding set, keep-caps, groups and
// ids, then the capability sets and ambient. Return 0, or -1 with child_fail().
int apply_rlimits(const Process& p);
int drop_bounding_set(const CapabilitySets& caps, int last_cap);
int switch_user(const User& user, bool keep_caps, bool setgroups_allowed);
int apply_capabilities(const CapabilitySets& caps, int last_cap);
int set_no_new_privileges();

// Parent side.
int last_capability();  // /proc/sys/kernel/cap_last_cap
// Masks out capabilities this kernel does not have (the spec lets us skip them).
void limit_capabilities(CapabilitySets& caps, int last_cap);
// Fails clearly when an LSM label is asked for and the LSM is absent.
void check_lsm_labels(const Process& p, const std::string& where);
// Child side: arranges for the label to apply at exec.
int apply_lsm_labels(const Process& p);

}  // namespace rrun

// libFuzzer target: config.json as `create` reads it. Parsing, schema
// validation and the typed model (parse_spec), then the planning steps that
// only compute (mount options, the process: capabilities, rlimits, seccomp).
// Any input must end in a Spec or an rrun::Error; a crash, a sanitizer report
// or another exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "error.hpp"
#include "process.hpp"
#include "rootfs.hpp"
#include "spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        rrun::Spec spec = rrun::parse_spec(text, "/bundle", "config.json");
        for (auto& mount : spec.mounts) {
            rrun::MountStep step;
            rrun::parse_mount_options(mount.options, step);
        }
        if (spec.process) rrun::plan_process(*spec.process, spec, 0, false);
    } catch (const rrun::Error&) {
    }
    return 0;
}

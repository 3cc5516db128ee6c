#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace rrun {

// Validates a config.json document against the project's JSON schema
// (libcontainer/schema/config.schema.json, written from config.md and
// config-linux.md). Throws Error "SOURCE: process.args: must be ..." naming
// the JSON path of the first problem.
void validate_config(const nlohmann::json& doc, const std::string& source_name);

// "[process]" "[args]" "[0]" -> "process.args[0]".
std::string json_path_from_context(const std::vector<std::string>& context);

}  // namespace rrun

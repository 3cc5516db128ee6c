#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace rrun {

// Validates a config.json document against the project's JSON schema
// (libcontainer/schema/config.schema.json, written from config.md and
// config-linux.md, compiled into tables at build time). Throws Error
// "SOURCE: process.args: must be ..." naming the JSON path of the deepest
// problem.
void validate_config(const nlohmann::json& doc, const std::string& source_name);

}  // namespace rrun

#include "validate.hpp"

#include <cstdio>
#include <regex>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "error.hpp"

extern const char rrun_config_schema_json[];

namespace rrun {

std::string json_path_from_context(const std::vector<std::string>& context) {
    std::string path;
    for (auto& part : context) {
        if (part == "<root>" || part.size() < 2) continue;
        std::string inner = part.substr(1, part.size() - 2);
        bool index = !inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos;
        if (index) {
            path += "[" + inner + "]";
        } else {
            if (!path.empty()) path += ".";
            path += inner;
        }
    }
    return path.empty() ? "(document)" : path;
}

namespace {

// valijson's sentences, said the way the rest of rrun's errors are.
std::string plain_description(const std::string& d) {
    unsigned n = 0;
    if (std::sscanf(d.c_str(), "Array should contain no fewer than %u element", &n) == 1)
        return n == 1 ? "must be a non-empty array" : "must have at least " + std::to_string(n) + " elements";
    if (d.rfind("Missing required property '", 0) == 0) {
        auto name = d.substr(27, d.find('\'', 27) - 27);
        return "missing required property \"" + name + "\"";
    }
    if (d.rfind("Value type not permitted by 'type' constraint", 0) == 0) return "wrong type";
    if (d.find("enum") != std::string::npos) return "value is not one of the allowed values";
    if (d.rfind("Expected number greater than", 0) == 0 || d.rfind("Expected number less than", 0) == 0)
        return "value out of range";
    std::string out = d;
    if (!out.empty() && out.back() == '.') out.pop_back();
    if (!out.empty()) out[0] = static_cast<char>(std::tolower(out[0]));
    return out;
}

const valijson::Schema& config_schema() {
    static valijson::Schema* schema = [] {
        auto* s = new valijson::Schema;
        auto doc = nlohmann::json::parse(rrun_config_schema_json);
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft4);
        valijson::adapters::NlohmannJsonAdapter adapter(doc);
        parser.populateSchema(adapter, *s);
        return s;
    }();
    return *schema;
}

}  // namespace

void validate_config(const nlohmann::json& doc, const std::string& source_name) {
    if (!doc.is_object()) throw Error(source_name + ": must be a JSON object");
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(doc);
    if (validator.validate(config_schema(), target, &results)) return;
    // The deepest error is the one that says what is wrong; the others are
    // its enclosing "failed to validate property" entries.
    const valijson::ValidationResults::Error* best = nullptr;
    for (auto& e : results)
        if (!best || e.context.size() > best->context.size()) best = &e;
    std::string what = best ? json_path_from_context(best->context) + ": " + plain_description(best->description)
                            : "does not match the schema";
    throw Error(source_name + ": " + what);
}

}  // namespace rrun

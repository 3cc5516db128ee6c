# Turns the JSON schema into a C++ source so the binary needs no data files.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}" "extern const char rrun_config_schema_json[];\nconst char rrun_config_schema_json[] = R\"rrunschema(${content})rrunschema\";\n")

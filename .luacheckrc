std = "lua54"
max_line_length = 150
exclude_files = { "build/**" }
files["spec/**/*_spec.lua"] = { std = "+busted" }
files["spec/helper.lua"] = { std = "+busted" }
files["examples/**/*_spec.lua"] = { std = "+busted" }

rockspec_format = "3.0"
package = "kickoff"
version = "scm-1"

source = {
  url = "git+https://github.com/kickoff-lua/kickoff.git",
  branch = "main",
}

description = {
  summary = "Launch and track workflows on Domo, Zuora, Domo Campaigns and Captain Data",
  detailed = [[
kickoff is a Lua 5.4 module with a C core on libcurl: one connection pool,
per-vendor auth, retries that never duplicate a launch, TLS verification on,
secrets held in C, and a sandbox that emulates all four vendors on loopback.
]],
  homepage = "https://github.com/kickoff-lua/kickoff",
  license = "MIT",
}

dependencies = {
  "lua >= 5.4",
  "lua-cjson",
}

test_dependencies = {
  "busted",
}

-- On Debian the curl header lives under the multiarch include directory:
--   luarocks make CURL_INCDIR=/usr/include/x86_64-linux-gnu
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
  JANSSON = { header = "jansson.h", library = "jansson" },
  ZLIB = { header = "zlib.h", library = "z" },
}

build = {
  type = "builtin",
  modules = {
    ["kickoff.core"] = {
      sources = {
        "src/auth.c", "src/buffer.c", "src/client.c", "src/engine.c", "src/gzip.c",
        "src/lua_kickoff.c", "src/retry.c", "src/safety.c", "src/transfer.c",
        "src/uuid.c", "src/vendor.c",
      },
      libraries = { "curl", "jansson", "z" },
      incdirs = { "$(CURL_INCDIR)", "$(JANSSON_INCDIR)", "$(ZLIB_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(JANSSON_LIBDIR)", "$(ZLIB_LIBDIR)" },
      defines = {},
    },
  },
  install = {
    bin = {
      ["kickoff-sandbox"] = "bin/kickoff-sandbox",
    },
  },
}

test = {
  type = "busted",
}

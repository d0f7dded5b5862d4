--- `kickoff --help` texts, built from the same option tables the parser
-- uses, so help and behaviour cannot drift apart.
-- @module kickoff.cli.help
local args = require("kickoff.cli.args")
local config = require("kickoff.cli.config")
local vendors = require("kickoff.cli.vendors")

local M = {}

local EXIT = [[
Exit status: 0 success; 1 the run failed, or an error; 2 usage or invalid
input (nothing was sent); 3 outcome unknown: a launch may or may not have
happened (check its status before launching again).]]

local SETTINGS = [[
Credentials and hosts come from flags, else the environment, else the config
file ($KICKOFF_CONFIG, else ~/.config/kickoff/config): KEY=value lines with the
environment variables' names (an `export ` prefix and quotes are allowed). A
config file holding a secret must be private (chmod 600), or kickoff refuses it.]]

local function environment_lines()
  local lines = {}
  for _, vendor in ipairs(config.vendors) do
    local names = {}
    for _, s in ipairs(config.settings[vendor]) do names[#names + 1] = table.concat(s.env, "|") end
    lines[#lines + 1] = string.format("  %-12s %s", vendor, table.concat(names, " "))
  end
  lines[#lines + 1] = string.format("  %-12s %s", "all", "KICKOFF_CA_FILE KICKOFF_CONFIG")
  return table.concat(lines, "\n")
end

M.global_options = {
  { name = "json", flags = { "--json" }, kind = "switch", help = "print the result as one JSON object" },
  { name = "dry_run", flags = { "--dry-run" }, kind = "switch",
    help = "print the request (secrets redacted) and its curl command; send nothing" },
  { name = "config", flags = { "--config" }, arg = "FILE", help = "config file (default $KICKOFF_CONFIG, ~/.config/kickoff/config)" },
  { name = "request_timeout", flags = { "--request-timeout" }, arg = "S", kind = "number", min = 0,
    help = "seconds per HTTP attempt (default 80)" },
  { name = "retries", flags = { "--retries" }, arg = "N", kind = "integer", min = 0, max = 100,
    help = "extra attempts where a retry is safe (default 2)" },
  { name = "verbose", flags = { "-v", "--verbose" }, kind = "switch", help = "trace requests on stderr (redacted)" },
  { name = "help", flags = { "-h", "--help" }, kind = "switch", help = "show help (also: kickoff help VERB [VENDOR])" },
}

local wait_defaults = require("kickoff.waiter").defaults

--- Launches in flight at once with --batch, unless --concurrency says.
M.default_concurrency = 16

local WAIT_OPTIONS = {
  { name = "timeout", flags = { "--timeout" }, arg = "S", kind = "number", min = 0,
    help = string.format("give up waiting after S seconds (default %g)", wait_defaults.timeout) },
  { name = "interval", flags = { "--interval" }, arg = "S", kind = "number", min = 0,
    help = string.format("first poll interval, growing to %g s (default %g)", wait_defaults.max_interval,
      wait_defaults.interval) },
}

M.verb_options = {
  launch = {
    { name = "wait", flags = { "--wait" }, kind = "switch", help = "wait until the run is final; exit 1 unless it succeeded" },
    WAIT_OPTIONS[1], WAIT_OPTIONS[2],
    { name = "batch", flags = { "--batch" }, arg = "FILE.csv", help = "launch one run per CSV row (see below)" },
    { name = "concurrency", flags = { "--concurrency" }, arg = "N", kind = "integer", min = 1,
      help = string.format("launches in flight at once with --batch (default %d)", M.default_concurrency) },
  },
  status = {},
  wait = WAIT_OPTIONS,
  cancel = {},
  sandbox = {
    { name = "port", flags = { "--port" }, arg = "P", kind = "integer", min = 0, help = "vendor port (default: any free port)" },
    { name = "tls", flags = { "--tls" }, kind = "switch", help = "serve https with a fresh private CA (its file is printed)" },
    { name = "seed", flags = { "--seed" }, arg = "N", kind = "integer", help = "seed for ids and fault randomness" },
  },
  help = {},
}

M.verbs = { "launch", "status", "wait", "cancel", "sandbox", "help" }

local function vendor_list()
  local lines = {}
  for _, name in ipairs(config.vendors) do
    lines[#lines + 1] = string.format("  %-12s %s", name, vendors[name].title)
  end
  return table.concat(lines, "\n")
end

local function main_help()
  return table.concat({
    "usage: kickoff [options] VERB VENDOR ...",
    "",
    "Launch and track workflows on Domo Workflows, Zuora Workflow, Domo Campaigns and Captain Data.",
    "",
    "Verbs:",
    "  launch VENDOR ...        start a run (kickoff help launch VENDOR for its flags)",
    "  status VENDOR ID         show a run's status",
    "  wait VENDOR ID           poll until the run is final",
    "  cancel VENDOR ID         cancel a run",
    "  sandbox [--port P] [--tls]  run the vendor emulator and print the variables to export",
    "  help [VERB [VENDOR]]     this help, or a verb's",
    "",
    "Vendors:",
    vendor_list(),
    "",
    "Options:",
    args.describe(M.global_options),
    "",
    SETTINGS,
    "",
    "Environment:",
    environment_lines(),
    "",
    EXIT,
    "",
    "Examples:",
    "  kickoff sandbox > sandbox.txt & sleep 1       # the emulator, in the background",
    "  eval \"$(grep ^export sandbox.txt)\"            # point kickoff at it",
    "  kickoff launch zuora 396 -p accountId=A-1 --wait",
    "  kickoff --json status domo 5e1f0c2a-...",
    "  kickoff launch domo --dry-run --model-id ... --version 1.1.0 --workflow AddTwoNumbers",
  }, "\n")
end

local BATCH = [[
Batch (--batch FILE.csv): one launch per row, run concurrently, with a progress
bar on a terminal (plain lines otherwise) and a summary. The header row names
the launch flags without dashes (model_id or model-id, workflow_id, campaign_id,
email, job_name, step, ...); param.KEY is -p KEY=cell and json.KEY is
-p KEY:=cell. Flags on the command line apply to every row; a non-empty cell
wins (for repeatable flags the cell's values, separated by ; or spaces, replace
them). Exit status: 3 if any launch's outcome is unknown, else 1 if any row
failed, else 0.]]

local function launch_help(vendor)
  if not vendor then
    return table.concat({
      "usage: kickoff launch VENDOR [ARGS] [options]",
      "",
      "Vendors (kickoff help launch VENDOR for each one's flags):",
      vendor_list(),
      "",
      "Options:",
      args.describe(M.verb_options.launch),
      "",
      BATCH,
      "",
      EXIT,
      "",
      "Examples:",
      "  " .. vendors.domo.examples[1],
      "  " .. vendors.zuora.examples[1],
      "  " .. vendors.campaigns.examples[1],
    }, "\n")
  end
  local v = vendors[vendor]
  local examples = {}
  for _, e in ipairs(v.examples) do examples[#examples + 1] = "  " .. e end
  return table.concat({
    string.format("usage: kickoff launch %s%s [options]", vendor, v.positional_arg and (" " .. v.positional_arg) or ""),
    "",
    "Start a " .. v.title .. " run through kickoff's " .. vendor .. " client; it validates before sending.",
    "",
    vendor .. " options:",
    args.describe(v.launch_options),
    "",
    "Launch options:",
    args.describe(M.verb_options.launch),
    "",
    "Credentials and host (flags win over the environment and the config file):",
    M.settings_lines(vendor),
    "",
    BATCH,
    "",
    EXIT,
    "",
    "Examples:",
    table.concat(examples, "\n"),
  }, "\n")
end

function M.settings_lines(vendor)
  local rows, width = {}, 0
  for _, s in ipairs(config.settings[vendor]) do rows[#rows + 1] = s end
  rows[#rows + 1] = config.common[1]
  for _, s in ipairs(rows) do width = math.max(width, #table.concat(s.env, " or ")) end
  local lines = {}
  for _, s in ipairs(rows) do
    lines[#lines + 1] = string.format("  %-20s %-" .. width .. "s  %s", s.flag .. " " .. s.arg, table.concat(s.env, " or "), s.help)
  end
  return table.concat(lines, "\n")
end

local ID_HELP = {
  status = { "Show a run's status (one request).", "kickoff status domo 5e1f0c2a-6b7d-4c1e-9f00-1a2b3c4d5e6f",
    "kickoff --json status zuora 9002" },
  wait = { "Poll with backoff until the run is final; exit 1 unless it succeeded.",
    "kickoff wait captaindata JOB_UID --timeout 900", "kickoff wait zuora 9002 --json" },
  cancel = { "Cancel a run (Zuora: stop). Campaigns sends cannot be cancelled.", "kickoff cancel domo 5e1f0c2a-...",
    "kickoff cancel zuora 9002" },
}

local function id_help(verb, vendor)
  local h = ID_HELP[verb]
  local lines = {
    string.format("usage: kickoff %s %s ID [options]", verb, vendor or "VENDOR"),
    "",
    h[1],
    "",
  }
  if #M.verb_options[verb] > 0 then
    lines[#lines + 1] = "Options:"
    lines[#lines + 1] = args.describe(M.verb_options[verb])
    lines[#lines + 1] = ""
  end
  if vendor then
    lines[#lines + 1] = "Credentials and host:"
    lines[#lines + 1] = M.settings_lines(vendor)
  else
    lines[#lines + 1] = "Vendors (campaigns has no status):"
    lines[#lines + 1] = vendor_list()
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = EXIT
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Examples:"
  lines[#lines + 1] = "  " .. h[2]
  lines[#lines + 1] = "  " .. h[3]
  return table.concat(lines, "\n")
end

local function sandbox_help()
  return table.concat({
    "usage: kickoff sandbox [--port P] [--tls] [--seed N] [--json]",
    "",
    "Run the emulator of all four vendors on 127.0.0.1 in the foreground. It prints",
    "the base URLs and the export lines that point kickoff at it (sandbox credentials,",
    "not secrets); with --json, one JSON object instead. Ctrl-C or SIGTERM stops it.",
    "",
    "Options:",
    args.describe(M.verb_options.sandbox),
    "",
    "Examples:",
    "  kickoff sandbox --tls",
    "  kickoff sandbox --port 8080 > sandbox.txt & sleep 1; eval \"$(grep ^export sandbox.txt)\"",
  }, "\n")
end

--- Help text for a verb and vendor (both optional).
function M.text(verb, vendor)
  if verb == "launch" then return launch_help(vendor) end
  if ID_HELP[verb] then return id_help(verb, vendor) end
  if verb == "sandbox" then return sandbox_help() end
  return main_help()
end

return M

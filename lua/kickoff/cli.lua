--- The `kickoff` command: parse the command line, build the vendor client
-- from flags, environment and config file, run the verb, print the result
-- and return the exit status (see kickoff.cli.output). bin/kickoff only
-- calls `main`.
-- @module kickoff.cli
local kickoff = require("kickoff")
local args = require("kickoff.cli.args")
local batch = require("kickoff.cli.batch")
local config = require("kickoff.cli.config")
local dryrun = require("kickoff.cli.dryrun")
local help = require("kickoff.cli.help")
local output = require("kickoff.cli.output")
local vendors = require("kickoff.cli.vendors")

local M = {}

M.USER_AGENT = "kickoff-cli/" .. kickoff._VERSION

local VERBS = {}
for _, v in ipairs(help.verbs) do VERBS[v] = true end

local function append(list, more)
  for _, x in ipairs(more) do list[#list + 1] = x end
end

-- Options valid after the positionals read so far (verb, then vendor).
local function specs_for(positionals)
  local list = {}
  append(list, help.global_options)
  local verb, vendor = positionals[1], positionals[2]
  if help.verb_options[verb] then append(list, help.verb_options[verb]) end
  if vendors[vendor] and verb ~= "sandbox" and verb ~= "help" then
    append(list, config.option_specs(vendor))
    if verb == "launch" then append(list, vendors[vendor].launch_options) end
  end
  return list
end

local function known_anywhere(flag)
  local all = {}
  for _, specs in pairs(help.verb_options) do append(all, specs) end
  for _, vendor in ipairs(config.vendors) do
    append(all, config.option_specs(vendor))
    append(all, vendors[vendor].launch_options)
  end
  for _, spec in ipairs(all) do
    for _, f in ipairs(spec.flags) do if f == flag then return true end end
  end
end

local function misplaced(flag, positionals)
  if known_anywhere(flag) then
    local here = #positionals > 0 and ("kickoff " .. table.concat(positionals, " ", 1, math.min(#positionals, 2))) or "kickoff"
    return string.format("%s is not an option of `%s` (a verb's or vendor's options go after it; see --help)", flag, here)
  end
end

-- -h/--help anywhere, and the verb and vendor named around it. (This runs
-- before parsing: a command with -h need not be complete.)
local function help_context(argv)
  local words = {}
  for _, a in ipairs(argv) do
    if not a:find("^%-") then words[#words + 1] = a end
  end
  local verb, vendor
  for _, w in ipairs(words) do
    if not verb and VERBS[w] and w ~= "help" then verb = w
    elseif verb and not vendor and vendors[w] then vendor = w end
  end
  local wants = false
  for _, a in ipairs(argv) do
    if a == "-h" or a == "--help" then wants = true end
    if a == "--" then break end
  end
  return wants, verb, vendor
end

-- Standard error is a terminal (for the batch progress bar).
local function stderr_is_tty(errout)
  return errout == io.stderr and os.execute("test -t 2") == true
end

local function make_client(vendor, flags, errout, sink)
  local copts = config.new(flags).client_options(vendor)
  copts.user_agent = M.USER_AGENT
  copts.timeout = flags.request_timeout
  copts.retries = flags.retries
  if flags.verbose then
    copts.trace = function(ev)
      errout:write("kickoff: trace ", ev.type, ": ", output.one_line(ev.text), "\n")
    end
  end
  if flags.dry_run then copts.dry_run = dryrun.hook(vendor, sink) end
  local client, err = kickoff[vendor](copts)
  return client, err, copts
end

-- Print the captured requests of a dry run.
local function show_requests(ctx, requests, label)
  local described = {}
  for i, req in ipairs(requests) do
    described[i] = dryrun.describe(ctx.client, req, M.USER_AGENT, ctx.copts.project_id)
  end
  if ctx.flags.json then
    local list = {}
    for i, d in ipairs(described) do list[i] = dryrun.as_table(d) end
    return { dry_run = true, requests = list }
  end
  local out = ctx.out
  for _, d in ipairs(described) do
    out:write(label and ("# " .. label .. "\n") or "", dryrun.request_text(d), "\n\n")
    local vars = dryrun.variables(d)
    out:write("# the same request with curl", #vars > 0 and (" (export " .. table.concat(vars, ", ") .. " first)") or "",
      ":\n", dryrun.curl(d), "\n\n")
  end
end

local function wait_options(flags)
  return { timeout = flags.timeout, interval = flags.interval }
end

-- One launch (and wait, with --wait) from a table of launch options.
local function launch_one(ctx, o)
  local run, err = vendors[ctx.vendor].launch(ctx.client, o)
  if run and ctx.flags.wait and not run:is_final() then run, err = ctx.client:wait(run, wait_options(ctx.flags)) end
  return run, err
end

-- Report an error; a missing or bad setting says where to set it.
local function report(ctx, err)
  local hint = type(err) == "table" and err.kind == "validation" and err.field and config.hint(ctx.vendor, err.field) or nil
  return output.report_error(ctx.out, ctx.errout, err, ctx.flags.json, hint)
end

-- A verb under --dry-run: show what would be sent.
local function dry_run(ctx, call)
  local run, err = call()
  if #ctx.sink == 0 then
    if run then args.fail("--dry-run: this verb makes no request") end
    return report(ctx, err)
  end
  local shown = show_requests(ctx, ctx.sink)
  if shown then ctx.out:write(output.encode(shown), "\n") else ctx.out:write("# dry run: nothing was sent\n") end
  return output.OK
end

-- --batch with --dry-run: every row's request, one after the other.
local function dry_run_batch(ctx, rows)
  local status, json_rows = output.OK, {}
  for i, o in ipairs(rows) do
    for k in pairs(ctx.sink) do ctx.sink[k] = nil end -- the hook's list, emptied per row
    local ok, run_or_raised, err = pcall(launch_one, ctx, o)
    if not ok then err = run_or_raised end
    if #ctx.sink > 0 then
      local shown = show_requests(ctx, ctx.sink, "row " .. i)
      if shown then json_rows[i] = { row = i, requests = shown.requests } end
    else
      status = output.FAILED
      local why = err or "no request"
      if ctx.flags.json then
        json_rows[i] = { row = i, error = output.error_table(why) }
      else
        ctx.out:write(string.format("# row %d: error: %s\n\n", i, output.one_line(tostring(why))))
      end
    end
  end
  if ctx.flags.json then
    ctx.out:write(output.encode({ dry_run = true, batch = ctx.flags.batch, rows = json_rows }), "\n")
  else
    ctx.out:write(string.format("# dry run: %d rows, nothing was sent\n", #rows))
  end
  return status
end

local function launch(ctx)
  local flags = ctx.flags
  if flags.batch then
    if flags.idempotency_key then
      args.fail("--idempotency-key names one launch; give a batch an idempotency_key column instead")
    end
    local rows = batch.rows(vendors[ctx.vendor], flags.batch, flags)
    if flags.dry_run then return dry_run_batch(ctx, rows) end
    return batch.run {
      file = flags.batch, rows = rows, launch = function(o) return launch_one(ctx, o) end,
      concurrency = flags.concurrency or help.default_concurrency, wait = flags.wait, json = flags.json,
      tty = stderr_is_tty(ctx.errout), out = ctx.out, errout = ctx.errout,
    }
  end
  if flags.dry_run then return dry_run(ctx, function() return launch_one(ctx, flags) end) end
  local run, err = launch_one(ctx, flags)
  if not run then return report(ctx, err) end
  output.print_run(ctx.out, run, flags.json, not flags.wait and "launched" or nil)
  return output.run_status(run, flags.wait)
end

local function by_id(ctx, verb, id)
  local fn = vendors.verb(ctx.vendor, verb)
  local call = function() return fn(ctx.client, id, verb == "wait" and wait_options(ctx.flags) or nil) end
  if ctx.flags.dry_run then return dry_run(ctx, call) end
  local run, err = call()
  if not run then return report(ctx, err) end
  output.print_run(ctx.out, run, ctx.flags.json, verb == "cancel" and "cancel requested for" or nil)
  if verb == "cancel" then return output.OK end
  return output.run_status(run, verb == "wait")
end

local function run_command(argv, out, errout)
  local wants_help, help_verb, help_vendor = help_context(argv)
  if wants_help then
    out:write(help.text(help_verb, help_vendor), "\n")
    return output.OK
  end
  local flags, pos = args.parse(argv, specs_for, misplaced)
  local verb, vendor = pos[1], pos[2]
  if verb == "help" then -- after parsing, so option values are not taken for words
    local topic = VERBS[pos[2]] and pos[2] ~= "help" and pos[2] or nil
    out:write(help.text(topic, topic and vendors[pos[3]] and pos[3] or nil), "\n")
    return output.OK
  end
  if not verb then args.fail("missing verb: launch, status, wait, cancel or sandbox (see kickoff --help)") end
  if not VERBS[verb] then args.fail("unknown verb '%s' (see kickoff --help)", verb) end
  if verb == "sandbox" then
    if #pos > 1 then args.fail("unexpected argument '%s'", pos[2]) end
    return require("kickoff.cli.sandbox").run(
      { tls = flags.tls, port = flags.port, seed = flags.seed, json = flags.json }, out, errout)
  end
  if not vendor then args.fail("kickoff %s needs a vendor: %s", verb, table.concat(config.vendors, ", ")) end
  local spec = vendors[vendor]
  if not spec then args.fail("unknown vendor '%s' (one of %s)", vendor, table.concat(config.vendors, ", ")) end
  if verb ~= "launch" and spec.no_status then args.fail("%s", spec.no_status) end
  local wanted = 2
  if verb == "launch" then
    if spec.positional then
      flags[spec.positional] = pos[3]
      if not pos[3] and not flags.batch then
        args.fail("kickoff launch %s needs %s (see kickoff help launch %s)", vendor, spec.positional_arg, vendor)
      end
      wanted = 3
    end
  else
    if not pos[3] then args.fail("kickoff %s %s needs a run id", verb, vendor) end
    wanted = 3
  end
  if #pos > wanted then args.fail("unexpected argument '%s'", pos[wanted + 1]) end

  local ctx = { flags = flags, vendor = vendor, out = out, errout = errout, sink = {} }
  local client, err, copts = make_client(vendor, flags, errout, ctx.sink)
  ctx.client, ctx.copts = client, copts
  if not client then return report(ctx, err) end
  if verb == "launch" then return launch(ctx) end
  return by_id(ctx, verb, pos[3])
end

--- Run the command line.
-- @param argv list of arguments (without the program name)
-- @param[opt] streams { out = file, err = file } (default stdout, stderr)
-- @return exit status
function M.main(argv, streams)
  streams = streams or {}
  local out, errout = streams.out or io.stdout, streams.err or io.stderr
  local ok, status = pcall(run_command, argv, out, errout)
  if ok then
    out:flush()
    return status
  end
  if args.is_usage(status) then
    errout:write("kickoff: ", output.one_line(status.message), "\n")
    return output.USAGE
  end
  errout:write("kickoff: internal error: ", output.one_line(tostring(status)), "\n")
  return output.FAILED
end

return M

-- The `kickoff` command as users get it: installed with `make install
-- PREFIX=...` into a temporary tree and run as a separate process (clean
-- environment, no LUA_PATH) against the sandbox over loopback. Every verb,
-- --json, --dry-run (nothing sent, no secret printed, the exact request and
-- a working curl command), exit statuses, config precedence, a 100-row
-- batch and the sandbox verb.
local json = require("kickoff.json")
local support = require("spec.support")

-- Distinctive fake credentials, so any leak into output is found.
local CREDENTIALS = {
  domo_token = "cli-spec-domo-token-5b1e9d",
  zuora_client_id = "cli-spec-zuora-client",
  zuora_client_secret = "cli-spec-zuora-secret-77aa31",
  campaigns_token = "cli-spec-campaigns-token-c3d9e4",
  campaigns_owner_email = "owner@example.com",
  captaindata_api_key = "cli-spec-captaindata-key-0f2e6a",
  captaindata_project_id = "7d0b3c52-1f4e-4a8b-9c6d-2e5f8a1b3c4d",
}
local SECRETS = { CREDENTIALS.domo_token, CREDENTIALS.zuora_client_secret, CREDENTIALS.campaigns_token,
  CREDENTIALS.captaindata_api_key }

local ADD = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"        -- AddTwoNumbers 1.1.0, completes
local FAILING = "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"    -- FailingFlow 0.0.1, fails
local RESTRICTED = "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e" -- RestrictedFlow 1.0.0, 403
local CD_WORKFLOW = "4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b"
local CD_STEP = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
local CD_ACCOUNT = "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"
local COMMAND_TIMEOUT = 60 -- seconds any one command may take

local function q(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function write(path, text, mode)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  if mode then assert(os.execute("chmod " .. mode .. " " .. q(path))) end
end

local function lines_of(s)
  local list = {}
  for line in s:gmatch("[^\n]+") do list[#list + 1] = line end
  return list
end

-- No secret in a text; the failure message never quotes the text itself.
local function assert_no_secret(text, what)
  for i, secret in ipairs(SECRETS) do
    assert.is_nil(text:find(secret, 1, true), what .. " shows secret #" .. i)
  end
end

describe("the installed kickoff command", function()
  local tmp, bin, sb, base_env

  -- The shell command running the installed kickoff in a clean environment
  -- (env values of false are left out).
  local function command(argv, extra_env)
    local vars = {}
    for k, v in pairs(base_env) do vars[k] = v end
    for k, v in pairs(extra_env or {}) do vars[k] = v end
    local names = {}
    for k, v in pairs(vars) do if v then names[#names + 1] = k end end
    table.sort(names)
    local parts = { "env -i" }
    for _, k in ipairs(names) do parts[#parts + 1] = k .. "=" .. q(vars[k]) end
    parts[#parts + 1] = "timeout " .. COMMAND_TIMEOUT .. " " .. q(bin)
    for _, a in ipairs(argv) do parts[#parts + 1] = q(a) end
    return table.concat(parts, " ")
  end

  local function kickoff(argv, extra_env)
    local _, _, code = os.execute("cd " .. q(tmp) .. " && " .. command(argv, extra_env) .. " >" .. q(tmp .. "/out")
      .. " 2>" .. q(tmp .. "/err") .. " </dev/null")
    local r = { status = code, out = read(tmp .. "/out"), err = read(tmp .. "/err") }
    r.all = r.out .. r.err
    return r
  end

  -- the request a vendor received last (one journal fetch)
  local function last_request(vendor)
    local sent = sb:journal(vendor)
    return sent[#sent]
  end

  local function decode(r)
    local v, err = json.decode(r.out)
    assert(v, "not JSON (" .. tostring(err) .. "): " .. r.out .. r.err)
    return v
  end

  local function launch_domo(model, version, workflow, more)
    local argv = { "--json", "launch", "domo", "--model-id", model, "--version", version, "--workflow", workflow,
      "-p", "parameter1:=13", "-p", "parameter2:=7" }
    for _, a in ipairs(more or {}) do argv[#argv + 1] = a end
    return kickoff(argv)
  end

  setup(function()
    tmp = os.tmpname()
    os.remove(tmp)
    assert(os.execute("mkdir -p " .. q(tmp)))
    local p = assert(io.popen("make -s install PREFIX=" .. q(tmp .. "/prefix") .. " 2>&1"))
    local out = p:read("a")
    assert(p:close(), out)
    bin = tmp .. "/prefix/bin/kickoff"
    sb = support.sandbox { credentials = CREDENTIALS }
    local c = CREDENTIALS
    base_env = {
      PATH = "/usr/local/bin:/usr/bin:/bin", HOME = tmp,
      DOMO_BASE_URL = sb.urls.domo, DOMO_ACCESS_TOKEN = c.domo_token,
      ZUORA_BASE_URL = sb.urls.zuora, ZUORA_CLIENT_ID = c.zuora_client_id, ZUORA_CLIENT_SECRET = c.zuora_client_secret,
      CAMPAIGNS_BASE_URL = sb.urls.campaigns, CAMPAIGNS_INSTANCE = "acme.domo.com",
      CAMPAIGNS_ACCESS_TOKEN = c.campaigns_token, DOMO_TOKEN_OWNER_EMAIL = c.campaigns_owner_email,
      CAPTAINDATA_BASE_URL = sb.urls.captaindata, CAPTAINDATA_API_KEY = c.captaindata_api_key,
      CAPTAINDATA_PROJECT_ID = c.captaindata_project_id,
    }
    write(tmp .. "/people.csv", "linkedin_profile_url,first_name\nhttps://www.linkedin.com/in/ada,Ada\n"
      .. "https://www.linkedin.com/in/grace,Grace\n")
  end)

  teardown(function()
    if sb then sb:stop() end
    if tmp then os.execute("rm -rf " .. q(tmp)) end
  end)

  before_each(function() sb:reset() end)

  it("is installed with its modules and runs outside the source tree", function()
    assert.is_true(os.execute("test -x " .. q(bin)))
    local r = kickoff({ "--help" })
    assert.equal(0, r.status, r.all)
    assert.matches("usage: kickoff", r.out)
  end)

  it("has --help with examples for every verb and vendor", function()
    local cases = {
      { "--help" }, { "help" }, { "help", "launch" }, { "launch", "--help" }, { "status", "--help" },
      { "wait", "-h" }, { "cancel", "--help" }, { "sandbox", "--help" }, { "help", "wait", "zuora" },
    }
    for _, vendor in ipairs({ "domo", "zuora", "campaigns", "captaindata" }) do
      cases[#cases + 1] = { "launch", vendor, "--help" }
    end
    for _, argv in ipairs(cases) do
      local r = kickoff(argv)
      local what = table.concat(argv, " ")
      assert.equal(0, r.status, what .. ": " .. r.all)
      assert.matches("usage: kickoff", r.out, 1, true)
      assert.matches("Examples:", r.out, 1, true)
    end
    assert.matches("--model-id UUID", kickoff({ "launch", "domo", "--help" }).out, 1, true)
    assert.matches("--idempotency-key", kickoff({ "help", "launch", "zuora" }).out, 1, true)
    assert.matches("--step UID[:ACCOUNT,...]", kickoff({ "launch", "captaindata", "-h" }).out, 1, true)
  end)

  describe("domo", function()
    it("launches, reads the status, waits and cancels", function()
      local r = launch_domo(ADD, "1.1.0", "AddTwoNumbers")
      assert.equal(0, r.status, r.all)
      local run = decode(r)
      assert.equal("domo", run.vendor)
      assert.equal("queued", run.status)
      local sent = sb:journal("domo")
      assert.equal(1, #sent)
      assert.equal("/api/workflow/v1/instances/message", sent[1].path)
      assert.same({ messageName = "Start AddTwoNumbers", modelId = ADD, version = "1.1.0",
        data = { parameter1 = 13, parameter2 = 7 } }, sent[1].json)

      r = kickoff({ "status", "domo", run.id })
      assert.equal(0, r.status, r.all)
      assert.matches("domo run " .. run.id, r.out, 1, true)

      r = kickoff({ "wait", "domo", run.id, "--interval", "0.1", "--json" })
      assert.equal(0, r.status, r.all)
      assert.equal("succeeded", decode(r).status)
      assert.equal("COMPLETED", decode(r).vendor_status)

      local second = decode(launch_domo(ADD, "1.1.0", "AddTwoNumbers"))
      r = kickoff({ "cancel", "domo", second.id })
      assert.equal(0, r.status, r.all)
      assert.matches("cancel requested for domo run " .. second.id, r.out, 1, true)
      assert.equal("POST", last_request("domo").method)
    end)

    it("exits 1 when the run fails (wait, launch --wait)", function()
      local r = launch_domo(FAILING, "0.0.1", "FailingFlow", { "--wait", "--interval", "0.1" })
      assert.equal(1, r.status, r.all)
      assert.equal("failed", decode(r).status)
      local run = decode(launch_domo(FAILING, "0.0.1", "FailingFlow"))
      r = kickoff({ "wait", "domo", run.id, "--interval", "0.1" })
      assert.equal(1, r.status, r.all)
      assert.matches("failed [FAILED]", r.out, 1, true)
    end)
  end)

  describe("zuora", function()
    it("runs with parameters, key and track id, then status, wait and cancel", function()
      local r = kickoff({ "--json", "launch", "zuora", "396", "-p", "accountId=A-1", "-p", "count:=3",
        "--idempotency-key", "cli-spec-key-1", "--track-id", "cli-7" })
      assert.equal(0, r.status, r.all)
      local run = decode(r)
      assert.equal("cli-spec-key-1", run.idempotency_key)
      local sent = sb:journal("zuora")
      local last = sent[#sent]
      assert.equal("/workflows/396/run", last.path)
      assert.equal("cli-spec-key-1", last.headers["idempotency-key"])
      assert.equal("cli-7", last.headers["zuora-track-id"])
      assert.same({ accountId = "A-1", count = 3 }, last.json)

      r = kickoff({ "--json", "status", "zuora", tostring(run.id) })
      assert.equal(0, r.status, r.all)
      assert.equal(run.id, decode(r).id)
      r = kickoff({ "--json", "wait", "zuora", tostring(run.id), "--interval", "0.1" })
      assert.equal(0, r.status, r.all)
      assert.equal("succeeded", decode(r).status)

      local second = decode(kickoff({ "--json", "launch", "zuora", "397" }))
      r = kickoff({ "--json", "cancel", "zuora", tostring(second.id) })
      assert.equal(0, r.status, r.all)
      assert.equal("PUT", last_request("zuora").method)
    end)
  end)

  describe("campaigns", function()
    it("starts a send to chosen addresses; status is a usage error", function()
      local r = kickoff({ "launch", "campaigns", "42", "--email", "ada@example.com", "--email", "grace@example.com" })
      assert.equal(0, r.status, r.all)
      assert.matches("launched campaigns run 42: succeeded", r.out, 1, true)
      local sent = sb:journal("campaigns")
      assert.equal(1, #sent)
      assert.same({ "ada@example.com", "grace@example.com" }, sent[1].json.emailAddresses)
      assert.equal("acme.domo.com", sent[1].json.instance)
      assert_no_secret(r.all, "campaigns launch output")

      r = kickoff({ "status", "campaigns", "42" })
      assert.equal(2, r.status, r.all)
      assert.equal(1, #lines_of(r.err))

      -- a send is final at once: --wait has nothing to poll
      r = kickoff({ "--json", "launch", "campaigns", "42", "--wait" })
      assert.equal(0, r.status, r.all)
      assert.equal("succeeded", decode(r).status)
      assert.equal(2, #sb:journal("campaigns"))
    end)
  end)

  describe("captaindata", function()
    it("launches a job from CSV inputs, steps and parameters; status, wait, cancel", function()
      local r = kickoff({ "--json", "launch", "captaindata", CD_WORKFLOW, "--job-name", "Profiles",
        "--inputs", tmp .. "/people.csv", "--step", CD_STEP .. ":" .. CD_ACCOUNT, "--param", "1.max_results:=5" })
      assert.equal(0, r.status, r.all)
      local job = decode(r)
      assert.equal("queued", job.status)
      local sent = sb:journal("captaindata")
      local body = sent[#sent].json
      assert.equal("Profiles", body.job_name)
      assert.equal(2, #body.inputs)
      assert.equal("Grace", body.inputs[2].first_name)
      assert.same({ { step_uid = CD_STEP, accounts = { CD_ACCOUNT }, parameters = { max_results = 5 } } }, body.steps)

      r = kickoff({ "status", "captaindata", job.id })
      assert.equal(0, r.status, r.all)
      r = kickoff({ "--json", "wait", "captaindata", job.id, "--interval", "0.1" })
      assert.equal(0, r.status, r.all)
      assert.equal("succeeded", decode(r).status)

      local second = decode(kickoff({ "--json", "launch", "captaindata", CD_WORKFLOW, "--job-name", "Two",
        "--inputs", tmp .. "/people.csv", "--step", CD_STEP }))
      r = kickoff({ "cancel", "captaindata", second.id })
      assert.equal(0, r.status, r.all)
      assert.matches("/cancel$", last_request("captaindata").path)
    end)
  end)

  describe("--dry-run", function()
    local launches = {
      domo = { "launch", "domo", "--model-id", ADD, "--version", "1.1.0", "--workflow", "AddTwoNumbers", "-p", "parameter1:=1" },
      zuora = { "launch", "zuora", "396", "-p", "accountId=A-9", "--idempotency-key", "cli-dry-key", "--track-id", "dry" },
      campaigns = { "launch", "campaigns", "42", "--email", "ada@example.com" },
      captaindata = { "launch", "captaindata", CD_WORKFLOW, "--job-name", "Dry", "--inputs", "people.csv",
        "--step", CD_STEP .. ":" .. CD_ACCOUNT },
    }

    local function with(argv, ...)
      local list = { table.unpack(argv) }
      for i = 1, select("#", ...) do list[#list + 1] = select(i, ...) end
      return list
    end

    it("sends nothing and prints no secret, for every verb", function()
      local cases = {}
      for _, argv in pairs(launches) do cases[#cases + 1] = argv end
      for _, vendor in ipairs({ "domo", "zuora", "captaindata" }) do
        for _, verb in ipairs({ "status", "wait", "cancel" }) do
          cases[#cases + 1] = { verb, vendor, vendor == "zuora" and "9001" or "some-id" }
        end
      end
      for _, argv in ipairs(cases) do
        local what = table.concat(argv, " ", 1, 2)
        for _, mode in ipairs({ "text", "json" }) do
          local r = kickoff(with(argv, "--dry-run", mode == "json" and "--json" or nil))
          assert.equal(0, r.status, what .. " --dry-run: " .. r.err)
          assert_no_secret(r.all, what .. " --dry-run " .. mode)
          if mode == "json" then
            local shown = decode(r)
            assert.is_true(shown.dry_run)
            assert.matches("\ncurl %-sS %-X %u+ '", "\n" .. shown.requests[1].curl)
          else
            assert.matches("nothing was sent", r.out, 1, true)
            assert.matches("\ncurl %-sS %-X %u+ '", r.out)
          end
        end
      end
      assert.same({}, sb:journal())
    end)

    it("shows the exact request the same command then sends", function()
      for vendor, argv in pairs(launches) do
        local shown = decode(kickoff(with(argv, "--dry-run", "--json"))).requests[1]
        assert.equal(0, #sb:journal(vendor))
        local r = kickoff(argv)
        assert.equal(0, r.status, r.all)
        local sent = sb:journal(vendor)
        local real = sent[#sent]
        assert.equal(shown.method, real.method)
        assert.equal(sb.urls[vendor] .. real.path, shown.url)
        for _, h in ipairs(shown.headers) do
          local value = real.headers[h.name:lower()]
          assert.is_not_nil(value, vendor .. " did not send " .. h.name)
          if not h.value:find("[REDACTED]", 1, true) then assert.equal(h.value, value) end
        end
        local body = shown.body:gsub("%[REDACTED%]", CREDENTIALS.campaigns_token)
        assert.equal(body, real.body)
      end
    end)

    it("prints a curl command that works once the variables are exported", function()
      for vendor, argv in pairs(launches) do
        sb:reset()
        local curl = decode(kickoff(with(argv, "--dry-run", "--json"))).requests[1].curl
        local exports = {}
        for _, name in ipairs({ "DOMO_ACCESS_TOKEN", "ZUORA_CLIENT_ID", "ZUORA_CLIENT_SECRET", "CAMPAIGNS_ACCESS_TOKEN",
          "CAPTAINDATA_API_KEY" }) do
          exports[#exports + 1] = name .. "=" .. q(base_env[name])
        end
        write(tmp .. "/curl.sh", "export " .. table.concat(exports, " ") .. "\n" .. curl .. "\n")
        local ok = os.execute("cd " .. q(tmp) .. " && timeout " .. COMMAND_TIMEOUT .. " sh curl.sh >/dev/null 2>&1")
        assert.is_true(ok, vendor .. " curl command failed")
        local sent = sb:journal(vendor)
        assert.equal(200, sent[#sent].status, vendor)
        assert.is_nil(curl:find(base_env.ZUORA_CLIENT_SECRET, 1, true))
      end
    end)
  end)

  describe("exit statuses and errors", function()
    local function one_error_line(r, status, pattern)
      assert.equal(status, r.status, r.all)
      local lines = lines_of(r.err)
      assert.equal(1, #lines, r.err)
      assert.matches("^kickoff: ", lines[1])
      if pattern then assert.matches(pattern, lines[1], 1, true) end
      assert_no_secret(r.all, "error output")
    end

    it("2 for usage and invalid input, with nothing sent", function()
      one_error_line(kickoff({}), 2, "missing verb")
      one_error_line(kickoff({ "explode" }), 2, "unknown verb")
      one_error_line(kickoff({ "launch", "acme" }), 2, "unknown vendor")
      one_error_line(kickoff({ "launch", "domo", "--frobnicate" }), 2, "unknown option --frobnicate")
      one_error_line(kickoff({ "--model-id", ADD, "launch", "domo" }), 2, "--model-id is not an option of `kickoff`")
      one_error_line(kickoff({ "launch", "zuora" }), 2, "needs WORKFLOW_ID")
      one_error_line(kickoff({ "status", "domo" }), 2, "needs a run id")
      one_error_line(kickoff({ "launch", "zuora", "396", "-p", "novalue" }), 2, "KEY=VALUE")
      one_error_line(kickoff({ "launch", "domo", "--model-id", "nope", "--version", "1.1.0", "--workflow", "W" }), 2,
        "model_id: must be a UUID")
      one_error_line(kickoff({ "launch", "zuora", "396", "-p", "id=5" }), 2, "params.id")
      one_error_line(kickoff({ "launch", "zuora", "--batch", "rows.csv", "--idempotency-key", "k" }), 2,
        "idempotency_key column")
      one_error_line(kickoff({ "launch", "domo", "--retries", "101" }), 2, "from 0 to 100")
      one_error_line(kickoff({ "launch", "domo", "--version", "1.1.0" }, { DOMO_ACCESS_TOKEN = false }), 2,
        "set DOMO_ACCESS_TOKEN")
      assert.same({}, sb:journal())
    end)

    it("1 for a refused request or a failed run, with one clear line", function()
      one_error_line(kickoff({ "status", "domo", "x" }, { DOMO_ACCESS_TOKEN = "wrong-token" }), 1, "auth (HTTP 401)")
      one_error_line(kickoff({ "launch", "domo", "--model-id", RESTRICTED, "--version", "1.0.0", "--workflow", "R" }), 1,
        "HTTP 403")
      one_error_line(kickoff({ "status", "zuora", "9001" }, { ZUORA_CLIENT_SECRET = "wrong-secret" }), 1, "auth")
      local r = kickoff({ "--json", "status", "zuora", "9001" }, { ZUORA_CLIENT_SECRET = "wrong-secret" })
      assert.equal("auth", decode(r).error.kind)
    end)

    it("3 when a launch's outcome is unknown", function()
      sb:fault { vendor = "domo", path = "/api/workflow/v1/instances/message", times = 1, when = "after",
        action = { reset = true } }
      local r = kickoff({ "launch", "domo", "--model-id", ADD, "--version", "1.1.0", "--workflow", "AddTwoNumbers" })
      one_error_line(r, 3, "outcome_unknown")
      assert.equal(1, #sb:journal("domo"))
    end)
  end)

  describe("settings", function()
    local config_path

    before_each(function() config_path = tmp .. "/kickoff.conf" end)

    it("flags win over the environment, which wins over the config file", function()
      write(config_path, "# kickoff settings\nexport DOMO_BASE_URL='" .. sb.urls.domo .. "'\nDOMO_ACCESS_TOKEN="
        .. CREDENTIALS.domo_token .. "\n", "600")
      local env = { KICKOFF_CONFIG = config_path, DOMO_BASE_URL = false, DOMO_ACCESS_TOKEN = false }
      local r = kickoff({ "status", "domo", "x" }, env)
      assert.equal(1, r.status, r.all)
      assert.matches("HTTP 404", r.err, 1, true) -- reached the sandbox with the file's token
      env.DOMO_ACCESS_TOKEN = "env-token-is-wrong"
      r = kickoff({ "status", "domo", "x" }, env)
      assert.matches("HTTP 401", r.err, 1, true)
      r = kickoff({ "status", "domo", "x", "--token", CREDENTIALS.domo_token }, env)
      assert.matches("HTTP 404", r.err, 1, true)
    end)

    it("refuses a config file with a secret that others can read", function()
      write(config_path, "DOMO_ACCESS_TOKEN=" .. CREDENTIALS.domo_token .. "\n", "644")
      local r = kickoff({ "status", "domo", "x" }, { KICKOFF_CONFIG = config_path, DOMO_ACCESS_TOKEN = false })
      assert.equal(2, r.status, r.all)
      assert.matches("chmod 600", r.err, 1, true)
      assert_no_secret(r.all, "config refusal")
      write(config_path, "DOMO_ACCES_TOKEN=x\n", "600")
      r = kickoff({ "status", "domo", "x" }, { KICKOFF_CONFIG = config_path, DOMO_ACCESS_TOKEN = false })
      assert.equal(2, r.status, r.all)
      assert.matches("unknown setting DOMO_ACCES_TOKEN", r.err, 1, true)
      assert.same({}, sb:journal())
    end)
  end)

  describe("--batch", function()
    -- 100 rows: every 5th has a bad model id (refused before sending),
    -- every 7th (not 5th) names a model the sandbox forbids (403).
    local function batch_file()
      local lines = { "model_id,workflow,param.parameter1,json.parameter2" }
      local expect = { ok = 0, invalid = 0, forbidden = 0, rows = {} }
      for i = 1, 100 do
        local model, workflow = ADD, "AddTwoNumbers"
        if i % 5 == 0 then
          model, expect.invalid = "not-a-uuid-" .. i, expect.invalid + 1
        elseif i % 7 == 0 then
          model, workflow, expect.forbidden = RESTRICTED, "RestrictedFlow", expect.forbidden + 1
        else
          expect.ok = expect.ok + 1
        end
        expect.rows[i] = model == ADD
        lines[#lines + 1] = string.format("%s,%s,%d,%d", model, workflow, i, i * 2)
      end
      write(tmp .. "/batch.csv", table.concat(lines, "\n") .. "\n")
      return tmp .. "/batch.csv", expect
    end

    it("launches 100 rows concurrently and sums up good and bad rows", function()
      local path, expect = batch_file()
      local r = kickoff({ "--json", "launch", "domo", "--version", "1.1.0", "--batch", path, "--concurrency", "8" })
      assert.equal(1, r.status, r.err)
      local summary = decode(r)
      assert.equal(100, summary.total)
      assert.equal(expect.ok, summary.ok)
      assert.equal(expect.invalid + expect.forbidden, summary.failed)
      assert.equal(0, summary.outcome_unknown)
      for i, row in ipairs(summary.rows) do
        assert.equal(expect.rows[i], row.ok, "row " .. i)
        if not row.ok then assert.is_not_nil(row.error.kind, "row " .. i) end
      end
      -- rows refused by validation were never sent
      assert.equal(100 - expect.invalid, #sb:journal("domo"))
      local params = {}
      for _, e in ipairs(sb:journal("domo")) do params[e.json.data.parameter2] = e.json.data.parameter1 end
      assert.equal("1", params[2])
      assert.equal("99", params[198])
    end)

    it("prints plain lines without a terminal, a summary, and 3 when an outcome is unknown", function()
      local path, expect = batch_file()
      sb:fault { vendor = "domo", path = "/api/workflow/v1/instances/message", times = 2, when = "after",
        action = { reset = true } }
      local r = kickoff({ "launch", "domo", "--version", "1.1.0", "--batch", path })
      assert.equal(3, r.status, r.err)
      local rows = 0
      for _ in r.out:gmatch("\nrow %d+: ") do rows = rows + 1 end
      if r.out:find("^row %d+: ") then rows = rows + 1 end
      assert.equal(100, rows)
      local ok, failed, unknown = r.out:match("batch [^:]+: 100 rows, (%d+) ok, (%d+) failed %((%d+) outcome unknown%)")
      assert.equal(2, tonumber(unknown))
      assert.equal(100, tonumber(ok) + tonumber(failed))
      assert.is_true(tonumber(ok) >= expect.ok - 2)
      assert_no_secret(r.all, "batch output")
    end)

    it("draws a progress bar when standard error is a terminal", function()
      local lines = { "model_id,param.parameter1" }
      for i = 1, 10 do lines[#lines + 1] = ADD .. "," .. i end
      write(tmp .. "/ten.csv", table.concat(lines, "\n") .. "\n")
      local cmd = command({ "launch", "domo", "--version", "1.1.0", "--workflow", "AddTwoNumbers", "--batch", "ten.csv" })
      -- script(1) runs the command on a pseudo-terminal and copies what it prints
      local _, _, code = os.execute("cd " .. q(tmp) .. " && script -qec " .. q(cmd) .. " /dev/null >" .. q(tmp .. "/tty")
        .. " </dev/null")
      local text = read(tmp .. "/tty")
      assert.equal(0, code, text)
      assert.matches("\r[" .. string.rep("#", 30) .. "] 10/10  ok 10  failed 0", text, 1, true)
      assert.matches("10 rows, 10 ok, 0 failed", text, 1, true)
      assert.is_nil(text:find("row 1:", 1, true), "plain row lines on a terminal")
    end)

    it("with --dry-run shows every row's request and sends nothing", function()
      write(tmp .. "/three.csv", "model_id,workflow\n" .. ADD .. ",A\nbad-id,B\n" .. FAILING .. ",C\n")
      local r = kickoff({ "launch", "domo", "--version", "1.1.0", "--batch", "three.csv", "--dry-run" })
      assert.equal(1, r.status, r.all)
      assert.matches("# row 1\nPOST ", r.out, 1, true)
      assert.matches("# row 2: error: kickoff.domo: validation: model_id", r.out, 1, true)
      assert.matches("# row 3\nPOST ", r.out, 1, true)
      assert.matches("3 rows, nothing was sent", r.out, 1, true)
      assert_no_secret(r.all, "batch dry run")
      assert.same({}, sb:journal())
    end)

    it("refuses an unknown column before sending anything", function()
      write(tmp .. "/bad.csv", "model_id,colour\n" .. ADD .. ",red\n")
      local r = kickoff({ "launch", "domo", "--batch", tmp .. "/bad.csv" })
      assert.equal(2, r.status, r.all)
      assert.matches("unknown column 'colour'", r.err, 1, true)
      assert.same({}, sb:journal())
    end)
  end)

  describe("sandbox verb", function()
    it("runs the TLS sandbox in the foreground, prints what to export, stops on SIGTERM", function()
      local out, pidfile = tmp .. "/sandbox.out", tmp .. "/sandbox.pid"
      os.remove(out)
      assert(os.execute(string.format("cd %s && (env -i PATH=/usr/bin:/bin HOME=%s timeout %d %s sandbox --tls >%s 2>&1 "
        .. "</dev/null & echo $! >%s)", q(tmp), q(tmp), COMMAND_TIMEOUT, q(bin), q(out), q(pidfile))))
      local pid = assert(read(pidfile):match("%d+"))
      local env, text = {}, ""
      for _ = 1, 200 do -- up to 10 s
        text = read(out)
        if text:find("KICKOFF_CA_FILE") then break end
        os.execute("sleep 0.05")
      end
      for name, value in text:gmatch("\nexport ([%u_]+)='([^']*)'") do env[name] = value end
      assert.matches("^https://127%.0%.0%.1:%d+/domo$", env.DOMO_BASE_URL or "", 1)
      env.PATH, env.HOME = base_env.PATH, tmp
      local saved = base_env
      base_env = env
      local ca_file = env.KICKOFF_CA_FILE
      env.KICKOFF_CA_FILE = nil
      local r = kickoff({ "--json", "launch", "domo", "--model-id", ADD, "--version", "1.1.0", "--workflow", "AddTwoNumbers",
        "--ca-file", ca_file })
      base_env = saved
      assert.equal(0, r.status, r.all)
      assert.equal("queued", decode(r).status)
      assert(os.execute("kill -TERM " .. pid))
      local gone = false
      for _ = 1, 200 do
        if not os.execute("kill -0 " .. pid .. " 2>/dev/null") then
          gone = true
          break
        end
        os.execute("sleep 0.05")
      end
      assert.is_true(gone, "kickoff sandbox still running")
      local port = env.DOMO_BASE_URL:match(":(%d+)/")
      local listening = os.execute("timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/" .. port .. "' 2>/dev/null")
      assert.is_falsy(listening, "the sandbox still listens")
    end)
  end)
end)

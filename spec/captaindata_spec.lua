-- Captain Data v3 against the sandbox.
local kickoff = require("kickoff")
local support = require("spec.support")

local WORKFLOW = "4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b"
local STEP = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
local ACCOUNT = "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"
local WARN_WORKFLOW = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
local WARN_STEP = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"

describe("kickoff.captaindata", function()
  local sb, creds, cd

  local function job(extra)
    local j = {
      job_name = "Extract profiles",
      inputs = { { linkedin_profile_url = "https://linkedin.com/in/ada", meta = { crm_id = 7 } },
                 { linkedin_profile_url = "https://linkedin.com/in/grace" },
                 { linkedin_profile_url = "https://linkedin.com/in/alan" } },
      steps = { { step_uid = STEP, accounts = { ACCOUNT } } },
    }
    for k, v in pairs(extra or {}) do
      if v == false then j[k] = nil else j[k] = v end
    end
    return j
  end

  setup(function()
    sb = support.sandbox()
    creds = sb.credentials
    cd = assert(kickoff.captaindata { base_url = sb.urls.captaindata, api_key = creds.captaindata_api_key,
                                      project_id = creds.captaindata_project_id })
  end)
  teardown(function() sb:stop() end)
  before_each(function() sb:reset() end)

  it("launches with the documented headers and body", function()
    local j = job { repeat_option = { type = "day", value = 1 } }
    j.unstructure_meta = false
    local run = assert(cd:launch(WORKFLOW, j))
    assert.equal("queued", run.status)
    assert.is_string(run.id)
    assert.equal("Bot successfully scheduled.", run.message)
    assert.equal(WORKFLOW, run.workflow.uid)
    assert.equal("integer", math.type(run.workflow.project_id))
    local req = sb:journal("captaindata")[1]
    assert.equal("POST", req.method)
    assert.equal("/v3/workflows/" .. WORKFLOW .. "/schedule", req.path)
    assert.equal("x-api-key " .. creds.captaindata_api_key, req.headers["authorization"])
    assert.equal(creds.captaindata_project_id, req.headers["x-project-id"])
    local body = req.json
    assert.equal("Extract profiles", body.job_name)
    assert.same({ crm_id = 7 }, body.inputs[1].meta)
    assert.same({ { step_uid = STEP, accounts = { ACCOUNT }, parameters = {} } }, body.steps)
    assert.truthy(req.body:find('"parameters":{}', 1, true)) -- required even when empty
    assert.is_false(body.unstructure_meta)
    assert.same({ type = "day", value = 1 }, body.repeat_option)
    assert.equal("integer", math.type(body.repeat_option.value))
  end)

  it("sends accounts as [] and passes step options through", function()
    assert(cd:launch(WARN_WORKFLOW, job { steps = { { step_uid = WARN_STEP, parameters = { limit = 5 },
      accounts_rotation_enabled = true, output_column = "email" } } }))
    local req = sb:journal("captaindata")[1]
    assert.truthy(req.body:find('"accounts":[]', 1, true))
    assert.same({ limit = 5 }, req.json.steps[1].parameters)
    assert.is_true(req.json.steps[1].accounts_rotation_enabled)
    assert.equal("email", req.json.steps[1].output_column)
  end)

  it("waits through pending and running to finished, then pages results", function()
    local run = assert(cd:launch(WORKFLOW, job()))
    local final = assert(cd:wait(run, { interval = 0.05 }))
    assert.equal("succeeded", final.status)
    assert.equal("finished", final.vendor_status)
    local rows, pages = {}, 0
    for row, err in cd:results(run.id) do
      assert.is_nil(err)
      rows[#rows + 1] = row
    end
    assert.equal(3, #rows) -- one row per input, two per page
    for _, e in ipairs(sb:journal("captaindata")) do
      if e.path:find("/results$") then pages = pages + 1 end
    end
    assert.equal(2, pages)
  end)

  it("maps warning to failed and retries the job", function()
    local run = assert(cd:launch(WARN_WORKFLOW, job { steps = { { step_uid = WARN_STEP } } }))
    local final = assert(cd:wait(run, { interval = 0.05 }))
    assert.equal("failed", final.status)
    assert.equal("warning", final.vendor_status)
    local again = assert(cd:retry(run.id, job { steps = { { step_uid = WARN_STEP } } }))
    assert.are_not.equal(run.id, again.id)
    local last = sb:journal("captaindata")
    assert.equal("/v3/jobs/" .. run.id .. "/retry", last[#last].path)
  end)

  it("accepts completed as success too", function()
    sb:configure { captaindata = { final_status = "completed" } }
    local final = assert(cd:wait(assert(cd:launch(WORKFLOW, job())), { interval = 0.05 }))
    assert.equal("succeeded", final.status)
    assert.equal("completed", final.vendor_status)
  end)

  it("cancels a job and deletes a schedule by name", function()
    local run = assert(cd:launch(WORKFLOW, job { job_name = "nightly", repeat_option = { type = "hour", value = 6 } }))
    local stopped = assert(cd:cancel(run))
    assert.equal("canceled", stopped.status)
    assert.equal("Schedule deleted.", assert(cd:delete_schedule("nightly")))
    local _, err = cd:delete_schedule("nightly")
    assert.equal(404, err.status)
    local last = sb:journal("captaindata")
    assert.equal("DELETE", last[#last].method)
    assert.equal("/v3/jobs/nightly", last[#last].path)
  end)

  it("upserts an integration account, keeping its cookies out of traces", function()
    local trace, events = support.tracer()
    local traced = assert(kickoff.captaindata { base_url = sb.urls.captaindata, api_key = creds.captaindata_api_key,
                                                project_id = creds.captaindata_project_id, trace = trace })
    local created = assert(traced:upsert_account("linkedin", { name = "Ada", cookies = { li_at = "cookie-secret" } }))
    assert.is_table(created)
    local req = sb:journal("captaindata")[1]
    assert.equal("/v3/integrations/linkedin/accounts", req.path)
    assert.equal("cookie-secret", req.json.account.cookies.li_at)
    local seen = support.visible_text(events)
    assert.is_nil(seen:find("cookie-secret", 1, true))
    assert.is_nil(seen:find(creds.captaindata_api_key, 1, true))
  end)

  it("returns 401 as an auth error", function()
    local bad = assert(kickoff.captaindata { base_url = sb.urls.captaindata, api_key = "nope", project_id = "p" })
    local _, err = bad:launch(WORKFLOW, job())
    assert.equal("auth", err.kind)
    assert.equal(401, err.status)
  end)

  it("retries a launch refused with 429, honouring Retry-After", function()
    sb:fault { vendor = "captaindata", path_pattern = "/schedule$", times = 1,
               action = { status = 429, headers = { ["Retry-After"] = "0" } } }
    local run = assert(cd:launch(WORKFLOW, job()))
    assert.is_string(run.id)
    assert.equal(2, #sb:journal("captaindata"))
  end)

  it("builds inputs from CSV and jobs from a template", function()
    local csv = 'linkedin_profile_url,meta.crm_id\n"https://linkedin.com/in/a, b",7\nhttps://linkedin.com/in/c,\n'
    local inputs = assert(kickoff.captaindata_builders().csv_inputs(csv))
    assert.same({ { linkedin_profile_url = "https://linkedin.com/in/a, b", meta = { crm_id = "7" } },
                  { linkedin_profile_url = "https://linkedin.com/in/c" } }, inputs)
    local B = kickoff.captaindata_builders()
    local tpl = B.template { steps = B.steps { { STEP, ACCOUNT } }, unstructure_meta = true }
    local j1, j2 = tpl:job("one", inputs), tpl:job("two", inputs)
    j1.steps[1].parameters.x = 1
    assert.same({}, j2.steps[1].parameters)
    assert(cd:launch(WORKFLOW, j2))
    assert.same({ step_uid = STEP, accounts = { ACCOUNT }, parameters = {} }, sb:journal("captaindata")[1].json.steps[1])
  end)

  describe("validation (nothing is sent)", function()
    local cases = {
      { "job_name missing", { job_name = false }, "job_name" },
      { "inputs missing", { inputs = false }, "inputs" },
      { "inputs empty", { inputs = {} }, "inputs" },
      { "input not an object", { inputs = { "x" } }, "inputs[1]" },
      { "input meta not an object", { inputs = { { a = 1, meta = "m" } } }, "inputs[1].meta" },
      { "steps missing", { steps = false }, "steps" },
      { "step without uid", { steps = { { accounts = {} } } }, "steps[1].step_uid" },
      { "step accounts not strings", { steps = { { step_uid = STEP, accounts = { 1 } } } }, "steps[1].accounts[1]" },
      { "step parameters a string", { steps = { { step_uid = STEP, parameters = "x" } } }, "steps[1].parameters" },
      { "step unknown field", { steps = { { step_uid = STEP, params = {} } } }, "steps[1].params" },
      { "unstructure_meta not boolean", { unstructure_meta = "no" }, "unstructure_meta" },
      { "repeat type unknown", { repeat_option = { type = "year", value = 1 } }, "repeat_option.type" },
      { "repeat value not integer", { repeat_option = { type = "day", value = 1.5 } }, "repeat_option.value" },
      { "repeat value zero", { repeat_option = { type = "day", value = 0 } }, "repeat_option.value" },
      { "unknown job field", { jobName = "x" }, "jobName" },
    }
    for _, case in ipairs(cases) do
      it(case[1], function()
        local run, err = cd:launch(WORKFLOW, job(case[2]))
        assert.is_nil(run)
        assert.equal("validation", err.kind)
        assert.equal(case[3], err.field)
        assert.equal(0, #sb:journal())
      end)
    end

    it("checks ids", function()
      local _, err = cd:launch("", job())
      assert.equal("workflow_uid", err.field)
      _, err = cd:status(nil)
      assert.equal("job_uid", err.field)
      _, err = cd:delete_schedule(5)
      assert.equal("job_name", err.field)
    end)

    it("refuses a paging link to another host", function()
      local page, err = cd:results_page("https://evil.example/v3/jobs/x/results")
      assert.is_nil(page)
      assert.equal("validation", err.kind)
      assert.equal(0, #sb:journal())
    end)
  end)
end)

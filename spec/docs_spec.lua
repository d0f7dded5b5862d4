-- `make docs` as a check: build the LDoc reference (config.ld) into a
-- temporary directory, then, for every public function enumerated from the
-- live modules (module tables, client classes, metatables of the C
-- userdata), find its entry in the generated HTML with a description and
-- a description for each parameter it shows. ldoc must also run cleanly:
-- its warnings (unparsable definitions, parameter names that do not match
-- the code) are failures.
local sandbox = require("kickoff.sandbox")

local LDOC_SECONDS = 60

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function shell_quote(s)
  return "'" .. s:gsub("'", [['\'']]) .. "'"
end

-- Public function names of a table: metamethods (__gc, __tostring, ...)
-- are described with their class, not listed as entries.
local function function_names(t)
  local names = {}
  for k, v in pairs(t) do
    if type(k) == "string" and type(v) == "function" and not k:find("^__") then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

-- The methods of a C userdata class, read from the registry: the binding
-- hides each metatable behind __metatable.
local function core_methods(mt_name)
  local mt = debug.getregistry()[mt_name]
  assert(type(mt) == "table" and type(mt.__index) == "table", "no metatable " .. mt_name)
  return function_names(mt.__index)
end

local function strip_tags(html)
  return (html:gsub("<[^>]*>", " "):gsub("&nbsp;", " "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

-- Every documented entry of a generated page: anchor -> { description,
-- params = { {name, text}, ... } }.
local function entries_of(html)
  local entries = {}
  for anchor, body in html:gmatch('<dt>%s*<a name = "([^"]+)"></a>%s*<strong>.-</strong>%s*</dt>%s*<dd>(.-)</dd>') do
    local description = strip_tags(body:match("^(.-)<h3>") or body)
    local params = {}
    local list = body:match("<h3>Parameters:</h3>%s*<ul>(.-)</ul>") or ""
    for item in list:gmatch("<li>(.-)</li>") do
      local name = strip_tags(item:match('<span class="parameter">(.-)</span>') or "?")
      -- neither the type nor "(optional)" / "(default x)" describe a parameter
      local text = item:gsub('<span class="parameter">.-</span>', ""):gsub('<span class="types">.-</span>', "")
        :gsub("%(<em>optional</em>%)", ""):gsub("%(<em>default</em>[^)]*%)", "")
      params[#params + 1] = { name = name, text = strip_tags(text) }
    end
    entries[anchor] = { description = description, params = params }
  end
  return entries
end

-- The entry documenting `name`: exactly `qualifier:name` / `qualifier.name`
-- when a qualifier is given (a C class or a @type section), else `name` or
-- any class-qualified `X.name` / `X:name` (classes name themselves).
local function find_entry(entries, name, qualifier)
  if qualifier then return entries[qualifier .. ":" .. name] or entries[qualifier .. "." .. name] end
  if entries[name] then return entries[name] end
  for anchor, entry in pairs(entries) do
    if anchor:sub(-#name - 1):find("^[.:]") and anchor:sub(-#name) == name then return entry end
  end
end

-- What is missing from a page for a list of names: nothing when each has an
-- entry, a description and text for every parameter it shows.
local function gaps(entries, names, qualifier)
  local missing = {}
  for _, name in ipairs(names) do
    local shown = qualifier and (qualifier .. ":" .. name) or name
    local entry = find_entry(entries, name, qualifier)
    if not entry then
      missing[#missing + 1] = shown .. ": no entry"
    else
      if entry.description == "" then missing[#missing + 1] = shown .. ": no description" end
      for _, p in ipairs(entry.params) do
        if p.text == "" then missing[#missing + 1] = shown .. ": parameter '" .. p.name .. "' undescribed" end
      end
    end
  end
  return missing
end

describe("make docs (LDoc reference)", function()
  local out, ldoc_output, pages = nil, nil, {}

  setup(function()
    out = os.tmpname()
    os.remove(out)
    local cmd = string.format("timeout %d ldoc -d %s . >%s 2>%s", LDOC_SECONDS, shell_quote(out),
      shell_quote(out .. ".stdout"), shell_quote(out .. ".stderr"))
    local ok = os.execute(cmd)
    ldoc_output = { ok = ok, stdout = read(out .. ".stdout") or "", stderr = read(out .. ".stderr") or "" }
    os.remove(out .. ".stdout")
    os.remove(out .. ".stderr")
  end)

  teardown(function()
    if out then os.execute("rm -rf " .. shell_quote(out)) end
  end)

  local function page(relative)
    if pages[relative] == nil then
      local html = read(out .. "/" .. relative)
      assert(html, "ldoc wrote no " .. relative)
      pages[relative] = entries_of(html)
    end
    return pages[relative]
  end

  local function assert_documented(relative, names, qualifier)
    assert.is_true(#names > 0, "nothing enumerated for " .. relative)
    local missing = gaps(page(relative), names, qualifier)
    assert.are.same({}, missing, relative .. " lacks documentation")
  end

  it("runs ldoc from config.ld without a warning and writes index.html", function()
    assert.is_true(ldoc_output.ok == true, "ldoc failed (is lua-ldoc installed? tools/deps.sh):\n"
      .. ldoc_output.stdout .. ldoc_output.stderr)
    assert.are.equal("", ldoc_output.stderr)
    -- "format: ..." is ldoc falling back from lua-discount to another formatter
    assert.does_not_match("format:", ldoc_output.stdout)
    local index = read(out .. "/index.html")
    assert.is_not_nil(index)
    for _, target in ipairs({
      "modules/kickoff.html", "modules/kickoff.core.html", "modules/kickoff.json.html",
      "modules/kickoff.payload.html", "modules/kickoff.scheduler.html", "modules/kickoff.sandbox.html",
      "classes/kickoff.domo.html", "classes/kickoff.zuora.html", "classes/kickoff.campaigns.html",
      "classes/kickoff.captaindata.html", "classes/kickoff.Error.html", "classes/kickoff.Run.html",
      "topics/README.md.html",
    }) do
      assert.truthy(index:find('href="' .. target .. '"', 1, true), "index.html does not link " .. target)
    end
  end)

  it("documents every function of require('kickoff')", function()
    assert_documented("modules/kickoff.html", function_names(require("kickoff")))
  end)

  for _, vendor in ipairs({ "domo", "zuora", "campaigns", "captaindata" }) do
    it("documents every method of the kickoff." .. vendor .. " client class", function()
      -- the class is the metatable of every client the constructor returns
      local class = require("kickoff." .. vendor)
      assert.are.equal("kickoff." .. vendor, class.__name)
      assert_documented("classes/kickoff." .. vendor .. ".html", function_names(class))
    end)
  end

  it("documents kickoff.Error and kickoff.Run", function()
    local kickoff = require("kickoff")
    assert_documented("classes/kickoff.Error.html", function_names(kickoff.Error))
    assert_documented("classes/kickoff.Run.html", function_names(kickoff.Run))
  end)

  it("documents kickoff.json and kickoff.payload (the Captain Data builders)", function()
    assert_documented("modules/kickoff.json.html", function_names(require("kickoff.json")))
    assert_documented("modules/kickoff.payload.html", function_names(require("kickoff").captaindata_builders()))
  end)

  it("documents kickoff.scheduler and every Scheduler method", function()
    local scheduler = require("kickoff.scheduler")
    assert_documented("modules/kickoff.scheduler.html", function_names(scheduler))
    assert_documented("modules/kickoff.scheduler.html", function_names(getmetatable(scheduler.new())), "Scheduler")
  end)

  it("documents kickoff.sandbox and every Sandbox method", function()
    assert_documented("modules/kickoff.sandbox.html", function_names(sandbox))
    local sb = assert(sandbox.start{})
    local methods = function_names(getmetatable(sb))
    sb:stop()
    assert_documented("modules/kickoff.sandbox.html", methods, "Sandbox")
  end)

  it("documents kickoff.core and the methods of Engine, Client and Transfer", function()
    local page_name = "modules/kickoff.core.html"
    assert_documented(page_name, function_names(require("kickoff.core")))
    assert_documented(page_name, core_methods("kickoff.core.Engine"), "Engine")
    assert_documented(page_name, core_methods("kickoff.core.Client"), "Client")
    assert_documented(page_name, core_methods("kickoff.core.Transfer"), "Transfer")
  end)
end)

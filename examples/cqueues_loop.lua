-- Embedding: an application that already runs a cqueues event loop drives
-- kickoff without ever blocking it. kickoff.scheduler() runs the launches
-- as tasks; the loop waits on kickoff's sockets (fds) or its timeout, then
-- calls step(), which never blocks.
--
--   DOMO_BASE_URL=... DOMO_ACCESS_TOKEN=... lua5.4 examples/cqueues_loop.lua
local cqueues = require("cqueues")
local kickoff = require("kickoff")

local domo = assert(kickoff.domo {
  base_url = os.getenv("DOMO_BASE_URL"), instance = os.getenv("DOMO_INSTANCE"),
  token = os.getenv("DOMO_ACCESS_TOKEN"), ca_file = os.getenv("KICKOFF_CA_FILE"),
})

local jobs = kickoff.scheduler()
for i = 1, 5 do
  jobs:spawn(function()
    local run, err = domo:start {
      model_id = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138", version = "1.1.0",
      workflow = "AddTwoNumbers", data = { parameter1 = i, parameter2 = 10 },
    }
    if run then run, err = domo:wait(run, { interval = 0.2, timeout = 60 }) end
    print(string.format("launch %d: %s", i, run and run.status or tostring(err)))
  end)
end

-- kickoff's sockets as cqueues pollables
local function watched(scheduler)
  local list = {}
  for _, s in ipairs(scheduler:fds()) do
    list[#list + 1] = { pollfd = s.fd, events = (s.read and "r" or "") .. (s.write and "w" or "") }
  end
  list[#list + 1] = math.min(scheduler:timeout() or 1, 1)
  return table.unpack(list)
end

local loop = cqueues.new()
local ticks = 0
loop:wrap(function() -- the application's own work goes on meanwhile
  while jobs:pending() > 0 do
    ticks = ticks + 1
    cqueues.sleep(0.05)
  end
end)
loop:wrap(function()
  while jobs:pending() > 0 do
    cqueues.poll(watched(jobs))
    jobs:step()
  end
end)
assert(loop:loop())
print(string.format("the application loop ran %d times meanwhile", ticks))

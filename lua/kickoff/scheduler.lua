--- Concurrency with plain sequential code: each task runs in a coroutine,
-- and every kickoff verb called inside one yields while its request is in
-- flight, so hundreds of launches share one connection pool.
--
--    local results = kickoff.all({ f1, f2, f3 }, { concurrency = 16 })
--    local runs = kickoff.map(ids, function(id) return client:status(id) end)
--
-- Outside a task the same verbs block. A host application with its own
-- event loop uses `kickoff.scheduler()` and calls `step` when the sockets
-- from `fds` are ready or `timeout` has passed.
-- @module kickoff.scheduler
local core = require("kickoff.core")
local transport = require("kickoff.transport")

local M = {}

local Scheduler = { __name = "kickoff.Scheduler" }
Scheduler.__index = Scheduler

-- What a task yields when it waits for kickoff; anything else a task
-- yields is a plain cooperative yield (it is resumed on the next round).
local WAIT = setmetatable({}, { __name = "kickoff.wait" })

local task_of = setmetatable({}, { __mode = "k" }) -- coroutine -> task

local function running_task()
  local co, main = coroutine.running()
  if main then return nil end
  return task_of[co]
end

transport.current_scheduler = function()
  local task = running_task()
  return task and task.scheduler
end

--- A scheduler that runs only when stepped (for host event loops);
-- `kickoff.all` and `kickoff.map` make their own.
-- @return Scheduler
function M.new()
  return setmetatable({
    engine = transport.engine(),
    ready = {},    -- tasks to resume, in order
    sleepers = {}, -- { wake = monotime, task = task }, sorted by wake
    live = 0,      -- tasks started and not finished
  }, Scheduler)
end

local function make_ready(self, task)
  self.ready[#self.ready + 1] = task
end

local function finish(self, task, results)
  self.live = self.live - 1
  local group = task.group
  if group then group:finished(task, results) end
end

local function resume(self, task)
  local ok, first = coroutine.resume(task.co)
  if not ok then
    local err = first
    if type(err) == "string" then err = debug.traceback(task.co, err) end
    finish(self, task, { nil, err, n = 2 })
  elseif coroutine.status(task.co) == "dead" then
    finish(self, task, task.results)
  elseif first ~= WAIT then
    make_ready(self, task) -- a plain coroutine.yield(): run again next round
  end
end

local function run_ready(self)
  while #self.ready > 0 do
    local batch = self.ready
    self.ready = {}
    for _, task in ipairs(batch) do resume(self, task) end
  end
end

--- Start `fn(...)` as a task of this scheduler.
-- @param fn function
-- @param ... arguments for fn
-- @return the task (`task.results` holds table.pack of its returns once done)
function Scheduler:spawn(fn, ...)
  if type(fn) ~= "function" then
    error(string.format("bad argument #1 to 'spawn' (function expected, got %s)", type(fn)), 2)
  end
  local args = table.pack(...)
  local task = { scheduler = self }
  task.co = coroutine.create(function()
    task.results = table.pack(fn(table.unpack(args, 1, args.n)))
  end)
  task_of[task.co] = task
  self.live = self.live + 1
  make_ready(self, task)
  return task
end

--- Called by transport.await inside a task: yield until the transfer is done.
-- @param transfer a kickoff.core Transfer
-- @return the transfer's result table
function Scheduler:await(transfer)
  if not transfer:done() then
    local task = running_task()
    transport.on_completion(transfer, function() make_ready(self, task) end)
    coroutine.yield(WAIT)
  end
  return transfer:result(false)
end

--- Called by transport.sleep inside a task: yield for `seconds`, letting
-- the other tasks run.
-- @tparam number seconds how long
function Scheduler:sleep(seconds)
  local task = running_task()
  local wake = core.monotime() + seconds
  local sleepers = self.sleepers
  local i = #sleepers
  while i > 0 and sleepers[i].wake > wake do i = i - 1 end
  table.insert(sleepers, i + 1, { wake = wake, task = task })
  coroutine.yield(WAIT)
end

local function wake_sleepers(self)
  local now, sleepers = core.monotime(), self.sleepers
  local n = 0
  while sleepers[n + 1] and sleepers[n + 1].wake <= now do n = n + 1 end
  if n == 0 then return end
  for i = 1, n do make_ready(self, sleepers[i].task) end
  table.move(sleepers, n + 1, #sleepers + n, 1)
end

--- Tasks started and not finished.
-- @treturn integer
function Scheduler:pending()
  return self.live
end

--- Seconds until `step` has work to do, or nil when nothing is pending.
-- @treturn ?number
function Scheduler:timeout()
  if #self.ready > 0 then return 0 end
  local wait = self.engine:timeout()
  local sleeper = self.sleepers[1]
  if sleeper then
    local s = math.max(0, sleeper.wake - core.monotime())
    wait = wait and math.min(wait, s) or s
  end
  return wait
end

--- The sockets a host loop should watch: { {fd=, read=, write=}, ... }.
function Scheduler:fds()
  return self.engine:fds()
end

--- Make progress: run ready tasks, then wait up to `timeout` seconds
-- (default 0: never block) for the network or a sleeper, then run what
-- became ready.
-- @param[opt=0] timeout seconds
-- @return the number of tasks still pending
function Scheduler:step(timeout)
  run_ready(self)
  if self.live == 0 then return 0 end
  local wait = math.min(self:timeout() or 60, timeout or 0, 3600)
  transport.step(wait)
  wake_sleepers(self)
  run_ready(self)
  return self.live
end

--- Run until every task has finished.
function Scheduler:run()
  while self:step(60) > 0 do end
end

-- A group: tasks started together with a concurrency limit and a progress
-- callback; `on_done` runs when the last one finishes.
local Group = {}
Group.__index = Group

function Group:start_next()
  while self.running < self.limit and self.next <= self.total do
    local index = self.next
    self.next = index + 1
    self.running = self.running + 1
    local task = self.scheduler:spawn(self.tasks[index])
    task.group, task.index = self, index
  end
end

function Group:finished(task, results)
  self.results[task.index] = results
  self.running = self.running - 1
  self.done = self.done + 1
  if self.progress then
    self.progress(self.done, self.total, task.index, table.unpack(results, 1, results.n))
  end
  self:start_next()
  if self.done == self.total and self.on_done then self.on_done() end
end

local function check_opts(name, opts, position)
  if opts == nil then return 64, nil end
  if type(opts) ~= "table" then
    error(string.format("bad argument #%d to '%s' (table expected, got %s)", position, name, type(opts)), 3)
  end
  local limit = opts.concurrency or 64
  if math.type(limit) ~= "integer" or limit < 1 then
    error(string.format("%s: bad option 'concurrency' (integer >= 1 expected)", name), 3)
  end
  if opts.progress ~= nil and type(opts.progress) ~= "function" then
    error(string.format("%s: bad option 'progress' (function expected, got %s)", name,
      type(opts.progress)), 3)
  end
  return limit, opts.progress
end

local function run_group(tasks, limit, progress)
  local outer = running_task()
  local scheduler = outer and outer.scheduler or M.new()
  local group = setmetatable({
    scheduler = scheduler, tasks = tasks, total = #tasks, limit = limit,
    progress = progress, results = {}, next = 1, running = 0, done = 0,
  }, Group)
  if group.total == 0 then return group.results end
  group:start_next()
  if outer then
    -- inside a task: the tasks join the running scheduler and this one waits
    local finished = false
    group.on_done = function()
      finished = true
      make_ready(scheduler, outer)
    end
    while not finished do coroutine.yield(WAIT) end
  else
    scheduler:run()
  end
  return group.results
end

--- Run functions concurrently and wait for all of them.
-- @param tasks array of functions (called with no arguments)
-- @param[opt] opts concurrency (integer, default 64): tasks running at
--   once; progress: function(done, total, index, ...) called as each task
--   finishes, with its returns
-- @return results: results[i] = table.pack(tasks[i]()); a task that raises
--   does not stop the others and gets { nil, error, n = 2 }
function M.all(tasks, opts)
  if type(tasks) ~= "table" then
    error(string.format("bad argument #1 to 'all' (table expected, got %s)", type(tasks)), 2)
  end
  for i, fn in ipairs(tasks) do
    if type(fn) ~= "function" then
      error(string.format("bad argument #1 to 'all' (tasks[%d] is a %s, function expected)", i, type(fn)), 2)
    end
  end
  local limit, progress = check_opts("all", opts, 2)
  return run_group(tasks, limit, progress)
end

--- Call `fn(item, index)` for every item of a list, concurrently.
-- @param list array
-- @param fn function(item, index)
-- @param[opt] opts as for `all`
-- @return results: results[i] = table.pack(fn(list[i], i))
function M.map(list, fn, opts)
  if type(list) ~= "table" then
    error(string.format("bad argument #1 to 'map' (table expected, got %s)", type(list)), 2)
  end
  if type(fn) ~= "function" then
    error(string.format("bad argument #2 to 'map' (function expected, got %s)", type(fn)), 2)
  end
  local tasks = {}
  for i = 1, #list do
    local item = list[i]
    tasks[i] = function() return fn(item, i) end
  end
  local limit, progress = check_opts("map", opts, 3)
  return run_group(tasks, limit, progress)
end

return M

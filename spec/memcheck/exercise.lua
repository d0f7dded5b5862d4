-- Exercised under valgrind by spec/memcheck_spec.lua: every vendor's happy
-- path, an error path, retries, gzip, traces, concurrent launches with a
-- rate limit and a spent retry budget (timer heap, completion ids), and
-- objects dropped while a transfer is in flight, so leaks and invalid
-- accesses in the C core show.
local kickoff=require"kickoff"
local sb=assert(require"kickoff.sandbox".start{})
local c=sb.credentials
local d=assert(kickoff.domo{base_url=sb.urls.domo, token=c.domo_token, trace=function() end})
local r=assert(d:start{model_id="a8afdc89-9491-4ee4-b7c3-b9e9b86c0138", version="1.1.0", workflow="AddTwoNumbers", data={a=1}})
assert(d:status(r.id)); assert(d:cancel(r.id))
local z=assert(kickoff.zuora{base_url=sb.urls.zuora, client_id=c.zuora_client_id, client_secret=c.zuora_client_secret})
assert(z:run(396,{accountId="x"},{gzip=true})); assert(not z:run(400,{}))
local cp=assert(kickoff.campaigns{base_url=sb.urls.campaigns, instance="acme.domo.com",
  token=c.campaigns_token, owner_email=c.campaigns_owner_email})
assert(cp:start(42))
local bad=assert(kickoff.domo{base_url="http://127.0.0.1:1", token="t", retries=1, backoff_base=0.01})
assert(not bad:start{model_id="a8afdc89-9491-4ee4-b7c3-b9e9b86c0138", version="1.1.0", workflow="W"})
local limited=assert(kickoff.domo{base_url=sb.urls.domo, token=c.domo_token, rate=200, retry_budget=5,
  backoff_base=0.01})
local res=kickoff.map({1,2,3,4,5,6,7,8}, function(i)
  return limited:start{model_id="a8afdc89-9491-4ee4-b7c3-b9e9b86c0138", version="1.1.0", workflow="AddTwoNumbers",
    data={parameter1=i, parameter2=1}}
end, {concurrency=4})
for _, x in ipairs(res) do assert(x[1], x[2]) end
sb:fault{vendor="domo", method="GET", action={status=503}}
assert(not limited:status(r.id)); assert(not limited:status(r.id))
sb:clear_faults()
local s=kickoff.scheduler(); s:spawn(function() return d:status(r.id) end)
while s:pending() > 0 do s:fds(); s:step(0.05) end
do
  local core = require"kickoff.core"
  local e = core.engine()
  local cl = core.client(e, { vendor = "domo", base_url = sb.urls.domo, secret = "x" })
  assert(cl:submit { path = "/x" }) -- dropped in flight: cancelled by __gc
end
sb:stop()
collectgarbage()

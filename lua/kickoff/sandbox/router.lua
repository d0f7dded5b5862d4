--- Path routing for the sandbox: an ordered list of {method, pattern, handler}.
-- A path that matches some pattern but not with this method is a 405 (with
-- Allow); a path that matches nothing is a 404.
local util = require("kickoff.sandbox.util")

local M = {}

--- Find the handler for method + path.
-- Returns handler, captures (percent-decoded), or nil, 404|405, allow-list.
function M.match(routes, method, path)
  local allowed = {}
  for _, r in ipairs(routes) do
    local caps = { path:match(r[2]) }
    if caps[1] ~= nil then
      if r[1] == method then
        for i, c in ipairs(caps) do caps[i] = util.url_decode(c) end
        return r[3], caps
      end
      allowed[r[1]] = true
    end
  end
  allowed = util.sorted_keys(allowed)
  if #allowed > 0 then
    return nil, 405, table.concat(allowed, ", ")
  end
  return nil, 404
end

return M

-- Argo CD health of a dbaas.io OpsRequest, from its phase: Healthy once it
-- succeeded, Progressing while it waits or runs, Degraded when it failed or timed
-- out, Suspended when it was cancelled (by request: it will not run). Only Argo
-- CD's base and table libraries are used.
local hs = {}

local function condition(type)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function messageOf(c, default)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return default
end

local phase = ""
if obj.status ~= nil and obj.status.phase ~= nil then
  phase = obj.status.phase
end
local succeeded = condition("Succeeded")

if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = messageOf(succeeded, "succeeded")
elseif phase == "Failed" or phase == "TimedOut" then
  hs.status = "Degraded"
  hs.message = phase .. ": " .. messageOf(succeeded, "no reason given")
elseif phase == "Cancelled" then
  hs.status = "Suspended"
  hs.message = "cancelled: " .. messageOf(succeeded, "nothing more will run")
elseif phase == "Running" then
  hs.status = "Progressing"
  hs.message = messageOf(condition("Progressing"), "running")
  if obj.status.progress ~= nil and obj.status.progress ~= "" then
    hs.message = hs.message .. " (" .. obj.status.progress .. ")"
  end
else
  -- Pending, or not seen by the operator yet.
  hs.status = "Progressing"
  hs.message = messageOf(condition("Queued"), "pending")
end
return hs

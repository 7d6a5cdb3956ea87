-- Argo CD health of a dbaas.io DatabaseCluster. It reads what kstatus (Flux, kpt)
-- reads: status.observedGeneration and the Reconciling and Stalled conditions,
-- beside Ready. Only Argo CD's base and table libraries are used.
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

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function messageOf(c, default)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return default
end

-- Paused by the user: the operator leaves the children alone.
if obj.spec ~= nil and obj.spec.paused == true then
  hs.status = "Suspended"
  hs.message = "paused: the operator does not change the children"
  return hs
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator"
  return hs
end

-- A status about an older spec says nothing about the current one.
local generation = obj.metadata.generation or 0
local observed = obj.status.observedGeneration or 0
if observed < generation then
  hs.status = "Progressing"
  hs.message = "the operator has not reconciled generation " .. tostring(generation) .. " yet (status is of " .. tostring(observed) .. ")"
  return hs
end

local stalled = condition("Stalled")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = messageOf(stalled, "stalled")
  return hs
end
local ready = condition("Ready")
if obj.status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = messageOf(ready, "the cluster failed")
  return hs
end

-- Stopped by the user: no instance runs, the data is kept.
if obj.spec ~= nil and obj.spec.stopped == true and obj.status.phase == "Stopped" then
  hs.status = "Suspended"
  hs.message = "stopped: the instances are shut down, their data is kept"
  return hs
end

local reconciling = condition("Reconciling")
if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = messageOf(reconciling, "reconciling")
  return hs
end

-- An operator that does not set Reconciling: Progressing says a change converges.
local converging = reconciling == nil and isTrue(condition("Progressing"))
if isTrue(ready) and not converging then
  hs.status = "Healthy"
  hs.message = messageOf(ready, "Ready")
  return hs
end

hs.status = "Progressing"
hs.message = messageOf(ready, "waiting for the cluster to become Ready")
return hs

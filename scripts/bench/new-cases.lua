-- wrk script: POST /api/v1/cases with a new customer on every request.
-- TOKEN and RUN come from the environment; RUN keeps addresses unique across runs.
local token = os.getenv("TOKEN")
local run = os.getenv("RUN") or "0"
local threads = 0

function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

function init(args)
  counter = 0
  math.randomseed(os.time() * 100 + thread_id)
end

-- Real customers' names and addresses do not arrive in order: a random word in each spreads
-- them over the indexes as real traffic does.
local function word()
  return string.format("%08x", math.random(0, 0x7fffffff))
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"customer":{"name":"%s Customer %s-%d-%d","email":"%s.%s-%d-%d@bench.test"},' ..
    '"channel":"email","subject":"My parcel has not arrived",' ..
    '"body":"I ordered a week ago and the parcel still has not arrived. I am really fed up with waiting."}',
    word(), run, thread_id, counter, word(), run, thread_id, counter)
  return wrk.format("POST", "/api/v1/cases",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

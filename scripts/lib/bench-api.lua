-- wrk script of scripts/bench-api: each request is a path drawn at random from the
-- file given after `--`, sent with the API key from HSI_BENCH_API_KEY; at the end one
-- machine-readable line is printed:
--   RESULT requests=N errors=N duration_us=N p50_us=N p99_us=N
local paths = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  math.randomseed(os.time() * 1000 + (id or 0))
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("HSI_BENCH_API_KEY") or "")
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end

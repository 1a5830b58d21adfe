-- wrk script for one benchmark journey (tests/benchmark/run.py drives it through the environment).
--
--   BENCH_METHOD         GET (default) or POST
--   BENCH_BODIES         a file of request bodies, one a line, sent in turn (each thread starts at
--                        a different line, so two threads do not sign the same person in at once)
--   BENCH_EXPECT_STATUS  count the responses with this status and those without (this costs wrk a
--                        little per response, so the runner sets it only where it matters)
--
-- Headers (the session cookie, the content type) come from wrk's -H options. At the end, one line
-- "BENCH_JSON {...}" carries the figures back to the runner; latencies are in microseconds.

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local bodies_file = os.getenv("BENCH_BODIES")
local expected_status = tonumber(os.getenv("BENCH_EXPECT_STATUS") or "")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  -- A global in the thread's own Lua state, read by init() below.
  thread:set("bench_thread", #threads)
end

if bodies_file then
  local prepared = {}
  local index = 0

  function init(args)
    for line in io.lines(bodies_file) do
      if line ~= "" then
        table.insert(prepared, wrk.format(nil, nil, nil, line))
      end
    end
    index = ((bench_thread or 1) - 1) * math.floor(#prepared / 8)
  end

  function request()
    index = index % #prepared + 1
    return prepared[index]
  end
end

if expected_status then
  matched = 0
  unmatched = 0

  function response(status, headers, body)
    if status == expected_status then
      matched = matched + 1
    else
      unmatched = unmatched + 1
    end
  end
end

function done(summary, latency, requests)
  local matched_total, unmatched_total = 0, 0
  for _, thread in ipairs(threads) do
    matched_total = matched_total + (thread:get("matched") or 0)
    unmatched_total = unmatched_total + (thread:get("unmatched") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"expected_status":%d,"other_status":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean,
    matched_total, unmatched_total
  ))
end

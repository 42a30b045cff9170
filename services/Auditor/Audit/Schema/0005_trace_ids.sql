-- The root job's trace (OpenTelemetry), from the traceparent its RootJobStarted carries: trace_id (32 hex digits) is what
-- GET /jobs/{id} shows as traceId (a user goes from a job to its trace in one step); trace_parent (W3C) is the span that began
-- the root, under which the stuck-job sweeper starts the repair of a stalled root, so the repair is part of the root's trace.
-- Null for roots started before, or by a publisher that sends none.
ALTER TABLE root_jobs ADD COLUMN IF NOT EXISTS trace_id text;
ALTER TABLE root_jobs ADD COLUMN IF NOT EXISTS trace_parent text;

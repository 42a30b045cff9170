-- What the operations console reads (Reporting, through Jobs.Auditor.ReadModel.AuditTrailReader):
-- a level of a job tree, paged, and each node's subtree (a recursive walk by parent): a page of a 100,000-child level and
-- the walk below its nodes read this index only (it carries status, spawned and has_continuation);
CREATE INDEX "IX_child_jobs_root_job_id_parent_job_id_started_at" ON child_jobs (root_job_id, parent_job_id, started_at, child_job_id)
    INCLUDE (status, spawned, has_continuation);

-- The walk by parent looks children up by a parent id known only while it runs, which the planner estimates from the number of
-- distinct parents: a job of 100,000 children of one parent would make it expect 100,000 rows per lookup and scan the table for each
-- (measured: about 1 s for a page of 50 nodes, against 1 ms with the index). A tree has about one parent in 20 rows, so say so.
-- (Lookups by a constant parent still use the value's own statistics.) Taken into account from the next ANALYZE.
ALTER TABLE child_jobs ALTER COLUMN parent_job_id SET (n_distinct = -0.05);

-- the search of jobs by a child's error (EXISTS over the root's children that have an error);
CREATE INDEX "IX_child_jobs_root_job_id_with_error" ON child_jobs (root_job_id) WHERE error IS NOT NULL;

-- the last 24 hours per platform (jobs started, and jobs ended, in that time);
CREATE INDEX "IX_root_jobs_started_at" ON root_jobs (started_at);

CREATE INDEX "IX_root_jobs_finished_at" ON root_jobs (finished_at) WHERE finished_at IS NOT NULL;

-- the retries of a job: the roots whose RootJobStarted names it as retryOf.
CREATE INDEX "IX_job_events_retry_of" ON job_events ((payload ->> 'retryOf')) WHERE event_type = 'RootJobStarted';

-- a data audit's failures, newest first.
CREATE INDEX "IX_data_measurements_failed_measured_at" ON data_measurements (measured_at) WHERE audit_failed;

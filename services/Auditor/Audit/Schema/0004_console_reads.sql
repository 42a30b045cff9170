-- What the operations console reads (Reporting, through Jobs.Auditor.ReadModel.AuditTrailReader):
-- a level of a job tree, paged, and each node's subtree (a recursive walk by parent): a page of a 100,000-child level and
-- the walk below its nodes read this index only (it carries status, spawned and has_continuation);
CREATE INDEX "IX_child_jobs_root_job_id_parent_job_id_started_at" ON child_jobs (root_job_id, parent_job_id, started_at, child_job_id)
    INCLUDE (status, spawned, has_continuation);

-- the search of jobs by a child's error (EXISTS over the root's children that have an error);
CREATE INDEX "IX_child_jobs_root_job_id_with_error" ON child_jobs (root_job_id) WHERE error IS NOT NULL;

-- the last 24 hours per platform (jobs started, and jobs ended, in that time);
CREATE INDEX "IX_root_jobs_started_at" ON root_jobs (started_at);

CREATE INDEX "IX_root_jobs_finished_at" ON root_jobs (finished_at) WHERE finished_at IS NOT NULL;

-- the retries of a job: the roots whose RootJobStarted names it as retryOf.
CREATE INDEX "IX_job_events_retry_of" ON job_events ((payload ->> 'retryOf')) WHERE event_type = 'RootJobStarted';

-- a data audit's failures, newest first.
CREATE INDEX "IX_data_measurements_failed_measured_at" ON data_measurements (measured_at) WHERE audit_failed;

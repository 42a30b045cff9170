-- Data audits: the figures runs measured about their data, with the previous run's figure each was compared with.
-- Replaces the EF Core migration 20261122223856_DataAudits.
CREATE TABLE data_measurements (
    id bigint GENERATED ALWAYS AS IDENTITY,
    root_job_id uuid NOT NULL,
    child_job_id uuid NOT NULL,
    platform text NOT NULL,
    dataset text NOT NULL,
    subject text NOT NULL,
    value double precision NOT NULL,
    measured_at timestamp with time zone NOT NULL,
    previous_value double precision,
    previous_root_job_id uuid,
    audit_failed boolean NOT NULL,
    CONSTRAINT "PK_data_measurements" PRIMARY KEY (id)
);

CREATE UNIQUE INDEX "IX_data_measurements_child_job_id_dataset_subject" ON data_measurements (child_job_id, dataset, subject);

CREATE INDEX "IX_data_measurements_platform_dataset_subject_measured_at" ON data_measurements (platform, dataset, subject, measured_at);

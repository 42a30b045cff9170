-- One PostgreSQL role per owner of tables (least privilege), created by infra/start.sh as the superuser; idempotent.
-- psql variables: owner (the administrator role, POSTGRES_URL's user: jobs) and password (the roles' password, local runs).
-- Each integration connects as <owner>_<integration> and owns its tables; the Auditor as <owner>_auditor owns the audit
-- tables; Reporting reads through <owner>_reporting, which can write nothing. The services derive these names from
-- POSTGRES_URL (Postgres:Connections:<name> overrides one; Postgres:DeriveRoles=false uses POSTGRES_URL as it is).
SELECT format(CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN 'ALTER ROLE %I LOGIN NOCREATEDB NOCREATEROLE PASSWORD %L'
                   ELSE 'CREATE ROLE %I LOGIN PASSWORD %L' END, r, :'password')
FROM unnest(ARRAY['auditor', 'reporting', 'synthetic', 'preaggregates', 'movies', 'catalogue', 'reddit', 'rest']) AS n,
     LATERAL (SELECT :'owner' || '_' || n AS r) role
\gexec

-- The administrator role is a member of each: it reads what they own (operators, tests) and can hand tables over to them.
SELECT format('GRANT %I TO %I', :'owner' || '_' || n, :'owner')
FROM unnest(ARRAY['auditor', 'reporting', 'synthetic', 'preaggregates', 'movies', 'catalogue', 'reddit', 'rest']) AS n
\gexec

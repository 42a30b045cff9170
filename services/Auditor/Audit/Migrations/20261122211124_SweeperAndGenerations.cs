using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Jobs.Auditor.Audit.Migrations
{
    /// <inheritdoc />
    public partial class SweeperAndGenerations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_progress_at",
                table: "root_jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "group_id",
                table: "child_jobs",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            migrationBuilder.AddColumn<bool>(
                name: "has_continuation",
                table: "child_jobs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "spawned",
                table: "child_jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "duration_ms",
                table: "root_jobs",
                type: "bigint",
                nullable: true,
                computedColumnSql: "(extract(epoch FROM (finished_at - started_at)) * 1000)::bigint",
                stored: true);

            migrationBuilder.AddColumn<long>(
                name: "duration_ms",
                table: "child_jobs",
                type: "bigint",
                nullable: true,
                computedColumnSql: "(extract(epoch FROM (finished_at - started_at)) * 1000)::bigint",
                stored: true);

            migrationBuilder.CreateTable(
                name: "root_job_generations",
                columns: table => new
                {
                    root_job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    generation = table.Column<int>(type: "integer", nullable: false),
                    children = table.Column<long>(type: "bigint", nullable: false),
                    failed = table.Column<long>(type: "bigint", nullable: false),
                    first_started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    seconds_to_complete = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_root_job_generations", x => new { x.root_job_id, x.generation });
                });

            migrationBuilder.CreateIndex(
                name: "IX_root_jobs_status_last_progress_at",
                table: "root_jobs",
                columns: new[] { "status", "last_progress_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "root_job_generations");

            migrationBuilder.DropIndex(
                name: "IX_root_jobs_status_last_progress_at",
                table: "root_jobs");

            migrationBuilder.DropColumn(
                name: "duration_ms",
                table: "root_jobs");

            migrationBuilder.DropColumn(
                name: "duration_ms",
                table: "child_jobs");

            migrationBuilder.DropColumn(
                name: "last_progress_at",
                table: "root_jobs");

            migrationBuilder.DropColumn(
                name: "group_id",
                table: "child_jobs");

            migrationBuilder.DropColumn(
                name: "has_continuation",
                table: "child_jobs");

            migrationBuilder.DropColumn(
                name: "spawned",
                table: "child_jobs");
        }
    }
}

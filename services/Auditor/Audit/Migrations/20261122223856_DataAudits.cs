using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Jobs.Auditor.Audit.Migrations
{
    /// <inheritdoc />
    public partial class DataAudits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "data_measurements",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    root_job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    child_job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    platform = table.Column<string>(type: "text", nullable: false),
                    dataset = table.Column<string>(type: "text", nullable: false),
                    subject = table.Column<string>(type: "text", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    measured_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    previous_value = table.Column<double>(type: "double precision", nullable: true),
                    previous_root_job_id = table.Column<Guid>(type: "uuid", nullable: true),
                    audit_failed = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_data_measurements", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_data_measurements_child_job_id_dataset_subject",
                table: "data_measurements",
                columns: new[] { "child_job_id", "dataset", "subject" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_data_measurements_platform_dataset_subject_measured_at",
                table: "data_measurements",
                columns: new[] { "platform", "dataset", "subject", "measured_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "data_measurements");
        }
    }
}

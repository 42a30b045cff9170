using Jobs.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Jobs.Auditor.Audit;

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without starting the service.</summary>
public sealed class AuditDbContextFactory : IDesignTimeDbContextFactory<AuditDbContext>
{
    public AuditDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AuditDbContext>()
            .UseNpgsql(Connections.PostgresConnectionString(Environment.GetEnvironmentVariable(Connections.PostgresKey)))
            .Options);
}

using Jobs.Reporting;
using Jobs.Reporting.Web;
using Jobs.Reporting.Data;
using Jobs.Reporting.DataAudits;
using Jobs.Reporting.JobDetails;
using Jobs.Reporting.Overview;
using Jobs.Reporting.Security;
using Jobs.ServiceDefaults;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("reporting").AddReportingServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRequestLimits();
app.UseAuthentication();
app.UseConsole();
app.UseRateLimiter();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapJobsEndpoints();
app.MapKeysEndpoints();
app.MapSchedulesEndpoints();
app.MapDataEndpoints();
app.MapJobTreeEndpoints();
app.MapJobEventsEndpoints();
app.MapJobStreamEndpoints();
app.MapDataAuditsEndpoints();
app.MapOverviewEndpoints();
app.MapConsole();
app.MapOpenApi();                 // /openapi/v1.json
app.MapScalarApiReference();      // browsable UI at /scalar
app.Run();

/// <summary>Entry point type, visible to WebApplicationFactory in tests.</summary>
public partial class Program;

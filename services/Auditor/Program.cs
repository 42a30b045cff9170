using Jobs.Auditor;
using Jobs.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("auditor").AddAuditorServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
